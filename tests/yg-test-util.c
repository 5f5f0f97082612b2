/* yg-test-util.c: helpers every test program may use: scratch directories, external tools,
 * route patterns.
 *
 * Tests work in temporary directories they remove afterwards, and the media
 * tests judge the project with real tools (ffmpeg makes sources, ffprobe
 * reads results). GLib and GIO only, so catalogue, server and media tests
 * can all link it.
 */
#include "yg-test-util.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

char *
yg_test_make_tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("yunguan-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

/* Removes @path and everything under it; symbolic links are removed, never followed. */
void
yg_test_rm_rf (const char *path)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileEnumerator) e = NULL;
  GFileInfo *info;

  if (path == NULL)
    return;
  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK) || !g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_unlink (path);
      return;
    }
  file = g_file_new_for_path (path);
  e = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                 G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (e != NULL && (info = g_file_enumerator_next_file (e, NULL, NULL)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        yg_test_rm_rf (child);
      else
        g_unlink (child);
      g_object_unref (info);
    }
  g_rmdir (path);
}

/**
 * yg_test_spawn:
 * @argv: the program (searched in PATH) and its arguments
 * @out: (out) (optional): its standard output, stripped
 * @err: (out) (optional): its standard error, stripped
 *
 * Returns: %TRUE when it exited 0 (failures are logged as test messages)
 */
gboolean
yg_test_spawn (const char *const *argv, char **out, char **err)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *o = NULL;
  g_autofree char *e = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &o, &e, &status,
                     &error))
    {
      g_test_message ("cannot run %s: %s", argv[0], error->message);
      return FALSE;
    }
  if (out != NULL)
    *out = g_strdup (g_strstrip (o));
  if (err != NULL)
    *err = g_strdup (g_strstrip (e));
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_test_message ("%s failed: %s", argv[0], e);
      return FALSE;
    }
  return TRUE;
}

/**
 * yg_test_ffmpeg:
 * @args: (array zero-terminated=1): ffmpeg's inputs and options
 *
 * Runs `ffmpeg -nostdin -v error -y ARGS… DIR/NAME` and asserts it worked.
 *
 * Returns: (transfer full): DIR/NAME
 */
char *
yg_test_ffmpeg (const char *dir, const char *name, const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  char *path = g_build_filename (dir, name, NULL);

  g_ptr_array_add (argv, (char *) "ffmpeg");
  g_ptr_array_add (argv, (char *) "-nostdin");
  g_ptr_array_add (argv, (char *) "-v");
  g_ptr_array_add (argv, (char *) "error");
  g_ptr_array_add (argv, (char *) "-y");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, path);
  g_ptr_array_add (argv, NULL);
  g_assert_true (yg_test_spawn ((const char *const *) argv->pdata, NULL, NULL));
  return path;
}

/* The number of {param} segments in a route pattern. */
guint
yg_test_pattern_params (const char *pattern)
{
  guint n = 0;

  for (const char *p = pattern; (p = strchr (p, '{')) != NULL; p++)
    n++;
  return n;
}

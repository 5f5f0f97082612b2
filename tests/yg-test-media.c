/* yg-test-media.c: helpers of the media tests: external tools and scratch directories.
 *
 * The media tests judge the project with real tools (ffmpeg makes sources,
 * ffprobe reads results); these run them and clean up their temporary trees.
 */
#define _XOPEN_SOURCE 700

#include "yg-test-media.h"

#include <ftw.h>
#include <stdio.h>

/**
 * yg_test_media_spawn:
 * @argv: the program (searched in PATH) and its arguments
 * @out: (out) (optional): its standard output, stripped
 * @err: (out) (optional): its standard error, stripped
 *
 * Returns: %TRUE when it exited 0 (failures are logged as test messages)
 */
gboolean
yg_test_media_spawn (const char *const *argv, char **out, char **err)
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
 * yg_test_media_ffmpeg:
 * @args: (array zero-terminated=1): ffmpeg's inputs and options
 *
 * Runs `ffmpeg -nostdin -v error -y ARGS… DIR/NAME` and asserts it worked.
 *
 * Returns: (transfer full): DIR/NAME
 */
char *
yg_test_media_ffmpeg (const char *dir, const char *name, const char *const *args)
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
  g_assert_true (yg_test_media_spawn ((const char *const *) argv->pdata, NULL, NULL));
  return path;
}

static int
remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove (path);
}

/* Removes @dir and everything under it, symlinks not followed. */
void
yg_test_media_rm_rf (const char *dir)
{
  if (dir != NULL)
    nftw (dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

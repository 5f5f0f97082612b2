/* yg-publish.c: durable publishing of output files.
 *
 * A reader (nginx, the HTTP server, a player) must never see a half-written
 * playlist, segment or poster, and after a crash or power loss a published
 * name must point at complete data. So every file is written under a hidden
 * temporary name in its final directory, fsync'd, renamed over the final
 * name (atomic on POSIX), and then the directory itself is fsync'd so the
 * rename is durable. Published files are 0644 whatever the umask says about
 * the temporary file, so the web front can read them.
 * Errors are G_IO_ERROR (translated from errno here); callers map them into
 * their own domain. Thread: any; nothing here has state.
 */
#define G_LOG_DOMAIN "yg-transcode"

#include "yg-publish.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

static gboolean
set_errno_error (GError **error, int errsv, const char *what, const char *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s %s: %s", what, path,
               g_strerror (errsv));
  return FALSE;
}

/**
 * yg_publish_fsync_dir:
 * @dir: a directory
 * @error: return location for a #GError
 *
 * Makes the directory's entries (creations, renames) durable.
 *
 * Returns: %TRUE on success
 */
gboolean
yg_publish_fsync_dir (const char *dir, GError **error)
{
  int fd;

  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return set_errno_error (error, errno, "opening directory", dir);
  if (fsync (fd) != 0 && errno != EINVAL)
    {
      int errsv = errno;
      close (fd);
      return set_errno_error (error, errsv, "syncing directory", dir);
    }
  close (fd);
  return TRUE;
}

static gboolean
write_all (int fd, const guint8 *data, gsize size)
{
  while (size > 0)
    {
      ssize_t n = write (fd, data, size);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      data += n;
      size -= (gsize) n;
    }
  return TRUE;
}

/**
 * yg_publish_write_file:
 * @path: the final name
 * @data: (array length=size): the complete contents
 * @size: length of @data in bytes
 * @error: return location for a #GError
 *
 * Atomically and durably replaces @path with @data: readers see either the
 * old file or the new one, never a mixture, and the new one survives a crash
 * once this returns %TRUE.
 *
 * Returns: %TRUE on success
 */
gboolean
yg_publish_write_file (const char *path, const void *data, gsize size, GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp = NULL;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    return set_errno_error (error, errno, "creating", tmp);

  if (!write_all (fd, data, size) || fchmod (fd, 0644) != 0 || fsync (fd) != 0)
    {
      int errsv = errno;
      close (fd);
      g_unlink (tmp);
      return set_errno_error (error, errsv, "writing", tmp);
    }
  if (close (fd) != 0)
    {
      int errsv = errno;
      g_unlink (tmp);
      return set_errno_error (error, errsv, "closing", tmp);
    }
  if (g_rename (tmp, path) != 0)
    {
      int errsv = errno;
      g_unlink (tmp);
      return set_errno_error (error, errsv, "renaming to", path);
    }
  return yg_publish_fsync_dir (dir, error);
}

/**
 * yg_publish_commit_file:
 * @tmp_path: a complete file written by someone else (e.g. a muxer's sink)
 * @final_path: its published name, in the same file system
 * @error: return location for a #GError
 *
 * Flushes @tmp_path to stable storage, renames it to @final_path and syncs
 * the directory, so the published name only ever names durable data.
 *
 * Returns: %TRUE on success
 */
gboolean
yg_publish_commit_file (const char *tmp_path, const char *final_path, GError **error)
{
  g_autofree char *dir = NULL;
  int fd;

  g_return_val_if_fail (tmp_path != NULL, FALSE);
  g_return_val_if_fail (final_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  fd = open (tmp_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return set_errno_error (error, errno, "opening", tmp_path);
  if (fchmod (fd, 0644) != 0 || fsync (fd) != 0)
    {
      int errsv = errno;
      close (fd);
      return set_errno_error (error, errsv, "syncing", tmp_path);
    }
  close (fd);
  if (g_rename (tmp_path, final_path) != 0)
    return set_errno_error (error, errno, "renaming to", final_path);
  dir = g_path_get_dirname (final_path);
  return yg_publish_fsync_dir (dir, error);
}

/**
 * yg_publish_make_dir:
 * @path: a directory to create (with missing parents)
 * @error: return location for a #GError
 *
 * Creates @path (0755) if it does not exist and makes its entry durable in
 * the parent directory. An existing directory is fine.
 *
 * Returns: %TRUE on success
 */
gboolean
yg_publish_make_dir (const char *path, GError **error)
{
  g_autofree char *parent = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_mkdir_with_parents (path, 0755) != 0)
    return set_errno_error (error, errno, "creating directory", path);
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return set_errno_error (error, ENOTDIR, "creating directory", path);
  parent = g_path_get_dirname (path);
  return yg_publish_fsync_dir (parent, error);
}

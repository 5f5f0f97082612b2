/* yg-file-body.c: a file's contents as GBytes that a connection can send
 * without copying them.
 *
 * yg_file_body_new maps the file (read-only, shared) and registers the
 * mapping's address range together with the open descriptor. The bytes are
 * real: whoever reads them reads the file. yg_file_body_lookup lets a
 * connection's output stream (yg-conn-stream.c) recognise that the buffer
 * libsoup asks it to write lies inside such a mapping and hand the kernel
 * the file range with sendfile(2) instead; the pages are then never touched
 * from user space (no copy, no page faults). The registration ends with the
 * last reference to the bytes. Files served this way are published by
 * rename and never rewritten in place, so descriptor and mapping show the
 * same contents for the life of a response.
 * Thread: any; a mutex guards the registry (in practice the main thread).
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-file-body.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>


typedef struct
{
  const guint8 *base;
  gsize size;
  int fd;
} Body;

static GMutex lock;
static GTree *registry; /* Body → Body, ordered by address; mappings never overlap */

static int
compare_base (gconstpointer a, gconstpointer b, gpointer unused)
{
  const guint8 *x = ((const Body *) a)->base, *y = ((const Body *) b)->base;

  return x < y ? -1 : x > y ? 1 : 0;
}

static void
body_free (gpointer data)
{
  Body *b = data;

  g_mutex_lock (&lock);
  g_tree_remove (registry, b);
  g_mutex_unlock (&lock);
  munmap ((void *) b->base, b->size);
  close (b->fd);
  g_free (b);
}

static void
set_io_error (GError **error, int code, const char *what)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (code), "Could not %s a file: %s", what,
               g_strerror (code));
}

/**
 * yg_file_body_read:
 * @fd: (transfer full): a regular file opened for reading; closed here
 * @size: its size
 *
 * Reads a small file whole (no mapping, no registration).
 *
 * Returns: (transfer full) (nullable): the contents, or NULL with @error set
 */
GBytes *
yg_file_body_read (int fd, gsize size, GError **error)
{
  g_autofree guint8 *buf = g_malloc (size);
  gsize got = 0;

  while (got < size)
    {
      ssize_t n = pread (fd, buf + got, size - got, got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) /* n == 0: shorter than its size a moment ago (never for renamed files) */
        {
          int saved = n < 0 ? errno : EIO;
          close (fd);
          set_io_error (error, saved, "read");
          return NULL;
        }
      got += n;
    }
  close (fd);
  return g_bytes_new_take (g_steal_pointer (&buf), size);
}

/**
 * yg_file_body_new:
 * @fd: (transfer full): a regular file opened for reading; closed when the
 *   bytes are freed (or at once on failure)
 * @size: its size, > 0
 *
 * Returns: (transfer full) (nullable): the file's contents, or NULL with
 *   @error set when it cannot be mapped
 */
GBytes *
yg_file_body_new (int fd, gsize size, GError **error)
{
  void *p;
  Body *b;

  g_return_val_if_fail (fd >= 0 && size > 0, NULL);

  if (size <= YG_FILE_BODY_SMALL)
    return yg_file_body_read (fd, size, error);
  p = mmap (NULL, size, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    {
      int saved = errno;
      close (fd);
      set_io_error (error, saved, "map");
      return NULL;
    }
  b = g_new (Body, 1);
  b->base = p;
  b->size = size;
  b->fd = fd;
  g_mutex_lock (&lock);
  if (registry == NULL)
    registry = g_tree_new_full (compare_base, NULL, NULL, NULL);
  g_tree_insert (registry, b, b);
  g_mutex_unlock (&lock);
  return g_bytes_new_with_free_func (p, size, body_free, b);
}

/* g_tree_search: 0 when the body @key holds @p, else the direction to look. */
static int
find (gconstpointer key, gconstpointer p)
{
  const Body *b = key;
  const guint8 *q = p;

  if (q < b->base)
    return -1; /* look among lower addresses */
  if (q >= b->base + b->size)
    return 1;
  return 0;
}

/**
 * yg_file_body_lookup:
 * @data: a buffer about to be written
 * @count: its length
 * @fd: (out): the descriptor of the file whose mapping holds it
 * @offset: (out): where @data starts in that file
 *
 * Returns: TRUE when [@data, @data + @count) lies inside one registered file
 *   body; the descriptor stays valid while that body is referenced
 */
gboolean
yg_file_body_lookup (gconstpointer data, gsize count, int *fd, goffset *offset)
{
  const guint8 *p = data;
  const Body *b = NULL;

  g_mutex_lock (&lock);
  if (registry != NULL)
    b = g_tree_search (registry, find, data);
  g_mutex_unlock (&lock);
  if (b == NULL || count > (gsize) (b->base + b->size - p))
    return FALSE;
  *fd = b->fd;
  *offset = p - b->base;
  return TRUE;
}

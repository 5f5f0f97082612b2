/* yg-http-file.c: serving a file: ETag/Last-Modified, 304, one Range, HEAD.
 *
 * The ETag is derived from size, mtime and inode, so a file replaced by
 * rename (how everything under media/ is published) gets a new one. Range
 * is implemented here, not by libsoup (whose partial-GET path copies the
 * whole body): exactly one "bytes=a-b", "a-" or "-n" range is honoured
 * (206, Content-Range); an unsatisfiable one gets 416 with
 * "Content-Range: bytes * /len"; several ranges or malformed headers are
 * answered with the whole file (RFC 9110 allows ignoring Range). The file
 * is opened component by component without following symbolic links; the
 * body is the mapped file (yg-file-body.c), handed to libsoup without a
 * copy and sent from the page cache with sendfile(2) (yg-conn-stream.c).
 * Thread: main.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-http-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "yg-file-body.h"
#include "yg-http-error.h"

/**
 * yg_http_parse_range:
 * @start: (out): first byte
 * @end: (out): last byte (inclusive)
 */
YgRangeResult
yg_http_parse_range (const char *header, guint64 size, guint64 *start, guint64 *end)
{
  const char *p;
  char *stop = NULL;
  guint64 a, b;

  if (header == NULL)
    return YG_RANGE_NONE;
  if (g_ascii_strncasecmp (header, "bytes=", 6) != 0)
    return YG_RANGE_IGNORED;
  p = header + 6;
  while (*p == ' ')
    p++;
  if (strchr (p, ',') != NULL)
    return YG_RANGE_IGNORED;
  if (*p == '-') /* suffix: the last n bytes */
    {
      if (!g_ascii_isdigit (p[1]))
        return YG_RANGE_IGNORED;
      errno = 0;
      b = g_ascii_strtoull (p + 1, &stop, 10);
      if (errno != 0 || *stop != '\0')
        return YG_RANGE_IGNORED;
      if (b == 0 || size == 0)
        return YG_RANGE_UNSATISFIABLE;
      *start = b >= size ? 0 : size - b;
      *end = size - 1;
      return YG_RANGE_OK;
    }
  if (!g_ascii_isdigit (*p))
    return YG_RANGE_IGNORED;
  errno = 0;
  a = g_ascii_strtoull (p, &stop, 10);
  if (errno != 0 || *stop != '-')
    return YG_RANGE_IGNORED;
  p = stop + 1;
  if (*p == '\0')
    b = size > 0 ? size - 1 : 0;
  else
    {
      if (!g_ascii_isdigit (*p))
        return YG_RANGE_IGNORED;
      errno = 0;
      b = g_ascii_strtoull (p, &stop, 10);
      if (errno != 0 || *stop != '\0' || b < a)
        return YG_RANGE_IGNORED;
      if (b >= size)
        b = size - 1;
    }
  if (a >= size)
    return YG_RANGE_UNSATISFIABLE;
  *start = a;
  *end = b;
  return YG_RANGE_OK;
}

/* TRUE when an If-None-Match value names @etag (or is "*"). */
gboolean
yg_http_etag_matches (const char *if_none_match, const char *etag)
{
  g_auto (GStrv) tags = NULL;
  g_autofree char *all = NULL;

  if (if_none_match == NULL)
    return FALSE;
  all = g_strstrip (g_strdup (if_none_match));
  if (g_str_equal (all, "*"))
    return TRUE;
  tags = g_strsplit (if_none_match, ",", -1);
  for (guint i = 0; tags[i] != NULL; i++)
    {
      const char *t = g_strstrip (tags[i]);
      if (g_str_has_prefix (t, "W/"))
        t += 2;
      if (g_str_equal (t, etag))
        return TRUE;
    }
  return FALSE;
}

/* The component-by-component walk, for kernels without openat2(2). */
static int
open_walk (int dir, char **parts)
{
  for (guint i = 0; dir >= 0 && parts[i] != NULL; i++)
    {
      gboolean last = parts[i + 1] == NULL;
      int next = openat (dir, parts[i],
                         O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (last ? O_NONBLOCK : O_DIRECTORY));
      close (dir);
      dir = next;
    }
  return dir;
}

/* Opens @rel below the directory @root without following a symbolic link in
 * any component, so a link planted under the served tree cannot expose a
 * file outside it: one openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
 * or a walk with O_NOFOLLOW where the kernel lacks it. Empty, "." and ".."
 * components are refused before either. Returns an fd or -1. */
int
yg_http_file_open (const char *root, const char *rel)
{
  static gboolean no_openat2;
  g_auto (GStrv) parts = g_strsplit (rel, "/", -1);
  struct open_how how = {
    .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  int dir, fd;

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] == '\0' || g_str_equal (parts[i], ".") || g_str_equal (parts[i], ".."))
      return -1;
  dir = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return -1;
  if (!no_openat2)
    {
      fd = syscall (SYS_openat2, dir, rel, &how, sizeof how);
      if (fd >= 0 || errno != ENOSYS)
        {
          close (dir);
          return fd;
        }
      no_openat2 = TRUE;
    }
  return open_walk (dir, parts);
}

/* FALSE when If-Range names another validator: the whole file is sent. */
gboolean
yg_http_if_range_holds (const char *if_range, const char *etag, const char *last_modified)
{
  return if_range == NULL || g_str_equal (if_range, etag) || g_str_equal (if_range, last_modified);
}

/**
 * yg_http_date:
 * @out: (out caller-allocates): YG_HTTP_DATE_MAX bytes
 *
 * Formats @unix_seconds as an HTTP date (IMF-fixdate), whatever the locale.
 */
void
yg_http_date (gint64 unix_seconds, char *out)
{
  static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
  static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  time_t t = (time_t) unix_seconds;
  struct tm tm;

  gmtime_r (&t, &tm);
  g_snprintf (out, YG_HTTP_DATE_MAX, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
              tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/**
 * yg_http_file_validators:
 * @etag: (out caller-allocates): YG_HTTP_ETAG_MAX bytes: size, mtime and inode
 * @last_modified: (out caller-allocates): YG_HTTP_DATE_MAX bytes
 */
void
yg_http_file_validators (const GStatBuf *st, char *etag, char *last_modified)
{
  g_snprintf (etag, YG_HTTP_ETAG_MAX,
              "\"%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x\"",
              (gint64) st->st_size, (gint64) st->st_mtime, (gint64) st->st_ino);
  yg_http_date (st->st_mtime, last_modified);
}

/**
 * yg_http_serve_file:
 * @root: a directory the server trusts (e.g. DATA/media, the web directory)
 * @rel: a path below it built from validated parts (never a raw client string)
 * @cache_control: (nullable): the Cache-Control value
 */
void
yg_http_serve_file (YgRequest *req, const char *root, const char *rel, const char *content_type,
                    const char *cache_control)
{
  int fd;
  SoupMessageHeaders *rh = soup_server_message_get_response_headers (req->msg);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  char etag[YG_HTTP_ETAG_MAX];
  char last_modified[YG_HTTP_DATE_MAX];
  const char *range = yg_request_header (req, "Range");
  const char *if_range = yg_request_header (req, "If-Range");
  guint64 start = 0, end = 0;
  GStatBuf st;
  YgRangeResult rr;

  fd = yg_http_file_open (root, rel);
  if (fd < 0 || fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      if (fd >= 0)
        close (fd);
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No such file");
      return;
    }
  yg_http_file_validators (&st, etag, last_modified);
  soup_message_headers_replace (rh, "ETag", etag);
  soup_message_headers_replace (rh, "Last-Modified", last_modified);
  soup_message_headers_replace (rh, "Accept-Ranges", "bytes");
  if (cache_control != NULL)
    soup_message_headers_replace (rh, "Cache-Control", cache_control);

  if (yg_http_etag_matches (yg_request_header (req, "If-None-Match"), etag))
    {
      yg_request_respond_bytes (req, 304, NULL, NULL);
      return;
    }

  if (!yg_http_if_range_holds (if_range, etag, last_modified))
    range = NULL;
  rr = yg_http_parse_range (range, st.st_size, &start, &end);
  /* Keep libsoup's own partial-GET code out of it. */
  soup_message_headers_remove (soup_server_message_get_request_headers (req->msg), "Range");

  if (rr == YG_RANGE_UNSATISFIABLE)
    {
      g_autofree char *cr = g_strdup_printf ("bytes */%" G_GINT64_FORMAT, (gint64) st.st_size);
      soup_message_headers_replace (rh, "Content-Range", cr);
      yg_request_fail (req, YG_HTTP_ERROR_RANGE_NOT_SATISFIABLE,
                       "The requested range starts beyond the end of the file");
      return;
    }

  if (st.st_size > 0)
    {
      bytes = yg_file_body_new (fd, st.st_size, &error); /* takes fd */
      if (bytes == NULL)
        {
          yg_request_respond_error (req, error);
          return;
        }
    }
  else
    close (fd);
  fd = -1;

  if (rr == YG_RANGE_OK)
    {
      g_autoptr (GBytes) part = g_bytes_new_from_bytes (bytes, start, end - start + 1);
      g_autofree char *cr = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                                             "/%" G_GINT64_FORMAT,
                                             start, end, (gint64) st.st_size);
      soup_message_headers_replace (rh, "Content-Range", cr);
      soup_server_message_set_status (req->msg, 206, NULL);
      soup_message_headers_set_content_type (rh, content_type, NULL);
      soup_message_body_append_bytes (soup_server_message_get_response_body (req->msg), part);
      yg_request_respond_bytes (req, 206, NULL, NULL);
      return;
    }
  soup_message_headers_set_content_type (rh, content_type, NULL);
  if (bytes != NULL) /* libsoup refuses empty chunks */
    soup_message_body_append_bytes (soup_server_message_get_response_body (req->msg), bytes);
  else
    soup_message_headers_set_content_length (rh, 0);
  yg_request_respond_bytes (req, 200, NULL, NULL);
}

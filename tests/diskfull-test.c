/* diskfull-test.c: a full disk during uploads and imports.
 *
 * The data directory is a small tmpfs (8 MiB, mounted by the test, so it
 * needs root; skipped with a message otherwise) and the real `yunguan serve`
 * runs on it. A filler file leaves about 2 MiB free, then a 4 MiB tus upload
 * is sent in 512 KiB PATCHes: the one that hits ENOSPC must answer 507 with
 * the JSON code insufficient_storage and a message saying what to do, and
 * Upload-Offset at the last acknowledged byte; HEAD agrees, the upload's
 * file holds exactly that many bytes, the catalogue has no item, and the
 * server keeps answering other requests. Once the filler is removed the
 * upload resumes from that offset and becomes an item. `yunguan import` of
 * a file larger than the free space must exit non-zero with a clear
 * message, leaving no item and nothing in DATA/tmp or originals/.
 * Suite: http.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "yg-db-error.h"
#include "yg-http-error.h"
#include "yg-test-server.h"

#define CHUNK (512u << 10)
#define UPLOAD_LEN (4u << 20)

typedef struct
{
  char *dir;
  char *data;
  char *filler;
  char *token;
  gboolean mounted;
  YgTestServe *serve;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *log = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (getuid () != 0)
    return;
  f->dir = yg_test_make_tmpdir ();
  f->data = g_build_filename (f->dir, "data", NULL);
  f->filler = g_build_filename (f->data, "filler", NULL);
  g_assert_cmpint (g_mkdir (f->data, 0750), ==, 0);
  {
    const char *argv[] = { "mount", "-t", "tmpfs", "-o", "size=8m,mode=0750", "tmpfs", f->data,
                           NULL };
    if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &err,
                       &status, NULL)
        || !g_spawn_check_wait_status (status, NULL))
      {
        g_test_message ("mount -t tmpfs failed: %s", err ? err : "");
        return;
      }
  }
  f->mounted = TRUE;
  f->token = yg_test_cli_token (f->data, "staff");
  log = g_build_filename (f->dir, "server.log", NULL);
  f->serve = yg_test_serve_spawn (NULL, f->data, log, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  yg_test_serve_stop (f->serve);
  if (f->mounted && umount2 (f->data, MNT_DETACH) != 0)
    g_warning ("umount %s: %s", f->data, g_strerror (errno));
  if (f->dir != NULL)
    yg_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->data);
  g_free (f->filler);
  g_free (f->token);
}

static gboolean
skipped (Fixture *f)
{
  if (getuid () != 0)
    g_test_skip ("needs root to mount a small tmpfs as the data directory");
  else if (!f->mounted)
    g_test_skip ("mount -t tmpfs failed (no CAP_SYS_ADMIN in this container?)");
  else
    return FALSE;
  return TRUE;
}

static guint64
free_bytes (Fixture *f)
{
  struct statvfs sv;

  g_assert_cmpint (statvfs (f->data, &sv), ==, 0);
  return (guint64) sv.f_bavail * sv.f_frsize;
}

/* Fills the tmpfs so that about @leave bytes stay free. */
static void
fill_leaving (Fixture *f, guint64 leave)
{
  guint64 avail = free_bytes (f);
  g_autofree char *zeros = g_malloc0 (avail > leave ? avail - leave : 1);

  g_assert_cmpuint (avail, >, leave);
  g_assert_true (g_file_set_contents (f->filler, zeros, avail - leave, NULL));
  g_test_message ("filler: %" G_GUINT64_FORMAT " bytes; %" G_GUINT64_FORMAT " bytes free",
                  avail - leave, free_bytes (f));
}

typedef struct
{
  guint status;
  char *head;
  char *body;
} Response;

static void
response_free (Response *r)
{
  g_free (r->head);
  g_free (r->body);
  g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

static Response *
send_request (Fixture *f, const char *method, const char *path, const char *headers,
              const void *body, gsize len)
{
  g_autoptr (GSocketConnection) conn = yg_test_connect (f->serve->port);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  g_autofree char *head = g_strdup_printf (
    "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer %s\r\n"
    "Tus-Resumable: 1.0.0\r\n%sContent-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
    method, path, f->token, headers ? headers : "", len);
  g_autoptr (GError) error = NULL;
  Response *r = g_new0 (Response, 1);
  g_autofree char *text = NULL;
  char *split;

  g_output_stream_write_all (out, head, strlen (head), NULL, NULL, &error);
  g_assert_no_error (error);
  if (len > 0)
    g_output_stream_write_all (out, body, len, NULL, NULL, &error);
  g_assert_no_error (error);
  text = yg_test_read_response (conn, &r->status);
  split = strstr (text, "\r\n\r\n");
  r->head = split ? g_strndup (text, split - text + 2) : g_strdup (text);
  r->body = g_strdup (split ? split + 4 : "");
  return r;
}

static char *
header (Response *r, const char *name)
{
  g_autofree char *needle = g_strdup_printf ("\r\n%s:", name);
  const char *at = strcasestr (r->head, needle);
  const char *end;

  if (at == NULL)
    return NULL;
  at += strlen (needle);
  while (*at == ' ')
    at++;
  end = strstr (at, "\r\n");
  return g_strndup (at, end ? (gsize) (end - at) : strlen (at));
}

static guint64
header_u64 (Response *r, const char *name)
{
  g_autofree char *v = header (r, name);

  g_assert_nonnull (v);
  return g_ascii_strtoull (v, NULL, 10);
}

static gint64
count_items (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->data, "catalog.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM items", -1, &st, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (st, 0);
  sqlite3_finalize (st);
  sqlite3_close (db);
  return n;
}

static guint8 *
source_bytes (gsize len)
{
  guint8 *p = g_malloc (len);
  guint32 x = 2463534242u;

  for (gsize i = 0; i < len; i++)
    {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;
      p[i] = x;
    }
  return p;
}

static Response *
patch (Fixture *f, const char *location, const guint8 *src, guint64 offset, gsize len)
{
  g_autofree char *headers = g_strdup_printf (
    "Content-Type: application/offset+octet-stream\r\nUpload-Offset: %" G_GUINT64_FORMAT "\r\n",
    offset);

  return send_request (f, "PATCH", location, headers, src + offset, len);
}

static void
assert_still_serving (Fixture *f)
{
  g_autoptr (Response) health = send_request (f, "GET", "/healthz", NULL, NULL, 0);
  g_autoptr (Response) items = send_request (f, "GET", "/api/v1/items", NULL, NULL, 0);

  g_assert_cmpuint (health->status, ==, 200);
  g_assert_cmpuint (items->status, ==, 200);
}

static void
test_upload (Fixture *f, gconstpointer data)
{
  g_autofree guint8 *src = source_bytes (UPLOAD_LEN);
  g_autofree char *meta = NULL;
  g_autofree char *create_headers = NULL;
  g_autofree char *location = NULL;
  g_autofree char *upload_file = NULL;
  guint64 acked = 0;
  gboolean full = FALSE;
  GStatBuf st;

  if (skipped (f))
    return;
  {
    g_autofree char *fn = g_base64_encode ((const guchar *) "full.mp4", 8);
    g_autofree char *title = g_base64_encode ((const guchar *) "Disk full", 9);
    g_autofree char *kind = g_base64_encode ((const guchar *) "lesson", 6);
    meta = g_strdup_printf ("filename %s,title %s,kind %s", fn, title, kind);
  }
  fill_leaving (f, 2u << 20);
  create_headers = g_strdup_printf ("Upload-Length: %u\r\nUpload-Metadata: %s\r\n", UPLOAD_LEN,
                                    meta);
  {
    g_autoptr (Response) r = send_request (f, "POST", "/api/v1/uploads", create_headers, NULL, 0);
    g_assert_cmpuint (r->status, ==, 201);
    location = header (r, "Location");
    g_assert_nonnull (location);
    if (g_str_has_prefix (location, "http"))
      {
        const char *p = strstr (location + 8, "/");
        char *rel = g_strdup (p);
        g_free (location);
        location = rel;
      }
  }
  upload_file = g_build_filename (f->data, "uploads", strrchr (location, '/') + 1, NULL);

  /* PATCH until the disk is full. */
  while (acked < UPLOAD_LEN && !full)
    {
      gsize len = MIN (CHUNK, UPLOAD_LEN - acked);
      g_autoptr (Response) r = patch (f, location, src, acked, len);

      if (r->status == 204)
        {
          acked = header_u64 (r, "Upload-Offset");
          continue;
        }
      g_test_message ("at offset %" G_GUINT64_FORMAT ": %u %s", acked, r->status, r->body);
      g_assert_cmpuint (r->status, ==, 507);
      g_assert_nonnull (strstr (r->body, "\"code\":\"insufficient_storage\""));
      g_assert_nonnull (strstr (r->body, "free space"));
      g_assert_nonnull (strstr (r->body, "resume"));
      g_assert_cmpuint (header_u64 (r, "Upload-Offset"), ==, acked);
      full = TRUE;
    }
  g_assert_true (full);
  g_assert_cmpuint (acked, <, UPLOAD_LEN);
  g_test_message ("disk full after %" G_GUINT64_FORMAT " acknowledged bytes", acked);

  /* The offset stays at the last durable byte, on disk and over HEAD. */
  {
    g_autoptr (Response) r = send_request (f, "HEAD", location, NULL, NULL, 0);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpuint (header_u64 (r, "Upload-Offset"), ==, acked);
  }
  g_assert_cmpint (g_stat (upload_file, &st), ==, 0);
  g_assert_cmpuint (st.st_size, ==, acked);
  g_assert_cmpint (count_items (f), ==, 0);
  assert_still_serving (f);
  {
    g_autoptr (Response) r = send_request (f, "GET", location, NULL, NULL, 0);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_null (strstr (r->body, "\"item_id\":\""));
  }

  /* A second try while still full fails the same way and changes nothing. */
  {
    g_autoptr (Response) r = patch (f, location, src, acked, MIN (CHUNK, UPLOAD_LEN - acked));
    g_assert_cmpuint (r->status, ==, 507);
    g_assert_cmpuint (header_u64 (r, "Upload-Offset"), ==, acked);
  }

  /* Space comes back: resume and finish. */
  g_assert_cmpint (g_unlink (f->filler), ==, 0);
  while (acked < UPLOAD_LEN)
    {
      gsize len = MIN (CHUNK, UPLOAD_LEN - acked);
      g_autoptr (Response) r = patch (f, location, src, acked, len);

      g_assert_cmpuint (r->status, ==, 204);
      acked = header_u64 (r, "Upload-Offset");
      if (acked == UPLOAD_LEN)
        {
          g_autofree char *item = header (r, "Yunguan-Item-Id");
          g_assert_nonnull (item);
        }
    }
  {
    g_autoptr (Response) r = send_request (f, "GET", location, NULL, NULL, 0);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_nonnull (strstr (r->body, "\"item_id\":\""));
  }
  g_assert_cmpint (count_items (f), ==, 1);
  assert_still_serving (f);
}

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
test_import (Fixture *f, gconstpointer data)
{
  g_autofree char *src_path = NULL;
  g_autofree char *bin = yg_test_binary ();
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *tmp_dir = NULL, *originals = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;

  if (skipped (f))
    return;
  src_path = g_build_filename (f->dir, "recording.mp4", NULL);
  {
    g_autofree guint8 *src = source_bytes (3u << 20);
    g_assert_true (g_file_set_contents (src_path, (char *) src, 3u << 20, NULL));
  }
  fill_leaving (f, 1u << 20);
  {
    const char *argv[] = { bin, "import", "--data", f->data, "--kind", "lesson", "--title",
                           "Too big", "--quiet", src_path, NULL };
    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                  &error);
  }
  g_assert_no_error (error);
  g_test_message ("yunguan import on a full disk: %s", err);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (err, "No space left on device"));
  g_assert_nonnull (strstr (err, "Free space and run the import again"));
  g_assert_nonnull (strstr (err, "1 failed"));
  g_assert_cmpstr (g_strstrip (out), ==, "");
  g_assert_cmpint (count_items (f), ==, 0);
  tmp_dir = g_build_filename (f->data, "tmp", NULL);
  originals = g_build_filename (f->data, "originals", NULL);
  g_assert_cmpuint (count_entries (tmp_dir), ==, 0);
  g_assert_cmpuint (count_entries (originals), ==, 0);
  assert_still_serving (f);

  /* With space back the same import works. */
  g_assert_cmpint (g_unlink (f->filler), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *argv[] = { bin, "import", "--data", f->data, "--kind", "lesson", "--title",
                           "Fits now", "--quiet", src_path, NULL };
    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                  &error);
  }
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("import failed with space available: %s", err);
  g_assert_cmpint (count_items (f), ==, 1);
}

/* The one error map: every way of running out of space is 507 insufficient_storage. */
static void
test_error_map (void)
{
  const int errnos[] = { ENOSPC, EDQUOT };
  const char *code = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (errnos); i++)
    {
      g_autoptr (GError) e = g_error_new_literal (G_IO_ERROR, yg_io_error_from_errno (errnos[i]),
                                                  "full");
      g_assert_cmpuint (yg_http_error_map (e, &code), ==, 507);
      g_assert_cmpstr (code, ==, "insufficient_storage");
    }
  {
    g_autoptr (GError) e = g_error_new_literal (YG_DB_ERROR, YG_DB_ERROR_FULL, "full");
    g_assert_cmpuint (yg_http_error_map (e, &code), ==, 507);
    g_assert_cmpstr (code, ==, "insufficient_storage");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("A full data directory: tus PATCH answers 507 and keeps the acknowledged "
                  "offset, resumes after space is freed; import fails cleanly");
  g_test_add_func ("/diskfull/error-map", test_error_map);
  g_test_add ("/diskfull/upload", Fixture, NULL, fixture_setup, test_upload, fixture_teardown);
  g_test_add ("/diskfull/import", Fixture, NULL, fixture_setup, test_import, fixture_teardown);
  return g_test_run ();
}

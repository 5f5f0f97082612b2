/* yg-route-uploads.c: /api/v1/uploads: tus 1.0.0 for staff, bodies streamed to disk.
 *
 * Extensions: creation, creation-with-upload, termination, checksum (sha1,
 * sha256; 460 and the chunk discarded on mismatch), expiration. PATCH and
 * POST bodies never sit in memory: the route's early handler checks the tus
 * headers as soon as the head arrives (answering 409/412/413/415/423 before
 * any body byte is read), then each chunk is written to the upload's file
 * as libsoup reads it. When the body is complete the file is fsynced on a
 * worker thread and only then is the new offset recorded and acknowledged.
 * A body cut short (network loss) keeps the bytes received, fsynced and
 * recorded, unless a checksum was announced, in which case they are dropped.
 * The last byte triggers finishing: the whole file is hashed (and checked
 * against the optional sha256 metadata), moved to originals/<item>/, and the
 * item, its file row and its job are committed together; the final answer
 * carries Yunguan-Item-Id, and GET /api/v1/uploads/<id> names the item.
 * One request at a time per upload (423 otherwise). Staff see only their own
 * uploads (a token's, or a signed-in account's from any of its sessions; a
 * cookie-authenticated write needs X-CSRF-Token like any other), admins all. Thread: main thread; fsync and hashing on GTask threads.
 */
#define G_LOG_DOMAIN "yg-server"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "yg-http-error.h"
#include "yg-ingest.h"
#include "yg-item-store.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-server.h"
#include "yg-secret.h"
#include "yg-tus.h"

#define TUS_CONTENT_TYPE "application/offset+octet-stream"

/* --- common headers ---------------------------------------------------------------- */

/* CORS for staff consoles served from another origin (--cors-origins):
 * the origin is echoed only when it is listed, never "*". */
static gboolean
cors_allowed (YgRequest *req, const char *origin)
{
  const char *list = yg_server_get_config (req->server)->cors_origins;
  g_auto (GStrv) origins = NULL;

  if (origin == NULL || list == NULL || g_str_equal (list, "none"))
    return FALSE;
  origins = g_strsplit_set (list, " ,", -1);
  for (guint i = 0; origins[i] != NULL; i++)
    if (origins[i][0] != '\0' && g_str_equal (origins[i], origin))
      return TRUE;
  return FALSE;
}

static void
tus_headers (YgRequest *req)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (req->msg);
  const char *origin = yg_request_header (req, "Origin");

  soup_message_headers_replace (h, "Tus-Resumable", YG_TUS_VERSION);
  soup_message_headers_replace (h, "Cache-Control", "no-store");
  soup_message_headers_replace (h, "Vary", "Origin");
  if (cors_allowed (req, origin))
    {
      soup_message_headers_replace (h, "Access-Control-Allow-Origin", origin);
      soup_message_headers_replace (h, "Access-Control-Expose-Headers",
                                    "Location, Upload-Offset, Upload-Length, Upload-Expires, "
                                    "Upload-Metadata, Tus-Resumable, Tus-Version, Tus-Extension, "
                                    "Tus-Max-Size, Tus-Checksum-Algorithm, Yunguan-Item-Id, "
                                    "X-Request-Id");
    }
}

static void
set_expires (YgRequest *req, gint64 expires_at)
{
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (expires_at);
  g_autofree char *text = g_date_time_format (t, "%a, %d %b %Y %H:%M:%S GMT");

  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Upload-Expires", text);
}

static void
set_offset (YgRequest *req, guint64 offset)
{
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT, offset);

  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Upload-Offset", text);
}

static gboolean
check_resumable (YgRequest *req, GError **error)
{
  const char *v = yg_request_header (req, "Tus-Resumable");

  if (g_strcmp0 (v, YG_TUS_VERSION) == 0)
    return TRUE;
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), "Tus-Version",
                                YG_TUS_VERSION);
  g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_PRECONDITION_FAILED,
               "This server speaks tus %s; send Tus-Resumable: %s", YG_TUS_VERSION, YG_TUS_VERSION);
  return FALSE;
}

/* Who owns an upload: a bearer token by its id (> 0), a signed-in staff
 * account by minus its user id, so every account and token has its own
 * uploads and quota, and an account resumes its uploads from a new session. */
static gint64
owner_of (const YgPrincipal *p)
{
  return p->session_id != 0 ? -p->user_id : p->token_id;
}

static gboolean
owns (YgRequest *req, const YgTusUpload *u)
{
  return req->principal != NULL
         && (req->principal->role == YG_ROLE_ADMIN || owner_of (req->principal) == u->owner);
}

/* The upload named in the path, if this caller may see it. */
static YgTusUpload *
find_upload (YgRequest *req, GError **error)
{
  YgTusStore *store = yg_server_get_uploads (req->server);
  YgTusUpload *u = yg_tus_store_lookup (store, yg_request_param (req, 0));

  if (u == NULL || !owns (req, u))
    {
      g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_NOT_FOUND,
                           "No such upload (it may have expired or been deleted)");
      return NULL;
    }
  return u;
}

static void
fail_now (YgRequest *req, GError *error)
{
  tus_headers (req);
  yg_server_answer_early (req->server, req, error);
  g_error_free (error);
}

#define FAIL(req, error)      \
  do                          \
    {                         \
      fail_now (req, error);  \
      return;                 \
    }                         \
  while (0)

/* --- receiving a body ----------------------------------------------------------------- */

typedef struct
{
  YgTusStore *store;
  YgTusUpload *upload;
  int fd;
  guint64 start;        /* the offset this request started at */
  guint64 received;
  guint64 limit;        /* bytes this request may carry */
  GChecksum *sum;       /* announced Upload-Checksum, if any */
  GBytes *expected;
  int write_errno;
  gboolean too_much;
  gboolean settled;     /* the handler took over (or the abort path ran) */
  gint64 new_expiry;    /* computed on the main thread for the fsync thread */
} Receive;

static void
receive_free (Receive *rx)
{
  if (rx->fd >= 0)
    close (rx->fd);
  if (rx->sum != NULL)
    g_checksum_free (rx->sum);
  g_clear_pointer (&rx->expected, g_bytes_unref);
  g_free (rx);
}

static void
on_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer data)
{
  Receive *rx = data;
  gsize len;
  const guint8 *p = g_bytes_get_data (chunk, &len);

  if (rx->write_errno != 0 || rx->too_much)
    return;
  if (rx->received + len > rx->limit)
    {
      rx->too_much = TRUE;
      return;
    }
  if (rx->sum != NULL)
    g_checksum_update (rx->sum, p, len);
  while (len > 0)
    {
      ssize_t n = write (rx->fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          rx->write_errno = errno;
          return;
        }
      p += n;
      len -= n;
      rx->received += n;
    }
}

/* Puts the file back to what was acknowledged before this request. */
static void
rollback (Receive *rx)
{
  if (ftruncate (rx->fd, rx->start) != 0)
    g_warning ("upload %s: cannot truncate back to %" G_GUINT64_FORMAT ": %s", rx->upload->id,
               rx->start, g_strerror (errno));
}

/* A body cut short: keep what arrived (no checksum announced) or drop it.
 * The fsync runs on a thread; the upload stays locked until it is done. */
typedef struct
{
  YgTusStore *store;
  char *upload_id;
  int fd;               /* a dup: the request's own fd closes with the request */
  guint64 start;
  guint64 keep;         /* bytes to keep past start; 0 = roll back */
} Salvage;

static void
salvage_in_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Salvage *sv = data;

  if (sv->keep > 0 && fsync (sv->fd) != 0)
    sv->keep = 0;
  if (sv->keep == 0 && ftruncate (sv->fd, sv->start) != 0)
    g_warning ("upload %s: cannot truncate back: %s", sv->upload_id, g_strerror (errno));
  g_task_return_boolean (task, TRUE);
}

static void
salvaged (GObject *source, GAsyncResult *res, gpointer data)
{
  Salvage *sv = g_task_get_task_data (G_TASK (res));
  YgTusUpload *u = yg_tus_store_lookup (sv->store, sv->upload_id);
  g_autoptr (GError) error = NULL;

  if (u != NULL)
    {
      if (sv->keep > 0)
        {
          /* the client resumes from here */
          u->offset = sv->start + sv->keep;
          yg_tus_store_touch (sv->store, u);
          if (!yg_tus_store_save (sv->store, u, &error))
            {
              g_warning ("upload %s: %s", u->id, error->message);
              u->offset = sv->start;
            }
          yg_upload_hash_advance (yg_tus_store_get_hash (sv->store, u), u->offset);
        }
      u->locked = FALSE;
    }
}

static void
salvage_free (Salvage *sv)
{
  close (sv->fd);
  g_free (sv->upload_id);
  g_free (sv);
}

/* The request ended without reaching the handler (connection lost). */
static void
on_finished (SoupServerMessage *msg, gpointer data)
{
  Receive *rx = data;
  g_autoptr (GTask) task = NULL;
  Salvage *sv;

  if (rx->settled)
    return;
  rx->settled = TRUE;
  sv = g_new0 (Salvage, 1);
  sv->store = rx->store;
  sv->upload_id = g_strdup (rx->upload->id);
  sv->fd = dup (rx->fd);
  sv->start = rx->start;
  sv->keep = rx->sum == NULL && rx->write_errno == 0 && !rx->too_much ? rx->received : 0;
  if (sv->fd < 0)
    {
      rollback (rx);
      rx->upload->locked = FALSE;
      g_free (sv->upload_id);
      g_free (sv);
      return;
    }
  task = g_task_new (NULL, NULL, salvaged, NULL);
  g_task_set_task_data (task, sv, (GDestroyNotify) salvage_free);
  g_task_run_in_thread (task, salvage_in_thread);
}

/* Starts taking the body of @req into @u at its current offset. */
static void
start_receiving (YgRequest *req, YgTusUpload *u)
{
  YgTusStore *store = yg_server_get_uploads (req->server);
  g_autofree char *path = yg_tus_store_data_path (store, u);
  const char *checksum = yg_request_header (req, "Upload-Checksum");
  Receive *rx = g_new0 (Receive, 1);
  GChecksumType type;

  rx->store = store;
  rx->upload = u;
  rx->start = u->offset;
  rx->limit = u->length - u->offset;
  rx->fd = -1;
  if (checksum != NULL)
    {
      GError *error = NULL;
      if (!yg_tus_parse_checksum (checksum, &type, &rx->expected, &error))
        {
          receive_free (rx);
          fail_now (req, error);
          return;
        }
      rx->sum = g_checksum_new (type);
    }
  rx->fd = open (path, O_WRONLY | O_CLOEXEC);
  /* Drop any bytes past the acknowledged offset (left by a crash). */
  if (rx->fd < 0 || ftruncate (rx->fd, u->offset) != 0 || lseek (rx->fd, 0, SEEK_END) < 0)
    {
      int saved = errno;
      receive_free (rx);
      fail_now (req, g_error_new (G_IO_ERROR, yg_io_error_from_errno (saved),
                                  "Cannot write the upload: %s", g_strerror (saved)));
      return;
    }
  u->locked = TRUE;
  req->route_data = rx;
  req->route_data_free = (GDestroyNotify) receive_free;
  soup_message_body_set_accumulate (soup_server_message_get_request_body (req->msg), FALSE);
  g_signal_connect (req->msg, "got-chunk", G_CALLBACK (on_chunk), rx);
  g_signal_connect (req->msg, "finished", G_CALLBACK (on_finished), rx);
  yg_request_resume (req);
}

/* --- finishing ------------------------------------------------------------------------- */

typedef struct
{
  char *data_dir;
  char *src;        /* the upload's data file */
  char *expected;   /* sha256 metadata, lowercase hex, or NULL */
  char *item_id;
  char *ext;
  char *rel;        /* originals/<item>/original.<ext> */
  char *sha256;
  gint64 size;
  YgUploadHash *hash; /* hashed as it arrived; finished here */
} Finish;

static void
finish_free (Finish *f)
{
  g_free (f->data_dir);
  g_free (f->src);
  g_free (f->expected);
  g_free (f->item_id);
  g_free (f->ext);
  g_free (f->rel);
  g_free (f->sha256);
  if (f->hash != NULL)
    yg_upload_hash_unref (f->hash);
  g_free (f);
}

static char *
extension_of (const char *filename)
{
  const char *dot = filename ? strrchr (filename, '.') : NULL;
  gsize n = dot ? strlen (dot + 1) : 0;

  if (dot == NULL || n == 0 || n > 5)
    return g_strdup ("bin");
  for (const char *p = dot + 1; *p; p++)
    if (!g_ascii_isalnum (*p))
      return g_strdup ("bin");
  return g_ascii_strdown (dot + 1, -1);
}

/* Thread: finish the hash (normally only the last chunk is left), check
 * it, move the file under originals/. */
static void
finish_in_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Finish *f = data;
  g_autofree char *dir = g_build_filename (f->data_dir, "originals", f->item_id, NULL);
  g_autofree char *dst = g_build_filename (f->data_dir, f->rel, NULL);
  GError *error = NULL;
  /* After a crash the file may already have been moved. */
  gboolean moved = !g_file_test (f->src, G_FILE_TEST_EXISTS) && g_file_test (dst, G_FILE_TEST_EXISTS);
  int dfd;

  f->sha256 = yg_upload_hash_complete (f->hash, moved ? dst : f->src, f->size, &error);
  if (f->sha256 == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (f->expected != NULL && g_ascii_strcasecmp (f->expected, f->sha256) != 0)
    {
      g_task_return_new_error (task, YG_HTTP_ERROR, YG_HTTP_ERROR_CHECKSUM_MISMATCH,
                               "The file that arrived does not match the SHA-256 given when the "
                               "upload began (the file changed or was damaged); upload it again");
      return;
    }
  if (g_mkdir_with_parents (dir, 0750) != 0 || (!moved && rename (f->src, dst) != 0))
    {
      int saved = errno;
      g_task_return_new_error (task, G_IO_ERROR, yg_io_error_from_errno (saved),
                               "Cannot move the upload into the archive: %s", g_strerror (saved));
      return;
    }
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    {
      fsync (dfd);
      close (dfd);
    }
  g_task_return_boolean (task, TRUE);
}

typedef struct
{
  YgServer *server;
  SoupServerMessage *msg; /* NULL when recovering after a restart */
  char *upload_id;
  guint status;           /* 201 for creation-with-upload, else 204 */
  Finish *finish;
} Answer;

static void
answer_free (Answer *a)
{
  g_clear_object (&a->msg);
  g_free (a->upload_id);
  if (a->finish)
    finish_free (a->finish);
  g_free (a);
}

static gpointer
commit_ingest (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_ingest_commit (conn, data, error);
}

static void
respond_done (YgRequest *req, YgTusUpload *u, guint status)
{
  tus_headers (req);
  set_offset (req, u->offset);
  set_expires (req, u->expires_at);
  if (u->item_id != NULL && u->state == YG_TUS_DONE)
    soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                  "Yunguan-Item-Id", u->item_id);
  yg_request_respond_bytes (req, status, NULL, NULL);
}

static void
ingested (GObject *source, GAsyncResult *res, gpointer data)
{
  Answer *a = data;
  YgRequest *req = a->msg ? yg_request_get (a->msg) : NULL;
  YgTusStore *store = yg_server_get_uploads (a->server);
  YgTusUpload *u = yg_tus_store_lookup (store, a->upload_id);
  g_autoptr (GError) error = NULL;
  g_autofree char *item = yg_db_run_finish (YG_DB (source), res, &error);

  if (u == NULL)
    error = error ? error : g_error_new_literal (YG_HTTP_ERROR, YG_HTTP_ERROR_GONE, "The upload vanished");
  if (item == NULL || u == NULL)
    {
      if (u != NULL)
        u->locked = FALSE;
      g_warning ("upload %s: cataloguing failed: %s", a->upload_id, error->message);
      if (req != NULL)
        {
          tus_headers (req);
          yg_request_respond_error (req, error);
        }
      answer_free (a);
      return;
    }
  u->state = YG_TUS_DONE;
  yg_tus_store_drop_hash (u);
  g_free (u->item_id);
  u->item_id = g_strdup (item);
  if (!yg_tus_store_save (store, u, &error))
    g_warning ("upload %s: %s", u->id, error->message);
  u->locked = FALSE;
  g_message ("upload %s complete: item %s (%" G_GINT64_FORMAT " bytes)", u->id, item, a->finish->size);
  if (req != NULL)
    respond_done (req, u, a->status);
  answer_free (a);
}

static void
finished_moving (GObject *source, GAsyncResult *res, gpointer data)
{
  Answer *a = data;
  YgRequest *req = a->msg ? yg_request_get (a->msg) : NULL;
  YgTusStore *store = yg_server_get_uploads (a->server);
  YgTusUpload *u = yg_tus_store_lookup (store, a->upload_id);
  g_autoptr (GError) error = NULL;
  YgIngest in = { 0 };
  const char *title, *filename;

  if (!g_task_propagate_boolean (G_TASK (res), &error) || u == NULL)
    {
      if (u != NULL && g_error_matches (error, YG_HTTP_ERROR, YG_HTTP_ERROR_CHECKSUM_MISMATCH))
        {
          /* Nothing is created; the bytes are of no use. */
          g_autofree char *path = yg_tus_store_data_path (store, u);
          g_unlink (path);
          u->state = YG_TUS_FAILED;
          yg_tus_store_drop_hash (u);
          u->error_code = g_strdup ("checksum_mismatch");
          u->error_message = g_strdup (error->message);
          yg_tus_store_save (store, u, NULL);
        }
      if (u != NULL)
        u->locked = FALSE;
      if (error == NULL)
        error = g_error_new_literal (YG_HTTP_ERROR, YG_HTTP_ERROR_GONE, "The upload vanished");
      if (req != NULL)
        {
          tus_headers (req);
          yg_request_respond_error (req, error);
        }
      else
        g_warning ("upload %s: %s", a->upload_id, error->message);
      answer_free (a);
      return;
    }
  filename = g_hash_table_lookup (u->metadata, "filename");
  title = g_hash_table_lookup (u->metadata, "title");
  in.item_id = a->finish->item_id;
  in.kind = g_hash_table_lookup (u->metadata, "kind");
  in.title = title != NULL && title[0] ? title : filename != NULL ? filename : "未命名";
  in.description = g_hash_table_lookup (u->metadata, "description");
  in.path = a->finish->rel;
  in.size = a->finish->size;
  in.sha256 = a->finish->sha256;
  /* `in` points into the upload's metadata and the Finish, both alive until
   * the callback: the DB call copies what it keeps. */
  yg_db_run_async (yg_server_get_db (a->server), commit_ingest,
                   g_memdup2 (&in, sizeof in), g_free, g_free, NULL, ingested, a);
}

/* All bytes are here and durable: make the item. @req may be NULL (recovery). */
static void
begin_finishing (YgServer *server, YgRequest *req, YgTusUpload *u, guint status)
{
  YgTusStore *store = yg_server_get_uploads (server);
  const char *sha = g_hash_table_lookup (u->metadata, "sha256");
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  Answer *a = g_new0 (Answer, 1);
  Finish *f = g_new0 (Finish, 1);

  u->locked = TRUE;
  u->state = YG_TUS_FINISHING;
  if (u->item_id == NULL)
    u->item_id = yg_secret_new_id ();
  if (!yg_tus_store_save (store, u, &error))
    g_warning ("upload %s: %s", u->id, error->message);
  f->data_dir = g_strdup (yg_server_get_config (server)->data_dir);
  f->src = yg_tus_store_data_path (store, u);
  f->expected = sha ? g_strdup (sha) : NULL;
  f->item_id = g_strdup (u->item_id);
  f->ext = extension_of (g_hash_table_lookup (u->metadata, "filename"));
  f->rel = g_strdup_printf ("originals/%s/original.%s", f->item_id, f->ext);
  f->size = u->length;
  f->hash = yg_upload_hash_ref (yg_tus_store_get_hash (store, u));
  a->server = server;
  a->msg = req ? g_object_ref (req->msg) : NULL;
  a->upload_id = g_strdup (u->id);
  a->status = status;
  a->finish = f;
  if (req != NULL)
    yg_request_pause (req);
  task = g_task_new (NULL, NULL, finished_moving, a);
  g_task_set_task_data (task, f, NULL);
  g_task_run_in_thread (task, finish_in_thread);
}

/* --- completing a body ------------------------------------------------------------------ */

/* A write or fsync failed: the file is back at @kept. A full disk or quota
 * (507) says what was kept and what to do; the map picks the status. */
static void
respond_write_error (YgRequest *req, guint64 kept, const GError *error)
{
  g_autoptr (GError) full = NULL;

  set_offset (req, kept);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    {
      yg_request_respond_error (req, error);
      return;
    }
  full = g_error_new (G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                      "The server's storage is full, so this chunk was not stored. The upload "
                      "is kept up to byte %" G_GUINT64_FORMAT " (Upload-Offset). Ask the "
                      "administrator to free space, then resume with a PATCH from that offset; "
                      "or DELETE the upload to give its space back",
                      kept);
  yg_request_respond_error (req, full);
}

typedef struct
{
  SoupServerMessage *msg;
  guint status;
} Synced;

/* Thread: make the chunk durable and record the new offset. It saves a copy
 * of the upload so the main thread's fields are only written there. */
static void
fsync_in_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Receive *rx = data;
  GError *error = NULL;
  YgTusUpload next = *rx->upload;

  if (fsync (rx->fd) != 0)
    {
      int saved = errno;
      g_task_return_new_error (task, G_IO_ERROR, yg_io_error_from_errno (saved),
                               "Could not make the data durable: %s", g_strerror (saved));
      return;
    }
  next.offset = rx->start + rx->received;
  next.expires_at = rx->new_expiry;
  if (!yg_tus_store_save (rx->store, &next, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
synced (GObject *source, GAsyncResult *res, gpointer data)
{
  Synced *s = data;
  YgRequest *req = yg_request_get (s->msg);
  Receive *rx = req->route_data;
  YgTusUpload *u = rx->upload;
  g_autoptr (GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (res), &error))
    {
      rollback (rx);
      u->locked = FALSE;
      tus_headers (req);
      respond_write_error (req, rx->start, error);
      g_object_unref (s->msg);
      g_free (s);
      return;
    }
  u->offset = rx->start + rx->received;
  u->expires_at = rx->new_expiry;
  yg_upload_hash_advance (yg_tus_store_get_hash (rx->store, u), u->offset);
  if (u->offset == u->length)
    begin_finishing (req->server, req, u, s->status);
  else
    {
      u->locked = FALSE;
      respond_done (req, u, s->status);
    }
  g_object_unref (s->msg);
  g_free (s);
}

/* Handler side of a streamed body: check, fsync on a thread, acknowledge. */
static void
complete_body (YgRequest *req, guint status)
{
  Receive *rx = req->route_data;
  g_autoptr (GTask) task = NULL;
  Synced *s;

  rx->settled = TRUE;
  if (rx->write_errno != 0 || rx->too_much)
    {
      int e = rx->write_errno;
      rollback (rx);
      rx->upload->locked = FALSE;
      tus_headers (req);
      if (rx->too_much)
        yg_request_fail (req, YG_HTTP_ERROR_PAYLOAD_TOO_LARGE,
                         "The body goes past the Upload-Length declared at creation");
      else
        {
          g_autoptr (GError) error = g_error_new (G_IO_ERROR, yg_io_error_from_errno (e),
                                                  "Writing the upload failed: %s", g_strerror (e));
          respond_write_error (req, rx->start, error);
        }
      return;
    }
  if (rx->sum != NULL)
    {
      guint8 digest[32];
      gsize len = sizeof digest;
      gsize want;
      const guint8 *expected = g_bytes_get_data (rx->expected, &want);

      g_checksum_get_digest (rx->sum, digest, &len);
      if (len != want || memcmp (digest, expected, len) != 0)
        {
          rollback (rx);
          rx->upload->locked = FALSE;
          tus_headers (req);
          set_offset (req, rx->start);
          yg_request_fail (req, YG_HTTP_ERROR_CHECKSUM_MISMATCH,
                           "The chunk does not match its Upload-Checksum; it was discarded, send "
                           "it again from offset %" G_GUINT64_FORMAT, rx->start);
          return;
        }
    }
  s = g_new0 (Synced, 1);
  s->msg = g_object_ref (req->msg);
  s->status = status;
  rx->new_expiry = g_get_real_time () / G_USEC_PER_SEC + yg_tus_store_get_expire_seconds (rx->store);
  yg_request_pause (req);
  task = g_task_new (NULL, NULL, synced, s);
  g_task_set_task_data (task, rx, NULL);
  g_task_run_in_thread (task, fsync_in_thread);
}

/* --- OPTIONS ------------------------------------------------------------------------------ */

void
yg_route_uploads_options (YgServer *server, YgRequest *req)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (req->msg);
  g_autofree char *max = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                          yg_tus_store_get_max_size (yg_server_get_uploads (server)));

  tus_headers (req);
  if (soup_message_headers_get_one (h, "Access-Control-Allow-Origin") != NULL)
    {
      /* a CORS preflight from an allowed console */
      soup_message_headers_replace (h, "Access-Control-Allow-Methods",
                                    "POST, GET, HEAD, PATCH, DELETE, OPTIONS");
      soup_message_headers_replace (h, "Access-Control-Allow-Headers",
                                    "Authorization, Content-Type, Tus-Resumable, Upload-Length, "
                                    "Upload-Metadata, Upload-Offset, Upload-Checksum, "
                                    "Upload-Defer-Length, X-Request-Id, X-HTTP-Method-Override");
      soup_message_headers_replace (h, "Access-Control-Max-Age", "86400");
    }
  soup_message_headers_replace (h, "Tus-Version", YG_TUS_VERSION);
  soup_message_headers_replace (h, "Tus-Extension", YG_TUS_EXTENSIONS);
  soup_message_headers_replace (h, "Tus-Checksum-Algorithm", YG_TUS_CHECKSUMS);
  soup_message_headers_replace (h, "Tus-Max-Size", max);
  yg_request_respond_bytes (req, 204, NULL, NULL);
}

/* --- POST: creation (with upload) -------------------------------------------------------- */

static GHashTable *
checked_metadata (YgRequest *req, GError **error)
{
  g_autoptr (GHashTable) meta = yg_tus_parse_metadata (yg_request_header (req, "Upload-Metadata"),
                                                       error);
  const char *kind, *sha;

  if (meta == NULL)
    return NULL;
  kind = g_hash_table_lookup (meta, "kind");
  if (!yg_item_kind_is_valid (kind))
    {
      g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_BAD_REQUEST,
                           "Upload-Metadata needs kind: performance, lesson or heritage");
      return NULL;
    }
  sha = g_hash_table_lookup (meta, "sha256");
  if (sha != NULL)
    {
      gboolean ok = strlen (sha) == 64;
      for (const char *p = sha; ok && *p; p++)
        ok = g_ascii_isxdigit (*p);
      if (!ok)
        {
          g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_BAD_REQUEST,
                               "Upload-Metadata sha256 must be 64 hexadecimal digits");
          return NULL;
        }
    }
  return g_steal_pointer (&meta);
}

void
yg_route_uploads_create_early (YgServer *server, YgRequest *req)
{
  YgTusStore *store = yg_server_get_uploads (server);
  GError *error = NULL;
  g_autoptr (GHashTable) meta = NULL;
  guint64 length;
  YgTusUpload *u;
  const char *ctype = yg_request_header (req, "Content-Type");
  SoupMessageHeaders *rh = soup_server_message_get_request_headers (req->msg);
  gboolean with_body = soup_message_headers_get_encoding (rh) == SOUP_ENCODING_CHUNKED
                       || soup_message_headers_get_content_length (rh) > 0;

  if (!check_resumable (req, &error))
    FAIL (req, error);
  if (yg_request_header (req, "Upload-Defer-Length") != NULL)
    FAIL (req, g_error_new_literal (YG_HTTP_ERROR, YG_HTTP_ERROR_BAD_REQUEST,
                                               "Upload-Defer-Length is not supported; send "
                                               "Upload-Length"));
  if (!yg_tus_parse_uint (yg_request_header (req, "Upload-Length"), &length))
    FAIL (req, g_error_new_literal (YG_HTTP_ERROR, YG_HTTP_ERROR_BAD_REQUEST,
                                               "Upload-Length must be a non-negative integer"));
  if (with_body && g_strcmp0 (ctype, TUS_CONTENT_TYPE) != 0)
    FAIL (req, g_error_new_literal (YG_HTTP_ERROR, YG_HTTP_ERROR_UNSUPPORTED_MEDIA,
                                               "Upload data must be sent as " TUS_CONTENT_TYPE));
  meta = checked_metadata (req, &error);
  if (meta == NULL)
    FAIL (req, error);
  if (soup_message_headers_get_encoding (rh) == SOUP_ENCODING_CONTENT_LENGTH
      && (guint64) soup_message_headers_get_content_length (rh) > length)
    FAIL (req, g_error_new_literal (YG_HTTP_ERROR, YG_HTTP_ERROR_PAYLOAD_TOO_LARGE,
                                    "The body is longer than the Upload-Length it declares"));
  u = yg_tus_store_create (store, length, owner_of (req->principal), meta, &error);
  if (u == NULL)
    FAIL (req, error);
  g_object_set_data_full (G_OBJECT (req->msg), "yg-upload-id", g_strdup (u->id), g_free);
  if (with_body)
    start_receiving (req, u);
  else
    yg_request_resume (req);
}

void
yg_route_uploads_create (YgServer *server, YgRequest *req)
{
  const char *id = g_object_get_data (G_OBJECT (req->msg), "yg-upload-id");
  YgTusUpload *u = id ? yg_tus_store_lookup (yg_server_get_uploads (server), id) : NULL;
  g_autofree char *location = NULL;

  if (u == NULL)
    {
      yg_request_fail (req, YG_HTTP_ERROR_INTERNAL, "The upload was not created");
      return;
    }
  location = g_strdup_printf ("/api/v1/uploads/%s", u->id);
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), "Location",
                                location);
  if (req->route_data != NULL)
    complete_body (req, 201);
  else if (u->length == 0)
    begin_finishing (server, req, u, 201);
  else
    respond_done (req, u, 201);
}

/* --- PATCH ----------------------------------------------------------------------------------- */

void
yg_route_uploads_patch_early (YgServer *server, YgRequest *req)
{
  GError *error = NULL;
  guint64 offset;
  YgTusUpload *u;
  SoupMessageHeaders *rh = soup_server_message_get_request_headers (req->msg);

  if (!check_resumable (req, &error))
    FAIL (req, error);
  if (g_strcmp0 (yg_request_header (req, "Content-Type"), TUS_CONTENT_TYPE) != 0)
    FAIL (req, g_error_new_literal (YG_HTTP_ERROR, YG_HTTP_ERROR_UNSUPPORTED_MEDIA,
                                               "PATCH bodies must be " TUS_CONTENT_TYPE));
  if (!yg_tus_parse_uint (yg_request_header (req, "Upload-Offset"), &offset))
    FAIL (req, g_error_new_literal (YG_HTTP_ERROR, YG_HTTP_ERROR_BAD_REQUEST,
                                               "Upload-Offset must be a non-negative integer"));
  u = find_upload (req, &error);
  if (u == NULL)
    FAIL (req, error);
  if (u->locked)
    FAIL (req, g_error_new_literal (YG_HTTP_ERROR, YG_HTTP_ERROR_LOCKED,
                                               "Another request is writing this upload; retry "
                                               "when it has finished"));
  if (u->state != YG_TUS_RECEIVING || offset != u->offset)
    {
      set_offset (req, u->offset);
      FAIL (req, g_error_new (YG_HTTP_ERROR, YG_HTTP_ERROR_CONFLICT,
                                         "Upload-Offset %" G_GUINT64_FORMAT " does not match the "
                                         "server's offset %" G_GUINT64_FORMAT "; send HEAD and resume",
                                         offset, u->offset));
    }
  if (soup_message_headers_get_encoding (rh) == SOUP_ENCODING_CONTENT_LENGTH
      && (guint64) soup_message_headers_get_content_length (rh) > u->length - u->offset)
    FAIL (req, g_error_new_literal (YG_HTTP_ERROR, YG_HTTP_ERROR_PAYLOAD_TOO_LARGE,
                                               "The body goes past the Upload-Length declared at "
                                               "creation"));
  start_receiving (req, u);
}

void
yg_route_uploads_patch (YgServer *server, YgRequest *req)
{
  if (req->route_data == NULL)
    {
      yg_request_fail (req, YG_HTTP_ERROR_INTERNAL, "The upload was not opened");
      return;
    }
  complete_body (req, 204);
}

/* --- HEAD, GET, DELETE -------------------------------------------------------------------------- */

void
yg_route_uploads_head (YgServer *server, YgRequest *req)
{
  g_autoptr (GError) error = NULL;
  YgTusUpload *u;
  g_autofree char *length = NULL;

  tus_headers (req);
  if (!check_resumable (req, &error) || (u = find_upload (req, &error)) == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  length = g_strdup_printf ("%" G_GUINT64_FORMAT, u->length);
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Upload-Length", length);
  if (u->state == YG_TUS_FAILED)
    {
      yg_request_fail (req, YG_HTTP_ERROR_GONE, "%s",
                       u->error_message ? u->error_message : "This upload failed");
      return;
    }
  respond_done (req, u, 200);
}

void
yg_route_uploads_get (YgServer *server, YgRequest *req)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  YgTusUpload *u = find_upload (req, &error);

  if (u == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, u->id);
  json_builder_set_member_name (b, "length");
  json_builder_add_int_value (b, (gint64) u->length);
  json_builder_set_member_name (b, "offset");
  json_builder_add_int_value (b, (gint64) u->offset);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, yg_tus_state_to_string (u->state));
  json_builder_set_member_name (b, "item_id");
  if (u->state == YG_TUS_DONE && u->item_id != NULL)
    json_builder_add_string_value (b, u->item_id);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "error");
  if (u->error_code != NULL)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, u->error_code);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, u->error_message ? u->error_message : "");
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "expires_at");
  json_builder_add_int_value (b, u->expires_at);
  json_builder_end_object (b);
  yg_request_respond_json (req, 200, json_builder_get_root (b));
}

void
yg_route_uploads_delete (YgServer *server, YgRequest *req)
{
  g_autoptr (GError) error = NULL;
  YgTusUpload *u;

  tus_headers (req);
  if (!check_resumable (req, &error) || (u = find_upload (req, &error)) == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  if (u->locked)
    {
      yg_request_fail (req, YG_HTTP_ERROR_LOCKED, "The upload is being written; retry shortly");
      return;
    }
  yg_tus_store_remove (yg_server_get_uploads (server), u);
  yg_request_respond_bytes (req, 204, NULL, NULL);
}

/**
 * yg_uploads_recover:
 *
 * At start-up: finishes uploads that a crash left with all their bytes but
 * without an item (the file is hashed again, moved if needed, catalogued).
 */
void
yg_uploads_recover (YgServer *server)
{
  g_autoptr (GPtrArray) list = yg_tus_store_list_finishing (yg_server_get_uploads (server));

  for (guint i = 0; i < list->len; i++)
    {
      YgTusUpload *u = list->pdata[i];
      g_message ("upload %s: finishing after a restart", u->id);
      begin_finishing (server, NULL, u, 0);
    }
}

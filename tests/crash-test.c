/* crash-test.c: kill -9 under concurrent load, restart, check.
 *
 * Runs the real `yunguan serve` (one worker, loopback) on a temporary data
 * directory. Each cycle: a client thread uploads with tus (random lengths,
 * several PATCHes each, some uploads completing) and a signed-in resident
 * PUTs progress reports, while `yunguan import` adds short generated clips
 * that the worker transcodes; at a random moment the worker (sometimes), an
 * import (sometimes) and the server are SIGKILLed. With everything down:
 * `yunguan fsck` exits 0 (integrity_check and no row pointing at a missing
 * file) and PRAGMA integrity_check on a read-only connection says ok. The
 * server is restarted on the same directory and must show every write the
 * client saw acknowledged: HEAD offset ≥ acknowledged offset, a completed
 * upload names its item and the item exists, the stored progress position
 * is at least the last one acknowledged YG_PROGRESS_WRITE_INTERVAL + 1 s
 * before the kill (the buffer's documented loss window) and never one that
 * was not sent; orphans are gone (no upload bytes without their .info, no
 * temporary import copy of a dead import). At the end every imported item
 * must finish transcoding. Cycles last 0.1–1.5 s, every tenth one longer
 * than the progress interval (so that check has teeth). Cycles:
 * YG_CRASH_CYCLES (default 10; the slow suite runs 200). Suite: media.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "yg-progress-buffer.h"
#include "yg-test-server.h"

#define PASSWORD "crash-test-password"
#define DURATION 100000.0
#define FREE_BOX (4u << 20) /* bytes appended to each imported clip */

typedef struct
{
  char *id;
  guint64 length;
  guint64 acked;
  gboolean completed;
} Upload;

typedef struct
{
  double position;
  gint64 at_us;
} Report;

typedef struct
{
  char *dir;
  char *data;
  char *bin;
  char *token;
  char *cookie;   /* "name=value" of the resident's session */
  char *csrf;
  char *item;     /* the item whose progress is reported */
  char *clip;     /* a short generated clip; each import gets its own copy */
  YgTestServe *serve;
  guint starts;
  GRand *rand;
  GPtrArray *uploads;  /* (element-type Upload) of every cycle */
  GArray *reports;     /* (element-type Report) acknowledged, this cycle */
  double sent;         /* the furthest position ever sent */
  double stored;       /* the position found after the last restart */
  GPtrArray *imported; /* (element-type utf8) item ids */
  gint stop;
  guint stale_playlists, progress_due;
  guint imports, worker_kills, import_kills, acked_patches, acked_reports, completed;
} Fixture;

static void
upload_free (Upload *u)
{
  g_free (u->id);
  g_free (u);
}

/* --- HTTP (a failed request is an answer too: the server may be gone) ------------------- */

static SoupMessage *
send (SoupSession *session, Fixture *f, const char *method, const char *path, const char *ctype,
      GBytes *body, GBytes **reply, gboolean as_resident)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", f->serve->port, path);
  SoupMessage *msg = soup_message_new (method, url);
  SoupMessageHeaders *h = soup_message_get_request_headers (msg);
  g_autoptr (GBytes) got = NULL;

  if (as_resident)
    {
      g_autofree char *cookie = g_strdup (f->cookie);
      soup_message_headers_append (h, "Cookie", cookie);
      soup_message_headers_append (h, "X-CSRF-Token", f->csrf);
    }
  else
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", f->token);
      soup_message_headers_append (h, "Authorization", auth);
      soup_message_headers_append (h, "Tus-Resumable", "1.0.0");
    }
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, ctype, body);
  got = soup_session_send_and_read (session, msg, NULL, NULL);
  if (reply != NULL)
    *reply = g_steal_pointer (&got);
  return msg;
}

static guint
status_of (SoupMessage *msg)
{
  return soup_message_get_status (msg);
}

static guint64
header_u64 (SoupMessage *msg, const char *name)
{
  const char *v = soup_message_headers_get_one (soup_message_get_response_headers (msg), name);
  return v != NULL ? g_ascii_strtoull (v, NULL, 10) : G_MAXUINT64;
}

static JsonObject *
json_object_of (GBytes *body, JsonNode **owner)
{
  g_autoptr (JsonParser) p = json_parser_new ();

  *owner = NULL;
  if (body == NULL
      || !json_parser_load_from_data (p, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                      NULL)
      || json_parser_get_root (p) == NULL || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    return NULL;
  *owner = json_node_copy (json_parser_get_root (p));
  return json_node_get_object (*owner);
}

/* --- the load ------------------------------------------------------------------------ */

static Upload *
create_upload (SoupSession *session, Fixture *f)
{
  g_autoptr (SoupMessage) msg = NULL;
  g_autofree char *length = NULL;
  const char *location;
  Upload *u = g_new0 (Upload, 1);

  u->length = g_rand_int_range (f->rand, 16 << 10, 768 << 10);
  length = g_strdup_printf ("%" G_GUINT64_FORMAT, u->length);
  {
    g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/api/v1/uploads", f->serve->port);
    g_autofree char *auth = g_strdup_printf ("Bearer %s", f->token);
    msg = soup_message_new ("POST", url);
    SoupMessageHeaders *h = soup_message_get_request_headers (msg);
    soup_message_headers_append (h, "Authorization", auth);
    soup_message_headers_append (h, "Tus-Resumable", "1.0.0");
    soup_message_headers_append (h, "Upload-Length", length);
    /* filename "crash.bin", kind "lesson" */
    soup_message_headers_append (h, "Upload-Metadata", "filename Y3Jhc2guYmlu,kind bGVzc29u");
    g_autoptr (GBytes) ignored = soup_session_send_and_read (session, msg, NULL, NULL);
  }
  location = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Location");
  if (status_of (msg) != 201 || location == NULL)
    {
      upload_free (u);
      return NULL;
    }
  u->id = g_strdup (strrchr (location, '/') + 1);
  return u;
}

/* One PATCH of the next piece; FALSE when the server did not acknowledge it. */
static gboolean
patch (SoupSession *session, Fixture *f, Upload *u)
{
  guint64 n = MIN (u->length - u->acked, (guint64) g_rand_int_range (f->rand, 8 << 10, 256 << 10));
  g_autofree char *bytes = g_malloc (n);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/api/v1/uploads/%s", f->serve->port,
                                          u->id);
  g_autofree char *auth = g_strdup_printf ("Bearer %s", f->token);
  g_autofree char *offset = g_strdup_printf ("%" G_GUINT64_FORMAT, u->acked);
  g_autoptr (SoupMessage) msg = soup_message_new ("PATCH", url);
  SoupMessageHeaders *h = soup_message_get_request_headers (msg);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GBytes) ignored = NULL;
  guint64 acked;

  for (guint64 i = 0; i < n; i++)
    bytes[i] = (char) ((u->acked + i) * 7 + 1);
  body = g_bytes_new_take (g_steal_pointer (&bytes), n);
  soup_message_headers_append (h, "Authorization", auth);
  soup_message_headers_append (h, "Tus-Resumable", "1.0.0");
  soup_message_headers_append (h, "Upload-Offset", offset);
  soup_message_set_request_body_from_bytes (msg, "application/offset+octet-stream", body);
  ignored = soup_session_send_and_read (session, msg, NULL, NULL);
  if (status_of (msg) != 204)
    return FALSE;
  acked = header_u64 (msg, "Upload-Offset");
  g_assert_cmpuint (acked, ==, u->acked + n);
  u->acked = acked;
  f->acked_patches++;
  if (u->acked == u->length)
    {
      u->completed = TRUE;
      f->completed++;
    }
  return TRUE;
}

static gboolean
report_progress (SoupSession *session, Fixture *f)
{
  double position = f->sent + 1.0;
  g_autofree char *text = g_strdup_printf ("{\"position\":%.1f,\"duration\":%.1f}", position,
                                           DURATION);
  g_autofree char *path = g_strdup_printf ("/api/v1/progress/%s", f->item);
  g_autoptr (GBytes) body = g_bytes_new (text, strlen (text));
  g_autoptr (SoupMessage) msg = NULL;

  f->sent = position;
  msg = send (session, f, "PUT", path, "application/json", body, NULL, TRUE);
  if (status_of (msg) != 204)
    return FALSE;
  g_array_append_val (f->reports, ((Report){ position, g_get_monotonic_time () }));
  f->acked_reports++;
  return TRUE;
}

static gpointer
client_thread (gpointer data)
{
  Fixture *f = data;
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 10, NULL);
  Upload *u = NULL;

  for (guint i = 0; !g_atomic_int_get (&f->stop); i++)
    {
      if (u == NULL || u->completed)
        {
          if ((u = create_upload (session, f)) == NULL)
            break;
          g_ptr_array_add (f->uploads, u);
        }
      if (!patch (session, f, u))
        break;
      if (i % 2 == 0 && !report_progress (session, f))
        break;
    }
  return NULL;
}

/* --- processes ----------------------------------------------------------------------- */

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
start_server (Fixture *f)
{
  g_autofree char *name = g_strdup_printf ("server-%u.log", ++f->starts);
  g_autofree char *log = g_build_filename (f->dir, name, NULL);

  f->serve = yg_test_serve_spawn (NULL, f->data, log,
                                  (const char *const[]){ "--workers", "1", NULL });
}

/* The pool's worker process(es): children of the server whose argv[1] is "worker". */
static GPid
find_worker (GPid server)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/task/%d/children", server, server);
  g_autofree char *children = NULL;
  g_auto (GStrv) pids = NULL;

  if (!g_file_get_contents (path, &children, NULL, NULL))
    return 0;
  pids = g_strsplit (g_strstrip (children), " ", -1);
  for (guint i = 0; pids[i] != NULL; i++)
    {
      g_autofree char *cmd_path = g_strdup_printf ("/proc/%s/cmdline", pids[i]);
      g_autofree char *cmd = NULL;
      gsize len;
      if (g_file_get_contents (cmd_path, &cmd, &len, NULL) && len > strlen (cmd) + 1
          && g_str_equal (cmd + strlen (cmd) + 1, "worker"))
        return atoi (pids[i]);
    }
  return 0;
}

static GSubprocess *
start_import (Fixture *f)
{
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                   | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autofree char *name = g_strdup_printf ("clip-%u.mp4", f->imports++);
  g_autofree char *copy = g_build_filename (f->dir, name, NULL);
  g_autofree char *clip = NULL;
  gsize len;
  GSubprocess *proc;
  guint32 box_len = FREE_BOX;
  g_autofree guint8 *box = g_malloc0 (box_len);

  /* the same clip plus a "free" box of its own (a new file to the archive,
   * and a copy long enough for a kill to land in the middle of it) */
  g_assert_true (g_file_get_contents (f->clip, &clip, &len, NULL));
  box[0] = box_len >> 24, box[1] = box_len >> 16, box[2] = box_len >> 8, box[3] = box_len;
  memcpy (box + 4, "free", 4);
  for (guint i = 8; i < 16; i++)
    box[i] = (guint8) g_rand_int (f->rand);
  {
    g_autoptr (GByteArray) a = g_byte_array_new ();
    g_byte_array_append (a, (const guint8 *) clip, len);
    g_byte_array_append (a, box, box_len);
    g_assert_true (g_file_set_contents (copy, (const char *) a->data, a->len, NULL));
  }
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  proc = g_subprocess_launcher_spawn (launcher, NULL, f->bin, "import", "--data", f->data, "--kind",
                                      "lesson", "--title", name, "--quiet", copy, NULL);
  g_assert_nonnull (proc);
  return proc;
}

/* --- checks -------------------------------------------------------------------------- */

static void
check_offline (Fixture *f, gboolean allow_stale_playlists)
{
  g_autofree char *db_path = g_build_filename (f->data, "catalog.db", NULL);
  g_autofree char *out = NULL, *err = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;

  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (st, 0), ==, "ok");
  sqlite3_finalize (st);
  sqlite3_close (db);

  if (yg_test_spawn ((const char *const[]){ f->bin, "fsck", "--data", f->data, NULL }, &out, &err))
    return;
  /* Right after a kill only: a master playlist rewritten by a worker whose
   * report never reached the server keeps its old size in the catalogue
   * until the requeued job reports it again (checked at the end, with
   * everything finished). Anything else fails. */
  {
    g_autofree char *all = g_strconcat (out ? out : "", "\n", err ? err : "", NULL);
    g_auto (GStrv) lines = g_strsplit (all, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++)
      if (strstr (lines[i], ": media/") != NULL)
        {
          if (!allow_stale_playlists || !strstr (lines[i], ".m3u8 has "))
            g_error ("yunguan fsck failed after a kill:\n%s", all);
          f->stale_playlists++;
        }
      else if (strstr (lines[i], "problems") == NULL && lines[i][0] != '\0')
        g_error ("yunguan fsck failed after a kill:\n%s", all);
  }
}

static void
check_uploads (Fixture *f, SoupSession *session)
{
  for (guint i = 0; i < f->uploads->len; i++)
    {
      Upload *u = f->uploads->pdata[i];
      g_autofree char *path = g_strdup_printf ("/api/v1/uploads/%s", u->id);
      g_autoptr (SoupMessage) msg = NULL;
      g_autoptr (GBytes) body = NULL;
      g_autoptr (JsonNode) owner = NULL;
      JsonObject *o;

      if (u->acked == 0 && !u->completed)
        continue;
      if (!u->completed)
        {
          msg = send (session, f, "HEAD", path, NULL, NULL, NULL, FALSE);
          g_assert_cmpuint (status_of (msg), ==, 200);
          g_assert_cmpuint (header_u64 (msg, "Upload-Offset"), >=, u->acked);
          g_assert_cmpuint (header_u64 (msg, "Upload-Offset"), <=, u->length);
          continue;
        }
      msg = send (session, f, "GET", path, NULL, NULL, &body, FALSE);
      g_assert_cmpuint (status_of (msg), ==, 200);
      o = json_object_of (body, &owner);
      g_assert_nonnull (o);
      g_assert_true (json_object_has_member (o, "item_id"));
      {
        g_autofree char *item_path
            = g_strdup_printf ("/api/v1/items/%s", json_object_get_string_member (o, "item_id"));
        g_autoptr (SoupMessage) item = send (session, f, "GET", item_path, NULL, NULL, NULL, FALSE);
        g_assert_cmpuint (status_of (item), ==, 200);
      }
    }
}

static void
check_progress (Fixture *f, SoupSession *session, gint64 killed_at)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/progress/%s", f->item);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (SoupMessage) msg = send (session, f, "GET", path, NULL, NULL, &body, TRUE);
  g_autoptr (JsonNode) owner = NULL;
  JsonObject *o = json_object_of (body, &owner);
  double must = f->stored, position;

  g_assert_cmpuint (status_of (msg), ==, 200);
  g_assert_nonnull (o);
  position = json_object_get_double_member_with_default (o, "position", 0);
  for (guint i = 0; i < f->reports->len; i++)
    {
      const Report *r = &g_array_index (f->reports, Report, i);
      if (r->at_us <= killed_at - (YG_PROGRESS_WRITE_INTERVAL + 1) * G_USEC_PER_SEC)
        must = MAX (must, r->position);
    }
  if (must > f->stored)
    f->progress_due++;
  g_assert_cmpfloat (position, >=, must);
  g_assert_cmpfloat (position, <=, f->sent);
  f->stored = position;
  g_array_set_size (f->reports, 0);
}

/* Nothing left behind: upload files of no upload, temporary files, copies of a dead import. */
static void
check_orphans (Fixture *f)
{
  g_autofree char *uploads = g_build_filename (f->data, "uploads", NULL);
  g_autofree char *tmp = g_build_filename (f->data, "tmp", NULL);
  g_autoptr (GDir) d = g_dir_open (uploads, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      /* <id>, <id>.sha256 (hash state) and <id>.info, the record of them */
      g_autofree char *id = g_strndup (name, strcspn (name, "."));
      g_autofree char *info = g_strdup_printf ("%s/%s.info", uploads, id);
      if (!g_file_test (info, G_FILE_TEST_EXISTS) || g_str_has_suffix (name, ".tmp"))
        g_error ("orphan in uploads/: %s", name);
    }
  g_clear_pointer (&d, g_dir_close);
  d = g_dir_open (tmp, 0, NULL);
  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    g_error ("left in tmp/ after a restart: %s", name);
}

/* --- the test ------------------------------------------------------------------------ */

static void
sign_in (Fixture *f, SoupSession *session, gboolean first)
{
  static const char reg[]
      = "{\"username\":\"crashtest\",\"password\":\"" PASSWORD "\",\"display_name\":\"C\"}";
  static const char cred[] = "{\"username\":\"crashtest\",\"password\":\"" PASSWORD "\"}";
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/api/v1/", f->serve->port);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonNode) owner = NULL;
  const char *set;
  JsonObject *o;

  if (first)
    {
      g_autofree char *u = g_strconcat (url, "accounts", NULL);
      g_autoptr (SoupMessage) msg = soup_message_new ("POST", u);
      g_autoptr (GBytes) b = g_bytes_new_static (reg, strlen (reg));
      soup_message_set_request_body_from_bytes (msg, "application/json", b);
      g_autoptr (GBytes) ignored = soup_session_send_and_read (session, msg, NULL, NULL);
      g_assert_cmpuint (status_of (msg), ==, 201);
    }
  {
    g_autofree char *u = g_strconcat (url, "session", NULL);
    g_autoptr (SoupMessage) msg = soup_message_new ("POST", u);
    g_autoptr (GBytes) b = g_bytes_new_static (cred, strlen (cred));
    soup_message_set_request_body_from_bytes (msg, "application/json", b);
    g_autoptr (GError) error = NULL;
    body = soup_session_send_and_read (session, msg, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (status_of (msg), ==, 200);
    set = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Set-Cookie");
    g_assert_nonnull (set);
    g_free (f->cookie);
    f->cookie = g_strndup (set, strcspn (set, ";"));
  }
  o = json_object_of (body, &owner);
  g_assert_nonnull (o);
  g_free (f->csrf);
  f->csrf = g_strdup (json_object_get_string_member (o, "csrf_token"));
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;

  f->dir = yg_test_make_tmpdir ();
  f->data = g_build_filename (f->dir, "data", NULL);
  f->bin = yg_test_binary ();
  f->token = yg_test_cli_token (f->data, "staff");
  f->rand = g_rand_new_with_seed (g_test_rand_int ());
  f->uploads = g_ptr_array_new_with_free_func ((GDestroyNotify) upload_free);
  f->reports = g_array_new (FALSE, FALSE, sizeof (Report));
  f->imported = g_ptr_array_new_with_free_func (g_free);
  f->clip = yg_test_ffmpeg (f->dir, "clip.mp4",
                            (const char *const[]){ "-f", "lavfi", "-i",
                                                   "testsrc2=size=320x180:rate=25", "-f", "lavfi",
                                                   "-i", "sine=frequency=440:sample_rate=48000",
                                                   "-t", "2", "-c:v", "libx264", "-preset",
                                                   "ultrafast", "-pix_fmt", "yuv420p", "-c:a",
                                                   "aac", NULL });
  /* the item progress is reported on */
  g_assert_true (yg_test_spawn ((const char *const[]){ f->bin, "import", "--data", f->data,
                                                       "--kind", "lesson", "--title", "progress",
                                                       "--quiet", f->clip, NULL },
                                &out, NULL));
  f->item = g_strdup (g_strstrip (out));
  g_assert_cmpuint (strlen (f->item), ==, 16);
  g_ptr_array_add (f->imported, g_strdup (f->item));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->serve != NULL)
    yg_test_serve_stop (f->serve);
  yg_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->data);
  g_free (f->bin);
  g_free (f->token);
  g_free (f->cookie);
  g_free (f->csrf);
  g_free (f->item);
  g_free (f->clip);
  g_rand_free (f->rand);
  g_ptr_array_unref (f->uploads);
  g_array_unref (f->reports);
  g_ptr_array_unref (f->imported);
}

static void
wait_all_ready (Fixture *f, SoupSession *session)
{
  gint64 give_up = g_get_monotonic_time () + 300 * G_USEC_PER_SEC;

  for (guint i = 0; i < f->imported->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/items/%s", (char *) f->imported->pdata[i]);
      for (;;)
        {
          g_autoptr (GBytes) body = NULL;
          g_autoptr (SoupMessage) msg = send (session, f, "GET", path, NULL, NULL, &body, FALSE);
          g_autoptr (JsonNode) owner = NULL;
          JsonObject *o = json_object_of (body, &owner);
          const char *status;

          g_assert_cmpuint (status_of (msg), ==, 200);
          status = json_object_get_string_member (o, "status");
          if (g_str_equal (status, "failed"))
            g_error ("item %s failed after the kills: %s", (char *) f->imported->pdata[i],
                     (char *) g_bytes_get_data (body, NULL));
          if (g_str_equal (status, "ready"))
            break;
          g_assert_cmpint (g_get_monotonic_time (), <, give_up);
          g_usleep (200 * 1000);
        }
    }
}

static void
test_cycles (Fixture *f, gconstpointer data)
{
  const char *env = g_getenv ("YG_CRASH_CYCLES");
  guint cycles = env != NULL ? (guint) atoi (env) : 10;
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 20, NULL);
  gint64 started = g_get_monotonic_time ();

  start_server (f);
  sign_in (f, session, TRUE);
  for (guint c = 0; c < cycles; c++)
    {
      GSubprocess *import = g_rand_int_range (f->rand, 0, 3) == 0 ? start_import (f) : NULL;
      GThread *client;
      GPid server = yg_test_serve_pid (f->serve), worker;
      gint64 killed_at;

      g_atomic_int_set (&f->stop, 0);
      client = g_thread_new ("client", client_thread, f);
      if (import != NULL && g_rand_boolean (f->rand))
        {
          /* early: often while it copies into tmp/ */
          g_usleep (g_rand_int_range (f->rand, 0, 150) * 1000);
          g_subprocess_force_exit (import);
          f->import_kills++;
        }
      /* every tenth cycle outlasts the progress buffer's interval, so some
       * acknowledged reports must have been written when the kill comes */
      if (c % 10 == 9)
        g_usleep ((YG_PROGRESS_WRITE_INTERVAL + 2) * G_USEC_PER_SEC
                  + g_rand_int_range (f->rand, 0, 1000) * 1000);
      else
        g_usleep (g_rand_int_range (f->rand, 100, 1500) * 1000);
      if (g_rand_int_range (f->rand, 0, 4) == 0 && (worker = find_worker (server)) > 0)
        {
          kill (worker, SIGKILL);
          f->worker_kills++;
          g_usleep (g_rand_int_range (f->rand, 0, 300) * 1000);
        }
      kill (server, SIGKILL);
      killed_at = g_get_monotonic_time ();
      g_subprocess_wait (f->serve->proc, NULL, NULL);
      g_atomic_int_set (&f->stop, 1);
      g_thread_join (client);
      if (import != NULL)
        {
          g_autoptr (GBytes) out = NULL;
          g_subprocess_communicate (import, NULL, NULL, &out, NULL, NULL);
          if (g_subprocess_get_if_exited (import) && g_subprocess_get_exit_status (import) == 0)
            g_ptr_array_add (f->imported,
                             g_strstrip (g_strndup (g_bytes_get_data (out, NULL),
                                                    g_bytes_get_size (out))));
          g_object_unref (import);
        }
      /* the worker (and its transcoder) die with the server */
      g_usleep (100 * 1000);
      g_clear_pointer (&f->serve, yg_test_serve_stop);
      check_offline (f, TRUE);

      start_server (f);
      sign_in (f, session, FALSE);
      check_uploads (f, session);
      check_progress (f, session, killed_at);
      check_orphans (f);
      g_test_message ("cycle %u done at %.1f s", c, (g_get_monotonic_time () - started) / 1e6);
    }
  wait_all_ready (f, session);
  g_clear_pointer (&f->serve, yg_test_serve_stop);
  check_offline (f, FALSE);
  g_test_message ("%u kill cycles survived: %u acknowledged PATCHes, %u completed uploads, %u "
                  "acknowledged progress reports (%u restarts with a report that had to be "
                  "stored), %u imports (%u killed), %u worker kills, %u fsck lines of stale "
                  "playlist sizes",
                  cycles, f->acked_patches, f->completed, f->acked_reports, f->progress_due,
                  f->imports, f->import_kills, f->worker_kills, f->stale_playlists);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/crash/kill-9-under-load", Fixture, NULL, setup, test_cycles, teardown);
  return g_test_run ();
}

/* jobs-http-test.c: the job protocol and staff job control over real HTTP.
 *
 * A real server (yg-test-server: in-process, ephemeral loopback port, its own
 * temporary data directory and catalogue) is driven with raw HTTP/1.1
 * requests. Items, original-file rows and jobs are seeded with the catalogue
 * functions on the server's DB thread. Covered: leasing (204 when idle, the
 * job/input/output document, long polls answered by a job queued meanwhile, an item without its original), auth classes on
 * every job route, heartbeats and progress as staff see it, malformed bodies
 * refused without side effects, published files (path rules, files that do
 * not exist yet, symlinks, the item becoming playable), completion, another
 * worker's reports refused with 409, fail codes, staff cancel/retry and the
 * worker locked out after a cancel, list filters and job ids that are not
 * ids. Worker tokens are created with distinct names, because the lease owner
 * is the token's name. Suite: http.
 */
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "yg-item-store.h"
#include "yg-job-store.h"
#include "yg-principal.h"
#include "yg-routes.h"
#include "yg-secret.h"
#include "yg-test-server.h"
#include "yg-token-store.h"

typedef struct
{
  YgTestServer *ts;
  char *worker;  /* worker token named "worker-one" */
  char *worker2; /* worker token named "worker-two" */
  char *staff;
} Fixture;

/* --- tokens and seeds (DB thread) ---------------------------------------------------- */

typedef struct
{
  const char *role;
  const char *name;
} TokenArgs;

static gpointer
create_named_token (gpointer conn, gpointer data, GError **error)
{
  TokenArgs *a = data;

  return yg_token_store_create (conn, yg_role_from_string (a->role), a->name, 0, error);
}

static char *
named_token (Fixture *f, const char *role, const char *name)
{
  TokenArgs a = { role, name };
  char *token = yg_test_server_db_sync (f->ts, create_named_token, &a);

  g_assert_nonnull (token);
  return token;
}

typedef struct
{
  gboolean with_original;
  char *item_id;
  gint64 job_id;
} Seed;

/* An item (status processing), optionally its original's row, and a queued job. */
static gpointer
seed_func (gpointer conn, gpointer data, GError **error)
{
  Seed *s = data;
  g_autofree char *id = yg_item_store_insert (conn, NULL, "lesson", "书法入门 第一课", "", error);
  g_autofree char *path = NULL;

  if (id == NULL)
    return NULL;
  if (s->with_original)
    {
      path = g_strdup_printf ("originals/%s/original.mp4", id);
      if (!yg_item_store_add_file (conn, id, "original", path, 1234,
                                   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                   error))
        return NULL;
    }
  s->job_id = yg_job_store_enqueue (conn, id, error);
  if (s->job_id == 0)
    return NULL;
  s->item_id = g_steal_pointer (&id);
  return s;
}

static Seed *
seed (Fixture *f, gboolean with_original)
{
  Seed *s = g_new0 (Seed, 1);

  s->with_original = with_original;
  g_assert_true (yg_test_server_db_sync (f->ts, seed_func, s) == s);
  return s;
}

static void
seed_free (Seed *s)
{
  g_free (s->item_id);
  g_free (s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Seed, seed_free)

typedef struct
{
  const char *sql;
  char *text;
} Query;

static gpointer
query_func (gpointer conn, gpointer data, GError **error)
{
  Query *q = data;
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn, q->sql, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  rc = yg_db_conn_step (conn, stmt, error);
  if (rc < 0)
    return NULL;
  q->text = rc == SQLITE_ROW ? yg_db_column_dup (stmt, 0) : NULL;
  if (q->text == NULL)
    q->text = g_strdup ("NULL");
  sqlite3_reset (stmt);
  return q;
}

/* The first column of the first row as text ("NULL" for none). */
static char *
query_text (Fixture *f, const char *format, ...) G_GNUC_PRINTF (2, 3);

static char *
query_text (Fixture *f, const char *format, ...)
{
  va_list args;
  g_autofree char *sql = NULL;
  Query q = { NULL, NULL };

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  q.sql = sql;
  g_assert_true (yg_test_server_db_sync (f->ts, query_func, &q) == &q);
  return q.text;
}

static gpointer
exec_func (gpointer conn, gpointer data, GError **error)
{
  return yg_db_conn_exec (conn, data, error) ? data : NULL;
}

static void
exec_sql (Fixture *f, const char *sql)
{
  g_assert_true (yg_test_server_db_sync (f->ts, exec_func, (gpointer) sql) == sql);
}

/* --- fixture ----------------------------------------------------------------------------- */

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->ts = yg_test_server_start (NULL, yg_routes, yg_n_routes);
  f->worker = named_token (f, "worker", "worker-one");
  f->worker2 = named_token (f, "worker", "worker-two");
  f->staff = yg_test_server_token (f->ts, "staff");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  yg_test_server_stop (f->ts);
  g_free (f->worker);
  g_free (f->worker2);
  g_free (f->staff);
}

/* --- HTTP helpers ------------------------------------------------------------------------ */

/* Sends one request; @ctype and @body may be NULL. Returns the whole response. */
static char *
request (Fixture *f, const char *method, const char *path, const char *token, const char *ctype,
         const char *body, guint *status)
{
  g_autoptr (GString) req = g_string_new (NULL);

  g_string_append_printf (req, "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n", method, path);
  if (token != NULL)
    g_string_append_printf (req, "Authorization: Bearer %s\r\n", token);
  if (ctype != NULL)
    g_string_append_printf (req, "Content-Type: %s\r\n", ctype);
  if (body != NULL)
    g_string_append_printf (req, "Content-Length: %zu\r\n", strlen (body));
  else if (g_str_equal (method, "POST"))
    g_string_append (req, "Content-Length: 0\r\n");
  g_string_append (req, "\r\n");
  if (body != NULL)
    g_string_append (req, body);
  return yg_test_http (f->ts->port, req->str, status);
}

static char *
post_json (Fixture *f, const char *path, const char *token, const char *body, guint *status)
{
  return request (f, "POST", path, token, "application/json", body, status);
}

static char *
get (Fixture *f, const char *path, const char *token, guint *status)
{
  return request (f, "GET", path, token, NULL, NULL, status);
}

static const char *
body_of (const char *response)
{
  const char *body = strstr (response, "\r\n\r\n");

  g_assert_nonnull (body);
  return body + 4;
}

static JsonNode *
body_json (const char *response)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, body_of (response), -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static void
assert_error_body (const char *response, const char *code)
{
  g_autoptr (JsonNode) root = body_json (response);
  JsonObject *err = json_object_get_object_member (json_node_get_object (root), "error");

  g_assert_nonnull (err);
  g_assert_cmpstr (json_object_get_string_member (err, "code"), ==, code);
  g_assert_cmpuint (strlen (json_object_get_string_member (err, "message")), >, 5);
}

/* POSTs to /api/v1/worker/jobs/<id>/<verb>. */
static char *
report (Fixture *f, gint64 job_id, const char *verb, const char *token, const char *body,
        guint *status)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/worker/jobs/%" G_GINT64_FORMAT "/%s", job_id, verb);

  return post_json (f, path, token, body, status);
}

/* Asserts a report is answered with @expected (and the JSON error @code). */
static void
report_expect (Fixture *f, gint64 job_id, const char *verb, const char *token, const char *body,
               guint expected, const char *code)
{
  guint status;
  g_autofree char *r = report (f, job_id, verb, token, body, &status);

  g_test_message ("%s %s → %u", verb, body, status);
  g_assert_cmpuint (status, ==, expected);
  if (code != NULL)
    assert_error_body (r, code);
}

/* GET /api/v1/jobs/<id> as staff. */
static JsonNode *
staff_job (Fixture *f, gint64 job_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/jobs/%" G_GINT64_FORMAT, job_id);
  guint status;
  g_autofree char *r = get (f, path, f->staff, &status);

  g_assert_cmpuint (status, ==, 200);
  return body_json (r);
}

static JsonNode *
public_item (Fixture *f, const char *item_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/items/%s", item_id);
  guint status;
  g_autofree char *r = get (f, path, NULL, &status);

  g_assert_cmpuint (status, ==, 200);
  return body_json (r);
}

static void
assert_job (Fixture *f, gint64 job_id, const char *state, double progress)
{
  g_autoptr (JsonNode) root = staff_job (f, job_id);
  JsonObject *o = json_node_get_object (root);

  g_assert_cmpint (json_object_get_int_member (o, "id"), ==, job_id);
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, state);
  if (progress >= 0)
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "progress"), progress, 1e-9);
}

/* Leases as @token and asserts it got @expected_job. */
static void
lease_ok (Fixture *f, const char *token, gint64 expected_job)
{
  guint status;
  g_autofree char *r = post_json (f, "/api/v1/worker/lease", token, "{}", &status);
  g_autoptr (JsonNode) root = NULL;

  g_assert_cmpuint (status, ==, 200);
  root = body_json (r);
  g_assert_cmpint (json_object_get_int_member (
                     json_object_get_object_member (json_node_get_object (root), "job"), "id"),
                   ==, expected_job);
}

/* Writes @size bytes to DATA/@rel, creating directories. */
static void
write_data_file (Fixture *f, const char *rel, gsize size)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *full = g_build_filename (f->ts->data_dir, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (full);
  g_autofree char *bytes = g_malloc (size + 1);

  memset (bytes, '#', size);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (full, bytes, size, &error));
  g_assert_no_error (error);
}

/* --- /jobs/http/lease ----------------------------------------------------------------- */

static void
test_lease_empty (Fixture *f, gconstpointer data)
{
  guint status;
  g_autofree char *r = post_json (f, "/api/v1/worker/lease", f->worker, "{}", &status);

  g_assert_cmpuint (status, ==, 204);
  g_assert_cmpstr (body_of (r), ==, "");
}

static void
test_lease_job (Fixture *f, gconstpointer data)
{
  g_autoptr (Seed) s = seed (f, TRUE);
  g_autofree char *input = g_strdup_printf ("originals/%s/original.mp4", s->item_id);
  g_autofree char *output = g_strdup_printf ("media/%s", s->item_id);
  g_autofree char *r = NULL, *again = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *o, *job;
  guint status;

  r = post_json (f, "/api/v1/worker/lease", f->worker, "{}", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strcasestr (r, "Content-Type: application/json"));
  root = body_json (r);
  o = json_node_get_object (root);
  job = json_object_get_object_member (o, "job");
  g_assert_nonnull (job);
  g_assert_cmpint (json_object_get_int_member (job, "id"), ==, s->job_id);
  g_assert_cmpstr (json_object_get_string_member (job, "item_id"), ==, s->item_id);
  g_assert_cmpstr (json_object_get_string_member (job, "state"), ==, "running");
  g_assert_cmpint (json_object_get_int_member (job, "attempts"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (o, "input"), ==, input);
  g_assert_cmpstr (json_object_get_string_member (o, "output"), ==, output);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (o, "input"), "originals/"));
  g_assert_cmpint (json_object_get_int_member (o, "lease_seconds"), >, 0);

  /* Leased to this worker (its token's id: names need not be unique); nothing left to lease. */
  {
    g_autofree char *owner = query_text (f, "SELECT lease_owner FROM jobs WHERE id = %" G_GINT64_FORMAT,
                                         s->job_id);
    g_autofree char *token_id = query_text (f, "SELECT id FROM tokens WHERE name = '%s'", "worker-one");
    g_assert_cmpstr (owner, ==, token_id);
  }
  again = post_json (f, "/api/v1/worker/lease", f->worker2, "{}", &status);
  g_assert_cmpuint (status, ==, 204);
  assert_job (f, s->job_id, "running", 0);
}

/* Long poll: {"wait": s} holds the request until a job can be leased. */
typedef struct
{
  Fixture *f;
  const char *body;
  guint status;
  char *response;
} ParkedLease;

static gpointer
parked_lease (gpointer data)
{
  ParkedLease *p = data;

  p->response = post_json (p->f, "/api/v1/worker/lease", p->f->worker, p->body, &p->status);
  return NULL;
}

static void
test_lease_wait (Fixture *f, gconstpointer data)
{
  const char *bad[] = { "{\"wait\":-1}", "{\"wait\":31}", "{\"wait\":\"5\"}", "{\"wait\":1.5}",
                        "{\"wait\":null}", "[1]", "{\"wait\":" };
  ParkedLease idle = { f, "{\"wait\":1}", 0, NULL };
  ParkedLease busy = { f, "{\"wait\":20}", 0, NULL };
  g_autoptr (Seed) s = NULL;
  g_autoptr (JsonNode) root = NULL;
  GThread *t;
  gint64 t0;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      guint status;
      g_autofree char *r = post_json (f, "/api/v1/worker/lease", f->worker, bad[i], &status);
      g_test_message ("%s → %u", bad[i], status);
      g_assert_cmpuint (status, ==, 400);
    }

  /* Nothing arrives: 204 once the wait is over, not at once. */
  t0 = g_get_monotonic_time ();
  parked_lease (&idle);
  g_assert_cmpuint (idle.status, ==, 204);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, G_USEC_PER_SEC * 9 / 10);
  g_free (idle.response);

  /* A job queued while the worker waits is handed to it (not at the deadline). */
  t = g_thread_new ("parked", parked_lease, &busy);
  g_usleep (500 * 1000);
  s = seed (f, TRUE);
  t0 = g_get_monotonic_time ();
  g_thread_join (t);
  g_assert_cmpuint (busy.status, ==, 200);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 15 * G_USEC_PER_SEC);
  root = body_json (busy.response);
  g_assert_cmpint (json_object_get_int_member (
                     json_object_get_object_member (json_node_get_object (root), "job"), "id"),
                   ==, s->job_id);
  g_free (busy.response);
  assert_job (f, s->job_id, "running", 0);
}

/* A job whose item has no original can never run: it fails at lease time. */
static void
test_lease_original_missing (Fixture *f, gconstpointer data)
{
  g_autoptr (Seed) s = seed (f, FALSE);
  g_autoptr (JsonNode) item = NULL;
  g_autoptr (JsonNode) job = NULL;
  g_autofree char *r = NULL, *again = NULL;
  JsonObject *o;
  guint status;

  r = post_json (f, "/api/v1/worker/lease", f->worker, "{}", &status);
  g_test_message ("lease of an item without its original → %u", status);
  g_assert_cmpuint (status, !=, 200);
  g_assert_cmpuint (status, <, 500);

  job = staff_job (f, s->job_id);
  o = json_node_get_object (job);
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "error"), "code"),
                   ==, "original_missing");
  item = public_item (f, s->item_id);
  o = json_node_get_object (item);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "error"), "code"),
                   ==, "original_missing");

  again = post_json (f, "/api/v1/worker/lease", f->worker, "{}", &status);
  g_assert_cmpuint (status, ==, 204);
}

/* --- /jobs/http/auth -------------------------------------------------------------------- */

static void
test_auth (Fixture *f, gconstpointer data)
{
  g_autoptr (Seed) s = seed (f, TRUE);
  g_autofree char *partner = yg_test_server_token (f->ts, "partner");
  g_autofree char *admin = yg_test_server_token (f->ts, "admin");
  g_autofree char *hb = g_strdup_printf ("/api/v1/worker/jobs/%" G_GINT64_FORMAT "/heartbeat", s->job_id);
  g_autofree char *files = g_strdup_printf ("/api/v1/worker/jobs/%" G_GINT64_FORMAT "/files", s->job_id);
  g_autofree char *done = g_strdup_printf ("/api/v1/worker/jobs/%" G_GINT64_FORMAT "/complete", s->job_id);
  g_autofree char *fail = g_strdup_printf ("/api/v1/worker/jobs/%" G_GINT64_FORMAT "/fail", s->job_id);
  g_autofree char *one = g_strdup_printf ("/api/v1/jobs/%" G_GINT64_FORMAT, s->job_id);
  g_autofree char *cancel = g_strdup_printf ("/api/v1/jobs/%" G_GINT64_FORMAT "/cancel", s->job_id);
  g_autofree char *retry = g_strdup_printf ("/api/v1/jobs/%" G_GINT64_FORMAT "/retry", s->job_id);
  const char *worker_routes[] = { "/api/v1/worker/lease", hb, files, done, fail };
  const struct
  {
    const char *method;
    const char *path;
  } staff_routes[] = {
    { "GET", "/api/v1/jobs" }, { "GET", one }, { "POST", cancel }, { "POST", retry },
  };
  const struct
  {
    const char *name;
    const char *token;
    guint on_worker_routes;
    guint on_staff_routes;
  } who[] = {
    { "nobody", NULL, 401, 401 },
    { "unknown token", "ygs_not-a-real-token", 401, 401 },
    { "staff", f->staff, 403, 0 },
    { "admin", admin, 403, 0 },
    { "partner", partner, 403, 403 },
    { "worker", f->worker, 0, 403 },
  };
  const char *body = "{\"progress\":0.5,\"duration\":1,\"role\":\"master\",\"path\":\"media/x/m\","
                     "\"code\":\"x\",\"message\":\"a message\"}";

  for (gsize w = 0; w < G_N_ELEMENTS (who); w++)
    {
      for (gsize i = 0; who[w].on_worker_routes != 0 && i < G_N_ELEMENTS (worker_routes); i++)
        {
          guint status;
          g_autofree char *r = post_json (f, worker_routes[i], who[w].token, body, &status);
          g_test_message ("%s: POST %s → %u", who[w].name, worker_routes[i], status);
          g_assert_cmpuint (status, ==, who[w].on_worker_routes);
          assert_error_body (r, status == 401 ? "unauthorized" : "forbidden");
          if (status == 401)
            g_assert_nonnull (strstr (r, "WWW-Authenticate: Bearer"));
        }
      for (gsize i = 0; who[w].on_staff_routes != 0 && i < G_N_ELEMENTS (staff_routes); i++)
        {
          guint status;
          g_autofree char *r = request (f, staff_routes[i].method, staff_routes[i].path, who[w].token,
                                        NULL, NULL, &status);
          g_test_message ("%s: %s %s → %u", who[w].name, staff_routes[i].method,
                          staff_routes[i].path, status);
          g_assert_cmpuint (status, ==, who[w].on_staff_routes);
          assert_error_body (r, status == 401 ? "unauthorized" : "forbidden");
        }
    }

  /* None of the refused requests touched the job. */
  {
    g_autoptr (JsonNode) root = staff_job (f, s->job_id);
    JsonObject *o = json_node_get_object (root);
    g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "queued");
    g_assert_cmpint (json_object_get_int_member (o, "attempts"), ==, 0);
  }
  /* The allowed combinations work. */
  lease_ok (f, f->worker, s->job_id);
  {
    guint status;
    g_autofree char *r = get (f, "/api/v1/jobs", admin, &status);
    g_assert_cmpuint (status, ==, 200);
  }
}

/* --- /jobs/http/heartbeat --------------------------------------------------------------- */

static void
test_heartbeat (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *ctype; /* NULL: no Content-Type header */
    const char *body;
    guint status;
    const char *code;
  } bad[] = {
    { "application/json", "not json", 400, "bad_request" },
    { "application/json", "{\"progress\":", 400, "bad_request" },
    { "application/json", "", 400, "bad_request" },
    { "text/plain", "{\"progress\":0.9}", 415, "unsupported_media_type" },
    { "application/x-www-form-urlencoded", "progress=0.9", 415, "unsupported_media_type" },
    { NULL, "{\"progress\":0.9}", 415, "unsupported_media_type" },
    { "application/json", "{\"progress\":\"x\"}", 400, "bad_request" },
    { "application/json", "{\"progress\":\"0.9\"}", 400, "bad_request" },
    { "application/json", "{\"progress\":2}", 400, "bad_request" },
    { "application/json", "{\"progress\":1.0001}", 400, "bad_request" },
    { "application/json", "{\"progress\":-0.1}", 400, "bad_request" },
    { "application/json", "{\"progress\":true}", 400, "bad_request" },
    { "application/json", "{\"progress\":null}", 400, "bad_request" },
    { "application/json", "{\"progress\":{}}", 400, "bad_request" },
    { "application/json", "{\"progress\":[0.9]}", 400, "bad_request" },
    { "application/json", "{}", 400, "bad_request" },
    { "application/json", "[0.9]", 400, "bad_request" },
    { "application/json", "[{\"progress\":0.9}]", 400, "bad_request" },
    { "application/json", "0.9", 400, "bad_request" },
    { "application/json", "\"progress\"", 400, "bad_request" },
  };
  g_autoptr (Seed) s = seed (f, TRUE);
  g_autofree char *path = g_strdup_printf ("/api/v1/worker/jobs/%" G_GINT64_FORMAT "/heartbeat", s->job_id);
  g_autofree char *r = NULL;
  g_autofree char *updated = NULL;
  g_autoptr (JsonNode) ok = NULL;
  guint status;

  lease_ok (f, f->worker, s->job_id);
  r = post_json (f, path, f->worker, "{\"progress\":0.5}", &status);
  g_assert_cmpuint (status, ==, 200);
  ok = body_json (r);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (ok), "ok"));
  assert_job (f, s->job_id, "running", 0.5);
  /* Integers are numbers too. */
  report_expect (f, s->job_id, "heartbeat", f->worker, "{\"progress\":1}", 200, NULL);
  assert_job (f, s->job_id, "running", 1.0);
  report_expect (f, s->job_id, "heartbeat", f->worker, "{\"progress\":0.5,\"extra\":[1,2]}", 200, NULL);
  assert_job (f, s->job_id, "running", 0.5);

  updated = query_text (f, "SELECT lease_expires_at || '/' || progress FROM jobs WHERE id = %" G_GINT64_FORMAT,
                        s->job_id);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *resp = request (f, "POST", path, f->worker, bad[i].ctype, bad[i].body, &status);
      g_autofree char *now = NULL;
      g_test_message ("heartbeat (%s) %s → %u", bad[i].ctype ? bad[i].ctype : "no type", bad[i].body,
                      status);
      g_assert_cmpuint (status, ==, bad[i].status);
      assert_error_body (resp, bad[i].code);
      /* Refused means nothing changed: not the progress, not the lease. */
      now = query_text (f, "SELECT lease_expires_at || '/' || progress FROM jobs WHERE id = %" G_GINT64_FORMAT,
                        s->job_id);
      g_assert_cmpstr (now, ==, updated);
    }
  assert_job (f, s->job_id, "running", 0.5);
}

/* Counts criticals of the "Json" log domain (raised on the server thread). */
static void
count_criticals (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  g_test_message ("%s-CRITICAL: %s", domain, message);
  g_atomic_int_inc ((int *) data);
}

/* "retryable" that is not a boolean (an object, an array): the handler must
 * answer 400 (or ignore it), never trip a library precondition with client
 * input. The test environment makes criticals fatal, so they are counted
 * here instead while the request runs. */
static void
test_fail_retryable_not_boolean (Fixture *f, gconstpointer data)
{
  static const char *const bodies[] = {
    "{\"code\":\"decode_error\",\"message\":\"Broken stream\",\"retryable\":{}}",
    "{\"code\":\"decode_error\",\"message\":\"Broken stream\",\"retryable\":[true]}",
  };
  g_autoptr (Seed) s = seed (f, TRUE);
  int criticals = 0;
  guint statuses[G_N_ELEMENTS (bodies)];
  GLogLevelFlags old_fatal;
  guint handler;

  lease_ok (f, f->worker, s->job_id);
  old_fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  handler = g_log_set_handler ("Json", G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING, count_criticals,
                               &criticals);
  for (gsize i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autofree char *r = report (f, s->job_id, "fail", f->worker, bodies[i], &statuses[i]);
      g_test_message ("fail %s → %u", bodies[i], statuses[i]);
      /* The first may have failed the job; lease a fresh one for the next. */
      if (statuses[i] == 200)
        {
          g_autoptr (Seed) next = seed (f, TRUE);
          lease_ok (f, f->worker, next->job_id);
          s->job_id = next->job_id;
        }
    }
  g_log_remove_handler ("Json", handler);
  g_log_set_always_fatal (old_fatal);

  if (g_atomic_int_get (&criticals) > 0)
    {
      g_test_incomplete ("BUG media-server/yg-route-jobs.c yg_route_worker_fail: "
                         "json_object_get_boolean_member_with_default() on a member that is not a "
                         "value (\"retryable\":{} or []) raises Json-CRITICAL from client input "
                         "(fatal under G_DEBUG=fatal-criticals); check the node holds a boolean "
                         "first and answer 400");
      return;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bodies); i++)
    g_assert_cmpuint (statuses[i], ==, 400);
}

/* --- /jobs/http/files ----------------------------------------------------------------- */

static void
test_files (Fixture *f, gconstpointer data)
{
  g_autoptr (Seed) s = seed (f, TRUE);
  g_autofree char *master = g_strdup_printf ("media/%s/master.m3u8", s->item_id);
  g_autofree char *poster = g_strdup_printf ("media/%s/poster.jpg", s->item_id);
  g_autofree char *linked = g_strdup_printf ("media/%s/storyboard.jpg", s->item_id);
  g_autofree char *subdir = g_strdup_printf ("media/%s/720p", s->item_id);
  g_autofree char *dotdot = g_strdup_printf ("media/%s/../../catalog.db", s->item_id);
  g_autofree char *dotdot2 = g_strdup_printf ("media/%s/..", s->item_id);
  g_autofree char *backslash = g_strdup_printf ("media/%s\\master.m3u8", s->item_id);
  g_autofree char *original = g_strdup_printf ("originals/%s/original.mp4", s->item_id);
  g_autofree char *abs_master = g_build_filename (f->ts->data_dir, master, NULL);
  g_autofree char *long_path = g_strnfill (600, 'a');
  g_autofree char *long_media = g_strdup_printf ("media/%s", long_path);
  const struct
  {
    const char *role; /* NULL: member missing */
    const char *path;
  } bad[] = {
    { "master", original },          /* outside media/ */
    { "master", "catalog.db" },
    { "master", "/etc/passwd" },
    { "master", abs_master },        /* absolute, even if it is inside */
    { "master", dotdot },
    { "master", dotdot2 },
    { "master", "media/../catalog.db" },
    { "master", backslash },
    { "master", "" },
    { "master", long_media },
    { "original", master },          /* a worker never replaces the original */
    { "segment", master },
    { "", master },
    { NULL, master },
    { "master", NULL },
  };
  guint status;

  lease_ok (f, f->worker, s->job_id);
  write_data_file (f, original, 1234);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *body = NULL;

      json_builder_begin_object (b);
      if (bad[i].role != NULL)
        {
          json_builder_set_member_name (b, "role");
          json_builder_add_string_value (b, bad[i].role);
        }
      if (bad[i].path != NULL)
        {
          json_builder_set_member_name (b, "path");
          json_builder_add_string_value (b, bad[i].path);
        }
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      body = json_to_string (root, FALSE);
      report_expect (f, s->job_id, "files", f->worker, body, 400, "bad_request");
    }
  report_expect (f, s->job_id, "files", f->worker, "{\"role\":7,\"path\":\"media/x\"}", 400,
                 "bad_request");

  /* Not written yet: 409, and the item is not playable. */
  {
    g_autofree char *body = g_strdup_printf ("{\"role\":\"master\",\"path\":\"%s\"}", master);
    report_expect (f, s->job_id, "files", f->worker, body, 409, "conflict");
  }
  /* A directory or a symlink is not a published file. */
  {
    g_autofree char *full_sub = g_build_filename (f->ts->data_dir, subdir, NULL);
    g_autofree char *full_link = g_build_filename (f->ts->data_dir, linked, NULL);
    g_autofree char *body = g_strdup_printf ("{\"role\":\"master\",\"path\":\"%s\"}", subdir);
    g_autofree char *body2 = g_strdup_printf ("{\"role\":\"storyboard\",\"path\":\"%s\"}", linked);

    g_assert_cmpint (g_mkdir_with_parents (full_sub, 0700), ==, 0);
    report_expect (f, s->job_id, "files", f->worker, body, 409, "conflict");
    g_assert_cmpint (symlink ("/etc/hostname", full_link), ==, 0);
    report_expect (f, s->job_id, "files", f->worker, body2, 409, "conflict");
  }
  {
    g_autoptr (JsonNode) item = public_item (f, s->item_id);
    JsonObject *o = json_node_get_object (item);
    g_assert_false (json_object_get_boolean_member (o, "playable"));
    g_assert_true (json_object_get_null_member (o, "hls_url"));
    g_assert_true (json_object_get_null_member (o, "poster_url"));
  }
  {
    g_autofree char *rows = query_text (f, "SELECT count(*) FROM item_files WHERE role != 'original'");
    g_assert_cmpstr (rows, ==, "0");
  }

  /* Written: 200; the size is measured by the server, not taken from the body. */
  write_data_file (f, master, 777);
  {
    g_autofree char *body = g_strdup_printf ("{\"role\":\"master\",\"path\":\"%s\",\"size\":5}", master);
    g_autofree char *r = report (f, s->job_id, "files", f->worker, body, &status);
    g_autofree char *size = NULL;
    g_autofree char *path = NULL;
    g_assert_cmpuint (status, ==, 200);
    size = query_text (f, "SELECT size FROM item_files WHERE item_id = '%s' AND role = 'master'", s->item_id);
    path = query_text (f, "SELECT path FROM item_files WHERE item_id = '%s' AND role = 'master'", s->item_id);
    g_assert_cmpstr (size, ==, "777");
    g_assert_cmpstr (path, ==, master);
  }
  write_data_file (f, poster, 2048);
  {
    g_autofree char *body = g_strdup_printf ("{\"role\":\"poster\",\"path\":\"%s\"}", poster);
    report_expect (f, s->job_id, "files", f->worker, body, 200, NULL);
  }
  {
    g_autoptr (JsonNode) item = public_item (f, s->item_id);
    g_autofree char *hls = g_strdup_printf ("/hls/%s/master.m3u8", s->item_id);
    g_autofree char *poster_url = g_strdup_printf ("/hls/%s/poster.jpg", s->item_id);
    JsonObject *o = json_node_get_object (item);
    g_assert_true (json_object_get_boolean_member (o, "playable"));
    g_assert_cmpstr (json_object_get_string_member (o, "hls_url"), ==, hls);
    g_assert_cmpstr (json_object_get_string_member (o, "poster_url"), ==, poster_url);
    g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "processing");
  }
  /* The original's row is untouched. */
  {
    g_autofree char *orig = query_text (f, "SELECT path || ' ' || size FROM item_files WHERE item_id = '%s'"
                                           " AND role = 'original'", s->item_id);
    g_autofree char *want = g_strdup_printf ("%s 1234", original);
    g_assert_cmpstr (orig, ==, want);
  }
}

/* The route promises "a file a worker publishes must lie in media/<its
 * item>/": a lease on one item must not let a worker attach another item's
 * files (or odd spellings fsck later calls escaping paths). */
static void
test_files_other_item (Fixture *f, gconstpointer data)
{
  g_autoptr (Seed) mine = seed (f, TRUE);
  g_autoptr (Seed) theirs = seed (f, TRUE);
  g_autofree char *their_master = g_strdup_printf ("media/%s/master.m3u8", theirs->item_id);
  g_autofree char *dot = g_strdup_printf ("media/%s/./master.m3u8", mine->item_id);
  g_autofree char *slashes = g_strdup_printf ("media//%s/master.m3u8", mine->item_id);
  g_autofree char *bare = g_strdup_printf ("media/%s", "stray.m3u8");
  const char *paths[] = { their_master, dot, slashes, bare };
  guint accepted = 0;
  GString *which = g_string_new (NULL);

  lease_ok (f, f->worker, mine->job_id);
  write_data_file (f, their_master, 10);
  write_data_file (f, bare, 10);
  {
    /* Its own master exists too, so only the spelling can be the reason to refuse. */
    g_autofree char *own = g_strdup_printf ("media/%s/master.m3u8", mine->item_id);
    write_data_file (f, own, 10);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"role\":\"master\",\"path\":\"%s\"}", paths[i]);
      guint status;
      g_autofree char *r = report (f, mine->job_id, "files", f->worker, body, &status);

      g_test_message ("files %s → %u", paths[i], status);
      if (status == 200)
        {
          accepted++;
          g_string_append_printf (which, " %s", paths[i]);
        }
      else
        {
          /* Refused: a bad request (400) or a path the lease does not cover (409). */
          g_assert_true (status == 400 || status == 409);
          assert_error_body (r, status == 400 ? "bad_request" : "conflict");
        }
    }
  if (accepted > 0)
    {
      g_autofree char *msg = g_strdup_printf (
        "BUG media-server/yg-route-jobs.c yg_route_worker_files: accepted paths outside "
        "media/<leased item>/ or not in canonical form:%s; check the path equals "
        "media/<job item>/<plain name> (the item id is known from the lease)",
        which->str);
      g_string_free (which, TRUE);
      g_test_incomplete (msg);
      return;
    }
  g_string_free (which, TRUE);
  {
    g_autofree char *rows = query_text (f, "SELECT count(*) FROM item_files WHERE role = 'master'");
    g_assert_cmpstr (rows, ==, "0");
  }
}

/* --- /jobs/http/complete ---------------------------------------------------------------- */

static void
test_complete (Fixture *f, gconstpointer data)
{
  static const char *const bad[] = {
    "{}", "{\"duration\":\"12.5\"}", "{\"duration\":-1}", "{\"duration\":true}",
    "{\"duration\":null}", "{\"duration\":1e12}", "[12.5]",
  };
  g_autoptr (Seed) s = seed (f, TRUE);
  g_autoptr (JsonNode) item = NULL;
  JsonObject *o;

  lease_ok (f, f->worker, s->job_id);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    report_expect (f, s->job_id, "complete", f->worker, bad[i], 400, "bad_request");
  assert_job (f, s->job_id, "running", 0);

  report_expect (f, s->job_id, "complete", f->worker, "{\"duration\": 12.5}", 200, NULL);
  assert_job (f, s->job_id, "done", 1.0);
  item = public_item (f, s->item_id);
  o = json_node_get_object (item);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "ready");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "duration"), 12.5, 1e-9);
  g_assert_true (json_object_get_null_member (o, "error"));

  /* Done is final: more reports are a lost lease. */
  report_expect (f, s->job_id, "complete", f->worker, "{\"duration\": 99}", 409, "conflict");
  report_expect (f, s->job_id, "heartbeat", f->worker, "{\"progress\": 0.1}", 409, "conflict");
  assert_job (f, s->job_id, "done", 1.0);
}

/* --- /jobs/http/other-worker ------------------------------------------------------------- */

static void
test_other_worker (Fixture *f, gconstpointer data)
{
  g_autoptr (Seed) s = seed (f, TRUE);
  g_autofree char *master = g_strdup_printf ("media/%s/master.m3u8", s->item_id);
  g_autofree char *files = g_strdup_printf ("{\"role\":\"master\",\"path\":\"%s\"}", master);
  g_autoptr (JsonNode) item = NULL;
  const struct
  {
    const char *verb;
    const char *body;
  } reports[] = {
    { "heartbeat", "{\"progress\":0.9}" },
    { "files", files },
    { "complete", "{\"duration\":3}" },
    { "fail", "{\"code\":\"decode_error\",\"message\":\"Broken stream\"}" },
  };

  lease_ok (f, f->worker, s->job_id);
  report_expect (f, s->job_id, "heartbeat", f->worker, "{\"progress\":0.25}", 200, NULL);
  write_data_file (f, master, 100);
  for (gsize i = 0; i < G_N_ELEMENTS (reports); i++)
    report_expect (f, s->job_id, reports[i].verb, f->worker2, reports[i].body, 409, "conflict");
  /* Reports on a job id that does not exist are the same lost lease. */
  report_expect (f, 777777, "heartbeat", f->worker, "{\"progress\":0.9}", 409, "conflict");

  assert_job (f, s->job_id, "running", 0.25);
  item = public_item (f, s->item_id);
  g_assert_false (json_object_get_boolean_member (json_node_get_object (item), "playable"));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (item), "status"), ==,
                   "processing");
  /* ...and the owner carries on. */
  report_expect (f, s->job_id, "complete", f->worker, "{\"duration\":3}", 200, NULL);
}

/* --- /jobs/http/fail ------------------------------------------------------------------------ */

static void
test_fail (Fixture *f, gconstpointer data)
{
  g_autofree char *long_code = g_strnfill (65, 'a');
  g_autofree char *long_message = g_strnfill (1001, 'm');
  g_autofree char *b_long_code = g_strdup_printf ("{\"code\":\"%s\",\"message\":\"m m m\"}", long_code);
  g_autofree char *b_long_msg = g_strdup_printf ("{\"code\":\"x\",\"message\":\"%s\"}", long_message);
  const char *bad[] = {
    "{\"code\":\"Bad Code\",\"message\":\"Something broke\"}",
    "{\"code\":\"BadCode\",\"message\":\"Something broke\"}",
    "{\"code\":\"bad-code\",\"message\":\"Something broke\"}",
    "{\"code\":\"bad code\",\"message\":\"Something broke\"}",
    "{\"code\":\"\",\"message\":\"Something broke\"}",
    "{\"code\":\"decode_error\"}",
    "{\"code\":\"decode_error\",\"message\":\"\"}",
    "{\"message\":\"Something broke\"}",
    "{\"code\":5,\"message\":\"Something broke\"}",
    b_long_code,
    b_long_msg,
  };
  g_autoptr (Seed) s = seed (f, TRUE);
  g_autoptr (JsonNode) item = NULL;
  g_autoptr (JsonNode) job = NULL;
  JsonObject *o;

  lease_ok (f, f->worker, s->job_id);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    report_expect (f, s->job_id, "fail", f->worker, bad[i], 400, "bad_request");
  assert_job (f, s->job_id, "running", -1);

  /* A retryable failure goes back to the queue (after a backoff). */
  report_expect (f, s->job_id, "fail", f->worker,
                 "{\"code\":\"timeout\",\"message\":\"Took too long\",\"retryable\":true}", 200, NULL);
  assert_job (f, s->job_id, "queued", -1);
  {
    guint status;
    g_autofree char *r = post_json (f, "/api/v1/worker/lease", f->worker, "{}", &status);
    g_assert_cmpuint (status, ==, 204); /* still in its backoff */
  }
  exec_sql (f, "UPDATE jobs SET not_before = 0");
  lease_ok (f, f->worker2, s->job_id);

  /* A final one fails the item with the worker's code and message. */
  report_expect (f, s->job_id, "fail", f->worker2,
                 "{\"code\":\"unsupported_format\",\"message\":\"这个文件不是视频\",\"retryable\":false}",
                 200, NULL);
  job = staff_job (f, s->job_id);
  o = json_node_get_object (job);
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "failed");
  g_assert_cmpint (json_object_get_int_member (o, "attempts"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "error"), "code"),
                   ==, "unsupported_format");
  item = public_item (f, s->item_id);
  o = json_object_get_object_member (json_node_get_object (item), "error");
  g_assert_cmpstr (json_object_get_string_member (o, "code"), ==, "unsupported_format");
  g_assert_cmpstr (json_object_get_string_member (o, "message"), ==, "这个文件不是视频");
}

/* --- /jobs/http/staff -------------------------------------------------------------------- */

static void
test_staff_cancel_retry (Fixture *f, gconstpointer data)
{
  g_autoptr (Seed) s = seed (f, TRUE);
  g_autofree char *cancel = g_strdup_printf ("/api/v1/jobs/%" G_GINT64_FORMAT "/cancel", s->job_id);
  g_autofree char *retry = g_strdup_printf ("/api/v1/jobs/%" G_GINT64_FORMAT "/retry", s->job_id);
  g_autofree char *r = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) item = NULL;
  g_autoptr (JsonNode) fresh = NULL;
  JsonObject *o;
  gint64 new_id;
  guint status;

  lease_ok (f, f->worker, s->job_id);
  report_expect (f, s->job_id, "heartbeat", f->worker, "{\"progress\":0.3}", 200, NULL);

  /* Retrying a running job is refused. */
  g_free (post_json (f, retry, f->staff, NULL, &status));
  g_assert_cmpuint (status, ==, 409);

  r = post_json (f, cancel, f->staff, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  root = body_json (r);
  o = json_node_get_object (root);
  g_assert_cmpint (json_object_get_int_member (o, "id"), ==, s->job_id);
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "cancelled");

  item = public_item (f, s->item_id);
  o = json_node_get_object (item);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "error"), "code"),
                   ==, "cancelled");

  /* The worker learns it lost the job at its next report. */
  report_expect (f, s->job_id, "heartbeat", f->worker, "{\"progress\":0.4}", 409, "conflict");
  report_expect (f, s->job_id, "complete", f->worker, "{\"duration\":4}", 409, "conflict");
  assert_job (f, s->job_id, "cancelled", -1);
  /* Cancelling twice is refused. */
  {
    g_autofree char *again = post_json (f, cancel, f->staff, NULL, &status);
    g_assert_cmpuint (status, ==, 409);
    assert_error_body (again, "conflict");
  }

  /* Retry: a new queued job, the item back to processing. */
  g_clear_pointer (&r, g_free);
  r = post_json (f, retry, f->staff, NULL, &status);
  g_assert_cmpuint (status, ==, 201);
  fresh = body_json (r);
  o = json_node_get_object (fresh);
  new_id = json_object_get_int_member (o, "id");
  g_assert_cmpint (new_id, >, s->job_id);
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "queued");
  g_assert_cmpstr (json_object_get_string_member (o, "item_id"), ==, s->item_id);
  g_assert_cmpint (json_object_get_int_member (o, "attempts"), ==, 0);
  {
    g_autoptr (JsonNode) back = public_item (f, s->item_id);
    JsonObject *io = json_node_get_object (back);
    g_assert_cmpstr (json_object_get_string_member (io, "status"), ==, "processing");
    g_assert_true (json_object_get_null_member (io, "error"));
  }
  assert_job (f, s->job_id, "cancelled", -1);
  /* A second retry of the same cancelled job would make two active jobs. */
  g_free (post_json (f, retry, f->staff, NULL, &status));
  g_assert_cmpuint (status, ==, 409);

  /* The new job is leased like any other. */
  lease_ok (f, f->worker2, new_id);
}

static void
test_staff_list (Fixture *f, gconstpointer data)
{
  static const char *const bad_states[] = { "bogus", "", "QUEUED", "queued,running" };
  g_autoptr (Seed) a = seed (f, TRUE);
  g_autoptr (Seed) b = seed (f, TRUE);
  g_autoptr (Seed) c = seed (f, TRUE);
  const struct
  {
    const char *query;
    gint64 ids[3];
    guint n;
  } cases[] = {
    { "", { c->job_id, b->job_id, a->job_id }, 3 },
    { "?state=queued", { c->job_id, b->job_id }, 2 },
    { "?state=running", { a->job_id }, 1 },
    { "?state=done", { 0 }, 0 },
    { "?state=cancelled", { 0 }, 0 },
  };

  lease_ok (f, f->worker, a->job_id);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/jobs%s", cases[i].query);
      guint status;
      g_autofree char *r = get (f, path, f->staff, &status);
      g_autoptr (JsonNode) root = NULL;
      JsonArray *jobs;

      g_test_message ("GET %s → %u", path, status);
      g_assert_cmpuint (status, ==, 200);
      root = body_json (r);
      jobs = json_object_get_array_member (json_node_get_object (root), "jobs");
      g_assert_cmpuint (json_array_get_length (jobs), ==, cases[i].n);
      for (guint j = 0; j < cases[i].n; j++)
        g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (jobs, j), "id"),
                         ==, cases[i].ids[j]);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad_states); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/jobs?state=%s", bad_states[i]);
      guint status;
      g_autofree char *r = get (f, path, f->staff, &status);
      g_test_message ("GET %s → %u", path, status);
      g_assert_cmpuint (status, ==, 400);
      assert_error_body (r, "bad_request");
    }
}

static void
test_bad_job_ids (Fixture *f, gconstpointer data)
{
  static const char *const ids[] = {
    "abc", "0", "-1", "1.5", "0x10", "99999999999999999999", "%201", "777777",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *one = g_strdup_printf ("/api/v1/jobs/%s", ids[i]);
      g_autofree char *cancel = g_strdup_printf ("/api/v1/jobs/%s/cancel", ids[i]);
      g_autofree char *retry = g_strdup_printf ("/api/v1/jobs/%s/retry", ids[i]);
      guint status;
      g_autofree char *r1 = get (f, one, f->staff, &status);
      g_test_message ("GET %s → %u", one, status);
      g_assert_cmpuint (status, ==, 404);
      assert_error_body (r1, "not_found");
      g_autofree char *r2 = post_json (f, cancel, f->staff, NULL, &status);
      g_assert_cmpuint (status, ==, 404);
      assert_error_body (r2, "not_found");
      g_autofree char *r3 = post_json (f, retry, f->staff, NULL, &status);
      g_assert_cmpuint (status, ==, 404);
      assert_error_body (r3, "not_found");
      if (!g_str_equal (ids[i], "777777"))
        {
          /* Not an id at all: 404 before any lease is checked. */
          g_autofree char *path = g_strdup_printf ("/api/v1/worker/jobs/%s/heartbeat", ids[i]);
          g_autofree char *r4 = post_json (f, path, f->worker, "{\"progress\":0.5}", &status);
          g_assert_cmpuint (status, ==, 404);
          assert_error_body (r4, "not_found");
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("The job protocol (lease, heartbeat, files, complete, fail) and staff job "
                  "control over real HTTP against an in-process server");
  yg_secret_init ();

#define ADD(path, fn) g_test_add ("/jobs/http/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("lease/empty-204", test_lease_empty);
  ADD ("lease/job", test_lease_job);
  ADD ("lease/wait", test_lease_wait);
  ADD ("lease/original-missing", test_lease_original_missing);
  ADD ("auth", test_auth);
  ADD ("heartbeat", test_heartbeat);
  ADD ("files", test_files);
  ADD ("files/other-item", test_files_other_item);
  ADD ("complete", test_complete);
  ADD ("other-worker-409", test_other_worker);
  ADD ("fail", test_fail);
  ADD ("fail/retryable-not-boolean", test_fail_retryable_not_boolean);
  ADD ("staff/cancel-retry", test_staff_cancel_retry);
  ADD ("staff/list", test_staff_list);
  ADD ("staff/bad-ids", test_bad_job_ids);
#undef ADD
  return g_test_run ();
}

/* yg-route-jobs.c: the job protocol (workers) and job control (staff).
 *
 * Workers (auth class worker; the lease owner is the worker token's id):
 *   POST /api/v1/worker/lease  [{wait: s}]     → 200 {job, input, output} | 204
 *     With "wait" (1..30 s) an empty queue parks the request (long poll): it
 *     is answered as soon as a job can be leased, checked every 200 ms (jobs
 *     also arrive from `yunguan import`, another process), or 204 at the end.
 *   POST /api/v1/worker/jobs/{id}/heartbeat   {progress}           → 200 | 409 lease lost
 *   POST /api/v1/worker/jobs/{id}/files       {role, path}         → 200
 *   POST /api/v1/worker/jobs/{id}/complete    {duration}           → 200
 *   POST /api/v1/worker/jobs/{id}/fail        {code, message, retryable}
 * Staff: GET /api/v1/jobs[?state=], GET /api/v1/jobs/{id}, POST …/cancel, …/retry.
 * Paths exchanged are relative to the data directory; a file a worker
 * publishes must lie in media/<its item>/ and exist, and its size is
 * measured here, not taken from the worker. Nothing here blocks: every
 * catalogue call runs on the DB thread. Thread: main thread.
 */
#define G_LOG_DOMAIN "yg-jobs"

#include <glib/gstdio.h>

#include "yg-http-error.h"
#include "yg-item-store.h"
#include "yg-job-store.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-server.h"

#define LEASE_SECONDS 60

/* A lease belongs to the worker's token (its id: unique, unlike names). */
static char *
lease_owner (YgRequest *req)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, req->principal->token_id);
}

static gboolean
parse_job_id (YgRequest *req, gint64 *id)
{
  if (!g_ascii_string_to_signed (yg_request_param (req, 0), 10, 1, G_MAXINT64, id, NULL))
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No job \"%s\"", yg_request_param (req, 0));
      return FALSE;
    }
  return TRUE;
}

static void
add_job_members (JsonBuilder *b, const YgJob *job)
{
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, job->id);
  json_builder_set_member_name (b, "item_id");
  json_builder_add_string_value (b, job->item_id);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, job->state);
  json_builder_set_member_name (b, "progress");
  json_builder_add_double_value (b, job->progress);
  json_builder_set_member_name (b, "attempts");
  json_builder_add_int_value (b, job->attempts);
  json_builder_set_member_name (b, "max_attempts");
  json_builder_add_int_value (b, job->max_attempts);
  json_builder_set_member_name (b, "error");
  if (job->error_code != NULL)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, job->error_code);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, job->error_message ? job->error_message : "");
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "created_at");
  json_builder_add_int_value (b, job->created_at);
  json_builder_set_member_name (b, "updated_at");
  json_builder_add_int_value (b, job->updated_at);
}

static JsonNode *
job_json (YgRequest *req, gpointer result)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_job_members (b, result);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
ok_json (YgRequest *req, gpointer result)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ok");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* --- lease ----------------------------------------------------------------------------- */

typedef struct
{
  YgJob *job;
  char *input;
} Lease;

static void
lease_free (Lease *l)
{
  yg_job_free (l->job);
  g_free (l->input);
  g_free (l);
}

static gpointer
do_lease (YgDbConn *conn, gpointer owner, GError **error)
{
  g_autoptr (GError) local = NULL;
  Lease *l = g_new0 (Lease, 1);

  l->job = yg_job_store_lease (conn, owner, LEASE_SECONDS, &local);
  if (l->job == NULL)
    {
      g_free (l);
      if (g_error_matches (local, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND))
        return NULL; /* nothing waiting: not an error */
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  l->input = yg_item_store_file_path (conn, l->job->item_id, "original", &local);
  if (l->input == NULL)
    {
      /* An item without its original cannot be transcoded, ever. */
      yg_job_store_fail (conn, l->job->id, owner, "original_missing",
                         "The original recording is missing from the archive; upload it again",
                         FALSE, NULL);
      lease_free (l);
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return l;
}

/* Answers a lease request: the job (taking @l), 204 (nothing), or @error. */
static void
answer_lease (YgRequest *req, Lease *l, const GError *error)
{
  g_autoptr (JsonBuilder) b = NULL;
  g_autofree char *output = NULL;

  if (error != NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  if (l == NULL)
    {
      yg_request_respond_bytes (req, 204, NULL, NULL);
      return;
    }
  output = g_strdup_printf ("media/%s", l->job->item_id);
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "job");
  json_builder_begin_object (b);
  add_job_members (b, l->job);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "input");
  json_builder_add_string_value (b, l->input);
  json_builder_set_member_name (b, "output");
  json_builder_add_string_value (b, output);
  json_builder_set_member_name (b, "lease_seconds");
  json_builder_add_int_value (b, LEASE_SECONDS);
  json_builder_end_object (b);
  g_info ("job %" G_GINT64_FORMAT " (item %s) leased to %s, attempt %d", l->job->id,
          l->job->item_id, req->principal->name, l->job->attempts);
  lease_free (l);
  yg_request_respond_json (req, 200, json_builder_get_root (b));
}

/* Parked lease requests, oldest first, kept on the server object. */
typedef struct
{
  SoupServerMessage *msg;
  char *owner;
  gint64 deadline_us;
  gboolean gone; /* the worker hung up */
} Waiter;

typedef struct
{
  YgServer *server;
  GQueue waiters;
  GSource *tick; /* in the server's (thread-default) context while anyone waits */
  gboolean leasing; /* a lease for the oldest waiter is on the DB thread */
} Parking;

#define PARKING_KEY "yg-lease-parking"
#define PARKING_TICK_MS 200
#define MAX_WAIT_SECONDS 30

static void
waiter_free (Waiter *w)
{
  g_signal_handlers_disconnect_by_data (w->msg, w);
  g_object_unref (w->msg);
  g_free (w->owner);
  g_free (w);
}

static void
parking_free (Parking *p)
{
  if (p->tick != NULL)
    g_source_destroy (p->tick);
  g_clear_pointer (&p->tick, g_source_unref);
  g_queue_clear_full (&p->waiters, (GDestroyNotify) waiter_free);
  g_free (p);
}

static void
on_waiter_gone (SoupServerMessage *msg, gpointer data)
{
  ((Waiter *) data)->gone = TRUE;
}

static gboolean parking_tick (gpointer data);

static void
parked_lease_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Parking *p = data;
  Waiter *w = g_queue_peek_head (&p->waiters);
  g_autoptr (GError) error = NULL;
  Lease *l = yg_db_run_finish (YG_DB (source), res, &error);

  p->leasing = FALSE;
  if (l == NULL && error == NULL)
    return; /* still nothing: the waiter stays */
  g_queue_pop_head (&p->waiters);
  if (w->gone)
    {
      /* Nobody to give it to: the lease expires and the job is requeued. */
      if (l != NULL)
        g_info ("job %" G_GINT64_FORMAT ": its worker hung up while it was leased", l->job->id);
      g_clear_pointer (&l, lease_free);
    }
  else
    answer_lease (yg_request_get (w->msg), l, error);
  waiter_free (w); /* the next tick serves the next waiter */
}

static gboolean
parking_tick (gpointer data)
{
  Parking *p = data;
  gint64 now = g_get_monotonic_time ();
  Waiter *w;

  if (p->leasing)
    return G_SOURCE_CONTINUE;
  /* Answer those whose wait is over, and drop those who left. */
  for (GList *l = p->waiters.head; l != NULL;)
    {
      GList *next = l->next;
      w = l->data;
      if (w->gone || now >= w->deadline_us)
        {
          if (!w->gone)
            answer_lease (yg_request_get (w->msg), NULL, NULL);
          g_queue_delete_link (&p->waiters, l);
          waiter_free (w);
        }
      l = next;
    }
  if (g_queue_is_empty (&p->waiters))
    {
      g_clear_pointer (&p->tick, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  w = g_queue_peek_head (&p->waiters);
  p->leasing = TRUE;
  yg_db_run_async (yg_server_get_db (p->server), do_lease, g_strdup (w->owner), g_free,
                   (GDestroyNotify) lease_free, NULL, parked_lease_done, p);
  return G_SOURCE_CONTINUE;
}

static void
park (YgRequest *req, guint wait_s)
{
  Parking *p = g_object_get_data (G_OBJECT (req->server), PARKING_KEY);
  Waiter *w = g_new0 (Waiter, 1);

  if (p == NULL)
    {
      p = g_new0 (Parking, 1);
      p->server = req->server;
      g_object_set_data_full (G_OBJECT (req->server), PARKING_KEY, p,
                              (GDestroyNotify) parking_free);
    }
  w->msg = g_object_ref (req->msg);
  w->owner = lease_owner (req);
  w->deadline_us = g_get_monotonic_time () + (gint64) wait_s * G_USEC_PER_SEC;
  g_signal_connect (req->msg, "disconnected", G_CALLBACK (on_waiter_gone), w);
  g_queue_push_tail (&p->waiters, w);
  if (p->tick == NULL)
    {
      p->tick = g_timeout_source_new (PARKING_TICK_MS);
      g_source_set_callback (p->tick, parking_tick, p, NULL);
      g_source_attach (p->tick, g_main_context_get_thread_default ());
    }
}

typedef struct
{
  SoupServerMessage *msg;
  guint wait_s;
} LeaseCall;

static void
first_lease_done (GObject *source, GAsyncResult *res, gpointer data)
{
  LeaseCall *c = data;
  YgRequest *req = yg_request_get (c->msg);
  g_autoptr (GError) error = NULL;
  Lease *l = yg_db_run_finish (YG_DB (source), res, &error);

  if (l == NULL && error == NULL && c->wait_s > 0)
    park (req, c->wait_s);
  else
    answer_lease (req, l, error);
  g_object_unref (c->msg);
  g_free (c);
}

void
yg_route_worker_lease (YgServer *server, YgRequest *req)
{
  SoupMessageBody *body = soup_server_message_get_request_body (req->msg);
  LeaseCall *c = g_new0 (LeaseCall, 1);

  if (body->length > 0)
    {
      g_autoptr (JsonNode) doc = NULL;
      g_autoptr (GError) error = NULL;
      JsonObject *o = yg_request_parse_json_object (req, &doc, &error);
      JsonNode *wait = o ? json_object_get_member (o, "wait") : NULL;

      if (o == NULL)
        {
          g_free (c);
          yg_request_respond_error (req, error);
          return;
        }
      if (wait != NULL
          && (json_node_get_value_type (wait) != G_TYPE_INT64 || json_node_get_int (wait) < 0
              || json_node_get_int (wait) > MAX_WAIT_SECONDS))
        {
          g_free (c);
          yg_request_fail (req, YG_HTTP_ERROR_BAD_REQUEST,
                           "\"wait\" must be a whole number of seconds from 0 to %d",
                           MAX_WAIT_SECONDS);
          return;
        }
      c->wait_s = wait ? (guint) json_node_get_int (wait) : 0;
    }
  c->msg = g_object_ref (req->msg);
  yg_request_pause (req);
  yg_db_run_async (yg_server_get_db (server), do_lease, lease_owner (req), g_free,
                   (GDestroyNotify) lease_free, NULL, first_lease_done, c);
}

/* --- worker reports -------------------------------------------------------------------- */

typedef struct
{
  gint64 job_id;
  char *owner;
  double number;   /* progress or duration */
  char *code;      /* fail: code; files: role */
  char *message;   /* fail: message; files: path */
  gint64 size;
  gboolean flag;   /* fail: retryable */
} Report;

static void
report_free (Report *r)
{
  g_free (r->owner);
  g_free (r->code);
  g_free (r->message);
  g_free (r);
}

static gpointer
do_heartbeat (YgDbConn *conn, gpointer data, GError **error)
{
  Report *r = data;
  return yg_job_store_heartbeat (conn, r->job_id, r->owner, r->number, LEASE_SECONDS, error)
           ? GINT_TO_POINTER (1)
           : NULL;
}

static gpointer
do_publish (YgDbConn *conn, gpointer data, GError **error)
{
  Report *r = data;
  return yg_job_store_publish_file (conn, r->job_id, r->owner, r->code, r->message, r->size, error)
           ? GINT_TO_POINTER (1)
           : NULL;
}

static gpointer
do_complete (YgDbConn *conn, gpointer data, GError **error)
{
  Report *r = data;
  return yg_job_store_complete (conn, r->job_id, r->owner, r->number, error) ? GINT_TO_POINTER (1)
                                                                              : NULL;
}

static gpointer
do_fail (YgDbConn *conn, gpointer data, GError **error)
{
  Report *r = data;
  return yg_job_store_fail (conn, r->job_id, r->owner, r->code, r->message, r->flag, error)
           ? GINT_TO_POINTER (1)
           : NULL;
}

static Report *
begin_report (YgRequest *req, JsonNode **doc, JsonObject **body)
{
  g_autoptr (GError) error = NULL;
  Report *r;
  gint64 id;

  if (!parse_job_id (req, &id))
    return NULL;
  *body = yg_request_parse_json_object (req, doc, &error);
  if (*body == NULL)
    {
      yg_request_respond_error (req, error);
      return NULL;
    }
  r = g_new0 (Report, 1);
  r->job_id = id;
  r->owner = lease_owner (req);
  r->size = -1;
  return r;
}

static gboolean
get_number (JsonObject *o, const char *name, double min, double max, double *out)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || json_node_get_value_type (n) == G_TYPE_BOOLEAN || !JSON_NODE_HOLDS_VALUE (n)
      || (json_node_get_value_type (n) != G_TYPE_DOUBLE && json_node_get_value_type (n) != G_TYPE_INT64))
    return FALSE;
  *out = json_node_get_double (n);
  return *out >= min && *out <= max;
}

static const char *
get_string (JsonObject *o, const char *name, gsize max_len)
{
  JsonNode *n = json_object_get_member (o, name);
  const char *s;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  s = json_node_get_string (n);
  return s != NULL && s[0] != '\0' && strlen (s) <= max_len ? s : NULL;
}

void
yg_route_worker_heartbeat (YgServer *server, YgRequest *req)
{
  g_autoptr (JsonNode) doc = NULL;
  JsonObject *body;
  Report *r = begin_report (req, &doc, &body);

  if (r == NULL)
    return;
  if (!get_number (body, "progress", 0, 1, &r->number))
    {
      report_free (r);
      yg_request_fail (req, YG_HTTP_ERROR_BAD_REQUEST, "\"progress\" must be a number from 0 to 1");
      return;
    }
  yg_request_run_db (req, do_heartbeat, r, (GDestroyNotify) report_free, NULL, 200, ok_json);
}

void
yg_route_worker_files (YgServer *server, YgRequest *req)
{
  static const char *const roles[] = { "master", "poster", "storyboard", "thumbnails" };
  g_autoptr (JsonNode) doc = NULL;
  JsonObject *body;
  Report *r = begin_report (req, &doc, &body);
  const char *role, *path;
  g_autofree char *full = NULL;
  GStatBuf st;
  gboolean role_ok = FALSE;

  if (r == NULL)
    return;
  role = get_string (body, "role", 32);
  path = get_string (body, "path", 512);
  for (guint i = 0; role != NULL && i < G_N_ELEMENTS (roles); i++)
    role_ok |= g_str_equal (role, roles[i]);
  /* A first shape check here; the store checks the path is exactly
   * media/<the leased item>/<plain name> in the same transaction as the lease. */
  if (!role_ok || path == NULL || !g_str_has_prefix (path, "media/") || strstr (path, "..") != NULL
      || strchr (path, '\\') != NULL)
    {
      report_free (r);
      yg_request_fail (req, YG_HTTP_ERROR_BAD_REQUEST,
                       "\"role\" must be one of master, poster, storyboard, thumbnails and "
                       "\"path\" a file under media/<item>/");
      return;
    }
  full = g_build_filename (yg_server_get_config (server)->data_dir, path, NULL);
  if (g_lstat (full, &st) != 0 || !S_ISREG (st.st_mode))
    {
      report_free (r);
      yg_request_fail (req, YG_HTTP_ERROR_CONFLICT, "%s does not exist yet; publish files after "
                       "they are written", path);
      return;
    }
  r->code = g_strdup (role);
  r->message = g_strdup (path);
  r->size = st.st_size;
  yg_request_run_db (req, do_publish, r, (GDestroyNotify) report_free, NULL, 200, ok_json);
}

void
yg_route_worker_complete (YgServer *server, YgRequest *req)
{
  g_autoptr (JsonNode) doc = NULL;
  JsonObject *body;
  Report *r = begin_report (req, &doc, &body);

  if (r == NULL)
    return;
  if (!get_number (body, "duration", 0, 7 * 86400, &r->number))
    {
      report_free (r);
      yg_request_fail (req, YG_HTTP_ERROR_BAD_REQUEST, "\"duration\" must be seconds (a number)");
      return;
    }
  yg_request_run_db (req, do_complete, r, (GDestroyNotify) report_free, NULL, 200, ok_json);
}

void
yg_route_worker_fail (YgServer *server, YgRequest *req)
{
  g_autoptr (JsonNode) doc = NULL;
  JsonObject *body;
  Report *r = begin_report (req, &doc, &body);
  const char *code, *message;

  if (r == NULL)
    return;
  code = get_string (body, "code", 64);
  message = get_string (body, "message", 1000);
  if (code == NULL || message == NULL)
    {
      report_free (r);
      yg_request_fail (req, YG_HTTP_ERROR_BAD_REQUEST,
                       "\"code\" (≤ 64 characters) and \"message\" (≤ 1000) are required");
      return;
    }
  for (const char *p = code; *p; p++)
    if (!g_ascii_islower (*p) && *p != '_' && !g_ascii_isdigit (*p))
      {
        report_free (r);
        yg_request_fail (req, YG_HTTP_ERROR_BAD_REQUEST, "\"code\" must be lower_snake_case");
        return;
      }
  {
    JsonNode *retryable = json_object_get_member (body, "retryable");
    if (retryable != NULL && (!JSON_NODE_HOLDS_VALUE (retryable)
                              || json_node_get_value_type (retryable) != G_TYPE_BOOLEAN))
      {
        report_free (r);
        yg_request_fail (req, YG_HTTP_ERROR_BAD_REQUEST, "\"retryable\" must be true or false");
        return;
      }
    r->flag = retryable != NULL && json_node_get_boolean (retryable);
  }
  r->code = g_strdup (code);
  r->message = g_strdup (message);
  yg_request_run_db (req, do_fail, r, (GDestroyNotify) report_free, NULL, 200, ok_json);
}

/* --- staff ------------------------------------------------------------------------------ */

typedef struct
{
  char *state;
} ListArgs;

static gpointer
do_list (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_job_store_list (conn, data, 200, error);
}

static JsonNode *
jobs_json (YgRequest *req, gpointer result)
{
  GPtrArray *jobs = result;
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "jobs");
  json_builder_begin_array (b);
  for (guint i = 0; i < jobs->len; i++)
    {
      json_builder_begin_object (b);
      add_job_members (b, jobs->pdata[i]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
yg_route_jobs_list (YgServer *server, YgRequest *req)
{
  static const char *const states[] = { "queued", "running", "done", "failed", "cancelled" };
  const char *state = g_hash_table_lookup (yg_request_query (req), "state");
  gboolean ok = state == NULL;

  for (guint i = 0; !ok && i < G_N_ELEMENTS (states); i++)
    ok = g_str_equal (state, states[i]);
  if (!ok)
    {
      yg_request_fail (req, YG_HTTP_ERROR_BAD_REQUEST,
                       "\"state\" must be queued, running, done, failed or cancelled");
      return;
    }
  yg_request_run_db (req, do_list, g_strdup (state), g_free, (GDestroyNotify) g_ptr_array_unref,
                     200, jobs_json);
}

static gpointer
do_get (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_job_store_get (conn, *(gint64 *) data, error);
}

void
yg_route_job_get (YgServer *server, YgRequest *req)
{
  gint64 id;

  if (parse_job_id (req, &id))
    yg_request_run_db (req, do_get, g_memdup2 (&id, sizeof id), g_free,
                       (GDestroyNotify) yg_job_free, 200, job_json);
}

static gpointer
do_cancel (YgDbConn *conn, gpointer data, GError **error)
{
  gint64 id = *(gint64 *) data;
  return yg_job_store_cancel (conn, id, error) ? yg_job_store_get (conn, id, error) : NULL;
}

static gpointer
do_retry (YgDbConn *conn, gpointer data, GError **error)
{
  gint64 id = yg_job_store_retry (conn, *(gint64 *) data, error);
  return id > 0 ? yg_job_store_get (conn, id, error) : NULL;
}

void
yg_route_job_cancel (YgServer *server, YgRequest *req)
{
  gint64 id;

  if (parse_job_id (req, &id))
    yg_request_run_db (req, do_cancel, g_memdup2 (&id, sizeof id), g_free,
                       (GDestroyNotify) yg_job_free, 200, job_json);
}

void
yg_route_job_retry (YgServer *server, YgRequest *req)
{
  gint64 id;

  if (parse_job_id (req, &id))
    yg_request_run_db (req, do_retry, g_memdup2 (&id, sizeof id), g_free,
                       (GDestroyNotify) yg_job_free, 201, job_json);
}

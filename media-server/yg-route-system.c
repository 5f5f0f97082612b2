/* yg-route-system.c: /healthz, /metrics, the OpenAPI document and /api/v1/me.
 *
 * /api/v1/me describes the caller: role and name for a token; for a signed-in
 * account also its id, username, display name and the session's CSRF token.
 *
 * /healthz answers 200 only when the catalogue answers a query (it goes
 * through the DB thread like any request would); 503 otherwise.
 * /metrics renders request metrics, connection figures from the listener and
 * job counts by state read from the catalogue.
 * Thread: main thread; catalogue work runs on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include <gio/gio.h>

#include "yg-build-config.h"
#include "yg-conn-stream.h"
#include "yg-fast-path.h"
#include "yg-http-error.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-server.h"
#include "yg-tus.h"

/* --- /healthz -------------------------------------------------------------------- */

static gpointer
ping_db (YgDbConn *conn, gpointer data, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn, "SELECT count(*) FROM items", error);

  if (stmt == NULL || yg_db_conn_step (conn, stmt, error) != SQLITE_ROW)
    return NULL;
  sqlite3_reset (stmt);
  return GINT_TO_POINTER (1);
}

static void
healthz_done (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (SoupServerMessage) msg = data;
  YgRequest *req = yg_request_get (msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  gboolean ok = yg_db_run_finish (YG_DB (source), res, &error) != NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, ok ? "ok" : "unavailable");
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, YG_VERSION);
  json_builder_set_member_name (b, "catalog");
  json_builder_add_string_value (b, ok ? "ok" : error->message);
  json_builder_end_object (b);
  yg_request_respond_json (req, ok ? 200 : 503, json_builder_get_root (b));
}

void
yg_route_healthz (YgServer *server, YgRequest *req)
{
  yg_request_pause (req);
  yg_db_run_async (yg_server_get_db (server), ping_db, NULL, NULL, NULL, NULL, healthz_done,
                   g_object_ref (req->msg));
}

/* --- /metrics -------------------------------------------------------------------- */


typedef struct
{
  const char *state;
  gint64 count;
} StateCount;

typedef struct
{
  GArray *counts;   /* StateCount */
  GArray *running;  /* RunningJob */
} JobFigures;

typedef struct
{
  gint64 id;
  double progress;
} RunningJob;

static void
job_figures_free (gpointer p)
{
  JobFigures *f = p;
  g_array_unref (f->counts);
  g_array_unref (f->running);
  g_free (f);
}

static gpointer
count_jobs (YgDbConn *conn, gpointer data, GError **error)
{
  static const char *const states[] = { "queued", "running", "done", "failed", "cancelled" };
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn, "SELECT state, count(*) FROM jobs GROUP BY state",
                                           error);
  GArray *counts;
  int rc;

  if (stmt == NULL)
    return NULL;
  counts = g_array_new (FALSE, TRUE, sizeof (StateCount));
  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      StateCount sc = { states[i], 0 };
      g_array_append_val (counts, sc);
    }
  while ((rc = yg_db_conn_step (conn, stmt, error)) == SQLITE_ROW)
    {
      const char *state = (const char *) sqlite3_column_text (stmt, 0);
      for (guint i = 0; i < counts->len; i++)
        if (g_strcmp0 (g_array_index (counts, StateCount, i).state, state) == 0)
          g_array_index (counts, StateCount, i).count = sqlite3_column_int64 (stmt, 1);
    }
  if (rc < 0)
    {
      g_array_unref (counts);
      return NULL;
    }
  {
    JobFigures *f = g_new0 (JobFigures, 1);
    f->counts = counts;
    f->running = g_array_new (FALSE, FALSE, sizeof (RunningJob));
    stmt = yg_db_conn_prepare (conn, "SELECT id, progress FROM jobs WHERE state = 'running'", error);
    while (stmt != NULL && (rc = yg_db_conn_step (conn, stmt, error)) == SQLITE_ROW)
      {
        RunningJob r = { sqlite3_column_int64 (stmt, 0), sqlite3_column_double (stmt, 1) };
        g_array_append_val (f->running, r);
      }
    if (stmt == NULL || rc < 0)
      {
        job_figures_free (f);
        return NULL;
      }
    return f;
  }
}

static void
metrics_done (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (SoupServerMessage) msg = data;
  YgRequest *req = yg_request_get (msg);
  YgServer *server = req->server;
  g_autoptr (GError) error = NULL;
  JobFigures *figures = yg_db_run_finish (YG_DB (source), res, &error);
  GArray *counts = figures ? figures->counts : NULL;
  g_autoptr (GBytes) body = NULL;
  GString *out;
  YgListenerStats stats;

  if (figures == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  out = g_string_new (NULL);
  yg_metrics_render (yg_server_get_metrics (server), out);

  yg_listener_get_stats (yg_server_get_listener (server), &stats);
  yg_metrics_write_family (out, "yunguan_http_connections", "gauge", "Open client connections");
  g_string_append_printf (out, "yunguan_http_connections %u\n",
                          yg_listener_get_active (yg_server_get_listener (server)));
  yg_metrics_write_family (out, "yunguan_http_connections_total", "counter",
                           "Client connections by outcome at accept time");
  g_string_append_printf (out,
                          "yunguan_http_connections_total{outcome=\"accepted\"} %" G_GUINT64_FORMAT
                          "\nyunguan_http_connections_total{outcome=\"over_cap\"} %" G_GUINT64_FORMAT
                          "\n",
                          stats.accepted, stats.rejected_over_cap);
  yg_metrics_write_family (out, "yunguan_http_closed_total", "counter",
                           "Connections closed or requests refused early, by reason");
  g_string_append_printf (out,
                          "yunguan_http_closed_total{reason=\"header_timeout\"} %" G_GUINT64_FORMAT
                          "\nyunguan_http_closed_total{reason=\"body_timeout\"} %" G_GUINT64_FORMAT
                          "\nyunguan_http_closed_total{reason=\"refused_early\"} %" G_GUINT64_FORMAT
                          "\n",
                          stats.header_timeouts, stats.body_timeouts, stats.refused_requests);
  yg_metrics_write_family (out, "yunguan_http_handed_off_total", "counter",
                           "Connections a delivery thread gave to the main thread for a request "
                           "only it serves");
  g_string_append_printf (out, "yunguan_http_handed_off_total %" G_GUINT64_FORMAT "\n",
                          stats.handed_off);
  yg_metrics_write_family (out, "yunguan_http_fast_answers_total", "counter",
                           "Requests the delivery threads answered without libsoup");
  g_string_append_printf (out, "yunguan_http_fast_answers_total %" G_GUINT64_FORMAT "\n",
                          yg_fast_path_answered ());
  yg_metrics_write_family (out, "yunguan_http_sendfile_bytes_total", "counter",
                           "Response body bytes sent from files with sendfile(2), without a copy");
  g_string_append_printf (out, "yunguan_http_sendfile_bytes_total %" G_GUINT64_FORMAT "\n",
                          yg_conn_stream_sent_without_copy ());

  yg_metrics_write_family (out, "yunguan_uploads", "gauge", "tus uploads known to the server, by state");
  for (YgTusState st = YG_TUS_RECEIVING; st <= YG_TUS_FAILED; st++)
    g_string_append_printf (out, "yunguan_uploads{state=\"%s\"} %u\n", yg_tus_state_to_string (st),
                            yg_tus_store_count (yg_server_get_uploads (server), st, NULL));
  {
    guint64 bytes = 0;
    yg_tus_store_count (yg_server_get_uploads (server), YG_TUS_RECEIVING, &bytes);
    yg_metrics_write_family (out, "yunguan_upload_bytes_received", "gauge",
                             "Bytes received so far by unfinished uploads");
    g_string_append_printf (out, "yunguan_upload_bytes_received %" G_GUINT64_FORMAT "\n", bytes);
  }
  yg_metrics_write_family (out, "yunguan_workers", "gauge", "Local transcode workers running");
  g_string_append_printf (out, "yunguan_workers %u\n", yg_server_get_running_workers (server));
  yg_metrics_write_family (out, "yunguan_workers_configured", "gauge",
                           "Local transcode workers this server keeps running");
  g_string_append_printf (out, "yunguan_workers_configured %u\n",
                          yg_config_get_workers (yg_server_get_config (server)));
  yg_metrics_write_family (out, "yunguan_jobs", "gauge", "Transcode jobs by state");
  for (guint i = 0; i < counts->len; i++)
    {
      StateCount *sc = &g_array_index (counts, StateCount, i);
      g_string_append_printf (out, "yunguan_jobs{state=\"%s\"} %" G_GINT64_FORMAT "\n", sc->state,
                              sc->count);
    }
  yg_metrics_write_family (out, "yunguan_job_progress_percent", "gauge",
                           "Progress of each running transcode job");
  for (guint i = 0; i < figures->running->len; i++)
    {
      RunningJob *r = &g_array_index (figures->running, RunningJob, i);
      g_string_append_printf (out, "yunguan_job_progress_percent{job=\"%" G_GINT64_FORMAT "\"} %d\n",
                              r->id, (int) (r->progress * 100 + 0.5));
    }
  job_figures_free (figures);
  body = g_string_free_to_bytes (out);
  yg_request_respond_bytes (req, 200, "text/plain; version=0.0.4; charset=utf-8", body);
}

void
yg_route_metrics (YgServer *server, YgRequest *req)
{
  yg_request_pause (req);
  yg_db_run_async (yg_server_get_db (server), count_jobs, NULL, NULL, job_figures_free, NULL,
                   metrics_done, g_object_ref (req->msg));
}

/* --- /api/v1/openapi.yaml ---------------------------------------------------------- */

void
yg_route_openapi (YgServer *server, YgRequest *req)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) doc = g_resources_lookup_data ("/org/yunguan/openapi.yaml",
                                                    G_RESOURCE_LOOKUP_FLAGS_NONE, &error);

  if (doc == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Cache-Control", "public, max-age=300");
  yg_request_respond_bytes (req, 200, "application/yaml; charset=utf-8", doc);
}

/* --- /api/v1/me -------------------------------------------------------------------- */

void
yg_route_me (YgServer *server, YgRequest *req)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, yg_role_to_string (req->principal->role));
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, req->principal->name);
  if (req->principal->session_id != 0) /* signed in with a cookie */
    {
      json_builder_set_member_name (b, "user_id");
      json_builder_add_int_value (b, req->principal->user_id);
      json_builder_set_member_name (b, "username");
      json_builder_add_string_value (b, req->principal->username);
      json_builder_set_member_name (b, "display_name");
      json_builder_add_string_value (b, req->principal->name);
      json_builder_set_member_name (b, "csrf_token");
      json_builder_add_string_value (b, req->principal->csrf_token);
    }
  json_builder_end_object (b);
  yg_request_respond_json (req, 200, json_builder_get_root (b));
}

/* yg-route-analytics.c: staff analytics and the monthly report.
 *
 *   GET /api/v1/analytics/{dimension}[?from=YYYY-MM-DD&to=YYYY-MM-DD]  staff
 *       dimension: items | courses | kinds | categories | communities | total | days |
 *                  partners
 *       → {dimension, from, to, rows: [{key, label, views, unique_viewers,
 *          watch_hours, average_fraction, completion_rate, retention, …}]}
 *       dimension population → {from, to, population: {active_viewers,
 *          returning_7d, returning_30d, …, visits_per_active_resident_per_month}}
 *   GET /api/v1/reports/{month}  staff; month YYYY-MM, YYYY-MM.json or YYYY-MM.csv
 * Dates are UTC days, both ends included; the default period is the last 30
 * days; at most 366 days. The report's viewing figures are the "total" and
 * "items" rows of the same month, computed by the same code.
 * Thread: main thread; the figures are computed on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-field-error.h"
#include "yg-http-error.h"
#include "yg-report-format.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-server.h"

#include <string.h>

#define MAX_DAYS 366

typedef struct
{
  YgAnalyticsDimension dim; /* YG_ANALYTICS_INVALID: population */
  gint64 from_day, to_day;
  char *month;
  YgReportRules rules;
  gboolean csv;
} Call;

static void
call_free (Call *c)
{
  g_free (c->month);
  g_free (c);
}

/* "YYYY-MM-DD" → UTC day number. */
static gboolean
parse_day (const char *s, gint64 *day)
{
  g_autoptr (GDateTime) dt = NULL;
  guint64 y, m, d;

  if (s == NULL || strlen (s) != 10 || s[4] != '-' || s[7] != '-')
    return FALSE;
  {
    g_autofree char *ys = g_strndup (s, 4), *ms = g_strndup (s + 5, 2);
    if (!g_ascii_string_to_unsigned (ys, 10, 2000, 2999, &y, NULL)
        || !g_ascii_string_to_unsigned (ms, 10, 1, 12, &m, NULL)
        || !g_ascii_string_to_unsigned (s + 8, 10, 1, 31, &d, NULL))
      return FALSE;
  }
  dt = g_date_time_new_utc (y, m, d, 0, 0, 0);
  if (dt == NULL || g_date_time_get_day_of_month (dt) != (int) d)
    return FALSE;
  *day = g_date_time_to_unix (dt) / 86400;
  return TRUE;
}

static char *
day_text (gint64 day)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (day * 86400);

  return g_date_time_format (dt, "%Y-%m-%d");
}

static gpointer
db_rows (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  if (c->dim == YG_ANALYTICS_INVALID)
    {
      YgAnalyticsPopulation *p = g_new0 (YgAnalyticsPopulation, 1);
      if (!yg_analytics_population (conn, c->from_day, c->to_day, p, error))
        {
          g_free (p);
          return NULL;
        }
      return p;
    }
  return yg_analytics_query (conn, c->dim, c->from_day, c->to_day, error);
}

static JsonNode *
rows_json (YgRequest *req, gpointer result)
{
  Call *c = g_object_get_data (G_OBJECT (req->msg), "yg-analytics-call");
  g_autofree char *from = day_text (c->from_day), *to = day_text (c->to_day - 1);
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "dimension");
  json_builder_add_string_value (b, c->dim == YG_ANALYTICS_INVALID
                                        ? "population"
                                        : yg_analytics_dimension_to_string (c->dim));
  json_builder_set_member_name (b, "from");
  json_builder_add_string_value (b, from);
  json_builder_set_member_name (b, "to");
  json_builder_add_string_value (b, to);
  if (c->dim == YG_ANALYTICS_INVALID)
    {
      json_builder_set_member_name (b, "population");
      json_builder_add_value (b, yg_report_format_population (result));
      g_free (result);
    }
  else
    {
      GPtrArray *rows = result;
      json_builder_set_member_name (b, "rows");
      json_builder_begin_array (b);
      for (guint i = 0; i < rows->len; i++)
        json_builder_add_value (b, yg_report_format_row (rows->pdata[i]));
      json_builder_end_array (b);
      g_ptr_array_unref (rows);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
yg_route_analytics (YgServer *server, YgRequest *req)
{
  static const char *const filters[] = { "from", "to", NULL };
  g_autoptr (GError) error = NULL;
  GHashTable *query = yg_request_query (req);
  const char *name = yg_request_param (req, 0);
  const char *from = g_hash_table_lookup (query, "from");
  const char *to = g_hash_table_lookup (query, "to");
  gint64 today = g_get_real_time () / G_USEC_PER_SEC / 86400, after;
  guint limit;
  Call *c = g_new0 (Call, 1);

  c->dim = yg_analytics_dimension_from_string (name);
  c->to_day = today + 1;
  c->from_day = today - 29;
  if (c->dim == YG_ANALYTICS_INVALID && !g_str_equal (name, "population"))
    {
      call_free (c);
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND,
                       "Analytics are by items, courses, kinds, categories, communities, days, "
                       "partners, total or population");
      return;
    }
  if (!yg_request_page_query_filtered (req, 1, "", filters, &after, &limit, &error)
      || (from != NULL && !parse_day (from, &c->from_day)
          && !yg_field_error_set (&error, "from", "\"from\" must be a date YYYY-MM-DD"))
      || (to != NULL && !parse_day (to, &c->to_day)
          && !yg_field_error_set (&error, "to", "\"to\" must be a date YYYY-MM-DD")))
    {
      call_free (c);
      yg_request_respond_error (req, error);
      return;
    }
  if (to != NULL)
    c->to_day++;
  if (c->to_day <= c->from_day || c->to_day - c->from_day > MAX_DAYS)
    {
      call_free (c);
      yg_field_error_set (&error, "to", "The period runs from \"from\" to \"to\", at most %d days",
                          MAX_DAYS);
      yg_request_respond_error (req, error);
      return;
    }
  g_object_set_data_full (G_OBJECT (req->msg), "yg-analytics-call", c, (GDestroyNotify) call_free);
  /* rows_json frees the result (a population or a row array) */
  yg_request_run_db (req, db_rows, c, NULL, NULL, 200, rows_json);
}

/* --- reports -------------------------------------------------------------------------------- */

static gpointer
db_report (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  return yg_report_build (conn, c->month, &c->rules, error);
}

static void
report_built (GObject *source, GAsyncResult *res, gpointer data)
{
  SoupServerMessage *msg = data;
  YgRequest *req = yg_request_get (msg);
  Call *c = g_object_get_data (G_OBJECT (msg), "yg-analytics-call");
  g_autoptr (GError) error = NULL;
  g_autoptr (YgReport) r = yg_db_run_finish (YG_DB (source), res, &error);

  if (r == NULL)
    yg_request_respond_error (req, error);
  else if (c->csv)
    {
      char *csv = yg_report_format_csv (r);
      g_autoptr (GBytes) body = g_bytes_new_take (csv, strlen (csv));
      yg_request_respond_bytes (req, 200, "text/csv; charset=utf-8", body);
    }
  else
    yg_request_respond_json (req, 200, yg_report_format_json (r));
  g_object_unref (msg);
}

void
yg_route_report (YgServer *server, YgRequest *req)
{
  const char *name = yg_request_param (req, 0);
  Call *c = g_new0 (Call, 1);
  gint64 from, to;

  c->rules = *yg_server_get_report_rules (server);
  if (g_str_has_suffix (name, ".csv"))
    {
      c->csv = TRUE;
      c->month = g_strndup (name, strlen (name) - 4);
    }
  else if (g_str_has_suffix (name, ".json"))
    c->month = g_strndup (name, strlen (name) - 5);
  else
    c->month = g_strdup (name);
  if (!yg_report_parse_month (c->month, &from, &to))
    {
      call_free (c);
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND,
                       "Reports are at /api/v1/reports/YYYY-MM(.json|.csv)");
      return;
    }
  g_object_set_data_full (G_OBJECT (req->msg), "yg-analytics-call", c, (GDestroyNotify) call_free);
  yg_request_pause (req);
  yg_db_run_async (yg_server_get_db (server), db_report, c, NULL, (GDestroyNotify) yg_report_free,
                   NULL, report_built, g_object_ref (req->msg));
}

/* yg-report.c: the supervisor's monthly report (content, viewing, courses,
 * requests, satisfaction) and its 100-point assessment score.
 *
 * Viewing figures are the analytics "total" and per-item rows of the same
 * month (yg-analytics.c), so the report and the analytics API agree. Each
 * indicator earns weight × min (1, value / target) points (for
 * request_response_days: weight × min (1, target / value)); a month with no
 * answered request earns that indicator's points only when no request is
 * waiting for an answer. Weights, targets and the pass line (85) have
 * defaults here (documented in docs/operations.md) and may be replaced from
 * an INI file ([indicators] name = weight,target; [report] pass_line).
 * The month is a UTC calendar month.
 * Thread: the DB thread (yg_report_build); the rest anywhere.
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yg-field-error.h"

const char *const yg_report_kinds[3] = { "performance", "lesson", "heritage" };

static const YgReportIndicator default_indicators[YG_REPORT_N_INDICATORS] = {
  { "content_hours", 15, 20, FALSE },        /* hours of recordings published */
  { "watch_hours", 20, 500, FALSE },         /* hours watched */
  { "unique_viewers", 15, 1000, FALSE },
  { "completion_rate", 10, 0.5, FALSE },     /* share of views watched to 90 % */
  { "course_completions", 10, 50, FALSE },
  { "request_response_days", 10, 7, TRUE },  /* median days from request to answer */
  { "satisfaction", 20, 4.5, FALSE },        /* average stars */
};

void
yg_report_rules_init (YgReportRules *rules)
{
  memcpy (rules->indicators, default_indicators, sizeof default_indicators);
  rules->pass_line = 85;
}

/**
 * yg_report_rules_load:
 * @path: an INI file
 *
 * Replaces the weights and targets it names; the weights must still add up
 * to 100.
 */
gboolean
yg_report_rules_load (YgReportRules *rules, const char *path, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_auto (GStrv) keys = NULL;
  double sum = 0;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, error))
    return FALSE;
  keys = g_key_file_get_keys (kf, "indicators", NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autofree char *value = g_key_file_get_string (kf, "indicators", keys[i], NULL);
      g_auto (GStrv) parts = g_strsplit (value != NULL ? value : "", ",", 3);
      YgReportIndicator *ind = NULL;
      char *end1 = NULL, *end2 = NULL;
      double w, t;

      for (guint k = 0; k < YG_REPORT_N_INDICATORS; k++)
        if (g_str_equal (rules->indicators[k].name, keys[i]))
          ind = &rules->indicators[k];
      if (ind == NULL || g_strv_length (parts) != 2)
        return yg_field_error_set (error, keys[i],
                                   "%s: [indicators] %s: an indicator name = weight,target is "
                                   "expected", path, keys[i]);
      w = g_ascii_strtod (g_strstrip (parts[0]), &end1);
      t = g_ascii_strtod (g_strstrip (parts[1]), &end2);
      if (*end1 != '\0' || *end2 != '\0' || !(w >= 0) || !(t > 0) || !isfinite (w) || !isfinite (t))
        return yg_field_error_set (error, keys[i], "%s: [indicators] %s: bad weight or target",
                                   path, keys[i]);
      ind->weight = w;
      ind->target = t;
    }
  if (g_key_file_has_key (kf, "report", "pass_line", NULL))
    {
      g_autoptr (GError) local = NULL;
      double pass = g_key_file_get_double (kf, "report", "pass_line", &local);

      if (local != NULL || !(pass >= 0 && pass <= 100))
        return yg_field_error_set (error, "pass_line", "%s: [report] pass_line must be 0 to 100",
                                   path);
      rules->pass_line = pass;
    }
  for (guint k = 0; k < YG_REPORT_N_INDICATORS; k++)
    sum += rules->indicators[k].weight;
  if (fabs (sum - 100) > 1e-6)
    return yg_field_error_set (error, "indicators", "%s: the weights add up to %g, not 100", path,
                               sum);
  return TRUE;
}

void
yg_report_free (YgReport *r)
{
  if (r == NULL)
    return;
  g_free (r->month);
  g_clear_pointer (&r->top, g_ptr_array_unref);
  g_clear_pointer (&r->bottom, g_ptr_array_unref);
  g_clear_pointer (&r->daily, g_ptr_array_unref);
  g_free (r);
}

/* "YYYY-MM" → its UTC days [from, to). */
gboolean
yg_report_parse_month (const char *month, gint64 *from_day, gint64 *to_day)
{
  g_autoptr (GDateTime) start = NULL, end = NULL;
  guint64 y, m;

  if (month == NULL || strlen (month) != 7 || month[4] != '-'
      || !g_ascii_isdigit (month[0]) || !g_ascii_isdigit (month[5]) || !g_ascii_isdigit (month[6]))
    return FALSE;
  {
    g_autofree char *ys = g_strndup (month, 4);
    if (!g_ascii_string_to_unsigned (ys, 10, 2000, 2999, &y, NULL)
        || !g_ascii_string_to_unsigned (month + 5, 10, 1, 12, &m, NULL))
      return FALSE;
  }
  start = g_date_time_new_utc (y, m, 1, 0, 0, 0);
  end = g_date_time_add_months (start, 1);
  *from_day = g_date_time_to_unix (start) / 86400;
  *to_day = g_date_time_to_unix (end) / 86400;
  return TRUE;
}

static gboolean
scalar (YgDbConn *conn, const char *sql, gint64 from_s, gint64 to_s, double *out, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn, sql, error);
  int rc;

  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, from_s);
  sqlite3_bind_int64 (s, 2, to_s);
  rc = yg_db_conn_step (conn, s, error);
  if (rc != SQLITE_ROW)
    return FALSE;
  *out = sqlite3_column_type (s, 0) == SQLITE_NULL ? NAN : sqlite3_column_double (s, 0);
  sqlite3_reset (s);
  return TRUE;
}

static YgAnalyticsRow *
row_copy (const YgAnalyticsRow *row)
{
  YgAnalyticsRow *copy = g_new0 (YgAnalyticsRow, 1);

  copy->key = g_strdup (row->key);
  copy->label = g_strdup (row->label);
  copy->figures = row->figures;
  return copy;
}

static int
key_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(YgAnalyticsRow *const *) a)->key, (*(YgAnalyticsRow *const *) b)->key);
}

static int
double_cmp (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

static gboolean
median_response (YgDbConn *conn, gint64 from_s, gint64 to_s, YgReport *r, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn,
                                        "SELECT answered_at - created_at FROM demands"
                                        " WHERE answered_at >= ?1 AND answered_at < ?2",
                                        error);
  g_autoptr (GArray) v = g_array_new (FALSE, FALSE, sizeof (double));
  int rc;

  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, from_s);
  sqlite3_bind_int64 (s, 2, to_s);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      double h = sqlite3_column_int64 (s, 0) / 3600.0;
      g_array_append_val (v, h);
    }
  if (rc < 0)
    return FALSE;
  r->requests_answered = v->len;
  g_array_sort (v, double_cmp);
  if (v->len == 0)
    r->median_response_hours = NAN;
  else if (v->len % 2 == 1)
    r->median_response_hours = g_array_index (v, double, v->len / 2);
  else
    r->median_response_hours
        = (g_array_index (v, double, v->len / 2 - 1) + g_array_index (v, double, v->len / 2)) / 2;
  return TRUE;
}

/* Computes the points of every indicator from the figures of @r. */
void
yg_report_score (YgReport *r, const YgReportRules *rules)
{
  r->score = 0;
  for (guint k = 0; k < YG_REPORT_N_INDICATORS; k++)
    {
      const YgReportIndicator *ind = &rules->indicators[k];
      YgReportScore *sc = &r->scores[k];
      double v = NAN, ratio = 0;

      sc->name = ind->name;
      sc->weight = ind->weight;
      sc->target = ind->target;
      if (g_str_equal (ind->name, "content_hours"))
        v = r->content_hours_total;
      else if (g_str_equal (ind->name, "watch_hours"))
        v = r->totals.watch_seconds / 3600;
      else if (g_str_equal (ind->name, "unique_viewers"))
        v = r->totals.unique_viewers;
      else if (g_str_equal (ind->name, "completion_rate"))
        v = r->totals.timed_views > 0 ? yg_analytics_completion_rate (&r->totals) : NAN;
      else if (g_str_equal (ind->name, "course_completions"))
        v = r->course_completions;
      else if (g_str_equal (ind->name, "request_response_days"))
        v = r->median_response_hours / 24;
      else if (g_str_equal (ind->name, "satisfaction"))
        v = r->satisfaction;
      sc->value = v;
      if (isnan (v))
        ratio = ind->lower_better && r->requests_awaiting == 0 ? 1 : 0;
      else if (ind->lower_better)
        ratio = v <= ind->target ? 1 : ind->target / v;
      else
        ratio = MIN (1.0, v / ind->target);
      sc->points = ind->weight * ratio;
      r->score += sc->points;
    }
  r->pass_line = rules->pass_line;
  r->passed = r->score >= rules->pass_line - 1e-9;
}

/**
 * yg_report_build:
 * @month: YYYY-MM
 *
 * Returns: (transfer full): the month's figures and score; a field error
 *   "month" for a malformed month
 */
YgReport *
yg_report_build (YgDbConn *conn, const char *month, const YgReportRules *rules, GError **error)
{
  g_autoptr (YgReport) r = g_new0 (YgReport, 1);
  g_autoptr (GPtrArray) total = NULL, items = NULL;
  gint64 from_s, to_s;
  double v;

  if (!yg_report_parse_month (month, &r->from_day, &r->to_day))
    {
      yg_field_error_set (error, "month", "\"%s\" is not a month (YYYY-MM)", month);
      return NULL;
    }
  r->month = g_strdup (month);
  from_s = r->from_day * 86400;
  to_s = r->to_day * 86400;
  for (guint k = 0; k < G_N_ELEMENTS (yg_report_kinds); k++)
    {
      g_autofree char *sql = g_strdup_printf (
          "SELECT coalesce (sum (duration), 0) / 3600.0 FROM items WHERE status = 'ready'"
          " AND kind = '%s' AND created_at >= ?1 AND created_at < ?2",
          yg_report_kinds[k]);
      if (!scalar (conn, sql, from_s, to_s, &r->content_hours[k], error))
        return NULL;
      r->content_hours_total += r->content_hours[k];
    }
  total = yg_analytics_query (conn, YG_ANALYTICS_TOTAL, r->from_day, r->to_day, error);
  if (total == NULL)
    return NULL;
  if (total->len > 0)
    r->totals = ((YgAnalyticsRow *) total->pdata[0])->figures;
  if (!yg_analytics_population (conn, r->from_day, r->to_day, &r->population, error))
    return NULL;
  r->unique_residents = r->population.active_residents;
  items = yg_analytics_query (conn, YG_ANALYTICS_BY_ITEM, r->from_day, r->to_day, error);
  if (items == NULL)
    return NULL;
  r->top = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_analytics_row_free);
  r->bottom = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_analytics_row_free);
  for (guint i = 0; i < items->len && i < 5; i++)
    g_ptr_array_add (r->top, row_copy (items->pdata[i]));
  for (guint i = items->len; i > 0 && r->bottom->len < 5; i--)
    g_ptr_array_add (r->bottom, row_copy (items->pdata[i - 1]));
  if (!scalar (conn,
               "SELECT count (*) FROM (SELECT p.user_id, cl.course_id, max (p.updated_at) AS last,"
               " count (*) AS done FROM progress p JOIN course_lessons cl ON cl.item_id = p.item_id"
               " JOIN courses c ON c.id = cl.course_id JOIN items i ON i.id = p.item_id"
               " WHERE p.furthest >= c.threshold * coalesce (i.duration, p.duration) - 1e-9"
               " GROUP BY p.user_id, cl.course_id) x WHERE x.last >= ?1 AND x.last < ?2"
               " AND x.done = (SELECT count (*) FROM course_lessons WHERE course_id = x.course_id)",
               from_s, to_s, &v, error))
    return NULL;
  r->course_completions = (gint64) v;
  if (!scalar (conn, "SELECT count (*) FROM demands WHERE created_at >= ?1 AND created_at < ?2",
               from_s, to_s, &v, error))
    return NULL;
  r->requests_created = (gint64) v;
  if (!scalar (conn,
               "SELECT count (*) FROM demands WHERE status = 'threshold_reached'"
               " AND threshold_at < ?2 AND ?1 >= 0",
               from_s, to_s, &v, error))
    return NULL;
  r->requests_awaiting = (gint64) v;
  if (!median_response (conn, from_s, to_s, r, error))
    return NULL;
  if (!scalar (conn,
               "SELECT count (*) FROM ratings WHERE hidden_at IS NULL AND updated_at >= ?1"
               " AND updated_at < ?2",
               from_s, to_s, &v, error))
    return NULL;
  r->ratings = (gint64) v;
  if (!scalar (conn,
               "SELECT avg (stars) FROM ratings WHERE hidden_at IS NULL AND updated_at >= ?1"
               " AND updated_at < ?2",
               from_s, to_s, &r->satisfaction, error))
    return NULL;
  for (guint k = 0; k < 5; k++)
    {
      g_autofree char *q = g_strdup_printf (
          "SELECT count (*) FROM ratings WHERE hidden_at IS NULL AND stars = %u"
          " AND updated_at >= ?1 AND updated_at < ?2",
          k + 1);
      if (!scalar (conn, q, from_s, to_s, &v, error))
        return NULL;
      r->stars[k] = (gint64) v;
    }
  {
    static const char *const funnel_sql[3] = {
      "SELECT count (*) FROM demands WHERE threshold_at IS NOT NULL AND created_at >= ?1"
      " AND created_at < ?2",
      "SELECT count (*) FROM demands WHERE status = 'scheduled' AND created_at >= ?1"
      " AND created_at < ?2",
      "SELECT count (*) FROM demands WHERE status = 'declined' AND created_at >= ?1"
      " AND created_at < ?2",
    };
    for (guint k = 0; k < 3; k++)
      {
        if (!scalar (conn, funnel_sql[k], from_s, to_s, &v, error))
          return NULL;
        r->funnel[k] = (gint64) v;
      }
  }
  r->daily = yg_analytics_query (conn, YG_ANALYTICS_BY_DAY, r->from_day, r->to_day, error);
  if (r->daily == NULL)
    return NULL;
  g_ptr_array_sort (r->daily, key_cmp);
  yg_report_score (r, rules);
  return g_steal_pointer (&r);
}

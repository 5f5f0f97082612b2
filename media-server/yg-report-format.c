/* yg-report-format.c: the shapes of analytics figures and of the monthly
 * report, shared by the API and `yunguan report`.
 *
 * Figures: {views, unique_viewers, watch_hours, average_fraction,
 * completion_rate, timed_views, retention: [21 shares at 0 %, 5 %, … 100 %]}.
 * The report JSON nests them; the CSV has one line per figure, indicator
 * and top/bottom item, all with the same columns
 * (section,key,label,value,target,weight,points); the HTML is a plain
 * printable table page (no script). Numbers are rounded to 4 decimals so
 * that two formats of the same report agree digit for digit.
 * Thread: any.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-report-format.h"

#include <math.h>
#include <string.h>

static double
round4 (double v)
{
  return round (v * 10000) / 10000;
}

static void
add_number (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isnan (v))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, round4 (v));
}

static void
add_int (JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

JsonNode *
yg_report_format_figures (const YgAnalyticsFigures *f)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_int (b, "views", f->views);
  add_int (b, "unique_viewers", f->unique_viewers);
  add_number (b, "watch_hours", f->watch_seconds / 3600);
  add_int (b, "timed_views", f->timed_views);
  add_number (b, "average_fraction", yg_analytics_average_fraction (f));
  add_int (b, "completions", f->completions);
  add_number (b, "completion_rate", yg_analytics_completion_rate (f));
  json_builder_set_member_name (b, "retention");
  json_builder_begin_array (b);
  for (guint k = 0; k < YG_ANALYTICS_POINTS; k++)
    json_builder_add_double_value (b, round4 (yg_analytics_retention (f, k)));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
yg_report_format_row (const YgAnalyticsRow *row)
{
  JsonNode *node = yg_report_format_figures (&row->figures);
  JsonObject *o = json_node_get_object (node);

  json_object_set_string_member (o, "key", row->key);
  json_object_set_string_member (o, "label", row->label);
  return node;
}

JsonNode *
yg_report_format_population (const YgAnalyticsPopulation *p)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_int (b, "active_viewers", p->active_viewers);
  add_int (b, "returning_7d", p->returning_7);
  add_number (b, "returning_7d_rate",
              p->active_viewers > 0 ? (double) p->returning_7 / p->active_viewers : 0);
  add_int (b, "returning_30d", p->returning_30);
  add_number (b, "returning_30d_rate",
              p->active_viewers > 0 ? (double) p->returning_30 / p->active_viewers : 0);
  add_int (b, "active_residents", p->active_residents);
  add_int (b, "resident_visits", p->resident_visits);
  add_number (b, "visits_per_active_resident_per_month", p->visits_per_resident_month);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
add_rows (JsonBuilder *b, const char *name, GPtrArray *rows)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; i < rows->len; i++)
    json_builder_add_value (b, yg_report_format_row (rows->pdata[i]));
  json_builder_end_array (b);
}

JsonNode *
yg_report_format_json (const YgReport *r)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "month");
  json_builder_add_string_value (b, r->month);
  json_builder_set_member_name (b, "content_hours");
  json_builder_begin_object (b);
  for (guint k = 0; k < G_N_ELEMENTS (yg_report_kinds); k++)
    add_number (b, yg_report_kinds[k], r->content_hours[k]);
  add_number (b, "total", r->content_hours_total);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "viewing");
  json_builder_add_value (b, yg_report_format_figures (&r->totals));
  json_builder_set_member_name (b, "population");
  json_builder_add_value (b, yg_report_format_population (&r->population));
  add_int (b, "unique_residents", r->unique_residents);
  add_int (b, "course_completions", r->course_completions);
  json_builder_set_member_name (b, "requests");
  json_builder_begin_object (b);
  add_int (b, "created", r->requests_created);
  add_int (b, "answered", r->requests_answered);
  add_int (b, "awaiting_answer", r->requests_awaiting);
  add_int (b, "reached_threshold", r->funnel[0]);
  add_int (b, "scheduled", r->funnel[1]);
  add_int (b, "declined", r->funnel[2]);
  add_number (b, "median_response_hours", r->median_response_hours);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "satisfaction");
  json_builder_begin_object (b);
  add_number (b, "average", r->satisfaction);
  add_int (b, "count", r->ratings);
  json_builder_set_member_name (b, "distribution");
  json_builder_begin_object (b);
  for (guint k = 0; k < 5; k++)
    {
      char name[2] = { '1' + k, '\0' };
      add_int (b, name, r->stars[k]);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  add_rows (b, "daily", r->daily);
  add_rows (b, "top_items", r->top);
  add_rows (b, "bottom_items", r->bottom);
  json_builder_set_member_name (b, "score");
  json_builder_begin_object (b);
  add_number (b, "total", r->score);
  add_number (b, "pass_line", r->pass_line);
  json_builder_set_member_name (b, "passed");
  json_builder_add_boolean_value (b, r->passed);
  json_builder_set_member_name (b, "indicators");
  json_builder_begin_array (b);
  for (guint k = 0; k < YG_REPORT_N_INDICATORS; k++)
    {
      const YgReportScore *s = &r->scores[k];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, s->name);
      add_number (b, "value", s->value);
      add_number (b, "target", s->target);
      add_number (b, "weight", s->weight);
      add_number (b, "points", s->points);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* One CSV field, quoted when it needs to be. */
static void
csv_field (GString *out, const char *s, gboolean last)
{
  if (s != NULL && strpbrk (s, ",\"\r\n") != NULL)
    {
      g_string_append_c (out, '"');
      for (const char *p = s; *p != '\0'; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else if (s != NULL)
    g_string_append (out, s);
  g_string_append_c (out, last ? '\n' : ',');
}

static char *
csv_number (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (v))
    return g_strdup ("");
  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.4f", round4 (v)));
}

/* One line of the flat report: the CSV's and the HTML table's row. */
typedef struct
{
  GString *out;
  gboolean html;
} Lines;

static void
line (Lines *l, const char *section, const char *key, const char *label, double value,
      double target, double weight, double points)
{
  g_autofree char *v = csv_number (value), *t = csv_number (target), *w = csv_number (weight),
                  *p = csv_number (points);
  const char *cells[] = { section, key, label, v, t, w, p };

  if (l->html)
    g_string_append (l->out, "<tr>");
  for (guint i = 0; i < G_N_ELEMENTS (cells); i++)
    {
      gboolean last = i + 1 == G_N_ELEMENTS (cells);

      if (l->html)
        {
          g_autofree char *escaped = g_markup_escape_text (cells[i] != NULL ? cells[i] : "", -1);
          g_string_append_printf (l->out, "<td>%s</td>%s", escaped, last ? "</tr>\n" : "");
        }
      else
        csv_field (l->out, cells[i], last);
    }
}

/* Every line of the report, in order. */
static void
report_lines (const YgReport *r, Lines *l)
{
  const YgAnalyticsFigures *f = &r->totals;

  line (l, "report", "month", r->month, NAN, NAN, NAN, NAN);
  for (guint k = 0; k < G_N_ELEMENTS (yg_report_kinds); k++)
    line (l, "content_hours", yg_report_kinds[k], NULL, r->content_hours[k], NAN, NAN, NAN);
  line (l, "content_hours", "total", NULL, r->content_hours_total, NAN, NAN, NAN);
  line (l, "viewing", "views", NULL, f->views, NAN, NAN, NAN);
  line (l, "viewing", "unique_viewers", NULL, f->unique_viewers, NAN, NAN, NAN);
  line (l, "viewing", "watch_hours", NULL, f->watch_seconds / 3600, NAN, NAN, NAN);
  line (l, "viewing", "average_fraction", NULL, yg_analytics_average_fraction (f), NAN, NAN, NAN);
  line (l, "viewing", "completion_rate", NULL, yg_analytics_completion_rate (f), NAN, NAN, NAN);
  line (l, "population", "unique_residents", NULL, r->unique_residents, NAN, NAN, NAN);
  line (l, "population", "returning_7d", NULL, r->population.returning_7, NAN, NAN, NAN);
  line (l, "population", "returning_30d", NULL, r->population.returning_30, NAN, NAN, NAN);
  line (l, "population", "visits_per_active_resident_per_month", NULL,
        r->population.visits_per_resident_month, NAN, NAN, NAN);
  line (l, "courses", "course_completions", NULL, r->course_completions, NAN, NAN, NAN);
  line (l, "requests", "created", NULL, r->requests_created, NAN, NAN, NAN);
  line (l, "requests", "reached_threshold", NULL, r->funnel[0], NAN, NAN, NAN);
  line (l, "requests", "scheduled", NULL, r->funnel[1], NAN, NAN, NAN);
  line (l, "requests", "answered", NULL, r->requests_answered, NAN, NAN, NAN);
  line (l, "requests", "median_response_hours", NULL, r->median_response_hours, NAN, NAN, NAN);
  line (l, "satisfaction", "average", NULL, r->satisfaction, NAN, NAN, NAN);
  line (l, "satisfaction", "count", NULL, r->ratings, NAN, NAN, NAN);
  for (guint i = 0; i < r->top->len; i++)
    {
      const YgAnalyticsRow *row = r->top->pdata[i];
      line (l, "top_items", row->key, row->label, row->figures.views, NAN, NAN, NAN);
    }
  for (guint i = 0; i < r->bottom->len; i++)
    {
      const YgAnalyticsRow *row = r->bottom->pdata[i];
      line (l, "bottom_items", row->key, row->label, row->figures.views, NAN, NAN, NAN);
    }
  for (guint k = 0; k < YG_REPORT_N_INDICATORS; k++)
    {
      const YgReportScore *sc = &r->scores[k];
      line (l, "indicator", sc->name, NULL, sc->value, sc->target, sc->weight, sc->points);
    }
  line (l, "score", "total", r->passed ? "passed" : "failed", r->score, r->pass_line, 100,
        r->score);
}

#define COLUMNS_LINE "section,key,label,value,target,weight,points"

char *
yg_report_format_csv (const YgReport *r)
{
  Lines l = { g_string_new (COLUMNS_LINE "\n"), FALSE };

  report_lines (r, &l);
  return g_string_free (l.out, FALSE);
}

/* A printable page: the CSV's lines as an HTML table (every text escaped), no script. */
char *
yg_report_format_html (const YgReport *r)
{
  g_autofree char *month = g_markup_escape_text (r->month, -1);
  g_auto (GStrv) heads = g_strsplit (COLUMNS_LINE, ",", -1);
  Lines l = { g_string_new (NULL), TRUE };

  g_string_append_printf (l.out,
                          "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                          "<title>云馆月报 %s</title><style>body{font-family:sans-serif}"
                          "table{border-collapse:collapse}td,th{border:1px solid #999;"
                          "padding:2px 6px}</style></head><body>\n<h1>云馆月报 %s</h1>\n"
                          "<p>得分 %.1f / 100（合格线 %.0f）：%s</p>\n<table>\n<tr>",
                          month, month, r->score, r->pass_line, r->passed ? "合格" : "不合格");
  for (guint i = 0; heads[i] != NULL; i++)
    g_string_append_printf (l.out, "<th>%s</th>", heads[i]);
  g_string_append (l.out, "</tr>\n");
  report_lines (r, &l);
  g_string_append (l.out, "</table>\n</body></html>\n");
  return g_string_free (l.out, FALSE);
}

/* yg-report.h: the monthly supervisor's report and its 100-point score. DB-thread functions. */
#pragma once

#include "yg-analytics.h"
#include "yg-db.h"

G_BEGIN_DECLS

typedef struct
{
  const char *name;      /* indicator key, e.g. "watch_hours" */
  double weight;         /* points it is worth; the weights add up to 100 */
  double target;         /* the value that earns all its points */
  gboolean lower_better; /* request_response_days: at or below the target earns all */
} YgReportIndicator;

#define YG_REPORT_N_INDICATORS 7

typedef struct
{
  YgReportIndicator indicators[YG_REPORT_N_INDICATORS];
  double pass_line;      /* default 85 */
} YgReportRules;

void yg_report_rules_init (YgReportRules *rules);
gboolean yg_report_rules_load (YgReportRules *rules, const char *path, GError **error);

typedef struct
{
  const char *name;
  double value;   /* NAN when there is nothing to measure */
  double weight, target, points;
} YgReportScore;

typedef struct
{
  char *month;                   /* YYYY-MM */
  gint64 from_day, to_day;       /* UTC days [from, to) */
  double content_hours[3];       /* published (ready) in the month: performance, lesson, heritage */
  double content_hours_total;
  YgAnalyticsFigures totals;     /* the analytics "total" row of the month */
  YgAnalyticsPopulation population;
  gint64 unique_residents;
  gint64 course_completions;     /* (resident, course) completed, last lesson in the month */
  gint64 requests_created, requests_answered, requests_awaiting;
  gint64 funnel[3];              /* requests created in the month: reached the threshold,
                                    scheduled, declined (by now) */
  double median_response_hours;  /* created → answered, of answers given in the month; NAN if none */
  gint64 ratings;                /* visible ratings given or changed in the month */
  double satisfaction;           /* their average stars; NAN if none */
  gint64 stars[5];               /* their distribution: stars[k] ratings of k + 1 stars */
  GPtrArray *daily;              /* (element-type YgAnalyticsRow) the analytics "days" rows, in order */
  GPtrArray *top;                /* (element-type YgAnalyticsRow) most viewed items, at most 5 */
  GPtrArray *bottom;             /* least viewed items with views, at most 5 */
  YgReportScore scores[YG_REPORT_N_INDICATORS];
  double score;
  double pass_line;
  gboolean passed;
} YgReport;

void yg_report_free (YgReport *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgReport, yg_report_free)

gboolean yg_report_parse_month (const char *month, gint64 *from_day, gint64 *to_day);
YgReport *yg_report_build (YgDbConn *conn, const char *month, const YgReportRules *rules,
                           GError **error);
void yg_report_score (YgReport *r, const YgReportRules *rules);

extern const char *const yg_report_kinds[3];

G_END_DECLS

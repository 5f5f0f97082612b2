/* yg-analytics.h: watch sessions derived from heartbeats, and the figures made of them.
 * Pure functions plus DB-thread queries. */
#pragma once

#include "yg-db.h"
#include "yg-heartbeat-store.h"

G_BEGIN_DECLS

#define YG_ANALYTICS_POINTS 21        /* retention at 0 %, 5 %, …, 100 % of the duration */
#define YG_ANALYTICS_COMPLETE 0.9     /* a view is complete when 90 % of the item was watched */
#define YG_ANALYTICS_DAY_MS G_GINT64_CONSTANT (86400000)

/* One event of a playback as the session computation sees it. */
typedef struct
{
  gint64 at_ms;
  YgHeartbeatEvent event;
  double position;
} YgWatchPoint;

/* One playback (a session id on one item). */
typedef struct
{
  double watch_seconds; /* time spent playing (replays count again) */
  double covered;       /* seconds of the item watched at least once */
  double reach;         /* furthest position reached by playing */
} YgWatchSession;

typedef struct
{
  gint64 views;
  gint64 unique_viewers;
  double watch_seconds;
  double fraction_sum;   /* sum of watched fractions of timed views */
  gint64 timed_views;    /* views of items with a known duration */
  gint64 completions;
  gint64 reach[YG_ANALYTICS_POINTS]; /* timed views that reached k × 5 % */
} YgAnalyticsFigures;

void yg_analytics_session (const YgWatchPoint *points, guint n, YgWatchSession *out);
void yg_analytics_add_session (YgAnalyticsFigures *f, const YgWatchSession *s, double duration);
void yg_analytics_merge (YgAnalyticsFigures *into, const YgAnalyticsFigures *from);
double yg_analytics_retention (const YgAnalyticsFigures *f, guint k);
double yg_analytics_average_fraction (const YgAnalyticsFigures *f);
double yg_analytics_completion_rate (const YgAnalyticsFigures *f);

typedef enum
{
  YG_ANALYTICS_BY_ITEM,
  YG_ANALYTICS_BY_COURSE,
  YG_ANALYTICS_BY_KIND,
  YG_ANALYTICS_BY_CATEGORY,
  YG_ANALYTICS_BY_COMMUNITY,
  YG_ANALYTICS_TOTAL,
  YG_ANALYTICS_BY_DAY,
  YG_ANALYTICS_BY_PARTNER,
  YG_ANALYTICS_INVALID,
} YgAnalyticsDimension;

const char *yg_analytics_dimension_to_string (YgAnalyticsDimension d);
YgAnalyticsDimension yg_analytics_dimension_from_string (const char *s);

typedef struct
{
  char *key;    /* item id, course id, kind, category code, community ("" = none), "all",
                   YYYY-MM-DD, partner id ("" = none) */
  char *label;  /* title where there is one, else the key */
  YgAnalyticsFigures figures;
} YgAnalyticsRow;

void yg_analytics_row_free (YgAnalyticsRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgAnalyticsRow, yg_analytics_row_free)

typedef struct
{
  gint64 active_viewers;
  gint64 returning_7;    /* of those, viewers back within 7 days of their first day in the window */
  gint64 returning_30;
  gint64 active_residents;
  gint64 resident_visits;          /* (resident, day) pairs with viewing */
  double visits_per_resident_month; /* per calendar month, averaged over the months */
} YgAnalyticsPopulation;

GPtrArray *yg_analytics_query (YgDbConn *conn, YgAnalyticsDimension dim, gint64 from_day,
                               gint64 to_day, GError **error);
gboolean yg_analytics_population (YgDbConn *conn, gint64 from_day, gint64 to_day,
                                  YgAnalyticsPopulation *out, GError **error);
gint64 yg_analytics_compact (YgDbConn *conn, gint64 before_day, GError **error);

G_END_DECLS

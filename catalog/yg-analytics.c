/* yg-analytics.c: watch sessions, viewing figures and their storage over time.
 *
 * A watch session is one session id on one item. Its events, in time order,
 * make segments: from event a to the next event b the viewer watched
 * [a.position, b.position] when a is not a pause or an end, b is not a
 * seek (a seek reports where playback jumped to), and the position moved
 * forward by no more than 2 × the wall time between them + 2 s (so a jump
 * never counts as watching, while 2× playback speed does). watch_seconds
 * sums the segments, covered is the length of their union (the watched
 * fraction is covered / duration, capped at 1), reach is the furthest
 * segment end. A view is complete at a fraction ≥ 0.9; retention at k × 5 %
 * is the share of timed views whose reach is at least k × 5 % of the
 * duration. Views of items without a known duration count in views and
 * watch time only.
 * Raw heartbeats older than the window are folded into analytics_daily
 * (day of the session's first event, item, community, partner) and deleted, in one
 * transaction; figures for a period add those rows to sessions computed
 * from the raw rows, which never overlap. Unique and returning viewers come
 * from viewings, exact whatever was folded. Days are UTC. The partner of a
 * session is the one its first event was verified for (0 = none; the
 * server decides it, see yg-route-heartbeats.c).
 * Thread: pure functions anywhere; yg_analytics_query/population/compact on
 * the DB thread.
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-analytics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* --- pure computations -------------------------------------------------------------------- */

typedef struct
{
  double from, to;
} Span;

static int
span_cmp (gconstpointer a, gconstpointer b)
{
  const Span *x = a, *y = b;

  return x->from < y->from ? -1 : x->from > y->from ? 1 : 0;
}

/**
 * yg_analytics_session:
 * @points: (array length=n): one session's events, oldest first
 */
void
yg_analytics_session (const YgWatchPoint *points, guint n, YgWatchSession *out)
{
  g_autoptr (GArray) spans = g_array_new (FALSE, FALSE, sizeof (Span));
  double end = -1;

  memset (out, 0, sizeof *out);
  for (guint i = 1; i < n; i++)
    {
      const YgWatchPoint *a = &points[i - 1], *b = &points[i];
      double dt = (b->at_ms - a->at_ms) / 1000.0;
      double dp = b->position - a->position;
      Span span = { a->position, b->position };

      if (a->event == YG_HEARTBEAT_PAUSE || a->event == YG_HEARTBEAT_END
          || b->event == YG_HEARTBEAT_SEEK || dp < 0 || dp > 2 * dt + 2)
        continue;
      out->watch_seconds += dp;
      out->reach = MAX (out->reach, b->position);
      if (dp > 0)
        g_array_append_val (spans, span);
    }
  g_array_sort (spans, span_cmp);
  for (guint i = 0; i < spans->len; i++)
    {
      Span *s = &g_array_index (spans, Span, i);
      double from = MAX (s->from, end);

      if (s->to > from)
        out->covered += s->to - from;
      end = MAX (end, s->to);
    }
}

/* Counts one session of an item of @duration seconds (≤ 0: unknown). */
void
yg_analytics_add_session (YgAnalyticsFigures *f, const YgWatchSession *s, double duration)
{
  double fraction;

  f->views++;
  f->watch_seconds += s->watch_seconds;
  if (!(duration > 0))
    return;
  fraction = MIN (1.0, s->covered / duration);
  f->timed_views++;
  f->fraction_sum += fraction;
  if (fraction >= YG_ANALYTICS_COMPLETE - 1e-9)
    f->completions++;
  for (guint k = 0; k < YG_ANALYTICS_POINTS; k++)
    if (s->reach >= k * 0.05 * duration - 1e-6)
      f->reach[k]++;
}

/* Adds @from to @into (unique viewers are not additive and are left alone). */
void
yg_analytics_merge (YgAnalyticsFigures *into, const YgAnalyticsFigures *from)
{
  into->views += from->views;
  into->watch_seconds += from->watch_seconds;
  into->fraction_sum += from->fraction_sum;
  into->timed_views += from->timed_views;
  into->completions += from->completions;
  for (guint k = 0; k < YG_ANALYTICS_POINTS; k++)
    into->reach[k] += from->reach[k];
}

double
yg_analytics_retention (const YgAnalyticsFigures *f, guint k)
{
  g_return_val_if_fail (k < YG_ANALYTICS_POINTS, 0);
  return f->timed_views > 0 ? (double) f->reach[k] / f->timed_views : 0;
}

double
yg_analytics_average_fraction (const YgAnalyticsFigures *f)
{
  return f->timed_views > 0 ? f->fraction_sum / f->timed_views : 0;
}

double
yg_analytics_completion_rate (const YgAnalyticsFigures *f)
{
  return f->timed_views > 0 ? (double) f->completions / f->timed_views : 0;
}

static const char *const dimension_names[] = { "items", "courses", "kinds", "categories",
                                               "communities", "total", "days",
                                               "partners" };

const char *
yg_analytics_dimension_to_string (YgAnalyticsDimension d)
{
  return d < G_N_ELEMENTS (dimension_names) ? dimension_names[d] : "invalid";
}

YgAnalyticsDimension
yg_analytics_dimension_from_string (const char *s)
{
  for (guint i = 0; s != NULL && i < G_N_ELEMENTS (dimension_names); i++)
    if (g_str_equal (s, dimension_names[i]))
      return i;
  return YG_ANALYTICS_INVALID;
}

void
yg_analytics_row_free (YgAnalyticsRow *row)
{
  if (row == NULL)
    return;
  g_free (row->key);
  g_free (row->label);
  g_free (row);
}

/* --- partial figures per (day, item, community, partner) -------------------------------------------- */

typedef struct
{
  char *kind;
  char *category;
  char *title;
  gint64 course_id; /* 0: in no course */
  char *course_title;
  double duration;  /* ≤ 0: unknown */
} ItemInfo;

static void
item_info_free (ItemInfo *i)
{
  g_free (i->kind);
  g_free (i->category);
  g_free (i->title);
  g_free (i->course_title);
  g_free (i);
}

typedef struct
{
  gint64 day;
  char *item_id;
  char *community; /* "" = none */
  gint64 partner;  /* 0 = none */
  YgAnalyticsFigures f;
} Partial;

static void
partial_free (Partial *p)
{
  g_free (p->item_id);
  g_free (p->community);
  g_free (p);
}

static GHashTable *
load_items (YgDbConn *conn, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "SELECT i.id, i.kind, i.category, i.title, coalesce (cl.course_id, 0), c.title,"
      " coalesce (i.duration, 0) FROM items i LEFT JOIN course_lessons cl ON cl.item_id = i.id"
      " LEFT JOIN courses c ON c.id = cl.course_id",
      error);
  g_autoptr (GHashTable) items = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) item_info_free);
  int rc;

  if (s == NULL)
    return NULL;
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      ItemInfo *i = g_new0 (ItemInfo, 1);

      i->kind = yg_db_column_dup (s, 1);
      i->category = yg_db_column_dup (s, 2);
      i->title = yg_db_column_dup (s, 3);
      i->course_id = sqlite3_column_int64 (s, 4);
      i->course_title = yg_db_column_dup (s, 5);
      i->duration = sqlite3_column_double (s, 6);
      g_hash_table_insert (items, yg_db_column_dup (s, 0), i);
    }
  return rc < 0 ? NULL : g_steal_pointer (&items);
}

static Partial *
partial_for (GHashTable *partials, gint64 day, const char *item_id, const char *community,
             gint64 partner)
{
  g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT "\t%s\t%s\t%" G_GINT64_FORMAT,
                                          day, item_id, community != NULL ? community : "",
                                          partner);
  Partial *p = g_hash_table_lookup (partials, key);

  if (p == NULL)
    {
      p = g_new0 (Partial, 1);
      p->day = day;
      p->item_id = g_strdup (item_id);
      p->community = g_strdup (community != NULL ? community : "");
      p->partner = partner;
      g_hash_table_insert (partials, g_steal_pointer (&key), p);
    }
  return p;
}

static void
close_session (GHashTable *partials, GHashTable *items, GArray *points, const char *item_id,
               const char *community, gint64 partner)
{
  ItemInfo *info = g_hash_table_lookup (items, item_id);
  YgWatchSession ws;
  Partial *p;

  if (points->len == 0)
    return;
  yg_analytics_session ((YgWatchPoint *) points->data, points->len, &ws);
  p = partial_for (partials,
                   g_array_index (points, YgWatchPoint, 0).at_ms / YG_ANALYTICS_DAY_MS, item_id,
                   community, partner);
  yg_analytics_add_session (&p->f, &ws, info != NULL ? info->duration : 0);
  g_array_set_size (points, 0);
}

/* Folds the raw heartbeats in [from_ms, to_ms) into @partials, session by session. */
static gboolean
fold_raw (YgDbConn *conn, GHashTable *items, gint64 from_ms, gint64 to_ms, GHashTable *partials,
          GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "SELECT session, item_id, community, at, event, position, partner_id FROM heartbeats"
      " WHERE at >= ?1 AND at < ?2 ORDER BY session, item_id, at, id",
      error);
  g_autoptr (GArray) points = g_array_new (FALSE, FALSE, sizeof (YgWatchPoint));
  g_autofree char *session = NULL, *item_id = NULL, *community = NULL;
  gint64 partner = 0;
  int rc;

  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, from_ms);
  sqlite3_bind_int64 (s, 2, to_ms);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      const char *sess = (const char *) sqlite3_column_text (s, 0);
      const char *item = (const char *) sqlite3_column_text (s, 1);
      YgWatchPoint pt = { sqlite3_column_int64 (s, 3),
                          yg_heartbeat_event_from_string ((const char *) sqlite3_column_text (s, 4)),
                          sqlite3_column_double (s, 5) };

      if (session == NULL || !g_str_equal (session, sess) || !g_str_equal (item_id, item))
        {
          if (session != NULL)
            close_session (partials, items, points, item_id, community, partner);
          g_free (session);
          g_free (item_id);
          g_free (community);
          session = g_strdup (sess);
          item_id = g_strdup (item);
          community = yg_db_column_dup (s, 2);
          partner = sqlite3_column_int64 (s, 6);
        }
      g_array_append_val (points, pt);
    }
  if (rc < 0)
    return FALSE;
  if (session != NULL)
    close_session (partials, items, points, item_id, community, partner);
  return TRUE;
}

static void
reach_from_text (const char *text, gint64 *reach)
{
  g_auto (GStrv) parts = g_strsplit (text != NULL ? text : "", ",", YG_ANALYTICS_POINTS);

  for (guint k = 0; parts[k] != NULL && k < YG_ANALYTICS_POINTS; k++)
    reach[k] += g_ascii_strtoll (parts[k], NULL, 10);
}

static char *
reach_to_text (const gint64 *reach)
{
  GString *s = g_string_new (NULL);

  for (guint k = 0; k < YG_ANALYTICS_POINTS; k++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, k > 0 ? "," : "", reach[k]);
  return g_string_free (s, FALSE);
}

static gboolean
load_daily (YgDbConn *conn, gint64 from_day, gint64 to_day, GHashTable *partials, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "SELECT day, item_id, community, views, watch_seconds, fraction_sum, timed_views,"
      " completions, reach, partner_id FROM analytics_daily WHERE day >= ?1 AND day < ?2",
      error);
  int rc;

  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, from_day);
  sqlite3_bind_int64 (s, 2, to_day);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      Partial *p = partial_for (partials, sqlite3_column_int64 (s, 0),
                                (const char *) sqlite3_column_text (s, 1),
                                (const char *) sqlite3_column_text (s, 2),
                                sqlite3_column_int64 (s, 9));

      p->f.views += sqlite3_column_int64 (s, 3);
      p->f.watch_seconds += sqlite3_column_double (s, 4);
      p->f.fraction_sum += sqlite3_column_double (s, 5);
      p->f.timed_views += sqlite3_column_int64 (s, 6);
      p->f.completions += sqlite3_column_int64 (s, 7);
      reach_from_text ((const char *) sqlite3_column_text (s, 8), p->f.reach);
    }
  return rc == SQLITE_DONE;
}

/* --- queries -------------------------------------------------------------------------------- */

/* The group key of a partial under @dim, with its label; NULL when it belongs to none. */
static char *
group_key (YgAnalyticsDimension dim, const Partial *p, ItemInfo *info, const char **label)
{
  *label = NULL;
  switch (dim)
    {
    case YG_ANALYTICS_BY_ITEM:
      *label = info != NULL ? info->title : NULL;
      return g_strdup (p->item_id);
    case YG_ANALYTICS_BY_COURSE:
      if (info == NULL || info->course_id == 0)
        return NULL;
      *label = info->course_title;
      return g_strdup_printf ("%" G_GINT64_FORMAT, info->course_id);
    case YG_ANALYTICS_BY_KIND:
      return info != NULL ? g_strdup (info->kind) : NULL;
    case YG_ANALYTICS_BY_CATEGORY:
      return info != NULL && info->category != NULL ? g_strdup (info->category) : NULL;
    case YG_ANALYTICS_BY_COMMUNITY:
      return g_strdup (p->community);
    case YG_ANALYTICS_TOTAL:
      return g_strdup ("all");
    case YG_ANALYTICS_BY_DAY:
      {
        g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (p->day * 86400);
        return g_date_time_format (dt, "%Y-%m-%d");
      }
    case YG_ANALYTICS_BY_PARTNER:
      return p->partner != 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, p->partner) : g_strdup ("");
    case YG_ANALYTICS_INVALID:
    default:
      return NULL;
    }
}

/* The SQL key expression for unique viewers, per dimension (never client text). */
static const char *const unique_sql[] = {
  [YG_ANALYTICS_BY_ITEM] = "SELECT v.item_id, count (DISTINCT v.viewer) FROM viewings v"
                           " WHERE v.day >= ?1 AND v.day < ?2 GROUP BY 1",
  [YG_ANALYTICS_BY_COURSE] = "SELECT cl.course_id, count (DISTINCT v.viewer) FROM viewings v"
                             " JOIN course_lessons cl ON cl.item_id = v.item_id"
                             " WHERE v.day >= ?1 AND v.day < ?2 GROUP BY 1",
  [YG_ANALYTICS_BY_KIND] = "SELECT i.kind, count (DISTINCT v.viewer) FROM viewings v"
                           " JOIN items i ON i.id = v.item_id"
                           " WHERE v.day >= ?1 AND v.day < ?2 GROUP BY 1",
  [YG_ANALYTICS_BY_CATEGORY] = "SELECT i.category, count (DISTINCT v.viewer) FROM viewings v"
                               " JOIN items i ON i.id = v.item_id WHERE i.category IS NOT NULL"
                               " AND v.day >= ?1 AND v.day < ?2 GROUP BY 1",
  [YG_ANALYTICS_BY_COMMUNITY] = "SELECT coalesce (v.community, ''), count (DISTINCT v.viewer)"
                                " FROM viewings v WHERE v.day >= ?1 AND v.day < ?2 GROUP BY 1",
  [YG_ANALYTICS_TOTAL] = "SELECT 'all', count (DISTINCT v.viewer) FROM viewings v"
                         " WHERE v.day >= ?1 AND v.day < ?2",
  [YG_ANALYTICS_BY_DAY] = "SELECT strftime ('%Y-%m-%d', v.day * 86400, 'unixepoch'),"
                          " count (DISTINCT v.viewer) FROM viewings v"
                          " WHERE v.day >= ?1 AND v.day < ?2 GROUP BY v.day",
  [YG_ANALYTICS_BY_PARTNER] = "SELECT CASE v.partner_id WHEN 0 THEN '' ELSE v.partner_id END,"
                              " count (DISTINCT v.viewer) FROM viewings v"
                              " WHERE v.day >= ?1 AND v.day < ?2 GROUP BY 1",
};

static int
row_cmp (gconstpointer a, gconstpointer b)
{
  const YgAnalyticsRow *x = *(YgAnalyticsRow *const *) a, *y = *(YgAnalyticsRow *const *) b;

  if (x->figures.views != y->figures.views)
    return x->figures.views > y->figures.views ? -1 : 1;
  return strcmp (x->key, y->key);
}

/* Partner rows are labelled with the partner's name (a deleted one keeps its id). */
static gboolean
label_partners (YgDbConn *conn, GHashTable *groups, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn, "SELECT id, name FROM partners", error);
  int rc;

  if (s == NULL)
    return FALSE;
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      YgAnalyticsRow *row = g_hash_table_lookup (groups, (const char *) sqlite3_column_text (s, 0));

      if (row != NULL)
        {
          g_free (row->label);
          row->label = yg_db_column_dup (s, 1);
        }
    }
  return rc == SQLITE_DONE;
}

/**
 * yg_analytics_query:
 * @from_day: first UTC day number of the period
 * @to_day: the day after its last
 *
 * Returns: (transfer full) (element-type YgAnalyticsRow): one row per group
 *   with views, most viewed first
 */
GPtrArray *
yg_analytics_query (YgDbConn *conn, YgAnalyticsDimension dim, gint64 from_day, gint64 to_day,
                    GError **error)
{
  g_autoptr (GHashTable) items = NULL;
  g_autoptr (GHashTable) partials = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                           (GDestroyNotify) partial_free);
  g_autoptr (GHashTable) groups = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_analytics_row_free);
  GHashTableIter it;
  Partial *p;
  sqlite3_stmt *s;
  int rc;

  g_return_val_if_fail (dim < YG_ANALYTICS_INVALID, NULL);
  items = load_items (conn, error);
  if (items == NULL || !load_daily (conn, from_day, to_day, partials, error)
      || !fold_raw (conn, items, from_day * YG_ANALYTICS_DAY_MS, to_day * YG_ANALYTICS_DAY_MS,
                    partials, error))
    return NULL;
  g_hash_table_iter_init (&it, partials);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &p))
    {
      ItemInfo *info = g_hash_table_lookup (items, p->item_id);
      const char *label;
      g_autofree char *key = group_key (dim, p, info, &label);
      YgAnalyticsRow *row;

      if (key == NULL)
        continue;
      row = g_hash_table_lookup (groups, key);
      if (row == NULL)
        {
          row = g_new0 (YgAnalyticsRow, 1);
          row->key = g_steal_pointer (&key);
          row->label = g_strdup (label != NULL ? label : row->key);
          g_hash_table_insert (groups, row->key, row);
          g_ptr_array_add (rows, row);
        }
      yg_analytics_merge (&row->figures, &p->f);
    }
  s = yg_db_conn_prepare (conn, unique_sql[dim], error);
  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, from_day);
  sqlite3_bind_int64 (s, 2, to_day);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      YgAnalyticsRow *row = g_hash_table_lookup (groups, (const char *) sqlite3_column_text (s, 0));

      if (row != NULL)
        row->figures.unique_viewers = sqlite3_column_int64 (s, 1);
    }
  if (rc < 0 || (dim == YG_ANALYTICS_BY_PARTNER && !label_partners (conn, groups, error)))
    return NULL;
  g_ptr_array_sort (rows, row_cmp);
  return g_steal_pointer (&rows);
}

/**
 * yg_analytics_population:
 *
 * Active and returning viewers of the period [from_day, to_day), and visits
 * per active resident (signed-in viewers) per calendar month. A viewer
 * returns within N days when they watched again on a day within N days
 * after their first day in the period (later days, after the period, count).
 */
gboolean
yg_analytics_population (YgDbConn *conn, gint64 from_day, gint64 to_day,
                         YgAnalyticsPopulation *out, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "WITH f AS (SELECT viewer, min (day) AS d FROM viewings WHERE day >= ?1 AND day < ?2"
      " GROUP BY viewer) SELECT count (*),"
      " coalesce (sum (EXISTS (SELECT 1 FROM viewings v WHERE v.viewer = f.viewer"
      "   AND v.day > f.d AND v.day <= f.d + 7)), 0),"
      " coalesce (sum (EXISTS (SELECT 1 FROM viewings v WHERE v.viewer = f.viewer"
      "   AND v.day > f.d AND v.day <= f.d + 30)), 0) FROM f",
      error);
  double ratio_sum = 0;
  guint months = 0;
  int rc;

  memset (out, 0, sizeof *out);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, from_day);
  sqlite3_bind_int64 (s, 2, to_day);
  rc = yg_db_conn_step (conn, s, error);
  if (rc == SQLITE_ROW)
    {
      out->active_viewers = sqlite3_column_int64 (s, 0);
      out->returning_7 = sqlite3_column_int64 (s, 1);
      out->returning_30 = sqlite3_column_int64 (s, 2);
      sqlite3_reset (s);
    }
  else
    return FALSE;
  s = yg_db_conn_prepare (
      conn,
      "SELECT strftime ('%Y-%m', day * 86400, 'unixepoch') AS m, count (DISTINCT user_id),"
      " count (DISTINCT user_id || ':' || day) FROM viewings WHERE user_id IS NOT NULL"
      " AND day >= ?1 AND day < ?2 GROUP BY m",
      error);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, from_day);
  sqlite3_bind_int64 (s, 2, to_day);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      gint64 residents = sqlite3_column_int64 (s, 1), visits = sqlite3_column_int64 (s, 2);

      out->resident_visits += visits;
      ratio_sum += residents > 0 ? (double) visits / residents : 0;
      months++;
    }
  if (rc < 0)
    return FALSE;
  out->visits_per_resident_month = months > 0 ? ratio_sum / months : 0;
  s = yg_db_conn_prepare (conn,
                          "SELECT count (DISTINCT user_id) FROM viewings WHERE user_id IS NOT NULL"
                          " AND day >= ?1 AND day < ?2",
                          error);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, from_day);
  sqlite3_bind_int64 (s, 2, to_day);
  if (yg_db_conn_step (conn, s, error) != SQLITE_ROW)
    return FALSE;
  out->active_residents = sqlite3_column_int64 (s, 0);
  sqlite3_reset (s);
  return TRUE;
}

/* Binds a daily row's key (day, item, community, partner) to ?1, ?2, ?3, ?10. */
static void
bind_key (sqlite3_stmt *s, const Partial *p)
{
  sqlite3_bind_int64 (s, 1, p->day);
  sqlite3_bind_text (s, 2, p->item_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (s, 3, p->community, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 10, p->partner);
}

/**
 * yg_analytics_compact:
 * @before_day: heartbeats before this UTC day are folded and deleted
 *
 * Returns: the number of heartbeats folded, or -1 with @error set
 */
gint64
yg_analytics_compact (YgDbConn *conn, gint64 before_day, GError **error)
{
  g_autoptr (GHashTable) items = NULL;
  g_autoptr (GHashTable) partials = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                           (GDestroyNotify) partial_free);
  gint64 cutoff = before_day * YG_ANALYTICS_DAY_MS, folded;
  GHashTableIter it;
  Partial *p;
  sqlite3_stmt *s;

  if (!yg_db_conn_begin (conn, error))
    return -1;
  items = load_items (conn, error);
  if (items == NULL || !fold_raw (conn, items, 0, cutoff, partials, error))
    goto fail;
  g_hash_table_iter_init (&it, partials);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &p))
    {
      g_autofree char *reach = NULL;

      s = yg_db_conn_prepare (conn,
                              "SELECT reach FROM analytics_daily WHERE day = ?1 AND item_id = ?2"
                              " AND community = ?3 AND partner_id = ?10",
                              error);
      if (s == NULL)
        goto fail;
      bind_key (s, p);
      int rc = yg_db_conn_step (conn, s, error);
      if (rc < 0)
        goto fail;
      if (rc == SQLITE_ROW)
        {
          reach_from_text ((const char *) sqlite3_column_text (s, 0), p->f.reach);
          sqlite3_reset (s);
        }
      reach = reach_to_text (p->f.reach);
      s = yg_db_conn_prepare (
          conn,
          "INSERT INTO analytics_daily (day, item_id, community, views, watch_seconds, fraction_sum,"
          " timed_views, completions, reach, partner_id)"
          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
          " ON CONFLICT DO UPDATE SET views = views + excluded.views,"
          " watch_seconds = watch_seconds + excluded.watch_seconds,"
          " fraction_sum = fraction_sum + excluded.fraction_sum,"
          " timed_views = timed_views + excluded.timed_views,"
          " completions = completions + excluded.completions, reach = excluded.reach",
          error);
      if (s == NULL)
        goto fail;
      bind_key (s, p);
      sqlite3_bind_int64 (s, 4, p->f.views);
      sqlite3_bind_double (s, 5, p->f.watch_seconds);
      sqlite3_bind_double (s, 6, p->f.fraction_sum);
      sqlite3_bind_int64 (s, 7, p->f.timed_views);
      sqlite3_bind_int64 (s, 8, p->f.completions);
      sqlite3_bind_text (s, 9, reach, -1, SQLITE_STATIC);
      if (!yg_db_conn_step_done (conn, s, error))
        goto fail;
    }
  s = yg_db_conn_prepare (conn, "DELETE FROM heartbeats WHERE at < ?1", error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_int64 (s, 1, cutoff);
  if (!yg_db_conn_step_done (conn, s, error))
    goto fail;
  folded = yg_db_conn_changes (conn);
  if (!yg_db_conn_commit (conn, error))
    goto fail;
  return folded;

fail:
  yg_db_conn_rollback (conn);
  return -1;
}

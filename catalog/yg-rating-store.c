/* yg-rating-store.c: 1-5 stars and an optional comment per resident per
 * target (an item, a course, or a request once it is scheduled).
 *
 * Invariants: one row per (target, resident) — a PUT replaces stars and
 * comment but keeps a moderator's hiding, so re-posting cannot undo it.
 * Hidden ratings count in no summary and appear in no list except to their
 * author (and staff). A target the caller may not see is "not found": items
 * and courses of visibility staff for non-staff callers, requests that are
 * not scheduled.
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-rating-store.h"

#include <string.h>

YgRating *
yg_rating_new (void)
{
  return g_new0 (YgRating, 1);
}

void
yg_rating_free (YgRating *r)
{
  if (r == NULL)
    return;
  g_free (r->target_type);
  g_free (r->target_id);
  g_free (r->author);
  g_free (r->comment);
  g_free (r->hidden_reason);
  g_free (r);
}

void
yg_rating_page_free (YgRatingPage *p)
{
  if (p == NULL)
    return;
  g_clear_pointer (&p->ratings, g_ptr_array_unref);
  g_free (p);
}

#define COLUMNS                                                                                    \
  "r.id, r.target_type, r.target_id, r.user_id, u.display_name, r.stars, r.comment,"              \
  " coalesce (r.hidden_at, 0), r.hidden_reason, r.created_at, r.updated_at"
#define FROM " FROM ratings r JOIN users u ON u.id = r.user_id"

static YgRating *
from_row (sqlite3_stmt *s)
{
  YgRating *r = yg_rating_new ();

  r->id = sqlite3_column_int64 (s, 0);
  r->target_type = yg_db_column_dup (s, 1);
  r->target_id = yg_db_column_dup (s, 2);
  r->user_id = sqlite3_column_int64 (s, 3);
  r->author = yg_db_column_dup (s, 4);
  r->stars = sqlite3_column_int (s, 5);
  r->comment = yg_db_column_dup (s, 6);
  r->hidden_at = sqlite3_column_int64 (s, 7);
  r->hidden_reason = yg_db_column_dup (s, 8);
  r->created_at = sqlite3_column_int64 (s, 9);
  r->updated_at = sqlite3_column_int64 (s, 10);
  return r;
}

static YgRating *
get (YgDbConn *conn, gint64 id, GError **error)
{
  return yg_db_conn_get_by_id (conn, "SELECT " COLUMNS FROM " WHERE r.id = ?1", id,
                               (YgDbRowFunc) from_row, "rating", error);
}

/* Whether the target exists for this caller; NOT_FOUND otherwise. */
static gboolean
target_exists (YgDbConn *conn, const char *type, const char *id, gboolean staff, GError **error)
{
  const char *sql;
  sqlite3_stmt *s;
  gint64 n = 0;
  int rc;

  if (g_str_equal (type, "item"))
    sql = "SELECT 1 FROM items WHERE id = ?1 AND (?2 OR visibility != 'staff')";
  else if (g_str_equal (type, "course"))
    sql = "SELECT 1 FROM courses WHERE id = ?1 AND (?2 OR visibility != 'staff')";
  else
    sql = "SELECT 1 FROM demands WHERE id = ?1 AND status = 'scheduled' AND ?2 >= 0";
  s = yg_db_conn_prepare (conn, sql, error);
  if (s == NULL)
    return FALSE;
  if (!g_str_equal (type, "item") && !g_ascii_string_to_signed (id, 10, 1, G_MAXINT64, &n, NULL))
    n = -1;
  if (g_str_equal (type, "item"))
    sqlite3_bind_text (s, 1, id, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_int64 (s, 1, n);
  sqlite3_bind_int (s, 2, staff);
  rc = yg_db_conn_step (conn, s, error);
  sqlite3_reset (s);
  if (rc == SQLITE_DONE)
    g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND,
                 g_str_equal (type, "request") ? "No scheduled request \"%s\" to rate"
                                               : "No %s \"%s\"",
                 g_str_equal (type, "request") ? id : type, id);
  return rc == SQLITE_ROW;
}

/**
 * yg_rating_store_put:
 * @in: target_type, target_id, user_id, stars, comment
 *
 * Returns: (transfer full): the stored rating
 */
YgRating *
yg_rating_store_put (YgDbConn *conn, const YgRating *in, gboolean staff, GError **error)
{
  sqlite3_stmt *s;
  int rc;

  if (!yg_db_conn_begin (conn, error))
    return NULL;
  if (!target_exists (conn, in->target_type, in->target_id, staff, error))
    goto fail;
  s = yg_db_conn_prepare (
      conn,
      "INSERT INTO ratings (target_type, target_id, user_id, stars, comment, created_at, updated_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (target_type, target_id, user_id)"
      " DO UPDATE SET stars = excluded.stars, comment = excluded.comment,"
      " updated_at = excluded.updated_at RETURNING id",
      error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_text (s, 1, in->target_type, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 2, in->target_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 3, in->user_id);
  sqlite3_bind_int (s, 4, in->stars);
  sqlite3_bind_text (s, 5, in->comment != NULL ? in->comment : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 6, g_get_real_time () / G_USEC_PER_SEC);
  rc = yg_db_conn_step (conn, s, error);
  if (rc != SQLITE_ROW)
    goto fail;
  {
    gint64 id = sqlite3_column_int64 (s, 0);
    sqlite3_reset (s);
    if (!yg_db_conn_commit (conn, error))
      goto fail;
    return get (conn, id, error);
  }

fail:
  yg_db_conn_rollback (conn);
  return NULL;
}

/* Average, count and distribution of the visible ratings of one target. */
gboolean
yg_rating_store_summary (YgDbConn *conn, const char *target_type, const char *target_id,
                         YgRatingSummary *out, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "SELECT stars, count (*) FROM ratings WHERE target_type = ?1 AND target_id = ?2"
      " AND hidden_at IS NULL GROUP BY stars",
      error);
  gint64 sum = 0;
  int rc;

  memset (out, 0, sizeof *out);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_text (s, 1, target_type, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 2, target_id, -1, SQLITE_TRANSIENT);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      int stars = sqlite3_column_int (s, 0);
      gint64 n = sqlite3_column_int64 (s, 1);

      out->stars[stars - 1] = n;
      out->count += n;
      sum += n * stars;
    }
  out->average = out->count > 0 ? (double) sum / out->count : 0;
  return rc == SQLITE_DONE;
}

/**
 * yg_rating_store_page:
 * @viewer_id: the asking account (sees its own hidden rating), or 0
 * @staff: sees hidden ratings too
 *
 * Returns: (transfer full): the summary and one page of ratings, newest first
 */
YgRatingPage *
yg_rating_store_page (YgDbConn *conn, const char *target_type, const char *target_id,
                      gint64 viewer_id, gboolean staff, gint64 before_id, guint limit,
                      GError **error)
{
  g_autoptr (YgRatingPage) p = g_new0 (YgRatingPage, 1);
  sqlite3_stmt *s;

  if (!target_exists (conn, target_type, target_id, staff, error)
      || !yg_rating_store_summary (conn, target_type, target_id, &p->summary, error))
    return NULL;
  s = yg_db_conn_prepare (conn,
                          "SELECT " COLUMNS FROM " WHERE r.target_type = ?1 AND r.target_id = ?2"
                          " AND (r.hidden_at IS NULL OR r.user_id = ?3 OR ?4)"
                          " AND (?5 = 0 OR r.id < ?5) ORDER BY r.id DESC LIMIT ?6",
                          error);
  if (s == NULL)
    return NULL;
  sqlite3_bind_text (s, 1, target_type, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 2, target_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 3, viewer_id);
  sqlite3_bind_int (s, 4, staff);
  sqlite3_bind_int64 (s, 5, before_id);
  sqlite3_bind_int (s, 6, limit);
  p->ratings = yg_db_conn_collect (conn, s, (YgDbRowFunc) from_row,
                                   (GDestroyNotify) yg_rating_free, error);
  return p->ratings != NULL ? g_steal_pointer (&p) : NULL;
}

/**
 * yg_rating_store_moderate:
 * @reason: (nullable): why it is hidden (required by the route when hiding)
 *
 * Returns: (transfer full): the rating afterwards
 */
YgRating *
yg_rating_store_moderate (YgDbConn *conn, gint64 id, gboolean hidden, const char *reason,
                          GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "UPDATE ratings SET hidden_at = CASE WHEN ?2 THEN ?4 END,"
      " hidden_reason = CASE WHEN ?2 THEN ?3 END WHERE id = ?1",
      error);

  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_int (s, 2, hidden);
  sqlite3_bind_text (s, 3, reason, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 4, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, s, error))
    return NULL;
  return get (conn, id, error);
}

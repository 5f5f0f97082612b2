/* yg-lecturer-store.c: the staff-kept roster of lecturers (teachers and
 * volunteers) that a 点将 request may name.
 *
 * A patch changes the non-NULL fields of its value. Deleting a lecturer
 * keeps the requests that named them (their lecturer becomes null).
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-lecturer-store.h"

YgLecturer *
yg_lecturer_new (void)
{
  return g_new0 (YgLecturer, 1);
}

void
yg_lecturer_free (YgLecturer *l)
{
  if (l == NULL)
    return;
  g_free (l->name);
  g_free (l->kind);
  g_free (l->bio);
  g_free (l);
}

#define COLUMNS "id, name, kind, bio, created_at, updated_at"

static YgLecturer *
from_row (sqlite3_stmt *s)
{
  YgLecturer *l = yg_lecturer_new ();

  l->id = sqlite3_column_int64 (s, 0);
  l->name = yg_db_column_dup (s, 1);
  l->kind = yg_db_column_dup (s, 2);
  l->bio = yg_db_column_dup (s, 3);
  l->created_at = sqlite3_column_int64 (s, 4);
  l->updated_at = sqlite3_column_int64 (s, 5);
  return l;
}

/**
 * yg_lecturer_store_get:
 *
 * Returns: (transfer full): the lecturer, or %NULL with YG_DB_ERROR_NOT_FOUND
 */
YgLecturer *
yg_lecturer_store_get (YgDbConn *conn, gint64 id, GError **error)
{
  return yg_db_conn_get_by_id (conn, "SELECT " COLUMNS " FROM lecturers WHERE id = ?1", id,
                               (YgDbRowFunc) from_row, "lecturer", error);
}

YgLecturer *
yg_lecturer_store_create (YgDbConn *conn, const YgLecturer *in, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "INSERT INTO lecturers (name, kind, bio, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
      error);

  if (s == NULL)
    return NULL;
  sqlite3_bind_text (s, 1, in->name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 2, in->kind != NULL ? in->kind : "teacher", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 3, in->bio != NULL ? in->bio : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 4, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, s, error))
    return NULL;
  return yg_lecturer_store_get (conn, yg_db_conn_last_insert_rowid (conn), error);
}

/**
 * yg_lecturer_store_list:
 *
 * Returns: (transfer full) (element-type YgLecturer): lecturers after @after_id, by id
 */
GPtrArray *
yg_lecturer_store_list (YgDbConn *conn, gint64 after_id, guint limit, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn, "SELECT " COLUMNS " FROM lecturers WHERE id > ?1 ORDER BY id LIMIT ?2", error);

  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, after_id);
  sqlite3_bind_int (s, 2, limit);
  return yg_db_conn_collect (conn, s, (YgDbRowFunc) from_row, (GDestroyNotify) yg_lecturer_free,
                             error);
}

YgLecturer *
yg_lecturer_store_update (YgDbConn *conn, gint64 id, const YgLecturer *patch, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "UPDATE lecturers SET name = coalesce (?2, name), kind = coalesce (?3, kind),"
      " bio = coalesce (?4, bio), updated_at = ?5 WHERE id = ?1",
      error);

  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_text (s, 2, patch->name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 3, patch->kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 4, patch->bio, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 5, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, s, error))
    return NULL;
  return yg_lecturer_store_get (conn, id, error);
}

gboolean
yg_lecturer_store_delete (YgDbConn *conn, gint64 id, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn, "DELETE FROM lecturers WHERE id = ?1", error);

  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, id);
  if (!yg_db_conn_step_done (conn, s, error))
    return FALSE;
  if (yg_db_conn_changes (conn) == 0)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No lecturer %" G_GINT64_FORMAT, id);
      return FALSE;
    }
  return TRUE;
}

/* yg-progress-store.c: who is enrolled in which course, how far they watched
 * each item, and what is complete.
 *
 * A progress row (user, item) keeps the last position (for resuming), the
 * duration the player reported and the furthest position ever reached. A
 * lesson is complete when furthest ≥ threshold × duration (the item's own
 * duration when the catalogue knows it, else the reported one), with the
 * threshold of the lesson's course. "Furthest position" rather than the sum
 * of watched intervals: simple and cheap, but a viewer who seeks to the end
 * completes the lesson; this is a learning aid, not an exam. A course is
 * complete when all its lessons are. Writes arrive in batches from the
 * server's coalescing buffer (yg-progress-buffer.c), one transaction each;
 * writes counts how often a row was written, so tests can bound it.
 * Enrolment rows are idempotent; saving progress on a course's lesson moves
 * the enrolment's active_at, which orders "continue learning".
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-progress-store.h"

YgProgress *
yg_progress_new (gint64 user_id, const char *item_id, double position, double duration)
{
  YgProgress *p = g_new0 (YgProgress, 1);

  p->user_id = user_id;
  p->item_id = g_strdup (item_id);
  p->position = position;
  p->duration = duration;
  p->furthest = position;
  return p;
}

void
yg_progress_free (YgProgress *p)
{
  if (p == NULL)
    return;
  g_free (p->item_id);
  g_free (p);
}

void
yg_learning_free (YgLearning *l)
{
  if (l == NULL)
    return;
  yg_course_free (l->course);
  g_clear_pointer (&l->progress, g_hash_table_unref);
  g_free (l->next_item);
  g_free (l);
}

/**
 * yg_progress_is_complete:
 * @item_duration: the catalogue's duration, or < 0 when unknown
 */
gboolean
yg_progress_is_complete (const YgProgress *p, double item_duration, double threshold)
{
  double d = item_duration > 0 ? item_duration : p->duration;

  return p != NULL && d > 0 && p->furthest >= threshold * d - 1e-9;
}

/**
 * yg_progress_store_save:
 * @writes: (element-type YgProgress): positions to save
 *
 * Saves them in one transaction: position replaced, furthest raised.
 */
gboolean
yg_progress_store_save (YgDbConn *conn, GPtrArray *writes, GError **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!yg_db_conn_begin (conn, error))
    return FALSE;
  for (guint i = 0; i < writes->len; i++)
    {
      YgProgress *p = writes->pdata[i];
      sqlite3_stmt *s = yg_db_conn_prepare (
          conn,
          "INSERT INTO progress (user_id, item_id, position, duration, furthest, writes, updated_at)"
          " VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6) ON CONFLICT (user_id, item_id) DO UPDATE SET"
          " position = excluded.position, duration = excluded.duration,"
          " furthest = max (furthest, excluded.furthest), writes = writes + 1,"
          " updated_at = excluded.updated_at",
          error);
      if (s == NULL)
        goto fail;
      sqlite3_bind_int64 (s, 1, p->user_id);
      sqlite3_bind_text (s, 2, p->item_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_double (s, 3, p->position);
      sqlite3_bind_double (s, 4, p->duration);
      sqlite3_bind_double (s, 5, MAX (p->furthest, p->position));
      sqlite3_bind_int64 (s, 6, now);
      if (!yg_db_conn_step_done (conn, s, error))
        goto fail;
      s = yg_db_conn_prepare (conn,
                              "UPDATE enrolments SET active_at = ?3 WHERE user_id = ?1 AND course_id"
                              " = (SELECT course_id FROM course_lessons WHERE item_id = ?2)",
                              error);
      if (s == NULL)
        goto fail;
      sqlite3_bind_int64 (s, 1, p->user_id);
      sqlite3_bind_text (s, 2, p->item_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (s, 3, now);
      if (!yg_db_conn_step_done (conn, s, error))
        goto fail;
    }
  return yg_db_conn_commit (conn, error);

fail:
  yg_db_conn_rollback (conn);
  return FALSE;
}

static YgProgress *
progress_from_row (sqlite3_stmt *s)
{
  YgProgress *p = yg_progress_new (sqlite3_column_int64 (s, 0),
                                   (const char *) sqlite3_column_text (s, 1),
                                   sqlite3_column_double (s, 2), sqlite3_column_double (s, 3));

  p->furthest = sqlite3_column_double (s, 4);
  p->writes = sqlite3_column_int64 (s, 5);
  p->updated_at = sqlite3_column_int64 (s, 6);
  return p;
}

#define PROGRESS_COLUMNS "p.user_id, p.item_id, p.position, p.duration, p.furthest, p.writes, p.updated_at"

/**
 * yg_progress_store_get:
 *
 * Returns: (transfer full): the saved progress, or %NULL with
 *   YG_DB_ERROR_NOT_FOUND when there is none
 */
YgProgress *
yg_progress_store_get (YgDbConn *conn, gint64 user_id, const char *item_id, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn, "SELECT " PROGRESS_COLUMNS " FROM progress p WHERE p.user_id = ?1 AND p.item_id = ?2",
      error);
  YgProgress *p;
  int rc;

  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, user_id);
  sqlite3_bind_text (s, 2, item_id, -1, SQLITE_TRANSIENT);
  rc = yg_db_conn_step (conn, s, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No progress saved for \"%s\"",
                   item_id);
      return NULL;
    }
  p = progress_from_row (s);
  sqlite3_reset (s);
  return p;
}

/* Enrols (idempotent) or leaves (idempotent). */
gboolean
yg_progress_store_enrol (YgDbConn *conn, gint64 user_id, gint64 course_id, gboolean enrolled,
                         GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      enrolled ? "INSERT INTO enrolments (user_id, course_id, enrolled_at, active_at)"
                 " VALUES (?1, ?2, ?3, ?3) ON CONFLICT DO NOTHING"
               : "DELETE FROM enrolments WHERE user_id = ?1 AND course_id = ?2",
      error);

  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, user_id);
  sqlite3_bind_int64 (s, 2, course_id);
  if (enrolled)
    sqlite3_bind_int64 (s, 3, g_get_real_time () / G_USEC_PER_SEC);
  return yg_db_conn_step_done (conn, s, error);
}

/* Returns: 1 enrolled, 0 not, -1 on error */
int
yg_progress_store_is_enrolled (YgDbConn *conn, gint64 user_id, gint64 course_id, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn, "SELECT 1 FROM enrolments WHERE user_id = ?1 AND course_id = ?2", error);
  int rc;

  if (s == NULL)
    return -1;
  sqlite3_bind_int64 (s, 1, user_id);
  sqlite3_bind_int64 (s, 2, course_id);
  rc = yg_db_conn_step (conn, s, error);
  if (rc < 0)
    return -1;
  sqlite3_reset (s);
  return rc == SQLITE_ROW ? 1 : 0;
}

/**
 * yg_progress_store_course:
 * @course: (transfer full): a course with its outline
 *
 * Returns: (transfer full): the resident's progress through @course
 */
YgLearning *
yg_progress_store_course (YgDbConn *conn, gint64 user_id, YgCourse *course, GError **error)
{
  g_autoptr (YgLearning) l = g_new0 (YgLearning, 1);
  sqlite3_stmt *s;
  int rc;

  l->course = course;
  l->progress = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify) yg_progress_free);
  s = yg_db_conn_prepare (conn,
                          "SELECT " PROGRESS_COLUMNS " FROM progress p JOIN course_lessons l"
                          " ON l.item_id = p.item_id WHERE p.user_id = ?1 AND l.course_id = ?2",
                          error);
  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, user_id);
  sqlite3_bind_int64 (s, 2, course->id);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      YgProgress *p = progress_from_row (s);
      g_hash_table_replace (l->progress, p->item_id, p);
    }
  if (rc < 0)
    return NULL;
  for (guint i = 0; course->chapters != NULL && i < course->chapters->len; i++)
    {
      YgCourseChapter *ch = course->chapters->pdata[i];
      for (guint j = 0; j < ch->lessons->len; j++)
        {
          YgCourseLesson *lesson = ch->lessons->pdata[j];
          YgProgress *p = g_hash_table_lookup (l->progress, lesson->item_id);

          if (p != NULL && yg_progress_is_complete (p, lesson->duration, course->threshold))
            l->completed++;
          else if (l->next_item == NULL)
            {
              l->next_item = g_strdup (lesson->item_id);
              l->next_position = p != NULL ? p->position : 0;
            }
        }
    }
  return g_steal_pointer (&l);
}

/**
 * yg_progress_store_learning:
 *
 * Returns: (transfer full) (element-type YgLearning): the resident's enrolled
 *   courses, most recently active first
 */
GPtrArray *
yg_progress_store_learning (YgDbConn *conn, gint64 user_id, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn,
                                        "SELECT course_id, enrolled_at, active_at FROM enrolments"
                                        " WHERE user_id = ?1 ORDER BY active_at DESC, enrolled_at"
                                        " DESC, course_id DESC LIMIT 100",
                                        error);
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_learning_free);
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (gint64) * 3);
  int rc;

  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, user_id);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      gint64 row[3] = { sqlite3_column_int64 (s, 0), sqlite3_column_int64 (s, 1),
                        sqlite3_column_int64 (s, 2) };
      g_array_append_vals (rows, row, 1);
    }
  if (rc < 0)
    return NULL;
  for (guint i = 0; i < rows->len; i++)
    {
      gint64 *row = (gint64 *) (rows->data + i * sizeof (gint64) * 3);
      YgCourse *c = yg_course_store_get (conn, row[0], TRUE, error);
      YgLearning *l;

      if (c == NULL)
        return NULL;
      l = yg_progress_store_course (conn, user_id, c, error);
      if (l == NULL)
        return NULL;
      l->enrolled_at = row[1];
      l->active_at = row[2];
      g_ptr_array_add (list, l);
    }
  return g_steal_pointer (&list);
}

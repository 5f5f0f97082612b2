/* yg-course-store.c: courses (课程), their chapters and ordered lessons.
 *
 * A course row carries its title, teacher, level (a code: beginner,
 * intermediate, advanced; labelled 入门/进阶/提高), visibility (the items'
 * values and rules) and completion threshold (0.5–1.0). Its outline is a list
 * of chapters, each a list of lesson items; course_lessons.item_id is the
 * key, so an item is in at most one course. The outline is only ever
 * replaced as a whole, in one transaction: every lesson is checked (exists,
 * kind 'lesson', not in another course, not twice) and the first refusal is
 * a YG_FIELD_ERROR naming "chapters[i].lessons[j]" with nothing written.
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-course-store.h"

#include "yg-field-error.h"

static const struct
{
  const char *code;
  const char *label;
} levels[] = {
  { "beginner", "入门" },
  { "intermediate", "进阶" },
  { "advanced", "提高" },
};

gboolean
yg_course_level_is_valid (const char *level)
{
  return yg_course_level_label (level) != NULL;
}

/* Returns: (nullable): the zh-CN label of a level code */
const char *
yg_course_level_label (const char *level)
{
  for (guint i = 0; level != NULL && i < G_N_ELEMENTS (levels); i++)
    if (g_str_equal (levels[i].code, level))
      return levels[i].label;
  return NULL;
}

YgCourse *
yg_course_new (void)
{
  YgCourse *c = g_new0 (YgCourse, 1);

  c->threshold = YG_COURSE_DEFAULT_THRESHOLD;
  c->visibility = YG_VISIBILITY_PUBLIC;
  return c;
}

void
yg_course_free (YgCourse *c)
{
  if (c == NULL)
    return;
  g_free (c->title);
  g_free (c->description);
  g_free (c->teacher);
  g_free (c->level);
  g_free (c->cover_item);
  g_clear_pointer (&c->chapters, g_ptr_array_unref);
  g_free (c);
}

YgCourseChapter *
yg_course_chapter_new (const char *title)
{
  YgCourseChapter *ch = g_new0 (YgCourseChapter, 1);

  ch->title = g_strdup (title);
  ch->lessons = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_course_lesson_free);
  return ch;
}

void
yg_course_chapter_free (YgCourseChapter *ch)
{
  if (ch == NULL)
    return;
  g_free (ch->title);
  g_ptr_array_unref (ch->lessons);
  g_free (ch);
}

YgCourseLesson *
yg_course_lesson_new (const char *item_id)
{
  YgCourseLesson *l = g_new0 (YgCourseLesson, 1);

  l->item_id = g_strdup (item_id);
  l->duration = -1;
  return l;
}

void
yg_course_lesson_free (YgCourseLesson *l)
{
  if (l == NULL)
    return;
  g_free (l->item_id);
  g_free (l->title);
  g_free (l);
}

#define COLUMNS                                                                                    \
  "c.id, c.title, c.description, c.teacher, c.level, c.cover_item, c.visibility, c.threshold,"     \
  " c.created_at, c.updated_at,"                                                                   \
  " (SELECT count(*) FROM course_lessons l WHERE l.course_id = c.id),"                             \
  " (SELECT count(*) FROM item_files f WHERE f.item_id = c.cover_item AND f.role = 'poster'),"     \
  " (SELECT visibility FROM items i WHERE i.id = c.cover_item)"

static YgCourse *
from_row (sqlite3_stmt *s)
{
  YgCourse *c = yg_course_new ();

  c->set = G_MAXUINT32;
  c->id = sqlite3_column_int64 (s, 0);
  c->title = yg_db_column_dup (s, 1);
  c->description = yg_db_column_dup (s, 2);
  c->teacher = yg_db_column_dup (s, 3);
  c->level = yg_db_column_dup (s, 4);
  c->cover_item = yg_db_column_dup (s, 5);
  c->visibility = yg_visibility_from_string ((const char *) sqlite3_column_text (s, 6));
  c->threshold = sqlite3_column_double (s, 7);
  c->created_at = sqlite3_column_int64 (s, 8);
  c->updated_at = sqlite3_column_int64 (s, 9);
  c->lesson_count = sqlite3_column_int (s, 10);
  c->cover_has_poster = sqlite3_column_int (s, 11) > 0;
  c->cover_visibility = yg_visibility_from_string ((const char *) sqlite3_column_text (s, 12));
  return c;
}

static GPtrArray *
load_outline (YgDbConn *conn, gint64 id, GError **error)
{
  sqlite3_stmt *s;
  g_autoptr (GPtrArray) chapters
      = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_course_chapter_free);
  g_autoptr (GHashTable) by_position = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (GArray) keys = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;

  s = yg_db_conn_prepare (conn,
                          "SELECT position, title FROM course_chapters WHERE course_id = ?1"
                          " ORDER BY position",
                          error);
  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, id);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      gint64 pos = sqlite3_column_int64 (s, 0);
      g_array_append_val (keys, pos);
      g_ptr_array_add (chapters, yg_course_chapter_new ((const char *) sqlite3_column_text (s, 1)));
    }
  if (rc < 0)
    return NULL;
  for (guint i = 0; i < keys->len; i++)
    g_hash_table_insert (by_position, &g_array_index (keys, gint64, i), chapters->pdata[i]);

  s = yg_db_conn_prepare (
      conn,
      "SELECT l.chapter, l.item_id, i.title, i.duration, i.visibility,"
      " EXISTS (SELECT 1 FROM item_files f WHERE f.item_id = i.id AND f.role = 'poster')"
      " FROM course_lessons l JOIN items i ON i.id = l.item_id"
      " WHERE l.course_id = ?1 ORDER BY l.position",
      error);
  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, id);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      gint64 pos = sqlite3_column_int64 (s, 0);
      YgCourseChapter *ch = g_hash_table_lookup (by_position, &pos);
      YgCourseLesson *l;

      if (ch == NULL)
        continue; /* cannot happen: chapters and lessons are written together */
      l = yg_course_lesson_new ((const char *) sqlite3_column_text (s, 1));
      l->title = yg_db_column_dup (s, 2);
      l->duration = sqlite3_column_type (s, 3) == SQLITE_NULL ? -1 : sqlite3_column_double (s, 3);
      l->visibility = yg_visibility_from_string ((const char *) sqlite3_column_text (s, 4));
      l->has_poster = sqlite3_column_int (s, 5) != 0;
      g_ptr_array_add (ch->lessons, l);
    }
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&chapters);
}

/**
 * yg_course_store_get:
 * @outline: also load the chapters and lessons
 *
 * Returns: (transfer full): the course, or %NULL with YG_DB_ERROR_NOT_FOUND
 */
YgCourse *
yg_course_store_get (YgDbConn *conn, gint64 id, gboolean outline, GError **error)
{
  sqlite3_stmt *s
      = yg_db_conn_prepare (conn, "SELECT " COLUMNS " FROM courses c WHERE c.id = ?1", error);
  g_autoptr (YgCourse) c = NULL;
  int rc;

  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, id);
  rc = yg_db_conn_step (conn, s, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND,
                   "No course with id %" G_GINT64_FORMAT, id);
      return NULL;
    }
  c = from_row (s);
  sqlite3_reset (s);
  if (outline)
    {
      c->chapters = load_outline (conn, id, error);
      if (c->chapters == NULL)
        return NULL;
    }
  return g_steal_pointer (&c);
}

/* ",public,residents," for the bits of @visible (1 << YgVisibility) */
static char *
visibility_list (guint visible)
{
  GString *s = g_string_new (",");

  for (YgVisibility v = YG_VISIBILITY_PUBLIC; v <= YG_VISIBILITY_STAFF; v++)
    if (visible & (1u << v))
      g_string_append_printf (s, "%s,", yg_visibility_to_string (v));
  return g_string_free (s, FALSE);
}

/**
 * yg_course_store_list:
 * @after_id: list ids greater than this (0 for the first page)
 * @visible: bit (1 << YgVisibility) set for each visibility to include
 *
 * Returns: (transfer full) (element-type YgCourse): by id, without outlines
 */
GPtrArray *
yg_course_store_list (YgDbConn *conn, gint64 after_id, guint limit, guint visible, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "SELECT " COLUMNS " FROM courses c WHERE c.id > ?1"
      " AND instr (?3, ',' || c.visibility || ',') > 0 ORDER BY c.id LIMIT ?2",
      error);
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_course_free);
  g_autofree char *vis = visibility_list (visible);
  int rc;

  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, after_id);
  sqlite3_bind_int (s, 2, limit);
  sqlite3_bind_text (s, 3, vis, -1, SQLITE_TRANSIENT);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    g_ptr_array_add (list, from_row (s));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&list);
}

static gboolean
check_cover (YgDbConn *conn, const char *item_id, GError **error)
{
  sqlite3_stmt *s;
  int rc;

  if (item_id == NULL)
    return TRUE;
  s = yg_db_conn_prepare (conn, "SELECT 1 FROM items WHERE id = ?1", error);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
  rc = yg_db_conn_step (conn, s, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_DONE)
    return yg_field_error_set (error, "cover_item", "\"cover_item\": no item with id \"%s\"",
                               item_id);
  sqlite3_reset (s);
  return TRUE;
}

static void
bind_opt (sqlite3_stmt *s, int idx, const char *value)
{
  if (value != NULL)
    sqlite3_bind_text (s, idx, value, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (s, idx);
}

/**
 * yg_course_store_create:
 * @in: validated values; title is required
 *
 * Returns: (transfer full): the new course (empty outline)
 */
YgCourse *
yg_course_store_create (YgDbConn *conn, const YgCourse *in, GError **error)
{
  gint64 id, now = g_get_real_time () / G_USEC_PER_SEC;
  sqlite3_stmt *s;

  g_return_val_if_fail (in->title != NULL, NULL);
  if (!yg_db_conn_begin (conn, error))
    return NULL;
  if (!check_cover (conn, in->cover_item, error))
    goto fail;
  s = yg_db_conn_prepare (conn,
                          "INSERT INTO courses (title, description, teacher, level, cover_item,"
                          " visibility, threshold, created_at, updated_at)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                          error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_text (s, 1, in->title, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 2, in->description ? in->description : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 3, in->teacher ? in->teacher : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 4, in->level ? in->level : "beginner", -1, SQLITE_TRANSIENT);
  bind_opt (s, 5, in->cover_item);
  sqlite3_bind_text (s, 6,
                     yg_visibility_to_string ((in->set & YG_COURSE_VISIBILITY) ? in->visibility
                                                                                : YG_VISIBILITY_PUBLIC),
                     -1, SQLITE_STATIC);
  sqlite3_bind_double (s, 7,
                       (in->set & YG_COURSE_THRESHOLD) ? in->threshold : YG_COURSE_DEFAULT_THRESHOLD);
  sqlite3_bind_int64 (s, 8, now);
  if (!yg_db_conn_step_done (conn, s, error))
    goto fail;
  id = yg_db_conn_last_insert_rowid (conn);
  if (!yg_db_conn_commit (conn, error))
    goto fail;
  return yg_course_store_get (conn, id, TRUE, error);

fail:
  yg_db_conn_rollback (conn);
  return NULL;
}

/**
 * yg_course_store_update:
 * @patch: validated values; only the fields in patch->set change
 *
 * Returns: (transfer full): the course as it is now
 */
YgCourse *
yg_course_store_update (YgDbConn *conn, gint64 id, const YgCourse *patch, GError **error)
{
  g_autoptr (YgCourse) c = NULL;
  sqlite3_stmt *s;

  if (!yg_db_conn_begin (conn, error))
    return NULL;
  c = yg_course_store_get (conn, id, FALSE, error);
  if (c == NULL)
    goto fail;
#define TAKE(bit, member)                                                                          \
  if (patch->set & (bit))                                                                          \
    {                                                                                              \
      g_free (c->member);                                                                          \
      c->member = g_strdup (patch->member);                                                        \
    }
  TAKE (YG_COURSE_TITLE, title);
  TAKE (YG_COURSE_DESCRIPTION, description);
  TAKE (YG_COURSE_TEACHER, teacher);
  TAKE (YG_COURSE_LEVEL, level);
  TAKE (YG_COURSE_COVER_ITEM, cover_item);
#undef TAKE
  if (patch->set & YG_COURSE_VISIBILITY)
    c->visibility = patch->visibility;
  if (patch->set & YG_COURSE_THRESHOLD)
    c->threshold = patch->threshold;
  if ((patch->set & YG_COURSE_COVER_ITEM) && !check_cover (conn, c->cover_item, error))
    goto fail;
  s = yg_db_conn_prepare (conn,
                          "UPDATE courses SET title = ?2, description = ?3, teacher = ?4,"
                          " level = ?5, cover_item = ?6, visibility = ?7, threshold = ?8,"
                          " updated_at = ?9 WHERE id = ?1",
                          error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_text (s, 2, c->title, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 3, c->description, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 4, c->teacher, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 5, c->level, -1, SQLITE_TRANSIENT);
  bind_opt (s, 6, c->cover_item);
  sqlite3_bind_text (s, 7, yg_visibility_to_string (c->visibility), -1, SQLITE_STATIC);
  sqlite3_bind_double (s, 8, c->threshold);
  sqlite3_bind_int64 (s, 9, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, s, error) || !yg_db_conn_commit (conn, error))
    goto fail;
  return yg_course_store_get (conn, id, TRUE, error);

fail:
  yg_db_conn_rollback (conn);
  return NULL;
}

/* Deletes the course; its lessons stay items, free to join another course. */
gboolean
yg_course_store_delete (YgDbConn *conn, gint64 id, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn, "DELETE FROM courses WHERE id = ?1", error);

  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, id);
  if (!yg_db_conn_step_done (conn, s, error))
    return FALSE;
  if (yg_db_conn_changes (conn) == 0)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND,
                   "No course with id %" G_GINT64_FORMAT, id);
      return FALSE;
    }
  return TRUE;
}

/* Checks one lesson of a new outline (inside the transaction). */
static gboolean
check_lesson (YgDbConn *conn, gint64 course_id, const char *item_id, const char *field,
              GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "SELECT i.kind, (SELECT l.course_id FROM course_lessons l WHERE l.item_id = i.id)"
      " FROM items i WHERE i.id = ?1",
      error);
  g_autofree char *kind = NULL;
  gint64 other = 0;
  int rc;

  if (s == NULL)
    return FALSE;
  sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
  rc = yg_db_conn_step (conn, s, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_DONE)
    return yg_field_error_set (error, field, "\"%s\": no item with id \"%s\"", field, item_id);
  kind = yg_db_column_dup (s, 0);
  other = sqlite3_column_int64 (s, 1);
  sqlite3_reset (s);
  if (g_strcmp0 (kind, "lesson") != 0)
    return yg_field_error_set (error, field, "\"%s\": item \"%s\" is a %s, not a lesson", field,
                               item_id, kind);
  if (other != 0 && other != course_id)
    return yg_field_error_set (error, field,
                               "\"%s\": lesson \"%s\" is already in course %" G_GINT64_FORMAT,
                               field, item_id, other);
  return TRUE;
}

/**
 * yg_course_store_set_outline:
 * @chapters: (element-type YgCourseChapter): the whole new outline; lesson ids
 *   distinct (the input parser checks)
 *
 * Replaces the course's chapters and lessons, all or nothing.
 *
 * Returns: (transfer full): the course with its new outline
 */
YgCourse *
yg_course_store_set_outline (YgDbConn *conn, gint64 id, GPtrArray *chapters, GError **error)
{
  g_autoptr (YgCourse) c = NULL;
  sqlite3_stmt *s;
  gint64 position = 0;

  if (!yg_db_conn_begin (conn, error))
    return NULL;
  c = yg_course_store_get (conn, id, FALSE, error);
  if (c == NULL)
    goto fail;
  for (guint i = 0; i < chapters->len; i++)
    {
      YgCourseChapter *ch = chapters->pdata[i];
      for (guint j = 0; j < ch->lessons->len; j++)
        {
          YgCourseLesson *l = ch->lessons->pdata[j];
          g_autofree char *field = g_strdup_printf ("chapters[%u].lessons[%u]", i, j);
          if (!check_lesson (conn, id, l->item_id, field, error))
            goto fail;
        }
    }
  s = yg_db_conn_prepare (conn, "DELETE FROM course_lessons WHERE course_id = ?1", error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_int64 (s, 1, id);
  if (!yg_db_conn_step_done (conn, s, error))
    goto fail;
  s = yg_db_conn_prepare (conn, "DELETE FROM course_chapters WHERE course_id = ?1", error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_int64 (s, 1, id);
  if (!yg_db_conn_step_done (conn, s, error))
    goto fail;
  for (guint i = 0; i < chapters->len; i++)
    {
      YgCourseChapter *ch = chapters->pdata[i];

      s = yg_db_conn_prepare (conn,
                              "INSERT INTO course_chapters (course_id, position, title)"
                              " VALUES (?1, ?2, ?3)",
                              error);
      if (s == NULL)
        goto fail;
      sqlite3_bind_int64 (s, 1, id);
      sqlite3_bind_int (s, 2, i);
      sqlite3_bind_text (s, 3, ch->title, -1, SQLITE_TRANSIENT);
      if (!yg_db_conn_step_done (conn, s, error))
        goto fail;
      for (guint j = 0; j < ch->lessons->len; j++)
        {
          YgCourseLesson *l = ch->lessons->pdata[j];

          s = yg_db_conn_prepare (conn,
                                  "INSERT INTO course_lessons (item_id, course_id, chapter, position)"
                                  " VALUES (?1, ?2, ?3, ?4)",
                                  error);
          if (s == NULL)
            goto fail;
          sqlite3_bind_text (s, 1, l->item_id, -1, SQLITE_TRANSIENT);
          sqlite3_bind_int64 (s, 2, id);
          sqlite3_bind_int (s, 3, i);
          sqlite3_bind_int64 (s, 4, position++);
          if (!yg_db_conn_step_done (conn, s, error))
            goto fail;
        }
    }
  s = yg_db_conn_prepare (conn, "UPDATE courses SET updated_at = ?2 WHERE id = ?1", error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_int64 (s, 2, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, s, error) || !yg_db_conn_commit (conn, error))
    goto fail;
  return yg_course_store_get (conn, id, TRUE, error);

fail:
  yg_db_conn_rollback (conn);
  return NULL;
}

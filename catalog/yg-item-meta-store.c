/* yg-item-meta-store.c: the SQL side of item metadata.
 *
 * A patch (YgItemMeta with its "set" bits) is applied in one BEGIN IMMEDIATE
 * transaction together with the item's search row, so a refused patch
 * writes nothing and the index never lags the catalogue. The kind of an item
 * is fixed: performance-only and heritage-only fields on another kind are
 * refused (YG_FIELD_ERROR naming the field). Values arrive validated (the
 * HTTP input layer); this file checks only what needs the row: the kind, and
 * chapters against a known duration. yg_item_meta_store_update can also run
 * inside a caller's transaction (a PATCH that changes other columns too).
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-item-meta-store.h"

#include "yg-field-error.h"
#include "yg-search.h"

static const struct
{
  YgMetaField bit;
  const char *name;
} field_names[] = {
  { YG_META_TROUPE, "troupe" },
  { YG_META_PERFORMERS, "performers" },
  { YG_META_PERFORMANCE_DATE, "performance_date" },
  { YG_META_PROGRAMME, "programme" },
  { YG_META_PROJECT_NAME, "project_name" },
  { YG_META_CATEGORY, "category" },
  { YG_META_LEVEL, "level" },
  { YG_META_REGION, "region" },
};

static char *
item_kind (YgDbConn *conn, const char *item_id, double *duration, GError **error)
{
  sqlite3_stmt *s
      = yg_db_conn_prepare (conn, "SELECT kind, duration FROM items WHERE id = ?1", error);
  char *kind;
  int rc;

  if (s == NULL)
    return NULL;
  sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
  rc = yg_db_conn_step (conn, s, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No item with id \"%s\"", item_id);
      return NULL;
    }
  kind = yg_db_column_dup (s, 0);
  if (duration != NULL)
    *duration = sqlite3_column_type (s, 1) == SQLITE_NULL ? -1 : sqlite3_column_double (s, 1);
  sqlite3_reset (s);
  return kind;
}

static void
bind_opt (sqlite3_stmt *s, int idx, const char *value)
{
  if (value != NULL)
    sqlite3_bind_text (s, idx, value, -1, SQLITE_TRANSIENT);
}

static gboolean
apply (YgDbConn *conn, const char *item_id, const YgItemMeta *p, GError **error)
{
  g_autofree char *kind = item_kind (conn, item_id, NULL, error);
  guint32 wrong = 0;
  sqlite3_stmt *s;

  if (kind == NULL)
    return FALSE;
  if (!g_str_equal (kind, "performance"))
    wrong |= p->set & YG_META_PERFORMANCE_FIELDS;
  if (!g_str_equal (kind, "heritage"))
    wrong |= p->set & YG_META_HERITAGE_FIELDS;
  for (guint i = 0; i < G_N_ELEMENTS (field_names); i++)
    if (wrong & field_names[i].bit)
      return yg_field_error_set (
          error, field_names[i].name,
          "\"%s\" does not apply to a %s item (the kind of an item is fixed)", field_names[i].name,
          kind);

  s = yg_db_conn_prepare (
      conn,
      "UPDATE items SET"
      " title = CASE WHEN ?2 & 1 THEN ?3 ELSE title END,"
      " description = CASE WHEN ?2 & 2 THEN COALESCE (?4, '') ELSE description END,"
      " language = CASE WHEN ?2 & 4 THEN ?5 ELSE language END,"
      " recorded_date = CASE WHEN ?2 & 8 THEN ?6 ELSE recorded_date END,"
      " venue = CASE WHEN ?2 & 16 THEN ?7 ELSE venue END,"
      " troupe = CASE WHEN ?2 & 64 THEN ?8 ELSE troupe END,"
      " performers = CASE WHEN ?2 & 128 THEN ?9 ELSE performers END,"
      " performance_date = CASE WHEN ?2 & 256 THEN ?10 ELSE performance_date END,"
      " programme = CASE WHEN ?2 & 512 THEN ?11 ELSE programme END,"
      " project_name = CASE WHEN ?2 & 1024 THEN ?12 ELSE project_name END,"
      " category = CASE WHEN ?2 & 2048 THEN ?13 ELSE category END,"
      " level = CASE WHEN ?2 & 4096 THEN ?14 ELSE level END,"
      " region = CASE WHEN ?2 & 8192 THEN ?15 ELSE region END,"
      " updated_at = ?16"
      " WHERE id = ?1",
      error);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 2, p->set);
  bind_opt (s, 3, p->title);
  bind_opt (s, 4, p->description);
  bind_opt (s, 5, p->language);
  bind_opt (s, 6, p->recorded_date);
  bind_opt (s, 7, p->venue);
  bind_opt (s, 8, p->troupe);
  bind_opt (s, 9, p->performers);
  bind_opt (s, 10, p->performance_date);
  bind_opt (s, 11, p->programme);
  bind_opt (s, 12, p->project_name);
  bind_opt (s, 13, p->category);
  bind_opt (s, 14, p->level);
  bind_opt (s, 15, p->region);
  sqlite3_bind_int64 (s, 16, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, s, error))
    return FALSE;

  if (p->set & YG_META_TAGS)
    {
      s = yg_db_conn_prepare (conn, "DELETE FROM item_tags WHERE item_id = ?1", error);
      if (s == NULL)
        return FALSE;
      sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
      if (!yg_db_conn_step_done (conn, s, error))
        return FALSE;
      for (guint i = 0; i < p->tags->len; i++)
        {
          s = yg_db_conn_prepare (conn,
                                  "INSERT OR IGNORE INTO item_tags (item_id, tag, position)"
                                  " VALUES (?1, ?2, ?3)",
                                  error);
          if (s == NULL)
            return FALSE;
          sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (s, 2, p->tags->pdata[i], -1, SQLITE_TRANSIENT);
          sqlite3_bind_int (s, 3, i);
          if (!yg_db_conn_step_done (conn, s, error))
            return FALSE;
        }
    }
  return yg_search_index_item (conn, item_id, error);
}

/**
 * yg_item_meta_store_update:
 * @patch: the fields to change (patch->set)
 * @in_transaction: TRUE when the caller already holds a write transaction
 *
 * Returns: %TRUE when applied; on error nothing is written (when
 *   @in_transaction, the caller must roll back)
 */
gboolean
yg_item_meta_store_update (YgDbConn *conn, const char *item_id, const YgItemMeta *patch,
                           gboolean in_transaction, GError **error)
{
  g_return_val_if_fail (item_id != NULL && patch != NULL, FALSE);

  if (in_transaction)
    return apply (conn, item_id, patch, error);
  if (!yg_db_conn_begin (conn, error))
    return FALSE;
  if (!apply (conn, item_id, patch, error) || !yg_db_conn_commit (conn, error))
    {
      yg_db_conn_rollback (conn);
      return FALSE;
    }
  return TRUE;
}

/**
 * yg_item_meta_store_set_chapters:
 * @chapters: (element-type YgChapter): validated, in order; replaces the old list
 *
 * Refuses a chapter that starts at or after the item's duration when it is known.
 */
gboolean
yg_item_meta_store_set_chapters (YgDbConn *conn, const char *item_id, const GArray *chapters,
                                 GError **error)
{
  g_autofree char *kind = NULL;
  double duration = -1;
  sqlite3_stmt *s;

  if (!yg_db_conn_begin (conn, error))
    return FALSE;
  kind = item_kind (conn, item_id, &duration, error);
  if (kind == NULL)
    goto fail;
  for (guint i = 0; i < chapters->len; i++)
    {
      const YgChapter *c = &g_array_index (chapters, YgChapter, i);
      if (duration >= 0 && c->start >= duration)
        {
          g_autofree char *field = g_strdup_printf ("chapters[%u].start", i);
          yg_field_error_set (error, field,
                              "Chapter %u starts at %g s, not within the recording (%g s)", i,
                              c->start, duration);
          goto fail;
        }
    }
  s = yg_db_conn_prepare (conn, "DELETE FROM item_chapters WHERE item_id = ?1", error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
  if (!yg_db_conn_step_done (conn, s, error))
    goto fail;
  for (guint i = 0; i < chapters->len; i++)
    {
      const YgChapter *c = &g_array_index (chapters, YgChapter, i);
      s = yg_db_conn_prepare (conn,
                              "INSERT INTO item_chapters (item_id, position, title, start)"
                              " VALUES (?1, ?2, ?3, ?4)",
                              error);
      if (s == NULL)
        goto fail;
      sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (s, 2, i);
      sqlite3_bind_text (s, 3, c->title, -1, SQLITE_TRANSIENT);
      sqlite3_bind_double (s, 4, c->start);
      if (!yg_db_conn_step_done (conn, s, error))
        goto fail;
    }
  s = yg_db_conn_prepare (conn, "UPDATE items SET updated_at = ?2 WHERE id = ?1", error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 2, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, s, error) || !yg_db_conn_commit (conn, error))
    goto fail;
  return TRUE;

fail:
  yg_db_conn_rollback (conn);
  return FALSE;
}

/**
 * yg_item_meta_store_get:
 *
 * Returns: (transfer full): every metadata field of the item (set = all),
 *   with its chapters and linked inheritors; %NULL with NOT_FOUND
 */
YgItemMeta *
yg_item_meta_store_get (YgDbConn *conn, const char *item_id, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "SELECT title, description, language, recorded_date, venue, troupe, performers,"
      " performance_date, programme, project_name, category, level, region, kind"
      " FROM items WHERE id = ?1",
      error);
  g_autoptr (YgItemMeta) meta = NULL;
  int rc;

  if (s == NULL)
    return NULL;
  sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
  rc = yg_db_conn_step (conn, s, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No item with id \"%s\"", item_id);
      return NULL;
    }
  meta = yg_item_meta_new ();
  meta->set = G_MAXUINT32;
  meta->title = yg_db_column_dup (s, 0);
  meta->description = yg_db_column_dup (s, 1);
  meta->language = yg_db_column_dup (s, 2);
  meta->recorded_date = yg_db_column_dup (s, 3);
  meta->venue = yg_db_column_dup (s, 4);
  meta->troupe = yg_db_column_dup (s, 5);
  meta->performers = yg_db_column_dup (s, 6);
  meta->performance_date = yg_db_column_dup (s, 7);
  meta->programme = yg_db_column_dup (s, 8);
  meta->project_name = yg_db_column_dup (s, 9);
  meta->category = yg_db_column_dup (s, 10);
  meta->level = yg_db_column_dup (s, 11);
  meta->region = yg_db_column_dup (s, 12);
  meta->kind = yg_db_column_dup (s, 13);
  sqlite3_reset (s);

  s = yg_db_conn_prepare (conn, "SELECT tag FROM item_tags WHERE item_id = ?1 ORDER BY position",
                          error);
  if (s == NULL)
    return NULL;
  sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    g_ptr_array_add (meta->tags, yg_db_column_dup (s, 0));
  if (rc < 0)
    return NULL;

  s = yg_db_conn_prepare (conn,
                          "SELECT title, start FROM item_chapters WHERE item_id = ?1"
                          " ORDER BY position",
                          error);
  if (s == NULL)
    return NULL;
  sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      YgChapter c = { yg_db_column_dup (s, 0), sqlite3_column_double (s, 1) };
      g_array_append_val (meta->chapters, c);
    }
  if (rc < 0)
    return NULL;

  s = yg_db_conn_prepare (conn,
                          "SELECT h.id, h.name FROM item_inheritors l"
                          " JOIN inheritors h ON h.id = l.inheritor_id"
                          " WHERE l.item_id = ?1 ORDER BY h.id",
                          error);
  if (s == NULL)
    return NULL;
  sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      YgInheritorRef r = { sqlite3_column_int64 (s, 0), yg_db_column_dup (s, 1) };
      g_array_append_val (meta->inheritors, r);
    }
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&meta);
}

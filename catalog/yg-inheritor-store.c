/* yg-inheritor-store.c: inheritors (代表性传承人) as their own rows, linked
 * many-to-many to heritage items through item_inheritors.
 *
 * Inheritor names are part of the linked items' search text, so every write
 * that changes a name or a link re-indexes the affected items in the same
 * transaction. Only heritage items take inheritors (YG_FIELD_ERROR "kind"
 * otherwise). Deleting an inheritor unlinks it everywhere (ON DELETE CASCADE)
 * after collecting the items to re-index.
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-inheritor-store.h"

#include "yg-field-error.h"
#include "yg-search.h"

YgInheritor *
yg_inheritor_new (void)
{
  YgInheritor *h = g_new0 (YgInheritor, 1);

  h->item_ids = g_ptr_array_new_with_free_func (g_free);
  return h;
}

void
yg_inheritor_free (YgInheritor *h)
{
  if (h == NULL)
    return;
  g_free (h->name);
  g_free (h->gender);
  g_free (h->level);
  g_free (h->region);
  g_free (h->bio);
  g_ptr_array_unref (h->item_ids);
  g_free (h);
}

#define COLUMNS "id, name, birth_year, gender, level, region, bio, created_at, updated_at"

static YgInheritor *
from_row (sqlite3_stmt *s)
{
  YgInheritor *h = yg_inheritor_new ();

  h->set = G_MAXUINT32;
  h->id = sqlite3_column_int64 (s, 0);
  h->name = yg_db_column_dup (s, 1);
  h->birth_year = sqlite3_column_int (s, 2);
  h->gender = yg_db_column_dup (s, 3);
  h->level = yg_db_column_dup (s, 4);
  h->region = yg_db_column_dup (s, 5);
  h->bio = yg_db_column_dup (s, 6);
  h->created_at = sqlite3_column_int64 (s, 7);
  h->updated_at = sqlite3_column_int64 (s, 8);
  return h;
}

static GPtrArray *
linked_items (YgDbConn *conn, gint64 id, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn, "SELECT item_id FROM item_inheritors WHERE inheritor_id = ?1 ORDER BY item_id", error);
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  int rc;

  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, id);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    g_ptr_array_add (ids, yg_db_column_dup (s, 0));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&ids);
}

/**
 * yg_inheritor_store_get:
 *
 * Returns: (transfer full): the inheritor with its linked item ids, or %NULL
 *   with YG_DB_ERROR_NOT_FOUND
 */
YgInheritor *
yg_inheritor_store_get (YgDbConn *conn, gint64 id, GError **error)
{
  sqlite3_stmt *s
      = yg_db_conn_prepare (conn, "SELECT " COLUMNS " FROM inheritors WHERE id = ?1", error);
  g_autoptr (YgInheritor) h = NULL;
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
                   "No inheritor with id %" G_GINT64_FORMAT, id);
      return NULL;
    }
  h = from_row (s);
  sqlite3_reset (s);
  g_ptr_array_unref (h->item_ids);
  h->item_ids = linked_items (conn, id, error);
  if (h->item_ids == NULL)
    {
      h->item_ids = g_ptr_array_new ();
      return NULL;
    }
  return g_steal_pointer (&h);
}

/**
 * yg_inheritor_store_list:
 * @after_id: list ids greater than this (0 for the first page)
 *
 * Returns: (transfer full) (element-type YgInheritor): by id
 */
GPtrArray *
yg_inheritor_store_list (YgDbConn *conn, gint64 after_id, guint limit, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn, "SELECT " COLUMNS " FROM inheritors WHERE id > ?1 ORDER BY id LIMIT ?2", error);
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify)yg_inheritor_free);
  int rc;

  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, after_id);
  sqlite3_bind_int (s, 2, limit);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    g_ptr_array_add (list, from_row (s));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&list);
}

static void
bind_opt (sqlite3_stmt *s, int idx, const char *value)
{
  if (value != NULL)
    sqlite3_bind_text (s, idx, value, -1, SQLITE_TRANSIENT);
}

static gboolean
reindex (YgDbConn *conn, GPtrArray *ids, GError **error)
{
  for (guint i = 0; i < ids->len; i++)
    if (!yg_search_index_item (conn, ids->pdata[i], error))
      return FALSE;
  return TRUE;
}

/**
 * yg_inheritor_store_create:
 * @in: validated values; name is required
 *
 * Returns: (transfer full): the new inheritor
 */
YgInheritor *
yg_inheritor_store_create (YgDbConn *conn, const YgInheritor *in, GError **error)
{
  sqlite3_stmt *s;
  gint64 id, now = g_get_real_time () / G_USEC_PER_SEC;
  YgInheritor *h;

  g_return_val_if_fail (in->name != NULL, NULL);
  if (!yg_db_conn_begin (conn, error))
    return NULL;
  s = yg_db_conn_prepare (conn,
                          "INSERT INTO inheritors (name, birth_year, gender, level, region, bio,"
                          " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                          error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_text (s, 1, in->name, -1, SQLITE_TRANSIENT);
  if (in->birth_year > 0)
    sqlite3_bind_int (s, 2, in->birth_year);
  bind_opt (s, 3, in->gender);
  bind_opt (s, 4, in->level);
  bind_opt (s, 5, in->region);
  sqlite3_bind_text (s, 6, in->bio != NULL ? in->bio : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 7, now);
  if (!yg_db_conn_step_done (conn, s, error))
    goto fail;
  id = yg_db_conn_last_insert_rowid (conn);
  if (!yg_db_conn_commit (conn, error))
    goto fail;
  h = yg_inheritor_store_get (conn, id, error);
  return h;

fail:
  yg_db_conn_rollback (conn);
  return NULL;
}

/**
 * yg_inheritor_store_update:
 *
 * Returns: (transfer full): the inheritor after the change
 */
YgInheritor *
yg_inheritor_store_update (YgDbConn *conn, gint64 id, const YgInheritor *p, GError **error)
{
  g_autoptr (GPtrArray) ids = NULL;
  sqlite3_stmt *s;

  if (!yg_db_conn_begin (conn, error))
    return NULL;
  s = yg_db_conn_prepare (conn,
                          "UPDATE inheritors SET"
                          " name = CASE WHEN ?2 & 1 THEN ?3 ELSE name END,"
                          " birth_year = CASE WHEN ?2 & 2 THEN ?4 ELSE birth_year END,"
                          " gender = CASE WHEN ?2 & 4 THEN ?5 ELSE gender END,"
                          " level = CASE WHEN ?2 & 8 THEN ?6 ELSE level END,"
                          " region = CASE WHEN ?2 & 16 THEN ?7 ELSE region END,"
                          " bio = CASE WHEN ?2 & 32 THEN COALESCE (?8, '') ELSE bio END,"
                          " updated_at = ?9 WHERE id = ?1",
                          error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_int64 (s, 2, p->set);
  bind_opt (s, 3, p->name);
  if (p->birth_year > 0)
    sqlite3_bind_int (s, 4, p->birth_year);
  bind_opt (s, 5, p->gender);
  bind_opt (s, 6, p->level);
  bind_opt (s, 7, p->region);
  bind_opt (s, 8, p->bio);
  sqlite3_bind_int64 (s, 9, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, s, error))
    goto fail;
  if (yg_db_conn_changes (conn) == 0)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND,
                   "No inheritor with id %" G_GINT64_FORMAT, id);
      goto fail;
    }
  if (p->set & YG_INHERITOR_NAME)
    {
      ids = linked_items (conn, id, error);
      if (ids == NULL || !reindex (conn, ids, error))
        goto fail;
    }
  if (!yg_db_conn_commit (conn, error))
    goto fail;
  return yg_inheritor_store_get (conn, id, error);

fail:
  yg_db_conn_rollback (conn);
  return NULL;
}

gboolean
yg_inheritor_store_delete (YgDbConn *conn, gint64 id, GError **error)
{
  g_autoptr (GPtrArray) ids = NULL;
  sqlite3_stmt *s;

  if (!yg_db_conn_begin (conn, error))
    return FALSE;
  ids = linked_items (conn, id, error);
  if (ids == NULL)
    goto fail;
  s = yg_db_conn_prepare (conn, "DELETE FROM inheritors WHERE id = ?1", error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_int64 (s, 1, id);
  if (!yg_db_conn_step_done (conn, s, error))
    goto fail;
  if (yg_db_conn_changes (conn) == 0)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND,
                   "No inheritor with id %" G_GINT64_FORMAT, id);
      goto fail;
    }
  if (!reindex (conn, ids, error) || !yg_db_conn_commit (conn, error))
    goto fail;
  return TRUE;

fail:
  yg_db_conn_rollback (conn);
  return FALSE;
}

/**
 * yg_inheritor_store_link:
 * @linked: TRUE to link (idempotent), FALSE to unlink (NOT_FOUND when not linked)
 */
gboolean
yg_inheritor_store_link (YgDbConn *conn, const char *item_id, gint64 inheritor_id, gboolean linked,
                         GError **error)
{
  sqlite3_stmt *s;
  g_autofree char *kind = NULL;
  int rc;

  if (!yg_db_conn_begin (conn, error))
    return FALSE;
  s = yg_db_conn_prepare (conn, "SELECT kind FROM items WHERE id = ?1", error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
  rc = yg_db_conn_step (conn, s, error);
  if (rc < 0)
    goto fail;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No item with id \"%s\"", item_id);
      goto fail;
    }
  kind = yg_db_column_dup (s, 0);
  sqlite3_reset (s);
  if (linked && !g_str_equal (kind, "heritage"))
    {
      yg_field_error_set (error, "kind",
                          "Inheritors can only be linked to heritage items (this "
                          "item is a %s)",
                          kind);
      goto fail;
    }
  s = yg_db_conn_prepare (conn, "SELECT 1 FROM inheritors WHERE id = ?1", error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_int64 (s, 1, inheritor_id);
  rc = yg_db_conn_step (conn, s, error);
  if (rc < 0)
    goto fail;
  sqlite3_reset (s);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND,
                   "No inheritor with id %" G_GINT64_FORMAT, inheritor_id);
      goto fail;
    }
  s = yg_db_conn_prepare (conn,
                          linked ? "INSERT OR IGNORE INTO item_inheritors (item_id, inheritor_id)"
                                   " VALUES (?1, ?2)"
                                 : "DELETE FROM item_inheritors WHERE item_id = ?1"
                                   " AND inheritor_id = ?2",
                          error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 2, inheritor_id);
  if (!yg_db_conn_step_done (conn, s, error))
    goto fail;
  if (!linked && yg_db_conn_changes (conn) == 0)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND,
                   "Inheritor %" G_GINT64_FORMAT " is not linked to item \"%s\"", inheritor_id,
                   item_id);
      goto fail;
    }
  if (!yg_search_index_item (conn, item_id, error) || !yg_db_conn_commit (conn, error))
    goto fail;
  return TRUE;

fail:
  yg_db_conn_rollback (conn);
  return FALSE;
}

/* yg-item-store.c: reading and creating item rows.
 *
 * Item ids are server-generated (yg_secret_new_id) and are the only names
 * used for an item's directories; titles and filenames never become paths.
 * "has_master"/"has_poster" come from item_files, the table fsck verifies.
 * Visibility (migration 6) is one of four strings; lists filter on it in
 * SQL so a hidden item never leaves the DB thread for a list.
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-item-store.h"

#include "yg-search.h"
#include "yg-secret.h"

void
yg_item_free (YgItem *item)
{
  if (item == NULL)
    return;
  g_free (item->id);
  g_free (item->kind);
  g_free (item->title);
  g_free (item->description);
  g_free (item->status);
  g_free (item->error_code);
  g_free (item->error_message);
  g_free (item->remote_hls);
  g_free (item->remote_poster);
  g_free (item->source_name);
  g_free (item->source_page);
  yg_item_meta_free (item->meta);
  g_free (item);
}

gboolean
yg_item_kind_is_valid (const char *kind)
{
  return kind != NULL
         && (g_str_equal (kind, "performance") || g_str_equal (kind, "lesson")
             || g_str_equal (kind, "heritage"));
}

/**
 * yg_item_store_get:
 *
 * Returns: (transfer full): the item, or %NULL with YG_DB_ERROR_NOT_FOUND
 */
#define ITEM_COLUMNS                                                                      \
  "id, kind, title, description, status, error_code, error_message, duration,"            \
  " created_at, updated_at,"                                                              \
  " EXISTS (SELECT 1 FROM item_files f WHERE f.item_id = items.id AND f.role = 'master'),"\
  " EXISTS (SELECT 1 FROM item_files f WHERE f.item_id = items.id AND f.role = 'poster'),"\
  " (SELECT progress FROM jobs j WHERE j.item_id = items.id ORDER BY j.id DESC LIMIT 1),"\
  " visibility,"                                                                          \
  " (SELECT r.hls_url FROM remote_items r WHERE r.item_id = items.id),"                   \
  " (SELECT r.poster_url FROM remote_items r WHERE r.item_id = items.id),"                \
  " (SELECT s.name FROM remote_items r JOIN subscriptions s ON s.id = r.subscription_id"  \
  "   WHERE r.item_id = items.id),"                                                       \
  " (SELECT r.page_url FROM remote_items r WHERE r.item_id = items.id)"

static YgItem *
item_from_row (sqlite3_stmt *stmt)
{
  YgItem *item = g_new0 (YgItem, 1);

  item->id = yg_db_column_dup (stmt, 0);
  item->kind = yg_db_column_dup (stmt, 1);
  item->title = yg_db_column_dup (stmt, 2);
  item->description = yg_db_column_dup (stmt, 3);
  item->status = yg_db_column_dup (stmt, 4);
  item->error_code = yg_db_column_dup (stmt, 5);
  item->error_message = yg_db_column_dup (stmt, 6);
  item->duration = sqlite3_column_type (stmt, 7) == SQLITE_NULL ? -1 : sqlite3_column_double (stmt, 7);
  item->created_at = sqlite3_column_int64 (stmt, 8);
  item->updated_at = sqlite3_column_int64 (stmt, 9);
  item->has_master = sqlite3_column_int (stmt, 10);
  item->has_poster = sqlite3_column_int (stmt, 11);
  item->progress = sqlite3_column_type (stmt, 12) == SQLITE_NULL ? -1 : sqlite3_column_double (stmt, 12);
  item->visibility = yg_visibility_from_string ((const char *) sqlite3_column_text (stmt, 13));
  item->remote_hls = yg_db_column_dup (stmt, 14);
  item->remote_poster = yg_db_column_dup (stmt, 15);
  item->source_name = yg_db_column_dup (stmt, 16);
  item->source_page = yg_db_column_dup (stmt, 17);
  if (item->remote_hls != NULL) /* a subscribed item plays from its origin */
    {
      item->has_master = TRUE;
      item->has_poster = item->remote_poster != NULL;
    }
  return item;
}

/**
 * yg_item_store_list_recent:
 *
 * Returns: (transfer full) (element-type YgItem): newest first
 */
GPtrArray *
yg_item_store_list_recent (YgDbConn *conn, guint limit, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (
    conn, "SELECT " ITEM_COLUMNS " FROM items ORDER BY created_at DESC, rowid DESC LIMIT ?1", error);
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_item_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int (stmt, 1, limit);
  while ((rc = yg_db_conn_step (conn, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (items, item_from_row (stmt));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&items);
}

/**
 * yg_item_store_list_visible:
 * @visible: a bit (1 << v) for every YgVisibility v to include
 *
 * Returns: (transfer full) (element-type YgItem): newest first
 */
GPtrArray *
yg_item_store_list_visible (YgDbConn *conn, guint limit, guint visible, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (
    conn,
    "SELECT " ITEM_COLUMNS " FROM items WHERE visibility IN (?2, ?3, ?4, ?5)"
    " ORDER BY created_at DESC, rowid DESC LIMIT ?1",
    error);
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_item_free);
  int rc, slot = 2;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int (stmt, 1, limit);
  for (YgVisibility v = YG_VISIBILITY_PUBLIC; v <= YG_VISIBILITY_STAFF; v++)
    if (visible & (1u << v))
      sqlite3_bind_text (stmt, slot++, yg_visibility_to_string (v), -1, SQLITE_STATIC);
  for (; slot <= 5; slot++)
    sqlite3_bind_null (stmt, slot);
  while ((rc = yg_db_conn_step (conn, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (items, item_from_row (stmt));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&items);
}

gboolean
yg_item_store_set_visibility (YgDbConn *conn, const char *id, YgVisibility visibility,
                              GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (visibility > YG_VISIBILITY_INVALID && visibility <= YG_VISIBILITY_STAFF,
                        FALSE);
  stmt = yg_db_conn_prepare (conn, "UPDATE items SET visibility = ?2, updated_at = ?3 WHERE id = ?1",
                             error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, yg_visibility_to_string (visibility), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, stmt, error))
    return FALSE;
  if (yg_db_conn_changes (conn) == 0)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No item with id \"%s\"", id);
      return FALSE;
    }
  return TRUE;
}

/**
 * yg_item_store_get_visibility:
 *
 * Returns: the item's visibility, or YG_VISIBILITY_INVALID with
 *   YG_DB_ERROR_NOT_FOUND when there is no such item
 */
YgVisibility
yg_item_store_get_visibility (YgDbConn *conn, const char *id, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn, "SELECT visibility FROM items WHERE id = ?1", error);
  YgVisibility v;
  int rc;

  if (stmt == NULL)
    return YG_VISIBILITY_INVALID;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  rc = yg_db_conn_step (conn, stmt, error);
  if (rc < 0)
    return YG_VISIBILITY_INVALID;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No item with id \"%s\"", id);
      return YG_VISIBILITY_INVALID;
    }
  v = yg_visibility_from_string ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return v;
}

YgItem *
yg_item_store_get (YgDbConn *conn, const char *id, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn, "SELECT " ITEM_COLUMNS " FROM items WHERE id = ?1",
                                           error);
  YgItem *item;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  rc = yg_db_conn_step (conn, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No item with id \"%s\"", id);
      return NULL;
    }
  item = item_from_row (stmt);
  sqlite3_reset (stmt);
  return item;
}

/**
 * yg_item_store_insert:
 * @id_or_null: (nullable): a fresh yg_secret_new_id(), when files were
 *   already placed under it; NULL to generate one
 *
 * Creates an item in status "processing".
 *
 * Returns: (transfer full): the new item's id
 */
char *
yg_item_store_insert (YgDbConn *conn, const char *id_or_null, const char *kind, const char *title,
                      const char *description, GError **error)
{
  g_autofree char *id = id_or_null != NULL ? g_strdup (id_or_null) : yg_secret_new_id ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  sqlite3_stmt *stmt;

  if (!yg_item_kind_is_valid (kind))
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_INVALID,
                   "Kind \"%s\" is not one of performance, lesson, heritage", kind ? kind : "");
      return NULL;
    }
  stmt = yg_db_conn_prepare (conn,
                             "INSERT INTO items (id, kind, title, description, created_at, updated_at)"
                             " VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                             error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, title, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, description != NULL ? description : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, now);
  if (!yg_db_conn_step_done (conn, stmt, error) || !yg_search_index_item (conn, id, error))
    return NULL;
  return g_steal_pointer (&id);
}

/**
 * yg_item_store_file_path:
 *
 * Returns: (transfer full): the path (relative to the data directory) of the
 *   item's file in @role, or %NULL with YG_DB_ERROR_NOT_FOUND
 */
char *
yg_item_store_file_path (YgDbConn *conn, const char *item_id, const char *role, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (
    conn, "SELECT path FROM item_files WHERE item_id = ?1 AND role = ?2", error);
  char *path;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, item_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, role, -1, SQLITE_TRANSIENT);
  rc = yg_db_conn_step (conn, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "Item %s has no %s file", item_id,
                   role);
      return NULL;
    }
  path = yg_db_column_dup (stmt, 0);
  sqlite3_reset (stmt);
  return path;
}

gboolean
yg_item_store_add_file (YgDbConn *conn, const char *item_id, const char *role, const char *path,
                        gint64 size, const char *sha256, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn,
                                           "INSERT OR REPLACE INTO item_files"
                                           " (item_id, role, path, size, sha256)"
                                           " VALUES (?1, ?2, ?3, ?4, ?5)",
                                           error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, item_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, role, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, path, -1, SQLITE_TRANSIENT);
  if (size >= 0)
    sqlite3_bind_int64 (stmt, 4, size);
  if (sha256 != NULL)
    sqlite3_bind_text (stmt, 5, sha256, -1, SQLITE_TRANSIENT);
  return yg_db_conn_step_done (conn, stmt, error);
}

/**
 * yg_item_store_find_original:
 *
 * Returns: (transfer full) (nullable): the id of the item whose original has
 *   this SHA-256, or %NULL (no error) if none
 */
char *
yg_item_store_find_original (YgDbConn *conn, const char *sha256, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (
    conn, "SELECT item_id FROM item_files WHERE role = 'original' AND sha256 = ?1 LIMIT 1", error);
  char *id = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_TRANSIENT);
  rc = yg_db_conn_step (conn, stmt, error);
  if (rc == SQLITE_ROW)
    {
      id = yg_db_column_dup (stmt, 0);
      sqlite3_reset (stmt);
    }
  return id;
}

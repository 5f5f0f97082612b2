/* yg-feed-store.c: syndication between centres, in the catalogue.
 *
 * Publishing: feed_log (kept by triggers on items, migration 13) holds the
 * sequence number of each item's latest change; a feed page is the changes
 * after a cursor, in order, each with the item when it is public and
 * playable, else as gone. Items that came from another server's feed are
 * never republished. The latest number is the feed's version (its ETag).
 * Following: a subscription is another server's feed URL. Each validated
 * page is applied in one transaction together with the cursor it reached:
 * new entries become items rows (public, ready) plus a remote_items row
 * with the origin's URLs, changed ones are updated, gone ones deleted, and
 * the search index follows in the same transaction. A failed fetch only
 * records the state and error; the items stay as they were. Removing a
 * subscription removes its items.
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-feed-store.h"

#include "yg-search.h"

void
yg_feed_entry_free (YgFeedEntry *e)
{
  if (e == NULL)
    return;
  g_free (e->item_id);
  yg_item_free (e->item);
  g_free (e);
}

void
yg_feed_remote_free (YgFeedRemote *r)
{
  if (r == NULL)
    return;
  g_free (r->remote_id);
  g_free (r->kind);
  g_free (r->title);
  g_free (r->description);
  g_free (r->hls_url);
  g_free (r->poster_url);
  g_free (r->page_url);
  g_free (r);
}

void
yg_subscription_free (YgSubscription *s)
{
  if (s == NULL)
    return;
  g_free (s->url);
  g_free (s->name);
  g_free (s->etag);
  g_free (s->state);
  g_free (s->error);
  g_free (s);
}

/* --- publishing ------------------------------------------------------------------------------- */

/**
 * yg_feed_store_page:
 * @after: the cursor: the last sequence number already seen (0: from the start)
 *
 * Returns: (transfer full) (element-type YgFeedEntry): up to @limit changes
 */
GPtrArray *
yg_feed_store_page (YgDbConn *conn, gint64 after, guint limit, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "SELECT l.seq, l.item_id FROM feed_log l WHERE l.seq > ?1"
      " AND NOT EXISTS (SELECT 1 FROM remote_items r WHERE r.item_id = l.item_id)"
      " ORDER BY l.seq LIMIT ?2",
      error);
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_feed_entry_free);
  int rc;

  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, after);
  sqlite3_bind_int (s, 2, MIN (limit, YG_FEED_MAX_PAGE));
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      YgFeedEntry *e = g_new0 (YgFeedEntry, 1);

      e->seq = sqlite3_column_int64 (s, 0);
      e->item_id = yg_db_column_dup (s, 1);
      g_ptr_array_add (out, e);
    }
  if (rc < 0)
    return NULL;
  for (guint i = 0; i < out->len; i++)
    {
      YgFeedEntry *e = out->pdata[i];
      g_autoptr (GError) local = NULL;

      e->item = yg_item_store_get (conn, e->item_id, &local);
      if (e->item == NULL && !g_error_matches (local, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      if (e->item != NULL
          && (e->item->visibility != YG_VISIBILITY_PUBLIC || !e->item->has_master
              || e->item->remote_hls != NULL))
        g_clear_pointer (&e->item, yg_item_free);
    }
  return g_steal_pointer (&out);
}

/* Returns: the latest change's sequence number (0 when none), or -1 with @error */
gint64
yg_feed_store_latest (YgDbConn *conn, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn, "SELECT coalesce (max (seq), 0) FROM feed_log",
                                        error);
  gint64 v;

  if (s == NULL || yg_db_conn_step (conn, s, error) != SQLITE_ROW)
    return -1;
  v = sqlite3_column_int64 (s, 0);
  sqlite3_reset (s);
  return v;
}

/* --- following -------------------------------------------------------------------------------- */

#define SUB_COLUMNS                                                                       \
  "id, url, name, allow_private, cursor, etag, state, error, coalesce (checked_at, 0),"   \
  " coalesce (ok_at, 0), created_at,"                                                     \
  " (SELECT count (*) FROM remote_items r WHERE r.subscription_id = subscriptions.id)"

static YgSubscription *
sub_from_row (sqlite3_stmt *s)
{
  YgSubscription *sub = g_new0 (YgSubscription, 1);

  sub->id = sqlite3_column_int64 (s, 0);
  sub->url = yg_db_column_dup (s, 1);
  sub->name = yg_db_column_dup (s, 2);
  sub->allow_private = sqlite3_column_int (s, 3) != 0;
  sub->cursor = sqlite3_column_int64 (s, 4);
  sub->etag = yg_db_column_dup (s, 5);
  sub->state = yg_db_column_dup (s, 6);
  sub->error = yg_db_column_dup (s, 7);
  sub->checked_at = sqlite3_column_int64 (s, 8);
  sub->ok_at = sqlite3_column_int64 (s, 9);
  sub->created_at = sqlite3_column_int64 (s, 10);
  sub->items = sqlite3_column_int64 (s, 11);
  return sub;
}

YgSubscription *
yg_feed_store_subscription (YgDbConn *conn, gint64 id, GError **error)
{
  return yg_db_conn_get_by_id (conn, "SELECT " SUB_COLUMNS " FROM subscriptions WHERE id = ?1", id,
                               (YgDbRowFunc) sub_from_row, "subscription", error);
}

GPtrArray *
yg_feed_store_subscriptions (YgDbConn *conn, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn, "SELECT " SUB_COLUMNS " FROM subscriptions ORDER BY id",
                                        error);

  if (s == NULL)
    return NULL;
  return yg_db_conn_collect (conn, s, (YgDbRowFunc) sub_from_row,
                             (GDestroyNotify) yg_subscription_free, error);
}

/* Returns: (transfer full): the new subscription; YG_DB_ERROR_CONSTRAINT if the URL is followed already */
YgSubscription *
yg_feed_store_subscribe (YgDbConn *conn, const char *url, gboolean allow_private, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn, "INSERT INTO subscriptions (url, allow_private, created_at) VALUES (?1, ?2, ?3)", error);

  if (s == NULL)
    return NULL;
  sqlite3_bind_text (s, 1, url, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (s, 2, allow_private != 0);
  sqlite3_bind_int64 (s, 3, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, s, error))
    return NULL;
  return yg_feed_store_subscription (conn, yg_db_conn_last_insert_rowid (conn), error);
}

/* The local item of a remote entry, or NULL (no error) when there is none. */
static char *
local_id (YgDbConn *conn, gint64 sub, const char *remote_id, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn, "SELECT item_id FROM remote_items WHERE subscription_id = ?1 AND remote_id = ?2", error);
  char *id = NULL;
  int rc;

  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, sub);
  sqlite3_bind_text (s, 2, remote_id, -1, SQLITE_TRANSIENT);
  rc = yg_db_conn_step (conn, s, error);
  if (rc == SQLITE_ROW)
    id = yg_db_column_dup (s, 0);
  sqlite3_reset (s);
  return id;
}

static gboolean
delete_item (YgDbConn *conn, const char *item_id, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn, "DELETE FROM items WHERE id = ?1", error);

  if (s == NULL || !yg_search_remove_item (conn, item_id, error))
    return FALSE;
  sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
  return yg_db_conn_step_done (conn, s, error);
}

static gboolean
upsert (YgDbConn *conn, gint64 sub, const YgFeedRemote *r, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *id = local_id (conn, sub, r->remote_id, &local);
  sqlite3_stmt *s;

  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (id == NULL)
    {
      id = yg_item_store_insert (conn, NULL, r->kind, r->title, r->description, error);
      if (id == NULL)
        return FALSE;
    }
  s = yg_db_conn_prepare (conn,
                          "UPDATE items SET kind = ?2, title = ?3, description = ?4, duration = ?5,"
                          " status = 'ready', visibility = 'public', updated_at = ?6 WHERE id = ?1",
                          error);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_text (s, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 2, r->kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 3, r->title, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 4, r->description != NULL ? r->description : "", -1, SQLITE_TRANSIENT);
  if (r->duration >= 0)
    sqlite3_bind_double (s, 5, r->duration);
  else
    sqlite3_bind_null (s, 5);
  sqlite3_bind_int64 (s, 6, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, s, error))
    return FALSE;
  s = yg_db_conn_prepare (conn,
                          "INSERT INTO remote_items (item_id, subscription_id, remote_id, hls_url,"
                          " poster_url, page_url) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                          " ON CONFLICT (item_id) DO UPDATE SET hls_url = excluded.hls_url,"
                          " poster_url = excluded.poster_url, page_url = excluded.page_url",
                          error);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_text (s, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 2, sub);
  sqlite3_bind_text (s, 3, r->remote_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 4, r->hls_url, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 5, r->poster_url, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 6, r->page_url, -1, SQLITE_TRANSIENT);
  return yg_db_conn_step_done (conn, s, error) && yg_search_index_item (conn, id, error);
}

/**
 * yg_feed_store_apply:
 * @remotes: (element-type YgFeedRemote): one validated page, in feed order
 * @cursor: the cursor the page reaches
 * @etag: (nullable): the page's ETag
 *
 * Applies a page and records the cursor, in one transaction; the state
 * becomes ok.
 */
gboolean
yg_feed_store_apply (YgDbConn *conn, gint64 id, const char *name, GPtrArray *remotes, gint64 cursor,
                     const char *etag, GError **error)
{
  sqlite3_stmt *s;

  if (!yg_db_conn_begin (conn, error))
    return FALSE;
  for (guint i = 0; i < remotes->len; i++)
    {
      const YgFeedRemote *r = remotes->pdata[i];

      if (r->deleted)
        {
          g_autoptr (GError) local = NULL;
          g_autofree char *item = local_id (conn, id, r->remote_id, &local);

          if (local != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local));
              goto fail;
            }
          if (item != NULL && !delete_item (conn, item, error))
            goto fail;
        }
      else if (!upsert (conn, id, r, error))
        goto fail;
    }
  s = yg_db_conn_prepare (conn,
                          "UPDATE subscriptions SET name = coalesce (?2, name), cursor = ?3, etag = ?4,"
                          " state = 'ok', error = NULL, checked_at = ?5, ok_at = ?5 WHERE id = ?1",
                          error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_text (s, 2, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 3, cursor);
  sqlite3_bind_text (s, 4, etag, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 5, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, s, error) || !yg_db_conn_commit (conn, error))
    goto fail;
  return TRUE;

fail:
  yg_db_conn_rollback (conn);
  return FALSE;
}

/* Records a check: @error_text NULL for "ok, nothing new", else the state error. */
gboolean
yg_feed_store_set_state (YgDbConn *conn, gint64 id, const char *error_text, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "UPDATE subscriptions SET state = ?2, error = ?3, checked_at = ?4,"
      " ok_at = CASE WHEN ?3 IS NULL THEN ?4 ELSE ok_at END WHERE id = ?1",
      error);

  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_text (s, 2, error_text != NULL ? "error" : "ok", -1, SQLITE_STATIC);
  sqlite3_bind_text (s, 3, error_text, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 4, g_get_real_time () / G_USEC_PER_SEC);
  return yg_db_conn_step_done (conn, s, error);
}

/* Removes the subscription and every item it brought, in one transaction. */
gboolean
yg_feed_store_unsubscribe (YgDbConn *conn, gint64 id, GError **error)
{
  g_autoptr (YgSubscription) sub = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *s;
  int rc;

  if (!yg_db_conn_begin (conn, error))
    return FALSE;
  sub = yg_feed_store_subscription (conn, id, error);
  if (sub == NULL)
    goto fail;
  s = yg_db_conn_prepare (conn, "SELECT item_id FROM remote_items WHERE subscription_id = ?1",
                          error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_int64 (s, 1, id);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    g_ptr_array_add (ids, yg_db_column_dup (s, 0));
  if (rc < 0)
    goto fail;
  for (guint i = 0; i < ids->len; i++)
    if (!delete_item (conn, ids->pdata[i], error))
      goto fail;
  s = yg_db_conn_prepare (conn, "DELETE FROM subscriptions WHERE id = ?1", error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_int64 (s, 1, id);
  if (!yg_db_conn_step_done (conn, s, error) || !yg_db_conn_commit (conn, error))
    goto fail;
  return TRUE;

fail:
  yg_db_conn_rollback (conn);
  return FALSE;
}

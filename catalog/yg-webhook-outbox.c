/* yg-webhook-outbox.c: the durable queue of staff notifications.
 *
 * Rows are added by yg-demand-store.c in the transaction that makes the
 * event happen, so a notification is never lost nor sent for something that
 * was rolled back. A row is due when next_at has passed and it is neither
 * delivered nor given up. Recording a failure counts the attempt and either
 * sets the next time (the deliverer chooses the backoff) or, with
 * next_at = 0, gives up. A restart simply finds the due rows again.
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-webhook-outbox.h"

void
yg_webhook_entry_free (YgWebhookEntry *e)
{
  if (e == NULL)
    return;
  g_free (e->event);
  yg_demand_free (e->demand);
  g_free (e);
}

/**
 * yg_webhook_outbox_due:
 *
 * Returns: (transfer full) (element-type YgWebhookEntry): due notifications, oldest first
 */
GPtrArray *
yg_webhook_outbox_due (YgDbConn *conn, gint64 now, guint limit, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "SELECT id, event, attempts, demand_id FROM webhook_outbox WHERE delivered_at IS NULL"
      " AND gave_up_at IS NULL AND next_at <= ?1 ORDER BY next_at, id LIMIT ?2",
      error);
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_webhook_entry_free);
  g_autoptr (GArray) demand_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;

  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, now);
  sqlite3_bind_int (s, 2, limit);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      YgWebhookEntry *e = g_new0 (YgWebhookEntry, 1);
      gint64 demand_id = sqlite3_column_int64 (s, 3);

      e->id = sqlite3_column_int64 (s, 0);
      e->event = yg_db_column_dup (s, 1);
      e->attempts = sqlite3_column_int (s, 2);
      g_ptr_array_add (list, e);
      g_array_append_val (demand_ids, demand_id);
    }
  if (rc < 0)
    return NULL;
  for (guint i = 0; i < list->len; i++)
    {
      YgWebhookEntry *e = list->pdata[i];

      e->demand = yg_demand_store_get (conn, g_array_index (demand_ids, gint64, i), 0, error);
      if (e->demand == NULL)
        return NULL;
    }
  return g_steal_pointer (&list);
}

/**
 * yg_webhook_outbox_record:
 * @failure: (nullable): %NULL when delivered, else what went wrong
 * @next_at: after a failure, when to try again; 0 to give up
 */
gboolean
yg_webhook_outbox_record (YgDbConn *conn, gint64 id, const char *failure, gint64 next_at,
                          GError **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ?2,"
      " delivered_at = CASE WHEN ?2 IS NULL THEN ?4 END,"
      " gave_up_at = CASE WHEN ?2 IS NOT NULL AND ?3 = 0 THEN ?4 END,"
      " next_at = CASE WHEN ?3 > 0 THEN ?3 ELSE next_at END WHERE id = ?1",
      error);

  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_text (s, 2, failure, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 3, next_at);
  sqlite3_bind_int64 (s, 4, now);
  return yg_db_conn_step_done (conn, s, error);
}

/* Returns: when the next pending notification is due, 0 when none is pending, -1 on error */
gint64
yg_webhook_outbox_next_at (YgDbConn *conn, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "SELECT coalesce (min (next_at), 0) FROM webhook_outbox"
      " WHERE delivered_at IS NULL AND gave_up_at IS NULL",
      error);
  gint64 next = -1;

  if (s == NULL)
    return -1;
  if (yg_db_conn_step (conn, s, error) == SQLITE_ROW)
    next = sqlite3_column_int64 (s, 0);
  sqlite3_reset (s);
  return next;
}

/* yg-heartbeat-store.c: writes batches of validated player events.
 *
 * One transaction per batch (the server's heartbeat buffer hands over up to
 * a few hundred events at a time). An event naming no item is dropped
 * silently, so a player cannot learn which ids exist and a bad id cannot
 * fail its neighbours. Each event also records (day, viewer, item) in
 * viewings, the small table that unique and returning viewers are counted
 * from after the raw rows are folded into daily rows (yg-analytics.c).
 * No address is stored anywhere: the viewer id is made by the client.
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-heartbeat-store.h"

static const char *const event_names[] = { "start", "tick", "pause", "seek", "end" };

const char *
yg_heartbeat_event_to_string (YgHeartbeatEvent e)
{
  return e < G_N_ELEMENTS (event_names) ? event_names[e] : "invalid";
}

YgHeartbeatEvent
yg_heartbeat_event_from_string (const char *s)
{
  for (guint i = 0; s != NULL && i < G_N_ELEMENTS (event_names); i++)
    if (g_str_equal (s, event_names[i]))
      return i;
  return YG_HEARTBEAT_INVALID;
}

void
yg_heartbeat_free (YgHeartbeat *h)
{
  if (h == NULL)
    return;
  g_free (h->viewer);
  g_free (h->session);
  g_free (h->item_id);
  g_free (h->community);
  g_free (h->embed);
  g_free (h);
}

/**
 * yg_heartbeat_store_insert:
 * @events: (element-type YgHeartbeat): validated events
 * @stored: (out) (optional): how many named an existing item and were kept
 */
gboolean
yg_heartbeat_store_insert (YgDbConn *conn, GPtrArray *events, guint *stored, GError **error)
{
  guint n = 0;

  if (!yg_db_conn_begin (conn, error))
    return FALSE;
  for (guint i = 0; i < events->len; i++)
    {
      YgHeartbeat *h = events->pdata[i];
      sqlite3_stmt *s = yg_db_conn_prepare (
          conn,
          "INSERT INTO heartbeats (at, viewer, session, item_id, user_id, community, event, position,"
          " partner_id) SELECT ?1, ?2, ?3, ?4, nullif (?5, 0), ?6, ?7, ?8, ?9 WHERE EXISTS"
          " (SELECT 1 FROM items WHERE id = ?4)",
          error);

      if (s == NULL)
        goto fail;
      sqlite3_bind_int64 (s, 1, h->at_ms);
      sqlite3_bind_text (s, 2, h->viewer, -1, SQLITE_STATIC);
      sqlite3_bind_text (s, 3, h->session, -1, SQLITE_STATIC);
      sqlite3_bind_text (s, 4, h->item_id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (s, 5, h->user_id);
      sqlite3_bind_text (s, 6, h->community, -1, SQLITE_STATIC);
      sqlite3_bind_text (s, 7, yg_heartbeat_event_to_string (h->event), -1, SQLITE_STATIC);
      sqlite3_bind_double (s, 8, h->position);
      sqlite3_bind_int64 (s, 9, h->partner_id);
      if (!yg_db_conn_step_done (conn, s, error))
        goto fail;
      if (yg_db_conn_changes (conn) == 0)
        continue;
      n++;
      s = yg_db_conn_prepare (conn,
                              "INSERT INTO viewings (day, viewer, item_id, user_id, community,"
                              " partner_id) VALUES (?1, ?2, ?3, nullif (?4, 0), ?5, ?6)"
                              " ON CONFLICT DO UPDATE SET"
                              " user_id = coalesce (user_id, excluded.user_id),"
                              " partner_id = max (partner_id, excluded.partner_id)",
                              error);
      if (s == NULL)
        goto fail;
      sqlite3_bind_int64 (s, 1, h->at_ms / 86400000);
      sqlite3_bind_text (s, 2, h->viewer, -1, SQLITE_STATIC);
      sqlite3_bind_text (s, 3, h->item_id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (s, 4, h->user_id);
      sqlite3_bind_text (s, 5, h->community, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (s, 6, h->partner_id);
      if (!yg_db_conn_step_done (conn, s, error))
        goto fail;
    }
  if (!yg_db_conn_commit (conn, error))
    goto fail;
  if (stored != NULL)
    *stored = n;
  return TRUE;

fail:
  yg_db_conn_rollback (conn);
  return FALSE;
}

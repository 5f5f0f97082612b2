/* yg-heartbeat-buffer.c: the server's side of player events: a memory
 * buffer written in batches, and the hourly fold of old raw events.
 *
 * Validated events are appended to a pending array; it is handed to the DB
 * thread as one transaction when it holds YG_HEARTBEAT_FLUSH_EVENTS events,
 * and by a one-second timer otherwise, so the catalogue sees about one write
 * a second whatever the number of players. Events in memory (pending plus
 * batches being written) are bounded: past YG_HEARTBEAT_MAX_PENDING the
 * route answers 503 and nothing is buffered. flush_all writes synchronously
 * (clean stop); a crash loses at most the last second. Every hour (and
 * once at start) raw events older than raw_days are folded into daily rows
 * (yg_analytics_compact).
 * Thread: main thread only; writes run on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-heartbeat-buffer.h"

#include "yg-analytics.h"

/* Shared with the callbacks of DB work still running (g_rc_box), so the
 * buffer can go away without waiting for them: the DB thread runs work in
 * order, so flush_all's synchronous write comes after every earlier batch. */
typedef struct
{
  guint in_flight;      /* events handed to the DB thread, not yet written */
  guint64 written;      /* events written (kept, or dropped for an unknown item) */
  gboolean folding;
} Counters;

struct _YgHeartbeatBuffer
{
  YgDb *db;
  guint raw_days;
  GPtrArray *pending;   /* (element-type YgHeartbeat) */
  Counters *counters;
  GSource *timer;
  GSource *fold_timer;
};

typedef struct
{
  Counters *counters;
  guint n;
} Batch;

static GPtrArray *
new_pending (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) yg_heartbeat_free);
}

static gpointer
db_insert (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_heartbeat_store_insert (conn, data, NULL, error) ? GINT_TO_POINTER (1) : NULL;
}

static void
inserted (GObject *source, GAsyncResult *res, gpointer data)
{
  Batch *batch = data;
  g_autoptr (GError) error = NULL;

  if (yg_db_run_finish (YG_DB (source), res, &error) == NULL)
    g_warning ("Saving %u player events failed: %s", batch->n, error->message);
  batch->counters->in_flight -= batch->n;
  batch->counters->written += batch->n;
  g_rc_box_release (batch->counters);
  g_free (batch);
}

static void
flush (YgHeartbeatBuffer *buf)
{
  GPtrArray *events = buf->pending;
  Batch *batch;

  if (events->len == 0)
    return;
  buf->pending = new_pending ();
  batch = g_new0 (Batch, 1);
  batch->counters = g_rc_box_acquire (buf->counters);
  batch->n = events->len;
  buf->counters->in_flight += batch->n;
  yg_db_run_async (buf->db, db_insert, events, (GDestroyNotify) g_ptr_array_unref, NULL, NULL,
                   inserted, batch);
}

static gboolean
tick (gpointer data)
{
  YgHeartbeatBuffer *buf = data;

  flush (buf);
  g_source_unref (buf->timer);
  buf->timer = NULL;
  return G_SOURCE_REMOVE;
}

/* --- folding old raw events ------------------------------------------------------------ */

static gpointer
db_fold (YgDbConn *conn, gpointer data, GError **error)
{
  gint64 before_day = GPOINTER_TO_SIZE (data);
  gint64 n = yg_analytics_compact (conn, before_day, error);

  return n < 0 ? NULL : GSIZE_TO_POINTER ((gsize) n + 1);
}

static void
folded (GObject *source, GAsyncResult *res, gpointer data)
{
  Counters *counters = data;
  g_autoptr (GError) error = NULL;
  gpointer n = yg_db_run_finish (YG_DB (source), res, &error);

  counters->folding = FALSE;
  g_rc_box_release (counters);
  if (n == NULL)
    g_warning ("Folding old player events into daily rows failed: %s", error->message);
  else if (GPOINTER_TO_SIZE (n) > 1)
    g_message ("folded %" G_GSIZE_FORMAT " old player events into daily rows",
               GPOINTER_TO_SIZE (n) - 1);
}

static gboolean
fold (gpointer data)
{
  YgHeartbeatBuffer *buf = data;
  gint64 today = g_get_real_time () / G_USEC_PER_SEC / 86400;

  if (!buf->counters->folding)
    {
      buf->counters->folding = TRUE;
      yg_db_run_async (buf->db, db_fold, GSIZE_TO_POINTER ((gsize) (today - buf->raw_days)), NULL,
                       NULL, NULL, folded, g_rc_box_acquire (buf->counters));
    }
  return G_SOURCE_CONTINUE;
}

/**
 * yg_heartbeat_buffer_new:
 * @raw_days: raw events older than this many days are folded into daily rows
 */
YgHeartbeatBuffer *
yg_heartbeat_buffer_new (YgDb *db, guint raw_days)
{
  YgHeartbeatBuffer *buf = g_new0 (YgHeartbeatBuffer, 1);

  buf->db = g_object_ref (db);
  buf->raw_days = raw_days;
  buf->pending = new_pending ();
  buf->counters = g_rc_box_new0 (Counters);
  fold (buf);
  buf->fold_timer = g_timeout_source_new_seconds (3600);
  g_source_set_callback (buf->fold_timer, fold, buf, NULL);
  g_source_set_name (buf->fold_timer, "yg-heartbeat-fold");
  g_source_attach (buf->fold_timer, g_main_context_get_thread_default ());
  return buf;
}

/* Writes what is pending (after every batch already handed over), then frees. */
void
yg_heartbeat_buffer_free (YgHeartbeatBuffer *buf)
{
  if (buf == NULL)
    return;
  yg_heartbeat_buffer_flush_all (buf);
  if (buf->timer != NULL)
    {
      g_source_destroy (buf->timer);
      g_source_unref (buf->timer);
    }
  g_source_destroy (buf->fold_timer);
  g_source_unref (buf->fold_timer);
  g_rc_box_release (buf->counters);
  g_ptr_array_unref (buf->pending);
  g_object_unref (buf->db);
  g_free (buf);
}

/**
 * yg_heartbeat_buffer_add:
 * @events: (element-type YgHeartbeat) (transfer container): validated events;
 *   the buffer takes them (the array keeps no free function)
 *
 * Returns: %FALSE (nothing taken) when too many events are waiting for the disk
 */
gboolean
yg_heartbeat_buffer_add (YgHeartbeatBuffer *buf, GPtrArray *events)
{
  if (buf->pending->len + buf->counters->in_flight + events->len > YG_HEARTBEAT_MAX_PENDING)
    return FALSE;
  for (guint i = 0; i < events->len; i++)
    g_ptr_array_add (buf->pending, g_steal_pointer (&events->pdata[i]));
  g_ptr_array_set_size (events, 0);
  if (buf->pending->len >= YG_HEARTBEAT_FLUSH_EVENTS)
    flush (buf);
  else if (buf->timer == NULL && buf->pending->len > 0)
    {
      buf->timer = g_timeout_source_new (1000);
      g_source_set_callback (buf->timer, tick, buf, NULL);
      g_source_set_name (buf->timer, "yg-heartbeat-buffer");
      g_source_attach (buf->timer, g_main_context_get_thread_default ());
    }
  return TRUE;
}

/* Writes every pending event now, synchronously. */
void
yg_heartbeat_buffer_flush_all (YgHeartbeatBuffer *buf)
{
  g_autoptr (GPtrArray) events = buf->pending;
  g_autoptr (GError) error = NULL;

  buf->pending = new_pending ();
  if (events->len > 0 && yg_db_run_sync (buf->db, db_insert, events, &error) == NULL)
    g_warning ("Saving %u player events failed: %s", events->len, error->message);
  buf->counters->written += events->len;
}

/* Events written so far (tests and the benchmark wait on it). */
guint64
yg_heartbeat_buffer_get_written (YgHeartbeatBuffer *buf)
{
  return buf->counters->written;
}

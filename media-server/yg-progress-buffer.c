/* yg-progress-buffer.c: coalesces the players' progress PUTs.
 *
 * A player reports its position every few seconds, and a burst of reports
 * must not become a burst of writes. Each (user, item) has an entry holding
 * the latest position and the furthest one seen since the last write. A
 * report is written at once when the entry was last written at least
 * YG_PROGRESS_WRITE_INTERVAL seconds ago; otherwise the entry is marked dirty
 * and a one-second timer writes it once the interval has passed. So one
 * (user, item) costs at most one write per interval, whatever the rate of
 * PUTs. Reads that must be exact ("continue learning", a course outline)
 * take the user's dirty entries and write them first, in their own DB call
 * (yg_progress_buffer_take_user). yg_progress_buffer_flush_all writes
 * everything (server stop). Clean entries are dropped a minute after their
 * last write; the table is bounded (MAX_ENTRIES: beyond it, everything is
 * written and the table emptied). A crash loses at most the last interval.
 * Thread: main thread only; writes run on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-progress-buffer.h"

#define MAX_ENTRIES 100000
#define KEEP_CLEAN_US (60 * G_USEC_PER_SEC)

typedef struct
{
  YgProgress value;     /* latest position; furthest since the last write */
  gint64 last_write_us; /* monotonic; 0: never written from here */
  gboolean dirty;
} Entry;

struct _YgProgressBuffer
{
  YgDb *db;
  GHashTable *entries; /* "user\titem" → Entry */
  GSource *timer;
  guint n_dirty;
};

static void
entry_free (Entry *e)
{
  g_free (e->value.item_id);
  g_free (e);
}

YgProgressBuffer *
yg_progress_buffer_new (YgDb *db)
{
  YgProgressBuffer *buf = g_new0 (YgProgressBuffer, 1);

  buf->db = g_object_ref (db);
  buf->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) entry_free);
  return buf;
}

void
yg_progress_buffer_free (YgProgressBuffer *buf)
{
  if (buf == NULL)
    return;
  yg_progress_buffer_flush_all (buf);
  if (buf->timer != NULL)
    {
      g_source_destroy (buf->timer);
      g_source_unref (buf->timer);
    }
  g_hash_table_unref (buf->entries);
  g_object_unref (buf->db);
  g_free (buf);
}

static YgProgress *
copy_value (const YgProgress *v)
{
  YgProgress *p = yg_progress_new (v->user_id, v->item_id, v->position, v->duration);

  p->furthest = v->furthest;
  return p;
}

/* Marks @e written now and returns what to write. */
static YgProgress *
take (YgProgressBuffer *buf, Entry *e, gint64 now)
{
  YgProgress *p = copy_value (&e->value);

  if (e->dirty)
    buf->n_dirty--;
  e->dirty = FALSE;
  e->last_write_us = now;
  e->value.furthest = e->value.position;
  return p;
}

static gpointer
db_save (YgDbConn *conn, gpointer data, GError **error)
{
  if (!yg_progress_store_save (conn, data, error))
    return NULL;
  return GINT_TO_POINTER (1);
}

static void
saved (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (GError) error = NULL;

  if (yg_db_run_finish (YG_DB (source), res, &error) == NULL)
    g_warning ("Saving viewing progress failed: %s", error->message);
}

static void
write_async (YgProgressBuffer *buf, GPtrArray *writes)
{
  if (writes->len == 0)
    {
      g_ptr_array_unref (writes);
      return;
    }
  yg_db_run_async (buf->db, db_save, writes, (GDestroyNotify) g_ptr_array_unref, NULL, NULL, saved,
                   NULL);
}

static gboolean
tick (gpointer data)
{
  YgProgressBuffer *buf = data;
  GPtrArray *writes = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_progress_free);
  gint64 now = g_get_monotonic_time ();
  GHashTableIter it;
  Entry *e;

  g_hash_table_iter_init (&it, buf->entries);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &e))
    if (e->dirty && now - e->last_write_us >= YG_PROGRESS_WRITE_INTERVAL * G_USEC_PER_SEC)
      g_ptr_array_add (writes, take (buf, e, now));
    else if (!e->dirty && now - e->last_write_us > KEEP_CLEAN_US)
      g_hash_table_iter_remove (&it);
  write_async (buf, writes);
  if (buf->n_dirty == 0)
    {
      g_source_unref (buf->timer);
      buf->timer = NULL;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static char *
key_of (gint64 user_id, const char *item_id)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT "\t%s", user_id, item_id);
}

/* Records a validated report; writes it now or within the interval. */
void
yg_progress_buffer_put (YgProgressBuffer *buf, gint64 user_id, const char *item_id,
                        double position, double duration)
{
  g_autofree char *key = key_of (user_id, item_id);
  gint64 now = g_get_monotonic_time ();
  Entry *e = g_hash_table_lookup (buf->entries, key);

  if (e == NULL)
    {
      if (g_hash_table_size (buf->entries) >= MAX_ENTRIES)
        {
          yg_progress_buffer_flush_all (buf);
          g_hash_table_remove_all (buf->entries);
        }
      e = g_new0 (Entry, 1);
      e->value.user_id = user_id;
      e->value.item_id = g_strdup (item_id);
      e->value.furthest = position;
      g_hash_table_insert (buf->entries, g_steal_pointer (&key), e);
    }
  e->value.position = position;
  e->value.duration = duration;
  e->value.furthest = MAX (e->value.furthest, position);
  if (!e->dirty)
    buf->n_dirty++;
  e->dirty = TRUE;
  if (e->last_write_us == 0 || now - e->last_write_us >= YG_PROGRESS_WRITE_INTERVAL * G_USEC_PER_SEC)
    {
      GPtrArray *writes = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_progress_free);
      g_ptr_array_add (writes, take (buf, e, now));
      write_async (buf, writes);
      return;
    }
  if (buf->timer == NULL)
    {
      buf->timer = g_timeout_source_new_seconds (1);
      g_source_set_callback (buf->timer, tick, buf, NULL);
      g_source_set_name (buf->timer, "yg-progress-buffer");
      g_source_attach (buf->timer, g_main_context_get_thread_default ());
    }
}

/**
 * yg_progress_buffer_lookup:
 *
 * Returns: (transfer full) (nullable): the latest reported position when it
 *   is still in memory (its furthest is only the part since the last write)
 */
YgProgress *
yg_progress_buffer_lookup (YgProgressBuffer *buf, gint64 user_id, const char *item_id)
{
  g_autofree char *key = key_of (user_id, item_id);
  Entry *e = g_hash_table_lookup (buf->entries, key);

  return e != NULL ? copy_value (&e->value) : NULL;
}

/**
 * yg_progress_buffer_take_user:
 *
 * Returns: (transfer full) (element-type YgProgress): the user's unwritten
 *   reports, now counted as written; the caller saves them (yg_progress_store_save)
 */
GPtrArray *
yg_progress_buffer_take_user (YgProgressBuffer *buf, gint64 user_id)
{
  GPtrArray *writes = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_progress_free);
  gint64 now = g_get_monotonic_time ();
  GHashTableIter it;
  Entry *e;

  g_hash_table_iter_init (&it, buf->entries);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &e))
    if (e->dirty && e->value.user_id == user_id)
      g_ptr_array_add (writes, take (buf, e, now));
  return writes;
}

/* Writes every unwritten report now, synchronously. */
void
yg_progress_buffer_flush_all (YgProgressBuffer *buf)
{
  g_autoptr (GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_progress_free);
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter it;
  Entry *e;

  g_hash_table_iter_init (&it, buf->entries);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &e))
    if (e->dirty)
      g_ptr_array_add (writes, take (buf, e, now));
  if (writes->len > 0 && yg_db_run_sync (buf->db, db_save, writes, &error) == NULL)
    g_warning ("Saving viewing progress failed: %s", error->message);
}

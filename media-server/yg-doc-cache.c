/* yg-doc-cache.c: YgDocCache, API documents that are the same for every
 * caller (a public item's JSON), kept for a moment so that a crowd opening
 * the same page costs one database read, not one per request.
 *
 * Invariants: an entry lives at most ttl_ms; the server clears the whole
 * cache whenever a write request (anything but GET, HEAD, OPTIONS) finishes,
 * so a client never reads its own write's old version back. A reader that
 * started before such a clear must not refill the cache with what it read
 * then: it takes the generation when it starts and yg_doc_cache_put ignores
 * a document from an older generation. The cache is bounded (max_entries;
 * when full it is emptied, refilling is cheap). Changes made by other
 * processes (yunguan import) show after at most ttl_ms.
 * Thread: any; a mutex guards entries and generation (the main thread
 * clears, delivery threads read and fill).
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-doc-cache.h"

typedef struct
{
  GBytes *doc;
  gint64 until_us;
} Entry;

struct _YgDocCache
{
  GHashTable *entries; /* key → Entry */
  guint max_entries;
  gint64 ttl_us;
  guint64 generation;
  GMutex lock;
};

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_bytes_unref (e->doc);
  g_free (e);
}

/**
 * yg_doc_cache_new:
 * @max_entries: documents kept at most
 * @ttl_ms: how long one is served without looking again
 *
 * Returns: (transfer full): an empty cache
 */
YgDocCache *
yg_doc_cache_new (guint max_entries, guint ttl_ms)
{
  YgDocCache *cache = g_new0 (YgDocCache, 1);

  cache->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, entry_free);
  cache->max_entries = max_entries;
  cache->ttl_us = (gint64) ttl_ms * 1000;
  g_mutex_init (&cache->lock);
  return cache;
}

void
yg_doc_cache_free (YgDocCache *cache)
{
  if (cache == NULL)
    return;
  g_hash_table_unref (cache->entries);
  g_mutex_clear (&cache->lock);
  g_free (cache);
}

/**
 * yg_doc_cache_generation:
 *
 * Returns: the value to pass to yg_doc_cache_put for a document read from now on
 */
guint64
yg_doc_cache_generation (YgDocCache *cache)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&cache->lock);

  return cache->generation;
}

/**
 * yg_doc_cache_get:
 *
 * Returns: (transfer full) (nullable): the document, if fresh
 */
GBytes *
yg_doc_cache_get (YgDocCache *cache, const char *key)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&cache->lock);
  Entry *e = g_hash_table_lookup (cache->entries, key);

  if (e == NULL)
    return NULL;
  if (e->until_us <= g_get_monotonic_time ())
    {
      g_hash_table_remove (cache->entries, key);
      return NULL;
    }
  return g_bytes_ref (e->doc);
}

/**
 * yg_doc_cache_put:
 * @doc: the document, the same for every caller
 * @generation: yg_doc_cache_generation() from before @doc was read
 */
void
yg_doc_cache_put (YgDocCache *cache, const char *key, GBytes *doc, guint64 generation)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&cache->lock);
  Entry *e;

  if (generation != cache->generation)
    return;
  if (g_hash_table_size (cache->entries) >= cache->max_entries)
    g_hash_table_remove_all (cache->entries);
  e = g_new (Entry, 1);
  e->doc = g_bytes_ref (doc);
  e->until_us = g_get_monotonic_time () + cache->ttl_us;
  g_hash_table_replace (cache->entries, g_strdup (key), e);
}

/**
 * yg_doc_cache_clear:
 *
 * Forgets every document (a write has finished).
 */
void
yg_doc_cache_clear (YgDocCache *cache)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&cache->lock);

  cache->generation++;
  g_hash_table_remove_all (cache->entries);
}

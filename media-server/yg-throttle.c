/* yg-throttle.c: token buckets keyed by text (an account, a client address).
 *
 * Each key has a bucket of @burst tokens that refills by one every
 * @refill_seconds (or @refill_us). A sign-in attempt takes a token before the password is
 * checked (so parallel attempts cannot all slip through) and gives it back
 * when it succeeds; an empty bucket means 429 with Retry-After, the time
 * until one token is back. Memory is bounded: at most @max_keys buckets;
 * when full, full buckets (nothing to remember) are dropped first, then
 * the least recently used. State lives in this process only, so a restart
 * forgets it, which is acceptable for slowing down password guessing.
 * Thread: main thread (no locking).
 */
#include "yg-throttle.h"

typedef struct
{
  double tokens;
  gint64 updated_us;
} Bucket;

struct _YgThrottle
{
  guint burst;
  gint64 refill_us;
  guint max_keys;
  GHashTable *buckets; /* key → Bucket */
};

YgThrottle *
yg_throttle_new (guint burst, guint refill_seconds, guint max_keys)
{
  g_return_val_if_fail (refill_seconds > 0, NULL);
  return yg_throttle_new_rate (burst, (gint64) refill_seconds * G_USEC_PER_SEC, max_keys);
}

/* A bucket that refills by one token every @refill_us microseconds (rates above one a second). */
YgThrottle *
yg_throttle_new_rate (guint burst, gint64 refill_us, guint max_keys)
{
  YgThrottle *t = g_new0 (YgThrottle, 1);

  g_return_val_if_fail (burst > 0 && refill_us > 0 && max_keys > 0, NULL);
  t->burst = burst;
  t->refill_us = refill_us;
  t->max_keys = max_keys;
  t->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return t;
}

void
yg_throttle_free (YgThrottle *t)
{
  if (t == NULL)
    return;
  g_hash_table_unref (t->buckets);
  g_free (t);
}

static void
refill (YgThrottle *t, Bucket *b, gint64 now_us)
{
  if (now_us > b->updated_us)
    {
      b->tokens = MIN ((double) t->burst,
                       b->tokens + (double) (now_us - b->updated_us) / (double) t->refill_us);
      b->updated_us = now_us;
    }
}

/* Makes room for one more key. */
static void
evict (YgThrottle *t, gint64 now_us)
{
  GHashTableIter iter;
  gpointer key, value;
  const char *oldest = NULL;
  gint64 oldest_us = G_MAXINT64;

  g_hash_table_iter_init (&iter, t->buckets);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Bucket *b = value;
      refill (t, b, now_us);
      if (b->tokens >= t->burst)
        g_hash_table_iter_remove (&iter);
    }
  if (g_hash_table_size (t->buckets) < t->max_keys)
    return;
  g_hash_table_iter_init (&iter, t->buckets);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (((Bucket *) value)->updated_us < oldest_us)
      {
        oldest_us = ((Bucket *) value)->updated_us;
        oldest = key;
      }
  if (oldest != NULL)
    g_hash_table_remove (t->buckets, oldest);
}

/**
 * yg_throttle_retry_after:
 *
 * Returns: 0 when @key may try now, else the seconds until it may
 */
guint
yg_throttle_retry_after (YgThrottle *t, const char *key, gint64 now_us)
{
  Bucket *b = g_hash_table_lookup (t->buckets, key);

  if (b == NULL)
    return 0;
  refill (t, b, now_us);
  if (b->tokens >= 1.0)
    return 0;
  return (guint) ((1.0 - b->tokens) * t->refill_us / G_USEC_PER_SEC) + 1;
}

/* Takes one token (the caller checked retry_after first). */
void
yg_throttle_take (YgThrottle *t, const char *key, gint64 now_us)
{
  Bucket *b = g_hash_table_lookup (t->buckets, key);

  if (b == NULL)
    {
      if (g_hash_table_size (t->buckets) >= t->max_keys)
        evict (t, now_us);
      b = g_new0 (Bucket, 1);
      b->tokens = t->burst;
      b->updated_us = now_us;
      g_hash_table_insert (t->buckets, g_strdup (key), b);
    }
  refill (t, b, now_us);
  b->tokens = MAX (0.0, b->tokens - 1.0);
}

void
yg_throttle_give_back (YgThrottle *t, const char *key, gint64 now_us)
{
  Bucket *b = g_hash_table_lookup (t->buckets, key);

  if (b == NULL)
    return;
  refill (t, b, now_us);
  b->tokens = MIN ((double) t->burst, b->tokens + 1.0);
}

void
yg_throttle_reset (YgThrottle *t, const char *key)
{
  g_hash_table_remove (t->buckets, key);
}

guint
yg_throttle_size (YgThrottle *t)
{
  return g_hash_table_size (t->buckets);
}

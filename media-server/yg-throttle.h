/* yg-throttle.h: bounded in-memory token buckets for sign-in attempts and player events. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _YgThrottle YgThrottle;

YgThrottle *yg_throttle_new (guint burst, guint refill_seconds, guint max_keys);
YgThrottle *yg_throttle_new_rate (guint burst, gint64 refill_us, guint max_keys);
void yg_throttle_free (YgThrottle *throttle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgThrottle, yg_throttle_free)

guint yg_throttle_retry_after (YgThrottle *throttle, const char *key, gint64 now_us);
void yg_throttle_take (YgThrottle *throttle, const char *key, gint64 now_us);
void yg_throttle_give_back (YgThrottle *throttle, const char *key, gint64 now_us);
void yg_throttle_reset (YgThrottle *throttle, const char *key);
guint yg_throttle_size (YgThrottle *throttle);

G_END_DECLS

/* yg-doc-cache.h: API documents that are the same for every caller, kept for a moment. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _YgDocCache YgDocCache;

YgDocCache *yg_doc_cache_new (guint max_entries, guint ttl_ms);
void yg_doc_cache_free (YgDocCache *cache);
guint64 yg_doc_cache_generation (YgDocCache *cache);
GBytes *yg_doc_cache_get (YgDocCache *cache, const char *key);
void yg_doc_cache_put (YgDocCache *cache, const char *key, GBytes *doc, guint64 generation);
void yg_doc_cache_clear (YgDocCache *cache);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgDocCache, yg_doc_cache_free)

G_END_DECLS

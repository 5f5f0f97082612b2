/* yg-captions.h: WebVTT captions of an item and their HLS subtitle renditions. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define YG_CAPTIONS_MAX_BYTES (2 * 1024 * 1024)
#define YG_CAPTIONS_GROUP "subs"

gboolean yg_captions_lang_is_valid (const char *lang);
const char *yg_captions_lang_name (const char *lang);
gboolean yg_captions_validate (const char *data, gsize len, double *last_end, GError **error);
GPtrArray *yg_captions_list (const char *item_dir);
char *yg_captions_master (const char *master_text, GPtrArray *langs, GError **error);
char *yg_captions_media_playlist (const char *item_dir, const char *lang, GError **error);

G_END_DECLS

/* yg-media-names.h: the grammar of names in /hls/… URLs (item ids, rungs, segments). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean yg_media_names_item_id_is_valid (const char *id);
gboolean yg_media_names_rung_is_valid (const char *rung);
gboolean yg_media_names_is_segment (const char *name);

G_END_DECLS

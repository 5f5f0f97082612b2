/* yg-media-names.h: the grammar of names in /hls/… URLs (item ids, rungs, segments)
 * and what each kind of file is sent as. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean yg_media_names_item_id_is_valid (const char *id);
gboolean yg_media_names_rung_is_valid (const char *rung);
gboolean yg_media_names_is_segment (const char *name);

typedef enum
{
  YG_MEDIA_FILE_NONE,     /* not a name served here */
  YG_MEDIA_FILE_MASTER,   /* master.m3u8 (captions may be added to it) */
  YG_MEDIA_FILE_PLAYLIST, /* <rung>/index.m3u8: caching from its contents */
  YG_MEDIA_FILE_OTHER,    /* segments, poster, storyboard, thumbnails */
} YgMediaFile;

YgMediaFile yg_media_names_classify (const char  *rung,
                                     const char  *name,
                                     const char **content_type,
                                     const char **cache_control);
const char *yg_media_names_playlist_cache (const char *text, gsize len);
char *yg_media_names_token_cache (const char *cache_control, gint64 expires_at, gint64 now);

G_END_DECLS

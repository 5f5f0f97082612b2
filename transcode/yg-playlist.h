/* yg-playlist.h: HLS playlists (RFC 8216) as plain values: writer and parser. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define YG_PLAYLIST_ERROR (yg_playlist_error_quark ())
GQuark yg_playlist_error_quark (void);

typedef enum
{
  YG_PLAYLIST_ERROR_PARSE, /* not a playlist we understand; the message says where */
} YgPlaylistError;

typedef enum
{
  YG_PLAYLIST_TYPE_NONE,  /* no EXT-X-PLAYLIST-TYPE (only ever parsed, never written) */
  YG_PLAYLIST_TYPE_EVENT, /* growing: segments are only appended; no ENDLIST */
  YG_PLAYLIST_TYPE_VOD,   /* complete: immutable, ends with EXT-X-ENDLIST */
} YgPlaylistType;

typedef struct
{
  char *uri;            /* relative to the playlist, e.g. "seg00000.ts" */
  guint64 duration_ms;  /* EXTINF, in milliseconds (written with 3 decimals) */
  guint64 size;         /* bytes; only for bandwidth figures, never written */
} YgSegment;

typedef struct
{
  YgPlaylistType type;
  guint target_duration; /* writer: lower bound of TARGETDURATION; parser: the value read */
  guint version;         /* parser: EXT-X-VERSION read (0 if absent); the writer writes 3 */
  guint media_sequence;  /* first segment's sequence number; 0 for everything we write */
  gboolean ended;        /* parser: EXT-X-ENDLIST seen; the writer derives it from type */
  GArray *segments;      /* (element-type YgSegment) */
} YgMediaPlaylist;

YgMediaPlaylist *yg_media_playlist_new (guint target_duration);
void yg_media_playlist_free (YgMediaPlaylist *playlist);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgMediaPlaylist, yg_media_playlist_free)

void yg_media_playlist_add_segment (YgMediaPlaylist *playlist,
                                    const char      *uri,
                                    guint64          duration_ms,
                                    guint64          size);
guint yg_media_playlist_get_target_duration (const YgMediaPlaylist *playlist);
guint64 yg_media_playlist_get_duration_ms (const YgMediaPlaylist *playlist);
guint64 yg_media_playlist_get_peak_bandwidth (const YgMediaPlaylist *playlist);
guint64 yg_media_playlist_get_average_bandwidth (const YgMediaPlaylist *playlist);
char *yg_media_playlist_to_string (const YgMediaPlaylist *playlist, YgPlaylistType type);
YgMediaPlaylist *yg_media_playlist_parse (const char *text, GError **error);

typedef struct
{
  char *uri;                 /* e.g. "720p/index.m3u8" */
  guint64 bandwidth;         /* bits/s; peak (or nominal before it is measured) */
  guint64 average_bandwidth; /* bits/s; 0 = not written */
  char *codecs;              /* RFC 6381 list, e.g. "avc1.64001f,mp4a.40.2"; NULL = not written */
  guint width;               /* RESOLUTION; 0 = not written (audio-only) */
  guint height;
  guint frame_rate_milli;    /* FRAME-RATE × 1000; 0 = not written */
  char *subtitles;           /* SUBTITLES group id; NULL = not written */
} YgVariant;

/* An EXT-X-MEDIA rendition of TYPE=SUBTITLES (the only type written or parsed). */
typedef struct
{
  char *group_id;            /* e.g. "subs" */
  char *name;                /* e.g. "中文" */
  char *language;            /* BCP 47, e.g. "zh-CN"; NULL = not written */
  gboolean is_default;       /* DEFAULT=YES */
  gboolean autoselect;       /* AUTOSELECT=YES */
  char *uri;                 /* e.g. "captions/zh-CN.m3u8" */
} YgRendition;

typedef struct
{
  guint version;       /* parser: EXT-X-VERSION read; the writer writes 3 */
  gboolean independent_segments;
  GArray *variants;    /* (element-type YgVariant) */
  GArray *renditions;  /* (element-type YgRendition) subtitle renditions */
} YgMasterPlaylist;

YgMasterPlaylist *yg_master_playlist_new (void);
void yg_master_playlist_free (YgMasterPlaylist *playlist);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgMasterPlaylist, yg_master_playlist_free)

void yg_master_playlist_add_variant (YgMasterPlaylist *playlist, const YgVariant *variant);
void yg_master_playlist_add_rendition (YgMasterPlaylist *playlist, const YgRendition *rendition);
char *yg_master_playlist_to_string (const YgMasterPlaylist *playlist);
YgMasterPlaylist *yg_master_playlist_parse (const char *text, GError **error);

G_END_DECLS

/* yg-probe.h: safe probe of an uploaded file with libavformat (YG_PROBE_ERROR).
 *
 * The first gate every upload passes. yg_probe_file() either describes the
 * recording (YgProbeInfo) or refuses it with a YG_PROBE_ERROR whose message a
 * culture-centre staff member can act on and whose yg_probe_error_code() is a
 * stable machine code for the API and the job protocol. No libav type leaks
 * out of this header. Thread: any; see yg-probe.c for the security rules.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define YG_PROBE_ERROR (yg_probe_error_quark ())
GQuark yg_probe_error_quark (void);

typedef enum
{
  YG_PROBE_ERROR_UNSUPPORTED_FORMAT, /* "unsupported_format": not an allowlisted container,
                                      * a playlist, an image, text, unknown bytes, an unknown codec */
  YG_PROBE_ERROR_TOO_LARGE,          /* "too_large": picture dimensions over the limit */
  YG_PROBE_ERROR_TOO_LONG,           /* "too_long": (claimed) duration over the limit */
  YG_PROBE_ERROR_TOO_MANY_STREAMS,   /* "too_many_streams": more tracks than the limit */
  YG_PROBE_ERROR_NO_MEDIA_STREAMS,   /* "no_media_streams": no audio or video (cover art does not count) */
  YG_PROBE_ERROR_CORRUPT,            /* "corrupt": damaged, truncated, unreadable, or took too long */
  YG_PROBE_ERROR_EMPTY,              /* "empty_file": zero bytes */
  YG_PROBE_ERROR_IO,                 /* "io_error": missing, unreadable, not a regular file */
} YgProbeError;

const char *yg_probe_error_code (const GError *error);

typedef struct
{
  guint   max_width;          /* long side: max (max_width, max_height), short side: the other; */
  guint   max_height;         /* and width * height <= max_width * max_height (portrait is fine) */
  double  max_duration;       /* seconds */
  guint   max_streams;        /* all tracks: video, audio, subtitles, data, cover art */
  gint64  probesize;          /* bytes libavformat may read to find the stream parameters */
  gint64  analyzeduration_us; /* media time it may analyse for the same */
  double  timeout;            /* wall-clock seconds for the whole probe */
} YgProbeLimits;

const YgProbeLimits *yg_probe_limits_default (void);

typedef struct
{
  char    *container;      /* family: "mp4", "mov", "m4a", "3gp", "matroska", "webm", "mpegts",
                            * "mpeg-ps", "avi", "flv", "asf", "mxf", "dv", "wav", "aiff", "mp3",
                            * "flac", "ogg", "aac" */
  char    *demuxer;        /* exact AVInputFormat name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
  double   duration;       /* seconds, -1 if unknown */
  gint64   size;           /* bytes */
  guint    n_streams;      /* all tracks */
  gboolean has_video;      /* a real video track (attached pictures / cover art do not count) */
  gboolean has_audio;

  int      video_stream;   /* libav stream index of the chosen video track, -1 if none */
  char    *video_codec;    /* libavcodec name, e.g. "h264", "hevc", "vp9"; NULL if no video */
  char    *pixel_format;   /* e.g. "yuv420p", NULL if unknown */
  guint    width, height;  /* coded (storage) size; apply rotation for display */
  double   fps;            /* 0 if unknown */
  int      rotation;       /* clockwise degrees to turn the picture upright: 0, 90, 180, 270
                            * (the phones' "rotate" tag, GStreamer's image-orientation rotate-N) */
  gboolean interlaced;
  gboolean top_field_first;/* meaningful only if interlaced */
  gint64   video_bitrate;  /* bits/s, 0 if unknown */

  int      audio_stream;   /* libav stream index of the chosen audio track, -1 if none */
  char    *audio_codec;    /* e.g. "aac", "opus", "pcm_s16le"; NULL if no audio */
  guint    sample_rate;
  guint    channels;
  gint64   audio_bitrate;  /* bits/s, 0 if unknown */
} YgProbeInfo;

void yg_probe_info_free (YgProbeInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgProbeInfo, yg_probe_info_free)

char *yg_probe_info_to_string (const YgProbeInfo *info);

YgProbeInfo *yg_probe_file (const char          *path,
                            const YgProbeLimits *limits,
                            GError             **error);

G_END_DECLS

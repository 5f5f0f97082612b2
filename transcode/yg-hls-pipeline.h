/* yg-hls-pipeline.h: decode once, encode an ABR ladder, publish HLS progressively. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define YG_TRANSCODE_ERROR (yg_transcode_error_quark ())
GQuark yg_transcode_error_quark (void);

typedef enum
{
  YG_TRANSCODE_ERROR_FAILED,             /* "failed": anything not listed below */
  YG_TRANSCODE_ERROR_UNSUPPORTED_FORMAT, /* "unsupported_format": container or geometry */
  YG_TRANSCODE_ERROR_UNSUPPORTED_CODEC,  /* "unsupported_codec": no allowed decoder */
  YG_TRANSCODE_ERROR_DECODE_FAILED,      /* "decode_failed": unreadable or broken media */
  YG_TRANSCODE_ERROR_WRITE_FAILED,       /* "write_failed": output could not be written */
  YG_TRANSCODE_ERROR_TIMEOUT,            /* "timeout": wall-clock limit or no progress */
  YG_TRANSCODE_ERROR_CANCELLED,          /* "cancelled": the GCancellable fired */
  YG_TRANSCODE_ERROR_MISSING_PLUGIN,     /* "missing_plugin": a GStreamer element is absent */
} YgTranscodeError;

const char *yg_transcode_error_code_name (int code);

/* What the caller learnt from probing the source (yg-probe), as plain facts.
 * has_video means a programme picture: cover art (attached pictures) is not
 * video. For elementary audio files (wav, mp3, flac, aac) it is ignored. */
typedef struct
{
  const char *container; /* demuxer family: "mp4" (or libavformat's "mov,mp4,…"), "matroska",
                            "mpegts", "mpeg", "avi", "flv", "mxf", "ogg", "wav", "mp3",
                            "flac", "aac" */
  gboolean has_video;
  gboolean has_audio;
  guint width;           /* coded picture size */
  guint height;
  guint par_n;           /* pixel aspect ratio; 0 = square */
  guint par_d;
  guint fps_n;           /* frame rate; 0 = unknown */
  guint fps_d;
  guint rotation;        /* clockwise degrees to display upright: 0, 90, 180, 270 */
  gboolean interlaced;
  double duration;       /* seconds; 0 = unknown */
} YgSourceFacts;

typedef void (*YgTranscodeProgressFunc) (double fraction, gpointer user_data);
typedef void (*YgTranscodePlayableFunc) (const char *master_path, gpointer user_data);
typedef void (*YgTranscodeSegmentFunc) (const char *rung,
                                        guint       index,
                                        double      duration,
                                        gpointer    user_data);

typedef struct _YgStoryboardTiles YgStoryboardTiles; /* yg-storyboard.h */

typedef struct
{
  guint segment_seconds;    /* target segment length; 0 = 4 */
  const char *preset;       /* x264 speed preset, "ultrafast" … "medium"; NULL = "veryfast" */
  guint timeout_seconds;    /* wall-clock limit; 0 = none */
  guint stall_seconds;      /* fail when no media flows for this long; 0 = 60 */
  gboolean poster;          /* write poster.jpg (video sources only) */
  YgStoryboardTiles *storyboard; /* nullable: collect seek-preview tiles from the decode */
  YgTranscodeProgressFunc progress;          /* fraction 0..1, at least every second */
  YgTranscodePlayableFunc playable;          /* once: master.m3u8 exists and plays */
  YgTranscodeSegmentFunc segment_published;  /* after each playlist update */
  gpointer user_data;
} YgTranscodeOptions;

void yg_transcode_options_init (YgTranscodeOptions *options);

/* Output layout in out_dir (names are ours, never the source's):
 *   master.m3u8, <rung>/index.m3u8, <rung>/segNNNNN.ts (rung: "1080p", "720p",
 *   "480p", "360p", "audio"), poster.jpg (video sources).
 * out_dir should be fresh: existing files of the same names are replaced. */
typedef struct
{
  double duration;     /* seconds listed in the longest media playlist */
  guint n_variants;    /* variant streams in master.m3u8 */
  gboolean has_poster; /* poster.jpg was written */
} YgTranscodeResult;

/* The allowlists, for other GStreamer users in transcode/ (yg-storyboard).
 * yg_hls_demuxer_for_family: the demuxer (for elementary audio files: the
 * parser) for a probed container, or NULL when it is not allowed; with
 * @audio_only set when any "video" in it can only be cover art.
 * yg_hls_decoder_for_caps: FALSE when a demuxer pad's caps name no allowed
 * codec; else its parser (NULL = none needed) and the first installed
 * decoder (NULL = raw; the preferred one when none is installed). */
struct _GstCaps;
const char *yg_hls_demuxer_for_family (const char *container, gboolean *audio_only);
gboolean yg_hls_decoder_for_caps (const struct _GstCaps *caps,
                                  const char           **parser,
                                  const char           **decoder);

gboolean yg_hls_transcode (const char               *input_path,
                           const YgSourceFacts      *facts,
                           const char               *out_dir,
                           const YgTranscodeOptions *options,
                           YgTranscodeResult        *result,
                           GCancellable             *cancellable,
                           GError                  **error);

G_END_DECLS

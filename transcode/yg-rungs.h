/* yg-rungs.h: the ABR ladder (a const table) and its fit to one source. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define YG_RUNGS_MAX 4

typedef struct
{
  const char *name;     /* output directory and label, e.g. "720p" */
  guint short_edge;     /* nominal length of the picture's short edge, pixels */
  guint video_kbps;     /* x264 target (and VBV max) rate */
  const char *profile;  /* H.264 profile asked of x264enc: "high" or "main" */
} YgRung;

/* Audio: AAC-LC, 48 kHz stereo. */
#define YG_RUNGS_AUDIO_NAME "audio"     /* the audio-only rendition's directory */
#define YG_RUNGS_AUDIO_KBPS 128         /* in every video variant, and audio-only sources */
#define YG_RUNGS_AUDIO_ONLY_KBPS 64     /* the audio-only rendition beside video variants */
#define YG_RUNGS_AUDIO_RATE 48000
#define YG_RUNGS_AUDIO_CHANNELS 2
#define YG_RUNGS_AAC_CODEC "mp4a.40.2"

typedef struct
{
  guint width;     /* coded picture size as decoded */
  guint height;
  guint par_n;     /* pixel aspect ratio; 0 in either = square */
  guint par_d;
  guint rotation;  /* clockwise degrees to display upright: 0, 90, 180, 270 */
  guint fps_n;     /* frame rate; 0 in either = unknown */
  guint fps_d;
} YgRungSource;

typedef struct
{
  const YgRung *rung;
  guint width;      /* output picture (square pixels, even), as displayed */
  guint height;
  guint level_idc;  /* lowest H.264 level the picture and rate fit: 30 = 3.0 … 41 */
} YgRungPlan;

typedef struct
{
  guint n_rungs;
  YgRungPlan rungs[YG_RUNGS_MAX]; /* highest first */
  guint fps_n;                    /* output rate of every rung; 0/0 = as the source */
  guint fps_d;
  gboolean halve_fps;             /* the source rate is halved (level 4.1 at the top rung) */
} YgLadderPlan;

const YgRung *yg_rungs_get_table (guint *n_rungs);
gboolean yg_rungs_plan (const YgRungSource *source, YgLadderPlan *plan);
guint yg_rungs_level_for (guint width, guint height, guint fps_n, guint fps_d);
char *yg_rungs_avc_codec_from_annexb (const guint8 *data, gsize size);

G_END_DECLS

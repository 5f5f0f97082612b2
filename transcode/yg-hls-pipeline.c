/* yg-hls-pipeline.c: decode once, encode the ABR ladder, publish HLS progressively.
 *
 * Invariants: one demuxer from an allowlist and one decoder per stream, all
 * made with gst_element_factory_make and typed properties (topology: see
 * "building" below). Every rung starts an IDR on the same frame: a probe
 * before the video tee requests a key unit at each segment boundary.
 * Publishing is ordered: a closed fragment is fsync'd and renamed, then
 * listed in its EVENT playlist (temp + fsync + rename); master.m3u8 appears
 * once every rung lists a segment (nominal bandwidths); at EOS playlists
 * become VOD + ENDLIST and the master gets measured bandwidths.
 * Threads: yg_hls_transcode runs a private GMainContext on the calling
 * thread; bus messages, timers, callbacks and file operations run there.
 * Probes, pad-added and the poster appsink run in streaming threads and only
 * touch fields under Job.lock, or post messages to the bus.
 */
#define G_LOG_DOMAIN "yg-transcode"

#include "yg-hls-pipeline.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "yg-playlist.h"
#include "yg-publish.h"
#include "yg-rungs.h"
#include "yg-storyboard.h"

GST_DEBUG_CATEGORY_STATIC (yg_hls_debug);
#define GST_CAT_DEFAULT yg_hls_debug

#define DEFAULT_SEGMENT_SECONDS 4
#define DEFAULT_STALL_SECONDS 60
#define DEFAULT_PRESET "veryfast"
#define TICK_MS 500
#define VBV_BUFFER_MS 1000
#define POSTER_MAX_WIDTH 1280
#define POSTER_CANDIDATES 5
#define X264_OPTIONS "scenecut=0" /* constant: never derived from input */

G_DEFINE_QUARK (yg-transcode-error-quark, yg_transcode_error)

/**
 * yg_transcode_error_code_name:
 * @code: a #YgTranscodeError
 *
 * Returns: the machine-readable name of @code, e.g. "decode_failed"
 */
const char *
yg_transcode_error_code_name (int code)
{
  switch (code)
    {
    case YG_TRANSCODE_ERROR_UNSUPPORTED_FORMAT:
      return "unsupported_format";
    case YG_TRANSCODE_ERROR_UNSUPPORTED_CODEC:
      return "unsupported_codec";
    case YG_TRANSCODE_ERROR_DECODE_FAILED:
      return "decode_failed";
    case YG_TRANSCODE_ERROR_WRITE_FAILED:
      return "write_failed";
    case YG_TRANSCODE_ERROR_TIMEOUT:
      return "timeout";
    case YG_TRANSCODE_ERROR_CANCELLED:
      return "cancelled";
    case YG_TRANSCODE_ERROR_MISSING_PLUGIN:
      return "missing_plugin";
    case YG_TRANSCODE_ERROR_FAILED:
    default:
      return "failed";
    }
}

void
yg_transcode_options_init (YgTranscodeOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->segment_seconds = DEFAULT_SEGMENT_SECONDS;
  options->preset = DEFAULT_PRESET;
  options->stall_seconds = DEFAULT_STALL_SECONDS;
  options->poster = TRUE;
}

/* --- allowlists ---------------------------------------------------------- */

typedef struct
{
  const char *family;
  const char *demuxer;  /* for elementary audio files: its parser (an always pad) */
  gboolean audio_only;  /* any "video" the probe saw is cover art */
} Family;

static const Family families[] = {
  { "mp4", "qtdemux", FALSE },        { "mov", "qtdemux", FALSE },
  { "m4a", "qtdemux", FALSE },        { "3gp", "qtdemux", FALSE },
  { "3g2", "qtdemux", FALSE },        { "mj2", "qtdemux", FALSE },
  { "quicktime", "qtdemux", FALSE },  { "matroska", "matroskademux", FALSE },
  { "webm", "matroskademux", FALSE }, { "mpegts", "tsdemux", FALSE },
  { "mpeg", "mpegpsdemux", FALSE },   { "mpegps", "mpegpsdemux", FALSE },
  { "avi", "avidemux", FALSE },       { "flv", "flvdemux", FALSE },
  { "mxf", "mxfdemux", FALSE },       { "ogg", "oggdemux", FALSE },
  { "wav", "wavparse", TRUE },        { "mp3", "mpegaudioparse", TRUE },
  { "flac", "flacparse", TRUE },      { "aac", "aacparse", TRUE },
};

typedef struct
{
  const char *media_type;
  const char *field; /* NULL, or an int field of the caps that must equal @value */
  int value;
  const char *parser; /* NULL = none needed */
  const char *decoders[2]; /* first installed one wins; { NULL } = raw, no decoder */
} Codec;

static const Codec codecs[] = {
  { "video/x-h264", NULL, 0, "h264parse", { "avdec_h264", NULL } },
  { "video/x-h265", NULL, 0, "h265parse", { "avdec_h265", NULL } },
  { "video/mpeg", "mpegversion", 1, "mpegvideoparse", { "avdec_mpeg2video", "mpeg2dec" } },
  { "video/mpeg", "mpegversion", 2, "mpegvideoparse", { "avdec_mpeg2video", "mpeg2dec" } },
  { "video/mpeg", "mpegversion", 4, "mpeg4videoparse", { "avdec_mpeg4", NULL } },
  { "video/x-divx", NULL, 0, NULL, { "avdec_mpeg4", NULL } },
  { "video/x-xvid", NULL, 0, NULL, { "avdec_mpeg4", NULL } },
  { "video/x-h263", NULL, 0, "h263parse", { "avdec_h263", NULL } },
  { "video/x-vp8", NULL, 0, NULL, { "vp8dec", "avdec_vp8" } },
  { "video/x-vp9", NULL, 0, "vp9parse", { "vp9dec", "avdec_vp9" } },
  { "video/x-av1", NULL, 0, "av1parse", { "av1dec", "dav1ddec" } },
  { "video/x-prores", NULL, 0, NULL, { "avdec_prores", NULL } },
  { "video/x-dnxhd", NULL, 0, NULL, { "avdec_dnxhd", NULL } },
  { "image/jpeg", NULL, 0, "jpegparse", { "avdec_mjpeg", "jpegdec" } },
  { "video/x-theora", NULL, 0, "theoraparse", { "theoradec", NULL } },
  { "video/x-raw", NULL, 0, NULL, { NULL, NULL } },
  { "audio/mpeg", "mpegversion", 1, "mpegaudioparse", { "mpg123audiodec", "avdec_mp3" } },
  { "audio/mpeg", "mpegversion", 2, "aacparse", { "avdec_aac", NULL } },
  { "audio/mpeg", "mpegversion", 4, "aacparse", { "avdec_aac", NULL } },
  { "audio/x-flac", NULL, 0, "flacparse", { "flacdec", NULL } },
  { "audio/x-vorbis", NULL, 0, "vorbisparse", { "vorbisdec", NULL } },
  { "audio/x-opus", NULL, 0, "opusparse", { "opusdec", NULL } },
  { "audio/x-ac3", NULL, 0, "ac3parse", { "avdec_ac3", NULL } },
  { "audio/x-eac3", NULL, 0, "ac3parse", { "avdec_eac3", NULL } },
  { "audio/x-alaw", NULL, 0, NULL, { "alawdec", NULL } },
  { "audio/x-mulaw", NULL, 0, NULL, { "mulawdec", NULL } },
  { "audio/x-raw", NULL, 0, NULL, { NULL, NULL } },
};

static const char *const presets[] = {
  "ultrafast", "superfast", "veryfast", "faster", "fast", "medium",
};

static const Family *
find_family (const char *container)
{
  g_auto (GStrv) names = NULL;

  if (container == NULL)
    return NULL;
  names = g_strsplit (container, ",", -1);
  for (guint i = 0; names[i] != NULL; i++)
    for (gsize j = 0; j < G_N_ELEMENTS (families); j++)
      if (g_ascii_strcasecmp (g_strstrip (names[i]), families[j].family) == 0)
        return &families[j];
  return NULL;
}

static const Codec *
find_codec (const GstStructure *s)
{
  const char *name = gst_structure_get_name (s);

  for (gsize i = 0; i < G_N_ELEMENTS (codecs); i++)
    {
      int v;

      if (!g_str_equal (codecs[i].media_type, name))
        continue;
      if (codecs[i].field != NULL
          && (!gst_structure_get_int (s, codecs[i].field, &v) || v != codecs[i].value))
        continue;
      return &codecs[i];
    }
  return NULL;
}

const char *
yg_hls_demuxer_for_family (const char *container, gboolean *audio_only)
{
  const Family *family = find_family (container);

  if (audio_only != NULL)
    *audio_only = family != NULL && family->audio_only;
  return family != NULL ? family->demuxer : NULL;
}

gboolean
yg_hls_decoder_for_caps (const GstCaps *caps, const char **parser, const char **decoder)
{
  const Codec *codec;

  g_return_val_if_fail (GST_IS_CAPS (caps), FALSE);

  codec = gst_caps_get_size (caps) > 0 ? find_codec (gst_caps_get_structure (caps, 0)) : NULL;
  if (codec == NULL)
    return FALSE;
  if (parser != NULL)
    *parser = codec->parser;
  if (decoder != NULL)
    {
      *decoder = codec->decoders[0];
      for (guint i = 0; i < G_N_ELEMENTS (codec->decoders) && codec->decoders[i] != NULL; i++)
        {
          g_autoptr (GstElementFactory) factory = gst_element_factory_find (codec->decoders[i]);
          if (factory != NULL)
            {
              *decoder = codec->decoders[i];
              break;
            }
        }
    }
  return TRUE;
}

/* --- job state ----------------------------------------------------------- */

typedef struct _Job Job;

typedef struct
{
  Job *job;
  char *name;               /* directory and label: "720p", "audio" */
  char *dir;
  const YgRungPlan *plan;   /* NULL for the audio-only rendition */
  guint nominal_bps;
  gboolean with_audio;      /* a video variant that carries the AAC track */
  GstElement *splitmux;
  YgMediaPlaylist *playlist;

  /* main thread: fragments */
  GstClockTime open_rt;     /* running time the current fragment started at */
  gboolean have_pending;    /* a closed, durable fragment not yet listed */
  char *pending_uri;
  GstClockTime pending_start;
  GstClockTime pending_closed;
  guint64 pending_size;

  /* streaming threads, under Job.lock */
  GstClockTime end_rt;      /* end of the last buffer that reached the muxer */
  gboolean eos;             /* its input has ended */
  char *avc_codec;          /* "avc1.PPCCLL" from the first SPS */
} Rung;

struct _Job
{
  const YgSourceFacts *facts; /* points at facts_copy */
  YgSourceFacts facts_copy;
  YgTranscodeOptions opts;
  char *out_dir;
  char *master_path;
  YgLadderPlan plan;
  GstClockTime segment_ns;
  GPtrArray *rungs; /* (element-type Rung) video rungs first, then audio */

  GMainContext *context;
  GMainLoop *loop;
  GstElement *pipeline;
  GstElement *video_head; /* where the video decoder links */
  GstElement *audio_head;
  GError *error;          /* first failure; main thread */
  gboolean master_written;
  gboolean playable_sent;
  gboolean poster_written;
  double last_fraction;
  GstClockTime last_position;
  gint64 last_motion_us;

  GMutex lock; /* everything below */
  gboolean video_linked;
  gboolean audio_linked;
  gboolean no_more_pads;
  guint pads_waiting;         /* demuxer pads whose caps are not known yet */
  GstClockTime next_key_rt;   /* next segment boundary, running time */
  guint key_count;
  GstClockTime candidates[POSTER_CANDIDATES];
  guint n_candidates;
  guint poster_next;          /* next candidate time the probe waits for */
  guint poster_passed;        /* frames let through to the appsink */
  guint poster_seen;          /* frames the appsink scored */
  gboolean poster_done;
  GstSample *poster_best;
  double poster_best_score;
};

static void
rung_free (gpointer data)
{
  Rung *rung = data;

  g_free (rung->name);
  g_free (rung->dir);
  g_free (rung->pending_uri);
  g_free (rung->avc_codec);
  g_clear_pointer (&rung->playlist, yg_media_playlist_free);
  g_free (rung);
}

static void
job_fail (Job *job, int code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
job_fail (Job *job, int code, const char *format, ...)
{
  va_list args;

  if (job->error == NULL)
    {
      va_start (args, format);
      job->error = g_error_new_valist (YG_TRANSCODE_ERROR, code, format, args);
      va_end (args);
      GST_WARNING ("failing: %s", job->error->message);
    }
  if (job->loop != NULL)
    g_main_loop_quit (job->loop);
}

/* From a streaming thread: have the main thread fail the job. */
static void
post_failure (Job *job, int code, const char *message)
{
  GstStructure *s = gst_structure_new ("yg-failure", "code", G_TYPE_INT, code, "message",
                                       G_TYPE_STRING, message, NULL);

  gst_element_post_message (job->pipeline,
                            gst_message_new_application (GST_OBJECT (job->pipeline), s));
}

static GstClockTime
buffer_times (GstPad *pad, GstBuffer *buffer, GstClockTime *stream_time)
{
  GstEvent *event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  GstClockTime rt = GST_CLOCK_TIME_NONE;
  const GstSegment *segment;

  if (stream_time != NULL)
    *stream_time = GST_CLOCK_TIME_NONE;
  if (event == NULL)
    return GST_CLOCK_TIME_NONE;
  gst_event_parse_segment (event, &segment);
  if (segment->format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID (pts))
    {
      rt = gst_segment_to_running_time (segment, GST_FORMAT_TIME, pts);
      if (stream_time != NULL)
        *stream_time = gst_segment_to_stream_time (segment, GST_FORMAT_TIME, pts);
    }
  gst_event_unref (event);
  return rt;
}

/* --- element helpers ----------------------------------------------------- */

static GstElement *
add_element (Job *job, const char *factory, GError **error)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (element == NULL)
    {
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_MISSING_PLUGIN,
                   "GStreamer element \"%s\" is not installed", factory);
      return NULL;
    }
  gst_bin_add (GST_BIN (job->pipeline), element);
  return element;
}

static GstElement *
add_capsfilter (Job *job, GstCaps *caps, GError **error)
{
  GstElement *filter = add_element (job, "capsfilter", error);

  if (filter != NULL)
    g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);
  return filter;
}

/* Links @elements[0..n) in order. */
static gboolean
link_chain (GstElement **elements, guint n, GError **error)
{
  for (guint i = 0; i + 1 < n; i++)
    if (!gst_element_link (elements[i], elements[i + 1]))
      {
        g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED, "cannot link %s to %s",
                     GST_ELEMENT_NAME (elements[i]), GST_ELEMENT_NAME (elements[i + 1]));
        return FALSE;
      }
  return TRUE;
}

static gboolean
link_to_request_pad (GstElement *src, GstElement *sink, const char *template_name,
                     GError **error)
{
  g_autoptr (GstPad) srcpad = gst_element_get_static_pad (src, "src");
  GstPad *sinkpad = gst_element_request_pad_simple (sink, template_name);
  gboolean ok = sinkpad != NULL && gst_pad_link (srcpad, sinkpad) == GST_PAD_LINK_OK;

  if (sinkpad != NULL)
    gst_object_unref (sinkpad);
  if (!ok)
    g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED, "cannot link %s to %s",
                 GST_ELEMENT_NAME (src), GST_ELEMENT_NAME (sink));
  return ok;
}

static GstElement *
add_queue (Job *job, guint max_buffers, guint max_bytes, GstClockTime max_time, GError **error)
{
  GstElement *queue = add_element (job, "queue", error);

  if (queue != NULL)
    g_object_set (queue, "max-size-buffers", max_buffers, "max-size-bytes", max_bytes,
                  "max-size-time", (guint64) max_time, NULL);
  return queue;
}

/* --- probes (streaming threads) ------------------------------------------ */

/* Segment boundaries in running time: a lead-in at a quarter and a half of
 * the segment length (1 s and 2 s by default), so the first segments close
 * and publish within seconds of the start and a viewer can begin watching
 * while the rest is encoded; then every multiple of the segment length. */
static GstClockTime
next_boundary (const Job *job, GstClockTime rt)
{
  GstClockTime seg = job->segment_ns;

  if (seg >= 2 * GST_SECOND && rt < seg / 4)
    return seg / 4;
  if (seg >= 2 * GST_SECOND && rt < seg / 2)
    return seg / 2;
  return (rt / seg + 1) * seg;
}

/* Before the video tee: a force-key-unit event ahead of the first frame at
 * or after each segment boundary (next_boundary), which every branch sees in
 * the same place in its stream. */
static GstPadProbeReturn
keyframe_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Job *job = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime stream_time, rt = buffer_times (pad, buffer, &stream_time);
  GstEvent *event = NULL;

  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&job->lock);
  if (rt >= job->next_key_rt)
    {
      event = gst_video_event_new_downstream_force_key_unit (GST_BUFFER_PTS (buffer), stream_time,
                                                             rt, TRUE, ++job->key_count);
      job->next_key_rt = next_boundary (job, rt);
    }
  g_mutex_unlock (&job->lock);
  if (event != NULL)
    gst_pad_send_event (pad, event);
  return GST_PAD_PROBE_OK;
}

/* Just before a rung's muxer: where its media ends, and (video) the SPS. */
static GstPadProbeReturn
rung_output_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Rung *rung = user_data;
  Job *job = rung->job;
  GstBuffer *buffer;
  GstClockTime rt;
  gboolean need_codec;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM)
    {
      if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
        {
          g_mutex_lock (&job->lock);
          rung->eos = TRUE;
          g_mutex_unlock (&job->lock);
        }
      return GST_PAD_PROBE_OK;
    }
  buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  rt = buffer_times (pad, buffer, NULL);
  g_mutex_lock (&job->lock);
  if (GST_CLOCK_TIME_IS_VALID (rt))
    {
      GstClockTime end = rt + (GST_BUFFER_DURATION_IS_VALID (buffer) ? GST_BUFFER_DURATION (buffer)
                                                                     : 0);
      if (!GST_CLOCK_TIME_IS_VALID (rung->end_rt) || end > rung->end_rt)
        rung->end_rt = end;
    }
  need_codec = rung->plan != NULL && rung->avc_codec == NULL;
  g_mutex_unlock (&job->lock);

  if (need_codec)
    {
      GstMapInfo map;

      if (gst_buffer_map (buffer, &map, GST_MAP_READ))
        {
          char *codec = yg_rungs_avc_codec_from_annexb (map.data, map.size);

          gst_buffer_unmap (buffer, &map);
          g_mutex_lock (&job->lock);
          if (rung->avc_codec == NULL)
            rung->avc_codec = g_steal_pointer (&codec);
          g_mutex_unlock (&job->lock);
          g_free (codec);
        }
    }
  return GST_PAD_PROBE_OK;
}

/* --- poster -------------------------------------------------------------- */

/* Lets through only the first frame at or after each candidate time. */
static GstPadProbeReturn
poster_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Job *job = user_data;
  GstClockTime rt = buffer_times (pad, GST_PAD_PROBE_INFO_BUFFER (info), NULL);
  GstPadProbeReturn ret = GST_PAD_PROBE_DROP;

  g_mutex_lock (&job->lock);
  if (!job->poster_done && GST_CLOCK_TIME_IS_VALID (rt) && job->poster_next < job->n_candidates
      && rt >= job->candidates[job->poster_next])
    {
      while (job->poster_next < job->n_candidates && rt >= job->candidates[job->poster_next])
        job->poster_next++;
      job->poster_passed++;
      ret = GST_PAD_PROBE_OK;
    }
  g_mutex_unlock (&job->lock);
  return ret;
}

/* Mean and variance of luma (I420), sampled on a 2×2 grid. */
static gboolean
luma_stats (GstSample *sample, double *mean, double *variance)
{
  GstVideoInfo vinfo;
  GstVideoFrame frame;
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  GstCaps *caps = gst_sample_get_caps (sample);
  double sum = 0, sum2 = 0;
  guint64 n = 0;

  if (buffer == NULL || caps == NULL || !gst_video_info_from_caps (&vinfo, caps)
      || !gst_video_frame_map (&frame, &vinfo, buffer, GST_MAP_READ))
    return FALSE;
  for (int y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, 0); y += 2)
    {
      const guint8 *row = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&frame, 0)
                          + (gsize) y * GST_VIDEO_FRAME_COMP_STRIDE (&frame, 0);
      for (int x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&frame, 0); x += 2)
        {
          sum += row[x];
          sum2 += (double) row[x] * row[x];
          n++;
        }
    }
  gst_video_frame_unmap (&frame);
  if (n == 0)
    return FALSE;
  *mean = sum / n;
  *variance = MAX (0.0, sum2 / n - *mean * *mean);
  return TRUE;
}

static void
post_poster (GstAppSink *sink, GstSample *sample)
{
  GstStructure *s = gst_structure_new ("yg-poster", "sample", GST_TYPE_SAMPLE, sample, NULL);

  gst_element_post_message (GST_ELEMENT (sink), gst_message_new_application (GST_OBJECT (sink), s));
}

static GstFlowReturn
poster_new_sample (GstAppSink *sink, gpointer user_data)
{
  Job *job = user_data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  GstSample *chosen = NULL;
  double mean = 0, variance = 0, score;
  gboolean good;

  if (sample == NULL)
    return GST_FLOW_OK;
  if (!luma_stats (sample, &mean, &variance))
    return GST_FLOW_OK;
  /* Representative: neither black, white nor flat (standard deviation of
   * luma >= 10). Detail breaks ties. */
  good = mean >= 40 && mean <= 220 && variance >= 100;
  score = variance * (mean >= 40 && mean <= 220 ? 1.0 : 0.0625);

  g_mutex_lock (&job->lock);
  if (!job->poster_done)
    {
      job->poster_seen++;
      if (job->poster_best == NULL || score > job->poster_best_score)
        {
          if (job->poster_best != NULL)
            gst_sample_unref (job->poster_best);
          job->poster_best = gst_sample_ref (sample);
          job->poster_best_score = score;
        }
      /* The very first frame is only a fallback (titles fade in from black). */
      if ((good && job->poster_seen > 1)
          || (job->poster_next >= job->n_candidates && job->poster_seen >= job->poster_passed))
        {
          job->poster_done = TRUE;
          chosen = good && job->poster_seen > 1 ? gst_sample_ref (sample)
                                                : gst_sample_ref (job->poster_best);
        }
    }
  g_mutex_unlock (&job->lock);
  if (chosen != NULL)
    {
      post_poster (sink, chosen);
      gst_sample_unref (chosen);
    }
  return GST_FLOW_OK;
}

static void
poster_eos (GstAppSink *sink, gpointer user_data)
{
  Job *job = user_data;
  GstSample *chosen = NULL;

  g_mutex_lock (&job->lock);
  if (!job->poster_done && job->poster_best != NULL)
    {
      job->poster_done = TRUE;
      chosen = gst_sample_ref (job->poster_best);
    }
  g_mutex_unlock (&job->lock);
  if (chosen != NULL)
    {
      post_poster (sink, chosen);
      gst_sample_unref (chosen);
    }
}

/* Main thread: encode the chosen frame and publish it. */
static void
write_poster (Job *job, GstSample *sample)
{
  g_autoptr (GstCaps) caps = gst_caps_new_empty_simple ("image/jpeg");
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GstSample) jpeg = NULL;
  g_autofree char *path = NULL;
  GstBuffer *buffer;
  GstMapInfo map;

  if (job->poster_written)
    return;
  jpeg = gst_video_convert_sample (sample, caps, 10 * GST_SECOND, &local_error);
  if (jpeg == NULL || (buffer = gst_sample_get_buffer (jpeg)) == NULL)
    {
      GST_WARNING ("poster: cannot encode JPEG: %s",
                   local_error != NULL ? local_error->message : "no buffer");
      return;
    }
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return;
  path = g_build_filename (job->out_dir, "poster.jpg", NULL);
  if (!yg_publish_write_file (path, map.data, map.size, &local_error))
    job_fail (job, YG_TRANSCODE_ERROR_WRITE_FAILED, "writing the poster: %s",
              local_error->message);
  else
    job->poster_written = TRUE;
  gst_buffer_unmap (buffer, &map);
}

/* --- publishing (main thread) -------------------------------------------- */

static guint64
frame_rate_milli (Job *job)
{
  if (job->plan.fps_n == 0 || job->plan.fps_d == 0)
    return 0;
  return ((guint64) job->plan.fps_n * 1000 + job->plan.fps_d / 2) / job->plan.fps_d;
}

static char *
rung_codecs (Job *job, Rung *rung)
{
  g_autofree char *avc = NULL;

  if (rung->plan == NULL)
    return g_strdup (YG_RUNGS_AAC_CODEC);
  g_mutex_lock (&job->lock);
  avc = g_strdup (rung->avc_codec);
  g_mutex_unlock (&job->lock);
  if (avc == NULL) /* no SPS seen (cannot happen once a segment exists): what we asked for */
    avc = g_strdup_printf ("avc1.%s00%02x",
                           g_str_equal (rung->plan->rung->profile, "high") ? "64" : "4d",
                           rung->plan->level_idc);
  return rung->with_audio ? g_strconcat (avc, ",", YG_RUNGS_AAC_CODEC, NULL) : g_steal_pointer (&avc);
}

/* Writes master.m3u8: nominal bandwidths while running, measured ones at the end. */
static gboolean
write_master (Job *job, gboolean measured, GError **error)
{
  g_autoptr (YgMasterPlaylist) master = yg_master_playlist_new ();
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  g_autofree char *text = NULL;

  /* Players start with the first variant: put the highest rung at or below
   * 3 Mbit/s first (720p when present), then the other video rungs from the
   * top down, then the audio-only rendition. */
  for (guint i = 0; i < job->rungs->len; i++)
    {
      Rung *rung = g_ptr_array_index (job->rungs, i);
      if (rung->plan != NULL && rung->plan->rung->video_kbps <= 3000)
        {
          g_ptr_array_add (order, rung);
          break;
        }
    }
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < job->rungs->len; i++)
      {
        Rung *rung = g_ptr_array_index (job->rungs, i);
        if ((rung->plan != NULL) != (pass == 0)
            || (order->len > 0 && rung == g_ptr_array_index (order, 0)))
          continue;
        g_ptr_array_add (order, rung);
      }

  for (guint i = 0; i < order->len; i++)
    {
      Rung *rung = g_ptr_array_index (order, i);
      g_autofree char *uri = g_strdup_printf ("%s/index.m3u8", rung->name);
      g_autofree char *codecs_attr = rung_codecs (job, rung);
      YgVariant v = { 0 };

      v.uri = uri;
      v.codecs = codecs_attr;
      v.bandwidth = rung->nominal_bps;
      if (measured)
        {
          v.bandwidth = MAX (yg_media_playlist_get_peak_bandwidth (rung->playlist), 1);
          v.average_bandwidth = yg_media_playlist_get_average_bandwidth (rung->playlist);
        }
      if (rung->plan != NULL)
        {
          v.width = rung->plan->width;
          v.height = rung->plan->height;
          v.frame_rate_milli = (guint) frame_rate_milli (job);
        }
      yg_master_playlist_add_variant (master, &v);
    }
  text = yg_master_playlist_to_string (master);
  return yg_publish_write_file (job->master_path, text, strlen (text), error);
}

static gboolean
write_media_playlist (Rung *rung, YgPlaylistType type, GError **error)
{
  g_autofree char *text = yg_media_playlist_to_string (rung->playlist, type);
  g_autofree char *path = g_build_filename (rung->dir, "index.m3u8", NULL);

  return yg_publish_write_file (path, text, strlen (text), error);
}

static void
maybe_publish_master (Job *job)
{
  g_autoptr (GError) local_error = NULL;

  if (job->master_written)
    return;
  for (guint i = 0; i < job->rungs->len; i++)
    {
      Rung *rung = g_ptr_array_index (job->rungs, i);
      if (rung->playlist->segments->len == 0)
        return;
    }
  if (!write_master (job, FALSE, &local_error))
    {
      job_fail (job, YG_TRANSCODE_ERROR_WRITE_FAILED, "writing master playlist: %s",
                local_error->message);
      return;
    }
  job->master_written = TRUE;
  job->playable_sent = TRUE;
  if (job->opts.playable != NULL)
    job->opts.playable (job->master_path, job->opts.user_data);
}

/* Lists the pending (closed and durable) fragment, which ends at @end_rt. */
static void
publish_pending (Job *job, Rung *rung, GstClockTime end_rt)
{
  g_autoptr (GError) local_error = NULL;
  guint64 duration_ns;
  guint index;

  if (!rung->have_pending)
    return;
  rung->have_pending = FALSE;
  duration_ns = GST_CLOCK_TIME_IS_VALID (end_rt) && end_rt > rung->pending_start
                  ? end_rt - rung->pending_start
                  : 0;
  index = rung->playlist->segments->len;
  yg_media_playlist_add_segment (rung->playlist, rung->pending_uri, (duration_ns + 500000) / 1000000,
                                 rung->pending_size);
  if (!write_media_playlist (rung, YG_PLAYLIST_TYPE_EVENT, &local_error))
    {
      job_fail (job, YG_TRANSCODE_ERROR_WRITE_FAILED, "writing %s playlist: %s", rung->name,
                local_error->message);
      return;
    }
  if (job->opts.segment_published != NULL)
    job->opts.segment_published (rung->name, index, duration_ns / 1e9, job->opts.user_data);
  maybe_publish_master (job);
}

static void
on_fragment_opened (Job *job, Rung *rung, const GstStructure *s)
{
  GstClockTime rt = GST_CLOCK_TIME_NONE;

  gst_structure_get_clock_time (s, "running-time", &rt);
  if (rung->have_pending)
    publish_pending (job, rung, rt);
  rung->open_rt = rt;
}

static void
on_fragment_closed (Job *job, Rung *rung, const GstStructure *s)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *final = NULL;
  const char *location = gst_structure_get_string (s, "location");
  GstClockTime rt = GST_CLOCK_TIME_NONE;
  GStatBuf st;

  gst_structure_get_clock_time (s, "running-time", &rt);
  if (location == NULL || !g_str_has_suffix (location, ".tmp"))
    return;
  final = g_strndup (location, strlen (location) - 4);
  if (!yg_publish_commit_file (location, final, &local_error))
    {
      job_fail (job, YG_TRANSCODE_ERROR_WRITE_FAILED, "publishing segment: %s",
                local_error->message);
      return;
    }
  if (g_stat (final, &st) != 0)
    {
      job_fail (job, YG_TRANSCODE_ERROR_WRITE_FAILED, "segment %s vanished", final);
      return;
    }
  /* Two closes without an open in between cannot happen; be safe anyway. */
  if (rung->have_pending)
    publish_pending (job, rung, rung->open_rt);
  rung->have_pending = TRUE;
  g_free (rung->pending_uri);
  rung->pending_uri = g_path_get_basename (final);
  rung->pending_start = rung->open_rt;
  rung->pending_closed = rt;
  rung->pending_size = (guint64) st.st_size;
}

static void
finish (Job *job)
{
  g_autoptr (GError) local_error = NULL;

  for (guint i = 0; i < job->rungs->len && job->error == NULL; i++)
    {
      Rung *rung = g_ptr_array_index (job->rungs, i);
      GstClockTime end;

      g_mutex_lock (&job->lock);
      end = rung->end_rt;
      g_mutex_unlock (&job->lock);
      if (!GST_CLOCK_TIME_IS_VALID (end)
          || (GST_CLOCK_TIME_IS_VALID (rung->pending_closed) && rung->pending_closed > end))
        end = rung->pending_closed;
      publish_pending (job, rung, end);
    }
  if (job->error != NULL)
    return;
  for (guint i = 0; i < job->rungs->len; i++)
    {
      Rung *rung = g_ptr_array_index (job->rungs, i);
      if (rung->playlist->segments->len == 0)
        {
          job_fail (job, YG_TRANSCODE_ERROR_DECODE_FAILED,
                    "no media could be decoded for the %s rendition", rung->name);
          return;
        }
    }
  for (guint i = 0; i < job->rungs->len; i++)
    if (!write_media_playlist (g_ptr_array_index (job->rungs, i), YG_PLAYLIST_TYPE_VOD,
                               &local_error))
      {
        job_fail (job, YG_TRANSCODE_ERROR_WRITE_FAILED, "writing playlist: %s",
                  local_error->message);
        return;
      }
  if (!write_master (job, TRUE, &local_error))
    {
      job_fail (job, YG_TRANSCODE_ERROR_WRITE_FAILED, "writing master playlist: %s",
                local_error->message);
      return;
    }
  job->master_written = TRUE;
  if (!job->playable_sent)
    {
      job->playable_sent = TRUE;
      if (job->opts.playable != NULL)
        job->opts.playable (job->master_path, job->opts.user_data);
    }
  /* A tick already due still runs before the loop ends: it must not report less. */
  job->last_fraction = 1.0;
  if (job->opts.progress != NULL)
    job->opts.progress (1.0, job->opts.user_data);
  g_main_loop_quit (job->loop);
}

/* --- bus and timers (main thread) ---------------------------------------- */

static gboolean
element_is_inside (GstObject *object, GstElement *ancestor)
{
  for (GstObject *o = object; o != NULL; o = GST_OBJECT_PARENT (o))
    if (o == GST_OBJECT (ancestor))
      return TRUE;
  return FALSE;
}

static void
on_error_message (Job *job, GstMessage *message)
{
  g_autoptr (GError) err = NULL;
  g_autofree char *debug = NULL;
  g_autofree char *name = gst_object_get_path_string (GST_MESSAGE_SRC (message));
  gboolean in_output = FALSE;
  int code = YG_TRANSCODE_ERROR_DECODE_FAILED;

  gst_message_parse_error (message, &err, &debug);
  GST_WARNING ("error from %s: %s (%s)", name, err->message, debug != NULL ? debug : "");
  for (guint i = 0; i < job->rungs->len; i++)
    if (element_is_inside (GST_MESSAGE_SRC (message),
                           ((Rung *) g_ptr_array_index (job->rungs, i))->splitmux))
      in_output = TRUE;

  if (err->domain == GST_RESOURCE_ERROR
      && (in_output || err->code == GST_RESOURCE_ERROR_OPEN_WRITE
          || err->code == GST_RESOURCE_ERROR_WRITE || err->code == GST_RESOURCE_ERROR_NO_SPACE_LEFT))
    code = YG_TRANSCODE_ERROR_WRITE_FAILED;
  else if (err->domain == GST_STREAM_ERROR
           && (err->code == GST_STREAM_ERROR_CODEC_NOT_FOUND
               || err->code == GST_STREAM_ERROR_TYPE_NOT_FOUND
               || err->code == GST_STREAM_ERROR_WRONG_TYPE))
    code = YG_TRANSCODE_ERROR_UNSUPPORTED_CODEC;
  else if (err->domain == GST_CORE_ERROR && err->code == GST_CORE_ERROR_MISSING_PLUGIN)
    code = YG_TRANSCODE_ERROR_MISSING_PLUGIN;

  {
    GstElementFactory *factory = GST_IS_ELEMENT (GST_MESSAGE_SRC (message))
                                   ? gst_element_get_factory (GST_ELEMENT (GST_MESSAGE_SRC (message)))
                                   : NULL;

    job_fail (job, code, "%s: %s",
              factory != NULL ? GST_OBJECT_NAME (factory) : GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
              err->message);
  }
}

static gboolean
bus_cb (GstBus *bus, GstMessage *message, gpointer user_data)
{
  Job *job = user_data;
  const GstStructure *s = gst_message_get_structure (message);

  if (job->error != NULL)
    return G_SOURCE_CONTINUE;
  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      on_error_message (job, message);
      break;
    case GST_MESSAGE_WARNING:
      {
        g_autoptr (GError) err = NULL;
        gst_message_parse_warning (message, &err, NULL);
        GST_INFO ("warning from %s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
                  err->message);
        break;
      }
    case GST_MESSAGE_EOS:
      finish (job);
      break;
    case GST_MESSAGE_ELEMENT:
      for (guint i = 0; s != NULL && i < job->rungs->len; i++)
        {
          Rung *rung = g_ptr_array_index (job->rungs, i);
          if (GST_MESSAGE_SRC (message) != GST_OBJECT (rung->splitmux))
            continue;
          if (gst_structure_has_name (s, "splitmuxsink-fragment-opened"))
            on_fragment_opened (job, rung, s);
          else if (gst_structure_has_name (s, "splitmuxsink-fragment-closed"))
            on_fragment_closed (job, rung, s);
        }
      break;
    case GST_MESSAGE_APPLICATION:
      if (s != NULL && gst_structure_has_name (s, "yg-failure"))
        {
          int code = YG_TRANSCODE_ERROR_FAILED;
          gst_structure_get_int (s, "code", &code);
          job_fail (job, code, "%s", gst_structure_get_string (s, "message"));
        }
      else if (s != NULL && gst_structure_has_name (s, "yg-poster"))
        {
          GstSample *sample = NULL;
          gst_structure_get (s, "sample", GST_TYPE_SAMPLE, &sample, NULL);
          if (sample != NULL)
            {
              write_poster (job, sample);
              gst_sample_unref (sample);
            }
        }
      break;
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
tick_cb (gpointer user_data)
{
  Job *job = user_data;
  GstClockTime position = 0;
  gint64 now = g_get_monotonic_time ();

  /* Progress is what the slowest unfinished rendition has encoded (muxer
   * inputs), not what was decoded: queues let decoding run well ahead, and
   * a track that ended early (short audio) must not look stalled. */
  g_mutex_lock (&job->lock);
  {
    GstClockTime slowest = GST_CLOCK_TIME_NONE, furthest = 0;

    for (guint i = 0; i < job->rungs->len; i++)
      {
        Rung *rung = g_ptr_array_index (job->rungs, i);
        GstClockTime end = GST_CLOCK_TIME_IS_VALID (rung->end_rt) ? rung->end_rt : 0;

        furthest = MAX (furthest, end);
        if (!rung->eos)
          slowest = GST_CLOCK_TIME_IS_VALID (slowest) ? MIN (slowest, end) : end;
      }
    position = GST_CLOCK_TIME_IS_VALID (slowest) ? slowest : furthest;
  }
  g_mutex_unlock (&job->lock);

  if (position != job->last_position)
    {
      job->last_position = position;
      job->last_motion_us = now;
    }
  else if (now - job->last_motion_us > (gint64) job->opts.stall_seconds * G_USEC_PER_SEC)
    {
      job_fail (job, YG_TRANSCODE_ERROR_TIMEOUT, "no media decoded for %u s",
                job->opts.stall_seconds);
      return G_SOURCE_REMOVE;
    }

  if (job->facts->duration > 0 && GST_CLOCK_TIME_IS_VALID (position))
    {
      double fraction = (double) position / GST_SECOND / job->facts->duration;
      /* 1.0 means published; until then stay just below it. */
      job->last_fraction = MAX (job->last_fraction, CLAMP (fraction, 0.0, 0.99));
    }
  if (job->opts.progress != NULL)
    job->opts.progress (job->last_fraction, job->opts.user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
timeout_cb (gpointer user_data)
{
  Job *job = user_data;

  job_fail (job, YG_TRANSCODE_ERROR_TIMEOUT, "transcoding took longer than %u s",
            job->opts.timeout_seconds);
  return G_SOURCE_REMOVE;
}

static gboolean
cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  Job *job = user_data;

  job_fail (job, YG_TRANSCODE_ERROR_CANCELLED, "transcoding was cancelled");
  return G_SOURCE_REMOVE;
}

/* --- demuxer pads (streaming thread) ------------------------------------- */

static void
discard_pad (Job *job, GstPad *pad)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstPad) sinkpad = NULL;

  if (sink == NULL)
    return;
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (job->pipeline), sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
  gst_element_sync_state_with_parent (sink);
}

/* queue ! [parser] ! [decoder] ! @head, for one elementary stream. */
static gboolean
link_stream (Job *job, GstPad *pad, const Codec *codec, GstElement *head, GError **error)
{
  GstElement *chain[3];
  g_autoptr (GstPad) sinkpad = NULL;
  guint n = 0;

  chain[n] = add_queue (job, 0, 128 * 1024 * 1024, 10 * GST_SECOND, error);
  if (chain[n++] == NULL)
    return FALSE;
  if (codec->parser != NULL)
    {
      if ((chain[n++] = add_element (job, codec->parser, error)) == NULL)
        return FALSE;
    }
  if (codec->decoders[0] != NULL)
    {
      GstElement *decoder = gst_element_factory_make (codec->decoders[0], NULL);

      if (decoder == NULL && codec->decoders[1] != NULL)
        decoder = gst_element_factory_make (codec->decoders[1], NULL);
      if (decoder == NULL)
        {
          g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_MISSING_PLUGIN,
                       "no decoder installed for %s", codec->media_type);
          return FALSE;
        }
      gst_bin_add (GST_BIN (job->pipeline), decoder);
      chain[n++] = decoder;
    }
  if (!link_chain (chain, n, error) || !gst_element_link (chain[n - 1], head))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_UNSUPPORTED_CODEC,
                     "cannot decode %s", codec->media_type);
      return FALSE;
    }
  for (guint i = n; i > 0; i--)
    gst_element_sync_state_with_parent (chain[i - 1]);
  sinkpad = gst_element_get_static_pad (chain[0], "sink");
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    {
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_UNSUPPORTED_CODEC,
                   "cannot decode %s", codec->media_type);
      return FALSE;
    }
  return TRUE;
}

/* Once the demuxer has announced every pad and each one's caps are known:
 * a stream the probe promised but the demuxer did not deliver is an error
 * (its branch would otherwise wait forever). */
static void
check_streams_complete (Job *job)
{
  const char *missing = NULL;

  g_mutex_lock (&job->lock);
  if (job->no_more_pads && job->pads_waiting == 0)
    {
      if (job->video_head != NULL && !job->video_linked)
        missing = "video";
      else if (job->audio_head != NULL && !job->audio_linked)
        missing = "audio";
    }
  g_mutex_unlock (&job->lock);
  if (missing != NULL)
    {
      g_autofree char *msg = g_strdup_printf ("the source has no decodable %s stream", missing);
      post_failure (job, YG_TRANSCODE_ERROR_DECODE_FAILED, msg);
    }
}

/* A demuxer pad whose caps are known: decode it, or discard it. */
static void
handle_pad (Job *job, GstPad *pad, GstCaps *caps)
{
  g_autoptr (GError) local_error = NULL;
  const GstStructure *s;
  const char *media;
  const Codec *codec;
  gboolean is_video, is_audio, take = FALSE;

  if (gst_caps_is_empty (caps) || gst_caps_is_any (caps))
    {
      discard_pad (job, pad);
      return;
    }
  s = gst_caps_get_structure (caps, 0);
  media = gst_structure_get_name (s);
  GST_DEBUG ("demuxer pad %s: %" GST_PTR_FORMAT, GST_PAD_NAME (pad), caps);
  is_video = g_str_has_prefix (media, "video/") || g_str_equal (media, "image/jpeg");
  is_audio = g_str_has_prefix (media, "audio/");

  g_mutex_lock (&job->lock);
  if (is_video && job->video_head != NULL && !job->video_linked)
    take = job->video_linked = TRUE;
  else if (is_audio && job->audio_head != NULL && !job->audio_linked)
    take = job->audio_linked = TRUE;
  g_mutex_unlock (&job->lock);

  if (!take)
    {
      discard_pad (job, pad); /* further tracks, subtitles, data */
      return;
    }
  codec = find_codec (s);
  if (codec == NULL)
    {
      g_autofree char *desc = gst_caps_to_string (caps);
      g_autofree char *msg = g_strdup_printf ("no allowed decoder for %s", media);

      GST_WARNING ("unsupported stream: %s", desc);
      discard_pad (job, pad);
      post_failure (job, YG_TRANSCODE_ERROR_UNSUPPORTED_CODEC, msg);
      return;
    }
  if (!link_stream (job, pad, codec, is_video ? job->video_head : job->audio_head, &local_error))
    post_failure (job, local_error->code, local_error->message);
}

/* For demuxers that add a pad before its caps (wavparse): wait for them.
 * (A pad probe would not do: events on an unlinked pad are dropped before
 * probes see them; the caps are stored and notified first.) */
static void
on_pad_caps (GstPad *pad, GParamSpec *pspec, gpointer user_data)
{
  Job *job = user_data;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);

  if (caps == NULL)
    return;
  g_signal_handlers_disconnect_by_func (pad, on_pad_caps, job);
  handle_pad (job, pad, caps);
  g_mutex_lock (&job->lock);
  job->pads_waiting--;
  g_mutex_unlock (&job->lock);
  check_streams_complete (job);
}

static void
on_pad_added (GstElement *demuxer, GstPad *pad, gpointer user_data)
{
  Job *job = user_data;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);

  GST_DEBUG ("pad added: %s (caps %s)", GST_PAD_NAME (pad), caps != NULL ? "known" : "later");
  if (caps != NULL)
    {
      handle_pad (job, pad, caps);
      return;
    }
  g_mutex_lock (&job->lock);
  job->pads_waiting++;
  g_mutex_unlock (&job->lock);
  g_signal_connect (pad, "notify::caps", G_CALLBACK (on_pad_caps), job);
}

static void
on_no_more_pads (GstElement *demuxer, gpointer user_data)
{
  Job *job = user_data;

  g_mutex_lock (&job->lock);
  job->no_more_pads = TRUE;
  g_mutex_unlock (&job->lock);
  check_streams_complete (job);
}

/* --- building ------------------------------------------------------------
 *
 *   filesrc ! <demuxer> ─┬─ queue ! <parser> ! <decoder> ! videoconvert [! deinterlace]
 *     [! videoflip] [! videorate ! caps] ! tee ─┬─ rung 1: queue ! videoscale ! videoconvert
 *     ! caps(I420, W×H, 1:1) ! tee ─┬─ queue ! x264enc ! caps(profile) ! h264parse
 *                                   │     ! splitmuxsink(mpegtsmux)
 *                                   └─ rung 2 (smaller): queue ! videoscale ! … (a cascade)
 *                                               ├─ queue ! videoconvert ! videoscale ! appsink (poster)
 *                                               └─ queue ! videoconvert ! videoscale ! appsink
 *                                                    (storyboard tiles: a probe keeps one frame a tile)
 *                        └─ queue ! <parser> ! <decoder> ! audioconvert ! audioresample
 *     ! caps(48 kHz, 2 ch) ! tee ─┬─ queue ! avenc_aac 128k ! aacparse ! tee
 *                                 │     └─ per video rung: queue ! splitmuxsink (audio pad)
 *                                 └─ queue ! avenc_aac 64k ! aacparse ! queue ! splitmuxsink
 *
 * Alignment: the keyframe probe on the video tee's sink pad sends a
 * downstream force-key-unit event before the first frame at or after each
 * boundary (1 s, 2 s, then every multiple of the segment length); every
 * branch receives it at the same frame, x264 (scenecut=0, key-int-max = one
 * segment) makes that frame an IDR and adds none of its own on constant-rate
 * input, and a video rung's splitmuxsink (max-size-time = an eighth of a
 * segment, below any gap between boundaries) cuts at every keyframe and only
 * there. The audio-only rung cuts every segment length. So segment k of
 * every rung starts at the same PTS. Queues after the demuxer (10 s) and
 * before each muxer's audio pad (30 s) absorb x264's latency and poorly
 * interleaved files without deadlocking the demuxer thread.
 */

static gchar *
format_location (GstElement *splitmux, guint fragment_id, gpointer user_data)
{
  Rung *rung = user_data;

  return g_strdup_printf ("%s/seg%05u.ts.tmp", rung->dir, fragment_id);
}

static Rung *
add_rung (Job *job, const char *name, const YgRungPlan *plan, guint nominal_kbps,
          gboolean with_audio, GError **error)
{
  Rung *rung = g_new0 (Rung, 1);
  GstElement *mux;

  rung->job = job;
  rung->name = g_strdup (name);
  rung->dir = g_build_filename (job->out_dir, name, NULL);
  rung->plan = plan;
  rung->nominal_bps = nominal_kbps * 1000;
  rung->with_audio = with_audio;
  rung->playlist = yg_media_playlist_new (job->opts.segment_seconds);
  rung->open_rt = GST_CLOCK_TIME_NONE;
  rung->pending_closed = GST_CLOCK_TIME_NONE;
  rung->end_rt = GST_CLOCK_TIME_NONE;
  g_ptr_array_add (job->rungs, rung);

  if (!yg_publish_make_dir (rung->dir, error))
    {
      g_prefix_error (error, "output: ");
      (*error)->domain = YG_TRANSCODE_ERROR;
      (*error)->code = YG_TRANSCODE_ERROR_WRITE_FAILED;
      return NULL;
    }
  if ((rung->splitmux = add_element (job, "splitmuxsink", error)) == NULL)
    return NULL;
  mux = gst_element_factory_make ("mpegtsmux", NULL);
  if (mux == NULL)
    {
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_MISSING_PLUGIN,
                   "GStreamer element \"mpegtsmux\" is not installed");
      return NULL;
    }
  /* Every fragment gets a fresh muxer, so each segment starts with PAT and
   * PMT anyway; repeating them every second (not 0.1 s) saves ~25 kbit/s. */
  g_object_set (mux, "pat-interval", 90000, "pmt-interval", 90000, "si-interval", 90000, NULL);
  /* Video: keyframes exist only at boundaries, so cut at each of them. */
  g_object_set (rung->splitmux, "muxer", mux, "max-size-time",
                (guint64) (plan != NULL ? job->segment_ns / 8 : job->segment_ns),
                "send-keyframe-requests", FALSE, NULL);
  g_signal_connect (rung->splitmux, "format-location", G_CALLBACK (format_location), rung);
  return rung;
}

static void
probe_rung_output (Rung *rung, GstElement *last)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (last, "src");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     rung_output_probe, rung, NULL);
}

/* The scaling filter for a step from @in_short to the rung (short edges),
 * chosen by PSNR after encoding (bench/transcode-bench.sh, docs/benchmarks.md):
 * Catmull-Rom for a mild reduction (every step of the cascade is at most
 * 1.5×); 2-tap bilinear when not shrinking, or for a steep step. */
static int
scale_method (guint in_short, const YgRungPlan *plan)
{
  guint rung_short = MIN (plan->width, plan->height);

  if (rung_short == 0 || in_short <= rung_short || in_short >= 2 * rung_short)
    return 1; /* bilinear */
  return 8;   /* Catmull-Rom */
}

/* [queue !] videoscale ! videoconvert ! caps ! tee ┬ queue ! x264enc ! caps ! h264parse ! splitmux
 *                                                 └ (@scaled: the next, smaller rung scales from here) */
static gboolean
build_video_rung (Job *job, GstElement *tee, gboolean cascaded, guint in_short,
                  const YgRungPlan *plan, gboolean with_audio, GstElement *aac_tee,
                  GstElement **scaled, GError **error)
{
  GstElement *e[9];
  Rung *rung;
  guint key_int;
  double fps = 30.0;

  rung = add_rung (job, plan->rung->name, plan, plan->rung->video_kbps
                   + (with_audio ? YG_RUNGS_AUDIO_KBPS : 0), with_audio, error);
  if (rung == NULL)
    return FALSE;
  if (job->plan.fps_n > 0 && job->plan.fps_d > 0)
    fps = (double) job->plan.fps_n / job->plan.fps_d;
  key_int = (guint) (fps * job->opts.segment_seconds + 0.999);

  /* The first rung gets a queue (a thread) off the decoder's tee; the
   * smaller rungs scale in that same thread, one after the other, right
   * after the rung above them (scaling is cheap next to x264, which has a
   * queue and threads of its own in every rung). */
  e[0] = NULL;
  if ((!cascaded && (e[0] = add_queue (job, 4, 0, 0, error)) == NULL)
      || (e[1] = add_element (job, "videoscale", error)) == NULL
      || (e[2] = add_element (job, "videoconvert", error)) == NULL
      || (e[3] = add_capsfilter (job,
                                 gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
                                                      "I420", "width", G_TYPE_INT, plan->width,
                                                      "height", G_TYPE_INT, plan->height,
                                                      "pixel-aspect-ratio", GST_TYPE_FRACTION,
                                                      1, 1, NULL),
                                 error))
             == NULL
      || (e[4] = add_element (job, "tee", error)) == NULL
      || (e[5] = add_queue (job, 4, 0, 0, error)) == NULL
      || (e[6] = add_element (job, "x264enc", error)) == NULL
      || (e[7] = add_capsfilter (job,
                                 gst_caps_new_simple ("video/x-h264", "profile", G_TYPE_STRING,
                                                      plan->rung->profile, "stream-format",
                                                      G_TYPE_STRING, "byte-stream", NULL),
                                 error))
             == NULL
      || (e[8] = add_element (job, "h264parse", error)) == NULL)
    return FALSE;

  g_object_set (e[1], "add-borders", FALSE, "method", scale_method (in_short, plan), NULL);
  g_object_set (e[6], "bitrate", plan->rung->video_kbps, "key-int-max", key_int,
                "vbv-buf-capacity", VBV_BUFFER_MS, "option-string", X264_OPTIONS, NULL);
  gst_util_set_object_arg (G_OBJECT (e[6]), "speed-preset", job->opts.preset);
  g_object_set (e[8], "config-interval", -1, NULL);

  if (!gst_element_link (tee, cascaded ? e[1] : e[0]))
    {
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED,
                   "cannot link the video tee");
      return FALSE;
    }
  if (!link_chain (cascaded ? e + 1 : e, cascaded ? 8 : 9, error)
      || !link_to_request_pad (e[8], rung->splitmux, "video", error))
    return FALSE;
  probe_rung_output (rung, e[8]);
  *scaled = e[4];

  if (with_audio)
    {
      GstElement *q = add_queue (job, 0, 16 * 1024 * 1024, 30 * GST_SECOND, error);
      if (q == NULL || !gst_element_link (aac_tee, q)
          || !link_to_request_pad (q, rung->splitmux, "audio_%u", error))
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED,
                         "cannot link audio into %s", rung->name);
          return FALSE;
        }
    }
  return TRUE;
}

/* tee → avenc_aac @kbps → aacparse; returns aacparse. */
static GstElement *
build_aac_encoder (Job *job, GstElement *audio_tee, guint kbps, GError **error)
{
  GstElement *e[3];

  if ((e[0] = add_queue (job, 0, 0, 2 * GST_SECOND, error)) == NULL)
    return NULL;
  /* FFmpeg's native AAC encoder: better quality at 64-128 kbit/s than
   * voaacenc (VisualOn), which is kept only as a fallback. */
  e[1] = gst_element_factory_make ("avenc_aac", NULL);
  if (e[1] == NULL)
    e[1] = gst_element_factory_make ("voaacenc", NULL);
  if (e[1] == NULL)
    {
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_MISSING_PLUGIN,
                   "no AAC encoder installed (avenc_aac or voaacenc)");
      return NULL;
    }
  gst_bin_add (GST_BIN (job->pipeline), e[1]);
  g_object_set (e[1], "bitrate", (int) (kbps * 1000), NULL);
  if ((e[2] = add_element (job, "aacparse", error)) == NULL)
    return NULL;
  if (!gst_element_link (audio_tee, e[0]) || !link_chain (e, 3, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED,
                     "cannot link the AAC encoder");
      return NULL;
    }
  return e[2];
}

/* --- the storyboard's tiles, from the same decode -------------------------- */

/* Lets through only the frames the storyboard claims (a few in a hundred). */
static GstPadProbeReturn
storyboard_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Job *job = user_data;
  GstClockTime rt = buffer_times (pad, GST_PAD_PROBE_INFO_BUFFER (info), NULL);

  return yg_storyboard_tiles_claim (job->opts.storyboard, rt) ? GST_PAD_PROBE_OK
                                                              : GST_PAD_PROBE_DROP;
}

static GstFlowReturn
storyboard_new_sample (GstAppSink *sink, gpointer user_data)
{
  Job *job = user_data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);

  if (sample != NULL)
    yg_storyboard_tiles_add (job->opts.storyboard, sample);
  return GST_FLOW_OK;
}

/* tee ! queue (probe) ! videoconvert ! videoscale ! caps(RGB tile) ! appsink */
static gboolean
build_storyboard_branch (Job *job, GstElement *tee, GError **error)
{
  GstElement *e[5];
  GstAppSinkCallbacks callbacks = { 0 };
  g_autoptr (GstPad) pad = NULL;

  if ((e[0] = add_queue (job, 2, 0, 0, error)) == NULL
      || (e[1] = add_element (job, "videoconvert", error)) == NULL
      || (e[2] = add_element (job, "videoscale", error)) == NULL
      || (e[3] = add_capsfilter (job, yg_storyboard_tiles_caps (job->opts.storyboard), error))
           == NULL
      || (e[4] = add_element (job, "appsink", error)) == NULL)
    return FALSE;
  /* Tiles are a quarter to a twentieth of the source: a 2-tap filter aliases. */
  g_object_set (e[2], "add-borders", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (e[2]), "method", "bilinear2");
  /* async FALSE: a sink that sees its first frame seconds in must not hold up preroll. */
  g_object_set (e[4], "sync", FALSE, "async", FALSE, "max-buffers", 2, "drop", FALSE,
                "enable-last-sample", FALSE, NULL);
  callbacks.new_sample = storyboard_new_sample;
  gst_app_sink_set_callbacks (GST_APP_SINK (e[4]), &callbacks, job, NULL);
  if (!gst_element_link (tee, e[0]) || !link_chain (e, 5, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED,
                     "cannot link the storyboard branch");
      return FALSE;
    }
  pad = gst_element_get_static_pad (e[0], "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, storyboard_probe, job, NULL);
  return TRUE;
}

static gboolean
build_poster_branch (Job *job, GstElement *tee, GError **error)
{
  GstElement *e[5];
  GstAppSinkCallbacks callbacks = { 0 };
  g_autoptr (GstPad) pad = NULL;
  const YgRungPlan *top = &job->plan.rungs[0];
  guint width = top->width, height = top->height;
  guint n = 0;

  if (width > POSTER_MAX_WIDTH)
    {
      height = 2 * (guint) ((double) height * POSTER_MAX_WIDTH / width / 2 + 0.5);
      width = POSTER_MAX_WIDTH;
    }

  if ((e[0] = add_queue (job, 2, 0, 0, error)) == NULL
      || (e[1] = add_element (job, "videoconvert", error)) == NULL
      || (e[2] = add_element (job, "videoscale", error)) == NULL
      || (e[3] = add_capsfilter (job,
                                 gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
                                                      "I420", "width", G_TYPE_INT, width,
                                                      "height", G_TYPE_INT, MAX (height, 2),
                                                      "pixel-aspect-ratio", GST_TYPE_FRACTION,
                                                      1, 1, NULL),
                                 error))
             == NULL
      || (e[4] = add_element (job, "appsink", error)) == NULL)
    return FALSE;
  g_object_set (e[2], "add-borders", FALSE, NULL);
  g_object_set (e[4], "sync", FALSE, "async", FALSE, "max-buffers", 2, "drop", FALSE,
                "enable-last-sample", FALSE, NULL);
  callbacks.new_sample = poster_new_sample;
  callbacks.eos = poster_eos;
  gst_app_sink_set_callbacks (GST_APP_SINK (e[4]), &callbacks, job, NULL);
  if (!gst_element_link (tee, e[0]) || !link_chain (e, 5, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED,
                     "cannot link the poster branch");
      return FALSE;
    }
  pad = gst_element_get_static_pad (e[0], "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, poster_probe, job, NULL);

  /* Candidates: the first frame (fallback), then 10 %, 25 %, 40 %, 60 %. */
  job->candidates[n++] = 0;
  if (job->facts->duration > 0)
    {
      static const double at[] = { 0.10, 0.25, 0.40, 0.60 };
      for (gsize i = 0; i < G_N_ELEMENTS (at); i++)
        job->candidates[n++] = (GstClockTime) (job->facts->duration * at[i] * GST_SECOND);
    }
  else
    {
      static const guint at[] = { 1, 3, 6, 10 };
      for (gsize i = 0; i < G_N_ELEMENTS (at); i++)
        job->candidates[n++] = at[i] * GST_SECOND;
    }
  job->n_candidates = n;
  return TRUE;
}

static gboolean
build_video (Job *job, GstElement *aac_tee, GError **error)
{
  const YgSourceFacts *facts = job->facts;
  GstElement *e[6];
  GstElement *tee;
  g_autoptr (GstPad) tee_sink = NULL;
  guint n = 0;

  if ((e[n++] = add_element (job, "videoconvert", error)) == NULL)
    return FALSE;
  job->video_head = e[0];
  if (facts->interlaced)
    {
      if ((e[n] = add_element (job, "deinterlace", error)) == NULL)
        return FALSE;
      /* The probe said interlaced: deinterlace even if caps do not say so;
       * one frame per frame (top field first), so the rate stays the same. */
      gst_util_set_object_arg (G_OBJECT (e[n]), "mode", "interlaced");
      gst_util_set_object_arg (G_OBJECT (e[n]), "fields", "top");
      n++;
    }
  if (facts->rotation == 90 || facts->rotation == 180 || facts->rotation == 270)
    {
      if ((e[n] = add_element (job, "videoflip", error)) == NULL)
        return FALSE;
      g_object_set (e[n], "video-direction",
                    facts->rotation == 90    ? GST_VIDEO_ORIENTATION_90R
                    : facts->rotation == 180 ? GST_VIDEO_ORIENTATION_180
                                             : GST_VIDEO_ORIENTATION_90L,
                    NULL);
      n++;
    }
  if (job->plan.halve_fps)
    {
      if ((e[n++] = add_element (job, "videorate", error)) == NULL)
        return FALSE;
      if ((e[n++] = add_capsfilter (job,
                                    gst_caps_new_simple ("video/x-raw", "framerate",
                                                         GST_TYPE_FRACTION, job->plan.fps_n,
                                                         job->plan.fps_d, NULL),
                                    error))
          == NULL)
        return FALSE;
    }
  if ((tee = add_element (job, "tee", error)) == NULL)
    return FALSE;
  e[n++] = tee;
  if (!link_chain (e, n, error))
    return FALSE;
  tee_sink = gst_element_get_static_pad (tee, "sink");
  gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_BUFFER, keyframe_probe, job, NULL);

  /* A cascade: each rung scales from the one above it (1080p → 720p → 480p →
   * 360p, at most 1.5× a step), which is both cheaper and sharper than
   * every rung shrinking the full picture with a short filter. */
  {
    GstElement *from = tee;
    guint in_short = MIN (facts->width, facts->height);

    for (guint i = 0; i < job->plan.n_rungs; i++)
      {
        const YgRungPlan *plan = &job->plan.rungs[i];
        GstElement *scaled = NULL;

        if (!build_video_rung (job, from, i > 0, in_short, plan, facts->has_audio, aac_tee,
                               &scaled, error))
          return FALSE;
        from = scaled;
        in_short = MIN (plan->width, plan->height);
      }
  }
  if (job->opts.poster && !build_poster_branch (job, tee, error))
    return FALSE;
  if (job->opts.storyboard != NULL && !build_storyboard_branch (job, tee, error))
    return FALSE;
  return TRUE;
}

/* The audio head and, for a video source, the shared 128k AAC tee. */
static gboolean
build_audio (Job *job, GstElement **aac_tee, GError **error)
{
  GstElement *e[4];
  GstElement *aac;
  Rung *rung;
  guint kbps;

  *aac_tee = NULL;
  if ((e[0] = add_element (job, "audioconvert", error)) == NULL
      || (e[1] = add_element (job, "audioresample", error)) == NULL
      || (e[2] = add_capsfilter (job,
                                 gst_caps_new_simple ("audio/x-raw", "rate", G_TYPE_INT,
                                                      YG_RUNGS_AUDIO_RATE, "channels",
                                                      G_TYPE_INT, YG_RUNGS_AUDIO_CHANNELS, NULL),
                                 error))
             == NULL
      || (e[3] = add_element (job, "tee", error)) == NULL || !link_chain (e, 4, error))
    return FALSE;
  job->audio_head = e[0];

  if (job->facts->has_video)
    {
      GstElement *parse = build_aac_encoder (job, e[3], YG_RUNGS_AUDIO_KBPS, error);
      if (parse == NULL || (*aac_tee = add_element (job, "tee", error)) == NULL)
        return FALSE;
      if (!gst_element_link (parse, *aac_tee))
        {
          g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED,
                       "cannot link the AAC tee");
          return FALSE;
        }
    }

  /* The audio-only rendition: 64k beside video, the whole show (128k) without. */
  kbps = job->facts->has_video ? YG_RUNGS_AUDIO_ONLY_KBPS : YG_RUNGS_AUDIO_KBPS;
  if ((aac = build_aac_encoder (job, e[3], kbps, error)) == NULL)
    return FALSE;
  if ((rung = add_rung (job, YG_RUNGS_AUDIO_NAME, NULL, kbps, TRUE, error)) == NULL)
    return FALSE;
  probe_rung_output (rung, aac);
  {
    GstElement *q = add_queue (job, 0, 16 * 1024 * 1024, 30 * GST_SECOND, error);
    if (q == NULL || !gst_element_link (aac, q)
        || !link_to_request_pad (q, rung->splitmux, "audio_%u", error))
      {
        if (error != NULL && *error == NULL)
          g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED,
                       "cannot link the audio rendition");
        return FALSE;
      }
  }
  return TRUE;
}

static gboolean
build_source (Job *job, const char *input_path, const Family *family, GError **error)
{
  GstElement *src, *demux;

  if ((src = add_element (job, "filesrc", error)) == NULL
      || (demux = add_element (job, family->demuxer, error)) == NULL)
    return FALSE;
  g_object_set (src, "location", input_path, NULL);
  if (!gst_element_link (src, demux))
    {
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED, "cannot link %s",
                   family->demuxer);
      return FALSE;
    }
  g_signal_connect (demux, "pad-added", G_CALLBACK (on_pad_added), job);
  g_signal_connect (demux, "no-more-pads", G_CALLBACK (on_no_more_pads), job);
  /* Parsers (and wavparse) have an always pad instead: same handling, and
   * all their pads are known now. */
  if (demux->numsrcpads > 0)
    {
      /* Nothing runs yet: the list cannot change under us. */
      for (GList *l = demux->srcpads; l != NULL; l = l->next)
        on_pad_added (demux, l->data, job);
      on_no_more_pads (demux, job);
    }
  return TRUE;
}

/* Checks @facts (a copy the job keeps) and plans the ladder. */
static gboolean
validate (YgSourceFacts *facts, const YgTranscodeOptions *opts, const Family **family,
          YgLadderPlan *plan, GError **error)
{
  gboolean preset_ok = FALSE;

  /* Settings come from the operator's configuration: reject, don't assert. */
  for (gsize i = 0; i < G_N_ELEMENTS (presets); i++)
    preset_ok |= g_strcmp0 (opts->preset, presets[i]) == 0;
  if (!preset_ok)
    {
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED,
                   "x264 preset \"%s\" is not one of ultrafast to medium", opts->preset);
      return FALSE;
    }
  if (opts->segment_seconds < 1 || opts->segment_seconds > 60)
    {
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED,
                   "segment length %u s is outside 1 to 60 s", opts->segment_seconds);
      return FALSE;
    }

  *family = find_family (facts->container);
  if (*family == NULL)
    {
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_UNSUPPORTED_FORMAT,
                   "unsupported container \"%s\"",
                   facts->container != NULL ? facts->container : "(unknown)");
      return FALSE;
    }
  /* An elementary audio file's "video" is cover art: not a programme. */
  if ((*family)->audio_only)
    facts->has_video = FALSE;
  if (!facts->has_video && !facts->has_audio)
    {
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_UNSUPPORTED_FORMAT,
                   "the source has neither video nor audio");
      return FALSE;
    }
  if (facts->has_video)
    {
      YgRungSource source = { facts->width, facts->height, facts->par_n, facts->par_d,
                              facts->rotation, facts->fps_n, facts->fps_d };

      if ((facts->rotation % 90) != 0 || facts->rotation >= 360 || !yg_rungs_plan (&source, plan))
        {
          g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_UNSUPPORTED_FORMAT,
                       "unsupported picture geometry %ux%u (pixel aspect %u:%u, rotation %u)",
                       facts->width, facts->height, facts->par_n, facts->par_d, facts->rotation);
          return FALSE;
        }
    }
  return TRUE;
}

/* After a failure: fragments still being written are not ours to leave. */
static void
remove_temporaries (Job *job)
{
  for (guint i = 0; i < job->rungs->len; i++)
    {
      Rung *rung = g_ptr_array_index (job->rungs, i);
      g_autoptr (GDir) dir = g_dir_open (rung->dir, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_prefix (name, "seg") && g_str_has_suffix (name, ".ts.tmp"))
          {
            g_autofree char *path = g_build_filename (rung->dir, name, NULL);
            g_unlink (path);
          }
    }
}

/**
 * yg_hls_transcode:
 * @input_path: the source file (opened with filesrc only; never a URI)
 * @facts: what probing the source found
 * @out_dir: where master.m3u8, <rung>/ and poster.jpg go (created if missing)
 * @options: (nullable): settings and callbacks; %NULL = defaults
 * @result: (out caller-allocates) (optional): what was produced
 * @cancellable: (nullable): stops the job cleanly
 * @error: return location for a #GError in %YG_TRANSCODE_ERROR
 *
 * Decodes @input_path once and writes an HLS ladder (MPEG-TS segments) to
 * @out_dir, publishing progressively. Runs a private main context on the
 * calling thread until done; every callback is invoked on this thread.
 *
 * Returns: %TRUE when every playlist is complete (VOD) and the master lists
 *   measured bandwidths
 */
gboolean
yg_hls_transcode (const char               *input_path,
                  const YgSourceFacts      *facts,
                  const char               *out_dir,
                  const YgTranscodeOptions *options,
                  YgTranscodeResult        *result,
                  GCancellable             *cancellable,
                  GError                  **error)
{
  static gsize debug_init = 0;
  Job job = { 0 };
  const Family *family = NULL;
  GstElement *aac_tee = NULL;
  GSource *bus_source = NULL, *tick = NULL, *timeout = NULL, *cancel = NULL;
  g_autoptr (GstBus) bus = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (input_path != NULL, FALSE);
  g_return_val_if_fail (facts != NULL, FALSE);
  g_return_val_if_fail (out_dir != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!gst_is_initialized () && !gst_init_check (NULL, NULL, error))
    return FALSE;
  if (g_once_init_enter (&debug_init))
    {
      GST_DEBUG_CATEGORY_INIT (yg_hls_debug, "yg-hls", 0, "Yunguan HLS ladder");
      g_once_init_leave (&debug_init, 1);
    }
  if (result != NULL)
    memset (result, 0, sizeof *result);

  if (options != NULL)
    job.opts = *options;
  else
    yg_transcode_options_init (&job.opts);
  if (job.opts.segment_seconds == 0)
    job.opts.segment_seconds = DEFAULT_SEGMENT_SECONDS;
  if (job.opts.preset == NULL)
    job.opts.preset = DEFAULT_PRESET;
  if (job.opts.stall_seconds == 0)
    job.opts.stall_seconds = DEFAULT_STALL_SECONDS;
  job.facts_copy = *facts;
  job.facts = &job.facts_copy;
  facts = job.facts;
  if (!validate (&job.facts_copy, &job.opts, &family, &job.plan, error))
    return FALSE;
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_set_error_literal (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_CANCELLED,
                           "transcoding was cancelled");
      return FALSE;
    }

  job.out_dir = g_strdup (out_dir);
  job.master_path = g_build_filename (out_dir, "master.m3u8", NULL);
  job.segment_ns = (GstClockTime) job.opts.segment_seconds * GST_SECOND;
  job.next_key_rt = next_boundary (&job, 0);
  job.last_position = GST_CLOCK_TIME_NONE;
  job.rungs = g_ptr_array_new_with_free_func (rung_free);
  g_mutex_init (&job.lock);
  job.context = g_main_context_new ();
  job.loop = g_main_loop_new (job.context, FALSE);
  job.pipeline = gst_pipeline_new ("yg-hls");
  if (!facts->has_video)
    job.opts.poster = FALSE;

  if (!yg_publish_make_dir (out_dir, &job.error))
    {
      g_prefix_error (&job.error, "output: ");
      job.error->domain = YG_TRANSCODE_ERROR;
      job.error->code = YG_TRANSCODE_ERROR_WRITE_FAILED;
      goto out;
    }
  if ((facts->has_audio && !build_audio (&job, &aac_tee, &job.error))
      || (facts->has_video && !build_video (&job, aac_tee, &job.error))
      || !build_source (&job, input_path, family, &job.error))
    goto out;

  g_main_context_push_thread_default (job.context);
  bus = gst_element_get_bus (job.pipeline);
  bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (bus_source, G_SOURCE_FUNC (bus_cb), &job, NULL);
  g_source_attach (bus_source, job.context);
  tick = g_timeout_source_new (TICK_MS);
  g_source_set_callback (tick, tick_cb, &job, NULL);
  g_source_attach (tick, job.context);
  if (job.opts.timeout_seconds > 0)
    {
      timeout = g_timeout_source_new_seconds (job.opts.timeout_seconds);
      g_source_set_callback (timeout, timeout_cb, &job, NULL);
      g_source_attach (timeout, job.context);
    }
  if (cancellable != NULL)
    {
      cancel = g_cancellable_source_new (cancellable);
      g_source_set_callback (cancel, G_SOURCE_FUNC (cancelled_cb), &job, NULL);
      g_source_attach (cancel, job.context);
    }
  job.last_motion_us = g_get_monotonic_time ();

  if (gst_element_set_state (job.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      /* The bus usually says why (e.g. the file cannot be opened). */
      g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
      if (msg != NULL)
        on_error_message (&job, msg);
      else
        job_fail (&job, YG_TRANSCODE_ERROR_FAILED, "the pipeline did not start");
    }
  else
    {
      if (job.opts.progress != NULL)
        job.opts.progress (0.0, job.opts.user_data);
      g_main_loop_run (job.loop);
    }

  gst_element_set_state (job.pipeline, GST_STATE_NULL);
  if (bus_source != NULL)
    g_source_destroy (bus_source);
  g_clear_pointer (&bus_source, g_source_unref);
  if (tick != NULL)
    g_source_destroy (tick);
  g_clear_pointer (&tick, g_source_unref);
  if (timeout != NULL)
    g_source_destroy (timeout);
  g_clear_pointer (&timeout, g_source_unref);
  if (cancel != NULL)
    g_source_destroy (cancel);
  g_clear_pointer (&cancel, g_source_unref);
  g_main_context_pop_thread_default (job.context);

  ok = job.error == NULL;
  if (ok && result != NULL)
    {
      for (guint i = 0; i < job.rungs->len; i++)
        {
          Rung *rung = g_ptr_array_index (job.rungs, i);
          result->duration = MAX (result->duration,
                                  yg_media_playlist_get_duration_ms (rung->playlist) / 1000.0);
        }
      result->n_variants = job.rungs->len;
      result->has_poster = job.poster_written;
    }

out:
  if (!ok)
    {
      if (job.pipeline != NULL)
        gst_element_set_state (job.pipeline, GST_STATE_NULL);
      remove_temporaries (&job);
      g_propagate_error (error, g_steal_pointer (&job.error));
    }
  gst_clear_object (&job.pipeline);
  g_clear_pointer (&job.loop, g_main_loop_unref);
  g_clear_pointer (&job.context, g_main_context_unref);
  if (job.poster_best != NULL)
    gst_sample_unref (job.poster_best);
  g_ptr_array_unref (job.rungs);
  g_mutex_clear (&job.lock);
  g_free (job.out_dir);
  g_free (job.master_path);
  return ok;
}

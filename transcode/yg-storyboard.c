/* yg-storyboard.c: seek-preview thumbnails, storyboard.jpg + thumbnails.vtt.
 *
 * Tiles: one per N = max(2 s, duration / 100) (at most 100), 160 px wide,
 * as high as the display aspect says (pixel aspect, rotation), 10 a row.
 * Cue i of thumbnails.vtt spans [i·N, min((i+1)·N, duration)], so cues are
 * contiguous and cover [0, duration]; its text "storyboard.jpg#xywh=x,y,w,h"
 * is relative to the VTT's own URL. Frames (the first at or after the middle
 * of each cue) come one of two ways. Normally from the transcode's own decode:
 * a YgStoryboardTiles collector claims the few frames it needs as they pass
 * a branch of the pipeline (yg-hls-pipeline.c), so no second pass over the
 * source is made. Otherwise (no known duration up front, or no tile came)
 * yg_storyboard_make runs one flushing seek per tile in a PAUSED pipeline
 * built from yg-hls-pipeline's allowlists: accurate while tiles are < 10 s
 * apart (up to a GOP decoded per tile), keyframe seeks beyond; its work is
 * bounded by the tile count and a budget, not the source's length.
 * Publishing: the JPEG first, then the VTT that points at it, each durable.
 * Thread: the caller's; streaming threads only link pads and post messages,
 * or claim and add tiles (under the collector's lock).
 */
#define G_LOG_DOMAIN "yg-transcode"

#include "yg-storyboard.h"

#include <string.h>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "yg-publish.h"

GST_DEBUG_CATEGORY_STATIC (yg_storyboard_debug);
#define GST_CAT_DEFAULT yg_storyboard_debug

#define ACCURATE_BELOW_MS 10000 /* keyframe seeks once tiles are this far apart */
#define MAX_TILE_HEIGHT 640     /* 1:4 portrait at most; stranger shapes are squeezed */
#define STEP_TIMEOUT_S 15       /* one seek or the encode */
#define BUDGET_S 60             /* the whole storyboard */
#define JPEG_QUALITY 80
#define IMAGE_NAME "storyboard.jpg"
#define VTT_NAME "thumbnails.vtt"

typedef struct
{
  GstElement *pipeline;
  GstElement *head; /* videoconvert: where the decoder links */
  GMutex lock;      /* video_linked */
  gboolean video_linked;
} Board;

static void
post_failure (Board *board, int code, const char *message)
{
  GstStructure *s = gst_structure_new ("yg-failure", "code", G_TYPE_INT, code, "message",
                                       G_TYPE_STRING, message, NULL);

  gst_element_post_message (board->pipeline,
                            gst_message_new_application (GST_OBJECT (board->pipeline), s));
}

static GstElement *
add_element (GstElement *pipeline, const char *factory, GError **error)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (element == NULL)
    {
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_MISSING_PLUGIN,
                   "GStreamer element \"%s\" is not installed", factory);
      return NULL;
    }
  gst_bin_add (GST_BIN (pipeline), element);
  return element;
}

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

/* --- demuxer pads (streaming thread) ------------------------------------- */

static GstPadProbeReturn
drop_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return GST_PAD_PROBE_DROP;
}

/* Not a fakesink: in PAUSED a sink holds the streaming thread at its first
 * buffer (preroll), and the demuxer would never reach the video. */
static void
discard_pad (Board *board, GstPad *pad)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, drop_probe,
                     NULL, NULL);
}

/* [parser] ! [decoder] ! head, for the first video stream. */
static gboolean
link_video (Board *board, GstPad *pad, GstCaps *caps, GError **error)
{
  const char *parser = NULL, *decoder = NULL;
  GstElement *chain[3];
  g_autoptr (GstPad) sinkpad = NULL;
  guint n = 0;

  if (!yg_hls_decoder_for_caps (caps, &parser, &decoder))
    {
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_UNSUPPORTED_CODEC,
                   "no allowed decoder for %s",
                   gst_structure_get_name (gst_caps_get_structure (caps, 0)));
      return FALSE;
    }
  if (parser != NULL && (chain[n++] = add_element (board->pipeline, parser, error)) == NULL)
    return FALSE;
  if (decoder != NULL && (chain[n++] = add_element (board->pipeline, decoder, error)) == NULL)
    return FALSE;
  chain[n++] = board->head;
  if (!link_chain (chain, n, error))
    return FALSE;
  for (guint i = n - 1; i > 0; i--)
    gst_element_sync_state_with_parent (chain[i - 1]);
  sinkpad = gst_element_get_static_pad (chain[0], "sink");
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    {
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_UNSUPPORTED_CODEC,
                   "cannot decode %s", gst_structure_get_name (gst_caps_get_structure (caps, 0)));
      return FALSE;
    }
  return TRUE;
}

static void
handle_pad (Board *board, GstPad *pad, GstCaps *caps)
{
  g_autoptr (GError) local_error = NULL;
  const char *media;
  gboolean take = FALSE;

  if (gst_caps_is_empty (caps) || gst_caps_is_any (caps))
    {
      discard_pad (board, pad);
      return;
    }
  media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  g_mutex_lock (&board->lock);
  if ((g_str_has_prefix (media, "video/") || g_str_equal (media, "image/jpeg"))
      && !board->video_linked)
    take = board->video_linked = TRUE;
  g_mutex_unlock (&board->lock);
  if (!take)
    {
      discard_pad (board, pad); /* audio, further tracks, subtitles, data */
      return;
    }
  if (!link_video (board, pad, caps, &local_error))
    post_failure (board, local_error->code, local_error->message);
}

static void
on_pad_caps (GstPad *pad, GParamSpec *pspec, gpointer user_data)
{
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);

  if (caps == NULL)
    return;
  g_signal_handlers_disconnect_by_func (pad, on_pad_caps, user_data);
  handle_pad (user_data, pad, caps);
}

static void
on_pad_added (GstElement *demuxer, GstPad *pad, gpointer user_data)
{
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);

  if (caps != NULL)
    handle_pad (user_data, pad, caps);
  else
    g_signal_connect (pad, "notify::caps", G_CALLBACK (on_pad_caps), user_data);
}

static void
on_no_more_pads (GstElement *demuxer, gpointer user_data)
{
  Board *board = user_data;
  gboolean linked;

  g_mutex_lock (&board->lock);
  linked = board->video_linked;
  g_mutex_unlock (&board->lock);
  if (!linked)
    post_failure (board, YG_TRANSCODE_ERROR_DECODE_FAILED, "the source has no video stream");
}

/* --- the frame pipeline (caller's thread) ---------------------------------
 *
 *   filesrc ! <demuxer> ─ [<parser> !] [<decoder> !] videoconvert [! videoflip]
 *     ! videoscale ! caps(RGB, W×H, 1:1) ! appsink
 *                       └─ other streams: dropped at the demuxer's pad
 */

static gboolean
build_frames (Board *board, const char *input_path, const char *demuxer,
              const YgSourceFacts *facts, guint tile_w, guint tile_h, GstElement **sink,
              GError **error)
{
  GstElement *src, *demux, *e[5];
  g_autoptr (GstCaps) caps = NULL;
  guint n = 0;

  if ((src = add_element (board->pipeline, "filesrc", error)) == NULL
      || (demux = add_element (board->pipeline, demuxer, error)) == NULL
      || (e[n++] = add_element (board->pipeline, "videoconvert", error)) == NULL)
    return FALSE;
  board->head = e[0];
  if (facts->rotation != 0)
    {
      if ((e[n] = add_element (board->pipeline, "videoflip", error)) == NULL)
        return FALSE;
      g_object_set (e[n++], "video-direction",
                    facts->rotation == 90    ? GST_VIDEO_ORIENTATION_90R
                    : facts->rotation == 180 ? GST_VIDEO_ORIENTATION_180
                                             : GST_VIDEO_ORIENTATION_90L,
                    NULL);
    }
  if ((e[n] = add_element (board->pipeline, "videoscale", error)) == NULL)
    return FALSE;
  /* Tiles are a quarter to a twentieth of the source: a 2-tap filter aliases. */
  g_object_set (e[n], "add-borders", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (e[n++]), "method", "bilinear2");
  if ((e[n] = add_element (board->pipeline, "capsfilter", error)) == NULL)
    return FALSE;
  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "RGB", "width", G_TYPE_INT,
                              (int) tile_w, "height", G_TYPE_INT, (int) tile_h,
                              "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  g_object_set (e[n++], "caps", caps, NULL);
  if ((*sink = e[n++] = add_element (board->pipeline, "appsink", error)) == NULL)
    return FALSE;
  g_object_set (*sink, "sync", FALSE, "enable-last-sample", FALSE, "max-buffers", 1, NULL);

  g_object_set (src, "location", input_path, NULL);
  if (!gst_element_link (src, demux) || !link_chain (e, n, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED, "cannot link %s",
                     demuxer);
      return FALSE;
    }
  g_signal_connect (demux, "pad-added", G_CALLBACK (on_pad_added), board);
  g_signal_connect (demux, "no-more-pads", G_CALLBACK (on_no_more_pads), board);
  return TRUE;
}

/* One step (a seek, the first preroll) may take STEP_TIMEOUT_S, within the budget. */
static gint64
step_deadline (gint64 budget_deadline_us)
{
  return MIN (budget_deadline_us, g_get_monotonic_time () + STEP_TIMEOUT_S * G_USEC_PER_SEC);
}

/* The first error, failure or ASYNC_DONE on @bus before @deadline_us. */
static gboolean
wait_async_done (GstBus *bus, gint64 deadline_us, GCancellable *cancellable, GError **error)
{
  for (;;)
    {
      g_autoptr (GstMessage) msg = NULL;
      gint64 now = g_get_monotonic_time ();
      const GstStructure *s;

      if (g_cancellable_is_cancelled (cancellable))
        {
          g_set_error_literal (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_CANCELLED,
                               "the storyboard was cancelled");
          return FALSE;
        }
      if (now >= deadline_us)
        {
          g_set_error_literal (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_TIMEOUT,
                               "no frame decoded in time");
          return FALSE;
        }
      msg = gst_bus_timed_pop_filtered (bus, MIN (deadline_us - now, 200000) * GST_USECOND,
                                        GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_ERROR
                                          | GST_MESSAGE_APPLICATION);
      if (msg == NULL)
        continue;
      switch (GST_MESSAGE_TYPE (msg))
        {
        case GST_MESSAGE_ASYNC_DONE:
          return TRUE;
        case GST_MESSAGE_ERROR:
          {
            g_autoptr (GError) err = NULL;
            gst_message_parse_error (msg, &err, NULL);
            g_set_error (error, YG_TRANSCODE_ERROR,
                         err->domain == GST_CORE_ERROR && err->code == GST_CORE_ERROR_MISSING_PLUGIN
                           ? YG_TRANSCODE_ERROR_MISSING_PLUGIN
                           : YG_TRANSCODE_ERROR_DECODE_FAILED,
                         "%s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
            return FALSE;
          }
        case GST_MESSAGE_APPLICATION:
          s = gst_message_get_structure (msg);
          if (s != NULL && gst_structure_has_name (s, "yg-failure"))
            {
              int code = YG_TRANSCODE_ERROR_FAILED;
              gst_structure_get_int (s, "code", &code);
              g_set_error (error, YG_TRANSCODE_ERROR, code, "%s",
                           gst_structure_get_string (s, "message"));
              return FALSE;
            }
          break;
        default:
          break;
        }
    }
}

/* Copies a tile_w×tile_h RGB @sample into @sprite at (@x, @y). */
static gboolean
blit (GstVideoFrame *sprite, GstSample *sample, guint x, guint y)
{
  GstVideoInfo info;
  GstVideoFrame tile;
  GstCaps *caps = gst_sample_get_caps (sample);
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  guint w, h;

  if (caps == NULL || buffer == NULL || !gst_video_info_from_caps (&info, caps)
      || GST_VIDEO_INFO_FORMAT (&info) != GST_VIDEO_FORMAT_RGB
      || !gst_video_frame_map (&tile, &info, buffer, GST_MAP_READ))
    return FALSE;
  w = MIN ((guint) GST_VIDEO_FRAME_WIDTH (&tile), (guint) GST_VIDEO_FRAME_WIDTH (sprite) - x);
  h = MIN ((guint) GST_VIDEO_FRAME_HEIGHT (&tile), (guint) GST_VIDEO_FRAME_HEIGHT (sprite) - y);
  for (guint row = 0; row < h; row++)
    memcpy ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (sprite, 0)
              + (gsize) (y + row) * GST_VIDEO_FRAME_PLANE_STRIDE (sprite, 0) + (gsize) x * 3,
            (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&tile, 0)
              + (gsize) row * GST_VIDEO_FRAME_PLANE_STRIDE (&tile, 0),
            (gsize) w * 3);
  gst_video_frame_unmap (&tile);
  return TRUE;
}

/* Copies the tile at (@fx, @fy) to (@tx, @ty): a frame the seek did not find. */
static void
copy_tile (GstVideoFrame *sprite, guint fx, guint fy, guint tx, guint ty, guint w, guint h)
{
  guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (sprite, 0);
  gsize stride = GST_VIDEO_FRAME_PLANE_STRIDE (sprite, 0);

  for (guint row = 0; row < h; row++)
    memcpy (data + (ty + row) * stride + (gsize) tx * 3,
            data + (fy + row) * stride + (gsize) fx * 3, (gsize) w * 3);
}

/* --- JPEG: appsrc ! videoconvert ! caps(I420, full range) ! jpegenc ! appsink */

static GstBuffer *
encode_jpeg (GstBuffer *sprite, const GstVideoInfo *info, GError **error)
{
  g_autoptr (GstElement) pipeline = gst_pipeline_new ("yg-storyboard-jpeg");
  g_autoptr (GstCaps) caps = gst_video_info_to_caps (info);
  /* JPEG (JFIF) is full-range BT.601: without saying so, black would be 16. */
  g_autoptr (GstCaps) i420 = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420",
                                                  "colorimetry", G_TYPE_STRING, "1:4:0:0", NULL);
  g_autoptr (GstSample) sample = NULL;
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  GstBuffer *jpeg = NULL;
  GstElement *e[5];

  if ((e[0] = add_element (pipeline, "appsrc", error)) == NULL
      || (e[1] = add_element (pipeline, "videoconvert", error)) == NULL
      || (e[2] = add_element (pipeline, "capsfilter", error)) == NULL
      || (e[3] = add_element (pipeline, "jpegenc", error)) == NULL
      || (e[4] = add_element (pipeline, "appsink", error)) == NULL || !link_chain (e, 5, error))
    return NULL;
  g_object_set (e[0], "caps", caps, "format", GST_FORMAT_TIME, NULL);
  g_object_set (e[2], "caps", i420, NULL);
  g_object_set (e[3], "quality", JPEG_QUALITY, NULL);
  g_object_set (e[4], "sync", FALSE, NULL);

  GST_BUFFER_PTS (sprite) = 0;
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE
      && gst_app_src_push_buffer (GST_APP_SRC (e[0]), gst_buffer_ref (sprite)) == GST_FLOW_OK
      && gst_app_src_end_of_stream (GST_APP_SRC (e[0])) == GST_FLOW_OK)
    sample = gst_app_sink_try_pull_sample (GST_APP_SINK (e[4]), STEP_TIMEOUT_S * GST_SECOND);
  if (sample != NULL && gst_sample_get_buffer (sample) != NULL)
    jpeg = gst_buffer_ref (gst_sample_get_buffer (sample));
  else
    {
      g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
      g_autoptr (GError) err = NULL;

      if (msg != NULL)
        gst_message_parse_error (msg, &err, NULL);
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED,
                   "cannot encode the storyboard JPEG: %s",
                   err != NULL ? err->message : "no output");
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return jpeg;
}

/* --- text ------------------------------------------------------------------ */

static void
append_timestamp (GString *out, guint64 ms)
{
  g_string_append_printf (out, "%02" G_GUINT64_FORMAT ":%02u:%02u.%03u", ms / 3600000,
                          (guint) (ms / 60000 % 60), (guint) (ms / 1000 % 60), (guint) (ms % 1000));
}

static gboolean
publish (const char *out_dir, const char *name, const void *data, gsize size, GError **error)
{
  g_autofree char *path = g_build_filename (out_dir, name, NULL);
  g_autoptr (GError) local_error = NULL;

  if (yg_publish_write_file (path, data, size, &local_error))
    return TRUE;
  g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_WRITE_FAILED, "writing %s: %s", name,
               local_error->message);
  return FALSE;
}

/* Tile size from the display aspect: pixel aspect, then rotation. */
static gboolean
tile_size (const YgSourceFacts *facts, guint *w, guint *h, GError **error)
{
  double dw, dh;

  if (facts->width == 0 || facts->height == 0 || facts->rotation % 90 != 0
      || facts->rotation >= 360)
    {
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_UNSUPPORTED_FORMAT,
                   "unsupported picture geometry %ux%u (rotation %u)", facts->width, facts->height,
                   facts->rotation);
      return FALSE;
    }
  dw = (double) facts->width * (facts->par_n > 0 && facts->par_d > 0 ? facts->par_n : 1);
  dh = (double) facts->height * (facts->par_n > 0 && facts->par_d > 0 ? facts->par_d : 1);
  if (facts->rotation == 90 || facts->rotation == 270)
    {
      double t = dw;
      dw = dh;
      dh = t;
    }
  *w = YG_STORYBOARD_TILE_WIDTH;
  *h = CLAMP (2 * (guint) (YG_STORYBOARD_TILE_WIDTH * dh / dw / 2 + 0.5), 2, MAX_TILE_HEIGHT);
  return TRUE;
}

/* --- the grid and the sprite, whichever way the frames were found ------------ */

struct _YgStoryboardTiles
{
  guint tile_w, tile_h, n_tiles, cols, rows;
  guint64 duration_ms, interval_ms;
  GMutex lock;     /* below: claimed and added from streaming threads */
  guint claimed;   /* tiles that have a frame on its way */
  GQueue pending;  /* per claimed frame, its tiles: first << 8 | count */
  GstSample *samples[YG_STORYBOARD_MAX_TILES];
};

/* The grid: one tile per max(2 s, duration / 100), 10 a row. */
static gboolean
grid_init (YgStoryboardTiles *t, const YgSourceFacts *facts, guint64 duration_ms, GError **error)
{
  if (!tile_size (facts, &t->tile_w, &t->tile_h, error))
    return FALSE;
  t->duration_ms = duration_ms;
  t->interval_ms = MAX ((guint64) YG_STORYBOARD_MIN_INTERVAL_MS,
                        (duration_ms + YG_STORYBOARD_MAX_TILES - 1) / YG_STORYBOARD_MAX_TILES);
  t->n_tiles = (guint) ((duration_ms + t->interval_ms - 1) / t->interval_ms);
  g_assert (t->n_tiles >= 1 && t->n_tiles <= YG_STORYBOARD_MAX_TILES);
  t->cols = MIN (t->n_tiles, YG_STORYBOARD_COLUMNS);
  t->rows = (t->n_tiles + t->cols - 1) / t->cols;
  return TRUE;
}

/* The frame for tile @i is the first at or after the middle of its cue. */
static guint64
tile_mid_ms (const YgStoryboardTiles *t, guint i)
{
  guint64 start = i * t->interval_ms, end = MIN (start + t->interval_ms, t->duration_ms);

  return (start + end) / 2;
}

static YgStoryboardTiles *
tiles_alloc (void)
{
  YgStoryboardTiles *t = g_new0 (YgStoryboardTiles, 1);

  g_mutex_init (&t->lock);
  g_queue_init (&t->pending);
  return t;
}

/**
 * yg_storyboard_tiles_new:
 * @facts: what probing the source found (its duration sets the grid)
 *
 * Returns: (transfer full) (nullable): a collector, or %NULL when the
 * source has no programme video or no known duration (then
 * yg_storyboard_make() is the way)
 */
YgStoryboardTiles *
yg_storyboard_tiles_new (const YgSourceFacts *facts)
{
  YgStoryboardTiles *t;
  gboolean audio_only = FALSE;

  if (!facts->has_video || facts->duration <= 0
      || yg_hls_demuxer_for_family (facts->container, &audio_only) == NULL || audio_only)
    return NULL;
  t = tiles_alloc ();
  if (!grid_init (t, facts, (guint64) (facts->duration * 1000 + 0.5), NULL))
    {
      yg_storyboard_tiles_free (t);
      return NULL;
    }
  return t;
}

void
yg_storyboard_tiles_free (YgStoryboardTiles *t)
{
  if (t == NULL)
    return;
  for (guint i = 0; i < YG_STORYBOARD_MAX_TILES; i++)
    g_clear_pointer (&t->samples[i], gst_sample_unref);
  g_queue_clear (&t->pending);
  g_mutex_clear (&t->lock);
  g_free (t);
}

/**
 * yg_storyboard_tiles_caps:
 *
 * Returns: (transfer full): what an added sample must be (RGB, tile size, square pixels)
 */
GstCaps *
yg_storyboard_tiles_caps (YgStoryboardTiles *t)
{
  return gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "RGB", "width", G_TYPE_INT,
                              (int) t->tile_w, "height", G_TYPE_INT, (int) t->tile_h,
                              "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
}

/**
 * yg_storyboard_tiles_claim:
 * @stream_time: a decoded frame's position
 *
 * Returns: whether the frame is wanted; if so it must be added, in order
 */
gboolean
yg_storyboard_tiles_claim (YgStoryboardTiles *t, GstClockTime stream_time)
{
  guint64 ms = stream_time / GST_MSECOND;
  guint first;
  gboolean wanted = FALSE;

  if (!GST_CLOCK_TIME_IS_VALID (stream_time))
    return FALSE;
  g_mutex_lock (&t->lock);
  if (t->claimed < t->n_tiles && ms >= tile_mid_ms (t, t->claimed))
    {
      first = t->claimed;
      while (t->claimed < t->n_tiles && ms >= tile_mid_ms (t, t->claimed))
        t->claimed++;
      g_queue_push_tail (&t->pending, GUINT_TO_POINTER (first << 8 | (t->claimed - first)));
      wanted = TRUE;
    }
  g_mutex_unlock (&t->lock);
  return wanted;
}

/* @sample: (transfer none): the next claimed frame, converted */
void
yg_storyboard_tiles_add (YgStoryboardTiles *t, GstSample *sample)
{
  guint packed;

  g_mutex_lock (&t->lock);
  packed = GPOINTER_TO_UINT (g_queue_pop_head (&t->pending));
  if (packed != 0)
    for (guint i = packed >> 8; i < (packed >> 8) + (packed & 0xff); i++)
      if (t->samples[i] == NULL)
        t->samples[i] = gst_sample_ref (sample);
  g_mutex_unlock (&t->lock);
}

guint
yg_storyboard_tiles_count (YgStoryboardTiles *t)
{
  guint n = 0;

  g_mutex_lock (&t->lock);
  for (guint i = 0; i < t->n_tiles; i++)
    n += t->samples[i] != NULL;
  g_mutex_unlock (&t->lock);
  return n;
}

/**
 * yg_storyboard_tiles_publish:
 * @out_dir: where storyboard.jpg and thumbnails.vtt go (must exist)
 * @image_url: (nullable): how the cues name the sprite; %NULL = "storyboard.jpg"
 *
 * Composes the sprite (a tile without a frame repeats the one before it),
 * then publishes the JPEG and, after it, the VTT.
 *
 * Returns: %TRUE when both files are published
 */
gboolean
yg_storyboard_tiles_publish (YgStoryboardTiles *t, const char *out_dir, const char *image_url,
                             GError **error)
{
  g_autoptr (GstBuffer) sprite = NULL;
  g_autoptr (GstBuffer) jpeg = NULL;
  g_autoptr (GString) vtt = NULL;
  GstVideoInfo sprite_info;
  GstVideoFrame frame;
  GstMapInfo map;
  guint got = 0;
  gboolean ok;

  gst_video_info_set_format (&sprite_info, GST_VIDEO_FORMAT_RGB, t->cols * t->tile_w,
                             t->rows * t->tile_h);
  sprite = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&sprite_info), NULL);
  gst_buffer_memset (sprite, 0, 0, GST_VIDEO_INFO_SIZE (&sprite_info));
  if (!gst_video_frame_map (&frame, &sprite_info, sprite, GST_MAP_WRITE))
    {
      g_set_error_literal (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED,
                           "cannot map the sprite");
      return FALSE;
    }
  g_mutex_lock (&t->lock);
  for (guint i = 0; i < t->n_tiles; i++)
    {
      guint x = (i % t->cols) * t->tile_w, y = (i / t->cols) * t->tile_h;

      if (t->samples[i] != NULL && blit (&frame, t->samples[i], x, y))
        got++;
      else if (i > 0)
        copy_tile (&frame, ((i - 1) % t->cols) * t->tile_w, ((i - 1) / t->cols) * t->tile_h, x,
                   y, t->tile_w, t->tile_h);
    }
  g_mutex_unlock (&t->lock);
  gst_video_frame_unmap (&frame);
  if (got == 0)
    {
      g_set_error_literal (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_DECODE_FAILED,
                           "no frame could be decoded for the storyboard");
      return FALSE;
    }
  if ((jpeg = encode_jpeg (sprite, &sprite_info, error)) == NULL)
    return FALSE;

  vtt = g_string_new ("WEBVTT\n");
  for (guint i = 0; i < t->n_tiles; i++)
    {
      guint64 start = i * t->interval_ms, end = MIN (start + t->interval_ms, t->duration_ms);

      g_string_append_c (vtt, '\n');
      append_timestamp (vtt, start);
      g_string_append (vtt, " --> ");
      append_timestamp (vtt, end);
      g_string_append_printf (vtt, "\n%s#xywh=%u,%u,%u,%u\n",
                              image_url != NULL ? image_url : IMAGE_NAME, (i % t->cols) * t->tile_w,
                              (i / t->cols) * t->tile_h, t->tile_w, t->tile_h);
    }

  /* The image first: a published VTT must never point at a missing sprite. */
  if (!gst_buffer_map (jpeg, &map, GST_MAP_READ))
    {
      g_set_error_literal (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_FAILED,
                           "cannot map the JPEG");
      return FALSE;
    }
  ok = publish (out_dir, IMAGE_NAME, map.data, map.size, error);
  gst_buffer_unmap (jpeg, &map);
  return ok && publish (out_dir, VTT_NAME, vtt->str, vtt->len, error);
}

/**
 * yg_storyboard_make:
 * @input_path: the source file (opened with filesrc only; never a URI)
 * @facts: what probing the source found
 * @out_dir: where storyboard.jpg and thumbnails.vtt go (must exist)
 * @image_url: (nullable): how the cues name the sprite; %NULL = "storyboard.jpg",
 *   relative, so it resolves against the VTT's own URL
 * @cancellable: (nullable): stops the work between frames
 * @error: return location for a #GError in %YG_TRANSCODE_ERROR
 *
 * Writes the seek-preview sprite and its WebVTT index for a video source.
 * A source without programme video (audio only, or an elementary audio
 * file whose picture is cover art) gets nothing, and that is success.
 * Runs on the calling thread; takes at most a minute.
 *
 * Returns: %TRUE when both files are published, or there is no video
 */
gboolean
yg_storyboard_make (const char          *input_path,
                    const YgSourceFacts *facts,
                    const char          *out_dir,
                    const char          *image_url,
                    GCancellable        *cancellable,
                    GError             **error)
{
  static gsize debug_init = 0;
  Board board = { 0 };
  g_autoptr (GstBus) bus = NULL;
  YgStoryboardTiles *tiles = NULL;
  GstElement *sink = NULL;
  const char *demuxer;
  gboolean audio_only = FALSE, ok = FALSE;
  guint tile_w = 0, tile_h = 0;
  guint64 duration_ms;
  gint64 deadline_us;
  GstSeekFlags flags;

  g_return_val_if_fail (input_path != NULL, FALSE);
  g_return_val_if_fail (facts != NULL, FALSE);
  g_return_val_if_fail (out_dir != NULL, FALSE);
  g_return_val_if_fail (image_url == NULL
                          || (*image_url != '\0' && strpbrk (image_url, "\r\n") == NULL),
                        FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!gst_is_initialized () && !gst_init_check (NULL, NULL, error))
    return FALSE;
  if (g_once_init_enter (&debug_init))
    {
      GST_DEBUG_CATEGORY_INIT (yg_storyboard_debug, "yg-storyboard", 0, "Yunguan storyboard");
      g_once_init_leave (&debug_init, 1);
    }

  demuxer = yg_hls_demuxer_for_family (facts->container, &audio_only);
  if (demuxer == NULL)
    {
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_UNSUPPORTED_FORMAT,
                   "unsupported container \"%s\"",
                   facts->container != NULL ? facts->container : "(unknown)");
      return FALSE;
    }
  if (!facts->has_video || audio_only)
    return TRUE;
  if (!tile_size (facts, &tile_w, &tile_h, error))
    return FALSE;
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_set_error_literal (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_CANCELLED,
                           "the storyboard was cancelled");
      return FALSE;
    }

  deadline_us = g_get_monotonic_time () + BUDGET_S * G_USEC_PER_SEC;
  g_mutex_init (&board.lock);
  board.pipeline = gst_pipeline_new ("yg-storyboard");
  bus = gst_element_get_bus (board.pipeline);
  if (!build_frames (&board, input_path, demuxer, facts, tile_w, tile_h, &sink, error))
    goto out;
  if (gst_element_set_state (board.pipeline, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE)
    {
      g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
      g_autoptr (GError) err = NULL;

      if (msg != NULL)
        gst_message_parse_error (msg, &err, NULL);
      g_set_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_DECODE_FAILED,
                   "the frame pipeline did not start: %s",
                   err != NULL ? err->message : "no reason");
      goto out;
    }
  if (!wait_async_done (bus, step_deadline (deadline_us), cancellable, error))
    goto out;

  /* The grid. */
  if (facts->duration > 0)
    duration_ms = (guint64) (facts->duration * 1000 + 0.5);
  else
    {
      gint64 d = 0;
      duration_ms = gst_element_query_duration (board.pipeline, GST_FORMAT_TIME, &d) && d > 0
                      ? (guint64) d / GST_MSECOND
                      : 0;
    }
  if (duration_ms == 0)
    {
      g_set_error_literal (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_UNSUPPORTED_FORMAT,
                           "the source's duration is unknown");
      goto out;
    }
  tiles = tiles_alloc ();
  if (!grid_init (tiles, facts, duration_ms, error))
    goto out;
  flags = GST_SEEK_FLAG_FLUSH
          | (tiles->interval_ms < ACCURATE_BELOW_MS
               ? GST_SEEK_FLAG_ACCURATE
               : GST_SEEK_FLAG_KEY_UNIT | GST_SEEK_FLAG_SNAP_NEAREST);
  GST_INFO ("%u tiles of %ux%u every %" G_GUINT64_FORMAT " ms (%s seeks)", tiles->n_tiles,
            tiles->tile_w, tiles->tile_h, tiles->interval_ms,
            (flags & GST_SEEK_FLAG_ACCURATE) ? "accurate" : "keyframe");

  /* One frame per tile, from the middle of its interval. */
  for (guint i = 0; i < tiles->n_tiles; i++)
    {
      if (!gst_element_seek_simple (board.pipeline, GST_FORMAT_TIME, flags,
                                    (gint64) (tile_mid_ms (tiles, i) * GST_MSECOND)))
        {
          g_set_error_literal (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_DECODE_FAILED,
                               "the source cannot seek");
          goto out;
        }
      if (!wait_async_done (bus, step_deadline (deadline_us), cancellable, error))
        goto out;
      /* NULL after a seek past the last frame (EOS): the tile repeats the one before. */
      tiles->samples[i] = gst_app_sink_try_pull_preroll (GST_APP_SINK (sink), 0);
    }
  gst_element_set_state (board.pipeline, GST_STATE_NULL);
  ok = yg_storyboard_tiles_publish (tiles, out_dir, image_url, error);

out:
  yg_storyboard_tiles_free (tiles);
  gst_element_set_state (board.pipeline, GST_STATE_NULL);
  gst_object_unref (board.pipeline);
  g_mutex_clear (&board.lock);
  return ok;
}

/* yg-probe.c: the safe probe of an uploaded (hostile) file with libavformat.
 *
 * Decisions: the format is judged from content only (our own read of the first
 * MiB, av_probe_input_format3() with no file name) and must be in
 * allowed_formats[]; that demuxer is then forced, with format_whitelist set so
 * nested contexts (AVI GAB2 subtitles) cannot start another demuxer. I/O is
 * "file:" + path with protocol_whitelist "file" (option and field, inherited by
 * nested opens) through our io_open, which allows exactly one open of that URL
 * and rejects the upload if a demuxer tries any other; mov drefs are off.
 * Work is bounded: probesize, analyzeduration, fpsprobesize, max_streams,
 * decoders with threads=1 and max_pixels, an interrupt callback with a
 * wall-clock deadline that also aborts at too many streams; size, streams and
 * duration are checked from the headers before decoding and again after, then
 * a bounded number of packets must come out. av_log goes to g_debug.
 * Thread: any, several calls at once; state is per call, init via g_once.
 */
#define G_LOG_DOMAIN "yg-transcode"

#include "yg-probe.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>

G_DEFINE_QUARK (yg-probe-error-quark, yg_probe_error)

/* --- what is accepted ----------------------------------------------------- */

/* The containers staff actually bring (phones, cameras, camcorders, editing
 * programs, DVD rips, old Windows and Flash archives, broadcast MXF, DV tape
 * captures, audio recorders), each of which GStreamer demuxes with an explicit
 * element. None of these demuxers opens other files or URLs (mov's external
 * data references are disabled below). Deliberately absent: every playlist or
 * reference format (hls, dash, concat, sdp, rtsp/rtp, webm_dash_manifest,
 * vobsub), images and image sequences (image2, *_pipe, gif, apng), lavfi,
 * tty/text, data, subtitle-only formats and raw elementary streams. */
typedef struct
{
  const char *demuxer; /* exact AVInputFormat name */
  const char *family;  /* YgProbeInfo.container (refined for mov and matroska) */
  const char *label;   /* for messages */
} AllowedFormat;

static const AllowedFormat allowed_formats[] = {
  { "mov,mp4,m4a,3gp,3g2,mj2", "mp4",      "MP4/MOV" },
  { "matroska,webm",           "matroska", "MKV/WebM" },
  { "mpegts",                  "mpegts",   "MPEG-TS" },
  { "mpeg",                    "mpeg-ps",  "MPEG (VOB/MPG)" },
  { "avi",                     "avi",      "AVI" },
  { "flv",                     "flv",      "FLV" },
  { "asf",                     "asf",      "WMV/WMA" },
  { "mxf",                     "mxf",      "MXF" },
  { "dv",                      "dv",       "DV" },
  { "wav",                     "wav",      "WAV" },
  { "aiff",                    "aiff",     "AIFF" },
  { "mp3",                     "mp3",      "MP3" },
  { "flac",                    "flac",     "FLAC" },
  { "ogg",                     "ogg",      "Ogg" },
  { "aac",                     "aac",      "AAC" },
};

#define ACCEPTED_LIST \
  "MP4, MOV, MKV, WebM, AVI, MPEG-TS, MPG/VOB, FLV, WMV, MXF or DV video, " \
  "or WAV, AIFF, MP3, FLAC, Ogg or AAC audio"

/* What a refused format looks like, for the message. Exact demuxer names;
 * other "*_pipe" demuxers are images, anything else uses FFmpeg's long name. */
static const struct
{
  const char *demuxer;
  const char *looks_like;
} refused_formats[] = {
  { "hls", "an HLS streaming playlist (.m3u8), which only points to other files" },
  { "dash", "a DASH streaming manifest, which only points to other files" },
  { "webm_dash_manifest", "a DASH streaming manifest, which only points to other files" },
  { "concat", "an FFmpeg concat script, a list of other files" },
  { "sdp", "an SDP description of a network stream" },
  { "rtsp", "an RTSP description of a network stream" },
  { "rtp", "an RTP network stream" },
  { "vobsub", "DVD subtitles, which point to another file" },
  { "jpeg_pipe", "a JPEG photo" },
  { "png_pipe", "a PNG image" },
  { "webp_pipe", "a WebP image" },
  { "gif", "a GIF image" },
  { "apng", "an animated PNG image" },
  { "tty", "a text file" },
  { "ffmetadata", "an FFmpeg metadata text file" },
  { "srt", "a subtitle file" },
  { "ass", "a subtitle file" },
  { "webvtt", "a subtitle file" },
  { "microdvd", "a subtitle file" },
  { "subviewer", "a subtitle file" },
  { "subviewer1", "a subtitle file" },
  { "sami", "a subtitle file" },
  { "lrc", "a lyrics file" },
  { "h264", "a bare H.264 video stream without a container" },
  { "hevc", "a bare H.265 video stream without a container" },
  { "mpegvideo", "a bare MPEG video stream without a container" },
  { "m4v", "a bare MPEG-4 video stream without a container" },
  { "mjpeg", "a bare Motion-JPEG stream without a container" },
  { "mpjpeg", "a multipart JPEG camera stream" },
};

/* Detection: FFmpeg's PROBE_BUF_MAX; windows as in av_probe_input_buffer2(),
 * which would settle for any score > 0 at the end. We want a real match:
 * random bytes can "look like" MP3 or H.263 with scores of 1..25, while an
 * allowlisted container scores 50..100 (MPEG-PS: 25..52). */
#define DETECT_MAX_BYTES   (1 << 20)
#define DETECT_MIN_SCORE   (AVPROBE_SCORE_EXTENSION / 2)

/* Packet check after avformat_find_stream_info(). */
#define CHECK_MAX_PACKETS  256
#define CHECK_MAX_BYTES    (32 * 1024 * 1024)

static const YgProbeLimits default_limits = {
  .max_width = 4096,
  .max_height = 2304,
  .max_duration = 12 * 3600.0,
  .max_streams = 16,
  .probesize = 10 * 1000 * 1000,       /* 2 x FFmpeg's default */
  .analyzeduration_us = 10 * 1000000,  /* 2 x FFmpeg's default */
  .timeout = 30.0,
};

/**
 * yg_probe_limits_default:
 *
 * Returns: (transfer none): 4096x2304 (either orientation), 12 hours,
 *   16 streams, 10 MB / 10 s of analysis, 30 s wall clock. Copy it to change
 *   a field.
 */
const YgProbeLimits *
yg_probe_limits_default (void)
{
  return &default_limits;
}

/* --- per-call state ------------------------------------------------------- */

typedef int (*IoOpenFunc) (AVFormatContext *s, AVIOContext **pb, const char *url, int flags,
                           AVDictionary **options);

typedef struct
{
  gint64           deadline;        /* g_get_monotonic_time() units */
  guint            max_streams;     /* the limit */
  const char      *url;             /* the one URL io_open may open */
  IoOpenFunc       default_io_open;
  AVFormatContext *ctx;             /* while it exists */
  guint            n_opens;
  guint            streams_seen;    /* most streams observed */
  gboolean         timed_out;
  gboolean         too_many_streams;
  gboolean         stream_cap_hit;  /* libav refused a stream over max_streams */
  gboolean         refused_open;    /* a demuxer tried to open something else */
} ProbeState;

static int
probe_interrupt (void *opaque)
{
  ProbeState *st = opaque;

  if (g_get_monotonic_time () >= st->deadline)
    st->timed_out = TRUE;
  if (st->ctx != NULL)
    {
      st->streams_seen = MAX (st->streams_seen, st->ctx->nb_streams);
      if (st->ctx->nb_streams > st->max_streams)
        st->too_many_streams = TRUE;
    }
  return st->timed_out || st->too_many_streams;
}

static int
probe_io_open (AVFormatContext *s, AVIOContext **pb, const char *url, int flags,
               AVDictionary **options)
{
  ProbeState *st = s->opaque;

  if (st->n_opens > 0 || (flags & AVIO_FLAG_WRITE) || g_strcmp0 (url, st->url) != 0)
    {
      g_autofree char *escaped = g_strescape (url != NULL ? url : "(null)", NULL);

      st->refused_open = TRUE;
      g_info ("probe: refused an attempt by the %s demuxer to open \"%s\"",
              s->iformat != NULL ? s->iformat->name : "?", escaped);
      return AVERROR (EPERM);
    }
  st->n_opens++;
  return st->default_io_open (s, pb, url, flags, options);
}

/* --- one-time init: av_log to g_debug ------------------------------------ */

static void
av_log_to_glib (void *avcl, int level, const char *fmt, va_list vl)
{
  const AVClass *avc = avcl != NULL ? *(const AVClass **) avcl : NULL;
  char line[1024];
  int print_prefix = 1;
  gsize len;

  if (level > AV_LOG_WARNING)
    return;
  /* Notice a stream refused by max_streams in one of our contexts (the
   * context is freed when avformat_open_input() fails, so this is the only
   * trace of it). Identified by our io_open, so s->opaque is ours. */
  if (avc == avformat_get_class () && strstr (fmt, "max_streams") != NULL)
    {
      AVFormatContext *s = avcl;
      if (s->io_open == probe_io_open)
        ((ProbeState *) s->opaque)->stream_cap_hit = TRUE;
    }
  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    {
      av_log_format_line2 (avcl, level, fmt, vl, line, sizeof line, &print_prefix);
      len = strlen (line);
      while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
      g_debug ("libav: %s", line);
    }
}

static void
probe_init_once (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      /* The callback is process-wide; a library loaded later (gst-libav) may
       * replace it, which only loses the debug routing and the cap hint. */
      av_log_set_callback (av_log_to_glib);
      g_once_init_leave (&done, 1);
    }
}

/* --- small helpers -------------------------------------------------------- */

static const AllowedFormat *
find_allowed (const char *demuxer)
{
  for (gsize i = 0; i < G_N_ELEMENTS (allowed_formats); i++)
    if (g_str_equal (allowed_formats[i].demuxer, demuxer))
      return &allowed_formats[i];
  return NULL;
}

static char *
build_format_whitelist (void)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (allowed_formats); i++)
    {
      if (s->len > 0)
        g_string_append_c (s, ',');
      g_string_append (s, allowed_formats[i].demuxer);
    }
  return g_string_free (s, FALSE);
}

static gboolean
looks_like_text (const guint8 *buf, gsize n)
{
  const char *end = NULL;

  n = MIN (n, 4096);
  if (n == 0 || memchr (buf, '\0', n) != NULL)
    return FALSE;
  /* allow a multi-byte character cut at the end of the window */
  if (!g_utf8_validate ((const char *) buf, (gssize) n, &end))
    return (gsize) ((const guint8 *) end - buf) + 4 > n;
  return TRUE;
}

static char *
describe_refused (const AVInputFormat *fmt, const guint8 *head, gsize n_head)
{
  if (fmt != NULL)
    {
      for (gsize i = 0; i < G_N_ELEMENTS (refused_formats); i++)
        if (g_str_equal (refused_formats[i].demuxer, fmt->name))
          return g_strdup (refused_formats[i].looks_like);
      if (g_str_has_suffix (fmt->name, "_pipe"))
        return g_strdup ("a still image");
      if (find_allowed (fmt->name) == NULL && fmt->long_name != NULL)
        return g_strdup_printf ("a file of the type “%s”", fmt->long_name);
    }
  if (looks_like_text (head, n_head))
    return g_strdup ("a text file");
  return g_strdup ("a kind of file Yunguan does not recognise");
}

static char *
format_duration (double seconds)
{
  guint64 s = seconds > 0 ? (guint64) (seconds + 0.5) : 0;

  if (s >= 3600)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " h %02u min", s / 3600,
                            (guint) (s % 3600 / 60));
  if (s >= 60)
    return g_strdup_printf ("%u min %02u s", (guint) (s / 60), (guint) (s % 60));
  return g_strdup_printf ("%.1f s", seconds);
}

static gboolean
is_attached_picture (const AVStream *s)
{
  return (s->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0;
}

static gboolean
is_media_stream (const AVStream *s)
{
  enum AVMediaType t = s->codecpar->codec_type;

  return t == AVMEDIA_TYPE_AUDIO || (t == AVMEDIA_TYPE_VIDEO && !is_attached_picture (s));
}

static double
stream_seconds (const AVStream *s, int64_t ts)
{
  if (ts == AV_NOPTS_VALUE || ts <= 0 || s->time_base.num <= 0 || s->time_base.den <= 0)
    return -1;
  return (double) ts * av_q2d (s->time_base);
}

/* The longest duration the file claims for itself or an audio/video stream. */
static double
claimed_duration (const AVFormatContext *ctx)
{
  double d = -1;

  if (ctx->duration != AV_NOPTS_VALUE && ctx->duration > 0)
    d = (double) ctx->duration / AV_TIME_BASE;
  for (guint i = 0; i < ctx->nb_streams; i++)
    if (is_media_stream (ctx->streams[i]))
      d = MAX (d, stream_seconds (ctx->streams[i], ctx->streams[i]->duration));
  return d;
}

/* Orientation-free: a portrait 2160x3840 is as big as a landscape 3840x2160. */
static gboolean
dimensions_ok (guint w, guint h, const YgProbeLimits *limits)
{
  guint long_side = MAX (w, h), short_side = MIN (w, h);

  return long_side <= MAX (limits->max_width, limits->max_height)
         && short_side <= MIN (limits->max_width, limits->max_height)
         && (guint64) w * h <= (guint64) limits->max_width * limits->max_height;
}

/* Clockwise degrees that turn the stored picture upright (av_display_rotation_get
 * is counter-clockwise), to the nearest quarter turn; mirroring is ignored. */
static int
rotation_of (const AVStream *s)
{
  size_t size = 0;
  const int32_t *m = (const int32_t *) av_stream_get_side_data (s, AV_PKT_DATA_DISPLAYMATRIX,
                                                                &size);
  double cw;
  long quarters;

  if (m == NULL || size < 9 * sizeof (int32_t))
    return 0;
  cw = -av_display_rotation_get (m);
  if (isnan (cw))
    return 0;
  quarters = (long) (cw >= 0 ? cw / 90.0 + 0.5 : cw / 90.0 - 0.5);
  quarters %= 4;
  if (quarters < 0)
    quarters += 4;
  return (int) quarters * 90;
}

/* --- errors ---------------------------------------------------------------- */

/**
 * yg_probe_error_code:
 * @error: an error from yg_probe_file()
 *
 * Returns: (transfer none) (nullable): the stable machine code for a
 *   YG_PROBE_ERROR, %NULL for an error of another domain
 */
const char *
yg_probe_error_code (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != YG_PROBE_ERROR)
    return NULL;
  switch ((YgProbeError) error->code)
    {
    case YG_PROBE_ERROR_UNSUPPORTED_FORMAT:
      return "unsupported_format";
    case YG_PROBE_ERROR_TOO_LARGE:
      return "too_large";
    case YG_PROBE_ERROR_TOO_LONG:
      return "too_long";
    case YG_PROBE_ERROR_TOO_MANY_STREAMS:
      return "too_many_streams";
    case YG_PROBE_ERROR_NO_MEDIA_STREAMS:
      return "no_media_streams";
    case YG_PROBE_ERROR_CORRUPT:
      return "corrupt";
    case YG_PROBE_ERROR_EMPTY:
      return "empty_file";
    case YG_PROBE_ERROR_IO:
      return "io_error";
    }
  return "corrupt";
}

static void
set_unsupported (GError **error, const char *looks_like)
{
  g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_UNSUPPORTED_FORMAT,
               "This file is not a video or audio recording Yunguan accepts: it looks like %s. "
               "Upload the recording itself, as " ACCEPTED_LIST ".",
               looks_like);
}

static void
set_too_many_streams (GError **error, guint n, gboolean at_least, guint max)
{
  g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_TOO_MANY_STREAMS,
               "This file contains %s%u tracks; Yunguan accepts at most %u (video, audio, "
               "subtitle and other tracks together). Export it again with only the tracks "
               "you need, usually one video and one audio track, and upload that.",
               at_least ? "more than " : "", n, max);
}

static void
set_io_error (GError **error, int errsv)
{
  g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_IO,
               "Yunguan could not read the uploaded file (%s). Try the upload again; if it "
               "keeps failing, tell the system administrator.",
               g_strerror (errsv));
}

static void
set_corrupt (GError **error, const AllowedFormat *af)
{
  g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_CORRUPT,
               "This %s file is damaged or incomplete, so Yunguan cannot read it. If the "
               "upload was interrupted, upload the file again; otherwise export the "
               "recording again from the camera or editing program.",
               af->label);
}

/* The one place where libav error codes become YG_PROBE_ERROR. The flags in
 * @st take precedence: they say why libav gave up when its code cannot (an
 * interrupt is AVERROR_EXIT, a refused stream is AVERROR(ENOMEM)). */
static void
probe_error_from_averror (GError **error, const ProbeState *st, const AllowedFormat *af,
                          int averr, const char *stage)
{
  char msg[AV_ERROR_MAX_STRING_SIZE] = "";

  av_strerror (averr, msg, sizeof msg);
  g_debug ("probe: %s failed: %s (%d)", stage, msg, averr);

  if (st->refused_open)
    set_unsupported (error, "a file that refers to other files or network addresses");
  else if (st->too_many_streams || st->stream_cap_hit)
    set_too_many_streams (error, st->max_streams, TRUE, st->max_streams); /* aborted: no full count */
  else if (st->timed_out || averr == AVERROR_EXIT)
    g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_CORRUPT,
                 "Yunguan gave up reading this %s file because it took too long; it is "
                 "probably damaged. Export the recording again from the camera or editing "
                 "program and upload that.",
                 af->label);
  else if (averr == AVERROR (ENOENT) || averr == AVERROR (EACCES) || averr == AVERROR (EIO)
           || averr == AVERROR (EISDIR) || averr == AVERROR (ENXIO) || averr == AVERROR (ENODEV)
           || averr == AVERROR (EPERM) || averr == AVERROR (ENOTDIR) || averr == AVERROR (ELOOP))
    set_io_error (error, AVUNERROR (averr));
  else if (averr == AVERROR_PATCHWELCOME || averr == AVERROR (ENOSYS)
           || averr == AVERROR_DECODER_NOT_FOUND || averr == AVERROR_DEMUXER_NOT_FOUND
           || averr == AVERROR_PROTOCOL_NOT_FOUND)
    g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_UNSUPPORTED_FORMAT,
                 "This %s file uses a feature Yunguan cannot read. Export the recording "
                 "again as MP4 (H.264 video, AAC audio) and upload that.",
                 af->label);
  else if (g_str_equal (af->family, "mp4") && g_str_equal (stage, "opening"))
    /* mov's read_header fails this way above all when the index is missing */
    g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_CORRUPT,
                 "This MP4/MOV file is incomplete or damaged: its index is missing, which "
                 "usually means the upload or the recording was cut off before the end. "
                 "Upload the complete file again; if it was never finished (the camera "
                 "lost power), export it again from the camera or editing program.");
  else
    set_corrupt (error, af);
}

/* --- the probe ------------------------------------------------------------- */

/* Reads up to @max bytes from the start of @path with plain I/O. Non-blocking
 * open, so a FIFO cannot hang us; only regular files are accepted. */
static guint8 *
read_head (const char *path, gsize max, gsize *n_read, gint64 *size, GError **error)
{
  g_autofree guint8 *buf = NULL;
  struct stat sb;
  gsize want, have = 0;
  int fd, errsv;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0)
    {
      set_io_error (error, errno);
      return NULL;
    }
  if (fstat (fd, &sb) != 0)
    {
      errsv = errno;
      g_close (fd, NULL);
      set_io_error (error, errsv);
      return NULL;
    }
  if (!S_ISREG (sb.st_mode))
    {
      g_close (fd, NULL);
      g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_IO,
                   "Yunguan could not read the uploaded file (it is not a regular file). Try "
                   "the upload again; if it keeps failing, tell the system administrator.");
      return NULL;
    }
  if (sb.st_size == 0)
    {
      g_close (fd, NULL);
      g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_EMPTY,
                   "This file is empty (0 bytes), so the upload probably failed. Upload the "
                   "recording again.");
      return NULL;
    }
  want = (gsize) MIN ((guint64) sb.st_size, (guint64) max);
  buf = g_malloc (want);
  while (have < want)
    {
      gssize r = read (fd, buf + have, want - have);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          errsv = errno;
          g_close (fd, NULL);
          set_io_error (error, errsv);
          return NULL;
        }
      if (r == 0)
        break;
      have += (gsize) r;
    }
  g_close (fd, NULL);
  if (have == 0)
    {
      g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_EMPTY,
                   "This file is empty (0 bytes), so the upload probably failed. Upload the "
                   "recording again.");
      return NULL;
    }
  *n_read = have;
  *size = (gint64) sb.st_size;
  return g_steal_pointer (&buf);
}

/* Growing windows as av_probe_input_buffer2() does, but on our own copy,
 * zero-padded, and with no file name. */
static const AVInputFormat *
detect_format (const guint8 *head, gsize n_head, int *score_out)
{
  g_autofree guint8 *buf = g_malloc (n_head + AVPROBE_PADDING_SIZE);
  const AVInputFormat *fmt = NULL;
  int score = 0;

  for (gsize size = MIN (n_head, 2048);; size = MIN (size * 2, n_head))
    {
      AVProbeData pd = { .filename = "", .buf = buf, .buf_size = (int) size };

      memcpy (buf, head, size);
      memset (buf + size, 0, AVPROBE_PADDING_SIZE);
      fmt = av_probe_input_format3 (&pd, 1, &score);
      if ((fmt != NULL && score > AVPROBE_SCORE_RETRY) || size >= n_head)
        break;
    }
  *score_out = fmt != NULL ? score : 0;
  return fmt;
}

static const char *
refine_family (const AllowedFormat *af, const AVFormatContext *ctx, const guint8 *head,
               gsize n_head)
{
  if (g_str_equal (af->family, "mp4"))
    {
      const AVDictionaryEntry *e = av_dict_get (ctx->metadata, "major_brand", NULL, 0);
      const char *brand = e != NULL ? e->value : "";

      if (g_str_has_prefix (brand, "qt"))
        return "mov";
      if (g_str_has_prefix (brand, "M4A") || g_str_has_prefix (brand, "M4B"))
        return "m4a";
      if (g_str_has_prefix (brand, "3g"))
        return "3gp";
      return "mp4";
    }
  if (g_str_equal (af->family, "matroska"))
    {
      /* EBML header DocType (0x4282), length 4, "webm" */
      static const guint8 webm_doctype[] = { 0x42, 0x82, 0x84, 'w', 'e', 'b', 'm' };
      if (memmem (head, MIN (n_head, 64), webm_doctype, sizeof webm_doctype) != NULL)
        return "webm";
    }
  return af->family;
}

/* Checks what the headers say; valid before and after find_stream_info. */
static gboolean
check_limits (const AVFormatContext *ctx, const AllowedFormat *af, const YgProbeLimits *limits,
              ProbeState *st, GError **error)
{
  double duration;

  st->streams_seen = MAX (st->streams_seen, ctx->nb_streams);
  if (ctx->nb_streams > limits->max_streams || st->too_many_streams)
    {
      set_too_many_streams (error, st->streams_seen, FALSE, limits->max_streams);
      return FALSE;
    }
  for (guint i = 0; i < ctx->nb_streams; i++)
    {
      const AVStream *s = ctx->streams[i];
      const AVCodecParameters *par = s->codecpar;

      if (par->codec_type != AVMEDIA_TYPE_VIDEO || is_attached_picture (s))
        continue;
      if (par->width < 0 || par->height < 0)
        {
          set_corrupt (error, af);
          return FALSE;
        }
      if (!dimensions_ok ((guint) par->width, (guint) par->height, limits))
        {
          g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_TOO_LARGE,
                       "This video is %d×%d pixels; Yunguan accepts at most %u×%u "
                       "(landscape or portrait). Export it again at a smaller size, for "
                       "example 1920×1080, and upload that.",
                       par->width, par->height, limits->max_width, limits->max_height);
          return FALSE;
        }
    }
  duration = claimed_duration (ctx);
  if (duration > limits->max_duration)
    {
      g_autofree char *have = format_duration (duration);
      g_autofree char *max = format_duration (limits->max_duration);

      g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_TOO_LONG,
                   "This recording is %s long (according to the file); Yunguan accepts at "
                   "most %s. Split it into shorter parts and upload them one by one.",
                   have, max);
      return FALSE;
    }
  return TRUE;
}

static int
find_stream (AVFormatContext *ctx, enum AVMediaType type)
{
  int best = av_find_best_stream (ctx, type, -1, -1, NULL, 0);

  if (best >= 0 && !is_attached_picture (ctx->streams[best]))
    return best;
  for (guint i = 0; i < ctx->nb_streams; i++)
    if (ctx->streams[i]->codecpar->codec_type == type && is_media_stream (ctx->streams[i]))
      return (int) i;
  return -1;
}

/* After find_stream_info: there is audio or video, libav knows its codec and
 * (for video) its size. */
static gboolean
check_media (AVFormatContext *ctx, const AllowedFormat *af, int *video, int *audio,
             GError **error)
{
  *video = find_stream (ctx, AVMEDIA_TYPE_VIDEO);
  *audio = find_stream (ctx, AVMEDIA_TYPE_AUDIO);

  if (*video < 0 && *audio < 0)
    {
      g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_NO_MEDIA_STREAMS,
                   "This %s file contains no video or audio, only other data (such as "
                   "subtitles or a cover picture). Upload the recording itself.",
                   af->label);
      return FALSE;
    }
  for (int k = 0; k < 2; k++)
    {
      int i = k == 0 ? *video : *audio;
      const AVCodecParameters *par;

      if (i < 0)
        continue;
      par = ctx->streams[i]->codecpar;
      if (par->codec_id == AV_CODEC_ID_NONE)
        {
          g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_UNSUPPORTED_FORMAT,
                       "The %s in this %s file is stored in a format Yunguan cannot read. "
                       "Export the recording again as MP4 (H.264 video, AAC audio) and "
                       "upload that.",
                       k == 0 ? "video" : "audio", af->label);
          return FALSE;
        }
      if (k == 0 && (par->width <= 0 || par->height <= 0))
        {
          set_corrupt (error, af);
          return FALSE;
        }
    }
  return TRUE;
}

/* An index (mov: complete, others: what was seen) that points past the end
 * of the file means the file was cut off. */
static gboolean
check_index (AVFormatContext *ctx, const AllowedFormat *af, gint64 size, GError **error)
{
  for (guint i = 0; i < ctx->nb_streams; i++)
    {
      AVStream *s = ctx->streams[i];
      int n = avformat_index_get_entries_count (s);
      const AVIndexEntry *e = n > 0 ? avformat_index_get_entry (s, n - 1) : NULL;

      if (e != NULL && e->pos >= 0 && e->pos + e->size > size)
        {
          g_debug ("probe: stream %u: last index entry ends at %" G_GINT64_FORMAT
                   ", file has %" G_GINT64_FORMAT " bytes",
                   i, (gint64) (e->pos + e->size), size);
          g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_CORRUPT,
                       "This %s file is incomplete: it is shorter than its own index says, "
                       "which usually means the upload was cut off. Upload the complete "
                       "file again.",
                       af->label);
          return FALSE;
        }
    }
  return TRUE;
}

/* The container must actually yield packets of the chosen streams. */
static gboolean
check_packets (AVFormatContext *ctx, ProbeState *st, const AllowedFormat *af, int video,
               int audio, GError **error)
{
  AVPacket *pkt = av_packet_alloc ();
  gboolean got_video = video < 0, got_audio = audio < 0;
  gint64 bytes = 0;
  int ret = 0;

  for (guint i = 0; i < ctx->nb_streams; i++)
    if ((int) i != video && (int) i != audio)
      ctx->streams[i]->discard = AVDISCARD_ALL;

  for (guint n = 0; n < CHECK_MAX_PACKETS && bytes < CHECK_MAX_BYTES; n++)
    {
      ret = av_read_frame (ctx, pkt);
      if (ret < 0)
        break;
      bytes += pkt->size;
      if (pkt->size > 0 && pkt->stream_index == video)
        got_video = TRUE;
      if (pkt->size > 0 && pkt->stream_index == audio)
        got_audio = TRUE;
      av_packet_unref (pkt);
      if (got_video && got_audio)
        break;
    }
  av_packet_free (&pkt);
  if (got_video && got_audio)
    return TRUE;
  if ((video >= 0 && got_video) || (audio >= 0 && got_audio))
    {
      g_debug ("probe: only %s packets in the first %" G_GINT64_FORMAT " bytes",
               got_video ? "video" : "audio", bytes);
      return TRUE;
    }
  if (ret < 0 && ret != AVERROR_EOF)
    {
      probe_error_from_averror (error, st, af, ret, "reading packets");
      return FALSE;
    }
  g_set_error (error, YG_PROBE_ERROR, YG_PROBE_ERROR_CORRUPT,
               "This %s file describes a recording but contains no readable video or audio "
               "data; it is damaged or incomplete. Upload the complete file again, or export "
               "it again from the camera or editing program.",
               af->label);
  return FALSE;
}

static YgProbeInfo *
describe (AVFormatContext *ctx, const char *family, gint64 size, int video, int audio)
{
  g_autoptr (YgProbeInfo) info = g_new0 (YgProbeInfo, 1);
  double d;

  info->container = g_strdup (family);
  info->demuxer = g_strdup (ctx->iformat->name);
  info->size = size;
  info->n_streams = ctx->nb_streams;
  info->video_stream = video;
  info->audio_stream = audio;

  d = ctx->duration != AV_NOPTS_VALUE && ctx->duration > 0
        ? (double) ctx->duration / AV_TIME_BASE
        : claimed_duration (ctx);
  info->duration = d > 0 ? d : -1;

  if (video >= 0)
    {
      AVStream *s = ctx->streams[video];
      const AVCodecParameters *par = s->codecpar;
      AVRational fr = av_guess_frame_rate (ctx, s, NULL);
      const char *pix = par->format >= 0 ? av_get_pix_fmt_name ((enum AVPixelFormat) par->format) : NULL;

      info->has_video = TRUE;
      info->video_codec = g_strdup (avcodec_get_name (par->codec_id));
      info->pixel_format = g_strdup (pix);
      info->width = (guint) par->width;
      info->height = (guint) par->height;
      info->fps = fr.num > 0 && fr.den > 0 ? av_q2d (fr) : 0;
      info->rotation = rotation_of (s);
      info->interlaced = par->field_order == AV_FIELD_TT || par->field_order == AV_FIELD_BB
                         || par->field_order == AV_FIELD_TB || par->field_order == AV_FIELD_BT;
      info->top_field_first = par->field_order == AV_FIELD_TT || par->field_order == AV_FIELD_TB;
      info->video_bitrate = par->bit_rate > 0 ? par->bit_rate : 0;
    }
  if (audio >= 0)
    {
      const AVCodecParameters *par = ctx->streams[audio]->codecpar;

      info->has_audio = TRUE;
      info->audio_codec = g_strdup (avcodec_get_name (par->codec_id));
      info->sample_rate = par->sample_rate > 0 ? (guint) par->sample_rate : 0;
      info->channels = par->ch_layout.nb_channels > 0 ? (guint) par->ch_layout.nb_channels : 0;
      info->audio_bitrate = par->bit_rate > 0 ? par->bit_rate : 0;
    }
  /* Containers that only know the total rate (MKV, MPEG-TS): the rest is video. */
  if (info->has_video && info->video_bitrate == 0 && ctx->bit_rate > info->audio_bitrate)
    info->video_bitrate = ctx->bit_rate - info->audio_bitrate;
  return g_steal_pointer (&info);
}

static void
set_option_int (AVDictionary **opts, const char *key, gint64 value)
{
  av_dict_set_int (opts, key, value, 0);
}

static void
free_stream_options (AVDictionary **opts, guint n)
{
  for (guint i = 0; i < n; i++)
    av_dict_free (&opts[i]);
  g_free (opts);
}

/**
 * yg_probe_file:
 * @path: the uploaded file (a regular file; its name is never used to guess
 *   the format)
 * @limits: (nullable): limits, %NULL for yg_probe_limits_default()
 * @error: return location for a YG_PROBE_ERROR
 *
 * Probes @path safely; see the top of yg-probe.c for what that means. The
 * error message is meant for staff and never contains the path.
 *
 * Returns: (transfer full) (nullable): the description, or %NULL with @error set
 */
YgProbeInfo *
yg_probe_file (const char *path, const YgProbeLimits *limits, GError **error)
{
  g_autofree guint8 *head = NULL;
  g_autofree char *url = NULL;
  g_autofree char *whitelist = NULL;
  const AVInputFormat *fmt;
  const AllowedFormat *af;
  AVFormatContext *ctx = NULL;
  AVDictionary *opts = NULL;
  AVDictionary **stream_opts;
  ProbeState st = { 0 };
  YgProbeInfo *info = NULL;
  const char *family;
  gsize n_head = 0;
  gint64 size = 0;
  guint n_stream_opts;
  int score = 0, ret, video = -1, audio = -1;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (limits == NULL)
    limits = &default_limits;
  g_return_val_if_fail (limits->max_width > 0 && limits->max_height > 0, NULL);
  g_return_val_if_fail (limits->max_duration > 0 && limits->max_streams > 0, NULL);
  g_return_val_if_fail (limits->probesize >= 32 && limits->analyzeduration_us > 0, NULL);
  g_return_val_if_fail (limits->timeout > 0, NULL);

  probe_init_once ();
  st.deadline = g_get_monotonic_time () + (gint64) (limits->timeout * G_USEC_PER_SEC);
  st.max_streams = limits->max_streams;

  /* 1. What is it, judged by our own read of its first bytes? */
  head = read_head (path, DETECT_MAX_BYTES, &n_head, &size, error);
  if (head == NULL)
    return NULL;
  fmt = detect_format (head, n_head, &score);
  af = fmt != NULL && score >= DETECT_MIN_SCORE ? find_allowed (fmt->name) : NULL;
  g_debug ("probe: detected %s (score %d)", fmt != NULL ? fmt->name : "nothing", score);
  if (af == NULL)
    {
      g_autofree char *looks_like = describe_refused (fmt, head, n_head);
      set_unsupported (error, looks_like);
      return NULL;
    }

  /* 2. Open it with that demuxer only, through the file protocol only. */
  ctx = avformat_alloc_context ();
  if (ctx == NULL)
    g_error ("%s: out of memory", G_STRLOC);
  whitelist = build_format_whitelist ();
  url = g_strconcat ("file:", path, NULL);
  st.url = url;
  st.ctx = ctx;
  st.default_io_open = ctx->io_open;
  ctx->io_open = probe_io_open;
  ctx->opaque = &st;
  ctx->interrupt_callback.callback = probe_interrupt;
  ctx->interrupt_callback.opaque = &st;
  ctx->protocol_whitelist = av_strdup ("file");
  ctx->format_whitelist = av_strdup (whitelist);
  /* Drop packets a demuxer marks corrupt, so garbage cannot pass the packet check. */
  ctx->flags |= AVFMT_FLAG_DISCARD_CORRUPT;

  av_dict_set (&opts, "protocol_whitelist", "file", 0);
  av_dict_set (&opts, "format_whitelist", whitelist, 0);
  av_dict_set (&opts, "safe", "1", 0);              /* concat: no unsafe paths (never allowed anyway) */
  av_dict_set (&opts, "enable_drefs", "0", 0);      /* mov: no external data references */
  av_dict_set (&opts, "use_absolute_path", "0", 0); /* mov: likewise */
  set_option_int (&opts, "probesize", limits->probesize);
  set_option_int (&opts, "analyzeduration", limits->analyzeduration_us);
  set_option_int (&opts, "fpsprobesize", 20);
  /* Streams over the limit are refused with a count, up to this cap; past it
   * libav itself stops creating them (stream_cap_hit). */
  set_option_int (&opts, "max_streams", MIN (1000, MAX (64, 4 * (gint64) limits->max_streams)));

  ret = avformat_open_input (&ctx, url, fmt, &opts);
  av_dict_free (&opts);
  if (ret < 0)
    {
      st.ctx = NULL; /* freed by avformat_open_input */
      probe_error_from_averror (error, &st, af, ret, "opening");
      return NULL;
    }
  family = refine_family (af, ctx, head, n_head);

  /* 3. Refuse from the headers before decoding anything. */
  if (st.refused_open || st.timed_out || st.too_many_streams)
    {
      probe_error_from_averror (error, &st, af, AVERROR_EXIT, "opening");
      goto out;
    }
  if (!check_limits (ctx, af, limits, &st, error))
    goto out;

  /* 4. Stream parameters, decoders bounded by the picture size limit. */
  n_stream_opts = ctx->nb_streams;
  stream_opts = g_new0 (AVDictionary *, MAX (n_stream_opts, 1));
  for (guint i = 0; i < n_stream_opts; i++)
    {
      set_option_int (&stream_opts[i], "max_pixels",
                      (gint64) limits->max_width * limits->max_height);
      av_dict_set (&stream_opts[i], "threads", "1", 0);
    }
  ret = avformat_find_stream_info (ctx, n_stream_opts > 0 ? stream_opts : NULL);
  free_stream_options (stream_opts, n_stream_opts);
  if (ret < 0 || st.refused_open || st.timed_out || st.too_many_streams)
    {
      probe_error_from_averror (error, &st, af, ret < 0 ? ret : AVERROR_EXIT,
                                "reading stream information");
      goto out;
    }
  if (!check_limits (ctx, af, limits, &st, error)
      || !check_media (ctx, af, &video, &audio, error)
      || !check_index (ctx, af, size, error))
    goto out;

  /* 5. It must yield packets. */
  if (!check_packets (ctx, &st, af, video, audio, error))
    goto out;
  if (st.refused_open || st.timed_out || st.too_many_streams)
    {
      probe_error_from_averror (error, &st, af, AVERROR_EXIT, "reading packets");
      goto out;
    }

  info = describe (ctx, family, size, video, audio);

out:
  st.ctx = NULL;
  avformat_close_input (&ctx);
  return info;
}

void
yg_probe_info_free (YgProbeInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->container);
  g_free (info->demuxer);
  g_free (info->video_codec);
  g_free (info->pixel_format);
  g_free (info->audio_codec);
  g_free (info);
}

/**
 * yg_probe_info_to_string:
 *
 * Returns: (transfer full): one line for logs
 */
char *
yg_probe_info_to_string (const YgProbeInfo *info)
{
  GString *s;

  g_return_val_if_fail (info != NULL, NULL);

  s = g_string_new (NULL);
  g_string_append_printf (s, "container=%s demuxer=%s duration=%.3f size=%" G_GINT64_FORMAT
                          " streams=%u",
                          info->container, info->demuxer, info->duration, info->size,
                          info->n_streams);
  if (info->has_video)
    g_string_append_printf (s, " video=#%d:%s/%s %ux%u@%.3f rotation=%d %s vbr=%" G_GINT64_FORMAT,
                            info->video_stream, info->video_codec,
                            info->pixel_format ? info->pixel_format : "?", info->width,
                            info->height, info->fps, info->rotation,
                            !info->interlaced ? "progressive"
                            : info->top_field_first ? "interlaced-tff" : "interlaced-bff",
                            info->video_bitrate);
  else
    g_string_append (s, " video=none");
  if (info->has_audio)
    g_string_append_printf (s, " audio=#%d:%s %uHz %uch abr=%" G_GINT64_FORMAT,
                            info->audio_stream, info->audio_codec, info->sample_rate,
                            info->channels, info->audio_bitrate);
  else
    g_string_append (s, " audio=none");
  return g_string_free (s, FALSE);
}

/* transcode-test.c: the HLS ladder end to end, checked by real clients (suite "media").
 *
 * Sources are generated at test time with the ffmpeg CLI into a per-test
 * temporary directory (removed in teardown): a 720p clip with audio, a tiny
 * 320×240 one, WAV audio only, MP4 video only, interlaced anamorphic MPEG-2
 * in MPEG-TS, a rotated phone clip, corrupted and truncated files, a codec
 * outside the allowlist. yg_hls_transcode runs on the test's main thread
 * with preset ultrafast; its output is then judged by ffprobe/ffmpeg (every
 * variant decodes, durations, keyframes at every segment start, identical
 * boundaries across rungs, RESOLUTION/CODECS against the streams), by
 * GStreamer's playbin (plays master.m3u8 to EOS), and by yg-playlist's
 * parser (EVENT while growing, VOD + ENDLIST at the end). Progressive
 * publishing is checked inside the playable callback: the master exists and
 * every media playlist lists only complete segments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "yg-hls-pipeline.h"
#include "yg-playlist.h"
#include "yg-test-util.h"

#define TS_PACKET 188

typedef struct
{
  char *dir; /* the test's temporary root */
  char *out; /* dir/out: the job's output directory */
} Fixture;


static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fx->dir = g_dir_make_tmp ("yg-transcode-test-XXXXXX", &error);
  g_assert_no_error (error);
  fx->out = g_build_filename (fx->dir, "out", NULL);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  yg_test_rm_rf (fx->dir);
  g_free (fx->dir);
  g_free (fx->out);
}

/* --- processes ------------------------------------------------------------- */



/* ffprobe -v error [-select_streams S] -show_entries E -of csv=p=0 PATH.
 * Streams inside programs (MPEG-TS) are listed twice: for stream entries,
 * the first line is the answer. */
static char *
probe (const char *path, const char *streams, const char *entries)
{
  const char *argv[12];
  char *out = NULL;
  guint n = 0;

  argv[n++] = "ffprobe";
  argv[n++] = "-v";
  argv[n++] = "error";
  if (streams != NULL)
    {
      argv[n++] = "-select_streams";
      argv[n++] = streams;
    }
  argv[n++] = "-show_entries";
  argv[n++] = entries;
  argv[n++] = "-of";
  argv[n++] = "csv=p=0";
  argv[n++] = path;
  argv[n] = NULL;
  g_assert_true (yg_test_spawn (argv, &out, NULL));
  if (g_str_has_prefix (entries, "stream="))
    {
      gsize len;

      if (strchr (out, '\n') != NULL)
        *strchr (out, '\n') = '\0';
      len = strlen (out);
      while (len > 0 && out[len - 1] == ',') /* csv pads program-level rows */
        out[--len] = '\0';
    }
  return out;
}

static double
probe_duration (const char *path)
{
  g_autofree char *out = probe (path, NULL, "format=duration");

  return g_ascii_strtod (out, NULL);
}

/* A segment's video packets in decode order: the first one's PTS (90 kHz),
 * whether it is a keyframe, and how many keyframes there are in all. */
static gint64
first_video_packet (const char *segment, gboolean *key, guint *n_keys)
{
  const char *argv[] = { "ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                         "packet=pts,flags", "-of", "csv=p=0", segment, NULL };
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;
  g_auto (GStrv) fields = NULL;

  g_assert_true (yg_test_spawn (argv, &out, NULL));
  lines = g_strsplit (out, "\n", -1);
  *n_keys = 0;
  for (guint i = 0; lines[i] != NULL; i++)
    *n_keys += strchr (lines[i], 'K') != NULL;
  fields = g_strsplit (lines[0], ",", -1);
  g_assert_cmpuint (g_strv_length (fields), >=, 2);
  *key = strchr (fields[1], 'K') != NULL;
  return g_ascii_strtoll (fields[0], NULL, 10);
}

/* Decodes everything @path names; TRUE when ffmpeg says nothing at all. */
static gboolean
decodes_cleanly (const char *path)
{
  const char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-", NULL };
  g_autofree char *err = NULL;

  if (!yg_test_spawn (argv, NULL, &err))
    return FALSE;
  if (err[0] != '\0')
    g_test_message ("ffmpeg on %s: %s", path, err);
  return err[0] == '\0';
}

static void
assert_no_temporaries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_false (g_str_has_suffix (name, ".tmp"));
      g_assert_false (name[0] == '.');
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        assert_no_temporaries (path);
    }
}

/* --- running a job ------------------------------------------------------- */

typedef struct
{
  Fixture *fx;
  gint64 started_us;
  gint64 last_progress_us;
  gint64 max_progress_gap_us;
  double last_fraction;
  gboolean fraction_went_back;
  guint progress_calls;
  guint segments;
  gboolean playable;
  guint playable_calls;
  guint segments_at_playable;
  GCancellable *cancel_on_segment;
  guint64 nominal_bandwidths[8]; /* master at "playable", in order */
} Run;

static gchar *
read_text (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  return text;
}

static YgMasterPlaylist *
load_master (const char *out)
{
  g_autofree char *path = g_build_filename (out, "master.m3u8", NULL);
  g_autofree char *text = read_text (path);
  g_autoptr (GError) error = NULL;
  YgMasterPlaylist *master = yg_master_playlist_parse (text, &error);

  g_assert_no_error (error);
  return master;
}

static YgMediaPlaylist *
load_media (const char *out, const char *uri)
{
  g_autofree char *path = g_build_filename (out, uri, NULL);
  g_autofree char *text = read_text (path);
  g_autoptr (GError) error = NULL;
  YgMediaPlaylist *media = yg_media_playlist_parse (text, &error);

  g_assert_no_error (error);
  return media;
}

/* A listed segment must be complete: whole TS packets, starting with a sync byte. */
static void
assert_segment_complete (const char *path)
{
  g_autofree char *data = NULL;
  gsize size = 0;

  g_assert_false (g_str_has_suffix (path, ".tmp"));
  g_assert_true (g_file_get_contents (path, &data, &size, NULL));
  g_assert_cmpuint (size, >, 0);
  g_assert_cmpuint (size % TS_PACKET, ==, 0);
  for (gsize off = 0; off < size; off += TS_PACKET)
    g_assert_cmpint (data[off], ==, 0x47);
}

static void
on_progress (double fraction, gpointer user_data)
{
  Run *run = user_data;
  gint64 now = g_get_monotonic_time ();

  g_assert_cmpfloat (fraction, >=, 0.0);
  g_assert_cmpfloat (fraction, <=, 1.0);
  if (fraction < run->last_fraction)
    run->fraction_went_back = TRUE;
  run->last_fraction = fraction;
  if (run->progress_calls > 0) /* from the first call on: building is not running */
    run->max_progress_gap_us = MAX (run->max_progress_gap_us, now - run->last_progress_us);
  run->last_progress_us = now;
  run->progress_calls++;
}

/* At the moment the job says "playable": the master exists, and every media
 * playlist it names is a growing EVENT playlist listing only complete files. */
static void
on_playable (const char *master_path, gpointer user_data)
{
  Run *run = user_data;
  g_autoptr (YgMasterPlaylist) master = NULL;

  run->playable_calls++;
  run->playable = TRUE;
  run->segments_at_playable = run->segments;
  g_assert_true (g_file_test (master_path, G_FILE_TEST_IS_REGULAR));
  master = load_master (run->fx->out);
  g_assert_cmpuint (master->variants->len, >, 0);
  for (guint i = 0; i < master->variants->len; i++)
    {
      const YgVariant *v = &g_array_index (master->variants, YgVariant, i);
      g_autoptr (YgMediaPlaylist) media = load_media (run->fx->out, v->uri);
      g_autofree char *dir = g_path_get_dirname (v->uri);

      /* Nothing measured yet: nominal (configured) rates, in whole kbit/s. */
      g_assert_cmpuint (v->average_bandwidth, ==, 0);
      g_assert_cmpuint (v->bandwidth % 1000, ==, 0);
      run->nominal_bandwidths[MIN (i, G_N_ELEMENTS (run->nominal_bandwidths) - 1)] = v->bandwidth;

      /* Every test source is longer than one segment, so this is mid-job. */
      g_assert_cmpuint (media->segments->len, >=, 1);
      g_assert_cmpint (media->type, ==, YG_PLAYLIST_TYPE_EVENT);
      g_assert_false (media->ended);
      for (guint s = 0; s < media->segments->len; s++)
        {
          const YgSegment *seg = &g_array_index (media->segments, YgSegment, s);
          g_autofree char *path = g_build_filename (run->fx->out, dir, seg->uri, NULL);
          assert_segment_complete (path);
        }
    }
}

static void
on_segment (const char *rung, guint index, double duration, gpointer user_data)
{
  Run *run = user_data;

  g_assert_cmpfloat (duration, >, 0.0);
  run->segments++;
  if (run->cancel_on_segment != NULL)
    g_cancellable_cancel (run->cancel_on_segment);
}

static gboolean
transcode (Fixture *fx, Run *run, const char *input, const YgSourceFacts *facts,
           YgTranscodeOptions *opts, YgTranscodeResult *result, GCancellable *cancellable,
           GError **error)
{
  YgTranscodeOptions defaults;
  gboolean ok;

  if (opts == NULL)
    {
      yg_transcode_options_init (&defaults);
      opts = &defaults;
    }
  opts->preset = "ultrafast";
  if (opts->timeout_seconds == 0)
    opts->timeout_seconds = 120;
  opts->progress = on_progress;
  opts->playable = on_playable;
  opts->segment_published = on_segment;
  opts->user_data = run;
  run->fx = fx;
  run->started_us = run->last_progress_us = g_get_monotonic_time ();
  ok = yg_hls_transcode (input, facts, fx->out, opts, result, cancellable, error);
  g_test_message ("transcode %s: %.2f s, %u segments%s%s", ok ? "ok" : "failed",
                  (g_get_monotonic_time () - run->started_us) / 1e6, run->segments,
                  ok ? "" : ": ", ok ? "" : (*error)->message);
  return ok;
}

/* --- shared checks ------------------------------------------------------- */

/* CODECS' avc1.PPCCLL against what ffprobe reads from the stream. */
static void
assert_avc_codec_matches (const char *codec, const char *segment)
{
  g_autofree char *profile = probe (segment, "v:0", "stream=profile");
  g_autofree char *level = probe (segment, "v:0", "stream=level");
  unsigned profile_idc = 0, constraints = 0, level_idc = 0;

  g_assert_true (g_str_has_prefix (codec, "avc1."));
  g_assert_cmpint (sscanf (codec + 5, "%2x%2x%2x", &profile_idc, &constraints, &level_idc), ==, 3);
  g_assert_cmpuint (level_idc, ==, (unsigned) atoi (level));
  g_assert_cmpuint (level_idc, <=, 41);
  if (strstr (profile, "Baseline") != NULL)
    g_assert_cmpuint (profile_idc, ==, 0x42);
  else if (g_str_equal (profile, "Main"))
    g_assert_cmpuint (profile_idc, ==, 0x4d);
  else if (g_str_equal (profile, "High"))
    g_assert_cmpuint (profile_idc, ==, 0x64);
  else
    g_assert_not_reached ();
}

typedef struct
{
  const char *uri;
  guint width, height; /* 0 = audio-only */
} ExpectedVariant;

/* Everything a finished job promises, checked by real clients. */
static void
assert_finished_ladder (Fixture *fx, const ExpectedVariant *expected, guint n_expected,
                        gboolean with_audio, double duration, guint fps_milli)
{
  g_autoptr (YgMasterPlaylist) master = load_master (fx->out);
  g_autofree char *master_path = g_build_filename (fx->out, "master.m3u8", NULL);
  g_autoptr (GPtrArray) first_pts = NULL; /* per video rung: gint64 array of segment starts */
  g_autoptr (YgMediaPlaylist) reference = NULL;
  guint programs = 0;

  g_assert_true (master->independent_segments);
  g_assert_cmpuint (master->version, ==, 3);
  g_assert_cmpuint (master->variants->len, ==, n_expected);

  for (guint i = 0; i < n_expected; i++)
    {
      const YgVariant *v = &g_array_index (master->variants, YgVariant, i);
      g_autoptr (YgMediaPlaylist) media = NULL;
      g_autofree char *dir = NULL;
      g_autofree char *media_path = NULL;
      g_autofree char *first_segment = NULL;
      double listed = 0;

      g_test_message ("variant %s", v->uri);
      g_assert_cmpstr (v->uri, ==, expected[i].uri);
      g_assert_cmpuint (v->width, ==, expected[i].width);
      g_assert_cmpuint (v->height, ==, expected[i].height);
      g_assert_cmpuint (v->bandwidth, >=, v->average_bandwidth);
      g_assert_cmpuint (v->average_bandwidth, >, 0);

      media = load_media (fx->out, v->uri);
      dir = g_path_get_dirname (v->uri);
      media_path = g_build_filename (fx->out, v->uri, NULL);
      g_assert_cmpint (media->type, ==, YG_PLAYLIST_TYPE_VOD);
      g_assert_true (media->ended);
      g_assert_cmpuint (media->version, ==, 3);
      g_assert_cmpuint (media->target_duration, ==, 4);
      g_assert_cmpuint (media->segments->len, >=, 1);
      for (guint s = 0; s < media->segments->len; s++)
        {
          const YgSegment *seg = &g_array_index (media->segments, YgSegment, s);
          g_autofree char *expected_uri = g_strdup_printf ("seg%05u.ts", s);

          g_assert_cmpstr (seg->uri, ==, expected_uri);
          g_assert_cmpuint ((seg->duration_ms + 500) / 1000, <=, media->target_duration);
          listed += seg->duration_ms / 1000.0;
        }
      g_assert_cmpfloat (ABS (listed - duration), <=, 0.5);
      first_segment = g_build_filename (fx->out, dir, "seg00000.ts", NULL);

      if (v->width > 0)
        {
          g_autofree char *size = probe (first_segment, "v:0", "stream=width,height");
          g_autofree char *want = g_strdup_printf ("%u,%u", v->width, v->height);
          g_autofree char *field = probe (first_segment, "v:0", "stream=field_order");
          g_autofree char *audio = probe (first_segment, "a", "stream=codec_name");
          GArray *pts = g_array_new (FALSE, FALSE, sizeof (gint64));
          g_auto (GStrv) codec_list = g_strsplit (v->codecs, ",", -1);

          g_assert_cmpstr (size, ==, want);
          g_assert_true (g_str_equal (field, "progressive") || g_str_equal (field, "unknown")
                         || field[0] == '\0');
          g_assert_cmpuint (v->frame_rate_milli, ==, fps_milli);
          {
            g_autofree char *rate = probe (first_segment, "v:0", "stream=r_frame_rate");
            unsigned num = 0, den = 1;

            g_assert_cmpint (sscanf (rate, "%u/%u", &num, &den), ==, 2);
            g_assert_cmpuint ((num * 1000 + den / 2) / den, ==, fps_milli);
          }
          g_assert_cmpuint (g_strv_length (codec_list), ==, with_audio ? 2 : 1);
          assert_avc_codec_matches (codec_list[0], first_segment);
          if (with_audio)
            {
              g_assert_cmpstr (codec_list[1], ==, "mp4a.40.2");
              g_assert_cmpstr (audio, ==, "aac");
            }
          else
            g_assert_cmpstr (audio, ==, "");

          /* Every segment starts with a keyframe, the only one in it (no
           * scene-cut IDRs: constant-rate sources); starts line up across rungs. */
          for (guint s = 0; s < media->segments->len; s++)
            {
              const YgSegment *seg = &g_array_index (media->segments, YgSegment, s);
              g_autofree char *path = g_build_filename (fx->out, dir, seg->uri, NULL);
              gboolean key = FALSE;
              guint n_keys = 0;
              gint64 start = first_video_packet (path, &key, &n_keys);

              g_assert_true (key);
              g_assert_cmpuint (n_keys, ==, 1);
              g_array_append_val (pts, start);
            }
          if (first_pts == NULL)
            first_pts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
          g_ptr_array_add (first_pts, pts);
          if (reference == NULL)
            reference = g_steal_pointer (&media);
          else
            {
              g_assert_cmpuint (media->segments->len, ==, reference->segments->len);
              for (guint s = 0; s < media->segments->len; s++)
                g_assert_cmpuint (g_array_index (media->segments, YgSegment, s).duration_ms, ==,
                                  g_array_index (reference->segments, YgSegment, s).duration_ms);
            }
        }
      else
        {
          g_autofree char *audio = probe (first_segment, "a:0",
                                          "stream=codec_name,profile,sample_rate,channels");
          g_autofree char *video = probe (first_segment, "v", "stream=codec_name");

          g_assert_cmpstr (v->codecs, ==, "mp4a.40.2");
          g_assert_cmpstr (audio, ==, "aac,LC,48000,2");
          g_assert_cmpstr (video, ==, "");
        }

      /* A real client decodes the whole variant; its length is the source's. */
      g_assert_true (decodes_cleanly (media_path));
      g_assert_cmpfloat (ABS (probe_duration (media_path) - duration), <=, 0.5);
    }

  /* Identical segment boundaries across video rungs. */
  for (guint r = 1; first_pts != NULL && r < first_pts->len; r++)
    {
      GArray *a = g_ptr_array_index (first_pts, 0), *b = g_ptr_array_index (first_pts, r);

      g_assert_cmpuint (a->len, ==, b->len);
      for (guint s = 0; s < a->len; s++)
        g_assert_cmpint (g_array_index (a, gint64, s), ==, g_array_index (b, gint64, s));
    }

  /* ffprobe opens the master: one program per variant. */
  {
    g_autofree char *out = probe (master_path, NULL, "program=program_id");
    g_auto (GStrv) lines = g_strsplit (out, "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++)
      programs += lines[i][0] != '\0';
    g_assert_cmpuint (programs, ==, n_expected);
  }
  assert_no_temporaries (fx->out);
}

static void
assert_plays_in_gstreamer (Fixture *fx)
{
  g_autofree char *master_path = g_build_filename (fx->out, "master.m3u8", NULL);
  g_autofree char *uri = g_filename_to_uri (master_path, NULL, NULL);
  g_autofree char *uri_arg = g_strdup_printf ("uri=%s", uri);
  const char *argv[] = { "timeout", "60", "gst-launch-1.0", "-q", "playbin", uri_arg,
                         "video-sink=fakesink sync=false", "audio-sink=fakesink sync=false",
                         NULL };
  g_autofree char *out = NULL;

  g_assert_true (yg_test_spawn (argv, &out, NULL));
}

static void
assert_run_was_progressive (Run *run)
{
  g_assert_true (run->playable);
  g_assert_cmpuint (run->playable_calls, ==, 1);
  g_assert_cmpuint (run->segments_at_playable, <, run->segments); /* before the end */
  g_assert_false (run->fraction_went_back);
  g_assert_cmpfloat (run->last_fraction, ==, 1.0);
  g_assert_cmpuint (run->progress_calls, >=, 2);
  /* Wall-clock gaps depend on the machine (sanitizers, load); logged, not asserted. */
  g_test_message ("largest gap between progress reports: %.2f s", run->max_progress_gap_us / 1e6);
}

/* --- tests --------------------------------------------------------------- */

static void
test_ladder_720p (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25", "-f", "lavfi", "-i",
    "sine=frequency=440:sample_rate=44100", "-t", "10", "-c:v", "libx264", "-preset",
    "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", NULL,
  };
  static const ExpectedVariant expected[] = {
    { "720p/index.m3u8", 1280, 720 },
    { "480p/index.m3u8", 854, 480 },
    { "360p/index.m3u8", 640, 360 },
    { "audio/index.m3u8", 0, 0 },
  };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "src.mp4", args);
  g_autofree char *poster = g_build_filename (fx->out, "poster.jpg", NULL);
  g_autofree char *poster_size = NULL;
  g_autofree char *luma = NULL;
  g_autofree char *movie = NULL;
  g_autoptr (GError) error = NULL;
  YgSourceFacts facts = { "mov,mp4,m4a,3gp,3g2,mj2", TRUE, TRUE, 1280, 720, 1, 1, 25, 1, 0,
                          FALSE, 10.0 };
  YgTranscodeResult result;
  Run run = { 0 };

  g_assert_true (transcode (fx, &run, src, &facts, NULL, &result, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result.n_variants, ==, 4);
  g_assert_cmpfloat (ABS (result.duration - 10.0), <=, 0.5);
  g_assert_true (result.has_poster);
  assert_run_was_progressive (&run);
  /* Before the end, BANDWIDTH was the configured video + 128k AAC. */
  g_assert_cmpuint (run.nominal_bandwidths[0], ==, 2928000);
  g_assert_cmpuint (run.nominal_bandwidths[1], ==, 1528000);
  g_assert_cmpuint (run.nominal_bandwidths[2], ==, 928000);
  g_assert_cmpuint (run.nominal_bandwidths[3], ==, 64000);
  assert_finished_ladder (fx, expected, G_N_ELEMENTS (expected), TRUE, 10.0, 25000);
  assert_plays_in_gstreamer (fx);

  /* The poster: a JPEG no wider than 1280, not black. */
  poster_size = probe (poster, "v:0", "stream=codec_name,width,height");
  g_assert_cmpstr (poster_size, ==, "mjpeg,1280,720");
  {
    const char *argv[] = { "ffprobe", "-v", "error", "-f", "lavfi", "-i", NULL, "-show_entries",
                           "frame_tags=lavfi.signalstats.YAVG", "-of", "csv=p=0", NULL };
    movie = g_strdup_printf ("movie=%s,signalstats", poster);
    argv[6] = movie;
    g_assert_true (yg_test_spawn (argv, &luma, NULL));
    g_assert_cmpfloat (g_ascii_strtod (luma, NULL), >, 40.0);
  }
}

static void
test_tiny_source (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i",
    "sine=frequency=660:sample_rate=48000", "-t", "6", "-c:v", "libx264", "-preset",
    "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", NULL,
  };
  static const ExpectedVariant expected[] = {
    { "360p/index.m3u8", 320, 240 }, /* the lowest rung, never upscaled */
    { "audio/index.m3u8", 0, 0 },
  };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "small.mp4", args);
  g_autoptr (GError) error = NULL;
  YgSourceFacts facts = { "mp4", TRUE, TRUE, 320, 240, 1, 1, 25, 1, 0, FALSE, 6.0 };
  YgTranscodeResult result;
  Run run = { 0 };

  g_assert_true (transcode (fx, &run, src, &facts, NULL, &result, NULL, &error));
  g_assert_no_error (error);
  assert_run_was_progressive (&run);
  assert_finished_ladder (fx, expected, G_N_ELEMENTS (expected), TRUE, 6.0, 25000);
}

typedef struct
{
  const char *file;
  const char *container; /* as the probe names it */
  const char *codec;     /* ffmpeg encoder */
} AudioCase;

static const AudioCase audio_cases[] = {
  { "speech.wav", "wav", "pcm_s16le" },
  { "song.mp3", "mp3", "libmp3lame" },
  { "archive.flac", "flac", "flac" },
};

static void
test_audio_only (Fixture *fx, gconstpointer data)
{
  const AudioCase *c = data;
  const char *const args[] = {
    "-f", "lavfi", "-i", "sine=frequency=300:sample_rate=44100", "-t", "8", "-ac", "1",
    "-c:a", c->codec, NULL,
  };
  static const ExpectedVariant expected[] = { { "audio/index.m3u8", 0, 0 } };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, c->file, args);
  g_autofree char *poster = g_build_filename (fx->out, "poster.jpg", NULL);
  g_autoptr (GError) error = NULL;
  YgSourceFacts facts = { c->container, FALSE, TRUE, 0, 0, 0, 0, 0, 0, 0, FALSE, 8.0 };
  YgTranscodeResult result;
  Run run = { 0 };

  g_assert_true (transcode (fx, &run, src, &facts, NULL, &result, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result.n_variants, ==, 1);
  g_assert_false (result.has_poster);
  g_assert_false (g_file_test (poster, G_FILE_TEST_EXISTS));
  assert_run_was_progressive (&run);
  g_assert_cmpuint (run.nominal_bandwidths[0], ==, 128000); /* the whole show: 128k */
  assert_finished_ladder (fx, expected, G_N_ELEMENTS (expected), TRUE, 8.0, 0);
  assert_plays_in_gstreamer (fx);
}

static void
test_video_only (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-t", "6", "-c:v", "libx264",
    "-preset", "ultrafast", "-pix_fmt", "yuv420p", NULL,
  };
  static const ExpectedVariant expected[] = { { "360p/index.m3u8", 640, 360 } };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "silent.mp4", args);
  g_autofree char *audio_dir = g_build_filename (fx->out, "audio", NULL);
  g_autoptr (GError) error = NULL;
  YgSourceFacts facts = { "mp4", TRUE, FALSE, 640, 360, 1, 1, 30, 1, 0, FALSE, 6.0 };
  YgTranscodeResult result;
  Run run = { 0 };

  g_assert_true (transcode (fx, &run, src, &facts, NULL, &result, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (result.has_poster);
  g_assert_false (g_file_test (audio_dir, G_FILE_TEST_EXISTS));
  assert_run_was_progressive (&run);
  /* No audio: the variant declares only its video codec (no silent track). */
  assert_finished_ladder (fx, expected, G_N_ELEMENTS (expected), FALSE, 6.0, 30000);
}

static void
test_interlaced_anamorphic (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=720x576:rate=25", "-f", "lavfi", "-i",
    "sine=frequency=500:sample_rate=48000", "-t", "6", "-vf", "setfield=tff", "-c:v",
    "mpeg2video", "-flags", "+ilme+ildct", "-top", "1", "-aspect", "4:3", "-b:v", "3M",
    "-c:a", "mp2", "-f", "mpegts", NULL,
  };
  static const ExpectedVariant expected[] = {
    { "480p/index.m3u8", 640, 480 }, /* 720×576 at 16:15 is 4:3 */
    { "360p/index.m3u8", 480, 360 },
    { "audio/index.m3u8", 0, 0 },
  };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "broadcast.ts", args);
  g_autofree char *field = probe (src, "v:0", "stream=field_order");
  g_autoptr (GError) error = NULL;
  YgSourceFacts facts = { "mpegts", TRUE, TRUE, 720, 576, 16, 15, 25, 1, 0, TRUE, 6.0 };
  YgTranscodeResult result;
  Run run = { 0 };

  g_assert_cmpstr (field, ==, "tt"); /* the source really is interlaced */
  g_assert_true (transcode (fx, &run, src, &facts, NULL, &result, NULL, &error));
  g_assert_no_error (error);
  assert_run_was_progressive (&run);
  /* assert_finished_ladder checks field_order is progressive on every rung. */
  assert_finished_ladder (fx, expected, G_N_ELEMENTS (expected), TRUE, 6.0, 25000);
}

static void
test_rotated (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "5", "-c:v", "libx264",
    "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-metadata:s:v:0", "rotate=90", NULL,
  };
  static const ExpectedVariant expected[] = { { "360p/index.m3u8", 240, 320 } };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "phone.mp4", args);
  g_autofree char *poster = g_build_filename (fx->out, "poster.jpg", NULL);
  g_autofree char *poster_size = NULL;
  g_autoptr (GError) error = NULL;
  YgSourceFacts facts = { "mp4", TRUE, FALSE, 320, 240, 1, 1, 25, 1, 90, FALSE, 5.0 };
  YgTranscodeResult result;
  Run run = { 0 };

  g_assert_true (transcode (fx, &run, src, &facts, NULL, &result, NULL, &error));
  g_assert_no_error (error);
  assert_finished_ladder (fx, expected, G_N_ELEMENTS (expected), FALSE, 5.0, 25000);
  poster_size = probe (poster, "v:0", "stream=width,height");
  g_assert_cmpstr (poster_size, ==, "240,320");
}

/* Audio ends long before the video: the job neither stalls nor cuts the video. */
static void
test_short_audio (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=12", "-f", "lavfi", "-i",
    "sine=frequency=440:sample_rate=48000:duration=3", "-c:v", "libx264", "-preset",
    "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", NULL,
  };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "interview.mp4", args);
  g_autoptr (GError) error = NULL;
  g_autoptr (YgMediaPlaylist) video = NULL;
  g_autoptr (YgMediaPlaylist) audio = NULL;
  YgSourceFacts facts = { "mp4", TRUE, TRUE, 640, 360, 1, 1, 25, 1, 0, FALSE, 12.0 };
  YgTranscodeOptions opts;
  YgTranscodeResult result;
  Run run = { 0 };
  gboolean ok;

  yg_transcode_options_init (&opts);
  /* Short enough that a real stall fails the test quickly, long enough for a
   * sanitizer build on a loaded machine. */
  opts.stall_seconds = 20;
  ok = transcode (fx, &run, src, &facts, &opts, &result, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  video = load_media (fx->out, "360p/index.m3u8");
  audio = load_media (fx->out, "audio/index.m3u8");
  g_assert_cmpfloat (ABS (yg_media_playlist_get_duration_ms (video) / 1000.0 - 12.0), <=, 0.5);
  g_assert_cmpfloat (yg_media_playlist_get_duration_ms (audio) / 1000.0, <=, 4.0);
  g_assert_cmpfloat (run.last_fraction, ==, 1.0);
}

/* Valid first half, random bytes after: a clean error or a shorter playable
 * output, within a bounded time, never a hang. */
static void
test_corrupt_tail (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i",
    "sine=frequency=440:sample_rate=48000", "-t", "8", "-c:v", "libx264", "-preset",
    "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", NULL,
  };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "broken.mp4", args);
  g_autofree char *bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240601);
  YgSourceFacts facts = { "mp4", TRUE, TRUE, 640, 360, 1, 1, 25, 1, 0, FALSE, 8.0 };
  YgTranscodeOptions opts;
  YgTranscodeResult result;
  Run run = { 0 };
  gsize size;
  gint64 t0;
  gboolean ok;

  g_assert_true (g_file_get_contents (src, &bytes, &size, NULL));
  for (gsize i = size / 2; i < size; i++)
    bytes[i] = (char) g_rand_int_range (rand, 0, 256);
  g_assert_true (g_file_set_contents (src, bytes, (gssize) size, NULL));

  yg_transcode_options_init (&opts);
  opts.stall_seconds = 15;
  t0 = g_get_monotonic_time ();
  ok = transcode (fx, &run, src, &facts, &opts, &result, NULL, &error);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 60 * G_USEC_PER_SEC);
  if (!ok)
    {
      g_test_message ("corrupt source: %s: %s", yg_transcode_error_code_name (error->code),
                      error->message);
      g_assert_error (error, YG_TRANSCODE_ERROR, error->code);
      g_assert_cmpint (error->code, !=, YG_TRANSCODE_ERROR_TIMEOUT);
      g_assert_cmpint (error->code, !=, YG_TRANSCODE_ERROR_CANCELLED);
      assert_no_temporaries (fx->out);
    }
  else
    {
      g_autoptr (YgMasterPlaylist) master = load_master (fx->out);

      g_test_message ("corrupt source: %.3f s of output", result.duration);
      g_assert_cmpfloat (result.duration, <=, 8.5);
      for (guint i = 0; i < master->variants->len; i++)
        {
          const YgVariant *v = &g_array_index (master->variants, YgVariant, i);
          g_autofree char *path = g_build_filename (fx->out, v->uri, NULL);
          g_autoptr (YgMediaPlaylist) media = load_media (fx->out, v->uri);
          const char *argv[] = { "ffmpeg", "-nostdin", "-v", "quiet", "-i", path, "-f", "null",
                                 "-", NULL };

          g_assert_cmpint (media->type, ==, YG_PLAYLIST_TYPE_VOD);
          g_assert_true (yg_test_spawn (argv, NULL, NULL));
        }
    }
}

/* Cut in the middle: the first half, as a complete shorter programme. */
static void
test_truncated (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i",
    "sine=frequency=440:sample_rate=48000", "-t", "10", "-c:v", "libx264", "-preset",
    "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "mpegts", NULL,
  };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "cut.ts", args);
  g_autoptr (GError) error = NULL;
  YgSourceFacts facts = { "mpegts", TRUE, TRUE, 640, 360, 1, 1, 25, 1, 0, FALSE, 10.0 };
  YgTranscodeResult result;
  GStatBuf st;
  Run run = { 0 };
  gint64 t0;

  g_assert_cmpint (g_stat (src, &st), ==, 0);
  g_assert_cmpint (truncate (src, st.st_size / 2), ==, 0);
  t0 = g_get_monotonic_time ();
  if (transcode (fx, &run, src, &facts, NULL, &result, NULL, &error))
    {
      g_autoptr (YgMasterPlaylist) master = load_master (fx->out);

      g_assert_cmpfloat (result.duration, >=, 3.0);
      g_assert_cmpfloat (result.duration, <=, 7.0);
      g_assert_cmpuint (master->variants->len, ==, 2);
      assert_plays_in_gstreamer (fx);
    }
  else
    {
      g_test_message ("truncated source: %s", error->message);
      g_assert_cmpint (error->code, !=, YG_TRANSCODE_ERROR_TIMEOUT);
    }
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 60 * G_USEC_PER_SEC);
}

static void
test_cancel (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i",
    "sine=frequency=440:sample_rate=48000", "-t", "20", "-c:v", "libx264", "-preset",
    "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", NULL,
  };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "long.mp4", args);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  YgSourceFacts facts = { "mp4", TRUE, TRUE, 640, 360, 1, 1, 25, 1, 0, FALSE, 20.0 };
  YgTranscodeResult result;
  Run run = { 0 };

  run.cancel_on_segment = cancellable;
  g_assert_false (transcode (fx, &run, src, &facts, NULL, &result, cancellable, &error));
  g_assert_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_CANCELLED);
  g_assert_cmpstr (yg_transcode_error_code_name (error->code), ==, "cancelled");
  g_assert_cmpuint (run.segments, <, 4); /* stopped right away */
  assert_no_temporaries (fx->out);

  /* Already cancelled: nothing starts. */
  g_clear_error (&error);
  g_assert_false (transcode (fx, &run, src, &facts, NULL, &result, cancellable, &error));
  g_assert_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_CANCELLED);
}

static void
test_timeout (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25", "-t", "20", "-c:v", "libx264",
    "-preset", "ultrafast", "-pix_fmt", "yuv420p", NULL,
  };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "slow.mp4", args);
  g_autoptr (GError) error = NULL;
  YgSourceFacts facts = { "mp4", TRUE, FALSE, 1280, 720, 1, 1, 25, 1, 0, FALSE, 20.0 };
  YgTranscodeOptions opts;
  YgTranscodeResult result;
  Run run = { 0 };
  gint64 t0 = g_get_monotonic_time ();

  yg_transcode_options_init (&opts);
  opts.timeout_seconds = 1;
  g_assert_false (transcode (fx, &run, src, &facts, &opts, &result, NULL, &error));
  g_assert_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_TIMEOUT);
  g_assert_cmpstr (yg_transcode_error_code_name (error->code), ==, "timeout");
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 10 * G_USEC_PER_SEC);
  assert_no_temporaries (fx->out);
}

static void
test_unsupported (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2", "-c:v", "ffv1", NULL,
  };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "archive.mkv", args);
  g_autofree char *missing = g_build_filename (fx->dir, "missing.mp4", NULL);
  YgSourceFacts ffv1 = { "matroska,webm", TRUE, FALSE, 320, 240, 1, 1, 25, 1, 0, FALSE, 2.0 };
  YgSourceFacts exe = { "exe", TRUE, FALSE, 320, 240, 1, 1, 25, 1, 0, FALSE, 2.0 };
  YgSourceFacts nothing = { "mp4", FALSE, FALSE, 0, 0, 0, 0, 0, 0, 0, FALSE, 2.0 };
  YgSourceFacts huge = { "mp4", TRUE, FALSE, 100000, 240, 1, 1, 25, 1, 0, FALSE, 2.0 };
  YgSourceFacts mp4 = { "mp4", TRUE, FALSE, 320, 240, 1, 1, 25, 1, 0, FALSE, 2.0 };
  struct
  {
    const char *input;
    const YgSourceFacts *facts;
    int code;
  } cases[] = {
    { src, &ffv1, YG_TRANSCODE_ERROR_UNSUPPORTED_CODEC },
    { src, &exe, YG_TRANSCODE_ERROR_UNSUPPORTED_FORMAT },
    { src, &nothing, YG_TRANSCODE_ERROR_UNSUPPORTED_FORMAT },
    { src, &huge, YG_TRANSCODE_ERROR_UNSUPPORTED_FORMAT },
    { missing, &mp4, YG_TRANSCODE_ERROR_DECODE_FAILED },
    { src, &mp4, YG_TRANSCODE_ERROR_DECODE_FAILED }, /* Matroska is not MP4 */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      Run run = { 0 };
      YgTranscodeResult result;

      g_assert_false (transcode (fx, &run, cases[i].input, cases[i].facts, NULL, &result, NULL,
                                 &error));
      g_test_message ("%s: %s", yg_transcode_error_code_name (error->code), error->message);
      g_assert_error (error, YG_TRANSCODE_ERROR, cases[i].code);
      g_assert_false (run.playable);
    }
}

int
main (int argc, char **argv)
{
  g_autofree char *ffmpeg = NULL;
  g_autofree char *ffprobe = NULL;

  g_test_init (&argc, &argv, NULL);
  g_test_summary ("The HLS ladder end to end: decode once, aligned rungs, progressive "
                  "publishing, poster, errors; judged by ffprobe, ffmpeg and playbin");

  ffmpeg = g_find_program_in_path ("ffmpeg");
  ffprobe = g_find_program_in_path ("ffprobe");
  if (ffmpeg == NULL || ffprobe == NULL)
    {
      g_test_skip ("ffmpeg/ffprobe not installed");
      return g_test_run ();
    }

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/transcode/ladder/720p", test_ladder_720p);
  ADD ("/transcode/ladder/tiny-source", test_tiny_source);
  for (gsize i = 0; i < G_N_ELEMENTS (audio_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/transcode/ladder/audio-only/%s",
                                               audio_cases[i].container);
      g_test_add (path, Fixture, &audio_cases[i], fixture_setup, test_audio_only,
                  fixture_teardown);
    }
  ADD ("/transcode/ladder/video-only", test_video_only);
  ADD ("/transcode/ladder/interlaced-anamorphic", test_interlaced_anamorphic);
  ADD ("/transcode/ladder/rotated", test_rotated);
  ADD ("/transcode/robustness/short-audio", test_short_audio);
  ADD ("/transcode/robustness/corrupt-tail", test_corrupt_tail);
  ADD ("/transcode/robustness/truncated", test_truncated);
  ADD ("/transcode/control/cancel", test_cancel);
  ADD ("/transcode/control/timeout", test_timeout);
  ADD ("/transcode/errors/unsupported", test_unsupported);
#undef ADD
  return g_test_run ();
}

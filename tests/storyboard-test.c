/* storyboard-test.c: seek-preview thumbnails, judged by ffprobe and ffmpeg (suite "media").
 *
 * Sources are generated at test time with the ffmpeg CLI into a per-test
 * temporary directory (removed in teardown): a 30 s 640×360 testsrc2 clip
 * with audio, the same picture as a portrait phone recording (tkhd matrix),
 * a 25-minute lecture (keyframe seeks) and WAV audio only; facts come from
 * yg-probe, as in the job runner. The sprite must decode to exactly
 * cols·160 × rows·tile height; thumbnails.vtt must start with WEBVTT, its
 * cues must be contiguous from 0 to the duration and every #xywh rectangle
 * must lie in the sprite. That a tile shows its own moment (not a
 * neighbour's, not one repeated frame) is checked by PSNR against the frame
 * ffmpeg decodes at the middle of its cue, which must clearly beat a frame
 * from elsewhere; ffmpeg autorotates, so this checks the rotation too.
 * The same checks run on tiles collected by the transcode's own decode
 * (/storyboard/from-transcode/…), the way the job runner makes them.
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "yg-probe.h"
#include "yg-storyboard.h"
#include "yg-test-util.h"

typedef struct
{
  char *dir; /* the test's temporary root */
  char *out; /* dir/out */
  gboolean from_transcode; /* tiles from yg_hls_transcode's decode, not seeks */
} Fixture;

typedef struct
{
  guint start_ms, end_ms;
  guint x, y, w, h;
} Cue;


static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fx->dir = g_dir_make_tmp ("yg-storyboard-test-XXXXXX", &error);
  g_assert_no_error (error);
  fx->out = g_build_filename (fx->dir, "out", NULL);
  g_assert_cmpint (g_mkdir (fx->out, 0750), ==, 0);
  fx->from_transcode = GPOINTER_TO_INT (data);
}

/* The job runner's way: tiles collected during the transcode, then published. */
static gboolean
make_from_transcode (Fixture *fx, const char *src, const YgSourceFacts *facts, guint n_tiles,
                     GError **error)
{
  g_autoptr (YgStoryboardTiles) tiles = yg_storyboard_tiles_new (facts);
  g_autofree char *hls = g_build_filename (fx->dir, "hls", NULL);
  YgTranscodeOptions opts;

  g_assert_nonnull (tiles);
  g_assert_cmpint (g_mkdir_with_parents (hls, 0750), ==, 0);
  yg_transcode_options_init (&opts);
  opts.preset = "ultrafast";
  opts.storyboard = tiles;
  if (!yg_hls_transcode (src, facts, hls, &opts, NULL, NULL, error))
    return FALSE;
  /* every tile got its own frame from the single decode */
  g_assert_cmpuint (yg_storyboard_tiles_count (tiles), ==, n_tiles);
  return yg_storyboard_tiles_publish (tiles, fx->out, NULL, error);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  yg_test_rm_rf (fx->dir);
  g_free (fx->dir);
  g_free (fx->out);
}

/* --- processes ------------------------------------------------------------- */



/* What the job runner would hand over: the probe's facts. */
static void
facts_for (const char *path, YgProbeInfo **info, YgSourceFacts *facts)
{
  g_autoptr (GError) error = NULL;

  *info = yg_probe_file (path, yg_probe_limits_default (), &error);
  g_assert_no_error (error);
  memset (facts, 0, sizeof *facts);
  facts->container = (*info)->container;
  facts->has_video = (*info)->has_video;
  facts->has_audio = (*info)->has_audio;
  facts->width = (*info)->width;
  facts->height = (*info)->height;
  facts->rotation = (*info)->rotation > 0 ? (guint) (*info)->rotation : 0;
  facts->duration = (*info)->duration;
}

/* Width and height of the picture in @path, by ffprobe. */
static void
image_size (const char *path, guint *width, guint *height)
{
  const char *argv[] = { "ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                         "stream=width,height", "-of", "csv=p=0", path, NULL };
  g_autofree char *out = NULL;

  g_assert_true (yg_test_spawn (argv, &out, NULL));
  g_assert_cmpint (sscanf (out, "%u,%u", width, height), ==, 2);
}

/* PSNR (dB, over R, G and B) between the tile @cue of @sprite and the frame
 * of @video at @seconds, scaled to the tile (ffmpeg autorotates). In RGB,
 * because the tiles went through RGB: out-of-gamut YUV is clipped there. */
static double
tile_psnr (const char *sprite, const Cue *cue, const char *video, double seconds)
{
  char ss[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *graph = g_strdup_printf (
    "[0:v]crop=%u:%u:%u:%u,format=gbrp[a];[1:v]scale=%u:%u,setsar=1,format=gbrp[b];[a][b]psnr",
    cue->w, cue->h, cue->x, cue->y, cue->w, cue->h);
  const char *argv[] = { "ffmpeg", "-nostdin", "-hide_banner", "-i", sprite, "-ss",
                         g_ascii_formatd (ss, sizeof ss, "%.3f", seconds), "-i", video,
                         "-filter_complex", graph, "-frames:v", "1", "-f", "null", "-", NULL };
  g_autofree char *err = NULL;
  const char *avg;

  g_assert_true (yg_test_spawn (argv, NULL, &err));
  avg = g_strrstr (err, "average:");
  g_assert_nonnull (avg);
  if (g_str_has_prefix (avg, "average:inf"))
    return 99.0;
  return g_ascii_strtod (avg + 8, NULL);
}

/* --- thumbnails.vtt -------------------------------------------------------- */

static guint
parse_time (const char *s)
{
  guint h, m, sec, ms;

  g_assert_cmpint (sscanf (s, "%2u:%2u:%2u.%3u", &h, &m, &sec, &ms), ==, 4);
  g_assert_cmpuint (m, <, 60);
  g_assert_cmpuint (sec, <, 60);
  return ((h * 60 + m) * 60 + sec) * 1000 + ms;
}

/* Parses @path; checks the WebVTT shape, contiguity, coverage of
 * [0, @duration_ms] and that every rectangle lies in a @w×@h sprite. */
static GArray *
read_cues (const char *path, guint duration_ms, guint w, guint h)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) blocks = NULL;
  g_autoptr (GError) error = NULL;
  GArray *cues = g_array_new (FALSE, TRUE, sizeof (Cue));

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_true (g_str_has_prefix (text, "WEBVTT\n"));
  blocks = g_strsplit (text, "\n\n", -1);
  g_assert_cmpstr (blocks[0], ==, "WEBVTT");
  for (guint i = 1; blocks[i] != NULL; i++)
    {
      g_auto (GStrv) lines = g_strsplit (g_strstrip (blocks[i]), "\n", -1);
      Cue cue = { 0 };
      char arrow[8];
      int used = 0;

      if (lines[0] == NULL)
        continue;
      g_assert_cmpuint (g_strv_length (lines), ==, 2);
      g_assert_cmpint (strlen (lines[0]), ==, 29);
      g_assert_cmpint (sscanf (lines[0] + 12, " %3s ", arrow), ==, 1);
      g_assert_cmpstr (arrow, ==, "-->");
      cue.start_ms = parse_time (lines[0]);
      cue.end_ms = parse_time (lines[0] + 17);
      g_assert_cmpint (sscanf (lines[1], "storyboard.jpg#xywh=%u,%u,%u,%u%n", &cue.x, &cue.y,
                               &cue.w, &cue.h, &used),
                       ==, 4);
      g_assert_cmpint (used, ==, strlen (lines[1]));
      g_assert_cmpuint (cue.end_ms, >, cue.start_ms);
      g_assert_cmpuint (cue.w, >, 0);
      g_assert_cmpuint (cue.h, >, 0);
      g_assert_cmpuint (cue.x + cue.w, <=, w);
      g_assert_cmpuint (cue.y + cue.h, <=, h);
      if (cues->len == 0)
        g_assert_cmpuint (cue.start_ms, ==, 0);
      else
        g_assert_cmpuint (cue.start_ms, ==, g_array_index (cues, Cue, cues->len - 1).end_ms);
      g_array_append_val (cues, cue);
    }
  g_assert_cmpuint (cues->len, >=, 1);
  g_assert_cmpuint (cues->len, <=, YG_STORYBOARD_MAX_TILES);
  g_assert_cmpuint (g_array_index (cues, Cue, cues->len - 1).end_ms, ==, duration_ms);
  return cues;
}

/* Builds, then checks the sprite and the cues against @src; returns the cues. */
static GArray *
make_and_check (Fixture *fx, const char *src, const YgSourceFacts *facts, guint tile_h)
{
  g_autofree char *jpg = g_build_filename (fx->out, "storyboard.jpg", NULL);
  g_autofree char *vtt = g_build_filename (fx->out, "thumbnails.vtt", NULL);
  g_autoptr (GError) error = NULL;
  guint duration_ms = (guint) (facts->duration * 1000 + 0.5);
  guint interval_ms = MAX (YG_STORYBOARD_MIN_INTERVAL_MS, (duration_ms + 99) / 100);
  guint n = (duration_ms + interval_ms - 1) / interval_ms;
  guint cols = MIN (n, YG_STORYBOARD_COLUMNS), rows = (n + cols - 1) / cols;
  guint w = 0, h = 0;
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok;
  GArray *cues;

  ok = fx->from_transcode ? make_from_transcode (fx, src, facts, n, &error)
                          : yg_storyboard_make (src, facts, fx->out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_test_message ("storyboard of %.1f s made in %.2f s", facts->duration,
                  (g_get_monotonic_time () - t0) / 1e6);

  image_size (jpg, &w, &h);
  g_assert_cmpuint (w, ==, cols * YG_STORYBOARD_TILE_WIDTH);
  g_assert_cmpuint (h, ==, rows * tile_h);
  cues = read_cues (vtt, duration_ms, w, h);
  g_assert_cmpuint (cues->len, ==, n);
  for (guint i = 0; i < cues->len; i++)
    {
      const Cue *c = &g_array_index (cues, Cue, i);
      g_assert_cmpuint (c->w, ==, YG_STORYBOARD_TILE_WIDTH);
      g_assert_cmpuint (c->h, ==, tile_h);
    }
  return cues;
}

/* Tile @i resembles the source at the middle of its cue (at least @min_own
 * dB) clearly more than at the middle of cue @other. */
static void
assert_tile_shows_its_time (const char *jpg, const char *src, GArray *cues, guint i, guint other,
                            double min_own)
{
  const Cue *c = &g_array_index (cues, Cue, i);
  const Cue *o = &g_array_index (cues, Cue, other);
  double own = tile_psnr (jpg, c, src, (c->start_ms + c->end_ms) / 2000.0);
  double elsewhere = tile_psnr (jpg, c, src, (o->start_ms + o->end_ms) / 2000.0);

  g_test_message ("tile %u: PSNR %.1f dB against its own time, %.1f dB against tile %u's", i, own,
                  elsewhere, other);
  g_assert_cmpfloat (own, >=, min_own);
  g_assert_cmpfloat (own, >, elsewhere + 3.0);
}

/* --- tests ------------------------------------------------------------------- */

static void
test_landscape (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i",
    "sine=frequency=440:sample_rate=48000", "-t", "30", "-c:v", "libx264", "-preset",
    "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", NULL,
  };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "concert.mp4", args);
  g_autofree char *jpg = g_build_filename (fx->out, "storyboard.jpg", NULL);
  g_autoptr (YgProbeInfo) info = NULL;
  g_autoptr (GArray) cues = NULL;
  YgSourceFacts facts;

  facts_for (src, &info, &facts);
  g_assert_cmpfloat (ABS (facts.duration - 30.0), <, 0.1);
  /* 15 tiles of 2 s: one row of 10 and one of 5, 160×90 each. */
  cues = make_and_check (fx, src, &facts, 90);
  g_assert_cmpuint (cues->len, ==, 15);
  g_assert_cmpuint (g_array_index (cues, Cue, 14).y, ==, 90);
  /* First, middle and last tile, each against a moment well away. */
  assert_tile_shows_its_time (jpg, src, cues, 0, 7, 18.0);
  assert_tile_shows_its_time (jpg, src, cues, 7, 14, 18.0);
  assert_tile_shows_its_time (jpg, src, cues, 14, 0, 18.0);
  /* Neighbours 2 s apart inside one 10 s GOP: accurate seeks tell them apart. */
  assert_tile_shows_its_time (jpg, src, cues, 4, 5, 18.0);
}

/* A portrait phone recording: the tkhd matrix of a plain MP4 says "turn
 * 90° clockwise" as iPhones write it (the ffmpeg CLI's rotate tag changed
 * meaning between versions, so the bytes are patched as in probe-test). */
static void
rotate_mp4 (const char *path)
{
  static const guint32 matrix[] = { 0, 0x10000, 0, 0xffff0000u, 0 }; /* a b u c d */
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  guint8 *m;
  gsize len;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  m = memmem (data, len, "tkhd", 4);
  g_assert_nonnull (m);
  /* tkhd v0: 4 version/flags, 5 × 4 times/ids/duration, 8 reserved, 4 × 2, then the matrix */
  m += 4 + 4 + 20 + 8 + 8;
  g_assert_cmpuint (m + 20 - (guint8 *) data, <=, len);
  for (guint i = 0; i < G_N_ELEMENTS (matrix); i++)
    if (i != 2) /* u stays 0 */
      {
        guint32 be = GUINT32_TO_BE (matrix[i]);
        memcpy (m + 4 * i, &be, 4);
      }
  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
}

static void
test_rotated (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-t", "30", "-c:v", "libx264",
    "-preset", "ultrafast", "-pix_fmt", "yuv420p", NULL,
  };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "phone.mp4", args);
  g_autofree char *jpg = g_build_filename (fx->out, "storyboard.jpg", NULL);
  g_autoptr (YgProbeInfo) info = NULL;
  g_autoptr (GArray) cues = NULL;
  YgSourceFacts facts;

  rotate_mp4 (src);
  facts_for (src, &info, &facts);
  g_assert_cmpuint (facts.rotation, ==, 90);
  /* Portrait tiles: 160 × 160·640/360 = 284 (even). */
  cues = make_and_check (fx, src, &facts, 284);
  /* ffmpeg turns the frame upright by itself: a tile turned the wrong way
   * (or not at all) would not match. */
  assert_tile_shows_its_time (jpg, src, cues, 3, 10, 18.0);
}

/* A 25-minute source: 100 tiles 15 s apart, keyframe seeks (a tile may be
 * up to half a 5 s GOP from the middle of its cue). The hue turns through
 * 360° over the clip, so distant tiles differ in every pixel. */
static void
test_long (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=2,hue=h=0.24*t", "-t", "1500", "-c:v",
    "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", NULL,
  };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "lecture.mp4", args);
  g_autofree char *jpg = g_build_filename (fx->out, "storyboard.jpg", NULL);
  g_autoptr (YgProbeInfo) info = NULL;
  g_autoptr (GArray) cues = NULL;
  YgSourceFacts facts;

  facts_for (src, &info, &facts);
  cues = make_and_check (fx, src, &facts, 90);
  g_assert_cmpuint (cues->len, ==, 100);
  g_assert_cmpuint (g_array_index (cues, Cue, 1).start_ms, ==, 15000);
  assert_tile_shows_its_time (jpg, src, cues, 50, 20, 0.0);
  assert_tile_shows_its_time (jpg, src, cues, 99, 60, 0.0);
}

static void
test_audio_only (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=5", NULL,
  };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "song.wav", args);
  g_autoptr (YgProbeInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = NULL;
  YgSourceFacts facts;

  facts_for (src, &info, &facts);
  g_assert_false (facts.has_video);
  g_assert_true (yg_storyboard_make (src, &facts, fx->out, NULL, NULL, &error));
  g_assert_no_error (error);
  dir = g_dir_open (fx->out, 0, &error);
  g_assert_no_error (error);
  g_assert_null (g_dir_read_name (dir));
}

static void
test_cancelled (Fixture *fx, gconstpointer data)
{
  static const char *const args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-t", "4", "-c:v", "libx264",
    "-preset", "ultrafast", "-pix_fmt", "yuv420p", NULL,
  };
  g_autofree char *src = yg_test_ffmpeg (fx->dir, "short.mp4", args);
  g_autoptr (YgProbeInfo) info = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = NULL;
  YgSourceFacts facts;

  facts_for (src, &info, &facts);
  g_cancellable_cancel (cancellable);
  g_assert_false (yg_storyboard_make (src, &facts, fx->out, NULL, cancellable, &error));
  g_assert_error (error, YG_TRANSCODE_ERROR, YG_TRANSCODE_ERROR_CANCELLED);
  dir = g_dir_open (fx->out, 0, NULL);
  g_assert_null (g_dir_read_name (dir));
}

int
main (int argc, char **argv)
{
  g_autofree char *ffmpeg = NULL;
  g_autofree char *ffprobe = NULL;

  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Seek-preview storyboard: sprite geometry, WebVTT cues, tiles that show "
                  "their own moment, rotation, audio-only sources; judged by ffprobe and ffmpeg");

  ffmpeg = g_find_program_in_path ("ffmpeg");
  ffprobe = g_find_program_in_path ("ffprobe");
  if (ffmpeg == NULL || ffprobe == NULL)
    {
      g_test_skip ("ffmpeg/ffprobe not installed");
      return g_test_run ();
    }

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/storyboard/landscape", test_landscape);
  ADD ("/storyboard/rotated", test_rotated);
  g_test_add ("/storyboard/from-transcode/landscape", Fixture, GINT_TO_POINTER (1), fixture_setup,
              test_landscape, fixture_teardown);
  g_test_add ("/storyboard/from-transcode/rotated", Fixture, GINT_TO_POINTER (1), fixture_setup,
              test_rotated, fixture_teardown);
  ADD ("/storyboard/long", test_long);
  ADD ("/storyboard/audio-only", test_audio_only);
  ADD ("/storyboard/cancelled", test_cancelled);
#undef ADD
  return g_test_run ();
}

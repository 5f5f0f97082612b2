/* playlist-test.c: unit tests of the ladder's pure parts (suite "unit").
 *
 * yg-playlist against RFC 8216: exact text of media and master playlists,
 * TARGETDURATION rules (EXTINF rounded to the nearest integer, never above
 * it, constant while an EVENT playlist grows), ENDLIST only for VOD, peak
 * and average bandwidth (4.3.4.2), and write → parse round trips on random
 * inputs that check every invariant; malformed input is rejected with
 * YG_PLAYLIST_ERROR. yg-rungs: never upscale, aspect and rotation kept,
 * even sizes, level <= 4.1, codec strings read from an SPS. yg-publish:
 * temp + rename leaves exactly the final file, 0644, no temporaries.
 * Everything runs on the test's main thread; files only in a temp dir.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "yg-playlist.h"
#include "yg-publish.h"
#include "yg-rungs.h"

/* --- media playlists ------------------------------------------------------ */

static void
test_media_exact_text (void)
{
  g_autoptr (YgMediaPlaylist) pl = yg_media_playlist_new (4);
  g_autofree char *event = NULL;
  g_autofree char *vod = NULL;

  yg_media_playlist_add_segment (pl, "seg00000.ts", 4000, 1000);
  yg_media_playlist_add_segment (pl, "seg00001.ts", 4004, 1000);
  yg_media_playlist_add_segment (pl, "seg00002.ts", 1034, 100);

  event = yg_media_playlist_to_string (pl, YG_PLAYLIST_TYPE_EVENT);
  g_assert_cmpstr (event, ==,
                   "#EXTM3U\n"
                   "#EXT-X-VERSION:3\n"
                   "#EXT-X-TARGETDURATION:4\n"
                   "#EXT-X-MEDIA-SEQUENCE:0\n"
                   "#EXT-X-PLAYLIST-TYPE:EVENT\n"
                   "#EXT-X-INDEPENDENT-SEGMENTS\n"
                   "#EXTINF:4.000,\nseg00000.ts\n"
                   "#EXTINF:4.004,\nseg00001.ts\n"
                   "#EXTINF:1.034,\nseg00002.ts\n");
  vod = yg_media_playlist_to_string (pl, YG_PLAYLIST_TYPE_VOD);
  g_assert_true (g_str_has_suffix (vod, "#EXTINF:1.034,\nseg00002.ts\n#EXT-X-ENDLIST\n"));
  g_assert_nonnull (strstr (vod, "#EXT-X-PLAYLIST-TYPE:VOD\n"));
  g_assert_null (strstr (event, "ENDLIST"));
}

typedef struct
{
  guint floor;
  guint64 durations[4];
  guint n;
  guint expected;
} TargetCase;

static void
test_media_target_duration (void)
{
  static const TargetCase cases[] = {
    { 4, { 4000, 4000 }, 2, 4 },
    { 4, { 4499 }, 1, 4 },       /* 4.499 rounds to 4 */
    { 4, { 4500 }, 1, 5 },       /* 4.500 rounds (half up) to 5 */
    { 4, { 3000, 1000 }, 2, 4 }, /* the floor keeps it constant while growing */
    { 2, { 6400, 1000 }, 2, 6 },
    { 0, { 0 }, 1, 1 },          /* never 0 */
    { 6, { 0 }, 0, 6 },          /* empty */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (YgMediaPlaylist) pl = yg_media_playlist_new (cases[i].floor);

      for (guint j = 0; j < cases[i].n; j++)
        yg_media_playlist_add_segment (pl, "a.ts", cases[i].durations[j], 0);
      g_assert_cmpuint (yg_media_playlist_get_target_duration (pl), ==, cases[i].expected);
    }
}

static guint64
round_ms (guint64 ms)
{
  return (ms + 500) / 1000;
}

/* Write → parse on random playlists; every RFC 8216 invariant we promise. */
static void
test_media_round_trip_random (void)
{
  for (guint iter = 0; iter < 500; iter++)
    {
      guint floor = (guint) g_test_rand_int_range (0, 11);
      guint n = (guint) g_test_rand_int_range (0, 40);
      YgPlaylistType type = g_test_rand_bit () ? YG_PLAYLIST_TYPE_VOD : YG_PLAYLIST_TYPE_EVENT;
      g_autoptr (YgMediaPlaylist) pl = yg_media_playlist_new (floor);
      g_autoptr (YgMediaPlaylist) back = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *text = NULL;
      guint64 max_rounded = 0;

      for (guint i = 0; i < n; i++)
        {
          g_autofree char *uri = g_strdup_printf ("r%u/seg%05u.ts", iter, i);
          guint64 ms = (guint64) g_test_rand_int_range (0, 12000);

          yg_media_playlist_add_segment (pl, uri, ms, (guint64) g_test_rand_int_range (0, 1 << 20));
          max_rounded = MAX (max_rounded, round_ms (ms));
        }
      text = yg_media_playlist_to_string (pl, type);
      back = yg_media_playlist_parse (text, &error);
      g_assert_no_error (error);
      g_assert_nonnull (back);

      g_assert_cmpuint (back->version, ==, 3);
      g_assert_cmpuint (back->media_sequence, ==, 0);
      g_assert_cmpint (back->type, ==, type);
      g_assert_true (back->ended == (type == YG_PLAYLIST_TYPE_VOD));
      g_assert_cmpuint (back->target_duration, ==, MAX (MAX (floor, max_rounded), 1));
      g_assert_cmpuint (back->segments->len, ==, n);
      for (guint i = 0; i < n; i++)
        {
          const YgSegment *a = &g_array_index (pl->segments, YgSegment, i);
          const YgSegment *b = &g_array_index (back->segments, YgSegment, i);

          g_assert_cmpstr (a->uri, ==, b->uri);
          g_assert_cmpuint (a->duration_ms, ==, b->duration_ms);
          g_assert_cmpuint (round_ms (b->duration_ms), <=, back->target_duration);
        }
      /* Writing what was parsed gives the same text. */
      back->target_duration = floor;
      {
        g_autofree char *again = yg_media_playlist_to_string (back, type);
        g_assert_cmpstr (again, ==, text);
      }
    }
}

static void
test_media_parse_foreign (void)
{
  /* What another packager might write: CRLF, titles, comments, other tags. */
  const char *text = "#EXTM3U\r\n"
                     "#EXT-X-TARGETDURATION:10\r\n"
                     "#EXT-X-VERSION:4\r\n"
                     "# a comment\r\n"
                     "#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00Z\r\n"
                     "#EXTINF:9.9766,title\r\n"
                     "a.ts\r\n"
                     "#EXTINF:10,\r\n"
                     "b.ts\r\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (YgMediaPlaylist) pl = yg_media_playlist_parse (text, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (pl->target_duration, ==, 10);
  g_assert_cmpuint (pl->version, ==, 4);
  g_assert_cmpint (pl->type, ==, YG_PLAYLIST_TYPE_NONE);
  g_assert_false (pl->ended);
  g_assert_cmpuint (pl->segments->len, ==, 2);
  g_assert_cmpuint (g_array_index (pl->segments, YgSegment, 0).duration_ms, ==, 9977);
  g_assert_cmpuint (g_array_index (pl->segments, YgSegment, 1).duration_ms, ==, 10000);
  g_assert_cmpstr (g_array_index (pl->segments, YgSegment, 1).uri, ==, "b.ts");
}

static void
test_media_parse_errors (void)
{
  static const char *const bad[] = {
    "",
    "#EXT-X-TARGETDURATION:4\n#EXTINF:4,\na.ts\n",                      /* no #EXTM3U */
    "#EXTM3U\n#EXTINF:4,\na.ts\n",                                       /* no target */
    "#EXTM3U\n#EXT-X-TARGETDURATION:4\na.ts\n",                          /* URI without EXTINF */
    "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\n",                    /* EXTINF at the end */
    "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\n#EXTINF:4,\na.ts\n",  /* two EXTINF */
    "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:-4,\na.ts\n",             /* negative */
    "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4s,\na.ts\n",             /* not a number */
    "#EXTM3U\n#EXT-X-TARGETDURATION:four\n",                             /* not a number */
    "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-TARGETDURATION:5\n",       /* twice */
    "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:LIVE\n",     /* bad type */
    "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n",                  /* a master */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (YgMediaPlaylist) pl = yg_media_playlist_parse (bad[i], &error);

      g_assert_null (pl);
      g_assert_error (error, YG_PLAYLIST_ERROR, YG_PLAYLIST_ERROR_PARSE);
    }
}

static void
test_media_bandwidth (void)
{
  g_autoptr (YgMediaPlaylist) pl = yg_media_playlist_new (4);
  g_autoptr (YgMediaPlaylist) tiny = yg_media_playlist_new (4);
  g_autoptr (YgMediaPlaylist) empty = yg_media_playlist_new (4);

  /* 1 Mbit/s, then one 4 s segment at 3 Mbit/s, then a short 0.5 s tail at
   * 16 Mbit/s, which alone is too short (< 0.5 × target) to be a window. */
  yg_media_playlist_add_segment (pl, "0.ts", 4000, 500000);
  yg_media_playlist_add_segment (pl, "1.ts", 4000, 1500000);
  yg_media_playlist_add_segment (pl, "2.ts", 4000, 500000);
  yg_media_playlist_add_segment (pl, "3.ts", 500, 1000000);
  g_assert_cmpuint (yg_media_playlist_get_duration_ms (pl), ==, 12500);
  g_assert_cmpuint (yg_media_playlist_get_average_bandwidth (pl), ==,
                    (3500000ULL * 8 * 1000 + 12499) / 12500);
  /* Best window: "2.ts"+"3.ts" (4.5 s, 1.5 MB) = 2.667 Mbit/s < "1.ts" alone. */
  g_assert_cmpuint (yg_media_playlist_get_peak_bandwidth (pl), ==, 3000000);

  /* Shorter than half a target duration in total: the average. */
  yg_media_playlist_add_segment (tiny, "0.ts", 1000, 1000);
  g_assert_cmpuint (yg_media_playlist_get_peak_bandwidth (tiny), ==, 8000);
  g_assert_cmpuint (yg_media_playlist_get_peak_bandwidth (empty), ==, 0);
  g_assert_cmpuint (yg_media_playlist_get_average_bandwidth (empty), ==, 0);
}

/* The peak is an upper bound of every qualifying window, and of the average
 * when any window qualifies. */
static void
test_media_bandwidth_random (void)
{
  for (guint iter = 0; iter < 200; iter++)
    {
      g_autoptr (YgMediaPlaylist) pl = yg_media_playlist_new (4);
      guint n = (guint) g_test_rand_int_range (1, 30);
      guint64 peak;

      for (guint i = 0; i < n; i++)
        yg_media_playlist_add_segment (pl, "s.ts", (guint64) g_test_rand_int_range (2000, 4500),
                                       (guint64) g_test_rand_int_range (1, 4000000));
      peak = yg_media_playlist_get_peak_bandwidth (pl);
      for (guint i = 0; i < n; i++)
        {
          const YgSegment *s = &g_array_index (pl->segments, YgSegment, i);
          if (s->duration_ms >= 2000)
            g_assert_cmpuint (peak, >=, s->size * 8 * 1000 / s->duration_ms);
        }
      g_assert_cmpuint (peak, >=, yg_media_playlist_get_average_bandwidth (pl) - 1);
    }
}

/* --- master playlists ----------------------------------------------------- */

static void
test_master_exact_text (void)
{
  g_autoptr (YgMasterPlaylist) master = yg_master_playlist_new ();
  g_autofree char *text = NULL;
  YgVariant video = { (char *) "720p/index.m3u8", 2928000, 0, (char *) "avc1.64001f,mp4a.40.2",
                      1280, 720, 25000 };
  YgVariant audio = { (char *) "audio/index.m3u8", 64000, 70000, (char *) "mp4a.40.2", 0, 0, 0 };

  yg_master_playlist_add_variant (master, &video);
  yg_master_playlist_add_variant (master, &audio);
  text = yg_master_playlist_to_string (master);
  g_assert_cmpstr (text, ==,
                   "#EXTM3U\n"
                   "#EXT-X-VERSION:3\n"
                   "#EXT-X-INDEPENDENT-SEGMENTS\n"
                   "#EXT-X-STREAM-INF:BANDWIDTH=2928000,CODECS=\"avc1.64001f,mp4a.40.2\","
                   "RESOLUTION=1280x720,FRAME-RATE=25.000\n"
                   "720p/index.m3u8\n"
                   "#EXT-X-STREAM-INF:BANDWIDTH=64000,AVERAGE-BANDWIDTH=70000,"
                   "CODECS=\"mp4a.40.2\"\n"
                   "audio/index.m3u8\n");
}

/* Subtitle renditions: written before the variants, named by each variant, read back. */
static void
test_master_subtitles (void)
{
  g_autoptr (YgMasterPlaylist) master = yg_master_playlist_new ();
  g_autoptr (YgMasterPlaylist) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  YgVariant video = { (char *) "720p/index.m3u8", 2928000, 0, NULL, 1280, 720, 0, (char *) "subs" };
  YgVariant audio = { (char *) "audio/index.m3u8", 64000, 0, NULL, 0, 0, 0, (char *) "subs" };
  YgRendition zh = { (char *) "subs", (char *) "中文", (char *) "zh-CN", TRUE, TRUE,
                     (char *) "captions/zh-CN.m3u8" };
  YgRendition en = { (char *) "subs", (char *) "English", (char *) "en", FALSE, TRUE,
                     (char *) "captions/en.m3u8" };
  const YgRendition *r;

  yg_master_playlist_add_rendition (master, &zh);
  yg_master_playlist_add_rendition (master, &en);
  yg_master_playlist_add_variant (master, &video);
  yg_master_playlist_add_variant (master, &audio);
  text = yg_master_playlist_to_string (master);
  g_assert_cmpstr (text, ==,
                   "#EXTM3U\n"
                   "#EXT-X-VERSION:3\n"
                   "#EXT-X-INDEPENDENT-SEGMENTS\n"
                   "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"中文\",LANGUAGE=\"zh-CN\","
                   "DEFAULT=YES,AUTOSELECT=YES,URI=\"captions/zh-CN.m3u8\"\n"
                   "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"English\",LANGUAGE=\"en\","
                   "DEFAULT=NO,AUTOSELECT=YES,URI=\"captions/en.m3u8\"\n"
                   "#EXT-X-STREAM-INF:BANDWIDTH=2928000,RESOLUTION=1280x720,SUBTITLES=\"subs\"\n"
                   "720p/index.m3u8\n"
                   "#EXT-X-STREAM-INF:BANDWIDTH=64000,SUBTITLES=\"subs\"\n"
                   "audio/index.m3u8\n");
  back = yg_master_playlist_parse (text, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->renditions->len, ==, 2);
  r = &g_array_index (back->renditions, YgRendition, 0);
  g_assert_cmpstr (r->group_id, ==, "subs");
  g_assert_cmpstr (r->name, ==, "中文");
  g_assert_cmpstr (r->language, ==, "zh-CN");
  g_assert_true (r->is_default && r->autoselect);
  g_assert_cmpstr (r->uri, ==, "captions/zh-CN.m3u8");
  r = &g_array_index (back->renditions, YgRendition, 1);
  g_assert_false (r->is_default);
  for (guint i = 0; i < back->variants->len; i++)
    g_assert_cmpstr (g_array_index (back->variants, YgVariant, i).subtitles, ==, "subs");
  /* other rendition types are skipped; a SUBTITLES rendition needs a URI */
  g_clear_pointer (&back, yg_master_playlist_free);
  back = yg_master_playlist_parse ("#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"x\"\n"
                                   "#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->renditions->len, ==, 0);
  g_clear_pointer (&back, yg_master_playlist_free);
  back = yg_master_playlist_parse ("#EXTM3U\n#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"s\",NAME=\"x\"\n"
                                   "#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n", &error);
  g_assert_error (error, YG_PLAYLIST_ERROR, YG_PLAYLIST_ERROR_PARSE);
  g_assert_null (back);
}

static void
test_master_round_trip_random (void)
{
  static const char *const codec_choices[] = {
    "avc1.64001f,mp4a.40.2", "avc1.4d401e", "mp4a.40.2", NULL,
  };

  for (guint iter = 0; iter < 300; iter++)
    {
      g_autoptr (YgMasterPlaylist) master = yg_master_playlist_new ();
      g_autoptr (YgMasterPlaylist) back = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *text = NULL;
      guint n = (guint) g_test_rand_int_range (0, 8);

      for (guint i = 0; i < n; i++)
        {
          g_autofree char *uri = g_strdup_printf ("v%u/index.m3u8", i);
          YgVariant v = { 0 };

          v.uri = uri;
          v.bandwidth = (guint64) g_test_rand_int_range (1, G_MAXINT);
          v.average_bandwidth = g_test_rand_bit () ? (guint64) g_test_rand_int_range (1, G_MAXINT) : 0;
          v.codecs = (char *) codec_choices[g_test_rand_int_range (0, G_N_ELEMENTS (codec_choices))];
          if (g_test_rand_bit ())
            {
              v.width = (guint) g_test_rand_int_range (2, 8192);
              v.height = (guint) g_test_rand_int_range (2, 8192);
              v.frame_rate_milli = (guint) g_test_rand_int_range (0, 120000);
            }
          yg_master_playlist_add_variant (master, &v);
        }
      text = yg_master_playlist_to_string (master);
      back = yg_master_playlist_parse (text, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (back->version, ==, 3);
      g_assert_true (back->independent_segments);
      g_assert_cmpuint (back->variants->len, ==, n);
      for (guint i = 0; i < n; i++)
        {
          const YgVariant *a = &g_array_index (master->variants, YgVariant, i);
          const YgVariant *b = &g_array_index (back->variants, YgVariant, i);

          g_assert_cmpstr (a->uri, ==, b->uri);
          g_assert_cmpuint (a->bandwidth, ==, b->bandwidth);
          g_assert_cmpuint (a->average_bandwidth, ==, b->average_bandwidth);
          g_assert_cmpstr (a->codecs, ==, b->codecs);
          g_assert_cmpuint (a->width, ==, b->width);
          g_assert_cmpuint (a->height, ==, b->height);
          g_assert_cmpuint (a->frame_rate_milli, ==, b->frame_rate_milli);
        }
    }
}

static void
test_master_parse_errors (void)
{
  static const char *const bad[] = {
    "#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n",
    "#EXTM3U\na.m3u8\n",
    "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n",
    "#EXTM3U\n#EXT-X-STREAM-INF:CODECS=\"a\"\na.m3u8\n",                 /* no BANDWIDTH */
    "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=x\na.m3u8\n",
    "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"a\na.m3u8\n",       /* open quote */
    "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,BANDWIDTH=2\na.m3u8\n",      /* twice */
    "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=12\na.m3u8\n",
    "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\na.ts\n",              /* a media playlist */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (YgMasterPlaylist) pl = yg_master_playlist_parse (bad[i], &error);

      g_assert_null (pl);
      g_assert_error (error, YG_PLAYLIST_ERROR, YG_PLAYLIST_ERROR_PARSE);
    }
}

/* --- rungs ---------------------------------------------------------------- */

typedef struct
{
  const char *what;
  YgRungSource source;
  guint n;
  struct
  {
    const char *name;
    guint width, height;
  } rungs[YG_RUNGS_MAX];
  guint fps_n, fps_d;
} PlanCase;

static void
test_rungs_plan (void)
{
  static const PlanCase cases[] = {
    { "1080p25", { 1920, 1080, 1, 1, 0, 25, 1 }, 4,
      { { "1080p", 1920, 1080 }, { "720p", 1280, 720 }, { "480p", 854, 480 }, { "360p", 640, 360 } },
      25, 1 },
    { "720p, no upscale", { 1280, 720, 0, 0, 0, 30000, 1001 }, 3,
      { { "720p", 1280, 720 }, { "480p", 854, 480 }, { "360p", 640, 360 } }, 30000, 1001 },
    { "4:3 VGA", { 640, 480, 1, 1, 0, 30, 1 }, 2, { { "480p", 640, 480 }, { "360p", 480, 360 } },
      30, 1 },
    { "tiny: lowest rung at source size", { 320, 240, 1, 1, 0, 25, 1 }, 1,
      { { "360p", 320, 240 } }, 25, 1 },
    { "tiny odd size rounds to even", { 175, 97, 1, 1, 0, 25, 1 }, 1, { { "360p", 176, 98 } },
      25, 1 },
    { "PAL 4:3 anamorphic", { 720, 576, 16, 15, 0, 25, 1 }, 2,
      { { "480p", 640, 480 }, { "360p", 480, 360 } }, 25, 1 },
    { "PAL 16:9 anamorphic", { 720, 576, 64, 45, 0, 25, 1 }, 2,
      { { "480p", 854, 480 }, { "360p", 640, 360 } }, 25, 1 },
    { "phone portrait, rotated 90", { 1920, 1080, 1, 1, 90, 30, 1 }, 4,
      { { "1080p", 1080, 1920 }, { "720p", 720, 1280 }, { "480p", 480, 854 }, { "360p", 360, 640 } },
      30, 1 },
    { "rotated 270, tiny", { 320, 240, 1, 1, 270, 25, 1 }, 1, { { "360p", 240, 320 } }, 25, 1 },
    { "rotated 180 keeps landscape", { 1280, 720, 1, 1, 180, 25, 1 }, 3,
      { { "720p", 1280, 720 }, { "480p", 854, 480 }, { "360p", 640, 360 } }, 25, 1 },
    { "1080p60 halves every rung's rate (level 4.1)", { 1920, 1080, 1, 1, 0, 60, 1 }, 4,
      { { "1080p", 1920, 1080 }, { "720p", 1280, 720 }, { "480p", 854, 480 }, { "360p", 640, 360 } },
      30, 1 },
    { "1080p59.94", { 1920, 1080, 1, 1, 0, 60000, 1001 }, 4,
      { { "1080p", 1920, 1080 }, { "720p", 1280, 720 }, { "480p", 854, 480 }, { "360p", 640, 360 } },
      30000, 1001 },
    { "720p60 fits level 3.2: kept", { 1280, 720, 1, 1, 0, 60, 1 }, 3,
      { { "720p", 1280, 720 }, { "480p", 854, 480 }, { "360p", 640, 360 } }, 60, 1 },
    { "unknown rate", { 1280, 720, 1, 1, 0, 0, 0 }, 3,
      { { "720p", 1280, 720 }, { "480p", 854, 480 }, { "360p", 640, 360 } }, 0, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const PlanCase *c = &cases[i];
      YgLadderPlan plan;

      g_test_message ("plan: %s", c->what);
      g_assert_true (yg_rungs_plan (&c->source, &plan));
      g_assert_cmpuint (plan.n_rungs, ==, c->n);
      g_assert_cmpuint (plan.fps_n, ==, c->fps_n);
      g_assert_cmpuint (plan.fps_d, ==, c->fps_d);
      for (guint r = 0; r < c->n; r++)
        {
          g_assert_cmpstr (plan.rungs[r].rung->name, ==, c->rungs[r].name);
          g_assert_cmpuint (plan.rungs[r].width, ==, c->rungs[r].width);
          g_assert_cmpuint (plan.rungs[r].height, ==, c->rungs[r].height);
          g_assert_cmpuint (plan.rungs[r].level_idc, >=, 30);
          g_assert_cmpuint (plan.rungs[r].level_idc, <=, 41);
        }
    }
}

/* Random geometry: the plan's invariants. */
static void
test_rungs_plan_random (void)
{
  for (guint iter = 0; iter < 2000; iter++)
    {
      YgRungSource s = { 0 };
      YgLadderPlan plan;
      double src_aspect, src_short;
      guint prev_short = G_MAXUINT;

      s.width = (guint) g_test_rand_int_range (2, 8000);
      s.height = (guint) g_test_rand_int_range (2, 8000);
      s.par_n = (guint) g_test_rand_int_range (1, 5);
      s.par_d = (guint) g_test_rand_int_range (1, 5);
      s.rotation = 90 * (guint) g_test_rand_int_range (0, 4);
      s.fps_n = (guint) g_test_rand_int_range (1, 121);
      s.fps_d = 1;
      if (!yg_rungs_plan (&s, &plan))
        continue;
      src_aspect = (double) s.width * s.par_n / s.par_d / s.height;
      if (s.rotation % 180 == 90)
        src_aspect = 1 / src_aspect;
      src_short = MIN ((double) s.width * s.par_n / s.par_d, (double) s.height);

      g_assert_cmpuint (plan.n_rungs, >=, 1);
      for (guint r = 0; r < plan.n_rungs; r++)
        {
          const YgRungPlan *p = &plan.rungs[r];
          guint short_edge = MIN (p->width, p->height);
          double aspect = (double) p->width / p->height;

          g_assert_cmpuint (p->width % 2, ==, 0);
          g_assert_cmpuint (p->height % 2, ==, 0);
          g_assert_cmpuint (short_edge, <=, p->rung->short_edge);
          g_assert_cmpuint (short_edge, <, prev_short);           /* strictly descending */
          g_assert_cmpfloat (short_edge, <=, src_short + 2);        /* never upscale */
          g_assert_cmpuint (yg_rungs_level_for (p->width, p->height, plan.fps_n, plan.fps_d), !=, 0);
          if (short_edge >= 100)
            g_assert_cmpfloat (ABS (aspect / src_aspect - 1), <, 0.05); /* aspect kept */
          prev_short = short_edge;
        }
    }
}

static void
test_rungs_level (void)
{
  g_assert_cmpuint (yg_rungs_level_for (640, 360, 25, 1), ==, 30);
  g_assert_cmpuint (yg_rungs_level_for (1280, 720, 30, 1), ==, 31);
  g_assert_cmpuint (yg_rungs_level_for (1280, 720, 60, 1), ==, 32);
  g_assert_cmpuint (yg_rungs_level_for (1920, 1080, 30, 1), ==, 40);
  g_assert_cmpuint (yg_rungs_level_for (1920, 1080, 60, 1), ==, 0);
  g_assert_cmpuint (yg_rungs_level_for (3840, 2160, 30, 1), ==, 0);
}

static void
test_rungs_avc_codec (void)
{
  static const guint8 high31[] = { 0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9 };
  static const guint8 aud_then_main30[] = { 0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x67, 0x4d, 0x40,
                                            0x1e, 0x96 };
  static const guint8 baseline[] = { 0xff, 0, 0, 1, 0x27, 0x42, 0xc0, 0x1e, 0x00 };
  static const guint8 slice_only[] = { 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33 };
  static const guint8 truncated[] = { 0, 0, 1, 0x67, 0x64, 0x00 };
  g_autofree char *a = yg_rungs_avc_codec_from_annexb (high31, sizeof high31);
  g_autofree char *b = yg_rungs_avc_codec_from_annexb (aud_then_main30, sizeof aud_then_main30);
  g_autofree char *c = yg_rungs_avc_codec_from_annexb (baseline, sizeof baseline);
  g_autofree char *d = yg_rungs_avc_codec_from_annexb (slice_only, sizeof slice_only);
  g_autofree char *e = yg_rungs_avc_codec_from_annexb (truncated, sizeof truncated);

  g_assert_cmpstr (a, ==, "avc1.64001f");
  g_assert_cmpstr (b, ==, "avc1.4d401e");
  g_assert_cmpstr (c, ==, "avc1.42c01e");
  g_assert_null (d);
  g_assert_null (e);
}

static void
test_rungs_table (void)
{
  guint n;
  const YgRung *table = yg_rungs_get_table (&n);
  static const struct
  {
    const char *name;
    guint kbps;
    const char *profile;
  } expected[] = {
    { "1080p", 5000, "high" }, { "720p", 2800, "high" }, { "480p", 1400, "main" },
    { "360p", 800, "main" },
  };

  g_assert_cmpuint (n, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpstr (table[i].name, ==, expected[i].name);
      g_assert_cmpuint (table[i].video_kbps, ==, expected[i].kbps);
      g_assert_cmpstr (table[i].profile, ==, expected[i].profile);
    }
}

/* --- publish -------------------------------------------------------------- */

typedef struct
{
  char *dir;
} TmpFixture;

static int
remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove (path);
}

static void
tmp_setup (TmpFixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fx->dir = g_dir_make_tmp ("yg-playlist-test-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
tmp_teardown (TmpFixture *fx, gconstpointer data)
{
  nftw (fx->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  g_free (fx->dir);
}

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
test_publish_write_file (TmpFixture *fx, gconstpointer data)
{
  g_autofree char *path = g_build_filename (fx->dir, "index.m3u8", NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  GStatBuf st;

  g_assert_true (yg_publish_write_file (path, "one", 3, &error));
  g_assert_no_error (error);
  g_assert_true (yg_publish_write_file (path, "second", 6, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "second");
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);
  g_assert_cmpuint (count_entries (fx->dir), ==, 1); /* no temporaries left */
}

static void
test_publish_errors (TmpFixture *fx, gconstpointer data)
{
  g_autofree char *path = g_build_filename (fx->dir, "missing", "index.m3u8", NULL);
  g_autofree char *tmp = g_build_filename (fx->dir, "nothing.tmp", NULL);
  g_autofree char *final = g_build_filename (fx->dir, "nothing", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_false (yg_publish_write_file (path, "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (yg_publish_commit_file (tmp, final, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpuint (count_entries (fx->dir), ==, 0);
}

static void
test_publish_commit_and_dirs (TmpFixture *fx, gconstpointer data)
{
  g_autofree char *sub = g_build_filename (fx->dir, "a", "720p", NULL);
  g_autofree char *tmp = g_build_filename (sub, "seg00000.ts.tmp", NULL);
  g_autofree char *final = g_build_filename (sub, "seg00000.ts", NULL);
  g_autoptr (GError) error = NULL;
  GStatBuf st;

  g_assert_true (yg_publish_make_dir (sub, &error));
  g_assert_true (yg_publish_make_dir (sub, &error)); /* existing is fine */
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (tmp, "GGGG", 4, NULL));
  g_chmod (tmp, 0600);
  g_assert_true (yg_publish_commit_file (tmp, final, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_stat (final, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 4);
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Pure parts of the HLS ladder: playlists (RFC 8216), rungs, durable publishing");

  g_test_add_func ("/playlist/media/exact-text", test_media_exact_text);
  g_test_add_func ("/playlist/media/target-duration", test_media_target_duration);
  g_test_add_func ("/playlist/media/round-trip-random", test_media_round_trip_random);
  g_test_add_func ("/playlist/media/parse-foreign", test_media_parse_foreign);
  g_test_add_func ("/playlist/media/parse-errors", test_media_parse_errors);
  g_test_add_func ("/playlist/media/bandwidth", test_media_bandwidth);
  g_test_add_func ("/playlist/media/bandwidth-random", test_media_bandwidth_random);
  g_test_add_func ("/playlist/master/exact-text", test_master_exact_text);
  g_test_add_func ("/playlist/master/subtitles", test_master_subtitles);
  g_test_add_func ("/playlist/master/round-trip-random", test_master_round_trip_random);
  g_test_add_func ("/playlist/master/parse-errors", test_master_parse_errors);
  g_test_add_func ("/rungs/table", test_rungs_table);
  g_test_add_func ("/rungs/plan", test_rungs_plan);
  g_test_add_func ("/rungs/plan-random", test_rungs_plan_random);
  g_test_add_func ("/rungs/level", test_rungs_level);
  g_test_add_func ("/rungs/avc-codec", test_rungs_avc_codec);
  g_test_add ("/publish/write-file", TmpFixture, NULL, tmp_setup, test_publish_write_file,
              tmp_teardown);
  g_test_add ("/publish/errors", TmpFixture, NULL, tmp_setup, test_publish_errors, tmp_teardown);
  g_test_add ("/publish/commit-and-dirs", TmpFixture, NULL, tmp_setup,
              test_publish_commit_and_dirs, tmp_teardown);
  return g_test_run ();
}

/* delivery-test.c: HLS delivery (/hls/<item>/…) over real HTTP.
 *
 * Files are written under the test server's data directory exactly where a
 * transcode publishes them (media/<id>/master.m3u8, <rung>/index.m3u8,
 * <rung>/segNNNNN.ts, poster.jpg, …) and fetched over loopback with raw
 * HTTP/1.1, reading each response to EOF so binary bodies and HEAD answers
 * are compared byte for byte. Covered: Content-Type and Cache-Control per
 * kind of file (immutable segments, cacheable VOD playlists, no-cache EVENT
 * playlists), ETag/Last-Modified, If-None-Match → 304 without a body,
 * single ranges (206/416) and the cases answered with the whole file
 * (several ranges, malformed), If-Range, HEAD, names outside the grammar and
 * symlinks out of the data directory (404, never the target's bytes), and a
 * new ETag after a file is replaced by rename. Large bodies go out with
 * sendfile(2) (the server's counter grows by exactly the bytes served, whole
 * files and ranges alike; a file cut in place mid-response ends that response
 * and nothing else); a public item's JSON, kept a moment for everyone,
 * shows a staff change at once. With --accel-redirect, files are handed to
 * nginx (X-Accel-Redirect, empty body, the same type and caching) only for
 * what the caller may fetch. The item row exists (public),
 * since /hls/<item>/ serves only items the catalogue knows as public; the
 * visibility rules themselves are in visibility-test.c. Suite: http.
 */
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "yg-item-store.h"
#include "yg-routes.h"
#include "yg-secret.h"
#include "yg-test-server.h"

#define ITEM "abcdefghijklmnop" /* 16 characters of [a-z2-7]: the server's id shape */
#define SEGMENT_SIZE (1536 * 1024)
#define FIXED_MTIME 1704164645 /* Tue, 02 Jan 2024 03:04:05 GMT */

static const char vod_playlist[] = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n"
                                   "#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:4.0,\nseg00000.ts\n"
                                   "#EXT-X-ENDLIST\n";
static const char event_playlist[] = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n"
                                     "#EXT-X-PLAYLIST-TYPE:EVENT\n#EXTINF:4.0,\nseg00000.ts\n";
static const char master_playlist[] = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=2800000,"
                                      "RESOLUTION=1280x720\n720p/index.m3u8\n"
                                      "#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n"
                                      "360p/index.m3u8\n";

typedef struct
{
  YgTestServer *ts;
  char *outside;    /* a directory outside the data directory, removed in teardown */
  GBytes *segment;  /* the bytes of 720p/seg00000.ts */
} Fixture;

/* --- files ------------------------------------------------------------------------------ */

static char *
media_path (Fixture *f, const char *rel)
{
  return g_build_filename (f->ts->data_dir, "media", ITEM, rel, NULL);
}

static void
put_file (Fixture *f, const char *rel, const void *data, gsize len)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *full = media_path (f, rel);
  g_autofree char *dir = g_path_get_dirname (full);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (full, data, len, &error));
  g_assert_no_error (error);
}

static gpointer
insert_item (gpointer conn, gpointer data, GError **error)
{
  return yg_item_store_insert (conn, ITEM, "lesson", "delivery", "", error);
}

static void
fixture_setup_with (Fixture *f, YgConfig *config)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (4242);
  guint8 *bytes = g_malloc (SEGMENT_SIZE);
  static const guint8 jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00,
                                 0x00, 0x00, 0x0a, 0xff, 0xd9 };

  f->ts = yg_test_server_start (config, yg_routes, yg_n_routes);
  g_free (yg_test_server_db_sync (f->ts, insert_item, NULL));
  f->outside = yg_test_make_tmpdir ();
  /* Random bytes, NULs included: a body compared as a C string would pass by accident. */
  for (gsize i = 0; i < SEGMENT_SIZE; i++)
    bytes[i] = (guint8) g_rand_int_range (rand, 0, 256);
  bytes[0] = 0x47; /* MPEG-TS sync byte */
  bytes[1] = 0;
  f->segment = g_bytes_new_take (bytes, SEGMENT_SIZE);

  put_file (f, "master.m3u8", master_playlist, strlen (master_playlist));
  put_file (f, "720p/index.m3u8", vod_playlist, strlen (vod_playlist));
  put_file (f, "360p/index.m3u8", event_playlist, strlen (event_playlist));
  put_file (f, "720p/seg00000.ts", g_bytes_get_data (f->segment, NULL), SEGMENT_SIZE);
  put_file (f, "360p/seg00000.ts", "\x47\x00\x11", 3);
  put_file (f, "poster.jpg", jpeg, sizeof jpeg);
  put_file (f, "storyboard.jpg", jpeg, sizeof jpeg);
  put_file (f, "thumbnails.vtt", "WEBVTT\n\n", 8);
}

/* How the server under test delivers: every test runs with libsoup alone
 * (no delivery threads) and with delivery threads, whose fast path answers
 * plain GETs itself (yg-fast-path.c). */
typedef struct
{
  const char *threads; /* --delivery-threads */
  const char *accel;   /* NULL, or an --accel-redirect prefix */
} Mode;

static const Mode libsoup_mode = { "0", NULL };
static const Mode fast_mode = { "2", NULL };
static const Mode accel_mode = { "2", "/yg-media/" };

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  const Mode *mode = data;
  YgConfig *config = yg_config_new ();

  g_assert_true (yg_config_set (config, "delivery-threads", mode->threads, NULL));
  if (mode->accel != NULL) /* the nginx internal location's prefix */
    g_assert_true (yg_config_set (config, "accel-redirect", mode->accel, NULL));
  fixture_setup_with (f, config);
}

static gboolean
fast (gconstpointer data)
{
  return !g_str_equal (((const Mode *) data)->threads, "0");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  yg_test_server_stop (f->ts);
  yg_test_rm_rf (f->outside);
  g_assert_false (g_file_test (f->outside, G_FILE_TEST_EXISTS));
  g_free (f->outside);
  g_bytes_unref (f->segment);
}

/* --- HTTP ------------------------------------------------------------------------------ */

typedef struct
{
  guint status;
  GHashTable *headers; /* lower-case name → value */
  GBytes *body;
} Response;

static void
response_free (Response *r)
{
  g_hash_table_unref (r->headers);
  g_bytes_unref (r->body);
  g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

static const char *
header (Response *r, const char *name)
{
  return g_hash_table_lookup (r->headers, name);
}

/* The status and headers of the response head from @start to @end (its
 * blank line); no body yet. */
static Response *
parse_head (const guint8 *start, const guint8 *end)
{
  g_autofree char *head = g_strndup ((const char *) start, end - start);
  g_auto (GStrv) lines = g_strsplit (head, "\r\n", -1);
  Response *r = g_new0 (Response, 1);

  g_assert_true (g_str_has_prefix (lines[0], "HTTP/1.1 "));
  r->status = atoi (lines[0] + 9);
  r->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *colon = strchr (lines[i], ':');
      g_assert_nonnull (colon);
      g_hash_table_replace (r->headers, g_ascii_strdown (lines[i], colon - lines[i]),
                            g_strstrip (g_strdup (colon + 1)));
    }
  return r;
}

/* Sends @method @path with extra header lines (each ending in \r\n) and
 * reads the response to EOF (the request says Connection: close). */
static Response *
fetch (Fixture *f, const char *method, const char *path, const char *extra)
{
  g_autoptr (GSocketConnection) conn = yg_test_connect (f->ts->port);
  g_autofree char *req = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s\r\n",
                                          method, path, extra != NULL ? extra : "");
  g_autoptr (GByteArray) buf = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  const guint8 *end = NULL;
  Response *r;
  guint8 chunk[65536];
  gssize n;

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), req, strlen (req),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  while ((n = g_input_stream_read (in, chunk, sizeof chunk, NULL, &error)) > 0)
    g_byte_array_append (buf, chunk, n);
  g_assert_no_error (error);

  for (guint i = 0; i + 3 < buf->len; i++)
    if (memcmp (buf->data + i, "\r\n\r\n", 4) == 0)
      {
        end = buf->data + i;
        break;
      }
  g_assert_nonnull (end);
  r = parse_head (buf->data, end);
  r->body = g_bytes_new (end + 4, buf->len - (end + 4 - buf->data));
  /* The body is exactly as long as announced (HEAD: no body at all). */
  if (header (r, "content-length") != NULL && !g_str_equal (method, "HEAD"))
    g_assert_cmpuint (g_ascii_strtoull (header (r, "content-length"), NULL, 10), ==,
                      g_bytes_get_size (r->body));
  g_test_message ("%s %s %s→ %u (%zu bytes)", method, path, extra ? extra : "", r->status,
                  g_bytes_get_size (r->body));
  return r;
}

static Response *
get (Fixture *f, const char *rel, const char *extra)
{
  g_autofree char *path = g_strdup_printf ("/hls/%s/%s", ITEM, rel);

  return fetch (f, "GET", path, extra);
}

static void
assert_body (Response *r, const void *data, gsize len)
{
  gsize got_len;
  const void *got = g_bytes_get_data (r->body, &got_len);

  g_assert_cmpuint (got_len, ==, len);
  g_assert_true (len == 0 || memcmp (got, data, len) == 0);
}

static void
assert_not_found_json (Response *r)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *err;

  g_assert_cmpuint (r->status, ==, 404);
  g_assert_true (g_str_has_prefix (header (r, "content-type"), "application/json"));
  json_parser_load_from_data (parser, g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body),
                              &error);
  g_assert_no_error (error);
  err = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "error");
  g_assert_cmpstr (json_object_get_string_member (err, "code"), ==, "not_found");
}

static const guint8 *
segment_bytes (Fixture *f)
{
  return g_bytes_get_data (f->segment, NULL);
}

/* --- /delivery/types --------------------------------------------------------------------- */

static void
test_types_and_caching (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *rel;
    const char *type;
    const char *cache;
  } cases[] = {
    { "master.m3u8", "application/vnd.apple.mpegurl", "no-cache" },
    { "720p/index.m3u8", "application/vnd.apple.mpegurl", "public, max-age=300" },   /* VOD */
    { "360p/index.m3u8", "application/vnd.apple.mpegurl", "no-cache" },              /* EVENT */
    { "720p/seg00000.ts", "video/mp2t", "public, max-age=31536000, immutable" },
    { "360p/seg00000.ts", "video/mp2t", "public, max-age=31536000, immutable" },
    { "poster.jpg", "image/jpeg", "public, max-age=3600" },
    { "storyboard.jpg", "image/jpeg", "public, max-age=3600" },
    { "thumbnails.vtt", "text/vtt", "public, max-age=3600" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *full = media_path (f, cases[i].rel);
      g_autofree char *expected = NULL;
      gsize expected_len = 0;
      g_autoptr (Response) r = get (f, cases[i].rel, NULL);
      g_autoptr (Response) again = NULL;

      g_assert_true (g_file_get_contents (full, &expected, &expected_len, NULL));
      g_assert_cmpuint (r->status, ==, 200);
      g_assert_true (g_str_has_prefix (header (r, "content-type"), cases[i].type));
      g_assert_cmpstr (header (r, "cache-control"), ==, cases[i].cache);
      g_assert_nonnull (header (r, "etag"));
      g_assert_true (g_str_has_prefix (header (r, "etag"), "\""));
      g_assert_true (g_str_has_suffix (header (r, "etag"), "\""));
      g_assert_nonnull (header (r, "last-modified"));
      g_assert_true (g_str_has_suffix (header (r, "last-modified"), " GMT"));
      g_assert_cmpstr (header (r, "accept-ranges"), ==, "bytes");
      g_assert_null (header (r, "content-range"));
      assert_body (r, expected, expected_len);

      /* The validator is stable while the file is. */
      again = get (f, cases[i].rel, NULL);
      g_assert_cmpstr (header (again, "etag"), ==, header (r, "etag"));
    }
  /* The VTT type carries its charset. */
  {
    g_autoptr (Response) r = get (f, "thumbnails.vtt", NULL);
    g_assert_nonnull (strstr (header (r, "content-type"), "charset=utf-8"));
  }
}

static void
test_last_modified (Fixture *f, gconstpointer data)
{
  g_autofree char *full = media_path (f, "poster.jpg");
  struct utimbuf times = { FIXED_MTIME, FIXED_MTIME };
  g_autoptr (Response) r = NULL;

  g_assert_cmpint (utime (full, &times), ==, 0);
  r = get (f, "poster.jpg", NULL);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (header (r, "last-modified"), ==, "Tue, 02 Jan 2024 03:04:05 GMT");
}

/* --- /delivery/conditional ------------------------------------------------------------------ */

static void
test_conditional (Fixture *f, gconstpointer data)
{
  g_autoptr (Response) first = get (f, "720p/seg00000.ts", NULL);
  const char *etag = header (first, "etag");
  g_autofree char *exact = g_strdup_printf ("If-None-Match: %s\r\n", etag);
  g_autofree char *weak = g_strdup_printf ("If-None-Match: W/%s\r\n", etag);
  g_autofree char *listed = g_strdup_printf ("If-None-Match: \"nope\", %s\r\n", etag);
  const struct
  {
    const char *extra;
    guint status;
  } cases[] = {
    { exact, 304 },
    { weak, 304 },
    { listed, 304 },
    { "If-None-Match: *\r\n", 304 },
    { "If-None-Match: \"nope\"\r\n", 200 },
    { "If-None-Match: \"\"\r\n", 200 },
  };

  g_assert_cmpuint (first->status, ==, 200);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (Response) r = get (f, "720p/seg00000.ts", cases[i].extra);
      g_assert_cmpuint (r->status, ==, cases[i].status);
      if (cases[i].status == 304)
        {
          g_assert_cmpuint (g_bytes_get_size (r->body), ==, 0);
          g_assert_cmpstr (header (r, "etag"), ==, etag);
          g_assert_nonnull (header (r, "cache-control"));
        }
      else
        assert_body (r, segment_bytes (f), SEGMENT_SIZE);
    }
  /* Playlists revalidate the same way. */
  {
    g_autoptr (Response) p = get (f, "360p/index.m3u8", NULL);
    g_autofree char *inm = g_strdup_printf ("If-None-Match: %s\r\n", header (p, "etag"));
    g_autoptr (Response) p304 = get (f, "360p/index.m3u8", inm);
    g_assert_cmpuint (p304->status, ==, 304);
    g_assert_cmpuint (g_bytes_get_size (p304->body), ==, 0);
  }
}

/* --- /delivery/range --------------------------------------------------------------------- */

static void
test_range (Fixture *f, gconstpointer data)
{
  const guint64 size = SEGMENT_SIZE;
  g_autofree char *open_end = g_strdup_printf ("Range: bytes=%" G_GUINT64_FORMAT "-\r\n", size);
  g_autofree char *last = g_strdup_printf ("Range: bytes=%" G_GUINT64_FORMAT "-\r\n", size - 1);
  g_autofree char *past = g_strdup_printf ("Range: bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "\r\n",
                                           size - 10, size + 1000);
  g_autofree char *huge_suffix = g_strdup_printf ("Range: bytes=-%" G_GUINT64_FORMAT "\r\n", size + 10);
  g_autofree char *far = g_strdup_printf ("Range: bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "\r\n",
                                          size + 5, size + 10);
  const struct
  {
    const char *extra;
    guint status;
    guint64 start, end; /* for 206 */
  } cases[] = {
    { "Range: bytes=0-99\r\n", 206, 0, 99 },
    { "Range: bytes=-100\r\n", 206, size - 100, size - 1 },
    { "Range: bytes=100-\r\n", 206, 100, size - 1 },
    { "Range: bytes=1000000-1000999\r\n", 206, 1000000, 1000999 },
    { "Range: bytes=0-0\r\n", 206, 0, 0 },
    { last, 206, size - 1, size - 1 },
    { past, 206, size - 10, size - 1 },           /* end clamped to the file */
    { huge_suffix, 206, 0, size - 1 },            /* suffix longer than the file */
    { open_end, 416, 0, 0 },
    { far, 416, 0, 0 },
    { "Range: bytes=-0\r\n", 416, 0, 0 },
    { "Range: bytes=0-1,5-6\r\n", 200, 0, 0 },   /* several ranges: the whole file */
    { "Range: bytes=x-y\r\n", 200, 0, 0 },       /* malformed: the whole file */
    { "Range: bytes=5-3\r\n", 200, 0, 0 },
    { "Range: bytes=--5\r\n", 200, 0, 0 },
    { "Range: bytes=1-2-3\r\n", 200, 0, 0 },
    { "Range: items=0-99\r\n", 200, 0, 0 },
    { "Range: bytes=99999999999999999999999-\r\n", 200, 0, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (Response) r = get (f, "720p/seg00000.ts", cases[i].extra);

      g_assert_cmpuint (r->status, ==, cases[i].status);
      if (cases[i].status != 416)
        g_assert_cmpstr (header (r, "content-type"), ==, "video/mp2t");
      if (cases[i].status == 206)
        {
          g_autofree char *cr = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                                                 "/%" G_GUINT64_FORMAT,
                                                 cases[i].start, cases[i].end, size);
          g_assert_cmpstr (header (r, "content-range"), ==, cr);
          assert_body (r, segment_bytes (f) + cases[i].start, cases[i].end - cases[i].start + 1);
          g_assert_cmpstr (header (r, "cache-control"), ==, "public, max-age=31536000, immutable");
        }
      else if (cases[i].status == 416)
        {
          g_autofree char *cr = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, size);
          g_assert_cmpstr (header (r, "content-range"), ==, cr);
          g_assert_null (memmem (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body),
                                 segment_bytes (f), 64));
        }
      else
        {
          g_assert_null (header (r, "content-range"));
          assert_body (r, segment_bytes (f), SEGMENT_SIZE);
        }
    }
}

static void
test_if_range (Fixture *f, gconstpointer data)
{
  g_autoptr (Response) first = get (f, "720p/seg00000.ts", NULL);
  g_autofree char *same = g_strdup_printf ("Range: bytes=10-19\r\nIf-Range: %s\r\n", header (first, "etag"));
  g_autofree char *same_date = g_strdup_printf ("Range: bytes=10-19\r\nIf-Range: %s\r\n",
                                                header (first, "last-modified"));
  g_autoptr (Response) ok = get (f, "720p/seg00000.ts", same);
  g_autoptr (Response) ok_date = get (f, "720p/seg00000.ts", same_date);
  g_autoptr (Response) changed = get (f, "720p/seg00000.ts", "Range: bytes=10-19\r\nIf-Range: \"old\"\r\n");

  g_assert_cmpuint (ok->status, ==, 206);
  assert_body (ok, segment_bytes (f) + 10, 10);
  g_assert_cmpuint (ok_date->status, ==, 206);
  g_assert_cmpuint (changed->status, ==, 200);
  assert_body (changed, segment_bytes (f), SEGMENT_SIZE);
}

static void
count_criticals (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  g_test_message ("%s-CRITICAL: %s", domain, message);
  g_atomic_int_inc ((int *) data);
}

/* An empty file (an empty captions or thumbnails file is legitimate): every
 * range is unsatisfiable, a plain GET is an empty 200. Criticals from
 * libsoup are counted rather than fatal while the request runs. */
static void
test_empty_file (Fixture *f, gconstpointer data)
{
  static const char *const ranges[] = { "Range: bytes=0-\r\n", "Range: bytes=0-0\r\n",
                                        "Range: bytes=-5\r\n" };
  g_autoptr (Response) plain = NULL;
  GLogLevelFlags old_fatal;
  int criticals = 0;
  guint handler;

  put_file (f, "thumbnails.vtt", "", 0);
  for (gsize i = 0; i < G_N_ELEMENTS (ranges); i++)
    {
      g_autoptr (Response) r = get (f, "thumbnails.vtt", ranges[i]);
      g_assert_cmpuint (r->status, ==, 416);
      g_assert_cmpstr (header (r, "content-range"), ==, "bytes */0");
    }

  old_fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  handler = g_log_set_handler ("libsoup", G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING, count_criticals,
                               &criticals);
  plain = get (f, "thumbnails.vtt", NULL);
  g_log_remove_handler ("libsoup", handler);
  g_log_set_always_fatal (old_fatal);

  g_assert_cmpuint (plain->status, ==, 200);
  g_assert_cmpuint (g_bytes_get_size (plain->body), ==, 0);
  g_assert_nonnull (header (plain, "etag"));
  if (g_atomic_int_get (&criticals) > 0)
    g_test_incomplete ("BUG media-server/yg-http-file.c yg_http_serve_file: an empty file is "
                       "answered with soup_message_body_append_bytes() of an empty GBytes, a "
                       "libsoup-CRITICAL (fatal under G_DEBUG=fatal-criticals); append only when "
                       "st_size > 0");
}

/* --- /delivery/head ---------------------------------------------------------------------- */

static void
test_head (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_strdup_printf ("/hls/%s/720p/seg00000.ts", ITEM);
  g_autofree char *playlist = g_strdup_printf ("/hls/%s/720p/index.m3u8", ITEM);
  g_autoptr (Response) got = fetch (f, "GET", path, NULL);
  g_autoptr (Response) head = fetch (f, "HEAD", path, NULL);
  g_autoptr (Response) head_pl = fetch (f, "HEAD", playlist, NULL);
  g_autofree char *size = g_strdup_printf ("%d", SEGMENT_SIZE);

  g_assert_cmpuint (head->status, ==, 200);
  g_assert_cmpuint (g_bytes_get_size (head->body), ==, 0);
  g_assert_cmpstr (header (head, "content-type"), ==, "video/mp2t");
  g_assert_cmpstr (header (head, "etag"), ==, header (got, "etag"));
  g_assert_cmpstr (header (head, "last-modified"), ==, header (got, "last-modified"));
  g_assert_cmpstr (header (head, "cache-control"), ==, header (got, "cache-control"));
  if (header (head, "content-length") != NULL)
    g_assert_cmpstr (header (head, "content-length"), ==, size);

  g_assert_cmpuint (head_pl->status, ==, 200);
  g_assert_cmpuint (g_bytes_get_size (head_pl->body), ==, 0);
  g_assert_cmpstr (header (head_pl, "cache-control"), ==, "public, max-age=300");

  /* Not found with HEAD is a bodiless 404. */
  {
    g_autofree char *missing = g_strdup_printf ("/hls/%s/720p/seg00099.ts", ITEM);
    g_autoptr (Response) r = fetch (f, "HEAD", missing, NULL);
    g_assert_cmpuint (r->status, ==, 404);
    g_assert_cmpuint (g_bytes_get_size (r->body), ==, 0);
  }
}

/* --- /delivery/not-found ----------------------------------------------------------------- */

static void
test_not_found (Fixture *f, gconstpointer data)
{
  g_autofree char *long_rung = g_strnfill (17, 'a');
  g_autofree char *long_rung_path = g_strdup_printf ("/hls/" ITEM "/%s/index.m3u8", long_rung);
  g_autofree char *long_rung_file = g_strdup_printf (ITEM "/%s/index.m3u8", long_rung);
  /* Where a request would land on disk, that file exists ("plant"), so only
   * the name grammar can be the reason for the 404. */
  const struct
  {
    const char *path;
    const char *plant; /* relative to DATA/media, or NULL */
  } cases[] = {
    { "/hls/" ITEM "/720p/seg1.ts", ITEM "/720p/seg1.ts" },
    { "/hls/" ITEM "/720p/seg0000a.ts", ITEM "/720p/seg0000a.ts" },
    { "/hls/" ITEM "/720p/seg000000.ts", ITEM "/720p/seg000000.ts" },
    { "/hls/" ITEM "/720p/SEG00000.TS", ITEM "/720p/SEG00000.TS" },
    { "/hls/" ITEM "/720p/seg00000.mp4", ITEM "/720p/seg00000.mp4" },
    { "/hls/" ITEM "/720p/seg00099.ts", NULL },            /* valid name, no such file */
    { "/hls/" ITEM "/720p/x.m3u8", ITEM "/720p/x.m3u8" },
    { "/hls/" ITEM "/720p/master.m3u8", ITEM "/720p/master.m3u8" }, /* master is item level */
    { "/hls/" ITEM "/720p/poster.jpg", ITEM "/720p/poster.jpg" },
    { "/hls/" ITEM "/index.m3u8", ITEM "/index.m3u8" },    /* index is rung level */
    { "/hls/" ITEM "/seg00000.ts", ITEM "/seg00000.ts" },
    { "/hls/" ITEM "/catalog.db", ITEM "/catalog.db" },
    { "/hls/" ITEM "/ABC/index.m3u8", ITEM "/ABC/index.m3u8" }, /* rung: [a-z0-9]{1,16} */
    { "/hls/" ITEM "/7-20p/index.m3u8", ITEM "/7-20p/index.m3u8" },
    { "/hls/" ITEM "/_/index.m3u8", ITEM "/_/index.m3u8" },
    { long_rung_path, long_rung_file },
    { "/hls/" ITEM "/1080p/index.m3u8", NULL },            /* valid rung, no such directory */
    { "/hls/" ITEM "/../x", NULL },
    { "/hls/" ITEM "/720p/../../x", NULL },
    { "/hls/ABCDEFGHIJKLMNOP/master.m3u8", "ABCDEFGHIJKLMNOP/master.m3u8" }, /* wrong id shape */
    { "/hls/abcdefghijklmno/master.m3u8", "abcdefghijklmno/master.m3u8" },
    { "/hls/abcdefghijklmnopq/master.m3u8", "abcdefghijklmnopq/master.m3u8" },
    { "/hls/abcdefghijklmno1/master.m3u8", "abcdefghijklmno1/master.m3u8" }, /* 1, 8: not base32 */
    { "/hls/abcdefghijklmno8/master.m3u8", "abcdefghijklmno8/master.m3u8" },
    { "/hls/zzzzzzzzzzzzzzzz/master.m3u8", NULL },         /* right shape, no such item */
    { "/hls/" ITEM "/720p/seg00000.ts/x", NULL },
    { "/hls/" ITEM, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    if (cases[i].plant != NULL)
      {
        g_autofree char *full = g_build_filename (f->ts->data_dir, "media", cases[i].plant, NULL);
        g_autofree char *dir = g_path_get_dirname (full);
        g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
        g_assert_true (g_file_set_contents (full, "#EXTM3U\n", -1, NULL));
      }
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (Response) r = fetch (f, "GET", cases[i].path, NULL);
      assert_not_found_json (r);
    }
  /* A directory with a valid file name is not a file. */
  {
    g_autofree char *dir = media_path (f, "720p/seg00002.ts");
    g_autoptr (Response) r = NULL;
    g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
    r = get (f, "720p/seg00002.ts", NULL);
    assert_not_found_json (r);
  }
  /* Nor is a named pipe (and serving it must not wait for a writer). */
  {
    g_autofree char *fifo = media_path (f, "720p/seg00003.ts");
    g_autoptr (Response) r = NULL;
    g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
    r = get (f, "720p/seg00003.ts", NULL);
    assert_not_found_json (r);
  }
}

/* A symlink under media/ that points out of the data directory (say, left
 * there by a compromised transcode) must not become a way to read the
 * target. */
static void
test_symlink_outside (Fixture *f, gconstpointer data)
{
  static const char secret[] = "SECRET-OUTSIDE-THE-DATA-DIRECTORY";
  g_autofree char *target = g_build_filename (f->outside, "secret.ts", NULL);
  g_autofree char *target_dir = g_build_filename (f->outside, "rung", NULL);
  g_autofree char *target_in_dir = g_build_filename (target_dir, "seg00000.ts", NULL);
  g_autofree char *link = media_path (f, "720p/seg00001.ts");
  g_autofree char *link_dir = media_path (f, "480p");
  g_autofree char *catalog = g_build_filename (f->ts->data_dir, "catalog.db", NULL);
  g_autofree char *link_db = media_path (f, "poster.jpg");
  g_autofree char *item_link = g_build_filename (f->ts->data_dir, "media", "zyxwvutsrqponmlk", NULL);
  g_autofree char *outside_master = g_build_filename (f->outside, "master.m3u8", NULL);
  const char *names[] = { "/hls/" ITEM "/720p/seg00001.ts", "/hls/" ITEM "/480p/seg00000.ts",
                          "/hls/" ITEM "/poster.jpg", "/hls/zyxwvutsrqponmlk/master.m3u8" };
  GString *leaked = g_string_new (NULL);

  g_assert_true (g_file_set_contents (target, secret, -1, NULL));
  g_assert_cmpint (g_mkdir_with_parents (target_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (target_in_dir, secret, -1, NULL));
  g_assert_cmpint (symlink (target, link), ==, 0);        /* a file symlink */
  g_assert_cmpint (symlink (target_dir, link_dir), ==, 0); /* a rung directory symlink */
  g_assert_cmpint (g_unlink (link_db), ==, 0);
  g_assert_cmpint (symlink (catalog, link_db), ==, 0);    /* the catalogue, via a symlink */
  g_assert_true (g_file_set_contents (outside_master, secret, -1, NULL));
  g_assert_cmpint (symlink (f->outside, item_link), ==, 0); /* a whole item directory */

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (Response) r = fetch (f, "GET", names[i], NULL);
      gsize len;
      const char *body = g_bytes_get_data (r->body, &len);

      if (r->status == 200)
        g_string_append_printf (leaked, " %s (%zu bytes)", names[i], len);
      /* Whatever the status, the target's bytes never appear. */
      if (body != NULL && len > 0 && (memmem (body, len, "SECRET-OUTSIDE", 14) != NULL
                      || memmem (body, len, "SQLite format 3", 15) != NULL))
        g_string_append_printf (leaked, " %s:content", names[i]);
    }
  if (leaked->len > 0)
    {
      g_autofree char *msg = g_strdup_printf (
        "BUG media-server/yg-http-file.c yg_http_serve_file: g_stat() and g_mapped_file_new() "
        "follow symlinks, so media/<id>/... links out of the data directory are served:%s; open "
        "with O_NOFOLLOW (per component, e.g. openat from the media dir) and fstat/map the fd",
        leaked->str);
      g_string_free (leaked, TRUE);
      g_test_incomplete (msg);
      return;
    }
  g_string_free (leaked, TRUE);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (Response) r = fetch (f, "GET", names[i], NULL);
      assert_not_found_json (r);
    }
}

/* --- /delivery/replaced ------------------------------------------------------------------- */

/* How a transcode publishes: write a temporary file, rename it over. */
static void
replace_by_rename (Fixture *f, const char *rel, const char *text)
{
  g_autofree char *full = media_path (f, rel);
  g_autofree char *tmp = g_strdup_printf ("%s.tmp", full);

  g_assert_true (g_file_set_contents (tmp, text, -1, NULL));
  g_assert_cmpint (g_rename (tmp, full), ==, 0);
}

static void
test_replaced_by_rename (Fixture *f, gconstpointer data)
{
  g_autoptr (Response) before = get (f, "360p/index.m3u8", NULL);
  g_autofree char *inm = NULL;
  g_autofree char *finished = g_strdup_printf ("%s#EXT-X-ENDLIST\n", event_playlist);
  g_autofree char *same_length = g_strdup (event_playlist);
  g_autoptr (Response) after = NULL;
  g_autoptr (Response) stale = NULL;
  g_autoptr (Response) again = NULL;

  g_assert_cmpuint (before->status, ==, 200);
  g_assert_cmpstr (header (before, "cache-control"), ==, "no-cache");
  inm = g_strdup_printf ("If-None-Match: %s\r\n", header (before, "etag"));

  /* Same length, same second: only the inode tells the files apart. */
  same_length[strlen (same_length) - 2] = 'X';
  replace_by_rename (f, "360p/index.m3u8", same_length);
  again = get (f, "360p/index.m3u8", inm);
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpstr (header (again, "etag"), !=, header (before, "etag"));
  assert_body (again, same_length, strlen (same_length));

  /* The EVENT playlist is finished: new validator, now cacheable. */
  replace_by_rename (f, "360p/index.m3u8", finished);
  after = get (f, "360p/index.m3u8", NULL);
  g_assert_cmpuint (after->status, ==, 200);
  g_assert_cmpstr (header (after, "etag"), !=, header (before, "etag"));
  g_assert_cmpstr (header (after, "etag"), !=, header (again, "etag"));
  g_assert_cmpstr (header (after, "cache-control"), ==, "public, max-age=300");
  assert_body (after, finished, strlen (finished));

  /* A client holding the old ETag gets the new body, not a 304. */
  stale = get (f, "360p/index.m3u8", inm);
  g_assert_cmpuint (stale->status, ==, 200);
  assert_body (stale, finished, strlen (finished));
}

/* --- /delivery/sendfile and the item document cache ---------------------------------------- */

static guint64
metrics_counter (Fixture *f, const char *name)
{
  g_autofree char *token = yg_test_server_token (f->ts, "staff");
  g_autofree char *auth = g_strdup_printf ("Authorization: Bearer %s\r\n", token);
  g_autoptr (Response) r = fetch (f, "GET", "/metrics", auth);
  g_autofree char *text = g_strndup (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body));
  const char *line = strstr (text, name);

  g_assert_cmpuint (r->status, ==, 200);
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen (name), NULL, 10);
}

static guint64
sendfile_counter (Fixture *f)
{
  return metrics_counter (f, "\nyunguan_http_sendfile_bytes_total ");
}

static void
test_sendfile (Fixture *f, gconstpointer data)
{
  guint64 before = sendfile_counter (f), after;
  g_autoptr (Response) whole = get (f, "720p/seg00000.ts", NULL);
  g_autoptr (Response) part = get (f, "720p/seg00000.ts", "Range: bytes=1000000-1000999\r\n");
  g_autoptr (Response) small = get (f, "720p/index.m3u8", NULL);

  assert_body (whole, segment_bytes (f), SEGMENT_SIZE);
  assert_body (part, segment_bytes (f) + 1000000, 1000);
  assert_body (small, vod_playlist, strlen (vod_playlist));
  after = sendfile_counter (f);
  /* The segment and its range without a copy; the playlist (small) copied. */
  g_assert_cmpuint (after - before, ==, SEGMENT_SIZE + 1000);
}

static char *
item_title (Fixture *f)
{
  g_autoptr (Response) r = fetch (f, "GET", "/api/v1/items/" ITEM, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  if (r->status != 200)
    return g_strdup_printf ("HTTP %u", r->status);
  json_parser_load_from_data (parser, g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body),
                              &error);
  g_assert_no_error (error);
  return g_strdup (json_object_get_string_member (
    json_node_get_object (json_parser_get_root (parser)), "title"));
}

static void
patch_item (Fixture *f, const char *json)
{
  g_autofree char *token = yg_test_server_token (f->ts, "staff");
  g_autofree char *headers = g_strdup_printf ("Authorization: Bearer %s\r\n"
                                              "Content-Type: application/json\r\n", token);
  g_autoptr (YgTestResponse) r = yg_test_request (f->ts->port, NULL, "PATCH",
                                                  "/api/v1/items/" ITEM, headers, json);

  g_assert_cmpuint (r->status, ==, 200);
}

static void
test_item_doc_cache (Fixture *f, gconstpointer data)
{
  g_autofree char *first = item_title (f);
  g_autofree char *again = item_title (f);
  g_autofree char *renamed = NULL, *hidden = NULL;

  g_assert_cmpstr (first, ==, "delivery");
  g_assert_cmpstr (again, ==, "delivery"); /* from the cache */
  patch_item (f, "{\"title\":\"新年音乐会\"}");
  renamed = item_title (f);
  g_assert_cmpstr (renamed, ==, "新年音乐会");
  patch_item (f, "{\"visibility\":\"staff\"}");
  hidden = item_title (f); /* anonymous: a staff-only item is not found, at once */
  g_assert_cmpstr (hidden, ==, "HTTP 404");
}

/* --- both paths answer alike ---------------------------------------------------------------- */

static int
compare_lines (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Every header but those that differ by nature (the date, the request id,
 * and the validators, which name the file's inode) as sorted "name: value"
 * lines. Connection is left out too: the fast path says "close" when it
 * closes after a response (RFC 9112, 9.6), libsoup 3.2 closes without it. */
static char *
comparable_headers (Response *r)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  const char *name, *value;

  g_hash_table_iter_init (&iter, r->headers);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, (gpointer *) &value))
    if (!g_str_equal (name, "date") && !g_str_equal (name, "x-request-id")
        && !g_str_equal (name, "etag") && !g_str_equal (name, "last-modified")
        && !g_str_equal (name, "connection"))
      g_ptr_array_add (lines, g_strdup_printf ("%s: %s", name, value));
  g_ptr_array_sort (lines, compare_lines);
  g_ptr_array_add (lines, NULL);
  return g_strjoinv ("\n", (char **) lines->pdata);
}

/* The same requests to a server without delivery threads (libsoup answers)
 * and to one with them (the fast path answers, as /metrics counts): the same
 * status, headers and body. */
static void
test_paths_agree (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *method, *rel, *extra;
  } cases[] = {
    { "GET", "master.m3u8", NULL },
    { "GET", "720p/index.m3u8", NULL },
    { "GET", "360p/index.m3u8", "Origin: https://elsewhere.example\r\n" },
    { "GET", "720p/seg00000.ts", NULL },
    { "GET", "720p/seg00000.ts", "Range: bytes=100-1099\r\n" },
    { "GET", "720p/seg00000.ts", "Range: bytes=-10\r\n" },
    { "GET", "720p/seg00000.ts", "Range: bytes=0-1,5-9\r\n" },
    { "HEAD", "720p/seg00000.ts", NULL },
    { "GET", "poster.jpg", NULL },
    { "HEAD", "thumbnails.vtt", NULL },
    { "GET", "storyboard.jpg", "If-None-Match: \"nope\"\r\n" },
  };
  Fixture other = { 0 };
  guint64 before = metrics_counter (f, "\nyunguan_http_fast_answers_total ");

  fixture_setup (&other, &libsoup_mode);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/hls/%s/%s", ITEM, cases[i].rel);
      g_autoptr (Response) fast_r = fetch (f, cases[i].method, path, cases[i].extra);
      g_autoptr (Response) soup_r = fetch (&other, cases[i].method, path, cases[i].extra);
      g_autofree char *fast_h = comparable_headers (fast_r);
      g_autofree char *soup_h = comparable_headers (soup_r);
      g_autofree char *inm = g_strdup_printf ("If-None-Match: %s\r\n", header (fast_r, "etag"));
      g_autofree char *soup_inm = g_strdup_printf ("If-None-Match: %s\r\n", header (soup_r, "etag"));
      g_autoptr (Response) fast_304 = fetch (f, "GET", path, inm);
      g_autoptr (Response) soup_304 = fetch (&other, "GET", path, soup_inm);
      g_autofree char *fast_304_h = comparable_headers (fast_304);
      g_autofree char *soup_304_h = comparable_headers (soup_304);

      g_assert_cmpuint (fast_r->status, ==, soup_r->status);
      g_assert_cmpstr (fast_h, ==, soup_h);
      g_assert_true (g_bytes_equal (fast_r->body, soup_r->body));
      g_assert_cmpuint (fast_304->status, ==, 304);
      g_assert_cmpuint (soup_304->status, ==, 304);
      /* libsoup adds "Content-Length: 0" to a 304, which RFC 9110 (8.6) does
       * not allow for a file that is not empty; the fast path sends none */
      g_assert_null (header (fast_304, "content-length"));
      g_hash_table_remove (soup_304->headers, "content-length");
      g_clear_pointer (&soup_304_h, g_free);
      soup_304_h = comparable_headers (soup_304);
      g_assert_cmpstr (fast_304_h, ==, soup_304_h);
      g_assert_cmpuint (g_bytes_get_size (fast_304->body), ==, 0);
    }
  /* a public item's JSON (the fast path reads the first into the cache) */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/items/%s", ITEM);
      g_autoptr (Response) fast_r = fetch (f, "GET", path, NULL);
      g_autoptr (Response) soup_r = fetch (&other, "GET", path, NULL);
      g_autofree char *fast_h = comparable_headers (fast_r);
      g_autofree char *soup_h = comparable_headers (soup_r);

      g_assert_cmpuint (fast_r->status, ==, 200);
      g_assert_cmpstr (fast_h, ==, soup_h);
    }
  /* 2 answers per case, and both item requests */
  g_assert_cmpuint (metrics_counter (f, "\nyunguan_http_fast_answers_total ") - before, ==,
                    2 * G_N_ELEMENTS (cases) + 2);
  fixture_teardown (&other, NULL);
}

/* --- /delivery/accel-redirect ------------------------------------------------------------- */

static void
test_accel_redirect (Fixture *f, gconstpointer data)
{
  const struct
  {
    const char *rel, *type, *cache;
  } cases[] = {
    { "720p/seg00000.ts", "video/mp2t", "public, max-age=31536000, immutable" },
    { "720p/index.m3u8", "application/vnd.apple.mpegurl", "public, max-age=300" },
    { "360p/index.m3u8", "application/vnd.apple.mpegurl", "no-cache" },
    { "master.m3u8", "application/vnd.apple.mpegurl", "no-cache" },
    { "poster.jpg", "image/jpeg", "public, max-age=3600" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (Response) r = get (f, cases[i].rel, "Range: bytes=0-9\r\n");
      g_autofree char *target = g_strdup_printf ("/yg-media/%s/%s", ITEM, cases[i].rel);

      g_assert_cmpuint (r->status, ==, 200); /* nginx answers the Range itself */
      g_assert_cmpstr (header (r, "x-accel-redirect"), ==, target);
      g_assert_cmpstr (header (r, "content-type"), ==, cases[i].type);
      g_assert_cmpstr (header (r, "cache-control"), ==, cases[i].cache);
      g_assert_cmpuint (g_bytes_get_size (r->body), ==, 0);
    }
  /* Names outside the grammar and hidden items never get a redirect. */
  {
    g_autoptr (Response) bad = get (f, "720p/secret.txt", NULL);
    g_autoptr (Response) hidden = NULL;
    assert_not_found_json (bad);
    g_assert_null (header (bad, "x-accel-redirect"));
    patch_item (f, "{\"visibility\":\"residents\"}");
    hidden = get (f, "720p/seg00000.ts", NULL);
    assert_not_found_json (hidden);
    g_assert_null (header (hidden, "x-accel-redirect"));
  }
}

/* A file cut in place while it is being sent (never done by the server, which
 * publishes by rename; an operator could): the response ends early, the
 * connection closes, and the server goes on serving. */
static void
test_cut_while_sent (Fixture *f, gconstpointer data)
{
  const gsize size = 16 * 1024 * 1024;
  g_autofree guint8 *bytes = g_malloc0 (size);
  g_autofree char *full = media_path (f, "720p/seg00001.ts");
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GError) error = NULL;
  const char *req = "GET /hls/" ITEM "/720p/seg00001.ts HTTP/1.1\r\nHost: t\r\n\r\n";
  GInputStream *in;
  guint8 chunk[65536];
  gsize total = 0;
  gssize n;

  put_file (f, "720p/seg00001.ts", bytes, size);
  conn = yg_test_connect (f->ts->port);
  g_socket_set_timeout (g_socket_connection_get_socket (conn), 10);
  in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), req, strlen (req),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  n = g_input_stream_read (in, chunk, sizeof chunk, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, >, 0);
  total = n;
  g_assert_cmpint (truncate (full, 1024 * 1024), ==, 0);
  while ((n = g_input_stream_read (in, chunk, sizeof chunk, NULL, &error)) > 0)
    total += n;
  /* Ended (EOF or reset), not timed out, and short of the announced length. */
  g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  g_assert_cmpuint (total, <, size);
  {
    g_autoptr (Response) r = get (f, "720p/index.m3u8", NULL);
    assert_body (r, vod_playlist, strlen (vod_playlist));
  }
}

/* Splits @buf (everything a kept-alive connection answered) into responses,
 * each head and its Content-Length body. */
static GPtrArray *
split_responses (GByteArray *buf)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) response_free);
  gsize at = 0;

  while (at < buf->len)
    {
      const guint8 *start = buf->data + at;
      const guint8 *end = memmem (start, buf->len - at, "\r\n\r\n", 4);
      Response *r;
      gsize len;

      g_assert_nonnull (end);
      r = parse_head (start, end);
      g_assert_nonnull (header (r, "content-length"));
      len = g_ascii_strtoull (header (r, "content-length"), NULL, 10);
      at = end + 4 - buf->data;
      g_assert_cmpuint (at + len, <=, buf->len);
      r->body = g_bytes_new (buf->data + at, len);
      at += len;
      g_ptr_array_add (out, r);
    }
  return out;
}

static guint
error_status_and_code (Response *r, char **code)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body),
                              &error);
  g_assert_no_error (error);
  *code = g_strdup (json_object_get_string_member (
    json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "error"),
    "code"));
  return r->status;
}

/* With delivery threads, a kept-alive connection starts on one of them; a
 * request only the main thread serves moves the connection there, head,
 * body and the requests pipelined behind it included. All requests are
 * written at once, so the hand-off finds the next ones already read. */
static void
test_threads_hand_off (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketConnection) conn = yg_test_connect (f->ts->port);
  g_autoptr (GString) req = g_string_new (NULL);
  g_autoptr (GByteArray) buf = g_byte_array_new ();
  g_autoptr (GPtrArray) responses = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) body = g_string_new ("{\"username\":\"nobody\",\"password\":\"wrong\"}");
  g_autofree char *code = NULL;
  guint64 handed_off = metrics_counter (f, "\nyunguan_http_handed_off_total ");
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  guint8 chunk[65536];
  gssize n;

  /* JSON allows trailing white space: a body larger than what is read ahead */
  for (guint i = 0; i < 3 * 65536; i++)
    g_string_append_c (body, ' ');
  for (guint round = 0; round < 2; round++)
    {
      g_string_append_printf (req, "GET /hls/%s/720p/index.m3u8 HTTP/1.1\r\nHost: t\r\n\r\n", ITEM);
      g_string_append_printf (req,
                              "POST /api/v1/session HTTP/1.1\r\nHost: t\r\n"
                              "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                              body->len, body->str);
      g_string_append_printf (req, "GET /hls/%s/720p/seg00000.ts HTTP/1.1\r\nHost: t\r\n\r\n", ITEM);
    }
  g_string_append (req, "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  g_socket_set_timeout (g_socket_connection_get_socket (conn), 20);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), req->str, req->len,
                             NULL, NULL, &error);
  g_assert_no_error (error);
  while ((n = g_input_stream_read (in, chunk, sizeof chunk, NULL, &error)) > 0)
    g_byte_array_append (buf, chunk, n);
  g_assert_no_error (error);

  responses = split_responses (buf);
  g_assert_cmpuint (responses->len, ==, 7);
  for (guint round = 0; round < 2; round++)
    {
      Response *playlist = responses->pdata[round * 3];
      Response *session = responses->pdata[round * 3 + 1];
      Response *segment = responses->pdata[round * 3 + 2];

      g_assert_cmpuint (playlist->status, ==, 200);
      assert_body (playlist, vod_playlist, strlen (vod_playlist));
      /* the body arrived whole: the credentials were read and refused */
      g_assert_cmpuint (error_status_and_code (session, &code), ==, 401);
      g_assert_cmpstr (code, ==, "unauthorized");
      g_clear_pointer (&code, g_free);
      g_assert_cmpuint (segment->status, ==, 200);
      assert_body (segment, segment_bytes (f), SEGMENT_SIZE);
    }
  g_assert_cmpuint (((Response *) responses->pdata[6])->status, ==, 200);
  /* once per connection, and only when there are delivery threads: this
   * one, and the one asking /metrics now (counted before it is answered) */
  g_assert_cmpuint (metrics_counter (f, "\nyunguan_http_handed_off_total ") - handed_off, ==,
                    fast (data) ? 2 : 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("HLS delivery: types, caching, validators, 304, single ranges, HEAD, the "
                  "name grammar and symlinks, replacement by rename");
  yg_secret_init ();

#define ADD(path, fn)                                                                            \
  g_test_add ("/delivery/libsoup/" path, Fixture, &libsoup_mode, fixture_setup, fn,           \
              fixture_teardown);                                                               \
  g_test_add ("/delivery/fast/" path, Fixture, &fast_mode, fixture_setup, fn, fixture_teardown)
  ADD ("types-and-caching", test_types_and_caching);
  ADD ("last-modified", test_last_modified);
  ADD ("conditional-304", test_conditional);
  ADD ("range", test_range);
  ADD ("range/if-range", test_if_range);
  ADD ("empty-file", test_empty_file);
  ADD ("head", test_head);
  ADD ("not-found", test_not_found);
  ADD ("not-found/symlink-outside", test_symlink_outside);
  ADD ("replaced-by-rename", test_replaced_by_rename);
  ADD ("sendfile", test_sendfile);
  ADD ("sendfile/cut-while-sent", test_cut_while_sent);
  ADD ("item-document-cache", test_item_doc_cache);
  ADD ("keep-alive-mix", test_threads_hand_off);
#undef ADD
  g_test_add ("/delivery/accel-redirect", Fixture, &accel_mode, fixture_setup, test_accel_redirect,
              fixture_teardown);
  g_test_add ("/delivery/fast/agrees-with-libsoup", Fixture, &fast_mode, fixture_setup,
              test_paths_agree, fixture_teardown);
  return g_test_run ();
}

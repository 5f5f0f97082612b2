/* captions-test.c: WebVTT captions uploaded by staff and served as an HLS
 * subtitle rendition, over real HTTP.
 *
 * Items with fake transcoder output (master.m3u8 and a 360p and an audio
 * variant of 6.5 s) in three visibilities. Covered: upload of valid WebVTT
 * in two languages; the served master playlist, parsed with yg-playlist,
 * lists one SUBTITLES rendition per language (zh-CN the default, NAME 中文)
 * and every variant names the group; the subtitle playlist (VOD, ENDLIST,
 * one segment = the .vtt, TARGETDURATION ≥ the item's duration rounded up)
 * and the .vtt itself with their content types; replacement and deletion;
 * refusals (not WEBVTT, bad or unordered timings, binary, not UTF-8, over
 * 2 MiB, a bad language tag, a missing item, the wrong content type, a
 * resident) with nothing written; and access: a residents-only item's
 * captions only through the signed URL from its JSON, never through
 * /hls/<item>/…, a staff item's item JSON refused to a resident, and an item
 * without captions keeping the transcoder's master byte for byte.
 * Suite: http.
 */
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>

#include "yg-captions.h"
#include "yg-field-error.h"
#include "yg-item-store.h"
#include "yg-playlist.h"
#include "yg-routes.h"
#include "yg-test-server.h"
#include "yg-user-store.h"

#define PASSWORD "correct horse battery"
#define YG_TEST_BIG (2 * 1024 * 1024 + 1) /* one byte over the limit */

static const char master[] = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n"
                             "#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n"
                             "360p/index.m3u8\n"
                             "#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS=\"mp4a.40.2\"\n"
                             "audio/index.m3u8\n";
static const char media[] = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n"
                            "#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:4.000,\nseg00000.ts\n"
                            "#EXTINF:2.500,\nseg00001.ts\n#EXT-X-ENDLIST\n";
static const char vtt_zh[] = "WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\n各位观众，晚上好。\n\n"
                             "00:02.500 --> 00:04.000 align:center\n今天演出昆曲《牡丹亭》。\n";
static const char vtt_en[] = "\xef\xbb\xbfWEBVTT - English\r\n\r\nNOTE translated\r\n\r\n"
                             "00:00:00.500 --> 00:00:02.000\r\nGood evening.\r\n";

typedef struct
{
  YgTestServer *ts;
  char *staff;
  char *resident;
  char *pub, *res, *stf; /* item ids by visibility */
} Fixture;

static gpointer
seed_item (gpointer conn, gpointer data, GError **error)
{
  const char *visibility = data;
  g_autofree char *id = yg_item_store_insert (conn, NULL, "performance", "牡丹亭", "", error);
  g_autofree char *m = NULL;

  if (id == NULL)
    return NULL;
  m = g_strdup_printf ("media/%s/master.m3u8", id);
  if (!yg_item_store_set_visibility (conn, id, yg_visibility_from_string (visibility), error)
      || !yg_item_store_add_file (conn, id, "master", m, -1, NULL, error))
    return NULL;
  return g_steal_pointer (&id);
}

static void
put_file (Fixture *f, const char *id, const char *rel, const char *data)
{
  g_autofree char *path = g_build_filename (f->ts->data_dir, "media", id, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, data, -1, NULL));
}

static char *
seed (Fixture *f, const char *visibility)
{
  char *id = yg_test_server_db_sync (f->ts, seed_item, (gpointer) visibility);

  put_file (f, id, "master.m3u8", master);
  put_file (f, id, "360p/index.m3u8", media);
  put_file (f, id, "audio/index.m3u8", media);
  return id;
}

static gpointer
add_user (gpointer conn, gpointer data, GError **error)
{
  return yg_user_store_create (conn, data, data, YG_ROLE_RESIDENT, PASSWORD, error) > 0
           ? GINT_TO_POINTER (1)
           : NULL;
}

static JsonNode *
parse (YgTestResponse *r)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (p, r->body, r->body_len, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (p));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *token = NULL;
  g_autoptr (YgTestResponse) r = NULL;
  g_autoptr (JsonNode) doc = NULL;
  g_autofree char *set = NULL;

  f->ts = yg_test_server_start (NULL, yg_routes, yg_n_routes);
  token = yg_test_server_token (f->ts, "staff");
  f->staff = g_strdup_printf ("Authorization: Bearer %s\r\n", token);
  yg_test_server_db_sync (f->ts, add_user, (gpointer) "resident");
  r = yg_test_request (f->ts->port, NULL, "POST", "/api/v1/session",
                       "Content-Type: application/json\r\n",
                       "{\"username\":\"resident\",\"password\":\"" PASSWORD "\"}");
  g_assert_cmpuint (r->status, ==, 200);
  set = yg_test_response_header (r, "Set-Cookie", 0);
  doc = parse (r);
  f->resident = g_strdup_printf ("Cookie: %.*s\r\nX-CSRF-Token: %s\r\n", (int) strcspn (set, ";"),
                                 set, json_object_get_string_member (json_node_get_object (doc), "csrf_token"));
  f->pub = seed (f, "public");
  f->res = seed (f, "residents");
  f->stf = seed (f, "staff");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  yg_test_server_stop (f->ts);
  g_free (f->staff);
  g_free (f->resident);
  g_free (f->pub);
  g_free (f->res);
  g_free (f->stf);
}

static YgTestResponse *
upload (Fixture *f, const char *who, const char *id, const char *lang, const char *type,
        const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/items/%s/captions/%s", id, lang);
  g_autofree char *headers = g_strdup_printf ("%s%s%s%s", who, type ? "Content-Type: " : "",
                                              type ? type : "", type ? "\r\n" : "");

  return yg_test_request (f->ts->port, NULL, "PUT", path, headers, body);
}

static void
assert_type (YgTestResponse *r, const char *type)
{
  g_autofree char *ct = yg_test_response_header (r, "Content-Type", 0);

  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (ct, ==, type);
}

/* Checks the served master lists @langs (default first) and every variant has the group. */
static void
assert_master (Fixture *f, const char *base, const char *const *langs, guint n)
{
  g_autofree char *url = g_strconcat (base, "master.m3u8", NULL);
  g_autoptr (YgTestResponse) r = yg_test_request (f->ts->port, NULL, "GET", url, NULL, NULL);
  g_autoptr (YgMasterPlaylist) m = NULL;
  g_autoptr (GError) error = NULL;

  assert_type (r, "application/vnd.apple.mpegurl");
  m = yg_master_playlist_parse (r->body, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (m->renditions->len, ==, n);
  g_assert_cmpuint (m->variants->len, ==, 2);
  for (guint i = 0; i < m->variants->len; i++)
    if (n > 0)
      g_assert_cmpstr (g_array_index (m->variants, YgVariant, i).subtitles, ==, "subs");
    else
      g_assert_null (g_array_index (m->variants, YgVariant, i).subtitles);
  for (guint i = 0; i < n; i++)
    {
      const YgRendition *rd = &g_array_index (m->renditions, YgRendition, i);
      g_autofree char *uri = g_strdup_printf ("captions/%s.m3u8", langs[i]);
      g_assert_cmpstr (rd->group_id, ==, "subs");
      g_assert_cmpstr (rd->language, ==, langs[i]);
      g_assert_cmpstr (rd->uri, ==, uri);
      g_assert_true (rd->autoselect);
      g_assert_cmpint (rd->is_default, ==, g_str_equal (langs[i], "zh-CN"));
    }
  if (n > 0 && g_str_equal (langs[0], "zh-CN"))
    g_assert_nonnull (strstr (r->body, "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"中文\","
                                       "LANGUAGE=\"zh-CN\",DEFAULT=YES,AUTOSELECT=YES,"
                                       "URI=\"captions/zh-CN.m3u8\"\n"));
}

/* Checks captions/<lang>.m3u8 and captions/<lang>.vtt under @base. */
static void
assert_captions (Fixture *f, const char *base, const char *lang, const char *vtt)
{
  g_autofree char *pl_url = g_strdup_printf ("%scaptions/%s.m3u8", base, lang);
  g_autofree char *vtt_url = g_strdup_printf ("%scaptions/%s.vtt", base, lang);
  g_autofree char *seg = g_strdup_printf ("%s.vtt", lang);
  g_autoptr (YgTestResponse) pl = yg_test_request (f->ts->port, NULL, "GET", pl_url, NULL, NULL);
  g_autoptr (YgTestResponse) v = yg_test_request (f->ts->port, NULL, "GET", vtt_url, NULL, NULL);
  g_autoptr (YgMediaPlaylist) m = NULL;
  g_autoptr (GError) error = NULL;

  assert_type (pl, "application/vnd.apple.mpegurl");
  m = yg_media_playlist_parse (pl->body, &error);
  g_assert_no_error (error);
  g_assert_cmpint (m->type, ==, YG_PLAYLIST_TYPE_VOD);
  g_assert_true (m->ended);
  g_assert_cmpuint (m->segments->len, ==, 1);
  g_assert_cmpstr (g_array_index (m->segments, YgSegment, 0).uri, ==, seg);
  g_assert_cmpuint (g_array_index (m->segments, YgSegment, 0).duration_ms, >=, 6500);
  g_assert_cmpuint (m->target_duration, >=, 7); /* 6.5 s rounded up */
  assert_type (v, "text/vtt; charset=utf-8");
  g_assert_cmpuint (v->body_len, ==, strlen (vtt));
  g_assert_true (memcmp (v->body, vtt, v->body_len) == 0);
}

static void
test_upload_and_serve (Fixture *f, gconstpointer data)
{
  g_autofree char *base = g_strdup_printf ("/hls/%s/", f->pub);
  const char *const both[] = { "en", "zh-CN" };
  const char *const zh[] = { "zh-CN" };
  g_autoptr (YgTestResponse) r = NULL;
  g_autoptr (JsonNode) doc = NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/items/%s/captions/en", f->pub);

  /* without captions the transcoder's file is served as it is */
  {
    g_autofree char *url = g_strconcat (base, "master.m3u8", NULL);
    g_autoptr (YgTestResponse) m = yg_test_request (f->ts->port, NULL, "GET", url, NULL, NULL);
    g_assert_cmpuint (m->status, ==, 200);
    g_assert_cmpstr (m->body, ==, master);
  }

  r = upload (f, f->staff, f->pub, "zh-CN", "text/vtt", vtt_zh);
  g_assert_cmpuint (r->status, ==, 200);
  doc = parse (r);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (doc), "name"), ==, "中文");
  g_clear_pointer (&r, yg_test_response_free);
  r = upload (f, f->staff, f->pub, "en", "text/vtt; charset=utf-8", vtt_en);
  g_assert_cmpuint (r->status, ==, 200);
  g_clear_pointer (&r, yg_test_response_free);

  assert_master (f, base, both, 2);
  assert_captions (f, base, "zh-CN", vtt_zh);
  assert_captions (f, base, "en", vtt_en);

  /* replaced */
  r = upload (f, f->staff, f->pub, "en", "text/vtt", "WEBVTT\n\n00:01.000 --> 00:09.250\nHello\n");
  g_assert_cmpuint (r->status, ==, 200);
  g_clear_pointer (&r, yg_test_response_free);
  assert_captions (f, base, "en", "WEBVTT\n\n00:01.000 --> 00:09.250\nHello\n");

  /* removed */
  r = yg_test_request (f->ts->port, NULL, "DELETE", path, f->staff, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  g_clear_pointer (&r, yg_test_response_free);
  r = yg_test_request (f->ts->port, NULL, "DELETE", path, f->staff, NULL);
  g_assert_cmpuint (r->status, ==, 404);
  g_clear_pointer (&r, yg_test_response_free);
  assert_master (f, base, zh, 1);
  {
    g_autofree char *url = g_strconcat (base, "captions/en.vtt", NULL);
    g_autofree char *pl = g_strconcat (base, "captions/en.m3u8", NULL);
    g_autofree char *bad = g_strconcat (base, "captions/..%2fmaster.vtt", NULL);
    g_autoptr (YgTestResponse) a = yg_test_request (f->ts->port, NULL, "GET", url, NULL, NULL);
    g_autoptr (YgTestResponse) b = yg_test_request (f->ts->port, NULL, "GET", pl, NULL, NULL);
    g_autoptr (YgTestResponse) c = yg_test_request (f->ts->port, NULL, "GET", bad, NULL, NULL);
    g_assert_cmpuint (a->status, ==, 404);
    g_assert_cmpuint (b->status, ==, 404);
    g_assert_true (c->status == 400 || c->status == 404); /* refused before any file */
  }
  /* an empty language (once a crash, security.md bug 6) */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *url = g_strconcat (base, i == 0 ? "captions/.vtt" : "captions/.m3u8", NULL);
      g_autoptr (YgTestResponse) r2 = yg_test_request (f->ts->port, NULL, "GET", url, NULL, NULL);
      g_assert_cmpuint (r2->status, ==, 404);
    }
}

static void
test_invalid (Fixture *f, gconstpointer data)
{
  g_autofree char *big = NULL;
  g_autofree char *dir = g_build_filename (f->ts->data_dir, "media", f->pub, "captions", NULL);
  static const char binary[] = "WEBVTT\n\n00:00.000 --> 00:01.000\n\x01\x02\xff\xfe\n";
  const struct
  {
    const char *lang;
    const char *body;
    const char *field;
  } cases[] = {
    { "zh-CN", "1\n00:00.000 --> 00:01.000\nhello\n", "body" },          /* no signature */
    { "zh-CN", "WEBVTTX\n", "body" },
    { "zh-CN", "WEBVTT\n\n00:00.000 -> 00:01.000\nhello\n", "body" },     /* identifier, no timing */
    { "zh-CN", "WEBVTT\n\n00:00.000 --> 00:01\nhello\n", "body" },
    { "zh-CN", "WEBVTT\n\n00:00:61.000 --> 00:01:00.000\nhello\n", "body" },
    { "zh-CN", "WEBVTT\n\n0:00.000 --> 00:01.000\nhello\n", "body" },
    { "zh-CN", "WEBVTT\n\n00:02.000 --> 00:01.000\nhello\n", "body" },   /* ends before it starts */
    { "zh-CN", "WEBVTT\n\n00:05.000 --> 00:06.000\na\n\n00:01.000 --> 00:02.000\nb\n", "body" },
    { "zh-CN", "WEBVTT\n00:00.000 --> 00:01.000\nno blank line\n", "body" },
    { "zh-CN", binary, "body" },                                          /* not UTF-8 */
    { "zh-CN", "\x89PNG\r\n\x1a\n", "body" },
    { "zh-CN", "", "body" },
    { "zh_CN", "WEBVTT\n", "lang" },
    { "z", "WEBVTT\n", "lang" },
    { "zh.CN", "WEBVTT\n", "lang" },
    { "123", "WEBVTT\n", "lang" },
    { "zh-CN-waytoolongsubtag", "WEBVTT\n", "lang" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (YgTestResponse) r = upload (f, f->staff, f->pub, cases[i].lang, "text/vtt", cases[i].body);
      g_autoptr (JsonNode) doc = NULL;
      JsonObject *err;

      g_test_message ("case %u: %s", i, cases[i].lang);
      g_assert_cmpuint (r->status, ==, 400);
      doc = parse (r);
      err = json_object_get_object_member (json_node_get_object (doc), "error");
      g_assert_cmpstr (json_object_get_string_member (err, "code"), ==, "invalid");
      g_assert_cmpstr (json_object_get_string_member (err, "field"), ==, cases[i].field);
      g_test_message ("  %s", json_object_get_string_member (err, "message"));
    }
  big = g_malloc (YG_TEST_BIG + 1);
  memcpy (big, "WEBVTT\n\n", 8);
  memset (big + 8, 'a', YG_TEST_BIG - 8);
  big[YG_TEST_BIG] = '\0';
  {
    g_autoptr (YgTestResponse) r = upload (f, f->staff, f->pub, "zh-CN", "text/vtt", big);
    g_autoptr (JsonNode) doc = NULL;
    g_assert_cmpuint (r->status, ==, 400);
    doc = parse (r);
    g_assert_nonnull (strstr (json_object_get_string_member (
                                json_object_get_object_member (json_node_get_object (doc), "error"),
                                "message"), "2 MiB"));
  }
  {
    g_autoptr (YgTestResponse) a = upload (f, f->staff, f->pub, "zh-CN", "text/plain", vtt_zh);
    g_autoptr (YgTestResponse) b = upload (f, f->staff, "nosuchitem000000", "zh-CN", "text/vtt", vtt_zh);
    g_autoptr (YgTestResponse) c = upload (f, f->resident, f->pub, "zh-CN", "text/vtt", vtt_zh);
    g_autoptr (YgTestResponse) d = upload (f, "", f->pub, "zh-CN", "text/vtt", vtt_zh);
    g_assert_cmpuint (a->status, ==, 415);
    g_assert_cmpuint (b->status, ==, 404);
    g_assert_cmpuint (c->status, ==, 403);
    g_assert_cmpuint (d->status, ==, 401);
  }
  /* nothing was written */
  {
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    g_assert_true (d == NULL || g_dir_read_name (d) == NULL);
  }
}

/* The item's media base URL from its JSON as @who, or NULL when it is 404. */
static char *
base_for (Fixture *f, const char *id, const char *who)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/items/%s", id);
  g_autoptr (YgTestResponse) r = yg_test_request (f->ts->port, NULL, "GET", path, who, NULL);
  g_autoptr (JsonNode) doc = NULL;
  const char *hls;

  if (r->status == 404)
    return NULL;
  g_assert_cmpuint (r->status, ==, 200);
  doc = parse (r);
  hls = json_object_get_string_member (json_node_get_object (doc), "hls_url");
  return g_strndup (hls, strlen (hls) - strlen ("master.m3u8"));
}

static void
test_access (Fixture *f, gconstpointer data)
{
  const char *const zh[] = { "zh-CN" };
  const char *ids[] = { f->res, f->stf };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr (YgTestResponse) r = upload (f, f->staff, ids[i], "zh-CN", "text/vtt", vtt_zh);
      g_autofree char *stable = g_strdup_printf ("/hls/%s/", ids[i]);
      const char *rels[] = { "master.m3u8", "captions/zh-CN.m3u8", "captions/zh-CN.vtt" };

      g_assert_cmpuint (r->status, ==, 200);
      /* never through the stable public path */
      for (guint k = 0; k < G_N_ELEMENTS (rels); k++)
        {
          g_autofree char *url = g_strconcat (stable, rels[k], NULL);
          g_autoptr (YgTestResponse) p = yg_test_request (f->ts->port, NULL, "GET", url, NULL, NULL);
          g_assert_cmpuint (p->status, ==, 404);
        }
    }
  /* residents item: anonymous callers get no URL; a resident gets a signed one that works */
  g_assert_null (base_for (f, f->res, NULL));
  {
    g_autofree char *base = base_for (f, f->res, f->resident);
    g_autofree char *url = g_strconcat (base, "captions/zh-CN.vtt", NULL);
    g_autoptr (YgTestResponse) v = NULL;
    g_autofree char *cc = NULL;

    g_assert_true (g_str_has_prefix (base, "/hls/t/"));
    assert_master (f, base, zh, 1);
    assert_captions (f, base, "zh-CN", vtt_zh);
    v = yg_test_request (f->ts->port, NULL, "GET", url, NULL, NULL);
    cc = yg_test_response_header (v, "Cache-Control", 0);
    g_assert_true (g_str_has_prefix (cc, "private"));
    /* the token is for this item only */
    {
      g_autofree char *other = g_strdup (base);
      g_autofree char *swapped = NULL;
      char *at = strstr (other, f->res);
      g_autoptr (YgTestResponse) x = NULL;
      memcpy (at, f->stf, strlen (f->stf));
      swapped = g_strconcat (other, "captions/zh-CN.vtt", NULL);
      x = yg_test_request (f->ts->port, NULL, "GET", swapped, NULL, NULL);
      g_assert_cmpuint (x->status, ==, 403);
    }
  }
  /* staff item: a resident may not see it at all */
  g_assert_null (base_for (f, f->stf, f->resident));
  {
    g_autofree char *base = base_for (f, f->stf, f->staff);
    assert_master (f, base, zh, 1);
    assert_captions (f, base, "zh-CN", vtt_zh);
  }
}

/* The checks the HTTP strings cannot carry (NUL bytes), and the last cue end. */
static void
test_validate (void)
{
  static const char nul[] = "WEBVTT\n\n00:00.000 --> 00:01.000\nab\0c\n";
  static const char ok[] = "WEBVTT\r\rSTYLE\r::cue { color: red }\r\r01:02:03.004 --> 01:02:04.500 line:0\rx\r";
  g_autoptr (GError) error = NULL;
  double end = 0;

  g_assert_false (yg_captions_validate (nul, sizeof nul - 1, NULL, &error));
  g_assert_error (error, YG_FIELD_ERROR, YG_FIELD_ERROR_INVALID);
  g_assert_cmpstr (yg_field_error_get_field (error), ==, "body");
  g_clear_error (&error);
  g_assert_true (yg_captions_validate (ok, sizeof ok - 1, &end, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (end, 3724.5, 1e-9);
  g_assert_true (yg_captions_validate ("WEBVTT", 6, &end, &error)); /* no cues is valid */
  g_assert_true (yg_captions_lang_is_valid ("zh-Hant-TW"));
  g_assert_true (yg_captions_lang_is_valid ("yue"));
  g_assert_false (yg_captions_lang_is_valid ("zh-"));
  g_assert_false (yg_captions_lang_is_valid ("zh--CN"));
  g_assert_false (yg_captions_lang_is_valid ("zh/CN"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("WebVTT captions: upload, validation, subtitle renditions and access");
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/captions/upload-and-serve", test_upload_and_serve);
  ADD ("/captions/invalid", test_invalid);
  ADD ("/captions/access", test_access);
  g_test_add_func ("/captions/validate", test_validate);
  return g_test_run ();
}

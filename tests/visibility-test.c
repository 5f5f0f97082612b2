/* visibility-test.c: item visibility and signed playback URLs over real HTTP.
 *
 * Four items, one per visibility (public, residents, unlisted, staff), each
 * with small fake HLS files written where a transcode publishes them and
 * item_files rows, so the item JSON has its URLs. For every visibility ×
 * caller (anonymous, resident by cookie, staff token, partner token, admin
 * token, staff account by cookie): the item JSON (200 or 404, never 403),
 * the list and search (only visible, never unlisted), and the master playlist, a media
 * playlist, a segment and the poster both through /hls/<item>/… (public
 * items only) and through the signed URL from the item JSON. Then the
 * tokens: expiry, tampering with each part, another item's token, an unknown
 * key, a missing token, an older key still verifying after rotation, a
 * removed key refused; private caching bounded by the token; no mac in the
 * access log; and a PATCH
 * taking effect on /hls/<item>/… at once. Suite: http.
 */
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "yg-item-store.h"
#include "yg-playback-keys.h"
#include "yg-routes.h"
#include "yg-secret.h"
#include "yg-test-server.h"
#include "yg-user-store.h"

#define PASSWORD "correct horse battery"

static const char master[] = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n"
                             "360p/index.m3u8\n";
static const char media[] = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n"
                            "#EXTINF:4.0,\nseg00000.ts\n#EXT-X-ENDLIST\n";
static const char segment[] = "\x47segment-bytes";
static const char poster[] = "\xff\xd8poster\xff\xd9";

enum { VIS_PUBLIC, VIS_RESIDENTS, VIS_UNLISTED, VIS_STAFF, N_VIS };
static const char *const vis_names[N_VIS] = { "public", "residents", "unlisted", "staff" };

enum { ANON, RESIDENT, STAFF_TOKEN, PARTNER, ADMIN, STAFF_COOKIE, N_CALLERS };
static const char *const caller_names[N_CALLERS] = { "anonymous", "resident cookie", "staff token",
                                                     "partner token", "admin token",
                                                     "staff cookie" };
/* may_see[visibility][caller] */
static const gboolean may_see[N_VIS][N_CALLERS] = {
  [VIS_PUBLIC] = { 1, 1, 1, 1, 1, 1 },
  [VIS_RESIDENTS] = { 0, 1, 1, 0, 1, 1 },
  [VIS_UNLISTED] = { 1, 1, 1, 1, 1, 1 },
  [VIS_STAFF] = { 0, 0, 1, 0, 1, 1 },
};

typedef struct
{
  YgTestServer *ts;
  char *log_dir;
  char *ids[N_VIS];
  char *headers[N_CALLERS]; /* credential header lines */
} Fixture;

typedef struct
{
  const char *visibility;
  char *id;
} Seed;

static gpointer
seed_item (gpointer conn, gpointer data, GError **error)
{
  Seed *s = data;
  g_autofree char *id = yg_item_store_insert (conn, NULL, "performance", s->visibility, "", error);
  g_autofree char *m = NULL, *p = NULL;

  if (id == NULL)
    return NULL;
  m = g_strdup_printf ("media/%s/master.m3u8", id);
  p = g_strdup_printf ("media/%s/poster.jpg", id);
  if (!yg_item_store_set_visibility (conn, id, yg_visibility_from_string (s->visibility), error)
      || !yg_item_store_add_file (conn, id, "master", m, -1, NULL, error)
      || !yg_item_store_add_file (conn, id, "poster", p, -1, NULL, error))
    return NULL;
  s->id = g_steal_pointer (&id);
  return s;
}

static void
put (Fixture *f, const char *id, const char *rel, const char *data, gsize len)
{
  g_autofree char *path = g_build_filename (f->ts->data_dir, "media", id, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, data, len, NULL));
}

static gpointer
add_user (gpointer conn, gpointer data, GError **error)
{
  const char *name = data;
  return yg_user_store_create (conn, name, name,
                               g_str_equal (name, "resident") ? YG_ROLE_RESIDENT : YG_ROLE_STAFF,
                               PASSWORD, error) > 0 ? GINT_TO_POINTER (1) : NULL;
}

/* Signs @name in and returns "Cookie: …\r\nX-CSRF-Token: …\r\n". */
static char *
cookie_headers (Fixture *f, const char *name)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"" PASSWORD "\"}", name);
  g_autoptr (YgTestResponse) r = NULL;
  g_autofree char *set = NULL;
  g_autoptr (JsonParser) p = json_parser_new ();

  yg_test_server_db_sync (f->ts, add_user, (gpointer) name);
  r = yg_test_request (f->ts->port, NULL, "POST", "/api/v1/session", "Content-Type: application/json\r\n",
                       body);
  g_assert_cmpuint (r->status, ==, 200);
  set = yg_test_response_header (r, "Set-Cookie", 0);
  g_assert_true (json_parser_load_from_data (p, r->body, -1, NULL));
  return g_strdup_printf ("Cookie: %.*s\r\nX-CSRF-Token: %s\r\n", (int) strcspn (set, ";"), set,
                          json_object_get_string_member (json_node_get_object (json_parser_get_root (p)),
                                                         "csrf_token"));
}

static char *
bearer (Fixture *f, const char *role)
{
  g_autofree char *t = yg_test_server_token (f->ts, role);
  return g_strdup_printf ("Authorization: Bearer %s\r\n", t);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  YgConfig *config = yg_config_new ();

  f->log_dir = yg_test_make_tmpdir ();
  g_free (config->access_log);
  config->access_log = g_build_filename (f->log_dir, "access.log", NULL);
  f->ts = yg_test_server_start (config, yg_routes, yg_n_routes);
  for (int v = 0; v < N_VIS; v++)
    {
      Seed s = { vis_names[v], NULL };
      yg_test_server_db_sync (f->ts, seed_item, &s);
      f->ids[v] = s.id;
      put (f, s.id, "master.m3u8", master, strlen (master));
      put (f, s.id, "360p/index.m3u8", media, strlen (media));
      put (f, s.id, "360p/seg00000.ts", segment, sizeof segment - 1);
      put (f, s.id, "poster.jpg", poster, sizeof poster - 1);
    }
  f->headers[ANON] = g_strdup ("");
  f->headers[RESIDENT] = cookie_headers (f, "resident");
  f->headers[STAFF_TOKEN] = bearer (f, "staff");
  f->headers[PARTNER] = bearer (f, "partner");
  f->headers[ADMIN] = bearer (f, "admin");
  f->headers[STAFF_COOKIE] = cookie_headers (f, "wang");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  yg_test_server_stop (f->ts);
  yg_test_rm_rf (f->log_dir);
  g_free (f->log_dir);
  for (int i = 0; i < N_VIS; i++)
    g_free (f->ids[i]);
  for (int i = 0; i < N_CALLERS; i++)
    g_free (f->headers[i]);
}

static YgTestResponse *
get (Fixture *f, const char *path, const char *headers)
{
  return yg_test_request (f->ts->port, NULL, "GET", path, headers, NULL);
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

/* The item's media base URL (ending in '/') from its JSON, as @caller. */
static char *
media_base_for (Fixture *f, int v, int caller)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/items/%s", f->ids[v]);
  g_autoptr (YgTestResponse) r = get (f, path, f->headers[caller]);
  g_autoptr (JsonNode) root = NULL;
  const char *hls;

  g_assert_cmpuint (r->status, ==, 200);
  root = parse (r);
  hls = json_object_get_string_member (json_node_get_object (root), "hls_url");
  g_assert_true (g_str_has_suffix (hls, "/master.m3u8"));
  return g_strndup (hls, strlen (hls) - strlen ("master.m3u8"));
}

static void
assert_media (Fixture *f, const char *base, guint want)
{
  static const struct
  {
    const char *rel;
    const char *body;
    gsize len;
  } files[] = {
    { "master.m3u8", master, sizeof master - 1 },
    { "360p/index.m3u8", media, sizeof media - 1 },
    { "360p/seg00000.ts", segment, sizeof segment - 1 },
    { "poster.jpg", poster, sizeof poster - 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *url = g_strconcat (base, files[i].rel, NULL);
      g_autoptr (YgTestResponse) r = get (f, url, NULL); /* no cookie: native players have none */
      g_assert_cmpuint (r->status, ==, want);
      if (want == 200)
        {
          g_assert_cmpuint (r->body_len, ==, files[i].len);
          g_assert_true (memcmp (r->body, files[i].body, files[i].len) == 0);
        }
    }
}

/* --- the matrix ---------------------------------------------------------------------------- */

static void
test_matrix (Fixture *f, gconstpointer data)
{
  for (int c = 0; c < N_CALLERS; c++)
    {
      g_autoptr (YgTestResponse) list = get (f, "/api/v1/items", f->headers[c]);
      g_autoptr (YgTestResponse) search = get (f, "/api/v1/search?kind=performance", f->headers[c]);
      g_autoptr (JsonNode) list_root = NULL, search_root = NULL;
      JsonArray *items, *found;

      g_assert_cmpuint (list->status, ==, 200);
      list_root = parse (list);
      items = json_object_get_array_member (json_node_get_object (list_root), "items");
      g_assert_cmpuint (search->status, ==, 200);
      search_root = parse (search);
      found = json_object_get_array_member (json_node_get_object (search_root), "items");
      for (int v = 0; v < N_VIS; v++)
        {
          g_autofree char *path = g_strdup_printf ("/api/v1/items/%s", f->ids[v]);
          g_autoptr (YgTestResponse) r = get (f, path, f->headers[c]);
          g_autofree char *stable = g_strdup_printf ("/hls/%s/", f->ids[v]);
          gboolean listed = FALSE;

          g_test_message ("%s item, %s caller", vis_names[v], caller_names[c]);
          for (guint i = 0; i < json_array_get_length (items); i++)
            listed |= g_str_equal (json_object_get_string_member (
                                     json_array_get_object_element (items, i), "id"),
                                   f->ids[v]);
          g_assert_cmpint (listed, ==, may_see[v][c] && v != VIS_UNLISTED);
          /* search finds exactly what the list shows */
          listed = FALSE;
          for (guint i = 0; i < json_array_get_length (found); i++)
            listed |= g_str_equal (json_object_get_string_member (
                                     json_array_get_object_element (found, i), "id"),
                                   f->ids[v]);
          g_assert_cmpint (listed, ==, may_see[v][c] && v != VIS_UNLISTED);

          /* the stable URLs serve public items only, whoever asks */
          assert_media (f, stable, v == VIS_PUBLIC ? 200 : 404);

          if (!may_see[v][c])
            {
              g_autoptr (JsonNode) err = NULL;
              g_assert_cmpuint (r->status, ==, 404);
              err = parse (r);
              g_assert_nonnull (strstr (r->body, "\"not_found\""));
              continue;
            }
          g_assert_cmpuint (r->status, ==, 200);
          {
            g_autoptr (JsonNode) root = parse (r);
            JsonObject *o = json_node_get_object (root);
            const char *hls = json_object_get_string_member (o, "hls_url");
            const char *poster_url = json_object_get_string_member (o, "poster_url");
            g_autofree char *base = NULL;

            g_assert_cmpstr (json_object_get_string_member (o, "visibility"), ==, vis_names[v]);
            if (v == VIS_PUBLIC)
              g_assert_true (g_str_has_prefix (hls, stable));
            else
              {
                g_autofree char *tail = g_strdup_printf ("/%s/master.m3u8", f->ids[v]);
                g_assert_true (g_str_has_prefix (hls, "/hls/t/"));
                g_assert_true (g_str_has_suffix (hls, tail));
                g_assert_true (g_str_has_prefix (poster_url, "/hls/t/"));
              }
            base = g_strndup (hls, strlen (hls) - strlen ("master.m3u8"));
            assert_media (f, base, 200);
          }
        }
    }
}

/* --- tokens ------------------------------------------------------------------------------ */

/* The token in a media base URL "/hls/t/<token>/<id>/". */
static char *
token_of (const char *base)
{
  const char *start = base + strlen ("/hls/t/");
  return g_strndup (start, strchr (start, '/') - start);
}

static char *
token_url (const char *token, const char *id, const char *rel)
{
  return g_strdup_printf ("/hls/t/%s/%s/%s", token, id, rel);
}

static guint
status_of (Fixture *f, const char *url)
{
  g_autoptr (YgTestResponse) r = get (f, url, NULL);
  return r->status;
}

/* Signs like the server does, with a key read from the keyring file. */
static char *
sign_with (const char *key_id, const guint8 key[32], gint64 expiry, const char *id)
{
  g_autofree char *msg = g_strdup_printf ("%" G_GINT64_FORMAT ".%s/%s", expiry, key_id, id);
  guint8 mac[crypto_auth_hmacsha256_BYTES];
  char b64[sodium_base64_ENCODED_LEN (32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  crypto_auth_hmacsha256 (mac, (const guint8 *) msg, strlen (msg), key);
  sodium_bin2base64 (b64, sizeof b64, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return g_strdup_printf ("%" G_GINT64_FORMAT ".%s.%s", expiry, key_id, b64);
}

static void
read_key (Fixture *f, const char *key_id, guint8 key[32])
{
  g_autofree char *path = g_build_filename (f->ts->data_dir, "keys", "playback.keys", NULL);
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *group = g_strdup_printf ("key %s", key_id);
  g_autofree char *b64 = NULL;
  gsize len = 0;

  g_assert_true (g_key_file_load_from_file (kf, path, 0, NULL));
  b64 = g_key_file_get_string (kf, group, "secret", NULL);
  g_assert_nonnull (b64);
  g_assert_cmpint (sodium_base642bin (key, 32, b64, strlen (b64), NULL, &len, NULL,
                                      sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                   ==, 0);
  g_assert_cmpuint (len, ==, 32);
}

static char *
key_id_of (const char *token)
{
  const char *a = strchr (token, '.') + 1;
  return g_strndup (a, strchr (a, '.') - a);
}

static void
test_tokens (Fixture *f, gconstpointer data)
{
  const char *id = f->ids[VIS_STAFF];
  g_autofree char *base = media_base_for (f, VIS_STAFF, ADMIN);
  g_autofree char *token = token_of (base);
  g_autofree char *key_id = key_id_of (token);
  g_autofree char *good = token_url (token, id, "360p/seg00000.ts");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 expiry = g_ascii_strtoll (token, NULL, 10);
  guint8 key[32];

  g_test_message ("token %s", token);
  g_assert_cmpint (expiry, >, now + 6 * 3600 - 60);
  g_assert_cmpint (expiry, <=, now + 6 * 3600 + 600);
  g_assert_cmpuint (status_of (f, good), ==, 200);
  read_key (f, key_id, key);

  /* the test signs exactly like the server */
  {
    g_autofree char *mine = sign_with (key_id, key, expiry, id);
    g_assert_cmpstr (mine, ==, token);
  }
  /* expired a second ago, correctly signed */
  {
    g_autofree char *t = sign_with (key_id, key, now - 1, id);
    g_autofree char *u = token_url (t, id, "master.m3u8");
    g_autofree char *t2 = sign_with (key_id, key, now + 100, id);
    g_autofree char *u2 = token_url (t2, id, "master.m3u8");
    g_assert_cmpuint (status_of (f, u), ==, 403);
    g_assert_cmpuint (status_of (f, u2), ==, 200);
  }
  /* tampering with every part, every character of the mac */
  {
    const char *mac = strrchr (token, '.') + 1;
    gsize mac_at = mac - token;
    for (gsize i = 0; token[i] != '\0'; i++)
      {
        g_autofree char *t = g_strdup (token);
        g_autofree char *u = NULL;
        if (t[i] == '.')
          continue;
        t[i] = g_ascii_isdigit (t[i]) ? (t[i] == '9' ? '1' : t[i] + 1)
               : (t[i] == 'a' ? 'b' : 'a');
        u = token_url (t, id, i < mac_at ? "master.m3u8" : "360p/index.m3u8");
        if (status_of (f, u) != 403)
          g_error ("tampered character %zu (%s) was accepted", i, t);
      }
  }
  {
    g_autofree char *t1 = g_strndup (token, strlen (token) - 1); /* mac one short */
    g_autofree char *t2 = g_strconcat (token, "A", NULL);        /* one long */
    g_autofree char *t3 = g_strdup_printf ("%s", strchr (token, '.') + 1); /* no expiry */
    g_autofree char *t4 = g_strdup_printf ("%" G_GINT64_FORMAT ".%s.%s", expiry + 3600, key_id,
                                           strrchr (token, '.') + 1); /* extended expiry */
    g_autofree char *t5 = g_strdup_printf ("%" G_GINT64_FORMAT "..%s", expiry, strrchr (token, '.') + 1);
    const char *const bad[] = { t1, t2, t3, t4, t5, "x", "1.2.3", "99999999999.a.b" };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *u = token_url (bad[i], id, "master.m3u8");
        g_test_message ("bad token %s", bad[i]);
        g_assert_cmpuint (status_of (f, u), ==, 403);
      }
  }
  /* another item's token, for this item; this token for the other item */
  {
    g_autofree char *other_base = media_base_for (f, VIS_RESIDENTS, RESIDENT);
    g_autofree char *other = token_of (other_base);
    g_autofree char *u1 = token_url (other, id, "master.m3u8");
    g_autofree char *u2 = token_url (token, f->ids[VIS_RESIDENTS], "master.m3u8");
    g_autofree char *u3 = token_url (token, f->ids[VIS_PUBLIC], "master.m3u8");
    g_assert_cmpuint (status_of (f, u1), ==, 403);
    g_assert_cmpuint (status_of (f, u2), ==, 403);
    g_assert_cmpuint (status_of (f, u3), ==, 403);
  }
  /* an unknown key id, however well the mac is made */
  {
    guint8 other_key[32];
    g_autofree char *t = NULL, *u = NULL;
    randombytes_buf (other_key, sizeof other_key);
    t = sign_with ("nokey123", other_key, expiry, id);
    u = token_url (t, id, "master.m3u8");
    g_assert_cmpuint (status_of (f, u), ==, 403);
  }
  /* no token at all */
  {
    g_autofree char *u1 = g_strdup_printf ("/hls/t/%s/master.m3u8", id);
    g_autofree char *u2 = g_strdup_printf ("/hls/t/%s/360p/index.m3u8", id);
    g_assert_cmpuint (status_of (f, u1), ==, 403);
    g_assert_cmpuint (status_of (f, u2), ==, 403);
  }
  /* private caching that never outlives the token */
  {
    g_autoptr (YgTestResponse) r = get (f, good, NULL);
    g_autofree char *cc = yg_test_response_header (r, "Cache-Control", 0);
    g_assert_true (g_str_has_prefix (cc, "private, max-age="));
    g_assert_cmpint (g_ascii_strtoll (cc + strlen ("private, max-age="), NULL, 10), <=, expiry - now);
  }
  /* the access log shows which key served a request, never the mac */
  {
    g_autofree char *log_path = g_build_filename (f->log_dir, "access.log", NULL);
    g_autofree char *log = NULL;
    g_autofree char *shown = g_strdup_printf ("/hls/t/%" G_GINT64_FORMAT ".%s.-/%s/", expiry, key_id, id);
    g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
    g_assert_nonnull (strstr (log, shown));
    g_assert_null (strstr (log, strrchr (token, '.') + 1));
  }
}

static void
test_rotation (Fixture *f, gconstpointer data)
{
  const char *id = f->ids[VIS_RESIDENTS];
  g_autofree char *base1 = media_base_for (f, VIS_RESIDENTS, RESIDENT);
  g_autofree char *t1 = token_of (base1);
  g_autofree char *k1 = key_id_of (t1);
  g_autofree char *url1 = token_url (t1, id, "360p/seg00000.ts");
  g_autoptr (GError) error = NULL;
  g_autofree char *k2 = NULL, *base2 = NULL, *t2 = NULL, *url2 = NULL, *listed = NULL;

  g_assert_cmpuint (status_of (f, url1), ==, 200);
  /* what `yunguan keys rotate` does, while the server runs */
  k2 = yg_playback_keys_rotate (f->ts->data_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (k1, !=, k2);
  g_usleep (1100 * 1000); /* the server looks at the file at most once a second */
  base2 = media_base_for (f, VIS_RESIDENTS, RESIDENT);
  t2 = token_of (base2);
  {
    g_autofree char *used = key_id_of (t2);
    g_assert_cmpstr (used, ==, k2);
  }
  url2 = token_url (t2, id, "360p/seg00000.ts");
  g_assert_cmpuint (status_of (f, url2), ==, 200);
  g_assert_cmpuint (status_of (f, url1), ==, 200); /* the old key still verifies */

  /* the current key cannot be removed; the old one can */
  g_assert_false (yg_playback_keys_remove (f->ts->data_dir, k2, &error));
  g_clear_error (&error);
  g_assert_true (yg_playback_keys_remove (f->ts->data_dir, k1, &error));
  g_assert_no_error (error);
  listed = yg_playback_keys_describe (f->ts->data_dir, &error);
  g_assert_null (strstr (listed, k1));
  g_assert_nonnull (strstr (listed, "current"));
  g_usleep (1100 * 1000);
  g_assert_cmpuint (status_of (f, url1), ==, 403);
  g_assert_cmpuint (status_of (f, url2), ==, 200);
}

static void
test_patch_takes_effect (Fixture *f, gconstpointer data)
{
  const char *id = f->ids[VIS_PUBLIC];
  g_autofree char *seg = g_strdup_printf ("/hls/%s/360p/seg00000.ts", id);
  g_autofree char *path = g_strdup_printf ("/api/v1/items/%s", id);
  g_autoptr (YgTestResponse) r = NULL;

  g_assert_cmpuint (status_of (f, seg), ==, 200); /* the visibility cache is warm now */
  r = yg_test_request (f->ts->port, NULL, "PATCH", path, f->headers[STAFF_COOKIE],
                       "{\"visibility\":\"staff\"}");
  g_assert_cmpuint (r->status, ==, 415); /* no Content-Type */
  g_clear_pointer (&r, yg_test_response_free);
  {
    g_autofree char *h = g_strconcat (f->headers[STAFF_COOKIE], "Content-Type: application/json\r\n",
                                      NULL);
    r = yg_test_request (f->ts->port, NULL, "PATCH", path, h, "{\"visibility\":\"staff\"}");
  }
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_nonnull (strstr (r->body, "\"visibility\":\"staff\""));
  g_assert_nonnull (strstr (r->body, "\"hls_url\":\"/hls/t/"));
  g_assert_cmpuint (status_of (f, seg), ==, 404);
  {
    g_autoptr (YgTestResponse) anon = get (f, path, NULL);
    g_assert_cmpuint (anon->status, ==, 404);
  }
  /* an item the catalogue does not know is 404 at /hls/ too */
  g_assert_cmpuint (status_of (f, "/hls/aaaaaaaaaaaaaaaa/master.m3u8"), ==, 404);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Item visibility × caller on JSON, lists and HLS; signed playback URLs");
  yg_secret_init ();

#define ADD(path, fn) g_test_add ("/visibility/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("matrix", test_matrix);
  ADD ("tokens", test_tokens);
  ADD ("tokens/rotation", test_rotation);
  ADD ("patch-takes-effect", test_patch_takes_effect);
  return g_test_run ();
}

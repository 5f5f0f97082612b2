/* feeds-test.c: syndication between two real servers on loopback, and the
 * feed fetcher's defences.
 *
 * Server A publishes its public catalogue (GET /api/v1/feed: cursor pages,
 * ETag/If-None-Match); server B, on another port, subscribes (its admin
 * allows A's loopback host), and A's items appear in B's item list and
 * search, labelled with A's name, playing from A's HLS URLs (fetched there).
 * A title change on A reaches B, and so do an item made staff-only and an
 * item deleted on A; with nothing new the refresh is a 304; with A stopped
 * B records the error and keeps showing what it had. A fake server
 * (libsoup, loopback) plays the hostile partner: garbage, a redirect to
 * 127.0.0.1 on another port, a redirect to a private address, an oversized
 * and a slow feed; subscriptions to private, link-local and loopback
 * addresses that were not allowed are refused before connecting; every case
 * is recorded as state "error" with a message saying what was refused, and
 * B's catalogue stays as it was. Malformed subscription URLs are 400.
 * Suite: http.
 */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "yg-feed-input.h"
#include "yg-item-store.h"
#include "yg-routes.h"
#include "yg-test-server.h"

#define BIG_FEED (5 * 1024 * 1024)

/* --- the hostile partner ---------------------------------------------------------------------- */

typedef struct
{
  guint16 other_port; /* a redirect target on 127.0.0.1 */
} Fake;

static void
fake_handler (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
              gpointer data)
{
  Fake *fake = data;
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, 200, NULL);
  if (g_str_equal (path, "/garbage"))
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                      "{\"yunguan_feed\": 1, \"items\": [", 29);
  else if (g_str_equal (path, "/not-a-feed"))
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                      "{\"hello\": \"world\"}", 18);
  else if (g_str_equal (path, "/redirect-port"))
    {
      g_autofree char *to = g_strdup_printf ("http://127.0.0.1:%u/api/v1/feed", fake->other_port);
      soup_server_message_set_redirect (msg, 302, to);
    }
  else if (g_str_equal (path, "/redirect-private"))
    soup_server_message_set_redirect (msg, 302, "http://10.11.12.13/api/v1/feed");
  else if (g_str_equal (path, "/redirect-metadata"))
    soup_server_message_set_redirect (msg, 307, "http://169.254.169.254/latest/meta-data/");
  else if (g_str_equal (path, "/big"))
    {
      char *body = g_malloc (BIG_FEED);

      memset (body, ' ', BIG_FEED);
      body[0] = '{';
      body[BIG_FEED - 1] = '}';
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body, BIG_FEED);
    }
  else if (g_str_equal (path, "/big-chunked"))
    {
      SoupMessageBody *body = soup_server_message_get_response_body (msg);

      soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
      soup_server_message_set_status (msg, 200, NULL);
      for (guint i = 0; i < BIG_FEED / 65536; i++)
        soup_message_body_append_take (body, g_malloc0 (65536), 65536);
      soup_message_body_complete (body);
    }
  else if (g_str_equal (path, "/slow"))
    soup_server_message_pause (msg); /* never answers */
  else
    soup_server_message_set_status (msg, 404, NULL);
}

/* --- fixture ----------------------------------------------------------------------------------- */

typedef struct
{
  YgTestServer *a, *b;
  char *a_staff;  /* "Authorization: Bearer …\r\n" */
  char *b_admin;
  char *items[4]; /* on A: three public, one staff-only */
} Fixture;

static gpointer
insert_item (gpointer conn, gpointer data, GError **error)
{
  return yg_item_store_insert (conn, NULL, "performance", data, "合作文化馆的节目", error);
}

static char *
item (YgTestServer *ts, const char *title, const char *visibility)
{
  char *id = yg_test_server_db_sync (ts, insert_item, (gpointer) title);
  g_autofree char *update = g_strdup_printf (
      "UPDATE items SET status = 'ready', duration = 60, visibility = '%s' WHERE id = '%s';"
      "INSERT INTO item_files (item_id, role, path) VALUES ('%s', 'master', 'media/%s/master.m3u8')",
      visibility, id, id, id);
  g_autofree char *dir = g_build_filename (ts->data_dir, "media", id, NULL);
  g_autofree char *master = g_build_filename (dir, "master.m3u8", NULL);

  yg_test_server_sql (ts, update);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (master, "#EXTM3U\n#EXT-X-VERSION:3\n", -1, NULL));
  return id;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  YgConfig *ca = yg_config_new (), *cb = yg_config_new ();
  g_autofree char *staff = NULL, *admin = NULL;

  g_free (ca->centre_name);
  ca->centre_name = g_strdup ("城东文化馆");
  cb->feed_refresh_minutes = 0;
  cb->feed_timeout = 2;
  f->a = yg_test_server_start (ca, yg_routes, yg_n_routes);
  f->b = yg_test_server_start (cb, yg_routes, yg_n_routes);
  staff = yg_test_server_token (f->a, "staff");
  admin = yg_test_server_token (f->b, "admin");
  f->a_staff = g_strdup_printf ("Authorization: Bearer %s\r\n", staff);
  f->b_admin = g_strdup_printf ("Authorization: Bearer %s\r\n", admin);
  f->items[0] = item (f->a, "黄梅戏《天仙配》选段", "public");
  f->items[1] = item (f->a, "剪纸技艺", "public");
  f->items[2] = item (f->a, "古琴雅集", "public");
  f->items[3] = item (f->a, "内部排练", "staff");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->a != NULL)
    yg_test_server_stop (f->a);
  yg_test_server_stop (f->b);
  g_free (f->a_staff);
  g_free (f->b_admin);
  for (guint i = 0; i < G_N_ELEMENTS (f->items); i++)
    g_free (f->items[i]);
}

static JsonObject *
obj (JsonNode *n)
{
  g_assert_nonnull (n);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (n));
  return json_node_get_object (n);
}

/* Subscribes B to @url; returns the subscription's id. */
static gint64
subscribe (Fixture *f, const char *url, gboolean allow_private)
{
  g_autofree char *body = g_strdup_printf ("{\"url\":\"%s\",\"allow_private\":%s}", url,
                                           allow_private ? "true" : "false");
  g_autoptr (JsonNode) doc = NULL;

  g_assert_cmpuint (yg_test_call (f->b->port, NULL, "POST", "/api/v1/subscriptions", f->b_admin,
                                  body, &doc),
                    ==, 201);
  return json_object_get_int_member (obj (doc), "id");
}

/* Refreshes subscription @id on B now; returns its document. */
static JsonNode *
refresh (Fixture *f, gint64 id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/subscriptions/%" G_GINT64_FORMAT "/refresh", id);
  JsonNode *doc = NULL;

  g_assert_cmpuint (yg_test_call (f->b->port, NULL, "POST", path, f->b_admin, "", &doc), ==, 200);
  return doc;
}

/* B's public items: title → the item object (owned by @doc). */
static GHashTable *
b_items (Fixture *f, JsonNode **doc)
{
  GHashTable *by_title = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *a;

  g_assert_cmpuint (yg_test_call (f->b->port, NULL, "GET", "/api/v1/items?limit=100", NULL, NULL, doc),
                    ==, 200);
  a = json_object_get_array_member (obj (*doc), "items");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *it = json_array_get_object_element (a, i);
      g_hash_table_insert (by_title, (gpointer) json_object_get_string_member (it, "title"), it);
    }
  return by_title;
}

static const char *
state (JsonNode *doc)
{
  return json_object_get_string_member (obj (doc), "state");
}

static const char *
error_text (JsonNode *doc)
{
  JsonNode *e = json_object_get_member (obj (doc), "error");

  return e != NULL && !JSON_NODE_HOLDS_NULL (e) ? json_node_get_string (e) : "";
}

/* --- two servers ------------------------------------------------------------------------------ */

static void
test_syndication (Fixture *f, gconstpointer data)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/api/v1/feed", f->a->port);
  g_autofree char *patch = NULL, *staff_only = NULL, *del = NULL, *origin = NULL;
  g_autoptr (JsonNode) doc = NULL, list = NULL, search = NULL, again = NULL, after = NULL;
  g_autoptr (JsonNode) gone = NULL, down = NULL, still = NULL;
  g_autoptr (GHashTable) items = NULL;
  JsonObject *it, *source;
  const char *hls;
  gint64 id;

  id = subscribe (f, url, TRUE);
  doc = refresh (f, id);
  g_assert_cmpstr (state (doc), ==, "ok");
  g_assert_cmpstr (json_object_get_string_member (obj (doc), "name"), ==, "城东文化馆");
  g_assert_cmpint (json_object_get_int_member (obj (doc), "items"), ==, 3); /* not the staff one */

  items = b_items (f, &list);
  g_assert_null (g_hash_table_lookup (items, "内部排练"));
  it = g_hash_table_lookup (items, "黄梅戏《天仙配》选段");
  g_assert_nonnull (it);
  g_assert_true (json_object_get_boolean_member (it, "playable"));
  source = json_object_get_object_member (it, "source");
  g_assert_cmpstr (json_object_get_string_member (source, "name"), ==, "城东文化馆");
  origin = g_strdup_printf ("http://127.0.0.1:%u", f->a->port);
  g_assert_cmpstr (json_object_get_string_member (source, "origin"), ==, origin);
  hls = json_object_get_string_member (it, "hls_url");
  g_assert_true (g_str_has_prefix (hls, origin)); /* plays from A */
  {
    g_autoptr (YgTestResponse) r = yg_test_request (f->a->port, NULL, "GET", hls + strlen (origin),
                                                    NULL, NULL);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_true (g_str_has_prefix (r->body, "#EXTM3U"));
  }
  /* B's search finds it too, and B's own feed never republishes it */
  g_assert_cmpuint (yg_test_call (f->b->port, NULL, "GET", "/api/v1/search?q=%E5%A4%A9%E4%BB%99%E9%85%8D",
                                  NULL, NULL, &search),
                    ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (search), "items")), ==,
                    1);
  {
    g_autoptr (JsonNode) feed = NULL;
    g_assert_cmpuint (yg_test_call (f->b->port, NULL, "GET", "/api/v1/feed", NULL, NULL, &feed), ==,
                      200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (feed), "items")), ==,
                      0);
  }

  /* nothing new: an empty page, then (the same URL, its ETag) a 304; the same three items */
  for (guint i = 0; i < 2; i++)
    {
      g_clear_pointer (&again, json_node_unref);
      again = refresh (f, id);
      g_assert_cmpstr (state (again), ==, "ok");
      g_assert_cmpint (json_object_get_int_member (obj (again), "items"), ==, 3);
    }
  {
    /* what B asks next is answered 304 by A */
    gint64 cursor = yg_test_server_number (f->b, "SELECT cursor FROM subscriptions");
    g_autofree char *path = g_strdup_printf ("/api/v1/feed?cursor=%" G_GINT64_FORMAT "&limit=200",
                                             cursor);
    g_autoptr (YgTestResponse) first = yg_test_request (f->a->port, NULL, "GET", path, NULL, NULL);
    g_autofree char *etag = yg_test_response_header (first, "ETag", 0);
    g_autofree char *stored = g_strdup_printf ("SELECT count (*) FROM subscriptions WHERE etag = '%s'",
                                               etag);

    g_assert_cmpint (yg_test_server_number (f->b, stored), ==, 1);
  }

  /* an update, an item made staff-only and one deleted on A */
  patch = g_strdup_printf ("/api/v1/items/%s", f->items[0]);
  g_assert_cmpuint (yg_test_call (f->a->port, NULL, "PATCH", patch, f->a_staff,
                                  "{\"title\":\"黄梅戏《天仙配》全本\"}", NULL),
                    ==, 200);
  staff_only = g_strdup_printf ("/api/v1/items/%s", f->items[1]);
  g_assert_cmpuint (yg_test_call (f->a->port, NULL, "PATCH", staff_only, f->a_staff,
                                  "{\"visibility\":\"staff\"}", NULL),
                    ==, 200);
  del = g_strdup_printf ("DELETE FROM items WHERE id = '%s'", f->items[2]);
  yg_test_server_sql (f->a, del);
  after = refresh (f, id);
  g_assert_cmpstr (state (after), ==, "ok");
  g_assert_cmpint (json_object_get_int_member (obj (after), "items"), ==, 1);
  g_clear_pointer (&items, g_hash_table_unref);
  items = b_items (f, &gone);
  g_assert_nonnull (g_hash_table_lookup (items, "黄梅戏《天仙配》全本"));
  g_assert_null (g_hash_table_lookup (items, "黄梅戏《天仙配》选段"));
  g_assert_null (g_hash_table_lookup (items, "剪纸技艺"));
  g_assert_null (g_hash_table_lookup (items, "古琴雅集"));
  g_assert_cmpint (yg_test_server_number (f->b, "SELECT count (*) FROM items"), ==, 1);

  /* A stops: B says so and keeps what it has */
  yg_test_server_stop (f->a);
  f->a = NULL;
  down = refresh (f, id);
  g_assert_cmpstr (state (down), ==, "error");
  g_assert_nonnull (strstr (error_text (down), "Cannot fetch"));
  g_clear_pointer (&items, g_hash_table_unref);
  items = b_items (f, &still);
  g_assert_nonnull (g_hash_table_lookup (items, "黄梅戏《天仙配》全本"));

  /* unsubscribing removes the items it brought */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/subscriptions/%" G_GINT64_FORMAT, id);
    g_assert_cmpuint (yg_test_call (f->b->port, NULL, "DELETE", path, f->b_admin, NULL, NULL), ==,
                      200);
    g_assert_cmpint (yg_test_server_number (f->b, "SELECT count (*) FROM items"), ==, 0);
  }
}

static void
test_feed_document (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonNode) first = NULL, second = NULL;
  g_autoptr (YgTestResponse) r = NULL, cached = NULL;
  g_autofree char *etag = NULL, *inm = NULL, *path = NULL;
  JsonArray *items;
  gint64 next;

  g_assert_cmpuint (yg_test_call (f->a->port, NULL, "GET", "/api/v1/feed?limit=2", NULL, NULL, &first),
                    ==, 200);
  g_assert_cmpint (json_object_get_int_member (obj (first), "yunguan_feed"), ==, 1);
  items = json_object_get_array_member (obj (first), "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  g_assert_true (json_object_get_boolean_member (obj (first), "more"));
  next = json_object_get_int_member (obj (first), "next_cursor");
  path = g_strdup_printf ("/api/v1/feed?limit=2&cursor=%" G_GINT64_FORMAT, next);
  g_assert_cmpuint (yg_test_call (f->a->port, NULL, "GET", path, NULL, NULL, &second), ==, 200);
  items = json_object_get_array_member (obj (second), "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 2); /* the third item, the staff one as gone */
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (items, 1), "deleted"));
  g_assert_false (json_object_get_boolean_member (obj (second), "more"));

  r = yg_test_request (f->a->port, NULL, "GET", "/api/v1/feed", NULL, NULL);
  etag = yg_test_response_header (r, "ETag", 0);
  g_assert_nonnull (etag);
  inm = g_strdup_printf ("If-None-Match: %s\r\n", etag);
  cached = yg_test_request (f->a->port, NULL, "GET", "/api/v1/feed", inm, NULL);
  g_assert_cmpuint (cached->status, ==, 304);
  g_assert_cmpuint (yg_test_call (f->a->port, NULL, "GET", "/api/v1/feed?cursor=-1", NULL, NULL, NULL),
                    ==, 400);
  g_assert_cmpuint (yg_test_call (f->a->port, NULL, "GET", "/api/v1/feed?limit=100000", NULL, NULL,
                                  NULL),
                    ==, 400);
  g_assert_cmpuint (yg_test_call (f->a->port, NULL, "GET", "/api/v1/feed?since=1", NULL, NULL, NULL),
                    ==, 400);
}

/* --- refused -------------------------------------------------------------------------------------- */

static void
expect_refused (Fixture *f, const char *url, gboolean allow_private, const char *message)
{
  gint64 id = subscribe (f, url, allow_private);
  g_autoptr (JsonNode) doc = refresh (f, id);

  g_test_message ("%s → %s", url, error_text (doc));
  g_assert_cmpstr (state (doc), ==, "error");
  g_assert_nonnull (strstr (error_text (doc), message));
  g_assert_cmpint (json_object_get_int_member (obj (doc), "items"), ==, 0);
}

static void
test_refused (Fixture *f, gconstpointer data)
{
  Fake partner = { f->a->port };
  YgTestFake *fake = yg_test_fake_start (fake_handler, &partner);
  g_autofree char *base = g_strdup_printf ("http://127.0.0.1:%u", yg_test_fake_port (fake));
  g_autofree char *good = g_strdup_printf ("http://127.0.0.1:%u/api/v1/feed", f->a->port);
  g_autofree char *local = g_strdup_printf ("http://localhost:%u/api/v1/feed", f->a->port);
  gint64 ok;

  /* one healthy subscription whose items must survive every failure below */
  ok = subscribe (f, good, TRUE);
  json_node_unref (refresh (f, ok));
  g_assert_cmpint (yg_test_server_number (f->b, "SELECT count (*) FROM items"), ==, 3);

  {
    g_autofree char *u1 = g_strconcat (base, "/redirect-port", NULL);
    g_autofree char *u2 = g_strconcat (base, "/redirect-private", NULL);
    g_autofree char *u3 = g_strconcat (base, "/redirect-metadata", NULL);
    g_autofree char *u4 = g_strconcat (base, "/big", NULL);
    g_autofree char *u5 = g_strconcat (base, "/big-chunked", NULL);
    g_autofree char *u6 = g_strconcat (base, "/slow", NULL);
    g_autofree char *u7 = g_strconcat (base, "/garbage", NULL);
    g_autofree char *u8 = g_strconcat (base, "/not-a-feed", NULL);
    g_autofree char *u9 = g_strconcat (base, "/nothing-here", NULL);

    expect_refused (f, u1, TRUE, "redirects to another host");
    expect_refused (f, u2, TRUE, "redirects to another host");
    expect_refused (f, u3, TRUE, "redirects to another host");
    expect_refused (f, u4, TRUE, "larger than");
    expect_refused (f, u5, TRUE, "larger than");
    expect_refused (f, u6, TRUE, "no complete answer within 2 s");
    expect_refused (f, u7, TRUE, "not valid");
    expect_refused (f, u8, TRUE, "not valid");
    expect_refused (f, u9, TRUE, "HTTP 404");
  }
  /* addresses that were not allowed: refused before any connection */
  expect_refused (f, "http://10.11.12.13/api/v1/feed", FALSE, "a private address");
  expect_refused (f, "http://192.168.1.20:8080/api/v1/feed", FALSE, "a private address");
  expect_refused (f, "http://169.254.169.254/latest/meta-data", FALSE, "a link-local address");
  expect_refused (f, "http://[::1]:9/api/v1/feed", FALSE, "a loopback address");
  expect_refused (f, "http://[::ffff:127.0.0.1]:9/api/v1/feed", FALSE, "a loopback address");
  expect_refused (f, local, FALSE, "a loopback address");
  {
    /* A's own host, not allowed this time (another URL: one subscription per URL) */
    g_autofree char *other = g_strdup_printf ("http://127.0.0.1:%u/api/v1/feed/", f->a->port);
    expect_refused (f, other, FALSE, "a loopback address");
  }

  /* B's catalogue is as it was */
  g_assert_cmpint (yg_test_server_number (f->b, "SELECT count (*) FROM items"), ==, 3);
  yg_test_fake_stop (fake);
}

static void
test_bad_urls (Fixture *f, gconstpointer data)
{
  const char *bad[] = {
    "{\"url\":\"file:///etc/passwd\"}",
    "{\"url\":\"gopher://example.org/feed\"}",
    "{\"url\":\"http://user:secret@example.org/feed\"}",
    "{\"url\":\"http://example.org/feed?cursor=5\"}",
    "{\"url\":\"http://example.org/feed#x\"}",
    "{\"url\":\"/api/v1/feed\"}",
    "{\"url\":\"http://exa mple.org/feed\"}",
    "{\"url\":\"http://example.org/feed\",\"allow_private\":\"yes\"}",
    "{\"url\":\"http://example.org/feed\",\"interval\":5}",
    "{}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("%s", bad[i]);
      g_assert_cmpuint (yg_test_call (f->b->port, NULL, "POST", "/api/v1/subscriptions", f->b_admin,
                                      bad[i], NULL),
                        ==, 400);
    }
  g_assert_cmpuint (yg_test_call (f->b->port, NULL, "POST", "/api/v1/subscriptions", NULL,
                                  "{\"url\":\"http://example.org/feed\"}", NULL),
                    ==, 401);
  g_assert_cmpuint (yg_test_call (f->b->port, NULL, "POST", "/api/v1/subscriptions/99/refresh",
                                  f->b_admin, "", NULL),
                    ==, 404);
  g_assert_cmpint (yg_test_server_number (f->b, "SELECT count (*) FROM subscriptions"), ==, 0);
}

/* --- the address rules ------------------------------------------------------------------------------ */

#include "yg-feed-fetch.h"

static void
test_address_kinds (void)
{
  static const struct
  {
    const char *address;
    const char *kind;
  } cases[] = {
    { "127.0.0.1", "loopback" },       { "127.1.2.3", "loopback" },     { "::1", "loopback" },
    { "::ffff:127.0.0.1", "loopback" }, { "10.0.0.1", "private" },       { "172.16.0.1", "private" },
    { "172.31.255.255", "private" },   { "192.168.0.1", "private" },     { "100.64.0.1", "private" },
    { "fd00::1", "private" },          { "169.254.169.254", "link-local" }, { "fe80::1", "link-local" },
    { "224.0.0.1", "multicast" },      { "ff02::1", "multicast" },       { "0.0.0.0", "unspecified" },
    { "::", "unspecified" },           { "240.0.0.1", "reserved" },      { "8.8.8.8", NULL },
    { "172.32.0.1", NULL },            { "2001:db8::1", NULL },          { "::ffff:8.8.8.8", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GInetAddress) a = g_inet_address_new_from_string (cases[i].address);

      g_assert_nonnull (a);
      g_assert_cmpstr (yg_feed_fetch_address_kind (a), ==, cases[i].kind);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Syndication between two servers, and the feed fetcher's SSRF defences");
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  g_test_add_func ("/feeds/address-kinds", test_address_kinds);
  ADD ("/feeds/document", test_feed_document);
  ADD ("/feeds/syndication", test_syndication);
  ADD ("/feeds/refused", test_refused);
  ADD ("/feeds/bad-urls", test_bad_urls);
  return g_test_run ();
}

/* partners-test.c: partner centres over real HTTP against a real catalogue.
 *
 * Covered: admins add, list, change and remove partners (the partner token
 * is minted with the partner and revoked with it); hostile and malformed
 * bodies (origins with paths, wildcards, javascript:, too many, unknown
 * members, wrong types) are refused with a field error; staff and partner
 * tokens are refused. The embed page's frame-ancestors lists exactly the
 * enabled partners' origins ('self' alone without partners, a disabled
 * partner drops out). HLS and API answers echo Access-Control-Allow-Origin
 * for an allowed origin only, always with Vary: Origin, never "*" and never
 * Allow-Credentials; unlisted and missing origins get no CORS grant. Embed
 * tokens: a partner mints one for a residents-only item, which then opens
 * that item (and only it) to an anonymous embed, with a signed HLS URL;
 * tampered, foreign-item, staff-only and disabled-partner cases are 404.
 * View attribution: events carrying a verified embed token or sent from an
 * allowed Origin count for that partner; a forged token counts for none;
 * GET /api/v1/analytics/partners gives the worked-out answers, the same
 * after the raw events are folded into daily rows. Suite: http.
 */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "yg-analytics.h"
#include "yg-item-store.h"
#include "yg-routes.h"
#include "yg-test-server.h"

#define ORIGIN_A "https://www.partner-a.example"
#define ORIGIN_B "http://127.0.0.1:8089"

typedef struct
{
  YgTestServer *ts;
  char *admin;   /* "Authorization: Bearer …\r\n" */
  char *staff;
  char *items[3]; /* public, residents, staff */
} Fixture;

static gpointer
insert_item (gpointer conn, gpointer data, GError **error)
{
  return yg_item_store_insert (conn, NULL, "performance", data, "", error);
}

static char *
item (Fixture *f, const char *title, const char *visibility)
{
  char *id = yg_test_server_db_sync (f->ts, insert_item, (gpointer) title);
  g_autofree char *update = g_strdup_printf (
      "UPDATE items SET status = 'ready', duration = 100, visibility = '%s' WHERE id = '%s';"
      "INSERT INTO item_files (item_id, role, path) VALUES ('%s', 'master', 'media/%s/master.m3u8')",
      visibility, id, id, id);
  g_autofree char *dir = g_build_filename (f->ts->data_dir, "media", id, NULL);
  g_autofree char *master = g_build_filename (dir, "master.m3u8", NULL);

  yg_test_server_sql (f->ts, update);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (master, "#EXTM3U\n#EXT-X-VERSION:3\n", -1, NULL));
  return id;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *admin = NULL, *staff = NULL;

  f->ts = yg_test_server_start (yg_config_new (), yg_routes, yg_n_routes);
  admin = yg_test_server_token (f->ts, "admin");
  staff = yg_test_server_token (f->ts, "staff");
  f->admin = g_strdup_printf ("Authorization: Bearer %s\r\n", admin);
  f->staff = g_strdup_printf ("Authorization: Bearer %s\r\n", staff);
  f->items[0] = item (f, "公开节目", "public");
  f->items[1] = item (f, "居民节目", "residents");
  f->items[2] = item (f, "内部节目", "staff");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  yg_test_server_stop (f->ts);
  g_free (f->admin);
  g_free (f->staff);
  for (guint i = 0; i < G_N_ELEMENTS (f->items); i++)
    g_free (f->items[i]);
}

static guint
call (Fixture *f, const char *method, const char *path, const char *who, const char *body,
      JsonNode **doc)
{
  return yg_test_call (f->ts->port, NULL, method, path, who, body, doc);
}

static JsonObject *
obj (JsonNode *n)
{
  g_assert_nonnull (n);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (n));
  return json_node_get_object (n);
}

/* Adds a partner; returns its id and (optionally) "Authorization: Bearer <its token>\r\n". */
static gint64
add_partner (Fixture *f, const char *body, char **auth)
{
  g_autoptr (JsonNode) doc = NULL;

  g_assert_cmpuint (call (f, "POST", "/api/v1/partners", f->admin, body, &doc), ==, 201);
  if (auth != NULL)
    *auth = g_strdup_printf ("Authorization: Bearer %s\r\n",
                             json_object_get_string_member (obj (doc), "token"));
  return json_object_get_int_member (obj (doc), "id");
}

static char *
header (Fixture *f, const char *path, const char *extra, const char *name, guint *status)
{
  g_autoptr (YgTestResponse) r = yg_test_request (f->ts->port, NULL, "GET", path, extra, NULL);

  if (status != NULL)
    *status = r->status;
  return yg_test_response_header (r, name, 0);
}

/* --- admin API ----------------------------------------------------------------------------- */

static void
test_admin (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonNode) doc = NULL;
  g_autofree char *auth = NULL, *path = NULL;
  JsonArray *origins;
  gint64 id;

  /* origins are normalised: lower case, default port and trailing slash dropped, duplicates once */
  id = add_partner (f,
                    "{\"name\":\"城东分馆\",\"origins\":[\"HTTPS://WWW.Partner-A.example:443/\","
                    "\"https://www.partner-a.example\",\"http://127.0.0.1:8089\"]}",
                    &auth);
  path = g_strdup_printf ("/api/v1/partners/%" G_GINT64_FORMAT, id);
  g_assert_cmpuint (call (f, "GET", path, f->admin, NULL, &doc), ==, 200);
  origins = json_object_get_array_member (obj (doc), "origins");
  g_assert_cmpuint (json_array_get_length (origins), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (origins, 0), ==, ORIGIN_A);
  g_assert_cmpstr (json_array_get_string_element (origins, 1), ==, ORIGIN_B);
  g_assert_true (json_object_get_boolean_member (obj (doc), "enabled"));
  g_assert_false (json_object_has_member (obj (doc), "token")); /* shown once, at creation */
  g_clear_pointer (&doc, json_node_unref);

  /* only admins manage partners */
  g_assert_cmpuint (call (f, "GET", "/api/v1/partners", f->staff, NULL, NULL), ==, 403);
  g_assert_cmpuint (call (f, "GET", "/api/v1/partners", auth, NULL, NULL), ==, 403);
  g_assert_cmpuint (call (f, "POST", "/api/v1/partners", f->staff, "{\"name\":\"x\"}", NULL), ==,
                    403);
  g_assert_cmpuint (call (f, "GET", "/api/v1/partners", NULL, NULL, NULL), ==, 401);

  g_assert_cmpuint (call (f, "PATCH", path, f->admin, "{\"name\":\"城东分馆（新）\",\"enabled\":false}",
                          &doc),
                    ==, 200);
  g_assert_cmpstr (json_object_get_string_member (obj (doc), "name"), ==, "城东分馆（新）");
  g_assert_false (json_object_get_boolean_member (obj (doc), "enabled"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (doc), "origins")), ==,
                    2);
  g_clear_pointer (&doc, json_node_unref);
  g_assert_cmpuint (call (f, "GET", "/api/v1/partners", f->admin, NULL, &doc), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (doc), "partners")),
                    ==, 1);

  /* removing the partner revokes its token at once */
  g_assert_cmpuint (call (f, "POST", "/api/v1/embeds", auth, "{\"item\":\"x\"}", NULL), ==, 403);
  g_assert_cmpuint (call (f, "DELETE", path, f->admin, NULL, NULL), ==, 200);
  g_assert_cmpuint (call (f, "GET", path, f->admin, NULL, NULL), ==, 404);
  g_assert_cmpuint (call (f, "DELETE", path, f->admin, NULL, NULL), ==, 404);
  g_assert_cmpuint (call (f, "POST", "/api/v1/embeds", auth, "{\"item\":\"x\"}", NULL), ==, 401);
  g_assert_cmpuint (call (f, "PATCH", "/api/v1/partners/999", f->admin, "{\"name\":\"x\"}", NULL),
                    ==, 404);
  g_assert_cmpuint (call (f, "GET", "/api/v1/partners/abc", f->admin, NULL, NULL), ==, 404);
}

static void
test_admin_invalid (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *body;
    const char *field;
  } bad[] = {
    { "{\"origins\":[]}", "name" },
    { "{\"name\":\"\"}", "name" },
    { "{\"name\":\"a\",\"origins\":\"https://a.example\"}", "origins" },
    { "{\"name\":\"a\",\"origins\":[\"*\"]}", "origins" },
    { "{\"name\":\"a\",\"origins\":[\"null\"]}", "origins" },
    { "{\"name\":\"a\",\"origins\":[\"javascript:alert(1)\"]}", "origins" },
    { "{\"name\":\"a\",\"origins\":[\"https://a.example/path\"]}", "origins" },
    { "{\"name\":\"a\",\"origins\":[\"https://a.example?x=1\"]}", "origins" },
    { "{\"name\":\"a\",\"origins\":[\"https://u:p@a.example\"]}", "origins" },
    { "{\"name\":\"a\",\"origins\":[\"ftp://a.example\"]}", "origins" },
    { "{\"name\":\"a\",\"origins\":[\"https://a.example; script-src *\"]}", "origins" },
    { "{\"name\":\"a\",\"origins\":[\"https://a.example'\"]}", "origins" },
    { "{\"name\":\"a\",\"origins\":[17]}", "origins" },
    { "{\"name\":\"a\",\"enabled\":\"yes\"}", "enabled" },
    { "{\"name\":\"a\",\"colour\":\"red\"}", "colour" },
    { "{\"name\":\"a\\nb\"}", "name" },
  };
  g_autoptr (GString) many = g_string_new ("{\"name\":\"a\",\"origins\":[");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonNode) doc = NULL;
      JsonObject *e;

      g_test_message ("body %s", bad[i].body);
      g_assert_cmpuint (call (f, "POST", "/api/v1/partners", f->admin, bad[i].body, &doc), ==, 400);
      e = json_object_get_object_member (obj (doc), "error");
      g_assert_cmpstr (json_object_get_string_member (e, "code"), ==, "invalid");
      g_assert_cmpstr (json_object_get_string_member (e, "field"), ==, bad[i].field);
    }
  for (guint i = 0; i < 17; i++)
    g_string_append_printf (many, "%s\"https://p%u.example\"", i > 0 ? "," : "", i);
  g_string_append (many, "]}");
  g_assert_cmpuint (call (f, "POST", "/api/v1/partners", f->admin, many->str, NULL), ==, 400);
  g_assert_cmpuint (call (f, "POST", "/api/v1/partners", f->admin, "{\"name\":", NULL), ==, 400);
  g_assert_cmpint (yg_test_server_number (f->ts, "SELECT count (*) FROM partners"), ==, 0);
  g_assert_cmpint (yg_test_server_number (f->ts, "SELECT count (*) FROM tokens WHERE role = 'partner'"),
                   ==, 0);
}

/* --- frame-ancestors and CORS ---------------------------------------------------------------- */

static char *
embed_csp (Fixture *f)
{
  g_autofree char *path = g_strdup_printf ("/embed/%s", f->items[0]);
  guint status;
  char *csp = header (f, path, NULL, "Content-Security-Policy", &status);

  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (csp);
  return csp;
}

static void
test_frame_ancestors (Fixture *f, gconstpointer data)
{
  g_autofree char *none = embed_csp (f), *two = NULL, *one = NULL, *page = NULL, *item_page = NULL;
  g_autofree char *path = NULL;
  gint64 a;

  g_assert_nonnull (strstr (none, "; frame-ancestors 'self'"));
  g_assert_true (g_str_has_suffix (none, "frame-ancestors 'self'"));
  g_assert_null (strstr (none, "frame-ancestors *"));

  a = add_partner (f, "{\"name\":\"A\",\"origins\":[\"" ORIGIN_A "\"]}", NULL);
  add_partner (f, "{\"name\":\"B\",\"origins\":[\"" ORIGIN_B "\"]}", NULL);
  two = embed_csp (f);
  g_assert_true (g_str_has_suffix (two, "frame-ancestors 'self' " ORIGIN_A " " ORIGIN_B));
  g_assert_nonnull (strstr (two, "script-src 'self'")); /* the rest of the policy is kept */

  path = g_strdup_printf ("/api/v1/partners/%" G_GINT64_FORMAT, a);
  g_assert_cmpuint (call (f, "PATCH", path, f->admin, "{\"enabled\":false}", NULL), ==, 200);
  one = embed_csp (f);
  g_assert_true (g_str_has_suffix (one, "frame-ancestors 'self' " ORIGIN_B));

  /* every other page stays frame-ancestors 'self' */
  g_free (path);
  path = g_strdup_printf ("/items/%s", f->items[0]);
  item_page = header (f, path, NULL, "Content-Security-Policy", NULL);
  g_assert_true (g_str_has_suffix (item_page, "frame-ancestors 'self'"));
}

static void
check_cors (Fixture *f, const char *path, const char *origin, gboolean granted)
{
  g_autofree char *headers = origin != NULL ? g_strdup_printf ("Origin: %s\r\n", origin) : NULL;
  g_autoptr (YgTestResponse) r = yg_test_request (f->ts->port, NULL, "GET", path, headers, NULL);
  g_autofree char *acao = yg_test_response_header (r, "Access-Control-Allow-Origin", 0);
  g_autofree char *acac = yg_test_response_header (r, "Access-Control-Allow-Credentials", 0);
  g_autofree char *vary = yg_test_response_header (r, "Vary", 0);

  g_test_message ("%s from %s", path, origin ? origin : "(no origin)");
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_nonnull (vary);
  g_assert_nonnull (strstr (vary, "Origin"));
  g_assert_null (acac);
  if (granted)
    g_assert_cmpstr (acao, ==, origin);
  else
    g_assert_null (acao);
}

static void
test_cors (Fixture *f, gconstpointer data)
{
  g_autofree char *hls = g_strdup_printf ("/hls/%s/master.m3u8", f->items[0]);
  g_autofree char *api = g_strdup_printf ("/api/v1/items/%s", f->items[0]);
  const char *paths[] = { hls, api, "/api/v1/items" };
  g_autofree char *partner_path = NULL;
  gint64 id;

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++) /* no partner yet: nobody is granted */
    check_cors (f, paths[i], ORIGIN_A, FALSE);
  id = add_partner (f, "{\"name\":\"A\",\"origins\":[\"" ORIGIN_A "\",\"" ORIGIN_B "\"]}", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      check_cors (f, paths[i], ORIGIN_A, TRUE);
      check_cors (f, paths[i], ORIGIN_B, TRUE);
      check_cors (f, paths[i], "https://evil.example", FALSE);
      check_cors (f, paths[i], "https://www.partner-a.example.evil.example", FALSE);
      check_cors (f, paths[i], "http://www.partner-a.example", FALSE); /* another scheme */
      check_cors (f, paths[i], "http://127.0.0.1:8088", FALSE);        /* another port */
      check_cors (f, paths[i], "null", FALSE);
      check_cors (f, paths[i], NULL, FALSE);
    }
  /* pages never get a grant; a disabled partner loses it */
  {
    g_autofree char *acao = header (f, "/", "Origin: " ORIGIN_A "\r\n",
                                    "Access-Control-Allow-Origin", NULL);
    g_assert_null (acao);
  }
  partner_path = g_strdup_printf ("/api/v1/partners/%" G_GINT64_FORMAT, id);
  g_assert_cmpuint (call (f, "PATCH", partner_path, f->admin, "{\"enabled\":false}", NULL), ==, 200);
  check_cors (f, hls, ORIGIN_A, FALSE);
}

/* --- embed tokens ---------------------------------------------------------------------------- */

static char *
mint (Fixture *f, const char *auth, const char *item_id, guint want)
{
  g_autofree char *body = g_strdup_printf ("{\"item\":\"%s\"}", item_id);
  g_autoptr (JsonNode) doc = NULL;

  g_assert_cmpuint (call (f, "POST", "/api/v1/embeds", auth, body, &doc), ==, want);
  if (want != 201)
    return NULL;
  g_assert_true (g_str_has_prefix (json_object_get_string_member (obj (doc), "embed_url"),
                                   "/embed/"));
  return g_strdup (json_object_get_string_member (obj (doc), "token"));
}

static guint
get_with_token (Fixture *f, const char *item_id, const char *token, JsonNode **doc)
{
  g_autofree char *esc = g_uri_escape_string (token, NULL, TRUE);
  g_autofree char *path = g_strdup_printf ("/api/v1/items/%s?embed=%s", item_id, esc);

  return call (f, "GET", path, NULL, NULL, doc);
}

static void
test_embed_tokens (Fixture *f, gconstpointer data)
{
  g_autofree char *auth = NULL, *auth_b = NULL, *token = NULL, *token_b = NULL;
  g_autofree char *tampered = NULL, *path = NULL, *partner_path = NULL;
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (YgTestResponse) r = NULL;
  const char *hls;
  gint64 id;

  id = add_partner (f, "{\"name\":\"A\",\"origins\":[\"" ORIGIN_A "\"]}", &auth);
  add_partner (f, "{\"name\":\"B\",\"origins\":[]}", &auth_b);

  path = g_strdup_printf ("/api/v1/items/%s", f->items[1]);
  g_assert_cmpuint (call (f, "GET", path, NULL, NULL, NULL), ==, 404); /* residents only */

  token = mint (f, auth, f->items[1], 201);
  g_assert_cmpuint (get_with_token (f, f->items[1], token, &doc), ==, 200);
  hls = json_object_get_string_member (obj (doc), "hls_url");
  g_assert_true (g_str_has_prefix (hls, "/hls/t/")); /* signed, works without a cookie */
  r = yg_test_request (f->ts->port, NULL, "GET", hls, NULL, NULL);
  g_assert_cmpuint (r->status, ==, 200);

  /* the token opens its item only, and only untampered */
  g_assert_cmpuint (get_with_token (f, f->items[0], token, NULL), ==, 200); /* public anyway */
  tampered = g_strdup (token);
  tampered[strlen (tampered) - 2] = tampered[strlen (tampered) - 2] == 'A' ? 'B' : 'A';
  g_assert_cmpuint (get_with_token (f, f->items[1], tampered, NULL), ==, 404);
  tampered[0] = tampered[0] == '9' ? '8' : '9'; /* another partner's number */
  g_assert_cmpuint (get_with_token (f, f->items[1], tampered, NULL), ==, 404);
  g_assert_cmpuint (get_with_token (f, f->items[1], "1.2.3.4", NULL), ==, 404);
  token_b = mint (f, auth_b, f->items[0], 201);
  g_assert_cmpuint (get_with_token (f, f->items[1], token_b, NULL), ==, 404); /* another item */

  /* never staff items; unknown items are the same 404; input checked */
  mint (f, auth, f->items[2], 404);
  mint (f, auth, "nosuchitem", 404);
  g_assert_cmpuint (call (f, "POST", "/api/v1/embeds", auth, "{\"item\":\"x\",\"partner\":2}", NULL),
                    ==, 400);
  g_assert_cmpuint (call (f, "POST", "/api/v1/embeds", auth, "{\"item\":\"x\",\"hours\":0}", NULL),
                    ==, 400);
  g_assert_cmpuint (call (f, "POST", "/api/v1/embeds", auth, "{\"hours\":1}", NULL), ==, 400);
  g_assert_cmpuint (call (f, "POST", "/api/v1/embeds", f->staff, "{\"item\":\"x\"}", NULL), ==, 403);

  /* a disabled partner's tokens stop working, and it cannot mint */
  partner_path = g_strdup_printf ("/api/v1/partners/%" G_GINT64_FORMAT, id);
  g_assert_cmpuint (call (f, "PATCH", partner_path, f->admin, "{\"enabled\":false}", NULL), ==, 200);
  g_assert_cmpuint (get_with_token (f, f->items[1], token, NULL), ==, 404);
  mint (f, auth, f->items[1], 403);
}

/* --- view attribution ------------------------------------------------------------------------ */

static void
post_events (Fixture *f, const char *origin, const char *viewer, const char *session,
             const char *item_id, const char *embed, const char *e1, double p1, double age1,
             const char *e2, double p2)
{
  g_autofree char *extra = embed != NULL ? g_strdup_printf (",\"embed\":\"%s\"", embed)
                                         : g_strdup ("");
  g_autofree char *body = g_strdup_printf (
      "[{\"viewer\":\"%s\",\"session\":\"%s\",\"item\":\"%s\",\"event\":\"%s\",\"position\":%g,"
      "\"age\":%g%s},{\"viewer\":\"%s\",\"session\":\"%s\",\"item\":\"%s\",\"event\":\"%s\","
      "\"position\":%g%s}]",
      viewer, session, item_id, e1, p1, age1, extra, viewer, session, item_id, e2, p2, extra);
  g_autofree char *headers = g_strdup_printf ("Content-Type: application/json\r\n%s%s%s",
                                              origin ? "Origin: " : "", origin ? origin : "",
                                              origin ? "\r\n" : "");
  g_autoptr (YgTestResponse) r
      = yg_test_request (f->ts->port, NULL, "POST", "/api/v1/heartbeats", headers, body);

  g_assert_cmpuint (r->status, ==, 202);
}

static void
check_partner_rows (Fixture *f, gint64 a, gint64 b)
{
  static const struct
  {
    int partner; /* 0 none, 1 A, 2 B */
    const char *label;
    gint64 views, viewers;
    double watch;
  } want[] = {
    { 1, "分馆甲", 1, 1, 30 }, { 0, "", 2, 2, 25 }, { 2, "分馆乙", 1, 1, 10 },
  };
  g_autoptr (JsonNode) doc = NULL;
  JsonArray *rows;

  g_assert_cmpuint (call (f, "GET", "/api/v1/analytics/partners", f->staff, NULL, &doc), ==, 200);
  rows = json_object_get_array_member (obj (doc), "rows");
  g_assert_nonnull (rows);
  g_assert_cmpuint (json_array_get_length (rows), ==, 3);
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      g_autofree char *key = want[i].partner == 0 ? g_strdup ("")
                             : g_strdup_printf ("%" G_GINT64_FORMAT, want[i].partner == 1 ? a : b);
      gboolean found = FALSE;

      for (guint k = 0; k < json_array_get_length (rows); k++)
        {
          JsonObject *row = json_array_get_object_element (rows, k);

          if (!g_str_equal (json_object_get_string_member (row, "key"), key))
            continue;
          found = TRUE;
          g_test_message ("partner row %s", key);
          if (want[i].partner != 0)
            g_assert_cmpstr (json_object_get_string_member (row, "label"), ==, want[i].label);
          g_assert_cmpint (json_object_get_int_member (row, "views"), ==, want[i].views);
          g_assert_cmpint (json_object_get_int_member (row, "unique_viewers"), ==, want[i].viewers);
          g_assert_cmpfloat_with_epsilon (json_object_get_double_member (row, "watch_hours") * 3600,
                                          want[i].watch, 0.5);
        }
      g_assert_true (found);
    }
}

static gpointer
compact (gpointer conn, gpointer data, GError **error)
{
  gint64 n = yg_analytics_compact (conn, g_get_real_time () / G_USEC_PER_SEC / 86400 + 1, error);

  return n >= 0 ? GINT_TO_POINTER (n + 1) : NULL;
}

static void
test_attribution (Fixture *f, gconstpointer data)
{
  g_autofree char *auth_a = NULL, *token = NULL, *forged = NULL;
  const char *id = f->items[0];
  gint64 a, b;

  a = add_partner (f, "{\"name\":\"分馆甲\",\"origins\":[\"" ORIGIN_A "\"]}", &auth_a);
  b = add_partner (f, "{\"name\":\"分馆乙\",\"origins\":[\"" ORIGIN_B "\"]}", NULL);
  token = mint (f, auth_a, id, 201);
  forged = g_strdup_printf ("%" G_GINT64_FORMAT "%s", b, strchr (token, '.'));

  /* A's embed (token, page on this server: no partner Origin): 30 s */
  post_events (f, NULL, "viewer-one-aaaaaaaaa", "session-1", id, token, "start", 0, 30, "tick", 30);
  /* B's own page with hls.js, from its allowed origin: 10 s */
  post_events (f, ORIGIN_B, "viewer-two-aaaaaaaaa", "session-2", id, NULL, "start", 0, 10, "end",
               10);
  /* nobody's: 20 s; a forged token (A's MAC under B's number) and an unlisted origin: 5 s */
  post_events (f, NULL, "viewer-three-aaaaaaa", "session-3", id, NULL, "start", 0, 20, "pause", 20);
  post_events (f, "https://evil.example", "viewer-four-aaaaaaaa", "session-4", id, forged, "start",
               0, 5, "tick", 5);
  for (guint i = 0; i < 100 && yg_test_server_number (f->ts, "SELECT count (*) FROM heartbeats") < 8;
       i++)
    g_usleep (50000);
  g_assert_cmpint (yg_test_server_number (f->ts, "SELECT count (*) FROM heartbeats"), ==, 8);
  check_partner_rows (f, a, b);

  /* the same answers from the daily rows once the raw events are folded */
  g_assert_nonnull (yg_test_server_db_sync (f->ts, compact, NULL));
  g_assert_cmpint (yg_test_server_number (f->ts, "SELECT count (*) FROM heartbeats"), ==, 0);
  check_partner_rows (f, a, b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Partner centres: admin API, frame-ancestors, CORS, embed tokens, attribution");
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/partners/admin", test_admin);
  ADD ("/partners/admin/invalid", test_admin_invalid);
  ADD ("/partners/frame-ancestors", test_frame_ancestors);
  ADD ("/partners/cors", test_cors);
  ADD ("/partners/embed-tokens", test_embed_tokens);
  ADD ("/partners/attribution", test_attribution);
  return g_test_run ();
}

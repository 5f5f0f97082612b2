/* wechat-test.c: WeChat JS-SDK signatures over real HTTP, against a fake
 * WeChat API (a libsoup server on loopback) that counts its fetches.
 *
 * Covered: the signature algorithm on the example published in WeChat's
 * JS-SDK documentation (and the fragment left out of the URL); the
 * endpoint's answer verifies with the ticket the fake handed out; the
 * access_token and jsapi_ticket are fetched once and cached across requests,
 * and fetched again once they are within the refresh margin of expiring;
 * a ticket refused for an invalid token makes one new token; a refusing
 * WeChat gives 502 and is not asked again at once; URLs of other hosts and
 * missing URLs are 400; without an app id the endpoint is 404. Suite: http.
 */
#include <json-glib/json-glib.h>

#include "yg-routes.h"
#include "yg-test-server.h"
#include "yg-wechat.h"

/* --- the fake WeChat API ---------------------------------------------------------------------- */

typedef struct
{
  gint tokens;          /* fetches (atomic) */
  gint tickets;
  gint expires_in;      /* what it answers */
  gint invalid_tickets; /* answer this many ticket requests with errcode 40001 */
  gboolean refuse_token;
} Fake;

static void
fake_handler (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
              gpointer data)
{
  Fake *fake = data;
  g_autofree char *body = NULL;

  soup_server_message_set_status (msg, 200, NULL);
  if (g_str_equal (path, "/cgi-bin/token"))
    {
      gint n = g_atomic_int_add (&fake->tokens, 1) + 1;

      g_assert_cmpstr (g_hash_table_lookup (query, "appid"), ==, "wx5b7c682cca621df2");
      g_assert_cmpstr (g_hash_table_lookup (query, "secret"), ==, "s3cr3t&x");
      g_assert_cmpstr (g_hash_table_lookup (query, "grant_type"), ==, "client_credential");
      body = fake->refuse_token
                 ? g_strdup ("{\"errcode\":40013,\"errmsg\":\"invalid appid\"}")
                 : g_strdup_printf ("{\"access_token\":\"TOKEN-%d\",\"expires_in\":%d}", n,
                                    fake->expires_in);
    }
  else if (g_str_equal (path, "/cgi-bin/ticket/getticket"))
    {
      gint n = g_atomic_int_add (&fake->tickets, 1) + 1;

      g_assert_cmpstr (g_hash_table_lookup (query, "type"), ==, "jsapi");
      g_assert_true (g_str_has_prefix (g_hash_table_lookup (query, "access_token"), "TOKEN-"));
      if (fake->invalid_tickets > 0)
        {
          fake->invalid_tickets--;
          body = g_strdup ("{\"errcode\":40001,\"errmsg\":\"invalid credential\"}");
        }
      else
        body = g_strdup_printf ("{\"errcode\":0,\"errmsg\":\"ok\",\"ticket\":\"TICKET-%d\","
                                "\"expires_in\":%d}",
                                n, fake->expires_in);
    }
  else
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  {
    gsize len = strlen (body);
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                      g_steal_pointer (&body), len);
  }
}

/* --- fixture --------------------------------------------------------------------------------------- */

typedef struct
{
  Fake fake;
  YgTestFake *wechat;
  YgTestServer *ts;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  YgConfig *config = yg_config_new ();

  f->fake.expires_in = data != NULL ? GPOINTER_TO_INT (data) : 7200;
  f->wechat = yg_test_fake_start (fake_handler, &f->fake);

  g_free (config->wechat_app_id);
  g_free (config->wechat_app_secret);
  g_free (config->wechat_api_url);
  config->wechat_app_id = g_strdup ("wx5b7c682cca621df2");
  config->wechat_app_secret = g_strdup ("s3cr3t&x"); /* escaped in the query */
  config->wechat_api_url = g_strdup_printf ("http://127.0.0.1:%u", yg_test_fake_port (f->wechat));
  f->ts = yg_test_server_start (config, yg_routes, yg_n_routes);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  yg_test_server_stop (f->ts);
  yg_test_fake_stop (f->wechat);
}

/* GET the signature of @page (on the test server's Host "t"). */
static guint
sign (Fixture *f, const char *page, JsonNode **doc)
{
  g_autofree char *esc = g_uri_escape_string (page, NULL, TRUE);
  g_autofree char *path = g_strdup_printf ("/api/v1/wechat/signature?url=%s", esc);

  return yg_test_call (f->ts->port, NULL, "GET", path, NULL, NULL, doc);
}

/* The answer's signature is sha1 over the fake's ticket @n, its nonce, timestamp and @page. */
static void
check_signed (JsonNode *doc, const char *page, gint n)
{
  JsonObject *o = json_node_get_object (doc);
  g_autofree char *ticket = g_strdup_printf ("TICKET-%d", n);
  g_autofree char *want = yg_wechat_signature (ticket, json_object_get_string_member (o, "nonce_str"),
                                               json_object_get_int_member (o, "timestamp"), page);

  g_assert_cmpstr (json_object_get_string_member (o, "app_id"), ==, "wx5b7c682cca621df2");
  g_assert_cmpstr (json_object_get_string_member (o, "signature"), ==, want);
  g_assert_cmpuint (strlen (json_object_get_string_member (o, "nonce_str")), ==, 16);
}

/* --- tests ------------------------------------------------------------------------------------------ */

static void
test_official_example (void)
{
  /* WeChat JS-SDK documentation, appendix 1 (签名算法), its example */
  const char *ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";
  g_autofree char *a = yg_wechat_signature (ticket, "Wm3WZYTPz0wzccnW", 1414587457,
                                            "http://mp.weixin.qq.com");
  g_autofree char *b = yg_wechat_signature (ticket, "Wm3WZYTPz0wzccnW", 1414587457,
                                            "http://mp.weixin.qq.com#fragment?x=1");
  g_autofree char *c = yg_wechat_signature (ticket, "Wm3WZYTPz0wzccnW", 1414587457,
                                            "http://mp.weixin.qq.com?params=value");

  g_assert_cmpstr (a, ==, "f4d90daf4b3bca3078ab155816175ba34c443a7b");
  g_assert_cmpstr (b, ==, a); /* the fragment is not signed */
  g_assert_cmpstr (c, ==, "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
}

static void
test_cached (Fixture *f, gconstpointer data)
{
  const char *pages[] = { "http://t/items/abc", "http://t/courses/5?lesson=x", "http://t/" };

  for (guint round = 0; round < 3; round++)
    for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
      {
        g_autoptr (JsonNode) doc = NULL;

        g_assert_cmpuint (sign (f, pages[i], &doc), ==, 200);
        check_signed (doc, pages[i], 1);
      }
  {
    g_autoptr (JsonNode) doc = NULL;
    g_assert_cmpuint (sign (f, "http://t/items/abc#share", &doc), ==, 200);
    check_signed (doc, "http://t/items/abc", 1);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (doc), "url"), ==,
                     "http://t/items/abc");
  }
  g_assert_cmpint (g_atomic_int_get (&f->fake.tokens), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&f->fake.tickets), ==, 1);

  g_assert_cmpuint (sign (f, "http://evil.example/items/abc", NULL), ==, 400);
  g_assert_cmpuint (sign (f, "javascript:alert(1)", NULL), ==, 400);
  g_assert_cmpuint (yg_test_call (f->ts->port, NULL, "GET", "/api/v1/wechat/signature", NULL, NULL,
                                  NULL),
                    ==, 400);
}

static void
test_refresh_before_expiry (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonNode) first = NULL, second = NULL, third = NULL;

  /* expires_in is the margin + 2 s: cached for two seconds, renewed after */
  g_assert_cmpuint (sign (f, "http://t/", &first), ==, 200);
  check_signed (first, "http://t/", 1);
  g_assert_cmpuint (sign (f, "http://t/", &second), ==, 200);
  check_signed (second, "http://t/", 1);
  g_assert_cmpint (g_atomic_int_get (&f->fake.tickets), ==, 1);
  g_usleep (2100 * 1000);
  g_assert_cmpuint (sign (f, "http://t/", &third), ==, 200);
  check_signed (third, "http://t/", 2);
  g_assert_cmpint (g_atomic_int_get (&f->fake.tokens), ==, 2);
  g_assert_cmpint (g_atomic_int_get (&f->fake.tickets), ==, 2);
}

static void
test_invalid_token (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonNode) doc = NULL;

  f->fake.invalid_tickets = 1;
  g_assert_cmpuint (sign (f, "http://t/", &doc), ==, 200);
  check_signed (doc, "http://t/", 2);
  g_assert_cmpint (g_atomic_int_get (&f->fake.tokens), ==, 2);
  g_assert_cmpint (g_atomic_int_get (&f->fake.tickets), ==, 2);
}

static void
test_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonNode) doc = NULL;

  f->fake.refuse_token = TRUE;
  g_assert_cmpuint (sign (f, "http://t/", &doc), ==, 502);
  g_assert_nonnull (strstr (json_object_get_string_member (
                                json_object_get_object_member (json_node_get_object (doc), "error"),
                                "message"),
                            "errcode 40013"));
  g_assert_cmpuint (sign (f, "http://t/", NULL), ==, 502);
  g_assert_cmpint (g_atomic_int_get (&f->fake.tokens), ==, 1); /* not asked again at once */
  g_assert_cmpint (g_atomic_int_get (&f->fake.tickets), ==, 0);
}

static void
test_not_configured (void)
{
  YgTestServer *ts = yg_test_server_start (yg_config_new (), yg_routes, yg_n_routes);
  g_autoptr (JsonNode) doc = NULL;

  g_assert_cmpuint (yg_test_call (ts->port, NULL, "GET", "/api/v1/wechat/signature?url=http%3A%2F%2Ft%2F",
                                  NULL, NULL, &doc),
                    ==, 404);
  yg_test_server_stop (ts);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("WeChat JS-SDK signatures, the token and ticket cache, against a fake WeChat");
  g_test_add_func ("/wechat/official-example", test_official_example);
  g_test_add_func ("/wechat/not-configured", test_not_configured);
  g_test_add ("/wechat/cached", Fixture, NULL, fixture_setup, test_cached, fixture_teardown);
  g_test_add ("/wechat/refresh-before-expiry", Fixture,
              GINT_TO_POINTER (YG_WECHAT_REFRESH_MARGIN + 2), fixture_setup,
              test_refresh_before_expiry, fixture_teardown);
  g_test_add ("/wechat/invalid-token", Fixture, NULL, fixture_setup, test_invalid_token,
              fixture_teardown);
  g_test_add ("/wechat/refused", Fixture, NULL, fixture_setup, test_refused, fixture_teardown);
  return g_test_run ();
}

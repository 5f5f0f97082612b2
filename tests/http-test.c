/* http-test.c: the HTTP core against a real server over loopback sockets.
 *
 * Covers the route table (start-up refused without an auth class, 404/405
 * JSON, malformed paths), the limits enforced by the project's listener
 * (431 for oversized heads, 413 for oversized bodies with Content-Length and
 * chunked, the connection cap, the request-head deadline against a client
 * that sends one byte per second while another client is served), bearer
 * authentication by class, /healthz, /metrics and the OpenAPI document
 * matching the router. Suite: http.
 */
#include <json-glib/json-glib.h>

#include "yg-item-store.h"
#include "yg-routes.h"
#include "yg-secret.h"
#include "yg-test-server.h"

typedef struct
{
  YgTestServer *ts;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->ts = yg_test_server_start (NULL, yg_routes, yg_n_routes);
}

static void
fixture_setup_small (Fixture *f, gconstpointer data)
{
  YgConfig *config = yg_config_new ();

  config->max_connections = 3;
  config->header_timeout = 2;
  config->idle_timeout = 5;
  f->ts = yg_test_server_start (config, yg_routes, yg_n_routes);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  yg_test_server_stop (f->ts);
}

static JsonNode *
body_json (const char *response)
{
  const char *body = strstr (response, "\r\n\r\n");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (body);
  json_parser_load_from_data (parser, body + 4, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static void
assert_error_body (const char *response, const char *code)
{
  g_autoptr (JsonNode) root = body_json (response);
  JsonObject *err = json_object_get_object_member (json_node_get_object (root), "error");

  g_assert_nonnull (err);
  g_assert_cmpstr (json_object_get_string_member (err, "code"), ==, code);
  g_assert_cmpuint (strlen (json_object_get_string_member (err, "message")), >, 5);
}

static char *
get (Fixture *f, const char *path, const char *token, guint *status)
{
  g_autofree char *auth = token ? g_strdup_printf ("Authorization: Bearer %s\r\n", token) : g_strdup ("");
  g_autofree char *req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n",
                                          path, auth);
  return yg_test_http (f->ts->port, req, status);
}

/* ---------------------------------------------------------------------------------- */

static void
dummy_handler (YgServer *server, YgRequest *req)
{
}

static void
test_routes_refuse_unset_auth (void)
{
  static const YgRoute bad[] = {
    { "GET", "/ok", YG_AUTH_PUBLIC, dummy_handler, 0 },
    { "GET", "/forgot", YG_AUTH_UNSET, dummy_handler, 0 },
  };
  static const YgRoute dup[] = {
    { "GET", "/a/{id}", YG_AUTH_PUBLIC, dummy_handler, 0 },
    { "GET", "/a/{id}", YG_AUTH_STAFF, dummy_handler, 0 },
  };
  g_autoptr (YgConfig) config = yg_config_new ();
  g_autofree char *dir = yg_test_make_tmpdir ();
  g_autoptr (GError) error = NULL;
  YgServer *server;

  g_free (config->data_dir);
  config->data_dir = g_strdup (dir);
  server = yg_server_new (config, bad, G_N_ELEMENTS (bad), &error);
  g_assert_null (server);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "/forgot"));
  g_assert_nonnull (strstr (error->message, "auth"));
  g_clear_error (&error);

  server = yg_server_new (config, dup, G_N_ELEMENTS (dup), &error);
  g_assert_null (server);
  g_assert_nonnull (strstr (error->message, "twice"));
  yg_test_rm_rf (dir);
}

static void
test_unknown_route (Fixture *f, gconstpointer data)
{
  guint status;
  g_autofree char *r = get (f, "/no/such/thing", NULL, &status);

  g_assert_cmpuint (status, ==, 404);
  g_assert_nonnull (strcasestr (r, "Content-Type: application/json"));
  g_assert_nonnull (strcasestr (r, "X-Request-Id: "));
  assert_error_body (r, "not_found");
}

static void
test_method_not_allowed (Fixture *f, gconstpointer data)
{
  guint status;
  g_autofree char *r = yg_test_http (
    f->ts->port, "DELETE /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &status);

  g_assert_cmpuint (status, ==, 405);
  g_assert_nonnull (strstr (r, "Allow: GET, HEAD"));
  assert_error_body (r, "method_not_allowed");
}

static void
test_bad_paths (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *path;
    guint status;
  } cases[] = {
    /* Literal dot segments are removed by URI parsing (RFC 3986 5.2.4) before
     * routing, so they can only ever name another route: 404 here. */
    { "/api/v1/items/..", 404 },
    { "/api/v1/items/%2e%2e", 404 }, /* %2e is unreserved: normalised the same way */
    { "/api/v1/items/%2E%2E", 404 },
    { "/api/v1/items/%ff", 400 },
    { "/api/v1/items/a%0ab", 400 },
    { "/api/v1/items/a%2fb", 400 },
    { "/api/v1/items/a%5cb", 400 },
    { "/api/v1/items/a%00b", 400 },
    { "/api/v1/items/%zz", 400 },
    { "/api/v1/items/%c0%ae%c0%ae", 400 }, /* overlong UTF-8 dots */
    { "/api/v1/items/%2", 400 },
    { "/api/v1/items/..;", 404 },
    { "/api/v1/items/a/../../etc/passwd", 404 },
    { "/api/v1/items/", 404 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint status;
      g_autofree char *r = get (f, cases[i].path, NULL, &status);
      g_test_message ("%s → %u", cases[i].path, status);
      g_assert_cmpuint (status, ==, cases[i].status);
      /* A request target that is not a valid URI at all (%zz, %2) is refused
       * by libsoup's parser with a bare 400 before any handler runs. */
      if (!g_str_has_suffix (r, "\r\n\r\n"))
        assert_error_body (r, cases[i].status == 400 ? "bad_request" : "not_found");
    }
}

static void
test_headers_too_large (Fixture *f, gconstpointer data)
{
  g_autofree char *big = g_strnfill (20000, 'a');
  g_autofree char *req = g_strdup_printf ("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: %s\r\n\r\n", big);
  guint status;
  g_autofree char *r = yg_test_http (f->ts->port, req, &status);

  g_assert_cmpuint (status, ==, 431);
  assert_error_body (r, "headers_too_large");
}

static void
test_body_too_large (Fixture *f, gconstpointer data)
{
  guint status;
  g_autofree char *r = NULL;
  g_autoptr (GSocketConnection) conn = NULL;
  GOutputStream *out;
  g_autofree char *chunk = g_strnfill (64 * 1024, 'x');
  g_autofree char *chunk_head = g_strdup_printf ("%x\r\n", 64 * 1024);

  /* Declared length over the limit: refused before any body byte is sent. */
  r = yg_test_http (f->ts->port,
                    "POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                    "Content-Length: 5000000000\r\n\r\n",
                    &status);
  g_assert_cmpuint (status, ==, 413);
  assert_error_body (r, "payload_too_large");
  g_clear_pointer (&r, g_free);

  /* Chunked body that grows past the limit. */
  conn = yg_test_connect (f->ts->port);
  out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  g_output_stream_write_all (out,
                             "POST /healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
                             strlen ("POST /healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"),
                             NULL, NULL, NULL);
  for (int i = 0; i < 17; i++) /* 17 × 64 KiB > 1 MiB */
    {
      if (!g_output_stream_write_all (out, chunk_head, strlen (chunk_head), NULL, NULL, NULL)
          || !g_output_stream_write_all (out, chunk, 64 * 1024, NULL, NULL, NULL)
          || !g_output_stream_write_all (out, "\r\n", 2, NULL, NULL, NULL))
        break;
    }
  r = yg_test_read_response (conn, &status);
  g_assert_cmpuint (status, ==, 413);
}

static void
test_connection_cap (Fixture *f, gconstpointer data)
{
  GSocketConnection *held[3];
  guint status;
  g_autofree char *r = NULL;

  /* The cap is 3: three open connections, then a fourth is refused. */
  for (int i = 0; i < 3; i++)
    held[i] = yg_test_connect (f->ts->port);
  g_usleep (300 * 1000);
  r = get (f, "/healthz", NULL, &status);
  g_assert_cmpuint (status, ==, 503);
  assert_error_body (r, "too_many_connections");
  g_clear_pointer (&r, g_free);

  /* Free one slot: service resumes. */
  g_io_stream_close (G_IO_STREAM (held[0]), NULL, NULL);
  g_object_unref (held[0]);
  for (int attempt = 0; attempt < 20; attempt++)
    {
      g_clear_pointer (&r, g_free);
      r = get (f, "/healthz", NULL, &status);
      if (status == 200)
        break;
      g_usleep (100 * 1000);
    }
  g_assert_cmpuint (status, ==, 200);
  for (int i = 1; i < 3; i++)
    g_object_unref (held[i]);
}

typedef struct
{
  guint16 port;
  gboolean cut_off;
  guint sent;
} SlowClient;

static gpointer
slow_client (gpointer data)
{
  SlowClient *sc = data;
  g_autoptr (GSocketConnection) conn = yg_test_connect (sc->port);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  const char *req = "GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n\r\n";
  GSocket *sock = g_socket_connection_get_socket (conn);

  g_socket_set_blocking (sock, FALSE);
  for (sc->sent = 0; req[sc->sent] != '\0' && sc->sent < 10; sc->sent++)
    {
      char buf[64];
      gssize n;
      GError *error = NULL;
      if (!g_output_stream_write_all (out, req + sc->sent, 1, NULL, NULL, NULL))
        {
          sc->cut_off = TRUE;
          return NULL;
        }
      g_usleep (G_USEC_PER_SEC);
      n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (in), buf, sizeof buf,
                                                    NULL, &error);
      if (n == 0 || (n < 0 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
        {
          g_clear_error (&error);
          sc->cut_off = TRUE;
          return NULL;
        }
      g_clear_error (&error);
    }
  return NULL;
}

static void
test_header_timeout (Fixture *f, gconstpointer data)
{
  SlowClient sc = { f->ts->port, FALSE, 0 };
  GThread *t = g_thread_new ("slow", slow_client, &sc);
  guint status;

  /* While the slow client dribbles, another client is served promptly. */
  g_usleep (500 * 1000);
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *r = get (f, "/healthz", NULL, &status);
      g_assert_cmpuint (status, ==, 200);
    }
  g_thread_join (t);
  /* header-timeout is 2 s: the slow client is cut off after ~2-3 bytes, long
   * before it could send its ten. */
  g_assert_true (sc.cut_off);
  g_assert_cmpuint (sc.sent, <, 6);
}

static void
test_idle_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketConnection) conn = yg_test_connect (f->ts->port);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  const char *head = "POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     "Content-Length: 100\r\n\r\n{\"a\":";
  gint64 start = g_get_monotonic_time ();
  guint status;
  g_autofree char *r = NULL;

  /* The head is complete, the body stalls: idle-timeout (5 s here) closes it.
   * The read below returns when the server closes; the bound only keeps a
   * broken server from hanging the test. */
  g_assert_true (g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL));
  g_socket_set_timeout (g_socket_connection_get_socket (conn), 30);
  r = yg_test_read_response (conn, &status);
  g_assert_true (g_get_monotonic_time () - start < 30 * G_USEC_PER_SEC);
  g_assert_cmpuint (status, !=, 200);
}

static void
test_keepalive (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketConnection) conn = yg_test_connect (f->ts->port);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  const char *req = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";

  for (int i = 0; i < 3; i++)
    {
      guint status;
      g_autofree char *r = NULL;
      g_assert_true (g_output_stream_write_all (out, req, strlen (req), NULL, NULL, NULL));
      r = yg_test_read_response (conn, &status);
      g_assert_cmpuint (status, ==, 200);
      g_assert_null (strcasestr (r, "Connection: close"));
    }
}

/* A kept-alive connection gets header-timeout (2 s here) for its next
 * request head, counted from the end of the previous response: a request
 * after 1 s is served, then silence closes the connection. */
static void
test_keepalive_idle (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketConnection) conn = yg_test_connect (f->ts->port);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  const char *req = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
  gint64 start;
  char byte;
  gssize n;

  for (int i = 0; i < 2; i++)
    {
      guint status;
      g_autofree char *r = NULL;
      if (i > 0)
        g_usleep (G_USEC_PER_SEC);
      g_assert_true (g_output_stream_write_all (out, req, strlen (req), NULL, NULL, NULL));
      r = yg_test_read_response (conn, &status);
      g_assert_cmpuint (status, ==, 200);
    }
  start = g_get_monotonic_time ();
  g_socket_set_timeout (g_socket_connection_get_socket (conn), 20);
  n = g_input_stream_read (in, &byte, 1, NULL, NULL);
  g_assert_cmpint (n, <=, 0); /* closed by the server, not a timeout of ours */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  g_assert_cmpint (g_get_monotonic_time () - start, >, 1 * G_USEC_PER_SEC);
}

/* A bounded body trickled at a byte a second is never idle, but it must
 * arrive within header-timeout + idle-timeout (+ length at 8 KiB/s): 7 s
 * here, long before its 100 bytes are in. */
static void
test_body_deadline (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketConnection) conn = yg_test_connect (f->ts->port);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  const char *head = "POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     "Content-Length: 100\r\n\r\n";
  gint64 start = g_get_monotonic_time ();
  guint sent = 0;

  g_assert_true (g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL));
  while (sent < 100 && g_get_monotonic_time () - start < 30 * G_USEC_PER_SEC)
    {
      GError *error = NULL;
      if (g_output_stream_write (out, "a", 1, NULL, &error) != 1)
        {
          g_clear_error (&error);
          break;
        }
      sent++;
      g_usleep (G_USEC_PER_SEC);
    }
  g_test_message ("cut off after %u body bytes, %.1f s", sent,
                  (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpuint (sent, <, 15);
}

static void
test_auth_classes (Fixture *f, gconstpointer data)
{
  g_autofree char *staff = yg_test_server_token (f->ts, "staff");
  g_autofree char *partner = yg_test_server_token (f->ts, "partner");
  g_autofree char *admin = yg_test_server_token (f->ts, "admin");
  static const char *const paths[] = { "/metrics", "/api/v1/me" };
  guint status;

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *r1 = get (f, paths[i], NULL, &status);
      g_assert_cmpuint (status, ==, 401);
      g_assert_nonnull (strstr (r1, "WWW-Authenticate: Bearer"));
      assert_error_body (r1, "unauthorized");
      g_autofree char *r2 = get (f, paths[i], "ygs_not-a-real-token", &status);
      g_assert_cmpuint (status, ==, 401);
      g_autofree char *r3 = get (f, paths[i], partner, &status);
      g_assert_cmpuint (status, ==, 403);
      assert_error_body (r3, "forbidden");
      g_autofree char *r4 = get (f, paths[i], staff, &status);
      g_assert_cmpuint (status, ==, 200);
      g_autofree char *r5 = get (f, paths[i], admin, &status);
      g_assert_cmpuint (status, ==, 200);
    }
  {
    g_autofree char *req = g_strdup ("GET /api/v1/me HTTP/1.1\r\nHost: t\r\nAuthorization: Basic "
                                     "YTpi\r\nConnection: close\r\n\r\n");
    g_autofree char *r = yg_test_http (f->ts->port, req, &status);
    g_assert_cmpuint (status, ==, 401);
  }
}

static void
test_healthz_and_metrics (Fixture *f, gconstpointer data)
{
  g_autofree char *staff = yg_test_server_token (f->ts, "staff");
  guint status;
  g_autofree char *h = get (f, "/healthz", NULL, &status);
  g_autoptr (JsonNode) root = body_json (h);
  g_autofree char *m = NULL;

  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "status"), ==, "ok");
  g_free (get (f, "/nowhere", NULL, &status));
  m = get (f, "/metrics", staff, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (m, "text/plain; version=0.0.4"));
  g_assert_nonnull (strstr (m, "yunguan_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"));
  g_assert_nonnull (strstr (m, "yunguan_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1"));
  g_assert_nonnull (strstr (m, "yunguan_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 1"));
  g_assert_nonnull (strstr (m, "yunguan_jobs{state=\"queued\"} 0"));
  g_assert_nonnull (strstr (m, "yunguan_http_connections "));
  g_assert_nonnull (strstr (m, "yunguan_workers 0"));
  g_assert_nonnull (strstr (m, "yunguan_uploads{state=\"receiving\"} 0"));
}

static void
test_openapi_matches_router (Fixture *f, gconstpointer data)
{
  guint status;
  g_autofree char *r = get (f, "/api/v1/openapi.yaml", NULL, &status);
  g_autofree char *doc = NULL;
  g_auto (GStrv) lines = NULL;
  guint documented = 0;

  g_assert_cmpuint (status, ==, 200);
  doc = g_strdup (strstr (r, "\r\n\r\n") + 4);
  /* Every route appears as "  <pattern>:" followed by "    <method>:" and its x-auth. */
  for (gsize i = 0; i < yg_n_routes; i++)
    {
      g_autofree char *path_line = g_strdup_printf ("\n  %s:\n", yg_routes[i].pattern);
      g_autofree char *method = g_ascii_strdown (yg_routes[i].method, -1);
      g_autofree char *op = g_strdup_printf ("    %s:\n      x-auth: %s\n", method,
                                             yg_auth_class_to_string (yg_routes[i].auth));
      const char *at = strstr (doc, path_line);
      const char *next;
      g_test_message ("route %s %s", yg_routes[i].method, yg_routes[i].pattern);
      g_assert_nonnull (at);
      at += strlen (path_line) - 1;
      next = strstr (at, "\n  /");
      g_assert_nonnull (g_strstr_len (at, next ? next - at : -1, op));
    }
  /* ...and the document has no path the router lacks. */
  lines = g_strsplit (strstr (doc, "\npaths:\n"), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "  /"))
      {
        gboolean known = FALSE;
        documented++;
        for (gsize j = 0; j < yg_n_routes; j++)
          {
            g_autofree char *want = g_strdup_printf ("  %s:", yg_routes[j].pattern);
            known |= g_str_equal (lines[i], want);
          }
        g_assert_true (known);
      }
  g_assert_cmpuint (documented, >, 0);
}

typedef struct
{
  char *id;
  gboolean failed;
} ItemSeed;

static gpointer
seed_item (gpointer conn, gpointer data, GError **error)
{
  ItemSeed *seed = data;
  g_autofree char *id = yg_item_store_insert (conn, NULL, "heritage", "昆曲《牡丹亭》选段", "", error);
  if (id == NULL)
    return NULL;
  if (seed->failed)
    {
      sqlite3_stmt *s = yg_db_conn_prepare (conn,
                                            "UPDATE items SET status='failed', error_code="
                                            "'unsupported_format', error_message='Not a video' "
                                            "WHERE id=?1",
                                            error);
      sqlite3_bind_text (s, 1, id, -1, SQLITE_STATIC);
      if (!yg_db_conn_step_done (conn, s, error))
        return NULL;
    }
  seed->id = g_steal_pointer (&id);
  return seed;
}

static void
test_item_json (Fixture *f, gconstpointer data)
{
  ItemSeed seed = { NULL, FALSE }, failed = { NULL, TRUE };
  g_autofree char *path = NULL, *path2 = NULL, *r = NULL, *r2 = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) root2 = NULL;
  JsonObject *o;
  guint status;

  yg_test_server_db_sync (f->ts, seed_item, &seed);
  yg_test_server_db_sync (f->ts, seed_item, &failed);
  path = g_strdup_printf ("/api/v1/items/%s", seed.id);
  r = get (f, path, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  root = body_json (r);
  o = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (o, "id"), ==, seed.id);
  g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, "heritage");
  g_assert_cmpstr (json_object_get_string_member (o, "title"), ==, "昆曲《牡丹亭》选段");
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "processing");
  g_assert_false (json_object_get_boolean_member (o, "playable"));
  g_assert_true (json_object_get_null_member (o, "hls_url"));
  g_assert_true (json_object_get_null_member (o, "error"));
  g_assert_true (json_object_get_null_member (o, "duration"));
  g_assert_true (g_str_has_suffix (json_object_get_string_member (o, "page_url"), seed.id));
  g_assert_true (g_str_has_suffix (json_object_get_string_member (o, "embed_url"), seed.id));
  g_assert_true (json_object_has_member (o, "poster_url"));

  path2 = g_strdup_printf ("/api/v1/items/%s", failed.id);
  r2 = get (f, path2, NULL, &status);
  root2 = body_json (r2);
  o = json_object_get_object_member (json_node_get_object (root2), "error");
  g_assert_cmpstr (json_object_get_string_member (o, "code"), ==, "unsupported_format");

  g_free (r);
  r = get (f, "/api/v1/items/doesnotexist0000", NULL, &status);
  g_assert_cmpuint (status, ==, 404);
  assert_error_body (r, "not_found");
  g_free (seed.id);
  g_free (failed.id);
}

/* Every portal page is the fixed HTML file with the CSP; only the embed may be
 * framed by other origins. */
static void
test_web_pages_csp (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *path;
    const char *marker; /* the page's own script */
  } pages[] = {
    { "/", "/static/home.js" },
    { "/items/x", "/static/item.js" },
    { "/browse", "/static/browse.js" },
    { "/search", "/static/search.js" },
    { "/courses/1", "/static/course.js" },
    { "/signin", "/static/account.js" },
    { "/register", "/static/account.js" },
    /* without partners nobody else may frame the embed (partners-test.c) */
    { "/embed/x", "/static/embed.js" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      guint status = 0;
      g_autofree char *r = get (f, pages[i].path, NULL, &status);
      g_autofree char *lower = g_ascii_strdown (r, -1);
      const char *csp = strstr (lower, "\r\ncontent-security-policy: ");
      g_autofree char *line = NULL;

      g_test_message ("%s", pages[i].path);
      g_assert_cmpuint (status, ==, 200);
      g_assert_nonnull (strstr (r, pages[i].marker));
      g_assert_nonnull (csp);
      line = g_strndup (csp + 2, strcspn (csp + 2, "\r"));
      g_assert_nonnull (strstr (line, "script-src 'self';"));
      g_assert_null (strstr (line, "unsafe-inline"));
      g_assert_nonnull (strstr (line, "frame-ancestors 'self'"));
      g_assert_null (strstr (line, "frame-ancestors *"));
      g_assert_nonnull (strstr (lower, "\r\nx-content-type-options: nosniff"));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("HTTP core: routing, limits, timeouts, auth classes, health, metrics");
  yg_secret_init ();

  g_test_add_func ("/http/routes/refuse-unset-auth", test_routes_refuse_unset_auth);
#define ADD(path, fn) g_test_add ("/http/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
#define ADD_SMALL(path, fn) \
  g_test_add ("/http/" path, Fixture, NULL, fixture_setup_small, fn, fixture_teardown)
  ADD ("routes/unknown-404-json", test_unknown_route);
  ADD ("routes/method-405", test_method_not_allowed);
  ADD ("routes/bad-paths", test_bad_paths);
  ADD ("limits/headers-431", test_headers_too_large);
  ADD ("limits/body-413", test_body_too_large);
  ADD_SMALL ("limits/connection-cap", test_connection_cap);
  ADD_SMALL ("limits/header-timeout", test_header_timeout);
  ADD_SMALL ("limits/idle-timeout", test_idle_timeout);
  ADD_SMALL ("limits/keepalive-idle", test_keepalive_idle);
  ADD_SMALL ("limits/body-deadline", test_body_deadline);
  ADD ("keepalive", test_keepalive);
  ADD ("auth/classes", test_auth_classes);
  ADD ("health-and-metrics", test_healthz_and_metrics);
  ADD ("openapi/matches-router", test_openapi_matches_router);
  ADD ("items/json", test_item_json);
  ADD ("web/pages-csp", test_web_pages_csp);
  return g_test_run ();
}

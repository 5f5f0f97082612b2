/* demand-test.c: residents' requests (点单/点将), supporters, the threshold,
 * staff answers, webhook notifications and ratings (评单) over real HTTP
 * against a real catalogue.
 *
 * Covered: a request's creation with a roster lecturer and its similar
 * requests; refused bodies (400 naming the field) and tokens (403); one
 * support per resident, idempotent both ways; the threshold crossed exactly
 * once by 29 supports sent at the same time (one notification queued and
 * delivered once); the answer flow (scheduled with a date and an item, seen
 * by supporters; a second answer and late supports are 409; declined needs
 * a reason); list filters and paging; the awaiting-answer count; webhook
 * retries against a local libsoup server that fails the first two
 * deliveries, and a delivery that failed before a restart made by the next
 * `yunguan serve` process; rating rules (1–5, one per resident and target, PUT replaces,
 * hidden ratings out of the summary and the list except for their author,
 * scheduled requests only); the lecturer roster's create, change, list and
 * delete (a request naming a deleted lecturer keeps a null one). Suite: http.
 */
#include <json-glib/json-glib.h>

#include "yg-item-store.h"
#include "yg-routes.h"
#include "yg-test-server.h"

typedef struct
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *soup;
  guint16 port;
  GMutex lock;
  guint fail_first;   /* answer 500 to this many deliveries */
  guint received;
  GPtrArray *bodies;  /* (element-type utf8) */
  GPtrArray *ids;     /* Yunguan-Delivery of each */
} Hook;

typedef struct
{
  YgTestServer *ts;
  Hook *hook;
  char *staff;
  char *alice;
  char *bob;
} Fixture;

/* --- a webhook receiver ---------------------------------------------------------------- */

static void
hook_handler (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
              gpointer data)
{
  Hook *h = data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  guint n;

  g_mutex_lock (&h->lock);
  n = ++h->received;
  g_ptr_array_add (h->bodies, g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes)));
  g_ptr_array_add (h->ids, g_strdup (soup_message_headers_get_one (
                               soup_server_message_get_request_headers (msg), "Yunguan-Delivery")));
  g_mutex_unlock (&h->lock);
  soup_server_message_set_status (msg, n <= h->fail_first ? 500 : 204, NULL);
}

static gpointer
hook_thread (gpointer data)
{
  Hook *h = data;

  g_main_context_push_thread_default (h->context);
  g_main_loop_run (h->loop);
  g_main_context_pop_thread_default (h->context);
  return NULL;
}

static Hook *
hook_start (guint fail_first)
{
  Hook *h = g_new0 (Hook, 1);
  g_autoptr (GError) error = NULL;
  GSList *uris;

  g_mutex_init (&h->lock);
  h->fail_first = fail_first;
  h->bodies = g_ptr_array_new_with_free_func (g_free);
  h->ids = g_ptr_array_new_with_free_func (g_free);
  h->context = g_main_context_new ();
  h->loop = g_main_loop_new (h->context, FALSE);
  g_main_context_push_thread_default (h->context);
  h->soup = soup_server_new (NULL, NULL);
  soup_server_add_handler (h->soup, "/hook", hook_handler, h, NULL);
  g_assert_true (soup_server_listen_local (h->soup, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  g_main_context_pop_thread_default (h->context);
  uris = soup_server_get_uris (h->soup);
  h->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  h->thread = g_thread_new ("hook", hook_thread, h);
  return h;
}

static guint
hook_received (Hook *h)
{
  guint n;

  g_mutex_lock (&h->lock);
  n = h->received;
  g_mutex_unlock (&h->lock);
  return n;
}

static void
hook_stop (Hook *h)
{
  if (h == NULL)
    return;
  g_main_loop_quit (h->loop);
  g_main_context_wakeup (h->context);
  g_thread_join (h->thread);
  g_object_unref (h->soup);
  g_main_loop_unref (h->loop);
  g_main_context_unref (h->context);
  g_ptr_array_unref (h->bodies);
  g_ptr_array_unref (h->ids);
  g_mutex_clear (&h->lock);
  g_free (h);
}

/* --- helpers ---------------------------------------------------------------------------- */

static void
start (Fixture *f, guint threshold, Hook *hook)
{
  YgConfig *config = yg_config_new ();
  g_autofree char *token = NULL;

  config->request_threshold = threshold;
  if (hook != NULL)
    {
      g_free (config->request_webhook);
      config->request_webhook = g_strdup_printf ("http://127.0.0.1:%u/hook", hook->port);
    }
  f->hook = hook;
  f->ts = yg_test_server_start (config, yg_routes, yg_n_routes);
  token = yg_test_server_token (f->ts, "staff");
  f->staff = g_strdup_printf ("Authorization: Bearer %s\r\n", token);
  f->alice = yg_test_server_resident (f->ts, "alice", NULL);
  f->bob = yg_test_server_resident (f->ts, "bob", NULL);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  start (f, 3, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->ts != NULL)
    yg_test_server_stop (f->ts);
  hook_stop (f->hook);
  g_free (f->staff);
  g_free (f->alice);
  g_free (f->bob);
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

static const char *
error_field (JsonNode *n)
{
  JsonObject *e = json_object_get_object_member (obj (n), "error");
  return json_object_get_string_member_with_default (e, "field", "");
}

static gint64
number (Fixture *f, const char *sql)
{
  return yg_test_server_number (f->ts, sql);
}

static gpointer
insert_item (gpointer conn, gpointer data, GError **error)
{
  const char **args = data; /* kind, title, visibility */
  g_autofree char *id = yg_item_store_insert (conn, NULL, args[0], args[1], "", error);

  if (id == NULL
      || !yg_item_store_set_visibility (conn, id, yg_visibility_from_string (args[2]), error))
    return NULL;
  return g_steal_pointer (&id);
}

static char *
item (Fixture *f, const char *title, const char *visibility)
{
  const char *args[] = { "performance", title, visibility };
  return yg_test_server_db_sync (f->ts, insert_item, args);
}

static gint64
create_request (Fixture *f, const char *who, const char *body)
{
  g_autoptr (JsonNode) doc = NULL;

  g_assert_cmpuint (call (f, "POST", "/api/v1/requests", who, body, &doc), ==, 201);
  return json_object_get_int_member (obj (doc), "id");
}

static JsonNode *
get_request (Fixture *f, gint64 id, const char *who)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/requests/%" G_GINT64_FORMAT, id);
  JsonNode *doc = NULL;

  g_assert_cmpuint (call (f, "GET", path, who, NULL, &doc), ==, 200);
  return doc;
}

/* --- requests --------------------------------------------------------------------------- */

static void
test_create (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *body;
    const char *field;
  } bad[] = {
    { "{\"kind\":\"programme\"}", "title" },
    { "{\"kind\":\"opera\",\"title\":\"x\"}", "kind" },
    { "{\"kind\":\"lecturer\",\"title\":\"请王老师讲书法\"}", "lecturer" },
    { "{\"kind\":\"course\",\"title\":\"x\",\"lecturer\":1}", "lecturer" },
    { "{\"kind\":\"course\",\"title\":\"   \"}", "title" },
    { "{\"kind\":\"course\",\"title\":\"x\",\"votes\":100}", "votes" },
    { "{\"kind\":\"course\",\"title\":7}", "title" },
    { "{\"kind\":\"lecturer\",\"title\":\"x\",\"lecturer\":999}", "lecturer" },
  };
  g_autoptr (JsonNode) lecturer = NULL, doc = NULL, doc2 = NULL;
  g_autofree char *body = NULL;
  JsonArray *similar;
  gint64 lid, first;

  g_assert_cmpuint (call (f, "POST", "/api/v1/lecturers", f->staff,
                          "{\"name\":\"王老师\",\"kind\":\"volunteer\",\"bio\":\"书法家\"}", &lecturer),
                    ==, 201);
  lid = json_object_get_int_member (obj (lecturer), "id");
  g_assert_cmpuint (call (f, "POST", "/api/v1/lecturers", f->alice, "{\"name\":\"x\"}", NULL), ==,
                    403);
  body = g_strdup_printf ("{\"kind\":\"lecturer\",\"title\":\"请王老师来社区讲书法\","
                          "\"description\":\"周末下午\",\"lecturer\":%" G_GINT64_FORMAT
                          ",\"community\":\"城关社区\"}",
                          lid);
  g_assert_cmpuint (call (f, "POST", "/api/v1/requests", f->alice, body, &doc), ==, 201);
  first = json_object_get_int_member (obj (doc), "id");
  g_assert_cmpstr (json_object_get_string_member (obj (doc), "status"), ==, "open");
  g_assert_cmpint (json_object_get_int_member (obj (doc), "supporters"), ==, 1);
  g_assert_true (json_object_get_boolean_member (obj (doc), "supported"));
  g_assert_cmpint (json_object_get_int_member (obj (doc), "threshold"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (obj (doc), "lecturer"), "name"), ==, "王老师");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (doc), "similar")), ==,
                    0);

  /* a near duplicate is pointed at the first */
  g_assert_cmpuint (call (f, "POST", "/api/v1/requests", f->bob,
                          "{\"kind\":\"course\",\"title\":\"请王老师开个书法班\"}", &doc2),
                    ==, 201);
  similar = json_object_get_array_member (obj (doc2), "similar");
  g_assert_cmpuint (json_array_get_length (similar), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (similar, 0), "id"), ==,
                   first);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonNode) e = NULL;
      g_test_message ("bad body %s", bad[i].body);
      g_assert_cmpuint (call (f, "POST", "/api/v1/requests", f->alice, bad[i].body, &e), ==, 400);
      g_assert_cmpstr (error_field (e), ==, bad[i].field);
    }
  g_assert_cmpuint (call (f, "POST", "/api/v1/requests", f->alice, "[1]", NULL), ==, 400);
  /* a token is nobody */
  g_assert_cmpuint (call (f, "POST", "/api/v1/requests", f->staff,
                          "{\"kind\":\"course\",\"title\":\"x\"}", NULL), ==, 403);
  /* the staff-only badge and the author id */
  g_assert_cmpuint (call (f, "GET", "/api/v1/requests/awaiting", f->alice, NULL, NULL), ==, 403);
  g_assert_cmpint (number (f, "SELECT count (*) FROM demands"), ==, 2);
}

static void
test_support_once (Fixture *f, gconstpointer data)
{
  gint64 id = create_request (f, f->alice, "{\"kind\":\"programme\",\"title\":\"元宵灯谜会\"}");
  g_autofree char *path = g_strdup_printf ("/api/v1/requests/%" G_GINT64_FORMAT "/support", id);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (JsonNode) doc = NULL;
      g_assert_cmpuint (call (f, "POST", path, f->bob, NULL, &doc), ==, 200);
      g_assert_cmpint (json_object_get_int_member (obj (doc), "supporters"), ==, 2);
      g_assert_true (json_object_get_boolean_member (obj (doc), "supported"));
    }
  /* the author's own support is there already */
  {
    g_autoptr (JsonNode) doc = NULL;
    g_assert_cmpuint (call (f, "POST", path, f->alice, NULL, &doc), ==, 200);
    g_assert_cmpint (json_object_get_int_member (obj (doc), "supporters"), ==, 2);
  }
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (JsonNode) doc = NULL;
      g_assert_cmpuint (call (f, "DELETE", path, f->bob, NULL, &doc), ==, 200);
      g_assert_cmpint (json_object_get_int_member (obj (doc), "supporters"), ==, 1);
      g_assert_false (json_object_get_boolean_member (obj (doc), "supported"));
    }
  g_assert_cmpuint (call (f, "POST", path, f->staff, NULL, NULL), ==, 403);
  g_assert_cmpuint (call (f, "POST", path, NULL, NULL, NULL), ==, 401);
  g_assert_cmpuint (call (f, "POST", "/api/v1/requests/999/support", f->bob, NULL, NULL), ==, 404);
  g_assert_cmpuint (call (f, "POST", "/api/v1/requests/abc/support", f->bob, NULL, NULL), ==, 404);
  g_assert_cmpint (number (f, "SELECT count (*) FROM demand_supports"), ==, 1);
}

typedef struct
{
  Fixture *f;
  char *who;
  char *path;
  guint status;
} Supporter;

static gpointer
support_thread (gpointer data)
{
  Supporter *s = data;

  s->status = call (s->f, "POST", s->path, s->who, NULL, NULL);
  return NULL;
}

static void
test_threshold_concurrent (Fixture *f, gconstpointer data)
{
  enum { N = 29 };
  Supporter sup[N];
  GThread *threads[N];
  g_autoptr (JsonNode) doc = NULL;
  g_autofree char *path = NULL;
  gint64 id;

  yg_test_server_stop (f->ts);
  g_clear_pointer (&f->staff, g_free);
  g_clear_pointer (&f->alice, g_free);
  g_clear_pointer (&f->bob, g_free);
  start (f, 15, hook_start (0));
  id = create_request (f, f->alice, "{\"kind\":\"course\",\"title\":\"少儿合唱班\"}");
  path = g_strdup_printf ("/api/v1/requests/%" G_GINT64_FORMAT "/support", id);
  for (guint i = 0; i < N; i++)
    {
      g_autofree char *name = g_strdup_printf ("resident%02u", i);
      sup[i] = (Supporter) { f, yg_test_server_resident (f->ts, name, NULL), path, 0 };
    }
  for (guint i = 0; i < N; i++)
    threads[i] = g_thread_new ("supporter", support_thread, &sup[i]);
  for (guint i = 0; i < N; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (sup[i].status, ==, 200);
      g_free (sup[i].who);
    }
  doc = get_request (f, id, NULL);
  g_assert_cmpstr (json_object_get_string_member (obj (doc), "status"), ==, "threshold_reached");
  g_assert_cmpint (json_object_get_int_member (obj (doc), "supporters"), ==, N + 1);
  g_assert_false (json_object_get_null_member (obj (doc), "threshold_at"));
  g_assert_cmpint (number (f, "SELECT count (*) FROM webhook_outbox"), ==, 1);
  /* delivered once */
  for (guint i = 0; i < 200 && number (f, "SELECT count (*) FROM webhook_outbox WHERE"
                                          " delivered_at IS NOT NULL") < 1; i++)
    g_usleep (50000);
  g_assert_cmpint (number (f, "SELECT count (*) FROM webhook_outbox WHERE delivered_at IS NOT NULL"),
                   ==, 1);
  g_assert_cmpuint (hook_received (f->hook), ==, 1);
  {
    g_autoptr (JsonNode) awaiting = NULL;
    g_assert_cmpuint (call (f, "GET", "/api/v1/requests/awaiting", f->staff, NULL, &awaiting), ==,
                      200);
    g_assert_cmpint (json_object_get_int_member (obj (awaiting), "awaiting_answer"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (obj (awaiting), "open"), ==, 0);
  }
}

static void
test_answer_flow (Fixture *f, gconstpointer data)
{
  g_autofree char *it = item (f, "少儿合唱班第一课", "public");
  gint64 id = create_request (f, f->alice, "{\"kind\":\"course\",\"title\":\"少儿合唱班\"}");
  gint64 other = create_request (f, f->bob, "{\"kind\":\"programme\",\"title\":\"广场舞比赛\"}");
  g_autofree char *support = g_strdup_printf ("/api/v1/requests/%" G_GINT64_FORMAT "/support", id);
  g_autofree char *answer = g_strdup_printf ("/api/v1/requests/%" G_GINT64_FORMAT "/answer", id);
  g_autofree char *answer2 = g_strdup_printf ("/api/v1/requests/%" G_GINT64_FORMAT "/answer", other);
  g_autofree char *body = g_strdup_printf ("{\"status\":\"scheduled\",\"date\":\"2026-12-05\","
                                           "\"item\":\"%s\"}", it);
  g_autoptr (JsonNode) doc = NULL, seen = NULL, list = NULL, page = NULL, awaiting = NULL;
  JsonObject *a;

  g_assert_cmpuint (call (f, "POST", support, f->bob, NULL, NULL), ==, 200);
  /* refused answers */
  {
    static const struct
    {
      const char *body, *field;
    } bad[] = {
      { "{\"status\":\"done\"}", "status" },
      { "{\"status\":\"scheduled\"}", "date" },
      { "{\"status\":\"scheduled\",\"date\":\"2026-13-01\"}", "date" },
      { "{\"status\":\"scheduled\",\"date\":\"2026-12-05\",\"item\":\"nope\"}", "item" },
      { "{\"status\":\"scheduled\",\"date\":\"2026-12-05\",\"course\":77}", "course" },
      { "{\"status\":\"scheduled\",\"date\":\"2026-12-05\",\"reason\":\"x\"}", "reason" },
      { "{\"status\":\"declined\"}", "reason" },
      { "{\"status\":\"declined\",\"reason\":\"x\",\"date\":\"2026-12-05\"}", "date" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr (JsonNode) e = NULL;
        g_test_message ("bad answer %s", bad[i].body);
        g_assert_cmpuint (call (f, "POST", answer, f->staff, bad[i].body, &e), ==, 400);
        g_assert_cmpstr (error_field (e), ==, bad[i].field);
      }
  }
  g_assert_cmpuint (call (f, "POST", answer, f->alice, body, NULL), ==, 403);
  g_assert_cmpuint (call (f, "POST", answer, f->staff, body, &doc), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (obj (doc), "status"), ==, "scheduled");
  /* a supporter sees the answer */
  seen = get_request (f, id, f->bob);
  g_assert_true (json_object_get_boolean_member (obj (seen), "supported"));
  a = json_object_get_object_member (obj (seen), "answer");
  g_assert_cmpstr (json_object_get_string_member (a, "status"), ==, "scheduled");
  g_assert_cmpstr (json_object_get_string_member (a, "date"), ==, "2026-12-05");
  g_assert_cmpstr (json_object_get_string_member (a, "item"), ==, it);
  g_assert_false (json_object_has_member (obj (seen), "author_id"));
  /* answered once; no more supports */
  g_assert_cmpuint (call (f, "POST", answer, f->staff, body, NULL), ==, 409);
  g_assert_cmpuint (call (f, "POST", support, f->alice, NULL, NULL), ==, 409);
  {
    g_autofree char *carol = yg_test_server_resident (f->ts, "carol", NULL);
    g_assert_cmpuint (call (f, "POST", support, carol, NULL, NULL), ==, 409);
  }
  g_assert_cmpuint (call (f, "POST", answer2, f->staff,
                          "{\"status\":\"declined\",\"reason\":\"场地不足\"}", NULL), ==, 200);
  /* filters and paging */
  g_assert_cmpuint (call (f, "GET", "/api/v1/requests?status=scheduled", NULL, NULL, &list), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (list), "requests")), ==,
                    1);
  g_assert_cmpuint (call (f, "GET", "/api/v1/requests?limit=1", NULL, NULL, &page), ==, 200);
  g_assert_cmpint (json_object_get_int_member (
                       json_array_get_object_element (
                           json_object_get_array_member (obj (page), "requests"), 0), "id"),
                   ==, other);
  g_assert_cmpint (json_object_get_int_member (obj (page), "next_after"), ==, other);
  {
    g_autofree char *next = g_strdup_printf ("/api/v1/requests?limit=1&after=%" G_GINT64_FORMAT,
                                             other);
    g_autoptr (JsonNode) p2 = NULL;
    g_assert_cmpuint (call (f, "GET", next, NULL, NULL, &p2), ==, 200);
    g_assert_cmpint (json_object_get_int_member (
                         json_array_get_object_element (
                             json_object_get_array_member (obj (p2), "requests"), 0), "id"),
                     ==, id);
  }
  g_assert_cmpuint (call (f, "GET", "/api/v1/requests?status=nope", NULL, NULL, NULL), ==, 400);
  g_assert_cmpuint (call (f, "GET", "/api/v1/requests?kind=course&x=1", NULL, NULL, NULL), ==, 400);
  g_assert_cmpuint (call (f, "GET", "/api/v1/requests/awaiting", f->staff, NULL, &awaiting), ==, 200);
  g_assert_cmpint (json_object_get_int_member (obj (awaiting), "awaiting_answer"), ==, 0);
}

static void
test_webhook_retries (Fixture *f, gconstpointer data)
{
  g_autofree char *support = NULL;
  gint64 id;

  yg_test_server_stop (f->ts);
  g_clear_pointer (&f->staff, g_free);
  g_clear_pointer (&f->alice, g_free);
  g_clear_pointer (&f->bob, g_free);
  start (f, 2, hook_start (2));
  id = create_request (f, f->alice, "{\"kind\":\"programme\",\"title\":\"非遗剪纸展\"}");
  support = g_strdup_printf ("/api/v1/requests/%" G_GINT64_FORMAT "/support", id);
  g_assert_cmpuint (call (f, "POST", support, f->bob, NULL, NULL), ==, 200);
  /* fails, fails (1 s and 2 s of backoff), then delivered */
  for (guint i = 0; i < 300 && number (f, "SELECT count (*) FROM webhook_outbox WHERE"
                                          " delivered_at IS NOT NULL") < 1; i++)
    g_usleep (50000);
  g_assert_cmpint (number (f, "SELECT attempts FROM webhook_outbox"), ==, 3);
  g_assert_cmpint (number (f, "SELECT count (*) FROM webhook_outbox WHERE delivered_at IS NOT NULL"),
                   ==, 1);
  g_assert_cmpuint (hook_received (f->hook), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (JsonParser) p = json_parser_new ();
      JsonObject *o;

      g_assert_cmpstr (f->hook->ids->pdata[i], ==, f->hook->ids->pdata[0]);
      g_assert_true (json_parser_load_from_data (p, f->hook->bodies->pdata[i], -1, NULL));
      o = json_node_get_object (json_parser_get_root (p));
      g_assert_cmpstr (json_object_get_string_member (o, "event"), ==, "request.threshold_reached");
      g_assert_cmpint (json_object_get_int_member (o, "attempt"), ==, i + 1);
      g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "request"),
                                                   "id"), ==, id);
    }
}

/* A notification that failed before a restart is delivered by the next server process. */
static void
test_webhook_restart (Fixture *f, gconstpointer data)
{
  g_autofree char *support = NULL, *dir = NULL, *url = NULL, *log = NULL;
  YgTestServe *serve;
  gint64 id;

  yg_test_server_stop (f->ts);
  g_clear_pointer (&f->staff, g_free);
  g_clear_pointer (&f->alice, g_free);
  g_clear_pointer (&f->bob, g_free);
  start (f, 2, hook_start (1000)); /* the receiver is down */
  id = create_request (f, f->alice, "{\"kind\":\"programme\",\"title\":\"社区读书会\"}");
  support = g_strdup_printf ("/api/v1/requests/%" G_GINT64_FORMAT "/support", id);
  g_assert_cmpuint (call (f, "POST", support, f->bob, NULL, NULL), ==, 200);
  for (guint i = 0; i < 200 && number (f, "SELECT attempts FROM webhook_outbox") < 1; i++)
    g_usleep (50000);
  g_assert_cmpint (number (f, "SELECT attempts FROM webhook_outbox"), >=, 1);
  dir = yg_test_server_stop_keeping_data (f->ts);
  f->ts = NULL;
  g_mutex_lock (&f->hook->lock);
  f->hook->fail_first = 0; /* the receiver is back */
  f->hook->received = 0;
  g_mutex_unlock (&f->hook->lock);
  url = g_strdup_printf ("http://127.0.0.1:%u/hook", f->hook->port);
  log = g_build_filename (dir, "serve.log", NULL);
  serve = yg_test_serve_spawn (NULL, dir, log,
                               (const char *const[]) { "--request-webhook", url, NULL });
  for (guint i = 0; i < 300 && hook_received (f->hook) < 1; i++)
    g_usleep (50000);
  g_assert_cmpuint (hook_received (f->hook), ==, 1);
  {
    g_autofree char *path = g_build_filename (dir, "catalog.db", NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (YgDb) db = yg_db_open (path, &error);
    gint64 delivered = 0;

    g_assert_no_error (error);
    /* The server records the delivery after the receiver has answered: wait
     * for that (WAL: this reader does not block it) before stopping it. */
    for (guint i = 0; i < 300 && delivered < 1; i++)
      {
        delivered = yg_test_db_number (db, "SELECT count (*) FROM webhook_outbox"
                                           " WHERE delivered_at IS NOT NULL");
        if (delivered < 1)
          g_usleep (50000);
      }
    yg_test_serve_stop (serve);
    g_assert_cmpint (delivered, ==, 1);
  }
  yg_test_rm_rf (dir);
}

static void
test_lecturers (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonNode) created = NULL, patched = NULL, list = NULL, req = NULL, e = NULL;
  g_autofree char *path = NULL, *body = NULL;
  gint64 id, rid;

  g_assert_cmpuint (call (f, "POST", "/api/v1/lecturers", f->staff, "{\"name\":\"李老师\"}", &created),
                    ==, 201);
  id = json_object_get_int_member (obj (created), "id");
  g_assert_cmpstr (json_object_get_string_member (obj (created), "kind"), ==, "teacher");
  path = g_strdup_printf ("/api/v1/lecturers/%" G_GINT64_FORMAT, id);
  g_assert_cmpuint (call (f, "PATCH", path, f->staff, "{\"kind\":\"volunteer\",\"bio\":\"退休教师\"}",
                          &patched), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (obj (patched), "name"), ==, "李老师");
  g_assert_cmpstr (json_object_get_string_member (obj (patched), "kind"), ==, "volunteer");
  g_assert_cmpstr (json_object_get_string_member (obj (patched), "bio"), ==, "退休教师");
  g_assert_cmpuint (call (f, "PATCH", path, f->staff, "{\"kind\":\"robot\"}", &e), ==, 400);
  g_assert_cmpstr (error_field (e), ==, "kind");
  g_assert_cmpuint (call (f, "POST", "/api/v1/lecturers", f->staff, "{\"bio\":\"x\"}", NULL), ==, 400);
  g_assert_cmpuint (call (f, "PATCH", path, f->alice, "{\"bio\":\"x\"}", NULL), ==, 403);
  g_assert_cmpuint (call (f, "GET", "/api/v1/lecturers", NULL, NULL, &list), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (list), "lecturers")), ==,
                    1);
  body = g_strdup_printf ("{\"kind\":\"lecturer\",\"title\":\"请李老师讲二胡\",\"lecturer\":%"
                          G_GINT64_FORMAT "}", id);
  rid = create_request (f, f->alice, body);
  /* the roster entry goes; the request stays, without a lecturer */
  g_assert_cmpuint (call (f, "DELETE", path, f->staff, NULL, NULL), ==, 200);
  g_assert_cmpuint (call (f, "GET", path, NULL, NULL, NULL), ==, 404);
  g_assert_cmpuint (call (f, "DELETE", path, f->staff, NULL, NULL), ==, 404);
  req = get_request (f, rid, NULL);
  g_assert_true (json_object_get_null_member (obj (req), "lecturer"));
}

/* --- ratings ----------------------------------------------------------------------------- */

static void
test_ratings (Fixture *f, gconstpointer data)
{
  g_autofree char *it = item (f, "黄梅戏专场", "public");
  g_autofree char *hidden_item = item (f, "内部资料", "staff");
  g_autofree char *path = g_strdup_printf ("/api/v1/ratings/item/%s", it);
  g_autofree char *staff_path = g_strdup_printf ("/api/v1/ratings/item/%s", hidden_item);
  g_autofree char *long_comment = NULL, *too_long = NULL, *moderate = NULL;
  g_autoptr (JsonNode) r1 = NULL, r2 = NULL, page = NULL, mine = NULL, pub = NULL;
  JsonObject *summary;
  gint64 bob_rating;

  g_assert_cmpuint (call (f, "PUT", path, f->alice, "{\"stars\":4,\"comment\":\"好\"}", &r1), ==,
                    200);
  g_assert_cmpuint (call (f, "PUT", path, f->bob, "{\"stars\":2}", &r2), ==, 200);
  bob_rating = json_object_get_int_member (obj (r2), "id");
  /* replaces */
  g_assert_cmpuint (call (f, "PUT", path, f->alice, "{\"stars\":5,\"comment\":\"很好\"}", NULL), ==,
                    200);
  g_assert_cmpuint (call (f, "GET", path, NULL, NULL, &page), ==, 200);
  summary = json_object_get_object_member (obj (page), "summary");
  g_assert_cmpint (json_object_get_int_member (summary, "count"), ==, 2);
  g_assert_cmpfloat (json_object_get_double_member (summary, "average"), ==, 3.5);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (summary,
                                                                              "distribution"), "5"),
                   ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (summary,
                                                                              "distribution"), "4"),
                   ==, 0);
  g_assert_cmpint (number (f, "SELECT count (*) FROM ratings"), ==, 2);
  /* refused */
  long_comment = g_strnfill (2000, 'a');
  too_long = g_strdup_printf ("{\"stars\":3,\"comment\":\"%s!\"}", long_comment);
  {
    const char *bad[] = { "{\"stars\":0}", "{\"stars\":6}", "{\"stars\":\"5\"}", "{}",
                          "{\"stars\":3.5}", "{\"stars\":3,\"x\":1}", too_long };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      g_assert_cmpuint (call (f, "PUT", path, f->alice, bad[i], NULL), ==, 400);
  }
  g_assert_cmpuint (call (f, "PUT", path, f->staff, "{\"stars\":3}", NULL), ==, 403);
  g_assert_cmpuint (call (f, "PUT", "/api/v1/ratings/item/nope", f->alice, "{\"stars\":3}", NULL),
                    ==, 404);
  g_assert_cmpuint (call (f, "PUT", "/api/v1/ratings/song/1", f->alice, "{\"stars\":3}", NULL), ==,
                    404);
  g_assert_cmpuint (call (f, "PUT", staff_path, f->alice, "{\"stars\":3}", NULL), ==, 404);
  /* moderation */
  moderate = g_strdup_printf ("/api/v1/ratings/%" G_GINT64_FORMAT, bob_rating);
  g_assert_cmpuint (call (f, "PATCH", moderate, f->staff, "{\"hidden\":true}", NULL), ==, 400);
  g_assert_cmpuint (call (f, "PATCH", moderate, f->alice, "{\"hidden\":true,\"reason\":\"x\"}", NULL),
                    ==, 403);
  g_assert_cmpuint (call (f, "PATCH", moderate, f->staff,
                          "{\"hidden\":true,\"reason\":\"广告内容\"}", NULL), ==, 200);
  g_assert_cmpuint (call (f, "GET", path, NULL, NULL, &pub), ==, 200);
  summary = json_object_get_object_member (obj (pub), "summary");
  g_assert_cmpint (json_object_get_int_member (summary, "count"), ==, 1);
  g_assert_cmpfloat (json_object_get_double_member (summary, "average"), ==, 5.0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (pub), "ratings")), ==,
                    1);
  /* the author still sees theirs, hidden, with the reason; re-posting does not unhide it */
  g_assert_cmpuint (call (f, "PUT", path, f->bob, "{\"stars\":1}", NULL), ==, 200);
  g_assert_cmpuint (call (f, "GET", path, f->bob, NULL, &mine), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (mine), "ratings")), ==,
                    2);
  {
    JsonArray *list = json_object_get_array_member (obj (mine), "ratings");
    gboolean found = FALSE;
    for (guint i = 0; i < json_array_get_length (list); i++)
      {
        JsonObject *r = json_array_get_object_element (list, i);
        if (json_object_get_int_member (r, "id") == bob_rating)
          {
            found = TRUE;
            g_assert_true (json_object_get_boolean_member (r, "hidden"));
            g_assert_cmpstr (json_object_get_string_member (r, "hidden_reason"), ==, "广告内容");
          }
      }
    g_assert_true (found);
  }
  g_assert_cmpint (number (f, "SELECT count (*) FROM ratings WHERE hidden_at IS NOT NULL"), ==, 1);
  g_assert_cmpuint (call (f, "PATCH", moderate, f->staff, "{\"hidden\":false}", NULL), ==, 200);
  g_assert_cmpint (number (f, "SELECT count (*) FROM ratings WHERE hidden_at IS NOT NULL"), ==, 0);
  /* requests: only once scheduled */
  {
    gint64 id = create_request (f, f->alice, "{\"kind\":\"programme\",\"title\":\"春节联欢\"}");
    g_autofree char *rp = g_strdup_printf ("/api/v1/ratings/request/%" G_GINT64_FORMAT, id);
    g_autofree char *ap = g_strdup_printf ("/api/v1/requests/%" G_GINT64_FORMAT "/answer", id);

    g_assert_cmpuint (call (f, "PUT", rp, f->alice, "{\"stars\":5}", NULL), ==, 404);
    g_assert_cmpuint (call (f, "POST", ap, f->staff,
                            "{\"status\":\"scheduled\",\"date\":\"2027-01-28\"}", NULL), ==, 200);
    g_assert_cmpuint (call (f, "PUT", rp, f->alice, "{\"stars\":5}", NULL), ==, 200);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Resident requests, supporters, threshold, answers, webhooks and ratings");
#define ADD(path, fn) g_test_add ("/demand/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("requests/create", test_create);
  ADD ("requests/support-once", test_support_once);
  ADD ("requests/threshold-concurrent", test_threshold_concurrent);
  ADD ("requests/answer-flow", test_answer_flow);
  ADD ("requests/webhook-retries", test_webhook_retries);
  ADD ("requests/webhook-after-restart", test_webhook_restart);
  ADD ("lecturers/crud", test_lecturers);
  ADD ("ratings/rules", test_ratings);
  return g_test_run ();
}

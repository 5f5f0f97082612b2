/* analytics-test.c: player heartbeats, the figures made of them and the
 * monthly report, over real HTTP against a real catalogue.
 *
 * Covered: accepted events written in batches (and by a clean stop);
 * malformed, oversized and hostile bodies refused whole (400 naming the
 * event and field, 413); a flooding address and a flooding viewer get 429
 * with Retry-After while another viewer's events still land; the analytics
 * API on a generated set of six watch sessions whose answers were worked out
 * by hand (views, unique viewers, watch time, watched fraction, completion,
 * retention points per item, course, kind, category and community; 7- and
 * 30-day returning viewers; visits per active resident), the same answers
 * after the raw events are folded into daily rows; the monthly report
 * agreeing with the analytics API, its score, and `yunguan report` printing
 * the same CSV as GET /api/v1/reports/YYYY-MM.csv. Suite: http.
 */
#include <json-glib/json-glib.h>
#include <math.h>

#include "yg-analytics.h"
#include "yg-heartbeat-store.h"
#include "yg-item-store.h"
#include "yg-routes.h"
#include "yg-test-server.h"

#define VIEWER "viewer-aaaaaaaaaaaa"
#define SESSION "session-1"

typedef struct
{
  YgTestServer *ts;
  char *staff;
  char *items[3]; /* A lesson 100 s in a course, B performance 200 s, H heritage 50 s */
  gint64 users[2];
} Fixture;

static void
sql (Fixture *f, const char *statements)
{
  yg_test_server_sql (f->ts, statements);
}

static gint64
number (Fixture *f, const char *query)
{
  return yg_test_server_number (f->ts, query);
}

static gpointer
insert_item (gpointer conn, gpointer data, GError **error)
{
  const char **args = data; /* kind, title */
  return yg_item_store_insert (conn, NULL, args[0], args[1], "", error);
}

static char *
item (Fixture *f, const char *kind, const char *title, double duration, const char *extra)
{
  const char *args[] = { kind, title };
  char *id = yg_test_server_db_sync (f->ts, insert_item, args);
  g_autofree char *update = g_strdup_printf (
      "UPDATE items SET duration = %g, status = 'ready', created_at = %" G_GINT64_FORMAT
      "%s WHERE id = '%s'",
      duration, (gint64) 1790812800 + 3600, extra, id);

  sql (f, update);
  return id;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  YgConfig *config = yg_config_new ();
  g_autofree char *token = NULL, *course = NULL;

  config->heartbeat_rate = 1; /* bursts of 10 requests per address */
  f->ts = yg_test_server_start (config, yg_routes, yg_n_routes);
  token = yg_test_server_token (f->ts, "staff");
  f->staff = g_strdup_printf ("Authorization: Bearer %s\r\n", token);
  g_free (yg_test_server_resident (f->ts, "resident1", &f->users[0]));
  g_free (yg_test_server_resident (f->ts, "resident2", &f->users[1]));
  f->items[0] = item (f, "lesson", "书法第一课", 100, "");
  f->items[1] = item (f, "performance", "黄梅戏专场", 200, "");
  f->items[2] = item (f, "heritage", "皮影戏", 50, ", category = 'traditional_drama'");
  sql (f, "INSERT INTO courses (id, title, created_at, updated_at) VALUES (7, '书法入门', 0, 0)");
  course = g_strdup_printf ("INSERT INTO course_lessons (item_id, course_id, chapter, position)"
                            " VALUES ('%s', 7, 0, 0)",
                            f->items[0]);
  sql (f, course);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->ts != NULL)
    yg_test_server_stop (f->ts);
  g_free (f->staff);
  for (guint i = 0; i < 3; i++)
    g_free (f->items[i]);
}

static guint
call (Fixture *f, const char *from, const char *method, const char *path, const char *who,
      const char *body, JsonNode **doc)
{
  return yg_test_call (f->ts->port, from, method, path, who, body, doc);
}

static JsonObject *
obj (JsonNode *n)
{
  g_assert_nonnull (n);
  return json_node_get_object (n);
}

static char *
event_json (const char *viewer, const char *item_id, const char *event, double position)
{
  return g_strdup_printf ("{\"viewer\":\"%s\",\"session\":\"" SESSION "\",\"item\":\"%s\","
                          "\"event\":\"%s\",\"position\":%g}",
                          viewer, item_id, event, position);
}

/* Waits until @sql counts @want (the buffer writes about once a second). */
static void
wait_count (Fixture *f, const char *statement, gint64 want)
{
  for (guint i = 0; i < 100 && number (f, statement) < want; i++)
    g_usleep (50000);
  g_assert_cmpint (number (f, statement), ==, want);
}

/* --- ingestion --------------------------------------------------------------------------- */

static void
test_accepted (Fixture *f, gconstpointer data)
{
  g_autofree char *e1 = event_json (VIEWER, f->items[0], "start", 0);
  g_autofree char *e2 = event_json (VIEWER, f->items[0], "tick", 10);
  g_autofree char *e3 = event_json (VIEWER, "no-such-item", "tick", 10);
  g_autofree char *batch = g_strdup_printf ("[%s,%s,%s]", e1, e2, e3);
  g_autoptr (JsonNode) doc = NULL;
  g_autofree char *dir = NULL;

  g_assert_cmpuint (call (f, NULL, "POST", "/api/v1/heartbeats", NULL, batch, &doc), ==, 202);
  g_assert_cmpint (json_object_get_int_member (obj (doc), "accepted"), ==, 3);
  wait_count (f, "SELECT count (*) FROM heartbeats", 2); /* the unknown item is dropped */
  g_assert_cmpint (number (f, "SELECT count (*) FROM viewings"), ==, 1);
  /* no address anywhere in the schema */
  g_assert_cmpint (number (f, "SELECT count (*) FROM pragma_table_info ('heartbeats')"
                              " WHERE name LIKE '%addr%' OR name LIKE '%ip%'"),
                   ==, 0);
  /* a clean stop writes what is still in memory */
  g_assert_cmpuint (call (f, NULL, "POST", "/api/v1/heartbeats", NULL, e2, NULL), ==, 202);
  dir = yg_test_server_stop_keeping_data (f->ts);
  f->ts = NULL;
  {
    g_autofree char *path = g_build_filename (dir, "catalog.db", NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (YgDb) db = yg_db_open (path, &error);

    g_assert_no_error (error);
    g_assert_cmpint (yg_test_db_number (db, "SELECT count (*) FROM heartbeats"), ==, 3);
  }
  yg_test_rm_rf (dir);
}

static void
test_refused (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *body;
    const char *field;
  } bad[] = {
    { "{\"viewer\":\"short\",\"session\":\"session-1\",\"item\":\"x\",\"event\":\"tick\",\"position\":1}",
      "viewer" },
    { "{\"viewer\":\"" VIEWER "/\",\"session\":\"session-1\",\"item\":\"x\",\"event\":\"tick\","
      "\"position\":1}", "viewer" },
    { "{\"viewer\":\"" VIEWER "\",\"session\":\"s\",\"item\":\"x\",\"event\":\"tick\",\"position\":1}",
      "session" },
    { "{\"viewer\":\"" VIEWER "\",\"session\":\"session-1\",\"item\":\"../x\",\"event\":\"tick\","
      "\"position\":1}", "item" },
    { "{\"viewer\":\"" VIEWER "\",\"session\":\"session-1\",\"item\":\"x\",\"event\":\"play\","
      "\"position\":1}", "event" },
    { "{\"viewer\":\"" VIEWER "\",\"session\":\"session-1\",\"item\":\"x\",\"event\":\"tick\","
      "\"position\":-1}", "position" },
    { "{\"viewer\":\"" VIEWER "\",\"session\":\"session-1\",\"item\":\"x\",\"event\":\"tick\","
      "\"position\":1e300}", "position" },
    { "{\"viewer\":\"" VIEWER "\",\"session\":\"session-1\",\"item\":\"x\",\"event\":\"tick\","
      "\"position\":\"1\"}", "position" },
    { "{\"viewer\":\"" VIEWER "\",\"session\":\"session-1\",\"item\":\"x\",\"event\":\"tick\"}",
      "position" },
    { "{\"viewer\":\"" VIEWER "\",\"session\":\"session-1\",\"item\":\"x\",\"event\":\"tick\","
      "\"position\":1,\"age\":4000}", "age" },
    { "{\"viewer\":\"" VIEWER "\",\"session\":\"session-1\",\"item\":\"x\",\"event\":\"tick\","
      "\"position\":1,\"ip\":\"1.2.3.4\"}", "ip" },
    { "[{\"viewer\":\"" VIEWER "\",\"session\":\"session-1\",\"item\":\"x\",\"event\":\"tick\","
      "\"position\":1},{\"viewer\":\"" VIEWER "\",\"session\":\"session-1\",\"item\":\"x\","
      "\"event\":\"tick\",\"position\":null}]", "[1].position" },
    { "[]", "body" },
    { "[1]", "[0]." },
  };
  g_autoptr (GString) many = g_string_new ("[");
  g_autoptr (GString) huge = g_string_new (NULL);
  g_autofree char *one = event_json (VIEWER, f->items[0], "tick", 1);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonNode) doc = NULL;
      g_autofree char *from = g_strdup_printf ("127.0.1.%u", i + 1); /* under the address limit */
      JsonObject *e;

      g_test_message ("bad %s", bad[i].body);
      g_assert_cmpuint (call (f, from, "POST", "/api/v1/heartbeats", NULL, bad[i].body, &doc), ==,
                        400);
      e = json_object_get_object_member (obj (doc), "error");
      g_assert_cmpstr (json_object_get_string_member (e, "field"), ==, bad[i].field);
    }
  g_assert_cmpuint (call (f, "127.0.0.6", "POST", "/api/v1/heartbeats", NULL, "{\"viewer\":", NULL),
                    ==, 400);
  /* white space only: no document at all (this used to crash the server) */
  g_assert_cmpuint (call (f, "127.0.0.6", "POST", "/api/v1/heartbeats", NULL, "  \n ", NULL), ==,
                    400);
  g_assert_cmpuint (call (f, "127.0.0.6", "POST", "/api/v1/session", NULL, " ", NULL), ==, 400);
  for (guint i = 0; i < 51; i++)
    g_string_append_printf (many, "%s%s", i ? "," : "", one);
  g_string_append_c (many, ']');
  g_assert_cmpuint (call (f, "127.0.0.6", "POST", "/api/v1/heartbeats", NULL, many->str, NULL), ==,
                    400);
  g_string_append (huge, "{\"viewer\":\"" VIEWER "\",\"community\":\"");
  for (guint i = 0; i < 40 * 1024; i++)
    g_string_append_c (huge, 'x');
  g_string_append (huge, "\"}");
  g_assert_cmpuint (call (f, "127.0.0.6", "POST", "/api/v1/heartbeats", NULL, huge->str, NULL), ==,
                    413);
  g_usleep (1200000);
  g_assert_cmpint (number (f, "SELECT count (*) FROM heartbeats"), ==, 0);
}

static void
test_flood (Fixture *f, gconstpointer data)
{
  g_autofree char *a = event_json ("flooder-aaaaaaaaaaaa", f->items[0], "tick", 1);
  g_autofree char *b = event_json ("honest-bbbbbbbbbbbbb", f->items[0], "tick", 1);
  g_autofree char *c = event_json ("another-ccccccccccccc", f->items[0], "tick", 1);
  g_autoptr (GString) batch = g_string_new ("[");
  guint refused = 0, status = 0;

  /* an address: 10 requests, then one a second */
  for (guint i = 0; i < 15; i++)
    {
      g_autoptr (YgTestResponse) r = yg_test_request (f->ts->port, "127.0.0.2", "POST",
                                                      "/api/v1/heartbeats",
                                                      "Content-Type: application/json\r\n", a);
      if (r->status == 429)
        {
          g_autofree char *retry = yg_test_response_header (r, "Retry-After", 0);
          g_assert_nonnull (retry);
          g_assert_cmpint (atoi (retry), >=, 1);
          refused++;
        }
      else
        g_assert_cmpuint (r->status, ==, 202);
    }
  g_assert_cmpuint (refused, >=, 4);
  g_assert_cmpuint (call (f, "127.0.0.3", "POST", "/api/v1/heartbeats", NULL, b, NULL), ==, 202);
  /* a viewer: 120 events, then two a second, whatever the address */
  for (guint i = 0; i < 50; i++)
    g_string_append_printf (batch, "%s%s", i ? "," : "", a);
  g_string_append_c (batch, ']');
  for (guint i = 0; i < 4 && status != 429; i++)
    status = call (f, "127.0.0.4", "POST", "/api/v1/heartbeats", NULL, batch->str, NULL);
  g_assert_cmpuint (status, ==, 429);
  g_assert_cmpuint (call (f, "127.0.0.4", "POST", "/api/v1/heartbeats", NULL, c, NULL), ==, 202);
  wait_count (f, "SELECT count (*) FROM heartbeats WHERE viewer = 'honest-bbbbbbbbbbbbb'", 1);
  wait_count (f, "SELECT count (*) FROM heartbeats WHERE viewer = 'another-ccccccccccccc'", 1);
}

/* --- figures on a known event set -------------------------------------------------------- */

#define D0 G_GINT64_CONSTANT (20727) /* 2026-10-01, UTC day number */

typedef struct
{
  guint session;  /* S1 … S6 */
  guint viewer;   /* v1 … v4 */
  guint item;     /* 0 A, 1 B, 2 H */
  guint day;      /* days after D0 */
  const char *community;
  guint user;     /* 0: anonymous, 1 or 2 */
  int t;          /* seconds after 10:00 */
  const char *event;
  double position;
} Ev;

/* Worked out by hand (see the comments in test_figures). */
static const Ev events[] = {
  { 1, 1, 0, 0, "east", 1, 0, "start", 0 },  { 1, 1, 0, 0, "east", 1, 30, "tick", 30 },
  { 1, 1, 0, 0, "east", 1, 60, "tick", 60 }, { 1, 1, 0, 0, "east", 1, 95, "tick", 95 },
  { 1, 1, 0, 0, "east", 1, 100, "end", 100 },
  { 2, 2, 0, 0, "east", 0, 0, "start", 0 },  { 2, 2, 0, 0, "east", 0, 20, "tick", 20 },
  { 2, 2, 0, 0, "east", 0, 25, "pause", 25 }, { 2, 2, 0, 0, "east", 0, 300, "tick", 25 },
  { 2, 2, 0, 0, "east", 0, 315, "tick", 40 }, { 2, 2, 0, 0, "east", 0, 320, "end", 45 },
  { 3, 3, 0, 3, "west", 0, 0, "start", 0 },  { 3, 3, 0, 3, "west", 0, 10, "tick", 10 },
  { 3, 3, 0, 3, "west", 0, 12, "seek", 80 }, { 3, 3, 0, 3, "west", 0, 22, "tick", 90 },
  { 3, 3, 0, 3, "west", 0, 30, "end", 98 },
  { 4, 1, 1, 5, "east", 1, 0, "start", 0 },  { 4, 1, 1, 5, "east", 1, 100, "tick", 100 },
  { 4, 1, 1, 5, "east", 1, 190, "tick", 190 }, { 4, 1, 1, 5, "east", 1, 200, "end", 200 },
  { 5, 2, 2, 20, NULL, 0, 0, "start", 0 },   { 5, 2, 2, 20, NULL, 0, 50, "tick", 50 },
  { 6, 4, 1, 1, "west", 2, 0, "start", 0 },  { 6, 4, 1, 1, "west", 2, 5, "tick", 150 },
  { 6, 4, 1, 1, "west", 2, 15, "tick", 160 },
};

static gpointer
insert_events (gpointer conn, gpointer data, GError **error)
{
  return yg_heartbeat_store_insert (conn, data, NULL, error) ? GINT_TO_POINTER (1) : NULL;
}

static void
load_events (Fixture *f)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_heartbeat_free);

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    {
      const Ev *e = &events[i];
      YgHeartbeat *h = g_new0 (YgHeartbeat, 1);

      h->at_ms = ((D0 + e->day) * 86400 + 36000 + e->t) * 1000;
      h->viewer = g_strdup_printf ("viewer-%u-aaaaaaaaaaaa", e->viewer);
      h->session = g_strdup_printf ("session-%u", e->session);
      h->item_id = g_strdup (f->items[e->item]);
      h->user_id = e->user > 0 ? f->users[e->user - 1] : 0;
      h->community = g_strdup (e->community);
      h->event = yg_heartbeat_event_from_string (e->event);
      h->position = e->position;
      g_ptr_array_add (list, h);
    }
  yg_test_server_db_sync (f->ts, insert_events, list);
}

static JsonObject *
row_of (JsonNode *doc, const char *key)
{
  JsonArray *rows = json_object_get_array_member (obj (doc), "rows");

  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);
      if (g_str_equal (json_object_get_string_member (r, "key"), key))
        return r;
    }
  g_error ("no row %s", key);
  return NULL;
}

static JsonNode *
analytics (Fixture *f, const char *dimension)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/analytics/%s?from=2026-10-01&to=2026-10-31",
                                           dimension);
  JsonNode *doc = NULL;

  g_assert_cmpuint (call (f, NULL, "GET", path, f->staff, NULL, &doc), ==, 200);
  return doc;
}

static void
assert_row (JsonObject *r, gint64 views, gint64 viewers, double watch_s, double fraction,
            double completion)
{
  g_assert_cmpint (json_object_get_int_member (r, "views"), ==, views);
  g_assert_cmpint (json_object_get_int_member (r, "unique_viewers"), ==, viewers);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (r, "watch_hours"), watch_s / 3600,
                                  1e-4);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (r, "average_fraction"), fraction,
                                  1e-4);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (r, "completion_rate"), completion,
                                  1e-4);
}

static double
retention (JsonObject *r, guint k)
{
  return json_array_get_double_element (json_object_get_array_member (r, "retention"), k);
}

/* Every figure of the event set, from whatever storage the figures come from. */
static void
check_figures (Fixture *f)
{
  g_autoptr (JsonNode) items = analytics (f, "items"), total = analytics (f, "total");
  g_autoptr (JsonNode) courses = analytics (f, "courses"), kinds = analytics (f, "kinds");
  g_autoptr (JsonNode) cats = analytics (f, "categories"), comm = analytics (f, "communities");
  g_autoptr (JsonNode) pop = analytics (f, "population"), days = analytics (f, "days");
  JsonObject *a = row_of (items, f->items[0]), *b = row_of (items, f->items[1]);
  JsonObject *p;

  /* A (100 s): S1 watched all (100 s, complete), S2 0-25 then 25-45 after a
   * pause (45 s, 0.45), S3 0-10 then a seek to 80 and 80-98 (28 s, 0.28,
   * reach 98). Views 3, viewers 3, 173 s, fraction 1.73 / 3, 1 of 3 complete. */
  assert_row (a, 3, 3, 173, 1.73 / 3, 1.0 / 3);
  g_assert_cmpstr (json_object_get_string_member (a, "label"), ==, "书法第一课");
  /* reach 100, 45, 98: 3 up to 45 %, 2 from 50 % to 95 %, 1 at 100 % */
  g_assert_cmpfloat (retention (a, 0), ==, 1);
  g_assert_cmpfloat (retention (a, 9), ==, 1);
  g_assert_cmpfloat_with_epsilon (retention (a, 10), 2.0 / 3, 1e-4);
  g_assert_cmpfloat_with_epsilon (retention (a, 19), 2.0 / 3, 1e-4);
  g_assert_cmpfloat_with_epsilon (retention (a, 20), 1.0 / 3, 1e-4);
  /* B (200 s): S4 all (complete), S6 jumped 0→150 in 5 s (not watched), then
   * 150-160: 10 s, 0.05, reach 160 (80 %). */
  assert_row (b, 2, 2, 210, 1.05 / 2, 0.5);
  g_assert_cmpfloat (retention (b, 16), ==, 1);
  g_assert_cmpfloat (retention (b, 17), ==, 0.5);
  /* H (50 s): S5 all. Total: 6 views, 4 viewers, 433 s, 3 complete. */
  assert_row (row_of (total, "all"), 6, 4, 433, (1.73 + 1.05 + 1) / 6, 0.5);
  assert_row (row_of (courses, "7"), 3, 3, 173, 1.73 / 3, 1.0 / 3);
  g_assert_cmpstr (json_object_get_string_member (row_of (courses, "7"), "label"), ==, "书法入门");
  assert_row (row_of (kinds, "lesson"), 3, 3, 173, 1.73 / 3, 1.0 / 3);
  assert_row (row_of (kinds, "performance"), 2, 2, 210, 0.525, 0.5);
  assert_row (row_of (kinds, "heritage"), 1, 1, 50, 1, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (cats), "rows")), ==, 1);
  assert_row (row_of (cats, "traditional_drama"), 1, 1, 50, 1, 1);
  /* east: S1, S2, S4 (v1, v2); west: S3, S6 (v3, v4); none: S5 (v2) */
  assert_row (row_of (comm, "east"), 3, 2, 345, (1 + 0.45 + 1) / 3, 2.0 / 3);
  assert_row (row_of (comm, "west"), 2, 2, 38, (0.28 + 0.05) / 2, 0);
  assert_row (row_of (comm, ""), 1, 1, 50, 1, 1);
  /* by the day of each session's first event: S1 and S2 on the 1st, S6 the 2nd, S3 the 4th,
   * S4 the 6th, S5 the 21st */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (days), "rows")), ==, 5);
  assert_row (row_of (days, "2026-10-01"), 2, 2, 145, 1.45 / 2, 0.5);
  assert_row (row_of (days, "2026-10-21"), 1, 1, 50, 1, 1);
  /* v1 back on day 5 (within 7 and 30), v2 on day 20 (within 30), v3 and v4
   * never; residents: resident1 on days 0 and 5, resident2 on day 1 */
  p = json_object_get_object_member (obj (pop), "population");
  g_assert_cmpint (json_object_get_int_member (p, "active_viewers"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (p, "returning_7d"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (p, "returning_30d"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (p, "active_residents"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (p, "resident_visits"), ==, 3);
  g_assert_cmpfloat (json_object_get_double_member (p, "visits_per_active_resident_per_month"), ==,
                     1.5);
}

static gpointer
fold_all (gpointer conn, gpointer data, GError **error)
{
  gint64 n = yg_analytics_compact (conn, D0 + 100, error);
  return n < 0 ? NULL : GSIZE_TO_POINTER ((gsize) n + 1);
}

static void
test_figures (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonNode) doc = NULL;

  load_events (f);
  check_figures (f);
  /* folded into daily rows, raw rows gone: the same answers */
  g_assert_cmpuint (GPOINTER_TO_SIZE (yg_test_server_db_sync (f->ts, fold_all, NULL)) - 1, ==,
                    G_N_ELEMENTS (events));
  g_assert_cmpint (number (f, "SELECT count (*) FROM heartbeats"), ==, 0);
  /* (day, item, community): S1 and S2 share one row */
  g_assert_cmpint (number (f, "SELECT count (*) FROM analytics_daily"), ==, 5);
  check_figures (f);
  /* refusals */
  g_assert_cmpuint (call (f, NULL, "GET", "/api/v1/analytics/items", NULL, NULL, NULL), ==, 401);
  g_assert_cmpuint (call (f, NULL, "GET", "/api/v1/analytics/planets", f->staff, NULL, NULL), ==,
                    404);
  g_assert_cmpuint (call (f, NULL, "GET", "/api/v1/analytics/items?from=2026-02-30", f->staff, NULL,
                          &doc),
                    ==, 400);
  g_assert_cmpuint (call (f, NULL, "GET", "/api/v1/analytics/items?from=2020-01-01&to=2026-01-01",
                          f->staff, NULL, NULL),
                    ==, 400);
  g_assert_cmpuint (call (f, NULL, "GET", "/api/v1/analytics/items?sort=views", f->staff, NULL,
                          NULL),
                    ==, 400);
}

/* --- the monthly report -------------------------------------------------------------------- */

static void
test_report (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonNode) report = NULL, total = NULL;
  g_autoptr (YgTestResponse) csv = NULL;
  g_autofree char *dir = NULL, *exe = NULL, *out = NULL, *err = NULL, *ratings = NULL;
  JsonObject *viewing, *score, *t;
  JsonArray *indicators;
  double sum = 0;

  load_events (f);
  /* answers after 2 h, 4 h and 10 h: median 4 h; ratings 5 and 4 in October */
  sql (f, "INSERT INTO demands (kind, title, status, created_at, answered_at) VALUES"
          " ('course', 'a', 'scheduled', 1790900000, 1790900000 + 7200),"
          " ('course', 'b', 'declined', 1790900000, 1790900000 + 14400),"
          " ('course', 'c', 'scheduled', 1790900000, 1790900000 + 36000)");
  ratings = g_strdup_printf (
      "INSERT INTO ratings (target_type, target_id, user_id, stars, created_at, updated_at) VALUES"
      " ('item', '%s', %" G_GINT64_FORMAT ", 5, 1790900000, 1790900000),"
      " ('item', '%s', %" G_GINT64_FORMAT ", 4, 1790900000, 1790900000)",
      f->items[1], f->users[0], f->items[1], f->users[1]);
  sql (f, ratings);
  g_assert_cmpuint (call (f, NULL, "GET", "/api/v1/reports/2026-10.json", f->staff, NULL, &report),
                    ==, 200);
  total = analytics (f, "total");
  t = row_of (total, "all");
  viewing = json_object_get_object_member (obj (report), "viewing");
  /* the report's viewing figures are the analytics API's */
  g_assert_cmpint (json_object_get_int_member (viewing, "views"), ==,
                   json_object_get_int_member (t, "views"));
  g_assert_cmpint (json_object_get_int_member (viewing, "unique_viewers"), ==, 4);
  g_assert_cmpfloat (json_object_get_double_member (viewing, "watch_hours"), ==,
                     json_object_get_double_member (t, "watch_hours"));
  g_assert_cmpfloat (json_object_get_double_member (viewing, "completion_rate"), ==,
                     json_object_get_double_member (t, "completion_rate"));
  g_assert_cmpint (json_object_get_int_member (obj (report), "unique_residents"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (
                       json_array_get_object_element (
                           json_object_get_array_member (obj (report), "top_items"), 0), "key"),
                   ==, f->items[0]);
  g_assert_cmpfloat_with_epsilon (
      json_object_get_double_member (json_object_get_object_member (obj (report), "content_hours"),
                                     "total"),
      350.0 / 3600, 1e-4);
  g_assert_cmpfloat (json_object_get_double_member (
                         json_object_get_object_member (obj (report), "requests"),
                         "median_response_hours"),
                     ==, 4);
  g_assert_cmpfloat (json_object_get_double_member (
                         json_object_get_object_member (obj (report), "satisfaction"), "average"),
                     ==, 4.5);
  {
    JsonObject *sat = json_object_get_object_member (obj (report), "satisfaction");
    JsonObject *dist = json_object_get_object_member (sat, "distribution");
    g_assert_cmpint (json_object_get_int_member (dist, "5"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (dist, "4"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (dist, "1"), ==, 0);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (report), "daily")),
                      ==, 5);
  }
  score = json_object_get_object_member (obj (report), "score");
  indicators = json_object_get_array_member (score, "indicators");
  g_assert_cmpuint (json_array_get_length (indicators), ==, 7);
  for (guint i = 0; i < json_array_get_length (indicators); i++)
    {
      JsonObject *ind = json_array_get_object_element (indicators, i);
      const char *name = json_object_get_string_member (ind, "name");

      sum += json_object_get_double_member (ind, "points");
      if (g_str_equal (name, "satisfaction"))
        g_assert_cmpfloat (json_object_get_double_member (ind, "points"), ==, 20); /* 4.5 of 4.5 */
      else if (g_str_equal (name, "request_response_days"))
        g_assert_cmpfloat (json_object_get_double_member (ind, "points"), ==, 10); /* 4 h < 7 d */
      else if (g_str_equal (name, "completion_rate"))
        g_assert_cmpfloat (json_object_get_double_member (ind, "points"), ==, 10); /* 0.5 of 0.5 */
      else if (g_str_equal (name, "course_completions"))
        g_assert_cmpfloat (json_object_get_double_member (ind, "points"), ==, 0);
    }
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (score, "total"), sum, 1e-3);
  g_assert_cmpfloat (json_object_get_double_member (score, "pass_line"), ==, 85);
  g_assert_false (json_object_get_boolean_member (score, "passed"));
  /* the CSV of the API and of `yunguan report` are the same text */
  csv = yg_test_request (f->ts->port, NULL, "GET", "/api/v1/reports/2026-10.csv", f->staff, NULL);
  g_assert_cmpuint (csv->status, ==, 200);
  g_assert_nonnull (strstr (csv->body, "\nindicator,satisfaction,,4.5000,4.5000,20.0000,20.0000\n"));
  g_assert_cmpuint (call (f, NULL, "GET", "/api/v1/reports/2026-13", f->staff, NULL, NULL), ==, 404);
  g_assert_cmpuint (call (f, NULL, "GET", "/api/v1/reports/2026-10.xml", f->staff, NULL, NULL), ==,
                    404);
  dir = yg_test_server_stop_keeping_data (f->ts);
  f->ts = NULL;
  exe = yg_test_binary ();
  {
    const char *argv[] = { exe, "report", "--data", dir, "--month", "2026-10", "--format", "csv",
                           NULL };
    g_assert_true (yg_test_spawn (argv, &out, &err));
  }
  g_assert_cmpstr (out, ==, g_strstrip (csv->body)); /* yg_test_spawn strips the output */
  {
    const char *argv[] = { exe, "report", "--data", dir, "--month", "2026-10", "--format", "html",
                           NULL };
    g_autofree char *html = NULL, *err2 = NULL;
    g_assert_true (yg_test_spawn (argv, &html, &err2));
    g_assert_nonnull (strstr (html, "<table>"));
  }
  {
    const char *argv[] = { exe, "report", "--data", dir, "--month", "October", NULL };
    g_autofree char *o = NULL, *e = NULL;
    g_assert_false (yg_test_spawn (argv, &o, &e));
  }
  yg_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Player heartbeats, viewing analytics with known answers and the monthly report");
#define ADD(path, fn) g_test_add ("/analytics/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("heartbeats/accepted", test_accepted);
  ADD ("heartbeats/refused", test_refused);
  ADD ("heartbeats/flood", test_flood);
  ADD ("figures/known-answers", test_figures);
  ADD ("report/agrees", test_report);
  return g_test_run ();
}

/* courses-test.c: courses, outlines, enrolment, viewing progress and
 * completion over real HTTP against a real catalogue.
 *
 * Covered: a course's create → read → change → outline → reorder → delete
 * round trip with the order of chapters and lessons kept; outline refusals
 * (unknown item, an item that is not a lesson, a lesson already in another
 * course, a lesson listed twice, bad shapes) → 400 "invalid" naming
 * chapters[i].lessons[j] with the outline unchanged; course visibility ×
 * caller (anonymous, resident cookie, staff token) for reading and listing
 * (unlisted never listed); enrolment idempotent both ways, 403 for a token,
 * 404 for a course the caller may not see; progress saved and resumed,
 * refused positions (400), 404 for an item the caller may not see, 403 for a
 * token; a burst of 100 PUTs costing at most a few writes (the progress
 * row's write counter, before and after the coalescing interval); a report
 * still held in memory written by a clean stop; lesson and
 * course completion exactly at the course threshold; "continue learning"
 * ordered by the latest activity with the next lesson and its resume
 * position. Suite: http.
 */
#include <json-glib/json-glib.h>

#include "yg-item-store.h"
#include "yg-routes.h"
#include "yg-test-server.h"
#include "yg-user-store.h"

#define PASSWORD "correct horse battery"

typedef struct
{
  YgTestServer *ts;
  char *staff;     /* header lines */
  char *resident;
  char *resident2;
} Fixture;

/* --- helpers ------------------------------------------------------------------------------ */

static gpointer
exec_sql (gpointer conn, gpointer data, GError **error)
{
  return yg_db_conn_exec (conn, data, error) ? GINT_TO_POINTER (1) : NULL;
}

static void
sql (Fixture *f, const char *statement)
{
  yg_test_server_db_sync (f->ts, exec_sql, (gpointer) statement);
}

static gpointer
query_int (gpointer conn, gpointer data, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn, data, error);
  gint64 n = -1;

  if (s == NULL)
    return NULL;
  if (yg_db_conn_step (conn, s, error) == SQLITE_ROW)
    n = sqlite3_column_int64 (s, 0);
  sqlite3_reset (s);
  return GINT_TO_POINTER ((int) n + 2); /* never NULL */
}

static gint64
number (Fixture *f, const char *statement)
{
  return GPOINTER_TO_INT (yg_test_server_db_sync (f->ts, query_int, (gpointer) statement)) - 2;
}

typedef struct
{
  const char *kind;
  const char *title;
  const char *visibility;
  double duration;
  char *id;
} NewItem;

static gpointer
insert_item (gpointer conn, gpointer data, GError **error)
{
  NewItem *n = data;
  g_autofree char *id = yg_item_store_insert (conn, NULL, n->kind, n->title, "", error);
  g_autofree char *update = NULL;

  if (id == NULL
      || !yg_item_store_set_visibility (conn, id, yg_visibility_from_string (n->visibility), error))
    return NULL;
  update = g_strdup_printf ("UPDATE items SET duration = %g WHERE id = '%s'", n->duration, id);
  if (n->duration > 0 && !yg_db_conn_exec (conn, update, error))
    return NULL;
  n->id = g_steal_pointer (&id);
  return n;
}

static char *
item (Fixture *f, const char *kind, const char *title, const char *visibility, double duration)
{
  NewItem n = { kind, title, visibility, duration, NULL };

  yg_test_server_db_sync (f->ts, insert_item, &n);
  return n.id;
}

static gpointer
add_user (gpointer conn, gpointer data, GError **error)
{
  return yg_user_store_create (conn, data, data, YG_ROLE_RESIDENT, PASSWORD, error) > 0
           ? GINT_TO_POINTER (1)
           : NULL;
}

static JsonObject *
json_of (YgTestResponse *r, JsonNode **owner)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (p, r->body, r->body_len, &error);
  g_assert_no_error (error);
  *owner = json_node_copy (json_parser_get_root (p));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (*owner));
  return json_node_get_object (*owner);
}

/* Signs a new resident in: "Cookie: …\r\nX-CSRF-Token: …\r\n". */
static char *
sign_in (Fixture *f, const char *name)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"" PASSWORD "\"}", name);
  g_autoptr (YgTestResponse) r = NULL;
  g_autoptr (JsonNode) owner = NULL;
  g_autofree char *set = NULL;

  yg_test_server_db_sync (f->ts, add_user, (gpointer) name);
  r = yg_test_request (f->ts->port, NULL, "POST", "/api/v1/session",
                       "Content-Type: application/json\r\n", body);
  g_assert_cmpuint (r->status, ==, 200);
  set = yg_test_response_header (r, "Set-Cookie", 0);
  return g_strdup_printf ("Cookie: %.*s\r\nX-CSRF-Token: %s\r\n", (int) strcspn (set, ";"), set,
                          json_object_get_string_member (json_of (r, &owner), "csrf_token"));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *token = NULL;

  f->ts = yg_test_server_start (NULL, yg_routes, yg_n_routes);
  token = yg_test_server_token (f->ts, "staff");
  f->staff = g_strdup_printf ("Authorization: Bearer %s\r\n", token);
  f->resident = sign_in (f, "xiaoming");
  f->resident2 = sign_in (f, "xiaohong");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  yg_test_server_stop (f->ts);
  g_free (f->staff);
  g_free (f->resident);
  g_free (f->resident2);
}

/* A request with a JSON body (or none); the answer's status and document. */
static guint
call (Fixture *f, const char *method, const char *path, const char *who, const char *body,
      JsonNode **doc)
{
  g_autofree char *headers = g_strdup_printf ("%s%s", body ? "Content-Type: application/json\r\n" : "",
                                              who ? who : "");
  g_autoptr (YgTestResponse) r = yg_test_request (f->ts->port, NULL, method, path, headers, body);

  if (doc != NULL)
    {
      *doc = NULL;
      if (r->body_len > 0)
        json_of (r, doc);
    }
  return r->status;
}

static JsonObject *
obj (JsonNode *n)
{
  return json_node_get_object (n);
}

static gint64
create_course (Fixture *f, const char *body)
{
  g_autoptr (JsonNode) doc = NULL;

  g_assert_cmpuint (call (f, "POST", "/api/v1/courses", f->staff, body, &doc), ==, 201);
  return json_object_get_int_member (obj (doc), "id");
}

static void
put_outline (Fixture *f, gint64 id, const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/courses/%" G_GINT64_FORMAT "/outline", id);
  g_autoptr (JsonNode) doc = NULL;
  guint status = call (f, "PUT", path, f->staff, body, &doc);

  if (status != 200)
    g_error ("outline refused: %s", json_to_string (doc, FALSE));
}

/* "title:id,id|title:id" for the course's outline as @who sees it. */
static char *
outline_of (Fixture *f, gint64 id, const char *who)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/courses/%" G_GINT64_FORMAT, id);
  g_autoptr (JsonNode) doc = NULL;
  GString *s = g_string_new ("");
  JsonArray *chapters;

  g_assert_cmpuint (call (f, "GET", path, who, NULL, &doc), ==, 200);
  chapters = json_object_get_array_member (obj (doc), "chapters");
  for (guint i = 0; i < json_array_get_length (chapters); i++)
    {
      JsonObject *ch = json_array_get_object_element (chapters, i);
      JsonArray *lessons = json_object_get_array_member (ch, "lessons");
      g_string_append_printf (s, "%s%s:", i ? "|" : "", json_object_get_string_member (ch, "title"));
      for (guint j = 0; j < json_array_get_length (lessons); j++)
        g_string_append_printf (s, "%s%s", j ? "," : "",
                                json_object_get_string_member (
                                  json_array_get_object_element (lessons, j), "id"));
    }
  return g_string_free (s, FALSE);
}

static void
progress (Fixture *f, const char *who, const char *item_id, double position, double duration)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/progress/%s", item_id);
  g_autofree char *body = g_strdup_printf ("{\"position\":%.3f,\"duration\":%.3f}", position,
                                           duration);

  g_assert_cmpuint (call (f, "PUT", path, who, body, NULL), ==, 204);
}

/* --- tests -------------------------------------------------------------------------------- */

static void
test_crud (Fixture *f, gconstpointer data)
{
  g_autofree char *a = item (f, "lesson", "第一课 握笔", "public", 600);
  g_autofree char *b = item (f, "lesson", "第二课 横画", "public", 700);
  g_autofree char *c = item (f, "lesson", "第三课 竖画", "public", 800);
  g_autofree char *outline = NULL, *expected = NULL, *body = NULL, *path = NULL;
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (JsonNode) list = NULL;
  gint64 id;

  id = create_course (f, "{\"title\":\"书法入门\",\"description\":\"从握笔开始\","
                         "\"teacher\":\"王老师\",\"level\":\"beginner\","
                         "\"completion_threshold\":0.75}");
  path = g_strdup_printf ("/api/v1/courses/%" G_GINT64_FORMAT, id);
  g_assert_cmpuint (call (f, "GET", path, NULL, NULL, &doc), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (obj (doc), "title"), ==, "书法入门");
  g_assert_cmpstr (json_object_get_string_member (obj (doc), "teacher"), ==, "王老师");
  g_assert_cmpstr (json_object_get_string_member (obj (doc), "level_label"), ==, "入门");
  g_assert_cmpstr (json_object_get_string_member (obj (doc), "visibility"), ==, "public");
  g_assert_cmpfloat (json_object_get_double_member (obj (doc), "completion_threshold"), ==, 0.75);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (doc), "chapters")), ==, 0);
  g_clear_pointer (&doc, json_node_unref);

  /* default threshold */
  {
    gint64 other = create_course (f, "{\"title\":\"默认\"}");
    g_autofree char *p2 = g_strdup_printf ("/api/v1/courses/%" G_GINT64_FORMAT, other);
    g_assert_cmpuint (call (f, "GET", p2, NULL, NULL, &doc), ==, 200);
    g_assert_cmpfloat (json_object_get_double_member (obj (doc), "completion_threshold"), ==, 0.9);
    g_assert_cmpstr (json_object_get_string_member (obj (doc), "level"), ==, "beginner");
    g_clear_pointer (&doc, json_node_unref);
  }

  g_assert_cmpuint (call (f, "PATCH", path, f->staff, "{\"level\":\"advanced\",\"teacher\":\"李老师\"}",
                          &doc), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (obj (doc), "level_label"), ==, "提高");
  g_assert_cmpstr (json_object_get_string_member (obj (doc), "teacher"), ==, "李老师");
  g_assert_cmpstr (json_object_get_string_member (obj (doc), "title"), ==, "书法入门");
  g_clear_pointer (&doc, json_node_unref);

  body = g_strdup_printf ("{\"chapters\":[{\"title\":\"基础\",\"lessons\":[\"%s\",\"%s\"]},"
                          "{\"title\":\"笔画\",\"lessons\":[\"%s\"]}]}", b, a, c);
  put_outline (f, id, body);
  outline = outline_of (f, id, NULL);
  expected = g_strdup_printf ("基础:%s,%s|笔画:%s", b, a, c);
  g_assert_cmpstr (outline, ==, expected);
  g_free (body), g_free (outline), g_free (expected);

  /* replaced as a whole: reordered, one chapter, one lesson dropped */
  body = g_strdup_printf ("{\"chapters\":[{\"title\":\"全部\",\"lessons\":[\"%s\",\"%s\"]}]}", c, a);
  put_outline (f, id, body);
  outline = outline_of (f, id, NULL);
  expected = g_strdup_printf ("全部:%s,%s", c, a);
  g_assert_cmpstr (outline, ==, expected);
  g_assert_cmpint (number (f, "SELECT count(*) FROM course_lessons"), ==, 2);
  g_assert_cmpint (number (f, "SELECT count(*) FROM course_chapters"), ==, 1);

  g_assert_cmpuint (call (f, "GET", "/api/v1/courses", NULL, NULL, &list), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (list), "courses")), ==, 2);
  g_assert_cmpint (json_object_get_int_member (
                     json_array_get_object_element (json_object_get_array_member (obj (list), "courses"), 0),
                     "lesson_count"), ==, 2);

  /* bad course bodies */
  g_assert_cmpuint (call (f, "POST", "/api/v1/courses", f->staff, "{\"description\":\"x\"}", &doc), ==, 400);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (obj (doc), "error"), "field"), ==, "title");
  g_clear_pointer (&doc, json_node_unref);
  g_assert_cmpuint (call (f, "PATCH", path, f->staff, "{\"completion_threshold\":0.4}", &doc), ==, 400);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (obj (doc), "error"), "field"), ==, "completion_threshold");
  g_clear_pointer (&doc, json_node_unref);
  g_assert_cmpuint (call (f, "PATCH", path, f->staff, "{\"level\":\"expert\"}", &doc), ==, 400);
  g_clear_pointer (&doc, json_node_unref);
  g_assert_cmpuint (call (f, "PATCH", path, f->staff, "{\"colour\":\"red\"}", &doc), ==, 400);
  g_clear_pointer (&doc, json_node_unref);
  /* an item's poster as the cover; null clears it */
  {
    g_autofree char *cover = item (f, "performance", "封面", "public", 10);
    g_autofree char *row = g_strdup_printf ("INSERT INTO item_files (item_id, role, path)"
                                            " VALUES ('%s', 'poster', 'media/%s/poster.jpg')", cover, cover);
    g_autofree char *patch = g_strdup_printf ("{\"cover_item\":\"%s\"}", cover);
    g_autofree char *want = g_strdup_printf ("/hls/%s/poster.jpg", cover);

    sql (f, row);
    g_assert_cmpuint (call (f, "PATCH", path, f->staff, patch, &doc), ==, 200);
    g_assert_cmpstr (json_object_get_string_member (obj (doc), "cover_item"), ==, cover);
    g_assert_cmpstr (json_object_get_string_member (obj (doc), "cover_url"), ==, want);
    g_clear_pointer (&doc, json_node_unref);
    g_assert_cmpuint (call (f, "PATCH", path, f->staff, "{\"cover_item\":null}", &doc), ==, 200);
    g_assert_true (json_object_get_null_member (obj (doc), "cover_url"));
    g_clear_pointer (&doc, json_node_unref);
  }
  g_assert_cmpuint (call (f, "PATCH", path, f->staff, "{\"cover_item\":\"nosuchitem\"}", &doc), ==, 400);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (obj (doc), "error"), "field"), ==, "cover_item");
  g_clear_pointer (&doc, json_node_unref);
  g_assert_cmpuint (call (f, "POST", "/api/v1/courses", NULL, "{\"title\":\"x\"}", NULL), ==, 401);
  g_assert_cmpuint (call (f, "POST", "/api/v1/courses", f->resident, "{\"title\":\"x\"}", NULL), ==, 403);

  g_assert_cmpuint (call (f, "DELETE", path, f->staff, NULL, NULL), ==, 200);
  g_assert_cmpuint (call (f, "GET", path, NULL, NULL, NULL), ==, 404);
  g_assert_cmpuint (call (f, "DELETE", path, f->staff, NULL, NULL), ==, 404);
  g_assert_cmpint (number (f, "SELECT count(*) FROM course_lessons"), ==, 0);
  g_assert_cmpint (number (f, "SELECT count(*) FROM items WHERE kind = 'lesson'"), ==, 3);
}

/* @template with @A, @B, @T and @P replaced. */
static char *
fill (const char *template, const char *a, const char *b, const char *t, const char *p)
{
  const char *const keys[] = { "@A", "@B", "@T", "@P" };
  const char *const values[] = { a, b, t, p };
  GString *s = g_string_new (template);

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_string_replace (s, keys[i], values[i], 0);
  return g_string_free (s, FALSE);
}

static void
test_outline_invalid (Fixture *f, gconstpointer data)
{
  g_autofree char *a = item (f, "lesson", "甲", "public", 60);
  g_autofree char *b = item (f, "lesson", "乙", "public", 60);
  g_autofree char *taken = item (f, "lesson", "丙", "public", 60);
  g_autofree char *perf = item (f, "performance", "演出", "public", 60);
  g_autofree char *good = NULL, *before = NULL, *path = NULL, *setup = NULL;
  gint64 id = create_course (f, "{\"title\":\"课程\"}");
  gint64 other = create_course (f, "{\"title\":\"另一门\"}");
  const struct
  {
    const char *body; /* @A a, @B b, @T taken, @P perf */
    const char *field;
  } cases[] = {
    { "{\"chapters\":[{\"title\":\"一\",\"lessons\":[\"@A\",\"nosuchitem000000\"]}]}", "chapters[0].lessons[1]" },
    { "{\"chapters\":[{\"title\":\"一\",\"lessons\":[\"@A\"]},{\"title\":\"二\",\"lessons\":[\"@P\"]}]}", "chapters[1].lessons[0]" },
    { "{\"chapters\":[{\"title\":\"一\",\"lessons\":[\"@T\"]}]}", "chapters[0].lessons[0]" },
    { "{\"chapters\":[{\"title\":\"一\",\"lessons\":[\"@A\"]},{\"title\":\"二\",\"lessons\":[\"@B\",\"@A\"]}]}", "chapters[1].lessons[1]" },
    { "{\"chapters\":[{\"lessons\":[\"@A\"]}]}", "chapters[0].title" },
    { "{\"chapters\":[{\"title\":\"\",\"lessons\":[]}]}", "chapters[0].title" },
    { "{\"chapters\":[{\"title\":\"一\",\"lessons\":[42]}]}", "chapters[0].lessons[0]" },
    { "{\"chapters\":[{\"title\":\"一\"}]}", "chapters[0].lessons" },
    { "{\"chapters\":{}}", "chapters" },
    { "{\"chapters\":[],\"extra\":1}", "extra" },
    { "{\"chapters\":[{\"title\":\"一\",\"lessons\":[],\"x\":1}]}", "chapters[0].x" },
  };

  setup = g_strdup_printf ("{\"chapters\":[{\"title\":\"别处\",\"lessons\":[\"%s\"]}]}", taken);
  put_outline (f, other, setup);
  good = g_strdup_printf ("{\"chapters\":[{\"title\":\"原样\",\"lessons\":[\"%s\"]}]}", b);
  put_outline (f, id, good);
  before = outline_of (f, id, NULL);
  path = g_strdup_printf ("/api/v1/courses/%" G_GINT64_FORMAT "/outline", id);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = NULL;
      g_autofree char *after = NULL;
      g_autoptr (JsonNode) doc = NULL;
      JsonObject *err;

      body = fill (cases[i].body, a, b, taken, perf);
      g_test_message ("case %u: %s", i, body);
      g_assert_cmpuint (call (f, "PUT", path, f->staff, body, &doc), ==, 400);
      err = json_object_get_object_member (obj (doc), "error");
      g_assert_cmpstr (json_object_get_string_member (err, "code"), ==, "invalid");
      g_assert_cmpstr (json_object_get_string_member (err, "field"), ==, cases[i].field);
      after = outline_of (f, id, NULL);
      g_assert_cmpstr (after, ==, before);
    }
  g_assert_cmpint (number (f, "SELECT count(*) FROM course_lessons"), ==, 2);
  g_assert_cmpuint (call (f, "PUT", "/api/v1/courses/999/outline", f->staff, good, NULL), ==, 404);
}

static void
test_visibility (Fixture *f, gconstpointer data)
{
  static const char *const vis[] = { "public", "residents", "unlisted", "staff" };
  /* may_see[visibility][caller]: anonymous, resident, staff */
  static const gboolean may_see[4][3] = { { 1, 1, 1 }, { 0, 1, 1 }, { 1, 1, 1 }, { 0, 0, 1 } };
  gint64 ids[4];
  const char *who[3] = { NULL, f->resident, f->staff };
  g_autofree char *hidden = item (f, "lesson", "员工课", "staff", 60);
  g_autofree char *open = item (f, "lesson", "公开课", "public", 60);
  g_autofree char *body = NULL;

  for (guint v = 0; v < 4; v++)
    {
      g_autofree char *b = g_strdup_printf ("{\"title\":\"%s 课程\",\"visibility\":\"%s\"}", vis[v], vis[v]);
      ids[v] = create_course (f, b);
    }
  body = g_strdup_printf ("{\"chapters\":[{\"title\":\"一\",\"lessons\":[\"%s\",\"%s\"]}]}", open, hidden);
  put_outline (f, ids[0], body);
  for (guint c = 0; c < 3; c++)
    {
      g_autoptr (JsonNode) list = NULL;
      JsonArray *courses;
      gboolean listed[4] = { FALSE };

      for (guint v = 0; v < 4; v++)
        {
          g_autofree char *path = g_strdup_printf ("/api/v1/courses/%" G_GINT64_FORMAT, ids[v]);
          g_autofree char *enrol = g_strdup_printf ("%s/enrolment", path);
          g_test_message ("%s course, caller %u", vis[v], c);
          g_assert_cmpuint (call (f, "GET", path, who[c], NULL, NULL), ==, may_see[v][c] ? 200 : 404);
          if (c == 1)
            g_assert_cmpuint (call (f, "POST", enrol, who[c], NULL, NULL), ==, may_see[v][c] ? 200 : 404);
        }
      g_assert_cmpuint (call (f, "GET", "/api/v1/courses", who[c], NULL, &list), ==, 200);
      courses = json_object_get_array_member (obj (list), "courses");
      for (guint i = 0; i < json_array_get_length (courses); i++)
        {
          gint64 id = json_object_get_int_member (json_array_get_object_element (courses, i), "id");
          for (guint v = 0; v < 4; v++)
            if (ids[v] == id)
              listed[v] = TRUE;
        }
      for (guint v = 0; v < 4; v++)
        g_assert_cmpint (listed[v], ==, may_see[v][c] && v != 2);
    }
  /* a lesson the caller may not see is left out of the outline */
  {
    g_autofree char *anon = outline_of (f, ids[0], NULL);
    g_autofree char *staff = outline_of (f, ids[0], f->staff);
    g_autofree char *want_anon = g_strdup_printf ("一:%s", open);
    g_autofree char *want_staff = g_strdup_printf ("一:%s,%s", open, hidden);
    g_assert_cmpstr (anon, ==, want_anon);
    g_assert_cmpstr (staff, ==, want_staff);
  }
}

static void
test_enrolment (Fixture *f, gconstpointer data)
{
  gint64 id = create_course (f, "{\"title\":\"太极\"}");
  g_autofree char *path = g_strdup_printf ("/api/v1/courses/%" G_GINT64_FORMAT "/enrolment", id);
  g_autofree char *course = g_strdup_printf ("/api/v1/courses/%" G_GINT64_FORMAT, id);
  g_autoptr (JsonNode) doc = NULL;

  g_assert_cmpuint (call (f, "GET", course, f->resident, NULL, &doc), ==, 200);
  g_assert_false (json_object_get_boolean_member (obj (doc), "enrolled"));
  g_clear_pointer (&doc, json_node_unref);
  g_assert_cmpuint (call (f, "POST", path, f->resident, NULL, &doc), ==, 200);
  g_assert_true (json_object_get_boolean_member (obj (doc), "enrolled"));
  g_clear_pointer (&doc, json_node_unref);
  g_assert_cmpuint (call (f, "POST", path, f->resident, NULL, NULL), ==, 200);
  g_assert_cmpint (number (f, "SELECT count(*) FROM enrolments"), ==, 1);
  g_assert_cmpuint (call (f, "POST", path, f->resident2, NULL, NULL), ==, 200);
  g_assert_cmpint (number (f, "SELECT count(*) FROM enrolments"), ==, 2);
  g_assert_cmpuint (call (f, "DELETE", path, f->resident, NULL, NULL), ==, 200);
  g_assert_cmpuint (call (f, "DELETE", path, f->resident, NULL, NULL), ==, 200);
  g_assert_cmpint (number (f, "SELECT count(*) FROM enrolments"), ==, 1);
  g_assert_cmpuint (call (f, "GET", course, f->resident, NULL, &doc), ==, 200);
  g_assert_false (json_object_get_boolean_member (obj (doc), "enrolled"));

  g_assert_cmpuint (call (f, "POST", path, NULL, NULL, NULL), ==, 401);
  g_assert_cmpuint (call (f, "POST", path, f->staff, NULL, NULL), ==, 403); /* a token is nobody */
  g_assert_cmpuint (call (f, "POST", "/api/v1/courses/999/enrolment", f->resident, NULL, NULL), ==, 404);
  /* without the CSRF token */
  {
    g_autofree char *cookie_only = g_strndup (f->resident, strstr (f->resident, "X-CSRF") - f->resident);
    g_assert_cmpuint (call (f, "POST", path, cookie_only, NULL, NULL), ==, 403);
  }
}

static void
test_progress (Fixture *f, gconstpointer data)
{
  g_autofree char *lesson = item (f, "lesson", "第一课", "public", 300);
  g_autofree char *secret = item (f, "lesson", "内部", "staff", 300);
  g_autofree char *path = g_strdup_printf ("/api/v1/progress/%s", lesson);
  g_autofree char *secret_path = g_strdup_printf ("/api/v1/progress/%s", secret);
  g_autoptr (JsonNode) doc = NULL;
  static const struct
  {
    const char *body;
    const char *field;
  } bad[] = {
    { "{\"position\":-1,\"duration\":300}", "position" },
    { "{\"position\":306,\"duration\":300}", "position" },
    { "{\"position\":10,\"duration\":0}", "duration" },
    { "{\"position\":\"10\",\"duration\":300}", "position" },
    { "{\"duration\":300}", "position" },
    { "{\"position\":10}", "duration" },
    { "{\"position\":10,\"duration\":300,\"speed\":2}", "speed" },
    { "{\"position\":1e400,\"duration\":300}", NULL },
  };

  g_assert_cmpuint (call (f, "GET", path, f->resident, NULL, &doc), ==, 200);
  g_assert_false (json_object_get_boolean_member (obj (doc), "saved"));
  g_assert_cmpfloat (json_object_get_double_member (obj (doc), "position"), ==, 0);
  g_clear_pointer (&doc, json_node_unref);

  progress (f, f->resident, lesson, 42.5, 300);
  g_assert_cmpuint (call (f, "GET", path, f->resident, NULL, &doc), ==, 200);
  g_assert_true (json_object_get_boolean_member (obj (doc), "saved"));
  g_assert_cmpfloat (json_object_get_double_member (obj (doc), "position"), ==, 42.5);
  g_clear_pointer (&doc, json_node_unref);
  /* a position a little past the end is the end */
  progress (f, f->resident, lesson, 303, 300);
  g_assert_cmpuint (call (f, "GET", path, f->resident, NULL, &doc), ==, 200);
  g_assert_cmpfloat (json_object_get_double_member (obj (doc), "position"), ==, 300);
  g_clear_pointer (&doc, json_node_unref);
  /* another account has its own */
  g_assert_cmpuint (call (f, "GET", path, f->resident2, NULL, &doc), ==, 200);
  g_assert_false (json_object_get_boolean_member (obj (doc), "saved"));
  g_clear_pointer (&doc, json_node_unref);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("bad progress %s", bad[i].body);
      g_assert_cmpuint (call (f, "PUT", path, f->resident, bad[i].body, &doc), ==, 400);
      if (bad[i].field != NULL)
        g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (obj (doc), "error"), "field"), ==, bad[i].field);
      g_clear_pointer (&doc, json_node_unref);
    }
  /* an item the caller may not see, or none at all: 404 for writing and reading */
  g_assert_cmpuint (call (f, "PUT", secret_path, f->resident, "{\"position\":1,\"duration\":300}", NULL), ==, 404);
  g_assert_cmpuint (call (f, "GET", secret_path, f->resident, NULL, NULL), ==, 404);
  g_assert_cmpuint (call (f, "PUT", "/api/v1/progress/nosuchitem00000", f->resident, "{\"position\":1,\"duration\":300}", NULL), ==, 404);
  g_assert_cmpint (number (f, "SELECT count(*) FROM progress WHERE item_id NOT IN (SELECT id FROM items WHERE visibility = 'public')"), ==, 0);
  /* tokens are not accounts; anonymous callers are refused */
  g_assert_cmpuint (call (f, "PUT", path, f->staff, "{\"position\":1,\"duration\":300}", NULL), ==, 403);
  g_assert_cmpuint (call (f, "PUT", path, NULL, "{\"position\":1,\"duration\":300}", NULL), ==, 401);
  g_assert_cmpuint (call (f, "GET", "/api/v1/me/learning", f->staff, NULL, &doc), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (doc), "courses")), ==, 0);
}

static void
test_bounded_writes (Fixture *f, gconstpointer data)
{
  g_autofree char *lesson = item (f, "lesson", "第一课", "public", 1000);
  g_autofree char *path = g_strdup_printf ("/api/v1/progress/%s", lesson);
  g_autofree char *q = g_strdup_printf ("SELECT writes FROM progress WHERE item_id = '%s'", lesson);
  g_autofree char *qpos = g_strdup_printf ("SELECT CAST (position AS INTEGER) FROM progress WHERE item_id = '%s'", lesson);
  g_autoptr (JsonNode) doc = NULL;
  gint64 writes;

  for (guint i = 1; i <= 100; i++)
    progress (f, f->resident, lesson, i, 1000);
  /* the GET goes after the writes on the one DB thread, so counts are settled */
  g_assert_cmpuint (call (f, "GET", path, f->resident, NULL, &doc), ==, 200);
  g_assert_cmpfloat (json_object_get_double_member (obj (doc), "position"), ==, 100);
  writes = number (f, q);
  g_test_message ("writes after a burst of 100: %" G_GINT64_FORMAT, writes);
  g_assert_cmpint (writes, >=, 1);
  g_assert_cmpint (writes, <=, 2);
  /* the timer writes the last report once the interval has passed */
  g_usleep ((YG_PROGRESS_WRITE_INTERVAL + 2) * G_USEC_PER_SEC);
  writes = number (f, q);
  g_test_message ("writes after the interval: %" G_GINT64_FORMAT, writes);
  g_assert_cmpint (writes, >=, 2);
  g_assert_cmpint (writes, <=, 3);
  g_assert_cmpint (number (f, qpos), ==, 100);
  g_assert_cmpint (number (f, "SELECT count(*) FROM progress"), ==, 1);
}

/* A report still in memory is written when the server stops. */
static void
test_flush_on_stop (void)
{
  Fixture f = { 0 };
  g_autofree char *lesson = NULL, *dir = NULL, *db_path = NULL, *q = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;

  fixture_setup (&f, NULL);
  lesson = item (&f, "lesson", "一", "public", 100);
  progress (&f, f.resident, lesson, 10, 100); /* written at once */
  progress (&f, f.resident, lesson, 20, 100); /* held for the interval */
  g_assert_cmpint (number (&f, "SELECT CAST (position AS INTEGER) FROM progress"), ==, 10);
  dir = yg_test_server_stop_keeping_data (f.ts);
  f.ts = NULL;
  db_path = g_build_filename (dir, "catalog.db", NULL);
  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT position, writes FROM progress", -1, &s, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  g_assert_cmpfloat (sqlite3_column_double (s, 0), ==, 20);
  g_assert_cmpint (sqlite3_column_int (s, 1), ==, 2);
  sqlite3_finalize (s);
  sqlite3_close (db);
  yg_test_rm_rf (dir);
  g_free (f.staff);
  g_free (f.resident);
  g_free (f.resident2);
}

static char *
lesson_path (const char *id)
{
  return g_strdup_printf ("/api/v1/progress/%s", id);
}

static void
test_completion (Fixture *f, gconstpointer data)
{
  g_autofree char *l1 = item (f, "lesson", "一", "public", 100);
  g_autofree char *l2 = item (f, "lesson", "二", "public", 200);
  g_autofree char *body = NULL, *path = NULL, *enrol = NULL;
  g_autoptr (JsonNode) doc = NULL;
  JsonArray *lessons;
  gint64 id = create_course (f, "{\"title\":\"剪纸\",\"completion_threshold\":0.8}");

  body = g_strdup_printf ("{\"chapters\":[{\"title\":\"一\",\"lessons\":[\"%s\"]},"
                          "{\"title\":\"二\",\"lessons\":[\"%s\"]}]}", l1, l2);
  put_outline (f, id, body);
  path = g_strdup_printf ("/api/v1/courses/%" G_GINT64_FORMAT, id);
  enrol = g_strdup_printf ("%s/enrolment", path);
  g_assert_cmpuint (call (f, "POST", enrol, f->resident, NULL, NULL), ==, 200);

  progress (f, f->resident, l1, 79.9, 100);  /* just under 0.8 */
  g_assert_cmpuint (call (f, "GET", path, f->resident, NULL, &doc), ==, 200);
  g_assert_cmpint (json_object_get_int_member (obj (doc), "completed_lessons"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (obj (doc), "next_lesson"), ==, l1);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (obj (doc), "resume_position"), 79.9, 1e-6);
  lessons = json_object_get_array_member (json_array_get_object_element (json_object_get_array_member (obj (doc), "chapters"), 0), "lessons");
  g_assert_false (json_object_get_boolean_member (json_object_get_object_member (json_array_get_object_element (lessons, 0), "progress"), "complete"));
  g_clear_pointer (&doc, json_node_unref);

  progress (f, f->resident, l1, 80, 100);  /* exactly the threshold */
  progress (f, f->resident, l1, 10, 100);  /* rewinding keeps the furthest */
  g_assert_cmpuint (call (f, "GET", path, f->resident, NULL, &doc), ==, 200);
  g_assert_cmpint (json_object_get_int_member (obj (doc), "completed_lessons"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (obj (doc), "completion"), ==, 50);
  g_assert_false (json_object_get_boolean_member (obj (doc), "complete"));
  g_assert_cmpstr (json_object_get_string_member (obj (doc), "next_lesson"), ==, l2);
  g_assert_cmpfloat (json_object_get_double_member (obj (doc), "resume_position"), ==, 0);
  g_clear_pointer (&doc, json_node_unref);

  /* the catalogue's duration counts, not the player's */
  progress (f, f->resident, l2, 150, 150);
  g_assert_cmpuint (call (f, "GET", path, f->resident, NULL, &doc), ==, 200);
  g_assert_cmpint (json_object_get_int_member (obj (doc), "completed_lessons"), ==, 1);
  g_clear_pointer (&doc, json_node_unref);
  progress (f, f->resident, l2, 160, 200);
  g_assert_cmpuint (call (f, "GET", path, f->resident, NULL, &doc), ==, 200);
  g_assert_cmpint (json_object_get_int_member (obj (doc), "completed_lessons"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (obj (doc), "completion"), ==, 100);
  g_assert_true (json_object_get_boolean_member (obj (doc), "complete"));
  g_assert_true (json_object_get_null_member (obj (doc), "next_lesson"));
  g_clear_pointer (&doc, json_node_unref);

  /* a stricter threshold makes the same progress incomplete again */
  g_assert_cmpuint (call (f, "PATCH", path, f->staff, "{\"completion_threshold\":0.95}", NULL), ==, 200);
  g_assert_cmpuint (call (f, "GET", path, f->resident, NULL, &doc), ==, 200);
  g_assert_cmpint (json_object_get_int_member (obj (doc), "completed_lessons"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (obj (doc), "next_lesson"), ==, l1);
  g_assert_cmpfloat (json_object_get_double_member (obj (doc), "resume_position"), ==, 10);
  (void) lesson_path;
}

static void
test_learning (Fixture *f, gconstpointer data)
{
  g_autofree char *a1 = item (f, "lesson", "A1", "public", 100);
  g_autofree char *a2 = item (f, "lesson", "A2", "public", 100);
  g_autofree char *b1 = item (f, "lesson", "B1", "public", 100);
  g_autofree char *b2 = item (f, "lesson", "B2", "public", 100);
  g_autofree char *body = NULL;
  g_autoptr (JsonNode) doc = NULL;
  JsonArray *courses;
  JsonObject *first, *second;
  gint64 a = create_course (f, "{\"title\":\"课程A\"}");
  gint64 b = create_course (f, "{\"title\":\"课程B\"}");
  gint64 c = create_course (f, "{\"title\":\"未报名\"}");
  char path[64];

  body = g_strdup_printf ("{\"chapters\":[{\"title\":\"一\",\"lessons\":[\"%s\",\"%s\"]}]}", a1, a2);
  put_outline (f, a, body);
  g_free (body);
  body = g_strdup_printf ("{\"chapters\":[{\"title\":\"一\",\"lessons\":[\"%s\"]},{\"title\":\"二\",\"lessons\":[\"%s\"]}]}", b1, b2);
  put_outline (f, b, body);
  (void) c;
  g_snprintf (path, sizeof path, "/api/v1/courses/%" G_GINT64_FORMAT "/enrolment", a);
  g_assert_cmpuint (call (f, "POST", path, f->resident, NULL, NULL), ==, 200);
  g_snprintf (path, sizeof path, "/api/v1/courses/%" G_GINT64_FORMAT "/enrolment", b);
  g_assert_cmpuint (call (f, "POST", path, f->resident, NULL, NULL), ==, 200);

  /* activity on A, then (a second later, so the order is certain) on B */
  progress (f, f->resident, a1, 95, 100); /* A1 complete: A's next is A2 */
  sql (f, "UPDATE enrolments SET active_at = active_at - 10");
  g_assert_cmpuint (call (f, "GET", "/api/v1/me/learning", f->resident, NULL, &doc), ==, 200);
  sql (f, "UPDATE enrolments SET active_at = active_at - 10");
  g_clear_pointer (&doc, json_node_unref);
  progress (f, f->resident, b2, 30, 100); /* B1 untouched: B's next is B1 */

  g_assert_cmpuint (call (f, "GET", "/api/v1/me/learning", f->resident, NULL, &doc), ==, 200);
  courses = json_object_get_array_member (obj (doc), "courses");
  g_assert_cmpuint (json_array_get_length (courses), ==, 2);
  first = json_array_get_object_element (courses, 0);
  second = json_array_get_object_element (courses, 1);
  g_assert_cmpint (json_object_get_int_member (first, "id"), ==, b);
  g_assert_cmpstr (json_object_get_string_member (first, "next_lesson"), ==, b1);
  g_assert_cmpstr (json_object_get_string_member (first, "next_lesson_title"), ==, "B1");
  g_assert_cmpfloat (json_object_get_double_member (first, "resume_position"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (first, "completion"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (second, "id"), ==, a);
  g_assert_cmpstr (json_object_get_string_member (second, "next_lesson"), ==, a2);
  g_assert_cmpint (json_object_get_int_member (second, "completion"), ==, 50);
  g_clear_pointer (&doc, json_node_unref);

  /* back to A (partly into A2): A moves to the front with A2's resume position */
  sql (f, "UPDATE enrolments SET active_at = active_at - 10");
  progress (f, f->resident, a2, 12, 100);
  g_assert_cmpuint (call (f, "GET", "/api/v1/me/learning", f->resident, NULL, &doc), ==, 200);
  first = json_array_get_object_element (json_object_get_array_member (obj (doc), "courses"), 0);
  g_assert_cmpint (json_object_get_int_member (first, "id"), ==, a);
  g_assert_cmpstr (json_object_get_string_member (first, "next_lesson"), ==, a2);
  g_assert_cmpfloat (json_object_get_double_member (first, "resume_position"), ==, 12);
  g_clear_pointer (&doc, json_node_unref);

  /* another resident has nothing */
  g_assert_cmpuint (call (f, "GET", "/api/v1/me/learning", f->resident2, NULL, &doc), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (doc), "courses")), ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Courses, outlines, enrolment, progress and completion over HTTP");
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/courses/crud", test_crud);
  ADD ("/courses/outline-invalid", test_outline_invalid);
  ADD ("/courses/visibility", test_visibility);
  ADD ("/courses/enrolment", test_enrolment);
  ADD ("/progress/save-resume", test_progress);
  ADD ("/progress/bounded-writes", test_bounded_writes);
  ADD ("/progress/completion", test_completion);
  ADD ("/progress/continue-learning", test_learning);
  g_test_add_func ("/progress/flush-on-stop", test_flush_on_stop);
  return g_test_run ();
}

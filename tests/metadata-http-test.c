/* metadata-http-test.c: the metadata, inheritor and search routes over real sockets.
 *
 * A real server (tests/yg-test-server.c) with a real catalogue file. Covered:
 * PATCH of each kind's metadata and reading it back identical (Chinese,
 * emoji, HTML kept as text), chapters, inheritors CRUD and links, auth
 * classes of the write routes, search over HTTP (1-, 2-, 3- and 5-character
 * Chinese queries, filters, a cursor walk), and refusal of bad input on every
 * write route and every search parameter: 400 with the field named, and
 * nothing written (the item document, or the inheritors, unchanged).
 * Suite: http.
 */
#include <json-glib/json-glib.h>

#include "yg-item-store.h"
#include "yg-routes.h"
#include "yg-test-server.h"

typedef struct
{
  YgTestServer *ts;
  char *staff;
  char *partner;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->ts = yg_test_server_start (NULL, yg_routes, yg_n_routes);
  f->staff = yg_test_server_token (f->ts, "staff");
  f->partner = yg_test_server_token (f->ts, "partner");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  yg_test_server_stop (f->ts);
  g_free (f->staff);
  g_free (f->partner);
}

static char *
request (Fixture *f, const char *method, const char *path, const char *token, const char *body,
         guint *status)
{
  g_autofree char *auth
      = token ? g_strdup_printf ("Authorization: Bearer %s\r\n", token) : g_strdup ("");
  g_autofree char *head = NULL;

  head = body != NULL
             ? g_strdup_printf ("%s %s HTTP/1.1\r\nHost: t\r\n%sContent-Type: application/json\r\n"
                                "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                                method, path, auth, strlen (body), body)
             : g_strdup_printf ("%s %s HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n", method,
                                path, auth);
  return yg_test_http (f->ts->port, head, status);
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

static char *
body_text (const char *response)
{
  return g_strdup (strstr (response, "\r\n\r\n") + 4);
}

/* Sends and expects @want; returns the parsed body. */
static JsonNode *
call (Fixture *f, const char *method, const char *path, const char *body, guint want)
{
  guint status;
  g_autofree char *r = request (f, method, path, f->staff, body, &status);

  if (status != want)
    g_test_message ("%s %s → %u %s", method, path, status, r);
  g_assert_cmpuint (status, ==, want);
  return body_json (r);
}

static char *
get_text (Fixture *f, const char *path)
{
  guint status;
  g_autofree char *r = request (f, "GET", path, NULL, NULL, &status);

  g_assert_cmpuint (status, ==, 200);
  return body_text (r);
}

typedef struct
{
  const char *kind;
  const char *title;
} NewItem;

static gpointer
insert_item (gpointer conn, gpointer data, GError **error)
{
  NewItem *n = data;

  return yg_item_store_insert (conn, NULL, n->kind, n->title, "", error);
}

static char *
new_item (Fixture *f, const char *kind, const char *title)
{
  NewItem n = { kind, title };

  return yg_test_server_db_sync (f->ts, insert_item, &n);
}

static void
assert_members_equal (JsonObject *sent, JsonObject *got)
{
  g_autoptr (GList) members = json_object_get_members (sent);

  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *a = json_object_get_member (sent, l->data);
      JsonNode *b = json_object_get_member (got, l->data);
      g_autofree char *as = json_to_string (a, FALSE);
      g_autofree char *bs = b ? json_to_string (b, FALSE) : g_strdup ("(missing)");
      g_test_message ("%s: %s / %s", (char *)l->data, as, bs);
      g_assert_nonnull (b);
      g_assert_true (json_node_equal (a, b));
    }
}

static void
round_trip (Fixture *f, const char *kind, const char *patch)
{
  g_autofree char *id = new_item (f, kind, "原标题");
  g_autofree char *path = g_strdup_printf ("/api/v1/items/%s", id);
  g_autoptr (JsonNode) sent = json_from_string (patch, NULL);
  g_autoptr (JsonNode) answer = call (f, "PATCH", path, patch, 200);
  g_autofree char *again = get_text (f, path);
  g_autoptr (JsonNode) got = json_from_string (again, NULL);
  JsonObject *o = json_node_get_object (got);

  assert_members_equal (json_node_get_object (sent), json_node_get_object (answer));
  assert_members_equal (json_node_get_object (sent), o);
  /* the list carries the same document */
  {
    g_autofree char *list_text = get_text (f, "/api/v1/items?limit=100");
    g_autoptr (JsonNode) list = json_from_string (list_text, NULL);
    JsonArray *items = json_object_get_array_member (json_node_get_object (list), "items");
    gboolean found = FALSE;
    for (guint i = 0; i < json_array_get_length (items); i++)
      {
        JsonObject *it = json_array_get_object_element (items, i);
        if (g_str_equal (json_object_get_string_member (it, "id"), id))
          {
            assert_members_equal (json_node_get_object (sent), it);
            found = TRUE;
          }
      }
    g_assert_true (found);
  }
  /* the contract fields are still there */
  g_assert_cmpstr (json_object_get_string_member (o, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, kind);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "processing");
  g_assert_true (json_object_has_member (o, "playable"));
  g_assert_true (json_object_has_member (o, "hls_url"));
  g_assert_true (json_object_has_member (o, "page_url"));
  g_assert_true (json_object_has_member (o, "embed_url"));
  g_assert_true (json_object_has_member (o, "poster_url"));
  g_assert_true (json_object_has_member (o, "duration"));
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  round_trip (f, "performance",
              "{\"title\":\"昆曲《牡丹亭·游园惊梦》🎭<script>alert('x')</script>\","
              "\"description\":\"苏州昆剧院\\n\\\"皂罗袍\\\" & <b>粗体</b> 👏\","
              "\"language\":\"zh-CN\",\"recorded_date\":\"2023-05-01\",\"venue\":\"苏州市文化馆\","
              "\"tags\":[\"昆曲\",\"戏曲\"],\"troupe\":\"江苏省苏州昆剧院\","
              "\"performers\":[\"张继青\",\"沈丰英\",\"O'Neil <i>\"],"
              "\"performance_date\":\"2023-04-30\","
              "\"programme\":[{\"title\":\"游园\",\"performers\":[\"沈丰英\"],\"start\":0},"
              "{\"title\":\"惊梦\",\"performers\":[],\"start\":612.5}]}");
  round_trip (
      f, "heritage",
      "{\"title\":\"蔚县剪纸 "
      "🧧\",\"description\":\"逢年过节贴窗花\",\"language\":\"zh-Hans-CN\","
      "\"recorded_date\":\"2021-06-06\",\"venue\":null,\"tags\":[\"剪纸\"],"
      "\"project_name\":\"蔚县剪纸\",\"category\":\"traditional_art\",\"level\":\"national\","
      "\"region\":\"河北省张家口市蔚县\"}");
  round_trip (f, "lesson",
              "{\"title\":\"少儿舞蹈基础 第3课\",\"description\":\"\",\"language\":\"en\","
              "\"recorded_date\":null,\"venue\":\"二楼排练厅\",\"tags\":[]}");
}

static void
test_labels_and_chapters (Fixture *f, gconstpointer data)
{
  g_autofree char *her = new_item (f, "heritage", "昆曲");
  g_autofree char *perf = new_item (f, "performance", "演出");
  g_autofree char *hp = g_strdup_printf ("/api/v1/items/%s", her);
  g_autofree char *pp = g_strdup_printf ("/api/v1/items/%s", perf);
  g_autofree char *pc = g_strdup_printf ("/api/v1/items/%s/chapters", perf);
  g_autoptr (JsonNode) a = call (f, "PATCH", hp,
                                 "{\"category\":\"传统戏剧\",\"level\":\"省级\",\"tags\":[\" KunQu "
                                 " Opera \",\"kunqu opera\",\"昆曲\"]}",
                                 200);
  JsonObject *o = json_node_get_object (a);
  g_autoptr (JsonNode) b = NULL, c = NULL;
  JsonArray *ch;

  g_assert_cmpstr (json_object_get_string_member (o, "category"), ==, "traditional_drama");
  g_assert_cmpstr (json_object_get_string_member (o, "category_label"), ==, "传统戏剧");
  g_assert_cmpstr (json_object_get_string_member (o, "level"), ==, "provincial");
  g_assert_cmpstr (json_object_get_string_member (o, "level_label"), ==, "省级");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "tags")), ==, 2);

  /* a programme gives chapters until the item has its own */
  b = call (f, "PATCH", pp,
            "{\"programme\":[{\"title\":\"一\",\"start\":0},{\"title\":\"二\",\"start\":30}]}",
            200);
  o = json_node_get_object (b);
  g_assert_cmpstr (json_object_get_string_member (o, "chapters_from"), ==, "programme");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "chapters")), ==, 2);
  c = call (
      f, "PUT", pc,
      "{\"chapters\":[{\"title\":\"开场 🎬\",\"start\":0},{\"title\":\"高潮\",\"start\":12.25}]}",
      200);
  o = json_node_get_object (c);
  g_assert_cmpstr (json_object_get_string_member (o, "chapters_from"), ==, "chapters");
  ch = json_object_get_array_member (o, "chapters");
  g_assert_cmpuint (json_array_get_length (ch), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (ch, 0), "title"),
                   ==, "开场 🎬");
  g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (ch, 1), "start"),
                     ==, 12.25);
}

/* --- bad input: 400, the field, nothing written ------------------------------------ */

typedef struct
{
  const char *method;
  const char *path; /* %s: the item */
  const char *body;
  const char *field; /* NULL: no field (body not JSON, nothing to change) */
} Bad;

static char *
repeat (const char *s, guint n)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append (out, s);
  return g_string_free (out, FALSE);
}

/* A short, valid UTF-8 preview for test messages (TAP output must stay UTF-8). */
static char *
preview (const char *text, glong chars)
{
  if (text == NULL)
    return g_strdup ("");
  if (!g_utf8_validate (text, -1, NULL))
    return g_strdup ("(not UTF-8)");
  return g_utf8_substring (text, 0, MIN (chars, g_utf8_strlen (text, -1)));
}

static void
expect_bad (Fixture *f, const char *method, const char *path, const char *body, const char *field)
{
  guint status;
  g_autofree char *r = request (f, method, path, f->staff, body, &status);
  g_autoptr (JsonNode) doc = NULL;
  JsonObject *err;

  g_autofree char *sent = preview (body, 60);
  g_autofree char *answer = preview (strstr (r, "\r\n\r\n") ? strstr (r, "\r\n\r\n") + 4 : r, 200);

  g_test_message ("%s %s %s → %u %s", method, path, sent, status, answer);
  g_assert_cmpuint (status, ==, 400);
  doc = body_json (r);
  err = json_object_get_object_member (json_node_get_object (doc), "error");
  g_assert_nonnull (err);
  if (field != NULL)
    {
      g_assert_cmpstr (json_object_get_string_member (err, "code"), ==, "invalid");
      g_assert_cmpstr (json_object_get_string_member_with_default (err, "field", "(none)"), ==,
                       field);
    }
  g_assert_cmpuint (strlen (json_object_get_string_member (err, "message")), >, 5);
}

static void
test_bad_item_input (Fixture *f, gconstpointer data)
{
  g_autofree char *perf = new_item (f, "performance", "演出");
  g_autofree char *her = new_item (f, "heritage", "非遗");
  g_autofree char *les = new_item (f, "lesson", "课");
  g_autofree char *t201 = repeat ("字", 201), *t200 = repeat ("😀", 200);
  g_autofree char *d20001 = repeat ("文", 20001);
  g_autofree char *tags33 = NULL, *tag33 = repeat ("签", 33);
  g_autofree char *b_title201 = g_strdup_printf ("{\"title\":\"%s\"}", t201);
  g_autofree char *b_title200 = g_strdup_printf ("{\"title\":\"%s\"}", t200);
  g_autofree char *b_desc = g_strdup_printf ("{\"description\":\"%s\"}", d20001);
  g_autofree char *b_tag33 = g_strdup_printf ("{\"tags\":[\"%s\"]}", tag33);
  g_autofree char *b_tags33 = NULL;
  g_autoptr (GString) tl = g_string_new ("{\"tags\":[");
  const Bad cases[] = {
    { "PATCH", "perf", "{", NULL },
    { "PATCH", "perf", "[]", NULL },
    { "PATCH", "perf", "{}", NULL },
    { "PATCH", "perf", "{\"title\":\"\xff\xfe\"}", NULL },
    { "PATCH", "perf", "{\"title\":5}", "title" },
    { "PATCH", "perf", "{\"title\":\"\"}", "title" },
    { "PATCH", "perf", "{\"title\":\"   \"}", "title" },
    { "PATCH", "perf", "{\"title\":null}", "title" },
    { "PATCH", "perf", b_title201, "title" },
    { "PATCH", "perf", "{\"title\":\"a\\u0001b\"}", "title" },
    { "PATCH", "perf", "{\"venue\":\"a\\nb\"}", "venue" },
    { "PATCH", "perf", b_desc, "description" },
    { "PATCH", "perf", "{\"title\":\"新\",\"bogus\":1}", "bogus" },
    { "PATCH", "perf", "{\"kind\":\"lesson\"}", "kind" },
    { "PATCH", "perf", "{\"chapters\":[]}", "chapters" },
    { "PATCH", "perf", "{\"language\":\"中文\"}", "language" },
    { "PATCH", "perf", "{\"language\":\"zh_CN\"}", "language" },
    { "PATCH", "perf", "{\"recorded_date\":\"2023-02-30\"}", "recorded_date" },
    { "PATCH", "perf", "{\"recorded_date\":\"2023-2-3\"}", "recorded_date" },
    { "PATCH", "perf", "{\"recorded_date\":20230203}", "recorded_date" },
    { "PATCH", "perf", "{\"performance_date\":\"yesterday\"}", "performance_date" },
    { "PATCH", "perf", "{\"tags\":\"昆曲\"}", "tags" },
    { "PATCH", "perf", "{\"tags\":[\"ok\",\"\"]}", "tags[1]" },
    { "PATCH", "perf", "{\"tags\":[1]}", "tags[0]" },
    { "PATCH", "perf", b_tag33, "tags[0]" },
    { "PATCH", "perf", "TAGS33", "tags" },
    { "PATCH", "perf", "{\"performers\":[\"甲\",\"乙\",\"\"]}", "performers[2]" },
    { "PATCH", "perf", "{\"performers\":[\"甲\",3]}", "performers[1]" },
    { "PATCH", "perf", "{\"performers\":{}}", "performers" },
    { "PATCH", "perf",
      "{\"programme\":[{\"title\":\"a\",\"start\":0},{\"title\":\"b\",\"start\":-1}]}",
      "programme[1].start" },
    { "PATCH", "perf",
      "{\"programme\":[{\"title\":\"a\",\"start\":5},{\"title\":\"b\",\"start\":5}]}",
      "programme[1].start" },
    { "PATCH", "perf", "{\"programme\":[{\"title\":\"a\",\"start\":0,\"x\":1}]}",
      "programme[0].x" },
    { "PATCH", "perf", "{\"programme\":[{\"start\":0}]}", "programme[0]" },
    { "PATCH", "perf", "{\"programme\":[{\"title\":\"a\",\"start\":0,\"performers\":[\"\"]}]}",
      "programme[0].performers[0]" },
    { "PATCH", "perf", "{\"programme\":[1]}", "programme[0]" },
    { "PATCH", "perf", "{\"title\":\"新标题\",\"category\":\"quyi\"}", "category" },
    { "PATCH", "perf", "{\"title\":\"新标题\",\"region\":\"河北\"}", "region" },
    { "PATCH", "her", "{\"category\":\"opera\"}", "category" },
    { "PATCH", "her", "{\"category\":3}", "category" },
    { "PATCH", "her", "{\"level\":\"city\"}", "level" },
    { "PATCH", "her", "{\"title\":\"新标题\",\"troupe\":\"剧团\"}", "troupe" },
    { "PATCH", "les", "{\"title\":\"新标题\",\"programme\":[]}", "programme" },
    { "PUT", "perf/chapters",
      "{\"chapters\":[{\"title\":\"a\",\"start\":10},{\"title\":\"b\",\"start\":5}]}",
      "chapters[1].start" },
    { "PUT", "perf/chapters", "{\"chapters\":[{\"title\":\"a\",\"start\":-1}]}",
      "chapters[0].start" },
    { "PUT", "perf/chapters", "{\"chapters\":[{\"title\":\"a\"}]}", "chapters[0]" },
    { "PUT", "perf/chapters", "{\"chapters\":[{\"title\":\"a\",\"start\":\"0\"}]}",
      "chapters[0].start" },
    { "PUT", "perf/chapters", "{\"chapters\":[{\"title\":\"\",\"start\":0}]}",
      "chapters[0].title" },
    { "PUT", "perf/chapters", "{\"chapters\":[{\"title\":\"a\",\"start\":0,\"end\":3}]}",
      "chapters[0].end" },
    { "PUT", "perf/chapters", "{\"chapters\":\"x\"}", "chapters" },
    { "PUT", "perf/chapters", "{}", "chapters" },
    { "PUT", "perf/chapters", "{\"chapters\":[],\"x\":1}", "x" },
    { "PUT", "perf/chapters", "{\"chapters\":[1e400]}", NULL },
    { "PUT", "les/inheritors/1", NULL, "kind" },
  };

  for (guint i = 0; i < 33; i++)
    g_string_append_printf (tl, "%s\"t%u\"", i ? "," : "", i);
  g_string_append (tl, "]}");
  b_tags33 = g_strdup (tl->str);
  /* an inheritor exists, so linking it to a lesson is refused for the kind */
  {
    g_autoptr (JsonNode) h = call (f, "POST", "/api/v1/inheritors", "{\"name\":\"某人\"}", 201);
  }
  /* the limits count characters: 200 emoji (800 bytes) are a valid title */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/items/%s", les);
    g_autoptr (JsonNode) ok = call (f, "PATCH", path, b_title200, 200);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (ok), "title"), ==, t200);
  }

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *item = g_str_has_prefix (cases[i].path, "perf")  ? perf
                         : g_str_has_prefix (cases[i].path, "her") ? her
                                                                   : les;
      const char *rest = strchr (cases[i].path, '/');
      g_autofree char *path = g_strdup_printf ("/api/v1/items/%s%s", item, rest ? rest : "");
      g_autofree char *item_path = g_strdup_printf ("/api/v1/items/%s", item);
      g_autofree char *before = get_text (f, item_path);
      g_autofree char *after = NULL;
      const char *body
          = g_str_equal (cases[i].body ? cases[i].body : "", "TAGS33") ? b_tags33 : cases[i].body;

      expect_bad (f, cases[i].method, path, body, cases[i].field);
      after = get_text (f, item_path);
      g_assert_cmpstr (before, ==, after); /* nothing written, not even updated_at */
    }
}

static void
test_bad_inheritor_input (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonNode) h
      = call (f, "POST", "/api/v1/inheritors", "{\"name\":\"张三\",\"bio\":\"原\"}", 201);
  gint64 id = json_object_get_int_member (json_node_get_object (h), "id");
  g_autofree char *path = g_strdup_printf ("/api/v1/inheritors/%" G_GINT64_FORMAT, id);
  g_autofree char *n101 = repeat ("名", 101);
  g_autofree char *b_n101 = g_strdup_printf ("{\"name\":\"%s\"}", n101);
  g_autofree char *before = get_text (f, "/api/v1/inheritors");
  g_autofree char *after = NULL;
  const Bad cases[] = {
    { "POST", "", "{}", "name" },
    { "POST", "", "{\"name\":\"\"}", "name" },
    { "POST", "", "{\"name\":null}", "name" },
    { "POST", "", b_n101, "name" },
    { "POST", "", "{\"name\":\"a\",\"birth_year\":\"1950\"}", "birth_year" },
    { "POST", "", "{\"name\":\"a\",\"birth_year\":1700}", "birth_year" },
    { "POST", "", "{\"name\":\"a\",\"birth_year\":1950.5}", "birth_year" },
    { "POST", "", "{\"name\":\"a\",\"gender\":\"x\"}", "gender" },
    { "POST", "", "{\"name\":\"a\",\"level\":\"x\"}", "level" },
    { "POST", "", "{\"name\":\"a\",\"region\":[]}", "region" },
    { "POST", "", "{\"name\":\"a\",\"foo\":1}", "foo" },
    { "POST", "", "{\"name\":\"a\",\"id\":7}", "id" },
    { "POST", "", "not json", NULL },
    { "PATCH", "id", "{\"name\":null}", "name" },
    { "PATCH", "id", "{\"bio\":5}", "bio" },
    { "PATCH", "id", "{}", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    expect_bad (f, cases[i].method, *cases[i].path ? path : "/api/v1/inheritors", cases[i].body,
                cases[i].field);
  after = get_text (f, "/api/v1/inheritors");
  g_assert_cmpstr (before, ==, after);
}

static void
test_bad_search_params (Fixture *f, gconstpointer data)
{
  g_autofree char *q101 = repeat ("%E5%AD%97", 101);
  g_autofree char *p_q101 = g_strdup_printf ("/api/v1/search?q=%s", q101);
  const struct
  {
    const char *path;
    const char *field;
  } cases[] = {
    { p_q101, "q" },
    { "/api/v1/search?q=%FF", "q" },
    { "/api/v1/search?kind=movie", "kind" },
    { "/api/v1/search?category=opera", "category" },
    { "/api/v1/search?level=city", "level" },
    { "/api/v1/search?region=", "region" },
    { "/api/v1/search?tag=", "tag" },
    { "/api/v1/search?tag=%20%20", "tag" },
    { "/api/v1/search?from=2023-13-01", "from" },
    { "/api/v1/search?to=tomorrow", "to" },
    { "/api/v1/search?from=2023-05-02&to=2023-05-01", "to" },
    { "/api/v1/search?sort=popular", "sort" },
    { "/api/v1/search?limit=0", "limit" },
    { "/api/v1/search?limit=101", "limit" },
    { "/api/v1/search?limit=ten", "limit" },
    { "/api/v1/search?cursor=zzz", "cursor" },
    { "/api/v1/search?cursor=%21%21", "cursor" },
    { "/api/v1/search?page=2", "page" },
    { "/api/v1/search?kind=lesson&kind=heritage", "kind" },
    { "/api/v1/search?tag=%FF%FE", "tag" },
    { "/api/v1/inheritors?limit=0", "limit" },
    { "/api/v1/inheritors?after=x", "after" },
    { "/api/v1/inheritors?sort=name", "sort" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    expect_bad (f, "GET", cases[i].path, NULL, cases[i].field);
}

/* --- inheritors -------------------------------------------------------------- */

static void
test_inheritors (Fixture *f, gconstpointer data)
{
  g_autofree char *her = new_item (f, "heritage", "剪纸技艺");
  g_autofree char *link = NULL, *hp = NULL, *ip = g_strdup_printf ("/api/v1/items/%s", her);
  g_autoptr (JsonNode) h = NULL, got = NULL, item = NULL, list = NULL, res = NULL, p = NULL;
  JsonObject *o;
  gint64 id;
  guint status;
  g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL;

  /* writes need a staff token */
  r1 = request (f, "POST", "/api/v1/inheritors", NULL, "{\"name\":\"x\"}", &status);
  g_assert_cmpuint (status, ==, 401);
  r2 = request (f, "POST", "/api/v1/inheritors", f->partner, "{\"name\":\"x\"}", &status);
  g_assert_cmpuint (status, ==, 403);
  r3 = request (f, "PATCH", ip, NULL, "{\"title\":\"x\"}", &status);
  g_assert_cmpuint (status, ==, 401);

  h = call (f, "POST", "/api/v1/inheritors",
            "{\"name\":\"库淑兰\",\"birth_year\":1920,\"gender\":\"female\",\"level\":\"国家级\","
            "\"region\":\"陕西省旬邑县\",\"bio\":\"<i>剪花娘子</i> ✂️\"}",
            201);
  o = json_node_get_object (h);
  id = json_object_get_int_member (o, "id");
  g_assert_cmpint (json_object_get_int_member (o, "birth_year"), ==, 1920);
  g_assert_cmpstr (json_object_get_string_member (o, "level"), ==, "national");
  g_assert_cmpstr (json_object_get_string_member (o, "level_label"), ==, "国家级");
  g_assert_cmpstr (json_object_get_string_member (o, "bio"), ==, "<i>剪花娘子</i> ✂️");
  hp = g_strdup_printf ("/api/v1/inheritors/%" G_GINT64_FORMAT, id);
  link = g_strdup_printf ("/api/v1/items/%s/inheritors/%" G_GINT64_FORMAT, her, id);

  item = call (f, "PUT", link, NULL, 200);
  o = json_node_get_object (item);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "inheritors")), ==, 1);
  got = call (f, "GET", hp, NULL, 200);
  g_assert_cmpstr (json_array_get_string_element (
                       json_object_get_array_member (json_node_get_object (got), "item_ids"), 0),
                   ==, her);
  res = call (f, "GET", "/api/v1/search?q=%E6%B7%91%E5%85%B0", NULL, 200); /* 淑兰 */
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (json_node_get_object (res), "items")),
      ==, 1);
  g_clear_pointer (&res, json_node_unref);

  p = call (f, "PATCH", hp, "{\"name\":\"李秀芳\",\"gender\":null}", 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (p), "name"), ==, "李秀芳");
  g_assert_true (json_object_get_null_member (json_node_get_object (p), "gender"));
  res = call (f, "GET", "/api/v1/search?q=%E6%B7%91%E5%85%B0", NULL, 200);
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (json_node_get_object (res), "items")),
      ==, 0);
  g_clear_pointer (&res, json_node_unref);

  list = call (f, "GET", "/api/v1/inheritors?limit=10", NULL, 200);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (json_node_get_object (list), "inheritors")),
                    ==, 1);

  g_clear_pointer (&item, json_node_unref);
  item = call (f, "DELETE", link, NULL, 200);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (json_node_get_object (item), "inheritors")),
                    ==, 0);
  g_clear_pointer (&item, json_node_unref);
  item = call (f, "DELETE", link, NULL, 404);
  g_clear_pointer (&item, json_node_unref);
  item = call (f, "PUT", link, NULL, 200);
  g_clear_pointer (&got, json_node_unref);
  got = call (f, "DELETE", hp, NULL, 200);
  g_clear_pointer (&got, json_node_unref);
  got = call (f, "GET", hp, NULL, 404);
  g_clear_pointer (&got, json_node_unref);
  got = call (f, "GET", ip, NULL, 200);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (json_node_get_object (got), "inheritors")),
                    ==, 0);
  r4 = request (f, "PUT", "/api/v1/items/nosuch/inheritors/1", f->staff, NULL, &status);
  g_assert_cmpuint (status, ==, 404);
}

/* --- search ---------------------------------------------------------------------- */

static char *
titles (JsonNode *res)
{
  JsonArray *items = json_object_get_array_member (json_node_get_object (res), "items");
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (items); i++)
    g_string_append_printf (
        out, "%s%s", i ? "|" : "",
        json_object_get_string_member (json_array_get_object_element (items, i), "title"));
  return g_string_free (out, FALSE);
}

static void
test_search (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *kind, *patch;
  } seeds[] = {
    { "performance",
      "{\"title\":\"昆曲《牡丹亭》选段\",\"recorded_date\":\"2023-05-01\",\"tags\":[\"昆曲\"]}" },
    { "heritage", "{\"title\":\"剪纸技艺传承\",\"recorded_date\":\"2022-01-10\",\"category\":"
                  "\"traditional_art\",\"level\":\"national\",\"region\":\"陕西\"}" },
    { "lesson",
      "{\"title\":\"少儿舞蹈基础课 <b>\",\"recorded_date\":\"2024-03-03\",\"tags\":[\"舞蹈\"]}" },
    { "heritage", "{\"title\":\"蔚县剪纸\",\"recorded_date\":\"2021-06-06\",\"category\":"
                  "\"传统美术\",\"level\":\"provincial\",\"region\":\"河北\"}" },
  };
  static const struct
  {
    const char *query, *titles;
  } cases[] = {
    { "q=%E8%88%9E", "少儿舞蹈基础课 <b>" },                                     /* 舞 */
    { "q=%E5%89%AA%E7%BA%B8", "剪纸技艺传承|蔚县剪纸" },                         /* 剪纸 */
    { "q=%E7%89%A1%E4%B8%B9%E4%BA%AD", "昆曲《牡丹亭》选段" },                   /* 牡丹亭 */
    { "q=%E3%80%8A%E7%89%A1%E4%B8%B9%E4%BA%AD%E3%80%8B", "昆曲《牡丹亭》选段" }, /* 《牡丹亭》 */
    { "q=%3Cb%3E", "少儿舞蹈基础课 <b>" },                                       /* <b> */
    { "kind=heritage", "剪纸技艺传承|蔚县剪纸" },
    { "category=traditional_art&level=provincial", "蔚县剪纸" },
    { "category=%E4%BC%A0%E7%BB%9F%E7%BE%8E%E6%9C%AF&region=%E9%99%95%E8%A5%BF", "剪纸技艺传承" },
    { "tag=%E6%98%86%E6%9B%B2", "昆曲《牡丹亭》选段" },
    { "from=2022-01-01&to=2023-12-31", "昆曲《牡丹亭》选段|剪纸技艺传承" },
    { "q=%E5%89%AA%E7%BA%B8&sort=date&kind=heritage", "剪纸技艺传承|蔚县剪纸" },
    { "sort=date", "少儿舞蹈基础课 <b>|昆曲《牡丹亭》选段|剪纸技艺传承|蔚县剪纸" },
  };
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  guint pages = 0;

  for (guint i = 0; i < G_N_ELEMENTS (seeds); i++)
    {
      g_autofree char *id = new_item (f, seeds[i].kind, "x");
      g_autofree char *path = g_strdup_printf ("/api/v1/items/%s", id);
      g_autoptr (JsonNode) n = call (f, "PATCH", path, seeds[i].patch, 200);
    }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/search?%s", cases[i].query);
      g_autoptr (JsonNode) res = call (f, "GET", path, NULL, 200);
      g_autofree char *t = titles (res);
      g_test_message ("%s → %s", cases[i].query, t);
      g_assert_cmpstr (t, ==, cases[i].titles);
    }
  /* the cursor walks everything once */
  do
    {
      g_autofree char *path = cursor ? g_strdup_printf ("/api/v1/search?limit=3&cursor=%s", cursor)
                                     : g_strdup ("/api/v1/search?limit=3");
      g_autoptr (JsonNode) res = call (f, "GET", path, NULL, 200);
      JsonObject *o = json_node_get_object (res);
      JsonArray *items = json_object_get_array_member (o, "items");
      for (guint i = 0; i < json_array_get_length (items); i++)
        g_assert_true (
            g_hash_table_add (seen, g_strdup (json_object_get_string_member (
                                        json_array_get_object_element (items, i), "id"))));
      g_free (cursor);
      cursor = json_object_get_null_member (o, "next_cursor")
                   ? NULL
                   : g_strdup (json_object_get_string_member (o, "next_cursor"));
      pages++;
    }
  while (cursor != NULL);
  g_assert_cmpuint (g_hash_table_size (seen), ==, G_N_ELEMENTS (seeds));
  g_assert_cmpuint (pages, ==, 2);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Metadata, inheritor and search routes against a real server");
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/metadata-http/round-trip", test_round_trip);
  ADD ("/metadata-http/labels-and-chapters", test_labels_and_chapters);
  ADD ("/metadata-http/bad-item-input", test_bad_item_input);
  ADD ("/metadata-http/bad-inheritor-input", test_bad_inheritor_input);
  ADD ("/metadata-http/bad-search-params", test_bad_search_params);
  ADD ("/metadata-http/inheritors", test_inheritors);
  ADD ("/metadata-http/search", test_search);
  return g_test_run ();
}

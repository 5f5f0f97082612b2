/* share-test.c: share cards (Open Graph) and oEmbed over real HTTP.
 *
 * Covered: the escaping of yg-html-meta.c on hostile text (quotes, tags,
 * script, newlines, control characters, invalid UTF-8, over-long titles);
 * an item page carries og:title/description/url/image and the oEmbed
 * discovery link of a public item, with a hostile title escaped and the
 * page's CSP unchanged; residents-only and staff items and missing ones get
 * the plain page (no title leaks); a public course page carries its card.
 * oEmbed: a public item's JSON (version, type video, iframe html pointing at
 * /embed/<id>, sizes within maxwidth/maxheight at 16:9, the poster as
 * thumbnail with its real size), the same for /embed/<id> URLs; private,
 * missing, foreign-host and malformed URLs refused; format=xml is 501.
 * Suite: http.
 */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "yg-html-meta.h"
#include "yg-item-store.h"
#include "yg-routes.h"
#include "yg-test-server.h"

#define HOSTILE "\"><script>alert('x')</script>\n<b>&amp;"

typedef struct
{
  YgTestServer *ts;
  char *items[3]; /* public (hostile title, poster), residents, staff */
} Fixture;

static gpointer
insert_item (gpointer conn, gpointer data, GError **error)
{
  return yg_item_store_insert (conn, NULL, "heritage", data, "说明：\"皮影\" <戏>\n第二行", error);
}

static char *
item (Fixture *f, const char *title, const char *visibility, gboolean poster)
{
  char *id = yg_test_server_db_sync (f->ts, insert_item, (gpointer) title);
  g_autofree char *update = g_strdup_printf (
      "UPDATE items SET status = 'ready', visibility = '%s' WHERE id = '%s'", visibility, id);

  yg_test_server_sql (f->ts, update);
  if (poster)
    {
      g_autofree char *dir = g_build_filename (f->ts->data_dir, "media", id, NULL);
      g_autofree char *jpg = g_build_filename (dir, "poster.jpg", NULL);
      g_autofree char *row = g_strdup_printf (
          "INSERT INTO item_files (item_id, role, path) VALUES ('%s', 'poster', 'media/%s/poster.jpg')",
          id, id);
      const char *args[] = { "-f", "lavfi", "-i", "color=c=red:size=320x180", "-frames:v", "1",
                             NULL };
      g_autofree char *made = NULL;

      g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
      made = yg_test_ffmpeg (dir, "poster.jpg", args);
      g_assert_nonnull (made);
      g_assert_true (g_file_test (jpg, G_FILE_TEST_EXISTS));
      yg_test_server_sql (f->ts, row);
    }
  return id;
}

#define BASE "https://yunguan.example"

/* @data: the public-url, or NULL for links made from the Host header ("t" in these tests) */
static void
fixture_setup (Fixture *f, gconstpointer data)
{
  YgConfig *config = yg_config_new ();

  if (data != NULL)
    {
      g_free (config->public_url);
      config->public_url = g_strdup (data);
    }
  f->ts = yg_test_server_start (config, yg_routes, yg_n_routes);
  f->items[0] = item (f, HOSTILE, "public", TRUE);
  f->items[1] = item (f, "居民专享的标题", "residents", FALSE);
  f->items[2] = item (f, "内部资料的标题", "staff", FALSE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  yg_test_server_stop (f->ts);
  for (guint i = 0; i < G_N_ELEMENTS (f->items); i++)
    g_free (f->items[i]);
}

/* --- escaping ---------------------------------------------------------------------------------- */

static void
test_escape (void)
{
  static const struct
  {
    const char *in;
    gsize max;
    const char *out;
  } cases[] = {
    { "a\"b'c<d>e&f", 100, "a&quot;b&#39;c&lt;d&gt;e&amp;f" },
    { "<script>alert(1)</script>", 100, "&lt;script&gt;alert(1)&lt;/script&gt;" },
    { "line1\nline2\r\tend\x01", 100, "line1 line2  end " },
    { "黄梅戏\u2028专场", 100, "黄梅戏 专场" },
    { "文化馆联盟", 3, "文化馆" }, /* cut at characters, never inside one */
    { "bad\xff\xfeutf8", 100, "bad\xef\xbf\xbd\xef\xbf\xbdutf8" },
    { "", 10, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GString) out = g_string_new (NULL);

      yg_html_meta_escape (out, cases[i].in, cases[i].max);
      g_assert_cmpstr (out->str, ==, cases[i].out);
    }
}

static void
test_tags (void)
{
  YgHtmlMeta m = { HOSTILE, "desc \"q\"", "http://h/items/x?a=1&b=2", NULL, "video.other",
                   "http://h/oembed?url=x&format=json" };
  g_autofree char *tags = yg_html_meta_tags (&m);
  const char page[] = "<html><head><title>t</title></head><body>x</head></body></html>";
  g_autoptr (GBytes) out = NULL;
  g_autofree char *text = NULL;

  g_assert_null (strstr (tags, "<script"));
  g_assert_null (strstr (tags, "\"><"));
  g_assert_nonnull (strstr (tags, "<meta property=\"og:title\" content=\"&quot;&gt;&lt;script&gt;"
                                  "alert(&#39;x&#39;)&lt;/script&gt; &lt;b&gt;&amp;amp;\">"));
  g_assert_nonnull (strstr (tags, "content=\"http://h/items/x?a=1&amp;b=2\""));
  g_assert_nonnull (strstr (tags, "<link rel=\"alternate\" type=\"application/json+oembed\""));
  g_assert_null (strstr (tags, "og:image")); /* no poster, no tag */
  out = yg_html_meta_inject (page, strlen (page), "<meta name=\"x\">\n");
  text = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  g_assert_cmpstr (text, ==,
                   "<html><head><title>t</title><meta name=\"x\">\n</head><body>x</head></body></html>");
}

/* --- pages ------------------------------------------------------------------------------------- */

static YgTestResponse *
get (Fixture *f, const char *path)
{
  return yg_test_request (f->ts->port, NULL, "GET", path, NULL, NULL);
}

static void
test_item_page (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_strdup_printf ("/items/%s", f->items[0]);
  g_autoptr (YgTestResponse) r = get (f, path);
  g_autofree char *csp = yg_test_response_header (r, "Content-Security-Policy", 0);
  const char *base = data != NULL ? data : "http://t";
  g_autofree char *url = g_strdup_printf ("content=\"%s/items/%s\"", base, f->items[0]);
  g_autofree char *image = g_strdup_printf ("content=\"%s/hls/%s/poster.jpg\"", base, f->items[0]);
  g_autofree char *escaped = g_uri_escape_string (base, NULL, FALSE);
  g_autofree char *oembed = g_strdup_printf ("href=\"%s/oembed?format=json&amp;url=%s%%2Fitems%%2F%s\"",
                                             base, escaped, f->items[0]);
  const char *head_end;

  g_assert_cmpuint (r->status, ==, 200);
  g_assert_nonnull (strstr (r->body, "/static/item.js")); /* the page itself */
  g_assert_nonnull (strstr (csp, "script-src 'self';"));
  g_assert_nonnull (strstr (csp, "frame-ancestors 'self'"));
  g_assert_nonnull (strstr (r->body, "<meta property=\"og:type\" content=\"video.other\">"));
  g_assert_nonnull (strstr (r->body, "<meta property=\"og:title\" content=\"&quot;&gt;&lt;script&gt;"));
  g_assert_nonnull (strstr (r->body, "<meta property=\"og:description\" content=\"说明：&quot;皮影&quot; &lt;戏&gt; 第二行\">"));
  g_assert_nonnull (strstr (r->body, url));
  g_assert_nonnull (strstr (r->body, image));
  g_assert_nonnull (strstr (r->body, oembed));
  g_assert_null (strstr (r->body, "<script>alert"));
  head_end = strstr (r->body, "</head>");
  g_assert_nonnull (head_end);
  g_assert_true (strstr (r->body, "og:title") < head_end);
}

static void
test_private_pages (Fixture *f, gconstpointer data)
{
  const char *paths[] = { f->items[1], f->items[2], "nosuchitem00000", "%3Cscript%3E%22" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *path = g_strdup_printf ("/items/%s", paths[i]);
      g_autoptr (YgTestResponse) r = get (f, path);

      g_test_message ("%s", path);
      g_assert_cmpuint (r->status, ==, 200);
      g_assert_nonnull (strstr (r->body, "/static/item.js"));
      g_assert_null (strstr (r->body, "og:"));
      g_assert_null (strstr (r->body, "的标题"));
      g_assert_null (strstr (r->body, "<script>"));
    }
}

static void
test_course_page (Fixture *f, gconstpointer data)
{
  g_autoptr (YgTestResponse) r = NULL, hidden = NULL, bad = NULL;
  g_autofree char *sql = g_strdup_printf (
      "INSERT INTO courses (id, title, description, cover_item, visibility, created_at, updated_at)"
      " VALUES (5, '剪纸<入门>', '每周一课', '%s', 'public', 0, 0),"
      " (6, '内部课程的标题', '', NULL, 'staff', 0, 0)",
      f->items[0]);
  g_autofree char *image = NULL;

  yg_test_server_sql (f->ts, sql);
  r = get (f, "/courses/5");
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_nonnull (strstr (r->body, "/static/course.js"));
  g_assert_nonnull (strstr (r->body, "<meta property=\"og:title\" content=\"剪纸&lt;入门&gt;\">"));
  g_assert_nonnull (strstr (r->body, "<meta property=\"og:type\" content=\"website\">"));
  image = g_strdup_printf ("<meta property=\"og:image\" content=\"" BASE "/hls/%s/poster.jpg\">",
                           f->items[0]);
  g_assert_nonnull (strstr (r->body, image));
  g_assert_null (strstr (r->body, "json+oembed"));
  hidden = get (f, "/courses/6");
  g_assert_cmpuint (hidden->status, ==, 200);
  g_assert_null (strstr (hidden->body, "og:"));
  g_assert_null (strstr (hidden->body, "内部课程的标题"));
  bad = get (f, "/courses/abc");
  g_assert_cmpuint (bad->status, ==, 200);
  g_assert_null (strstr (bad->body, "og:"));
}

/* --- oEmbed ------------------------------------------------------------------------------------ */

static guint
oembed (Fixture *f, const char *url, const char *extra, JsonNode **doc)
{
  g_autofree char *esc = g_uri_escape_string (url, NULL, TRUE);
  g_autofree char *path = g_strdup_printf ("/oembed?url=%s%s", esc, extra != NULL ? extra : "");

  return yg_test_call (f->ts->port, NULL, "GET", path, NULL, NULL, doc);
}

static void
test_oembed (Fixture *f, gconstpointer data)
{
  g_autofree char *page = g_strdup_printf (BASE "/items/%s", f->items[0]);
  g_autofree char *embed = g_strdup_printf (BASE "/embed/%s", f->items[0]);
  g_autofree char *src = g_strdup_printf ("<iframe src=\"%s\" width=\"640\" height=\"360\" title=\"&quot;&gt;&lt;script&gt;",
                                          embed);
  g_autofree char *thumb = g_strdup_printf (BASE "/hls/%s/poster.jpg", f->items[0]);
  g_autoptr (JsonNode) doc = NULL, small = NULL, again = NULL;
  JsonObject *o;

  g_assert_cmpuint (oembed (f, page, "&format=json", &doc), ==, 200);
  o = json_node_get_object (doc);
  g_assert_cmpstr (json_object_get_string_member (o, "version"), ==, "1.0");
  g_assert_cmpstr (json_object_get_string_member (o, "type"), ==, "video");
  g_assert_cmpstr (json_object_get_string_member (o, "title"), ==, HOSTILE); /* JSON, not HTML */
  g_assert_cmpint (json_object_get_int_member (o, "width"), ==, 640);
  g_assert_cmpint (json_object_get_int_member (o, "height"), ==, 360);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (o, "html"), src));
  g_assert_null (strstr (json_object_get_string_member (o, "html"), "<script"));
  g_assert_true (g_str_has_suffix (json_object_get_string_member (o, "html"), "></iframe>"));
  g_assert_cmpstr (json_object_get_string_member (o, "thumbnail_url"), ==, thumb);
  g_assert_cmpint (json_object_get_int_member (o, "thumbnail_width"), ==, 320);
  g_assert_cmpint (json_object_get_int_member (o, "thumbnail_height"), ==, 180);
  g_assert_true (json_object_has_member (o, "provider_name"));

  /* maxwidth/maxheight bound the frame (16:9); the embed URL works as well */
  g_assert_cmpuint (oembed (f, embed, "&maxwidth=320&maxheight=500", &small), ==, 200);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (small), "width"), ==, 320);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (small), "height"), ==, 180);
  g_assert_cmpuint (oembed (f, page, "&maxwidth=1000&maxheight=90", &again), ==, 200);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (again), "width"), ==, 160);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (again), "height"), ==, 90);

  g_assert_cmpuint (oembed (f, page, "&format=xml", NULL), ==, 501);
  g_assert_cmpuint (oembed (f, page, "&maxwidth=0", NULL), ==, 400);
  g_assert_cmpuint (oembed (f, page, "&maxheight=abc", NULL), ==, 400);
}

static void
test_oembed_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *residents = g_strdup_printf (BASE "/items/%s", f->items[1]);
  g_autofree char *staff = g_strdup_printf (BASE "/embed/%s", f->items[2]);
  g_autofree char *missing = g_strdup (BASE "/items/zzzzzzzzzzzzzzzz");
  g_autofree char *foreign = g_strdup_printf ("https://evil.example/items/%s", f->items[0]);
  g_autofree char *port = g_strdup_printf (BASE ":8443/items/%s", f->items[0]);
  g_autofree char *other = g_strdup (BASE "/courses/5");
  g_autofree char *dots = g_strdup (BASE "/items/..%2f..");
  g_autofree char *js = g_strdup ("javascript:alert(1)");
  const char *urls[] = { residents, staff, missing, foreign, port, other, dots, js, "" };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autoptr (JsonNode) doc = NULL;

      g_test_message ("%s", urls[i]);
      g_assert_cmpuint (oembed (f, urls[i], NULL, &doc), ==, 404);
      g_assert_nonnull (doc);
      g_assert_null (strstr (json_node_get_string (json_object_get_member (
                                 json_object_get_object_member (json_node_get_object (doc), "error"),
                                 "message")),
                             "的标题"));
    }
  g_assert_cmpuint (yg_test_call (f->ts->port, NULL, "GET", "/oembed", NULL, NULL, NULL), ==, 404);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Share cards (Open Graph) and oEmbed, with hostile titles");
#define ADD(path, fn) g_test_add (path, Fixture, BASE, fixture_setup, fn, fixture_teardown)
  g_test_add_func ("/share/escape", test_escape);
  g_test_add_func ("/share/tags", test_tags);
  ADD ("/share/item-page", test_item_page);
  g_test_add ("/share/item-page/host", Fixture, NULL, fixture_setup, test_item_page,
              fixture_teardown);
  ADD ("/share/private-pages", test_private_pages);
  ADD ("/share/course-page", test_course_page);
  ADD ("/share/oembed", test_oembed);
  ADD ("/share/oembed/refused", test_oembed_refused);
  return g_test_run ();
}

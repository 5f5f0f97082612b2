/* yg-route-web.c: the browser UI: pages and their static files.
 *
 * Pages (/, /items/<id>, /embed/<id>, the resident portal's /browse,
 * /search, /courses/<id>, /signin, /register, /requests[/<id>], the staff
 * console /console and the report /report) are fixed HTML files from the
 * web directory;
 * their scripts fetch the data from the API (console and report pages are
 * the same for everyone; the API decides what a caller may read or change).
 * The only server-side text in a page is the share card of an item or
 * course page (Open Graph, oEmbed discovery), built and escaped in
 * yg-html-meta.c for what anonymous callers may see (yg-route-share.c).
 * Static files come from one flat directory with an extension allowlist; hls.js,
 * tus-js-client and ECharts come from the npm packages installed in
 * web/node_modules. Every page carries a Content-Security-Policy with
 * script-src 'self' (no inline script), nosniff and a referrer policy.
 * Only /embed/<id> may be framed by other sites: its frame-ancestors lists
 * exactly the enabled partners' origins (yg-partners.c), so an unlisted site
 * cannot frame it; every other page is frame-ancestors 'self' against
 * clickjacking of sign-in and enrolment.
 * Thread: main thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-http-error.h"
#include "yg-http-file.h"
#include "yg-partners.h"
#include "yg-routes.h"
#include "yg-server.h"
#include "yg-subscriptions.h"

/* The pages' policy; @remote: " origin …" of subscribed feeds, whose HLS, posters and
 * players' requests the pages load (yg-subscriptions.c). */
static char *
csp (YgServer *server, const char *ancestors)
{
  const char *remote = yg_subscriptions_origins (yg_server_get_subscriptions (server));

  return g_strdup_printf ("default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data: blob:%s; media-src 'self' blob:%s; "
                          "connect-src 'self'%s; worker-src 'self' blob:; base-uri 'none'; "
                          "form-action 'self'; frame-ancestors %s",
                          remote, remote, remote, ancestors);
}

static void
security_headers_csp (YgRequest *req, const char *policy)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (req->msg);

  soup_message_headers_replace (h, "Content-Security-Policy", policy);
  soup_message_headers_replace (h, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (h, "Referrer-Policy", "strict-origin-when-cross-origin");
}

static void
security_headers (YgRequest *req)
{
  g_autofree char *policy = csp (req->server, "'self'");

  security_headers_csp (req, policy);
}

static void
page_with_csp (YgServer *server, YgRequest *req, const char *file, const char *csp)
{
  security_headers_csp (req, csp);
  yg_http_serve_file (req, yg_server_get_config (server)->web_dir, file,
                      "text/html; charset=utf-8", "no-cache");
}

static void
page (YgServer *server, YgRequest *req, const char *file)
{
  g_autofree char *policy = csp (server, "'self'");

  page_with_csp (server, req, file, policy);
}

void
yg_route_web_home (YgServer *server, YgRequest *req)
{
  page (server, req, "index.html");
}

void
yg_route_web_item (YgServer *server, YgRequest *req)
{
  security_headers (req);
  yg_route_share_page (server, req, "item.html", FALSE); /* with its share card */
}

void
yg_route_web_console (YgServer *server, YgRequest *req)
{
  page (server, req, "console.html");
}

void
yg_route_web_embed (YgServer *server, YgRequest *req)
{
  g_autofree char *ancestors = yg_partners_frame_ancestors (yg_server_get_partners (server));
  g_autofree char *policy = csp (server, ancestors);

  page_with_csp (server, req, "embed.html", policy);
}

/* The resident portal's pages, by route pattern (yg-routes.c names them). */
static const struct
{
  const char *pattern;
  const char *file;
} portal_pages[] = {
  { "/browse", "browse.html" },
  { "/search", "search.html" },
  { "/signin", "account.html" },
  { "/register", "account.html" },
  { "/requests", "requests.html" },
  { "/requests/{id}", "requests.html" },
};

void
yg_route_web_course (YgServer *server, YgRequest *req)
{
  security_headers (req);
  yg_route_share_page (server, req, "course.html", TRUE); /* with its share card */
}

void
yg_route_web_portal (YgServer *server, YgRequest *req)
{
  for (guint i = 0; i < G_N_ELEMENTS (portal_pages); i++)
    if (g_str_equal (req->route->pattern, portal_pages[i].pattern))
      {
        page (server, req, portal_pages[i].file);
        return;
      }
  g_warn_if_reached (); /* a row in yg-routes.c without its file here */
  yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No such page");
}

void
yg_route_web_report (YgServer *server, YgRequest *req)
{
  page (server, req, "report.html");
}

static const struct
{
  const char *ext;
  const char *type;
} static_types[] = {
  { ".js", "text/javascript; charset=utf-8" }, { ".mjs", "text/javascript; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },       { ".svg", "image/svg+xml" },
  { ".png", "image/png" },                     { ".ico", "image/x-icon" },
  { ".json", "application/json" },             { ".woff2", "font/woff2" },
};

void
yg_route_web_static (YgServer *server, YgRequest *req)
{
  const char *name = yg_request_param (req, 0);
  g_autofree char *rel = NULL;

  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      {
        yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No such file");
        return;
      }
  for (guint i = 0; name[0] != '.' && i < G_N_ELEMENTS (static_types); i++)
    if (g_str_has_suffix (name, static_types[i].ext))
      {
        rel = g_strdup_printf ("static/%s", name);
        security_headers (req);
        yg_http_serve_file (req, yg_server_get_config (server)->web_dir, rel, static_types[i].type,
                            "public, max-age=300");
        return;
      }
  yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No such file");
}

static void
vendor (YgServer *server, YgRequest *req, const char *rel)
{
  security_headers (req);
  yg_http_serve_file (req, yg_server_get_config (server)->web_dir, rel,
                      "text/javascript; charset=utf-8", "public, max-age=86400");
}

void
yg_route_web_hlsjs (YgServer *server, YgRequest *req)
{
  vendor (server, req, "node_modules/hls.js/dist/hls.min.js");
}

void
yg_route_web_tusjs (YgServer *server, YgRequest *req)
{
  vendor (server, req, "node_modules/tus-js-client/dist/tus.min.js");
}

/* The npm build of WeChat's JS-SDK is a CommonJS module; browsers get it
 * wrapped so that it defines window.wx like the official script. Read
 * without blocking, answered whole. */
#define JWEIXIN_PREFIX "(function () {\nvar module = { exports: {} };\n"
#define JWEIXIN_SUFFIX "\nwindow.wx = window.jWeixin = module.exports;\n})();\n"

static void
jweixin_loaded (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (SoupServerMessage) msg = data;
  YgRequest *req = yg_request_get (msg);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  GString *out;
  g_autoptr (GBytes) body = NULL;

  if (!g_file_load_contents_finish (G_FILE (source), res, &text, &len, NULL, &error))
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "The WeChat JS-SDK is not installed");
      return;
    }
  out = g_string_sized_new (len + 128);
  g_string_append (out, JWEIXIN_PREFIX);
  g_string_append_len (out, text, len);
  g_string_append (out, JWEIXIN_SUFFIX);
  body = g_string_free_to_bytes (out);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "public, max-age=86400");
  yg_request_respond_bytes (req, 200, "text/javascript; charset=utf-8", body);
}

void
yg_route_web_jweixin (YgServer *server, YgRequest *req)
{
  g_autofree char *path = g_build_filename (yg_server_get_config (server)->web_dir, "node_modules",
                                            "weixin-js-sdk", "index.js", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);

  security_headers (req);
  yg_request_pause (req);
  g_file_load_contents_async (file, NULL, jweixin_loaded, g_object_ref (req->msg));
}

void
yg_route_web_echarts (YgServer *server, YgRequest *req)
{
  vendor (server, req, "node_modules/echarts/dist/echarts.min.js");
}

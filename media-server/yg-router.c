/* yg-router.c: the route table, validated once, matched per request.
 *
 * yg_router_new refuses a table with a route that has no auth class, no
 * handler, a malformed pattern or a duplicate method+pattern: the server
 * does not start with such a table. Matching works on the raw (still
 * percent-encoded) path: it is split at '/', then each segment is decoded on
 * its own, so an encoded slash can never create a new segment. A segment that
 * decodes to NUL, '/', '\\', invalid UTF-8, "." or ".." is a bad path (400)
 * before any handler sees it. Parameters are handed over decoded.
 * Thread: any, the router is immutable after creation.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-router.h"

#include <string.h>

#include "yg-http-error.h"

#define MAX_SEGMENTS 16
#define MAX_SEGMENT_BYTES 256

typedef struct
{
  const YgRoute *route;
  char **segments; /* literal text, or NULL for a {param} */
  guint n_segments;
} Compiled;

struct _YgRouter
{
  const YgRoute *routes;
  gsize n_routes;
  Compiled *compiled;
};

static const char *const auth_names[] = {
  [YG_AUTH_UNSET] = "unset",         [YG_AUTH_PUBLIC] = "public",   [YG_AUTH_RESIDENT] = "resident",
  [YG_AUTH_STAFF] = "staff",         [YG_AUTH_PARTNER] = "partner", [YG_AUTH_ADMIN] = "admin",
  [YG_AUTH_WORKER] = "worker",       [YG_AUTH_PLAYBACK_TOKEN] = "playback-token",
};

const char *
yg_auth_class_to_string (YgAuthClass auth)
{
  return auth < G_N_ELEMENTS (auth_names) ? auth_names[auth] : "invalid";
}

static gboolean
valid_method (const char *m)
{
  static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS" };

  for (guint i = 0; m != NULL && i < G_N_ELEMENTS (methods); i++)
    if (g_str_equal (m, methods[i]))
      return TRUE;
  return FALSE;
}

static gboolean
compile (const YgRoute *r, Compiled *c, GError **error)
{
  g_auto (GStrv) parts = NULL;

  if (r->pattern == NULL || r->pattern[0] != '/')
    {
      g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INTERNAL,
                   "route pattern \"%s\" must start with /", r->pattern ? r->pattern : "(null)");
      return FALSE;
    }
  if (r->auth <= YG_AUTH_UNSET || r->auth >= YG_AUTH_N_CLASSES)
    {
      g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INTERNAL,
                   "route %s %s declares no auth class", r->method ? r->method : "?", r->pattern);
      return FALSE;
    }
  if (!valid_method (r->method) || r->handler == NULL)
    {
      g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INTERNAL,
                   "route %s %s needs a valid method and a handler", r->method ? r->method : "?",
                   r->pattern);
      return FALSE;
    }
  /* "/" is one empty segment, as the request path "/" splits. */
  parts = g_str_equal (r->pattern, "/") ? g_strdupv ((char *[]){ "", NULL })
                                         : g_strsplit (r->pattern + 1, "/", MAX_SEGMENTS + 1);
  c->route = r;
  c->n_segments = g_strv_length (parts);
  c->segments = g_new0 (char *, c->n_segments + 1);
  for (guint i = 0; i < c->n_segments; i++)
    {
      const char *p = parts[i];
      gsize len = strlen (p);
      if (len >= 2 && p[0] == '{' && p[len - 1] == '}')
        c->segments[i] = NULL;
      else if (strchr (p, '{') != NULL || strchr (p, '}') != NULL)
        {
          g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INTERNAL,
                       "route pattern \"%s\": a parameter must be a whole segment", r->pattern);
          return FALSE;
        }
      else
        c->segments[i] = g_strdup (p);
    }
  return TRUE;
}

void
yg_router_free (YgRouter *router)
{
  if (router == NULL)
    return;
  for (gsize i = 0; i < router->n_routes; i++)
    {
      for (guint j = 0; router->compiled[i].segments != NULL && j < router->compiled[i].n_segments;
           j++)
        g_free (router->compiled[i].segments[j]);
      g_free (router->compiled[i].segments);
    }
  g_free (router->compiled);
  g_free (router);
}

/**
 * yg_router_new:
 * @routes: (array length=n_routes): must outlive the router
 *
 * Returns: (transfer full): the router, or %NULL if any route is invalid
 */
YgRouter *
yg_router_new (const YgRoute *routes, gsize n_routes, GError **error)
{
  g_autoptr (YgRouter) router = g_new0 (YgRouter, 1);

  router->routes = routes;
  router->n_routes = n_routes;
  router->compiled = g_new0 (Compiled, n_routes);
  for (gsize i = 0; i < n_routes; i++)
    {
      if (!compile (&routes[i], &router->compiled[i], error))
        return NULL;
      for (gsize j = 0; j < i; j++)
        if (g_str_equal (routes[i].method, routes[j].method)
            && g_str_equal (routes[i].pattern, routes[j].pattern))
          {
            g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INTERNAL, "route %s %s declared twice",
                         routes[i].method, routes[i].pattern);
            return NULL;
          }
    }
  return g_steal_pointer (&router);
}

const YgRoute *
yg_router_get_routes (YgRouter *router, gsize *n_routes)
{
  *n_routes = router->n_routes;
  return router->routes;
}

static int
hexval (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c = g_ascii_tolower (c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* Decodes one raw segment; NULL if it is not acceptable. */
static char *
decode_segment (const char *raw, gsize len)
{
  g_autofree char *out = g_malloc (len + 1);
  gsize o = 0;

  for (gsize i = 0; i < len; i++)
    {
      char ch = raw[i];
      if (ch == '%')
        {
          int hi, lo;
          if (i + 2 >= len)
            return NULL;
          hi = hexval (raw[i + 1]);
          lo = hexval (raw[i + 2]);
          if (hi < 0 || lo < 0)
            return NULL;
          ch = (char) (hi << 4 | lo);
          i += 2;
        }
      if (ch == '\0' || ch == '/' || ch == '\\' || (guchar) ch < 0x20 || ch == 0x7f)
        return NULL;
      out[o++] = ch;
    }
  out[o] = '\0';
  if (!g_utf8_validate (out, o, NULL) || g_str_equal (out, ".") || g_str_equal (out, ".."))
    return NULL;
  return g_steal_pointer (&out);
}

/**
 * yg_router_match:
 * @raw_path: the request path as sent (percent-encoded, no query)
 * @route: (out): the matching route
 * @params: (element-type utf8): receives the decoded {param} values
 * @allow: receives "GET, POST" style text for a 405
 */
YgRouterResult
yg_router_match (YgRouter      *router,
                 const char    *method,
                 const char    *raw_path,
                 const YgRoute **route,
                 GPtrArray     *params,
                 GString       *allow)
{
  char *segs[MAX_SEGMENTS];
  guint n = 0;
  const char *p;
  gboolean path_seen = FALSE;
  YgRouterResult result = YG_ROUTER_NO_PATH;

  *route = NULL;
  if (raw_path == NULL || raw_path[0] != '/')
    return YG_ROUTER_BAD_PATH;

  p = raw_path + 1;
  for (;;)
    {
      const char *end = strchr (p, '/');
      gsize len = end != NULL ? (gsize) (end - p) : strlen (p);
      if (n == MAX_SEGMENTS || len > MAX_SEGMENT_BYTES)
        {
          result = YG_ROUTER_NO_PATH;
          goto out;
        }
      segs[n] = decode_segment (p, len);
      if (segs[n] == NULL)
        {
          result = YG_ROUTER_BAD_PATH;
          goto out;
        }
      n++;
      if (end == NULL)
        break;
      p = end + 1;
    }

  /* Among routes whose path matches, an exact method wins; HEAD falls back
   * to GET; otherwise the Allow list is built for the 405. */
  for (int pass = 0; pass < 2 && *route == NULL; pass++)
    for (gsize i = 0; i < router->n_routes && *route == NULL; i++)
      {
        const Compiled *c = &router->compiled[i];
        gboolean ok = c->n_segments == n;

        for (guint j = 0; ok && j < n; j++)
          ok = c->segments[j] != NULL ? g_str_equal (c->segments[j], segs[j]) : segs[j][0] != '\0';
        if (!ok)
          continue;
        if (!path_seen)
          g_string_truncate (allow, 0);
        path_seen = TRUE;
        if (pass == 0 ? g_str_equal (c->route->method, method)
                      : g_str_equal (method, "HEAD") && g_str_equal (c->route->method, "GET"))
          *route = c->route;
        else if (pass == 1)
          {
            g_string_append_printf (allow, "%s%s", allow->len ? ", " : "", c->route->method);
            if (g_str_equal (c->route->method, "GET"))
              g_string_append (allow, ", HEAD");
          }
      }
  if (*route != NULL)
    {
      const Compiled *c = NULL;
      for (gsize i = 0; i < router->n_routes; i++)
        if (router->compiled[i].route == *route)
          c = &router->compiled[i];
      for (guint j = 0; j < n; j++)
        if (c->segments[j] == NULL)
          g_ptr_array_add (params, g_strdup (segs[j]));
      result = YG_ROUTER_MATCH;
    }
  else
    result = path_seen ? YG_ROUTER_NO_METHOD : YG_ROUTER_NO_PATH;

out:
  for (guint j = 0; j < n; j++)
    g_free (segs[j]);
  return result;
}

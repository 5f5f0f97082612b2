/* route-audit-test.c: every route of the table against every kind of credential.
 *
 * Driven by yg_routes itself: each row is called with no credentials, a
 * malformed Authorization header, an expired, a revoked, a partner, a worker,
 * a staff and an admin token. The expected answer is derived from an
 * independent statement of the policy (the `admits` table below, written from
 * yg-auth.c's decision table and yg-server.c's authenticate), so a change to
 * either side shows up here: a credential the class refuses must get exactly
 * 401 (none, malformed, unknown/expired/revoked) or 403 (a valid token of the
 * wrong role); one it admits must get past authentication (any status but
 * 401/403 and never 5xx; 400/404/409… from the handler is fine). A second
 * table, `policy`, says which class each URL family must have, so a route
 * added with a wrong (or an unreviewed) class fails /route-audit/policy.
 * A signed-in resident is one more row: a session cookie with its CSRF token
 * (signed in again after the route that signs out). Suite: http.
 */
#include <json-glib/json-glib.h>

#include "yg-routes.h"
#include "yg-test-server.h"
#include "yg-token-store.h"
#include "yg-user-store.h"

#define PASSWORD "correct horse battery"

typedef enum
{
  CRED_NONE,      /* no Authorization header */
  CRED_MALFORMED, /* a header that is not "Bearer <token>" */
  CRED_UNKNOWN,   /* a well-formed token the store does not accept (expired, revoked) */
  CRED_ROLE,      /* a valid token with a role */
  CRED_COOKIE,    /* a signed-in account's session cookie and CSRF token */
} CredKind;

typedef struct
{
  const char *name;
  CredKind kind;
  YgRole role; /* CRED_ROLE only */
} Credential;

static const Credential credentials[] = {
  { "none", CRED_NONE, YG_ROLE_NONE },
  { "malformed", CRED_MALFORMED, YG_ROLE_NONE },
  { "expired", CRED_UNKNOWN, YG_ROLE_STAFF },
  { "revoked", CRED_UNKNOWN, YG_ROLE_ADMIN },
  { "partner", CRED_ROLE, YG_ROLE_PARTNER },
  { "worker", CRED_ROLE, YG_ROLE_WORKER },
  { "staff", CRED_ROLE, YG_ROLE_STAFF },
  { "admin", CRED_ROLE, YG_ROLE_ADMIN },
  { "resident", CRED_COOKIE, YG_ROLE_RESIDENT },
};

/* The policy, stated independently of yg_auth_allows: which valid roles each
 * class admits. A class missing here fails the audit. */
static gboolean
admits (YgAuthClass auth, YgRole role, gboolean *known)
{
  *known = TRUE;
  switch (auth)
    {
    case YG_AUTH_PUBLIC:
      return TRUE;
    case YG_AUTH_RESIDENT:
      return role == YG_ROLE_RESIDENT || role == YG_ROLE_STAFF || role == YG_ROLE_ADMIN;
    case YG_AUTH_STAFF:
      return role == YG_ROLE_STAFF || role == YG_ROLE_ADMIN;
    case YG_AUTH_PARTNER:
      return role == YG_ROLE_PARTNER || role == YG_ROLE_ADMIN;
    case YG_AUTH_ADMIN:
      return role == YG_ROLE_ADMIN;
    case YG_AUTH_WORKER:
      return role == YG_ROLE_WORKER;
    case YG_AUTH_PLAYBACK_TOKEN: /* checked by delivery, never by a bearer token */
      return FALSE;
    default:
      *known = FALSE;
      return FALSE;
    }
}

/* Which class a URL family must have. First match wins; a route that matches
 * nothing fails (review it and add a row). Public routes must be listed one
 * by one. */
static const struct
{
  const char *method; /* NULL: any */
  const char *prefix; /* pattern prefix, or the whole pattern when exact */
  gboolean exact;
  YgAuthClass auth;
} policy[] = {
  { "OPTIONS", "/api/v1/uploads", FALSE, YG_AUTH_PUBLIC }, /* CORS preflight carries no token */
  { NULL, "/api/v1/uploads", FALSE, YG_AUTH_STAFF },
  { NULL, "/api/v1/worker/", FALSE, YG_AUTH_WORKER },
  { NULL, "/api/v1/jobs", FALSE, YG_AUTH_STAFF },
  { NULL, "/metrics", TRUE, YG_AUTH_STAFF },
  { NULL, "/api/v1/me", TRUE, YG_AUTH_RESIDENT },
  { "GET", "/hls/t/", FALSE, YG_AUTH_PLAYBACK_TOKEN }, /* the signed path is the credential */
  { "POST", "/api/v1/accounts", TRUE, YG_AUTH_PUBLIC }, /* registration */
  { "POST", "/api/v1/session", TRUE, YG_AUTH_PUBLIC },  /* sign-in */
  { "DELETE", "/api/v1/session", TRUE, YG_AUTH_PUBLIC }, /* sign-out works without a session */
  { "GET", "/api/v1/search", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/api/v1/inheritors", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/api/v1/inheritors/{id}", TRUE, YG_AUTH_PUBLIC },
  { NULL, "/api/v1/inheritors", FALSE, YG_AUTH_STAFF },
  { NULL, "/api/v1/courses/{id}/enrolment", TRUE, YG_AUTH_RESIDENT },
  { "GET", "/api/v1/courses", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/api/v1/courses/{id}", TRUE, YG_AUTH_PUBLIC },
  { NULL, "/api/v1/courses", FALSE, YG_AUTH_STAFF }, /* create, change, delete, outline */
  { NULL, "/api/v1/progress/", FALSE, YG_AUTH_RESIDENT },
  { NULL, "/api/v1/me/learning", TRUE, YG_AUTH_RESIDENT },
  { "GET", "/api/v1/requests", TRUE, YG_AUTH_PUBLIC },
  { "POST", "/api/v1/requests", TRUE, YG_AUTH_RESIDENT },
  { "GET", "/api/v1/requests/awaiting", TRUE, YG_AUTH_STAFF },
  { "GET", "/api/v1/requests/{id}", TRUE, YG_AUTH_PUBLIC },
  { NULL, "/api/v1/requests/{id}/support", TRUE, YG_AUTH_RESIDENT },
  { "POST", "/api/v1/requests/{id}/answer", TRUE, YG_AUTH_STAFF },
  { "GET", "/api/v1/lecturers", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/api/v1/lecturers/{id}", TRUE, YG_AUTH_PUBLIC },
  { NULL, "/api/v1/lecturers", FALSE, YG_AUTH_STAFF },
  { "GET", "/api/v1/ratings/{type}/{target}", TRUE, YG_AUTH_PUBLIC },
  { "PUT", "/api/v1/ratings/{type}/{target}", TRUE, YG_AUTH_RESIDENT },
  { "PATCH", "/api/v1/ratings/{id}", TRUE, YG_AUTH_STAFF },
  { "POST", "/api/v1/heartbeats", TRUE, YG_AUTH_PUBLIC }, /* anonymous viewers count too */
  { NULL, "/api/v1/partners", FALSE, YG_AUTH_ADMIN }, /* partner centres: admins only */
  { "POST", "/api/v1/embeds", TRUE, YG_AUTH_PARTNER }, /* a partner mints its embed tokens */
  { "GET", "/api/v1/feed", TRUE, YG_AUTH_PUBLIC },   /* the public catalogue, for other centres */
  { "GET", "/api/v1/wechat/signature", TRUE, YG_AUTH_PUBLIC }, /* share cards; this server's pages */
  { NULL, "/api/v1/subscriptions", FALSE, YG_AUTH_ADMIN }, /* following other centres: admins */
  { NULL, "/api/v1/analytics/", FALSE, YG_AUTH_STAFF },
  { NULL, "/api/v1/reports/", FALSE, YG_AUTH_STAFF },
  { "PATCH", "/api/v1/items/{id}", TRUE, YG_AUTH_STAFF },
  { NULL, "/api/v1/items/{id}/", FALSE, YG_AUTH_STAFF }, /* chapters, inheritor links */
  { "GET", "/", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/items/{id}", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/embed/{id}", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/oembed", TRUE, YG_AUTH_PUBLIC }, /* public items only */
  /* a static page; its data comes from staff-only API routes */
  { "GET", "/console", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/browse", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/search", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/courses/{id}", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/signin", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/register", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/requests", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/requests/{id}", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/static/{name}", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/static/vendor/hls.min.js", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/static/vendor/tus.min.js", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/static/vendor/echarts.min.js", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/static/vendor/jweixin.js", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/report", TRUE, YG_AUTH_PUBLIC }, /* the page; its data is staff-only */
  { "GET", "/hls/{id}/{name}", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/hls/{id}/{rung}/{name}", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/api/v1/items", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/api/v1/items/{id}", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/healthz", TRUE, YG_AUTH_PUBLIC },
  { "GET", "/api/v1/openapi.yaml", TRUE, YG_AUTH_PUBLIC },
};

typedef struct
{
  YgTestServer *ts;
  char *tokens[G_N_ELEMENTS (credentials)]; /* bearer value, cookie header lines, or NULL */
} Fixture;

typedef struct
{
  YgRole role;
  gint64 expires_at;
  gboolean revoke;
} MakeToken;

static gpointer
make_token (gpointer conn, gpointer data, GError **error)
{
  MakeToken *m = data;
  g_autofree char *token = yg_token_store_create (conn, m->role, "audit", m->expires_at, error);
  g_autoptr (YgPrincipal) p = NULL;

  if (token == NULL)
    return NULL;
  if (m->revoke)
    {
      p = yg_token_store_lookup (conn, token, error);
      if (p == NULL || !yg_token_store_revoke (conn, p->token_id, error))
        return NULL;
    }
  return g_steal_pointer (&token);
}

static gpointer
add_resident (gpointer conn, gpointer data, GError **error)
{
  return yg_user_store_create (conn, "audit", "Audit", YG_ROLE_RESIDENT, PASSWORD, error) > 0
           ? GINT_TO_POINTER (1)
           : NULL;
}

/* Signs the resident in: "Cookie: …\r\nX-CSRF-Token: …\r\n". */
static char *
sign_in (Fixture *f)
{
  g_autoptr (YgTestResponse) r = yg_test_request (
    f->ts->port, NULL, "POST", "/api/v1/session", "Content-Type: application/json\r\n",
    "{\"username\":\"audit\",\"password\":\"" PASSWORD "\"}");
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autofree char *set = NULL;

  g_assert_cmpuint (r->status, ==, 200);
  set = yg_test_response_header (r, "Set-Cookie", 0);
  g_assert_true (json_parser_load_from_data (p, r->body, r->body_len, NULL));
  return g_strdup_printf ("Cookie: %.*s\r\nX-CSRF-Token: %s\r\n", (int) strcspn (set, ";"), set,
                          json_object_get_string_member (
                            json_node_get_object (json_parser_get_root (p)), "csrf_token"));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->ts = yg_test_server_start (NULL, yg_routes, yg_n_routes);
  for (guint i = 0; i < G_N_ELEMENTS (credentials); i++)
    {
      const Credential *c = &credentials[i];
      MakeToken m = { c->role, 0, FALSE };

      if (c->kind == CRED_NONE || c->kind == CRED_MALFORMED)
        continue;
      if (c->kind == CRED_COOKIE)
        {
          yg_test_server_db_sync (f->ts, add_resident, NULL);
          f->tokens[i] = sign_in (f);
          continue;
        }
      if (g_str_equal (c->name, "expired"))
        m.expires_at = g_get_real_time () / G_USEC_PER_SEC - 60;
      else if (g_str_equal (c->name, "revoked"))
        m.revoke = TRUE;
      f->tokens[i] = yg_test_server_db_sync (f->ts, make_token, &m);
      g_assert_nonnull (f->tokens[i]);
    }
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (credentials); i++)
    g_free (f->tokens[i]);
  yg_test_server_stop (f->ts);
}

/* A concrete path for a pattern: each {param} becomes a harmless value. */
static char *
concrete_path (const char *pattern)
{
  g_auto (GStrv) parts = g_strsplit (pattern, "/", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] == '{')
      {
        g_free (parts[i]);
        parts[i] = g_strdup ("audit0000000000x");
      }
  return g_strjoinv ("/", parts);
}

static char *
credential_header (Fixture *f, guint i)
{
  switch (credentials[i].kind)
    {
    case CRED_NONE:
      return g_strdup ("");
    case CRED_MALFORMED:
      return g_strdup ("Authorization: Basic YXVkaXQ6YXVkaXQ=\r\n");
    case CRED_COOKIE:
      return g_strdup (f->tokens[i]);
    case CRED_UNKNOWN:
    case CRED_ROLE:
    default:
      return g_strdup_printf ("Authorization: Bearer %s\r\n", f->tokens[i]);
    }
}

/* The status the audit demands, or 0 for "passes authentication". */
static guint
expected_refusal (const YgRoute *r, guint i)
{
  const Credential *c = &credentials[i];
  gboolean known;

  admits (r->auth, c->role, &known);
  if (!known)
    g_error ("route %s %s has auth class %s, which this audit does not know: add it to admits()",
             r->method, r->pattern, yg_auth_class_to_string (r->auth));
  /* A signed path is its own credential (here a made-up one): headers change nothing. */
  if (r->auth == YG_AUTH_PLAYBACK_TOKEN)
    return 403;
  switch (c->kind)
    {
    case CRED_NONE:
      return r->auth == YG_AUTH_PUBLIC ? 0 : 401;
    case CRED_MALFORMED:
    case CRED_UNKNOWN:
      return 401; /* a bad credential is refused even on a public route */
    case CRED_ROLE:
    case CRED_COOKIE:
    default:
      return admits (r->auth, c->role, &known) ? 0 : 403;
    }
}

static void
test_matrix (Fixture *f, gconstpointer data)
{
  guint checked = 0;

  for (gsize r = 0; r < yg_n_routes; r++)
    {
      const YgRoute *route = &yg_routes[r];
      g_autofree char *path = concrete_path (route->pattern);

      for (guint i = 0; i < G_N_ELEMENTS (credentials); i++)
        {
          g_autofree char *auth = credential_header (f, i);
          g_autofree char *request = g_strdup_printf (
            "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%sTus-Resumable: 1.0.0\r\n"
            "Content-Length: 0\r\n\r\n",
            route->method, path, auth);
          guint status = 0;
          g_autofree char *response = yg_test_http (f->ts->port, request, &status);
          guint want = expected_refusal (route, i);

          g_test_message ("%-7s %-36s %-9s -> %u", route->method, route->pattern,
                          credentials[i].name, status);
          if (want != 0 && status != want)
            g_error ("%s %s with a %s credential (class %s): expected %u, got %u:\n%s",
                     route->method, route->pattern, credentials[i].name,
                     yg_auth_class_to_string (route->auth), want, status, response);
          if (want == 0 && (status == 401 || status == 403 || status >= 500 || status == 0))
            g_error ("%s %s with a %s credential (class %s) must pass authentication, got %u:\n%s",
                     route->method, route->pattern, credentials[i].name,
                     yg_auth_class_to_string (route->auth), status, response);
          if (want == 401)
            g_assert_nonnull (strcasestr (response, "\r\nWWW-Authenticate: Bearer"));
          if (want != 0 && !g_str_equal (route->method, "HEAD")) /* HEAD: no body */
            g_assert_nonnull (strstr (response, want == 401 ? "\"unauthorized\"" : "\"forbidden\""));
          if (credentials[i].kind == CRED_COOKIE && g_str_equal (route->method, "DELETE")
              && g_str_equal (route->pattern, "/api/v1/session"))
            {
              g_free (f->tokens[i]); /* that signed the resident out */
              f->tokens[i] = sign_in (f);
            }
          checked++;
        }
    }
  g_test_message ("%u route x credential cases", checked);
  g_assert_cmpuint (checked, ==, yg_n_routes * G_N_ELEMENTS (credentials));
}

/* What is wrong with @route under the policy, or NULL. */
static char *
policy_violation (const YgRoute *route)
{
  for (guint p = 0; p < G_N_ELEMENTS (policy); p++)
    {
      if (policy[p].method != NULL && !g_str_equal (policy[p].method, route->method))
        continue;
      if (policy[p].exact ? !g_str_equal (policy[p].prefix, route->pattern)
                          : !g_str_has_prefix (route->pattern, policy[p].prefix))
        continue;
      if (route->auth == policy[p].auth)
        return NULL;
      return g_strdup_printf ("route %s %s has auth class %s; the policy for %s%s says %s",
                              route->method, route->pattern, yg_auth_class_to_string (route->auth),
                              policy[p].prefix, policy[p].exact ? "" : "*",
                              yg_auth_class_to_string (policy[p].auth));
    }
  return g_strdup_printf ("route %s %s (class %s) is not covered by the audit policy: review its "
                          "auth class and add it to tests/route-audit-test.c",
                          route->method, route->pattern, yg_auth_class_to_string (route->auth));
}

static void
test_policy (void)
{
  for (gsize r = 0; r < yg_n_routes; r++)
    {
      g_autofree char *wrong = policy_violation (&yg_routes[r]);
      if (wrong != NULL)
        g_error ("%s", wrong);
    }
}

/* The policy check itself catches the mistakes it is there for. */
static void
test_policy_catches (void)
{
  static const YgRoute mistakes[] = {
    { "GET", "/metrics", YG_AUTH_PUBLIC, yg_route_metrics, 0 },
    { "GET", "/api/v1/jobs/{id}/log", YG_AUTH_PUBLIC, yg_route_job_get, 0 },
    { "POST", "/api/v1/worker/jobs/{id}/files", YG_AUTH_STAFF, yg_route_worker_files, 0 },
    { "PATCH", "/api/v1/uploads/{id}", YG_AUTH_PARTNER, yg_route_uploads_patch, 0 },
    { "GET", "/api/v1/admin/settings", YG_AUTH_ADMIN, yg_route_healthz, 0 }, /* unreviewed */
    { "GET", "/items/{id}/edit", YG_AUTH_PUBLIC, yg_route_web_item, 0 },    /* unreviewed */
  };

  for (guint i = 0; i < G_N_ELEMENTS (mistakes); i++)
    {
      g_autofree char *wrong = policy_violation (&mistakes[i]);
      g_assert_nonnull (wrong);
    }
}

/* The audit sees the same table the server runs with. */
static void
test_same_table (Fixture *f, gconstpointer data)
{
  gsize n = 0;
  const YgRoute *routes = yg_server_get_routes (f->ts->server, &n);

  g_assert_true (routes == yg_routes);
  g_assert_cmpuint (n, ==, yg_n_routes);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Every route in the table, called with every kind of credential, lets through "
                  "exactly what its auth class admits");
  g_test_add_func ("/route-audit/policy", test_policy);
  g_test_add_func ("/route-audit/policy-catches", test_policy_catches);
  g_test_add ("/route-audit/same-table", Fixture, NULL, fixture_setup, test_same_table,
              fixture_teardown);
  g_test_add ("/route-audit/matrix", Fixture, NULL, fixture_setup, test_matrix, fixture_teardown);
  return g_test_run ();
}

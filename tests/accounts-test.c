/* accounts-test.c: registration, sessions, CSRF and sign-in throttling over
 * real HTTP.
 *
 * Covered: register (username and phone) → sign in → GET /api/v1/me → sign
 * out round trip; the cookie's name and attributes over plain HTTP
 * (yg_session) and with --behind-tls (__Host-yg_session, Secure); a new
 * session on every sign-in with the old cookie dead; CSRF refusals (missing,
 * wrong, another session's token) and acceptance, and bearer requests
 * exempt; throttling per account and per client address (clients at
 * 127.0.0.2 and 127.0.0.3) and of registrations per address, with 429 and
 * Retry-After, and failures that do
 * not tell unknown users from wrong passwords; table-driven bad input on
 * every write endpoint (malformed JSON, wrong types, unknown members and
 * values, oversized and missing values → 400 "invalid" naming the field,
 * nothing written), and markup kept as text. Suite: http.
 */
#include <json-glib/json-glib.h>

#include "yg-item-store.h"
#include "yg-routes.h"
#include "yg-secret.h"
#include "yg-test-server.h"
#include "yg-user-store.h"

#define PASSWORD YG_TEST_ACCOUNT_PASSWORD

typedef struct
{
  YgTestServer *ts;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  YgConfig *config = yg_config_new ();

  config->behind_tls = GPOINTER_TO_INT (data);
  f->ts = yg_test_server_start (config, yg_routes, yg_n_routes);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  yg_test_server_stop (f->ts);
}

/* --- helpers ------------------------------------------------------------------------------ */

static void
make_user (Fixture *f, const char *username, YgRole role)
{
  yg_test_server_account (f->ts, username, role);
}

static gpointer
count_rows (gpointer conn, gpointer data, GError **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", (char *) data);
  sqlite3_stmt *s = yg_db_conn_prepare (conn, sql, error);
  gint64 n;

  if (s == NULL || yg_db_conn_step (conn, s, error) != SQLITE_ROW)
    return NULL;
  n = sqlite3_column_int64 (s, 0);
  sqlite3_reset (s);
  return GINT_TO_POINTER ((int) n + 1);
}

static int
rows (Fixture *f, const char *table)
{
  return GPOINTER_TO_INT (yg_test_server_db_sync (f->ts, count_rows, (gpointer) table)) - 1;
}

static YgTestResponse *
send_json (Fixture *f, const char *from, const char *method, const char *path, const char *extra,
           const char *body)
{
  g_autofree char *headers = g_strdup_printf ("Content-Type: application/json\r\n%s",
                                              extra ? extra : "");
  return yg_test_request (f->ts->port, from, method, path, headers, body);
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

/* Asserts a 400 "invalid" naming @field (NULL: "field" is null). */
static void
assert_invalid (YgTestResponse *r, const char *field)
{
  g_autoptr (JsonNode) owner = NULL;
  JsonObject *err;

  g_assert_cmpuint (r->status, ==, 400);
  err = json_object_get_object_member (json_of (r, &owner), "error");
  g_assert_cmpstr (json_object_get_string_member (err, "code"), ==, "invalid");
  g_assert_cmpuint (strlen (json_object_get_string_member (err, "message")), >, 5);
  g_assert_true (json_object_has_member (err, "field"));
  if (field == NULL)
    g_assert_true (json_object_get_null_member (err, "field"));
  else
    g_assert_cmpstr (json_object_get_string_member (err, "field"), ==, field);
}

static void
assert_code (YgTestResponse *r, guint status, const char *code)
{
  g_autoptr (JsonNode) owner = NULL;

  g_assert_cmpuint (r->status, ==, status);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (json_of (r, &owner), "error"), "code"),
                   ==, code);
}

typedef struct
{
  char *cookie;     /* "name=value" for a Cookie header */
  char *set_cookie; /* the whole Set-Cookie value */
  char *csrf;
} Session;

static void
session_clear (Session *s)
{
  g_free (s->cookie);
  g_free (s->set_cookie);
  g_free (s->csrf);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Session, session_clear)

/* Signs in; @extra may carry a Cookie and X-CSRF-Token. Returns the status. */
static guint
sign_in_full (Fixture *f, const char *from, const char *username, const char *password,
              const char *extra, Session *out)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}", username,
                                           password);
  g_autoptr (YgTestResponse) r = send_json (f, from, "POST", "/api/v1/session", extra, body);

  if (r->status == 200 && out != NULL)
    {
      g_autoptr (JsonNode) owner = NULL;
      JsonObject *o = json_of (r, &owner);
      out->set_cookie = yg_test_response_header (r, "Set-Cookie", 0);
      g_assert_nonnull (out->set_cookie);
      out->cookie = g_strndup (out->set_cookie, strcspn (out->set_cookie, ";"));
      out->csrf = g_strdup (json_object_get_string_member (o, "csrf_token"));
      g_assert_cmpuint (strlen (out->csrf), >=, 32);
      g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "user"),
                                                      "username"),
                       ==, username);
    }
  return r->status;
}

static void
sign_in (Fixture *f, const char *username, Session *out)
{
  g_assert_cmpuint (sign_in_full (f, NULL, username, PASSWORD, NULL, out), ==, 200);
}

static char *
with_cookie (const Session *s, const char *csrf)
{
  return g_strdup_printf ("Cookie: %s\r\n%s%s%s", s->cookie, csrf ? "X-CSRF-Token: " : "",
                          csrf ? csrf : "", csrf ? "\r\n" : "");
}

static guint
me (Fixture *f, const Session *s, JsonNode **owner)
{
  g_autofree char *h = with_cookie (s, NULL);
  g_autoptr (YgTestResponse) r = yg_test_request (f->ts->port, NULL, "GET", "/api/v1/me", h, NULL);

  if (owner != NULL && r->status == 200)
    json_of (r, owner);
  return r->status;
}

/* --- round trip ---------------------------------------------------------------------------- */

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (YgTestResponse) reg = NULL, reg2 = NULL, out = NULL, out2 = NULL;
  g_autoptr (JsonNode) owner = NULL;
  g_auto (Session) s = { 0 };
  g_autofree char *h = NULL, *clear = NULL;
  JsonObject *o;

  reg = send_json (f, NULL, "POST", "/api/v1/accounts", NULL,
                   "{\"username\":\"Li.Ming\",\"password\":\"" PASSWORD "\","
                   "\"display_name\":\"李明\"}");
  g_assert_cmpuint (reg->status, ==, 201);
  o = json_of (reg, &owner);
  g_assert_cmpstr (json_object_get_string_member (o, "username"), ==, "li.ming");
  g_assert_cmpstr (json_object_get_string_member (o, "display_name"), ==, "李明");
  g_assert_cmpstr (json_object_get_string_member (o, "role"), ==, "resident");
  g_clear_pointer (&owner, json_node_unref);

  /* by phone, then the same phone again: taken */
  reg2 = send_json (f, NULL, "POST", "/api/v1/accounts", NULL,
                    "{\"phone\":\"13800138000\",\"password\":\"" PASSWORD "\",\"display_name\":\"王\"}");
  g_assert_cmpuint (reg2->status, ==, 201);
  g_clear_pointer (&reg2, yg_test_response_free);
  reg2 = send_json (f, NULL, "POST", "/api/v1/accounts", NULL,
                    "{\"phone\":\"13800138000\",\"password\":\"" PASSWORD "\",\"display_name\":\"王\"}");
  assert_code (reg2, 409, "conflict");
  g_assert_cmpuint (sign_in_full (f, NULL, "13800138000", PASSWORD, NULL, NULL), ==, 200);

  sign_in (f, "li.ming", &s);
  g_assert_true (g_str_has_prefix (s.cookie, "yg_session=ygc_"));
  g_assert_cmpuint (me (f, &s, &owner), ==, 200);
  o = json_node_get_object (owner);
  g_assert_cmpstr (json_object_get_string_member (o, "role"), ==, "resident");
  g_assert_cmpstr (json_object_get_string_member (o, "username"), ==, "li.ming");
  g_assert_cmpstr (json_object_get_string_member (o, "display_name"), ==, "李明");
  g_assert_cmpstr (json_object_get_string_member (o, "csrf_token"), ==, s.csrf);

  /* sign out: the row goes, the cookie is cleared, the old cookie is dead */
  g_assert_cmpint (rows (f, "sessions"), ==, 2);
  h = with_cookie (&s, s.csrf);
  out = yg_test_request (f->ts->port, NULL, "DELETE", "/api/v1/session", h, NULL);
  g_assert_cmpuint (out->status, ==, 204);
  clear = yg_test_response_header (out, "Set-Cookie", 0);
  g_assert_true (g_str_has_prefix (clear, "yg_session=;"));
  g_assert_nonnull (strstr (clear, "Max-Age=0"));
  g_assert_cmpint (rows (f, "sessions"), ==, 1);
  g_assert_cmpuint (me (f, &s, NULL), ==, 401);
  /* signing out again (the cookie is unknown now) is harmless */
  out2 = yg_test_request (f->ts->port, NULL, "DELETE", "/api/v1/session", h, NULL);
  g_assert_cmpuint (out2->status, ==, 204);
}

/* --- cookie -------------------------------------------------------------------------------- */

static void
test_cookie_plain (Fixture *f, gconstpointer data)
{
  g_auto (Session) s = { 0 };

  make_user (f, "alice", YG_ROLE_RESIDENT);
  sign_in (f, "alice", &s);
  g_test_message ("Set-Cookie: %s", s.set_cookie);
  g_assert_true (g_str_has_prefix (s.set_cookie, "yg_session=ygc_"));
  g_assert_nonnull (strstr (s.set_cookie, "; Path=/;"));
  g_assert_nonnull (strstr (s.set_cookie, "; HttpOnly"));
  g_assert_nonnull (strstr (s.set_cookie, "; SameSite=Lax"));
  g_assert_nonnull (strstr (s.set_cookie, "; Max-Age="));
  g_assert_null (strstr (s.set_cookie, "Secure"));
  g_assert_null (strstr (s.set_cookie, "Domain"));
}

static void
test_cookie_behind_tls (Fixture *f, gconstpointer data)
{
  g_auto (Session) s = { 0 };
  Session plain = { 0 };

  make_user (f, "alice", YG_ROLE_RESIDENT);
  sign_in (f, "alice", &s);
  g_test_message ("Set-Cookie: %s", s.set_cookie);
  g_assert_true (g_str_has_prefix (s.set_cookie, "__Host-yg_session=ygc_"));
  g_assert_nonnull (strstr (s.set_cookie, "; Path=/;"));
  g_assert_nonnull (strstr (s.set_cookie, "; HttpOnly"));
  g_assert_nonnull (strstr (s.set_cookie, "; SameSite=Lax"));
  g_assert_true (g_str_has_suffix (s.set_cookie, "; Secure"));
  g_assert_null (strstr (s.set_cookie, "Domain"));
  g_assert_cmpuint (me (f, &s, NULL), ==, 200);
  /* the same secret under the plain name is not a session here */
  plain.cookie = g_strconcat ("yg_session=", strchr (s.cookie, '=') + 1, NULL);
  g_assert_cmpuint (me (f, &plain, NULL), ==, 401);
  g_free (plain.cookie);
}

/* --- rotation ------------------------------------------------------------------------------ */

static void
test_rotation (Fixture *f, gconstpointer data)
{
  g_auto (Session) a = { 0 };
  g_auto (Session) b = { 0 };
  g_auto (Session) c = { 0 };
  g_autofree char *h = NULL;

  make_user (f, "alice", YG_ROLE_RESIDENT);
  sign_in (f, "alice", &a);
  g_assert_cmpuint (me (f, &a, NULL), ==, 200);
  /* signing in again from the same browser (old cookie and its token) */
  h = with_cookie (&a, a.csrf);
  g_assert_cmpuint (sign_in_full (f, NULL, "alice", PASSWORD, h, &b), ==, 200);
  g_assert_cmpstr (a.cookie, !=, b.cookie);
  g_assert_cmpstr (a.csrf, !=, b.csrf);
  g_assert_cmpuint (me (f, &a, NULL), ==, 401);
  g_assert_cmpuint (me (f, &b, NULL), ==, 200);
  g_assert_cmpint (rows (f, "sessions"), ==, 1);
  /* another device keeps its own session */
  sign_in (f, "alice", &c);
  g_assert_cmpuint (me (f, &b, NULL), ==, 200);
  g_assert_cmpuint (me (f, &c, NULL), ==, 200);
}

typedef struct
{
  const char *username;
  gboolean disable;
} Change;

static gpointer
change_account (gpointer conn, gpointer data, GError **error)
{
  Change *c = data;
  gboolean ok = c->disable ? yg_user_store_set_disabled (conn, c->username, TRUE, error)
                           : yg_user_store_set_password (conn, c->username, "a new password", error);
  return ok ? GINT_TO_POINTER (1) : NULL;
}

/* A new password or a disabled account ends the account's sessions. */
static void
test_sessions_end (Fixture *f, gconstpointer data)
{
  g_auto (Session) a = { 0 };
  g_auto (Session) b = { 0 };
  g_auto (Session) c = { 0 };
  Change pw = { "alice", FALSE }, off = { "bob", TRUE };

  make_user (f, "alice", YG_ROLE_RESIDENT);
  make_user (f, "bob", YG_ROLE_RESIDENT);
  sign_in (f, "alice", &a);
  sign_in (f, "bob", &b);
  yg_test_server_db_sync (f->ts, change_account, &pw);
  g_assert_cmpuint (me (f, &a, NULL), ==, 401);
  g_assert_cmpuint (me (f, &b, NULL), ==, 200);
  g_assert_cmpuint (sign_in_full (f, NULL, "alice", "a new password", NULL, &c), ==, 200);
  yg_test_server_db_sync (f->ts, change_account, &off);
  g_assert_cmpuint (me (f, &b, NULL), ==, 401);
  g_assert_cmpuint (sign_in_full (f, NULL, "bob", PASSWORD, NULL, NULL), ==, 401);
  g_assert_cmpint (rows (f, "sessions"), ==, 1);
}

/* --- CSRF ---------------------------------------------------------------------------------- */

static gpointer
seed_item (gpointer conn, gpointer data, GError **error)
{
  return yg_item_store_insert (conn, NULL, "lesson", "剪纸", "", error);
}

typedef struct
{
  const char *id;
  char *visibility;
} VisQuery;

static gpointer
get_visibility (gpointer conn, gpointer data, GError **error)
{
  g_autoptr (YgItem) item = yg_item_store_get (conn, data, error);
  return item ? g_strdup (yg_visibility_to_string (item->visibility)) : NULL;
}

static char *
visibility_of (Fixture *f, const char *id)
{
  return yg_test_server_db_sync (f->ts, get_visibility, (gpointer) id);
}

static void
test_csrf (Fixture *f, gconstpointer data)
{
  g_autofree char *id = yg_test_server_db_sync (f->ts, seed_item, NULL);
  g_autofree char *path = g_strdup_printf ("/api/v1/items/%s", id);
  g_autofree char *bearer = yg_test_server_token (f->ts, "staff");
  g_auto (Session) staff = { 0 };
  g_auto (Session) resident = { 0 };
  struct
  {
    const char *why;
    const char *csrf; /* NULL: no header */
  } refused[] = {
    { "missing", NULL },
    { "empty", "" },
    { "wrong", "csrf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
    { "other session's", NULL /* set below */ },
    { "a prefix", NULL /* set below */ },
  };
  g_autofree char *prefix = NULL;

  make_user (f, "wang", YG_ROLE_STAFF);
  make_user (f, "alice", YG_ROLE_RESIDENT);
  sign_in (f, "wang", &staff);
  sign_in (f, "alice", &resident);
  refused[3].csrf = resident.csrf;
  prefix = g_strndup (staff.csrf, strlen (staff.csrf) - 1);
  refused[4].csrf = prefix;

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *h = with_cookie (&staff, refused[i].csrf);
      g_autoptr (YgTestResponse) r = send_json (f, NULL, "PATCH", path, h, "{\"visibility\":\"staff\"}");
      g_test_message ("CSRF token %s", refused[i].why);
      assert_code (r, 403, "csrf");
      g_free (visibility_of (f, id)); /* (read below) */
    }
  {
    g_autofree char *v = visibility_of (f, id);
    g_assert_cmpstr (v, ==, "public"); /* nothing was written */
  }
  /* sign-out is a write too */
  {
    g_autofree char *h = with_cookie (&resident, NULL);
    g_autoptr (YgTestResponse) r = yg_test_request (f->ts->port, NULL, "DELETE", "/api/v1/session", h,
                                                    NULL);
    assert_code (r, 403, "csrf");
    g_assert_cmpuint (me (f, &resident, NULL), ==, 200);
  }
  /* GET needs no token */
  g_assert_cmpuint (me (f, &staff, NULL), ==, 200);
  /* the right token: accepted */
  {
    g_autofree char *h = with_cookie (&staff, staff.csrf);
    g_autoptr (YgTestResponse) r = send_json (f, NULL, "PATCH", path, h, "{\"visibility\":\"staff\"}");
    g_autofree char *v = visibility_of (f, id);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (v, ==, "staff");
  }
  /* a resident with the right token still lacks the role */
  {
    g_autofree char *h = with_cookie (&resident, resident.csrf);
    g_autoptr (YgTestResponse) r = send_json (f, NULL, "PATCH", path, h, "{\"visibility\":\"public\"}");
    assert_code (r, 403, "forbidden");
  }
  /* bearer requests are exempt */
  {
    g_autofree char *h = g_strdup_printf ("Authorization: Bearer %s\r\n", bearer);
    g_autoptr (YgTestResponse) r = send_json (f, NULL, "PATCH", path, h, "{\"visibility\":\"residents\"}");
    g_autofree char *v = visibility_of (f, id);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (v, ==, "residents");
  }
}

/* --- throttling ---------------------------------------------------------------------------- */

static guint
retry_after (Fixture *f, const char *from, const char *username)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"" PASSWORD "\"}",
                                           username);
  g_autoptr (YgTestResponse) r = send_json (f, from, "POST", "/api/v1/session", NULL, body);
  g_autofree char *after = yg_test_response_header (r, "Retry-After", 0);

  assert_code (r, 429, "too_many_requests");
  g_assert_nonnull (after);
  g_assert_cmpint (atoi (after), >, 0);
  return atoi (after);
}

static void
test_throttle_account (Fixture *f, gconstpointer data)
{
  g_autofree char *unknown_msg = NULL, *wrong_msg = NULL;

  make_user (f, "alice", YG_ROLE_RESIDENT);
  make_user (f, "bob", YG_ROLE_RESIDENT);
  /* failures look the same for an unknown user and a wrong password */
  {
    g_autoptr (YgTestResponse) a = send_json (f, NULL, "POST", "/api/v1/session", NULL,
                                              "{\"username\":\"nobody\",\"password\":\"whatever1\"}");
    g_autoptr (YgTestResponse) b = send_json (f, NULL, "POST", "/api/v1/session", NULL,
                                              "{\"username\":\"bob\",\"password\":\"whatever1\"}");
    g_autoptr (JsonNode) oa = NULL, ob = NULL;
    assert_code (a, 401, "unauthorized");
    assert_code (b, 401, "unauthorized");
    g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (json_of (a, &oa), "error"), "message"),
                     ==,
                     json_object_get_string_member (
                       json_object_get_object_member (json_of (b, &ob), "error"), "message"));
    g_assert_null (yg_test_response_header (a, "Set-Cookie", 0));
  }
  /* five wrong passwords for alice, from two addresses */
  for (int i = 0; i < 5; i++)
    g_assert_cmpuint (sign_in_full (f, i % 2 ? "127.0.0.2" : NULL, "alice", "wrong-password", NULL,
                                    NULL),
                      ==, 401);
  /* now even the right password is refused, from any address */
  g_assert_cmpuint (retry_after (f, NULL, "alice"), <=, 61);
  g_assert_cmpuint (retry_after (f, "127.0.0.2", "ALICE"), <=, 61);
  /* other accounts from the same address are fine */
  g_assert_cmpuint (sign_in_full (f, NULL, "bob", PASSWORD, NULL, NULL), ==, 200);
}

static void
test_throttle_address (Fixture *f, gconstpointer data)
{
  make_user (f, "bob", YG_ROLE_RESIDENT);
  /* 20 failures from 127.0.0.3, each for a different (unknown) account */
  for (int i = 0; i < 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("guess%02d", i);
      g_assert_cmpuint (sign_in_full (f, "127.0.0.3", name, "wrong-password", NULL, NULL), ==, 401);
    }
  /* that address is refused, even for a right password */
  g_assert_cmpuint (retry_after (f, "127.0.0.3", "bob"), <=, 16);
  /* the account itself is fine from elsewhere */
  g_assert_cmpuint (sign_in_full (f, "127.0.0.4", "bob", PASSWORD, NULL, NULL), ==, 200);
}

static void
test_throttle_registration (Fixture *f, gconstpointer data)
{
  for (int i = 0; i < 10; i++)
    {
      g_autofree char *body = g_strdup_printf (
        "{\"username\":\"user%02d\",\"password\":\"" PASSWORD "\",\"display_name\":\"x\"}", i);
      g_autoptr (YgTestResponse) r = send_json (f, "127.0.0.5", "POST", "/api/v1/accounts", NULL, body);
      g_assert_cmpuint (r->status, ==, 201);
    }
  {
    const char *body = "{\"username\":\"user10\",\"password\":\"" PASSWORD "\",\"display_name\":\"x\"}";
    g_autoptr (YgTestResponse) r = send_json (f, "127.0.0.5", "POST", "/api/v1/accounts", NULL, body);
    g_autoptr (YgTestResponse) r2 = send_json (f, "127.0.0.6", "POST", "/api/v1/accounts", NULL, body);
    g_autofree char *after = yg_test_response_header (r, "Retry-After", 0);
    assert_code (r, 429, "too_many_requests");
    g_assert_cmpint (atoi (after), >, 0);
    g_assert_cmpuint (r2->status, ==, 201); /* another address is not affected */
  }
  g_assert_cmpint (rows (f, "users"), ==, 11);
}

typedef struct
{
  Fixture *f;
  int n;
  guint status;
  gboolean retry_after;
} Burst;

static gpointer
burst_one (gpointer data)
{
  Burst *b = data;
  g_autofree char *body = g_strdup_printf (
    "{\"username\":\"burst%02d\",\"password\":\"" PASSWORD "\",\"display_name\":\"x\"}", b->n);
  g_autofree char *from = g_strdup_printf ("127.0.1.%d", b->n + 1); /* not throttled by address */
  g_autoptr (YgTestResponse) r = send_json (b->f, from, "POST", "/api/v1/accounts", NULL, body);
  g_autofree char *after = yg_test_response_header (r, "Retry-After", 0);

  b->status = r->status;
  b->retry_after = after != NULL;
  return NULL;
}

/* Many registrations at once: each is created (201) or refused whole with
 * 503 and Retry-After (at most a few hashes wait on the DB thread); no
 * partial writes. How many are refused depends on timing. */
static void
test_hashing_cap (Fixture *f, gconstpointer data)
{
  Burst bursts[16];
  GThread *threads[16];
  int created = 0, refused = 0;

  for (int i = 0; i < 16; i++)
    {
      bursts[i] = (Burst){ f, i, 0, FALSE };
      threads[i] = g_thread_new ("burst", burst_one, &bursts[i]);
    }
  for (int i = 0; i < 16; i++)
    {
      g_thread_join (threads[i]);
      if (bursts[i].status == 201)
        created++;
      else
        {
          g_assert_cmpuint (bursts[i].status, ==, 503);
          g_assert_true (bursts[i].retry_after);
          refused++;
        }
    }
  g_test_message ("%d created, %d refused", created, refused);
  g_assert_cmpint (created, >=, 1);
  g_assert_cmpint (rows (f, "users"), ==, created);
  /* the slots are all given back */
  {
    g_autoptr (YgTestResponse) r = send_json (f, NULL, "POST", "/api/v1/accounts", NULL,
                                              "{\"username\":\"after\",\"password\":\"" PASSWORD
                                              "\",\"display_name\":\"x\"}");
    g_assert_cmpuint (r->status, ==, 201);
  }
}

/* --- bad input ----------------------------------------------------------------------------- */

typedef struct
{
  const char *body;
  const char *field; /* NULL: the body as a whole */
} BadCase;

static void
test_bad_input (Fixture *f, gconstpointer data)
{
  static const BadCase accounts[] = {
    { "{", NULL },
    { " ", NULL },      /* no JSON value at all (security.md bug 7) */
    { "\n\t ", NULL },
    { "[1,2]", NULL },
    { "\"text\"", NULL },
    { "{\"username\":5,\"password\":\"" PASSWORD "\",\"display_name\":\"x\"}", "username" },
    { "{\"username\":null,\"password\":\"" PASSWORD "\",\"display_name\":\"x\"}", "username" },
    { "{\"username\":[\"a\"],\"password\":\"" PASSWORD "\",\"display_name\":\"x\"}", "username" },
    { "{\"username\":\"ab\",\"password\":\"" PASSWORD "\",\"display_name\":\"x\"}", "username" },
    { "{\"username\":\"a b c\",\"password\":\"" PASSWORD "\",\"display_name\":\"x\"}", "username" },
    { "{\"username\":\"<script>\",\"password\":\"" PASSWORD "\",\"display_name\":\"x\"}", "username" },
    { "{\"password\":\"" PASSWORD "\",\"display_name\":\"x\"}", "username" },
    { "{\"username\":\"abc\",\"phone\":\"13800138000\",\"password\":\"" PASSWORD "\",\"display_name\":\"x\"}",
      "phone" },
    { "{\"phone\":\"12345\",\"password\":\"" PASSWORD "\",\"display_name\":\"x\"}", "phone" },
    { "{\"phone\":13800138000,\"password\":\"" PASSWORD "\",\"display_name\":\"x\"}", "phone" },
    { "{\"username\":\"abc\",\"display_name\":\"x\"}", "password" },
    { "{\"username\":\"abc\",\"password\":\"short\",\"display_name\":\"x\"}", "password" },
    { "{\"username\":\"abc\",\"password\":12345678,\"display_name\":\"x\"}", "password" },
    { "{\"username\":\"abc\",\"password\":\"" PASSWORD "\"}", "display_name" },
    { "{\"username\":\"abc\",\"password\":\"" PASSWORD "\",\"display_name\":\"   \"}", "display_name" },
    { "{\"username\":\"abc\",\"password\":\"" PASSWORD "\",\"display_name\":true}", "display_name" },
    { "{\"username\":\"abc\",\"password\":\"" PASSWORD "\",\"display_name\":\"a\\u0001b\"}", "display_name" },
    { "{\"username\":\"abc\\u0000x\",\"password\":\"" PASSWORD "\",\"display_name\":\"x\"}", NULL },
    { "{\"username\":\"abc\",\"password\":\"" PASSWORD "\",\"display_name\":\"x\",\"role\":\"admin\"}",
      "role" },
  };
  static const BadCase sessions[] = {
    { "{", NULL },
    { "null", NULL },
    { "{\"username\":1,\"password\":\"x\"}", "username" },
    { "{\"password\":\"x\"}", "username" },
    { "{\"username\":\"abc\"}", "password" },
    { "{\"username\":\"abc\",\"password\":{}}", "password" },
    { "{\"username\":\"abc\",\"password\":\"x\",\"remember\":true}", "remember" },
  };
  static const BadCase patches[] = {
    { "{\"visibility\":1}", "visibility" },
    { "{\"visibility\":null}", "visibility" },
    { "{\"visibility\":\"secret\"}", "visibility" },
    { "{\"visibility\":\"PUBLIC\"}", "visibility" },
    { "{\"visibility\":\"staff \"}", "visibility" },
    { "{\"visibility\":[\"staff\"]}", "visibility" },
    { "{\"visibility\":\"staff\",\"colour\":\"x\"}", "colour" },
    { "{\"visibility\":\"staff\",\"title\":\"\"}", "title" }, /* one bad field: nothing written */
  };
  g_autofree char *id = yg_test_server_db_sync (f->ts, seed_item, NULL);
  g_autofree char *path = g_strdup_printf ("/api/v1/items/%s", id);
  g_autofree char *staff = yg_test_server_token (f->ts, "staff");
  g_autofree char *auth = g_strdup_printf ("Authorization: Bearer %s\r\n", staff);
  g_autofree char *long_name = g_strnfill (65, 'x');
  g_autofree char *long_password = g_strnfill (257, 'x');

  for (guint i = 0; i < G_N_ELEMENTS (accounts); i++)
    {
      g_autoptr (YgTestResponse) r = send_json (f, NULL, "POST", "/api/v1/accounts", NULL,
                                                accounts[i].body);
      g_test_message ("accounts: %s", accounts[i].body);
      assert_invalid (r, accounts[i].field);
    }
  {
    g_autofree char *b1 = g_strdup_printf (
      "{\"username\":\"abc\",\"password\":\"" PASSWORD "\",\"display_name\":\"%s\"}", long_name);
    g_autofree char *b2 = g_strdup_printf (
      "{\"username\":\"abc\",\"password\":\"%s\",\"display_name\":\"x\"}", long_password);
    g_autoptr (YgTestResponse) r1 = send_json (f, NULL, "POST", "/api/v1/accounts", NULL, b1);
    g_autoptr (YgTestResponse) r2 = send_json (f, NULL, "POST", "/api/v1/accounts", NULL, b2);
    g_autoptr (YgTestResponse) r3 = yg_test_request (f->ts->port, NULL, "POST", "/api/v1/accounts",
                                                     "Content-Type: text/plain\r\n",
                                                     "{\"username\":\"abc\"}");
    assert_invalid (r1, "display_name");
    assert_invalid (r2, "password");
    assert_code (r3, 415, "unsupported_media_type");
  }
  g_assert_cmpint (rows (f, "users"), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (sessions); i++)
    {
      g_autoptr (YgTestResponse) r = send_json (f, NULL, "POST", "/api/v1/session", NULL,
                                                sessions[i].body);
      g_test_message ("session: %s", sessions[i].body);
      assert_invalid (r, sessions[i].field);
    }
  g_assert_cmpint (rows (f, "sessions"), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (patches); i++)
    {
      g_autoptr (YgTestResponse) r = send_json (f, NULL, "PATCH", path, auth, patches[i].body);
      g_autofree char *v = visibility_of (f, id);
      g_test_message ("patch: %s", patches[i].body);
      assert_invalid (r, patches[i].field);
      g_assert_cmpstr (v, ==, "public");
    }
  {
    g_autoptr (YgTestResponse) r = send_json (f, NULL, "PATCH", "/api/v1/items/nosuchitem234567",
                                              auth, "{\"visibility\":\"staff\"}");
    assert_code (r, 404, "not_found");
  }
}

static void
test_markup_is_text (Fixture *f, gconstpointer data)
{
  static const char name[] = "<script>alert(\"x\")</script>&amp;";
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) body_node = NULL, owner = NULL;
  g_autofree char *body = NULL;
  g_autoptr (YgTestResponse) r = NULL;
  g_auto (Session) s = { 0 };

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "username");
  json_builder_add_string_value (b, "mallory");
  json_builder_set_member_name (b, "password");
  json_builder_add_string_value (b, PASSWORD);
  json_builder_set_member_name (b, "display_name");
  json_builder_add_string_value (b, name);
  json_builder_end_object (b);
  body_node = json_builder_get_root (b);
  body = json_to_string (body_node, FALSE);
  r = send_json (f, NULL, "POST", "/api/v1/accounts", NULL, body);
  g_assert_cmpuint (r->status, ==, 201);
  g_assert_nonnull (strstr (r->head, "application/json"));
  sign_in (f, "mallory", &s);
  g_assert_cmpuint (me (f, &s, &owner), ==, 200);
  /* stored and returned exactly as text, inside a JSON string */
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (owner), "display_name"), ==,
                   name);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Accounts: registration, sessions, cookies, CSRF, throttling, strict input");
  yg_secret_init ();

#define ADD(path, fn) \
  g_test_add ("/accounts/" path, Fixture, GINT_TO_POINTER (FALSE), fixture_setup, fn, fixture_teardown)
  ADD ("round-trip", test_round_trip);
  ADD ("cookie/plain-http", test_cookie_plain);
  g_test_add ("/accounts/cookie/behind-tls", Fixture, GINT_TO_POINTER (TRUE), fixture_setup,
              test_cookie_behind_tls, fixture_teardown);
  ADD ("rotation", test_rotation);
  ADD ("sessions-end", test_sessions_end);
  ADD ("csrf", test_csrf);
  ADD ("throttle/per-account", test_throttle_account);
  ADD ("throttle/per-address", test_throttle_address);
  ADD ("throttle/registration", test_throttle_registration);
  ADD ("throttle/hashing-cap", test_hashing_cap);
  ADD ("bad-input", test_bad_input);
  ADD ("markup-is-text", test_markup_is_text);
  return g_test_run ();
}

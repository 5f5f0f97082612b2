/* yg-route-accounts.c: /api/v1/accounts and /api/v1/session: residents
 * register, sign in and sign out.
 *
 * Registration makes residents only (staff come from `yunguan user add`);
 * phone numbers are not verified (verify_phone_number in yg-resident-input.c
 * is an empty hook).
 * Sign-in checks the password on the DB thread (same time and answer for an
 * unknown user and a wrong password), makes a session with a new secret,
 * deletes the one the browser sent (rotation) and sets the cookie (see
 * yg_auth_session_cookie); the CSRF token comes back in the body. Each
 * attempt first takes a token from the account's and the address's bucket
 * (yg-throttle.c), given back on success; empty → 429 with Retry-After.
 * Registrations have a per-address bucket too. At most MAX_HASHING password
 * hashes wait on the DB thread at once (more → 503, Retry-After: 1), so a
 * burst of them cannot stall every other request. Bodies are validated strictly
 * by yg-resident-input.c (400 "invalid" with the field; nothing written).
 * Thread: main thread; accounts and sessions live on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-auth.h"
#include "yg-http-error.h"
#include "yg-request.h"
#include "yg-resident-input.h"
#include "yg-routes.h"
#include "yg-server.h"
#include "yg-session-store.h"
#include "yg-throttle.h"
#include "yg-user-store.h"

#define MAX_HASHING 4 /* Argon2id checks queued on the DB thread, ~70 ms and 64 MiB each */

/* The number of hashes in flight, kept on the server object (main thread). */
#define HASHING_KEY "yg-accounts-hashing"

/* Takes a hashing slot, or answers 503 and returns FALSE. */
static gboolean
hashing_begin (YgRequest *req)
{
  guint hashing = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (req->server), HASHING_KEY));

  if (hashing >= MAX_HASHING)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "Retry-After", "1");
      yg_request_fail (req, YG_HTTP_ERROR_UNAVAILABLE,
                       "Too many sign-ins at this moment; try again in a second");
      return FALSE;
    }
  g_object_set_data (G_OBJECT (req->server), HASHING_KEY, GUINT_TO_POINTER (hashing + 1));
  return TRUE;
}

static void
hashing_end (YgServer *server)
{
  guint hashing = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (server), HASHING_KEY));

  g_return_if_fail (hashing > 0);
  g_object_set_data (G_OBJECT (server), HASHING_KEY, GUINT_TO_POINTER (hashing - 1));
}

/* 429 with Retry-After. */
static void
refuse_for (YgRequest *req, guint wait, const char *what)
{
  yg_request_too_many (req, wait, what);
}

/* --- POST /api/v1/accounts ---------------------------------------------------------- */

typedef struct
{
  YgUser *user;
} Created;

static gpointer
create_account (YgDbConn *conn, gpointer data, GError **error)
{
  YgRegistration *r = data;
  YgUser *u;
  gint64 id = yg_user_store_create (conn, r->username, r->display_name, YG_ROLE_RESIDENT,
                                    r->password, error);

  if (id == 0)
    return NULL;
  u = g_new0 (YgUser, 1);
  u->id = id;
  u->username = g_strdup (r->username);
  u->display_name = g_strdup (r->display_name);
  u->role = YG_ROLE_RESIDENT;
  return u;
}

static void
add_user (JsonBuilder *b, gint64 id, const char *username, const char *display_name, YgRole role)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, id);
  json_builder_set_member_name (b, "username");
  json_builder_add_string_value (b, username);
  json_builder_set_member_name (b, "display_name");
  json_builder_add_string_value (b, display_name);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, yg_role_to_string (role));
  json_builder_end_object (b);
}

typedef struct
{
  SoupServerMessage *msg;
  gboolean by_phone;
} AccountCall;

static void
account_created (GObject *source, GAsyncResult *res, gpointer data)
{
  AccountCall *call = data;
  YgRequest *req = yg_request_get (call->msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (YgUser) u = yg_db_run_finish (YG_DB (source), res, &error);

  hashing_end (req->server);
  if (u == NULL)
    yg_request_respond_field_error (req, call->by_phone ? "phone" : "username", error);
  else
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      add_user (b, u->id, u->username, u->display_name, u->role);
      yg_request_respond_json (req, 201, json_builder_get_root (b));
    }
  g_object_unref (call->msg);
  g_free (call);
}

void
yg_route_accounts_create (YgServer *server, YgRequest *req)
{
  static const char *const allowed[] = { "username", "phone", "password", "display_name", NULL };
  g_autoptr (JsonNode) owner = NULL;
  g_autoptr (GError) error = NULL;
  const char *field = NULL;
  JsonObject *form = yg_request_parse_form (req, &owner, allowed, &field, &error);
  YgRegistration *r;
  AccountCall *call;

  g_autofree char *address = NULL;
  YgThrottle *signups = yg_server_get_signup_throttle (server);
  gint64 now = g_get_monotonic_time ();
  guint wait;

  r = form != NULL ? yg_resident_input_registration (form, &field, &error) : NULL;
  if (r == NULL)
    {
      yg_request_respond_field_error (req, field, error);
      return;
    }
  address = yg_request_client_address (req, yg_server_get_config (server)->behind_tls);
  wait = yg_throttle_retry_after (signups, address, now);
  if (wait > 0)
    {
      yg_registration_free (r);
      refuse_for (req, wait, "registrations from this address");
      return;
    }
  if (!hashing_begin (req))
    {
      yg_registration_free (r);
      return;
    }
  yg_throttle_take (signups, address, now);
  call = g_new0 (AccountCall, 1);
  call->msg = g_object_ref (req->msg);
  call->by_phone = r->by_phone;
  yg_request_pause (req);
  yg_db_run_async (yg_server_get_db (server), create_account, r,
                   (GDestroyNotify) yg_registration_free, (GDestroyNotify) yg_user_free, NULL,
                   account_created, call);
}

/* --- POST /api/v1/session ----------------------------------------------------------- */

typedef struct
{
  char *username;
  char *password;
  char *replaces; /* the cookie the browser sent, if any */
} SignIn;

static void
sign_in_free (SignIn *s)
{
  g_free (s->username);
  if (s->password != NULL)
    memset (s->password, 0, strlen (s->password));
  g_free (s->password);
  g_free (s->replaces);
  g_free (s);
}

typedef struct
{
  YgUser *user;
  YgNewSession *session;
} SignedIn;

static void
signed_in_free (SignedIn *s)
{
  yg_user_free (s->user);
  yg_new_session_free (s->session);
  g_free (s);
}

static gpointer
sign_in (YgDbConn *conn, gpointer data, GError **error)
{
  SignIn *s = data;
  g_autoptr (YgUser) u = yg_user_store_authenticate (conn, s->username, s->password, error);
  SignedIn *out;
  YgNewSession *session;

  if (u == NULL)
    return NULL;
  session = yg_session_store_create (conn, u->id, s->replaces, error);
  if (session == NULL)
    return NULL;
  out = g_new0 (SignedIn, 1);
  out->user = g_steal_pointer (&u);
  out->session = session;
  return out;
}

typedef struct
{
  SoupServerMessage *msg;
  char *account_key;
  char *address_key;
} SignInCall;

static void
signed_in (GObject *source, GAsyncResult *res, gpointer data)
{
  SignInCall *call = data;
  YgRequest *req = yg_request_get (call->msg);
  YgServer *server = req->server;
  g_autoptr (GError) error = NULL;
  SignedIn *s = yg_db_run_finish (YG_DB (source), res, &error);
  YgThrottle *by_account, *by_address;

  hashing_end (server);
  yg_server_get_login_throttles (server, &by_account, &by_address);
  if (s == NULL && g_error_matches (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND))
    yg_request_fail (req, YG_HTTP_ERROR_UNAUTHORIZED, "Wrong username or password");
  else if (s == NULL)
    yg_request_respond_error (req, error);
  else
    {
      gboolean secure = yg_server_get_config (server)->behind_tls;
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autofree char *cookie = yg_auth_session_cookie (secure, s->session->secret,
                                                        YG_SESSION_LIFETIME);

      yg_throttle_reset (by_account, call->account_key);
      yg_throttle_give_back (by_address, call->address_key, g_get_monotonic_time ());
      soup_message_headers_append (soup_server_message_get_response_headers (req->msg),
                                   "Set-Cookie", cookie);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "user");
      add_user (b, s->user->id, s->user->username, s->user->display_name, s->user->role);
      json_builder_set_member_name (b, "csrf_token");
      json_builder_add_string_value (b, s->session->csrf_token);
      json_builder_set_member_name (b, "expires_at");
      json_builder_add_int_value (b, s->session->expires_at);
      json_builder_end_object (b);
      yg_request_respond_json (req, 200, json_builder_get_root (b));
      signed_in_free (s);
    }
  g_object_unref (call->msg);
  g_free (call->account_key);
  g_free (call->address_key);
  g_free (call);
}

void
yg_route_session_create (YgServer *server, YgRequest *req)
{
  static const char *const allowed[] = { "username", "phone", "password", NULL };
  const YgConfig *config = yg_server_get_config (server);
  g_autoptr (JsonNode) owner = NULL;
  g_autoptr (GError) error = NULL;
  const char *field = NULL, *username = NULL, *phone = NULL, *password = NULL;
  JsonObject *form = yg_request_parse_form (req, &owner, allowed, &field, &error);
  YgThrottle *by_account, *by_address;
  g_autofree char *address = NULL;
  gint64 now = g_get_monotonic_time ();
  guint wait;
  SignIn *s;
  SignInCall *call;

  if (form != NULL
      && !yg_resident_input_sign_in (form, &username, &phone, &password, &field, &error))
    form = NULL;
  if (form == NULL)
    {
      yg_request_respond_field_error (req, field, error);
      return;
    }

  yg_server_get_login_throttles (server, &by_account, &by_address);
  call = g_new0 (SignInCall, 1);
  call->account_key = g_ascii_strdown (username != NULL ? username : phone, -1);
  address = yg_request_client_address (req, config->behind_tls);
  call->address_key = g_steal_pointer (&address);
  wait = MAX (yg_throttle_retry_after (by_account, call->account_key, now),
              yg_throttle_retry_after (by_address, call->address_key, now));
  if (wait > 0)
    {
      refuse_for (req, wait, "failed sign-ins");
      g_free (call->account_key);
      g_free (call->address_key);
      g_free (call);
      return;
    }
  if (!hashing_begin (req))
    {
      g_free (call->account_key);
      g_free (call->address_key);
      g_free (call);
      return;
    }
  yg_throttle_take (by_account, call->account_key, now);
  yg_throttle_take (by_address, call->address_key, now);

  s = g_new0 (SignIn, 1);
  s->username = g_strdup (call->account_key);
  s->password = g_strdup (password);
  s->replaces = yg_auth_get_cookie (soup_server_message_get_request_headers (req->msg),
                                    yg_auth_session_cookie_name (config->behind_tls));
  call->msg = g_object_ref (req->msg);
  yg_request_pause (req);
  yg_db_run_async (yg_server_get_db (server), sign_in, s, (GDestroyNotify) sign_in_free,
                   (GDestroyNotify) signed_in_free, NULL, signed_in, call);
}

/* --- DELETE /api/v1/session --------------------------------------------------------- */

static gpointer
sign_out (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_session_store_delete (conn, data, error) ? GINT_TO_POINTER (1) : NULL;
}

static void
signed_out (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (SoupServerMessage) msg = data;
  YgRequest *req = yg_request_get (msg);
  g_autoptr (GError) error = NULL;

  if (yg_db_run_finish (YG_DB (source), res, &error) == NULL)
    yg_request_respond_error (req, error);
  else
    yg_request_respond_bytes (req, 204, NULL, NULL);
}

/* Signing out without a (valid) session is fine: the cookie is cleared. A
 * signed-in browser passed the CSRF check before getting here. */
void
yg_route_session_delete (YgServer *server, YgRequest *req)
{
  gboolean secure = yg_server_get_config (server)->behind_tls;
  g_autofree char *cookie = yg_auth_get_cookie (soup_server_message_get_request_headers (req->msg),
                                                yg_auth_session_cookie_name (secure));
  g_autofree char *clear = yg_auth_session_cookie (secure, "", 0);

  soup_message_headers_append (soup_server_message_get_response_headers (req->msg), "Set-Cookie",
                               clear);
  if (cookie == NULL || req->principal == NULL || req->principal->session_id == 0)
    {
      yg_request_respond_bytes (req, 204, NULL, NULL);
      return;
    }
  yg_request_pause (req);
  yg_db_run_async (yg_server_get_db (server), sign_out, g_steal_pointer (&cookie), g_free, NULL,
                   NULL, signed_out, g_object_ref (req->msg));
}

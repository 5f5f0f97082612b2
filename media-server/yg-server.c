/* yg-server.c: YgServer, from request head to handler and access log.
 *
 * Per request: (1) at got-headers the early handler attaches a YgRequest,
 * refuses oversized heads (431) and bodies (413) before reading them, and
 * routes the raw path. (2) at got-body the route's auth class is checked and
 * the handler called. (3) request-finished/aborted logs and counts it.
 * The caller is a bearer token if Authorization is sent (no CSRF check), else
 * the session cookie (looked up for /api/ and non-public routes only; unknown
 * means anonymous; a cookie-authenticated write needs X-CSRF-Token, else 403
 * "csrf"); playback-token routes are decided by their URL alone, without the
 * database. The server owns the catalogue, listener, metrics, playback keys,
 * sign-in and player-event throttles, visibility cache, progress and
 * heartbeat buffers, the webhook deliverer and the report rules, and refuses
 * an invalid route table.
 * Delivery threads (--delivery-threads, yg-serve-thread.c) each run a
 * SoupServer with these same handlers, behind their own answers to plain
 * media GETs (yg-fast-path.c); the main listener hands them the
 * connections it accepts, in turn. There, only routes marked
 * YG_ROUTE_ANY_THREAD (playlists, segments, one item's JSON) are served:
 * any other request goes back to the main thread with its connection
 * (yg_listener_hand_off) as soon as its route is known. What those
 * routes reach is safe from any thread: config, router, playback keys,
 * partners, metrics, the visibility and document caches (each under its
 * lock), the database (results come back to the asking thread; sessions
 * and tokens are looked up there), the access log (stdio locks).
 * Thread: main thread, and the delivery threads as above.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-server.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>

#include "yg-auth.h"
#include "yg-build-config.h"
#include "yg-doc-cache.h"
#include "yg-fast-path.h"
#include "yg-http-error.h"
#include "yg-import.h"
#include "yg-request.h"
#include "yg-router.h"
#include "yg-token-store.h"
#include "yg-partners.h"
#include "yg-subscriptions.h"
#include "yg-wechat.h"
#include "yg-playback-keys.h"
#include "yg-secret.h"
#include "yg-session-store.h"
#include "yg-serve-thread.h"
#include "yg-throttle.h"
#include "yg-webhook.h"
#include "yg-worker-pool.h"
#include "yg-tus.h"
#include "yg-routes.h"

#include <json-glib/json-glib.h>

struct _YgServer
{
  GObject parent_instance;
  YgConfig *config;
  YgRouter *router;
  SoupServer *soup;
  YgListener *listener;
  YgDb *db;
  YgMetrics *metrics;
  FILE *access_log;
  gboolean owns_access_log;
  YgWorkerPool *workers;
  YgTusStore *uploads;
  guint gc_id;
  YgPlaybackKeys *playback_keys;
  YgThrottle *login_by_account;
  YgThrottle *login_by_address;
  YgThrottle *signup_by_address;
  GHashTable *visibility_cache; /* item id → visibility for a few seconds (yg-route-media.c) */
  GMutex visibility_lock;
  YgListenerLimits limits;
  GPtrArray *delivery; /* YgServeThread */
  YgDocCache *doc_cache;        /* public documents for a second (yg-route-items.c) */
  YgProgressBuffer *progress;   /* players' positions, coalesced (yg-progress-buffer.c) */
  YgHeartbeatBuffer *heartbeats; /* player events, batched (yg-heartbeat-buffer.c) */
  YgThrottle *heartbeats_by_address;
  YgThrottle *heartbeats_by_viewer;
  YgWebhook *webhook;           /* NULL without request-webhook */
  YgPartners *partners;         /* enabled partners' origins and tokens (yg-partners.c) */
  YgSubscriptions *subscriptions; /* other centres' feeds (yg-subscriptions.c) */
  YgWechat *wechat;             /* JS-SDK signatures (yg-wechat.c) */
  YgReportRules report_rules;
};

G_DEFINE_FINAL_TYPE (YgServer, yg_server, G_TYPE_OBJECT)

static GPrivate thread_listener; /* a delivery thread's listener; NULL on the main thread */

/* The listener of the thread serving the current request. */
static YgListener *
listener_here (YgServer *self)
{
  YgListener *listener = g_private_get (&thread_listener);

  return listener != NULL ? listener : self->listener;
}

/* --- access log -------------------------------------------------------------- */

static void
append_escaped (GString *out, const char *s, gsize max)
{
  for (gsize i = 0; s != NULL && s[i] != '\0' && i < max; i++)
    {
      guchar c = s[i];
      if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_c (out, c);
    }
}

/* A signed playback URL is a credential for hours: the log keeps its expiry
 * and key id (to tell which key served a request), never its mac. */
static char *
redact_path (const char *path)
{
  const char *token, *mac, *end;

  if (path == NULL || !g_str_has_prefix (path, "/hls/t/"))
    return g_strdup (path);
  token = path + strlen ("/hls/t/");
  end = strchr (token, '/');
  if (end == NULL)
    end = token + strlen (token);
  mac = g_strrstr_len (token, end - token, ".");
  if (mac == NULL)
    mac = token - 1;
  return g_strdup_printf ("%.*s.-%s", (int) (mac - path), path, end);
}

/**
 * yg_server_log_access:
 *
 * Counts a finished request in the metrics and writes its access log line.
 */
void
yg_server_log_access (YgServer *self, const YgAccessEntry *e)
{
  yg_metrics_observe_request (self->metrics, e->route, e->method, e->status, e->seconds);
  if (self->access_log != NULL)
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char *ts = g_date_time_format_iso8601 (now);
      g_autofree char *peer = NULL;
      g_autofree char *path = NULL;
      GString *line = g_string_new (NULL);

      if (G_IS_INET_SOCKET_ADDRESS (e->peer))
        peer = g_inet_address_to_string (
          g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (e->peer)));
      g_string_append_printf (line, "%s %s %s \"", ts, e->request_id ? e->request_id : "-",
                              peer ? peer : "-");
      append_escaped (line, e->method, 16);
      g_string_append_c (line, ' ');
      path = redact_path (e->path ? e->path : "-");
      append_escaped (line, path, 512);
      g_string_append_printf (line, "\" %u %" G_GOFFSET_FORMAT " %.4f\n", e->status, e->bytes,
                              e->seconds);
      fputs (line->str, self->access_log);
      fflush (self->access_log);
      g_string_free (line, TRUE);
    }
}

static void
log_request (YgServer *self, SoupServerMessage *msg, YgRequest *req, guint status, goffset bytes)
{
  const char *method = soup_server_message_get_method (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  YgAccessEntry e = {
    .route = req != NULL && req->route != NULL ? req->route->pattern : "unmatched",
    .method = method ? method : "-",
    .path = uri ? g_uri_get_path (uri) : NULL,
    .peer = soup_server_message_get_remote_address (msg),
    .request_id = req != NULL ? req->id : NULL,
    .status = status,
    .bytes = bytes,
    .seconds = req != NULL ? (g_get_monotonic_time () - req->start_us) / 1e6 : 0,
  };

  yg_server_log_access (self, &e);
}

static void
on_request_done (SoupServer *soup, SoupServerMessage *msg, gpointer data)
{
  YgServer *self = data;
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  goffset bytes = soup_message_headers_get_content_length (h);

  const char *method = soup_server_message_get_method (msg);

  if (method != NULL && g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0
      && g_strcmp0 (method, "OPTIONS") != 0)
    yg_doc_cache_clear (self->doc_cache); /* also what a write answered without a YgRequest */
  if (bytes == 0)
    bytes = soup_server_message_get_response_body (msg)->length;
  log_request (self, msg, yg_request_get (msg), soup_server_message_get_status (msg), bytes);
}

/* Answers before the body, on a connection taken from libsoup. */
static void
refuse (YgServer *self, SoupServerMessage *msg, YgRequest *req, guint status, const char *code,
        const char *message)
{
  g_autoptr (JsonNode) doc = yg_request_error_document (code, message);
  g_autofree char *body = json_to_string (doc, FALSE);
  g_autoptr (GString) extra = g_string_new (NULL);
  SoupMessageHeadersIter iter;
  const char *name, *value;

  /* Headers a route already set (X-Request-Id, tus's Tus-Version,
   * Upload-Offset…) go out with the refusal too. */
  soup_message_headers_iter_init (&iter, soup_server_message_get_response_headers (msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (g_ascii_strcasecmp (name, "Content-Type") != 0 && g_ascii_strcasecmp (name, "Content-Length") != 0
        && g_ascii_strcasecmp (name, "Connection") != 0 && g_ascii_strcasecmp (name, "Server") != 0
        && g_ascii_strcasecmp (name, "Date") != 0 && strpbrk (value, "\r\n") == NULL)
      g_string_append_printf (extra, "%s: %s\r\n", name, value);
  if (status == 401)
    g_string_append (extra, "WWW-Authenticate: Bearer realm=\"yunguan\"\r\n");
  log_request (self, msg, req, status, strlen (body));
  yg_listener_refuse (listener_here (self), msg, status, extra->str, body);
}

static gboolean
body_pending (SoupServerMessage *msg)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);

  switch (soup_message_headers_get_encoding (h))
    {
    case SOUP_ENCODING_CONTENT_LENGTH:
      return soup_message_headers_get_content_length (h) > 0;
    case SOUP_ENCODING_CHUNKED:
      return TRUE;
    default:
      return FALSE;
    }
}

/**
 * yg_server_answer_early:
 *
 * Answers a request with @error while its body may still be on the way:
 * without reading the body (connection closed after the answer) when one is
 * pending, else normally. For early route handlers.
 */
void
yg_server_answer_early (YgServer *self, YgRequest *req, const GError *error)
{
  if (body_pending (req->msg))
    {
      const char *code;
      guint status = yg_http_error_map (error, &code);
      refuse (self, req->msg, req, status, code, error->message);
      return;
    }
  g_clear_error (&req->early_error);
  req->early_error = g_error_copy (error);
  yg_request_resume (req);
}

/* --- authorisation and dispatch --------------------------------------------------- */

typedef void (*AuthedFunc) (YgServer *self, YgRequest *req, GError *denied);

static gboolean
csrf_ok (YgRequest *req)
{
  const char *sent = yg_request_header (req, "X-CSRF-Token");
  const char *want = req->principal->csrf_token;

  return sent != NULL && want != NULL && strlen (sent) == strlen (want)
         && yg_secret_equal (sent, want, strlen (want));
}

static GError *
decide (YgRequest *req, gboolean url_token_valid)
{
  if (req->principal != NULL && req->principal->session_id != 0
      && yg_auth_is_write (yg_request_method (req)) && !csrf_ok (req))
    return g_error_new_literal (YG_HTTP_ERROR, YG_HTTP_ERROR_CSRF,
                                "A signed-in browser must send its session's CSRF token in "
                                "X-CSRF-Token (from sign-in or GET /api/v1/me)");
  if (yg_auth_allows (req->route->auth, req->principal, url_token_valid))
    return NULL;
  if (req->route->auth == YG_AUTH_PLAYBACK_TOKEN)
    return g_error_new_literal (YG_HTTP_ERROR, YG_HTTP_ERROR_FORBIDDEN,
                                "This playback address is expired or not valid; reload the item "
                                "for a fresh one");
  if (req->principal == NULL)
    return g_error_new (YG_HTTP_ERROR, YG_HTTP_ERROR_UNAUTHORIZED,
                        "This needs a %s credential: sign in, or send Authorization: Bearer <token>",
                        yg_auth_class_to_string (req->route->auth));
  return g_error_new (YG_HTTP_ERROR, YG_HTTP_ERROR_FORBIDDEN,
                      "A %s %s cannot use this; it needs %s",
                      yg_role_to_string (req->principal->role),
                      req->principal->session_id != 0 ? "account" : "token",
                      yg_auth_class_to_string (req->route->auth));
}

typedef struct
{
  YgServer *self;
  SoupServerMessage *msg;
  AuthedFunc then;
} AuthCall;

static gpointer
lookup_token (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_token_store_lookup (conn, data, error);
}

static gpointer
lookup_session (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_session_store_lookup (conn, data, error);
}

static void
session_looked_up (GObject *source, GAsyncResult *res, gpointer data)
{
  AuthCall *call = data;
  YgRequest *req = yg_request_get (call->msg);
  g_autoptr (GError) error = NULL;

  req->principal = yg_db_run_finish (YG_DB (source), res, &error);
  if (req->principal == NULL && !g_error_matches (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND))
    call->then (call->self, req, g_steal_pointer (&error));
  else /* an unknown or expired session is an anonymous caller */
    call->then (call->self, req, decide (req, FALSE));
  g_object_unref (call->msg);
  g_free (call);
}

/* Pages, static files and public HLS do not depend on who asks. */
static gboolean
wants_session (const YgRoute *route)
{
  return route->auth != YG_AUTH_PUBLIC || g_str_has_prefix (route->pattern, "/api/");
}

static void
token_looked_up (GObject *source, GAsyncResult *res, gpointer data)
{
  AuthCall *call = data;
  YgRequest *req = yg_request_get (call->msg);
  g_autoptr (GError) error = NULL;

  req->principal = yg_db_run_finish (YG_DB (source), res, &error);
  if (req->principal == NULL && g_error_matches (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND))
    call->then (call->self, req,
                g_error_new_literal (YG_HTTP_ERROR, YG_HTTP_ERROR_UNAUTHORIZED,
                                     "The bearer token is unknown, expired or revoked"));
  else if (req->principal == NULL)
    call->then (call->self, req, g_steal_pointer (&error));
  else
    call->then (call->self, req, decide (req, FALSE));
  g_object_unref (call->msg);
  g_free (call);
}

/* Finds who is asking (a bearer token is looked up on the DB thread, with
 * the message paused) and whether the route's auth class admits them;
 * calls @then with NULL or the refusal (transfer full). */
static void
authenticate (YgServer *self, YgRequest *req, AuthedFunc then)
{
  const char *token = NULL;
  g_autofree char *cookie = NULL;
  AuthCall *call;

  if (req->route->auth == YG_AUTH_PLAYBACK_TOKEN)
    {
      /* /hls/t/{token}/{id}/…: the token is for this item and nothing else */
      gboolean ok = req->params->len >= 2
                    && yg_playback_keys_verify (self->playback_keys, yg_request_param (req, 0),
                                                yg_request_param (req, 1),
                                                g_get_real_time () / G_USEC_PER_SEC, NULL);
      then (self, req, decide (req, ok));
      return;
    }
  switch (yg_auth_get_bearer (soup_server_message_get_request_headers (req->msg), &token))
    {
    case YG_AUTH_NO_CREDENTIALS:
      if (wants_session (req->route))
        cookie = yg_auth_get_cookie (soup_server_message_get_request_headers (req->msg),
                                     yg_auth_session_cookie_name (self->config->behind_tls));
      if (cookie == NULL || !yg_session_secret_is_well_formed (cookie))
        {
          then (self, req, decide (req, FALSE));
          return;
        }
      call = g_new0 (AuthCall, 1);
      call->self = self;
      call->msg = g_object_ref (req->msg);
      call->then = then;
      yg_request_pause (req);
      yg_db_run_async (self->db, lookup_session, g_steal_pointer (&cookie), g_free,
                       (GDestroyNotify) yg_principal_free, NULL, session_looked_up, call);
      return;
    case YG_AUTH_MALFORMED:
      then (self, req,
            g_error_new_literal (YG_HTTP_ERROR, YG_HTTP_ERROR_UNAUTHORIZED,
                                 "The Authorization header must be \"Bearer <token>\""));
      return;
    case YG_AUTH_BEARER:
    default:
      break;
    }
  call = g_new0 (AuthCall, 1);
  call->self = self;
  call->msg = g_object_ref (req->msg);
  call->then = then;
  yg_request_pause (req);
  yg_db_run_async (self->db, lookup_token, g_strdup (token), g_free,
                   (GDestroyNotify) yg_principal_free, NULL, token_looked_up, call);
}

static void
main_authed (YgServer *self, YgRequest *req, GError *denied)
{
  g_autoptr (GError) owned = denied;

  if (denied != NULL)
    yg_request_respond_error (req, denied);
  else
    {
      req->authorized = TRUE;
      req->route->handler (self, req);
    }
}

static void
early_authed (YgServer *self, YgRequest *req, GError *denied)
{
  g_autoptr (GError) owned = denied;

  if (denied != NULL)
    {
      yg_server_answer_early (self, req, denied);
      return;
    }
  req->authorized = TRUE;
  req->route->early (self, req);
}

/* --- request head -------------------------------------------------------------- */

static gsize
head_size (SoupServerMessage *msg)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (uri);
  gsize size = strlen (soup_server_message_get_method (msg)) + strlen (g_uri_get_path (uri))
               + (query ? strlen (query) + 1 : 0) + 12;

  soup_message_headers_iter_init (&iter, soup_server_message_get_request_headers (msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    size += strlen (name) + strlen (value) + 4;
  return size;
}

static guint64
body_limit (YgServer *self, YgRequest *req)
{
  if (req->route != NULL && req->route->max_body != 0)
    return req->route->max_body;
  return self->config->max_body_bytes;
}

static void
on_got_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer data)
{
  YgServer *self = data;
  YgRequest *req = yg_request_get (msg);

  if (req == NULL)
    return;
  req->body_seen += g_bytes_get_size (chunk);
  if (req->body_seen > body_limit (self, req))
    {
      g_signal_handlers_disconnect_by_func (msg, on_got_chunk, data);
      refuse (self, msg, req, 413, "payload_too_large",
              "The request body is larger than this endpoint accepts");
    }
}

static void
early_handler (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
               gpointer data)
{
  YgServer *self = data;
  YgRequest *req = yg_request_attach (msg, self);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr (GString) allow = g_string_new (NULL);
  YgRouterResult match;

  if (head_size (msg) > self->config->max_header_bytes)
    {
      refuse (self, msg, req, 431, "headers_too_large",
              "The request line and headers are too large");
      return;
    }

  match = yg_router_match (self->router, soup_server_message_get_method (msg), path, &req->route,
                           req->params, allow);
  switch (match)
    {
    case YG_ROUTER_MATCH:
      break;
    case YG_ROUTER_NO_PATH:
      req->early_error = g_error_new (YG_HTTP_ERROR, YG_HTTP_ERROR_NOT_FOUND,
                                      "Nothing is served at this address");
      break;
    case YG_ROUTER_NO_METHOD:
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    allow->str);
      req->early_error = g_error_new (YG_HTTP_ERROR, YG_HTTP_ERROR_METHOD_NOT_ALLOWED,
                                      "Use one of: %s", allow->str);
      break;
    case YG_ROUTER_BAD_PATH:
    default:
      req->early_error = g_error_new (YG_HTTP_ERROR, YG_HTTP_ERROR_BAD_REQUEST,
                                      "The path is malformed (bad escape, control character or "
                                      "dot segment)");
      break;
    }
  /* On a delivery thread, the rest goes to the main thread. */
  if ((req->route == NULL || !req->route->any_thread) && g_private_get (&thread_listener) != NULL
      && yg_listener_hand_off (listener_here (self), msg))
    return;

  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_CONTENT_LENGTH:
      if ((guint64) soup_message_headers_get_content_length (headers) > body_limit (self, req))
        {
          refuse (self, msg, req, 413, "payload_too_large",
                  "The request body is larger than this endpoint accepts");
          return;
        }
      /* A bounded body has a deadline too (a byte a second is never idle). */
      if (body_limit (self, req) != G_MAXUINT64 && soup_message_headers_get_content_length (headers) > 0)
        yg_listener_limit_body (listener_here (self), msg,
                                soup_message_headers_get_content_length (headers));
      break;
    case SOUP_ENCODING_CHUNKED:
      if (body_limit (self, req) != G_MAXUINT64)
        {
          g_signal_connect_object (msg, "got-chunk", G_CALLBACK (on_got_chunk), self, 0);
          yg_listener_limit_body (listener_here (self), msg, body_limit (self, req));
        }
      break;
    default:
      break;
    }

  /* Routes that stream their body decide before it arrives. */
  if (req->early_error == NULL && req->route != NULL && req->route->early != NULL)
    authenticate (self, req, early_authed);
}

static void
main_handler (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
              gpointer data)
{
  YgServer *self = data;
  YgRequest *req = yg_request_get (msg);

  if (req == NULL) /* no early handler ran: cannot happen with the default handler */
    {
      soup_server_message_set_status (msg, 500, NULL);
      return;
    }
  /* partners' pages may read HLS and the API (anonymously) from their origins;
   * uploads answer CORS for staff consoles themselves (--cors-origins) */
  if ((g_str_has_prefix (path, "/hls/") || g_str_has_prefix (path, "/api/"))
      && !g_str_has_prefix (path, "/api/v1/uploads"))
    yg_partners_cors (self->partners, msg);
  if (req->early_error != NULL)
    yg_request_respond_error (req, req->early_error);
  else if (req->authorized)
    req->route->handler (self, req);
  else
    authenticate (self, req, main_authed);
}

/* --- lifecycle ---------------------------------------------------------------------- */

static void
yg_server_dispose (GObject *object)
{
  YgServer *self = YG_SERVER (object);

  yg_server_stop (self);
  g_clear_pointer (&self->subscriptions, yg_subscriptions_free);
  g_clear_pointer (&self->wechat, yg_wechat_free);
  g_clear_object (&self->listener);
  if (self->soup != NULL)
    g_signal_handlers_disconnect_by_data (self->soup, self);
  g_clear_object (&self->soup);
  g_clear_pointer (&self->progress, yg_progress_buffer_free);
  g_clear_pointer (&self->heartbeats, yg_heartbeat_buffer_free);
  g_clear_pointer (&self->webhook, yg_webhook_free);
  g_clear_object (&self->db);
  G_OBJECT_CLASS (yg_server_parent_class)->dispose (object);
}

static void
yg_server_finalize (GObject *object)
{
  YgServer *self = YG_SERVER (object);

  if (self->owns_access_log && self->access_log != NULL)
    fclose (self->access_log);
  g_clear_pointer (&self->router, yg_router_free);
  g_clear_pointer (&self->uploads, yg_tus_store_free);
  g_clear_pointer (&self->playback_keys, yg_playback_keys_free);
  g_clear_pointer (&self->partners, yg_partners_free);
  g_clear_pointer (&self->login_by_account, yg_throttle_free);
  g_clear_pointer (&self->login_by_address, yg_throttle_free);
  g_clear_pointer (&self->signup_by_address, yg_throttle_free);
  g_clear_pointer (&self->heartbeats_by_address, yg_throttle_free);
  g_clear_pointer (&self->heartbeats_by_viewer, yg_throttle_free);
  g_clear_pointer (&self->visibility_cache, g_hash_table_unref);
  g_mutex_clear (&self->visibility_lock);
  g_clear_pointer (&self->delivery, g_ptr_array_unref);
  g_clear_pointer (&self->doc_cache, yg_doc_cache_free);
  g_clear_pointer (&self->metrics, yg_metrics_free);
  g_clear_pointer (&self->config, yg_config_free);
  G_OBJECT_CLASS (yg_server_parent_class)->finalize (object);
}

static void
yg_server_class_init (YgServerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = yg_server_dispose;
  G_OBJECT_CLASS (klass)->finalize = yg_server_finalize;
}

static void
yg_server_init (YgServer *self)
{
  self->metrics = yg_metrics_new ();
  /* Sign-in throttles: 5 failures per account, then one more every minute;
   * 20 per client address, then one every 15 s. At most 10 000 keys each. */
  self->login_by_account = yg_throttle_new (5, 60, 10000);
  self->login_by_address = yg_throttle_new (20, 15, 10000);
  /* Registrations (each costs an Argon2id hash): 10 per address, then one
   * every 30 s. */
  self->signup_by_address = yg_throttle_new (10, 30, 10000);
  self->visibility_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_init (&self->visibility_lock);
  self->delivery = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_serve_thread_stop);
  self->doc_cache = yg_doc_cache_new (4096, 1000);
}

/**
 * yg_data_dir_prepare:
 *
 * Creates the data directory and its fixed subdirectories (0750).
 */
gboolean
yg_data_dir_prepare (const char *data_dir, GError **error)
{
  static const char *const subdirs[] = { "", "uploads", "originals", "media", "tmp" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir = g_build_filename (data_dir, subdirs[i], NULL);
      if (g_mkdir_with_parents (dir, 0750) != 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot create data directory %s: %s", dir, g_strerror (saved));
          return FALSE;
        }
    }
  return TRUE;
}

static gpointer
list_partners (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_partner_store_list (conn, error);
}

/* A SoupServer with this server's handlers, for the calling thread. */
static SoupServer *
new_soup (YgServer *self)
{
  SoupServer *soup = g_object_new (SOUP_TYPE_SERVER, "raw-paths", TRUE, "server-header",
                                   "yunguan/" YG_VERSION, NULL);

  soup_server_add_early_handler (soup, NULL, early_handler, self, NULL);
  soup_server_add_handler (soup, NULL, main_handler, self, NULL);
  g_signal_connect (soup, "request-finished", G_CALLBACK (on_request_done), self);
  g_signal_connect (soup, "request-aborted", G_CALLBACK (on_request_done), self);
  return soup;
}

/* Runs on a new delivery thread (yg-serve-thread.c). */
static YgListener *
setup_delivery_thread (gpointer data, GError **error)
{
  YgServer *self = data;
  g_autoptr (SoupServer) soup = new_soup (self);
  YgListener *listener = yg_listener_new (soup, &self->limits, error);
  YgFastPath *fast;

  if (listener == NULL)
    return NULL;
  fast = yg_fast_path_new (self, listener, error);
  if (fast == NULL)
    {
      g_object_unref (listener);
      return NULL;
    }
  /* released with the listener, before its connections */
  g_object_set_data_full (G_OBJECT (listener), "yg-fast-path", fast,
                          (GDestroyNotify) yg_fast_path_free);
  g_private_set (&thread_listener, listener);
  return listener;
}

/* Starts the delivery threads and gives them the connections to come. */
static gboolean
start_delivery (YgServer *self, GError **error)
{
  guint n = yg_config_get_delivery_threads (self->config);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("yg-deliver-%u", i);
      YgServeThread *t = yg_serve_thread_start (name, setup_delivery_thread, self, error);

      if (t == NULL)
        return FALSE;
      g_ptr_array_add (self->delivery, t);
      yg_listener_delegate (self->listener, yg_serve_thread_get_listener (t));
    }
  return TRUE;
}

/**
 * yg_server_new:
 * @routes: (array length=n_routes): the route table; must outlive the server
 *
 * Validates the route table, prepares the data directory and opens (and
 * migrates) the catalogue. Does not listen yet.
 *
 * Returns: (transfer full): the server, or %NULL
 */
YgServer *
yg_server_new (const YgConfig *config, const YgRoute *routes, gsize n_routes, GError **error)
{
  g_autoptr (YgServer) self = g_object_new (YG_TYPE_SERVER, NULL);
  g_autofree char *db_path = NULL;
  g_autoptr (GPtrArray) partners = NULL;

  self->config = yg_config_copy (config);
  self->router = yg_router_new (routes, n_routes, error);
  if (self->router == NULL)
    {
      g_prefix_error (error, "Invalid route table: ");
      return NULL;
    }
  if (!yg_data_dir_prepare (config->data_dir, error))
    return NULL;
  yg_import_collect_stale (config->data_dir);
  db_path = g_build_filename (config->data_dir, "catalog.db", NULL);
  self->db = yg_db_open (db_path, error);
  if (self->db == NULL)
    return NULL;
  self->progress = yg_progress_buffer_new (self->db);
  yg_report_rules_init (&self->report_rules);
  if (!g_str_equal (config->report_rules, "none")
      && !yg_report_rules_load (&self->report_rules, config->report_rules, error))
    return NULL;
  /* Player events: heartbeat-rate requests a second per address (bursts of
   * ten seconds' worth); per viewer 2 events a second, bursts of 120. */
  self->heartbeats_by_address
      = yg_throttle_new_rate (MAX (10, config->heartbeat_rate * 10),
                              MAX (1, G_USEC_PER_SEC / config->heartbeat_rate), 100000);
  self->heartbeats_by_viewer = yg_throttle_new_rate (120, G_USEC_PER_SEC / 2, 100000);

  self->playback_keys = yg_playback_keys_open (config->data_dir, error);
  if (self->playback_keys == NULL)
    return NULL;
  self->partners = yg_partners_new ();
  partners = yg_db_run_sync (self->db, list_partners, NULL, error);
  if (partners == NULL)
    return NULL;
  yg_partners_set (self->partners, partners);
  self->subscriptions = yg_subscriptions_new (self->db, config);
  self->wechat = yg_wechat_new (config);

  self->uploads = yg_tus_store_new (config->data_dir, config->upload_max_size, config->upload_quota,
                                    config->upload_expire_hours * 3600, error);
  if (self->uploads == NULL)
    return NULL;
  yg_tus_store_collect_expired (self->uploads);
  {
    /* originals of items a crash kept from being created (not those of
     * uploads about to be finished by yg_uploads_recover) */
    g_autoptr (GPtrArray) finishing = yg_tus_store_list_finishing (self->uploads);
    g_autoptr (GHashTable) keep = g_hash_table_new (g_str_hash, g_str_equal);
    for (guint i = 0; i < finishing->len; i++)
      {
        YgTusUpload *u = finishing->pdata[i];
        if (u->item_id != NULL)
          g_hash_table_add (keep, u->item_id);
      }
    yg_import_collect_originals (self->db, config->data_dir, keep, YG_IMPORT_ORPHAN_GRACE);
  }

  if (g_str_equal (config->access_log, "-"))
    self->access_log = stderr;
  else if (!g_str_equal (config->access_log, "off"))
    {
      self->access_log = g_fopen (config->access_log, "ae");
      if (self->access_log == NULL)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot open access log %s: %s", config->access_log, g_strerror (saved));
          return NULL;
        }
      self->owns_access_log = TRUE;
    }

  self->soup = new_soup (self);
  self->limits.max_connections = config->max_connections;
  self->limits.header_timeout = config->header_timeout;
  self->limits.idle_timeout = config->idle_timeout;
  self->listener = yg_listener_new (self->soup, &self->limits, error);
  if (self->listener == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

static gboolean
collect_uploads (gpointer data)
{
  YgServer *self = data;
  guint n = yg_tus_store_collect_expired (self->uploads);

  if (n > 0)
    g_message ("deleted %u expired unfinished upload(s)", n);
  return G_SOURCE_CONTINUE;
}

/* How local workers reach us: the bound port on loopback (or the listen
 * address itself when it is a specific one). */
static char *
local_url (YgServer *self)
{
  const char *listen = self->config->listen;
  const char *colon = strrchr (listen, ':');
  g_autofree char *host = colon ? g_strndup (listen, colon - listen) : g_strdup ("127.0.0.1");

  const char *use = host;

  if (g_str_equal (host, "0.0.0.0") || g_str_equal (host, "") || g_str_equal (host, "localhost"))
    use = "127.0.0.1";
  else if (g_str_equal (host, "[::]"))
    use = "[::1]";
  return g_strdup_printf ("http://%s:%u", use, yg_listener_get_port (self->listener));
}

/**
 * yg_server_start:
 *
 * Listens, then starts the configured number of local workers.
 */
gboolean
yg_server_start (YgServer *self, GError **error)
{
  guint n = yg_config_get_workers (self->config);
  g_autofree char *exe = NULL;
  g_autofree char *url = NULL;

  if (!yg_listener_listen (self->listener, self->config->listen, error)
      || !start_delivery (self, error))
    return FALSE;
  yg_uploads_recover (self);
  self->gc_id = g_timeout_add_seconds (600, collect_uploads, self);
  self->heartbeats = yg_heartbeat_buffer_new (self->db, self->config->analytics_raw_days);
  yg_subscriptions_start (self->subscriptions);
  if (!g_str_equal (self->config->request_webhook, "none"))
    {
      self->webhook = yg_webhook_new (self->db, self->config->request_webhook,
                                      self->config->request_threshold, error);
      if (self->webhook == NULL)
        return FALSE;
    }
  if (n == 0)
    return TRUE;
  exe = g_file_read_link ("/proc/self/exe", error);
  if (exe == NULL)
    return FALSE;
  url = local_url (self);
  self->workers = yg_worker_pool_new (self->db, exe, self->config->data_dir, url, n,
                                      self->config->transcode_memory);
  return yg_worker_pool_start (self->workers, error);
}

/**
 * yg_server_start_workers:
 *
 * Starts local workers from @exe (tests run the server in-process, where
 * /proc/self/exe is the test program).
 */
gboolean
yg_server_start_workers (YgServer *self, const char *exe, guint n, GError **error)
{
  g_autofree char *url = local_url (self);

  g_return_val_if_fail (self->workers == NULL, FALSE);
  self->workers = yg_worker_pool_new (self->db, exe, self->config->data_dir, url, n,
                                      self->config->transcode_memory);
  return yg_worker_pool_start (self->workers, error);
}

guint
yg_server_get_running_workers (YgServer *self)
{
  return self->workers != NULL ? yg_worker_pool_get_running (self->workers) : 0;
}

YgTusStore *
yg_server_get_uploads (YgServer *self)
{
  return self->uploads;
}

void
yg_server_stop (YgServer *self)
{
  if (self->gc_id != 0)
    g_source_remove (self->gc_id);
  self->gc_id = 0;
  g_clear_pointer (&self->workers, yg_worker_pool_free);
  if (self->listener != NULL)
    {
      yg_listener_undelegate (self->listener);
      yg_listener_stop (self->listener);
    }
  g_ptr_array_set_size (self->delivery, 0); /* each thread stops and is joined */
  if (self->progress != NULL)
    yg_progress_buffer_flush_all (self->progress);
  if (self->heartbeats != NULL)
    yg_heartbeat_buffer_flush_all (self->heartbeats);
}

guint16
yg_server_get_port (YgServer *self)
{
  return yg_listener_get_port (self->listener);
}

YgDb *
yg_server_get_db (YgServer *self)
{
  return self->db;
}

const YgConfig *
yg_server_get_config (YgServer *self)
{
  return self->config;
}

YgMetrics *
yg_server_get_metrics (YgServer *self)
{
  return self->metrics;
}

YgListener *
yg_server_get_listener (YgServer *self)
{
  return self->listener;
}

YgPlaybackKeys *
yg_server_get_playback_keys (YgServer *self)
{
  return self->playback_keys;
}

/**
 * yg_server_get_login_throttles:
 * @by_account: (out): per account (key: the lower-cased name)
 * @by_address: (out): per client address
 */
void
yg_server_get_login_throttles (YgServer *self, YgThrottle **by_account, YgThrottle **by_address)
{
  *by_account = self->login_by_account;
  *by_address = self->login_by_address;
}

YgThrottle *
yg_server_get_signup_throttle (YgServer *self)
{
  return self->signup_by_address;
}

YgProgressBuffer *
yg_server_get_progress (YgServer *self)
{
  return self->progress;
}

/* Player events (NULL before yg_server_start). */
YgHeartbeatBuffer *
yg_server_get_heartbeats (YgServer *self)
{
  return self->heartbeats;
}

void
yg_server_get_heartbeat_throttles (YgServer *self, YgThrottle **by_address, YgThrottle **by_viewer)
{
  *by_address = self->heartbeats_by_address;
  *by_viewer = self->heartbeats_by_viewer;
}

/* WeChat JS-SDK signatures and their cached ticket (main thread). */
YgWechat *
yg_server_get_wechat (YgServer *self)
{
  return self->wechat;
}

/* The feeds of other centres this one follows (main thread). */
YgSubscriptions *
yg_server_get_subscriptions (YgServer *self)
{
  return self->subscriptions;
}

/* The enabled partners, as every request sees them (main thread). */
YgPartners *
yg_server_get_partners (YgServer *self)
{
  return self->partners;
}

/* The staff notification deliverer, NULL when no webhook is configured. */
YgWebhook *
yg_server_get_webhook (YgServer *self)
{
  return self->webhook;
}

const YgReportRules *
yg_server_get_report_rules (YgServer *self)
{
  return &self->report_rules;
}

/**
 * yg_server_lock_visibility_cache:
 *
 * Returns: (transfer none): the visibility cache, locked until
 *   yg_server_unlock_visibility_cache (delivery threads share it)
 */
GHashTable *
yg_server_lock_visibility_cache (YgServer *self)
{
  g_mutex_lock (&self->visibility_lock);
  return self->visibility_cache;
}

void
yg_server_unlock_visibility_cache (YgServer *self)
{
  g_mutex_unlock (&self->visibility_lock);
}

YgDocCache *
yg_server_get_doc_cache (YgServer *self)
{
  return self->doc_cache;
}

/* The route table's matcher (immutable: any thread). */
YgRouter *
yg_server_get_router (YgServer *self)
{
  return self->router;
}

const YgRoute *
yg_server_get_routes (YgServer *self, gsize *n_routes)
{
  return yg_router_get_routes (self->router, n_routes);
}

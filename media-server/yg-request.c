/* yg-request.c: YgRequest, and every way a handler answers a request.
 *
 * A YgRequest is attached to its SoupServerMessage as object data when the
 * headers arrive and dies with the message. Handlers answer exactly once
 * through yg_request_respond_*; an answer unpauses a paused message, so an
 * asynchronous handler pauses, does its work (DB thread, worker, file) and
 * answers from its callback. Errors always go through yg_http_error_map, the
 * single GError → status + {"error":{"code","message"}} translation; 5xx
 * messages from unknown domains are logged with the request id and replaced
 * by a generic text so internals do not leak.
 * Thread: main thread (SoupServerMessage is not thread-safe).
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-request.h"

#include <string.h>

#include "yg-auth.h"
#include "yg-doc-cache.h"
#include "yg-http-error.h"
#include "yg-db-error.h"
#include "yg-field-error.h"
#include "yg-server.h"

static GQuark
request_quark (void)
{
  return g_quark_from_static_string ("yg-request");
}

static void
request_free (gpointer data)
{
  YgRequest *req = data;

  if (req->route_data != NULL && req->route_data_free != NULL)
    req->route_data_free (req->route_data);
  g_clear_pointer (&req->params, g_ptr_array_unref);
  g_clear_pointer (&req->principal, yg_principal_free);
  g_clear_error (&req->early_error);
  g_free (req);
}

YgRequest *
yg_request_get (SoupServerMessage *msg)
{
  return g_object_get_qdata (G_OBJECT (msg), request_quark ());
}

static gboolean
valid_incoming_id (const char *id)
{
  gsize len = id != NULL ? strlen (id) : 0;

  if (len == 0 || len > 16)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (id[i]) && id[i] != '-' && id[i] != '_')
      return FALSE;
  return TRUE;
}

/**
 * yg_request_make_id:
 * @incoming: (nullable): the client's X-Request-Id, kept when well formed
 * @id: (out caller-allocates): YG_REQUEST_ID_SIZE bytes
 */
void
yg_request_make_id (const char *incoming, char *id)
{
  if (valid_incoming_id (incoming))
    g_strlcpy (id, incoming, YG_REQUEST_ID_SIZE);
  else
    g_snprintf (id, YG_REQUEST_ID_SIZE, "%08x%08x", g_random_int (), g_random_int ());
}

/**
 * yg_request_attach:
 *
 * Returns: (transfer none): the request, owned by @msg
 */
YgRequest *
yg_request_attach (SoupServerMessage *msg, YgServer *server)
{
  YgRequest *req = g_new0 (YgRequest, 1);
  const char *incoming = soup_message_headers_get_one (
    soup_server_message_get_request_headers (msg), "X-Request-Id");

  req->msg = msg;
  req->server = server;
  req->params = g_ptr_array_new_with_free_func (g_free);
  req->start_us = g_get_monotonic_time ();
  yg_request_make_id (incoming, req->id);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "X-Request-Id",
                                req->id);
  g_object_set_qdata_full (G_OBJECT (msg), request_quark (), req, request_free);
  return req;
}

const char *
yg_request_param (YgRequest *req, guint index)
{
  g_return_val_if_fail (index < req->params->len, NULL);
  return g_ptr_array_index (req->params, index);
}

const char *
yg_request_header (YgRequest *req, const char *name)
{
  return soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg), name);
}

const char *
yg_request_method (YgRequest *req)
{
  return soup_server_message_get_method (req->msg);
}

/**
 * yg_request_query:
 *
 * Returns: (transfer none): decoded query parameters (empty if none or malformed)
 */
GHashTable *
yg_request_query (YgRequest *req)
{
  static GQuark q;
  GHashTable *query;

  if (q == 0)
    q = g_quark_from_static_string ("yg-request-query");
  query = g_object_get_qdata (G_OBJECT (req->msg), q);
  if (query == NULL)
    {
      query = yg_request_decode_query (g_uri_get_query (soup_server_message_get_uri (req->msg)));
      g_object_set_qdata_full (G_OBJECT (req->msg), q, query,
                               (GDestroyNotify) g_hash_table_unref);
    }
  return query;
}

/**
 * yg_request_decode_query:
 * @raw: (nullable): a query string as sent
 *
 * Returns: (transfer full) (element-type utf8 utf8): the decoded
 *   parameters, empty if none or malformed
 */
GHashTable *
yg_request_decode_query (const char *raw)
{
  GHashTable *query = raw != NULL ? g_uri_parse_params (raw, -1, "&", G_URI_PARAMS_NONE, NULL)
                                  : NULL;

  return query != NULL ? query : g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/* Idempotent: the message may already be paused (e.g. by the token lookup). */
void
yg_request_pause (YgRequest *req)
{
  if (req->paused)
    return;
  req->paused = TRUE;
  soup_server_message_pause (req->msg);
}

static void
unpause (YgRequest *req)
{
  if (req->paused)
    {
      req->paused = FALSE;
      soup_server_message_unpause (req->msg);
    }
}

/**
 * yg_request_resume:
 *
 * Unpauses without answering: lets libsoup go on reading the body.
 */
void
yg_request_resume (YgRequest *req)
{
  unpause (req);
}

/* libsoup knows no phrase for some statuses this server uses. */
static void
set_status (SoupServerMessage *msg, guint status)
{
  const char *reason = NULL;

  switch (status)
    {
    case 413:
      reason = "Content Too Large";
      break;
    case 423:
      reason = "Locked";
      break;
    case 431:
      reason = "Request Header Fields Too Large";
      break;
    case 460:
      reason = "Checksum Mismatch";
      break;
    default:
      break;
    }
  soup_server_message_set_status (msg, status, reason);
}

/* What a write changed shows to every reader from before its answer goes
 * out (readers on delivery threads included), not only once it is sent. */
static void
answer_status (YgRequest *req, guint status)
{
  if (yg_auth_is_write (soup_server_message_get_method (req->msg)))
    yg_doc_cache_clear (yg_server_get_doc_cache (req->server));
  set_status (req->msg, status);
}

static void
mark_bodiless (SoupServerMessage *msg, gpointer data)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);


  if (soup_message_headers_get_encoding (h) == SOUP_ENCODING_EOF)
    soup_message_headers_set_content_length (h, 0);
}

/**
 * yg_request_respond_bytes:
 * @body: (nullable): the body; NULL for none
 */
void
yg_request_respond_bytes (YgRequest *req, guint status, const char *content_type, GBytes *body)
{
  answer_status (req, status);
  if (body != NULL)
    {
      gsize len;
      const char *data = g_bytes_get_data (body, &len);
      soup_server_message_set_response (req->msg, content_type, SOUP_MEMORY_COPY, data, len);
    }
  else
    {
      /* libsoup 3.2 strips Content-Length from a 204 while writing it, and
       * then takes the response as ending at connection close, dropping
       * keep-alive. Once the head is on the wire, a zero length is put back
       * where its keep-alive decision looks (it is never sent). */
      g_signal_connect (req->msg, "wrote-headers", G_CALLBACK (mark_bodiless), NULL);
    }
  unpause (req);
}

/**
 * yg_request_respond_json:
 * @node: (transfer full): the document
 */
void
yg_request_respond_json (YgRequest *req, guint status, JsonNode *node)
{
  g_autoptr (JsonNode) owned = node;
  g_autoptr (GBytes) text = yg_request_json_bytes (owned);

  yg_request_respond_json_bytes (req, status, text);
}

/**
 * yg_request_json_bytes:
 *
 * Returns: (transfer full): @node as compact JSON text
 */
GBytes *
yg_request_json_bytes (JsonNode *node)
{
  char *text = json_to_string (node, FALSE);

  return g_bytes_new_take (text, strlen (text));
}

/**
 * yg_request_respond_json_bytes:
 * @text: a JSON document, as yg_request_json_bytes() makes it
 */
void
yg_request_respond_json_bytes (YgRequest *req, guint status, GBytes *text)
{
  answer_status (req, status);
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Cache-Control", "no-store");
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (req->msg),
                                         "application/json; charset=utf-8", NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (req->msg), text);
  unpause (req);
}

/**
 * yg_request_error_document:
 *
 * Returns: (transfer full): {"error":{"code":...,"message":...}}
 */
JsonNode *
yg_request_error_document (const char *code, const char *message)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
yg_request_respond_error (YgRequest *req, const GError *error)
{
  const char *code;
  guint status = yg_http_error_map (error, &code);
  const char *message = error->message;
  JsonNode *doc;

  if (status >= 500 && error->domain != YG_HTTP_ERROR)
    {
      g_warning ("request %s: %s", req->id, error->message);
      if (status == 500)
        message = "The server could not complete the request; the error is logged with this "
                  "request id";
    }
  if (status == 401)
    soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                  "WWW-Authenticate", "Bearer realm=\"yunguan\"");
  doc = yg_request_error_document (code, message);
  if (yg_field_error_get_field (error) != NULL)
    json_object_set_string_member (
      json_object_get_object_member (json_node_get_object (doc), "error"), "field",
      yg_field_error_get_field (error));
  yg_request_respond_json (req, status, doc);
}

/**
 * yg_request_list_json:
 * @member: the name of the array ("requests")
 * @nodes: (element-type JsonNode) (transfer full): the page's documents
 * @next_after: the last id of the page, 0 for an empty page
 *
 * Returns: (transfer full): {member: [...], next_after: id | null}
 */
JsonNode *
yg_request_list_json (const char *member, GPtrArray *nodes, gint64 next_after)
{
  JsonObject *o = json_object_new ();
  JsonArray *a = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  for (guint i = 0; i < nodes->len; i++)
    json_array_add_element (a, g_steal_pointer (&nodes->pdata[i]));
  g_ptr_array_unref (nodes);
  json_object_set_array_member (o, member, a);
  if (next_after != 0)
    json_object_set_int_member (o, "next_after", next_after);
  else
    json_object_set_null_member (o, "next_after");
  json_node_take_object (node, o);
  return node;
}

/**
 * yg_request_too_many:
 * @wait: seconds until the caller may try again
 * @what: what there were too many of, for the message ("sign-in attempts")
 *
 * Answers 429 with Retry-After.
 */
void
yg_request_too_many (YgRequest *req, guint wait, const char *what)
{
  g_autofree char *after = g_strdup_printf ("%u", wait);

  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), "Retry-After",
                                after);
  yg_request_fail (req, YG_HTTP_ERROR_TOO_MANY_REQUESTS, "Too many %s; try again in %u seconds",
                   what, wait);
}

/**
 * yg_request_respond_field_error:
 * @field: (nullable): the body member that is wrong; NULL when the body as
 *   a whole is (not JSON, not an object)
 *
 * Like yg_request_respond_error, with "field" in the error object, so a
 * form can put the message next to the right input.
 */
void
yg_request_respond_field_error (YgRequest *req, const char *field, const GError *error)
{
  const char *code;
  guint status = yg_http_error_map (error, &code);
  g_autoptr (JsonNode) doc = yg_request_error_document (code, error->message);
  JsonObject *inner = json_object_get_object_member (json_node_get_object (doc), "error");

  if (field != NULL)
    json_object_set_string_member (inner, "field", field);
  else
    json_object_set_null_member (inner, "field");
  yg_request_respond_json (req, status, g_steal_pointer (&doc));
}

/**
 * yg_request_client_address:
 * @behind_proxy: a proxy on this machine forwards the requests
 *
 * The address of the client: the peer, or, when @behind_proxy and the peer
 * is a loopback address, the last entry of X-Forwarded-For (the one the
 * proxy itself appended; entries before it are whatever the client sent).
 *
 * Returns: (transfer full): the address as text ("-" if unknown)
 */
char *
yg_request_client_address (YgRequest *req, gboolean behind_proxy)
{
  GSocketAddress *addr = soup_server_message_get_remote_address (req->msg);
  GInetAddress *inet = G_IS_INET_SOCKET_ADDRESS (addr)
                         ? g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr))
                         : NULL;
  const char *xff = yg_request_header (req, "X-Forwarded-For");

  if (inet == NULL)
    return g_strdup ("-");
  if (behind_proxy && xff != NULL && g_inet_address_get_is_loopback (inet))
    {
      const char *last = strrchr (xff, ',');
      g_autofree char *entry = g_strstrip (g_strdup (last != NULL ? last + 1 : xff));
      g_autoptr (GInetAddress) parsed = g_inet_address_new_from_string (entry);
      if (parsed != NULL)
        return g_inet_address_to_string (parsed);
    }
  return g_inet_address_to_string (inet);
}

/**
 * yg_request_ok_document:
 *
 * Returns: (transfer full): {"ok": true}, the answer of a removal
 */
JsonNode *
yg_request_ok_document (void)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *o = json_object_new ();

  json_object_set_boolean_member (o, "ok", TRUE);
  json_node_take_object (node, o);
  return node;
}

/**
 * yg_request_public_base:
 *
 * The absolute base of links that leave this server (share cards, oEmbed):
 * the configured public-url, else http(s)://<Host> when the Host header is a
 * plain host[:port] (https when behind TLS).
 *
 * Returns: (transfer full) (nullable): the base without a trailing '/', or
 *   %NULL when neither is usable
 */
char *
yg_request_public_base (YgRequest *req)
{
  const YgConfig *config = yg_server_get_config (req->server);
  const char *host = yg_request_header (req, "Host");

  if (!g_str_equal (config->public_url, "none"))
    return g_strdup (config->public_url);
  if (!yg_config_is_host (host))
    return NULL;
  return g_strdup_printf ("%s://%s", config->behind_tls ? "https" : "http", host);
}

/**
 * yg_request_fail:
 * @code: a #YgHttpError
 */
void
yg_request_fail (YgRequest *req, guint code, const char *format, ...)
{
  g_autoptr (GError) error = NULL;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (YG_HTTP_ERROR, code, format, args);
  va_end (args);
  yg_request_respond_error (req, error);
}

/**
 * yg_request_parse_json_body:
 *
 * Returns: (transfer full): the parsed body, or %NULL with a 400/415 error
 */
JsonNode *
yg_request_parse_json_body (YgRequest *req, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) local = NULL;
  SoupMessageBody *mb = soup_server_message_get_request_body (req->msg);
  const char *ctype = yg_request_header (req, "Content-Type");
  gsize len;
  const char *data;

  if (ctype == NULL || g_ascii_strncasecmp (ctype, "application/json", 16) != 0)
    {
      g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_UNSUPPORTED_MEDIA,
                           "Send the body as JSON with Content-Type: application/json");
      return NULL;
    }
  body = soup_message_body_flatten (mb);
  data = g_bytes_get_data (body, &len);
  /* json-glib accepts a body of only white space, with no root at all */
  if (len == 0 || !json_parser_load_from_data (parser, data, len, &local)
      || json_parser_get_root (parser) == NULL)
    {
      g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_BAD_REQUEST, "The body is not valid JSON%s%s",
                   local ? ": " : "", local ? local->message : "");
      return NULL;
    }
  return json_node_copy (json_parser_get_root (parser));
}

/**
 * yg_request_parse_json_object:
 * @owner: (out): the document holding the object; free it after use
 *
 * Returns: (transfer none): the body's top-level object, or %NULL (400/415)
 */
JsonObject *
yg_request_parse_json_object (YgRequest *req, JsonNode **owner, GError **error)
{
  JsonNode *node = yg_request_parse_json_body (req, error);

  *owner = node;
  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_BAD_REQUEST,
                           "The body must be a JSON object");
      return NULL;
    }
  return json_node_get_object (node);
}

/**
 * yg_request_parse_form:
 * @owner: (out): the document holding the object; free it after use
 * @allowed: (array zero-terminated=1): the member names the endpoint knows
 * @field: (out): on error, the member at fault (NULL: the body as a whole)
 *
 * The strict start of every JSON write endpoint: the body must be a JSON
 * object (else YG_HTTP_ERROR_INVALID, or 415 without the JSON content type)
 * whose members are all in @allowed (an unknown member is an error naming
 * it, so a typo is not silently ignored).
 *
 * Returns: (transfer none): the object, or %NULL with @error and @field
 */
JsonObject *
yg_request_parse_form (YgRequest *req, JsonNode **owner, const char *const *allowed,
                       const char **field, GError **error)
{
  const char *ctype = yg_request_header (req, "Content-Type");
  g_autoptr (GBytes) raw = NULL;
  gsize len = 0;
  const char *data;

  *owner = NULL;
  *field = NULL;
  if (ctype == NULL || g_ascii_strncasecmp (ctype, "application/json", 16) != 0)
    {
      g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_UNSUPPORTED_MEDIA,
                           "Send the body as JSON with Content-Type: application/json");
      return NULL;
    }
  raw = soup_message_body_flatten (soup_server_message_get_request_body (req->msg));
  data = g_bytes_get_data (raw, &len);
  return yg_request_form_from_data (data, len, owner, allowed, field, error);
}

/**
 * yg_request_form_from_data:
 * @owner: (out): the document holding the object; free it after use
 *
 * The pure part of yg_request_parse_form (fuzzed): @data must be a JSON
 * object whose members are all in @allowed, with no escaped NUL.
 *
 * Returns: (transfer none): the object, or %NULL with @error
 *   (YG_HTTP_ERROR_INVALID) and @field
 */
JsonObject *
yg_request_form_from_data (const char *data, gsize len, JsonNode **owner,
                           const char *const *allowed, const char **field, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) local = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  JsonObject *o;

  *owner = NULL;
  *field = NULL;
  if (len == 0 || !json_parser_load_from_data (parser, data, len, &local)
      || json_parser_get_root (parser) == NULL)
    {
      g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INVALID, "The body is not valid JSON%s%s",
                   local ? ": " : "", local ? local->message : "");
      return NULL;
    }
  *owner = json_node_copy (json_parser_get_root (parser));
  if (!JSON_NODE_HOLDS_OBJECT (*owner))
    {
      g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INVALID,
                           "The body must be a JSON object");
      return NULL;
    }
  /* json-glib cuts a string at an escaped NUL; refuse rather than store less */
  if (memmem (data, len, "\\u0000", 6) != NULL)
    {
      g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INVALID,
                           "Strings must not contain NUL characters (\\u0000)");
      return NULL;
    }
  o = json_node_get_object (*owner);
  json_object_iter_init (&iter, o);
  while (json_object_iter_next (&iter, &name, &value))
    if (!g_strv_contains (allowed, name))
      {
        *field = name;
        g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INVALID,
                     "\"%s\" is not a field of this request", name);
        return NULL;
      }
  return o;
}

/**
 * yg_request_form_string:
 * @max_chars: the longest value accepted, in characters
 * @value: (out): the string (owned by @form), NULL when absent and optional
 *
 * A string member: present (if @required), a JSON string, valid UTF-8, no
 * control characters, at most @max_chars characters. HTML is text like any
 * other: it is stored as sent and escaped by whoever renders it.
 */
gboolean
yg_request_form_string (JsonObject *form, const char *name, gboolean required, guint max_chars,
                        const char **value, GError **error)
{
  JsonNode *node = json_object_get_member (form, name);
  const char *s;

  *value = NULL;
  if (node == NULL)
    {
      if (!required)
        return TRUE;
      g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INVALID, "\"%s\" is required", name);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INVALID, "\"%s\" must be a string", name);
      return FALSE;
    }
  s = json_node_get_string (node);
  if (!g_utf8_validate (s, -1, NULL) || g_utf8_strlen (s, -1) > max_chars)
    {
      g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INVALID,
                   "\"%s\" must have at most %u characters", name, max_chars);
      return FALSE;
    }
  for (const char *p = s; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      {
        g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INVALID,
                     "\"%s\" must not contain control characters", name);
        return FALSE;
      }
  *value = s;
  return TRUE;
}

typedef struct
{
  SoupServerMessage *msg;
  GDestroyNotify result_free;
  guint status;
  YgRequestJsonFunc to_json;
} DbCall;

static void
db_call_done (GObject *source, GAsyncResult *res, gpointer data)
{
  DbCall *call = data;
  YgRequest *req = yg_request_get (call->msg);
  g_autoptr (GError) error = NULL;
  gpointer result = yg_db_run_finish (YG_DB (source), res, &error);

  if (error != NULL)
    yg_request_respond_error (req, error);
  else
    {
      yg_request_respond_json (req, call->status, call->to_json (req, result));
      if (result != NULL && call->result_free != NULL)
        call->result_free (result);
    }
  g_object_unref (call->msg);
  g_free (call);
}

/**
 * yg_request_run_db:
 * @func: a #YgDbFunc
 * @data: (transfer full): its argument, freed with @data_free
 * @status: the status of a successful answer
 * @to_json: builds the answer from the result (called on the main thread)
 *
 * The common shape of a catalogue-backed handler: pause, run @func on the
 * DB thread, answer with its result or its error.
 */
void
yg_request_run_db (YgRequest *req, gpointer func, gpointer data, GDestroyNotify data_free,
                   GDestroyNotify result_free, guint status, YgRequestJsonFunc to_json)
{
  DbCall *call = g_new0 (DbCall, 1);

  call->msg = g_object_ref (req->msg);
  call->result_free = result_free;
  call->status = status;
  call->to_json = to_json;
  yg_request_pause (req);
  yg_db_run_async (yg_server_get_db (req->server), (YgDbFunc) func, data, data_free, result_free,
                   NULL, db_call_done, call);
}

/**
 * yg_request_page_query:
 * @default_limit: the page size when the query names none
 * @id_name: what `after` counts, for the message: "a course id"
 * @after: (out): the last id of the previous page (0: from the start)
 * @limit: (out): the page size, 1 to 100
 *
 * Reads the query of a list paged by id (`after`, `limit` and nothing else).
 *
 * Returns: %FALSE with a field error for an unknown or malformed parameter
 */
gboolean
yg_request_page_query (YgRequest *req, guint default_limit, const char *id_name, gint64 *after,
                       guint *limit, GError **error)
{
  return yg_request_page_query_filtered (req, default_limit, id_name, NULL, after, limit, error);
}

/**
 * yg_request_page_query_filtered:
 * @filters: (array zero-terminated=1) (nullable): further parameter names the
 *   list accepts (the caller reads them from yg_request_query)
 *
 * Like yg_request_page_query, for lists that also filter.
 */
gboolean
yg_request_page_query_filtered (YgRequest *req, guint default_limit, const char *id_name,
                                const char *const *filters, gint64 *after, guint *limit,
                                GError **error)
{
  return yg_request_page_params (yg_request_query (req), default_limit, id_name, filters, after,
                                 limit, error);
}

/**
 * yg_request_page_params:
 * @query: (element-type utf8 utf8): decoded query parameters
 * @filters: (array zero-terminated=1) (nullable): further parameter names allowed
 *
 * The pure part of yg_request_page_query_filtered (fuzzed).
 */
gboolean
yg_request_page_params (GHashTable *query, guint default_limit, const char *id_name,
                        const char *const *filters, gint64 *after, guint *limit, GError **error)
{
  const char *after_s = g_hash_table_lookup (query, "after");
  const char *limit_s = g_hash_table_lookup (query, "limit");
  guint64 n = default_limit;
  GHashTableIter it;
  gpointer key;

  g_hash_table_iter_init (&it, query);
  while (g_hash_table_iter_next (&it, &key, NULL))
    if (!g_str_equal (key, "after") && !g_str_equal (key, "limit")
        && (filters == NULL || !g_strv_contains (filters, key)))
      return yg_field_error_set (error, key, "Unknown parameter \"%s\"", (const char *) key);
  if (limit_s != NULL && !g_ascii_string_to_unsigned (limit_s, 10, 1, 100, &n, NULL))
    return yg_field_error_set (error, "limit", "\"limit\" must be a number from 1 to 100");
  *after = 0;
  if (after_s != NULL && !g_ascii_string_to_signed (after_s, 10, 0, G_MAXINT64, after, NULL))
    return yg_field_error_set (error, "after", "\"after\" must be %s", id_name);
  *limit = (guint) n;
  return TRUE;
}

/* yg-feed-fetch.c: the HTTP client that reads other servers' feeds.
 *
 * It follows only the configured URL, over http or https, and defends
 * against server-side request forgery: the host is resolved here first and
 * refused when any of its addresses is loopback, private (RFC 1918, CGNAT,
 * IPv6 unique-local), link-local, multicast or unspecified, unless the admin
 * allowed that subscription's host; and the address each connection actually
 * reaches is checked again when it is made (SoupMessage::network-event,
 * before a byte is sent), so DNS rebinding between the two cannot slip
 * through. No proxy is used (the address checked is the peer's). Redirects
 * are not followed automatically: a redirect to the same scheme, host and
 * port is followed (at most 3), one anywhere else is refused. The body is
 * streamed and refused beyond max_bytes; the whole fetch, redirects
 * included, is cancelled after the timeout. A 304 to If-None-Match gives an
 * empty body. Errors are G_IO_ERROR with a message saying what was refused.
 * Thread: main thread (the session and its messages).
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-feed-fetch.h"

#include <string.h>

#include "yg-build-config.h"
#include "yg-feed-input.h"

#define MAX_REDIRECTS 3
#define CHUNK 16384

typedef struct
{
  SoupSession *session;
  char *url;         /* current (after same-origin redirects) */
  char *origin;      /* of the configured URL */
  char *host;
  YgFeedFetchLimits limits;
  char *etag_in;
  guint redirects;
  SoupMessage *msg;
  GInputStream *stream;
  GByteArray *body;
  GCancellable *cancellable;
  gulong chained;    /* on the caller's cancellable */
  GCancellable *caller;
  guint timer;
  GError *refused;   /* decided in network-event */
  gboolean timed_out;
} Fetch;

static void
fetch_free (Fetch *f)
{
  if (f->timer != 0)
    {
      GSource *timer = g_main_context_find_source_by_id (g_main_context_get_thread_default (),
                                                         f->timer);
      if (timer != NULL)
        g_source_destroy (timer);
    }
  if (f->chained != 0)
    g_cancellable_disconnect (f->caller, f->chained);
  g_clear_object (&f->caller);
  g_free (f->url);
  g_free (f->origin);
  g_free (f->host);
  g_free (f->etag_in);
  g_clear_object (&f->msg);
  g_clear_object (&f->stream);
  g_clear_pointer (&f->body, g_byte_array_unref);
  g_clear_object (&f->cancellable);
  g_clear_object (&f->session);
  g_clear_error (&f->refused);
  g_free (f);
}

/* IPv4 a.b.c.d of an IPv4 address or an IPv4-mapped IPv6 one; FALSE otherwise. */
static gboolean
ipv4_bytes (GInetAddress *a, guint8 out[4])
{
  const guint8 *b = g_inet_address_to_bytes (a);
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  if (g_inet_address_get_family (a) == G_SOCKET_FAMILY_IPV4)
    {
      memcpy (out, b, 4);
      return TRUE;
    }
  if (memcmp (b, mapped, 12) == 0)
    {
      memcpy (out, b + 12, 4);
      return TRUE;
    }
  return FALSE;
}

/**
 * yg_feed_fetch_address_kind:
 *
 * Returns: (nullable): why @address is not a public unicast address
 *   ("loopback", "private", "link-local", "multicast", "unspecified",
 *   "reserved"), or %NULL when it is one
 */
const char *
yg_feed_fetch_address_kind (GInetAddress *a)
{
  guint8 v4[4];

  if (ipv4_bytes (a, v4))
    {
      if (v4[0] == 127)
        return "loopback";
      if (v4[0] == 10 || (v4[0] == 172 && (v4[1] & 0xf0) == 16) || (v4[0] == 192 && v4[1] == 168)
          || (v4[0] == 100 && (v4[1] & 0xc0) == 64))
        return "private";
      if (v4[0] == 169 && v4[1] == 254)
        return "link-local";
      if (v4[0] >= 224 && v4[0] < 240)
        return "multicast";
      if (v4[0] == 0)
        return "unspecified";
      if (v4[0] >= 240)
        return "reserved";
      return NULL;
    }
  if (g_inet_address_get_is_loopback (a))
    return "loopback";
  if (g_inet_address_get_is_any (a))
    return "unspecified";
  if (g_inet_address_get_is_link_local (a))
    return "link-local";
  if (g_inet_address_get_is_multicast (a))
    return "multicast";
  if (g_inet_address_get_is_site_local (a) || (g_inet_address_to_bytes (a)[0] & 0xfe) == 0xfc)
    return "private";
  return NULL;
}

static gboolean
refuse_address (Fetch *f, GInetAddress *a, GError **error)
{
  const char *kind = yg_feed_fetch_address_kind (a);
  g_autofree char *text = NULL;

  if (kind == NULL || f->limits.allow_private)
    return FALSE;
  text = g_inet_address_to_string (a);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
               "Refused: %s is at %s, a %s address (allow it for this subscription only if it "
               "is a partner on your own network)",
               f->host, text, kind);
  return TRUE;
}

static void send_request (GTask *task);

static void
fail_task (GTask *task, GError *error)
{
  Fetch *f = g_task_get_task_data (task);

  if (f->refused != NULL)
    {
      g_clear_error (&error);
      error = g_steal_pointer (&f->refused);
    }
  else if (f->timed_out)
    {
      g_clear_error (&error);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           "Refused: the feed gave no complete answer within %u s",
                           f->limits.timeout);
    }
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
read_more (GObject *source, GAsyncResult *res, gpointer data)
{
  GTask *task = data;
  Fetch *f = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr (GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), res, &error);
  const char *etag;

  if (chunk == NULL)
    {
      fail_task (task, error);
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      etag = soup_message_headers_get_one (soup_message_get_response_headers (f->msg), "ETag");
      g_object_set_data_full (G_OBJECT (task), "etag", g_strdup (etag), g_free);
      g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&f->body)),
                             (GDestroyNotify) g_bytes_unref);
      g_object_unref (task);
      return;
    }
  if (f->body->len + g_bytes_get_size (chunk) > f->limits.max_bytes)
    {
      g_cancellable_cancel (f->cancellable); /* closes the connection */
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                               "Refused: the feed is larger than %" G_GUINT64_FORMAT " bytes",
                               f->limits.max_bytes);
      g_object_unref (task);
      return;
    }
  g_byte_array_append (f->body, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  g_input_stream_read_bytes_async (f->stream, CHUNK, G_PRIORITY_DEFAULT, f->cancellable, read_more,
                                   task);
}

static gboolean
redirect (GTask *task, GError **error)
{
  Fetch *f = g_task_get_task_data (task);
  const char *location
      = soup_message_headers_get_one (soup_message_get_response_headers (f->msg), "Location");
  g_autoptr (GUri) base = g_uri_parse (f->url, G_URI_FLAGS_NONE, NULL);
  g_autoptr (GUri) next = NULL;
  g_autofree char *next_url = NULL, *origin = NULL;

  if (location == NULL || base == NULL
      || (next = g_uri_parse_relative (base, location, G_URI_FLAGS_NONE, NULL)) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The feed answered a redirect without a usable Location");
      return FALSE;
    }
  next_url = g_uri_to_string (next);
  origin = yg_feed_input_origin (next_url);
  if (origin == NULL || !g_str_equal (origin, f->origin))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "Refused: the feed redirects to another host (%.200s); only the configured "
                   "host is followed",
                   origin != NULL ? origin : location);
      return FALSE;
    }
  if (++f->redirects > MAX_REDIRECTS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "Refused: more than %d redirects", MAX_REDIRECTS);
      return FALSE;
    }
  g_free (f->url);
  f->url = g_steal_pointer (&next_url);
  return TRUE;
}

static void
sent (GObject *source, GAsyncResult *res, gpointer data)
{
  GTask *task = data;
  Fetch *f = g_task_get_task_data (task);
  GError *error = NULL;
  guint status;
  goffset length;

  f->stream = soup_session_send_finish (SOUP_SESSION (source), res, &error);
  if (f->stream == NULL)
    {
      if (f->refused == NULL && !f->timed_out)
        g_prefix_error (&error, "Cannot fetch %s: ", f->url);
      fail_task (task, error);
      return;
    }
  status = soup_message_get_status (f->msg);
  if (SOUP_STATUS_IS_REDIRECTION (status) && status != SOUP_STATUS_NOT_MODIFIED)
    {
      g_input_stream_close (f->stream, NULL, NULL);
      g_clear_object (&f->stream);
      if (!redirect (task, &error))
        {
          fail_task (task, error);
          return;
        }
      send_request (task);
      return;
    }
  if (status == SOUP_STATUS_NOT_MODIFIED)
    {
      g_object_set_data_full (G_OBJECT (task), "etag", g_strdup (f->etag_in), g_free);
      g_task_return_pointer (task, g_bytes_new (NULL, 0), (GDestroyNotify) g_bytes_unref);
      g_object_unref (task);
      return;
    }
  if (status != SOUP_STATUS_OK)
    {
      fail_task (task, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                                    "The feed answered HTTP %u", status));
      return;
    }
  length = soup_message_headers_get_content_length (soup_message_get_response_headers (f->msg));
  if (length > 0 && (guint64) length > f->limits.max_bytes)
    {
      g_cancellable_cancel (f->cancellable);
      fail_task (task, g_error_new (G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                                    "Refused: the feed is larger than %" G_GUINT64_FORMAT " bytes",
                                    f->limits.max_bytes));
      return;
    }
  f->body = g_byte_array_new ();
  g_input_stream_read_bytes_async (f->stream, CHUNK, G_PRIORITY_DEFAULT, f->cancellable, read_more,
                                   task);
}

/* Checks the peer of every new connection before anything is sent on it. */
static void
network_event (SoupMessage *msg, GSocketClientEvent event, GIOStream *connection, gpointer data)
{
  GTask *task = data;
  Fetch *f = g_task_get_task_data (task);
  g_autoptr (GSocketAddress) peer = NULL;

  if (event != G_SOCKET_CLIENT_CONNECTED || !G_IS_SOCKET_CONNECTION (connection))
    return;
  peer = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (connection), NULL);
  if (peer == NULL || !G_IS_INET_SOCKET_ADDRESS (peer))
    {
      if (f->refused == NULL)
        f->refused = g_error_new (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                                  "Refused: the connection to %s has no IP peer", f->host);
      g_cancellable_cancel (f->cancellable);
      return;
    }
  if (f->refused == NULL
      && refuse_address (f, g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (peer)),
                         &f->refused))
    g_cancellable_cancel (f->cancellable);
}

static void
send_request (GTask *task)
{
  Fetch *f = g_task_get_task_data (task);
  SoupMessageHeaders *h;

  g_clear_object (&f->msg);
  f->msg = soup_message_new ("GET", f->url);
  if (f->msg == NULL)
    {
      fail_task (task, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    "Not a URL: %.200s", f->url));
      return;
    }
  soup_message_add_flags (f->msg, SOUP_MESSAGE_NO_REDIRECT);
  h = soup_message_get_request_headers (f->msg);
  soup_message_headers_replace (h, "Accept", "application/json");
  if (f->etag_in != NULL)
    soup_message_headers_replace (h, "If-None-Match", f->etag_in);
  g_signal_connect_object (f->msg, "network-event", G_CALLBACK (network_event), task, 0);
  soup_session_send_async (f->session, f->msg, G_PRIORITY_DEFAULT, f->cancellable, sent, task);
}

static void
resolved (GObject *source, GAsyncResult *res, gpointer data)
{
  GTask *task = data;
  Fetch *f = g_task_get_task_data (task);
  GError *error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), res, &error);

  if (addresses == NULL)
    {
      g_prefix_error (&error, "Cannot resolve %s: ", f->host);
      fail_task (task, error);
      return;
    }
  for (GList *l = addresses; l != NULL && error == NULL; l = l->next)
    refuse_address (f, l->data, &error);
  g_resolver_free_addresses (addresses);
  if (error != NULL)
    {
      fail_task (task, error);
      return;
    }
  send_request (task);
}

static gboolean
timed_out (gpointer data)
{
  Fetch *f = data;

  f->timer = 0;
  f->timed_out = TRUE;
  g_cancellable_cancel (f->cancellable);
  return G_SOURCE_REMOVE;
}

static void
caller_cancelled (GCancellable *caller, gpointer data)
{
  g_cancellable_cancel (data);
}

/**
 * yg_feed_fetch_async:
 * @url: an absolute http(s) URL (validated by the caller)
 *
 * Fetches @url within @limits (see the file comment).
 */
void
yg_feed_fetch_async (SoupSession *session, const char *url, const YgFeedFetchLimits *limits,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, data);
  Fetch *f = g_new0 (Fetch, 1);
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autoptr (GInetAddress) literal = NULL;
  g_autoptr (GResolver) resolver = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, yg_feed_fetch_async);
  g_task_set_task_data (task, f, (GDestroyNotify) fetch_free);
  f->session = g_object_ref (session);
  f->url = g_strdup (url);
  f->origin = yg_feed_input_origin (url);
  f->limits = *limits;
  f->limits.etag = NULL;
  f->etag_in = g_strdup (limits->etag);
  f->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      f->caller = g_object_ref (cancellable);
      f->chained = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled),
                                          f->cancellable, NULL);
    }
  if (uri == NULL || f->origin == NULL)
    {
      fail_task (task, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    "Not an http(s) URL: %.200s", url));
      return;
    }
  f->host = g_strdup (g_uri_get_host (uri));
  {
    /* on the caller's context (a test runs the server on a context of its own) */
    GSource *timer = g_timeout_source_new_seconds (MAX (1, limits->timeout));

    g_source_set_callback (timer, timed_out, f, NULL);
    f->timer = g_source_attach (timer, g_main_context_get_thread_default ());
    g_source_unref (timer);
  }
  literal = g_inet_address_new_from_string (f->host);
  if (literal != NULL)
    {
      if (refuse_address (f, literal, &error))
        fail_task (task, error);
      else
        send_request (task);
      return;
    }
  resolver = g_resolver_get_default ();
  g_resolver_lookup_by_name_async (resolver, f->host, f->cancellable, resolved, task);
}

/**
 * yg_feed_fetch_finish:
 * @etag: (out) (transfer full) (nullable): the answer's ETag
 *
 * Returns: (transfer full): the body (empty: not modified), or %NULL
 */
GBytes *
yg_feed_fetch_finish (GAsyncResult *result, char **etag, GError **error)
{
  GBytes *body = g_task_propagate_pointer (G_TASK (result), error);

  if (etag != NULL)
    *etag = body != NULL ? g_strdup (g_object_get_data (G_OBJECT (result), "etag")) : NULL;
  return body;
}

/* Returns: (transfer full): a session for feeds: no proxy, no cookies, a short I/O timeout */
SoupSession *
yg_feed_fetch_session_new (void)
{
  return g_object_new (SOUP_TYPE_SESSION, "proxy-resolver", NULL, "timeout", 30, "idle-timeout",
                       60, "max-conns-per-host", 2, "user-agent", "yunguan/" YG_VERSION " (feed)",
                       NULL);
}

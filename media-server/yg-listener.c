/* yg-listener.c: YgListener, the accept loop that libsoup 3.2 lacks.
 *
 * Connections are accepted here (a listening GSocket whose source accepts
 * every waiting connection per dispatch) and handed to SoupServer
 * with soup_server_accept_iostream, which lets us enforce what libsoup does
 * not: a connection cap (the connection over the cap gets a 503 and is
 * closed), a deadline for a complete request head (slow-header clients are
 * cut off; the same deadline bounds keep-alive idle time, counted from the
 * end of the previous response), and a socket
 * inactivity timeout (GSocket:timeout) for bodies and responses. A bounded
 * (non-streamed) request body must also arrive in full within
 * header-timeout + idle-timeout + its length at MIN_BODY_RATE, so a client
 * that trickles a byte a second (never idle) is cut off too.
 * Requests refused before their body (413, 431) are answered on a connection
 * stolen from libsoup, followed by a short lingering close so the client
 * reads the answer instead of a reset. Connections are tracked by their
 * peer address object: libsoup hands the one given to
 * soup_server_accept_iostream back as each message's remote address, which
 * is how a SoupServerMessage is tied back to its socket without formatting
 * an address per request.
 * A connection whose peer is gone (hang-up or error on the socket) is closed
 * by the sweep (or at once when the cap is reached), since libsoup does not
 * always close those itself.
 * libsoup keeps connections alive only while the server has a listener of
 * its own, so an inert one (one end of a socketpair) is registered.
 * libsoup gets each connection wrapped in a YgConnStream, which sends file
 * bodies with sendfile(2); since that raises SIGPIPE on a connection reset
 * by its peer, starting a listener makes the process ignore SIGPIPE
 * (the worker pool gives its children the default back).
 * Thread: main thread only.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-listener.h"

#include "yg-conn-stream.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#define SWEEP_INTERVAL_MS 250
#define LISTEN_BACKLOG 4096 /* the kernel caps it at net.core.somaxconn */
#define ACCEPT_BATCH 64
#define HANGUP_SWEEPS 8 /* peers' hang-ups are looked for every 2 s */
#define LINGER_MS 2000
#define LINGER_MAX_BYTES (256 * 1024)
#define MIN_BODY_RATE 8192 /* bytes per second a bounded body must average */

typedef struct
{
  GSocketConnection *conn;
  GSocket *socket;
  GSocketAddress *peer; /* the key in YgListener.conns */
  gint64 head_deadline; /* monotonic µs; 0 while not waiting for a request head */
  gint64 body_deadline; /* monotonic µs; 0 unless a bounded body is on its way */
} Conn;

struct _YgListener
{
  GObject parent_instance;
  SoupServer *server;
  YgListenerLimits limits;
  GSocket *listen_socket;
  GSource *accept_source;
  guint16 port;
  GHashTable *conns; /* peer "ip:port" → Conn */
  guint sweep_id;
  guint sweeps;
  GSocket *anchor;
  int anchor_peer;
  YgListenerStats stats;
};

G_DEFINE_FINAL_TYPE (YgListener, yg_listener, G_TYPE_OBJECT)

static void
conn_free (Conn *c)
{
  g_object_unref (c->conn);
  g_object_unref (c->peer);
  g_free (c);
}

static Conn *
conn_for_message (YgListener *self, SoupServerMessage *msg)
{
  return g_hash_table_lookup (self->conns, soup_server_message_get_remote_address (msg));
}

/* Timers go to the thread-default context the server runs in, not the global one. */
static guint
add_timeout (guint ms, GSourceFunc func, gpointer data)
{
  GSource *source = g_timeout_source_new (ms);
  guint id;

  g_source_set_callback (source, func, data, NULL);
  id = g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
  return id;
}

static void
remove_timeout (guint id)
{
  GSource *source = g_main_context_find_source_by_id (g_main_context_get_thread_default (), id);

  if (source != NULL)
    g_source_destroy (source);
}

/* --- lingering close ------------------------------------------------------ */

typedef struct
{
  GIOStream *stream;
  GSocket *socket;
  GBytes *response;
  GCancellable *cancel;
  guint timer;
  gsize drained;
  guint8 buf[8192];
} Linger;

static void
linger_finish (Linger *l)
{
  if (l->timer != 0)
    remove_timeout (l->timer);
  g_io_stream_close (l->stream, NULL, NULL);
  g_object_unref (l->stream);
  g_clear_object (&l->socket);
  g_bytes_unref (l->response);
  g_object_unref (l->cancel);
  g_free (l);
}

static gboolean
linger_timeout (gpointer data)
{
  Linger *l = data;

  l->timer = 0;
  g_cancellable_cancel (l->cancel);
  return G_SOURCE_REMOVE;
}

static void linger_read (Linger *l);

static void
linger_read_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Linger *l = data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), res, NULL);

  if (n <= 0 || (l->drained += n) > LINGER_MAX_BYTES)
    {
      linger_finish (l);
      return;
    }
  linger_read (l);
}

static void
linger_read (Linger *l)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (l->stream), l->buf, sizeof l->buf,
                             G_PRIORITY_DEFAULT, l->cancel, linger_read_done, l);
}

static void
linger_written (GObject *source, GAsyncResult *res, gpointer data)
{
  Linger *l = data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, NULL))
    {
      linger_finish (l);
      return;
    }
  g_output_stream_flush (G_OUTPUT_STREAM (source), NULL, NULL);
  if (l->socket != NULL)
    g_socket_shutdown (l->socket, FALSE, TRUE, NULL); /* FIN: the answer is complete */
  linger_read (l);
}

/* Writes @response, half-closes, then reads and discards what the client was
 * still sending (bounded in time and bytes) before closing. */
static void
linger_close (GIOStream *stream, GSocket *socket, GBytes *response)
{
  Linger *l = g_new0 (Linger, 1);
  gsize len;
  const void *data = g_bytes_get_data (response, &len);

  l->stream = stream;
  l->socket = socket != NULL ? g_object_ref (socket) : NULL;
  l->response = response;
  l->cancel = g_cancellable_new ();
  l->timer = add_timeout (LINGER_MS, linger_timeout, l);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (stream), data, len,
                                   G_PRIORITY_DEFAULT, l->cancel, linger_written, l);
}

static const char *
reason_phrase (guint status)
{
  switch (status)
    {
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return soup_status_get_phrase (status);
    }
}

static GBytes *
raw_response (guint status, const char *extra_headers, const char *json_body)
{
  char *text = g_strdup_printf (
    "HTTP/1.1 %u %s\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: %zu\r\n"
    "Connection: close\r\n"
    "%s"
    "\r\n"
    "%s",
    status, reason_phrase (status), strlen (json_body),
    extra_headers != NULL ? extra_headers : "", json_body);

  return g_bytes_new_take (text, strlen (text));
}

/**
 * yg_listener_refuse:
 * @extra_headers: (nullable): complete "Name: value\r\n" lines
 *
 * Answers @msg without reading its body: the connection is taken from
 * libsoup, the answer written, and the connection closed (lingering).
 * @msg must not be used afterwards.
 */
void
yg_listener_refuse (YgListener        *self,
                    SoupServerMessage *msg,
                    guint              status,
                    const char        *extra_headers,
                    const char        *json_body)
{
  Conn *c = conn_for_message (self, msg);
  GSocket *socket = c != NULL ? c->socket : NULL;
  GIOStream *stream;

  self->stats.refused_requests++;
  if (socket != NULL)
    g_object_ref (socket);
  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    {
      g_clear_object (&socket);
      return;
    }
  linger_close (stream, socket, raw_response (status, extra_headers, json_body));
  g_clear_object (&socket);
}

/* --- deadlines -------------------------------------------------------------- */

static void
on_got_headers (SoupServerMessage *msg, gpointer data)
{
  Conn *c = conn_for_message (YG_LISTENER (data), msg);

  if (c != NULL)
    c->head_deadline = 0;
}

static void
on_request_started (SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  YgListener *self = data;
  Conn *c = conn_for_message (self, msg);

  if (c == NULL)
    return;
  c->head_deadline = g_get_monotonic_time () + (gint64) self->limits.header_timeout * G_USEC_PER_SEC;
  g_signal_connect_object (msg, "got-headers", G_CALLBACK (on_got_headers), self, 0);
}

/* A kept-alive connection waits for its next request head from here:
 * libsoup 3.2 emits request-started for it only when its first bytes
 * arrive, so without this an idle kept-alive connection had no deadline at
 * all and could hold its place under the cap for good. */
static void
on_request_finished (SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  YgListener *self = data;
  Conn *c = conn_for_message (self, msg);

  if (c != NULL)
    {
      c->head_deadline
        = g_get_monotonic_time () + (gint64) self->limits.header_timeout * G_USEC_PER_SEC;
      c->body_deadline = 0;
    }
}

static void
on_got_body (SoupServerMessage *msg, gpointer data)
{
  Conn *c = conn_for_message (YG_LISTENER (data), msg);

  if (c != NULL)
    c->body_deadline = 0;
}

/**
 * yg_listener_limit_body:
 * @body_bytes: the most the body can carry (its Content-Length, or the limit)
 *
 * Gives the body of @msg, whose head has just arrived, a deadline: see the
 * header comment. For bodies of a bounded size only, not streamed uploads.
 */
void
yg_listener_limit_body (YgListener *self, SoupServerMessage *msg, guint64 body_bytes)
{
  Conn *c = conn_for_message (self, msg);
  guint64 seconds = self->limits.header_timeout + self->limits.idle_timeout
                    + body_bytes / MIN_BODY_RATE;

  if (c == NULL)
    return;
  c->body_deadline = g_get_monotonic_time () + (gint64) MIN (seconds, 86400) * G_USEC_PER_SEC;
  g_signal_connect_object (msg, "got-body", G_CALLBACK (on_got_body), self, 0);
}

/* TRUE when @c is over: closed, or its peer is gone (reset, or both
 * directions shut down). libsoup does not close every such connection
 * itself: a client that resets a kept-alive connection after a response that
 * fit in the socket buffers (a slow reader that gives up) left its
 * descriptor open and its place under the cap taken for good. Those are
 * closed here. */
static gboolean
conn_gone (Conn *c)
{
  if (g_socket_is_closed (c->socket))
    return TRUE;
  if (g_socket_condition_check (c->socket, G_IO_HUP | G_IO_ERR) == 0)
    return FALSE;
  g_debug ("closing a connection whose peer is gone");
  g_io_stream_close (G_IO_STREAM (c->conn), NULL, NULL);
  return TRUE;
}

/* Deadlines are checked every sweep; whether a peer has hung up costs a
 * poll(2) per connection, so that is asked every HANGUP_SWEEPS sweeps only
 * (with thousands of viewers connected it was most of the sweep's cost). */
static gboolean
sweep (gpointer data)
{
  YgListener *self = data;
  gint64 now = g_get_monotonic_time ();
  gboolean ask_peers = ++self->sweeps % HANGUP_SWEEPS == 0;
  GHashTableIter iter;
  Conn *c;

  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    {
      if (g_socket_is_closed (c->socket) || (ask_peers && conn_gone (c)))
        g_hash_table_iter_remove (&iter);
      else if (c->head_deadline != 0 && now >= c->head_deadline)
        {
          /* libsoup sees EOF and drops the connection; we forget it then. */
          g_debug ("closing a connection that sent no complete request head in %us",
                   self->limits.header_timeout);
          self->stats.header_timeouts++;
          c->head_deadline = 0;
          g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
        }
      else if (c->body_deadline != 0 && now >= c->body_deadline)
        {
          g_debug ("closing a connection whose request body is too slow");
          self->stats.body_timeouts++;
          c->body_deadline = 0;
          g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
        }
    }
  return G_SOURCE_CONTINUE;
}

static void
purge_closed (YgListener *self)
{
  GHashTableIter iter;
  Conn *c;

  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    if (conn_gone (c))
      g_hash_table_iter_remove (&iter);
}

/* --- accepting ---------------------------------------------------------------- */

static void
on_incoming (YgListener *self, GSocketConnection *connection)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  g_autoptr (GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr (GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GIOStream) stream = NULL;
  Conn *c;

  if (g_hash_table_size (self->conns) >= self->limits.max_connections)
    purge_closed (self);
  if (g_hash_table_size (self->conns) >= self->limits.max_connections)
    {
      self->stats.rejected_over_cap++;
      linger_close (g_object_ref (G_IO_STREAM (connection)), socket,
                    raw_response (503, "Retry-After: 1\r\n",
                                  "{\"error\":{\"code\":\"too_many_connections\",\"message\":"
                                  "\"The server is at its connection limit; retry shortly\"}}"));
      return;
    }
  if (local == NULL || !G_IS_INET_SOCKET_ADDRESS (remote))
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return;
    }

  g_socket_set_timeout (socket, self->limits.idle_timeout);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  c = g_new0 (Conn, 1);
  c->conn = g_object_ref (connection);
  c->peer = g_object_ref (remote);
  c->socket = socket;
  g_hash_table_replace (self->conns, c->peer, c);
  self->stats.accepted++;

  stream = yg_conn_stream_new (connection);
  if (!soup_server_accept_iostream (self->server, stream, local, remote, &error))
    {
      g_warning ("could not hand a connection to the HTTP server: %s", error->message);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }
}

/* Accepts every connection waiting (up to ACCEPT_BATCH) in one dispatch: a
 * crowd arriving at once is taken in as fast as the kernel queues it, not one
 * connection per main-loop iteration. */
static gboolean
accept_ready (GSocket *socket, GIOCondition condition, gpointer data)
{
  YgListener *self = data;

  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocket) accepted = g_socket_accept (socket, NULL, &error);
      g_autoptr (GSocketConnection) connection = NULL;

      if (accepted == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_debug ("accept: %s", error->message);
          break;
        }
      connection = g_socket_connection_factory_create_connection (accepted);
      on_incoming (self, connection);
    }
  return G_SOURCE_CONTINUE;
}

static void
yg_listener_dispose (GObject *object)
{
  YgListener *self = YG_LISTENER (object);

  yg_listener_stop (self);
  if (self->server != NULL)
    g_signal_handlers_disconnect_by_data (self->server, self);
  g_clear_object (&self->server);
  G_OBJECT_CLASS (yg_listener_parent_class)->dispose (object);
}

static void
yg_listener_finalize (GObject *object)
{
  YgListener *self = YG_LISTENER (object);

  g_hash_table_destroy (self->conns);
  g_clear_object (&self->anchor);
  if (self->anchor_peer >= 0)
    close (self->anchor_peer);
  G_OBJECT_CLASS (yg_listener_parent_class)->finalize (object);
}

static void
yg_listener_class_init (YgListenerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = yg_listener_dispose;
  G_OBJECT_CLASS (klass)->finalize = yg_listener_finalize;
}

static void
yg_listener_init (YgListener *self)
{
  self->conns = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) conn_free);
  self->anchor_peer = -1;
}

/**
 * yg_listener_new:
 *
 * Returns: (transfer full): a listener feeding @server, not yet listening
 */
YgListener *
yg_listener_new (SoupServer *server, const YgListenerLimits *limits, GError **error)
{
  g_autoptr (YgListener) self = g_object_new (YG_TYPE_LISTENER, NULL);
  int sv[2];

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);
  g_return_val_if_fail (limits->max_connections > 0, NULL);

  self->server = g_object_ref (server);
  self->limits = *limits;
  g_signal_connect (server, "request-started", G_CALLBACK (on_request_started), self);
  g_signal_connect (server, "request-finished", G_CALLBACK (on_request_finished), self);

  /* The keep-alive anchor: see the header comment. Nothing ever connects to
   * it, and its peer end never writes, so libsoup's watch on it never fires. */
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "socketpair: %s",
                   g_strerror (errno));
      return NULL;
    }
  self->anchor_peer = sv[1];
  self->anchor = g_socket_new_from_fd (sv[0], error);
  if (self->anchor == NULL)
    {
      close (sv[0]);
      return NULL;
    }
  if (!soup_server_listen_socket (server, self->anchor, 0, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * yg_listener_listen:
 * @host_port: "HOST:PORT"; IPv6 hosts in brackets; port 0 for any free port
 */
gboolean
yg_listener_listen (YgListener *self, const char *host_port, GError **error)
{
  g_autoptr (GSocketAddress) effective = NULL;
  g_autoptr (GInetAddress) inet = NULL;
  g_autoptr (GSocketAddress) addr = NULL;
  g_autofree char *host = NULL;
  guint16 port = 0;

  g_return_val_if_fail (self->listen_socket == NULL, FALSE);

  {
    g_autoptr (GSocketConnectable) na = g_network_address_parse (host_port, 0, error);
    if (na == NULL)
      {
        g_prefix_error (error, "Listen address \"%s\": ", host_port);
        return FALSE;
      }
    host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (na)));
    port = g_network_address_get_port (G_NETWORK_ADDRESS (na));
  }
  inet = g_inet_address_new_from_string (host);
  if (inet == NULL && g_str_equal (host, "localhost"))
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Listen address \"%s\": the host must be an IP address (e.g. 127.0.0.1, "
                   "0.0.0.0 or [::1])",
                   host_port);
      return FALSE;
    }
  addr = g_inet_socket_address_new (inet, port);

  signal (SIGPIPE, SIG_IGN); /* see the header comment */
  self->listen_socket = g_socket_new (g_socket_address_get_family (addr), G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, error);
  if (self->listen_socket != NULL)
    {
      g_socket_set_blocking (self->listen_socket, FALSE);
      g_socket_set_listen_backlog (self->listen_socket, LISTEN_BACKLOG);
    }
  if (self->listen_socket == NULL || !g_socket_bind (self->listen_socket, addr, TRUE, error)
      || !g_socket_listen (self->listen_socket, error)
      || (effective = g_socket_get_local_address (self->listen_socket, error)) == NULL)
    {
      g_prefix_error (error, "Cannot listen on %s: ", host_port);
      g_clear_object (&self->listen_socket);
      return FALSE;
    }
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  self->accept_source = g_socket_create_source (self->listen_socket, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (accept_ready), self, NULL);
  g_source_attach (self->accept_source, g_main_context_get_thread_default ());
  self->sweep_id = add_timeout (SWEEP_INTERVAL_MS, sweep, self);
  return TRUE;
}

guint16
yg_listener_get_port (YgListener *self)
{
  return self->port;
}

guint
yg_listener_get_active (YgListener *self)
{
  purge_closed (self);
  return g_hash_table_size (self->conns);
}

void
yg_listener_get_stats (YgListener *self, YgListenerStats *stats)
{
  *stats = self->stats;
}

/**
 * yg_listener_stop:
 *
 * Stops accepting and closes every tracked connection.
 */
void
yg_listener_stop (YgListener *self)
{
  GHashTableIter iter;
  Conn *c;

  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }
  if (self->listen_socket != NULL)
    {
      g_socket_close (self->listen_socket, NULL);
      g_clear_object (&self->listen_socket);
    }
  if (self->sweep_id != 0)
    remove_timeout (self->sweep_id);
  self->sweep_id = 0;
  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
}

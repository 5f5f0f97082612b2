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
 * Several server threads: the listener that listens (the main thread's)
 * hands each accepted connection to one of its delegates in turn
 * (yg_listener_delegate: listeners of other threads, each with its own
 * SoupServer and main context). A delegate serves the requests its server
 * may serve there and hands the connection back, request head and all, for
 * anything else (yg_listener_hand_off): libsoup's connection is stolen, the
 * head it parsed is written out again and put in front of the bytes not yet
 * read (yg_conn_stream_unread), and the home listener gives it to its own
 * server, which reads that request as if it had just arrived. The cap and
 * the counters are shared by the home listener and its delegates.
 * libsoup gets each connection wrapped in a YgConnStream, which sends file
 * bodies with sendfile(2); since that raises SIGPIPE on a connection reset
 * by its peer, starting a listener makes the process ignore SIGPIPE
 * (the worker pool gives its children the default back).
 * Thread: each listener is used on the thread that runs its context; the
 * shared count and counters are atomic.
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
#define HAND_OFF_MAX_BYTES (1024 * 1024) /* read ahead of the parser, carried with a hand-off */

typedef struct _YgListenerConn
{
  GSocketConnection *conn;
  GSocket *socket;
  GIOStream *stream;    /* what libsoup reads and writes (YgConnStream) */
  gboolean taken;       /* served by the taker, not libsoup: it decides when it ends */
  gint64 write_deadline; /* monotonic µs; the taker's response must progress by then; 0: none */
  GSocketAddress *peer; /* the key in YgListener.conns */
  gint *open;           /* the shared count of open connections */
  gint counted;         /* 1 while counted in *open */
  gint64 head_deadline; /* monotonic µs; 0 while not waiting for a request head */
  gint64 body_deadline; /* monotonic µs; 0 unless a bounded body is on its way */
} Conn;

struct _YgListener
{
  GObject parent_instance;
  SoupServer *server;
  GMainContext *context; /* the one this listener's connections are served in */
  YgListenerLimits limits;
  GSocket *listen_socket;
  GSource *accept_source;
  guint16 port;
  GHashTable *conns; /* peer address object → Conn */
  guint sweep_id;
  guint sweeps;
  GSocket *anchor;
  int anchor_peer;
  YgListener *home;     /* a delegate's: where requests it must not serve go; else NULL */
  GPtrArray *delegates; /* the home's: listeners new connections go to, in turn */
  guint next_delegate;
  gint own_open;
  gint *open; /* &own_open, or the home's */
  YgListenerStats own_stats;
  YgListenerStats *stats; /* &own_stats, or the home's; updated atomically */
  YgListenerTaker taker;  /* a delegate's: gets its new connections before libsoup; or NULL */
  gpointer taker_data;
};

G_DEFINE_FINAL_TYPE (YgListener, yg_listener, G_TYPE_OBJECT)

#define COUNT(self, field) __atomic_add_fetch (&(self)->stats->field, 1, __ATOMIC_RELAXED)

/* A connection stops counting against the cap as soon as it is closed
 * (libsoup closes its stream), not when a sweep notices. */
static void
uncount (gpointer data)
{
  Conn *c = data;

  if (g_atomic_int_compare_and_exchange (&c->counted, 1, 0))
    g_atomic_int_add (c->open, -1);
}

static void
conn_free (Conn *c)
{
  uncount (c);
  yg_conn_stream_on_close (YG_CONN_STREAM (c->stream), NULL, NULL);
  g_object_unref (c->stream);
  g_object_unref (c->conn);
  g_object_unref (c->peer);
  g_free (c);
}

static Conn *
conn_for_message (YgListener *self, SoupServerMessage *msg)
{
  return g_hash_table_lookup (self->conns, soup_server_message_get_remote_address (msg));
}

/* Timers go to the context the server runs in, not the global one. */
static guint
add_timeout (GMainContext *context, guint ms, GSourceFunc func, gpointer data)
{
  GSource *source = g_timeout_source_new (ms);
  guint id;

  g_source_set_callback (source, func, data, NULL);
  id = g_source_attach (source, context);
  g_source_unref (source);
  return id;
}

static void
remove_timeout (GMainContext *context, guint id)
{
  GSource *source = g_main_context_find_source_by_id (context, id);

  if (source != NULL)
    g_source_destroy (source);
}

/* --- lingering close ------------------------------------------------------ */

typedef struct
{
  GIOStream *stream;
  GSocket *socket;
  GMainContext *context;
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
    remove_timeout (l->context, l->timer);
  g_main_context_unref (l->context);
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
  l->context = g_main_context_ref_thread_default ();
  l->timer = add_timeout (l->context, LINGER_MS, linger_timeout, l);
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

  COUNT (self, refused_requests);
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
      /* a taken connection is closed by its taker; only its deadlines count here */
      if (!c->taken && (g_socket_is_closed (c->socket) || (ask_peers && conn_gone (c))))
        g_hash_table_iter_remove (&iter);
      else if (c->write_deadline != 0 && now >= c->write_deadline)
        {
          g_debug ("closing a connection whose client stopped reading");
          c->write_deadline = 0;
          g_socket_shutdown (c->socket, TRUE, TRUE, NULL); /* the taker sees it and closes */
        }
      else if (c->head_deadline != 0 && now >= c->head_deadline)
        {
          /* libsoup sees EOF and drops the connection; we forget it then. */
          g_debug ("closing a connection that sent no complete request head in %us",
                   self->limits.header_timeout);
          COUNT (self, header_timeouts);
          c->head_deadline = 0;
          g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
        }
      else if (c->body_deadline != 0 && now >= c->body_deadline)
        {
          g_debug ("closing a connection whose request body is too slow");
          COUNT (self, body_timeouts);
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
    if (!c->taken && conn_gone (c))
      g_hash_table_iter_remove (&iter);
}

/* --- accepting ---------------------------------------------------------------- */

/* Gives @c, already in self->conns, to the server. */
static void
give_to_soup (YgListener *self, Conn *c)
{
  g_autoptr (GSocketAddress) local = g_socket_connection_get_local_address (c->conn, NULL);
  g_autoptr (GError) error = NULL;

  if (local == NULL
      || !soup_server_accept_iostream (self->server, c->stream, local, c->peer, &error))
    {
      if (error != NULL)
        g_warning ("could not hand a connection to the HTTP server: %s", error->message);
      g_io_stream_close (G_IO_STREAM (c->conn), NULL, NULL);
      g_hash_table_remove (self->conns, c->peer);
    }
}

/* Takes @c on; on @self's thread. */
static void
adopt (YgListener *self, Conn *c)
{
  g_hash_table_replace (self->conns, c->peer, c);
  if (self->taker != NULL)
    {
      c->taken = TRUE;
      self->taker (self->taker_data, c);
    }
  else
    give_to_soup (self, c);
}

typedef struct
{
  YgListener *to;
  Conn *conn; /* NULL once adopted */
} Handover;

static gboolean
handover_run (gpointer data)
{
  Handover *h = data;

  adopt (h->to, g_steal_pointer (&h->conn));
  return G_SOURCE_REMOVE;
}

/* Also when the target context went away before adopting it: closed. */
static void
handover_free (gpointer data)
{
  Handover *h = data;

  if (h->conn != NULL)
    {
      g_io_stream_close (G_IO_STREAM (h->conn->conn), NULL, NULL);
      conn_free (h->conn);
    }
  g_object_unref (h->to);
  g_free (h);
}

/* Moves @c to @to, whose thread adopts it. */
static void
hand_over (YgListener *to, Conn *c)
{
  Handover *h = g_new0 (Handover, 1);

  h->to = g_object_ref (to);
  h->conn = c;
  g_main_context_invoke_full (to->context, G_PRIORITY_DEFAULT, handover_run, h, handover_free);
}

static void
on_incoming (YgListener *self, GSocketConnection *connection)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  g_autoptr (GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  Conn *c;

  if ((guint) g_atomic_int_get (self->open) >= self->limits.max_connections)
    purge_closed (self);
  if ((guint) g_atomic_int_get (self->open) >= self->limits.max_connections)
    {
      COUNT (self, rejected_over_cap);
      linger_close (g_object_ref (G_IO_STREAM (connection)), socket,
                    raw_response (503, "Retry-After: 1\r\n",
                                  "{\"error\":{\"code\":\"too_many_connections\",\"message\":"
                                  "\"The server is at its connection limit; retry shortly\"}}"));
      return;
    }
  if (!G_IS_INET_SOCKET_ADDRESS (remote))
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
  c->stream = yg_conn_stream_new (connection);
  c->open = self->open;
  c->counted = 1;
  g_atomic_int_inc (c->open);
  yg_conn_stream_on_close (YG_CONN_STREAM (c->stream), uncount, c);
  COUNT (self, accepted);

  if (self->delegates->len == 0)
    adopt (self, c);
  else
    hand_over (self->delegates->pdata[self->next_delegate++ % self->delegates->len], c);
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

/* --- handing back ----------------------------------------------------------------- */

/* The request head of @msg as it came (request line and header lines). */
static GString *
request_head (SoupServerMessage *msg)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (uri);
  GString *head = g_string_sized_new (1024);
  SoupMessageHeadersIter iter;
  const char *name, *value;

  g_string_append_printf (head, "%s %s%s%s HTTP/1.%d\r\n", soup_server_message_get_method (msg),
                          g_uri_get_path (uri), query != NULL ? "?" : "", query != NULL ? query : "",
                          soup_server_message_get_http_version (msg) == SOUP_HTTP_1_0 ? 0 : 1);
  soup_message_headers_iter_init (&iter, soup_server_message_get_request_headers (msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    g_string_append_printf (head, "%s: %s\r\n", name, value);
  g_string_append (head, "\r\n");
  return head;
}

/* Appends what libsoup had read past the head (and what the socket has at
 * once), so that nothing the client sent is lost. */
static void
drain_read_ahead (GIOStream *stolen, GString *out)
{
  GPollableInputStream *in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stolen));
  g_autofree char *buf = g_malloc (65536);

  while (out->len < HAND_OFF_MAX_BYTES)
    {
      gssize n = g_pollable_input_stream_read_nonblocking (in, buf, 65536, NULL, NULL);
      if (n <= 0)
        break;
      g_string_append_len (out, buf, n);
      if (n < 65536)
        break;
    }
}

/**
 * yg_listener_hand_off:
 *
 * Called by a delegate's early handler for a request its server must not
 * serve: @msg's connection goes home with the request, which the home
 * server reads again from the start. @msg must not be used afterwards.
 *
 * Returns: FALSE when @self has no home or does not know the connection
 *   (@msg is then untouched)
 */
gboolean
yg_listener_hand_off (YgListener *self, SoupServerMessage *msg)
{
  Conn *c = conn_for_message (self, msg);
  g_autoptr (GIOStream) stolen = NULL;
  g_autoptr (GBytes) replay = NULL;
  GString *head;

  if (self->home == NULL || c == NULL)
    return FALSE;
  head = request_head (msg);
  stolen = soup_server_message_steal_connection (msg);
  if (stolen == NULL)
    {
      g_string_free (head, TRUE);
      return FALSE;
    }
  drain_read_ahead (stolen, head);
  replay = g_string_free_to_bytes (head);
  yg_conn_stream_unread (YG_CONN_STREAM (c->stream), replay);
  g_hash_table_steal (self->conns, c->peer);
  c->head_deadline = c->body_deadline = 0;
  COUNT (self, handed_off);
  hand_over (self->home, c);
  return TRUE;
}

/**
 * yg_listener_delegate:
 * @delegate: a listener of another thread, not listening itself
 *
 * From now on @self hands new connections to its delegates in turn, and
 * @delegate hands requests it must not serve back to @self. Both share the
 * cap, the count and the counters. On @self's thread, before serving.
 */
void
yg_listener_delegate (YgListener *self, YgListener *delegate)
{
  g_return_if_fail (delegate->home == NULL && delegate->listen_socket == NULL);
  delegate->home = self;
  delegate->open = self->open;
  delegate->stats = self->stats;
  delegate->limits.max_connections = self->limits.max_connections;
  delegate->sweep_id = add_timeout (delegate->context, SWEEP_INTERVAL_MS, sweep, delegate);
  g_ptr_array_add (self->delegates, g_object_ref (delegate));
}

/**
 * yg_listener_set_taker:
 *
 * New connections of this delegate go to @taker instead of libsoup. The
 * taker serves them itself, ends them with yg_listener_conn_close, or gives
 * them to libsoup with yg_listener_conn_to_soup. On @self's thread.
 */
void
yg_listener_set_taker (YgListener *self, YgListenerTaker taker, gpointer data)
{
  self->taker = taker;
  self->taker_data = data;
}

int
yg_listener_conn_get_fd (YgListenerConn *c)
{
  return g_socket_get_fd (c->socket);
}

/* The peer's address object (also the key libsoup gets). */
GSocketAddress *
yg_listener_conn_get_peer (YgListenerConn *c)
{
  return c->peer;
}

/**
 * yg_listener_conn_wait:
 *
 * Sets what a taken connection waits for: a request head (the head
 * deadline, which is also the keep-alive idle time), the client to read
 * (the idle timeout, from now), or nothing. Past the deadline the sweep
 * shuts the socket down, and the taker sees the connection end.
 */
void
yg_listener_conn_wait (YgListener *self, YgListenerConn *c, YgListenerWait wait)
{
  gint64 now = g_get_monotonic_time ();

  c->head_deadline = wait == YG_LISTENER_WAIT_HEAD
                       ? now + (gint64) self->limits.header_timeout * G_USEC_PER_SEC
                       : 0;
  c->write_deadline = wait == YG_LISTENER_WAIT_WRITE
                        ? now + (gint64) self->limits.idle_timeout * G_USEC_PER_SEC
                        : 0;
}

/**
 * yg_listener_conn_to_soup:
 * @unread: what the taker read and did not answer: libsoup reads it first
 *
 * Gives a taken connection to libsoup for good.
 */
void
yg_listener_conn_to_soup (YgListener *self, YgListenerConn *c, GBytes *unread)
{
  c->taken = FALSE;
  c->head_deadline = c->write_deadline = 0;
  yg_conn_stream_unread (YG_CONN_STREAM (c->stream), unread);
  give_to_soup (self, c);
}

/* Closes a taken connection and forgets it (@c is freed). */
void
yg_listener_conn_close (YgListener *self, YgListenerConn *c)
{
  g_io_stream_close (G_IO_STREAM (c->conn), NULL, NULL);
  g_hash_table_remove (self->conns, c->peer);
}

/**
 * yg_listener_undelegate:
 *
 * Stops handing new connections to delegates (before they stop).
 */
void
yg_listener_undelegate (YgListener *self)
{
  g_ptr_array_set_size (self->delegates, 0);
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
  g_ptr_array_unref (self->delegates);
  g_main_context_unref (self->context);
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
  self->delegates = g_ptr_array_new_with_free_func (g_object_unref);
  self->context = g_main_context_ref_thread_default ();
  self->open = &self->own_open;
  self->stats = &self->own_stats;
  self->anchor_peer = -1;
}

/**
 * yg_listener_new:
 *
 * Creates the listener for the thread-default context, where @server runs.
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
  g_source_attach (self->accept_source, self->context);
  self->sweep_id = add_timeout (self->context, SWEEP_INTERVAL_MS, sweep, self);
  return TRUE;
}

guint16
yg_listener_get_port (YgListener *self)
{
  return self->port;
}

/* Open connections of @self and its delegates (the delegates' closed ones
 * may still count for up to a sweep). */
guint
yg_listener_get_active (YgListener *self)
{
  purge_closed (self);
  return g_atomic_int_get (self->open);
}

void
yg_listener_get_stats (YgListener *self, YgListenerStats *stats)
{
  stats->accepted = __atomic_load_n (&self->stats->accepted, __ATOMIC_RELAXED);
  stats->rejected_over_cap = __atomic_load_n (&self->stats->rejected_over_cap, __ATOMIC_RELAXED);
  stats->header_timeouts = __atomic_load_n (&self->stats->header_timeouts, __ATOMIC_RELAXED);
  stats->body_timeouts = __atomic_load_n (&self->stats->body_timeouts, __ATOMIC_RELAXED);
  stats->refused_requests = __atomic_load_n (&self->stats->refused_requests, __ATOMIC_RELAXED);
  stats->handed_off = __atomic_load_n (&self->stats->handed_off, __ATOMIC_RELAXED);
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
    remove_timeout (self->context, self->sweep_id);
  self->sweep_id = 0;
  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
}

/* yg-conn-stream.c: YgConnStream, an accepted connection as libsoup sees it:
 * the socket connection, with an output stream that sends file bodies with
 * sendfile(2), and an input stream that can give back bytes already read.
 *
 * The input side reads the socket, after any bytes put back with
 * yg_conn_stream_unread: a connection handed from one server thread to
 * another (yg-listener.c) carries the request head the first one read, and
 * the second reads it again as if from the socket. Writes go to the socket as
 * they are, except a buffer that lies inside a file body registered by
 * yg-file-body.c (how yg-http-file.c serves files): that range of the file
 * is passed to sendfile(2), so segment bytes go from the page cache to the
 * socket without a copy through user space. libsoup writes bodies with
 * non-blocking pollable writes; a full socket answers WOULD_BLOCK and
 * libsoup waits on this stream's source (the socket's, wrapped), exactly as
 * with the plain socket stream. Blocking writes (libsoup does not make any
 * on server connections) copy as before. Closing this closes the socket
 * connection. sendfile(2) raises SIGPIPE on a connection the peer has
 * reset, so the server process ignores that signal (yg-listener.c).
 * Thread: the thread that runs the connection's server; one at a time.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-conn-stream.h"

#include <errno.h>
#include <string.h>
#include <sys/sendfile.h>

#include "yg-file-body.h"

/* --- the output stream ------------------------------------------------------ */

#define YG_TYPE_CONN_OUTPUT (yg_conn_output_get_type ())
G_DECLARE_FINAL_TYPE (YgConnOutput, yg_conn_output, YG, CONN_OUTPUT, GOutputStream)

struct _YgConnOutput
{
  GOutputStream parent_instance;
  GOutputStream *base; /* the socket's stream, pollable */
  int fd;
};

static guint64 sent_without_copy; /* bytes, for /metrics; atomic (servers of tests share it) */

static void yg_conn_output_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (YgConnOutput, yg_conn_output, G_TYPE_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                      yg_conn_output_pollable_init))

static gssize
output_write (GOutputStream *stream, const void *buffer, gsize count, GCancellable *cancellable,
              GError **error)
{
  return g_output_stream_write (YG_CONN_OUTPUT (stream)->base, buffer, count, cancellable, error);
}

static gboolean
output_flush (GOutputStream *stream, GCancellable *cancellable, GError **error)
{
  return g_output_stream_flush (YG_CONN_OUTPUT (stream)->base, cancellable, error);
}

static gboolean
output_close (GOutputStream *stream, GCancellable *cancellable, GError **error)
{
  return TRUE; /* the connection closes the socket */
}

static gboolean
output_can_poll (GPollableOutputStream *stream)
{
  return TRUE;
}

static gboolean
output_is_writable (GPollableOutputStream *stream)
{
  return g_pollable_output_stream_is_writable (
    G_POLLABLE_OUTPUT_STREAM (YG_CONN_OUTPUT (stream)->base));
}

/* A pollable source for @stream that fires when @child (taken) or
 * @cancellable does. */
static GSource *
pollable_source (gpointer stream, GSource *child, GCancellable *cancellable)
{
  GSource *source = g_pollable_source_new (G_OBJECT (stream));

  g_source_set_dummy_callback (child);
  g_source_add_child_source (source, child);
  g_source_unref (child);
  if (cancellable != NULL)
    {
      GSource *cancel = g_cancellable_source_new (cancellable);
      g_source_set_dummy_callback (cancel);
      g_source_add_child_source (source, cancel);
      g_source_unref (cancel);
    }
  return source;
}

static GSource *
output_create_source (GPollableOutputStream *stream, GCancellable *cancellable)
{
  YgConnOutput *self = YG_CONN_OUTPUT (stream);

  return pollable_source (
    stream, g_pollable_output_stream_create_source (G_POLLABLE_OUTPUT_STREAM (self->base), NULL),
    cancellable);
}

static gssize
output_write_nonblocking (GPollableOutputStream *stream, const void *buffer, gsize count,
                          GError **error)
{
  YgConnOutput *self = YG_CONN_OUTPUT (stream);
  int file;
  goffset at;
  off_t offset;
  ssize_t n;

  if (count == 0 || !yg_file_body_lookup (buffer, count, &file, &at))
    return g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (self->base),
                                                       buffer, count, NULL, error);
  offset = at;
  do
    n = sendfile (self->fd, file, &offset, count);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      int saved = errno;
      if (saved == EAGAIN || saved == EWOULDBLOCK)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "The socket is full");
      else
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Error sending data: %s",
                     g_strerror (saved));
      return -1;
    }
  if (n == 0) /* the file is shorter than its mapping: it was cut in place */
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "The file being sent became shorter while it was sent");
      return -1;
    }
  __atomic_add_fetch (&sent_without_copy, (guint64) n, __ATOMIC_RELAXED);
  return n;
}

static void
yg_conn_output_finalize (GObject *object)
{
  g_object_unref (YG_CONN_OUTPUT (object)->base);
  G_OBJECT_CLASS (yg_conn_output_parent_class)->finalize (object);
}

static void
yg_conn_output_class_init (YgConnOutputClass *klass)
{
  GOutputStreamClass *stream_class = G_OUTPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = yg_conn_output_finalize;
  stream_class->write_fn = output_write;
  stream_class->flush = output_flush;
  stream_class->close_fn = output_close;
}

static void
yg_conn_output_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->can_poll = output_can_poll;
  iface->is_writable = output_is_writable;
  iface->create_source = output_create_source;
  iface->write_nonblocking = output_write_nonblocking;
}

static void
yg_conn_output_init (YgConnOutput *self)
{
}

/* --- the input stream --------------------------------------------------------- */

#define YG_TYPE_CONN_INPUT (yg_conn_input_get_type ())
G_DECLARE_FINAL_TYPE (YgConnInput, yg_conn_input, YG, CONN_INPUT, GInputStream)

struct _YgConnInput
{
  GInputStream parent_instance;
  GInputStream *base; /* the socket's stream, pollable */
  GBytes *unread;     /* read again before the socket; NULL when none */
  gsize unread_at;
};

static void yg_conn_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (YgConnInput, yg_conn_input, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      yg_conn_input_pollable_init))

/* Copies up to @count put-back bytes; 0 when there are none. */
static gsize
take_unread (YgConnInput *self, void *buffer, gsize count)
{
  gsize len, n;
  const guint8 *data;

  if (self->unread == NULL)
    return 0;
  data = g_bytes_get_data (self->unread, &len);
  n = MIN (count, len - self->unread_at);
  memcpy (buffer, data + self->unread_at, n);
  self->unread_at += n;
  if (self->unread_at == len)
    g_clear_pointer (&self->unread, g_bytes_unref);
  return n;
}

static gssize
input_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
            GError **error)
{
  YgConnInput *self = YG_CONN_INPUT (stream);
  gsize n = take_unread (self, buffer, count);

  if (n > 0 || count == 0)
    return n;
  return g_input_stream_read (self->base, buffer, count, cancellable, error);
}

static gboolean
input_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  return TRUE; /* the connection closes the socket */
}

static gboolean
input_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
input_is_readable (GPollableInputStream *stream)
{
  YgConnInput *self = YG_CONN_INPUT (stream);

  return self->unread != NULL
         || g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (self->base));
}

/* Ready at once while put-back bytes wait, else when the socket is. */
static GSource *
input_create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  YgConnInput *self = YG_CONN_INPUT (stream);

  if (self->unread != NULL)
    return pollable_source (stream, g_timeout_source_new (0), cancellable);
  return pollable_source (
    stream, g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (self->base), NULL),
    cancellable);
}

static gssize
input_read_nonblocking (GPollableInputStream *stream, void *buffer, gsize count, GError **error)
{
  YgConnInput *self = YG_CONN_INPUT (stream);
  gsize n = take_unread (self, buffer, count);

  if (n > 0 || count == 0)
    return n;
  return g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->base), buffer,
                                                   count, NULL, error);
}

static void
yg_conn_input_finalize (GObject *object)
{
  YgConnInput *self = YG_CONN_INPUT (object);

  g_clear_pointer (&self->unread, g_bytes_unref);
  g_object_unref (self->base);
  G_OBJECT_CLASS (yg_conn_input_parent_class)->finalize (object);
}

static void
yg_conn_input_class_init (YgConnInputClass *klass)
{
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = yg_conn_input_finalize;
  stream_class->read_fn = input_read;
  stream_class->close_fn = input_close;
}

static void
yg_conn_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = input_can_poll;
  iface->is_readable = input_is_readable;
  iface->create_source = input_create_source;
  iface->read_nonblocking = input_read_nonblocking;
}

static void
yg_conn_input_init (YgConnInput *self)
{
}

/* --- the connection ----------------------------------------------------------- */

struct _YgConnStream
{
  GIOStream parent_instance;
  GSocketConnection *conn;
  YgConnInput *input;
  GOutputStream *output;
  GDestroyNotify on_close; /* called once, when closed */
  gpointer on_close_data;
};

G_DEFINE_FINAL_TYPE (YgConnStream, yg_conn_stream, G_TYPE_IO_STREAM)

static GInputStream *
get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (YG_CONN_STREAM (stream)->input);
}

static GOutputStream *
get_output_stream (GIOStream *stream)
{
  return YG_CONN_STREAM (stream)->output;
}

static gboolean
close_fn (GIOStream *stream, GCancellable *cancellable, GError **error)
{
  YgConnStream *self = YG_CONN_STREAM (stream);
  GDestroyNotify notify = g_steal_pointer (&self->on_close);

  if (notify != NULL)
    notify (self->on_close_data);
  return g_io_stream_close (G_IO_STREAM (self->conn), cancellable, error);
}

/* Closing a socket does not block: do it here rather than on a thread. */
static void
close_async (GIOStream *stream, int priority, GCancellable *cancellable,
             GAsyncReadyCallback callback, gpointer data)
{
  g_autoptr (GTask) task = g_task_new (stream, cancellable, callback, data);
  GError *error = NULL;

  if (close_fn (stream, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
close_finish (GIOStream *stream, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* GIOStream's dispose closes the stream, so the parts go in finalize. */
static void
yg_conn_stream_finalize (GObject *object)
{
  YgConnStream *self = YG_CONN_STREAM (object);

  g_clear_object (&self->output);
  g_clear_object (&self->input);
  g_clear_object (&self->conn);
  G_OBJECT_CLASS (yg_conn_stream_parent_class)->finalize (object);
}

static void
yg_conn_stream_class_init (YgConnStreamClass *klass)
{
  GIOStreamClass *io_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = yg_conn_stream_finalize;
  io_class->get_input_stream = get_input_stream;
  io_class->get_output_stream = get_output_stream;
  io_class->close_fn = close_fn;
  io_class->close_async = close_async;
  io_class->close_finish = close_finish;
}

static void
yg_conn_stream_init (YgConnStream *self)
{
}

/**
 * yg_conn_stream_new:
 * @conn: an accepted TCP connection
 *
 * Returns: (transfer full): @conn as a stream for soup_server_accept_iostream()
 */
GIOStream *
yg_conn_stream_new (GSocketConnection *conn)
{
  YgConnStream *self = g_object_new (YG_TYPE_CONN_STREAM, NULL);
  YgConnOutput *out = g_object_new (YG_TYPE_CONN_OUTPUT, NULL);

  self->conn = g_object_ref (conn);
  self->input = g_object_new (YG_TYPE_CONN_INPUT, NULL);
  self->input->base = g_object_ref (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
  out->base = g_object_ref (g_io_stream_get_output_stream (G_IO_STREAM (conn)));
  out->fd = g_socket_get_fd (g_socket_connection_get_socket (conn));
  self->output = G_OUTPUT_STREAM (out);
  return G_IO_STREAM (self);
}

/**
 * yg_conn_stream_unread:
 * @bytes: what the connection's reader reads next, before the socket
 *
 * Puts bytes back in front of the input (in front of any put back earlier
 * and not yet read).
 */
void
yg_conn_stream_unread (YgConnStream *self, GBytes *bytes)
{
  YgConnInput *in = self->input;

  if (g_bytes_get_size (bytes) == 0)
    return;
  if (in->unread != NULL)
    {
      gsize len;
      const guint8 *rest = g_bytes_get_data (in->unread, &len);
      GByteArray *joined = g_byte_array_sized_new (g_bytes_get_size (bytes) + len - in->unread_at);

      g_byte_array_append (joined, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_byte_array_append (joined, rest + in->unread_at, len - in->unread_at);
      g_bytes_unref (in->unread);
      in->unread = g_byte_array_free_to_bytes (joined);
    }
  else
    in->unread = g_bytes_ref (bytes);
  in->unread_at = 0;
}

/**
 * yg_conn_stream_on_close:
 * @func: (nullable): called once when the stream is closed; NULL: nothing
 *
 * Sets what happens when the stream is closed (replacing what was set).
 */
void
yg_conn_stream_on_close (YgConnStream *self, GDestroyNotify func, gpointer data)
{
  self->on_close = func;
  self->on_close_data = data;
}

/* Counts bytes another path sent with sendfile(2) (yg-fast-path.c). */
void
yg_conn_stream_count_sent_without_copy (guint64 bytes)
{
  __atomic_add_fetch (&sent_without_copy, bytes, __ATOMIC_RELAXED);
}

/**
 * yg_conn_stream_sent_without_copy:
 *
 * Returns: bytes sent with sendfile(2) since start
 */
guint64
yg_conn_stream_sent_without_copy (void)
{
  return __atomic_load_n (&sent_without_copy, __ATOMIC_RELAXED);
}

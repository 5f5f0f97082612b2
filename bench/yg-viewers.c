/* yg-viewers.c: simulated HLS viewers, a load generator for delivery-bench.sh.
 *
 * Each viewer keeps one HTTP/1.1 keep-alive connection and behaves like a
 * player on a VOD stream: it fetches the master playlist, a media playlist,
 * then one segment every --interval ms (the segment's duration), in order,
 * wrapping around the list. Viewers start spread evenly over the first
 * interval, as a crowd arriving does, not all in the same millisecond.
 * A request counts as an error when the connection fails or closes early,
 * the status is not 200, or it takes longer than --timeout ms. The latency of
 * a segment is from writing its request to reading its last byte.
 * One thread, epoll, level-triggered; bounded by --seconds; prints one
 * summary line of key=value pairs that delivery-bench.sh parses.
 * Thread: one.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum
{
  IDLE,       /* waiting for its next request time */
  CONNECTING, /* non-blocking connect under way, request not written */
  WAITING,    /* request written, response not complete */
};

typedef struct
{
  int fd;
  int state;
  guint step;      /* 0 master, 1 media, then segments */
  gint64 due_us;   /* IDLE: when to send the next request */
  gint64 sent_us;  /* WAITING: when the request went out */
  gint64 seg_base; /* when the current segment's period began */
  char head[4096];
  gsize head_len;
  gboolean in_body;
  gint64 body_left;
  int status;
} Viewer;

static char *host = "127.0.0.1", *master, *media, *segments_file;
static int port, viewers = 100, seconds = 20, interval_ms = 4000, timeout_ms = 10000;
static char **segments;
static guint n_segments;
static struct sockaddr_in addr;
static int ep;
static GArray *seg_latencies; /* gint64 µs */
static guint64 requests, errors, bytes;
/* Why requests failed: connect, write, status (not 200), closed (EOF or reset
 * before the answer was complete), garbled (unparsable head), timeout. */
enum { E_CONNECT, E_WRITE, E_STATUS, E_CLOSED, E_GARBLED, E_TIMEOUT, N_E };
static guint64 error_kinds[N_E];
static const char *const error_names[N_E] = { "connect", "write", "status", "closed", "garbled",
                                              "timeout" };

static void
watch (Viewer *v, int op, guint32 events)
{
  struct epoll_event ev = { .events = events, .data.ptr = v };

  epoll_ctl (ep, op, v->fd, &ev);
}

/* Starts a non-blocking connect; the request goes out when it completes. */
static int
connect_viewer (Viewer *v)
{
  int one = 1;

  v->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (v->fd < 0)
    return -1;
  setsockopt (v->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect (v->fd, (struct sockaddr *) &addr, sizeof addr) != 0 && errno != EINPROGRESS)
    {
      close (v->fd);
      v->fd = -1;
      return -1;
    }
  watch (v, EPOLL_CTL_ADD, EPOLLOUT);
  return 0;
}

static void
drop (Viewer *v)
{
  if (v->fd >= 0)
    {
      epoll_ctl (ep, EPOLL_CTL_DEL, v->fd, NULL);
      close (v->fd);
    }
  v->fd = -1;
}

static void
fail (Viewer *v, gint64 now, int kind)
{
  errors++;
  error_kinds[kind]++;
  drop (v);
  v->state = IDLE;
  v->due_us = now + 100 * 1000; /* a player retries soon */
}

/* Writes the request of the current step on a connected socket. */
static void
write_request (Viewer *v, gint64 now)
{
  const char *path = v->step == 0 ? master : v->step == 1 ? media
                                                          : segments[(v->step - 2) % n_segments];
  char req[1024];
  int n = snprintf (req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: yg-viewers\r\n\r\n",
                    path, host, port);

  if (write (v->fd, req, n) != n) /* a request on an idle connection always fits */
    {
      fail (v, now, E_WRITE);
      return;
    }
  v->state = WAITING;
}

static void
send_next (Viewer *v, gint64 now)
{
  requests++;
  v->sent_us = now; /* a connect, when needed, counts in the latency */
  v->head_len = 0;
  v->in_body = FALSE;
  v->status = 0;
  if (v->fd >= 0)
    {
      write_request (v, now);
      return;
    }
  if (connect_viewer (v) != 0)
    fail (v, now, E_CONNECT);
  else
    v->state = CONNECTING;
}

static void
connected (Viewer *v, gint64 now)
{
  int err = 0;
  socklen_t len = sizeof err;

  if (getsockopt (v->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
    {
      fail (v, now, E_CONNECT);
      return;
    }
  watch (v, EPOLL_CTL_MOD, EPOLLIN);
  write_request (v, now);
}

static void
finished (Viewer *v, gint64 now)
{
  if (v->status != 200)
    {
      fail (v, now, E_STATUS);
      return;
    }
  if (v->step >= 2)
    {
      gint64 us = now - v->sent_us;
      g_array_append_val (seg_latencies, us);
      v->seg_base += (gint64) interval_ms * 1000;
      v->due_us = MAX (v->seg_base, now);
    }
  else
    v->due_us = now;
  if (v->step == 1)
    v->seg_base = now;
  v->step++;
  v->state = IDLE;
}

/* Parses the head once "\r\n\r\n" is in it; returns bytes of body already read, or -1. */
static gssize
parse_head (Viewer *v)
{
  char *end = g_strstr_len (v->head, v->head_len, "\r\n\r\n");
  char *cl;

  if (end == NULL)
    return v->head_len == sizeof v->head ? -2 : -1;
  *end = '\0';
  if (sscanf (v->head, "HTTP/1.%*d %d", &v->status) != 1)
    return -2;
  cl = strcasestr (v->head, "\r\ncontent-length:");
  v->body_left = cl != NULL ? g_ascii_strtoll (cl + 17, NULL, 10) : 0;
  v->in_body = TRUE;
  return v->head_len - (end + 4 - v->head);
}

static void
readable (Viewer *v, gint64 now)
{
  static char buf[256 * 1024];

  for (;;)
    {
      ssize_t n;
      if (v->in_body)
        n = read (v->fd, buf, MIN ((gint64) sizeof buf, MAX (v->body_left, 1)));
      else
        n = read (v->fd, v->head + v->head_len, sizeof v->head - v->head_len);
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      if (n == 0 && v->state == IDLE)
        {
          drop (v); /* the server ended an idle keep-alive connection: reconnect later */
          return;
        }
      if (n <= 0 || v->state != WAITING)
        {
          fail (v, now, E_CLOSED); /* closed, reset, or bytes nobody asked for */
          return;
        }
      bytes += n;
      if (!v->in_body)
        {
          gssize extra;
          v->head_len += n;
          extra = parse_head (v);
          if (extra == -1)
            continue;
          if (extra < 0)
            {
              fail (v, now, E_GARBLED);
              return;
            }
          v->body_left -= extra;
        }
      else
        v->body_left -= n;
      if (v->in_body && v->body_left <= 0)
        {
          finished (v, now);
          return;
        }
    }
}

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile_ms (double p)
{
  guint i;

  if (seg_latencies->len == 0)
    return 0;
  i = MIN (seg_latencies->len - 1, (guint) (p * seg_latencies->len));
  return g_array_index (seg_latencies, gint64, i) / 1000.0;
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "Server address (IPv4)", "IP" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Server port", "PORT" },
    { "master", 0, 0, G_OPTION_ARG_STRING, &master, "Path of the master playlist", "PATH" },
    { "media", 0, 0, G_OPTION_ARG_STRING, &media, "Path of a media playlist", "PATH" },
    { "segments", 0, 0, G_OPTION_ARG_FILENAME, &segments_file, "File listing segment paths", "FILE" },
    { "viewers", 0, 0, G_OPTION_ARG_INT, &viewers, "Simulated viewers (default 100)", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "Length of the run (default 20)", "S" },
    { "interval", 0, 0, G_OPTION_ARG_INT, &interval_ms, "Segment duration (default 4000)", "MS" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_ms, "A request slower than this is an error (default 10000)", "MS" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- simulated HLS viewers");
  g_autoptr (GError) error = NULL;
  g_autofree char *list = NULL;
  g_autofree Viewer *v = NULL;
  gint64 start, end, now;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx, "Prints one line: viewers= requests= errors= seg_p50_ms= "
                                          "seg_p99_ms= seg_max_ms= mbytes_per_s=");
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || port <= 0 || master == NULL
      || media == NULL || segments_file == NULL || viewers <= 0
      || !g_file_get_contents (segments_file, &list, NULL, &error))
    {
      g_printerr ("yg-viewers: %s\n", error ? error->message
                                            : "--port, --master, --media and --segments are required");
      return 2;
    }
  segments = g_strsplit (g_strstrip (list), "\n", -1);
  n_segments = g_strv_length (segments);
  if (n_segments == 0)
    {
      g_printerr ("yg-viewers: no segments in %s\n", segments_file);
      return 2;
    }
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  if (inet_pton (AF_INET, host, &addr.sin_addr) != 1)
    {
      g_printerr ("yg-viewers: --host must be an IPv4 address\n");
      return 2;
    }
  ep = epoll_create1 (EPOLL_CLOEXEC);
  seg_latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  v = g_new0 (Viewer, viewers);
  start = g_get_monotonic_time ();
  end = start + (gint64) seconds * G_USEC_PER_SEC;
  for (int i = 0; i < viewers; i++)
    {
      v[i].fd = -1;
      v[i].due_us = start + (gint64) interval_ms * 1000 * i / viewers;
    }

  while ((now = g_get_monotonic_time ()) < end)
    {
      struct epoll_event evs[256];
      int n = epoll_wait (ep, evs, G_N_ELEMENTS (evs), 2);

      now = g_get_monotonic_time ();
      for (int i = 0; i < n; i++)
        {
          Viewer *x = evs[i].data.ptr;
          if (x->state == CONNECTING)
            connected (x, now);
          else if (x->fd >= 0)
            readable (x, now);
        }
      for (int i = 0; i < viewers; i++)
        {
          if (v[i].state == IDLE && v[i].due_us <= now)
            send_next (&v[i], now);
          else if (v[i].state != IDLE && now - v[i].sent_us > (gint64) timeout_ms * 1000)
            fail (&v[i], now, E_TIMEOUT);
        }
    }
  g_array_sort (seg_latencies, compare_gint64);
  printf ("viewers=%d requests=%" G_GUINT64_FORMAT " errors=%" G_GUINT64_FORMAT
          " segments=%u seg_p50_ms=%.1f seg_p99_ms=%.1f seg_max_ms=%.1f mbytes_per_s=%.1f\n",
          viewers, requests, errors, seg_latencies->len, percentile_ms (0.50), percentile_ms (0.99),
          percentile_ms (1.0), bytes / 1e6 / seconds);
  for (int k = 0; k < N_E; k++)
    if (error_kinds[k] > 0)
      fprintf (stderr, "yg-viewers: %" G_GUINT64_FORMAT " errors of kind %s\n", error_kinds[k],
               error_names[k]);
  for (int i = 0; i < viewers; i++)
    drop (&v[i]);
  g_strfreev (segments);
  return 0;
}

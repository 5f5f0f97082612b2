/* abuse-test.c: slow and abusive clients while a normal viewer watches.
 *
 * The real `yunguan serve` runs with a connection cap of 64, a 4 s request
 * head deadline and a 4 s socket idle timeout. While abusers run on loopback
 * (slow-header clients sending one byte a second, slow-body clients doing
 * the same with a declared body, slow readers that request a 1.5 MB segment
 * with a tiny receive buffer and never read, idle connections, and
 * kept-alive connections left silent after one request, in all just below
 * the cap; each reconnects when the server cuts it off), a
 * normal client fetches a playlist and the 1.5 MB segment again and again
 * for YG_ABUSE_SECONDS (default 6; the slow suite runs 60). Asserted: every
 * normal request succeeds with the full body; the server's RSS grows by
 * less than 64 MiB; its open file descriptors return to the baseline once
 * the abusers stop; the server itself ends slow heads, idle and kept-alive
 * idle connections (and, in the long run, trickled bodies). Printed, not asserted: the normal client's p50/p99
 * latency, peak RSS growth, peak fds (YG_ABUSE_TRACE=1 prints a timeline).
 * Suite: http (short), slow (long).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "yg-db.h"
#include "yg-item-store.h"
#include "yg-test-server.h"

#define CAP 64
#define N_SLOW_HEADER 8
#define N_SLOW_BODY 8
#define N_SLOW_READER 8
#define N_IDLE (CAP - N_SLOW_HEADER - N_SLOW_BODY - N_SLOW_READER - 8) /* 8 left for the viewer */
#define SEGMENT_LEN (1536u * 1024)
#define ITEM "abcdefghijklmnop"

typedef enum
{
  SLOW_HEADER,
  SLOW_BODY,
  SLOW_READER,
  IDLE,
  IDLE_KEPT_ALIVE, /* one request, response read, then silence */
} AbuseKind;

typedef struct
{
  char *dir;
  char *data;
  YgTestServe *serve;
  GPid pid;
  gint stop;        /* atomic */
  gint cut_offs[5]; /* atomic, by AbuseKind: connections the server ended */
} Fixture;

typedef struct
{
  Fixture *f;
  AbuseKind kind;
} Abuser;

static void
put_file (Fixture *f, const char *rel, const void *data, gsize len)
{
  g_autofree char *path = g_build_filename (f->data, "media", rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0750), ==, 0);
  g_assert_true (g_file_set_contents (path, data, len, NULL));
}

static gpointer
add_item (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_item_store_insert (conn, ITEM, "performance", "abuse", "", error);
}

/* The catalogue row that makes /hls/ITEM/… a public item's media. */
static void
catalogue_item (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->data, "catalog.db", NULL);
  g_autoptr (YgDb) db = NULL;
  g_autofree char *id = NULL;

  g_assert_cmpint (g_mkdir_with_parents (f->data, 0700), ==, 0);
  db = yg_db_open (path, &error);
  g_assert_no_error (error);
  id = yg_db_run_sync (db, add_item, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id, ==, ITEM);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *log = NULL;
  g_autofree guint8 *seg = g_malloc (SEGMENT_LEN);
  const char *extra[] = { "--max-connections", G_STRINGIFY (CAP), "--header-timeout", "4",
                          "--idle-timeout", "4", NULL };

  f->dir = yg_test_make_tmpdir ();
  f->data = g_build_filename (f->dir, "data", NULL);
  for (gsize i = 0; i < SEGMENT_LEN; i++)
    seg[i] = (guint8) (i * 7 + (i >> 9));
  seg[0] = 0x47;
  put_file (f, ITEM "/r360/index.m3u8",
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n"
            "#EXTINF:4.0,\nseg00000.ts\n#EXT-X-ENDLIST\n",
            -1);
  put_file (f, ITEM "/r360/seg00000.ts", seg, SEGMENT_LEN);
  catalogue_item (f);
  log = g_build_filename (f->dir, "server.log", NULL);
  f->serve = yg_test_serve_spawn (NULL, f->data, log, extra);
  f->pid = yg_test_serve_pid (f->serve);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  yg_test_serve_stop (f->serve);
  yg_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->data);
}

/* --- the server as a process ----------------------------------------------------------- */

static guint64
rss_bytes (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *text = NULL;
  const char *at;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  at = strstr (text, "VmRSS:");
  g_assert_nonnull (at);
  return g_ascii_strtoull (at + 6, NULL, 10) * 1024;
}

static guint
fd_count (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", pid);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* What the server's descriptors are, for a failure message. */
static char *
fd_list (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", pid);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  GString *out = g_string_new (NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link = g_build_filename (path, name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);
      g_string_append_printf (out, " %s→%s", name, target ? target : "?");
    }
  return g_string_free (out, FALSE);
}

/* --- raw sockets ------------------------------------------------------------------------- */

static int
connect_to (guint16 port, int rcvbuf)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (port) };
  struct timeval tv = { .tv_sec = 1 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  if (rcvbuf > 0) /* before connect, so the window stays small */
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* FALSE once the server has ended the connection (EOF or reset). Unread
 * response bytes (a slow reader's) count as open. */
static gboolean
still_open (int fd)
{
  char c;
  ssize_t n = recv (fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

  return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

static gboolean
stopping (Fixture *f)
{
  return g_atomic_int_get (&f->stop);
}

/* Sleeps up to @ms, waking early when asked to stop. */
static void
nap (Fixture *f, guint ms)
{
  for (guint t = 0; t < ms && !stopping (f); t += 50)
    g_usleep (50 * 1000);
}

static gpointer
abuse (gpointer data)
{
  Abuser *a = data;
  Fixture *f = a->f;
  guint16 port = f->serve->port;

  while (!stopping (f))
    {
      int fd = connect_to (port, a->kind == SLOW_READER ? 4096 : 0);
      const char *text = NULL;

      if (fd < 0)
        {
          nap (f, 200);
          continue;
        }
      switch (a->kind)
        {
        case SLOW_HEADER:
          text = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
          break;
        case SLOW_BODY:
          send (fd, "POST /api/v1/worker/lease HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
                strlen ("POST /api/v1/worker/lease HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"),
                MSG_NOSIGNAL);
          text = "{\"padding\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
          break;
        case SLOW_READER:
          {
            const char *req = "GET /hls/" ITEM "/r360/seg00000.ts HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
            send (fd, req, strlen (req), MSG_NOSIGNAL);
          }
          break;
        case IDLE_KEPT_ALIVE:
          {
            const char *req = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
            char buf[4096];
            send (fd, req, strlen (req), MSG_NOSIGNAL);
            /* Read the whole small answer (head and body may come apart). */
            nap (f, 200);
            while (recv (fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
              ;
          }
          break;
        case IDLE:
        default:
          break;
        }
      /* One byte a second (slow header/body), or just sit there (reader, idle),
       * until the server ends the connection. */
      for (guint i = 0; !stopping (f); i++)
        {
          /* A slow reader cannot see EOF behind the bytes it never reads:
           * it gives up after the server's idle timeout has surely passed. */
          if (a->kind == SLOW_READER && i >= 24)
            break;
          if (text != NULL && text[i % strlen (text)] != '\0'
              && send (fd, &text[i % strlen (text)], 1, MSG_NOSIGNAL) != 1)
            break;
          nap (f, text != NULL ? 1000 : 250);
          if (!still_open (fd))
            break;
        }
      if (!stopping (f))
        g_atomic_int_inc (&f->cut_offs[a->kind]);
      close (fd);
    }
  return NULL;
}

/* --- the normal viewer ---------------------------------------------------------------- */

static double
fetch_playlist (Fixture *f)
{
  const char *path = "/hls/" ITEM "/r360/index.m3u8";
  g_autofree char *req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                          "Connection: close\r\n\r\n", path);
  gint64 t0 = g_get_monotonic_time ();
  guint status = 0;
  g_autofree char *resp = yg_test_http (f->serve->port, req, &status);
  double ms = (g_get_monotonic_time () - t0) / 1000.0;
  const char *body = strstr (resp, "\r\n\r\n");

  if (status != 200)
    g_error ("normal client: GET %s answered %u: %.300s", path, status, resp);
  g_assert_nonnull (body);
  g_assert_true (g_str_has_prefix (body + 4, "#EXTM3U\n"));
  g_assert_nonnull (strstr (body, "#EXT-X-ENDLIST\n"));
  return ms;
}

static double
fetch_segment (Fixture *f)
{
  g_autoptr (GSocketConnection) conn = yg_test_connect (f->serve->port);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  const char *req = "GET /hls/" ITEM "/r360/seg00000.ts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Connection: close\r\n\r\n";
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (GByteArray) all = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  guint8 buf[65536];
  gssize n;
  const guint8 *end;

  g_output_stream_write_all (out, req, strlen (req), NULL, NULL, &error);
  g_assert_no_error (error);
  while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, &error)) > 0)
    g_byte_array_append (all, buf, n);
  g_assert_no_error (error);
  if (all->len < 12 || memcmp (all->data, "HTTP/1.1 200", 12) != 0)
    g_error ("normal client: segment answered %.*s", (int) MIN (all->len, 200u), all->data);
  end = memmem (all->data, all->len, "\r\n\r\n", 4);
  g_assert_nonnull (end);
  g_assert_cmpuint (all->len - (end + 4 - all->data), ==, SEGMENT_LEN);
  g_assert_cmpuint (end[4], ==, 0x47);
  return (g_get_monotonic_time () - t0) / 1000.0;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
test_abuse (Fixture *f, gconstpointer data)
{
  const char *env = g_getenv ("YG_ABUSE_SECONDS");
  guint seconds = env != NULL ? (guint) atoi (env) : 6;
  g_autoptr (GPtrArray) threads = g_ptr_array_new ();
  g_autoptr (GArray) latencies = g_array_new (FALSE, FALSE, sizeof (double));
  Abuser abusers[N_SLOW_HEADER + N_SLOW_BODY + N_SLOW_READER + N_IDLE];
  guint64 rss0, rss_max;
  guint fds0, fds_max, fds_end = 0, n = 0;
  gint64 until;
  double p50, p99, worst;

  /* Warm up, then take the baseline with no client connected. */
  for (int i = 0; i < 3; i++)
    {
      fetch_playlist (f);
      fetch_segment (f);
    }
  g_usleep (300 * 1000);
  rss0 = rss_max = rss_bytes (f->pid);
  fds0 = fds_max = fd_count (f->pid);

  for (guint i = 0; i < G_N_ELEMENTS (abusers); i++)
    {
      abusers[i].f = f;
      abusers[i].kind = i < N_SLOW_HEADER                                 ? SLOW_HEADER
                        : i < N_SLOW_HEADER + N_SLOW_BODY                 ? SLOW_BODY
                        : i < N_SLOW_HEADER + N_SLOW_BODY + N_SLOW_READER ? SLOW_READER
                        : i % 2 == 0                                      ? IDLE
                                                                          : IDLE_KEPT_ALIVE;
      g_ptr_array_add (threads, g_thread_new ("abuser", abuse, &abusers[i]));
    }
  g_usleep (500 * 1000); /* let them connect */

  until = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < until)
    {
      double a = fetch_playlist (f);
      double b = fetch_segment (f);
      g_array_append_val (latencies, a);
      g_array_append_val (latencies, b);
      n += 2;
      rss_max = MAX (rss_max, rss_bytes (f->pid));
      if (g_getenv ("YG_ABUSE_TRACE") != NULL) /* a timeline for debugging */
        g_printerr ("t=%.1f fds=%u cut=%d\n",
                    seconds - (until - g_get_monotonic_time ()) / 1e6, fd_count (f->pid),
                    g_atomic_int_get (&f->cut_offs[IDLE]));
      fds_max = MAX (fds_max, fd_count (f->pid));
    }

  g_atomic_int_set (&f->stop, 1);
  for (guint i = 0; i < threads->len; i++)
    g_thread_join (threads->pdata[i]);

  g_array_sort (latencies, compare_doubles);
  p50 = g_array_index (latencies, double, latencies->len / 2);
  p99 = g_array_index (latencies, double, MIN (latencies->len - 1, latencies->len * 99 / 100));
  worst = g_array_index (latencies, double, latencies->len - 1);

  /* Descriptors come back once the abusers are gone (lingering closes take
   * ≤ 2 s; a sanitizer build under load can take much longer to notice). */
  for (int i = 0; i < 300; i++)
    {
      fds_end = fd_count (f->pid);
      if (fds_end <= fds0)
        break;
      g_usleep (100 * 1000);
    }
  g_test_message ("%u s, %u abusers (%d slow-header, %d slow-body, %d slow-reader, %d idle of "
                  "which half after one kept-alive request; cap %d)",
                  seconds, (guint) G_N_ELEMENTS (abusers), N_SLOW_HEADER, N_SLOW_BODY,
                  N_SLOW_READER, N_IDLE, CAP);
  g_test_message ("connections ended by the server (or, for slow readers, given up): "
                  "slow-header %d, slow-body %d, slow-reader %d, idle %d, kept-alive idle %d",
                  g_atomic_int_get (&f->cut_offs[SLOW_HEADER]),
                  g_atomic_int_get (&f->cut_offs[SLOW_BODY]),
                  g_atomic_int_get (&f->cut_offs[SLOW_READER]),
                  g_atomic_int_get (&f->cut_offs[IDLE]),
                  g_atomic_int_get (&f->cut_offs[IDLE_KEPT_ALIVE]));
  g_test_message ("normal client: %u requests (playlist + 1.5 MB segment), 100%% ok; "
                  "latency p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                  n, p50, p99, worst);
  g_test_message ("server RSS: baseline %.1f MiB, peak %.1f MiB (+%.1f MiB)", rss0 / 1048576.0,
                  rss_max / 1048576.0, (rss_max - rss0) / 1048576.0);
  g_test_message ("server fds: baseline %u, peak %u, after the abusers stopped %u", fds0, fds_max,
                  fds_end);
  g_assert_cmpuint (n, >, 0);
#if defined(__SANITIZE_ADDRESS__)
  /* ASan's quarantine keeps freed buffers for a while: only a loose bound. */
  g_assert_cmpuint (rss_max - rss0, <, 512u << 20);
#else
  g_assert_cmpuint (rss_max - rss0, <, 64u << 20);
#endif
  if (fds_end > fds0)
    {
      g_autofree char *fds = fd_list (f->pid);
      g_test_message ("server descriptors left:%s", fds);
    }
  g_assert_cmpuint (fds_end, <=, fds0);
  g_assert_cmpuint (fds_max, >, fds0 + N_IDLE / 2); /* the abusers really were connected */
  /* The deadlines did their work: heads and kept-alive silence after 4 s,
   * a 100 000-byte body trickled a byte a second after 4 + 4 + 12 s. */
  if (seconds >= 6)
    {
      g_assert_cmpint (g_atomic_int_get (&f->cut_offs[SLOW_HEADER]), >, 0);
      g_assert_cmpint (g_atomic_int_get (&f->cut_offs[IDLE]), >, 0);
      g_assert_cmpint (g_atomic_int_get (&f->cut_offs[IDLE_KEPT_ALIVE]), >, 0);
    }
  if (seconds >= 30)
    g_assert_cmpint (g_atomic_int_get (&f->cut_offs[SLOW_BODY]), >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Slow-header, slow-body, slow-reader and idle clients near the connection cap "
                  "do not stop a normal viewer; memory stays bounded and descriptors come back");
  g_test_add ("/abuse/slow-clients", Fixture, NULL, fixture_setup, test_abuse, fixture_teardown);
  return g_test_run ();
}

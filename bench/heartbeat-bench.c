/* heartbeat-bench.c: sustained player-event ingestion while segments are served.
 *
 * Starts a real server in this process (loopback, heartbeat-rate raised so
 * the single benchmark address is not throttled; the per-viewer limit stays,
 * so events come from 6 000 viewers), publishes one public item with a
 * 1 MiB segment, then for --seconds (default 10) runs --clients keep-alive
 * connections each POSTing batches of --batch events (default 4 × 10) as
 * fast as answers come, and 2 connections downloading the segment in a
 * loop (with --rate, the connections send on a fixed schedule instead, so
 * latency is measured at that offered load). Prints events/s accepted, request latency p50/p99/max, segment
 * throughput and the events found in the catalogue after the buffer's last
 * write. Goal: ≥ 2 000 events/s with p99 < 50 ms. Not run by the test suites:
 *   build/bench/heartbeat-bench [--seconds N] [--clients N] [--batch N] [--rate N]
 */
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "yg-item-store.h"
#include "yg-routes.h"
#include "yg-test-server.h"

#define VIEWERS 6000
#define SEGMENT_BYTES (1024 * 1024)

static int seconds = 10, clients = 4, batch = 10, rate = 0, segment_rate = 10;
static volatile gint stop;

typedef struct
{
  guint16 port;
  guint index;
  const char *item;
  GArray *latencies; /* gint64 µs per request */
  guint64 events;
  guint64 refused;
  guint64 bytes;
} Worker;

static gpointer
heartbeat_worker (gpointer data)
{
  Worker *w = data;
  g_autoptr (GSocketConnection) conn = yg_test_connect (w->port);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  /* with --rate: this connection's share, on a fixed schedule (open loop) */
  gint64 interval = rate > 0 ? (gint64) G_USEC_PER_SEC * batch * clients / rate : 0;
  gint64 next = g_get_monotonic_time ();
  guint64 n = 0;

  while (!g_atomic_int_get (&stop))
    {
      g_autoptr (GString) body = g_string_new ("[");

      if (interval > 0)
        {
          gint64 now = g_get_monotonic_time ();
          if (next > now)
            g_usleep (next - now);
          next += interval;
        }
      g_autofree char *req = NULL, *resp = NULL;
      gint64 t0, dt;
      guint status;

      for (int i = 0; i < batch; i++, n++)
        {
          guint viewer = (w->index * 7919 + n) % VIEWERS;
          g_string_append_printf (body,
                                  "%s{\"viewer\":\"bench-viewer-%06u\",\"session\":\"session-%06u\","
                                  "\"item\":\"%s\",\"event\":\"tick\",\"position\":%" G_GUINT64_FORMAT
                                  ",\"community\":\"东城\"}",
                                  i ? "," : "", viewer, viewer, w->item, n % 3000);
        }
      g_string_append_c (body, ']');
      req = g_strdup_printf ("POST /api/v1/heartbeats HTTP/1.1\r\nHost: bench\r\n"
                             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                             body->len, body->str);
      t0 = g_get_monotonic_time ();
      if (!g_output_stream_write_all (out, req, strlen (req), NULL, NULL, NULL))
        g_error ("write failed");
      resp = yg_test_read_response (conn, &status);
      dt = g_get_monotonic_time () - t0;
      g_array_append_val (w->latencies, dt);
      if (status == 202)
        w->events += batch;
      else if (status == 429 || status == 503)
        w->refused += batch;
      else
        g_error ("heartbeats → %u: %s", status, resp);
    }
  return NULL;
}

static gpointer
segment_worker (gpointer data)
{
  Worker *w = data;
  g_autoptr (GSocketConnection) conn = yg_test_connect (w->port);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  g_autofree char *req = g_strdup_printf (
      "GET /hls/%s/720p/seg00000.ts HTTP/1.1\r\nHost: bench\r\n\r\n", w->item);
  gint64 interval = segment_rate > 0 ? G_USEC_PER_SEC / segment_rate : 0;
  gint64 next = g_get_monotonic_time ();

  while (!g_atomic_int_get (&stop))
    {
      g_autofree char *resp = NULL;
      guint status;

      if (interval > 0)
        {
          gint64 now = g_get_monotonic_time ();
          if (next > now)
            g_usleep (next - now);
          next += interval;
        }
      if (!g_output_stream_write_all (out, req, strlen (req), NULL, NULL, NULL))
        g_error ("write failed");
      resp = yg_test_read_response (conn, &status);
      if (status != 200)
        g_error ("segment → %u", status);
      w->bytes += SEGMENT_BYTES;
    }
  return NULL;
}

static gpointer
make_item (gpointer conn, gpointer data, GError **error)
{
  char *id = yg_item_store_insert (conn, NULL, "performance", "基准测试", "", error);
  g_autofree char *sql = NULL;

  if (id == NULL)
    return NULL;
  sql = g_strdup_printf ("UPDATE items SET status = 'ready', duration = 3600 WHERE id = '%s'", id);
  return yg_db_conn_exec (conn, sql, error) ? id : NULL;
}

static int
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "How long to load (1 to 600)", "N" },
    { "clients", 0, 0, G_OPTION_ARG_INT, &clients, "Heartbeat connections (1 to 64)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Events per request (1 to 50)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_INT, &rate,
      "Events per second to offer in all (0: as fast as the answers come)", "N" },
    { "segment-rate", 0, 0, G_OPTION_ARG_INT, &segment_rate,
      "1 MiB segments per second per downloader (default 10; 0: flat out)", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (gint64));
  YgConfig *config = yg_config_new ();
  YgTestServer *ts;
  g_autofree char *item = NULL, *dir = NULL, *seg = NULL;
  g_autofree guint8 *payload = NULL;
  Worker *workers, segs[2] = { 0 };
  GThread **threads, *seg_threads[2];
  guint64 events = 0, refused = 0, written;
  gint64 t0, elapsed;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || seconds < 1 || seconds > 600
      || clients < 1 || clients > 64 || batch < 1 || batch > 50)
    {
      g_printerr ("heartbeat-bench: %s\n", error ? error->message : "value out of range");
      return 2;
    }
  config->heartbeat_rate = 1000000;
  g_free (config->access_log);
  config->access_log = g_strdup ("off");
  ts = yg_test_server_start (config, yg_routes, yg_n_routes);
  item = yg_test_server_db_sync (ts, make_item, NULL);
  dir = g_build_filename (ts->data_dir, "media", item, "720p", NULL);
  g_assert_true (g_mkdir_with_parents (dir, 0750) == 0);
  seg = g_build_filename (dir, "seg00000.ts", NULL);
  payload = g_malloc (SEGMENT_BYTES);
  for (guint i = 0; i < SEGMENT_BYTES; i++)
    payload[i] = (guint8) g_random_int ();
  g_assert_true (g_file_set_contents (seg, (char *) payload, SEGMENT_BYTES, NULL));

  workers = g_new0 (Worker, clients);
  threads = g_new0 (GThread *, clients);
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < 2; i++)
    {
      segs[i] = (Worker) { ts->port, i, item, NULL, 0, 0, 0 };
      seg_threads[i] = g_thread_new ("segments", segment_worker, &segs[i]);
    }
  for (int i = 0; i < clients; i++)
    {
      workers[i] = (Worker) { ts->port, i, item, g_array_new (FALSE, FALSE, sizeof (gint64)), 0,
                              0, 0 };
      threads[i] = g_thread_new ("heartbeats", heartbeat_worker, &workers[i]);
    }
  g_usleep ((gulong) seconds * G_USEC_PER_SEC);
  g_atomic_int_set (&stop, 1);
  for (int i = 0; i < clients; i++)
    {
      g_thread_join (threads[i]);
      g_array_append_vals (all, workers[i].latencies->data, workers[i].latencies->len);
      events += workers[i].events;
      refused += workers[i].refused;
      g_array_unref (workers[i].latencies);
    }
  for (int i = 0; i < 2; i++)
    g_thread_join (seg_threads[i]);
  elapsed = g_get_monotonic_time () - t0;
  g_array_sort (all, cmp_i64);
  /* the buffer writes at least once a second */
  for (int i = 0; i < 50; i++)
    {
      written = yg_test_server_number (ts, "SELECT count (*) FROM heartbeats");
      if (written >= events)
        break;
      g_usleep (100000);
    }
  g_print ("heartbeat ingestion, %d s, %d connections x %d events per request, offered %s, "
           "2 segment downloaders at %d/s\n",
           seconds, clients, batch, rate > 0 ? g_strdup_printf ("%d events/s", rate) : "flat out",
           segment_rate);
  g_print ("| measure | result |\n| --- | --- |\n");
  g_print ("| events accepted | %" G_GUINT64_FORMAT " (%.0f events/s) |\n", events,
           events / (elapsed / 1e6));
  g_print ("| events refused (429/503) | %" G_GUINT64_FORMAT " |\n", refused);
  g_print ("| requests | %u (%.0f/s) |\n", all->len, all->len / (elapsed / 1e6));
  g_print ("| request latency p50 / p99 / max | %.1f / %.1f / %.1f ms |\n",
           g_array_index (all, gint64, all->len / 2) / 1000.0,
           g_array_index (all, gint64, (guint) (all->len * 0.99)) / 1000.0,
           g_array_index (all, gint64, all->len - 1) / 1000.0);
  g_print ("| segments served meanwhile | %.1f MB/s |\n",
           (segs[0].bytes + segs[1].bytes) / (elapsed / 1e6) / 1e6);
  g_print ("| events in the catalogue after the last write | %" G_GUINT64_FORMAT " |\n", written);
  yg_test_server_stop (ts);
  g_free (workers);
  g_free (threads);
  return 0;
}

/* yg-metrics.c: YgMetrics, HTTP request counters and latency histograms.
 *
 * Series are keyed by route *pattern* (never the raw path, so cardinality is
 * bounded by the route table), method and status. Rendering follows the
 * Prometheus text exposition format 0.0.4; other parts of the server append
 * their own families (connections, jobs, workers) with
 * yg_metrics_write_family. Thread: any (a mutex guards the series).
 */
#include "yg-metrics.h"

static const double buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                  0.1,   0.25,   0.5,   1.0,  2.5,   5.0, 10.0 };
#define N_BUCKETS G_N_ELEMENTS (buckets)

typedef struct
{
  guint64 counts[N_BUCKETS + 1]; /* last = +Inf */
  double sum;
  guint64 total;
} Histogram;

struct _YgMetrics
{
  GHashTable *requests;  /* "route\x1fmethod\x1fstatus" → guint64* */
  GHashTable *latency;   /* route → Histogram* */
  GMutex lock;
};

YgMetrics *
yg_metrics_new (void)
{
  YgMetrics *m = g_new0 (YgMetrics, 1);

  m->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  m->latency = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_init (&m->lock);
  return m;
}

void
yg_metrics_free (YgMetrics *m)
{
  if (m == NULL)
    return;
  g_hash_table_destroy (m->requests);
  g_hash_table_destroy (m->latency);
  g_mutex_clear (&m->lock);
  g_free (m);
}

void
yg_metrics_observe_request (YgMetrics *m, const char *route, const char *method, guint status,
                            double seconds)
{
  g_autofree char *key = g_strdup_printf ("%s\x1f%s\x1f%u", route, method, status);
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&m->lock);
  guint64 *count = g_hash_table_lookup (m->requests, key);
  Histogram *h = g_hash_table_lookup (m->latency, route);
  guint b = 0;

  if (count == NULL)
    {
      count = g_new0 (guint64, 1);
      g_hash_table_insert (m->requests, g_steal_pointer (&key), count);
    }
  (*count)++;

  if (h == NULL)
    {
      h = g_new0 (Histogram, 1);
      g_hash_table_insert (m->latency, g_strdup (route), h);
    }
  while (b < N_BUCKETS && seconds > buckets[b])
    b++;
  h->counts[b]++;
  h->sum += seconds;
  h->total++;
}

/**
 * yg_metrics_escape_label:
 *
 * Returns: (transfer full): @value escaped for use inside a label's quotes
 */
char *
yg_metrics_escape_label (const char *value)
{
  GString *s = g_string_new (NULL);

  for (const char *p = value; *p; p++)
    {
      if (*p == '\\' || *p == '"')
        g_string_append_c (s, '\\');
      if (*p == '\n')
        {
          g_string_append (s, "\\n");
          continue;
        }
      g_string_append_c (s, *p);
    }
  return g_string_free (s, FALSE);
}

void
yg_metrics_write_family (GString *out, const char *name, const char *type, const char *help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int
compare_keys (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
sorted_keys (GHashTable *table)
{
  GPtrArray *keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_keys);
  return keys;
}

void
yg_metrics_render (YgMetrics *m, GString *out)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&m->lock);
  g_autoptr (GPtrArray) keys = sorted_keys (m->requests);

  yg_metrics_write_family (out, "yunguan_http_requests_total", "counter",
                           "HTTP requests answered, by route pattern, method and status");
  for (guint i = 0; i < keys->len; i++)
    {
      g_auto (GStrv) parts = g_strsplit (keys->pdata[i], "\x1f", 3);
      g_autofree char *route = yg_metrics_escape_label (parts[0]);
      guint64 *count = g_hash_table_lookup (m->requests, keys->pdata[i]);
      g_string_append_printf (out,
                              "yunguan_http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"} "
                              "%" G_GUINT64_FORMAT "\n",
                              route, parts[1], parts[2], *count);
    }

  g_ptr_array_unref (keys);
  keys = sorted_keys (m->latency);
  yg_metrics_write_family (out, "yunguan_http_request_duration_seconds", "histogram",
                           "Time from request head to answer, by route pattern");
  for (guint i = 0; i < keys->len; i++)
    {
      Histogram *h = g_hash_table_lookup (m->latency, keys->pdata[i]);
      g_autofree char *route = yg_metrics_escape_label (keys->pdata[i]);
      guint64 cumulative = 0;
      char le[G_ASCII_DTOSTR_BUF_SIZE], sum[G_ASCII_DTOSTR_BUF_SIZE];

      for (guint b = 0; b < N_BUCKETS; b++)
        {
          cumulative += h->counts[b];
          g_ascii_formatd (le, sizeof le, "%g", buckets[b]);
          g_string_append_printf (out,
                                  "yunguan_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} "
                                  "%" G_GUINT64_FORMAT "\n",
                                  route, le, cumulative);
        }
      g_string_append_printf (out,
                              "yunguan_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                              "%" G_GUINT64_FORMAT "\n",
                              route, h->total);
      g_ascii_formatd (sum, sizeof sum, "%.6f", h->sum);
      g_string_append_printf (out, "yunguan_http_request_duration_seconds_sum{route=\"%s\"} %s\n",
                              route, sum);
      g_string_append_printf (out,
                              "yunguan_http_request_duration_seconds_count{route=\"%s\"} "
                              "%" G_GUINT64_FORMAT "\n",
                              route, h->total);
    }
}

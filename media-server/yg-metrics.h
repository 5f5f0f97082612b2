/* yg-metrics.h: request counters and latency histograms in Prometheus text. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _YgMetrics YgMetrics;

YgMetrics *yg_metrics_new (void);
void yg_metrics_free (YgMetrics *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgMetrics, yg_metrics_free)

void yg_metrics_observe_request (YgMetrics  *m,
                                 const char *route,
                                 const char *method,
                                 guint       status,
                                 double      seconds);
void yg_metrics_render (YgMetrics *m, GString *out);

void yg_metrics_write_family (GString *out, const char *name, const char *type, const char *help);
char *yg_metrics_escape_label (const char *value);

G_END_DECLS

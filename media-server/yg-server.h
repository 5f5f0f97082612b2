/* yg-server.h: YgServer, the HTTP service: listener, router, catalogue. */
#pragma once

#include <libsoup/soup.h>

#include "yg-config.h"
#include "yg-db.h"
#include "yg-listener.h"
#include "yg-metrics.h"
#include "yg-heartbeat-buffer.h"
#include "yg-progress-buffer.h"
#include "yg-report.h"
#include "yg-request.h"
#include "yg-route.h"

G_BEGIN_DECLS

#define YG_TYPE_SERVER (yg_server_get_type ())
G_DECLARE_FINAL_TYPE (YgServer, yg_server, YG, SERVER, GObject)

YgServer *yg_server_new (const YgConfig *config,
                         const YgRoute  *routes,
                         gsize           n_routes,
                         GError        **error);
gboolean yg_server_start (YgServer *self, GError **error);
void yg_server_stop (YgServer *self);

guint16 yg_server_get_port (YgServer *self);
YgDb *yg_server_get_db (YgServer *self);
const YgConfig *yg_server_get_config (YgServer *self);
YgMetrics *yg_server_get_metrics (YgServer *self);
YgListener *yg_server_get_listener (YgServer *self);
typedef struct _YgTusStore YgTusStore;
YgTusStore *yg_server_get_uploads (YgServer *self);
const YgRoute *yg_server_get_routes (YgServer *self, gsize *n_routes);
typedef struct _YgRouter YgRouter;
YgRouter *yg_server_get_router (YgServer *self);
typedef struct _YgPlaybackKeys YgPlaybackKeys;
YgPlaybackKeys *yg_server_get_playback_keys (YgServer *self);
typedef struct _YgThrottle YgThrottle;
void yg_server_get_login_throttles (YgServer   *self,
                                    YgThrottle **by_account,
                                    YgThrottle **by_address);
YgThrottle *yg_server_get_signup_throttle (YgServer *self);
GHashTable *yg_server_lock_visibility_cache (YgServer *self);
void yg_server_unlock_visibility_cache (YgServer *self);
typedef struct _YgDocCache YgDocCache;
YgDocCache *yg_server_get_doc_cache (YgServer *self);
YgProgressBuffer *yg_server_get_progress (YgServer *self);
YgHeartbeatBuffer *yg_server_get_heartbeats (YgServer *self);
void yg_server_get_heartbeat_throttles (YgServer   *self,
                                        YgThrottle **by_address,
                                        YgThrottle **by_viewer);
typedef struct _YgPartners YgPartners;
typedef struct _YgSubscriptions YgSubscriptions;
typedef struct _YgWechat YgWechat;
YgWechat *yg_server_get_wechat (YgServer *self);
YgSubscriptions *yg_server_get_subscriptions (YgServer *self);
YgPartners *yg_server_get_partners (YgServer *self);
typedef struct _YgWebhook YgWebhook;
YgWebhook *yg_server_get_webhook (YgServer *self);
const YgReportRules *yg_server_get_report_rules (YgServer *self);

/* One finished request, for the metrics and the access log. */
typedef struct
{
  const char *route;      /* the route's pattern, or "unmatched" */
  const char *method;
  const char *path;       /* as received (signed playback paths are redacted) */
  GSocketAddress *peer;
  const char *request_id; /* nullable */
  guint status;
  goffset bytes;
  double seconds;
} YgAccessEntry;

void yg_server_log_access (YgServer *self, const YgAccessEntry *entry);
void yg_server_answer_early (YgServer *self, YgRequest *req, const GError *error);
gboolean yg_server_start_workers (YgServer *self, const char *exe, guint n, GError **error);
guint yg_server_get_running_workers (YgServer *self);

gboolean yg_data_dir_prepare (const char *data_dir, GError **error);

G_END_DECLS

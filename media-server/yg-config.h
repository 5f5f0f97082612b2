/* yg-config.h: server configuration: defaults < INI file < environment < flags. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *data_dir;
  char *listen;           /* HOST:PORT */
  guint max_connections;
  guint header_timeout;   /* seconds to deliver a complete request head */
  guint idle_timeout;     /* seconds of socket inactivity while reading a body or writing */
  guint max_header_bytes;
  guint64 max_body_bytes; /* JSON and form bodies; uploads have their own limits */
  char *access_log;       /* "-" = stderr, "off", or a file path */
  guint workers;          /* local transcode workers; YG_CONFIG_AUTO = from the core count */
  guint delivery_threads; /* serving threads besides the main one; YG_CONFIG_AUTO = one per core */
  guint64 transcode_memory; /* address-space limit of one transcode child, bytes */
  char *web_dir;          /* the browser UI (web/) */
  guint64 upload_max_size;   /* Tus-Max-Size */
  guint64 upload_quota;      /* bytes of unfinished uploads per staff token */
  guint upload_expire_hours; /* idle unfinished uploads are deleted after this */
  char *cors_origins;        /* space-separated origins allowed to upload from */
  gboolean behind_tls;       /* a TLS-terminating proxy on this host forwards every request */
  char *accel_redirect;      /* "none" or the nginx internal location's prefix, "/…/" */
  guint playback_token_hours; /* lifetime of signed playback URLs */
  guint request_threshold;   /* supporters that move a resident request to threshold_reached */
  char *request_webhook;     /* URL notified (POST JSON) when that happens, or "none" */
  guint heartbeat_rate;      /* player event requests per second per client address */
  guint analytics_raw_days;  /* raw heartbeats kept this long, then folded into daily rows */
  char *report_rules;        /* INI file of report weights and targets, or "none" */
  char *public_url;          /* http(s)://host[:port] of links in share cards and oEmbed, or "none" */
  char *centre_name;         /* this centre's name in its feed */
  guint feed_refresh_minutes; /* subscribed feeds are read this often; 0: only on demand */
  guint64 feed_max_bytes;    /* a feed page larger than this is refused */
  guint feed_timeout;        /* seconds one feed fetch may take */
  char *wechat_app_id;       /* official account for JS-SDK share cards, or "none" */
  char *wechat_app_secret;
  char *wechat_api_url;      /* base of WeChat's API (a test points it at a local fake) */
  char *config_file;      /* the file that was loaded, or NULL */
  /* private: flag values seen while parsing, applied by yg_config_finish */
  GHashTable *flags;
} YgConfig;

#define YG_CONFIG_AUTO G_MAXUINT

YgConfig *yg_config_new (void);
YgConfig *yg_config_copy (const YgConfig *config);
guint yg_config_get_workers (const YgConfig *config);
guint yg_config_get_delivery_threads (const YgConfig *config);
void yg_config_free (YgConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgConfig, yg_config_free)

gboolean yg_config_set (YgConfig *config, const char *key, const char *value, GError **error);
gboolean yg_config_load_file (YgConfig *config, const char *path, GError **error);
gboolean yg_config_load_env (YgConfig *config, GError **error);

GOptionGroup *yg_config_option_group (YgConfig *config, gboolean server_options);
gboolean yg_config_finish (YgConfig *config, GError **error);

char *yg_config_describe (gboolean markdown);
gboolean yg_config_is_host (const char *s);

G_END_DECLS

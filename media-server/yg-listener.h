/* yg-listener.h: the project's own accept loop in front of SoupServer. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct
{
  guint max_connections;
  guint header_timeout; /* seconds */
  guint idle_timeout;   /* seconds */
} YgListenerLimits;

typedef struct
{
  guint64 accepted;
  guint64 rejected_over_cap;
  guint64 header_timeouts;
  guint64 body_timeouts;    /* a bounded body that did not arrive in time */
  guint64 refused_requests; /* answered early (413, 431) on a stolen connection */
  guint64 handed_off;       /* connections a delivery thread gave back to the main one */
} YgListenerStats;

typedef struct _YgListenerConn YgListenerConn;

typedef enum
{
  YG_LISTENER_WAIT_NONE,
  YG_LISTENER_WAIT_HEAD,  /* for a request head (or keep-alive idle) */
  YG_LISTENER_WAIT_WRITE, /* for the client to read more of a response */
} YgListenerWait;

#define YG_TYPE_LISTENER (yg_listener_get_type ())
G_DECLARE_FINAL_TYPE (YgListener, yg_listener, YG, LISTENER, GObject)

YgListener *yg_listener_new (SoupServer *server, const YgListenerLimits *limits, GError **error);
gboolean yg_listener_listen (YgListener *self, const char *host_port, GError **error);
guint16 yg_listener_get_port (YgListener *self);
guint yg_listener_get_active (YgListener *self);
void yg_listener_get_stats (YgListener *self, YgListenerStats *stats);
void yg_listener_stop (YgListener *self);
void yg_listener_delegate (YgListener *self, YgListener *delegate);
void yg_listener_undelegate (YgListener *self);
gboolean yg_listener_hand_off (YgListener *self, SoupServerMessage *msg);

typedef void (*YgListenerTaker) (gpointer data, YgListenerConn *conn);
void yg_listener_set_taker (YgListener *self, YgListenerTaker taker, gpointer data);
int yg_listener_conn_get_fd (YgListenerConn *c);
GSocketAddress *yg_listener_conn_get_peer (YgListenerConn *c);
void yg_listener_conn_wait (YgListener *self, YgListenerConn *c, YgListenerWait wait);
void yg_listener_conn_to_soup (YgListener *self, YgListenerConn *c, GBytes *unread);
void yg_listener_conn_close (YgListener *self, YgListenerConn *c);
void yg_listener_limit_body (YgListener *self, SoupServerMessage *msg, guint64 body_bytes);
void yg_listener_refuse (YgListener        *self,
                         SoupServerMessage *msg,
                         guint              status,
                         const char        *extra_headers,
                         const char        *json_body);

G_END_DECLS

/* yg-heartbeat-store.h: player events (heartbeats) as stored rows. DB-thread functions. */
#pragma once

#include "yg-db.h"

G_BEGIN_DECLS

typedef enum
{
  YG_HEARTBEAT_START,
  YG_HEARTBEAT_TICK,
  YG_HEARTBEAT_PAUSE,
  YG_HEARTBEAT_SEEK,
  YG_HEARTBEAT_END,
  YG_HEARTBEAT_INVALID,
} YgHeartbeatEvent;

const char *yg_heartbeat_event_to_string (YgHeartbeatEvent e);
YgHeartbeatEvent yg_heartbeat_event_from_string (const char *s);

typedef struct
{
  gint64 at_ms;          /* server time of the event, unix milliseconds */
  char *viewer;          /* client-made pseudonymous id */
  char *session;         /* client-made id of one playback */
  char *item_id;
  gint64 user_id;        /* 0: anonymous */
  char *community;       /* nullable */
  char *embed;           /* a partner's embed token as sent (input only, never stored) */
  gint64 partner_id;     /* 0: none; set by the server from a verified token or Origin */
  YgHeartbeatEvent event;
  double position;       /* seconds */
} YgHeartbeat;

void yg_heartbeat_free (YgHeartbeat *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgHeartbeat, yg_heartbeat_free)

gboolean yg_heartbeat_store_insert (YgDbConn *conn, GPtrArray *events, guint *stored,
                                    GError **error);

G_END_DECLS

/* yg-heartbeat-buffer.h: player events held in memory and written in batches. */
#pragma once

#include "yg-db.h"
#include "yg-heartbeat-store.h"

G_BEGIN_DECLS

#define YG_HEARTBEAT_FLUSH_EVENTS 500    /* a batch this large is written at once */
#define YG_HEARTBEAT_MAX_PENDING 100000  /* beyond this (the disk is behind), refuse with 503 */

typedef struct _YgHeartbeatBuffer YgHeartbeatBuffer;

YgHeartbeatBuffer *yg_heartbeat_buffer_new (YgDb *db, guint raw_days);
void yg_heartbeat_buffer_free (YgHeartbeatBuffer *buf);
gboolean yg_heartbeat_buffer_add (YgHeartbeatBuffer *buf, GPtrArray *events);
void yg_heartbeat_buffer_flush_all (YgHeartbeatBuffer *buf);
guint64 yg_heartbeat_buffer_get_written (YgHeartbeatBuffer *buf);

G_END_DECLS

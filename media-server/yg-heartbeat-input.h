/* yg-heartbeat-input.h: the body of POST /api/v1/heartbeats, parsed and validated. */
#pragma once

#include <json-glib/json-glib.h>

#include "yg-heartbeat-store.h"

G_BEGIN_DECLS

#define YG_HEARTBEAT_MAX_BATCH 50         /* events in one request */
#define YG_HEARTBEAT_MAX_BODY (32 * 1024) /* bytes */
#define YG_HEARTBEAT_MAX_AGE 3600         /* seconds an event may have waited in the player */

GPtrArray *yg_heartbeat_input_parse (JsonNode *root, gint64 now_ms, gint64 user_id,
                                     GError **error);
gboolean yg_heartbeat_input_is_id (const char *s, guint min, guint max);

G_END_DECLS

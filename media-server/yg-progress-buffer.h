/* yg-progress-buffer.h: viewing positions held in memory, written at most every few seconds. */
#pragma once

#include "yg-db.h"
#include "yg-progress-store.h"

G_BEGIN_DECLS

#define YG_PROGRESS_WRITE_INTERVAL 5 /* seconds between two writes of one (user, item) */

typedef struct _YgProgressBuffer YgProgressBuffer;

YgProgressBuffer *yg_progress_buffer_new (YgDb *db);
void yg_progress_buffer_free (YgProgressBuffer *buf);
void yg_progress_buffer_put (YgProgressBuffer *buf, gint64 user_id, const char *item_id,
                             double position, double duration);
YgProgress *yg_progress_buffer_lookup (YgProgressBuffer *buf, gint64 user_id, const char *item_id);
GPtrArray *yg_progress_buffer_take_user (YgProgressBuffer *buf, gint64 user_id);
void yg_progress_buffer_flush_all (YgProgressBuffer *buf);

G_END_DECLS

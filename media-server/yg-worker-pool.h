/* yg-worker-pool.h: the local workers `serve` starts and supervises. */
#pragma once

#include "yg-db.h"

G_BEGIN_DECLS

typedef struct _YgWorkerPool YgWorkerPool;

YgWorkerPool *yg_worker_pool_new (YgDb       *db,
                                  const char *self_exe,
                                  const char *data_dir,
                                  const char *server_url,
                                  guint       n_workers,
                                  guint64     transcode_memory);
gboolean yg_worker_pool_start (YgWorkerPool *pool, GError **error);
guint yg_worker_pool_get_running (YgWorkerPool *pool);
guint64 yg_worker_pool_get_restarts (YgWorkerPool *pool);
void yg_worker_pool_free (YgWorkerPool *pool);

G_END_DECLS

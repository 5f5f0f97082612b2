/* yg-job-store.h: durable transcode jobs with leases. DB-thread functions. */
#pragma once

#include "yg-db.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 id;
  char *item_id;
  char *state;         /* queued | running | done | failed | cancelled */
  int attempts;
  int max_attempts;
  double progress;     /* 0..1 */
  char *error_code;
  char *error_message;
  char *lease_owner;
  gint64 lease_expires_at;
  gint64 created_at;
  gint64 updated_at;
} YgJob;

void yg_job_free (YgJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgJob, yg_job_free)

gint64 yg_job_store_enqueue (YgDbConn *conn, const char *item_id, GError **error);
YgJob *yg_job_store_get (YgDbConn *conn, gint64 job_id, GError **error);
GPtrArray *yg_job_store_list (YgDbConn *conn, const char *state, guint limit, GError **error);
YgJob *yg_job_store_lease (YgDbConn   *conn,
                           const char *owner,
                           guint       lease_seconds,
                           GError    **error);
gboolean yg_job_store_heartbeat (YgDbConn   *conn,
                                 gint64      job_id,
                                 const char *owner,
                                 double      progress,
                                 guint       lease_seconds,
                                 GError    **error);
gboolean yg_job_store_publish_file (YgDbConn   *conn,
                                    gint64      job_id,
                                    const char *owner,
                                    const char *role,
                                    const char *path,
                                    gint64      size,
                                    GError    **error);
gboolean yg_job_store_complete (YgDbConn   *conn,
                                gint64      job_id,
                                const char *owner,
                                double      duration,
                                GError    **error);
gboolean yg_job_store_fail (YgDbConn   *conn,
                            gint64      job_id,
                            const char *owner,
                            const char *code,
                            const char *message,
                            gboolean    retryable,
                            GError    **error);
gboolean yg_job_store_cancel (YgDbConn *conn, gint64 job_id, GError **error);
gint64 yg_job_store_retry (YgDbConn *conn, gint64 job_id, GError **error);
guint yg_job_store_requeue_expired (YgDbConn *conn, GError **error);
guint yg_job_store_release_owner (YgDbConn *conn, const char *owner, GError **error);
guint yg_job_store_reclaim_owner (YgDbConn *conn, const char *owner, GError **error);

guint yg_job_backoff_seconds (int attempts);

G_END_DECLS

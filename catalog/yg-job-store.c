/* yg-job-store.c: transcode jobs as durable rows with leases.
 *
 * A job is queued → running (leased to one worker until lease_expires_at,
 * extended by heartbeats) → done | failed | cancelled. A lease that is not
 * renewed in time is taken back at the next lease call: the job is queued
 * again with a backoff, or failed once it has used max_attempts (leases of
 * workers that died with the server are given back without using an
 * attempt: yg_job_store_reclaim_owner). Every call
 * that a worker makes names its lease (job id + owner) and is refused
 * (YG_DB_ERROR_CONSTRAINT, "lease lost") when the lease is no longer its
 * own, so a worker that was presumed dead cannot overwrite a newer attempt.
 * The item's status follows its job in the same transaction: processing
 * while queued/running, ready when done, failed (with code and message)
 * when failed or cancelled. At most one active job per item (unique index).
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-job-store.h"

#include <string.h>

#define JOB_COLUMNS                                                                         \
  "id, item_id, state, attempts, max_attempts, progress, error_code, error_message,"        \
  " lease_owner, lease_expires_at, created_at, updated_at"

void
yg_job_free (YgJob *job)
{
  if (job == NULL)
    return;
  g_free (job->item_id);
  g_free (job->state);
  g_free (job->error_code);
  g_free (job->error_message);
  g_free (job->lease_owner);
  g_free (job);
}

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/**
 * yg_job_backoff_seconds:
 * @attempts: attempts used so far (≥ 1)
 *
 * Returns: seconds to wait before the next attempt: 10, 20, 40, … up to 15 min
 */
guint
yg_job_backoff_seconds (int attempts)
{
  guint shift = attempts > 1 ? MIN (attempts - 1, 10) : 0;

  return MIN (10u << shift, 900u);
}

static YgJob *
job_from_row (sqlite3_stmt *stmt)
{
  YgJob *job = g_new0 (YgJob, 1);

  job->id = sqlite3_column_int64 (stmt, 0);
  job->item_id = yg_db_column_dup (stmt, 1);
  job->state = yg_db_column_dup (stmt, 2);
  job->attempts = sqlite3_column_int (stmt, 3);
  job->max_attempts = sqlite3_column_int (stmt, 4);
  job->progress = sqlite3_column_double (stmt, 5);
  job->error_code = yg_db_column_dup (stmt, 6);
  job->error_message = yg_db_column_dup (stmt, 7);
  job->lease_owner = yg_db_column_dup (stmt, 8);
  job->lease_expires_at = sqlite3_column_int64 (stmt, 9);
  job->created_at = sqlite3_column_int64 (stmt, 10);
  job->updated_at = sqlite3_column_int64 (stmt, 11);
  return job;
}

static gboolean
set_item_status (YgDbConn *conn, const char *item_id, const char *status, const char *code,
                 const char *message, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn,
                                           "UPDATE items SET status = ?2, error_code = ?3,"
                                           " error_message = ?4, updated_at = ?5 WHERE id = ?1",
                                           error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, item_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, status, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, code, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, message, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, now_s ());
  return yg_db_conn_step_done (conn, stmt, error);
}

/**
 * yg_job_store_enqueue:
 *
 * Returns: the new job's id, or 0 with @error set
 */
gint64
yg_job_store_enqueue (YgDbConn *conn, const char *item_id, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn,
                                           "INSERT INTO jobs (item_id, created_at, updated_at)"
                                           " VALUES (?1, ?2, ?2)",
                                           error);

  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, item_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, now_s ());
  if (!yg_db_conn_step_done (conn, stmt, error))
    return 0;
  return yg_db_conn_last_insert_rowid (conn);
}

YgJob *
yg_job_store_get (YgDbConn *conn, gint64 job_id, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1",
                                           error);
  YgJob *job;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, job_id);
  rc = yg_db_conn_step (conn, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No job %" G_GINT64_FORMAT, job_id);
      return NULL;
    }
  job = job_from_row (stmt);
  sqlite3_reset (stmt);
  return job;
}

/**
 * yg_job_store_list:
 * @state: (nullable): only jobs in this state
 *
 * Returns: (transfer full) (element-type YgJob): newest first
 */
GPtrArray *
yg_job_store_list (YgDbConn *conn, const char *state, guint limit, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn,
                                           "SELECT " JOB_COLUMNS " FROM jobs"
                                           " WHERE ?1 IS NULL OR state = ?1"
                                           " ORDER BY id DESC LIMIT ?2",
                                           error);
  g_autoptr (GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_job_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  if (state != NULL)
    sqlite3_bind_text (stmt, 1, state, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, limit);
  while ((rc = yg_db_conn_step (conn, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (jobs, job_from_row (stmt));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&jobs);
}

/* Takes back leases that expired, or (with @owner) every lease of a worker
 * known to be gone. With @refund the attempt is given back and the job is
 * never failed for it (its worker died with the server, not with the job).
 * Runs inside the caller's transaction. */
static gboolean
requeue_locked (YgDbConn *conn, const char *owner, gboolean refund, guint *count, GError **error)
{
  sqlite3_stmt *sel = yg_db_conn_prepare (
    conn,
    "SELECT id, item_id, attempts, max_attempts FROM jobs"
    " WHERE state = 'running' AND (lease_expires_at < ?1 OR lease_owner = ?2)",
    error);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) exhausted = g_array_new (FALSE, FALSE, sizeof (gboolean));
  gint64 now = now_s ();
  int rc;

  if (sel == NULL)
    return FALSE;
  sqlite3_bind_int64 (sel, 1, owner != NULL ? 0 : now);
  if (owner != NULL)
    sqlite3_bind_text (sel, 2, owner, -1, SQLITE_TRANSIENT);
  while ((rc = yg_db_conn_step (conn, sel, error)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (sel, 0);
      gboolean done = !refund && sqlite3_column_int (sel, 2) >= sqlite3_column_int (sel, 3);
      g_array_append_val (ids, id);
      g_ptr_array_add (items, yg_db_column_dup (sel, 1));
      g_array_append_val (exhausted, done);
    }
  if (rc < 0)
    return FALSE;

  for (guint i = 0; i < ids->len; i++)
    {
      gboolean give_up = g_array_index (exhausted, gboolean, i);
      sqlite3_stmt *upd = yg_db_conn_prepare (
        conn,
        "UPDATE jobs SET state = ?2, lease_owner = NULL, lease_expires_at = NULL,"
        " attempts = MAX (attempts - ?5, 0), not_before = ?3 + ?4, error_code = 'worker_lost',"
        " error_message = 'The worker stopped reporting progress', updated_at = ?3"
        " WHERE id = ?1",
        error);
      if (upd == NULL)
        return FALSE;
      sqlite3_bind_int64 (upd, 1, g_array_index (ids, gint64, i));
      sqlite3_bind_text (upd, 2, give_up ? "failed" : "queued", -1, SQLITE_STATIC);
      sqlite3_bind_int64 (upd, 3, now);
      sqlite3_bind_int64 (upd, 4, yg_job_backoff_seconds (1));
      sqlite3_bind_int (upd, 5, refund ? 1 : 0);
      if (!yg_db_conn_step_done (conn, upd, error))
        return FALSE;
      if (give_up
          && !set_item_status (conn, items->pdata[i], "failed", "worker_lost",
                               "Transcoding stopped responding several times; the file may be "
                               "damaged. Retry the job or upload the recording again.",
                               error))
        return FALSE;
    }
  if (count != NULL)
    *count = ids->len;
  return TRUE;
}

/* requeue_locked in a transaction of its own. */
static guint
requeue (YgDbConn *conn, const char *owner, gboolean refund, GError **error)
{
  guint count = 0;

  if (!yg_db_conn_begin (conn, error))
    return 0;
  if (!requeue_locked (conn, owner, refund, &count, error) || !yg_db_conn_commit (conn, error))
    {
      yg_db_conn_rollback (conn);
      return 0;
    }
  return count;
}

guint
yg_job_store_requeue_expired (YgDbConn *conn, GError **error)
{
  return requeue (conn, NULL, FALSE, error);
}

/**
 * yg_job_store_release_owner:
 * @owner: a worker that is known to have died
 *
 * Requeues (or fails, when out of attempts) every job leased to @owner
 * without waiting for the lease to expire.
 */
guint
yg_job_store_release_owner (YgDbConn *conn, const char *owner, GError **error)
{
  return requeue (conn, owner, FALSE, error);
}

/**
 * yg_job_store_reclaim_owner:
 * @owner: a worker of an earlier run of the server, which died with it
 *
 * Like yg_job_store_release_owner, but the interrupted attempt is given
 * back: a server killed (or crashing for reasons of its own) while a job
 * runs must not use up that job's attempts and fail a sound file.
 */
guint
yg_job_store_reclaim_owner (YgDbConn *conn, const char *owner, GError **error)
{
  return requeue (conn, owner, TRUE, error);
}

/**
 * yg_job_store_lease:
 * @owner: the worker's identity (its token name)
 *
 * Returns: (transfer full): the leased job, or %NULL with YG_DB_ERROR_NOT_FOUND
 *   when nothing is ready to run
 */
YgJob *
yg_job_store_lease (YgDbConn *conn, const char *owner, guint lease_seconds, GError **error)
{
  sqlite3_stmt *pick, *take;
  gint64 now = now_s (), id;
  YgJob *job;
  int rc;

  if (!yg_db_conn_begin (conn, error))
    return NULL;
  if (!requeue_locked (conn, NULL, FALSE, NULL, error))
    goto fail;
  pick = yg_db_conn_prepare (conn,
                             "SELECT id FROM jobs WHERE state = 'queued' AND not_before <= ?1"
                             " ORDER BY id LIMIT 1",
                             error);
  if (pick == NULL)
    goto fail;
  sqlite3_bind_int64 (pick, 1, now);
  rc = yg_db_conn_step (conn, pick, error);
  if (rc < 0)
    goto fail;
  if (rc == SQLITE_DONE)
    {
      yg_db_conn_commit (conn, NULL);
      g_set_error_literal (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No job is waiting");
      return NULL;
    }
  id = sqlite3_column_int64 (pick, 0);
  sqlite3_reset (pick);

  take = yg_db_conn_prepare (conn,
                             "UPDATE jobs SET state = 'running', lease_owner = ?2,"
                             " lease_expires_at = ?3 + ?4, attempts = attempts + 1, progress = 0,"
                             " updated_at = ?3 WHERE id = ?1",
                             error);
  if (take == NULL)
    goto fail;
  sqlite3_bind_int64 (take, 1, id);
  sqlite3_bind_text (take, 2, owner, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (take, 3, now);
  sqlite3_bind_int64 (take, 4, lease_seconds);
  if (!yg_db_conn_step_done (conn, take, error))
    goto fail;
  job = yg_job_store_get (conn, id, error);
  if (job == NULL || !yg_db_conn_commit (conn, error))
    {
      yg_job_free (job);
      goto fail;
    }
  return job;

fail:
  yg_db_conn_rollback (conn);
  return NULL;
}

/* Checks (inside a transaction) that @owner still holds @job_id; returns the item id. */
static char *
check_lease (YgDbConn *conn, gint64 job_id, const char *owner, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn,
                                           "SELECT item_id FROM jobs WHERE id = ?1"
                                           " AND state = 'running' AND lease_owner = ?2",
                                           error);
  char *item_id;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, job_id);
  sqlite3_bind_text (stmt, 2, owner, -1, SQLITE_TRANSIENT);
  rc = yg_db_conn_step (conn, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_CONSTRAINT,
                   "Job %" G_GINT64_FORMAT " is no longer leased to this worker (lease lost, "
                   "cancelled or finished)",
                   job_id);
      return NULL;
    }
  item_id = yg_db_column_dup (stmt, 0);
  sqlite3_reset (stmt);
  return item_id;
}

gboolean
yg_job_store_heartbeat (YgDbConn *conn, gint64 job_id, const char *owner, double progress,
                        guint lease_seconds, GError **error)
{
  g_autofree char *item_id = NULL;
  sqlite3_stmt *stmt;

  if (!yg_db_conn_begin (conn, error))
    return FALSE;
  item_id = check_lease (conn, job_id, owner, error);
  if (item_id == NULL)
    goto fail;
  stmt = yg_db_conn_prepare (conn,
                             "UPDATE jobs SET progress = ?2, lease_expires_at = ?3 + ?4,"
                             " updated_at = ?3 WHERE id = ?1",
                             error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, job_id);
  sqlite3_bind_double (stmt, 2, CLAMP (progress, 0.0, 1.0));
  sqlite3_bind_int64 (stmt, 3, now_s ());
  sqlite3_bind_int64 (stmt, 4, lease_seconds);
  if (!yg_db_conn_step_done (conn, stmt, error) || !yg_db_conn_commit (conn, error))
    goto fail;
  return TRUE;

fail:
  yg_db_conn_rollback (conn);
  return FALSE;
}

/* "media/<item>/<name>" exactly, with a plain name. */
static gboolean
path_in_item_media (const char *path, const char *item_id)
{
  g_autofree char *prefix = g_strdup_printf ("media/%s/", item_id);
  const char *name;

  if (!g_str_has_prefix (path, prefix))
    return FALSE;
  name = path + strlen (prefix);
  if (name[0] == '\0' || name[0] == '.' || strchr (name, '/') != NULL || strchr (name, '\\') != NULL)
    return FALSE;
  return TRUE;
}

/**
 * yg_job_store_publish_file:
 * @role: "master", "poster", …
 * @path: media/<the job's item>/<name>; the file must already be durable
 *
 * Records a file of the job's item (replacing an earlier row of that role).
 * A path anywhere else is refused (YG_DB_ERROR_INVALID).
 */
gboolean
yg_job_store_publish_file (YgDbConn *conn, gint64 job_id, const char *owner, const char *role,
                           const char *path, gint64 size, GError **error)
{
  g_autofree char *item_id = NULL;
  sqlite3_stmt *stmt;

  if (!yg_db_conn_begin (conn, error))
    return FALSE;
  item_id = check_lease (conn, job_id, owner, error);
  if (item_id == NULL)
    goto fail;
  if (!path_in_item_media (path, item_id))
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_INVALID,
                   "%s is not a file directly in media/%s/", path, item_id);
      goto fail;
    }
  stmt = yg_db_conn_prepare (conn,
                             "INSERT OR REPLACE INTO item_files (item_id, role, path, size)"
                             " VALUES (?1, ?2, ?3, ?4)",
                             error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, item_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, role, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, path, -1, SQLITE_TRANSIENT);
  if (size >= 0)
    sqlite3_bind_int64 (stmt, 4, size);
  else
    sqlite3_bind_null (stmt, 4);
  if (!yg_db_conn_step_done (conn, stmt, error) || !yg_db_conn_commit (conn, error))
    goto fail;
  return TRUE;

fail:
  yg_db_conn_rollback (conn);
  return FALSE;
}

gboolean
yg_job_store_complete (YgDbConn *conn, gint64 job_id, const char *owner, double duration,
                       GError **error)
{
  g_autofree char *item_id = NULL;
  sqlite3_stmt *stmt;
  gint64 now = now_s ();

  if (!yg_db_conn_begin (conn, error))
    return FALSE;
  item_id = check_lease (conn, job_id, owner, error);
  if (item_id == NULL)
    goto fail;
  stmt = yg_db_conn_prepare (conn,
                             "UPDATE jobs SET state = 'done', progress = 1, lease_owner = NULL,"
                             " lease_expires_at = NULL, error_code = NULL, error_message = NULL,"
                             " updated_at = ?2 WHERE id = ?1",
                             error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, job_id);
  sqlite3_bind_int64 (stmt, 2, now);
  if (!yg_db_conn_step_done (conn, stmt, error))
    goto fail;
  stmt = yg_db_conn_prepare (conn,
                             "UPDATE items SET status = 'ready', error_code = NULL,"
                             " error_message = NULL, duration = ?2, updated_at = ?3 WHERE id = ?1",
                             error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, item_id, -1, SQLITE_STATIC);
  if (duration >= 0)
    sqlite3_bind_double (stmt, 2, duration);
  else
    sqlite3_bind_null (stmt, 2);
  sqlite3_bind_int64 (stmt, 3, now);
  if (!yg_db_conn_step_done (conn, stmt, error) || !yg_db_conn_commit (conn, error))
    goto fail;
  return TRUE;

fail:
  yg_db_conn_rollback (conn);
  return FALSE;
}

/**
 * yg_job_store_fail:
 * @code: machine code, e.g. "unsupported_format"
 * @message: a sentence staff understand
 * @retryable: a transient failure (worker crash, timeout) worth another attempt
 */
gboolean
yg_job_store_fail (YgDbConn *conn, gint64 job_id, const char *owner, const char *code,
                   const char *message, gboolean retryable, GError **error)
{
  g_autofree char *item_id = NULL;
  g_autoptr (YgJob) job = NULL;
  sqlite3_stmt *stmt;
  gint64 now = now_s ();
  gboolean again;

  if (!yg_db_conn_begin (conn, error))
    return FALSE;
  item_id = check_lease (conn, job_id, owner, error);
  if (item_id == NULL || (job = yg_job_store_get (conn, job_id, error)) == NULL)
    goto fail;
  again = retryable && job->attempts < job->max_attempts;
  stmt = yg_db_conn_prepare (conn,
                             "UPDATE jobs SET state = ?2, lease_owner = NULL, lease_expires_at = NULL,"
                             " not_before = ?3 + ?4, error_code = ?5, error_message = ?6,"
                             " updated_at = ?3 WHERE id = ?1",
                             error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, job_id);
  sqlite3_bind_text (stmt, 2, again ? "queued" : "failed", -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, now);
  sqlite3_bind_int64 (stmt, 4, yg_job_backoff_seconds (job->attempts));
  sqlite3_bind_text (stmt, 5, code, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, message, -1, SQLITE_TRANSIENT);
  if (!yg_db_conn_step_done (conn, stmt, error))
    goto fail;
  if (!again && !set_item_status (conn, item_id, "failed", code, message, error))
    goto fail;
  if (!yg_db_conn_commit (conn, error))
    goto fail;
  return TRUE;

fail:
  yg_db_conn_rollback (conn);
  return FALSE;
}

gboolean
yg_job_store_cancel (YgDbConn *conn, gint64 job_id, GError **error)
{
  g_autoptr (YgJob) job = NULL;
  sqlite3_stmt *stmt;

  if (!yg_db_conn_begin (conn, error))
    return FALSE;
  job = yg_job_store_get (conn, job_id, error);
  if (job == NULL)
    goto fail;
  if (!g_str_equal (job->state, "queued") && !g_str_equal (job->state, "running"))
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_CONSTRAINT,
                   "Job %" G_GINT64_FORMAT " is %s and cannot be cancelled", job_id, job->state);
      goto fail;
    }
  stmt = yg_db_conn_prepare (conn,
                             "UPDATE jobs SET state = 'cancelled', lease_owner = NULL,"
                             " lease_expires_at = NULL, updated_at = ?2 WHERE id = ?1",
                             error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, job_id);
  sqlite3_bind_int64 (stmt, 2, now_s ());
  if (!yg_db_conn_step_done (conn, stmt, error)
      || !set_item_status (conn, job->item_id, "failed", "cancelled",
                           "Transcoding was cancelled by staff; retry the job to process it again",
                           error)
      || !yg_db_conn_commit (conn, error))
    goto fail;
  return TRUE;

fail:
  yg_db_conn_rollback (conn);
  return FALSE;
}

/**
 * yg_job_store_retry:
 *
 * Queues a failed or cancelled job's item again (a new job row).
 *
 * Returns: the new job id, or 0 with @error set
 */
gint64
yg_job_store_retry (YgDbConn *conn, gint64 job_id, GError **error)
{
  g_autoptr (YgJob) job = NULL;
  gint64 new_id;

  if (!yg_db_conn_begin (conn, error))
    return 0;
  job = yg_job_store_get (conn, job_id, error);
  if (job == NULL)
    goto fail;
  if (!g_str_equal (job->state, "failed") && !g_str_equal (job->state, "cancelled"))
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_CONSTRAINT,
                   "Job %" G_GINT64_FORMAT " is %s; only failed or cancelled jobs can be retried",
                   job_id, job->state);
      goto fail;
    }
  new_id = yg_job_store_enqueue (conn, job->item_id, error);
  if (new_id == 0 || !set_item_status (conn, job->item_id, "processing", NULL, NULL, error)
      || !yg_db_conn_commit (conn, error))
    goto fail;
  return new_id;

fail:
  yg_db_conn_rollback (conn);
  return 0;
}

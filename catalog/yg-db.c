/* yg-db.c: YgDb, the catalogue's single SQLite handle and its thread.
 *
 * Invariants: exactly one thread (the "DB thread", started by yg_db_open)
 * touches the sqlite3 handle and its prepared-statement cache. Callers on any
 * other thread submit YgDbFunc work: yg_db_run_async returns the result
 * through a GTask in the caller's thread-default main context, so the HTTP
 * main loop never blocks on SQLite; yg_db_run_sync blocks (CLI commands).
 * Work runs in submission order. Writes use BEGIN IMMEDIATE so a writer takes
 * the lock up front and busy_timeout applies, instead of failing at COMMIT.
 * The database is opened in WAL mode, synchronous=FULL, foreign keys on, and
 * migrated to the latest schema before the first job runs.
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-db.h"

#include "yg-migrations.h"

#define YG_DB_BUSY_TIMEOUT_MS 5000

struct _YgDbConn
{
  sqlite3 *handle;
  GHashTable *stmts; /* SQL text → sqlite3_stmt*, finalized with the conn */
  gboolean in_transaction;
};

typedef struct
{
  YgDbFunc func;
  gpointer data;
  GDestroyNotify data_free;
  GDestroyNotify result_free;
  GTask *task; /* async: result goes here */
  /* sync: the caller waits on cond */
  GMutex *mutex;
  GCond *cond;
  gboolean done;
  gpointer result;
  GError *error;
} YgDbJob;

/* What the DB thread owns. It outlives the YgDb object when the object's last
 * reference is dropped on the DB thread itself (a GTask finishing there), so
 * the thread frees it when it sees the stop job, never the object. */
typedef struct
{
  YgDbConn conn;
  GAsyncQueue *queue;
} YgDbState;

struct _YgDb
{
  GObject parent_instance;
  char *path;
  YgDbState *state;
  GThread *thread;
};

static YgDbJob stop_job; /* sentinel: the thread frees its state and exits */

G_DEFINE_FINAL_TYPE (YgDb, yg_db, G_TYPE_OBJECT)

static GPrivate on_db_thread;

static void
stmt_finalize (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static void
state_free (YgDbState *state)
{
  g_clear_pointer (&state->conn.stmts, g_hash_table_destroy);
  if (state->conn.handle != NULL)
    sqlite3_close_v2 (state->conn.handle);
  g_async_queue_unref (state->queue);
  g_free (state);
}

static gpointer
db_thread_main (gpointer user_data)
{
  YgDbState *state = user_data;

  g_private_set (&on_db_thread, GINT_TO_POINTER (1));
  for (;;)
    {
      YgDbJob *job = g_async_queue_pop (state->queue);
      GError *error = NULL;
      gpointer result = NULL;

      if (job == &stop_job)
        break;

      if (job->task == NULL || !g_task_return_error_if_cancelled (job->task))
        {
          result = job->func (&state->conn, job->data, &error);
          if (state->conn.in_transaction)
            {
              g_critical ("YgDbFunc returned inside a transaction; rolling back");
              yg_db_conn_rollback (&state->conn);
            }
          if (job->task != NULL)
            {
              if (error != NULL)
                g_task_return_error (job->task, error);
              else
                g_task_return_pointer (job->task, result, job->result_free);
            }
        }

      if (job->task != NULL)
        {
          if (job->data_free != NULL)
            job->data_free (job->data);
          g_object_unref (job->task);
          g_free (job);
        }
      else
        {
          g_mutex_lock (job->mutex);
          job->result = result;
          job->error = error;
          job->done = TRUE;
          g_cond_signal (job->cond);
          g_mutex_unlock (job->mutex);
        }
    }
  state_free (state);
  return NULL;
}

static void
yg_db_dispose (GObject *object)
{
  YgDb *self = YG_DB (object);

  if (self->thread != NULL)
    {
      g_async_queue_push (self->state->queue, &stop_job);
      self->state = NULL; /* the thread frees it */
      if (g_private_get (&on_db_thread) != NULL)
        g_thread_unref (g_steal_pointer (&self->thread)); /* cannot join ourselves */
      else
        g_thread_join (g_steal_pointer (&self->thread));
    }
  G_OBJECT_CLASS (yg_db_parent_class)->dispose (object);
}

static void
yg_db_finalize (GObject *object)
{
  YgDb *self = YG_DB (object);

  if (self->state != NULL) /* the thread never started */
    state_free (self->state);
  g_free (self->path);
  G_OBJECT_CLASS (yg_db_parent_class)->finalize (object);
}

static void
yg_db_class_init (YgDbClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = yg_db_dispose;
  object_class->finalize = yg_db_finalize;
}

static void
yg_db_init (YgDb *self)
{
  self->state = g_new0 (YgDbState, 1);
  self->state->queue = g_async_queue_new ();
}

/* SQLite keeps the old journal mode without an error when it cannot switch,
 * so read the answer back. */
static gboolean
enable_wal (YgDbConn *conn, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;
  int rc = sqlite3_prepare_v2 (conn->handle, "PRAGMA journal_mode=WAL", -1, &stmt, NULL);

  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ok = g_ascii_strcasecmp ((const char *) sqlite3_column_text (stmt, 0), "wal") == 0;
      if (!ok)
        g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_FAILED,
                     "The catalogue cannot use write-ahead logging (journal mode stays %s); "
                     "put the data directory on a local filesystem",
                     sqlite3_column_text (stmt, 0));
    }
  else
    yg_db_error_set_from_sqlite (error, conn->handle, rc, "enabling WAL");
  sqlite3_finalize (stmt);
  return ok;
}

/**
 * yg_db_open:
 * @path: the SQLite file; created if missing
 * @error: return location for a #YG_DB_ERROR
 *
 * Opens the catalogue, configures WAL, migrates it to the latest schema and
 * starts the DB thread. The handle is configured here, on the calling thread,
 * before the DB thread exists; from then on only the DB thread touches it.
 *
 * Returns: (transfer full): the database, or %NULL
 */
YgDb *
yg_db_open (const char *path, GError **error)
{
  g_autoptr (YgDb) self = NULL;
  YgDbConn *conn;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (YG_TYPE_DB, NULL);
  self->path = g_strdup (path);
  conn = &self->state->conn;
  rc = sqlite3_open_v2 (path, &conn->handle,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
                          | SQLITE_OPEN_EXRESCODE,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_autofree char *context = g_strdup_printf ("opening %s", path);
      yg_db_error_set_from_sqlite (error, conn->handle, rc, context);
      return NULL;
    }
  conn->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, stmt_finalize);
  sqlite3_busy_timeout (conn->handle, YG_DB_BUSY_TIMEOUT_MS);

  if (!enable_wal (conn, error))
    return NULL;
  if (!yg_db_conn_exec (conn,
                        "PRAGMA synchronous=FULL;"
                        "PRAGMA foreign_keys=ON;"
                        "PRAGMA trusted_schema=OFF;",
                        error))
    return NULL;
  if (!yg_migrations_apply (conn->handle, -1, error))
    return NULL;

  self->thread = g_thread_new ("yg-db", db_thread_main, self->state);
  return g_steal_pointer (&self);
}

const char *
yg_db_get_path (YgDb *self)
{
  g_return_val_if_fail (YG_IS_DB (self), NULL);
  return self->path;
}

/**
 * yg_db_run_async:
 * @func: work to run on the DB thread
 * @data: (transfer full): passed to @func, freed with @data_free afterwards
 * @result_free: frees @func's result if nobody claims it
 *
 * Queues @func; @callback runs in the caller's thread-default main context.
 */
void
yg_db_run_async (YgDb               *self,
                 YgDbFunc            func,
                 gpointer            data,
                 GDestroyNotify      data_free,
                 GDestroyNotify      result_free,
                 GCancellable       *cancellable,
                 GAsyncReadyCallback callback,
                 gpointer            user_data)
{
  YgDbJob *job;

  g_return_if_fail (YG_IS_DB (self));
  g_return_if_fail (func != NULL);

  job = g_new0 (YgDbJob, 1);
  job->func = func;
  job->data = data;
  job->data_free = data_free;
  job->result_free = result_free;
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, yg_db_run_async);
  g_async_queue_push (self->state->queue, job);
}

/**
 * yg_db_run_finish:
 *
 * Returns: (transfer full) (nullable): the work's result
 */
gpointer
yg_db_run_finish (YgDb *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * yg_db_run_sync:
 *
 * Runs @func on the DB thread and waits. Not for the HTTP main loop.
 * @data stays owned by the caller.
 *
 * Returns: (transfer full) (nullable): the work's result
 */
gpointer
yg_db_run_sync (YgDb *self, YgDbFunc func, gpointer data, GError **error)
{
  YgDbJob job = { 0 };
  GMutex mutex;
  GCond cond;

  g_return_val_if_fail (YG_IS_DB (self), NULL);
  g_return_val_if_fail (g_private_get (&on_db_thread) == NULL, NULL);

  g_mutex_init (&mutex);
  g_cond_init (&cond);
  job.func = func;
  job.data = data;
  job.mutex = &mutex;
  job.cond = &cond;

  g_mutex_lock (&mutex);
  g_async_queue_push (self->state->queue, &job);
  while (!job.done)
    g_cond_wait (&cond, &mutex);
  g_mutex_unlock (&mutex);
  g_mutex_clear (&mutex);
  g_cond_clear (&cond);

  if (job.error != NULL)
    g_propagate_error (error, job.error);
  return job.result;
}

sqlite3 *
yg_db_conn_get_handle (YgDbConn *conn)
{
  return conn->handle;
}

/**
 * yg_db_conn_prepare:
 * @sql: (not nullable): a single statement; used as the cache key
 *
 * Returns: (transfer none): a reset statement with no bindings, owned by the
 *   cache, or %NULL with @error set
 */
sqlite3_stmt *
yg_db_conn_prepare (YgDbConn *conn, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (conn->stmts, sql);
  int rc;

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  rc = sqlite3_prepare_v3 (conn->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      yg_db_error_set_from_sqlite (error, conn->handle, rc, "preparing statement");
      return NULL;
    }
  g_hash_table_insert (conn->stmts, g_strdup (sql), stmt);
  return stmt;
}

/**
 * yg_db_conn_step:
 *
 * Returns: SQLITE_ROW or SQLITE_DONE, or -1 with @error set. The statement is
 *   reset after DONE or an error so it never holds a read snapshot open.
 */
int
yg_db_conn_step (YgDbConn *conn, sqlite3_stmt *stmt, GError **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    return rc;
  sqlite3_reset (stmt);
  if (rc == SQLITE_DONE)
    return rc;
  yg_db_error_set_from_sqlite (error, conn->handle, rc, NULL);
  return -1;
}

gboolean
yg_db_conn_step_done (YgDbConn *conn, sqlite3_stmt *stmt, GError **error)
{
  int rc = yg_db_conn_step (conn, stmt, error);

  if (rc == SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      return TRUE;
    }
  return rc == SQLITE_DONE;
}

gboolean
yg_db_conn_exec (YgDbConn *conn, const char *sql, GError **error)
{
  char *errmsg = NULL;
  int rc = sqlite3_exec (conn->handle, sql, NULL, NULL, &errmsg);

  sqlite3_free (errmsg);
  if (rc != SQLITE_OK)
    return yg_db_error_set_from_sqlite (error, conn->handle, rc, NULL);
  return TRUE;
}

gboolean
yg_db_conn_begin (YgDbConn *conn, GError **error)
{
  g_return_val_if_fail (!conn->in_transaction, FALSE);
  if (!yg_db_conn_exec (conn, "BEGIN IMMEDIATE", error))
    return FALSE;
  conn->in_transaction = TRUE;
  return TRUE;
}

gboolean
yg_db_conn_commit (YgDbConn *conn, GError **error)
{
  g_return_val_if_fail (conn->in_transaction, FALSE);
  if (!yg_db_conn_exec (conn, "COMMIT", error))
    {
      yg_db_conn_rollback (conn);
      return FALSE;
    }
  conn->in_transaction = FALSE;
  return TRUE;
}

void
yg_db_conn_rollback (YgDbConn *conn)
{
  if (sqlite3_get_autocommit (conn->handle) == 0)
    sqlite3_exec (conn->handle, "ROLLBACK", NULL, NULL, NULL);
  conn->in_transaction = FALSE;
}

gint64
yg_db_conn_last_insert_rowid (YgDbConn *conn)
{
  return sqlite3_last_insert_rowid (conn->handle);
}

int
yg_db_conn_changes (YgDbConn *conn)
{
  return sqlite3_changes (conn->handle);
}

char *
yg_db_column_dup (sqlite3_stmt *stmt, int col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

/**
 * yg_db_conn_get_by_id:
 * @sql: a query whose ?1 is the id
 * @from_row: makes the value from the current row
 * @what: for the message: "lecturer"
 *
 * Returns: (transfer full): the value of the first row, or %NULL with
 *   YG_DB_ERROR_NOT_FOUND ("No lecturer 7") or another error
 */
gpointer
yg_db_conn_get_by_id (YgDbConn *conn, const char *sql, gint64 id, YgDbRowFunc from_row,
                      const char *what, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn, sql, error);
  gpointer value = NULL;
  int rc;

  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, id);
  rc = yg_db_conn_step (conn, s, error);
  if (rc == SQLITE_ROW)
    value = from_row (s);
  else if (rc == SQLITE_DONE)
    g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No %s %" G_GINT64_FORMAT, what, id);
  sqlite3_reset (s);
  return value;
}

/**
 * yg_db_conn_collect:
 * @stmt: a bound query
 * @from_row: makes one element from the current row
 * @free_func: frees an element
 *
 * Returns: (transfer full): every row's value, or %NULL with @error
 */
GPtrArray *
yg_db_conn_collect (YgDbConn *conn, sqlite3_stmt *stmt, YgDbRowFunc from_row,
                    GDestroyNotify free_func, GError **error)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (free_func);
  int rc;

  while ((rc = yg_db_conn_step (conn, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (list, from_row (stmt));
  return rc < 0 ? NULL : g_steal_pointer (&list);
}

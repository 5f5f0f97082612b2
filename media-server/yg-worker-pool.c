/* yg-worker-pool.c: `serve` runs N local `yunguan worker` processes.
 *
 * Each worker gets its own bearer token (role worker, named after its slot
 * and our pid, expiring after a day, revoked at shutdown) passed through the
 * environment, never argv. A worker that exits while the server runs is
 * restarted with backoff (1 s doubling to 30 s, reset after a minute of
 * good health) and the jobs it held are requeued at once instead of
 * waiting for their lease to expire. Workers die with the server (parent
 * death signal); at start, workers' tokens left by an earlier run are
 * revoked and their jobs requeued. At shutdown workers get SIGTERM, then
 * SIGKILL after 5 s. Thread: main thread (DB calls are sync here: they
 * happen at start, on a worker's death and at stop, never per request).
 */
#define G_LOG_DOMAIN "yg-jobs"

#include "yg-worker-pool.h"

#include <gio/gio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "yg-job-store.h"
#include "yg-principal.h"
#include "yg-token-store.h"

typedef struct
{
  YgWorkerPool *pool;
  guint slot;
  char *name;
  char *token;
  gint64 token_id;
  GSubprocess *proc;
  GCancellable *cancel;
  guint backoff_s;
  gint64 started_us;
  guint restart_id;
} Slot;

struct _YgWorkerPool
{
  YgDb *db;
  char *self_exe;
  char *data_dir;
  char *server_url;
  char *transcode_memory; /* bytes, as the worker's flag value */
  GPtrArray *slots;
  gboolean stopping;
  guint64 restarts;
};

static void spawn (Slot *s);

typedef struct
{
  const char *name;
  char *token;
  gint64 id;
} TokenArgs;

static gpointer
create_token (YgDbConn *conn, gpointer data, GError **error)
{
  TokenArgs *a = data;
  g_autoptr (YgPrincipal) p = NULL;

  a->token = yg_token_store_create (conn, YG_ROLE_WORKER, a->name,
                                    g_get_real_time () / G_USEC_PER_SEC + 86400, error);
  if (a->token == NULL)
    return NULL;
  p = yg_token_store_lookup (conn, a->token, error);
  if (p == NULL)
    return NULL;
  a->id = p->token_id;
  return a;
}

static gpointer
revoke_token (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_token_store_revoke (conn, *(gint64 *) data, error) ? data : NULL;
}

static gpointer
release_jobs (YgDbConn *conn, gpointer token_id, GError **error)
{
  g_autofree char *owner = g_strdup_printf ("%" G_GINT64_FORMAT, *(gint64 *) token_id);
  guint n = yg_job_store_release_owner (conn, owner, error);
  return GUINT_TO_POINTER (n + 1);
}

/* Local workers of an earlier run that ended without stopping them (crash,
 * kill -9): their tokens are revoked and their jobs requeued at once. */
static gpointer
reclaim_stale (YgDbConn *conn, gpointer data, GError **error)
{
  g_autoptr (GArray) ids = yg_token_store_active_ids (conn, YG_ROLE_WORKER, "worker-", error);
  guint jobs = 0;

  if (ids == NULL)
    return NULL;
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      g_autofree char *owner = g_strdup_printf ("%" G_GINT64_FORMAT, id);
      jobs += yg_job_store_reclaim_owner (conn, owner, NULL); /* not the jobs' fault */
      yg_token_store_revoke (conn, id, NULL);
    }
  return GUINT_TO_POINTER (jobs + 1);
}

static void
die_with_server (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
  signal (SIGPIPE, SIG_DFL); /* the server ignores it (yg-listener.c) */
}

static gboolean
respawn (gpointer data)
{
  Slot *s = data;

  s->restart_id = 0;
  spawn (s);
  return G_SOURCE_REMOVE;
}

static void
exited (GObject *source, GAsyncResult *res, gpointer data)
{
  Slot *s = data;
  g_autoptr (GError) error = NULL;
  gpointer n;

  if (!g_subprocess_wait_finish (G_SUBPROCESS (source), res, &error))
    return; /* cancelled: the pool is being freed */
  g_clear_object (&s->proc);
  if (s->pool->stopping)
    return;

  n = yg_db_run_sync (s->pool->db, release_jobs, &s->token_id, NULL);
  g_warning ("worker %s exited unexpectedly; %u job(s) requeued; restarting in %u s", s->name,
             n ? GPOINTER_TO_UINT (n) - 1 : 0, s->backoff_s);
  s->pool->restarts++;
  if (g_get_monotonic_time () - s->started_us > 60 * G_USEC_PER_SEC)
    s->backoff_s = 1;
  s->restart_id = g_timeout_add_seconds (s->backoff_s, respawn, s);
  s->backoff_s = MIN (s->backoff_s * 2, 30);
}

static void
spawn (Slot *s)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "YUNGUAN_WORKER_TOKEN", s->token, TRUE);
  /* A worker never outlives its server, even one killed with SIGKILL. */
  g_subprocess_launcher_set_child_setup (launcher, die_with_server, NULL, NULL);
  s->proc = g_subprocess_launcher_spawn (launcher, &error, s->pool->self_exe, "worker", "--data",
                                         s->pool->data_dir, "--server", s->pool->server_url,
                                         "--name", s->name, "--transcode-memory",
                                         s->pool->transcode_memory, NULL);
  if (s->proc == NULL)
    {
      g_warning ("cannot start worker %s: %s; retrying in %u s", s->name, error->message,
                 s->backoff_s);
      s->restart_id = g_timeout_add_seconds (s->backoff_s, respawn, s);
      s->backoff_s = MIN (s->backoff_s * 2, 30);
      return;
    }
  s->started_us = g_get_monotonic_time ();
  g_subprocess_wait_async (s->proc, s->cancel, exited, s);
}

/**
 * yg_worker_pool_new:
 * @server_url: where the workers reach this server, e.g. http://127.0.0.1:8080
 *
 * Returns: (transfer full): a pool, not started
 */
YgWorkerPool *
yg_worker_pool_new (YgDb *db, const char *self_exe, const char *data_dir, const char *server_url,
                    guint n_workers, guint64 transcode_memory)
{
  YgWorkerPool *pool = g_new0 (YgWorkerPool, 1);

  pool->db = g_object_ref (db);
  pool->self_exe = g_strdup (self_exe);
  pool->data_dir = g_strdup (data_dir);
  pool->server_url = g_strdup (server_url);
  pool->transcode_memory = g_strdup_printf ("%" G_GUINT64_FORMAT, transcode_memory);
  pool->slots = g_ptr_array_new ();
  for (guint i = 0; i < n_workers; i++)
    {
      Slot *s = g_new0 (Slot, 1);
      s->pool = pool;
      s->slot = i;
      s->name = g_strdup_printf ("worker-%u-%d", i + 1, (int) getpid ());
      s->cancel = g_cancellable_new ();
      s->backoff_s = 1;
      g_ptr_array_add (pool->slots, s);
    }
  return pool;
}

gboolean
yg_worker_pool_start (YgWorkerPool *pool, GError **error)
{
  gpointer reclaimed = yg_db_run_sync (pool->db, reclaim_stale, NULL, error);

  if (reclaimed == NULL)
    return FALSE;
  if (GPOINTER_TO_UINT (reclaimed) > 1)
    g_message ("requeued %u job(s) left running by workers of an earlier run",
               GPOINTER_TO_UINT (reclaimed) - 1);
  for (guint i = 0; i < pool->slots->len; i++)
    {
      Slot *s = pool->slots->pdata[i];
      TokenArgs args = { s->name, NULL, 0 };

      if (yg_db_run_sync (pool->db, create_token, &args, error) == NULL)
        return FALSE;
      s->token = args.token;
      s->token_id = args.id;
      spawn (s);
    }
  if (pool->slots->len > 0)
    g_message ("started %u worker(s)", pool->slots->len);
  return TRUE;
}

guint
yg_worker_pool_get_running (YgWorkerPool *pool)
{
  guint n = 0;

  for (guint i = 0; i < pool->slots->len; i++)
    n += ((Slot *) pool->slots->pdata[i])->proc != NULL;
  return n;
}

guint64
yg_worker_pool_get_restarts (YgWorkerPool *pool)
{
  return pool->restarts;
}

/* Stops every worker (TERM, then KILL after 5 s) and revokes their tokens. */
void
yg_worker_pool_free (YgWorkerPool *pool)
{
  gint64 give_up = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  if (pool == NULL)
    return;
  pool->stopping = TRUE;
  for (guint i = 0; i < pool->slots->len; i++)
    {
      Slot *s = pool->slots->pdata[i];
      if (s->restart_id != 0)
        g_source_remove (s->restart_id);
      if (s->proc != NULL)
        g_subprocess_send_signal (s->proc, SIGTERM);
    }
  /* exited() clears s->proc as each one goes; give them a moment. */
  while (yg_worker_pool_get_running (pool) > 0 && g_get_monotonic_time () < give_up)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (20 * 1000);
  for (guint i = 0; i < pool->slots->len; i++)
    {
      Slot *s = pool->slots->pdata[i];
      g_cancellable_cancel (s->cancel);
      if (s->proc != NULL)
        {
          g_warning ("worker %s did not stop in time; killing it", s->name);
          g_subprocess_force_exit (s->proc);
          g_subprocess_wait (s->proc, NULL, NULL);
        }
      if (s->token_id != 0)
        yg_db_run_sync (pool->db, revoke_token, &s->token_id, NULL);
      g_clear_object (&s->proc);
      g_object_unref (s->cancel);
      g_free (s->name);
      g_free (s->token);
      g_free (s);
    }
  g_ptr_array_unref (pool->slots);
  g_object_unref (pool->db);
  g_free (pool->self_exe);
  g_free (pool->data_dir);
  g_free (pool->server_url);
  g_free (pool->transcode_memory);
  g_free (pool);
}

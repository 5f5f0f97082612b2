/* jobs-test.c: the job store (catalog/yg-job-store.c) on a real SQLite file.
 *
 * Each test gets a fresh temporary directory with a YgDb opened on
 * "catalog.db" in it; every store call runs on the DB thread through
 * yg_db_run_sync, exactly as the server calls it. Covered: the whole life of
 * a job (enqueue → lease → heartbeat → publish → complete) and the item that
 * follows it; lease ownership (another owner is refused with
 * YG_DB_ERROR_CONSTRAINT); expired leases taken back with a backoff and the
 * old owner locked out; retryable failures until max_attempts; non-retryable
 * failures; release of a dead owner's leases; cancel and retry from every
 * state (table-driven); one active job per item; the backoff table; lease
 * order; listing by state. Time is never waited for: lease_expires_at and
 * not_before are moved with SQL instead. Suite: db.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "yg-test-util.h"
#include "yg-db.h"
#include "yg-item-store.h"
#include "yg-job-store.h"
#include "yg-secret.h"

#define LEASE 60

/* --- fixture ------------------------------------------------------------- */

typedef struct
{
  char *tmp; /* removed recursively in teardown */
  YgDb *db;
} Fixture;


static void
fixture_setup (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  f->tmp = g_dir_make_tmp ("yg-jobs-test-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->tmp, "catalog.db", NULL);
  f->db = yg_db_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->db);
}

static gpointer
noop_func (YgDbConn *conn, gpointer data, GError **error)
{
  return NULL;
}

static void
fixture_teardown (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  /* Let the DB thread finish before the last reference goes. */
  g_assert_null (yg_db_run_sync (f->db, noop_func, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&f->db);
  yg_test_rm_rf (f->tmp);
  g_assert_false (g_file_test (f->tmp, G_FILE_TEST_EXISTS));
  g_free (f->tmp);
}

/* --- store calls on the DB thread ------------------------------------------ */

typedef enum
{
  OP_INSERT_ITEM,
  OP_ENQUEUE,
  OP_LEASE,
  OP_HEARTBEAT,
  OP_PUBLISH,
  OP_COMPLETE,
  OP_FAIL,
  OP_CANCEL,
  OP_RETRY,
  OP_REQUEUE_EXPIRED,
  OP_RELEASE_OWNER,
  OP_RECLAIM_OWNER,
  OP_GET_JOB,
  OP_GET_ITEM,
  OP_LIST,
  OP_EXEC,
  OP_QUERY_INT,
} Op;

/* One call: the arguments the op uses, and its results. */
typedef struct
{
  Op op;
  gint64 job_id;
  const char *item_id;
  const char *owner;
  const char *text;    /* kind, role, code, SQL, state */
  const char *text2;   /* path, message */
  double number;       /* progress, duration */
  gint64 size;
  gboolean flag;       /* retryable */
  /* results */
  gint64 out_id;
  guint out_count;
  char *out_str;
  YgJob *out_job;
  YgItem *out_item;
  GPtrArray *out_list;
} Call;

static gpointer
call_func (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;
  gboolean ok = FALSE;
  GError *local = NULL;

  switch (c->op)
    {
    case OP_INSERT_ITEM:
      c->out_str = yg_item_store_insert (conn, NULL, c->text, c->text2, "", error);
      ok = c->out_str != NULL;
      break;
    case OP_ENQUEUE:
      c->out_id = yg_job_store_enqueue (conn, c->item_id, error);
      ok = c->out_id > 0;
      break;
    case OP_LEASE:
      c->out_job = yg_job_store_lease (conn, c->owner, LEASE, error);
      ok = c->out_job != NULL;
      break;
    case OP_HEARTBEAT:
      ok = yg_job_store_heartbeat (conn, c->job_id, c->owner, c->number, LEASE, error);
      break;
    case OP_PUBLISH:
      ok = yg_job_store_publish_file (conn, c->job_id, c->owner, c->text, c->text2, c->size, error);
      break;
    case OP_COMPLETE:
      ok = yg_job_store_complete (conn, c->job_id, c->owner, c->number, error);
      break;
    case OP_FAIL:
      ok = yg_job_store_fail (conn, c->job_id, c->owner, c->text, c->text2, c->flag, error);
      break;
    case OP_CANCEL:
      ok = yg_job_store_cancel (conn, c->job_id, error);
      break;
    case OP_RETRY:
      c->out_id = yg_job_store_retry (conn, c->job_id, error);
      ok = c->out_id > 0;
      break;
    case OP_REQUEUE_EXPIRED:
      c->out_count = yg_job_store_requeue_expired (conn, &local);
      ok = local == NULL;
      break;
    case OP_RELEASE_OWNER:
      c->out_count = yg_job_store_release_owner (conn, c->owner, &local);
      ok = local == NULL;
      break;
    case OP_RECLAIM_OWNER:
      c->out_count = yg_job_store_reclaim_owner (conn, c->owner, &local);
      ok = local == NULL;
      break;
    case OP_GET_JOB:
      c->out_job = yg_job_store_get (conn, c->job_id, error);
      ok = c->out_job != NULL;
      break;
    case OP_GET_ITEM:
      c->out_item = yg_item_store_get (conn, c->item_id, error);
      ok = c->out_item != NULL;
      break;
    case OP_LIST:
      c->out_list = yg_job_store_list (conn, c->text, (guint) c->size, error);
      ok = c->out_list != NULL;
      break;
    case OP_EXEC:
      ok = yg_db_conn_exec (conn, c->text, error);
      break;
    case OP_QUERY_INT:
      {
        sqlite3_stmt *stmt = yg_db_conn_prepare (conn, c->text, error);
        int rc = stmt != NULL ? yg_db_conn_step (conn, stmt, error) : -1;
        if (rc == SQLITE_ROW)
          {
            c->out_id = sqlite3_column_int64 (stmt, 0);
            c->out_count = sqlite3_column_type (stmt, 0) == SQLITE_NULL;
            sqlite3_reset (stmt);
            ok = TRUE;
          }
        else if (rc == SQLITE_DONE)
          g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "no row: %s", c->text);
        break;
      }
    }
  if (local != NULL)
    g_propagate_error (error, local);
  return ok ? GINT_TO_POINTER (1) : NULL;
}

static gboolean
run (Fixture *f, Call *c, GError **error)
{
  return yg_db_run_sync (f->db, call_func, c, error) != NULL;
}

/* Runs @c and asserts it succeeded. */
static void
run_ok (Fixture *f, Call *c)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (run (f, c, &error));
  g_assert_no_error (error);
}

/* Runs @c and asserts it failed with YG_DB_ERROR/@code. */
static void
run_refused (Fixture *f, Call *c, int code)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (run (f, c, &error));
  g_assert_error (error, YG_DB_ERROR, code);
  g_test_message ("refused as expected: %s", error->message);
}

static char *
item_new (Fixture *f, const char *title)
{
  Call c = { .op = OP_INSERT_ITEM, .text = "performance", .text2 = title };

  run_ok (f, &c);
  return c.out_str;
}

static gint64
enqueue (Fixture *f, const char *item_id)
{
  Call c = { .op = OP_ENQUEUE, .item_id = item_id };

  run_ok (f, &c);
  return c.out_id;
}

/* An item with a queued job; returns the job id, the item id in @item_id. */
static gint64
job_new (Fixture *f, char **item_id)
{
  *item_id = item_new (f, "新年音乐会");
  return enqueue (f, *item_id);
}

static YgJob *
job_get (Fixture *f, gint64 id)
{
  Call c = { .op = OP_GET_JOB, .job_id = id };

  run_ok (f, &c);
  return c.out_job;
}

static YgItem *
item_get (Fixture *f, const char *id)
{
  Call c = { .op = OP_GET_ITEM, .item_id = id };

  run_ok (f, &c);
  return c.out_item;
}

/* Leases the next job for @owner; asserts there was one. */
static YgJob *
lease (Fixture *f, const char *owner)
{
  Call c = { .op = OP_LEASE, .owner = owner };

  run_ok (f, &c);
  g_assert_nonnull (c.out_job);
  return c.out_job;
}

static void
lease_none (Fixture *f, const char *owner)
{
  Call c = { .op = OP_LEASE, .owner = owner };

  run_refused (f, &c, YG_DB_ERROR_NOT_FOUND);
  g_assert_null (c.out_job);
}

static gboolean
heartbeat (Fixture *f, gint64 id, const char *owner, double progress, GError **error)
{
  Call c = { .op = OP_HEARTBEAT, .job_id = id, .owner = owner, .number = progress };

  return run (f, &c, error);
}

static gboolean
complete (Fixture *f, gint64 id, const char *owner, double duration, GError **error)
{
  Call c = { .op = OP_COMPLETE, .job_id = id, .owner = owner, .number = duration };

  return run (f, &c, error);
}

static gboolean
fail_job (Fixture *f, gint64 id, const char *owner, const char *code, const char *message,
          gboolean retryable, GError **error)
{
  Call c = { .op = OP_FAIL, .job_id = id, .owner = owner, .text = code, .text2 = message,
             .flag = retryable };

  return run (f, &c, error);
}

static gboolean
publish (Fixture *f, gint64 id, const char *owner, const char *role, const char *path, gint64 size,
         GError **error)
{
  Call c = { .op = OP_PUBLISH, .job_id = id, .owner = owner, .text = role, .text2 = path,
             .size = size };

  return run (f, &c, error);
}

static void
exec_sql (Fixture *f, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
exec_sql (Fixture *f, const char *format, ...)
{
  va_list args;
  g_autofree char *sql = NULL;
  Call c = { .op = OP_EXEC };

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  c.text = sql;
  run_ok (f, &c);
}

/* The first column of the first row as an integer; *is_null tells SQL NULL. */
static gint64
query_int (Fixture *f, gboolean *is_null, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gint64
query_int (Fixture *f, gboolean *is_null, const char *format, ...)
{
  va_list args;
  g_autofree char *sql = NULL;
  Call c = { .op = OP_QUERY_INT };

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  c.text = sql;
  run_ok (f, &c);
  if (is_null != NULL)
    *is_null = c.out_count != 0;
  return c.out_id;
}

/* Lets a queued job run now instead of after its backoff. */
static void
skip_backoff (Fixture *f, gint64 id)
{
  exec_sql (f, "UPDATE jobs SET not_before = 0 WHERE id = %" G_GINT64_FORMAT, id);
}

/* Makes a running job's lease look long expired. */
static void
expire_lease (Fixture *f, gint64 id)
{
  exec_sql (f, "UPDATE jobs SET lease_expires_at = 1 WHERE id = %" G_GINT64_FORMAT, id);
}

/* The backoff a queued job was given: not_before − updated_at (both "now"
 * of the same statement). */
static gint64
backoff_of (Fixture *f, gint64 id)
{
  return query_int (f, NULL, "SELECT not_before - updated_at FROM jobs WHERE id = %" G_GINT64_FORMAT,
                    id);
}

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
assert_lease_lost (GError *error)
{
  g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "no longer leased"));
}

/* --- /jobs/store/lifecycle --------------------------------------------------- */

static void
test_lifecycle (Fixture *f, gconstpointer user_data)
{
  g_autofree char *item_id = NULL;
  g_autofree char *master = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (YgJob) queued = NULL;
  g_autoptr (YgJob) leased = NULL;
  g_autoptr (YgJob) after_hb = NULL;
  g_autoptr (YgJob) done = NULL;
  g_autoptr (YgItem) before = NULL;
  g_autoptr (YgItem) processing = NULL;
  g_autoptr (YgItem) ready = NULL;
  gint64 id = job_new (f, &item_id), t0, t1;
  gboolean is_null;

  queued = job_get (f, id);
  g_assert_cmpint (queued->id, ==, id);
  g_assert_cmpstr (queued->item_id, ==, item_id);
  g_assert_cmpstr (queued->state, ==, "queued");
  g_assert_cmpint (queued->attempts, ==, 0);
  g_assert_cmpint (queued->max_attempts, ==, 3);
  g_assert_null (queued->lease_owner);
  before = item_get (f, item_id);
  g_assert_cmpstr (before->status, ==, "processing");
  g_assert_false (before->has_master);
  g_assert_cmpfloat (before->duration, <, 0);

  /* Owner A takes it. */
  t0 = now_s ();
  leased = lease (f, "worker-a");
  t1 = now_s ();
  g_assert_cmpint (leased->id, ==, id);
  g_assert_cmpstr (leased->item_id, ==, item_id);
  g_assert_cmpstr (leased->state, ==, "running");
  g_assert_cmpint (leased->attempts, ==, 1);
  g_assert_cmpstr (leased->lease_owner, ==, "worker-a");
  g_assert_cmpint (leased->lease_expires_at, >=, t0 + LEASE);
  g_assert_cmpint (leased->lease_expires_at, <=, t1 + LEASE);
  g_assert_cmpfloat (leased->progress, ==, 0.0);

  /* Nothing else is waiting. */
  lease_none (f, "worker-b");

  /* Heartbeats: A's lands, B's is refused and changes nothing. */
  g_assert_true (heartbeat (f, id, "worker-a", 0.25, &error));
  g_assert_no_error (error);
  g_assert_false (heartbeat (f, id, "worker-b", 0.75, &error));
  assert_lease_lost (error);
  g_clear_error (&error);
  after_hb = job_get (f, id);
  g_assert_cmpfloat (after_hb->progress, ==, 0.25);
  g_assert_cmpstr (after_hb->lease_owner, ==, "worker-a");
  g_assert_cmpstr (after_hb->state, ==, "running");

  /* A heartbeat extends the lease by a full lease period from now. */
  exec_sql (f, "UPDATE jobs SET lease_expires_at = %" G_GINT64_FORMAT " WHERE id = %" G_GINT64_FORMAT,
            now_s () + 2, id);
  t0 = now_s ();
  g_assert_true (heartbeat (f, id, "worker-a", 0.25, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (f, NULL, "SELECT lease_expires_at FROM jobs WHERE id = %" G_GINT64_FORMAT, id),
                   >=, t0 + LEASE);

  /* Progress is clamped to 0..1. */
  g_assert_true (heartbeat (f, id, "worker-a", 7.0, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (query_int (f, NULL, "SELECT progress * 100 FROM jobs WHERE id = %" G_GINT64_FORMAT, id),
                     ==, 100);
  g_assert_true (heartbeat (f, id, "worker-a", 0.5, &error));
  g_assert_no_error (error);

  /* Publishing: refused for B, recorded for A. */
  master = g_strdup_printf ("media/%s/master.m3u8", item_id);
  g_assert_false (publish (f, id, "worker-b", "master", master, 321, &error));
  assert_lease_lost (error);
  g_clear_error (&error);
  g_assert_cmpint (query_int (f, NULL, "SELECT count(*) FROM item_files WHERE item_id = '%s'", item_id),
                   ==, 0);
  g_assert_true (publish (f, id, "worker-a", "master", master, 321, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (f, NULL,
                              "SELECT size FROM item_files WHERE item_id = '%s' AND role = 'master'"
                              " AND path = 'media/%s/master.m3u8'",
                              item_id, item_id),
                   ==, 321);
  /* Publishing the same role again replaces the row; a NULL size is allowed. */
  g_assert_true (publish (f, id, "worker-a", "master", master, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (f, NULL, "SELECT count(*) FROM item_files WHERE item_id = '%s'", item_id),
                   ==, 1);
  query_int (f, &is_null, "SELECT size FROM item_files WHERE item_id = '%s'", item_id);
  g_assert_true (is_null);
  processing = item_get (f, item_id);
  g_assert_true (processing->has_master);
  g_assert_false (processing->has_poster);
  g_assert_cmpstr (processing->status, ==, "processing");

  /* B cannot complete it; A can. */
  g_assert_false (complete (f, id, "worker-b", 99.0, &error));
  assert_lease_lost (error);
  g_clear_error (&error);
  g_assert_true (complete (f, id, "worker-a", 12.5, &error));
  g_assert_no_error (error);

  done = job_get (f, id);
  g_assert_cmpstr (done->state, ==, "done");
  g_assert_cmpfloat (done->progress, ==, 1.0);
  g_assert_null (done->lease_owner);
  g_assert_null (done->error_code);
  g_assert_cmpint (done->attempts, ==, 1);
  ready = item_get (f, item_id);
  g_assert_cmpstr (ready->status, ==, "ready");
  g_assert_cmpfloat (ready->duration, ==, 12.5);
  g_assert_true (ready->has_master);
  g_assert_null (ready->error_code);
  g_assert_null (ready->error_message);

  /* A finished job belongs to nobody: every report is refused now. */
  g_assert_false (heartbeat (f, id, "worker-a", 0.9, &error));
  assert_lease_lost (error);
  g_clear_error (&error);
  g_assert_false (complete (f, id, "worker-a", 1.0, &error));
  assert_lease_lost (error);
  g_clear_error (&error);
  g_assert_false (fail_job (f, id, "worker-a", "late", "Too late", TRUE, &error));
  assert_lease_lost (error);
  g_clear_error (&error);
  lease_none (f, "worker-a");
  {
    g_autoptr (YgItem) still = item_get (f, item_id);
    g_assert_cmpstr (still->status, ==, "ready");
    g_assert_cmpfloat (still->duration, ==, 12.5);
  }
}

/* A worker may only attach files directly in media/<its job's item>/. */
static void
test_publish_outside_item (Fixture *f, gconstpointer user_data)
{
  g_autofree char *mine = NULL;
  g_autofree char *theirs = item_new (f, "Someone else's");
  gint64 id = job_new (f, &mine);
  g_autofree char *their_master = g_strdup_printf ("media/%s/master.m3u8", theirs);
  g_autofree char *dot = g_strdup_printf ("media/%s/./master.m3u8", mine);
  g_autofree char *dotdot = g_strdup_printf ("media/%s/../%s/master.m3u8", mine, theirs);
  g_autofree char *nested = g_strdup_printf ("media/%s/720p/index.m3u8", mine);
  g_autofree char *own = g_strdup_printf ("media/%s/master.m3u8", mine);
  const char *paths[] = { their_master, dot, dotdot, nested, "media/stray.m3u8",
                          "originals/x/original.mp4", "/etc/passwd" };
  g_autoptr (GString) accepted = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  {
    g_autoptr (YgJob) j = lease (f, "worker-a");
    g_assert_cmpint (j->id, ==, id);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (GError) local = NULL;
      if (publish (f, id, "worker-a", "master", paths[i], 10, &local))
        g_string_append_printf (accepted, " %s", paths[i]);
      else
        {
          /* Refused by the catalogue (the exact code is the store's choice). */
          g_assert_nonnull (local);
          g_assert_true (local->domain == YG_DB_ERROR);
          g_assert_cmpint (local->code, !=, YG_DB_ERROR_FAILED);
          g_test_message ("refused %s: %s", paths[i], local->message);
        }
    }
  if (accepted->len > 0)
    {
      g_autofree char *msg = g_strdup_printf (
        "BUG catalog/yg-job-store.c yg_job_store_publish_file: records paths outside "
        "media/<job item>/:%s; check the path against the leased item in the transaction",
        accepted->str);
      g_test_incomplete (msg);
      return;
    }
  g_assert_cmpint (query_int (f, NULL, "SELECT count(*) FROM item_files"), ==, 0);
  g_assert_true (publish (f, id, "worker-a", "master", own, 10, &error));
  g_assert_no_error (error);
}

/* --- /jobs/store/lease-empty -------------------------------------------------- */

static void
test_lease_empty (Fixture *f, gconstpointer user_data)
{
  g_autofree char *item_id = NULL;
  g_autoptr (GError) error = NULL;
  gint64 id;

  /* An empty table. */
  lease_none (f, "worker-a");

  /* Only a job that must wait for its backoff. */
  id = job_new (f, &item_id);
  exec_sql (f, "UPDATE jobs SET not_before = %" G_GINT64_FORMAT " WHERE id = %" G_GINT64_FORMAT,
            now_s () + 3600, id);
  lease_none (f, "worker-a");

  /* Only a finished job. */
  skip_backoff (f, id);
  {
    g_autoptr (YgJob) j = lease (f, "worker-a");
    g_assert_cmpint (j->id, ==, id);
  }
  g_assert_true (complete (f, id, "worker-a", 3.0, &error));
  g_assert_no_error (error);
  lease_none (f, "worker-a");

  /* A job id that does not exist. */
  {
    Call c = { .op = OP_GET_JOB, .job_id = 424242 };
    run_refused (f, &c, YG_DB_ERROR_NOT_FOUND);
  }
}

/* --- /jobs/store/lease-order ---------------------------------------------------- */

static void
test_lease_order (Fixture *f, gconstpointer user_data)
{
  g_autofree char *a = NULL, *b = NULL, *c = NULL;
  gint64 ja = job_new (f, &a), jb = job_new (f, &b), jc = job_new (f, &c);

  /* The oldest job that may run goes first; one in backoff is passed over. */
  exec_sql (f, "UPDATE jobs SET not_before = %" G_GINT64_FORMAT " WHERE id = %" G_GINT64_FORMAT,
            now_s () + 3600, ja);
  {
    g_autoptr (YgJob) first = lease (f, "w1");
    g_autoptr (YgJob) second = lease (f, "w2");
    g_assert_cmpint (first->id, ==, jb);
    g_assert_cmpint (second->id, ==, jc);
    g_assert_cmpstr (second->lease_owner, ==, "w2");
  }
  lease_none (f, "w3");
  skip_backoff (f, ja);
  {
    g_autoptr (YgJob) third = lease (f, "w3");
    g_assert_cmpint (third->id, ==, ja);
  }
}

/* --- /jobs/store/lease-expiry --------------------------------------------------- */

static void
test_lease_expiry (Fixture *f, gconstpointer user_data)
{
  g_autofree char *item_id = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (YgJob) first = NULL;
  g_autoptr (YgJob) requeued = NULL;
  g_autoptr (YgJob) second = NULL;
  g_autoptr (YgJob) final = NULL;
  g_autoptr (YgItem) item = NULL;
  gint64 id = job_new (f, &item_id);

  first = lease (f, "worker-a");
  g_assert_cmpint (first->attempts, ==, 1);
  g_assert_true (heartbeat (f, id, "worker-a", 0.4, &error));
  g_assert_no_error (error);

  /* A stops heart-beating; its lease runs out. The next lease call takes
   * the job back, but with a backoff, so B does not get it yet. */
  expire_lease (f, id);
  lease_none (f, "worker-b");
  requeued = job_get (f, id);
  g_assert_cmpstr (requeued->state, ==, "queued");
  g_assert_null (requeued->lease_owner);
  g_assert_cmpstr (requeued->error_code, ==, "worker_lost");
  g_assert_nonnull (requeued->error_message);
  g_assert_cmpint (requeued->attempts, ==, 1);
  g_assert_cmpint (backoff_of (f, id), ==, yg_job_backoff_seconds (1));
  g_assert_cmpint (query_int (f, NULL, "SELECT not_before FROM jobs WHERE id = %" G_GINT64_FORMAT, id),
                   >, now_s ());
  /* The item is still on its way. */
  item = item_get (f, item_id);
  g_assert_cmpstr (item->status, ==, "processing");
  /* Repeating the lease call changes nothing while the backoff lasts. */
  lease_none (f, "worker-b");

  /* Once the backoff has passed, B gets it as attempt 2. */
  skip_backoff (f, id);
  second = lease (f, "worker-b");
  g_assert_cmpint (second->id, ==, id);
  g_assert_cmpint (second->attempts, ==, 2);
  g_assert_cmpstr (second->lease_owner, ==, "worker-b");
  g_assert_cmpfloat (second->progress, ==, 0.0);

  /* A comes back from the dead: everything it says is refused. */
  g_assert_false (heartbeat (f, id, "worker-a", 0.9, &error));
  assert_lease_lost (error);
  g_clear_error (&error);
  g_assert_false (publish (f, id, "worker-a", "master", "media/x/master.m3u8", 1, &error));
  assert_lease_lost (error);
  g_clear_error (&error);
  g_assert_false (complete (f, id, "worker-a", 5.0, &error));
  assert_lease_lost (error);
  g_clear_error (&error);
  g_assert_false (fail_job (f, id, "worker-a", "crashed", "Crashed", FALSE, &error));
  assert_lease_lost (error);
  g_clear_error (&error);
  {
    g_autoptr (YgJob) mid = job_get (f, id);
    g_assert_cmpstr (mid->state, ==, "running");
    g_assert_cmpstr (mid->lease_owner, ==, "worker-b");
    g_assert_cmpfloat (mid->progress, ==, 0.0);
  }

  /* B finishes normally; the worker_lost note is cleared. */
  g_assert_true (complete (f, id, "worker-b", 7.0, &error));
  g_assert_no_error (error);
  final = job_get (f, id);
  g_assert_cmpstr (final->state, ==, "done");
  g_assert_null (final->error_code);
  {
    g_autoptr (YgItem) ready = item_get (f, item_id);
    g_assert_cmpstr (ready->status, ==, "ready");
  }
}

/* requeue_expired on its own: only expired leases are taken back. */
static void
test_requeue_expired (Fixture *f, gconstpointer user_data)
{
  g_autofree char *a = NULL, *b = NULL;
  gint64 ja = job_new (f, &a), jb = job_new (f, &b);
  Call requeue = { .op = OP_REQUEUE_EXPIRED };

  g_autoptr (YgJob) la = lease (f, "worker-a");
  g_autoptr (YgJob) lb = lease (f, "worker-b");
  g_assert_cmpint (la->id, ==, ja);
  g_assert_cmpint (lb->id, ==, jb);

  run_ok (f, &requeue);
  g_assert_cmpuint (requeue.out_count, ==, 0);

  expire_lease (f, ja);
  run_ok (f, &requeue);
  g_assert_cmpuint (requeue.out_count, ==, 1);
  {
    g_autoptr (YgJob) ra = job_get (f, ja);
    g_autoptr (YgJob) rb = job_get (f, jb);
    g_assert_cmpstr (ra->state, ==, "queued");
    g_assert_cmpstr (rb->state, ==, "running");
    g_assert_cmpstr (rb->lease_owner, ==, "worker-b");
  }
  run_ok (f, &requeue);
  g_assert_cmpuint (requeue.out_count, ==, 0);
}

/* A lease that expires on the last attempt fails the job and its item. */
static void
test_lease_expiry_exhausted (Fixture *f, gconstpointer user_data)
{
  g_autofree char *item_id = NULL;
  g_autoptr (YgJob) failed = NULL;
  g_autoptr (YgItem) item = NULL;
  gint64 id = job_new (f, &item_id);

  for (int attempt = 1; attempt <= 3; attempt++)
    {
      g_autoptr (YgJob) j = lease (f, "worker-a");
      g_assert_cmpint (j->id, ==, id);
      g_assert_cmpint (j->attempts, ==, attempt);
      expire_lease (f, id);
      lease_none (f, "worker-b");
      if (attempt < 3)
        {
          g_autoptr (YgJob) q = job_get (f, id);
          g_assert_cmpstr (q->state, ==, "queued");
          skip_backoff (f, id);
        }
    }
  failed = job_get (f, id);
  g_assert_cmpstr (failed->state, ==, "failed");
  g_assert_cmpstr (failed->error_code, ==, "worker_lost");
  g_assert_null (failed->lease_owner);
  item = item_get (f, item_id);
  g_assert_cmpstr (item->status, ==, "failed");
  g_assert_cmpstr (item->error_code, ==, "worker_lost");
  g_assert_nonnull (item->error_message);
  skip_backoff (f, id);
  lease_none (f, "worker-b");
}

/* --- /jobs/store/retries-exhausted ---------------------------------------------- */

static void
test_retries_exhausted (Fixture *f, gconstpointer user_data)
{
  g_autofree char *item_id = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (YgJob) last = NULL;
  g_autoptr (YgItem) item = NULL;
  gint64 id = job_new (f, &item_id);

  for (int attempt = 1; attempt <= 3; attempt++)
    {
      g_autoptr (YgJob) j = lease (f, "worker-a");
      g_autoptr (YgJob) after = NULL;
      g_autoptr (YgItem) it = NULL;
      g_autofree char *message = g_strdup_printf ("Encoder timed out (attempt %d)", attempt);

      g_assert_cmpint (j->id, ==, id);
      g_assert_cmpint (j->attempts, ==, attempt);
      g_assert_true (fail_job (f, id, "worker-a", "timeout", message, TRUE, &error));
      g_assert_no_error (error);
      after = job_get (f, id);
      it = item_get (f, item_id);
      g_assert_null (after->lease_owner);
      g_assert_cmpstr (after->error_code, ==, "timeout");
      g_assert_cmpstr (after->error_message, ==, message);
      if (attempt < 3)
        {
          /* Queued again after 10 s, then 20 s; the item waits. */
          g_assert_cmpstr (after->state, ==, "queued");
          g_assert_cmpint (backoff_of (f, id), ==, yg_job_backoff_seconds (attempt));
          g_assert_cmpstr (it->status, ==, "processing");
          g_assert_null (it->error_code);
          lease_none (f, "worker-a");
          skip_backoff (f, id);
        }
      else
        {
          g_assert_cmpstr (after->state, ==, "failed");
          g_assert_cmpint (after->attempts, ==, 3);
        }
    }
  item = item_get (f, item_id);
  g_assert_cmpstr (item->status, ==, "failed");
  g_assert_cmpstr (item->error_code, ==, "timeout");
  g_assert_cmpstr (item->error_message, ==, "Encoder timed out (attempt 3)");
  skip_backoff (f, id);
  lease_none (f, "worker-a");

  /* A failed job is not the worker's any more. */
  g_assert_false (fail_job (f, id, "worker-a", "timeout", "again", TRUE, &error));
  assert_lease_lost (error);
}

static void
test_fail_not_retryable (Fixture *f, gconstpointer user_data)
{
  g_autofree char *item_id = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (YgJob) leased = NULL;
  g_autoptr (YgJob) failed = NULL;
  g_autoptr (YgItem) item = NULL;
  const char *message = "这不是视频文件 (not a video file)";
  gint64 id = job_new (f, &item_id);

  leased = lease (f, "worker-a");
  g_assert_cmpint (leased->attempts, ==, 1);
  g_assert_true (fail_job (f, id, "worker-a", "unsupported_format", message, FALSE, &error));
  g_assert_no_error (error);

  failed = job_get (f, id);
  g_assert_cmpstr (failed->state, ==, "failed");
  g_assert_cmpint (failed->attempts, ==, 1); /* two attempts left, but not worth it */
  g_assert_cmpstr (failed->error_code, ==, "unsupported_format");
  g_assert_cmpstr (failed->error_message, ==, message);
  item = item_get (f, item_id);
  g_assert_cmpstr (item->status, ==, "failed");
  g_assert_cmpstr (item->error_code, ==, "unsupported_format");
  g_assert_cmpstr (item->error_message, ==, message);
  skip_backoff (f, id);
  lease_none (f, "worker-b");
}

/* --- /jobs/store/reclaim-owner -------------------------------------------------- */

/* Workers that died with the server: their jobs come back without losing an
 * attempt, however often it happens (a job with 3 attempts, 5 restarts). */
static void
test_reclaim_owner (Fixture *f, gconstpointer user_data)
{
  g_autofree char *a = NULL;
  gint64 ja = job_new (f, &a);
  Call reclaim = { .op = OP_RECLAIM_OWNER, .owner = "worker-of-last-run" };

  for (guint i = 0; i < 5; i++)
    {
      g_autoptr (YgJob) l = NULL;
      g_autoptr (YgJob) j = NULL;
      run_ok (f, &(Call){ .op = OP_EXEC, .text = "UPDATE jobs SET not_before = 0" });
      l = lease (f, "worker-of-last-run");
      g_assert_cmpint (l->id, ==, ja);
      g_assert_cmpint (l->attempts, ==, 1);
      run_ok (f, &reclaim);
      g_assert_cmpuint (reclaim.out_count, ==, 1);
      j = job_get (f, ja);
      g_assert_cmpstr (j->state, ==, "queued");
      g_assert_cmpint (j->attempts, ==, 0);
      g_assert_null (j->lease_owner);
    }
  {
    g_autoptr (YgItem) item = NULL;
    Call get = { .op = OP_GET_ITEM, .item_id = a };
    run_ok (f, &get);
    item = get.out_item;
    g_assert_cmpstr (item->status, !=, "failed");
  }
}

/* --- /jobs/store/release-owner -------------------------------------------------- */

static void
test_release_owner (Fixture *f, gconstpointer user_data)
{
  g_autofree char *a = NULL, *b = NULL, *c = NULL;
  gint64 ja = job_new (f, &a), jb = job_new (f, &b), jc = job_new (f, &c);
  Call release = { .op = OP_RELEASE_OWNER, .owner = "worker-dead" };
  Call nobody = { .op = OP_RELEASE_OWNER, .owner = "worker-never-seen" };
  g_autoptr (GError) error = NULL;

  g_autoptr (YgJob) l1 = lease (f, "worker-dead");
  g_autoptr (YgJob) l2 = lease (f, "worker-alive");
  g_autoptr (YgJob) l3 = lease (f, "worker-dead");
  g_assert_cmpint (l1->id, ==, ja);
  g_assert_cmpint (l2->id, ==, jb);
  g_assert_cmpint (l3->id, ==, jc);

  /* The leases are fresh (60 s to go), yet both of the dead owner's jobs
   * come back at once; the live owner's job is untouched. */
  run_ok (f, &release);
  g_assert_cmpuint (release.out_count, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (YgJob) j = job_get (f, i == 0 ? ja : jc);
      g_assert_cmpstr (j->state, ==, "queued");
      g_assert_null (j->lease_owner);
      g_assert_cmpstr (j->error_code, ==, "worker_lost");
    }
  {
    g_autoptr (YgJob) alive = job_get (f, jb);
    g_assert_cmpstr (alive->state, ==, "running");
    g_assert_cmpstr (alive->lease_owner, ==, "worker-alive");
  }
  g_assert_true (heartbeat (f, jb, "worker-alive", 0.3, &error));
  g_assert_no_error (error);
  g_assert_false (heartbeat (f, ja, "worker-dead", 0.3, &error));
  assert_lease_lost (error);
  g_clear_error (&error);

  run_ok (f, &nobody);
  g_assert_cmpuint (nobody.out_count, ==, 0);
  run_ok (f, &release); /* idempotent */
  g_assert_cmpuint (release.out_count, ==, 0);

  /* Another worker picks them up as second attempts. */
  skip_backoff (f, ja);
  skip_backoff (f, jc);
  {
    g_autoptr (YgJob) r1 = lease (f, "worker-new");
    g_autoptr (YgJob) r2 = lease (f, "worker-new");
    g_assert_cmpint (r1->id, ==, ja);
    g_assert_cmpint (r1->attempts, ==, 2);
    g_assert_cmpint (r2->id, ==, jc);
    g_assert_cmpint (r2->attempts, ==, 2);
  }

  /* A dead owner on its last attempt: the job and item fail. */
  exec_sql (f, "UPDATE jobs SET max_attempts = 2 WHERE id = %" G_GINT64_FORMAT, ja);
  release.owner = "worker-new";
  run_ok (f, &release);
  g_assert_cmpuint (release.out_count, ==, 2);
  {
    g_autoptr (YgJob) gone = job_get (f, ja);
    g_autoptr (YgJob) again = job_get (f, jc);
    g_autoptr (YgItem) item = item_get (f, a);
    g_assert_cmpstr (gone->state, ==, "failed");
    g_assert_cmpstr (again->state, ==, "queued");
    g_assert_cmpstr (item->status, ==, "failed");
    g_assert_cmpstr (item->error_code, ==, "worker_lost");
  }
}

/* --- /jobs/store/cancel and /jobs/store/retry, from every state ----------------- */

/* Brings a fresh job to @state; returns its id. */
static gint64
job_in_state (Fixture *f, const char *state, char **item_id)
{
  g_autoptr (GError) error = NULL;
  gint64 id = job_new (f, item_id);

  if (g_str_equal (state, "queued"))
    return id;
  {
    g_autoptr (YgJob) j = lease (f, "worker-a");
    g_assert_cmpint (j->id, ==, id);
  }
  if (g_str_equal (state, "done"))
    g_assert_true (complete (f, id, "worker-a", 10.0, &error));
  else if (g_str_equal (state, "failed"))
    g_assert_true (fail_job (f, id, "worker-a", "unsupported_format", "No video", FALSE, &error));
  else if (g_str_equal (state, "cancelled"))
    {
      Call c = { .op = OP_CANCEL, .job_id = id };
      run_ok (f, &c);
    }
  g_assert_no_error (error);
  {
    g_autoptr (YgJob) j = job_get (f, id);
    g_assert_cmpstr (j->state, ==, state);
  }
  return id;
}

static const struct
{
  const char *state;
  gboolean can_cancel;
  gboolean can_retry;
} state_cases[] = {
  { "queued", TRUE, FALSE },
  { "running", TRUE, FALSE },
  { "done", FALSE, FALSE },
  { "failed", FALSE, TRUE },
  { "cancelled", FALSE, TRUE },
};

static void
test_cancel (Fixture *f, gconstpointer user_data)
{
  for (gsize i = 0; i < G_N_ELEMENTS (state_cases); i++)
    {
      g_autofree char *item_id = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (YgItem) before = NULL;
      g_autoptr (YgItem) after = NULL;
      g_autoptr (YgJob) job = NULL;
      gint64 id = job_in_state (f, state_cases[i].state, &item_id);
      Call c = { .op = OP_CANCEL, .job_id = id };

      g_test_message ("cancel a %s job", state_cases[i].state);
      before = item_get (f, item_id);
      if (state_cases[i].can_cancel)
        {
          run_ok (f, &c);
          job = job_get (f, id);
          g_assert_cmpstr (job->state, ==, "cancelled");
          g_assert_null (job->lease_owner);
          after = item_get (f, item_id);
          g_assert_cmpstr (after->status, ==, "failed");
          g_assert_cmpstr (after->error_code, ==, "cancelled");
          g_assert_nonnull (after->error_message);
          /* A worker that held it is locked out; nobody can lease it. */
          g_assert_false (heartbeat (f, id, "worker-a", 0.5, &error));
          assert_lease_lost (error);
          g_clear_error (&error);
          g_assert_false (complete (f, id, "worker-a", 1.0, &error));
          assert_lease_lost (error);
          lease_none (f, "worker-a");
        }
      else
        {
          run_refused (f, &c, YG_DB_ERROR_CONSTRAINT);
          job = job_get (f, id);
          g_assert_cmpstr (job->state, ==, state_cases[i].state);
          after = item_get (f, item_id);
          g_assert_cmpstr (after->status, ==, before->status);
          g_assert_cmpstr (after->error_code, ==, before->error_code);
        }
    }
  {
    Call c = { .op = OP_CANCEL, .job_id = 987654 };
    run_refused (f, &c, YG_DB_ERROR_NOT_FOUND);
  }
}

static void
test_retry (Fixture *f, gconstpointer user_data)
{
  for (gsize i = 0; i < G_N_ELEMENTS (state_cases); i++)
    {
      g_autofree char *item_id = NULL;
      g_autoptr (YgItem) before = NULL;
      g_autoptr (YgItem) after = NULL;
      gint64 id = job_in_state (f, state_cases[i].state, &item_id);
      Call c = { .op = OP_RETRY, .job_id = id };

      g_test_message ("retry a %s job", state_cases[i].state);
      before = item_get (f, item_id);
      if (state_cases[i].can_retry)
        {
          g_autoptr (YgJob) old = NULL;
          g_autoptr (YgJob) fresh = NULL;

          g_assert_cmpstr (before->status, ==, "failed");
          run_ok (f, &c);
          g_assert_cmpint (c.out_id, >, id);
          fresh = job_get (f, c.out_id);
          g_assert_cmpstr (fresh->state, ==, "queued");
          g_assert_cmpstr (fresh->item_id, ==, item_id);
          g_assert_cmpint (fresh->attempts, ==, 0);
          g_assert_null (fresh->error_code);
          old = job_get (f, id);
          g_assert_cmpstr (old->state, ==, state_cases[i].state); /* history is kept */
          after = item_get (f, item_id);
          g_assert_cmpstr (after->status, ==, "processing");
          g_assert_null (after->error_code);
          g_assert_null (after->error_message);

          /* Retrying the old job again while the new one is active is
           * refused (one active job per item), and changes nothing. */
          {
            Call again = { .op = OP_RETRY, .job_id = id };
            run_refused (f, &again, YG_DB_ERROR_CONSTRAINT);
            g_assert_cmpint (query_int (f, NULL, "SELECT count(*) FROM jobs WHERE item_id = '%s'",
                                        item_id),
                             ==, 2);
          }
          /* The new job runs like any other. */
          {
            g_autoptr (YgJob) l = lease (f, "worker-b");
            g_autoptr (GError) error = NULL;
            g_assert_cmpint (l->id, ==, c.out_id);
            g_assert_cmpint (l->attempts, ==, 1);
            g_assert_true (complete (f, l->id, "worker-b", 2.0, &error));
            g_assert_no_error (error);
          }
          {
            g_autoptr (YgItem) ready = item_get (f, item_id);
            g_assert_cmpstr (ready->status, ==, "ready");
          }
        }
      else
        {
          run_refused (f, &c, YG_DB_ERROR_CONSTRAINT);
          g_assert_cmpint (c.out_id, ==, 0);
          g_assert_cmpint (query_int (f, NULL, "SELECT count(*) FROM jobs WHERE item_id = '%s'",
                                      item_id),
                           ==, 1);
          after = item_get (f, item_id);
          g_assert_cmpstr (after->status, ==, before->status);
          /* Leave no runnable job behind for the next case. */
          if (g_str_equal (state_cases[i].state, "queued") || g_str_equal (state_cases[i].state, "running"))
            {
              Call cancel = { .op = OP_CANCEL, .job_id = id };
              run_ok (f, &cancel);
            }
        }
    }
  {
    Call c = { .op = OP_RETRY, .job_id = 987654 };
    run_refused (f, &c, YG_DB_ERROR_NOT_FOUND);
  }
}

/* --- /jobs/store/one-active-per-item ------------------------------------------- */

static void
test_one_active_per_item (Fixture *f, gconstpointer user_data)
{
  g_autofree char *item_id = NULL;
  g_autofree char *other = item_new (f, "Another item");
  g_autoptr (GError) error = NULL;
  gint64 id = job_new (f, &item_id);
  Call second = { .op = OP_ENQUEUE, .item_id = item_id };
  Call ghost = { .op = OP_ENQUEUE, .item_id = "nosuchitem234567" };

  /* Queued: a second job is refused. */
  run_refused (f, &second, YG_DB_ERROR_CONSTRAINT);
  /* Other items are not affected. */
  g_assert_cmpint (enqueue (f, other), >, id);

  /* Running: still refused. */
  {
    g_autoptr (YgJob) l = lease (f, "worker-a");
    g_assert_cmpint (l->id, ==, id);
  }
  run_refused (f, &second, YG_DB_ERROR_CONSTRAINT);
  g_assert_cmpint (query_int (f, NULL, "SELECT count(*) FROM jobs WHERE item_id = '%s'", item_id),
                   ==, 1);

  /* Done: a new job (a re-transcode) may be queued. */
  g_assert_true (complete (f, id, "worker-a", 1.0, &error));
  g_assert_no_error (error);
  run_ok (f, &second);
  g_assert_cmpint (second.out_id, >, id);

  /* An item that does not exist cannot get a job (foreign key). */
  run_refused (f, &ghost, YG_DB_ERROR_CONSTRAINT);
}

/* --- /jobs/store/backoff -------------------------------------------------------- */

static void
test_backoff (void)
{
  static const struct
  {
    int attempts;
    guint seconds;
  } cases[] = {
    { -1, 10 }, { 0, 10 }, { 1, 10 }, { 2, 20 }, { 3, 40 }, { 4, 80 }, { 5, 160 },
    { 6, 320 }, { 7, 640 }, { 8, 900 }, { 9, 900 }, { 11, 900 }, { 12, 900 },
    { 40, 900 }, { G_MAXINT, 900 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("backoff(%d)", cases[i].attempts);
      g_assert_cmpuint (yg_job_backoff_seconds (cases[i].attempts), ==, cases[i].seconds);
    }
  /* Never shrinks as attempts grow. */
  for (int n = 1; n < 64; n++)
    g_assert_cmpuint (yg_job_backoff_seconds (n + 1), >=, yg_job_backoff_seconds (n));
}

/* --- /jobs/store/list ------------------------------------------------------------ */

static void
assert_list (Fixture *f, const char *state, guint limit, const gint64 *expected, guint n_expected)
{
  Call c = { .op = OP_LIST, .text = state, .size = limit };

  run_ok (f, &c);
  g_assert_cmpuint (c.out_list->len, ==, n_expected);
  for (guint i = 0; i < n_expected; i++)
    {
      YgJob *j = c.out_list->pdata[i];
      g_assert_cmpint (j->id, ==, expected[i]);
      if (state != NULL)
        g_assert_cmpstr (j->state, ==, state);
    }
  g_ptr_array_unref (c.out_list);
}

static void
test_list (Fixture *f, gconstpointer user_data)
{
  g_autofree char *i1 = NULL, *i2 = NULL, *i3 = NULL, *i4 = NULL, *i5 = NULL;
  /* In this order, so that each lease in job_in_state finds only its own job. */
  gint64 running = job_in_state (f, "running", &i1);
  gint64 done = job_in_state (f, "done", &i2);
  gint64 failed = job_in_state (f, "failed", &i3);
  gint64 queued1 = job_in_state (f, "queued", &i4);
  gint64 queued2 = job_in_state (f, "queued", &i5);

  assert_list (f, NULL, 100, (gint64[]){ queued2, queued1, failed, done, running }, 5);
  assert_list (f, NULL, 2, (gint64[]){ queued2, queued1 }, 2);
  assert_list (f, "queued", 100, (gint64[]){ queued2, queued1 }, 2);
  assert_list (f, "running", 100, (gint64[]){ running }, 1);
  assert_list (f, "done", 100, (gint64[]){ done }, 1);
  assert_list (f, "failed", 100, (gint64[]){ failed }, 1);
  assert_list (f, "cancelled", 100, NULL, 0);
  assert_list (f, "bogus", 100, NULL, 0);
}

/* --- main ---------------------------------------------------------------- */

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (!yg_secret_init ())
    g_error ("libsodium failed to initialise");

#define ADD(path, func) g_test_add ("/jobs/store/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("lifecycle", test_lifecycle);
  ADD ("publish-outside-item", test_publish_outside_item);
  ADD ("lease-empty", test_lease_empty);
  ADD ("lease-order", test_lease_order);
  ADD ("lease-expiry", test_lease_expiry);
  ADD ("lease-expiry/exhausted", test_lease_expiry_exhausted);
  ADD ("requeue-expired", test_requeue_expired);
  ADD ("retries-exhausted", test_retries_exhausted);
  ADD ("fail-not-retryable", test_fail_not_retryable);
  ADD ("release-owner", test_release_owner);
  ADD ("reclaim-owner", test_reclaim_owner);
  ADD ("cancel", test_cancel);
  ADD ("retry", test_retry);
  ADD ("one-active-per-item", test_one_active_per_item);
  ADD ("list", test_list);
  g_test_add_func ("/jobs/store/backoff", test_backoff);

#undef ADD

  g_test_summary ("The job store on real SQLite: leases, heartbeats, expiry and backoff, "
                  "retries, release of dead owners, cancel/retry, one active job per item.");
  return g_test_run ();
}

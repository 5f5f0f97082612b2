/* db-test.c: the catalogue database against real SQLite files (suite "db").
 *
 * Each test gets a fresh temporary directory (the fixture) holding a data
 * directory "data/" with "data/catalog.db"; nothing is mocked. Covered: opening
 * (WAL, pragmas, schema version, unopenable and non-database files), the
 * migrations (idempotent, upgrading an old file, refusing a newer one), the DB
 * thread (async results on the caller's main context, one worker thread,
 * submission order, errors, cancellation), the statement cache, transactions
 * and constraint errors, BEGIN IMMEDIATE against a second writer (busy_timeout
 * waits, and gives YG_DB_ERROR_BUSY when it runs out), the token store (hashed
 * at rest, expiry, revocation) and fsck (missing, resized, non-regular files and
 * paths that escape the data directory, also through a symlinked directory),
 * and dropping the last YgDb reference on the DB thread itself.
 * Threads: main, YgDb's DB thread, and in /db/busy a lock-releasing helper.
 */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "yg-test-util.h"
#include "yg-db.h"
#include "yg-fsck.h"
#include "yg-migrations.h"
#include "yg-secret.h"
#include "yg-token-store.h"

/* --- fixture ------------------------------------------------------------- */

typedef struct
{
  char *tmp;      /* removed recursively in teardown */
  char *data_dir; /* tmp/data */
  char *db_path;  /* tmp/data/catalog.db */
  YgDb *db;       /* opened by fixture_setup_open, or by the test */
} Fixture;


static void
fixture_setup (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  f->tmp = g_dir_make_tmp ("yg-db-test-XXXXXX", &error);
  g_assert_no_error (error);
  f->data_dir = g_build_filename (f->tmp, "data", NULL);
  g_assert_cmpint (g_mkdir (f->data_dir, 0700), ==, 0);
  f->db_path = g_build_filename (f->data_dir, "catalog.db", NULL);
}

static void
fixture_setup_open (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  fixture_setup (f, user_data);
  f->db = yg_db_open (f->db_path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->db);
}

static gpointer
noop_func (YgDbConn *conn, gpointer data, GError **error)
{
  return NULL;
}

/* Waits until the DB thread has finished everything queued before, so that
 * the last reference to the YgDb is never dropped while it still works. */
static void
drain (YgDb *db)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (yg_db_run_sync (db, noop_func, NULL, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer user_data)
{
  if (f->db != NULL)
    {
      drain (f->db);
      g_clear_object (&f->db);
    }
  yg_test_rm_rf (f->tmp);
  g_assert_false (g_file_test (f->tmp, G_FILE_TEST_EXISTS));
  g_free (f->db_path);
  g_free (f->data_dir);
  g_free (f->tmp);
}

/* --- helpers: work on the DB thread ---------------------------------------- */

static gpointer
exec_func (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_db_conn_exec (conn, data, error) ? GINT_TO_POINTER (1) : NULL;
}

static gboolean
exec_sync (YgDb *db, const char *sql, GError **error)
{
  return yg_db_run_sync (db, exec_func, (gpointer) sql, error) != NULL;
}

static void
exec_sync_ok (YgDb *db, const char *sql)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (exec_sync (db, sql, &error));
  g_assert_no_error (error);
}

/* The first column of the first row as text ("NULL" for SQL NULL), or
 * YG_DB_ERROR_NOT_FOUND when there is no row. */
static gpointer
query_text_func (YgDbConn *conn, gpointer data, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn, data, error);
  char *text;
  int rc;

  if (stmt == NULL)
    return NULL;
  rc = yg_db_conn_step (conn, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "no row for: %s", (char *) data);
      return NULL;
    }
  text = yg_db_column_dup (stmt, 0);
  sqlite3_reset (stmt);
  return text != NULL ? text : g_strdup ("NULL");
}

static char *
query_text (YgDb *db, const char *sql)
{
  g_autoptr (GError) error = NULL;
  char *text = yg_db_run_sync (db, query_text_func, (gpointer) sql, &error);

  g_assert_no_error (error);
  g_assert_nonnull (text);
  return text;
}

static gint64
query_int (YgDb *db, const char *sql)
{
  g_autofree char *text = query_text (db, sql);

  return g_ascii_strtoll (text, NULL, 10);
}

static void
insert_item (YgDb *db, const char *id, const char *title)
{
  char *sql = sqlite3_mprintf ("INSERT INTO items (id, kind, title, created_at, updated_at) "
                               "VALUES (%Q, 'heritage', %Q, 1700000000, 1700000000)",
                               id, title);

  exec_sync_ok (db, sql);
  sqlite3_free (sql);
}

static gint64
count_items_with_id (YgDb *db, const char *id)
{
  char *sql = sqlite3_mprintf ("SELECT count(*) FROM items WHERE id = %Q", id);
  gint64 n = query_int (db, sql);

  sqlite3_free (sql);
  return n;
}

/* --- helpers: a raw sqlite3 handle, as another process would have ---------- */

static sqlite3 *
raw_open (const char *path)
{
  sqlite3 *raw = NULL;
  int rc = sqlite3_open_v2 (path, &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

  g_assert_cmpint (rc, ==, SQLITE_OK);
  sqlite3_busy_timeout (raw, 5000);
  return raw;
}

static void
raw_exec (sqlite3 *raw, const char *sql)
{
  char *errmsg = NULL;
  int rc = sqlite3_exec (raw, sql, NULL, NULL, &errmsg);

  if (rc != SQLITE_OK)
    g_error ("%s: %s", sql, errmsg);
}

static gint64
raw_query_int (sqlite3 *raw, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 v;

  g_assert_cmpint (sqlite3_prepare_v2 (raw, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return v;
}

static gint64
raw_table_exists (sqlite3 *raw, const char *table)
{
  char *sql = sqlite3_mprintf (
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = %Q", table);
  gint64 n = raw_query_int (raw, sql);

  sqlite3_free (sql);
  return n;
}

/* --- /db/open ------------------------------------------------------------ */

static gpointer
schema_version_func (YgDbConn *conn, gpointer data, GError **error)
{
  int v = yg_migrations_current (yg_db_conn_get_handle (conn), error);

  return v < 0 ? NULL : GINT_TO_POINTER (v + 1); /* +1: version 0 is not NULL */
}

static void
test_open_creates_wal (Fixture *f, gconstpointer user_data)
{
  static const struct
  {
    const char *pragma;
    const char *expected;
  } pragmas[] = {
    { "PRAGMA journal_mode", "wal" },
    { "PRAGMA synchronous", "2" }, /* FULL */
    { "PRAGMA foreign_keys", "1" },
    { "PRAGMA trusted_schema", "0" },
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *header = NULL;
  g_autofree char *user_version = NULL;
  gsize header_len = 0;
  gpointer v;

  g_assert_false (g_file_test (f->db_path, G_FILE_TEST_EXISTS));
  f->db = yg_db_open (f->db_path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->db);
  g_assert_true (g_file_test (f->db_path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (yg_db_get_path (f->db), ==, f->db_path);

  for (gsize i = 0; i < G_N_ELEMENTS (pragmas); i++)
    {
      g_autofree char *value = query_text (f->db, pragmas[i].pragma);
      g_assert_cmpstr (value, ==, pragmas[i].expected);
    }

  /* On disk: the header's read/write format versions are 2 (WAL). */
  g_assert_true (g_file_get_contents (f->db_path, &header, &header_len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (header_len, >=, 100);
  g_assert_cmpmem (header, 16, "SQLite format 3", 16);
  g_assert_cmpint (header[18], ==, 2);
  g_assert_cmpint (header[19], ==, 2);

  g_assert_cmpint (yg_migrations_latest (), >=, 2);
  user_version = query_text (f->db, "PRAGMA user_version");
  g_assert_cmpint (g_ascii_strtoll (user_version, NULL, 10), ==, yg_migrations_latest ());
  v = yg_db_run_sync (f->db, schema_version_func, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (GPOINTER_TO_INT (v) - 1, ==, yg_migrations_latest ());

  /* The schema is there. */
  g_assert_cmpint (query_int (f->db, "SELECT count(*) FROM items"), ==, 0);
  g_assert_cmpint (query_int (f->db, "SELECT count(*) FROM tokens"), ==, 0);
}

static void
test_open_cant_open (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->tmp, "no-such-dir", "catalog.db", NULL);
  g_autoptr (YgDb) db = yg_db_open (path, &error);

  g_assert_null (db);
  g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_CANT_OPEN);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_open_not_a_database (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240601);
  g_autofree char *garbage = g_malloc (8192);
  g_autofree char *after = NULL;
  g_autoptr (YgDb) db = NULL;
  gsize after_len = 0;

  for (gsize i = 0; i < 8192; i++)
    garbage[i] = (char) g_rand_int_range (rand, 0, 256);
  g_assert_true (memcmp (garbage, "SQLite format 3", 16) != 0);
  g_assert_true (g_file_set_contents (f->db_path, garbage, 8192, &error));
  g_assert_no_error (error);

  db = yg_db_open (f->db_path, &error);
  g_assert_null (db);
  g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_CORRUPT);
  g_test_message ("not a database: %s", error->message);

  /* A failed open never rewrites the file. */
  g_assert_true (g_file_get_contents (f->db_path, &after, &after_len, NULL));
  g_assert_cmpmem (after, after_len, garbage, 8192);
}

/* --- /db/migrations ------------------------------------------------------ */

static void
test_migrations_idempotent (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *schema_before = NULL;
  g_autofree char *schema_after = NULL;
  g_autofree char *title = NULL;
  g_autofree char *raw_path = g_build_filename (f->tmp, "raw.db", NULL);
  const char *schema_sql = "SELECT group_concat(sql, ';') FROM "
                           "(SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name)";
  sqlite3 *raw;
  gint64 objects;

  f->db = yg_db_open (f->db_path, &error);
  g_assert_no_error (error);
  insert_item (f->db, "keepme0000000001", "Kunqu, act one");
  schema_before = query_text (f->db, schema_sql);
  drain (f->db);
  g_clear_object (&f->db);

  f->db = yg_db_open (f->db_path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->db);
  g_assert_cmpint (query_int (f->db, "PRAGMA user_version"), ==, yg_migrations_latest ());
  title = query_text (f->db, "SELECT title FROM items WHERE id = 'keepme0000000001'");
  g_assert_cmpstr (title, ==, "Kunqu, act one");
  schema_after = query_text (f->db, schema_sql);
  g_assert_cmpstr (schema_after, ==, schema_before);

  /* The same on a raw handle: applying twice is a no-op the second time, and
   * a lower target never goes back. */
  raw = raw_open (raw_path);
  g_assert_true (yg_migrations_apply (raw, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (yg_migrations_current (raw, &error), ==, yg_migrations_latest ());
  objects = raw_query_int (raw, "SELECT count(*) FROM sqlite_master");
  g_assert_cmpint (objects, >, 0);
  g_assert_true (yg_migrations_apply (raw, -1, &error));
  g_assert_no_error (error);
  g_assert_true (yg_migrations_apply (raw, yg_migrations_latest (), &error));
  g_assert_no_error (error);
  g_assert_true (yg_migrations_apply (raw, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (yg_migrations_current (raw, &error), ==, yg_migrations_latest ());
  g_assert_no_error (error);
  g_assert_cmpint (raw_query_int (raw, "SELECT count(*) FROM sqlite_master"), ==, objects);
  g_assert_cmpint (sqlite3_get_autocommit (raw), !=, 0); /* no transaction left open */
  sqlite3_close (raw);
}

static void
test_migrations_upgrade_older (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *title = NULL;
  g_autofree char *role = NULL;
  sqlite3 *raw = raw_open (f->db_path);

  g_assert_true (yg_migrations_apply (raw, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (yg_migrations_current (raw, &error), ==, 1);
  g_assert_cmpint (raw_table_exists (raw, "items"), ==, 1);
  g_assert_cmpint (raw_table_exists (raw, "tokens"), ==, 1);
  g_assert_cmpint (raw_table_exists (raw, "item_files"), ==, 0);
  g_assert_cmpint (raw_table_exists (raw, "jobs"), ==, 0);
  raw_exec (raw, "INSERT INTO items (id, kind, title, created_at, updated_at) "
                 "VALUES ('olditem000000001', 'performance', 'Old recording', 1, 2)");
  raw_exec (raw, "INSERT INTO tokens (hash, role, name, created_at) "
                 "VALUES (X'00112233', 'staff', 'old staff', 1)");
  g_assert_cmpint (sqlite3_close (raw), ==, SQLITE_OK);

  f->db = yg_db_open (f->db_path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->db);
  g_assert_cmpint (query_int (f->db, "PRAGMA user_version"), ==, yg_migrations_latest ());

  title = query_text (f->db, "SELECT title FROM items WHERE id = 'olditem000000001'");
  g_assert_cmpstr (title, ==, "Old recording");
  g_assert_cmpint (query_int (f->db, "SELECT updated_at FROM items"), ==, 2);
  role = query_text (f->db, "SELECT role FROM tokens WHERE hash = X'00112233'");
  g_assert_cmpstr (role, ==, "staff");

  g_assert_cmpint (query_int (f->db, "SELECT count(*) FROM sqlite_master "
                                     "WHERE type = 'table' AND name IN ('item_files', 'jobs')"),
                   ==, 2);
  /* The new tables work, and their foreign keys see the old rows. */
  exec_sync_ok (f->db, "INSERT INTO item_files (item_id, role, path, size) "
                       "VALUES ('olditem000000001', 'original', 'originals/x', 5)");
  exec_sync_ok (f->db, "INSERT INTO jobs (item_id, created_at, updated_at) "
                       "VALUES ('olditem000000001', 3, 3)");
  g_assert_cmpint (query_int (f->db, "SELECT count(*) FROM jobs WHERE state = 'queued'"), ==, 1);
}

static void
test_migrations_refuse_newer (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (YgDb) db = NULL;
  g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", yg_migrations_latest () + 5);
  g_autofree char *newer = g_strdup_printf ("%d", yg_migrations_latest () + 5);
  g_autofree char *ours = g_strdup_printf ("%d", yg_migrations_latest ());
  sqlite3 *raw = raw_open (f->db_path);

  raw_exec (raw, bump);
  raw_exec (raw, "CREATE TABLE from_the_future (x)");
  g_assert_cmpint (sqlite3_close (raw), ==, SQLITE_OK);

  db = yg_db_open (f->db_path, &error);
  g_assert_null (db);
  g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_SCHEMA_TOO_NEW);
  g_assert_nonnull (strstr (error->message, newer));
  g_assert_nonnull (strstr (error->message, ours));

  /* Nothing was migrated "down" or on top of it. */
  raw = raw_open (f->db_path);
  g_assert_cmpint (raw_query_int (raw, "PRAGMA user_version"), ==, yg_migrations_latest () + 5);
  g_assert_cmpint (raw_table_exists (raw, "from_the_future"), ==, 1);
  g_assert_cmpint (raw_table_exists (raw, "items"), ==, 0);
  g_assert_cmpint (raw_table_exists (raw, "tokens"), ==, 0);
  sqlite3_close (raw);
}

/* --- /db/async ----------------------------------------------------------- */

#define N_ASYNC 100

typedef struct
{
  YgDb *db;
  GThread *main_thread;
  GMutex lock;
  GThread *work_thread[N_ASYNC];
  int work_order[N_ASYNC];
  int n_work;
  int callback_order[N_ASYNC];
  int n_callbacks;
  gboolean callback_off_main;
  gint data_freed; /* atomic */
} OrderState;

typedef struct
{
  OrderState *state;
  int index;
} OrderJob;

static void
order_job_free (gpointer p)
{
  OrderJob *job = p;

  g_atomic_int_inc (&job->state->data_freed);
  g_free (job);
}

static gpointer
order_work_func (YgDbConn *conn, gpointer data, GError **error)
{
  OrderJob *job = data;
  OrderState *s = job->state;
  int *result = g_new (int, 1);

  g_mutex_lock (&s->lock);
  s->work_thread[job->index] = g_thread_self ();
  if (s->n_work < N_ASYNC)
    s->work_order[s->n_work] = job->index;
  s->n_work++;
  g_mutex_unlock (&s->lock);

  *result = job->index;
  return result;
}

static void
order_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  OrderState *s = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree int *result = NULL;

  if (g_thread_self () != s->main_thread)
    s->callback_off_main = TRUE;
  g_assert_true (source == G_OBJECT (s->db));
  result = yg_db_run_finish (s->db, res, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_cmpint (s->n_callbacks, <, N_ASYNC);
  s->callback_order[s->n_callbacks++] = *result;
}

static gpointer
thread_self_func (YgDbConn *conn, gpointer data, GError **error)
{
  return g_thread_self ();
}

static void
test_async_order_and_thread (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  OrderState s = { 0 };
  GThread *sync_thread;

  s.db = f->db;
  s.main_thread = g_thread_self ();
  g_mutex_init (&s.lock);

  /* Results must come back through the caller's thread-default context. */
  g_main_context_push_thread_default (context);
  for (int i = 0; i < N_ASYNC; i++)
    {
      OrderJob *job = g_new0 (OrderJob, 1);

      job->state = &s;
      job->index = i;
      yg_db_run_async (f->db, order_work_func, job, order_job_free, g_free, NULL, order_done_cb,
                       &s);
    }
  while (s.n_callbacks < N_ASYNC)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  /* After the sync job the DB thread is done with every async job. */
  sync_thread = yg_db_run_sync (f->db, thread_self_func, NULL, &error);
  g_assert_no_error (error);

  g_assert_false (s.callback_off_main);
  g_assert_cmpint (s.n_callbacks, ==, N_ASYNC);
  g_assert_cmpint (g_atomic_int_get (&s.data_freed), ==, N_ASYNC);
  g_mutex_lock (&s.lock);
  g_assert_cmpint (s.n_work, ==, N_ASYNC);
  for (int i = 0; i < N_ASYNC; i++)
    {
      /* One thread, not ours, did all the work (the sync job too). */
      g_assert_nonnull (s.work_thread[i]);
      g_assert_true (s.work_thread[i] != s.main_thread);
      g_assert_true (s.work_thread[i] == s.work_thread[0]);
      /* In submission order, and the results came back in that order too. */
      g_assert_cmpint (s.work_order[i], ==, i);
      g_assert_cmpint (s.callback_order[i], ==, i);
    }
  g_assert_true (sync_thread == s.work_thread[0]);
  g_mutex_unlock (&s.lock);
  g_mutex_clear (&s.lock);
}

static void
store_result_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (res);
}

/* yg_db_run_async + iterate the thread-default context until it finishes. */
static gpointer
run_async_wait (YgDb          *db,
                YgDbFunc       func,
                gpointer       data,
                GDestroyNotify data_free,
                GDestroyNotify result_free,
                GCancellable  *cancellable,
                GError       **error)
{
  GAsyncResult *res = NULL;
  gpointer ret;

  yg_db_run_async (db, func, data, data_free, result_free, cancellable, store_result_cb, &res);
  while (res == NULL)
    g_main_context_iteration (NULL, TRUE);
  ret = yg_db_run_finish (db, res, error);
  g_object_unref (res);
  return ret;
}

static gpointer
failing_func (YgDbConn *conn, gpointer data, GError **error)
{
  g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_CONSTRAINT, "custom failure %d",
               GPOINTER_TO_INT (data));
  return NULL;
}

static void
test_async_error (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) sql_error = NULL;
  g_autoptr (GError) sync_error = NULL;
  gpointer result;

  /* An error set by the work comes back unchanged. */
  result = run_async_wait (f->db, failing_func, GINT_TO_POINTER (17), NULL, NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_CONSTRAINT);
  g_assert_cmpstr (error->message, ==, "custom failure 17");

  /* An SQLite error from inside the work is translated. */
  result = run_async_wait (f->db, exec_func, (gpointer) "DELETE FROM no_such_table", NULL, NULL,
                           NULL, &sql_error);
  g_assert_null (result);
  g_assert_error (sql_error, YG_DB_ERROR, YG_DB_ERROR_FAILED);
  g_assert_nonnull (strstr (sql_error->message, "no_such_table"));

  /* The same through the sync path. */
  result = yg_db_run_sync (f->db, failing_func, GINT_TO_POINTER (18), &sync_error);
  g_assert_null (result);
  g_assert_error (sync_error, YG_DB_ERROR, YG_DB_ERROR_CONSTRAINT);
  g_assert_cmpstr (sync_error->message, ==, "custom failure 18");

  /* And the DB thread carries on. */
  g_assert_cmpint (query_int (f->db, "SELECT 40 + 2"), ==, 42);
}

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean entered;
  gboolean open;
} Gate;

static gpointer
gate_func (YgDbConn *conn, gpointer data, GError **error)
{
  Gate *gate = data;

  g_mutex_lock (&gate->lock);
  gate->entered = TRUE;
  g_cond_broadcast (&gate->cond);
  while (!gate->open)
    g_cond_wait (&gate->cond, &gate->lock);
  g_mutex_unlock (&gate->lock);
  return GINT_TO_POINTER (1);
}

static gpointer
count_calls_func (YgDbConn *conn, gpointer data, GError **error)
{
  g_atomic_int_inc ((gint *) data);
  return GINT_TO_POINTER (1);
}

static void
count_free (gpointer data)
{
  g_atomic_int_add ((gint *) data, 1000);
}

static void
test_async_cancelled (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  GAsyncResult *gate_res = NULL;
  GAsyncResult *res = NULL;
  Gate gate = { 0 };
  gint calls = 0;

  g_mutex_init (&gate.lock);
  g_cond_init (&gate.cond);

  /* Hold the DB thread, queue work, cancel it while it waits in the queue. */
  yg_db_run_async (f->db, gate_func, &gate, NULL, NULL, NULL, store_result_cb, &gate_res);
  g_mutex_lock (&gate.lock);
  while (!gate.entered)
    g_cond_wait (&gate.cond, &gate.lock);
  g_mutex_unlock (&gate.lock);

  yg_db_run_async (f->db, count_calls_func, &calls, count_free, NULL, cancellable,
                   store_result_cb, &res);
  g_cancellable_cancel (cancellable);

  g_mutex_lock (&gate.lock);
  gate.open = TRUE;
  g_cond_broadcast (&gate.cond);
  g_mutex_unlock (&gate.lock);

  while (res == NULL || gate_res == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (yg_db_run_finish (f->db, res, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_nonnull (yg_db_run_finish (f->db, gate_res, NULL));
  g_object_unref (res);
  g_object_unref (gate_res);

  drain (f->db);
  /* The work never ran, but its data was freed. */
  g_assert_cmpint (g_atomic_int_get (&calls), ==, 1000);

  g_mutex_clear (&gate.lock);
  g_cond_clear (&gate.cond);
}

/* The caller drops its last reference to the YgDb inside the completion
 * callback, a common GIO pattern. The DB thread must then never be the one to
 * release the last reference (its dispose would join the DB thread from
 * itself). Run in a subprocess because, while that bug exists, it aborts. */
static gpointer
one_func (YgDbConn *conn, gpointer data, GError **error)
{
  return GINT_TO_POINTER (1);
}

/* Frees nothing but takes a moment, as a real data_free may: it widens the
 * window in which the DB thread still holds its task reference. */
static void
slow_data_free (gpointer data)
{
  g_usleep (5 * G_TIME_SPAN_MILLISECOND);
}

static void
last_unref_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  gboolean *done = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (yg_db_run_finish (YG_DB (source), res, &error));
  g_assert_no_error (error);
  g_object_unref (source); /* the caller's last reference */
  *done = TRUE;
}

static char *
last_unref_dir (int pid)
{
  g_autofree char *name = g_strdup_printf ("yg-db-test-last-unref-%d", pid);

  return g_build_filename (g_get_tmp_dir (), name, NULL);
}

static void
test_async_last_unref_in_callback (void)
{
  g_autofree char *dir = NULL;

  if (g_test_subprocess ())
    {
      g_autofree char *path = NULL;

      dir = last_unref_dir ((int) getppid ()); /* the parent removes it */
      path = g_build_filename (dir, "catalog.db", NULL);
      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      for (int i = 0; i < 50; i++)
        {
          g_autoptr (GError) error = NULL;
          YgDb *db = yg_db_open (path, &error);
          gboolean done = FALSE;

          g_assert_no_error (error);
          yg_db_run_async (db, one_func, NULL, slow_data_free, NULL, NULL, last_unref_done_cb,
                           &done);
          while (!done)
            g_main_context_iteration (NULL, TRUE);
        }
      /* Let a late release on the DB thread happen before we exit. */
      g_usleep (100 * G_TIME_SPAN_MILLISECOND);
      return;
    }

  dir = last_unref_dir ((int) getpid ());
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  yg_test_rm_rf (dir);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  /* The last reference may be dropped on the DB thread (a finishing GTask);
   * that must neither deadlock nor crash. */
  g_test_trap_assert_passed ();
}

/* --- /db/statement-cache ------------------------------------------------- */

typedef struct
{
  sqlite3_stmt *first;
  sqlite3_stmt *second;
  sqlite3_stmt *same_text_other_buffer;
  sqlite3_stmt *other;
  gboolean first_busy_before;
  gboolean second_busy;
  int first_value;
  int second_step;
  int second_type_1;
  int second_type_2;
  GError *bad_error;
} CacheProbe;

static gpointer
cache_probe_func (YgDbConn *conn, gpointer data, GError **error)
{
  static const char sql[] = "SELECT ?1, ?2";
  g_autofree char *sql_copy = g_strdup (sql);
  CacheProbe *p = data;
  sqlite3_stmt *bad;

  p->first = yg_db_conn_prepare (conn, sql, error);
  if (p->first == NULL)
    return NULL;
  sqlite3_bind_int (p->first, 1, 7);
  sqlite3_bind_text (p->first, 2, "bound", -1, SQLITE_STATIC);
  if (yg_db_conn_step (conn, p->first, error) != SQLITE_ROW)
    return NULL;
  p->first_value = sqlite3_column_int (p->first, 0);
  p->first_busy_before = sqlite3_stmt_busy (p->first); /* left mid-result on purpose */

  p->second = yg_db_conn_prepare (conn, sql, error);
  if (p->second == NULL)
    return NULL;
  p->second_busy = sqlite3_stmt_busy (p->second);
  p->second_step = sqlite3_step (p->second);
  p->second_type_1 = sqlite3_column_type (p->second, 0);
  p->second_type_2 = sqlite3_column_type (p->second, 1);
  sqlite3_reset (p->second);

  p->same_text_other_buffer = yg_db_conn_prepare (conn, sql_copy, error);
  p->other = yg_db_conn_prepare (conn, "SELECT ?1", error);
  if (p->same_text_other_buffer == NULL || p->other == NULL)
    return NULL;

  bad = yg_db_conn_prepare (conn, "SELEKT nothing", &p->bad_error);
  g_assert_null (bad);
  return GINT_TO_POINTER (1);
}

static void
test_statement_cache (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  CacheProbe p = { 0 };

  g_assert_nonnull (yg_db_run_sync (f->db, cache_probe_func, &p, &error));
  g_assert_no_error (error);

  g_assert_cmpint (p.first_value, ==, 7);
  g_assert_true (p.first_busy_before);
  g_assert_nonnull (p.first);
  g_assert_true (p.second == p.first);
  g_assert_true (p.same_text_other_buffer == p.first); /* keyed by text, not address */
  g_assert_true (p.other != p.first);
  /* Handed out reset ... */
  g_assert_false (p.second_busy);
  g_assert_cmpint (p.second_step, ==, SQLITE_ROW);
  /* ... and with the old bindings cleared. */
  g_assert_cmpint (p.second_type_1, ==, SQLITE_NULL);
  g_assert_cmpint (p.second_type_2, ==, SQLITE_NULL);

  g_assert_error (p.bad_error, YG_DB_ERROR, YG_DB_ERROR_FAILED);
  g_assert_nonnull (strstr (p.bad_error->message, "preparing statement"));
  g_clear_error (&p.bad_error);
}

/* --- /db/transactions ---------------------------------------------------- */

typedef struct
{
  const char *id;
  const char *kind;
  gboolean commit;
} TxnInsert;

static gpointer
txn_insert_func (YgDbConn *conn, gpointer data, GError **error)
{
  const TxnInsert *op = data;
  sqlite3_stmt *stmt;

  if (!yg_db_conn_begin (conn, error))
    return NULL;
  stmt = yg_db_conn_prepare (conn,
                             "INSERT INTO items (id, kind, title, created_at, updated_at) "
                             "VALUES (?1, ?2, 'transaction test', 10, 10)",
                             error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, op->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, op->kind, -1, SQLITE_STATIC);
  if (!yg_db_conn_step_done (conn, stmt, error))
    goto fail;
  if (!op->commit)
    {
      yg_db_conn_rollback (conn);
      return GINT_TO_POINTER (1);
    }
  return yg_db_conn_commit (conn, error) ? GINT_TO_POINTER (1) : NULL;

fail:
  yg_db_conn_rollback (conn);
  return NULL;
}

static void
test_transactions_rollback (Fixture *f, gconstpointer user_data)
{
  /* Run in order against one database. */
  static const struct
  {
    TxnInsert op;
    gboolean ok;
    gint error_code;
    const char *check_id;
    gint64 rows_after;
  } steps[] = {
    { { "rolledback000001", "lesson", FALSE }, TRUE, 0, "rolledback000001", 0 },
    { { "committed0000001", "lesson", TRUE }, TRUE, 0, "committed0000001", 1 },
    /* duplicate primary key */
    { { "committed0000001", "heritage", TRUE }, FALSE, YG_DB_ERROR_CONSTRAINT,
      "committed0000001", 1 },
    /* CHECK (kind IN ...) */
    { { "badkind000000001", "opera", TRUE }, FALSE, YG_DB_ERROR_CONSTRAINT,
      "badkind000000001", 0 },
  };
  g_autofree char *kind = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autoptr (GError) error = NULL;
      gpointer ok = yg_db_run_sync (f->db, txn_insert_func, (gpointer) &steps[i].op, &error);

      g_test_message ("step %" G_GSIZE_FORMAT ": %s", i, error ? error->message : "ok");
      if (steps[i].ok)
        {
          g_assert_no_error (error);
          g_assert_nonnull (ok);
        }
      else
        {
          g_assert_null (ok);
          g_assert_error (error, YG_DB_ERROR, steps[i].error_code);
        }
      g_assert_cmpint (count_items_with_id (f->db, steps[i].check_id), ==, steps[i].rows_after);
    }

  /* The failed duplicate did not overwrite the committed row. */
  kind = query_text (f->db, "SELECT kind FROM items WHERE id = 'committed0000001'");
  g_assert_cmpstr (kind, ==, "lesson");
  g_assert_cmpint (query_int (f->db, "SELECT count(*) FROM items"), ==, 1);

  /* Outside a transaction too, and foreign keys are enforced. */
  {
    g_autoptr (GError) dup = NULL;
    g_autoptr (GError) fk = NULL;

    g_assert_false (exec_sync (f->db,
                               "INSERT INTO items (id, kind, title, created_at, updated_at) "
                               "VALUES ('committed0000001', 'lesson', 'again', 1, 1)",
                               &dup));
    g_assert_error (dup, YG_DB_ERROR, YG_DB_ERROR_CONSTRAINT);
    g_assert_false (exec_sync (f->db,
                               "INSERT INTO item_files (item_id, role, path) "
                               "VALUES ('nosuchitem000001', 'original', 'originals/x')",
                               &fk));
    g_assert_error (fk, YG_DB_ERROR, YG_DB_ERROR_CONSTRAINT);
  }
}

/* --- /db/busy ------------------------------------------------------------ */

typedef struct
{
  sqlite3 *raw;
  gint released; /* atomic: set just before the lock is given up */
} Releaser;

static gpointer
release_later_thread (gpointer data)
{
  Releaser *r = data;

  g_usleep (200 * G_TIME_SPAN_MILLISECOND);
  g_atomic_int_set (&r->released, 1);
  raw_exec (r->raw, "COMMIT");
  return NULL;
}

typedef struct
{
  Releaser *releaser;
  gboolean saw_released;
} BusyWrite;

static gpointer
busy_write_func (YgDbConn *conn, gpointer data, GError **error)
{
  BusyWrite *w = data;

  if (!yg_db_conn_begin (conn, error))
    return NULL;
  /* We can only hold the write lock once the other writer let go of it. */
  w->saw_released = g_atomic_int_get (&w->releaser->released);
  if (!yg_db_conn_exec (conn,
                        "INSERT INTO items (id, kind, title, created_at, updated_at) "
                        "VALUES ('fromygdb00000001', 'lesson', 'after the wait', 1, 1)",
                        error))
    {
      yg_db_conn_rollback (conn);
      return NULL;
    }
  return yg_db_conn_commit (conn, error) ? GINT_TO_POINTER (1) : NULL;
}

static void
test_busy (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  Releaser releaser = { 0 };
  BusyWrite write = { &releaser, FALSE };
  GThread *thread;

  releaser.raw = raw_open (f->db_path);
  raw_exec (releaser.raw, "BEGIN IMMEDIATE");
  raw_exec (releaser.raw, "INSERT INTO items (id, kind, title, created_at, updated_at) "
                          "VALUES ('fromraw000000001', 'lesson', 'other writer', 1, 1)");
  thread = g_thread_new ("releaser", release_later_thread, &releaser);

  g_assert_nonnull (yg_db_run_sync (f->db, busy_write_func, &write, &error));
  g_assert_no_error (error);
  g_assert_true (write.saw_released);
  g_thread_join (thread);
  sqlite3_close (releaser.raw);

  g_assert_cmpint (count_items_with_id (f->db, "fromraw000000001"), ==, 1);
  g_assert_cmpint (count_items_with_id (f->db, "fromygdb00000001"), ==, 1);
}

static gpointer
busy_short_timeout_func (YgDbConn *conn, gpointer data, GError **error)
{
  sqlite3 *handle = yg_db_conn_get_handle (conn);
  gboolean ok;

  /* Shorten busy_timeout for this one attempt so the test stays fast. */
  sqlite3_busy_timeout (handle, 50);
  ok = yg_db_conn_begin (conn, error);
  sqlite3_busy_timeout (handle, 5000);
  if (ok)
    {
      yg_db_conn_rollback (conn);
      return GINT_TO_POINTER (1);
    }
  return NULL;
}

static void
test_busy_timeout (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  sqlite3 *raw = raw_open (f->db_path);

  raw_exec (raw, "BEGIN IMMEDIATE");
  g_assert_null (yg_db_run_sync (f->db, busy_short_timeout_func, NULL, &error));
  g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_BUSY);
  raw_exec (raw, "ROLLBACK");
  sqlite3_close (raw);

  /* The failed BEGIN left no transaction behind: the next write works. */
  insert_item (f->db, "afterbusy0000001", "after busy");
  g_assert_cmpint (count_items_with_id (f->db, "afterbusy0000001"), ==, 1);
}

/* --- /db/tokens ---------------------------------------------------------- */

typedef struct
{
  YgRole role;
  const char *name;
  gint64 expires_at;
} TokenSpec;

static gpointer
token_create_func (YgDbConn *conn, gpointer data, GError **error)
{
  const TokenSpec *spec = data;

  return yg_token_store_create (conn, spec->role, spec->name, spec->expires_at, error);
}

static gpointer
token_lookup_func (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_token_store_lookup (conn, data, error);
}

static gpointer
token_revoke_func (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_token_store_revoke (conn, *(gint64 *) data, error) ? GINT_TO_POINTER (1) : NULL;
}

static char *
token_create (YgDb *db, YgRole role, const char *name, gint64 expires_at)
{
  g_autoptr (GError) error = NULL;
  TokenSpec spec = { role, name, expires_at };
  char *token = yg_db_run_sync (db, token_create_func, &spec, &error);

  g_assert_no_error (error);
  g_assert_nonnull (token);
  return token;
}

static YgPrincipal *
token_lookup (YgDb *db, const char *token, GError **error)
{
  return yg_db_run_sync (db, token_lookup_func, (gpointer) token, error);
}

static gboolean
file_contains (const char *path, const char *needle)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return FALSE; /* e.g. no -wal file after a checkpoint */
  return memmem (contents, len, needle, strlen (needle)) != NULL;
}

static gboolean
catalog_files_contain (Fixture *f, const char *needle)
{
  g_autofree char *wal = g_strconcat (f->db_path, "-wal", NULL);

  return file_contains (f->db_path, needle) || file_contains (wal, needle);
}

static void
test_tokens_create_lookup (Fixture *f, gconstpointer user_data)
{
  static const struct
  {
    YgRole role;
    const char *name;
    const char *prefix;
  } cases[] = {
    { YG_ROLE_STAFF, "Staff member Li", "ygs_" },
    { YG_ROLE_PARTNER, "Partner centre Hangzhou", "ygp_" },
    { YG_ROLE_ADMIN, "Administrator Wang", "yga_" },
  };
  char *tokens[G_N_ELEMENTS (cases)] = { NULL };
  gint64 ids[G_N_ELEMENTS (cases)] = { 0 };
  g_autoptr (GError) unknown_error = NULL;
  g_autoptr (YgPrincipal) unknown = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      tokens[i] = token_create (f->db, cases[i].role, cases[i].name, 0);
      g_assert_true (g_str_has_prefix (tokens[i], cases[i].prefix));
      g_assert_cmpuint (strlen (tokens[i]), ==, strlen (cases[i].prefix) + 43);
      for (gsize j = 0; j < i; j++)
        g_assert_cmpstr (tokens[i], !=, tokens[j]);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (YgPrincipal) p = token_lookup (f->db, tokens[i], &error);
      g_autofree char *sql = NULL;
      g_autofree char *stored_hash = NULL;
      g_autofree char *expected_hash = NULL;
      guint8 digest[YG_SHA256_LEN];

      g_assert_no_error (error);
      g_assert_nonnull (p);
      g_assert_cmpint (p->role, ==, cases[i].role);
      g_assert_cmpstr (p->name, ==, cases[i].name);
      g_assert_cmpint (p->token_id, >, 0);
      ids[i] = p->token_id;
      for (gsize j = 0; j < i; j++)
        g_assert_cmpint (ids[i], !=, ids[j]);

      /* What is stored is SHA-256 of the token. */
      sql = g_strdup_printf ("SELECT lower(hex(hash)) FROM tokens WHERE id = %" G_GINT64_FORMAT,
                             p->token_id);
      stored_hash = query_text (f->db, sql);
      yg_secret_sha256 (tokens[i], strlen (tokens[i]), digest);
      expected_hash = yg_secret_hex (digest, sizeof digest);
      g_assert_cmpstr (stored_hash, ==, expected_hash);
    }

  /* At rest, with the database open (main file + WAL) and after close
   * (checkpointed): the names are there, the plaintext tokens are not. */
  for (int pass = 0; pass < 2; pass++)
    {
      if (pass == 1)
        {
          drain (f->db);
          g_clear_object (&f->db);
        }
      for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
        {
          const char *body = tokens[i] + strlen (cases[i].prefix);

          g_assert_true (catalog_files_contain (f, cases[i].name));
          g_assert_false (catalog_files_contain (f, tokens[i]));
          g_assert_false (catalog_files_contain (f, body));
        }
    }
  {
    g_autoptr (GError) error = NULL;

    f->db = yg_db_open (f->db_path, &error);
    g_assert_no_error (error);
  }

  /* Unknown tokens: a fresh one of the right shape, a mangled one, garbage. */
  {
    g_autofree char *fresh = yg_secret_new_token ("ygs");
    g_autofree char *mangled = g_strdup (tokens[0]);
    const char *const bad[] = { fresh, mangled, "", "ygs_", "not a token" };

    mangled[strlen (mangled) - 1] = mangled[strlen (mangled) - 1] == 'A' ? 'B' : 'A';
    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr (GError) error = NULL;
        g_autoptr (YgPrincipal) p = token_lookup (f->db, bad[i], &error);

        g_assert_null (p);
        g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND);
      }
  }
  unknown = token_lookup (f->db, "yga_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &unknown_error);
  g_assert_null (unknown);
  g_assert_error (unknown_error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_free (tokens[i]);
}

static void
test_tokens_revoke (Fixture *f, gconstpointer user_data)
{
  g_autofree char *keep = token_create (f->db, YG_ROLE_STAFF, "keeps working", 0);
  g_autofree char *gone = token_create (f->db, YG_ROLE_PARTNER, "to be revoked", 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) again_error = NULL;
  g_autoptr (GError) lookup_error = NULL;
  g_autoptr (YgPrincipal) p = token_lookup (f->db, gone, &error);
  g_autoptr (YgPrincipal) after = NULL;
  g_autoptr (YgPrincipal) kept = NULL;
  gint64 id;

  g_assert_no_error (error);
  g_assert_nonnull (p);
  id = p->token_id;

  g_assert_nonnull (yg_db_run_sync (f->db, token_revoke_func, &id, &error));
  g_assert_no_error (error);

  after = token_lookup (f->db, gone, &lookup_error);
  g_assert_null (after);
  g_assert_error (lookup_error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND);

  /* Revoking twice, or a token that never existed, is NOT_FOUND. */
  g_assert_null (yg_db_run_sync (f->db, token_revoke_func, &id, &again_error));
  g_assert_error (again_error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND);
  {
    g_autoptr (GError) none_error = NULL;
    gint64 none = 999999;

    g_assert_null (yg_db_run_sync (f->db, token_revoke_func, &none, &none_error));
    g_assert_error (none_error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND);
  }

  /* Only that token. */
  kept = token_lookup (f->db, keep, &error);
  g_assert_no_error (error);
  g_assert_nonnull (kept);
  g_assert_cmpstr (kept->name, ==, "keeps working");
}

static void
test_tokens_expired (Fixture *f, gconstpointer user_data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  static const struct
  {
    gint64 offset; /* relative to now; 0 = never expires */
    gboolean valid;
  } cases[] = {
    { -3600, FALSE },
    { -1, FALSE },
    { 3600, TRUE },
    { 0, TRUE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 expires_at = cases[i].offset != 0 ? now + cases[i].offset : 0;
      g_autofree char *token = token_create (f->db, YG_ROLE_ADMIN, "expiring", expires_at);
      g_autoptr (GError) error = NULL;
      g_autoptr (YgPrincipal) p = token_lookup (f->db, token, &error);

      g_test_message ("expires_at offset %" G_GINT64_FORMAT, cases[i].offset);
      if (cases[i].valid)
        {
          g_assert_no_error (error);
          g_assert_nonnull (p);
          g_assert_cmpint (p->role, ==, YG_ROLE_ADMIN);
        }
      else
        {
          g_assert_null (p);
          g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND);
        }
    }
}

/* --- /db/fsck ------------------------------------------------------------ */

typedef struct
{
  const char *item_id;
  const char *role;
  const char *path;
  gint64 size; /* < 0: NULL */
} FileRow;

static gpointer
insert_file_func (YgDbConn *conn, gpointer data, GError **error)
{
  const FileRow *row = data;
  sqlite3_stmt *stmt = yg_db_conn_prepare (
    conn, "INSERT INTO item_files (item_id, role, path, size) VALUES (?1, ?2, ?3, ?4)", error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, row->item_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, row->role, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, row->path, -1, SQLITE_STATIC);
  if (row->size >= 0)
    sqlite3_bind_int64 (stmt, 4, row->size);
  else
    sqlite3_bind_null (stmt, 4);
  return yg_db_conn_step_done (conn, stmt, error) ? GINT_TO_POINTER (1) : NULL;
}

static void
insert_file_row (YgDb *db, const char *item_id, const char *role, const char *path, gint64 size)
{
  g_autoptr (GError) error = NULL;
  FileRow row = { item_id, role, path, size };

  g_assert_nonnull (yg_db_run_sync (db, insert_file_func, &row, &error));
  g_assert_no_error (error);
}

/* Writes @size bytes at data_dir/@rel, creating directories. */
static void
write_data_file (Fixture *f, const char *rel, gsize size)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *full = g_build_filename (f->data_dir, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (full);
  g_autofree char *bytes = g_malloc0 (size + 1);

  memset (bytes, 'x', size);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (full, bytes, size, &error));
  g_assert_no_error (error);
}

static gpointer
fsck_func (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_fsck_run (conn, data, error);
}

static YgFsckReport *
run_fsck (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  YgFsckReport *report = yg_db_run_sync (f->db, fsck_func, f->data_dir, &error);

  g_assert_no_error (error);
  g_assert_nonnull (report);
  g_assert_nonnull (report->problems);
  for (guint i = 0; i < report->problems->len; i++)
    g_test_message ("fsck: %s", (char *) report->problems->pdata[i]);
  return report;
}

/* The one problem line that mentions @needle (asserts there is exactly one). */
static const char *
find_problem (YgFsckReport *report, const char *needle)
{
  const char *found = NULL;

  for (guint i = 0; i < report->problems->len; i++)
    if (strstr (report->problems->pdata[i], needle) != NULL)
      {
        g_assert_null (found);
        found = report->problems->pdata[i];
      }
  g_assert_nonnull (found);
  return found;
}

/* One item with a real, consistent set of files; returns its id. */
static char *
add_clean_item (Fixture *f)
{
  char *id = yg_secret_new_id ();
  g_autofree char *original = g_strdup_printf ("originals/%s/original.mp4", id);
  g_autofree char *master = g_strdup_printf ("media/%s/master.m3u8", id);
  g_autofree char *poster = g_strdup_printf ("media/%s/poster.jpg", id);

  insert_item (f->db, id, "Clean item");
  write_data_file (f, original, 1234);
  write_data_file (f, master, 77);
  write_data_file (f, poster, 0);
  insert_file_row (f->db, id, "original", original, 1234);
  insert_file_row (f->db, id, "master", master, -1); /* size unknown: not compared */
  insert_file_row (f->db, id, "poster", poster, 0);
  return id;
}

static void
test_fsck_clean (Fixture *f, gconstpointer user_data)
{
  g_autofree char *a = add_clean_item (f);
  g_autofree char *b = add_clean_item (f);
  g_autoptr (YgFsckReport) report = run_fsck (f);

  g_assert_true (report->integrity_ok);
  g_assert_cmpuint (report->files_checked, ==, 6);
  g_assert_cmpuint (report->problems->len, ==, 0);
}

static void
test_fsck_missing_file (Fixture *f, gconstpointer user_data)
{
  g_autofree char *clean = add_clean_item (f);
  g_autofree char *id = yg_secret_new_id ();
  g_autofree char *path = g_strdup_printf ("media/%s/master.m3u8", id);
  g_autoptr (YgFsckReport) report = NULL;
  const char *problem;

  insert_item (f->db, id, "Lost its files");
  insert_file_row (f->db, id, "master", path, 100);

  report = run_fsck (f);
  g_assert_true (report->integrity_ok);
  g_assert_cmpuint (report->files_checked, ==, 4);
  g_assert_cmpuint (report->problems->len, ==, 1);
  problem = find_problem (report, id);
  g_assert_nonnull (strstr (problem, path));
  g_assert_nonnull (strstr (problem, "missing"));
  g_assert_nonnull (strstr (problem, "master"));
}

static void
test_fsck_size_mismatch (Fixture *f, gconstpointer user_data)
{
  g_autofree char *clean = add_clean_item (f);
  g_autofree char *id = yg_secret_new_id ();
  g_autofree char *path = g_strdup_printf ("originals/%s/original.mov", id);
  g_autoptr (YgFsckReport) report = NULL;
  const char *problem;

  insert_item (f->db, id, "Truncated upload");
  write_data_file (f, path, 10);
  insert_file_row (f->db, id, "original", path, 11);

  report = run_fsck (f);
  g_assert_true (report->integrity_ok);
  g_assert_cmpuint (report->files_checked, ==, 4);
  g_assert_cmpuint (report->problems->len, ==, 1);
  problem = find_problem (report, id);
  g_assert_nonnull (strstr (problem, path));
  g_assert_nonnull (strstr (problem, "10 bytes"));
  g_assert_nonnull (strstr (problem, "says 11"));
}

static void
test_fsck_escaping_path (Fixture *f, gconstpointer user_data)
{
  g_autofree char *id = yg_secret_new_id ();
  g_autofree char *outside = g_build_filename (f->tmp, "outside.txt", NULL);
  g_autofree char *abs_inside = g_build_filename (f->data_dir, "originals", "abs.mp4", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (YgFsckReport) report = NULL;
  /* Every one of these must be reported without being resolved. The targets
   * that exist have the recorded size, so following them would look clean. */
  const struct
  {
    const char *role;
    const char *path;
  } cases[] = {
    { "dotdot", "../outside.txt" },
    { "etc", "/etc/passwd" },
    { "absolute-inside", abs_inside },
    { "nested-dotdot", "media/../../outside.txt" },
    { "dot", "./originals/abs.mp4" },
    { "backslash", "media\\..\\..\\outside.txt" },
    { "empty", "" },
  };

  g_assert_true (g_file_set_contents (outside, "12345", 5, &error));
  g_assert_no_error (error);
  write_data_file (f, "originals/abs.mp4", 5);
  insert_item (f->db, id, "Hostile paths");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    insert_file_row (f->db, id, cases[i].role, cases[i].path, 5);
  /* A legitimate row of the same item is still checked normally (and clean). */
  insert_file_row (f->db, id, "legit", "originals/abs.mp4", 5);

  report = run_fsck (f);
  g_assert_true (report->integrity_ok);
  g_assert_cmpuint (report->files_checked, ==, G_N_ELEMENTS (cases) + 1);
  g_assert_cmpuint (report->problems->len, ==, G_N_ELEMENTS (cases));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *needle = g_strdup_printf ("%s %s:", id, cases[i].role);
      g_autofree char *quoted = g_strdup_printf ("\"%s\"", cases[i].path);
      const char *problem = find_problem (report, needle);

      g_assert_nonnull (strstr (problem, "outside the data directory"));
      g_assert_nonnull (strstr (problem, quoted));
    }
}

static void
test_fsck_not_regular (Fixture *f, gconstpointer user_data)
{
  g_autofree char *id = yg_secret_new_id ();
  g_autofree char *dir = g_strdup_printf ("media/%s", id);
  g_autofree char *link = g_strdup_printf ("media/%s/seg00001.ts", id);
  g_autofree char *dir_full = g_build_filename (f->data_dir, dir, NULL);
  g_autofree char *link_full = g_build_filename (f->data_dir, link, NULL);
  g_autofree char *outside = g_build_filename (f->tmp, "outside.ts", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (YgFsckReport) report = NULL;
  const char *problem;

  /* A symlink inside the data directory that points outside is not followed. */
  g_assert_true (g_file_set_contents (outside, "12345", 5, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (dir_full, 0700), ==, 0);
  g_assert_cmpint (symlink (outside, link_full), ==, 0);

  insert_item (f->db, id, "Odd files");
  insert_file_row (f->db, id, "directory", dir, -1);
  insert_file_row (f->db, id, "segment", link, 5);

  report = run_fsck (f);
  g_assert_cmpuint (report->files_checked, ==, 2);
  g_assert_cmpuint (report->problems->len, ==, 2);
  problem = find_problem (report, "directory:");
  g_assert_nonnull (strstr (problem, id));
  g_assert_nonnull (strstr (problem, "not a regular file"));
  problem = find_problem (report, "segment:");
  g_assert_nonnull (strstr (problem, link));
  g_assert_nonnull (strstr (problem, "outside the data directory"));
}

static void
test_fsck_symlinked_dir (Fixture *f, gconstpointer user_data)
{
  g_autofree char *id = yg_secret_new_id ();
  g_autofree char *outside_dir = g_build_filename (f->tmp, "elsewhere", NULL);
  g_autofree char *outside_file = g_build_filename (outside_dir, "original.mp4", NULL);
  g_autofree char *item_dir = g_strdup_printf ("originals/%s", id);
  g_autofree char *item_dir_full = g_build_filename (f->data_dir, item_dir, NULL);
  g_autofree char *path = g_strdup_printf ("originals/%s/original.mp4", id);
  g_autofree char *parent = g_path_get_dirname (item_dir_full);
  g_autoptr (GError) error = NULL;
  g_autoptr (YgFsckReport) report = NULL;
  const char *problem;

  /* originals/<id> is a symlink to a directory outside the data directory
   * holding a file of exactly the recorded size: a check that follows the
   * intermediate symlink would find nothing wrong. */
  g_assert_cmpint (g_mkdir_with_parents (outside_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (outside_file, "12345", 5, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_assert_cmpint (symlink (outside_dir, item_dir_full), ==, 0);

  insert_item (f->db, id, "Symlinked away");
  insert_file_row (f->db, id, "original", path, 5);

  report = run_fsck (f);
  g_assert_cmpuint (report->files_checked, ==, 1);
  /* A symlinked directory must not lead the check outside the data dir. */
  g_assert_cmpuint (report->problems->len, ==, 1);
  problem = find_problem (report, id);
  g_assert_nonnull (strstr (problem, path));
}

/* --- main ---------------------------------------------------------------- */

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (!yg_secret_init ())
    g_error ("libsodium failed to initialise");

#define ADD(path, setup, func) \
  g_test_add (path, Fixture, NULL, setup, func, fixture_teardown)

  ADD ("/db/open/creates-wal", fixture_setup, test_open_creates_wal);
  ADD ("/db/open/cant-open", fixture_setup, test_open_cant_open);
  ADD ("/db/open/not-a-database", fixture_setup, test_open_not_a_database);
  ADD ("/db/migrations/idempotent", fixture_setup, test_migrations_idempotent);
  ADD ("/db/migrations/upgrade-older", fixture_setup, test_migrations_upgrade_older);
  ADD ("/db/migrations/refuse-newer", fixture_setup, test_migrations_refuse_newer);
  ADD ("/db/async/order-and-thread", fixture_setup_open, test_async_order_and_thread);
  ADD ("/db/async/error", fixture_setup_open, test_async_error);
  ADD ("/db/async/cancelled", fixture_setup_open, test_async_cancelled);
  g_test_add_func ("/db/async/last-unref-in-callback", test_async_last_unref_in_callback);
  ADD ("/db/statement-cache", fixture_setup_open, test_statement_cache);
  ADD ("/db/transactions/rollback", fixture_setup_open, test_transactions_rollback);
  ADD ("/db/busy", fixture_setup_open, test_busy);
  ADD ("/db/busy/timeout", fixture_setup_open, test_busy_timeout);
  ADD ("/db/tokens/create-lookup", fixture_setup_open, test_tokens_create_lookup);
  ADD ("/db/tokens/revoke", fixture_setup_open, test_tokens_revoke);
  ADD ("/db/tokens/expired", fixture_setup_open, test_tokens_expired);
  ADD ("/db/fsck/clean", fixture_setup_open, test_fsck_clean);
  ADD ("/db/fsck/missing-file", fixture_setup_open, test_fsck_missing_file);
  ADD ("/db/fsck/size-mismatch", fixture_setup_open, test_fsck_size_mismatch);
  ADD ("/db/fsck/escaping-path", fixture_setup_open, test_fsck_escaping_path);
  ADD ("/db/fsck/not-regular", fixture_setup_open, test_fsck_not_regular);
  ADD ("/db/fsck/symlinked-dir", fixture_setup_open, test_fsck_symlinked_dir);

#undef ADD

  g_test_summary ("The catalogue database on real SQLite files: open, migrations, the DB "
                  "thread, statement cache, transactions, locking, tokens and fsck.");
  return g_test_run ();
}

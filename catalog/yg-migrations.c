/* yg-migrations.c: the catalogue schema, as an ordered list of migrations.
 *
 * Migration N (1-based) turns a schema at user_version N-1 into N. Each runs
 * in its own BEGIN IMMEDIATE transaction together with the user_version bump,
 * and the version is re-read inside that transaction, so two processes that
 * open an old database at once (serve and `yunguan token`) cannot both apply
 * the same step. Never edit a released migration: append a new one.
 * A database whose user_version is newer than this binary knows is refused.
 * Thread: called while the handle is still owned by its opener (yg_db_open).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-migrations.h"

#include "yg-db-error.h"

static const char *const migrations[] = {
  /* 1: tokens and items, the core of the catalogue */
  "CREATE TABLE tokens ("
  "  id INTEGER PRIMARY KEY,"
  "  hash BLOB NOT NULL UNIQUE,"                /* SHA-256 of the bearer token */
  "  role TEXT NOT NULL CHECK (role IN ('staff','partner','admin','worker')),"
  "  name TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  expires_at INTEGER,"
  "  revoked_at INTEGER"
  ");"
  "CREATE TABLE items ("
  "  id TEXT PRIMARY KEY,"                       /* server-generated */
  "  kind TEXT NOT NULL CHECK (kind IN ('performance','lesson','heritage')),"
  "  title TEXT NOT NULL,"
  "  description TEXT NOT NULL DEFAULT '',"
  "  status TEXT NOT NULL DEFAULT 'processing'"
  "    CHECK (status IN ('processing','ready','failed')),"
  "  error_code TEXT,"
  "  error_message TEXT,"
  "  duration REAL,"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX items_created ON items (created_at DESC);",

  /* 2: the files an item owns, and the jobs that make them */
  "CREATE TABLE item_files ("
  "  item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,"
  "  role TEXT NOT NULL,"                        /* original, master, poster, ... */
  "  path TEXT NOT NULL,"                        /* relative to the data directory */
  "  size INTEGER,"
  "  sha256 TEXT,"
  "  PRIMARY KEY (item_id, role)"
  ");"
  "CREATE TABLE jobs ("
  "  id INTEGER PRIMARY KEY,"
  "  item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,"
  "  state TEXT NOT NULL DEFAULT 'queued'"
  "    CHECK (state IN ('queued','running','done','failed','cancelled')),"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  progress REAL NOT NULL DEFAULT 0,"
  "  error_code TEXT,"
  "  error_message TEXT,"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX jobs_state ON jobs (state, id);",

  /* 3: leases for the job protocol, retry backoff, the original's hash */
  "ALTER TABLE jobs ADD COLUMN lease_owner TEXT;"
  "ALTER TABLE jobs ADD COLUMN lease_expires_at INTEGER;"
  "ALTER TABLE jobs ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE jobs ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 3;"
  "CREATE UNIQUE INDEX jobs_one_active_per_item ON jobs (item_id)"
  "  WHERE state IN ('queued','running');"
  "CREATE INDEX item_files_sha256 ON item_files (sha256) WHERE role = 'original';",

  /* 4: accounts (residents, staff, admins) with Argon2id password hashes */
  "CREATE TABLE users ("
  "  id INTEGER PRIMARY KEY,"
  "  username TEXT NOT NULL UNIQUE,"
  "  display_name TEXT NOT NULL DEFAULT '',"
  "  role TEXT NOT NULL CHECK (role IN ('resident','staff','admin')),"
  "  password_hash TEXT NOT NULL,"            /* crypto_pwhash_str (Argon2id) */
  "  phone TEXT UNIQUE,"
  "  created_at INTEGER NOT NULL,"
  "  disabled_at INTEGER"
  ");",

  /* 5: sign-in sessions; the cookie carries a secret, the row only its hash */
  "CREATE TABLE sessions ("
  "  id INTEGER PRIMARY KEY,"
  "  hash BLOB NOT NULL UNIQUE,"                /* SHA-256 of the cookie's secret */
  "  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  csrf_token TEXT NOT NULL,"                 /* sent back in X-CSRF-Token */
  "  created_at INTEGER NOT NULL,"
  "  last_seen_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX sessions_user ON sessions (user_id);"
  "CREATE INDEX sessions_expires ON sessions (expires_at);",

  /* 6: who may see an item */
  "ALTER TABLE items ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public'"
  "  CHECK (visibility IN ('public','residents','unlisted','staff'));",
};

int
yg_migrations_latest (void)
{
  return G_N_ELEMENTS (migrations);
}

int
yg_migrations_current (sqlite3 *db, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc, version = -1;

  rc = sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          version = sqlite3_column_int (stmt, 0);
          rc = SQLITE_OK;
        }
    }
  if (rc != SQLITE_OK)
    yg_db_error_set_from_sqlite (error, db, rc, "reading schema version");
  sqlite3_finalize (stmt);
  return version;
}

static gboolean
exec (sqlite3 *db, const char *sql, GError **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    return yg_db_error_set_from_sqlite (error, db, rc, "migrating schema");
  return TRUE;
}

static gboolean
apply_one (sqlite3 *db, int version, GError **error)
{
  g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", version);
  int current;

  if (!exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  current = yg_migrations_current (db, error);
  if (current < 0)
    goto fail;
  if (current >= version) /* another process got here first */
    return exec (db, "COMMIT", error);
  if (!exec (db, migrations[version - 1], error) || !exec (db, bump, error)
      || !exec (db, "COMMIT", error))
    goto fail;
  g_debug ("catalogue schema migrated to version %d", version);
  return TRUE;

fail:
  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

/**
 * yg_migrations_apply:
 * @target: the version to reach, or -1 for the latest
 *
 * Applies every missing migration up to @target. Idempotent.
 */
gboolean
yg_migrations_apply (sqlite3 *db, int target, GError **error)
{
  int current;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (target <= yg_migrations_latest (), FALSE);

  if (target < 0)
    target = yg_migrations_latest ();
  current = yg_migrations_current (db, error);
  if (current < 0)
    return FALSE;
  if (current > yg_migrations_latest ())
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_SCHEMA_TOO_NEW,
                   "The catalogue has schema version %d but this yunguan only knows up to %d; "
                   "run a newer yunguan or restore a backup",
                   current, yg_migrations_latest ());
      return FALSE;
    }
  for (int v = current + 1; v <= target; v++)
    if (!apply_one (db, v, error))
      return FALSE;
  return TRUE;
}

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

  /* 7: item metadata (yg-item-meta-store.c): core fields for every kind, the
   * performance and heritage fields, tags, chapters, inheritors. performers
   * and programme are JSON arrays owned by the item (validated on input,
   * never queried by element). No course link yet: courses get their own
   * table and migration when they arrive. */
  "ALTER TABLE items ADD COLUMN language TEXT;"
  "ALTER TABLE items ADD COLUMN recorded_date TEXT;"          /* YYYY-MM-DD */
  "ALTER TABLE items ADD COLUMN venue TEXT;"
  "ALTER TABLE items ADD COLUMN troupe TEXT;"                 /* performance */
  "ALTER TABLE items ADD COLUMN performers TEXT;"             /* performance: JSON array */
  "ALTER TABLE items ADD COLUMN performance_date TEXT;"       /* performance: YYYY-MM-DD */
  "ALTER TABLE items ADD COLUMN programme TEXT;"              /* performance: JSON array */
  "ALTER TABLE items ADD COLUMN project_name TEXT;"           /* heritage: 项目名称 */
  "ALTER TABLE items ADD COLUMN category TEXT;"               /* heritage: folk_literature... */
  "ALTER TABLE items ADD COLUMN level TEXT;"                  /* heritage: national... */
  "ALTER TABLE items ADD COLUMN region TEXT;"                 /* heritage */
  "CREATE TABLE item_tags ("
  "  item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,"
  "  tag TEXT NOT NULL,"                       /* normalised (yg_item_meta_normalize_tag) */
  "  position INTEGER NOT NULL DEFAULT 0,"    /* order as given */
  "  PRIMARY KEY (item_id, tag)"
  ") WITHOUT ROWID;"
  "CREATE INDEX item_tags_tag ON item_tags (tag, item_id);"
  "CREATE TABLE item_chapters ("
  "  item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,"
  "  position INTEGER NOT NULL,"
  "  title TEXT NOT NULL,"
  "  start REAL NOT NULL CHECK (start >= 0),"
  "  PRIMARY KEY (item_id, position)"
  ") WITHOUT ROWID;"
  "CREATE TABLE inheritors ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL,"
  "  birth_year INTEGER,"
  "  gender TEXT CHECK (gender IN ('female','male')),"
  "  level TEXT CHECK (level IN ('national','provincial','municipal','county')),"
  "  region TEXT,"
  "  bio TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL"
  ");"
  "CREATE TABLE item_inheritors ("
  "  item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,"
  "  inheritor_id INTEGER NOT NULL REFERENCES inheritors (id) ON DELETE CASCADE,"
  "  PRIMARY KEY (item_id, inheritor_id)"
  ") WITHOUT ROWID;"
  "CREATE INDEX item_inheritors_inheritor ON item_inheritors (inheritor_id, item_id);",

  /* 8: search (yg-search.c): item_search holds one row per item with its
   * filter values; its key "doc" is (recorded day << 32 | seq), so doc order
   * is date order; item_search_tags repeats the tags under the doc. item_text
   * holds the lower-cased text under the same doc: trigram FTS5 indexes (one
   * for titles, one for names and body) answer queries of three characters or
   * more; unicode61 FTS5 indexes of the distinct 1- and 2-character
   * substrings of titles (tgrams) and of names (ngrams) answer shorter ones.
   * All four are external-content tables that the search store updates in
   * the same transaction as item_text (triggers cannot write FTS5 tables while
   * trusted_schema is off). Existing items are indexed here by their titles
   * (grams made by a recursive CTE; date unknown). */
  "CREATE TABLE item_search ("
  "  doc INTEGER PRIMARY KEY,"                /* day << 32 | seq */
  "  seq INTEGER NOT NULL UNIQUE,"            /* given once per item, kept */
  "  item_id TEXT NOT NULL UNIQUE REFERENCES items (id) ON DELETE CASCADE,"
  "  kind TEXT NOT NULL,"
  "  category TEXT,"
  "  level TEXT,"
  "  region TEXT"
  ");"
  "CREATE INDEX item_search_kind ON item_search (kind);"
  "CREATE INDEX item_search_category ON item_search (category) WHERE category IS NOT NULL;"
  "CREATE INDEX item_search_level ON item_search (level) WHERE level IS NOT NULL;"
  "CREATE INDEX item_search_region ON item_search (region) WHERE region IS NOT NULL;"
  "CREATE TABLE item_text ("
  "  doc INTEGER PRIMARY KEY,"                /* = item_search.doc */
  "  title TEXT NOT NULL,"                    /* lower-cased */
  "  names TEXT NOT NULL DEFAULT '',"         /* tags, people, troupe, project, venue, region */
  "  body TEXT NOT NULL DEFAULT '',"          /* description, programme */
  "  tgrams TEXT NOT NULL DEFAULT '',"        /* distinct 1-2 char substrings of title */
  "  ngrams TEXT NOT NULL DEFAULT ''"         /* ... and of names */
  ");"
  "CREATE TABLE item_search_tags ("
  "  tag TEXT NOT NULL,"
  "  doc INTEGER NOT NULL,"
  "  PRIMARY KEY (tag, doc)"
  ") WITHOUT ROWID;"
  "CREATE INDEX item_search_tags_doc ON item_search_tags (doc);"
  "CREATE VIRTUAL TABLE item_title_fts USING fts5 (title, content='item_text',"
  "  content_rowid='doc', tokenize='trigram');"
  "CREATE VIRTUAL TABLE item_fts USING fts5 (names, body, content='item_text',"
  "  content_rowid='doc', tokenize='trigram');"
  "CREATE VIRTUAL TABLE item_title_grams USING fts5 (tgrams, content='item_text',"
  "  content_rowid='doc', tokenize=\"unicode61 remove_diacritics 0\", detail=none);"
  "CREATE VIRTUAL TABLE item_grams USING fts5 (ngrams, content='item_text',"
  "  content_rowid='doc', tokenize=\"unicode61 remove_diacritics 0\", detail=none);"
  "INSERT INTO item_search (doc, seq, item_id, kind) SELECT rowid, rowid, id, kind FROM items;"
  "INSERT INTO item_text (doc, title, body, tgrams)"
  "  SELECT s.doc, lower (i.title), lower (i.description),"
  "    (WITH RECURSIVE g (n, t) AS (SELECT 1, '' UNION ALL"
  "       SELECT n + 1, t || ' ' || substr (lower (i.title), n, 1) || ' '"
  "         || substr (lower (i.title), n, 2)"
  "       FROM g WHERE n <= length (i.title))"
  "     SELECT t FROM g ORDER BY n DESC LIMIT 1)"
  "  FROM items i JOIN item_search s ON s.item_id = i.id;"
  "INSERT INTO item_title_fts (item_title_fts) VALUES ('rebuild');"
  "INSERT INTO item_fts (item_fts) VALUES ('rebuild');"
  "INSERT INTO item_title_grams (item_title_grams) VALUES ('rebuild');"
  "INSERT INTO item_grams (item_grams) VALUES ('rebuild');",

  /* 9: courses (yg-course-store.c): a course has ordered chapters, and each
   * chapter ordered lessons; a lesson is an item of kind 'lesson' in at most
   * one course (course_lessons.item_id is the key). "position" numbers the
   * lessons through the whole course, "chapter" is the chapter's position.
   * cover_item names an item whose poster serves as the cover. */
  "CREATE TABLE courses ("
  "  id INTEGER PRIMARY KEY,"
  "  title TEXT NOT NULL,"
  "  description TEXT NOT NULL DEFAULT '',"
  "  teacher TEXT NOT NULL DEFAULT '',"
  "  level TEXT NOT NULL DEFAULT 'beginner'"
  "    CHECK (level IN ('beginner','intermediate','advanced')),"
  "  cover_item TEXT REFERENCES items (id) ON DELETE SET NULL,"
  "  visibility TEXT NOT NULL DEFAULT 'public'"
  "    CHECK (visibility IN ('public','residents','unlisted','staff')),"
  "  threshold REAL NOT NULL DEFAULT 0.9 CHECK (threshold >= 0.5 AND threshold <= 1.0),"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL"
  ");"
  "CREATE TABLE course_chapters ("
  "  course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,"
  "  position INTEGER NOT NULL,"
  "  title TEXT NOT NULL,"
  "  PRIMARY KEY (course_id, position)"
  ") WITHOUT ROWID;"
  "CREATE TABLE course_lessons ("
  "  item_id TEXT PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,"
  "  course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,"
  "  chapter INTEGER NOT NULL,"
  "  position INTEGER NOT NULL,"
  "  UNIQUE (course_id, position)"
  ");",

  /* 10: enrolment and viewing progress (yg-progress-store.c), per account.
   * progress.furthest is the furthest position reached (completion is
   * furthest / duration against the course threshold); writes counts the
   * flushes of the row (the server coalesces PUTs to one write per 5 s).
   * enrolments.active_at moves when progress on one of its lessons is saved. */
  "CREATE TABLE enrolments ("
  "  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,"
  "  enrolled_at INTEGER NOT NULL,"
  "  active_at INTEGER NOT NULL,"
  "  PRIMARY KEY (user_id, course_id)"
  ") WITHOUT ROWID;"
  "CREATE INDEX enrolments_active ON enrolments (user_id, active_at DESC);"
  "CREATE TABLE progress ("
  "  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,"
  "  position REAL NOT NULL CHECK (position >= 0),"
  "  duration REAL NOT NULL CHECK (duration > 0),"
  "  furthest REAL NOT NULL CHECK (furthest >= 0),"
  "  writes INTEGER NOT NULL DEFAULT 1,"
  "  updated_at INTEGER NOT NULL,"
  "  PRIMARY KEY (user_id, item_id)"
  ") WITHOUT ROWID;",

  /* 11: demand and effectiveness. Residents' requests (点单/点将,
   * yg-demand-store.c) with one support row per resident; supporters is the
   * count of those rows, kept in the same transaction. demand_fts is a
   * trigram index of titles and descriptions (written by the store, like the
   * item indexes) for "similar requests". webhook_outbox holds staff
   * notifications until delivered (retries survive a restart). ratings:
   * one per resident per target (yg-rating-store.c). heartbeats are raw
   * player events (no address, a client-made viewer id), dropped after the
   * analytics window once folded into analytics_daily; viewings (one row per
   * viewer, item and day) stay for unique and returning viewers. Days are
   * UTC day numbers (unix seconds / 86400). */
  "CREATE TABLE lecturers ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL,"
  "  kind TEXT NOT NULL DEFAULT 'teacher' CHECK (kind IN ('teacher','volunteer')),"
  "  bio TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL"
  ");"
  "CREATE TABLE demands ("
  "  id INTEGER PRIMARY KEY,"
  "  kind TEXT NOT NULL CHECK (kind IN ('programme','course','lecturer')),"
  "  title TEXT NOT NULL,"
  "  description TEXT NOT NULL DEFAULT '',"
  "  lecturer_id INTEGER REFERENCES lecturers (id) ON DELETE SET NULL,"
  "  community TEXT,"
  "  author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,"
  "  status TEXT NOT NULL DEFAULT 'open'"
  "    CHECK (status IN ('open','threshold_reached','scheduled','declined')),"
  "  supporters INTEGER NOT NULL DEFAULT 0 CHECK (supporters >= 0),"
  "  created_at INTEGER NOT NULL,"
  "  threshold_at INTEGER,"
  "  answered_at INTEGER,"
  "  scheduled_date TEXT,"                       /* YYYY-MM-DD */
  "  linked_item TEXT REFERENCES items (id) ON DELETE SET NULL,"
  "  linked_course INTEGER REFERENCES courses (id) ON DELETE SET NULL,"
  "  reason TEXT"
  ");"
  "CREATE INDEX demands_status ON demands (status, id);"
  "CREATE TABLE demand_supports ("
  "  demand_id INTEGER NOT NULL REFERENCES demands (id) ON DELETE CASCADE,"
  "  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  created_at INTEGER NOT NULL,"
  "  PRIMARY KEY (demand_id, user_id)"
  ") WITHOUT ROWID;"
  "CREATE INDEX demand_supports_user ON demand_supports (user_id);"
  "CREATE VIRTUAL TABLE demand_fts USING fts5 (title, description, content='demands',"
  "  content_rowid='id', tokenize='trigram');"
  "CREATE TABLE webhook_outbox ("
  "  id INTEGER PRIMARY KEY,"
  "  event TEXT NOT NULL,"
  "  demand_id INTEGER NOT NULL REFERENCES demands (id) ON DELETE CASCADE,"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  next_at INTEGER NOT NULL,"                  /* unix seconds */
  "  delivered_at INTEGER,"
  "  gave_up_at INTEGER,"
  "  last_error TEXT,"
  "  created_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX webhook_outbox_due ON webhook_outbox (next_at)"
  "  WHERE delivered_at IS NULL AND gave_up_at IS NULL;"
  "CREATE TABLE ratings ("
  "  id INTEGER PRIMARY KEY,"
  "  target_type TEXT NOT NULL CHECK (target_type IN ('item','course','request')),"
  "  target_id TEXT NOT NULL,"
  "  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),"
  "  comment TEXT NOT NULL DEFAULT '',"
  "  hidden_at INTEGER,"
  "  hidden_reason TEXT,"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL,"
  "  UNIQUE (target_type, target_id, user_id)"
  ");"
  "CREATE TABLE heartbeats ("
  "  id INTEGER PRIMARY KEY,"
  "  at INTEGER NOT NULL,"                       /* unix milliseconds, server time */
  "  viewer TEXT NOT NULL,"
  "  session TEXT NOT NULL,"
  "  item_id TEXT NOT NULL,"
  "  user_id INTEGER,"
  "  community TEXT,"
  "  event TEXT NOT NULL CHECK (event IN ('start','tick','pause','seek','end')),"
  "  position REAL NOT NULL CHECK (position >= 0)"
  ");"
  "CREATE INDEX heartbeats_at ON heartbeats (at);"
  "CREATE TABLE viewings ("
  "  day INTEGER NOT NULL,"
  "  viewer TEXT NOT NULL,"
  "  item_id TEXT NOT NULL,"
  "  user_id INTEGER,"
  "  community TEXT,"
  "  PRIMARY KEY (day, viewer, item_id)"
  ") WITHOUT ROWID;"
  "CREATE INDEX viewings_viewer ON viewings (viewer, day);"
  "CREATE TABLE analytics_daily ("
  "  day INTEGER NOT NULL,"
  "  item_id TEXT NOT NULL,"
  "  community TEXT NOT NULL DEFAULT '',"
  "  views INTEGER NOT NULL,"
  "  watch_seconds REAL NOT NULL,"
  "  fraction_sum REAL NOT NULL,"                /* sum of watched fractions (timed views) */
  "  timed_views INTEGER NOT NULL,"              /* views of items with a known duration */
  "  completions INTEGER NOT NULL,"
  "  reach TEXT NOT NULL,"                       /* 21 counts: views reaching k * 5 % */
  "  PRIMARY KEY (day, item_id, community)"
  ") WITHOUT ROWID;",

  /* 12: partner centres (yg-partner-store.c): a name, the origins allowed to
   * frame the embed player and to read HLS and the API cross-origin
   * (space-separated, normalised scheme://host[:port]), an enabled flag and
   * the partner bearer token minted for them. Playback counted for a partner
   * (verified by the server: a signed embed token or an allowed Origin, never
   * a client-named partner) is kept on the raw events, the viewings and the
   * daily rows; analytics_daily is rebuilt with the partner in its key
   * (0 = no partner). */
  "CREATE TABLE partners ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL,"
  "  origins TEXT NOT NULL DEFAULT '',"
  "  token_id INTEGER REFERENCES tokens (id) ON DELETE SET NULL,"
  "  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX partners_token ON partners (token_id);"
  "ALTER TABLE heartbeats ADD COLUMN partner_id INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE viewings ADD COLUMN partner_id INTEGER NOT NULL DEFAULT 0;"
  "CREATE TABLE analytics_daily_new ("
  "  day INTEGER NOT NULL,"
  "  item_id TEXT NOT NULL,"
  "  community TEXT NOT NULL DEFAULT '',"
  "  partner_id INTEGER NOT NULL DEFAULT 0,"
  "  views INTEGER NOT NULL,"
  "  watch_seconds REAL NOT NULL,"
  "  fraction_sum REAL NOT NULL,"
  "  timed_views INTEGER NOT NULL,"
  "  completions INTEGER NOT NULL,"
  "  reach TEXT NOT NULL,"
  "  PRIMARY KEY (day, item_id, community, partner_id)"
  ") WITHOUT ROWID;"
  "INSERT INTO analytics_daily_new (day, item_id, community, partner_id, views, watch_seconds,"
  "  fraction_sum, timed_views, completions, reach)"
  "  SELECT day, item_id, community, 0, views, watch_seconds, fraction_sum, timed_views,"
  "  completions, reach FROM analytics_daily;"
  "DROP TABLE analytics_daily;"
  "ALTER TABLE analytics_daily_new RENAME TO analytics_daily;",

  /* 13: syndication between centres (yg-feed-store.c). feed_log holds, per
   * item, the sequence number of its latest change (insert, update, delete;
   * kept by triggers, one row per item), so the public feed is read
   * incrementally by that number and deletions reach subscribers.
   * subscriptions are other servers' feeds an admin follows (URL, whether
   * its private or loopback address is allowed, the cursor reached, the last
   * state and error); remote_items makes an items row of each subscribed
   * item (so browse, search, pages and analytics see it) and keeps where it
   * plays from (the origin's absolute HLS and poster URLs). */
  "CREATE TABLE feed_log ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  item_id TEXT NOT NULL UNIQUE"
  ");"
  "INSERT INTO feed_log (item_id) SELECT id FROM items ORDER BY created_at, rowid;"
  "CREATE TRIGGER feed_log_insert AFTER INSERT ON items BEGIN"
  "  DELETE FROM feed_log WHERE item_id = new.id;"
  "  INSERT INTO feed_log (item_id) VALUES (new.id);"
  " END;"
  "CREATE TRIGGER feed_log_update AFTER UPDATE ON items BEGIN"
  "  DELETE FROM feed_log WHERE item_id = new.id;"
  "  INSERT INTO feed_log (item_id) VALUES (new.id);"
  " END;"
  "CREATE TRIGGER feed_log_delete AFTER DELETE ON items BEGIN"
  "  DELETE FROM feed_log WHERE item_id = old.id;"
  "  INSERT INTO feed_log (item_id) VALUES (old.id);"
  " END;"
  "CREATE TABLE subscriptions ("
  "  id INTEGER PRIMARY KEY,"
  "  url TEXT NOT NULL UNIQUE,"
  "  name TEXT NOT NULL DEFAULT '',"                /* the source centre, from its feed */
  "  allow_private INTEGER NOT NULL DEFAULT 0 CHECK (allow_private IN (0, 1)),"
  "  cursor INTEGER NOT NULL DEFAULT 0,"
  "  etag TEXT,"
  "  state TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new','ok','error')),"
  "  error TEXT,"
  "  checked_at INTEGER,"
  "  ok_at INTEGER,"
  "  created_at INTEGER NOT NULL"
  ");"
  "CREATE TABLE remote_items ("
  "  item_id TEXT PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,"
  "  subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,"
  "  remote_id TEXT NOT NULL,"
  "  hls_url TEXT NOT NULL,"
  "  poster_url TEXT,"
  "  page_url TEXT,"
  "  UNIQUE (subscription_id, remote_id)"
  ");",
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

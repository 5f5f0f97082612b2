/* yg-session-store.c: sign-in sessions of accounts.
 *
 * A session is created at sign-in with 256 random bits as its secret (the
 * cookie value) and an independent CSRF token; the row stores SHA-256 of
 * the secret, never the secret, so a copy of the database cannot be used
 * to sign in. Creating a session deletes the one the browser presented
 * (rotation: a new secret on every sign-in) and purges expired rows.
 * A session ends YG_SESSION_LIFETIME after sign-in, after YG_SESSION_IDLE
 * without a request, at sign-out, or when its account is disabled.
 * last_seen_at is written at most once a minute per session.
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-session-store.h"

#include "yg-secret.h"

#define SECRET_PREFIX "ygc"
#define SECRET_LEN (4 + 43)

void
yg_new_session_free (YgNewSession *s)
{
  if (s == NULL)
    return;
  g_free (s->secret);
  g_free (s->csrf_token);
  g_free (s);
}

/* "ygc_" + 43 base64url characters; anything else is not looked up. */
gboolean
yg_session_secret_is_well_formed (const char *secret)
{
  if (secret == NULL || strlen (secret) != SECRET_LEN || !g_str_has_prefix (secret, SECRET_PREFIX "_"))
    return FALSE;
  for (const char *p = secret + 4; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static gboolean
delete_by_secret (YgDbConn *conn, const char *secret, GError **error)
{
  guint8 hash[YG_SHA256_LEN];
  sqlite3_stmt *stmt;

  if (!yg_session_secret_is_well_formed (secret))
    return TRUE;
  yg_secret_sha256 (secret, strlen (secret), hash);
  stmt = yg_db_conn_prepare (conn, "DELETE FROM sessions WHERE hash = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_blob (stmt, 1, hash, sizeof hash, SQLITE_TRANSIENT);
  return yg_db_conn_step_done (conn, stmt, error);
}

/**
 * yg_session_store_create:
 * @replaces: (nullable): the secret of the session the browser presented;
 *   it is deleted in the same transaction
 *
 * Returns: (transfer full): the new session's secret and CSRF token
 */
YgNewSession *
yg_session_store_create (YgDbConn *conn, gint64 user_id, const char *replaces, GError **error)
{
  g_autoptr (YgNewSession) s = g_new0 (YgNewSession, 1);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint8 hash[YG_SHA256_LEN];
  sqlite3_stmt *stmt;

  s->secret = yg_secret_new_token (SECRET_PREFIX);
  s->csrf_token = yg_secret_new_token ("csrf");
  s->expires_at = now + YG_SESSION_LIFETIME;
  yg_secret_sha256 (s->secret, strlen (s->secret), hash);

  if (!yg_db_conn_begin (conn, error))
    return NULL;
  if (replaces != NULL && !delete_by_secret (conn, replaces, error))
    goto fail;
  stmt = yg_db_conn_prepare (conn, "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2",
                             error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, now);
  sqlite3_bind_int64 (stmt, 2, now - YG_SESSION_IDLE);
  if (!yg_db_conn_step_done (conn, stmt, error))
    goto fail;
  stmt = yg_db_conn_prepare (conn,
                             "INSERT INTO sessions (hash, user_id, csrf_token, created_at,"
                             " last_seen_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                             error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_blob (stmt, 1, hash, sizeof hash, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, user_id);
  sqlite3_bind_text (stmt, 3, s->csrf_token, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, now);
  sqlite3_bind_int64 (stmt, 5, s->expires_at);
  if (!yg_db_conn_step_done (conn, stmt, error) || !yg_db_conn_commit (conn, error))
    goto fail;
  return g_steal_pointer (&s);

fail:
  yg_db_conn_rollback (conn);
  return NULL;
}

/**
 * yg_session_store_lookup:
 *
 * Returns: (transfer full): the signed-in account as a principal, or %NULL
 *   with YG_DB_ERROR_NOT_FOUND for an unknown, expired or idle session or
 *   a disabled account
 */
YgPrincipal *
yg_session_store_lookup (YgDbConn *conn, const char *secret, GError **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint8 hash[YG_SHA256_LEN];
  sqlite3_stmt *stmt;
  YgPrincipal *p;
  gint64 last_seen;
  int rc;

  if (!yg_session_secret_is_well_formed (secret))
    {
      g_set_error_literal (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No such session");
      return NULL;
    }
  yg_secret_sha256 (secret, strlen (secret), hash);
  stmt = yg_db_conn_prepare (conn,
                             "SELECT s.id, s.csrf_token, s.last_seen_at, u.id, u.username,"
                             " u.display_name, u.role FROM sessions s JOIN users u"
                             " ON u.id = s.user_id WHERE s.hash = ?1 AND s.expires_at > ?2"
                             " AND s.last_seen_at > ?3 AND u.disabled_at IS NULL",
                             error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_blob (stmt, 1, hash, sizeof hash, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, now);
  sqlite3_bind_int64 (stmt, 3, now - YG_SESSION_IDLE);
  rc = yg_db_conn_step (conn, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error_literal (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No such session");
      return NULL;
    }
  p = yg_principal_new (0, yg_role_from_string ((const char *) sqlite3_column_text (stmt, 6)),
                        (const char *) sqlite3_column_text (stmt, 5));
  p->session_id = sqlite3_column_int64 (stmt, 0);
  p->csrf_token = yg_db_column_dup (stmt, 1);
  last_seen = sqlite3_column_int64 (stmt, 2);
  p->user_id = sqlite3_column_int64 (stmt, 3);
  p->username = yg_db_column_dup (stmt, 4);
  sqlite3_reset (stmt);

  if (now - last_seen >= 60)
    {
      g_autoptr (GError) local = NULL;
      stmt = yg_db_conn_prepare (conn, "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1", &local);
      if (stmt != NULL)
        {
          sqlite3_bind_int64 (stmt, 1, p->session_id);
          sqlite3_bind_int64 (stmt, 2, now);
          yg_db_conn_step_done (conn, stmt, &local);
        }
      if (local != NULL) /* the session is still valid; the next request retries */
        g_debug ("session %" G_GINT64_FORMAT ": last seen not updated: %s", p->session_id,
                 local->message);
    }
  return p;
}

/* Deletes the session with this secret, if any (signing out twice is fine). */
gboolean
yg_session_store_delete (YgDbConn *conn, const char *secret, GError **error)
{
  return delete_by_secret (conn, secret, error);
}

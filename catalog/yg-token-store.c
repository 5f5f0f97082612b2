/* yg-token-store.c: creating, looking up and revoking bearer tokens.
 *
 * The plaintext token is returned once, at creation, and never stored: the
 * tokens table holds SHA-256(token), so a leaked database does not leak
 * usable credentials. Lookup is by hash (unique index), then the expiry and
 * revocation columns decide. Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-token-store.h"

#include "yg-secret.h"

static const char *
prefix_for_role (YgRole role)
{
  switch (role)
    {
    case YG_ROLE_STAFF:
      return "ygs";
    case YG_ROLE_PARTNER:
      return "ygp";
    case YG_ROLE_ADMIN:
      return "yga";
    case YG_ROLE_WORKER:
      return "ygw";
    default:
      return "yg";
    }
}

/**
 * yg_token_store_create:
 * @expires_at: Unix time after which the token stops working, or 0 for never
 *
 * Returns: (transfer full): the plaintext token, shown to the user once
 */
char *
yg_token_store_create (YgDbConn *conn, YgRole role, const char *name, gint64 expires_at,
                       GError **error)
{
  g_autofree char *token = NULL;
  guint8 hash[YG_SHA256_LEN];
  sqlite3_stmt *stmt;

  g_return_val_if_fail (role == YG_ROLE_STAFF || role == YG_ROLE_PARTNER || role == YG_ROLE_ADMIN
                          || role == YG_ROLE_WORKER,
                        NULL);

  token = yg_secret_new_token (prefix_for_role (role));
  yg_secret_sha256 (token, strlen (token), hash);

  stmt = yg_db_conn_prepare (conn,
                             "INSERT INTO tokens (hash, role, name, created_at, expires_at) "
                             "VALUES (?1, ?2, ?3, ?4, ?5)",
                             error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_blob (stmt, 1, hash, sizeof hash, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, yg_role_to_string (role), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, name != NULL ? name : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time () / G_USEC_PER_SEC);
  if (expires_at > 0)
    sqlite3_bind_int64 (stmt, 5, expires_at);
  else
    sqlite3_bind_null (stmt, 5);
  if (!yg_db_conn_step_done (conn, stmt, error))
    return NULL;
  return g_steal_pointer (&token);
}

/**
 * yg_token_store_lookup:
 *
 * Returns: (transfer full) (nullable): the principal, or %NULL with
 *   YG_DB_ERROR_NOT_FOUND for unknown, expired or revoked tokens
 */
YgPrincipal *
yg_token_store_lookup (YgDbConn *conn, const char *token, GError **error)
{
  guint8 hash[YG_SHA256_LEN];
  sqlite3_stmt *stmt;
  YgPrincipal *p;
  int rc;

  g_return_val_if_fail (token != NULL, NULL);

  yg_secret_sha256 (token, strlen (token), hash);
  stmt = yg_db_conn_prepare (conn,
                             "SELECT id, role, name FROM tokens WHERE hash = ?1 "
                             "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)",
                             error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_blob (stmt, 1, hash, sizeof hash, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC);
  rc = yg_db_conn_step (conn, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error_literal (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND,
                           "Unknown, expired or revoked token");
      return NULL;
    }
  p = yg_principal_new (sqlite3_column_int64 (stmt, 0),
                        yg_role_from_string ((const char *) sqlite3_column_text (stmt, 1)),
                        (const char *) sqlite3_column_text (stmt, 2));
  sqlite3_reset (stmt);
  return p;
}

gboolean
yg_token_store_revoke (YgDbConn *conn, gint64 token_id, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (
    conn, "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, token_id);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, stmt, error))
    return FALSE;
  if (yg_db_conn_changes (conn) == 0)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND,
                   "No active token with id %" G_GINT64_FORMAT, token_id);
      return FALSE;
    }
  return TRUE;
}

/**
 * yg_token_store_active_ids:
 * @name_prefix: only tokens whose name starts with this
 *
 * Returns: (transfer full) (element-type gint64): ids of unrevoked tokens
 */
GArray *
yg_token_store_active_ids (YgDbConn *conn, YgRole role, const char *name_prefix, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn,
                                           "SELECT id FROM tokens WHERE role = ?1 AND revoked_at IS NULL"
                                           " AND substr (name, 1, length (?2)) = ?2",
                                           error);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, yg_role_to_string (role), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, name_prefix, -1, SQLITE_TRANSIENT);
  while ((rc = yg_db_conn_step (conn, stmt, error)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
    }
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&ids);
}

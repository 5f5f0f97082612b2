/* yg-user-store.c: accounts with Argon2id passwords.
 *
 * Usernames are 3–32 characters of [a-z0-9._-] (or a mainland mobile
 * number, 11 digits starting with 1, for residents who sign up by phone),
 * stored as given after lower-casing. Passwords are never stored, only
 * crypto_pwhash_str output; at least 8 characters. Authentication answers
 * the same error for an unknown user, a wrong password and a disabled
 * account, so it does not reveal which usernames exist. Setting a password
 * or disabling an account ends the account's sign-in sessions in the same
 * transaction.
 * Thread: the DB thread (YgDbConn); hashing runs there too (tens of ms).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-user-store.h"

#include "yg-secret.h"

#define MIN_PASSWORD 8

void
yg_user_free (YgUser *u)
{
  if (u == NULL)
    return;
  g_free (u->username);
  g_free (u->display_name);
  g_free (u);
}

gboolean
yg_user_name_is_valid (const char *name)
{
  gsize n = name != NULL ? strlen (name) : 0;
  gboolean digits = n == 11 && name[0] == '1';

  for (gsize i = 0; digits && i < n; i++)
    digits = g_ascii_isdigit (name[i]);
  if (digits)
    return TRUE;
  if (n < 3 || n > 32)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!(g_ascii_islower (name[i]) || g_ascii_isdigit (name[i]) || strchr ("._-", name[i])))
      return FALSE;
  return TRUE;
}

static gboolean
check_password (const char *password, GError **error)
{
  if (password == NULL || g_utf8_strlen (password, -1) < MIN_PASSWORD)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_INVALID,
                   "The password must have at least %d characters", MIN_PASSWORD);
      return FALSE;
    }
  return TRUE;
}

/**
 * yg_user_store_create:
 *
 * Returns: the new user's id, or 0 with @error (INVALID, CONSTRAINT if taken)
 */
gint64
yg_user_store_create (YgDbConn *conn, const char *username, const char *display_name, YgRole role,
                      const char *password, GError **error)
{
  g_autofree char *name = username ? g_ascii_strdown (username, -1) : NULL;
  g_autofree char *hash = NULL;
  sqlite3_stmt *stmt;

  if (!yg_user_name_is_valid (name))
    {
      g_set_error_literal (error, YG_DB_ERROR, YG_DB_ERROR_INVALID,
                           "A username has 3–32 characters among a–z, 0–9, '.', '_' and '-', "
                           "or is an 11-digit mobile number");
      return 0;
    }
  if (role != YG_ROLE_RESIDENT && role != YG_ROLE_STAFF && role != YG_ROLE_ADMIN)
    {
      g_set_error_literal (error, YG_DB_ERROR, YG_DB_ERROR_INVALID,
                           "A user is a resident, staff or admin");
      return 0;
    }
  if (!check_password (password, error) || (hash = yg_secret_hash_password (password, error)) == NULL)
    return 0;
  stmt = yg_db_conn_prepare (conn,
                             "INSERT INTO users (username, display_name, role, password_hash, phone,"
                             " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                             error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, display_name ? display_name : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, yg_role_to_string (role), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, hash, -1, SQLITE_STATIC);
  if (g_ascii_isdigit (name[0]))
    sqlite3_bind_text (stmt, 5, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 6, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, stmt, error))
    {
      if (g_error_matches (*error, YG_DB_ERROR, YG_DB_ERROR_CONSTRAINT))
        {
          g_clear_error (error);
          g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_CONSTRAINT,
                       "The username \"%s\" is already taken", name);
        }
      return 0;
    }
  return yg_db_conn_last_insert_rowid (conn);
}

/**
 * yg_user_store_list:
 *
 * Returns: (transfer full) (element-type YgUser): by username
 */
GPtrArray *
yg_user_store_list (YgDbConn *conn, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn,
                                           "SELECT id, username, display_name, role, created_at,"
                                           " disabled_at IS NOT NULL FROM users ORDER BY username",
                                           error);
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_user_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = yg_db_conn_step (conn, stmt, error)) == SQLITE_ROW)
    {
      YgUser *u = g_new0 (YgUser, 1);
      u->id = sqlite3_column_int64 (stmt, 0);
      u->username = yg_db_column_dup (stmt, 1);
      u->display_name = yg_db_column_dup (stmt, 2);
      u->role = yg_role_from_string ((const char *) sqlite3_column_text (stmt, 3));
      u->created_at = sqlite3_column_int64 (stmt, 4);
      u->disabled = sqlite3_column_int (stmt, 5);
      g_ptr_array_add (users, u);
    }
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&users);
}

static gboolean
update_one (YgDbConn *conn, const char *sql, const char *username, const char *text, gint64 number,
            GError **error)
{
  g_autofree char *name = username ? g_ascii_strdown (username, -1) : g_strdup ("");
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  if (text != NULL)
    sqlite3_bind_text (stmt, 2, text, -1, SQLITE_TRANSIENT);
  else if (number != 0)
    sqlite3_bind_int64 (stmt, 2, number);
  else
    sqlite3_bind_null (stmt, 2);
  if (!yg_db_conn_step_done (conn, stmt, error))
    return FALSE;
  if (yg_db_conn_changes (conn) == 0)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No user \"%s\"", name);
      return FALSE;
    }
  return TRUE;
}

/* Runs update_one and deletes the user's sessions, in one transaction. */
static gboolean
update_and_end_sessions (YgDbConn *conn, const char *sql, const char *username, const char *text,
                         gint64 number, gboolean end_sessions, GError **error)
{
  g_autofree char *name = username ? g_ascii_strdown (username, -1) : g_strdup ("");
  sqlite3_stmt *stmt;

  if (!yg_db_conn_begin (conn, error))
    return FALSE;
  if (!update_one (conn, sql, username, text, number, error))
    goto fail;
  if (end_sessions)
    {
      stmt = yg_db_conn_prepare (conn,
                                 "DELETE FROM sessions WHERE user_id ="
                                 " (SELECT id FROM users WHERE username = ?1)",
                                 error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
      if (!yg_db_conn_step_done (conn, stmt, error))
        goto fail;
    }
  if (!yg_db_conn_commit (conn, error))
    goto fail;
  return TRUE;

fail:
  yg_db_conn_rollback (conn);
  return FALSE;
}

gboolean
yg_user_store_set_password (YgDbConn *conn, const char *username, const char *password,
                            GError **error)
{
  g_autofree char *hash = NULL;

  if (!check_password (password, error) || (hash = yg_secret_hash_password (password, error)) == NULL)
    return FALSE;
  return update_and_end_sessions (conn, "UPDATE users SET password_hash = ?2 WHERE username = ?1",
                                  username, hash, 0, TRUE, error);
}

gboolean
yg_user_store_set_disabled (YgDbConn *conn, const char *username, gboolean disabled, GError **error)
{
  return update_and_end_sessions (conn, "UPDATE users SET disabled_at = ?2 WHERE username = ?1",
                                  username, NULL, disabled ? g_get_real_time () / G_USEC_PER_SEC : 0,
                                  disabled, error);
}

/**
 * yg_user_store_authenticate:
 *
 * Returns: (transfer full): the user, or %NULL with one indistinct
 *   YG_DB_ERROR_NOT_FOUND for any failure to sign in
 */
YgUser *
yg_user_store_authenticate (YgDbConn *conn, const char *username, const char *password,
                            GError **error)
{
  g_autofree char *name = username ? g_ascii_strdown (username, -1) : g_strdup ("");
  g_autofree char *hash = NULL;
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn,
                                           "SELECT id, username, display_name, role, created_at,"
                                           " password_hash FROM users WHERE username = ?1"
                                           " AND disabled_at IS NULL",
                                           error);
  YgUser *u = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = yg_db_conn_step (conn, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_ROW)
    {
      u = g_new0 (YgUser, 1);
      u->id = sqlite3_column_int64 (stmt, 0);
      u->username = yg_db_column_dup (stmt, 1);
      u->display_name = yg_db_column_dup (stmt, 2);
      u->role = yg_role_from_string ((const char *) sqlite3_column_text (stmt, 3));
      u->created_at = sqlite3_column_int64 (stmt, 4);
      hash = yg_db_column_dup (stmt, 5);
      sqlite3_reset (stmt);
    }
  if (u == NULL)
    {
      /* Spend the same time as for a real account, so timing does not tell
       * which usernames exist. */
      static char *dummy;
      if (dummy == NULL)
        dummy = yg_secret_hash_password ("not a password of anyone", NULL);
      yg_secret_verify_password (dummy, password);
    }
  if (u == NULL || !yg_secret_verify_password (hash, password))
    {
      yg_user_free (u);
      g_set_error_literal (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND,
                           "Wrong username or password");
      return NULL;
    }
  return u;
}

/* yg-db-error.c: translation of SQLite result codes into YG_DB_ERROR.
 *
 * This is the only place that looks at raw SQLite result codes; everything
 * above the catalogue sees YgDbError values. The extended code picks the
 * domain code, sqlite3_errmsg() (when a handle is given) supplies the text.
 * Thread: whichever thread owns the sqlite3 handle (the DB thread).
 */
#include "yg-db-error.h"

#include <sqlite3.h>

G_DEFINE_QUARK (yg-db-error-quark, yg_db_error)

static YgDbError
code_for_rc (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_CONSTRAINT:
      return YG_DB_ERROR_CONSTRAINT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return YG_DB_ERROR_BUSY;
    case SQLITE_FULL:
      return YG_DB_ERROR_FULL;
    case SQLITE_IOERR:
      return YG_DB_ERROR_IO;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return YG_DB_ERROR_CORRUPT;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return YG_DB_ERROR_CANT_OPEN;
    case SQLITE_READONLY:
      return YG_DB_ERROR_READ_ONLY;
    default:
      return YG_DB_ERROR_FAILED;
    }
}

/**
 * yg_db_error_set_from_sqlite:
 * @error: (out) (optional): the error to set
 * @db: (nullable): the handle the failing call used, for its message
 * @rc: the SQLite result code
 * @context: (nullable): what was being done, e.g. "inserting token"
 *
 * Returns: always %FALSE, so callers can `return yg_db_error_set_from_sqlite (...)`.
 */
gboolean
yg_db_error_set_from_sqlite (GError **error, sqlite3 *db, int rc, const char *context)
{
  const char *msg = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  if (context != NULL)
    g_set_error (error, YG_DB_ERROR, code_for_rc (rc), "%s: %s", context, msg);
  else
    g_set_error_literal (error, YG_DB_ERROR, code_for_rc (rc), msg);
  return FALSE;
}

/* yg-db.h: the catalogue database: one SQLite handle owned by one thread. */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

#include "yg-db-error.h"

G_BEGIN_DECLS

/* A connection as seen by work running on the DB thread. Never share it. */
typedef struct _YgDbConn YgDbConn;

/* Work to run on the DB thread. Return a result (may be NULL for "no value"
 * when no error is set) or set @error and return NULL. */
typedef gpointer (*YgDbFunc) (YgDbConn *conn, gpointer data, GError **error);

#define YG_TYPE_DB (yg_db_get_type ())
G_DECLARE_FINAL_TYPE (YgDb, yg_db, YG, DB, GObject)

YgDb *yg_db_open (const char *path, GError **error);
const char *yg_db_get_path (YgDb *self);

void yg_db_run_async (YgDb               *self,
                      YgDbFunc            func,
                      gpointer            data,
                      GDestroyNotify      data_free,
                      GDestroyNotify      result_free,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data);
gpointer yg_db_run_finish (YgDb *self, GAsyncResult *result, GError **error);
gpointer yg_db_run_sync (YgDb *self, YgDbFunc func, gpointer data, GError **error);

/* Helpers for code running on the DB thread. */
sqlite3 *yg_db_conn_get_handle (YgDbConn *conn);
sqlite3_stmt *yg_db_conn_prepare (YgDbConn *conn, const char *sql, GError **error);
int yg_db_conn_step (YgDbConn *conn, sqlite3_stmt *stmt, GError **error);
gboolean yg_db_conn_step_done (YgDbConn *conn, sqlite3_stmt *stmt, GError **error);
gboolean yg_db_conn_exec (YgDbConn *conn, const char *sql, GError **error);
gboolean yg_db_conn_begin (YgDbConn *conn, GError **error);
gboolean yg_db_conn_commit (YgDbConn *conn, GError **error);
void yg_db_conn_rollback (YgDbConn *conn);
gint64 yg_db_conn_last_insert_rowid (YgDbConn *conn);
int yg_db_conn_changes (YgDbConn *conn);

/* Makes a value from the current row of a statement. */
typedef gpointer (*YgDbRowFunc) (sqlite3_stmt *stmt);
gpointer yg_db_conn_get_by_id (YgDbConn *conn, const char *sql, gint64 id, YgDbRowFunc from_row,
                               const char *what, GError **error);
GPtrArray *yg_db_conn_collect (YgDbConn *conn, sqlite3_stmt *stmt, YgDbRowFunc from_row,
                               GDestroyNotify free_func, GError **error);

/* Column helpers: a g_strdup of a text column (NULL for SQL NULL). */
char *yg_db_column_dup (sqlite3_stmt *stmt, int col);

G_END_DECLS

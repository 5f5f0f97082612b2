/* yg-db-error.h: the catalogue's error domain (YG_DB_ERROR). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define YG_DB_ERROR (yg_db_error_quark ())
GQuark yg_db_error_quark (void);

typedef enum
{
  YG_DB_ERROR_FAILED,          /* anything not listed below */
  YG_DB_ERROR_NOT_FOUND,       /* a row the caller asked for does not exist */
  YG_DB_ERROR_CONSTRAINT,      /* unique/check/foreign key violated */
  YG_DB_ERROR_BUSY,            /* still locked after busy_timeout */
  YG_DB_ERROR_FULL,            /* disk full */
  YG_DB_ERROR_IO,              /* read/write error below SQLite */
  YG_DB_ERROR_CORRUPT,         /* malformed database image */
  YG_DB_ERROR_CANT_OPEN,       /* file missing, unreadable, wrong permissions */
  YG_DB_ERROR_READ_ONLY,       /* database opened or mounted read-only */
  YG_DB_ERROR_SCHEMA_TOO_NEW,  /* written by a newer yunguan */
  YG_DB_ERROR_INVALID,         /* a value the catalogue refuses (caller's mistake) */
} YgDbError;

struct sqlite3;

gboolean yg_db_error_set_from_sqlite (GError        **error,
                                      struct sqlite3 *db,
                                      int             rc,
                                      const char     *context);

G_END_DECLS

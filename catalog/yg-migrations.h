/* yg-migrations.h: schema migrations keyed by PRAGMA user_version. */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

int yg_migrations_latest (void);
int yg_migrations_current (sqlite3 *db, GError **error);
gboolean yg_migrations_apply (sqlite3 *db, int target, GError **error);

G_END_DECLS

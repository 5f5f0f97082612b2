/* yg-token-store.h: bearer tokens, stored hashed. DB-thread functions. */
#pragma once

#include "yg-db.h"
#include "yg-principal.h"

G_BEGIN_DECLS

char *yg_token_store_create (YgDbConn   *conn,
                             YgRole      role,
                             const char *name,
                             gint64      expires_at,
                             GError    **error);
YgPrincipal *yg_token_store_lookup (YgDbConn *conn, const char *token, GError **error);
gboolean yg_token_store_revoke (YgDbConn *conn, gint64 token_id, GError **error);
GArray *yg_token_store_active_ids (YgDbConn   *conn,
                                   YgRole      role,
                                   const char *name_prefix,
                                   GError    **error);

G_END_DECLS

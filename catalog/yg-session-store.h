/* yg-session-store.h: sign-in sessions, stored hashed. DB-thread functions. */
#pragma once

#include "yg-db.h"
#include "yg-principal.h"

G_BEGIN_DECLS

#define YG_SESSION_LIFETIME (30 * 86400) /* seconds from sign-in */
#define YG_SESSION_IDLE (14 * 86400)     /* seconds without a request */

typedef struct
{
  char *secret;      /* the cookie value; only ever in this struct and the cookie */
  char *csrf_token;
  gint64 expires_at;
} YgNewSession;

void yg_new_session_free (YgNewSession *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgNewSession, yg_new_session_free)

gboolean yg_session_secret_is_well_formed (const char *secret);
YgNewSession *yg_session_store_create (YgDbConn   *conn,
                                       gint64      user_id,
                                       const char *replaces,
                                       GError    **error);
YgPrincipal *yg_session_store_lookup (YgDbConn *conn, const char *secret, GError **error);
gboolean yg_session_store_delete (YgDbConn *conn, const char *secret, GError **error);

G_END_DECLS

/* yg-user-store.h: accounts: residents, staff and admins. DB-thread functions. */
#pragma once

#include "yg-db.h"
#include "yg-principal.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 id;
  char *username;
  char *display_name;
  YgRole role;
  gint64 created_at;
  gboolean disabled;
} YgUser;

void yg_user_free (YgUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgUser, yg_user_free)

gboolean yg_user_name_is_valid (const char *username);
gint64 yg_user_store_create (YgDbConn   *conn,
                             const char *username,
                             const char *display_name,
                             YgRole      role,
                             const char *password,
                             GError    **error);
GPtrArray *yg_user_store_list (YgDbConn *conn, GError **error);
gboolean yg_user_store_set_password (YgDbConn   *conn,
                                     const char *username,
                                     const char *password,
                                     GError    **error);
gboolean yg_user_store_set_disabled (YgDbConn   *conn,
                                     const char *username,
                                     gboolean    disabled,
                                     GError    **error);
YgUser *yg_user_store_authenticate (YgDbConn   *conn,
                                    const char *username,
                                    const char *password,
                                    GError    **error);

G_END_DECLS

/* yg-principal.h: who is making a request (roles and the principal value). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  YG_ROLE_NONE = 0,
  YG_ROLE_RESIDENT,
  YG_ROLE_STAFF,
  YG_ROLE_PARTNER,
  YG_ROLE_ADMIN,
  YG_ROLE_WORKER,
} YgRole;

typedef struct
{
  gint64 token_id;   /* bearer tokens: the token's id; 0 for a session */
  YgRole role;
  char *name;        /* the token's name, or the account's display name */
  /* set only for a signed-in account (cookie session) */
  gint64 user_id;
  gint64 session_id;
  char *username;
  char *csrf_token;
} YgPrincipal;

const char *yg_role_to_string (YgRole role);
YgRole yg_role_from_string (const char *s);

YgPrincipal *yg_principal_new (gint64 token_id, YgRole role, const char *name);
YgPrincipal *yg_principal_copy (const YgPrincipal *p);
void yg_principal_free (YgPrincipal *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgPrincipal, yg_principal_free)

G_END_DECLS

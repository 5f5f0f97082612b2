/* yg-principal.c: roles and the principal (the authenticated caller) value.
 *
 * A principal is a plain value, copied freely between threads. It comes
 * from a bearer token (token_id set) or from a sign-in session (user_id,
 * session_id, username and csrf_token set; role resident, staff or admin).
 * The role strings are those stored in the tokens table and printed by CLI.
 */
#include "yg-principal.h"

static const char *const role_names[] = {
  [YG_ROLE_NONE] = "none",       [YG_ROLE_RESIDENT] = "resident", [YG_ROLE_STAFF] = "staff",
  [YG_ROLE_PARTNER] = "partner", [YG_ROLE_ADMIN] = "admin",       [YG_ROLE_WORKER] = "worker",
};

const char *
yg_role_to_string (YgRole role)
{
  g_return_val_if_fail (role < G_N_ELEMENTS (role_names), "none");
  return role_names[role];
}

YgRole
yg_role_from_string (const char *s)
{
  for (guint i = 1; s != NULL && i < G_N_ELEMENTS (role_names); i++)
    if (g_str_equal (s, role_names[i]))
      return i;
  return YG_ROLE_NONE;
}

YgPrincipal *
yg_principal_new (gint64 token_id, YgRole role, const char *name)
{
  YgPrincipal *p = g_new0 (YgPrincipal, 1);

  p->token_id = token_id;
  p->role = role;
  p->name = g_strdup (name != NULL ? name : "");
  return p;
}

YgPrincipal *
yg_principal_copy (const YgPrincipal *p)
{
  YgPrincipal *c = yg_principal_new (p->token_id, p->role, p->name);

  c->user_id = p->user_id;
  c->session_id = p->session_id;
  c->username = g_strdup (p->username);
  c->csrf_token = g_strdup (p->csrf_token);
  return c;
}

void
yg_principal_free (YgPrincipal *p)
{
  if (p == NULL)
    return;
  g_free (p->name);
  g_free (p->username);
  g_free (p->csrf_token);
  g_free (p);
}

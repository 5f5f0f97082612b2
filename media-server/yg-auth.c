/* yg-auth.c: reading credentials and deciding what a caller may do.
 *
 * The decision table is here and nowhere else: yg_auth_allows is one switch
 * over the auth classes of yg-route.h, yg_auth_may_see one switch over item
 * visibilities, so a route audit can reason about both in one place.
 * Callers are anonymous, a bearer token (staff, partner, admin, worker) or a
 * signed-in account (cookie session; role resident, staff or admin, the
 * account's role). Admin is a superset of staff and partner; staff and admin
 * accounts signed in by cookie pass the classes their role passes.
 * YG_AUTH_PLAYBACK_TOKEN admits exactly the requests whose URL token was
 * verified (yg-playback-keys.c), whoever sends them.
 * Item visibility: public → anyone; residents → residents, staff, admins;
 * unlisted → anyone with the link, never in a list; staff → staff, admins.
 * Partners and workers see public and unlisted items only.
 * Thread: any (pure functions).
 */
#include "yg-auth.h"

#define MAX_TOKEN_LEN 256
#define MAX_COOKIE_LEN 128

/**
 * yg_auth_get_bearer:
 * @token: (out): points into @headers when the result is YG_AUTH_BEARER
 */
YgAuthCredentials
yg_auth_get_bearer (SoupMessageHeaders *headers, const char **token)
{
  const char *value = soup_message_headers_get_one (headers, "Authorization");
  gsize len;

  *token = NULL;
  if (value == NULL)
    return YG_AUTH_NO_CREDENTIALS;
  if (g_ascii_strncasecmp (value, "Bearer ", 7) != 0)
    return YG_AUTH_MALFORMED;
  value += 7;
  while (*value == ' ')
    value++;
  len = strlen (value);
  if (len == 0 || len > MAX_TOKEN_LEN)
    return YG_AUTH_MALFORMED;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (value[i]) && strchr ("-._~+/=", value[i]) == NULL)
      return YG_AUTH_MALFORMED;
  *token = value;
  return YG_AUTH_BEARER;
}

/**
 * yg_auth_get_cookie:
 *
 * Returns: (transfer full) (nullable): the value of the first cookie called
 *   @name in the Cookie header(s), if it is at most 128 characters
 */
char *
yg_auth_get_cookie (SoupMessageHeaders *headers, const char *name)
{
  const char *value = soup_message_headers_get_list (headers, "Cookie");
  g_auto (GStrv) parts = NULL;
  gsize name_len = strlen (name);

  if (value == NULL)
    return NULL;
  /* get_list joins repeated headers with ", "; cookies are split by ';' */
  parts = g_strsplit_set (value, ";,", 64);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *p = parts[i];
      while (*p == ' ' || *p == '\t')
        p++;
      if (strncmp (p, name, name_len) == 0 && p[name_len] == '=')
        {
          g_autofree char *v = g_strstrip (g_strdup (p + name_len + 1));
          if (strlen (v) == 0 || strlen (v) > MAX_COOKIE_LEN)
            return NULL;
          return g_steal_pointer (&v);
        }
    }
  return NULL;
}

/* Browsers accept a __Host- cookie only with Secure, so plain HTTP (a
 * development or LAN set-up without TLS) gets a cookie without the prefix. */
const char *
yg_auth_session_cookie_name (gboolean secure)
{
  return secure ? YG_SESSION_COOKIE_SECURE : YG_SESSION_COOKIE_PLAIN;
}

/**
 * yg_auth_session_cookie:
 * @value: the session secret, or "" with @max_age 0 to delete the cookie
 *
 * Returns: (transfer full): a Set-Cookie value: Path=/, HttpOnly,
 *   SameSite=Lax, and Secure when @secure
 */
char *
yg_auth_session_cookie (gboolean secure, const char *value, gint64 max_age)
{
  return g_strdup_printf ("%s=%s; Path=/; Max-Age=%" G_GINT64_FORMAT "; HttpOnly; SameSite=Lax%s",
                          yg_auth_session_cookie_name (secure), value, max_age,
                          secure ? "; Secure" : "");
}

/* Methods that change state: a cookie-authenticated one needs X-CSRF-Token. */
gboolean
yg_auth_is_write (const char *method)
{
  return g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0
         && g_strcmp0 (method, "OPTIONS") != 0;
}

gboolean
yg_auth_allows (YgAuthClass auth, const YgPrincipal *principal, gboolean url_token_valid)
{
  YgRole role = principal != NULL ? principal->role : YG_ROLE_NONE;

  switch (auth)
    {
    case YG_AUTH_PUBLIC:
      return TRUE;
    case YG_AUTH_RESIDENT:
      return role == YG_ROLE_RESIDENT || role == YG_ROLE_STAFF || role == YG_ROLE_ADMIN;
    case YG_AUTH_STAFF:
      return role == YG_ROLE_STAFF || role == YG_ROLE_ADMIN;
    case YG_AUTH_PARTNER:
      return role == YG_ROLE_PARTNER || role == YG_ROLE_ADMIN;
    case YG_AUTH_ADMIN:
      return role == YG_ROLE_ADMIN;
    case YG_AUTH_WORKER:
      return role == YG_ROLE_WORKER;
    case YG_AUTH_PLAYBACK_TOKEN:
      return url_token_valid;
    case YG_AUTH_UNSET:
    case YG_AUTH_N_CLASSES:
    default:
      return FALSE;
    }
}

gboolean
yg_auth_may_see (YgVisibility visibility, const YgPrincipal *principal)
{
  YgRole role = principal != NULL ? principal->role : YG_ROLE_NONE;

  switch (visibility)
    {
    case YG_VISIBILITY_PUBLIC:
    case YG_VISIBILITY_UNLISTED:
      return TRUE;
    case YG_VISIBILITY_RESIDENTS:
      return role == YG_ROLE_RESIDENT || role == YG_ROLE_STAFF || role == YG_ROLE_ADMIN;
    case YG_VISIBILITY_STAFF:
      return role == YG_ROLE_STAFF || role == YG_ROLE_ADMIN;
    case YG_VISIBILITY_INVALID:
    default:
      return FALSE;
    }
}

/* The visibilities a list shows this caller: bit (1 << v) set; never unlisted. */
guint
yg_auth_listed_visibilities (const YgPrincipal *principal)
{
  guint mask = 0;

  for (YgVisibility v = YG_VISIBILITY_PUBLIC; v <= YG_VISIBILITY_STAFF; v++)
    if (v != YG_VISIBILITY_UNLISTED && yg_auth_may_see (v, principal))
      mask |= 1u << v;
  return mask;
}

/* yg-auth.c: reading credentials and deciding what an auth class admits.
 *
 * The decision table is yg_auth_allows: one switch over the auth classes of
 * yg-route.h, so a route audit can reason about it in one place. Admin is a
 * superset of staff and partner. Resident sessions arrive with accounts;
 * until then only staff and admin pass the resident class. Playback tokens
 * are checked by the delivery path, never here, so the class admits nobody
 * through a bearer token. Thread: any (pure functions).
 */
#include "yg-auth.h"

#define MAX_TOKEN_LEN 256

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

gboolean
yg_auth_allows (YgAuthClass auth, const YgPrincipal *principal)
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
    case YG_AUTH_UNSET:
    case YG_AUTH_N_CLASSES:
    default:
      return FALSE;
    }
}

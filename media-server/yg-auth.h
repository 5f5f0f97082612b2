/* yg-auth.h: credentials on a request and what each auth class admits. */
#pragma once

#include <libsoup/soup.h>

#include "yg-principal.h"
#include "yg-route.h"
#include "yg-visibility.h"

G_BEGIN_DECLS

typedef enum
{
  YG_AUTH_NO_CREDENTIALS,
  YG_AUTH_BEARER,
  YG_AUTH_MALFORMED,
} YgAuthCredentials;

#define YG_SESSION_COOKIE_SECURE "__Host-yg_session" /* --behind-tls yes */
#define YG_SESSION_COOKIE_PLAIN "yg_session"         /* plain HTTP */

YgAuthCredentials yg_auth_get_bearer (SoupMessageHeaders *headers, const char **token);
char *yg_auth_get_cookie (SoupMessageHeaders *headers, const char *name);
const char *yg_auth_session_cookie_name (gboolean secure);
char *yg_auth_session_cookie (gboolean secure, const char *value, gint64 max_age);
gboolean yg_auth_is_write (const char *method);

gboolean yg_auth_allows (YgAuthClass auth, const YgPrincipal *principal, gboolean url_token_valid);
gboolean yg_auth_may_see (YgVisibility visibility, const YgPrincipal *principal);
guint yg_auth_listed_visibilities (const YgPrincipal *principal);

G_END_DECLS

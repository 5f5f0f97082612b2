/* yg-auth.h: credentials on a request and what each auth class admits. */
#pragma once

#include <libsoup/soup.h>

#include "yg-principal.h"
#include "yg-route.h"

G_BEGIN_DECLS

typedef enum
{
  YG_AUTH_NO_CREDENTIALS,
  YG_AUTH_BEARER,
  YG_AUTH_MALFORMED,
} YgAuthCredentials;

YgAuthCredentials yg_auth_get_bearer (SoupMessageHeaders *headers, const char **token);
gboolean yg_auth_allows (YgAuthClass auth, const YgPrincipal *principal);

G_END_DECLS

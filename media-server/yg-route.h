/* yg-route.h: one route of the table: method, path pattern, auth class, handler. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  YG_AUTH_UNSET = 0,     /* a route left like this makes start-up fail */
  YG_AUTH_PUBLIC,        /* anyone */
  YG_AUTH_RESIDENT,      /* a signed-in resident, or staff/admin */
  YG_AUTH_STAFF,         /* staff or admin bearer token */
  YG_AUTH_PARTNER,       /* partner (or admin) bearer token */
  YG_AUTH_ADMIN,         /* admin bearer token */
  YG_AUTH_WORKER,        /* transcode worker token */
  YG_AUTH_PLAYBACK_TOKEN,/* a signed playback token in the URL */
  YG_AUTH_N_CLASSES
} YgAuthClass;

typedef struct _YgServer YgServer;
typedef struct _YgRequest YgRequest;

typedef void (*YgRouteHandler) (YgServer *server, YgRequest *req);

typedef struct
{
  const char *method;    /* "GET" also answers HEAD */
  const char *pattern;   /* literal segments and {name} parameters */
  YgAuthClass auth;
  YgRouteHandler handler;
  guint64 max_body;      /* 0: the configured max-body-bytes; G_MAXUINT64: streamed by @early */
  YgRouteHandler early;  /* optional: runs when the head arrives, after auth, before the body;
                            it may take the body as it streams in (tus uploads) */
  gboolean any_thread;   /* YG_ROUTE_ANY_THREAD: served by delivery threads too (the handler
                            touches only thread-safe server state); else main thread only */
} YgRoute;

#define YG_ROUTE_ANY_THREAD TRUE

const char *yg_auth_class_to_string (YgAuthClass auth);

G_END_DECLS

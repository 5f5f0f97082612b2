/* yg-router.h: matching a request path against the route table. */
#pragma once

#include "yg-route.h"

G_BEGIN_DECLS

typedef struct _YgRouter YgRouter;

typedef enum
{
  YG_ROUTER_MATCH,
  YG_ROUTER_NO_PATH,     /* 404 */
  YG_ROUTER_NO_METHOD,   /* 405, allow lists the methods */
  YG_ROUTER_BAD_PATH,    /* 400: bad escapes, NUL, dot segments, bad UTF-8 */
} YgRouterResult;

YgRouter *yg_router_new (const YgRoute *routes, gsize n_routes, GError **error);
void yg_router_free (YgRouter *router);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgRouter, yg_router_free)

YgRouterResult yg_router_match (YgRouter      *router,
                                const char    *method,
                                const char    *raw_path,
                                const YgRoute **route,
                                GPtrArray     *params,
                                GString       *allow);
const YgRoute *yg_router_get_routes (YgRouter *router, gsize *n_routes);

G_END_DECLS

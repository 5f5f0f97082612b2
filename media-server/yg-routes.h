/* yg-routes.h: the route table and the handlers it names. */
#pragma once

#include "yg-route.h"

G_BEGIN_DECLS

extern const YgRoute yg_routes[];
extern const gsize yg_n_routes;

/* yg-route-system.c */
void yg_route_healthz (YgServer *server, YgRequest *req);
void yg_route_metrics (YgServer *server, YgRequest *req);
void yg_route_openapi (YgServer *server, YgRequest *req);
void yg_route_me (YgServer *server, YgRequest *req);

/* yg-route-items.c */
void yg_route_item_get (YgServer *server, YgRequest *req);

G_END_DECLS

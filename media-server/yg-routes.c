/* yg-routes.c: every HTTP route of the server, in one table.
 *
 * Each row is method, path pattern ({name} = one path segment), auth class,
 * handler and an optional body limit. yg_router_new refuses the table at
 * start-up if a row has no auth class. docs/openapi.yaml documents exactly
 * these rows (a test compares them).
 */
#include "yg-routes.h"

const YgRoute yg_routes[] = {
  { "GET", "/healthz", YG_AUTH_PUBLIC, yg_route_healthz, 0 },
  { "GET", "/metrics", YG_AUTH_STAFF, yg_route_metrics, 0 },
  { "GET", "/api/v1/openapi.yaml", YG_AUTH_PUBLIC, yg_route_openapi, 0 },
  { "GET", "/api/v1/me", YG_AUTH_RESIDENT, yg_route_me, 0 },
  { "GET", "/api/v1/items/{id}", YG_AUTH_PUBLIC, yg_route_item_get, 0 },
};

const gsize yg_n_routes = G_N_ELEMENTS (yg_routes);

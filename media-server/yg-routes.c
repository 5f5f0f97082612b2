/* yg-routes.c: every HTTP route of the server, in one table.
 *
 * Each row is method, path pattern ({name} = one path segment), auth class,
 * handler and an optional body limit. yg_router_new refuses the table at
 * start-up if a row has no auth class. docs/openapi.yaml documents exactly
 * these rows (a test compares them).
 */
#include "yg-routes.h"

const YgRoute yg_routes[] = {
  { "GET", "/", YG_AUTH_PUBLIC, yg_route_web_home, 0 },
  { "GET", "/items/{id}", YG_AUTH_PUBLIC, yg_route_web_item, 0 },
  { "GET", "/embed/{id}", YG_AUTH_PUBLIC, yg_route_web_embed, 0 },
  { "GET", "/static/{name}", YG_AUTH_PUBLIC, yg_route_web_static, 0 },
  { "GET", "/static/vendor/hls.min.js", YG_AUTH_PUBLIC, yg_route_web_hlsjs, 0 },
  /* before /hls/{id}/…: "t" is a literal segment there, never an item id */
  { "GET", "/hls/t/{token}/{id}/{name}", YG_AUTH_PLAYBACK_TOKEN, yg_route_hls_token_item_file, 0 },
  { "GET", "/hls/t/{token}/{id}/{rung}/{name}", YG_AUTH_PLAYBACK_TOKEN,
    yg_route_hls_token_rung_file, 0 },
  { "GET", "/hls/{id}/{name}", YG_AUTH_PUBLIC, yg_route_hls_item_file, 0 },
  { "GET", "/hls/{id}/{rung}/{name}", YG_AUTH_PUBLIC, yg_route_hls_rung_file, 0 },
  { "GET", "/api/v1/items", YG_AUTH_PUBLIC, yg_route_items_list, 0 },
  { "GET", "/healthz", YG_AUTH_PUBLIC, yg_route_healthz, 0 },
  { "GET", "/metrics", YG_AUTH_STAFF, yg_route_metrics, 0 },
  { "GET", "/api/v1/openapi.yaml", YG_AUTH_PUBLIC, yg_route_openapi, 0 },
  { "GET", "/api/v1/me", YG_AUTH_RESIDENT, yg_route_me, 0 },
  { "GET", "/api/v1/items/{id}", YG_AUTH_PUBLIC, yg_route_item_get, 0 },
  { "PATCH", "/api/v1/items/{id}", YG_AUTH_STAFF, yg_route_item_patch, 0 },
  { "POST", "/api/v1/accounts", YG_AUTH_PUBLIC, yg_route_accounts_create, 0 },
  { "POST", "/api/v1/session", YG_AUTH_PUBLIC, yg_route_session_create, 0 },
  { "DELETE", "/api/v1/session", YG_AUTH_PUBLIC, yg_route_session_delete, 0 },
  { "PUT", "/api/v1/items/{id}/chapters", YG_AUTH_STAFF, yg_route_item_chapters_put, 0 },
  { "PUT", "/api/v1/items/{id}/inheritors/{inheritor}", YG_AUTH_STAFF,
    yg_route_item_inheritor_link, 0 },
  { "DELETE", "/api/v1/items/{id}/inheritors/{inheritor}", YG_AUTH_STAFF,
    yg_route_item_inheritor_unlink, 0 },
  { "GET", "/api/v1/inheritors", YG_AUTH_PUBLIC, yg_route_inheritors_list, 0 },
  { "POST", "/api/v1/inheritors", YG_AUTH_STAFF, yg_route_inheritors_create, 0 },
  { "GET", "/api/v1/inheritors/{id}", YG_AUTH_PUBLIC, yg_route_inheritor_get, 0 },
  { "PATCH", "/api/v1/inheritors/{id}", YG_AUTH_STAFF, yg_route_inheritor_patch, 0 },
  { "DELETE", "/api/v1/inheritors/{id}", YG_AUTH_STAFF, yg_route_inheritor_delete, 0 },
  { "GET", "/api/v1/search", YG_AUTH_PUBLIC, yg_route_search, 0 },
  { "OPTIONS", "/api/v1/uploads", YG_AUTH_PUBLIC, yg_route_uploads_options, 0 },
  { "OPTIONS", "/api/v1/uploads/{id}", YG_AUTH_PUBLIC, yg_route_uploads_options, 0 },
  { "POST", "/api/v1/uploads", YG_AUTH_STAFF, yg_route_uploads_create, G_MAXUINT64,
    yg_route_uploads_create_early },
  { "HEAD", "/api/v1/uploads/{id}", YG_AUTH_STAFF, yg_route_uploads_head, 0 },
  { "PATCH", "/api/v1/uploads/{id}", YG_AUTH_STAFF, yg_route_uploads_patch, G_MAXUINT64,
    yg_route_uploads_patch_early },
  { "DELETE", "/api/v1/uploads/{id}", YG_AUTH_STAFF, yg_route_uploads_delete, 0 },
  { "GET", "/api/v1/uploads/{id}", YG_AUTH_STAFF, yg_route_uploads_get, 0 },
  { "GET", "/api/v1/jobs", YG_AUTH_STAFF, yg_route_jobs_list, 0 },
  { "GET", "/api/v1/jobs/{id}", YG_AUTH_STAFF, yg_route_job_get, 0 },
  { "POST", "/api/v1/jobs/{id}/cancel", YG_AUTH_STAFF, yg_route_job_cancel, 0 },
  { "POST", "/api/v1/jobs/{id}/retry", YG_AUTH_STAFF, yg_route_job_retry, 0 },
  { "POST", "/api/v1/worker/lease", YG_AUTH_WORKER, yg_route_worker_lease, 0 },
  { "POST", "/api/v1/worker/jobs/{id}/heartbeat", YG_AUTH_WORKER, yg_route_worker_heartbeat, 0 },
  { "POST", "/api/v1/worker/jobs/{id}/files", YG_AUTH_WORKER, yg_route_worker_files, 0 },
  { "POST", "/api/v1/worker/jobs/{id}/complete", YG_AUTH_WORKER, yg_route_worker_complete, 0 },
  { "POST", "/api/v1/worker/jobs/{id}/fail", YG_AUTH_WORKER, yg_route_worker_fail, 0 },
};

const gsize yg_n_routes = G_N_ELEMENTS (yg_routes);

/* yg-routes.h: the route table and the handlers it names. */
#pragma once

#include <json-glib/json-glib.h>

#include "yg-item-store.h"
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
void yg_route_items_list (YgServer *server, YgRequest *req);
JsonNode *yg_route_items_json (YgRequest *req, gpointer item);
YgItem *yg_route_items_load (YgDbConn *conn, const char *id, GError **error);
char *yg_route_items_media_base (YgServer *server, const char *id, YgVisibility visibility);
void yg_route_items_load_async (YgServer           *server,
                                const char         *id,
                                GAsyncReadyCallback callback,
                                gpointer            data);
GBytes *yg_route_items_public_doc (YgServer *server, GAsyncResult *res, guint64 generation);

/* yg-route-captions.c */
void yg_route_item_captions_put (YgServer *server, YgRequest *req);
void yg_route_item_captions_delete (YgServer *server, YgRequest *req);

/* yg-route-courses.c */
void yg_route_courses_list (YgServer *server, YgRequest *req);
void yg_route_courses_create (YgServer *server, YgRequest *req);
void yg_route_course_get (YgServer *server, YgRequest *req);
void yg_route_course_patch (YgServer *server, YgRequest *req);
void yg_route_course_delete (YgServer *server, YgRequest *req);
void yg_route_course_outline_put (YgServer *server, YgRequest *req);
void yg_route_course_enrol (YgServer *server, YgRequest *req);
void yg_route_course_leave (YgServer *server, YgRequest *req);

/* yg-route-progress.c */
void yg_route_progress_put (YgServer *server, YgRequest *req);
void yg_route_progress_get (YgServer *server, YgRequest *req);
void yg_route_me_learning (YgServer *server, YgRequest *req);

/* yg-route-requests.c */
void yg_route_requests_list (YgServer *server, YgRequest *req);
void yg_route_requests_create (YgServer *server, YgRequest *req);
void yg_route_requests_awaiting (YgServer *server, YgRequest *req);
void yg_route_request_get (YgServer *server, YgRequest *req);
void yg_route_request_support (YgServer *server, YgRequest *req);
void yg_route_request_withdraw (YgServer *server, YgRequest *req);
void yg_route_request_answer (YgServer *server, YgRequest *req);
void yg_route_lecturers_list (YgServer *server, YgRequest *req);
void yg_route_lecturers_create (YgServer *server, YgRequest *req);
void yg_route_lecturer_get (YgServer *server, YgRequest *req);
void yg_route_lecturer_patch (YgServer *server, YgRequest *req);
void yg_route_lecturer_delete (YgServer *server, YgRequest *req);
gboolean yg_route_requests_check_account (YgRequest *req);

/* yg-route-ratings.c */
void yg_route_ratings_get (YgServer *server, YgRequest *req);
void yg_route_rating_put (YgServer *server, YgRequest *req);
void yg_route_rating_moderate (YgServer *server, YgRequest *req);

/* yg-route-heartbeats.c */
void yg_route_heartbeats_post (YgServer *server, YgRequest *req);

/* yg-route-analytics.c */
void yg_route_analytics (YgServer *server, YgRequest *req);
void yg_route_report (YgServer *server, YgRequest *req);

/* yg-route-item-meta.c */
void yg_route_item_patch (YgServer *server, YgRequest *req);
void yg_route_item_chapters_put (YgServer *server, YgRequest *req);
void yg_route_item_inheritor_link (YgServer *server, YgRequest *req);
void yg_route_item_inheritor_unlink (YgServer *server, YgRequest *req);

/* yg-route-inheritors.c */
void yg_route_inheritors_create (YgServer *server, YgRequest *req);
void yg_route_inheritors_list (YgServer *server, YgRequest *req);
void yg_route_inheritor_get (YgServer *server, YgRequest *req);
void yg_route_inheritor_patch (YgServer *server, YgRequest *req);
void yg_route_inheritor_delete (YgServer *server, YgRequest *req);

/* yg-route-search.c */
void yg_route_search (YgServer *server, YgRequest *req);

/* yg-route-jobs.c */
void yg_route_worker_lease (YgServer *server, YgRequest *req);
void yg_route_worker_heartbeat (YgServer *server, YgRequest *req);
void yg_route_worker_files (YgServer *server, YgRequest *req);
void yg_route_worker_complete (YgServer *server, YgRequest *req);
void yg_route_worker_fail (YgServer *server, YgRequest *req);
void yg_route_jobs_list (YgServer *server, YgRequest *req);
void yg_route_job_get (YgServer *server, YgRequest *req);
void yg_route_job_cancel (YgServer *server, YgRequest *req);
void yg_route_job_retry (YgServer *server, YgRequest *req);

/* yg-route-uploads.c */
void yg_route_uploads_options (YgServer *server, YgRequest *req);
void yg_route_uploads_create_early (YgServer *server, YgRequest *req);
void yg_route_uploads_create (YgServer *server, YgRequest *req);
void yg_route_uploads_patch_early (YgServer *server, YgRequest *req);
void yg_route_uploads_patch (YgServer *server, YgRequest *req);
void yg_route_uploads_head (YgServer *server, YgRequest *req);
void yg_route_uploads_get (YgServer *server, YgRequest *req);
void yg_route_uploads_delete (YgServer *server, YgRequest *req);
void yg_uploads_recover (YgServer *server);

/* yg-route-media.c */
void yg_route_hls_item_file (YgServer *server, YgRequest *req);
void yg_route_hls_rung_file (YgServer *server, YgRequest *req);
void yg_route_hls_token_item_file (YgServer *server, YgRequest *req);
void yg_route_hls_token_rung_file (YgServer *server, YgRequest *req);

/* yg-route-accounts.c */
void yg_route_accounts_create (YgServer *server, YgRequest *req);
void yg_route_session_create (YgServer *server, YgRequest *req);
void yg_route_session_delete (YgServer *server, YgRequest *req);

/* yg-route-web.c */
void yg_route_web_home (YgServer *server, YgRequest *req);
void yg_route_web_item (YgServer *server, YgRequest *req);
void yg_route_web_embed (YgServer *server, YgRequest *req);
void yg_route_web_course (YgServer *server, YgRequest *req);
void yg_route_oembed (YgServer *server, YgRequest *req);
void yg_route_share_page (YgServer *server, YgRequest *req, const char *file, gboolean course);
void yg_route_partners_list (YgServer *server, YgRequest *req);
void yg_route_partners_create (YgServer *server, YgRequest *req);
void yg_route_partner_get (YgServer *server, YgRequest *req);
void yg_route_partner_patch (YgServer *server, YgRequest *req);
void yg_route_partner_delete (YgServer *server, YgRequest *req);
void yg_route_embeds_create (YgServer *server, YgRequest *req);
void yg_route_feed (YgServer *server, YgRequest *req);
void yg_route_wechat_signature (YgServer *server, YgRequest *req);
void yg_route_web_jweixin (YgServer *server, YgRequest *req);
void yg_route_subscriptions_list (YgServer *server, YgRequest *req);
void yg_route_subscriptions_create (YgServer *server, YgRequest *req);
void yg_route_subscription_get (YgServer *server, YgRequest *req);
void yg_route_subscription_delete (YgServer *server, YgRequest *req);
void yg_route_subscription_refresh (YgServer *server, YgRequest *req);
void yg_route_web_console (YgServer *server, YgRequest *req);
void yg_route_web_portal (YgServer *server, YgRequest *req);
void yg_route_web_static (YgServer *server, YgRequest *req);
void yg_route_web_hlsjs (YgServer *server, YgRequest *req);
void yg_route_web_tusjs (YgServer *server, YgRequest *req);
void yg_route_web_report (YgServer *server, YgRequest *req);
void yg_route_web_echarts (YgServer *server, YgRequest *req);

G_END_DECLS

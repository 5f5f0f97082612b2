/* yg-route-heartbeats.c: POST /api/v1/heartbeats, the players' events.
 *
 * Public (anonymous viewers count too; a signed-in resident's events carry
 * the account, which is how "active residents" are counted). The body is at
 * most YG_HEARTBEAT_MAX_BODY bytes (413 beyond, from the route table) and is
 * validated whole (yg-heartbeat-input.c): one bad event refuses the request
 * with 400 and stores nothing. Flooding is refused before parsing, per
 * client address (heartbeat-rate requests a second), and after it per
 * viewer id (2 events a second, bursts of 120): 429 with Retry-After. The
 * buckets are per key, so one flooding address or viewer never costs
 * another its events. Accepted events go to the batching buffer
 * (yg-heartbeat-buffer.c): 202 {"accepted": n}; 503 when the buffer is full.
 * The address is used only as a key in memory, never stored.
 * Partner attribution is decided here, never taken from the client: an
 * event's "embed" token that verifies for its item and an enabled partner
 * (yg-partners.c), else an Origin header that is an enabled partner's
 * allowed origin; a token that does not verify counts for no partner.
 * Thread: main thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-heartbeat-input.h"
#include "yg-http-error.h"
#include "yg-partners.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-server.h"
#include "yg-throttle.h"

void
yg_route_heartbeats_post (YgServer *server, YgRequest *req)
{
  const YgConfig *config = yg_server_get_config (server);
  g_autofree char *address = yg_request_client_address (req, config->behind_tls);
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  YgThrottle *by_address, *by_viewer;
  gint64 now = g_get_monotonic_time ();
  JsonObject *answer;
  JsonNode *doc;
  gint64 origin_partner;
  guint wait, n;

  yg_server_get_heartbeat_throttles (server, &by_address, &by_viewer);
  wait = yg_throttle_retry_after (by_address, address, now);
  if (wait > 0)
    {
      yg_request_too_many (req, wait, "player events from this address");
      return;
    }
  yg_throttle_take (by_address, address, now);
  root = yg_request_parse_json_body (req, &error);
  if (root != NULL)
    events = yg_heartbeat_input_parse (root, g_get_real_time () / 1000,
                                       req->principal != NULL ? req->principal->user_id : 0,
                                       &error);
  if (events == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  origin_partner = yg_partners_for_origin (yg_server_get_partners (server),
                                           yg_request_header (req, "Origin"));
  for (guint i = 0; i < events->len; i++)
    {
      YgHeartbeat *h = events->pdata[i];

      h->partner_id = h->embed != NULL ? yg_partners_embed_verify (yg_server_get_partners (server),
                                                                   yg_server_get_playback_keys (server),
                                                                   h->embed, h->item_id,
                                                                   g_get_real_time () / G_USEC_PER_SEC)
                                       : 0;
      if (h->partner_id == 0)
        h->partner_id = origin_partner;
      g_clear_pointer (&h->embed, g_free);
      wait = MAX (wait, yg_throttle_retry_after (by_viewer, h->viewer, now));    }
  if (wait > 0)
    {
      yg_request_too_many (req, wait, "player events from this viewer");
      return;
    }
  for (guint i = 0; i < events->len; i++)
    yg_throttle_take (by_viewer, ((YgHeartbeat *) events->pdata[i])->viewer, now);
  n = events->len;
  g_ptr_array_set_free_func (events, NULL);
  if (!yg_heartbeat_buffer_add (yg_server_get_heartbeats (server), events))
    {
      g_ptr_array_set_free_func (events, (GDestroyNotify) yg_heartbeat_free);
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "Retry-After", "1");
      yg_request_fail (req, YG_HTTP_ERROR_UNAVAILABLE, "Too many player events are waiting to be "
                                                       "written; try again in a second");
      return;
    }
  doc = json_node_new (JSON_NODE_OBJECT);
  answer = json_object_new ();
  json_object_set_int_member (answer, "accepted", n);
  json_node_take_object (doc, answer);
  yg_request_respond_json (req, 202, doc);
}

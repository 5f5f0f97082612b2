/* yg-route-wechat.c: GET /api/v1/wechat/signature?url=… for WeChat share cards.
 *
 * Public: a page opened inside WeChat asks it for wx.config (app id,
 * timestamp, nonce, signature; yg-wechat.c signs with the cached
 * jsapi_ticket). Only this server's pages are signed: url must be an
 * absolute http(s) URL on the public host (yg_request_public_base); its
 * fragment is left out as the algorithm says. Without a configured app id
 * and secret the answer is 404 not_configured and pages share without the
 * SDK; WeChat failing is 502.
 * Thread: main thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include <string.h>

#include "yg-feed-input.h"
#include "yg-http-error.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-secret.h"
#include "yg-server.h"
#include "yg-wechat.h"

#define MAX_URL 2048

typedef struct
{
  SoupServerMessage *msg;
  char *url;
} Sign;

static void
signed_ticket (GObject *source, GAsyncResult *res, gpointer data)
{
  Sign *s = data;
  YgRequest *req = yg_request_get (s->msg);
  g_autoptr (GError) error = NULL;
  g_autofree char *ticket = yg_wechat_ticket_finish (res, &error);
  g_autofree char *signature = NULL, *nonce = NULL;
  guint8 raw[12];
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  JsonNode *node;
  JsonObject *o;

  if (ticket == NULL)
    {
      g_autoptr (GError) answer = g_error_new (YG_HTTP_ERROR, YG_HTTP_ERROR_BAD_GATEWAY,
                                               "WeChat did not give a jsapi_ticket: %s",
                                               error->message);
      yg_request_respond_error (req, answer);
    }
  else
    {
      yg_secret_random (raw, sizeof raw);
      nonce = g_base64_encode (raw, sizeof raw);
      for (char *p = nonce; *p; p++) /* letters and digits only, as WeChat's examples */
        if (!g_ascii_isalnum (*p))
          *p = 'x';
      signature = yg_wechat_signature (ticket, nonce, now, s->url);
      node = json_node_new (JSON_NODE_OBJECT);
      o = json_object_new ();
      json_object_set_string_member (o, "app_id",
                                     yg_wechat_app_id (yg_server_get_wechat (req->server)));
      json_object_set_int_member (o, "timestamp", now);
      json_object_set_string_member (o, "nonce_str", nonce);
      json_object_set_string_member (o, "signature", signature);
      json_object_set_string_member (o, "url", s->url);
      json_node_take_object (node, o);
      soup_message_headers_replace (soup_server_message_get_response_headers (s->msg),
                                    "Cache-Control", "no-store");
      yg_request_respond_json (req, 200, node);
    }
  g_object_unref (s->msg);
  g_free (s->url);
  g_free (s);
}

void
yg_route_wechat_signature (YgServer *server, YgRequest *req)
{
  YgWechat *wechat = yg_server_get_wechat (server);
  const char *url = g_hash_table_lookup (yg_request_query (req), "url");
  g_autofree char *base = yg_request_public_base (req);
  g_autofree char *ours = base != NULL ? yg_feed_input_origin (base) : NULL;
  g_autofree char *its = NULL;
  Sign *s;

  if (!yg_wechat_is_configured (wechat))
    {
      g_autoptr (GError) error = g_error_new_literal (
          YG_HTTP_ERROR, YG_HTTP_ERROR_NOT_FOUND,
          "WeChat is not configured on this server; share without the JS-SDK");
      yg_request_respond_error (req, error);
      return;
    }
  its = url != NULL && strlen (url) <= MAX_URL && g_utf8_validate (url, -1, NULL)
            ? yg_feed_input_origin (url)
            : NULL;
  if (its == NULL || ours == NULL || !g_str_equal (its, ours))
    {
      yg_request_fail (req, YG_HTTP_ERROR_BAD_REQUEST,
                       "url must be the address of one of this server's pages (at most %d bytes)",
                       MAX_URL);
      return;
    }
  s = g_new0 (Sign, 1);
  s->msg = g_object_ref (req->msg);
  s->url = strchr (url, '#') != NULL ? g_strndup (url, strchr (url, '#') - url) : g_strdup (url);
  yg_request_pause (req);
  yg_wechat_ticket_async (wechat, signed_ticket, s);
}

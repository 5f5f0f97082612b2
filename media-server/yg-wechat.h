/* yg-wechat.h: WeChat JS-SDK signatures, with access_token and jsapi_ticket cached. */
#pragma once

#include <libsoup/soup.h>

#include "yg-config.h"

G_BEGIN_DECLS

#define YG_WECHAT_REFRESH_MARGIN 300 /* seconds before expiry a token or ticket is renewed */

typedef struct _YgWechat YgWechat;

YgWechat *yg_wechat_new (const YgConfig *config);
void yg_wechat_free (YgWechat *self);
gboolean yg_wechat_is_configured (YgWechat *self);
const char *yg_wechat_app_id (YgWechat *self);
void yg_wechat_ticket_async (YgWechat *self, GAsyncReadyCallback callback, gpointer data);
char *yg_wechat_ticket_finish (GAsyncResult *result, GError **error);
char *yg_wechat_signature (const char *ticket,
                           const char *noncestr,
                           gint64      timestamp,
                           const char *url);

G_END_DECLS

/* yg-route-media.h: the HLS routes' visibility cache, shared with the fast path. */
#pragma once

#include <gio/gio.h>

#include "yg-server.h"
#include "yg-visibility.h"

G_BEGIN_DECLS

gboolean yg_media_visibility_cached (YgServer *server, const char *item, YgVisibility *visibility);
void yg_media_visibility_load (YgServer           *server,
                               const char         *item,
                               GAsyncReadyCallback callback,
                               gpointer            data);
gboolean yg_media_visibility_finish (YgServer     *server,
                                     const char   *item,
                                     GAsyncResult *res,
                                     YgVisibility *visibility,
                                     GError      **error);

G_END_DECLS

/* yg-subscriptions.h: following other centres' feeds: refreshes and their schedule. */
#pragma once

#include <gio/gio.h>

#include "yg-config.h"
#include "yg-db.h"

G_BEGIN_DECLS

typedef struct _YgSubscriptions YgSubscriptions;

YgSubscriptions *yg_subscriptions_new (YgDb *db, const YgConfig *config);
void yg_subscriptions_free (YgSubscriptions *self);
void yg_subscriptions_start (YgSubscriptions *self);
void yg_subscriptions_set_origins (YgSubscriptions *self, GPtrArray *subscriptions);
const char *yg_subscriptions_origins (YgSubscriptions *self);
void yg_subscriptions_refresh_async (YgSubscriptions    *self,
                                     gint64              id,
                                     GAsyncReadyCallback callback,
                                     gpointer            data);
gboolean yg_subscriptions_refresh_finish (GAsyncResult *result, GError **error);

G_END_DECLS

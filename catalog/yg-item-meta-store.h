/* yg-item-meta-store.h: reading and changing item metadata. DB-thread functions. */
#pragma once

#include "yg-db.h"
#include "yg-item-meta.h"

G_BEGIN_DECLS

YgItemMeta *yg_item_meta_store_get (YgDbConn *conn, const char *item_id, GError **error);
gboolean yg_item_meta_store_update (YgDbConn *conn, const char *item_id, const YgItemMeta *patch,
                                    gboolean in_transaction, GError **error);
gboolean yg_item_meta_store_set_chapters (YgDbConn *conn, const char *item_id,
                                          const GArray *chapters, GError **error);

G_END_DECLS

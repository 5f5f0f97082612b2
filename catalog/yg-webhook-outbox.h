/* yg-webhook-outbox.h: staff notifications waiting to be delivered. DB-thread functions. */
#pragma once

#include "yg-db.h"
#include "yg-demand-store.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 id;
  char *event;       /* request.threshold_reached */
  guint attempts;    /* deliveries tried so far */
  YgDemand *demand;  /* the request it is about */
} YgWebhookEntry;

void yg_webhook_entry_free (YgWebhookEntry *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgWebhookEntry, yg_webhook_entry_free)

GPtrArray *yg_webhook_outbox_due (YgDbConn *conn, gint64 now, guint limit, GError **error);
gboolean yg_webhook_outbox_record (YgDbConn *conn, gint64 id, const char *failure,
                                   gint64 next_at, GError **error);
gint64 yg_webhook_outbox_next_at (YgDbConn *conn, GError **error);

G_END_DECLS

/* yg-webhook.h: delivers staff notifications (webhook_outbox) to a configured URL. */
#pragma once

#include "yg-db.h"

G_BEGIN_DECLS

#define YG_WEBHOOK_MAX_ATTEMPTS 8   /* then the notification is given up (kept, marked) */
#define YG_WEBHOOK_MAX_BACKOFF 600  /* seconds */

typedef struct _YgWebhook YgWebhook;

YgWebhook *yg_webhook_new (YgDb *db, const char *url, guint threshold, GError **error);
void yg_webhook_kick (YgWebhook *hook);
void yg_webhook_free (YgWebhook *hook);

G_END_DECLS

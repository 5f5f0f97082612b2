/* yg-partners.h: the enabled partners' origins and tokens, held in memory. */
#pragma once

#include <libsoup/soup.h>

#include "yg-partner-store.h"
#include "yg-playback-keys.h"

G_BEGIN_DECLS

#define YG_PARTNERS_MAX_ORIGINS 16
#define YG_PARTNERS_MAX_ORIGIN_LEN 200
#define YG_PARTNERS_EMBED_PREFIX "embed/" /* signed names: never an item id (no '/') */

typedef struct _YgPartners YgPartners;

YgPartners *yg_partners_new (void);
void yg_partners_free (YgPartners *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgPartners, yg_partners_free)

void yg_partners_set (YgPartners *self, GPtrArray *partners);
gint64 yg_partners_for_origin (YgPartners *self, const char *origin);
gint64 yg_partners_for_token (YgPartners *self, gint64 token_id);
gboolean yg_partners_is_enabled (YgPartners *self, gint64 partner_id);
char *yg_partners_frame_ancestors (YgPartners *self);
void yg_partners_cors (YgPartners *self, SoupServerMessage *msg);

char *yg_partners_normalise_origin (const char *text, GError **error);

char *yg_partners_embed_sign (YgPlaybackKeys *keys,
                              gint64          partner_id,
                              const char     *item_id,
                              gint64          expires_at);
gint64 yg_partners_embed_verify (YgPartners     *self,
                                 YgPlaybackKeys *keys,
                                 const char     *token,
                                 const char     *item_id,
                                 gint64          now);

G_END_DECLS

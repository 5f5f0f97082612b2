/* yg-partner-store.h: partner culture centres, as stored rows. DB-thread functions. */
#pragma once

#include "yg-db.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 id;
  char *name;
  char **origins;   /* normalised scheme://host[:port]; NULL-terminated, maybe empty */
  gint64 token_id;  /* the partner bearer token minted for it; 0 once revoked/none */
  gboolean enabled;
  gint64 created_at;
  gint64 updated_at;
} YgPartner;

/* A change: NULL/negative fields are left as they are. */
typedef struct
{
  char *name;
  char **origins;
  int enabled;      /* -1: unchanged */
} YgPartnerPatch;

YgPartner *yg_partner_copy (const YgPartner *p);
void yg_partner_free (YgPartner *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgPartner, yg_partner_free)
void yg_partner_patch_free (YgPartnerPatch *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgPartnerPatch, yg_partner_patch_free)

YgPartner *yg_partner_store_create (YgDbConn             *conn,
                                    const YgPartnerPatch *in,
                                    char                **token,
                                    GError              **error);
YgPartner *yg_partner_store_get (YgDbConn *conn, gint64 id, GError **error);
GPtrArray *yg_partner_store_list (YgDbConn *conn, GError **error);
YgPartner *yg_partner_store_update (YgDbConn             *conn,
                                    gint64                id,
                                    const YgPartnerPatch *patch,
                                    GError              **error);
gboolean yg_partner_store_delete (YgDbConn *conn, gint64 id, GError **error);

G_END_DECLS

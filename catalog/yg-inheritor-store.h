/* yg-inheritor-store.h: heritage inheritors (代表性传承人) and their links to items. DB-thread
 * functions. */
#pragma once

#include "yg-db.h"

G_BEGIN_DECLS

typedef enum
{
  YG_INHERITOR_NAME = 1 << 0,
  YG_INHERITOR_BIRTH_YEAR = 1 << 1,
  YG_INHERITOR_GENDER = 1 << 2,
  YG_INHERITOR_LEVEL = 1 << 3,
  YG_INHERITOR_REGION = 1 << 4,
  YG_INHERITOR_BIO = 1 << 5,
} YgInheritorField;

typedef struct
{
  guint32 set; /* YgInheritorField bits: in a patch, the fields it changes */
  gint64 id;
  char *name;
  int birth_year; /* 0: unknown */
  char *gender;   /* nullable: female | male */
  char *level;    /* nullable: national | provincial | municipal | county */
  char *region;   /* nullable */
  char *bio;
  gint64 created_at;
  gint64 updated_at;
  GPtrArray *item_ids; /* (element-type utf8) linked items, read back only */
} YgInheritor;

YgInheritor *yg_inheritor_new (void);
void yg_inheritor_free (YgInheritor *inheritor);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgInheritor, yg_inheritor_free)

YgInheritor *yg_inheritor_store_create (YgDbConn *conn, const YgInheritor *in, GError **error);
YgInheritor *yg_inheritor_store_get (YgDbConn *conn, gint64 id, GError **error);
GPtrArray *yg_inheritor_store_list (YgDbConn *conn, gint64 after_id, guint limit, GError **error);
YgInheritor *yg_inheritor_store_update (YgDbConn *conn, gint64 id, const YgInheritor *patch,
                                        GError **error);
gboolean yg_inheritor_store_delete (YgDbConn *conn, gint64 id, GError **error);
gboolean yg_inheritor_store_link (YgDbConn *conn, const char *item_id, gint64 inheritor_id,
                                  gboolean linked, GError **error);

G_END_DECLS

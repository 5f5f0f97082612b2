/* yg-item-store.h: items (performances, lessons, heritage footage). DB-thread functions. */
#pragma once

#include "yg-db.h"
#include "yg-visibility.h"
#include "yg-item-meta.h"

G_BEGIN_DECLS

typedef struct
{
  char *id;
  char *kind;          /* performance | lesson | heritage */
  char *title;
  char *description;
  char *status;        /* processing | ready | failed */
  char *error_code;    /* NULL unless failed */
  char *error_message;
  double duration;     /* seconds; < 0 when not yet known */
  gboolean has_master; /* a master playlist is published */
  gboolean has_poster;
  double progress;     /* of the latest job, 0..1; < 0 when there is none */
  gint64 created_at;
  gint64 updated_at;
  YgVisibility visibility;
  YgItemMeta *meta;    /* nullable: descriptive metadata, when loaded (yg-item-meta-store.c) */
  /* set only for an item of a subscribed feed (yg-feed-store.c): absolute URLs on its origin */
  char *remote_hls;    /* master playlist */
  char *remote_poster; /* nullable */
  char *source_name;   /* the source centre */
  char *source_page;   /* nullable: the item's page there */
} YgItem;

void yg_item_free (YgItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgItem, yg_item_free)

gboolean yg_item_kind_is_valid (const char *kind);
YgItem *yg_item_store_get (YgDbConn *conn, const char *id, GError **error);
char *yg_item_store_insert (YgDbConn   *conn,
                            const char *id,
                            const char *kind,
                            const char *title,
                            const char *description,
                            GError    **error);

GPtrArray *yg_item_store_list_recent (YgDbConn *conn, guint limit, GError **error);
/* @visible: bit (1 << YgVisibility) set for each visibility to include */
GPtrArray *yg_item_store_list_visible (YgDbConn *conn, guint limit, guint visible, GError **error);
gboolean yg_item_store_set_visibility (YgDbConn    *conn,
                                       const char  *id,
                                       YgVisibility visibility,
                                       GError     **error);
YgVisibility yg_item_store_get_visibility (YgDbConn *conn, const char *id, GError **error);
char *yg_item_store_file_path (YgDbConn   *conn,
                               const char *item_id,
                               const char *role,
                               GError    **error);
gboolean yg_item_store_add_file (YgDbConn   *conn,
                                 const char *item_id,
                                 const char *role,
                                 const char *path,
                                 gint64      size,
                                 const char *sha256,
                                 GError    **error);
char *yg_item_store_find_original (YgDbConn *conn, const char *sha256, GError **error);

G_END_DECLS

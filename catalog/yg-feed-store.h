/* yg-feed-store.h: the public feed of this catalogue, and the feeds it follows. DB-thread functions. */
#pragma once

#include "yg-db.h"
#include "yg-item-store.h"

G_BEGIN_DECLS

#define YG_FEED_MAX_PAGE 200

/* One change in this server's feed: the item, or NULL when it is gone (deleted,
 * no longer public or not playable). */
typedef struct
{
  gint64 seq;
  char *item_id;
  YgItem *item;
} YgFeedEntry;

void yg_feed_entry_free (YgFeedEntry *e);

GPtrArray *yg_feed_store_page (YgDbConn *conn, gint64 after, guint limit, GError **error);
gint64 yg_feed_store_latest (YgDbConn *conn, GError **error);

/* One entry of another server's feed, validated (yg-feed-input.c). */
typedef struct
{
  char *remote_id;
  gboolean deleted;
  char *kind;
  char *title;
  char *description;
  double duration;      /* < 0: unknown */
  char *hls_url;        /* absolute, on the feed's origin */
  char *poster_url;     /* nullable */
  char *page_url;       /* nullable */
} YgFeedRemote;

void yg_feed_remote_free (YgFeedRemote *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgFeedRemote, yg_feed_remote_free)

typedef struct
{
  gint64 id;
  char *url;
  char *name;
  gboolean allow_private;
  gint64 cursor;
  char *etag;
  char *state;          /* new | ok | error */
  char *error;
  gint64 checked_at;
  gint64 ok_at;
  gint64 created_at;
  gint64 items;         /* subscribed items in the catalogue */
} YgSubscription;

void yg_subscription_free (YgSubscription *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgSubscription, yg_subscription_free)

YgSubscription *yg_feed_store_subscribe (YgDbConn   *conn,
                                         const char *url,
                                         gboolean    allow_private,
                                         GError    **error);
YgSubscription *yg_feed_store_subscription (YgDbConn *conn, gint64 id, GError **error);
GPtrArray *yg_feed_store_subscriptions (YgDbConn *conn, GError **error);
gboolean yg_feed_store_unsubscribe (YgDbConn *conn, gint64 id, GError **error);
gboolean yg_feed_store_apply (YgDbConn   *conn,
                              gint64      id,
                              const char *name,
                              GPtrArray  *remotes,
                              gint64      cursor,
                              const char *etag,
                              GError    **error);
gboolean yg_feed_store_set_state (YgDbConn   *conn,
                                  gint64      id,
                                  const char *error_text,
                                  GError    **error);

G_END_DECLS

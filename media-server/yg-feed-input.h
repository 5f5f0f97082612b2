/* yg-feed-input.h: another server's feed page, parsed and validated strictly. */
#pragma once

#include <glib.h>

#include "yg-feed-store.h"

G_BEGIN_DECLS

#define YG_FEED_FORMAT 1 /* "yunguan_feed" of the documents this server writes and reads */

typedef struct
{
  char *name;          /* the source centre */
  GPtrArray *remotes;  /* (element-type YgFeedRemote) */
  gint64 next_cursor;
  gboolean more;
} YgFeedPage;

void yg_feed_page_free (YgFeedPage *page);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgFeedPage, yg_feed_page_free)

YgFeedPage *yg_feed_input_parse (GBytes *body, const char *feed_url, GError **error);
char *yg_feed_input_origin (const char *url);

G_END_DECLS

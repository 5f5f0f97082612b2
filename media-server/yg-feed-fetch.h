/* yg-feed-fetch.h: fetching another server's feed page, defended against SSRF. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct
{
  gboolean allow_private; /* the admin allowed this host's loopback/private address */
  guint64 max_bytes;      /* larger bodies are refused */
  guint timeout;          /* seconds for the whole fetch, redirects included */
  const char *etag;       /* nullable: sent as If-None-Match */
} YgFeedFetchLimits;

const char *yg_feed_fetch_address_kind (GInetAddress *address);
void yg_feed_fetch_async (SoupSession             *session,
                          const char              *url,
                          const YgFeedFetchLimits *limits,
                          GCancellable            *cancellable,
                          GAsyncReadyCallback      callback,
                          gpointer                 data);
GBytes *yg_feed_fetch_finish (GAsyncResult *result,
                              char        **etag,
                              GError      **error);
SoupSession *yg_feed_fetch_session_new (void);

G_END_DECLS

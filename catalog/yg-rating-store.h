/* yg-rating-store.h: residents' ratings (评单) of items, courses and scheduled requests.
 * DB-thread functions. */
#pragma once

#include "yg-db.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 id;
  char *target_type; /* item | course | request */
  char *target_id;
  gint64 user_id;
  char *author;      /* read back: display name */
  int stars;         /* 1 to 5 */
  char *comment;
  gint64 hidden_at;  /* 0: visible */
  char *hidden_reason;
  gint64 created_at;
  gint64 updated_at;
} YgRating;

YgRating *yg_rating_new (void);
void yg_rating_free (YgRating *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgRating, yg_rating_free)

typedef struct
{
  gint64 count;        /* visible ratings */
  double average;      /* 0 when there are none */
  gint64 stars[5];     /* stars[k]: ratings of k + 1 stars */
} YgRatingSummary;

/* A target with its visible ratings, the caller's own hidden ones included. */
typedef struct
{
  YgRatingSummary summary;
  GPtrArray *ratings; /* (element-type YgRating) newest first */
} YgRatingPage;

void yg_rating_page_free (YgRatingPage *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgRatingPage, yg_rating_page_free)

YgRating *yg_rating_store_put (YgDbConn *conn, const YgRating *in, gboolean staff, GError **error);
YgRatingPage *yg_rating_store_page (YgDbConn *conn, const char *target_type,
                                    const char *target_id, gint64 viewer_id, gboolean staff,
                                    gint64 before_id, guint limit, GError **error);
gboolean yg_rating_store_summary (YgDbConn *conn, const char *target_type,
                                  const char *target_id, YgRatingSummary *out, GError **error);
YgRating *yg_rating_store_moderate (YgDbConn *conn, gint64 id, gboolean hidden,
                                    const char *reason, GError **error);

G_END_DECLS

/* yg-demand-store.h: residents' requests (点单/点将), their supporters and staff answers.
 * DB-thread functions. */
#pragma once

#include "yg-db.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 id;
  char *kind;           /* programme | course | lecturer */
  char *title;
  char *description;
  gint64 lecturer_id;   /* 0: none */
  char *lecturer_name;  /* read back */
  char *community;      /* nullable */
  gint64 author_id;
  char *status;         /* open | threshold_reached | scheduled | declined */
  gint64 supporters;
  gint64 created_at;
  gint64 threshold_at;  /* 0: not reached */
  gint64 answered_at;   /* 0: not answered */
  char *scheduled_date; /* nullable, YYYY-MM-DD */
  char *linked_item;    /* nullable */
  gint64 linked_course; /* 0: none */
  char *reason;         /* nullable: why it was declined */
  gboolean supported;   /* read back: the asking account supports it */
} YgDemand;

YgDemand *yg_demand_new (void);
void yg_demand_free (YgDemand *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgDemand, yg_demand_free)

/* What the store needs from the server's configuration. */
typedef struct
{
  guint threshold;  /* supporters that move a request to threshold_reached */
  gboolean notify;  /* queue a webhook notification when that happens */
} YgDemandRules;

YgDemand *yg_demand_store_create (YgDbConn *conn, const YgDemand *in, gint64 author_id,
                                  const YgDemandRules *rules, GError **error);
YgDemand *yg_demand_store_get (YgDbConn *conn, gint64 id, gint64 viewer_id, GError **error);
YgDemand *yg_demand_store_support (YgDbConn *conn, gint64 id, gint64 user_id, gboolean support,
                                   const YgDemandRules *rules, GError **error);
YgDemand *yg_demand_store_answer (YgDbConn *conn, gint64 id, const YgDemand *answer,
                                  GError **error);
GPtrArray *yg_demand_store_list (YgDbConn *conn, const char *status, const char *kind,
                                 gint64 before_id, guint limit, gint64 viewer_id, GError **error);
GPtrArray *yg_demand_store_similar (YgDbConn *conn, const char *text, gint64 except_id,
                                    guint limit, GError **error);
gboolean yg_demand_store_counts (YgDbConn *conn, gint64 *open, gint64 *awaiting, GError **error);

G_END_DECLS

/* yg-fast-head.h: the fast path's strict request-head reader. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  YG_FAST_INCOMPLETE, /* more bytes may make it plain */
  YG_FAST_PLAIN,
  YG_FAST_OTHER,      /* for libsoup */
} YgFastParse;

/* A plain request head; the strings are copies, NULL when absent. */
typedef struct
{
  gboolean is_head; /* HEAD, else GET */
  char *target;     /* the request target as sent (path and query) */
  gboolean close;   /* Connection: close */
  char *range, *if_range, *if_none_match, *origin, *request_id;
  gsize head_len;   /* bytes, the empty line included */
} YgFastHead;

YgFastParse yg_fast_head_parse (const guint8 *buf, gsize len, gsize max_head, YgFastHead *h);
void yg_fast_head_clear (YgFastHead *h);

G_END_DECLS

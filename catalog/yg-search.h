/* yg-search.h: the search index of items and queries over it. DB-thread functions. */
#pragma once

#include "yg-db.h"

G_BEGIN_DECLS

typedef struct
{
  const char *q;    /* nullable: the text to find (substring, any script) */
  const char *kind; /* nullable filters, already validated */
  const char *category;
  const char *level;
  const char *region;
  const char *tag;  /* normalised */
  const char *from; /* YYYY-MM-DD, recorded date inclusive */
  const char *to;
  gboolean by_date;   /* sort=date; otherwise relevance */
  guint limit;        /* 1..100 */
  const char *cursor; /* nullable: from a previous page */
  guint visible;      /* a bit (1 << v) per YgVisibility the caller may find; 0: all */
} YgSearchQuery;

typedef struct
{
  GPtrArray *ids;    /* (element-type utf8) item ids, in order */
  char *next_cursor; /* NULL on the last page */
} YgSearchPage;

void yg_search_page_free (YgSearchPage *page);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgSearchPage, yg_search_page_free)

#define YG_SEARCH_MAX_QUERY_CHARS 100

gboolean yg_search_index_item (YgDbConn *conn, const char *item_id, GError **error);
gboolean yg_search_remove_item (YgDbConn *conn, const char *item_id, GError **error);
YgSearchPage *yg_search_run (YgDbConn *conn, const YgSearchQuery *query, GError **error);
char *yg_search_grams (const char *text);

/* The keyset cursor of a page (pure; next_cursor is its encoded form). */
typedef struct
{
  char sort; /* 'd' or 'r' */
  gint64 score;
  gint64 doc;
} YgSearchCursor;

char *yg_search_cursor_encode (const YgSearchCursor *c);
gboolean yg_search_cursor_decode (const char *text, char sort, YgSearchCursor *c, GError **error);

G_END_DECLS

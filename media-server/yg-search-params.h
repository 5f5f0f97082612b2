/* yg-search-params.h: the query string of GET /api/v1/search, parsed. */
#pragma once

#include "yg-search.h"

G_BEGIN_DECLS

typedef struct
{
  YgSearchQuery query;
  char *strings[9]; /* owned copies of the query's strings */
} YgSearchParams;

YgSearchParams *yg_search_params_parse (const char *raw_query, GError **error);
void yg_search_params_free (YgSearchParams *params);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgSearchParams, yg_search_params_free)

G_END_DECLS

/* yg-http-file.h: answering a request with a file (validators, one Range). */
#pragma once

#include "yg-request.h"

G_BEGIN_DECLS

typedef enum
{
  YG_RANGE_NONE,      /* no Range header: the whole file */
  YG_RANGE_OK,        /* one satisfiable range */
  YG_RANGE_UNSATISFIABLE,
  YG_RANGE_IGNORED,   /* malformed or several ranges: answer with the whole file */
} YgRangeResult;

YgRangeResult yg_http_parse_range (const char *header, guint64 size, guint64 *start, guint64 *end);
void yg_http_serve_file (YgRequest  *req,
                         const char *root,
                         const char *rel,
                         const char *content_type,
                         const char *cache_control);

G_END_DECLS

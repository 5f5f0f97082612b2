/* yg-http-file.h: answering a request with a file (validators, one Range). */
#pragma once

#include <glib/gstdio.h>

#include "yg-request.h"

G_BEGIN_DECLS

typedef enum
{
  YG_RANGE_NONE,      /* no Range header: the whole file */
  YG_RANGE_OK,        /* one satisfiable range */
  YG_RANGE_UNSATISFIABLE,
  YG_RANGE_IGNORED,   /* malformed or several ranges: answer with the whole file */
} YgRangeResult;

#define YG_HTTP_ETAG_MAX 64
#define YG_HTTP_DATE_MAX 32

YgRangeResult yg_http_parse_range (const char *header, guint64 size, guint64 *start, guint64 *end);
gboolean yg_http_etag_matches (const char *if_none_match, const char *etag);
gboolean yg_http_if_range_holds (const char *if_range, const char *etag, const char *last_modified);
int yg_http_file_open (const char *root, const char *rel);
void yg_http_date (gint64 unix_seconds, char *out);
void yg_http_file_validators (const GStatBuf *st, char *etag, char *last_modified);
void yg_http_serve_file (YgRequest  *req,
                         const char *root,
                         const char *rel,
                         const char *content_type,
                         const char *cache_control);

G_END_DECLS

/* yg-http-error.h: request-level errors and the one GError → HTTP map. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define YG_HTTP_ERROR (yg_http_error_quark ())
GQuark yg_http_error_quark (void);

typedef enum
{
  YG_HTTP_ERROR_BAD_REQUEST,       /* 400 malformed input */
  YG_HTTP_ERROR_UNAUTHORIZED,      /* 401 no or unknown credentials */
  YG_HTTP_ERROR_FORBIDDEN,         /* 403 credentials lack the role */
  YG_HTTP_ERROR_NOT_FOUND,         /* 404 */
  YG_HTTP_ERROR_METHOD_NOT_ALLOWED,/* 405 */
  YG_HTTP_ERROR_CONFLICT,          /* 409 */
  YG_HTTP_ERROR_GONE,              /* 410 */
  YG_HTTP_ERROR_LENGTH_REQUIRED,   /* 411 */
  YG_HTTP_ERROR_PAYLOAD_TOO_LARGE, /* 413 */
  YG_HTTP_ERROR_UNSUPPORTED_MEDIA, /* 415 */
  YG_HTTP_ERROR_RANGE_NOT_SATISFIABLE, /* 416 */
  YG_HTTP_ERROR_HEADERS_TOO_LARGE, /* 431 */
  YG_HTTP_ERROR_TOO_MANY_REQUESTS, /* 429 */
  YG_HTTP_ERROR_UNAVAILABLE,       /* 503 */
  YG_HTTP_ERROR_INTERNAL,          /* 500 */
  YG_HTTP_ERROR_PRECONDITION_FAILED, /* 412 (tus: unsupported Tus-Resumable) */
  YG_HTTP_ERROR_LOCKED,            /* 423 */
  YG_HTTP_ERROR_CHECKSUM_MISMATCH, /* 460 (tus checksum extension) */
  YG_HTTP_ERROR_INVALID,           /* 400 a field of the body is wrong ("field" names it) */
  YG_HTTP_ERROR_CSRF,              /* 403 cookie-authenticated write without its CSRF token */
  YG_HTTP_ERROR_NOT_IMPLEMENTED,   /* 501 (oEmbed: a format other than json) */
  YG_HTTP_ERROR_BAD_GATEWAY,       /* 502 another server answered wrongly (feeds, WeChat) */
} YgHttpError;

guint yg_http_error_map (const GError *error, const char **code);
int yg_io_error_from_errno (int err_no);

G_END_DECLS

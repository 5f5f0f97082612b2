/* yg-http-error.c: the single translation from GError to an HTTP answer.
 *
 * Every error that reaches a client passes through yg_http_error_map: it
 * picks the status and the stable machine code of the JSON error body
 * ({"error":{"code":...,"message":...}}). Domains from below (catalogue,
 * GIO) are translated here and nowhere else; an unknown domain is a 500
 * "internal" whose message is not leaked to the client (see yg-request.c).
 * A full disk or quota (ENOSPC, EDQUOT, SQLITE_FULL) is 507
 * "insufficient_storage"; yg_io_error_from_errno is how server code turns an
 * errno into a GIOError so that EDQUOT (which GIO calls FAILED) counts too.
 * Thread: any (pure function).
 */
#include "yg-http-error.h"

#include <errno.h>
#include <gio/gio.h>

#include "yg-db-error.h"
#include "yg-field-error.h"

G_DEFINE_QUARK (yg-http-error-quark, yg_http_error)

typedef struct
{
  guint status;
  const char *code;
} Answer;

static const Answer http_answers[] = {
  [YG_HTTP_ERROR_BAD_REQUEST] = { 400, "bad_request" },
  [YG_HTTP_ERROR_UNAUTHORIZED] = { 401, "unauthorized" },
  [YG_HTTP_ERROR_FORBIDDEN] = { 403, "forbidden" },
  [YG_HTTP_ERROR_NOT_FOUND] = { 404, "not_found" },
  [YG_HTTP_ERROR_METHOD_NOT_ALLOWED] = { 405, "method_not_allowed" },
  [YG_HTTP_ERROR_CONFLICT] = { 409, "conflict" },
  [YG_HTTP_ERROR_GONE] = { 410, "gone" },
  [YG_HTTP_ERROR_LENGTH_REQUIRED] = { 411, "length_required" },
  [YG_HTTP_ERROR_PAYLOAD_TOO_LARGE] = { 413, "payload_too_large" },
  [YG_HTTP_ERROR_UNSUPPORTED_MEDIA] = { 415, "unsupported_media_type" },
  [YG_HTTP_ERROR_RANGE_NOT_SATISFIABLE] = { 416, "range_not_satisfiable" },
  [YG_HTTP_ERROR_HEADERS_TOO_LARGE] = { 431, "headers_too_large" },
  [YG_HTTP_ERROR_TOO_MANY_REQUESTS] = { 429, "too_many_requests" },
  [YG_HTTP_ERROR_UNAVAILABLE] = { 503, "unavailable" },
  [YG_HTTP_ERROR_INTERNAL] = { 500, "internal" },
  [YG_HTTP_ERROR_PRECONDITION_FAILED] = { 412, "precondition_failed" },
  [YG_HTTP_ERROR_LOCKED] = { 423, "locked" },
  [YG_HTTP_ERROR_CHECKSUM_MISMATCH] = { 460, "checksum_mismatch" },
  [YG_HTTP_ERROR_INVALID] = { 400, "invalid" },
  [YG_HTTP_ERROR_CSRF] = { 403, "csrf" },
  [YG_HTTP_ERROR_NOT_IMPLEMENTED] = { 501, "not_implemented" },
  [YG_HTTP_ERROR_BAD_GATEWAY] = { 502, "bad_gateway" },
};

static const Answer db_answers[] = {
  [YG_DB_ERROR_FAILED] = { 500, "internal" },
  [YG_DB_ERROR_NOT_FOUND] = { 404, "not_found" },
  [YG_DB_ERROR_CONSTRAINT] = { 409, "conflict" },
  [YG_DB_ERROR_BUSY] = { 503, "busy" },
  [YG_DB_ERROR_FULL] = { 507, "insufficient_storage" },
  [YG_DB_ERROR_IO] = { 500, "storage_error" },
  [YG_DB_ERROR_CORRUPT] = { 500, "storage_error" },
  [YG_DB_ERROR_CANT_OPEN] = { 500, "storage_error" },
  [YG_DB_ERROR_READ_ONLY] = { 503, "read_only" },
  [YG_DB_ERROR_SCHEMA_TOO_NEW] = { 500, "internal" },
  [YG_DB_ERROR_INVALID] = { 400, "bad_request" },
};

/**
 * yg_http_error_map:
 * @error: the error to answer with
 * @code: (out): the stable machine code for the JSON body
 *
 * Returns: the HTTP status
 */
guint
yg_http_error_map (const GError *error, const char **code)
{
  const Answer *a = NULL;

  g_return_val_if_fail (error != NULL, 500);

  if (error->domain == YG_HTTP_ERROR && (guint) error->code < G_N_ELEMENTS (http_answers))
    a = &http_answers[error->code];
  else if (error->domain == YG_DB_ERROR && (guint) error->code < G_N_ELEMENTS (db_answers))
    a = &db_answers[error->code];
  else if (error->domain == YG_FIELD_ERROR)
    {
      static const Answer invalid = { 400, "invalid" }; /* the body also names the field */
      a = &invalid;
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    {
      static const Answer full = { 507, "insufficient_storage" };
      a = &full;
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      static const Answer nf = { 404, "not_found" };
      a = &nf;
    }

  if (a == NULL || a->code == NULL)
    {
      *code = "internal";
      return 500;
    }
  *code = a->code;
  return a->status;
}

/**
 * yg_io_error_from_errno:
 *
 * Returns: the GIOErrorEnum for @err_no, with EDQUOT (a quota is full) as
 *   G_IO_ERROR_NO_SPACE like ENOSPC, so both are answered 507
 */
int
yg_io_error_from_errno (int err_no)
{
#ifdef EDQUOT
  if (err_no == EDQUOT)
    return G_IO_ERROR_NO_SPACE;
#endif
  return g_io_error_from_errno (err_no);
}

/* yg-request.h: one HTTP request as route handlers see it, and its answers. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "yg-db.h"
#include "yg-principal.h"
#include "yg-route.h"

G_BEGIN_DECLS

#define YG_REQUEST_ID_SIZE 17 /* 16 characters and the NUL */

struct _YgRequest
{
  SoupServerMessage *msg; /* owns this request (object data) */
  YgServer *server;
  const YgRoute *route;   /* NULL when unmatched */
  GPtrArray *params;      /* (element-type utf8) decoded {param} values */
  YgPrincipal *principal; /* NULL for anonymous */
  GError *early_error;    /* decided while reading headers, answered after the body */
  char id[YG_REQUEST_ID_SIZE];            /* request id, echoed as X-Request-Id */
  gint64 start_us;
  guint64 body_seen;
  gboolean paused;
  gboolean authorized;    /* the route's auth class admitted the caller */
  gpointer route_data;    /* owned by the route (e.g. an upload being written) */
  GDestroyNotify route_data_free;
};

YgRequest *yg_request_get (SoupServerMessage *msg);
void yg_request_make_id (const char *incoming, char *id);
YgRequest *yg_request_attach (SoupServerMessage *msg, YgServer *server);

const char *yg_request_param (YgRequest *req, guint index);
const char *yg_request_header (YgRequest *req, const char *name);
const char *yg_request_method (YgRequest *req);
GHashTable *yg_request_query (YgRequest *req);
GHashTable *yg_request_decode_query (const char *raw);

void yg_request_pause (YgRequest *req);
void yg_request_resume (YgRequest *req);
JsonNode *yg_request_error_document (const char *code, const char *message);
void yg_request_respond_json (YgRequest *req, guint status, JsonNode *node);
GBytes *yg_request_json_bytes (JsonNode *node);
void yg_request_respond_json_bytes (YgRequest *req, guint status, GBytes *text);
void yg_request_respond_error (YgRequest *req, const GError *error);
void yg_request_respond_bytes (YgRequest  *req,
                               guint       status,
                               const char *content_type,
                               GBytes     *body);
void yg_request_fail (YgRequest *req, guint code, const char *format, ...) G_GNUC_PRINTF (3, 4);
void yg_request_respond_field_error (YgRequest *req, const char *field, const GError *error);
void yg_request_too_many (YgRequest *req, guint wait, const char *what);
JsonNode *yg_request_list_json (const char *member, GPtrArray *nodes, gint64 next_after);
char *yg_request_client_address (YgRequest *req, gboolean behind_proxy);
char *yg_request_public_base (YgRequest *req);
JsonNode *yg_request_ok_document (void);
JsonObject *yg_request_parse_form (YgRequest   *req,
                                   JsonNode   **owner,
                                   const char *const *allowed,
                                   const char **field,
                                   GError     **error);
gboolean yg_request_form_string (JsonObject  *form,
                                 const char  *name,
                                 gboolean     required,
                                 guint        max_chars,
                                 const char **value,
                                 GError     **error);
JsonObject *yg_request_form_from_data (const char         *data,
                                       gsize               len,
                                       JsonNode          **owner,
                                       const char *const *allowed,
                                       const char        **field,
                                       GError            **error);
JsonNode *yg_request_parse_json_body (YgRequest *req, GError **error);
JsonObject *yg_request_parse_json_object (YgRequest *req, JsonNode **owner, GError **error);

/* Turns a DB result into the response document (transfer full). */
typedef JsonNode *(*YgRequestJsonFunc) (YgRequest *req, gpointer result);
void yg_request_run_db (YgRequest        *req,
                        gpointer          func,
                        gpointer          data,
                        GDestroyNotify    data_free,
                        GDestroyNotify    result_free,
                        guint             status,
                        YgRequestJsonFunc to_json);

gboolean yg_request_page_query (YgRequest   *req,
                                guint        default_limit,
                                const char  *id_name,
                                gint64      *after,
                                guint       *limit,
                                GError     **error);
gboolean yg_request_page_query_filtered (YgRequest          *req,
                                         guint               default_limit,
                                         const char         *id_name,
                                         const char *const  *filters,
                                         gint64             *after,
                                         guint              *limit,
                                         GError            **error);
gboolean yg_request_page_params (GHashTable         *query,
                                 guint               default_limit,
                                 const char         *id_name,
                                 const char *const  *filters,
                                 gint64             *after,
                                 guint              *limit,
                                 GError            **error);

G_END_DECLS

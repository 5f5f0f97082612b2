/* yg-route-requests.c: /api/v1/requests, residents' requests (点单/点将), and
 * /api/v1/lecturers, the roster they may name.
 *
 *   GET    /api/v1/requests[?status=&kind=&after=&limit=]  public  → {requests, next_after}
 *   POST   /api/v1/requests               resident account → 201 request + similar[]
 *   GET    /api/v1/requests/awaiting      staff   → {awaiting_answer, open} (console badge)
 *   GET    /api/v1/requests/{id}          public  → request (supported: the caller's)
 *   POST   /api/v1/requests/{id}/support  resident account → request (idempotent)
 *   DELETE /api/v1/requests/{id}/support  resident account → request (withdrawn)
 *   POST   /api/v1/requests/{id}/answer   staff   → request (scheduled | declined, once)
 *   GET|POST /api/v1/lecturers, GET|PATCH|DELETE /api/v1/lecturers/{id}  (writes: staff)
 * Lists are newest first; `after` is the last id of the previous page.
 * Creating and supporting need an account (a bearer token is nobody: 403).
 * When a support makes a request reach the threshold the store queues a
 * notification in the same transaction and the webhook deliverer is woken.
 * Thread: main thread; catalogue work on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-demand-input.h"
#include "yg-demand-json.h"
#include "yg-field-error.h"
#include "yg-auth.h"
#include "yg-http-error.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-server.h"
#include "yg-webhook.h"

#define SIMILAR_LIMIT 5

typedef struct
{
  gint64 id;
  gint64 viewer;
  gint64 after;
  guint limit;
  char *status;
  char *kind;
  YgDemand *values;
  YgLecturer *lecturer;
  YgDemandRules rules;
  gboolean support;
} Call;

typedef struct
{
  YgDemand *demand;
  GPtrArray *similar;
} Created;

static void
call_free (Call *c)
{
  g_free (c->status);
  g_free (c->kind);
  g_clear_pointer (&c->values, yg_demand_free);
  g_clear_pointer (&c->lecturer, yg_lecturer_free);
  g_free (c);
}

static void
created_free (Created *c)
{
  yg_demand_free (c->demand);
  g_clear_pointer (&c->similar, g_ptr_array_unref);
  g_free (c);
}

/* Staff and admins see authors, hidden ratings and their reasons. */
static gboolean
is_staff (YgRequest *req)
{
  return yg_auth_allows (YG_AUTH_STAFF, req->principal, FALSE);
}

/**
 * yg_route_requests_check_account:
 *
 * Requests, supports and ratings belong to a signed-in account; a bearer
 * token is not a person. Answers 403 and returns %FALSE otherwise.
 */
gboolean
yg_route_requests_check_account (YgRequest *req)
{
  if (req->principal != NULL && req->principal->user_id > 0)
    return TRUE;
  yg_request_fail (req, YG_HTTP_ERROR_FORBIDDEN,
                   "Requests, supports and ratings are made by signed-in accounts, not tokens");
  return FALSE;
}

static Call *
new_call (YgRequest *req)
{
  Call *c = g_new0 (Call, 1);
  const YgConfig *config = yg_server_get_config (req->server);

  c->viewer = req->principal != NULL ? req->principal->user_id : 0;
  c->rules.threshold = config->request_threshold;
  c->rules.notify = yg_server_get_webhook (req->server) != NULL;
  return c;
}

static gboolean
parse_id (YgRequest *req, const char *what, gint64 *id)
{
  if (!g_ascii_string_to_signed (yg_request_param (req, 0), 10, 1, G_MAXINT64, id, NULL))
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No %s \"%s\"", what,
                       yg_request_param (req, 0));
      return FALSE;
    }
  return TRUE;
}

static JsonObject *
parse_object (YgRequest *req, JsonNode **doc)
{
  g_autoptr (GError) error = NULL;
  JsonObject *obj = yg_request_parse_json_object (req, doc, &error);

  if (obj == NULL)
    yg_request_respond_error (req, error);
  return obj;
}

static JsonNode *
demand_json (YgRequest *req, gpointer result)
{
  return yg_demand_json (result, yg_server_get_config (req->server)->request_threshold,
                         is_staff (req));
}

/* After a support or a creation: a request past its threshold may have queued a notification. */
static JsonNode *
supported_json (YgRequest *req, gpointer result)
{
  const YgDemand *d = result;
  YgWebhook *hook = yg_server_get_webhook (req->server);

  if (hook != NULL && g_strcmp0 (d->status, "threshold_reached") == 0)
    yg_webhook_kick (hook);
  return demand_json (req, result);
}

/* --- requests ------------------------------------------------------------------------------- */

static gpointer
db_list (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  return yg_demand_store_list (conn, c->status, c->kind, c->after, c->limit, c->viewer, error);
}

static JsonNode *
list_json (YgRequest *req, gpointer result)
{
  GPtrArray *list = result;
  guint threshold = yg_server_get_config (req->server)->request_threshold;
  GPtrArray *nodes = g_ptr_array_new ();

  for (guint i = 0; i < list->len; i++)
    g_ptr_array_add (nodes, yg_demand_json (list->pdata[i], threshold, is_staff (req)));
  return yg_request_list_json ("requests", nodes,
                               list->len > 0 ? ((YgDemand *) list->pdata[list->len - 1])->id : 0);
}

void
yg_route_requests_list (YgServer *server, YgRequest *req)
{
  static const char *const filters[] = { "status", "kind", NULL };
  static const char *const statuses[] = { "open", "threshold_reached", "scheduled", "declined",
                                          NULL };
  static const char *const kinds[] = { "programme", "course", "lecturer", NULL };
  g_autoptr (GError) error = NULL;
  GHashTable *query = yg_request_query (req);
  const char *status = g_hash_table_lookup (query, "status");
  const char *kind = g_hash_table_lookup (query, "kind");
  gint64 after = 0;
  guint limit = 0;
  Call *c;

  if (!yg_request_page_query_filtered (req, 20, "a request id", filters, &after, &limit, &error))
    {
      yg_request_respond_error (req, error);
      return;
    }
  if ((status != NULL && !g_strv_contains (statuses, status))
      || (kind != NULL && !g_strv_contains (kinds, kind)))
    {
      yg_field_error_set (&error, status != NULL && !g_strv_contains (statuses, status) ? "status"
                                                                                        : "kind",
                          "status is open, threshold_reached, scheduled or declined; kind is "
                          "programme, course or lecturer");
      yg_request_respond_error (req, error);
      return;
    }
  c = new_call (req);
  c->after = after;
  c->limit = limit;
  c->status = g_strdup (status);
  c->kind = g_strdup (kind);
  yg_request_run_db (req, db_list, c, (GDestroyNotify) call_free,
                     (GDestroyNotify) g_ptr_array_unref, 200, list_json);
}

static gpointer
db_create (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;
  g_autoptr (YgDemand) d = yg_demand_store_create (conn, c->values, c->viewer, &c->rules, error);
  g_autofree char *text = NULL;
  Created *out;

  if (d == NULL)
    return NULL;
  text = g_strdup_printf ("%s %s", d->title, d->description);
  out = g_new0 (Created, 1);
  out->similar = yg_demand_store_similar (conn, text, d->id, SIMILAR_LIMIT, error);
  out->demand = g_steal_pointer (&d);
  if (out->similar == NULL)
    {
      created_free (out);
      return NULL;
    }
  return out;
}

static JsonNode *
created_json (YgRequest *req, gpointer result)
{
  Created *c = result;
  JsonNode *node = supported_json (req, c->demand);
  JsonArray *similar = json_array_new ();

  for (guint i = 0; i < c->similar->len; i++)
    {
      YgDemand *d = c->similar->pdata[i];
      JsonObject *o = json_object_new ();

      json_object_set_int_member (o, "id", d->id);
      json_object_set_string_member (o, "kind", d->kind);
      json_object_set_string_member (o, "title", d->title);
      json_object_set_string_member (o, "status", d->status);
      json_object_set_int_member (o, "supporters", d->supporters);
      json_array_add_object_element (similar, o);
    }
  json_object_set_array_member (json_node_get_object (node), "similar", similar);
  return node;
}

void
yg_route_requests_create (YgServer *server, YgRequest *req)
{
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *obj;
  YgDemand *values;
  Call *c;

  if ((obj = parse_object (req, &doc)) == NULL)
    return;
  values = yg_demand_input_parse (obj, &error);
  if (values == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  if (!yg_route_requests_check_account (req)) /* after the body: a bad one is 400 for anybody */
    {
      yg_demand_free (values);
      return;
    }
  c = new_call (req);
  c->values = values;
  yg_request_run_db (req, db_create, c, (GDestroyNotify) call_free, (GDestroyNotify) created_free,
                     201, created_json);
}

static gpointer
db_get (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  return yg_demand_store_get (conn, c->id, c->viewer, error);
}

void
yg_route_request_get (YgServer *server, YgRequest *req)
{
  Call *c;
  gint64 id;

  if (!parse_id (req, "request", &id))
    return;
  c = new_call (req);
  c->id = id;
  yg_request_run_db (req, db_get, c, (GDestroyNotify) call_free, (GDestroyNotify) yg_demand_free,
                     200, demand_json);
}

static gpointer
db_support (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  return yg_demand_store_support (conn, c->id, c->viewer, c->support, &c->rules, error);
}

static void
support (YgRequest *req, gboolean add)
{
  Call *c;
  gint64 id;

  if (!parse_id (req, "request", &id) || !yg_route_requests_check_account (req))
    return;
  c = new_call (req);
  c->id = id;
  c->support = add;
  yg_request_run_db (req, db_support, c, (GDestroyNotify) call_free,
                     (GDestroyNotify) yg_demand_free, 200, supported_json);
}

void
yg_route_request_support (YgServer *server, YgRequest *req)
{
  support (req, TRUE);
}

void
yg_route_request_withdraw (YgServer *server, YgRequest *req)
{
  support (req, FALSE);
}

static gpointer
db_answer (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  return yg_demand_store_answer (conn, c->id, c->values, error);
}

void
yg_route_request_answer (YgServer *server, YgRequest *req)
{
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *obj;
  YgDemand *answer;
  Call *c;
  gint64 id;

  if (!parse_id (req, "request", &id) || (obj = parse_object (req, &doc)) == NULL)
    return;
  answer = yg_demand_input_parse_answer (obj, &error);
  if (answer == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  c = new_call (req);
  c->id = id;
  c->values = answer;
  yg_request_run_db (req, db_answer, c, (GDestroyNotify) call_free,
                     (GDestroyNotify) yg_demand_free, 200, demand_json);
}

static gpointer
db_counts (YgDbConn *conn, gpointer data, GError **error)
{
  gint64 *counts = g_new0 (gint64, 2);

  if (!yg_demand_store_counts (conn, &counts[0], &counts[1], error))
    {
      g_free (counts);
      return NULL;
    }
  return counts;
}

static JsonNode *
counts_json (YgRequest *req, gpointer result)
{
  gint64 *counts = result;
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *o = json_object_new ();

  json_object_set_int_member (o, "awaiting_answer", counts[1]);
  json_object_set_int_member (o, "open", counts[0]);
  json_node_take_object (node, o);
  return node;
}

void
yg_route_requests_awaiting (YgServer *server, YgRequest *req)
{
  yg_request_run_db (req, db_counts, NULL, NULL, g_free, 200, counts_json);
}

/* --- lecturers ------------------------------------------------------------------------------ */

static JsonNode *
lecturer_json (YgRequest *req, gpointer result)
{
  return yg_demand_json_lecturer (result);
}

static YgLecturer *
parse_lecturer (YgRequest *req, gboolean create)
{
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *obj = parse_object (req, &doc);
  YgLecturer *l;

  if (obj == NULL)
    return NULL;
  l = yg_demand_input_parse_lecturer (obj, create, &error);
  if (l == NULL)
    yg_request_respond_error (req, error);
  return l;
}

static gpointer
db_lecturer_create (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_lecturer_store_create (conn, ((Call *) data)->lecturer, error);
}

static gpointer
db_lecturer_get (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_lecturer_store_get (conn, ((Call *) data)->id, error);
}

static gpointer
db_lecturer_update (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  return yg_lecturer_store_update (conn, c->id, c->lecturer, error);
}

static gpointer
db_lecturer_delete (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_lecturer_store_delete (conn, ((Call *) data)->id, error) ? GINT_TO_POINTER (1) : NULL;
}

static gpointer
db_lecturer_list (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  return yg_lecturer_store_list (conn, c->after, c->limit, error);
}

static JsonNode *
lecturers_json (YgRequest *req, gpointer result)
{
  GPtrArray *list = result;
  GPtrArray *nodes = g_ptr_array_new ();

  for (guint i = 0; i < list->len; i++)
    g_ptr_array_add (nodes, yg_demand_json_lecturer (list->pdata[i]));
  return yg_request_list_json ("lecturers", nodes,
                               list->len > 0 ? ((YgLecturer *) list->pdata[list->len - 1])->id : 0);
}

static JsonNode *
deleted_json (YgRequest *req, gpointer result)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *o = json_object_new ();

  json_object_set_boolean_member (o, "ok", TRUE);
  json_node_take_object (node, o);
  return node;
}

void
yg_route_lecturers_list (YgServer *server, YgRequest *req)
{
  g_autoptr (GError) error = NULL;
  gint64 after = 0;
  guint limit = 0;
  Call *c;

  if (!yg_request_page_query (req, 50, "a lecturer id", &after, &limit, &error))
    {
      yg_request_respond_error (req, error);
      return;
    }
  c = new_call (req);
  c->after = after;
  c->limit = limit;
  yg_request_run_db (req, db_lecturer_list, c, (GDestroyNotify) call_free,
                     (GDestroyNotify) g_ptr_array_unref, 200, lecturers_json);
}

void
yg_route_lecturers_create (YgServer *server, YgRequest *req)
{
  YgLecturer *l = parse_lecturer (req, TRUE);
  Call *c;

  if (l == NULL)
    return;
  c = new_call (req);
  c->lecturer = l;
  yg_request_run_db (req, db_lecturer_create, c, (GDestroyNotify) call_free,
                     (GDestroyNotify) yg_lecturer_free, 201, lecturer_json);
}

static void
lecturer_by_id (YgRequest *req, YgDbFunc func, gboolean with_body, GDestroyNotify result_free,
                YgRequestJsonFunc to_json)
{
  YgLecturer *l = NULL;
  Call *c;
  gint64 id;

  if (!parse_id (req, "lecturer", &id))
    return;
  if (with_body && (l = parse_lecturer (req, FALSE)) == NULL)
    return;
  c = new_call (req);
  c->id = id;
  c->lecturer = l;
  yg_request_run_db (req, func, c, (GDestroyNotify) call_free, result_free, 200, to_json);
}

void
yg_route_lecturer_get (YgServer *server, YgRequest *req)
{
  lecturer_by_id (req, db_lecturer_get, FALSE, (GDestroyNotify) yg_lecturer_free, lecturer_json);
}

void
yg_route_lecturer_patch (YgServer *server, YgRequest *req)
{
  lecturer_by_id (req, db_lecturer_update, TRUE, (GDestroyNotify) yg_lecturer_free,
                  lecturer_json);
}

void
yg_route_lecturer_delete (YgServer *server, YgRequest *req)
{
  lecturer_by_id (req, db_lecturer_delete, FALSE, NULL, deleted_json);
}

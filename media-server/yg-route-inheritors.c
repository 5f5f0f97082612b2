/* yg-route-inheritors.c: /api/v1/inheritors, heritage inheritors (代表性传承人).
 *
 *   GET    /api/v1/inheritors[?after=ID&limit=N]  public, by id   → {inheritors, next_after}
 *   POST   /api/v1/inheritors                     staff           → 201 inheritor
 *   GET    /api/v1/inheritors/{id}                public          → inheritor
 *   PATCH  /api/v1/inheritors/{id}                staff           → inheritor
 *   DELETE /api/v1/inheritors/{id}                staff, unlinks  → {ok: true}
 * Bodies are validated by yg-item-input.c (YG_FIELD_ERROR → 400 "invalid"
 * with the field); writes re-index the linked items in the same transaction.
 * Thread: main thread; catalogue work on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-field-error.h"
#include "yg-http-error.h"
#include "yg-inheritor-store.h"
#include "yg-item-input.h"
#include "yg-meta-json.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-server.h"

typedef struct
{
  gint64 id;
  gint64 after;
  guint limit;
  YgInheritor *values;
} Call;

static void
call_free (Call *c)
{
  g_clear_pointer (&c->values, yg_inheritor_free);
  g_free (c);
}

static JsonNode *
inheritor_json (YgRequest *req, gpointer result)
{
  return yg_meta_json_inheritor (result);
}

static JsonNode *
ok_json (YgRequest *req, gpointer result)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *o = json_object_new ();

  json_object_set_boolean_member (o, "ok", TRUE);
  json_node_take_object (node, o);
  return node;
}

static gboolean
parse_id (YgRequest *req, gint64 *id)
{
  if (!g_ascii_string_to_signed (yg_request_param (req, 0), 10, 1, G_MAXINT64, id, NULL))
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No inheritor \"%s\"",
                       yg_request_param (req, 0));
      return FALSE;
    }
  return TRUE;
}

static YgInheritor *
parse_body (YgRequest *req, gboolean create)
{
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *obj = yg_request_parse_json_object (req, &doc, &error);
  YgInheritor *h = NULL;

  if (obj != NULL)
    h = yg_item_input_parse_inheritor (obj, create, &error);
  if (h == NULL)
    yg_request_respond_error (req, error);
  return h;
}

static gpointer
db_create (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_inheritor_store_create (conn, ((Call *)data)->values, error);
}

static gpointer
db_get (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_inheritor_store_get (conn, ((Call *)data)->id, error);
}

static gpointer
db_update (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  return yg_inheritor_store_update (conn, c->id, c->values, error);
}

static gpointer
db_delete (YgDbConn *conn, gpointer data, GError **error)
{
  if (!yg_inheritor_store_delete (conn, ((Call *)data)->id, error))
    return NULL;
  return GINT_TO_POINTER (1);
}

static gpointer
db_list (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  return yg_inheritor_store_list (conn, c->after, c->limit, error);
}

static JsonNode *
list_json (YgRequest *req, gpointer result)
{
  GPtrArray *list = result;
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "inheritors");
  json_builder_begin_array (b);
  for (guint i = 0; i < list->len; i++)
    json_builder_add_value (b, yg_meta_json_inheritor (list->pdata[i]));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "next_after");
  if (list->len > 0)
    json_builder_add_int_value (b, ((YgInheritor *)list->pdata[list->len - 1])->id);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
yg_route_inheritors_list (YgServer *server, YgRequest *req)
{
  g_autoptr (GError) error = NULL;
  gint64 after = 0;
  guint limit = 0;
  Call *c;

  if (!yg_request_page_query (req, 50, "an inheritor id", &after, &limit, &error))
    {
      yg_request_respond_error (req, error);
      return;
    }
  c = g_new0 (Call, 1);
  c->after = after;
  c->limit = limit;
  yg_request_run_db (req, db_list, c, (GDestroyNotify)call_free, (GDestroyNotify)g_ptr_array_unref,
                     200, list_json);
}

void
yg_route_inheritors_create (YgServer *server, YgRequest *req)
{
  YgInheritor *h = parse_body (req, TRUE);
  Call *c;

  if (h == NULL)
    return;
  c = g_new0 (Call, 1);
  c->values = h;
  yg_request_run_db (req, db_create, c, (GDestroyNotify)call_free,
                     (GDestroyNotify)yg_inheritor_free, 201, inheritor_json);
}

void
yg_route_inheritor_get (YgServer *server, YgRequest *req)
{
  Call *c;
  gint64 id;

  if (!parse_id (req, &id))
    return;
  c = g_new0 (Call, 1);
  c->id = id;
  yg_request_run_db (req, db_get, c, (GDestroyNotify)call_free, (GDestroyNotify)yg_inheritor_free,
                     200, inheritor_json);
}

void
yg_route_inheritor_patch (YgServer *server, YgRequest *req)
{
  YgInheritor *h;
  Call *c;
  gint64 id;

  if (!parse_id (req, &id))
    return;
  h = parse_body (req, FALSE);
  if (h == NULL)
    return;
  c = g_new0 (Call, 1);
  c->id = id;
  c->values = h;
  yg_request_run_db (req, db_update, c, (GDestroyNotify)call_free,
                     (GDestroyNotify)yg_inheritor_free, 200, inheritor_json);
}

void
yg_route_inheritor_delete (YgServer *server, YgRequest *req)
{
  Call *c;
  gint64 id;

  if (!parse_id (req, &id))
    return;
  c = g_new0 (Call, 1);
  c->id = id;
  yg_request_run_db (req, db_delete, c, (GDestroyNotify)call_free, NULL, 200, ok_json);
}

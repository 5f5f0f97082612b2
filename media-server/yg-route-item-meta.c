/* yg-route-item-meta.c: staff writes to an item's descriptive metadata.
 *
 *   PATCH  /api/v1/items/{id}                         any subset of the metadata,
 *                                                     and visibility            → item
 *   PUT    /api/v1/items/{id}/chapters                {chapters:[{title,start}]} → item
 *   PUT    /api/v1/items/{id}/inheritors/{inheritor}  link (heritage items)     → item
 *   DELETE /api/v1/items/{id}/inheritors/{inheritor}  unlink                    → item
 * Bodies are parsed and validated on the main thread (yg-item-input.c);
 * the write and the re-read of the item run as one DB-thread call, the write
 * in one transaction, so a refused request writes nothing. Every answer to a
 * successful write is the whole item document, as GET returns it.
 * Thread: main thread; catalogue work on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-field-error.h"
#include "yg-http-error.h"
#include "yg-inheritor-store.h"
#include "yg-item-input.h"
#include "yg-item-meta-store.h"
#include "yg-item-store.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-server.h"
#include "yg-visibility.h"

typedef struct
{
  char *item_id;
  YgItemMeta *patch;
  YgVisibility visibility; /* YG_VISIBILITY_INVALID: unchanged */
  GArray *chapters;
  gint64 inheritor_id;
  gboolean link;
} Write;

static void
write_free (Write *w)
{
  g_free (w->item_id);
  g_clear_pointer (&w->patch, yg_item_meta_free);
  g_clear_pointer (&w->chapters, g_array_unref);
  g_free (w);
}

static gpointer
patch_item (YgDbConn *conn, gpointer data, GError **error)
{
  Write *w = data;
  gboolean ok;

  if (!yg_db_conn_begin (conn, error))
    return NULL;
  ok = (w->patch->set == 0 || yg_item_meta_store_update (conn, w->item_id, w->patch, TRUE, error))
       && (w->visibility == YG_VISIBILITY_INVALID
           || yg_item_store_set_visibility (conn, w->item_id, w->visibility, error));
  if (!ok)
    {
      yg_db_conn_rollback (conn);
      return NULL;
    }
  if (!yg_db_conn_commit (conn, error))
    return NULL;
  return yg_route_items_load (conn, w->item_id, error);
}

static gpointer
put_chapters (YgDbConn *conn, gpointer data, GError **error)
{
  Write *w = data;

  if (!yg_item_meta_store_set_chapters (conn, w->item_id, w->chapters, error))
    return NULL;
  return yg_route_items_load (conn, w->item_id, error);
}

static gpointer
link_inheritor (YgDbConn *conn, gpointer data, GError **error)
{
  Write *w = data;

  if (!yg_inheritor_store_link (conn, w->item_id, w->inheritor_id, w->link, error))
    return NULL;
  return yg_route_items_load (conn, w->item_id, error);
}

/* After a PATCH: HLS answers for the item follow its visibility at once,
 * not after the few seconds the delivery path caches it. */
static JsonNode *
patched_json (YgRequest *req, gpointer item)
{
  g_hash_table_remove (yg_server_lock_visibility_cache (req->server), yg_request_param (req, 0));
  yg_server_unlock_visibility_cache (req->server);
  return yg_route_items_json (req, item);
}

static JsonObject *
body_object (YgRequest *req, JsonNode **doc)
{
  g_autoptr (GError) error = NULL;
  JsonObject *obj = yg_request_parse_json_object (req, doc, &error);

  if (obj == NULL)
    yg_request_respond_error (req, error);
  return obj;
}

void
yg_route_item_patch (YgServer *server, YgRequest *req)
{
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *obj = body_object (req, &doc);
  Write *w;

  if (obj == NULL)
    return;
  w = g_new0 (Write, 1);
  w->visibility = YG_VISIBILITY_INVALID;
  w->patch = yg_item_input_parse_meta (obj, (const char *[]){ "visibility", NULL }, &error);
  if (w->patch != NULL && json_object_has_member (obj, "visibility"))
    {
      JsonNode *v = json_object_get_member (obj, "visibility");
      if (JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_STRING)
        w->visibility = yg_visibility_from_string (json_node_get_string (v));
      if (w->visibility == YG_VISIBILITY_INVALID)
        yg_field_error_set (&error, "visibility",
                            "\"visibility\" must be one of public, residents, unlisted, staff");
    }
  if (w->patch != NULL && w->patch->set == 0 && w->visibility == YG_VISIBILITY_INVALID
      && error == NULL)
    g_set_error_literal (&error, YG_HTTP_ERROR, YG_HTTP_ERROR_BAD_REQUEST,
                         "The body names no field to change");
  if (error != NULL)
    {
      write_free (w);
      yg_request_respond_error (req, error);
      return;
    }
  w->item_id = g_strdup (yg_request_param (req, 0));
  yg_request_run_db (req, patch_item, w, (GDestroyNotify)write_free, (GDestroyNotify)yg_item_free,
                     200, patched_json);
}

void
yg_route_item_chapters_put (YgServer *server, YgRequest *req)
{
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *obj = body_object (req, &doc);
  Write *w;

  if (obj == NULL)
    return;
  w = g_new0 (Write, 1);
  w->chapters = yg_item_input_parse_chapters (obj, &error);
  if (w->chapters == NULL)
    {
      write_free (w);
      yg_request_respond_error (req, error);
      return;
    }
  w->item_id = g_strdup (yg_request_param (req, 0));
  yg_request_run_db (req, put_chapters, w, (GDestroyNotify)write_free, (GDestroyNotify)yg_item_free,
                     200, yg_route_items_json);
}

static void
set_link (YgRequest *req, gboolean linked)
{
  gint64 inheritor;
  Write *w;

  if (!g_ascii_string_to_signed (yg_request_param (req, 1), 10, 1, G_MAXINT64, &inheritor, NULL))
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No inheritor \"%s\"",
                       yg_request_param (req, 1));
      return;
    }
  w = g_new0 (Write, 1);
  w->item_id = g_strdup (yg_request_param (req, 0));
  w->inheritor_id = inheritor;
  w->link = linked;
  yg_request_run_db (req, link_inheritor, w, (GDestroyNotify)write_free,
                     (GDestroyNotify)yg_item_free, 200, yg_route_items_json);
}

void
yg_route_item_inheritor_link (YgServer *server, YgRequest *req)
{
  set_link (req, TRUE);
}

void
yg_route_item_inheritor_unlink (YgServer *server, YgRequest *req)
{
  set_link (req, FALSE);
}

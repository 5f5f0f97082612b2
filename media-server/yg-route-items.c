/* yg-route-items.c: /api/v1/items: the item document other tools rely on.
 *
 * The item JSON contract (DESIGN.md): id, kind, title, status, error (code and
 * message, only when failed), playable, hls_url (null until a master playlist
 * is published), page_url, embed_url, poster_url (null until a poster
 * exists), duration (null until known). URLs are paths on this server.
 * The descriptive metadata (yg-meta-json.c) follows those members.
 * Thread: main thread; the row is read on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-http-error.h"
#include "yg-item-meta-store.h"
#include "yg-item-store.h"
#include "yg-meta-json.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-server.h"

static void
add_string_or_null (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static JsonNode *
item_to_json (const YgItem *item)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *hls = g_strdup_printf ("/hls/%s/master.m3u8", item->id);
  g_autofree char *page = g_strdup_printf ("/items/%s", item->id);
  g_autofree char *embed = g_strdup_printf ("/embed/%s", item->id);
  g_autofree char *poster = g_strdup_printf ("/hls/%s/poster.jpg", item->id);

  json_builder_begin_object (b);
  add_string_or_null (b, "id", item->id);
  add_string_or_null (b, "kind", item->kind);
  add_string_or_null (b, "title", item->title);
  add_string_or_null (b, "description", item->description);
  add_string_or_null (b, "status", item->status);
  json_builder_set_member_name (b, "error");
  if (g_strcmp0 (item->status, "failed") == 0)
    {
      json_builder_begin_object (b);
      add_string_or_null (b, "code", item->error_code ? item->error_code : "failed");
      add_string_or_null (b, "message", item->error_message ? item->error_message : "");
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "playable");
  json_builder_add_boolean_value (b, item->has_master);
  add_string_or_null (b, "hls_url", item->has_master ? hls : NULL);
  add_string_or_null (b, "page_url", page);
  add_string_or_null (b, "embed_url", embed);
  add_string_or_null (b, "poster_url", item->has_poster ? poster : NULL);
  json_builder_set_member_name (b, "progress"); /* percent of the transcode */
  if (item->progress >= 0)
    json_builder_add_int_value (b, (gint64) (item->progress * 100 + 0.5));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "duration");
  if (item->duration >= 0)
    json_builder_add_double_value (b, item->duration);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "created_at");
  json_builder_add_int_value (b, item->created_at);
  json_builder_set_member_name (b, "updated_at");
  json_builder_add_int_value (b, item->updated_at);
  if (item->meta != NULL)
    yg_meta_json_add_item (b, item->meta);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/**
 * yg_route_items_load:
 *
 * Returns: (transfer full): the item with its metadata (DB thread)
 */
YgItem *
yg_route_items_load (YgDbConn *conn, const char *id, GError **error)
{
  g_autoptr (YgItem) item = yg_item_store_get (conn, id, error);

  if (item == NULL)
    return NULL;
  item->meta = yg_item_meta_store_get (conn, id, error);
  if (item->meta == NULL)
    return NULL;
  return g_steal_pointer (&item);
}

static gpointer
load_item (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_route_items_load (conn, data, error);
}

/**
 * yg_route_items_json:
 *
 * Returns: (transfer full): the item document (main thread)
 */
JsonNode *
yg_route_items_json (gpointer item)
{
  return item_to_json (item);
}

static JsonNode *
item_json (gpointer item)
{
  return item_to_json (item);
}

void
yg_route_item_get (YgServer *server, YgRequest *req)
{
  yg_request_run_db (req, load_item, g_strdup (yg_request_param (req, 0)), g_free,
                     (GDestroyNotify) yg_item_free, 200, item_json);
}

static gpointer
list_items (YgDbConn *conn, gpointer data, GError **error)
{
  g_autoptr (GPtrArray) items = yg_item_store_list_recent (conn, GPOINTER_TO_UINT (data), error);

  if (items == NULL)
    return NULL;
  for (guint i = 0; i < items->len; i++)
    {
      YgItem *item = items->pdata[i];
      item->meta = yg_item_meta_store_get (conn, item->id, error);
      if (item->meta == NULL)
        return NULL;
    }
  return g_steal_pointer (&items);
}

static JsonNode *
items_json (gpointer result)
{
  GPtrArray *items = result;
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "items");
  json_builder_begin_array (b);
  for (guint i = 0; i < items->len; i++)
    json_builder_add_value (b, item_to_json (items->pdata[i]));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
yg_route_items_list (YgServer *server, YgRequest *req)
{
  const char *limit_s = g_hash_table_lookup (yg_request_query (req), "limit");
  guint64 limit = 24;

  if (limit_s != NULL && !g_ascii_string_to_unsigned (limit_s, 10, 1, 100, &limit, NULL))
    {
      yg_request_fail (req, YG_HTTP_ERROR_BAD_REQUEST, "\"limit\" must be a number from 1 to 100");
      return;
    }
  yg_request_run_db (req, list_items, GUINT_TO_POINTER ((guint) limit), NULL,
                     (GDestroyNotify) g_ptr_array_unref, 200, items_json);
}

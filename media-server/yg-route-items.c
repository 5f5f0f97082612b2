/* yg-route-items.c: /api/v1/items: the item document other tools rely on.
 *
 * The item JSON contract (DESIGN.md): id, kind, title, status, error (code and
 * message, only when failed), playable, hls_url (null until a master playlist
 * is published), page_url, embed_url, poster_url (null until a poster
 * exists), duration (null until known), visibility. URLs are paths on this
 * server. A public item's media URLs are the stable /hls/<id>/…; any other
 * item's are signed /hls/t/<token>/<id>/… valid for --playback-token-hours
 * (the expiry is rounded up to 10 minutes so caches see one URL per item for
 * a while), and only callers who may see the item ever get them.
 * Visibility (decided in yg-auth.c): an item the caller may not see is 404,
 * exactly like one that does not exist (a partner's embed token, ?embed=,
 * also opens a residents-only item); lists contain only what the caller
 * may see and never unlisted items.
 * The descriptive metadata (yg-meta-json.c) follows those members; staff
 * change it and the visibility with PATCH (yg-route-item-meta.c).
 * A public item's document is the same for every caller, so it is kept a
 * moment in the server's YgDocCache (yg-doc-cache.c): a crowd opening the
 * same page costs one database read a second.
 * Thread: main thread; GET of one item also on delivery threads (the
 * document cache, partners and playback keys are shared under their locks);
 * rows are read on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-auth.h"
#include "yg-doc-cache.h"
#include "yg-feed-input.h"
#include "yg-http-error.h"
#include "yg-item-meta-store.h"
#include "yg-item-store.h"
#include "yg-partners.h"
#include "yg-playback-keys.h"
#include "yg-meta-json.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-server.h"

#define TOKEN_ROUNDING 600 /* seconds */

static void
add_string_or_null (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

/**
 * yg_route_items_media_base:
 *
 * Returns: (transfer full): the directory URL of an item's media, ending in
 *   '/'; signed unless the item is public (give it only to callers who may
 *   see the item)
 */
char *
yg_route_items_media_base (YgServer *server, const char *id, YgVisibility visibility)
{
  gint64 now, expires;
  g_autofree char *token = NULL;

  if (visibility == YG_VISIBILITY_PUBLIC)
    return g_strdup_printf ("/hls/%s/", id);
  now = g_get_real_time () / G_USEC_PER_SEC;
  expires = now + (gint64) yg_server_get_config (server)->playback_token_hours * 3600;
  expires = (expires / TOKEN_ROUNDING + 1) * TOKEN_ROUNDING;
  token = yg_playback_keys_sign (yg_server_get_playback_keys (server), id, expires);
  return g_strdup_printf ("/hls/t/%s/%s/", token, id);
}

static JsonNode *
item_to_json (YgServer *server, const YgItem *item)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *base = yg_route_items_media_base (server, item->id, item->visibility);
  g_autofree char *hls = item->remote_hls != NULL ? g_strdup (item->remote_hls)
                                                  : g_strconcat (base, "master.m3u8", NULL);
  g_autofree char *page = g_strdup_printf ("/items/%s", item->id);
  g_autofree char *embed = g_strdup_printf ("/embed/%s", item->id);
  g_autofree char *poster = item->remote_hls != NULL ? g_strdup (item->remote_poster)
                                                     : g_strconcat (base, "poster.jpg", NULL);

  json_builder_begin_object (b);
  add_string_or_null (b, "id", item->id);
  add_string_or_null (b, "kind", item->kind);
  add_string_or_null (b, "title", item->title);
  add_string_or_null (b, "description", item->description);
  add_string_or_null (b, "status", item->status);
  add_string_or_null (b, "visibility", yg_visibility_to_string (item->visibility));
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
  json_builder_set_member_name (b, "source"); /* another centre's item (subscribed feed) */
  if (item->remote_hls != NULL)
    {
      g_autofree char *origin = yg_feed_input_origin (item->remote_hls);

      json_builder_begin_object (b);
      add_string_or_null (b, "name", item->source_name);
      add_string_or_null (b, "origin", origin);
      add_string_or_null (b, "page_url", item->source_page);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
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
yg_route_items_json (YgRequest *req, gpointer item)
{
  return item_to_json (req->server, item);
}

static GError *
not_found (const char *id)
{
  return g_error_new (YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No item with id \"%s\"", id);
}

typedef struct
{
  SoupServerMessage *msg;
  guint64 generation; /* of the document cache when the read started */
} ItemGet;

/* A partner's embed token (?embed=…, yg-partners.c) lets its embeds show a
 * residents-only item; never a staff one. */
static gboolean
embed_may_see (YgRequest *req, const YgItem *item)
{
  const char *token = g_hash_table_lookup (yg_request_query (req), "embed");

  return token != NULL && item->visibility != YG_VISIBILITY_STAFF
         && yg_partners_embed_verify (yg_server_get_partners (req->server),
                                      yg_server_get_playback_keys (req->server), token, item->id,
                                      g_get_real_time () / G_USEC_PER_SEC)
                != 0;
}

static void
item_loaded (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autofree ItemGet *get = data;
  g_autoptr (SoupServerMessage) msg = get->msg;
  YgRequest *req = yg_request_get (msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (YgItem) item = yg_db_run_finish (YG_DB (source), res, &error);
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GBytes) text = NULL;

  if (item != NULL && !yg_auth_may_see (item->visibility, req->principal)
      && !embed_may_see (req, item))
    error = not_found (item->id); /* the same answer as for no such item */
  if (error != NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  doc = item_to_json (req->server, item);
  text = yg_request_json_bytes (doc);
  if (item->visibility == YG_VISIBILITY_PUBLIC)
    yg_doc_cache_put (yg_server_get_doc_cache (req->server), item->id, text, get->generation);
  yg_request_respond_json_bytes (req, 200, text);
}

/**
 * yg_route_items_load_async:
 *
 * Reads item @id on the DB thread, for yg_route_items_public_doc (the fast
 * path's way to fill the document cache).
 */
void
yg_route_items_load_async (YgServer *server, const char *id, GAsyncReadyCallback callback,
                           gpointer data)
{
  yg_db_run_async (yg_server_get_db (server), load_item, g_strdup (id), g_free,
                   (GDestroyNotify) yg_item_free, NULL, callback, data);
}

/**
 * yg_route_items_public_doc:
 * @generation: the document cache's generation from before the read
 *
 * Returns: (transfer full) (nullable): the item's document when the item is
 *   public (kept in the document cache), else NULL: not public, no such
 *   item, or an error (the route handler gives those their answers)
 */
GBytes *
yg_route_items_public_doc (YgServer *server, GAsyncResult *res, guint64 generation)
{
  g_autoptr (YgItem) item = yg_db_run_finish (yg_server_get_db (server), res, NULL);
  g_autoptr (JsonNode) doc = NULL;
  GBytes *text;

  if (item == NULL || item->visibility != YG_VISIBILITY_PUBLIC)
    return NULL;
  doc = item_to_json (server, item);
  text = yg_request_json_bytes (doc);
  yg_doc_cache_put (yg_server_get_doc_cache (server), item->id, text, generation);
  return text;
}

void
yg_route_item_get (YgServer *server, YgRequest *req)
{
  YgDocCache *cache = yg_server_get_doc_cache (server);
  g_autoptr (GBytes) cached = yg_doc_cache_get (cache, yg_request_param (req, 0));
  ItemGet *get;

  if (cached != NULL)
    {
      yg_request_respond_json_bytes (req, 200, cached);
      return;
    }
  get = g_new (ItemGet, 1);
  get->msg = g_object_ref (req->msg);
  get->generation = yg_doc_cache_generation (cache);
  yg_request_pause (req);
  yg_db_run_async (yg_server_get_db (server), load_item, g_strdup (yg_request_param (req, 0)),
                   g_free, (GDestroyNotify) yg_item_free, NULL, item_loaded, get);
}

typedef struct
{
  guint limit;
  guint visible;
} ListArgs;

static gpointer
list_items (YgDbConn *conn, gpointer data, GError **error)
{
  ListArgs *a = data;
  g_autoptr (GPtrArray) items = yg_item_store_list_visible (conn, a->limit, a->visible, error);

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

static void
items_listed (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (SoupServerMessage) msg = data;
  YgRequest *req = yg_request_get (msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) items = yg_db_run_finish (YG_DB (source), res, &error);
  g_autoptr (JsonBuilder) b = NULL;

  if (items == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "items");
  json_builder_begin_array (b);
  for (guint i = 0; i < items->len; i++)
    {
      const YgItem *item = items->pdata[i];
      /* the SQL filtered already; this keeps the rule in one place */
      if (item->visibility != YG_VISIBILITY_UNLISTED
          && yg_auth_may_see (item->visibility, req->principal))
        json_builder_add_value (b, item_to_json (req->server, item));
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  yg_request_respond_json (req, 200, json_builder_get_root (b));
}

void
yg_route_items_list (YgServer *server, YgRequest *req)
{
  const char *limit_s = g_hash_table_lookup (yg_request_query (req), "limit");
  guint64 limit = 24;
  ListArgs *args;

  if (limit_s != NULL && !g_ascii_string_to_unsigned (limit_s, 10, 1, 100, &limit, NULL))
    {
      yg_request_fail (req, YG_HTTP_ERROR_BAD_REQUEST, "\"limit\" must be a number from 1 to 100");
      return;
    }
  args = g_new0 (ListArgs, 1);
  args->limit = (guint) limit;
  args->visible = yg_auth_listed_visibilities (req->principal);
  yg_request_pause (req);
  yg_db_run_async (yg_server_get_db (server), list_items, args, g_free,
                   (GDestroyNotify) g_ptr_array_unref, NULL, items_listed, g_object_ref (req->msg));
}

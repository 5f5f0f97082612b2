/* yg-route-search.c: GET /api/v1/search, public search and filtered listing.
 *
 * Parameters (checked by yg-search-params.c): q, kind, category, level,
 * region, tag, from/to, sort, limit, cursor; a bad one is a 400 "invalid"
 * naming it. The answer is
 * {"items":[item...], "next_cursor": string|null}; items are full item
 * documents as GET /api/v1/items/{id} returns them.
 * Thread: main thread; the query runs on the DB thread (yg-search.c).
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-auth.h"
#include "yg-item-store.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-search-params.h"
#include "yg-server.h"

typedef struct
{
  GPtrArray *items; /* (element-type YgItem) */
  char *next_cursor;
} Result;

static void
result_free (Result *r)
{
  g_ptr_array_unref (r->items);
  g_free (r->next_cursor);
  g_free (r);
}

static gpointer
run_search (YgDbConn *conn, gpointer data, GError **error)
{
  YgSearchParams *c = data;
  g_autoptr (YgSearchPage) page = yg_search_run (conn, &c->query, error);
  Result *r;

  if (page == NULL)
    return NULL;
  r = g_new0 (Result, 1);
  r->items = g_ptr_array_new_with_free_func ((GDestroyNotify)yg_item_free);
  r->next_cursor = g_steal_pointer (&page->next_cursor);
  for (guint i = 0; i < page->ids->len; i++)
    {
      YgItem *item = yg_route_items_load (conn, page->ids->pdata[i], error);
      if (item == NULL)
        {
          result_free (r);
          return NULL;
        }
      g_ptr_array_add (r->items, item);
    }
  return r;
}

static JsonNode *
result_json (YgRequest *req, gpointer data)
{
  Result *r = data;
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "items");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->items->len; i++)
    json_builder_add_value (b, yg_route_items_json (req, r->items->pdata[i]));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "next_cursor");
  if (r->next_cursor != NULL)
    json_builder_add_string_value (b, r->next_cursor);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
yg_route_search (YgServer *server, YgRequest *req)
{
  g_autoptr (GError) error = NULL;
  const char *raw = g_uri_get_query (soup_server_message_get_uri (req->msg));
  YgSearchParams *c = yg_search_params_parse (raw, &error);

  if (c == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  /* Only what the caller may find in a list: never unlisted, never another audience's. */
  c->query.visible = yg_auth_listed_visibilities (req->principal);
  yg_request_run_db (req, run_search, c, (GDestroyNotify)yg_search_params_free,
                     (GDestroyNotify)result_free, 200, result_json);
}

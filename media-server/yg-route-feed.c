/* yg-route-feed.c: this centre's public feed, and the feeds it subscribes to.
 *
 *   GET    /api/v1/feed?cursor=&limit=            public → one page of changes
 *   GET    /api/v1/subscriptions                  admin
 *   POST   /api/v1/subscriptions {url, allow_private}  admin → 201 (refreshed at once)
 *   GET    /api/v1/subscriptions/{id}             admin
 *   DELETE /api/v1/subscriptions/{id}             admin (its items go too)
 *   POST   /api/v1/subscriptions/{id}/refresh     admin → the subscription after a refresh
 *
 * The feed document (yg-feed-input.c reads exactly this): {yunguan_feed: 1,
 * centre {name, url}, cursor, next_cursor, more, items}; an item is the
 * public, playable item with absolute URLs on this server, or {id, deleted:
 * true} once it is gone or no longer public. Pages are in change order;
 * next_cursor is where the next page starts. ETag: the feed's version with
 * the page asked for; If-None-Match answers 304. Absolute URLs come from
 * public-url or the request's Host (yg_request_public_base).
 * A subscription URL is an absolute http(s) URL of another server's feed,
 * without user information, query or fragment; allow_private lets its host
 * be on a loopback or private address (yg-feed-fetch.c refuses those
 * otherwise). Thread: main thread; rows on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include <string.h>

#include "yg-demand-input.h"
#include "yg-feed-input.h"
#include "yg-feed-store.h"
#include "yg-field-error.h"
#include "yg-http-error.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-server.h"
#include "yg-subscriptions.h"

#define DEFAULT_LIMIT 100

/* --- the public feed ------------------------------------------------------------------------- */

typedef struct
{
  gint64 cursor;
  guint limit;
  gint64 latest;
  GPtrArray *entries;
} FeedCall;

static void
feed_call_free (FeedCall *c)
{
  g_clear_pointer (&c->entries, g_ptr_array_unref);
  g_free (c);
}

static gpointer
db_feed (YgDbConn *conn, gpointer data, GError **error)
{
  FeedCall *in = data, *out;

  out = g_new0 (FeedCall, 1);
  *out = *in;
  out->latest = yg_feed_store_latest (conn, error);
  if (out->latest < 0 || (out->entries = yg_feed_store_page (conn, in->cursor, in->limit, error)) == NULL)
    {
      feed_call_free (out);
      return NULL;
    }
  return out;
}

static void
add_url (JsonBuilder *b, const char *name, const char *base, const char *path)
{
  g_autofree char *url = path != NULL ? g_strconcat (base, path, NULL) : NULL;

  json_builder_set_member_name (b, name);
  if (url != NULL)
    json_builder_add_string_value (b, url);
  else
    json_builder_add_null_value (b);
}

static char *
feed_etag (const FeedCall *c)
{
  return g_strdup_printf ("W/\"feed-%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT "-%u\"", c->latest,
                          c->cursor, c->limit);
}

static void
feed_loaded (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (SoupServerMessage) msg = data;
  YgRequest *req = yg_request_get (msg);
  g_autoptr (GError) error = NULL;
  FeedCall *c = yg_db_run_finish (YG_DB (source), res, &error);
  g_autofree char *base = yg_request_public_base (req);
  g_autofree char *etag = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  const char *match = yg_request_header (req, "If-None-Match");
  gint64 next;

  if (c == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  etag = feed_etag (c);
  soup_message_headers_replace (h, "ETag", etag);
  soup_message_headers_replace (h, "Cache-Control", "no-cache");
  if (match != NULL && strstr (match, etag) != NULL)
    {
      yg_request_respond_bytes (req, 304, NULL, NULL);
      feed_call_free (c);
      return;
    }
  next = c->entries->len > 0 ? ((YgFeedEntry *) c->entries->pdata[c->entries->len - 1])->seq
                             : c->cursor;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "yunguan_feed");
  json_builder_add_int_value (b, YG_FEED_FORMAT);
  json_builder_set_member_name (b, "centre");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, yg_server_get_config (req->server)->centre_name);
  add_url (b, "url", base, "/");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "cursor");
  json_builder_add_int_value (b, c->cursor);
  json_builder_set_member_name (b, "next_cursor");
  json_builder_add_int_value (b, next);
  json_builder_set_member_name (b, "more");
  json_builder_add_boolean_value (b, c->entries->len == c->limit && next < c->latest);
  json_builder_set_member_name (b, "items");
  json_builder_begin_array (b);
  for (guint i = 0; i < c->entries->len; i++)
    {
      const YgFeedEntry *e = c->entries->pdata[i];
      const YgItem *it = e->item;
      g_autofree char *hls = NULL, *poster = NULL, *page = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, e->item_id);
      if (it == NULL)
        {
          json_builder_set_member_name (b, "deleted");
          json_builder_add_boolean_value (b, TRUE);
          json_builder_end_object (b);
          continue;
        }
      hls = g_strdup_printf ("/hls/%s/master.m3u8", it->id);
      poster = it->has_poster ? g_strdup_printf ("/hls/%s/poster.jpg", it->id) : NULL;
      page = g_strdup_printf ("/items/%s", it->id);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, it->kind);
      json_builder_set_member_name (b, "title");
      json_builder_add_string_value (b, it->title);
      json_builder_set_member_name (b, "description");
      json_builder_add_string_value (b, it->description != NULL ? it->description : "");
      json_builder_set_member_name (b, "duration");
      if (it->duration >= 0)
        json_builder_add_double_value (b, it->duration);
      else
        json_builder_add_null_value (b);
      add_url (b, "hls_url", base, hls);
      add_url (b, "poster_url", base, poster);
      add_url (b, "page_url", base, page);
      json_builder_set_member_name (b, "updated_at");
      json_builder_add_int_value (b, it->updated_at);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  yg_request_respond_json (req, 200, json_builder_get_root (b));
  feed_call_free (c);
}

void
yg_route_feed (YgServer *server, YgRequest *req)
{
  static const char *const params[] = { "cursor", "limit", NULL };
  GHashTable *query = yg_request_query (req);
  const char *cursor = g_hash_table_lookup (query, "cursor");
  const char *limit = g_hash_table_lookup (query, "limit");
  g_autofree char *base = yg_request_public_base (req);
  GHashTableIter it;
  const char *key;
  guint64 n;
  FeedCall *c = g_new0 (FeedCall, 1);

  c->limit = DEFAULT_LIMIT;
  g_hash_table_iter_init (&it, query);
  while (g_hash_table_iter_next (&it, (gpointer *) &key, NULL))
    if (!g_strv_contains (params, key))
      {
        feed_call_free (c);
        yg_request_fail (req, YG_HTTP_ERROR_BAD_REQUEST, "Unknown parameter \"%.40s\"", key);
        return;
      }
  if ((cursor != NULL && !g_ascii_string_to_unsigned (cursor, 10, 0, G_MAXINT64, &n, NULL))
      || (cursor != NULL && ((c->cursor = (gint64) n), FALSE))
      || (limit != NULL && !g_ascii_string_to_unsigned (limit, 10, 1, YG_FEED_MAX_PAGE, &n, NULL))
      || (limit != NULL && ((c->limit = (guint) n), FALSE)) || base == NULL)
    {
      feed_call_free (c);
      yg_request_fail (req, YG_HTTP_ERROR_BAD_REQUEST,
                       "cursor must be a number ≥ 0 and limit from 1 to %d", YG_FEED_MAX_PAGE);
      return;
    }
  yg_request_pause (req);
  yg_db_run_async (yg_server_get_db (server), db_feed, c, (GDestroyNotify) feed_call_free,
                   (GDestroyNotify) feed_call_free, NULL, feed_loaded, g_object_ref (req->msg));
}

/* --- subscriptions ----------------------------------------------------------------------------- */

static JsonNode *
subscription_json (const YgSubscription *s)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, s->id);
  json_builder_set_member_name (b, "url");
  json_builder_add_string_value (b, s->url);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, s->name);
  json_builder_set_member_name (b, "allow_private");
  json_builder_add_boolean_value (b, s->allow_private);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, s->state);
  json_builder_set_member_name (b, "error");
  if (s->error != NULL)
    json_builder_add_string_value (b, s->error);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "items");
  json_builder_add_int_value (b, s->items);
  json_builder_set_member_name (b, "cursor");
  json_builder_add_int_value (b, s->cursor);
  json_builder_set_member_name (b, "checked_at");
  json_builder_add_int_value (b, s->checked_at);
  json_builder_set_member_name (b, "ok_at");
  json_builder_add_int_value (b, s->ok_at);
  json_builder_set_member_name (b, "created_at");
  json_builder_add_int_value (b, s->created_at);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

typedef struct
{
  gint64 id;
  char *url;
  gboolean allow_private;
  GPtrArray *all;              /* results: every subscription (for the CSP origins) */
  YgSubscription *sub;
} SubCall;

static void
sub_call_free (SubCall *c)
{
  g_free (c->url);
  g_clear_pointer (&c->all, g_ptr_array_unref);
  g_clear_pointer (&c->sub, yg_subscription_free);
  g_free (c);
}

static SubCall *
sub_outcome (YgDbConn *conn, SubCall *in, YgSubscription *sub, GError **error)
{
  SubCall *out = g_new0 (SubCall, 1);

  out->id = in->id;
  out->sub = sub;
  out->all = yg_feed_store_subscriptions (conn, error);
  if (out->all == NULL)
    {
      sub_call_free (out);
      return NULL;
    }
  return out;
}

static gpointer
db_subscribe (YgDbConn *conn, gpointer data, GError **error)
{
  SubCall *c = data;
  YgSubscription *s = yg_feed_store_subscribe (conn, c->url, c->allow_private, error);

  return s != NULL ? sub_outcome (conn, c, s, error) : NULL;
}

static gpointer
db_get (YgDbConn *conn, gpointer data, GError **error)
{
  SubCall *c = data;
  YgSubscription *s = yg_feed_store_subscription (conn, c->id, error);

  return s != NULL ? sub_outcome (conn, c, s, error) : NULL;
}

static gpointer
db_list (YgDbConn *conn, gpointer data, GError **error)
{
  return sub_outcome (conn, data, NULL, error);
}

static gpointer
db_unsubscribe (YgDbConn *conn, gpointer data, GError **error)
{
  SubCall *c = data;

  return yg_feed_store_unsubscribe (conn, c->id, error) ? sub_outcome (conn, c, NULL, error) : NULL;
}

static void
refreshed_in_background (GObject *source, GAsyncResult *res, gpointer data)
{
  yg_subscriptions_refresh_finish (res, NULL);
}

static JsonNode *
sub_json (YgRequest *req, gpointer result)
{
  SubCall *c = result;
  YgSubscriptions *subs = yg_server_get_subscriptions (req->server);

  yg_subscriptions_set_origins (subs, c->all);
  if (c->sub != NULL)
    {
      if (c->sub->state != NULL && g_str_equal (c->sub->state, "new"))
        yg_subscriptions_refresh_async (subs, c->sub->id, refreshed_in_background, NULL);
      return subscription_json (c->sub);
    }
  if (g_str_equal (yg_request_method (req), "DELETE"))
    return yg_request_ok_document ();
  {
    JsonNode *node = json_node_new (JSON_NODE_OBJECT);
    JsonObject *o = json_object_new ();
    JsonArray *a = json_array_new ();

    for (guint i = 0; i < c->all->len; i++)
      json_array_add_element (a, subscription_json (c->all->pdata[i]));
    json_object_set_array_member (o, "subscriptions", a);
    json_node_take_object (node, o);
    return node;
  }
}

static void
run (YgRequest *req, YgDbFunc func, SubCall *c, guint status)
{
  yg_request_run_db (req, func, c, (GDestroyNotify) sub_call_free, (GDestroyNotify) sub_call_free,
                     status, sub_json);
}

void
yg_route_subscriptions_list (YgServer *server, YgRequest *req)
{
  run (req, db_list, g_new0 (SubCall, 1), 200);
}

/* An absolute http(s) feed URL with a plain host, no user information, query or fragment. */
static gboolean
valid_feed_url (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *origin = yg_feed_input_origin (url);

  return uri != NULL && origin != NULL && strlen (url) <= 1000
         && yg_config_is_host (g_uri_get_host (uri)) && g_uri_get_query (uri) == NULL
         && g_uri_get_fragment (uri) == NULL;
}

void
yg_route_subscriptions_create (YgServer *server, YgRequest *req)
{
  static const char *const keys[] = { "url", "allow_private", NULL };
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *obj = yg_request_parse_json_object (req, &doc, &error);
  SubCall *c = g_new0 (SubCall, 1);
  JsonNode *n;

  if (obj == NULL || !yg_demand_input_check_keys (obj, keys, &error)
      || !yg_demand_input_text (obj, "url", TRUE, 1000, FALSE, &c->url, &error)
      || (!valid_feed_url (c->url)
          && !yg_field_error_set (&error, "url",
                                  "url must be an absolute http:// or https:// address of a feed, "
                                  "without user, query or fragment")))
    goto bad;
  n = json_object_get_member (obj, "allow_private");
  if (n != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
        {
          yg_field_error_set (&error, "allow_private", "\"allow_private\" must be true or false");
          goto bad;
        }
      c->allow_private = json_node_get_boolean (n);
    }
  run (req, db_subscribe, c, 201);
  return;

bad:
  sub_call_free (c);
  yg_request_respond_error (req, error);
}

static gboolean
parse_id (YgRequest *req, gint64 *id)
{
  if (!g_ascii_string_to_signed (yg_request_param (req, 0), 10, 1, G_MAXINT64, id, NULL))
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No subscription \"%s\"",
                       yg_request_param (req, 0));
      return FALSE;
    }
  return TRUE;
}

static void
by_id (YgRequest *req, YgDbFunc func)
{
  SubCall *c = g_new0 (SubCall, 1);

  if (!parse_id (req, &c->id))
    {
      sub_call_free (c);
      return;
    }
  run (req, func, c, 200);
}

void
yg_route_subscription_get (YgServer *server, YgRequest *req)
{
  by_id (req, db_get);
}

void
yg_route_subscription_delete (YgServer *server, YgRequest *req)
{
  by_id (req, db_unsubscribe);
}

static void
refreshed (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (SoupServerMessage) msg = data;
  YgRequest *req = yg_request_get (msg);
  g_autoptr (GError) error = NULL;

  if (!yg_subscriptions_refresh_finish (res, &error))
    {
      yg_request_respond_error (req, error);
      return;
    }
  by_id (req, db_get); /* still paused: answered after one more read */
}

void
yg_route_subscription_refresh (YgServer *server, YgRequest *req)
{
  gint64 id;

  if (!parse_id (req, &id))
    return;
  yg_request_pause (req);
  yg_subscriptions_refresh_async (yg_server_get_subscriptions (server), id, refreshed,
                                  g_object_ref (req->msg));
}

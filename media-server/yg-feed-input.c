/* yg-feed-input.c: strict validation of a feed page fetched from another server.
 *
 * The document must be exactly what yg-route-feed.c writes: an object with
 * yunguan_feed = 1, centre {name, url}, cursor, next_cursor (≥ cursor), more
 * and items (at most YG_FEED_MAX_PAGE). An item is {id, deleted: true} or
 * {id, kind, title, description, duration, hls_url, poster_url, page_url,
 * updated_at}: ids 1–64 of A-Z a-z 0-9 _ -, kind one of the three, a title
 * of 1–200 characters without control characters, a description of at most
 * 20000, a finite duration ≥ 0 or null, and every URL absolute on the
 * feed's own origin (scheme, host and port of the subscribed URL), the HLS
 * one a .m3u8 — so a feed can never point players or pages elsewhere.
 * Unknown members, wrong types or anything out of range refuse the whole
 * page with a message naming the place; nothing of it is applied.
 * Thread: any (pure functions).
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-feed-input.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "yg-demand-input.h"
#include "yg-heartbeat-input.h"
#include "yg-item-input.h"

void
yg_feed_page_free (YgFeedPage *page)
{
  if (page == NULL)
    return;
  g_free (page->name);
  g_clear_pointer (&page->remotes, g_ptr_array_unref);
  g_free (page);
}

/**
 * yg_feed_input_origin:
 *
 * Returns: (transfer full) (nullable): scheme://host:port of an absolute
 *   http(s) URL without user information, else %NULL
 */
char *
yg_feed_input_origin (const char *url)
{
  g_autoptr (GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  const char *scheme;
  int port;

  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0'
      || g_uri_get_userinfo (uri) != NULL)
    return NULL;
  scheme = g_uri_get_scheme (uri);
  if (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0)
    return NULL;
  port = g_uri_get_port (uri);
  if (port == -1)
    port = g_str_equal (scheme, "https") ? 443 : 80;
  return g_strdup_printf ("%s://%s:%d", scheme, g_uri_get_host (uri), port);
}

static gboolean
fail (GError **error, const char *where, const char *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The feed is not valid: %s %s", where,
               what);
  return FALSE;
}

static gboolean
check_keys (JsonObject *o, const char *const *allowed, const char *where, GError **error)
{
  g_autoptr (GList) members = json_object_get_members (o);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (allowed, l->data))
      {
        g_autofree char *what = g_strdup_printf ("has an unknown member \"%.40s\"",
                                                 (const char *) l->data);
        return fail (error, where, what);
      }
  return TRUE;
}

static gboolean
string (JsonObject *o, const char *name, gboolean nullable, const char **out)
{
  JsonNode *n = json_object_get_member (o, name);

  *out = NULL;
  if (n == NULL)
    return nullable;
  if (JSON_NODE_HOLDS_NULL (n))
    return nullable;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return FALSE;
  *out = json_node_get_string (n);
  return TRUE;
}

static gboolean
integer (JsonObject *o, const char *name, gint64 *out)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64
      || json_node_get_int (n) < 0)
    return FALSE;
  *out = json_node_get_int (n);
  return TRUE;
}

/* A URL on the feed's origin (NULL allowed when @nullable). */
static gboolean
url_on (JsonObject *o, const char *name, gboolean nullable, const char *origin, char **out)
{
  const char *v;
  g_autofree char *its = NULL;

  if (!string (o, name, nullable, &v))
    return FALSE;
  if (v == NULL)
    return TRUE;
  its = yg_feed_input_origin (v);
  if (strlen (v) > 2048 || its == NULL || !g_str_equal (its, origin))
    return FALSE;
  *out = g_strdup (v);
  return TRUE;
}

static YgFeedRemote *
parse_item (JsonNode *node, guint index, const char *origin, GError **error)
{
  static const char *const keys[] = { "id", "deleted", "kind", "title", "description",
                                      "duration", "hls_url", "poster_url", "page_url",
                                      "updated_at", NULL };
  static const char *const kinds[] = { "performance", "lesson", "heritage", NULL };
  g_autoptr (YgFeedRemote) r = g_new0 (YgFeedRemote, 1);
  g_autofree char *where = g_strdup_printf ("items[%u]", index);
  JsonObject *o;
  JsonNode *n;
  const char *v;
  gint64 ignored;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (error, where, "is not an object"), NULL;
  o = json_node_get_object (node);
  if (!check_keys (o, keys, where, error))
    return NULL;
  if (!string (o, "id", FALSE, &v) || !yg_heartbeat_input_is_id (v, 1, 64))
    return fail (error, where, "needs an id of 1 to 64 of A-Z a-z 0-9 _ -"), NULL;
  r->remote_id = g_strdup (v);
  n = json_object_get_member (o, "deleted");
  if (n != NULL && (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN))
    return fail (error, where, "has a deleted that is not true or false"), NULL;
  if (n != NULL && json_node_get_boolean (n))
    {
      if (json_object_get_size (o) != 2)
        return fail (error, where, "is deleted but carries other members"), NULL;
      r->deleted = TRUE;
      return g_steal_pointer (&r);
    }
  if (!string (o, "kind", FALSE, &v) || !g_strv_contains (kinds, v))
    return fail (error, where, "needs a kind: performance, lesson or heritage"), NULL;
  r->kind = g_strdup (v);
  if (!string (o, "title", FALSE, &v) || v[0] == '\0'
      || !yg_item_input_check_text (v, "title", YG_INPUT_MAX_TITLE, FALSE, NULL))
    return fail (error, where, "needs a title of 1 to 200 characters on one line"), NULL;
  r->title = g_strdup (v);
  if (!string (o, "description", TRUE, &v)
      || (v != NULL
          && !yg_item_input_check_text (v, "description", YG_INPUT_MAX_DESCRIPTION, TRUE, NULL)))
    return fail (error, where, "has a description that is not text of at most 20000 characters"),
           NULL;
  r->description = g_strdup (v != NULL ? v : "");
  n = json_object_get_member (o, "duration");
  r->duration = -1;
  if (n != NULL && !JSON_NODE_HOLDS_NULL (n))
    {
      if (!JSON_NODE_HOLDS_VALUE (n)
          || (json_node_get_value_type (n) != G_TYPE_DOUBLE
              && json_node_get_value_type (n) != G_TYPE_INT64)
          || !isfinite (json_node_get_double (n)) || json_node_get_double (n) < 0
          || json_node_get_double (n) > YG_INPUT_MAX_SECONDS)
        return fail (error, where, "has a duration that is not seconds from 0 to 10^7"), NULL;
      r->duration = json_node_get_double (n);
    }
  if (!url_on (o, "hls_url", FALSE, origin, &r->hls_url) || !strstr (r->hls_url, ".m3u8"))
    return fail (error, where, "needs an hls_url (.m3u8) on the feed's own origin"), NULL;
  if (!url_on (o, "poster_url", TRUE, origin, &r->poster_url)
      || !url_on (o, "page_url", TRUE, origin, &r->page_url))
    return fail (error, where, "has a poster_url or page_url that is not on the feed's origin"),
           NULL;
  if (json_object_has_member (o, "updated_at") && !integer (o, "updated_at", &ignored))
    return fail (error, where, "has an updated_at that is not a time"), NULL;
  return g_steal_pointer (&r);
}

/**
 * yg_feed_input_parse:
 * @feed_url: the URL the page was fetched from (after same-host redirects)
 *
 * Returns: (transfer full): the page, or %NULL with G_IO_ERROR_INVALID_DATA
 */
YgFeedPage *
yg_feed_input_parse (GBytes *body, const char *feed_url, GError **error)
{
  static const char *const keys[] = { "yunguan_feed", "centre", "cursor", "next_cursor", "more",
                                      "items", NULL };
  static const char *const centre_keys[] = { "name", "url", NULL };
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (YgFeedPage) page = g_new0 (YgFeedPage, 1);
  g_autofree char *origin = yg_feed_input_origin (feed_url);
  gsize len;
  const char *text = g_bytes_get_data (body, &len);
  JsonObject *root, *centre;
  JsonArray *items;
  JsonNode *n;
  const char *name;
  gint64 version, cursor;

  g_return_val_if_fail (origin != NULL, NULL);
  if (len == 0 || !g_utf8_validate_len (text, len, NULL)
      || !json_parser_load_from_data (parser, text, len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return fail (error, "document", "is not a JSON object"), NULL;
  root = json_node_get_object (json_parser_get_root (parser));
  if (!check_keys (root, keys, "document", error))
    return NULL;
  if (!integer (root, "yunguan_feed", &version) || version != YG_FEED_FORMAT)
    return fail (error, "document", "is not a Yunguan feed (yunguan_feed must be 1)"), NULL;
  n = json_object_get_member (root, "centre");
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return fail (error, "centre", "is missing"), NULL;
  centre = json_node_get_object (n);
  if (!check_keys (centre, centre_keys, "centre", error) || !string (centre, "name", FALSE, &name)
      || name[0] == '\0' || !yg_item_input_check_text (name, "name", YG_INPUT_MAX_NAME, FALSE, NULL))
    return fail (error, "centre", "needs a name of 1 to 100 characters"), NULL;
  page->name = g_strdup (name);
  if (!integer (root, "cursor", &cursor) || !integer (root, "next_cursor", &page->next_cursor)
      || page->next_cursor < cursor)
    return fail (error, "document", "needs cursor and next_cursor (not smaller) as numbers"), NULL;
  n = json_object_get_member (root, "more");
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return fail (error, "more", "must be true or false"), NULL;
  page->more = json_node_get_boolean (n);
  n = json_object_get_member (root, "items");
  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n))
    return fail (error, "items", "must be an array"), NULL;
  items = json_node_get_array (n);
  if (json_array_get_length (items) > YG_FEED_MAX_PAGE)
    return fail (error, "items", "has more entries than a page may"), NULL;
  page->remotes = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_feed_remote_free);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      YgFeedRemote *r = parse_item (json_array_get_element (items, i), i, origin, error);

      if (r == NULL)
        return NULL;
      g_ptr_array_add (page->remotes, r);
    }
  return g_steal_pointer (&page);
}

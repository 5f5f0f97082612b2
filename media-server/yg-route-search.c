/* yg-route-search.c: GET /api/v1/search, public search and filtered listing.
 *
 * Parameters: q (substring, any length from 1 character, Chinese or not),
 * kind, category (code or Chinese label), level, region, tag, from/to
 * (recorded date, YYYY-MM-DD, inclusive), sort (relevance: title matches,
 * then name/tag matches, then description-only matches, each newest first;
 * date: newest recorded first, unknown dates last; relevance is the default
 * with q, date without), limit (1..100, default 20), cursor
 * (opaque, from next_cursor). Every parameter is checked here; an unknown or
 * bad one (also a repeated one, or one that is not UTF-8 once decoded) is a
 * 400 "invalid" naming it; "+" in the query string is a space (HTML forms).
 * The answer is
 * {"items":[item...], "next_cursor": string|null}; items are full item
 * documents as GET /api/v1/items/{id} returns them.
 * Thread: main thread; the query runs on the DB thread (yg-search.c).
 */
#define G_LOG_DOMAIN "yg-server"

#include <string.h>

#include "yg-auth.h"
#include "yg-field-error.h"
#include "yg-item-input.h"
#include "yg-item-meta.h"
#include "yg-item-store.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-search.h"
#include "yg-server.h"

typedef struct
{
  YgSearchQuery query;
  char *strings[9]; /* owned copies of the query's strings */
} Call;

typedef struct
{
  GPtrArray *items; /* (element-type YgItem) */
  char *next_cursor;
} Result;

static void
call_free (Call *c)
{
  for (guint i = 0; i < G_N_ELEMENTS (c->strings); i++)
    g_free (c->strings[i]);
  g_free (c);
}

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
  Call *c = data;
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

static const char *const known[] = { "q",    "kind", "category", "level", "region", "tag",
                                     "from", "to",   "sort",     "limit", "cursor", NULL };

static gboolean
parse (GHashTable *p, Call *c, GError **error)
{
  YgSearchQuery *q = &c->query;
  const char *v;
  GHashTableIter it;
  gpointer key, value;
  guint64 limit = 20;

  g_hash_table_iter_init (&it, p);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      if (!g_strv_contains (known, key))
        return g_utf8_validate (key, -1, NULL)
                   ? yg_field_error_set (error, key, "Unknown parameter \"%s\"", (const char *)key)
                   : yg_field_error_set (error, NULL, "A parameter name is not valid UTF-8");
      if (!yg_item_input_check_text (value, key, strcmp (key, "q") == 0 ? 400 : 128, FALSE, error))
        return FALSE;
    }
  if ((v = g_hash_table_lookup (p, "q")) != NULL && *v != '\0')
    {
      if (g_utf8_strlen (v, -1) > YG_SEARCH_MAX_QUERY_CHARS)
        return yg_field_error_set (error, "q", "\"q\" is longer than %d characters",
                                   YG_SEARCH_MAX_QUERY_CHARS);
      q->q = c->strings[0] = g_strdup (v);
    }
  if ((v = g_hash_table_lookup (p, "kind")) != NULL)
    {
      if (!yg_item_kind_is_valid (v))
        return yg_field_error_set (error, "kind",
                                   "\"kind\" must be performance, lesson or heritage");
      q->kind = c->strings[1] = g_strdup (v);
    }
  if ((v = g_hash_table_lookup (p, "category")) != NULL)
    {
      const YgCodeLabel *e
          = yg_code_label_find (yg_heritage_categories, yg_n_heritage_categories, v);
      if (e == NULL)
        return yg_field_error_set (error, "category", "\"category\" is not a heritage category");
      q->category = e->code;
    }
  if ((v = g_hash_table_lookup (p, "level")) != NULL)
    {
      const YgCodeLabel *e = yg_code_label_find (yg_heritage_levels, yg_n_heritage_levels, v);
      if (e == NULL)
        return yg_field_error_set (error, "level",
                                   "\"level\" must be national, provincial, municipal or county");
      q->level = e->code;
    }
  if ((v = g_hash_table_lookup (p, "region")) != NULL)
    {
      if (*v == '\0' || g_utf8_strlen (v, -1) > YG_INPUT_MAX_NAME)
        return yg_field_error_set (error, "region", "\"region\" must be 1 to %d characters",
                                   YG_INPUT_MAX_NAME);
      q->region = c->strings[2] = g_strdup (v);
    }
  if ((v = g_hash_table_lookup (p, "tag")) != NULL)
    {
      char *tag = yg_item_meta_normalize_tag (v);
      c->strings[3] = tag;
      if (tag == NULL || *tag == '\0' || g_utf8_strlen (tag, -1) > YG_INPUT_MAX_TAG)
        return yg_field_error_set (error, "tag", "\"tag\" must be 1 to %d characters",
                                   YG_INPUT_MAX_TAG);
      q->tag = tag;
    }
  if ((v = g_hash_table_lookup (p, "from")) != NULL)
    {
      if (!yg_item_input_check_date (v, "from", error))
        return FALSE;
      q->from = c->strings[4] = g_strdup (v);
    }
  if ((v = g_hash_table_lookup (p, "to")) != NULL)
    {
      if (!yg_item_input_check_date (v, "to", error))
        return FALSE;
      q->to = c->strings[5] = g_strdup (v);
    }
  if (q->from != NULL && q->to != NULL && strcmp (q->from, q->to) > 0)
    return yg_field_error_set (error, "to", "\"to\" is before \"from\"");
  q->by_date = q->q == NULL;
  if ((v = g_hash_table_lookup (p, "sort")) != NULL)
    {
      if (g_str_equal (v, "date"))
        q->by_date = TRUE;
      else if (g_str_equal (v, "relevance"))
        q->by_date = FALSE;
      else
        return yg_field_error_set (error, "sort", "\"sort\" must be relevance or date");
    }
  if ((v = g_hash_table_lookup (p, "limit")) != NULL
      && !g_ascii_string_to_unsigned (v, 10, 1, 100, &limit, NULL))
    return yg_field_error_set (error, "limit", "\"limit\" must be a number from 1 to 100");
  q->limit = limit;
  if ((v = g_hash_table_lookup (p, "cursor")) != NULL)
    q->cursor = c->strings[6] = g_strdup (v);
  return TRUE;
}

/* The query string, decoded strictly enough to name a bad parameter. */
static GHashTable *
parse_query (YgRequest *req, GError **error)
{
  const char *raw = g_uri_get_query (soup_server_message_get_uri (req->msg));
  g_autoptr (GHashTable) params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) pairs = NULL;

  if (raw == NULL)
    return g_steal_pointer (&params);
  pairs = g_strsplit (raw, "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      char *eq = strchr (pairs[i], '=');
      g_autofree char *name = NULL, *value = NULL;

      if (*pairs[i] == '\0')
        continue;
      for (char *p = pairs[i]; *p; p++)
        if (*p == '+')
          *p = ' ';
      if (eq != NULL)
        *eq = '\0';
      name = g_uri_unescape_string (pairs[i], NULL);
      value = g_uri_unescape_string (eq != NULL ? eq + 1 : "", NULL);
      if (name == NULL || !g_utf8_validate (name, -1, NULL))
        return yg_field_error_set (error, NULL, "A parameter name is not valid"), NULL;
      if (value == NULL)
        return yg_field_error_set (error, name, "\"%s\" is not correctly escaped", name), NULL;
      if (g_hash_table_contains (params, name))
        return yg_field_error_set (error, name, "\"%s\" is given twice", name), NULL;
      g_hash_table_insert (params, g_steal_pointer (&name), g_steal_pointer (&value));
    }
  return g_steal_pointer (&params);
}

void
yg_route_search (YgServer *server, YgRequest *req)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) params = parse_query (req, &error);
  Call *c = g_new0 (Call, 1);

  if (params == NULL || !parse (params, c, &error))
    {
      call_free (c);
      yg_request_respond_error (req, error);
      return;
    }
  /* Only what the caller may find in a list: never unlisted, never another audience's. */
  c->query.visible = yg_auth_listed_visibilities (req->principal);
  yg_request_run_db (req, run_search, c, (GDestroyNotify)call_free, (GDestroyNotify)result_free,
                     200, result_json);
}

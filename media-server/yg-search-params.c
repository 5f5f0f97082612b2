/* yg-search-params.c: the query string of GET /api/v1/search, decoded and checked.
 *
 * Parameters: q (substring, any length from 1 character, Chinese or not),
 * kind, category (code or Chinese label), level, region, tag, from/to
 * (recorded date, YYYY-MM-DD, inclusive), sort (relevance: title matches,
 * then name/tag matches, then description-only matches, each newest first;
 * date: newest recorded first, unknown dates last; relevance is the default
 * with q, date without), limit (1..100, default 20), cursor
 * (opaque, from next_cursor). Every parameter is checked here; an unknown or
 * bad one (also a repeated one, or one that is not UTF-8 once decoded) is a
 * field error naming it; "+" in the query string is a space (HTML forms).
 * Pure (fuzzed by tests/fuzz/fuzz-query.c). Thread: any.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-search-params.h"

#include <string.h>

#include "yg-field-error.h"
#include "yg-item-input.h"
#include "yg-item-meta.h"
#include "yg-item-store.h"

void
yg_search_params_free (YgSearchParams *params)
{
  if (params == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (params->strings); i++)
    g_free (params->strings[i]);
  g_free (params);
}

static const char *const known[] = { "q",    "kind", "category", "level", "region", "tag",
                                     "from", "to",   "sort",     "limit", "cursor", NULL };

static gboolean
parse (GHashTable *p, YgSearchParams *c, GError **error)
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
decode (const char *raw, GError **error)
{
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

/**
 * yg_search_params_parse:
 * @raw_query: (nullable): the query string as sent (still percent-encoded)
 *
 * Returns: (transfer full): the query (its visible mask still 0), or %NULL
 *   with a field error
 */
YgSearchParams *
yg_search_params_parse (const char *raw_query, GError **error)
{
  g_autoptr (GHashTable) params = decode (raw_query, error);
  g_autoptr (YgSearchParams) c = g_new0 (YgSearchParams, 1);

  if (params == NULL || !parse (params, c, error))
    return NULL;
  return g_steal_pointer (&c);
}

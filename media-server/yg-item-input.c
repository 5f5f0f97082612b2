/* yg-item-input.c: strict parsing of the metadata request bodies.
 *
 * PATCH /api/v1/items/{id} bodies, chapter lists and inheritor bodies are
 * turned into catalogue values (YgItemMeta with its "set" bits, a YgChapter
 * array, YgInheritor) or refused with YG_FIELD_ERROR naming the field
 * ("performers[2]", "programme[0].start"): wrong JSON types, unknown keys,
 * unknown enum values, text that is not UTF-8, has control characters (line
 * breaks are allowed only in descriptions and biographies) or is longer than
 * its limit in Unicode characters, impossible dates, negative or unordered
 * times. Text is kept exactly as sent (HTML included: it is data, escaped by
 * whoever renders it). Nothing here touches the catalogue: what needs the row
 * (the item's kind, its duration) is checked by the store in its transaction.
 * The PATCH handler may own keys of its own (caller_keys), which are skipped.
 * Thread: any (pure functions).
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-item-input.h"

#include <math.h>
#include <string.h>

#include "yg-field-error.h"

gboolean
yg_item_input_check_text (const char *value, const char *field, guint max_chars, gboolean multiline,
                          GError **error)
{
  glong n;

  if (!g_utf8_validate (value, -1, NULL))
    return yg_field_error_set (error, field, "\"%s\" is not valid UTF-8", field);
  n = g_utf8_strlen (value, -1);
  if ((guint)n > max_chars)
    return yg_field_error_set (error, field, "\"%s\" has %ld characters; the limit is %u", field, n,
                               max_chars);
  for (const char *p = value; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if ((c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
          && !(multiline && (c == '\n' || c == '\t' || c == '\r')))
        return yg_field_error_set (error, field, "\"%s\" contains a control character (U+%04X)",
                                   field, c);
    }
  return TRUE;
}

static gboolean
is_blank (const char *s)
{
  for (const char *p = s; *p; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

static gboolean
node_is_string (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

static gboolean
node_is_number (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node)
         && (json_node_get_value_type (node) == G_TYPE_INT64
             || json_node_get_value_type (node) == G_TYPE_DOUBLE);
}

/* A text field: string (or null when @nullable), checked; *out is NULL for null. */
static gboolean
get_text (JsonNode *node, const char *field, guint max_chars, gboolean multiline, gboolean nullable,
          gboolean nonblank, char **out, GError **error)
{
  const char *s;

  *out = NULL;
  if (JSON_NODE_HOLDS_NULL (node))
    {
      if (nullable)
        return TRUE;
      return yg_field_error_set (error, field, "\"%s\" cannot be null", field);
    }
  if (!node_is_string (node))
    return yg_field_error_set (error, field, "\"%s\" must be a string%s", field,
                               nullable ? " or null" : "");
  s = json_node_get_string (node);
  if (!yg_item_input_check_text (s, field, max_chars, multiline, error))
    return FALSE;
  if (nonblank && is_blank (s))
    return yg_field_error_set (error, field, "\"%s\" cannot be empty", field);
  *out = g_strdup (s);
  return TRUE;
}

gboolean
yg_item_input_check_date (const char *s, const char *field, GError **error)
{
  guint64 y, m, d;
  char buf[5];

  if (strlen (s) != 10 || s[4] != '-' || s[7] != '-')
    goto bad;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (s[i]))
      goto bad;
  memcpy (buf, s, 4), buf[4] = '\0';
  y = g_ascii_strtoull (buf, NULL, 10);
  m = g_ascii_strtoull (s + 5, NULL, 10);
  d = g_ascii_strtoull (s + 8, NULL, 10);
  if (y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= 31 && g_date_valid_dmy (d, m, y))
    return TRUE;
bad:
  return yg_field_error_set (error, field, "\"%s\" must be a date written YYYY-MM-DD", field);
}

static gboolean
get_date (JsonNode *node, const char *field, char **out, GError **error)
{
  if (!get_text (node, field, 10, FALSE, TRUE, FALSE, out, error))
    return FALSE;
  if (*out != NULL && !yg_item_input_check_date (*out, field, error))
    {
      g_clear_pointer (out, g_free);
      return FALSE;
    }
  return TRUE;
}

static gboolean
get_enum (JsonNode *node, const char *field, const YgCodeLabel *table, guint n, char **out,
          GError **error)
{
  g_autofree char *s = NULL;
  const YgCodeLabel *e;
  g_autoptr (GString) codes = g_string_new (NULL);

  if (!get_text (node, field, 64, FALSE, TRUE, FALSE, &s, error))
    return FALSE;
  *out = NULL;
  if (s == NULL)
    return TRUE;
  e = yg_code_label_find (table, n, s);
  if (e != NULL)
    {
      *out = g_strdup (e->code);
      return TRUE;
    }
  for (guint i = 0; i < n; i++)
    g_string_append_printf (codes, "%s%s", i ? ", " : "", table[i].code);
  return yg_field_error_set (error, field, "\"%s\" must be one of %s", field, codes->str);
}

static gboolean
check_language (const char *s, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (s, "-", -1);
  gsize len = strlen (s);

  if (len < 2 || len > 35)
    goto bad;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gsize n = strlen (parts[i]);
      if (i == 0 && (n < 2 || n > 3))
        goto bad;
      if (n < 1 || n > 8)
        goto bad;
      for (gsize j = 0; j < n; j++)
        if (!(i == 0 ? g_ascii_isalpha (parts[i][j]) : g_ascii_isalnum (parts[i][j])))
          goto bad;
    }
  return TRUE;
bad:
  return yg_field_error_set (error, "language",
                             "\"language\" must be a BCP 47 language tag such as zh-CN or en");
}

static gboolean
get_seconds (JsonNode *node, const char *field, double *out, GError **error)
{
  double v;

  if (!node_is_number (node))
    return yg_field_error_set (error, field, "\"%s\" must be a number of seconds", field);
  v = json_node_get_double (node);
  if (!isfinite (v) || v < 0 || v > YG_INPUT_MAX_SECONDS)
    return yg_field_error_set (error, field, "\"%s\" must be a number of seconds from 0 to %g",
                               field, YG_INPUT_MAX_SECONDS);
  *out = v;
  return TRUE;
}

/* An array of non-empty names; returns it rebuilt as a JSON array node. */
static JsonNode *
get_names (JsonNode *node, const char *field, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  JsonArray *a;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return yg_field_error_set (error, field, "\"%s\" must be an array of names", field), NULL;
  a = json_node_get_array (node);
  if (json_array_get_length (a) > YG_INPUT_MAX_PEOPLE)
    return yg_field_error_set (error, field, "\"%s\" has more than %d names", field,
                               YG_INPUT_MAX_PEOPLE),
           NULL;
  json_builder_begin_array (b);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      g_autofree char *f = g_strdup_printf ("%s[%u]", field, i);
      g_autofree char *name = NULL;
      if (!get_text (json_array_get_element (a, i), f, YG_INPUT_MAX_NAME, FALSE, FALSE, TRUE, &name,
                     error))
        return NULL;
      json_builder_add_string_value (b, name);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

static char *
node_text (JsonNode *node)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

static gboolean
get_tags (JsonNode *node, GPtrArray *tags, GError **error)
{
  JsonArray *a;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return yg_field_error_set (error, "tags", "\"tags\" must be an array of strings");
  a = json_node_get_array (node);
  if (json_array_get_length (a) > YG_INPUT_MAX_TAGS)
    return yg_field_error_set (error, "tags", "\"tags\" has more than %d tags", YG_INPUT_MAX_TAGS);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      g_autofree char *f = g_strdup_printf ("tags[%u]", i);
      g_autofree char *raw = NULL, *tag = NULL;
      gboolean dup = FALSE;
      if (!get_text (json_array_get_element (a, i), f, 4 * YG_INPUT_MAX_TAG, FALSE, FALSE, TRUE,
                     &raw, error))
        return FALSE;
      tag = yg_item_meta_normalize_tag (raw);
      if (tag == NULL || *tag == '\0' || g_utf8_strlen (tag, -1) > YG_INPUT_MAX_TAG)
        return yg_field_error_set (error, f, "\"%s\" must be a tag of 1 to %d characters", f,
                                   YG_INPUT_MAX_TAG);
      for (guint j = 0; j < tags->len; j++)
        dup |= g_str_equal (tags->pdata[j], tag);
      if (!dup)
        g_ptr_array_add (tags, g_steal_pointer (&tag));
    }
  return TRUE;
}

static char *
get_programme (JsonNode *node, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  JsonArray *a;
  double last = -1;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return yg_field_error_set (error, "programme", "\"programme\" must be an array of pieces"),
           NULL;
  a = json_node_get_array (node);
  if (json_array_get_length (a) > YG_INPUT_MAX_PIECES)
    return yg_field_error_set (error, "programme", "\"programme\" has more than %d pieces",
                               YG_INPUT_MAX_PIECES),
           NULL;
  json_builder_begin_array (b);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *piece = json_array_get_element (a, i);
      g_autofree char *f = g_strdup_printf ("programme[%u]", i);
      g_autofree char *title = NULL;
      g_autoptr (JsonNode) people = NULL;
      double start = 0;
      gboolean have_title = FALSE, have_start = FALSE;
      JsonObjectIter it;
      const char *key;
      JsonNode *value;

      if (!JSON_NODE_HOLDS_OBJECT (piece))
        return yg_field_error_set (error, f, "\"%s\" must be an object {title, performers, start}",
                                   f),
               NULL;
      json_object_iter_init (&it, json_node_get_object (piece));
      while (json_object_iter_next (&it, &key, &value))
        {
          g_autofree char *kf = g_strdup_printf ("%s.%s", f, key);
          if (g_str_equal (key, "title"))
            {
              if (!get_text (value, kf, YG_INPUT_MAX_TITLE, FALSE, FALSE, TRUE, &title, error))
                return NULL;
              have_title = TRUE;
            }
          else if (g_str_equal (key, "performers"))
            {
              people = get_names (value, kf, error);
              if (people == NULL)
                return NULL;
            }
          else if (g_str_equal (key, "start"))
            {
              if (!get_seconds (value, kf, &start, error))
                return NULL;
              have_start = TRUE;
            }
          else
            return yg_field_error_set (error, kf, "Unknown field \"%s\"", kf), NULL;
        }
      if (!have_title)
        return yg_field_error_set (error, f, "\"%s.title\" is required", f), NULL;
      if (!have_start)
        return yg_field_error_set (error, f, "\"%s.start\" is required", f), NULL;
      if (start <= last)
        {
          g_autofree char *sf = g_strdup_printf ("%s.start", f);
          return yg_field_error_set (error, sf,
                                     "Pieces must start in strictly increasing order (%g after %g)",
                                     start, last),
                 NULL;
        }
      last = start;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "title");
      json_builder_add_string_value (b, title);
      json_builder_set_member_name (b, "performers");
      if (people != NULL)
        json_builder_add_value (b, g_steal_pointer (&people));
      else
        {
          json_builder_begin_array (b);
          json_builder_end_array (b);
        }
      json_builder_set_member_name (b, "start");
      json_builder_add_double_value (b, start);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  return node_text (root);
}

static const struct
{
  const char *key;
  YgMetaField bit;
} meta_keys[] = {
  { "title", YG_META_TITLE },
  { "description", YG_META_DESCRIPTION },
  { "language", YG_META_LANGUAGE },
  { "recorded_date", YG_META_RECORDED_DATE },
  { "venue", YG_META_VENUE },
  { "tags", YG_META_TAGS },
  { "troupe", YG_META_TROUPE },
  { "performers", YG_META_PERFORMERS },
  { "performance_date", YG_META_PERFORMANCE_DATE },
  { "programme", YG_META_PROGRAMME },
  { "project_name", YG_META_PROJECT_NAME },
  { "category", YG_META_CATEGORY },
  { "level", YG_META_LEVEL },
  { "region", YG_META_REGION },
};

/**
 * yg_item_input_parse_meta:
 * @caller_keys: (nullable) (array zero-terminated=1): keys the caller handles itself
 *
 * Returns: (transfer full): the patch (set = the fields present), or %NULL
 *   with YG_FIELD_ERROR
 */
YgItemMeta *
yg_item_input_parse_meta (JsonObject *obj, const char *const *caller_keys, GError **error)
{
  g_autoptr (YgItemMeta) m = yg_item_meta_new ();
  JsonObjectIter it;
  const char *key;
  JsonNode *v;

  json_object_iter_init (&it, obj);
  while (json_object_iter_next (&it, &key, &v))
    {
      YgMetaField bit = 0;
      gboolean ok = TRUE;

      if (caller_keys != NULL && g_strv_contains (caller_keys, key))
        continue;
      for (guint i = 0; i < G_N_ELEMENTS (meta_keys); i++)
        if (g_str_equal (meta_keys[i].key, key))
          bit = meta_keys[i].bit;
      if (bit == 0)
        {
          if (g_str_equal (key, "kind"))
            return yg_field_error_set (error, key, "The kind of an item cannot be changed"), NULL;
          if (g_str_equal (key, "chapters"))
            return yg_field_error_set (
                       error, key, "Chapters are replaced with PUT /api/v1/items/{id}/chapters"),
                   NULL;
          if (!g_utf8_validate (key, -1, NULL))
            return yg_field_error_set (error, NULL, "A field name is not valid UTF-8"), NULL;
          return yg_field_error_set (error, key, "Unknown field \"%s\"", key), NULL;
        }
      m->set |= bit;
      switch (bit)
        {
          case YG_META_TITLE:
            ok = get_text (v, key, YG_INPUT_MAX_TITLE, FALSE, FALSE, TRUE, &m->title, error);
            break;
          case YG_META_DESCRIPTION:
            ok = get_text (v, key, YG_INPUT_MAX_DESCRIPTION, TRUE, TRUE, FALSE, &m->description,
                           error);
            break;
          case YG_META_LANGUAGE:
            ok = get_text (v, key, 35, FALSE, TRUE, FALSE, &m->language, error)
                 && (m->language == NULL || check_language (m->language, error));
            break;
          case YG_META_RECORDED_DATE:
            ok = get_date (v, key, &m->recorded_date, error);
            break;
          case YG_META_PERFORMANCE_DATE:
            ok = get_date (v, key, &m->performance_date, error);
            break;
          case YG_META_VENUE:
            ok = get_text (v, key, YG_INPUT_MAX_LINE, FALSE, TRUE, FALSE, &m->venue, error);
            break;
          case YG_META_TROUPE:
            ok = get_text (v, key, YG_INPUT_MAX_LINE, FALSE, TRUE, FALSE, &m->troupe, error);
            break;
          case YG_META_PROJECT_NAME:
            ok = get_text (v, key, YG_INPUT_MAX_LINE, FALSE, TRUE, FALSE, &m->project_name, error);
            break;
          case YG_META_REGION:
            ok = get_text (v, key, YG_INPUT_MAX_NAME, FALSE, TRUE, FALSE, &m->region, error);
            break;
          case YG_META_TAGS:
            ok = get_tags (v, m->tags, error);
            break;
          case YG_META_PERFORMERS:
            {
              g_autoptr (JsonNode) names = get_names (v, key, error);
              ok = names != NULL;
              if (ok)
                m->performers = node_text (names);
            }
            break;
          case YG_META_PROGRAMME:
            m->programme = get_programme (v, error);
            ok = m->programme != NULL;
            break;
          case YG_META_CATEGORY:
            ok = get_enum (v, key, yg_heritage_categories, yg_n_heritage_categories, &m->category,
                           error);
            break;
          case YG_META_LEVEL:
            ok = get_enum (v, key, yg_heritage_levels, yg_n_heritage_levels, &m->level, error);
            break;
          default:
            g_assert_not_reached ();
        }
      if (!ok)
        return NULL;
    }
  return g_steal_pointer (&m);
}

/**
 * yg_item_input_parse_chapters:
 * @obj: {"chapters": [{"title": ..., "start": seconds}, ...]}
 *
 * Returns: (transfer full) (element-type YgChapter): in order, starts
 *   strictly increasing; %NULL with YG_FIELD_ERROR
 */
GArray *
yg_item_input_parse_chapters (JsonObject *obj, GError **error)
{
  g_autoptr (GArray) out = yg_chapters_new ();
  JsonObjectIter it;
  const char *key;
  JsonNode *v, *list = NULL;
  JsonArray *a;
  double last = -1;

  json_object_iter_init (&it, obj);
  while (json_object_iter_next (&it, &key, &v))
    {
      if (!g_str_equal (key, "chapters"))
        return yg_field_error_set (error, key, "Unknown field \"%s\"", key), NULL;
      list = v;
    }
  if (list == NULL)
    return yg_field_error_set (error, "chapters", "\"chapters\" is required"), NULL;
  if (!JSON_NODE_HOLDS_ARRAY (list))
    return yg_field_error_set (error, "chapters", "\"chapters\" must be an array"), NULL;
  a = json_node_get_array (list);
  if (json_array_get_length (a) > YG_INPUT_MAX_CHAPTERS)
    return yg_field_error_set (error, "chapters", "\"chapters\" has more than %d chapters",
                               YG_INPUT_MAX_CHAPTERS),
           NULL;
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *c = json_array_get_element (a, i);
      g_autofree char *f = g_strdup_printf ("chapters[%u]", i);
      YgChapter ch = { NULL, -1 };
      gboolean have_title = FALSE, have_start = FALSE;

      if (!JSON_NODE_HOLDS_OBJECT (c))
        return yg_field_error_set (error, f, "\"%s\" must be an object {title, start}", f), NULL;
      json_object_iter_init (&it, json_node_get_object (c));
      while (json_object_iter_next (&it, &key, &v))
        {
          g_autofree char *kf = g_strdup_printf ("%s.%s", f, key);
          if (g_str_equal (key, "title"))
            {
              g_free (ch.title);
              if (!get_text (v, kf, YG_INPUT_MAX_TITLE, FALSE, FALSE, TRUE, &ch.title, error))
                return NULL;
              have_title = TRUE;
            }
          else if (g_str_equal (key, "start"))
            {
              if (!get_seconds (v, kf, &ch.start, error))
                {
                  g_free (ch.title);
                  return NULL;
                }
              have_start = TRUE;
            }
          else
            {
              g_free (ch.title);
              return yg_field_error_set (error, kf, "Unknown field \"%s\"", kf), NULL;
            }
        }
      if (!have_title || !have_start)
        {
          g_free (ch.title);
          return yg_field_error_set (error, f, "\"%s\" needs both \"title\" and \"start\"", f),
                 NULL;
        }
      if (ch.start <= last)
        {
          g_autofree char *sf = g_strdup_printf ("%s.start", f);
          g_free (ch.title);
          return yg_field_error_set (
                     error, sf, "Chapters must start in strictly increasing order (%g after %g)",
                     ch.start, last),
                 NULL;
        }
      last = ch.start;
      g_array_append_val (out, ch);
    }
  return g_steal_pointer (&out);
}

/**
 * yg_item_input_parse_inheritor:
 * @create: TRUE for POST (name required), FALSE for PATCH
 *
 * Returns: (transfer full): the values (set = the fields present), or %NULL
 *   with YG_FIELD_ERROR
 */
YgInheritor *
yg_item_input_parse_inheritor (JsonObject *obj, gboolean create, GError **error)
{
  g_autoptr (YgInheritor) h = yg_inheritor_new ();
  JsonObjectIter it;
  const char *key;
  JsonNode *v;

  json_object_iter_init (&it, obj);
  while (json_object_iter_next (&it, &key, &v))
    {
      gboolean ok;

      if (g_str_equal (key, "name"))
        {
          h->set |= YG_INHERITOR_NAME;
          ok = get_text (v, key, YG_INPUT_MAX_NAME, FALSE, FALSE, TRUE, &h->name, error);
        }
      else if (g_str_equal (key, "birth_year"))
        {
          h->set |= YG_INHERITOR_BIRTH_YEAR;
          ok = TRUE;
          if (!JSON_NODE_HOLDS_NULL (v))
            {
              g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
              int this_year = g_date_time_get_year (now);
              if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_INT64
                  || json_node_get_int (v) < 1850 || json_node_get_int (v) > this_year)
                ok = yg_field_error_set (error, key,
                                         "\"birth_year\" must be a whole year from 1850 to %d, or "
                                         "null",
                                         this_year);
              else
                h->birth_year = (int)json_node_get_int (v);
            }
        }
      else if (g_str_equal (key, "gender"))
        {
          h->set |= YG_INHERITOR_GENDER;
          ok = get_text (v, key, 16, FALSE, TRUE, FALSE, &h->gender, error);
          if (ok && h->gender != NULL && !g_str_equal (h->gender, "female")
              && !g_str_equal (h->gender, "male"))
            ok = yg_field_error_set (error, key, "\"gender\" must be female, male or null");
        }
      else if (g_str_equal (key, "level"))
        {
          h->set |= YG_INHERITOR_LEVEL;
          ok = get_enum (v, key, yg_heritage_levels, yg_n_heritage_levels, &h->level, error);
        }
      else if (g_str_equal (key, "region"))
        {
          h->set |= YG_INHERITOR_REGION;
          ok = get_text (v, key, YG_INPUT_MAX_NAME, FALSE, TRUE, FALSE, &h->region, error);
        }
      else if (g_str_equal (key, "bio"))
        {
          h->set |= YG_INHERITOR_BIO;
          ok = get_text (v, key, YG_INPUT_MAX_DESCRIPTION, TRUE, TRUE, FALSE, &h->bio, error);
        }
      else
        ok = g_utf8_validate (key, -1, NULL)
                 ? yg_field_error_set (error, key, "Unknown field \"%s\"", key)
                 : yg_field_error_set (error, NULL, "A field name is not valid UTF-8");
      if (!ok)
        return NULL;
    }
  if (create && h->name == NULL)
    return yg_field_error_set (error, "name", "\"name\" is required"), NULL;
  if (h->set == 0)
    return yg_field_error_set (error, NULL, "The body names no field to change"), NULL;
  return g_steal_pointer (&h);
}

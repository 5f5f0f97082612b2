/* yg-meta-json.c: the JSON shape of item metadata and of inheritors.
 *
 * Every item gets language, recorded_date, venue, tags and chapters;
 * performance items add troupe, performers, performance_date, programme;
 * heritage items add project_name, category + category_label, level +
 * level_label, region and inheritors ([{id, name}]). Absent values are null,
 * absent lists []. An item without chapters of its own but with a programme
 * shows the programme's pieces as its chapters (chapters_from = "programme").
 * Codes are stable ASCII; labels are the Chinese names for display. Text is
 * returned exactly as stored; JSON escaping is the only transformation.
 * Thread: main thread (pure functions).
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-meta-json.h"

static void
add_text (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static JsonNode *
parse_array (const char *text)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  JsonNode *empty;

  if (text != NULL && json_parser_load_from_data (p, text, -1, NULL)
      && JSON_NODE_HOLDS_ARRAY (json_parser_get_root (p)))
    return json_node_copy (json_parser_get_root (p));
  empty = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (empty, json_array_new ());
  return empty;
}

static void
add_code (JsonBuilder *b, const char *name, const char *code, const YgCodeLabel *table, guint n)
{
  const YgCodeLabel *e = yg_code_label_find (table, n, code);
  g_autofree char *label_name = g_strconcat (name, "_label", NULL);

  add_text (b, name, code);
  add_text (b, label_name, e != NULL ? e->label : NULL);
}

/**
 * yg_meta_json_add_item:
 *
 * Adds the metadata members to an item object being built.
 */
void
yg_meta_json_add_item (JsonBuilder *b, const YgItemMeta *m)
{
  g_autoptr (JsonNode) programme = parse_array (m->programme);
  gboolean performance = g_strcmp0 (m->kind, "performance") == 0;

  add_text (b, "language", m->language);
  add_text (b, "recorded_date", m->recorded_date);
  add_text (b, "venue", m->venue);
  json_builder_set_member_name (b, "tags");
  json_builder_begin_array (b);
  for (guint i = 0; i < m->tags->len; i++)
    json_builder_add_string_value (b, m->tags->pdata[i]);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "chapters");
  json_builder_begin_array (b);
  if (m->chapters->len > 0 || !performance)
    for (guint i = 0; i < m->chapters->len; i++)
      {
        const YgChapter *c = &g_array_index (m->chapters, YgChapter, i);
        json_builder_begin_object (b);
        add_text (b, "title", c->title);
        json_builder_set_member_name (b, "start");
        json_builder_add_double_value (b, c->start);
        json_builder_end_object (b);
      }
  else
    {
      JsonArray *pieces = json_node_get_array (programme);
      for (guint i = 0; i < json_array_get_length (pieces); i++)
        {
          JsonObject *piece = json_array_get_object_element (pieces, i);
          json_builder_begin_object (b);
          add_text (b, "title", json_object_get_string_member_with_default (piece, "title", ""));
          json_builder_set_member_name (b, "start");
          json_builder_add_double_value (
              b, json_object_get_double_member_with_default (piece, "start", 0));
          json_builder_end_object (b);
        }
    }
  json_builder_end_array (b);
  add_text (b, "chapters_from",
            m->chapters->len > 0 ? "chapters"
            : performance && json_array_get_length (json_node_get_array (programme)) > 0
                ? "programme"
                : NULL);

  if (performance)
    {
      add_text (b, "troupe", m->troupe);
      json_builder_set_member_name (b, "performers");
      json_builder_add_value (b, parse_array (m->performers));
      add_text (b, "performance_date", m->performance_date);
      json_builder_set_member_name (b, "programme");
      json_builder_add_value (b, json_node_copy (programme));
    }
  else if (g_strcmp0 (m->kind, "heritage") == 0)
    {
      add_text (b, "project_name", m->project_name);
      add_code (b, "category", m->category, yg_heritage_categories, yg_n_heritage_categories);
      add_code (b, "level", m->level, yg_heritage_levels, yg_n_heritage_levels);
      add_text (b, "region", m->region);
      json_builder_set_member_name (b, "inheritors");
      json_builder_begin_array (b);
      for (guint i = 0; i < m->inheritors->len; i++)
        {
          const YgInheritorRef *r = &g_array_index (m->inheritors, YgInheritorRef, i);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "id");
          json_builder_add_int_value (b, r->id);
          add_text (b, "name", r->name);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
}

/**
 * yg_meta_json_inheritor:
 *
 * Returns: (transfer full): {id, name, birth_year, gender, level, level_label,
 *   region, bio, item_ids, created_at, updated_at}
 */
JsonNode *
yg_meta_json_inheritor (const YgInheritor *h)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, h->id);
  add_text (b, "name", h->name);
  json_builder_set_member_name (b, "birth_year");
  if (h->birth_year > 0)
    json_builder_add_int_value (b, h->birth_year);
  else
    json_builder_add_null_value (b);
  add_text (b, "gender", h->gender);
  add_code (b, "level", h->level, yg_heritage_levels, yg_n_heritage_levels);
  add_text (b, "region", h->region);
  add_text (b, "bio", h->bio != NULL ? h->bio : "");
  json_builder_set_member_name (b, "item_ids");
  json_builder_begin_array (b);
  for (guint i = 0; i < h->item_ids->len; i++)
    json_builder_add_string_value (b, h->item_ids->pdata[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "created_at");
  json_builder_add_int_value (b, h->created_at);
  json_builder_set_member_name (b, "updated_at");
  json_builder_add_int_value (b, h->updated_at);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

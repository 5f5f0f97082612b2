/* yg-demand-json.c: the JSON shapes of requests (点单/点将), lecturers and ratings.
 *
 * A request: {id, kind, title, description, lecturer: {id, name} | null,
 * community, status, supporters, threshold, supported, created_at,
 * threshold_at, answered_at, answer: null | {status, date, item, course,
 * reason}}; staff also see author_id. A rating: {id, target_type,
 * target_id, stars, comment, author, hidden, created_at, updated_at}, with
 * hidden_reason for staff. Times are unix seconds (null when not yet).
 * Thread: any.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-demand-json.h"

static void
add_time (JsonBuilder *b, const char *name, gint64 t)
{
  json_builder_set_member_name (b, name);
  if (t != 0)
    json_builder_add_int_value (b, t);
  else
    json_builder_add_null_value (b);
}

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

JsonNode *
yg_demand_json (const YgDemand *d, guint threshold, gboolean staff)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, d->id);
  add_string (b, "kind", d->kind);
  add_string (b, "title", d->title);
  add_string (b, "description", d->description);
  json_builder_set_member_name (b, "lecturer");
  if (d->lecturer_id != 0)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_int_value (b, d->lecturer_id);
      add_string (b, "name", d->lecturer_name);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  add_string (b, "community", d->community);
  add_string (b, "status", d->status);
  json_builder_set_member_name (b, "supporters");
  json_builder_add_int_value (b, d->supporters);
  json_builder_set_member_name (b, "threshold");
  json_builder_add_int_value (b, threshold);
  json_builder_set_member_name (b, "supported");
  json_builder_add_boolean_value (b, d->supported);
  if (staff)
    {
      json_builder_set_member_name (b, "author_id");
      json_builder_add_int_value (b, d->author_id);
    }
  add_time (b, "created_at", d->created_at);
  add_time (b, "threshold_at", d->threshold_at);
  add_time (b, "answered_at", d->answered_at);
  json_builder_set_member_name (b, "answer");
  if (d->answered_at != 0)
    {
      json_builder_begin_object (b);
      add_string (b, "status", d->status);
      add_string (b, "date", d->scheduled_date);
      add_string (b, "item", d->linked_item);
      json_builder_set_member_name (b, "course");
      if (d->linked_course != 0)
        json_builder_add_int_value (b, d->linked_course);
      else
        json_builder_add_null_value (b);
      add_string (b, "reason", d->reason);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
yg_demand_json_lecturer (const YgLecturer *l)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, l->id);
  add_string (b, "name", l->name);
  add_string (b, "kind", l->kind);
  add_string (b, "bio", l->bio);
  add_time (b, "created_at", l->created_at);
  add_time (b, "updated_at", l->updated_at);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
yg_demand_json_rating (const YgRating *r, gboolean staff)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, r->id);
  add_string (b, "target_type", r->target_type);
  add_string (b, "target_id", r->target_id);
  json_builder_set_member_name (b, "stars");
  json_builder_add_int_value (b, r->stars);
  add_string (b, "comment", r->comment);
  add_string (b, "author", r->author);
  json_builder_set_member_name (b, "hidden");
  json_builder_add_boolean_value (b, r->hidden_at != 0);
  if (staff || r->hidden_at != 0)
    add_string (b, "hidden_reason", r->hidden_reason);
  add_time (b, "created_at", r->created_at);
  add_time (b, "updated_at", r->updated_at);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
yg_demand_json_rating_summary (const YgRatingSummary *s)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "count");
  json_builder_add_int_value (b, s->count);
  json_builder_set_member_name (b, "average");
  if (s->count > 0)
    json_builder_add_double_value (b, s->average);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "distribution");
  json_builder_begin_object (b);
  for (guint k = 0; k < 5; k++)
    {
      char name[2] = { '1' + k, '\0' };
      json_builder_set_member_name (b, name);
      json_builder_add_int_value (b, s->stars[k]);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

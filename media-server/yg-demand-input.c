/* yg-demand-input.c: strict parsing of request (点单/点将), answer, lecturer,
 * rating and moderation bodies.
 *
 * A request body: kind (programme | course | lecturer), title, optional
 * description, lecturer (a roster id, required for kind lecturer, refused
 * otherwise) and community. An answer: status scheduled (date YYYY-MM-DD,
 * and item or course, at most one) or declined (reason). A lecturer: name,
 * kind (teacher | volunteer), bio. A rating: stars 1–5, comment. Moderation:
 * hidden (boolean) and, when hiding, a reason. Unknown members, wrong types,
 * bad text and missing values are YG_FIELD_ERROR naming the field; what
 * needs the catalogue (the lecturer, item or course exists) is the store's.
 * Thread: any (pure functions).
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-demand-input.h"

#include "yg-field-error.h"
#include "yg-item-input.h"

/* Every member of @obj is one of @allowed. */
gboolean
yg_demand_input_check_keys (JsonObject *obj, const char *const *allowed, GError **error)
{
  g_autoptr (GList) members = json_object_get_members (obj);

  for (GList *m = members; m != NULL; m = m->next)
    if (!g_strv_contains (allowed, m->data))
      return yg_field_error_set (error, m->data, "\"%s\" is not a field of this request",
                                 (const char *) m->data);
  return TRUE;
}

/* A text member: absent (NULL) unless @required; non-blank; checked like item text. */
gboolean
yg_demand_input_text (JsonObject *obj, const char *name, gboolean required, guint max,
                      gboolean multiline, char **out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  const char *s;
  g_autofree char *stripped = NULL;

  *out = NULL;
  if (node == NULL || (JSON_NODE_HOLDS_NULL (node) && !required))
    return required ? yg_field_error_set (error, name, "\"%s\" is required", name) : TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return yg_field_error_set (error, name, "\"%s\" must be a string", name);
  s = json_node_get_string (node);
  if (!yg_item_input_check_text (s, name, max, multiline, error))
    return FALSE;
  stripped = g_strstrip (g_strdup (s));
  if (stripped[0] == '\0')
    return yg_field_error_set (error, name, "\"%s\" cannot be empty", name);
  *out = g_strdup (s);
  return TRUE;
}

/* An integer member from @min to @max; absent or null gives 0 unless @required. */
static gboolean
integer (JsonObject *obj, const char *name, gboolean required, gint64 min, gint64 max,
         gint64 *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  *out = 0;
  if (node == NULL || (JSON_NODE_HOLDS_NULL (node) && !required))
    return required ? yg_field_error_set (error, name, "\"%s\" is required", name) : TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64
      || json_node_get_int (node) < min || json_node_get_int (node) > max)
    return yg_field_error_set (error, name,
                               "\"%s\" must be a whole number from %" G_GINT64_FORMAT
                               " to %" G_GINT64_FORMAT,
                               name, min, max);
  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
one_of (const char *value, const char *name, const char *const *values, const char *list,
        GError **error)
{
  if (value != NULL && !g_strv_contains (values, value))
    return yg_field_error_set (error, name, "\"%s\" must be %s", name, list);
  return TRUE;
}

/**
 * yg_demand_input_parse:
 *
 * Returns: (transfer full): kind, title, description, lecturer_id, community
 */
YgDemand *
yg_demand_input_parse (JsonObject *obj, GError **error)
{
  static const char *const keys[] = { "kind", "title", "description", "lecturer", "community",
                                      NULL };
  static const char *const kinds[] = { "programme", "course", "lecturer", NULL };
  g_autoptr (YgDemand) d = yg_demand_new ();

  if (!yg_demand_input_check_keys (obj, keys, error)
      || !yg_demand_input_text (obj, "kind", TRUE, 16, FALSE, &d->kind, error)
      || !one_of (d->kind, "kind", kinds, "programme, course or lecturer", error)
      || !yg_demand_input_text (obj, "title", TRUE, YG_INPUT_MAX_TITLE, FALSE, &d->title, error)
      || !yg_demand_input_text (obj, "description", FALSE, YG_INPUT_MAX_DESCRIPTION, TRUE,
                                &d->description, error)
      || !integer (obj, "lecturer", FALSE, 1, G_MAXINT64, &d->lecturer_id, error)
      || !yg_demand_input_text (obj, "community", FALSE, YG_INPUT_MAX_COMMUNITY, FALSE,
                                &d->community, error))
    return NULL;
  if (g_str_equal (d->kind, "lecturer") && d->lecturer_id == 0)
    {
      yg_field_error_set (error, "lecturer", "A lecturer request (点将) names a lecturer");
      return NULL;
    }
  if (!g_str_equal (d->kind, "lecturer") && d->lecturer_id != 0)
    {
      yg_field_error_set (error, "lecturer", "Only a request of kind lecturer names a lecturer");
      return NULL;
    }
  return g_steal_pointer (&d);
}

/**
 * yg_demand_input_parse_answer:
 *
 * Returns: (transfer full): status with scheduled_date and linked_item or
 *   linked_course, or reason
 */
YgDemand *
yg_demand_input_parse_answer (JsonObject *obj, GError **error)
{
  static const char *const keys[] = { "status", "date", "item", "course", "reason", NULL };
  static const char *const statuses[] = { "scheduled", "declined", NULL };
  g_autoptr (YgDemand) a = yg_demand_new ();
  gboolean scheduled;

  if (!yg_demand_input_check_keys (obj, keys, error)
      || !yg_demand_input_text (obj, "status", TRUE, 16, FALSE, &a->status, error)
      || !one_of (a->status, "status", statuses, "scheduled or declined", error))
    return NULL;
  scheduled = g_str_equal (a->status, "scheduled");
  if (scheduled)
    {
      if (json_object_has_member (obj, "reason"))
        {
          yg_field_error_set (error, "reason", "Only a declined request has a reason");
          return NULL;
        }
      if (!yg_demand_input_text (obj, "date", TRUE, 10, FALSE, &a->scheduled_date, error)
          || !yg_item_input_check_date (a->scheduled_date, "date", error)
          || !yg_demand_input_text (obj, "item", FALSE, 64, FALSE, &a->linked_item, error)
          || !integer (obj, "course", FALSE, 1, G_MAXINT64, &a->linked_course, error))
        return NULL;
      if (a->linked_item != NULL && a->linked_course != 0)
        {
          yg_field_error_set (error, "course", "Link an item or a course, not both");
          return NULL;
        }
    }
  else
    {
      static const char *const only[] = { "status", "reason", NULL };
      if (!yg_demand_input_check_keys (obj, only, error)
          || !yg_demand_input_text (obj, "reason", TRUE, YG_INPUT_MAX_REASON, TRUE, &a->reason,
                                    error))
        return NULL;
    }
  return g_steal_pointer (&a);
}

/**
 * yg_demand_input_parse_lecturer:
 * @create: name required, kind defaults to teacher
 *
 * Returns: (transfer full): the values; NULL fields are left unchanged by a patch
 */
YgLecturer *
yg_demand_input_parse_lecturer (JsonObject *obj, gboolean create, GError **error)
{
  static const char *const keys[] = { "name", "kind", "bio", NULL };
  static const char *const kinds[] = { "teacher", "volunteer", NULL };
  g_autoptr (YgLecturer) l = yg_lecturer_new ();

  if (!yg_demand_input_check_keys (obj, keys, error)
      || !yg_demand_input_text (obj, "name", create, YG_INPUT_MAX_NAME, FALSE, &l->name, error)
      || !yg_demand_input_text (obj, "kind", FALSE, 16, FALSE, &l->kind, error)
      || !one_of (l->kind, "kind", kinds, "teacher or volunteer", error))
    return NULL;
  if (json_object_has_member (obj, "bio"))
    {
      JsonNode *bio = json_object_get_member (obj, "bio");
      if (!JSON_NODE_HOLDS_VALUE (bio) || json_node_get_value_type (bio) != G_TYPE_STRING
          || !yg_item_input_check_text (json_node_get_string (bio), "bio",
                                        YG_INPUT_MAX_DESCRIPTION, TRUE, error))
        {
          if (error != NULL && *error == NULL)
            yg_field_error_set (error, "bio", "\"bio\" must be a string");
          return NULL;
        }
      l->bio = g_strdup (json_node_get_string (bio));
    }
  return g_steal_pointer (&l);
}

/**
 * yg_demand_input_parse_rating:
 *
 * Returns: (transfer full): stars and comment ("" when absent)
 */
YgRating *
yg_demand_input_parse_rating (JsonObject *obj, GError **error)
{
  static const char *const keys[] = { "stars", "comment", NULL };
  g_autoptr (YgRating) r = yg_rating_new ();
  gint64 stars;

  if (!yg_demand_input_check_keys (obj, keys, error)
      || !integer (obj, "stars", TRUE, 1, 5, &stars, error)
      || !yg_demand_input_text (obj, "comment", FALSE, YG_INPUT_MAX_COMMENT, TRUE, &r->comment,
                                error))
    return NULL;
  r->stars = stars;
  if (r->comment == NULL)
    r->comment = g_strdup ("");
  return g_steal_pointer (&r);
}

/* {"hidden": true, "reason": "…"} or {"hidden": false}. */
gboolean
yg_demand_input_parse_moderation (JsonObject *obj, gboolean *hidden, char **reason,
                                  GError **error)
{
  static const char *const keys[] = { "hidden", "reason", NULL };
  JsonNode *node = json_object_get_member (obj, "hidden");

  *reason = NULL;
  if (!yg_demand_input_check_keys (obj, keys, error))
    return FALSE;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return yg_field_error_set (error, "hidden", "\"hidden\" must be true or false");
  *hidden = json_node_get_boolean (node);
  if (!*hidden)
    return !json_object_has_member (obj, "reason")
           || yg_field_error_set (error, "reason", "Only hiding takes a reason");
  return yg_demand_input_text (obj, "reason", TRUE, YG_INPUT_MAX_REASON, TRUE, reason, error);
}

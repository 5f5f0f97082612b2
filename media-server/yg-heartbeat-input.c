/* yg-heartbeat-input.c: strict parsing of player events.
 *
 * The body is one event object or an array of 1 to YG_HEARTBEAT_MAX_BATCH
 * of them. An event has viewer (the player's pseudonymous id: 16 to 64 of
 * A-Z a-z 0-9 _ -, made at random by the client and kept in its storage),
 * session (the same alphabet, 8 to 64, one per playback), item (an item id,
 * 1 to 64 of that alphabet), event (start | tick | pause | seek | end),
 * position (seconds, finite, 0 to 10^7), optional age (seconds the event
 * waited in the player before this request, 0 to 3600; the server time
 * minus age is the event's time, so client clocks do not matter) and
 * optional community (text, at most 64 characters) and optional embed (a
 * partner's embed token, 1 to 200 of A-Z a-z 0-9 . _ -; the route verifies
 * it). Anything else, one bad
 * event included, refuses the whole body with a field error such as
 * "[3].position" (nothing is stored).
 * Thread: any (pure functions).
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-heartbeat-input.h"

#include <math.h>
#include <string.h>

#include "yg-demand-input.h"
#include "yg-field-error.h"

/* Only A-Z a-z 0-9 _ -, from @min to @max characters. */
gboolean
yg_heartbeat_input_is_id (const char *s, guint min, guint max)
{
  gsize n = 0;

  for (; s[n] != '\0'; n++)
    if (n >= max || !(g_ascii_isalnum (s[n]) || s[n] == '_' || s[n] == '-'))
      return FALSE;
  return n >= min;
}

static gboolean
number (JsonObject *o, const char *name, gboolean required, double max, double *out,
        const char *prefix, GError **error)
{
  JsonNode *n = json_object_get_member (o, name);
  double v;

  *out = 0;
  if (n == NULL && !required)
    return TRUE;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n)
      || (json_node_get_value_type (n) != G_TYPE_INT64
          && json_node_get_value_type (n) != G_TYPE_DOUBLE))
    return yg_field_error_set (error, name, "%s%s: a number is %s", prefix, name,
                               n == NULL ? "required" : "expected");
  v = json_node_get_double (n);
  if (!isfinite (v) || v < 0 || v > max)
    return yg_field_error_set (error, name, "%s%s: must be from 0 to %g", prefix, name, max);
  *out = v;
  return TRUE;
}

static gboolean
id (JsonObject *o, const char *name, guint min, guint max, char **out, const char *prefix,
    GError **error)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING
      || !yg_heartbeat_input_is_id (json_node_get_string (n), min, max))
    return yg_field_error_set (error, name, "%s%s: %u to %u of A-Z a-z 0-9 _ - are required",
                               prefix, name, min, max);
  *out = g_strdup (json_node_get_string (n));
  return TRUE;
}

/* A partner's embed token: verified by the route, only its shape here. */
static gboolean
embed_token (JsonObject *o, char **out, const char *prefix, GError **error)
{
  JsonNode *n = json_object_get_member (o, "embed");
  const char *s;

  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return yg_field_error_set (error, "embed", "%sembed: must be a string", prefix);
  s = json_node_get_string (n);
  if (strlen (s) < 1 || strlen (s) > 200 || strspn (s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                        "abcdefghijklmnopqrstuvwxyz._-")
                                                 != strlen (s))
    return yg_field_error_set (error, "embed", "%sembed: an embed token is 1 to 200 of "
                                               "A-Z a-z 0-9 . _ -", prefix);
  *out = g_strdup (s);
  return TRUE;
}

static YgHeartbeat *
parse_one (JsonNode *node, gint64 now_ms, gint64 user_id, const char *prefix, GError **error)
{
  static const char *const keys[] = { "viewer", "session", "item", "event", "position", "age",
                                      "community", "embed", NULL };
  g_autoptr (YgHeartbeat) h = g_new0 (YgHeartbeat, 1);
  g_autoptr (GError) local = NULL;
  g_autofree char *event = NULL;
  JsonObject *o;
  double age;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      yg_field_error_set (error, prefix, "%san event must be a JSON object", prefix);
      return NULL;
    }
  o = json_node_get_object (node);
  if (!yg_demand_input_check_keys (o, keys, &local)
      || !id (o, "viewer", 16, 64, &h->viewer, prefix, &local)
      || !id (o, "session", 8, 64, &h->session, prefix, &local)
      || !id (o, "item", 1, 64, &h->item_id, prefix, &local)
      || !id (o, "event", 3, 5, &event, prefix, &local)
      || !number (o, "position", TRUE, 1e7, &h->position, prefix, &local)
      || !number (o, "age", FALSE, YG_HEARTBEAT_MAX_AGE, &age, prefix, &local)
      || !yg_demand_input_text (o, "community", FALSE, 64, FALSE, &h->community, &local)
      || (json_object_has_member (o, "embed") && !embed_token (o, &h->embed, prefix, &local)))
    {
      g_autofree char *field = g_strdup_printf ("%s%s", prefix,
                                                yg_field_error_get_field (local) ?: "");
      yg_field_error_set (error, field, "%s", local->message);
      return NULL;
    }
  h->event = yg_heartbeat_event_from_string (event);
  if (h->event == YG_HEARTBEAT_INVALID)
    {
      g_autofree char *field = g_strdup_printf ("%sevent", prefix);
      yg_field_error_set (error, field, "%sevent: must be start, tick, pause, seek or end",
                          prefix);
      return NULL;
    }
  h->at_ms = now_ms - (gint64) (age * 1000);
  h->user_id = user_id;
  return g_steal_pointer (&h);
}

/**
 * yg_heartbeat_input_parse:
 * @now_ms: the server's time of receipt, unix milliseconds
 * @user_id: the signed-in account, or 0
 *
 * Returns: (transfer full) (element-type YgHeartbeat): the events
 */
GPtrArray *
yg_heartbeat_input_parse (JsonNode *root, gint64 now_ms, gint64 user_id, GError **error)
{
  g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_heartbeat_free);

  if (JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *a = json_node_get_array (root);
      guint n = json_array_get_length (a);

      if (n == 0 || n > YG_HEARTBEAT_MAX_BATCH)
        {
          yg_field_error_set (error, "body", "A batch holds 1 to %u events, not %u",
                              YG_HEARTBEAT_MAX_BATCH, n);
          return NULL;
        }
      for (guint i = 0; i < n; i++)
        {
          g_autofree char *prefix = g_strdup_printf ("[%u].", i);
          YgHeartbeat *h = parse_one (json_array_get_element (a, i), now_ms, user_id, prefix, error);

          if (h == NULL)
            return NULL;
          g_ptr_array_add (events, h);
        }
    }
  else
    {
      YgHeartbeat *h = parse_one (root, now_ms, user_id, "", error);

      if (h == NULL)
        return NULL;
      g_ptr_array_add (events, h);
    }
  return g_steal_pointer (&events);
}

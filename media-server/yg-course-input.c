/* yg-course-input.c: strict parsing of course and outline bodies.
 *
 * A course body has title (required on create), description, teacher,
 * level (beginner | intermediate | advanced), cover_item (an item id or
 * null), visibility (public | residents | unlisted | staff) and
 * completion_threshold (a number from 0.5 to 1.0). An outline body is
 * {"chapters":[{"title":…,"lessons":["<item id>",…]},…]}. Unknown keys,
 * wrong types, bad text and a lesson listed twice are YG_FIELD_ERROR naming
 * the field ("chapters[1].lessons[0]"); what needs the catalogue (the item
 * exists, is a lesson, is in no other course) is checked by the store.
 * Thread: any (pure functions).
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-course-input.h"

#include <math.h>

#include "yg-field-error.h"
#include "yg-item-input.h"

#define MAX_ITEM_ID 64

static gboolean
is_string (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

static gboolean
is_number (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node)
         && (json_node_get_value_type (node) == G_TYPE_INT64
             || json_node_get_value_type (node) == G_TYPE_DOUBLE);
}

/* A text value; NULL allowed only when @nullable. */
static gboolean
text (JsonNode *node, const char *field, guint max, gboolean multiline, gboolean nullable,
      gboolean nonblank, char **out, GError **error)
{
  const char *s;

  *out = NULL;
  if (JSON_NODE_HOLDS_NULL (node) && nullable)
    return TRUE;
  if (!is_string (node))
    return yg_field_error_set (error, field, "\"%s\" must be a string%s", field,
                               nullable ? " or null" : "");
  s = json_node_get_string (node);
  if (!yg_item_input_check_text (s, field, max, multiline, error))
    return FALSE;
  if (nonblank)
    {
      g_autofree char *copy = g_strstrip (g_strdup (s));
      if (copy[0] == '\0')
        return yg_field_error_set (error, field, "\"%s\" cannot be empty", field);
    }
  *out = g_strdup (s);
  return TRUE;
}

/**
 * yg_course_input_parse:
 * @create: title required, unset fields take their defaults
 *
 * Returns: (transfer full): the values, with their set bits
 */
YgCourse *
yg_course_input_parse (JsonObject *obj, gboolean create, GError **error)
{
  g_autoptr (YgCourse) c = yg_course_new ();
  g_autoptr (GList) members = json_object_get_members (obj);

  for (GList *m = members; m != NULL; m = m->next)
    {
      const char *key = m->data;
      JsonNode *v = json_object_get_member (obj, key);
      gboolean ok;

      if (g_str_equal (key, "title"))
        ok = text (v, key, YG_INPUT_MAX_TITLE, FALSE, FALSE, TRUE, &c->title, error),
        c->set |= YG_COURSE_TITLE;
      else if (g_str_equal (key, "description"))
        {
          ok = text (v, key, YG_INPUT_MAX_DESCRIPTION, TRUE, TRUE, FALSE, &c->description, error);
          if (ok && c->description == NULL)
            c->description = g_strdup ("");
          c->set |= YG_COURSE_DESCRIPTION;
        }
      else if (g_str_equal (key, "teacher"))
        {
          ok = text (v, key, YG_INPUT_MAX_NAME, FALSE, TRUE, FALSE, &c->teacher, error);
          if (ok && c->teacher == NULL)
            c->teacher = g_strdup ("");
          c->set |= YG_COURSE_TEACHER;
        }
      else if (g_str_equal (key, "level"))
        {
          ok = text (v, key, 32, FALSE, FALSE, TRUE, &c->level, error);
          if (ok && !yg_course_level_is_valid (c->level))
            ok = yg_field_error_set (error, key,
                                     "\"level\" must be beginner, intermediate or advanced");
          c->set |= YG_COURSE_LEVEL;
        }
      else if (g_str_equal (key, "cover_item"))
        ok = text (v, key, MAX_ITEM_ID, FALSE, TRUE, TRUE, &c->cover_item, error),
        c->set |= YG_COURSE_COVER_ITEM;
      else if (g_str_equal (key, "visibility"))
        {
          g_autofree char *s = NULL;
          ok = text (v, key, 32, FALSE, FALSE, TRUE, &s, error);
          if (ok)
            {
              c->visibility = yg_visibility_from_string (s);
              if (c->visibility == YG_VISIBILITY_INVALID)
                ok = yg_field_error_set (error, key, "\"visibility\" must be public, residents,"
                                                     " unlisted or staff");
            }
          c->set |= YG_COURSE_VISIBILITY;
        }
      else if (g_str_equal (key, "completion_threshold"))
        {
          ok = is_number (v) && isfinite (json_node_get_double (v))
               && json_node_get_double (v) >= 0.5 && json_node_get_double (v) <= 1.0;
          if (ok)
            c->threshold = json_node_get_double (v);
          else
            yg_field_error_set (error, key,
                                "\"completion_threshold\" must be a number from 0.5 to 1.0");
          c->set |= YG_COURSE_THRESHOLD;
        }
      else
        ok = yg_field_error_set (error, key, "Unknown field \"%s\"", key);
      if (!ok)
        return NULL;
    }
  if (create && c->title == NULL)
    {
      yg_field_error_set (error, "title", "\"title\" is required");
      return NULL;
    }
  if (!create && c->set == 0)
    {
      yg_field_error_set (error, "body", "The body changes nothing");
      return NULL;
    }
  return g_steal_pointer (&c);
}

/**
 * yg_course_input_parse_outline:
 *
 * Returns: (transfer full) (element-type YgCourseChapter): the chapters
 */
GPtrArray *
yg_course_input_parse_outline (JsonObject *obj, GError **error)
{
  g_autoptr (GPtrArray) chapters
      = g_ptr_array_new_with_free_func ((GDestroyNotify) yg_course_chapter_free);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GList) members = json_object_get_members (obj);
  JsonNode *node;
  JsonArray *a;
  guint total = 0;

  for (GList *m = members; m != NULL; m = m->next)
    if (!g_str_equal (m->data, "chapters"))
      {
        yg_field_error_set (error, m->data, "Unknown field \"%s\"", (const char *) m->data);
        return NULL;
      }
  node = json_object_get_member (obj, "chapters");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      yg_field_error_set (error, "chapters", "\"chapters\" must be an array");
      return NULL;
    }
  a = json_node_get_array (node);
  if (json_array_get_length (a) > YG_INPUT_MAX_COURSE_CHAPTERS)
    {
      yg_field_error_set (error, "chapters", "\"chapters\" has more than %d entries",
                          YG_INPUT_MAX_COURSE_CHAPTERS);
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *cn = json_array_get_element (a, i);
      g_autofree char *cf = g_strdup_printf ("chapters[%u]", i);
      g_autoptr (GList) keys = NULL;
      g_autofree char *title = NULL;
      YgCourseChapter *ch;
      JsonObject *co;
      JsonNode *ln, *tn;
      JsonArray *la;

      if (!JSON_NODE_HOLDS_OBJECT (cn))
        {
          yg_field_error_set (error, cf, "\"%s\" must be an object", cf);
          return NULL;
        }
      co = json_node_get_object (cn);
      keys = json_object_get_members (co);
      for (GList *k = keys; k != NULL; k = k->next)
        if (!g_str_equal (k->data, "title") && !g_str_equal (k->data, "lessons"))
          {
            g_autofree char *f = g_strdup_printf ("%s.%s", cf, (const char *) k->data);
            yg_field_error_set (error, f, "Unknown field \"%s\"", f);
            return NULL;
          }
      {
        g_autofree char *tf = g_strdup_printf ("%s.title", cf);
        tn = json_object_get_member (co, "title");
        if (tn == NULL)
          {
            yg_field_error_set (error, tf, "\"%s\" is required", tf);
            return NULL;
          }
        if (!text (tn, tf, YG_INPUT_MAX_TITLE, FALSE, FALSE, TRUE, &title, error))
          return NULL;
      }
      ch = yg_course_chapter_new (title);
      g_ptr_array_add (chapters, ch);
      ln = json_object_get_member (co, "lessons");
      if (ln == NULL || !JSON_NODE_HOLDS_ARRAY (ln))
        {
          g_autofree char *lf = g_strdup_printf ("%s.lessons", cf);
          yg_field_error_set (error, lf, "\"%s\" must be an array of item ids", lf);
          return NULL;
        }
      la = json_node_get_array (ln);
      for (guint j = 0; j < json_array_get_length (la); j++)
        {
          g_autofree char *lf = g_strdup_printf ("%s.lessons[%u]", cf, j);
          g_autofree char *id = NULL;
          const char *first;

          if (!text (json_array_get_element (la, j), lf, MAX_ITEM_ID, FALSE, FALSE, TRUE, &id,
                     error))
            return NULL;
          if (++total > YG_INPUT_MAX_COURSE_LESSONS)
            {
              yg_field_error_set (error, lf, "A course has at most %d lessons",
                                  YG_INPUT_MAX_COURSE_LESSONS);
              return NULL;
            }
          first = g_hash_table_lookup (seen, id);
          if (first != NULL)
            {
              yg_field_error_set (error, lf, "\"%s\": lesson \"%s\" is already at %s", lf, id,
                                  first);
              return NULL;
            }
          g_hash_table_insert (seen, g_strdup (id), g_strdup (lf));
          g_ptr_array_add (ch->lessons, yg_course_lesson_new (id));
        }
    }
  return g_steal_pointer (&chapters);
}

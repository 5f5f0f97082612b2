/* fuzz-json-bodies.c: JSON bodies of the write endpoints: item metadata
 * PATCH (yg_item_input_parse_meta, and its answer via yg-meta-json.c),
 * chapters, inheritors, course create/patch and outline
 * (yg-course-input.c), registration, sign-in and progress reports
 * (yg-resident-input.c), all behind the strict body parser
 * (yg_request_form_from_data).
 *
 * The first byte picks the endpoint, the rest is the body. Invariants: a
 * refusal is a GError, never a crash or a NULL without one; accepted values
 * obey the documented rules (chapter starts increasing and finite, user
 * names valid and lower-case, 0 ≤ position ≤ duration ≤ 10⁷); item metadata
 * the server answers for an accepted PATCH, sent back as a PATCH, is
 * accepted and answered the same (for every kind).
 * Thread: the fuzzer's.
 */
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yg-course-input.h"
#include "yg-item-input.h"
#include "yg-meta-json.h"
#include "yg-request.h"
#include "yg-resident-input.h"
#include "yg-user-store.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *const meta_keys[] = {
  "title",  "description",      "language",  "recorded_date", "venue",    "tags",   "troupe",
  "performers", "performance_date", "programme", "project_name",  "category", "level", "region",
  NULL,
};

/* The metadata members of an item answer, for @kind. */
static char *
answer (YgItemMeta *meta, const char *kind)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  g_free (meta->kind);
  meta->kind = g_strdup (kind);
  json_builder_begin_object (b);
  yg_meta_json_add_item (b, meta);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* What the server answers for an accepted patch, sent back, is accepted and answered the same. */
static void
round_trip (YgItemMeta *meta)
{
  static const char *const kinds[] = { "performance", "heritage", "lesson" };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autofree char *first = answer (meta, kinds[k]);
      g_autoptr (JsonParser) p = json_parser_new ();
      g_autoptr (JsonObject) back = json_object_new ();
      g_autoptr (YgItemMeta) again = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *second = NULL;
      JsonObject *o;

      if (!json_parser_load_from_data (p, first, -1, NULL))
        abort ();
      o = json_node_get_object (json_parser_get_root (p));
      for (guint i = 0; meta_keys[i] != NULL; i++)
        if (json_object_has_member (o, meta_keys[i]))
          json_object_set_member (back, meta_keys[i],
                                  json_node_copy (json_object_get_member (o, meta_keys[i])));
      again = yg_item_input_parse_meta (back, NULL, &error);
      if (again == NULL)
        {
          g_printerr ("answer %s refused: %s\n", first, error->message);
          abort ();
        }
      second = answer (again, kinds[k]);
      if (strcmp (first, second) != 0)
        {
          g_printerr ("answer changed:\n%s\n%s\n", first, second);
          abort ();
        }
    }
}

static void
check_chapters (GArray *chapters)
{
  for (guint i = 0; i < chapters->len; i++)
    {
      const YgChapter *c = &g_array_index (chapters, YgChapter, i);
      if (!isfinite (c->start) || c->start < 0 || c->title == NULL
          || (i > 0 && !(c->start > g_array_index (chapters, YgChapter, i - 1).start)))
        abort ();
    }
}

static void
resident (guint which, const char *body, gsize len)
{
  static const char *const registration[] = { "username", "phone", "password", "display_name",
                                               NULL };
  static const char *const sign_in[] = { "username", "phone", "password", NULL };
  g_autoptr (JsonNode) owner = NULL;
  g_autoptr (GError) error = NULL;
  const char *field = NULL;
  JsonObject *form
      = yg_request_form_from_data (body, len, &owner, which == 0 ? registration : sign_in, &field,
                                   &error);

  if (form == NULL)
    {
      if (error == NULL)
        abort ();
      return;
    }
  if (which == 0)
    {
      g_autoptr (YgRegistration) r = yg_resident_input_registration (form, &field, &error);
      if (r == NULL)
        {
          if (error == NULL)
            abort ();
          return;
        }
      g_autofree char *lower = g_ascii_strdown (r->username, -1);
      if (!r->by_phone
          && (!yg_user_name_is_valid (r->username) || strcmp (r->username, lower) != 0))
        abort ();
      if (*r->display_name == '\0' || g_ascii_isspace (*r->display_name)
          || g_utf8_strlen (r->password, -1) < 8)
        abort ();
    }
  else
    {
      const char *username, *phone, *password;
      if (yg_resident_input_sign_in (form, &username, &phone, &password, &field, &error)
          && ((username == NULL) == (phone == NULL) || password == NULL))
        abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) error = NULL;
  const char *body = (const char *) data + 1;
  JsonObject *obj;
  guint which;

  if (size == 0)
    return 0;
  which = data[0] % 10;
  if (which >= 8)
    {
      resident (which - 8, body, size - 1);
      return 0;
    }
  if (!json_parser_load_from_data (parser, body, size - 1, NULL)
      || json_parser_get_root (parser) == NULL
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return 0;
  obj = json_node_get_object (json_parser_get_root (parser));
  switch (which)
    {
    case 0:
      {
        g_autoptr (YgItemMeta) meta
            = yg_item_input_parse_meta (obj, (const char *[]){ "visibility", NULL }, &error);
        if (meta != NULL)
          round_trip (meta);
        else if (error == NULL)
          abort ();
        break;
      }
    case 1:
      {
        g_autoptr (GArray) chapters = yg_item_input_parse_chapters (obj, &error);
        if (chapters != NULL)
          check_chapters (chapters);
        else if (error == NULL)
          abort ();
        break;
      }
    case 2:
    case 3:
      {
        g_autoptr (YgInheritor) h = yg_item_input_parse_inheritor (obj, which == 2, &error);
        if (h == NULL && error == NULL)
          abort ();
        break;
      }
    case 4:
    case 5:
      {
        g_autoptr (YgCourse) c = yg_course_input_parse (obj, which == 4, &error);
        if (c == NULL && error == NULL)
          abort ();
        if (c != NULL && which == 4 && (c->title == NULL || *c->title == '\0'))
          abort ();
        break;
      }
    case 6:
      {
        g_autoptr (GPtrArray) outline = yg_course_input_parse_outline (obj, &error);
        if (outline == NULL && error == NULL)
          abort ();
        break;
      }
    default:
      {
        double position = -1, duration = -1;
        if (yg_resident_input_progress (obj, &position, &duration, &error))
          {
            if (!isfinite (position) || !isfinite (duration) || position < 0
                || position > duration || duration <= 0 || duration > 1e7)
              abort ();
          }
        else if (error == NULL)
          abort ();
        break;
      }
    }
  return 0;
}

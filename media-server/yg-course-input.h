/* yg-course-input.h: JSON bodies of the course routes, parsed and validated. */
#pragma once

#include <json-glib/json-glib.h>

#include "yg-course-store.h"

G_BEGIN_DECLS

#define YG_INPUT_MAX_COURSE_CHAPTERS 100
#define YG_INPUT_MAX_COURSE_LESSONS 500 /* in the whole course */

YgCourse *yg_course_input_parse (JsonObject *obj, gboolean create, GError **error);
GPtrArray *yg_course_input_parse_outline (JsonObject *obj, GError **error);

G_END_DECLS

/* yg-demand-input.h: JSON bodies of the request, lecturer and rating routes, parsed and
 * validated. */
#pragma once

#include <json-glib/json-glib.h>

#include "yg-demand-store.h"
#include "yg-lecturer-store.h"
#include "yg-rating-store.h"

G_BEGIN_DECLS

#define YG_INPUT_MAX_COMMENT 2000
#define YG_INPUT_MAX_COMMUNITY 64
#define YG_INPUT_MAX_REASON 500

YgDemand *yg_demand_input_parse (JsonObject *obj, GError **error);
YgDemand *yg_demand_input_parse_answer (JsonObject *obj, GError **error);
YgLecturer *yg_demand_input_parse_lecturer (JsonObject *obj, gboolean create, GError **error);
YgRating *yg_demand_input_parse_rating (JsonObject *obj, GError **error);
gboolean yg_demand_input_parse_moderation (JsonObject *obj, gboolean *hidden, char **reason,
                                           GError **error);
gboolean yg_demand_input_check_keys (JsonObject *obj, const char *const *allowed, GError **error);
gboolean yg_demand_input_text (JsonObject *obj, const char *name, gboolean required, guint max,
                               gboolean multiline, char **out, GError **error);

G_END_DECLS

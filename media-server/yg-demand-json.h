/* yg-demand-json.h: requests, lecturers and ratings as JSON documents. */
#pragma once

#include <json-glib/json-glib.h>

#include "yg-demand-store.h"
#include "yg-lecturer-store.h"
#include "yg-rating-store.h"

G_BEGIN_DECLS

JsonNode *yg_demand_json (const YgDemand *d, guint threshold, gboolean staff);
JsonNode *yg_demand_json_lecturer (const YgLecturer *l);
JsonNode *yg_demand_json_rating (const YgRating *r, gboolean staff);
JsonNode *yg_demand_json_rating_summary (const YgRatingSummary *s);

G_END_DECLS

/* yg-meta-json.h: item metadata and inheritors as JSON documents. */
#pragma once

#include <json-glib/json-glib.h>

#include "yg-inheritor-store.h"
#include "yg-item-meta.h"

G_BEGIN_DECLS

void yg_meta_json_add_item (JsonBuilder *b, const YgItemMeta *meta);
JsonNode *yg_meta_json_inheritor (const YgInheritor *inheritor);

G_END_DECLS

/* yg-item-input.h: JSON request bodies of the metadata routes, parsed and validated. */
#pragma once

#include <json-glib/json-glib.h>

#include "yg-inheritor-store.h"
#include "yg-item-meta.h"

G_BEGIN_DECLS

/* Limits, in Unicode characters (not bytes). */
#define YG_INPUT_MAX_TITLE 200
#define YG_INPUT_MAX_DESCRIPTION 20000
#define YG_INPUT_MAX_NAME 100 /* a person, a venue line, a region */
#define YG_INPUT_MAX_LINE 200 /* venue, troupe, project name */
#define YG_INPUT_MAX_TAG 32
#define YG_INPUT_MAX_TAGS 32
#define YG_INPUT_MAX_PEOPLE 100 /* performers of an item or a piece */
#define YG_INPUT_MAX_PIECES 200 /* programme */
#define YG_INPUT_MAX_CHAPTERS 500
#define YG_INPUT_MAX_SECONDS 1e7

YgItemMeta *yg_item_input_parse_meta (JsonObject *obj, const char *const *caller_keys,
                                      GError **error);
GArray *yg_item_input_parse_chapters (JsonObject *obj, GError **error);
YgInheritor *yg_item_input_parse_inheritor (JsonObject *obj, gboolean create, GError **error);

gboolean yg_item_input_check_text (const char *value, const char *field, guint max_chars,
                                   gboolean multiline, GError **error);
gboolean yg_item_input_check_date (const char *value, const char *field, GError **error);

G_END_DECLS

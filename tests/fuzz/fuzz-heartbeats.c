/* fuzz-heartbeats.c: the player-event body parser (yg_heartbeat_input_parse),
 * the one JSON parser that anonymous clients reach in bulk.
 *
 * Invariants checked on every input that json-glib accepts: the parser
 * either refuses it with a YG_FIELD_ERROR that names a field, or returns 1
 * to YG_HEARTBEAT_MAX_BATCH events, each with ids of the allowed alphabet
 * and length, a known event, and a finite position from 0 to 10^7.
 */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "yg-field-error.h"
#include "yg-heartbeat-input.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) events = NULL;

  /* as yg_request_parse_json_body: refused before the parser when there is no root */
  if (size > YG_HEARTBEAT_MAX_BODY
      || !json_parser_load_from_data (parser, (const char *) data, size, NULL)
      || json_parser_get_root (parser) == NULL)
    return 0;
  events = yg_heartbeat_input_parse (json_parser_get_root (parser), 1790812800000, 0, &error);
  if (events == NULL)
    {
      if (error == NULL || error->domain != YG_FIELD_ERROR || yg_field_error_get_field (error) == NULL)
        abort ();
      return 0;
    }
  if (error != NULL || events->len == 0 || events->len > YG_HEARTBEAT_MAX_BATCH)
    abort ();
  for (guint i = 0; i < events->len; i++)
    {
      YgHeartbeat *h = events->pdata[i];

      if (!yg_heartbeat_input_is_id (h->viewer, 16, 64) || !yg_heartbeat_input_is_id (h->session, 8, 64)
          || !yg_heartbeat_input_is_id (h->item_id, 1, 64) || h->event >= YG_HEARTBEAT_INVALID
          || !isfinite (h->position) || h->position < 0 || h->position > 1e7
          || h->at_ms > 1790812800000 || h->at_ms < 1790812800000 - YG_HEARTBEAT_MAX_AGE * 1000)
        abort ();
    }
  return 0;
}

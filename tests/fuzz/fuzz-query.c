/* fuzz-query.c: query strings: the generic decoder (yg_request_decode_query),
 * id paging (after, limit: yg_request_page_params), the search parameters
 * (yg_search_params_parse) and the search cursor (yg_search_cursor_decode).
 *
 * The input is a raw query string. Invariants: paging accepts only
 * 1 ≤ limit ≤ 100 and after ≥ 0; an accepted search has 1 ≤ limit ≤ 100,
 * a q of at most YG_SEARCH_MAX_QUERY_CHARS characters, UTF-8 strings without
 * control characters, from ≤ to; a cursor that decodes encodes back to a
 * cursor that decodes to the same values.
 * Thread: the fuzzer's.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yg-field-error.h"
#include "yg-request.h"
#include "yg-search-params.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_text (const char *s)
{
  if (s == NULL)
    return;
  if (!g_utf8_validate (s, -1, NULL))
    abort ();
  for (const char *p = s; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      abort ();
}

static void
check_cursor (const char *text)
{
  for (guint i = 0; i < 2; i++)
    {
      char sort = i == 0 ? 'd' : 'r';
      YgSearchCursor c = { 0 }, again = { 0 };
      g_autofree char *encoded = NULL;

      if (!yg_search_cursor_decode (text, sort, &c, NULL))
        continue;
      if (c.sort != sort || c.doc < 1 || c.score < 0)
        abort ();
      encoded = yg_search_cursor_encode (&c);
      if (!yg_search_cursor_decode (encoded, sort, &again, NULL) || again.doc != c.doc
          || again.score != c.score)
        abort ();
    }
}

/* A list that also filters (as the analytics and request lists do). */
static const char *const filters[] = { "status", "kind", NULL };

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *raw = g_strndup ((const char *) data, size);
  g_autoptr (GHashTable) query = yg_request_decode_query (raw);
  g_autoptr (YgSearchParams) search = NULL;
  g_autoptr (GError) error = NULL;
  gint64 after = -1;
  guint limit = 0;

  if (yg_request_page_params (query, 24, "an id", filters, &after, &limit, &error))
    {
      if (after < 0 || limit < 1 || limit > 100)
        abort ();
    }
  else if (error == NULL || error->domain != YG_FIELD_ERROR)
    abort ();
  g_clear_error (&error);

  search = yg_search_params_parse (raw, &error);
  if (search != NULL)
    {
      const YgSearchQuery *q = &search->query;
      if (q->limit < 1 || q->limit > 100)
        abort ();
      if (q->q != NULL && g_utf8_strlen (q->q, -1) > YG_SEARCH_MAX_QUERY_CHARS)
        abort ();
      check_text (q->q);
      check_text (q->region);
      check_text (q->tag);
      check_text (q->cursor);
      if (q->from != NULL && q->to != NULL && strcmp (q->from, q->to) > 0)
        abort ();
      if (q->cursor != NULL)
        check_cursor (q->cursor);
    }
  else if (error == NULL)
    abort ();
  check_cursor (raw);
  return 0;
}

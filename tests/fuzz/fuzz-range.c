/* fuzz-range.c: the Range header parser (yg_http_parse_range).
 *
 * Invariants checked on every input: a result of YG_RANGE_OK always names
 * a non-empty range inside the file (start <= end < size), for sizes 0, 1,
 * a small and a huge file.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

#include "yg-http-file.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const guint64 sizes[] = { 0, 1, 1500000, G_GUINT64_CONSTANT (1) << 40 };
  g_autofree char *text = g_strndup ((const char *) data, size);

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      guint64 start = 0, end = 0;
      if (yg_http_parse_range (text, sizes[i], &start, &end) == YG_RANGE_OK
          && !(start <= end && end < sizes[i]))
        abort ();
    }
  return 0;
}

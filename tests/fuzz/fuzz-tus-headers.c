/* fuzz-tus-headers.c: the tus header parsers (Upload-Offset/Length,
 * Upload-Metadata, Upload-Checksum).
 *
 * Invariants: numbers parse only from pure digit strings and round-trip;
 * parsed metadata has non-empty keys and UTF-8 values; a parsed checksum
 * has a digest of the algorithm's length.
 */
#include <gio/gio.h>
#include <stdint.h>
#include <stdlib.h>

#include "yg-tus.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GHashTable) meta = NULL;
  g_autoptr (GBytes) digest = NULL;
  GChecksumType type;
  guint64 v;

  if (yg_tus_parse_uint (text, &v))
    {
      g_autofree char *back = g_strdup_printf ("%" G_GUINT64_FORMAT, v);
      /* leading zeros are allowed; compare numerically */
      if (g_ascii_strtoull (text, NULL, 10) != v || strlen (back) > strlen (text))
        abort ();
    }
  meta = yg_tus_parse_metadata (text, NULL);
  if (meta != NULL)
    {
      GHashTableIter iter;
      gpointer k, val;
      g_hash_table_iter_init (&iter, meta);
      while (g_hash_table_iter_next (&iter, &k, &val))
        if (((char *) k)[0] == '\0' || !g_utf8_validate (val, -1, NULL))
          abort ();
    }
  if (yg_tus_parse_checksum (text, &type, &digest, NULL))
    if (g_bytes_get_size (digest) != (type == G_CHECKSUM_SHA1 ? 20u : 32u))
      abort ();
  return 0;
}

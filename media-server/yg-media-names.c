/* yg-media-names.c: the grammar of names in /hls/… URLs.
 *
 * Pure functions on decoded path segments, called before any file is
 * looked up (fuzzed by tests/fuzz/fuzz-paths.c). An accepted name is a
 * plain file-name component: never empty, never "." or "..", no '/', no
 * byte outside [a-z0-9.]:
 *   item id   16 characters of [a-z2-7] (the server's base32 ids)
 *   rung      [a-z0-9]{1,16}
 *   segment   segNNNNN.ts (five digits)
 * Thread: any.
 */
#include "yg-media-names.h"

#include <string.h>

gboolean
yg_media_names_item_id_is_valid (const char *id)
{
  if (strlen (id) != 16)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '2' && *p <= '7')))
      return FALSE;
  return TRUE;
}

gboolean
yg_media_names_rung_is_valid (const char *rung)
{
  gsize n = strlen (rung);

  if (n == 0 || n > 16)
    return FALSE;
  for (const char *p = rung; *p; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

gboolean
yg_media_names_is_segment (const char *name)
{
  if (strlen (name) != 11 || !g_str_has_prefix (name, "seg") || !g_str_has_suffix (name, ".ts"))
    return FALSE;
  for (int i = 3; i < 8; i++)
    if (!g_ascii_isdigit (name[i]))
      return FALSE;
  return TRUE;
}

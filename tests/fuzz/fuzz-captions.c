/* fuzz-captions.c: WebVTT captions (yg_captions_validate), caption language
 * tags (yg_captions_lang_is_valid) and the served master playlist with
 * subtitle renditions (yg_captions_master over the input as the
 * transcoder's master playlist).
 *
 * Invariants: accepted captions are UTF-8 without NUL bytes, start with
 * WEBVTT and have a finite, non-negative last cue end; an accepted language
 * is a plain file name (letters, digits, '-'); a master playlist made from
 * any accepted input parses back with one rendition per language.
 * Thread: the fuzzer's.
 */
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yg-captions.h"
#include "yg-playlist.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GPtrArray) langs = g_ptr_array_new ();
  g_autofree char *master = NULL;
  double last_end = -1;

  if (yg_captions_validate ((const char *) data, size, &last_end, NULL))
    {
      if (memchr (data, '\0', size) != NULL
          || !g_utf8_validate_len ((const char *) data, size, NULL)
          || strstr (text, "WEBVTT") == NULL || !isfinite (last_end) || last_end < 0)
        abort ();
    }
  if (yg_captions_lang_is_valid (text))
    {
      if (*text == '\0' || strlen (text) > 64)
        abort ();
      for (const char *p = text; *p; p++)
        if (!g_ascii_isalnum (*p) && *p != '-')
          abort ();
      (void) yg_captions_lang_name (text);
    }
  g_ptr_array_add (langs, (gpointer) "zh-CN");
  g_ptr_array_add (langs, (gpointer) "en");
  master = yg_captions_master (text, langs, NULL);
  if (master != NULL)
    {
      g_autoptr (YgMasterPlaylist) back = yg_master_playlist_parse (master, NULL);
      if (back == NULL || back->renditions->len != langs->len)
        abort ();
    }
  return 0;
}

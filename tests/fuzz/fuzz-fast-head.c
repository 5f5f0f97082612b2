/* fuzz-fast-head.c: the fast path's request-head reader (yg_fast_head_parse).
 *
 * Invariants checked on every input, for a small and the default head
 * limit: a plain head is complete within the limit and the input (it ends
 * with the empty line), starts with "GET /" or "HEAD /", has only CRLF line
 * ends, no folded line, and no header that frames a body or names a caller
 * (Transfer-Encoding, a Content-Length other than 0, Expect, Upgrade,
 * Authorization); its target is visible ASCII; and every prefix of the
 * input ending before the empty line is incomplete or not plain, never
 * plain. Nothing the reader reports leaks (LeakSanitizer in the fuzz build).
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yg-fast-head.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
line_starts_with (const char *line, gsize len, const char *name)
{
  gsize n = strlen (name);

  return len > n && g_ascii_strncasecmp (line, name, n) == 0 && line[n] == ':';
}

static void
check_plain (const uint8_t *data, gsize size, gsize max, const YgFastHead *h)
{
  const char *text = (const char *) data;
  const char *p, *end;

  if (h->head_len > size || h->head_len > max || h->head_len < 4
      || memcmp (text + h->head_len - 4, "\r\n\r\n", 4) != 0)
    abort ();
  if (strncmp (text, h->is_head ? "HEAD /" : "GET /", h->is_head ? 6 : 5) != 0)
    abort ();
  for (const char *t = h->target; *t; t++)
    if (*t <= 0x20 || *t >= 0x7f)
      abort ();
  end = text + h->head_len - 2;
  for (p = text; p < end;)
    {
      const char *eol = memchr (p, '\n', end - p);
      gsize len;

      if (eol == NULL || eol == p || eol[-1] != '\r')
        abort (); /* a bare LF, or no CRLF */
      len = eol - 1 - p;
      if (memchr (p, '\r', len) != NULL || (p != text && (*p == ' ' || *p == '\t')))
        abort ();
      if (line_starts_with (p, len, "transfer-encoding") || line_starts_with (p, len, "expect")
          || line_starts_with (p, len, "upgrade") || line_starts_with (p, len, "authorization"))
        abort ();
      if (line_starts_with (p, len, "content-length"))
        {
          g_autofree char *value = g_strstrip (g_strndup (p + 15, len - 15));
          if (!g_str_equal (value, "0"))
            abort ();
        }
      p = eol + 1;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const gsize limits[] = { 64, 16 * 1024 };

  for (guint i = 0; i < G_N_ELEMENTS (limits); i++)
    {
      YgFastHead h = { 0 };
      YgFastParse r = yg_fast_head_parse (data, size, limits[i], &h);
      gsize plain_len = r == YG_FAST_PLAIN ? h.head_len : 0;

      if (r == YG_FAST_PLAIN)
        check_plain (data, size, limits[i], &h);
      yg_fast_head_clear (&h);
      /* cut before its empty line ends, a plain head is never plain */
      if (plain_len > 0)
        {
          YgFastHead cut = { 0 };
          if (yg_fast_head_parse (data, plain_len - 1, limits[i], &cut) == YG_FAST_PLAIN)
            abort ();
          yg_fast_head_clear (&cut);
        }
    }
  return 0;
}

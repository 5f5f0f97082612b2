/* yg-fast-head.c: the strict HTTP/1.1 request-head reader of the fast path
 * (yg-fast-path.c).
 *
 * It says whether the bytes at the start of a buffer are a complete
 * request head that the fast path may answer itself ("plain"), need more
 * bytes, or are anything else (for libsoup, which has the full rules and
 * the error answers). Plain means all of:
 *   - complete (ends with an empty line) within max_head bytes;
 *   - request line "GET " or "HEAD ", an origin-form target (starts with
 *     '/', visible ASCII only) and " HTTP/1.1", ended by CRLF;
 *   - at most MAX_HEADER_LINES header lines, each a token name, ':', a value
 *     without control characters (tab aside), ended by CRLF: no bare CR or
 *     LF, no obsolete line folding, no empty name;
 *   - no body and nothing that changes how the message is framed or who is
 *     asking: no Transfer-Encoding, Expect, Upgrade or Authorization;
 *     Content-Length only as "0"; Connection only "close" or "keep-alive";
 *   - Host at most once, and Range, If-Range, If-None-Match, Origin and
 *     X-Request-Id (the headers the fast path reads) at most once each.
 * The values of those headers are copied into YgFastHead. Fuzzed by
 * tests/fuzz/fuzz-fast-head.c.
 * Thread: any.
 */
#include "yg-fast-head.h"

#include <string.h>

#define MAX_HEADER_LINES 64

void
yg_fast_head_clear (YgFastHead *h)
{
  g_free (h->target);
  g_free (h->range);
  g_free (h->if_range);
  g_free (h->if_none_match);
  g_free (h->origin);
  g_free (h->request_id);
  memset (h, 0, sizeof *h);
}

static gboolean
is_tchar (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

static gboolean
name_is (const char *name, gsize len, const char *want)
{
  return len == strlen (want) && g_ascii_strncasecmp (name, want, len) == 0;
}

/* Keeps a header's value; FALSE when it was already there. */
static gboolean
keep (char **slot, const char *value, gsize len)
{
  if (*slot != NULL)
    return FALSE;
  *slot = g_strndup (value, len);
  return TRUE;
}

/**
 * yg_fast_head_parse:
 * @buf: (array length=len): bytes received, from the start of a request
 * @max_head: the largest head accepted here
 * @h: (out caller-allocates): zeroed; filled for YG_FAST_PLAIN (and maybe
 *   partly otherwise): clear it with yg_fast_head_clear in every case
 */
YgFastParse
yg_fast_head_parse (const guint8 *buf, gsize len, gsize max_head, YgFastHead *h)
{
  const char *p = (const char *) buf;
  const char *blank = memmem (buf, MIN (len, max_head), "\r\n\r\n", 4);
  const char *end, *target;
  gboolean host = FALSE;
  guint lines = 0;

  if (blank == NULL)
    return len >= max_head ? YG_FAST_OTHER : YG_FAST_INCOMPLETE;
  h->head_len = blank + 4 - p;
  end = blank + 2; /* just after the last line's CRLF */

  if (end - p > 4 && memcmp (p, "GET ", 4) == 0)
    p += 4;
  else if (end - p > 5 && memcmp (p, "HEAD ", 5) == 0)
    {
      h->is_head = TRUE;
      p += 5;
    }
  else
    return YG_FAST_OTHER;
  target = p;
  while (p < end && *p > 0x20 && *p < 0x7f)
    p++;
  if (p == target || *target != '/' || end - p < 11 || memcmp (p, " HTTP/1.1\r\n", 11) != 0)
    return YG_FAST_OTHER;
  h->target = g_strndup (target, p - target);
  p += 11;

  while (p < end)
    {
      const char *eol = memchr (p, '\r', end - p);
      const char *colon = p, *value, *value_end;

      if (eol == NULL || eol[1] != '\n' || ++lines > MAX_HEADER_LINES)
        return YG_FAST_OTHER;
      while (colon < eol && is_tchar (*colon))
        colon++;
      if (colon == p || colon == eol || *colon != ':')
        return YG_FAST_OTHER; /* folded, malformed or an empty name */
      value = colon + 1;
      while (value < eol && (*value == ' ' || *value == '\t'))
        value++;
      value_end = eol;
      while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t'))
        value_end--;
      for (const char *v = value; v < value_end; v++)
        if ((*v < 0x20 && *v != '\t') || *v == 0x7f)
          return YG_FAST_OTHER;

#define IS(n) name_is (p, colon - p, n)
#define VALUE_IS(v) ((gsize) (value_end - value) == strlen (v) \
                     && g_ascii_strncasecmp (value, v, value_end - value) == 0)
      if (IS ("content-length"))
        {
          if (!VALUE_IS ("0"))
            return YG_FAST_OTHER;
        }
      else if (IS ("transfer-encoding") || IS ("expect") || IS ("upgrade") || IS ("authorization"))
        return YG_FAST_OTHER;
      else if (IS ("host"))
        {
          if (host)
            return YG_FAST_OTHER;
          host = TRUE;
        }
      else if (IS ("connection"))
        {
          if (VALUE_IS ("close"))
            h->close = TRUE;
          else if (!VALUE_IS ("keep-alive"))
            return YG_FAST_OTHER;
        }
      else if ((IS ("range") && !keep (&h->range, value, value_end - value))
               || (IS ("if-range") && !keep (&h->if_range, value, value_end - value))
               || (IS ("if-none-match") && !keep (&h->if_none_match, value, value_end - value))
               || (IS ("origin") && !keep (&h->origin, value, value_end - value))
               || (IS ("x-request-id") && !keep (&h->request_id, value, value_end - value)))
        return YG_FAST_OTHER;
#undef IS
#undef VALUE_IS
      p = eol + 2;
    }
  return YG_FAST_PLAIN;
}

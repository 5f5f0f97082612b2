/* yg-html-meta.c: the only place where user text (titles, descriptions) is
 * written into HTML by the server.
 *
 * The pages are fixed files whose scripts fill them from the API; share
 * cards (Open Graph, used by WeChat and other link previews) and oEmbed
 * discovery must be in the HTML itself, so this module builds <meta> and
 * <link> tags and puts them right before </head>. Every value goes through
 * yg_html_meta_escape: & < > " ' become character references, control
 * characters (newlines included) become spaces, invalid UTF-8 is replaced,
 * and the text is cut at a character boundary. Values only ever appear in
 * double-quoted attributes. No script is added, so the pages' CSP
 * (script-src 'self') stays as it is.
 * Thread: any (pure functions).
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-html-meta.h"

#include <string.h>

#define SITE_NAME "云馆"
#define MAX_TITLE 200
#define MAX_DESCRIPTION 300
#define MAX_URL 2048

/**
 * yg_html_meta_escape:
 * @max_chars: at most this many characters of @text are kept
 *
 * Appends @text to @out, safe inside a double- or single-quoted attribute
 * and in element content.
 */
void
yg_html_meta_escape (GString *out, const char *text, gsize max_chars)
{
  g_autofree char *valid = g_utf8_make_valid (text != NULL ? text : "", -1);
  gsize n = 0;

  for (const char *p = valid; *p != '\0' && n < max_chars; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      switch (c)
        {
        case '&':
          g_string_append (out, "&amp;");
          break;
        case '<':
          g_string_append (out, "&lt;");
          break;
        case '>':
          g_string_append (out, "&gt;");
          break;
        case '"':
          g_string_append (out, "&quot;");
          break;
        case '\'':
          g_string_append (out, "&#39;");
          break;
        default:
          if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029)
            g_string_append_c (out, ' ');
          else
            g_string_append_unichar (out, c);
        }
    }
}

static void
meta (GString *out, const char *attr, const char *name, const char *value, gsize max)
{
  if (value == NULL || value[0] == '\0')
    return;
  g_string_append_printf (out, "  <meta %s=\"%s\" content=\"", attr, name);
  yg_html_meta_escape (out, value, max);
  g_string_append (out, "\">\n");
}

/**
 * yg_html_meta_tags:
 *
 * Returns: (transfer full): the tags, one a line
 */
char *
yg_html_meta_tags (const YgHtmlMeta *m)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (m->title != NULL && m->url != NULL, NULL);
  meta (out, "property", "og:site_name", SITE_NAME, MAX_TITLE);
  meta (out, "property", "og:type", m->type != NULL ? m->type : "website", 40);
  meta (out, "property", "og:title", m->title, MAX_TITLE);
  meta (out, "property", "og:description", m->description, MAX_DESCRIPTION);
  meta (out, "name", "description", m->description, MAX_DESCRIPTION);
  meta (out, "property", "og:url", m->url, MAX_URL);
  meta (out, "property", "og:image", m->image, MAX_URL);
  meta (out, "name", "twitter:card", m->image != NULL ? "summary_large_image" : "summary", 40);
  if (m->oembed != NULL)
    {
      g_string_append (out, "  <link rel=\"alternate\" type=\"application/json+oembed\" href=\"");
      yg_html_meta_escape (out, m->oembed, MAX_URL);
      g_string_append (out, "\" title=\"");
      yg_html_meta_escape (out, m->title, MAX_TITLE);
      g_string_append (out, "\">\n");
    }
  return g_string_free (out, FALSE);
}

/**
 * yg_html_meta_inject:
 *
 * Returns: (transfer full): @page with @tags right before its first
 *   "</head>" (the page unchanged when it has none)
 */
GBytes *
yg_html_meta_inject (const char *page, gsize length, const char *tags)
{
  const char *head = g_strstr_len (page, length, "</head>");
  GString *out;

  if (head == NULL)
    return g_bytes_new (page, length);
  out = g_string_sized_new (length + strlen (tags));
  g_string_append_len (out, page, head - page);
  g_string_append (out, tags);
  g_string_append_len (out, head, length - (head - page));
  return g_string_free_to_bytes (out);
}

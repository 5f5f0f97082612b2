/* yg-html-meta.h: share-card and discovery tags put into a page's <head>, escaped. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *title;        /* required */
  const char *description;  /* nullable */
  const char *url;          /* absolute URL of the page */
  const char *image;        /* nullable: absolute URL of the poster */
  const char *type;         /* og:type: video.other, website, … */
  const char *oembed;       /* nullable: absolute URL of the page's oEmbed JSON */
} YgHtmlMeta;

void yg_html_meta_escape (GString *out, const char *text, gsize max_chars);
char *yg_html_meta_tags (const YgHtmlMeta *meta);
GBytes *yg_html_meta_inject (const char *page, gsize length, const char *tags);

G_END_DECLS

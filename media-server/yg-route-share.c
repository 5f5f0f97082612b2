/* yg-route-share.c: pages that carry share cards, and oEmbed.
 *
 *   GET /items/{id}, /courses/{id}   the fixed page plus Open Graph tags (and, for
 *                                    items, oEmbed discovery) of a public or
 *                                    unlisted item / a public course
 *   GET /oembed?url=&format=json&maxwidth=&maxheight=   oEmbed 1.0, type video
 *
 * Only what an anonymous caller may see is ever written into a page or an
 * oEmbed answer: a residents-only or staff item (or a missing one) gets the
 * plain page and a 404 from oEmbed, like the API. The text goes through
 * yg-html-meta.c's escaping; links are absolute (yg_request_public_base).
 * oEmbed accepts this server's /items/<id> and /embed/<id> URLs only (same
 * host as the links it makes); format=xml is 501 as the spec asks. The page
 * file and the poster's size are read on the DB thread with the row, so the
 * main loop never waits on the disk.
 * Thread: main thread; rows and files on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include <string.h>

#include "yg-course-store.h"
#include "yg-html-meta.h"
#include "yg-http-error.h"
#include "yg-item-store.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-server.h"

#define EMBED_WIDTH 640
#define EMBED_HEIGHT 360
#define MAX_DIMENSION 8192

typedef struct
{
  char *web_dir;
  char *data_dir;
  char *file;        /* the page, relative to web_dir */
  char *item_id;     /* items */
  gint64 course_id;  /* courses */
  /* results */
  GBytes *page;
  YgItem *item;      /* NULL unless anonymous callers may see it */
  YgCourse *course;  /* likewise */
  guint poster_w, poster_h;
} Share;

static void
share_free (Share *s)
{
  g_free (s->web_dir);
  g_free (s->data_dir);
  g_free (s->file);
  g_free (s->item_id);
  g_clear_pointer (&s->page, g_bytes_unref);
  g_clear_pointer (&s->item, yg_item_free);
  g_clear_pointer (&s->course, yg_course_free);
  g_free (s);
}

/* Width and height from a JPEG's start-of-frame marker; FALSE if not found. */
static gboolean
jpeg_size (const char *path, guint *w, guint *h)
{
  g_autofree guint8 *data = NULL;
  gsize len = 0, i = 2;
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = g_file_read (file, NULL, NULL);
  gsize max = 256 * 1024;

  if (in == NULL)
    return FALSE;
  data = g_malloc (max);
  if (!g_input_stream_read_all (G_INPUT_STREAM (in), data, max, &len, NULL, NULL) || len < 4
      || data[0] != 0xff || data[1] != 0xd8)
    return FALSE;
  while (i + 9 < len)
    {
      guint marker, seg;

      if (data[i] != 0xff)
        return FALSE;
      marker = data[i + 1];
      seg = (data[i + 2] << 8) | data[i + 3];
      if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc)
        {
          *h = (data[i + 5] << 8) | data[i + 6];
          *w = (data[i + 7] << 8) | data[i + 8];
          return *w > 0 && *h > 0;
        }
      i += 2 + seg;
    }
  return FALSE;
}

static gboolean
anonymous_may_see (YgVisibility v)
{
  return v == YG_VISIBILITY_PUBLIC || v == YG_VISIBILITY_UNLISTED;
}

static gpointer
load_share (YgDbConn *conn, gpointer data, GError **error)
{
  Share *s = data, *r = g_new0 (Share, 1);
  g_autoptr (GError) local = NULL;

  if (s->file != NULL)
    {
      g_autofree char *path = g_build_filename (s->web_dir, s->file, NULL);
      char *text;
      gsize len;

      if (!g_file_get_contents (path, &text, &len, error))
        {
          share_free (r);
          return NULL;
        }
      r->page = g_bytes_new_take (text, len);
    }
  if (s->item_id != NULL)
    {
      r->item = yg_item_store_get (conn, s->item_id, &local);
      if (r->item != NULL && !anonymous_may_see (r->item->visibility))
        g_clear_pointer (&r->item, yg_item_free);
      if (r->item != NULL && r->item->has_poster)
        {
          g_autofree char *poster = g_build_filename (s->data_dir, "media", r->item->id,
                                                      "poster.jpg", NULL);
          if (!jpeg_size (poster, &r->poster_w, &r->poster_h))
            r->poster_w = r->poster_h = 0;
        }
    }
  else if (s->course_id > 0)
    {
      r->course = yg_course_store_get (conn, s->course_id, FALSE, &local);
      if (r->course != NULL && r->course->visibility != YG_VISIBILITY_PUBLIC)
        g_clear_pointer (&r->course, yg_course_free);
    }
  if (local != NULL && !g_error_matches (local, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      share_free (r);
      return NULL;
    }
  return r;
}

static Share *
new_share (YgServer *server, const char *file)
{
  const YgConfig *config = yg_server_get_config (server);
  Share *s = g_new0 (Share, 1);

  s->web_dir = g_strdup (config->web_dir);
  s->data_dir = g_strdup (config->data_dir);
  s->file = g_strdup (file);
  return s;
}

/* --- pages ------------------------------------------------------------------------------------ */

static char *
poster_url (YgServer *server, const char *base, const YgItem *item)
{
  g_autofree char *dir = NULL;

  if (item == NULL || !item->has_poster)
    return NULL;
  if (item->remote_hls != NULL) /* a subscribed item's poster is on its origin */
    return g_strdup (item->remote_poster);
  dir = yg_route_items_media_base (server, item->id, item->visibility);
  return g_strconcat (base, dir, "poster.jpg", NULL);
}

static void
page_loaded (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (SoupServerMessage) msg = data;
  YgRequest *req = yg_request_get (msg);
  g_autoptr (GError) error = NULL;
  Share *r = yg_db_run_finish (YG_DB (source), res, &error);
  g_autofree char *base = yg_request_public_base (req);
  g_autofree char *tags = NULL, *page_url = NULL, *image = NULL, *oembed = NULL;
  g_autoptr (GBytes) body = NULL;
  YgHtmlMeta m = { 0 };

  if (r == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  if (base != NULL && r->item != NULL)
    {
      g_autofree char *escaped = NULL;

      page_url = g_strdup_printf ("%s/items/%s", base, r->item->id);
      escaped = g_uri_escape_string (page_url, NULL, FALSE);
      oembed = g_strdup_printf ("%s/oembed?format=json&url=%s", base, escaped);
      image = poster_url (req->server, base, r->item);
      m = (YgHtmlMeta){ r->item->title, r->item->description, page_url, image, "video.other",
                        oembed };
    }
  else if (base != NULL && r->course != NULL)
    {
      page_url = g_strdup_printf ("%s/courses/%" G_GINT64_FORMAT, base, r->course->id);
      if (r->course->cover_item != NULL && r->course->cover_has_poster
          && r->course->cover_visibility == YG_VISIBILITY_PUBLIC)
        image = g_strdup_printf ("%s/hls/%s/poster.jpg", base, r->course->cover_item);
      m = (YgHtmlMeta){ r->course->title, r->course->description, page_url, image, "website", NULL };
    }
  if (m.title != NULL)
    {
      gsize len;
      const char *text = g_bytes_get_data (r->page, &len);

      tags = yg_html_meta_tags (&m);
      body = yg_html_meta_inject (text, len, tags);
    }
  else
    body = g_bytes_ref (r->page);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-cache");
  yg_request_respond_bytes (req, 200, "text/html; charset=utf-8", body);
  share_free (r);
}

/* Serves @file with the share tags of the item or course (security headers set by the caller). */
void
yg_route_share_page (YgServer *server, YgRequest *req, const char *file, gboolean course)
{
  Share *s = new_share (server, file);

  if (!course)
    s->item_id = g_strdup (yg_request_param (req, 0));
  else if (!g_ascii_string_to_signed (yg_request_param (req, 0), 10, 1, G_MAXINT64, &s->course_id,
                                      NULL))
    s->course_id = 0; /* the page itself says the course does not exist */
  yg_request_pause (req);
  yg_db_run_async (yg_server_get_db (server), load_share, s, (GDestroyNotify) share_free,
                   (GDestroyNotify) share_free, NULL, page_loaded, g_object_ref (req->msg));
}

/* --- oEmbed ----------------------------------------------------------------------------------- */

typedef struct
{
  SoupServerMessage *msg;
  char *base;
  guint width, height;
} OEmbed;

static void
oembed_free (OEmbed *o)
{
  g_clear_object (&o->msg);
  g_free (o->base);
  g_free (o);
}

static void
oembed_loaded (GObject *source, GAsyncResult *res, gpointer data)
{
  OEmbed *o = data;
  YgRequest *req = yg_request_get (o->msg);
  g_autoptr (GError) error = NULL;
  Share *r = yg_db_run_finish (YG_DB (source), res, &error);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GString) html = g_string_new ("<iframe src=\"");
  g_autofree char *src = NULL, *image = NULL, *provider = NULL;

  if (r != NULL && r->item == NULL)
    g_set_error_literal (&error, YG_HTTP_ERROR, YG_HTTP_ERROR_NOT_FOUND,
                         "No public item at this address");
  if (error != NULL)
    {
      yg_request_respond_error (req, error);
      g_clear_pointer (&r, share_free);
      oembed_free (o);
      return;
    }
  src = g_strdup_printf ("%s/embed/%s", o->base, r->item->id);
  yg_html_meta_escape (html, src, 2048);
  g_string_append_printf (html, "\" width=\"%u\" height=\"%u\" title=\"", o->width, o->height);
  yg_html_meta_escape (html, r->item->title, 200);
  g_string_append (html, "\" frameborder=\"0\" allow=\"autoplay; fullscreen; picture-in-picture\" "
                         "allowfullscreen></iframe>");
  provider = g_strdup_printf ("%s/", o->base);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, "1.0");
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "video");
  json_builder_set_member_name (b, "provider_name");
  json_builder_add_string_value (b, "云馆");
  json_builder_set_member_name (b, "provider_url");
  json_builder_add_string_value (b, provider);
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, r->item->title);
  json_builder_set_member_name (b, "html");
  json_builder_add_string_value (b, html->str);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, o->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, o->height);
  json_builder_set_member_name (b, "cache_age");
  json_builder_add_int_value (b, 300);
  image = poster_url (req->server, o->base, r->item);
  if (image != NULL && r->poster_w > 0)
    {
      json_builder_set_member_name (b, "thumbnail_url");
      json_builder_add_string_value (b, image);
      json_builder_set_member_name (b, "thumbnail_width");
      json_builder_add_int_value (b, r->poster_w);
      json_builder_set_member_name (b, "thumbnail_height");
      json_builder_add_int_value (b, r->poster_h);
    }
  json_builder_end_object (b);
  soup_message_headers_replace (soup_server_message_get_response_headers (o->msg), "Cache-Control",
                                "public, max-age=300");
  yg_request_respond_json (req, 200, json_builder_get_root (b));
  share_free (r);
  oembed_free (o);
}

static gboolean
dimension (GHashTable *query, const char *name, guint *out)
{
  const char *v = g_hash_table_lookup (query, name);
  guint64 n;

  if (v == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (v, 10, 1, MAX_DIMENSION, &n, NULL))
    return FALSE;
  *out = (guint) n;
  return TRUE;
}

/* The item id of one of this server's /items/<id> or /embed/<id> URLs, or NULL. */
static char *
item_from_url (const char *url, const char *base)
{
  g_autoptr (GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  g_autoptr (GUri) ours = g_uri_parse (base, G_URI_FLAGS_NONE, NULL);
  const char *path, *id;

  if (uri == NULL || ours == NULL
      || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0
          && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
      || g_uri_get_host (uri) == NULL
      || g_ascii_strcasecmp (g_uri_get_host (uri), g_uri_get_host (ours)) != 0
      || g_uri_get_port (uri) != g_uri_get_port (ours) || g_uri_get_userinfo (uri) != NULL)
    return NULL;
  path = g_uri_get_path (uri);
  if (g_str_has_prefix (path, "/items/"))
    id = path + 7;
  else if (g_str_has_prefix (path, "/embed/"))
    id = path + 7;
  else
    return NULL;
  if (id[0] == '\0' || strlen (id) > 64)
    return NULL;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return NULL;
  return g_strdup (id);
}

void
yg_route_oembed (YgServer *server, YgRequest *req)
{
  GHashTable *query = yg_request_query (req);
  const char *format = g_hash_table_lookup (query, "format");
  guint maxw = EMBED_WIDTH, maxh = EMBED_HEIGHT;
  g_autofree char *base = yg_request_public_base (req);
  g_autofree char *id = NULL;
  Share *s;
  OEmbed *o;

  if (format != NULL && !g_str_equal (format, "json"))
    {
      g_autoptr (GError) error = g_error_new_literal (YG_HTTP_ERROR, YG_HTTP_ERROR_NOT_IMPLEMENTED,
                                                      "Only format=json is served");
      yg_request_respond_error (req, error);
      return;
    }
  if (!dimension (query, "maxwidth", &maxw) || !dimension (query, "maxheight", &maxh))
    {
      yg_request_fail (req, YG_HTTP_ERROR_BAD_REQUEST,
                       "maxwidth and maxheight must be whole numbers from 1 to %d", MAX_DIMENSION);
      return;
    }
  if (base == NULL)
    {
      yg_request_fail (req, YG_HTTP_ERROR_BAD_REQUEST, "The request has no usable Host");
      return;
    }
  id = item_from_url (g_hash_table_lookup (query, "url"), base);
  if (id == NULL)
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND,
                       "url must be an item page (%s/items/<id>) or embed address of this server",
                       base);
      return;
    }
  o = g_new0 (OEmbed, 1);
  o->msg = g_object_ref (req->msg);
  o->base = g_steal_pointer (&base);
  /* the largest 16:9 frame within the bounds */
  o->width = MIN (EMBED_WIDTH, maxw);
  o->height = o->width * 9 / 16;
  if (o->height > maxh)
    {
      o->height = maxh;
      o->width = MAX (1, maxh * 16 / 9);
    }
  o->height = MAX (1, o->height);
  s = new_share (server, NULL);
  s->item_id = g_steal_pointer (&id);
  yg_request_pause (req);
  yg_db_run_async (yg_server_get_db (server), load_share, s, (GDestroyNotify) share_free,
                   (GDestroyNotify) share_free, NULL, oembed_loaded, o);
}

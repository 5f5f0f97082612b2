/* yg-route-media.c: /hls/<item>/…: playlists, segments, poster, thumbnails.
 *
 * Only names from a fixed grammar are served (master.m3u8, poster.jpg,
 * storyboard.jpg, thumbnails.vtt at the item level; index.m3u8 and
 * segNNNNN.ts in a rung directory whose name is [a-z0-9]{1,16}); anything
 * else is 404 before the filesystem is touched, and the item id must have
 * the server's id shape. Paths are built from those checked parts only.
 * Caching: segments are immutable; a VOD playlist (with ENDLIST) is cached
 * for minutes, a growing EVENT playlist must be revalidated every time.
 * Thread: main thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-http-error.h"
#include "yg-http-file.h"
#include "yg-routes.h"
#include "yg-server.h"

static gboolean
valid_item_id (const char *id)
{
  if (strlen (id) != 16)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '2' && *p <= '7')))
      return FALSE;
  return TRUE;
}

static gboolean
valid_rung (const char *rung)
{
  gsize n = strlen (rung);

  if (n == 0 || n > 16)
    return FALSE;
  for (const char *p = rung; *p; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

static gboolean
is_segment_name (const char *name)
{
  if (strlen (name) != 11 || !g_str_has_prefix (name, "seg") || !g_str_has_suffix (name, ".ts"))
    return FALSE;
  for (int i = 3; i < 8; i++)
    if (!g_ascii_isdigit (name[i]))
      return FALSE;
  return TRUE;
}

/* A playlist still growing must not be cached; a finished one may. */
static const char *
playlist_cache_control (const char *path)
{
  g_autofree char *text = NULL;
  gsize len;

  if (!g_file_get_contents (path, &text, &len, NULL))
    return "no-cache";
  return strstr (text, "#EXT-X-ENDLIST") != NULL ? "public, max-age=300" : "no-cache";
}

static void
serve (YgServer *server, YgRequest *req, const char *item, const char *rung, const char *name)
{
  g_autofree char *root = g_build_filename (yg_server_get_config (server)->data_dir, "media", NULL);
  g_autofree char *rel = NULL;
  g_autofree char *path = NULL;
  const char *type, *cache;

  if (!valid_item_id (item) || (rung != NULL && !valid_rung (rung)))
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No such media");
      return;
    }
  rel = rung != NULL ? g_strdup_printf ("%s/%s/%s", item, rung, name)
                     : g_strdup_printf ("%s/%s", item, name);
  path = g_build_filename (root, rel, NULL);
  if (rung != NULL && g_str_equal (name, "index.m3u8"))
    {
      type = "application/vnd.apple.mpegurl";
      cache = playlist_cache_control (path);
    }
  else if (rung != NULL && is_segment_name (name))
    {
      type = "video/mp2t";
      cache = "public, max-age=31536000, immutable";
    }
  else if (rung == NULL && g_str_equal (name, "master.m3u8"))
    {
      type = "application/vnd.apple.mpegurl";
      cache = "no-cache"; /* its variants' BANDWIDTH is rewritten when the job ends */
    }
  else if (rung == NULL && (g_str_equal (name, "poster.jpg") || g_str_equal (name, "storyboard.jpg")))
    {
      type = "image/jpeg";
      cache = "public, max-age=3600";
    }
  else if (rung == NULL && g_str_equal (name, "thumbnails.vtt"))
    {
      type = "text/vtt; charset=utf-8";
      cache = "public, max-age=3600";
    }
  else
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No such media");
      return;
    }
  yg_http_serve_file (req, root, rel, type, cache);
}

void
yg_route_hls_item_file (YgServer *server, YgRequest *req)
{
  serve (server, req, yg_request_param (req, 0), NULL, yg_request_param (req, 1));
}

void
yg_route_hls_rung_file (YgServer *server, YgRequest *req)
{
  serve (server, req, yg_request_param (req, 0), yg_request_param (req, 1),
         yg_request_param (req, 2));
}

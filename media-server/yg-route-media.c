/* yg-route-media.c: /hls/<item>/…: playlists, segments, poster, thumbnails.
 *
 * Only names from a fixed grammar are served (master.m3u8, poster.jpg,
 * storyboard.jpg, thumbnails.vtt at the item level; index.m3u8 and
 * segNNNNN.ts in a rung directory whose name is [a-z0-9]{1,16}; <lang>.vtt
 * and <lang>.m3u8 in captions/, lang checked by yg-captions.c); anything
 * else is 404 before the filesystem is touched, and the item id must have
 * the server's id shape. Paths are built from those checked parts only.
 * Captions (yg-captions.c): when media/<item>/captions/ holds caption files,
 * master.m3u8 is served as the transcoder wrote it plus one subtitle
 * rendition per language, and captions/<lang>.m3u8 is made on request;
 * both go through the same access rules as every other file here.
 * Types and caching of each kind of file: yg-media-names.c.
 * Access: /hls/<item>/… serves public items only; any other item, and an
 * item the catalogue does not know, is 404 there, so a guessed URL never
 * reaches a hidden item's files. The item's visibility comes from a small
 * cache (VISIBILITY_TTL seconds; PATCH clears its entry), so a public
 * segment costs no database round trip once the cache is warm.
 * /hls/t/<token>/<item>/… (auth class playback-token, checked by the server
 * before the handler runs) serves any item its token was signed for, with
 * private caching that never outlives the token.
 * Behind nginx (--accel-redirect PREFIX, docs/operations.md), a file that
 * may be served is answered with an empty body and X-Accel-Redirect:
 * PREFIX<item>/…, and nginx sends it from its internal location; the
 * headers decided here (type, caching) go with it. Generated playlists
 * (captions) are still sent from here.
 * Thread: main or a delivery thread (yg-server.c), whichever serves the
 * request; the visibility is read on the DB thread, and its cache is shared
 * under the server's lock.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-captions.h"
#include "yg-http-error.h"
#include "yg-http-file.h"
#include "yg-item-store.h"
#include "yg-media-names.h"
#include "yg-route-media.h"
#include "yg-routes.h"
#include "yg-server.h"

/* Sends the file @rel below @root, or lets nginx send it (--accel-redirect). */
static void
send_file (YgRequest *req, const char *root, const char *rel, const char *type, const char *cache)
{
  const char *prefix = yg_server_get_config (req->server)->accel_redirect;
  SoupMessageHeaders *h;
  g_autofree char *target = NULL;

  if (g_str_equal (prefix, "none"))
    {
      yg_http_serve_file (req, root, rel, type, cache);
      return;
    }
  h = soup_server_message_get_response_headers (req->msg);
  target = g_strconcat (prefix, rel, NULL); /* both from checked parts only */
  soup_message_headers_replace (h, "X-Accel-Redirect", target);
  soup_message_headers_replace (h, "Cache-Control", cache);
  soup_message_headers_set_content_type (h, type, NULL);
  soup_message_headers_set_content_length (h, 0);
  yg_request_respond_bytes (req, 200, NULL, NULL);
}

static const char *
playlist_cache_control (const char *path)
{
  g_autofree char *text = NULL;
  gsize len;

  if (!g_file_get_contents (path, &text, &len, NULL))
    return "no-cache";
  return yg_media_names_playlist_cache (text, len);
}

#define VISIBILITY_TTL 5 /* seconds */
#define VISIBILITY_CACHE_MAX 4096

typedef struct
{
  YgVisibility visibility; /* INVALID: no such item */
  gint64 until_us;
} CacheEntry;

static char *
token_cache_control (const char *cache, gint64 expires_at)
{
  return yg_media_names_token_cache (cache, expires_at, g_get_real_time () / G_USEC_PER_SEC);
}

/* Answers generated text (a playlist) with the caching a file would have. */
static void
respond_text (YgRequest *req, const char *type, const char *cache, char *text)
{
  g_autoptr (GBytes) body = g_bytes_new_take (text, strlen (text));

  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Cache-Control", cache);
  yg_request_respond_bytes (req, 200, type, body);
}

/* The master playlist, with subtitle renditions when the item has captions. */
static void
serve_master (YgRequest *req, const char *root, const char *rel, const char *item,
              const char *cache)
{
  g_autofree char *dir = g_build_filename (root, item, NULL);
  g_autoptr (GPtrArray) langs = yg_captions_list (dir);
  g_autofree char *path = NULL, *text = NULL;
  g_autoptr (GError) error = NULL;
  char *master;

  if (langs->len == 0)
    {
      send_file (req, root, rel, "application/vnd.apple.mpegurl", cache);
      return;
    }
  path = g_build_filename (root, rel, NULL);
  if (!g_file_get_contents (path, &text, NULL, &error)
      || (master = yg_captions_master (text, langs, &error)) == NULL)
    {
      g_warning ("Serving %s with captions: %s", rel, error->message);
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No such media");
      return;
    }
  respond_text (req, "application/vnd.apple.mpegurl", cache, master);
}

/* captions/<lang>.vtt (the file) or captions/<lang>.m3u8 (made here). */
static void
serve_caption (YgRequest *req, const char *root, const char *item, const char *name,
               gint64 token_expires_at)
{
  g_autofree char *lang = NULL, *private_cache = NULL;
  const char *cache = "no-cache"; /* captions change when staff upload them again */
  gboolean vtt = g_str_has_suffix (name, ".vtt");

  if (!vtt && !g_str_has_suffix (name, ".m3u8"))
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No such media");
      return;
    }
  lang = g_strndup (name, strlen (name) - (vtt ? 4 : 5));
  if (!yg_captions_lang_is_valid (lang))
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No such media");
      return;
    }
  if (token_expires_at > 0)
    cache = private_cache = token_cache_control (cache, token_expires_at);
  if (vtt)
    {
      g_autofree char *rel = g_strdup_printf ("%s/captions/%s", item, name);
      send_file (req, root, rel, "text/vtt; charset=utf-8", cache);
    }
  else
    {
      g_autofree char *dir = g_build_filename (root, item, NULL);
      g_autoptr (GError) error = NULL;
      char *playlist = yg_captions_media_playlist (dir, lang, &error);

      if (playlist == NULL)
        yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No such media");
      else
        respond_text (req, "application/vnd.apple.mpegurl", cache, playlist);
    }
}

static void
serve (YgServer *server, YgRequest *req, const char *item, const char *rung, const char *name,
       gint64 token_expires_at)
{
  g_autofree char *private_cache = NULL;
  g_autofree char *root = g_build_filename (yg_server_get_config (server)->data_dir, "media", NULL);
  g_autofree char *rel = NULL;
  g_autofree char *path = NULL;
  const char *type, *cache;
  YgMediaFile kind;

  if (!yg_media_names_item_id_is_valid (item)
      || (rung != NULL && !yg_media_names_rung_is_valid (rung)))
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No such media");
      return;
    }
  if (rung != NULL && g_str_equal (rung, "captions"))
    {
      serve_caption (req, root, item, name, token_expires_at);
      return;
    }
  rel = rung != NULL ? g_strdup_printf ("%s/%s/%s", item, rung, name)
                     : g_strdup_printf ("%s/%s", item, name);
  path = g_build_filename (root, rel, NULL);
  kind = yg_media_names_classify (rung, name, &type, &cache);
  if (kind == YG_MEDIA_FILE_NONE)
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No such media");
      return;
    }
  if (kind == YG_MEDIA_FILE_PLAYLIST)
    cache = playlist_cache_control (path);
  if (token_expires_at > 0)
    cache = private_cache = token_cache_control (cache, token_expires_at);
  if (kind == YG_MEDIA_FILE_MASTER)
    serve_master (req, root, rel, item, cache);
  else
    send_file (req, root, rel, type, cache);
}

/* Serves the request's file if the item is public; else 404. */
static void
serve_if_public (YgServer *server, YgRequest *req, YgVisibility visibility)
{
  guint n = req->params->len;

  if (visibility != YG_VISIBILITY_PUBLIC)
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No such media");
      return;
    }
  serve (server, req, yg_request_param (req, 0), n == 3 ? yg_request_param (req, 1) : NULL,
         yg_request_param (req, n - 1), 0);
}

static gpointer
load_visibility (YgDbConn *conn, gpointer data, GError **error)
{
  g_autoptr (GError) local = NULL;
  YgVisibility v = yg_item_store_get_visibility (conn, data, &local);

  if (local != NULL && !g_error_matches (local, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return GINT_TO_POINTER (v + 1); /* never NULL: NULL means an error */
}

/**
 * yg_media_visibility_load:
 *
 * Reads @item's visibility on the DB thread; @callback runs in the
 * caller's thread-default context and calls yg_media_visibility_finish.
 */
void
yg_media_visibility_load (YgServer *server, const char *item, GAsyncReadyCallback callback,
                          gpointer data)
{
  yg_db_run_async (yg_server_get_db (server), load_visibility, g_strdup (item), g_free, NULL, NULL,
                   callback, data);
}

/**
 * yg_media_visibility_finish:
 * @visibility: (out): YG_VISIBILITY_INVALID when there is no such item
 *
 * Keeps the answer in the cache for a few seconds.
 */
gboolean
yg_media_visibility_finish (YgServer *server, const char *item, GAsyncResult *res,
                            YgVisibility *visibility, GError **error)
{
  gpointer r = yg_db_run_finish (yg_server_get_db (server), res, error);
  GHashTable *cache;
  CacheEntry *e;

  if (r == NULL)
    return FALSE;
  *visibility = GPOINTER_TO_INT (r) - 1;
  cache = yg_server_lock_visibility_cache (server);
  if (g_hash_table_size (cache) >= VISIBILITY_CACHE_MAX)
    g_hash_table_remove_all (cache); /* entries live seconds: refilling is cheap */
  e = g_new0 (CacheEntry, 1);
  e->visibility = *visibility;
  e->until_us = g_get_monotonic_time () + VISIBILITY_TTL * G_USEC_PER_SEC;
  g_hash_table_replace (cache, g_strdup (item), e);
  yg_server_unlock_visibility_cache (server);
  return TRUE;
}

static void
visibility_loaded (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (SoupServerMessage) msg = data;
  YgRequest *req = yg_request_get (msg);
  g_autoptr (GError) error = NULL;
  YgVisibility visibility;

  if (!yg_media_visibility_finish (req->server, yg_request_param (req, 0), res, &visibility,
                                   &error))
    yg_request_respond_error (req, error);
  else
    serve_if_public (req->server, req, visibility);
}

/**
 * yg_media_visibility_cached:
 *
 * Returns: FALSE when @item's visibility is not cached or stale
 */
gboolean
yg_media_visibility_cached (YgServer *server, const char *item, YgVisibility *visibility)
{
  CacheEntry *e = g_hash_table_lookup (yg_server_lock_visibility_cache (server), item);
  gboolean fresh = e != NULL && e->until_us > g_get_monotonic_time ();

  if (fresh)
    *visibility = e->visibility;
  yg_server_unlock_visibility_cache (server);
  return fresh;
}

static void
serve_public (YgServer *server, YgRequest *req)
{
  const char *item = yg_request_param (req, 0);
  YgVisibility visibility;

  if (g_str_equal (item, "t")) /* /hls/t/<item>/<name>: a signed URL without its token */
    {
      yg_request_fail (req, YG_HTTP_ERROR_FORBIDDEN, "This playback address has no token");
      return;
    }
  if (!yg_media_names_item_id_is_valid (item))
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No such media");
      return;
    }
  if (yg_media_visibility_cached (server, item, &visibility))
    {
      serve_if_public (server, req, visibility);
      return;
    }
  yg_request_pause (req);
  yg_media_visibility_load (server, item, visibility_loaded, g_object_ref (req->msg));
}

void
yg_route_hls_item_file (YgServer *server, YgRequest *req)
{
  serve_public (server, req);
}

void
yg_route_hls_rung_file (YgServer *server, YgRequest *req)
{
  serve_public (server, req);
}

/* The server verified the token (params: token, item, [rung,] name). */
static gint64
token_expiry (YgRequest *req)
{
  return g_ascii_strtoll (yg_request_param (req, 0), NULL, 10);
}

void
yg_route_hls_token_item_file (YgServer *server, YgRequest *req)
{
  serve (server, req, yg_request_param (req, 1), NULL, yg_request_param (req, 2),
         token_expiry (req));
}

void
yg_route_hls_token_rung_file (YgServer *server, YgRequest *req)
{
  serve (server, req, yg_request_param (req, 1), yg_request_param (req, 2),
         yg_request_param (req, 3), token_expiry (req));
}

/* yg-media-names.c: the grammar of names in /hls/… URLs, and what each
 * kind of file is sent as (type and caching; both HLS paths use this).
 *
 * Pure functions on decoded path segments, called before any file is
 * looked up (fuzzed by tests/fuzz/fuzz-paths.c). An accepted name is a
 * plain file-name component: never empty, never "." or "..", no '/', no
 * byte outside [a-z0-9.]:
 *   item id   16 characters of [a-z2-7] (the server's base32 ids)
 *   rung      [a-z0-9]{1,16}
 *   segment   segNNNNN.ts (five digits)
 * Caching: segments are immutable; a VOD playlist (with ENDLIST) is cached
 * for minutes, a growing EVENT playlist must be revalidated every time, and
 * so must master.m3u8 (its BANDWIDTH values are rewritten when the job
 * ends); behind a playback token, "private" and never beyond its expiry.
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

/**
 * yg_media_names_classify:
 * @rung: (nullable): the rung directory, NULL for an item-level file
 * @content_type: (out): the Content-Type to send
 * @cache_control: (out): the Cache-Control; NULL for a playlist, whose
 *   caching depends on its text (yg_media_names_playlist_cache)
 *
 * For names already checked by the grammar above (captions/ aside).
 */
YgMediaFile
yg_media_names_classify (const char *rung, const char *name, const char **content_type,
                         const char **cache_control)
{
  *content_type = *cache_control = NULL;
  if (rung != NULL && g_str_equal (name, "index.m3u8"))
    {
      *content_type = "application/vnd.apple.mpegurl";
      return YG_MEDIA_FILE_PLAYLIST;
    }
  if (rung != NULL && yg_media_names_is_segment (name))
    {
      *content_type = "video/mp2t";
      *cache_control = "public, max-age=31536000, immutable";
      return YG_MEDIA_FILE_OTHER;
    }
  if (rung != NULL)
    return YG_MEDIA_FILE_NONE;
  if (g_str_equal (name, "master.m3u8"))
    {
      *content_type = "application/vnd.apple.mpegurl";
      *cache_control = "no-cache";
      return YG_MEDIA_FILE_MASTER;
    }
  if (g_str_equal (name, "poster.jpg") || g_str_equal (name, "storyboard.jpg"))
    {
      *content_type = "image/jpeg";
      *cache_control = "public, max-age=3600";
      return YG_MEDIA_FILE_OTHER;
    }
  if (g_str_equal (name, "thumbnails.vtt"))
    {
      *content_type = "text/vtt; charset=utf-8";
      *cache_control = "public, max-age=3600";
      return YG_MEDIA_FILE_OTHER;
    }
  return YG_MEDIA_FILE_NONE;
}

/* A playlist still growing must not be cached; a finished one may. */
const char *
yg_media_names_playlist_cache (const char *text, gsize len)
{
  return g_strstr_len (text, len, "#EXT-X-ENDLIST") != NULL ? "public, max-age=300" : "no-cache";
}

/**
 * yg_media_names_token_cache:
 * @expires_at: the playback token's expiry (Unix seconds)
 *
 * Returns: (transfer full): @cache_control for a token URL: "private"
 *   caching bounded by the token's lifetime
 */
char *
yg_media_names_token_cache (const char *cache_control, gint64 expires_at, gint64 now)
{
  gint64 left = expires_at - now;
  const char *age = strstr (cache_control, "max-age=");
  gint64 max_age = age != NULL ? g_ascii_strtoll (age + 8, NULL, 10) : 0;

  if (age == NULL || left <= 0)
    return g_strdup ("private, no-cache");
  return g_strdup_printf ("private, max-age=%" G_GINT64_FORMAT, MIN (max_age, left));
}

/* yg-playlist.c: HLS media and master playlists (RFC 8216) as plain values.
 *
 * Pure code: no GObject, no GStreamer, no I/O. The writer turns a value into
 * the exact text to publish; the parser reads it back (tests check
 * invariants with it; it ignores tags it does not know, as clients must).
 * Invariants of the writer: durations are whole milliseconds, so EXTINF
 * (3 decimals) says exactly what is stored; TARGETDURATION = max (lower
 * bound, every EXTINF rounded to the nearest integer) (4.3.3.1), the bound
 * (the segment length) keeping it constant while an EVENT playlist grows
 * (6.2.1); MEDIA-SEQUENCE 0; EXT-X-VERSION 3 (decimal EXTINF); ENDLIST on
 * VOD playlists only. A master playlist may carry subtitle renditions
 * (EXT-X-MEDIA TYPE=SUBTITLES, written before the variants) that variants
 * name in SUBTITLES. Thread: any; values are not shared.
 */
#define G_LOG_DOMAIN "yg-transcode"

#include "yg-playlist.h"

#include <string.h>

#define YG_PLAYLIST_VERSION 3

G_DEFINE_QUARK (yg-playlist-error-quark, yg_playlist_error)

static gboolean
uri_is_valid (const char *uri)
{
  return uri != NULL && uri[0] != '\0' && uri[0] != '#' && strpbrk (uri, "\r\n") == NULL;
}

static gboolean
attr_value_is_valid (const char *value)
{
  return value == NULL || strpbrk (value, "\"\r\n") == NULL;
}

static void
segment_clear (gpointer data)
{
  YgSegment *segment = data;

  g_clear_pointer (&segment->uri, g_free);
}

static void
variant_clear (gpointer data)
{
  YgVariant *variant = data;

  g_clear_pointer (&variant->uri, g_free);
  g_clear_pointer (&variant->codecs, g_free);
  g_clear_pointer (&variant->subtitles, g_free);
}

static void
rendition_clear (gpointer data)
{
  YgRendition *r = data;

  g_clear_pointer (&r->group_id, g_free);
  g_clear_pointer (&r->name, g_free);
  g_clear_pointer (&r->language, g_free);
  g_clear_pointer (&r->uri, g_free);
}

/* Rounds to the nearest integer, halves up, as a client rounds the decimal. */
static guint64
round_ms_to_s (guint64 ms)
{
  return (ms + 500) / 1000;
}

static void
append_milli (GString *out, guint64 milli)
{
  g_string_append_printf (out, "%" G_GUINT64_FORMAT ".%03u", milli / 1000, (guint) (milli % 1000));
}

/* --- media playlists ----------------------------------------------------- */

/**
 * yg_media_playlist_new:
 * @target_duration: lower bound of TARGETDURATION in seconds (the configured
 *   segment length); the written value grows if a segment needs it
 *
 * Returns: (transfer full): an empty EVENT playlist
 */
YgMediaPlaylist *
yg_media_playlist_new (guint target_duration)
{
  YgMediaPlaylist *playlist = g_new0 (YgMediaPlaylist, 1);

  playlist->type = YG_PLAYLIST_TYPE_EVENT;
  playlist->target_duration = target_duration;
  playlist->segments = g_array_new (FALSE, TRUE, sizeof (YgSegment));
  g_array_set_clear_func (playlist->segments, segment_clear);
  return playlist;
}

void
yg_media_playlist_free (YgMediaPlaylist *playlist)
{
  if (playlist == NULL)
    return;
  g_array_unref (playlist->segments);
  g_free (playlist);
}

/**
 * yg_media_playlist_add_segment:
 * @playlist: a playlist
 * @uri: the segment's URI relative to the playlist (no line breaks, not "#…")
 * @duration_ms: its duration in milliseconds
 * @size: its size in bytes (for bandwidth figures)
 *
 * Appends a segment.
 */
void
yg_media_playlist_add_segment (YgMediaPlaylist *playlist,
                               const char      *uri,
                               guint64          duration_ms,
                               guint64          size)
{
  YgSegment segment = { 0 };

  g_return_if_fail (playlist != NULL);
  g_return_if_fail (uri_is_valid (uri));

  segment.uri = g_strdup (uri);
  segment.duration_ms = duration_ms;
  segment.size = size;
  g_array_append_val (playlist->segments, segment);
}

/**
 * yg_media_playlist_get_target_duration:
 * @playlist: a playlist
 *
 * Returns: the TARGETDURATION the writer uses: the lower bound or the longest
 *   EXTINF rounded to the nearest integer, whichever is larger (at least 1)
 */
guint
yg_media_playlist_get_target_duration (const YgMediaPlaylist *playlist)
{
  guint64 target;

  g_return_val_if_fail (playlist != NULL, 0);

  target = MAX (playlist->target_duration, 1);
  for (guint i = 0; i < playlist->segments->len; i++)
    {
      const YgSegment *segment = &g_array_index (playlist->segments, YgSegment, i);
      target = MAX (target, round_ms_to_s (segment->duration_ms));
    }
  return (guint) MIN (target, G_MAXUINT);
}

guint64
yg_media_playlist_get_duration_ms (const YgMediaPlaylist *playlist)
{
  guint64 total = 0;

  g_return_val_if_fail (playlist != NULL, 0);

  for (guint i = 0; i < playlist->segments->len; i++)
    total += g_array_index (playlist->segments, YgSegment, i).duration_ms;
  return total;
}

static guint64
bits_per_second (guint64 bytes, guint64 ms)
{
  if (ms == 0)
    return 0;
  /* Round up: a declared bandwidth must not be below the measured one. */
  return (bytes * 8 * 1000 + ms - 1) / ms;
}

/**
 * yg_media_playlist_get_average_bandwidth:
 * @playlist: a playlist
 *
 * Returns: total size over total duration in bits/s (0 when empty)
 */
guint64
yg_media_playlist_get_average_bandwidth (const YgMediaPlaylist *playlist)
{
  guint64 bytes = 0;

  g_return_val_if_fail (playlist != NULL, 0);

  for (guint i = 0; i < playlist->segments->len; i++)
    bytes += g_array_index (playlist->segments, YgSegment, i).size;
  return bits_per_second (bytes, yg_media_playlist_get_duration_ms (playlist));
}

/**
 * yg_media_playlist_get_peak_bandwidth:
 * @playlist: a playlist
 *
 * The peak segment bit rate of RFC 8216 4.3.4.2: the largest bit rate of any
 * contiguous run of segments whose total duration is between 0.5 and 1.5
 * times the target duration. When no run qualifies (a very short playlist),
 * the average over everything.
 *
 * Returns: bits/s (0 when empty)
 */
guint64
yg_media_playlist_get_peak_bandwidth (const YgMediaPlaylist *playlist)
{
  guint64 target_ms;
  guint64 peak = 0;
  gboolean found = FALSE;
  GArray *segs;

  g_return_val_if_fail (playlist != NULL, 0);

  segs = playlist->segments;
  target_ms = (guint64) yg_media_playlist_get_target_duration (playlist) * 1000;
  for (guint i = 0; i < segs->len; i++)
    {
      guint64 bytes = 0, ms = 0;

      for (guint j = i; j < segs->len; j++)
        {
          const YgSegment *segment = &g_array_index (segs, YgSegment, j);

          bytes += segment->size;
          ms += segment->duration_ms;
          if (2 * ms > 3 * target_ms)
            break;
          if (2 * ms >= target_ms)
            {
              peak = MAX (peak, bits_per_second (bytes, ms));
              found = TRUE;
            }
        }
    }
  return found ? peak : yg_media_playlist_get_average_bandwidth (playlist);
}

/**
 * yg_media_playlist_to_string:
 * @playlist: a playlist
 * @type: %YG_PLAYLIST_TYPE_EVENT while it grows, %YG_PLAYLIST_TYPE_VOD when complete
 *
 * Returns: (transfer full): the playlist text
 */
char *
yg_media_playlist_to_string (const YgMediaPlaylist *playlist, YgPlaylistType type)
{
  GString *out;

  g_return_val_if_fail (playlist != NULL, NULL);
  g_return_val_if_fail (type == YG_PLAYLIST_TYPE_EVENT || type == YG_PLAYLIST_TYPE_VOD, NULL);

  out = g_string_new ("#EXTM3U\n");
  g_string_append_printf (out, "#EXT-X-VERSION:%d\n", YG_PLAYLIST_VERSION);
  g_string_append_printf (out, "#EXT-X-TARGETDURATION:%u\n",
                          yg_media_playlist_get_target_duration (playlist));
  g_string_append_printf (out, "#EXT-X-MEDIA-SEQUENCE:%u\n", playlist->media_sequence);
  g_string_append_printf (out, "#EXT-X-PLAYLIST-TYPE:%s\n",
                          type == YG_PLAYLIST_TYPE_VOD ? "VOD" : "EVENT");
  g_string_append (out, "#EXT-X-INDEPENDENT-SEGMENTS\n");
  for (guint i = 0; i < playlist->segments->len; i++)
    {
      const YgSegment *segment = &g_array_index (playlist->segments, YgSegment, i);

      g_string_append (out, "#EXTINF:");
      append_milli (out, segment->duration_ms);
      g_string_append_printf (out, ",\n%s\n", segment->uri);
    }
  if (type == YG_PLAYLIST_TYPE_VOD)
    g_string_append (out, "#EXT-X-ENDLIST\n");
  return g_string_free (out, FALSE);
}

/* --- parsing helpers ----------------------------------------------------- */

static gboolean
parse_error (GError **error, guint line, const char *what)
{
  g_set_error (error, YG_PLAYLIST_ERROR, YG_PLAYLIST_ERROR_PARSE, "line %u: %s", line, what);
  return FALSE;
}

static gboolean
parse_uint (const char *text, guint64 max, guint64 *out)
{
  return g_ascii_string_to_unsigned (text, 10, 0, max, out, NULL);
}

/* A decimal-floating-point (no sign, no exponent) to thousandths, rounded. */
static gboolean
parse_milli (const char *text, gsize len, guint64 *out)
{
  guint64 whole = 0, frac = 0, scale = 1000;
  gsize i = 0;
  gboolean digits = FALSE;

  for (; i < len && g_ascii_isdigit (text[i]); i++)
    {
      if (whole > G_MAXUINT64 / 100000)
        return FALSE;
      whole = whole * 10 + (guint64) (text[i] - '0');
      digits = TRUE;
    }
  if (i < len && text[i] == '.')
    {
      guint64 rest = 0;

      i++;
      for (; i < len && g_ascii_isdigit (text[i]); i++)
        {
          digits = TRUE;
          if (scale > 1)
            {
              scale /= 10;
              frac += (guint64) (text[i] - '0') * scale;
            }
          else if (scale == 1)
            {
              rest = (guint64) (text[i] - '0'); /* first dropped digit decides rounding */
              scale = 0;
            }
        }
      if (rest >= 5)
        frac++;
    }
  if (!digits || i != len)
    return FALSE;
  *out = whole * 1000 + frac;
  return TRUE;
}

static char **
split_lines (const char *text)
{
  char **lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      gsize n = strlen (lines[i]);
      if (n > 0 && lines[i][n - 1] == '\r')
        lines[i][n - 1] = '\0';
    }
  return lines;
}

static gboolean
check_header (char **lines, GError **error)
{
  const char *first = lines[0] != NULL ? lines[0] : "";

  if (g_str_has_prefix (first, "\xEF\xBB\xBF"))
    first += 3;
  if (!g_str_equal (first, "#EXTM3U"))
    return parse_error (error, 1, "missing #EXTM3U");
  return TRUE;
}

/* --- media playlist parser ----------------------------------------------- */

/**
 * yg_media_playlist_parse:
 * @text: a media playlist
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the playlist, with @target_duration, @version,
 *   @type and @ended as read, or %NULL with @error set
 */
YgMediaPlaylist *
yg_media_playlist_parse (const char *text, GError **error)
{
  g_auto (GStrv) lines = NULL;
  g_autoptr (YgMediaPlaylist) playlist = NULL;
  gboolean have_target = FALSE, pending = FALSE;
  guint64 pending_ms = 0;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  lines = split_lines (text);
  if (!check_header (lines, error))
    return NULL;
  playlist = yg_media_playlist_new (0);
  playlist->type = YG_PLAYLIST_TYPE_NONE;

  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *value;
      guint64 n;

      if (line[0] == '\0')
        continue;
      if (line[0] != '#')
        {
          if (!pending)
            return parse_error (error, i + 1, "URI without #EXTINF"), NULL;
          yg_media_playlist_add_segment (playlist, line, pending_ms, 0);
          pending = FALSE;
          continue;
        }
      if (!g_str_has_prefix (line, "#EXT"))
        continue; /* a comment */
      if (pending && !g_str_has_prefix (line, "#EXT-X-"))
        return parse_error (error, i + 1, "#EXTINF not followed by a URI"), NULL;

      if ((value = g_str_has_prefix (line, "#EXTINF:") ? line + 8 : NULL) != NULL)
        {
          const char *comma = strchr (value, ',');
          gsize len = comma != NULL ? (gsize) (comma - value) : strlen (value);

          if (pending)
            return parse_error (error, i + 1, "two #EXTINF for one URI"), NULL;
          if (!parse_milli (value, len, &pending_ms))
            return parse_error (error, i + 1, "bad #EXTINF duration"), NULL;
          pending = TRUE;
        }
      else if (g_str_has_prefix (line, "#EXT-X-TARGETDURATION:"))
        {
          if (have_target)
            return parse_error (error, i + 1, "duplicate EXT-X-TARGETDURATION"), NULL;
          if (!parse_uint (line + 22, G_MAXUINT, &n))
            return parse_error (error, i + 1, "bad EXT-X-TARGETDURATION"), NULL;
          playlist->target_duration = (guint) n;
          have_target = TRUE;
        }
      else if (g_str_has_prefix (line, "#EXT-X-MEDIA-SEQUENCE:"))
        {
          if (!parse_uint (line + 22, G_MAXUINT, &n))
            return parse_error (error, i + 1, "bad EXT-X-MEDIA-SEQUENCE"), NULL;
          playlist->media_sequence = (guint) n;
        }
      else if (g_str_has_prefix (line, "#EXT-X-VERSION:"))
        {
          if (!parse_uint (line + 15, G_MAXUINT, &n))
            return parse_error (error, i + 1, "bad EXT-X-VERSION"), NULL;
          playlist->version = (guint) n;
        }
      else if (g_str_equal (line, "#EXT-X-PLAYLIST-TYPE:EVENT"))
        playlist->type = YG_PLAYLIST_TYPE_EVENT;
      else if (g_str_equal (line, "#EXT-X-PLAYLIST-TYPE:VOD"))
        playlist->type = YG_PLAYLIST_TYPE_VOD;
      else if (g_str_has_prefix (line, "#EXT-X-PLAYLIST-TYPE:"))
        return parse_error (error, i + 1, "bad EXT-X-PLAYLIST-TYPE"), NULL;
      else if (g_str_equal (line, "#EXT-X-ENDLIST"))
        playlist->ended = TRUE;
      else if (g_str_has_prefix (line, "#EXT-X-STREAM-INF"))
        return parse_error (error, i + 1, "a master playlist, not a media playlist"), NULL;
    }
  if (pending)
    return parse_error (error, g_strv_length (lines), "#EXTINF at the end without a URI"), NULL;
  if (!have_target)
    return parse_error (error, 1, "missing EXT-X-TARGETDURATION"), NULL;
  return g_steal_pointer (&playlist);
}

/* --- master playlists ---------------------------------------------------- */

YgMasterPlaylist *
yg_master_playlist_new (void)
{
  YgMasterPlaylist *playlist = g_new0 (YgMasterPlaylist, 1);

  playlist->independent_segments = TRUE;
  playlist->variants = g_array_new (FALSE, TRUE, sizeof (YgVariant));
  g_array_set_clear_func (playlist->variants, variant_clear);
  playlist->renditions = g_array_new (FALSE, TRUE, sizeof (YgRendition));
  g_array_set_clear_func (playlist->renditions, rendition_clear);
  return playlist;
}

void
yg_master_playlist_free (YgMasterPlaylist *playlist)
{
  if (playlist == NULL)
    return;
  g_array_unref (playlist->variants);
  g_array_unref (playlist->renditions);
  g_free (playlist);
}

/**
 * yg_master_playlist_add_variant:
 * @playlist: a master playlist
 * @variant: a variant stream (copied deeply)
 *
 * Appends a variant stream; they are written in the order added.
 */
void
yg_master_playlist_add_variant (YgMasterPlaylist *playlist, const YgVariant *variant)
{
  YgVariant copy;

  g_return_if_fail (playlist != NULL);
  g_return_if_fail (variant != NULL);
  g_return_if_fail (uri_is_valid (variant->uri));
  g_return_if_fail (attr_value_is_valid (variant->codecs));
  g_return_if_fail (attr_value_is_valid (variant->subtitles));
  g_return_if_fail (variant->bandwidth > 0);

  copy = *variant;
  copy.uri = g_strdup (variant->uri);
  copy.codecs = g_strdup (variant->codecs);
  copy.subtitles = g_strdup (variant->subtitles);
  g_array_append_val (playlist->variants, copy);
}

/**
 * yg_master_playlist_add_rendition:
 * @playlist: a master playlist
 * @rendition: a subtitle rendition (copied deeply)
 *
 * Appends a subtitle rendition; they are written in the order added, before
 * the variants.
 */
void
yg_master_playlist_add_rendition (YgMasterPlaylist *playlist, const YgRendition *rendition)
{
  YgRendition copy;

  g_return_if_fail (playlist != NULL);
  g_return_if_fail (rendition != NULL);
  g_return_if_fail (rendition->group_id != NULL && attr_value_is_valid (rendition->group_id));
  g_return_if_fail (rendition->name != NULL && attr_value_is_valid (rendition->name));
  g_return_if_fail (attr_value_is_valid (rendition->language));
  g_return_if_fail (uri_is_valid (rendition->uri) && attr_value_is_valid (rendition->uri));

  copy = *rendition;
  copy.group_id = g_strdup (rendition->group_id);
  copy.name = g_strdup (rendition->name);
  copy.language = g_strdup (rendition->language);
  copy.uri = g_strdup (rendition->uri);
  g_array_append_val (playlist->renditions, copy);
}

/**
 * yg_master_playlist_to_string:
 * @playlist: a master playlist
 *
 * Returns: (transfer full): the playlist text
 */
char *
yg_master_playlist_to_string (const YgMasterPlaylist *playlist)
{
  GString *out;

  g_return_val_if_fail (playlist != NULL, NULL);

  out = g_string_new ("#EXTM3U\n");
  g_string_append_printf (out, "#EXT-X-VERSION:%d\n", YG_PLAYLIST_VERSION);
  if (playlist->independent_segments)
    g_string_append (out, "#EXT-X-INDEPENDENT-SEGMENTS\n");
  for (guint i = 0; i < playlist->renditions->len; i++)
    {
      const YgRendition *r = &g_array_index (playlist->renditions, YgRendition, i);

      g_string_append_printf (out, "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"%s\",NAME=\"%s\"",
                              r->group_id, r->name);
      if (r->language != NULL)
        g_string_append_printf (out, ",LANGUAGE=\"%s\"", r->language);
      g_string_append_printf (out, ",DEFAULT=%s,AUTOSELECT=%s,URI=\"%s\"\n",
                              r->is_default ? "YES" : "NO", r->autoselect ? "YES" : "NO", r->uri);
    }
  for (guint i = 0; i < playlist->variants->len; i++)
    {
      const YgVariant *v = &g_array_index (playlist->variants, YgVariant, i);

      g_string_append_printf (out, "#EXT-X-STREAM-INF:BANDWIDTH=%" G_GUINT64_FORMAT, v->bandwidth);
      if (v->average_bandwidth > 0)
        g_string_append_printf (out, ",AVERAGE-BANDWIDTH=%" G_GUINT64_FORMAT,
                                v->average_bandwidth);
      if (v->codecs != NULL)
        g_string_append_printf (out, ",CODECS=\"%s\"", v->codecs);
      if (v->width > 0 && v->height > 0)
        g_string_append_printf (out, ",RESOLUTION=%ux%u", v->width, v->height);
      if (v->frame_rate_milli > 0)
        {
          g_string_append (out, ",FRAME-RATE=");
          append_milli (out, v->frame_rate_milli);
        }
      if (v->subtitles != NULL)
        g_string_append_printf (out, ",SUBTITLES=\"%s\"", v->subtitles);
      g_string_append_printf (out, "\n%s\n", v->uri);
    }
  return g_string_free (out, FALSE);
}

/* Parses an attribute-list (RFC 8216 4.2) into name → value (quotes removed). */
static GHashTable *
parse_attributes (const char *text)
{
  g_autoptr (GHashTable) attrs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *p = text;

  while (*p != '\0')
    {
      const char *name = p, *value;
      g_autofree char *key = NULL;
      gsize name_len, value_len;

      while (g_ascii_isupper (*p) || g_ascii_isdigit (*p) || *p == '-')
        p++;
      name_len = (gsize) (p - name);
      if (name_len == 0 || *p != '=')
        return NULL;
      p++;
      if (*p == '"')
        {
          value = ++p;
          while (*p != '\0' && *p != '"')
            p++;
          if (*p != '"')
            return NULL;
          value_len = (gsize) (p - value);
          p++;
        }
      else
        {
          value = p;
          while (*p != '\0' && *p != ',')
            p++;
          value_len = (gsize) (p - value);
          /* an unquoted value (4.2: enumerated string, number, resolution) has no quote */
          if (memchr (value, '"', value_len) != NULL)
            return NULL;
        }
      key = g_strndup (name, name_len);
      if (g_hash_table_contains (attrs, key))
        return NULL; /* an attribute name appears at most once (4.2) */
      g_hash_table_insert (attrs, g_steal_pointer (&key), g_strndup (value, value_len));
      if (*p == ',')
        p++;
      else if (*p != '\0')
        return NULL;
    }
  return g_steal_pointer (&attrs);
}

static gboolean
parse_stream_inf (const char *attrs_text, YgVariant *v)
{
  g_autoptr (GHashTable) attrs = parse_attributes (attrs_text);
  const char *value;
  guint64 n;

  if (attrs == NULL)
    return FALSE;
  value = g_hash_table_lookup (attrs, "BANDWIDTH");
  if (value == NULL || !parse_uint (value, G_MAXUINT64, &v->bandwidth))
    return FALSE;
  if ((value = g_hash_table_lookup (attrs, "AVERAGE-BANDWIDTH")) != NULL
      && !parse_uint (value, G_MAXUINT64, &v->average_bandwidth))
    return FALSE;
  v->codecs = g_strdup (g_hash_table_lookup (attrs, "CODECS"));
  if ((value = g_hash_table_lookup (attrs, "RESOLUTION")) != NULL)
    {
      g_auto (GStrv) wh = g_strsplit (value, "x", 3);
      guint64 w, h;

      if (g_strv_length (wh) != 2 || !parse_uint (wh[0], G_MAXUINT, &w)
          || !parse_uint (wh[1], G_MAXUINT, &h))
        return FALSE;
      v->width = (guint) w;
      v->height = (guint) h;
    }
  if ((value = g_hash_table_lookup (attrs, "FRAME-RATE")) != NULL)
    {
      if (!parse_milli (value, strlen (value), &n) || n > G_MAXUINT)
        return FALSE;
      v->frame_rate_milli = (guint) n;
    }
  v->subtitles = g_strdup (g_hash_table_lookup (attrs, "SUBTITLES"));
  return TRUE;
}

/* An EXT-X-MEDIA line: a subtitle rendition is added; other types are skipped. */
static gboolean
parse_media (const char *attrs_text, YgMasterPlaylist *playlist)
{
  g_autoptr (GHashTable) attrs = parse_attributes (attrs_text);
  YgRendition r = { 0 };

  if (attrs == NULL || g_hash_table_lookup (attrs, "TYPE") == NULL
      || g_hash_table_lookup (attrs, "GROUP-ID") == NULL
      || g_hash_table_lookup (attrs, "NAME") == NULL)
    return FALSE;
  if (!g_str_equal (g_hash_table_lookup (attrs, "TYPE"), "SUBTITLES"))
    return TRUE;
  if (g_hash_table_lookup (attrs, "URI") == NULL) /* required for SUBTITLES (4.3.4.1) */
    return FALSE;
  r.group_id = g_strdup (g_hash_table_lookup (attrs, "GROUP-ID"));
  r.name = g_strdup (g_hash_table_lookup (attrs, "NAME"));
  r.language = g_strdup (g_hash_table_lookup (attrs, "LANGUAGE"));
  r.uri = g_strdup (g_hash_table_lookup (attrs, "URI"));
  r.is_default = g_strcmp0 (g_hash_table_lookup (attrs, "DEFAULT"), "YES") == 0;
  r.autoselect = g_strcmp0 (g_hash_table_lookup (attrs, "AUTOSELECT"), "YES") == 0;
  g_array_append_val (playlist->renditions, r);
  return TRUE;
}

/**
 * yg_master_playlist_parse:
 * @text: a master playlist
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the playlist, or %NULL with @error set
 */
YgMasterPlaylist *
yg_master_playlist_parse (const char *text, GError **error)
{
  g_auto (GStrv) lines = NULL;
  g_autoptr (YgMasterPlaylist) playlist = NULL;
  YgVariant pending = { 0 };
  gboolean have_pending = FALSE;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  lines = split_lines (text);
  if (!check_header (lines, error))
    return NULL;
  playlist = yg_master_playlist_new ();
  playlist->independent_segments = FALSE;

  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      guint64 n;

      if (line[0] == '\0')
        continue;
      if (line[0] != '#')
        {
          if (!have_pending)
            return parse_error (error, i + 1, "URI without #EXT-X-STREAM-INF"), NULL;
          pending.uri = g_strdup (line);
          g_array_append_val (playlist->variants, pending);
          memset (&pending, 0, sizeof pending);
          have_pending = FALSE;
        }
      else if (g_str_has_prefix (line, "#EXT-X-STREAM-INF:"))
        {
          if (have_pending)
            {
              variant_clear (&pending);
              return parse_error (error, i + 1, "two #EXT-X-STREAM-INF for one URI"), NULL;
            }
          if (!parse_stream_inf (line + 18, &pending))
            {
              variant_clear (&pending);
              return parse_error (error, i + 1, "bad #EXT-X-STREAM-INF attributes"), NULL;
            }
          have_pending = TRUE;
        }
      else if (g_str_has_prefix (line, "#EXT-X-VERSION:"))
        {
          if (!parse_uint (line + 15, G_MAXUINT, &n))
            {
              variant_clear (&pending);
              return parse_error (error, i + 1, "bad EXT-X-VERSION"), NULL;
            }
          playlist->version = (guint) n;
        }
      else if (g_str_equal (line, "#EXT-X-INDEPENDENT-SEGMENTS"))
        playlist->independent_segments = TRUE;
      else if (g_str_has_prefix (line, "#EXT-X-MEDIA:"))
        {
          if (!parse_media (line + 13, playlist))
            {
              variant_clear (&pending);
              return parse_error (error, i + 1, "bad #EXT-X-MEDIA attributes"), NULL;
            }
        }
      else if (g_str_has_prefix (line, "#EXTINF:"))
        {
          variant_clear (&pending);
          return parse_error (error, i + 1, "a media playlist, not a master playlist"), NULL;
        }
    }
  if (have_pending)
    {
      variant_clear (&pending);
      return parse_error (error, g_strv_length (lines), "#EXT-X-STREAM-INF without a URI"), NULL;
    }
  return g_steal_pointer (&playlist);
}

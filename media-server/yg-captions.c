/* yg-captions.c: WebVTT captions of an item and their HLS subtitle renditions.
 *
 * Captions live in media/<item>/captions/<lang>.vtt, one file per language
 * (written by yg-route-captions.c, temp + fsync + rename); the files are the
 * only record, so there is nothing to keep in step with the catalogue. Here:
 * - the language check (a BCP 47 shape: 2–3 letter language, then subtags
 *   of 1–8 letters or digits; it becomes a file name, so nothing else passes);
 * - the WebVTT check: UTF-8 without NUL bytes, the "WEBVTT" signature, every
 *   cue with a well-formed timing line (hh:mm:ss.ttt or mm:ss.ttt, end after
 *   start, starts in order), NOTE/STYLE/REGION blocks skipped; the first fault
 *   is a YG_FIELD_ERROR "body" naming the line;
 * - the served master playlist: the transcoder's master.m3u8 (read, parsed,
 *   written again by yg-playlist.c) plus one EXT-X-MEDIA TYPE=SUBTITLES per
 *   caption file, every variant naming the group, so the transcoder needs to
 *   know nothing about captions and a caption change shows at once;
 * - the subtitle media playlist captions/<lang>.m3u8, made on request: one
 *   segment (the whole .vtt) as long as the item (its first variant's
 *   playlist, or the last cue if longer), TARGETDURATION rounded up, VOD.
 * Thread: any (files are small; callers on the main thread read a few KiB).
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-captions.h"

#include <gio/gio.h>

#include <math.h>
#include <string.h>

#include "yg-field-error.h"
#include "yg-playlist.h"

gboolean
yg_captions_lang_is_valid (const char *lang)
{
  g_auto (GStrv) parts = NULL;
  gsize n;

  if (lang == NULL || *lang == '\0' || strlen (lang) > 35)
    return FALSE; /* "" splits into no parts at all */
  parts = g_strsplit (lang, "-", -1);
  n = strlen (parts[0]);
  if (n < 2 || n > 3)
    return FALSE;
  for (const char *p = parts[0]; *p; p++)
    if (!g_ascii_isalpha (*p))
      return FALSE;
  for (guint i = 1; parts[i] != NULL; i++)
    {
      n = strlen (parts[i]);
      if (n < 1 || n > 8)
        return FALSE;
      for (const char *p = parts[i]; *p; p++)
        if (!g_ascii_isalnum (*p))
          return FALSE;
    }
  return TRUE;
}

/* The rendition's NAME: a readable name for common tags, else the tag. */
const char *
yg_captions_lang_name (const char *lang)
{
  static const struct
  {
    const char *tag;
    const char *name;
  } names[] = {
    { "zh", "中文" },        { "zh-CN", "中文" },      { "zh-Hans", "简体中文" },
    { "zh-Hant", "繁體中文" }, { "zh-TW", "繁體中文" }, { "zh-HK", "繁體中文（香港）" },
    { "yue", "粵語" },       { "en", "English" },      { "en-US", "English" },
    { "en-GB", "English" },  { "ja", "日本語" },       { "ko", "한국어" },
    { "fr", "Français" },    { "de", "Deutsch" },      { "ru", "Русский" },
    { "es", "Español" },     { "bo", "བོད་ཡིག" },      { "ug", "ئۇيغۇرچە" },
    { "mn", "Монгол" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (names[i].tag, lang) == 0)
      return names[i].name;
  return lang;
}

/* Reads n ≥ @min digits at *p; FALSE if there are fewer or more than @max. */
static gboolean
digits (const char **p, guint min, guint max, guint64 *value)
{
  const char *s = *p;
  guint n = 0;

  *value = 0;
  while (g_ascii_isdigit (*s) && n < 12)
    *value = *value * 10 + (guint64) (*s++ - '0'), n++;
  if (n < min || n > max)
    return FALSE;
  *p = s;
  return TRUE;
}

/* A WebVTT timestamp ([hh:]mm:ss.ttt) at *p, in milliseconds. */
static gboolean
timestamp (const char **p, guint64 *ms)
{
  guint64 a, b, c, frac;
  const char *s = *p;

  if (!digits (&s, 2, 12, &a) || *s++ != ':' || !digits (&s, 2, 2, &b))
    return FALSE;
  if (*s == ':')
    {
      s++;
      if (!digits (&s, 2, 2, &c) || b > 59)
        return FALSE;
    }
  else
    {
      if (a > 59 || s - *p != 5) /* minutes are exactly two digits without hours */
        return FALSE;
      c = b, b = a, a = 0;
    }
  if (c > 59 || *s++ != '.' || !digits (&s, 3, 3, &frac))
    return FALSE;
  *ms = ((a * 60 + b) * 60 + c) * 1000 + frac;
  *p = s;
  return TRUE;
}

static gboolean
timing_line (const char *line, guint64 *start, guint64 *end)
{
  const char *p = line;

  if (!timestamp (&p, start))
    return FALSE;
  while (*p == ' ' || *p == '\t')
    p++;
  if (!g_str_has_prefix (p, "-->"))
    return FALSE;
  p += 3;
  while (*p == ' ' || *p == '\t')
    p++;
  if (!timestamp (&p, end))
    return FALSE;
  return *p == '\0' || *p == ' ' || *p == '\t'; /* cue settings may follow */
}

static gboolean
block_keyword (const char *line, const char *word)
{
  gsize n = strlen (word);

  return strncmp (line, word, n) == 0
         && (line[n] == '\0' || line[n] == ' ' || line[n] == '\t');
}

/**
 * yg_captions_validate:
 * @last_end: (out) (optional): the latest cue end, in seconds
 *
 * Returns: %TRUE for a well-formed WebVTT file; else a YG_FIELD_ERROR "body"
 */
gboolean
yg_captions_validate (const char *data, gsize len, double *last_end, GError **error)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  guint64 prev_start = 0, max_end = 0;
  const char *body = data;
  guint i = 1, cues = 0;

  if (memchr (data, '\0', len) != NULL)
    return yg_field_error_set (error, "body", "Captions must be WebVTT text; this has NUL bytes");
  if (!g_utf8_validate_len (data, len, NULL))
    return yg_field_error_set (error, "body", "Captions must be UTF-8 WebVTT text");
  if (len >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    body += 3, len -= 3;
  if (len < 6 || memcmp (body, "WEBVTT", 6) != 0
      || (len > 6 && body[6] != ' ' && body[6] != '\t' && body[6] != '\n' && body[6] != '\r'))
    return yg_field_error_set (error, "body", "A WebVTT file starts with \"WEBVTT\"");
  {
    GString *s = g_string_new_len (body, len);
    g_string_replace (s, "\r\n", "\n", 0);
    g_string_replace (s, "\r", "\n", 0);
    text = g_string_free (s, FALSE);
  }
  lines = g_strsplit (text, "\n", -1);
  /* the header: up to the first blank line */
  for (; lines[i] != NULL && lines[i][0] != '\0'; i++)
    if (strstr (lines[i], "-->") != NULL)
      return yg_field_error_set (error, "body",
                                 "Line %u: a cue must follow a blank line after the header", i + 1);
  while (lines[i] != NULL)
    {
      guint64 start, end;
      const char *line;

      if (lines[i][0] == '\0')
        {
          i++;
          continue;
        }
      line = lines[i];
      if (block_keyword (line, "NOTE") || block_keyword (line, "STYLE")
          || block_keyword (line, "REGION"))
        {
          while (lines[i] != NULL && lines[i][0] != '\0')
            i++;
          continue;
        }
      if (strstr (line, "-->") == NULL) /* a cue identifier */
        {
          i++;
          if (lines[i] == NULL || strstr (lines[i], "-->") == NULL)
            return yg_field_error_set (error, "body",
                                       "Line %u: a cue needs a timing line \"start --> end\"",
                                       i + 1);
          line = lines[i];
        }
      if (!timing_line (line, &start, &end))
        return yg_field_error_set (error, "body",
                                   "Line %u: bad cue timing (want hh:mm:ss.ttt --> hh:mm:ss.ttt)",
                                   i + 1);
      if (end <= start)
        return yg_field_error_set (error, "body", "Line %u: a cue must end after it starts", i + 1);
      if (start < prev_start)
        return yg_field_error_set (error, "body", "Line %u: cues must be in order of start time",
                                   i + 1);
      prev_start = start;
      max_end = MAX (max_end, end);
      cues++;
      for (i++; lines[i] != NULL && lines[i][0] != '\0'; i++)
        if (strstr (lines[i], "-->") != NULL)
          return yg_field_error_set (error, "body",
                                     "Line %u: cue text cannot contain \"-->\" (a blank line "
                                     "must separate cues)",
                                     i + 1);
    }
  if (last_end != NULL)
    *last_end = max_end / 1000.0;
  return TRUE;
}

static gint
compare_langs (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/**
 * yg_captions_list:
 * @item_dir: media/<item>
 *
 * Returns: (transfer full) (element-type utf8): the caption languages, sorted
 */
GPtrArray *
yg_captions_list (const char *item_dir)
{
  g_autofree char *dir = g_build_filename (item_dir, "captions", NULL);
  GPtrArray *langs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".vtt"))
      {
        g_autofree char *lang = g_strndup (name, strlen (name) - 4);
        if (yg_captions_lang_is_valid (lang))
          g_ptr_array_add (langs, g_steal_pointer (&lang));
      }
  g_ptr_array_sort (langs, compare_langs);
  return langs;
}

/* The default rendition: Chinese (zh-CN, then any zh) if there is one, else the first. */
static guint
default_lang (GPtrArray *langs)
{
  for (guint i = 0; i < langs->len; i++)
    if (g_ascii_strcasecmp (langs->pdata[i], "zh-CN") == 0)
      return i;
  for (guint i = 0; i < langs->len; i++)
    if (g_ascii_strncasecmp (langs->pdata[i], "zh", 2) == 0)
      return i;
  return 0;
}

/**
 * yg_captions_master:
 * @master_text: the transcoder's master playlist
 * @langs: (element-type utf8): caption languages (not empty)
 *
 * Returns: (transfer full): the master playlist with a subtitle rendition per
 *   language and every variant in the group
 */
char *
yg_captions_master (const char *master_text, GPtrArray *langs, GError **error)
{
  g_autoptr (YgMasterPlaylist) in = yg_master_playlist_parse (master_text, error);
  g_autoptr (YgMasterPlaylist) out = NULL;
  guint def;

  if (in == NULL)
    return NULL;
  out = yg_master_playlist_new ();
  out->independent_segments = in->independent_segments;
  def = default_lang (langs);
  for (guint i = 0; i < langs->len; i++)
    {
      g_autofree char *uri = g_strdup_printf ("captions/%s.m3u8", (char *) langs->pdata[i]);
      YgRendition r = { (char *) YG_CAPTIONS_GROUP, (char *) yg_captions_lang_name (langs->pdata[i]),
                        langs->pdata[i], i == def, TRUE, uri };
      yg_master_playlist_add_rendition (out, &r);
    }
  for (guint i = 0; i < in->variants->len; i++)
    {
      YgVariant v = g_array_index (in->variants, YgVariant, i);
      v.subtitles = (char *) YG_CAPTIONS_GROUP;
      yg_master_playlist_add_variant (out, &v);
    }
  return yg_master_playlist_to_string (out);
}

/* The item's duration in ms from its first variant's playlist; 0 when unknown. */
static guint64
item_duration_ms (const char *item_dir)
{
  g_autofree char *master_path = g_build_filename (item_dir, "master.m3u8", NULL);
  g_autofree char *master_text = NULL, *media_text = NULL, *media_path = NULL;
  g_autoptr (YgMasterPlaylist) master = NULL;
  g_autoptr (YgMediaPlaylist) media = NULL;
  const char *uri;

  if (!g_file_get_contents (master_path, &master_text, NULL, NULL)
      || (master = yg_master_playlist_parse (master_text, NULL)) == NULL
      || master->variants->len == 0)
    return 0;
  uri = g_array_index (master->variants, YgVariant, 0).uri;
  if (strstr (uri, "..") != NULL || uri[0] == '/' || strchr (uri, ':') != NULL)
    return 0; /* our transcoder writes "<rung>/index.m3u8" */
  media_path = g_build_filename (item_dir, uri, NULL);
  if (!g_file_get_contents (media_path, &media_text, NULL, NULL)
      || (media = yg_media_playlist_parse (media_text, NULL)) == NULL)
    return 0;
  return yg_media_playlist_get_duration_ms (media);
}

/**
 * yg_captions_media_playlist:
 * @item_dir: media/<item>
 *
 * Returns: (transfer full): captions/<lang>.m3u8, or %NULL with
 *   G_IO_ERROR_NOT_FOUND when there is no such caption file
 */
char *
yg_captions_media_playlist (const char *item_dir, const char *lang, GError **error)
{
  g_autofree char *name = g_strdup_printf ("%s.vtt", lang);
  g_autofree char *path = g_build_filename (item_dir, "captions", name, NULL);
  g_autofree char *vtt = NULL;
  g_autoptr (YgMediaPlaylist) playlist = NULL;
  gsize len;
  guint64 ms;
  double last_end = 0;

  if (!yg_captions_lang_is_valid (lang) || !g_file_get_contents (path, &vtt, &len, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No %s captions", lang);
      return NULL;
    }
  if (!yg_captions_validate (vtt, len, &last_end, NULL))
    last_end = 0;
  ms = MAX (item_duration_ms (item_dir), (guint64) ceil (last_end * 1000));
  ms = MAX (ms, 1000);
  playlist = yg_media_playlist_new ((guint) ((ms + 999) / 1000));
  yg_media_playlist_add_segment (playlist, name, ms, len);
  return yg_media_playlist_to_string (playlist, YG_PLAYLIST_TYPE_VOD);
}

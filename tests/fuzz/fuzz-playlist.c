/* fuzz-playlist.c: the HLS playlist writer and parser (transcode/yg-playlist.c).
 *
 * The input is a script of segment additions (4 bytes each: a duration in
 * milliseconds from 3 bytes, and a byte choosing the URI form) to a
 * growing playlist, as the publisher writes it after every segment. After
 * each addition the EVENT playlist is written and parsed back; at the end
 * the VOD playlist. Invariants: the parsed playlist has the same segments
 * (URIs and durations to the millisecond) in the same order; every EXTINF
 * rounded is within TARGETDURATION; TARGETDURATION is at least the lower
 * bound and never shrinks while the playlist grows; the media sequence is
 * monotone; ENDLIST appears only in the finished (VOD) playlist. The raw
 * input is also given to both parsers, which must refuse or accept it
 * without crashing; an accepted media playlist written again parses back
 * to the same segments.
 * Thread: the fuzzer's.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yg-playlist.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
same_segments (const YgMediaPlaylist *a, const YgMediaPlaylist *b)
{
  if (a->segments->len != b->segments->len)
    abort ();
  for (guint i = 0; i < a->segments->len; i++)
    {
      const YgSegment *x = &g_array_index (a->segments, YgSegment, i);
      const YgSegment *y = &g_array_index (b->segments, YgSegment, i);
      if (strcmp (x->uri, y->uri) != 0 || x->duration_ms != y->duration_ms)
        abort ();
    }
}

static YgMediaPlaylist *
write_and_parse (const YgMediaPlaylist *playlist, YgPlaylistType type)
{
  g_autofree char *text = yg_media_playlist_to_string (playlist, type);
  g_autoptr (GError) error = NULL;
  YgMediaPlaylist *back = yg_media_playlist_parse (text, &error);

  if (back == NULL)
    {
      g_printerr ("written playlist refused: %s\n%s", error->message, text);
      abort ();
    }
  same_segments (playlist, back);
  if (back->type != type || back->ended != (type == YG_PLAYLIST_TYPE_VOD)
      || back->target_duration != yg_media_playlist_get_target_duration (playlist)
      || back->target_duration < playlist->target_duration)
    abort ();
  for (guint i = 0; i < back->segments->len; i++)
    if ((g_array_index (back->segments, YgSegment, i).duration_ms + 500) / 1000
        > back->target_duration)
      abort ();
  return back;
}

static void
parse_raw (const char *text)
{
  g_autoptr (YgMediaPlaylist) media = yg_media_playlist_parse (text, NULL);
  g_autoptr (YgMasterPlaylist) master = yg_master_playlist_parse (text, NULL);

  if (media != NULL)
    {
      gboolean writable = TRUE;
      for (guint i = 0; i < media->segments->len; i++)
        {
          const char *uri = g_array_index (media->segments, YgSegment, i).uri;
          writable &= uri[0] != '\0' && uri[0] != '#' && strpbrk (uri, "\r\n") == NULL;
        }
      if (writable)
        {
          yg_media_playlist_free (write_and_parse (media, YG_PLAYLIST_TYPE_VOD));
        }
    }
  if (master != NULL)
    {
      g_autofree char *written = yg_master_playlist_to_string (master);
      g_autoptr (YgMasterPlaylist) again = yg_master_playlist_parse (written, NULL);
      if (again == NULL || again->variants->len != master->variants->len
          || again->renditions->len != master->renditions->len)
        abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (YgMediaPlaylist) playlist = NULL;
  guint last_target = 0, last_sequence = 0;

  parse_raw (text);
  if (size < 1)
    return 0;
  playlist = yg_media_playlist_new (data[0] % 12);
  for (gsize i = 1; i + 4 <= size && i < 4 * 200; i += 4)
    {
      guint64 ms = data[i] | (data[i + 1] << 8) | ((guint64) data[i + 2] << 16);
      g_autofree char *uri = NULL;
      g_autoptr (YgMediaPlaylist) back = NULL;

      if (data[i + 3] & 0x80)
        uri = g_strdup_printf ("%u/seg%05u.ts", data[i + 3] & 0x7f, playlist->segments->len);
      else
        uri = g_strdup_printf ("seg%05u.ts", playlist->segments->len);
      if (data[i + 3] & 0x40)
        ms <<= 8; /* long segments: hours */
      yg_media_playlist_add_segment (playlist, uri, ms, ms * 100);
      back = write_and_parse (playlist, YG_PLAYLIST_TYPE_EVENT);
      if (back->target_duration < last_target || back->media_sequence < last_sequence)
        abort ();
      last_target = back->target_duration;
      last_sequence = back->media_sequence;
    }
  {
    g_autoptr (YgMediaPlaylist) done = write_and_parse (playlist, YG_PLAYLIST_TYPE_VOD);
    if (done->target_duration < last_target)
      abort ();
  }
  return 0;
}

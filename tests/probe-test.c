/* probe-test.c: yg_probe_file() against media made at test time (suite "media").
 *
 * Every file is generated in the fixture's temporary directory by the ffmpeg
 * CLI (lavfi testsrc2/sine, 1 s, 320x240) or written byte by byte here, then
 * patched where a hostile header is needed (MKV PixelWidth/Duration, MP4
 * mvhd/tkhd); no media file is committed. Accepted: each allowlisted container
 * with its usual codecs, audio-only, video-only, cover art, rotation, field
 * order. Refused, each with its machine code and a message that names no path:
 * playlists, concat scripts, SDP, images, text, random bytes, an AVI carrying a
 * GAB2 playlist, oversized, overlong, too many tracks, truncated, empty,
 * missing, directory, FIFO, and limits passed by the caller. Hostile inputs
 * also check that nothing else was opened (inotify on a canary file) and that
 * nothing connected to a TCP listener the playlists point at; a self-test
 * shows both detectors do fire.
 * Threads: main, plus the workers of /probe/api/threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "yg-test-util.h"
#include "yg-probe.h"

/* --- fixture ---------------------------------------------------------------- */

typedef struct
{
  char    *tmp;        /* removed recursively in teardown */
  char    *canary;     /* tmp/canary.ts: hostile files point at it */
  int      inotify_fd; /* watches canary for IN_OPEN | IN_ACCESS */
  GSocket *listener;   /* 127.0.0.1:port, non-blocking; hostile files point at it */
  guint16  port;
} Fixture;


static void
fixture_setup (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  f->tmp = g_dir_make_tmp ("yg-probe-test-XXXXXX", &error);
  g_assert_no_error (error);

  f->canary = g_build_filename (f->tmp, "canary.ts", NULL);
  g_file_set_contents (f->canary, "not a segment", -1, &error);
  g_assert_no_error (error);
  f->inotify_fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  g_assert_cmpint (f->inotify_fd, >=, 0);
  g_assert_cmpint (inotify_add_watch (f->inotify_fd, f->canary, IN_OPEN | IN_ACCESS), >=, 0);

  f->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                              G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (f->listener, any, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (f->listener, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (f->listener, FALSE);
  bound = g_socket_get_local_address (f->listener, &error);
  g_assert_no_error (error);
  f->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
fixture_teardown (Fixture *f, gconstpointer user_data)
{
  g_clear_object (&f->listener);
  if (f->inotify_fd >= 0)
    close (f->inotify_fd);
  yg_test_rm_rf (f->tmp);
  g_free (f->canary);
  g_free (f->tmp);
}

static char *
fixture_path (Fixture *f, const char *name)
{
  return g_build_filename (f->tmp, name, NULL);
}

/* inotify reports every open and read of the canary, whatever the mount's
 * atime policy. */
static gboolean
canary_touched (Fixture *f)
{
  char buf[4096];
  gssize n = read (f->inotify_fd, buf, sizeof buf);

  if (n < 0)
    g_assert_cmpint (errno, ==, EAGAIN);
  return n > 0;
}

/* The kernel completes a TCP handshake into the backlog without accept(), so
 * any connection attempt shows up here, even one the client gave up at once. */
static gboolean
listener_contacted (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) conn = g_socket_accept (f->listener, NULL, &error);

  if (conn == NULL)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  return conn != NULL;
}

static void
assert_nothing_followed (Fixture *f)
{
  g_assert_false (canary_touched (f));
  g_assert_false (listener_contacted (f));
}

/* --- making media --------------------------------------------------------------- */

/* Inputs: 1 s of colour bars at 25 fps and of a 440 Hz tone. */
#define IN_V "-f lavfi -i testsrc2=s=320x240:r=25:d=1 "
#define IN_A "-f lavfi -i sine=f=440:r=48000:d=1 "
#define X264 "-c:v libx264 -preset ultrafast -pix_fmt yuv420p "

static const char *
ffmpeg_encoders (void)
{
  static char *list = NULL;

  if (list == NULL)
    {
      const char *argv[] = { "ffmpeg", "-hide_banner", "-nostdin", "-encoders", NULL };
      g_autoptr (GError) error = NULL;
      int status = 0;

      if (!g_spawn_sync (NULL, (char **) argv, NULL,
                         G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                         &list, NULL, &status, &error))
        g_error ("cannot run ffmpeg: %s", error->message);
    }
  return list;
}

/* Each of the space-separated @encoders is listed by `ffmpeg -encoders`. */
static gboolean
have_encoders (const char *encoders)
{
  g_auto (GStrv) names = g_strsplit (encoders != NULL ? encoders : "", " ", -1);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *needle = g_strdup_printf (" %s ", names[i]);
      if (names[i][0] != '\0' && strstr (ffmpeg_encoders (), needle) == NULL)
        return FALSE;
    }
  return TRUE;
}

/* Runs ffmpeg [-i @input] @args @out; @args is split at spaces (no quoting). */
static void
ffmpeg_make_from (const char *input, const char *args, const char *out)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_auto (GStrv) split = g_strsplit (args, " ", -1);
  g_auto (GStrv) argv = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_strv_builder_add_many (b, "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                           NULL);
  if (input != NULL)
    g_strv_builder_add_many (b, "-i", input, NULL);
  for (guint i = 0; split[i] != NULL; i++)
    if (split[i][0] != '\0')
      g_strv_builder_add (b, split[i]);
  g_strv_builder_add (b, out);
  argv = g_strv_builder_end (b);
  g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("ffmpeg %s %s: %s\n%s", args, out, error->message, err);
}

static void
ffmpeg_make (const char *args, const char *out)
{
  ffmpeg_make_from (NULL, args, out);
}

static GByteArray *
read_bytes (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_byte_array_new_take ((guint8 *) data, len);
}

static void
write_bytes (const char *path, const guint8 *data, gsize len)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, (const char *) data, (gssize) len, &error);
  g_assert_no_error (error);
}

static gsize
find_bytes (const GByteArray *b, const void *needle, gsize n)
{
  const guint8 *hit = memmem (b->data, b->len, needle, n);

  g_assert_nonnull (hit);
  return (gsize) (hit - b->data);
}

static void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static void
put_be64 (guint8 *p, guint64 v)
{
  put_be32 (p, (guint32) (v >> 32));
  put_be32 (p + 4, (guint32) v);
}

static void
append_le16 (GByteArray *b, guint16 v)
{
  guint8 le[2] = { v & 0xff, v >> 8 };
  g_byte_array_append (b, le, 2);
}

static void
append_le32 (GByteArray *b, guint32 v)
{
  guint8 le[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
  g_byte_array_append (b, le, 4);
}

/* RIFF chunk: fourcc, size, data, pad to even; returns where the data begins. */
static gsize
riff_begin (GByteArray *b, const char *fourcc)
{
  g_byte_array_append (b, (const guint8 *) fourcc, 4);
  append_le32 (b, 0);
  return b->len;
}

static void
riff_end (GByteArray *b, gsize start)
{
  guint32 size = (guint32) (b->len - start);
  guint8 *p = b->data + start - 4;

  p[0] = size & 0xff;
  p[1] = (size >> 8) & 0xff;
  p[2] = (size >> 16) & 0xff;
  p[3] = size >> 24;
  if (size % 2)
    g_byte_array_append (b, (const guint8 *) "", 1);
}

static char *
hostile_playlist (Fixture *f)
{
  return g_strdup_printf ("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n"
                          "#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\n%s\n#EXTINF:10.0,\n"
                          "file://%s\n#EXTINF:10.0,\nhttp://127.0.0.1:%u/seg.ts\n"
                          "#EXT-X-ENDLIST\n",
                          f->canary, f->canary, f->port);
}

static void
write_text (const char *path, const char *text)
{
  write_bytes (path, (const guint8 *) text, strlen (text));
}

/* --- accepted files -------------------------------------------------------------- */

typedef struct
{
  const char *name;        /* test path and output file name (the extension picks the muxer) */
  const char *args;        /* ffmpeg arguments before the output file */
  const char *encoders;    /* needed encoders; the case is skipped without them */
  const char *container;
  const char *demuxer;
  guint       n_streams;
  const char *video_codec; /* NULL: no video expected */
  guint       width, height;
  int         field_order; /* 0 progressive, 't' top first, 'b' bottom first */
  const char *audio_codec; /* NULL: no audio expected */
  guint       sample_rate, channels;
} AcceptCase;

#define MOV "mov,mp4,m4a,3gp,3g2,mj2"
#define MKV "matroska,webm"

static const AcceptCase accept_cases[] = {
  { "mp4-h264-aac.mp4", IN_V IN_A X264 "-c:a aac -ac 2", "libx264 aac",
    "mp4", MOV, 2, "h264", 320, 240, 0, "aac", 48000, 2 },
  { "mov-h264-aac.mov", IN_V IN_A X264 "-c:a aac", "libx264 aac",
    "mov", MOV, 2, "h264", 320, 240, 0, "aac", 48000, 1 },
  { "3gp-h264-aac.3gp", IN_V IN_A X264 "-c:a aac", "libx264 aac",
    "3gp", MOV, 2, "h264", 320, 240, 0, "aac", 48000, 1 },
  { "mkv-h264-flac.mkv", IN_V IN_A X264 "-c:a flac", "libx264 flac",
    "matroska", MKV, 2, "h264", 320, 240, 0, "flac", 48000, 1 },
  { "webm-vp8-vorbis.webm",
    IN_V IN_A "-c:v libvpx -deadline realtime -cpu-used 8 -c:a libvorbis", "libvpx libvorbis",
    "webm", MKV, 2, "vp8", 320, 240, 0, "vorbis", 48000, 1 },
  { "webm-vp9-opus.webm",
    IN_V IN_A "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -c:a libopus", "libvpx-vp9 libopus",
    "webm", MKV, 2, "vp9", 320, 240, 0, "opus", 48000, 1 },
  { "mpegts-h264-aac.ts", IN_V IN_A X264 "-c:a aac", "libx264 aac",
    "mpegts", "mpegts", 2, "h264", 320, 240, 0, "aac", 48000, 1 },
  { "mpegps-mpeg2-mp2.mpg", IN_V IN_A "-c:v mpeg2video -c:a mp2 -f vob", "mpeg2video mp2",
    "mpeg-ps", "mpeg", 2, "mpeg2video", 320, 240, 0, "mp2", 48000, 1 },
  { "avi-mpeg4-mp3.avi", IN_V IN_A "-c:v mpeg4 -c:a libmp3lame", "mpeg4 libmp3lame",
    "avi", "avi", 2, "mpeg4", 320, 240, 0, "mp3", 48000, 1 },
  { "flv-h264-aac.flv", IN_V IN_A X264 "-c:a aac", "libx264 aac",
    "flv", "flv", 2, "h264", 320, 240, 0, "aac", 48000, 1 },
  { "asf-wmv2-wmav2.wmv", IN_V IN_A "-c:v wmv2 -c:a wmav2", "wmv2 wmav2",
    "asf", "asf", 2, "wmv2", 320, 240, 0, "wmav2", 48000, 1 },
  { "mxf-mpeg2-pcm.mxf", IN_V IN_A "-c:v mpeg2video -c:a pcm_s16le", "mpeg2video pcm_s16le",
    "mxf", "mxf", 2, "mpeg2video", 320, 240, 0, "pcm_s16le", 48000, 1 },
  { "dv-pal.dv",
    "-f lavfi -i testsrc2=s=720x576:r=25:d=1 " IN_A
    "-c:v dvvideo -pix_fmt yuv420p -c:a pcm_s16le -ac 2 -f dv", "dvvideo pcm_s16le",
    "dv", "dv", 2, "dvvideo", 720, 576, 0, "pcm_s16le", 48000, 2 },
  { "video-only.mp4", IN_V X264, "libx264",
    "mp4", MOV, 1, "h264", 320, 240, 0, NULL, 0, 0 },
  { "interlaced-h264-tff.mp4", IN_V X264 "-flags +ildct+ilme -field_order tt", "libx264",
    "mp4", MOV, 1, "h264", 320, 240, 't', NULL, 0, 0 },
  { "interlaced-mpeg2-bff.ts", IN_V "-c:v mpeg2video -flags +ildct+ilme -top 0 -field_order bb",
    "mpeg2video", "mpegts", "mpegts", 1, "mpeg2video", 320, 240, 'b', NULL, 0, 0 },
  { "audio-wav.wav", IN_A "-c:a pcm_s16le", "pcm_s16le",
    "wav", "wav", 1, NULL, 0, 0, 0, "pcm_s16le", 48000, 1 },
  { "audio-aiff.aiff", IN_A, "pcm_s16be",
    "aiff", "aiff", 1, NULL, 0, 0, 0, "pcm_s16be", 48000, 1 },
  { "audio-mp3.mp3", "-f lavfi -i sine=f=440:r=44100:d=1 -c:a libmp3lame -ac 2", "libmp3lame",
    "mp3", "mp3", 1, NULL, 0, 0, 0, "mp3", 44100, 2 },
  { "audio-mp3-cover.mp3",
    "-f lavfi -i sine=f=440:r=44100:d=1 -f lavfi -i testsrc2=s=64x64:r=25:d=0.04 -map 0:a "
    "-map 1:v -c:a libmp3lame -c:v mjpeg -disposition:v attached_pic -id3v2_version 3",
    "libmp3lame mjpeg", "mp3", "mp3", 2, NULL, 0, 0, 0, "mp3", 44100, 1 },
  { "audio-flac.flac", IN_A, "flac",
    "flac", "flac", 1, NULL, 0, 0, 0, "flac", 48000, 1 },
  { "audio-ogg-vorbis.ogg", IN_A "-c:a libvorbis", "libvorbis",
    "ogg", "ogg", 1, NULL, 0, 0, 0, "vorbis", 48000, 1 },
  { "audio-ogg-opus.opus", IN_A "-c:a libopus", "libopus",
    "ogg", "ogg", 1, NULL, 0, 0, 0, "opus", 48000, 1 },
  { "audio-m4a.m4a", IN_A "-c:a aac", "aac",
    "m4a", MOV, 1, NULL, 0, 0, 0, "aac", 48000, 1 },
  { "audio-aac-adts.aac", IN_A "-c:a aac", "aac",
    "aac", "aac", 1, NULL, 0, 0, 0, "aac", 48000, 1 },
};

static void
test_accept (Fixture *f, gconstpointer data)
{
  const AcceptCase *c = data;
  g_autofree char *path = fixture_path (f, c->name);
  g_autoptr (GError) error = NULL;
  g_autoptr (YgProbeInfo) info = NULL;
  g_autofree char *line = NULL;
  GStatBuf st;

  if (!have_encoders (c->encoders))
    {
      g_autofree char *why = g_strdup_printf ("ffmpeg lacks one of the encoders %s",
                                              c->encoders);
      g_test_skip (why);
      return;
    }
  ffmpeg_make (c->args, path);
  info = yg_probe_file (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (info);
  line = yg_probe_info_to_string (info);
  g_test_message ("%s", line);

  g_assert_cmpstr (info->container, ==, c->container);
  g_assert_cmpstr (info->demuxer, ==, c->demuxer);
  g_assert_cmpuint (info->n_streams, ==, c->n_streams);
  g_assert_cmpfloat_with_epsilon (info->duration, 1.0, 0.2);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (info->size, ==, st.st_size);

  g_assert_cmpint (info->has_video, ==, c->video_codec != NULL);
  if (c->video_codec != NULL)
    {
      g_assert_cmpint (info->video_stream, >=, 0);
      g_assert_cmpstr (info->video_codec, ==, c->video_codec);
      g_assert_cmpuint (info->width, ==, c->width);
      g_assert_cmpuint (info->height, ==, c->height);
      g_assert_cmpfloat_with_epsilon (info->fps, 25.0, 0.01);
      g_assert_cmpint (info->rotation, ==, 0);
      g_assert_nonnull (info->pixel_format);
      g_assert_cmpint (info->interlaced, ==, c->field_order != 0);
      if (c->field_order != 0)
        g_assert_cmpint (info->top_field_first, ==, c->field_order == 't');
    }
  else
    {
      g_assert_cmpint (info->video_stream, ==, -1);
      g_assert_null (info->video_codec);
    }

  g_assert_cmpint (info->has_audio, ==, c->audio_codec != NULL);
  if (c->audio_codec != NULL)
    {
      g_assert_cmpint (info->audio_stream, >=, 0);
      g_assert_cmpstr (info->audio_codec, ==, c->audio_codec);
      g_assert_cmpuint (info->sample_rate, ==, c->sample_rate);
      g_assert_cmpuint (info->channels, ==, c->channels);
    }
  else
    {
      g_assert_cmpint (info->audio_stream, ==, -1);
      g_assert_null (info->audio_codec);
    }
}

/* Rotation as phones store it: the tkhd matrix of a plain MP4 is rewritten
 * (the ffmpeg CLI's own rotate handling changed meaning between versions). */
typedef struct
{
  int     rotation;       /* expected clockwise degrees */
  gint32  a, b, c, d;     /* 16.16 entries of the matrix [a b u; c d v; x y w] */
} RotationCase;

static const RotationCase rotation_cases[] = {
  { 90, 0, 0x10000, -0x10000, 0 },  /* iPhone portrait: "rotate=90", GStreamer rotate-90 */
  { 180, -0x10000, 0, 0, -0x10000 },
  { 270, 0, -0x10000, 0x10000, 0 },
};

static void
test_rotation (Fixture *f, gconstpointer data)
{
  const RotationCase *rc = data;
  g_autofree char *path = fixture_path (f, "rotated.mp4");
  g_autoptr (GByteArray) b = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (YgProbeInfo) info = NULL;
  guint8 *m;

  ffmpeg_make (IN_V X264, path);
  b = read_bytes (path);
  /* tkhd v0: 4 version/flags, 5 x 4 times/ids/duration, 8 reserved, 4 x 2, then the matrix */
  m = b->data + find_bytes (b, "tkhd", 4) + 4 + 4 + 20 + 8 + 8;
  put_be32 (m + 0, (guint32) rc->a);
  put_be32 (m + 4, (guint32) rc->b);
  put_be32 (m + 12, (guint32) rc->c);
  put_be32 (m + 16, (guint32) rc->d);
  write_bytes (path, b->data, b->len);

  info = yg_probe_file (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->rotation, ==, rc->rotation);
  g_assert_cmpuint (info->width, ==, 320);
  g_assert_cmpuint (info->height, ==, 240);
}

/* --- refused files ------------------------------------------------------------------ */

static void
make_hls (Fixture *f, const char *path)
{
  g_autofree char *text = hostile_playlist (f);
  write_text (path, text);
}

static void
make_ffconcat (Fixture *f, const char *path)
{
  g_autofree char *text = g_strdup_printf ("ffconcat version 1.0\nfile '%s'\nfile '/etc/passwd'\n"
                                           "file 'http://127.0.0.1:%u/x.ts'\n",
                                           f->canary, f->port);
  write_text (path, text);
}

static void
make_sdp (Fixture *f, const char *path)
{
  g_autofree char *text = g_strdup_printf ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\n"
                                           "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                                           "m=video %u RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n",
                                           f->port);
  write_text (path, text);
}

/* The shape of the 2017 AVI exploit: a subtitle stream whose GAB2 packet
 * embeds a playlist, which an unguarded libavformat would open as a nested
 * demuxer. FFmpeg 5.1 only nests srt/ass there, and our format whitelist
 * (inherited by nested contexts) refuses even those; what remains is an AVI
 * with nothing but a subtitle track. */
static void
make_gab2_avi (Fixture *f, const char *path)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  g_autoptr (GByteArray) gab2 = g_byte_array_new ();
  g_autofree char *playlist = hostile_playlist (f);
  static const guint8 desc[] = { 'x', 0, 0, 0 }; /* UTF-16LE "x" + NUL */
  gsize riff, hdrl, avih, strl, strh, strf, movi, chunk, idx1, movi_data;

  g_byte_array_append (gab2, (const guint8 *) "GAB2\0", 5);
  append_le16 (gab2, 2);
  append_le32 (gab2, sizeof desc);
  g_byte_array_append (gab2, desc, sizeof desc);
  append_le16 (gab2, 4);
  append_le32 (gab2, (guint32) strlen (playlist));
  g_byte_array_append (gab2, (const guint8 *) playlist, (guint) strlen (playlist));

  riff = riff_begin (b, "RIFF");
  g_byte_array_append (b, (const guint8 *) "AVI ", 4);
  hdrl = riff_begin (b, "LIST");
  g_byte_array_append (b, (const guint8 *) "hdrl", 4);
  avih = riff_begin (b, "avih");
  append_le32 (b, 40000); /* µs per frame */
  append_le32 (b, 0);
  append_le32 (b, 0);
  append_le32 (b, 0x10);  /* AVIF_HASINDEX */
  append_le32 (b, 1);     /* frames */
  append_le32 (b, 0);
  append_le32 (b, 1);     /* streams */
  for (int i = 0; i < 7; i++)
    append_le32 (b, 0);
  riff_end (b, avih);
  strl = riff_begin (b, "LIST");
  g_byte_array_append (b, (const guint8 *) "strl", 4);
  strh = riff_begin (b, "strh");
  g_byte_array_append (b, (const guint8 *) "txts", 4);
  append_le32 (b, 0);     /* handler */
  append_le32 (b, 0);     /* flags */
  append_le32 (b, 0);     /* priority, language */
  append_le32 (b, 0);     /* initial frames */
  append_le32 (b, 1);     /* scale */
  append_le32 (b, 1);     /* rate */
  append_le32 (b, 0);     /* start */
  append_le32 (b, 1);     /* length */
  for (int i = 0; i < 5; i++)
    append_le32 (b, 0);
  riff_end (b, strh);
  strf = riff_begin (b, "strf");
  append_le32 (b, 0);
  riff_end (b, strf);
  riff_end (b, strl);
  riff_end (b, hdrl);
  movi = riff_begin (b, "LIST");
  movi_data = b->len;
  g_byte_array_append (b, (const guint8 *) "movi", 4);
  chunk = riff_begin (b, "00tx");
  g_byte_array_append (b, gab2->data, gab2->len);
  riff_end (b, chunk);
  riff_end (b, movi);
  idx1 = riff_begin (b, "idx1");
  g_byte_array_append (b, (const guint8 *) "00tx", 4);
  append_le32 (b, 0x10);
  append_le32 (b, (guint32) (chunk - 8 - movi_data));
  append_le32 (b, gab2->len);
  riff_end (b, idx1);
  riff_end (b, riff);
  write_bytes (path, b->data, b->len);
}

/* MKV with PixelWidth/PixelHeight rewritten to 16384 (from 320x288, whose
 * two-byte encodings leave room); the H.264 inside stays 320x288, so only a
 * check before decoding sees the claim. */
static void
make_huge_dimensions (Fixture *f, const char *path)
{
  static const guint8 w[] = { 0xb0, 0x82, 0x01, 0x40 }, h[] = { 0xba, 0x82, 0x01, 0x20 };
  g_autoptr (GByteArray) b = NULL;
  gsize at;

  ffmpeg_make ("-f lavfi -i testsrc2=s=320x288:r=25:d=1 " X264, path);
  b = read_bytes (path);
  at = find_bytes (b, w, sizeof w);
  b->data[at + 2] = 0x40;
  b->data[at + 3] = 0x00;
  at = find_bytes (b, h, sizeof h);
  b->data[at + 2] = 0x40;
  b->data[at + 3] = 0x00;
  write_bytes (path, b->data, b->len);
}

/* MKV Segment Info Duration (0x4489, 8-byte float, in ms) set to 100 hours. */
static void
make_long_mkv (Fixture *f, const char *path)
{
  static const guint8 id[] = { 0x44, 0x89, 0x88 };
  g_autoptr (GByteArray) b = NULL;
  union { double d; guint64 u; } v = { .d = 100.0 * 3600 * 1000 };

  ffmpeg_make (IN_A "-c:a flac", path);
  b = read_bytes (path);
  put_be64 (b->data + find_bytes (b, id, sizeof id) + 3, v.u);
  write_bytes (path, b->data, b->len);
}

/* MP4 movie header (mvhd v0: timescale, then duration) claiming 100 hours. */
static void
make_long_mp4 (Fixture *f, const char *path)
{
  g_autoptr (GByteArray) b = NULL;
  guint8 *p;
  guint32 timescale;

  ffmpeg_make (IN_V IN_A X264 "-c:a aac", path);
  b = read_bytes (path);
  p = b->data + find_bytes (b, "mvhd", 4) + 4 + 4 + 8;
  timescale = (guint32) p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
  put_be32 (p + 4, timescale * 100 * 3600);
  write_bytes (path, b->data, b->len);
}

static void
make_streams (const char *path, guint n)
{
  g_autoptr (GString) args = g_string_new ("-f lavfi -i sine=f=440:r=8000:d=1 ");

  for (guint i = 0; i < n; i++)
    g_string_append (args, "-map 0:a ");
  g_string_append (args, "-c:a pcm_s16le");
  ffmpeg_make (args->str, path);
}

static void
make_20_streams (Fixture *f, const char *path)
{
  make_streams (path, 20);
}

/* past the hard cap where libavformat itself stops creating streams */
static void
make_200_streams (Fixture *f, const char *path)
{
  make_streams (path, 200);
}

static void
truncate_file (const char *path, double keep)
{
  g_autoptr (GByteArray) b = read_bytes (path);

  write_bytes (path, b->data, (gsize) (b->len * keep));
}

/* moov at the end (ffmpeg's default): the cut removes the index */
static void
make_truncated_mp4 (Fixture *f, const char *path)
{
  ffmpeg_make (IN_V IN_A X264 "-c:a aac", path);
  truncate_file (path, 0.6);
}

/* moov first: the index survives but points past the end */
static void
make_truncated_faststart_mp4 (Fixture *f, const char *path)
{
  ffmpeg_make (IN_V IN_A X264 "-c:a aac -movflags +faststart", path);
  truncate_file (path, 0.6);
}

static void
make_empty (Fixture *f, const char *path)
{
  write_bytes (path, (const guint8 *) "", 0);
}

static void
make_random (Fixture *f, const char *path)
{
  g_autofree guint32 *words = g_new (guint32, 65536 / 4);

  for (guint i = 0; i < 65536 / 4; i++)
    words[i] = (guint32) g_test_rand_int ();
  write_bytes (path, (const guint8 *) words, 65536);
}

static void
make_text (Fixture *f, const char *path)
{
  write_text (path, "Programme for the spring concert\n1. Erhu solo\n2. 古筝合奏\n"
                    "3. Children's choir\n");
}

/* one frame; the extension picks JPEG or PNG */
static void
make_still_image (Fixture *f, const char *path)
{
  ffmpeg_make (IN_V "-frames:v 1", path);
}

static void
make_srt (Fixture *f, const char *path)
{
  write_text (path, "1\n00:00:00,000 --> 00:00:01,000\nHello\n\n");
}

static void
make_subtitles_only_mkv (Fixture *f, const char *path)
{
  g_autofree char *srt = fixture_path (f, "in.srt");

  make_srt (f, srt);
  ffmpeg_make_from (srt, "", path);
}

static void
make_nothing (Fixture *f, const char *path)
{
}

static void
make_directory (Fixture *f, const char *path)
{
  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
}

/* Opening a FIFO for reading blocks until a writer comes: the probe must not. */
static void
make_fifo (Fixture *f, const char *path)
{
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
}

typedef struct
{
  const char *name;  /* test path and file name */
  void      (*make) (Fixture *f, const char *path);
  const char *code;
  gboolean    hostile; /* points at the canary and the listener */
} RefuseCase;

static const RefuseCase refuse_cases[] = {
  { "hls-playlist-as.mp4", make_hls, "unsupported_format", TRUE },
  { "hls-playlist-as.avi", make_hls, "unsupported_format", TRUE },
  { "playlist.m3u8", make_hls, "unsupported_format", TRUE },
  { "ffconcat.mp4", make_ffconcat, "unsupported_format", TRUE },
  { "stream.sdp", make_sdp, "unsupported_format", TRUE },
  { "gab2-playlist.avi", make_gab2_avi, "no_media_streams", TRUE },
  { "huge-dimensions.mkv", make_huge_dimensions, "too_large", FALSE },
  { "100-hours.mkv", make_long_mkv, "too_long", FALSE },
  { "100-hours.mp4", make_long_mp4, "too_long", FALSE },
  { "20-streams.mkv", make_20_streams, "too_many_streams", FALSE },
  { "200-streams.mkv", make_200_streams, "too_many_streams", FALSE },
  { "truncated.mp4", make_truncated_mp4, "corrupt", FALSE },
  { "truncated-faststart.mp4", make_truncated_faststart_mp4, "corrupt", FALSE },
  { "empty.mp4", make_empty, "empty_file", FALSE },
  { "random.mp4", make_random, "unsupported_format", FALSE },
  { "text.mp4", make_text, "unsupported_format", FALSE },
  { "photo.jpg", make_still_image, "unsupported_format", FALSE },
  { "image.png", make_still_image, "unsupported_format", FALSE },
  { "subtitles.srt", make_srt, "unsupported_format", FALSE },
  { "subtitles-only.mkv", make_subtitles_only_mkv, "no_media_streams", FALSE },
  { "missing.mp4", make_nothing, "io_error", FALSE },
  { "directory.mp4", make_directory, "io_error", FALSE },
  { "fifo.mp4", make_fifo, "io_error", FALSE },
};

/* A refusal: the code, and a message for staff that names no path. */
static void
assert_refused (Fixture *f, const char *path, const YgProbeLimits *limits, const char *code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (YgProbeInfo) info = yg_probe_file (path, limits, &error);
  g_autofree char *base = g_path_get_basename (path);
  const char *msg;

  g_assert_null (info);
  g_assert_nonnull (error);
  g_assert_true (error->domain == YG_PROBE_ERROR);
  g_test_message ("%s: %s", yg_probe_error_code (error), error->message);
  g_assert_cmpstr (yg_probe_error_code (error), ==, code);

  msg = error->message;
  g_assert_true (g_utf8_validate (msg, -1, NULL));
  g_assert_cmpuint (strlen (msg), >, 40);
  g_assert_cmpuint (strlen (msg), <, 600);
  g_assert_true (g_ascii_isupper (msg[0]));
  g_assert_true (g_str_has_suffix (msg, "."));
  g_assert_null (strstr (msg, f->tmp));
  g_assert_null (strstr (msg, base));
  g_assert_null (strstr (msg, "%"));
  g_assert_null (strstr (msg, "(null)"));
}

static void
test_refuse (Fixture *f, gconstpointer data)
{
  const RefuseCase *c = data;
  g_autofree char *path = fixture_path (f, c->name);

  c->make (f, path);
  assert_refused (f, path, NULL, c->code);
  if (c->hostile)
    assert_nothing_followed (f);
}

/* A playlist appended to a valid AVI changes nothing: the AVI is accepted, and
 * nothing the trailing text names is opened. */
static void
test_hostile_tail (Fixture *f, gconstpointer data)
{
  g_autofree char *path = fixture_path (f, "tail.avi");
  g_autofree char *playlist = hostile_playlist (f);
  g_autoptr (GByteArray) b = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (YgProbeInfo) info = NULL;

  ffmpeg_make (IN_V IN_A "-c:v mpeg4 -c:a pcm_s16le", path);
  b = read_bytes (path);
  g_byte_array_append (b, (const guint8 *) playlist, (guint) strlen (playlist));
  write_bytes (path, b->data, b->len);

  info = yg_probe_file (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->container, ==, "avi");
  g_assert_true (info->has_video && info->has_audio);
  assert_nothing_followed (f);
}

/* The two detectors above do see an open and a connection. */
static void
test_hostile_detectors (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GError) error = NULL;
  int fd;

  assert_nothing_followed (f);
  fd = g_open (f->canary, O_RDONLY | O_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  g_assert_true (canary_touched (f));

  conn = g_socket_client_connect_to_host (client, "127.0.0.1", f->port, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (listener_contacted (f));
  assert_nothing_followed (f);
}

/* --- limits passed by the caller -------------------------------------------------------- */

typedef struct
{
  const char *name;
  guint       max_width, max_height, max_streams;
  double      max_duration, timeout;
  const char *code;
} LimitCase;

static const LimitCase limit_cases[] = {
  { "width", 160, 2304, 16, 3600, 30, "too_large" },
  { "height", 4096, 200, 16, 3600, 30, "too_large" },
  { "area", 320, 320, 16, 3600, 30, NULL },        /* 320x240 fits 320x320 */
  { "duration", 4096, 2304, 16, 0.5, 30, "too_long" },
  { "streams", 4096, 2304, 1, 3600, 30, "too_many_streams" },
  { "timeout", 4096, 2304, 16, 3600, 1e-9, "corrupt" },
};

static void
test_limits (Fixture *f, gconstpointer data)
{
  const LimitCase *c = data;
  g_autofree char *path = fixture_path (f, "clip.mp4");
  YgProbeLimits limits = *yg_probe_limits_default ();

  limits.max_width = c->max_width;
  limits.max_height = c->max_height;
  limits.max_streams = c->max_streams;
  limits.max_duration = c->max_duration;
  limits.timeout = c->timeout;
  ffmpeg_make (IN_V IN_A X264 "-c:a aac", path);
  if (c->code != NULL)
    assert_refused (f, path, &limits, c->code);
  else
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (YgProbeInfo) info = yg_probe_file (path, &limits, &error);
      g_assert_no_error (error);
    }
}

/* Portrait is judged like landscape: 240x320 passes a 320x240 limit. */
static void
test_limits_portrait (Fixture *f, gconstpointer data)
{
  g_autofree char *path = fixture_path (f, "portrait.mp4");
  YgProbeLimits limits = *yg_probe_limits_default ();
  g_autoptr (GError) error = NULL;
  g_autoptr (YgProbeInfo) info = NULL;

  limits.max_width = 320;
  limits.max_height = 240;
  ffmpeg_make ("-f lavfi -i testsrc2=s=240x320:r=25:d=1 " X264, path);
  info = yg_probe_file (path, &limits, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info->width, ==, 240);
  g_assert_cmpuint (info->height, ==, 320);
}

/* --- API ---------------------------------------------------------------------------------- */

static void
test_api_defaults (void)
{
  const YgProbeLimits *l = yg_probe_limits_default ();

  g_assert_cmpuint (l->max_width, ==, 4096);
  g_assert_cmpuint (l->max_height, ==, 2304);
  g_assert_cmpfloat (l->max_duration, ==, 12 * 3600.0);
  g_assert_cmpuint (l->max_streams, ==, 16);
  g_assert_cmpint (l->probesize, >, 0);
  g_assert_cmpint (l->analyzeduration_us, >, 0);
  g_assert_cmpfloat (l->timeout, >, 0);
}

static void
test_api_error_codes (void)
{
  static const struct { YgProbeError code; const char *name; } codes[] = {
    { YG_PROBE_ERROR_UNSUPPORTED_FORMAT, "unsupported_format" },
    { YG_PROBE_ERROR_TOO_LARGE, "too_large" },
    { YG_PROBE_ERROR_TOO_LONG, "too_long" },
    { YG_PROBE_ERROR_TOO_MANY_STREAMS, "too_many_streams" },
    { YG_PROBE_ERROR_NO_MEDIA_STREAMS, "no_media_streams" },
    { YG_PROBE_ERROR_CORRUPT, "corrupt" },
    { YG_PROBE_ERROR_EMPTY, "empty_file" },
    { YG_PROBE_ERROR_IO, "io_error" },
  };
  g_autoptr (GError) foreign = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_NOENT, "x");

  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autoptr (GError) e = g_error_new_literal (YG_PROBE_ERROR, codes[i].code, "x");
      g_assert_cmpstr (yg_probe_error_code (e), ==, codes[i].name);
    }
  g_assert_null (yg_probe_error_code (foreign));
}

static void
test_api_to_string (Fixture *f, gconstpointer data)
{
  g_autofree char *path = fixture_path (f, "clip.mp4");
  g_autoptr (GError) error = NULL;
  g_autoptr (YgProbeInfo) info = NULL;
  g_autofree char *line = NULL;

  ffmpeg_make (IN_V IN_A X264 "-c:a aac", path);
  info = yg_probe_file (path, NULL, &error);
  g_assert_no_error (error);
  line = yg_probe_info_to_string (info);
  g_assert_nonnull (strstr (line, "container=mp4"));
  g_assert_nonnull (strstr (line, "h264"));
  g_assert_nonnull (strstr (line, "320x240"));
  g_assert_nonnull (strstr (line, "aac"));
  g_assert_null (strchr (line, '\n'));
}

typedef struct
{
  const char *good;
  const char *bad;
  guint       ok, refused;
} ThreadJob;

static gpointer
probe_thread (gpointer data)
{
  ThreadJob *job = data;

  for (int i = 0; i < 5; i++)
    {
      g_autoptr (GError) e1 = NULL;
      g_autoptr (GError) e2 = NULL;
      g_autoptr (YgProbeInfo) a = yg_probe_file (job->good, NULL, &e1);
      g_autoptr (YgProbeInfo) b = yg_probe_file (job->bad, NULL, &e2);

      job->ok += a != NULL && e1 == NULL;
      job->refused += b == NULL && e2 != NULL
                      && g_error_matches (e2, YG_PROBE_ERROR, YG_PROBE_ERROR_CORRUPT);
    }
  return NULL;
}

/* Several threads probing at once (the first call also races the one-time init). */
static void
test_api_threads (Fixture *f, gconstpointer data)
{
  g_autofree char *good = fixture_path (f, "good.mp4");
  g_autofree char *bad = fixture_path (f, "bad.mp4");
  ThreadJob jobs[4];
  GThread *threads[G_N_ELEMENTS (jobs)];

  ffmpeg_make (IN_V IN_A X264 "-c:a aac", good);
  make_truncated_mp4 (f, bad);
  for (gsize i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      jobs[i] = (ThreadJob) { good, bad, 0, 0 };
      threads[i] = g_thread_new ("probe", probe_thread, &jobs[i]);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (jobs[i].ok, ==, 5);
      g_assert_cmpuint (jobs[i].refused, ==, 5);
    }
}

/* --- main ------------------------------------------------------------------------------------ */

static char *
case_path (const char *prefix, const char *name)
{
  g_autofree char *stem = g_strdup (name);
  char *dot = strrchr (stem, '.');

  /* "mp4-h264-aac.mp4" -> "mp4-h264-aac"; keep "hls-playlist-as.avi" distinct */
  if (dot != NULL && g_str_has_prefix (prefix, "/probe/accept"))
    *dot = '\0';
  return g_strconcat (prefix, stem, NULL);
}

static void
test_no_ffmpeg (void)
{
  g_test_skip ("ffmpeg is not installed; the media suite generates its files with it");
}

#define ADD(path, data, fn) \
  g_test_add (path, Fixture, data, fixture_setup, fn, fixture_teardown)

int
main (int argc, char **argv)
{
  g_autofree char *ffmpeg = NULL;

  g_test_init (&argc, &argv, NULL);
  g_test_summary ("The safe probe of uploaded media: accepted containers and codecs, "
                  "hostile and broken files refused with a stable code and a readable "
                  "message, nothing else opened, limits enforced.");

  ffmpeg = g_find_program_in_path ("ffmpeg");
  if (ffmpeg == NULL)
    {
      g_test_add_func ("/probe/no-ffmpeg", test_no_ffmpeg);
      return g_test_run ();
    }

  for (gsize i = 0; i < G_N_ELEMENTS (accept_cases); i++)
    {
      g_autofree char *p = case_path ("/probe/accept/", accept_cases[i].name);
      ADD (p, &accept_cases[i], test_accept);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (rotation_cases); i++)
    {
      g_autofree char *p = g_strdup_printf ("/probe/accept/rotation-%d",
                                            rotation_cases[i].rotation);
      ADD (p, &rotation_cases[i], test_rotation);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (refuse_cases); i++)
    {
      g_autofree char *p = case_path ("/probe/refuse/", refuse_cases[i].name);
      ADD (p, &refuse_cases[i], test_refuse);
    }
  ADD ("/probe/hostile/detectors-work", NULL, test_hostile_detectors);
  ADD ("/probe/hostile/playlist-after-avi", NULL, test_hostile_tail);
  for (gsize i = 0; i < G_N_ELEMENTS (limit_cases); i++)
    {
      g_autofree char *p = g_strconcat ("/probe/limits/", limit_cases[i].name, NULL);
      ADD (p, &limit_cases[i], test_limits);
    }
  ADD ("/probe/limits/portrait", NULL, test_limits_portrait);
  g_test_add_func ("/probe/api/defaults", test_api_defaults);
  g_test_add_func ("/probe/api/error-codes", test_api_error_codes);
  ADD ("/probe/api/to-string", NULL, test_api_to_string);
  ADD ("/probe/api/threads", NULL, test_api_threads);

  return g_test_run ();
}

/* pipeline-test.c: the whole path, with real processes and real clients.
 *
 * Starts `yunguan serve` (one worker) on a temporary data directory, imports
 * generated recordings with `yunguan import`, and waits for the items to be
 * transcoded by the sandboxed worker. Then real clients read the result over
 * HTTP: ffprobe decodes every variant of the master playlist (durations
 * within 0.5 s of the source), GStreamer (playbin → hlsdemux) plays it to
 * EOS, and the item JSON follows processing → playable → ready. A hostile
 * file (a playlist renamed .mp4) ends as a failed item with the probe's
 * machine code, and fsck is clean afterwards. Suite: media.
 */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sys/prctl.h>

#include "yg-test-server.h"

typedef struct
{
  char *dir;
  char *data;
  GSubprocess *server;
  guint16 port;
} Fixture;


static gboolean
run_argv (const char *const *argv, char **out, char **err, int *status)
{
  g_autoptr (GError) error = NULL;
  int wait_status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out, err,
                     &wait_status, &error))
    {
      g_test_message ("cannot run %s: %s", argv[0], error->message);
      return FALSE;
    }
  *status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  return TRUE;
}

static void
make_clip (const char *path, const char *size, double seconds, gboolean audio)
{
  g_autofree char *src = g_strdup_printf ("testsrc2=size=%s:rate=25", size);
  g_autofree char *t = g_strdup_printf ("%.1f", seconds);
  const char *with_audio[] = { "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                               "-i", src, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                               "-t", t, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
                               "yuv420p", "-c:a", "aac", path, NULL };
  const char *video_only[] = { "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                               "-i", src, "-t", t, "-c:v", "libx264", "-preset", "ultrafast",
                               "-pix_fmt", "yuv420p", path, NULL };
  int status;

  g_assert_true (run_argv (audio ? with_audio : video_only, NULL, NULL, &status));
  g_assert_cmpint (status, ==, 0);
}

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *bin = yg_test_binary ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) err = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  char *line;

  f->dir = yg_test_make_tmpdir ();
  f->data = g_build_filename (f->dir, "data", NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* If this test dies on an assertion, the server must not outlive it. */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  f->server = g_subprocess_launcher_spawn (launcher, &error, bin, "serve", "--data", f->data,
                                           "--listen", "127.0.0.1:0", "--workers", "1",
                                           "--access-log", "off", NULL);
  g_assert_no_error (error);
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (f->server));
  while (f->port == 0 && (line = g_data_input_stream_read_line (err, NULL, NULL, NULL)) != NULL)
    {
      if (g_str_has_prefix (line, "yunguan: port "))
        f->port = atoi (line + 14);
      g_free (line);
    }
  g_assert_cmpuint (f->port, >, 0);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_subprocess_send_signal (f->server, SIGTERM);
  g_subprocess_wait (f->server, NULL, NULL);
  g_object_unref (f->server);
  yg_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->data);
}

static char *
import_file (Fixture *f, const char *path, const char *title)
{
  g_autofree char *bin = yg_test_binary ();
  g_autofree char *out = NULL, *err = NULL;
  const char *argv[] = { bin, "import", "--data", f->data, "--kind", "performance", "--title",
                         title, "--quiet", path, NULL };
  int status;

  g_assert_true (run_argv (argv, &out, &err, &status));
  g_test_message ("import: %s", err);
  g_assert_cmpint (status, ==, 0);
  g_strchomp (out);
  g_assert_cmpuint (strlen (out), ==, 16);
  return g_steal_pointer (&out);
}

static JsonObject *
get_item (Fixture *f, const char *id, JsonNode **owner)
{
  g_autofree char *req = g_strdup_printf ("GET /api/v1/items/%s HTTP/1.1\r\nHost: t\r\n"
                                          "Connection: close\r\n\r\n",
                                          id);
  guint status;
  g_autofree char *r = yg_test_http (f->port, req, &status);
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_cmpuint (status, ==, 200);
  g_assert_true (json_parser_load_from_data (parser, strstr (r, "\r\n\r\n") + 4, -1, NULL));
  *owner = json_node_copy (json_parser_get_root (parser));
  return json_node_get_object (*owner);
}

/* Polls until the item leaves "processing" (bounded); records whether it was
 * seen playable while still processing. */
static char *
wait_for_item (Fixture *f, const char *id, gboolean *seen_progressive)
{
  gint64 give_up = g_get_monotonic_time () + 180 * G_USEC_PER_SEC;

  *seen_progressive = FALSE;
  while (g_get_monotonic_time () < give_up)
    {
      g_autoptr (JsonNode) doc = NULL;
      JsonObject *item = get_item (f, id, &doc);
      const char *status = json_object_get_string_member (item, "status");
      if (g_str_equal (status, "processing"))
        *seen_progressive |= json_object_get_boolean_member (item, "playable");
      else
        return g_strdup (status);
      g_usleep (200 * 1000);
    }
  return g_strdup ("timeout");
}

static void
test_import_transcode_play (Fixture *f, gconstpointer data)
{
  g_autofree char *clip = g_build_filename (f->dir, "concert.mp4", NULL);
  g_autofree char *id = NULL, *status = NULL, *url = NULL, *out = NULL, *err = NULL;
  g_autoptr (JsonNode) doc = NULL;
  g_auto (GStrv) lines = NULL;
  JsonObject *item;
  gboolean progressive;
  guint variants = 0;
  int rc;

  make_clip (clip, "1280x720", 14, TRUE);
  id = import_file (f, clip, "新年音乐会");
  status = wait_for_item (f, id, &progressive);
  g_assert_cmpstr (status, ==, "ready");
  item = get_item (f, id, &doc);
  g_assert_true (json_object_get_boolean_member (item, "playable"));
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (item, "duration"), 14.0, 0.5);
  g_assert_nonnull (json_object_get_string_member (item, "poster_url"));
  g_test_message ("seen playable before ready: %s", progressive ? "yes" : "no");

  /* ffprobe reads every variant over HTTP. */
  url = g_strdup_printf ("http://127.0.0.1:%u%s", f->port,
                         json_object_get_string_member (item, "hls_url"));
  {
    const char *argv[] = { "ffprobe", "-v", "error", "-show_entries",
                           "stream=codec_type,width,height:format=duration", "-of", "compact",
                           url, NULL };
    g_assert_true (run_argv (argv, &out, &err, &rc));
  }
  g_assert_cmpint (rc, ==, 0);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "stream|") && strstr (lines[i], "codec_type=video") != NULL)
      variants++;
  g_assert_cmpuint (variants, ==, 3); /* 720p, 480p, 360p: nothing above the source */
  g_assert_nonnull (strstr (out, "width=1280|height=720"));
  g_assert_null (strstr (out, "height=1080"));
  {
    const char *dur = g_strrstr (out, "format|duration=");
    g_assert_nonnull (dur);
    g_assert_cmpfloat_with_epsilon (g_ascii_strtod (dur + 16, NULL), 14.0, 0.5);
  }

  /* GStreamer's hlsdemux plays it to the end. */
  {
    g_autofree char *o2 = NULL, *e2 = NULL;
    g_autofree char *uri = g_strdup_printf ("uri=%s", url);
    const char *argv[] = { "gst-launch-1.0", "-q", "playbin", uri, "video-sink=fakesink",
                           "audio-sink=fakesink", NULL };
    g_assert_true (run_argv (argv, &o2, &e2, &rc));
    g_test_message ("gst-launch: %s %s", o2, e2);
    g_assert_cmpint (rc, ==, 0);
  }
}

static void
test_hostile_file_fails_cleanly (Fixture *f, gconstpointer data)
{
  g_autofree char *fake = g_build_filename (f->dir, "playlist.mp4", NULL);
  g_autofree char *id = NULL, *status = NULL, *bin = yg_test_binary (), *out = NULL, *err = NULL;
  g_autoptr (JsonNode) doc = NULL;
  JsonObject *item, *error;
  gboolean progressive;
  int rc;

  g_file_set_contents (fake,
                       "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n"
                       "#EXTINF:10,\nhttp://127.0.0.1:9/x.ts\n#EXT-X-ENDLIST\n",
                       -1, NULL);
  id = import_file (f, fake, "不是视频");
  status = wait_for_item (f, id, &progressive);
  g_assert_cmpstr (status, ==, "failed");
  item = get_item (f, id, &doc);
  error = json_object_get_object_member (item, "error");
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "unsupported_format");
  g_assert_false (json_object_get_boolean_member (item, "playable"));
  {
    const char *argv[] = { bin, "fsck", "--data", f->data, NULL };
    g_assert_true (run_argv (argv, &out, &err, &rc));
  }
  g_assert_cmpint (rc, ==, 0);
}

int
main (int argc, char **argv)
{
  g_autofree char *ffmpeg = g_find_program_in_path ("ffmpeg");

  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Import → sandboxed worker → HLS, read back by ffprobe and GStreamer");
  if (ffmpeg == NULL)
    {
      g_test_skip ("ffmpeg is not installed");
      return g_test_run ();
    }
  g_test_add ("/pipeline/import-transcode-play", Fixture, NULL, setup, test_import_transcode_play,
              teardown);
  g_test_add ("/pipeline/hostile-file-fails-cleanly", Fixture, NULL, setup,
              test_hostile_file_fails_cleanly, teardown);
  return g_test_run ();
}

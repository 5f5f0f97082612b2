/* worker-test.c: workers under fire: kill -9, cancel, sandbox, time limit.
 *
 * Each case starts a real `yunguan serve` (its stderr in a log file in the
 * case's temporary directory), imports a generated 40 s 640x360 clip with
 * `yunguan import`, and waits until the sandboxed `yunguan transcode-job`
 * child of the pool's worker is part-way through (segments on disk). Then:
 * the worker is SIGKILLed (the pool restarts it, the job is requeued and
 * finishes on attempt 2); the server is SIGKILLed (worker and transcoder
 * must die with it, the restarted server reclaims the job at once, giving
 * the interrupted attempt back, and it finishes, while every published
 * playlist lists only complete segments);
 * staff cancel the running job (the worker stops the child at its next
 * heartbeat) and retry it; the child's network namespace, no-new-privs and
 * rlimits are checked in /proc; a transcode over its memory limit fails at
 * once, with its reason, and is not retried. The wall-clock limit (120 s + duration ×
 * --time-factor) cannot be reached in under two minutes, so that case runs
 * only with -m slow, with a hand-run worker and a SIGSTOPped child.
 * Every process dies with the test (parent-death signal; the test is a
 * child subreaper, so orphans come back to it) and teardown kills and reaps
 * whatever still names the case's data directory; a test dying on an
 * assertion kills the processes it found first. Processes are found by
 * scanning /proc for their parent pid and argv[1]. Suite: media.
 */
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "yg-db.h"
#include "yg-principal.h"
#include "yg-test-server.h"
#include "yg-token-store.h"

#define CLIP_SECONDS 40.0

static char *clip_dir; /* shared by every case: generated once */
static char *clip_path;

typedef struct
{
  char *dir;
  char *data;
  char *log;   /* serve's stderr, every run appended */
  char *token; /* staff */
  GSubprocess *server;
  GSubprocess *worker; /* a worker started by hand (time limit) */
  guint16 port;
  SoupSession *http;
} Fixture;

/* --- processes ------------------------------------------------------------------------ */

static void track (GPid pid);


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

/* The server gets SIGTERM, so that it stops its workers; a SIGKILLed
 * server leaves them running (see /worker/kill-9-server). */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
die_with_parent_now (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* argv of a process, NULL if it is gone (or a zombie: empty cmdline). */
static char **
proc_argv (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  g_autofree char *text = NULL;
  gsize len;
  GPtrArray *args;

  if (!g_file_get_contents (path, &text, &len, NULL) || len == 0)
    return NULL;
  args = g_ptr_array_new ();
  for (gsize i = 0; i < len; i += strlen (text + i) + 1)
    g_ptr_array_add (args, g_strdup (text + i));
  g_ptr_array_add (args, NULL);
  return (char **) g_ptr_array_free (args, FALSE);
}

/* Parent pid and state letter from /proc/<pid>/stat; FALSE when gone. */
static gboolean
proc_stat (GPid pid, GPid *ppid, char *state)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  const char *p;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (p = strrchr (text, ')')) == NULL)
    return FALSE;
  if (state != NULL)
    *state = p[2];
  if (ppid != NULL)
    *ppid = atoi (p + 4);
  return TRUE;
}

/* Gone or a zombie (a zombie of ours is reaped here). */
static gboolean
proc_gone (GPid pid)
{
  GPid ppid;
  char state;

  if (!proc_stat (pid, &ppid, &state))
    return TRUE;
  if (state != 'Z' && state != 'X')
    return FALSE;
  if (ppid == getpid ())
    waitpid (pid, NULL, WNOHANG);
  return TRUE;
}

static gboolean
wait_gone (GPid pid, double seconds)
{
  gint64 give_up = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (!proc_gone (pid))
    {
      if (g_get_monotonic_time () > give_up)
        return FALSE;
      g_usleep (50 * 1000);
    }
  return TRUE;
}

/* A live child of @parent whose argv[1] is @command, or 0. */
static GPid
find_child (GPid parent, const char *command)
{
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  g_assert_nonnull (proc);
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      GPid pid = atoi (name), ppid;
      char state;
      g_auto (GStrv) argv = NULL;

      if (pid <= 0 || !proc_stat (pid, &ppid, &state) || ppid != parent || state == 'Z')
        continue;
      argv = proc_argv (pid);
      if (argv != NULL && argv[0] != NULL && g_strcmp0 (argv[1], command) == 0)
        return pid;
    }
  return 0;
}

/* Waits (bounded) for such a child other than @except; 0 if none came.
 * Polled, because between fork and exec a child still shows its parent's
 * argv. */
static GPid
wait_child (GPid parent, const char *command, GPid except, double seconds)
{
  gint64 give_up = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  GPid pid;

  while (((pid = find_child (parent, command)) == 0 || pid == except)
         && g_get_monotonic_time () < give_up)
    g_usleep (50 * 1000);
  if (pid == except)
    return 0;
  track (pid);
  return pid;
}

static GPid
subprocess_pid (GSubprocess *p)
{
  const char *id = g_subprocess_get_identifier (p);

  return id != NULL ? atoi (id) : 0;
}

/* Kills (and reaps, when they came back to us) every process whose argv
 * mentions @needle: what a case left behind. Returns how many there were. */
static guint
kill_leftovers (const char *needle)
{
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  g_autoptr (GArray) pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      GPid pid = atoi (name);
      g_auto (GStrv) argv = NULL;

      if (pid <= 0 || pid == getpid () || proc_gone (pid) || (argv = proc_argv (pid)) == NULL)
        continue;
      for (guint i = 0; argv[i] != NULL; i++)
        if (strstr (argv[i], needle) != NULL)
          {
            g_test_message ("left behind: pid %d (%s %s)", (int) pid, argv[0],
                            argv[1] ? argv[1] : "");
            kill (pid, SIGKILL);
            g_array_append_val (pids, pid);
            break;
          }
    }
  for (guint i = 0; i < pids->len; i++)
    wait_gone (g_array_index (pids, GPid, i), 10);
  return pids->len;
}

/* If the test dies on an assertion, teardown does not run: kill what we
 * know of (a worker whose server was killed does not exit by itself). Only
 * async-signal-safe calls; a pid is killed only while its argv still names
 * the case's data directory. */
static char abort_needle[4096];
static volatile sig_atomic_t n_tracked;
static GPid tracked[256];

static void
track (GPid pid)
{
  if (pid > 0 && n_tracked < (sig_atomic_t) G_N_ELEMENTS (tracked))
    tracked[n_tracked++] = pid;
}

static void
on_fatal_signal (int sig)
{
  static char buf[8192];
  size_t needle = strlen (abort_needle);

  for (int i = 0; needle > 0 && i < n_tracked; i++)
    {
      char path[64] = "/proc/";
      int n = 6, fd;
      char digits[16];
      int d = 0;
      GPid pid = tracked[i];
      ssize_t len;

      do
        digits[d++] = '0' + pid % 10;
      while ((pid /= 10) > 0);
      while (d > 0)
        path[n++] = digits[--d];
      memcpy (path + n, "/cmdline", 9);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      len = read (fd, buf, sizeof buf);
      close (fd);
      if (len > 0 && memmem (buf, len, abort_needle, needle) != NULL)
        kill (tracked[i], SIGKILL);
    }
  signal (sig, SIG_DFL);
  raise (sig);
}

static void
make_clip (const char *path, double seconds)
{
  g_autofree char *t = g_strdup_printf ("%.1f", seconds);
  const char *argv[] = { "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                         "-i", "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i",
                         "sine=frequency=440:sample_rate=48000", "-t", t, "-c:v", "libx264",
                         "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", path, NULL };
  int status;

  g_assert_true (run_argv (argv, NULL, NULL, &status));
  g_assert_cmpint (status, ==, 0);
}

/* --- the server ----------------------------------------------------------------------- */

static char *
read_log (Fixture *f)
{
  char *text = NULL;

  g_file_get_contents (f->log, &text, NULL, NULL);
  return text != NULL ? text : g_strdup ("");
}

static void
dump_log (Fixture *f)
{
  g_autofree char *text = read_log (f);
  gsize len = strlen (text);

  g_test_message ("serve log (last 6000 bytes):\n%s", len > 6000 ? text + len - 6000 : text);
}

static void
server_start (Fixture *f, const char *workers)
{
  g_autofree char *bin = yg_test_binary ();
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GError) error = NULL;
  gint64 give_up = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  GStatBuf st;
  goffset start = g_stat (f->log, &st) == 0 ? st.st_size : 0;
  int fd = open (f->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

  g_assert_cmpint (fd, >=, 0);
  g_subprocess_launcher_take_stdout_fd (launcher, dup (fd));
  g_subprocess_launcher_take_stderr_fd (launcher, fd);
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "yg-jobs", TRUE);
  /* If this test dies on an assertion, the server must not outlive it. */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  f->server = g_subprocess_launcher_spawn (launcher, &error, bin, "serve", "--data", f->data,
                                           "--listen", "127.0.0.1:0", "--workers", workers,
                                           "--access-log", "off", NULL);
  g_assert_no_error (error);
  track (subprocess_pid (f->server));
  f->port = 0;
  while (f->port == 0)
    {
      g_autofree char *text = read_log (f);
      const char *p = (goffset) strlen (text) > start ? strstr (text + start, "yunguan: port ")
                                                      : NULL;
      if (p != NULL)
        f->port = atoi (p + 14);
      else if (g_get_monotonic_time () > give_up || g_subprocess_get_identifier (f->server) == NULL)
        {
          dump_log (f);
          g_error ("serve did not start");
        }
      else
        g_usleep (50 * 1000);
    }
}

/* SIGTERM, a bounded wait, then SIGKILL; always reaped. */
static void
server_stop (Fixture *f)
{
  gint64 give_up = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  if (f->server == NULL)
    return;
  g_subprocess_send_signal (f->server, SIGTERM);
  while (g_subprocess_get_identifier (f->server) != NULL && g_get_monotonic_time () < give_up)
    g_usleep (50 * 1000);
  if (g_subprocess_get_identifier (f->server) != NULL)
    {
      g_test_message ("serve did not stop on SIGTERM within 20 s; killing it");
      g_subprocess_force_exit (f->server);
    }
  g_subprocess_wait (f->server, NULL, NULL);
  g_clear_object (&f->server);
}

static char *
staff_token (Fixture *f)
{
  g_autofree char *bin = yg_test_binary ();
  g_autofree char *out = NULL, *err = NULL;
  const char *argv[] = { bin, "token", "create", "--data", f->data, "--role", "staff", "--name",
                         "worker-test", NULL };
  int status;

  g_assert_true (run_argv (argv, &out, &err, &status));
  if (status != 0)
    g_test_message ("token create: %s", err);
  g_assert_cmpint (status, ==, 0);
  return g_strstrip (g_steal_pointer (&out));
}

static void
setup (Fixture *f, gconstpointer workers)
{
  f->dir = yg_test_make_tmpdir ();
  f->data = g_build_filename (f->dir, "data", NULL);
  f->log = g_build_filename (f->dir, "serve.log", NULL);
  g_strlcpy (abort_needle, f->data, sizeof abort_needle);
  n_tracked = 0;
  f->http = soup_session_new_with_options ("timeout", 30, NULL);
  server_start (f, workers);
  f->token = staff_token (f);
}

/* As setup, but the server (and so its workers and their children) inherit
 * a core-file limit as high as allowed, as under `ulimit -c unlimited`: the
 * sandbox must bring it down to 0 itself. */
static void
setup_cores_allowed (Fixture *f, gconstpointer workers)
{
  struct rlimit saved, rl;

  g_assert_cmpint (getrlimit (RLIMIT_CORE, &saved), ==, 0);
  rl = saved;
  rl.rlim_cur = MIN (rl.rlim_max, (rlim_t) 1 << 30);
  g_assert_cmpint (setrlimit (RLIMIT_CORE, &rl), ==, 0);
  setup (f, workers);
  g_assert_cmpint (setrlimit (RLIMIT_CORE, &saved), ==, 0);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->worker != NULL)
    {
      g_subprocess_force_exit (f->worker);
      g_subprocess_wait (f->worker, NULL, NULL);
      g_clear_object (&f->worker);
    }
  server_stop (f);
  kill_leftovers (f->data);
  abort_needle[0] = '\0';
  n_tracked = 0;
  if (g_test_failed () || g_test_verbose ())
    dump_log (f);
  yg_test_rm_rf (f->dir);
  g_object_unref (f->http);
  g_free (f->dir);
  g_free (f->data);
  g_free (f->log);
  g_free (f->token);
}

/* --- HTTP ----------------------------------------------------------------------------- */

/* One request; status 0 when the server cannot be reached. */
static GBytes *
http (Fixture *f, const char *method, const char *path, const char *body, guint *status,
      goffset *length)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", f->port, path);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GError) error = NULL;
  GBytes *bytes;

  g_assert_nonnull (msg);
  /* A fresh connection each time: nothing stale after a long wait or a restart. */
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Connection", "close");
  if (f->token != NULL && g_str_has_prefix (path, "/api/"))
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", f->token);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body != NULL)
    {
      g_autoptr (GBytes) b = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", b);
    }
  bytes = soup_session_send_and_read (f->http, msg, NULL, &error);
  *status = error == NULL ? soup_message_get_status (msg) : 0;
  if (error != NULL)
    g_test_message ("%s %s: %s", method, path, error->message);
  if (length != NULL)
    *length = soup_message_headers_get_content_length (soup_message_get_response_headers (msg));
  return bytes;
}

static JsonNode *
http_json (Fixture *f, const char *method, const char *path, const char *body, guint expect)
{
  guint status;
  g_autoptr (GBytes) bytes = http (f, method, path, body, &status, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (status != expect)
    g_test_message ("%s %s → %u %.*s", method, path, status,
                    bytes ? (int) g_bytes_get_size (bytes) : 0,
                    bytes ? (const char *) g_bytes_get_data (bytes, NULL) : "");
  g_assert_cmpuint (status, ==, expect);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                             g_bytes_get_size (bytes), NULL));
  return json_node_copy (json_parser_get_root (parser));
}

static char *
item_status (Fixture *f, const char *id, char **error_code)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/items/%s", id);
  g_autoptr (JsonNode) doc = http_json (f, "GET", path, NULL, 200);
  JsonObject *item = json_node_get_object (doc);

  if (error_code != NULL)
    {
      JsonNode *e = json_object_get_member (item, "error");
      *error_code = e != NULL && JSON_NODE_HOLDS_OBJECT (e)
                      ? g_strdup (json_object_get_string_member_with_default (
                          json_node_get_object (e), "code", NULL))
                      : NULL;
    }
  return g_strdup (json_object_get_string_member (item, "status"));
}

/* The job document, or NULL. */
static JsonNode *
get_job (Fixture *f, gint64 id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/jobs/%" G_GINT64_FORMAT, id);

  return http_json (f, "GET", path, NULL, 200);
}

static gint64
json_int (JsonNode *doc, const char *member)
{
  return json_object_get_int_member (json_node_get_object (doc), member);
}

static const char *
json_str (JsonNode *doc, const char *member)
{
  return json_object_get_string_member (json_node_get_object (doc), member);
}

/* The newest job of @item in @state (GET /api/v1/jobs?state=), or 0. */
static gint64
find_job (Fixture *f, const char *item, const char *state)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/jobs?state=%s", state);
  g_autoptr (JsonNode) doc = http_json (f, "GET", path, NULL, 200);
  JsonArray *jobs = json_object_get_array_member (json_node_get_object (doc), "jobs");

  for (guint i = 0; i < json_array_get_length (jobs); i++)
    {
      JsonObject *job = json_array_get_object_element (jobs, i);
      if (g_strcmp0 (json_object_get_string_member (job, "item_id"), item) == 0)
        return json_object_get_int_member (job, "id");
    }
  return 0;
}

static char *
import_clip (Fixture *f, const char *title)
{
  g_autofree char *bin = yg_test_binary ();
  g_autofree char *out = NULL, *err = NULL;
  const char *argv[] = { bin, "import", "--data", f->data, "--kind", "performance", "--title",
                         title, "--quiet", clip_path, NULL };
  int status;

  g_assert_true (run_argv (argv, &out, &err, &status));
  if (status != 0)
    g_test_message ("import: %s", err);
  g_assert_cmpint (status, ==, 0);
  g_strchomp (out);
  g_assert_cmpuint (strlen (out), ==, 16);
  return g_steal_pointer (&out);
}

/* --- published media ----------------------------------------------------------------------- */

/* Segment files (seg*.ts) on disk under media/<item>/<rung>/. */
static guint
segments_on_disk (Fixture *f, const char *item)
{
  g_autofree char *root = g_build_filename (f->data, "media", item, NULL);
  g_autoptr (GDir) dir = g_dir_open (root, 0, NULL);
  const char *rung;
  guint n = 0;

  while (dir != NULL && (rung = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *sub = g_build_filename (root, rung, NULL);
      g_autoptr (GDir) d = g_dir_open (sub, 0, NULL);
      const char *name;

      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        n += g_str_has_prefix (name, "seg") && g_str_has_suffix (name, ".ts");
    }
  return n;
}

/* Rung directories of @item that hold an index.m3u8 on disk. */
static GPtrArray *
rungs_on_disk (Fixture *f, const char *item)
{
  g_autofree char *root = g_build_filename (f->data, "media", item, NULL);
  g_autoptr (GDir) dir = g_dir_open (root, 0, NULL);
  GPtrArray *rungs = g_ptr_array_new_with_free_func (g_free);
  const char *rung;

  while (dir != NULL && (rung = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *index = g_build_filename (root, rung, "index.m3u8", NULL);
      if (g_file_test (index, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (rungs, g_strdup (rung));
    }
  return rungs;
}

static double
ffprobe_duration (const char *url)
{
  g_autofree char *out = NULL, *err = NULL;
  const char *argv[] = { "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                         "csv=p=0", url, NULL };
  int rc;

  g_assert_true (run_argv (argv, &out, &err, &rc));
  if (rc != 0)
    g_test_message ("ffprobe %s: %s", url, err);
  g_assert_cmpint (rc, ==, 0);
  return g_ascii_strtod (out, NULL);
}

/* A listed segment is there in full: HEAD says 200 with the length of the
 * file on disk, a whole number of 188-byte TS packets. A rename may replace
 * the file between the stat and the HEAD (a later attempt republishing the
 * same name), so the check is repeated when the inode changed under it. */
static void
check_segment (Fixture *f, const char *item, const char *rung, const char *name, double extinf,
               gboolean decode)
{
  g_autofree char *disk = g_build_filename (f->data, "media", item, rung, name, NULL);
  g_autofree char *path = g_strdup_printf ("/hls/%s/%s/%s", item, rung, name);

  for (int attempt = 0;; attempt++)
    {
      GStatBuf before, after;
      guint status;
      goffset length;
      g_autoptr (GBytes) body = NULL;

      if (g_stat (disk, &before) != 0)
        g_error ("%s is listed in %s/index.m3u8 but does not exist", name, rung);
      body = http (f, "HEAD", path, NULL, &status, &length);
      g_assert_cmpint (g_stat (disk, &after), ==, 0);
      if ((before.st_ino != after.st_ino || before.st_size != after.st_size) && attempt < 5)
        continue;
      g_assert_cmpuint (status, ==, 200);
      g_assert_cmpint (length, ==, after.st_size);
      g_assert_cmpint (after.st_size, >, 0);
      g_assert_cmpint (after.st_size % 188, ==, 0);
      break;
    }
  if (decode)
    {
      g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", f->port, path);
      double d = ffprobe_duration (url);
      if (G_APPROX_VALUE (d, extinf, 0.5) == FALSE)
        g_error ("%s/%s: ffprobe reads %.3f s, the playlist says %.3f s", rung, name, d, extinf);
    }
}

/* Every media playlist of @item that exists on disk, fetched over HTTP,
 * lists only plain segment names whose files are complete. @final: the
 * playlists must be finished (ENDLIST) and every segment must decode.
 * Returns the number of segments checked. */
static guint
check_playlists (Fixture *f, const char *item, gboolean final)
{
  g_autoptr (GPtrArray) rungs = rungs_on_disk (f, item);
  guint checked = 0;

  if (final)
    g_assert_cmpuint (rungs->len, >=, 1);
  for (guint r = 0; r < rungs->len; r++)
    {
      const char *rung = rungs->pdata[r];
      g_autofree char *path = g_strdup_printf ("/hls/%s/%s/index.m3u8", item, rung);
      guint status;
      g_autoptr (GBytes) bytes = http (f, "GET", path, NULL, &status, NULL);
      g_autofree char *text = NULL;
      g_auto (GStrv) lines = NULL;
      double extinf = -1;

      g_assert_cmpuint (status, ==, 200);
      text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_assert_true (g_str_has_prefix (text, "#EXTM3U"));
      if (final)
        g_assert_nonnull (strstr (text, "#EXT-X-ENDLIST"));
      lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          const char *line = g_strstrip (lines[i]);
          if (g_str_has_prefix (line, "#EXTINF:"))
            extinf = g_ascii_strtod (line + 8, NULL);
          if (line[0] == '\0' || line[0] == '#')
            continue;
          if (strstr (line, ".tmp") != NULL || strchr (line, '/') != NULL || line[0] == '.')
            g_error ("%s/index.m3u8 lists \"%s\"", rung, line);
          g_assert_cmpfloat (extinf, >, 0);
          check_segment (f, item, rung, line, extinf, final);
          extinf = -1;
          checked++;
        }
    }
  return checked;
}

/* Temporaries (*.tmp, hidden .name.XXXXXX) still on disk under media/<item>. */
static guint
count_temporaries (const char *root)
{
  g_autoptr (GDir) dir = g_dir_open (root, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (root, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        n += count_temporaries (path);
      else if (g_str_has_suffix (name, ".tmp") || name[0] == '.')
        {
          g_test_message ("temporary left on disk: %s", path);
          n++;
        }
    }
  return n;
}

/* The finished item: ready, ffprobe decodes the master playlist over HTTP
 * (video and audio), every media playlist is final and complete. */
static void
check_finished (Fixture *f, const char *item)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/items/%s", item);
  g_autoptr (JsonNode) doc = http_json (f, "GET", path, NULL, 200);
  JsonObject *o = json_node_get_object (doc);
  g_autofree char *url = NULL, *out = NULL, *err = NULL, *root = NULL;
  int rc;

  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "ready");
  g_assert_true (json_object_get_boolean_member (o, "playable"));
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "duration"), CLIP_SECONDS, 0.5);
  url = g_strdup_printf ("http://127.0.0.1:%u%s", f->port,
                         json_object_get_string_member (o, "hls_url"));
  {
    const char *argv[] = { "ffprobe", "-v", "error", "-show_entries",
                           "stream=codec_type:format=duration", "-of", "compact", url, NULL };
    g_assert_true (run_argv (argv, &out, &err, &rc));
  }
  if (rc != 0)
    g_test_message ("ffprobe %s: %s", url, err);
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (strstr (out, "codec_type=video"));
  g_assert_nonnull (strstr (out, "codec_type=audio"));
  g_assert_cmpuint (check_playlists (f, item, TRUE), >=, 2 * (guint) (CLIP_SECONDS / 4) - 2);
  root = g_build_filename (f->data, "media", item, NULL);
  g_test_message ("temporaries left under media/%s: %u", item, count_temporaries (root));
}

/* Polls the item until it leaves "processing" (bounded); with @check,
 * every poll also checks the published playlists (@least: the fewest
 * segments they listed in one poll). */
static char *
wait_for_item (Fixture *f, const char *item, double seconds, gboolean check, guint *polls,
               guint *least)
{
  gint64 give_up = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  if (polls != NULL)
    *polls = 0;
  if (least != NULL)
    *least = G_MAXUINT;
  while (g_get_monotonic_time () < give_up)
    {
      g_autofree char *status = item_status (f, item, NULL);
      if (check)
        {
          guint listed = check_playlists (f, item, FALSE);
          if (least != NULL)
            *least = MIN (*least, listed);
        }
      if (polls != NULL)
        (*polls)++;
      if (!g_str_equal (status, "processing"))
        return g_steal_pointer (&status);
      g_usleep (200 * 1000);
    }
  return g_strdup ("timeout");
}

typedef struct
{
  gint64 job;
  gint64 attempts; /* 1 unless an earlier attempt failed for reasons of its own */
  GPid worker;
  GPid child; /* yunguan transcode-job */
} Running;

/* Waits (bounded) until @item's job is running and its transcoder, a child
 * of @worker_parent's worker (or of @worker itself when not 0), has
 * published at least two segments. With @check, the playlists are checked
 * at every poll. */
static Running
wait_transcoding (Fixture *f, const char *item, GPid worker_parent, GPid worker, gboolean check)
{
  gint64 give_up = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  Running r = { 0 };

  for (;;)
    {
      r.worker = worker != 0 ? worker : find_child (worker_parent, "worker");
      r.child = r.worker != 0 ? find_child (r.worker, "transcode-job") : 0;
      track (r.worker);
      track (r.child);
      if (r.child != 0 && segments_on_disk (f, item) >= 2
          && (r.job = find_job (f, item, "running")) != 0)
        break;
      if (check)
        check_playlists (f, item, FALSE);
      if (g_get_monotonic_time () > give_up)
        {
          dump_log (f);
          g_error ("the job of item %s did not get going (worker %d, transcoder %d, %u segments)",
                   item, (int) r.worker, (int) r.child, segments_on_disk (f, item));
        }
      g_usleep (50 * 1000);
    }
  {
    g_autoptr (JsonNode) job = get_job (f, r.job);
    JsonNode *e = json_object_get_member (json_node_get_object (job), "error");
    r.attempts = json_int (job, "attempts");
    if (r.attempts != 1)
      g_test_message ("job %" G_GINT64_FORMAT " is on attempt %" G_GINT64_FORMAT
                      "; the earlier one failed: %s", r.job, r.attempts,
                      e != NULL && JSON_NODE_HOLDS_OBJECT (e)
                        ? json_object_get_string_member (json_node_get_object (e), "message")
                        : "(no error recorded)");
  }
  g_test_message ("job %" G_GINT64_FORMAT " running: worker %d, transcoder %d, %u segments", r.job,
                  (int) r.worker, (int) r.child, segments_on_disk (f, item));
  return r;
}

/* --- cases ----------------------------------------------------------------------------- */

static void
test_kill_worker (Fixture *f, gconstpointer data)
{
  GPid serve = subprocess_pid (f->server), worker2 = 0;
  g_autofree char *item = import_clip (f, "kill -9 the worker");
  g_autofree char *status = NULL;
  g_autoptr (JsonNode) job = NULL;
  Running r = wait_transcoding (f, item, serve, 0, TRUE);
  gint64 t0;
  guint polls;

  /* Freeze the transcoder part-way, so the kill surely lands mid-job. */
  g_assert_cmpint (kill (r.child, SIGSTOP), ==, 0);
  job = get_job (f, r.job);
  g_assert_cmpstr (json_str (job, "state"), ==, "running");
  g_assert_cmpint (json_int (job, "attempts"), ==, r.attempts);
  g_clear_pointer (&job, json_node_unref);

  t0 = g_get_monotonic_time ();
  g_assert_cmpint (kill (r.worker, SIGKILL), ==, 0);
  /* The transcoder dies with its worker (parent-death signal). */
  g_assert_true (wait_gone (r.worker, 5));
  g_assert_true (wait_gone (r.child, 5));

  /* The pool starts another worker and requeues the job at once. */
  worker2 = wait_child (serve, "worker", r.worker, 15);
  g_assert_cmpint (worker2, !=, 0);
  g_assert_cmpint (worker2, !=, r.worker);
  job = get_job (f, r.job);
  g_test_message ("after the kill: job %s, attempts %" G_GINT64_FORMAT ", new worker %d after %.1f s",
                  json_str (job, "state"), json_int (job, "attempts"), (int) worker2,
                  (g_get_monotonic_time () - t0) / 1e6);
  /* the interrupted attempt is given back: the job did not fail, the server died */
  g_assert_true (g_str_equal (json_str (job, "state"), "queued")
                 || (g_str_equal (json_str (job, "state"), "running")
                     && json_int (job, "attempts") == r.attempts));
  g_clear_pointer (&job, json_node_unref);
  {
    g_autofree char *log = read_log (f);
    g_assert_nonnull (strstr (log, "exited unexpectedly; 1 job(s) requeued"));
  }

  status = wait_for_item (f, item, 90, TRUE, &polls, NULL);
  g_test_message ("item %s %.1f s after the kill (%u polls with playlists checked)", status,
                  (g_get_monotonic_time () - t0) / 1e6, polls);
  g_assert_cmpstr (status, ==, "ready");
  job = get_job (f, r.job);
  g_assert_cmpstr (json_str (job, "state"), ==, "done");
  g_assert_cmpint (json_int (job, "attempts"), ==, r.attempts + 1);
  check_finished (f, item);
  /* The replacement worker is the one that did it, and it is still there. */
  g_assert_false (proc_gone (worker2));
}

static void
test_kill_server (Fixture *f, gconstpointer data)
{
  GPid serve = subprocess_pid (f->server), worker2;
  g_autofree char *item = import_clip (f, "kill -9 the server");
  g_autofree char *status = NULL;
  g_autoptr (JsonNode) job = NULL;
  Running r = wait_transcoding (f, item, serve, 0, TRUE);
  gint64 t0;
  gboolean worker_died, child_died;
  guint polls, listed_before, least;

  g_assert_cmpint (kill (r.child, SIGSTOP), ==, 0);
  listed_before = check_playlists (f, item, FALSE);
  t0 = g_get_monotonic_time ();
  g_subprocess_force_exit (f->server); /* SIGKILL */
  g_subprocess_wait (f->server, NULL, NULL);
  g_clear_object (&f->server);

  /* The worker gets SIGTERM (parent-death signal) and kills its child; the
   * child would get SIGKILL from its own parent-death signal anyway. */
  child_died = wait_gone (r.child, 5);
  worker_died = wait_gone (r.worker, 10);
  g_test_message ("%.1f s after the server was killed: transcoder %s, worker %s",
                  (g_get_monotonic_time () - t0) / 1e6, child_died ? "gone" : "STILL RUNNING",
                  worker_died ? "gone" : "STILL RUNNING");
  /* Its last reports have nowhere to go: it drops them rather than wait forever. */
  g_assert_true (worker_died);
  g_assert_true (child_died);

  /* A new server on the same data directory takes the job back at once. */
  server_start (f, "1");
  job = get_job (f, r.job);
  g_test_message ("after restart: job %s, attempts %" G_GINT64_FORMAT, json_str (job, "state"),
                  json_int (job, "attempts"));
  g_assert_true (g_str_equal (json_str (job, "state"), "queued")
                 || (g_str_equal (json_str (job, "state"), "running")
                     && json_int (job, "attempts") == r.attempts + 1));
  g_clear_pointer (&job, json_node_unref);
  {
    g_autofree char *log = read_log (f);
    g_assert_nonnull (strstr (log, "requeued 1 job(s) left running by workers of an earlier run"));
  }
  worker2 = wait_child (subprocess_pid (f->server), "worker", 0, 15);
  g_assert_cmpint (worker2, !=, 0);

  status = wait_for_item (f, item, 90, TRUE, &polls, &least);
  g_test_message ("item %s %.1f s after the server was killed (%u polls with playlists checked; "
                  "%u segments listed before the kill, as few as %u after the restart)",
                  status, (g_get_monotonic_time () - t0) / 1e6, polls, listed_before, least);
  g_assert_cmpstr (status, ==, "ready");
  job = get_job (f, r.job);
  g_assert_cmpstr (json_str (job, "state"), ==, "done");
  g_assert_cmpint (json_int (job, "attempts"), ==, r.attempts);
  check_finished (f, item);
}

static void
test_cancel_running (Fixture *f, gconstpointer data)
{
  GPid serve = subprocess_pid (f->server);
  g_autofree char *item = import_clip (f, "cancel me");
  g_autofree char *status = NULL, *code = NULL, *path = NULL;
  g_autoptr (JsonNode) job = NULL, retry = NULL;
  Running r = wait_transcoding (f, item, serve, 0, FALSE);
  gint64 t0, new_job;
  double stopped_after;

  /* A stopped transcoder cannot finish (or report files) on its own: only
   * the worker's heartbeat can learn of the cancel and kill it. */
  g_assert_cmpint (kill (r.child, SIGSTOP), ==, 0);
  path = g_strdup_printf ("/api/v1/jobs/%" G_GINT64_FORMAT "/cancel", r.job);
  t0 = g_get_monotonic_time ();
  job = http_json (f, "POST", path, "{}", 200);
  g_assert_cmpstr (json_str (job, "state"), ==, "cancelled");
  g_clear_pointer (&job, json_node_unref);
  status = item_status (f, item, &code);
  g_assert_cmpstr (status, ==, "failed");
  g_assert_cmpstr (code, ==, "cancelled");

  g_assert_true (wait_gone (r.child, 15));
  stopped_after = (g_get_monotonic_time () - t0) / 1e6;
  g_test_message ("transcoder stopped %.1f s after the cancel", stopped_after);
  g_assert_false (proc_gone (r.worker)); /* the worker carries on */
  g_clear_pointer (&status, g_free);
  g_clear_pointer (&code, g_free);
  status = item_status (f, item, &code);
  g_assert_cmpstr (status, ==, "failed");
  g_assert_cmpstr (code, ==, "cancelled");
  job = get_job (f, r.job);
  g_assert_cmpstr (json_str (job, "state"), ==, "cancelled");
  g_clear_pointer (&job, json_node_unref);
  {
    g_autofree char *log = read_log (f);
    g_assert_nonnull (strstr (log, "lease lost (cancelled or reassigned)"));
  }

  /* Retry: a new job, which the same worker runs to the end. */
  g_free (path);
  path = g_strdup_printf ("/api/v1/jobs/%" G_GINT64_FORMAT "/retry", r.job);
  retry = http_json (f, "POST", path, "{}", 201);
  new_job = json_int (retry, "id");
  g_assert_cmpint (new_job, !=, r.job);
  g_assert_cmpstr (json_str (retry, "state"), ==, "queued");
  g_clear_pointer (&status, g_free);
  status = wait_for_item (f, item, 90, FALSE, NULL, NULL);
  g_test_message ("retried item %s %.1f s after the cancel", status,
                  (g_get_monotonic_time () - t0) / 1e6);
  g_assert_cmpstr (status, ==, "ready");
  job = get_job (f, new_job);
  g_assert_cmpstr (json_str (job, "state"), ==, "done");
  g_assert_cmpint (json_int (job, "attempts"), >=, 1);
  g_clear_pointer (&job, json_node_unref);
  job = get_job (f, r.job);
  g_assert_cmpstr (json_str (job, "state"), ==, "cancelled");
  g_assert_cmpint (find_child (serve, "worker"), ==, r.worker);
  check_finished (f, item);
}

static char *
ns_of (GPid pid, const char *ns)
{
  g_autofree char *path = pid != 0 ? g_strdup_printf ("/proc/%d/ns/%s", (int) pid, ns)
                                   : g_strdup_printf ("/proc/self/ns/%s", ns);

  return g_file_read_link (path, NULL);
}

static void
test_sandbox_no_network (Fixture *f, gconstpointer data)
{
  g_autofree char *item = import_clip (f, "sandbox");
  Running r = wait_transcoding (f, item, subprocess_pid (f->server), 0, FALSE);
  g_autofree char *mine = ns_of (0, "net");
  g_autofree char *worker = ns_of (r.worker, "net");
  g_autofree char *child = NULL;
  g_autofree char *log = NULL;

  g_assert_cmpint (kill (r.child, SIGSTOP), ==, 0); /* keep it there while we look */
  child = ns_of (r.child, "net");
  g_test_message ("net namespaces: test %s, worker %s, transcoder %s", mine, worker, child);
  g_assert_nonnull (mine);
  g_assert_nonnull (child);
  g_assert_cmpstr (worker, ==, mine); /* the worker itself must reach the server */
  if (g_strcmp0 (child, mine) == 0)
    {
      log = read_log (f);
      g_assert_nonnull (strstr (log, "yunguan sandbox: no network namespace available"));
      g_test_skip ("no network namespace can be made here (the worker says so in its log)");
      return;
    }
  g_assert_cmpstr (child, !=, worker);
  /* Only a loopback, and it is down: no route anywhere. */
  {
    g_autofree char *path = g_strdup_printf ("/proc/%d/net/dev", (int) r.child);
    g_autofree char *dev = NULL;
    g_auto (GStrv) lines = NULL;
    guint ifaces = 0;

    g_assert_true (g_file_get_contents (path, &dev, NULL, NULL));
    lines = g_strsplit (dev, "\n", -1);
    for (guint i = 2; lines[i] != NULL; i++)
      if (strchr (lines[i], ':') != NULL)
        {
          ifaces++;
          g_assert_nonnull (strstr (lines[i], "lo:"));
        }
    g_assert_cmpuint (ifaces, <=, 1);
    g_free (path);
    path = g_strdup_printf ("/proc/%d/net/route", (int) r.child);
    g_free (dev);
    g_assert_true (g_file_get_contents (path, &dev, NULL, NULL));
    g_strfreev (lines);
    lines = g_strsplit (g_strstrip (dev), "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) /* the header at most: no routes */
      if (i > 0)
        g_error ("the transcoder has a route: %s", lines[i]);
  }
}

/* The value column of a /proc/<pid>/limits row ("Max address space ..."). */
static char *
limit_of (const char *limits, const char *row)
{
  const char *p = strstr (limits, row);
  g_autofree char *rest = NULL;
  g_auto (GStrv) fields = NULL;

  g_assert_nonnull (p);
  p += strlen (row);
  rest = g_strndup (p, strcspn (p, "\n"));
  fields = g_regex_split_simple ("\\s+", g_strstrip (rest), 0, 0);
  return g_strdup (fields[0]); /* the soft limit */
}

static void
test_sandbox_limits (Fixture *f, gconstpointer data)
{
  g_autofree char *item = import_clip (f, "limits");
  Running r = wait_transcoding (f, item, subprocess_pid (f->server), 0, FALSE);
  g_autofree char *path = g_strdup_printf ("/proc/%d/limits", (int) r.child);
  g_autofree char *limits = NULL, *st = NULL, *wlimits = NULL;
  g_autofree char *as = NULL, *fsize = NULL, *nofile = NULL, *core = NULL, *cpu = NULL;

  g_assert_cmpint (kill (r.child, SIGSTOP), ==, 0);
  g_assert_true (g_file_get_contents (path, &limits, NULL, NULL));
  g_test_message ("%s", limits);
  as = limit_of (limits, "Max address space");
  fsize = limit_of (limits, "Max file size");
  nofile = limit_of (limits, "Max open files");
  core = limit_of (limits, "Max core file size");
  cpu = limit_of (limits, "Max cpu time");
#if defined(__SANITIZE_ADDRESS__)
  g_assert_cmpstr (as, ==, "unlimited"); /* AddressSanitizer's shadow memory */
#else
  g_assert_cmpstr (as, ==, "8589934592");
#endif
  g_assert_cmpstr (fsize, ==, "68719476736");
  g_assert_cmpstr (nofile, ==, "256");
  g_assert_cmpstr (cpu, ==, "86400");
  g_assert_cmpstr (core, ==, "0"); /* even under `ulimit -c unlimited` */
  /* The worker itself is not confined like its child. */
  g_free (path);
  path = g_strdup_printf ("/proc/%d/limits", (int) r.worker);
  g_assert_true (g_file_get_contents (path, &wlimits, NULL, NULL));
  {
    g_autofree char *wnofile = limit_of (wlimits, "Max open files");
    g_assert_cmpstr (wnofile, !=, "256");
  }
  g_free (path);
  path = g_strdup_printf ("/proc/%d/status", (int) r.child);
  g_assert_true (g_file_get_contents (path, &st, NULL, NULL));
  g_assert_nonnull (strstr (st, "NoNewPrivs:\t1"));
}

/* --- memory limit ------------------------------------------------------------------------ */

/* As setup, but transcodes may use only 512 MiB of address space (through
 * the environment, which the pool passes to its workers as a flag). */
static void
setup_small_memory (Fixture *f, gconstpointer workers)
{
  g_setenv ("YUNGUAN_TRANSCODE_MEMORY", "512M", TRUE);
  setup (f, workers);
  g_unsetenv ("YUNGUAN_TRANSCODE_MEMORY");
}

static void
test_memory_limit (Fixture *f, gconstpointer data)
{
  g_autofree char *item = NULL, *status = NULL, *code = NULL;
  g_autoptr (JsonNode) job = NULL;
  gint64 id;

#if defined(__SANITIZE_ADDRESS__)
  g_test_skip ("AddressSanitizer needs terabytes of address space: no limit to exceed");
  return;
#endif
  item = import_clip (f, "too big");
  status = wait_for_item (f, item, 120, FALSE, NULL, NULL);
  if (!g_str_equal (status, "failed"))
    dump_log (f);
  g_assert_cmpstr (status, ==, "failed");
  g_free (item_status (f, item, &code));
  g_assert_cmpstr (code, ==, "memory_limit");
  id = find_job (f, item, "failed");
  g_assert_cmpint (id, >, 0);
  job = get_job (f, id);
  g_assert_cmpint (json_int (job, "attempts"), ==, 1); /* the same limit would fail again */
  /* The server and its worker carry on. */
  {
    g_autoptr (JsonNode) health = http_json (f, "GET", "/healthz", NULL, 200);
  }
}

/* --- time limit (slow) --------------------------------------------------------------------- */

static gpointer
create_worker_token (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_token_store_create (conn, YG_ROLE_WORKER, "test-worker", 0, error);
}

static void
test_time_limit (Fixture *f, gconstpointer data)
{
  g_autofree char *bin = yg_test_binary ();
  g_autofree char *db_path = g_build_filename (f->data, "catalog.db", NULL);
  g_autofree char *token = NULL, *url = NULL, *item = NULL, *status = NULL, *code = NULL;
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) job = NULL;
  Running r;
  gint64 t0, give_up;

  if (!g_test_slow ())
    {
      g_test_skip ("the shortest wall-clock limit is 120 s (+ duration × --time-factor); "
                   "run with -m slow");
      return;
    }
  {
    g_autoptr (YgDb) db = yg_db_open (db_path, &error);
    g_assert_no_error (error);
    token = yg_db_run_sync (db, create_worker_token, NULL, &error);
    g_assert_no_error (error);
  }
  /* Import first: a --once worker that finds the queue empty exits. */
  item = import_clip (f, "too slow");
  url = g_strdup_printf ("http://127.0.0.1:%u", f->port);
  g_subprocess_launcher_setenv (launcher, "YUNGUAN_WORKER_TOKEN", token, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent_now, NULL, NULL);
  {
    int fd = open (f->log, O_WRONLY | O_APPEND | O_CLOEXEC);
    g_assert_cmpint (fd, >=, 0);
    g_subprocess_launcher_take_stderr_fd (launcher, fd);
  }
  f->worker = g_subprocess_launcher_spawn (launcher, &error, bin, "worker", "--once",
                                           "--time-factor", "0.001", "--data", f->data,
                                           "--server", url, "--poll-ms", "100", NULL);
  g_assert_no_error (error);
  r = wait_transcoding (f, item, 0, subprocess_pid (f->worker), FALSE);
  /* A transcoder that makes no progress at all: only the clock can stop it. */
  g_assert_cmpint (kill (r.child, SIGSTOP), ==, 0);
  t0 = g_get_monotonic_time ();
  g_assert_true (wait_gone (r.child, 150));
  g_test_message ("transcoder killed %.1f s after it stopped moving",
                  (g_get_monotonic_time () - t0) / 1e6);
  give_up = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (g_subprocess_get_identifier (f->worker) != NULL && g_get_monotonic_time () < give_up)
    g_usleep (50 * 1000);
  g_assert_null (g_subprocess_get_identifier (f->worker)); /* --once: exits after the job */
  g_assert_true (g_subprocess_get_if_exited (f->worker));
  g_assert_cmpint (g_subprocess_get_exit_status (f->worker), ==, 0);
  status = item_status (f, item, &code);
  g_assert_cmpstr (status, ==, "failed");
  g_assert_cmpstr (code, ==, "timeout");
  job = get_job (f, r.job);
  g_assert_cmpstr (json_str (job, "state"), ==, "failed");
  g_assert_cmpint (json_int (job, "attempts"), ==, r.attempts); /* a timeout is not retried */
}

int
main (int argc, char **argv)
{
  g_autofree char *ffmpeg = g_find_program_in_path ("ffmpeg");
  g_autofree char *ffprobe = g_find_program_in_path ("ffprobe");
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Workers: kill -9 of a worker or the server, cancel, sandbox, time limit");
  if (ffmpeg == NULL || ffprobe == NULL)
    {
      g_test_skip ("ffmpeg or ffprobe is not installed");
      return g_test_run ();
    }
  /* Orphans (a worker whose server was killed) come back to us for reaping. */
  prctl (PR_SET_CHILD_SUBREAPER, 1);
  clip_dir = yg_test_make_tmpdir ();
  clip_path = g_build_filename (clip_dir, "clip.mp4", NULL);
  make_clip (clip_path, CLIP_SECONDS);

  g_test_add ("/worker/kill-9-worker", Fixture, "1", setup, test_kill_worker, teardown);
  g_test_add ("/worker/kill-9-server", Fixture, "1", setup, test_kill_server, teardown);
  g_test_add ("/worker/cancel-running", Fixture, "1", setup, test_cancel_running, teardown);
  g_test_add ("/worker/sandbox-no-network", Fixture, "1", setup, test_sandbox_no_network,
              teardown);
  g_test_add ("/worker/sandbox-limits", Fixture, "1", setup_cores_allowed, test_sandbox_limits,
              teardown);
  g_test_add ("/worker/memory-limit", Fixture, "1", setup_small_memory, test_memory_limit,
              teardown);
  g_test_add ("/worker/time-limit", Fixture, "0", setup, test_time_limit, teardown);
  signal (SIGABRT, on_fatal_signal);
  signal (SIGTRAP, on_fatal_signal); /* g_error () */
  signal (SIGTERM, on_fatal_signal);
  signal (SIGINT, on_fatal_signal);
  rc = g_test_run ();
  yg_test_rm_rf (clip_dir);
  g_free (clip_dir);
  g_free (clip_path);
  return rc;
}

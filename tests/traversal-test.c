/* traversal-test.c: a path traversal corpus against every route with a path parameter.
 *
 * The real `yunguan serve` runs under `strace -f -y -e trace=%file`, with a
 * sentinel secret file next to its data directory. For every route of
 * yg_routes whose pattern has a {parameter}, each corpus entry (dot
 * segments, single and double percent-encoding, backslashes, ";", NUL,
 * overlong UTF-8, absolute paths, very long segments, invalid UTF-8) is put
 * raw into each parameter in turn and into all of them at once, with a token
 * the route admits so the handler is reached. Each answer must be 400/404
 * (401/403 before authentication, 405/414/431 from the protocol layer), never
 * 5xx, and a 2xx must not carry the secret or /etc/passwd. Then the trace is
 * checked, not assumed: between a begin and an end marker request (whose
 * file names show up in the trace), every path the server looked up, opened
 * or stat'ed must resolve inside the data directory, the web directory or the
 * system's library/device/proc areas; the secret file must never appear in
 * the whole trace, start-up included. Skipped when strace is missing.
 * Suite: http.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "yg-routes.h"
#include "yg-test-server.h"

#define SECRET "YG-SENTINEL-SECRET-7f3a9c"
#define BEGIN_MARK "yg-trace-begin-4b1e.js"
#define END_MARK "yg-trace-end-4b1e.js"

typedef struct
{
  char *dir;
  char *data;
  char *secret_path;
  char *trace;
  char *web;
  char *staff;
  char *worker;
  YgTestServe *serve;
  guint requests;
  guint normalised; /* literal dot segments resolved by the URI parser to another route */
  guint statuses[600];
} Fixture;

static char *
corpus_long (gsize n)
{
  char *s = g_malloc (n + 1);

  memset (s, 'a', n);
  s[n] = '\0';
  return s;
}

static GPtrArray *
corpus (void)
{
  static const char *const fixed[] = {
    "..", ".", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%2e%2e%2f", "%2e%2e%2f%2e%2e%2fsecret.txt",
    "%252e%252e%252f", "%252e%252e%252fsecret.txt", "..%2f", "..%2f..%2fsecret.txt", "..\\",
    "..\\..\\secret.txt", "%5c", "..%5c..%5csecret.txt", "..;", "..;/", "..;/..;/secret.txt",
    "%00", "a%00.ts", "seg00000.ts%00.jpg", "%c0%ae%c0%ae", "%c0%ae%c0%ae%c0%afsecret.txt",
    "%e0%80%ae%e0%80%ae", "/etc/passwd", "%2fetc%2fpasswd", "..%2f..%2f..%2f..%2fetc%2fpasswd",
    "....//", "...", "%ff%fe", "\xff\xfe", "\xc0\xae\xc0\xae", "%%32%65%%32%65", "%2", "%zz",
    "~", "~root", "secret.txt", "..%2fsecret.txt", "%2e%2e%5csecret.txt", "%7e", "%20..",
    "..%20", "%u002e%u002e", "%e2%80%ae", "index.m3u8%2f..%2f..%2fsecret.txt",
  };
  GPtrArray *all = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (all, g_strdup (fixed[i]));
  g_ptr_array_add (all, corpus_long (255));
  g_ptr_array_add (all, corpus_long (300));
  g_ptr_array_add (all, corpus_long (4096));
  g_ptr_array_add (all, corpus_long (20000));
  return all;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  const char *src = g_getenv ("YG_SOURCE_ROOT");
  g_autofree char *strace = g_find_program_in_path ("strace");
  g_autofree char *log = NULL;
  g_autofree char *canon = NULL;

  if (strace == NULL || src == NULL)
    return;
  f->dir = yg_test_make_tmpdir ();
  canon = g_canonicalize_filename (f->dir, NULL);
  g_free (f->dir);
  f->dir = g_steal_pointer (&canon);
  f->data = g_build_filename (f->dir, "data", NULL);
  f->secret_path = g_build_filename (f->dir, "secret.txt", NULL);
  f->trace = g_build_filename (f->dir, "trace.txt", NULL);
  f->web = g_canonicalize_filename ("web", src);
  log = g_build_filename (f->dir, "server.log", NULL);
  g_assert_true (g_file_set_contents (f->secret_path, SECRET "\n", -1, NULL));
  /* LeakSanitizer cannot run under ptrace: the traced server (sanitizer
   * builds only) checks everything but leaks. */
  {
    g_autofree char *asan = g_strdup_printf ("%s:detect_leaks=0", g_getenv ("ASAN_OPTIONS") ?: "");
    g_setenv ("ASAN_OPTIONS", asan, TRUE);
  }
  f->staff = yg_test_cli_token (f->data, "admin");
  f->worker = yg_test_cli_token (f->data, "worker");
  {
    const char *wrapper[] = { "strace", "-f", "-y", "-qq", "-s", "4096", "-e", "trace=%file",
                              "-o", f->trace,
                              /* the server dies with strace, which dies with this test */
                              "setpriv", "--pdeathsig", "KILL", NULL };
    const char *extra[] = { "--web-dir", f->web, NULL };
    f->serve = yg_test_serve_spawn (wrapper, f->data, log, extra);
  }
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  yg_test_serve_stop (f->serve);
  if (f->dir != NULL && g_getenv ("YG_KEEP_TRACE") == NULL)
    yg_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->data);
  g_free (f->secret_path);
  g_free (f->trace);
  g_free (f->web);
  g_free (f->staff);
  g_free (f->worker);
}

static char *
request (Fixture *f, const char *method, const char *path, const char *token, guint *status)
{
  g_autofree char *auth = token ? g_strdup_printf ("Authorization: Bearer %s\r\n", token)
                                : g_strdup ("");
  g_autofree char *text = g_strdup_printf (
    "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%sTus-Resumable: 1.0.0\r\n"
    "%sContent-Length: 0\r\n\r\n",
    method, path, auth,
    /* a well-formed tus PATCH, so only the path can be wrong */
    g_str_equal (method, "PATCH")
      ? "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n" : "");

  f->requests++;
  return yg_test_http (f->serve->port, text, status);
}

/* Path of @pattern with its parameters replaced: @value at @which (-1: all),
 * a harmless valid-looking value elsewhere. */
static char *
build_path (const char *pattern, const char *value, int which)
{
  g_auto (GStrv) parts = g_strsplit (pattern, "/", -1);
  int param = 0;

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] == '{')
      {
        g_free (parts[i]);
        parts[i] = g_strdup (which < 0 || which == param ? value : "abcdefghijklmnop");
        param++;
      }
  return g_strjoinv ("/", parts);
}

/* Dot segments ("..", ".", and "%2e%2e" too, since GUri normalises the
 * percent-encoded unreserved "%2e" to ".") never reach the router: libsoup
 * parses the request target with GUri, which removes dot segments (RFC 3986
 * 5.2.4), so "/static/%2e%2e" is a request for "/". That moves within the URL
 * space only (never above "/", never into the file system); forms GUri keeps
 * ("..%2f", "%252e") reach the router, which refuses them. */
static gboolean
has_dot_segment (const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autoptr (GString) s = g_string_new (parts[i]);
      g_string_replace (s, "%2e", ".", 0);
      g_string_replace (s, "%2E", ".", 0);
      if (g_str_equal (s->str, ".") || g_str_equal (s->str, ".."))
        return TRUE;
    }
  return FALSE;
}

static void
check_answer (Fixture *f, const YgRoute *r, const char *path, guint status, const char *response)
{
  gboolean ok = status == 400 || status == 404 || status == 401 || status == 403 || status == 405
                || status == 414 || status == 415 || status == 431;

  /* The HTML pages take any id (the page asks the API); OPTIONS answers 204. */
  if ((status == 200
       && (r->handler == yg_route_web_item || r->handler == yg_route_web_embed
           || r->handler == yg_route_web_portal || r->handler == yg_route_web_course))
      || (status == 204 && g_str_equal (r->method, "OPTIONS")))
    ok = TRUE;
  if (status >= 200 && status < 300 && has_dot_segment (path))
    {
      f->normalised++;
      ok = TRUE;
    }
  /* A request head over 64 KiB (four 20 000-byte parameters) is refused by
   * libsoup itself, which closes the connection without an answer. */
  if (status == 0 && strlen (path) > 64 * 1024)
    ok = TRUE;
  if (!ok)
    g_error ("%s %.200s (%zu bytes; route %s): unexpected status %u:\n%.300s", r->method, path,
             strlen (path), r->pattern, status, response);
  g_assert_null (strstr (response, SECRET));
  g_assert_null (strstr (response, "root:x:0:0"));
  f->statuses[status]++;
}

/* Resolves the path argument of one strace line (with -y annotations). */
static char *
traced_path (const char *line)
{
  const char *open = strchr (line, '(');
  const char *q, *q_end;
  g_autofree char *raw = NULL;
  g_autofree char *arg = NULL;
  g_autofree char *base = NULL;

  if (open == NULL)
    return NULL;
  q = strchr (open, '"');
  if (q == NULL)
    return NULL;
  q_end = q + 1;
  while (*q_end != '\0' && !(*q_end == '"' && q_end[-1] != '\\'))
    q_end++;
  raw = g_strndup (q + 1, q_end - q - 1);
  arg = g_strcompress (raw); /* undo strace's octal escapes */
  /* A dirfd before the path argument: "AT_FDCWD</cwd>, " or "5</dir>, ". */
  if (arg[0] != '/')
    {
      const char *lt = strchr (open, '<');
      const char *gt = lt != NULL && lt < q ? strchr (lt, '>') : NULL;
      if (gt != NULL && gt < q)
        base = g_strndup (lt + 1, gt - lt - 1);
    }
  if (arg[0] == '\0' && base != NULL)
    return g_steal_pointer (&base);
  return g_canonicalize_filename (arg, base != NULL ? base : "/");
}

static gboolean
under (const char *path, const char *dir)
{
  gsize n = strlen (dir);

  return strncmp (path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void
check_trace (Fixture *f)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  static const char *const system_dirs[] = { "/usr", "/lib", "/lib64", "/proc", "/dev", "/sys",
                                             "/etc/ld.so.cache", "/etc/localtime",
                                             "/etc/gai.conf", "/etc/nsswitch.conf", "/etc/hosts",
                                             "/etc/host.conf", "/etc/resolv.conf" };
  gboolean in_requests = FALSE, ended = FALSE;
  guint seen = 0, phase_lines = 0;

  g_assert_true (g_file_get_contents (f->trace, &text, NULL, NULL));
  g_assert_null (strstr (text, "secret.txt\"")); /* never, not even at start-up */
  g_assert_null (strstr (text, f->secret_path));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      g_autofree char *path = NULL;
      gboolean allowed = FALSE;

      if (strstr (line, BEGIN_MARK) != NULL)
        {
          in_requests = TRUE;
          continue;
        }
      if (strstr (line, END_MARK) != NULL)
        {
          ended = in_requests;
          break;
        }
      if (!in_requests || strstr (line, "resumed>") != NULL || strchr (line, '(') == NULL)
        continue;
      phase_lines++;
      path = traced_path (line);
      if (path == NULL)
        continue;
      seen++;
      allowed = under (path, f->data) || under (path, f->web);
      for (guint s = 0; !allowed && s < G_N_ELEMENTS (system_dirs); s++)
        allowed = under (path, system_dirs[s]);
      if (!allowed || strstr (path, "passwd") != NULL || strstr (path, "shadow") != NULL)
        g_error ("during the corpus the server touched %s:\n%s", path, line);
    }
  g_assert_true (ended);
  g_test_message ("trace: %u file system calls during %u requests, all inside the data or web "
                  "directory (or system areas)",
                  seen, f->requests);
  g_assert_cmpuint (phase_lines, >, 0); /* the markers themselves were looked up around them */
}

static void
test_corpus (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) entries = corpus ();
  guint status;
  guint routes = 0, cases = 0;

  if (f->serve == NULL)
    {
      g_test_skip ("needs strace and YG_SOURCE_ROOT (run through meson test)");
      return;
    }
  /* The markers name files the static route looks up (404), so they appear in the trace. */
  g_free (request (f, "GET", "/static/" BEGIN_MARK, NULL, &status));
  g_assert_cmpuint (status, ==, 404);

  for (gsize r = 0; r < yg_n_routes; r++)
    {
      const YgRoute *route = &yg_routes[r];
      guint n = yg_test_pattern_params (route->pattern);
      const char *token = route->auth == YG_AUTH_WORKER ? f->worker
                          : route->auth == YG_AUTH_PUBLIC ? NULL : f->staff;

      if (n == 0)
        continue;
      routes++;
      for (guint e = 0; e < entries->len; e++)
        for (int which = -1; which < (int) n; which++)
          {
            g_autofree char *path = NULL;
            g_autofree char *response = NULL;

            if (which == -1 && n == 1)
              continue; /* same as which == 0 */
            path = build_path (route->pattern, entries->pdata[e], which);
            response = request (f, route->method, path, token, &status);
            check_answer (f, route, path, status, response);
            cases++;
          }
    }
  /* The server is still there and sane. */
  g_free (request (f, "GET", "/healthz", NULL, &status));
  g_assert_cmpuint (status, ==, 200);
  g_free (request (f, "GET", "/static/" END_MARK, NULL, &status));
  g_assert_cmpuint (status, ==, 404);
  g_test_message ("%u routes with parameters, %u corpus entries, %u requests; %u answered 2xx "
                  "after the URI parser removed literal dot segments",
                  routes, entries->len, cases, f->normalised);
  g_assert_cmpuint (routes, >=, 10);
  {
    g_autoptr (GString) seen = g_string_new (NULL);
    for (guint s = 0; s < G_N_ELEMENTS (f->statuses); s++)
      if (f->statuses[s] > 0)
        g_string_append_printf (seen, " %u: %u,", s, f->statuses[s]);
    g_test_message ("statuses:%s", seen->str);
  }

  /* Let strace write out the end marker's lines. */
  yg_test_serve_stop (f->serve);
  f->serve = NULL;
  check_trace (f);
}

/* The trace reader itself: relative names against their dirfd, escapes, "..". */
static void
test_trace_reader (void)
{
  static const struct
  {
    const char *line;
    const char *path;
  } cases[] = {
    { "12 openat(AT_FDCWD</srv>, \"/etc/passwd\", O_RDONLY) = 3</etc/passwd>", "/etc/passwd" },
    { "12 openat(5</d/data/media>, \"../../secret.txt\", O_RDONLY) = -1 ENOENT", "/d/secret.txt" },
    { "12 newfstatat(AT_FDCWD</d/data>, \"x\\303\\251\", {...}, 0) = 0", "/d/data/x\303\251" },
    { "12 newfstatat(3</d/data/catalog.db>, \"\", {...}, AT_EMPTY_PATH) = 0", "/d/data/catalog.db" },
    { "12 statx(AT_FDCWD</d>, \"data/../../etc\", 0, STATX_ALL, {...}) = 0", "/etc" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = traced_path (cases[i].line);
      g_assert_cmpstr (path, ==, cases[i].path);
    }
  g_assert_false (under ("/d/data-other/x", "/d/data"));
  g_assert_true (under ("/d/data/x", "/d/data"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Traversal corpus against every route with a path parameter; the server is "
                  "straced and must not touch anything outside its data and web directories");
  g_test_add_func ("/traversal/trace-reader", test_trace_reader);
  g_test_add ("/traversal/corpus", Fixture, NULL, fixture_setup, test_corpus, fixture_teardown);
  return g_test_run ();
}

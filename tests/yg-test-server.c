/* yg-test-server.c: a real server on an ephemeral loopback port for tests.
 *
 * yg_test_server_start creates a temporary data directory, builds a
 * YgServer with the given configuration and route table, and runs it on a
 * thread of its own (with its own main context, so every server callback
 * runs there), leaving the test's thread free to use blocking clients;
 * unless the test says otherwise it has two delivery threads, so requests
 * take the paths they take in production on any machine.
 * Raw-socket helpers let tests send exactly the bytes they want (malformed
 * requests, slow headers, idle connections). yg_test_serve_spawn runs the
 * real `yunguan serve` binary instead, optionally behind a wrapper command
 * (strace), for tests that watch the server as a process of its own.
 */
#include "yg-test-server.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>

#include <json-glib/json-glib.h>

#include "yg-principal.h"
#include "yg-session-store.h"
#include "yg-token-store.h"
#include "yg-user-store.h"

typedef struct
{
  YgTestServer *ts;
  const YgRoute *routes;
  gsize n_routes;
  GMutex lock;
  GCond cond;
  gboolean ready;
} StartData;

static gboolean
signal_ready (gpointer data)
{
  StartData *sd = data;

  g_mutex_lock (&sd->lock);
  sd->ready = TRUE;
  g_cond_signal (&sd->cond);
  g_mutex_unlock (&sd->lock);
  return G_SOURCE_REMOVE;
}

static gpointer
server_thread (gpointer data)
{
  StartData *sd = data;
  YgTestServer *ts = sd->ts;
  g_autoptr (GError) error = NULL;

  g_main_context_push_thread_default (ts->context);
  ts->server = yg_server_new (ts->config, sd->routes, sd->n_routes, &error);
  g_assert_no_error (error);
  g_assert_true (yg_server_start (ts->server, &error));
  g_assert_no_error (error);
  ts->port = yg_server_get_port (ts->server);
  {
    GSource *idle = g_idle_source_new ();
    g_source_set_callback (idle, signal_ready, sd, NULL);
    g_source_attach (idle, ts->context);
    g_source_unref (idle);
  }
  g_main_loop_run (ts->loop);
  g_clear_object (&ts->server);
  /* let pending callbacks (closing streams) finish */
  while (g_main_context_iteration (ts->context, FALSE))
    ;
  g_main_context_pop_thread_default (ts->context);
  return NULL;
}

/**
 * yg_test_server_start:
 * @config: (transfer full) (nullable): configuration; data_dir and listen are
 *   replaced by a temporary directory and 127.0.0.1:0
 */
YgTestServer *
yg_test_server_start (YgConfig *config, const YgRoute *routes, gsize n_routes)
{
  YgTestServer *ts = g_new0 (YgTestServer, 1);
  StartData sd = { 0 };

  ts->config = config != NULL ? config : yg_config_new ();
  if (ts->config->workers == YG_CONFIG_AUTO)
    ts->config->workers = 0; /* /proc/self/exe is the test program here */
  if (ts->config->delivery_threads == YG_CONFIG_AUTO)
    ts->config->delivery_threads = 2; /* whatever the machine: tests go through them */
  ts->data_dir = yg_test_make_tmpdir ();
  g_free (ts->config->data_dir);
  ts->config->data_dir = g_strdup (ts->data_dir);
  g_free (ts->config->listen);
  ts->config->listen = g_strdup ("127.0.0.1:0");
  if (g_strcmp0 (ts->config->access_log, "-") == 0 && !g_test_verbose ())
    {
      g_free (ts->config->access_log);
      ts->config->access_log = g_strdup ("off");
    }
  ts->context = g_main_context_new ();
  ts->loop = g_main_loop_new (ts->context, FALSE);

  sd.ts = ts;
  sd.routes = routes;
  sd.n_routes = n_routes;
  g_mutex_init (&sd.lock);
  g_cond_init (&sd.cond);
  ts->thread = g_thread_new ("test-server", server_thread, &sd);
  g_mutex_lock (&sd.lock);
  while (!sd.ready)
    g_cond_wait (&sd.cond, &sd.lock);
  g_mutex_unlock (&sd.lock);
  g_mutex_clear (&sd.lock);
  g_cond_clear (&sd.cond);
  return ts;
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

void
yg_test_server_stop (YgTestServer *ts)
{
  GSource *s = g_idle_source_new ();

  g_source_set_callback (s, quit_loop, ts->loop, NULL);
  g_source_attach (s, ts->context);
  g_source_unref (s);
  g_thread_join (ts->thread);
  g_main_loop_unref (ts->loop);
  g_main_context_unref (ts->context);
  yg_config_free (ts->config);
  yg_test_rm_rf (ts->data_dir);
  g_free (ts->data_dir);
  g_free (ts);
}

/**
 * yg_test_server_stop_keeping_data:
 *
 * Stops the server like yg_test_server_stop but keeps its data directory,
 * so a test can look at what a clean stop left behind.
 *
 * Returns: (transfer full): the data directory; remove it with yg_test_rm_rf
 */
char *
yg_test_server_stop_keeping_data (YgTestServer *ts)
{
  char *dir = g_strdup (ts->data_dir);
  g_autofree char *copy = yg_test_make_tmpdir ();

  /* yg_test_server_stop removes ts->data_dir: give it an empty one instead */
  g_free (ts->data_dir);
  ts->data_dir = g_steal_pointer (&copy);
  yg_test_server_stop (ts);
  return dir;
}

static gpointer
create_token (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_token_store_create (conn, yg_role_from_string (data), "test", 0, error);
}

/**
 * yg_test_server_token:
 * @role: "staff", "partner", "admin" or "worker"
 *
 * Returns: (transfer full): a fresh bearer token with that role
 */
char *
yg_test_server_token (YgTestServer *ts, const char *role)
{
  g_autoptr (GError) error = NULL;
  char *token = yg_db_run_sync (yg_server_get_db (ts->server), create_token, (gpointer) role, &error);

  g_assert_no_error (error);
  return token;
}

typedef struct
{
  const char *username;
  YgRole role;
} NewAccount;

static gpointer
create_account (gpointer conn, gpointer data, GError **error)
{
  NewAccount *a = data;

  return yg_user_store_create (conn, a->username, a->username, a->role,
                               YG_TEST_ACCOUNT_PASSWORD, error) > 0
           ? GINT_TO_POINTER (1)
           : NULL;
}

/**
 * yg_test_server_account:
 * @role: YG_ROLE_RESIDENT, YG_ROLE_STAFF or YG_ROLE_ADMIN
 *
 * Creates the account @username with the password YG_TEST_ACCOUNT_PASSWORD.
 */
void
yg_test_server_account (YgTestServer *ts, const char *username, YgRole role)
{
  NewAccount a = { username, role };

  yg_test_server_db_sync (ts, create_account, &a);
}

/**
 * yg_test_server_sign_in:
 *
 * Signs the account @username in over HTTP, as a browser would; every call
 * makes a new session.
 *
 * Returns: (transfer full): "Cookie: …\r\nX-CSRF-Token: …\r\n", header
 *   lines for yg_test_request
 */
char *
yg_test_server_sign_in (YgTestServer *ts, const char *username)
{
  g_autofree char *body = g_strdup_printf (
    "{\"username\":\"%s\",\"password\":\"" YG_TEST_ACCOUNT_PASSWORD "\"}", username);
  g_autoptr (YgTestResponse) r = NULL;
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autofree char *set = NULL;
  g_autoptr (GError) error = NULL;

  r = yg_test_request (ts->port, NULL, "POST", "/api/v1/session",
                       "Content-Type: application/json\r\n", body);
  g_assert_cmpuint (r->status, ==, 200);
  set = yg_test_response_header (r, "Set-Cookie", 0);
  g_assert_nonnull (set);
  json_parser_load_from_data (p, r->body, r->body_len, &error);
  g_assert_no_error (error);
  return g_strdup_printf ("Cookie: %.*s\r\nX-CSRF-Token: %s\r\n", (int) strcspn (set, ";"), set,
                          json_object_get_string_member (
                            json_node_get_object (json_parser_get_root (p)), "csrf_token"));
}

gpointer
yg_test_server_db_sync (YgTestServer *ts, gpointer (*func) (gpointer conn, gpointer data, GError **error),
                        gpointer data)
{
  g_autoptr (GError) error = NULL;
  gpointer result = yg_db_run_sync (yg_server_get_db (ts->server), (YgDbFunc) func, data, &error);

  g_assert_no_error (error);
  return result;
}

GSocketConnection *
yg_test_connect (guint16 port)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GError) error = NULL;
  GSocketConnection *conn;

  g_socket_client_set_timeout (client, 10);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  return conn;
}

/**
 * yg_test_read_response:
 * @status: (out): the status code, 0 if the connection closed first
 *
 * Reads one response (head and Content-Length body) or until EOF.
 *
 * Returns: (transfer full): the full response text, possibly empty
 */
char *
yg_test_read_response (GSocketConnection *conn, guint *status)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  GString *buf = g_string_new (NULL);
  char chunk[4096];
  gssize n;
  gssize want = -1;

  *status = 0;
  for (;;)
    {
      const char *end = strstr (buf->str, "\r\n\r\n");
      if (end != NULL && want < 0)
        {
          const char *cl = strcasestr (buf->str, "\r\nContent-Length:");
          want = (end - buf->str) + 4 + (cl != NULL && cl < end ? atoi (cl + 17) : 0);
        }
      if (want >= 0 && (gssize) buf->len >= want)
        break;
      n = g_input_stream_read (in, chunk, sizeof chunk, NULL, NULL);
      if (n <= 0)
        break;
      g_string_append_len (buf, chunk, n);
    }
  if (g_str_has_prefix (buf->str, "HTTP/1."))
    *status = atoi (buf->str + 9);
  return g_string_free (buf, FALSE);
}

/**
 * yg_test_http:
 * @raw_request: exact bytes to send
 *
 * Returns: (transfer full): the response text
 */
char *
yg_test_http (guint16 port, const char *raw_request, guint *status)
{
  g_autoptr (GSocketConnection) conn = yg_test_connect (port);
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), raw_request,
                             strlen (raw_request), NULL, NULL, &error);
  g_assert_no_error (error);
  return yg_test_read_response (conn, status);
}

void
yg_test_response_free (YgTestResponse *r)
{
  if (r == NULL)
    return;
  g_free (r->head);
  g_free (r->body);
  g_free (r);
}

/**
 * yg_test_request:
 * @from: (nullable): a loopback source address such as "127.0.0.2" (Linux
 *   routes all of 127/8 to lo), so tests can act as several clients
 * @headers: (nullable): extra header lines, each ending in \r\n
 * @body: (nullable): sent with Content-Length
 *
 * Sends one request with Connection: close and reads the answer to EOF.
 *
 * Returns: (transfer full): the response
 */
YgTestResponse *
yg_test_request (guint16 port, const char *from, const char *method, const char *path,
                 const char *headers, const char *body)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) buf = g_byte_array_new ();
  g_autofree char *req = NULL;
  g_autofree char *length = NULL;
  YgTestResponse *r = g_new0 (YgTestResponse, 1);
  GInputStream *in;
  guint8 chunk[16384];
  gssize n;
  const char *end;

  g_socket_client_set_timeout (client, 20);
  if (from != NULL)
    {
      g_autoptr (GInetAddress) a = g_inet_address_new_from_string (from);
      g_autoptr (GSocketAddress) local = g_inet_socket_address_new (a, 0);
      g_socket_client_set_local_address (client, local);
    }
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  length = body != NULL ? g_strdup_printf ("Content-Length: %zu\r\n", strlen (body)) : g_strdup ("");
  req = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s%s\r\n%s", method,
                         path, headers ? headers : "", length, body ? body : "");
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), req, strlen (req),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  while ((n = g_input_stream_read (in, chunk, sizeof chunk, NULL, NULL)) > 0)
    g_byte_array_append (buf, chunk, n);
  g_byte_array_append (buf, (const guint8 *) "", 1);
  end = strstr ((const char *) buf->data, "\r\n\r\n");
  g_assert_nonnull (end);
  r->head = g_strndup ((const char *) buf->data, end - (const char *) buf->data + 2);
  r->body_len = buf->len - 1 - (end + 4 - (const char *) buf->data);
  r->body = g_malloc (r->body_len + 1);
  memcpy (r->body, end + 4, r->body_len);
  r->body[r->body_len] = '\0';
  if (g_str_has_prefix (r->head, "HTTP/1."))
    r->status = atoi (r->head + 9);
  g_test_message ("%s %s%s%s → %u", method, path, from ? " from " : "", from ? from : "", r->status);
  return r;
}

/**
 * yg_test_response_header:
 * @nth: 0 for the first header with this name, 1 for the second…
 *
 * Returns: (transfer full) (nullable): its value
 */
char *
yg_test_response_header (YgTestResponse *r, const char *name, guint nth)
{
  g_auto (GStrv) lines = g_strsplit (r->head, "\r\n", -1);
  gsize len = strlen (name);

  for (guint i = 1; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], name, len) == 0 && lines[i][len] == ':' && nth-- == 0)
      return g_strstrip (g_strdup (lines[i] + len + 1));
  return NULL;
}

/* --- the real binary as a subprocess ----------------------------------------------- */

/**
 * yg_test_binary:
 *
 * Returns: (transfer full): the path of the built `yunguan` program
 */
char *
yg_test_binary (void)
{
  const char *root = g_getenv ("YG_BUILD_ROOT");

  if (root != NULL)
    return g_build_filename (root, "media-server", "yunguan", NULL);
  return g_test_build_filename (G_TEST_BUILT, "..", "media-server", "yunguan", NULL);
}

/**
 * yg_test_cli_token:
 *
 * Returns: (transfer full): a token made by `yunguan token create`
 */
char *
yg_test_cli_token (const char *data_dir, const char *role)
{
  g_autofree char *bin = yg_test_binary ();
  const char *argv[] = { bin, "token", "create", "--data", data_dir, "--role", role, NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("yunguan token create failed: %s", err);
  return g_strstrip (out);
}

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/**
 * yg_test_serve_spawn:
 * @wrapper: (nullable) (array zero-terminated=1): command put in front (strace …)
 * @extra_args: (nullable) (array zero-terminated=1): more `serve` options
 *
 * Starts `yunguan serve --data @data_dir --listen 127.0.0.1:0 --workers 0
 * --access-log off` and waits for the port it prints.
 */
YgTestServe *
yg_test_serve_spawn (const char *const *wrapper, const char *data_dir, const char *log_path,
                     const char *const *extra_args)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  YgTestServe *serve = g_new0 (YgTestServe, 1);
  gint64 give_up = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  for (guint i = 0; wrapper != NULL && wrapper[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (wrapper[i]));
  g_ptr_array_add (argv, yg_test_binary ());
  for (const char *const *a = (const char *const[]){ "serve", "--data", data_dir, "--listen",
                                                      "127.0.0.1:0", "--workers", "0",
                                                      "--access-log", "off", NULL };
       *a != NULL; a++)
    g_ptr_array_add (argv, g_strdup (*a));
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  serve->log = g_strdup (log_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  serve->proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  while (serve->port == 0 && g_get_monotonic_time () < give_up)
    {
      g_autofree char *text = NULL;
      const char *at;
      if (g_file_get_contents (log_path, &text, NULL, NULL)
          && (at = strstr (text, "yunguan: port ")) != NULL && strchr (at, '\n') != NULL)
        serve->port = atoi (at + strlen ("yunguan: port "));
      else
        g_usleep (20 * 1000);
    }
  if (serve->port == 0)
    {
      g_autofree char *text = NULL;
      g_file_get_contents (log_path, &text, NULL, NULL);
      g_error ("the server did not start: %s", text);
    }
  return serve;
}

/* The server's own pid: the subprocess, or the wrapper's only child. */
GPid
yg_test_serve_pid (YgTestServe *serve)
{
  const char *id = g_subprocess_get_identifier (serve->proc);
  g_autofree char *path = g_strdup_printf ("/proc/%s/task/%s/children", id, id);
  g_autofree char *children = NULL;
  g_autofree char *cmd_path = g_strdup_printf ("/proc/%s/comm", id);
  g_autofree char *comm = NULL;

  if (g_file_get_contents (cmd_path, &comm, NULL, NULL) && g_str_has_prefix (comm, "yunguan"))
    return atoi (id);
  if (g_file_get_contents (path, &children, NULL, NULL) && atoi (children) > 0)
    return atoi (children);
  return atoi (id);
}

/* SIGTERM to the server itself, then waits for the subprocess (and
 * wrapper): it must exit cleanly (a sanitizer report would make it fail). */
void
yg_test_serve_stop (YgTestServe *serve)
{
  if (serve == NULL)
    return;
  if (g_subprocess_get_identifier (serve->proc) != NULL)
    {
      kill (yg_test_serve_pid (serve), SIGTERM);
      g_subprocess_wait (serve->proc, NULL, NULL);
      if (!g_subprocess_get_if_exited (serve->proc) || g_subprocess_get_exit_status (serve->proc) != 0)
        {
          g_autofree char *text = NULL;
          g_file_get_contents (serve->log, &text, NULL, NULL);
          g_error ("the server did not exit cleanly after SIGTERM:\n%s", text ? text : "");
        }
    }
  g_object_unref (serve->proc);
  g_free (serve->log);
  g_free (serve);
}

typedef struct
{
  const char *username;
  gint64 user_id;
  YgNewSession *session;
} NewResident;

static gpointer
insert_resident (YgDbConn *conn, gpointer data, GError **error)
{
  NewResident *n = data;
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "INSERT INTO users (username, display_name, role, password_hash, created_at)"
      " VALUES (?1, ?1, 'resident', 'not a hash: no password sign-in', 0)",
      error);

  if (s == NULL)
    return NULL;
  sqlite3_bind_text (s, 1, n->username, -1, SQLITE_TRANSIENT);
  if (!yg_db_conn_step_done (conn, s, error))
    return NULL;
  n->user_id = yg_db_conn_last_insert_rowid (conn);
  n->session = yg_session_store_create (conn, n->user_id, NULL, error);
  return n->session != NULL ? n : NULL;
}

/**
 * yg_test_server_resident:
 * @user_id: (out) (optional): the new account's id
 *
 * Makes a resident account (which cannot sign in with a password: no
 * Argon2id cost) and a session for it.
 *
 * Returns: (transfer full): "Cookie: …\r\nX-CSRF-Token: …\r\n"
 */
char *
yg_test_server_resident (YgTestServer *ts, const char *username, gint64 *user_id)
{
  NewResident n = { username, 0, NULL };
  char *headers;

  yg_test_server_db_sync (ts, (gpointer) insert_resident, &n);
  headers = g_strdup_printf ("Cookie: yg_session=%s\r\nX-CSRF-Token: %s\r\n", n.session->secret,
                             n.session->csrf_token);
  if (user_id != NULL)
    *user_id = n.user_id;
  yg_new_session_free (n.session);
  return headers;
}

/**
 * yg_test_call:
 * @who: (nullable): credential header lines
 * @body: (nullable): a JSON body
 * @doc: (out) (optional): the answer's JSON document, or NULL when it has no body
 *
 * Returns: the status
 */
guint
yg_test_call (guint16 port, const char *from, const char *method, const char *path,
              const char *who, const char *body, JsonNode **doc)
{
  g_autofree char *headers = g_strdup_printf (
      "%s%s", body != NULL ? "Content-Type: application/json\r\n" : "", who != NULL ? who : "");
  g_autoptr (YgTestResponse) r = yg_test_request (port, from, method, path, headers, body);

  if (doc != NULL)
    {
      g_autoptr (JsonParser) p = json_parser_new ();

      *doc = NULL;
      if (r->body_len > 0 && json_parser_load_from_data (p, r->body, r->body_len, NULL))
        *doc = json_node_copy (json_parser_get_root (p));
    }
  return r->status;
}

static gpointer
exec_sql (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_db_conn_exec (conn, data, error) ? GINT_TO_POINTER (1) : NULL;
}

/* Runs SQL statements on the server's catalogue (setting up a case). */
void
yg_test_server_sql (YgTestServer *ts, const char *statements)
{
  yg_test_server_db_sync (ts, (gpointer) exec_sql, (gpointer) statements);
}

static gpointer
query_int (YgDbConn *conn, gpointer data, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn, data, error);
  gint64 *n;

  if (s == NULL)
    return NULL;
  n = g_new0 (gint64, 1);
  *n = -1;
  if (yg_db_conn_step (conn, s, error) == SQLITE_ROW)
    *n = sqlite3_column_int64 (s, 0);
  sqlite3_reset (s);
  return n;
}

/* The first column of the first row of @query, as a number (-1 when there is no row). */
gint64
yg_test_server_number (YgTestServer *ts, const char *query)
{
  g_autofree gint64 *n = yg_test_server_db_sync (ts, (gpointer) query_int, (gpointer) query);

  return *n;
}

/* The same on a catalogue opened by the test itself (after the server stopped). */
gint64
yg_test_db_number (YgDb *db, const char *query)
{
  g_autoptr (GError) error = NULL;
  g_autofree gint64 *n = yg_db_run_sync (db, query_int, (gpointer) query, &error);

  g_assert_no_error (error);
  return *n;
}

/* --- another party on loopback ------------------------------------------------------------------ */

struct _YgTestFake
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *server;
  SoupServerCallback handler;
  gpointer data;
  guint16 port;
  GMutex lock;
  GCond cond;
  gboolean ready;
};

static gpointer
fake_thread (gpointer data)
{
  YgTestFake *fake = data;
  g_autoptr (GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (fake->context);
  fake->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fake->server, NULL, fake->handler, fake->data, NULL);
  g_assert_true (soup_server_listen_local (fake->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (fake->server);
  fake->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_mutex_lock (&fake->lock);
  fake->ready = TRUE;
  g_cond_signal (&fake->cond);
  g_mutex_unlock (&fake->lock);
  g_main_loop_run (fake->loop);
  soup_server_disconnect (fake->server);
  g_clear_object (&fake->server);
  g_main_context_pop_thread_default (fake->context);
  return NULL;
}

/**
 * yg_test_fake_start:
 * @handler: answers every request (on the fake's thread)
 *
 * Returns: (transfer full): the running server; stop it with yg_test_fake_stop
 */
YgTestFake *
yg_test_fake_start (SoupServerCallback handler, gpointer data)
{
  YgTestFake *fake = g_new0 (YgTestFake, 1);

  fake->handler = handler;
  fake->data = data;
  fake->context = g_main_context_new ();
  fake->loop = g_main_loop_new (fake->context, FALSE);
  g_mutex_init (&fake->lock);
  g_cond_init (&fake->cond);
  fake->thread = g_thread_new ("test-fake", fake_thread, fake);
  g_mutex_lock (&fake->lock);
  while (!fake->ready)
    g_cond_wait (&fake->cond, &fake->lock);
  g_mutex_unlock (&fake->lock);
  return fake;
}

guint16
yg_test_fake_port (YgTestFake *fake)
{
  return fake->port;
}

void
yg_test_fake_stop (YgTestFake *fake)
{
  GSource *s = g_idle_source_new ();

  g_source_set_callback (s, quit_loop, fake->loop, NULL);
  g_source_attach (s, fake->context);
  g_source_unref (s);
  g_thread_join (fake->thread);
  g_main_loop_unref (fake->loop);
  g_main_context_unref (fake->context);
  g_mutex_clear (&fake->lock);
  g_cond_clear (&fake->cond);
  g_free (fake);
}

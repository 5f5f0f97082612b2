/* cli-test.c: the `yunguan` command as users and scripts run it.
 *
 * Runs the built binary as a subprocess: --help on every subcommand, exit
 * statuses, `token create` printing only the token on stdout while a server
 * runs (and the token working against that server), `migrate` being
 * idempotent, `fsck` finding a missing file, `user` managing accounts with
 * Argon2id hashes, and configuration precedence
 * (INI file < environment < flags) with errors that name the culprit.
 * Suite: http.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>

#include "yg-test-server.h"
#include "yg-user-store.h"


/* Runs yunguan with @args (NULL-terminated) and optional extra environment. */
static int
run (const char *const *args, const char *const *env_extra, char **out, char **err)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) env = g_get_environ ();
  g_autoptr (GError) error = NULL;
  int status = -1;

  g_ptr_array_add (argv, yg_test_binary ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  for (guint i = 0; env_extra != NULL && env_extra[i] != NULL; i += 2)
    env = g_environ_setenv (env, env_extra[i], env_extra[i + 1], TRUE);
  env = g_environ_unsetenv (env, "YUNGUAN_CONFIG");
  g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status,
                &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

typedef struct
{
  char *dir;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->dir = yg_test_make_tmpdir ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  yg_test_rm_rf (f->dir);
  g_free (f->dir);
}

static void
test_help (Fixture *f, gconstpointer data)
{
  static const char *const commands[] = { "serve", "token", "migrate", "fsck", "version", "import",
                                          "worker", "user", "keys" };
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run ((const char *[]){ NULL }, NULL, &out, &err), ==, 2);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_assert_nonnull (strstr (out, commands[i]));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *o = NULL, *e = NULL;
      g_test_message ("yunguan %s --help", commands[i]);
      if (g_str_equal (commands[i], "version"))
        continue;
      g_assert_cmpint (run ((const char *[]){ commands[i], "--help", NULL }, NULL, &o, &e), ==, 0);
      g_assert_nonnull (strstr (o, "--data"));
    }
  /* serve documents every option with its environment variable. */
  g_assert_cmpint (run ((const char *[]){ "serve", "--help", NULL }, NULL, &out, &err), ==, 0);
  for (const char *const *o = (const char *const[]){ "--listen", "YUNGUAN_LISTEN", "--max-connections",
                                                       "--header-timeout", "--idle-timeout",
                                                       "--max-header-bytes", "--max-body-bytes",
                                                       "--access-log", "--config", NULL };
       *o; o++)
    g_assert_nonnull (strstr (out, *o));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run ((const char *[]){ "frobnicate", NULL }, NULL, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "unknown command"));
}

static guint16
wait_for_port (GInputStream *err_stream, GString *log)
{
  g_autoptr (GDataInputStream) din = g_data_input_stream_new (err_stream);
  char *line;

  while ((line = g_data_input_stream_read_line (din, NULL, NULL, NULL)) != NULL)
    {
      g_string_append_printf (log, "%s\n", line);
      if (g_str_has_prefix (line, "yunguan: port "))
        {
          guint16 port = atoi (line + 14);
          g_free (line);
          return port;
        }
      g_free (line);
    }
  return 0;
}

static void
test_token_while_serving (Fixture *f, gconstpointer data)
{
  g_autofree char *bin = yg_test_binary ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) server = NULL;
  g_autoptr (GString) log = g_string_new (NULL);
  g_autofree char *out = NULL, *err = NULL, *req = NULL, *resp = NULL;
  g_autoptr (GRegex) re = g_regex_new ("^ygs_[A-Za-z0-9_-]{43}\n$", 0, 0, NULL);
  guint16 port;
  guint status;

  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, bin, "serve", "--data", f->dir,
                             "--listen", "127.0.0.1:0", "--access-log", "off", NULL);
  g_assert_no_error (error);
  port = wait_for_port (g_subprocess_get_stderr_pipe (server), log);
  g_assert_cmpuint (port, >, 0);

  g_assert_cmpint (run ((const char *[]){ "token", "create", "--data", f->dir, "--role", "staff",
                                          "--name", "前台", NULL },
                        NULL, &out, &err),
                   ==, 0);
  g_assert_true (g_regex_match (re, out, 0, NULL)); /* the token and nothing else on stdout */
  g_strchomp (out);

  req = g_strdup_printf ("GET /api/v1/me HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                         "Connection: close\r\n\r\n",
                         out);
  resp = yg_test_http (port, req, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (resp, "\"role\":\"staff\""));
  g_assert_nonnull (strstr (resp, "前台"));

  /* A worker token (for a worker on another machine) leases jobs; the queue is empty. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&resp, g_free);
  g_clear_pointer (&req, g_free);
  g_assert_cmpint (run ((const char *[]){ "token", "create", "--data", f->dir, "--role", "worker",
                                          "--name", "encoder-2", NULL },
                        NULL, &out, &err),
                   ==, 0);
  g_strchomp (out);
  req = g_strdup_printf ("POST /api/v1/worker/lease HTTP/1.1\r\nHost: t\r\n"
                         "Authorization: Bearer %s\r\nContent-Length: 0\r\n"
                         "Connection: close\r\n\r\n",
                         out);
  resp = yg_test_http (port, req, &status);
  g_assert_cmpuint (status, ==, 204);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run ((const char *[]){ "token", "create", "--data", f->dir, "--role", "root", NULL },
                        NULL, &out, &err),
                   ==, 2);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "--role"));

  g_subprocess_send_signal (server, SIGTERM);
  g_assert_true (g_subprocess_wait (server, NULL, &error));
  g_assert_true (g_subprocess_get_if_exited (server));
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 0);
}

/* Like run(), with @input on standard input. */
static int
run_with_input (const char *const *args, const char *input, char **err)
{
  g_autofree char *bin = yg_test_binary ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) p = NULL;
  g_autofree char *out = NULL;

  g_ptr_array_add (argv, bin);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  p = g_subprocess_newv ((const char *const *) argv->pdata,
                         G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                           | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                         &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, input, NULL, &out, err, &error));
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (p);
}

typedef struct
{
  const char *user, *password;
} Login;

static gpointer
try_login (YgDbConn *conn, gpointer data, GError **error)
{
  Login *l = data;
  return yg_user_store_authenticate (conn, l->user, l->password, error);
}

static gboolean
can_login (const char *dir, const char *user, const char *password)
{
  g_autofree char *path = g_build_filename (dir, "catalog.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (YgDb) db = yg_db_open (path, &error);
  Login l = { user, password };
  g_autoptr (YgUser) u = NULL;

  g_assert_no_error (error);
  u = yg_db_run_sync (db, try_login, &l, NULL);
  return u != NULL;
}

static void
test_user (Fixture *f, gconstpointer data)
{
  g_autofree char *err = NULL, *out = NULL, *e2 = NULL, *hash_db = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (run_with_input ((const char *[]){ "user", "add", "--data", f->dir, "--role",
                                                     "staff", "--name", "王老师", "Wang", NULL },
                                   "correct horse\n", &err),
                   ==, 0);
  g_clear_pointer (&err, g_free);
  /* taken (case-insensitively), bad name, short password, bad role */
  g_assert_cmpint (run_with_input ((const char *[]){ "user", "add", "--data", f->dir, "wang", NULL },
                                   "another one\n", &err),
                   ==, 1);
  g_assert_nonnull (strstr (err, "taken"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_with_input ((const char *[]){ "user", "add", "--data", f->dir, "a b", NULL },
                                   "long enough\n", &err),
                   ==, 1);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_with_input ((const char *[]){ "user", "add", "--data", f->dir, "zhao", NULL },
                                   "short\n", &err),
                   ==, 1);
  g_assert_nonnull (strstr (err, "8 characters"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_with_input ((const char *[]){ "user", "add", "--data", f->dir, "--role", "root",
                                                     "zhao", NULL },
                                   "long enough\n", &err),
                   ==, 2);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run ((const char *[]){ "user", "list", "--data", f->dir, NULL }, NULL, &out, &e2), ==, 0);
  g_assert_nonnull (strstr (out, "wang"));
  g_assert_nonnull (strstr (out, "王老师"));
  g_assert_null (strstr (out, "zhao"));

  /* stored as Argon2id, never in clear */
  {
    g_autofree char *path = g_build_filename (f->dir, "catalog.db", NULL);
    g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT password_hash FROM users", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    hash_db = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
    sqlite3_finalize (stmt);
    sqlite3_close (db);
  }
  g_assert_true (g_str_has_prefix (hash_db, "$argon2id$"));
  g_assert_null (strstr (hash_db, "correct horse"));

  g_assert_true (can_login (f->dir, "wang", "correct horse"));
  g_assert_false (can_login (f->dir, "wang", "wrong horse"));
  g_assert_false (can_login (f->dir, "nobody", "correct horse"));

  g_assert_cmpint (run_with_input ((const char *[]){ "user", "passwd", "--data", f->dir, "wang", NULL },
                                   "battery staple\n", &err),
                   ==, 0);
  g_clear_pointer (&err, g_free);
  g_assert_false (can_login (f->dir, "wang", "correct horse"));
  g_assert_true (can_login (f->dir, "wang", "battery staple"));

  g_assert_cmpint (run_with_input ((const char *[]){ "user", "disable", "--data", f->dir, "wang", NULL },
                                   "", &err),
                   ==, 0);
  g_assert_false (can_login (f->dir, "wang", "battery staple"));
}

static void
test_migrate_idempotent (Fixture *f, gconstpointer data)
{
  g_autofree char *out1 = NULL, *out2 = NULL, *err = NULL;

  g_assert_cmpint (run ((const char *[]){ "migrate", "--data", f->dir, NULL }, NULL, &out1, &err), ==, 0);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run ((const char *[]){ "migrate", "--data", f->dir, NULL }, NULL, &out2, &err), ==, 0);
  g_assert_true (g_str_has_prefix (out1, "schema version "));
  g_assert_cmpstr (out1, ==, out2);
}

static void
exec_sql (const char *dir, const char *sql)
{
  g_autofree char *path = g_build_filename (dir, "catalog.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static void
test_fsck (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *orig_dir = g_build_filename (f->dir, "originals", "abcdefghijklmnop", NULL);
  g_autofree char *orig = g_build_filename (orig_dir, "master.mp4", NULL);

  g_assert_cmpint (run ((const char *[]){ "fsck", "--data", f->dir, NULL }, NULL, &out, &err), ==, 0);
  g_assert_nonnull (strstr (err, "0 problems"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_mkdir_with_parents (orig_dir, 0700);
  g_file_set_contents (orig, "0123456789", 10, NULL);
  exec_sql (f->dir, "INSERT INTO items (id, kind, title, created_at, updated_at) VALUES "
                    "('abcdefghijklmnop', 'performance', '新年音乐会', 0, 0);"
                    "INSERT INTO item_files (item_id, role, path, size) VALUES "
                    "('abcdefghijklmnop', 'original', 'originals/abcdefghijklmnop/master.mp4', 10),"
                    "('abcdefghijklmnop', 'master', 'media/abcdefghijklmnop/master.m3u8', 100);");
  g_assert_cmpint (run ((const char *[]){ "fsck", "--data", f->dir, NULL }, NULL, &out, &err), ==, 1);
  g_assert_nonnull (strstr (out, "missing file media/abcdefghijklmnop/master.m3u8"));
  g_assert_null (strstr (out, "master.mp4"));
  g_assert_nonnull (strstr (err, "1 problems"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Fixity: the original's recorded SHA-256 is checked by re-reading it. */
  exec_sql (f->dir, "DELETE FROM item_files WHERE role = 'master';"
                    "UPDATE item_files SET sha256 = "
                    "'84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882';");
  g_assert_cmpint (run ((const char *[]){ "fsck", "--data", f->dir, "--fixity", NULL }, NULL, &out,
                        &err),
                   ==, 0); /* sha256("0123456789") */
  g_assert_nonnull (strstr (err, "1 re-hashed"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_file_set_contents (orig, "0123456788", 10, NULL); /* same size, one byte rotted */
  g_assert_cmpint (run ((const char *[]){ "fsck", "--data", f->dir, NULL }, NULL, &out, &err), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run ((const char *[]){ "fsck", "--data", f->dir, "--fixity", NULL }, NULL, &out,
                        &err),
                   ==, 1);
  g_assert_nonnull (strstr (out, "is damaged"));
}

static void
test_config_precedence (Fixture *f, gconstpointer data)
{
  g_autofree char *ini = g_build_filename (f->dir, "yunguan.ini", NULL);
  g_autofree char *out = NULL, *err = NULL;

  /* A bad value in the INI file is reported with the file and the option. */
  g_file_set_contents (ini, "[server]\nmax-connections = lots\n", -1, NULL);
  g_assert_cmpint (run ((const char *[]){ "serve", "--data", f->dir, NULL }, NULL, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "yunguan.ini"));
  g_assert_nonnull (strstr (err, "max-connections"));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);

  /* ...but the environment overrides the file, and a bad env value names the variable. */
  g_assert_cmpint (run ((const char *[]){ "serve", "--data", f->dir, NULL },
                        (const char *[]){ "YUNGUAN_MAX_CONNECTIONS", "0", NULL }, &out, &err),
                   ==, 1);
  g_assert_nonnull (strstr (err, "yunguan.ini")); /* the file is read first and still fails */
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);

  g_file_set_contents (ini, "[server]\nmax-connections = 10\nlisten = 127.0.0.1:1\n", -1, NULL);
  g_assert_cmpint (run ((const char *[]){ "serve", "--data", f->dir, NULL },
                        (const char *[]){ "YUNGUAN_MAX_CONNECTIONS", "0", NULL }, &out, &err),
                   ==, 1);
  g_assert_nonnull (strstr (err, "YUNGUAN_MAX_CONNECTIONS"));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);

  /* A flag beats both: the env says a bad address, the flag a good one; the
   * listen error shows which value won. */
  g_assert_cmpint (run ((const char *[]){ "serve", "--data", f->dir, "--listen", "not-an-ip:80", NULL },
                        (const char *[]){ "YUNGUAN_LISTEN", "127.0.0.1:1", NULL }, &out, &err),
                   ==, 1);
  g_assert_nonnull (strstr (err, "not-an-ip:80"));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);

  g_file_set_contents (ini, "[server]\nmax-conections = 10\n", -1, NULL);
  g_assert_cmpint (run ((const char *[]){ "serve", "--data", f->dir, NULL }, NULL, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "max-conections"));
}

static void
test_keys (Fixture *f, gconstpointer data)
{
  g_autofree char *k1 = NULL, *k2 = NULL, *list = NULL, *err = NULL, *path = NULL, *text = NULL;
  struct stat st;

  g_assert_cmpint (run ((const char *[]){ "keys", "rotate", "--data", f->dir, NULL }, NULL, &k1, &err),
                   ==, 0);
  g_clear_pointer (&err, g_free);
  g_strstrip (k1);
  g_assert_cmpuint (strlen (k1), ==, 8);
  path = g_build_filename (f->dir, "keys", "playback.keys", NULL);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (run ((const char *[]){ "keys", "rotate", "--data", f->dir, NULL }, NULL, &k2, &err),
                   ==, 0);
  g_clear_pointer (&err, g_free);
  g_strstrip (k2);
  g_assert_cmpstr (k1, !=, k2);
  g_assert_cmpint (run ((const char *[]){ "keys", "list", "--data", f->dir, NULL }, NULL, &list, &err),
                   ==, 0);
  g_clear_pointer (&err, g_free);
  g_assert_nonnull (strstr (list, k1));
  g_assert_nonnull (strstr (list, k2));
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  /* list never prints a secret */
  {
    g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++)
      if (g_str_has_prefix (lines[i], "secret="))
        g_assert_null (strstr (list, lines[i] + 7));
  }
  g_clear_pointer (&list, g_free);
  /* the current key cannot be removed; an older one can */
  g_assert_cmpint (run ((const char *[]){ "keys", "remove", "--data", f->dir, k2, NULL }, NULL, &list,
                        &err),
                   ==, 1);
  g_assert_nonnull (strstr (err, "current"));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&list, g_free);
  g_assert_cmpint (run ((const char *[]){ "keys", "remove", "--data", f->dir, k1, NULL }, NULL, &list,
                        &err),
                   ==, 0);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&list, g_free);
  g_assert_cmpint (run ((const char *[]){ "keys", "list", "--data", f->dir, NULL }, NULL, &list, &err),
                   ==, 0);
  g_assert_null (strstr (list, k1));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&list, g_free);
  g_assert_cmpint (run ((const char *[]){ "keys", "frob", "--data", f->dir, NULL }, NULL, &list, &err),
                   ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("The yunguan command line: help, token, migrate, fsck, configuration");
#define ADD(path, fn) g_test_add ("/cli/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("help", test_help);
  ADD ("token/while-serving", test_token_while_serving);
  ADD ("migrate/idempotent", test_migrate_idempotent);
  ADD ("user", test_user);
  ADD ("fsck/missing-file", test_fsck);
  ADD ("config/precedence", test_config_precedence);
  ADD ("keys", test_keys);
  return g_test_run ();
}

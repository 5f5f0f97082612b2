/* main.c: the `yunguan` command: serve, token, user, keys, migrate, fsck, report, version.
 *
 * Each subcommand parses its own options (so `yunguan CMD --help` is
 * specific), reads configuration through YgConfig, and maps failures to a
 * one-line message on stderr and exit status 1 (2 for usage errors).
 * stdout carries only the command's product (e.g. the token), so scripts
 * can capture it. YG_DEBUG=sql,http,jobs (or all) turns on debug logs.
 */
#define G_LOG_DOMAIN "yunguan"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "yg-build-config.h"
#include "yg-config.h"
#include "yg-db.h"
#include "yg-fsck.h"
#include "yg-import.h"
#include "yg-job-runner.h"
#include <gst/gst.h>
#include "yg-migrations.h"
#include "yg-playback-keys.h"
#include "yg-report-format.h"
#include "yg-routes.h"
#include "yg-secret.h"
#include "yg-server.h"
#include "yg-token-store.h"
#include "yg-user-store.h"
#include "yg-worker.h"

typedef int (*CommandFunc) (int argc, char **argv);

typedef struct
{
  const char *name;
  CommandFunc func;
  const char *summary;
} Command;

static int
fail (const GError *error)
{
  g_printerr ("yunguan: %s\n", error->message);
  return 1;
}

/* Parses options common to every subcommand; returns FALSE on a usage error. */
static gboolean
parse_options (const char *command, const char *params, const char *description,
               GOptionEntry *entries, YgConfig *config, gboolean server_options, int *argc,
               char ***argv, int *status)
{
  g_autofree char *prgname = g_strdup_printf ("yunguan %s", command);
  g_autoptr (GOptionContext) ctx = g_option_context_new (params);
  g_autoptr (GError) error = NULL;

  g_set_prgname (prgname);
  g_option_context_set_summary (ctx, description);
  /* Configuration options are the main group, so plain --help lists them. */
  g_option_context_set_main_group (ctx, yg_config_option_group (config, server_options));
  if (entries != NULL)
    g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_help_enabled (ctx, TRUE);
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      g_printerr ("yunguan %s: %s\nTry \"yunguan %s --help\".\n", command, error->message, command);
      *status = 2;
      return FALSE;
    }
  if (!yg_config_finish (config, &error))
    {
      *status = fail (error);
      return FALSE;
    }
  return TRUE;
}

static YgDb *
open_catalog (const YgConfig *config, GError **error)
{
  g_autofree char *path = g_build_filename (config->data_dir, "catalog.db", NULL);

  if (!yg_data_dir_prepare (config->data_dir, error))
    return NULL;
  return yg_db_open (path, error);
}

/* --- serve -------------------------------------------------------------------------- */

static gboolean
on_signal (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static int
cmd_serve (int argc, char **argv)
{
  g_autoptr (YgConfig) config = yg_config_new ();
  g_autoptr (YgServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *options = yg_config_describe (FALSE);
  g_autofree char *summary = g_strdup_printf (
    "Runs the HTTP server: API, uploads, HLS delivery and the web UI.\n"
    "Every option can also be set in the [server] section of the INI file\n"
    "or through its environment variable:\n\n%s",
    options);
  int status = 0;

  if (!parse_options ("serve", NULL, summary, NULL, config, TRUE, &argc, &argv, &status))
    return status;
  server = yg_server_new (config, yg_routes, yg_n_routes, &error);
  if (server == NULL || !yg_server_start (server, &error))
    return fail (error);

  g_printerr ("yunguan %s serving http://%s (data %s)\n", YG_VERSION, config->listen,
              config->data_dir);
  if (g_str_has_suffix (config->listen, ":0"))
    g_printerr ("yunguan: port %u\n", yg_server_get_port (server));
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);
  g_printerr ("yunguan: shutting down\n");
  yg_server_stop (server);
  return 0;
}

/* --- worker ------------------------------------------------------------------------ */

static int
cmd_worker (int argc, char **argv)
{
  g_autoptr (YgConfig) config = yg_config_new ();
  g_autofree char *server = NULL;
  g_autofree char *name = NULL;
  g_autofree char *exe = NULL;
  g_autoptr (GError) error = NULL;
  gboolean once = FALSE;
  int poll_ms = 1000, status = 0;
  double factor = 4.0;
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &server,
      "The server's URL (default: from --listen, e.g. http://127.0.0.1:8080)", "URL" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Name shown in logs", "NAME" },
    { "once", 0, 0, G_OPTION_ARG_NONE, &once, "Run at most one job, then exit", NULL },
    { "poll-ms", 0, 0, G_OPTION_ARG_INT, &poll_ms, "Wait between empty leases (default 1000)", "MS" },
    { "time-factor", 0, 0, G_OPTION_ARG_DOUBLE, &factor,
      "Wall-clock limit per job: 120 s + duration × FACTOR (default 4)", "FACTOR" },
    { NULL },
  };
  YgWorkerOptions opts = { 0 };

  if (!parse_options ("worker", NULL,
                      "Leases transcode jobs from a server and runs each in a sandboxed child\n"
                      "process (no network, resource limits). `serve` starts these itself; run\n"
                      "more by hand or on another machine sharing the data directory.\n"
                      "The token comes from YUNGUAN_WORKER_TOKEN (never the command line).",
                      entries, config, FALSE, &argc, &argv, &status))
    return status;
  opts.token = (char *) g_getenv ("YUNGUAN_WORKER_TOKEN");
  if (opts.token == NULL || opts.token[0] == '\0')
    {
      g_printerr ("yunguan worker: set YUNGUAN_WORKER_TOKEN to a worker token\n");
      return 2;
    }
  if (poll_ms < 10 || factor <= 0)
    {
      g_printerr ("yunguan worker: --poll-ms must be ≥ 10 and --time-factor > 0\n");
      return 2;
    }
  exe = g_file_read_link ("/proc/self/exe", &error);
  if (exe == NULL)
    return fail (error);
  opts.server_url = server != NULL ? server : g_strdup_printf ("http://%s", config->listen);
  opts.data_dir = config->data_dir;
  opts.self_exe = exe;
  opts.once = once;
  opts.poll_ms = poll_ms;
  opts.time_factor = factor;
  yg_sandbox_limits_default (&opts.limits);
  opts.limits.address_space = config->transcode_memory;
  if (name != NULL)
    g_set_prgname (name);
  status = yg_worker_run (&opts);
  if (server == NULL)
    g_free (opts.server_url);
  return status;
}

/* --- transcode-job (inside a worker's sandbox) -------------------------------------- */

static int
cmd_transcode_job (int argc, char **argv)
{
  g_autoptr (YgConfig) config = yg_config_new ();
  g_autofree char *input = NULL, *output = NULL, *preset = NULL;
  int status = 0;
  GOptionEntry entries[] = {
    { "input", 0, 0, G_OPTION_ARG_STRING, &input, "Original, relative to the data directory",
      "PATH" },
    { "output", 0, 0, G_OPTION_ARG_STRING, &output, "Media directory, relative to the data directory",
      "PATH" },
    { "preset", 0, 0, G_OPTION_ARG_STRING, &preset, "x264 preset (default veryfast)", "NAME" },
    { NULL },
  };
  YgJobRunnerOptions opts = { 0 };

  yg_job_runner_watch_memory (stdout);
  if (!parse_options ("transcode-job", NULL,
                      "Probes one original and transcodes it to HLS, reporting progress on\n"
                      "stdout for the worker. Workers run this inside their sandbox; it is not\n"
                      "meant to be run by hand except to debug a file.",
                      entries, config, FALSE, &argc, &argv, &status))
    return status;
  if (input == NULL || output == NULL)
    {
      g_printerr ("yunguan transcode-job: --input and --output are required\n");
      return 2;
    }
  gst_init (NULL, NULL);
  opts.data_dir = config->data_dir;
  opts.input = input;
  opts.output = output;
  opts.preset = preset;
  status = yg_job_runner_run (&opts, stdout);
  gst_deinit ();
  return status;
}

/* --- import ------------------------------------------------------------------------ */

static int
cmd_import (int argc, char **argv)
{
  g_autoptr (YgConfig) config = yg_config_new ();
  g_autoptr (YgDb) db = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *kind = NULL, *title = NULL, *metadata = NULL;
  g_auto (GStrv) paths = NULL;
  gboolean quiet = FALSE;
  int status = 0;
  GOptionEntry entries[] = {
    { "kind", 0, 0, G_OPTION_ARG_STRING, &kind,
      "performance, lesson or heritage (for files the CSV does not describe)", "KIND" },
    { "title", 0, 0, G_OPTION_ARG_STRING, &title, "Title (a single file only)", "TITLE" },
    { "metadata", 0, 0, G_OPTION_ARG_FILENAME, &metadata,
      "CSV with a header row: file,title,kind,description[,language,recorded_date,venue,tags]",
      "CSV" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress bar", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &paths, NULL, "FILE|DIR…" },
    { NULL },
  };
  YgImportOptions opts = { 0 };
  YgImportSummary summary;

  if (!parse_options ("import", "FILE|DIR…",
                      "Copies recordings into the archive (originals/<item>/, SHA-256 recorded),\n"
                      "creates their items and queues their transcodes. Safe to re-run: a file\n"
                      "already in the archive (same SHA-256) is skipped. Prints each new item id\n"
                      "on stdout.\n\n"
                      "  yunguan import --data DIR --kind heritage --metadata list.csv /media/disk1",
                      entries, config, FALSE, &argc, &argv, &status))
    return status;
  if (paths == NULL || paths[0] == NULL)
    {
      g_printerr ("yunguan import: name at least one file or directory\n");
      return 2;
    }
  db = open_catalog (config, &error);
  if (db == NULL)
    return fail (error);
  opts.data_dir = config->data_dir;
  opts.kind = kind;
  opts.title = title;
  opts.metadata = metadata;
  opts.progress = !quiet && isatty (STDERR_FILENO);
  if (!yg_import_run (db, &opts, paths, &summary, &error))
    return fail (error);
  g_printerr ("import: %u imported, %u already present, %u failed\n", summary.imported,
              summary.skipped, summary.failed);
  return summary.failed == 0 ? 0 : 1;
}

/* --- token -------------------------------------------------------------------------- */

typedef struct
{
  YgRole role;
  const char *name;
  gint64 expires_at;
  gint64 revoke_id;
} TokenArgs;

static gpointer
token_create (YgDbConn *conn, gpointer data, GError **error)
{
  TokenArgs *a = data;
  return yg_token_store_create (conn, a->role, a->name, a->expires_at, error);
}

static gpointer
token_revoke (YgDbConn *conn, gpointer data, GError **error)
{
  TokenArgs *a = data;
  return yg_token_store_revoke (conn, a->revoke_id, error) ? GINT_TO_POINTER (1) : NULL;
}

static int
cmd_token (int argc, char **argv)
{
  g_autoptr (YgConfig) config = yg_config_new ();
  g_autoptr (YgDb) db = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *role = NULL;
  g_autofree char *name = NULL;
  int expires_days = 0, status = 0;
  GOptionEntry entries[] = {
    { "role", 0, 0, G_OPTION_ARG_STRING, &role, "staff, partner, admin, or worker for a worker on another machine (create)", "ROLE" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Who or what the token is for (create)", "NAME" },
    { "expires-days", 0, 0, G_OPTION_ARG_INT, &expires_days,
      "Days until the token stops working; 0 = never (create)", "DAYS" },
    { NULL },
  };
  TokenArgs args = { 0 };

  if (!parse_options ("token", "create | revoke ID",
                      "Creates a bearer token (printed once on stdout, stored only hashed)\n"
                      "or revokes one by id. Works while the server runs.\n\n"
                      "  yunguan token create --data DIR --role staff --name \"Front desk\"\n"
                      "  yunguan token revoke --data DIR 12",
                      entries, config, FALSE, &argc, &argv, &status))
    return status;

  if (argc >= 2 && g_str_equal (argv[1], "create") && argc == 2)
    {
      g_autofree char *token = NULL;
      args.role = yg_role_from_string (role);
      if (args.role != YG_ROLE_STAFF && args.role != YG_ROLE_PARTNER && args.role != YG_ROLE_ADMIN
          && args.role != YG_ROLE_WORKER)
        {
          g_printerr ("yunguan token create: --role must be staff, partner, admin or worker\n");
          return 2;
        }
      if (expires_days < 0)
        {
          g_printerr ("yunguan token create: --expires-days must be 0 or more\n");
          return 2;
        }
      args.name = name;
      args.expires_at = expires_days > 0 ? g_get_real_time () / G_USEC_PER_SEC + expires_days * 86400
                                         : 0;
      db = open_catalog (config, &error);
      if (db == NULL || (token = yg_db_run_sync (db, token_create, &args, &error)) == NULL)
        return fail (error);
      g_print ("%s\n", token);
      return 0;
    }
  if (argc == 3 && g_str_equal (argv[1], "revoke"))
    {
      if (!g_ascii_string_to_signed (argv[2], 10, 1, G_MAXINT64, &args.revoke_id, NULL))
        {
          g_printerr ("yunguan token revoke: \"%s\" is not a token id\n", argv[2]);
          return 2;
        }
      db = open_catalog (config, &error);
      if (db == NULL || yg_db_run_sync (db, token_revoke, &args, &error) == NULL)
        return fail (error);
      g_printerr ("token %" G_GINT64_FORMAT " revoked\n", args.revoke_id);
      return 0;
    }
  g_printerr ("yunguan token: say \"create\" or \"revoke ID\"; see yunguan token --help\n");
  return 2;
}

/* --- user ---------------------------------------------------------------------------- */

typedef struct
{
  const char *verb;
  const char *username;
  const char *name;
  YgRole role;
  char *password;
} UserArgs;

static gpointer
user_work (YgDbConn *conn, gpointer data, GError **error)
{
  UserArgs *a = data;

  if (g_str_equal (a->verb, "add"))
    return yg_user_store_create (conn, a->username, a->name, a->role, a->password, error) > 0
             ? GINT_TO_POINTER (1)
             : NULL;
  if (g_str_equal (a->verb, "passwd"))
    return yg_user_store_set_password (conn, a->username, a->password, error) ? GINT_TO_POINTER (1)
                                                                             : NULL;
  if (g_str_equal (a->verb, "disable") || g_str_equal (a->verb, "enable"))
    return yg_user_store_set_disabled (conn, a->username, g_str_equal (a->verb, "disable"), error)
             ? GINT_TO_POINTER (1)
             : NULL;
  return yg_user_store_list (conn, error);
}

/* One line from stdin; with a terminal, asked twice without echo. */
static char *
read_password (GError **error)
{
  char buf[1024];
  g_autofree char *first = NULL;
  struct termios old, quiet;
  gboolean tty = isatty (STDIN_FILENO);

  for (int round = 0; round < (tty ? 2 : 1); round++)
    {
      if (tty)
        {
          g_printerr (round == 0 ? "Password: " : "Again: ");
          tcgetattr (STDIN_FILENO, &old);
          quiet = old;
          quiet.c_lflag &= ~ECHO;
          tcsetattr (STDIN_FILENO, TCSANOW, &quiet);
        }
      if (fgets (buf, sizeof buf, stdin) == NULL)
        buf[0] = '\0';
      if (tty)
        {
          tcsetattr (STDIN_FILENO, TCSANOW, &old);
          g_printerr ("\n");
        }
      buf[strcspn (buf, "\r\n")] = '\0';
      if (round == 0)
        first = g_strdup (buf);
      else if (!g_str_equal (first, buf))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "The two passwords differ");
          return NULL;
        }
    }
  return g_steal_pointer (&first);
}

static int
cmd_user (int argc, char **argv)
{
  g_autoptr (YgConfig) config = yg_config_new ();
  g_autoptr (YgDb) db = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *role = NULL, *name = NULL;
  int status = 0;
  GOptionEntry entries[] = {
    { "role", 0, 0, G_OPTION_ARG_STRING, &role, "resident, staff or admin (add; default staff)",
      "ROLE" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Display name (add)", "NAME" },
    { NULL },
  };
  UserArgs args = { 0 };
  gpointer result;

  if (!parse_options ("user", "add|passwd|disable|enable USERNAME | list",
                      "Manages accounts. Passwords are read from standard input (asked twice\n"
                      "without echo on a terminal) and stored only as Argon2id hashes.\n\n"
                      "  yunguan user add --data DIR --role staff --name \"王老师\" wang\n"
                      "  yunguan user list --data DIR",
                      entries, config, FALSE, &argc, &argv, &status))
    return status;
  if (argc == 2 && g_str_equal (argv[1], "list"))
    args.verb = "list";
  else if (argc == 3
           && (g_str_equal (argv[1], "add") || g_str_equal (argv[1], "passwd")
               || g_str_equal (argv[1], "disable") || g_str_equal (argv[1], "enable")))
    {
      args.verb = argv[1];
      args.username = argv[2];
    }
  else
    {
      g_printerr ("yunguan user: say add, passwd, disable or enable USERNAME, or list; see --help\n");
      return 2;
    }
  args.name = name;
  args.role = role ? yg_role_from_string (role) : YG_ROLE_STAFF;
  if (args.role != YG_ROLE_RESIDENT && args.role != YG_ROLE_STAFF && args.role != YG_ROLE_ADMIN)
    {
      g_printerr ("yunguan user: --role must be resident, staff or admin\n");
      return 2;
    }
  if (g_str_equal (args.verb, "add") || g_str_equal (args.verb, "passwd"))
    {
      args.password = read_password (&error);
      if (args.password == NULL)
        return fail (error);
    }
  db = open_catalog (config, &error);
  result = db ? yg_db_run_sync (db, user_work, &args, &error) : NULL;
  if (args.password != NULL)
    {
      memset (args.password, 0, strlen (args.password));
      g_free (args.password);
    }
  if (result == NULL)
    return fail (error);
  if (g_str_equal (args.verb, "list"))
    {
      g_autoptr (GPtrArray) users = result;
      for (guint i = 0; i < users->len; i++)
        {
          YgUser *u = users->pdata[i];
          g_print ("%-24s %-9s %s%s\n", u->username, yg_role_to_string (u->role), u->display_name,
                   u->disabled ? " (disabled)" : "");
        }
    }
  else
    g_printerr ("user %s: %s done\n", args.username, args.verb);
  return 0;
}

/* --- keys --------------------------------------------------------------------------- */

static int
cmd_keys (int argc, char **argv)
{
  g_autoptr (YgConfig) config = yg_config_new ();
  g_autoptr (GError) error = NULL;
  int status = 0;

  if (!parse_options ("keys", "rotate | list | remove ID",
                      "Manages the keys that sign playback URLs (/hls/t/…) of items that are\n"
                      "not public; they live in DATA/keys/playback.keys (created at first start).\n"
                      "rotate adds a new key and makes it current: new URLs use it, URLs signed\n"
                      "by older keys keep working until those keys are removed. remove ID drops\n"
                      "an older key: URLs it signed stop working (403). A running server picks\n"
                      "the change up within a second. list prints id, creation time, current.\n\n"
                      "  yunguan keys rotate --data DIR\n"
                      "  yunguan keys remove --data DIR k3v7q2mz",
                      NULL, config, FALSE, &argc, &argv, &status))
    return status;
  if (argc == 2 && g_str_equal (argv[1], "rotate"))
    {
      g_autofree char *id = NULL;
      if (!yg_data_dir_prepare (config->data_dir, &error)
          || (id = yg_playback_keys_rotate (config->data_dir, &error)) == NULL)
        return fail (error);
      g_print ("%s\n", id);
      return 0;
    }
  if (argc == 2 && g_str_equal (argv[1], "list"))
    {
      g_autofree char *text = yg_playback_keys_describe (config->data_dir, &error);
      if (text == NULL)
        return fail (error);
      g_print ("%s", text);
      return 0;
    }
  if (argc == 3 && g_str_equal (argv[1], "remove"))
    {
      if (!yg_playback_keys_remove (config->data_dir, argv[2], &error))
        return fail (error);
      g_printerr ("key %s removed\n", argv[2]);
      return 0;
    }
  g_printerr ("yunguan keys: say rotate, list or remove ID; see yunguan keys --help\n");
  return 2;
}

/* --- migrate ------------------------------------------------------------------------ */

static gpointer
schema_version (YgDbConn *conn, gpointer data, GError **error)
{
  int v = yg_migrations_current (yg_db_conn_get_handle (conn), error);
  return v < 0 ? NULL : GINT_TO_POINTER (v + 1);
}

static int
cmd_migrate (int argc, char **argv)
{
  g_autoptr (YgConfig) config = yg_config_new ();
  g_autoptr (YgDb) db = NULL;
  g_autoptr (GError) error = NULL;
  gpointer v;
  int status = 0;

  if (!parse_options ("migrate", NULL,
                      "Creates the catalogue if needed and brings its schema up to date.\n"
                      "Safe to run at any time, also while the server runs.",
                      NULL, config, FALSE, &argc, &argv, &status))
    return status;
  db = open_catalog (config, &error);
  if (db == NULL || (v = yg_db_run_sync (db, schema_version, NULL, &error)) == NULL)
    return fail (error);
  g_print ("schema version %d\n", GPOINTER_TO_INT (v) - 1);
  return 0;
}

/* --- fsck --------------------------------------------------------------------------- */

typedef struct
{
  const char *data_dir;
  gboolean fixity;
} FsckArgs;

static gpointer
run_fsck (YgDbConn *conn, gpointer data, GError **error)
{
  FsckArgs *a = data;
  return yg_fsck_run_full (conn, a->data_dir, a->fixity, error);
}

static int
cmd_fsck (int argc, char **argv)
{
  g_autoptr (YgConfig) config = yg_config_new ();
  g_autoptr (YgDb) db = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (YgFsckReport) report = NULL;
  gboolean fixity = FALSE;
  int status = 0;
  GOptionEntry entries[] = {
    { "fixity", 0, 0, G_OPTION_ARG_NONE, &fixity,
      "Also re-hash every original and compare with its recorded SHA-256 (reads the archive)",
      NULL },
    { NULL },
  };
  FsckArgs args;

  if (!parse_options ("fsck", NULL,
                      "Checks the catalogue (PRAGMA integrity_check) and that every file a row\n"
                      "points at exists with its recorded size; with --fixity also that every\n"
                      "original still has its SHA-256. Exit status 1 if anything is wrong.",
                      entries, config, FALSE, &argc, &argv, &status))
    return status;
  args.data_dir = config->data_dir;
  args.fixity = fixity;
  db = open_catalog (config, &error);
  if (db == NULL || (report = yg_db_run_sync (db, run_fsck, &args, &error)) == NULL)
    return fail (error);
  for (guint i = 0; i < report->problems->len; i++)
    g_print ("%s\n", (char *) report->problems->pdata[i]);
  g_printerr ("fsck: database %s, %u files checked, %u re-hashed, %u problems\n",
              report->integrity_ok ? "ok" : "DAMAGED", report->files_checked, report->files_hashed,
              report->problems->len);
  return report->problems->len == 0 ? 0 : 1;
}

/* --- report ------------------------------------------------------------------------- */

typedef struct
{
  const char *month;
  YgReportRules rules;
} ReportArgs;

static gpointer
build_report (YgDbConn *conn, gpointer data, GError **error)
{
  ReportArgs *a = data;

  return yg_report_build (conn, a->month, &a->rules, error);
}

static int
cmd_report (int argc, char **argv)
{
  g_autoptr (YgConfig) config = yg_config_new ();
  g_autoptr (YgDb) db = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (YgReport) report = NULL;
  g_autofree char *month = NULL, *format = NULL, *text = NULL;
  int status = 0;
  GOptionEntry entries[] = {
    { "month", 0, 0, G_OPTION_ARG_STRING, &month, "The month to report on (UTC)", "YYYY-MM" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, "json (default), csv or html", "FORMAT" },
    { NULL },
  };
  ReportArgs args;

  if (!parse_options ("report", NULL,
                      "Prints the supervisor's monthly report on stdout: content published,\n"
                      "hours watched, viewers, course completions, request response time,\n"
                      "satisfaction, top and bottom items and the 100-point score\n"
                      "(weights: --report-rules FILE, else the defaults in docs/operations.md).",
                      entries, config, FALSE, &argc, &argv, &status))
    return status;
  if (format == NULL)
    format = g_strdup ("json");
  if (month == NULL || !g_strv_contains ((const char *const[]) { "json", "csv", "html", NULL },
                                         format))
    {
      g_printerr ("yunguan report: say --month YYYY-MM [--format json|csv|html]\n");
      return 2;
    }
  args.month = month;
  yg_report_rules_init (&args.rules);
  if (!g_str_equal (config->report_rules, "none")
      && !yg_report_rules_load (&args.rules, config->report_rules, &error))
    return fail (error);
  db = open_catalog (config, &error);
  if (db == NULL || (report = yg_db_run_sync (db, build_report, &args, &error)) == NULL)
    return fail (error);
  if (g_str_equal (format, "csv"))
    text = yg_report_format_csv (report);
  else if (g_str_equal (format, "html"))
    text = yg_report_format_html (report);
  else
    {
      g_autoptr (JsonNode) node = yg_report_format_json (report);
      g_autoptr (JsonGenerator) gen = json_generator_new ();

      json_generator_set_root (gen, node);
      json_generator_set_pretty (gen, TRUE);
      text = json_generator_to_data (gen, NULL);
    }
  g_print ("%s%s", text, g_str_has_suffix (text, "\n") ? "" : "\n");
  return 0;
}

/* --- version and help --------------------------------------------------------------- */

static int
cmd_version (int argc, char **argv)
{
  g_print ("yunguan %s (catalogue schema %d)\n", YG_VERSION, yg_migrations_latest ());
  return 0;
}

static int cmd_help (int argc, char **argv);

static const Command commands[] = {
  { "serve", cmd_serve, "Run the server (HTTP API, uploads, HLS, web UI)" },
  { "import", cmd_import, "Import recordings from files or directories (with a CSV)" },
  { "worker", cmd_worker, "Run transcode jobs for a server (serve starts its own)" },
  { "token", cmd_token, "Create or revoke API bearer tokens" },
  { "user", cmd_user, "Add, list, disable accounts and set their passwords" },
  { "keys", cmd_keys, "Rotate, list or remove the keys that sign playback URLs" },
  { "transcode-job", cmd_transcode_job, "(internal) Run one transcode; used by workers" },
  { "migrate", cmd_migrate, "Create or upgrade the catalogue schema" },
  { "fsck", cmd_fsck, "Check the catalogue and the files it points at" },
  { "report", cmd_report, "Print the supervisor's monthly report (json, csv or html)" },
  { "version", cmd_version, "Print the version" },
  { "help", cmd_help, "Show this help" },
};

static int
cmd_help (int argc, char **argv)
{
  g_print ("Usage: yunguan COMMAND [OPTIONS]\n\n"
           "Yunguan (云馆) serves a culture centre's recordings, courses and heritage\n"
           "footage to residents, staff and partner centres.\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_print ("  %-9s %s\n", commands[i].name, commands[i].summary);
  g_print ("\nRun \"yunguan COMMAND --help\" for a command's options.\n");
  return 0;
}

static void
apply_debug_keywords (void)
{
  static const struct
  {
    const char *keyword, *domains;
  } map[] = {
    { "sql", "yg-catalog" }, { "http", "yg-server" }, { "jobs", "yg-jobs" }, { "all", "all" },
  };
  const char *wanted = g_getenv ("YG_DEBUG");
  g_auto (GStrv) words = NULL;
  GString *domains;

  if (wanted == NULL)
    return;
  words = g_strsplit (wanted, ",", -1);
  domains = g_string_new (g_getenv ("G_MESSAGES_DEBUG"));
  for (guint i = 0; words[i] != NULL; i++)
    for (guint j = 0; j < G_N_ELEMENTS (map); j++)
      if (g_str_equal (g_strstrip (words[i]), map[j].keyword))
        g_string_append_printf (domains, "%s%s", domains->len ? " " : "", map[j].domains);
  g_setenv ("G_MESSAGES_DEBUG", domains->str, TRUE);
  g_string_free (domains, TRUE);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  apply_debug_keywords ();
  if (!yg_secret_init ())
    {
      g_printerr ("yunguan: libsodium failed to initialise\n");
      return 1;
    }
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    return cmd_help (argc, argv) + (argc < 2 ? 2 : 0);
  if (g_str_equal (argv[1], "--version"))
    return cmd_version (argc, argv);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      return commands[i].func (argc - 1, argv + 1);
  g_printerr ("yunguan: unknown command \"%s\"; run \"yunguan help\"\n", argv[1]);
  return 2;
}

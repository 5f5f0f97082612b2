/* yg-worker.c: the worker loop: lease a job, run it sandboxed, report.
 *
 * A worker holds no database handle and no secret but its own token; it
 * speaks the job protocol (yg-route-jobs.c) over HTTP, so the same loop
 * works on another machine given a shared or synced data directory. Each
 * job runs in a child `yunguan transcode-job` confined by yg-sandbox (no
 * network, rlimits) and killed when it exceeds its wall-clock budget. The
 * child reports on stdout, one line each: "probe <seconds>", "progress
 * <0..1>", "file <role> <path>", "done <seconds>", "error <code> <0|1
 * retryable> <message>". Reports to the server go out strictly in order
 * (files before complete) through a one-at-a-time outbox. A heartbeat every
 * 10 s extends the lease; a 409 answer means the job was cancelled or taken
 * back, and the child is killed. Thread: main thread, one GMainLoop.
 */
#define LEASE_WAIT_SECONDS 20 /* below the session timeout (30 s) */
#define G_LOG_DOMAIN "yg-jobs"

#include "yg-worker.h"

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>

#define HEARTBEAT_TICKS 10
#define PROBE_BUDGET_S 120

typedef struct
{
  char *path;
  char *body;
  gboolean lease_check; /* a 409 here means the lease is gone */
} Outgoing;

typedef struct
{
  const YgWorkerOptions *opts;
  SoupSession *session;
  GMainLoop *loop;
  gboolean stopping;
  guint retry_ms;
  gint64 lease_sent_us; /* when the pending lease request went out */

  /* the current job */
  gint64 job_id;
  GSubprocess *child;
  GDataInputStream *child_out;
  gint64 deadline_us;
  double progress;
  double duration;
  gboolean done_line;
  char *fail_code;
  char *fail_message;
  gboolean fail_retryable;
  gboolean lease_lost;
  gboolean timed_out;
  gboolean child_exited;
  guint tick_id;
  guint ticks;

  GQueue outbox;
  gboolean sending;
} Worker;

static void lease (Worker *w);
static void finish_job (Worker *w);

static void
outgoing_free (Outgoing *o)
{
  g_free (o->path);
  g_free (o->body);
  g_free (o);
}

static SoupMessage *
new_post (Worker *w, const char *path, const char *body)
{
  g_autofree char *url = g_strconcat (w->opts->server_url, path, NULL);
  g_autofree char *auth = g_strdup_printf ("Bearer %s", w->opts->token);
  SoupMessage *msg = soup_message_new ("POST", url);
  g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  return msg;
}

static void
schedule (Worker *w, guint ms, GSourceFunc func)
{
  g_timeout_add (ms, func, w);
}

static gboolean
lease_again (gpointer data)
{
  lease (data);
  return G_SOURCE_REMOVE;
}

/* --- outbox: ordered reports ------------------------------------------------------ */

static void send_next (Worker *w);

static gboolean
send_next_later (gpointer data)
{
  send_next (data);
  return G_SOURCE_REMOVE;
}

/* In --once mode and when stopping: quit as soon as the last report is out. */
static gboolean
quit_when_flushed (gpointer data)
{
  Worker *w = data;

  if (!g_queue_is_empty (&w->outbox) || w->sending)
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (w->loop);
  return G_SOURCE_REMOVE;
}

static void
sent (GObject *source, GAsyncResult *res, gpointer data)
{
  Worker *w = data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), res);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &error);
  Outgoing *o = g_queue_peek_head (&w->outbox);
  guint status = soup_message_get_status (msg);

  if ((error != NULL || status >= 500) && w->stopping)
    {
      /* Stopping, and the server is gone (it may have been killed, which is
       * why we were told to stop): drop what it cannot take; the job's lease
       * runs out and the server requeues it. */
      g_message ("report %s failed while stopping (%s); giving up on it", o->path,
                 error ? error->message : soup_status_get_phrase (status));
      outgoing_free (g_queue_pop_head (&w->outbox));
      w->sending = FALSE;
      send_next (w);
      return;
    }
  if (error != NULL || status >= 500)
    {
      /* The server is away (restarting?): try the same report again soon. */
      g_message ("report %s failed (%s); retrying", o->path,
                 error ? error->message : soup_status_get_phrase (status));
      w->sending = FALSE;
      g_timeout_add (1000, send_next_later, w);
      return;
    }
  if (status == 409 && o->lease_check)
    {
      g_message ("job %" G_GINT64_FORMAT ": lease lost (cancelled or reassigned); stopping it",
                 w->job_id);
      w->lease_lost = TRUE;
      if (w->child != NULL && !w->child_exited)
        g_subprocess_force_exit (w->child);
    }
  else if (status >= 400)
    g_warning ("report %s refused: %u %.*s", o->path, status,
               body ? (int) g_bytes_get_size (body) : 0,
               body ? (const char *) g_bytes_get_data (body, NULL) : "");
  outgoing_free (g_queue_pop_head (&w->outbox));
  w->sending = FALSE;
  send_next (w);
}

static void
send_next (Worker *w)
{
  Outgoing *o;
  g_autoptr (SoupMessage) msg = NULL;

  if (w->sending)
    return;
  o = g_queue_peek_head (&w->outbox);
  if (o == NULL)
    {
      if (w->child_exited && w->job_id != 0)
        finish_job (w);
      return;
    }
  w->sending = TRUE;
  msg = new_post (w, o->path, o->body);
  soup_session_send_and_read_async (w->session, msg, G_PRIORITY_DEFAULT, NULL, sent, w);
}

static void
report (Worker *w, const char *verb, gboolean lease_check, JsonBuilder *b)
{
  Outgoing *o = g_new0 (Outgoing, 1);
  g_autoptr (JsonNode) root = json_builder_get_root (b);

  o->path = g_strdup_printf ("/api/v1/worker/jobs/%" G_GINT64_FORMAT "/%s", w->job_id, verb);
  o->body = json_to_string (root, FALSE);
  o->lease_check = lease_check;
  g_queue_push_tail (&w->outbox, o);
  send_next (w);
}

/* --- the child ----------------------------------------------------------------------- */

static void
on_child_line (Worker *w, const char *line)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  if (g_str_has_prefix (line, "probe "))
    {
      double d = g_ascii_strtod (line + 6, NULL);
      w->deadline_us = g_get_monotonic_time ()
                       + (gint64) ((PROBE_BUDGET_S + MAX (d, 0) * w->opts->time_factor) * G_USEC_PER_SEC);
    }
  else if (g_str_has_prefix (line, "progress "))
    w->progress = CLAMP (g_ascii_strtod (line + 9, NULL), 0.0, 1.0);
  else if (g_str_has_prefix (line, "file "))
    {
      g_auto (GStrv) parts = g_strsplit (line + 5, " ", 2);
      if (parts[0] == NULL || parts[1] == NULL)
        return;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, parts[0]);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, parts[1]);
      json_builder_end_object (b);
      report (w, "files", TRUE, b);
    }
  else if (g_str_has_prefix (line, "done "))
    {
      w->done_line = TRUE;
      w->duration = g_ascii_strtod (line + 5, NULL);
    }
  else if (g_str_has_prefix (line, "error "))
    {
      g_auto (GStrv) parts = g_strsplit (line + 6, " ", 3);
      if (parts[0] != NULL && parts[1] != NULL && parts[2] != NULL)
        {
          g_free (w->fail_code);
          g_free (w->fail_message);
          w->fail_code = g_strdup (parts[0]);
          w->fail_retryable = g_str_equal (parts[1], "1");
          w->fail_message = g_strdup (parts[2]);
        }
    }
}

static void
read_child_line (GObject *source, GAsyncResult *res, gpointer data)
{
  Worker *w = data;
  gsize len;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     res, &len, NULL);

  if (line == NULL)
    return; /* EOF: the exit callback finishes the job */
  on_child_line (w, line);
  g_data_input_stream_read_line_async (G_DATA_INPUT_STREAM (source), G_PRIORITY_DEFAULT, NULL,
                                       read_child_line, w);
}

static void
child_exited (GObject *source, GAsyncResult *res, gpointer data)
{
  Worker *w = data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  w->child_exited = TRUE;
  send_next (w); /* finishes the job once earlier reports are out */
}

static gboolean
tick (gpointer data)
{
  Worker *w = data;
  g_autoptr (JsonBuilder) b = NULL;

  if (w->child_exited)
    return G_SOURCE_CONTINUE; /* finish_job removes this source */
  if (w->deadline_us != 0 && g_get_monotonic_time () > w->deadline_us && !w->timed_out)
    {
      g_message ("job %" G_GINT64_FORMAT ": over its time limit; stopping it", w->job_id);
      w->timed_out = TRUE;
      g_subprocess_force_exit (w->child);
    }
  if (++w->ticks % HEARTBEAT_TICKS == 0)
    {
      b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "progress");
      json_builder_add_double_value (b, w->progress);
      json_builder_end_object (b);
      report (w, "heartbeat", TRUE, b);
    }
  return G_SOURCE_CONTINUE;
}

static void
start_job (Worker *w, JsonObject *doc)
{
  JsonObject *job = json_object_get_object_member (doc, "job");
  const char *input = json_object_get_string_member_with_default (doc, "input", NULL);
  const char *output = json_object_get_string_member_with_default (doc, "output", NULL);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;

  w->job_id = job ? json_object_get_int_member_with_default (job, "id", 0) : 0;
  w->progress = 0;
  w->duration = -1;
  w->done_line = w->lease_lost = w->timed_out = w->child_exited = FALSE;
  g_clear_pointer (&w->fail_code, g_free);
  g_clear_pointer (&w->fail_message, g_free);
  w->deadline_us = g_get_monotonic_time () + PROBE_BUDGET_S * G_USEC_PER_SEC;
  if (w->job_id == 0 || input == NULL || output == NULL)
    {
      g_warning ("the server sent a lease without job, input or output; ignoring it");
      w->job_id = 0;
      schedule (w, w->opts->poll_ms, lease_again);
      return;
    }
  g_message ("job %" G_GINT64_FORMAT ": %s → %s", w->job_id, input, output);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, yg_sandbox_child_setup,
                                         (gpointer) &w->opts->limits, NULL);
  w->child = g_subprocess_launcher_spawn (launcher, &error, w->opts->self_exe, "transcode-job",
                                          "--data", w->opts->data_dir, "--input", input,
                                          "--output", output, NULL);
  if (w->child == NULL)
    {
      w->fail_code = g_strdup ("worker_error");
      w->fail_message = g_strdup_printf ("The worker could not start the transcoder: %s",
                                         error->message);
      w->fail_retryable = TRUE;
      w->child_exited = TRUE;
      send_next (w);
      return;
    }
  w->child_out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (w->child));
  g_data_input_stream_read_line_async (w->child_out, G_PRIORITY_DEFAULT, NULL, read_child_line, w);
  g_subprocess_wait_async (w->child, NULL, child_exited, w);
  w->ticks = 0;
  w->tick_id = g_timeout_add (1000, tick, w);
}

/* All reports are out and the child is gone: tell the server how it ended. */
static void
finish_job (Worker *w)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  gboolean ok = w->child != NULL && g_subprocess_get_successful (w->child) && w->done_line;
  gint64 job_id = w->job_id;

  if (w->lease_lost)
    ; /* nothing to report: the job is no longer ours */
  else if (ok)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "duration");
      json_builder_add_double_value (b, MAX (w->duration, 0));
      json_builder_end_object (b);
      report (w, "complete", TRUE, b);
    }
  else
    {
      const char *code = w->fail_code;
      const char *message = w->fail_message;
      gboolean retryable = w->fail_retryable;
      g_autofree char *crash = NULL;

      if (w->timed_out)
        {
          code = "timeout";
          message = "Transcoding took far longer than the recording's length allows and was "
                    "stopped; the file may be damaged";
          retryable = FALSE;
        }
      else if (code == NULL)
        {
          int sig = w->child && g_subprocess_get_if_signaled (w->child)
                      ? g_subprocess_get_term_sig (w->child)
                      : 0;
          crash = sig ? g_strdup_printf ("The transcoder stopped unexpectedly (signal %d); "
                                         "the file may be damaged or too demanding", sig)
                      : g_strdup ("The transcoder stopped unexpectedly");
          code = sig == SIGXCPU ? "cpu_limit" : "transcoder_crashed";
          message = crash;
          retryable = TRUE;
        }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, code);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, message);
      json_builder_set_member_name (b, "retryable");
      json_builder_add_boolean_value (b, retryable);
      json_builder_end_object (b);
      report (w, "fail", TRUE, b);
    }
  g_message ("job %" G_GINT64_FORMAT ": %s", job_id,
             w->lease_lost ? "abandoned" : ok ? "done" : "failed");
  if (w->tick_id != 0)
    g_source_remove (w->tick_id);
  w->tick_id = 0;
  g_clear_object (&w->child_out);
  g_clear_object (&w->child);
  w->job_id = 0;
  w->child_exited = FALSE;
  if (w->opts->once || w->stopping)
    {
      g_timeout_add (50, quit_when_flushed, w);
      return;
    }
  lease (w);
}

/* --- leasing -------------------------------------------------------------------------- */

static void
leased (GObject *source, GAsyncResult *res, gpointer data)
{
  Worker *w = data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), res);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &error);
  g_autoptr (JsonParser) parser = json_parser_new ();
  guint status = soup_message_get_status (msg);

  if (error != NULL || status >= 500)
    {
      w->retry_ms = MIN (MAX (w->retry_ms * 2, 500u), 10000u);
      g_debug ("lease failed (%s); retrying in %u ms",
               error ? error->message : soup_status_get_phrase (status), w->retry_ms);
      schedule (w, w->retry_ms, lease_again);
      return;
    }
  w->retry_ms = 0;
  if (status == 401 || status == 403)
    {
      g_printerr ("yunguan worker: the server refused this worker's token (%u)\n", status);
      g_main_loop_quit (w->loop);
      return;
    }
  if (status == 204)
    {
      if (w->opts->once)
        g_main_loop_quit (w->loop);
      else if (g_get_monotonic_time () - w->lease_sent_us >= G_USEC_PER_SEC)
        lease (w); /* the server held the request (long poll): ask again at once */
      else
        schedule (w, w->opts->poll_ms + g_random_int_range (0, w->opts->poll_ms / 4 + 1),
                  lease_again);
      return;
    }
  if (status != 200
      || !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                      NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_warning ("unexpected answer to lease: %u", status);
      schedule (w, 5000, lease_again);
      return;
    }
  start_job (w, json_node_get_object (json_parser_get_root (parser)));
}

static void
lease (Worker *w)
{
  g_autoptr (SoupMessage) msg = NULL;

  if (w->stopping)
    {
      g_main_loop_quit (w->loop);
      return;
    }
  /* Idle workers wait on the server for work (long poll) rather than poll. */
  msg = new_post (w, "/api/v1/worker/lease", w->opts->once ? "{}" : "{\"wait\":" G_STRINGIFY (
                                                                        LEASE_WAIT_SECONDS) "}");
  w->lease_sent_us = g_get_monotonic_time ();
  soup_session_send_and_read_async (w->session, msg, G_PRIORITY_DEFAULT, NULL, leased, w);
}

static gboolean
on_term (gpointer data)
{
  Worker *w = data;

  w->stopping = TRUE;
  if (w->child != NULL && !w->child_exited)
    {
      /* The job goes back to the queue when its lease expires. */
      g_subprocess_force_exit (w->child);
    }
  if (w->job_id == 0)
    g_main_loop_quit (w->loop);
  return G_SOURCE_CONTINUE;
}

/**
 * yg_worker_run:
 *
 * Returns: the process exit status
 */
int
yg_worker_run (const YgWorkerOptions *opts)
{
  Worker w = { 0 };

  w.opts = opts;
  w.session = soup_session_new_with_options ("timeout", 30, "idle-timeout", 60, "user-agent",
                                             "yunguan-worker", NULL);
  w.loop = g_main_loop_new (NULL, FALSE);
  g_queue_init (&w.outbox);
  g_unix_signal_add (SIGTERM, on_term, &w);
  g_unix_signal_add (SIGINT, on_term, &w);
  lease (&w);
  g_main_loop_run (w.loop);
  g_queue_clear_full (&w.outbox, (GDestroyNotify) outgoing_free);
  if (w.tick_id != 0)
    g_source_remove (w.tick_id);
  g_clear_object (&w.child_out);
  g_clear_object (&w.child);
  g_free (w.fail_code);
  g_free (w.fail_message);
  g_main_loop_unref (w.loop);
  g_object_unref (w.session);
  return 0;
}

/* yg-job-runner.c: probe, transcode, storyboard, reporting lines to the worker.
 *
 * Runs in the per-job child (`yunguan transcode-job`) after the sandbox is
 * in place. It trusts nothing it is given: both paths must be relative,
 * inside originals/ and media/, without "..". It writes the report protocol
 * the worker reads (yg-worker.c) on @report, flushed line by line:
 *   probe <duration>           after a successful probe
 *   progress <0..1>            at least every second while transcoding
 *   file master <path>         when the master playlist first plays, and
 *                              again once it is final
 *   file poster <path>         when the poster exists
 *   file storyboard <path>     seek previews (then file thumbnails <path>)
 *   done <duration>            success
 *   error <code> <0|1> <text>  failure: machine code, retryable, message
 * A storyboard that cannot be made is logged on stderr, never a failure.
 * Running out of memory (the sandbox's address-space limit) shows up as a
 * library failing to allocate, start a thread or map a plugin; GStreamer can
 * then deadlock in teardown, so yg_job_runner_watch_memory() turns the first
 * such log message into "error memory_limit" and ends the process at once.
 * Exit status 0 only after "done". Thread: the child's main thread.
 */
#define G_LOG_DOMAIN "yg-jobs"

#include "yg-job-runner.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "yg-hls-pipeline.h"
#include "yg-probe.h"
#include "yg-storyboard.h"

typedef struct
{
  FILE *report;
  const char *output;
  gint64 last_progress_us;
} Run;

static gboolean
path_ok (const char *rel, const char *prefix)
{
  g_auto (GStrv) parts = NULL;

  if (rel == NULL || !g_str_has_prefix (rel, prefix) || g_path_is_absolute (rel)
      || strchr (rel, '\\') != NULL)
    return FALSE;
  parts = g_strsplit (rel, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] == '\0' || g_str_equal (parts[i], ".") || g_str_equal (parts[i], ".."))
      return FALSE;
  return TRUE;
}

static void
report_line (FILE *out, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
report_line (FILE *out, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  vfprintf (out, format, args);
  va_end (args);
  fputc ('\n', out);
  fflush (out);
}

/* Messages go on one line: newlines would break the protocol. */
static char *
one_line (const char *text)
{
  char *s = g_strdup (text != NULL ? text : "");

  for (char *p = s; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  return s;
}

static void
report_error (FILE *out, const char *code, gboolean retryable, const char *message)
{
  g_autofree char *m = one_line (message);

  report_line (out, "error %s %d %s", code, retryable ? 1 : 0, m);
}

static void
on_progress (double fraction, gpointer data)
{
  Run *run = data;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  run->last_progress_us = g_get_monotonic_time ();
  report_line (run->report, "progress %s", g_ascii_formatd (buf, sizeof buf, "%.4f", fraction));
}

static void
on_playable (const char *master_path, gpointer data)
{
  Run *run = data;

  report_line (run->report, "file master %s/master.m3u8", run->output);
}

static void
facts_from_probe (const YgProbeInfo *info, YgSourceFacts *facts)
{
  memset (facts, 0, sizeof *facts);
  facts->container = g_strcmp0 (info->container, "mpeg-ps") == 0 ? "mpegps" : info->container;
  facts->has_video = info->has_video;
  facts->has_audio = info->has_audio;
  facts->width = info->width;
  facts->height = info->height;
  if (info->fps > 0)
    {
      /* NTSC-style rates as exact fractions, others to a 1/1000 grid */
      double f = info->fps;
      if (ABS (f * 1.001 - (int) (f * 1.001 + 0.5)) < 0.01 && ABS (f - (int) (f + 0.5)) > 0.01)
        {
          facts->fps_n = (guint) (f * 1.001 + 0.5) * 1000;
          facts->fps_d = 1001;
        }
      else
        {
          facts->fps_n = (guint) (f * 1000 + 0.5);
          facts->fps_d = 1000;
        }
    }
  facts->rotation = info->rotation >= 0 ? (guint) info->rotation : 0;
  facts->interlaced = info->interlaced;
  facts->duration = info->duration > 0 ? info->duration : 0;
}

static gboolean
transcode_retryable (const GError *error)
{
  return error->domain == YG_TRANSCODE_ERROR
         && (error->code == YG_TRANSCODE_ERROR_WRITE_FAILED || error->code == YG_TRANSCODE_ERROR_FAILED);
}

/* Seek previews are a nicety: without them the item still plays. Normally
 * the tiles came from the transcode's own decode (@tiles); a source whose
 * duration the probe did not know, or that gave no tile, gets the seeking
 * second pass. */
static void
report_storyboard (FILE *out, YgStoryboardTiles *tiles, const char *input,
                   const YgSourceFacts *facts, const char *output, const char *rel_output)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *vtt = g_build_filename (output, "thumbnails.vtt", NULL);
  gboolean ok = tiles != NULL && yg_storyboard_tiles_count (tiles) > 0
                  ? yg_storyboard_tiles_publish (tiles, output, NULL, &error)
                  : yg_storyboard_make (input, facts, output, NULL, NULL, &error);

  if (!ok)
    {
      g_autofree char *m = one_line (error->message);
      g_printerr ("yunguan transcode-job: no storyboard (%s): %s\n",
                  yg_transcode_error_code_name (error->code), m);
      return;
    }
  if (!g_file_test (vtt, G_FILE_TEST_IS_REGULAR)) /* no programme video (cover art) */
    return;
  report_line (out, "file storyboard %s/storyboard.jpg", rel_output);
  report_line (out, "file thumbnails %s/thumbnails.vtt", rel_output);
}

static FILE *memory_report; /* where the memory watch reports; set once */

static GLogWriterOutput
memory_watch (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  static const char *const signs[] = { "failed to allocate", "failed to create thread",
                                       "Error creating thread", "failed to map segment",
                                       "Cannot allocate memory" };
  struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
  const char *message = NULL;
  gboolean starved = FALSE;

  if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) == 0)
    return g_log_writer_default (level, fields, n_fields, data);
  for (gsize i = 0; i < n_fields && message == NULL; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
      message = fields[i].value;
  for (guint i = 0; message != NULL && i < G_N_ELEMENTS (signs) && !starved; i++)
    starved = strstr (message, signs[i]) != NULL;
  if (!starved)
    return g_log_writer_default (level, fields, n_fields, data);

  g_log_writer_standard_streams (level, fields, n_fields, data);
  getrlimit (RLIMIT_AS, &rl);
  if (rl.rlim_cur == RLIM_INFINITY)
    fprintf (memory_report, "error out_of_memory 1 The machine ran out of memory while "
                            "transcoding; the job will be tried again\n");
  else
    fprintf (memory_report,
             "error memory_limit 0 The recording needs more memory than one transcode may use "
             "(%llu MB); raise transcode-memory or re-encode the file at a lower resolution\n",
             (unsigned long long) (rl.rlim_cur >> 20));
  fflush (memory_report);
  _exit (3);
}

/**
 * yg_job_runner_watch_memory:
 * @report: the report stream
 *
 * Installs the process's log writer (call before anything logs).
 */
void
yg_job_runner_watch_memory (FILE *report)
{
  memory_report = report;
  g_log_set_writer_func (memory_watch, NULL, NULL);
}

/**
 * yg_job_runner_run:
 *
 * Returns: the process exit status (0 on success)
 */
int
yg_job_runner_run (const YgJobRunnerOptions *opts, FILE *out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (YgProbeInfo) info = NULL;
  g_autofree char *input = NULL, *output = NULL, *poster = NULL;
  YgTranscodeOptions topts;
  YgTranscodeResult result = { 0 };
  g_autoptr (YgStoryboardTiles) tiles = NULL;
  YgSourceFacts facts;
  Run run = { out, opts->output, 0 };
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!path_ok (opts->input, "originals/") || !path_ok (opts->output, "media/"))
    {
      report_error (out, "bad_job", FALSE, "The job names files outside the archive");
      return 2;
    }
  input = g_build_filename (opts->data_dir, opts->input, NULL);
  output = g_build_filename (opts->data_dir, opts->output, NULL);

  info = yg_probe_file (input, yg_probe_limits_default (), &error);
  if (info == NULL)
    {
      report_error (out, yg_probe_error_code (error), FALSE, error->message);
      return 1;
    }
  report_line (out, "probe %s", g_ascii_formatd (buf, sizeof buf, "%.3f", MAX (info->duration, 0)));

  if (g_mkdir_with_parents (output, 0750) != 0)
    {
      int saved = errno;
      g_autofree char *m = g_strdup_printf ("Cannot create the output directory: %s",
                                            g_strerror (saved));
      report_error (out, "write_failed", TRUE, m);
      return 1;
    }
  facts_from_probe (info, &facts);
  yg_transcode_options_init (&topts);
  topts.preset = opts->preset;
  topts.poster = info->has_video;
  topts.storyboard = tiles = yg_storyboard_tiles_new (&facts);
  topts.progress = on_progress;
  topts.playable = on_playable;
  topts.user_data = &run;
  if (!yg_hls_transcode (input, &facts, output, &topts, &result, NULL, &error))
    {
      const char *code = error->domain == YG_TRANSCODE_ERROR
                           ? yg_transcode_error_code_name (error->code)
                           : "failed";
      report_error (out, code, transcode_retryable (error), error->message);
      return 1;
    }
  /* The master was reported when it first played; the final one (measured
   * bandwidths) is rewritten at the end, so report it again: the server
   * records the size of what is on disk now. */
  report_line (out, "file master %s/master.m3u8", opts->output);
  if (result.has_poster)
    report_line (out, "file poster %s/poster.jpg", opts->output);
  if (facts.has_video)
    report_storyboard (out, tiles, input, &facts, output, opts->output);
  report_line (out, "done %s", g_ascii_formatd (buf, sizeof buf, "%.3f", result.duration));
  return 0;
}

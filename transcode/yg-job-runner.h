/* yg-job-runner.h: one transcode job, as run inside the sandboxed child. */
#pragma once

#include <stdio.h>

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *data_dir;
  const char *input;   /* relative: originals/<item>/original.<ext> */
  const char *output;  /* relative: media/<item> */
  const char *preset;  /* x264 preset; NULL = the pipeline's default */
} YgJobRunnerOptions;

void yg_job_runner_watch_memory (FILE *report);
int yg_job_runner_run (const YgJobRunnerOptions *options, FILE *report);

G_END_DECLS

/* yg-worker.h: `yunguan worker`, a job-protocol client that runs transcodes. */
#pragma once

#include <glib.h>

#include "yg-sandbox.h"

G_BEGIN_DECLS

typedef struct
{
  char *server_url;     /* e.g. http://127.0.0.1:8080 */
  char *token;          /* worker bearer token */
  char *data_dir;       /* shared with the server: originals in, media out */
  char *self_exe;       /* path of the yunguan binary, for transcode-job */
  gboolean once;        /* exit after one job (or when none is waiting) */
  guint poll_ms;        /* wait between empty leases */
  double time_factor;   /* wall-clock limit = 120 s + duration × factor */
  YgSandboxLimits limits;
} YgWorkerOptions;

int yg_worker_run (const YgWorkerOptions *options);

G_END_DECLS

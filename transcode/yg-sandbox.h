/* yg-sandbox.h: confinement of the per-job transcode process. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint64 address_space;  /* bytes (RLIMIT_AS) */
  guint64 file_size;      /* bytes (RLIMIT_FSIZE): largest file it may write */
  guint64 open_files;     /* RLIMIT_NOFILE */
  guint64 processes;      /* RLIMIT_NPROC (threads count too) */
  guint64 cpu_seconds;    /* RLIMIT_CPU */
  gboolean network_namespace;
} YgSandboxLimits;

void yg_sandbox_limits_default (YgSandboxLimits *limits);
void yg_sandbox_child_setup (gpointer limits);

G_END_DECLS

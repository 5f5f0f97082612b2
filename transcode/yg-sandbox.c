/* yg-sandbox.c: what runs in a transcode child between fork and exec.
 *
 * Every job runs in its own process (`yunguan transcode-job`), started by a
 * worker, so a demuxer or decoder exploited by a hostile file owns at most a
 * process that: has no network (a fresh network namespace holds only a down
 * loopback; as root directly, otherwise through a user namespace; when the
 * kernel allows neither it says so on stderr and runs without), cannot gain
 * privileges (PR_SET_NO_NEW_PRIVS), dies with its worker (PR_SET_PDEATHSIG),
 * and is bounded by rlimits on address space, file size, open files,
 * processes and CPU time. The wall-clock limit is the worker's job (it
 * kills the child). Only async-signal-safe calls here: this runs after
 * fork() in a copy of a multi-threaded process.
 */
#include "yg-sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define ADDRESS_SPACE_LIMITED FALSE /* AddressSanitizer reserves terabytes of shadow memory */
#else
#define ADDRESS_SPACE_LIMITED TRUE
#endif

void
yg_sandbox_limits_default (YgSandboxLimits *limits)
{
  limits->address_space = G_GUINT64_CONSTANT (8) << 30; /* x264 at 1080p × 4 rungs fits */
  limits->file_size = G_GUINT64_CONSTANT (64) << 30;
  limits->open_files = 256;
  limits->processes = 4096;
  limits->cpu_seconds = 24 * 3600;
  limits->network_namespace = TRUE;
}

static void
say (const char *text)
{
  ssize_t r = write (STDERR_FILENO, text, strlen (text));
  (void) r;
}

static gboolean
write_file (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = write (fd, text, strlen (text)) == (ssize_t) strlen (text);
  close (fd);
  return ok;
}

/* Writes "<id> <id> 1\n" (snprintf is not async-signal-safe). */
static void
format_map (char *out, unsigned long id)
{
  char digits[24];
  int d = 0, n = 0;

  do
    digits[d++] = '0' + id % 10;
  while ((id /= 10) > 0);
  for (int pass = 0; pass < 2; pass++)
    {
      for (int i = d - 1; i >= 0; i--)
        out[n++] = digits[i];
      out[n++] = ' ';
    }
  out[n++] = '1';
  out[n++] = '\n';
  out[n] = '\0';
}

/* Enters new user and network namespaces, mapping our own uid/gid so file
 * access is unchanged. */
static gboolean
enter_user_and_net_namespace (void)
{
  char uid_map[64], gid_map[64];

  format_map (uid_map, getuid ());
  format_map (gid_map, getgid ());
  if (unshare (CLONE_NEWUSER | CLONE_NEWNET) != 0)
    return FALSE;
  write_file ("/proc/self/setgroups", "deny");
  return write_file ("/proc/self/uid_map", uid_map) && write_file ("/proc/self/gid_map", gid_map);
}

static void
limit (int resource, guint64 value)
{
  struct rlimit rl = { value, value };

  if (value == 0)
    return;
  if (setrlimit (resource, &rl) != 0)
    say ("yunguan sandbox: could not set a resource limit\n");
}

/**
 * yg_sandbox_child_setup:
 * @limits: a #YgSandboxLimits
 *
 * A #GSpawnChildSetupFunc.
 */
void
yg_sandbox_child_setup (gpointer data)
{
  const YgSandboxLimits *limits = data;

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (limits->network_namespace && unshare (CLONE_NEWNET) != 0
      && !enter_user_and_net_namespace ())
    say ("yunguan sandbox: no network namespace available (kernel or container policy); "
         "the transcode runs with the host network\n");
  prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (ADDRESS_SPACE_LIMITED)
    limit (RLIMIT_AS, limits->address_space);
  limit (RLIMIT_FSIZE, limits->file_size);
  limit (RLIMIT_NOFILE, limits->open_files);
  limit (RLIMIT_NPROC, limits->processes);
  limit (RLIMIT_CPU, limits->cpu_seconds);
  {
    struct rlimit none = { 0, 0 }; /* no core dumps of decoded hostile content */
    setrlimit (RLIMIT_CORE, &none);
  }
}

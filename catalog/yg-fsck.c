/* yg-fsck.c: `yunguan fsck`: PRAGMA integrity_check plus every file row.
 *
 * Every row of item_files names a path relative to the data directory; the
 * check never looks at a file outside it: absolute paths and ".." components
 * are reported as problems, and the resolved path (realpath, so symlinked
 * directories count) must still lie inside the resolved data directory. It
 * reports files that are missing, not regular files, or whose size differs
 * from the recorded one. With fixity, every file that has a recorded SHA-256
 * (the originals) is read and hashed again, which finds silent corruption
 * of the archive. Read-only: it never repairs.
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-fsck.h"

#include <errno.h>

#include <glib/gstdio.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

void
yg_fsck_report_free (YgFsckReport *report)
{
  if (report == NULL)
    return;
  g_ptr_array_unref (report->problems);
  g_free (report);
}

static gboolean
path_is_contained (const char *rel)
{
  g_auto (GStrv) parts = NULL;

  if (rel[0] == '\0' || g_path_is_absolute (rel) || strchr (rel, '\\') != NULL)
    return FALSE;
  parts = g_strsplit (rel, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_equal (parts[i], "..") || g_str_equal (parts[i], "."))
      return FALSE;
  return TRUE;
}

static gboolean
check_integrity (YgDbConn *conn, YgFsckReport *report, GError **error)
{
  sqlite3_stmt *stmt = yg_db_conn_prepare (conn, "PRAGMA integrity_check", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  report->integrity_ok = TRUE;
  while ((rc = yg_db_conn_step (conn, stmt, error)) == SQLITE_ROW)
    {
      const char *line = (const char *) sqlite3_column_text (stmt, 0);
      if (line != NULL && !g_str_equal (line, "ok"))
        {
          report->integrity_ok = FALSE;
          g_ptr_array_add (report->problems, g_strdup_printf ("database: %s", line));
        }
    }
  return rc == SQLITE_DONE;
}

/* The resolved form of @full if it lies inside @root_real, else NULL (with
 * *missing set when the file does not exist at all). */
static char *
resolve_inside (const char *root_real, const char *full, gboolean *missing)
{
  char buf[PATH_MAX];
  gsize n = strlen (root_real);

  *missing = FALSE;
  if (realpath (full, buf) == NULL)
    {
      *missing = TRUE;
      return NULL;
    }
  if (strncmp (buf, root_real, n) != 0 || (buf[n] != '/' && buf[n] != '\0'))
    return NULL;
  return g_strdup (buf);
}

static char *
sha256_of (const char *path)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guchar *buf = g_malloc (1 << 20);
  FILE *f = fopen (path, "rbe");
  size_t n;

  if (f == NULL)
    return NULL;
  while ((n = fread (buf, 1, 1 << 20, f)) > 0)
    g_checksum_update (sum, buf, n);
  if (ferror (f))
    {
      fclose (f);
      return NULL;
    }
  fclose (f);
  return g_strdup (g_checksum_get_string (sum));
}

static gboolean
check_files (YgDbConn *conn, const char *data_dir, gboolean fixity, YgFsckReport *report,
             GError **error)
{
  char root_real[PATH_MAX];
  sqlite3_stmt *stmt = yg_db_conn_prepare (
    conn, "SELECT item_id, role, path, size, sha256 FROM item_files ORDER BY item_id, role", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  if (realpath (data_dir, root_real) == NULL)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot resolve data directory %s: %s", data_dir, g_strerror (saved));
      sqlite3_reset (stmt);
      return FALSE;
    }
  while ((rc = yg_db_conn_step (conn, stmt, error)) == SQLITE_ROW)
    {
      const char *item = (const char *) sqlite3_column_text (stmt, 0);
      const char *role = (const char *) sqlite3_column_text (stmt, 1);
      const char *rel = (const char *) sqlite3_column_text (stmt, 2);
      g_autofree char *full = NULL;
      g_autofree char *real = NULL;
      gboolean missing;
      GStatBuf st;

      report->files_checked++;
      if (rel == NULL || !path_is_contained (rel))
        {
          g_ptr_array_add (report->problems,
                           g_strdup_printf ("item %s %s: path \"%s\" is outside the data directory",
                                            item, role, rel ? rel : ""));
          continue;
        }
      full = g_build_filename (data_dir, rel, NULL);
      real = resolve_inside (root_real, full, &missing);
      if (real == NULL && !missing)
        g_ptr_array_add (report->problems,
                         g_strdup_printf ("item %s %s: %s resolves outside the data directory",
                                          item, role, rel));
      else if (real == NULL || g_lstat (real, &st) != 0)
        g_ptr_array_add (report->problems,
                         g_strdup_printf ("item %s %s: missing file %s", item, role, rel));
      else if (!S_ISREG (st.st_mode))
        g_ptr_array_add (report->problems,
                         g_strdup_printf ("item %s %s: %s is not a regular file", item, role, rel));
      else if (sqlite3_column_type (stmt, 3) != SQLITE_NULL
               && sqlite3_column_int64 (stmt, 3) != (gint64) st.st_size)
        g_ptr_array_add (report->problems,
                         g_strdup_printf ("item %s %s: %s has %" G_GINT64_FORMAT
                                          " bytes, catalogue says %" G_GINT64_FORMAT,
                                          item, role, rel, (gint64) st.st_size,
                                          (gint64) sqlite3_column_int64 (stmt, 3)));
      else if (fixity && sqlite3_column_type (stmt, 4) != SQLITE_NULL)
        {
          const char *want = (const char *) sqlite3_column_text (stmt, 4);
          g_autofree char *got = sha256_of (real);
          report->files_hashed++;
          if (got == NULL)
            g_ptr_array_add (report->problems,
                             g_strdup_printf ("item %s %s: %s cannot be read", item, role, rel));
          else if (g_ascii_strcasecmp (got, want) != 0)
            g_ptr_array_add (report->problems,
                             g_strdup_printf ("item %s %s: %s is damaged: its SHA-256 is %s, the "
                                              "catalogue recorded %s",
                                              item, role, rel, got, want));
        }
    }
  return rc == SQLITE_DONE;
}

/**
 * yg_fsck_run:
 *
 * Returns: (transfer full): the report (problems may be empty), or %NULL if
 *   the check itself could not run
 */
YgFsckReport *
yg_fsck_run (YgDbConn *conn, const char *data_dir, GError **error)
{
  return yg_fsck_run_full (conn, data_dir, FALSE, error);
}

/**
 * yg_fsck_run_full:
 * @fixity: also re-hash every file with a recorded SHA-256
 *
 * Returns: (transfer full): the report, or %NULL if the check could not run
 */
YgFsckReport *
yg_fsck_run_full (YgDbConn *conn, const char *data_dir, gboolean fixity, GError **error)
{
  g_autoptr (YgFsckReport) report = g_new0 (YgFsckReport, 1);

  report->problems = g_ptr_array_new_with_free_func (g_free);
  if (!check_integrity (conn, report, error)
      || !check_files (conn, data_dir, fixity, report, error))
    return NULL;
  return g_steal_pointer (&report);
}

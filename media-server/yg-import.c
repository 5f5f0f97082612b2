/* yg-import.c: bulk import of recordings from files and directories.
 *
 * For each regular file (directories are walked, hidden entries skipped):
 * copy it into DATA/tmp while hashing it (SHA-256) and drawing a progress
 * bar, fsync, and look the hash up: a file already in the archive is
 * skipped, so re-running an import is safe. Otherwise the copy is renamed
 * to originals/<new id>/original.<ext> and fsynced, and only then
 * yg_ingest_commit creates the item, its "original" file row (with size
 * and hash) and its transcode job in one transaction. Files are never probed here: the probe runs
 * in the sandboxed worker like for uploads, and a refused file ends as a
 * failed item with a reason. Metadata comes from an optional CSV (columns
 * file, title, kind, description, and optionally language, recorded_date,
 * venue, tags (separated by ";" or "；"); "file" is the base name or the path
 * as given). The optional fields are validated like the API's PATCH body
 * (yg-item-input.c) and written in the same transaction as the item; a bad
 * value fails that file. What a killed import leaves is removed when the
 * server starts: its copy in DATA/tmp (yg_import_collect_stale) and an
 * original moved into place whose item was never created, once older than
 * a grace period (yg_import_collect_originals). Thread: the CLI's main
 * thread (the collectors: the server's, at start); catalogue work via
 * yg_db_run_sync.
 */
#define G_LOG_DOMAIN "yunguan"

#include "yg-import.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yg-db-error.h"
#include "yg-field-error.h"
#include "yg-http-error.h"
#include "yg-ingest.h"
#include "yg-item-input.h"
#include "yg-item-store.h"
#include "yg-secret.h"

#define COPY_BLOCK (1024 * 1024)

typedef struct
{
  char *title;
  char *kind;
  char *description;
  char *extra[4]; /* extra_columns, NULL or "" when absent */
} Meta;

/* Optional metadata columns, with the PATCH field each one fills. */
static const char *const extra_columns[] = { "language", "recorded_date", "venue", "tags" };

static void
meta_free (Meta *m)
{
  g_free (m->title);
  g_free (m->kind);
  g_free (m->description);
  for (guint i = 0; i < G_N_ELEMENTS (m->extra); i++)
    g_free (m->extra[i]);
  g_free (m);
}

/* The optional columns of a row as validated item metadata (set = 0 when none). */
static YgItemMeta *
meta_extra (const Meta *m, GError **error)
{
  g_autoptr (JsonObject) obj = json_object_new ();

  for (guint i = 0; m != NULL && i < G_N_ELEMENTS (extra_columns); i++)
    {
      if (m->extra[i] == NULL || m->extra[i][0] == '\0')
        continue;
      if (g_str_equal (extra_columns[i], "tags"))
        {
          JsonArray *tags = json_array_new ();
          g_auto (GStrv) parts = g_strsplit_set (m->extra[i], ";", -1);
          for (guint j = 0; parts[j] != NULL; j++)
            {
              g_auto (GStrv) sub = g_strsplit (parts[j], "；", -1);
              for (guint k = 0; sub[k] != NULL; k++)
                if (*g_strstrip (sub[k]) != '\0')
                  json_array_add_string_element (tags, sub[k]);
            }
          json_object_set_array_member (obj, "tags", tags);
        }
      else
        json_object_set_string_member (obj, extra_columns[i], m->extra[i]);
    }
  return yg_item_input_parse_meta (obj, NULL, error);
}

/* --- CSV (RFC 4180: quotes, doubled quotes, CRLF) -------------------------------------- */

static GPtrArray *
csv_rows (const char *text, GError **error)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  GPtrArray *row = g_ptr_array_new_with_free_func (g_free);
  GString *field = g_string_new (NULL);
  gboolean quoted = FALSE, field_started = FALSE;
  guint line = 1;

  for (const char *p = text;; p++)
    {
      char c = *p;
      if (quoted)
        {
          if (c == '\0')
            {
              g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_PARSE,
                           "metadata CSV line %u: a quoted field is not closed", line);
              g_string_free (field, TRUE);
              g_ptr_array_unref (row);
              g_ptr_array_unref (rows);
              return NULL;
            }
          if (c == '"' && p[1] == '"')
            g_string_append_c (field, '"'), p++;
          else if (c == '"')
            quoted = FALSE;
          else
            {
              if (c == '\n')
                line++;
              g_string_append_c (field, c);
            }
          continue;
        }
      if (c == '"' && !field_started)
        {
          quoted = TRUE;
          field_started = TRUE;
        }
      else if (c == ',' )
        {
          g_ptr_array_add (row, g_string_free (field, FALSE));
          field = g_string_new (NULL);
          field_started = FALSE;
        }
      else if (c == '\n' || c == '\0' || (c == '\r' && p[1] == '\n'))
        {
          if (c == '\r')
            p++;
          if (field_started || field->len > 0 || row->len > 0)
            {
              g_ptr_array_add (row, g_string_free (field, FALSE));
              field = g_string_new (NULL);
              g_ptr_array_add (rows, row);
              row = g_ptr_array_new_with_free_func (g_free);
            }
          field_started = FALSE;
          line++;
          if (c == '\0' || p[0] == '\0')
            break;
        }
      else
        {
          g_string_append_c (field, c);
          field_started = TRUE;
        }
    }
  g_string_free (field, TRUE);
  g_ptr_array_unref (row);
  return rows;
}

/**
 * yg_import_parse_csv:
 *
 * Returns: (transfer full): file name → Meta, from a CSV with a header row
 */
GHashTable *
yg_import_parse_csv (const char *text, GError **error)
{
  g_autoptr (GPtrArray) rows = csv_rows (text, error);
  g_autoptr (GHashTable) table = NULL;
  int col_file = -1, col_title = -1, col_kind = -1, col_desc = -1;
  int col_extra[G_N_ELEMENTS (extra_columns)] = { -1, -1, -1, -1 };
  GPtrArray *head;

  if (rows == NULL)
    return NULL;
  if (rows->len == 0)
    {
      g_set_error_literal (error, G_MARKUP_ERROR, G_MARKUP_ERROR_EMPTY,
                           "metadata CSV is empty; it needs a header row: file,title,kind,description");
      return NULL;
    }
  head = rows->pdata[0];
  for (guint i = 0; i < head->len; i++)
    {
      g_autofree char *name = g_ascii_strdown (g_strstrip ((char *) head->pdata[i]), -1);
      if (g_str_has_prefix (name, "\xef\xbb\xbf")) /* a BOM from spreadsheet exports */
        memmove (name, name + 3, strlen (name) - 2);
      if (g_str_equal (name, "file"))
        col_file = i;
      else if (g_str_equal (name, "title"))
        col_title = i;
      else if (g_str_equal (name, "kind"))
        col_kind = i;
      else if (g_str_equal (name, "description"))
        col_desc = i;
      for (guint e = 0; e < G_N_ELEMENTS (extra_columns); e++)
        if (g_str_equal (name, extra_columns[e]))
          col_extra[e] = i;
    }
  if (col_file < 0)
    {
      g_set_error_literal (error, G_MARKUP_ERROR, G_MARKUP_ERROR_MISSING_ATTRIBUTE,
                           "metadata CSV has no \"file\" column (header: file,title,kind,description)");
      return NULL;
    }
  table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) meta_free);
  for (guint r = 1; r < rows->len; r++)
    {
      GPtrArray *row = rows->pdata[r];
      Meta *m = g_new0 (Meta, 1);
#define COL(c) ((c) >= 0 && (guint) (c) < row->len ? g_strdup (g_strstrip ((char *) row->pdata[c])) : NULL)
      char *file = COL (col_file);
      m->title = COL (col_title);
      m->kind = COL (col_kind);
      m->description = COL (col_desc);
      for (guint e = 0; e < G_N_ELEMENTS (extra_columns); e++)
        m->extra[e] = COL (col_extra[e]);
#undef COL
      if (file == NULL || file[0] == '\0')
        {
          g_free (file);
          meta_free (m);
          continue;
        }
      g_hash_table_replace (table, file, m);
    }
  return g_steal_pointer (&table);
}

/* --- copying --------------------------------------------------------------------------- */

static void
draw_bar (const char *name, guint64 done, guint64 total)
{
  int width = 30, filled = total ? (int) (width * done / total) : width;
  char bar[64];

  memset (bar, '#', filled);
  memset (bar + filled, '.', width - filled);
  bar[width] = '\0';
  g_printerr ("\r[%s] %3d%% %6.1f/%.1f MB %-30.30s", bar, total ? (int) (100 * done / total) : 100,
              done / 1e6, total / 1e6, name);
}

static const char *
full_hint (int err_no)
{
  return err_no == ENOSPC || err_no == EDQUOT
           ? ". The data directory's disk is full; nothing was added. Free space and run the "
             "import again (files already imported are skipped)"
           : "";
}

/* Copies @src to @dst (created exclusively), hashing as it goes; fsyncs. */
static gboolean
copy_and_hash (const char *src, const char *dst, gboolean progress, char **sha256_hex, gint64 *size,
               GError **error)
{
  g_autofree guint8 *buf = g_malloc (COPY_BLOCK);
  g_autofree char *base = g_path_get_basename (src);
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  int in = -1, out = -1;
  gboolean ok = FALSE;
  struct stat st;
  guint64 done = 0;
  gint64 last_draw = 0;

  /* O_NONBLOCK: opening a FIFO must not hang; regular files ignore it. */
  in = open (src, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (in < 0 || fstat (in, &st) != 0 || !S_ISREG (st.st_mode))
    {
      int saved = in < 0 ? errno : EINVAL;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot read %s: %s", src,
                   in < 0 ? g_strerror (saved) : "not a regular file");
      goto out;
    }
  out = open (dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (out < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot write %s: %s", dst,
                   g_strerror (saved));
      goto out;
    }
  for (;;)
    {
      ssize_t n = read (in, buf, COPY_BLOCK);
      if (n == 0)
        break;
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Reading %s: %s", src,
                       g_strerror (errno));
          goto out;
        }
      g_checksum_update (sum, buf, n);
      for (ssize_t w = 0; w < n;)
        {
          ssize_t m = write (out, buf + w, n - w);
          if (m < 0 && errno == EINTR)
            continue;
          if (m < 0)
            {
              int saved = errno;
              g_set_error (error, G_IO_ERROR, yg_io_error_from_errno (saved), "Writing %s: %s%s",
                           dst, g_strerror (saved), full_hint (saved));
              goto out;
            }
          w += m;
        }
      done += n;
      if (progress && g_get_monotonic_time () - last_draw > 100000)
        {
          draw_bar (base, done, st.st_size);
          last_draw = g_get_monotonic_time ();
        }
    }
  if (fsync (out) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, yg_io_error_from_errno (saved), "Writing %s: %s%s", dst,
                   g_strerror (saved), full_hint (saved));
      goto out;
    }
  if (progress)
    {
      draw_bar (base, done, done);
      g_printerr ("\n");
    }
  *sha256_hex = g_strdup (g_checksum_get_string (sum));
  *size = done;
  ok = TRUE;

out:
  if (in >= 0)
    close (in);
  if (out >= 0)
    close (out);
  if (!ok)
    g_unlink (dst);
  g_checksum_free (sum);
  return ok;
}

static gboolean
fsync_dir (const char *dir)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gboolean ok = fd >= 0 && fsync (fd) == 0;

  if (fd >= 0)
    close (fd);
  return ok;
}

/* A short lowercase extension from the client's file name, or "bin". It only
 * helps humans browsing originals/; nothing trusts it. */
static char *
safe_extension (const char *name)
{
  const char *dot = strrchr (name, '.');
  gsize n;

  if (dot == NULL || dot == name)
    return g_strdup ("bin");
  n = strlen (dot + 1);
  if (n == 0 || n > 5)
    return g_strdup ("bin");
  for (const char *p = dot + 1; *p; p++)
    if (!g_ascii_isalnum (*p))
      return g_strdup ("bin");
  return g_ascii_strdown (dot + 1, -1);
}

/* --- catalogue ------------------------------------------------------------------------- */

static gpointer
find_by_hash (YgDbConn *conn, gpointer sha, GError **error)
{
  g_autoptr (GError) local = NULL;
  char *id = yg_item_store_find_original (conn, sha, &local);

  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return id != NULL ? id : g_strdup ("");
}

static gpointer
create_item (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_ingest_commit (conn, data, error);
}

static gboolean
import_one (YgDb *db, const YgImportOptions *opts, GHashTable *meta, const char *src,
            YgImportSummary *summary, GError **error)
{
  g_autofree char *base = g_path_get_basename (src);
  g_autofree char *tmp = NULL, *sha = NULL, *existing = NULL, *id = NULL, *ext = NULL;
  g_autofree char *dir_rel = NULL, *dir = NULL, *rel = NULL, *final = NULL, *stem = NULL;
  g_autofree char *created = NULL;
  Meta *m = meta ? g_hash_table_lookup (meta, src) : NULL;
  g_autoptr (YgItemMeta) extra = NULL;
  g_autoptr (GError) invalid = NULL;
  YgIngest n = { 0 };
  gint64 size = 0;

  if (m == NULL && meta != NULL)
    m = g_hash_table_lookup (meta, base);
  extra = meta_extra (m, &invalid);
  if (extra == NULL)
    {
      const char *field = yg_field_error_get_field (invalid);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: metadata CSV column %s: %s",
                   src, field ? field : "?", invalid->message);
      return FALSE;
    }
  tmp = g_strdup_printf ("%s/tmp/import-%d-%s", opts->data_dir, (int) getpid (),
                         (id = yg_secret_new_id ()));
  if (!copy_and_hash (src, tmp, opts->progress, &sha, &size, error))
    return FALSE;
  existing = yg_db_run_sync (db, find_by_hash, sha, error);
  if (existing == NULL)
    {
      g_unlink (tmp);
      return FALSE;
    }
  if (existing[0] != '\0')
    {
      g_unlink (tmp);
      g_printerr ("%s: already in the archive as item %s; skipped\n", src, existing);
      summary->skipped++;
      return TRUE;
    }

  ext = safe_extension (base);
  dir_rel = g_build_filename ("originals", id, NULL);
  dir = g_build_filename (opts->data_dir, dir_rel, NULL);
  rel = g_strdup_printf ("%s/original.%s", dir_rel, ext);
  final = g_build_filename (opts->data_dir, rel, NULL);
  if (g_mkdir_with_parents (dir, 0750) != 0 || g_rename (tmp, final) != 0 || !fsync_dir (dir))
    {
      int saved = errno;
      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot place %s in %s: %s",
                   src, dir, g_strerror (saved));
      return FALSE;
    }

  stem = g_strdup (base);
  if (strrchr (stem, '.') != NULL && strrchr (stem, '.') != stem)
    *strrchr (stem, '.') = '\0';
  n.sha256 = sha;
  n.item_id = id;
  n.kind = m && m->kind && m->kind[0] ? m->kind : opts->kind;
  n.title = m && m->title && m->title[0] ? m->title : opts->title ? opts->title : stem;
  n.description = m && m->description ? m->description : "";
  n.path = rel;
  n.size = size;
  n.meta = extra->set != 0 ? extra : NULL;
  if (!yg_item_kind_is_valid (n.kind))
    {
      g_unlink (final);
      g_rmdir (dir);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s: kind \"%s\" is not performance, lesson or heritage (use --kind or the CSV)",
                   src, n.kind ? n.kind : "");
      return FALSE;
    }
  created = yg_db_run_sync (db, create_item, &n, error);
  if (created == NULL)
    {
      g_unlink (final);
      g_rmdir (dir);
      return FALSE;
    }
  g_print ("%s\n", created);
  g_printerr ("%s: imported as item %s (%s), transcoding queued\n", src, created, n.kind);
  summary->imported++;
  return TRUE;
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static void
collect (const char *path, GPtrArray *files)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (files, g_strdup (path));
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    {
      g_ptr_array_add (files, g_strdup (path)); /* reported when copied */
      return;
    }
  {
    g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
    while ((name = g_dir_read_name (dir)) != NULL)
      if (name[0] != '.')
        g_ptr_array_add (names, g_build_filename (path, name, NULL));
    g_ptr_array_sort (names, compare_paths);
    for (guint i = 0; i < names->len; i++)
      {
        GStatBuf st;
        /* Walk real directories and regular files only: no links, FIFOs, devices. */
        if (g_lstat (names->pdata[i], &st) == 0 && (S_ISDIR (st.st_mode) || S_ISREG (st.st_mode)))
          collect (names->pdata[i], files);
      }
  }
}

/**
 * yg_import_run:
 * @paths: files and directories
 *
 * Imports what it can; a file that fails is reported on stderr and counted,
 * the others go on. Returns FALSE only when the import cannot start (e.g.
 * an unreadable CSV).
 */
gboolean
yg_import_run (YgDb *db, const YgImportOptions *opts, char **paths, YgImportSummary *summary,
               GError **error)
{
  g_autoptr (GHashTable) meta = NULL;
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  memset (summary, 0, sizeof *summary);
  if (opts->metadata != NULL)
    {
      g_autofree char *text = NULL;
      if (!g_file_get_contents (opts->metadata, &text, NULL, error))
        return FALSE;
      meta = yg_import_parse_csv (text, error);
      if (meta == NULL)
        return FALSE;
    }
  for (guint i = 0; paths[i] != NULL; i++)
    collect (paths[i], files);
  if (opts->title != NULL && files->len > 1)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--title only makes sense for a single file; use --metadata for many");
      return FALSE;
    }
  for (guint i = 0; i < files->len; i++)
    {
      g_autoptr (GError) local = NULL;
      if (opts->progress && files->len > 1)
        g_printerr ("(%u/%u) ", i + 1, files->len);
      if (!import_one (db, opts, meta, files->pdata[i], summary, &local))
        {
          g_printerr ("%s\n", local->message);
          summary->failed++;
        }
    }
  return TRUE;
}

/**
 * yg_import_collect_stale:
 *
 * Removes DATA/tmp/import-<pid>-… copies whose import process is gone (one
 * killed while copying); a running import's copy is left alone.
 *
 * Returns: the number of files removed
 */
guint
yg_import_collect_stale (const char *data_dir)
{
  g_autofree char *tmp = g_build_filename (data_dir, "tmp", NULL);
  g_autoptr (GDir) dir = g_dir_open (tmp, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      char *end = NULL;
      gint64 pid;

      if (!g_str_has_prefix (name, "import-"))
        continue;
      pid = g_ascii_strtoll (name + 7, &end, 10);
      if (end == name + 7 || *end != '-' || pid <= 0 || pid > G_MAXINT
          || !(kill ((pid_t) pid, 0) != 0 && errno == ESRCH))
        continue;
      {
        g_autofree char *path = g_build_filename (tmp, name, NULL);
        if (g_unlink (path) == 0)
          n++;
      }
    }
  if (n > 0)
    g_message ("removed %u copies left by interrupted imports from %s", n, tmp);
  return n;
}

static gpointer
find_missing_items (YgDbConn *conn, gpointer data, GError **error)
{
  GPtrArray *ids = data;
  g_autoptr (GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr (GError) local = NULL;
      g_autoptr (YgItem) item = yg_item_store_get (conn, ids->pdata[i], &local);

      if (item != NULL)
        continue;
      if (!g_error_matches (local, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      g_ptr_array_add (missing, g_strdup (ids->pdata[i]));
    }
  return g_steal_pointer (&missing);
}

/**
 * yg_import_collect_originals:
 * @keep: (element-type utf8 utf8): item ids whose original is still on its
 *   way into the catalogue (uploads being finished)
 * @grace_s: only directories older than this many seconds are removed
 *
 * Removes DATA/originals/<id>/ directories of items the catalogue does not
 * know: an import (or upload) killed after moving its original and before
 * creating the item. The grace period leaves an import that is between the
 * two right now alone.
 *
 * Returns: the number of directories removed
 */
guint
yg_import_collect_originals (YgDb *db, const char *data_dir, GHashTable *keep, gint64 grace_s)
{
  g_autofree char *root = g_build_filename (data_dir, "originals", NULL);
  g_autoptr (GDir) dir = g_dir_open (root, 0, NULL);
  g_autoptr (GPtrArray) old = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) missing = NULL;
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (root, name, NULL);
      GStatBuf st;

      if (strlen (name) == 16 && !g_hash_table_contains (keep, name) && g_lstat (path, &st) == 0
          && S_ISDIR (st.st_mode) && now - (gint64) st.st_mtime > grace_s)
        g_ptr_array_add (old, g_strdup (name));
    }
  if (old->len == 0)
    return 0;
  missing = yg_db_run_sync (db, find_missing_items, old, &error);
  if (missing == NULL)
    {
      g_warning ("not collecting originals: %s", error->message);
      return 0;
    }
  for (guint i = 0; i < missing->len; i++)
    {
      g_autofree char *path = g_build_filename (root, missing->pdata[i], NULL);
      g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
      const char *file;

      while (d != NULL && (file = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *f = g_build_filename (path, file, NULL);
          g_unlink (f);
        }
      g_rmdir (path);
    }
  if (missing->len > 0)
    g_message ("removed %u originals of items never created from %s", missing->len, root);
  return missing->len;
}

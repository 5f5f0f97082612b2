/* yg-import.h: `yunguan import`: bring recordings from disks into the archive. */
#pragma once

#include "yg-db.h"

G_BEGIN_DECLS

typedef struct
{
  const char *data_dir;
  const char *kind;       /* default kind when the CSV has none */
  const char *title;      /* only for a single file */
  const char *metadata;   /* CSV path, may be NULL */
  gboolean progress;      /* draw a progress bar on stderr */
} YgImportOptions;

typedef struct
{
  guint imported;
  guint skipped;  /* already in the archive (same SHA-256) */
  guint failed;
} YgImportSummary;

gboolean yg_import_run (YgDb                  *db,
                        const YgImportOptions *options,
                        char                 **paths,
                        YgImportSummary       *summary,
                        GError               **error);

GHashTable *yg_import_parse_csv (const char *text, GError **error);
guint yg_import_collect_stale (const char *data_dir);
guint yg_import_collect_originals (YgDb       *db,
                                   const char *data_dir,
                                   GHashTable *keep,
                                   gint64      grace_s);

#define YG_IMPORT_ORPHAN_GRACE (3600) /* seconds before an original without its item is removed */

G_END_DECLS

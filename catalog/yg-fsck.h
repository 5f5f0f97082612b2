/* yg-fsck.h: consistency check of the catalogue and the files it points at. */
#pragma once

#include "yg-db.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean integrity_ok;
  guint files_checked;
  guint files_hashed;  /* with fixity: originals whose SHA-256 was recomputed */
  GPtrArray *problems; /* (element-type utf8): one readable line each */
} YgFsckReport;

void yg_fsck_report_free (YgFsckReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgFsckReport, yg_fsck_report_free)

YgFsckReport *yg_fsck_run (YgDbConn *conn, const char *data_dir, GError **error);
YgFsckReport *yg_fsck_run_full (YgDbConn   *conn,
                                const char *data_dir,
                                gboolean    fixity,
                                GError    **error);

G_END_DECLS

/* yg-ingest.h: recording an arrived original: item + file row + job, atomically. */
#pragma once

#include "yg-db.h"
#include "yg-item-meta.h"

G_BEGIN_DECLS

typedef struct
{
  const char *item_id;     /* chosen before the file was placed under originals/<id>/ */
  const char *kind;
  const char *title;
  const char *description;
  const char *path;        /* originals/<id>/original.<ext>, relative to the data directory */
  gint64 size;
  const char *sha256;      /* hex */
  const YgItemMeta *meta;  /* nullable: validated core metadata to set as well */
} YgIngest;

char *yg_ingest_commit (YgDbConn *conn, const YgIngest *ingest, GError **error);

G_END_DECLS

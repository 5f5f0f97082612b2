/* yg-ingest.c: the one transaction that makes an arrived original an item.
 *
 * Uploads (tus) and bulk import both end here, after the original is durable
 * under originals/<item>/: one BEGIN IMMEDIATE creates the item (status
 * processing), its "original" file row (size, SHA-256) and its transcode
 * job, and (from a bulk import) the item's metadata. It is idempotent on
 * the item id, so recovery after a crash between placing the file and
 * committing can simply run it again.
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-ingest.h"

#include "yg-item-meta-store.h"
#include "yg-item-store.h"
#include "yg-job-store.h"

/**
 * yg_ingest_commit:
 *
 * Returns: (transfer full): the item id (the existing one when already committed)
 */
char *
yg_ingest_commit (YgDbConn *conn, const YgIngest *in, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (YgItem) existing = NULL;
  g_autofree char *id = NULL;

  g_return_val_if_fail (in->item_id != NULL && in->path != NULL, NULL);

  if (!yg_db_conn_begin (conn, error))
    return NULL;
  existing = yg_item_store_get (conn, in->item_id, &local);
  if (existing != NULL)
    {
      yg_db_conn_commit (conn, NULL);
      return g_strdup (existing->id);
    }
  if (!g_error_matches (local, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      goto fail;
    }
  id = yg_item_store_insert (conn, in->item_id, in->kind, in->title,
                             in->description != NULL ? in->description : "", error);
  if (id == NULL
      || (in->meta != NULL && !yg_item_meta_store_update (conn, id, in->meta, TRUE, error))
      || !yg_item_store_add_file (conn, id, "original", in->path, in->size, in->sha256, error)
      || yg_job_store_enqueue (conn, id, error) == 0 || !yg_db_conn_commit (conn, error))
    goto fail;
  return g_steal_pointer (&id);

fail:
  yg_db_conn_rollback (conn);
  return NULL;
}

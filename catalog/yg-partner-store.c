/* yg-partner-store.c: partner culture centres (文化馆联盟, 总分馆制) that embed
 * this server's player and read its media from their own sites.
 *
 * A partner row holds its name, its allowed origins (stored space-separated,
 * already normalised by the caller), an enabled flag and the id of the
 * partner bearer token minted with it. Creating a partner mints the token in
 * the same transaction (the plaintext is returned once, never stored);
 * deleting one revokes the token in the same transaction, so a removed
 * partner's scripts stop working at once. Patches change the non-NULL fields.
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-partner-store.h"

#include "yg-token-store.h"

YgPartner *
yg_partner_copy (const YgPartner *p)
{
  YgPartner *c = g_new0 (YgPartner, 1);

  *c = *p;
  c->name = g_strdup (p->name);
  c->origins = g_strdupv (p->origins);
  return c;
}

void
yg_partner_free (YgPartner *p)
{
  if (p == NULL)
    return;
  g_free (p->name);
  g_strfreev (p->origins);
  g_free (p);
}

void
yg_partner_patch_free (YgPartnerPatch *p)
{
  if (p == NULL)
    return;
  g_free (p->name);
  g_strfreev (p->origins);
  g_free (p);
}

#define COLUMNS "id, name, origins, coalesce (token_id, 0), enabled, created_at, updated_at"

static YgPartner *
from_row (sqlite3_stmt *s)
{
  YgPartner *p = g_new0 (YgPartner, 1);
  const char *origins = (const char *) sqlite3_column_text (s, 2);

  p->id = sqlite3_column_int64 (s, 0);
  p->name = yg_db_column_dup (s, 1);
  p->origins = g_strsplit (origins != NULL ? origins : "", " ", -1);
  if (p->origins[0] != NULL && p->origins[0][0] == '\0') /* "" splits into one empty string */
    {
      g_strfreev (p->origins);
      p->origins = g_new0 (char *, 1);
    }
  p->token_id = sqlite3_column_int64 (s, 3);
  p->enabled = sqlite3_column_int (s, 4) != 0;
  p->created_at = sqlite3_column_int64 (s, 5);
  p->updated_at = sqlite3_column_int64 (s, 6);
  return p;
}

YgPartner *
yg_partner_store_get (YgDbConn *conn, gint64 id, GError **error)
{
  return yg_db_conn_get_by_id (conn, "SELECT " COLUMNS " FROM partners WHERE id = ?1", id,
                               (YgDbRowFunc) from_row, "partner", error);
}

static void
bind_origins (sqlite3_stmt *s, int col, char **origins)
{
  if (origins == NULL)
    sqlite3_bind_null (s, col);
  else
    {
      g_autofree char *joined = g_strjoinv (" ", origins);
      sqlite3_bind_text (s, col, joined, -1, SQLITE_TRANSIENT);
    }
}

/**
 * yg_partner_store_create:
 * @in: name required; origins and enabled optional (none, enabled)
 * @token: (out) (transfer full): the partner's bearer token, shown once
 *
 * Returns: (transfer full): the new partner
 */
YgPartner *
yg_partner_store_create (YgDbConn *conn, const YgPartnerPatch *in, char **token, GError **error)
{
  g_autofree char *plain = NULL;
  g_autofree char *token_name = NULL;
  sqlite3_stmt *s;
  gint64 token_id, id;

  g_return_val_if_fail (in->name != NULL, NULL);
  if (!yg_db_conn_begin (conn, error))
    return NULL;
  token_name = g_strdup_printf ("partner: %s", in->name);
  plain = yg_token_store_create (conn, YG_ROLE_PARTNER, token_name, 0, error);
  if (plain == NULL)
    goto fail;
  token_id = yg_db_conn_last_insert_rowid (conn);
  s = yg_db_conn_prepare (conn,
                          "INSERT INTO partners (name, origins, token_id, enabled, created_at,"
                          " updated_at) VALUES (?1, coalesce (?2, ''), ?3, ?4, ?5, ?5)",
                          error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_text (s, 1, in->name, -1, SQLITE_TRANSIENT);
  bind_origins (s, 2, in->origins);
  sqlite3_bind_int64 (s, 3, token_id);
  sqlite3_bind_int (s, 4, in->enabled != 0);
  sqlite3_bind_int64 (s, 5, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, s, error))
    goto fail;
  id = yg_db_conn_last_insert_rowid (conn);
  if (!yg_db_conn_commit (conn, error))
    goto fail;
  *token = g_steal_pointer (&plain);
  return yg_partner_store_get (conn, id, error);

fail:
  yg_db_conn_rollback (conn);
  return NULL;
}

/**
 * yg_partner_store_list:
 *
 * Returns: (transfer full) (element-type YgPartner): every partner, by id
 */
GPtrArray *
yg_partner_store_list (YgDbConn *conn, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn, "SELECT " COLUMNS " FROM partners ORDER BY id",
                                        error);

  if (s == NULL)
    return NULL;
  return yg_db_conn_collect (conn, s, (YgDbRowFunc) from_row, (GDestroyNotify) yg_partner_free,
                             error);
}

YgPartner *
yg_partner_store_update (YgDbConn *conn, gint64 id, const YgPartnerPatch *patch, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "UPDATE partners SET name = coalesce (?2, name), origins = coalesce (?3, origins),"
      " enabled = coalesce (?4, enabled), updated_at = ?5 WHERE id = ?1",
      error);

  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_text (s, 2, patch->name, -1, SQLITE_TRANSIENT);
  bind_origins (s, 3, patch->origins);
  if (patch->enabled >= 0)
    sqlite3_bind_int (s, 4, patch->enabled != 0);
  else
    sqlite3_bind_null (s, 4);
  sqlite3_bind_int64 (s, 5, g_get_real_time () / G_USEC_PER_SEC);
  if (!yg_db_conn_step_done (conn, s, error))
    return NULL;
  return yg_partner_store_get (conn, id, error); /* NOT_FOUND when there was no such row */
}

/* Deletes the partner and revokes its token, in one transaction. */
gboolean
yg_partner_store_delete (YgDbConn *conn, gint64 id, GError **error)
{
  g_autoptr (YgPartner) p = NULL;
  g_autoptr (GError) local = NULL;
  sqlite3_stmt *s;

  if (!yg_db_conn_begin (conn, error))
    return FALSE;
  p = yg_partner_store_get (conn, id, error);
  if (p == NULL)
    goto fail;
  if (p->token_id != 0 && !yg_token_store_revoke (conn, p->token_id, &local))
    {
      if (!g_error_matches (local, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND)) /* revoked already */
        {
          g_propagate_error (error, g_steal_pointer (&local));
          goto fail;
        }
      g_clear_error (&local);
    }
  s = yg_db_conn_prepare (conn, "DELETE FROM partners WHERE id = ?1", error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_int64 (s, 1, id);
  if (!yg_db_conn_step_done (conn, s, error) || !yg_db_conn_commit (conn, error))
    goto fail;
  return TRUE;

fail:
  yg_db_conn_rollback (conn);
  return FALSE;
}

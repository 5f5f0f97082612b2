/* yg-demand-store.c: residents' requests for a programme, a course or a
 * lecturer (点单/点将), their supporters, and the staff's answers.
 *
 * Invariants: a resident supports a request at most once (primary key
 * (demand, user)); demands.supporters equals its number of support rows,
 * both written in one BEGIN IMMEDIATE transaction; the move from open to
 * threshold_reached happens in that same transaction, guarded by
 * "status = 'open'", so it happens exactly once however many supports
 * arrive at the same time, and queues at most one webhook notification
 * (webhook_outbox) with it. The author supports their own request. Withdrawn
 * support lowers the count but never moves a request back. An answer
 * (scheduled or declined) is given once; a second one is a conflict.
 * demand_fts (trigram) is written here in the same transaction as the row.
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-demand-store.h"

#include "yg-field-error.h"

YgDemand *
yg_demand_new (void)
{
  return g_new0 (YgDemand, 1);
}

void
yg_demand_free (YgDemand *d)
{
  if (d == NULL)
    return;
  g_free (d->kind);
  g_free (d->title);
  g_free (d->description);
  g_free (d->lecturer_name);
  g_free (d->community);
  g_free (d->status);
  g_free (d->scheduled_date);
  g_free (d->linked_item);
  g_free (d->reason);
  g_free (d);
}

#define COLUMNS                                                                                    \
  "d.id, d.kind, d.title, d.description, coalesce (d.lecturer_id, 0), l.name, d.community,"      \
  " coalesce (d.author_id, 0), d.status, d.supporters, d.created_at, coalesce (d.threshold_at, 0),"\
  " coalesce (d.answered_at, 0), d.scheduled_date, d.linked_item, coalesce (d.linked_course, 0),"  \
  " d.reason, EXISTS (SELECT 1 FROM demand_supports s WHERE s.demand_id = d.id AND s.user_id = ?9)"
#define FROM " FROM demands d LEFT JOIN lecturers l ON l.id = d.lecturer_id"

static YgDemand *
from_row (sqlite3_stmt *s)
{
  YgDemand *d = yg_demand_new ();

  d->id = sqlite3_column_int64 (s, 0);
  d->kind = yg_db_column_dup (s, 1);
  d->title = yg_db_column_dup (s, 2);
  d->description = yg_db_column_dup (s, 3);
  d->lecturer_id = sqlite3_column_int64 (s, 4);
  d->lecturer_name = yg_db_column_dup (s, 5);
  d->community = yg_db_column_dup (s, 6);
  d->author_id = sqlite3_column_int64 (s, 7);
  d->status = yg_db_column_dup (s, 8);
  d->supporters = sqlite3_column_int64 (s, 9);
  d->created_at = sqlite3_column_int64 (s, 10);
  d->threshold_at = sqlite3_column_int64 (s, 11);
  d->answered_at = sqlite3_column_int64 (s, 12);
  d->scheduled_date = yg_db_column_dup (s, 13);
  d->linked_item = yg_db_column_dup (s, 14);
  d->linked_course = sqlite3_column_int64 (s, 15);
  d->reason = yg_db_column_dup (s, 16);
  d->supported = sqlite3_column_int (s, 17) != 0;
  return d;
}

/**
 * yg_demand_store_get:
 * @viewer_id: the asking account (for "supported"), or 0
 *
 * Returns: (transfer full): the request, or %NULL with YG_DB_ERROR_NOT_FOUND
 */
YgDemand *
yg_demand_store_get (YgDbConn *conn, gint64 id, gint64 viewer_id, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn, "SELECT " COLUMNS FROM " WHERE d.id = ?1", error);
  YgDemand *d = NULL;
  int rc;

  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_int64 (s, 9, viewer_id);
  rc = yg_db_conn_step (conn, s, error);
  if (rc == SQLITE_ROW)
    d = from_row (s);
  else if (rc == SQLITE_DONE)
    g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No request %" G_GINT64_FORMAT, id);
  sqlite3_reset (s);
  return d;
}

/* Adds or removes one support and applies the threshold; inside a transaction. */
static gboolean
support_in_txn (YgDbConn *conn, gint64 id, gint64 user_id, gboolean support,
                const YgDemandRules *rules, gint64 now, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      support ? "INSERT INTO demand_supports (demand_id, user_id, created_at) VALUES (?1, ?2, ?3)"
                " ON CONFLICT DO NOTHING"
              : "DELETE FROM demand_supports WHERE demand_id = ?1 AND user_id = ?2 AND ?3 >= 0",
      error);

  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_int64 (s, 2, user_id);
  sqlite3_bind_int64 (s, 3, now);
  if (!yg_db_conn_step_done (conn, s, error))
    return FALSE;
  if (yg_db_conn_changes (conn) == 0)
    return TRUE; /* idempotent */
  s = yg_db_conn_prepare (conn, "UPDATE demands SET supporters = supporters + ?2 WHERE id = ?1",
                          error);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_int (s, 2, support ? 1 : -1);
  if (!yg_db_conn_step_done (conn, s, error))
    return FALSE;
  if (!support)
    return TRUE;
  s = yg_db_conn_prepare (conn,
                          "UPDATE demands SET status = 'threshold_reached', threshold_at = ?3"
                          " WHERE id = ?1 AND status = 'open' AND supporters >= ?2",
                          error);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_int64 (s, 2, rules->threshold);
  sqlite3_bind_int64 (s, 3, now);
  if (!yg_db_conn_step_done (conn, s, error))
    return FALSE;
  if (yg_db_conn_changes (conn) == 0 || !rules->notify)
    return TRUE;
  s = yg_db_conn_prepare (conn,
                          "INSERT INTO webhook_outbox (event, demand_id, next_at, created_at)"
                          " VALUES ('request.threshold_reached', ?1, ?2, ?2)",
                          error);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_int64 (s, 2, now);
  return yg_db_conn_step_done (conn, s, error);
}

/**
 * yg_demand_store_create:
 * @in: kind, title, description, lecturer_id, community
 *
 * Creates the request, indexes it and records the author's support.
 *
 * Returns: (transfer full): the new request; a YG_FIELD_ERROR on "lecturer"
 *   when it names no lecturer
 */
YgDemand *
yg_demand_store_create (YgDbConn *conn, const YgDemand *in, gint64 author_id,
                        const YgDemandRules *rules, GError **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  sqlite3_stmt *s;
  gint64 id;

  if (!yg_db_conn_begin (conn, error))
    return NULL;
  if (in->lecturer_id != 0)
    {
      s = yg_db_conn_prepare (conn, "SELECT 1 FROM lecturers WHERE id = ?1", error);
      if (s == NULL)
        goto fail;
      sqlite3_bind_int64 (s, 1, in->lecturer_id);
      int rc = yg_db_conn_step (conn, s, error);
      sqlite3_reset (s);
      if (rc < 0)
        goto fail;
      if (rc == SQLITE_DONE)
        {
          yg_field_error_set (error, "lecturer", "No lecturer %" G_GINT64_FORMAT " in the roster",
                              in->lecturer_id);
          goto fail;
        }
    }
  s = yg_db_conn_prepare (conn,
                          "INSERT INTO demands (kind, title, description, lecturer_id, community,"
                          " author_id, created_at) VALUES (?1, ?2, ?3, nullif (?4, 0), ?5, ?6, ?7)",
                          error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_text (s, 1, in->kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 2, in->title, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 3, in->description != NULL ? in->description : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 4, in->lecturer_id);
  sqlite3_bind_text (s, 5, in->community, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 6, author_id);
  sqlite3_bind_int64 (s, 7, now);
  if (!yg_db_conn_step_done (conn, s, error))
    goto fail;
  id = yg_db_conn_last_insert_rowid (conn);
  s = yg_db_conn_prepare (conn,
                          "INSERT INTO demand_fts (rowid, title, description) VALUES (?1, ?2, ?3)",
                          error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_text (s, 2, in->title, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 3, in->description != NULL ? in->description : "", -1, SQLITE_TRANSIENT);
  if (!yg_db_conn_step_done (conn, s, error)
      || !support_in_txn (conn, id, author_id, TRUE, rules, now, error)
      || !yg_db_conn_commit (conn, error))
    goto fail;
  return yg_demand_store_get (conn, id, author_id, error);

fail:
  yg_db_conn_rollback (conn);
  return NULL;
}

/**
 * yg_demand_store_support:
 * @support: %TRUE to support (idempotent), %FALSE to withdraw (idempotent)
 *
 * Returns: (transfer full): the request afterwards; a conflict once it is answered
 */
YgDemand *
yg_demand_store_support (YgDbConn *conn, gint64 id, gint64 user_id, gboolean support,
                         const YgDemandRules *rules, GError **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr (YgDemand) d = NULL;

  if (!yg_db_conn_begin (conn, error))
    return NULL;
  d = yg_demand_store_get (conn, id, user_id, error);
  if (d == NULL)
    goto fail;
  if (d->answered_at != 0)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_CONSTRAINT,
                   "Request %" G_GINT64_FORMAT " is already answered (%s)", id, d->status);
      goto fail;
    }
  if (!support_in_txn (conn, id, user_id, support, rules, now, error)
      || !yg_db_conn_commit (conn, error))
    goto fail;
  return yg_demand_store_get (conn, id, user_id, error);

fail:
  yg_db_conn_rollback (conn);
  return NULL;
}

/**
 * yg_demand_store_answer:
 * @answer: status (scheduled | declined) with scheduled_date and linked_item
 *   or linked_course, or reason
 *
 * Returns: (transfer full): the answered request; a conflict when it was
 *   answered before, a field error when the linked item or course is unknown
 */
YgDemand *
yg_demand_store_answer (YgDbConn *conn, gint64 id, const YgDemand *answer, GError **error)
{
  g_autoptr (YgDemand) d = NULL;
  sqlite3_stmt *s;

  if (!yg_db_conn_begin (conn, error))
    return NULL;
  d = yg_demand_store_get (conn, id, 0, error);
  if (d == NULL)
    goto fail;
  if (d->answered_at != 0)
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_CONSTRAINT,
                   "Request %" G_GINT64_FORMAT " was already answered (%s)", id, d->status);
      goto fail;
    }
  if (answer->linked_item != NULL || answer->linked_course != 0)
    {
      gboolean item = answer->linked_item != NULL;
      int rc;

      s = yg_db_conn_prepare (conn,
                              item ? "SELECT 1 FROM items WHERE id = ?1"
                                   : "SELECT 1 FROM courses WHERE id = ?1",
                              error);
      if (s == NULL)
        goto fail;
      if (item)
        sqlite3_bind_text (s, 1, answer->linked_item, -1, SQLITE_TRANSIENT);
      else
        sqlite3_bind_int64 (s, 1, answer->linked_course);
      rc = yg_db_conn_step (conn, s, error);
      sqlite3_reset (s);
      if (rc < 0)
        goto fail;
      if (rc == SQLITE_DONE)
        {
          yg_field_error_set (error, item ? "item" : "course", "No such %s",
                              item ? "item" : "course");
          goto fail;
        }
    }
  s = yg_db_conn_prepare (conn,
                          "UPDATE demands SET status = ?2, answered_at = ?3, scheduled_date = ?4,"
                          " linked_item = ?5, linked_course = nullif (?6, 0), reason = ?7"
                          " WHERE id = ?1",
                          error);
  if (s == NULL)
    goto fail;
  sqlite3_bind_int64 (s, 1, id);
  sqlite3_bind_text (s, 2, answer->status, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 3, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_text (s, 4, answer->scheduled_date, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 5, answer->linked_item, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 6, answer->linked_course);
  sqlite3_bind_text (s, 7, answer->reason, -1, SQLITE_TRANSIENT);
  if (!yg_db_conn_step_done (conn, s, error) || !yg_db_conn_commit (conn, error))
    goto fail;
  return yg_demand_store_get (conn, id, 0, error);

fail:
  yg_db_conn_rollback (conn);
  return NULL;
}

static GPtrArray *
collect (YgDbConn *conn, sqlite3_stmt *s, GError **error)
{
  return yg_db_conn_collect (conn, s, (YgDbRowFunc) from_row, (GDestroyNotify) yg_demand_free,
                             error);
}

/**
 * yg_demand_store_list:
 * @status: (nullable): only this status
 * @kind: (nullable): only this kind
 * @before_id: 0, or the last id of the previous page
 *
 * Returns: (transfer full) (element-type YgDemand): newest first
 */
GPtrArray *
yg_demand_store_list (YgDbConn *conn, const char *status, const char *kind, gint64 before_id,
                      guint limit, gint64 viewer_id, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "SELECT " COLUMNS FROM " WHERE (?1 IS NULL OR d.status = ?1) AND (?2 IS NULL OR d.kind = ?2)"
      " AND (?3 = 0 OR d.id < ?3) ORDER BY d.id DESC LIMIT ?4",
      error);

  if (s == NULL)
    return NULL;
  sqlite3_bind_text (s, 1, status, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 2, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 3, before_id);
  sqlite3_bind_int (s, 4, limit);
  sqlite3_bind_int64 (s, 9, viewer_id);
  return collect (conn, s, error);
}

/* An FTS5 query: every distinct three-character piece of @text, quoted, ORed. */
static char *
trigram_query (const char *text)
{
  g_autofree char *lower = g_utf8_strdown (text, -1);
  g_autoptr (GString) q = g_string_new (NULL);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  glong n = g_utf8_strlen (lower, -1);

  for (glong i = 0; i + 3 <= n && seen != NULL && g_hash_table_size (seen) < 64; i++)
    {
      const char *a = g_utf8_offset_to_pointer (lower, i);
      const char *b = g_utf8_offset_to_pointer (a, 3);
      g_autofree char *piece = g_strndup (a, b - a);
      gboolean blank = FALSE;

      for (const char *p = piece; *p != '\0'; p = g_utf8_next_char (p))
        if (g_unichar_isspace (g_utf8_get_char (p)) || *p == '"')
          blank = TRUE;
      if (blank || !g_hash_table_add (seen, g_strdup (piece)))
        continue;
      if (q->len > 0)
        g_string_append (q, " OR ");
      g_string_append_printf (q, "\"%s\"", piece);
    }
  return q->len > 0 ? g_string_free (g_steal_pointer (&q), FALSE) : NULL;
}

/**
 * yg_demand_store_similar:
 * @text: a title (and description) to compare
 * @except_id: a request to leave out (the one just created), or 0
 *
 * Returns: (transfer full) (element-type YgDemand): the best-matching
 *   requests sharing three-character pieces with @text (declined ones too:
 *   the answer is worth seeing), best first
 */
GPtrArray *
yg_demand_store_similar (YgDbConn *conn, const char *text, gint64 except_id, guint limit,
                         GError **error)
{
  g_autofree char *query = trigram_query (text);
  sqlite3_stmt *s;

  if (query == NULL)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) yg_demand_free);
  s = yg_db_conn_prepare (conn,
                          "SELECT " COLUMNS FROM " JOIN (SELECT rowid AS r, rank FROM demand_fts"
                          " WHERE demand_fts MATCH ?1 ORDER BY rank LIMIT 50) m ON m.r = d.id"
                          " WHERE d.id != ?2 ORDER BY m.rank LIMIT ?3",
                          error);
  if (s == NULL)
    return NULL;
  sqlite3_bind_text (s, 1, query, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 2, except_id);
  sqlite3_bind_int (s, 3, limit);
  sqlite3_bind_int64 (s, 9, 0);
  return collect (conn, s, error);
}

/* Requests still collecting support, and those past the threshold awaiting an answer. */
gboolean
yg_demand_store_counts (YgDbConn *conn, gint64 *open, gint64 *awaiting, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (
      conn,
      "SELECT count (*) FILTER (WHERE status = 'open'),"
      " count (*) FILTER (WHERE status = 'threshold_reached') FROM demands",
      error);
  int rc;

  if (s == NULL)
    return FALSE;
  rc = yg_db_conn_step (conn, s, error);
  if (rc == SQLITE_ROW)
    {
      *open = sqlite3_column_int64 (s, 0);
      *awaiting = sqlite3_column_int64 (s, 1);
    }
  sqlite3_reset (s);
  return rc == SQLITE_ROW;
}

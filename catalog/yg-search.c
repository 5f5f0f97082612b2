/* yg-search.c: the item search index (item_search + two FTS5 tables) and queries.
 *
 * item_search holds one row per item: its filter values (kind, category,
 * level, region, recorded date) and its text, lower-cased, in three columns:
 * title; names (tags, performers, troupe, heritage project, inheritors,
 * venue, region); body (description, programme). item_fts (trigram) indexes
 * all three and answers queries of 3 characters or more as substrings.
 * Trigrams cannot answer 1- and 2-character queries (昆曲, 舞), so item_grams
 * (unicode61, detail=none) indexes the distinct 1- and 2-character
 * substrings of title and names, each as one token: such a query is one
 * token lookup. Descriptions are left out of the short index on purpose
 * (their grams would multiply its size; short queries are genres, crafts and
 * names, which live in titles, tags and names). A short query containing a
 * character unicode61 splits on (punctuation) is answered by a scan instead.
 * Both FTS tables use item_search as external content and are changed here,
 * in the caller's transaction, whenever item_search changes (triggers cannot
 * write FTS5 tables while trusted_schema is off).
 * Ordering is (score, date, doc) descending, where score depends only on the
 * row (title match 4, names 2, else 1), never on corpus statistics, so the
 * keyset cursor (sort, score, date, doc) is stable under inserts.
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-search.h"

#include <string.h>

#include "yg-field-error.h"

void
yg_search_page_free (YgSearchPage *page)
{
  if (page == NULL)
    return;
  g_ptr_array_unref (page->ids);
  g_free (page->next_cursor);
  g_free (page);
}

static char *
normalize (const char *text)
{
  g_autofree char *nfc = g_utf8_normalize (text != NULL ? text : "", -1, G_NORMALIZE_NFC);

  return g_utf8_strdown (nfc != NULL ? nfc : "", -1);
}

/**
 * yg_search_grams:
 *
 * Returns: (transfer full): the distinct 1- and 2-character substrings of
 *   @text (normalised) without white space, separated by spaces
 */
char *
yg_search_grams (const char *text)
{
  g_autofree char *norm = normalize (text);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GString *out = g_string_new (NULL);
  const char *p = norm;

  while (*p != '\0')
    {
      const char *next = g_utf8_next_char (p);
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_isspace (c))
        {
          char *uni = g_strndup (p, next - p);
          if (g_hash_table_add (seen, uni))
            g_string_append_printf (out, "%s%s", out->len ? " " : "", uni);
          if (*next != '\0' && !g_unichar_isspace (g_utf8_get_char (next)))
            {
              char *bi = g_strndup (p, g_utf8_next_char (next) - p);
              if (g_hash_table_add (seen, bi))
                g_string_append_printf (out, " %s", bi);
            }
        }
      p = next;
    }
  return g_string_free (out, FALSE);
}

static void
append_part (GString *s, const unsigned char *text)
{
  if (text == NULL || *text == '\0')
    return;
  if (s->len > 0)
    g_string_append_c (s, '\n');
  g_string_append (s, (const char *) text);
}

static gboolean
fts_delete (YgDbConn *conn, gint64 doc, GError **error)
{
  sqlite3_stmt *old = yg_db_conn_prepare (
    conn, "SELECT title, names, body, grams FROM item_search WHERE doc = ?1", error);
  sqlite3_stmt *del;
  int rc;

  if (old == NULL)
    return FALSE;
  sqlite3_bind_int64 (old, 1, doc);
  rc = yg_db_conn_step (conn, old, error);
  if (rc != SQLITE_ROW)
    return rc == SQLITE_DONE;
  del = yg_db_conn_prepare (conn,
                            "INSERT INTO item_fts (item_fts, rowid, title, names, body)"
                            " VALUES ('delete', ?1, ?2, ?3, ?4)",
                            error);
  if (del == NULL)
    goto fail;
  sqlite3_bind_int64 (del, 1, doc);
  for (int i = 0; i < 3; i++)
    sqlite3_bind_text (del, i + 2, (const char *) sqlite3_column_text (old, i), -1,
                       SQLITE_TRANSIENT);
  if (!yg_db_conn_step_done (conn, del, error))
    goto fail;
  del = yg_db_conn_prepare (
    conn, "INSERT INTO item_grams (item_grams, rowid, grams) VALUES ('delete', ?1, ?2)", error);
  if (del == NULL)
    goto fail;
  sqlite3_bind_int64 (del, 1, doc);
  sqlite3_bind_text (del, 2, (const char *) sqlite3_column_text (old, 3), -1, SQLITE_TRANSIENT);
  if (!yg_db_conn_step_done (conn, del, error))
    goto fail;
  sqlite3_reset (old);
  return TRUE;

fail:
  sqlite3_reset (old);
  return FALSE;
}

static gint64
find_doc (YgDbConn *conn, const char *item_id, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn, "SELECT doc FROM item_search WHERE item_id = ?1",
                                        error);
  gint64 doc = 0;
  int rc;

  if (s == NULL)
    return -1;
  sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
  rc = yg_db_conn_step (conn, s, error);
  if (rc < 0)
    return -1;
  if (rc == SQLITE_ROW)
    {
      doc = sqlite3_column_int64 (s, 0);
      sqlite3_reset (s);
    }
  return doc;
}

/**
 * yg_search_index_item:
 *
 * (Re)builds the search row of an item from the catalogue. Call it inside
 * the transaction that changed the item, its tags or its inheritors.
 */
gboolean
yg_search_index_item (YgDbConn *conn, const char *item_id, GError **error)
{
  sqlite3_stmt *src = yg_db_conn_prepare (
    conn,
    "SELECT i.kind, i.category, i.level, i.region, COALESCE (i.recorded_date, ''), i.title,"
    " i.description,"
    " (SELECT group_concat (tag, ' ') FROM item_tags WHERE item_id = i.id),"
    " (SELECT group_concat (value, ' ') FROM json_each (i.performers)),"
    " i.troupe, i.project_name,"
    " (SELECT group_concat (h.name, ' ') FROM item_inheritors l"
    "   JOIN inheritors h ON h.id = l.inheritor_id WHERE l.item_id = i.id),"
    " i.venue, i.region,"
    " (SELECT group_concat (json_extract (value, '$.title'), ' ') FROM json_each (i.programme)),"
    " (SELECT group_concat (p.value, ' ') FROM json_each (i.programme) pr,"
    "   json_each (pr.value, '$.performers') p)"
    " FROM items i WHERE i.id = ?1",
    error);
  g_autoptr (GString) names = g_string_new (NULL);
  g_autoptr (GString) body = g_string_new (NULL);
  g_autofree char *title = NULL, *names_n = NULL, *body_n = NULL, *grams = NULL, *all = NULL;
  g_autofree char *kind = NULL, *category = NULL, *level = NULL, *region = NULL, *date = NULL;
  sqlite3_stmt *w;
  gint64 doc;
  int rc;

  if (src == NULL)
    return FALSE;
  sqlite3_bind_text (src, 1, item_id, -1, SQLITE_TRANSIENT);
  rc = yg_db_conn_step (conn, src, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_DONE)
    return yg_search_remove_item (conn, item_id, error);
  kind = yg_db_column_dup (src, 0);
  category = yg_db_column_dup (src, 1);
  level = yg_db_column_dup (src, 2);
  region = yg_db_column_dup (src, 3);
  date = yg_db_column_dup (src, 4);
  title = normalize ((const char *) sqlite3_column_text (src, 5));
  append_part (body, sqlite3_column_text (src, 6));
  for (int col = 7; col <= 13; col++)
    append_part (names, sqlite3_column_text (src, col));
  append_part (body, sqlite3_column_text (src, 14));
  append_part (body, sqlite3_column_text (src, 15));
  sqlite3_reset (src);
  names_n = normalize (names->str);
  body_n = normalize (body->str);
  all = g_strconcat (title, "\n", names_n, NULL);
  grams = yg_search_grams (all);

  doc = find_doc (conn, item_id, error);
  if (doc < 0)
    return FALSE;
  if (doc > 0)
    {
      if (!fts_delete (conn, doc, error))
        return FALSE;
      w = yg_db_conn_prepare (conn,
                              "UPDATE item_search SET kind = ?2, category = ?3, level = ?4,"
                              " region = ?5, date = ?6, title = ?7, names = ?8, body = ?9,"
                              " grams = ?10 WHERE doc = ?1",
                              error);
      if (w == NULL)
        return FALSE;
      sqlite3_bind_int64 (w, 1, doc);
    }
  else
    {
      w = yg_db_conn_prepare (conn,
                              "INSERT INTO item_search (item_id, kind, category, level, region,"
                              " date, title, names, body, grams)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                              error);
      if (w == NULL)
        return FALSE;
      sqlite3_bind_text (w, 1, item_id, -1, SQLITE_TRANSIENT);
    }
  sqlite3_bind_text (w, 2, kind, -1, SQLITE_STATIC);
  if (category != NULL)
    sqlite3_bind_text (w, 3, category, -1, SQLITE_STATIC);
  if (level != NULL)
    sqlite3_bind_text (w, 4, level, -1, SQLITE_STATIC);
  if (region != NULL)
    sqlite3_bind_text (w, 5, region, -1, SQLITE_STATIC);
  sqlite3_bind_text (w, 6, date, -1, SQLITE_STATIC);
  sqlite3_bind_text (w, 7, title, -1, SQLITE_STATIC);
  sqlite3_bind_text (w, 8, names_n, -1, SQLITE_STATIC);
  sqlite3_bind_text (w, 9, body_n, -1, SQLITE_STATIC);
  sqlite3_bind_text (w, 10, grams, -1, SQLITE_STATIC);
  if (!yg_db_conn_step_done (conn, w, error))
    return FALSE;
  if (doc == 0)
    doc = yg_db_conn_last_insert_rowid (conn);

  w = yg_db_conn_prepare (
    conn, "INSERT INTO item_fts (rowid, title, names, body) VALUES (?1, ?2, ?3, ?4)", error);
  if (w == NULL)
    return FALSE;
  sqlite3_bind_int64 (w, 1, doc);
  sqlite3_bind_text (w, 2, title, -1, SQLITE_STATIC);
  sqlite3_bind_text (w, 3, names_n, -1, SQLITE_STATIC);
  sqlite3_bind_text (w, 4, body_n, -1, SQLITE_STATIC);
  if (!yg_db_conn_step_done (conn, w, error))
    return FALSE;
  w = yg_db_conn_prepare (conn, "INSERT INTO item_grams (rowid, grams) VALUES (?1, ?2)", error);
  if (w == NULL)
    return FALSE;
  sqlite3_bind_int64 (w, 1, doc);
  sqlite3_bind_text (w, 2, grams, -1, SQLITE_STATIC);
  return yg_db_conn_step_done (conn, w, error);
}

/**
 * yg_search_remove_item:
 *
 * Drops an item's search row and its index entries (before deleting the item).
 */
gboolean
yg_search_remove_item (YgDbConn *conn, const char *item_id, GError **error)
{
  gint64 doc = find_doc (conn, item_id, error);
  sqlite3_stmt *s;

  if (doc <= 0)
    return doc == 0;
  if (!fts_delete (conn, doc, error))
    return FALSE;
  s = yg_db_conn_prepare (conn, "DELETE FROM item_search WHERE doc = ?1", error);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, doc);
  return yg_db_conn_step_done (conn, s, error);
}

/* --- queries ------------------------------------------------------------- */

typedef enum
{
  MODE_NONE,
  MODE_TRIGRAM,
  MODE_GRAMS,
  MODE_SCAN,
} Mode;

typedef struct
{
  char sort;   /* 'd' or 'r' */
  gint64 score;
  char date[11];
  gint64 doc;
} Cursor;

static char *
cursor_encode (const Cursor *c)
{
  g_autofree char *raw = g_strdup_printf ("1|%c|%" G_GINT64_FORMAT "|%s|%" G_GINT64_FORMAT, c->sort,
                                          c->score, c->date, c->doc);
  char *b64 = g_base64_encode ((const guchar *) raw, strlen (raw));

  for (char *p = b64; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        *p = '\0';
    }
  return b64;
}

static gboolean
cursor_decode (const char *text, char sort, Cursor *c, GError **error)
{
  gsize len = strlen (text), n = 0;
  g_autofree char *b64 = NULL;
  g_autofree guchar *raw = NULL;
  g_auto (GStrv) parts = NULL;
  g_autofree char *str = NULL;
  guint64 doc;
  gint64 score;

  if (len == 0 || len > 128)
    goto bad;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '-' && text[i] != '_')
      goto bad;
  b64 = g_malloc0 (len + 4);
  for (gsize i = 0; i < len; i++)
    b64[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
  while (len % 4 != 0)
    b64[len++] = '=';
  raw = g_base64_decode (b64, &n);
  str = g_strndup ((const char *) raw, n);
  parts = g_strsplit (str, "|", -1);
  if (g_strv_length (parts) != 5 || !g_str_equal (parts[0], "1") || parts[1][0] != sort
      || parts[1][1] != '\0')
    goto bad;
  if (!g_ascii_string_to_signed (parts[2], 10, 0, 100, &score, NULL)
      || !g_ascii_string_to_unsigned (parts[4], 10, 1, G_MAXINT64, &doc, NULL)
      || strlen (parts[3]) > 10)
    goto bad;
  for (const char *p = parts[3]; *p; p++)
    if (!g_ascii_isdigit (*p) && *p != '-')
      goto bad;
  c->sort = sort;
  c->score = score;
  g_strlcpy (c->date, parts[3], sizeof c->date);
  c->doc = (gint64) doc;
  return TRUE;

bad:
  return yg_field_error_set (error, "cursor",
                             "\"cursor\" is not a cursor of this search (sort=%s); start again "
                             "without it",
                             sort == 'd' ? "date" : "relevance");
}

#define SCORE "((instr (s.title, :q) > 0) * 4 + (instr (s.names, :q) > 0) * 2 + 1)"

static void
bind_text (sqlite3_stmt *s, const char *name, const char *value)
{
  int idx = sqlite3_bind_parameter_index (s, name);

  if (idx > 0)
    sqlite3_bind_text (s, idx, value, -1, SQLITE_TRANSIENT);
}

static void
bind_int (sqlite3_stmt *s, const char *name, gint64 value)
{
  int idx = sqlite3_bind_parameter_index (s, name);

  if (idx > 0)
    sqlite3_bind_int64 (s, idx, value);
}

/**
 * yg_search_run:
 *
 * Returns: (transfer full): one page of item ids, or %NULL with @error set
 *   (YG_FIELD_ERROR for a bad query text or cursor)
 */
YgSearchPage *
yg_search_run (YgDbConn *conn, const YgSearchQuery *query, GError **error)
{
  g_autofree char *q = NULL;
  g_autofree char *match = NULL;
  g_autoptr (GString) sql = g_string_new (NULL);
  g_autoptr (YgSearchPage) page = g_new0 (YgSearchPage, 1);
  Mode mode = MODE_NONE;
  Cursor cursor = { 0 };
  gboolean have_cursor = FALSE;
  sqlite3_stmt *s;
  glong n_chars = 0;
  int rc;
  guint rows = 0;

  g_return_val_if_fail (query->limit >= 1 && query->limit <= 100, NULL);
  page->ids = g_ptr_array_new_with_free_func (g_free);

  if (query->q != NULL)
    {
      if (!g_utf8_validate (query->q, -1, NULL))
        return yg_field_error_set (error, "q", "\"q\" is not valid UTF-8"), NULL;
      q = normalize (query->q);
      g_strstrip (q);
      n_chars = g_utf8_strlen (q, -1);
      if (n_chars > YG_SEARCH_MAX_QUERY_CHARS)
        return yg_field_error_set (error, "q", "\"q\" is longer than %d characters",
                                   YG_SEARCH_MAX_QUERY_CHARS),
               NULL;
    }
  if (n_chars >= 3)
    mode = MODE_TRIGRAM;
  else if (n_chars > 0)
    {
      mode = MODE_GRAMS;
      for (const char *p = q; *p; p = g_utf8_next_char (p))
        if (!g_unichar_isalnum (g_utf8_get_char (p)))
          mode = MODE_SCAN;
    }
  if (mode == MODE_TRIGRAM || mode == MODE_GRAMS)
    {
      GString *m = g_string_new ("\"");
      for (const char *p = q; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (m, '"');
          g_string_append_c (m, *p);
        }
      g_string_append_c (m, '"');
      match = g_string_free (m, FALSE);
    }
  if (query->cursor != NULL)
    {
      if (!cursor_decode (query->cursor, query->by_date || mode == MODE_NONE ? 'd' : 'r', &cursor,
                          error))
        return NULL;
      have_cursor = TRUE;
    }

  g_string_append (sql, "SELECT s.item_id, s.date, s.doc, ");
  g_string_append (sql, mode != MODE_NONE ? SCORE : "0");
  g_string_append (sql, " FROM item_search s WHERE 1");
  if (mode == MODE_TRIGRAM)
    g_string_append (sql, " AND s.doc IN (SELECT rowid FROM item_fts WHERE item_fts MATCH :m)");
  else if (mode == MODE_GRAMS)
    g_string_append (sql, " AND s.doc IN (SELECT rowid FROM item_grams WHERE item_grams MATCH :m)");
  else if (mode == MODE_SCAN)
    g_string_append (sql, " AND (instr (s.title, :q) OR instr (s.names, :q) OR instr (s.body, :q))");
  if (query->kind)
    g_string_append (sql, " AND s.kind = :kind");
  if (query->category)
    g_string_append (sql, " AND s.category = :category");
  if (query->level)
    g_string_append (sql, " AND s.level = :level");
  if (query->region)
    g_string_append (sql, " AND s.region = :region");
  if (query->from)
    g_string_append (sql, " AND s.date >= :from");
  if (query->to)
    g_string_append (sql, " AND s.date <= :to AND s.date <> ''");
  if (query->tag)
    g_string_append (sql, " AND s.item_id IN (SELECT item_id FROM item_tags WHERE tag = :tag)");
  if (have_cursor && cursor.sort == 'r')
    g_string_append (sql, " AND (" SCORE " < :cs OR (" SCORE " = :cs AND"
                          " (s.date < :cd OR (s.date = :cd AND s.doc < :cdoc))))");
  else if (have_cursor)
    g_string_append (sql, " AND (s.date < :cd OR (s.date = :cd AND s.doc < :cdoc))");
  if (query->by_date || mode == MODE_NONE)
    g_string_append (sql, " ORDER BY s.date DESC, s.doc DESC");
  else
    g_string_append (sql, " ORDER BY 4 DESC, s.date DESC, s.doc DESC");
  g_string_append (sql, " LIMIT :limit");

  s = yg_db_conn_prepare (conn, sql->str, error);
  if (s == NULL)
    return NULL;
  bind_text (s, ":q", q);
  bind_text (s, ":m", match);
  bind_text (s, ":kind", query->kind);
  bind_text (s, ":category", query->category);
  bind_text (s, ":level", query->level);
  bind_text (s, ":region", query->region);
  bind_text (s, ":from", query->from);
  bind_text (s, ":to", query->to);
  bind_text (s, ":tag", query->tag);
  if (have_cursor)
    {
      bind_int (s, ":cs", cursor.score);
      bind_text (s, ":cd", cursor.date);
      bind_int (s, ":cdoc", cursor.doc);
    }
  bind_int (s, ":limit", query->limit + 1);
  while ((rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      if (++rows > query->limit)
        {
          sqlite3_reset (s);
          rc = SQLITE_DONE;
          break;
        }
      g_ptr_array_add (page->ids, yg_db_column_dup (s, 0));
      cursor.sort = query->by_date || mode == MODE_NONE ? 'd' : 'r';
      cursor.score = sqlite3_column_int64 (s, 3);
      g_strlcpy (cursor.date, (const char *) sqlite3_column_text (s, 1), sizeof cursor.date);
      cursor.doc = sqlite3_column_int64 (s, 2);
    }
  if (rc < 0)
    return NULL;
  if (rows > query->limit)
    page->next_cursor = cursor_encode (&cursor);
  return g_steal_pointer (&page);
}

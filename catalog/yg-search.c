/* yg-search.c: the item search index and queries over it.
 *
 * item_search holds one row per item: its filter values (kind, category,
 * level, region) under a key "doc" = (recorded day << 32 | seq), where seq
 * is given once per item; so doc order is recorded-date order (unknown dates
 * are day 0, last) and a date range is a doc range. item_search_tags repeats
 * the item's tags under its doc. item_text holds the lower-cased text under
 * the same doc: title; names (tags, performers, troupe, heritage project,
 * inheritors, venue, region); body (description, programme); and the
 * distinct 1- and 2-character substrings of title (tgrams) and of names
 * (ngrams). Four FTS5 tables index it: trigram over titles (item_title_fts)
 * and over names + body (item_fts) answer queries of 3 characters or more as
 * substrings; trigrams cannot answer 1- and 2-character queries (昆曲, 舞), so
 * unicode61 tables index each title gram and name gram as one token
 * (item_title_grams, item_grams) and such a query is one token lookup.
 * Descriptions are left out of the gram indexes on purpose (their grams would
 * multiply the size; short queries are genres, crafts and names, which live in
 * titles, tags and names). A short query containing a character that
 * unicode61 splits on (punctuation, e.g. 《牡) looks up the grams of its
 * letters and checks the substring on those candidates only; punctuation
 * alone finds nothing.
 * The FTS tables use item_text as external content and are changed here, in
 * the caller's transaction, whenever item_text changes (triggers cannot write
 * FTS5 tables while trusted_schema is off).
 * Order: by date is doc descending, which every FTS table yields directly
 * (rowid order): a page merges the title and the other stream and stops after
 * `limit` hits however common the term. By relevance: tiers of a score that
 * depends only on the row (title 3, names 2, body only 1), each tier one FTS
 * query in doc order minus the title matches. Titles have their own index so
 * a term frequent in names but absent from titles costs nothing in the title
 * tier. The keyset cursor (sort, score, doc) is stable under inserts: a new
 * item lands before or after it, never shifts a page.
 * Thread: the DB thread (YgDbConn).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-search.h"

#include "yg-visibility.h"

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
  g_string_append (s, (const char *)text);
}

/* The FTS5 tables over item_text: name and the item_text columns they index. */
static const struct
{
  const char *table;
  const char *columns;
  const char *values;
} fts_tables[] = {
  { "item_title_fts", "title", "?2" },
  { "item_fts", "names, body", "?3, ?4" },
  { "item_title_grams", "tgrams", "?5" },
  { "item_grams", "ngrams", "?6" },
};

/* Adds (or with @del removes) the index entries of one item_text row. */
static gboolean
fts_write (YgDbConn *conn, gboolean del, gint64 doc, const char *const text[5], GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (fts_tables); i++)
    {
      g_autofree char *sql = NULL;
      sqlite3_stmt *s;

      if (del)
        sql = g_strdup_printf ("INSERT INTO %s (%s, rowid, %s) VALUES ('delete', ?1, %s)",
                               fts_tables[i].table, fts_tables[i].table, fts_tables[i].columns,
                               fts_tables[i].values);
      else
        sql = g_strdup_printf ("INSERT INTO %s (rowid, %s) VALUES (?1, %s)", fts_tables[i].table,
                               fts_tables[i].columns, fts_tables[i].values);
      s = yg_db_conn_prepare (conn, sql, error);
      if (s == NULL)
        return FALSE;
      sqlite3_bind_int64 (s, 1, doc);
      for (int c = 0; c < 5; c++) /* parameters a statement lacks are refused harmlessly */
        sqlite3_bind_text (s, c + 2, text[c], -1, SQLITE_TRANSIENT);
      if (!yg_db_conn_step_done (conn, s, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
fts_delete (YgDbConn *conn, gint64 doc, GError **error)
{
  sqlite3_stmt *old = yg_db_conn_prepare (
      conn, "SELECT title, names, body, tgrams, ngrams FROM item_text WHERE doc = ?1", error);
  char *text[5] = { NULL };
  int rc;

  if (old == NULL)
    return FALSE;
  sqlite3_bind_int64 (old, 1, doc);
  rc = yg_db_conn_step (conn, old, error);
  if (rc != SQLITE_ROW)
    return rc == SQLITE_DONE;
  for (int i = 0; i < 5; i++)
    text[i] = yg_db_column_dup (old, i);
  sqlite3_reset (old);
  {
    gboolean ok = fts_write (conn, TRUE, doc, (const char *const *)text, error);
    for (int i = 0; i < 5; i++)
      g_free (text[i]);
    return ok;
  }
}

/* The item's doc and seq; *doc = 0 when it has no search row. */
static gboolean
find_doc (YgDbConn *conn, const char *item_id, gint64 *doc, gint64 *seq, GError **error)
{
  sqlite3_stmt *s
      = yg_db_conn_prepare (conn, "SELECT doc, seq FROM item_search WHERE item_id = ?1", error);
  int rc;

  *doc = *seq = 0;
  if (s == NULL)
    return FALSE;
  sqlite3_bind_text (s, 1, item_id, -1, SQLITE_TRANSIENT);
  rc = yg_db_conn_step (conn, s, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      *doc = sqlite3_column_int64 (s, 0);
      *seq = sqlite3_column_int64 (s, 1);
      sqlite3_reset (s);
    }
  return TRUE;
}

static gboolean
drop_doc (YgDbConn *conn, gint64 doc, GError **error)
{
  static const char *const sql[]
      = { "DELETE FROM item_text WHERE doc = ?1", "DELETE FROM item_search_tags WHERE doc = ?1",
          "DELETE FROM item_search WHERE doc = ?1" };

  if (!fts_delete (conn, doc, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (sql); i++)
    {
      sqlite3_stmt *s = yg_db_conn_prepare (conn, sql[i], error);
      if (s == NULL)
        return FALSE;
      sqlite3_bind_int64 (s, 1, doc);
      if (!yg_db_conn_step_done (conn, s, error))
        return FALSE;
    }
  return TRUE;
}

/* Days since 0001-01-01 (1-based) of a YYYY-MM-DD date; 0 when unknown. */
static gint64
day_of (const char *date)
{
  guint64 y, m, d;

  if (date == NULL || strlen (date) != 10 || date[4] != '-' || date[7] != '-')
    return 0;
  y = g_ascii_strtoull (date, NULL, 10);
  m = g_ascii_strtoull (date + 5, NULL, 10);
  d = g_ascii_strtoull (date + 8, NULL, 10);
  if (y < 1 || y > 9999 || !g_date_valid_dmy (d, m, y))
    return 0;
  {
    GDate gd;
    g_date_clear (&gd, 1);
    g_date_set_dmy (&gd, d, m, y);
    return g_date_get_julian (&gd);
  }
}

#define DOC(day, seq) (((gint64)(day) << 32) | (seq))
#define DOC_MAX_SEQ G_GINT64_CONSTANT (0xffffffff)

static void
bind_or_null (sqlite3_stmt *s, int idx, const char *value)
{
  if (value != NULL)
    sqlite3_bind_text (s, idx, value, -1, SQLITE_TRANSIENT);
}

/**
 * yg_search_index_item:
 *
 * (Re)builds the search rows of an item from the catalogue. Call it inside
 * the transaction that changed the item, its tags or its inheritors.
 */
gboolean
yg_search_index_item (YgDbConn *conn, const char *item_id, GError **error)
{
  sqlite3_stmt *src = yg_db_conn_prepare (
      conn,
      "SELECT i.kind, i.category, i.level, i.region, i.recorded_date, i.title,"
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
  g_autofree char *title = NULL, *names_n = NULL, *body_n = NULL, *tgrams = NULL, *ngrams = NULL;
  g_autofree char *kind = NULL, *category = NULL, *level = NULL, *region = NULL;
  sqlite3_stmt *w;
  gint64 doc, seq, day;
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
  day = day_of ((const char *)sqlite3_column_text (src, 4));
  title = normalize ((const char *)sqlite3_column_text (src, 5));
  append_part (body, sqlite3_column_text (src, 6));
  for (int col = 7; col <= 13; col++)
    append_part (names, sqlite3_column_text (src, col));
  append_part (body, sqlite3_column_text (src, 14));
  append_part (body, sqlite3_column_text (src, 15));
  sqlite3_reset (src);
  names_n = normalize (names->str);
  body_n = normalize (body->str);
  tgrams = yg_search_grams (title);
  ngrams = yg_search_grams (names_n);

  if (!find_doc (conn, item_id, &doc, &seq, error))
    return FALSE;
  if (doc != 0 && !drop_doc (conn, doc, error))
    return FALSE;
  if (seq == 0)
    {
      w = yg_db_conn_prepare (conn, "SELECT IFNULL (MAX (seq), 0) + 1 FROM item_search", error);
      if (w == NULL || yg_db_conn_step (conn, w, error) != SQLITE_ROW)
        return FALSE;
      seq = sqlite3_column_int64 (w, 0);
      sqlite3_reset (w);
      if (seq > DOC_MAX_SEQ)
        {
          g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_FULL, "The search index is out of numbers");
          return FALSE;
        }
    }
  doc = DOC (day, seq);

  w = yg_db_conn_prepare (
      conn,
      "INSERT INTO item_search (doc, seq, item_id, kind, category, level, region)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      error);
  if (w == NULL)
    return FALSE;
  sqlite3_bind_int64 (w, 1, doc);
  sqlite3_bind_int64 (w, 2, seq);
  sqlite3_bind_text (w, 3, item_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (w, 4, kind, -1, SQLITE_STATIC);
  bind_or_null (w, 5, category);
  bind_or_null (w, 6, level);
  bind_or_null (w, 7, region);
  if (!yg_db_conn_step_done (conn, w, error))
    return FALSE;

  w = yg_db_conn_prepare (conn,
                          "INSERT INTO item_text (doc, title, names, body, tgrams, ngrams)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                          error);
  if (w == NULL)
    return FALSE;
  sqlite3_bind_int64 (w, 1, doc);
  sqlite3_bind_text (w, 2, title, -1, SQLITE_STATIC);
  sqlite3_bind_text (w, 3, names_n, -1, SQLITE_STATIC);
  sqlite3_bind_text (w, 4, body_n, -1, SQLITE_STATIC);
  sqlite3_bind_text (w, 5, tgrams, -1, SQLITE_STATIC);
  sqlite3_bind_text (w, 6, ngrams, -1, SQLITE_STATIC);
  if (!yg_db_conn_step_done (conn, w, error))
    return FALSE;

  w = yg_db_conn_prepare (conn,
                          "INSERT INTO item_search_tags (tag, doc)"
                          " SELECT tag, ?2 FROM item_tags WHERE item_id = ?1",
                          error);
  if (w == NULL)
    return FALSE;
  sqlite3_bind_text (w, 1, item_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (w, 2, doc);
  if (!yg_db_conn_step_done (conn, w, error))
    return FALSE;
  {
    const char *const text[5] = { title, names_n, body_n, tgrams, ngrams };
    return fts_write (conn, FALSE, doc, text, error);
  }
}

/**
 * yg_search_remove_item:
 *
 * Drops an item's search rows and index entries (before deleting the item).
 */
gboolean
yg_search_remove_item (YgDbConn *conn, const char *item_id, GError **error)
{
  gint64 doc, seq;

  if (!find_doc (conn, item_id, &doc, &seq, error))
    return FALSE;
  return doc == 0 || drop_doc (conn, doc, error);
}

/* --- queries ------------------------------------------------------------- */

typedef enum
{
  MODE_NONE,
  MODE_TRIGRAM,
  MODE_GRAMS,
  MODE_FILTERED, /* 1-2 characters with punctuation: grams of the rest, then a substring check */
} Mode;

/**
 * yg_search_cursor_encode:
 *
 * Returns: (transfer full): the opaque next_cursor text for @c
 */
char *
yg_search_cursor_encode (const YgSearchCursor *c)
{
  g_autofree char *raw
      = g_strdup_printf ("2|%c|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT, c->sort, c->score, c->doc);
  char *b64 = g_base64_encode ((const guchar *)raw, strlen (raw));

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

/**
 * yg_search_cursor_decode:
 * @sort: 'd' (by date) or 'r' (relevance): the search the cursor must come from
 *
 * Returns: %FALSE with a field error "cursor" for anything
 *   yg_search_cursor_encode did not make for @sort
 */
gboolean
yg_search_cursor_decode (const char *text, char sort, YgSearchCursor *c, GError **error)
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
  str = g_strndup ((const char *)raw, n);
  parts = g_strsplit (str, "|", -1);
  if (g_strv_length (parts) != 4 || !g_str_equal (parts[0], "2") || parts[1][0] != sort
      || parts[1][1] != '\0')
    goto bad;
  if (!g_ascii_string_to_signed (parts[2], 10, 0, 7, &score, NULL)
      || !g_ascii_string_to_unsigned (parts[3], 10, 1, G_MAXINT64, &doc, NULL))
    goto bad;
  c->sort = sort;
  c->score = score;
  c->doc = (gint64)doc;
  return TRUE;

bad:
  return yg_field_error_set (error, "cursor",
                             "\"cursor\" is not a cursor of this search (sort=%s); start again "
                             "without it",
                             sort == 'd' ? "date" : "relevance");
}

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

/* The filters shared by every query shape; @key is the doc expression. */
static void
append_filters (GString *sql, const YgSearchQuery *q, const char *key, gboolean tag_done)
{
  if (q->kind)
    g_string_append (sql, " AND s.kind = :kind");
  if (q->category)
    g_string_append (sql, " AND s.category = :category");
  if (q->level)
    g_string_append (sql, " AND s.level = :level");
  if (q->region)
    g_string_append (sql, " AND s.region = :region");
  if (q->from || q->to)
    g_string_append_printf (sql, " AND %s BETWEEN :lo AND :hi", key);
  if (q->tag && !tag_done)
    g_string_append (sql, " AND EXISTS (SELECT 1 FROM item_search_tags g"
                          " WHERE g.tag = :tag AND g.doc = s.doc)");
  if (q->visible != 0)
    g_string_append (sql, " AND (SELECT i.visibility FROM items i WHERE i.id = s.item_id)"
                          " IN (:vis0, :vis1, :vis2, :vis3)");
}

static void
bind_filters (sqlite3_stmt *s, const YgSearchQuery *q)
{
  bind_text (s, ":kind", q->kind);
  bind_text (s, ":category", q->category);
  bind_text (s, ":level", q->level);
  bind_text (s, ":region", q->region);
  bind_text (s, ":tag", q->tag);
  if (q->visible != 0)
    {
      /* Unused slots repeat an allowed value. */
      const char *names[] = { ":vis0", ":vis1", ":vis2", ":vis3" };
      const char *first = NULL;
      guint slot = 0;

      for (YgVisibility v = YG_VISIBILITY_PUBLIC; v <= YG_VISIBILITY_STAFF; v++)
        if (q->visible & (1u << v))
          {
            first = first ? first : yg_visibility_to_string (v);
            bind_text (s, names[slot++], yg_visibility_to_string (v));
          }
      while (slot < G_N_ELEMENTS (names))
        bind_text (s, names[slot++], first);
    }
  if (q->from || q->to)
    {
      gint64 lo = q->from ? day_of (q->from) : 1, hi = q->to ? day_of (q->to) : 9999 * 366;
      bind_int (s, ":lo", DOC (MAX (lo, 1), 0));
      bind_int (s, ":hi", DOC (hi, DOC_MAX_SEQ));
    }
}

/* Steps a page query whose rows are (item_id, doc[, score]) into the page. */
static gboolean
collect (YgDbConn *conn, sqlite3_stmt *s, YgSearchPage *page, GArray *keys, guint want,
         gint64 score, char sort, GError **error)
{
  int rc;

  while (page->ids->len < want && (rc = yg_db_conn_step (conn, s, error)) == SQLITE_ROW)
    {
      YgSearchCursor key
          = { sort, score >= 0 ? score : sqlite3_column_int64 (s, 2), sqlite3_column_int64 (s, 1) };
      g_ptr_array_add (page->ids, yg_db_column_dup (s, 0));
      g_array_append_val (keys, key);
    }
  if (page->ids->len >= want)
    {
      sqlite3_reset (s);
      return TRUE;
    }
  return rc >= 0;
}

/* One FTS query: rows of @table matching @expr (@ = the quoted phrase), less
 * those of @except matching the phrase, filtered, in doc order. */
typedef struct
{
  gint64 score;
  const char *table;
  const char *expr;
  const char *except;
  const char *extra; /* nullable: one more condition on the row */
} Stream;

#define TITLE_HAS "instr ((SELECT title FROM item_text WHERE doc = f.rowid), :q)"
#define NAMES_HAS "instr ((SELECT names FROM item_text WHERE doc = f.rowid), :q)"

/* Relevance: title 3, names 2, body only 1; each tier in doc order. Date
 * order merges the first two streams of each list with "except" ignored. */
static const Stream trigram_tiers[] = {
  { 3, "item_title_fts", "@", NULL, NULL },
  { 2, "item_fts", "names : @", "item_title_fts", NULL },
  { 1, "item_fts", "(body : @) NOT (names : @)", "item_title_fts", NULL },
};
static const Stream trigram_by_date[] = {
  { 0, "item_title_fts", "@", NULL, NULL },
  { 0, "item_fts", "@", NULL, NULL },
};
static const Stream gram_tiers[] = {
  { 3, "item_title_grams", "@", NULL, NULL },
  { 2, "item_grams", "@", "item_title_grams", NULL },
};
static const Stream gram_by_date[] = {
  { 0, "item_title_grams", "@", NULL, NULL },
  { 0, "item_grams", "@", NULL, NULL },
};
/* @ is every letter or digit of the query as a token, ANDed; the substring
 * itself is then checked on the few candidate rows. */
static const Stream filtered_tiers[] = {
  { 3, "item_title_grams", "@", NULL, TITLE_HAS },
  { 2, "item_grams", "@", NULL, NAMES_HAS " AND NOT " TITLE_HAS },
};
static const Stream filtered_by_date[] = {
  { 0, "item_title_grams", "@", NULL, TITLE_HAS },
  { 0, "item_grams", "@", NULL, NAMES_HAS },
};

static sqlite3_stmt *
stream_prepare (YgDbConn *conn, const Stream *st, const YgSearchQuery *q, const char *text,
                const char *phrase, gboolean after, gint64 cursor_doc, guint limit, GError **error)
{
  g_autoptr (GString) sql = g_string_new (NULL);
  g_auto (GStrv) parts = g_strsplit (st->expr, "@", -1);
  g_autofree char *match = g_strjoinv (phrase, parts);
  sqlite3_stmt *s;

  g_string_append_printf (sql,
                          "SELECT s.item_id, f.rowid FROM %s f CROSS JOIN item_search s"
                          " ON s.doc = f.rowid WHERE %s MATCH :m",
                          st->table, st->table);
  if (st->except != NULL)
    g_string_append_printf (sql, " AND f.rowid NOT IN (SELECT rowid FROM %s WHERE %s MATCH :p)",
                            st->except, st->except);
  if (st->extra != NULL)
    g_string_append_printf (sql, " AND %s", st->extra);
  append_filters (sql, q, "f.rowid", FALSE);
  if (after)
    g_string_append (sql, " AND f.rowid < :cdoc");
  g_string_append (sql, " ORDER BY f.rowid DESC LIMIT :limit");
  s = yg_db_conn_prepare (conn, sql->str, error);
  if (s == NULL)
    return NULL;
  bind_text (s, ":m", match);
  bind_text (s, ":p", phrase);
  bind_text (s, ":q", text);
  bind_filters (s, q);
  bind_int (s, ":cdoc", cursor_doc);
  bind_int (s, ":limit", limit);
  return s;
}

/* Date order over two streams (titles, the rest): a merge of two
 * descending doc sequences, an item found by both counted once. */
static gboolean
merge_by_date (YgDbConn *conn, const Stream st[2], const YgSearchQuery *q, const char *text,
               const char *phrase, const YgSearchCursor *cursor, YgSearchPage *page, GArray *keys,
               guint want, GError **error)
{
  sqlite3_stmt *s[2] = { NULL, NULL };
  int rc[2];

  for (int i = 0; i < 2; i++)
    {
      s[i] = stream_prepare (conn, &st[i], q, text, phrase, cursor != NULL,
                             cursor ? cursor->doc : 0, want, error);
      if (s[i] == NULL || (rc[i] = yg_db_conn_step (conn, s[i], error)) < 0)
        goto fail;
    }
  while (page->ids->len < want && (rc[0] == SQLITE_ROW || rc[1] == SQLITE_ROW))
    {
      gint64 d0 = rc[0] == SQLITE_ROW ? sqlite3_column_int64 (s[0], 1) : -1;
      gint64 d1 = rc[1] == SQLITE_ROW ? sqlite3_column_int64 (s[1], 1) : -1;
      int take = d0 >= d1 ? 0 : 1;
      YgSearchCursor key = { 'd', 0, MAX (d0, d1) };

      g_ptr_array_add (page->ids, yg_db_column_dup (s[take], 0));
      g_array_append_val (keys, key);
      for (int i = 0; i < 2; i++)
        if (rc[i] == SQLITE_ROW && sqlite3_column_int64 (s[i], 1) == key.doc
            && (rc[i] = yg_db_conn_step (conn, s[i], error)) < 0)
          goto fail;
    }
  sqlite3_reset (s[0]);
  sqlite3_reset (s[1]);
  return TRUE;

fail:
  for (int i = 0; i < 2; i++)
    if (s[i] != NULL)
      sqlite3_reset (s[i]);
  return FALSE;
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
  g_autofree char *phrase = NULL;
  g_autoptr (YgSearchPage) page = g_new0 (YgSearchPage, 1);
  g_autoptr (GArray) keys = g_array_new (FALSE, FALSE, sizeof (YgSearchCursor));
  Mode mode = MODE_NONE;
  YgSearchCursor cursor = { 0 };
  gboolean have_cursor = FALSE, by_date;
  glong n_chars = 0;
  guint want = query->limit + 1;
  char sort;

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
          mode = MODE_FILTERED;
    }
  by_date = query->by_date || mode == MODE_NONE;
  sort = by_date ? 'd' : 'r';
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
      phrase = g_string_free (m, FALSE);
    }
  else if (mode == MODE_FILTERED)
    {
      GString *m = g_string_new (NULL);
      for (const char *p = q; *p; p = g_utf8_next_char (p))
        if (g_unichar_isalnum (g_utf8_get_char (p)))
          g_string_append_printf (m, "%s\"%.*s\"", m->len ? " AND " : "",
                                  (int)(g_utf8_next_char (p) - p), p);
      if (m->len == 0) /* punctuation only: it names nothing */
        {
          g_string_free (m, TRUE);
          return g_steal_pointer (&page);
        }
      phrase = g_string_free (m, FALSE);
    }
  if (query->cursor != NULL)
    {
      if (!yg_search_cursor_decode (query->cursor, sort, &cursor, error))
        return NULL;
      have_cursor = TRUE;
    }

  if (mode == MODE_NONE)
    {
      g_autoptr (GString) sql = g_string_new (NULL);
      gboolean by_tag = query->tag != NULL;
      const char *key = by_tag ? "g.doc" : "s.doc";
      sqlite3_stmt *s;

      if (by_tag) /* walk the tag's docs, newest first */
        g_string_append (sql, "SELECT s.item_id, s.doc FROM item_search_tags g"
                              " CROSS JOIN item_search s ON s.doc = g.doc WHERE g.tag = :tag");
      else
        g_string_append (sql, "SELECT s.item_id, s.doc FROM item_search s WHERE 1");
      append_filters (sql, query, key, by_tag);
      if (have_cursor)
        g_string_append_printf (sql, " AND %s < :cdoc", key);
      g_string_append_printf (sql, " ORDER BY %s DESC LIMIT :limit", key);
      s = yg_db_conn_prepare (conn, sql->str, error);
      if (s == NULL)
        return NULL;
      bind_filters (s, query);
      bind_int (s, ":cdoc", cursor.doc);
      bind_int (s, ":limit", want);
      if (!collect (conn, s, page, keys, want, 0, sort, error))
        return NULL;
    }
  else
    {
      const Stream *tiers = mode == MODE_TRIGRAM ? trigram_tiers
                            : mode == MODE_GRAMS ? gram_tiers
                                                 : filtered_tiers;
      const Stream *dated = mode == MODE_TRIGRAM ? trigram_by_date
                            : mode == MODE_GRAMS ? gram_by_date
                                                 : filtered_by_date;
      guint n_tiers = mode == MODE_TRIGRAM ? G_N_ELEMENTS (trigram_tiers) : 2;

      if (by_date)
        {
          if (!merge_by_date (conn, dated, query, q, phrase, have_cursor ? &cursor : NULL, page,
                              keys, want, error))
            return NULL;
        }
      else
        for (guint t = 0; t < n_tiers && page->ids->len < want; t++)
          {
            gboolean same_tier = have_cursor && tiers[t].score == cursor.score;
            sqlite3_stmt *s;

            if (have_cursor && tiers[t].score > cursor.score)
              continue;
            s = stream_prepare (conn, &tiers[t], query, q, phrase, same_tier, cursor.doc,
                                want - page->ids->len, error);
            if (s == NULL || !collect (conn, s, page, keys, want, tiers[t].score, sort, error))
              return NULL;
          }
    }

  if (page->ids->len > query->limit)
    {
      g_ptr_array_set_size (page->ids, query->limit);
      page->next_cursor
          = yg_search_cursor_encode (&g_array_index (keys, YgSearchCursor, query->limit - 1));
    }
  return g_steal_pointer (&page);
}

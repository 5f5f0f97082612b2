/* metadata-test.c: item metadata, inheritors and search in the catalogue (suite "db").
 *
 * Real SQLite files in a temporary directory, nothing mocked. Covered: each
 * kind's metadata round trip (Chinese, emoji, HTML kept as text), refusal of
 * fields that do not fit the kind with nothing written, chapters against a
 * known duration, inheritors (create, update, delete, links, heritage only),
 * the search index (1-, 2-, 3- and 5-character Chinese substrings, Latin
 * case folding, punctuation in short queries, each filter alone and
 * combined, date and relevance order, a cursor walk that sees every item
 * exactly once while new items arrive, the index following updates, links,
 * renames and deletions, FTS5 integrity checks) and the migration that
 * indexes items of an older catalogue.
 * Test bodies run on YgDb's DB thread (on_db) and use the stores directly.
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "yg-test-util.h"
#include "yg-db.h"
#include "yg-field-error.h"
#include "yg-inheritor-store.h"
#include "yg-item-meta-store.h"
#include "yg-item-store.h"
#include "yg-migrations.h"
#include "yg-search.h"

typedef struct
{
  char *tmp;
  char *db_path;
  YgDb *db;
} Fixture;


static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->tmp = g_dir_make_tmp ("yg-metadata-test-XXXXXX", &error);
  g_assert_no_error (error);
  f->db_path = g_build_filename (f->tmp, "catalog.db", NULL);
  if (data == NULL)
    {
      f->db = yg_db_open (f->db_path, &error);
      g_assert_no_error (error);
    }
}

static gpointer
noop (YgDbConn *conn, gpointer data, GError **error)
{
  return NULL;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->db != NULL)
    {
      yg_db_run_sync (f->db, noop, NULL, NULL);
      g_clear_object (&f->db);
    }
  yg_test_rm_rf (f->tmp);
  g_free (f->db_path);
  g_free (f->tmp);
}

typedef void (*Body) (YgDbConn *conn);

static gpointer
run_body (YgDbConn *conn, gpointer data, GError **error)
{
  ((Body)data) (conn);
  return NULL;
}

static void
on_db (Fixture *f, Body body)
{
  g_autoptr (GError) error = NULL;

  yg_db_run_sync (f->db, run_body, body, &error);
  g_assert_no_error (error);
}

/* --- helpers (DB thread) ------------------------------------------------- */

static gint64
count (YgDbConn *conn, const char *sql)
{
  sqlite3_stmt *s = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_prepare_v2 (yg_db_conn_get_handle (conn), sql, -1, &s, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  return n;
}

static void
assert_index_intact (YgDbConn *conn)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (yg_db_conn_exec (
      conn,
      "INSERT INTO item_fts (item_fts, rank) VALUES ('integrity-check', 1);"
      "INSERT INTO item_title_fts (item_title_fts, rank) VALUES ('integrity-check', 1);"
      "INSERT INTO item_grams (item_grams, rank) VALUES ('integrity-check', 1);"
      "INSERT INTO item_title_grams (item_title_grams, rank) VALUES ('integrity-check', 1);",
      &error));
  g_assert_no_error (error);
  g_assert_cmpint (count (conn, "SELECT count(*) FROM items"), ==,
                   count (conn, "SELECT count(*) FROM item_search"));
  g_assert_cmpint (count (conn, "SELECT count(*) FROM items"), ==,
                   count (conn, "SELECT count(*) FROM item_text"));
  g_assert_cmpint (count (conn, "SELECT count(*) FROM item_tags"), ==,
                   count (conn, "SELECT count(*) FROM item_search_tags"));
}

static char *
new_item (YgDbConn *conn, const char *kind, const char *title)
{
  g_autoptr (GError) error = NULL;
  char *id = yg_item_store_insert (conn, NULL, kind, title, "", &error);

  g_assert_no_error (error);
  return id;
}

static void
patch (YgDbConn *conn, const char *id, YgItemMeta *m)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (yg_item_meta_store_update (conn, id, m, FALSE, &error));
  g_assert_no_error (error);
}

static YgItemMeta *
meta_with (guint32 set)
{
  YgItemMeta *m = yg_item_meta_new ();

  m->set = set;
  return m;
}

static void
add_tags (YgItemMeta *m, const char *const *tags)
{
  m->set |= YG_META_TAGS;
  for (guint i = 0; tags[i] != NULL; i++)
    g_ptr_array_add (m->tags, g_strdup (tags[i]));
}

/* Runs a search and returns the titles of the page, joined with "|". */
static char *
titles_of (YgDbConn *conn, const YgSearchQuery *q, char **next)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (YgSearchPage) page = yg_search_run (conn, q, &error);
  GString *out = g_string_new (NULL);

  g_assert_no_error (error);
  g_assert_nonnull (page);
  for (guint i = 0; i < page->ids->len; i++)
    {
      g_autoptr (YgItem) item = yg_item_store_get (conn, page->ids->pdata[i], &error);
      g_assert_no_error (error);
      g_string_append_printf (out, "%s%s", i ? "|" : "", item->title);
    }
  if (next != NULL)
    *next = g_strdup (page->next_cursor);
  return g_string_free (out, FALSE);
}

static char *
find (YgDbConn *conn, const char *q)
{
  YgSearchQuery query = { .q = q, .limit = 100 };

  return titles_of (conn, &query, NULL);
}

/* --- round trips --------------------------------------------------------- */

static void
body_round_trip (YgDbConn *conn)
{
  g_autofree char *perf = new_item (conn, "performance", "临时标题");
  g_autofree char *her = new_item (conn, "heritage", "剪纸");
  g_autofree char *les = new_item (conn, "lesson", "课");
  g_autoptr (YgItemMeta) p = meta_with (G_MAXUINT32 & ~(YG_META_HERITAGE_FIELDS | YG_META_TAGS));
  g_autoptr (YgItemMeta) h = meta_with (G_MAXUINT32 & ~(YG_META_PERFORMANCE_FIELDS | YG_META_TAGS));
  g_autoptr (YgItemMeta) l = meta_with (YG_META_TITLE | YG_META_DESCRIPTION | YG_META_LANGUAGE);
  g_autoptr (YgItemMeta) back = NULL;
  g_autoptr (GError) error = NULL;
  static const char *const ptags[] = { "昆曲", "戏曲 名段", NULL };

  p->title = g_strdup ("昆曲《牡丹亭·游园惊梦》🎭 <script>alert(1)</script>");
  p->description = g_strdup ("苏州昆剧院演出，\n含“皂罗袍”。 & <b>粗体</b>");
  p->language = g_strdup ("zh-CN");
  p->recorded_date = g_strdup ("2023-05-01");
  p->venue = g_strdup ("苏州市文化馆 小剧场");
  p->troupe = g_strdup ("江苏省苏州昆剧院");
  p->performers = g_strdup ("[\"张继青\",\"沈丰英\"]");
  p->performance_date = g_strdup ("2023-04-30");
  p->programme = g_strdup ("[{\"title\":\"游园\",\"performers\":[\"沈丰英\"],\"start\":0},"
                           "{\"title\":\"惊梦\",\"performers\":[],\"start\":612.5}]");
  add_tags (p, ptags);
  patch (conn, perf, p);
  back = yg_item_meta_store_get (conn, perf, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->kind, ==, "performance");
  g_assert_cmpstr (back->title, ==, p->title);
  g_assert_cmpstr (back->description, ==, p->description);
  g_assert_cmpstr (back->language, ==, "zh-CN");
  g_assert_cmpstr (back->recorded_date, ==, "2023-05-01");
  g_assert_cmpstr (back->venue, ==, p->venue);
  g_assert_cmpstr (back->troupe, ==, p->troupe);
  g_assert_cmpstr (back->performers, ==, p->performers);
  g_assert_cmpstr (back->performance_date, ==, "2023-04-30");
  g_assert_cmpstr (back->programme, ==, p->programme);
  g_assert_cmpuint (back->tags->len, ==, 2);
  g_assert_cmpstr (back->tags->pdata[0], ==, "昆曲");
  g_assert_cmpstr (back->tags->pdata[1], ==, "戏曲 名段");
  g_assert_null (back->project_name);
  g_clear_pointer (&back, yg_item_meta_free);

  h->title = g_strdup ("蔚县剪纸 🧧");
  h->description = g_strdup ("");
  h->language = g_strdup ("zh-Hans-CN");
  h->recorded_date = g_strdup ("2021-06-06");
  h->venue = NULL; /* cleared */
  h->project_name = g_strdup ("蔚县剪纸");
  h->category = g_strdup ("traditional_art");
  h->level = g_strdup ("national");
  h->region = g_strdup ("河北省张家口市蔚县");
  patch (conn, her, h);
  back = yg_item_meta_store_get (conn, her, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->title, ==, "蔚县剪纸 🧧");
  g_assert_cmpstr (back->project_name, ==, "蔚县剪纸");
  g_assert_cmpstr (back->category, ==, "traditional_art");
  g_assert_cmpstr (back->level, ==, "national");
  g_assert_cmpstr (back->region, ==, h->region);
  g_assert_null (back->venue);
  g_assert_null (back->performers);
  g_clear_pointer (&back, yg_item_meta_free);

  l->title = g_strdup ("少儿舞蹈基础 第3课");
  l->description = NULL; /* null description: stored as "" */
  l->language = g_strdup ("en");
  patch (conn, les, l);
  back = yg_item_meta_store_get (conn, les, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->title, ==, "少儿舞蹈基础 第3课");
  g_assert_cmpstr (back->description, ==, "");
  g_assert_cmpstr (back->language, ==, "en");
  assert_index_intact (conn);
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  on_db (f, body_round_trip);
}

static void
body_wrong_kind (YgDbConn *conn)
{
  g_autofree char *les = new_item (conn, "lesson", "原标题");
  g_autofree char *her = new_item (conn, "heritage", "非遗");
  g_autoptr (YgItemMeta) m = meta_with (YG_META_TITLE | YG_META_TROUPE);
  g_autoptr (YgItemMeta) m2 = meta_with (YG_META_TITLE | YG_META_PERFORMERS);
  g_autoptr (YgItemMeta) m3 = meta_with (YG_META_TITLE | YG_META_CATEGORY);
  g_autoptr (YgItemMeta) back = NULL;
  g_autoptr (GError) error = NULL;

  m->title = g_strdup ("新标题");
  m->troupe = g_strdup ("剧团");
  g_assert_false (yg_item_meta_store_update (conn, les, m, FALSE, &error));
  g_assert_error (error, YG_FIELD_ERROR, YG_FIELD_ERROR_INVALID);
  g_assert_cmpstr (yg_field_error_get_field (error), ==, "troupe");
  g_clear_error (&error);
  m2->title = g_strdup ("新标题");
  m2->performers = g_strdup ("[]");
  g_assert_false (yg_item_meta_store_update (conn, her, m2, FALSE, &error));
  g_assert_cmpstr (yg_field_error_get_field (error), ==, "performers");
  g_clear_error (&error);
  m3->title = g_strdup ("新标题");
  m3->category = g_strdup ("quyi");
  g_assert_false (yg_item_meta_store_update (conn, les, m3, FALSE, &error));
  g_assert_cmpstr (yg_field_error_get_field (error), ==, "category");
  g_clear_error (&error);
  /* nothing written */
  back = yg_item_meta_store_get (conn, les, &error);
  g_assert_cmpstr (back->title, ==, "原标题");
  g_clear_pointer (&back, yg_item_meta_free);
  back = yg_item_meta_store_get (conn, her, &error);
  g_assert_cmpstr (back->title, ==, "非遗");
  g_assert_false (yg_item_meta_store_update (conn, "nosuchitem", m, FALSE, &error));
  g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND);
  g_assert_cmpint (count (conn, "SELECT count(*) FROM item_text WHERE title = '新标题'"), ==, 0);
}

static void
test_wrong_kind (Fixture *f, gconstpointer data)
{
  on_db (f, body_wrong_kind);
}

static void
body_chapters (YgDbConn *conn)
{
  g_autofree char *id = new_item (conn, "lesson", "课");
  g_autoptr (GArray) ch = yg_chapters_new ();
  g_autoptr (YgItemMeta) back = NULL;
  g_autoptr (GError) error = NULL;
  YgChapter a = { g_strdup ("开场"), 0 }, b = { g_strdup ("示范 🎨"), 95.5 },
            c = { g_strdup ("尾声"), 300 };
  sqlite3_stmt *s;

  g_array_append_val (ch, a);
  g_array_append_val (ch, b);
  g_assert_true (yg_item_meta_store_set_chapters (conn, id, ch, &error));
  g_assert_no_error (error);
  back = yg_item_meta_store_get (conn, id, &error);
  g_assert_cmpuint (back->chapters->len, ==, 2);
  g_assert_cmpstr (g_array_index (back->chapters, YgChapter, 1).title, ==, "示范 🎨");
  g_assert_cmpfloat (g_array_index (back->chapters, YgChapter, 1).start, ==, 95.5);
  g_clear_pointer (&back, yg_item_meta_free);

  /* a known duration bounds the chapters; a refused list leaves the old one */
  s = yg_db_conn_prepare (conn, "UPDATE items SET duration = 200 WHERE id = ?1", &error);
  sqlite3_bind_text (s, 1, id, -1, SQLITE_STATIC);
  g_assert_true (yg_db_conn_step_done (conn, s, &error));
  g_array_append_val (ch, c);
  g_assert_false (yg_item_meta_store_set_chapters (conn, id, ch, &error));
  g_assert_cmpstr (yg_field_error_get_field (error), ==, "chapters[2].start");
  g_clear_error (&error);
  back = yg_item_meta_store_get (conn, id, &error);
  g_assert_cmpuint (back->chapters->len, ==, 2);
  g_clear_pointer (&back, yg_item_meta_free);

  g_array_set_size (ch, 0);
  g_assert_true (yg_item_meta_store_set_chapters (conn, id, ch, &error));
  back = yg_item_meta_store_get (conn, id, &error);
  g_assert_cmpuint (back->chapters->len, ==, 0);
  g_assert_false (yg_item_meta_store_set_chapters (conn, "nosuchitem", ch, &error));
  g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND);
}

static void
test_chapters (Fixture *f, gconstpointer data)
{
  on_db (f, body_chapters);
}

/* --- inheritors ------------------------------------------------------------ */

static void
body_inheritors (YgDbConn *conn)
{
  g_autofree char *her = new_item (conn, "heritage", "剪纸技艺");
  g_autofree char *les = new_item (conn, "lesson", "剪纸课");
  g_autoptr (YgInheritor) in = yg_inheritor_new ();
  g_autoptr (YgInheritor) h = NULL, h2 = NULL, patch_h = yg_inheritor_new ();
  g_autoptr (YgItemMeta) meta = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *t = NULL;

  in->name = g_strdup ("库淑兰");
  in->birth_year = 1920;
  in->gender = g_strdup ("female");
  in->level = g_strdup ("national");
  in->region = g_strdup ("陕西省旬邑县");
  in->bio = g_strdup ("剪纸艺术家 <i>「剪花娘子」</i>");
  h = yg_inheritor_store_create (conn, in, &error);
  g_assert_no_error (error);
  g_assert_cmpint (h->id, >, 0);
  g_assert_cmpstr (h->name, ==, "库淑兰");
  g_assert_cmpint (h->birth_year, ==, 1920);
  g_assert_cmpstr (h->bio, ==, in->bio);

  t = find (conn, "库淑兰");
  g_assert_cmpstr (t, ==, "");
  g_clear_pointer (&t, g_free);
  g_assert_true (yg_inheritor_store_link (conn, her, h->id, TRUE, &error));
  g_assert_true (yg_inheritor_store_link (conn, her, h->id, TRUE, &error)); /* idempotent */
  g_assert_no_error (error);
  t = find (conn, "库淑兰");
  g_assert_cmpstr (t, ==, "剪纸技艺");
  g_clear_pointer (&t, g_free);
  t = find (conn, "淑");
  g_assert_cmpstr (t, ==, "剪纸技艺");
  g_clear_pointer (&t, g_free);
  meta = yg_item_meta_store_get (conn, her, &error);
  g_assert_cmpuint (meta->inheritors->len, ==, 1);
  g_assert_cmpstr (g_array_index (meta->inheritors, YgInheritorRef, 0).name, ==, "库淑兰");
  h2 = yg_inheritor_store_get (conn, h->id, &error);
  g_assert_cmpuint (h2->item_ids->len, ==, 1);
  g_clear_pointer (&h2, yg_inheritor_free);

  /* heritage items only */
  g_assert_false (yg_inheritor_store_link (conn, les, h->id, TRUE, &error));
  g_assert_cmpstr (yg_field_error_get_field (error), ==, "kind");
  g_clear_error (&error);
  g_assert_false (yg_inheritor_store_link (conn, her, 999, TRUE, &error));
  g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* a rename re-indexes the linked items */
  patch_h->set = YG_INHERITOR_NAME | YG_INHERITOR_BIRTH_YEAR;
  patch_h->name = g_strdup ("库淑兰（剪花娘子）");
  h2 = yg_inheritor_store_update (conn, h->id, patch_h, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (h2->name, ==, "库淑兰（剪花娘子）");
  g_assert_cmpint (h2->birth_year, ==, 0);
  g_assert_cmpstr (h2->gender, ==, "female");
  t = find (conn, "剪花娘");
  g_assert_cmpstr (t, ==, "剪纸技艺");
  g_clear_pointer (&t, g_free);
  g_assert_null (yg_inheritor_store_update (conn, 999, patch_h, &error));
  g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  list = yg_inheritor_store_list (conn, 0, 10, &error);
  g_assert_cmpuint (list->len, ==, 1);

  /* unlink, link again, delete: the name leaves the index each time */
  g_assert_true (yg_inheritor_store_link (conn, her, h->id, FALSE, &error));
  t = find (conn, "剪花娘");
  g_assert_cmpstr (t, ==, "");
  g_clear_pointer (&t, g_free);
  g_assert_false (yg_inheritor_store_link (conn, her, h->id, FALSE, &error));
  g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (yg_inheritor_store_link (conn, her, h->id, TRUE, &error));
  g_assert_true (yg_inheritor_store_delete (conn, h->id, &error));
  g_assert_no_error (error);
  t = find (conn, "剪花娘");
  g_assert_cmpstr (t, ==, "");
  g_clear_pointer (&t, g_free);
  g_assert_cmpint (count (conn, "SELECT count(*) FROM item_inheritors"), ==, 0);
  g_assert_false (yg_inheritor_store_delete (conn, h->id, &error));
  g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND);
  assert_index_intact (conn);
}

static void
test_inheritors (Fixture *f, gconstpointer data)
{
  on_db (f, body_inheritors);
}

/* --- search ---------------------------------------------------------------- */

typedef struct
{
  const char *kind, *title, *date, *description;
  const char *tags[3];
  const char *category, *level, *region;
} Seed;

static const Seed seeds[] = {
  { "performance", "昆曲《牡丹亭》选段", "2023-05-01", "江苏省苏州昆剧院演出", { "昆曲", "戏曲" } },
  { "heritage",
    "剪纸技艺传承",
    "2022-01-10",
    "陕西民间剪纸",
    { "剪纸" },
    "traditional_art",
    "national",
    "陕西" },
  { "lesson", "少儿舞蹈基础课", "2024-03-03", "舞台基本功训练", { "舞蹈" } },
  { "heritage",
    "蔚县剪纸",
    "2021-06-06",
    "逢年过节家家户户贴窗花",
    { "窗花" },
    "traditional_art",
    "provincial",
    "河北" },
  { "performance", "京剧 Peking Opera 专场", NULL, "", { NULL } },
  { "performance", "戏曲名家访谈", "2020-02-02", "", { "昆曲" } },
  { "heritage", "端午赛龙舟", "2023-06-22", "", { "民俗" }, "folk_custom", "national", "广东" },
};

static void
seed (YgDbConn *conn)
{
  for (guint i = 0; i < G_N_ELEMENTS (seeds); i++)
    {
      const Seed *s = &seeds[i];
      g_autofree char *id = new_item (conn, s->kind, s->title);
      g_autoptr (YgItemMeta) m = meta_with (YG_META_RECORDED_DATE | YG_META_DESCRIPTION);

      m->recorded_date = g_strdup (s->date);
      m->description = g_strdup (s->description);
      add_tags (m, s->tags);
      if (s->category != NULL)
        {
          m->set |= YG_META_CATEGORY | YG_META_LEVEL | YG_META_REGION;
          m->category = g_strdup (s->category);
          m->level = g_strdup (s->level);
          m->region = g_strdup (s->region);
        }
      patch (conn, id, m);
    }
}

static void
body_search_queries (YgDbConn *conn)
{
  static const struct
  {
    const char *q;
    const char *titles;
  } cases[] = {
    { "舞", "少儿舞蹈基础课" },                    /* 1 character */
    { "剪纸", "剪纸技艺传承|蔚县剪纸" },           /* 2: relevance, then date */
    { "昆曲", "昆曲《牡丹亭》选段|戏曲名家访谈" }, /* title beats tag */
    { "牡丹亭", "昆曲《牡丹亭》选段" },            /* 3 */
    { "《牡丹亭》", "昆曲《牡丹亭》选段" },        /* 5, with punctuation */
    { "蔚县剪纸", "蔚县剪纸" },                    /* 4 */
    { "贴窗花", "蔚县剪纸" },                      /* 3, in the description */
    { "窗花", "蔚县剪纸" },                        /* 2, in a tag */
    { "peking", "京剧 Peking Opera 专场" },        /* Latin, case folded */
    { "PE", "京剧 Peking Opera 专场" },
    { "《牡", "昆曲《牡丹亭》选段" }, /* short with punctuation */
    { "》选", "昆曲《牡丹亭》选段" },
    { "《", "" },                                /* punctuation alone */
    { "牡》", "" },                              /* letters there, substring not */
    { "戏", "戏曲名家访谈|昆曲《牡丹亭》选段" }, /* title (5) before tag (3) */
    { "陕西", "剪纸技艺传承" },                  /* region */
    { "不存在的词", "" },
    { "龙", "端午赛龙舟" },
    { "\"", "" }, /* quotes do not break MATCH */
    { "a\"b", "" },
    { "   ", "京剧 Peking Opera 专场" }, /* blank: no q, date order... */
  };

  seed (conn);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *t = find (conn, cases[i].q);
      g_test_message ("q=%s → %s", cases[i].q, t);
      if (g_str_equal (cases[i].q, "   "))
        g_assert_true (g_str_has_prefix (t, "少儿舞蹈基础课|端午赛龙舟|"));
      else
        g_assert_cmpstr (t, ==, cases[i].titles);
    }
  assert_index_intact (conn);
}

static void
test_search_queries (Fixture *f, gconstpointer data)
{
  on_db (f, body_search_queries);
}

static void
body_search_filters (YgDbConn *conn)
{
  static const struct
  {
    YgSearchQuery q;
    const char *titles;
  } cases[] = {
    { { .kind = "heritage" }, "端午赛龙舟|剪纸技艺传承|蔚县剪纸" },
    { { .kind = "lesson" }, "少儿舞蹈基础课" },
    { { .category = "traditional_art" }, "剪纸技艺传承|蔚县剪纸" },
    { { .level = "national" }, "端午赛龙舟|剪纸技艺传承" },
    { { .region = "河北" }, "蔚县剪纸" },
    { { .tag = "昆曲" }, "昆曲《牡丹亭》选段|戏曲名家访谈" },
    { { .from = "2022-01-10" }, "少儿舞蹈基础课|端午赛龙舟|昆曲《牡丹亭》选段|剪纸技艺传承" },
    { { .to = "2021-06-06" }, "蔚县剪纸|戏曲名家访谈" },
    { { .from = "2021-01-01", .to = "2022-12-31" }, "剪纸技艺传承|蔚县剪纸" },
    { { .kind = "heritage", .category = "traditional_art", .level = "provincial" }, "蔚县剪纸" },
    { { .q = "剪纸", .level = "provincial" }, "蔚县剪纸" },
    { { .q = "剪纸", .region = "陕西", .from = "2022-01-01" }, "剪纸技艺传承" },
    { { .q = "昆曲", .by_date = TRUE }, "昆曲《牡丹亭》选段|戏曲名家访谈" },
    { { .q = "曲", .tag = "戏曲" }, "昆曲《牡丹亭》选段" },
    { { .q = "曲", .kind = "heritage" }, "" },
    { { .kind = "performance", .by_date = TRUE },
      "昆曲《牡丹亭》选段|戏曲名家访谈|京剧 Peking Opera 专场" },
  };

  seed (conn);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      YgSearchQuery q = cases[i].q;
      g_autofree char *t = NULL;

      q.limit = 50;
      t = titles_of (conn, &q, NULL);
      g_test_message ("case %u → %s", i, t);
      g_assert_cmpstr (t, ==, cases[i].titles);
    }
}

static void
test_search_filters (Fixture *f, gconstpointer data)
{
  on_db (f, body_search_filters);
}

static void
walk (YgDbConn *conn, const char *q, gboolean by_date, guint n_expected)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  g_autoptr (GError) error = NULL;
  guint pages = 0, inserted = 0;

  do
    {
      YgSearchQuery query = { .q = q, .by_date = by_date, .limit = 7, .cursor = cursor };
      g_autoptr (YgSearchPage) page = yg_search_run (conn, &query, &error);

      g_assert_no_error (error);
      for (guint i = 0; i < page->ids->len; i++)
        {
          g_autoptr (YgItem) item = yg_item_store_get (conn, page->ids->pdata[i], NULL);
          if (g_str_has_prefix (item->title, "新"))
            continue; /* arrived during the walk: may or may not be seen */
          g_assert_true (g_hash_table_add (seen, g_strdup (page->ids->pdata[i])));
        }
      g_free (cursor);
      cursor = g_steal_pointer (&page->next_cursor);
      /* new items arrive between pages, dated all over the range */
      if (inserted < 10)
        {
          g_autofree char *title = g_strdup_printf ("新测试条目%u", inserted);
          g_autofree char *id = new_item (conn, "lesson", title);
          g_autoptr (YgItemMeta) m = meta_with (YG_META_RECORDED_DATE);
          m->recorded_date = g_strdup_printf ("20%02u-01-01", 10 + inserted);
          patch (conn, id, m);
          inserted++;
        }
      pages++;
    }
  while (cursor != NULL);
  g_assert_cmpuint (g_hash_table_size (seen), ==, n_expected);
  g_assert_cmpuint (pages, >=, n_expected / 7);
}

static void
body_search_cursor (YgDbConn *conn)
{
  g_autoptr (GError) error = NULL;
  YgSearchQuery bad = { .q = "测试", .limit = 5, .cursor = "not a cursor" };
  g_autofree char *next = NULL;

  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *title = g_strdup_printf (i % 3 == 0 ? "测试条目%u" : "其他%u", i);
      g_autofree char *id = new_item (conn, "lesson", title);
      g_autoptr (YgItemMeta) m = meta_with (YG_META_RECORDED_DATE | YG_META_TAGS);
      m->recorded_date
          = i % 5 == 0 ? NULL : g_strdup_printf ("2020-%02u-%02u", i % 12 + 1, i % 7 + 1);
      g_ptr_array_add (m->tags, g_strdup (i % 2 == 0 ? "测试" : "其他"));
      patch (conn, id, m);
    }
  /* "测试" is in the title of every third item, in the tags of every second */
  walk (conn, "测试", FALSE, 40);
  walk (conn, "测试", TRUE, 40);
  walk (conn, "测试条", FALSE, 20); /* trigram: titles only */
  walk (conn, "测试条", TRUE, 20);
  walk (conn, NULL, TRUE, 60); /* every walk skips the arrivals ("新…") */

  g_assert_null (yg_search_run (conn, &bad, &error));
  g_assert_cmpstr (yg_field_error_get_field (error), ==, "cursor");
  g_clear_error (&error);
  /* a relevance cursor is refused by a date-sorted search */
  {
    YgSearchQuery q = { .q = "测试", .limit = 2 };
    g_autofree char *t = titles_of (conn, &q, &next);
    YgSearchQuery q2 = { .q = "测试", .limit = 2, .by_date = TRUE, .cursor = next };
    g_assert_nonnull (next);
    g_assert_null (yg_search_run (conn, &q2, &error));
    g_assert_cmpstr (yg_field_error_get_field (error), ==, "cursor");
  }
}

static void
test_search_cursor (Fixture *f, gconstpointer data)
{
  on_db (f, body_search_cursor);
}

static void
body_search_sync (YgDbConn *conn)
{
  g_autofree char *id = new_item (conn, "performance", "越剧《红楼梦》");
  g_autoptr (YgItemMeta) m = meta_with (YG_META_TITLE | YG_META_PERFORMERS);
  g_autoptr (YgItemMeta) m2 = meta_with (YG_META_PERFORMERS | YG_META_PROGRAMME);
  g_autoptr (GError) error = NULL;
  g_autofree char *t1 = NULL, *t2 = NULL, *t3 = NULL, *t4 = NULL, *t5 = NULL, *t6 = NULL;
  g_autofree char *t7 = NULL, *t8 = NULL;

  t1 = find (conn, "红楼");
  g_assert_cmpstr (t1, ==, "越剧《红楼梦》");
  m->title = g_strdup ("黄梅戏《天仙配》");
  m->performers = g_strdup ("[\"严凤英\"]");
  patch (conn, id, m);
  t2 = find (conn, "红楼");
  g_assert_cmpstr (t2, ==, "");
  t3 = find (conn, "天仙配");
  g_assert_cmpstr (t3, ==, "黄梅戏《天仙配》");
  t4 = find (conn, "凤英");
  g_assert_cmpstr (t4, ==, "黄梅戏《天仙配》");
  m2->performers = NULL;
  m2->programme
      = g_strdup ("[{\"title\":\"夫妻双双把家还\",\"performers\":[\"王少舫\"],\"start\":0}]");
  patch (conn, id, m2);
  t5 = find (conn, "凤英");
  g_assert_cmpstr (t5, ==, "");
  t6 = find (conn, "双双把家");
  g_assert_cmpstr (t6, ==, "黄梅戏《天仙配》");
  t7 = find (conn, "王少舫");
  g_assert_cmpstr (t7, ==, "黄梅戏《天仙配》");
  assert_index_intact (conn);
  g_assert_true (yg_search_remove_item (conn, id, &error));
  g_assert_no_error (error);
  t8 = find (conn, "天仙配");
  g_assert_cmpstr (t8, ==, "");
  /* the item row itself can go now */
  g_assert_true (yg_db_conn_exec (conn, "DELETE FROM items", &error));
  g_assert_no_error (error);
  assert_index_intact (conn);
}

static void
test_search_sync (Fixture *f, gconstpointer data)
{
  on_db (f, body_search_sync);
}

static void
test_grams (void)
{
  g_autofree char *g = yg_search_grams ("昆曲 AB昆曲");

  g_assert_cmpstr (g, ==, "昆 昆曲 曲 a ab b b昆");
}

static void
body_migrated (YgDbConn *conn)
{
  g_autofree char *a = find (conn, "皮影");
  g_autofree char *b = find (conn, "白蛇传");
  g_autofree char *c = find (conn, "paper");
  g_autofree char *d = find (conn, "pa");
  g_autofree char *e = find (conn, "影");

  g_assert_cmpstr (a, ==, "皮影戏《白蛇传》");
  g_assert_cmpstr (b, ==, "皮影戏《白蛇传》");
  g_assert_cmpstr (c, ==, "Paper Cutting");
  g_assert_cmpstr (d, ==, "Paper Cutting");
  g_assert_cmpstr (e, ==, "皮影戏《白蛇传》");
  assert_index_intact (conn);
}

/* An older catalogue (schema 4) with items: the migration indexes their titles. */
static void
test_migration_indexes_old_items (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  sqlite3 *raw = NULL;

  g_assert_cmpint (sqlite3_open (f->db_path, &raw), ==, SQLITE_OK);
  g_assert_true (yg_migrations_apply (raw, 4, &error));
  g_assert_cmpint (
      sqlite3_exec (raw,
                    "INSERT INTO items (id, kind, title, created_at, updated_at) VALUES"
                    " ('a1', 'heritage', '皮影戏《白蛇传》', 1, 1),"
                    " ('a2', 'lesson', 'Paper Cutting', 2, 2);",
                    NULL, NULL, NULL),
      ==, SQLITE_OK);
  sqlite3_close (raw);
  f->db = yg_db_open (f->db_path, &error);
  g_assert_no_error (error);
  on_db (f, body_migrated);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Item metadata, inheritors and search in the catalogue (real SQLite files)");
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/metadata/round-trip", test_round_trip);
  ADD ("/metadata/wrong-kind", test_wrong_kind);
  ADD ("/metadata/chapters", test_chapters);
  ADD ("/metadata/inheritors", test_inheritors);
  ADD ("/search/queries", test_search_queries);
  ADD ("/search/filters", test_search_filters);
  ADD ("/search/cursor", test_search_cursor);
  ADD ("/search/sync", test_search_sync);
  g_test_add ("/search/migration", Fixture, GINT_TO_POINTER (1), fixture_setup,
              test_migration_indexes_old_items, fixture_teardown);
  g_test_add_func ("/search/grams", test_grams);
  return g_test_run ();
}

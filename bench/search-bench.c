/* search-bench.c: latency of item search on a generated catalogue.
 *
 * Generates a deterministic catalogue (default 100 000 items: performances,
 * lessons and heritage footage with Chinese titles, descriptions, tags,
 * performers, programmes, heritage categories, regions and linked
 * inheritors composed from vocabularies of genres, pieces, places, heritage
 * projects and names), then measures p50/p99 latency of 1-, 2- and
 * 4-character queries and of filtered listings (kind+category, tag, date
 * range), at the store level (yg_search_run on the DB thread) and over HTTP
 * (GET /api/v1/search on a real server, one keep-alive connection, full item
 * documents in the answer). Prints a table. Not run by the test suites:
 *   build/bench/search-bench [--items N] [--queries N] [--seed S]
 */
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "yg-inheritor-store.h"
#include "yg-item-meta-store.h"
#include "yg-item-store.h"
#include "yg-routes.h"
#include "yg-search.h"
#include "yg-test-server.h"

static const char *const genres[] = {
  "昆曲", "京剧", "越剧", "黄梅戏", "豫剧", "评剧", "川剧", "粤剧",   "秦腔",   "花鼓戏",
  "沪剧", "锡剧", "晋剧", "赣剧",   "婺剧", "潮剧", "闽剧", "莆仙戏", "梨园戏", "高甲戏",
};
static const char *const pieces[] = {
  "牡丹亭", "长生殿",     "桃花扇",   "西厢记",   "红楼梦",   "梁祝",   "天仙配",
  "女驸马", "穆桂英挂帅", "贵妃醉酒", "霸王别姬", "白蛇传",   "十五贯", "窦娥冤",
  "铡美案", "空城计",     "三岔口",   "拾玉镯",   "锁麟囊",   "玉堂春", "游园惊梦",
  "断桥",   "夜奔",       "思凡",     "打渔杀家", "四郎探母", "追鱼",
};
static const char *const styles[]
    = { "选段", "全本", "折子戏专场", "名家名段", "青年演员专场", "经典唱段", "新编" };
static const char *const places[] = {
  "苏州", "杭州", "南京", "扬州", "绍兴", "宁波", "温州",   "合肥", "安庆", "福州",
  "泉州", "厦门", "广州", "佛山", "潮州", "成都", "重庆",   "西安", "延安", "太原",
  "郑州", "开封", "洛阳", "长沙", "武汉", "南昌", "景德镇", "济南", "青岛", "天津",
  "昆明", "大理", "丽江", "贵阳", "南宁", "桂林", "海口",   "兰州", "蔚县", "旬邑",
};
static const char *const provinces[] = {
  "江苏", "浙江", "安徽", "福建", "广东", "四川", "陕西", "山西", "河南", "湖南",
  "湖北", "江西", "山东", "云南", "贵州", "广西", "海南", "甘肃", "河北", "北京",
};
static const struct
{
  const char *name;
  const char *category;
} projects[] = {
  { "剪纸", "traditional_art" },
  { "皮影戏", "traditional_drama" },
  { "刺绣", "traditional_art" },
  { "苏绣", "traditional_art" },
  { "蜀绣", "traditional_art" },
  { "年画", "traditional_art" },
  { "泥塑", "traditional_art" },
  { "木版水印", "traditional_craftsmanship" },
  { "古琴艺术", "traditional_music" },
  { "太极拳", "sports_games_acrobatics" },
  { "龙舟竞渡", "folk_custom" },
  { "舞龙", "traditional_dance" },
  { "舞狮", "traditional_dance" },
  { "端午节", "folk_custom" },
  { "庙会", "folk_custom" },
  { "宣纸制作", "traditional_craftsmanship" },
  { "景泰蓝", "traditional_craftsmanship" },
  { "紫砂陶", "traditional_craftsmanship" },
  { "龙泉青瓷", "traditional_craftsmanship" },
  { "南京云锦", "traditional_craftsmanship" },
  { "蜡染", "traditional_craftsmanship" },
  { "风筝", "traditional_craftsmanship" },
  { "面塑", "traditional_art" },
  { "糖画", "traditional_art" },
  { "竹编", "traditional_craftsmanship" },
  { "木雕", "traditional_art" },
  { "侗族大歌", "traditional_music" },
  { "花儿", "traditional_music" },
  { "二人转", "quyi" },
  { "相声", "quyi" },
  { "苏州评弹", "quyi" },
  { "京韵大鼓", "quyi" },
  { "针灸", "traditional_medicine" },
  { "藏医药", "traditional_medicine" },
  { "格萨尔史诗", "folk_literature" },
  { "孟姜女传说", "folk_literature" },
  { "杂技", "sports_games_acrobatics" },
  { "秧歌", "traditional_dance" },
};
static const char *const levels[] = { "national", "provincial", "municipal", "county" };
static const char *const kinds_of_film[]
    = { "传承", "技艺展示", "纪录片", "口述史", "展演", "进校园" };
static const char *const surnames[]
    = { "张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴",
        "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗" };
static const char *const given[]
    = { "秀英", "桂兰", "建国", "志强", "丽华", "明",   "伟",   "芳",  "娜",
        "敏",   "静",   "强",   "磊",   "军",   "洋",   "勇",   "艳",  "杰",
        "娟",   "涛",   "玉兰", "淑珍", "德明", "文斌", "继青", "凤英" };
static const char *const subjects[]
    = { "书法", "国画", "舞蹈",   "声乐",   "钢琴", "古筝", "二胡", "琵琶", "笛子",
        "摄影", "合唱", "民族舞", "拉丁舞", "太极", "茶艺", "插花", "剪纸", "戏曲身段" };
static const char *const audiences[] = { "少儿", "成人", "老年", "亲子", "青少年" };
static const char *const stages[] = { "入门", "基础", "进阶", "提高", "精品" };
static const char *const halls[] = { "小剧场", "多功能厅", "大剧院", "排练厅", "非遗展厅" };

#define PICK(r, a) ((a)[g_rand_int_range ((r), 0, G_N_ELEMENTS (a))])

static char *
person (GRand *r)
{
  return g_strconcat (PICK (r, surnames), PICK (r, given), NULL);
}

static char *
date (GRand *r)
{
  return g_strdup_printf ("%04d-%02d-%02d", g_rand_int_range (r, 2005, 2026),
                          g_rand_int_range (r, 1, 13), g_rand_int_range (r, 1, 29));
}

typedef struct
{
  guint from, to;
  guint32 seed;
  guint n_inheritors;
} Batch;

static gpointer
populate (gpointer conn_p, gpointer data, GError **error)
{
  YgDbConn *conn = conn_p;
  Batch *b = data;
  g_autoptr (GRand) r = g_rand_new_with_seed (b->seed + b->from);

  if (!yg_db_conn_begin (conn, error))
    return NULL;
  if (b->from == 0)
    for (guint i = 0; i < b->n_inheritors; i++)
      {
        g_autofree char *name = person (r);
        sqlite3_stmt *s = yg_db_conn_prepare (
            conn,
            "INSERT INTO inheritors (name, birth_year, level, region, bio, created_at, updated_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5, 0, 0)",
            error);
        sqlite3_bind_text (s, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int (s, 2, g_rand_int_range (r, 1930, 1990));
        sqlite3_bind_text (s, 3, PICK (r, levels), -1, SQLITE_STATIC);
        sqlite3_bind_text (s, 4, PICK (r, provinces), -1, SQLITE_STATIC);
        sqlite3_bind_text (s, 5, "自幼随父学艺，从艺五十余年，带徒数十人。", -1, SQLITE_STATIC);
        if (!yg_db_conn_step_done (conn, s, error))
          goto fail;
      }
  for (guint i = b->from; i < b->to; i++)
    {
      g_autoptr (YgItemMeta) m = yg_item_meta_new ();
      g_autofree char *id = NULL, *title = NULL, *kind = NULL;
      const char *place = PICK (r, places);
      guint k = g_rand_int_range (r, 0, 10);

      m->set = YG_META_DESCRIPTION | YG_META_RECORDED_DATE | YG_META_VENUE | YG_META_TAGS
               | YG_META_LANGUAGE;
      m->language = g_strdup ("zh-CN");
      m->recorded_date = date (r);
      m->venue = g_strconcat (place, "市文化馆", PICK (r, halls), NULL);
      if (k < 4)
        {
          const char *genre = PICK (r, genres), *piece = PICK (r, pieces);
          g_autofree char *p1 = person (r), *p2 = person (r), *p3 = person (r);
          kind = g_strdup ("performance");
          title = g_strdup_printf ("%s《%s》%s", genre, piece, PICK (r, styles));
          m->set
              |= YG_META_TROUPE | YG_META_PERFORMERS | YG_META_PERFORMANCE_DATE | YG_META_PROGRAMME;
          m->troupe = g_strdup_printf ("%s%s剧团", place, genre);
          m->performers = g_strdup_printf ("[\"%s\",\"%s\"]", p1, p2);
          m->performance_date = g_strdup (m->recorded_date);
          m->programme
              = g_strdup_printf ("[{\"title\":\"%s\",\"performers\":[\"%s\"],\"start\":0},"
                                 "{\"title\":\"%s\",\"performers\":[\"%s\"],\"start\":900}]",
                                 PICK (r, pieces), p1, PICK (r, pieces), p3);
          m->description = g_strdup_printf (
              "%s%s剧团在%s演出%s经典剧目《%s》，由%s、%s主演，唱腔婉转，身段优美，"
              "是本年度公益演出季的重要场次。",
              place, genre, m->venue, genre, piece, p1, p2);
          g_ptr_array_add (m->tags, g_strdup (genre));
          g_ptr_array_add (m->tags, g_strdup ("戏曲"));
          g_ptr_array_add (m->tags, g_strdup (place));
        }
      else if (k < 7)
        {
          const char *subject = PICK (r, subjects);
          g_autofree char *teacher = person (r);
          kind = g_strdup ("lesson");
          title = g_strdup_printf ("%s%s%s课 第%d讲", PICK (r, audiences), subject,
                                   PICK (r, stages), g_rand_int_range (r, 1, 25));
          m->description = g_strdup_printf ("%s老师讲授%s的基本方法与练习要点，适合零基础学员，"
                                            "课后请按视频完成练习。",
                                            teacher, subject);
          g_ptr_array_add (m->tags, g_strdup (subject));
          g_ptr_array_add (m->tags, g_strdup ("公益课堂"));
        }
      else
        {
          guint p = g_rand_int_range (r, 0, G_N_ELEMENTS (projects));
          kind = g_strdup ("heritage");
          title = g_strdup_printf ("%s%s%s", place, projects[p].name, PICK (r, kinds_of_film));
          m->set |= YG_META_HERITAGE_FIELDS;
          m->project_name = g_strdup_printf ("%s%s", place, projects[p].name);
          m->category = g_strdup (projects[p].category);
          m->level = g_strdup (PICK (r, levels));
          m->region = g_strdup (PICK (r, provinces));
          m->description = g_strdup_printf ("记录%s%s的历史渊源、制作流程与传承现状，"
                                            "走访代表性传承人，展示其代表作品与教学场景。",
                                            place, projects[p].name);
          g_ptr_array_add (m->tags, g_strdup (projects[p].name));
          g_ptr_array_add (m->tags, g_strdup ("非遗"));
        }
      id = yg_item_store_insert (conn, NULL, kind, title, "", error);
      if (id == NULL)
        goto fail;
      if (g_str_equal (kind, "heritage"))
        {
          sqlite3_stmt *s = yg_db_conn_prepare (
              conn, "INSERT OR IGNORE INTO item_inheritors (item_id, inheritor_id) VALUES (?1, ?2)",
              error);
          sqlite3_bind_text (s, 1, id, -1, SQLITE_TRANSIENT);
          sqlite3_bind_int (s, 2, g_rand_int_range (r, 1, b->n_inheritors + 1));
          if (!yg_db_conn_step_done (conn, s, error))
            goto fail;
        }
      if (!yg_item_meta_store_update (conn, id, m, TRUE, error))
        goto fail;
    }
  if (!yg_db_conn_commit (conn, error))
    goto fail;
  return GINT_TO_POINTER (1);

fail:
  yg_db_conn_rollback (conn);
  return NULL;
}

/* --- measuring ----------------------------------------------------------- */

typedef struct
{
  const char *name;
  GPtrArray *queries; /* (element-type YgSearchQuery*) */
} Workload;

typedef struct
{
  GPtrArray *queries;
  GArray *times_us;
  guint total_hits;
} Run;

static gpointer
run_store (gpointer conn, gpointer data, GError **error)
{
  Run *run = data;

  for (guint i = 0; i < run->queries->len; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr (YgSearchPage) page = yg_search_run (conn, run->queries->pdata[i], error);
      gint64 dt = g_get_monotonic_time () - t0;
      if (page == NULL)
        return NULL;
      run->total_hits += page->ids->len;
      g_array_append_val (run->times_us, dt);
    }
  return GINT_TO_POINTER (1);
}

static int
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

static void
percentiles (GArray *t, double *p50, double *p99, double *max)
{
  g_array_sort (t, cmp_i64);
  *p50 = g_array_index (t, gint64, t->len / 2) / 1000.0;
  *p99 = g_array_index (t, gint64, MIN (t->len - 1, (guint)(t->len * 0.99))) / 1000.0;
  *max = g_array_index (t, gint64, t->len - 1) / 1000.0;
}

static char *
query_string (const YgSearchQuery *q)
{
  GString *s = g_string_new ("/api/v1/search?limit=");

  g_string_append_printf (s, "%u", q->limit);
#define P(name, v)                                                                                 \
  if ((v) != NULL)                                                                                 \
    {                                                                                              \
      g_autofree char *e = g_uri_escape_string ((v), NULL, FALSE);                                 \
      g_string_append_printf (s, "&%s=%s", name, e);                                               \
    }
  P ("q", q->q);
  P ("kind", q->kind);
  P ("category", q->category);
  P ("tag", q->tag);
  P ("from", q->from);
  P ("to", q->to);
#undef P
  if (q->by_date)
    g_string_append (s, "&sort=date");
  return g_string_free (s, FALSE);
}

static GArray *
run_http (guint16 port, GPtrArray *queries)
{
  g_autoptr (GSocketConnection) conn = yg_test_connect (port);
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < queries->len; i++)
    {
      g_autofree char *path = query_string (queries->pdata[i]);
      g_autofree char *req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", path);
      g_autofree char *resp = NULL;
      gint64 t0 = g_get_monotonic_time (), dt;
      guint status;

      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), req,
                                 strlen (req), NULL, NULL, NULL);
      resp = yg_test_read_response (conn, &status);
      dt = g_get_monotonic_time () - t0;
      if (status != 200)
        g_error ("%s → %u", path, status);
      g_array_append_val (times, dt);
    }
  return times;
}

static YgSearchQuery *
query_new (void)
{
  YgSearchQuery *q = g_new0 (YgSearchQuery, 1);

  q->limit = 20;
  return q;
}

static void
query_free (YgSearchQuery *q)
{
  g_free ((char *)q->q);
  g_free ((char *)q->from);
  g_free ((char *)q->to);
  g_free (q);
}

int
main (int argc, char *argv[])
{
  static const char *const one[] = { "舞", "曲", "剪", "梅", "龙", "琴", "绣", "苏",
                                     "王", "春", "茶", "鼓", "瓷", "灯", "狮" };
  static const char *const two[] = { "昆曲", "剪纸", "京剧", "苏州", "刺绣", "舞狮", "书法", "古筝",
                                     "秀英", "年画", "越剧", "皮影", "青瓷", "太极", "评弹" };
  static const char *const four[] = { "苏州评弹", "南京云锦", "龙泉青瓷", "贵妃醉酒", "霸王别姬",
                                      "侗族大歌", "木版水印", "宣纸制作", "京韵大鼓", "游园惊梦",
                                      "四郎探母", "经典唱段", "民族舞基", "非遗展厅", "穆桂英挂" };
  guint n_items = 100000, n_queries = 300;
  guint32 seed = 20240601;
  GOptionEntry entries[] = {
    { "items", 0, 0, G_OPTION_ARG_INT, &n_items, "Items to generate (100000)", "N" },
    { "queries", 0, 0, G_OPTION_ARG_INT, &n_queries, "Queries per workload (300)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Generator seed", "S" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- search latency benchmark");
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) r = NULL;
  YgTestServer *ts;
  Workload workloads[8];
  g_autofree char *load_before = NULL, *load_after = NULL;
  gint64 t0;
  g_autofree char *db_path = NULL;
  GStatBuf st;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  r = g_rand_new_with_seed (seed);
  ts = yg_test_server_start (NULL, yg_routes, yg_n_routes);

  t0 = g_get_monotonic_time ();
  for (guint from = 0; from < n_items; from += 5000)
    {
      Batch b = { from, MIN (from + 5000, n_items), seed, 5000 };
      yg_test_server_db_sync (ts, populate, &b);
    }
  db_path = g_build_filename (ts->data_dir, "catalog.db", NULL);
  g_print ("generated %u items in %.1f s; catalogue %s\n", n_items,
           (g_get_monotonic_time () - t0) / 1e6,
           g_stat (db_path, &st) == 0 ? g_format_size (st.st_size) : "?");

  workloads[0].name = "q, 1 character";
  workloads[1].name = "q, 2 characters";
  workloads[2].name = "q, 4 characters";
  workloads[3].name = "kind=heritage&category";
  workloads[4].name = "tag";
  workloads[5].name = "from..to (1 year)";
  workloads[6].name = "q 1/2/4 chars, sort=date";
  workloads[7].name = "q 2 chars w/ punctuation";
  for (guint w = 0; w < G_N_ELEMENTS (workloads); w++)
    {
      workloads[w].queries = g_ptr_array_new_with_free_func ((GDestroyNotify)query_free);
      /* fewer of the rare punctuation queries */
      for (guint i = 0; i < (w == 7 ? MIN (n_queries, 20) : n_queries); i++)
        {
          YgSearchQuery *q = query_new ();
          int year = g_rand_int_range (r, 2005, 2025);
          switch (w)
            {
              case 0:
                q->q = g_strdup (one[i % G_N_ELEMENTS (one)]);
                break;
              case 1:
                q->q = g_strdup (two[i % G_N_ELEMENTS (two)]);
                break;
              case 2:
                q->q = g_strdup (four[i % G_N_ELEMENTS (four)]);
                break;
              case 3:
                q->kind = "heritage";
                q->category = projects[i % G_N_ELEMENTS (projects)].category;
                break;
              case 4:
                q->tag = i % 2 ? PICK (r, genres) : projects[i % G_N_ELEMENTS (projects)].name;
                break;
              case 5:
                q->from = g_strdup_printf ("%04d-%02d-01", year, g_rand_int_range (r, 1, 13));
                q->to = g_strdup_printf ("%04d-%s", year + 1, "06-30");
                break;
              case 6:
                q->q = g_strdup (i % 3 == 0   ? one[i % G_N_ELEMENTS (one)]
                                 : i % 3 == 1 ? two[i % G_N_ELEMENTS (two)]
                                              : four[i % G_N_ELEMENTS (four)]);
                q->by_date = TRUE;
                break;
              case 7:
                {
                  g_autofree char *first = g_utf8_substring (PICK (r, pieces), 0, 1);
                  q->q = g_strconcat ("《", first, NULL);
                }
                break;
            }
          g_ptr_array_add (workloads[w].queries, q);
        }
    }

  g_file_get_contents ("/proc/loadavg", &load_before, NULL, NULL);
  g_print ("load average before: %s", load_before ? load_before : "?\n");
  g_print ("\n%-26s %8s %9s %9s %9s %9s %9s %9s\n", "workload", "hits/q", "store p50", "store p99",
           "store max", "http p50", "http p99", "http max");
  for (guint w = 0; w < G_N_ELEMENTS (workloads); w++)
    {
      Run warm = { workloads[w].queries, g_array_new (FALSE, FALSE, sizeof (gint64)), 0 };
      Run run = { workloads[w].queries, g_array_new (FALSE, FALSE, sizeof (gint64)), 0 };
      g_autoptr (GArray) http = NULL;
      double p50, p99, max, h50, h99, hmax;

      yg_test_server_db_sync (ts, run_store, &warm); /* page cache and statement cache */
      yg_test_server_db_sync (ts, run_store, &run);
      http = run_http (ts->port, workloads[w].queries);
      percentiles (run.times_us, &p50, &p99, &max);
      percentiles (http, &h50, &h99, &hmax);
      g_print ("%-26s %8.1f %7.2fms %7.2fms %7.2fms %7.2fms %7.2fms %7.2fms\n", workloads[w].name,
               (double)run.total_hits / run.queries->len, p50, p99, max, h50, h99, hmax);
      g_array_unref (warm.times_us);
      g_array_unref (run.times_us);
      g_ptr_array_unref (workloads[w].queries);
    }
  g_file_get_contents ("/proc/loadavg", &load_after, NULL, NULL);
  g_print ("\nload average after: %s", load_after ? load_after : "?\n");
  yg_test_server_stop (ts);
  return 0;
}

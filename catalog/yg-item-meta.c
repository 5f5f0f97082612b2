/* yg-item-meta.c: item metadata values: the patch/read struct, the heritage
 * category and level tables, tag normalisation.
 *
 * Categories and levels are stored and exchanged as stable ASCII codes; the
 * Chinese labels are looked up here and returned next to the codes. Tags are
 * normalised (NFC, lower case, inner white space collapsed to one space,
 * trimmed) before they are stored or used as a filter, so "Kunqu " and
 * "kunqu" are one tag.
 * Thread: any (pure values).
 */
#define G_LOG_DOMAIN "yg-catalog"

#include "yg-item-meta.h"

const YgCodeLabel yg_heritage_categories[] = {
  { "folk_literature", "民间文学" },
  { "traditional_music", "传统音乐" },
  { "traditional_dance", "传统舞蹈" },
  { "traditional_drama", "传统戏剧" },
  { "quyi", "曲艺" },
  { "sports_games_acrobatics", "传统体育游艺与杂技" },
  { "traditional_art", "传统美术" },
  { "traditional_craftsmanship", "传统技艺" },
  { "traditional_medicine", "传统医药" },
  { "folk_custom", "民俗" },
};
const guint yg_n_heritage_categories = G_N_ELEMENTS (yg_heritage_categories);

const YgCodeLabel yg_heritage_levels[] = {
  { "national", "国家级" },
  { "provincial", "省级" },
  { "municipal", "市级" },
  { "county", "县级" },
};
const guint yg_n_heritage_levels = G_N_ELEMENTS (yg_heritage_levels);

/**
 * yg_code_label_find:
 *
 * Returns: (transfer none) (nullable): the entry whose code or label is @code_or_label
 */
const YgCodeLabel *
yg_code_label_find (const YgCodeLabel *table, guint n, const char *code_or_label)
{
  if (code_or_label == NULL)
    return NULL;
  for (guint i = 0; i < n; i++)
    if (g_str_equal (table[i].code, code_or_label) || g_str_equal (table[i].label, code_or_label))
      return &table[i];
  return NULL;
}

static void
chapter_clear (gpointer p)
{
  g_free (((YgChapter *)p)->title);
}

static void
inheritor_ref_clear (gpointer p)
{
  g_free (((YgInheritorRef *)p)->name);
}

GArray *
yg_chapters_new (void)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (YgChapter));

  g_array_set_clear_func (a, chapter_clear);
  return a;
}

YgItemMeta *
yg_item_meta_new (void)
{
  YgItemMeta *meta = g_new0 (YgItemMeta, 1);

  meta->tags = g_ptr_array_new_with_free_func (g_free);
  meta->chapters = yg_chapters_new ();
  meta->inheritors = g_array_new (FALSE, TRUE, sizeof (YgInheritorRef));
  g_array_set_clear_func (meta->inheritors, inheritor_ref_clear);
  return meta;
}

void
yg_item_meta_free (YgItemMeta *meta)
{
  if (meta == NULL)
    return;
  g_free (meta->title);
  g_free (meta->description);
  g_free (meta->language);
  g_free (meta->recorded_date);
  g_free (meta->venue);
  g_ptr_array_unref (meta->tags);
  g_free (meta->troupe);
  g_free (meta->performers);
  g_free (meta->performance_date);
  g_free (meta->programme);
  g_free (meta->project_name);
  g_free (meta->category);
  g_free (meta->level);
  g_free (meta->region);
  g_free (meta->kind);
  g_array_unref (meta->chapters);
  g_array_unref (meta->inheritors);
  g_free (meta);
}

/**
 * yg_item_meta_normalize_tag:
 *
 * Returns: (transfer full): the normalised tag ("" when only white space),
 *   or %NULL when @tag is not valid UTF-8
 */
char *
yg_item_meta_normalize_tag (const char *tag)
{
  g_autofree char *nfc = NULL;
  g_autofree char *down = NULL;
  GString *out;
  gboolean space = FALSE;

  if (tag == NULL || !g_utf8_validate (tag, -1, NULL))
    return NULL;
  nfc = g_utf8_normalize (tag, -1, G_NORMALIZE_NFC);
  down = g_utf8_strdown (nfc, -1);
  out = g_string_new (NULL);
  for (const char *p = down; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_isspace (c))
        space = out->len > 0;
      else
        {
          if (space)
            g_string_append_c (out, ' ');
          space = FALSE;
          g_string_append_unichar (out, c);
        }
    }
  return g_string_free (out, FALSE);
}

/* yg-item-meta.h: an item's descriptive metadata, as a patch or as read back. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Which fields a YgItemMeta patch carries (a NULL string in a set field clears it). */
typedef enum
{
  YG_META_TITLE = 1 << 0,
  YG_META_DESCRIPTION = 1 << 1,
  YG_META_LANGUAGE = 1 << 2,
  YG_META_RECORDED_DATE = 1 << 3,
  YG_META_VENUE = 1 << 4,
  YG_META_TAGS = 1 << 5,
  YG_META_TROUPE = 1 << 6,           /* performance only */
  YG_META_PERFORMERS = 1 << 7,       /* performance only */
  YG_META_PERFORMANCE_DATE = 1 << 8, /* performance only */
  YG_META_PROGRAMME = 1 << 9,        /* performance only */
  YG_META_PROJECT_NAME = 1 << 10,    /* heritage only */
  YG_META_CATEGORY = 1 << 11,        /* heritage only */
  YG_META_LEVEL = 1 << 12,           /* heritage only */
  YG_META_REGION = 1 << 13,          /* heritage only */
} YgMetaField;

#define YG_META_PERFORMANCE_FIELDS                                                                 \
  (YG_META_TROUPE | YG_META_PERFORMERS | YG_META_PERFORMANCE_DATE | YG_META_PROGRAMME)
#define YG_META_HERITAGE_FIELDS                                                                    \
  (YG_META_PROJECT_NAME | YG_META_CATEGORY | YG_META_LEVEL | YG_META_REGION)

typedef struct
{
  char *title;
  double start; /* seconds from the beginning */
} YgChapter;

typedef struct
{
  gint64 id;
  char *name;
} YgInheritorRef;

typedef struct
{
  guint32 set; /* YgMetaField bits: in a patch, the fields it changes */
  char *title;
  char *description;
  char *language;      /* BCP 47, e.g. zh-CN */
  char *recorded_date; /* YYYY-MM-DD */
  char *venue;
  GPtrArray *tags; /* (element-type utf8) normalised, distinct */
  char *troupe;
  char *performers;       /* JSON array of names (text) */
  char *performance_date; /* YYYY-MM-DD */
  char *programme;        /* JSON array of {title, performers, start} (text) */
  char *project_name;     /* 项目名称 */
  char *category;         /* a code of yg_heritage_categories */
  char *level;            /* a code of yg_heritage_levels */
  char *region;
  /* read back only */
  char *kind;
  GArray *chapters;   /* (element-type YgChapter) */
  GArray *inheritors; /* (element-type YgInheritorRef) */
} YgItemMeta;

typedef struct
{
  const char *code;  /* stable ASCII code used in the API and the catalogue */
  const char *label; /* the Chinese name */
} YgCodeLabel;

/* The ten national categories of intangible heritage, and list levels. */
extern const YgCodeLabel yg_heritage_categories[];
extern const guint yg_n_heritage_categories;
extern const YgCodeLabel yg_heritage_levels[];
extern const guint yg_n_heritage_levels;

const YgCodeLabel *yg_code_label_find (const YgCodeLabel *table, guint n,
                                       const char *code_or_label);

YgItemMeta *yg_item_meta_new (void);
void yg_item_meta_free (YgItemMeta *meta);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgItemMeta, yg_item_meta_free)

GArray *yg_chapters_new (void);
char *yg_item_meta_normalize_tag (const char *tag);

G_END_DECLS

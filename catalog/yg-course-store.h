/* yg-course-store.h: courses (课程): chapters of ordered lesson items. DB-thread functions. */
#pragma once

#include "yg-db.h"
#include "yg-visibility.h"

G_BEGIN_DECLS

typedef enum
{
  YG_COURSE_TITLE = 1 << 0,
  YG_COURSE_DESCRIPTION = 1 << 1,
  YG_COURSE_TEACHER = 1 << 2,
  YG_COURSE_LEVEL = 1 << 3,
  YG_COURSE_COVER_ITEM = 1 << 4,
  YG_COURSE_VISIBILITY = 1 << 5,
  YG_COURSE_THRESHOLD = 1 << 6,
} YgCourseField;

#define YG_COURSE_DEFAULT_THRESHOLD 0.9

typedef struct
{
  char *item_id;
  /* read back with the outline (not stored here) */
  char *title;
  double duration;        /* < 0: unknown */
  gboolean has_poster;
  YgVisibility visibility;
} YgCourseLesson;

typedef struct
{
  char *title;
  GPtrArray *lessons; /* (element-type YgCourseLesson) in order */
} YgCourseChapter;

typedef struct
{
  guint32 set;            /* YgCourseField bits: in a patch, the fields it changes */
  gint64 id;
  char *title;
  char *description;
  char *teacher;
  char *level;            /* beginner | intermediate | advanced */
  char *cover_item;       /* nullable: an item whose poster is the cover */
  gboolean cover_has_poster;
  YgVisibility cover_visibility;
  YgVisibility visibility;
  double threshold;       /* 0.5 .. 1.0 */
  gint64 created_at;
  gint64 updated_at;
  guint lesson_count;
  GPtrArray *chapters;    /* (element-type YgCourseChapter) nullable: only when loaded */
} YgCourse;

YgCourse *yg_course_new (void);
void yg_course_free (YgCourse *course);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgCourse, yg_course_free)
YgCourseChapter *yg_course_chapter_new (const char *title);
void yg_course_chapter_free (YgCourseChapter *chapter);
YgCourseLesson *yg_course_lesson_new (const char *item_id);
void yg_course_lesson_free (YgCourseLesson *lesson);

gboolean yg_course_level_is_valid (const char *level);
const char *yg_course_level_label (const char *level);

YgCourse *yg_course_store_create (YgDbConn *conn, const YgCourse *in, GError **error);
YgCourse *yg_course_store_get (YgDbConn *conn, gint64 id, gboolean outline, GError **error);
GPtrArray *yg_course_store_list (YgDbConn *conn, gint64 after_id, guint limit, guint visible,
                                 GError **error);
YgCourse *yg_course_store_update (YgDbConn *conn, gint64 id, const YgCourse *patch, GError **error);
gboolean yg_course_store_delete (YgDbConn *conn, gint64 id, GError **error);
YgCourse *yg_course_store_set_outline (YgDbConn *conn, gint64 id, GPtrArray *chapters,
                                       GError **error);

G_END_DECLS

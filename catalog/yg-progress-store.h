/* yg-progress-store.h: enrolment in courses, viewing progress, completion. DB-thread functions. */
#pragma once

#include "yg-course-store.h"
#include "yg-db.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 user_id;
  char *item_id;
  double position;  /* seconds */
  double duration;  /* seconds, as the player reported it */
  double furthest;  /* read back: the furthest position reached */
  gint64 writes;    /* read back: how many times the row was written */
  gint64 updated_at;
} YgProgress;

YgProgress *yg_progress_new (gint64 user_id, const char *item_id, double position, double duration);
void yg_progress_free (YgProgress *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgProgress, yg_progress_free)

gboolean yg_progress_is_complete (const YgProgress *p, double item_duration, double threshold);

/* One course in a resident's "continue learning" list. */
typedef struct
{
  YgCourse *course;      /* with its outline */
  gint64 enrolled_at;
  gint64 active_at;
  GHashTable *progress;  /* item id → YgProgress, the resident's rows for the course's lessons */
  guint completed;       /* lessons complete */
  char *next_item;       /* nullable: the first lesson not complete, in course order */
  double next_position;  /* resume position in it */
} YgLearning;

void yg_learning_free (YgLearning *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgLearning, yg_learning_free)

gboolean yg_progress_store_save (YgDbConn *conn, GPtrArray *writes, GError **error);
YgProgress *yg_progress_store_get (YgDbConn *conn, gint64 user_id, const char *item_id,
                                   GError **error);
gboolean yg_progress_store_enrol (YgDbConn *conn, gint64 user_id, gint64 course_id,
                                  gboolean enrolled, GError **error);
int yg_progress_store_is_enrolled (YgDbConn *conn, gint64 user_id, gint64 course_id,
                                   GError **error);
YgLearning *yg_progress_store_course (YgDbConn *conn, gint64 user_id, YgCourse *course,
                                      GError **error);
GPtrArray *yg_progress_store_learning (YgDbConn *conn, gint64 user_id, GError **error);

G_END_DECLS

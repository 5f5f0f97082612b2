/* yg-lecturer-store.h: the roster of teachers and volunteer lecturers residents may ask for
 * (点将). DB-thread functions. */
#pragma once

#include "yg-db.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 id;
  char *name;
  char *kind; /* teacher | volunteer */
  char *bio;
  gint64 created_at;
  gint64 updated_at;
} YgLecturer;

YgLecturer *yg_lecturer_new (void);
void yg_lecturer_free (YgLecturer *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgLecturer, yg_lecturer_free)

YgLecturer *yg_lecturer_store_create (YgDbConn *conn, const YgLecturer *in, GError **error);
YgLecturer *yg_lecturer_store_get (YgDbConn *conn, gint64 id, GError **error);
GPtrArray *yg_lecturer_store_list (YgDbConn *conn, gint64 after_id, guint limit, GError **error);
YgLecturer *yg_lecturer_store_update (YgDbConn *conn, gint64 id, const YgLecturer *patch,
                                      GError **error);
gboolean yg_lecturer_store_delete (YgDbConn *conn, gint64 id, GError **error);

G_END_DECLS

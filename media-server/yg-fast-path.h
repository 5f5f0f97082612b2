/* yg-fast-path.h: a delivery thread's own answers to plain media GETs. */
#pragma once

#include "yg-listener.h"
#include "yg-server.h"

G_BEGIN_DECLS

typedef struct _YgFastPath YgFastPath;

YgFastPath *yg_fast_path_new (YgServer *server, YgListener *listener, GError **error);
void yg_fast_path_free (YgFastPath *self);
guint64 yg_fast_path_answered (void);

G_END_DECLS

/* yg-file-body.h: file contents as GBytes that connections send with sendfile(2). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GBytes *yg_file_body_new (int fd, gsize size, GError **error);
gboolean yg_file_body_lookup (gconstpointer data, gsize count, int *fd, goffset *offset);

G_END_DECLS

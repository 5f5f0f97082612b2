/* yg-file-body.h: file contents as GBytes that connections send with sendfile(2). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define YG_FILE_BODY_SMALL (64 * 1024) /* files up to this size are read, not mapped */

GBytes *yg_file_body_new (int fd, gsize size, GError **error);
GBytes *yg_file_body_read (int fd, gsize size, GError **error);
gboolean yg_file_body_lookup (gconstpointer data, gsize count, int *fd, goffset *offset);

G_END_DECLS

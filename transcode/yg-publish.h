/* yg-publish.h: durable publishing of files (temp + fsync + rename + fsync dir). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gboolean yg_publish_write_file (const char *path,
                                const void *data,
                                gsize       size,
                                GError    **error);
gboolean yg_publish_commit_file (const char *tmp_path,
                                 const char *final_path,
                                 GError    **error);
gboolean yg_publish_fsync_dir (const char *dir, GError **error);
gboolean yg_publish_make_dir (const char *path, GError **error);

G_END_DECLS

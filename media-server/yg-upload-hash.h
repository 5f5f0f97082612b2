/* yg-upload-hash.h: SHA-256 of an upload's acknowledged bytes, kept up in the background. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _YgUploadHash YgUploadHash;

YgUploadHash *yg_upload_hash_new (const char *data_path, const char *state_path);
YgUploadHash *yg_upload_hash_ref (YgUploadHash *hash);
void yg_upload_hash_unref (YgUploadHash *hash);
void yg_upload_hash_advance (YgUploadHash *hash, guint64 acknowledged);
char *yg_upload_hash_complete (YgUploadHash *hash,
                               const char   *path,
                               guint64       length,
                               GError      **error);
guint64 yg_upload_hash_get_hashed (YgUploadHash *hash);
void yg_upload_hash_release (YgUploadHash *hash, gboolean forget);

G_END_DECLS

/* yg-tus.h: resumable uploads (tus 1.0.0): header parsing and the upload store. */
#pragma once

#include <gio/gio.h>

#include "yg-upload-hash.h"

G_BEGIN_DECLS

#define YG_TUS_VERSION "1.0.0"
#define YG_TUS_EXTENSIONS "creation,creation-with-upload,termination,checksum,expiration"
#define YG_TUS_CHECKSUMS "sha1,sha256"

/* Pure parsers of client headers (fuzzed). */
gboolean yg_tus_parse_uint (const char *text, guint64 *value);
GHashTable *yg_tus_parse_metadata (const char *text, GError **error);
gboolean yg_tus_parse_checksum (const char        *text,
                                GChecksumType     *type,
                                GBytes           **digest,
                                GError           **error);

typedef enum
{
  YG_TUS_RECEIVING,   /* bytes still coming */
  YG_TUS_FINISHING,   /* all bytes here; hashing, moving, cataloguing */
  YG_TUS_DONE,        /* became item_id */
  YG_TUS_FAILED,      /* e.g. the whole-file SHA-256 did not match */
} YgTusState;

typedef struct
{
  char *id;
  guint64 length;
  guint64 offset;            /* acknowledged: fsynced and recorded */
  gint64 owner;              /* bearer token id (> 0), or minus the account id */
  GHashTable *metadata;      /* key → decoded value (UTF-8) */
  gint64 created_at;
  gint64 expires_at;         /* Unix time */
  YgTusState state;
  char *item_id;             /* planned at FINISHING, real at DONE */
  char *error_code;
  char *error_message;
  gboolean locked;           /* a PATCH is writing it */
  YgUploadHash *hash;        /* SHA-256 so far; see yg_tus_store_get_hash */
} YgTusUpload;

typedef struct _YgTusStore YgTusStore;

YgTusStore *yg_tus_store_new (const char *data_dir,
                              guint64     max_size,
                              guint64     quota,
                              guint       expire_seconds,
                              GError    **error);
void yg_tus_store_free (YgTusStore *store);

guint64 yg_tus_store_get_max_size (YgTusStore *store);
guint yg_tus_store_get_expire_seconds (YgTusStore *store);
YgTusUpload *yg_tus_store_lookup (YgTusStore *store, const char *id);
YgTusUpload *yg_tus_store_create (YgTusStore *store,
                                  guint64     length,
                                  gint64      owner,
                                  GHashTable *metadata,
                                  GError    **error);
char *yg_tus_store_data_path (YgTusStore *store, const YgTusUpload *upload);
gboolean yg_tus_store_save (YgTusStore *store, YgTusUpload *upload, GError **error);
YgUploadHash *yg_tus_store_get_hash (YgTusStore *store, YgTusUpload *upload);
void yg_tus_store_drop_hash (YgTusUpload *upload);
void yg_tus_store_touch (YgTusStore *store, YgTusUpload *upload);
void yg_tus_store_remove (YgTusStore *store, YgTusUpload *upload);
guint yg_tus_store_collect_expired (YgTusStore *store);
GPtrArray *yg_tus_store_list_finishing (YgTusStore *store);
const char *yg_tus_state_to_string (YgTusState state);
guint yg_tus_store_count (YgTusStore *store, YgTusState state, guint64 *bytes);

G_END_DECLS

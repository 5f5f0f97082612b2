/* yg-secret.h: random identifiers, bearer tokens and digests (libsodium). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define YG_SHA256_LEN 32

gboolean yg_secret_init (void);
char *yg_secret_new_token (const char *prefix);
char *yg_secret_new_id (void);
void yg_secret_sha256 (const void *data, gsize len, guint8 out[YG_SHA256_LEN]);
char *yg_secret_hex (const guint8 *bytes, gsize len);
/* SHA-256 over data that arrives in pieces, with a state that can be saved
 * and resumed (same build of libsodium; a foreign state is refused). */
typedef struct _YgSha256 YgSha256;
YgSha256 *yg_sha256_new (void);
void yg_sha256_update (YgSha256 *sha, const void *data, gsize len);
char *yg_sha256_hex (const YgSha256 *sha);
GBytes *yg_sha256_save (const YgSha256 *sha);
YgSha256 *yg_sha256_load (GBytes *saved);
void yg_sha256_free (YgSha256 *sha);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgSha256, yg_sha256_free)

gboolean yg_secret_equal (const void *a, const void *b, gsize len);
char *yg_secret_hash_password (const char *password, GError **error);
gboolean yg_secret_verify_password (const char *hash, const char *password);

#define YG_HMAC_LEN 32
#define YG_HMAC_KEY_LEN 32
void yg_secret_random (guint8 *out, gsize len);
void yg_secret_hmac_sha256 (const guint8 key[YG_HMAC_KEY_LEN],
                            const void  *data,
                            gsize        len,
                            guint8       out[YG_HMAC_LEN]);
gboolean yg_secret_verify_32 (const guint8 a[32], const guint8 b[32]);
char *yg_secret_base64url (const guint8 *bytes, gsize len);
gboolean yg_secret_base64url_decode (const char *text, guint8 *out, gsize out_len);

G_END_DECLS

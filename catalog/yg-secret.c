/* yg-secret.c: the project's only use of libsodium.
 *
 * Passwords are hashed with Argon2id (crypto_pwhash_str, "interactive"
 * limits: 64 MiB, a few tens of ms) and the parameters live in the string.
 * Tokens carry 256 bits from the kernel CSPRNG and are stored only as their
 * SHA-256 (a slow password hash buys nothing at that entropy). Item ids are
 * 80 random bits in lowercase base32 (16 characters, URL- and path-safe).
 * A YgSha256 state can be saved and resumed, so a long upload is hashed as
 * it arrives rather than all at its end.
 * Playback URLs are signed with HMAC-SHA-256 (crypto_auth_hmacsha256) and
 * checked with the constant-time crypto_verify_32.
 * Thread-safe once yg_secret_init() has returned (a YgSha256 is not shared).
 */
#include "yg-secret.h"

#include <gio/gio.h>
#include <sodium.h>
#include <string.h>

gboolean
yg_secret_init (void)
{
  return sodium_init () >= 0;
}

/**
 * yg_secret_new_token:
 * @prefix: a short role hint such as "ygs", kept readable in logs
 *
 * Returns: (transfer full): "<prefix>_<43 base64url characters>"
 */
char *
yg_secret_new_token (const char *prefix)
{
  guint8 raw[32];
  char b64[sodium_base64_ENCODED_LEN (sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  randombytes_buf (raw, sizeof raw);
  sodium_bin2base64 (b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero (raw, sizeof raw);
  return g_strdup_printf ("%s_%s", prefix, b64);
}

char *
yg_secret_new_id (void)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  guint8 raw[10];
  char id[17];

  randombytes_buf (raw, sizeof raw);
  /* 10 bytes = 80 bits = 16 groups of 5 bits */
  for (int i = 0; i < 16; i++)
    {
      int bit = i * 5, byte = bit / 8, shift = bit % 8;
      guint v = (raw[byte] << 8 | (byte + 1 < 10 ? raw[byte + 1] : 0)) >> (11 - shift);
      id[i] = alphabet[v & 31];
    }
  id[16] = '\0';
  return g_strdup (id);
}

void
yg_secret_sha256 (const void *data, gsize len, guint8 out[YG_SHA256_LEN])
{
  crypto_hash_sha256 (out, data, len);
}

char *
yg_secret_hex (const guint8 *bytes, gsize len)
{
  char *hex = g_malloc (len * 2 + 1);

  sodium_bin2hex (hex, len * 2 + 1, bytes, len);
  return hex;
}

/* --- SHA-256 in pieces --------------------------------------------------------------- */

#define SHA256_SAVE_MAGIC "ygsha256.1"

struct _YgSha256
{
  crypto_hash_sha256_state state;
};

YgSha256 *
yg_sha256_new (void)
{
  YgSha256 *sha = g_new0 (YgSha256, 1);

  crypto_hash_sha256_init (&sha->state);
  return sha;
}

void
yg_sha256_update (YgSha256 *sha, const void *data, gsize len)
{
  crypto_hash_sha256_update (&sha->state, data, len);
}

/**
 * yg_sha256_hex:
 *
 * Returns: (transfer full): the digest of everything so far, in lowercase
 * hex; @sha is unchanged and may take more data
 */
char *
yg_sha256_hex (const YgSha256 *sha)
{
  crypto_hash_sha256_state copy = sha->state;
  guint8 digest[YG_SHA256_LEN];

  crypto_hash_sha256_final (&copy, digest);
  return yg_secret_hex (digest, sizeof digest);
}

/**
 * yg_sha256_save:
 *
 * Returns: (transfer full): the state as bytes for yg_sha256_load()
 */
GBytes *
yg_sha256_save (const YgSha256 *sha)
{
  gsize magic = sizeof SHA256_SAVE_MAGIC;
  guint8 *buf = g_malloc (magic + sizeof sha->state);

  memcpy (buf, SHA256_SAVE_MAGIC, magic);
  memcpy (buf + magic, &sha->state, sizeof sha->state);
  return g_bytes_new_take (buf, magic + sizeof sha->state);
}

/**
 * yg_sha256_load:
 *
 * Returns: (transfer full) (nullable): the saved state, or %NULL when
 * @saved is not one (wrong size or marker)
 */
YgSha256 *
yg_sha256_load (GBytes *saved)
{
  gsize len, magic = sizeof SHA256_SAVE_MAGIC;
  const guint8 *p = g_bytes_get_data (saved, &len);
  YgSha256 *sha;

  if (len != magic + sizeof sha->state || memcmp (p, SHA256_SAVE_MAGIC, magic) != 0)
    return NULL;
  sha = g_new (YgSha256, 1);
  memcpy (&sha->state, p + magic, sizeof sha->state);
  return sha;
}

void
yg_sha256_free (YgSha256 *sha)
{
  g_free (sha);
}

gboolean
yg_secret_equal (const void *a, const void *b, gsize len)
{
  return sodium_memcmp (a, b, len) == 0;
}

/**
 * yg_secret_hash_password:
 *
 * Returns: (transfer full): an encoded Argon2id hash, or %NULL (out of memory)
 */
char *
yg_secret_hash_password (const char *password, GError **error)
{
  char out[crypto_pwhash_STRBYTES];

  if (crypto_pwhash_str (out, password, strlen (password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                         crypto_pwhash_MEMLIMIT_INTERACTIVE)
      != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "Not enough memory to hash the password");
      return NULL;
    }
  return g_strdup (out);
}

gboolean
yg_secret_verify_password (const char *hash, const char *password)
{
  return hash != NULL && password != NULL
         && crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;
}

void
yg_secret_random (guint8 *out, gsize len)
{
  randombytes_buf (out, len);
}

void
yg_secret_hmac_sha256 (const guint8 key[YG_HMAC_KEY_LEN], const void *data, gsize len,
                       guint8 out[YG_HMAC_LEN])
{
  crypto_auth_hmacsha256 (out, data, len, key);
}

/* Constant time: the answer takes as long for the first byte wrong as the last. */
gboolean
yg_secret_verify_32 (const guint8 a[32], const guint8 b[32])
{
  return crypto_verify_32 (a, b) == 0;
}

/**
 * yg_secret_base64url:
 *
 * Returns: (transfer full): base64url without padding
 */
char *
yg_secret_base64url (const guint8 *bytes, gsize len)
{
  gsize size = sodium_base64_ENCODED_LEN (len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *out = g_malloc (size);

  sodium_bin2base64 (out, size, bytes, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

/* Decodes base64url without padding into exactly @out_len bytes. Only the
 * 64 characters of the alphabet are accepted: libsodium (1.0.18) reads a
 * byte ≥ 0x80 sign-extended, and such a byte can decode as '_' or '-',
 * giving a MAC a second spelling. */
gboolean
yg_secret_base64url_decode (const char *text, guint8 *out, gsize out_len)
{
  gsize got = 0;
  const char *end = NULL;

  for (const char *p = text; p != NULL && *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  if (text == NULL
      || sodium_base642bin (out, out_len, text, strlen (text), NULL, &got, &end,
                            sodium_base64_VARIANT_URLSAFE_NO_PADDING)
           != 0)
    return FALSE;
  return got == out_len && end != NULL && *end == '\0';
}

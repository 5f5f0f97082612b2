/* fuzz-playback-token.c: the playback token of signed URLs
 * (/hls/t/<expiry>.<key-id>.<mac>/<item>/…, yg_playback_keys_verify).
 *
 * A keyring with one key is made once in a scratch directory (removed at
 * exit). Inputs are tried three ways: as a whole token, as edits (byte
 * replacements, cuts) of a valid token, and as the item id a valid token is
 * presented for. Invariant: a token verifies only when it is exactly what
 * the keyring signs for that item and expiry (no second spelling of a MAC,
 * an expiry or a key id), and never once expired or for another item.
 * Thread: the fuzzer's.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yg-playback-keys.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define ITEM "abcdefgh234567ab"
#define NOW G_GINT64_CONSTANT (1800000000)

static char *dir;
static YgPlaybackKeys *keys;
static char *valid;

static void
cleanup (void)
{
  g_autofree char *file = g_build_filename (dir, "keys", "playback.keys", NULL);
  g_autofree char *sub = g_build_filename (dir, "keys", NULL);

  yg_playback_keys_free (keys);
  g_unlink (file);
  g_rmdir (sub);
  g_rmdir (dir);
  g_free (dir);
  g_free (valid);
}

static void
init (void)
{
  g_autoptr (GError) error = NULL;

  dir = g_dir_make_tmp ("yg-fuzz-keys-XXXXXX", &error);
  g_assert_no_error (error);
  keys = yg_playback_keys_open (dir, &error);
  g_assert_no_error (error);
  valid = yg_playback_keys_sign (keys, ITEM, NOW + 3600);
  atexit (cleanup);
}

/* TRUE only for exactly the token the keyring makes. */
static void
check (const char *token, const char *item)
{
  gint64 expires = 0;

  if (yg_playback_keys_verify (keys, token, item, NOW, &expires))
    {
      g_autofree char *again = yg_playback_keys_sign (keys, item, expires);
      if (expires <= NOW || strcmp (again, token) != 0 || strcmp (item, ITEM) != 0)
        abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autofree char *edited = NULL;
  gsize n;

  if (keys == NULL)
    init ();
  /* 1: the input as a token */
  check (text, ITEM);
  /* 2: the input as the item a valid token is shown for */
  check (valid, text);
  /* 3: edits of a valid token: pairs (position, byte); byte 0 cuts there */
  edited = g_strdup (valid);
  n = strlen (edited);
  for (gsize i = 0; i + 1 < size; i += 2)
    {
      gsize at = data[i] % (n + 1);
      if (at == n || data[i + 1] == 0)
        edited[at] = '\0', n = at;
      else
        edited[at] = (char) data[i + 1];
    }
  check (edited, ITEM);
  if (strcmp (edited, valid) != 0)
    {
      gint64 expires;
      if (yg_playback_keys_verify (keys, edited, ITEM, NOW, &expires))
        abort ();
    }
  /* the valid token never verifies after its expiry */
  if (yg_playback_keys_verify (keys, valid, ITEM, NOW + 3600, NULL))
    abort ();
  return 0;
}

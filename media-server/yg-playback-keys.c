/* yg-playback-keys.c: signed playback URLs and the keys that sign them.
 *
 * A token is "<expiry>.<key-id>.<mac>": expiry in Unix seconds, the id of
 * the key ([a-z0-9]{1,16}), and mac = base64url (no padding) of
 * HMAC-SHA-256 (key, "<expiry>.<key-id>/<item-id>"), compared in constant
 * time. It appears as a path segment, /hls/t/<token>/<item>/…, so the
 * relative URLs inside playlists carry it to every segment and native HLS
 * players need no cookie.
 * Keys live in DATA/keys/playback.keys (GKeyFile, 0600, written as temp +
 * fsync + rename): [keyring] current=<id>, and a [key <id>] group with a
 * base64url secret per key. The first open creates the file. Rotation adds a
 * new current key; older keys keep verifying until removed. The server
 * re-reads the file when it changed (checked at most once a second, and at
 * once for an unknown key id), so the CLI works while it runs.
 * Thread: any; a mutex guards the open keyring (delivery threads verify
 * tokens too).
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-playback-keys.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "yg-secret.h"

#define MAX_KEY_ID 16

typedef struct
{
  char id[MAX_KEY_ID + 1];
  guint8 secret[YG_HMAC_KEY_LEN];
} Key;

struct _YgPlaybackKeys
{
  char *path;
  GArray *keys; /* Key; sodium_memzero'd on free */
  char current[MAX_KEY_ID + 1];
  struct stat seen;
  gint64 checked_us;
  GMutex lock; /* keys, current, seen, checked_us */
};

static gboolean
valid_key_id (const char *id, gsize len)
{
  if (len == 0 || len > MAX_KEY_ID)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_islower (id[i]) && !g_ascii_isdigit (id[i]))
      return FALSE;
  return TRUE;
}

static char *
keyring_path (const char *data_dir)
{
  return g_build_filename (data_dir, "keys", "playback.keys", NULL);
}

static GKeyFile *
read_file (const char *path, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, error))
    {
      g_prefix_error (error, "Reading playback keys %s: ", path);
      return NULL;
    }
  return g_steal_pointer (&kf);
}

static gboolean
write_file (const char *path, GKeyFile *kf, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *text = g_key_file_to_data (kf, NULL, NULL);
  g_autofree char *tmp = g_strdup_printf ("%s.tmp", path);
  int fd;
  gsize len = strlen (text), done = 0;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    goto fail;
  fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    goto fail;
  while (done < len)
    {
      gssize n = write (fd, text + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = errno;
          close (fd);
          errno = saved;
          goto fail;
        }
      done += n;
    }
  if (fsync (fd) != 0)
    {
      int saved = errno;
      close (fd);
      errno = saved;
      goto fail;
    }
  close (fd);
  if (g_rename (tmp, path) != 0)
    goto fail;
  return TRUE;

fail:
  {
    int saved = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Writing playback keys %s: %s",
                 path, g_strerror (saved));
    g_unlink (tmp);
    return FALSE;
  }
}

/* A new random key id: 8 characters of [a-z0-9]. */
static char *
new_key_id (void)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  guint8 raw[8];
  char id[9];

  yg_secret_random (raw, sizeof raw);
  for (int i = 0; i < 8; i++)
    id[i] = alphabet[raw[i] % 36];
  id[8] = '\0';
  return g_strdup (id);
}

static void
add_key (GKeyFile *kf, const char *id)
{
  guint8 secret[YG_HMAC_KEY_LEN];
  g_autofree char *group = g_strdup_printf ("key %s", id);
  g_autofree char *b64 = NULL;

  yg_secret_random (secret, sizeof secret);
  b64 = yg_secret_base64url (secret, sizeof secret);
  g_key_file_set_string (kf, group, "secret", b64);
  g_key_file_set_int64 (kf, group, "created", g_get_real_time () / G_USEC_PER_SEC);
  g_key_file_set_string (kf, "keyring", "current", id);
  memset (b64, 0, strlen (b64));
}

static gboolean
load (YgPlaybackKeys *self, GError **error)
{
  g_autoptr (GKeyFile) kf = NULL;
  g_auto (GStrv) groups = NULL;
  g_autofree char *current = NULL;
  g_autoptr (GArray) keys = g_array_new (FALSE, TRUE, sizeof (Key));
  struct stat st;

  if (g_stat (self->path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Playback keys %s: %s",
                   self->path, g_strerror (saved));
      return FALSE;
    }
  kf = read_file (self->path, error);
  if (kf == NULL)
    return FALSE;
  current = g_key_file_get_string (kf, "keyring", "current", NULL);
  groups = g_key_file_get_groups (kf, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      const char *id = groups[i] + 4;
      g_autofree char *b64 = NULL;
      Key k = { 0 };
      if (!g_str_has_prefix (groups[i], "key ") || !valid_key_id (id, strlen (id)))
        continue;
      b64 = g_key_file_get_string (kf, groups[i], "secret", NULL);
      if (!yg_secret_base64url_decode (b64, k.secret, sizeof k.secret))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "Playback keys %s: key %s has no valid secret", self->path, id);
          return FALSE;
        }
      g_strlcpy (k.id, id, sizeof k.id);
      g_array_append_val (keys, k);
    }
  if (current == NULL || !valid_key_id (current, strlen (current)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Playback keys %s: no valid current key", self->path);
      return FALSE;
    }
  {
    gboolean found = FALSE;
    for (guint i = 0; i < keys->len; i++)
      found |= g_str_equal (g_array_index (keys, Key, i).id, current);
    if (!found)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "Playback keys %s: the current key %s is missing", self->path, current);
        return FALSE;
      }
  }
  if (self->keys != NULL)
    {
      memset (self->keys->data, 0, self->keys->len * sizeof (Key));
      g_array_unref (self->keys);
    }
  self->keys = g_steal_pointer (&keys);
  g_strlcpy (self->current, current, sizeof self->current);
  self->seen = st;
  return TRUE;
}

/* Re-reads the file if it changed; keeps the old keys if it cannot. */
static void
maybe_reload (YgPlaybackKeys *self, gboolean now)
{
  gint64 t = g_get_monotonic_time ();
  struct stat st;

  if (!now && t - self->checked_us < G_USEC_PER_SEC)
    return;
  self->checked_us = t;
  if (g_stat (self->path, &st) != 0)
    return;
  if (st.st_ino != self->seen.st_ino || st.st_mtim.tv_sec != self->seen.st_mtim.tv_sec
      || st.st_mtim.tv_nsec != self->seen.st_mtim.tv_nsec || st.st_size != self->seen.st_size)
    {
      g_autoptr (GError) error = NULL;
      if (!load (self, &error))
        g_warning ("keeping the previous playback keys: %s", error->message);
      else
        g_message ("playback keys reloaded (current %s, %u keys)", self->current, self->keys->len);
    }
}

/**
 * yg_playback_keys_open:
 *
 * Loads DATA/keys/playback.keys, creating it with one key if it does not
 * exist.
 *
 * Returns: (transfer full): the keyring, or %NULL
 */
YgPlaybackKeys *
yg_playback_keys_open (const char *data_dir, GError **error)
{
  g_autoptr (YgPlaybackKeys) self = g_new0 (YgPlaybackKeys, 1);

  g_mutex_init (&self->lock);
  self->path = keyring_path (data_dir);
  if (!g_file_test (self->path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *id = yg_playback_keys_rotate (data_dir, error);
      if (id == NULL)
        return NULL;
    }
  if (!load (self, error))
    return NULL;
  self->checked_us = g_get_monotonic_time ();
  return g_steal_pointer (&self);
}

void
yg_playback_keys_free (YgPlaybackKeys *self)
{
  if (self == NULL)
    return;
  if (self->keys != NULL)
    {
      memset (self->keys->data, 0, self->keys->len * sizeof (Key));
      g_array_unref (self->keys);
    }
  g_free (self->path);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static const Key *
find_key (YgPlaybackKeys *self, const char *id, gsize len)
{
  for (guint i = 0; i < self->keys->len; i++)
    {
      const Key *k = &g_array_index (self->keys, Key, i);
      if (strlen (k->id) == len && memcmp (k->id, id, len) == 0)
        return k;
    }
  return NULL;
}

static void
mac (const Key *k, const char *expiry_and_id, gsize len, const char *item_id,
     guint8 out[YG_HMAC_LEN])
{
  g_autofree char *msg = g_strdup_printf ("%.*s/%s", (int) len, expiry_and_id, item_id);

  yg_secret_hmac_sha256 (k->secret, msg, strlen (msg), out);
}

/**
 * yg_playback_keys_sign:
 *
 * Returns: (transfer full): "<expiry>.<key-id>.<mac>" for @item_id, signed
 *   with the current key
 */
char *
yg_playback_keys_sign (YgPlaybackKeys *self, const char *item_id, gint64 expires_at)
{
  g_autofree char *head = NULL;
  g_autofree char *b64 = NULL;
  guint8 out[YG_HMAC_LEN];
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  const Key *k;

  maybe_reload (self, FALSE);
  k = find_key (self, self->current, strlen (self->current));
  g_return_val_if_fail (k != NULL, NULL);
  head = g_strdup_printf ("%" G_GINT64_FORMAT ".%s", expires_at, k->id);
  mac (k, head, strlen (head), item_id, out);
  b64 = yg_secret_base64url (out, sizeof out);
  return g_strdup_printf ("%s.%s", head, b64);
}

/**
 * yg_playback_keys_verify:
 * @now: Unix seconds
 * @expires_at: (out) (optional): the token's expiry when it is valid
 *
 * Returns: TRUE when @token is well formed, not expired, made by a key of
 *   the keyring and for @item_id
 */
gboolean
yg_playback_keys_verify (YgPlaybackKeys *self, const char *token, const char *item_id, gint64 now,
                         gint64 *expires_at)
{
  const char *dot1, *dot2;
  guint8 want[YG_HMAC_LEN], got[YG_HMAC_LEN];
  g_autoptr (GMutexLocker) locker = NULL;
  guint64 expiry;
  const Key *k;

  if (token == NULL || item_id == NULL || strlen (token) > 128)
    return FALSE;
  dot1 = strchr (token, '.');
  dot2 = dot1 != NULL ? strchr (dot1 + 1, '.') : NULL;
  if (dot1 == NULL || dot2 == NULL || dot1 == token || dot1 - token > 12)
    return FALSE;
  for (const char *p = token; p < dot1; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  expiry = g_ascii_strtoull (token, NULL, 10);
  if ((gint64) expiry <= now)
    return FALSE;
  if (!valid_key_id (dot1 + 1, dot2 - dot1 - 1))
    return FALSE;
  if (!yg_secret_base64url_decode (dot2 + 1, got, sizeof got))
    return FALSE;
  locker = g_mutex_locker_new (&self->lock);
  maybe_reload (self, FALSE);
  k = find_key (self, dot1 + 1, dot2 - dot1 - 1);
  if (k == NULL)
    {
      maybe_reload (self, TRUE);
      k = find_key (self, dot1 + 1, dot2 - dot1 - 1);
    }
  if (k == NULL)
    return FALSE;
  mac (k, token, dot2 - token, item_id, want);
  if (!yg_secret_verify_32 (want, got))
    return FALSE;
  if (expires_at != NULL)
    *expires_at = (gint64) expiry;
  return TRUE;
}

/**
 * yg_playback_keys_rotate:
 *
 * Adds a new key and makes it current (creating the keyring if needed).
 * Older keys keep verifying until removed.
 *
 * Returns: (transfer full): the new key's id, or %NULL
 */
char *
yg_playback_keys_rotate (const char *data_dir, GError **error)
{
  g_autofree char *path = keyring_path (data_dir);
  g_autoptr (GKeyFile) kf = NULL;
  g_autofree char *id = new_key_id ();

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    kf = read_file (path, error);
  else
    kf = g_key_file_new ();
  if (kf == NULL)
    return NULL;
  add_key (kf, id);
  if (!write_file (path, kf, error))
    return NULL;
  return g_steal_pointer (&id);
}

/**
 * yg_playback_keys_remove:
 *
 * Removes a key that is not the current one: URLs it signed stop working.
 */
gboolean
yg_playback_keys_remove (const char *data_dir, const char *key_id, GError **error)
{
  g_autofree char *path = keyring_path (data_dir);
  g_autoptr (GKeyFile) kf = read_file (path, error);
  g_autofree char *group = g_strdup_printf ("key %s", key_id);
  g_autofree char *current = NULL;

  if (kf == NULL)
    return FALSE;
  current = g_key_file_get_string (kf, "keyring", "current", NULL);
  if (!g_key_file_has_group (kf, group))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No playback key \"%s\"", key_id);
      return FALSE;
    }
  if (g_strcmp0 (current, key_id) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Key %s is the current key; rotate first, then remove it", key_id);
      return FALSE;
    }
  g_key_file_remove_group (kf, group, NULL);
  return write_file (path, kf, error);
}

/**
 * yg_playback_keys_describe:
 *
 * Returns: (transfer full): one line per key: id, created (ISO 8601), and
 *   "current" for the current one; never the secrets
 */
char *
yg_playback_keys_describe (const char *data_dir, GError **error)
{
  g_autofree char *path = keyring_path (data_dir);
  g_autoptr (GKeyFile) kf = read_file (path, error);
  g_auto (GStrv) groups = NULL;
  g_autofree char *current = NULL;
  GString *out;

  if (kf == NULL)
    return NULL;
  current = g_key_file_get_string (kf, "keyring", "current", NULL);
  groups = g_key_file_get_groups (kf, NULL);
  out = g_string_new (NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    if (g_str_has_prefix (groups[i], "key "))
      {
        gint64 created = g_key_file_get_int64 (kf, groups[i], "created", NULL);
        g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (created);
        g_autofree char *when = dt ? g_date_time_format_iso8601 (dt) : g_strdup ("?");
        g_string_append_printf (out, "%s %s%s\n", groups[i] + 4, when,
                                g_strcmp0 (groups[i] + 4, current) == 0 ? " current" : "");
      }
  return g_string_free (out, FALSE);
}

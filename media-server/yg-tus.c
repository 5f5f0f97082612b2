/* yg-tus.c: the tus upload store and the parsers of tus headers.
 *
 * Each upload is DATA/uploads/<id> (the bytes) plus <id>.info (JSON:
 * length, acknowledged offset, owner, metadata, expiry, state), written
 * temp + fsync + rename. The acknowledged offset in .info is the truth: the
 * data file may hold more bytes after a crash, and the next PATCH truncates
 * them away before appending, so HEAD never reports a byte that is not on
 * disk. The store keeps every upload in memory (loaded at start), checks
 * Tus-Max-Size and the per-owner quota (bytes of unfinished uploads) at
 * creation, and deletes expired unfinished uploads. The parsers accept
 * exactly the grammar of the tus 1.0.0 spec and nothing else. An upload's
 * bytes are hashed as they are acknowledged (yg-upload-hash.c), its progress
 * cached in <id>.sha256. At start, files of no upload (a crash between the
 * data file and its .info, temporary files) are removed.
 * Thread: main thread, except yg_tus_store_save, which the upload's owner
 * may call from a worker thread while the upload is locked.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-tus.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

#include "yg-http-error.h"
#include "yg-secret.h"

struct _YgTusStore
{
  char *dir;
  guint64 max_size;
  guint64 quota;
  guint expire_seconds;
  GHashTable *uploads; /* id → YgTusUpload */
};

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* --- parsers ------------------------------------------------------------------------ */

/**
 * yg_tus_parse_uint:
 *
 * Strictly decimal: digits only (no sign, no spaces), at most 19 of them.
 */
gboolean
yg_tus_parse_uint (const char *text, guint64 *value)
{
  guint64 v = 0;
  gsize n = 0;

  if (text == NULL || text[0] == '\0')
    return FALSE;
  for (const char *p = text; *p; p++, n++)
    {
      if (!g_ascii_isdigit (*p) || n >= 19)
        return FALSE;
      v = v * 10 + (guint64) (*p - '0');
    }
  *value = v;
  return TRUE;
}

static int
b64_value (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

/* Strict RFC 4648 base64 (padding required, nothing else allowed). */
static GBytes *
b64_decode_strict (const char *text, gsize len)
{
  g_autoptr (GByteArray) out = NULL;

  if (len % 4 != 0)
    return NULL;
  out = g_byte_array_sized_new (len / 4 * 3);
  for (gsize i = 0; i < len; i += 4)
    {
      int v[4];
      int pad = 0;
      for (int k = 0; k < 4; k++)
        {
          char c = text[i + k];
          if (c == '=' && i + 4 == len && k >= 2)
            {
              v[k] = 0;
              pad++;
              continue;
            }
          if (pad > 0 || (v[k] = b64_value (c)) < 0)
            return NULL;
        }
      {
        guint8 bytes[3] = { (guint8) (v[0] << 2 | v[1] >> 4), (guint8) ((v[1] & 15) << 4 | v[2] >> 2),
                            (guint8) ((v[2] & 3) << 6 | v[3]) };
        g_byte_array_append (out, bytes, 3 - pad);
      }
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/**
 * yg_tus_parse_metadata:
 *
 * "key base64,key base64,key" → key → value. Keys are non-empty ASCII
 * without spaces or commas and unique; values must decode to UTF-8 text.
 *
 * Returns: (transfer full): the table, or %NULL with a 400 error
 */
GHashTable *
yg_tus_parse_metadata (const char *text, GError **error)
{
  g_autoptr (GHashTable) table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) pairs = NULL;

  if (text == NULL || text[0] == '\0')
    return g_steal_pointer (&table);
  if (strlen (text) > 8192)
    goto bad;
  pairs = g_strsplit (text, ",", 64 + 1);
  if (g_strv_length (pairs) > 64)
    goto bad;
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      char *pair = g_strstrip (pairs[i]);
      char *space = strchr (pair, ' ');
      g_autofree char *key = g_strndup (pair, space ? (gsize) (space - pair) : strlen (pair));
      g_autoptr (GBytes) value = NULL;
      gsize vlen = 0;
      const char *vdata;

      if (key[0] == '\0' || g_hash_table_contains (table, key))
        goto bad;
      for (const char *p = key; *p; p++)
        if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f)
          goto bad;
      if (space != NULL)
        {
          const char *b64 = space + 1;
          if (strchr (b64, ' ') != NULL)
            goto bad;
          value = b64_decode_strict (b64, strlen (b64));
          if (value == NULL)
            goto bad;
        }
      vdata = value ? g_bytes_get_data (value, &vlen) : "";
      if (memchr (vdata, '\0', vlen) != NULL || !g_utf8_validate (vdata, vlen, NULL))
        goto bad;
      g_hash_table_insert (table, g_steal_pointer (&key), g_strndup (vdata, vlen));
    }
  return g_steal_pointer (&table);

bad:
  g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_BAD_REQUEST,
                       "Upload-Metadata must be comma-separated \"key base64value\" pairs with "
                       "unique keys and UTF-8 values");
  return NULL;
}

/**
 * yg_tus_parse_checksum:
 * @digest: (out): the decoded digest
 *
 * "sha1 <base64>" or "sha256 <base64>".
 */
gboolean
yg_tus_parse_checksum (const char *text, GChecksumType *type, GBytes **digest, GError **error)
{
  const char *space = text != NULL ? strchr (text, ' ') : NULL;
  g_autoptr (GBytes) d = NULL;
  gsize want;

  if (space == NULL)
    goto bad;
  if (space - text == 4 && strncmp (text, "sha1", 4) == 0)
    *type = G_CHECKSUM_SHA1, want = 20;
  else if (space - text == 6 && strncmp (text, "sha256", 6) == 0)
    *type = G_CHECKSUM_SHA256, want = 32;
  else
    {
      g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_BAD_REQUEST,
                           "Upload-Checksum algorithm not supported; use sha1 or sha256");
      return FALSE;
    }
  d = b64_decode_strict (space + 1, strlen (space + 1));
  if (d == NULL || g_bytes_get_size (d) != want)
    goto bad;
  *digest = g_steal_pointer (&d);
  return TRUE;

bad:
  g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_BAD_REQUEST,
                       "Upload-Checksum must be \"<algorithm> <base64 digest>\"");
  return FALSE;
}

/* --- uploads ------------------------------------------------------------------------ */

static const char *const state_names[] = { "receiving", "finishing", "done", "failed" };

const char *
yg_tus_state_to_string (YgTusState state)
{
  return state < G_N_ELEMENTS (state_names) ? state_names[state] : "failed";
}

static void
upload_free (YgTusUpload *u)
{
  g_free (u->id);
  g_hash_table_unref (u->metadata);
  g_free (u->item_id);
  g_free (u->error_code);
  g_free (u->error_message);
  yg_upload_hash_release (u->hash, FALSE);
  g_free (u);
}

static char *
info_path (YgTusStore *store, const char *id)
{
  g_autofree char *name = g_strdup_printf ("%s.info", id);
  return g_build_filename (store->dir, name, NULL);
}

char *
yg_tus_store_data_path (YgTusStore *store, const YgTusUpload *u)
{
  return g_build_filename (store->dir, u->id, NULL);
}

/**
 * yg_tus_store_get_hash:
 *
 * Returns: (transfer none): the upload's hasher, made (and resumed from
 * its saved state) on first use
 */
YgUploadHash *
yg_tus_store_get_hash (YgTusStore *store, YgTusUpload *u)
{
  if (u->hash == NULL)
    {
      g_autofree char *data = yg_tus_store_data_path (store, u);
      g_autofree char *name = g_strdup_printf ("%s.sha256", u->id);
      g_autofree char *state = g_build_filename (store->dir, name, NULL);
      u->hash = yg_upload_hash_new (data, state);
    }
  return u->hash;
}

/* The upload is done with (finished, failed or gone): forget its hashing. */
void
yg_tus_store_drop_hash (YgTusUpload *u)
{
  yg_upload_hash_release (u->hash, TRUE);
  u->hash = NULL;
}

static gboolean
write_durably (const char *path, const char *text, GError **error)
{
  g_autofree char *tmp = g_strdup_printf ("%s.tmp", path);
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  gsize len = strlen (text);
  gboolean ok;

  if (fd < 0)
    goto fail;
  ok = TRUE;
  for (gsize done = 0; ok && done < len;)
    {
      ssize_t n = write (fd, text + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      ok = n > 0; /* a short write is followed by one that says why (ENOSPC) */
      if (n == 0)
        errno = ENOSPC;
      done += n > 0 ? n : 0;
    }
  ok = ok && fsync (fd) == 0;
  if (!ok)
    {
      int saved = errno;
      close (fd);
      errno = saved;
      goto fail;
    }
  close (fd);
  if (rename (tmp, path) != 0)
    goto fail;
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
  return TRUE;

fail:
  {
    int saved = errno;
    g_unlink (tmp);
    g_set_error (error, G_IO_ERROR, yg_io_error_from_errno (saved), "Saving upload state: %s",
                 g_strerror (saved));
  }
  return FALSE;
}

/**
 * yg_tus_store_save:
 *
 * Writes the upload's .info durably.
 */
gboolean
yg_tus_store_save (YgTusStore *store, YgTusUpload *u, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autofree char *path = info_path (store, u->id);
  GHashTableIter iter;
  gpointer k, v;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "length");
  json_builder_add_int_value (b, (gint64) u->length);
  json_builder_set_member_name (b, "offset");
  json_builder_add_int_value (b, (gint64) u->offset);
  json_builder_set_member_name (b, "owner");
  json_builder_add_int_value (b, u->owner);
  json_builder_set_member_name (b, "created_at");
  json_builder_add_int_value (b, u->created_at);
  json_builder_set_member_name (b, "expires_at");
  json_builder_add_int_value (b, u->expires_at);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, yg_tus_state_to_string (u->state));
  if (u->item_id != NULL)
    {
      json_builder_set_member_name (b, "item_id");
      json_builder_add_string_value (b, u->item_id);
    }
  if (u->error_code != NULL)
    {
      json_builder_set_member_name (b, "error_code");
      json_builder_add_string_value (b, u->error_code);
      json_builder_set_member_name (b, "error_message");
      json_builder_add_string_value (b, u->error_message ? u->error_message : "");
    }
  json_builder_set_member_name (b, "metadata");
  json_builder_begin_object (b);
  g_hash_table_iter_init (&iter, u->metadata);
  while (g_hash_table_iter_next (&iter, &k, &v))
    {
      json_builder_set_member_name (b, k);
      json_builder_add_string_value (b, v);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  return write_durably (path, text, error);
}

static YgTusUpload *
load_info (YgTusStore *store, const char *id)
{
  g_autofree char *path = info_path (store, id);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o, *meta;
  YgTusUpload *u;
  const char *state;

  if (!json_parser_load_from_file (parser, path, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  o = json_node_get_object (json_parser_get_root (parser));
  u = g_new0 (YgTusUpload, 1);
  u->id = g_strdup (id);
  u->length = json_object_get_int_member_with_default (o, "length", 0);
  u->offset = json_object_get_int_member_with_default (o, "offset", 0);
  u->owner = json_object_get_int_member_with_default (o, "owner", 0);
  u->created_at = json_object_get_int_member_with_default (o, "created_at", 0);
  u->expires_at = json_object_get_int_member_with_default (o, "expires_at", 0);
  state = json_object_get_string_member_with_default (o, "state", "receiving");
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_str_equal (state, state_names[i]))
      u->state = i;
  u->item_id = g_strdup (json_object_get_string_member_with_default (o, "item_id", NULL));
  u->error_code = g_strdup (json_object_get_string_member_with_default (o, "error_code", NULL));
  u->error_message = g_strdup (json_object_get_string_member_with_default (o, "error_message", NULL));
  u->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  meta = json_object_get_object_member (o, "metadata");
  if (meta != NULL)
    {
      g_autoptr (GList) keys = json_object_get_members (meta);
      for (GList *l = keys; l != NULL; l = l->next)
        g_hash_table_insert (u->metadata, g_strdup (l->data),
                             g_strdup (json_object_get_string_member_with_default (meta, l->data, "")));
    }
  if (u->offset > u->length)
    u->offset = 0;
  return u;
}

/* Files of no upload, left by a crash: the bytes of an upload killed between
 * creating its file and writing its .info, temporary .info files, hash state
 * of a removed upload. Only names the store makes are kept. */
static void
collect_orphans (YgTusStore *store)
{
  g_autoptr (GDir) dir = g_dir_open (store->dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *id = g_strndup (name, strcspn (name, "."));
      g_autofree char *info = g_strdup_printf ("%s/%s.info", store->dir, id);
      g_autofree char *path = g_build_filename (store->dir, name, NULL);
      const char *suffix = name + strlen (id);

      /* an unreadable .info keeps its files: nothing is deleted on a guess */
      if ((g_hash_table_contains (store->uploads, id) || g_file_test (info, G_FILE_TEST_EXISTS))
          && (*suffix == '\0' || g_str_equal (suffix, ".info") || g_str_equal (suffix, ".sha256")))
        continue;
      if (g_unlink (path) == 0)
        n++;
    }
  if (n > 0)
    g_message ("removed %u files of no upload from %s", n, store->dir);
}

/**
 * yg_tus_store_new:
 * @quota: bytes of unfinished uploads one owner may have
 *
 * Loads the uploads found in DATA/uploads.
 */
YgTusStore *
yg_tus_store_new (const char *data_dir, guint64 max_size, guint64 quota, guint expire_seconds,
                  GError **error)
{
  YgTusStore *store = g_new0 (YgTusStore, 1);
  g_autoptr (GDir) dir = NULL;
  const char *name;

  store->dir = g_build_filename (data_dir, "uploads", NULL);
  store->max_size = max_size;
  store->quota = quota;
  store->expire_seconds = expire_seconds;
  store->uploads = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) upload_free);
  dir = g_dir_open (store->dir, 0, error);
  if (dir == NULL)
    {
      yg_tus_store_free (store);
      return NULL;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".info") && strlen (name) == 16 + 5)
      {
        g_autofree char *id = g_strndup (name, 16);
        YgTusUpload *u = load_info (store, id);
        if (u != NULL)
          g_hash_table_insert (store->uploads, u->id, u);
      }
  collect_orphans (store);
  return store;
}

void
yg_tus_store_free (YgTusStore *store)
{
  if (store == NULL)
    return;
  g_hash_table_destroy (store->uploads);
  g_free (store->dir);
  g_free (store);
}

guint64
yg_tus_store_get_max_size (YgTusStore *store)
{
  return store->max_size;
}

guint
yg_tus_store_get_expire_seconds (YgTusStore *store)
{
  return store->expire_seconds;
}

/**
 * yg_tus_store_lookup:
 *
 * Returns: (transfer none) (nullable): the upload, unless unknown or expired
 */
YgTusUpload *
yg_tus_store_lookup (YgTusStore *store, const char *id)
{
  YgTusUpload *u = g_hash_table_lookup (store->uploads, id);

  if (u != NULL && u->state == YG_TUS_RECEIVING && !u->locked && u->expires_at < now_s ())
    {
      yg_tus_store_remove (store, u);
      return NULL;
    }
  return u;
}

/**
 * yg_tus_store_create:
 * @metadata: (transfer none): decoded Upload-Metadata
 *
 * Returns: (transfer none): the new upload, or %NULL with 413 (too large,
 *   over quota) or a storage error
 */
YgTusUpload *
yg_tus_store_create (YgTusStore *store, guint64 length, gint64 owner, GHashTable *metadata,
                     GError **error)
{
  g_autofree char *data = NULL;
  guint64 used = 0;
  GHashTableIter iter;
  YgTusUpload *u;
  int fd;

  if (length > store->max_size)
    {
      g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_PAYLOAD_TOO_LARGE,
                   "The file is larger than this server accepts (%" G_GUINT64_FORMAT " bytes at most)",
                   store->max_size);
      return NULL;
    }
  g_hash_table_iter_init (&iter, store->uploads);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &u))
    if (u->owner == owner && u->state == YG_TUS_RECEIVING && u->expires_at >= now_s ())
      used += u->length;
  if (used + length > store->quota)
    {
      g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_PAYLOAD_TOO_LARGE,
                   "Your unfinished uploads would exceed your quota (%" G_GUINT64_FORMAT
                   " MB); finish or delete some first",
                   store->quota / 1000000);
      return NULL;
    }

  u = g_new0 (YgTusUpload, 1);
  u->id = yg_secret_new_id ();
  u->length = length;
  u->owner = owner;
  u->created_at = now_s ();
  u->expires_at = u->created_at + store->expire_seconds;
  u->metadata = g_hash_table_ref (metadata);
  data = yg_tus_store_data_path (store, u);
  fd = open (data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, yg_io_error_from_errno (saved), "Cannot store the upload: %s",
                   g_strerror (saved));
      upload_free (u);
      return NULL;
    }
  close (fd);
  if (!yg_tus_store_save (store, u, error))
    {
      g_unlink (data);
      upload_free (u);
      return NULL;
    }
  g_hash_table_insert (store->uploads, u->id, u);
  return u;
}

/* Activity pushes the expiry forward (in memory; saved with the next offset). */
void
yg_tus_store_touch (YgTusStore *store, YgTusUpload *u)
{
  u->expires_at = now_s () + store->expire_seconds;
}

void
yg_tus_store_remove (YgTusStore *store, YgTusUpload *u)
{
  g_autofree char *data = yg_tus_store_data_path (store, u);
  g_autofree char *info = info_path (store, u->id);

  yg_tus_store_get_hash (store, u); /* so a state saved by an earlier run goes too */
  yg_tus_store_drop_hash (u);
  g_unlink (data);
  g_unlink (info);
  g_hash_table_remove (store->uploads, u->id);
}

/**
 * yg_tus_store_collect_expired:
 *
 * Returns: how many unfinished, expired uploads were deleted
 */
guint
yg_tus_store_collect_expired (YgTusStore *store)
{
  g_autoptr (GPtrArray) gone = g_ptr_array_new ();
  GHashTableIter iter;
  YgTusUpload *u;
  gint64 now = now_s ();

  g_hash_table_iter_init (&iter, store->uploads);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &u))
    if (!u->locked && u->expires_at < now
        && (u->state == YG_TUS_RECEIVING || u->state == YG_TUS_FAILED))
      g_ptr_array_add (gone, u);
    else if (u->state == YG_TUS_DONE && u->expires_at + 7 * 86400 < now)
      g_ptr_array_add (gone, u); /* keep the id → item answer a week */
  for (guint i = 0; i < gone->len; i++)
    yg_tus_store_remove (store, gone->pdata[i]);
  return gone->len;
}

/**
 * yg_tus_store_list_finishing:
 *
 * Returns: (transfer container): uploads a crash left between "all bytes
 *   here" and "item created"
 */
GPtrArray *
yg_tus_store_list_finishing (YgTusStore *store)
{
  GPtrArray *list = g_ptr_array_new ();
  GHashTableIter iter;
  YgTusUpload *u;

  g_hash_table_iter_init (&iter, store->uploads);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &u))
    if (u->state == YG_TUS_FINISHING || (u->state == YG_TUS_RECEIVING && u->length == u->offset))
      g_ptr_array_add (list, u);
  return list;
}

/**
 * yg_tus_store_count:
 * @bytes: (out) (optional): their received bytes
 *
 * Returns: how many uploads are in @state
 */
guint
yg_tus_store_count (YgTusStore *store, YgTusState state, guint64 *bytes)
{
  GHashTableIter iter;
  YgTusUpload *u;
  guint n = 0;

  if (bytes != NULL)
    *bytes = 0;
  g_hash_table_iter_init (&iter, store->uploads);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &u))
    if (u->state == state)
      {
        n++;
        if (bytes != NULL)
          *bytes += u->offset;
      }
  return n;
}

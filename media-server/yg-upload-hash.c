/* yg-upload-hash.c: SHA-256 of an upload's acknowledged bytes, kept up in the background.
 *
 * A finished upload's SHA-256 goes into the catalogue. Hashing a 4 GiB file
 * only once the last byte is in would keep the final PATCH waiting for half
 * a minute (long enough for a proxy to give up), so each acknowledged PATCH
 * moves a target forward and a thread hashes up to it while the next chunk
 * arrives. Bytes below the acknowledged offset never change, so the thread
 * reads them without the upload's lock. The state (bytes hashed + the
 * SHA-256 state) is saved next to the upload every 256 MiB and at each
 * target, so a restarted server resumes instead of starting over; the file
 * is a cache: when it is missing or damaged hashing starts again from 0.
 * yg_upload_hash_complete() waits for the thread, hashes what is left and
 * returns the digest. Thread: advance and release on the main thread;
 * complete on any thread; the hashing itself on a GTask thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-upload-hash.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "yg-secret.h"

#define READ_SIZE (1 << 20)
#define SAVE_EVERY (G_GUINT64_CONSTANT (256) << 20)

struct _YgUploadHash
{
  gint ref;
  char *data_path;
  char *state_path;
  GMutex lock; /* guards everything below */
  GCond idle;
  YgSha256 *sha;
  guint64 hashed;  /* bytes in @sha */
  guint64 saved;   /* bytes in the state file */
  guint64 target;  /* acknowledged bytes to reach */
  gboolean running;
  gboolean released;
};

YgUploadHash *
yg_upload_hash_ref (YgUploadHash *h)
{
  g_atomic_int_inc (&h->ref);
  return h;
}

void
yg_upload_hash_unref (YgUploadHash *h)
{
  if (!g_atomic_int_dec_and_test (&h->ref))
    return;
  yg_sha256_free (h->sha);
  g_mutex_clear (&h->lock);
  g_cond_clear (&h->idle);
  g_free (h->data_path);
  g_free (h->state_path);
  g_free (h);
}

/* "<bytes> <base64 state>\n", or nothing usable. */
static void
load_state (YgUploadHash *h)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) parts = NULL;
  g_autoptr (GBytes) raw = NULL;
  guchar *decoded;
  gsize len;
  guint64 bytes;
  YgSha256 *sha;

  if (!g_file_get_contents (h->state_path, &text, NULL, NULL))
    return;
  parts = g_strsplit (g_strchomp (text), " ", 3);
  if (g_strv_length (parts) != 2 || !g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXUINT64,
                                                                  &bytes, NULL))
    return;
  decoded = g_base64_decode (parts[1], &len);
  raw = g_bytes_new_take (decoded, len);
  sha = yg_sha256_load (raw);
  if (sha == NULL)
    return;
  yg_sha256_free (h->sha);
  h->sha = sha;
  h->hashed = h->saved = bytes;
}

/* Lock held. A cache: written atomically, not fsynced. */
static void
save_state (YgUploadHash *h)
{
  g_autoptr (GBytes) raw = yg_sha256_save (h->sha);
  g_autofree char *b64 = g_base64_encode (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT " %s\n", h->hashed, b64);

  /* GLib writes <path>.XXXXXX and renames it over <path>. */
  if (g_file_set_contents_full (h->state_path, text, -1, G_FILE_SET_CONTENTS_NONE, 0640, NULL))
    h->saved = h->hashed;
}

/* Lock held on entry and exit; dropped while reading. Hashes @path from
 * h->hashed up to @goal; returns 0 or an errno (ENODATA: the file is short). */
static int
hash_until (YgUploadHash *h, const char *path, guint64 goal, gboolean background)
{
  g_autofree guint8 *buf = NULL;
  int fd, err = 0;

  if (h->hashed >= goal)
    return 0;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno;
  buf = g_malloc (READ_SIZE);
  while (h->hashed < goal && !(background && h->released))
    {
      guint64 at = h->hashed;
      gsize want = MIN (goal - at, READ_SIZE);
      ssize_t n;

      g_mutex_unlock (&h->lock);
      n = pread (fd, buf, want, (off_t) at);
      err = n < 0 ? errno : n == 0 ? ENODATA : 0;
      g_mutex_lock (&h->lock);
      if (err == EINTR)
        continue;
      if (err != 0 || (background && h->released))
        break;
      yg_sha256_update (h->sha, buf, n);
      h->hashed += n;
      if (background && h->hashed - h->saved >= SAVE_EVERY)
        save_state (h);
    }
  close (fd);
  if (err == 0 && background && !h->released && h->hashed != h->saved)
    save_state (h);
  return err;
}

static void
catch_up (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  YgUploadHash *h = data;
  int err;

  g_mutex_lock (&h->lock);
  while (!h->released && h->hashed < h->target)
    {
      err = hash_until (h, h->data_path, h->target, TRUE);
      if (err != 0)
        {
          /* complete() will try again and report it. */
          g_debug ("hashing %s stopped at %" G_GUINT64_FORMAT ": %s", h->data_path, h->hashed,
                   g_strerror (err));
          break;
        }
    }
  h->running = FALSE;
  g_cond_broadcast (&h->idle);
  g_mutex_unlock (&h->lock);
  yg_upload_hash_unref (h);
}

/**
 * yg_upload_hash_new:
 * @data_path: the upload's bytes
 * @state_path: where progress is kept between runs
 *
 * Returns: (transfer full): a hasher, resumed from @state_path when it holds
 * a usable state
 */
YgUploadHash *
yg_upload_hash_new (const char *data_path, const char *state_path)
{
  YgUploadHash *h = g_new0 (YgUploadHash, 1);

  h->ref = 1;
  h->data_path = g_strdup (data_path);
  h->state_path = g_strdup (state_path);
  g_mutex_init (&h->lock);
  g_cond_init (&h->idle);
  h->sha = yg_sha256_new ();
  load_state (h);
  return h;
}

/**
 * yg_upload_hash_advance:
 * @acknowledged: the upload's offset, durable on disk
 *
 * Lets the background thread hash up to @acknowledged.
 */
void
yg_upload_hash_advance (YgUploadHash *h, guint64 acknowledged)
{
  g_autoptr (GTask) task = NULL;

  g_mutex_lock (&h->lock);
  h->target = MAX (h->target, acknowledged);
  if (h->running || h->hashed >= h->target)
    {
      g_mutex_unlock (&h->lock);
      return;
    }
  h->running = TRUE;
  g_mutex_unlock (&h->lock);
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_task_data (task, yg_upload_hash_ref (h), NULL);
  g_task_run_in_thread (task, catch_up);
}

/**
 * yg_upload_hash_complete:
 * @path: where the bytes are now (the upload's file, or the original it became)
 * @length: the upload's full length
 *
 * Blocks until every byte is hashed.
 *
 * Returns: (transfer full): the SHA-256 in lowercase hex, or %NULL with
 * @error set when the file cannot be read to @length
 */
char *
yg_upload_hash_complete (YgUploadHash *h, const char *path, guint64 length, GError **error)
{
  char *hex = NULL;
  int err;

  g_mutex_lock (&h->lock);
  while (h->running)
    g_cond_wait (&h->idle, &h->lock);
  if (h->hashed > length)
    {
      /* A state from bytes that are no longer there: start over. */
      yg_sha256_free (h->sha);
      h->sha = yg_sha256_new ();
      h->hashed = 0;
    }
  err = hash_until (h, path, length, FALSE);
  if (err == 0)
    hex = yg_sha256_hex (h->sha);
  g_mutex_unlock (&h->lock);
  if (err != 0)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err == ENODATA ? EIO : err),
                 "Cannot read the upload's data: %s",
                 err == ENODATA ? "it is shorter than its length" : g_strerror (err));
  return hex;
}

guint64
yg_upload_hash_get_hashed (YgUploadHash *h)
{
  guint64 n;

  g_mutex_lock (&h->lock);
  n = h->hashed;
  g_mutex_unlock (&h->lock);
  return n;
}

/**
 * yg_upload_hash_release:
 * @forget: also delete the saved state (the upload is gone)
 *
 * Stops the background work (soon) and drops the caller's reference.
 */
void
yg_upload_hash_release (YgUploadHash *h, gboolean forget)
{
  if (h == NULL)
    return;
  g_mutex_lock (&h->lock);
  h->released = TRUE;
  if (forget)
    g_unlink (h->state_path);
  g_mutex_unlock (&h->lock);
  yg_upload_hash_unref (h);
}

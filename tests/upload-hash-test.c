/* upload-hash-test.c: the background SHA-256 of uploads (media-server/yg-upload-hash.c).
 *
 * A generated 5 MiB file is hashed in steps as if PATCHes were acknowledged;
 * the digest must equal GLib's SHA-256 of the whole file whether the hasher
 * ran straight through, resumed from its saved state in a "restarted"
 * process, or found its state missing, damaged or ahead of the data. A file
 * shorter than the upload's length is an error, and release(forget) removes
 * the state. Suite: unit.
 */
#include <glib/gstdio.h>

#include "yg-secret.h"
#include "yg-test-server.h"
#include "yg-upload-hash.h"

#define SIZE (5 * 1024 * 1024)
#define STEP (2 * 1024 * 1024)

typedef struct
{
  char *dir;
  char *data;
  char *state;
  char *expected;
} Fixture;

static void
setup (Fixture *f, gconstpointer unused)
{
  g_autofree guint8 *bytes = g_malloc (SIZE);
  GRand *rand = g_rand_new_with_seed (7);

  for (gsize i = 0; i < SIZE; i += 4)
    {
      guint32 v = g_rand_int (rand);
      memcpy (bytes + i, &v, 4);
    }
  g_rand_free (rand);
  f->dir = yg_test_make_tmpdir ();
  f->data = g_build_filename (f->dir, "upload", NULL);
  f->state = g_build_filename (f->dir, "upload.sha256", NULL);
  g_assert_true (g_file_set_contents (f->data, (const char *) bytes, SIZE, NULL));
  f->expected = g_compute_checksum_for_data (G_CHECKSUM_SHA256, bytes, SIZE);
}

static void
teardown (Fixture *f, gconstpointer unused)
{
  yg_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->data);
  g_free (f->state);
  g_free (f->expected);
}

static void
wait_hashed (YgUploadHash *h, guint64 bytes)
{
  gint64 give_up = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (yg_upload_hash_get_hashed (h) < bytes && g_get_monotonic_time () < give_up)
    g_usleep (1000);
  g_assert_cmpuint (yg_upload_hash_get_hashed (h), ==, bytes);
}

static char *
complete (YgUploadHash *h, Fixture *f, guint64 length)
{
  g_autoptr (GError) error = NULL;
  char *hex = yg_upload_hash_complete (h, f->data, length, &error);

  g_assert_no_error (error);
  return hex;
}

static void
test_in_steps (Fixture *f, gconstpointer unused)
{
  YgUploadHash *h = yg_upload_hash_new (f->data, f->state);
  g_autofree char *hex = NULL;

  g_assert_cmpuint (yg_upload_hash_get_hashed (h), ==, 0);
  yg_upload_hash_advance (h, STEP);
  wait_hashed (h, STEP);
  yg_upload_hash_advance (h, 2 * STEP);
  yg_upload_hash_advance (h, 2 * STEP); /* twice: no harm */
  wait_hashed (h, 2 * STEP);
  hex = complete (h, f, SIZE);
  g_assert_cmpstr (hex, ==, f->expected);
  yg_upload_hash_release (h, TRUE);
  g_assert_false (g_file_test (f->state, G_FILE_TEST_EXISTS));
}

static void
test_resume (Fixture *f, gconstpointer unused)
{
  YgUploadHash *h = yg_upload_hash_new (f->data, f->state);
  g_autofree char *hex = NULL;
  g_autofree char *text = NULL;

  yg_upload_hash_advance (h, STEP);
  wait_hashed (h, STEP);
  yg_upload_hash_release (h, FALSE); /* the server stops */
  g_assert_true (g_file_get_contents (f->state, &text, NULL, NULL));
  g_assert_true (g_str_has_prefix (text, "2097152 "));

  h = yg_upload_hash_new (f->data, f->state); /* ...and starts again */
  g_assert_cmpuint (yg_upload_hash_get_hashed (h), ==, STEP);
  hex = complete (h, f, SIZE);
  g_assert_cmpstr (hex, ==, f->expected);
  yg_upload_hash_release (h, TRUE);
}

static void
test_bad_state (Fixture *f, gconstpointer unused)
{
  const char *states[] = { "", "garbage", "12 ", "2097152 AAAA\n", "-1 eWdzaGEyNTYuMQ==\n",
                           "2097152 eWdzaGEyNTYuMQ== extra\n" };

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      YgUploadHash *h;
      g_autofree char *hex = NULL;

      g_assert_true (g_file_set_contents (f->state, states[i], -1, NULL));
      h = yg_upload_hash_new (f->data, f->state);
      g_assert_cmpuint (yg_upload_hash_get_hashed (h), ==, 0); /* start over */
      hex = complete (h, f, SIZE);
      g_assert_cmpstr (hex, ==, f->expected);
      yg_upload_hash_release (h, TRUE);
    }
}

/* A state from a longer file (the data was replaced): never trusted past the length. */
static void
test_state_ahead (Fixture *f, gconstpointer unused)
{
  g_autofree char *big = g_build_filename (f->dir, "big", NULL);
  g_autofree char *hex = NULL;
  g_autofree char *data = NULL;
  gsize len;
  YgUploadHash *h;

  g_assert_true (g_file_get_contents (f->data, &data, &len, NULL));
  {
    g_autoptr (GString) twice = g_string_new_len (data, len);
    g_string_append_len (twice, data, len);
    g_assert_true (g_file_set_contents (big, twice->str, twice->len, NULL));
  }
  h = yg_upload_hash_new (big, f->state);
  yg_upload_hash_advance (h, 2 * SIZE);
  wait_hashed (h, 2 * SIZE);
  yg_upload_hash_release (h, FALSE);

  h = yg_upload_hash_new (f->data, f->state);
  hex = complete (h, f, SIZE);
  g_assert_cmpstr (hex, ==, f->expected);
  yg_upload_hash_release (h, TRUE);
}

static void
test_short_file (Fixture *f, gconstpointer unused)
{
  YgUploadHash *h = yg_upload_hash_new (f->data, f->state);
  g_autoptr (GError) error = NULL;
  char *hex = yg_upload_hash_complete (h, f->data, SIZE + 1, &error);

  g_assert_null (hex);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "shorter"));
  g_clear_error (&error);
  yg_upload_hash_release (h, TRUE);

  h = yg_upload_hash_new (f->data, f->state);
  hex = yg_upload_hash_complete (h, "/nonexistent/upload", SIZE, &error);
  g_assert_null (hex);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  yg_upload_hash_release (h, TRUE);
}

/* Released while the thread still works: it stops and saves nothing more. */
static void
test_release_running (Fixture *f, gconstpointer unused)
{
  YgUploadHash *h = yg_upload_hash_new (f->data, f->state);

  yg_upload_hash_advance (h, SIZE);
  yg_upload_hash_release (h, TRUE);
  g_usleep (200 * 1000);
  g_assert_false (g_file_test (f->state, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_true (yg_secret_init ());
#define ADD(name, fn) g_test_add ("/upload-hash/" name, Fixture, NULL, setup, fn, teardown)
  ADD ("in-steps", test_in_steps);
  ADD ("resume", test_resume);
  ADD ("bad-state", test_bad_state);
  ADD ("state-ahead", test_state_ahead);
  ADD ("short-file", test_short_file);
  ADD ("release-running", test_release_running);
  return g_test_run ();
}

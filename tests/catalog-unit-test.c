/* catalog-unit-test.c: unit tests of the catalogue's pure helpers (suite "unit").
 *
 * Covers yg-secret (bearer token format and uniqueness, item id format, alphabet
 * and per-position distribution, SHA-256 against published vectors, hex and
 * constant-time comparison), yg-principal (role strings round-trip, unknown
 * strings map to YG_ROLE_NONE, principal values copy deeply) and yg-db-error
 * (SQLite result codes, primary and extended, map to the right YgDbError code
 * and the message carries the caller's context).
 * No database file is touched here; everything runs on the test's main thread.
 */
#include <string.h>

#include <glib.h>
#include <sqlite3.h>

#include "yg-db-error.h"
#include "yg-principal.h"
#include "yg-secret.h"

/* --- secret -------------------------------------------------------------- */

#define TOKEN_BODY_LEN 43 /* 32 random bytes, base64url without padding */

static gboolean
is_base64url_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

static void
test_token_format_and_uniqueness (void)
{
  static const char *const prefixes[] = { "ygs", "ygp", "yga", "ygw", "x" };
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (gsize p = 0; p < G_N_ELEMENTS (prefixes); p++)
    {
      const char *prefix = prefixes[p];
      gsize plen = strlen (prefix);

      for (int i = 0; i < 1000; i++)
        {
          g_autofree char *token = yg_secret_new_token (prefix);
          g_autofree char *b64 = NULL;
          g_autofree guchar *raw = NULL;
          gsize raw_len = 0;
          const char *body;

          g_assert_nonnull (token);
          g_assert_cmpuint (strlen (token), ==, plen + 1 + TOKEN_BODY_LEN);
          g_assert_true (g_str_has_prefix (token, prefix));
          g_assert_cmpint (token[plen], ==, '_');
          body = token + plen + 1;
          for (const char *c = body; *c != '\0'; c++)
            g_assert_true (is_base64url_char (*c));

          /* The body decodes to exactly 32 bytes. */
          b64 = g_strconcat (body, "=", NULL);
          g_strdelimit (b64, "-", '+');
          g_strdelimit (b64, "_", '/');
          raw = g_base64_decode (b64, &raw_len);
          g_assert_cmpuint (raw_len, ==, 32);

          /* No token repeats, not even its random part under another prefix. */
          g_assert_false (g_hash_table_contains (seen, body));
          g_hash_table_add (seen, g_strdup (body));
        }
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 1000 * G_N_ELEMENTS (prefixes));
}

#define ID_LEN 16
#define ID_COUNT 10000

static void
test_id_format (void)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint counts[ID_LEN][32] = { { 0 } };
  guint totals[32] = { 0 };

  for (int i = 0; i < ID_COUNT; i++)
    {
      char *id = yg_secret_new_id ();

      g_assert_nonnull (id);
      g_assert_cmpuint (strlen (id), ==, ID_LEN);
      for (int pos = 0; pos < ID_LEN; pos++)
        {
          const char *where = strchr (alphabet, id[pos]);

          g_assert_nonnull (where);
          g_assert_cmpint (id[pos], !=, '\0');
          counts[pos][where - alphabet]++;
          totals[where - alphabet]++;
        }
      g_assert_false (g_hash_table_contains (seen, id));
      g_hash_table_add (seen, id);
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, ID_COUNT);

  /* Every position carries 5 fresh random bits: with 10000 ids each symbol is
   * expected 312.5 times per position (sd ~17.4), so [150, 500] only fails if
   * the bit extraction is wrong (a stuck or biased position), not by chance. */
  for (int pos = 0; pos < ID_LEN; pos++)
    for (int sym = 0; sym < 32; sym++)
      {
        if (counts[pos][sym] < 150 || counts[pos][sym] > 500)
          g_error ("position %d symbol '%c' seen %u times in %d ids", pos, alphabet[sym],
                   counts[pos][sym], ID_COUNT);
      }
  for (int sym = 0; sym < 32; sym++)
    g_assert_cmpuint (totals[sym], >, 4000);
}

static void
test_sha256_known_vector (void)
{
  /* FIPS 180-2 / NIST example vectors. */
  static const struct
  {
    const char *input;
    const char *hex;
  } cases[] = {
    { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint8 digest[YG_SHA256_LEN];
      g_autofree char *hex = NULL;
      g_autofree char *glib_hex = NULL;

      memset (digest, 0xAA, sizeof digest);
      yg_secret_sha256 (cases[i].input, strlen (cases[i].input), digest);
      hex = yg_secret_hex (digest, sizeof digest);
      g_assert_cmpstr (hex, ==, cases[i].hex);

      /* Cross-check against GLib's independent implementation. */
      glib_hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, cases[i].input, -1);
      g_assert_cmpstr (hex, ==, glib_hex);
    }
}

static void
test_hex (void)
{
  static const guint8 bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
  g_autofree char *hex = yg_secret_hex (bytes, sizeof bytes);
  g_autofree char *empty = yg_secret_hex (bytes, 0);

  g_assert_cmpstr (hex, ==, "00017f80abff");
  g_assert_cmpstr (empty, ==, "");
}

static void
test_equal (void)
{
  guint8 a[64], b[64];

  for (gsize i = 0; i < sizeof a; i++)
    a[i] = b[i] = (guint8) (i * 7 + 3);

  g_assert_true (yg_secret_equal (a, b, sizeof a));
  g_assert_true (yg_secret_equal (a, a, sizeof a));
  g_assert_true (yg_secret_equal (a, b, 0));

  /* A single flipped bit anywhere makes them differ. */
  static const gsize positions[] = { 0, 1, 31, 62, 63 };
  for (gsize p = 0; p < G_N_ELEMENTS (positions); p++)
    {
      gsize pos = positions[p];

      b[pos] ^= 0x01;
      g_assert_false (yg_secret_equal (a, b, sizeof a));
      g_assert_false (yg_secret_equal (b, a, sizeof a));
      /* ... but only within the compared length. */
      g_assert_cmpint (yg_secret_equal (a, b, pos), ==, TRUE);
      b[pos] ^= 0x01;
      g_assert_true (yg_secret_equal (a, b, sizeof a));
    }
}

/* --- principal ----------------------------------------------------------- */

static void
test_principal_roles (void)
{
  static const struct
  {
    YgRole role;
    const char *name;
  } cases[] = {
    { YG_ROLE_NONE, "none" },       { YG_ROLE_RESIDENT, "resident" },
    { YG_ROLE_STAFF, "staff" },     { YG_ROLE_PARTNER, "partner" },
    { YG_ROLE_ADMIN, "admin" },     { YG_ROLE_WORKER, "worker" },
  };
  static const char *const unknown[] = {
    "", "Staff", "ADMIN", " staff", "staff ", "stafff", "root", "superuser", "none\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_cmpstr (yg_role_to_string (cases[i].role), ==, cases[i].name);
      g_assert_cmpint (yg_role_from_string (cases[i].name), ==, cases[i].role);
      g_assert_cmpint (yg_role_from_string (yg_role_to_string (cases[i].role)), ==,
                       cases[i].role);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (unknown); i++)
    g_assert_cmpint (yg_role_from_string (unknown[i]), ==, YG_ROLE_NONE);
  g_assert_cmpint (yg_role_from_string (NULL), ==, YG_ROLE_NONE);
}

static void
test_principal_role_out_of_range (void)
{
  /* A role outside the enum is a programmer error: a critical, and "none". */
  g_test_expect_message (NULL, G_LOG_LEVEL_CRITICAL, "*role < G_N_ELEMENTS*");
  g_assert_cmpstr (yg_role_to_string ((YgRole) 42), ==, "none");
  g_test_assert_expected_messages ();
}

static void
test_principal_value (void)
{
  g_autoptr (YgPrincipal) p = yg_principal_new (42, YG_ROLE_PARTNER, "Hangzhou centre");
  g_autoptr (YgPrincipal) q = yg_principal_copy (p);
  g_autoptr (YgPrincipal) anon = yg_principal_new (7, YG_ROLE_STAFF, NULL);

  g_assert_cmpint (q->token_id, ==, 42);
  g_assert_cmpint (q->role, ==, YG_ROLE_PARTNER);
  g_assert_cmpstr (q->name, ==, "Hangzhou centre");
  g_assert_true (q->name != p->name); /* deep copy */

  g_assert_nonnull (anon->name);
  g_assert_cmpstr (anon->name, ==, "");

  yg_principal_free (NULL); /* NULL-safe, like g_free */
}

/* --- db-error ------------------------------------------------------------ */

static void
test_db_error_map (void)
{
  static const struct
  {
    int rc;
    YgDbError code;
  } cases[] = {
    { SQLITE_CONSTRAINT_UNIQUE, YG_DB_ERROR_CONSTRAINT },
    { SQLITE_CONSTRAINT_FOREIGNKEY, YG_DB_ERROR_CONSTRAINT },
    { SQLITE_CONSTRAINT_CHECK, YG_DB_ERROR_CONSTRAINT },
    { SQLITE_CONSTRAINT, YG_DB_ERROR_CONSTRAINT },
    { SQLITE_BUSY, YG_DB_ERROR_BUSY },
    { SQLITE_BUSY_SNAPSHOT, YG_DB_ERROR_BUSY },
    { SQLITE_LOCKED, YG_DB_ERROR_BUSY },
    { SQLITE_FULL, YG_DB_ERROR_FULL },
    { SQLITE_IOERR, YG_DB_ERROR_IO },
    { SQLITE_IOERR_WRITE, YG_DB_ERROR_IO },
    { SQLITE_IOERR_FSYNC, YG_DB_ERROR_IO },
    { SQLITE_CORRUPT, YG_DB_ERROR_CORRUPT },
    { SQLITE_NOTADB, YG_DB_ERROR_CORRUPT },
    { SQLITE_CANTOPEN, YG_DB_ERROR_CANT_OPEN },
    { SQLITE_CANTOPEN_ISDIR, YG_DB_ERROR_CANT_OPEN },
    { SQLITE_PERM, YG_DB_ERROR_CANT_OPEN },
    { SQLITE_READONLY, YG_DB_ERROR_READ_ONLY },
    { SQLITE_READONLY_DBMOVED, YG_DB_ERROR_READ_ONLY },
    { SQLITE_ERROR, YG_DB_ERROR_FAILED },
    { SQLITE_MISMATCH, YG_DB_ERROR_FAILED },
    { SQLITE_NOMEM, YG_DB_ERROR_FAILED },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GError) bare = NULL;
      g_autofree char *context = g_strdup_printf ("doing step %" G_GSIZE_FORMAT, i);

      g_test_message ("rc %d (%s)", cases[i].rc, sqlite3_errstr (cases[i].rc));
      g_assert_false (yg_db_error_set_from_sqlite (&error, NULL, cases[i].rc, context));
      g_assert_error (error, YG_DB_ERROR, (gint) cases[i].code);
      /* "<context>: <sqlite's text for the code>" */
      g_assert_true (g_str_has_prefix (error->message, context));
      g_assert_nonnull (strstr (error->message, sqlite3_errstr (cases[i].rc)));

      /* Without context the message is SQLite's alone. */
      g_assert_false (yg_db_error_set_from_sqlite (&bare, NULL, cases[i].rc, NULL));
      g_assert_error (bare, YG_DB_ERROR, (gint) cases[i].code);
      g_assert_cmpstr (bare->message, ==, sqlite3_errstr (cases[i].rc));

      /* The error location is optional. */
      g_assert_false (yg_db_error_set_from_sqlite (NULL, NULL, cases[i].rc, context));
    }
}

static void
test_db_error_handle_message (void)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  g_autoptr (GError) error = NULL;
  int rc;

  /* With a handle the message is the handle's own, more specific, text. */
  g_assert_cmpint (sqlite3_open (":memory:", &db), ==, SQLITE_OK);
  rc = sqlite3_prepare_v2 (db, "SELECT * FROM no_such_table", -1, &stmt, NULL);
  g_assert_cmpint (rc, ==, SQLITE_ERROR);
  g_assert_null (stmt);
  g_assert_false (yg_db_error_set_from_sqlite (&error, db, rc, "listing things"));
  g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "listing things: no such table: no_such_table");
  sqlite3_close (db);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (!yg_secret_init ())
    g_error ("libsodium failed to initialise");

  g_test_add_func ("/secret/token/format-and-uniqueness", test_token_format_and_uniqueness);
  g_test_add_func ("/secret/id/format", test_id_format);
  g_test_add_func ("/secret/sha256/known-vector", test_sha256_known_vector);
  g_test_add_func ("/secret/hex", test_hex);
  g_test_add_func ("/secret/equal", test_equal);
  g_test_add_func ("/principal/roles", test_principal_roles);
  g_test_add_func ("/principal/roles/out-of-range", test_principal_role_out_of_range);
  g_test_add_func ("/principal/value", test_principal_value);
  g_test_add_func ("/db-error/map", test_db_error_map);
  g_test_add_func ("/db-error/handle-message", test_db_error_handle_message);

  g_test_summary ("Unit tests of the catalogue helpers: secrets, principals, error mapping.");
  return g_test_run ();
}

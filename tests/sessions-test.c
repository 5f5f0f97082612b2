/* sessions-test.c: sign-in sessions and item visibility in the catalogue
 * (suite "db"), against a real SQLite file.
 *
 * Covered: migration 5 (a session's secret is never stored, only its
 * SHA-256; looking a session up gives the account as a principal with its
 * CSRF token), the ends of a session (its lifetime, idleness, sign-out,
 * rotation by the next sign-in, a disabled account), expired rows purged at
 * the next sign-in, malformed secrets not even looked up; migration 6 (items
 * default to public, the CHECK refuses other values, lists filter by
 * visibility and setting it on a missing item is NOT_FOUND).
 * Threads: the test's, and YgDb's DB thread (run synchronously).
 */
#include <glib/gstdio.h>
#include <string.h>

#include "yg-db.h"
#include "yg-item-store.h"
#include "yg-secret.h"
#include "yg-session-store.h"
#include "yg-user-store.h"

typedef struct
{
  char *dir;
  YgDb *db;
  gint64 alice;
} Fixture;

static gpointer
make_alice (YgDbConn *conn, gpointer data, GError **error)
{
  gint64 id = yg_user_store_create (conn, "alice", "Alice", YG_ROLE_RESIDENT, "long enough 1",
                                    error);
  return id > 0 ? g_memdup2 (&id, sizeof id) : NULL;
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree gint64 *id = NULL;

  f->dir = g_dir_make_tmp ("yunguan-sessions-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "catalog.db", NULL);
  f->db = yg_db_open (path, &error);
  g_assert_no_error (error);
  id = yg_db_run_sync (f->db, make_alice, NULL, &error);
  g_assert_no_error (error);
  f->alice = *id;
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_autoptr (GDir) d = g_dir_open (f->dir, 0, NULL);
  const char *name;

  g_clear_object (&f->db);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
}

typedef struct
{
  gint64 user_id;
  const char *replaces;
  const char *secret;
  const char *sql;
} Args;

static gpointer
do_create (YgDbConn *conn, gpointer data, GError **error)
{
  Args *a = data;
  return yg_session_store_create (conn, a->user_id, a->replaces, error);
}

static gpointer
do_lookup (YgDbConn *conn, gpointer data, GError **error)
{
  Args *a = data;
  return yg_session_store_lookup (conn, a->secret, error);
}

static gpointer
do_delete (YgDbConn *conn, gpointer data, GError **error)
{
  Args *a = data;
  return yg_session_store_delete (conn, a->secret, error) ? GINT_TO_POINTER (1) : NULL;
}

static gpointer
do_exec (YgDbConn *conn, gpointer data, GError **error)
{
  Args *a = data;
  return yg_db_conn_exec (conn, a->sql, error) ? GINT_TO_POINTER (1) : NULL;
}

static gpointer
do_count (YgDbConn *conn, gpointer data, GError **error)
{
  sqlite3_stmt *s = yg_db_conn_prepare (conn, "SELECT count(*) FROM sessions", error);
  int n;

  if (s == NULL || yg_db_conn_step (conn, s, error) != SQLITE_ROW)
    return NULL;
  n = sqlite3_column_int (s, 0);
  sqlite3_reset (s);
  return GINT_TO_POINTER (n + 1);
}

static YgNewSession *
create (Fixture *f, const char *replaces)
{
  g_autoptr (GError) error = NULL;
  Args a = { f->alice, replaces, NULL, NULL };
  YgNewSession *s = yg_db_run_sync (f->db, do_create, &a, &error);

  g_assert_no_error (error);
  return s;
}

/* Returns the principal or NULL (asserting NOT_FOUND). */
static YgPrincipal *
lookup (Fixture *f, const char *secret)
{
  g_autoptr (GError) error = NULL;
  Args a = { 0, NULL, secret, NULL };
  YgPrincipal *p = yg_db_run_sync (f->db, do_lookup, &a, &error);

  if (p == NULL)
    g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND);
  return p;
}

static void
exec (Fixture *f, const char *sql)
{
  g_autoptr (GError) error = NULL;
  Args a = { 0, NULL, NULL, sql };

  yg_db_run_sync (f->db, do_exec, &a, &error);
  g_assert_no_error (error);
}

static int
count (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  return GPOINTER_TO_INT (yg_db_run_sync (f->db, do_count, NULL, &error)) - 1;
}

static gboolean
file_contains (const char *dir, const char *needle)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_autofree char *data = NULL;
      gsize len;
      if (g_file_get_contents (p, &data, &len, NULL)
          && memmem (data, len, needle, strlen (needle)) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
test_create_lookup (Fixture *f, gconstpointer data)
{
  g_autoptr (YgNewSession) s = create (f, NULL);
  g_autoptr (YgPrincipal) p = lookup (f, s->secret);

  g_assert_true (yg_session_secret_is_well_formed (s->secret));
  g_assert_nonnull (p);
  g_assert_cmpint (p->role, ==, YG_ROLE_RESIDENT);
  g_assert_cmpint (p->user_id, ==, f->alice);
  g_assert_cmpint (p->session_id, >, 0);
  g_assert_cmpint (p->token_id, ==, 0);
  g_assert_cmpstr (p->username, ==, "alice");
  g_assert_cmpstr (p->name, ==, "Alice");
  g_assert_cmpstr (p->csrf_token, ==, s->csrf_token);
  g_assert_cmpstr (s->csrf_token, !=, s->secret);
  /* the database (and its WAL) hold no trace of the secret itself */
  g_assert_false (file_contains (f->dir, s->secret + 4));
  g_assert_true (file_contains (f->dir, s->csrf_token));
  {
    g_autoptr (YgPrincipal) copy = yg_principal_copy (p);
    g_assert_cmpstr (copy->csrf_token, ==, p->csrf_token);
    g_assert_cmpint (copy->session_id, ==, p->session_id);
  }
}

static void
test_ends (Fixture *f, gconstpointer data)
{
  g_autoptr (YgNewSession) a = create (f, NULL);
  g_autoptr (YgNewSession) b = create (f, NULL);
  g_autoptr (YgNewSession) c = create (f, NULL);
  g_autoptr (YgNewSession) d = create (f, NULL);
  g_autoptr (YgNewSession) e = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *sql = NULL;
  Args del = { 0, NULL, d->secret, NULL };

  g_assert_cmpint (count (f), ==, 4);
  /* a: past its lifetime; b: idle too long */
  sql = g_strdup_printf ("UPDATE sessions SET expires_at = 1 WHERE csrf_token = '%s';"
                         "UPDATE sessions SET last_seen_at = 1 WHERE csrf_token = '%s'",
                         a->csrf_token, b->csrf_token);
  exec (f, sql);
  g_assert_null (lookup (f, a->secret));
  g_assert_null (lookup (f, b->secret));
  /* d: signed out (twice is fine) */
  yg_db_run_sync (f->db, do_delete, &del, &error);
  g_assert_no_error (error);
  yg_db_run_sync (f->db, do_delete, &del, &error);
  g_assert_no_error (error);
  g_assert_null (lookup (f, d->secret));
  /* c is replaced by e (rotation); a and b are purged on the way */
  e = create (f, c->secret);
  g_assert_null (lookup (f, c->secret));
  g_assert_cmpint (count (f), ==, 1);
  {
    g_autoptr (YgPrincipal) p = lookup (f, e->secret);
    g_assert_nonnull (p);
  }
  /* a disabled account has no sessions that work */
  exec (f, "UPDATE users SET disabled_at = 1");
  g_assert_null (lookup (f, e->secret));
  /* malformed secrets are not even looked up */
  g_assert_null (lookup (f, ""));
  g_assert_null (lookup (f, "ygc_short"));
  g_assert_null (lookup (f, "ygc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!"));
}

/* --- visibility ------------------------------------------------------------------------- */

typedef struct
{
  const char *id;
  YgVisibility v;
  guint mask;
} VisArgs;

static gpointer
do_insert (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_item_store_insert (conn, NULL, "heritage", "x", "", error);
}

static gpointer
do_set (YgDbConn *conn, gpointer data, GError **error)
{
  VisArgs *a = data;
  return yg_item_store_set_visibility (conn, a->id, a->v, error) ? GINT_TO_POINTER (1) : NULL;
}

static gpointer
do_list (YgDbConn *conn, gpointer data, GError **error)
{
  VisArgs *a = data;
  return yg_item_store_list_visible (conn, 100, a->mask, error);
}

static gpointer
do_get_vis (YgDbConn *conn, gpointer data, GError **error)
{
  VisArgs *a = data;
  YgVisibility v = yg_item_store_get_visibility (conn, a->id, error);
  return v == YG_VISIBILITY_INVALID ? NULL : GINT_TO_POINTER (v);
}

static void
test_visibility (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  char *ids[4];
  YgVisibility vis[4] = { YG_VISIBILITY_PUBLIC, YG_VISIBILITY_RESIDENTS, YG_VISIBILITY_UNLISTED,
                          YG_VISIBILITY_STAFF };

  for (int i = 0; i < 4; i++)
    {
      VisArgs a;
      ids[i] = yg_db_run_sync (f->db, do_insert, NULL, &error);
      g_assert_no_error (error);
      a = (VisArgs){ ids[i], 0, 0 };
      g_assert_cmpint (GPOINTER_TO_INT (yg_db_run_sync (f->db, do_get_vis, &a, &error)), ==,
                       YG_VISIBILITY_PUBLIC); /* the default */
      a.v = vis[i];
      yg_db_run_sync (f->db, do_set, &a, &error);
      g_assert_no_error (error);
    }
  for (guint mask = 0; mask < 32; mask += 2) /* bit 0 is INVALID */
    {
      VisArgs a = { NULL, 0, mask };
      g_autoptr (GPtrArray) items = yg_db_run_sync (f->db, do_list, &a, &error);
      guint want = 0;
      g_assert_no_error (error);
      for (int i = 0; i < 4; i++)
        want += (mask >> vis[i]) & 1;
      g_assert_cmpuint (items->len, ==, want);
      for (guint j = 0; j < items->len; j++)
        g_assert_true (mask & (1u << ((YgItem *) items->pdata[j])->visibility));
    }
  {
    VisArgs a = { "nosuchitem234567", YG_VISIBILITY_STAFF, 0 };
    g_assert_null (yg_db_run_sync (f->db, do_set, &a, &error));
    g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND);
    g_clear_error (&error);
    g_assert_null (yg_db_run_sync (f->db, do_get_vis, &a, &error));
    g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }
  {
    g_autofree char *sql = g_strdup_printf ("UPDATE items SET visibility = 'secret' WHERE id = '%s'",
                                            ids[0]);
    Args a = { 0, NULL, NULL, sql };
    g_assert_null (yg_db_run_sync (f->db, do_exec, &a, &error));
    g_assert_error (error, YG_DB_ERROR, YG_DB_ERROR_CONSTRAINT);
  }
  g_assert_cmpint (yg_visibility_from_string ("Public"), ==, YG_VISIBILITY_INVALID);
  g_assert_cmpstr (yg_visibility_to_string (YG_VISIBILITY_UNLISTED), ==, "unlisted");
  for (int i = 0; i < 4; i++)
    g_free (ids[i]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Sessions (migration 5) and item visibility (migration 6) in the catalogue");
  yg_secret_init ();
  g_test_add ("/sessions/create-lookup", Fixture, NULL, setup, test_create_lookup, teardown);
  g_test_add ("/sessions/ends", Fixture, NULL, setup, test_ends, teardown);
  g_test_add ("/sessions/visibility", Fixture, NULL, setup, test_visibility, teardown);
  return g_test_run ();
}

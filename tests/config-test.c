/* config-test.c: YgConfig: value parsing, precedence and documentation.
 *
 * Table-driven checks of sizes, numbers and ranges; the precedence INI file
 * < environment < flags through the real GOptionContext path; and that the
 * README's option table is exactly what the option table generates, so the
 * documentation cannot drift from the code. Suite: unit.
 */
#include <glib/gstdio.h>

#include "yg-config.h"
#include "yg-test-server.h"

static void
test_values (void)
{
  static const struct
  {
    const char *key, *value;
    gboolean ok;
  } cases[] = {
    { "max-header-bytes", "16K", TRUE },     { "max-header-bytes", "16384", TRUE },
    { "max-header-bytes", "100K", FALSE },   { "max-header-bytes", "1", FALSE },
    { "max-body-bytes", "1M", TRUE },        { "max-body-bytes", "1MiB", TRUE },
    { "max-body-bytes", "1MB", TRUE },       { "max-body-bytes", "1G", TRUE },
    { "max-body-bytes", "2G", FALSE },       { "max-body-bytes", "1X", FALSE },
    { "max-body-bytes", "-1", FALSE },       { "max-body-bytes", "99999999999999999999K", FALSE },
    { "max-connections", "0", FALSE },       { "max-connections", "10", TRUE },
    { "max-connections", "ten", FALSE },     { "max-connections", "", FALSE },
    { "header-timeout", "3601", FALSE },     { "workers", "auto", TRUE },
    { "workers", "0", TRUE },                { "workers", "65", FALSE },
    { "listen", "", FALSE },                 { "no-such-option", "1", FALSE },
    { "behind-tls", "yes", TRUE },           { "behind-tls", "no", TRUE },
    { "behind-tls", "maybe", FALSE },        { "behind-tls", "", FALSE },
    { "playback-token-hours", "0", FALSE },  { "playback-token-hours", "169", FALSE },
    { "playback-token-hours", "24", TRUE },
    { "accel-redirect", "none", TRUE },      { "accel-redirect", "/yg-media/", TRUE },
    { "accel-redirect", "/a/b_c-1/", TRUE }, { "accel-redirect", "yg-media/", FALSE },
    { "accel-redirect", "/yg-media", FALSE }, { "accel-redirect", "/", FALSE },
    { "accel-redirect", "//x/", FALSE },     { "accel-redirect", "/a b/", FALSE },
    { "accel-redirect", "/a\r\nX: y/", FALSE }, { "accel-redirect", "/../", FALSE },
  };
  g_autoptr (YgConfig) c = yg_config_new ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      gboolean ok = yg_config_set (c, cases[i].key, cases[i].value, &error);
      g_test_message ("%s = \"%s\"", cases[i].key, cases[i].value);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (!ok)
        g_assert_nonnull (strstr (error->message, cases[i].key));
    }
  g_assert_true (yg_config_set (c, "max-body-bytes", "2M", NULL));
  g_assert_cmpuint (c->max_body_bytes, ==, 2 * 1024 * 1024);
  g_assert_true (yg_config_set (c, "workers", "auto", NULL));
  g_assert_cmpuint (yg_config_get_workers (c), >=, 1);
  g_assert_true (yg_config_set (c, "workers", "0", NULL));
  g_assert_cmpuint (yg_config_get_workers (c), ==, 0);
  g_assert_true (yg_config_set (c, "behind-tls", "YES", NULL));
  g_assert_true (c->behind_tls);
  g_assert_true (yg_config_set (c, "behind-tls", "off", NULL));
  g_assert_false (c->behind_tls);
}

static void
test_precedence (void)
{
  g_autofree char *dir = yg_test_make_tmpdir ();
  g_autofree char *ini = g_build_filename (dir, "y.ini", NULL);
  g_autoptr (YgConfig) c = yg_config_new ();
  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  char *args[] = { "yunguan", "--config", ini, "--idle-timeout", "33", NULL };
  char **argv = args;
  int argc = 5;

  g_file_set_contents (ini,
                       "[server]\nheader-timeout = 7\nidle-timeout = 8\nmax-connections = 9\n",
                       -1, NULL);
  g_setenv ("YUNGUAN_MAX_CONNECTIONS", "11", TRUE);
  g_setenv ("YUNGUAN_IDLE_TIMEOUT", "12", TRUE);
  g_option_context_set_main_group (ctx, yg_config_option_group (c, TRUE));
  g_assert_true (g_option_context_parse (ctx, &argc, &argv, &error));
  g_assert_no_error (error);
  g_assert_true (yg_config_finish (c, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c->header_timeout, ==, 7);   /* file only */
  g_assert_cmpuint (c->max_connections, ==, 11); /* env beats file */
  g_assert_cmpuint (c->idle_timeout, ==, 33);    /* flag beats env and file */
  g_assert_cmpstr (c->config_file, ==, ini);
  g_unsetenv ("YUNGUAN_MAX_CONNECTIONS");
  g_unsetenv ("YUNGUAN_IDLE_TIMEOUT");
  yg_test_rm_rf (dir);
}

static void
test_copy (void)
{
  g_autoptr (YgConfig) a = yg_config_new ();
  g_autoptr (YgConfig) b = NULL;

  yg_config_set (a, "listen", "127.0.0.1:9", NULL);
  b = yg_config_copy (a);
  yg_config_set (a, "listen", "127.0.0.1:10", NULL);
  g_assert_cmpstr (b->listen, ==, "127.0.0.1:9");
  g_assert_true (b->data_dir != a->data_dir);
  g_assert_cmpstr (b->data_dir, ==, a->data_dir);
}

static void
test_readme_in_sync (void)
{
  const char *root = g_getenv ("YG_SOURCE_ROOT");
  g_autofree char *readme = NULL;
  g_autofree char *path = NULL;
  g_autofree char *table = yg_config_describe (TRUE);

  if (root == NULL)
    {
      g_test_skip ("YG_SOURCE_ROOT is not set (run through meson test)");
      return;
    }
  path = g_build_filename (root, "README.md", NULL);
  g_assert_true (g_file_get_contents (path, &readme, NULL, NULL));
  /* The README carries the generated table verbatim. */
  g_assert_nonnull (strstr (readme, table));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Configuration values, precedence and documentation");
  g_test_add_func ("/config/values", test_values);
  g_test_add_func ("/config/precedence", test_precedence);
  g_test_add_func ("/config/copy", test_copy);
  g_test_add_func ("/config/readme-in-sync", test_readme_in_sync);
  return g_test_run ();
}

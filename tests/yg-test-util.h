/* yg-test-util.h: helpers every test program may use: scratch directories, external tools,
 * route patterns. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *yg_test_make_tmpdir (void);
void yg_test_rm_rf (const char *path);
gboolean yg_test_spawn (const char *const *argv, char **out, char **err);
char *yg_test_ffmpeg (const char *dir, const char *name, const char *const *args);
guint yg_test_pattern_params (const char *pattern);

G_END_DECLS

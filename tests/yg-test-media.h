/* yg-test-media.h: helpers of the media tests: external tools and scratch directories. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean yg_test_media_spawn (const char *const *argv, char **out, char **err);
char *yg_test_media_ffmpeg (const char *dir, const char *name, const char *const *args);
void yg_test_media_rm_rf (const char *dir);

G_END_DECLS

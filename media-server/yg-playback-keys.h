/* yg-playback-keys.h: the keyring that signs /hls/t/… playback URLs. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _YgPlaybackKeys YgPlaybackKeys;

YgPlaybackKeys *yg_playback_keys_open (const char *data_dir, GError **error);
void yg_playback_keys_free (YgPlaybackKeys *keys);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgPlaybackKeys, yg_playback_keys_free)

char *yg_playback_keys_sign (YgPlaybackKeys *keys, const char *item_id, gint64 expires_at);
gboolean yg_playback_keys_verify (YgPlaybackKeys *keys,
                                  const char     *token,
                                  const char     *item_id,
                                  gint64          now,
                                  gint64         *expires_at);

/* The keyring file, for the CLI (works while the server runs). */
char *yg_playback_keys_rotate (const char *data_dir, GError **error);
gboolean yg_playback_keys_remove (const char *data_dir, const char *key_id, GError **error);
char *yg_playback_keys_describe (const char *data_dir, GError **error);

G_END_DECLS

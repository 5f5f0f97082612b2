/* yg-storyboard.h: seek-preview thumbnails (storyboard.jpg + thumbnails.vtt). */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

#include "yg-hls-pipeline.h"

G_BEGIN_DECLS

#define YG_STORYBOARD_TILE_WIDTH 160 /* px */
#define YG_STORYBOARD_COLUMNS 10
#define YG_STORYBOARD_MAX_TILES 100
#define YG_STORYBOARD_MIN_INTERVAL_MS 2000

/* Tiles taken from frames decoded elsewhere (the transcode's own decode):
 * the pipeline asks yg_storyboard_tiles_claim for each frame's stream time,
 * converts the claimed ones to yg_storyboard_tiles_caps and adds them in
 * the same order; publish composes and writes the files. */
YgStoryboardTiles *yg_storyboard_tiles_new (const YgSourceFacts *facts);
void yg_storyboard_tiles_free (YgStoryboardTiles *tiles);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgStoryboardTiles, yg_storyboard_tiles_free)
GstCaps *yg_storyboard_tiles_caps (YgStoryboardTiles *tiles);
gboolean yg_storyboard_tiles_claim (YgStoryboardTiles *tiles, GstClockTime stream_time);
void yg_storyboard_tiles_add (YgStoryboardTiles *tiles, GstSample *sample);
guint yg_storyboard_tiles_count (YgStoryboardTiles *tiles);
gboolean yg_storyboard_tiles_publish (YgStoryboardTiles *tiles,
                                      const char        *out_dir,
                                      const char        *image_url,
                                      GError           **error);

gboolean yg_storyboard_make (const char          *input_path,
                             const YgSourceFacts *facts,
                             const char          *out_dir,
                             const char          *image_url,
                             GCancellable        *cancellable,
                             GError             **error);

G_END_DECLS

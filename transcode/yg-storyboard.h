/* yg-storyboard.h: seek-preview thumbnails (storyboard.jpg + thumbnails.vtt). */
#pragma once

#include <gio/gio.h>

#include "yg-hls-pipeline.h"

G_BEGIN_DECLS

#define YG_STORYBOARD_TILE_WIDTH 160 /* px */
#define YG_STORYBOARD_COLUMNS 10
#define YG_STORYBOARD_MAX_TILES 100
#define YG_STORYBOARD_MIN_INTERVAL_MS 2000

gboolean yg_storyboard_make (const char          *input_path,
                             const YgSourceFacts *facts,
                             const char          *out_dir,
                             const char          *image_url,
                             GCancellable        *cancellable,
                             GError             **error);

G_END_DECLS

/* yg-visibility.h: who may see an item: public, residents, unlisted, staff. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  YG_VISIBILITY_INVALID = 0,
  YG_VISIBILITY_PUBLIC,    /* anyone, listed, stable /hls/<item>/ URLs */
  YG_VISIBILITY_RESIDENTS, /* signed-in residents, staff and admins */
  YG_VISIBILITY_UNLISTED,  /* anyone with the link; never in a list */
  YG_VISIBILITY_STAFF,     /* staff and admins */
} YgVisibility;

const char *yg_visibility_to_string (YgVisibility v);
YgVisibility yg_visibility_from_string (const char *s);

G_END_DECLS

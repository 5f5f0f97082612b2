/* yg-visibility.c: the item visibility values and their stored strings.
 *
 * The strings are those of the CHECK constraint on items.visibility
 * (migration 6) and of the item JSON. Who may see what is decided in
 * media-server/yg-auth.c, next to the other access decisions.
 * Thread: any (pure functions).
 */
#include "yg-visibility.h"

static const char *const names[] = {
  [YG_VISIBILITY_INVALID] = NULL,          [YG_VISIBILITY_PUBLIC] = "public",
  [YG_VISIBILITY_RESIDENTS] = "residents", [YG_VISIBILITY_UNLISTED] = "unlisted",
  [YG_VISIBILITY_STAFF] = "staff",
};

const char *
yg_visibility_to_string (YgVisibility v)
{
  g_return_val_if_fail (v > YG_VISIBILITY_INVALID && v < G_N_ELEMENTS (names), "staff");
  return names[v];
}

/* Returns YG_VISIBILITY_INVALID for anything but the four names. */
YgVisibility
yg_visibility_from_string (const char *s)
{
  for (guint i = 1; s != NULL && i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (s, names[i]))
      return i;
  return YG_VISIBILITY_INVALID;
}

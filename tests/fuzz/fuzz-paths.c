/* fuzz-paths.c: request paths and the names inside them: the router's
 * matching over the real route table (yg_router_match) and the grammar of
 * item ids, rungs and segment names in /hls URLs (yg-media-names.c).
 *
 * The first input byte picks the method, the rest is the raw path.
 * Invariants: a match hands over exactly one parameter per {param} of the
 * route, each non-empty valid UTF-8 with no '/', '\\' or control character
 * and never "." or ".."; 405 comes with an Allow list; an accepted media
 * name is a plain file name of [a-z0-9.] that is neither "." nor "..".
 * Thread: the fuzzer's.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yg-media-names.h"
#include "yg-router.h"
#include "yg-routes.h"
#include "yg-test-util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
                                       "OPTIONS", "get", "" };

static void
check_plain_name (const char *name)
{
  if (*name == '\0' || g_str_equal (name, ".") || g_str_equal (name, ".."))
    abort ();
  for (const char *p = name; *p; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '.')
      abort ();
}

static void
check_names (const char *s)
{
  if (yg_media_names_item_id_is_valid (s))
    {
      check_plain_name (s);
      if (strlen (s) != 16)
        abort ();
    }
  if (yg_media_names_rung_is_valid (s))
    check_plain_name (s);
  if (yg_media_names_is_segment (s))
    check_plain_name (s);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static YgRouter *router;
  g_autofree char *path = NULL;
  g_autoptr (GPtrArray) params = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) allow = g_string_new (NULL);
  const YgRoute *route = NULL;
  const char *method;

  if (router == NULL)
    router = yg_router_new (yg_routes, yg_n_routes, NULL);
  if (router == NULL)
    abort ();
  if (size == 0)
    return 0;
  method = methods[data[0] % G_N_ELEMENTS (methods)];
  path = g_strndup ((const char *) data + 1, size - 1);
  check_names (path);
  switch (yg_router_match (router, method, path, &route, params, allow))
    {
    case YG_ROUTER_MATCH:
      if (route == NULL || params->len != yg_test_pattern_params (route->pattern))
        abort ();
      for (guint i = 0; i < params->len; i++)
        {
          const char *v = params->pdata[i];
          if (*v == '\0' || !g_utf8_validate (v, -1, NULL) || g_str_equal (v, ".")
              || g_str_equal (v, "..") || strpbrk (v, "/\\") != NULL)
            abort ();
          for (const char *p = v; *p; p++)
            if ((guchar) *p < 0x20 || *p == 0x7f)
              abort ();
          check_names (v);
        }
      break;
    case YG_ROUTER_NO_METHOD:
      if (allow->len == 0)
        abort ();
      break;
    case YG_ROUTER_NO_PATH:
    case YG_ROUTER_BAD_PATH:
      break;
    default:
      abort ();
    }
  return 0;
}

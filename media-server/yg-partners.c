/* yg-partners.c: what the server knows of its partner centres on every request.
 *
 * A copy of the enabled partners (origins and token ids) is held in memory
 * and replaced whole after each admin change (yg-route-partners.c) and at
 * start-up, so the per-request checks (the embed page's frame-ancestors, the
 * CORS echo on /hls and /api, attributing playback) never touch the
 * database. Origins are compared in one normal form, scheme://host[:port]
 * (lower case, default ports left out), which also keeps them safe to put
 * into a CSP header (no spaces, quotes or ';').
 * CORS: an allowed Origin is echoed in Access-Control-Allow-Origin with
 * Vary: Origin on every answer; never "*", never Allow-Credentials, so a
 * partner's page only ever reads what an anonymous caller may read.
 * Embed tokens: "<partner>.<expiry>.<key>.<mac>", the playback keyring's
 * HMAC over the name "embed/<partner>/<item>" (a name no /hls/t/ URL can
 * carry, since an item id never contains '/'); a token verifies only for
 * its item, before its expiry and while its partner is enabled.
 * Thread: any; a mutex guards the tables (delivery threads answer CORS for
 * HLS too).
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-partners.h"

#include <string.h>

#include "yg-config.h"
#include "yg-field-error.h"

struct _YgPartners
{
  GHashTable *by_origin; /* origin → partner id (GINT64 in a pointer-sized box) */
  GHashTable *by_token;  /* token id → partner id */
  GHashTable *enabled;   /* partner id set */
  char *ancestors;       /* "'self' origin …" */
  GMutex lock;
};

static GHashTable *
int64_table (void)
{
  return g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
}

static gint64 *
box (gint64 v)
{
  return g_memdup2 (&v, sizeof v);
}

YgPartners *
yg_partners_new (void)
{
  YgPartners *self = g_new0 (YgPartners, 1);

  self->by_origin = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->by_token = int64_table ();
  self->enabled = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL); /* a set */
  self->ancestors = g_strdup ("'self'");
  g_mutex_init (&self->lock);
  return self;
}

void
yg_partners_free (YgPartners *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->by_origin);
  g_hash_table_unref (self->by_token);
  g_hash_table_unref (self->enabled);
  g_free (self->ancestors);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/**
 * yg_partners_set:
 * @partners: (element-type YgPartner): every partner; disabled ones are left out
 */
void
yg_partners_set (YgPartners *self, GPtrArray *partners)
{
  g_autoptr (GString) ancestors = g_string_new ("'self'");
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  g_hash_table_remove_all (self->by_origin);
  g_hash_table_remove_all (self->by_token);
  g_hash_table_remove_all (self->enabled);
  for (guint i = 0; i < partners->len; i++)
    {
      const YgPartner *p = partners->pdata[i];

      if (!p->enabled)
        continue;
      g_hash_table_add (self->enabled, box (p->id));
      if (p->token_id != 0)
        g_hash_table_insert (self->by_token, box (p->token_id), box (p->id));
      for (guint k = 0; p->origins[k] != NULL; k++)
        if (!g_hash_table_contains (self->by_origin, p->origins[k]))
          {
            g_hash_table_insert (self->by_origin, g_strdup (p->origins[k]), box (p->id));
            g_string_append_printf (ancestors, " %s", p->origins[k]);
          }
    }
  g_free (self->ancestors);
  self->ancestors = g_string_free (g_steal_pointer (&ancestors), FALSE);
}

/* Returns: the enabled partner allowing @origin (an Origin header), or 0 */
gint64
yg_partners_for_origin (YgPartners *self, const char *origin)
{
  g_autofree char *norm = NULL;
  g_autoptr (GMutexLocker) locker = NULL;
  gint64 *id;

  if (origin == NULL || strlen (origin) > YG_PARTNERS_MAX_ORIGIN_LEN)
    return 0;
  norm = yg_partners_normalise_origin (origin, NULL);
  if (norm == NULL)
    return 0;
  locker = g_mutex_locker_new (&self->lock);
  id = g_hash_table_lookup (self->by_origin, norm);
  return id != NULL ? *id : 0;
}

/* Returns: the enabled partner a bearer token was minted for, or 0 */
gint64
yg_partners_for_token (YgPartners *self, gint64 token_id)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  gint64 *id = g_hash_table_lookup (self->by_token, &token_id);

  return id != NULL ? *id : 0;
}

gboolean
yg_partners_is_enabled (YgPartners *self, gint64 partner_id)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return g_hash_table_contains (self->enabled, &partner_id);
}

/* Returns: (transfer full): the sources of the embed page's frame-ancestors */
char *
yg_partners_frame_ancestors (YgPartners *self)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return g_strdup (self->ancestors);
}

/* Adds the CORS answer for the request's Origin (see the header comment). */
void
yg_partners_cors (YgPartners *self, SoupServerMessage *msg)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  const char *origin
      = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Origin");

  soup_message_headers_append (h, "Vary", "Origin");
  if (origin != NULL && yg_partners_for_origin (self, origin) != 0)
    soup_message_headers_replace (h, "Access-Control-Allow-Origin", origin);
}

/**
 * yg_partners_normalise_origin:
 *
 * Accepts http(s)://host[:port] with nothing after it but an optional "/".
 *
 * Returns: (transfer full): the origin in normal form, or %NULL with a
 *   field error naming "origins"
 */
char *
yg_partners_normalise_origin (const char *text, GError **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autofree char *host = NULL;
  const char *scheme, *path;
  int port;

  if (text == NULL || strlen (text) > YG_PARTNERS_MAX_ORIGIN_LEN)
    goto bad;
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    goto bad;
  scheme = g_uri_get_scheme (uri);
  path = g_uri_get_path (uri);
  if ((g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0)
      || g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL
      || g_uri_get_fragment (uri) != NULL || (path[0] != '\0' && !g_str_equal (path, "/")))
    goto bad;
  host = g_ascii_strdown (g_uri_get_host (uri) != NULL ? g_uri_get_host (uri) : "", -1);
  if (!yg_config_is_host (host))
    goto bad;
  port = g_uri_get_port (uri);
  if (port == -1 || (g_str_equal (scheme, "http") && port == 80)
      || (g_str_equal (scheme, "https") && port == 443))
    return g_strdup_printf ("%s://%s%s%s", scheme, strchr (host, ':') ? "[" : "", host,
                            strchr (host, ':') ? "]" : "");
  return g_strdup_printf ("%s://%s%s%s:%d", scheme, strchr (host, ':') ? "[" : "", host,
                          strchr (host, ':') ? "]" : "", port);

bad:
  yg_field_error_set (error, "origins",
                      "An origin is http:// or https:// with a host and an optional port, "
                      "and nothing after it (e.g. https://www.example.org)");
  return NULL;
}

/**
 * yg_partners_embed_sign:
 *
 * Returns: (transfer full): an embed token for @partner_id and @item_id
 */
char *
yg_partners_embed_sign (YgPlaybackKeys *keys, gint64 partner_id, const char *item_id,
                        gint64 expires_at)
{
  g_autofree char *name = g_strdup_printf (YG_PARTNERS_EMBED_PREFIX "%" G_GINT64_FORMAT "/%s",
                                           partner_id, item_id);
  g_autofree char *mac = yg_playback_keys_sign (keys, name, expires_at);

  return g_strdup_printf ("%" G_GINT64_FORMAT ".%s", partner_id, mac);
}

/* Returns: the enabled partner a valid embed token for @item_id names, or 0 */
gint64
yg_partners_embed_verify (YgPartners *self, YgPlaybackKeys *keys, const char *token,
                          const char *item_id, gint64 now)
{
  g_autofree char *name = NULL;
  const char *dot;
  guint64 partner;

  if (token == NULL || item_id == NULL || strchr (item_id, '/') != NULL)
    return 0;
  dot = strchr (token, '.');
  if (dot == NULL || dot == token || dot - token > 18)
    return 0;
  for (const char *p = token; p < dot; p++)
    if (!g_ascii_isdigit (*p))
      return 0;
  partner = g_ascii_strtoull (token, NULL, 10);
  if (partner == 0 || partner > G_MAXINT64 || !yg_partners_is_enabled (self, (gint64) partner))
    return 0;
  name = g_strdup_printf (YG_PARTNERS_EMBED_PREFIX "%" G_GINT64_FORMAT "/%s", (gint64) partner,
                          item_id);
  return yg_playback_keys_verify (keys, dot + 1, name, now, NULL) ? (gint64) partner : 0;
}

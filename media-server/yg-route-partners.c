/* yg-route-partners.c: partner centres, managed by admins, and the embed
 * tokens partners mint for their pages.
 *
 *   GET    /api/v1/partners           admin → {partners}
 *   POST   /api/v1/partners           admin {name, origins[], enabled} → 201 partner + token
 *   GET    /api/v1/partners/{id}      admin
 *   PATCH  /api/v1/partners/{id}      admin {name?, origins?, enabled?}
 *   DELETE /api/v1/partners/{id}      admin (revokes the partner's token)
 *   POST   /api/v1/embeds             partner {item, hours?} → {token, embed_url, expires_at}
 *
 * The partner token (role partner) is minted with the partner and shown
 * once. After every change the server's in-memory copy (yg-partners.c) is
 * replaced from the same DB call, so the next request sees it. An embed
 * token lets the partner's embeds play an item for residents (not a staff
 * one) and attributes their playback to the partner; an admin names the
 * partner with "partner", a partner token always mints for its own.
 * Thread: main thread; rows on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-demand-input.h"
#include "yg-field-error.h"
#include "yg-http-error.h"
#include "yg-item-store.h"
#include "yg-partners.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-server.h"

#define MAX_NAME 100
#define MAX_EMBED_HOURS (24 * 366)
#define DEFAULT_EMBED_HOURS (24 * 30)

typedef struct
{
  gint64 id;
  YgPartnerPatch *patch;
  char *item;
  gint64 partner;   /* embeds: the partner minting */
  gint64 expires;
  /* results */
  YgPartner *partner_row;
  char *token;
  GPtrArray *all;   /* every partner after the change */
  gboolean deleted;
} Call;

static void
call_free (Call *c)
{
  g_clear_pointer (&c->patch, yg_partner_patch_free);
  g_free (c->item);
  g_clear_pointer (&c->partner_row, yg_partner_free);
  g_free (c->token);
  g_clear_pointer (&c->all, g_ptr_array_unref);
  g_free (c);
}

static JsonNode *
partner_json (const YgPartner *p, const char *token)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, p->id);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, p->name);
  json_builder_set_member_name (b, "origins");
  json_builder_begin_array (b);
  for (guint i = 0; p->origins[i] != NULL; i++)
    json_builder_add_string_value (b, p->origins[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "enabled");
  json_builder_add_boolean_value (b, p->enabled);
  json_builder_set_member_name (b, "token_id");
  if (p->token_id != 0)
    json_builder_add_int_value (b, p->token_id);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "created_at");
  json_builder_add_int_value (b, p->created_at);
  json_builder_set_member_name (b, "updated_at");
  json_builder_add_int_value (b, p->updated_at);
  if (token != NULL)
    {
      json_builder_set_member_name (b, "token");
      json_builder_add_string_value (b, token);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* --- input ---------------------------------------------------------------------------------- */

static gboolean
parse_origins (JsonObject *obj, char ***out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, "origins");
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  JsonArray *a;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return yg_field_error_set (error, "origins", "\"origins\" must be an array of origins");
  a = json_node_get_array (node);
  if (json_array_get_length (a) > YG_PARTNERS_MAX_ORIGINS)
    return yg_field_error_set (error, "origins", "At most %d origins per partner",
                               YG_PARTNERS_MAX_ORIGINS);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      char *norm;

      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
        return yg_field_error_set (error, "origins", "\"origins\" must be an array of strings");
      norm = yg_partners_normalise_origin (json_node_get_string (e), error);
      if (norm == NULL)
        return FALSE;
      if (g_ptr_array_find_with_equal_func (list, norm, g_str_equal, NULL))
        g_free (norm);
      else
        g_ptr_array_add (list, norm);
    }
  g_ptr_array_add (list, NULL);
  *out = (char **) g_ptr_array_free (g_steal_pointer (&list), FALSE);
  return TRUE;
}

static YgPartnerPatch *
parse_patch (YgRequest *req, gboolean create)
{
  static const char *const keys[] = { "name", "origins", "enabled", NULL };
  g_autoptr (YgPartnerPatch) p = g_new0 (YgPartnerPatch, 1);
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *obj = yg_request_parse_json_object (req, &doc, &error);

  p->enabled = create ? 1 : -1;
  if (obj == NULL || !yg_demand_input_check_keys (obj, keys, &error)
      || !yg_demand_input_text (obj, "name", create, MAX_NAME, FALSE, &p->name, &error)
      || (json_object_has_member (obj, "origins") && !parse_origins (obj, &p->origins, &error)))
    goto bad;
  if (json_object_has_member (obj, "enabled"))
    {
      JsonNode *e = json_object_get_member (obj, "enabled");
      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_BOOLEAN)
        {
          yg_field_error_set (&error, "enabled", "\"enabled\" must be true or false");
          goto bad;
        }
      p->enabled = json_node_get_boolean (e);
    }
  return g_steal_pointer (&p);

bad:
  yg_request_respond_error (req, error);
  return NULL;
}

static gboolean
parse_id (YgRequest *req, gint64 *id)
{
  if (!g_ascii_string_to_signed (yg_request_param (req, 0), 10, 1, G_MAXINT64, id, NULL))
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No partner \"%s\"", yg_request_param (req, 0));
      return FALSE;
    }
  return TRUE;
}

/* --- DB thread -------------------------------------------------------------------------------- */

/* The result of a DB call: its results moved into a call of their own (the
 * argument is freed on the DB thread as soon as the function returns). */
static Call *
outcome (Call *c)
{
  Call *r = g_new0 (Call, 1);

  r->partner_row = g_steal_pointer (&c->partner_row);
  r->token = g_steal_pointer (&c->token);
  r->all = g_steal_pointer (&c->all);
  r->deleted = c->deleted;
  r->item = g_steal_pointer (&c->item);
  r->partner = c->partner;
  r->expires = c->expires;
  return r;
}

/* Finishes a change: every partner, for the in-memory copy. */
static gpointer
with_all (YgDbConn *conn, Call *c, GError **error)
{
  c->all = yg_partner_store_list (conn, error);
  return c->all != NULL ? outcome (c) : NULL;
}

static gpointer
db_create (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  c->partner_row = yg_partner_store_create (conn, c->patch, &c->token, error);
  return c->partner_row != NULL ? with_all (conn, c, error) : NULL;
}

static gpointer
db_update (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  c->partner_row = yg_partner_store_update (conn, c->id, c->patch, error);
  return c->partner_row != NULL ? with_all (conn, c, error) : NULL;
}

static gpointer
db_delete (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  c->deleted = yg_partner_store_delete (conn, c->id, error);
  return c->deleted ? with_all (conn, c, error) : NULL;
}

static gpointer
db_get (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  c->partner_row = yg_partner_store_get (conn, c->id, error);
  return c->partner_row != NULL ? outcome (c) : NULL;
}

static gpointer
db_list (YgDbConn *conn, gpointer data, GError **error)
{
  return with_all (conn, data, error);
}

/* --- answers (main thread) -------------------------------------------------------------------- */

static JsonNode *
changed_json (YgRequest *req, gpointer result)
{
  Call *c = result;

  if (c->all != NULL)
    yg_partners_set (yg_server_get_partners (req->server), c->all);
  if (c->deleted)
    return yg_request_ok_document ();
  return partner_json (c->partner_row, c->token);
}

static JsonNode *
list_json (YgRequest *req, gpointer result)
{
  Call *c = result;
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *o = json_object_new ();
  JsonArray *a = json_array_new ();

  yg_partners_set (yg_server_get_partners (req->server), c->all);
  for (guint i = 0; i < c->all->len; i++)
    json_array_add_element (a, partner_json (c->all->pdata[i], NULL));
  json_object_set_array_member (o, "partners", a);
  json_node_take_object (node, o);
  return node;
}

static void
run (YgRequest *req, YgDbFunc func, Call *c, guint status, YgRequestJsonFunc to_json)
{
  yg_request_run_db (req, func, c, (GDestroyNotify) call_free, (GDestroyNotify) call_free, status,
                     to_json);
}

void
yg_route_partners_list (YgServer *server, YgRequest *req)
{
  run (req, db_list, g_new0 (Call, 1), 200, list_json);
}

void
yg_route_partners_create (YgServer *server, YgRequest *req)
{
  YgPartnerPatch *patch = parse_patch (req, TRUE);
  Call *c;

  if (patch == NULL)
    return;
  c = g_new0 (Call, 1);
  c->patch = patch;
  run (req, db_create, c, 201, changed_json);
}

static void
by_id (YgRequest *req, YgDbFunc func, gboolean with_body)
{
  YgPartnerPatch *patch = NULL;
  gint64 id;
  Call *c;

  if (!parse_id (req, &id))
    return;
  if (with_body && (patch = parse_patch (req, FALSE)) == NULL)
    return;
  c = g_new0 (Call, 1);
  c->id = id;
  c->patch = patch;
  run (req, func, c, 200, changed_json);
}

void
yg_route_partner_get (YgServer *server, YgRequest *req)
{
  by_id (req, db_get, FALSE);
}

void
yg_route_partner_patch (YgServer *server, YgRequest *req)
{
  by_id (req, db_update, TRUE);
}

void
yg_route_partner_delete (YgServer *server, YgRequest *req)
{
  by_id (req, db_delete, FALSE);
}

/* --- embed tokens ----------------------------------------------------------------------------- */

static gpointer
db_embed_item (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;
  YgVisibility v = yg_item_store_get_visibility (conn, c->item, error);

  if (v == YG_VISIBILITY_INVALID)
    return NULL;
  if (v == YG_VISIBILITY_STAFF) /* the same answer as for no such item */
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No item with id \"%s\"", c->item);
      return NULL;
    }
  return outcome (c);
}

static JsonNode *
embed_json (YgRequest *req, gpointer result)
{
  Call *c = result;
  g_autofree char *token = yg_partners_embed_sign (yg_server_get_playback_keys (req->server),
                                                   c->partner, c->item, c->expires);
  g_autofree char *url = g_strdup_printf ("/embed/%s?t=%s", c->item, token);
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "token", token);
  json_object_set_string_member (o, "embed_url", url);
  json_object_set_int_member (o, "expires_at", c->expires);
  json_object_set_int_member (o, "partner", c->partner);
  json_node_take_object (node, o);
  return node;
}

void
yg_route_embeds_create (YgServer *server, YgRequest *req)
{
  static const char *const keys[] = { "item", "hours", "partner", NULL };
  YgPartners *partners = yg_server_get_partners (server);
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *item = NULL;
  JsonObject *obj = yg_request_parse_json_object (req, &doc, &error);
  gint64 hours = DEFAULT_EMBED_HOURS, partner = 0;
  Call *c;

  if (obj == NULL || !yg_demand_input_check_keys (obj, keys, &error)
      || !yg_demand_input_text (obj, "item", TRUE, 64, FALSE, &item, &error))
    {
      yg_request_respond_error (req, error);
      return;
    }
  if (json_object_has_member (obj, "hours"))
    {
      JsonNode *n = json_object_get_member (obj, "hours");
      if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64
          || json_node_get_int (n) < 1 || json_node_get_int (n) > MAX_EMBED_HOURS)
        {
          yg_request_fail (req, YG_HTTP_ERROR_INVALID, "\"hours\" must be a whole number from 1 to %d",
                           MAX_EMBED_HOURS);
          return;
        }
      hours = json_node_get_int (n);
    }
  if (req->principal->role == YG_ROLE_PARTNER)
    {
      if (json_object_has_member (obj, "partner"))
        {
          yg_request_fail (req, YG_HTTP_ERROR_INVALID,
                           "A partner token mints embeds for its own partner only; leave out "
                           "\"partner\"");
          return;
        }
      partner = yg_partners_for_token (partners, req->principal->token_id);
    }
  else
    {
      JsonNode *n = json_object_get_member (obj, "partner");
      if (n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64)
        partner = json_node_get_int (n);
    }
  if (partner <= 0 || !yg_partners_is_enabled (partners, partner))
    {
      yg_request_fail (req, YG_HTTP_ERROR_FORBIDDEN,
                       "No enabled partner for this token (an admin names one with \"partner\")");
      return;
    }
  c = g_new0 (Call, 1);
  c->item = g_steal_pointer (&item);
  c->partner = partner;
  c->expires = g_get_real_time () / G_USEC_PER_SEC + hours * 3600;
  run (req, db_embed_item, c, 201, embed_json);
}

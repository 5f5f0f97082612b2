/* yg-route-ratings.c: /api/v1/ratings, residents' ratings (评单).
 *
 *   PUT   /api/v1/ratings/{type}/{target}  resident account  {stars, comment} → rating
 *   GET   /api/v1/ratings/{type}/{target}[?after=&limit=]  public
 *         → {summary: {count, average, distribution}, ratings, next_after}
 *   PATCH /api/v1/ratings/{id}             staff  {hidden, reason} → rating
 * type is item, course or request (a scheduled one); a target the caller
 * may not see is 404. One rating per account and target: PUT replaces it.
 * Hidden ratings leave the summary and the list, except for their author
 * (who sees hidden and the reason) and staff.
 * Thread: main thread; catalogue work on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-demand-input.h"
#include "yg-demand-json.h"
#include "yg-auth.h"
#include "yg-http-error.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-server.h"

#include <string.h>

typedef struct
{
  YgRating *values;
  gint64 id;
  gint64 viewer;
  gboolean staff;
  gint64 after;
  guint limit;
  gboolean hidden;
  char *reason;
} Call;

static void
call_free (Call *c)
{
  g_clear_pointer (&c->values, yg_rating_free);
  g_free (c->reason);
  g_free (c);
}

/* Staff and admins see authors, hidden ratings and their reasons. */
static gboolean
is_staff (YgRequest *req)
{
  return yg_auth_allows (YG_AUTH_STAFF, req->principal, FALSE);
}

static Call *
new_call (YgRequest *req)
{
  Call *c = g_new0 (Call, 1);

  c->viewer = req->principal != NULL ? req->principal->user_id : 0;
  c->staff = is_staff (req);
  return c;
}

/* The {type}/{target} of the path, or a 404 answered. */
static gboolean
parse_target (YgRequest *req, const char **type, const char **target)
{
  static const char *const types[] = { "item", "course", "request", NULL };

  *type = yg_request_param (req, 0);
  *target = yg_request_param (req, 1);
  if (g_strv_contains (types, *type) && strlen (*target) <= 64)
    return TRUE;
  yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "Ratings are of an item, a course or a request");
  return FALSE;
}

static JsonNode *
rating_json (YgRequest *req, gpointer result)
{
  return yg_demand_json_rating (result, is_staff (req));
}

static gpointer
db_put (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  return yg_rating_store_put (conn, c->values, c->staff, error);
}

void
yg_route_rating_put (YgServer *server, YgRequest *req)
{
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GError) error = NULL;
  const char *type, *target;
  JsonObject *obj;
  YgRating *r = NULL;
  Call *c;

  if (!parse_target (req, &type, &target) || !yg_route_requests_check_account (req))
    return;
  obj = yg_request_parse_json_object (req, &doc, &error);
  if (obj != NULL)
    r = yg_demand_input_parse_rating (obj, &error);
  if (r == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  r->target_type = g_strdup (type);
  r->target_id = g_strdup (target);
  r->user_id = req->principal->user_id;
  c = new_call (req);
  c->values = r;
  yg_request_run_db (req, db_put, c, (GDestroyNotify) call_free, (GDestroyNotify) yg_rating_free,
                     200, rating_json);
}

static gpointer
db_page (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  return yg_rating_store_page (conn, c->values->target_type, c->values->target_id, c->viewer,
                               c->staff, c->after, c->limit, error);
}

static JsonNode *
page_json (YgRequest *req, gpointer result)
{
  YgRatingPage *p = result;
  GPtrArray *nodes = g_ptr_array_new ();
  JsonNode *node;

  for (guint i = 0; i < p->ratings->len; i++)
    g_ptr_array_add (nodes, yg_demand_json_rating (p->ratings->pdata[i], is_staff (req)));
  node = yg_request_list_json (
      "ratings", nodes,
      p->ratings->len > 0 ? ((YgRating *) p->ratings->pdata[p->ratings->len - 1])->id : 0);
  json_object_set_member (json_node_get_object (node), "summary",
                          yg_demand_json_rating_summary (&p->summary));
  return node;
}

void
yg_route_ratings_get (YgServer *server, YgRequest *req)
{
  g_autoptr (GError) error = NULL;
  const char *type, *target;
  gint64 after = 0;
  guint limit = 0;
  Call *c;

  if (!parse_target (req, &type, &target))
    return;
  if (!yg_request_page_query (req, 20, "a rating id", &after, &limit, &error))
    {
      yg_request_respond_error (req, error);
      return;
    }
  c = new_call (req);
  c->values = yg_rating_new ();
  c->values->target_type = g_strdup (type);
  c->values->target_id = g_strdup (target);
  c->after = after;
  c->limit = limit;
  yg_request_run_db (req, db_page, c, (GDestroyNotify) call_free,
                     (GDestroyNotify) yg_rating_page_free, 200, page_json);
}

static gpointer
db_moderate (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  return yg_rating_store_moderate (conn, c->id, c->hidden, c->reason, error);
}

void
yg_route_rating_moderate (YgServer *server, YgRequest *req)
{
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *obj;
  gboolean hidden = FALSE;
  char *reason = NULL;
  Call *c;
  gint64 id;

  if (!g_ascii_string_to_signed (yg_request_param (req, 0), 10, 1, G_MAXINT64, &id, NULL))
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No rating \"%s\"", yg_request_param (req, 0));
      return;
    }
  obj = yg_request_parse_json_object (req, &doc, &error);
  if (obj == NULL || !yg_demand_input_parse_moderation (obj, &hidden, &reason, &error))
    {
      yg_request_respond_error (req, error);
      return;
    }
  c = new_call (req);
  c->id = id;
  c->hidden = hidden;
  c->reason = reason;
  yg_request_run_db (req, db_moderate, c, (GDestroyNotify) call_free,
                     (GDestroyNotify) yg_rating_free, 200, rating_json);
}

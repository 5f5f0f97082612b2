/* yg-route-progress.c: viewing progress and "continue learning".
 *
 *   PUT /api/v1/progress/{item}  {"position": s, "duration": s}  → 204
 *   GET /api/v1/progress/{item}  → {item_id, saved, position, duration, furthest}
 *   GET /api/v1/me/learning      → {courses: [course with next_lesson, resume_position,
 *                                   completion, active_at], most recently active first}
 * Progress belongs to a signed-in account: a bearer token gets 403 (after
 * the 404 checks) and an empty learning list. An item the caller may not see
 * is 404, for reading and for writing. Positions are
 * finite, 0 ≤ position ≤ duration + 5 s, 0 < duration ≤ 10⁷ s. A PUT is
 * answered as soon as the item's visibility is known: the position goes to
 * the server's coalescing buffer (yg-progress-buffer.c), which writes each
 * (account, item) at most once every YG_PROGRESS_WRITE_INTERVAL seconds. A
 * GET answers the buffered position when there is one, so resuming sees the
 * last report; "continue learning" saves the account's buffered reports
 * first.
 * Thread: main thread; catalogue work on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-auth.h"
#include "yg-http-error.h"
#include "yg-item-store.h"
#include "yg-progress-buffer.h"
#include "yg-request.h"
#include "yg-resident-input.h"
#include "yg-route-courses.h"
#include "yg-routes.h"
#include "yg-server.h"


typedef struct
{
  char *item_id;
  YgPrincipal *principal;
  double position;
  double duration;
  GPtrArray *writes;
} Call;

static void
call_free (Call *c)
{
  g_free (c->item_id);
  g_clear_pointer (&c->principal, yg_principal_free);
  g_clear_pointer (&c->writes, g_ptr_array_unref);
  g_free (c);
}

static Call *
call_new (YgRequest *req)
{
  Call *c = g_new0 (Call, 1);

  if (req->params != NULL && req->params->len > 0)
    c->item_id = g_strdup (yg_request_param (req, 0));
  c->principal = yg_principal_copy (req->principal);
  return c;
}

/* The item, if the caller may see it (DB thread). */
static gboolean
check_item (YgDbConn *conn, Call *c, GError **error)
{
  YgVisibility v = yg_item_store_get_visibility (conn, c->item_id, error);

  if (v == YG_VISIBILITY_INVALID)
    return FALSE;
  if (!yg_auth_may_see (v, c->principal))
    {
      g_set_error (error, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No item with id \"%s\"",
                   c->item_id);
      return FALSE;
    }
  return yg_route_courses_check_account (c->principal, error);
}

static gpointer
db_check (YgDbConn *conn, gpointer data, GError **error)
{
  return check_item (conn, data, error) ? GINT_TO_POINTER (1) : NULL;
}

static void
checked (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (SoupServerMessage) msg = data;
  YgRequest *req = yg_request_get (msg);
  Call *c = req->route_data;
  g_autoptr (GError) error = NULL;

  if (yg_db_run_finish (YG_DB (source), res, &error) == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  yg_progress_buffer_put (yg_server_get_progress (req->server), c->principal->user_id, c->item_id,
                          c->position, c->duration);
  yg_request_respond_bytes (req, 204, NULL, NULL);
}

void
yg_route_progress_put (YgServer *server, YgRequest *req)
{
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *obj;
  Call *c;
  double position = 0, duration = 0;

  obj = yg_request_parse_json_object (req, &doc, &error);
  if (obj == NULL || !yg_resident_input_progress (obj, &position, &duration, &error))
    {
      yg_request_respond_error (req, error);
      return;
    }
  c = call_new (req);
  c->position = position;
  c->duration = duration;
  req->route_data = c;
  req->route_data_free = (GDestroyNotify) call_free;
  yg_request_pause (req);
  yg_db_run_async (yg_server_get_db (server), db_check, c, NULL, NULL, NULL, checked,
                   g_object_ref (req->msg));
}

static gpointer
db_get (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;
  g_autoptr (GError) local = NULL;
  YgProgress *p;

  if (!check_item (conn, c, error))
    return NULL;
  p = yg_progress_store_get (conn, c->principal->user_id, c->item_id, &local);
  if (p != NULL)
    return p;
  if (!g_error_matches (local, YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return yg_progress_new (c->principal->user_id, c->item_id, -1, 0); /* none saved */
}

static JsonNode *
progress_json (YgRequest *req, gpointer result)
{
  YgProgress *saved = result;
  g_autoptr (YgProgress) buffered = yg_progress_buffer_lookup (
      yg_server_get_progress (req->server), saved->user_id, saved->item_id);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const YgProgress *p = buffered != NULL ? buffered : saved;
  gboolean any = buffered != NULL || saved->position >= 0;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "item_id");
  json_builder_add_string_value (b, saved->item_id);
  json_builder_set_member_name (b, "saved");
  json_builder_add_boolean_value (b, any);
  json_builder_set_member_name (b, "position");
  json_builder_add_double_value (b, any ? p->position : 0);
  json_builder_set_member_name (b, "duration");
  if (any)
    json_builder_add_double_value (b, p->duration);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "furthest");
  json_builder_add_double_value (b, MAX (any ? p->furthest : 0, saved->furthest));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
yg_route_progress_get (YgServer *server, YgRequest *req)
{
  yg_request_run_db (req, db_get, call_new (req), (GDestroyNotify) call_free,
                     (GDestroyNotify) yg_progress_free, 200, progress_json);
}

static gpointer
db_learning (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  if (c->principal->user_id <= 0) /* a token: no account, no enrolments */
    return g_ptr_array_new ();
  if (c->writes->len > 0 && !yg_progress_store_save (conn, c->writes, error))
    return NULL;
  return yg_progress_store_learning (conn, c->principal->user_id, error);
}

static const YgCourseLesson *
find_lesson (const YgCourse *course, const char *item_id)
{
  for (guint i = 0; item_id != NULL && i < course->chapters->len; i++)
    {
      const YgCourseChapter *ch = course->chapters->pdata[i];
      for (guint j = 0; j < ch->lessons->len; j++)
        if (g_str_equal (((YgCourseLesson *) ch->lessons->pdata[j])->item_id, item_id))
          return ch->lessons->pdata[j];
    }
  return NULL;
}

static JsonNode *
learning_json (YgRequest *req, gpointer result)
{
  GPtrArray *list = result;
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "courses");
  json_builder_begin_array (b);
  for (guint i = 0; i < list->len; i++)
    {
      const YgLearning *l = list->pdata[i];
      const YgCourseLesson *next = find_lesson (l->course, l->next_item);
      JsonNode *node;
      JsonObject *o;

      if (!yg_auth_may_see (l->course->visibility, req->principal))
        continue; /* its visibility changed since the enrolment */
      node = yg_route_courses_json (req, l->course, l, TRUE);
      o = json_node_get_object (node);
      json_object_set_int_member (o, "active_at", l->active_at);
      if (next != NULL && yg_auth_may_see (next->visibility, req->principal))
        json_object_set_string_member (o, "next_lesson_title", next->title);
      else
        json_object_set_null_member (o, "next_lesson_title");
      json_builder_add_value (b, node);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
yg_route_me_learning (YgServer *server, YgRequest *req)
{
  Call *c;

  c = call_new (req);
  c->writes = req->principal->user_id > 0
                  ? yg_progress_buffer_take_user (yg_server_get_progress (server),
                                                  req->principal->user_id)
                  : g_ptr_array_new ();
  yg_request_run_db (req, db_learning, c, (GDestroyNotify) call_free,
                     (GDestroyNotify) g_ptr_array_unref, 200, learning_json);
}

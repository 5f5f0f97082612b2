/* yg-route-courses.c: /api/v1/courses, MOOC-style courses and enrolment.
 *
 *   GET    /api/v1/courses[?after=ID&limit=N]    public: visible, never unlisted
 *   POST   /api/v1/courses                       staff            → 201 course
 *   GET    /api/v1/courses/{id}                  public: course with its outline
 *   PATCH  /api/v1/courses/{id}                  staff            → course
 *   DELETE /api/v1/courses/{id}                  staff            → {ok: true}
 *   PUT    /api/v1/courses/{id}/outline          staff: replaces chapters and lessons
 *   POST   /api/v1/courses/{id}/enrolment        resident: idempotent → course
 *   DELETE /api/v1/courses/{id}/enrolment        resident: idempotent → {ok: true}
 * A course follows the items' visibility rules (yg-auth.c): one the caller
 * may not see is 404 like a missing one, lists never show unlisted ones. In
 * an outline the caller sees only the lessons they may see; a signed-in
 * account also sees its progress on each lesson, whether it is enrolled and
 * its completion (its unwritten progress reports are saved first, so the
 * answer is exact). Bodies are validated by yg-course-input.c; writes are one
 * transaction each (yg-course-store.c). Enrolment needs an account (a
 * session): a bearer token is not a person and gets 403 (after the 404
 * checks).
 * Thread: main thread; catalogue work on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-auth.h"
#include "yg-course-input.h"
#include "yg-field-error.h"
#include "yg-http-error.h"
#include "yg-progress-store.h"
#include "yg-request.h"
#include "yg-route-courses.h"
#include "yg-routes.h"
#include "yg-server.h"

typedef struct
{
  gint64 id;
  gint64 after;
  guint limit;
  guint visible;
  YgPrincipal *principal; /* a copy, for visibility checks on the DB thread */
  YgCourse *values;
  GPtrArray *chapters;
  GPtrArray *writes;      /* progress reports to save before reading */
  gboolean enrol;
} Call;

static void
call_free (Call *c)
{
  g_clear_pointer (&c->principal, yg_principal_free);
  g_clear_pointer (&c->values, yg_course_free);
  g_clear_pointer (&c->chapters, g_ptr_array_unref);
  g_clear_pointer (&c->writes, g_ptr_array_unref);
  g_free (c);
}

static Call *
call_new (YgRequest *req)
{
  Call *c = g_new0 (Call, 1);

  if (req->principal != NULL)
    c->principal = yg_principal_copy (req->principal);
  return c;
}

void
yg_course_view_free (YgCourseView *v)
{
  if (v == NULL)
    return;
  yg_course_free (v->course);
  yg_learning_free (v->learning);
  g_free (v);
}

static void
add_string_or_null (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_progress (JsonBuilder *b, const YgProgress *p, const YgCourseLesson *l, double threshold)
{
  json_builder_set_member_name (b, "progress");
  if (p == NULL)
    {
      json_builder_add_null_value (b);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "position");
  json_builder_add_double_value (b, p->position);
  json_builder_set_member_name (b, "furthest");
  json_builder_add_double_value (b, p->furthest);
  json_builder_set_member_name (b, "complete");
  json_builder_add_boolean_value (b, yg_progress_is_complete (p, l->duration, threshold));
  json_builder_end_object (b);
}

/**
 * yg_route_courses_json:
 * @course: the course (with its outline, or without)
 * @learning: (nullable): the caller's progress through it, when signed in
 *
 * Returns: (transfer full): the course document for the caller of @req
 */
JsonNode *
yg_route_courses_json (YgRequest *req, const YgCourse *course, const YgLearning *learning,
                       gboolean enrolled)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, course->id);
  add_string_or_null (b, "title", course->title);
  add_string_or_null (b, "description", course->description);
  add_string_or_null (b, "teacher", course->teacher);
  add_string_or_null (b, "level", course->level);
  add_string_or_null (b, "level_label", yg_course_level_label (course->level));
  add_string_or_null (b, "cover_item", course->cover_item);
  if (course->cover_item != NULL && course->cover_has_poster
      && yg_auth_may_see (course->cover_visibility, req->principal))
    {
      g_autofree char *base
          = yg_route_items_media_base (req->server, course->cover_item, course->cover_visibility);
      g_autofree char *url = g_strconcat (base, "poster.jpg", NULL);
      add_string_or_null (b, "cover_url", url);
    }
  else
    add_string_or_null (b, "cover_url", NULL);
  add_string_or_null (b, "visibility", yg_visibility_to_string (course->visibility));
  json_builder_set_member_name (b, "completion_threshold");
  json_builder_add_double_value (b, course->threshold);
  json_builder_set_member_name (b, "lesson_count");
  json_builder_add_int_value (b, course->lesson_count);
  json_builder_set_member_name (b, "created_at");
  json_builder_add_int_value (b, course->created_at);
  json_builder_set_member_name (b, "updated_at");
  json_builder_add_int_value (b, course->updated_at);
  if (course->chapters != NULL)
    {
      json_builder_set_member_name (b, "chapters");
      json_builder_begin_array (b);
      for (guint i = 0; i < course->chapters->len; i++)
        {
          const YgCourseChapter *ch = course->chapters->pdata[i];

          json_builder_begin_object (b);
          add_string_or_null (b, "title", ch->title);
          json_builder_set_member_name (b, "lessons");
          json_builder_begin_array (b);
          for (guint j = 0; j < ch->lessons->len; j++)
            {
              const YgCourseLesson *l = ch->lessons->pdata[j];

              if (!yg_auth_may_see (l->visibility, req->principal))
                continue;
              json_builder_begin_object (b);
              add_string_or_null (b, "id", l->item_id);
              add_string_or_null (b, "title", l->title);
              json_builder_set_member_name (b, "duration");
              if (l->duration >= 0)
                json_builder_add_double_value (b, l->duration);
              else
                json_builder_add_null_value (b);
              if (l->has_poster)
                {
                  g_autofree char *base
                      = yg_route_items_media_base (req->server, l->item_id, l->visibility);
                  g_autofree char *url = g_strconcat (base, "poster.jpg", NULL);
                  add_string_or_null (b, "poster_url", url);
                }
              else
                add_string_or_null (b, "poster_url", NULL);
              if (learning != NULL)
                add_progress (b, g_hash_table_lookup (learning->progress, l->item_id), l,
                              course->threshold);
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  if (learning != NULL)
    {
      json_builder_set_member_name (b, "enrolled");
      json_builder_add_boolean_value (b, enrolled);
      json_builder_set_member_name (b, "completed_lessons");
      json_builder_add_int_value (b, learning->completed);
      json_builder_set_member_name (b, "completion");
      json_builder_add_int_value (b, course->lesson_count > 0
                                         ? (gint64) learning->completed * 100 / course->lesson_count
                                         : 0);
      json_builder_set_member_name (b, "complete");
      json_builder_add_boolean_value (b, course->lesson_count > 0
                                             && learning->completed >= course->lesson_count);
      add_string_or_null (b, "next_lesson", learning->next_item);
      json_builder_set_member_name (b, "resume_position");
      json_builder_add_double_value (b, learning->next_position);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
view_json (YgRequest *req, gpointer result)
{
  YgCourseView *v = result;

  return yg_route_courses_json (req, v->learning != NULL ? v->learning->course : v->course,
                                v->learning, v->enrolled);
}

static JsonNode *
ok_json (YgRequest *req, gpointer result)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *o = json_object_new ();

  json_object_set_boolean_member (o, "ok", TRUE);
  json_node_take_object (node, o);
  return node;
}

static GError *
not_found (gint64 id)
{
  return g_error_new (YG_DB_ERROR, YG_DB_ERROR_NOT_FOUND, "No course with id %" G_GINT64_FORMAT,
                      id);
}

/* The course as @c's caller sees it, with their progress when signed in (DB thread). */
static YgCourseView *
view (YgDbConn *conn, Call *c, YgCourse *course, GError **error)
{
  g_autoptr (YgCourseView) v = g_new0 (YgCourseView, 1);
  gint64 user = c->principal != NULL ? c->principal->user_id : 0;
  int enrolled;

  v->course = course;
  if (!yg_auth_may_see (course->visibility, c->principal))
    {
      g_propagate_error (error, not_found (course->id));
      return NULL;
    }
  if (user <= 0)
    return g_steal_pointer (&v);
  enrolled = yg_progress_store_is_enrolled (conn, user, course->id, error);
  if (enrolled < 0)
    return NULL;
  v->enrolled = enrolled;
  v->course = NULL;
  v->learning = yg_progress_store_course (conn, user, course, error);
  if (v->learning == NULL)
    return NULL;
  return g_steal_pointer (&v);
}

static gboolean
save_writes (YgDbConn *conn, Call *c, GError **error)
{
  return c->writes == NULL || c->writes->len == 0
         || yg_progress_store_save (conn, c->writes, error);
}

static gpointer
db_get (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;
  YgCourse *course;

  if (!save_writes (conn, c, error))
    return NULL;
  course = yg_course_store_get (conn, c->id, TRUE, error);
  return course != NULL ? view (conn, c, course, error) : NULL;
}

static gpointer
db_create (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;
  YgCourse *course = yg_course_store_create (conn, c->values, error);

  return course != NULL ? view (conn, c, course, error) : NULL;
}

static gpointer
db_update (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;
  YgCourse *course = yg_course_store_update (conn, c->id, c->values, error);

  return course != NULL ? view (conn, c, course, error) : NULL;
}

static gpointer
db_outline (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;
  YgCourse *course = yg_course_store_set_outline (conn, c->id, c->chapters, error);

  return course != NULL ? view (conn, c, course, error) : NULL;
}

static gpointer
db_delete (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_course_store_delete (conn, ((Call *) data)->id, error) ? GINT_TO_POINTER (1) : NULL;
}

static gpointer
db_enrol (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;
  g_autoptr (YgCourse) course = yg_course_store_get (conn, c->id, FALSE, error);

  if (course == NULL)
    return NULL;
  if (!yg_auth_may_see (course->visibility, c->principal))
    {
      g_propagate_error (error, not_found (c->id));
      return NULL;
    }
  if (!yg_route_courses_check_account (c->principal, error))
    return NULL;
  if (!yg_progress_store_enrol (conn, c->principal->user_id, c->id, c->enrol, error))
    return NULL;
  if (!c->enrol)
    return GINT_TO_POINTER (1);
  return db_get (conn, data, error);
}

static gpointer
db_list (YgDbConn *conn, gpointer data, GError **error)
{
  Call *c = data;

  return yg_course_store_list (conn, c->after, c->limit, c->visible, error);
}

static JsonNode *
list_json (YgRequest *req, gpointer result)
{
  GPtrArray *list = result;
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "courses");
  json_builder_begin_array (b);
  for (guint i = 0; i < list->len; i++)
    {
      const YgCourse *course = list->pdata[i];
      /* the SQL filtered already; this keeps the rule in one place */
      if (course->visibility != YG_VISIBILITY_UNLISTED
          && yg_auth_may_see (course->visibility, req->principal))
        json_builder_add_value (b, yg_route_courses_json (req, course, NULL, FALSE));
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "next_after");
  if (list->len > 0)
    json_builder_add_int_value (b, ((YgCourse *) list->pdata[list->len - 1])->id);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
parse_id (YgRequest *req, gint64 *id)
{
  if (!g_ascii_string_to_signed (yg_request_param (req, 0), 10, 1, G_MAXINT64, id, NULL))
    {
      yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No course \"%s\"", yg_request_param (req, 0));
      return FALSE;
    }
  return TRUE;
}

static JsonObject *
body (YgRequest *req, JsonNode **doc)
{
  g_autoptr (GError) error = NULL;
  JsonObject *obj = yg_request_parse_json_object (req, doc, &error);

  if (obj == NULL)
    yg_request_respond_error (req, error);
  return obj;
}

void
yg_route_courses_list (YgServer *server, YgRequest *req)
{
  g_autoptr (GError) error = NULL;
  gint64 after = 0;
  guint limit = 0;
  Call *c;

  if (!yg_request_page_query (req, 24, "a course id", &after, &limit, &error))
    {
      yg_request_respond_error (req, error);
      return;
    }
  c = call_new (req);
  c->after = after;
  c->limit = limit;
  c->visible = yg_auth_listed_visibilities (req->principal);
  yg_request_run_db (req, db_list, c, (GDestroyNotify) call_free,
                     (GDestroyNotify) g_ptr_array_unref, 200, list_json);
}

void
yg_route_courses_create (YgServer *server, YgRequest *req)
{
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *obj = body (req, &doc);
  YgCourse *values;
  Call *c;

  if (obj == NULL)
    return;
  values = yg_course_input_parse (obj, TRUE, &error);
  if (values == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  c = call_new (req);
  c->values = values;
  yg_request_run_db (req, db_create, c, (GDestroyNotify) call_free,
                     (GDestroyNotify) yg_course_view_free, 201, view_json);
}

void
yg_route_course_get (YgServer *server, YgRequest *req)
{
  Call *c;
  gint64 id;

  if (!parse_id (req, &id))
    return;
  c = call_new (req);
  c->id = id;
  if (req->principal != NULL && req->principal->user_id > 0)
    c->writes = yg_progress_buffer_take_user (yg_server_get_progress (server),
                                              req->principal->user_id);
  yg_request_run_db (req, db_get, c, (GDestroyNotify) call_free,
                     (GDestroyNotify) yg_course_view_free, 200, view_json);
}

void
yg_route_course_patch (YgServer *server, YgRequest *req)
{
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *obj;
  YgCourse *values;
  Call *c;
  gint64 id;

  if (!parse_id (req, &id) || (obj = body (req, &doc)) == NULL)
    return;
  values = yg_course_input_parse (obj, FALSE, &error);
  if (values == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  c = call_new (req);
  c->id = id;
  c->values = values;
  yg_request_run_db (req, db_update, c, (GDestroyNotify) call_free,
                     (GDestroyNotify) yg_course_view_free, 200, view_json);
}

void
yg_route_course_delete (YgServer *server, YgRequest *req)
{
  Call *c;
  gint64 id;

  if (!parse_id (req, &id))
    return;
  c = call_new (req);
  c->id = id;
  yg_request_run_db (req, db_delete, c, (GDestroyNotify) call_free, NULL, 200, ok_json);
}

void
yg_route_course_outline_put (YgServer *server, YgRequest *req)
{
  g_autoptr (JsonNode) doc = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *obj;
  GPtrArray *chapters;
  Call *c;
  gint64 id;

  if (!parse_id (req, &id) || (obj = body (req, &doc)) == NULL)
    return;
  chapters = yg_course_input_parse_outline (obj, &error);
  if (chapters == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  c = call_new (req);
  c->id = id;
  c->chapters = chapters;
  yg_request_run_db (req, db_outline, c, (GDestroyNotify) call_free,
                     (GDestroyNotify) yg_course_view_free, 200, view_json);
}

/**
 * yg_route_courses_check_account:
 *
 * Enrolment and progress belong to an account; a bearer token is not one.
 * Checked after the course or item (so a missing one is 404 for everybody).
 */
gboolean
yg_route_courses_check_account (const YgPrincipal *principal, GError **error)
{
  if (principal != NULL && principal->user_id > 0)
    return TRUE;
  g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_FORBIDDEN,
                       "Enrolment and progress are kept for signed-in accounts, not tokens");
  return FALSE;
}

static void
enrolment (YgServer *server, YgRequest *req, gboolean enrol)
{
  Call *c;
  gint64 id;

  if (!parse_id (req, &id))
    return;
  c = call_new (req);
  c->id = id;
  c->enrol = enrol;
  if (enrol && req->principal != NULL && req->principal->user_id > 0)
    c->writes = yg_progress_buffer_take_user (yg_server_get_progress (server),
                                              req->principal->user_id);
  if (enrol)
    yg_request_run_db (req, db_enrol, c, (GDestroyNotify) call_free,
                       (GDestroyNotify) yg_course_view_free, 200, view_json);
  else
    yg_request_run_db (req, db_enrol, c, (GDestroyNotify) call_free, NULL, 200, ok_json);
}

void
yg_route_course_enrol (YgServer *server, YgRequest *req)
{
  enrolment (server, req, TRUE);
}

void
yg_route_course_leave (YgServer *server, YgRequest *req)
{
  enrolment (server, req, FALSE);
}

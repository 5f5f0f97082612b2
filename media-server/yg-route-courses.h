/* yg-route-courses.h: the course document, shared by the course and learning routes. */
#pragma once

#include "yg-progress-store.h"
#include "yg-request.h"

G_BEGIN_DECLS

/* A course as one caller sees it: learning is set (and owns the course) for an account. */
typedef struct
{
  YgCourse *course;
  YgLearning *learning;
  gboolean enrolled;
} YgCourseView;

void yg_course_view_free (YgCourseView *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgCourseView, yg_course_view_free)

JsonNode *yg_route_courses_json (YgRequest *req, const YgCourse *course,
                                 const YgLearning *learning, gboolean enrolled);
gboolean yg_route_courses_check_account (const YgPrincipal *principal, GError **error);

G_END_DECLS

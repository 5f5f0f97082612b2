/* yg-resident-input.h: JSON bodies of registration, sign-in and progress reports. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *username;      /* lower-cased; the phone number for phone sign-ups */
  char *display_name;
  char *password;      /* zeroed on free */
  gboolean by_phone;
} YgRegistration;

void yg_registration_free (YgRegistration *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgRegistration, yg_registration_free)

YgRegistration *yg_resident_input_registration (JsonObject *form, const char **field,
                                                GError **error);
gboolean yg_resident_input_sign_in (JsonObject  *form,
                                    const char **username,
                                    const char **phone,
                                    const char **password,
                                    const char **field,
                                    GError     **error);
gboolean yg_resident_input_progress (JsonObject *obj, double *position, double *duration,
                                     GError **error);

G_END_DECLS

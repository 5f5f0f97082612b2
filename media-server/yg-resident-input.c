/* yg-resident-input.c: JSON bodies residents send: registration, sign-in,
 * progress reports.
 *
 * Pure validation (fuzzed by tests/fuzz/fuzz-json-bodies.c): a body either
 * yields values that satisfy every rule below or a field error
 * (YG_HTTP_ERROR_INVALID / a field error naming the member); nothing is
 * written here. Usernames are lower-cased and match yg_user_name_is_valid;
 * phone numbers are 11 digits starting with 1; display names are non-empty
 * after trimming; passwords 8–256 characters; progress: finite numbers,
 * 0 < duration ≤ 10⁷ s, 0 ≤ position ≤ duration (+5 s, then clamped).
 * Thread: any.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-resident-input.h"

#include <math.h>
#include <string.h>

#include "yg-field-error.h"
#include "yg-http-error.h"
#include "yg-request.h"
#include "yg-user-store.h"

#define MAX_NAME_CHARS 64
#define MAX_PASSWORD_CHARS 256
#define MIN_PASSWORD_CHARS 8
#define POSITION_SLACK 5.0  /* seconds a position may pass the duration */
#define MAX_DURATION 1e7

void
yg_registration_free (YgRegistration *r)
{
  if (r == NULL)
    return;
  g_free (r->username);
  g_free (r->display_name);
  if (r->password != NULL)
    memset (r->password, 0, strlen (r->password));
  g_free (r->password);
  g_free (r);
}

static gboolean
is_mobile_number (const char *s)
{
  if (strlen (s) != 11 || s[0] != '1')
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

/* The hook for verifying a resident's phone number by SMS. It does nothing
 * and accepts every number: Yunguan sends no SMS. A deployment that needs
 * verification implements it here (send a code, then confirm it in a second
 * request before the account is created). */
static gboolean
verify_phone_number (const char *phone, GError **error)
{
  (void) phone;
  (void) error;
  return TRUE;
}

/**
 * yg_resident_input_registration:
 * @form: the body, its members already restricted by yg_request_parse_form
 * @field: (out): on error, the member at fault
 *
 * Returns: (transfer full): the registration, or %NULL with @error
 */
YgRegistration *
yg_resident_input_registration (JsonObject *form, const char **field, GError **error)
{
  g_autoptr (YgRegistration) r = g_new0 (YgRegistration, 1);
  const char *username, *phone, *display_name, *password;

  *field = "username";
  if (!yg_request_form_string (form, "username", FALSE, MAX_NAME_CHARS, &username, error))
    return NULL;
  *field = "phone";
  if (!yg_request_form_string (form, "phone", FALSE, MAX_NAME_CHARS, &phone, error))
    return NULL;
  if ((username == NULL) == (phone == NULL))
    {
      *field = username == NULL ? "username" : "phone";
      g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INVALID,
                           "Give either a username or a phone number (not both)");
      return NULL;
    }
  if (username != NULL)
    {
      *field = "username";
      r->username = g_ascii_strdown (username, -1);
      if (!yg_user_name_is_valid (r->username) || is_mobile_number (r->username))
        {
          g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INVALID,
                               "A username has 3–32 characters among a–z, 0–9, '.', '_' and '-' "
                               "(sign up with \"phone\" for a mobile number)");
          return NULL;
        }
    }
  else
    {
      *field = "phone";
      if (!is_mobile_number (phone))
        {
          g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INVALID,
                               "A phone number has 11 digits and starts with 1");
          return NULL;
        }
      if (!verify_phone_number (phone, error))
        return NULL;
      r->username = g_strdup (phone);
      r->by_phone = TRUE;
    }
  *field = "display_name";
  if (!yg_request_form_string (form, "display_name", TRUE, MAX_NAME_CHARS, &display_name, error))
    return NULL;
  r->display_name = g_strstrip (g_strdup (display_name));
  if (r->display_name[0] == '\0')
    {
      g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INVALID,
                           "\"display_name\" must not be empty");
      return NULL;
    }
  *field = "password";
  if (!yg_request_form_string (form, "password", TRUE, MAX_PASSWORD_CHARS, &password, error))
    return NULL;
  if (g_utf8_strlen (password, -1) < MIN_PASSWORD_CHARS)
    {
      g_set_error (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INVALID,
                   "The password must have at least %d characters", MIN_PASSWORD_CHARS);
      return NULL;
    }
  r->password = g_strdup (password);
  *field = NULL;
  return g_steal_pointer (&r);
}

/**
 * yg_resident_input_sign_in:
 * @username: (out): the username, or %NULL when @phone is given
 * @phone: (out): the phone number, or %NULL
 * @password: (out): the password (strings owned by @form)
 *
 * Checks a sign-in body: a username or a phone number (not both) and a password.
 */
gboolean
yg_resident_input_sign_in (JsonObject *form, const char **username, const char **phone,
                           const char **password, const char **field, GError **error)
{
  if (!yg_request_form_string (form, *field = "username", FALSE, MAX_NAME_CHARS, username, error)
      || !yg_request_form_string (form, *field = "phone", FALSE, MAX_NAME_CHARS, phone, error)
      || !yg_request_form_string (form, *field = "password", TRUE, MAX_PASSWORD_CHARS, password,
                                  error))
    return FALSE;
  if ((*username == NULL) == (*phone == NULL))
    {
      *field = "username";
      g_set_error_literal (error, YG_HTTP_ERROR, YG_HTTP_ERROR_INVALID,
                           "Give either a username or a phone number");
      return FALSE;
    }
  *field = NULL;
  return TRUE;
}

static gboolean
get_number (JsonObject *obj, const char *name, double *out, GError **error)
{
  JsonNode *n = json_object_get_member (obj, name);

  if (n == NULL)
    return yg_field_error_set (error, name, "\"%s\" is required", name);
  if (!JSON_NODE_HOLDS_VALUE (n)
      || (json_node_get_value_type (n) != G_TYPE_INT64
          && json_node_get_value_type (n) != G_TYPE_DOUBLE)
      || !isfinite (json_node_get_double (n)))
    return yg_field_error_set (error, name, "\"%s\" must be a number of seconds", name);
  *out = json_node_get_double (n);
  return TRUE;
}

/**
 * yg_resident_input_progress:
 *
 * Checks the body of PUT /api/v1/progress/{item}: only "position" and
 * "duration", both finite numbers; the position is clamped to the duration.
 */
gboolean
yg_resident_input_progress (JsonObject *obj, double *position, double *duration, GError **error)
{
  g_autoptr (GList) members = json_object_get_members (obj);

  for (GList *m = members; m != NULL; m = m->next)
    if (!g_str_equal (m->data, "position") && !g_str_equal (m->data, "duration"))
      return yg_field_error_set (error, m->data, "Unknown field \"%s\"", (const char *) m->data);
  if (!get_number (obj, "duration", duration, error) || !get_number (obj, "position", position, error))
    return FALSE;
  if (*duration <= 0 || *duration > MAX_DURATION)
    return yg_field_error_set (error, "duration", "\"duration\" must be more than 0 and at most %g",
                               MAX_DURATION);
  if (*position < 0 || *position > *duration + POSITION_SLACK)
    return yg_field_error_set (error, "position",
                               "\"position\" must be from 0 to the duration (+%g s)",
                               POSITION_SLACK);
  *position = MIN (*position, *duration);
  return TRUE;
}

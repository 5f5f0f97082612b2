/* yg-field-error.h: YG_FIELD_ERROR, a refused input value and the field it came from. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define YG_FIELD_ERROR (yg_field_error_quark ())
GQuark yg_field_error_quark (void);

typedef enum
{
  YG_FIELD_ERROR_INVALID, /* the value of one field is refused; the error names the field */
} YgFieldError;

gboolean yg_field_error_set (GError **error, const char *field, const char *format, ...)
    G_GNUC_PRINTF (3, 4);
const char *yg_field_error_get_field (const GError *error);

G_END_DECLS

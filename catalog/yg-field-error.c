/* yg-field-error.c: YG_FIELD_ERROR, an extended GError that carries a field path.
 *
 * Input validation (item metadata, chapters, inheritors, search parameters)
 * refuses a value with the path of the offending field, e.g. "performers[2]"
 * or "chapters[1].start", so the HTTP answer can name it
 * ({"error":{"code":"invalid","message":...,"field":...}}). The field lives
 * in the error's private data (G_DEFINE_EXTENDED_ERROR), so it survives
 * g_propagate_error and g_error_copy across threads.
 * Thread: any.
 */
#include "yg-field-error.h"

/* G_DEFINE_EXTENDED_ERROR's accessors return NULL for a foreign error; GCC
 * cannot see that they are only called on this domain's errors. */
#pragma GCC diagnostic ignored "-Wnull-dereference"

typedef struct
{
  char *field;
} YgFieldErrorPrivate;

static void
yg_field_error_private_init (YgFieldErrorPrivate *priv)
{
  priv->field = NULL;
}

static void
yg_field_error_private_copy (const YgFieldErrorPrivate *src, YgFieldErrorPrivate *dest)
{
  dest->field = g_strdup (src->field);
}

static void
yg_field_error_private_clear (YgFieldErrorPrivate *priv)
{
  g_clear_pointer (&priv->field, g_free);
}

G_DEFINE_EXTENDED_ERROR (YgFieldError, yg_field_error)

/**
 * yg_field_error_set:
 * @field: (nullable): the field path, e.g. "tags[3]"
 *
 * Returns: always %FALSE, for `return yg_field_error_set (...)`
 */
gboolean
yg_field_error_set (GError **error, const char *field, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (error == NULL)
    return FALSE;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, YG_FIELD_ERROR, YG_FIELD_ERROR_INVALID, message);
  if (*error != NULL && field != NULL)
    {
      YgFieldErrorPrivate *priv = yg_field_error_get_private (*error);
      if (priv != NULL)
        priv->field = g_strdup (field);
    }
  return FALSE;
}

/**
 * yg_field_error_get_field:
 *
 * Returns: (transfer none) (nullable): the field path of a YG_FIELD_ERROR
 */
const char *
yg_field_error_get_field (const GError *error)
{
  YgFieldErrorPrivate *priv;

  if (error == NULL || error->domain != YG_FIELD_ERROR)
    return NULL;
  priv = yg_field_error_get_private (error);
  return priv != NULL ? priv->field : NULL;
}

/* yg-route-captions.c: /api/v1/items/{id}/captions/{lang}, staff upload of WebVTT.
 *
 *   PUT    …/captions/{lang}  body text/vtt, ≤ 2 MiB  → 200 {item_id, lang, name, size}
 *   DELETE …/captions/{lang}                          → {ok: true} (404 if there is none)
 * The language must have the BCP 47 shape yg-captions.c accepts (400 "lang"
 * otherwise) and the body must be well-formed UTF-8 WebVTT (400 "body" with
 * the line at fault); a body between 2 and 4 MiB is a 400 too, a larger one
 * never gets past the server's body limit (413). The item must exist (404).
 * The file goes to media/<item>/captions/<lang>.vtt as temp + fsync +
 * rename (+ directory fsync) on a worker thread, replacing the previous one
 * for that language; delivery (yg-route-media.c) lists the directory, so the
 * master playlist shows the subtitle rendition on its next request.
 * Thread: main thread; the item is looked up on the DB thread, files are
 * written and removed on a GTask thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include <errno.h>
#include <glib/gstdio.h>

#include "yg-captions.h"
#include "yg-field-error.h"
#include "yg-http-error.h"
#include "yg-item-store.h"
#include "yg-publish.h"
#include "yg-request.h"
#include "yg-routes.h"
#include "yg-server.h"

typedef struct
{
  char *item_id;
  char *lang;
  char *dir;    /* media/<item>/captions */
  GBytes *body; /* NULL: delete */
} Job;

static void
job_free (Job *j)
{
  g_free (j->item_id);
  g_free (j->lang);
  g_free (j->dir);
  g_clear_pointer (&j->body, g_bytes_unref);
  g_free (j);
}

static void
file_work (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *j = data;
  g_autofree char *name = g_strdup_printf ("%s.vtt", j->lang);
  g_autofree char *path = g_build_filename (j->dir, name, NULL);
  GError *error = NULL;

  if (j->body != NULL)
    {
      gsize len;
      const char *bytes = g_bytes_get_data (j->body, &len);

      if (g_mkdir_with_parents (j->dir, 0755) != 0)
        {
          int saved = errno;
          g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved),
                                   "Cannot create %s: %s", j->dir, g_strerror (saved));
          return;
        }
      if (!yg_publish_write_file (path, bytes, len, &error))
        {
          g_task_return_error (task, error);
          return;
        }
    }
  else
    {
      if (g_unlink (path) != 0)
        {
          int saved = errno;
          if (saved == ENOENT)
            g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                     "Item \"%s\" has no %s captions", j->item_id, j->lang);
          else
            g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved),
                                     "Cannot remove captions: %s", g_strerror (saved));
          return;
        }
      if (!yg_publish_fsync_dir (j->dir, &error))
        {
          g_task_return_error (task, error);
          return;
        }
    }
  g_task_return_boolean (task, TRUE);
}

static void
file_done (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (SoupServerMessage) msg = data;
  YgRequest *req = yg_request_get (msg);
  Job *j = g_task_get_task_data (G_TASK (res));
  g_autoptr (GError) error = NULL;
  JsonObject *o;
  JsonNode *node;

  if (!g_task_propagate_boolean (G_TASK (res), &error))
    {
      yg_request_respond_error (req, error);
      return;
    }
  o = json_object_new ();
  if (j->body != NULL)
    {
      json_object_set_string_member (o, "item_id", j->item_id);
      json_object_set_string_member (o, "lang", j->lang);
      json_object_set_string_member (o, "name", yg_captions_lang_name (j->lang));
      json_object_set_int_member (o, "size", (gint64) g_bytes_get_size (j->body));
    }
  else
    json_object_set_boolean_member (o, "ok", TRUE);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, o);
  yg_request_respond_json (req, 200, node);
}

static gpointer
db_exists (YgDbConn *conn, gpointer data, GError **error)
{
  Job *j = data;

  return yg_item_store_get_visibility (conn, j->item_id, error) != YG_VISIBILITY_INVALID
           ? GINT_TO_POINTER (1)
           : NULL;
}

static void
item_checked (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (SoupServerMessage) msg = data;
  YgRequest *req = yg_request_get (msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;

  if (yg_db_run_finish (YG_DB (source), res, &error) == NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  task = g_task_new (NULL, NULL, file_done, g_object_ref (msg));
  g_task_set_task_data (task, g_steal_pointer (&req->route_data), (GDestroyNotify) job_free);
  req->route_data_free = NULL;
  g_task_run_in_thread (task, file_work);
}

static void
start (YgServer *server, YgRequest *req, GBytes *body)
{
  const char *item = yg_request_param (req, 0);
  Job *j = g_new0 (Job, 1);

  j->item_id = g_strdup (item);
  j->lang = g_strdup (yg_request_param (req, 1));
  j->dir = g_build_filename (yg_server_get_config (server)->data_dir, "media", item, "captions",
                             NULL);
  j->body = body;
  req->route_data = j;
  req->route_data_free = (GDestroyNotify) job_free;
  yg_request_pause (req);
  yg_db_run_async (yg_server_get_db (server), db_exists, j, NULL, NULL, NULL, item_checked,
                   g_object_ref (req->msg));
}

/* The item id has the server's shape, the language the accepted one. */
static gboolean
check_names (YgRequest *req)
{
  const char *item = yg_request_param (req, 0);
  g_autoptr (GError) error = NULL;

  for (const char *p = item; *p; p++)
    if (!g_ascii_isalnum (*p) || p - item >= 64)
      {
        yg_request_fail (req, YG_HTTP_ERROR_NOT_FOUND, "No item with id \"%s\"", item);
        return FALSE;
      }
  if (!yg_captions_lang_is_valid (yg_request_param (req, 1)))
    {
      yg_field_error_set (&error, "lang",
                          "\"%s\" is not a language tag such as zh-CN or en (BCP 47)",
                          yg_request_param (req, 1));
      yg_request_respond_error (req, error);
      return FALSE;
    }
  return TRUE;
}

void
yg_route_item_captions_put (YgServer *server, YgRequest *req)
{
  const char *ctype = yg_request_header (req, "Content-Type");
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  const char *data;
  gsize len;

  if (!check_names (req))
    return;
  if (ctype == NULL || g_ascii_strncasecmp (ctype, "text/vtt", 8) != 0
      || (ctype[8] != '\0' && ctype[8] != ';' && ctype[8] != ' '))
    {
      yg_request_fail (req, YG_HTTP_ERROR_UNSUPPORTED_MEDIA,
                       "Send the captions as WebVTT with Content-Type: text/vtt");
      return;
    }
  body = soup_message_body_flatten (soup_server_message_get_request_body (req->msg));
  data = g_bytes_get_data (body, &len);
  if (len > YG_CAPTIONS_MAX_BYTES)
    yg_field_error_set (&error, "body", "Captions are limited to %d bytes (2 MiB); this is %"
                        G_GSIZE_FORMAT, YG_CAPTIONS_MAX_BYTES, len);
  else if (len == 0)
    yg_field_error_set (&error, "body", "The body is empty; send a WebVTT file");
  else
    yg_captions_validate (data, len, NULL, &error);
  if (error != NULL)
    {
      yg_request_respond_error (req, error);
      return;
    }
  start (server, req, g_steal_pointer (&body));
}

void
yg_route_item_captions_delete (YgServer *server, YgRequest *req)
{
  if (!check_names (req))
    return;
  start (server, req, NULL);
}

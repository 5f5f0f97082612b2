/* yg-wechat.c: what WeChat's JS-SDK needs for share cards.
 *
 * The signature is the official algorithm: sha1 of
 * "jsapi_ticket=T&noncestr=N&timestamp=S&url=U" (keys in ASCII order, raw
 * values, no escaping) where U is the page URL without its fragment.
 * The jsapi_ticket comes from {api}/cgi-bin/ticket/getticket with an
 * access_token from {api}/cgi-bin/token (app id and secret from the
 * configuration). WeChat limits how often both may be fetched, so each is
 * cached until YG_WECHAT_REFRESH_MARGIN seconds before its expires_in runs
 * out and then fetched again; requests that need a ticket while one is
 * being fetched wait for that one fetch; a failed fetch is not retried for
 * 30 s (the callers get the error meanwhile). A ticket refused because the
 * token is no longer valid (errcode 40001, 40014, 42001) drops the token and
 * is tried once more. Without an app id and secret nothing is fetched and
 * the pages share without a signature.
 * Thread: main thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-wechat.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "yg-build-config.h"

#define RETRY_AFTER_FAILURE 30 /* seconds */
#define MAX_ANSWER 16384

struct _YgWechat
{
  char *app_id;
  char *secret;
  char *api;
  SoupSession *session;
  char *token;
  gint64 token_until;  /* monotonic seconds after which it is renewed */
  char *ticket;
  gint64 ticket_until;
  GPtrArray *waiting;  /* GTasks waiting for the fetch in progress; NULL when none */
  gint64 failed_until; /* no fetch before this after a failure */
  GError *failure;
};

static gint64
now_s (void)
{
  return g_get_monotonic_time () / G_USEC_PER_SEC;
}

YgWechat *
yg_wechat_new (const YgConfig *config)
{
  YgWechat *self = g_new0 (YgWechat, 1);

  self->app_id = g_strdup (config->wechat_app_id);
  self->secret = g_strdup (config->wechat_app_secret);
  self->api = g_strdup (config->wechat_api_url);
  self->session = g_object_new (SOUP_TYPE_SESSION, "timeout", 15, "user-agent",
                                "yunguan/" YG_VERSION, NULL);
  return self;
}

void
yg_wechat_free (YgWechat *self)
{
  if (self == NULL)
    return;
  soup_session_abort (self->session);
  g_object_unref (self->session);
  g_free (self->app_id);
  g_free (self->secret);
  g_free (self->api);
  g_free (self->token);
  g_free (self->ticket);
  g_clear_error (&self->failure);
  g_free (self);
}

gboolean
yg_wechat_is_configured (YgWechat *self)
{
  return !g_str_equal (self->app_id, "none") && !g_str_equal (self->secret, "none");
}

const char *
yg_wechat_app_id (YgWechat *self)
{
  return self->app_id;
}

/**
 * yg_wechat_signature:
 * @url: the page URL; anything from '#' on is left out
 *
 * Returns: (transfer full): the hexadecimal SHA-1 signature
 */
char *
yg_wechat_signature (const char *ticket, const char *noncestr, gint64 timestamp, const char *url)
{
  const char *hash = strchr (url, '#');
  g_autofree char *page = hash != NULL ? g_strndup (url, hash - url) : g_strdup (url);
  g_autofree char *string1 = g_strdup_printf ("jsapi_ticket=%s&noncestr=%s&timestamp=%" G_GINT64_FORMAT
                                              "&url=%s",
                                              ticket, noncestr, timestamp, page);

  return g_compute_checksum_for_string (G_CHECKSUM_SHA1, string1, -1);
}

/* --- fetching ------------------------------------------------------------------------------------ */

static void fetch_token (YgWechat *self);

static void
finish (YgWechat *self, GError *error)
{
  g_autoptr (GPtrArray) waiting = g_steal_pointer (&self->waiting);

  if (error != NULL)
    {
      g_clear_error (&self->failure);
      self->failure = error;
      self->failed_until = now_s () + RETRY_AFTER_FAILURE;
      g_message ("WeChat: %s", error->message);
    }
  for (guint i = 0; waiting != NULL && i < waiting->len; i++)
    {
      GTask *t = waiting->pdata[i];
      if (error != NULL)
        g_task_return_error (t, g_error_copy (error));
      else
        g_task_return_pointer (t, g_strdup (self->ticket), g_free);
    }
}

typedef void (*Answered) (YgWechat *self, JsonObject *answer, GError *error);

typedef struct
{
  YgWechat *self;
  Answered then;
} Call;

static void
answered (GObject *source, GAsyncResult *res, gpointer data)
{
  Call *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &error);
  g_autoptr (JsonParser) parser = json_parser_new ();
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), res);
  JsonObject *answer = NULL;

  if (body != NULL && soup_message_get_status (msg) != SOUP_STATUS_OK)
    error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "WeChat answered HTTP %u",
                         soup_message_get_status (msg));
  else if (body != NULL
           && (g_bytes_get_size (body) > MAX_ANSWER
               || !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                               g_bytes_get_size (body), NULL)
               || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))))
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                 "WeChat's answer is not a JSON object");
  else if (body != NULL)
    answer = json_node_get_object (json_parser_get_root (parser));
  c->then (c->self, answer, g_steal_pointer (&error));
  g_free (c);
}

static void
get (YgWechat *self, const char *url, Answered then)
{
  SoupMessage *msg = soup_message_new ("GET", url);
  Call *c = g_new0 (Call, 1);

  c->self = self;
  c->then = then;
  if (msg == NULL)
    {
      g_free (c);
      finish (self, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                 "wechat-api-url does not make a URL"));
      return;
    }
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, NULL, answered, c);
  g_object_unref (msg);
}

/* expires_in of an answer, or 0 when it is missing or not a positive number */
static gint64
expires_in (JsonObject *o)
{
  JsonNode *n = json_object_get_member (o, "expires_in");

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64
      || json_node_get_int (n) <= 0)
    return 0;
  return json_node_get_int (n);
}

static gint64
errcode (JsonObject *o)
{
  JsonNode *n = json_object_get_member (o, "errcode");

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64
             ? json_node_get_int (n)
             : 0;
}

static const char *
string_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING
      || json_node_get_string (n)[0] == '\0' || strlen (json_node_get_string (n)) > 1024)
    return NULL;
  return json_node_get_string (n);
}

static GError *
refused (JsonObject *o, const char *what)
{
  const char *msg = string_member (o, "errmsg");

  return g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "WeChat refused the %s: errcode %" G_GINT64_FORMAT
                      " (%.100s)",
                      what, errcode (o), msg != NULL ? msg : "no message");
}

static void fetch_ticket (YgWechat *self);

static void
ticket_answered (YgWechat *self, JsonObject *o, GError *error)
{
  const char *ticket;
  gint64 code, life;

  if (error != NULL)
    {
      finish (self, error);
      return;
    }
  code = errcode (o);
  ticket = string_member (o, "ticket");
  life = expires_in (o);
  if (code == 40001 || code == 40014 || code == 42001) /* the token is no longer valid */
    {
      gboolean again = self->token != NULL;

      g_clear_pointer (&self->token, g_free);
      if (again)
        {
          fetch_token (self);
          return;
        }
    }
  if (code != 0 || ticket == NULL || life == 0)
    {
      finish (self, refused (o, "jsapi_ticket"));
      return;
    }
  g_free (self->ticket);
  self->ticket = g_strdup (ticket);
  self->ticket_until = now_s () + life - YG_WECHAT_REFRESH_MARGIN;
  finish (self, NULL);
}

static void
fetch_ticket (YgWechat *self)
{
  g_autofree char *token = g_uri_escape_string (self->token, NULL, TRUE);
  g_autofree char *url = g_strdup_printf ("%s/cgi-bin/ticket/getticket?access_token=%s&type=jsapi",
                                          self->api, token);

  get (self, url, ticket_answered);
}

static void
token_answered (YgWechat *self, JsonObject *o, GError *error)
{
  const char *token;
  gint64 life;

  if (error != NULL)
    {
      finish (self, error);
      return;
    }
  token = string_member (o, "access_token");
  life = expires_in (o);
  if (errcode (o) != 0 || token == NULL || life == 0)
    {
      finish (self, refused (o, "access_token"));
      return;
    }
  g_free (self->token);
  self->token = g_strdup (token);
  self->token_until = now_s () + life - YG_WECHAT_REFRESH_MARGIN;
  fetch_ticket (self);
}

static void
fetch_token (YgWechat *self)
{
  g_autofree char *id = g_uri_escape_string (self->app_id, NULL, TRUE);
  g_autofree char *secret = g_uri_escape_string (self->secret, NULL, TRUE);
  g_autofree char *url = g_strdup_printf (
      "%s/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s", self->api, id, secret);

  get (self, url, token_answered);
}

/**
 * yg_wechat_ticket_async:
 *
 * A valid jsapi_ticket: the cached one, or one fetched now (see the file
 * comment).
 */
void
yg_wechat_ticket_async (YgWechat *self, GAsyncReadyCallback callback, gpointer data)
{
  GTask *task = g_task_new (NULL, NULL, callback, data);

  if (!yg_wechat_is_configured (self))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "WeChat is not configured (wechat-app-id, wechat-app-secret)");
      g_object_unref (task);
      return;
    }
  if (self->ticket != NULL && now_s () < self->ticket_until)
    {
      g_task_return_pointer (task, g_strdup (self->ticket), g_free);
      g_object_unref (task);
      return;
    }
  if (self->waiting == NULL && self->failure != NULL && now_s () < self->failed_until)
    {
      g_task_return_error (task, g_error_copy (self->failure));
      g_object_unref (task);
      return;
    }
  if (self->waiting != NULL)
    {
      g_ptr_array_add (self->waiting, task);
      return;
    }
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->waiting, task);
  if (self->token != NULL && now_s () < self->token_until)
    fetch_ticket (self);
  else
    fetch_token (self);
}

/* Returns: (transfer full): the ticket, or %NULL */
char *
yg_wechat_ticket_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

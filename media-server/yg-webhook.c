/* yg-webhook.c: POSTs staff notifications to the configured URL, with
 * bounded retries, from the server's main loop without blocking it.
 *
 * The queue is the durable webhook_outbox table (yg-webhook-outbox.c): a
 * round reads the due rows, POSTs each in turn (libsoup client session,
 * asynchronous, 10 s timeout) as JSON {event, delivery, attempt, request},
 * and records the outcome: a 2xx answer marks it delivered; anything else
 * schedules the next attempt after 1, 2, 4, … s (at most
 * YG_WEBHOOK_MAX_BACKOFF), and after YG_WEBHOOK_MAX_ATTEMPTS the row is
 * given up. Rounds start at start-up (so a restart continues pending
 * retries), when yg_webhook_kick says a new row exists, and on a timer set
 * to the earliest next attempt. One round at a time. The receiver gets the
 * row id in Yunguan-Delivery to drop duplicates (delivery is at least once).
 * Thread: main thread; the object is reference-counted internally so that
 * callbacks still in flight after yg_webhook_free find it cancelled.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-webhook.h"

#include <libsoup/soup.h>

#include "yg-demand-json.h"
#include "yg-webhook-outbox.h"

struct _YgWebhook
{
  YgDb *db;
  SoupSession *session;
  char *url;
  guint threshold;
  GCancellable *cancel;
  GSource *timer;
  gboolean busy, again;
  GPtrArray *round;    /* (element-type YgWebhookEntry) being delivered */
  guint next;          /* index in round */
};

static void
clear (YgWebhook *hook)
{
  g_clear_object (&hook->db);
  g_clear_object (&hook->session);
  g_clear_object (&hook->cancel);
  g_clear_pointer (&hook->round, g_ptr_array_unref);
  g_free (hook->url);
}

static YgWebhook *
ref (YgWebhook *hook)
{
  return g_rc_box_acquire (hook);
}

static void
unref (YgWebhook *hook)
{
  g_rc_box_release_full (hook, (GDestroyNotify) clear);
}

/**
 * yg_webhook_new:
 * @url: an http or https URL
 *
 * Returns: (transfer full): the deliverer, already running its first round;
 *   %NULL with G_IO_ERROR_INVALID_ARGUMENT for a bad URL
 */
YgWebhook *
yg_webhook_new (YgDb *db, const char *url, guint threshold, GError **error)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  YgWebhook *hook;

  if (uri == NULL
      || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0
          && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
      || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "request-webhook: \"%s\" is not an http or https URL", url);
      return NULL;
    }
  hook = g_rc_box_new0 (YgWebhook);
  hook->db = g_object_ref (db);
  hook->url = g_strdup (url);
  hook->threshold = threshold;
  hook->cancel = g_cancellable_new ();
  hook->session = soup_session_new_with_options ("timeout", 10, "idle-timeout", 30,
                                                 "user-agent", "yunguan-webhook", NULL);
  yg_webhook_kick (hook);
  return hook;
}

void
yg_webhook_free (YgWebhook *hook)
{
  if (hook == NULL)
    return;
  g_cancellable_cancel (hook->cancel);
  if (hook->timer != NULL)
    {
      g_source_destroy (hook->timer);
      g_clear_pointer (&hook->timer, g_source_unref);
    }
  unref (hook);
}

static void deliver_next (YgWebhook *hook);
static void schedule (YgWebhook *hook);

typedef struct
{
  gint64 id;
  char *failure;
  gint64 next_at;
} Outcome;

static void
outcome_free (Outcome *o)
{
  g_free (o->failure);
  g_free (o);
}

static gpointer
db_record (YgDbConn *conn, gpointer data, GError **error)
{
  Outcome *o = data;

  return yg_webhook_outbox_record (conn, o->id, o->failure, o->next_at, error)
             ? GINT_TO_POINTER (1)
             : NULL;
}

static void
recorded (GObject *source, GAsyncResult *res, gpointer data)
{
  YgWebhook *hook = data;
  g_autoptr (GError) error = NULL;

  if (yg_db_run_finish (YG_DB (source), res, &error) == NULL)
    g_warning ("Recording a webhook delivery failed: %s", error->message);
  if (!g_cancellable_is_cancelled (hook->cancel))
    deliver_next (hook);
  unref (hook);
}

static void
sent (GObject *source, GAsyncResult *res, gpointer data)
{
  YgWebhook *hook = data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), res);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &error);
  YgWebhookEntry *e;
  Outcome *o;
  guint status;

  if (g_cancellable_is_cancelled (hook->cancel))
    {
      unref (hook);
      return;
    }
  e = hook->round->pdata[hook->next - 1];
  status = msg != NULL ? soup_message_get_status (msg) : 0;
  o = g_new0 (Outcome, 1);
  o->id = e->id;
  if (body != NULL && status >= 200 && status < 300)
    g_debug ("webhook %" G_GINT64_FORMAT " delivered", e->id);
  else
    {
      gint64 now = g_get_real_time () / G_USEC_PER_SEC;
      guint backoff = MIN (YG_WEBHOOK_MAX_BACKOFF, 1u << MIN (e->attempts, 20u));

      o->failure = error != NULL ? g_strdup (error->message)
                                 : g_strdup_printf ("HTTP %u", status);
      o->next_at = e->attempts + 1 >= YG_WEBHOOK_MAX_ATTEMPTS ? 0 : now + backoff;
      g_message ("webhook %" G_GINT64_FORMAT " attempt %u failed (%s)%s", e->id, e->attempts + 1,
                 o->failure, o->next_at == 0 ? "; given up" : "");
    }
  yg_db_run_async (hook->db, db_record, o, (GDestroyNotify) outcome_free, NULL, NULL, recorded,
                   hook); /* keeps the reference */
}

static void
deliver_next (YgWebhook *hook)
{
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (JsonGenerator) gen = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autofree char *text = NULL;
  g_autofree char *delivery = NULL;
  YgWebhookEntry *e;
  gsize len = 0;

  if (hook->next >= hook->round->len)
    {
      g_clear_pointer (&hook->round, g_ptr_array_unref);
      hook->busy = FALSE;
      if (hook->again)
        yg_webhook_kick (hook);
      else
        schedule (hook);
      return;
    }
  e = hook->round->pdata[hook->next++];
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, e->event);
  json_builder_set_member_name (b, "delivery");
  json_builder_add_int_value (b, e->id);
  json_builder_set_member_name (b, "attempt");
  json_builder_add_int_value (b, e->attempts + 1);
  json_builder_set_member_name (b, "request");
  json_builder_add_value (b, yg_demand_json (e->demand, hook->threshold, TRUE));
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  gen = json_generator_new ();
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, &len);
  body = g_bytes_new_take (g_steal_pointer (&text), len);
  msg = soup_message_new ("POST", hook->url);
  delivery = g_strdup_printf ("%" G_GINT64_FORMAT, e->id);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Yunguan-Event", e->event);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Yunguan-Delivery",
                                delivery);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  soup_session_send_and_read_async (hook->session, msg, G_PRIORITY_DEFAULT, hook->cancel, sent,
                                    ref (hook));
}

static gpointer
db_due (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_webhook_outbox_due (conn, g_get_real_time () / G_USEC_PER_SEC, 16, error);
}

static void
got_due (GObject *source, GAsyncResult *res, gpointer data)
{
  YgWebhook *hook = data;
  g_autoptr (GError) error = NULL;
  GPtrArray *due = yg_db_run_finish (YG_DB (source), res, &error);

  if (g_cancellable_is_cancelled (hook->cancel))
    {
      g_clear_pointer (&due, g_ptr_array_unref);
      unref (hook);
      return;
    }
  if (due == NULL)
    {
      g_warning ("Reading the webhook outbox failed: %s", error->message);
      due = g_ptr_array_new ();
    }
  hook->round = due;
  hook->next = 0;
  deliver_next (hook);
  unref (hook);
}

/* Starts a delivery round now (or right after the current one). */
void
yg_webhook_kick (YgWebhook *hook)
{
  if (hook->busy)
    {
      hook->again = TRUE;
      return;
    }
  hook->busy = TRUE;
  hook->again = FALSE;
  yg_db_run_async (hook->db, db_due, NULL, NULL, (GDestroyNotify) g_ptr_array_unref, NULL,
                   got_due, ref (hook));
}

static gboolean
on_timer (gpointer data)
{
  YgWebhook *hook = data;

  g_clear_pointer (&hook->timer, g_source_unref);
  yg_webhook_kick (hook);
  return G_SOURCE_REMOVE;
}

static gpointer
db_next_at (YgDbConn *conn, gpointer data, GError **error)
{
  gint64 next = yg_webhook_outbox_next_at (conn, error);

  return next < 0 ? NULL : g_memdup2 (&next, sizeof next);
}

static void
got_next_at (GObject *source, GAsyncResult *res, gpointer data)
{
  YgWebhook *hook = data;
  g_autoptr (GError) error = NULL;
  g_autofree gint64 *next = yg_db_run_finish (YG_DB (source), res, &error);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!g_cancellable_is_cancelled (hook->cancel) && next != NULL && *next > 0
      && hook->timer == NULL && !hook->busy)
    {
      hook->timer = g_timeout_source_new_seconds (CLAMP (*next - now, 1, YG_WEBHOOK_MAX_BACKOFF));
      g_source_set_callback (hook->timer, on_timer, hook, NULL);
      g_source_set_name (hook->timer, "yg-webhook");
      g_source_attach (hook->timer, g_main_context_get_thread_default ());
    }
  unref (hook);
}

/* Sets the timer to the earliest pending retry, if any. */
static void
schedule (YgWebhook *hook)
{
  yg_db_run_async (hook->db, db_next_at, NULL, NULL, g_free, NULL, got_next_at, ref (hook));
}

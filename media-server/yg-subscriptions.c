/* yg-subscriptions.c: reading the feeds this server subscribes to.
 *
 * A refresh of one subscription fetches its feed from the stored cursor
 * (yg-feed-fetch.c: SSRF defences, size and time bounds), validates each
 * page strictly (yg-feed-input.c) and applies it on the DB thread in one
 * transaction with the cursor it reaches (yg-feed-store.c), page after page
 * while the feed says there is more (at most MAX_PAGES per refresh). The
 * first request carries the stored ETag (of the last page read, so it
 * matches when the cursor has not moved since); a 304 only records the
 * check. Any
 * failure (the partner is down, refuses, answers garbage or too much, too
 * slowly) records state "error" with the message and leaves the catalogue
 * as it was; pages applied before the failure stay (their cursor with
 * them). One refresh per subscription runs at a time: a request for one
 * that is running waits for it. All subscriptions are refreshed every
 * feed-refresh-minutes, one after another. The origins of the subscribed
 * feeds are kept for the pages' CSP (their HLS and posters load from there).
 * Thread: main thread; the catalogue on the DB thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-subscriptions.h"

#include <string.h>

#include "yg-feed-fetch.h"
#include "yg-feed-input.h"
#include "yg-feed-store.h"

#define MAX_PAGES 50
#define PAGE_LIMIT 200

struct _YgSubscriptions
{
  YgDb *db;
  SoupSession *session;
  guint64 max_bytes;
  guint timeout;
  guint refresh_minutes;
  guint timer;
  gboolean sweeping;
  GHashTable *running; /* id → GPtrArray of GTask waiting for it */
  char *origins;       /* " origin origin …" for the CSP, or "" */
  GCancellable *cancellable;
};

typedef struct
{
  YgSubscriptions *self;
  gint64 id;
  YgSubscription *sub;
  char *name;
  gint64 cursor;
  guint pages;
  char *etag;        /* of the page being applied */
  YgFeedPage *page;  /* being applied */
  char *error_text;  /* the failure to record */
} Refresh;

static void
refresh_free (Refresh *r)
{
  g_clear_pointer (&r->sub, yg_subscription_free);
  g_free (r->name);
  g_free (r->etag);
  g_clear_pointer (&r->page, yg_feed_page_free);
  g_free (r->error_text);
  g_free (r);
}

YgSubscriptions *
yg_subscriptions_new (YgDb *db, const YgConfig *config)
{
  YgSubscriptions *self = g_new0 (YgSubscriptions, 1);

  self->db = g_object_ref (db);
  self->session = yg_feed_fetch_session_new ();
  self->max_bytes = config->feed_max_bytes;
  self->timeout = config->feed_timeout;
  self->refresh_minutes = config->feed_refresh_minutes;
  self->running = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                         (GDestroyNotify) g_ptr_array_unref);
  self->origins = g_strdup ("");
  self->cancellable = g_cancellable_new ();
  return self;
}

void
yg_subscriptions_free (YgSubscriptions *self)
{
  if (self == NULL)
    return;
  if (self->timer != 0)
    g_source_remove (self->timer);
  g_cancellable_cancel (self->cancellable);
  g_object_unref (self->cancellable);
  soup_session_abort (self->session);
  g_object_unref (self->session);
  g_hash_table_unref (self->running);
  g_object_unref (self->db);
  g_free (self->origins);
  g_free (self);
}

/**
 * yg_subscriptions_set_origins:
 * @subscriptions: (element-type YgSubscription): every subscription
 */
void
yg_subscriptions_set_origins (YgSubscriptions *self, GPtrArray *subscriptions)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < subscriptions->len; i++)
    {
      const YgSubscription *sub = subscriptions->pdata[i];
      g_autofree char *origin = yg_feed_input_origin (sub->url);

      if (origin != NULL && strstr (s->str, origin) == NULL)
        g_string_append_printf (s, " %s", origin);
    }
  g_free (self->origins);
  self->origins = g_string_free (s, FALSE);
}

/* Returns: " origin origin …" of the subscribed feeds (for a CSP), or "" */
const char *
yg_subscriptions_origins (YgSubscriptions *self)
{
  return self->origins;
}

/* --- one refresh --------------------------------------------------------------------------------- */

static void fetch_page (GTask *task);

static void
finish_all (YgSubscriptions *self, gint64 id, GError *error)
{
  g_autoptr (GPtrArray) waiting = NULL;
  gpointer key;

  if (!g_hash_table_steal_extended (self->running, &id, &key, (gpointer *) &waiting))
    return;
  g_free (key);
  for (guint i = 0; i < waiting->len; i++)
    {
      GTask *t = waiting->pdata[i];
      if (error != NULL)
        g_task_return_error (t, g_error_copy (error));
      else
        g_task_return_boolean (t, TRUE);
    }
}

static gpointer
db_set_state (YgDbConn *conn, gpointer data, GError **error)
{
  Refresh *r = data;

  return yg_feed_store_set_state (conn, r->id, r->error_text, error) ? GINT_TO_POINTER (1) : NULL;
}

static void
state_recorded (GObject *source, GAsyncResult *res, gpointer data)
{
  GTask *task = data;
  Refresh *r = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  yg_db_run_finish (YG_DB (source), res, &error);
  if (error != NULL)
    g_warning ("subscription %" G_GINT64_FORMAT ": %s", r->id, error->message);
  if (r->error_text != NULL)
    g_message ("subscription %" G_GINT64_FORMAT ": %s", r->id, r->error_text);
  finish_all (r->self, r->id, error);
  g_object_unref (task);
}

/* Ends the refresh, recording @error_text (NULL: checked, nothing new). */
static void
end (GTask *task, const char *error_text)
{
  Refresh *r = g_task_get_task_data (task);
  Refresh *copy = g_new0 (Refresh, 1);

  g_free (r->error_text);
  r->error_text = g_strdup (error_text);
  copy->id = r->id;
  copy->error_text = g_strdup (error_text);
  yg_db_run_async (r->self->db, db_set_state, copy, (GDestroyNotify) refresh_free, NULL, NULL,
                   state_recorded, task);
}

static gpointer
db_apply (YgDbConn *conn, gpointer data, GError **error)
{
  Refresh *r = data;

  return yg_feed_store_apply (conn, r->id, r->page->name, r->page->remotes, r->page->next_cursor,
                              r->etag, error)
             ? GINT_TO_POINTER (1)
             : NULL;
}

static void
applied (GObject *source, GAsyncResult *res, gpointer data)
{
  GTask *task = data;
  Refresh *r = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  gboolean more;

  yg_db_run_finish (YG_DB (source), res, &error);
  if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf ("Could not store the feed: %s", error->message);
      end (task, text);
      return;
    }
  more = r->page->more && r->page->next_cursor > r->cursor;
  r->cursor = r->page->next_cursor;
  g_clear_pointer (&r->page, yg_feed_page_free);
  if (more && ++r->pages < MAX_PAGES)
    fetch_page (task);
  else
    {
      finish_all (r->self, r->id, NULL);
      g_object_unref (task);
    }
}

static void
fetched (GObject *source, GAsyncResult *res, gpointer data)
{
  GTask *task = data;
  Refresh *r = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autofree char *etag = NULL;
  g_autoptr (GBytes) body = yg_feed_fetch_finish (res, &etag, &error);
  Refresh *apply;

  if (body == NULL)
    {
      end (task, error->message);
      return;
    }
  if (g_bytes_get_size (body) == 0) /* 304: nothing new */
    {
      end (task, NULL);
      return;
    }
  r->page = yg_feed_input_parse (body, r->sub->url, &error);
  if (r->page == NULL)
    {
      end (task, error->message);
      return;
    }
  g_free (r->etag); /* the last page's: a check with nothing new asks the same URL again */
  r->etag = g_steal_pointer (&etag);
  apply = g_new0 (Refresh, 1);
  apply->id = r->id;
  apply->page = g_steal_pointer (&r->page);
  apply->etag = g_strdup (r->etag);
  r->page = g_new0 (YgFeedPage, 1); /* what the answer needs after the apply */
  r->page->more = apply->page->more;
  r->page->next_cursor = apply->page->next_cursor;
  yg_db_run_async (r->self->db, db_apply, apply, (GDestroyNotify) refresh_free, NULL, NULL, applied,
                   task);
}

static void
fetch_page (GTask *task)
{
  Refresh *r = g_task_get_task_data (task);
  YgFeedFetchLimits limits = { r->sub->allow_private, r->self->max_bytes, r->self->timeout,
                               r->pages == 0 ? r->sub->etag : NULL };
  g_autofree char *url
      = g_strdup_printf ("%s%scursor=%" G_GINT64_FORMAT "&limit=%d", r->sub->url,
                         strchr (r->sub->url, '?') != NULL ? "&" : "?", r->cursor, PAGE_LIMIT);

  yg_feed_fetch_async (r->self->session, url, &limits, r->self->cancellable, fetched, task);
}

static gpointer
db_load (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_feed_store_subscription (conn, *(gint64 *) data, error);
}

static void
loaded (GObject *source, GAsyncResult *res, gpointer data)
{
  GTask *task = data;
  Refresh *r = g_task_get_task_data (task);
  GError *error = NULL;

  r->sub = yg_db_run_finish (YG_DB (source), res, &error);
  if (r->sub == NULL)
    {
      finish_all (r->self, r->id, error);
      g_error_free (error);
      g_object_unref (task);
      return;
    }
  r->cursor = r->sub->cursor;
  fetch_page (task);
}

/**
 * yg_subscriptions_refresh_async:
 *
 * Refreshes subscription @id now (or waits for the refresh that runs). The
 * result is an error only when the subscription does not exist or the
 * catalogue fails; a feed that fails is recorded in the subscription.
 */
void
yg_subscriptions_refresh_async (YgSubscriptions *self, gint64 id, GAsyncReadyCallback callback,
                                gpointer data)
{
  GTask *waiter = g_task_new (NULL, NULL, callback, data);
  GPtrArray *waiting = g_hash_table_lookup (self->running, &id);
  GTask *task;
  Refresh *r;

  if (waiting != NULL)
    {
      g_ptr_array_add (waiting, waiter);
      return;
    }
  waiting = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (waiting, waiter);
  g_hash_table_insert (self->running, g_memdup2 (&id, sizeof id), waiting);
  task = g_task_new (NULL, NULL, NULL, NULL);
  r = g_new0 (Refresh, 1);
  r->self = self;
  r->id = id;
  g_task_set_task_data (task, r, (GDestroyNotify) refresh_free);
  yg_db_run_async (self->db, db_load, g_memdup2 (&id, sizeof id), g_free,
                   (GDestroyNotify) yg_subscription_free, NULL, loaded, task);
}

gboolean
yg_subscriptions_refresh_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- the schedule ------------------------------------------------------------------------------------ */

typedef struct
{
  YgSubscriptions *self;
  GPtrArray *subs;
  guint next;
} Sweep;

static void sweep_next (Sweep *s);

static void
swept_one (GObject *source, GAsyncResult *res, gpointer data)
{
  Sweep *s = data;

  yg_subscriptions_refresh_finish (res, NULL);
  sweep_next (s);
}

static void
sweep_next (Sweep *s)
{
  if (s->next >= s->subs->len)
    {
      s->self->sweeping = FALSE;
      g_ptr_array_unref (s->subs);
      g_free (s);
      return;
    }
  yg_subscriptions_refresh_async (s->self, ((YgSubscription *) s->subs->pdata[s->next++])->id,
                                  swept_one, s);
}

static gpointer
db_list (YgDbConn *conn, gpointer data, GError **error)
{
  return yg_feed_store_subscriptions (conn, error);
}

static void
listed (GObject *source, GAsyncResult *res, gpointer data)
{
  YgSubscriptions *self = data;
  g_autoptr (GError) error = NULL;
  GPtrArray *subs = yg_db_run_finish (YG_DB (source), res, &error);
  Sweep *s;

  if (subs == NULL)
    {
      self->sweeping = FALSE;
      g_warning ("subscriptions: %s", error->message);
      return;
    }
  yg_subscriptions_set_origins (self, subs);
  s = g_new0 (Sweep, 1);
  s->self = self;
  s->subs = subs;
  sweep_next (s);
}

static gboolean
sweep (gpointer data)
{
  YgSubscriptions *self = data;

  if (!self->sweeping)
    {
      self->sweeping = TRUE;
      yg_db_run_async (self->db, db_list, NULL, NULL, (GDestroyNotify) g_ptr_array_unref, NULL,
                       listed, self);
    }
  return G_SOURCE_CONTINUE;
}

/* Loads the subscribed origins now and refreshes every feed-refresh-minutes. */
void
yg_subscriptions_start (YgSubscriptions *self)
{
  g_autoptr (GPtrArray) subs = yg_db_run_sync (self->db, db_list, NULL, NULL);

  if (subs != NULL)
    yg_subscriptions_set_origins (self, subs);
  if (self->refresh_minutes > 0)
    self->timer = g_timeout_add_seconds (self->refresh_minutes * 60, sweep, self);
}

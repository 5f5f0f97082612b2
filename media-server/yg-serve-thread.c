/* yg-serve-thread.c: YgServeThread, one more thread that serves HTTP.
 *
 * The thread owns a GMainContext, made its thread-default before the setup
 * function builds the thread's SoupServer and YgListener, so every source
 * libsoup and the listener create (connection I/O, timers, database
 * results) is dispatched on that thread. Start returns once setup has run
 * there (its error is the start's error). Stop stops the listener (its
 * connections are shut down) and the loop, and joins the thread; the
 * listener and server are released on their own thread.
 * Thread: start and stop from the main thread.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-serve-thread.h"

struct _YgServeThread
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  YgServeThreadSetup setup;
  gpointer data;
  YgListener *listener;
  GError *error;
  gboolean ready;
  GMutex lock;
  GCond cond;
};

static gpointer
thread_main (gpointer data)
{
  YgServeThread *self = data;
  YgListener *listener;
  GError *error = NULL;

  g_main_context_push_thread_default (self->context);
  listener = self->setup (self->data, &error);
  g_mutex_lock (&self->lock);
  self->listener = listener;
  self->error = error;
  self->ready = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
  if (listener != NULL)
    {
      g_main_loop_run (self->loop);
      yg_listener_stop (listener);
      /* let closed connections finish their callbacks before the server goes */
      while (g_main_context_iteration (self->context, FALSE))
        ;
      g_object_unref (listener);
      while (g_main_context_iteration (self->context, FALSE))
        ;
    }
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

/**
 * yg_serve_thread_start:
 *
 * Returns: (transfer full): the running thread, or NULL with @error set
 */
YgServeThread *
yg_serve_thread_start (const char *name, YgServeThreadSetup setup, gpointer data, GError **error)
{
  YgServeThread *self = g_new0 (YgServeThread, 1);

  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->setup = setup;
  self->data = data;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->thread = g_thread_try_new (name, thread_main, self, error);
  if (self->thread == NULL)
    {
      yg_serve_thread_stop (self);
      return NULL;
    }
  g_mutex_lock (&self->lock);
  while (!self->ready)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  if (self->listener == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->error));
      yg_serve_thread_stop (self);
      return NULL;
    }
  return self;
}

/* The thread's listener, to delegate connections to. */
YgListener *
yg_serve_thread_get_listener (YgServeThread *self)
{
  return self->listener;
}

static gboolean
quit (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
yg_serve_thread_stop (YgServeThread *self)
{
  if (self == NULL)
    return;
  if (self->thread != NULL)
    {
      g_main_context_invoke (self->context, quit, self->loop);
      g_thread_join (self->thread);
    }
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_clear_error (&self->error);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

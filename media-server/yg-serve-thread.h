/* yg-serve-thread.h: a thread running its own main context and HTTP server. */
#pragma once

#include "yg-listener.h"

G_BEGIN_DECLS

typedef struct _YgServeThread YgServeThread;

/* Runs on the new thread, its context the thread-default one: makes the
 * thread's server and returns its listener (transfer full), or NULL. */
typedef YgListener *(*YgServeThreadSetup) (gpointer data, GError **error);

YgServeThread *yg_serve_thread_start (const char *name, YgServeThreadSetup setup, gpointer data,
                                      GError **error);
YgListener *yg_serve_thread_get_listener (YgServeThread *self);
void yg_serve_thread_stop (YgServeThread *self);

G_END_DECLS

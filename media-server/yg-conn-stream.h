/* yg-conn-stream.h: accepted connections whose file bodies go out with sendfile(2). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define YG_TYPE_CONN_STREAM (yg_conn_stream_get_type ())
G_DECLARE_FINAL_TYPE (YgConnStream, yg_conn_stream, YG, CONN_STREAM, GIOStream)

GIOStream *yg_conn_stream_new (GSocketConnection *conn);
void yg_conn_stream_unread (YgConnStream *self, GBytes *bytes);
void yg_conn_stream_on_close (YgConnStream *self, GDestroyNotify func, gpointer data);
guint64 yg_conn_stream_sent_without_copy (void);
void yg_conn_stream_count_sent_without_copy (guint64 bytes);

G_END_DECLS

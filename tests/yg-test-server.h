/* yg-test-server.h: fixtures for tests that talk HTTP to a real server. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "yg-test-util.h"

#include "yg-config.h"
#include "yg-principal.h"
#include "yg-route.h"
#include "yg-server.h"

G_BEGIN_DECLS

typedef struct
{
  char *data_dir;       /* temporary, removed at the end */
  YgConfig *config;
  YgServer *server;     /* runs on its own thread and main context */
  guint16 port;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
} YgTestServer;


YgTestServer *yg_test_server_start (YgConfig *config, const YgRoute *routes, gsize n_routes);
void yg_test_server_stop (YgTestServer *ts);
char *yg_test_server_stop_keeping_data (YgTestServer *ts);
char *yg_test_server_token (YgTestServer *ts, const char *role);
#define YG_TEST_ACCOUNT_PASSWORD "correct horse battery"
void yg_test_server_account (YgTestServer *ts, const char *username, YgRole role);
char *yg_test_server_sign_in (YgTestServer *ts, const char *username);
gpointer yg_test_server_db_sync (YgTestServer *ts, gpointer (*func) (gpointer conn, gpointer data,
                                                                      GError **error),
                                 gpointer data);

char *yg_test_server_resident (YgTestServer *ts, const char *username, gint64 *user_id);
void yg_test_server_sql (YgTestServer *ts, const char *statements);
gint64 yg_test_server_number (YgTestServer *ts, const char *query);
gint64 yg_test_db_number (YgDb *db, const char *query);
guint yg_test_call (guint16 port, const char *from, const char *method, const char *path,
                    const char *who, const char *body, JsonNode **doc);

GSocketConnection *yg_test_connect (guint16 port);
char *yg_test_http (guint16 port, const char *raw_request, guint *status);
char *yg_test_read_response (GSocketConnection *conn, guint *status);

typedef struct
{
  guint status;
  char *head;   /* status line and headers */
  char *body;   /* NUL-terminated copy of the body */
  gsize body_len;
} YgTestResponse;

void yg_test_response_free (YgTestResponse *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YgTestResponse, yg_test_response_free)

YgTestResponse *yg_test_request (guint16     port,
                                 const char *from,
                                 const char *method,
                                 const char *path,
                                 const char *headers,
                                 const char *body);
char *yg_test_response_header (YgTestResponse *r, const char *name, guint nth);

/* The real `yunguan` binary as a subprocess (tests that need a process of
 * their own: strace, RSS and file descriptors, kill -9, a mounted data dir). */
typedef struct
{
  GSubprocess *proc;    /* the wrapper (e.g. strace) when there is one */
  char *log;            /* its standard error */
  guint16 port;
} YgTestServe;

char *yg_test_binary (void);
char *yg_test_cli_token (const char *data_dir, const char *role);
YgTestServe *yg_test_serve_spawn (const char *const *wrapper,
                                  const char *data_dir,
                                  const char *log_path,
                                  const char *const *extra_args);
GPid yg_test_serve_pid (YgTestServe *serve);
void yg_test_serve_stop (YgTestServe *serve);

/* Another party on loopback (a partner centre, WeChat's API): a plain libsoup
 * server with @handler, on a thread and main context of its own. */
typedef struct _YgTestFake YgTestFake;

YgTestFake *yg_test_fake_start (SoupServerCallback handler, gpointer data);
guint16 yg_test_fake_port (YgTestFake *fake);
void yg_test_fake_stop (YgTestFake *fake);

G_END_DECLS

/* yg-fast-path.c: YgFastPath, a delivery thread's own answers to the
 * requests that make up nearly all of a crowd's traffic.
 *
 * A delivery thread's listener gives each new connection here first
 * (yg_listener_set_taker). Connections wait in one epoll set per thread (a
 * single descriptor in the thread's main context, however many viewers are
 * connected). A request is answered here only when it is plainly one of:
 *   GET or HEAD /hls/<item>/… of a public item (visibility from the shared
 *     cache, read from the catalogue on a miss), or /hls/t/<token>/<item>/…
 *     with a valid token: a file that exists, as yg-media-names.c classifies
 *     it (not captions, not a master playlist with captions, not with
 *     --accel-redirect);
 *   GET or HEAD /api/v1/items/<id> without a query, of a public item: from
 *     the document cache, or read into it here on a miss (the same JSON for
 *     everyone).
 * The catalogue is asked at most once per request (the connection waits,
 * out of the epoll set); if the answer is not what the fast path serves,
 * the request goes on as below.
 * "Plainly" means a request head yg-fast-head.c reads as plain (strict
 * HTTP/1.1, no body, nothing libsoup must decide). Anything else,
 * including every error answer, goes to
 * libsoup with the bytes read so far put back (yg_listener_conn_to_soup),
 * and the connection stays with libsoup from then on: the answers (404,
 * 403, 416, 431, 400 …) and the rules for everything else are libsoup's
 * and the route handlers'.
 * Answers carry the same headers the libsoup path sends (Date, Server,
 * X-Request-Id, Vary: Origin and a partner's Access-Control-Allow-Origin,
 * ETag, Last-Modified, Accept-Ranges, Cache-Control, Content-Type,
 * Content-Range, Content-Length; Connection: close when asked), honour
 * If-None-Match (304), If-Range and one Range (206) like yg-http-file.c,
 * and are counted and logged like every request (yg_server_log_access).
 * Bodies up to YG_FILE_BODY_SMALL are read and sent with the head in one write;
 * larger files go out with sendfile(2) from the open descriptor. Pipelined
 * requests are answered in order. The listener's sweep enforces the head
 * deadline (also the keep-alive idle time) and the idle timeout of a
 * response the client stopped reading, by shutting the socket down; the
 * connection then ends here.
 * Thread: the delivery thread that made it.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-fast-path.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib-unix.h>

#include "yg-build-config.h"
#include "yg-conn-stream.h"
#include "yg-doc-cache.h"
#include "yg-fast-head.h"
#include "yg-file-body.h"
#include "yg-http-file.h"
#include "yg-media-names.h"
#include "yg-partners.h"
#include "yg-playback-keys.h"
#include "yg-route-media.h"
#include "yg-router.h"
#include "yg-routes.h"

#define EVENTS_PER_WAKE 256

struct _YgFastPath
{
  YgServer *server;
  YgListener *listener;
  int epoll;
  GSource *source;
  GHashTable *conns;   /* FastConn set */
  char *media_root;    /* DATA/media */
  gsize max_head;
  gboolean accel;      /* --accel-redirect: files go through libsoup */
  GPtrArray *params;   /* scratch for the router */
  GString *allow;
  gint64 date_second;  /* the Date header, formatted once a second */
  char date[YG_HTTP_DATE_MAX];
};

typedef struct
{
  YgFastPath *fp;      /* NULL once the fast path is gone */
  YgListenerConn *lc;
  int fd;
  guint32 interest;    /* epoll events registered; 0: not in the set */
  gboolean waiting;    /* for the catalogue (visibility, an item's document) */
  gboolean looked_up;  /* the catalogue answered for this request already */
  char item[24];       /* the item asked about */
  guint64 generation;  /* the document cache's, when the read started */
  gboolean dead;       /* closed while waiting: freed when the answer comes */
  gboolean peer_done;  /* the client sent EOF */
  gboolean head_clock; /* the head deadline runs (from the end of the last response) */
  guint8 *in;          /* request bytes not answered yet (max_head bytes) */
  gsize in_len;
  /* the response being written */
  gboolean writing;
  GString *out;        /* head, and a small body */
  gsize out_at;
  int file;            /* a large body's file, or -1 */
  off_t file_at, file_end;
  gboolean close_after;
  /* for the log */
  const char *route;
  const char *method;
  char *path;
  char id[YG_REQUEST_ID_SIZE];
  guint status;
  goffset bytes;
  gint64 start_us;
} FastConn;

typedef enum
{
  ANSWERED,
  TO_SOUP,
  WAITING,
} Answer;

static guint64 answered; /* for /metrics; atomic (delivery threads share it) */

static void process_input (FastConn *fc);

/* --- answering ---------------------------------------------------------------- */

static const char *
date_now (YgFastPath *fp)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (now != fp->date_second)
    {
      fp->date_second = now;
      yg_http_date (now, fp->date);
    }
  return fp->date;
}

/* Starts the response head: status line and the headers every answer has. */
static void
begin_head (FastConn *fc, const YgFastHead *h, guint status, const char *reason)
{
  YgFastPath *fp = fc->fp;

  g_string_truncate (fc->out, 0);
  fc->out_at = 0;
  g_string_append_printf (fc->out,
                          "HTTP/1.1 %u %s\r\nDate: %s\r\nServer: yunguan/" YG_VERSION
                          "\r\nX-Request-Id: %s\r\nVary: Origin\r\n",
                          status, reason, date_now (fp), fc->id);
  if (h->origin != NULL
      && yg_partners_for_origin (yg_server_get_partners (fp->server), h->origin) != 0)
    g_string_append_printf (fc->out, "Access-Control-Allow-Origin: %s\r\n", h->origin);
  fc->status = status;
}

static void
end_head (FastConn *fc, const YgFastHead *h)
{
  if (h->close)
    g_string_append (fc->out, "Connection: close\r\n");
  g_string_append (fc->out, "\r\n");
  fc->close_after = h->close;
}

static Answer
answer_media (FastConn *fc, const YgFastHead *h, const char *item, const char *rung, const char *name,
              gint64 token_expires_at)
{
  YgFastPath *fp = fc->fp;
  const char *type, *cache;
  g_autofree char *private_cache = NULL;
  g_autoptr (GBytes) body = NULL;
  char rel[96], etag[YG_HTTP_ETAG_MAX], last_modified[YG_HTTP_DATE_MAX];
  const char *range = h->range;
  guint64 start = 0, end = 0, length;
  YgMediaFile kind;
  YgRangeResult rr;
  GStatBuf st;
  int fd;

  if (fp->accel || (rung != NULL && g_str_equal (rung, "captions")))
    return TO_SOUP;
  kind = yg_media_names_classify (rung, name, &type, &cache);
  if (kind == YG_MEDIA_FILE_NONE)
    return TO_SOUP;
  if (kind == YG_MEDIA_FILE_MASTER)
    {
      char captions[PATH_MAX];
      g_snprintf (captions, sizeof captions, "%s/%s/captions", fp->media_root, item);
      if (access (captions, F_OK) == 0) /* a master with subtitle renditions is made there */
        return TO_SOUP;
    }
  if (g_snprintf (rel, sizeof rel, rung != NULL ? "%s/%s/%s" : "%s/%s%s", item,
                  rung != NULL ? rung : "", name) >= (int) sizeof rel)
    return TO_SOUP;
  fd = yg_http_file_open (fp->media_root, rel);
  if (fd < 0)
    return TO_SOUP;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)
      || (kind == YG_MEDIA_FILE_PLAYLIST && st.st_size > YG_FILE_BODY_SMALL))
    {
      close (fd);
      return TO_SOUP;
    }
  yg_http_file_validators (&st, etag, last_modified);

  /* a small file is read now: it goes out with the head */
  if (st.st_size <= YG_FILE_BODY_SMALL)
    {
      body = yg_file_body_read (fd, st.st_size, NULL); /* closes fd */
      fd = -1;
      if (body == NULL)
        return TO_SOUP;
      if (kind == YG_MEDIA_FILE_PLAYLIST)
        cache = yg_media_names_playlist_cache (g_bytes_get_data (body, NULL),
                                               g_bytes_get_size (body));
    }
  if (token_expires_at > 0)
    cache = private_cache
      = yg_media_names_token_cache (cache, token_expires_at, g_get_real_time () / G_USEC_PER_SEC);

  if (yg_http_etag_matches (h->if_none_match, etag))
    {
      begin_head (fc, h, 304, "Not Modified");
      g_string_append_printf (fc->out,
                              "ETag: %s\r\nLast-Modified: %s\r\nAccept-Ranges: bytes\r\n"
                              "Cache-Control: %s\r\n",
                              etag, last_modified, cache);
      end_head (fc, h);
      if (fd >= 0)
        close (fd);
      fc->bytes = 0;
      return ANSWERED;
    }
  if (!yg_http_if_range_holds (h->if_range, etag, last_modified))
    range = NULL;
  rr = yg_http_parse_range (range, st.st_size, &start, &end);
  if (rr == YG_RANGE_UNSATISFIABLE)
    {
      if (fd >= 0)
        close (fd);
      return TO_SOUP; /* the 416 and its error document are libsoup's */
    }
  if (rr != YG_RANGE_OK)
    {
      start = 0;
      end = st.st_size - 1;
    }
  length = st.st_size == 0 ? 0 : end - start + 1;

  if (rr == YG_RANGE_OK)
    begin_head (fc, h, 206, "Partial Content");
  else
    begin_head (fc, h, 200, "OK");
  g_string_append_printf (fc->out,
                          "ETag: %s\r\nLast-Modified: %s\r\nAccept-Ranges: bytes\r\n"
                          "Cache-Control: %s\r\nContent-Type: %s\r\n",
                          etag, last_modified, cache, type);
  if (rr == YG_RANGE_OK)
    g_string_append_printf (fc->out,
                            "Content-Range: bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                            "/%" G_GINT64_FORMAT "\r\n",
                            start, end, (gint64) st.st_size);
  g_string_append_printf (fc->out, "Content-Length: %" G_GUINT64_FORMAT "\r\n", length);
  end_head (fc, h);
  fc->bytes = length;
  if (h->is_head || length == 0)
    {
      if (fd >= 0)
        close (fd);
    }
  else if (body != NULL)
    g_string_append_len (fc->out, (const char *) g_bytes_get_data (body, NULL) + start, length);
  else
    {
      fc->file = fd;
      fc->file_at = start;
      fc->file_end = start + length;
    }
  return ANSWERED;
}

static void document_ready (GObject *source, GAsyncResult *res, gpointer data);

static Answer
answer_item (FastConn *fc, const YgFastHead *h, const char *id, gboolean has_query)
{
  YgDocCache *cache = yg_server_get_doc_cache (fc->fp->server);
  g_autoptr (GBytes) doc = NULL;
  gsize len;
  const char *text;

  if (has_query || strlen (id) >= sizeof fc->item)
    return TO_SOUP;
  doc = yg_doc_cache_get (cache, id);
  if (doc == NULL && fc->looked_up) /* not public, or changed again meanwhile */
    return TO_SOUP;
  if (doc == NULL)
    {
      fc->waiting = TRUE;
      fc->generation = yg_doc_cache_generation (cache);
      g_strlcpy (fc->item, id, sizeof fc->item);
      yg_route_items_load_async (fc->fp->server, id, document_ready, fc);
      return WAITING;
    }
  text = g_bytes_get_data (doc, &len);
  begin_head (fc, h, 200, "OK");
  g_string_append_printf (fc->out,
                          "Cache-Control: no-store\r\n"
                          "Content-Type: application/json; charset=utf-8\r\n"
                          "Content-Length: %zu\r\n",
                          len);
  end_head (fc, h);
  if (!h->is_head)
    g_string_append_len (fc->out, text, len);
  fc->bytes = len;
  return ANSWERED;
}

static void visibility_ready (GObject *source, GAsyncResult *res, gpointer data);

static Answer
answer (FastConn *fc, const YgFastHead *h)
{
  YgFastPath *fp = fc->fp;
  char *query = strchr (h->target, '?');
  g_autofree char *path
    = g_strndup (h->target, query != NULL ? (gsize) (query - h->target) : strlen (h->target));
  const YgRoute *route = NULL;
  YgVisibility visibility;
  GPtrArray *params = fp->params;
  const char *item, *rung, *name;
  gint64 expires = 0;
  guint n;

  g_ptr_array_set_size (params, 0);
  if (yg_router_match (yg_server_get_router (fp->server), h->is_head ? "HEAD" : "GET", path, &route,
                       params, fp->allow)
        != YG_ROUTER_MATCH
      || !route->any_thread)
    return TO_SOUP;
  fc->route = route->pattern;
  n = params->len;
  if (route->handler == yg_route_item_get)
    return answer_item (fc, h, params->pdata[0], query != NULL);
  if (route->auth == YG_AUTH_PLAYBACK_TOKEN)
    {
      /* /hls/t/{token}/{id}/[{rung}/]{name} */
      if (n < 3
          || !yg_playback_keys_verify (yg_server_get_playback_keys (fp->server), params->pdata[0],
                                       params->pdata[1], g_get_real_time () / G_USEC_PER_SEC,
                                       &expires))
        return TO_SOUP;
      item = params->pdata[1];
      rung = n == 4 ? params->pdata[2] : NULL;
    }
  else
    {
      item = params->pdata[0];
      rung = n == 3 ? params->pdata[1] : NULL;
    }
  name = params->pdata[n - 1];
  if (!yg_media_names_item_id_is_valid (item) /* "t" too: a signed URL without its token */
      || (rung != NULL && !yg_media_names_rung_is_valid (rung)))
    return TO_SOUP;
  if (route->auth != YG_AUTH_PLAYBACK_TOKEN)
    {
      if (!yg_media_visibility_cached (fp->server, item, &visibility))
        {
          if (fc->looked_up) /* expired again already: let libsoup decide */
            return TO_SOUP;
          fc->waiting = TRUE;
          g_strlcpy (fc->item, item, sizeof fc->item);
          yg_media_visibility_load (fp->server, item, visibility_ready, fc);
          return WAITING;
        }
      if (visibility != YG_VISIBILITY_PUBLIC)
        return TO_SOUP;
    }
  return answer_media (fc, h, item, rung, name, expires);
}

/* --- connections ----------------------------------------------------------------- */

static void
set_interest (FastConn *fc, guint32 events)
{
  struct epoll_event ev = { .events = events, .data.ptr = fc };
  int op = fc->interest == 0 ? EPOLL_CTL_ADD : events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;

  if (events == fc->interest)
    return;
  if (epoll_ctl (fc->fp->epoll, op, fc->fd, &ev) != 0)
    g_warning ("epoll_ctl: %s", g_strerror (errno));
  fc->interest = events;
}

static void
fast_conn_free (FastConn *fc)
{
  if (fc->out != NULL)
    g_string_free (fc->out, TRUE);
  if (fc->file >= 0)
    close (fc->file);
  g_free (fc->in);
  g_free (fc->path);
  g_free (fc);
}

/* Forgets @fc here; the listener closes the connection or gives it to
 * libsoup. */
static void
detach (FastConn *fc)
{
  set_interest (fc, 0);
  g_hash_table_remove (fc->fp->conns, fc);
  if (fc->waiting)
    {
      fc->dead = TRUE; /* freed when the catalogue answers */
      fc->fp = NULL;
    }
  else
    fast_conn_free (fc);
}

static void
end_conn (FastConn *fc)
{
  YgFastPath *fp = fc->fp;
  YgListenerConn *lc = fc->lc;

  detach (fc);
  yg_listener_conn_close (fp->listener, lc);
}

static void
to_soup (FastConn *fc)
{
  YgFastPath *fp = fc->fp;
  YgListenerConn *lc = fc->lc;
  g_autoptr (GBytes) unread = g_bytes_new (fc->in, fc->in_len);

  detach (fc);
  yg_listener_conn_to_soup (fp->listener, lc, unread);
}

typedef enum
{
  WRITE_DONE,
  WRITE_AGAIN,
  WRITE_FAILED,
} WriteResult;

static WriteResult
flush_out (FastConn *fc)
{
  while (fc->out_at < fc->out->len)
    {
      ssize_t n = send (fc->fd, fc->out->str + fc->out_at, fc->out->len - fc->out_at,
                        MSG_NOSIGNAL | (fc->file >= 0 ? MSG_MORE : 0));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? WRITE_AGAIN : WRITE_FAILED;
      fc->out_at += n;
    }
  while (fc->file >= 0 && fc->file_at < fc->file_end)
    {
      ssize_t n = sendfile (fc->fd, fc->file, &fc->file_at, fc->file_end - fc->file_at);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? WRITE_AGAIN : WRITE_FAILED;
      if (n == 0) /* the file was cut in place while being sent */
        return WRITE_FAILED;
      yg_conn_stream_count_sent_without_copy (n);
    }
  if (fc->file >= 0)
    {
      close (fc->file);
      fc->file = -1;
    }
  return WRITE_DONE;
}

/* The response is out: log it. Returns FALSE when the connection ended. */
static gboolean
finish_response (FastConn *fc)
{
  YgAccessEntry e = {
    .route = fc->route,
    .method = fc->method,
    .path = fc->path,
    .peer = yg_listener_conn_get_peer (fc->lc),
    .request_id = fc->id,
    .status = fc->status,
    .bytes = fc->bytes,
    .seconds = (g_get_monotonic_time () - fc->start_us) / 1e6,
  };

  fc->writing = FALSE;
  __atomic_add_fetch (&answered, 1, __ATOMIC_RELAXED);
  yg_server_log_access (fc->fp->server, &e);
  g_clear_pointer (&fc->path, g_free);
  if (fc->out->allocated_len > 4 * 1024) /* a poster's bytes are not kept per viewer */
    {
      g_string_free (fc->out, TRUE);
      fc->out = g_string_sized_new (512);
    }
  if (fc->close_after)
    {
      end_conn (fc);
      return FALSE;
    }
  return TRUE;
}

/* Writes what the socket takes of the response. Returns TRUE when the
 * response is out and the connection is still here for the next request. */
static gboolean
write_response (FastConn *fc)
{
  switch (flush_out (fc))
    {
    case WRITE_FAILED:
      end_conn (fc);
      return FALSE;
    case WRITE_AGAIN:
      set_interest (fc, EPOLLOUT);
      yg_listener_conn_wait (fc->fp->listener, fc->lc, YG_LISTENER_WAIT_WRITE);
      return FALSE;
    case WRITE_DONE:
    default:
      return finish_response (fc);
    }
}

/* Reads what the socket has. Returns FALSE on an error. */
static gboolean
read_in (FastConn *fc)
{
  gsize max = fc->fp->max_head;

  if (fc->in == NULL)
    fc->in = g_malloc (max);
  while (fc->in_len < max)
    {
      ssize_t n = recv (fc->fd, fc->in + fc->in_len, max - fc->in_len, 0);
      if (n > 0)
        fc->in_len += n;
      else if (n == 0)
        {
          fc->peer_done = TRUE;
          return TRUE;
        }
      else if (errno == EINTR)
        continue;
      else
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
  return TRUE;
}

static void
wait_for_request (FastConn *fc)
{
  if (fc->in_len == 0)
    g_clear_pointer (&fc->in, g_free); /* idle viewers hold no buffer */
  set_interest (fc, EPOLLIN | EPOLLRDHUP);
  if (!fc->head_clock) /* not restarted by each byte of a trickled head */
    {
      fc->head_clock = TRUE;
      yg_listener_conn_wait (fc->fp->listener, fc->lc, YG_LISTENER_WAIT_HEAD);
    }
}

/* Answers every complete request in the buffer, in order, until one is for
 * libsoup, the socket is full, or more bytes are needed. */
static void
process_input (FastConn *fc)
{
  for (;;)
    {
      YgFastHead h = { 0 };
      YgFastParse parsed;
      Answer a;

      if (fc->in_len == 0)
        {
          if (fc->peer_done)
            end_conn (fc);
          else
            wait_for_request (fc);
          return;
        }
      parsed = yg_fast_head_parse (fc->in, fc->in_len, fc->fp->max_head, &h);
      if (parsed == YG_FAST_INCOMPLETE)
        {
          yg_fast_head_clear (&h);
          if (fc->peer_done)
            end_conn (fc);
          else
            wait_for_request (fc);
          return;
        }
      if (parsed == YG_FAST_OTHER)
        {
          yg_fast_head_clear (&h);
          to_soup (fc);
          return;
        }
      fc->head_clock = FALSE;
      if (!fc->looked_up) /* else it started before the catalogue was asked */
        fc->start_us = g_get_monotonic_time ();
      fc->method = h.is_head ? "HEAD" : "GET";
      fc->route = "unmatched";
      yg_request_make_id (h.request_id, fc->id);
      a = answer (fc, &h);
      if (a != ANSWERED)
        {
          yg_fast_head_clear (&h);
          if (a == TO_SOUP)
            to_soup (fc);
          else /* WAITING: the catalogue's answer resumes it */
            {
              set_interest (fc, 0);
              yg_listener_conn_wait (fc->fp->listener, fc->lc, YG_LISTENER_WAIT_NONE);
            }
          return;
        }
      fc->looked_up = FALSE;
      fc->path = g_steal_pointer (&h.target);
      memmove (fc->in, fc->in + h.head_len, fc->in_len - h.head_len);
      fc->in_len -= h.head_len;
      yg_fast_head_clear (&h);
      fc->writing = TRUE;
      if (!write_response (fc))
        return;
    }
}

/* The catalogue answered: TRUE when @fc is still here. */
static gboolean
resume (FastConn *fc)
{
  fc->waiting = FALSE;
  fc->looked_up = TRUE;
  if (fc->dead)
    {
      fast_conn_free (fc);
      return FALSE;
    }
  return TRUE;
}

/* The document is cached now, unless the item is not public: the request
 * is read again and answered from the cache, or goes to libsoup. */
static void
document_ready (GObject *source, GAsyncResult *res, gpointer data)
{
  FastConn *fc = data;
  g_autoptr (GBytes) doc = NULL;

  if (!resume (fc))
    return; /* the unread result is freed with the task */
  doc = yg_route_items_public_doc (fc->fp->server, res, fc->generation);
  process_input (fc);
}

static void
visibility_ready (GObject *source, GAsyncResult *res, gpointer data)
{
  FastConn *fc = data;
  YgVisibility visibility;
  g_autoptr (GError) error = NULL;

  if (!resume (fc))
    return;
  /* cached now (or an error, which libsoup's path answers) */
  if (!yg_media_visibility_finish (fc->fp->server, fc->item, res, &visibility, &error))
    {
      to_soup (fc);
      return;
    }
  process_input (fc);
}

static void
on_event (FastConn *fc, guint32 events)
{
  if (fc->writing)
    {
      if (!write_response (fc))
        return;
    }
  else if (!read_in (fc) || (events & EPOLLERR) != 0)
    {
      end_conn (fc);
      return;
    }
  process_input (fc);
}

static gboolean
dispatch (gint fd, GIOCondition condition, gpointer data)
{
  YgFastPath *self = data;
  struct epoll_event events[EVENTS_PER_WAKE];
  int n = epoll_wait (self->epoll, events, EVENTS_PER_WAKE, 0);

  for (int i = 0; i < n; i++)
    on_event (events[i].data.ptr, events[i].events);
  return G_SOURCE_CONTINUE;
}

static void
take (gpointer data, YgListenerConn *lc)
{
  YgFastPath *self = data;
  FastConn *fc = g_new0 (FastConn, 1);

  fc->fp = self;
  fc->lc = lc;
  fc->fd = yg_listener_conn_get_fd (lc);
  fc->file = -1;
  fc->out = g_string_sized_new (512);
  fc->route = "unmatched";
  g_hash_table_add (self->conns, fc);
  /* a new connection usually has its request waiting already */
  on_event (fc, EPOLLIN);
}

/**
 * yg_fast_path_new:
 *
 * Takes @listener's new connections from now on; on its thread, with the
 * thread's context as the thread-default one.
 *
 * Returns: (transfer full): the fast path, or NULL
 */
YgFastPath *
yg_fast_path_new (YgServer *server, YgListener *listener, GError **error)
{
  const YgConfig *config = yg_server_get_config (server);
  YgFastPath *self;
  int epoll = epoll_create1 (EPOLL_CLOEXEC);

  if (epoll < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "epoll_create1: %s",
                   g_strerror (saved));
      return NULL;
    }
  self = g_new0 (YgFastPath, 1);
  self->server = server;
  self->listener = listener;
  self->epoll = epoll;
  self->conns = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->media_root = g_build_filename (config->data_dir, "media", NULL);
  self->max_head = config->max_header_bytes;
  self->accel = !g_str_equal (config->accel_redirect, "none");
  self->params = g_ptr_array_new_with_free_func (g_free);
  self->allow = g_string_new (NULL);
  self->source = g_unix_fd_source_new (epoll, G_IO_IN);
  /* dispatch never runs the context again; without this GLib takes the
   * descriptor out of the poll set for each dispatch and wakes the context
   * to put it back: a write, a poll and a read per wake-up */
  g_source_set_can_recurse (self->source, TRUE);
  g_source_set_callback (self->source, G_SOURCE_FUNC (dispatch), self, NULL);
  g_source_attach (self->source, g_main_context_get_thread_default ());
  yg_listener_set_taker (listener, take, self);
  return self;
}

/* Ends every connection still here. */
void
yg_fast_path_free (YgFastPath *self)
{
  GHashTableIter iter;
  FastConn *fc;

  if (self == NULL)
    return;
  yg_listener_set_taker (self->listener, NULL, NULL);
  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, (gpointer *) &fc, NULL))
    {
      YgListenerConn *lc = fc->lc;

      g_hash_table_iter_steal (&iter);
      set_interest (fc, 0);
      if (fc->waiting)
        {
          fc->dead = TRUE;
          fc->fp = NULL;
        }
      else
        fast_conn_free (fc);
      yg_listener_conn_close (self->listener, lc);
    }
  g_source_destroy (self->source);
  g_source_unref (self->source);
  close (self->epoll);
  g_hash_table_unref (self->conns);
  g_ptr_array_unref (self->params);
  g_string_free (self->allow, TRUE);
  g_free (self->media_root);
  g_free (self);
}

/* Requests answered by fast paths since start (for /metrics). */
guint64
yg_fast_path_answered (void)
{
  return __atomic_load_n (&answered, __ATOMIC_RELAXED);
}

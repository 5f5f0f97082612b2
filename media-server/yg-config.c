/* yg-config.c: one table of options, read from INI file, environment, flags.
 *
 * Each option has one key (the [server] INI key and the --flag name), one
 * environment variable and one help text, all in the `options` table, which
 * also generates `--help` and the README's option list (yg_config_describe).
 * Precedence, lowest first: built-in defaults, the INI file (--config,
 * $YUNGUAN_CONFIG, or DATA/yunguan.ini if present), the environment, flags.
 * Flags are collected during option parsing and applied last by
 * yg_config_finish, which also loads the file and the environment.
 * Thread: main thread, before the server starts.
 */
#define G_LOG_DOMAIN "yg-server"

#include "yg-config.h"

#include <stddef.h>
#include <string.h>

#include "yg-build-config.h"
#include "yg-http-error.h"

typedef enum
{
  OPT_STRING,
  OPT_UINT,
  OPT_SIZE,   /* into a guint */
  OPT_SIZE64, /* into a guint64 */
  OPT_BOOL,   /* yes/no into a gboolean */
} OptType;

typedef struct
{
  const char *key;
  const char *env;
  OptType type;
  gsize offset;
  const char *fallback;
  guint64 min, max;
  gboolean server_only;
  const char *arg;
  const char *help;
  const char *doc_default; /* shown instead of the fallback when that is machine-specific */
} Option;

#define FIELD(f) offsetof (YgConfig, f)

static const Option options[] = {
  { "data", "YUNGUAN_DATA", OPT_STRING, FIELD (data_dir), YG_DEFAULT_DATA_DIR, 0, 0, FALSE, "DIR",
    "Data directory (catalogue, uploads, originals, media)" },
  { "listen", "YUNGUAN_LISTEN", OPT_STRING, FIELD (listen), "127.0.0.1:8080", 0, 0, TRUE,
    "HOST:PORT", "Address to serve HTTP on (port 0 picks a free port)" },
  { "max-connections", "YUNGUAN_MAX_CONNECTIONS", OPT_UINT, FIELD (max_connections), "1024", 1,
    1000000, TRUE, "N", "Open client connections; more are answered 503 and closed" },
  { "header-timeout", "YUNGUAN_HEADER_TIMEOUT", OPT_UINT, FIELD (header_timeout), "20", 1, 3600,
    TRUE, "SECONDS",
    "Time a connection gets to send a complete request head (also the keep-alive idle time)" },
  { "idle-timeout", "YUNGUAN_IDLE_TIMEOUT", OPT_UINT, FIELD (idle_timeout), "60", 1, 86400, TRUE,
    "SECONDS", "Socket inactivity allowed while reading a body or writing a response" },
  { "max-header-bytes", "YUNGUAN_MAX_HEADER_BYTES", OPT_SIZE, FIELD (max_header_bytes), "16K",
    1024, 60 * 1024, TRUE, "BYTES", "Largest request head (request line and headers); else 431" },
  { "max-body-bytes", "YUNGUAN_MAX_BODY_BYTES", OPT_SIZE64, FIELD (max_body_bytes), "1M", 1024,
    G_GUINT64_CONSTANT (1) << 30, TRUE, "BYTES",
    "Largest API request body (uploads use tus and have their own limits); else 413" },
  { "access-log", "YUNGUAN_ACCESS_LOG", OPT_STRING, FIELD (access_log), "-", 0, 0, TRUE, "FILE",
    "Access log: - for standard error, off, or a file path" },
  { "web-dir", "YUNGUAN_WEB_DIR", OPT_STRING, FIELD (web_dir), YG_WEB_DIR, 0, 0, TRUE, "DIR",
    "Directory of the browser UI (index.html, static/, node_modules/hls.js)",
    "the source tree's web/" },
  { "upload-max-size", "YUNGUAN_UPLOAD_MAX_SIZE", OPT_SIZE64, FIELD (upload_max_size), "64G", 1,
    G_GUINT64_CONSTANT (1) << 42, TRUE, "BYTES", "Largest file one upload may carry (Tus-Max-Size)" },
  { "upload-quota", "YUNGUAN_UPLOAD_QUOTA", OPT_SIZE64, FIELD (upload_quota), "256G", 1,
    G_GUINT64_CONSTANT (1) << 44, TRUE, "BYTES",
    "Bytes of unfinished uploads one staff token may have open; more is refused with 413" },
  { "upload-expire-hours", "YUNGUAN_UPLOAD_EXPIRE_HOURS", OPT_UINT, FIELD (upload_expire_hours),
    "48", 1, 24 * 365, TRUE, "HOURS", "Unfinished uploads idle this long are deleted" },
  { "cors-origins", "YUNGUAN_CORS_ORIGINS", OPT_STRING, FIELD (cors_origins), "none", 0, 0, TRUE,
    "ORIGINS", "Space-separated origins (https://host) of staff consoles allowed to upload; none" },
  { "workers", "YUNGUAN_WORKERS", OPT_UINT, FIELD (workers), "auto", 0, 64, TRUE, "N|auto",
    "Local transcode workers to run (auto: half the CPU cores, at least 1; 0: none)" },
  { "delivery-threads", "YUNGUAN_DELIVERY_THREADS", OPT_UINT, FIELD (delivery_threads), "auto", 0,
    256, TRUE, "N|auto",
    "Threads that serve playlists and segments next to the main one (auto: one per CPU core when "
    "there are two or more; 0: the main thread serves everything)" },
  { "transcode-memory", "YUNGUAN_TRANSCODE_MEMORY", OPT_SIZE64, FIELD (transcode_memory), "8G",
    G_GUINT64_CONSTANT (256) << 20, G_GUINT64_CONSTANT (1) << 40, FALSE, "BYTES",
    "Address space of one transcode process; a job needing more fails with memory_limit" },
  { "behind-tls", "YUNGUAN_BEHIND_TLS", OPT_BOOL, FIELD (behind_tls), "no", 0, 1, TRUE, "yes|no",
    "yes: a TLS proxy on this host forwards all requests (Secure __Host- session cookie, client "
    "address from X-Forwarded-For); no: plain HTTP, cookie yg_session" },
  { "playback-token-hours", "YUNGUAN_PLAYBACK_TOKEN_HOURS", OPT_UINT, FIELD (playback_token_hours),
    "6", 1, 24 * 7, TRUE, "HOURS",
    "Lifetime of the signed /hls/t/… URLs handed out for items that are not public" },
  { "accel-redirect", "YUNGUAN_ACCEL_REDIRECT", OPT_STRING, FIELD (accel_redirect), "none", 0, 0,
    TRUE, "PREFIX",
    "URI prefix (/…/) of an nginx internal location aliasing DATA/media: media files are answered "
    "with X-Accel-Redirect and nginx sends them; none: Yunguan sends them" },
  { "request-threshold", "YUNGUAN_REQUEST_THRESHOLD", OPT_UINT, FIELD (request_threshold), "15",
    1, 1000000, TRUE, "N", "Supporters a resident request needs to reach threshold_reached" },
  { "request-webhook", "YUNGUAN_REQUEST_WEBHOOK", OPT_STRING, FIELD (request_webhook), "none", 0,
    0, TRUE, "URL",
    "http(s) URL that gets a JSON POST when a request reaches its threshold (retried); none" },
  { "heartbeat-rate", "YUNGUAN_HEARTBEAT_RATE", OPT_UINT, FIELD (heartbeat_rate), "50", 1,
    1000000, TRUE, "N",
    "Player event requests per second one client address may send (bursts of 10 s); else 429" },
  { "analytics-raw-days", "YUNGUAN_ANALYTICS_RAW_DAYS", OPT_UINT, FIELD (analytics_raw_days), "30",
    1, 3650, TRUE, "DAYS", "Raw player events kept this long, then folded into daily rows" },
  { "report-rules", "YUNGUAN_REPORT_RULES", OPT_STRING, FIELD (report_rules), "none", 0, 0, FALSE,
    "FILE", "INI file of report indicator weights, targets and pass line; none: the defaults" },
  { "public-url", "YUNGUAN_PUBLIC_URL", OPT_STRING, FIELD (public_url), "none", 0, 0, TRUE, "URL",
    "Public address (https://host[:port]) used in share cards and oEmbed; none: the request's Host" },
  { "centre-name", "YUNGUAN_CENTRE_NAME", OPT_STRING, FIELD (centre_name), "云馆", 0, 0, TRUE, "NAME",
    "This centre's name in its public feed (shown by the centres that subscribe to it)" },
  { "feed-refresh-minutes", "YUNGUAN_FEED_REFRESH_MINUTES", OPT_UINT, FIELD (feed_refresh_minutes),
    "15", 0, 24 * 60, TRUE, "MINUTES",
    "How often subscribed feeds of other centres are read (0: only when an admin asks)" },
  { "feed-max-bytes", "YUNGUAN_FEED_MAX_BYTES", OPT_SIZE64, FIELD (feed_max_bytes), "4M", 1024,
    G_GUINT64_CONSTANT (1) << 30, TRUE, "BYTES", "Largest feed page accepted from another centre" },
  { "feed-timeout", "YUNGUAN_FEED_TIMEOUT", OPT_UINT, FIELD (feed_timeout), "20", 1, 600, TRUE,
    "SECONDS", "Time one fetch of another centre's feed may take, redirects included" },
  { "wechat-app-id", "YUNGUAN_WECHAT_APP_ID", OPT_STRING, FIELD (wechat_app_id), "none", 0, 0, TRUE,
    "APPID", "WeChat official account AppID for JS-SDK share cards; none: pages share without it" },
  { "wechat-app-secret", "YUNGUAN_WECHAT_APP_SECRET", OPT_STRING, FIELD (wechat_app_secret), "none",
    0, 0, TRUE, "SECRET", "Its AppSecret (keep it in the INI file or the environment, not in flags)" },
  { "wechat-api-url", "YUNGUAN_WECHAT_API_URL", OPT_STRING, FIELD (wechat_api_url),
    "https://api.weixin.qq.com", 0, 0, TRUE, "URL", "Base URL of WeChat's API" },
};

/* "none", or a path prefix "/…/" of letters, digits, '_', '-' and '/'. */
static gboolean
valid_accel_prefix (const char *value)
{
  gsize n = strlen (value);

  if (g_str_equal (value, "none"))
    return TRUE;
  if (n < 2 || value[0] != '/' || value[n - 1] != '/' || strstr (value, "//") != NULL)
    return FALSE;
  for (const char *p = value; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '/')
      return FALSE;
  return TRUE;
}

/**
 * yg_config_is_host:
 *
 * Returns: whether @s is a host[:port] of host characters only (letters,
 *   digits, . - : [ ]), 1 to 255 of them: safe in a URL, a header and HTML
 */
gboolean
yg_config_is_host (const char *s)
{
  if (s == NULL || s[0] == '\0' || strlen (s) > 255)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr (".-:[]", *p) == NULL)
      return FALSE;
  return TRUE;
}

/* "none", or http(s)://host[:port] of host characters only, without a path. */
static gboolean
valid_public_url (const char *value)
{
  const char *host;

  if (g_str_equal (value, "none"))
    return TRUE;
  if (g_str_has_prefix (value, "https://"))
    host = value + 8;
  else if (g_str_has_prefix (value, "http://"))
    host = value + 7;
  else
    return FALSE;
  return yg_config_is_host (host);
}

static gpointer
field (YgConfig *config, const Option *o)
{
  return (char *) config + o->offset;
}

static const Option *
find_option (const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    if (g_str_equal (options[i].key, key))
      return &options[i];
  return NULL;
}

static gboolean
parse_size (const char *s, guint64 *out)
{
  char *end = NULL;
  guint64 v, mult = 1;

  if (s == NULL || !g_ascii_isdigit (s[0]))
    return FALSE;
  v = g_ascii_strtoull (s, &end, 10);
  if (end[0] != '\0')
    {
      switch (g_ascii_toupper (end[0]))
        {
        case 'K':
          mult = 1024;
          break;
        case 'M':
          mult = 1024 * 1024;
          break;
        case 'G':
          mult = 1024 * 1024 * 1024;
          break;
        case 'T':
          mult = G_GUINT64_CONSTANT (1) << 40;
          break;
        default:
          return FALSE;
        }
      if (end[1] != '\0' && !(g_ascii_toupper (end[1]) == 'B' && end[2] == '\0')
          && !(g_ascii_toupper (end[1]) == 'I' && g_ascii_toupper (end[2]) == 'B' && end[3] == '\0'))
        return FALSE;
    }
  if (v > G_MAXUINT64 / mult)
    return FALSE;
  *out = v * mult;
  return TRUE;
}

/**
 * yg_config_set:
 * @key: an option key, e.g. "max-connections"
 *
 * Parses and stores one value. Errors name the option and the valid range.
 */
gboolean
yg_config_set (YgConfig *config, const char *key, const char *value, GError **error)
{
  const Option *o = find_option (key);
  guint64 v = 0;

  if (o == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                   "Unknown configuration option \"%s\"", key);
      return FALSE;
    }
  if (o->type == OPT_STRING)
    {
      char **slot = field (config, o);
      if (value == NULL || value[0] == '\0')
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "Option \"%s\" needs a value", key);
          return FALSE;
        }
      if (g_str_equal (key, "public-url") && !valid_public_url (value))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "Option \"%s\": \"%s\" is not none or http(s)://host[:port] with nothing "
                       "after it", key, value);
          return FALSE;
        }
      if (g_str_equal (key, "accel-redirect") && !valid_accel_prefix (value))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "Option \"%s\": \"%s\" is not none or a path like /media-internal/ "
                       "(letters, digits, _ - and /, starting and ending with /)",
                       key, value);
          return FALSE;
        }
      g_free (*slot);
      *slot = g_strdup (value);
      return TRUE;
    }

  if (o->type == OPT_BOOL)
    {
      static const char *const yes[] = { "yes", "true", "on", "1" };
      static const char *const no[] = { "no", "false", "off", "0" };
      for (guint i = 0; value != NULL && i < G_N_ELEMENTS (yes); i++)
        if (g_ascii_strcasecmp (value, yes[i]) == 0 || g_ascii_strcasecmp (value, no[i]) == 0)
          {
            *(gboolean *) field (config, o) = g_ascii_strcasecmp (value, yes[i]) == 0;
            return TRUE;
          }
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "Option \"%s\": \"%s\" is not yes or no", key, value ? value : "");
      return FALSE;
    }
  if (o->type == OPT_UINT && g_strcmp0 (value, "auto") == 0
      && (g_str_equal (o->key, "workers") || g_str_equal (o->key, "delivery-threads")))
    {
      *(guint *) field (config, o) = YG_CONFIG_AUTO;
      return TRUE;
    }
  if (o->type == OPT_UINT)
    {
      if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT64, &v, NULL))
        v = G_MAXUINT64;
    }
  else if (!parse_size (value, &v))
    v = G_MAXUINT64;
  if (v < o->min || v > o->max)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "Option \"%s\": \"%s\" is not a number between %" G_GUINT64_FORMAT
                   " and %" G_GUINT64_FORMAT "%s",
                   key, value ? value : "", o->min, o->max,
                   o->type != OPT_UINT ? " (suffixes K, M, G, T allowed)" : "");
      return FALSE;
    }
  if (o->type == OPT_SIZE64)
    *(guint64 *) field (config, o) = v;
  else
    *(guint *) field (config, o) = (guint) v;
  return TRUE;
}

YgConfig *
yg_config_new (void)
{
  YgConfig *config = g_new0 (YgConfig, 1);

  config->flags = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    if (!yg_config_set (config, options[i].key, options[i].fallback, NULL))
      g_error ("bad built-in default for %s", options[i].key);
  return config;
}

/**
 * yg_config_copy:
 *
 * Returns: (transfer full): a deep copy (without collected flags)
 */
YgConfig *
yg_config_copy (const YgConfig *config)
{
  YgConfig *copy = g_new0 (YgConfig, 1);

  memcpy (copy, config, sizeof *copy);
  copy->flags = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  copy->config_file = g_strdup (config->config_file);
  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    if (options[i].type == OPT_STRING)
      {
        char **slot = field (copy, &options[i]);
        *slot = g_strdup (*slot);
      }
  return copy;
}

guint
yg_config_get_workers (const YgConfig *config)
{
  if (config->workers != YG_CONFIG_AUTO)
    return config->workers;
  return MAX (1u, g_get_num_processors () / 2);
}

guint
yg_config_get_delivery_threads (const YgConfig *config)
{
  guint cores = g_get_num_processors ();

  if (config->delivery_threads != YG_CONFIG_AUTO)
    return config->delivery_threads;
  return cores >= 2 ? cores : 0;
}

void
yg_config_free (YgConfig *config)
{
  if (config == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    if (options[i].type == OPT_STRING)
      g_free (*(char **) field (config, &options[i]));
  g_free (config->config_file);
  g_hash_table_unref (config->flags);
  g_free (config);
}

/**
 * yg_config_load_file:
 *
 * Reads the [server] group of an INI file. Unknown keys are errors, so a
 * misspelt option is reported instead of silently ignored.
 */
gboolean
yg_config_load_file (YgConfig *config, const char *path, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_auto (GStrv) keys = NULL;
  g_auto (GStrv) groups = NULL;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, error))
    {
      g_prefix_error (error, "Reading configuration file %s: ", path);
      return FALSE;
    }
  groups = g_key_file_get_groups (kf, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    if (!g_str_equal (groups[i], "server"))
      {
        g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                     "%s: unknown section [%s]; options go in [server]", path, groups[i]);
        return FALSE;
      }
  keys = g_key_file_get_keys (kf, "server", NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autofree char *value = g_key_file_get_string (kf, "server", keys[i], error);
      if (value == NULL || !yg_config_set (config, keys[i], value, error))
        {
          g_prefix_error (error, "%s: ", path);
          return FALSE;
        }
    }
  g_free (config->config_file);
  config->config_file = g_strdup (path);
  return TRUE;
}

gboolean
yg_config_load_env (YgConfig *config, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    {
      const char *value = g_getenv (options[i].env);
      if (value != NULL && !yg_config_set (config, options[i].key, value, error))
        {
          g_prefix_error (error, "Environment variable %s: ", options[i].env);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
collect_flag (const char *option_name, const char *value, gpointer data, GError **error)
{
  YgConfig *config = data;
  const char *key = option_name + 2; /* "--key" */
  const Option *o;

  /* Validate now so the error appears next to the flag, apply later. */
  if (g_str_equal (key, "config"))
    {
      g_hash_table_replace (config->flags, (gpointer) "config", g_strdup (value));
      return TRUE;
    }
  o = find_option (key);
  if (o == NULL)
    return FALSE; /* GOption only calls us for registered names */
  {
    g_autoptr (YgConfig) scratch = g_new0 (YgConfig, 1);
    scratch->flags = g_hash_table_new (NULL, NULL);
    if (!yg_config_set (scratch, key, value, error))
      return FALSE;
  }
  g_hash_table_replace (config->flags, (gpointer) o->key, g_strdup (value));
  return TRUE;
}

/**
 * yg_config_option_group:
 * @server_only: also offer the options that only `serve` uses
 *
 * Returns: (transfer full): a group whose flags are applied by yg_config_finish
 */
GOptionGroup *
yg_config_option_group (YgConfig *config, gboolean server_options)
{
  GOptionGroup *group = g_option_group_new ("config", "Configuration", "Show configuration options",
                                            config, NULL);
  GArray *entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));
  GOptionEntry config_entry = { "config", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer) collect_flag,
                                "INI file to read ([server] section; default DATA/yunguan.ini, "
                                "env YUNGUAN_CONFIG)",
                                "FILE" };

  g_array_append_val (entries, config_entry);
  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    {
      GOptionEntry e = { 0 };
      if (options[i].server_only && !server_options)
        continue;
      e.long_name = options[i].key;
      e.arg = G_OPTION_ARG_CALLBACK;
      e.arg_data = (gpointer) collect_flag;
      {
        g_autofree char *d = g_strdup_printf ("%s (env %s, default %s)", options[i].help,
                                              options[i].env,
                                              options[i].doc_default ? options[i].doc_default
                                                                     : options[i].fallback);
        e.description = g_intern_string (d); /* GOptionGroup keeps the pointer */
      }
      e.arg_description = options[i].arg;
      g_array_append_val (entries, e);
    }
  g_option_group_add_entries (group, (GOptionEntry *) (gpointer) entries->data);
  g_array_free (entries, TRUE); /* GOptionGroup copied the entries */
  return group;
}

/**
 * yg_config_finish:
 *
 * Applies the configuration file, the environment and then the collected
 * flags, in that order.
 */
gboolean
yg_config_finish (YgConfig *config, GError **error)
{
  const char *file = g_hash_table_lookup (config->flags, "config");
  g_autofree char *data_guess = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (file == NULL)
    file = g_getenv ("YUNGUAN_CONFIG");
  if (file == NULL)
    {
      /* Where is DATA? Flags beat the environment beat the default. */
      const char *data = g_hash_table_lookup (config->flags, "data");
      if (data == NULL)
        data = g_getenv ("YUNGUAN_DATA");
      if (data == NULL)
        data = config->data_dir;
      data_guess = g_build_filename (data, "yunguan.ini", NULL);
      if (g_file_test (data_guess, G_FILE_TEST_IS_REGULAR))
        file = data_guess;
    }
  if (file != NULL && !yg_config_load_file (config, file, error))
    return FALSE;
  if (!yg_config_load_env (config, error))
    return FALSE;
  g_hash_table_iter_init (&iter, config->flags);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_str_equal (key, "config") && !yg_config_set (config, key, value, error))
      return FALSE;
  return TRUE;
}

/**
 * yg_config_describe:
 * @markdown: a Markdown table (README) instead of plain text
 *
 * Returns: (transfer full): every option with its environment variable,
 *   default and meaning
 */
char *
yg_config_describe (gboolean markdown)
{
  GString *out = g_string_new (NULL);

  if (markdown)
    g_string_append (out, "| option / INI key | environment | default | meaning |\n"
                          "|---|---|---|---|\n");
  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    {
      const Option *o = &options[i];
      const char *def = o->doc_default != NULL ? o->doc_default : o->fallback;
      if (markdown)
        g_string_append_printf (out, "| `--%s` | `%s` | %s%s%s | %s |\n", o->key, o->env,
                                o->doc_default ? "" : "`", def, o->doc_default ? "" : "`", o->help);
      else
        g_string_append_printf (out, "  %-18s %-26s %-16s %s\n", o->key, o->env, def, o->help);
    }
  return g_string_free (out, FALSE);
}

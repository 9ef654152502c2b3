/* mod_ctx.h - the public API of mod_ctx for Apache httpd content modules.
 *
 * mod_ctx gives a module what Flask gives Python web code: the request the
 * calling thread serves, reachable from anywhere (ctx_current_request()); an
 * application context with configuration from httpd.conf (ctx_current_app(),
 * ctx_config()); a per-request table `g` for module-to-module data; teardown
 * callbacks; decoded query arguments; the request body (forms, files, JSON)
 * and cookies; a signed or encrypted cookie session;
 * background tasks that carry a copy of the request's context.
 *
 * Linking: none. mod_ctx exports one optional function, ctx_api_get, which
 * hands out a versioned table of functions; the static inline helpers below
 * fetch it on first use. A module that includes this header loads whether or
 * not mod_ctx is loaded, in any LoadModule order. Without mod_ctx every
 * helper returns NULL or APR_ENOTIMPL; call ctx_api_require() from your
 * post_config hook to log one clear error at startup.
 *
 * Lifetimes, in one place:
 * - a request context (ctx_t) lives as long as its request's pool;
 * - strings from `g`, ctx_arg(), ctx_config() live in the request's pool
 *   (for a subrequest: the main request's pool for `g`, the subrequest's for
 *   its arguments);
 * - an app (ctx_app_t) and its configuration live until httpd restarts
 *   (graceful or not); app resources until the child process exits.
 * Nothing returned here is to be freed by the caller.
 *
 * Threads: a context belongs to the thread serving its request. Functions
 * taking a `ctx_t *` or `request_rec *` accept NULL to mean "the calling
 * thread's current request"; with no current request they return NULL or
 * APR_EINVAL. The API is not for use on a request from another thread.
 */
#ifndef MOD_CTX_H
#define MOD_CTX_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_core.h"
#include "apr_optional.h"
#include "apr_tables.h"
#include "apr_strings.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the function table. Bumped when functions are appended; a
 * module built against version N works with any mod_ctx providing >= N. */
#define MOD_CTX_API_VERSION 5

/* mod_ctx's own status codes (besides APR's). */
#define CTX_STATUS_BASE (APR_OS_START_USERERR + 4300)
/* Sessions are off (CtxSession Off, or no key) where the call was made. */
#define CTX_EDISABLED   (CTX_STATUS_BASE + 1)
/* The response headers are gone: a session change can no longer be saved
 * (refused and logged). */
#define CTX_ETOOLATE    (CTX_STATUS_BASE + 2)
/* The session would not fit in a cookie of CtxSessionMaxSize bytes (the
 * change is refused; or, from ctx_session_save_status, the save failed and
 * the client keeps its previous cookie). */
#define CTX_ETOOLARGE   (CTX_STATUS_BASE + 3)
/* The background task queue is full (CtxTaskQueue): the task was not
 * accepted; do the work inline, answer 503, or drop it. */
#define CTX_EQUEUEFULL  (CTX_STATUS_BASE + 4)
/* The child is shutting down (or restarting): no new background task. */
#define CTX_ESHUTDOWN   (CTX_STATUS_BASE + 5)
/* An app resource's constructor asked for the resource it is building,
 * directly or through other resources' constructors (ctx_app_resource):
 * refused instead of waiting for ever. */
#define CTX_ECYCLE      (CTX_STATUS_BASE + 6)
/* The session store (CtxSessionStore socache:...) failed or is marked down:
 * the session could not be read (session calls) or written
 * (ctx_session_save_status); nothing was half-written and the client keeps
 * its cookie. Never an empty session: answer 503, or go on without it. */
#define CTX_ESTORE      (CTX_STATUS_BASE + 7)

/* Request body (ctx_body, ctx_form*, ctx_json_body); 20-29 are reserved for
 * it. ctx_body_http_status() turns each into the status to return. */
/* The body is larger than CtxMaxBodySize (by its Content-Length, before
 * anything is read, or while reading a chunked one), or a form has more
 * than 1000 fields/parts or a part's headers exceed 8 KiB: answer 413. */
#define CTX_EBODYTOOLARGE (CTX_STATUS_BASE + 20)
/* The body is malformed: invalid JSON (or an empty body) for
 * ctx_json_body, a multipart body that does not parse, a broken chunked
 * encoding or a client that stopped sending mid-body: answer 400. */
#define CTX_EBADBODY    (CTX_STATUS_BASE + 21)
/* ctx_json_body on a body that is not application/json (or
 * application/...+json): answer 415, as Flask's request.get_json(). */
#define CTX_EMEDIATYPE  (CTX_STATUS_BASE + 22)
/* httpd's own input filters refused the body and already sent the error
 * response (e.g. LimitRequestBody): return AP_FILTER_ERROR. */
#define CTX_EBODYREAD   (CTX_STATUS_BASE + 23)

/* The text of a status that the mod_ctx API returned, in the meaning
 * mod_ctx gives it: mod_ctx's own codes, APR_NOTFOUND ("key not found"),
 * APR_EINVAL, APR_ENOTIMPL ("mod_ctx is not loaded", what every helper
 * returns then); any other status falls back to apr_strerror(). Needs no
 * mod_ctx at run time (it is compiled into the caller). Writes at most
 * `len` bytes, NUL included, into `buf` and returns `buf`. */
static APR_INLINE char *ctx_strerror(apr_status_t status, char *buf,
                                     apr_size_t len)
{
    const char *text = NULL;

    switch (status) {
    case CTX_EDISABLED:
        text = "sessions are off here (CtxSession Off, or no "
               "CtxSecretKey)";
        break;
    case CTX_ETOOLATE:
        text = "too late to change the session (the response "
               "headers were sent, or it is a background task's read-only "
               "copy)";
        break;
    case CTX_ETOOLARGE:
        text = "the session would not fit in its cookie "
               "(CtxSessionMaxSize); it is unchanged";
        break;
    case CTX_EQUEUEFULL:
        text = "the background task queue is full (CtxTaskQueue)";
        break;
    case CTX_ESHUTDOWN:
        text = "the child process is shutting down: no new "
               "background task";
        break;
    case CTX_ECYCLE:
        text = "an app resource's constructor asked for the resource it "
               "is building";
        break;
    case CTX_ESTORE:
        text = "the session store is unavailable (CtxSessionStore): the "
               "session could not be read or saved";
        break;
    case CTX_EBODYTOOLARGE:
        text = "the request body is too large (CtxMaxBodySize, or too "
               "many form fields)";
        break;
    case CTX_EBADBODY:
        text = "the request body is malformed (bad JSON, multipart or "
               "chunked encoding, or cut short)";
        break;
    case CTX_EMEDIATYPE:
        text = "the request body is not JSON (its Content-Type)";
        break;
    case CTX_EBODYREAD:
        text = "httpd refused the request body and answered already";
        break;
    case APR_NOTFOUND:
        text = "key not found";
        break;
    case APR_EINVAL:
        text = "invalid argument (no current request, a NULL "
               "argument, bad JSON, or a value of another type)";
        break;
    case APR_ENOTIMPL:
        text = "mod_ctx is not loaded (or older than this module's "
               "MOD_CTX_API_VERSION)";
        break;
    default:
        break;
    }
    if (!text) {
        if (status > CTX_STATUS_BASE && status < CTX_STATUS_BASE + 100) {
            /* A code of a newer mod_ctx than this header. */
            apr_snprintf(buf, len, "mod_ctx status %d (unknown to this "
                         "version of mod_ctx.h)", status);
            return buf;
        }
        return apr_strerror(status, buf, len);
    }
    apr_cpystrn(buf, text, len);
    return buf;
}

/* A request context. Opaque. */
typedef struct ctx_t ctx_t;
/* An application (one per virtual host). Opaque. */
typedef struct ctx_app_t ctx_app_t;

/* Teardown callback: runs once when the request ends, newest registration
 * first, with the final HTTP status (that of the last internal redirect),
 * also after error responses and aborted connections. It runs while the
 * request's pool is being destroyed, possibly on another thread: use `c`
 * (ctx_request(c) is readable) and not ctx_current(). A non-success return is
 * logged; the other callbacks still run. */
typedef apr_status_t ctx_teardown_fn(ctx_t *c, int status, void *baton);

/* Destructor for a pointer stored in `g`. */
typedef void ctx_g_dtor_fn(void *ptr);

/* Visitor for ctx_g_do(): `sval` is set for strings, `pval` for pointers.
 * Return 0 to stop. */
typedef int ctx_g_visit_fn(void *baton, const char *key, const char *sval,
                           void *pval);

/* How a background task gets its own copy of a pointer in `g` (see
 * ctx_g_set_ptr_copyable): return a new object the task's `g` will own and
 * pass to the same destructor (allocate it in `p`, the task's pool, or
 * elsewhere), or NULL on failure. */
typedef void *ctx_g_copy_fn(const void *ptr, apr_pool_t *p);

/* A background task's work (see ctx_task_submit): `c` is the task's context,
 * also current on the task's thread. Return APR_SUCCESS, or an error that is
 * counted and logged with the request's method and URI. */
typedef apr_status_t ctx_task_fn(ctx_t *c, void *baton);

/* How a background task ended (see ctx_task_submit_ex). */
typedef enum {
    CTX_TASK_RAN = 0,           /* fn ran; status is what it returned */
    CTX_TASK_DROPPED            /* fn never ran: the child shut down and the
                                 * task had not started within
                                 * CtxTaskDrainTimeout; status is
                                 * CTX_ESHUTDOWN */
} ctx_task_outcome_t;

/* Completion callback of a background task (see ctx_task_submit_ex): runs
 * exactly once for every task that was accepted. `c` is the task's context
 * (not current: pass it explicitly, e.g. ctx_info(c, CTX_INFO_URI),
 * ctx_g_get(c, key)); `baton` is the submit's. It must not block for long
 * (for a dropped task it runs while the child shuts down). */
typedef void ctx_task_done_fn(ctx_t *c, ctx_task_outcome_t outcome,
                              apr_status_t status, void *baton);

/* What ctx_info() tells about a request (or the request a task copied). */
typedef enum {
    CTX_INFO_METHOD = 0,        /* "GET" */
    CTX_INFO_URI,               /* the decoded path, r->uri */
    CTX_INFO_UNPARSED_URI,      /* as sent, with the query: r->unparsed_uri */
    CTX_INFO_QUERY,             /* the raw query string, r->args */
    CTX_INFO_REMOTE_ADDR,       /* the client's address, r->useragent_ip */
    CTX_INFO_USER               /* the authenticated user, r->user */
} ctx_info_t;

/* Counters of this child's background task pool (ctx_task_stats). */
typedef struct {
    apr_uint64_t queued;        /* accepted, waiting for a thread (now) */
    apr_uint64_t running;       /* running now */
    apr_uint64_t done;          /* finished, failed ones included */
    apr_uint64_t failed;        /* among done: the function returned an error */
    apr_uint64_t rejected;      /* refused: queue full or shutting down */
    apr_uint64_t dropped;       /* accepted, then dropped by a drain timeout */
} ctx_task_stats_t;

/* Server-wide counters: every child of httpd summed, from when httpd
 * started (they survive graceful and plain restarts). See docs/status.md.
 * Filled by ctx_server_stats into the caller's struct: nothing to free. */
typedef struct {
    apr_uint64_t requests;          /* main requests */
    apr_uint64_t sessions_loaded;   /* sessions that came in and verified */
    apr_uint64_t sessions_new;      /* used with none: a new, empty one */
    apr_uint64_t sessions_saved;    /* new values sent or stored */
    apr_uint64_t sessions_deleted;  /* cookies or stored sessions deleted */
    apr_uint64_t cookies_refused;   /* session cookies refused, any reason */
    apr_uint64_t store_reads;       /* CtxSessionStore calls: get */
    apr_uint64_t store_writes;      /* set and remove */
    apr_uint64_t store_errors;      /* calls that failed */
    apr_uint64_t tasks_queued;      /* accepted, waiting (now) */
    apr_uint64_t tasks_running;     /* running (now) */
    apr_uint64_t tasks_done;        /* finished, failed ones included */
    apr_uint64_t tasks_failed;      /* among done: returned an error */
    apr_uint64_t tasks_rejected;    /* refused: queue full, shutting down */
    apr_uint64_t tasks_dropped;     /* accepted, dropped by a drain */
    apr_int64_t since;              /* Unix time the counters started */
} ctx_server_stats_t;

/* Visitor for ctx_session_do(): `key` and `json` (the value as compact JSON
 * text, as ctx_session_get_json gives it) are copies in the main request's
 * pool, so they stay valid after the call, and the visitor may change the
 * session (the walk is over a copy taken before the first call). Return 0
 * to stop. */
typedef int ctx_session_do_fn(void *baton, const char *key,
                              const char *json);
/* A file of a multipart/form-data body (Flask's request.files[name]).
 * Every pointer lives until the client request ends (its main request's
 * pool); `data` points into the body that ctx_body() gives and is `len`
 * bytes, not NUL-terminated. `filename` is what the client sent ("" when a
 * form was sent without choosing a file): never a path to trust. */
typedef struct {
    const char *name;           /* the form field's name */
    const char *filename;
    const char *content_type;   /* the part's Content-Type, or NULL */
    const char *data;
    apr_size_t len;
} ctx_form_file_t;

/* Per-process app resource constructor/destructor (see ctx_app_resource). */
typedef apr_status_t ctx_resource_ctor(void **res, ctx_app_t *app,
                                       apr_pool_t *p, void *baton);
typedef void ctx_resource_dtor(void *res, void *baton);

/* Login (version 5): turns the user id stored in the session into your
 * module's user object, or NULL for an unknown or disabled user. Called at
 * most once per client request (ctx_current_user), on the thread of the
 * request, with the client request's context `c` (the main request's, also
 * when a subrequest asked; a task's own context in a task); `id` lives
 * until the request ends. Whatever it returns must live at least as long
 * (a static object, something in ctx_request(c)->pool, an app resource). */
typedef void *ctx_user_loader_fn(ctx_t *c, const char *id, void *baton);

/* Flags of ctx_login_user(). */
#define CTX_LOGIN_REMEMBER  1   /* also set the remember cookie */
#define CTX_LOGIN_NOT_FRESH 2   /* log in as not fresh (Flask's fresh=False) */

/* The function table. Use the ctx_* helpers below rather than this. */
typedef struct ctx_api_t {
    int version;
    /* contexts */
    ctx_t *(*current)(void);
    request_rec *(*current_request)(void);
    ctx_t *(*of)(request_rec *r);
    request_rec *(*request)(const ctx_t *c);
    /* application */
    ctx_app_t *(*current_app)(void);
    ctx_app_t *(*app_of)(server_rec *s);
    const char *(*app_name)(const ctx_app_t *app);
    const char *(*app_config)(const ctx_app_t *app, const char *key);
    const char *(*config)(request_rec *r, const char *key);
    apr_status_t (*app_push)(ctx_app_t *app);
    apr_status_t (*app_pop)(ctx_app_t *app);
    apr_status_t (*app_resource)(ctx_app_t *app, const char *name,
                                 ctx_resource_ctor *ctor,
                                 ctx_resource_dtor *dtor, void *baton,
                                 void **res);
    /* g */
    apr_status_t (*g_set)(ctx_t *c, const char *key, const char *val);
    const char *(*g_get)(ctx_t *c, const char *key);
    apr_status_t (*g_set_ptr)(ctx_t *c, const char *key, void *ptr,
                              ctx_g_dtor_fn *dtor);
    void *(*g_get_ptr)(ctx_t *c, const char *key);
    int (*g_has)(ctx_t *c, const char *key);
    apr_status_t (*g_remove)(ctx_t *c, const char *key);
    apr_status_t (*g_pop)(ctx_t *c, const char *key, const char **val);
    apr_status_t (*g_pop_ptr)(ctx_t *c, const char *key, void **ptr);
    apr_status_t (*g_setdefault)(ctx_t *c, const char *key, const char *dflt,
                                 const char **val);
    int (*g_do)(ctx_t *c, ctx_g_visit_fn *fn, void *baton);
    /* teardown, arguments */
    apr_status_t (*on_teardown)(ctx_t *c, ctx_teardown_fn *fn, void *baton);
    const char *(*arg)(request_rec *r, const char *name);
    apr_array_header_t *(*arg_all)(request_rec *r, const char *name);
    /* version 2: sessions */
    apr_status_t (*session_get_string)(ctx_t *c, const char *key,
                                       const char **val);
    apr_status_t (*session_set_string)(ctx_t *c, const char *key,
                                       const char *val);
    apr_status_t (*session_get_int)(ctx_t *c, const char *key,
                                    apr_int64_t *val);
    apr_status_t (*session_set_int)(ctx_t *c, const char *key,
                                    apr_int64_t val);
    apr_status_t (*session_get_bool)(ctx_t *c, const char *key, int *val);
    apr_status_t (*session_set_bool)(ctx_t *c, const char *key, int val);
    apr_status_t (*session_get_json)(ctx_t *c, const char *key,
                                     const char **json);
    apr_status_t (*session_set_json)(ctx_t *c, const char *key,
                                     const char *json);
    int (*session_has)(ctx_t *c, const char *key);
    apr_status_t (*session_remove)(ctx_t *c, const char *key);
    apr_status_t (*session_clear)(ctx_t *c);
    apr_status_t (*session_keys)(ctx_t *c, apr_array_header_t **keys);
    apr_status_t (*session_set_permanent)(ctx_t *c, int on);
    int (*session_is_permanent)(ctx_t *c);
    apr_status_t (*session_regenerate)(ctx_t *c);
    apr_status_t (*session_invalidate)(ctx_t *c);
    apr_status_t (*session_to_json)(ctx_t *c, const char **json);
    apr_status_t (*session_save_status)(ctx_t *c);
    apr_array_header_t *(*arg_names)(request_rec *r);
    /* version 3: background tasks, and request data that tasks see too */
    apr_status_t (*g_set_ptr_copyable)(ctx_t *c, const char *key, void *ptr,
                                       ctx_g_dtor_fn *dtor,
                                       ctx_g_copy_fn *copy);
    const char *(*header)(ctx_t *c, const char *name);
    const char *(*info)(ctx_t *c, ctx_info_t what);
    int (*is_task)(const ctx_t *c);
    apr_status_t (*task_submit)(request_rec *r, ctx_task_fn *fn, void *baton,
                                const char *const *headers);
    void (*task_stats)(ctx_task_stats_t *st);
    /* version 4: background tasks with a completion callback */
    apr_status_t (*task_submit_ex)(request_rec *r, ctx_task_fn *fn,
                                   void *baton, const char *const *headers,
                                   ctx_task_done_fn *on_done);
    /* version 4: JSON values without jansson */
    apr_status_t (*session_get_double)(ctx_t *c, const char *key,
                                       double *val);
    apr_status_t (*session_set_double)(ctx_t *c, const char *key,
                                       double val);
    apr_status_t (*session_append_json)(ctx_t *c, const char *key,
                                        const char *json);
    apr_status_t (*session_set_field_json)(ctx_t *c, const char *key,
                                           const char *field,
                                           const char *json);
    apr_status_t (*session_do)(ctx_t *c, ctx_session_do_fn *fn, void *baton);
    /* version 4: request body and cookies */
    apr_status_t (*body)(request_rec *r, const char **data, apr_size_t *len);
    apr_status_t (*form)(request_rec *r, const char *name, const char **val);
    apr_status_t (*form_all)(request_rec *r, const char *name,
                             apr_array_header_t **vals);
    apr_status_t (*form_names)(request_rec *r, apr_array_header_t **names);
    apr_status_t (*form_file)(request_rec *r, const char *name,
                              const ctx_form_file_t **file);
    apr_status_t (*form_files)(request_rec *r, const char *name,
                               apr_array_header_t **files);
    apr_status_t (*json_body)(request_rec *r, const char **json);
    const char *(*cookie)(request_rec *r, const char *name);
    /* version 5: server-wide counters */
    apr_status_t (*server_stats)(const char *app, ctx_server_stats_t *st);
    /* version 5: login (Flask-Login) */
    apr_status_t (*user_loader)(ctx_app_t *app, ctx_user_loader_fn *fn,
                                void *baton);
    void *(*current_user)(ctx_t *c);
    const char *(*current_user_id)(ctx_t *c);
    apr_status_t (*login_user)(ctx_t *c, const char *id, int flags);
    apr_status_t (*logout_user)(ctx_t *c);
    int (*login_fresh)(ctx_t *c);
    apr_status_t (*confirm_login)(ctx_t *c);
    int (*login_next_is_safe)(const char *next);
} ctx_api_t;

/* The one exported optional function: the table if mod_ctx provides at
 * least `version`, else NULL. The table lives until httpd restarts. */
APR_DECLARE_OPTIONAL_FN(const ctx_api_t *, ctx_api_get, (int version));

#ifndef MOD_CTX_NO_INLINE_HELPERS

/* The function table, or NULL when mod_ctx is not loaded (or too old). A
 * successful lookup is cached per compilation unit. */
static APR_INLINE const ctx_api_t *ctx_api(void)
{
    static const ctx_api_t *api;

    if (!api) {
        APR_OPTIONAL_FN_TYPE(ctx_api_get) *get =
            APR_RETRIEVE_OPTIONAL_FN(ctx_api_get);

        api = get ? get(MOD_CTX_API_VERSION) : NULL;
    }
    return api;
}

/* Call from your module's post_config hook. Returns APR_SUCCESS when mod_ctx
 * is there; otherwise logs one error naming `module_name` (on the real
 * startup pass only, not the configuration test pass) and returns
 * APR_ENOTIMPL. Your module keeps running; its ctx_* calls fail softly.
 * The line carries your module's tag when the calling file has
 * APLOG_USE_MODULE(yours) (or AP_DECLARE_MODULE); without, none. */
static APR_INLINE apr_status_t ctx_api_require(server_rec *s,
                                               const char *module_name)
{
    if (ctx_api()) {
        return APR_SUCCESS;
    }
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        /* Compiled in the caller: APLOG_MARK carries the caller's module
         * index (its APLOG_USE_MODULE), so the line is tagged and its
         * LogLevel is the caller's, e.g. [hello:error]. */
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     "%s: mod_ctx is not loaded (or older than API version "
                     "%d): request contexts, g and app configuration are "
                     "unavailable; add 'LoadModule ctx_module "
                     "modules/mod_ctx.so' (Debian: a2enmod ctx)",
                     module_name, MOD_CTX_API_VERSION);
    }
    return APR_ENOTIMPL;
}

/* ---- request contexts ------------------------------------------------- */

/* The context of the request the calling thread is serving now (the
 * innermost subrequest while one runs), or NULL on a thread that serves no
 * request. Lives as long as that request's pool. */
static APR_INLINE ctx_t *ctx_current(void)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->current() : NULL;
}

/* The request_rec the calling thread is serving now, or NULL. Never a
 * request of another connection, never one whose pool is destroyed. Owned by
 * httpd; valid while the caller runs on behalf of that request. Current in
 * every request hook from post_read_request to the handler, in the
 * request's filters, and in log_transaction hooks ordered from
 * APR_HOOK_FIRST to APR_HOOK_LAST (whatever thread runs them); not in
 * teardown callbacks or pool cleanups. */
static APR_INLINE request_rec *ctx_current_request(void)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->current_request() : NULL;
}

/* The context of `r` (NULL: current). Lives as long as r->pool. */
static APR_INLINE ctx_t *ctx_of(request_rec *r)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->of(r) : NULL;
}

/* The request of a context (NULL for NULL, and for a background task's
 * context: a task has no live request). */
static APR_INLINE request_rec *ctx_request(const ctx_t *c)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->request(c) : NULL;
}

/* ---- application context ---------------------------------------------- */

/* The app of the current request's virtual host; without a request, the app
 * the calling thread entered last with ctx_app_push(); else NULL. */
static APR_INLINE ctx_app_t *ctx_current_app(void)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->current_app() : NULL;
}

/* The app of a virtual host (s == NULL: none). Available after post_config,
 * e.g. in child_init. */
static APR_INLINE ctx_app_t *ctx_app_of(server_rec *s)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->app_of(s) : NULL;
}

/* CtxAppName, or the vhost's ServerName. Lives as long as the app. */
static APR_INLINE const char *ctx_app_name(const ctx_app_t *app)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->app_name(app) : NULL;
}

/* A CtxConfig value at virtual-host level (NULL app: current), or NULL.
 * Lives as long as the app. */
static APR_INLINE const char *ctx_app_config(const ctx_app_t *app,
                                             const char *key)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->app_config(app, key) : NULL;
}

/* A CtxConfig value as seen by request `r` (NULL: current): directory
 * configuration first, then the virtual host's, then the main server's.
 * Without any request: the current app's value. Lives until restart. */
static APR_INLINE const char *ctx_config(request_rec *r, const char *key)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->config(r, key) : NULL;
}

/* Enter `app` on the calling thread (a thread of your own, e.g. started in
 * child_init). Pair every push with a pop. APR_ENOSPC past 8 levels. */
static APR_INLINE apr_status_t ctx_app_push(ctx_app_t *app)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->app_push(app) : APR_ENOTIMPL;
}

/* Leave `app` (must be the one entered last; NULL: whichever it is).
 * APR_EINVAL if another app is on top, APR_EOF if none is. */
static APR_INLINE apr_status_t ctx_app_pop(ctx_app_t *app)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->app_pop(app) : APR_ENOTIMPL;
}

/* Get a named per-process resource of `app` (NULL: current), e.g. a
 * connection pool, creating it once per child process with `ctor`. No lock
 * is held while `ctor` runs: it may be slow (a database connect) without
 * stalling lookups of other resources, and it may itself ask for other
 * resources (a pool's constructor reading a "config" resource). Callers
 * that want a resource being built wait for it and get the same object, or
 * the same error if that construction fails; the next call after a failure
 * tries again. `ctor`'s pool `p` is the resource's own and lives until the
 * resource is destroyed. `dtor` runs when the child exits, in reverse order
 * of completion (a resource is destroyed before those its constructor
 * used). *res is owned by the app and valid until then. Errors: APR_EINVAL,
 * APR_EINIT (called before the child started), the constructor's own
 * status, or CTX_ECYCLE: a constructor asked for the resource it is
 * building (directly, or through another resource's constructor on this or
 * another thread). */
static APR_INLINE apr_status_t ctx_app_resource(ctx_app_t *app,
                                                const char *name,
                                                ctx_resource_ctor *ctor,
                                                ctx_resource_dtor *dtor,
                                                void *baton, void **res)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->app_resource(app, name, ctor, dtor, baton, res)
             : APR_ENOTIMPL;
}

/* ---- g: per-request data for module-to-module use ----------------------
 * One table per client request: a subrequest and an internal redirect see
 * and change the main request's `g`. Keys are case-sensitive. */

/* Store a copy of `val` (lives until the request ends). */
static APR_INLINE apr_status_t ctx_g_set(ctx_t *c, const char *key,
                                         const char *val)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->g_set(c, key, val) : APR_ENOTIMPL;
}

/* The string under key, or NULL (absent, or a pointer entry). Owned by `g`. */
static APR_INLINE const char *ctx_g_get(ctx_t *c, const char *key)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->g_get(c, key) : NULL;
}

/* Store a pointer; `g` owns it from now on and runs `dtor` (may be NULL)
 * when it is replaced, removed, or when the request ends. */
static APR_INLINE apr_status_t ctx_g_set_ptr(ctx_t *c, const char *key,
                                             void *ptr, ctx_g_dtor_fn *dtor)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->g_set_ptr(c, key, ptr, dtor) : APR_ENOTIMPL;
}

/* The pointer under key, or NULL. Still owned by `g`. */
static APR_INLINE void *ctx_g_get_ptr(ctx_t *c, const char *key)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->g_get_ptr(c, key) : NULL;
}

/* 1 if key is set (string or pointer), else 0. */
static APR_INLINE int ctx_g_has(ctx_t *c, const char *key)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->g_has(c, key) : 0;
}

/* Remove key (running a pointer's destructor). APR_NOTFOUND if absent. */
static APR_INLINE apr_status_t ctx_g_remove(ctx_t *c, const char *key)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->g_remove(c, key) : APR_ENOTIMPL;
}

/* Remove a string and return it in *val (lives until the request ends).
 * APR_NOTFOUND if absent, APR_EINVAL if the entry is a pointer. */
static APR_INLINE apr_status_t ctx_g_pop(ctx_t *c, const char *key,
                                         const char **val)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->g_pop(c, key, val) : APR_ENOTIMPL;
}

/* Remove a pointer without destroying it: the caller owns *ptr now. */
static APR_INLINE apr_status_t ctx_g_pop_ptr(ctx_t *c, const char *key,
                                             void **ptr)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->g_pop_ptr(c, key, ptr) : APR_ENOTIMPL;
}

/* dict.setdefault: *val = existing string, or a stored copy of `dflt`. */
static APR_INLINE apr_status_t ctx_g_setdefault(ctx_t *c, const char *key,
                                                const char *dflt,
                                                const char **val)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->g_setdefault(c, key, dflt, val) : APR_ENOTIMPL;
}

/* Visit every entry in insertion order; returns 0 if the visitor stopped,
 * 1 otherwise, -1 without a context. The visitor must not change `g`. */
static APR_INLINE int ctx_g_do(ctx_t *c, ctx_g_visit_fn *fn, void *baton)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->g_do(c, fn, baton) : -1;
}

/* ---- teardown ----------------------------------------------------------- */

/* Register a callback for the end of the client request (a subrequest's
 * registration runs when its main request ends). APR_EINVAL without a
 * context or callback, APR_EINCOMPLETE if teardown already ran. */
static APR_INLINE apr_status_t ctx_on_teardown(ctx_t *c, ctx_teardown_fn *fn,
                                               void *baton)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->on_teardown(c, fn, baton) : APR_ENOTIMPL;
}

/* ---- query arguments ---------------------------------------------------- */

/* First decoded value of query argument `name` of `r` (NULL: current), or
 * NULL. `%XX` and `+` are decoded; keys are case-sensitive. Lives in
 * r->pool. */
static APR_INLINE const char *ctx_arg(request_rec *r, const char *name)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->arg(r, name) : NULL;
}

/* Every value of `name` in order, as an array of const char * allocated in
 * r->pool (empty if none), or NULL without a request. */
static APR_INLINE apr_array_header_t *ctx_arg_all(request_rec *r,
                                                  const char *name)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->arg_all(r, name) : NULL;
}

/* The distinct argument names of `r` (NULL: current) in order of first
 * appearance, as a new array of const char * in r->pool, or NULL without a
 * request. */
static APR_INLINE apr_array_header_t *ctx_arg_names(request_rec *r)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->arg_names(r) : NULL;
}

/* ---- session -------------------------------------------------------------
 * The cookie session of the client request (Flask's `session`), shared by
 * its subrequests and internal redirects. Loaded from the Cookie header on
 * first use; saved into Set-Cookie just before the response headers leave,
 * only if changed (or permanent with CtxSessionRefresh On). Values are JSON
 * values, so Flask and C see the same data. Strings returned live in the
 * main request's pool. Common errors: APR_EINVAL (no request, NULL
 * argument, bad JSON), CTX_EDISABLED, CTX_ETOOLATE (after the headers were
 * sent: refused and logged), CTX_ETOOLARGE (refused, unchanged),
 * APR_NOTFOUND (no such key), APR_ENOTIMPL (mod_ctx not loaded). A getter
 * whose value has another JSON type returns APR_EINVAL. */

#define CTX__SESSION_CALL(fn, ...) \
    const ctx_api_t *a = ctx_api(); \
    return a ? a->fn(__VA_ARGS__) : APR_ENOTIMPL

static APR_INLINE apr_status_t ctx_session_get_string(ctx_t *c,
                                                      const char *key,
                                                      const char **val)
{ CTX__SESSION_CALL(session_get_string, c, key, val); }
static APR_INLINE apr_status_t ctx_session_set_string(ctx_t *c,
                                                      const char *key,
                                                      const char *val)
{ CTX__SESSION_CALL(session_set_string, c, key, val); }
static APR_INLINE apr_status_t ctx_session_get_int(ctx_t *c, const char *key,
                                                   apr_int64_t *val)
{ CTX__SESSION_CALL(session_get_int, c, key, val); }
static APR_INLINE apr_status_t ctx_session_set_int(ctx_t *c, const char *key,
                                                   apr_int64_t val)
{ CTX__SESSION_CALL(session_set_int, c, key, val); }
static APR_INLINE apr_status_t ctx_session_get_bool(ctx_t *c, const char *key,
                                                    int *val)
{ CTX__SESSION_CALL(session_get_bool, c, key, val); }
static APR_INLINE apr_status_t ctx_session_set_bool(ctx_t *c, const char *key,
                                                    int val)
{ CTX__SESSION_CALL(session_set_bool, c, key, val); }
/* *json: the value as compact JSON text (Flask's tagged values included). */
static APR_INLINE apr_status_t ctx_session_get_json(ctx_t *c, const char *key,
                                                    const char **json)
{ CTX__SESSION_CALL(session_get_json, c, key, json); }
/* `json` must be one valid JSON value (APR_EINVAL otherwise). */
static APR_INLINE apr_status_t ctx_session_set_json(ctx_t *c, const char *key,
                                                    const char *json)
{ CTX__SESSION_CALL(session_set_json, c, key, json); }
static APR_INLINE apr_status_t ctx_session_remove(ctx_t *c, const char *key)
{ CTX__SESSION_CALL(session_remove, c, key); }
/* Remove every key: the cookie is deleted when saved. */
static APR_INLINE apr_status_t ctx_session_clear(ctx_t *c)
{ CTX__SESSION_CALL(session_clear, c); }
/* *keys: a new array of const char * (copies) in the request's pool. Flask's
 * reserved keys are ordinary keys here and are listed too: "_permanent"
 * (see ctx_session_set_permanent), and Flask-Login's "_user_id", "_fresh",
 * "_id", "_remember" when a login shares the session. */
static APR_INLINE apr_status_t ctx_session_keys(ctx_t *c,
                                                apr_array_header_t **keys)
{ CTX__SESSION_CALL(session_keys, c, keys); }
/* Flask's session.permanent: an Expires/Max-Age cookie. */
static APR_INLINE apr_status_t ctx_session_set_permanent(ctx_t *c, int on)
{ CTX__SESSION_CALL(session_set_permanent, c, on); }
/* Keep the data, issue a new cookie (new time and MAC/nonce); use it after
 * a login. It starts a new CtxSessionMaxLifetime: call it at a login or
 * privilege change, not on every request. The old cookie value stays valid
 * until it expires (there is no server-side state to revoke it). */
static APR_INLINE apr_status_t ctx_session_regenerate(ctx_t *c)
{ CTX__SESSION_CALL(session_regenerate, c); }
/* Drop all data and delete the cookie (logout). */
static APR_INLINE apr_status_t ctx_session_invalidate(ctx_t *c)
{ CTX__SESSION_CALL(session_invalidate, c); }
/* *json: the whole session as a JSON object text. */
static APR_INLINE apr_status_t ctx_session_to_json(ctx_t *c,
                                                   const char **json)
{ CTX__SESSION_CALL(session_to_json, c, json); }
/* The result of saving the session (APR_SUCCESS before the save, or
 * CTX_ETOOLARGE / an encoding error after a failed one). */
static APR_INLINE apr_status_t ctx_session_save_status(ctx_t *c)
{ CTX__SESSION_CALL(session_save_status, c); }
/* 1 if key is in the session, 0 if not or without a session. */
static APR_INLINE int ctx_session_has(ctx_t *c, const char *key)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->session_has(c, key) : 0;
}
/* 1 if the session is permanent, 0 if not or without a session. */
static APR_INLINE int ctx_session_is_permanent(ctx_t *c)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->session_is_permanent(c) : 0;
}
/* *val: a JSON number (an integer is converted: JSON has one number
 * type). APR_EINVAL for another type. */
static APR_INLINE apr_status_t ctx_session_get_double(ctx_t *c,
                                                      const char *key,
                                                      double *val)
{ CTX__SESSION_CALL(session_get_double, c, key, val); }
/* Stored as a JSON number with Python's repr (1.0, 2.5, 1e+20), so Flask
 * reads a float. NaN and infinities: APR_EINVAL (JSON has none). */
static APR_INLINE apr_status_t ctx_session_set_double(ctx_t *c,
                                                      const char *key,
                                                      double val)
{ CTX__SESSION_CALL(session_set_double, c, key, val); }
/* Append one JSON value (`json`, any type) to the list under key, like
 * Python's session[key].append(v); an absent key becomes [v]. APR_EINVAL
 * for bad JSON or when key holds something else than a list; the size
 * check applies (CTX_ETOOLARGE: unchanged). */
static APR_INLINE apr_status_t ctx_session_append_json(ctx_t *c,
                                                       const char *key,
                                                       const char *json)
{ CTX__SESSION_CALL(session_append_json, c, key, json); }
/* Set one field of the object under key to a JSON value, like
 * session[key][field] = v; an absent key becomes {field: v}. APR_EINVAL
 * for bad JSON, a field that is not UTF-8, or when key holds something
 * else than an object; the size check applies (CTX_ETOOLARGE: unchanged). */
static APR_INLINE apr_status_t ctx_session_set_field_json(ctx_t *c,
                                                          const char *key,
                                                          const char *field,
                                                          const char *json)
{ CTX__SESSION_CALL(session_set_field_json, c, key, field, json); }
/* Call fn for every key with its value as JSON text (see ctx_session_do_fn:
 * copies, in the main request's pool), in insertion order, reserved keys
 * such as "_permanent" included. APR_SUCCESS when every key was visited,
 * APR_EINCOMPLETE when fn stopped the walk, APR_EINVAL without fn. */
static APR_INLINE apr_status_t ctx_session_do(ctx_t *c, ctx_session_do_fn *fn,
                                              void *baton)
{ CTX__SESSION_CALL(session_do, c, fn, baton); }

/* ---- request data that background tasks see too ------------------------- */

/* Like ctx_g_set_ptr(), and a background task started from this request
 * gets its own object through `copy` (without one, a task's `g` has no
 * such entry: tasks never share a pointer with the request). */
static APR_INLINE apr_status_t ctx_g_set_ptr_copyable(ctx_t *c,
                                                      const char *key,
                                                      void *ptr,
                                                      ctx_g_dtor_fn *dtor,
                                                      ctx_g_copy_fn *copy)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->g_set_ptr_copyable(c, key, ptr, dtor, copy) : APR_ENOTIMPL;
}

/* A request header of c's request (NULL: current), or in a task, of the
 * headers it copied. NULL if absent. Lives as long as c. */
static APR_INLINE const char *ctx_header(ctx_t *c, const char *name)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->header(c, name) : NULL;
}

/* Method, URI, query, client address or user of c's request (NULL:
 * current), or in a task, of the request it copied. NULL if unknown (no
 * query, no user, a task submitted outside a request). Lives as long as c. */
static APR_INLINE const char *ctx_info(ctx_t *c, ctx_info_t what)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->info(c, what) : NULL;
}

/* 1 if c (NULL: current) is a background task's context. */
static APR_INLINE int ctx_is_task(const ctx_t *c)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->is_task(c) : 0;
}

/* ---- background tasks (Flask's copy_current_request_context + a thread) --
 * ctx_task_submit() copies r's context (NULL: the current request; with no
 * request, the app the calling thread pushed) into a task with its own pool
 * and queues it on this child's task pool (CtxTaskThreads, CtxTaskQueue). It
 * returns at once. Later, on a pool thread, fn(c, baton) runs with c current:
 * ctx_current(), ctx_current_app(), ctx_config(NULL,…), ctx_arg(NULL,…),
 * ctx_header(), ctx_info(), `g` and session reads work there and see the
 * copy. There is no live request in a task: ctx_current_request() and
 * ctx_request(c) are NULL; session setters return CTX_ETOOLATE (the
 * session is a read-only snapshot), except for a server-side session
 * (CtxSessionStore socache:...) whose entry existed at the submit: there
 * they work, and the changes are merged into the stored entry after fn
 * returns (no cookie is sent: if the entry is gone by then, or the task
 * regenerated the session, they are dropped). What is copied: method, URIs, query
 * arguments, the request headers named in `headers` (NULL-terminated list,
 * or NULL for none), client address, user, the app and CtxConfig of the
 * request's location, the string entries of `g` (pointers only through
 * ctx_g_set_ptr_copyable), the session's data. `baton` is passed as is:
 * keep it alive until fn runs (or put what fn needs in `g`).
 * Teardown callbacks registered in the task (by fn) run once on its thread
 * after fn returns (and after the session save above), with fn's return
 * value as `status`, or the save's failure if fn returned APR_SUCCESS
 * (CTX_ESTORE, CTX_ETOOLARGE, APR_NOTFOUND for changes dropped). A task that is
 * dropped never runs fn, so nothing registered there runs: to learn of a
 * drop, or to free `baton` in every case, use ctx_task_submit_ex().
 * Returns APR_SUCCESS (accepted: it will run once,
 * or be dropped and logged at shutdown after CtxTaskDrainTimeout),
 * CTX_EQUEUEFULL, CTX_ESHUTDOWN, APR_EINVAL (no fn, no request and no app),
 * APR_ENOTIMPL (mod_ctx not loaded, or called from inside a task with
 * r == NULL: a task has no request to copy). Never blocks.
 * Start latency: under a steady stream of tasks (one per ms or more) the
 * pool's threads poll every 4 ms instead of being woken per task, so a task
 * may wait up to 4 ms (plus scheduling) for a free thread; at a lower rate
 * a free thread is woken at once. */
static APR_INLINE apr_status_t ctx_task_submit(request_rec *r, ctx_task_fn *fn,
                                               void *baton,
                                               const char *const *headers)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->task_submit(r, fn, baton, headers) : APR_ENOTIMPL;
}

/* ctx_task_submit() with a completion callback. When (and only when) it
 * returns APR_SUCCESS, on_done(c, outcome, status, baton) is called exactly
 * once, unless the process dies first (killed, crashed) (on_done NULL:
 * none, as ctx_task_submit):
 * - CTX_TASK_RAN, fn's return value (or the session save's failure, as
 *   for teardown callbacks): on the task's thread after fn and
 *   after the teardown callbacks fn registered;
 * - CTX_TASK_DROPPED, CTX_ESHUTDOWN: the child stopped (stop, graceful
 *   restart, MaxConnectionsPerChild) before the task started and
 *   CtxTaskDrainTimeout ran out; on the thread that shuts the child down.
 * In both cases `c` (the task's context, with its `g` and copied request
 * data) is readable during the call and gone after it; it is not current.
 * `baton` is yours again in on_done: free it there. On any other return
 * (CTX_EQUEUEFULL, CTX_ESHUTDOWN, APR_EINVAL, APR_ENOTIMPL …) neither fn
 * nor on_done is ever called and `baton` is still the caller's. Needs
 * mod_ctx with API version 4 (else APR_ENOTIMPL, as every call here when
 * the table is missing). */
static APR_INLINE apr_status_t ctx_task_submit_ex(request_rec *r,
                                                  ctx_task_fn *fn,
                                                  void *baton,
                                                  const char *const *headers,
                                                  ctx_task_done_fn *on_done)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->task_submit_ex(r, fn, baton, headers, on_done)
             : APR_ENOTIMPL;
}

/* This child's task counters (all zero before the first task). */
static APR_INLINE void ctx_task_stats(ctx_task_stats_t *st)
{
    const ctx_api_t *a = ctx_api();
    if (a) {
        a->task_stats(st);
    }
    else if (st) {
        memset(st, 0, sizeof(*st));
    }
}

/* The server-wide counters (ctx-status) of app `app` (its CtxAppName or
 * ServerName; NULL: every app summed) into *st, which the caller owns.
 * APR_SUCCESS; APR_NOTFOUND for an app that never counted; APR_EINVAL for
 * a NULL st; APR_ENOTIMPL outside a child process or without mod_ctx of
 * API version 5 (*st is zeroed on every failure but APR_EINVAL). */
static APR_INLINE apr_status_t ctx_server_stats(const char *app,
                                                ctx_server_stats_t *st)
{
    const ctx_api_t *a = ctx_api();
    if (a) {
        return a->server_stats(app, st);
    }
    if (st) {
        memset(st, 0, sizeof(*st));
    }
    return st ? APR_ENOTIMPL : APR_EINVAL;
}

/* ---- request body and cookies (Flask's request.form, request.files,
 * request.get_json(), request.data, request.cookies) -----------------------
 * The body is read on the first call that needs it, never before: from the
 * client request's input filters (chunked bodies too; httpd sends "100
 * Continue" to a client that asked for it at that moment), at most
 * CtxMaxBodySize bytes (of the request that makes the first call), and kept
 * in the client request's pool: every later call, from any module, and a
 * subrequest's or internal redirect's calls, get the same bytes. A body
 * whose Content-Length is over the limit is refused without reading it (no
 * 100 Continue) and the connection is closed after the response. Read
 * errors are kept too: every later call returns the same status. If
 * another module read the body first (ap_get_client_block), mod_ctx sees
 * what it left. Not available in background tasks (APR_EINVAL): copy what
 * a task needs into `g`. `r` NULL means the current request.
 * Everything returned lives until the client request ends (its main
 * request's pool) and must not be modified or freed. Memory: the body once
 * (a chunked one of unknown size up to about twice, while it grows) plus
 * the parsed fields.
 * Statuses: APR_SUCCESS; APR_NOTFOUND (no such field or file); the CTX_EBODY*
 * codes above and CTX_EMEDIATYPE; APR_TIMEUP (the client was too slow:
 * 408); APR_EINVAL (NULL argument, no request); APR_ENOTIMPL (mod_ctx not
 * loaded). In a handler:
 *     if ((rv = ctx_form(r, "q", &q)) != APR_SUCCESS)
 *         return ctx_body_http_status(rv);
 */

/* The HTTP status a handler returns for a status of the body functions:
 * OK for APR_SUCCESS, 413 for CTX_EBODYTOOLARGE, 400 for CTX_EBADBODY and
 * APR_NOTFOUND (a missing field, as Flask's request.form["x"]), 415 for
 * CTX_EMEDIATYPE, 408 for APR_TIMEUP, AP_FILTER_ERROR for CTX_EBODYREAD,
 * 500 for anything else. */
static APR_INLINE int ctx_body_http_status(apr_status_t rv)
{
    switch (rv) {
    case APR_SUCCESS:       return OK;
    case CTX_EBODYTOOLARGE: return HTTP_REQUEST_ENTITY_TOO_LARGE;
    case CTX_EBADBODY:      return HTTP_BAD_REQUEST;
    case APR_NOTFOUND:      return HTTP_BAD_REQUEST;
    case CTX_EMEDIATYPE:    return HTTP_UNSUPPORTED_MEDIA_TYPE;
    case CTX_EBODYREAD:     return AP_FILTER_ERROR;
    default:
        return APR_STATUS_IS_TIMEUP(rv) ? HTTP_REQUEST_TIME_OUT
                                        : HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* The raw body: *data is *len bytes followed by a '\0' that is not part of
 * it (the body itself may hold NUL bytes); an empty body is "" and 0. Any
 * content type. */
static APR_INLINE apr_status_t ctx_body(request_rec *r, const char **data,
                                        apr_size_t *len)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->body(r, data, len) : APR_ENOTIMPL;
}

/* The first value of form field `name` (application/x-www-form-urlencoded
 * or multipart/form-data; files are not fields). APR_NOTFOUND when absent,
 * and for a body of any other content type (which is then not read). */
static APR_INLINE apr_status_t ctx_form(request_rec *r, const char *name,
                                        const char **val)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->form(r, name, val) : APR_ENOTIMPL;
}

/* Every value of field `name` in order: *vals is a new array of
 * const char * (empty if none: APR_SUCCESS). */
static APR_INLINE apr_status_t ctx_form_all(request_rec *r, const char *name,
                                            apr_array_header_t **vals)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->form_all(r, name, vals) : APR_ENOTIMPL;
}

/* The distinct field names in order of first appearance: a new array of
 * const char * (files not included). */
static APR_INLINE apr_status_t ctx_form_names(request_rec *r,
                                              apr_array_header_t **names)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->form_names(r, names) : APR_ENOTIMPL;
}

/* The first file sent as `name` (a multipart part with a filename
 * parameter); *file is a new copy. APR_NOTFOUND when there is none. */
static APR_INLINE apr_status_t ctx_form_file(request_rec *r, const char *name,
                                             const ctx_form_file_t **file)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->form_file(r, name, file) : APR_ENOTIMPL;
}

/* Every file sent as `name` (NULL: every file) in order: *files is a new
 * array of const ctx_form_file_t * (empty if none: APR_SUCCESS). */
static APR_INLINE apr_status_t ctx_form_files(request_rec *r,
                                              const char *name,
                                              apr_array_header_t **files)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->form_files(r, name, files) : APR_ENOTIMPL;
}

/* The body as JSON text, as sent (NUL-terminated), after checking that it
 * is one valid JSON value (UTF-8, no duplicate keys, at most 64 levels
 * deep): parse it with your JSON library. CTX_EMEDIATYPE unless the
 * Content-Type is application/json or application/...+json; CTX_EBADBODY
 * for an empty or invalid body. */
static APR_INLINE apr_status_t ctx_json_body(request_rec *r, const char **json)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->json_body(r, json) : APR_ENOTIMPL;
}

/* The value of the first cookie `name` in the request's Cookie headers
 * (names compared exactly; surrounding double quotes removed, nothing
 * else decoded), or NULL. Lives until the client request ends. Reads no
 * body. */
static APR_INLINE const char *ctx_cookie(request_rec *r, const char *name)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->cookie(r, name) : NULL;
}

/* ---- login (Flask-Login's current_user, login_user, logout_user) -------
 * The login lives in the session (CtxSession On where it is used), under
 * Flask-Login's keys _user_id, _fresh and _id, so that a Flask app with
 * Flask-Login sharing the session (CtxSessionFormat flask, same secret)
 * sees the same login. See docs/login.md. All of these need API version 5
 * (else APR_ENOTIMPL / NULL / 0). `c` NULL means the current request. */

/* Register the user loader of `app` (NULL: the current app; usually from
 * your child_init hook, with ctx_app_of(s) for each virtual host). A second
 * call for the same app replaces the first. APR_ENOSPC past 64 apps. Not to
 * be called while requests run. Without a loader, ctx_current_user() is
 * NULL and AuthType ctx accepts any logged-in id. */
static APR_INLINE apr_status_t ctx_user_loader(ctx_app_t *app,
                                               ctx_user_loader_fn *fn,
                                               void *baton)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->user_loader(app, fn, baton)
                                : APR_ENOTIMPL;
}

/* The logged-in user's object from the loader, or NULL (anonymous, no
 * loader, or the loader said NULL). Loaded at most once per client request:
 * its subrequests and internal redirects get the same object. On first use
 * per request this applies session protection (CtxLoginProtection) and,
 * when the session has no login, the remember cookie (a valid one logs the
 * user in again, not fresh, in a new session). */
static APR_INLINE void *ctx_current_user(ctx_t *c)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->current_user(c) : NULL;
}

/* The logged-in user's id without calling the loader (so also an id the
 * loader would refuse), or NULL. Lives until the client request ends. */
static APR_INLINE const char *ctx_current_user_id(ctx_t *c)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->current_user_id(c) : NULL;
}

/* Log `id` in: the session is regenerated first (a new id; with a
 * server-side store the old entry is deleted), then _user_id, _fresh (true
 * unless CTX_LOGIN_NOT_FRESH) and _id are stored. CTX_LOGIN_REMEMBER also
 * sets Flask-Login's remember cookie (remember_token, 365 days). `id`: 1 to
 * 256 bytes without control characters (with CTX_LOGIN_REMEMBER also no
 * space, '"', ',', ';', '\\' or non-ASCII byte), else APR_EINVAL; it is
 * copied. Other errors are the session's (CTX_EDISABLED, CTX_ETOOLATE,
 * CTX_ESTORE ...); APR_EINVAL in a background task. */
static APR_INLINE apr_status_t ctx_login_user(ctx_t *c, const char *id,
                                              int flags)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->login_user(c, id, flags) : APR_ENOTIMPL;
}

/* Log out: remove the login keys, delete the remember cookie if the client
 * sent one, regenerate the session. APR_SUCCESS also when nobody was
 * logged in. */
static APR_INLINE apr_status_t ctx_logout_user(ctx_t *c)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->logout_user(c) : APR_ENOTIMPL;
}

/* 1 if a user is logged in and the login is fresh (made with a password in
 * this session, not restored from the remember cookie, not marked stale by
 * session protection). */
static APR_INLINE int ctx_login_fresh(ctx_t *c)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->login_fresh(c) : 0;
}

/* Mark the current login fresh again (after re-entering the password) and
 * bind it to this client (_id). APR_NOTFOUND when nobody is logged in. */
static APR_INLINE apr_status_t ctx_confirm_login(ctx_t *c)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->confirm_login(c) : APR_ENOTIMPL;
}

/* 1 if `next` is safe to redirect to after a login: a local path (and
 * query) such as "/a/b?c=d"; 0 for absolute or protocol-relative URLs
 * ("//host", "/\\host", "/%2F%2Fhost", any percent-encoded form of them),
 * control characters, spaces, non-ASCII bytes, or over 2048 bytes. */
static APR_INLINE int ctx_login_next_is_safe(const char *next)
{
    const ctx_api_t *a = ctx_api();
    return a ? a->login_next_is_safe(next) : 0;
}

#endif /* MOD_CTX_NO_INLINE_HELPERS */

#ifdef __cplusplus
}
#endif

#endif /* MOD_CTX_H */

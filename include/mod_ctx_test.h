/* mod_ctx_test.h: the test kit of mod_ctx (libctx_test), Flask's
 * test_request_context() and test_client() for C modules.
 *
 * In a plain test program (cmocka or any other), with no httpd running:
 *
 *   ctx_test_app_t *app = ctx_test_app(&my_module,
 *       "CtxSecretKey 0123456789abcdef0123456789abcdef", "CtxSession On",
 *       "CtxConfig DATABASE_URL sqlite:///tmp/x", "SetHandler my-handler",
 *       NULL);
 *   ctx_test_req_t *t = ctx_test_request(app, "GET /home?page=2",
 *                                        "Accept: text/plain", NULL);
 *   int status = my_handler(ctx_test_r(t));   // or ctx_test_handle(t)
 *   ctx_test_end(t, status);
 *   assert(ctx_test_status(t) == 200);
 *   assert(strstr(ctx_test_body(t, NULL), "page=2"));
 *   ctx_test_app_destroy(app);
 *
 * The app is mod_ctx itself: its directives, check_config, post_config and
 * child_init, its request hooks and session filter and its API table behind
 * the same optional function (ctx_api_get) a module uses. The request is a
 * request_rec in a real APR pool; while it is open its context is the
 * calling thread's current one, so ctx_current(), ctx_arg(), g, the session,
 * the login (ctx_current_user with a loader registered by ctx_user_loader,
 * ctx_login_user, ctx_logout_user, ...), ctx_on_teardown and ctx_task_submit
 * work unchanged. The access, authn and authz phases do not run (no
 * AuthType ctx, r->user stays NULL): test those with the httpd harness.
 *
 * httpd calls provided by the kit (see docs/testing.md): ap_rputs, ap_rputc,
 * ap_rwrite, ap_rprintf, ap_vrprintf, ap_rvputs, ap_rflush,
 * ap_set_content_type, ap_set_content_length, ap_log_error, ap_log_rerror,
 * ap_log_cerror, ap_log_perror (captured), ap_escape_html, r->headers_out and
 * r->err_headers_out (captured at the end), ap_get_brigade on
 * r->input_filters (the body given by ctx_test_set_body), ap_server_conf;
 * hook registration (the request hooks run, connection hooks are ignored),
 * output filters, ap_register_input_filter, ap_register_provider and
 * ap_register_auth_provider
 * (accepted, never run).
 * Every other ap_* function of httpd links but stops the test program with
 * a message naming it when it is reached.
 *
 * Not thread-safe: one app at a time per process, requests on one thread
 * (background tasks run on mod_ctx's own task threads).
 * Link: pkg-config --cflags --libs mod_ctx-test (-lctx_test and APR). */
#ifndef MOD_CTX_TEST_H
#define MOD_CTX_TEST_H

#include "httpd.h"
#include "http_config.h"
#include "apr_pools.h"

#include "mod_ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Variadic lists end with NULL: the compiler checks it where it can. */
#if defined(__GNUC__)
#define CTX_TEST_SENTINEL __attribute__((sentinel))
#else
#define CTX_TEST_SENTINEL
#endif

typedef struct ctx_test_app_t ctx_test_app_t;
typedef struct ctx_test_req_t ctx_test_req_t;
typedef struct ctx_test_jar_t ctx_test_jar_t;

/* ---- the app ------------------------------------------------------------ */

/* A configured server with mod_ctx and `mod` (your module, or NULL) loaded:
 * then configuration lines, NULL-terminated, as in httpd.conf at server
 * level: mod_ctx's directives, `mod`'s own, and "SetHandler NAME" (the
 * r->handler of every request). Runs mod_ctx's and `mod`'s pre_config,
 * check_config, post_config and child_init hooks. Returns NULL when a
 * directive or a hook fails; ctx_test_error() then says why. Destroy with
 * ctx_test_app_destroy() (also before making the next app). */
ctx_test_app_t *ctx_test_app(module *mod, ...) CTX_TEST_SENTINEL;

/* The same with an array of lines (NULL-terminated). */
ctx_test_app_t *ctx_test_app_v(module *mod, const char *const *lines);

/* Why the last ctx_test_app() failed ("CtxSessionFormat: ..."). Static
 * storage: valid until the next ctx_test_app(). */
const char *ctx_test_error(void);

/* Drain the background tasks (up to 5 s), run the child's and the
 * configuration's cleanups and free everything of the app. */
void ctx_test_app_destroy(ctx_test_app_t *app);

/* The app's server (ap_server_conf) and configuration pool; both live
 * until ctx_test_app_destroy. */
server_rec *ctx_test_server(ctx_test_app_t *app);
apr_pool_t *ctx_test_pool(ctx_test_app_t *app);

/* Background tasks (ctx_task_submit). By default they are queued to
 * mod_ctx's task threads, as in httpd; ctx_test_tasks_wait() waits until
 * none is queued or running. With ctx_test_tasks_inline(app, 1), every
 * submit returns only once its task has run (the test then sees the task's
 * effects right after the call). */
void ctx_test_tasks_inline(ctx_test_app_t *app, int on);
/* APR_SUCCESS, or APR_TIMEUP when tasks still run after `timeout`. */
apr_status_t ctx_test_tasks_wait(ctx_test_app_t *app,
                                 apr_interval_time_t timeout);

/* ---- the log ------------------------------------------------------------ */

/* Every line logged through ap_log_* (mod_ctx's and the module's) since the
 * app was made or the last ctx_test_log_clear(), as "[level] message"
 * (levels: emerg ... debug, trace1 ... trace8). Lines are copied into the
 * app's pool. CTX_TEST_VERBOSE=1 in the environment also prints them. */
int ctx_test_log_count(ctx_test_app_t *app);
const char *ctx_test_log_line(ctx_test_app_t *app, int i);
/* The first line containing `text`, or NULL. */
const char *ctx_test_log_find(ctx_test_app_t *app, const char *text);
void ctx_test_log_clear(ctx_test_app_t *app);

/* ---- requests ----------------------------------------------------------- */

/* Open a request: `line` is "METHOD /path?query" (HTTP/1.1 is added), then
 * request header lines "Name: value", NULL-terminated (e.g. a Cookie). Runs
 * mod_ctx's request hooks and `mod`'s, from create_request to fixups and
 * insert_filter (not the handler): on return the request is the calling
 * thread's current request. NULL for a malformed line. The request lives
 * until ctx_test_free() or the app's destruction. */
ctx_test_req_t *ctx_test_request(ctx_test_app_t *app, const char *line, ...)
    CTX_TEST_SENTINEL;
ctx_test_req_t *ctx_test_request_v(ctx_test_app_t *app, const char *line,
                                   const char *const *headers);

/* The request_rec (r->pool lives until ctx_test_end). */
request_rec *ctx_test_r(ctx_test_req_t *t);

/* The request body that ap_get_brigade (ctx_body, ctx_form) reads; copied.
 * Sets Content-Length; call before the body is read. */
void ctx_test_set_body(ctx_test_req_t *t, const char *data, apr_size_t len);

/* Run the handler hooks of the loaded module as httpd does (the first that
 * does not return DECLINED); returns its status (DECLINED if none). */
int ctx_test_handle(ctx_test_req_t *t);

/* End the request as httpd would after the handler returned `status` (OK,
 * DECLINED or an HTTP status): the output passes mod_ctx's filters (the
 * session is saved: Set-Cookie), the log_transaction hooks run, then r->pool
 * is destroyed (teardown callbacks run, the context is released). Returns
 * the final HTTP status. An error status discards the body and headers_out
 * as httpd does (keeps err_headers_out; no error document is made). */
int ctx_test_end(ctx_test_req_t *t, int status);

/* Free a request (ending it first if needed) and what it captured. */
void ctx_test_free(ctx_test_req_t *t);

/* ---- the captured response (valid after ctx_test_end, until the request
 * is freed) ------------------------------------------------------------ */

int ctx_test_status(const ctx_test_req_t *t);
/* The body, NUL-terminated; *len (may be NULL) its length. */
const char *ctx_test_body(const ctx_test_req_t *t, apr_size_t *len);
/* A response header (headers_out and err_headers_out, Content-Type from
 * ap_set_content_type); several values are joined with ", " except
 * Set-Cookie: see ctx_test_set_cookie. NULL when absent. */
const char *ctx_test_header(const ctx_test_req_t *t, const char *name);
/* The i-th Set-Cookie header line, or NULL. */
const char *ctx_test_set_cookie(const ctx_test_req_t *t, int i);

/* ---- the cookie jar (test_client) --------------------------------------- */

/* A jar keeps the cookies Set-Cookie gave (replacing by name, removing
 * expired ones) and sends them with its requests. Lives in the app's pool. */
ctx_test_jar_t *ctx_test_jar(ctx_test_app_t *app);
/* The value of cookie `name` in the jar, or NULL. */
const char *ctx_test_jar_get(ctx_test_jar_t *jar, const char *name);
/* ctx_test_request() with the jar's Cookie header added; the jar takes the
 * Set-Cookie of the response at ctx_test_end(). */
ctx_test_req_t *ctx_test_jar_request(ctx_test_jar_t *jar, const char *line,
                                     ...) CTX_TEST_SENTINEL;
/* The whole round trip: request, handler hooks, end. */
ctx_test_req_t *ctx_test_jar_fetch(ctx_test_jar_t *jar, const char *line,
                                   ...) CTX_TEST_SENTINEL;

#ifdef __cplusplus
}
#endif

#endif

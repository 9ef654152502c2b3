/* Unit tests of the test kit (libctx_test, include/mod_ctx_test.h), written
 * as a module author's tests are: mod_ctx.h and mod_ctx_test.h only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "httpd.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_provider.h"
#include "util_filter.h"
#include "apr_strings.h"

#include "mod_ctx_test.h"

#define KEY "CtxSecretKey 8f2c61d0a4b9e37c5d18f6a2b0c94e7d3a5f8b1c6e2d907a4b3c5d6e7f8091a2"

static ctx_test_app_t *app;

static int app_teardown(void **state)
{
    (void)state;
    ctx_test_app_destroy(app);
    app = NULL;
    return 0;
}

static void make_app(const char *extra)
{
    app = ctx_test_app(NULL, KEY, "CtxSession On", "CtxAppName shop",
                       "CtxConfig DATABASE_URL sqlite:///tmp/shop.db",
                       extra, NULL);
    if (!app) {
        fail_msg("ctx_test_app: %s", ctx_test_error());
    }
}

/* ---- binding ------------------------------------------------------------ */

static void test_kit_binds_the_request_until_it_ends(void **state)
{
    ctx_test_req_t *t;

    (void)state;
    make_app(NULL);
    assert_null(ctx_current_request());
    t = ctx_test_request(app, "GET /home?page=2", NULL);
    assert_non_null(t);
    assert_ptr_equal(ctx_current_request(), ctx_test_r(t));
    assert_non_null(ctx_current());
    assert_ptr_equal(ctx_of(ctx_test_r(t)), ctx_current());
    assert_string_equal(ctx_test_r(t)->uri, "/home");
    assert_string_equal(ctx_test_r(t)->args, "page=2");
    ctx_test_end(t, OK);
    assert_null(ctx_current_request());
    assert_null(ctx_current());
}

static void test_kit_args_come_from_the_query(void **state)
{
    ctx_test_req_t *t;
    apr_array_header_t *all;

    (void)state;
    make_app(NULL);
    t = ctx_test_request(app, "GET /search?page=2&tag=a&tag=b%20c", NULL);
    assert_string_equal(ctx_arg(NULL, "page"), "2");
    all = ctx_arg_all(NULL, "tag");
    assert_int_equal(all->nelts, 2);
    assert_string_equal(APR_ARRAY_IDX(all, 1, const char *), "b c");
    assert_null(ctx_arg(NULL, "missing"));
    ctx_test_free(t);
}

static void test_kit_config_and_app_come_from_the_lines(void **state)
{
    ctx_test_req_t *t;

    (void)state;
    make_app("CtxConfig FEATURE on");
    t = ctx_test_request(app, "GET /", NULL);
    assert_string_equal(ctx_app_name(ctx_current_app()), "shop");
    assert_string_equal(ctx_config(NULL, "DATABASE_URL"),
                        "sqlite:///tmp/shop.db");
    assert_string_equal(ctx_config(NULL, "FEATURE"), "on");
    assert_null(ctx_config(NULL, "NOPE"));
    ctx_test_free(t);
}

static void test_kit_refuses_a_bad_directive_naming_it(void **state)
{
    (void)state;
    assert_null(ctx_test_app(NULL, KEY, "CtxSessionFormat rot13", NULL));
    assert_non_null(strstr(ctx_test_error(), "CtxSessionFormat"));
    assert_null(ctx_test_app(NULL, "CtxNoSuchThing 1", NULL));
    assert_non_null(strstr(ctx_test_error(), "CtxNoSuchThing"));
    /* A session without a key fails the start (check_config), as in httpd. */
    assert_null(ctx_test_app(NULL, "CtxSession On", NULL));
    assert_non_null(strstr(ctx_test_error(), "check_config"));
}

/* ---- g and teardown ----------------------------------------------------- */

static int teardown_calls, teardown_status;

static apr_status_t on_teardown(ctx_t *c, int status, void *baton)
{
    (void)c;
    (void)baton;
    ++teardown_calls;
    teardown_status = status;
    return APR_SUCCESS;
}

static void test_kit_g_lives_for_the_request(void **state)
{
    ctx_test_req_t *t;

    (void)state;
    make_app(NULL);
    t = ctx_test_request(app, "GET /", NULL);
    assert_int_equal(ctx_g_set(NULL, "user", "ada"), APR_SUCCESS);
    assert_string_equal(ctx_g_get(NULL, "user"), "ada");
    ctx_test_free(t);
    t = ctx_test_request(app, "GET /", NULL);
    assert_null(ctx_g_get(NULL, "user"));
    ctx_test_free(t);
}

static void test_kit_end_runs_teardown_with_the_status(void **state)
{
    ctx_test_req_t *t;

    (void)state;
    make_app(NULL);
    teardown_calls = 0;
    t = ctx_test_request(app, "GET /", NULL);
    assert_int_equal(ctx_on_teardown(NULL, on_teardown, NULL), APR_SUCCESS);
    ctx_test_r(t)->status = HTTP_CREATED;
    assert_int_equal(teardown_calls, 0);
    assert_int_equal(ctx_test_end(t, OK), HTTP_CREATED);
    assert_int_equal(teardown_calls, 1);
    assert_int_equal(teardown_status, HTTP_CREATED);
    ctx_test_free(t);
    assert_int_equal(teardown_calls, 1);
}

/* ---- captured output ---------------------------------------------------- */

static int output_handler(request_rec *r)
{
    ap_set_content_type(r, "text/plain");
    ap_rputs("a", r);
    ap_rwrite("bc", 2, r);
    ap_rprintf(r, "%d", 42);
    ap_rvputs(r, "x", "y", NULL);
    ap_rputc('!', r);
    apr_table_set(r->headers_out, "X-Out", "1");
    apr_table_set(r->err_headers_out, "X-Err", "2");
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "handler says %s", "hi");
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf, "server line");
    return OK;
}

static void test_kit_captures_body_headers_and_log(void **state)
{
    ctx_test_req_t *t;
    apr_size_t len;

    (void)state;
    make_app(NULL);
    t = ctx_test_request(app, "GET /out", NULL);
    assert_int_equal(ctx_test_end(t, output_handler(ctx_test_r(t))), 200);
    assert_string_equal(ctx_test_body(t, &len), "abc42xy!");
    assert_int_equal(len, 8);
    assert_string_equal(ctx_test_header(t, "Content-Type"), "text/plain");
    assert_string_equal(ctx_test_header(t, "X-Out"), "1");
    assert_string_equal(ctx_test_header(t, "X-Err"), "2");
    assert_non_null(ctx_test_log_find(app, "[warn] handler says hi"));
    assert_non_null(ctx_test_log_find(app, "[notice] server line"));
    ctx_test_free(t);
}

static void test_kit_error_status_drops_body_and_headers_out(void **state)
{
    ctx_test_req_t *t;

    (void)state;
    make_app(NULL);
    t = ctx_test_request(app, "GET /out", NULL);
    output_handler(ctx_test_r(t));
    assert_int_equal(ctx_test_end(t, HTTP_SERVICE_UNAVAILABLE), 503);
    assert_string_equal(ctx_test_body(t, NULL), "");
    assert_null(ctx_test_header(t, "X-Out"));
    assert_string_equal(ctx_test_header(t, "X-Err"), "2");
    ctx_test_free(t);
}

/* ---- sessions ----------------------------------------------------------- */

static int counter_handler(request_rec *r)
{
    apr_int64_t n = 0;

    ctx_session_get_int(NULL, "n", &n);
    if (ctx_session_set_int(NULL, "n", n + 1) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_rprintf(r, "n=%" APR_INT64_T_FMT, n + 1);
    return OK;
}

static ctx_test_req_t *run(ctx_test_req_t *t)
{
    ctx_test_end(t, counter_handler(ctx_test_r(t)));
    return t;
}

static void test_kit_jar_carries_the_session(void **state)
{
    ctx_test_jar_t *jar;

    (void)state;
    make_app(NULL);
    jar = ctx_test_jar(app);
    assert_string_equal(ctx_test_body(run(ctx_test_jar_request(jar, "GET /", NULL)),
                                      NULL), "n=1");
    assert_non_null(ctx_test_jar_get(jar, "session"));
    assert_string_equal(ctx_test_body(run(ctx_test_jar_request(jar, "GET /", NULL)),
                                      NULL), "n=2");
    /* Another client starts again. */
    assert_string_equal(ctx_test_body(run(ctx_test_request(app, "GET /",
                                                           NULL)), NULL),
                        "n=1");
}

static void test_kit_session_comes_from_the_cookie_given(void **state)
{
    ctx_test_req_t *t;
    const char *sc;
    char cookie[4200], *semi;

    (void)state;
    make_app(NULL);
    t = run(ctx_test_request(app, "GET /", NULL));
    assert_non_null(sc = ctx_test_set_cookie(t, 0));
    assert_int_equal(strncmp(sc, "session=", 8), 0);
    snprintf(cookie, sizeof(cookie), "Cookie: %s", sc);
    if ((semi = strchr(cookie, ';')) != NULL) {
        *semi = '\0';
    }
    assert_string_equal(ctx_test_body(run(ctx_test_request(app, "GET /",
                                                           cookie, NULL)),
                                      NULL), "n=2");
    /* One flipped character: no session, a fresh one (not an error). */
    cookie[strlen(cookie) - 2] ^= 1;
    t = run(ctx_test_request(app, "GET /", cookie, NULL));
    assert_int_equal(ctx_test_status(t), 200);
    assert_string_equal(ctx_test_body(t, NULL), "n=1");
}

static void test_kit_jar_forgets_a_cleared_session(void **state)
{
    ctx_test_jar_t *jar;
    ctx_test_req_t *t;

    (void)state;
    make_app(NULL);
    jar = ctx_test_jar(app);
    run(ctx_test_jar_request(jar, "GET /", NULL));
    assert_non_null(ctx_test_jar_get(jar, "session"));
    t = ctx_test_jar_request(jar, "GET /logout", NULL);
    assert_int_equal(ctx_session_clear(NULL), APR_SUCCESS);
    ctx_test_end(t, OK);
    assert_null(ctx_test_jar_get(jar, "session"));
}

/* ---- tasks -------------------------------------------------------------- */

static volatile int task_ran;
static char task_arg[32];

static apr_status_t task_fn(ctx_t *c, void *baton)
{
    const char *v = ctx_arg(NULL, "email");

    (void)c;
    (void)baton;
    apr_sleep(apr_time_from_msec(20));
    snprintf(task_arg, sizeof(task_arg), "%s", v ? v : "-");
    __atomic_store_n(&task_ran, 1, __ATOMIC_RELEASE);
    return APR_SUCCESS;
}

static void test_kit_inline_task_has_run_when_submit_returns(void **state)
{
    ctx_test_req_t *t;

    (void)state;
    make_app(NULL);
    ctx_test_tasks_inline(app, 1);
    task_ran = 0;
    t = ctx_test_request(app, "GET /bg?email=a@b", NULL);
    assert_int_equal(ctx_task_submit(NULL, task_fn, NULL, NULL), APR_SUCCESS);
    assert_int_equal(__atomic_load_n(&task_ran, __ATOMIC_ACQUIRE), 1);
    assert_string_equal(task_arg, "a@b");
    ctx_test_free(t);
}

static void test_kit_queued_task_runs_after_wait(void **state)
{
    ctx_test_req_t *t;

    (void)state;
    make_app(NULL);
    task_ran = 0;
    t = ctx_test_request(app, "GET /bg?email=q", NULL);
    assert_int_equal(ctx_task_submit(NULL, task_fn, NULL, NULL), APR_SUCCESS);
    ctx_test_free(t);
    assert_int_equal(ctx_test_tasks_wait(app, apr_time_from_sec(10)),
                     APR_SUCCESS);
    assert_int_equal(__atomic_load_n(&task_ran, __ATOMIC_ACQUIRE), 1);
    assert_string_equal(task_arg, "q");
}

/* ---- unsupported httpd calls -------------------------------------------- */

static void test_kit_unsupported_call_stops_naming_it(void **state)
{
    int fds[2], wstatus;
    char out[512] = "";
    ssize_t n;
    pid_t pid;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    if ((pid = fork()) == 0) {
        dup2(fds[1], 2);
        ap_get_server_banner();     /* not in the kit */
        _exit(0);
    }
    close(fds[1]);
    n = read(fds[0], out, sizeof(out) - 1);
    close(fds[0]);
    waitpid(pid, &wstatus, 0);
    assert_true(n > 0);
    assert_true(WIFSIGNALED(wstatus));
    assert_non_null(strstr(out, "ap_get_server_banner() is not provided"));
}

/* ---- login (ctx_current_user and friends) ------------------------------ */

static int loads;

/* A module's loader: "ghost" is a deleted user. */
static void *kit_loader(ctx_t *c, const char *id, void *baton)
{
    ++loads;
    assert_ptr_equal(baton, &loads);
    if (!strcmp(id, "ghost")) {
        return NULL;
    }
    return apr_pstrcat(ctx_request(c)->pool, "user:", id, NULL);
}

static void make_login_app(void)
{
    make_app(NULL);
    loads = 0;
    assert_int_equal(ctx_user_loader(ctx_app_of(ctx_test_server(app)),
                                     kit_loader, &loads), APR_SUCCESS);
}

/* A login app and a jar whose client logged in as `user` (a POST /login
 * that called ctx_login_user with `flags`). */
static ctx_test_jar_t *jar_logged_in(const char *user, int flags)
{
    ctx_test_jar_t *jar;
    ctx_test_req_t *t;

    make_login_app();
    jar = ctx_test_jar(app);
    t = ctx_test_jar_request(jar, "POST /login", NULL);
    assert_int_equal(ctx_login_user(NULL, user, flags), APR_SUCCESS);
    ctx_test_end(t, OK);
    return jar;
}

static void test_kit_jar_carries_the_login_to_the_next_request(void **state)
{
    ctx_test_jar_t *jar;
    ctx_test_req_t *t;

    (void)state;
    make_login_app();
    jar = ctx_test_jar(app);
    t = ctx_test_jar_request(jar, "POST /login", NULL);
    assert_null(ctx_current_user(NULL));
    assert_int_equal(ctx_login_user(NULL, "ada", 0), APR_SUCCESS);
    assert_string_equal(ctx_current_user_id(NULL), "ada");
    assert_true(ctx_login_fresh(NULL));
    ctx_test_end(t, OK);
    loads = 0;
    t = ctx_test_jar_request(jar, "GET /me", NULL);
    assert_string_equal(ctx_current_user(NULL), "user:ada");
    assert_string_equal(ctx_current_user(NULL), "user:ada");
    assert_int_equal(loads, 1);         /* once per request */
    assert_true(ctx_login_fresh(NULL));
    assert_null(ctx_test_r(t)->user);   /* no authn phase in the kit */
    ctx_test_end(t, OK);
    /* Another client is not logged in. */
    t = ctx_test_request(app, "GET /me", NULL);
    assert_null(ctx_current_user_id(NULL));
    ctx_test_free(t);
}

static void test_kit_logout_clears_the_login_of_the_next_request(void **state)
{
    ctx_test_jar_t *jar;
    ctx_test_req_t *t;

    (void)state;
    jar = jar_logged_in("ada", 0);
    t = ctx_test_jar_request(jar, "POST /logout", NULL);
    assert_int_equal(ctx_logout_user(NULL), APR_SUCCESS);
    assert_null(ctx_current_user(NULL));
    ctx_test_end(t, OK);
    t = ctx_test_jar_request(jar, "GET /me", NULL);
    assert_null(ctx_current_user_id(NULL));
    assert_null(ctx_current_user(NULL));
    assert_false(ctx_login_fresh(NULL));
    ctx_test_end(t, OK);
}

static void test_kit_loader_refusal_is_no_user_but_keeps_the_id(void **state)
{
    ctx_test_jar_t *jar;
    ctx_test_req_t *t;

    (void)state;
    jar = jar_logged_in("ghost", 0);
    t = ctx_test_jar_request(jar, "GET /me", NULL);
    assert_null(ctx_current_user(NULL));
    assert_string_equal(ctx_current_user_id(NULL), "ghost");
    ctx_test_end(t, OK);
}

/* Only the remember cookie (a browser that lost its session): the login
 * comes back not fresh; ctx_confirm_login makes it fresh again. */
static void test_kit_remember_cookie_restores_a_stale_login(void **state)
{
    ctx_test_jar_t *jar;
    ctx_test_req_t *t;
    char cookie[1024];

    (void)state;
    jar = jar_logged_in("ada", CTX_LOGIN_REMEMBER);
    assert_non_null(ctx_test_jar_get(jar, "remember_token"));
    snprintf(cookie, sizeof(cookie), "Cookie: remember_token=%s",
             ctx_test_jar_get(jar, "remember_token"));
    t = ctx_test_request(app, "GET /me", cookie, NULL);
    assert_string_equal(ctx_current_user(NULL), "user:ada");
    assert_false(ctx_login_fresh(NULL));
    assert_int_equal(ctx_confirm_login(NULL), APR_SUCCESS);
    assert_true(ctx_login_fresh(NULL));
    ctx_test_end(t, OK);
    assert_non_null(ctx_test_set_cookie(t, 0));     /* the new session */
    ctx_test_free(t);
}

/* ---- a module that registers more than the kit runs -------------------- */

static int some_check(request_rec *r)
{
    (void)r;
    return DECLINED;
}

static apr_status_t some_input(ap_filter_t *f, apr_bucket_brigade *bb,
                               ap_input_mode_t mode, apr_read_type_e block,
                               apr_off_t readbytes)
{
    return ap_get_brigade(f->next, bb, mode, block, readbytes);
}

static const int some_provider = 1;

static void busy_register_hooks(apr_pool_t *p)
{
    ap_hook_check_user_id(some_check, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_input_filter("BUSY_IN", some_input, NULL, AP_FTYPE_RESOURCE);
    ap_register_provider(p, "busy", "one", "0", &some_provider);
}

static module busy_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL,
    busy_register_hooks, 0
};

static void test_kit_loads_a_module_registering_filters_providers_hooks(void **state)
{
    (void)state;
    app = ctx_test_app(&busy_module, NULL);
    assert_non_null(app);
    assert_string_equal(ctx_test_error(), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_kit_binds_the_request_until_it_ends, app_teardown),
        cmocka_unit_test_teardown(test_kit_args_come_from_the_query, app_teardown),
        cmocka_unit_test_teardown(test_kit_config_and_app_come_from_the_lines, app_teardown),
        cmocka_unit_test(test_kit_refuses_a_bad_directive_naming_it),
        cmocka_unit_test_teardown(test_kit_g_lives_for_the_request, app_teardown),
        cmocka_unit_test_teardown(test_kit_end_runs_teardown_with_the_status, app_teardown),
        cmocka_unit_test_teardown(test_kit_captures_body_headers_and_log, app_teardown),
        cmocka_unit_test_teardown(test_kit_error_status_drops_body_and_headers_out, app_teardown),
        cmocka_unit_test_teardown(test_kit_jar_carries_the_session, app_teardown),
        cmocka_unit_test_teardown(test_kit_session_comes_from_the_cookie_given, app_teardown),
        cmocka_unit_test_teardown(test_kit_jar_forgets_a_cleared_session, app_teardown),
        cmocka_unit_test_teardown(test_kit_inline_task_has_run_when_submit_returns, app_teardown),
        cmocka_unit_test_teardown(test_kit_queued_task_runs_after_wait, app_teardown),
        cmocka_unit_test(test_kit_unsupported_call_stops_naming_it),
        cmocka_unit_test_teardown(test_kit_loads_a_module_registering_filters_providers_hooks, app_teardown),
        cmocka_unit_test_teardown(test_kit_jar_carries_the_login_to_the_next_request, app_teardown),
        cmocka_unit_test_teardown(test_kit_logout_clears_the_login_of_the_next_request, app_teardown),
        cmocka_unit_test_teardown(test_kit_loader_refusal_is_no_user_but_keeps_the_id, app_teardown),
        cmocka_unit_test_teardown(test_kit_remember_cookie_restores_a_stale_login, app_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

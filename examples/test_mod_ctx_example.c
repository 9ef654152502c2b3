/* Unit tests of mod_ctx_example.c's handlers through mod_ctx's test kit
 * (include/mod_ctx_test.h): no httpd, mod_ctx's own code. The pattern to
 * copy: one app per test with the lines of your httpd.conf, requests that
 * run your hooks (ctx_test_jar_fetch: fixups, handler, end), then asserts
 * on the status, body, headers and log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mod_ctx_test.h"

extern module AP_MODULE_DECLARE_DATA ctx_example_module;

#define KEY "CtxSecretKey 3f9a0c7e21b45d86f0e1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"

static ctx_test_app_t *app;
static ctx_test_jar_t *jar;

/* The example's configuration; `extra` adds a line (or NULL). */
static void start(const char *extra)
{
    app = ctx_test_app(&ctx_example_module, "SetHandler ctx-example", KEY,
                       "CtxSession On", "CtxAppName shop",
                       "CtxConfig DATABASE_URL postgres://db/shop", extra,
                       NULL);
    if (!app) {
        fail_msg("%s", ctx_test_error());
    }
    jar = ctx_test_jar(app);
}

static int stop(void **state)
{
    (void)state;
    ctx_test_app_destroy(app);
    return 0;
}

static const char *get(const char *line)
{
    return ctx_test_body(ctx_test_jar_fetch(jar, line, NULL), NULL);
}

/* ---- /home, /g, /config -------------------------------------------------- */

static void test_home_reads_the_page_argument_without_request_rec(void **s)
{
    (void)s;
    start(NULL);
    assert_string_equal(get("GET /home?page=2"), "home page=2\n");
    assert_string_equal(get("GET /home"), "home page=1\n");
}

static void test_g_shows_what_the_fixups_hook_set(void **s)
{
    ctx_test_req_t *t;
    char expect[64];

    (void)s;
    start(NULL);
    t = ctx_test_request(app, "GET /g", NULL);
    snprintf(expect, sizeof(expect), "g.request_started=%" APR_TIME_T_FMT "\n",
             ctx_test_r(t)->request_time);
    ctx_test_end(t, ctx_test_handle(t));
    assert_int_equal(ctx_test_status(t), 200);
    assert_non_null(strstr(ctx_test_body(t, NULL), expect));
    assert_non_null(strstr(ctx_test_body(t, NULL), "g.set_by="));
}

static void test_g_is_empty_on_pages_that_do_not_use_it(void **s)
{
    ctx_test_req_t *t;

    (void)s;
    start(NULL);
    t = ctx_test_request(app, "GET /counter", NULL);
    assert_null(ctx_g_get(NULL, "set_by"));
    ctx_test_free(t);
}

static void test_config_shows_app_config_and_a_shared_resource(void **s)
{
    const char *body;

    (void)s;
    start("CtxConfig MODE test");
    body = get("GET /config?key=DATABASE_URL&key=MODE&key=NONE");
    assert_non_null(strstr(body, "app=shop\n"));
    assert_non_null(strstr(body, "config.DATABASE_URL=postgres://db/shop\n"));
    assert_non_null(strstr(body, "config.MODE=test\n"));
    assert_non_null(strstr(body, "config.NONE=(unset)\n"));
    assert_non_null(strstr(body, "resource.dsn=postgres://db/shop\n"));
    assert_non_null(strstr(body, "resource.uses=1\n"));
    /* One resource per process: the next request reuses it. */
    assert_non_null(strstr(get("GET /config"), "resource.uses=2\n"));
    assert_non_null(ctx_test_log_find(app, "demo-pool of app shop created"));
}

/* ---- sessions -------------------------------------------------------------- */

static void test_counter_counts_per_client(void **s)
{
    (void)s;
    start(NULL);
    assert_string_equal(get("GET /counter"), "count=1\n");
    assert_string_equal(get("GET /counter"), "count=2\n");
    assert_non_null(ctx_test_jar_get(jar, "session"));
    jar = ctx_test_jar(app);        /* another client */
    assert_string_equal(get("GET /counter"), "count=1\n");
}

static void test_counter_restarts_from_a_count_that_is_not_an_integer(void **s)
{
    (void)s;
    start(NULL);
    get("GET /session/setjson?count=%22seven%22");
    assert_string_equal(get("GET /counter"), "count=1\n");
}

static void test_session_pages_set_show_and_clear(void **s)
{
    (void)s;
    start(NULL);
    assert_string_equal(get("GET /session"), "{}\n");
    assert_string_equal(get("GET /session/set?user=ada"), "{\"user\":\"ada\"}\n");
    get("GET /session/setjson?n=3");
    assert_non_null(strstr(get("GET /session"), "\"user\":\"ada\""));
    assert_non_null(strstr(get("GET /session"), "\"n\":3"));
    assert_string_equal(get("GET /session/clear"), "{}\n");
    assert_null(ctx_test_jar_get(jar, "session"));
}

static void test_session_setjson_refuses_bad_json(void **s)
{
    (void)s;
    start(NULL);
    assert_int_equal(ctx_test_status(ctx_test_jar_fetch(
                         jar, "GET /session/setjson?n=%7B", NULL)), 400);
    assert_non_null(ctx_test_log_find(app, "setting n failed"));
}

static void test_session_permanent_gives_the_cookie_an_expiry(void **s)
{
    ctx_test_req_t *t;

    (void)s;
    start(NULL);
    t = ctx_test_jar_fetch(jar, "GET /session/permanent?on=1", NULL);
    assert_non_null(strstr(ctx_test_set_cookie(t, 0), "Max-Age="));
    t = ctx_test_jar_fetch(jar, "GET /session/set?a=b", NULL);
    assert_non_null(strstr(ctx_test_set_cookie(t, 0), "Max-Age="));
}

static void test_session_regenerate_keeps_the_data_in_a_new_cookie(void **s)
{
    ctx_test_req_t *t;

    (void)s;
    start(NULL);
    get("GET /session/set?user=ada");
    t = ctx_test_jar_fetch(jar, "GET /session/regenerate", NULL);
    assert_string_equal(ctx_test_body(t, NULL), "{\"user\":\"ada\"}\n");
    assert_non_null(ctx_test_set_cookie(t, 0));     /* re-issued */
    assert_string_equal(get("GET /session"), "{\"user\":\"ada\"}\n");
}

static void test_session_pages_are_404_without_sessions(void **s)
{
    (void)s;
    app = ctx_test_app(&ctx_example_module, "SetHandler ctx-example", NULL);
    jar = ctx_test_jar(app);
    assert_int_equal(ctx_test_status(ctx_test_jar_fetch(jar, "GET /counter",
                                                        NULL)), 404);
}

/* ---- background tasks and forms ----------------------------------------- */

static void test_background_task_writes_the_request_copy(void **s)
{
    char path[] = "/tmp/ctx-example-test-XXXXXX", line[600], buf[1024] = "";
    ctx_test_req_t *t;
    FILE *f;

    (void)s;
    close(mkstemp(path));
    snprintf(line, sizeof(line), "CtxConfig BACKGROUND_LOG %s", path);
    start(line);
    ctx_test_tasks_inline(app, 1);
    get("GET /session/set?user=ada");
    t = ctx_test_jar_fetch(jar, "GET /background?email=a%40b.c", NULL);
    assert_int_equal(ctx_test_status(t), 202);
    assert_string_equal(ctx_test_body(t, NULL), "queued\n");
    assert_non_null(f = fopen(path, "r"));
    assert_non_null(fgets(buf, sizeof(buf), f));
    fclose(f);
    unlink(path);
    assert_non_null(strstr(buf, "uri=/background?email=a%40b.c "));
    assert_non_null(strstr(buf, "email=a@b.c "));
    assert_non_null(strstr(buf, "user=ada "));
    assert_non_null(strstr(buf, "request=none\n"));
}

static void test_background_failure_is_counted(void **s)
{
    (void)s;
    start("CtxConfig BACKGROUND_DELAY_MS 0");
    ctx_test_tasks_inline(app, 1);
    get("GET /background?fail=1");
    assert_non_null(strstr(get("GET /background/status"), "\nfailed=1\n"));
}

static void test_greet_reads_the_form(void **s)
{
    ctx_test_req_t *t;

    (void)s;
    start(NULL);
    t = ctx_test_request(app, "POST /greet",
                         "Content-Type: application/x-www-form-urlencoded",
                         NULL);
    ctx_test_set_body(t, "name=ada+l", 10);
    ctx_test_end(t, ctx_test_handle(t));
    assert_string_equal(ctx_test_body(t, NULL), "hello ada l\n");
}

/* ---- login: /login, /me, /logout ----------------------------------------- */

#define USERS "CtxConfig LOGIN_USERS \"alice:wonderland bob:builder\""

/* POST /login with a form body (application/x-www-form-urlencoded). */
static ctx_test_req_t *post_login(const char *form)
{
    ctx_test_req_t *t = ctx_test_jar_request(
        jar, "POST /login",
        "Content-Type: application/x-www-form-urlencoded", NULL);

    ctx_test_set_body(t, form, strlen(form));
    ctx_test_end(t, ctx_test_handle(t));
    return t;
}

static void test_login_then_me_shows_the_fresh_user(void **s)
{
    ctx_test_req_t *t;

    (void)s;
    start(USERS);
    assert_string_equal(get("GET /me"), "anonymous\n");
    t = post_login("username=alice&password=wonderland");
    assert_int_equal(ctx_test_status(t), 303);
    assert_string_equal(ctx_test_header(t, "Location"), "/me");
    assert_string_equal(get("GET /me"), "user=alice fresh=1\n");
}

static void test_login_goes_to_a_local_next_only(void **s)
{
    (void)s;
    start(USERS);
    assert_string_equal(ctx_test_header(post_login(
        "username=bob&password=builder&next=%2Forders%3Fp%3D2"), "Location"),
        "/orders?p=2");
    assert_string_equal(ctx_test_header(post_login(
        "username=bob&password=builder&next=%2F%2Fevil.test"), "Location"),
        "/me");
}

static void test_login_refuses_a_wrong_password_with_the_form(void **s)
{
    ctx_test_req_t *t;

    (void)s;
    start(USERS);
    t = post_login("username=alice&password=builder");
    assert_int_equal(ctx_test_status(t), 401);
    assert_non_null(strstr(ctx_test_body(t, NULL), "<form"));
    assert_string_equal(get("GET /me"), "anonymous\n");
}

static void test_login_form_keeps_next_escaped(void **s)
{
    (void)s;
    start(USERS);
    assert_non_null(strstr(get("GET /login?next=%2Fa%3Fb%3D%3Cx%3E"),
                           "name=\"next\" type=\"hidden\" "
                           "value=\"/a?b=&lt;x&gt;\""));
}

static void test_logout_makes_me_anonymous(void **s)
{
    ctx_test_req_t *t;

    (void)s;
    start(USERS);
    post_login("username=alice&password=wonderland");
    t = ctx_test_jar_fetch(jar, "POST /logout", NULL);
    assert_int_equal(ctx_test_status(t), 303);
    assert_string_equal(ctx_test_header(t, "Location"), "/login");
    assert_string_equal(get("GET /me"), "anonymous\n");
}

static void test_remembered_login_comes_back_not_fresh(void **s)
{
    char cookie[1024];

    (void)s;
    start(USERS);
    post_login("username=alice&password=wonderland&remember=1");
    snprintf(cookie, sizeof(cookie), "Cookie: remember_token=%s",
             ctx_test_jar_get(jar, "remember_token"));
    /* A new browser session: only the remember cookie. */
    assert_string_equal(ctx_test_body(ctx_test_jar_fetch(
        ctx_test_jar(app), "GET /me", cookie, NULL), NULL),
        "user=alice fresh=0\n");
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, stop)
    const struct CMUnitTest tests[] = {
        T(test_home_reads_the_page_argument_without_request_rec),
        T(test_g_shows_what_the_fixups_hook_set),
        T(test_g_is_empty_on_pages_that_do_not_use_it),
        T(test_config_shows_app_config_and_a_shared_resource),
        T(test_counter_counts_per_client),
        T(test_counter_restarts_from_a_count_that_is_not_an_integer),
        T(test_session_pages_set_show_and_clear),
        T(test_session_setjson_refuses_bad_json),
        T(test_session_permanent_gives_the_cookie_an_expiry),
        T(test_session_regenerate_keeps_the_data_in_a_new_cookie),
        T(test_session_pages_are_404_without_sessions),
        T(test_background_task_writes_the_request_copy),
        T(test_background_failure_is_counted),
        T(test_greet_reads_the_form),
        T(test_login_then_me_shows_the_fresh_user),
        T(test_login_goes_to_a_local_next_only),
        T(test_login_refuses_a_wrong_password_with_the_form),
        T(test_login_form_keeps_next_escaped),
        T(test_logout_makes_me_anonymous),
        T(test_remembered_login_comes_back_not_fresh),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

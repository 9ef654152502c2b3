/* Unit tests of mod_hello_ctx through mod_ctx's test kit (pkg-config
 * mod_ctx-test), as its author would write them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mod_ctx_test.h"

extern module AP_MODULE_DECLARE_DATA hello_ctx_module;

static ctx_test_app_t *app;

static int stop(void **state)
{
    (void)state;
    ctx_test_app_destroy(app);
    return 0;
}

static void test_hello_greets_by_name_and_counts_visits(void **state)
{
    ctx_test_jar_t *jar;

    (void)state;
    app = ctx_test_app(&hello_ctx_module, "SetHandler hello-ctx",
                       "CtxAppName greeter", "CtxSession On",
                       "CtxSecretKey 9c1d7e5a3b2f4c6d8e0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6",
                       NULL);
    assert_non_null(app);
    jar = ctx_test_jar(app);
    assert_string_equal(ctx_test_body(ctx_test_jar_fetch(jar, "GET /hello?name=ada",
                                                         NULL), NULL),
                        "hello ada from greeter (visit 1)\n");
    assert_string_equal(ctx_test_body(ctx_test_jar_fetch(jar, "GET /hello?name=bob",
                                                         NULL), NULL),
                        "hello bob from greeter (visit 2)\n");
}

static void test_hello_without_a_name_is_400(void **state)
{
    ctx_test_req_t *t;

    (void)state;
    app = ctx_test_app(&hello_ctx_module, "SetHandler hello-ctx", NULL);
    assert_non_null(app);
    t = ctx_test_request(app, "GET /hello", NULL);
    assert_int_equal(ctx_test_end(t, ctx_test_handle(t)), 400);
    assert_non_null(ctx_test_log_find(app, "hello_ctx: no name"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_hello_greets_by_name_and_counts_visits, stop),
        cmocka_unit_test_teardown(test_hello_without_a_name_is_400, stop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

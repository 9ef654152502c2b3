/* A background task's context, put together as the glue does it
 * (mod_ctx_task.c): a task context in the task's own pool, bound on the
 * worker by the enter hook, teardown run when the task's pool goes. */
#include "unit.h"

#include "ctx_context.h"
#include "ctx_task.h"

typedef struct {
    apr_status_t result;        /* what fn returned: teardown's status */
    ctx_t *ctx;
    const char *query;
} task_req_t;

static int req_status(void *request) { return (int)((task_req_t *)request)->result; }
static const char *req_describe(void *request) { (void)request; return "GET /bg"; }
static const char *req_query(void *request) { return ((task_req_t *)request)->query; }
static const ctx_request_ops_t ops = { req_status, req_describe, req_query };

static void enter(ctx_task_t *t, void *hb)
{
    (void)hb;
    ctx_context_enter(((task_req_t *)ctx_task_data(t))->ctx);
}

static void leave(ctx_task_t *t, apr_status_t rv, void *hb)
{
    (void)hb;
    ((task_req_t *)ctx_task_data(t))->result = rv;
    ctx_context_unbind_thread();
}

static const ctx_task_hooks_t hooks = { enter, leave, NULL };

/* What the test sees, written by the worker, read after the drain. */
static struct {
    int fn_runs;
    int current_is_task;
    const char *g_seen;
    const char *arg_seen;
    int teardowns;
    int teardown_status;
    pthread_t fn_thread, teardown_thread;
    int current_in_teardown_is_null;
    int g_dtor_runs;
} seen;

static apr_status_t teardown(ctx_t *c, int status, void *baton)
{
    (void)c;
    (void)baton;
    seen.teardowns++;
    seen.teardown_status = status;
    seen.teardown_thread = pthread_self();
    seen.current_in_teardown_is_null = ctx_context_current() == NULL;
    return APR_SUCCESS;
}

static void g_dtor(void *ptr)
{
    (void)ptr;
    seen.g_dtor_runs++;
}

static apr_status_t work(ctx_task_t *t, void *baton)
{
    task_req_t *req = baton;
    ctx_t *c = ctx_context_current();

    seen.fn_runs++;
    seen.fn_thread = pthread_self();
    seen.current_is_task = c == req->ctx && c->kind == CTX_KIND_TASK;
    seen.g_seen = ctx_gtable_get(ctx_context_g(c), "user");
    seen.arg_seen = ctx_args_get(ctx_context_args(c), "email");
    ctx_teardown_add(ctx_context_teardown(c), teardown, NULL);
    return APR_EGENERAL;
}

static task_req_t *make_task(ctx_taskpool_t *tp, ctx_task_t **t)
{
    task_req_t *req;
    apr_pool_t *p;

    assert_int_equal(ctx_task_create(t, tp), APR_SUCCESS);
    p = ctx_task_pool(*t);
    req = apr_pcalloc(p, sizeof(*req));
    req->query = "email=a%40b.test";
    req->result = CTX_ESHUTDOWN;          /* until it runs */
    req->ctx = ctx_context_create_task(p, req, &ops);
    ctx_gtable_set(ctx_context_g(req->ctx), "user", "alice");
    ctx_gtable_set_ptr(ctx_context_g(req->ctx), "obj", &seen, g_dtor);
    ctx_task_set_data(*t, req);
    return req;
}

static void test_task_context_is_current_in_the_task_and_torn_down_once_after_it(void **state)
{
    apr_pool_t *p = *state;
    ctx_taskpool_t *tp;
    ctx_task_t *t;
    task_req_t *req;

    memset(&seen, 0, sizeof(seen));
    assert_int_equal(ctx_taskpool_create(&tp, p, 1, 4, &hooks), APR_SUCCESS);
    req = make_task(tp, &t);
    assert_int_equal(ctx_taskpool_submit(tp, t, work, req), APR_SUCCESS);
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL), APR_SUCCESS);

    assert_int_equal(seen.fn_runs, 1);
    assert_true(seen.current_is_task);
    assert_string_equal(seen.g_seen, "alice");
    assert_string_equal(seen.arg_seen, "a@b.test");
    assert_false(pthread_equal(seen.fn_thread, pthread_self()));
    /* Teardown: once, on the task's thread, after fn, with fn's result. */
    assert_int_equal(seen.teardowns, 1);
    assert_int_equal(seen.teardown_status, APR_EGENERAL);
    assert_true(pthread_equal(seen.teardown_thread, seen.fn_thread));
    assert_true(seen.current_in_teardown_is_null);
    assert_int_equal(seen.g_dtor_runs, 1);
    /* The submitting thread never had the task's context. */
    assert_null(ctx_context_current());
}

static void test_task_context_of_a_dropped_task_is_torn_down_with_eshutdown(void **state)
{
    apr_pool_t *p = *state;
    ctx_taskpool_t *tp;
    ctx_task_t *t;
    task_req_t *req;

    memset(&seen, 0, sizeof(seen));
    assert_int_equal(ctx_taskpool_create(&tp, p, 1, 4, &hooks), APR_SUCCESS);
    req = make_task(tp, &t);
    ctx_teardown_add(ctx_context_teardown(req->ctx), teardown, NULL);
    /* Refused (the pool is shut down): the caller destroys it. */
    assert_int_equal(ctx_taskpool_drain(tp, 0, NULL), APR_SUCCESS);
    assert_int_equal(ctx_taskpool_submit(tp, t, work, req), CTX_ESHUTDOWN);
    ctx_task_destroy(t);
    assert_int_equal(seen.fn_runs, 0);
    assert_int_equal(seen.teardowns, 1);
    assert_int_equal(seen.teardown_status, CTX_ESHUTDOWN);
    assert_int_equal(seen.g_dtor_runs, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_task_context_is_current_in_the_task_and_torn_down_once_after_it),
        UNIT_TEST(test_task_context_of_a_dropped_task_is_torn_down_with_eshutdown),
    };

    return UNIT_RUN(tests);
}

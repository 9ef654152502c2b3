/* Unit tests of ctx_teardown: callbacks run once when a request ends. */
#include "unit.h"

#include "ctx_teardown.h"

/* What the callbacks saw, in call order. */
typedef struct {
    int n;
    int ids[16];
    ctx_t *ctxs[16];
    int statuses[16];
} calls_t;

typedef struct {
    calls_t *calls;
    int id;
    apr_status_t rv;            /* what the callback returns */
    ctx_teardown_t *t;          /* for callbacks that try to add more */
    apr_status_t add_rv;        /* what that ctx_teardown_add returned */
} cb_t;

static apr_status_t record_cb(ctx_t *c, int status, void *baton)
{
    cb_t *cb = baton;
    calls_t *calls = cb->calls;

    if (calls->n < 16) {
        calls->ids[calls->n] = cb->id;
        calls->ctxs[calls->n] = c;
        calls->statuses[calls->n] = status;
    }
    calls->n++;
    return cb->rv;
}

static apr_status_t adding_cb(ctx_t *c, int status, void *baton)
{
    cb_t *cb = baton;

    cb->add_rv = ctx_teardown_add(cb->t, record_cb, cb);
    return record_cb(c, status, baton);
}

/* A stand-in for a context: the list only passes the pointer along. */
static int fake_ctx;
#define FAKE_CTX ((ctx_t *)&fake_ctx)

static void test_teardown_new_list_has_nothing_pending(void **state)
{
    ctx_teardown_t *t = ctx_teardown_create(UNIT_POOL(state));

    assert_non_null(t);
    assert_int_equal(ctx_teardown_pending(t), 0);
}

static void test_teardown_run_on_empty_list_returns_zero(void **state)
{
    ctx_teardown_t *t = ctx_teardown_create(UNIT_POOL(state));

    assert_int_equal(ctx_teardown_run(t, FAKE_CTX, 200, "GET /"), 0);
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 0);
}

static void test_teardown_pending_counts_registered_until_run(void **state)
{
    ctx_teardown_t *t = ctx_teardown_create(UNIT_POOL(state));
    calls_t calls = {0};
    cb_t a = { &calls, 1, APR_SUCCESS }, b = { &calls, 2, APR_SUCCESS };

    assert_int_equal(ctx_teardown_add(t, record_cb, &a), APR_SUCCESS);
    assert_int_equal(ctx_teardown_pending(t), 1);
    assert_int_equal(ctx_teardown_add(t, record_cb, &b), APR_SUCCESS);
    assert_int_equal(ctx_teardown_pending(t), 2);
    assert_int_equal(calls.n, 0);       /* adding runs nothing */
    ctx_teardown_run(t, FAKE_CTX, 200, NULL);
    assert_int_equal(ctx_teardown_pending(t), 0);
}

static void test_teardown_runs_newest_first(void **state)
{
    ctx_teardown_t *t = ctx_teardown_create(UNIT_POOL(state));
    calls_t calls = {0};
    cb_t cbs[5];

    for (int i = 0; i < 5; ++i) {
        cbs[i] = (cb_t){ &calls, i + 1, APR_SUCCESS };
        assert_int_equal(ctx_teardown_add(t, record_cb, &cbs[i]), APR_SUCCESS);
    }
    assert_int_equal(ctx_teardown_run(t, FAKE_CTX, 200, "GET /"), 0);
    assert_int_equal(calls.n, 5);
    for (int i = 0; i < 5; ++i) {
        assert_int_equal(calls.ids[i], 5 - i);
    }
}

static void test_teardown_passes_context_status_and_baton(void **state)
{
    ctx_teardown_t *t = ctx_teardown_create(UNIT_POOL(state));
    calls_t calls = {0};
    cb_t a = { &calls, 7, APR_SUCCESS };

    assert_int_equal(ctx_teardown_add(t, record_cb, &a), APR_SUCCESS);
    ctx_teardown_run(t, FAKE_CTX, 503, "GET /busy");
    assert_int_equal(calls.n, 1);
    assert_int_equal(calls.ids[0], 7);  /* the baton was ours */
    assert_ptr_equal(calls.ctxs[0], FAKE_CTX);
    assert_int_equal(calls.statuses[0], 503);
}

static void test_teardown_same_callback_registered_twice_runs_twice(void **state)
{
    ctx_teardown_t *t = ctx_teardown_create(UNIT_POOL(state));
    calls_t calls = {0};
    cb_t a = { &calls, 1, APR_SUCCESS };

    assert_int_equal(ctx_teardown_add(t, record_cb, &a), APR_SUCCESS);
    assert_int_equal(ctx_teardown_add(t, record_cb, &a), APR_SUCCESS);
    ctx_teardown_run(t, FAKE_CTX, 200, NULL);
    assert_int_equal(calls.n, 2);
}

static void test_teardown_failing_callback_does_not_stop_others_and_is_logged(void **state)
{
    ctx_teardown_t *t = ctx_teardown_create(UNIT_POOL(state));
    calls_t calls = {0};
    cb_t a = { &calls, 1, APR_SUCCESS }, b = { &calls, 2, APR_EGENERAL },
         c = { &calls, 3, APR_SUCCESS };
    char err[120];

    assert_int_equal(ctx_teardown_add(t, record_cb, &a), APR_SUCCESS);
    assert_int_equal(ctx_teardown_add(t, record_cb, &b), APR_SUCCESS);
    assert_int_equal(ctx_teardown_add(t, record_cb, &c), APR_SUCCESS);
    assert_int_equal(ctx_teardown_run(t, FAKE_CTX, 500, "GET /fail"), 1);
    assert_int_equal(calls.n, 3);
    assert_int_equal(calls.ids[0], 3);
    assert_int_equal(calls.ids[1], 2);
    assert_int_equal(calls.ids[2], 1);
    /* One error line, naming the request and the callback's error. */
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 1);
    apr_strerror(APR_EGENERAL, err, sizeof(err));
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR, "GET /fail", err,
                                             NULL), 1);
}

static void test_teardown_run_returns_number_of_failures(void **state)
{
    ctx_teardown_t *t = ctx_teardown_create(UNIT_POOL(state));
    calls_t calls = {0};
    cb_t cbs[4] = {
        { &calls, 1, APR_ENOMEM }, { &calls, 2, APR_SUCCESS },
        { &calls, 3, APR_EINVAL }, { &calls, 4, APR_EGENERAL },
    };

    for (int i = 0; i < 4; ++i) {
        assert_int_equal(ctx_teardown_add(t, record_cb, &cbs[i]), APR_SUCCESS);
    }
    assert_int_equal(ctx_teardown_run(t, FAKE_CTX, 200, "GET /"), 3);
    assert_int_equal(calls.n, 4);
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 3);
}

static void test_teardown_successful_callbacks_log_no_error(void **state)
{
    ctx_teardown_t *t = ctx_teardown_create(UNIT_POOL(state));
    calls_t calls = {0};
    cb_t a = { &calls, 1, APR_SUCCESS };

    assert_int_equal(ctx_teardown_add(t, record_cb, &a), APR_SUCCESS);
    assert_int_equal(ctx_teardown_run(t, FAKE_CTX, 200, "GET /"), 0);
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 0);
    assert_int_equal(unit_log_count_at(CTX_LOG_WARNING), 0);
}

static void test_teardown_failure_logged_without_description(void **state)
{
    ctx_teardown_t *t = ctx_teardown_create(UNIT_POOL(state));
    calls_t calls = {0};
    cb_t a = { &calls, 1, APR_EGENERAL };

    assert_int_equal(ctx_teardown_add(t, record_cb, &a), APR_SUCCESS);
    assert_int_equal(ctx_teardown_run(t, FAKE_CTX, 200, NULL), 1);
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 1);
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR, "(null)", NULL), 0);
}

static void test_teardown_second_run_does_nothing(void **state)
{
    ctx_teardown_t *t = ctx_teardown_create(UNIT_POOL(state));
    calls_t calls = {0};
    cb_t a = { &calls, 1, APR_EGENERAL };

    assert_int_equal(ctx_teardown_add(t, record_cb, &a), APR_SUCCESS);
    assert_int_equal(ctx_teardown_run(t, FAKE_CTX, 200, "GET /"), 1);
    assert_int_equal(ctx_teardown_run(t, FAKE_CTX, 404, "GET /"), 0);
    assert_int_equal(calls.n, 1);
    assert_int_equal(calls.statuses[0], 200);
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 1);
}

static void test_teardown_add_after_run_is_eincomplete(void **state)
{
    ctx_teardown_t *t = ctx_teardown_create(UNIT_POOL(state));
    calls_t calls = {0};
    cb_t a = { &calls, 1, APR_SUCCESS };

    ctx_teardown_run(t, FAKE_CTX, 200, NULL);
    assert_int_equal(ctx_teardown_add(t, record_cb, &a), APR_EINCOMPLETE);
    assert_int_equal(ctx_teardown_pending(t), 0);
    ctx_teardown_run(t, FAKE_CTX, 200, NULL);
    assert_int_equal(calls.n, 0);
}

static void test_teardown_add_during_run_is_eincomplete_and_never_runs(void **state)
{
    ctx_teardown_t *t = ctx_teardown_create(UNIT_POOL(state));
    calls_t calls = {0};
    cb_t a = { &calls, 1, APR_SUCCESS };

    a.t = t;
    a.add_rv = APR_SUCCESS;
    assert_int_equal(ctx_teardown_add(t, adding_cb, &a), APR_SUCCESS);
    assert_int_equal(ctx_teardown_run(t, FAKE_CTX, 200, NULL), 0);
    assert_int_equal(a.add_rv, APR_EINCOMPLETE);
    assert_int_equal(calls.n, 1);
    ctx_teardown_run(t, FAKE_CTX, 200, NULL);
    assert_int_equal(calls.n, 1);
}

static void test_teardown_null_arguments(void **state)
{
    ctx_teardown_t *t = ctx_teardown_create(UNIT_POOL(state));
    calls_t calls = {0};
    cb_t a = { &calls, 1, APR_SUCCESS };

    assert_int_equal(ctx_teardown_add(t, NULL, &a), APR_EINVAL);
    assert_int_equal(ctx_teardown_pending(t), 0);
    assert_int_equal(ctx_teardown_add(NULL, record_cb, &a), APR_EINVAL);
    assert_int_equal(ctx_teardown_pending(NULL), 0);
    assert_int_equal(ctx_teardown_run(NULL, FAKE_CTX, 200, NULL), 0);
    assert_int_equal(calls.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_teardown_new_list_has_nothing_pending),
        UNIT_TEST(test_teardown_run_on_empty_list_returns_zero),
        UNIT_TEST(test_teardown_pending_counts_registered_until_run),
        UNIT_TEST(test_teardown_runs_newest_first),
        UNIT_TEST(test_teardown_passes_context_status_and_baton),
        UNIT_TEST(test_teardown_same_callback_registered_twice_runs_twice),
        UNIT_TEST(test_teardown_failing_callback_does_not_stop_others_and_is_logged),
        UNIT_TEST(test_teardown_run_returns_number_of_failures),
        UNIT_TEST(test_teardown_successful_callbacks_log_no_error),
        UNIT_TEST(test_teardown_failure_logged_without_description),
        UNIT_TEST(test_teardown_second_run_does_nothing),
        UNIT_TEST(test_teardown_add_after_run_is_eincomplete),
        UNIT_TEST(test_teardown_add_during_run_is_eincomplete_and_never_runs),
        UNIT_TEST(test_teardown_null_arguments),
    };

    return UNIT_RUN(tests);
}

/* Unit tests of ctx_store: the core's store interface (argument checks,
 * the three outcomes found / not found / unavailable) and the lifetime
 * refresh policy. Exercised through the in-memory store. */
#include "unit.h"

#include "ctx_store.h"
#include "ctx_store_mem.h"

#define KEY "ctx1.Smo0pdO335IMAsIW_XeqYZGIqjrzttyjMJRMhyeycgY"

static apr_time_t far(void)
{
    return apr_time_now() + apr_time_from_sec(3600);
}

/* ---- the wrappers ---------------------------------------------------------- */

static void test_store_set_then_get_returns_the_value(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_store_mem_t *m = ctx_store_mem_create(p);
    const ctx_store_t *st = ctx_store_mem_store(m);
    const unsigned char *v = NULL;
    apr_size_t len = 0;

    assert_int_equal(ctx_store_set(st, p, KEY, "s2.abc", 6, far()),
                     APR_SUCCESS);
    assert_int_equal(ctx_store_get(st, p, KEY, 64, &v, &len), APR_SUCCESS);
    assert_int_equal(len, 6);
    assert_memory_equal(v, "s2.abc", 6);
}

static void test_store_missing_key_is_notfound_not_failure(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const ctx_store_t *st = ctx_store_mem_store(ctx_store_mem_create(p));
    const unsigned char *v = (const unsigned char *)"x";
    apr_size_t len = 7;

    assert_int_equal(ctx_store_get(st, p, KEY, 64, &v, &len), APR_NOTFOUND);
    assert_null(v);
    assert_int_equal(len, 0);
}

static void test_store_any_failure_is_estore_distinct_from_notfound(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_store_mem_t *m = ctx_store_mem_create(p);
    const ctx_store_t *st = ctx_store_mem_store(m);
    const unsigned char *v;
    apr_size_t len;
    const apr_status_t failures[] = { CTX_ESTORE, APR_TIMEUP, APR_ECONNREFUSED,
                                      APR_EGENERAL };

    assert_int_equal(ctx_store_set(st, p, KEY, "v", 1, far()), APR_SUCCESS);
    for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); ++i) {
        ctx_store_mem_fail(m, CTX_STORE_MEM_ALL, failures[i]);
        assert_int_equal(ctx_store_get(st, p, KEY, 64, &v, &len), CTX_ESTORE);
        assert_int_equal(ctx_store_set(st, p, KEY, "w", 1, far()), CTX_ESTORE);
        assert_int_equal(ctx_store_remove(st, p, KEY), CTX_ESTORE);
    }
    ctx_store_mem_fail(m, 0, APR_SUCCESS);
    assert_int_equal(ctx_store_get(st, p, KEY, 64, &v, &len), APR_SUCCESS);
    assert_memory_equal(v, "v", 1);
}

static void test_store_value_over_capacity_is_enospc_not_failure(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const ctx_store_t *st = ctx_store_mem_store(ctx_store_mem_create(p));
    const unsigned char *v;
    apr_size_t len;

    assert_int_equal(ctx_store_set(st, p, KEY, "0123456789", 10, far()),
                     APR_SUCCESS);
    assert_int_equal(ctx_store_get(st, p, KEY, 9, &v, &len), APR_ENOSPC);
    assert_int_equal(ctx_store_get(st, p, KEY, 10, &v, &len), APR_SUCCESS);
}

static void test_store_remove_of_missing_entry_succeeds(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const ctx_store_t *st = ctx_store_mem_store(ctx_store_mem_create(p));
    const unsigned char *v;
    apr_size_t len;

    assert_int_equal(ctx_store_remove(st, p, KEY), APR_SUCCESS);
    assert_int_equal(ctx_store_set(st, p, KEY, "v", 1, far()), APR_SUCCESS);
    assert_int_equal(ctx_store_remove(st, p, KEY), APR_SUCCESS);
    assert_int_equal(ctx_store_get(st, p, KEY, 64, &v, &len), APR_NOTFOUND);
}

static void test_store_bad_arguments_make_no_call(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_store_mem_t *m = ctx_store_mem_create(p);
    const ctx_store_t *st = ctx_store_mem_store(m);
    ctx_store_mem_counts_t c;
    const unsigned char *v;
    apr_size_t len;

    assert_int_equal(ctx_store_get(NULL, p, KEY, 64, &v, &len), APR_EINVAL);
    assert_int_equal(ctx_store_get(st, p, "", 64, &v, &len), APR_EINVAL);
    assert_int_equal(ctx_store_get(st, p, KEY, 0, &v, &len), APR_EINVAL);
    assert_int_equal(ctx_store_set(st, p, NULL, "v", 1, far()), APR_EINVAL);
    assert_int_equal(ctx_store_set(st, p, KEY, "v", 0, far()), APR_EINVAL);
    assert_int_equal(ctx_store_remove(st, NULL, KEY), APR_EINVAL);
    c = ctx_store_mem_counts(m);
    assert_int_equal(c.gets + c.sets + c.removes, 0);
}

static void test_store_expiry_is_now_plus_max_age(void **state)
{
    assert_true(ctx_store_expiry(1000, 60) == APR_USEC_PER_SEC * 1060);
    assert_true(ctx_store_expiry(1000, 0) == APR_USEC_PER_SEC * 1000);
}

/* ---- lifetime refresh ------------------------------------------------------ */

static void test_refresh_interval_is_a_quarter_of_max_age(void **state)
{
    assert_int_equal(ctx_store_refresh_interval(3600), 900);
    assert_int_equal(ctx_store_refresh_interval(400), 100);
}

static void test_refresh_interval_is_capped_at_an_hour(void **state)
{
    assert_int_equal(ctx_store_refresh_interval(31 * 86400), 3600);
    assert_int_equal(ctx_store_refresh_interval(4 * 3600), 3600);
}

static void test_refresh_interval_is_at_least_a_second(void **state)
{
    assert_int_equal(ctx_store_refresh_interval(3), 1);
    assert_int_equal(ctx_store_refresh_interval(1), 1);
    assert_int_equal(ctx_store_refresh_interval(0), 0);
    assert_int_equal(ctx_store_refresh_interval(-5), 0);
}

static void test_refresh_due_only_after_one_interval(void **state)
{
    assert_false(ctx_store_refresh_due(10000, 10000, 3600));
    assert_false(ctx_store_refresh_due(10000, 10899, 3600));
    assert_true(ctx_store_refresh_due(10000, 10900, 3600));
    assert_true(ctx_store_refresh_due(10000, 20000, 3600));
}

static void test_refresh_never_due_for_future_write_or_no_lifetime(void **state)
{
    assert_false(ctx_store_refresh_due(20000, 10000, 3600));
    assert_false(ctx_store_refresh_due(0, 10000, 0));
}

/* A request every second for two hours on a session of max_age 3600:
 * written once per interval (900 s), never older than max_age. */
static void test_refresh_active_session_written_once_per_interval(void **state)
{
    apr_int64_t last = 100000, writes = 0;

    for (apr_int64_t now = 100001; now <= 100000 + 7200; ++now) {
        /* The entry (written at `last`) is still alive. */
        assert_true(now - last < 3600);
        if (ctx_store_refresh_due(last, now, 3600)) {
            last = now;
            ++writes;
        }
    }
    assert_int_equal(writes, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_store_set_then_get_returns_the_value),
        UNIT_TEST(test_store_missing_key_is_notfound_not_failure),
        UNIT_TEST(test_store_any_failure_is_estore_distinct_from_notfound),
        UNIT_TEST(test_store_value_over_capacity_is_enospc_not_failure),
        UNIT_TEST(test_store_remove_of_missing_entry_succeeds),
        UNIT_TEST(test_store_bad_arguments_make_no_call),
        UNIT_TEST(test_store_expiry_is_now_plus_max_age),
        UNIT_TEST(test_refresh_interval_is_a_quarter_of_max_age),
        UNIT_TEST(test_refresh_interval_is_capped_at_an_hour),
        UNIT_TEST(test_refresh_interval_is_at_least_a_second),
        UNIT_TEST(test_refresh_due_only_after_one_interval),
        UNIT_TEST(test_refresh_never_due_for_future_write_or_no_lifetime),
        UNIT_TEST(test_refresh_active_session_written_once_per_interval),
    };

    return UNIT_RUN(tests);
}

/* Unit tests of ctx_store_mem: the in-memory store the session store's
 * tests stand on (so it must behave like the real providers where the
 * tests rely on it: expiry, replace, counters, injected failures). */
#include "unit.h"

#include "ctx_store_mem.h"

static apr_status_t get(ctx_store_mem_t *m, apr_pool_t *p, const char *key,
                        char *buf, apr_size_t *len)
{
    const ctx_store_t *st = ctx_store_mem_store(m);

    return st->ops->get(st->baton, key, strlen(key), (unsigned char *)buf,
                        len, p);
}

static apr_status_t set(ctx_store_mem_t *m, apr_pool_t *p, const char *key,
                        const char *val, apr_time_t expiry)
{
    const ctx_store_t *st = ctx_store_mem_store(m);

    return st->ops->set(st->baton, key, strlen(key),
                        (const unsigned char *)val, strlen(val), expiry, p);
}

static apr_status_t del(ctx_store_mem_t *m, apr_pool_t *p, const char *key)
{
    const ctx_store_t *st = ctx_store_mem_store(m);

    return st->ops->remove(st->baton, key, strlen(key), p);
}

#define T0 (apr_time_from_sec(1700000000))

static void test_mem_entry_expires_at_its_expiry(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_store_mem_t *m = ctx_store_mem_create(p);
    char buf[16];
    apr_size_t len = sizeof(buf);

    ctx_store_mem_set_now(m, T0);
    assert_int_equal(set(m, p, "k", "v", T0 + apr_time_from_sec(10)),
                     APR_SUCCESS);
    ctx_store_mem_set_now(m, T0 + apr_time_from_sec(10) - 1);
    assert_int_equal(get(m, p, "k", buf, &len), APR_SUCCESS);
    ctx_store_mem_set_now(m, T0 + apr_time_from_sec(10));
    len = sizeof(buf);
    assert_int_equal(get(m, p, "k", buf, &len), APR_NOTFOUND);
    assert_int_equal(ctx_store_mem_entries(m), 0);
}

static void test_mem_set_replaces_value_and_expiry(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_store_mem_t *m = ctx_store_mem_create(p);
    const char *v;
    apr_size_t len;
    apr_time_t exp;

    ctx_store_mem_set_now(m, T0);
    assert_int_equal(set(m, p, "k", "first", T0 + 5), APR_SUCCESS);
    assert_int_equal(set(m, p, "k", "2nd", T0 + 9), APR_SUCCESS);
    assert_int_equal(ctx_store_mem_peek(m, p, "k", &v, &len, &exp),
                     APR_SUCCESS);
    assert_string_equal(v, "2nd");
    assert_int_equal(len, 3);
    assert_true(exp == T0 + 9);
    assert_int_equal(ctx_store_mem_entries(m), 1);
}

static void test_mem_counts_every_call_and_peek_poke_count_none(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_store_mem_t *m = ctx_store_mem_create(p);
    ctx_store_mem_counts_t c;
    char buf[16];
    apr_size_t len = sizeof(buf);

    assert_int_equal(ctx_store_mem_poke(m, "a", "1", 1, apr_time_now()
                                        + apr_time_from_sec(60)),
                     APR_SUCCESS);
    assert_int_equal(ctx_store_mem_peek(m, p, "a", NULL, NULL, NULL),
                     APR_SUCCESS);
    c = ctx_store_mem_counts(m);
    assert_int_equal(c.gets + c.sets + c.removes, 0);
    assert_int_equal(get(m, p, "a", buf, &len), APR_SUCCESS);
    len = sizeof(buf);
    assert_int_equal(get(m, p, "b", buf, &len), APR_NOTFOUND);
    assert_int_equal(set(m, p, "b", "2", apr_time_now()
                         + apr_time_from_sec(60)), APR_SUCCESS);
    assert_int_equal(del(m, p, "a"), APR_SUCCESS);
    assert_int_equal(del(m, p, "a"), APR_NOTFOUND);
    c = ctx_store_mem_counts(m);
    assert_int_equal(c.gets, 2);
    assert_int_equal(c.hits, 1);
    assert_int_equal(c.misses, 1);
    assert_int_equal(c.sets, 1);
    assert_int_equal(c.removes, 2);
    ctx_store_mem_reset_counts(m);
    c = ctx_store_mem_counts(m);
    assert_int_equal(c.gets + c.sets + c.removes + c.hits, 0);
}

static void test_mem_injected_failure_leaves_data_alone(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_store_mem_t *m = ctx_store_mem_create(p);
    apr_time_t exp = apr_time_now() + apr_time_from_sec(60);
    const char *v;
    char buf[16];
    apr_size_t len = sizeof(buf);

    assert_int_equal(set(m, p, "k", "kept", exp), APR_SUCCESS);
    ctx_store_mem_fail(m, CTX_STORE_MEM_SET | CTX_STORE_MEM_REMOVE,
                       APR_TIMEUP);
    assert_int_equal(set(m, p, "k", "lost", exp), APR_TIMEUP);
    assert_int_equal(del(m, p, "k"), APR_TIMEUP);
    assert_int_equal(get(m, p, "k", buf, &len), APR_SUCCESS);
    assert_int_equal(ctx_store_mem_counts(m).failures, 2);
    ctx_store_mem_fail(m, CTX_STORE_MEM_GET, APR_NOTFOUND);
    len = sizeof(buf);
    assert_int_equal(get(m, p, "k", buf, &len), APR_NOTFOUND);
    ctx_store_mem_fail(m, 0, APR_SUCCESS);
    assert_int_equal(ctx_store_mem_peek(m, p, "k", &v, NULL, NULL),
                     APR_SUCCESS);
    assert_string_equal(v, "kept");
}

static void test_mem_item_over_limit_is_refused(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_store_mem_t *m = ctx_store_mem_create(p);
    apr_time_t exp = apr_time_now() + apr_time_from_sec(60);

    ctx_store_mem_set_item_limit(m, 4);
    assert_int_equal(set(m, p, "k", "1234", exp), APR_SUCCESS);
    assert_int_equal(set(m, p, "k", "12345", exp), APR_ENOSPC);
}

static void test_mem_value_larger_than_buffer_is_an_error(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_store_mem_t *m = ctx_store_mem_create(p);
    char buf[4];
    apr_size_t len = 3;

    assert_int_equal(set(m, p, "k", "1234", apr_time_now()
                         + apr_time_from_sec(60)), APR_SUCCESS);
    assert_int_not_equal(get(m, p, "k", buf, &len), APR_SUCCESS);
    assert_int_not_equal(get(m, p, "k", buf, &len), APR_NOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_mem_entry_expires_at_its_expiry),
        UNIT_TEST(test_mem_set_replaces_value_and_expiry),
        UNIT_TEST(test_mem_counts_every_call_and_peek_poke_count_none),
        UNIT_TEST(test_mem_injected_failure_leaves_data_alone),
        UNIT_TEST(test_mem_item_over_limit_is_refused),
        UNIT_TEST(test_mem_value_larger_than_buffer_is_an_error),
    };

    return UNIT_RUN(tests);
}

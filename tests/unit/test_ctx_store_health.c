/* Unit tests of ctx_store_health: mod_ctx's own view of the store's health
 * (issue #12, item 7: a down store is a distinct status, never an empty
 * session, one log line per outage, recovery without a restart, no request
 * waiting on a dead store). */
#include "unit.h"

#include "ctx_session_store.h"
#include "ctx_store_health.h"
#include "ctx_store_mem.h"

#define KEY "ctx1.Smo0pdO335IMAsIW_XeqYZGIqjrzttyjMJRMhyeycgY"
#define T0 apr_time_from_sec(1700000000)

typedef struct {
    apr_pool_t *p;
    ctx_store_mem_t *mem;
    ctx_store_health_t *h;
    const ctx_store_t *st;
    apr_time_t now;
} fixture_t;

static apr_time_t fake_now(void *baton)
{
    return ((fixture_t *)baton)->now;
}

static fixture_t *fixture(apr_pool_t *p)
{
    fixture_t *f = apr_pcalloc(p, sizeof(*f));

    f->p = p;
    f->now = T0;
    f->mem = ctx_store_mem_create(p);
    ctx_store_mem_set_now(f->mem, T0);
    f->h = ctx_store_health_create(p, ctx_store_mem_store(f->mem),
                                   "socache:redis:127.0.0.1:6379");
    assert_non_null(f->h);
    ctx_store_health_set_clock(f->h, fake_now, f);
    f->st = ctx_store_health_store(f->h);
    return f;
}

static void advance(fixture_t *f, apr_time_t by)
{
    f->now += by;
    ctx_store_mem_set_now(f->mem, f->now);
}

static apr_status_t get(fixture_t *f)
{
    const unsigned char *v;
    apr_size_t len;

    return ctx_store_get(f->st, f->p, KEY, 64, &v, &len);
}

static apr_status_t set(fixture_t *f)
{
    return ctx_store_set(f->st, f->p, KEY, "v", 1,
                         f->now + apr_time_from_sec(60));
}

static unsigned inner_calls(fixture_t *f)
{
    ctx_store_mem_counts_t c = ctx_store_mem_counts(f->mem);

    return c.gets + c.sets + c.removes;
}

static void test_health_passes_calls_through_while_up(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state));

    assert_int_equal(get(f), APR_NOTFOUND);
    assert_int_equal(set(f), APR_SUCCESS);
    assert_int_equal(get(f), APR_SUCCESS);
    assert_int_equal(ctx_store_remove(f->st, f->p, KEY), APR_SUCCESS);
    assert_int_equal(inner_calls(f), 4);
    assert_false(ctx_store_health_down(f->h));
    assert_int_equal(ctx_store_health_counts(f->h).failures, 0);
    assert_int_equal(unit_log_total(), 0);
}

static void test_health_misses_and_oversized_items_are_not_outages(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state));
    char big[100];

    memset(big, 'x', sizeof(big));
    ctx_store_mem_set_item_limit(f->mem, 10);
    assert_int_equal(ctx_store_set(f->st, f->p, KEY, big, sizeof(big),
                                   f->now + 1000000), CTX_ESTORE);
    assert_int_equal(get(f), APR_NOTFOUND);
    assert_false(ctx_store_health_down(f->h));
    assert_int_equal(unit_log_total(), 0);
}

static void test_health_outage_is_logged_once_and_counted(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state));

    ctx_store_mem_fail(f->mem, CTX_STORE_MEM_ALL, APR_ECONNREFUSED);
    for (int i = 0; i < 50; ++i) {
        assert_int_equal(get(f), CTX_ESTORE);
        advance(f, apr_time_from_msec(100));
    }
    assert_true(ctx_store_health_down(f->h));
    assert_int_equal(ctx_store_health_counts(f->h).outages, 1);
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR, "session store",
                                             "redis", "unavailable", NULL),
                     1);
    assert_int_equal(unit_log_total(), 1);
}

static void test_health_down_store_is_not_called_between_probes(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state));
    ctx_store_health_counts_t c;

    ctx_store_mem_fail(f->mem, CTX_STORE_MEM_ALL, APR_TIMEUP);
    assert_int_equal(get(f), CTX_ESTORE);
    ctx_store_mem_reset_counts(f->mem);
    for (int i = 0; i < 1000; ++i) {
        assert_int_equal(get(f), CTX_ESTORE);
        assert_int_equal(set(f), CTX_ESTORE);
    }
    assert_int_equal(inner_calls(f), 0);
    c = ctx_store_health_counts(f->h);
    assert_int_equal(c.refused, 2000);
    assert_int_equal(c.probes, 0);
}

static void test_health_probes_once_per_interval_then_recovers(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state));
    ctx_store_mem_counts_t c;

    ctx_store_mem_fail(f->mem, CTX_STORE_MEM_ALL, APR_ECONNREFUSED);
    assert_int_equal(get(f), CTX_ESTORE);
    /* Still failing a second later: one probe (a set), still down. */
    advance(f, CTX_STORE_HEALTH_PROBE);
    ctx_store_mem_reset_counts(f->mem);
    assert_int_equal(get(f), CTX_ESTORE);
    assert_int_equal(get(f), CTX_ESTORE);
    c = ctx_store_mem_counts(f->mem);
    assert_int_equal(c.sets, 1);
    assert_int_equal(c.gets, 0);
    assert_true(ctx_store_health_down(f->h));
    /* Back: the next probe lets the call through. */
    ctx_store_mem_fail(f->mem, 0, APR_SUCCESS);
    advance(f, CTX_STORE_HEALTH_PROBE - 1);
    assert_int_equal(get(f), CTX_ESTORE);          /* not yet due */
    advance(f, 1);
    assert_int_equal(get(f), APR_NOTFOUND);
    assert_false(ctx_store_health_down(f->h));
    assert_int_equal(ctx_store_health_counts(f->h).probes, 2);
    assert_int_equal(unit_log_count_matching(CTX_LOG_NOTICE, "back after",
                                             "2 s", NULL), 1);
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 1);
}

static void test_health_dead_server_miss_is_never_an_empty_session(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fixture_t *f = fixture(p);
    ctx_keyring_t *kr = ctx_keyring_create(p);
    ctx_session_store_t ss;
    ctx_session_store_state_t st;
    ctx_journal_t *j = ctx_journal_create(p);
    ctx_sstore_cookie_t ck;
    json_t *d = NULL;
    char cookie[CTX_SID_COOKIE_LEN + 1];

    assert_int_equal(ctx_keyring_add(kr, "k3y", 3), APR_SUCCESS);
    memset(&ss, 0, sizeof(ss));
    ss.store = f->st;
    ss.keys = kr;
    ss.app_name = "shop";
    ss.cookie_name = "session";
    ss.format = CTX_FORMAT_SIGNED;
    ss.max_age = 3600;
    ss.max_size = 4096;
    assert_int_equal(ctx_session_store_load(&ss, p, NULL, 0,
                                            apr_time_sec(f->now), &st, &d),
                     APR_SUCCESS);
    assert_int_equal(ctx_journal_set(j, "user", "\"alice\"", 7), APR_SUCCESS);
    assert_int_equal(ctx_session_store_save(&ss, p, &st, j,
                                            apr_time_sec(f->now), &ck),
                     APR_SUCCESS);
    strcpy(cookie, st.sid.cookie);
    /* Redis stops: the first call fails, then apr_redis answers every get
     * with a miss (server marked dead) and fails every set. */
    ctx_store_mem_fail(f->mem, CTX_STORE_MEM_ALL, APR_ECONNREFUSED);
    assert_int_equal(ctx_session_store_load(&ss, p, cookie, strlen(cookie),
                                            apr_time_sec(f->now), &st, &d),
                     CTX_ESTORE);
    ctx_store_mem_fail(f->mem, CTX_STORE_MEM_GET, APR_NOTFOUND);
    for (int i = 0; i < 5; ++i) {
        advance(f, CTX_STORE_HEALTH_PROBE);
        ctx_store_mem_fail(f->mem, CTX_STORE_MEM_GET, APR_NOTFOUND);
        /* the probe's set fails as the server is still dead */
        ctx_store_mem_fail(f->mem, CTX_STORE_MEM_ALL & ~CTX_STORE_MEM_GET,
                           APR_ECONNREFUSED);
        assert_int_equal(ctx_session_store_load(&ss, p, cookie,
                                                strlen(cookie),
                                                apr_time_sec(f->now), &st,
                                                &d), CTX_ESTORE);
        assert_null(d);
    }
    /* Redis is back: the session is there again, no restart. */
    ctx_store_mem_fail(f->mem, 0, APR_SUCCESS);
    advance(f, CTX_STORE_HEALTH_PROBE);
    assert_int_equal(ctx_session_store_load(&ss, p, cookie, strlen(cookie),
                                            apr_time_sec(f->now), &st, &d),
                     APR_SUCCESS);
    assert_non_null(d);
    assert_string_equal(json_string_value(json_object_get(d, "user")),
                        "alice");
    json_decref(d);
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 1);
}

/* A store whose get fails after letting one more get through the wrapper
 * first: two requests that both passed while the store was up, failing
 * one after the other. */
typedef struct {
    const ctx_store_t *outer;
    apr_pool_t *p;
    int depth;
} racing_t;

static apr_status_t racing_get(void *baton, const char *key, apr_size_t klen,
                               unsigned char *buf, apr_size_t *len,
                               apr_pool_t *p)
{
    racing_t *r = baton;

    if (r->depth++ == 0) {
        const unsigned char *v;
        apr_size_t n;

        ctx_store_get(r->outer, r->p, KEY, 64, &v, &n);
    }
    return APR_ECONNREFUSED;
}

static apr_status_t racing_set(void *baton, const char *key, apr_size_t klen,
                               const unsigned char *val, apr_size_t vlen,
                               apr_time_t expiry, apr_pool_t *p)
{
    return APR_ECONNREFUSED;
}

static apr_status_t racing_remove(void *baton, const char *key,
                                  apr_size_t klen, apr_pool_t *p)
{
    return APR_ECONNREFUSED;
}

static void test_health_concurrent_failures_log_the_outage_once(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    static const ctx_store_ops_t ops = { "racing", racing_get, racing_set,
                                         racing_remove };
    racing_t r = { NULL, p, 0 };
    ctx_store_t inner = { &ops, &r };
    ctx_store_health_t *h = ctx_store_health_create(p, &inner, "racing");
    const unsigned char *v;
    apr_size_t n;

    r.outer = ctx_store_health_store(h);
    assert_int_equal(ctx_store_get(r.outer, p, KEY, 64, &v, &n), CTX_ESTORE);
    assert_int_equal(r.depth, 2);
    assert_int_equal(ctx_store_health_counts(h).failures, 2);
    assert_int_equal(ctx_store_health_counts(h).outages, 1);
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 1);
}

static void test_health_refuses_bad_arguments(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_store_t empty = { NULL, NULL };

    assert_null(ctx_store_health_create(p, NULL, "x"));
    assert_null(ctx_store_health_create(p, &empty, "x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_health_passes_calls_through_while_up),
        UNIT_TEST(test_health_misses_and_oversized_items_are_not_outages),
        UNIT_TEST(test_health_outage_is_logged_once_and_counted),
        UNIT_TEST(test_health_down_store_is_not_called_between_probes),
        UNIT_TEST(test_health_probes_once_per_interval_then_recovers),
        UNIT_TEST(test_health_dead_server_miss_is_never_an_empty_session),
        UNIT_TEST(test_health_concurrent_failures_log_the_outage_once),
        UNIT_TEST(test_health_refuses_bad_arguments),
    };

    return UNIT_RUN(tests);
}

/* Unit tests of ctx_app: apps, their configuration, per-process resources
 * and the per-thread app stack. */
#include "unit.h"

#include <apr_hash.h>
#include <apr_time.h>

#include "ctx_app.h"

/* The app stack is per thread and the main thread runs every test: empty
 * it after each one. */
static int app_teardown(void **state)
{
    while (ctx_app_pop(NULL) == APR_SUCCESS) {
    }
    return unit_teardown(state);
}

#define APP_TEST(f) cmocka_unit_test_setup_teardown(f, unit_setup, app_teardown)

/* ---- resources: a counting constructor and destructor -------------------- */

typedef struct {
    int ctor_calls;             /* updated atomically */
    int fail_next;              /* constructor returns this once if set */
    int dtor_calls;
    void *dtor_res;             /* what the destructor got */
    void *dtor_baton;
    ctx_app_t *ctor_app;
    apr_pool_t *ctor_pool;
    apr_interval_time_t ctor_sleep;
    int *order_log;             /* shared order log (several resources) */
    int *order_n;
    int id;
} res_t;

static apr_status_t res_ctor(void **res, ctx_app_t *app, apr_pool_t *p,
                             void *baton)
{
    res_t *r = baton;
    apr_status_t rv;

    __atomic_add_fetch(&r->ctor_calls, 1, __ATOMIC_SEQ_CST);
    if (r->ctor_sleep) {
        apr_sleep(r->ctor_sleep);
    }
    if ((rv = r->fail_next) != APR_SUCCESS) {
        r->fail_next = APR_SUCCESS;
        return rv;
    }
    r->ctor_app = app;
    r->ctor_pool = p;
    *res = apr_pcalloc(p, 64);  /* a fresh object per construction */
    return APR_SUCCESS;
}

static void res_dtor(void *res, void *baton)
{
    res_t *r = baton;

    r->dtor_calls++;
    r->dtor_res = res;
    r->dtor_baton = baton;
    if (r->order_log) {
        r->order_log[(*r->order_n)++] = r->id;
    }
}

/* ---- name and configuration ---------------------------------------------- */

static void test_app_name_is_copied(void **state)
{
    char name[] = "www.example.com";
    ctx_app_t *app = ctx_app_create(UNIT_POOL(state), name, NULL);

    assert_non_null(app);
    memset(name, 'X', sizeof(name) - 1);
    assert_string_equal(ctx_app_name(app), "www.example.com");
}

static void test_app_config_get_returns_values(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_hash_t *conf = apr_hash_make(p);
    ctx_app_t *app;

    apr_hash_set(conf, "SECRET", APR_HASH_KEY_STRING, "s3cr3t");
    apr_hash_set(conf, "debug", APR_HASH_KEY_STRING, "on");
    app = ctx_app_create(p, "app", conf);
    assert_string_equal(ctx_app_config_get(app, "SECRET"), "s3cr3t");
    assert_string_equal(ctx_app_config_get(app, "debug"), "on");
    assert_null(ctx_app_config_get(app, "missing"));
    assert_null(ctx_app_config_get(app, "secret"));     /* case matters */
    assert_int_equal(apr_hash_count(ctx_app_config(app)), 2);
}

static void test_app_config_is_copied_at_create(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_hash_t *conf = apr_hash_make(p);
    ctx_app_t *app;

    apr_hash_set(conf, "a", APR_HASH_KEY_STRING, "1");
    app = ctx_app_create(p, "app", conf);
    assert_ptr_not_equal(ctx_app_config(app), conf);
    apr_hash_set(conf, "b", APR_HASH_KEY_STRING, "2");
    apr_hash_set(conf, "a", APR_HASH_KEY_STRING, "changed");
    assert_null(ctx_app_config_get(app, "b"));
    assert_string_equal(ctx_app_config_get(app, "a"), "1");
    apr_hash_set(conf, "a", APR_HASH_KEY_STRING, NULL);
    assert_string_equal(ctx_app_config_get(app, "a"), "1");
    assert_int_equal(apr_hash_count(ctx_app_config(app)), 1);
}

/* "its own copy of config", values that "live as long as the app": the
 * app must not depend on the memory the caller's keys and values are in. */
static void test_app_config_strings_do_not_borrow_callers_memory(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_hash_t *conf = apr_hash_make(p);
    char key[] = "dsn", val[] = "postgres://db";
    ctx_app_t *app;

    apr_hash_set(conf, key, APR_HASH_KEY_STRING, val);
    app = ctx_app_create(p, "app", conf);
    memset(key, 'X', sizeof(key) - 1);
    memset(val, 'Y', sizeof(val) - 1);
    assert_non_null(ctx_app_config_get(app, "dsn"));
    assert_string_equal(ctx_app_config_get(app, "dsn"), "postgres://db");
}

static void test_app_null_config_is_empty(void **state)
{
    ctx_app_t *app = ctx_app_create(UNIT_POOL(state), "app", NULL);

    assert_non_null(ctx_app_config(app));
    assert_int_equal(apr_hash_count(ctx_app_config(app)), 0);
    assert_null(ctx_app_config_get(app, "anything"));
}

static void test_app_null_arguments_of_accessors(void **state)
{
    ctx_app_t *app = ctx_app_create(UNIT_POOL(state), "app", NULL);

    assert_null(ctx_app_name(NULL));
    assert_null(ctx_app_config(NULL));
    assert_null(ctx_app_config_get(NULL, "k"));
    assert_null(ctx_app_config_get(app, NULL));
}

/* ---- resources ----------------------------------------------------------- */

static void test_app_resource_before_child_init_is_einit(void **state)
{
    ctx_app_t *app = ctx_app_create(UNIT_POOL(state), "app", NULL);
    res_t r = {0};
    void *res = &r;

    assert_int_equal(ctx_app_resource(app, "db", res_ctor, res_dtor, &r, &res),
                     APR_EINIT);
    assert_int_equal(r.ctor_calls, 0);
    assert_ptr_equal(res, &r);
}

static void test_app_resource_null_arguments_are_einval(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    res_t r = {0};
    void *res = NULL;

    assert_int_equal(ctx_app_child_init(app, unit_subpool(p)), APR_SUCCESS);
    assert_int_equal(ctx_app_resource(NULL, "db", res_ctor, res_dtor, &r, &res),
                     APR_EINVAL);
    assert_int_equal(ctx_app_resource(app, NULL, res_ctor, res_dtor, &r, &res),
                     APR_EINVAL);
    assert_int_equal(ctx_app_resource(app, "db", NULL, res_dtor, &r, &res),
                     APR_EINVAL);
    assert_int_equal(ctx_app_resource(app, "db", res_ctor, res_dtor, &r, NULL),
                     APR_EINVAL);
    assert_int_equal(r.ctor_calls, 0);
}

static void test_app_child_init_null_arguments_are_einval(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    res_t r = {0};
    void *res;

    assert_int_equal(ctx_app_child_init(NULL, p), APR_EINVAL);
    assert_int_equal(ctx_app_child_init(app, NULL), APR_EINVAL);
    /* ...and the app stays uninitialized. */
    assert_int_equal(ctx_app_resource(app, "db", res_ctor, res_dtor, &r, &res),
                     APR_EINIT);
}

static void test_app_resource_created_once_and_shared(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    apr_pool_t *pchild = unit_subpool(p);
    res_t r = {0};
    void *res1 = NULL, *res2 = NULL;

    assert_int_equal(ctx_app_child_init(app, pchild), APR_SUCCESS);
    assert_int_equal(ctx_app_resource(app, "db", res_ctor, res_dtor, &r, &res1),
                     APR_SUCCESS);
    assert_non_null(res1);
    assert_int_equal(ctx_app_resource(app, "db", res_ctor, res_dtor, &r, &res2),
                     APR_SUCCESS);
    assert_ptr_equal(res2, res1);
    assert_int_equal(r.ctor_calls, 1);
    assert_int_equal(r.dtor_calls, 0);
    apr_pool_destroy(pchild);   /* before `r` goes out of scope */
    assert_int_equal(r.dtor_calls, 1);
}

static void test_app_resource_ctor_gets_app_baton_and_process_pool(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_pool_t *pchild = unit_subpool(p);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    res_t r = {0};
    void *res = NULL;

    assert_int_equal(ctx_app_child_init(app, pchild), APR_SUCCESS);
    assert_int_equal(ctx_app_resource(app, "db", res_ctor, res_dtor, &r, &res),
                     APR_SUCCESS);
    assert_ptr_equal(r.ctor_app, app);
    assert_non_null(r.ctor_pool);
    /* "resources live in a sub-pool of pchild". */
    assert_ptr_not_equal(r.ctor_pool, pchild);
    assert_true(apr_pool_is_ancestor(pchild, r.ctor_pool));
    apr_pool_destroy(pchild);   /* before `r` goes out of scope */
}

static void test_app_resources_are_per_name(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    apr_pool_t *pchild = unit_subpool(p);
    res_t ra = {0}, rb = {0};
    void *a = NULL, *b = NULL;

    assert_int_equal(ctx_app_child_init(app, pchild), APR_SUCCESS);
    assert_int_equal(ctx_app_resource(app, "a", res_ctor, res_dtor, &ra, &a),
                     APR_SUCCESS);
    assert_int_equal(ctx_app_resource(app, "b", res_ctor, res_dtor, &rb, &b),
                     APR_SUCCESS);
    assert_ptr_not_equal(a, b);
    assert_int_equal(ra.ctor_calls, 1);
    assert_int_equal(rb.ctor_calls, 1);
    apr_pool_destroy(pchild);   /* before `ra`, `rb` go out of scope */
    assert_int_equal(ra.dtor_calls, 1);
    assert_ptr_equal(ra.dtor_res, a);
    assert_int_equal(rb.dtor_calls, 1);
    assert_ptr_equal(rb.dtor_res, b);
}

static void test_app_resources_are_per_app(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_pool_t *pchild = unit_subpool(p);
    ctx_app_t *app1 = ctx_app_create(p, "one", NULL);
    ctx_app_t *app2 = ctx_app_create(p, "two", NULL);
    res_t r = {0};
    void *a = NULL, *b = NULL;

    assert_int_equal(ctx_app_child_init(app1, pchild), APR_SUCCESS);
    assert_int_equal(ctx_app_child_init(app2, pchild), APR_SUCCESS);
    assert_int_equal(ctx_app_resource(app1, "db", res_ctor, res_dtor, &r, &a),
                     APR_SUCCESS);
    assert_int_equal(ctx_app_resource(app2, "db", res_ctor, res_dtor, &r, &b),
                     APR_SUCCESS);
    assert_ptr_not_equal(a, b);
    assert_int_equal(r.ctor_calls, 2);
    apr_pool_destroy(pchild);   /* before `r` goes out of scope */
    assert_int_equal(r.dtor_calls, 2);
}

static void test_app_resource_ctor_error_is_returned_and_next_call_retries(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_pool_t *pchild = unit_subpool(p);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    res_t r = {0};
    void *res = NULL;

    assert_int_equal(ctx_app_child_init(app, pchild), APR_SUCCESS);
    r.fail_next = APR_ECONNREFUSED;
    assert_int_equal(ctx_app_resource(app, "db", res_ctor, res_dtor, &r, &res),
                     APR_ECONNREFUSED);
    assert_int_equal(r.ctor_calls, 1);
    assert_int_equal(ctx_app_resource(app, "db", res_ctor, res_dtor, &r, &res),
                     APR_SUCCESS);
    assert_int_equal(r.ctor_calls, 2);
    assert_non_null(res);
    /* The failed attempt stored nothing: one destructor call, for the one
     * resource that exists. */
    apr_pool_destroy(pchild);
    assert_int_equal(r.dtor_calls, 1);
    assert_ptr_equal(r.dtor_res, res);
}

static void test_app_resource_destroyed_when_child_pool_destroyed(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_pool_t *pchild = unit_subpool(p);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    res_t r = {0};
    void *res = NULL;

    assert_int_equal(ctx_app_child_init(app, pchild), APR_SUCCESS);
    assert_int_equal(ctx_app_resource(app, "db", res_ctor, res_dtor, &r, &res),
                     APR_SUCCESS);
    assert_int_equal(ctx_app_resource(app, "db", res_ctor, res_dtor, &r, &res),
                     APR_SUCCESS);
    assert_int_equal(r.dtor_calls, 0);
    apr_pool_destroy(pchild);
    assert_int_equal(r.dtor_calls, 1);
    assert_ptr_equal(r.dtor_res, res);
    assert_ptr_equal(r.dtor_baton, &r);
}

static void test_app_resources_destroyed_in_reverse_creation_order(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_pool_t *pchild = unit_subpool(p);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    int order[3], n = 0;
    res_t r1 = {0}, r2 = {0}, r3 = {0};
    void *res;

    r1.id = 1, r2.id = 2, r3.id = 3;
    r1.order_log = r2.order_log = r3.order_log = order;
    r1.order_n = r2.order_n = r3.order_n = &n;
    assert_int_equal(ctx_app_child_init(app, pchild), APR_SUCCESS);
    assert_int_equal(ctx_app_resource(app, "b", res_ctor, res_dtor, &r1, &res),
                     APR_SUCCESS);
    assert_int_equal(ctx_app_resource(app, "c", res_ctor, res_dtor, &r2, &res),
                     APR_SUCCESS);
    assert_int_equal(ctx_app_resource(app, "a", res_ctor, res_dtor, &r3, &res),
                     APR_SUCCESS);
    apr_pool_destroy(pchild);
    assert_int_equal(n, 3);
    assert_int_equal(order[0], 3);
    assert_int_equal(order[1], 2);
    assert_int_equal(order[2], 1);
}

static void test_app_resource_without_destructor(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_pool_t *pchild = unit_subpool(p);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    res_t r = {0};
    void *res = NULL;

    assert_int_equal(ctx_app_child_init(app, pchild), APR_SUCCESS);
    assert_int_equal(ctx_app_resource(app, "db", res_ctor, NULL, &r, &res),
                     APR_SUCCESS);
    assert_non_null(res);
    apr_pool_destroy(pchild);
    assert_int_equal(r.dtor_calls, 0);
}

/* Several threads race for the same resource: one construction, one object. */
enum { RACERS = 8 };

typedef struct {
    ctx_app_t *app;
    res_t *r;
    pthread_barrier_t *start;
    apr_status_t rv;
    void *res;
} racer_t;

static void *racer(void *arg)
{
    racer_t *rc = arg;

    pthread_barrier_wait(rc->start);
    rc->rv = ctx_app_resource(rc->app, "shared", res_ctor, res_dtor, rc->r,
                              &rc->res);
    return NULL;
}

static void test_app_resource_created_once_under_concurrency(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_pool_t *pchild = unit_subpool(p);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    res_t r = {0};
    racer_t rc[RACERS];
    pthread_t t[RACERS];
    pthread_barrier_t start;

    /* A slow constructor widens the window in which the others arrive. */
    r.ctor_sleep = apr_time_from_msec(50);
    assert_int_equal(ctx_app_child_init(app, pchild), APR_SUCCESS);
    assert_int_equal(pthread_barrier_init(&start, NULL, RACERS), 0);
    for (int i = 0; i < RACERS; ++i) {
        rc[i] = (racer_t){ app, &r, &start, APR_EGENERAL, NULL };
        assert_int_equal(pthread_create(&t[i], NULL, racer, &rc[i]), 0);
    }
    for (int i = 0; i < RACERS; ++i) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
    }
    pthread_barrier_destroy(&start);
    assert_int_equal(r.ctor_calls, 1);
    for (int i = 0; i < RACERS; ++i) {
        assert_int_equal(rc[i].rv, APR_SUCCESS);
        assert_non_null(rc[i].res);
        assert_ptr_equal(rc[i].res, rc[0].res);
    }
    apr_pool_destroy(pchild);
    assert_int_equal(r.dtor_calls, 1);
}

/* ---- the per-thread app stack -------------------------------------------- */

static void test_app_top_is_null_when_nothing_pushed(void **state)
{
    assert_null(ctx_app_top());
}

static void test_app_push_makes_top_and_pop_restores(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_app_t *a = ctx_app_create(p, "a", NULL);
    ctx_app_t *b = ctx_app_create(p, "b", NULL);

    assert_int_equal(ctx_app_push(a), APR_SUCCESS);
    assert_ptr_equal(ctx_app_top(), a);
    assert_int_equal(ctx_app_push(b), APR_SUCCESS);
    assert_ptr_equal(ctx_app_top(), b);
    assert_int_equal(ctx_app_pop(b), APR_SUCCESS);
    assert_ptr_equal(ctx_app_top(), a);
    assert_int_equal(ctx_app_pop(a), APR_SUCCESS);
    assert_null(ctx_app_top());
}

static void test_app_same_app_may_be_pushed_twice(void **state)
{
    ctx_app_t *a = ctx_app_create(UNIT_POOL(state), "a", NULL);

    assert_int_equal(ctx_app_push(a), APR_SUCCESS);
    assert_int_equal(ctx_app_push(a), APR_SUCCESS);
    assert_int_equal(ctx_app_pop(a), APR_SUCCESS);
    assert_ptr_equal(ctx_app_top(), a);
    assert_int_equal(ctx_app_pop(a), APR_SUCCESS);
    assert_null(ctx_app_top());
}

static void test_app_push_null_is_einval(void **state)
{
    ctx_app_t *a = ctx_app_create(UNIT_POOL(state), "a", NULL);

    assert_int_equal(ctx_app_push(NULL), APR_EINVAL);
    assert_null(ctx_app_top());
    assert_int_equal(ctx_app_push(a), APR_SUCCESS);
    assert_int_equal(ctx_app_push(NULL), APR_EINVAL);
    assert_ptr_equal(ctx_app_top(), a);
}

static void test_app_push_beyond_max_is_enospc(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_app_t *apps[CTX_APP_STACK_MAX + 1];

    for (int i = 0; i <= CTX_APP_STACK_MAX; ++i) {
        apps[i] = ctx_app_create(p, apr_psprintf(p, "app%d", i), NULL);
    }
    for (int i = 0; i < CTX_APP_STACK_MAX; ++i) {
        assert_int_equal(ctx_app_push(apps[i]), APR_SUCCESS);
    }
    assert_int_equal(ctx_app_push(apps[CTX_APP_STACK_MAX]), APR_ENOSPC);
    assert_ptr_equal(ctx_app_top(), apps[CTX_APP_STACK_MAX - 1]);
    /* The stack is intact: it unwinds in order. */
    for (int i = CTX_APP_STACK_MAX - 1; i >= 0; --i) {
        assert_ptr_equal(ctx_app_top(), apps[i]);
        assert_int_equal(ctx_app_pop(apps[i]), APR_SUCCESS);
    }
    assert_int_equal(ctx_app_pop(NULL), APR_EOF);
    /* Room again. */
    assert_int_equal(ctx_app_push(apps[CTX_APP_STACK_MAX]), APR_SUCCESS);
}

static void test_app_pop_empty_is_eof(void **state)
{
    ctx_app_t *a = ctx_app_create(UNIT_POOL(state), "a", NULL);

    assert_int_equal(ctx_app_pop(NULL), APR_EOF);
    assert_int_equal(ctx_app_pop(a), APR_EOF);
    assert_int_equal(ctx_app_push(a), APR_SUCCESS);
    assert_int_equal(ctx_app_pop(NULL), APR_SUCCESS);
    assert_int_equal(ctx_app_pop(NULL), APR_EOF);
}

static void test_app_pop_wrong_app_is_einval(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_app_t *a = ctx_app_create(p, "a", NULL);
    ctx_app_t *b = ctx_app_create(p, "b", NULL);

    assert_int_equal(ctx_app_push(a), APR_SUCCESS);
    assert_int_equal(ctx_app_push(b), APR_SUCCESS);
    /* a is on the stack, but not on top: nothing is popped. */
    assert_int_equal(ctx_app_pop(a), APR_EINVAL);
    assert_ptr_equal(ctx_app_top(), b);
    assert_int_equal(ctx_app_pop(b), APR_SUCCESS);
    assert_ptr_equal(ctx_app_top(), a);
}

static void test_app_pop_null_pops_whatever_is_on_top(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_app_t *a = ctx_app_create(p, "a", NULL);
    ctx_app_t *b = ctx_app_create(p, "b", NULL);

    assert_int_equal(ctx_app_push(a), APR_SUCCESS);
    assert_int_equal(ctx_app_push(b), APR_SUCCESS);
    assert_int_equal(ctx_app_pop(NULL), APR_SUCCESS);
    assert_ptr_equal(ctx_app_top(), a);
}

typedef struct {
    ctx_app_t *push;
    ctx_app_t *top_before;
    ctx_app_t *top_after;
    apr_status_t pop_rv;
} stack_probe_t;

static void *stack_probe(void *arg)
{
    stack_probe_t *sp = arg;

    sp->top_before = ctx_app_top();
    sp->pop_rv = ctx_app_pop(NULL);
    ctx_app_push(sp->push);
    sp->top_after = ctx_app_top();
    return NULL;
}

static void test_app_stack_is_per_thread(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_app_t *a = ctx_app_create(p, "a", NULL);
    ctx_app_t *b = ctx_app_create(p, "b", NULL);
    stack_probe_t sp = { b, a, NULL, APR_SUCCESS };

    assert_int_equal(ctx_app_push(a), APR_SUCCESS);
    unit_run_thread(stack_probe, &sp);
    assert_null(sp.top_before);
    assert_int_equal(sp.pop_rv, APR_EOF);
    assert_ptr_equal(sp.top_after, b);
    assert_ptr_equal(ctx_app_top(), a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        APP_TEST(test_app_name_is_copied),
        APP_TEST(test_app_config_get_returns_values),
        APP_TEST(test_app_config_is_copied_at_create),
        APP_TEST(test_app_config_strings_do_not_borrow_callers_memory),
        APP_TEST(test_app_null_config_is_empty),
        APP_TEST(test_app_null_arguments_of_accessors),
        APP_TEST(test_app_resource_before_child_init_is_einit),
        APP_TEST(test_app_resource_null_arguments_are_einval),
        APP_TEST(test_app_child_init_null_arguments_are_einval),
        APP_TEST(test_app_resource_created_once_and_shared),
        APP_TEST(test_app_resource_ctor_gets_app_baton_and_process_pool),
        APP_TEST(test_app_resources_are_per_name),
        APP_TEST(test_app_resources_are_per_app),
        APP_TEST(test_app_resource_ctor_error_is_returned_and_next_call_retries),
        APP_TEST(test_app_resource_destroyed_when_child_pool_destroyed),
        APP_TEST(test_app_resources_destroyed_in_reverse_creation_order),
        APP_TEST(test_app_resource_without_destructor),
        APP_TEST(test_app_resource_created_once_under_concurrency),
        APP_TEST(test_app_top_is_null_when_nothing_pushed),
        APP_TEST(test_app_push_makes_top_and_pop_restores),
        APP_TEST(test_app_same_app_may_be_pushed_twice),
        APP_TEST(test_app_push_null_is_einval),
        APP_TEST(test_app_push_beyond_max_is_enospc),
        APP_TEST(test_app_pop_empty_is_eof),
        APP_TEST(test_app_pop_wrong_app_is_einval),
        APP_TEST(test_app_pop_null_pops_whatever_is_on_top),
        APP_TEST(test_app_stack_is_per_thread),
    };

    return UNIT_RUN(tests);
}

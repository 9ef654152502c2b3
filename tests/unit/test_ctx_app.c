/* Unit tests of ctx_app: apps, their configuration, per-process resources
 * and the per-thread app stack. */
#include "unit.h"

#include <apr_hash.h>
#include <apr_time.h>
#include <time.h>

#include "ctx_app.h"
#include "ctx_status.h"

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

/* ---- constructors that use other resources, slow and failing ones -------- */

/* ctx_app_resource() on a thread of its own, so that a test that would hang
 * fails instead: call_within() gives up after `ms`. A call that hangs keeps
 * its (leaked) record and leaves the app's lock in an unknown state: the
 * test must then not destroy the pools involved. */
typedef struct {
    ctx_app_t *app;
    const char *name;
    ctx_resource_ctor *ctor;
    ctx_resource_dtor *dtor;
    void *baton;
    void *res;
    apr_status_t rv;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
    pthread_t thread;
} timed_call_t;

static void *timed_call_main(void *arg)
{
    timed_call_t *tc = arg;
    apr_status_t rv;

    rv = ctx_app_resource(tc->app, tc->name, tc->ctor, tc->dtor, tc->baton,
                          &tc->res);
    pthread_mutex_lock(&tc->lock);
    tc->rv = rv;
    tc->done = 1;
    pthread_cond_broadcast(&tc->cond);
    pthread_mutex_unlock(&tc->lock);
    return NULL;
}

static timed_call_t *call_start(ctx_app_t *app, const char *name,
                                ctx_resource_ctor *ctor,
                                ctx_resource_dtor *dtor, void *baton)
{
    timed_call_t *tc = calloc(1, sizeof(*tc));

    assert_non_null(tc);
    tc->app = app;
    tc->name = name;
    tc->ctor = ctor;
    tc->dtor = dtor;
    tc->baton = baton;
    tc->rv = APR_EGENERAL;
    pthread_mutex_init(&tc->lock, NULL);
    pthread_cond_init(&tc->cond, NULL);
    assert_int_equal(pthread_create(&tc->thread, NULL, timed_call_main, tc),
                     0);
    return tc;
}

/* 1 if the call returned within `ms` (tc is freed, its result copied to
 * *rv and *res), 0 if it still hangs (tc is leaked with its thread). */
static int call_end(timed_call_t *tc, int ms, apr_status_t *rv, void **res)
{
    struct timespec until;
    int done;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec += 1;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&tc->lock);
    while (!tc->done) {
        if (pthread_cond_timedwait(&tc->cond, &tc->lock, &until) != 0) {
            break;
        }
    }
    done = tc->done;
    pthread_mutex_unlock(&tc->lock);
    if (!done) {
        pthread_detach(tc->thread);
        return 0;
    }
    pthread_join(tc->thread, NULL);
    if (rv) {
        *rv = tc->rv;
    }
    if (res) {
        *res = tc->res;
    }
    pthread_cond_destroy(&tc->cond);
    pthread_mutex_destroy(&tc->lock);
    free(tc);
    return 1;
}

static int call_within(ctx_app_t *app, const char *name,
                       ctx_resource_ctor *ctor, ctx_resource_dtor *dtor,
                       void *baton, int ms, apr_status_t *rv, void **res)
{
    return call_end(call_start(app, name, ctor, dtor, baton), ms, rv, res);
}

/* A pool of the test's own, not the test's state pool: a test that sees a
 * hang leaves threads blocked on the app's lock, so it must leave the app
 * and its pools alone (leaked) rather than have the teardown free them. */
static apr_pool_t *own_pool(void **state)
{
    apr_pool_t *p = NULL;

    (void)state;
    assert_int_equal(apr_pool_create(&p, NULL), APR_SUCCESS);
    return p;
}

/* A constructor that asks for another resource (or, with a cycle, for
 * itself), as a connection pool reads a "config" resource. */
typedef struct {
    const char *inner_name;     /* what the constructor asks for */
    ctx_resource_ctor *inner_ctor;
    void *inner_baton;
    void *inner_res;
    apr_status_t inner_rv;
    int calls;
    int *order_log;
    int *order_n;
    int id;
} user_t;

static apr_status_t user_ctor(void **res, ctx_app_t *app, apr_pool_t *p,
                              void *baton)
{
    user_t *u = baton;

    u->calls++;
    /* res_dtor only goes with res_ctor's res_t baton. */
    u->inner_rv = ctx_app_resource(app, u->inner_name, u->inner_ctor,
                                   u->inner_ctor == res_ctor ? res_dtor : NULL,
                                   u->inner_baton, &u->inner_res);
    if (u->inner_rv != APR_SUCCESS) {
        return u->inner_rv;
    }
    *res = apr_pcalloc(p, 16);
    return APR_SUCCESS;
}

static void user_dtor(void *res, void *baton)
{
    user_t *u = baton;

    (void)res;
    if (u->order_log) {
        u->order_log[(*u->order_n)++] = u->id;
    }
}

static void test_app_resource_ctor_may_ask_for_another_resource(void **state)
{
    apr_pool_t *p = own_pool(state);
    apr_pool_t *pchild = unit_subpool(p);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    res_t config = {0};
    user_t pool = { "config", res_ctor, &config, NULL, APR_EGENERAL, 0,
                    NULL, NULL, 0 };
    void *res = NULL, *again = NULL;
    apr_status_t rv = APR_EGENERAL;

    assert_int_equal(ctx_app_child_init(app, pchild), APR_SUCCESS);
    if (!call_within(app, "pool", user_ctor, NULL, &pool, 3000, &rv, &res)) {
        fail_msg("ctx_app_resource() hangs when a constructor asks for "
                 "another resource");
    }
    assert_int_equal(rv, APR_SUCCESS);
    assert_non_null(res);
    assert_int_equal(pool.inner_rv, APR_SUCCESS);
    assert_int_equal(config.ctor_calls, 1);
    /* The inner resource is an ordinary one: found without a new ctor. */
    assert_int_equal(ctx_app_resource(app, "config", res_ctor, res_dtor,
                                      &config, &again), APR_SUCCESS);
    assert_ptr_equal(again, pool.inner_res);
    assert_int_equal(config.ctor_calls, 1);
    apr_pool_destroy(pchild);
    assert_int_equal(config.dtor_calls, 1);
    apr_pool_destroy(p);
}

static void test_app_resource_used_by_another_is_destroyed_after_it(void **state)
{
    apr_pool_t *p = own_pool(state);
    apr_pool_t *pchild = unit_subpool(p);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    int order[2], n = 0;
    res_t config = {0};
    user_t pool = { "config", res_ctor, &config, NULL, APR_EGENERAL, 0,
                    order, &n, 1 };
    timed_call_t *tc;
    apr_status_t rv = APR_EGENERAL;

    config.id = 2;
    config.order_log = order;
    config.order_n = &n;
    assert_int_equal(ctx_app_child_init(app, pchild), APR_SUCCESS);
    /* "pool" begins first, "config" is complete first. */
    tc = call_start(app, "pool", user_ctor, user_dtor, &pool);
    if (!call_end(tc, 3000, &rv, NULL)) {
        fail_msg("ctx_app_resource() hangs when a constructor asks for "
                 "another resource");
    }
    assert_int_equal(rv, APR_SUCCESS);
    apr_pool_destroy(pchild);
    assert_int_equal(n, 2);
    assert_int_equal(order[0], 1);      /* the user first */
    assert_int_equal(order[1], 2);      /* then what it used */
    apr_pool_destroy(p);
}

static void test_app_resource_ctor_asking_for_itself_is_ecycle(void **state)
{
    apr_pool_t *p = own_pool(state);
    apr_pool_t *pchild = unit_subpool(p);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    user_t self = { "self", user_ctor, NULL, NULL, APR_EGENERAL, 0,
                    NULL, NULL, 0 };
    res_t good = {0};
    void *res = NULL;
    apr_status_t rv = APR_SUCCESS;

    self.inner_baton = &self;
    assert_int_equal(ctx_app_child_init(app, pchild), APR_SUCCESS);
    if (!call_within(app, "self", user_ctor, NULL, &self, 3000, &rv, &res)) {
        fail_msg("a constructor asking for itself hangs");
    }
    assert_int_equal(self.calls, 1);    /* not run again for the inner call */
    assert_int_equal(self.inner_rv, CTX_ECYCLE);
    assert_int_equal(rv, CTX_ECYCLE);   /* the ctor passed it on */
    /* Nothing was stored: a later call with a sound constructor builds it. */
    assert_int_equal(ctx_app_resource(app, "self", res_ctor, res_dtor, &good,
                                      &res), APR_SUCCESS);
    assert_int_equal(good.ctor_calls, 1);
    apr_pool_destroy(pchild);
    apr_pool_destroy(p);
}

static void test_app_resource_cycle_through_another_resource_is_ecycle(void **state)
{
    apr_pool_t *p = own_pool(state);
    apr_pool_t *pchild = unit_subpool(p);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    user_t a = { "b", user_ctor, NULL, NULL, APR_EGENERAL, 0, NULL, NULL, 0 };
    user_t b = { "a", user_ctor, NULL, NULL, APR_EGENERAL, 0, NULL, NULL, 0 };
    void *res = NULL;
    apr_status_t rv = APR_SUCCESS;

    a.inner_baton = &b;
    b.inner_baton = &a;
    assert_int_equal(ctx_app_child_init(app, pchild), APR_SUCCESS);
    if (!call_within(app, "a", user_ctor, NULL, &a, 3000, &rv, &res)) {
        fail_msg("a cycle a -> b -> a of constructors hangs");
    }
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.inner_rv, CTX_ECYCLE);
    assert_int_equal(a.inner_rv, CTX_ECYCLE);
    assert_int_equal(rv, CTX_ECYCLE);
    apr_pool_destroy(pchild);
    apr_pool_destroy(p);
}

/* Two threads build "a" and "b" at once; a's constructor asks for b and b's
 * for a: neither may wait for the other for ever. */
typedef struct {
    pthread_barrier_t *both_building;
    const char *other;
    apr_status_t inner_rv;
} crossed_t;

static apr_status_t crossed_ctor(void **res, ctx_app_t *app, apr_pool_t *p,
                                 void *baton)
{
    crossed_t *x = baton;
    void *other = NULL;

    pthread_barrier_wait(x->both_building);
    x->inner_rv = ctx_app_resource(app, x->other, crossed_ctor, NULL, x,
                                   &other);
    if (x->inner_rv != APR_SUCCESS) {
        return x->inner_rv;
    }
    *res = apr_pcalloc(p, 16);
    return APR_SUCCESS;
}

static void test_app_resource_cycle_across_threads_is_ecycle(void **state)
{
    apr_pool_t *p = own_pool(state);
    apr_pool_t *pchild = unit_subpool(p);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    pthread_barrier_t both;
    crossed_t xa = { &both, "b", APR_SUCCESS };
    crossed_t xb = { &both, "a", APR_SUCCESS };
    timed_call_t *ta, *tb;
    apr_status_t rva = APR_SUCCESS, rvb = APR_SUCCESS;
    int enda, endb;

    assert_int_equal(pthread_barrier_init(&both, NULL, 2), 0);
    assert_int_equal(ctx_app_child_init(app, pchild), APR_SUCCESS);
    ta = call_start(app, "a", crossed_ctor, NULL, &xa);
    tb = call_start(app, "b", crossed_ctor, NULL, &xb);
    enda = call_end(ta, 3000, &rva, NULL);
    endb = call_end(tb, 3000, &rvb, NULL);
    if (!enda || !endb) {
        fail_msg("a cycle of constructors on two threads hangs");
    }
    pthread_barrier_destroy(&both);
    /* One of them saw the cycle; the other got that failure back. */
    assert_true(xa.inner_rv == CTX_ECYCLE || xb.inner_rv == CTX_ECYCLE);
    assert_int_equal(rva, CTX_ECYCLE);
    assert_int_equal(rvb, CTX_ECYCLE);
    apr_pool_destroy(pchild);
    apr_pool_destroy(p);
}

/* A constructor that waits (at most 5 s) until the test lets it finish. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int started;
    int released;
} gate_t;

static apr_status_t gated_ctor(void **res, ctx_app_t *app, apr_pool_t *p,
                               void *baton)
{
    gate_t *g = baton;
    struct timespec until;

    (void)app;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&g->lock);
    g->started = 1;
    pthread_cond_broadcast(&g->cond);
    while (!g->released) {
        if (pthread_cond_timedwait(&g->cond, &g->lock, &until) != 0) {
            break;
        }
    }
    pthread_mutex_unlock(&g->lock);
    *res = apr_pcalloc(p, 16);
    return APR_SUCCESS;
}

static void test_app_resource_slow_ctor_does_not_stall_other_lookups(void **state)
{
    apr_pool_t *p = own_pool(state);
    apr_pool_t *pchild = unit_subpool(p);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    gate_t gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                    0, 0 };
    res_t config = {0}, other = {0};
    void *cfg = NULL, *found = NULL, *made = NULL, *db = NULL;
    apr_status_t rv = APR_EGENERAL, rv_other = APR_EGENERAL;
    apr_status_t rv_db = APR_EGENERAL;
    timed_call_t *slow;
    int quick, quick_other;

    assert_int_equal(ctx_app_child_init(app, pchild), APR_SUCCESS);
    assert_int_equal(ctx_app_resource(app, "config", res_ctor, res_dtor,
                                      &config, &cfg), APR_SUCCESS);
    slow = call_start(app, "db", gated_ctor, NULL, &gate);
    pthread_mutex_lock(&gate.lock);
    while (!gate.started) {
        pthread_cond_wait(&gate.cond, &gate.lock);
    }
    pthread_mutex_unlock(&gate.lock);
    /* "db" is being built: an existing resource and a new one are still
     * served at once. */
    quick = call_within(app, "config", res_ctor, res_dtor, &config, 1000,
                        &rv, &found);
    quick_other = call_within(app, "other", res_ctor, res_dtor, &other, 1000,
                              &rv_other, &made);
    pthread_mutex_lock(&gate.lock);
    gate.released = 1;
    pthread_cond_broadcast(&gate.cond);
    pthread_mutex_unlock(&gate.lock);
    assert_true(call_end(slow, 6000, &rv_db, &db));
    assert_true(quick);
    assert_true(quick_other);
    assert_int_equal(rv, APR_SUCCESS);
    assert_ptr_equal(found, cfg);
    assert_int_equal(rv_other, APR_SUCCESS);
    assert_non_null(made);
    assert_int_equal(rv_db, APR_SUCCESS);
    assert_non_null(db);
    apr_pool_destroy(pchild);
    apr_pool_destroy(p);
}

static void test_app_resource_waiters_share_a_failed_attempt(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_pool_t *pchild = unit_subpool(p);
    ctx_app_t *app = ctx_app_create(p, "app", NULL);
    res_t r = {0};
    racer_t rc[RACERS];
    pthread_t t[RACERS];
    pthread_barrier_t start;
    void *res = NULL;

    /* Long enough for every racer to be waiting when it fails. */
    r.ctor_sleep = apr_time_from_msec(300);
    r.fail_next = APR_ECONNREFUSED;
    assert_int_equal(ctx_app_child_init(app, pchild), APR_SUCCESS);
    assert_int_equal(pthread_barrier_init(&start, NULL, RACERS), 0);
    for (int i = 0; i < RACERS; ++i) {
        rc[i] = (racer_t){ app, &r, &start, APR_SUCCESS, NULL };
        assert_int_equal(pthread_create(&t[i], NULL, racer, &rc[i]), 0);
    }
    for (int i = 0; i < RACERS; ++i) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
    }
    pthread_barrier_destroy(&start);
    /* One attempt, its failure for all: not eight connects in a row. */
    assert_int_equal(r.ctor_calls, 1);
    for (int i = 0; i < RACERS; ++i) {
        assert_int_equal(rc[i].rv, APR_ECONNREFUSED);
    }
    /* The next call tries again. */
    r.ctor_sleep = 0;
    assert_int_equal(ctx_app_resource(app, "shared", res_ctor, res_dtor, &r,
                                      &res), APR_SUCCESS);
    assert_int_equal(r.ctor_calls, 2);
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
        APP_TEST(test_app_resource_ctor_may_ask_for_another_resource),
        APP_TEST(test_app_resource_used_by_another_is_destroyed_after_it),
        APP_TEST(test_app_resource_ctor_asking_for_itself_is_ecycle),
        APP_TEST(test_app_resource_cycle_through_another_resource_is_ecycle),
        APP_TEST(test_app_resource_cycle_across_threads_is_ecycle),
        APP_TEST(test_app_resource_slow_ctor_does_not_stall_other_lookups),
        APP_TEST(test_app_resource_waiters_share_a_failed_attempt),
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

/* Unit tests of ctx_context: request contexts, subrequests, redirects. */
#include "unit.h"

#include "ctx_context.h"

/* ---- a fake request ------------------------------------------------------ */

typedef struct {
    int status;
    const char *desc;
    const char *query;
} fake_req_t;

static int fake_status(void *request)
{
    return ((fake_req_t *)request)->status;
}

static const char *fake_describe(void *request)
{
    return ((fake_req_t *)request)->desc;
}

static const char *fake_query(void *request)
{
    return ((fake_req_t *)request)->query;
}

static const ctx_request_ops_t fake_ops = {
    fake_status, fake_describe, fake_query
};

/* Requests live in the test's pool: contexts' pool cleanups read them after
 * the test function returned. */
static fake_req_t *fake_req(apr_pool_t *p, int status, const char *desc,
                            const char *query)
{
    fake_req_t *r = apr_pcalloc(p, sizeof(*r));

    r->status = status;
    r->desc = desc;
    r->query = query;
    return r;
}

/* ---- an event journal: teardown callbacks and g destructors -------------- */

typedef struct {
    int n;
    char events[16][64];
} journal_t;

static void journal_add(journal_t *j, const char *what)
{
    if (j->n < 16) {
        snprintf(j->events[j->n], sizeof(j->events[0]), "%s", what);
    }
    j->n++;
}

static void assert_journal(const journal_t *j, int n, ...)
{
    va_list ap;

    assert_int_equal(j->n, n);
    va_start(ap, n);
    for (int i = 0; i < n; ++i) {
        assert_string_equal(j->events[i], va_arg(ap, const char *));
    }
    va_end(ap);
}

typedef struct {
    journal_t *journal;
    const char *name;
    apr_status_t rv;
    ctx_t *seen_ctx;
    int seen_status;
    const char *seen_g;         /* g's "k" during the callback */
} td_t;

static apr_status_t td_cb(ctx_t *c, int status, void *baton)
{
    td_t *td = baton;
    char buf[64];

    td->seen_ctx = c;
    td->seen_status = status;
    td->seen_g = ctx_gtable_get(ctx_context_g(c), "k");
    snprintf(buf, sizeof(buf), "teardown:%s:%d", td->name, status);
    journal_add(td->journal, buf);
    return td->rv;
}

typedef struct {
    journal_t *journal;
    const char *name;
} gobj_t;

static void gobj_dtor(void *ptr)
{
    gobj_t *o = ptr;
    char buf[64];

    snprintf(buf, sizeof(buf), "g:%s", o->name);
    journal_add(o->journal, buf);
}

/* ---- per-test setup: the main thread serves nothing between tests -------- */

static int context_teardown(void **state)
{
    ctx_context_unbind_thread();
    return unit_teardown(state);
}

#define CONTEXT_TEST(f) \
    cmocka_unit_test_setup_teardown(f, unit_setup, context_teardown)

/* ---- a worker thread that enters contexts and reports ------------------- */

typedef struct {
    ctx_t *enter[3];            /* entered in turn (NULL-terminated) */
    ctx_t *seen;                /* ctx_context_current() after `go` */
    unit_event_t entered, go;
} worker_t;

static void *worker(void *arg)
{
    worker_t *w = arg;

    for (int i = 0; i < 3 && w->enter[i]; ++i) {
        ctx_context_enter(w->enter[i]);
    }
    unit_event_signal(&w->entered);
    unit_event_wait(&w->go);
    w->seen = ctx_context_current();
    return NULL;
}

static void worker_start(worker_t *w, pthread_t *t, ctx_t *c1, ctx_t *c2)
{
    memset(w, 0, sizeof(*w));
    w->enter[0] = c1;
    w->enter[1] = c2;
    unit_event_init(&w->entered);
    unit_event_init(&w->go);
    assert_int_equal(pthread_create(t, NULL, worker, w), 0);
    unit_event_wait(&w->entered);
}

static void worker_finish(worker_t *w, pthread_t t)
{
    unit_event_signal(&w->go);
    assert_int_equal(pthread_join(t, NULL), 0);
    unit_event_destroy(&w->entered);
    unit_event_destroy(&w->go);
}

/* ---- main requests ------------------------------------------------------- */

static void test_context_main_starts_its_own_chain(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fake_req_t *req = fake_req(UNIT_POOL(state), 200, "GET /", NULL);
    ctx_t *c = ctx_context_create_main(p, req, &fake_ops);

    assert_non_null(c);
    assert_int_equal(c->kind, CTX_KIND_MAIN);
    assert_ptr_equal(c->request, req);
    assert_ptr_equal(c->pool, p);
    assert_ptr_equal(c->ops, &fake_ops);
    assert_null(c->outer);
    assert_null(c->glue);
    assert_ptr_equal(ctx_context_main(c), c);
    assert_ptr_equal(ctx_context_latest(c), c);
    assert_non_null(ctx_context_g(c));
    assert_non_null(ctx_context_teardown(c));
    assert_int_equal(ctx_gtable_count(ctx_context_g(c)), 0);
    assert_int_equal(ctx_teardown_pending(ctx_context_teardown(c)), 0);
    assert_null(ctx_context_session(c));
    assert_false(ctx_context_response_started(c));
}

static void test_context_mains_do_not_share_state(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fake_req_t *r1 = fake_req(UNIT_POOL(state), 200, "GET /1", NULL),
               *r2 = fake_req(UNIT_POOL(state), 200, "GET /2", NULL);
    ctx_t *c1 = ctx_context_create_main(p, r1, &fake_ops);
    ctx_t *c2 = ctx_context_create_main(unit_subpool(p), r2, &fake_ops);
    int sess;

    assert_ptr_not_equal(ctx_context_g(c1), ctx_context_g(c2));
    assert_ptr_not_equal(ctx_context_teardown(c1), ctx_context_teardown(c2));
    assert_int_equal(ctx_gtable_set(ctx_context_g(c1), "k", "v"), APR_SUCCESS);
    assert_false(ctx_gtable_has(ctx_context_g(c2), "k"));
    ctx_context_set_session(c1, &sess);
    ctx_context_set_response_started(c1);
    assert_null(ctx_context_session(c2));
    assert_false(ctx_context_response_started(c2));
}

/* ---- binding ------------------------------------------------------------- */

static void test_context_enter_makes_current(void **state)
{
    fake_req_t *req = fake_req(UNIT_POOL(state), 200, "GET /", NULL);
    ctx_t *c = ctx_context_create_main(UNIT_POOL(state), req, &fake_ops);

    assert_null(ctx_context_current());
    ctx_context_enter(c);
    assert_ptr_equal(ctx_context_current(), c);
    assert_non_null(c->slot);
}

static void test_context_enter_another_replaces_current(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fake_req_t *r1 = fake_req(UNIT_POOL(state), 200, "GET /1", NULL),
               *r2 = fake_req(UNIT_POOL(state), 200, "GET /2", NULL);
    ctx_t *c1 = ctx_context_create_main(p, r1, &fake_ops);
    ctx_t *c2 = ctx_context_create_main(unit_subpool(p), r2, &fake_ops);

    ctx_context_enter(c1);
    ctx_context_enter(c2);
    assert_ptr_equal(ctx_context_current(), c2);
    ctx_context_enter(c1);
    assert_ptr_equal(ctx_context_current(), c1);
}

static void test_context_enter_null_makes_current_null(void **state)
{
    fake_req_t *req = fake_req(UNIT_POOL(state), 200, "GET /", NULL);
    ctx_t *c = ctx_context_create_main(UNIT_POOL(state), req, &fake_ops);

    ctx_context_enter(c);
    ctx_context_enter(NULL);
    assert_null(ctx_context_current());
}

static void test_context_unbind_thread_forgets_binding(void **state)
{
    fake_req_t *req = fake_req(UNIT_POOL(state), 200, "GET /", NULL);
    ctx_t *c = ctx_context_create_main(UNIT_POOL(state), req, &fake_ops);

    ctx_context_unbind_thread();        /* nothing bound: harmless */
    assert_null(ctx_context_current());
    ctx_context_enter(c);
    ctx_context_unbind_thread();
    assert_null(ctx_context_current());
    /* c's late end must not bind anything again. */
    ctx_context_leave(c);
    assert_null(ctx_context_current());
}

static void test_context_leave_main_leaves_nothing_current(void **state)
{
    fake_req_t *req = fake_req(UNIT_POOL(state), 200, "GET /", NULL);
    ctx_t *c = ctx_context_create_main(UNIT_POOL(state), req, &fake_ops);

    ctx_context_enter(c);
    ctx_context_leave(c);
    assert_null(ctx_context_current());
    ctx_context_leave(NULL);            /* harmless */
    assert_null(ctx_context_current());
}

static void test_context_leave_of_never_entered_context_changes_nothing(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fake_req_t *r1 = fake_req(UNIT_POOL(state), 200, "GET /1", NULL),
               *r2 = fake_req(UNIT_POOL(state), 200, "GET /2", NULL);
    ctx_t *c1 = ctx_context_create_main(p, r1, &fake_ops);
    ctx_t *c2 = ctx_context_create_main(unit_subpool(p), r2, &fake_ops);

    ctx_context_enter(c1);
    ctx_context_leave(c2);
    assert_ptr_equal(ctx_context_current(), c1);
}

static void test_context_pool_destroy_unbinds_context(void **state)
{
    apr_pool_t *p = unit_subpool(UNIT_POOL(state));
    fake_req_t *req = fake_req(UNIT_POOL(state), 200, "GET /", NULL);
    ctx_t *c = ctx_context_create_main(p, req, &fake_ops);

    ctx_context_enter(c);
    apr_pool_destroy(p);
    assert_null(ctx_context_current());
}

static void test_context_pool_destroy_on_other_thread_releases_only_own_binding(void **state)
{
    apr_pool_t *p = unit_subpool(UNIT_POOL(state));
    fake_req_t *r1 = fake_req(UNIT_POOL(state), 200, "GET /1", NULL),
               *r2 = fake_req(UNIT_POOL(state), 200, "GET /2", NULL);
    ctx_t *c = ctx_context_create_main(p, r1, &fake_ops);
    ctx_t *mine = ctx_context_create_main(UNIT_POOL(state), r2, &fake_ops);
    worker_t w;
    pthread_t t;

    /* The worker served c; this thread (write completion, say) serves
     * another request when c's pool goes. */
    worker_start(&w, &t, c, NULL);
    ctx_context_enter(mine);
    apr_pool_destroy(p);
    assert_ptr_equal(ctx_context_current(), mine);
    worker_finish(&w, t);
    assert_null(w.seen);
}

static void test_context_pool_destroy_on_this_thread_leaves_other_threads_alone(void **state)
{
    apr_pool_t *p = unit_subpool(UNIT_POOL(state));
    fake_req_t *r1 = fake_req(UNIT_POOL(state), 200, "GET /1", NULL),
               *r2 = fake_req(UNIT_POOL(state), 200, "GET /2", NULL);
    ctx_t *c = ctx_context_create_main(p, r1, &fake_ops);
    ctx_t *other = ctx_context_create_main(UNIT_POOL(state), r2, &fake_ops);
    worker_t w;
    pthread_t t;

    ctx_context_enter(c);
    worker_start(&w, &t, other, NULL);
    apr_pool_destroy(p);
    assert_null(ctx_context_current());
    worker_finish(&w, t);
    assert_ptr_equal(w.seen, other);
}

static void test_context_pool_destroy_leaves_newer_binding_alone(void **state)
{
    apr_pool_t *p = unit_subpool(UNIT_POOL(state));
    fake_req_t *r1 = fake_req(UNIT_POOL(state), 200, "GET /1", NULL),
               *r2 = fake_req(UNIT_POOL(state), 200, "GET /2", NULL);
    ctx_t *c = ctx_context_create_main(p, r1, &fake_ops);
    ctx_t *next = ctx_context_create_main(UNIT_POOL(state), r2, &fake_ops);
    worker_t w;
    pthread_t t;

    /* The worker served c, then the next request; c's pool goes late. */
    worker_start(&w, &t, c, next);
    apr_pool_destroy(p);
    worker_finish(&w, t);
    assert_ptr_equal(w.seen, next);
}

static void test_context_leave_from_other_thread_restores_outer_there(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fake_req_t *rm = fake_req(UNIT_POOL(state), 200, "GET /", NULL),
               *rs = fake_req(UNIT_POOL(state), 200, "GET /sub", NULL);
    fake_req_t *rx = fake_req(UNIT_POOL(state), 200, "GET /x", NULL);
    ctx_t *m = ctx_context_create_main(p, rm, &fake_ops);
    ctx_t *s = ctx_context_create_sub(unit_subpool(p), rs, m, m);
    ctx_t *mine = ctx_context_create_main(unit_subpool(p), rx, &fake_ops);
    worker_t w;
    pthread_t t;

    ctx_context_enter(mine);
    worker_start(&w, &t, m, s);
    ctx_context_leave(s);
    assert_ptr_equal(ctx_context_current(), mine);
    worker_finish(&w, t);
    assert_ptr_equal(w.seen, m);
}

/* ---- subrequests --------------------------------------------------------- */

static void test_context_sub_shares_g_and_teardown_but_not_request(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_pool_t *sp = unit_subpool(p);
    fake_req_t *rm = fake_req(UNIT_POOL(state), 200, "GET /", "a=main"),
               *rs = fake_req(UNIT_POOL(state), 200, "GET /s", "a=sub");
    ctx_t *m = ctx_context_create_main(p, rm, &fake_ops);
    ctx_t *s = ctx_context_create_sub(sp, rs, m, m);

    assert_int_equal(s->kind, CTX_KIND_SUB);
    assert_ptr_equal(s->request, rs);
    assert_ptr_equal(s->pool, sp);
    assert_ptr_equal(s->outer, m);
    assert_ptr_equal(ctx_context_g(s), ctx_context_g(m));
    assert_ptr_equal(ctx_context_teardown(s), ctx_context_teardown(m));
    assert_ptr_equal(ctx_context_main(s), m);
    assert_ptr_equal(ctx_context_latest(s), m);
    assert_int_equal(ctx_gtable_set(ctx_context_g(s), "from", "sub"),
                     APR_SUCCESS);
    assert_string_equal(ctx_gtable_get(ctx_context_g(m), "from"), "sub");
    assert_string_equal(ctx_args_get(ctx_context_args(s), "a"), "sub");
    assert_string_equal(ctx_args_get(ctx_context_args(m), "a"), "main");
}

static void test_context_subrequest_end_restores_outer(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fake_req_t *rm = fake_req(UNIT_POOL(state), 200, "GET /", NULL),
               *rs = fake_req(UNIT_POOL(state), 200, "GET /s", NULL);
    ctx_t *m = ctx_context_create_main(p, rm, &fake_ops);
    ctx_t *s;

    ctx_context_enter(m);
    s = ctx_context_create_sub(unit_subpool(p), rs, m, ctx_context_current());
    ctx_context_enter(s);
    assert_ptr_equal(ctx_context_current(), s);
    ctx_context_leave(s);
    assert_ptr_equal(ctx_context_current(), m);
    /* A second end of the same subrequest changes nothing. */
    ctx_context_leave(s);
    assert_ptr_equal(ctx_context_current(), m);
}

static void test_context_subrequest_pool_destroy_restores_outer(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_pool_t *sp = unit_subpool(p);
    fake_req_t *rm = fake_req(UNIT_POOL(state), 200, "GET /", NULL),
               *rs = fake_req(UNIT_POOL(state), 200, "GET /s", NULL);
    ctx_t *m = ctx_context_create_main(p, rm, &fake_ops);
    ctx_t *s = ctx_context_create_sub(sp, rs, m, m);

    ctx_context_enter(m);
    ctx_context_enter(s);
    apr_pool_destroy(sp);
    assert_ptr_equal(ctx_context_current(), m);
}

static void test_context_subrequest_end_when_not_current_changes_nothing(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fake_req_t *rm = fake_req(UNIT_POOL(state), 200, "GET /", NULL),
               *rs = fake_req(UNIT_POOL(state), 200, "GET /s", NULL);
    ctx_t *m = ctx_context_create_main(p, rm, &fake_ops);
    ctx_t *s = ctx_context_create_sub(unit_subpool(p), rs, m, m);

    ctx_context_enter(m);
    ctx_context_enter(s);
    ctx_context_enter(m);       /* the main request's next phase re-binds */
    ctx_context_leave(s);
    assert_ptr_equal(ctx_context_current(), m);
}

static void test_context_sub_with_null_outer_ends_unbound(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fake_req_t *rm = fake_req(UNIT_POOL(state), 200, "GET /", NULL),
               *rs = fake_req(UNIT_POOL(state), 200, "GET /s", NULL);
    ctx_t *m = ctx_context_create_main(p, rm, &fake_ops);
    ctx_t *s = ctx_context_create_sub(unit_subpool(p), rs, m, NULL);

    assert_null(s->outer);
    ctx_context_enter(s);
    ctx_context_leave(s);
    assert_null(ctx_context_current());
}

static void test_context_nested_subrequests_unwind_in_order(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_pool_t *sp1 = unit_subpool(p);
    apr_pool_t *sp2 = unit_subpool(sp1);
    fake_req_t *rm = fake_req(UNIT_POOL(state), 200, "GET /", NULL),
               *r1 = fake_req(UNIT_POOL(state), 200, "GET /1", NULL),
               *r2 = fake_req(UNIT_POOL(state), 200, "GET /2", NULL);
    ctx_t *m = ctx_context_create_main(p, rm, &fake_ops);
    ctx_t *s1, *s2;

    ctx_context_enter(m);
    s1 = ctx_context_create_sub(sp1, r1, m, ctx_context_current());
    ctx_context_enter(s1);
    s2 = ctx_context_create_sub(sp2, r2, s1, ctx_context_current());
    ctx_context_enter(s2);
    assert_ptr_equal(ctx_context_main(s2), m);
    assert_ptr_equal(ctx_context_g(s2), ctx_context_g(m));
    ctx_context_leave(s2);
    assert_ptr_equal(ctx_context_current(), s1);
    apr_pool_destroy(sp1);      /* s1's pool, with s2's inside */
    assert_ptr_equal(ctx_context_current(), m);
}

static void test_context_sub_pool_destroy_runs_no_teardown(void **state)
{
    apr_pool_t *p = unit_subpool(UNIT_POOL(state));
    apr_pool_t *sp = unit_subpool(p);
    fake_req_t *rm = fake_req(UNIT_POOL(state), 200, "GET /", NULL),
               *rs = fake_req(UNIT_POOL(state), 404, "GET /s", NULL);
    ctx_t *m = ctx_context_create_main(p, rm, &fake_ops);
    ctx_t *s = ctx_context_create_sub(sp, rs, m, m);
    journal_t j = {0};
    td_t td = { &j, "sub" };
    gobj_t o = { &j, "o" };

    assert_int_equal(ctx_teardown_add(ctx_context_teardown(s), td_cb, &td),
                     APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(ctx_context_g(s), "o", &o, gobj_dtor),
                     APR_SUCCESS);
    apr_pool_destroy(sp);
    assert_int_equal(j.n, 0);
    assert_int_equal(ctx_teardown_pending(ctx_context_teardown(m)), 1);
    assert_ptr_equal(ctx_gtable_get_ptr(ctx_context_g(m), "o"), &o);
    /* The main request's end runs it, with the main request's status. */
    apr_pool_destroy(p);
    assert_journal(&j, 2, "teardown:sub:200", "g:o");
    assert_ptr_equal(td.seen_ctx, m);
}

/* ---- end of a request: teardown, then g ---------------------------------- */

static void test_context_pool_destroy_runs_teardown_newest_first_then_g_destructors(void **state)
{
    apr_pool_t *p = unit_subpool(UNIT_POOL(state));
    fake_req_t *req = fake_req(UNIT_POOL(state), 200, "GET /", NULL);
    ctx_t *c = ctx_context_create_main(p, req, &fake_ops);
    journal_t j = {0};
    td_t t1 = { &j, "1" }, t2 = { &j, "2" };
    gobj_t a = { &j, "a" }, b = { &j, "b" };

    assert_int_equal(ctx_gtable_set_ptr(ctx_context_g(c), "a", &a, gobj_dtor),
                     APR_SUCCESS);
    assert_int_equal(ctx_teardown_add(ctx_context_teardown(c), td_cb, &t1),
                     APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(ctx_context_g(c), "b", &b, gobj_dtor),
                     APR_SUCCESS);
    assert_int_equal(ctx_teardown_add(ctx_context_teardown(c), td_cb, &t2),
                     APR_SUCCESS);
    req->status = 201;           /* the final status, not the one at creation */
    apr_pool_destroy(p);
    assert_journal(&j, 4, "teardown:2:201", "teardown:1:201", "g:b", "g:a");
    assert_ptr_equal(t1.seen_ctx, c);
}

static void test_context_teardown_sees_g_intact(void **state)
{
    apr_pool_t *p = unit_subpool(UNIT_POOL(state));
    fake_req_t *req = fake_req(UNIT_POOL(state), 200, "GET /", NULL);
    ctx_t *c = ctx_context_create_main(p, req, &fake_ops);
    journal_t j = {0};
    td_t td = { &j, "1" };

    assert_int_equal(ctx_gtable_set(ctx_context_g(c), "k", "value"),
                     APR_SUCCESS);
    assert_int_equal(ctx_teardown_add(ctx_context_teardown(c), td_cb, &td),
                     APR_SUCCESS);
    apr_pool_destroy(p);
    assert_int_equal(j.n, 1);
    assert_non_null(td.seen_g);
    assert_string_equal(td.seen_g, "value");
}

static void test_context_teardown_failure_is_logged_with_request_description(void **state)
{
    apr_pool_t *p = unit_subpool(UNIT_POOL(state));
    fake_req_t *req = fake_req(UNIT_POOL(state), 500, "GET /broken", NULL);
    ctx_t *c = ctx_context_create_main(p, req, &fake_ops);
    journal_t j = {0};
    td_t bad = { &j, "bad", APR_EGENERAL }, good = { &j, "good" };

    assert_int_equal(ctx_teardown_add(ctx_context_teardown(c), td_cb, &good),
                     APR_SUCCESS);
    assert_int_equal(ctx_teardown_add(ctx_context_teardown(c), td_cb, &bad),
                     APR_SUCCESS);
    apr_pool_destroy(p);
    assert_journal(&j, 2, "teardown:bad:500", "teardown:good:500");
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR, "GET /broken", NULL),
                     1);
}

/* ---- internal redirects -------------------------------------------------- */

static void test_context_redirect_shares_g_and_teardown_runs_once_with_last_status(void **state)
{
    apr_pool_t *p = unit_subpool(UNIT_POOL(state));
    fake_req_t *r1 = fake_req(UNIT_POOL(state), 302, "GET /a", NULL),
               *r2 = fake_req(UNIT_POOL(state), 404, "GET /b", NULL);
    ctx_t *m = ctx_context_create_main(p, r1, &fake_ops);
    ctx_t *r;
    journal_t j = {0};
    td_t t1 = { &j, "first" }, t2 = { &j, "second" };
    gobj_t o = { &j, "o" };

    assert_int_equal(ctx_teardown_add(ctx_context_teardown(m), td_cb, &t1),
                     APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(ctx_context_g(m), "k", "kept"),
                     APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(ctx_context_g(m), "o", &o, gobj_dtor),
                     APR_SUCCESS);
    r = ctx_context_create_redirect(p, r2, m);
    assert_int_equal(r->kind, CTX_KIND_REDIRECT);
    assert_ptr_equal(r->request, r2);
    assert_ptr_equal(ctx_context_g(r), ctx_context_g(m));
    assert_ptr_equal(ctx_context_teardown(r), ctx_context_teardown(m));
    assert_string_equal(ctx_gtable_get(ctx_context_g(r), "k"), "kept");
    assert_int_equal(ctx_teardown_add(ctx_context_teardown(r), td_cb, &t2),
                     APR_SUCCESS);
    ctx_context_enter(m);
    ctx_context_enter(r);
    apr_pool_destroy(p);
    assert_journal(&j, 3, "teardown:second:404", "teardown:first:404", "g:o");
    assert_ptr_equal(t1.seen_ctx, r);
    assert_ptr_equal(t2.seen_ctx, r);
    assert_string_equal(t1.seen_g, "kept");
    assert_null(ctx_context_current());
}

static void test_context_redirect_chain_main_and_latest(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fake_req_t *r0 = fake_req(UNIT_POOL(state), 302, "GET /0", NULL),
               *r1 = fake_req(UNIT_POOL(state), 302, "GET /1", NULL),
               *r2 = fake_req(UNIT_POOL(state), 200, "GET /2", NULL);
    ctx_t *m = ctx_context_create_main(p, r0, &fake_ops);
    ctx_t *a = ctx_context_create_redirect(p, r1, m);
    ctx_t *b = ctx_context_create_redirect(p, r2, a);

    assert_ptr_equal(ctx_context_main(b), m);
    assert_ptr_equal(ctx_context_main(a), m);
    assert_ptr_equal(ctx_context_latest(m), b);
    assert_ptr_equal(ctx_context_latest(a), b);
    assert_ptr_equal(ctx_context_latest(b), b);
    assert_null(b->outer);
}

static void test_context_redirect_teardown_log_names_last_request(void **state)
{
    apr_pool_t *p = unit_subpool(UNIT_POOL(state));
    fake_req_t *r1 = fake_req(UNIT_POOL(state), 302, "GET /first", NULL),
               *r2 = fake_req(UNIT_POOL(state), 500, "GET /last", NULL);
    ctx_t *m = ctx_context_create_main(p, r1, &fake_ops);
    journal_t j = {0};
    td_t bad = { &j, "bad", APR_EGENERAL };

    assert_int_equal(ctx_teardown_add(ctx_context_teardown(m), td_cb, &bad),
                     APR_SUCCESS);
    ctx_context_create_redirect(p, r2, m);
    apr_pool_destroy(p);
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR, "GET /last", NULL), 1);
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR, "GET /first", NULL),
                     0);
}

/* ---- query arguments ----------------------------------------------------- */

static void test_context_args_parsed_on_first_use_and_kept(void **state)
{
    fake_req_t *req = fake_req(UNIT_POOL(state), 200, "GET /", "a=1&b=x+y");
    ctx_t *c = ctx_context_create_main(UNIT_POOL(state), req, &fake_ops);
    const ctx_args_t *a1, *a2;

    a1 = ctx_context_args(c);
    assert_non_null(a1);
    assert_int_equal(ctx_args_count(a1), 2);
    assert_string_equal(ctx_args_get(a1, "b"), "x y");
    a2 = ctx_context_args(c);
    assert_ptr_equal(a2, a1);
}

static void test_context_args_reparsed_when_query_replaced(void **state)
{
    fake_req_t *req = fake_req(UNIT_POOL(state), 200, "GET /", "a=1");
    ctx_t *c = ctx_context_create_main(UNIT_POOL(state), req, &fake_ops);
    const ctx_args_t *args;

    assert_string_equal(ctx_args_get(ctx_context_args(c), "a"), "1");
    req->query = "a=2&b=3";
    args = ctx_context_args(c);
    assert_string_equal(ctx_args_get(args, "a"), "2");
    assert_string_equal(ctx_args_get(args, "b"), "3");
    req->query = NULL;
    args = ctx_context_args(c);
    assert_non_null(args);
    assert_int_equal(ctx_args_count(args), 0);
    req->query = "c=4";
    assert_string_equal(ctx_args_get(ctx_context_args(c), "c"), "4");
}

static void test_context_args_null_query_is_empty(void **state)
{
    fake_req_t *req = fake_req(UNIT_POOL(state), 200, "GET /", NULL);
    ctx_t *c = ctx_context_create_main(UNIT_POOL(state), req, &fake_ops);
    const ctx_args_t *args = ctx_context_args(c);

    assert_non_null(args);
    assert_int_equal(ctx_args_count(args), 0);
    assert_ptr_equal(ctx_context_args(c), args);
}

static void test_context_args_with_nul_byte_pairs_drop_them(void **state)
{
    fake_req_t *req = fake_req(UNIT_POOL(state), 200, "GET /", "a=%00&b=2");
    ctx_t *c = ctx_context_create_main(UNIT_POOL(state), req, &fake_ops);
    const ctx_args_t *args = ctx_context_args(c);

    assert_int_equal(ctx_args_count(args), 1);
    assert_int_equal(ctx_args_dropped(args), 1);
    assert_string_equal(ctx_args_get(args, "b"), "2");
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 0);
    assert_int_equal(unit_log_count_at(CTX_LOG_WARNING), 0);
}

/* ---- session, response state --------------------------------------------- */

static void test_context_session_shared_by_chain(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fake_req_t *rm = fake_req(UNIT_POOL(state), 200, "GET /", NULL),
               *rs = fake_req(UNIT_POOL(state), 200, "GET /s", NULL),
               *rr = fake_req(UNIT_POOL(state), 200, "GET /r", NULL);
    ctx_t *m = ctx_context_create_main(p, rm, &fake_ops);
    ctx_t *s = ctx_context_create_sub(unit_subpool(p), rs, m, m);
    ctx_t *r = ctx_context_create_redirect(p, rr, m);
    int sess1, sess2;

    assert_null(ctx_context_session(s));
    ctx_context_set_session(s, &sess1);
    assert_ptr_equal(ctx_context_session(m), &sess1);
    assert_ptr_equal(ctx_context_session(r), &sess1);
    ctx_context_set_session(r, &sess2);
    assert_ptr_equal(ctx_context_session(s), &sess2);
    ctx_context_set_session(m, NULL);
    assert_null(ctx_context_session(r));
}

static void test_context_response_started_shared_by_chain(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fake_req_t *rm = fake_req(UNIT_POOL(state), 200, "GET /", NULL),
               *rs = fake_req(UNIT_POOL(state), 200, "GET /s", NULL),
               *rr = fake_req(UNIT_POOL(state), 200, "GET /r", NULL);
    ctx_t *m = ctx_context_create_main(p, rm, &fake_ops);
    ctx_t *r = ctx_context_create_redirect(p, rr, m);
    ctx_t *s = ctx_context_create_sub(unit_subpool(p), rs, r, r);

    assert_false(ctx_context_response_started(m));
    assert_false(ctx_context_response_started(s));
    ctx_context_set_response_started(r);
    assert_true(ctx_context_response_started(m));
    assert_true(ctx_context_response_started(s));
    assert_true(ctx_context_response_started(r));
}

/* ---- NULL arguments ------------------------------------------------------ */

static void test_context_null_arguments(void **state)
{
    assert_null(ctx_context_g(NULL));
    assert_null(ctx_context_teardown(NULL));
    assert_null(ctx_context_args(NULL));
    assert_null(ctx_context_main(NULL));
    assert_null(ctx_context_latest(NULL));
    assert_null(ctx_context_session(NULL));
    assert_false(ctx_context_response_started(NULL));
    ctx_context_leave(NULL);
    assert_null(ctx_context_current());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        CONTEXT_TEST(test_context_main_starts_its_own_chain),
        CONTEXT_TEST(test_context_mains_do_not_share_state),
        CONTEXT_TEST(test_context_enter_makes_current),
        CONTEXT_TEST(test_context_enter_another_replaces_current),
        CONTEXT_TEST(test_context_enter_null_makes_current_null),
        CONTEXT_TEST(test_context_unbind_thread_forgets_binding),
        CONTEXT_TEST(test_context_leave_main_leaves_nothing_current),
        CONTEXT_TEST(test_context_leave_of_never_entered_context_changes_nothing),
        CONTEXT_TEST(test_context_pool_destroy_unbinds_context),
        CONTEXT_TEST(test_context_pool_destroy_on_other_thread_releases_only_own_binding),
        CONTEXT_TEST(test_context_pool_destroy_on_this_thread_leaves_other_threads_alone),
        CONTEXT_TEST(test_context_pool_destroy_leaves_newer_binding_alone),
        CONTEXT_TEST(test_context_leave_from_other_thread_restores_outer_there),
        CONTEXT_TEST(test_context_sub_shares_g_and_teardown_but_not_request),
        CONTEXT_TEST(test_context_subrequest_end_restores_outer),
        CONTEXT_TEST(test_context_subrequest_pool_destroy_restores_outer),
        CONTEXT_TEST(test_context_subrequest_end_when_not_current_changes_nothing),
        CONTEXT_TEST(test_context_sub_with_null_outer_ends_unbound),
        CONTEXT_TEST(test_context_nested_subrequests_unwind_in_order),
        CONTEXT_TEST(test_context_sub_pool_destroy_runs_no_teardown),
        CONTEXT_TEST(test_context_pool_destroy_runs_teardown_newest_first_then_g_destructors),
        CONTEXT_TEST(test_context_teardown_sees_g_intact),
        CONTEXT_TEST(test_context_teardown_failure_is_logged_with_request_description),
        CONTEXT_TEST(test_context_redirect_shares_g_and_teardown_runs_once_with_last_status),
        CONTEXT_TEST(test_context_redirect_chain_main_and_latest),
        CONTEXT_TEST(test_context_redirect_teardown_log_names_last_request),
        CONTEXT_TEST(test_context_args_parsed_on_first_use_and_kept),
        CONTEXT_TEST(test_context_args_reparsed_when_query_replaced),
        CONTEXT_TEST(test_context_args_null_query_is_empty),
        CONTEXT_TEST(test_context_args_with_nul_byte_pairs_drop_them),
        CONTEXT_TEST(test_context_session_shared_by_chain),
        CONTEXT_TEST(test_context_response_started_shared_by_chain),
        CONTEXT_TEST(test_context_null_arguments),
    };

    return UNIT_RUN(tests);
}

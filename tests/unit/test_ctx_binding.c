/* Unit tests of ctx_binding: the object each thread is serving. */
#include "unit.h"

#include "ctx_binding.h"

static int obj_a, obj_b, obj_c;
#define A ((void *)&obj_a)
#define B ((void *)&obj_b)
#define C ((void *)&obj_c)

/* The main thread runs every test: leave nothing bound behind. */
static int binding_teardown(void **state)
{
    ctx_binding_set(NULL);
    return unit_teardown(state);
}

#define BINDING_TEST(f) \
    cmocka_unit_test_setup_teardown(f, unit_setup, binding_teardown)

/* ---- helpers run on other threads ---------------------------------------- */

typedef struct {
    void *bind;                 /* what the thread binds (after reading) */
    void *seen_before;          /* ctx_binding_get() before binding */
    void *seen_after;           /* ctx_binding_get() after binding */
    ctx_slot_t *slot;           /* what ctx_binding_set() returned */
} once_t;

static void *bind_once(void *arg)
{
    once_t *o = arg;

    o->seen_before = ctx_binding_get();
    o->slot = ctx_binding_set(o->bind);
    o->seen_after = ctx_binding_get();
    return NULL;
}

/* A thread that binds, then waits while the main thread acts on its slot,
 * then reports what it sees. */
typedef struct {
    void *first, *second;       /* bound in turn (second may be NULL: none) */
    ctx_slot_t *slot;
    void *seen;                 /* ctx_binding_get() after `go` */
    unit_event_t bound, go;
} worker_t;

static void *worker(void *arg)
{
    worker_t *w = arg;

    w->slot = ctx_binding_set(w->first);
    if (w->second) {
        ctx_slot_t *again = ctx_binding_set(w->second);

        if (again != w->slot) {
            w->slot = NULL;     /* makes the test fail */
        }
    }
    unit_event_signal(&w->bound);
    unit_event_wait(&w->go);
    w->seen = ctx_binding_get();
    return NULL;
}

static void worker_start(worker_t *w, pthread_t *t, void *first, void *second)
{
    memset(w, 0, sizeof(*w));
    w->first = first;
    w->second = second;
    unit_event_init(&w->bound);
    unit_event_init(&w->go);
    assert_int_equal(pthread_create(t, NULL, worker, w), 0);
    unit_event_wait(&w->bound);
}

static void worker_finish(worker_t *w, pthread_t t)
{
    unit_event_signal(&w->go);
    assert_int_equal(pthread_join(t, NULL), 0);
    unit_event_destroy(&w->bound);
    unit_event_destroy(&w->go);
}

/* ---- tests --------------------------------------------------------------- */

static void test_binding_is_null_on_fresh_thread(void **state)
{
    once_t o = { NULL };

    o.bind = A;
    o.seen_before = B;
    unit_run_thread(bind_once, &o);
    assert_null(o.seen_before);
}

static void test_binding_set_then_get_returns_object(void **state)
{
    once_t o = { A };

    unit_run_thread(bind_once, &o);
    assert_non_null(o.slot);
    assert_ptr_equal(o.seen_after, A);
}

static void test_binding_set_replaces_and_keeps_slot(void **state)
{
    ctx_slot_t *s1 = ctx_binding_set(A);
    ctx_slot_t *s2;

    assert_non_null(s1);
    assert_ptr_equal(ctx_binding_get(), A);
    s2 = ctx_binding_set(B);
    assert_ptr_equal(s2, s1);
    assert_ptr_equal(ctx_binding_get(), B);
}

static void test_binding_set_null_unbinds(void **state)
{
    ctx_slot_t *s1 = ctx_binding_set(A);
    ctx_slot_t *s2 = ctx_binding_set(NULL);

    assert_null(ctx_binding_get());
    /* The thread keeps its slot. */
    assert_ptr_equal(s2, s1);
    assert_ptr_equal(ctx_binding_set(B), s1);
}

/* The header: binding NULL on a thread that never bound anything allocates
 * no slot (returns NULL) and leaves the thread unbound. */
static void test_binding_set_null_on_fresh_thread_allocates_no_slot(void **state)
{
    once_t o = { NULL };
    apr_size_t before = ctx_binding_slots_allocated();

    unit_run_thread(bind_once, &o);
    assert_null(o.slot);
    assert_null(o.seen_after);
    assert_int_equal(ctx_binding_slots_allocated(), before);
}

static void test_binding_threads_have_own_slots_and_objects(void **state)
{
    worker_t w1, w2;
    pthread_t t1, t2;

    ctx_binding_set(C);
    worker_start(&w1, &t1, A, NULL);
    worker_start(&w2, &t2, B, NULL);
    assert_non_null(w1.slot);
    assert_non_null(w2.slot);
    assert_ptr_not_equal(w1.slot, w2.slot);
    worker_finish(&w1, t1);
    worker_finish(&w2, t2);
    assert_ptr_equal(w1.seen, A);
    assert_ptr_equal(w2.seen, B);
    assert_ptr_equal(ctx_binding_get(), C);
}

static void test_binding_release_on_own_thread_installs_replacement(void **state)
{
    ctx_slot_t *s = ctx_binding_set(A);

    assert_int_equal(ctx_binding_release(s, A, B), 1);
    assert_ptr_equal(ctx_binding_get(), B);
    assert_int_equal(ctx_binding_release(s, B, NULL), 1);
    assert_null(ctx_binding_get());
}

static void test_binding_release_of_other_object_changes_nothing(void **state)
{
    ctx_slot_t *s = ctx_binding_set(A);

    assert_int_equal(ctx_binding_release(s, B, C), 0);
    assert_ptr_equal(ctx_binding_get(), A);
    assert_int_equal(ctx_binding_release(s, NULL, C), 0);
    assert_ptr_equal(ctx_binding_get(), A);
}

static void test_binding_release_from_other_thread_replaces_matching_binding(void **state)
{
    worker_t w;
    pthread_t t;

    worker_start(&w, &t, A, NULL);
    assert_non_null(w.slot);
    assert_int_equal(ctx_binding_release(w.slot, A, C), 1);
    worker_finish(&w, t);
    assert_ptr_equal(w.seen, C);
}

static void test_binding_release_from_other_thread_leaves_newer_binding_alone(void **state)
{
    worker_t w;
    pthread_t t;

    /* The worker served A, then moved on to B. A's late release (from the
     * main thread, as a pool cleanup on another worker would) must miss. */
    worker_start(&w, &t, A, B);
    assert_non_null(w.slot);
    assert_int_equal(ctx_binding_release(w.slot, A, NULL), 0);
    worker_finish(&w, t);
    assert_ptr_equal(w.seen, B);
}

static void test_binding_release_does_not_touch_callers_binding(void **state)
{
    worker_t w;
    pthread_t t;

    /* The caller happens to serve the same object: only the worker's slot
     * is released. */
    ctx_slot_t *mine = ctx_binding_set(A);

    worker_start(&w, &t, A, NULL);
    assert_ptr_not_equal(mine, w.slot);
    assert_int_equal(ctx_binding_release(w.slot, A, NULL), 1);
    assert_ptr_equal(ctx_binding_get(), A);
    worker_finish(&w, t);
    assert_null(w.seen);
}

static void test_binding_release_null_slot_returns_zero(void **state)
{
    assert_int_equal(ctx_binding_release(NULL, A, B), 0);
    assert_int_equal(ctx_binding_release(NULL, NULL, B), 0);
}

static void test_binding_slot_emptied_at_thread_exit(void **state)
{
    once_t o = { A };

    unit_run_thread(bind_once, &o);
    assert_non_null(o.slot);
    /* The thread is gone: its slot no longer holds A, so a late release of
     * A finds nothing to release. */
    assert_int_equal(ctx_binding_release(o.slot, A, B), 0);
}

static void test_binding_slot_recycled_after_thread_exit(void **state)
{
    once_t o1 = { A }, o2 = { B };
    apr_size_t before, after;

    unit_run_thread(bind_once, &o1);
    before = ctx_binding_slots_allocated();
    unit_run_thread(bind_once, &o2);
    after = ctx_binding_slots_allocated();
    assert_non_null(o2.slot);
    assert_int_equal(after, before);
    assert_ptr_equal(o2.slot, o1.slot);
    /* The new thread starts unbound even though it reuses a slot. */
    assert_null(o2.seen_before);
    assert_ptr_equal(o2.seen_after, B);
}

static void test_binding_many_sequential_threads_reuse_one_slot(void **state)
{
    apr_size_t before = ctx_binding_slots_allocated();

    for (int i = 0; i < 50; ++i) {
        once_t o = { A };

        unit_run_thread(bind_once, &o);
        assert_non_null(o.slot);
    }
    assert_in_range(ctx_binding_slots_allocated(), before, before + 1);
}

static void test_binding_slots_allocated_counts_concurrent_threads(void **state)
{
    enum { N = 4 };
    worker_t w[N];
    pthread_t t[N];

    /* N live threads and the main thread hold N + 1 distinct slots: at
     * least that many were ever allocated, whatever the free list held. */
    assert_non_null(ctx_binding_set(C));
    for (int i = 0; i < N; ++i) {
        worker_start(&w[i], &t[i], A, NULL);
        assert_non_null(w[i].slot);
        for (int j = 0; j < i; ++j) {
            assert_ptr_not_equal(w[i].slot, w[j].slot);
        }
    }
    assert_true(ctx_binding_slots_allocated() >= N + 1);
    for (int i = 0; i < N; ++i) {
        worker_finish(&w[i], t[i]);
        assert_ptr_equal(w[i].seen, A);
    }
    assert_ptr_equal(ctx_binding_get(), C);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BINDING_TEST(test_binding_is_null_on_fresh_thread),
        BINDING_TEST(test_binding_set_then_get_returns_object),
        BINDING_TEST(test_binding_set_replaces_and_keeps_slot),
        BINDING_TEST(test_binding_set_null_unbinds),
        BINDING_TEST(test_binding_set_null_on_fresh_thread_allocates_no_slot),
        BINDING_TEST(test_binding_threads_have_own_slots_and_objects),
        BINDING_TEST(test_binding_release_on_own_thread_installs_replacement),
        BINDING_TEST(test_binding_release_of_other_object_changes_nothing),
        BINDING_TEST(test_binding_release_from_other_thread_replaces_matching_binding),
        BINDING_TEST(test_binding_release_from_other_thread_leaves_newer_binding_alone),
        BINDING_TEST(test_binding_release_does_not_touch_callers_binding),
        BINDING_TEST(test_binding_release_null_slot_returns_zero),
        BINDING_TEST(test_binding_slot_emptied_at_thread_exit),
        BINDING_TEST(test_binding_slot_recycled_after_thread_exit),
        BINDING_TEST(test_binding_many_sequential_threads_reuse_one_slot),
        BINDING_TEST(test_binding_slots_allocated_counts_concurrent_threads),
    };

    return UNIT_RUN(tests);
}

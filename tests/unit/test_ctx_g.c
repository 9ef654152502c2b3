/* Unit tests of ctx_g: the per-request scratch table `g`. */
#include "unit.h"

#include "ctx_g.h"

/* ---- destructor bookkeeping ---------------------------------------------- */

/* Objects given to the table; their destructor records the order it ran in
 * and how often. */
typedef struct dtor_log_t dtor_log_t;
typedef struct {
    const char *name;
    int destroyed;              /* times the destructor ran */
    dtor_log_t *log;
} obj_t;

struct dtor_log_t {
    int n;
    const char *order[16];
};

static void obj_dtor(void *ptr)
{
    obj_t *o = ptr;

    ++o->destroyed;
    if (o->log && o->log->n < 16) {
        o->log->order[o->log->n++] = o->name;
    }
}

static void assert_order(const dtor_log_t *log, int n, ...)
{
    va_list ap;

    assert_int_equal(log->n, n);
    va_start(ap, n);
    for (int i = 0; i < n; ++i) {
        assert_string_equal(log->order[i], va_arg(ap, const char *));
    }
    va_end(ap);
}

/* ---- iteration bookkeeping ----------------------------------------------- */

typedef struct {
    int n;
    int stop_after;             /* 0: never stop */
    char keys[16][32];
    char svals[16][32];         /* "" when sval was NULL */
    void *pvals[16];
} visit_t;

static int visitor(void *baton, const char *key, const char *sval, void *pval)
{
    visit_t *v = baton;

    if (v->n < 16) {
        snprintf(v->keys[v->n], sizeof(v->keys[0]), "%s", key);
        snprintf(v->svals[v->n], sizeof(v->svals[0]), "%s", sval ? sval : "");
        v->pvals[v->n] = pval;
    }
    ++v->n;
    return !(v->stop_after && v->n >= v->stop_after);
}

static void assert_keys(const ctx_gtable_t *g, int n, ...)
{
    visit_t v = {0};
    va_list ap;

    assert_int_equal(ctx_gtable_do(g, visitor, &v), 1);
    assert_int_equal(v.n, n);
    va_start(ap, n);
    for (int i = 0; i < n; ++i) {
        assert_string_equal(v.keys[i], va_arg(ap, const char *));
    }
    va_end(ap);
}

/* ---- strings ------------------------------------------------------------- */

static void test_g_new_table_is_empty(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));

    assert_non_null(g);
    assert_int_equal(ctx_gtable_count(g), 0);
    assert_null(ctx_gtable_get(g, "a"));
    assert_null(ctx_gtable_get_ptr(g, "a"));
    assert_false(ctx_gtable_has(g, "a"));
    assert_keys(g, 0);
}

static void test_g_set_then_get_string(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));

    assert_int_equal(ctx_gtable_set(g, "user", "alice"), APR_SUCCESS);
    assert_string_equal(ctx_gtable_get(g, "user"), "alice");
    assert_true(ctx_gtable_has(g, "user"));
    assert_int_equal(ctx_gtable_count(g), 1);
}

static void test_g_set_copies_value(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    char val[] = "original";

    assert_int_equal(ctx_gtable_set(g, "k", val), APR_SUCCESS);
    memset(val, 'X', sizeof(val) - 1);
    assert_string_equal(ctx_gtable_get(g, "k"), "original");
    assert_ptr_not_equal(ctx_gtable_get(g, "k"), val);
}

static void test_g_key_is_not_borrowed_from_caller(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    char key[] = "key";

    assert_int_equal(ctx_gtable_set(g, key, "v"), APR_SUCCESS);
    memcpy(key, "zzz", 3);
    assert_string_equal(ctx_gtable_get(g, "key"), "v");
    assert_null(ctx_gtable_get(g, "zzz"));
}

static void test_g_keys_are_case_sensitive(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));

    assert_int_equal(ctx_gtable_set(g, "Key", "upper"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "key", "lower"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_count(g), 2);
    assert_string_equal(ctx_gtable_get(g, "Key"), "upper");
    assert_string_equal(ctx_gtable_get(g, "key"), "lower");
    assert_false(ctx_gtable_has(g, "KEY"));
}

static void test_g_set_replaces_string(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));

    assert_int_equal(ctx_gtable_set(g, "k", "one"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "k", "two"), APR_SUCCESS);
    assert_string_equal(ctx_gtable_get(g, "k"), "two");
    assert_int_equal(ctx_gtable_count(g), 1);
}

static void test_g_empty_string_value_is_kept(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));

    assert_int_equal(ctx_gtable_set(g, "k", ""), APR_SUCCESS);
    assert_non_null(ctx_gtable_get(g, "k"));
    assert_string_equal(ctx_gtable_get(g, "k"), "");
    assert_true(ctx_gtable_has(g, "k"));
}

/* ---- pointers ------------------------------------------------------------ */

static void test_g_set_ptr_then_get_ptr(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    obj_t o = { "o", 0, NULL };

    assert_int_equal(ctx_gtable_set_ptr(g, "obj", &o, obj_dtor), APR_SUCCESS);
    assert_ptr_equal(ctx_gtable_get_ptr(g, "obj"), &o);
    assert_true(ctx_gtable_has(g, "obj"));
    assert_int_equal(o.destroyed, 0);
    ctx_gtable_clear(g);
    assert_int_equal(o.destroyed, 1);
}

static void test_g_get_of_other_type_is_null(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    int x;

    assert_int_equal(ctx_gtable_set(g, "s", "str"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(g, "p", &x, NULL), APR_SUCCESS);
    assert_null(ctx_gtable_get_ptr(g, "s"));
    assert_null(ctx_gtable_get(g, "p"));
    assert_true(ctx_gtable_has(g, "s"));
    assert_true(ctx_gtable_has(g, "p"));
}

static void test_g_set_ptr_replacing_runs_old_destructor_once(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    obj_t a = { "a", 0, NULL }, b = { "b", 0, NULL };

    assert_int_equal(ctx_gtable_set_ptr(g, "k", &a, obj_dtor), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(g, "k", &b, obj_dtor), APR_SUCCESS);
    assert_int_equal(a.destroyed, 1);
    assert_int_equal(b.destroyed, 0);
    assert_ptr_equal(ctx_gtable_get_ptr(g, "k"), &b);
    assert_int_equal(ctx_gtable_count(g), 1);
    ctx_gtable_clear(g);
    assert_int_equal(a.destroyed, 1);
    assert_int_equal(b.destroyed, 1);
}

static void test_g_set_ptr_same_pointer_again_does_not_destroy_it(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    obj_t a = { "a", 0, NULL };

    assert_int_equal(ctx_gtable_set_ptr(g, "k", &a, obj_dtor), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(g, "k", &a, obj_dtor), APR_SUCCESS);
    assert_int_equal(a.destroyed, 0);
    assert_ptr_equal(ctx_gtable_get_ptr(g, "k"), &a);
    ctx_gtable_clear(g);
    assert_int_equal(a.destroyed, 1);
}

static void test_g_set_string_over_pointer_runs_destructor(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    obj_t a = { "a", 0, NULL };

    assert_int_equal(ctx_gtable_set_ptr(g, "k", &a, obj_dtor), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "k", "now a string"), APR_SUCCESS);
    assert_int_equal(a.destroyed, 1);
    assert_string_equal(ctx_gtable_get(g, "k"), "now a string");
    assert_null(ctx_gtable_get_ptr(g, "k"));
    ctx_gtable_clear(g);
    assert_int_equal(a.destroyed, 1);
}

static void test_g_set_ptr_over_string_replaces_it(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    obj_t a = { "a", 0, NULL };

    assert_int_equal(ctx_gtable_set(g, "k", "str"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(g, "k", &a, obj_dtor), APR_SUCCESS);
    assert_null(ctx_gtable_get(g, "k"));
    assert_ptr_equal(ctx_gtable_get_ptr(g, "k"), &a);
    assert_int_equal(ctx_gtable_count(g), 1);
    ctx_gtable_clear(g);        /* before `a` goes out of scope */
    assert_int_equal(a.destroyed, 1);
}

static void test_g_set_ptr_without_destructor(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    int x = 42;

    assert_int_equal(ctx_gtable_set_ptr(g, "k", &x, NULL), APR_SUCCESS);
    assert_ptr_equal(ctx_gtable_get_ptr(g, "k"), &x);
    assert_int_equal(ctx_gtable_remove(g, "k"), APR_SUCCESS);
    assert_int_equal(x, 42);
}

/* ---- remove -------------------------------------------------------------- */

static void test_g_remove_runs_destructor_once(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    obj_t a = { "a", 0, NULL };

    assert_int_equal(ctx_gtable_set_ptr(g, "k", &a, obj_dtor), APR_SUCCESS);
    assert_int_equal(ctx_gtable_remove(g, "k"), APR_SUCCESS);
    assert_int_equal(a.destroyed, 1);
    assert_false(ctx_gtable_has(g, "k"));
    assert_int_equal(ctx_gtable_count(g), 0);
    ctx_gtable_clear(g);
    assert_int_equal(a.destroyed, 1);
}

static void test_g_remove_string(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));

    assert_int_equal(ctx_gtable_set(g, "a", "1"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "b", "2"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_remove(g, "a"), APR_SUCCESS);
    assert_null(ctx_gtable_get(g, "a"));
    assert_string_equal(ctx_gtable_get(g, "b"), "2");
    assert_int_equal(ctx_gtable_count(g), 1);
}

static void test_g_remove_absent_is_notfound(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));

    assert_int_equal(ctx_gtable_remove(g, "nope"), APR_NOTFOUND);
    assert_int_equal(ctx_gtable_set(g, "k", "v"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_remove(g, "k"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_remove(g, "k"), APR_NOTFOUND);
}

/* ---- pop / pop_ptr ------------------------------------------------------- */

static void test_g_pop_hands_out_string_and_removes_entry(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    const char *val = NULL;

    assert_int_equal(ctx_gtable_set(g, "a", "1"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "k", "popped"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_pop(g, "k", &val), APR_SUCCESS);
    assert_non_null(val);
    assert_string_equal(val, "popped");
    assert_false(ctx_gtable_has(g, "k"));
    assert_int_equal(ctx_gtable_count(g), 1);
    /* The popped string lives in the table's pool: reusing the key (and the
     * table's recycled entry) must not overwrite it. */
    assert_int_equal(ctx_gtable_set(g, "k", "other"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "z", "zzzzzz"), APR_SUCCESS);
    assert_string_equal(val, "popped");
    assert_keys(g, 3, "a", "k", "z");
}

static void test_g_pop_absent_is_notfound(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    const char *val = "untouched";

    assert_int_equal(ctx_gtable_pop(g, "k", &val), APR_NOTFOUND);
    assert_string_equal(val, "untouched");
}

static void test_g_pop_pointer_entry_is_einval_and_left_in_place(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    obj_t a = { "a", 0, NULL };
    const char *val = NULL;

    assert_int_equal(ctx_gtable_set_ptr(g, "k", &a, obj_dtor), APR_SUCCESS);
    assert_int_equal(ctx_gtable_pop(g, "k", &val), APR_EINVAL);
    assert_ptr_equal(ctx_gtable_get_ptr(g, "k"), &a);
    assert_int_equal(ctx_gtable_count(g), 1);
    assert_int_equal(a.destroyed, 0);
    ctx_gtable_clear(g);        /* before `a` goes out of scope */
    assert_int_equal(a.destroyed, 1);
}

static void test_g_pop_ptr_transfers_ownership_without_destructor(void **state)
{
    apr_pool_t *p = unit_subpool(UNIT_POOL(state));
    ctx_gtable_t *g = ctx_gtable_create(p);
    obj_t a = { "a", 0, NULL };
    void *out = NULL;

    assert_int_equal(ctx_gtable_set_ptr(g, "k", &a, obj_dtor), APR_SUCCESS);
    assert_int_equal(ctx_gtable_pop_ptr(g, "k", &out), APR_SUCCESS);
    assert_ptr_equal(out, &a);
    assert_int_equal(a.destroyed, 0);
    assert_false(ctx_gtable_has(g, "k"));
    assert_int_equal(ctx_gtable_count(g), 0);
    ctx_gtable_clear(g);
    apr_pool_destroy(p);
    assert_int_equal(a.destroyed, 0);
}

static void test_g_pop_ptr_absent_is_notfound(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    void *out = &out;

    assert_int_equal(ctx_gtable_pop_ptr(g, "k", &out), APR_NOTFOUND);
    assert_ptr_equal(out, &out);
}

static void test_g_pop_ptr_string_entry_is_einval_and_left_in_place(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    void *out = NULL;

    assert_int_equal(ctx_gtable_set(g, "k", "str"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_pop_ptr(g, "k", &out), APR_EINVAL);
    assert_string_equal(ctx_gtable_get(g, "k"), "str");
    assert_int_equal(ctx_gtable_count(g), 1);
}

/* ---- setdefault ---------------------------------------------------------- */

static void test_g_setdefault_stores_copy_when_absent(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    char dflt[] = "default";
    const char *val = NULL;

    assert_int_equal(ctx_gtable_setdefault(g, "k", dflt, &val), APR_SUCCESS);
    assert_non_null(val);
    assert_string_equal(val, "default");
    assert_ptr_not_equal(val, dflt);
    memset(dflt, 'X', sizeof(dflt) - 1);
    assert_string_equal(ctx_gtable_get(g, "k"), "default");
    assert_ptr_equal(ctx_gtable_get(g, "k"), val);
    assert_int_equal(ctx_gtable_count(g), 1);
}

static void test_g_setdefault_returns_existing_string_unchanged(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    const char *val = NULL;

    assert_int_equal(ctx_gtable_set(g, "k", "existing"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_setdefault(g, "k", "default", &val),
                     APR_SUCCESS);
    assert_string_equal(val, "existing");
    assert_string_equal(ctx_gtable_get(g, "k"), "existing");
    assert_int_equal(ctx_gtable_count(g), 1);
}

static void test_g_setdefault_on_pointer_entry_is_einval(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    obj_t a = { "a", 0, NULL };
    const char *val = NULL;

    assert_int_equal(ctx_gtable_set_ptr(g, "k", &a, obj_dtor), APR_SUCCESS);
    assert_int_equal(ctx_gtable_setdefault(g, "k", "d", &val), APR_EINVAL);
    assert_ptr_equal(ctx_gtable_get_ptr(g, "k"), &a);
    assert_int_equal(a.destroyed, 0);
    ctx_gtable_clear(g);        /* before `a` goes out of scope */
    assert_int_equal(a.destroyed, 1);
}

static void test_g_setdefault_appends_in_insertion_order(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    const char *val;

    assert_int_equal(ctx_gtable_set(g, "a", "1"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_setdefault(g, "b", "2", &val), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "c", "3"), APR_SUCCESS);
    assert_keys(g, 3, "a", "b", "c");
}

/* ---- iteration ----------------------------------------------------------- */

static void test_g_iteration_follows_insertion_order(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    /* Many keys, so that a hash order would almost surely differ. */
    static const char *keys[] = { "zeta", "alpha", "mu", "beta", "omega",
                                  "gamma", "kappa", "delta", "epsilon", "eta" };
    visit_t v = {0};

    for (int i = 0; i < 10; ++i) {
        assert_int_equal(ctx_gtable_set(g, keys[i], keys[i]), APR_SUCCESS);
    }
    assert_int_equal(ctx_gtable_do(g, visitor, &v), 1);
    assert_int_equal(v.n, 10);
    for (int i = 0; i < 10; ++i) {
        assert_string_equal(v.keys[i], keys[i]);
        assert_string_equal(v.svals[i], keys[i]);
    }
}

static void test_g_iteration_gives_sval_or_pval(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    int x;
    visit_t v = {0};

    assert_int_equal(ctx_gtable_set(g, "s", "str"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(g, "p", &x, NULL), APR_SUCCESS);
    assert_int_equal(ctx_gtable_do(g, visitor, &v), 1);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.svals[0], "str");
    assert_null(v.pvals[0]);
    assert_string_equal(v.svals[1], "");    /* sval was NULL */
    assert_ptr_equal(v.pvals[1], &x);
}

static void test_g_replacing_value_keeps_place(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    int x;

    assert_int_equal(ctx_gtable_set(g, "a", "1"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "b", "2"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "c", "3"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "a", "1bis"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(g, "b", &x, NULL), APR_SUCCESS);
    assert_keys(g, 3, "a", "b", "c");
    assert_string_equal(ctx_gtable_get(g, "a"), "1bis");
}

static void test_g_removed_then_added_again_goes_last(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    const char *val;
    void *ptr;
    int x;

    assert_int_equal(ctx_gtable_set(g, "a", "1"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "b", "2"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(g, "c", &x, NULL), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "d", "4"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_remove(g, "a"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_pop(g, "b", &val), APR_SUCCESS);
    assert_int_equal(ctx_gtable_pop_ptr(g, "c", &ptr), APR_SUCCESS);
    assert_keys(g, 1, "d");
    assert_int_equal(ctx_gtable_set(g, "b", "2"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "a", "1"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "c", "3"), APR_SUCCESS);
    assert_keys(g, 4, "d", "b", "a", "c");
    assert_int_equal(ctx_gtable_count(g), 4);
}

static void test_g_visitor_returning_zero_stops_iteration(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    visit_t v = {0};

    assert_int_equal(ctx_gtable_set(g, "a", "1"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "b", "2"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "c", "3"), APR_SUCCESS);
    v.stop_after = 2;
    assert_int_equal(ctx_gtable_do(g, visitor, &v), 0);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.keys[1], "b");
}

static void test_g_visitor_stopping_at_last_entry_still_returns_zero(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    visit_t v = {0};

    assert_int_equal(ctx_gtable_set(g, "a", "1"), APR_SUCCESS);
    v.stop_after = 1;
    assert_int_equal(ctx_gtable_do(g, visitor, &v), 0);
    assert_int_equal(v.n, 1);
}

static void test_g_iterating_empty_table_returns_one(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    visit_t v = {0};

    v.stop_after = 1;
    assert_int_equal(ctx_gtable_do(g, visitor, &v), 1);
    assert_int_equal(v.n, 0);
}

/* ---- clear, pool destruction --------------------------------------------- */

static void test_g_clear_runs_destructors_newest_first(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    dtor_log_t log = {0};
    obj_t a = { "a", 0, &log }, b = { "b", 0, &log }, c = { "c", 0, &log };

    assert_int_equal(ctx_gtable_set_ptr(g, "a", &a, obj_dtor), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "s", "string"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(g, "b", &b, obj_dtor), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(g, "c", &c, obj_dtor), APR_SUCCESS);
    ctx_gtable_clear(g);
    assert_order(&log, 3, "c", "b", "a");
    assert_int_equal(ctx_gtable_count(g), 0);
    assert_false(ctx_gtable_has(g, "s"));
}

static void test_g_clear_order_follows_insertion_not_replacement(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    dtor_log_t log = {0};
    obj_t a = { "a", 0, &log }, b = { "b", 0, &log }, a2 = { "a2", 0, &log };

    assert_int_equal(ctx_gtable_set_ptr(g, "a", &a, obj_dtor), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(g, "b", &b, obj_dtor), APR_SUCCESS);
    /* Replacing keeps the entry's place: "a" is still the oldest. */
    assert_int_equal(ctx_gtable_set_ptr(g, "a", &a2, obj_dtor), APR_SUCCESS);
    assert_order(&log, 1, "a");
    ctx_gtable_clear(g);
    assert_order(&log, 3, "a", "b", "a2");
}

static void test_g_table_usable_after_clear(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    obj_t a = { "a", 0, NULL };

    assert_int_equal(ctx_gtable_set(g, "x", "1"), APR_SUCCESS);
    ctx_gtable_clear(g);
    assert_int_equal(ctx_gtable_set(g, "y", "2"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(g, "z", &a, obj_dtor), APR_SUCCESS);
    assert_keys(g, 2, "y", "z");
    assert_string_equal(ctx_gtable_get(g, "y"), "2");
    assert_null(ctx_gtable_get(g, "x"));
    ctx_gtable_clear(g);
    assert_int_equal(a.destroyed, 1);
}

static void test_g_pool_destroy_runs_destructors_once(void **state)
{
    apr_pool_t *p = unit_subpool(UNIT_POOL(state));
    ctx_gtable_t *g = ctx_gtable_create(p);
    dtor_log_t log = {0};
    obj_t a = { "a", 0, &log }, b = { "b", 0, &log };

    assert_int_equal(ctx_gtable_set_ptr(g, "a", &a, obj_dtor), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(g, "b", &b, obj_dtor), APR_SUCCESS);
    apr_pool_destroy(p);
    assert_order(&log, 2, "b", "a");
    assert_int_equal(a.destroyed, 1);
    assert_int_equal(b.destroyed, 1);
}

static void test_g_clear_then_pool_destroy_runs_destructor_once(void **state)
{
    apr_pool_t *p = unit_subpool(UNIT_POOL(state));
    ctx_gtable_t *g = ctx_gtable_create(p);
    obj_t a = { "a", 0, NULL };

    assert_int_equal(ctx_gtable_set_ptr(g, "a", &a, obj_dtor), APR_SUCCESS);
    ctx_gtable_clear(g);
    apr_pool_destroy(p);
    assert_int_equal(a.destroyed, 1);
}

/* A destructor that reads the table while it is being cleared. */
typedef struct {
    ctx_gtable_t *g;
    const char *seen;           /* what it read under "older" */
    int ran;
} peek_t;

static void peek_dtor(void *ptr)
{
    peek_t *pk = ptr;

    pk->ran++;
    pk->seen = ctx_gtable_get(pk->g, "older");
}

static void test_g_destructor_sees_older_entries_during_clear(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    peek_t pk = { g, NULL, 0 };

    assert_int_equal(ctx_gtable_set(g, "older", "still here"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set_ptr(g, "newer", &pk, peek_dtor),
                     APR_SUCCESS);
    ctx_gtable_clear(g);
    assert_int_equal(pk.ran, 1);
    assert_non_null(pk.seen);
    assert_string_equal(pk.seen, "still here");
}

/* ---- many entries ---------------------------------------------------------- */

/* Past a handful of entries the table indexes its keys: every entry set
 * before the index was made, and every one after, is found, replaced and
 * removed, and order and count stay right across the switch. */
static void test_g_many_entries_are_found_replaced_and_removed(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_gtable_t *g = ctx_gtable_create(p);
    char key[16], val[16];
    const int n = 40;
    visit_t v = {0};

    for (int i = 0; i < n; ++i) {
        snprintf(key, sizeof(key), "k%d", i);
        snprintf(val, sizeof(val), "v%d", i);
        assert_int_equal(ctx_gtable_set(g, key, val), APR_SUCCESS);
        assert_int_equal(ctx_gtable_count(g), (unsigned int)i + 1);
    }
    for (int i = 0; i < n; ++i) {
        snprintf(key, sizeof(key), "k%d", i);
        snprintf(val, sizeof(val), "v%d", i);
        assert_string_equal(ctx_gtable_get(g, key), val);
    }
    /* Replacing keeps the count (no second entry under the same key). */
    assert_int_equal(ctx_gtable_set(g, "k3", "again"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_set(g, "k30", "again"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_count(g), (unsigned int)n);
    assert_string_equal(ctx_gtable_get(g, "k3"), "again");
    assert_string_equal(ctx_gtable_get(g, "k30"), "again");
    /* Remove every third key, from both sides of the switch. */
    for (int i = 0; i < n; i += 3) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(ctx_gtable_remove(g, key), APR_SUCCESS);
        assert_false(ctx_gtable_has(g, key));
        assert_int_equal(ctx_gtable_remove(g, key), APR_NOTFOUND);
    }
    assert_int_equal(ctx_gtable_count(g), (unsigned int)(n - (n + 2) / 3));
    assert_true(ctx_gtable_has(g, "k1"));
    assert_true(ctx_gtable_has(g, "k38"));
    /* A removed key added again goes last. */
    assert_int_equal(ctx_gtable_set(g, "k0", "back"), APR_SUCCESS);
    v.n = 0;
    assert_int_equal(ctx_gtable_do(g, visitor, &v), 1);
    assert_int_equal(v.n, (int)ctx_gtable_count(g));
    assert_string_equal(v.keys[0], "k1");
    assert_string_equal(v.keys[1], "k2");
    assert_string_equal(v.keys[2], "k4");
    assert_string_equal(ctx_gtable_get(g, "k0"), "back");
    /* Cleared, the table is empty and usable again, small or large. */
    ctx_gtable_clear(g);
    assert_int_equal(ctx_gtable_count(g), 0);
    assert_false(ctx_gtable_has(g, "k1"));
    assert_int_equal(ctx_gtable_set(g, "k1", "x"), APR_SUCCESS);
    assert_string_equal(ctx_gtable_get(g, "k1"), "x");
    assert_int_equal(ctx_gtable_count(g), 1);
}

/* ---- NULL arguments ------------------------------------------------------ */

static void test_g_null_arguments_are_einval(void **state)
{
    ctx_gtable_t *g = ctx_gtable_create(UNIT_POOL(state));
    const char *val;
    void *ptr;
    int x;

    assert_int_equal(ctx_gtable_set(g, NULL, "v"), APR_EINVAL);
    assert_int_equal(ctx_gtable_set(g, "k", NULL), APR_EINVAL);
    assert_int_equal(ctx_gtable_set(NULL, "k", "v"), APR_EINVAL);
    assert_int_equal(ctx_gtable_set_ptr(g, NULL, &x, NULL), APR_EINVAL);
    assert_int_equal(ctx_gtable_set_ptr(g, "k", NULL, NULL), APR_EINVAL);
    assert_int_equal(ctx_gtable_set_ptr(NULL, "k", &x, NULL), APR_EINVAL);
    assert_int_equal(ctx_gtable_setdefault(g, NULL, "d", &val), APR_EINVAL);
    assert_int_equal(ctx_gtable_setdefault(g, "k", NULL, &val), APR_EINVAL);
    assert_int_equal(ctx_gtable_setdefault(g, "k", "d", NULL), APR_EINVAL);
    assert_int_equal(ctx_gtable_setdefault(NULL, "k", "d", &val), APR_EINVAL);
    /* None of the refused calls stored anything. */
    assert_int_equal(ctx_gtable_count(g), 0);
    assert_false(ctx_gtable_has(g, "k"));

    assert_int_equal(ctx_gtable_set(g, "k", "v"), APR_SUCCESS);
    assert_int_equal(ctx_gtable_remove(g, NULL), APR_EINVAL);
    assert_int_equal(ctx_gtable_remove(NULL, "k"), APR_EINVAL);
    assert_int_equal(ctx_gtable_pop(g, NULL, &val), APR_EINVAL);
    assert_int_equal(ctx_gtable_pop(g, "k", NULL), APR_EINVAL);
    assert_int_equal(ctx_gtable_pop(NULL, "k", &val), APR_EINVAL);
    assert_int_equal(ctx_gtable_pop_ptr(g, NULL, &ptr), APR_EINVAL);
    assert_int_equal(ctx_gtable_pop_ptr(NULL, "k", &ptr), APR_EINVAL);
    assert_string_equal(ctx_gtable_get(g, "k"), "v");

    assert_int_equal(ctx_gtable_set_ptr(g, "p", &x, NULL), APR_SUCCESS);
    assert_int_equal(ctx_gtable_pop_ptr(g, "p", NULL), APR_EINVAL);
    assert_ptr_equal(ctx_gtable_get_ptr(g, "p"), &x);

    assert_null(ctx_gtable_get(g, NULL));
    assert_null(ctx_gtable_get(NULL, "k"));
    assert_null(ctx_gtable_get_ptr(g, NULL));
    assert_null(ctx_gtable_get_ptr(NULL, "p"));
    assert_false(ctx_gtable_has(g, NULL));
    assert_false(ctx_gtable_has(NULL, "k"));
    assert_int_equal(ctx_gtable_count(NULL), 0);
    assert_int_equal(ctx_gtable_count(g), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_g_new_table_is_empty),
        UNIT_TEST(test_g_many_entries_are_found_replaced_and_removed),
        UNIT_TEST(test_g_set_then_get_string),
        UNIT_TEST(test_g_set_copies_value),
        UNIT_TEST(test_g_key_is_not_borrowed_from_caller),
        UNIT_TEST(test_g_keys_are_case_sensitive),
        UNIT_TEST(test_g_set_replaces_string),
        UNIT_TEST(test_g_empty_string_value_is_kept),
        UNIT_TEST(test_g_set_ptr_then_get_ptr),
        UNIT_TEST(test_g_get_of_other_type_is_null),
        UNIT_TEST(test_g_set_ptr_replacing_runs_old_destructor_once),
        UNIT_TEST(test_g_set_ptr_same_pointer_again_does_not_destroy_it),
        UNIT_TEST(test_g_set_string_over_pointer_runs_destructor),
        UNIT_TEST(test_g_set_ptr_over_string_replaces_it),
        UNIT_TEST(test_g_set_ptr_without_destructor),
        UNIT_TEST(test_g_remove_runs_destructor_once),
        UNIT_TEST(test_g_remove_string),
        UNIT_TEST(test_g_remove_absent_is_notfound),
        UNIT_TEST(test_g_pop_hands_out_string_and_removes_entry),
        UNIT_TEST(test_g_pop_absent_is_notfound),
        UNIT_TEST(test_g_pop_pointer_entry_is_einval_and_left_in_place),
        UNIT_TEST(test_g_pop_ptr_transfers_ownership_without_destructor),
        UNIT_TEST(test_g_pop_ptr_absent_is_notfound),
        UNIT_TEST(test_g_pop_ptr_string_entry_is_einval_and_left_in_place),
        UNIT_TEST(test_g_setdefault_stores_copy_when_absent),
        UNIT_TEST(test_g_setdefault_returns_existing_string_unchanged),
        UNIT_TEST(test_g_setdefault_on_pointer_entry_is_einval),
        UNIT_TEST(test_g_setdefault_appends_in_insertion_order),
        UNIT_TEST(test_g_iteration_follows_insertion_order),
        UNIT_TEST(test_g_iteration_gives_sval_or_pval),
        UNIT_TEST(test_g_replacing_value_keeps_place),
        UNIT_TEST(test_g_removed_then_added_again_goes_last),
        UNIT_TEST(test_g_visitor_returning_zero_stops_iteration),
        UNIT_TEST(test_g_visitor_stopping_at_last_entry_still_returns_zero),
        UNIT_TEST(test_g_iterating_empty_table_returns_one),
        UNIT_TEST(test_g_clear_runs_destructors_newest_first),
        UNIT_TEST(test_g_clear_order_follows_insertion_not_replacement),
        UNIT_TEST(test_g_table_usable_after_clear),
        UNIT_TEST(test_g_pool_destroy_runs_destructors_once),
        UNIT_TEST(test_g_clear_then_pool_destroy_runs_destructor_once),
        UNIT_TEST(test_g_destructor_sees_older_entries_during_clear),
        UNIT_TEST(test_g_null_arguments_are_einval),
    };

    return UNIT_RUN(tests);
}

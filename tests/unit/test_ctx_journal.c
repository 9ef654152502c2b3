/* Unit tests of ctx_journal: a request's per-key change record and its
 * merge onto the latest stored session (issue #12: concurrent requests
 * keep each other's changes). */
#include "unit.h"

#include "ctx_flat.h"
#include "ctx_journal.h"
#include "ctx_json.h"

/* ---- helpers --------------------------------------------------------------- */

static json_t *obj(const char *text)
{
    json_error_t err;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &err);

    assert_non_null(o);
    return o;
}

static void set(ctx_journal_t *j, const char *key, const char *value)
{
    assert_int_equal(ctx_journal_set(j, key, value, strlen(value)),
                     APR_SUCCESS);
}

/* apply(j, base) equals the JSON text `want`; so does the merge onto
 * the flat form the store's save uses, written as Flask writes `want`. */
static void assert_merge(const ctx_journal_t *j, const char *base,
                         const char *want)
{
    json_t *b = base ? obj(base) : NULL, *w = obj(want), *out = NULL;
    apr_pool_t *p;
    ctx_flat_t *f = NULL;
    char *text, *flat_text;

    assert_int_equal(ctx_journal_apply(j, b, &out), APR_SUCCESS);
    assert_non_null(out);
    if (!json_equal(out, w)) {
        char *got = json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT);

        fail_msg("merged %s, want %s", got, want);
    }
    assert_int_equal(apr_pool_create(&p, NULL), APR_SUCCESS);
    text = base ? ctx_json_dump(p, b, NULL) : NULL;
    if (text) {
        assert_int_equal(ctx_flat_parse(p, text, strlen(text), 0, NULL, &f),
                         APR_SUCCESS);
    }
    else {
        f = ctx_flat_create(p);
    }
    assert_int_equal(ctx_journal_apply_flat(j, f, p), APR_SUCCESS);
    flat_text = ctx_flat_write(f, p, NULL);
    assert_non_null(flat_text);
    assert_string_equal(flat_text, ctx_json_dump(p, w, NULL));
    apr_pool_destroy(p);
    json_decref(out);
    json_decref(w);
    json_decref(b);
}

/* A save: the latest stored session with the request's journal applied,
 * as the store's new content. */
static json_t *save(json_t *stored, const ctx_journal_t *j)
{
    json_t *out = NULL;

    assert_int_equal(ctx_journal_apply(j, stored, &out), APR_SUCCESS);
    json_decref(stored);
    return out;
}

/* ---- merge semantics ------------------------------------------------------- */

static void test_journal_requests_changing_different_keys_keep_both(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_journal_t *a = ctx_journal_create(p), *b = ctx_journal_create(p);
    json_t *stored = obj("{\"n\":1}"), *want = obj("{\"n\":1,\"a\":\"A\",\"b\":[2]}");

    /* Both loaded {"n":1}; a saves first, b saves on top of a's result. */
    set(a, "a", "\"A\"");
    set(b, "b", "[2]");
    stored = save(stored, a);
    stored = save(stored, b);
    assert_true(json_equal(stored, want));
    json_decref(stored);
    json_decref(want);
}

static void test_journal_same_key_last_save_wins(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_journal_t *a = ctx_journal_create(p), *b = ctx_journal_create(p);
    json_t *stored = obj("{\"k\":0}"), *want = obj("{\"k\":1}");

    set(a, "k", "2");
    set(b, "k", "1");
    stored = save(stored, a);
    stored = save(stored, b);
    assert_true(json_equal(stored, want));
    json_decref(stored);
    json_decref(want);
}

static void test_journal_untouched_stored_keys_survive(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));

    set(j, "mine", "true");
    assert_merge(j, "{\"other\":{\"x\":[1,2]},\"mine\":false}",
                 "{\"other\":{\"x\":[1,2]},\"mine\":true}");
}

static void test_journal_remove_deletes_stored_key_and_ignores_absent(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));

    assert_int_equal(ctx_journal_remove(j, "gone"), APR_SUCCESS);
    assert_int_equal(ctx_journal_remove(j, "never"), APR_SUCCESS);
    assert_merge(j, "{\"gone\":1,\"kept\":2}", "{\"kept\":2}");
}

static void test_journal_clear_then_set_keeps_only_later_sets_on_empty(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));

    set(j, "before", "1");
    assert_int_equal(ctx_journal_clear(j), APR_SUCCESS);
    set(j, "after", "2");
    /* "other" was stored by another request: a clear drops it too. */
    assert_merge(j, "{\"other\":3,\"before\":0}", "{\"after\":2}");
    assert_true(ctx_journal_cleared(j));
}

static void test_journal_set_then_clear_leaves_empty(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));

    set(j, "a", "1");
    assert_int_equal(ctx_journal_clear(j), APR_SUCCESS);
    /* Nothing before a clear is kept, even uncompacted. */
    assert_int_equal(ctx_journal_count(j), 1);
    assert_merge(j, "{\"b\":2}", "{}");
}

static void test_journal_set_then_remove_removes_stored_value(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));

    set(j, "k", "1");
    assert_int_equal(ctx_journal_remove(j, "k"), APR_SUCCESS);
    assert_merge(j, "{\"k\":\"stored\"}", "{}");
    assert_int_equal(ctx_journal_compact(j), APR_SUCCESS);
    assert_int_equal(ctx_journal_count(j), 1);
    assert_int_equal(ctx_journal_entry(j, 0)->op, CTX_JOURNAL_REMOVE);
    assert_merge(j, "{\"k\":\"stored\"}", "{}");
}

static void test_journal_apply_to_null_base_is_empty_base(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));

    set(j, "x", "\"\\u00e9\"");
    assert_merge(j, NULL, "{\"x\":\"\\u00e9\"}");
}

static void test_journal_apply_leaves_base_unchanged(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));
    json_t *base = obj("{\"a\":1,\"b\":2}"), *copy = json_deep_copy(base);
    json_t *out = NULL;

    set(j, "a", "9");
    assert_int_equal(ctx_journal_remove(j, "b"), APR_SUCCESS);
    assert_int_equal(ctx_journal_apply(j, base, &out), APR_SUCCESS);
    assert_true(json_equal(base, copy));
    assert_false(json_equal(out, base));
    json_decref(out);
    json_decref(copy);
    json_decref(base);
}

static void test_journal_bad_value_applies_nothing(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));
    json_t *base = obj("{\"a\":1}"), *out = (json_t *)1;

    set(j, "a", "2");
    set(j, "bad", "{\"unterminated\":");
    assert_int_equal(ctx_journal_apply(j, base, &out), APR_EINVAL);
    assert_null(out);
    assert_int_equal(json_integer_value(json_object_get(base, "a")), 1);
    json_decref(base);
}

static void test_journal_invalid_utf8_key_is_einval(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));
    json_t *out = NULL;

    set(j, "\xff\xfe", "1");
    assert_int_equal(ctx_journal_apply(j, NULL, &out), APR_EINVAL);
    assert_null(out);
}

static void test_journal_apply_refuses_non_object_base(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));
    json_t *arr = json_array(), *out = NULL;

    assert_int_equal(ctx_journal_apply(j, arr, &out), APR_EINVAL);
    assert_null(out);
    json_decref(arr);
}

/* ---- recording, compaction ------------------------------------------------- */

static void test_journal_records_in_order_made(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));
    const ctx_journal_entry_t *e;

    set(j, "b", "1");
    assert_int_equal(ctx_journal_remove(j, "a"), APR_SUCCESS);
    set(j, "b", "2");
    assert_int_equal(ctx_journal_count(j), 3);
    e = ctx_journal_entry(j, 0);
    assert_int_equal(e->op, CTX_JOURNAL_SET);
    assert_string_equal(e->key, "b");
    assert_string_equal(e->value, "1");
    e = ctx_journal_entry(j, 1);
    assert_int_equal(e->op, CTX_JOURNAL_REMOVE);
    assert_string_equal(e->key, "a");
    assert_null(e->value);
    assert_null(ctx_journal_entry(j, 3));
}

static void test_journal_copies_keys_and_values(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));
    char key[] = "key", val[] = "[1,2]";

    assert_int_equal(ctx_journal_set(j, key, val, 3), APR_SUCCESS);
    key[0] = 'X';
    val[1] = '9';
    assert_string_equal(ctx_journal_entry(j, 0)->key, "key");
    assert_string_equal(ctx_journal_entry(j, 0)->value, "[1,");
    assert_int_equal(ctx_journal_entry(j, 0)->vlen, 3);
}

static void test_journal_compact_keeps_last_change_per_key_in_order(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));
    const ctx_journal_entry_t *e;

    set(j, "x", "0");
    assert_int_equal(ctx_journal_clear(j), APR_SUCCESS);
    set(j, "a", "1");
    set(j, "b", "2");
    set(j, "a", "3");
    assert_int_equal(ctx_journal_remove(j, "c"), APR_SUCCESS);
    assert_int_equal(ctx_journal_compact(j), APR_SUCCESS);
    assert_int_equal(ctx_journal_count(j), 4);
    assert_int_equal(ctx_journal_entry(j, 0)->op, CTX_JOURNAL_CLEAR);
    e = ctx_journal_entry(j, 1);
    assert_string_equal(e->key, "b");
    e = ctx_journal_entry(j, 2);
    assert_string_equal(e->key, "a");
    assert_string_equal(e->value, "3");
    e = ctx_journal_entry(j, 3);
    assert_int_equal(e->op, CTX_JOURNAL_REMOVE);
    assert_string_equal(e->key, "c");
}

static void test_journal_many_sets_of_one_key_stay_bounded(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));
    char v[32];

    for (int i = 0; i < 100000; ++i) {
        snprintf(v, sizeof(v), "%d", i);
        set(j, "counter", v);
    }
    assert_true(ctx_journal_count(j) <= 64);
    assert_merge(j, "{}", "{\"counter\":99999}");
}

/* A reference merge, written independently of ctx_journal.c: apply every
 * recorded step in order with plain jansson. */
typedef struct {
    int op;                     /* 0 set, 1 remove, 2 clear */
    char key[4];
    char value[16];
} step_t;

static json_t *reference(const json_t *base, const step_t *s, int n)
{
    json_t *o = json_deep_copy(base);

    for (int i = 0; i < n; ++i) {
        if (s[i].op == 0) {
            json_object_set_new(o, s[i].key, obj(s[i].value));
        }
        else if (s[i].op == 1) {
            json_object_del(o, s[i].key);
        }
        else {
            json_object_clear(o);
        }
    }
    return o;
}

static void test_journal_random_records_merge_as_applied_in_order(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    unsigned seed = 12345;

    for (int round = 0; round < 300; ++round) {
        apr_pool_t *sub = unit_subpool(p);
        ctx_journal_t *j = ctx_journal_create(sub);
        step_t steps[200];
        int n = (int)(rand_r(&seed) % 200);
        json_t *base = json_object(), *want, *got = NULL, *compacted = NULL;

        for (int k = 0; k < 5; ++k) {
            if (rand_r(&seed) % 2) {
                char key[4] = { (char)('a' + k), 0 };

                json_object_set_new(base, key, json_integer(-k));
            }
        }
        for (int i = 0; i < n; ++i) {
            unsigned r = rand_r(&seed) % 20;

            steps[i].op = r < 12 ? 0 : r < 19 ? 1 : 2;
            snprintf(steps[i].key, sizeof(steps[i].key), "%c",
                     'a' + (int)(rand_r(&seed) % 6));
            snprintf(steps[i].value, sizeof(steps[i].value), "[%d]", i);
            if (steps[i].op == 0) {
                set(j, steps[i].key, steps[i].value);
            }
            else if (steps[i].op == 1) {
                assert_int_equal(ctx_journal_remove(j, steps[i].key),
                                 APR_SUCCESS);
            }
            else {
                assert_int_equal(ctx_journal_clear(j), APR_SUCCESS);
            }
        }
        want = reference(base, steps, n);
        assert_int_equal(ctx_journal_apply(j, base, &got), APR_SUCCESS);
        assert_true(json_equal(got, want));
        assert_int_equal(ctx_journal_compact(j), APR_SUCCESS);
        assert_true(ctx_journal_count(j) <= 7);
        assert_int_equal(ctx_journal_apply(j, base, &compacted), APR_SUCCESS);
        assert_true(json_equal(compacted, want));
        json_decref(compacted);
        json_decref(got);
        json_decref(want);
        json_decref(base);
        apr_pool_destroy(sub);
    }
}

/* ---- marks, emptiness, arguments ------------------------------------------- */

static void test_journal_new_is_empty_and_any_change_is_not(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_journal_t *j = ctx_journal_create(p), *c = ctx_journal_create(p);
    ctx_journal_t *r = ctx_journal_create(p);

    assert_true(ctx_journal_is_empty(j));
    assert_false(ctx_journal_cleared(j));
    set(j, "a", "1");
    assert_false(ctx_journal_is_empty(j));
    assert_int_equal(ctx_journal_clear(c), APR_SUCCESS);
    assert_false(ctx_journal_is_empty(c));
    ctx_journal_mark(r, CTX_JOURNAL_REGENERATE);
    assert_false(ctx_journal_is_empty(r));
    assert_int_equal(ctx_journal_marks(r), CTX_JOURNAL_REGENERATE);
    assert_false(ctx_journal_cleared(r));
}

static void test_journal_invalidate_mark_records_a_clear(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));

    set(j, "a", "1");
    ctx_journal_mark(j, CTX_JOURNAL_INVALIDATE);
    assert_int_equal(ctx_journal_marks(j), CTX_JOURNAL_INVALIDATE);
    assert_true(ctx_journal_cleared(j));
    assert_merge(j, "{\"a\":0,\"b\":1}", "{}");
}

static void test_journal_refuses_bad_arguments(void **state)
{
    ctx_journal_t *j = ctx_journal_create(UNIT_POOL(state));
    json_t *out = NULL;

    assert_int_equal(ctx_journal_set(j, NULL, "1", 1), APR_EINVAL);
    assert_int_equal(ctx_journal_set(j, "k", NULL, 1), APR_EINVAL);
    assert_int_equal(ctx_journal_set(j, "k", "", 0), APR_EINVAL);
    assert_int_equal(ctx_journal_set(NULL, "k", "1", 1), APR_EINVAL);
    assert_int_equal(ctx_journal_remove(j, NULL), APR_EINVAL);
    assert_int_equal(ctx_journal_clear(NULL), APR_EINVAL);
    assert_int_equal(ctx_journal_apply(NULL, NULL, &out), APR_EINVAL);
    assert_true(ctx_journal_is_empty(j));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_journal_requests_changing_different_keys_keep_both),
        UNIT_TEST(test_journal_same_key_last_save_wins),
        UNIT_TEST(test_journal_untouched_stored_keys_survive),
        UNIT_TEST(test_journal_remove_deletes_stored_key_and_ignores_absent),
        UNIT_TEST(test_journal_clear_then_set_keeps_only_later_sets_on_empty),
        UNIT_TEST(test_journal_set_then_clear_leaves_empty),
        UNIT_TEST(test_journal_set_then_remove_removes_stored_value),
        UNIT_TEST(test_journal_apply_to_null_base_is_empty_base),
        UNIT_TEST(test_journal_apply_leaves_base_unchanged),
        UNIT_TEST(test_journal_bad_value_applies_nothing),
        UNIT_TEST(test_journal_invalid_utf8_key_is_einval),
        UNIT_TEST(test_journal_apply_refuses_non_object_base),
        UNIT_TEST(test_journal_records_in_order_made),
        UNIT_TEST(test_journal_copies_keys_and_values),
        UNIT_TEST(test_journal_compact_keeps_last_change_per_key_in_order),
        UNIT_TEST(test_journal_many_sets_of_one_key_stay_bounded),
        UNIT_TEST(test_journal_random_records_merge_as_applied_in_order),
        UNIT_TEST(test_journal_new_is_empty_and_any_change_is_not),
        UNIT_TEST(test_journal_invalidate_mark_records_a_clear),
        UNIT_TEST(test_journal_refuses_bad_arguments),
    };

    return UNIT_RUN(tests);
}

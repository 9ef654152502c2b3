/* Unit tests of ctx_session: the dict-like session of one request. */
#include "unit.h"

#include "ctx_journal.h"
#include "ctx_json.h"
#include "ctx_session.h"

/* ---- helpers --------------------------------------------------------------- */

/* A fits callback: the session fits while its JSON (as ctx_json_dump writes
 * it) has at most `limit` bytes; counts its calls and checks it sees the
 * data of the session it belongs to. */
typedef struct {
    apr_size_t limit;
    int calls;
    const json_t *last;
    char seen[256];             /* the JSON it was last asked about */
} limit_t;

static int fits_limit(void *baton, const ctx_session_t *s, const char *json,
                      apr_size_t jlen)
{
    limit_t *l = baton;
    /* what it is handed must be the new data, serialized as Flask would */
    char *want = json_dumps(ctx_session_data(s), JSON_COMPACT | JSON_SORT_KEYS);

    assert_non_null(want);
    assert_int_equal(jlen, strlen(want));
    assert_memory_equal(json, want, jlen);
    free(want);
    ++l->calls;
    l->last = ctx_session_data(s);
    snprintf(l->seen, sizeof(l->seen), "%.*s", (int)jlen, json);
    return jlen <= l->limit;
}

static ctx_session_t *loaded(apr_pool_t *p, const char *json)
{
    ctx_session_t *s = ctx_session_create(p, NULL, NULL);

    assert_non_null(s);
    ctx_session_load(s, json ? json_loads(json, 0, NULL) : NULL, 1700000000, 0);
    return s;
}

/* The session's data compared with a JSON text. */
static void assert_data(ctx_session_t *s, const char *json)
{
    json_t *want = json_loads(json, 0, NULL);
    const json_t *got = ctx_session_data(s);

    assert_non_null(want);
    assert_non_null(got);
    if (!json_equal((json_t *)got, want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);

        json_decref(want);
        fail_msg("data %s, want %s", g ? g : "?", json);
    }
    json_decref(want);
}

typedef struct {
    int n;
    int stop_after;
    char keys[16][32];
} keys_t;

static int visit_keys(void *baton, const char *key, const char *json,
                      apr_size_t len)
{
    keys_t *k = baton;

    assert_non_null(json);
    assert_true(len > 0);
    if (k->n < 16) {
        snprintf(k->keys[k->n], sizeof(k->keys[0]), "%s", key);
    }
    ++k->n;
    return !(k->stop_after && k->n >= k->stop_after);
}

static void assert_keys(ctx_session_t *s, int n, ...)
{
    keys_t k = {0};
    va_list ap;

    assert_int_equal(ctx_session_do(s, visit_keys, &k), 1);
    assert_int_equal(k.n, n);
    va_start(ap, n);
    for (int i = 0; i < n; ++i) {
        assert_string_equal(k.keys[i], va_arg(ap, const char *));
    }
    va_end(ap);
}

/* ---- loading --------------------------------------------------------------- */

static void test_session_new_is_not_loaded(void **state)
{
    ctx_session_t *s = ctx_session_create(UNIT_POOL(state), NULL, NULL);

    assert_false(ctx_session_is_loaded(s));
    assert_false(ctx_session_accessed(s));
    assert_false(ctx_session_modified(s));
    assert_false(ctx_session_sealed(s));
}

static void test_session_load_null_gives_fresh_empty_session(void **state)
{
    ctx_session_t *s = ctx_session_create(UNIT_POOL(state), NULL, NULL);

    ctx_session_load(s, NULL, 1700000000, 0);
    assert_true(ctx_session_is_loaded(s));
    assert_data(s, "{}");
    assert_int_equal(ctx_session_issued(s), 0);
    assert_false(ctx_session_needs_reissue(s));
    assert_false(ctx_session_modified(s));
    assert_false(ctx_session_accessed(s));
}

static void test_session_load_keeps_data_and_issue_time(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"user\":\"alice\",\"n\":3}");

    assert_true(ctx_session_is_loaded(s));
    assert_data(s, "{\"n\":3,\"user\":\"alice\"}");
    assert_int_equal(ctx_session_issued(s), 1700000000);
    assert_false(ctx_session_modified(s));
    assert_false(ctx_session_needs_reissue(s));
}

static void test_session_load_non_object_gives_empty_session(void **state)
{
    ctx_session_t *s = ctx_session_create(UNIT_POOL(state), NULL, NULL);

    ctx_session_load(s, json_pack("[i,i]", 1, 2), 5, 0);
    assert_data(s, "{}");
    ctx_session_load(s, json_string("x"), 5, 0);
    assert_data(s, "{}");
}

static void test_session_loaded_by_fallback_key_needs_reissue(void **state)
{
    ctx_session_t *s = ctx_session_create(UNIT_POOL(state), NULL, NULL);

    ctx_session_load(s, json_pack("{s:i}", "a", 1), 1700000000, 1);
    assert_true(ctx_session_needs_reissue(s));
    assert_false(ctx_session_modified(s));
}

static void test_session_load_again_replaces_data(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"old\":1}");

    ctx_session_load(s, json_pack("{s:i}", "new", 2), 42, 0);
    assert_data(s, "{\"new\":2}");
    assert_int_equal(ctx_session_issued(s), 42);
}

/* ---- get / has / set ------------------------------------------------------- */

static void test_session_get_marks_accessed_not_modified(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"user\":\"alice\"}");
    json_t *v;

    assert_false(ctx_session_accessed(s));
    v = ctx_session_get(s, "user");
    assert_non_null(v);
    assert_string_equal(json_string_value(v), "alice");
    assert_true(ctx_session_accessed(s));
    assert_false(ctx_session_modified(s));
}

static void test_session_get_missing_is_null_and_accessed(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1}");

    assert_null(ctx_session_get(s, "b"));
    assert_null(ctx_session_get(s, NULL));
    assert_true(ctx_session_accessed(s));
    assert_false(ctx_session_modified(s));
}

static void test_session_has_reports_presence(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":null,\"b\":false}");

    assert_true(ctx_session_has(s, "a"));      /* a null value is present */
    assert_true(ctx_session_has(s, "b"));
    assert_false(ctx_session_has(s, "c"));
    assert_false(ctx_session_has(s, "A"));
    assert_true(ctx_session_accessed(s));
    assert_false(ctx_session_modified(s));
}

static void test_session_set_each_value_type(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), NULL);

    assert_int_equal(ctx_session_set(s, "str", json_string("alice")),
                     APR_SUCCESS);
    assert_int_equal(ctx_session_set(s, "int", json_integer(-42)), APR_SUCCESS);
    assert_int_equal(ctx_session_set(s, "big", json_integer(INT64_MAX)),
                     APR_SUCCESS);
    assert_int_equal(ctx_session_set(s, "yes", json_true()), APR_SUCCESS);
    assert_int_equal(ctx_session_set(s, "no", json_false()), APR_SUCCESS);
    assert_int_equal(ctx_session_set(s, "nil", json_null()), APR_SUCCESS);
    assert_int_equal(ctx_session_set(s, "real", json_real(2.5)), APR_SUCCESS);
    assert_int_equal(ctx_session_set(s, "obj", json_pack("{s:[i,s]}", "l", 1,
                                                         "x")),
                     APR_SUCCESS);
    assert_true(ctx_session_modified(s));

    assert_string_equal(json_string_value(ctx_session_get(s, "str")), "alice");
    assert_int_equal(json_integer_value(ctx_session_get(s, "int")), -42);
    assert_true(json_integer_value(ctx_session_get(s, "big")) == INT64_MAX);
    assert_true(json_is_true(ctx_session_get(s, "yes")));
    assert_true(json_is_false(ctx_session_get(s, "no")));
    assert_true(json_is_null(ctx_session_get(s, "nil")));
    assert_true(json_real_value(ctx_session_get(s, "real")) == 2.5);
    assert_data(s, "{\"str\":\"alice\",\"int\":-42,\"big\":9223372036854775807,"
                   "\"yes\":true,\"no\":false,\"nil\":null,\"real\":2.5,"
                   "\"obj\":{\"l\":[1,\"x\"]}}");
    {
        apr_size_t len;
        char *text = ctx_json_dump(UNIT_POOL(state), ctx_session_data(s), &len);

        assert_non_null(text);
        assert_string_equal(text, "{\"big\":9223372036854775807,\"int\":-42,"
                                  "\"nil\":null,\"no\":false,\"obj\":{\"l\":"
                                  "[1,\"x\"]},\"real\":2.5,\"str\":\"alice\","
                                  "\"yes\":true}");
    }
}

static void test_session_set_replaces_value_in_place(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), NULL);

    assert_int_equal(ctx_session_set(s, "a", json_integer(1)), APR_SUCCESS);
    assert_int_equal(ctx_session_set(s, "b", json_integer(2)), APR_SUCCESS);
    assert_int_equal(ctx_session_set(s, "a", json_string("one")), APR_SUCCESS);
    assert_string_equal(json_string_value(ctx_session_get(s, "a")), "one");
    assert_keys(s, 2, "a", "b");
}

static void test_session_set_same_value_object_again(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":[1,2]}");
    json_t *v = ctx_session_get(s, "a");

    assert_int_equal(ctx_session_set(s, "a", json_incref(v)), APR_SUCCESS);
    assert_data(s, "{\"a\":[1,2]}");
}

static void test_session_set_null_arguments_is_einval(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1}");

    /* the value is stolen even then: the leak checker sees it released */
    assert_int_equal(ctx_session_set(s, NULL, json_string("leak?")),
                     APR_EINVAL);
    assert_int_equal(ctx_session_set(s, "k", NULL), APR_EINVAL);
    assert_false(ctx_session_modified(s));
    assert_data(s, "{\"a\":1}");
}

static void test_session_set_invalid_utf8_key_is_einval(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1}");

    assert_int_equal(ctx_session_set(s, "\xff", json_integer(1)), APR_EINVAL);
    assert_false(ctx_session_modified(s));
    assert_data(s, "{\"a\":1}");
}

static int count_visits(void *baton, const char *key, const char *json,
                        apr_size_t len)
{
    (void)key;
    (void)json;
    (void)len;
    ++*(int *)baton;
    return 1;
}

/* A session that was never given data (not loaded, or loaded with none)
 * reads as empty everywhere, and its first change makes the data. */
static void test_session_without_data_reads_empty_then_takes_changes(
    void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    for (int load = 0; load < 3; ++load) {
        ctx_session_t *s = ctx_session_create(p, NULL, NULL);
        const char *text, *json;
        apr_size_t len = 0;
        int visits = 0;

        if (load == 1) {
            ctx_session_load_flat(s, NULL, 0, 0);
        }
        else if (load == 2) {
            ctx_session_load(s, NULL, 0, 0);
        }
        assert_int_equal(ctx_session_count(s), 0);
        assert_int_equal(ctx_session_get_text(s, "a", &text, &len),
                         APR_NOTFOUND);
        assert_false(ctx_session_has(s, "a"));
        assert_null(ctx_session_get(s, "a"));
        assert_false(ctx_session_permanent_flag(s));
        assert_true(ctx_session_do(s, count_visits, &visits));
        assert_int_equal(visits, 0);
        assert_int_equal(json_object_size(ctx_session_data(s)), 0);
        json = ctx_session_json(s, &len);
        assert_non_null(json);
        assert_int_equal(len, 2);
        assert_memory_equal(json, "{}", 2);
        assert_int_equal(ctx_session_json_values(s), 1);
        assert_int_equal(ctx_session_remove(s, "a"), APR_NOTFOUND);
        assert_int_equal(ctx_session_set_permanent(s, 0), APR_SUCCESS);
        assert_int_equal(ctx_session_clear(s), APR_SUCCESS);
        assert_false(ctx_session_modified(s));
        if (load == 2) {
            assert_int_equal(ctx_session_invalidate(s), APR_SUCCESS);
            assert_int_equal(ctx_session_count(s), 0);
        }
        assert_int_equal(ctx_session_set_int(s, "b", 2), APR_SUCCESS);
        assert_int_equal(ctx_session_set(s, "a", json_string("x")),
                         APR_SUCCESS);
        json = ctx_session_json(s, &len);
        assert_int_equal(len, strlen("{\"a\":\"x\",\"b\":2}"));
        assert_memory_equal(json, "{\"a\":\"x\",\"b\":2}", len);
        assert_true(ctx_session_modified(s));
    }
}

/* Every setter refuses the flask format's creation-time key (mod_ctx's
 * to write) and keys that are not UTF-8, wherever the bad byte is; keys
 * one byte off the reserved one, and UTF-8 ones, are anybody's. */
static void test_session_setters_refuse_only_the_reserved_and_bad_keys(
    void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1}");
    static const char *bad[] = {
        CTX_SESSION_CREATED_KEY, "\xff", "a\xff", "abcdefgh\xc3",
        "caf\xc3\xa9\x80",
    };
    static const char *good[] = {
        "_ctx_create", "_ctx_created_", "_ctx_createe", "caf\xc3\xa9", "",
    };
    const char *text;
    apr_size_t len;

    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); ++i) {
        assert_int_equal(ctx_session_set_int(s, bad[i], 1), APR_EINVAL);
        assert_int_equal(ctx_session_set_bool(s, bad[i], 1), APR_EINVAL);
        assert_int_equal(ctx_session_set(s, bad[i], json_integer(1)),
                         APR_EINVAL);
    }
    assert_false(ctx_session_modified(s));
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); ++i) {
        assert_int_equal(ctx_session_set_int(s, good[i], (apr_int64_t)i),
                         APR_SUCCESS);
        assert_int_equal(ctx_session_get_text(s, good[i], &text, &len),
                         APR_SUCCESS);
        assert_int_equal(len, 1);
        assert_int_equal(text[0], '0' + (int)i);
    }
    assert_data(s, "{\"a\":1,\"_ctx_create\":0,\"_ctx_created_\":1,"
                   "\"_ctx_createe\":2,\"caf\\u00e9\":3,\"\":4}");
}

/* As the cookie's text is written (Python's sort_keys): code-point order,
 * whatever order the keys were set in. */
static void test_session_keys_follow_key_order(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), NULL);
    static const char *const keys[] = { "zeta", "alpha", "mu", "beta", "omega",
                                        "gamma", "kappa", "delta" };

    for (size_t i = 0; i < 8; ++i) {
        assert_int_equal(ctx_session_set(s, keys[i], json_integer((int)i)),
                         APR_SUCCESS);
    }
    assert_keys(s, 8, "alpha", "beta", "delta", "gamma", "kappa", "mu",
                "omega", "zeta");
}

static void test_session_visitor_can_stop(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), NULL);
    keys_t k = {0};

    assert_int_equal(ctx_session_set(s, "a", json_integer(1)), APR_SUCCESS);
    assert_int_equal(ctx_session_set(s, "b", json_integer(2)), APR_SUCCESS);
    assert_int_equal(ctx_session_set(s, "c", json_integer(3)), APR_SUCCESS);
    k.stop_after = 2;
    assert_int_equal(ctx_session_do(s, visit_keys, &k), 0);
    assert_int_equal(k.n, 2);
    assert_string_equal(k.keys[1], "b");
}

static void test_session_visiting_marks_accessed(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1}");

    assert_keys(s, 1, "a");
    assert_true(ctx_session_accessed(s));
    assert_false(ctx_session_modified(s));
}

/* ---- remove / clear ------------------------------------------------------- */

static void test_session_remove_present_key(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1,\"b\":2}");

    assert_int_equal(ctx_session_remove(s, "a"), APR_SUCCESS);
    assert_true(ctx_session_modified(s));
    assert_false(ctx_session_has(s, "a"));
    assert_data(s, "{\"b\":2}");
}

static void test_session_remove_absent_key_is_notfound_unmodified(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1}");

    assert_int_equal(ctx_session_remove(s, "b"), APR_NOTFOUND);
    assert_int_equal(ctx_session_remove(s, NULL), APR_EINVAL);
    assert_false(ctx_session_modified(s));
    assert_true(ctx_session_accessed(s));
    assert_data(s, "{\"a\":1}");
}

static void test_session_clear_non_empty_is_modified(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1,\"b\":[2]}");

    assert_int_equal(ctx_session_clear(s), APR_SUCCESS);
    assert_true(ctx_session_modified(s));
    assert_data(s, "{}");
    assert_keys(s, 0);
}

static void test_session_clear_empty_is_not_modified(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), NULL);

    assert_int_equal(ctx_session_clear(s), APR_SUCCESS);
    assert_false(ctx_session_modified(s));
    assert_true(ctx_session_accessed(s));
}

static void test_session_usable_after_clear(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1}");

    assert_int_equal(ctx_session_clear(s), APR_SUCCESS);
    assert_int_equal(ctx_session_set(s, "b", json_integer(2)), APR_SUCCESS);
    assert_data(s, "{\"b\":2}");
}

/* ---- permanent ----------------------------------------------------------- */

static void test_session_permanent_is_the_flask_key(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1}");

    assert_false(ctx_session_is_permanent(s));
    assert_int_equal(ctx_session_set_permanent(s, 1), APR_SUCCESS);
    assert_true(ctx_session_is_permanent(s));
    assert_true(ctx_session_modified(s));
    assert_data(s, "{\"a\":1,\"_permanent\":true}");
}

static void test_session_loaded_permanent_flag_is_read(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    assert_true(ctx_session_is_permanent(loaded(p, "{\"_permanent\":true}")));
    assert_false(ctx_session_is_permanent(loaded(p, "{\"_permanent\":false}")));
    assert_false(ctx_session_is_permanent(loaded(p, "{\"_permanent\":1}")));
    assert_false(ctx_session_is_permanent(loaded(p, "{}")));
}

static void test_session_unset_permanent_removes_the_key(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"_permanent\":true,\"a\":1}");

    assert_int_equal(ctx_session_set_permanent(s, 0), APR_SUCCESS);
    assert_false(ctx_session_is_permanent(s));
    assert_true(ctx_session_modified(s));
    assert_data(s, "{\"a\":1}");
}

static void test_session_unset_permanent_when_not_is_not_modified(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1}");

    assert_int_equal(ctx_session_set_permanent(s, 0), APR_SUCCESS);
    assert_false(ctx_session_modified(s));
    assert_data(s, "{\"a\":1}");
}

/* ---- modified flag, regenerate, invalidate -------------------------------- */

static void test_session_reads_alone_never_modify(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1,\"_permanent\":true}");

    (void)ctx_session_get(s, "a");
    (void)ctx_session_has(s, "b");
    (void)ctx_session_is_permanent(s);
    assert_keys(s, 2, "_permanent", "a");
    (void)ctx_session_data(s);
    assert_false(ctx_session_modified(s));
    assert_false(ctx_session_needs_reissue(s));
}

static void count_change(void *baton, ctx_session_t *s)
{
    (void)s;
    ++*(int *)baton;
}

/* The glue marks a response uncacheable from here: the callback must come
 * with the first change of every kind, once, and never for reads or for a
 * refused change. */
static void test_session_first_change_of_each_kind_is_announced_once(void **state)
{
    apr_pool_t *p = *state;
    const char *what[] = { "set", "remove", "clear", "regenerate",
                           "invalidate", "permanent" };

    for (unsigned i = 0; i < sizeof(what) / sizeof(what[0]); ++i) {
        int calls = 0;
        ctx_session_t *s = loaded(p, "{\"a\":1}");

        ctx_session_on_change(s, count_change, &calls);
        ctx_session_get(s, "a");
        ctx_session_remove(s, "absent");
        ctx_session_set_permanent(s, 0);
        assert_int_equal(calls, 0);
        switch (i) {
        case 0: assert_int_equal(ctx_session_set(s, "b", json_true()), APR_SUCCESS); break;
        case 1: assert_int_equal(ctx_session_remove(s, "a"), APR_SUCCESS); break;
        case 2: assert_int_equal(ctx_session_clear(s), APR_SUCCESS); break;
        case 3: assert_int_equal(ctx_session_regenerate(s), APR_SUCCESS); break;
        case 4: assert_int_equal(ctx_session_invalidate(s), APR_SUCCESS); break;
        case 5: assert_int_equal(ctx_session_set_permanent(s, 1), APR_SUCCESS); break;
        }
        if (calls != 1) {
            fail_msg("%s: %d announcements, want 1", what[i], calls);
        }
        ctx_session_set(s, "c", json_integer(3));
        ctx_session_clear(s);
        assert_int_equal(calls, 1);
    }
}

static void test_session_refused_change_is_not_announced(void **state)
{
    apr_pool_t *p = *state;
    limit_t l = { 10, 0, NULL, "" };
    int calls = 0;
    ctx_session_t *s = ctx_session_create(p, fits_limit, &l);

    ctx_session_load(s, NULL, 0, 0);
    ctx_session_on_change(s, count_change, &calls);
    assert_int_equal(ctx_session_set(s, "long", json_string("far too long")),
                     CTX_ETOOLARGE);
    assert_int_equal(calls, 0);
    assert_false(ctx_session_modified(s));
}

/* Security #10.6: a change below the owner's sure-fit length is judged by
 * the text's length alone, kept per key: a thousand sets serialize the
 * session not once, and ask the owner nothing. The length must be exact:
 * the session's real text is checked against it at the end. */
static void test_session_many_sets_below_the_limit_never_serialize(void **state)
{
    apr_pool_t *p = *state;
    limit_t l = { 1 << 20, 0, NULL, "" };
    ctx_session_t *s = ctx_session_create(p, fits_limit, &l);
    apr_size_t jlen;
    const char *json;
    char key[32];

    ctx_session_load(s, json_loads("{\"old\":\"caf\u00e9\",\"n\":[1,2.5]}", 0,
                                   NULL), 1, 0);
    ctx_session_set_limits(s, 1 << 20, APR_SIZE_MAX, APR_SIZE_MAX);
    for (int i = 0; i < 1000; ++i) {
        snprintf(key, sizeof(key), "k\"%d\u00e9", i % 700);
        assert_int_equal(ctx_session_set(s, key, json_integer(i)), APR_SUCCESS);
    }
    assert_int_equal(ctx_session_remove(s, "old"), APR_SUCCESS);
    assert_int_equal(ctx_session_serializations(s), 0);
    assert_int_equal(l.calls, 0);
    /* one more set just at the limit proves the kept length exact */
    json = ctx_session_json(s, &jlen);
    assert_non_null(json);
    {
        limit_t l2 = { 1 << 20, 0, NULL, "" };
        ctx_session_t *t = ctx_session_create(p, fits_limit, &l2);

        /* `,"x":1` adds 6 bytes */
        ctx_session_load(t, json_loads(json, 0, NULL), 1, 0);
        ctx_session_set_limits(t, jlen + 6, jlen + 6, APR_SIZE_MAX);
        assert_int_equal(ctx_session_set(t, "x", json_integer(1)), APR_SUCCESS);
        assert_int_equal(l2.calls, 0);
        assert_int_equal(ctx_session_set(t, "x", json_integer(12)), CTX_ETOOLARGE);
        assert_int_equal(l2.calls, 0);
    }
}

/* Between the limits the owner decides on the real text; a session
 * checks at most 64 KiB of text that way, then refuses. */
static void test_session_exact_checks_near_the_limit_are_bounded(void **state)
{
    apr_pool_t *p = *state;
    limit_t l = { 1 << 30, 0, NULL, "" };
    ctx_session_t *s = ctx_session_create(p, fits_limit, &l);
    char key[32];
    int i, refused = 0;

    ctx_session_load(s, NULL, 0, 0);
    ctx_session_set_limits(s, 10, APR_SIZE_MAX, APR_SIZE_MAX);
    for (i = 0; i < 5000 && !refused; ++i) {
        snprintf(key, sizeof(key), "key-%05d", i);
        refused = ctx_session_set(s, key, json_string("0123456789")) != APR_SUCCESS;
    }
    assert_true(refused);
    assert_true(i > 50);        /* dozens of exact checks: far above normal use */
    assert_int_equal(l.calls, (int)ctx_session_serializations(s));
    assert_true(l.calls < i);
    assert_false(ctx_session_has(s, key));
}

static void test_session_set_of_unwritable_value_is_einval(void **state)
{
    apr_pool_t *p = *state;
    limit_t l = { 1 << 20, 0, NULL, "" };
    ctx_session_t *s = ctx_session_create(p, fits_limit, &l);
    json_t *deep = json_integer(1);

    ctx_session_load(s, NULL, 0, 0);
    for (int i = 0; i < 200; ++i) {
        json_t *a = json_array();

        json_array_append_new(a, deep);
        deep = a;
    }
    assert_int_equal(ctx_session_set(s, "deep", deep), APR_EINVAL);
    assert_int_equal(ctx_session_set(s, "nan", json_real(0.0 / 0.0)), APR_EINVAL);
    assert_false(ctx_session_modified(s));
    assert_int_equal(ctx_session_set(s, "ok", json_true()), APR_SUCCESS);
    assert_data(s, "{\"ok\":true}");
}

/* "_ctx_created" is the flask format's creation time: a module that
 * stores client-chosen keys must not be able to set it (a location with
 * CtxSessionMaxLifetime would trust it). Flask may; mod_ctx's API not. */
static void test_session_refuses_the_reserved_creation_key(void **state)
{
    apr_pool_t *p = *state;
    ctx_session_t *s = loaded(p, "{\"a\":1}");

    assert_int_equal(ctx_session_set(s, "_ctx_created", json_integer(1)),
                     APR_EINVAL);
    assert_int_equal(ctx_session_append(s, "_ctx_created", json_integer(1)),
                     APR_EINVAL);
    assert_int_equal(ctx_session_set_field(s, "_ctx_created", "x",
                                           json_integer(1)), APR_EINVAL);
    assert_false(ctx_session_modified(s));
    assert_data(s, "{\"a\":1}");
}

/* A key the data already holds skips the key's own checks (it was read
 * or set before): the reserved creation key is still refused when it is
 * there (a Flask-format session carries it), by every setter, and a held
 * non-ASCII or escaped key is replaced under its own length and literal. */
static void test_session_held_keys_keep_their_checks(void **state)
{
    apr_pool_t *p = *state;
    ctx_session_t *s = ctx_session_create(p, NULL, NULL);
    static const char in[] = "{\"_ctx_created\":5,\"a\\\"b\":1,"
                             "\"caf\\u00e9\":2}";
    const char *json;
    apr_size_t len;

    ctx_session_load_text(s, in, sizeof(in) - 1, 1700000000, 0);
    assert_int_equal(ctx_session_count(s), 3);
    assert_int_equal(ctx_session_set_int(s, "_ctx_created", 9), APR_EINVAL);
    assert_int_equal(ctx_session_set_bool(s, "_ctx_created", 1), APR_EINVAL);
    assert_int_equal(ctx_session_set(s, "_ctx_created", json_integer(9)),
                     APR_EINVAL);
    assert_int_equal(ctx_session_append(s, "_ctx_created", json_integer(1)),
                     APR_EINVAL);
    assert_int_equal(ctx_session_set_field(s, "_ctx_created", "x",
                                           json_integer(1)), APR_EINVAL);
    assert_false(ctx_session_modified(s));
    assert_int_equal(ctx_session_set_int(s, "caf\xc3\xa9", 30), APR_SUCCESS);
    assert_int_equal(ctx_session_set_int(s, "a\"b", 10), APR_SUCCESS);
    json = ctx_session_json(s, &len);
    assert_non_null(json);
    assert_string_equal(json, "{\"_ctx_created\":5,\"a\\\"b\":10,"
                              "\"caf\\u00e9\":30}");
    assert_int_equal(len, strlen(json));
}

/* The text is made once per change and handed out again until the next
 * one: each set, remove and clear is in the next text, and a second ask
 * with no change between makes none. */
static void test_session_text_follows_every_change(void **state)
{
    apr_pool_t *p = *state;
    ctx_session_t *s = ctx_session_create(p, NULL, NULL);
    static const char in[] = "{\"count\":1}";
    const char *json, *again;
    apr_size_t len;

    ctx_session_load_text(s, in, sizeof(in) - 1, 1700000000, 0);
    json = ctx_session_json(s, &len);
    assert_string_equal(json, "{\"count\":1}");
    again = ctx_session_json(s, &len);
    assert_ptr_equal(again, json);
    assert_int_equal(ctx_session_serializations(s), 1);
    assert_int_equal(ctx_session_set_int(s, "count", 2), APR_SUCCESS);
    assert_string_equal(ctx_session_json(s, &len), "{\"count\":2}");
    assert_int_equal(len, 11);
    assert_int_equal(ctx_session_set_int(s, "count", -10), APR_SUCCESS);
    assert_int_equal(ctx_session_set_bool(s, "a", 0), APR_SUCCESS);
    assert_string_equal(ctx_session_json(s, &len),
                        "{\"a\":false,\"count\":-10}");
    assert_int_equal(ctx_session_serializations(s), 3);
    assert_int_equal(ctx_session_remove(s, "count"), APR_SUCCESS);
    assert_string_equal(ctx_session_json(s, &len), "{\"a\":false}");
    assert_int_equal(ctx_session_set_int(s, "count", 3), APR_SUCCESS);
    assert_string_equal(ctx_session_json(s, &len),
                        "{\"a\":false,\"count\":3}");
    assert_int_equal(ctx_session_clear(s), APR_SUCCESS);
    assert_string_equal(ctx_session_json(s, &len), "{}");
    assert_int_equal(len, 2);
    assert_int_equal(ctx_session_serializations(s), 6);
}

/* The one-call integer getter: every JSON type but an integer is
 * APR_EINVAL (a float read from the cookie, unchecked, included), absent
 * keys are APR_NOTFOUND, and the int64 edges are exact; *val is left as
 * it was whenever it is not APR_SUCCESS. */
static void test_session_get_int_reads_only_integers(void **state)
{
    apr_pool_t *p = *state;
    ctx_session_t *s = ctx_session_create(p, NULL, NULL);
    static const char in[] =
        "{\"a\":[1],\"b\":true,\"f\":1.5,\"g\":1e3,\"i\":-42,\"n\":null,"
        "\"o\":{\"x\":1},\"s\":\"7\",\"max\":9223372036854775807,"
        "\"min\":-9223372036854775808,\"z\":0}";
    static const char *not_int[] = { "a", "b", "f", "g", "n", "o", "s" };
    apr_int64_t v = 5;

    ctx_session_load_text(s, in, sizeof(in) - 1, 1700000000, 0);
    assert_int_equal(ctx_session_count(s), 11);
    for (size_t i = 0; i < sizeof(not_int) / sizeof(*not_int); ++i) {
        assert_int_equal(ctx_session_get_int(s, not_int[i], &v), APR_EINVAL);
        assert_true(v == 5);
    }
    assert_int_equal(ctx_session_get_int(s, "absent", &v), APR_NOTFOUND);
    assert_int_equal(ctx_session_get_int(s, NULL, &v), APR_NOTFOUND);
    assert_true(v == 5);
    assert_true(ctx_session_accessed(s));
    assert_false(ctx_session_modified(s));
    assert_int_equal(ctx_session_get_int(s, "i", &v), APR_SUCCESS);
    assert_true(v == -42);
    assert_int_equal(ctx_session_get_int(s, "z", &v), APR_SUCCESS);
    assert_true(v == 0);
    assert_int_equal(ctx_session_get_int(s, "max", &v), APR_SUCCESS);
    assert_true(v == INT64_MAX);
    assert_int_equal(ctx_session_get_int(s, "min", &v), APR_SUCCESS);
    assert_true(v == INT64_MIN);
    /* a set is read back by the same getter */
    assert_int_equal(ctx_session_set_int(s, "i", INT64_MIN), APR_SUCCESS);
    assert_int_equal(ctx_session_get_int(s, "i", &v), APR_SUCCESS);
    assert_true(v == INT64_MIN);
    assert_int_equal(ctx_session_set_bool(s, "i", 1), APR_SUCCESS);
    assert_int_equal(ctx_session_get_int(s, "i", &v), APR_EINVAL);
    assert_true(v == INT64_MIN);
}

static void test_session_regenerate_keeps_data_and_asks_reissue(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1}");

    assert_int_equal(ctx_session_regenerate(s), APR_SUCCESS);
    assert_true(ctx_session_modified(s));
    assert_true(ctx_session_needs_reissue(s));
    assert_data(s, "{\"a\":1}");
}

/* CtxSessionMaxLifetime counts from the creation time: a loaded session
 * keeps the one its owner gives it, a re-issue for a fallback key or an
 * old format keeps it too; a regenerate (login), clear or invalidate
 * starts a new session, so a new lifetime (0: "now" when saved). */
static void test_session_creation_time_survives_reissue_not_regenerate(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_session_t *s = loaded(p, "{\"a\":1}");

    assert_int_equal(ctx_session_created(s), 1700000000);   /* the issue time */
    ctx_session_set_created(s, 1690000000);
    ctx_session_ask_reissue(s);
    assert_true(ctx_session_needs_reissue(s));
    assert_false(ctx_session_modified(s));
    assert_int_equal(ctx_session_created(s), 1690000000);
    assert_int_equal(ctx_session_set(s, "b", json_integer(2)), APR_SUCCESS);
    assert_int_equal(ctx_session_created(s), 1690000000);
    assert_int_equal(ctx_session_regenerate(s), APR_SUCCESS);
    assert_int_equal(ctx_session_created(s), 0);

    s = loaded(p, "{\"a\":1}");
    ctx_session_set_created(s, 1690000000);
    assert_int_equal(ctx_session_clear(s), APR_SUCCESS);
    assert_int_equal(ctx_session_created(s), 0);
    s = loaded(p, "{\"a\":1}");
    ctx_session_set_created(s, 1690000000);
    assert_int_equal(ctx_session_invalidate(s), APR_SUCCESS);
    assert_int_equal(ctx_session_created(s), 0);
    /* a new session has none yet */
    s = ctx_session_create(p, NULL, NULL);
    ctx_session_load(s, NULL, 0, 0);
    assert_int_equal(ctx_session_created(s), 0);
}

static void test_session_invalidate_drops_data(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1,\"_permanent\":true}");

    assert_int_equal(ctx_session_invalidate(s), APR_SUCCESS);
    assert_true(ctx_session_modified(s));
    assert_data(s, "{}");
    assert_false(ctx_session_is_permanent(s));
}

/* ---- size limit ------------------------------------------------------------- */

static void test_session_fits_callback_sees_the_new_data(void **state)
{
    limit_t l = { 1000, 0, NULL, "" };
    ctx_session_t *s = ctx_session_create(UNIT_POOL(state), fits_limit, &l);
    char *now;

    ctx_session_load(s, NULL, 0, 0);
    assert_int_equal(ctx_session_set(s, "k", json_string("v")), APR_SUCCESS);
    assert_int_equal(l.calls, 1);
    assert_string_equal(l.seen, "{\"k\":\"v\"}");
    /* The session's data after the set is what the callback saw (the
     * jansson view it was shown was built for the check: compare text, the
     * flat form builds a new view once the set is committed). */
    now = json_dumps(ctx_session_data(s), JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(now, l.seen);
    free(now);
}

static void test_session_set_too_large_new_key_is_rolled_back(void **state)
{
    /* {"a":"12345"} is 13 bytes */
    limit_t l = { 13, 0, NULL, "" };
    ctx_session_t *s = ctx_session_create(UNIT_POOL(state), fits_limit, &l);

    ctx_session_load(s, json_pack("{s:s}", "a", "12345"), 0, 0);
    assert_int_equal(ctx_session_set(s, "b", json_integer(1)), CTX_ETOOLARGE);
    assert_int_equal(l.calls, 1);
    assert_false(ctx_session_has(s, "b"));
    assert_false(ctx_session_modified(s));
    assert_data(s, "{\"a\":\"12345\"}");
    assert_int_equal(unit_log_count_matching(CTX_LOG_INFO, "'b'", "size limit",
                                             NULL), 1);
}

static void assert_text(ctx_session_t *s, const char *key, const char *want)
{
    const char *text;
    apr_size_t len;

    assert_int_equal(ctx_session_get_text(s, key, &text, &len), APR_SUCCESS);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(text, want, len);
}

/* A refused replacement restores the old value wherever it lived: in the
 * parsed cookie text, set in the pool, or in a large value's own block
 * (freed by the replacement, so it must have been copied). */
static void test_session_refused_replacement_restores_every_kind_of_old(
    void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    limit_t l = { 1 << 20, 0, NULL, "" };
    ctx_session_t *s = ctx_session_create(p, fits_limit, &l);
    const char *cookie = "{\"a\":\"parsed\",\"n\":12}";
    apr_size_t big_len = 6000;
    char *big = apr_palloc(p, big_len + 3), *want_big;

    memset(big + 1, 'y', big_len);
    big[0] = big[big_len + 1] = '"';
    big[big_len + 2] = '\0';
    ctx_session_load_text(s, apr_pstrdup(p, cookie), strlen(cookie), 1, 0);
    assert_int_equal(ctx_session_set(s, "b", json_string(
                         apr_pstrndup(p, big + 1, big_len))), APR_SUCCESS);
    want_big = apr_pstrdup(p, big);
    assert_int_equal(ctx_session_set_int(s, "n", 345), APR_SUCCESS);
    l.limit = 10;               /* from now on every change is too large */
    assert_int_equal(ctx_session_set_int(s, "a", 7), CTX_ETOOLARGE);
    assert_int_equal(ctx_session_set_int(s, "n", 6789), CTX_ETOOLARGE);
    assert_int_equal(ctx_session_set_int(s, "b", 1), CTX_ETOOLARGE);
    /* the allocations of the refused changes reuse nothing still read */
    assert_int_equal(ctx_session_set_int(s, "x", 123456789), CTX_ETOOLARGE);
    assert_text(s, "a", "\"parsed\"");
    assert_text(s, "n", "345");
    assert_text(s, "b", want_big);
    assert_null(ctx_session_get(s, "x"));
}

static void test_session_set_too_large_replacement_restores_old(void **state)
{
    limit_t l = { 40, 0, NULL, "" };
    ctx_session_t *s = ctx_session_create(UNIT_POOL(state), fits_limit, &l);
    char big[64];

    ctx_session_load(s, json_pack("{s:s, s:i, s:i}", "first", "v", "mid", 2,
                                  "last", 3), 0, 0);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(ctx_session_set(s, "mid", json_string(big)),
                     CTX_ETOOLARGE);
    assert_int_equal(json_integer_value(ctx_session_get(s, "mid")), 2);
    assert_false(ctx_session_modified(s));
    assert_keys(s, 3, "first", "last", "mid");
    /* a value that fits is still accepted */
    assert_int_equal(ctx_session_set(s, "mid", json_string("ok")), APR_SUCCESS);
    assert_true(ctx_session_modified(s));
    assert_string_equal(json_string_value(ctx_session_get(s, "mid")), "ok");
}

static void test_session_set_exactly_at_limit_fits(void **state)
{
    /* {"a":1,"b":2} is 13 bytes */
    limit_t l = { 13, 0, NULL, "" };
    ctx_session_t *s = ctx_session_create(UNIT_POOL(state), fits_limit, &l);

    ctx_session_load(s, json_pack("{s:i}", "a", 1), 0, 0);
    assert_int_equal(ctx_session_set(s, "b", json_integer(2)), APR_SUCCESS);
    assert_int_equal(ctx_session_set(s, "b", json_integer(22)), CTX_ETOOLARGE);
    assert_int_equal(json_integer_value(ctx_session_get(s, "b")), 2);
}

static void test_session_permanent_too_large_is_refused(void **state)
{
    limit_t l = { 10, 0, NULL, "" };
    ctx_session_t *s = ctx_session_create(UNIT_POOL(state), fits_limit, &l);

    ctx_session_load(s, json_pack("{s:i}", "a", 1), 0, 0);
    assert_int_equal(ctx_session_set_permanent(s, 1), CTX_ETOOLARGE);
    assert_false(ctx_session_is_permanent(s));
    assert_false(ctx_session_modified(s));
}

/* ---- serialized text ---------------------------------------------------------- */

static void assert_json_text(ctx_session_t *s, const char *want)
{
    apr_size_t len = 0;
    const char *text = ctx_session_json(s, &len);

    assert_non_null(text);
    assert_string_equal(text, want);
    assert_int_equal(len, strlen(want));
}

static void test_session_json_follows_every_change(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"b\":1,\"a\":\"x\"}");

    assert_json_text(s, "{\"a\":\"x\",\"b\":1}");      /* sorted, like Flask */
    assert_int_equal(ctx_session_set(s, "c", json_true()), APR_SUCCESS);
    assert_json_text(s, "{\"a\":\"x\",\"b\":1,\"c\":true}");
    assert_int_equal(ctx_session_remove(s, "a"), APR_SUCCESS);
    assert_json_text(s, "{\"b\":1,\"c\":true}");
    assert_int_equal(ctx_session_set_permanent(s, 1), APR_SUCCESS);
    assert_json_text(s, "{\"_permanent\":true,\"b\":1,\"c\":true}");
    assert_int_equal(ctx_session_clear(s), APR_SUCCESS);
    assert_json_text(s, "{}");
    ctx_session_load(s, json_pack("{s:i}", "n", -7), 0, 0);
    assert_json_text(s, "{\"n\":-7}");
    assert_int_equal(ctx_session_invalidate(s), APR_SUCCESS);
    assert_json_text(s, "{}");
}

static void test_session_json_of_a_refused_set_is_the_old_data(void **state)
{
    /* {"a":"12345"} is 13 bytes */
    limit_t l = { 13, 0, NULL, "" };
    ctx_session_t *s = ctx_session_create(UNIT_POOL(state), fits_limit, &l);

    ctx_session_load(s, json_pack("{s:s}", "a", "12345"), 0, 0);
    assert_int_equal(ctx_session_set(s, "a", json_string("123456")),
                     CTX_ETOOLARGE);
    assert_json_text(s, "{\"a\":\"12345\"}");
    assert_int_equal(ctx_session_set(s, "a", json_string("1")), APR_SUCCESS);
    assert_json_text(s, "{\"a\":\"1\"}");
    assert_string_equal(l.seen, "{\"a\":\"1\"}");
}

/* ---- sealed --------------------------------------------------------------- */

static void test_session_sealed_refuses_every_change(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1}");

    ctx_session_seal(s);
    assert_true(ctx_session_sealed(s));
    unit_log_reset();
    assert_int_equal(ctx_session_set(s, "b", json_string("late")),
                     CTX_ETOOLATE);
    assert_int_equal(ctx_session_set(s, "a", json_integer(2)), CTX_ETOOLATE);
    assert_int_equal(ctx_session_remove(s, "a"), CTX_ETOOLATE);
    assert_int_equal(ctx_session_clear(s), CTX_ETOOLATE);
    assert_int_equal(ctx_session_set_permanent(s, 1), CTX_ETOOLATE);
    assert_int_equal(ctx_session_regenerate(s), CTX_ETOOLATE);
    assert_int_equal(ctx_session_invalidate(s), CTX_ETOOLATE);
    assert_false(ctx_session_modified(s));
    assert_false(ctx_session_needs_reissue(s));
    assert_data(s, "{\"a\":1}");
    /* each refusal is logged as an error */
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 7);
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR, "set", "'b'",
                                             "response headers", NULL), 1);
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR, "remove", "'a'",
                                             NULL), 1);
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR, "clear", NULL), 1);
}

static void test_session_sealed_still_reads(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1,\"_permanent\":true}");

    ctx_session_seal(s);
    assert_int_equal(json_integer_value(ctx_session_get(s, "a")), 1);
    assert_true(ctx_session_has(s, "a"));
    assert_true(ctx_session_is_permanent(s));
    assert_keys(s, 2, "_permanent", "a");
}

static void test_session_sealed_modified_flag_survives(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), NULL);

    assert_int_equal(ctx_session_set(s, "a", json_integer(1)), APR_SUCCESS);
    ctx_session_seal(s);
    assert_true(ctx_session_modified(s));
    assert_int_equal(ctx_session_remove(s, "a"), CTX_ETOOLATE);
    assert_data(s, "{\"a\":1}");
}


/* ---- append and set_field: one element without re-serializing by hand ---- */

static void test_session_append_to_an_absent_key_creates_a_list(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1}");

    assert_int_equal(ctx_session_append(s, "l", json_string("x")),
                     APR_SUCCESS);
    assert_true(ctx_session_modified(s));
    assert_data(s, "{\"a\":1,\"l\":[\"x\"]}");
}

static void test_session_append_adds_at_the_end_of_the_list(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"l\":[1,{\"b\":2}]}");

    assert_int_equal(ctx_session_append(s, "l", json_pack("[i]", 3)),
                     APR_SUCCESS);
    assert_int_equal(ctx_session_append(s, "l", json_null()), APR_SUCCESS);
    assert_data(s, "{\"l\":[1,{\"b\":2},[3],null]}");
    assert_json_text(s, "{\"l\":[1,{\"b\":2},[3],null]}");
}

static void test_session_append_to_a_non_list_is_einval_unchanged(void **state)
{
    static const char *const others[] = {
        "{\"v\":{\"a\":1}}", "{\"v\":\"s\"}", "{\"v\":1}", "{\"v\":null}",
        "{\"v\":true}"
    };

    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); ++i) {
        ctx_session_t *s = loaded(UNIT_POOL(state), others[i]);

        assert_int_equal(ctx_session_append(s, "v", json_integer(7)),
                         APR_EINVAL);
        assert_false(ctx_session_modified(s));
        assert_data(s, others[i]);
    }
}

static void test_session_append_too_large_removes_the_element(void **state)
{
    /* {"l":[1]} is 9 bytes; {"l":[1,2]} would be 11 */
    limit_t l = { 10, 0, NULL, "" };
    ctx_session_t *s = ctx_session_create(UNIT_POOL(state), fits_limit, &l);

    ctx_session_load(s, json_pack("{s:[i]}", "l", 1), 0, 0);
    assert_int_equal(ctx_session_append(s, "l", json_integer(2)),
                     CTX_ETOOLARGE);
    assert_false(ctx_session_modified(s));
    assert_data(s, "{\"l\":[1]}");
    assert_json_text(s, "{\"l\":[1]}");
    /* an absent key that would not fit either: no empty list left behind */
    assert_int_equal(ctx_session_append(s, "m", json_integer(2)),
                     CTX_ETOOLARGE);
    assert_data(s, "{\"l\":[1]}");
    assert_false(ctx_session_modified(s));
}

static void test_session_set_field_of_an_absent_key_creates_an_object(
    void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), NULL);

    assert_int_equal(ctx_session_set_field(s, "o", "f", json_string("v")),
                     APR_SUCCESS);
    assert_true(ctx_session_modified(s));
    assert_data(s, "{\"o\":{\"f\":\"v\"}}");
}

static void test_session_set_field_replaces_one_field_and_keeps_others(
    void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state),
                              "{\"o\":{\"a\":1,\"b\":[2]},\"x\":0}");

    assert_int_equal(ctx_session_set_field(s, "o", "b", json_pack("{s:b}",
                                                                  "t", 1)),
                     APR_SUCCESS);
    assert_int_equal(ctx_session_set_field(s, "o", "c", json_real(2.5)),
                     APR_SUCCESS);
    assert_data(s, "{\"o\":{\"a\":1,\"b\":{\"t\":true},\"c\":2.5},\"x\":0}");
    assert_json_text(s, "{\"o\":{\"a\":1,\"b\":{\"t\":true},\"c\":2.5},"
                        "\"x\":0}");
}

static void test_session_set_field_of_a_non_object_is_einval_unchanged(
    void **state)
{
    static const char *const others[] = {
        "{\"v\":[1]}", "{\"v\":\"s\"}", "{\"v\":1.5}", "{\"v\":null}",
        "{\"v\":false}"
    };

    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); ++i) {
        ctx_session_t *s = loaded(UNIT_POOL(state), others[i]);

        assert_int_equal(ctx_session_set_field(s, "v", "f", json_integer(7)),
                         APR_EINVAL);
        assert_false(ctx_session_modified(s));
        assert_data(s, others[i]);
    }
}

static void test_session_set_field_with_invalid_utf8_field_is_einval(
    void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"o\":{}}");

    assert_int_equal(ctx_session_set_field(s, "o", "\xff", json_integer(1)),
                     APR_EINVAL);
    assert_int_equal(ctx_session_set_field(s, "n", "\xc3", json_integer(1)),
                     APR_EINVAL);
    assert_data(s, "{\"o\":{}}");
    assert_false(ctx_session_modified(s));
}

static void test_session_set_field_too_large_restores_the_old_field(
    void **state)
{
    /* {"o":{"a":1}} is 13 bytes */
    limit_t l = { 14, 0, NULL, "" };
    ctx_session_t *s = ctx_session_create(UNIT_POOL(state), fits_limit, &l);

    ctx_session_load(s, json_pack("{s:{s:i}}", "o", "a", 1), 0, 0);
    assert_int_equal(ctx_session_set_field(s, "o", "a", json_string("long")),
                     CTX_ETOOLARGE);
    assert_int_equal(ctx_session_set_field(s, "o", "b", json_integer(2)),
                     CTX_ETOOLARGE);
    assert_int_equal(ctx_session_set_field(s, "p", "b", json_integer(2)),
                     CTX_ETOOLARGE);
    assert_false(ctx_session_modified(s));
    assert_data(s, "{\"o\":{\"a\":1}}");
    assert_json_text(s, "{\"o\":{\"a\":1}}");
    assert_int_equal(ctx_session_set_field(s, "o", "a", json_integer(9)),
                     APR_SUCCESS);
    assert_data(s, "{\"o\":{\"a\":9}}");
}

static void test_session_append_and_set_field_null_arguments_are_einval(
    void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), NULL);

    assert_int_equal(ctx_session_append(s, NULL, json_integer(1)), APR_EINVAL);
    assert_int_equal(ctx_session_append(s, "l", NULL), APR_EINVAL);
    assert_int_equal(ctx_session_set_field(s, NULL, "f", json_integer(1)),
                     APR_EINVAL);
    assert_int_equal(ctx_session_set_field(s, "o", NULL, json_integer(1)),
                     APR_EINVAL);
    assert_int_equal(ctx_session_set_field(s, "o", "f", NULL), APR_EINVAL);
    assert_data(s, "{}");
}

/* ---- log levels: refusals the caller handles are not errors ---------------- */

static void test_session_too_large_refusal_is_logged_at_info_not_error(
    void **state)
{
    limit_t l = { 13, 0, NULL, "" };
    ctx_session_t *s = ctx_session_create(UNIT_POOL(state), fits_limit, &l);

    ctx_session_load(s, json_pack("{s:s}", "a", "12345"), 0, 0);
    unit_log_reset();
    assert_int_equal(ctx_session_set(s, "b", json_integer(1)), CTX_ETOOLARGE);
    assert_int_equal(ctx_session_append(s, "c", json_integer(1)),
                     CTX_ETOOLARGE);
    assert_int_equal(ctx_session_set_field(s, "d", "f", json_integer(1)),
                     CTX_ETOOLARGE);
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 0);
    assert_int_equal(unit_log_count_at(CTX_LOG_WARNING), 0);
    assert_int_equal(unit_log_count_matching(CTX_LOG_INFO, "'b'", "size limit",
                                             NULL), 1);
    assert_int_equal(unit_log_count_matching(CTX_LOG_INFO, "'c'", "size limit",
                                             NULL), 1);
    assert_int_equal(unit_log_count_matching(CTX_LOG_INFO, "'d'", "size limit",
                                             NULL), 1);
}

static void test_session_read_only_refuses_changes_logged_at_debug(
    void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"a\":1,\"l\":[]}");

    ctx_session_set_read_only(s);
    assert_true(ctx_session_sealed(s));
    unit_log_reset();
    assert_int_equal(ctx_session_set(s, "b", json_integer(1)), CTX_ETOOLATE);
    assert_int_equal(ctx_session_append(s, "l", json_integer(1)),
                     CTX_ETOOLATE);
    assert_int_equal(ctx_session_set_field(s, "o", "f", json_integer(1)),
                     CTX_ETOOLATE);
    assert_int_equal(ctx_session_remove(s, "a"), CTX_ETOOLATE);
    assert_int_equal(ctx_session_clear(s), CTX_ETOOLATE);
    assert_data(s, "{\"a\":1,\"l\":[]}");
    assert_false(ctx_session_modified(s));
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 0);
    assert_int_equal(unit_log_count_at(CTX_LOG_WARNING), 0);
    assert_int_equal(unit_log_count_matching(CTX_LOG_DEBUG, "'b'", "read-only",
                                             NULL), 1);
    assert_int_equal(unit_log_count_at(CTX_LOG_DEBUG), 5);
}

static void test_session_sealed_append_and_set_field_are_errors(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), "{\"l\":[],\"o\":{}}");

    ctx_session_seal(s);
    unit_log_reset();
    assert_int_equal(ctx_session_append(s, "l", json_integer(1)),
                     CTX_ETOOLATE);
    assert_int_equal(ctx_session_set_field(s, "o", "f", json_integer(1)),
                     CTX_ETOOLATE);
    assert_data(s, "{\"l\":[],\"o\":{}}");
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR, "'l'",
                                             "response headers", NULL), 1);
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR, "'o'",
                                             "response headers", NULL), 1);
}

/* Lines about a session go to the request callback with its request. */
static void *seen_request;
static int request_lines;

static void record_request(void *baton, ctx_log_level_t level,
                           const char *file, int line, void *request,
                           const char *msg)
{
    (void)baton; (void)level; (void)file; (void)line; (void)msg;
    seen_request = request;
    ++request_lines;
}

static void test_session_log_lines_carry_the_owners_request(void **state)
{
    static int the_request;
    ctx_session_t *s = loaded(UNIT_POOL(state), NULL);

    seen_request = NULL;
    request_lines = 0;
    ctx_session_set_log_request(s, &the_request);
    ctx_session_seal(s);
    ctx_log_set_request_fn(record_request);
    assert_int_equal(ctx_session_set(s, "k", json_integer(1)), CTX_ETOOLATE);
    ctx_log_set_request_fn(NULL);
    assert_int_equal(request_lines, 1);
    assert_ptr_equal(seen_request, &the_request);
    /* without a request callback the line still goes out */
    unit_log_reset();
    assert_int_equal(ctx_session_set(s, "k", json_integer(1)), CTX_ETOOLATE);
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 1);
    assert_int_equal(request_lines, 1);
}

static void *changed_baton;
static int changed_calls;

static void note_change(void *baton, ctx_session_t *s)
{
    (void)s;
    changed_baton = baton;
    ++changed_calls;
}

/* A session made from a template has its callbacks (one baton for both),
 * limits and log request, as the four calls would give it. */
static void test_session_from_template_has_its_callbacks_and_limits(
    void **state)
{
    static int the_request;
    limit_t l = { 100, 0, NULL, "" };
    ctx_session_template_t t;
    ctx_session_t *s;

    ctx_session_template_init(&t, fits_limit, note_change);
    t.sure_fit = 8;             /* {"a":1} is 7 bytes: no need to ask */
    t.never_fit = 40;
    t.max_values = 4;
    s = ctx_session_create_from(UNIT_POOL(state), &t, &l, &the_request);
    /* the template is read during the call only */
    memset(&t, 0, sizeof(t));
    ctx_session_load_flat(s, NULL, 0, 0);
    changed_calls = 0;
    changed_baton = NULL;
    assert_int_equal(ctx_session_set_int(s, "a", 1), APR_SUCCESS);
    assert_int_equal(l.calls, 0);
    assert_int_equal(changed_calls, 1);
    assert_ptr_equal(changed_baton, &l);
    assert_int_equal(ctx_session_set(s, "b", json_string("xyz")),
                     APR_SUCCESS);
    assert_int_equal(l.calls, 1);
    assert_string_equal(l.seen, "{\"a\":1,\"b\":\"xyz\"}");
    /* past never_fit: refused without asking */
    assert_int_equal(ctx_session_set(s, "c", json_string("0123456789abcdef"
                                                         "0123456789")),
                     CTX_ETOOLARGE);
    assert_int_equal(l.calls, 1);
    /* 4 values (the object, a, b, d) fit; a fifth does not */
    assert_int_equal(ctx_session_set_int(s, "d", 4), APR_SUCCESS);
    assert_int_equal(ctx_session_set_int(s, "e", 5), CTX_ETOOLARGE);
    assert_int_equal(changed_calls, 1);
    seen_request = NULL;
    request_lines = 0;
    ctx_session_seal(s);
    ctx_log_set_request_fn(record_request);
    assert_int_equal(ctx_session_set_int(s, "a", 2), CTX_ETOOLATE);
    ctx_log_set_request_fn(NULL);
    assert_ptr_equal(seen_request, &the_request);
}

/* ---- lifetime ------------------------------------------------------------- */

static void test_session_data_released_with_pool(void **state)
{
    apr_pool_t *p = unit_subpool(UNIT_POOL(state));
    ctx_session_t *s = ctx_session_create(p, NULL, NULL);
    json_t *kept;

    ctx_session_load(s, json_pack("{s:s}", "k", "kept by the test"), 0, 0);
    /* the value handed out is the session's: one reference besides ours */
    kept = json_incref(ctx_session_get(s, "k"));
    assert_non_null(kept);
    assert_int_equal(kept->refcount, 2);
    apr_pool_destroy(p);
    assert_int_equal(kept->refcount, 1);
    json_decref(kept);
}

/* A value that cannot be written back (the session's object is one level
 * more than the value) is refused as invalid, before anything changes,
 * with or without a size limit; one level less is stored and reads back. */
static void test_session_set_too_deep_value_is_einval_and_unchanged(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    limit_t l = { 1 << 20, 0, NULL, "" };

    for (int limited = 0; limited < 2; ++limited) {
        ctx_session_t *s = ctx_session_create(p, limited ? fits_limit : NULL,
                                              &l);
        json_t *deep = json_array(), *ok = json_array();
        const char *json;
        apr_size_t len;

        ctx_session_load(s, json_pack("{s:i}", "n", 1), 0, 0);
        /* CTX_JSON_MAX_DEPTH arrays: the reader accepts it alone */
        for (int i = 1; i < CTX_JSON_MAX_DEPTH; ++i) {
            json_t *outer = json_array();

            json_array_append_new(outer, deep);
            deep = outer;
        }
        assert_non_null(ctx_json_dump(p, deep, NULL));
        assert_int_equal(ctx_session_set(s, "deep", deep), APR_EINVAL);
        assert_false(ctx_session_modified(s));
        assert_data(s, "{\"n\":1}");
        /* one level less fits, and its text is read back */
        for (int i = 1; i < CTX_JSON_MAX_DEPTH - 1; ++i) {
            json_t *outer = json_array();

            json_array_append_new(outer, ok);
            ok = outer;
        }
        assert_int_equal(ctx_session_set(s, "ok", ok), APR_SUCCESS);
        json = ctx_session_json(s, &len);
        assert_non_null(json);
        {
            json_t *back = ctx_json_parse(json, len);

            assert_non_null(back);
            assert_true(json_equal(back, ctx_session_data(s)));
            json_decref(back);
        }
    }
}

/* The fits callback can see how many JSON values the new text holds. */
static void test_session_json_values_counts_the_new_text(void **state)
{
    ctx_session_t *s = loaded(UNIT_POOL(state), NULL);

    assert_int_equal(ctx_session_set(s, "a", json_pack("[i,i,i]", 1, 2, 3)),
                     APR_SUCCESS);
    assert_non_null(ctx_session_json(s, NULL));
    /* the object, the array and its three integers */
    assert_int_equal(ctx_session_json_values(s), 5);
}

/* ---- the journal (server-side sessions) ------------------------------------ */

/* Arrays nested `depth` deep: more than the writer accepts. */
static json_t *deep_array(int depth)
{
    json_t *deep = json_integer(1);

    for (int i = 0; i < depth; ++i) {
        json_t *a = json_array();

        json_array_append_new(a, deep);
        deep = a;
    }
    return deep;
}

static void test_session_records_its_changes_in_the_journal(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_session_t *s = loaded(p, "{\"a\":1,\"b\":2}");
    ctx_journal_t *j = ctx_journal_create(p);
    const ctx_journal_entry_t *e;

    ctx_session_set_journal(s, j);
    assert_int_equal(ctx_session_set(s, "c", json_pack("{s:[i,f]}", "x", 1,
                                                       0.5)), APR_SUCCESS);
    assert_int_equal(ctx_session_remove(s, "a"), APR_SUCCESS);
    assert_int_equal(ctx_session_remove(s, "absent"), APR_NOTFOUND);
    assert_int_equal(ctx_journal_count(j), 2);
    e = ctx_journal_entry(j, 0);
    assert_int_equal(e->op, CTX_JOURNAL_SET);
    assert_string_equal(e->key, "c");
    /* The text Flask's json.dumps writes for the value. */
    assert_string_equal(e->value, "{\"x\":[1,0.5]}");
    e = ctx_journal_entry(j, 1);
    assert_int_equal(e->op, CTX_JOURNAL_REMOVE);
    assert_string_equal(e->key, "a");
    assert_int_equal(ctx_session_clear(s), APR_SUCCESS);
    assert_true(ctx_journal_cleared(j));
    assert_int_equal(ctx_journal_count(j), 1);
}

static void test_session_refused_set_records_nothing(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    limit_t l = { 13, 0, NULL, "" };
    ctx_session_t *s = ctx_session_create(p, fits_limit, &l);
    ctx_journal_t *j = ctx_journal_create(p);

    ctx_session_load(s, json_pack("{s:s}", "a", "12345"), 0, 0);
    ctx_session_set_journal(s, j);
    assert_int_equal(ctx_session_set(s, "b", json_integer(1)), CTX_ETOOLARGE);
    assert_int_equal(ctx_session_set(s, "n", deep_array(200)), APR_EINVAL);
    ctx_session_seal(s);
    assert_int_equal(ctx_session_set(s, "a", json_integer(1)), CTX_ETOOLATE);
    assert_int_equal(ctx_session_remove(s, "a"), CTX_ETOOLATE);
    assert_true(ctx_journal_is_empty(j));
}

static void test_session_unwritable_value_is_refused_with_journal_alone(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_session_t *s = loaded(p, "{}");
    ctx_journal_t *j = ctx_journal_create(p);

    ctx_session_set_journal(s, j);
    /* No fits callback: only the journal's text can refuse it. */
    assert_int_equal(ctx_session_set(s, "n", deep_array(200)), APR_EINVAL);
    assert_false(ctx_session_has(s, "n"));
    assert_false(ctx_session_modified(s));
    assert_true(ctx_journal_is_empty(j));
}

static void test_session_regenerate_and_invalidate_mark_the_journal(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_session_t *s = loaded(p, "{\"a\":1}");
    ctx_journal_t *j = ctx_journal_create(p);

    ctx_session_set_journal(s, j);
    assert_int_equal(ctx_session_regenerate(s), APR_SUCCESS);
    assert_int_equal(ctx_journal_marks(j), CTX_JOURNAL_REGENERATE);
    assert_int_equal(ctx_session_invalidate(s), APR_SUCCESS);
    assert_true(ctx_journal_marks(j) & CTX_JOURNAL_INVALIDATE);
    assert_true(ctx_journal_cleared(j));
}

/* Whatever a request does, its journal applied to what it loaded gives
 * what it ended with (so a save without concurrent writers stores exactly
 * the session the handler saw). */
static void test_session_journal_applied_to_loaded_data_gives_session_data(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    unsigned seed = 99;

    for (int round = 0; round < 200; ++round) {
        apr_pool_t *sub = unit_subpool(p);
        ctx_session_t *s = loaded(sub, "{\"a\":0,\"b\":[0],\"c\":\"0\"}");
        json_t *base = json_deep_copy(ctx_session_data(s)), *out = NULL;
        ctx_journal_t *j = ctx_journal_create(sub);
        int n = (int)(rand_r(&seed) % 40);

        ctx_session_set_journal(s, j);
        for (int i = 0; i < n; ++i) {
            char key[2] = { (char)('a' + rand_r(&seed) % 5), 0 };
            unsigned r = rand_r(&seed) % 10;

            if (r < 6) {
                ctx_session_set(s, key, json_pack("{s:i}", "i", i));
            }
            else if (r < 9) {
                ctx_session_remove(s, key);
            }
            else {
                ctx_session_clear(s);
            }
        }
        assert_int_equal(ctx_journal_apply(j, base, &out), APR_SUCCESS);
        assert_true(json_equal(out, (json_t *)ctx_session_data(s)));
        json_decref(out);
        json_decref(base);
        apr_pool_destroy(sub);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_session_new_is_not_loaded),
        UNIT_TEST(test_session_load_null_gives_fresh_empty_session),
        UNIT_TEST(test_session_load_keeps_data_and_issue_time),
        UNIT_TEST(test_session_load_non_object_gives_empty_session),
        UNIT_TEST(test_session_loaded_by_fallback_key_needs_reissue),
        UNIT_TEST(test_session_load_again_replaces_data),
        UNIT_TEST(test_session_get_marks_accessed_not_modified),
        UNIT_TEST(test_session_get_missing_is_null_and_accessed),
        UNIT_TEST(test_session_has_reports_presence),
        UNIT_TEST(test_session_set_each_value_type),
        UNIT_TEST(test_session_set_replaces_value_in_place),
        UNIT_TEST(test_session_set_same_value_object_again),
        UNIT_TEST(test_session_set_null_arguments_is_einval),
        UNIT_TEST(test_session_set_invalid_utf8_key_is_einval),
        UNIT_TEST(test_session_setters_refuse_only_the_reserved_and_bad_keys),
        UNIT_TEST(test_session_without_data_reads_empty_then_takes_changes),
        UNIT_TEST(test_session_from_template_has_its_callbacks_and_limits),
        UNIT_TEST(test_session_refused_replacement_restores_every_kind_of_old),
        UNIT_TEST(test_session_keys_follow_key_order),
        UNIT_TEST(test_session_visitor_can_stop),
        UNIT_TEST(test_session_visiting_marks_accessed),
        UNIT_TEST(test_session_remove_present_key),
        UNIT_TEST(test_session_remove_absent_key_is_notfound_unmodified),
        UNIT_TEST(test_session_clear_non_empty_is_modified),
        UNIT_TEST(test_session_clear_empty_is_not_modified),
        UNIT_TEST(test_session_usable_after_clear),
        UNIT_TEST(test_session_permanent_is_the_flask_key),
        UNIT_TEST(test_session_loaded_permanent_flag_is_read),
        UNIT_TEST(test_session_unset_permanent_removes_the_key),
        UNIT_TEST(test_session_unset_permanent_when_not_is_not_modified),
        UNIT_TEST(test_session_reads_alone_never_modify),
        UNIT_TEST(test_session_first_change_of_each_kind_is_announced_once),
        UNIT_TEST(test_session_refused_change_is_not_announced),
        UNIT_TEST(test_session_refuses_the_reserved_creation_key),
        UNIT_TEST(test_session_held_keys_keep_their_checks),
        UNIT_TEST(test_session_text_follows_every_change),
        UNIT_TEST(test_session_get_int_reads_only_integers),
        UNIT_TEST(test_session_many_sets_below_the_limit_never_serialize),
        UNIT_TEST(test_session_exact_checks_near_the_limit_are_bounded),
        UNIT_TEST(test_session_set_of_unwritable_value_is_einval),
        UNIT_TEST(test_session_regenerate_keeps_data_and_asks_reissue),
        UNIT_TEST(test_session_creation_time_survives_reissue_not_regenerate),
        UNIT_TEST(test_session_invalidate_drops_data),
        UNIT_TEST(test_session_fits_callback_sees_the_new_data),
        UNIT_TEST(test_session_set_too_large_new_key_is_rolled_back),
        UNIT_TEST(test_session_set_too_large_replacement_restores_old),
        UNIT_TEST(test_session_set_exactly_at_limit_fits),
        UNIT_TEST(test_session_set_too_deep_value_is_einval_and_unchanged),
        UNIT_TEST(test_session_json_values_counts_the_new_text),
        UNIT_TEST(test_session_json_follows_every_change),
        UNIT_TEST(test_session_json_of_a_refused_set_is_the_old_data),
        UNIT_TEST(test_session_permanent_too_large_is_refused),
        UNIT_TEST(test_session_sealed_refuses_every_change),
        UNIT_TEST(test_session_sealed_still_reads),
        UNIT_TEST(test_session_sealed_modified_flag_survives),
        UNIT_TEST(test_session_append_to_an_absent_key_creates_a_list),
        UNIT_TEST(test_session_append_adds_at_the_end_of_the_list),
        UNIT_TEST(test_session_append_to_a_non_list_is_einval_unchanged),
        UNIT_TEST(test_session_append_too_large_removes_the_element),
        UNIT_TEST(test_session_set_field_of_an_absent_key_creates_an_object),
        UNIT_TEST(test_session_set_field_replaces_one_field_and_keeps_others),
        UNIT_TEST(test_session_set_field_of_a_non_object_is_einval_unchanged),
        UNIT_TEST(test_session_set_field_with_invalid_utf8_field_is_einval),
        UNIT_TEST(test_session_set_field_too_large_restores_the_old_field),
        UNIT_TEST(test_session_append_and_set_field_null_arguments_are_einval),
        UNIT_TEST(test_session_too_large_refusal_is_logged_at_info_not_error),
        UNIT_TEST(test_session_read_only_refuses_changes_logged_at_debug),
        UNIT_TEST(test_session_sealed_append_and_set_field_are_errors),
        UNIT_TEST(test_session_log_lines_carry_the_owners_request),
        UNIT_TEST(test_session_data_released_with_pool),
        UNIT_TEST(test_session_records_its_changes_in_the_journal),
        UNIT_TEST(test_session_refused_set_records_nothing),
        UNIT_TEST(test_session_unwritable_value_is_refused_with_journal_alone),
        UNIT_TEST(test_session_regenerate_and_invalidate_mark_the_journal),
        UNIT_TEST(test_session_journal_applied_to_loaded_data_gives_session_data),
    };

    return UNIT_RUN(tests);
}

/* Unit tests of ctx_session_store: server-side sessions loaded and saved
 * through the in-memory store, counting every store call (issue #12: a
 * forged id costs no store call, a read-only request does one read and no
 * write, a down store is never an empty session). */
#include "unit.h"

#include "ctx_journal.h"
#include "ctx_json.h"
#include "ctx_session.h"
#include "ctx_session_store.h"
#include "ctx_store_mem.h"

#define SECRET "a server-side session secret of 32+ bytes"
#define OTHER "the other secret, also 32 bytes or more"
#define T0 1700000000
#define MAX_AGE 3600

typedef struct {
    apr_pool_t *p;
    ctx_store_mem_t *mem;
    ctx_session_store_t ss;
} fixture_t;

static fixture_t *fixture(apr_pool_t *p, ctx_format_t format)
{
    fixture_t *f = apr_pcalloc(p, sizeof(*f));
    ctx_keyring_t *kr = ctx_keyring_create(p);

    assert_int_equal(ctx_keyring_add(kr, SECRET, strlen(SECRET)),
                     APR_SUCCESS);
    f->p = p;
    f->mem = ctx_store_mem_create(p);
    ctx_store_mem_set_now(f->mem, apr_time_from_sec(T0));
    f->ss.store = ctx_store_mem_store(f->mem);
    f->ss.keys = kr;
    f->ss.app_name = "shop";
    f->ss.cookie_name = "session";
    f->ss.format = format;
    f->ss.max_age = MAX_AGE;
    f->ss.max_skew = 60;
    f->ss.max_lifetime = 0;
    f->ss.max_size = 16384;
    return f;
}

static void clock_at(fixture_t *f, apr_int64_t now)
{
    ctx_store_mem_set_now(f->mem, apr_time_from_sec(now));
}

static unsigned calls(fixture_t *f)
{
    ctx_store_mem_counts_t c = ctx_store_mem_counts(f->mem);

    return c.gets + c.sets + c.removes;
}

/* One request: its state, loaded data and journal. */
typedef struct {
    ctx_session_store_state_t st;
    json_t *data;
    ctx_journal_t *j;
    apr_status_t load_rv;
} req_t;

static req_t *load(fixture_t *f, const char *cookie, apr_int64_t now)
{
    req_t *r = apr_pcalloc(f->p, sizeof(*r));

    r->j = ctx_journal_create(f->p);
    r->load_rv = ctx_session_store_load(&f->ss, f->p, cookie,
                                        cookie ? strlen(cookie) : 0, now,
                                        &r->st, &r->data);
    return r;
}

static void release(req_t *r)
{
    json_decref(r->data);
    r->data = NULL;
}

static void set(req_t *r, const char *key, const char *json)
{
    assert_int_equal(ctx_journal_set(r->j, key, json, strlen(json)),
                     APR_SUCCESS);
}

static apr_status_t save(fixture_t *f, req_t *r, apr_int64_t now,
                         ctx_sstore_cookie_t *cookie)
{
    return ctx_session_store_save(&f->ss, f->p, &r->st, r->j, now, cookie);
}

/* A new session with `key` = `json`: returns its cookie (in f->p). */
static const char *new_session(fixture_t *f, const char *key,
                               const char *json)
{
    req_t *r = load(f, NULL, T0);
    ctx_sstore_cookie_t c;

    set(r, key, json);
    assert_int_equal(save(f, r, T0, &c), APR_SUCCESS);
    assert_int_equal(c, CTX_SSTORE_COOKIE_SET);
    return apr_pstrdup(f->p, r->st.sid.cookie);
}

/* The data a fresh request with `cookie` sees, as compact sorted text
 * ("none" when there is no session). */
static const char *seen(fixture_t *f, const char *cookie, apr_int64_t now)
{
    req_t *r = load(f, cookie, now);
    const char *text;

    assert_int_equal(r->load_rv, APR_SUCCESS);
    if (!r->data) {
        return "none";
    }
    text = ctx_json_dump(f->p, r->data, NULL);
    release(r);
    return text;
}

/* ---- ids: refused without a store call ----------------------------------- */

static void test_sstore_no_cookie_is_no_session_without_store_call(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    req_t *r = load(f, NULL, T0);

    assert_int_equal(r->load_rv, APR_SUCCESS);
    assert_null(r->data);
    assert_false(r->st.has_id);
    assert_int_equal(calls(f), 0);
}

static void test_sstore_forged_ids_cause_no_store_call(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fixture_t *f = fixture(p, CTX_FORMAT_SIGNED);
    const char *good = new_session(f, "user", "\"alice\"");
    ctx_keyring_t *other = ctx_keyring_create(p);
    ctx_sid_codec_t wrong_key = { other, "shop", "session" };
    ctx_sid_codec_t wrong_app = { f->ss.keys, "blog", "session" };
    ctx_sid_codec_t wrong_name = { f->ss.keys, "shop", "sid" };
    ctx_sid_t s;
    char *flipped = apr_pstrdup(p, good);
    const char *forged[6];

    assert_int_equal(ctx_keyring_add(other, OTHER, strlen(OTHER)),
                     APR_SUCCESS);
    flipped[60] = flipped[60] == 'A' ? 'B' : 'A';
    forged[0] = flipped;
    forged[1] = apr_pstrndup(p, good, strlen(good) - 1);
    forged[2] = "i1.garbage";
    assert_int_equal(ctx_sid_new(&wrong_key, &s), APR_SUCCESS);
    forged[3] = apr_pstrdup(p, s.cookie);
    assert_int_equal(ctx_sid_new(&wrong_app, &s), APR_SUCCESS);
    forged[4] = apr_pstrdup(p, s.cookie);
    assert_int_equal(ctx_sid_new(&wrong_name, &s), APR_SUCCESS);
    forged[5] = apr_pstrdup(p, s.cookie);
    ctx_store_mem_reset_counts(f->mem);
    for (int i = 0; i < 6; ++i) {
        req_t *r = load(f, forged[i], T0);
        ctx_sstore_cookie_t c;

        assert_int_equal(r->load_rv, APR_SUCCESS);
        assert_null(r->data);
        assert_false(r->st.has_id);
        assert_int_not_equal(r->st.id_reason, CTX_REASON_OK);
        /* and its unchanged save writes nothing either */
        assert_int_equal(save(f, r, T0, &c), APR_SUCCESS);
        assert_int_equal(c, CTX_SSTORE_COOKIE_KEEP);
    }
    assert_int_equal(calls(f), 0);
    assert_string_equal(seen(f, good, T0), "{\"user\":\"alice\"}");
}

/* ---- load and save --------------------------------------------------------- */

static void test_sstore_read_only_request_does_one_get_and_no_set(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");
    ctx_store_mem_counts_t c;
    ctx_sstore_cookie_t ck;
    req_t *r;

    ctx_store_mem_reset_counts(f->mem);
    r = load(f, cookie, T0 + 10);
    assert_int_equal(r->load_rv, APR_SUCCESS);
    assert_non_null(r->data);
    assert_int_equal(json_integer_value(json_object_get(r->data, "n")), 1);
    assert_int_equal(save(f, r, T0 + 10, &ck), APR_SUCCESS);
    assert_int_equal(ck, CTX_SSTORE_COOKIE_KEEP);
    assert_int_equal(ctx_session_store_save(&f->ss, f->p, &r->st, NULL,
                                            T0 + 10, &ck), APR_SUCCESS);
    c = ctx_store_mem_counts(f->mem);
    assert_int_equal(c.gets, 1);
    assert_int_equal(c.sets, 0);
    assert_int_equal(c.removes, 0);
    release(r);
}

static void test_sstore_new_session_round_trips_in_both_formats(void **state)
{
    for (int fmt = 0; fmt < 2; ++fmt) {
        apr_pool_t *p = unit_subpool(UNIT_POOL(state));
        fixture_t *f = fixture(p, (ctx_format_t)fmt);
        const char *cookie = new_session(f, "cart", "[1,{\"x\":\"\\u00e9\"}]");
        req_t *r = load(f, cookie, T0 + 1);

        assert_int_equal(strlen(cookie), CTX_SID_COOKIE_LEN);
        assert_true(r->st.found);
        assert_int_equal(r->st.issued, T0);
        assert_int_equal(r->st.created, T0);
        assert_string_equal(ctx_json_dump(p, r->data, NULL),
                            "{\"cart\":[1,{\"x\":\"\\u00e9\"}]}");
        release(r);
        apr_pool_destroy(p);
    }
}

static void test_sstore_stored_value_is_the_codec_value_bound_to_its_key(void **state)
{
    for (int fmt = 0; fmt < 2; ++fmt) {
        apr_pool_t *p = unit_subpool(UNIT_POOL(state));
        fixture_t *f = fixture(p, (ctx_format_t)fmt);
        const char *cookie = new_session(f, "secret", "\"hunter2\"");
        req_t *r = load(f, cookie, T0);
        const char *val;
        apr_size_t len;
        apr_time_t exp;
        ctx_codec_t c;
        json_t *d = NULL;

        assert_int_equal(ctx_store_mem_peek(f->mem, p, r->st.sid.store_key,
                                            &val, &len, &exp), APR_SUCCESS);
        assert_true(exp == apr_time_from_sec(T0 + MAX_AGE));
        assert_memory_equal(val, fmt ? "e2." : "s2.", 3);
        if (fmt == CTX_FORMAT_ENCRYPTED) {
            assert_null(strstr(val, "hunter2"));
        }
        /* The id is in neither the store's key nor its value. */
        assert_null(strstr(val, cookie + 3));
        assert_null(strstr(r->st.sid.store_key, cookie + 3));
        memset(&c, 0, sizeof(c));
        c.format = (ctx_format_t)fmt;
        c.keys = f->ss.keys;
        c.app_name = "shop";
        c.max_age = MAX_AGE;
        c.cookie_name = r->st.sid.store_key;
        assert_int_equal(ctx_codec_decode(&c, p, val, len, T0, &d, NULL),
                         CTX_REASON_OK);
        json_decref(d);
        d = NULL;
        /* A cookie's binding (the cookie name) does not verify it. */
        c.cookie_name = "session";
        assert_int_not_equal(ctx_codec_decode(&c, p, val, len, T0, &d, NULL),
                             CTX_REASON_OK);
        release(r);
        apr_pool_destroy(p);
    }
}

static void test_sstore_value_moved_to_another_entry_is_refused(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *admin = new_session(f, "role", "\"admin\"");
    const char *mallory = new_session(f, "role", "\"guest\"");
    req_t *a = load(f, admin, T0), *m = load(f, mallory, T0);
    const char *val;
    apr_size_t len;

    /* Someone who can write to the store copies admin's value under
     * mallory's entry. */
    assert_int_equal(ctx_store_mem_peek(f->mem, f->p, a->st.sid.store_key,
                                        &val, &len, NULL), APR_SUCCESS);
    assert_int_equal(ctx_store_mem_poke(f->mem, m->st.sid.store_key, val, len,
                                        apr_time_from_sec(T0 + MAX_AGE)),
                     APR_SUCCESS);
    unit_log_reset();
    assert_string_equal(seen(f, mallory, T0), "none");
    assert_int_equal(unit_log_count_matching(CTX_LOG_WARNING, "session store",
                                             "bad_signature", NULL), 1);
    release(a);
    release(m);
}

static void test_sstore_two_apps_on_one_store_never_collide(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fixture_t *shop = fixture(p, CTX_FORMAT_SIGNED);
    fixture_t blog = *shop;
    const char *cookie = new_session(shop, "app", "\"shop\"");
    req_t *r;

    blog.ss.app_name = "blog";  /* same store, key and cookie name */
    ctx_store_mem_reset_counts(shop->mem);
    r = load(&blog, cookie, T0);
    assert_null(r->data);
    assert_int_equal(calls(shop), 0);
    r = load(shop, cookie, T0);
    {
        char other[CTX_SID_STORE_KEY_LEN + 1];

        assert_int_equal(ctx_sid_store_key("blog", r->st.sid.id, other),
                         APR_SUCCESS);
        assert_string_not_equal(other, r->st.sid.store_key);
    }
    release(r);
}

/* ---- concurrent requests --------------------------------------------------- */

static void test_sstore_concurrent_requests_keep_each_others_keys(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED);
    const char *cookie = new_session(f, "n", "0");
    req_t *a = load(f, cookie, T0 + 1), *b = load(f, cookie, T0 + 1);
    ctx_sstore_cookie_t ca, cb;

    set(a, "a", "\"from a\"");
    set(b, "b", "\"from b\"");
    assert_int_equal(save(f, a, T0 + 2, &ca), APR_SUCCESS);
    assert_int_equal(save(f, b, T0 + 3, &cb), APR_SUCCESS);
    /* Same id for both: the entry was there. */
    assert_string_equal(a->st.sid.cookie, cookie);
    assert_string_equal(b->st.sid.cookie, cookie);
    assert_string_equal(seen(f, cookie, T0 + 4),
                        "{\"a\":\"from a\",\"b\":\"from b\",\"n\":0}");
    release(a);
    release(b);
}

static void test_sstore_same_key_last_save_wins(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "0");
    req_t *a = load(f, cookie, T0 + 1), *b = load(f, cookie, T0 + 1);
    ctx_sstore_cookie_t c;

    set(b, "n", "2");
    set(a, "n", "1");
    assert_int_equal(save(f, b, T0 + 2, &c), APR_SUCCESS);
    assert_int_equal(save(f, a, T0 + 3, &c), APR_SUCCESS);
    assert_string_equal(seen(f, cookie, T0 + 4), "{\"n\":1}");
    release(a);
    release(b);
}

/* ---- store failures -------------------------------------------------------- */

static void test_sstore_failed_get_on_load_is_estore_not_empty(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");
    req_t *r;

    ctx_store_mem_fail(f->mem, CTX_STORE_MEM_GET, APR_TIMEUP);
    r = load(f, cookie, T0);
    assert_int_equal(r->load_rv, CTX_ESTORE);
    assert_null(r->data);
    assert_true(r->st.has_id);
    assert_false(r->st.found);
    ctx_store_mem_fail(f->mem, 0, APR_SUCCESS);
    assert_string_equal(seen(f, cookie, T0), "{\"n\":1}");
}

static void test_sstore_failed_get_on_save_writes_nothing(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");
    req_t *r = load(f, cookie, T0 + 1);
    ctx_sstore_cookie_t c;
    ctx_session_store_state_t before = r->st;

    set(r, "n", "2");
    ctx_store_mem_fail(f->mem, CTX_STORE_MEM_GET, CTX_ESTORE);
    ctx_store_mem_reset_counts(f->mem);
    assert_int_equal(save(f, r, T0 + 2, &c), CTX_ESTORE);
    assert_int_equal(c, CTX_SSTORE_COOKIE_KEEP);
    assert_memory_equal(&before, &r->st, sizeof(before));
    assert_int_equal(ctx_store_mem_counts(f->mem).sets, 0);
    ctx_store_mem_fail(f->mem, 0, APR_SUCCESS);
    assert_string_equal(seen(f, cookie, T0 + 3), "{\"n\":1}");
    release(r);
}

static void test_sstore_failed_set_is_estore_and_keeps_state(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");
    req_t *r = load(f, cookie, T0 + 1), *fresh = load(f, NULL, T0 + 1);
    ctx_sstore_cookie_t c;
    ctx_session_store_state_t before = r->st;

    set(r, "n", "2");
    set(fresh, "x", "1");
    ctx_store_mem_fail(f->mem, CTX_STORE_MEM_SET, APR_ECONNREFUSED);
    assert_int_equal(save(f, r, T0 + 2, &c), CTX_ESTORE);
    assert_int_equal(c, CTX_SSTORE_COOKIE_KEEP);
    assert_memory_equal(&before, &r->st, sizeof(before));
    assert_int_equal(save(f, fresh, T0 + 2, &c), CTX_ESTORE);
    assert_int_equal(c, CTX_SSTORE_COOKIE_KEEP);
    assert_false(fresh->st.has_id);
    ctx_store_mem_fail(f->mem, 0, APR_SUCCESS);
    assert_int_equal(ctx_store_mem_entries(f->mem), 1);
    /* Recovered: the same request's save now goes through. */
    assert_int_equal(save(f, r, T0 + 3, &c), APR_SUCCESS);
    assert_string_equal(seen(f, cookie, T0 + 4), "{\"n\":2}");
    release(r);
}

/* ---- missing, expired, emptied --------------------------------------------- */

static void test_sstore_missing_entry_is_never_written_again(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");
    req_t *r;
    ctx_sstore_cookie_t c;

    r = load(f, cookie, T0);
    assert_int_equal(ctx_store_remove(f->ss.store, f->p, r->st.sid.store_key),
                     APR_SUCCESS);
    release(r);
    r = load(f, cookie, T0 + 1);
    assert_int_equal(r->load_rv, APR_SUCCESS);
    assert_null(r->data);
    assert_true(r->st.has_id);
    set(r, "m", "2");
    assert_int_equal(save(f, r, T0 + 2, &c), APR_SUCCESS);
    assert_int_equal(c, CTX_SSTORE_COOKIE_SET);
    assert_string_not_equal(r->st.sid.cookie, cookie);
    assert_string_equal(seen(f, cookie, T0 + 3), "none");
    assert_string_equal(seen(f, r->st.sid.cookie, T0 + 3), "{\"m\":2}");
}

/* A background task can send no cookie: where a request's save would move
 * to a new id (its entry gone, or regenerate), nothing is written. */
static void test_sstore_no_new_id_save_of_a_gone_entry_writes_nothing(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");
    req_t *r = load(f, cookie, T0), *g;
    ctx_sstore_cookie_t c;

    f->ss.no_new_id = 1;
    ctx_journal_mark(r->j, CTX_JOURNAL_REGENERATE);
    set(r, "m", "2");
    assert_int_equal(save(f, r, T0 + 1, &c), APR_NOTFOUND);
    assert_int_equal(c, CTX_SSTORE_COOKIE_KEEP);
    assert_string_equal(seen(f, cookie, T0 + 2), "{\"n\":1}");
    release(r);

    g = load(f, cookie, T0 + 3);
    assert_int_equal(ctx_store_remove(f->ss.store, f->p, g->st.sid.store_key),
                     APR_SUCCESS);
    set(g, "m", "2");
    assert_int_equal(save(f, g, T0 + 4, &c), APR_NOTFOUND);
    assert_int_equal(c, CTX_SSTORE_COOKIE_KEEP);
    assert_int_equal(ctx_store_mem_entries(f->mem), 0);
    release(g);
}

static void test_sstore_entry_expires_with_max_age(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");

    clock_at(f, T0 + MAX_AGE - 1);
    assert_string_equal(seen(f, cookie, T0 + MAX_AGE - 1), "{\"n\":1}");
    clock_at(f, T0 + MAX_AGE);
    assert_string_equal(seen(f, cookie, T0 + MAX_AGE), "none");
}

static void test_sstore_value_older_than_max_age_is_refused_if_kept(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");
    req_t *r = load(f, cookie, T0);
    const char *val;
    apr_size_t len;

    /* A store that does not expire in time: keep the entry a day longer. */
    assert_int_equal(ctx_store_mem_peek(f->mem, f->p, r->st.sid.store_key,
                                        &val, &len, NULL), APR_SUCCESS);
    assert_int_equal(ctx_store_mem_poke(f->mem, r->st.sid.store_key, val, len,
                                        apr_time_from_sec(T0 + 86400)),
                     APR_SUCCESS);
    clock_at(f, T0 + MAX_AGE + 1);
    assert_string_equal(seen(f, cookie, T0 + MAX_AGE + 1), "none");
    release(r);
}

static void test_sstore_oversized_stored_value_is_no_session(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");
    req_t *r = load(f, cookie, T0);
    char *big = apr_palloc(f->p, f->ss.max_size + 1);

    memset(big, 'x', f->ss.max_size + 1);
    assert_int_equal(ctx_store_mem_poke(f->mem, r->st.sid.store_key, big,
                                        f->ss.max_size + 1,
                                        apr_time_from_sec(T0 + 60)),
                     APR_SUCCESS);
    release(r);
    r = load(f, cookie, T0);
    assert_int_equal(r->load_rv, APR_SUCCESS);
    assert_null(r->data);
    assert_int_equal(r->st.value_reason, CTX_REASON_OVERSIZED);
}

static void test_sstore_emptied_session_deletes_entry_and_cookie(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");
    req_t *r = load(f, cookie, T0 + 1);
    ctx_sstore_cookie_t c;

    assert_int_equal(ctx_journal_remove(r->j, "n"), APR_SUCCESS);
    assert_int_equal(save(f, r, T0 + 2, &c), APR_SUCCESS);
    assert_int_equal(c, CTX_SSTORE_COOKIE_DELETE);
    assert_int_equal(ctx_store_mem_entries(f->mem), 0);
    assert_false(r->st.has_id);
    release(r);
}

static void test_sstore_too_large_session_is_refused_and_nothing_written(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED);
    const char *cookie = new_session(f, "n", "1");
    req_t *r = load(f, cookie, T0 + 1);
    ctx_sstore_cookie_t c;
    char *big = apr_palloc(f->p, f->ss.max_size + 3);

    memset(big, 'x', f->ss.max_size + 2);
    big[0] = big[f->ss.max_size + 1] = '"';
    big[f->ss.max_size + 2] = '\0';
    set(r, "n", "2");
    set(r, "big", big);
    ctx_store_mem_reset_counts(f->mem);
    assert_int_equal(save(f, r, T0 + 2, &c), CTX_ETOOLARGE);
    assert_int_equal(c, CTX_SSTORE_COOKIE_KEEP);
    assert_int_equal(ctx_store_mem_counts(f->mem).sets, 0);
    assert_string_equal(seen(f, cookie, T0 + 3), "{\"n\":1}");
    release(r);
}

static void test_sstore_stores_more_than_a_cookie_holds(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED);
    char *text = apr_palloc(f->p, 10002);
    const char *cookie;
    req_t *r;

    /* Encrypted and base64url'd: about 13,400 bytes, over a cookie's
     * CTX_CODEC_MAX_VALUE, under this store's max_size. */
    memset(text, 'y', 10001);
    text[0] = text[10000] = '"';
    text[10001] = '\0';
    cookie = new_session(f, "big", text);
    r = load(f, cookie, T0);
    assert_non_null(r->data);
    assert_int_equal(strlen(json_string_value(json_object_get(r->data, "big"))),
                     9999);
    release(r);
}

/* ---- revocation and fixation ----------------------------------------------- */

static void test_sstore_invalidate_deletes_entry_so_a_copied_cookie_is_empty(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "user", "\"alice\"");
    req_t *r = load(f, cookie, T0 + 1);
    ctx_sstore_cookie_t c;

    ctx_journal_mark(r->j, CTX_JOURNAL_INVALIDATE);
    assert_int_equal(save(f, r, T0 + 2, &c), APR_SUCCESS);
    assert_int_equal(c, CTX_SSTORE_COOKIE_DELETE);
    assert_int_equal(ctx_store_mem_entries(f->mem), 0);
    /* The copy an attacker kept loads nothing. */
    assert_string_equal(seen(f, cookie, T0 + 3), "none");
    release(r);
}

static void test_sstore_invalidate_then_set_moves_to_a_new_id(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "user", "\"alice\"");
    req_t *r = load(f, cookie, T0 + 1);
    ctx_sstore_cookie_t c;

    ctx_journal_mark(r->j, CTX_JOURNAL_INVALIDATE);
    set(r, "flash", "\"bye\"");
    assert_int_equal(save(f, r, T0 + 2, &c), APR_SUCCESS);
    assert_int_equal(c, CTX_SSTORE_COOKIE_SET);
    assert_string_not_equal(r->st.sid.cookie, cookie);
    assert_string_equal(seen(f, cookie, T0 + 3), "none");
    assert_string_equal(seen(f, r->st.sid.cookie, T0 + 3),
                        "{\"flash\":\"bye\"}");
    assert_int_equal(ctx_store_mem_entries(f->mem), 1);
    release(r);
}

static void test_sstore_invalidate_with_failed_delete_is_estore(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "user", "\"alice\"");
    req_t *r = load(f, cookie, T0 + 1);
    ctx_sstore_cookie_t c;

    ctx_journal_mark(r->j, CTX_JOURNAL_INVALIDATE);
    ctx_store_mem_fail(f->mem, CTX_STORE_MEM_REMOVE, CTX_ESTORE);
    assert_int_equal(save(f, r, T0 + 2, &c), CTX_ESTORE);
    assert_int_equal(c, CTX_SSTORE_COOKIE_KEEP);
    assert_true(r->st.has_id);
    ctx_store_mem_fail(f->mem, 0, APR_SUCCESS);
    assert_int_equal(save(f, r, T0 + 3, &c), APR_SUCCESS);
    assert_int_equal(c, CTX_SSTORE_COOKIE_DELETE);
    assert_string_equal(seen(f, cookie, T0 + 4), "none");
    release(r);
}

static void test_sstore_regenerate_moves_data_and_deletes_old_id(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED);
    const char *cookie = new_session(f, "cart", "[1]");
    req_t *r = load(f, cookie, T0 + 100);
    ctx_sstore_cookie_t c;

    ctx_journal_mark(r->j, CTX_JOURNAL_REGENERATE);
    set(r, "user", "\"alice\"");
    assert_int_equal(save(f, r, T0 + 200, &c), APR_SUCCESS);
    assert_int_equal(c, CTX_SSTORE_COOKIE_SET);
    assert_string_not_equal(r->st.sid.cookie, cookie);
    assert_int_equal(r->st.created, T0 + 200);      /* a new lifetime */
    assert_string_equal(seen(f, cookie, T0 + 201), "none");
    assert_string_equal(seen(f, r->st.sid.cookie, T0 + 201),
                        "{\"cart\":[1],\"user\":\"alice\"}");
    assert_int_equal(ctx_store_mem_entries(f->mem), 1);
    release(r);
}

static void test_sstore_regenerate_with_failed_delete_is_incomplete(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");
    req_t *r = load(f, cookie, T0 + 1);
    ctx_sstore_cookie_t c;

    ctx_journal_mark(r->j, CTX_JOURNAL_REGENERATE);
    ctx_store_mem_fail(f->mem, CTX_STORE_MEM_REMOVE, APR_TIMEUP);
    assert_int_equal(save(f, r, T0 + 2, &c), APR_INCOMPLETE);
    assert_int_equal(c, CTX_SSTORE_COOKIE_SET);
    assert_string_not_equal(r->st.sid.cookie, cookie);
    ctx_store_mem_fail(f->mem, 0, APR_SUCCESS);
    assert_string_equal(seen(f, r->st.sid.cookie, T0 + 3), "{\"n\":1}");
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR, "old entry", NULL),
                     1);
    release(r);
}

/* ---- lifetime: refresh, creation time, key rotation ------------------------ */

static void test_sstore_unchanged_session_is_rewritten_once_per_interval(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");
    apr_int64_t interval = ctx_store_refresh_interval(MAX_AGE);
    unsigned refreshes = 0;

    ctx_store_mem_reset_counts(f->mem);
    /* A request every 60 s for two hours: never expires, written once
     * per interval. */
    for (apr_int64_t now = T0 + 60; now <= T0 + 7200; now += 60) {
        req_t *r;
        ctx_sstore_cookie_t c;

        clock_at(f, now);
        r = load(f, cookie, now);
        assert_non_null(r->data);
        assert_int_equal(save(f, r, now, &c), APR_SUCCESS);
        refreshes += c == CTX_SSTORE_COOKIE_SET;
        release(r);
    }
    assert_int_equal(refreshes, 7200 / interval);
    assert_int_equal(ctx_store_mem_counts(f->mem).sets, 7200 / interval);
}

static void test_sstore_refresh_keeps_changes_saved_meanwhile(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");
    apr_int64_t later = T0 + ctx_store_refresh_interval(MAX_AGE);
    req_t *reader = load(f, cookie, later), *writer = load(f, cookie, later);
    ctx_sstore_cookie_t c;

    set(writer, "w", "true");
    assert_int_equal(save(f, writer, later, &c), APR_SUCCESS);
    assert_int_equal(save(f, reader, later + 1, &c), APR_SUCCESS);
    assert_string_equal(seen(f, cookie, later + 2), "{\"n\":1,\"w\":true}");
    release(reader);
    release(writer);
}

static void test_sstore_changes_keep_creation_time_and_clear_restarts_it(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");
    req_t *r = load(f, cookie, T0 + 50);
    ctx_sstore_cookie_t c;

    set(r, "n", "2");
    assert_int_equal(save(f, r, T0 + 50, &c), APR_SUCCESS);
    release(r);
    r = load(f, cookie, T0 + 60);
    assert_int_equal(r->st.issued, T0 + 50);
    assert_int_equal(r->st.created, T0);
    assert_int_equal(ctx_journal_clear(r->j), APR_SUCCESS);
    set(r, "m", "3");
    assert_int_equal(save(f, r, T0 + 70, &c), APR_SUCCESS);
    assert_string_equal(r->st.sid.cookie, cookie);
    release(r);
    r = load(f, cookie, T0 + 80);
    assert_int_equal(r->st.created, T0 + 70);
    assert_string_equal(ctx_json_dump(f->p, r->data, NULL), "{\"m\":3}");
    release(r);
}

static void test_sstore_max_lifetime_ends_an_active_session(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie;
    req_t *r;
    ctx_sstore_cookie_t c;

    f->ss.max_lifetime = 1000;
    cookie = new_session(f, "n", "1");
    r = load(f, cookie, T0 + 900);
    set(r, "n", "2");
    assert_int_equal(save(f, r, T0 + 900, &c), APR_SUCCESS);
    release(r);
    clock_at(f, T0 + 1001);
    assert_string_equal(seen(f, cookie, T0 + 1001), "none");
}

static void test_sstore_refresh_keeps_the_creation_time(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED);
    const char *cookie;
    req_t *r;
    ctx_sstore_cookie_t c;

    f->ss.max_lifetime = 1000;
    cookie = new_session(f, "n", "1");
    clock_at(f, T0 + 900);
    r = load(f, cookie, T0 + 900);
    assert_int_equal(save(f, r, T0 + 900, &c), APR_SUCCESS);
    assert_int_equal(c, CTX_SSTORE_COOKIE_SET);         /* refreshed */
    assert_int_equal(r->st.issued, T0 + 900);
    assert_int_equal(r->st.created, T0);
    release(r);
    clock_at(f, T0 + 1001);
    assert_string_equal(seen(f, cookie, T0 + 1001), "none");
}

static void test_sstore_fallback_key_id_is_resigned_without_store_write(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fixture_t *f = fixture(p, CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");
    ctx_keyring_t *rotated = ctx_keyring_create(p);
    req_t *r;
    ctx_sstore_cookie_t c;

    assert_int_equal(ctx_keyring_add(rotated, OTHER, strlen(OTHER)),
                     APR_SUCCESS);
    assert_int_equal(ctx_keyring_add(rotated, SECRET, strlen(SECRET)),
                     APR_SUCCESS);
    f->ss.keys = rotated;
    ctx_store_mem_reset_counts(f->mem);
    r = load(f, cookie, T0 + 1);
    assert_non_null(r->data);          /* the stored value verifies too */
    assert_int_equal(r->st.sid.key_index, 1);
    assert_int_equal(save(f, r, T0 + 1, &c), APR_SUCCESS);
    assert_int_equal(c, CTX_SSTORE_COOKIE_SET);
    assert_int_equal(r->st.sid.key_index, 0);
    assert_string_not_equal(r->st.sid.cookie, cookie);
    assert_int_equal(ctx_store_mem_counts(f->mem).sets, 0);
    assert_string_equal(seen(f, r->st.sid.cookie, T0 + 2), "{\"n\":1}");
    release(r);
}

/* How the glue drives it: the loaded data into a ctx_session recording
 * into the journal, the handler's calls, then the save. */
static void test_sstore_saves_what_a_ctx_session_changed(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "1");
    req_t *a = load(f, cookie, T0 + 1), *b = load(f, cookie, T0 + 1);
    ctx_session_t *sa = ctx_session_create(f->p, NULL, NULL);
    ctx_session_t *sb = ctx_session_create(f->p, NULL, NULL);
    ctx_sstore_cookie_t c;

    ctx_session_load(sa, a->data, a->st.issued, a->st.sid.key_index);
    ctx_session_load(sb, b->data, b->st.issued, b->st.sid.key_index);
    a->data = b->data = NULL;           /* stolen by the sessions */
    ctx_session_set_journal(sa, a->j);
    ctx_session_set_journal(sb, b->j);
    assert_int_equal(ctx_session_set(sa, "n",
                                     json_integer(json_integer_value(
                                         ctx_session_get(sa, "n")) + 1)),
                     APR_SUCCESS);
    assert_int_equal(ctx_session_set(sb, "user", json_string("bob")),
                     APR_SUCCESS);
    assert_int_equal(ctx_session_remove(sb, "n"), APR_SUCCESS);
    assert_int_equal(save(f, b, T0 + 2, &c), APR_SUCCESS);
    assert_int_equal(save(f, a, T0 + 3, &c), APR_SUCCESS);
    /* b removed n, then a (saved last) set it: a's value stands. */
    assert_string_equal(seen(f, cookie, T0 + 4),
                        "{\"n\":2,\"user\":\"bob\"}");
}

static void test_sstore_bad_configuration_is_einval(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_FLASK);
    ctx_session_store_state_t st;
    json_t *d = (json_t *)1;
    ctx_sstore_cookie_t c = CTX_SSTORE_COOKIE_DELETE;

    assert_int_equal(ctx_session_store_load(&f->ss, f->p, NULL, 0, T0, &st,
                                            &d), APR_EINVAL);
    assert_null(d);
    assert_int_equal(ctx_session_store_save(&f->ss, f->p, &st, NULL, T0, &c),
                     APR_EINVAL);
    assert_int_equal(c, CTX_SSTORE_COOKIE_KEEP);
    f->ss.format = CTX_FORMAT_SIGNED;
    f->ss.max_size = 0;
    assert_int_equal(ctx_session_store_load(&f->ss, f->p, NULL, 0, T0, &st,
                                            &d), APR_EINVAL);
    assert_int_equal(calls(f), 0);
}

/* ---- one verify and one decode per request -------------------------------- */

/* A save whose read of the latest entry finds the bytes its load read (no
 * other save since) does not decode them again, and the merge is the
 * same. */
static void test_sstore_save_does_not_decode_again_what_the_load_read(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "n", "0");
    req_t *r = load(f, cookie, T0 + 1);
    apr_uint32_t decoded = ctx_codec_reason_count(CTX_REASON_OK);
    ctx_sstore_cookie_t c;

    assert_non_null(r->data);
    set(r, "n", "1");
    assert_int_equal(save(f, r, T0 + 1, &c), APR_SUCCESS);
    assert_int_equal(ctx_codec_reason_count(CTX_REASON_OK), decoded);
    /* The save still reads the latest entry (one get each). */
    assert_int_equal(ctx_store_mem_counts(f->mem).gets, 2);
    release(r);
    assert_string_equal(seen(f, cookie, T0 + 2), "{\"n\":1}");
}

/* ... but one that finds another request's save decodes it and keeps its
 * change; and one a second later decodes (the time checks may differ). */
static void test_sstore_save_decodes_a_latest_entry_that_changed(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED);
    const char *cookie = new_session(f, "n", "0");
    req_t *a = load(f, cookie, T0 + 1), *b = load(f, cookie, T0 + 1);
    apr_uint32_t decoded;
    ctx_sstore_cookie_t c;

    set(b, "b", "2");
    assert_int_equal(save(f, b, T0 + 1, &c), APR_SUCCESS);
    decoded = ctx_codec_reason_count(CTX_REASON_OK);
    set(a, "a", "1");
    assert_int_equal(save(f, a, T0 + 1, &c), APR_SUCCESS);
    assert_int_equal(ctx_codec_reason_count(CTX_REASON_OK), decoded + 1);
    assert_string_equal(seen(f, cookie, T0 + 2),
                        "{\"a\":1,\"b\":2,\"n\":0}");
    release(a);
    release(b);

    a = load(f, cookie, T0 + 3);
    decoded = ctx_codec_reason_count(CTX_REASON_OK);
    set(a, "a", "3");
    assert_int_equal(save(f, a, T0 + 4, &c), APR_SUCCESS);
    assert_int_equal(ctx_codec_reason_count(CTX_REASON_OK), decoded + 1);
    release(a);
}

/* An id verified by the caller is loaded without a second verify. */
static void test_sstore_load_verified_takes_the_callers_verified_id(void **state)
{
    fixture_t *f = fixture(UNIT_POOL(state), CTX_FORMAT_SIGNED);
    const char *cookie = new_session(f, "user", "\"alice\"");
    ctx_sid_codec_t ids = { f->ss.keys, "shop", "session" };
    ctx_session_store_state_t st;
    struct ctx_flat_t *data = NULL;
    ctx_sid_t sid;
    apr_uint32_t verified;
    unsigned before;

    assert_int_equal(ctx_sid_verify(&ids, cookie, strlen(cookie), &sid),
                     CTX_REASON_OK);
    verified = ctx_sid_reason_count(CTX_REASON_OK);
    assert_int_equal(ctx_session_store_load_verified(&f->ss, f->p, &sid,
                                                     T0 + 1, &st, &data),
                     APR_SUCCESS);
    assert_int_equal(ctx_sid_reason_count(CTX_REASON_OK), verified);
    assert_true(st.has_id && st.found);
    assert_int_equal(st.id_reason, CTX_REASON_OK);
    assert_string_equal(st.sid.cookie, cookie);
    assert_non_null(data);
    /* No id: no session, no store call. */
    before = calls(f);
    assert_int_equal(ctx_session_store_load_verified(&f->ss, f->p, NULL,
                                                     T0 + 1, &st, &data),
                     APR_SUCCESS);
    assert_null(data);
    assert_false(st.has_id);
    assert_int_equal(calls(f), before);
    assert_int_equal(ctx_session_store_load_verified(NULL, f->p, &sid,
                                                     T0 + 1, &st, &data),
                     APR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_sstore_no_cookie_is_no_session_without_store_call),
        UNIT_TEST(test_sstore_forged_ids_cause_no_store_call),
        UNIT_TEST(test_sstore_read_only_request_does_one_get_and_no_set),
        UNIT_TEST(test_sstore_new_session_round_trips_in_both_formats),
        UNIT_TEST(test_sstore_stored_value_is_the_codec_value_bound_to_its_key),
        UNIT_TEST(test_sstore_value_moved_to_another_entry_is_refused),
        UNIT_TEST(test_sstore_two_apps_on_one_store_never_collide),
        UNIT_TEST(test_sstore_concurrent_requests_keep_each_others_keys),
        UNIT_TEST(test_sstore_same_key_last_save_wins),
        UNIT_TEST(test_sstore_failed_get_on_load_is_estore_not_empty),
        UNIT_TEST(test_sstore_failed_get_on_save_writes_nothing),
        UNIT_TEST(test_sstore_failed_set_is_estore_and_keeps_state),
        UNIT_TEST(test_sstore_missing_entry_is_never_written_again),
        UNIT_TEST(test_sstore_no_new_id_save_of_a_gone_entry_writes_nothing),
        UNIT_TEST(test_sstore_entry_expires_with_max_age),
        UNIT_TEST(test_sstore_value_older_than_max_age_is_refused_if_kept),
        UNIT_TEST(test_sstore_oversized_stored_value_is_no_session),
        UNIT_TEST(test_sstore_emptied_session_deletes_entry_and_cookie),
        UNIT_TEST(test_sstore_too_large_session_is_refused_and_nothing_written),
        UNIT_TEST(test_sstore_stores_more_than_a_cookie_holds),
        UNIT_TEST(test_sstore_invalidate_deletes_entry_so_a_copied_cookie_is_empty),
        UNIT_TEST(test_sstore_invalidate_then_set_moves_to_a_new_id),
        UNIT_TEST(test_sstore_invalidate_with_failed_delete_is_estore),
        UNIT_TEST(test_sstore_regenerate_moves_data_and_deletes_old_id),
        UNIT_TEST(test_sstore_regenerate_with_failed_delete_is_incomplete),
        UNIT_TEST(test_sstore_unchanged_session_is_rewritten_once_per_interval),
        UNIT_TEST(test_sstore_refresh_keeps_changes_saved_meanwhile),
        UNIT_TEST(test_sstore_changes_keep_creation_time_and_clear_restarts_it),
        UNIT_TEST(test_sstore_max_lifetime_ends_an_active_session),
        UNIT_TEST(test_sstore_refresh_keeps_the_creation_time),
        UNIT_TEST(test_sstore_fallback_key_id_is_resigned_without_store_write),
        UNIT_TEST(test_sstore_saves_what_a_ctx_session_changed),
        UNIT_TEST(test_sstore_bad_configuration_is_einval),
        UNIT_TEST(test_sstore_save_does_not_decode_again_what_the_load_read),
        UNIT_TEST(test_sstore_save_decodes_a_latest_entry_that_changed),
        UNIT_TEST(test_sstore_load_verified_takes_the_callers_verified_id),
    };

    return UNIT_RUN(tests);
}

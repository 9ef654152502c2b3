/* Unit tests of ctx_load: choosing a request's session among the values of
 * its cookie's name. Cookies are made by the codec; decodes are counted by
 * the codec's per-reason counters (each decode counts one reason). */
#include "unit.h"

#include "ctx_codec.h"
#include "ctx_keys.h"
#include "ctx_flat.h"
#include "ctx_load.h"

#define NOW 1700000000

typedef struct {
    ctx_keyring_t *kr;
    ctx_codec_t codec;
} fixture_t;

static void fixture(apr_pool_t *p, fixture_t *f, ctx_format_t format)
{
    f->kr = ctx_keyring_create(p);
    assert_int_equal(ctx_keyring_add(f->kr, "load-test-key", 13),
                     APR_SUCCESS);
    memset(&f->codec, 0, sizeof(f->codec));
    f->codec.format = format;
    f->codec.keys = f->kr;
    f->codec.cookie_name = "session";
    f->codec.max_age = 3600;
    f->codec.max_skew = 60;
    f->codec.app_name = "load-test";
}

/* A valid cookie value holding {"n": n}. */
static const char *cookie(const fixture_t *f, apr_pool_t *p, int n)
{
    json_t *data = json_pack("{s:i}", "n", n);
    const char *v = NULL;

    assert_int_equal(ctx_codec_encode(&f->codec, p, data, NOW, 0, &v, NULL),
                     APR_SUCCESS);
    json_decref(data);
    return v;
}

static apr_uint32_t decodes(void)
{
    apr_uint32_t n = 0;

    for (int r = 0; r < CTX_REASON_COUNT; ++r) {
        n += ctx_codec_reason_count((ctx_reason_t)r);
    }
    return n;
}

/* Load from the given headers (NULL-terminated); the session's "n" or -1
 * for no session. */
static int load(const fixture_t *f, apr_pool_t *p, ctx_load_t *l, ...)
{
    const char *h;
    va_list ap;
    int n = -1;

    ctx_load_init(l, &f->codec, p, NOW);
    va_start(ap, l);
    while ((h = va_arg(ap, const char *)) != NULL) {
        if (!ctx_load_header(l, h)) {
            break;
        }
    }
    va_end(ap);
    if (l->data) {
        const ctx_flat_member_t *m = ctx_flat_get(l->data, "n");
        apr_int64_t v = 0;

        assert_non_null(m);
        assert_int_equal(ctx_flat_int(m->text, m->tlen, &v), APR_SUCCESS);
        n = (int)v;
        l->data = NULL;
    }
    return n;
}

static void test_load_first_cookie_that_verifies_is_the_session(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fixture_t f;
    ctx_load_t l;

    fixture(p, &f, CTX_FORMAT_SIGNED);
    assert_int_equal(load(&f, p, &l, apr_pstrcat(p, "session=junk; a=1; "
                                                 "session=", cookie(&f, p, 7),
                                                 NULL), NULL), 7);
    assert_int_equal(l.tried, 2);
    assert_int_equal(l.first_failure, CTX_REASON_MALFORMED);
    assert_false(l.conflict);
    assert_int_equal(load(&f, p, &l, "a=1", NULL), -1);
    assert_int_equal(l.seen, 0);
}

static void test_load_same_valid_value_twice_is_one_session(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fixture_t f;
    ctx_load_t l;
    const char *c;
    apr_uint32_t before;

    fixture(p, &f, CTX_FORMAT_SIGNED);
    c = cookie(&f, p, 3);
    before = decodes();
    assert_int_equal(load(&f, p, &l, apr_pstrcat(p, "session=", c,
                                                 "; session=", c, NULL),
                          apr_pstrcat(p, "session=", c, NULL), NULL), 3);
    assert_false(l.conflict);
    assert_int_equal(l.seen, 3);
    assert_int_equal(decodes() - before, 1);    /* decoded once */
}

/* Two different valid sessions: someone placed one beside the client's
 * own; neither is trusted, and it is counted. In one header or across
 * several, in any order. */
static void test_load_two_different_valid_cookies_is_no_session(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fixture_t f;
    ctx_load_t l;
    const char *a, *b;

    for (int fmt = 0; fmt < 3; ++fmt) {
        apr_uint32_t before = ctx_load_conflicts();

        fixture(p, &f, (ctx_format_t)fmt);
        a = cookie(&f, p, 1);
        b = cookie(&f, p, 2);
        assert_int_equal(load(&f, p, &l, apr_pstrcat(p, "session=", a,
                                                     "; session=", b, NULL),
                              NULL), -1);
        assert_true(l.conflict);
        assert_int_equal(load(&f, p, &l, apr_pstrcat(p, "session=", b, NULL),
                              apr_pstrcat(p, "x=1; session=", a, NULL),
                              NULL), -1);
        assert_true(l.conflict);
        assert_int_equal(load(&f, p, &l, apr_pstrcat(p, "session=", b,
                                                     "; session=bad; "
                                                     "session=", b,
                                                     "; session=", a, NULL),
                              NULL), -1);
        assert_true(l.conflict);
        assert_int_equal(ctx_load_conflicts() - before, 3);
    }
}

/* "pref=dark,session=<attacker's>" is the cookie pref: the attacker's
 * session is never decoded, the client's own is the session. After ", "
 * (httpd's join of two Cookie lines) it is a candidate, and beside the
 * client's own it is a conflict: neither is the session. */
static void test_load_session_smuggled_in_another_value_is_ignored(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fixture_t f;
    ctx_load_t l;
    const char *mine, *evil;
    apr_uint32_t before;

    fixture(p, &f, CTX_FORMAT_SIGNED);
    mine = cookie(&f, p, 1);
    evil = cookie(&f, p, 666);
    before = decodes();
    assert_int_equal(load(&f, p, &l, apr_pstrcat(p, "pref=dark,session=", evil,
                                                 "; session=", mine, NULL),
                          NULL), 1);
    assert_false(l.conflict);
    assert_int_equal(decodes() - before, 1);
    assert_int_equal(load(&f, p, &l, apr_pstrcat(p, "pref=dark,session=",
                                                 evil, NULL), NULL), -1);
    assert_int_equal(l.seen, 0);
    /* after ", " as well: never read, whatever follows */
    assert_int_equal(load(&f, p, &l, apr_pstrcat(p, "pref=dark, session=",
                                                 evil, "; session=", mine,
                                                 NULL), NULL), 1);
    assert_false(l.conflict);
    assert_int_equal(load(&f, p, &l, apr_pstrcat(p, "pref=dark, session=",
                                                 evil, NULL), NULL), -1);
    assert_int_equal(l.seen, 0);
}

/* A header of many same-named cookies costs CTX_LOAD_MAX_CANDIDATES
 * decodes, whatever their number: a valid one after them is not reached. */
static void test_load_decodes_at_most_the_candidate_limit(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fixture_t f;
    ctx_load_t l;
    const char *good, *junk = "";
    apr_uint32_t before;

    fixture(p, &f, CTX_FORMAT_ENCRYPTED);
    good = cookie(&f, p, 5);
    for (int i = 0; i < 1000; ++i) {
        junk = apr_pstrcat(p, junk, "session=e1.AAAA.", i % 2 ? "x" : "y",
                           "; ", NULL);
    }
    before = decodes();
    assert_int_equal(load(&f, p, &l, apr_pstrcat(p, junk, "session=", good,
                                                 NULL), NULL), -1);
    assert_int_equal(decodes() - before, CTX_LOAD_MAX_CANDIDATES);
    assert_int_equal(l.tried, CTX_LOAD_MAX_CANDIDATES);
    assert_true(l.more);
    /* over several headers too */
    before = decodes();
    assert_int_equal(load(&f, p, &l, junk, junk, junk,
                          apr_pstrcat(p, "session=", good, NULL), NULL), -1);
    assert_int_equal(decodes() - before, CTX_LOAD_MAX_CANDIDATES);
    /* within the limit, a valid one is found; the same value again costs
     * nothing */
    before = decodes();
    assert_int_equal(load(&f, p, &l, apr_pstrcat(p, "session=a; session=b; "
                                                 "session=c; session=", good,
                                                 "; session=", good, NULL),
                          NULL), 5);
    assert_int_equal(decodes() - before, CTX_LOAD_MAX_CANDIDATES);
    assert_false(l.conflict);
}

/* A valid session padded with junk up to the limit, before the client's
 * own (say, planted for a parent domain or a broader path): the client's
 * is never decoded, so it cannot be told apart from a second valid
 * session; trusting the first would let the padded one win. Neither is. */
static void test_load_padded_session_does_not_outrank_an_untried_one(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    fixture_t f;
    ctx_load_t l;
    const char *attacker, *victim;
    apr_uint32_t before = ctx_load_conflicts();

    fixture(p, &f, CTX_FORMAT_SIGNED);
    attacker = cookie(&f, p, 666);
    victim = cookie(&f, p, 1);
    assert_int_equal(load(&f, p, &l,
                          apr_pstrcat(p, "session=", attacker,
                                      "; session=j1; session=j2; session=j3"
                                      "; session=", victim, NULL), NULL), -1);
    assert_int_equal(l.tried, CTX_LOAD_MAX_CANDIDATES);
    assert_true(l.more);
    assert_true(l.conflict);
    assert_int_equal(ctx_load_conflicts() - before, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_load_first_cookie_that_verifies_is_the_session),
        UNIT_TEST(test_load_same_valid_value_twice_is_one_session),
        UNIT_TEST(test_load_two_different_valid_cookies_is_no_session),
        UNIT_TEST(test_load_session_smuggled_in_another_value_is_ignored),
        UNIT_TEST(test_load_decodes_at_most_the_candidate_limit),
        UNIT_TEST(test_load_padded_session_does_not_outrank_an_untried_one),
    };

    return UNIT_RUN(tests);
}

/* Unit tests of ctx_cookie: finding a cookie in Cookie headers and building
 * Set-Cookie values. Expected dates come from Python's
 * email.utils.formatdate(t, usegmt=True). */
#include "unit.h"

#include "ctx_cookie.h"

/* ---- finding --------------------------------------------------------------- */

typedef struct {
    int n;
    int stop_after;             /* 0: never stop */
    char vals[8][256];
    apr_size_t lens[8];
} found_t;

static int collect(void *baton, const char *val, apr_size_t len)
{
    found_t *f = baton;

    if (f->n < 8) {
        snprintf(f->vals[f->n], sizeof(f->vals[0]), "%.*s", (int)len, val);
        f->lens[f->n] = len;
    }
    ++f->n;
    return !(f->stop_after && f->n >= f->stop_after);
}

/* find `name` in `header`: exactly the n values given, in order. */
static void assert_found(const char *header, const char *name, int n, ...)
{
    found_t f = {0};
    va_list ap;

    assert_int_equal(ctx_cookie_find(header, name, collect, &f), 1);
    if (f.n != n) {
        fail_msg("%s in \"%s\": %d values, want %d", name, header, f.n, n);
    }
    va_start(ap, n);
    for (int i = 0; i < n; ++i) {
        const char *want = va_arg(ap, const char *);

        assert_string_equal(f.vals[i], want);
        assert_int_equal(f.lens[i], strlen(want));
    }
    va_end(ap);
}

static void test_cookie_finds_single_cookie(void **state)
{
    (void)state;
    assert_found("session=abc", "session", 1, "abc");
    assert_found("a=1; session=abc; b=2", "session", 1, "abc");
    assert_found("a=1;session=abc;b=2", "session", 1, "abc");
    assert_found("session=abc; a=1", "session", 1, "abc");
    assert_found("a=1; session=abc", "session", 1, "abc");
}

/* A bare ',' inside another cookie's value must not start a pair:
 * "pref=dark,session=X" is the cookie pref, whatever X is (a page that can
 * set pref would otherwise choose the session). */
static void test_cookie_comma_in_a_value_never_starts_a_cookie(void **state)
{
    (void)state;
    assert_found("pref=dark,session=evil; session=mine", "session", 1, "mine");
    assert_found("pref=dark,session=evil", "session", 0);
    assert_found("a=\"x,session=evil\"; session=mine", "session", 1, "mine");
    /* a value ends at a comma: session values never hold one */
    assert_found("session=mine,x=1; b=2", "session", 1, "mine");
    assert_found("session=mine,session=evil", "session", 1, "mine");
}

/* mod_http2 joins HTTP/2 cookie crumbs with "; ": every pair is read.
 * httpd joins repeated HTTP/1.1 Cookie lines with ", ", which cannot be
 * told from ", " inside another cookie's value: a pair after a comma, with
 * or without a space, is never read (a value holding ", session=..." must
 * not plant a session in a client that has none). */
static void test_cookie_joined_header_lines(void **state)
{
    (void)state;
    assert_found("a=1; session=abc; x=1", "session", 1, "abc");
    assert_found("a=1; session=abc, x=1", "session", 1, "abc");
    assert_found("x=1, session=abc", "session", 0);
    assert_found("x=1,\tsession=abc", "session", 0);
    assert_found("pref=dark, session=other; session=mine", "session", 1,
                 "mine");
    assert_found("x=1, a=2; session=abc", "session", 1, "abc");
}

static void test_cookie_reports_every_same_named_cookie_in_order(void **state)
{
    (void)state;
    assert_found("session=one; other=x; session=two; session=three", "session",
                 3, "one", "two", "three");
    assert_found("session=same; session=same", "session", 2, "same", "same");
}

typedef struct {
    const char *p;
    apr_size_t len;
} seen_t;

static int grab(void *baton, const char *val, apr_size_t len)
{
    seen_t *seen = baton;

    seen->p = val;
    seen->len = len;
    return 0;
}

static void test_cookie_value_points_into_the_header(void **state)
{
    static const char header[] = "x=1; session=value; y=2";
    seen_t seen = { NULL, 0 };

    (void)state;
    assert_int_equal(ctx_cookie_find(header, "session", grab, &seen), 0);
    assert_ptr_equal(seen.p, header + 13);
    assert_int_equal(seen.len, 5);
}

static void test_cookie_stops_when_callback_returns_zero(void **state)
{
    found_t f = {0};

    (void)state;
    f.stop_after = 1;
    assert_int_equal(ctx_cookie_find("session=1; session=2; session=3",
                                     "session", collect, &f), 0);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.vals[0], "1");

    memset(&f, 0, sizeof(f));
    f.stop_after = 2;
    assert_int_equal(ctx_cookie_find("session=1; session=2; session=3",
                                     "session", collect, &f), 0);
    assert_int_equal(f.n, 2);
    assert_string_equal(f.vals[1], "2");
}

static void test_cookie_strips_surrounding_whitespace(void **state)
{
    (void)state;
    assert_found("  session=abc  ", "session", 1, "abc");
    assert_found("\tsession=abc\t;\t session=def \t", "session", 2, "abc",
                 "def");
    assert_found("a=1 ;  session=abc ; b=2", "session", 1, "abc");
}

static void test_cookie_name_is_compared_exactly(void **state)
{
    (void)state;
    assert_found("Session=a; SESSION=b; session=c", "session", 1, "c");
    assert_found("sessionx=a; xsession=b; session_=c; sess=d", "session", 0);
    assert_found("session; sessio=n", "session", 0);
    assert_found("a=session=x", "session", 0);
    assert_found("__Host-session=h; session=s", "__Host-session", 1, "h");
    /* A pair's name ends at its first '=': a name holding one names no
     * pair, even where the header's text starts with it. */
    assert_found("a=b=c", "a=b", 0);
    assert_found("x=1; a=b=c; a=b =d", "a=b", 0);
    assert_found("==x", "=", 0);
    /* The empty name: a pair that starts with '='. */
    assert_found("a=1; =x; b=2", "", 1, "x");
}

static void test_cookie_quoted_value_is_reported_raw(void **state)
{
    (void)state;
    assert_found("session=\"abc\"", "session", 1, "\"abc\"");
    assert_found("a=1; session=\"a b\"; c=2", "session", 1, "\"a b\"");
}

static void test_cookie_empty_and_odd_values(void **state)
{
    (void)state;
    assert_found("session=", "session", 1, "");
    assert_found("session=; b=1", "session", 1, "");
    assert_found("session=a=b==", "session", 1, "a=b==");
    assert_found("session=eyJhIjoxfQ.ZVPxAA.D3QXMI0ZQYNZDxORB__kVZyT7hk",
                 "session", 1, "eyJhIjoxfQ.ZVPxAA.D3QXMI0ZQYNZDxORB__kVZyT7hk");
}

static void test_cookie_odd_separators(void **state)
{
    (void)state;
    assert_found(";;session=x;;", "session", 1, "x");
    assert_found("; session=x", "session", 1, "x");
    assert_found("novalue; session=x; =y; ;", "session", 1, "x");
    assert_found("", "session", 0);
    assert_found(";", "session", 0);
    assert_found("   ", "session", 0);
}

/* ---- names and attribute values ---------------------------------------------- */

/* The reader against the rule written plainly (ctx_cookie.h): split at
 * every ';', drop the blanks before a pair, a pair is ours if it starts
 * with the name and '=', its value ends at the first ',' and loses its
 * trailing blanks. Random headers over the bytes that matter. */
typedef struct {
    int n;
    const char *at[64];
    apr_size_t len[64];
} spans_t;

static int record(void *baton, const char *val, apr_size_t len)
{
    spans_t *sp = baton;

    if (sp->n < 64) {
        sp->at[sp->n] = val;
        sp->len[sp->n] = len;
    }
    ++sp->n;
    return 1;
}

static void reference_find(const char *h, const char *name, spans_t *sp)
{
    apr_size_t nlen = strlen(name);
    const char *pair = h;

    if (strchr(name, '=')) {
        return;
    }
    for (;;) {
        const char *pend = strchr(pair, ';');
        const char *s = pair, *v, *vend;

        if (!pend) pend = pair + strlen(pair);
        while (s < pend && (*s == ' ' || *s == '\t')) ++s;
        if ((apr_size_t)(pend - s) > nlen && !memcmp(s, name, nlen) && s[nlen] == '=') {
            v = s + nlen + 1;
            for (vend = v; vend < pend && *vend != ','; ++vend) {}
            while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t')) --vend;
            record(sp, v, (apr_size_t)(vend - v));
        }
        if (!*pend) break;
        pair = pend + 1;
    }
}

static void test_cookie_find_agrees_with_the_plain_rule(void **state)
{
    static const char alphabet[] = "s;,= \tea=;x";
    static const char *names[] = { "s", "se", "sess", "", "s=e" };
    unsigned int seed = 12345;
    char h[48];

    (void)state;
    for (int round = 0; round < 200000; ++round) {
        apr_size_t len;

        seed = seed * 1103515245u + 12345u;
        len = (seed >> 16) % (sizeof(h) - 1);
        for (apr_size_t i = 0; i < len; ++i) {
            seed = seed * 1103515245u + 12345u;
            h[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
        }
        h[len] = '\0';
        for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); ++k) {
            spans_t got = {0}, want = {0};

            assert_int_equal(ctx_cookie_find(h, names[k], record, &got), 1);
            reference_find(h, names[k], &want);
            if (got.n != want.n) {
                fail_msg("\"%s\" in \"%s\": %d values, the rule gives %d", names[k], h,
                         got.n, want.n);
            }
            for (int i = 0; i < got.n && i < 64; ++i) {
                if (got.at[i] != want.at[i] || got.len[i] != want.len[i]) {
                    fail_msg("\"%s\" in \"%s\": value %d at %d+%d, the rule gives %d+%d",
                             names[k], h, i, (int)(got.at[i] - h), (int)got.len[i],
                             (int)(want.at[i] - h), (int)want.len[i]);
                }
            }
        }
    }
}

static void test_cookie_name_ok_accepts_tokens_only(void **state)
{
    static const char *const good[] = {
        "session", "__Host-session", "a", "A.b_c-d!#$%&'*+^`|~", "0",
    };
    static const char *const bad[] = {
        "", "a b", "a;b", "a=b", "a,b", "a\"b", "a(b", "a)b", "a<b", "a>b",
        "a@b", "a:b", "a\\b", "a/b", "a[b", "a]b", "a?b", "a{b", "a}b",
        "a\tb", "a\nb", "a\x7f", "\xc3\xa9", "a\x01",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
        if (!ctx_cookie_name_ok(good[i])) {
            fail_msg("refused name \"%s\"", good[i]);
        }
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        if (ctx_cookie_name_ok(bad[i])) {
            fail_msg("accepted name \"%s\"", bad[i]);
        }
    }
    assert_false(ctx_cookie_name_ok(NULL));
}

static void test_cookie_attr_ok_accepts_printable_without_separators(void **state)
{
    static const char *const good[] = {
        "/", "/app/x", "example.com", ".example.com", "/a=b", "/~u?q",
    };
    static const char *const bad[] = {
        "", "/a b", "a;b", "a,b", "/\t", "/\n", "/\r", "/\x7f", "/\xc3\xa9",
        "x\x01",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
        if (!ctx_cookie_attr_ok(good[i])) {
            fail_msg("refused \"%s\"", good[i]);
        }
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        if (ctx_cookie_attr_ok(bad[i])) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
    }
    assert_false(ctx_cookie_attr_ok(NULL));
}

/* ---- building ------------------------------------------------------------------ */

/* The attributes after "name=value" as a set: each of the NULL-terminated
 * expected attributes appears exactly once, and nothing else. */
static void assert_set_cookie(const char *got, const char *first, ...)
{
    const char *rest;
    apr_size_t flen = strlen(first);
    int n_want = 0, n_got = 0;
    va_list ap;

    if (strncmp(got, first, flen) != 0) {
        fail_msg("\"%s\" does not start with \"%s\"", got, first);
    }
    rest = got + flen;
    if (*rest != '\0' && strncmp(rest, "; ", 2) != 0) {
        fail_msg("\"%s\": \"%s\" is followed by \"%s\"", got, first, rest);
    }
    /* count the attributes present */
    for (const char *s = rest; (s = strstr(s, "; ")) != NULL; s += 2) {
        ++n_got;
    }
    /* Expires' date has a ", " but never "; " */
    va_start(ap, first);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL; ++n_want) {
        char *needle = malloc(strlen(a) + 4);
        const char *at;
        apr_size_t alen = strlen(a);
        int ok;

        sprintf(needle, "; %s", a);
        at = strstr(rest, needle);
        ok = at && (at[alen + 2] == '\0' || at[alen + 2] == ';')
             && strstr(at + 1, needle) == NULL;
        free(needle);
        if (!ok) {
            va_end(ap);
            fail_msg("\"%s\": attribute \"%s\" missing or repeated", got, a);
        }
    }
    va_end(ap);
    if (n_got != n_want) {
        fail_msg("\"%s\": %d attributes, want %d", got, n_got, n_want);
    }
}

static ctx_cookie_attrs_t plain_attrs(void)
{
    ctx_cookie_attrs_t a;

    memset(&a, 0, sizeof(a));
    a.name = "session";
    return a;
}

/* Prepared attributes (written once at configuration time) give exactly
 * the header that building them per call gives, for every combination. */
static void test_cookie_build_prepared_attributes_write_the_same_header(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const char *paths[] = { NULL, "/", "/app" };
    const char *domains[] = { NULL, "example.test" };
    const char *values[] = { "v.1", NULL };
    int checked = 0;

    for (int bits = 0; bits < 3 * 2 * 4 * 2 * 2; ++bits) {
        ctx_cookie_attrs_t a = plain_attrs(), prepared;
        int b = bits;

        a.name = "__Secure-s";
        a.path = paths[b % 3]; b /= 3;
        a.domain = domains[b % 2]; b /= 2;
        a.samesite = (ctx_samesite_t)(b % 4); b /= 4;
        a.httponly = b % 2; b /= 2;
        a.partitioned = b % 2;
        prepared = a;
        ctx_cookie_attrs_prepare(p, &prepared);
        assert_non_null(prepared.tail[0]);
        for (int secure = 0; secure < 2; ++secure) {
            a.secure = prepared.secure = secure;
            for (int v = 0; v < 2; ++v) {
                for (apr_int64_t exp = 0; exp <= 1700000000; exp += 1700000000) {
                    const char *slow = ctx_cookie_build(p, &a, values[v],
                                                        exp, 600);
                    apr_size_t len = 0;
                    /* the value given by length, not terminated there */
                    const char *fast = ctx_cookie_build_len(
                        p, &prepared, values[v] ? "v.1; more" : NULL, 3, exp,
                        600, &len);

                    assert_string_equal(
                        ctx_cookie_build(p, &prepared, values[v], exp, 600),
                        slow);
                    assert_string_equal(fast, slow);
                    assert_int_equal(len, strlen(slow));
                    ++checked;
                }
            }
        }
    }
    assert_int_equal(checked, 96 * 2 * 2 * 2);
}

static void test_cookie_build_without_attributes(void **state)
{
    ctx_cookie_attrs_t a = plain_attrs();

    assert_string_equal(ctx_cookie_build(UNIT_POOL(state), &a, "v", 0, 0),
                        "session=v");
}

static void test_cookie_build_each_attribute(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_cookie_attrs_t a;

    a = plain_attrs();
    a.path = "/";
    assert_string_equal(ctx_cookie_build(p, &a, "v", 0, 0), "session=v; Path=/");
    a = plain_attrs();
    a.domain = "example.com";
    assert_string_equal(ctx_cookie_build(p, &a, "v", 0, 0),
                        "session=v; Domain=example.com");
    a = plain_attrs();
    a.secure = 1;
    assert_string_equal(ctx_cookie_build(p, &a, "v", 0, 0), "session=v; Secure");
    a = plain_attrs();
    a.httponly = 1;
    assert_string_equal(ctx_cookie_build(p, &a, "v", 0, 0),
                        "session=v; HttpOnly");
    a = plain_attrs();
    a.partitioned = 1;
    assert_string_equal(ctx_cookie_build(p, &a, "v", 0, 0),
                        "session=v; Partitioned");
    a = plain_attrs();
    a.samesite = CTX_SAMESITE_LAX;
    assert_string_equal(ctx_cookie_build(p, &a, "v", 0, 0),
                        "session=v; SameSite=Lax");
    a.samesite = CTX_SAMESITE_STRICT;
    assert_string_equal(ctx_cookie_build(p, &a, "v", 0, 0),
                        "session=v; SameSite=Strict");
    a.samesite = CTX_SAMESITE_NONE;
    assert_string_equal(ctx_cookie_build(p, &a, "v", 0, 0),
                        "session=v; SameSite=None");
}

static void test_cookie_build_all_attributes(void **state)
{
    ctx_cookie_attrs_t a = plain_attrs();
    const char *h;

    a.name = "__Host-s";
    a.path = "/app";
    a.domain = ".example.org";
    a.secure = a.httponly = a.partitioned = 1;
    a.samesite = CTX_SAMESITE_STRICT;
    h = ctx_cookie_build(UNIT_POOL(state), &a, "val.ue", 0, 0);
    assert_set_cookie(h, "__Host-s=val.ue", "Path=/app",
                      "Domain=.example.org", "Secure", "HttpOnly",
                      "SameSite=Strict", "Partitioned", NULL);
}

static void test_cookie_build_browser_session_has_no_expiry(void **state)
{
    ctx_cookie_attrs_t a = plain_attrs();
    const char *h;

    a.path = "/";
    a.httponly = 1;
    h = ctx_cookie_build(UNIT_POOL(state), &a, "v", 0, 2678400);
    assert_null(strstr(h, "Expires"));
    assert_null(strstr(h, "Max-Age"));
    h = ctx_cookie_build(UNIT_POOL(state), &a, "v", -5, 2678400);
    assert_null(strstr(h, "Expires"));
    assert_null(strstr(h, "Max-Age"));
}

static void test_cookie_build_permanent_has_expires_and_max_age(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_cookie_attrs_t a = plain_attrs();

    a.path = "/";
    a.httponly = 1;
    a.samesite = CTX_SAMESITE_LAX;
    assert_set_cookie(ctx_cookie_build(p, &a, "v", 1700000000, 2678400),
                      "session=v", "Expires=Tue, 14 Nov 2023 22:13:20 GMT",
                      "Max-Age=2678400", "Path=/", "HttpOnly", "SameSite=Lax",
                      NULL);
    assert_set_cookie(ctx_cookie_build(p, &a, "v", 2000000000, 1),
                      "session=v", "Expires=Wed, 18 May 2033 03:33:20 GMT",
                      "Max-Age=1", "Path=/", "HttpOnly", "SameSite=Lax", NULL);
    assert_set_cookie(ctx_cookie_build(p, &a, "v", 31536000, 60),
                      "session=v", "Expires=Fri, 01 Jan 1971 00:00:00 GMT",
                      "Max-Age=60", "Path=/", "HttpOnly", "SameSite=Lax", NULL);
}

static void test_cookie_build_deletion_cookie(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_cookie_attrs_t a = plain_attrs();

    assert_string_equal(ctx_cookie_build(p, &a, NULL, 0, 0),
                        "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
                        "Max-Age=0");
    /* Flask's: session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0;
     * HttpOnly; Path=/ -- the attributes (which must match the cookie's to
     * delete it) follow; expires and max_age are ignored. */
    a.path = "/";
    a.httponly = 1;
    a.domain = "example.com";
    a.secure = 1;
    a.samesite = CTX_SAMESITE_NONE;
    assert_set_cookie(ctx_cookie_build(p, &a, NULL, 1700000000, 3600),
                      "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
                      "Max-Age=0",
                      "Path=/", "HttpOnly", "Domain=example.com", "Secure",
                      "SameSite=None", NULL);
}

static void test_cookie_build_empty_value_is_not_deletion(void **state)
{
    ctx_cookie_attrs_t a = plain_attrs();

    assert_string_equal(ctx_cookie_build(UNIT_POOL(state), &a, "", 0, 0),
                        "session=");
}

static void test_cookie_build_then_find_round_trips(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_cookie_attrs_t a = plain_attrs();
    const char *v = ".eJyrVkpUsoqOrlaqAFIlRaWpOmmJOcWpOnmlOTmxOkqVSlaGtbFARpWSVTVIabVSMpCo1VFKAaqPBdJJIBW1AC1uFe8.aE7hgA.J3_IR2z5aDz3IlMSbK5PMeAJKfw";
    const char *h, *semi;
    char *header;

    a.path = "/";
    a.httponly = 1;
    h = ctx_cookie_build(p, &a, v, 0, 0);
    /* The browser sends back the name=value pair only. */
    semi = strchr(h, ';');
    assert_non_null(semi);
    header = apr_pstrcat(p, "other=1; ", apr_pstrndup(p, h, (apr_size_t)(semi - h)),
                         NULL);
    assert_found(header, "session", 1, v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_cookie_finds_single_cookie),
        UNIT_TEST(test_cookie_reports_every_same_named_cookie_in_order),
        UNIT_TEST(test_cookie_comma_in_a_value_never_starts_a_cookie),
        UNIT_TEST(test_cookie_joined_header_lines),
        UNIT_TEST(test_cookie_value_points_into_the_header),
        UNIT_TEST(test_cookie_stops_when_callback_returns_zero),
        UNIT_TEST(test_cookie_strips_surrounding_whitespace),
        UNIT_TEST(test_cookie_name_is_compared_exactly),
        UNIT_TEST(test_cookie_find_agrees_with_the_plain_rule),
        UNIT_TEST(test_cookie_quoted_value_is_reported_raw),
        UNIT_TEST(test_cookie_empty_and_odd_values),
        UNIT_TEST(test_cookie_odd_separators),
        UNIT_TEST(test_cookie_name_ok_accepts_tokens_only),
        UNIT_TEST(test_cookie_attr_ok_accepts_printable_without_separators),
        UNIT_TEST(test_cookie_build_without_attributes),
        UNIT_TEST(test_cookie_build_prepared_attributes_write_the_same_header),
        UNIT_TEST(test_cookie_build_each_attribute),
        UNIT_TEST(test_cookie_build_all_attributes),
        UNIT_TEST(test_cookie_build_browser_session_has_no_expiry),
        UNIT_TEST(test_cookie_build_permanent_has_expires_and_max_age),
        UNIT_TEST(test_cookie_build_deletion_cookie),
        UNIT_TEST(test_cookie_build_empty_value_is_not_deletion),
        UNIT_TEST(test_cookie_build_then_find_round_trips),
    };

    return UNIT_RUN(tests);
}

/* Unit tests of ctx_login: Flask-Login's remember cookie and session
 * identifier against tests/data/flask-login-vectors.json (written by
 * tests/tools/make_login_vectors.py with Debian's python3-flask-login), the
 * key sets of a login and a logout, session protection, the per-request
 * user cache and the next= check. */
#include <jansson.h>

#include "unit.h"
#include "ctx_login.h"
#include "ctx_session.h"

/* ---- Flask-Login's vectors ----------------------------------------------- */

static json_t *read_vectors(apr_pool_t *p)
{
    const char *dir = getenv("CTX_TEST_DATA");
    json_error_t err;
    json_t *v;

    if (!dir || !*dir) {
        char *src = apr_pstrdup(p, __FILE__), *slash = strrchr(src, '/');

        if (slash) {
            *slash = '\0';
        }
        dir = apr_pstrcat(p, slash ? src : ".", "/../data", NULL);
    }
    v = json_load_file(apr_pstrcat(p, dir, "/flask-login-vectors.json",
                                   NULL), 0, &err);
    if (!v) {
        fail_msg("cannot read the vectors: %s", err.text);
    }
    return v;
}

/* The vectors hold header bytes as Latin-1 text (as WSGI does): back to
 * the bytes httpd would see. NULL stays NULL. */
static const char *latin1(apr_pool_t *p, const json_t *v)
{
    const unsigned char *s;
    char *out, *o;

    if (!json_is_string(v)) {
        return NULL;
    }
    s = (const unsigned char *)json_string_value(v);
    out = o = apr_palloc(p, strlen((const char *)s) + 1);
    while (*s) {
        if (*s < 0x80) {
            *o++ = (char)*s++;
        }
        else {      /* two-byte UTF-8 of a code point < 256 */
            *o++ = (char)(((s[0] & 0x03) << 6) | (s[1] & 0x3f));
            s += 2;
        }
    }
    *o = '\0';
    return out;
}

static void test_login_remember_cookie_matches_flask_login(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    json_t *all = read_vectors(p), *v;
    size_t i;

    assert_true(json_array_size(json_object_get(all, "digests")) >= 20);
    json_array_foreach(json_object_get(all, "digests"), i, v) {
        const char *secret = latin1(p, json_object_get(v, "secret_latin1"));
        const char *payload = json_string_value(json_object_get(v, "payload"));
        const char *cookie = json_string_value(json_object_get(v, "cookie"));
        ctx_login_key_t k;
        const char *id = NULL;

        assert_int_equal(ctx_login_key_flask(&k, secret, strlen(secret)),
                         APR_SUCCESS);
        assert_string_equal(ctx_login_remember_encode(p, &k, payload),
                            cookie);
        if (ctx_login_id_valid(payload, 1)) {
            assert_int_equal(ctx_login_remember_decode(p, &k, 1, cookie, &id),
                             APR_SUCCESS);
            assert_string_equal(id, payload);
        }
    }
    json_decref(all);
}

static void test_login_identifier_matches_flask_login(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    json_t *all = read_vectors(p), *v;
    size_t i;

    assert_true(json_array_size(json_object_get(all, "identifiers")) >= 10);
    json_array_foreach(json_object_get(all, "identifiers"), i, v) {
        const char *id = ctx_login_identifier(
            p, json_string_value(json_object_get(v, "addr")),
            latin1(p, json_object_get(v, "xff_latin1")),
            latin1(p, json_object_get(v, "agent_latin1")));

        assert_non_null(id);
        if (strcmp(id, json_string_value(json_object_get(v, "identifier")))) {
            fail_msg("identifier %zu differs", i);
        }
    }
    json_decref(all);
}

/* ---- the remember cookie refuses what it did not make -------------------- */

static void test_login_remember_rejects_flipped_digest_and_other_key(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_login_key_t k, other;
    char *cookie;
    const char *id = NULL;

    ctx_login_key_flask(&k, "a-secret-key", 12);
    ctx_login_key_flask(&other, "another-key", 11);
    cookie = ctx_login_remember_encode(p, &k, "alice");
    assert_int_equal(ctx_login_remember_decode(p, &k, 1, cookie, &id),
                     APR_SUCCESS);
    cookie[strlen(cookie) - 1] ^= 1;
    assert_int_equal(ctx_login_remember_decode(p, &k, 1, cookie, &id),
                     APR_EINVAL);
    cookie[strlen(cookie) - 1] ^= 1;
    assert_int_equal(ctx_login_remember_decode(p, &other, 1, cookie, &id),
                     APR_EINVAL);
    /* a fallback key (index 1) still accepts it */
    {
        ctx_login_key_t ring[2] = { other, k };

        assert_int_equal(ctx_login_remember_decode(p, ring, 2, cookie, &id),
                         APR_SUCCESS);
    }
    /* the payload is covered: another name with the same digest */
    cookie[0] = 'b';
    assert_int_equal(ctx_login_remember_decode(p, &k, 1, cookie, &id),
                     APR_EINVAL);
    assert_int_equal(ctx_login_remember_decode(p, &k, 1, "alice", &id),
                     APR_EINVAL);
    assert_int_equal(ctx_login_remember_decode(p, &k, 1, "alice|00", &id),
                     APR_EINVAL);
    assert_int_equal(ctx_login_remember_decode(p, &k, 1, "", &id), APR_EINVAL);
}

static void test_login_remember_uppercase_digest_is_refused_as_flask_does(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_login_key_t k;
    char *cookie;
    const char *id;

    ctx_login_key_flask(&k, "a-secret-key", 12);
    cookie = ctx_login_remember_encode(p, &k, "alice");
    for (char *c = strchr(cookie, '|'); *c; ++c) {
        if (*c >= 'a' && *c <= 'f') {
            *c = (char)(*c - 'a' + 'A');
        }
    }
    assert_int_equal(ctx_login_remember_decode(p, &k, 1, cookie, &id),
                     APR_EINVAL);
}

static void test_login_app_key_differs_per_app_and_from_flask_key(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_login_key_t a, b, f;
    const char *id;

    ctx_login_key_app(&a, "shared-secret", 13, "app-a");
    ctx_login_key_app(&b, "shared-secret", 13, "app-b");
    ctx_login_key_flask(&f, "shared-secret", 13);
    assert_int_equal(ctx_login_remember_decode(
                         p, &b, 1, ctx_login_remember_encode(p, &a, "alice"),
                         &id), APR_EINVAL);
    assert_int_equal(ctx_login_remember_decode(
                         p, &f, 1, ctx_login_remember_encode(p, &a, "alice"),
                         &id), APR_EINVAL);
    assert_int_equal(ctx_login_remember_decode(
                         p, &a, 1, ctx_login_remember_encode(p, &a, "alice"),
                         &id), APR_SUCCESS);
}

static void test_login_id_valid_refuses_control_and_cookie_bytes(void **state)
{
    char longid[CTX_LOGIN_ID_MAX + 2];

    (void)state;
    assert_true(ctx_login_id_valid("alice", 1));
    assert_true(ctx_login_id_valid("user name", 0));
    assert_false(ctx_login_id_valid("user name", 1));
    assert_false(ctx_login_id_valid("a;b", 1));
    assert_false(ctx_login_id_valid("a\"b", 1));
    assert_false(ctx_login_id_valid("a\r\nSet-Cookie: x", 0));
    assert_false(ctx_login_id_valid("a\x7f", 0));
    assert_false(ctx_login_id_valid("", 0));
    assert_false(ctx_login_id_valid(NULL, 0));
    memset(longid, 'a', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    assert_false(ctx_login_id_valid(longid, 0));
    longid[CTX_LOGIN_ID_MAX] = '\0';
    assert_true(ctx_login_id_valid(longid, 0));
}

/* ---- next= ------------------------------------------------------------------ */

static void test_login_next_accepts_local_paths(void **state)
{
    static const char *const ok[] = {
        "/", "/me", "/private/file.txt", "/a?b=c&d=/e", "/search?q=a%20b",
        "/path%2Fwith%2Fslash", "/x?next=https://elsewhere", "/~user/", NULL
    };

    (void)state;
    for (int i = 0; ok[i]; ++i) {
        if (!ctx_login_next_is_safe(ok[i])) {
            fail_msg("refused %s", ok[i]);
        }
    }
}

static void test_login_next_refuses_open_redirects(void **state)
{
    static const char *const bad[] = {
        "//evil.test", "///evil.test", "https://evil.test", "http:evil.test",
        "evil.test", "/\\evil.test", "\\\\evil.test", "/%2F%2Fevil.test",
        "/%2fevil.test", "%2F%2Fevil.test", "/%5Cevil.test", "/%252F/evil.test",
        "/a\\b", "/a\r\nLocation: x", "/a\tb", "/a b", "/\x01", "/a%00b",
        "/a%0d%0aSet-Cookie:x", "/caf\xc3\xa9", "javascript:alert(1)", "",
        " /me", "/%25252F%25252Fevil.test", NULL
    };
    char longnext[CTX_LOGIN_NEXT_MAX + 2];

    (void)state;
    for (int i = 0; bad[i]; ++i) {
        if (ctx_login_next_is_safe(bad[i])) {
            fail_msg("accepted %s", bad[i]);
        }
    }
    assert_false(ctx_login_next_is_safe(NULL));
    longnext[0] = '/';
    memset(longnext + 1, 'a', sizeof(longnext) - 2);
    longnext[sizeof(longnext) - 1] = '\0';
    assert_false(ctx_login_next_is_safe(longnext));
}

static void test_login_quote_escapes_all_but_unreserved(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    assert_string_equal(ctx_login_quote(p, "/a b?c=d&e=/f%"),
                        "%2Fa%20b%3Fc%3Dd%26e%3D%2Ff%25");
    assert_string_equal(ctx_login_quote(p, "~x-y_z.1"), "~x-y_z.1");
}

/* ---- key sets ------------------------------------------------------------------ */

static ctx_session_t *new_session(apr_pool_t *p, const char *json)
{
    ctx_session_t *s = ctx_session_create(p, NULL, NULL);

    ctx_session_load(s, json ? json_loads(json, 0, NULL) : NULL, 0, 0);
    return s;
}

static void test_login_store_writes_flask_login_keys(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_session_t *s = new_session(p, "{\"_remember\": \"clear\", \"x\": 1}");
    const json_t *d;

    assert_int_equal(ctx_login_store(s, "alice", 1, "IDENT"), APR_SUCCESS);
    d = ctx_session_data(s);
    assert_string_equal(json_string_value(json_object_get(d, "_user_id")),
                        "alice");
    assert_true(json_is_true(json_object_get(d, "_fresh")));
    assert_string_equal(json_string_value(json_object_get(d, "_id")), "IDENT");
    assert_null(json_object_get(d, "_remember"));
    assert_int_equal(json_object_size(d), 4);      /* x stays */
    assert_string_equal(ctx_login_session_user(p, s), "alice");
    assert_true(ctx_login_session_fresh(s));
    assert_int_equal(ctx_login_store(s, "bob", 0, "IDENT"), APR_SUCCESS);
    assert_false(ctx_login_session_fresh(s));
    assert_int_equal(ctx_login_store(s, "a\nb", 1, "IDENT"), APR_EINVAL);
}

static void test_login_forget_removes_only_login_keys(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_session_t *s = new_session(p, "{\"_user_id\": \"alice\", \"_fresh\": "
                                      "true, \"_id\": \"I\", "
                                      "\"_remember_seconds\": 5, \"cart\": [1],"
                                      " \"_permanent\": true}");

    assert_int_equal(ctx_login_forget(s), APR_SUCCESS);
    assert_null(ctx_login_session_user(p, s));
    assert_int_equal(json_object_size(ctx_session_data(s)), 2);
    assert_non_null(json_object_get(ctx_session_data(s), "cart"));
}

static void test_login_session_user_reads_integer_ids(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    assert_string_equal(ctx_login_session_user(p, new_session(
                            p, "{\"_user_id\": 42}")), "42");
    assert_null(ctx_login_session_user(p, new_session(
                    p, "{\"_user_id\": [1]}")));
    assert_null(ctx_login_session_user(p, new_session(
                    p, "{\"_user_id\": \"a\\r\\nb\"}")));
}

/* ---- session protection -------------------------------------------------- */

static const char *const LOGGED_IN =
    "{\"_user_id\": \"alice\", \"_fresh\": true, \"_id\": \"MINE\", "
    "\"next\": \"/x\", \"cart\": 1}";

static void test_login_protect_same_identifier_changes_nothing(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_session_t *s = new_session(p, LOGGED_IN);

    assert_int_equal(ctx_login_protect(s, CTX_LOGIN_PROTECT_STRONG, "MINE"), 0);
    assert_true(ctx_login_session_fresh(s));
    assert_false(ctx_session_modified(s));
}

static void test_login_protect_basic_marks_stale(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_session_t *s = new_session(p, LOGGED_IN);

    assert_int_equal(ctx_login_protect(s, CTX_LOGIN_PROTECT_BASIC, "OTHER"), 0);
    assert_false(ctx_login_session_fresh(s));
    assert_string_equal(ctx_login_session_user(p, s), "alice");
}

static void test_login_protect_strong_removes_login(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_session_t *s = new_session(p, LOGGED_IN);

    assert_int_equal(ctx_login_protect(s, CTX_LOGIN_PROTECT_STRONG, "OTHER"), 1);
    assert_null(ctx_login_session_user(p, s));
    assert_null(ctx_session_get(s, "next"));
    assert_int_equal(json_object_size(ctx_session_data(s)), 1);  /* cart */
}

static void test_login_protect_strong_on_permanent_session_only_stales(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_session_t *s = new_session(p, LOGGED_IN);

    ctx_session_set_permanent(s, 1);
    assert_int_equal(ctx_login_protect(s, CTX_LOGIN_PROTECT_STRONG, "OTHER"), 0);
    assert_string_equal(ctx_login_session_user(p, s), "alice");
    assert_false(ctx_login_session_fresh(s));
}

static void test_login_protect_off_and_empty_session_do_nothing(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_session_t *s = new_session(p, LOGGED_IN), *e = new_session(p, NULL);

    assert_int_equal(ctx_login_protect(s, CTX_LOGIN_PROTECT_OFF, "OTHER"), 0);
    assert_true(ctx_login_session_fresh(s));
    assert_int_equal(ctx_login_protect(e, CTX_LOGIN_PROTECT_STRONG, "X"), 0);
    assert_false(ctx_session_modified(e));
}

/* ---- loader cache ------------------------------------------------------------- */

static void *count_loads(void *baton, const char *id)
{
    int *n = baton;

    ++*n;
    return strcmp(id, "ghost") ? (void *)id : NULL;
}

static void test_login_cache_loads_each_user_once(void **state)
{
    ctx_login_cache_t uc;
    int n = 0;

    (void)state;
    ctx_login_cache_set(&uc, NULL);
    assert_null(ctx_login_cache_user(&uc, count_loads, &n));
    assert_int_equal(n, 0);
    ctx_login_cache_set(&uc, "alice");
    assert_string_equal(ctx_login_cache_user(&uc, count_loads, &n), "alice");
    assert_string_equal(ctx_login_cache_user(&uc, count_loads, &n), "alice");
    assert_int_equal(n, 1);
    ctx_login_cache_set(&uc, "ghost");
    assert_null(ctx_login_cache_user(&uc, count_loads, &n));
    assert_null(ctx_login_cache_user(&uc, count_loads, &n));
    assert_int_equal(n, 2);                 /* NULL is remembered too */
    ctx_login_cache_set(&uc, "bob");
    assert_string_equal(ctx_login_cache_user(&uc, count_loads, &n), "bob");
    assert_int_equal(n, 3);
    assert_null(ctx_login_cache_user(&uc, NULL, &n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_login_remember_cookie_matches_flask_login),
        UNIT_TEST(test_login_identifier_matches_flask_login),
        UNIT_TEST(test_login_remember_rejects_flipped_digest_and_other_key),
        UNIT_TEST(test_login_remember_uppercase_digest_is_refused_as_flask_does),
        UNIT_TEST(test_login_app_key_differs_per_app_and_from_flask_key),
        UNIT_TEST(test_login_id_valid_refuses_control_and_cookie_bytes),
        UNIT_TEST(test_login_next_accepts_local_paths),
        UNIT_TEST(test_login_next_refuses_open_redirects),
        UNIT_TEST(test_login_quote_escapes_all_but_unreserved),
        UNIT_TEST(test_login_store_writes_flask_login_keys),
        UNIT_TEST(test_login_forget_removes_only_login_keys),
        UNIT_TEST(test_login_session_user_reads_integer_ids),
        UNIT_TEST(test_login_protect_same_identifier_changes_nothing),
        UNIT_TEST(test_login_protect_basic_marks_stale),
        UNIT_TEST(test_login_protect_strong_removes_login),
        UNIT_TEST(test_login_protect_strong_on_permanent_session_only_stales),
        UNIT_TEST(test_login_protect_off_and_empty_session_do_nothing),
        UNIT_TEST(test_login_cache_loads_each_user_once),
    };

    return UNIT_RUN(tests);
}

/* Unit tests of ctx_session_id: the signed id cookie of a server-side
 * session and its store key.
 *
 * The expected cookie and store keys were computed with Python's hmac and
 * hashlib from the layout documented in ctx_session_id.h (HKDF written out
 * by hand, salt "mod_ctx", info "mod_ctx session id v1"), not by this
 * code. */
#include "unit.h"

#include <openssl/crypto.h>

#include "ctx_codec.h"
#include "ctx_keys.h"
#include "ctx_session_id.h"

#define SECRET "correct horse battery staple, a 32+ byte secret!"
#define OTHER "another secret, also long enough to be accepted!"

/* id bytes 00 01 .. 1f, app "shop", cookie "session". */
#define VECTOR_COOKIE "i1.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8." \
                      "IO_3rT6geQurc2_A_P5zeVzgpYI3ncdX91SKrph7GMA"
#define VECTOR_KEY_SHOP "ctx1.Smo0pdO335IMAsIW_XeqYZGIqjrzttyjMJRMhyeycgY"
#define VECTOR_KEY_BLOG "ctx1.qa_q_viPHdpc_E3un7YJ5JJjn-1W6ttiJpY5aGvj1fo"

static ctx_keyring_t *ring(apr_pool_t *p, const char *s1, const char *s2)
{
    ctx_keyring_t *kr = ctx_keyring_create(p);

    assert_int_equal(ctx_keyring_add(kr, s1, strlen(s1)), APR_SUCCESS);
    if (s2) {
        assert_int_equal(ctx_keyring_add(kr, s2, strlen(s2)), APR_SUCCESS);
    }
    return kr;
}

static ctx_sid_codec_t codec(const ctx_keyring_t *kr, const char *app,
                             const char *name)
{
    ctx_sid_codec_t c = { kr, app, name };

    return c;
}

static ctx_reason_t verify(const ctx_sid_codec_t *c, const char *v,
                           ctx_sid_t *sid)
{
    return ctx_sid_verify(c, v, strlen(v), sid);
}

static void test_sid_cookie_is_the_documented_layout(void **state)
{
    ctx_sid_codec_t c = codec(ring(UNIT_POOL(state), SECRET, NULL), "shop",
                              "session");
    ctx_sid_t sid;

    memset(&sid, 0, sizeof(sid));
    for (int i = 0; i < CTX_SID_BYTES; ++i) {
        sid.id[i] = (unsigned char)i;
    }
    assert_int_equal(ctx_sid_sign(&c, &sid), APR_SUCCESS);
    assert_string_equal(sid.cookie, VECTOR_COOKIE);
    assert_int_equal(strlen(sid.cookie), CTX_SID_COOKIE_LEN);
    assert_string_equal(sid.store_key, VECTOR_KEY_SHOP);
    assert_int_equal(strlen(sid.store_key), CTX_SID_STORE_KEY_LEN);
}

static void test_sid_store_key_is_the_documented_layout_per_app(void **state)
{
    unsigned char id[CTX_SID_BYTES];
    char key[CTX_SID_STORE_KEY_LEN + 1];

    for (int i = 0; i < CTX_SID_BYTES; ++i) {
        id[i] = (unsigned char)i;
    }
    assert_int_equal(ctx_sid_store_key("shop", id, key), APR_SUCCESS);
    assert_string_equal(key, VECTOR_KEY_SHOP);
    assert_int_equal(ctx_sid_store_key("blog", id, key), APR_SUCCESS);
    assert_string_equal(key, VECTOR_KEY_BLOG);
}

static void test_sid_verifies_the_documented_vector(void **state)
{
    ctx_sid_codec_t c = codec(ring(UNIT_POOL(state), SECRET, NULL), "shop",
                              "session");
    ctx_sid_t sid;

    assert_int_equal(verify(&c, VECTOR_COOKIE, &sid), CTX_REASON_OK);
    assert_int_equal(sid.key_index, 0);
    assert_string_equal(sid.store_key, VECTOR_KEY_SHOP);
    assert_string_equal(sid.cookie, VECTOR_COOKIE);
    for (int i = 0; i < CTX_SID_BYTES; ++i) {
        assert_int_equal(sid.id[i], i);
    }
}

static void test_sid_new_ids_are_random_and_verify(void **state)
{
    ctx_sid_codec_t c = codec(ring(UNIT_POOL(state), SECRET, NULL), "shop",
                              "session");
    ctx_sid_t a, b, back;

    assert_int_equal(ctx_sid_new(&c, &a), APR_SUCCESS);
    assert_int_equal(ctx_sid_new(&c, &b), APR_SUCCESS);
    assert_memory_not_equal(a.id, b.id, CTX_SID_BYTES);
    assert_string_not_equal(a.store_key, b.store_key);
    assert_int_equal(strlen(a.cookie), CTX_SID_COOKIE_LEN);
    assert_int_equal(verify(&c, a.cookie, &back), CTX_REASON_OK);
    assert_memory_equal(back.id, a.id, CTX_SID_BYTES);
    assert_string_equal(back.store_key, a.store_key);
}

static void test_sid_rejects_every_flipped_character(void **state)
{
    ctx_sid_codec_t c = codec(ring(UNIT_POOL(state), SECRET, NULL), "shop",
                              "session");
    char v[] = VECTOR_COOKIE;
    ctx_sid_t sid;

    for (size_t i = 0; i < sizeof(v) - 1; ++i) {
        char was = v[i];

        /* Another character of the alphabet (or of the separators). */
        v[i] = was == 'A' ? 'B' : 'A';
        assert_int_not_equal(verify(&c, v, &sid), CTX_REASON_OK);
        assert_string_equal(sid.store_key, "");
        v[i] = was;
    }
    assert_int_equal(verify(&c, v, &sid), CTX_REASON_OK);
}

static void test_sid_rejects_flipped_mac_bit_as_bad_signature(void **state)
{
    ctx_sid_codec_t c = codec(ring(UNIT_POOL(state), SECRET, NULL), "shop",
                              "session");
    char v[] = VECTOR_COOKIE;
    ctx_sid_t sid;
    apr_uint32_t before = ctx_sid_reason_count(CTX_REASON_BAD_SIGNATURE);

    v[50] ^= 0x01;      /* '3' -> '2': still base64url, another MAC */
    assert_int_equal(verify(&c, v, &sid), CTX_REASON_BAD_SIGNATURE);
    assert_int_equal(ctx_sid_reason_count(CTX_REASON_BAD_SIGNATURE),
                     before + 1);
}

static void test_sid_rejects_truncated_and_extended(void **state)
{
    ctx_sid_codec_t c = codec(ring(UNIT_POOL(state), SECRET, NULL), "shop",
                              "session");
    ctx_sid_t sid;
    char longer[CTX_SID_COOKIE_LEN + 2];

    for (apr_size_t n = 0; n < CTX_SID_COOKIE_LEN; ++n) {
        assert_int_equal(ctx_sid_verify(&c, VECTOR_COOKIE, n, &sid),
                         CTX_REASON_MALFORMED);
    }
    snprintf(longer, sizeof(longer), "%sA", VECTOR_COOKIE);
    assert_int_equal(verify(&c, longer, &sid), CTX_REASON_MALFORMED);
    assert_int_equal(ctx_sid_verify(&c, NULL, 0, &sid), CTX_REASON_MALFORMED);
}

static void test_sid_rejects_unknown_version(void **state)
{
    ctx_sid_codec_t c = codec(ring(UNIT_POOL(state), SECRET, NULL), "shop",
                              "session");
    char v[] = VECTOR_COOKIE;
    ctx_sid_t sid;

    v[1] = '2';
    assert_int_equal(verify(&c, v, &sid), CTX_REASON_MALFORMED);
}

static void test_sid_rejects_noncanonical_base64(void **state)
{
    ctx_sid_codec_t c = codec(ring(UNIT_POOL(state), SECRET, NULL), "shop",
                              "session");
    char v[] = VECTOR_COOKIE;
    ctx_sid_t sid;

    /* The id's last character carries 2 stray bits: '8' (60, 0b111100)
     * -> '9' (61) sets one: the same bytes, a second spelling. */
    assert_int_equal(v[3 + 42], '8');
    v[3 + 42] = '9';
    assert_int_equal(verify(&c, v, &sid), CTX_REASON_BAD_ENCODING);
    memcpy(v, VECTOR_COOKIE, sizeof(v));
    v[10] = '+';
    assert_int_equal(verify(&c, v, &sid), CTX_REASON_BAD_ENCODING);
}

static void test_sid_rejects_wrong_cookie_name(void **state)
{
    ctx_keyring_t *kr = ring(UNIT_POOL(state), SECRET, NULL);
    ctx_sid_codec_t c = codec(kr, "shop", "session");
    ctx_sid_codec_t other = codec(kr, "shop", "session2");
    ctx_sid_t sid;

    assert_int_equal(verify(&c, VECTOR_COOKIE, &sid), CTX_REASON_OK);
    assert_int_equal(verify(&other, VECTOR_COOKIE, &sid),
                     CTX_REASON_BAD_SIGNATURE);
}

static void test_sid_rejects_wrong_app(void **state)
{
    ctx_keyring_t *kr = ring(UNIT_POOL(state), SECRET, NULL);
    ctx_sid_codec_t other = codec(kr, "blog", "session");
    ctx_sid_t sid;

    assert_int_equal(verify(&other, VECTOR_COOKIE, &sid),
                     CTX_REASON_BAD_SIGNATURE);
}

static void test_sid_binding_does_not_shift_between_app_and_name(void **state)
{
    ctx_keyring_t *kr = ring(UNIT_POOL(state), SECRET, NULL);
    ctx_sid_codec_t a = codec(kr, "ab", "c"), b = codec(kr, "a", "bc");
    ctx_sid_t sid, back;

    assert_int_equal(ctx_sid_new(&a, &sid), APR_SUCCESS);
    assert_int_equal(verify(&b, sid.cookie, &back), CTX_REASON_BAD_SIGNATURE);
}

static void test_sid_rejects_wrong_key(void **state)
{
    ctx_sid_codec_t c = codec(ring(UNIT_POOL(state), OTHER, NULL), "shop",
                              "session");
    ctx_sid_t sid;

    assert_int_equal(verify(&c, VECTOR_COOKIE, &sid),
                     CTX_REASON_BAD_SIGNATURE);
}

static void test_sid_refuses_everything_without_keys(void **state)
{
    ctx_sid_codec_t c = codec(ctx_keyring_create(UNIT_POOL(state)), "shop",
                              "session");
    ctx_sid_t sid;

    assert_int_equal(verify(&c, VECTOR_COOKIE, &sid),
                     CTX_REASON_BAD_SIGNATURE);
    assert_int_equal(ctx_sid_new(&c, &sid), APR_EINVAL);
}

static void test_sid_new_refuses_bad_arguments(void **state)
{
    ctx_keyring_t *kr = ring(UNIT_POOL(state), SECRET, NULL);
    ctx_sid_codec_t noapp = codec(kr, "", "session");
    ctx_sid_codec_t noname = codec(kr, "shop", NULL);
    ctx_sid_t sid;
    char key[CTX_SID_STORE_KEY_LEN + 1];

    assert_int_equal(ctx_sid_new(&noapp, &sid), APR_EINVAL);
    assert_int_equal(ctx_sid_new(&noname, &sid), APR_EINVAL);
    assert_int_equal(ctx_sid_new(NULL, &sid), APR_EINVAL);
    assert_int_equal(ctx_sid_store_key(NULL, sid.id, key), APR_EINVAL);
}

static void test_sid_fallback_key_verifies_and_resigns_same_entry(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    /* Rotated: the vector's secret is now the fallback. */
    ctx_sid_codec_t c = codec(ring(p, OTHER, SECRET), "shop", "session");
    ctx_sid_codec_t fresh = codec(ring(p, OTHER, NULL), "shop", "session");
    ctx_sid_t sid, back;

    assert_int_equal(verify(&c, VECTOR_COOKIE, &sid), CTX_REASON_OK);
    assert_int_equal(sid.key_index, 1);
    assert_string_equal(sid.store_key, VECTOR_KEY_SHOP);
    assert_int_equal(ctx_sid_sign(&c, &sid), APR_SUCCESS);
    assert_int_equal(sid.key_index, 0);
    assert_string_not_equal(sid.cookie, VECTOR_COOKIE);
    assert_string_equal(sid.store_key, VECTOR_KEY_SHOP);
    /* Signed by the current key alone. */
    assert_int_equal(verify(&fresh, sid.cookie, &back), CTX_REASON_OK);
    assert_string_equal(back.store_key, VECTOR_KEY_SHOP);
}

/* OpenSSL's allocations, counted (installed first thing in main). */
static int counting;
static unsigned long ossl_allocs;

static void *count_malloc(size_t n, const char *file, int line)
{
    (void)file, (void)line;
    ++ossl_allocs;
    return malloc(n);
}

static void *count_realloc(void *ptr, size_t n, const char *file, int line)
{
    (void)file, (void)line;
    ++ossl_allocs;
    return realloc(ptr, n);
}

static void count_free(void *ptr, const char *file, int line)
{
    (void)file, (void)line;
    free(ptr);
}

/* The id's MAC uses this thread's keyed context, kept across calls: the
 * first MAC under a key on a thread keys one (an algorithm lookup, the key
 * schedule), the next keys none and allocates less in OpenSSL than the
 * first did (OpenSSL 3.0 still allocates a little per digest run). */
static void test_sid_verify_again_reuses_the_threads_mac_context(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    /* A key no earlier test used: its context is not made yet. */
    ctx_sid_codec_t c = codec(ring(p, "a secret of this test only, 32+ "
                                   "bytes long", NULL), "shop", "session");
    ctx_sid_t sid;
    unsigned long before, first, again;
    apr_uint32_t made = ctx_codec_contexts_made();

    assert_true(counting);
    before = ossl_allocs;
    assert_int_equal(verify(&c, VECTOR_COOKIE, &sid),
                     CTX_REASON_BAD_SIGNATURE);
    first = ossl_allocs - before;
    assert_int_equal(ctx_codec_contexts_made(), made + 1);
    before = ossl_allocs;
    assert_int_equal(verify(&c, VECTOR_COOKIE, &sid),
                     CTX_REASON_BAD_SIGNATURE);
    again = ossl_allocs - before;
    assert_int_equal(ctx_codec_contexts_made(), made + 1);
    assert_true(again < first);
}

/* A thread's kept contexts follow the key and the app: interleaved codecs
 * on one thread never answer with another's key or digest state. */
static void test_sid_kept_contexts_follow_key_and_app(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_sid_codec_t shop = codec(ring(p, SECRET, NULL), "shop", "session");
    ctx_sid_codec_t other = codec(ring(p, OTHER, NULL), "shop", "session");
    ctx_sid_codec_t blog = codec(ring(p, SECRET, NULL), "blog", "session");
    ctx_sid_t sid;
    char key[CTX_SID_STORE_KEY_LEN + 1];

    for (int i = 0; i < 3; ++i) {
        assert_int_equal(verify(&shop, VECTOR_COOKIE, &sid), CTX_REASON_OK);
        assert_int_equal(verify(&other, VECTOR_COOKIE, &sid),
                         CTX_REASON_BAD_SIGNATURE);
        assert_int_equal(verify(&blog, VECTOR_COOKIE, &sid),
                         CTX_REASON_BAD_SIGNATURE);
        assert_int_equal(verify(&shop, VECTOR_COOKIE, &sid), CTX_REASON_OK);
        assert_string_equal(sid.store_key, VECTOR_KEY_SHOP);
        assert_int_equal(ctx_sid_store_key("blog", sid.id, key), APR_SUCCESS);
        assert_string_equal(key, VECTOR_KEY_BLOG);
    }
}

typedef struct {
    const ctx_sid_codec_t *c;
    int ok;
} verifier_t;

static void *verify_many(void *arg)
{
    verifier_t *v = arg;
    ctx_sid_t sid;

    for (int i = 0; i < 50; ++i) {
        v->ok += ctx_sid_verify(v->c, VECTOR_COOKIE, strlen(VECTOR_COOKIE),
                                &sid) == CTX_REASON_OK
                 && strcmp(sid.store_key, VECTOR_KEY_SHOP) == 0;
    }
    return NULL;
}

/* Threads keep their own contexts: each verifies like the main thread. */
static void test_sid_verifies_on_other_threads(void **state)
{
    ctx_sid_codec_t c = codec(ring(UNIT_POOL(state), SECRET, NULL), "shop",
                              "session");
    verifier_t v = { &c, 0 };

    for (int t = 0; t < 3; ++t) {
        unit_run_thread(verify_many, &v);
    }
    assert_int_equal(v.ok, 150);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_sid_cookie_is_the_documented_layout),
        UNIT_TEST(test_sid_store_key_is_the_documented_layout_per_app),
        UNIT_TEST(test_sid_verifies_the_documented_vector),
        UNIT_TEST(test_sid_new_ids_are_random_and_verify),
        UNIT_TEST(test_sid_rejects_every_flipped_character),
        UNIT_TEST(test_sid_rejects_flipped_mac_bit_as_bad_signature),
        UNIT_TEST(test_sid_rejects_truncated_and_extended),
        UNIT_TEST(test_sid_rejects_unknown_version),
        UNIT_TEST(test_sid_rejects_noncanonical_base64),
        UNIT_TEST(test_sid_rejects_wrong_cookie_name),
        UNIT_TEST(test_sid_rejects_wrong_app),
        UNIT_TEST(test_sid_binding_does_not_shift_between_app_and_name),
        UNIT_TEST(test_sid_rejects_wrong_key),
        UNIT_TEST(test_sid_refuses_everything_without_keys),
        UNIT_TEST(test_sid_new_refuses_bad_arguments),
        UNIT_TEST(test_sid_fallback_key_verifies_and_resigns_same_entry),
        UNIT_TEST(test_sid_verify_again_reuses_the_threads_mac_context),
        UNIT_TEST(test_sid_kept_contexts_follow_key_and_app),
        UNIT_TEST(test_sid_verifies_on_other_threads),
    };

    counting = CRYPTO_set_mem_functions(count_malloc, count_realloc,
                                        count_free);

    return UNIT_RUN(tests);
}

/* Unit tests of ctx_codec's encrypted format ("e2.", "e1." read only):
 * AES-256-GCM checked with OpenSSL directly (codec_test.h), nonces (fresh
 * each time, never repeated in a forked child), short and empty blobs, and
 * the per-thread cipher context. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codec_test.h"
#include "ctx_codec_private.h"

/* ---- the documented format, built independently, and the cipher --------- */

static void test_codec_encrypted_matches_documented_aead(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, kr);

    for (int size = 0; size < 2; ++size) {
        json_t *data = session_of_size(size ? 1024 : 100, size);
        apr_size_t jlen, n;
        char *json = ctx_json_dump(p, data, &jlen);
        const char *v = enc(&c, p, data, T0);
        char *plain;

        assert_memory_equal(v, "e2.ZVPxAA.ZVPxAA.", 17);
        /* never compressed: the blob is nonce, ciphertext of the JSON, tag */
        assert_int_equal(strlen(v), 17 + ctx_b64url_len(12 + jlen + 16));
        plain = open_encrypted(p, kr, "session", v, &n);
        assert_non_null(plain);
        assert_int_equal(n, jlen);
        assert_memory_equal(plain, json, jlen);
        /* under another name the associated data differs */
        assert_null(open_encrypted(p, kr, "other", v, &n));
        json_decref(data);
    }
}

static void test_codec_encrypted_decodes_independently_built_cookie(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, kr);
    static const unsigned char nonce[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                             11, 12 };
    static const char json[] = "{\"user\":\"alice\",\"n\":[1,2]}";
    const char *v = make_encrypted(p, kr, "session", ts_text(p, T0), nonce,
                                   json, sizeof(json) - 1);
    json_t *got = NULL, *want = json_loads(json, 0, NULL);
    apr_int64_t issued = 0;

    assert_reason(dec(&c, p, v, strlen(v), T0, &got, &issued, NULL),
                  CTX_REASON_OK);
    assert_json_equal(got, want);
    assert_int_equal(issued, T0);
    json_decref(got);
    json_decref(want);
}

static void test_codec_encrypted_uses_a_fresh_nonce_each_time(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, keyring(p, "k", NULL));
    json_t *data = json_pack("{s:s}", "a", "b");
    const char *v1 = enc(&c, p, data, T0), *v2 = enc(&c, p, data, T0);

    assert_string_not_equal(v1, v2);
    /* the nonce (first 16 characters of the blob) differs */
    assert_memory_not_equal(v1 + 17, v2 + 17, 16);
    assert_reason(dec_str(&c, p, v1, T0), CTX_REASON_OK);
    assert_reason(dec_str(&c, p, v2, T0), CTX_REASON_OK);
    json_decref(data);
}

/* A forked child inherits the thread's batch of nonce bytes; it must draw
 * its own, or it and its parent encrypt under the same nonces. */
static void test_codec_encrypted_forked_child_never_repeats_a_parent_nonce(void **state)
{
    enum { N = 5 };
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, keyring(p, "k", NULL));
    json_t *data = json_pack("{s:s}", "a", "b");
    char child[N][17], parent[N][17];
    int fds[2], status = 0;
    pid_t pid;

    enc(&c, p, data, T0);       /* this thread now holds a batch */
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (int i = 0; i < N; ++i) {
            const char *v = NULL;
            apr_size_t vlen = 0;

            if (ctx_codec_encode(&c, p, data, T0, 0, &v, &vlen) != APR_SUCCESS
                || vlen < 33 || write(fds[1], v + 17, 16) != 16) {
                _exit(1);
            }
        }
        _exit(0);
    }
    close(fds[1]);
    for (int i = 0; i < N; ++i) {
        memcpy(parent[i], enc(&c, p, data, T0) + 17, 16);
        parent[i][16] = '\0';
    }
    for (int i = 0; i < N; ++i) {
        assert_int_equal(read(fds[0], child[i], 16), 16);
        child[i][16] = '\0';
    }
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (int i = 0; i < N; ++i) {
        for (int j = 0; j < N; ++j) {
            assert_string_not_equal(child[i], parent[j]);
        }
    }
    json_decref(data);
}

/* Many nonces of one thread: all distinct (the counter), and another
 * thread's start elsewhere (its own random field). */
static void *other_thread_nonce(void *out)
{
    return ctx_codec_nonce(out) ? out : NULL;
}

static int nonce_cmp(const void *a, const void *b)
{
    return memcmp(a, b, CTX_CODEC_NONCE_LEN);
}

static void test_codec_nonces_never_repeat_within_or_across_threads(void **state)
{
    enum { N = 5000 };
    unsigned char *all = malloc((N + 1) * CTX_CODEC_NONCE_LEN);
    pthread_t t;
    void *r = NULL;

    (void)state;
    assert_non_null(all);
    for (int i = 0; i < N; ++i) {
        assert_true(ctx_codec_nonce(all + i * CTX_CODEC_NONCE_LEN));
    }
    assert_int_equal(pthread_create(&t, NULL, other_thread_nonce,
                                    all + N * CTX_CODEC_NONCE_LEN), 0);
    assert_int_equal(pthread_join(t, &r), 0);
    assert_non_null(r);
    /* the other thread's fixed field is not this thread's */
    assert_memory_not_equal(all, all + N * CTX_CODEC_NONCE_LEN, 8);
    qsort(all, N + 1, CTX_CODEC_NONCE_LEN, nonce_cmp);
    for (int i = 0; i < N; ++i) {
        assert_memory_not_equal(all + i * CTX_CODEC_NONCE_LEN,
                                all + (i + 1) * CTX_CODEC_NONCE_LEN,
                                CTX_CODEC_NONCE_LEN);
    }
    free(all);
}

static void test_codec_encrypted_short_blob_is_malformed(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, keyring(p, "k", NULL));
    unsigned char blob[27];
    const char *b27, *b28;

    memset(blob, 7, sizeof(blob));
    b27 = b64(p, blob, 27);
    b28 = b64(p, "0123456789abcdef0123456789ab", 28);
    /* nonce + tag need 28 bytes */
    assert_reason(dec_str(&c, p, apr_pstrcat(p, "e2.ZVPxAA.ZVPxAA.", b27,
                                             NULL), T0),
                  CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "e2.ZVPxAA.ZVPxAA.", T0),
                  CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "e2.ZVPxAA.ZVPxAA", T0),
                  CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "e2.ZVPxAA.AAAA", T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, apr_pstrcat(p, "e3.ZVPxAA.ZVPxAA.", b28,
                                             NULL), T0),
                  CTX_REASON_MALFORMED);
    /* 28 bytes: an empty plaintext, the tag does not verify */
    assert_reason(dec_str(&c, p, apr_pstrcat(p, "e2.ZVPxAA.ZVPxAA.", b28,
                                             NULL), T0),
                  CTX_REASON_BAD_SIGNATURE);
    /* version 1: refused as such unless legacy, then the same shape rules */
    assert_reason(dec_str(&c, p, apr_pstrcat(p, "e1.ZVPxAA.", b28, NULL),
                          T0), CTX_REASON_LEGACY);
    c.legacy = 1;
    assert_reason(dec_str(&c, p, apr_pstrcat(p, "e1.ZVPxAA.", b27, NULL),
                          T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "e1.ZVPxAA.", T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "e1.ZVPxAA", T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, apr_pstrcat(p, "e1.ZVPxAA.", b28, NULL),
                          T0), CTX_REASON_BAD_SIGNATURE);
    counts_check();
}

/* A dot in the blob is a wrong shape (malformed) wherever it is, even
 * beside a character outside the alphabet; that character alone is a bad
 * encoding. */
static void test_codec_encrypted_dot_in_blob_is_malformed(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, keyring(p, "k", NULL));
    const char *b28 = b64(p, "0123456789abcdef0123456789ab", 28);
    apr_size_t n = strlen(b28);

    for (apr_size_t at = 0; at <= n; ++at) {
        char *bad = apr_pstrcat(p, b28, "x", NULL);
        const char *v;

        memmove(bad + at + 1, b28 + at, n - at + 1);
        bad[at] = '.';
        v = apr_pstrcat(p, "e2.ZVPxAA.ZVPxAA.", bad, NULL);
        assert_reason(dec_str(&c, p, v, T0), CTX_REASON_MALFORMED);
        bad[at] = '+';
        v = apr_pstrcat(p, "e2.ZVPxAA.ZVPxAA.", bad, NULL);
        assert_reason(dec_str(&c, p, v, T0), CTX_REASON_BAD_ENCODING);
        if (at > 0) {
            bad[0] = '.';
            v = apr_pstrcat(p, "e2.ZVPxAA.ZVPxAA.", bad, NULL);
            assert_reason(dec_str(&c, p, v, T0), CTX_REASON_MALFORMED);
        }
    }
    counts_check();
}

static void test_codec_encrypted_empty_plaintext_is_bad_json(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, kr);
    static const unsigned char nonce[12] = { 9 };

    assert_reason(dec_str(&c, p, make_encrypted(p, kr, "session",
                                                ts_text(p, T0), nonce, "", 0),
                          T0), CTX_REASON_BAD_JSON);
    counts_check();
}

/* A wrong GCM tag is what any client can send: it must not cost a new
 * cipher context (a lookup and key schedule) each time. */
static void test_codec_bad_gcm_tags_keep_the_cipher_context(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", "old", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, kr);
    json_t *data = json_pack("{s:i}", "n", 1);
    const char *good = enc(&c, p, data, T0);
    apr_size_t len = strlen(good);
    apr_uint32_t before;

    char *bad = apr_pstrdup(p, good);

    /* a different last-but-one character: another tag */
    bad[len - 2] = bad[len - 2] == 'A' ? 'B' : 'A';
    /* the first bad cookie also sets up the fallback key's context */
    assert_reason(dec_str(&c, p, good, T0), CTX_REASON_OK);
    assert_reason(dec_str(&c, p, bad, T0), CTX_REASON_BAD_SIGNATURE);
    before = ctx_codec_contexts_made();
    for (int i = 0; i < 50; ++i) {
        assert_reason(dec_str(&c, p, bad, T0), CTX_REASON_BAD_SIGNATURE);
        assert_reason(dec_str(&c, p, good, T0), CTX_REASON_OK);
    }
    assert_int_equal(ctx_codec_contexts_made(), before);
    json_decref(data);
    counts_check();
}

/* libsodium and OpenSSL write the same cookie: what one seals the other
 * opens, and a changed tag fails in both. */
static void test_codec_encrypted_libsodium_and_openssl_agree(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, keyring(p, "k", NULL));
    json_t *data = json_pack("{s:s,s:i}", "user", "alice", "n", 7);
    const char *by[2];

    ctx_codec_gcm_force_openssl(0);
    if (!ctx_codec_gcm_sodium()) {
        skip();                 /* no AES-NI: OpenSSL is all there is */
    }
    by[0] = enc(&c, p, data, T0);
    ctx_codec_gcm_force_openssl(1);
    assert_false(ctx_codec_gcm_sodium());
    by[1] = enc(&c, p, data, T0);
    for (int opener = 0; opener < 2; ++opener) {
        ctx_codec_gcm_force_openssl(opener);
        for (int sealer = 0; sealer < 2; ++sealer) {
            char *bad = apr_pstrdup(p, by[sealer]);
            apr_size_t len = strlen(bad);

            assert_reason(dec_str(&c, p, by[sealer], T0), CTX_REASON_OK);
            bad[len - 2] = bad[len - 2] == 'A' ? 'B' : 'A';
            assert_reason(dec_str(&c, p, bad, T0), CTX_REASON_BAD_SIGNATURE);
        }
    }
    ctx_codec_gcm_force_openssl(0);
    json_decref(data);
}

int main(void)
{
    int failed;
    const struct CMUnitTest tests[] = {
        CODEC_TEST(test_codec_encrypted_matches_documented_aead),
        CODEC_TEST(test_codec_encrypted_decodes_independently_built_cookie),
        CODEC_TEST(test_codec_encrypted_uses_a_fresh_nonce_each_time),
        CODEC_TEST(test_codec_encrypted_forked_child_never_repeats_a_parent_nonce),
        CODEC_TEST(test_codec_nonces_never_repeat_within_or_across_threads),
        CODEC_TEST(test_codec_encrypted_short_blob_is_malformed),
        CODEC_TEST(test_codec_encrypted_dot_in_blob_is_malformed),
        CODEC_TEST(test_codec_encrypted_empty_plaintext_is_bad_json),
        CODEC_TEST(test_codec_bad_gcm_tags_keep_the_cipher_context),
        CODEC_TEST(test_codec_encrypted_libsodium_and_openssl_agree),
    };

    /* every test with the AEAD this CPU gets (libsodium with AES-NI), then
     * again through OpenSSL */
    fprintf(stderr, "AES-256-GCM through %s\n",
            ctx_codec_gcm_sodium() ? "libsodium" : "OpenSSL");
    failed = UNIT_RUN(tests);
    ctx_codec_gcm_force_openssl(1);
    fprintf(stderr, "AES-256-GCM through OpenSSL\n");
    return failed | UNIT_RUN(tests);
}

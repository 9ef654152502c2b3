/* Unit tests of the codec and the session ids when OpenSSL runs out of
 * memory: every allocation OpenSSL makes fails while `failing` is set
 * (CRYPTO_set_mem_functions, installed before OpenSSL's first allocation;
 * a program of its own, since that and the first fetch of each algorithm
 * are the process's). A MAC or digest that cannot be made fails the encode
 * or refuses the cookie, and once memory is back the same thread's next
 * call works: no per-thread slot is left half made, and no failed fetch
 * is remembered. */
#include <pthread.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "codec_test.h"
#include "ctx_codec_private.h"
#include "ctx_session_id.h"

static volatile int failing;
static volatile unsigned long refused;

static void *oom_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    if (failing) {
        ++refused;
        return NULL;
    }
    return malloc(n);
}

static void *oom_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    if (failing) {
        ++refused;
        return NULL;
    }
    return realloc(p, n);
}

static void oom_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    free(p);
}

static const char *secret = "0123456789abcdef0123456789abcdef";

/* What one fresh thread saw: each call once without memory, then again
 * with it ([0] and [1]). cmocka's asserts stay on the main thread. */
typedef struct {
    apr_pool_t *p;
    const ctx_codec_t *c;       /* the cookie format under test */
    const char *good;           /* a value written with memory, or NULL */
    apr_size_t glen;
    const ctx_sid_codec_t *sc;
    const char *sid_cookie;     /* an id signed with memory, or NULL */
    apr_status_t enc[2], sid_new[2], store_key[2];
    ctx_reason_t dec[2], sid_verify[2];
    const char *value;          /* written with memory back */
    apr_size_t vlen;
    unsigned long refused;      /* allocations refused while failing */
} seen_t;

static void *thread_main(void *arg)
{
    seen_t *s = arg;
    static const unsigned char id[CTX_SID_BYTES] = { 1, 2, 3 };
    char key[CTX_SID_STORE_KEY_LEN + 1];

    for (int with_memory = 0; with_memory < 2; ++with_memory) {
        ctx_codec_meta_t m;
        ctx_sid_t sid;

        failing = !with_memory;
        s->enc[with_memory] = ctx_codec_encode_json(s->c, s->p, "{\"count\":7}", 11,
                                                    T0, 0, &s->value, &s->vlen);
        if (s->good) {
            json_t *out = NULL;

            s->dec[with_memory] = ctx_codec_decode(s->c, s->p, s->good, s->glen, T0,
                                                   &out, &m);
            if (out) json_decref(out);
        }
        s->store_key[with_memory] = ctx_sid_store_key("shop", id, key);
        s->sid_new[with_memory] = ctx_sid_new(s->sc, &sid);
        if (s->sid_cookie) {
            s->sid_verify[with_memory] = ctx_sid_verify(s->sc, s->sid_cookie,
                                                        strlen(s->sid_cookie), &sid);
        }
        failing = 0;
        if (!with_memory) {
            s->refused = refused;
        }
    }
    return NULL;
}

static void run_thread(seen_t *s)
{
    pthread_t t;

    refused = 0;
    assert_int_equal(pthread_create(&t, NULL, thread_main, s), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    if (!s->refused) {
        fail_msg("OpenSSL allocated nothing while failing: the test proves nothing");
    }
    assert_int_not_equal(s->enc[0], APR_SUCCESS);
    assert_int_not_equal(s->store_key[0], APR_SUCCESS);
    assert_int_not_equal(s->sid_new[0], APR_SUCCESS);
    assert_int_equal(s->enc[1], APR_SUCCESS);
    assert_int_equal(s->store_key[1], APR_SUCCESS);
    assert_int_equal(s->sid_new[1], APR_SUCCESS);
}

/* Runs first (main lists it first): nothing of the codec or the ids has
 * run in this process, so its thread's calls make the first fetches of
 * OpenSSL's HMAC (the EVP_MAC path: the ids', and the cookies' where
 * OpenSSL has no HMAC_CTX) and of SHA-256 (the store keys), without
 * memory. Memory back, the same calls work: a failed fetch is tried
 * again, not kept. */
static void test_codec_first_fetches_without_memory_are_tried_again(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, secret, NULL);
    ctx_sid_codec_t sc = { kr, "shop", "sid" };
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, kr);
    seen_t s;

    memset(&s, 0, sizeof(s));
    s.p = p;
    s.c = &c;
    s.sc = &sc;
    ctx_codec_hmac_force_evp(1);
    run_thread(&s);
    ctx_codec_hmac_force_evp(0);
}

/* A thread's first cookie or id while OpenSSL has no memory: the encode
 * fails, a valid value is refused (a MAC that cannot be made is a bad
 * one), and with memory back the same thread writes the very value the
 * main thread wrote and reads it: no slot was left half made. Both MAC
 * paths, both formats that MAC. */
static void test_codec_slots_made_without_memory_are_made_again(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, secret, NULL);
    ctx_sid_codec_t sc = { kr, "shop", "sid" };
    static const ctx_format_t formats[] = { CTX_FORMAT_SIGNED, CTX_FORMAT_FLASK };
    ctx_sid_t sid;

    assert_int_equal(ctx_sid_new(&sc, &sid), APR_SUCCESS);
    for (int evp = 0; evp < 2; ++evp) {
        for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); ++f) {
            ctx_codec_t c = codec_of(formats[f], kr);
            seen_t s;

            ctx_codec_hmac_force_evp(evp);
            memset(&s, 0, sizeof(s));
            s.p = p;
            s.c = &c;
            s.sc = &sc;
            s.sid_cookie = sid.cookie;
            assert_int_equal(ctx_codec_encode_json(&c, p, "{\"count\":7}", 11, T0, 0,
                                                   &s.good, &s.glen), APR_SUCCESS);
            run_thread(&s);
            assert_reason(s.dec[0], CTX_REASON_BAD_SIGNATURE);
            assert_reason(s.sid_verify[0], CTX_REASON_BAD_SIGNATURE);
            assert_string_equal(s.value, s.good);
            assert_reason(s.dec[1], CTX_REASON_OK);
            assert_reason(s.sid_verify[1], CTX_REASON_OK);
        }
    }
    ctx_codec_hmac_force_evp(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_codec_first_fetches_without_memory_are_tried_again),
        UNIT_TEST(test_codec_slots_made_without_memory_are_made_again),
    };
    unsigned char warm[16];

    /* Before OpenSSL's first allocation; then its own set-up (the default
     * provider, the RNG) with memory, so that what fails later is ours. */
    if (!CRYPTO_set_mem_functions(oom_malloc, oom_realloc, oom_free)) {
        fprintf(stderr, "CRYPTO_set_mem_functions: OpenSSL allocated already\n");
        return 1;
    }
    if (RAND_bytes(warm, sizeof(warm)) != 1) {
        return 1;
    }
    EVP_MD_free(EVP_MD_fetch(NULL, "SHA1", NULL));
    return UNIT_RUN(tests);
}

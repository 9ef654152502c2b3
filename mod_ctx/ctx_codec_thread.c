/* ctx_codec_thread: the codec's per-thread state (ctx_codec_private.h).
 *
 * Setting up zlib streams (deflate allocates ~256 KiB) and OpenSSL 3
 * contexts (an algorithm lookup under a global lock, then the key schedule)
 * costs more than the work itself: each thread keeps its zlib streams, keyed
 * MAC and cipher contexts (looked up by the key's id, or its bytes, so a
 * new configuration with a new key never meets an old context) and its nonce
 * source. Freed when the thread exits. */
/* HMAC_CTX_free: the slots may hold OpenSSL's HMAC_CTX (ctx_codec_hmac.c) */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sodium.h>

#include "ctx_b64.h"
#include "ctx_codec_private.h"

#define KEYED_SLOTS 8
#define NONCE_FIXED 8       /* then a 32-bit big-endian counter */

typedef struct {
    z_stream def, inf;
    int def_ok, inf_ok;
    ctx_codec_keyed_t keyed[KEYED_SLOTS];
    unsigned int next_evict;
    unsigned int last;          /* the slot found last: tried first */
    /* A random 96-bit nonce per thread, then counted up in its last 32
     * bits (drawn again when they wrap): unique within the thread by
     * construction, and two threads meet only if their random 64 bits agree
     * and their counts overlap — no likelier than random nonces, without an
     * RNG call per cookie. */
    unsigned char nonce_fixed[NONCE_FIXED];
    apr_uint32_t nonce_count;
    int nonce_ready;            /* cleared in a forked child (fork_child) */
    ctx_codec_ts_cache_t tsc;   /* the last two times' texts */
} zstreams_t;

static apr_uint32_t contexts_made;

static pthread_key_t zkey;
static pthread_once_t zkey_once = PTHREAD_ONCE_INIT;
/* initial-exec, as ctx_binding.c's slot */
static __thread zstreams_t *my_zs __attribute__((tls_model("initial-exec")));
/* the slot ctx_codec_keyed_find returned last (ctx_codec_keyed_get) */
__thread ctx_codec_keyed_t *ctx_codec_keyed_last
    __attribute__((tls_model("initial-exec")));
/* &my_zs->tsc once my_zs is made (ctx_codec_encode_ts) */
__thread ctx_codec_ts_cache_t *ctx_codec_ts_cache
    __attribute__((tls_model("initial-exec")));

apr_uint32_t ctx_codec_contexts_made(void)
{
    return apr_atomic_read32(&contexts_made);
}

void ctx_codec_keyed_release(ctx_codec_keyed_t *k)
{
    EVP_MAC_CTX_free(k->mac);
#ifndef OPENSSL_NO_DEPRECATED_3_0
    HMAC_CTX_free(k->hmac);
#endif
    EVP_CIPHER_CTX_free(k->cipher);
    if (k->gcm) {
        sodium_memzero(k->gcm, sizeof(crypto_aead_aes256gcm_state));
        free(k->gcm);
    }
    OPENSSL_cleanse(k, sizeof(*k));
}

static void zstreams_free(void *data)
{
    zstreams_t *z = data;

    if (z->def_ok) deflateEnd(&z->def);
    if (z->inf_ok) inflateEnd(&z->inf);
    for (int i = 0; i < KEYED_SLOTS; ++i) {
        ctx_codec_keyed_release(&z->keyed[i]);
    }
    OPENSSL_cleanse(z->nonce_fixed, sizeof(z->nonce_fixed));
    free(z);
    /* the exiting thread's own pointers (destructors run on it) */
    my_zs = NULL;
    ctx_codec_keyed_last = NULL;
    ctx_codec_ts_cache = NULL;
}

/* In a forked child, only the thread that forked lives on, with a copy of
 * its nonce state: the parent hands out the same nonces next, so the child
 * draws a random start of its own. (Asking getpid() on every nonce did the
 * same at the price of a system call per encrypted cookie; glibc drops a
 * DSO's handlers when the DSO is unloaded.) */
static void fork_child(void)
{
    if (my_zs) {
        my_zs->nonce_ready = 0;
    }
}

static void zkey_create(void)
{
    pthread_key_create(&zkey, zstreams_free);
    pthread_atfork(NULL, NULL, fork_child);
}

static __attribute__((noinline)) zstreams_t *zstreams_make(void)
{
    pthread_once(&zkey_once, zkey_create);
    if ((my_zs = calloc(1, sizeof(*my_zs))) != NULL) {
        pthread_setspecific(zkey, my_zs);
        ctx_codec_ts_cache = &my_zs->tsc;
    }
    return my_zs;
}

/* This thread's state: made on its first use; afterwards one TLS load,
 * inline (several calls per cookie). */
static inline zstreams_t *zstreams(void)
{
    return my_zs ? my_zs : zstreams_make();
}

/* ---- times ---------------------------------------------------------------- */

apr_size_t ctx_codec_ts_text(char *out, apr_int64_t ts)
{
    zstreams_t *z = zstreams();
    ctx_codec_ts_cache_t *c;
    int i;

    if (!z) {
        return 0;
    }
    c = &z->tsc;
    /* kept already (a caller that did not look): the same text */
    for (i = 0; i < 2; ++i) {
        if (c->ts[i].len && c->ts[i].ts == ts) {
            c->last = i;
            memcpy(out, c->ts[i].text, 12);
            return c->ts[i].len;
        }
    }
    i = 1 - c->last;
    c->ts[i].ts = ts;
    c->ts[i].len = ctx_b64url_encode_be(c->ts[i].text, (apr_uint64_t)ts);
    c->last = i;
    memcpy(out, c->ts[i].text, 12);     /* the text and its NUL */
    return c->ts[i].len;
}

/* ---- keyed OpenSSL contexts --------------------------------------------- */

/* With an id, the id alone: ids are never given twice in a process
 * (ctx_keys.h), so a new configuration's key never meets a context keyed
 * with an old one, wherever its bytes lie. Without one, the bytes: memcmp,
 * not CRYPTO_memcmp, as it is the configured key against this thread's
 * copy of it; no client input takes part. */
static inline int keyed_is(const ctx_codec_keyed_t *k, int kind,
                           const unsigned char *key, apr_size_t klen,
                           apr_uint64_t id)
{
    if (id) {
        return k->id == id && k->kind == kind && k->used;
    }
    return k->used && k->kind == kind && k->klen == klen
           && memcmp(k->key, key, klen) == 0;
}

/* ctx_codec_keyed_find but for the last slot found by id: apart, so that
 * the common case saves no registers. */
static __attribute__((noinline)) ctx_codec_keyed_t *
keyed_scan(int kind, const unsigned char *key, apr_size_t klen,
           apr_uint64_t id)
{
    zstreams_t *z = zstreams();
    ctx_codec_keyed_t *k;

    if (!z || klen > sizeof(z->keyed[0].key)) {
        return NULL;
    }
    if (keyed_is(&z->keyed[z->last], kind, key, klen, id)) {
        return &z->keyed[z->last];
    }
    for (unsigned int i = 0; i < KEYED_SLOTS; ++i) {
        if (keyed_is(&z->keyed[i], kind, key, klen, id)) {
            z->last = i;
            return &z->keyed[i];
        }
    }
    for (unsigned int i = 0; i < KEYED_SLOTS; ++i) {
        if (!z->keyed[i].used) {
            z->last = i;
            return &z->keyed[i];
        }
    }
    z->last = z->next_evict++ % KEYED_SLOTS;
    k = &z->keyed[z->last];
    ctx_codec_keyed_release(k);
    return k;
}

ctx_codec_keyed_t *ctx_codec_keyed_find(int kind, const unsigned char *key,
                                        apr_size_t klen, apr_uint64_t id)
{
    zstreams_t *z = my_zs;

    /* A request uses the same key and kind twice (verify, then sign): the
     * slot of the last call first, by id. */
    if (id && z && keyed_is(&z->keyed[z->last], kind, key, klen, id)) {
        return ctx_codec_keyed_last = &z->keyed[z->last];
    }
    return ctx_codec_keyed_last = keyed_scan(kind, key, klen, id);
}

void ctx_codec_keyed_fill(ctx_codec_keyed_t *k, int kind,
                          const unsigned char *key, apr_size_t klen,
                          apr_uint64_t id)
{
    apr_atomic_inc32(&contexts_made);
    k->used = 1;
    k->kind = kind;
    k->id = id;
    memcpy(k->key, key, klen);
    k->klen = klen;
}

/* ---- nonces ------------------------------------------------------------- */

int ctx_codec_nonce(unsigned char *out)
{
    zstreams_t *z = zstreams();
    apr_uint32_t c;

    if (!z) {
        return RAND_bytes(out, CTX_CODEC_NONCE_LEN) == 1;
    }
    if (!z->nonce_ready) {
        /* first use, a forked child, or the count wrapped: draw again */
        unsigned char r[CTX_CODEC_NONCE_LEN];

        if (RAND_bytes(r, sizeof(r)) != 1) {
            return 0;
        }
        memcpy(z->nonce_fixed, r, NONCE_FIXED);
        z->nonce_count = (apr_uint32_t)r[8] << 24 | (apr_uint32_t)r[9] << 16
                         | (apr_uint32_t)r[10] << 8 | r[11];
        OPENSSL_cleanse(r, sizeof(r));
        z->nonce_ready = 1;
    }
    c = z->nonce_count++;
    if (z->nonce_count == 0) {
        z->nonce_ready = 0;
    }
    memcpy(out, z->nonce_fixed, NONCE_FIXED);
    out[NONCE_FIXED] = (unsigned char)(c >> 24);
    out[NONCE_FIXED + 1] = (unsigned char)(c >> 16);
    out[NONCE_FIXED + 2] = (unsigned char)(c >> 8);
    out[NONCE_FIXED + 3] = (unsigned char)c;
    return 1;
}

/* ---- zlib streams ------------------------------------------------------- */

z_stream *ctx_codec_deflater(void)
{
    zstreams_t *z = zstreams();

    if (!z) return NULL;
    if (!z->def_ok) {
        z->def_ok = deflateInit(&z->def, Z_DEFAULT_COMPRESSION) == Z_OK;
        return z->def_ok ? &z->def : NULL;
    }
    return deflateReset(&z->def) == Z_OK ? &z->def : NULL;
}

z_stream *ctx_codec_inflater(void)
{
    zstreams_t *z = zstreams();

    if (!z) return NULL;
    if (!z->inf_ok) {
        z->inf_ok = inflateInit(&z->inf) == Z_OK;
        return z->inf_ok ? &z->inf : NULL;
    }
    return inflateReset(&z->inf) == Z_OK ? &z->inf : NULL;
}

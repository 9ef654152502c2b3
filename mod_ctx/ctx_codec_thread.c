/* ctx_codec_thread: the codec's per-thread state (ctx_codec_private.h).
 *
 * Setting up zlib streams (deflate allocates ~256 KiB) and OpenSSL 3
 * contexts (an algorithm lookup under a global lock, then the key schedule)
 * costs more than the work itself: each thread keeps its zlib streams, keyed
 * MAC and cipher contexts (looked up by the key's bytes, so a new
 * configuration with a new key never meets an old context) and a batch of
 * random nonce bytes. Freed when the thread exits. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ctx_codec_private.h"

#define KEYED_SLOTS 8
#define NONCE_BATCH 32

typedef struct {
    z_stream def, inf;
    int def_ok, inf_ok;
    ctx_codec_keyed_t keyed[KEYED_SLOTS];
    unsigned int next_evict;
    unsigned char nonces[CTX_CODEC_NONCE_LEN * NONCE_BATCH];
    unsigned int nonces_left;   /* emptied in a forked child (fork_child) */
} zstreams_t;

static apr_uint32_t contexts_made;

static pthread_key_t zkey;
static pthread_once_t zkey_once = PTHREAD_ONCE_INIT;
static __thread zstreams_t *my_zs;

apr_uint32_t ctx_codec_contexts_made(void)
{
    return apr_atomic_read32(&contexts_made);
}

void ctx_codec_keyed_release(ctx_codec_keyed_t *k)
{
    EVP_MAC_CTX_free(k->mac);
    EVP_CIPHER_CTX_free(k->cipher);
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
    OPENSSL_cleanse(z->nonces, sizeof(z->nonces));
    free(z);
}

/* In a forked child, only the thread that forked lives on, with a copy of
 * its nonce batch: the parent hands out the same bytes next, so the child
 * must not. (Asking getpid() on every nonce did the same at the price of a
 * system call per encrypted cookie; glibc drops a DSO's handlers when the
 * DSO is unloaded.) */
static void fork_child(void)
{
    if (my_zs) {
        OPENSSL_cleanse(my_zs->nonces, sizeof(my_zs->nonces));
        my_zs->nonces_left = 0;
    }
}

static void zkey_create(void)
{
    pthread_key_create(&zkey, zstreams_free);
    pthread_atfork(NULL, NULL, fork_child);
}

static zstreams_t *zstreams(void)
{
    if (!my_zs) {
        pthread_once(&zkey_once, zkey_create);
        if ((my_zs = calloc(1, sizeof(*my_zs))) != NULL) {
            pthread_setspecific(zkey, my_zs);
        }
    }
    return my_zs;
}

/* ---- keyed OpenSSL contexts --------------------------------------------- */

ctx_codec_keyed_t *ctx_codec_keyed_find(int kind, const unsigned char *key,
                                        apr_size_t klen)
{
    zstreams_t *z = zstreams();
    ctx_codec_keyed_t *k;

    if (!z || klen > sizeof(z->keyed[0].key)) {
        return NULL;
    }
    for (int i = 0; i < KEYED_SLOTS; ++i) {
        k = &z->keyed[i];
        /* memcmp, not CRYPTO_memcmp: the configured key against this
         * thread's copy of it; no client input takes part. */
        if (k->used && k->kind == kind && k->klen == klen
            && memcmp(k->key, key, klen) == 0) {
            return k;
        }
    }
    for (int i = 0; i < KEYED_SLOTS; ++i) {
        if (!z->keyed[i].used) {
            return &z->keyed[i];
        }
    }
    k = &z->keyed[z->next_evict++ % KEYED_SLOTS];
    ctx_codec_keyed_release(k);
    return k;
}

void ctx_codec_keyed_fill(ctx_codec_keyed_t *k, int kind,
                          const unsigned char *key, apr_size_t klen)
{
    apr_atomic_inc32(&contexts_made);
    k->used = 1;
    k->kind = kind;
    memcpy(k->key, key, klen);
    k->klen = klen;
}

/* ---- nonces ------------------------------------------------------------- */

/* From a per-thread batch: one RAND_bytes call per NONCE_BATCH cookies. */
int ctx_codec_nonce(unsigned char *out)
{
    zstreams_t *z = zstreams();

    if (!z) {
        return RAND_bytes(out, CTX_CODEC_NONCE_LEN) == 1;
    }
    if (!z->nonces_left) {
        if (RAND_bytes(z->nonces, sizeof(z->nonces)) != 1) {
            return 0;
        }
        z->nonces_left = NONCE_BATCH;
    }
    --z->nonces_left;
    memcpy(out, z->nonces + z->nonces_left * CTX_CODEC_NONCE_LEN,
           CTX_CODEC_NONCE_LEN);
    /* Never hand out the same bytes twice. */
    OPENSSL_cleanse(z->nonces + z->nonces_left * CTX_CODEC_NONCE_LEN,
                    CTX_CODEC_NONCE_LEN);
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

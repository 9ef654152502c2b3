/* ctx_session_id: see ctx_session_id.h. */
#include <pthread.h>
#include <string.h>

#include <apr_atomic.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ctx_b64.h"
#include "ctx_codec_private.h"
#include "ctx_session_id.h"

#define PREFIX "i1."
#define PREFIX_LEN 3
#define ID_B64 43                       /* ctx_b64url_len(CTX_SID_BYTES) */
#define MAC_LEN 32
#define MAC_DOMAIN "mod_ctx session id 1"
#define KEY_DOMAIN "mod_ctx store key 1"
#define KEY_PREFIX "ctx1."
#define KEY_PREFIX_LEN 5

static apr_uint32_t reason_counts[CTX_REASON_COUNT];

static ctx_reason_t count(ctx_reason_t reason)
{
    apr_atomic_inc32(&reason_counts[reason]);
    return reason;
}

apr_uint32_t ctx_sid_reason_count(ctx_reason_t reason)
{
    return (reason >= 0 && reason < CTX_REASON_COUNT)
               ? apr_atomic_read32(&reason_counts[reason]) : 0;
}

static int usable(const ctx_sid_codec_t *c)
{
    return c && c->keys && ctx_keyring_count(c->keys) > 0 && c->app_name
           && *c->app_name && c->cookie_name && *c->cookie_name;
}

/* HMAC-SHA256 under key `idx`'s id key over the binding and the signed
 * text `msg` ("i1." ID). 0 if OpenSSL fails or idx is out of range. The
 * keyed context is this thread's, kept across calls (ctx_codec_thread.c):
 * keying one anew (a digest lookup and the key schedule) cost more than
 * the MAC itself. */
static int id_mac(const ctx_sid_codec_t *c, int idx, const char *msg,
                  unsigned char out[MAC_LEN])
{
    apr_size_t klen = 0;
    const unsigned char *key = ctx_keyring_key(c->keys, idx, CTX_KEY_ID,
                                               &klen);
    EVP_MAC_CTX *h = ctx_codec_hmac_ctx("SHA256", key, klen);
    size_t olen = 0;

    /* Each string with its NUL: names are C strings, so the binding
     * parses one way only. */
    return h
           && EVP_MAC_update(h, (const unsigned char *)MAC_DOMAIN,
                             sizeof(MAC_DOMAIN))
           && EVP_MAC_update(h, (const unsigned char *)c->app_name,
                             strlen(c->app_name) + 1)
           && EVP_MAC_update(h, (const unsigned char *)c->cookie_name,
                             strlen(c->cookie_name) + 1)
           && EVP_MAC_update(h, (const unsigned char *)msg,
                             PREFIX_LEN + ID_B64)
           && EVP_MAC_final(h, out, &olen, MAC_LEN) && olen == MAC_LEN;
}

/* SHA-256 fetched once (ctx_codec_kept_fetch: a failed fetch is tried
 * again) and a digest context per thread (freed when the thread exits):
 * EVP_sha256() with a new EVP_MD_CTX looked the algorithm up and allocated
 * on every store key. */
static void *sha256;
static pthread_key_t md_key;
static int md_key_made;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static __thread EVP_MD_CTX *my_md;

static void md_free(void *md)
{
    EVP_MD_CTX_free(md);
}

static void md_setup(void)
{
    md_key_made = pthread_key_create(&md_key, md_free) == 0;
}

static void *sha256_fetch(void)
{
    return EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void sha256_release(void *md)
{
    EVP_MD_free(md);
}

static EVP_MD_CTX *thread_md(void)
{
    pthread_once(&md_once, md_setup);
    if (!my_md && md_key_made && (my_md = EVP_MD_CTX_new()) != NULL) {
        pthread_setspecific(md_key, my_md);
    }
    return my_md;
}

apr_status_t ctx_sid_store_key(const char *app,
                               const unsigned char id[CTX_SID_BYTES],
                               char *out)
{
    EVP_MD_CTX *md;
    const EVP_MD *alg;
    unsigned char digest[32];
    unsigned int dlen = 0;

    if (!app || !*app || !id || !out) {
        return APR_EINVAL;
    }
    if (!(md = thread_md())
        || !(alg = ctx_codec_kept_fetch(&sha256, sha256_fetch,
                                        sha256_release))
        || !EVP_DigestInit_ex(md, alg, NULL)
        || !EVP_DigestUpdate(md, KEY_DOMAIN, sizeof(KEY_DOMAIN))
        || !EVP_DigestUpdate(md, app, strlen(app) + 1)
        || !EVP_DigestUpdate(md, id, CTX_SID_BYTES)
        || !EVP_DigestFinal_ex(md, digest, &dlen) || dlen != sizeof(digest)) {
        return APR_EGENERAL;
    }
    memcpy(out, KEY_PREFIX, KEY_PREFIX_LEN);
    ctx_b64url_encode(out + KEY_PREFIX_LEN, digest, sizeof(digest));
    return APR_SUCCESS;
}

apr_status_t ctx_sid_sign(const ctx_sid_codec_t *c, ctx_sid_t *sid)
{
    unsigned char m[MAC_LEN];
    char *v;

    if (!usable(c) || !sid) {
        return APR_EINVAL;
    }
    v = sid->cookie;
    memcpy(v, PREFIX, PREFIX_LEN);
    ctx_b64url_encode(v + PREFIX_LEN, sid->id, CTX_SID_BYTES);
    v[PREFIX_LEN + ID_B64] = '.';
    if (!id_mac(c, 0, v, m)
        || ctx_sid_store_key(c->app_name, sid->id, sid->store_key)
           != APR_SUCCESS) {
        OPENSSL_cleanse(sid, sizeof(*sid));
        return APR_EGENERAL;
    }
    ctx_b64url_encode(v + PREFIX_LEN + ID_B64 + 1, m, MAC_LEN);
    sid->key_index = 0;
    return APR_SUCCESS;
}

apr_status_t ctx_sid_new(const ctx_sid_codec_t *c, ctx_sid_t *sid)
{
    if (!usable(c) || !sid) {
        return APR_EINVAL;
    }
    if (RAND_bytes(sid->id, CTX_SID_BYTES) != 1) {
        OPENSSL_cleanse(sid, sizeof(*sid));
        return APR_EGENERAL;
    }
    return ctx_sid_sign(c, sid);
}

ctx_reason_t ctx_sid_verify(const ctx_sid_codec_t *c, const char *value,
                            apr_size_t len, ctx_sid_t *sid)
{
    unsigned char got[MAC_LEN + 1], want[MAC_LEN];
    int n;

    if (sid) {
        memset(sid, 0, sizeof(*sid));
    }
    /* Shape first: the cheapest refusals come before any crypto. */
    if (!sid || !value || len != CTX_SID_COOKIE_LEN
        || memcmp(value, PREFIX, PREFIX_LEN) != 0
        || value[PREFIX_LEN + ID_B64] != '.') {
        return count(CTX_REASON_MALFORMED);
    }
    if (ctx_b64url_decode(sid->id, value + PREFIX_LEN, ID_B64)
            != CTX_SID_BYTES
        || ctx_b64url_decode(got, value + PREFIX_LEN + ID_B64 + 1, ID_B64)
            != MAC_LEN) {
        memset(sid, 0, sizeof(*sid));
        return count(CTX_REASON_BAD_ENCODING);
    }
    n = usable(c) ? ctx_keyring_count(c->keys) : 0;
    for (int k = 0; k < n; ++k) {
        if (id_mac(c, k, value, want)
            && CRYPTO_memcmp(want, got, MAC_LEN) == 0) {
            memcpy(sid->cookie, value, CTX_SID_COOKIE_LEN);
            sid->cookie[CTX_SID_COOKIE_LEN] = '\0';
            sid->key_index = k;
            if (ctx_sid_store_key(c->app_name, sid->id, sid->store_key)
                != APR_SUCCESS) {
                break;
            }
            return count(CTX_REASON_OK);
        }
    }
    OPENSSL_cleanse(sid, sizeof(*sid));
    return count(CTX_REASON_BAD_SIGNATURE);
}

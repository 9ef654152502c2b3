/* ctx_codec_encrypted: the encrypted format, "e2." TS "." CT "."
 * b64url(nonce ciphertext tag), AES-256-GCM with the app and cookie names
 * and the times as associated data, and version 1 ("e1.", read only when
 * codec->legacy); see ctx_codec.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ctx_b64.h"
#include "ctx_codec_private.h"

#define NONCE_LEN CTX_CODEC_NONCE_LEN
#define TAG_LEN 16
#define KEY_LEN 32             /* AES-256 */
#define ENCRYPTED_PREFIX "e2."
#define ENCRYPTED_DOMAIN CTX_CODEC_ENCRYPTED_DOMAIN
/* Version 1: read only (codec->legacy), never written. */
#define ENCRYPTED_PREFIX_1 "e1."
#define ENCRYPTED_DOMAIN_1 "mod_ctx encrypted 1"

/* ---- the AEAD: libsodium where the CPU allows, else OpenSSL ------------- */

static int sodium_gcm;          /* set once: sodium_init and AES-NI */
static int sodium_known;        /* sodium_gcm is set (no pthread_once call
                                 * per cookie once it is) */
static int force_openssl;
static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void sodium_setup(void)
{
    sodium_gcm = sodium_init() >= 0 && crypto_aead_aes256gcm_is_available();
    __atomic_store_n(&sodium_known, 1, __ATOMIC_RELEASE);
}

int ctx_codec_gcm_sodium(void)
{
    if (!__atomic_load_n(&sodium_known, __ATOMIC_ACQUIRE)) {
        pthread_once(&sodium_once, sodium_setup);
    }
    return sodium_gcm && !force_openssl;
}

void ctx_codec_gcm_force_openssl(int on)
{
    force_openssl = on;
}

/* libsodium's AES-256-GCM with this thread's expanded key (`id`: its
 * ctx_keyring_key_id); the associated data in one piece (`ad`, `alen`). */
static int aead_sodium(int enc, const unsigned char *key, apr_uint64_t id,
                       const unsigned char *nonce, const unsigned char *ad,
                       apr_size_t alen, const unsigned char *in, apr_size_t n,
                       unsigned char *out, unsigned char *tag)
{
    ctx_codec_keyed_t *k = ctx_codec_keyed_get(CTX_CODEC_KEYED_GCM_SODIUM,
                                                key, KEY_LEN, id);

    if (!k) {
        return 0;
    }
    if (!k->used) {
        /* the AES key schedule and GHASH powers, once per thread and key */
        if (posix_memalign(&k->gcm, 16, sizeof(crypto_aead_aes256gcm_state))
            || crypto_aead_aes256gcm_beforenm(k->gcm, key) != 0) {
            if (k->gcm) {
                free(k->gcm);
            }
            k->gcm = NULL;
            return 0;
        }
        ctx_codec_keyed_fill(k, CTX_CODEC_KEYED_GCM_SODIUM, key, KEY_LEN, id);
    }
    if (enc) {
        return crypto_aead_aes256gcm_encrypt_detached_afternm(
                   out, tag, NULL, in, n, ad, alen, NULL, nonce, k->gcm) == 0;
    }
    /* a wrong tag leaves `out` zeroed and the state as it was */
    return crypto_aead_aes256gcm_decrypt_detached_afternm(
               out, NULL, in, n, tag, ad, alen, nonce, k->gcm) == 0;
}

static int aead_update(void *ctx, const unsigned char *in, apr_size_t n)
{
    int len = 0;

    return EVP_CipherUpdate(ctx, NULL, &len, in, (int)n);
}

/* AES-256-GCM with this thread's context for `key` (`id`: its
 * ctx_keyring_key_id); the associated data is the binding, then `ts` (the
 * cookie's times as written: "TS" or "TS.CT"). */
static int aead(int enc, const unsigned char *key, apr_uint64_t id,
                const unsigned char *nonce,
                const ctx_codec_binding_t *b, const char *ts,
                apr_size_t tslen, const unsigned char *in, apr_size_t n,
                unsigned char *out, unsigned char *tag)
{
    int kind = enc ? CTX_CODEC_KEYED_GCM_ENCRYPT : CTX_CODEC_KEYED_GCM_DECRYPT;
    ctx_codec_keyed_t *k;
    EVP_CIPHER_CTX *c;
    unsigned char ad[CTX_CODEC_PREFIX_MAX];
    /* The associated data in one piece when it fits the stack buffer. */
    apr_size_t alen = ctx_codec_bound_prefix(ad, b, ts, tslen);
    int len = 0, ok;

    if (alen && ctx_codec_gcm_sodium()) {
        return aead_sodium(enc, key, id, nonce, ad, alen, in, n, out, tag);
    }
    if (!(k = ctx_codec_keyed_get(kind, key, KEY_LEN, id))) {
        return 0;
    }
    if (!k->used) {
        /* The cipher lookup and key schedule, once per thread and key. */
        if (!(k->cipher = EVP_CIPHER_CTX_new())
            || !EVP_CipherInit_ex(k->cipher, EVP_aes_256_gcm(), NULL, NULL,
                                  NULL, enc)
            || !EVP_CIPHER_CTX_ctrl(k->cipher, EVP_CTRL_GCM_SET_IVLEN,
                                    NONCE_LEN, NULL)
            || !EVP_CipherInit_ex(k->cipher, NULL, NULL, key, NULL, enc)) {
            ctx_codec_keyed_release(k);
            return 0;
        }
        ctx_codec_keyed_fill(k, kind, key, KEY_LEN, id);
    }
    c = k->cipher;
    ok = EVP_CipherInit_ex(c, NULL, NULL, NULL, nonce, enc)
         && (alen ? aead_update(c, ad, alen)
                  : ctx_codec_bind_pieces(aead_update, c, b)
                    && aead_update(c, (const unsigned char *)ts, tslen))
         && (n == 0 || EVP_CipherUpdate(c, out, &len, in, (int)n));
    if (ok && !enc) {
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag);
    }
    if (ok && !enc) {
        /* A wrong tag is what a client can cause: the context stays (the
         * next call sets a new nonce, which restarts it). Dropping it cost
         * a cipher lookup and key schedule per bad cookie. */
        return EVP_CipherFinal_ex(c, out + (n ? len : 0), &len);
    }
    ok = ok && EVP_CipherFinal_ex(c, out + (n ? len : 0), &len);
    if (ok && enc) {
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag);
    }
    if (!ok) {
        ctx_codec_keyed_release(k); /* start from a clean context next time */
    }
    return ok;
}

ctx_reason_t ctx_codec_decode_encrypted(const ctx_codec_t *codec,
                                        apr_pool_t *p, const char *value,
                                        apr_size_t len, apr_int64_t now,
                                        ctx_flat_t **data,
                                        ctx_codec_meta_t *meta)
{
    const char *ts_s, *dot, *dot_ct = NULL, *blob_s;
    unsigned char *blob, *plain;
    apr_size_t n, tslen;
    apr_int64_t ts = 0, ct = 0;
    apr_uint64_t t, c;
    int k, version, times_read = 0;
    ctx_codec_binding_t b;
    ctx_reason_t reason;

    /* Version 2, the one written, without a call; the rest (version 1,
     * legacy refused, malformed) as ctx_codec_version says. */
    if (len >= 3 && memcmp(value, ENCRYPTED_PREFIX, 3) == 0) {
        version = 2;
        ctx_codec_binding_v2(codec, CTX_FORMAT_ENCRYPTED, ENCRYPTED_DOMAIN,
                             &b);
    }
    else if ((reason = ctx_codec_version(codec, CTX_FORMAT_ENCRYPTED, value,
                                         len, ENCRYPTED_PREFIX,
                                         ENCRYPTED_DOMAIN, ENCRYPTED_PREFIX_1,
                                         ENCRYPTED_DOMAIN_1, &version, &b))
             != CTX_REASON_OK) {
        return reason;
    }
    ts_s = value + 3;
    if (version == 2 && len > 17 && value[9] == '.' && value[16] == '.'
        && ctx_b64url_decode_be(ts_s, 6, &t) == 4
        && ctx_b64url_decode_be(value + 10, 6, &c) == 4) {
        /* TS and CT of 6 characters (every time written from 1970 + 194
         * days to 2106) that decode hold no dot: the dots after them are
         * the first two, and the times are read. */
        dot_ct = value + 9;
        dot = value + 16;
        ts = (apr_int64_t)t;
        ct = (apr_int64_t)c;
        times_read = 1;
    }
    else if (!(dot = memchr(ts_s, '.', len - 3))) {
        return CTX_REASON_MALFORMED;
    }
    else if (version == 2) {
        dot_ct = dot;
        if (!(dot = memchr(dot_ct + 1, '.',
                           len - (apr_size_t)(dot_ct + 1 - value)))) {
            return CTX_REASON_MALFORMED;
        }
    }
    tslen = (apr_size_t)(dot - ts_s);       /* "TS" or "TS.CT", as bound */
    blob_s = dot + 1;
    if (!(blob = ctx_codec_b64_dup(p, blob_s,
                                   len - (apr_size_t)(blob_s - value), &n))) {
        /* A third dot is a wrong shape, not a wrong encoding: looked for
         * only here, as base64url never holds one. */
        return memchr(blob_s, '.', len - (apr_size_t)(blob_s - value))
                   ? CTX_REASON_MALFORMED : CTX_REASON_BAD_ENCODING;
    }
    if (n < NONCE_LEN + TAG_LEN) {
        return CTX_REASON_MALFORMED;
    }
    if (n - NONCE_LEN - TAG_LEN > ctx_codec_max_json(codec)) {
        return CTX_REASON_OVERSIZED;
    }
    plain = apr_palloc(p, n + 1);
    for (k = 0; k < ctx_keyring_count(codec->keys); ++k) {
        apr_uint64_t id = 0;
        const unsigned char *key = ctx_keyring_key_id(codec->keys, k,
                                                      CTX_KEY_ENCRYPT, NULL,
                                                      &id);

        if (aead(0, key, id, blob, &b, ts_s, tslen, blob + NONCE_LEN,
                 n - NONCE_LEN - TAG_LEN, plain, blob + n - TAG_LEN)) {
            break;
        }
    }
    if (k == ctx_keyring_count(codec->keys)) {
        return CTX_REASON_BAD_SIGNATURE;
    }
    reason = times_read
             ? ctx_codec_times_check(codec, ts, ct, now)
             : ctx_codec_times(
                   codec, ts_s, (apr_size_t)((dot_ct ? dot_ct : dot) - ts_s),
                   dot_ct ? dot_ct + 1 : NULL,
                   dot_ct ? (apr_size_t)(dot - dot_ct - 1) : 0, now, &ts,
                   &ct);
    if (reason != CTX_REASON_OK) {
        return reason;
    }
    if ((reason = ctx_codec_parse_json(codec, (char *)plain,
                                       n - NONCE_LEN - TAG_LEN, p, data))
        != CTX_REASON_OK) {
        return reason;
    }
    meta->issued = ts;
    meta->created = ct;
    meta->key_index = k;
    meta->legacy = version == 1;
    return CTX_REASON_OK;
}

apr_status_t ctx_codec_encode_encrypted(const ctx_codec_t *codec,
                                        apr_pool_t *p, const char *json,
                                        apr_size_t jlen, apr_int64_t issued,
                                        apr_int64_t created,
                                        const char **value, apr_size_t *vlen)
{
    char ts[32];
    apr_size_t tslen = ctx_codec_encode_ts(ts, issued);
    apr_size_t n = NONCE_LEN + jlen + TAG_LEN;
    unsigned char *blob = apr_palloc(p, n);
    apr_uint64_t id = 0;
    const unsigned char *key = ctx_keyring_key_id(codec->keys, 0,
                                                  CTX_KEY_ENCRYPT, NULL, &id);
    ctx_codec_binding_t b;
    char *out;
    apr_size_t len;

    if (!key) {
        return APR_EINVAL;
    }
    ctx_codec_binding_v2(codec, CTX_FORMAT_ENCRYPTED, ENCRYPTED_DOMAIN, &b);
    ts[tslen++] = '.';
    tslen += ctx_codec_encode_ts(ts + tslen, created);
    if (!ctx_codec_nonce(blob)
        || !aead(1, key, id, blob, &b, ts, tslen, (const unsigned char *)json,
                 jlen, blob + NONCE_LEN, blob + NONCE_LEN + jlen)) {
        return APR_EGENERAL;
    }
    out = apr_palloc(p, 3 + tslen + 1 + CTX_B64URL_ROOM(n) + 1);
    memcpy(out, ENCRYPTED_PREFIX, 3);
    memcpy(out + 3, ts, tslen);
    out[3 + tslen] = '.';
    len = 3 + tslen + 1 + ctx_b64url_encode(out + 3 + tslen + 1, blob, n);
    *value = out;
    if (vlen) {
        *vlen = len;
    }
    return APR_SUCCESS;
}

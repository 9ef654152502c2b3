/* ctx_codec_hmac: the HMAC of the signed and flask formats and the layout
 * they share, PAYLOAD "." TS ["." CT] "." MAC, read from the right
 * (ctx_codec_private.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* memrchr */
#endif
/* HMAC_CTX: deprecated in OpenSSL 3.0 for EVP_MAC, still OpenSSL's own
 * HMAC; EVP_MAC where it is gone (OPENSSL_NO_DEPRECATED_3_0). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "ctx_b64.h"
#include "ctx_codec_private.h"

static void *hmac_alg;            /* OpenSSL's HMAC (ctx_codec_kept_fetch) */

static void *hmac_fetch(void)
{
    return EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static void hmac_release(void *alg)
{
    EVP_MAC_free(alg);
}

/* mac_ctx for a slot not filled yet: the MAC's context made and keyed,
 * once per thread and key (apart: the common case needs no frame). */
static __attribute__((noinline)) EVP_MAC_CTX *
mac_ctx_new(ctx_codec_keyed_t *k, int kind, const unsigned char *key,
            apr_size_t klen, apr_uint64_t id)
{
    OSSL_PARAM params[2];
    EVP_MAC *alg = ctx_codec_kept_fetch(&hmac_alg, hmac_fetch, hmac_release);

    if (!alg || !(k->mac = EVP_MAC_CTX_new(alg))) {
        return NULL;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(
        OSSL_MAC_PARAM_DIGEST,
        (char *)(kind == CTX_CODEC_KEYED_HMAC_SHA1 ? "SHA1" : "SHA256"), 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(k->mac, key, klen, params)) {
        ctx_codec_keyed_release(k);
        return NULL;
    }
    ctx_codec_keyed_fill(k, kind, key, klen, id);
    return k->mac;
}

/* A keyed HMAC context of `kind` (CTX_CODEC_KEYED_HMAC_*) for this thread,
 * ready for updates; `id` is the key's ctx_keyring_key_id, or 0. */
static inline EVP_MAC_CTX *mac_ctx(int kind, const unsigned char *key,
                                   apr_size_t klen, apr_uint64_t id)
{
    ctx_codec_keyed_t *k = ctx_codec_keyed_get(kind, key, klen, id);

    if (!k) {
        return NULL;
    }
    if (k->used) {
        /* Same key: a NULL key keeps it and restarts the computation. */
        return EVP_MAC_init(k->mac, NULL, 0, NULL) ? k->mac : NULL;
    }
    return mac_ctx_new(k, kind, key, klen, id);
}

EVP_MAC_CTX *ctx_codec_hmac_ctx(const char *digest,
                               const unsigned char *key, apr_size_t klen)
{
    return key ? mac_ctx(strcmp(digest, "SHA1") == 0
                             ? CTX_CODEC_KEYED_HMAC_SHA1
                             : CTX_CODEC_KEYED_HMAC_SHA256,
                         key, klen, 0)
               : NULL;
}

int ctx_codec_mac_equal(const unsigned char *a, const unsigned char *b,
                        apr_size_t n)
{
    /* Libraries' constant-time compares, never our own: libsodium's for a
     * SHA-256 MAC (two 16-byte vector compares), OpenSSL's for the rest. */
    return n == 32 ? crypto_verify_32(a, b) == 0 : CRYPTO_memcmp(a, b, n) == 0;
}

#ifndef OPENSSL_NO_DEPRECATED_3_0
static int force_evp;

int ctx_codec_hmac_legacy(void)
{
    return !force_evp;
}

void ctx_codec_hmac_force_evp(int on)
{
    force_evp = on;
}

/* hmac_ctx for a slot not filled yet (apart, as mac_ctx_new) */
static __attribute__((noinline)) HMAC_CTX *
hmac_ctx_new(ctx_codec_keyed_t *k, int kind, const unsigned char *key,
             apr_size_t klen, apr_uint64_t id)
{
    HMAC_CTX *h = HMAC_CTX_new();

    k->hmac = h;
    if (!h || !HMAC_Init_ex(h, key, (int)klen,
                            kind == CTX_CODEC_KEYED_HMAC_CTX_SHA1
                                ? EVP_sha1() : EVP_sha256(), NULL)) {
        ctx_codec_keyed_release(k);
        return NULL;
    }
    ctx_codec_keyed_fill(k, kind, key, klen, id);
    return h;
}

/* This thread's HMAC_CTX of `kind` (CTX_CODEC_KEYED_HMAC_CTX_*) keyed with
 * `key`, restarted: once keyed, HMAC_Init_ex with no key and no digest
 * starts again from the keyed state. */
static inline HMAC_CTX *hmac_ctx(int kind, const unsigned char *key,
                                 apr_size_t klen, apr_uint64_t id)
{
    ctx_codec_keyed_t *k = ctx_codec_keyed_get(kind, key, klen, id);

    if (!k) {
        return NULL;
    }
    if (k->used) {
        return HMAC_Init_ex(k->hmac, NULL, 0, NULL, NULL) ? k->hmac : NULL;
    }
    return hmac_ctx_new(k, kind, key, klen, id);
}
#else
int ctx_codec_hmac_legacy(void)
{
    return 0;
}

void ctx_codec_hmac_force_evp(int on)
{
    (void)on;
}
#endif

/* HMAC of `kind` (CTX_CODEC_KEYED_HMAC_*) over the n bytes at `in` into
 * `out` (EVP_MAX_MD_SIZE bytes): the binding's bytes are in front of the
 * message there, one update (each EVP call goes down four layers). 0 if
 * OpenSSL fails. */
static int mac(int kind, const unsigned char *key, apr_size_t klen,
               apr_uint64_t id, const unsigned char *in, apr_size_t n,
               unsigned char *out, unsigned int *outlen)
{
    EVP_MAC_CTX *h;
    size_t olen = 0;
    int ok;

#ifndef OPENSSL_NO_DEPRECATED_3_0
    if (!force_evp) {
        HMAC_CTX *c = hmac_ctx(kind == CTX_CODEC_KEYED_HMAC_SHA1
                                   ? CTX_CODEC_KEYED_HMAC_CTX_SHA1
                                   : CTX_CODEC_KEYED_HMAC_CTX_SHA256,
                               key, klen, id);

        *outlen = 0;
        return c && HMAC_Update(c, in, n) && HMAC_Final(c, out, outlen);
    }
#endif
    h = mac_ctx(kind, key, klen, id);
    ok = h && EVP_MAC_update(h, in, n)
         && EVP_MAC_final(h, out, &olen, EVP_MAX_MD_SIZE);
    *outlen = (unsigned int)olen;
    return ok;
}

/* A received value's MAC input fits this stack buffer unless it is long. */
#define MAC_INPUT_MAX 1024

/* The MAC input of the `mlen` bytes at `msg` under binding `b`: the
 * binding's bytes, then msg, in `buf` (MAC_INPUT_MAX bytes) or, when they
 * do not fit, in a buffer allocated in `p`; msg itself when b is NULL. */
static const unsigned char *mac_input(apr_pool_t *p, unsigned char *buf,
                                      const ctx_codec_binding_t *b,
                                      const char *msg, apr_size_t mlen,
                                      apr_size_t *n)
{
    apr_size_t blen;

    if (!b) {
        *n = mlen;
        return (const unsigned char *)msg;
    }
    if (!(blen = ctx_codec_bound_prefix(buf, b, NULL, 0))
        || blen + mlen > MAC_INPUT_MAX) {
        blen = ctx_codec_bound_len(b);
        buf = apr_palloc(p, blen + mlen);
        ctx_codec_bound_write(buf, b);
    }
    memcpy(buf + blen, msg, mlen);
    *n = blen + mlen;
    return buf;
}

/* ---- PAYLOAD "." TS ["." CT] "." MAC, from the right -------------------- */

ctx_reason_t ctx_codec_hmac_decode(const ctx_codec_t *codec,
                                   const ctx_codec_hmac_t *f, apr_pool_t *p,
                                   const char *value, apr_size_t len,
                                   apr_int64_t now, ctx_flat_t **data,
                                   ctx_codec_meta_t *meta)
{
    int fields = f->with_created ? 3 : 2;   /* dots right of PAYLOAD */
    apr_size_t mac_chars = f->kind == CTX_CODEC_KEYED_HMAC_SHA1 ? 27 : 43;
    int found = 0;
    apr_size_t plen = f->prefix_len;
    const char *dots[3], *body = value + plen, *dot_sig, *dot_ts;
    const char *dot_ct = NULL;
    apr_size_t blen, i, mlen;
    unsigned char want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
    unsigned char buf[MAC_INPUT_MAX];
    const unsigned char *in;
    apr_size_t n;
    unsigned int wlen = 0;
    apr_size_t glen;
    long gl;
    int k, matched = -1, times_read = 0;
    apr_int64_t ts = 0, ct = 0;
    char *json;
    apr_size_t jlen;
    ctx_reason_t reason;

    /* A MAC text of the kind's length (43 characters for SHA-256, 27 for
     * SHA-1) after a dot, that decodes, holds no dot (base64url has none):
     * that dot is the last one, found without a scan. Any other shape goes
     * the general way, with the same reasons. */
    i = len;
    gl = -1;
    if (len > mac_chars && value[len - mac_chars - 1] == '.'
        && (gl = ctx_b64url_decode(got, value + len - mac_chars, mac_chars))
           >= 0) {
        i = len - mac_chars - 1;
        dots[found++] = value + i;
    }
    /* TS and CT of 6 characters (4 bytes: every time written from 1970 +
     * 194 days to 2106) that decode hold no dot either: the dots before
     * them are the next ones, found without a scan, and the times are
     * read once. Other shapes go the general way. */
    if (found == 1) {
        const char *d = dots[0];
        apr_uint64_t a, c;

        if (fields == 3 && i >= 14 && d[-7] == '.' && d[-14] == '.'
            && ctx_b64url_decode_be(d - 6, 6, &c) == 4
            && ctx_b64url_decode_be(d - 13, 6, &a) == 4) {
            dots[found++] = d - 7;
            dots[found++] = d - 14;
            ts = (apr_int64_t)a;
            ct = (apr_int64_t)c;
            times_read = 1;
        }
        else if (fields == 2 && i >= 7 && d[-7] == '.'
                 && ctx_b64url_decode_be(d - 6, 6, &a) == 4) {
            dots[found++] = d - 7;
            ts = ct = (apr_int64_t)a;
            times_read = 1;
        }
    }
    /* The dots from the right: memrchr is glibc's vectorised scan (a byte
     * loop here cost ~300 instructions per cookie). */
    for (; found < fields; ) {
        const char *d = i ? memrchr(value, '.', i) : NULL;

        if (!d) {
            break;
        }
        dots[found++] = d;
        i = (apr_size_t)(d - value);
    }
    /* The timestamp's dot comes after the prefix (in a payload-less
     * "s2.TS.CT.MAC" it would be the prefix's dot). */
    if (found < fields || dots[fields - 1] < body) {
        return CTX_REASON_MALFORMED;
    }
    dot_sig = dots[0];
    dot_ts = dots[fields - 1];
    if (fields == 3) {
        dot_ct = dots[1];
    }
    mlen = (apr_size_t)(dot_sig - value);   /* signed text: up to TS/CT */
    glen = len - mlen - 1;
    if (glen == 0 || glen > (EVP_MAX_MD_SIZE * 4 + 2) / 3) {
        return CTX_REASON_MALFORMED;
    }
    if (gl < 0 && (gl = ctx_b64url_decode(got, dot_sig + 1, glen)) < 0) {
        return CTX_REASON_BAD_ENCODING;
    }
    in = mac_input(p, buf, f->binding, value, mlen, &n);
    for (k = 0; k < ctx_keyring_count(codec->keys); ++k) {
        apr_size_t klen = 0;
        apr_uint64_t id = 0;
        const unsigned char *key = ctx_keyring_key_id(codec->keys, k,
                                                      f->purpose, &klen, &id);

        if (!mac(f->kind, key, klen, id, in, n, want, &wlen)) {
            return CTX_REASON_BAD_SIGNATURE;
        }
        if ((apr_size_t)gl == wlen && ctx_codec_mac_equal(want, got, wlen)) {
            matched = k;
            break;
        }
    }
    if (matched < 0) {
        return CTX_REASON_BAD_SIGNATURE;
    }
    reason = times_read
             ? ctx_codec_times_check(codec, ts, ct, now)
             : ctx_codec_times(
                   codec, dot_ts + 1,
                   (apr_size_t)((dot_ct ? dot_ct : dot_sig) - dot_ts - 1),
                   dot_ct ? dot_ct + 1 : NULL,
                   dot_ct ? (apr_size_t)(dot_sig - dot_ct - 1) : 0, now, &ts,
                   &ct);
    if (reason != CTX_REASON_OK) {
        return reason;
    }
    blen = (apr_size_t)(dot_ts - body);
    if ((reason = ctx_codec_decode_payload(p, body, blen,
                                           ctx_codec_max_json(codec), &json,
                                           &jlen)) != CTX_REASON_OK) {
        return reason;
    }
    if ((reason = ctx_codec_parse_json(codec, json, jlen, p, data))
        != CTX_REASON_OK) {
        return reason;
    }
    meta->issued = ts;
    meta->created = ct;
    meta->key_index = matched;
    return CTX_REASON_OK;
}

apr_status_t ctx_codec_hmac_encode(const ctx_codec_t *codec,
                                   const ctx_codec_hmac_t *f, apr_pool_t *p,
                                   const char *json, apr_size_t jlen,
                                   apr_int64_t issued, apr_int64_t created,
                                   const char **value, apr_size_t *vlen)
{
    unsigned char m[EVP_MAX_MD_SIZE];
    unsigned int mlen = 0;
    int compressed;
    apr_size_t klen, n, len = f->prefix_len;
    apr_uint64_t id = 0;
    const unsigned char *raw, *key = ctx_keyring_key_id(codec->keys, 0,
                                                        f->purpose, &klen,
                                                        &id);
    apr_size_t blen = 0, vmax;
    char *buf, *out;

    if (!key) {
        return APR_EINVAL;
    }
    if (!(raw = ctx_codec_payload_bytes(p, json, jlen, f->always_compress,
                                        &n, &compressed))) {
        return APR_EGENERAL;
    }
    /* The binding's bytes, then [s2.][.]PAYLOAD.TS[.CT].MAC written in
     * place, in one allocation: the MAC reads both in one update. */
    vmax = 3 + 1 + CTX_B64URL_ROOM(n) + 1 + 12 + 1 + 12 + 1
           + CTX_B64URL_ROOM(EVP_MAX_MD_SIZE) + 1;
    if (!f->binding) {
        buf = apr_palloc(p, vmax);
    }
    else if (!(blen = ctx_codec_bound_prefix(
                   (unsigned char *)(buf = apr_palloc(
                                         p, CTX_CODEC_PREFIX_MAX + vmax)),
                   f->binding, NULL, 0))) {
        /* names too long for the prefix buffer */
        blen = ctx_codec_bound_len(f->binding);
        buf = apr_palloc(p, blen + vmax);
        ctx_codec_bound_write((unsigned char *)buf, f->binding);
    }
    out = buf + blen;
    if (len == 3) {
        memcpy(out, f->prefix, 3);      /* "s2.": moves, not a call */
    }
    else {
        memcpy(out, f->prefix, len);
    }
    if (compressed) {
        out[len++] = '.';
    }
    len += ctx_b64url_encode(out + len, raw, n);
    out[len++] = '.';
    len += ctx_codec_encode_ts(out + len, issued);
    if (f->with_created) {
        out[len++] = '.';
        len += ctx_codec_encode_ts(out + len, created);
    }
    if (!mac(f->kind, key, klen, id, (const unsigned char *)buf, blen + len,
             m, &mlen)) {
        return APR_EGENERAL;
    }
    out[len++] = '.';
    len += ctx_b64url_encode(out + len, m, mlen);
    *value = out;
    if (vlen) {
        *vlen = len;
    }
    return APR_SUCCESS;
}

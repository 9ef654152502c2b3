/* ctx_codec: see ctx_codec.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <zlib.h>

#include "ctx_b64.h"
#include "ctx_codec.h"
#include "ctx_json.h"
#include "ctx_status.h"

#define NONCE_LEN 12
#define TAG_LEN 16
#define KEY_LEN 32             /* AES-256 */
#define SIGNED_PREFIX "s1."
#define ENCRYPTED_PREFIX "e1."
#define SIGNED_DOMAIN "mod_ctx signed 1"
#define ENCRYPTED_DOMAIN "mod_ctx encrypted 1"

static apr_uint32_t reason_counts[CTX_REASON_COUNT];
static apr_uint32_t contexts_made;

static const char *const reason_names[CTX_REASON_COUNT] = {
    "ok", "malformed", "bad_encoding", "bad_signature", "expired", "future",
    "oversized", "bad_compression", "bad_json"
};

const char *ctx_reason_name(ctx_reason_t reason)
{
    return (reason >= 0 && reason < CTX_REASON_COUNT) ? reason_names[reason]
                                                      : "unknown";
}

apr_uint32_t ctx_codec_reason_count(ctx_reason_t reason)
{
    return (reason >= 0 && reason < CTX_REASON_COUNT)
               ? apr_atomic_read32(&reason_counts[reason]) : 0;
}

static ctx_reason_t counted(ctx_reason_t reason)
{
    apr_atomic_inc32(&reason_counts[reason]);
    return reason;
}

apr_uint32_t ctx_codec_contexts_made(void)
{
    return apr_atomic_read32(&contexts_made);
}

/* ---- limits -------------------------------------------------------------- */

static apr_size_t max_json(const ctx_codec_t *codec)
{
    return codec->max_json ? codec->max_json : CTX_CODEC_MAX_JSON;
}

static apr_size_t max_values(const ctx_codec_t *codec)
{
    return codec->max_values ? codec->max_values : CTX_CODEC_MAX_VALUES;
}

void ctx_codec_set_max_size(ctx_codec_t *codec, apr_size_t max_size)
{
    codec->max_json = CTX_CODEC_JSON_PER_BYTE * max_size;
    codec->max_values = max_size / 2;
}

int ctx_codec_json_fits(const ctx_codec_t *codec, apr_size_t jlen,
                        apr_size_t values)
{
    return jlen <= max_json(codec) && values <= max_values(codec);
}

/* ---- pieces ------------------------------------------------------------ */

/* b64url text of the issue time: big-endian, leading zero bytes dropped. */
static apr_size_t encode_ts(char *out, apr_int64_t ts)
{
    unsigned char be[8];
    int i, skip = 0;

    for (i = 7; i >= 0; --i) {
        be[i] = (unsigned char)(ts & 0xff);
        ts >>= 8;
    }
    while (skip < 7 && be[skip] == 0) {
        ++skip;
    }
    return ctx_b64url_encode(out, be + skip, (apr_size_t)(8 - skip));
}

static int decode_ts(const char *s, apr_size_t len, apr_int64_t *ts)
{
    unsigned char buf[12];
    long n;
    apr_uint64_t v = 0;

    if (len == 0 || len > 11 || (n = ctx_b64url_decode(buf, s, len)) < 1
        || n > 8) {
        return 0;
    }
    for (long i = 0; i < n; ++i) {
        v = (v << 8) | buf[i];
    }
    if (v > (apr_uint64_t)APR_INT64_MAX) {
        return 0;
    }
    *ts = (apr_int64_t)v;
    return 1;
}

/* Decode base64url text into a new buffer from `p`. */
static unsigned char *b64_dup(apr_pool_t *p, const char *s, apr_size_t len,
                              apr_size_t *n)
{
    unsigned char *buf = apr_palloc(p, len * 3 / 4 + 3);
    long r = ctx_b64url_decode(buf, s, len);

    if (r < 0) {
        return NULL;
    }
    *n = (apr_size_t)r;
    return buf;
}

/* Per-thread state. Setting up zlib streams (deflate allocates ~256 KiB)
 * and OpenSSL 3 contexts (an algorithm lookup under a global lock, then the
 * key schedule) costs more than the work itself: each thread keeps its zlib
 * streams, keyed MAC and cipher contexts (looked up by the key's bytes, so a
 * new configuration with a new key never meets an old context) and a batch
 * of random nonce bytes. Freed when the thread exits. */
#define KEYED_SLOTS 8
#define NONCE_BATCH 32

typedef struct {
    int used;
    int kind;                   /* 0: HMAC-SHA256, 1: HMAC-SHA1,
                                 * 2: AES-256-GCM encrypt, 3: decrypt */
    unsigned char key[64];
    apr_size_t klen;
    EVP_MAC_CTX *mac;
    EVP_CIPHER_CTX *cipher;
} keyed_t;

typedef struct {
    z_stream def, inf;
    int def_ok, inf_ok;
    keyed_t keyed[KEYED_SLOTS];
    unsigned int next_evict;
    unsigned char nonces[NONCE_LEN * NONCE_BATCH];
    unsigned int nonces_left;   /* emptied in a forked child (fork_child) */
} zstreams_t;

static pthread_key_t zkey;
static pthread_once_t zkey_once = PTHREAD_ONCE_INIT;
static __thread zstreams_t *my_zs;

static void keyed_release(keyed_t *k)
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
        keyed_release(&z->keyed[i]);
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

/* This thread's context of `kind` for `key`, or a free slot (k->used == 0)
 * for the caller to fill; NULL without memory. */
static keyed_t *keyed_find(int kind, const unsigned char *key,
                           apr_size_t klen)
{
    zstreams_t *z = zstreams();
    keyed_t *k;

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
    keyed_release(k);
    return k;
}

static void keyed_fill(keyed_t *k, int kind, const unsigned char *key,
                       apr_size_t klen)
{
    apr_atomic_inc32(&contexts_made);
    k->used = 1;
    k->kind = kind;
    memcpy(k->key, key, klen);
    k->klen = klen;
}

/* NONCE_LEN fresh random bytes, from a per-thread batch. */
static int nonce(unsigned char *out)
{
    zstreams_t *z = zstreams();

    if (!z) {
        return RAND_bytes(out, NONCE_LEN) == 1;
    }
    if (!z->nonces_left) {
        if (RAND_bytes(z->nonces, sizeof(z->nonces)) != 1) {
            return 0;
        }
        z->nonces_left = NONCE_BATCH;
    }
    --z->nonces_left;
    memcpy(out, z->nonces + z->nonces_left * NONCE_LEN, NONCE_LEN);
    /* Never hand out the same bytes twice. */
    OPENSSL_cleanse(z->nonces + z->nonces_left * NONCE_LEN, NONCE_LEN);
    return 1;
}

static EVP_MAC *hmac_alg;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
    hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* A keyed HMAC context for this thread, ready for updates. */
static EVP_MAC_CTX *mac_ctx(const char *digest, const unsigned char *key,
                            apr_size_t klen)
{
    int kind = strcmp(digest, "SHA1") == 0;
    keyed_t *k = keyed_find(kind, key, klen);
    OSSL_PARAM params[2];

    if (!k) {
        return NULL;
    }
    if (k->used) {
        /* Same key: a NULL key keeps it and restarts the computation. */
        return EVP_MAC_init(k->mac, NULL, 0, NULL) ? k->mac : NULL;
    }
    pthread_once(&hmac_once, hmac_fetch);
    if (!hmac_alg || !(k->mac = EVP_MAC_CTX_new(hmac_alg))) {
        return NULL;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(k->mac, key, klen, params)) {
        keyed_release(k);
        return NULL;
    }
    keyed_fill(k, kind, key, klen);
    return k->mac;
}

/* domain NUL, name NUL, then `tail` (tlen bytes) into `out` (PREFIX_MAX
 * bytes): the bytes every MAC or tag binds before the message. 0 when
 * they do not fit (a very long cookie name): the caller feeds the pieces
 * one by one, which gives the same MAC. */
#define PREFIX_MAX 256

static apr_size_t bound_prefix(unsigned char *out, const char *domain,
                               apr_size_t dlen, const char *name,
                               const char *tail, apr_size_t tlen)
{
    apr_size_t nlen = strlen(name) + 1;

    if (dlen + nlen + tlen > PREFIX_MAX) {
        return 0;
    }
    memcpy(out, domain, dlen);
    memcpy(out + dlen, name, nlen);
    if (tlen) {
        memcpy(out + dlen + nlen, tail, tlen);
    }
    return dlen + nlen + tlen;
}

/* HMAC with `digest` ("SHA256", "SHA1") over [domain NUL name NUL] msg. */
static int mac(const char *digest, const unsigned char *key, apr_size_t klen,
               const char *name, const char *msg, apr_size_t mlen,
               unsigned char *out, unsigned int *outlen)
{
    EVP_MAC_CTX *h = mac_ctx(digest, key, klen);
    size_t olen = 0;
    int ok = h != NULL;

    if (ok && name) {
        /* Domain and cookie name, NUL-separated, bound into the MAC (one
         * update for both: each EVP call has a cost of its own). */
        unsigned char prefix[PREFIX_MAX];
        apr_size_t plen = bound_prefix(prefix, SIGNED_DOMAIN,
                                       sizeof(SIGNED_DOMAIN), name, NULL, 0);

        ok = plen ? EVP_MAC_update(h, prefix, plen)
                  : EVP_MAC_update(h, (const unsigned char *)SIGNED_DOMAIN,
                                   sizeof(SIGNED_DOMAIN))
                    && EVP_MAC_update(h, (const unsigned char *)name,
                                      strlen(name) + 1);
    }
    ok = ok && EVP_MAC_update(h, (const unsigned char *)msg, mlen)
         && EVP_MAC_final(h, out, &olen, EVP_MAX_MD_SIZE);
    *outlen = (unsigned int)olen;
    return ok;
}

/* A deflate stream with Python's zlib.compress() parameters, reset. */
static z_stream *deflater(void)
{
    zstreams_t *z = zstreams();

    if (!z) return NULL;
    if (!z->def_ok) {
        z->def_ok = deflateInit(&z->def, Z_DEFAULT_COMPRESSION) == Z_OK;
        return z->def_ok ? &z->def : NULL;
    }
    return deflateReset(&z->def) == Z_OK ? &z->def : NULL;
}

static z_stream *inflater(void)
{
    zstreams_t *z = zstreams();

    if (!z) return NULL;
    if (!z->inf_ok) {
        z->inf_ok = inflateInit(&z->inf) == Z_OK;
        return z->inf_ok ? &z->inf : NULL;
    }
    return inflateReset(&z->inf) == Z_OK ? &z->inf : NULL;
}

/* Inflate at most `limit` bytes: the buffer grows to limit + 1 at most, so
 * a bomb costs what the largest accepted session costs. */
static ctx_reason_t inflate_payload(apr_pool_t *p, const unsigned char *in,
                                    apr_size_t n, apr_size_t limit,
                                    char **out, apr_size_t *olen)
{
    z_stream *zsp = inflater();
    apr_size_t cap = limit < 4096 ? limit + 1 : 4096;
    char *buf = apr_palloc(p, cap);
    int zr;
#define zs (*zsp)

    if (!zsp) {
        return CTX_REASON_BAD_COMPRESSION;
    }
    zs.next_in = (unsigned char *)in;
    zs.avail_in = (uInt)n;
    for (;;) {
        zs.next_out = (unsigned char *)buf + zs.total_out;
        zs.avail_out = (uInt)(cap - zs.total_out);
        zr = inflate(&zs, Z_NO_FLUSH);
        if (zr == Z_STREAM_END) {
            break;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            return CTX_REASON_BAD_COMPRESSION;
        }
        if (zs.avail_out == 0) {
            char *nb;

            if (cap > limit) {
                return CTX_REASON_OVERSIZED;
            }
            nb = apr_palloc(p, cap * 2 > limit ? limit + 1 : cap * 2);
            memcpy(nb, buf, zs.total_out);
            buf = nb;
            cap = cap * 2 > limit ? limit + 1 : cap * 2;
        }
        else if (zs.avail_in == 0) {
            return CTX_REASON_BAD_COMPRESSION;  /* truncated stream */
        }
    }
    if (zs.avail_in != 0) {
        return CTX_REASON_BAD_COMPRESSION;      /* garbage after the end */
    }
    if (zs.total_out > limit) {
        return CTX_REASON_OVERSIZED;
    }
    *out = buf;
    *olen = zs.total_out;
    return CTX_REASON_OK;
#undef zs
}

/* PAYLOAD of signed/flask: plain or "."-prefixed zlib. */
static ctx_reason_t decode_payload(apr_pool_t *p, const char *s,
                                   apr_size_t len, apr_size_t limit,
                                   char **json, apr_size_t *jlen)
{
    int compressed = len > 0 && s[0] == '.';
    unsigned char *raw;
    apr_size_t n;

    if (compressed) {
        ++s;
        --len;
    }
    if (!(raw = b64_dup(p, s, len, &n))) {
        return CTX_REASON_BAD_ENCODING;
    }
    if (compressed) {
        return inflate_payload(p, raw, n, limit, json, jlen);
    }
    if (n > limit) {
        return CTX_REASON_OVERSIZED;
    }
    *json = (char *)raw;
    *jlen = n;
    return CTX_REASON_OK;
}

/* Below this size `signed` does not try to compress (it rarely pays).
 * `flask` always tries, to write exactly what Flask writes. */
#define SIGNED_COMPRESS_MIN 200

/* The bytes PAYLOAD encodes: `json` itself, or its zlib form (*compressed
 * set) when that saves more than one byte, as Flask decides. NULL if zlib
 * fails. */
static const unsigned char *payload_bytes(apr_pool_t *p, const char *json,
                                          apr_size_t jlen, int always_try,
                                          apr_size_t *n, int *compressed)
{
    z_stream *zs;
    apr_size_t cap;
    unsigned char *c;

    *compressed = 0;
    *n = jlen;
    if (!always_try && jlen < SIGNED_COMPRESS_MIN) {
        return (const unsigned char *)json;
    }
    if (!(zs = deflater())) {
        return NULL;
    }
    cap = deflateBound(zs, (uLong)jlen);
    c = apr_palloc(p, cap);
    zs->next_in = (Bytef *)json;
    zs->avail_in = (uInt)jlen;
    zs->next_out = c;
    zs->avail_out = (uInt)cap;
    if (deflate(zs, Z_FINISH) != Z_STREAM_END) {
        return NULL;
    }
    if (zs->total_out + 1 < jlen) {
        *compressed = 1;
        *n = zs->total_out;
        return c;
    }
    return (const unsigned char *)json;
}

static ctx_reason_t check_age(const ctx_codec_t *codec, apr_int64_t ts,
                              apr_int64_t now)
{
    if (ts > now + codec->max_skew) {
        return CTX_REASON_FUTURE;
    }
    if (now - ts > codec->max_age) {
        return CTX_REASON_EXPIRED;
    }
    return CTX_REASON_OK;
}

/* At most max_values values are made: the reader stops at the next. */
static ctx_reason_t parse_json(const ctx_codec_t *codec, const char *json,
                               apr_size_t jlen, json_t **data)
{
    apr_size_t values;
    json_t *v = ctx_json_parse_bounded(json, jlen, max_values(codec),
                                       &values);

    if (values > max_values(codec)) {
        return CTX_REASON_OVERSIZED;    /* v is NULL */
    }
    if (!v || !json_is_object(v)) {
        json_decref(v);
        return CTX_REASON_BAD_JSON;
    }
    *data = v;
    return CTX_REASON_OK;
}

/* ---- signed and flask: PAYLOAD "." TS "." MAC, split from the right ----- */

static ctx_reason_t decode_hmac_format(const ctx_codec_t *codec,
                                       apr_pool_t *p, const char *value,
                                       apr_size_t len, apr_int64_t now,
                                       json_t **data, apr_int64_t *issued,
                                       int *key_index)
{
    int flask = codec->format == CTX_FORMAT_FLASK;
    const char *body = value, *dot_sig = NULL, *dot_ts = NULL;
    apr_size_t blen = len, i, mlen;
    unsigned char want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
    unsigned int wlen = 0;
    apr_size_t glen;
    long gl;
    int k, matched = -1;
    apr_int64_t ts;
    char *json;
    apr_size_t jlen;
    ctx_reason_t reason;

    if (!flask) {
        if (len < 3 || memcmp(value, SIGNED_PREFIX, 3)) {
            return CTX_REASON_MALFORMED;
        }
    }
    for (i = len; i > 0; --i) {
        if (value[i - 1] == '.') {
            if (!dot_sig) {
                dot_sig = value + i - 1;
            }
            else {
                dot_ts = value + i - 1;
                break;
            }
        }
    }
    /* signed: the timestamp's dot comes after "s1." (in a payload-less
     * "s1.TS.MAC" it would be the prefix's dot). */
    if (!dot_sig || !dot_ts || (!flask && dot_ts < value + 3)) {
        return CTX_REASON_MALFORMED;
    }
    mlen = (apr_size_t)(dot_sig - value);   /* signed text: up to TS */
    glen = len - mlen - 1;
    if (glen == 0 || glen > (EVP_MAX_MD_SIZE * 4 + 2) / 3) {
        return CTX_REASON_MALFORMED;
    }
    if ((gl = ctx_b64url_decode(got, dot_sig + 1, glen)) < 0) {
        return CTX_REASON_BAD_ENCODING;
    }
    for (k = 0; k < ctx_keyring_count(codec->keys); ++k) {
        apr_size_t klen;
        const unsigned char *key = ctx_keyring_key(
            codec->keys, k, flask ? CTX_KEY_FLASK : CTX_KEY_SIGN, &klen);

        if (!mac(flask ? "SHA1" : "SHA256", key, klen,
                 flask ? NULL : codec->cookie_name, value, mlen, want,
                 &wlen)) {
            return CTX_REASON_BAD_SIGNATURE;
        }
        if ((apr_size_t)gl == wlen && CRYPTO_memcmp(want, got, wlen) == 0) {
            matched = k;
            break;
        }
    }
    if (matched < 0) {
        return CTX_REASON_BAD_SIGNATURE;
    }
    if (!decode_ts(dot_ts + 1, (apr_size_t)(dot_sig - dot_ts - 1), &ts)) {
        return CTX_REASON_BAD_ENCODING;
    }
    if ((reason = check_age(codec, ts, now)) != CTX_REASON_OK) {
        return reason;
    }
    if (!flask) {
        body += 3;
    }
    blen = (apr_size_t)(dot_ts - body);
    if ((reason = decode_payload(p, body, blen, max_json(codec), &json,
                                 &jlen)) != CTX_REASON_OK) {
        return reason;
    }
    if ((reason = parse_json(codec, json, jlen, data)) != CTX_REASON_OK) {
        return reason;
    }
    *issued = ts;
    *key_index = matched;
    return CTX_REASON_OK;
}

static apr_status_t encode_hmac_format(const ctx_codec_t *codec,
                                       apr_pool_t *p, const char *json,
                                       apr_size_t jlen, apr_int64_t now,
                                       const char **value, apr_size_t *vlen)
{
    int flask = codec->format == CTX_FORMAT_FLASK, compressed;
    unsigned char m[EVP_MAX_MD_SIZE];
    unsigned int mlen = 0;
    apr_size_t klen, n, len = 0;
    const unsigned char *raw, *key = ctx_keyring_key(
        codec->keys, 0, flask ? CTX_KEY_FLASK : CTX_KEY_SIGN, &klen);
    char *out;

    if (!key) {
        return APR_EINVAL;
    }
    if (!(raw = payload_bytes(p, json, jlen, flask, &n, &compressed))) {
        return APR_EGENERAL;
    }
    /* [s1.][.]PAYLOAD.TS.MAC written in place, in one allocation */
    out = apr_palloc(p, 3 + 1 + ctx_b64url_len(n) + 1 + 12 + 1
                        + ctx_b64url_len(EVP_MAX_MD_SIZE) + 1);
    if (!flask) {
        memcpy(out, SIGNED_PREFIX, 3);
        len = 3;
    }
    if (compressed) {
        out[len++] = '.';
    }
    len += ctx_b64url_encode(out + len, raw, n);
    out[len++] = '.';
    len += encode_ts(out + len, now);
    if (!mac(flask ? "SHA1" : "SHA256", key, klen,
             flask ? NULL : codec->cookie_name, out, len, m, &mlen)) {
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

/* ---- encrypted: "e1." TS "." b64url(nonce ct tag) ----------------------- */

static int aead(int enc, const unsigned char *key, const unsigned char *nonce,
                const char *name, const char *ts, apr_size_t tslen,
                const unsigned char *in, apr_size_t n, unsigned char *out,
                unsigned char *tag)
{
    int kind = enc ? 2 : 3;
    keyed_t *k = keyed_find(kind, key, KEY_LEN);
    EVP_CIPHER_CTX *c;
    unsigned char ad[PREFIX_MAX];
    apr_size_t alen;
    int len = 0, ok;

    if (!k) {
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
            keyed_release(k);
            return 0;
        }
        keyed_fill(k, kind, key, KEY_LEN);
    }
    c = k->cipher;
    /* The associated data in one update when it fits the stack buffer. */
    alen = bound_prefix(ad, ENCRYPTED_DOMAIN, sizeof(ENCRYPTED_DOMAIN), name,
                        ts, tslen);
    ok = EVP_CipherInit_ex(c, NULL, NULL, NULL, nonce, enc)
         && (alen ? EVP_CipherUpdate(c, NULL, &len, ad, (int)alen)
                  : EVP_CipherUpdate(c, NULL, &len,
                                     (const unsigned char *)ENCRYPTED_DOMAIN,
                                     sizeof(ENCRYPTED_DOMAIN))
                    && EVP_CipherUpdate(c, NULL, &len,
                                        (const unsigned char *)name,
                                        (int)strlen(name) + 1)
                    && EVP_CipherUpdate(c, NULL, &len,
                                        (const unsigned char *)ts,
                                        (int)tslen))
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
        keyed_release(k);       /* start from a clean context next time */
    }
    return ok;
}

static ctx_reason_t decode_encrypted(const ctx_codec_t *codec, apr_pool_t *p,
                                     const char *value, apr_size_t len,
                                     apr_int64_t now, json_t **data,
                                     apr_int64_t *issued, int *key_index)
{
    const char *ts_s, *dot, *blob_s;
    unsigned char *blob, *plain;
    apr_size_t n, tslen;
    apr_int64_t ts;
    int k;
    ctx_reason_t reason;

    if (len < 3 || memcmp(value, ENCRYPTED_PREFIX, 3)) {
        return CTX_REASON_MALFORMED;
    }
    ts_s = value + 3;
    if (!(dot = memchr(ts_s, '.', len - 3))) {
        return CTX_REASON_MALFORMED;
    }
    tslen = (apr_size_t)(dot - ts_s);
    blob_s = dot + 1;
    if (memchr(blob_s, '.', len - (apr_size_t)(blob_s - value))) {
        return CTX_REASON_MALFORMED;
    }
    if (!(blob = b64_dup(p, blob_s, len - (apr_size_t)(blob_s - value), &n))) {
        return CTX_REASON_BAD_ENCODING;
    }
    if (n < NONCE_LEN + TAG_LEN) {
        return CTX_REASON_MALFORMED;
    }
    if (n - NONCE_LEN - TAG_LEN > max_json(codec)) {
        return CTX_REASON_OVERSIZED;
    }
    plain = apr_palloc(p, n + 1);
    for (k = 0; k < ctx_keyring_count(codec->keys); ++k) {
        const unsigned char *key = ctx_keyring_key(codec->keys, k,
                                                   CTX_KEY_ENCRYPT, NULL);

        if (aead(0, key, blob, codec->cookie_name, ts_s, tslen,
                 blob + NONCE_LEN, n - NONCE_LEN - TAG_LEN, plain,
                 blob + n - TAG_LEN)) {
            break;
        }
    }
    if (k == ctx_keyring_count(codec->keys)) {
        return CTX_REASON_BAD_SIGNATURE;
    }
    if (!decode_ts(ts_s, tslen, &ts)) {
        return CTX_REASON_BAD_ENCODING;
    }
    if ((reason = check_age(codec, ts, now)) != CTX_REASON_OK) {
        return reason;
    }
    if ((reason = parse_json(codec, (char *)plain, n - NONCE_LEN - TAG_LEN,
                             data))
        != CTX_REASON_OK) {
        return reason;
    }
    *issued = ts;
    *key_index = k;
    return CTX_REASON_OK;
}

static apr_status_t encode_encrypted(const ctx_codec_t *codec, apr_pool_t *p,
                                     const char *json, apr_size_t jlen,
                                     apr_int64_t now, const char **value,
                                     apr_size_t *vlen)
{
    char ts[16];
    apr_size_t tslen = encode_ts(ts, now);
    apr_size_t n = NONCE_LEN + jlen + TAG_LEN;
    unsigned char *blob = apr_palloc(p, n);
    const unsigned char *key = ctx_keyring_key(codec->keys, 0,
                                               CTX_KEY_ENCRYPT, NULL);
    char *out;
    apr_size_t len;

    if (!key) {
        return APR_EINVAL;
    }
    if (!nonce(blob)
        || !aead(1, key, blob, codec->cookie_name, ts, tslen,
                 (const unsigned char *)json, jlen, blob + NONCE_LEN,
                 blob + NONCE_LEN + jlen)) {
        return APR_EGENERAL;
    }
    out = apr_palloc(p, 3 + tslen + 1 + ctx_b64url_len(n) + 1);
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

/* ---- entry points --------------------------------------------------------- */

ctx_reason_t ctx_codec_decode(const ctx_codec_t *codec, apr_pool_t *p,
                              const char *value, apr_size_t len,
                              apr_int64_t now, json_t **data,
                              apr_int64_t *issued, int *key_index)
{
    json_t *d = NULL;
    apr_int64_t ts = 0;
    int k = 0;
    ctx_reason_t reason;

    if (!codec || !value || !data || ctx_keyring_count(codec->keys) == 0
        || (!codec->cookie_name && codec->format != CTX_FORMAT_FLASK)) {
        return counted(CTX_REASON_MALFORMED);   /* the name is in the MAC */
    }
    if (len > CTX_CODEC_MAX_VALUE) {
        return counted(CTX_REASON_OVERSIZED);
    }
    if (codec->format == CTX_FORMAT_ENCRYPTED) {
        reason = decode_encrypted(codec, p, value, len, now, &d, &ts, &k);
    }
    else {
        reason = decode_hmac_format(codec, p, value, len, now, &d, &ts, &k);
    }
    if (reason == CTX_REASON_OK) {
        *data = d;
        if (issued) *issued = ts;
        if (key_index) *key_index = k;
    }
    return counted(reason);
}

apr_status_t ctx_codec_encode_json(const ctx_codec_t *codec, apr_pool_t *p,
                                   const char *json, apr_size_t jlen,
                                   apr_int64_t now, const char **value,
                                   apr_size_t *vlen)
{
    if (!codec || !json || !value || ctx_keyring_count(codec->keys) == 0
        || !codec->cookie_name) {
        return APR_EINVAL;
    }
    if (jlen > max_json(codec)) {
        return CTX_ETOOLARGE;   /* decode would refuse it */
    }
    if (codec->format == CTX_FORMAT_ENCRYPTED) {
        return encode_encrypted(codec, p, json, jlen, now, value, vlen);
    }
    return encode_hmac_format(codec, p, json, jlen, now, value, vlen);
}

apr_status_t ctx_codec_encode(const ctx_codec_t *codec, apr_pool_t *p,
                              const json_t *data, apr_int64_t now,
                              const char **value, apr_size_t *vlen)
{
    apr_size_t jlen;
    char *json;

    if (!data || !json_is_object(data)) {
        return APR_EINVAL;
    }
    if (!(json = ctx_json_dump(p, data, &jlen))) {
        return APR_EINVAL;
    }
    return ctx_codec_encode_json(codec, p, json, jlen, now, value, vlen);
}

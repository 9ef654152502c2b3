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
#define SIGNED_PREFIX "s2."
#define ENCRYPTED_PREFIX "e2."
#define SIGNED_DOMAIN "mod_ctx signed 2"
#define ENCRYPTED_DOMAIN "mod_ctx encrypted 2"
/* Version 1: read only (codec->legacy), never written. */
#define SIGNED_PREFIX_1 "s1."
#define ENCRYPTED_PREFIX_1 "e1."
#define SIGNED_DOMAIN_1 "mod_ctx signed 1"
#define ENCRYPTED_DOMAIN_1 "mod_ctx encrypted 1"
/* The flask format's creation time, inside the session's JSON. */
#define FLASK_CREATED_KEY "_ctx_created"

static apr_uint32_t reason_counts[CTX_REASON_COUNT];
static apr_uint32_t contexts_made;

static const char *const reason_names[CTX_REASON_COUNT] = {
    "ok", "malformed", "bad_encoding", "bad_signature", "expired", "future",
    "oversized", "bad_compression", "bad_json", "legacy", "lifetime"
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

/* What a version binds before its message: the domain string and its
 * NUL, then (version 2) the app's name and NUL, then the cookie name and
 * NUL. */
typedef struct {
    const char *domain;         /* NUL-terminated; the NUL is bound too */
    const char *app;            /* NULL in version 1 */
    const char *name;
} binding_t;

/* The binding's bytes, then `tail` (tlen bytes), into `out` (PREFIX_MAX
 * bytes): the bytes every MAC or tag binds before the message. 0 when
 * they do not fit (very long names): the caller then feeds the pieces one
 * by one (bind_pieces), which gives the same MAC. */
#define PREFIX_MAX 256

static apr_size_t bound_prefix(unsigned char *out, const binding_t *b,
                               const char *tail, apr_size_t tlen)
{
    apr_size_t dlen = strlen(b->domain) + 1, nlen = strlen(b->name) + 1;
    apr_size_t alen = b->app ? strlen(b->app) + 1 : 0, len = 0;

    if (dlen + alen + nlen + tlen > PREFIX_MAX) {
        return 0;
    }
    memcpy(out, b->domain, dlen);
    len = dlen;
    if (alen) {
        memcpy(out + len, b->app, alen);
        len += alen;
    }
    memcpy(out + len, b->name, nlen);
    len += nlen;
    if (tlen) {
        memcpy(out + len, tail, tlen);
    }
    return len + tlen;
}

typedef int update_fn(void *ctx, const unsigned char *in, apr_size_t n);

/* The binding's bytes as separate updates: the same bytes as bound_prefix. */
static int bind_pieces(update_fn *update, void *ctx, const binding_t *b)
{
    return update(ctx, (const unsigned char *)b->domain,
                  strlen(b->domain) + 1)
           && (!b->app || update(ctx, (const unsigned char *)b->app,
                                 strlen(b->app) + 1))
           && update(ctx, (const unsigned char *)b->name,
                     strlen(b->name) + 1);
}

static int mac_update(void *ctx, const unsigned char *in, apr_size_t n)
{
    return EVP_MAC_update(ctx, in, n);
}

/* HMAC with `digest` ("SHA256", "SHA1") over [binding] msg; `b` NULL binds
 * nothing (flask). */
static int mac(const char *digest, const unsigned char *key, apr_size_t klen,
               const binding_t *b, const char *msg, apr_size_t mlen,
               unsigned char *out, unsigned int *outlen)
{
    EVP_MAC_CTX *h = mac_ctx(digest, key, klen);
    size_t olen = 0;
    int ok = h != NULL;

    if (ok && b) {
        /* One update for the whole binding when it fits: each EVP call
         * has a cost of its own. */
        unsigned char prefix[PREFIX_MAX];
        apr_size_t plen = bound_prefix(prefix, b, NULL, 0);

        ok = plen ? EVP_MAC_update(h, prefix, plen)
                  : bind_pieces(mac_update, h, b);
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

/* However often it was refreshed, a session ends max_lifetime after it was
 * created. */
static ctx_reason_t check_lifetime(const ctx_codec_t *codec,
                                   apr_int64_t created, apr_int64_t now)
{
    if (codec->max_lifetime > 0 && now - created > codec->max_lifetime) {
        return CTX_REASON_LIFETIME;
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

/* The flask format's creation time: "_ctx_created" when it is an integer
 * from 1 to the issue time, else the issue time (a session Flask made). */
static apr_int64_t flask_created(const json_t *data, apr_int64_t issued)
{
    json_t *v = json_object_get(data, FLASK_CREATED_KEY);
    json_int_t t = json_is_integer(v) ? json_integer_value(v) : 0;

    return (t > 0 && t <= issued) ? (apr_int64_t)t : issued;
}

/* `json` (*jlen bytes) with "_ctx_created" set to `created`, in `p`, *jlen
 * updated: APR_SUCCESS, APR_EINVAL if it is not a JSON object, or
 * CTX_ETOOLARGE if the key takes it past the bounds decoding applies (so
 * that what is issued is accepted). */
static apr_status_t flask_with_created(const ctx_codec_t *codec,
                                       apr_pool_t *p, const char **json,
                                       apr_size_t *jlen, apr_int64_t created)
{
    json_t *o = ctx_json_parse(*json, *jlen);
    char *out = NULL;
    apr_size_t values = 0;
    apr_status_t rv = APR_EINVAL;

    if (o && json_is_object(o)
        && json_object_set_new(o, FLASK_CREATED_KEY,
                               json_integer((json_int_t)created)) == 0
        && ctx_json_write(p, o, &out, jlen, &values) == APR_SUCCESS) {
        rv = ctx_codec_json_fits(codec, *jlen, values) ? APR_SUCCESS
                                                        : CTX_ETOOLARGE;
        *json = out;
    }
    json_decref(o);
    return rv;
}

/* Version of a signed or encrypted value from its prefix: 2, 1 or 0. */
static int version_of(const char *value, apr_size_t len, const char *v2,
                      const char *v1)
{
    if (len >= 3 && !memcmp(value, v2, 3)) {
        return 2;
    }
    return (len >= 3 && !memcmp(value, v1, 3)) ? 1 : 0;
}

/* ---- signed and flask: PAYLOAD "." TS ["." CT] "." MAC, from the right -- */

static ctx_reason_t decode_hmac_format(const ctx_codec_t *codec,
                                       apr_pool_t *p, const char *value,
                                       apr_size_t len, apr_int64_t now,
                                       json_t **data, ctx_codec_meta_t *meta)
{
    int flask = codec->format == CTX_FORMAT_FLASK, version = 0;
    int fields = 2, found = 0;  /* dots right of the payload */
    const char *dots[3], *body = value, *dot_sig, *dot_ts, *dot_ct = NULL;
    apr_size_t blen, i, mlen;
    unsigned char want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
    unsigned int wlen = 0;
    apr_size_t glen;
    long gl;
    int k, matched = -1;
    apr_int64_t ts, ct;
    char *json;
    apr_size_t jlen;
    json_t *d;
    binding_t b;
    ctx_reason_t reason;

    if (!flask) {
        version = version_of(value, len, SIGNED_PREFIX, SIGNED_PREFIX_1);
        if (!version) {
            return CTX_REASON_MALFORMED;
        }
        if (version == 1 && !codec->legacy) {
            return CTX_REASON_LEGACY;
        }
        fields = version == 2 ? 3 : 2;
        b.domain = version == 2 ? SIGNED_DOMAIN : SIGNED_DOMAIN_1;
        b.app = version == 2 ? codec->app_name : NULL;
        b.name = codec->cookie_name;
    }
    for (i = len; i > 0 && found < fields; --i) {
        if (value[i - 1] == '.') {
            dots[found++] = value + i - 1;
        }
    }
    /* signed: the timestamp's dot comes after the prefix (in a payload-less
     * "s2.TS.CT.MAC" it would be the prefix's dot). */
    if (found < fields || (!flask && dots[fields - 1] < value + 3)) {
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
    if ((gl = ctx_b64url_decode(got, dot_sig + 1, glen)) < 0) {
        return CTX_REASON_BAD_ENCODING;
    }
    for (k = 0; k < ctx_keyring_count(codec->keys); ++k) {
        apr_size_t klen;
        const unsigned char *key = ctx_keyring_key(
            codec->keys, k, flask ? CTX_KEY_FLASK : CTX_KEY_SIGN, &klen);

        if (!mac(flask ? "SHA1" : "SHA256", key, klen, flask ? NULL : &b,
                 value, mlen, want, &wlen)) {
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
    if (!decode_ts(dot_ts + 1,
                   (apr_size_t)((dot_ct ? dot_ct : dot_sig) - dot_ts - 1),
                   &ts)
        || (dot_ct && !decode_ts(dot_ct + 1,
                                 (apr_size_t)(dot_sig - dot_ct - 1), &ct))) {
        return CTX_REASON_BAD_ENCODING;
    }
    if (!dot_ct) {
        ct = ts;
    }
    else if (ct > ts) {
        return CTX_REASON_MALFORMED;        /* never written */
    }
    if ((reason = check_age(codec, ts, now)) != CTX_REASON_OK
        || (reason = check_lifetime(codec, ct, now)) != CTX_REASON_OK) {
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
    if ((reason = parse_json(codec, json, jlen, &d)) != CTX_REASON_OK) {
        return reason;
    }
    if (flask && (ct = flask_created(d, ts)) != ts
        && (reason = check_lifetime(codec, ct, now)) != CTX_REASON_OK) {
        json_decref(d);
        return reason;
    }
    *data = d;
    meta->issued = ts;
    meta->created = ct;
    meta->key_index = matched;
    meta->legacy = version == 1;
    return CTX_REASON_OK;
}

static apr_status_t encode_hmac_format(const ctx_codec_t *codec,
                                       apr_pool_t *p, const char *json,
                                       apr_size_t jlen, apr_int64_t issued,
                                       apr_int64_t created,
                                       const char **value, apr_size_t *vlen)
{
    int flask = codec->format == CTX_FORMAT_FLASK, compressed;
    unsigned char m[EVP_MAX_MD_SIZE];
    unsigned int mlen = 0;
    apr_size_t klen, n, len = 0;
    const unsigned char *raw, *key = ctx_keyring_key(
        codec->keys, 0, flask ? CTX_KEY_FLASK : CTX_KEY_SIGN, &klen);
    const binding_t b = { SIGNED_DOMAIN, codec->app_name, codec->cookie_name };
    char *out;
    apr_status_t rv;

    if (!key) {
        return APR_EINVAL;
    }
    /* flask: no room for a creation time but the session itself. */
    if (flask && codec->max_lifetime > 0
        && (rv = flask_with_created(codec, p, &json, &jlen, created))
           != APR_SUCCESS) {
        return rv;
    }
    if (!(raw = payload_bytes(p, json, jlen, flask, &n, &compressed))) {
        return APR_EGENERAL;
    }
    /* [s2.][.]PAYLOAD.TS[.CT].MAC written in place, in one allocation */
    out = apr_palloc(p, 3 + 1 + ctx_b64url_len(n) + 1 + 12 + 1 + 12 + 1
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
    len += encode_ts(out + len, issued);
    if (!flask) {
        out[len++] = '.';
        len += encode_ts(out + len, created);
    }
    if (!mac(flask ? "SHA1" : "SHA256", key, klen, flask ? NULL : &b, out,
             len, m, &mlen)) {
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

/* ---- encrypted: "e2." TS "." CT "." b64url(nonce ct tag) ---------------- */

static int aead_update(void *ctx, const unsigned char *in, apr_size_t n)
{
    int len = 0;

    return EVP_CipherUpdate(ctx, NULL, &len, in, (int)n);
}

/* AES-256-GCM; the associated data is the binding, then `ts` (the
 * cookie's times as written: "TS" or "TS.CT"). */
static int aead(int enc, const unsigned char *key, const unsigned char *nonce,
                const binding_t *b, const char *ts, apr_size_t tslen,
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
    alen = bound_prefix(ad, b, ts, tslen);
    ok = EVP_CipherInit_ex(c, NULL, NULL, NULL, nonce, enc)
         && (alen ? aead_update(c, ad, alen)
                  : bind_pieces(aead_update, c, b)
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
        keyed_release(k);       /* start from a clean context next time */
    }
    return ok;
}

static ctx_reason_t decode_encrypted(const ctx_codec_t *codec, apr_pool_t *p,
                                     const char *value, apr_size_t len,
                                     apr_int64_t now, json_t **data,
                                     ctx_codec_meta_t *meta)
{
    const char *ts_s, *dot, *dot_ct = NULL, *blob_s;
    unsigned char *blob, *plain;
    apr_size_t n, tslen;
    apr_int64_t ts, ct;
    int k, version = version_of(value, len, ENCRYPTED_PREFIX,
                                ENCRYPTED_PREFIX_1);
    binding_t b;
    ctx_reason_t reason;

    if (!version) {
        return CTX_REASON_MALFORMED;
    }
    if (version == 1 && !codec->legacy) {
        return CTX_REASON_LEGACY;
    }
    b.domain = version == 2 ? ENCRYPTED_DOMAIN : ENCRYPTED_DOMAIN_1;
    b.app = version == 2 ? codec->app_name : NULL;
    b.name = codec->cookie_name;
    ts_s = value + 3;
    if (!(dot = memchr(ts_s, '.', len - 3))) {
        return CTX_REASON_MALFORMED;
    }
    if (version == 2) {
        dot_ct = dot;
        if (!(dot = memchr(dot_ct + 1, '.',
                           len - (apr_size_t)(dot_ct + 1 - value)))) {
            return CTX_REASON_MALFORMED;
        }
    }
    tslen = (apr_size_t)(dot - ts_s);       /* "TS" or "TS.CT", as bound */
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

        if (aead(0, key, blob, &b, ts_s, tslen, blob + NONCE_LEN,
                 n - NONCE_LEN - TAG_LEN, plain, blob + n - TAG_LEN)) {
            break;
        }
    }
    if (k == ctx_keyring_count(codec->keys)) {
        return CTX_REASON_BAD_SIGNATURE;
    }
    if (!decode_ts(ts_s, (apr_size_t)((dot_ct ? dot_ct : dot) - ts_s), &ts)
        || (dot_ct && !decode_ts(dot_ct + 1,
                                 (apr_size_t)(dot - dot_ct - 1), &ct))) {
        return CTX_REASON_BAD_ENCODING;
    }
    if (!dot_ct) {
        ct = ts;
    }
    else if (ct > ts) {
        return CTX_REASON_MALFORMED;        /* never written */
    }
    if ((reason = check_age(codec, ts, now)) != CTX_REASON_OK
        || (reason = check_lifetime(codec, ct, now)) != CTX_REASON_OK) {
        return reason;
    }
    if ((reason = parse_json(codec, (char *)plain, n - NONCE_LEN - TAG_LEN,
                             data))
        != CTX_REASON_OK) {
        return reason;
    }
    meta->issued = ts;
    meta->created = ct;
    meta->key_index = k;
    meta->legacy = version == 1;
    return CTX_REASON_OK;
}

static apr_status_t encode_encrypted(const ctx_codec_t *codec, apr_pool_t *p,
                                     const char *json, apr_size_t jlen,
                                     apr_int64_t issued, apr_int64_t created,
                                     const char **value, apr_size_t *vlen)
{
    char ts[32];
    apr_size_t tslen = encode_ts(ts, issued);
    apr_size_t n = NONCE_LEN + jlen + TAG_LEN;
    unsigned char *blob = apr_palloc(p, n);
    const unsigned char *key = ctx_keyring_key(codec->keys, 0,
                                               CTX_KEY_ENCRYPT, NULL);
    const binding_t b = { ENCRYPTED_DOMAIN, codec->app_name,
                          codec->cookie_name };
    char *out;
    apr_size_t len;

    if (!key) {
        return APR_EINVAL;
    }
    ts[tslen++] = '.';
    tslen += encode_ts(ts + tslen, created);
    if (!nonce(blob)
        || !aead(1, key, blob, &b, ts, tslen, (const unsigned char *)json,
                 jlen, blob + NONCE_LEN, blob + NONCE_LEN + jlen)) {
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

/* Signed and encrypted bind the cookie's and the app's names. */
static int names_ok(const ctx_codec_t *codec)
{
    return codec->format == CTX_FORMAT_FLASK
           || (codec->cookie_name && codec->app_name);
}

ctx_reason_t ctx_codec_decode(const ctx_codec_t *codec, apr_pool_t *p,
                              const char *value, apr_size_t len,
                              apr_int64_t now, json_t **data,
                              ctx_codec_meta_t *meta)
{
    json_t *d = NULL;
    ctx_codec_meta_t m;
    ctx_reason_t reason;

    if (!codec || !value || !data || ctx_keyring_count(codec->keys) == 0
        || !names_ok(codec)) {
        return counted(CTX_REASON_MALFORMED);   /* the names are bound */
    }
    if (len > (codec->max_value ? codec->max_value : CTX_CODEC_MAX_VALUE)) {
        return counted(CTX_REASON_OVERSIZED);
    }
    memset(&m, 0, sizeof(m));
    if (codec->format == CTX_FORMAT_ENCRYPTED) {
        reason = decode_encrypted(codec, p, value, len, now, &d, &m);
    }
    else {
        reason = decode_hmac_format(codec, p, value, len, now, &d, &m);
    }
    if (reason == CTX_REASON_OK) {
        *data = d;
        if (meta) *meta = m;
    }
    return counted(reason);
}

apr_status_t ctx_codec_encode_json(const ctx_codec_t *codec, apr_pool_t *p,
                                   const char *json, apr_size_t jlen,
                                   apr_int64_t issued, apr_int64_t created,
                                   const char **value, apr_size_t *vlen)
{
    if (!codec || !json || !value || ctx_keyring_count(codec->keys) == 0
        || !codec->cookie_name || !names_ok(codec) || issued < 0
        || created > issued) {
        return APR_EINVAL;
    }
    if (jlen > max_json(codec)) {
        return CTX_ETOOLARGE;   /* decode would refuse it */
    }
    if (created <= 0) {
        created = issued;       /* a new session */
    }
    if (codec->format == CTX_FORMAT_ENCRYPTED) {
        return encode_encrypted(codec, p, json, jlen, issued, created, value,
                                vlen);
    }
    return encode_hmac_format(codec, p, json, jlen, issued, created, value,
                              vlen);
}

apr_status_t ctx_codec_encode(const ctx_codec_t *codec, apr_pool_t *p,
                              const json_t *data, apr_int64_t issued,
                              apr_int64_t created, const char **value,
                              apr_size_t *vlen)
{
    apr_size_t jlen;
    char *json;

    if (!data || !json_is_object(data)) {
        return APR_EINVAL;
    }
    if (!(json = ctx_json_dump(p, data, &jlen))) {
        return APR_EINVAL;
    }
    return ctx_codec_encode_json(codec, p, json, jlen, issued, created, value,
                                 vlen);
}

/* What the files of the codec share (not installed; ctx_codec.h is the
 * interface):
 *   ctx_codec.c            entry points, reasons, limits, and the pieces
 *                          every format uses (times, bindings, JSON)
 *   ctx_codec_thread.c     per-thread zlib streams, OpenSSL contexts, nonces
 *   ctx_codec_payload.c    PAYLOAD: base64url, zlib with bounded inflate
 *   ctx_codec_hmac.c       HMAC and the PAYLOAD.TS[.CT].MAC layout
 *   ctx_codec_signed.c     s2 (and s1, read only)
 *   ctx_codec_flask.c      Flask / itsdangerous
 *   ctx_codec_encrypted.c  e2 (and e1, read only): AES-256-GCM */
#ifndef CTX_CODEC_PRIVATE_H
#define CTX_CODEC_PRIVATE_H

#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "ctx_b64.h"
#include "ctx_codec.h"
#include "ctx_flat.h"

#define CTX_CODEC_NONCE_LEN 12

/* Nothing here leaves mod_ctx.so: hidden, so the calls between the
 * codec's files (several per MAC) are direct, not through the PLT. */
#pragma GCC visibility push(hidden)

/* ---- ctx_codec.c: pieces every format uses ------------------------------ */

/* codec->max_json, or its default; codec->max_values, or its default
 * (inline: each decode asks). */
static inline apr_size_t ctx_codec_max_json(const ctx_codec_t *codec)
{
    return codec->max_json ? codec->max_json : CTX_CODEC_MAX_JSON;
}

static inline apr_size_t ctx_codec_max_values(const ctx_codec_t *codec)
{
    return codec->max_values ? codec->max_values : CTX_CODEC_MAX_VALUES;
}

/* A thread writes the same two times again and again: now, to the
 * second, and the session's creation time. Its last two texts are kept
 * (in its state, ctx_codec_thread.c); the one not used last is replaced.
 * len 0: empty. */
typedef struct {
    struct {
        apr_int64_t ts;
        apr_size_t len;
        char text[16];          /* 11 characters at most, and the NUL */
    } ts[2];
    int last;
} ctx_codec_ts_cache_t;

/* This thread's texts, or NULL before its state is made. */
extern __thread ctx_codec_ts_cache_t *ctx_codec_ts_cache
    __attribute__((tls_model("initial-exec")));

/* ctx_codec_encode_ts for a time not kept: encoded into the thread's
 * texts (its state made if need be); 0 when the thread has no state (no
 * memory). */
apr_size_t ctx_codec_ts_text(char *out, apr_int64_t ts);

/* b64url text of a time into `out` (12 bytes: 11 characters at most and
 * a NUL): big-endian, leading zero bytes dropped; returns its length. A
 * kept text is copied without a call (inline: twice per cookie written);
 * without the thread's state, written afresh. A negative time (never
 * written) keeps its two's complement bytes. */
static inline apr_size_t ctx_codec_encode_ts(char *out, apr_int64_t ts)
{
    ctx_codec_ts_cache_t *c = ctx_codec_ts_cache;
    apr_size_t n;

    for (int i = 0; c && i < 2; ++i) {
        if (c->ts[i].len && c->ts[i].ts == ts) {
            c->last = i;
            memcpy(out, c->ts[i].text, 12);
            return c->ts[i].len;
        }
    }
    n = ctx_codec_ts_text(out, ts);
    return n ? n : ctx_b64url_encode_be(out, (apr_uint64_t)ts);
}

/* Base64url text decoded into a new buffer from `p` (*n bytes); NULL if it
 * is not canonical base64url (inline: a payload or blob per cookie). */
static inline unsigned char *ctx_codec_b64_dup(apr_pool_t *p, const char *s,
                                               apr_size_t len, apr_size_t *n)
{
    unsigned char *buf = apr_palloc(p, len * 3 / 4 + 3);
    long r = ctx_b64url_decode(buf, s, len);

    if (r < 0) {
        return NULL;
    }
    *n = (apr_size_t)r;
    return buf;
}

/* What a version binds before its message: the domain string and its
 * NUL, then (version 2) the app's name and NUL, then the cookie name and
 * NUL. */
typedef struct {
    const char *domain;         /* NUL-terminated; the NUL is bound too */
    const char *app;            /* NULL in version 1 */
    const char *name;
    const ctx_codec_bound_t *ready; /* these bytes prepared, or NULL */
} ctx_codec_binding_t;

/* The domains of version 2, bound first. */
#define CTX_CODEC_SIGNED_DOMAIN "mod_ctx signed 2"
#define CTX_CODEC_ENCRYPTED_DOMAIN "mod_ctx encrypted 2"

struct ctx_codec_bound_t {
    ctx_format_t format;
    const char *app, *name;     /* the names' pointers it was made for */
    apr_size_t len;
    unsigned char bytes[];      /* domain NUL app NUL name NUL, then
                                 * zeros to CTX_CODEC_BOUND_COPY bytes at
                                 * least */
};

/* The prepared bytes are copied this many at once when they are not more
 * (a fixed-size copy is a few moves; one of r->len bytes a libc call):
 * ctx_codec_bind allocates at least this many. */
#define CTX_CODEC_BOUND_COPY 64

/* The binding of version 2 of `format`, whose domain is `domain`: {domain,
 * app, name} with codec->bound as `ready` when it was made for this format
 * and these names (inline: it runs once per MAC or tag). */
static inline void ctx_codec_binding_v2(const ctx_codec_t *codec,
                                        ctx_format_t format,
                                        const char *domain,
                                        ctx_codec_binding_t *b)
{
    const ctx_codec_bound_t *r = codec->bound;

    b->domain = domain;
    b->app = codec->app_name;
    b->name = codec->cookie_name;
    b->ready = r && r->format == format && r->app == codec->app_name
               && r->name == codec->cookie_name ? r : NULL;
}

/* The version of a signed or encrypted value from its 3-byte prefix (`p2`
 * for 2, `p1` for 1) into *version, and what it binds (domain `d2` or `d1`)
 * into *b. CTX_REASON_MALFORMED for neither prefix, CTX_REASON_LEGACY for
 * version 1 unless codec->legacy. */
ctx_reason_t ctx_codec_version(const ctx_codec_t *codec, ctx_format_t format,
                               const char *value,
                               apr_size_t len, const char *p2, const char *d2,
                               const char *p1, const char *d1, int *version,
                               ctx_codec_binding_t *b);

/* The times of a verified value: TS (`ts_len` bytes at `ts_s`) and, unless
 * ct_s is NULL, CT (`ct_len` bytes; else the creation time is TS), checked
 * against the skew, max_age and max_lifetime at `now`. */
ctx_reason_t ctx_codec_times(const ctx_codec_t *codec, const char *ts_s,
                             apr_size_t ts_len, const char *ct_s,
                             apr_size_t ct_len, apr_int64_t now,
                             apr_int64_t *ts, apr_int64_t *ct);

/* The checks of ctx_codec_times on times already decoded: `ts`, and the
 * creation time `ct` (ts itself for a value without CT). */
static inline ctx_reason_t ctx_codec_times_check(const ctx_codec_t *codec,
                                                 apr_int64_t ts,
                                                 apr_int64_t ct,
                                                 apr_int64_t now);

/* CTX_REASON_LIFETIME for a session created over max_lifetime ago. */
ctx_reason_t ctx_codec_check_lifetime(const ctx_codec_t *codec,
                                      apr_int64_t created, apr_int64_t now);

/* (inline: once per cookie read; the order of the checks is the order of
 * the reasons) */
static inline ctx_reason_t ctx_codec_times_check(const ctx_codec_t *codec,
                                                 apr_int64_t ts,
                                                 apr_int64_t ct,
                                                 apr_int64_t now)
{
    if (ct > ts) {
        return CTX_REASON_MALFORMED;        /* never written */
    }
    if (ts > now + codec->max_skew) {
        return CTX_REASON_FUTURE;
    }
    if (now - ts > codec->max_age) {
        return CTX_REASON_EXPIRED;
    }
    if (codec->max_lifetime > 0 && now - ct > codec->max_lifetime) {
        return CTX_REASON_LIFETIME;
    }
    return CTX_REASON_OK;
}

/* Parse `jlen` bytes of JSON (allocated in `p`, which the result points
 * into) with at most max_values values; on CTX_REASON_OK *data is its flat
 * form, in `p`. */
static inline ctx_reason_t ctx_codec_parse_json(const ctx_codec_t *codec,
                                                const char *json,
                                                apr_size_t jlen, apr_pool_t *p,
                                                ctx_flat_t **data)
{
    /* At most max_values values are made: the reader stops at the next. */
    apr_size_t values = 0, max = ctx_codec_max_values(codec);
    ctx_flat_t *f = NULL;
    apr_status_t rv = ctx_flat_parse(p, json, jlen, max, &values, &f);

    if (values > max) {
        return CTX_REASON_OVERSIZED;
    }
    if (rv != APR_SUCCESS) {
        return CTX_REASON_BAD_JSON;
    }
    *data = f;
    return CTX_REASON_OK;
}

/* Size of the stack buffer a binding and its tail are copied into. */
#define CTX_CODEC_PREFIX_MAX 256

/* The binding's bytes, then `tail` (tlen bytes), into `out`
 * (CTX_CODEC_PREFIX_MAX bytes): the bytes every MAC or tag binds before the
 * message. 0 when they do not fit (very long names): the caller then feeds
 * the pieces one by one (ctx_codec_bind_pieces), which gives the same MAC. */
apr_size_t ctx_codec_bound_prefix_built(unsigned char *out,
                                        const ctx_codec_binding_t *b,
                                        const char *tail, apr_size_t tlen);

/* (inline: the prepared bytes are copied without a call per MAC) */
static inline apr_size_t ctx_codec_bound_prefix(unsigned char *out,
                                                const ctx_codec_binding_t *b,
                                                const char *tail,
                                                apr_size_t tlen)
{
    const ctx_codec_bound_t *r = b->ready;

    if (r && r->len + tlen <= CTX_CODEC_PREFIX_MAX) {
        /* `out` has CTX_CODEC_PREFIX_MAX bytes, more than the fixed copy;
         * the tail (or the caller's message) overwrites the zeros */
        if (r->len <= CTX_CODEC_BOUND_COPY) {
            memcpy(out, r->bytes, CTX_CODEC_BOUND_COPY);
        }
        else {
            memcpy(out, r->bytes, r->len);
        }
        if (tlen) {
            memcpy(out + r->len, tail, tlen);
        }
        return r->len + tlen;
    }
    return ctx_codec_bound_prefix_built(out, b, tail, tlen);
}


/* The same bytes whatever their length: ctx_codec_bound_len counts them,
 * ctx_codec_bound_write writes them into `out` (that many bytes) and
 * returns their length. */
apr_size_t ctx_codec_bound_len(const ctx_codec_binding_t *b);
apr_size_t ctx_codec_bound_write(unsigned char *out,
                                 const ctx_codec_binding_t *b);

typedef int ctx_codec_update_fn(void *ctx, const unsigned char *in,
                                apr_size_t n);

/* The binding's bytes as separate updates: the same bytes as
 * ctx_codec_bound_prefix. */
int ctx_codec_bind_pieces(ctx_codec_update_fn *update, void *ctx,
                          const ctx_codec_binding_t *b);

/* ---- ctx_codec_thread.c: per-thread state ------------------------------- */

/* A keyed OpenSSL context of this thread, kept across calls. */
typedef struct {
    int used;
    int kind;                   /* CTX_CODEC_KEYED_* */
    apr_uint64_t id;            /* the key's ctx_keyring_key_id, or 0 */
    unsigned char key[64];
    apr_size_t klen;
    EVP_MAC_CTX *mac;
    void *hmac;                 /* HMAC_CTX (CTX_CODEC_KEYED_HMAC_CTX_*) */
    EVP_CIPHER_CTX *cipher;
    void *gcm;                  /* libsodium's expanded AES-256-GCM key */
} ctx_codec_keyed_t;

#define CTX_CODEC_KEYED_HMAC_SHA256 0
#define CTX_CODEC_KEYED_HMAC_SHA1 1
#define CTX_CODEC_KEYED_GCM_ENCRYPT 2
#define CTX_CODEC_KEYED_GCM_DECRYPT 3
#define CTX_CODEC_KEYED_GCM_SODIUM 4    /* both directions */
/* OpenSSL's HMAC_CTX (ctx_codec_hmac.c): slots apart from the EVP_MAC
 * ones above, which ctx_codec_hmac_ctx hands out for the same key bytes. */
#define CTX_CODEC_KEYED_HMAC_CTX_SHA256 5
#define CTX_CODEC_KEYED_HMAC_CTX_SHA1 6

/* 1 when the signed and flask MACs go through OpenSSL's HMAC_CTX (its
 * HMAC, without the EVP_MAC provider layers: about 420 instructions less
 * per MAC, the same bytes), 0 for EVP_MAC (OpenSSL built without the
 * 3.0-deprecated API, or ctx_codec_hmac_force_evp(1): the tests run both). */
int ctx_codec_hmac_legacy(void);
void ctx_codec_hmac_force_evp(int on);

/* 1 if AES-256-GCM goes through libsodium (it needs AES-NI and PCLMUL:
 * 2.5x OpenSSL's EVP per cookie here, the same bytes), 0 for OpenSSL.
 * ctx_codec_gcm_force_openssl(1) makes it 0 (the tests run both). */
int ctx_codec_gcm_sodium(void);
void ctx_codec_gcm_force_openssl(int on);

/* This thread's context of `kind` for `key`, or a free slot (k->used == 0)
 * for the caller to fill and then mark with ctx_codec_keyed_fill; NULL
 * without memory. With the key's `id` (ctx_keyring_key_id) the slot is the
 * one filled with that id, found without comparing the key's bytes; with
 * id 0, any slot holding these bytes. Owned by the thread: never freed by
 * the caller. */
ctx_codec_keyed_t *ctx_codec_keyed_find(int kind, const unsigned char *key,
                                        apr_size_t klen, apr_uint64_t id);

/* ctx_codec_keyed_find, without a call when the slot is the one found
 * last by this id (a request verifies, then signs, with the same key):
 * inline. That slot is compared as keyed_find compares it by id: a slot
 * released since is not `used`, one filled again has another id. */
extern __thread ctx_codec_keyed_t *ctx_codec_keyed_last
    __attribute__((tls_model("initial-exec")));

static inline ctx_codec_keyed_t *ctx_codec_keyed_get(int kind,
                                                     const unsigned char *key,
                                                     apr_size_t klen,
                                                     apr_uint64_t id)
{
    ctx_codec_keyed_t *k = ctx_codec_keyed_last;

    if (id && k && k->id == id && k->kind == kind && k->used) {
        return k;
    }
    return ctx_codec_keyed_find(kind, key, klen, id);
}

/* Mark a slot the caller set up as holding `kind` for `key`, whose
 * ctx_keyring_key_id is `id` (0 if not known); counted by
 * ctx_codec_contexts_made. */
void ctx_codec_keyed_fill(ctx_codec_keyed_t *k, int kind,
                          const unsigned char *key, apr_size_t klen,
                          apr_uint64_t id);

/* Free a slot's contexts and wipe it (it becomes free). */
void ctx_codec_keyed_release(ctx_codec_keyed_t *k);

/* *slot: an OpenSSL algorithm fetched by `fetch` on first use and kept for
 * the process. A fetch that fails (no memory) is tried again on the next
 * use, never remembered; one that another thread beat is released with
 * `release`. NULL if the fetch fails. */
static inline void *ctx_codec_kept_fetch(void **slot, void *(*fetch)(void),
                                         void (*release)(void *))
{
    void *alg = __atomic_load_n(slot, __ATOMIC_ACQUIRE), *none = NULL;

    if (alg || !(alg = fetch())) {
        return alg;
    }
    if (!__atomic_compare_exchange_n(slot, &none, alg, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        release(alg);
        alg = none;
    }
    return alg;
}

/* This thread's HMAC context with `digest` ("SHA256", "SHA1") keyed with
 * `key`, restarted and ready for updates (ctx_codec_hmac.c); also used by
 * ctx_session_id.c for the id's MAC. NULL if OpenSSL fails. Owned by the
 * thread: never freed by the caller; valid until this thread's next call. */
EVP_MAC_CTX *ctx_codec_hmac_ctx(const char *digest,
                               const unsigned char *key, apr_size_t klen);

/* A CTX_CODEC_NONCE_LEN-byte GCM nonce into `out`: random bytes drawn per
 * thread (again in a forked child and when the count wraps) whose last 32
 * bits count up, so never the same twice in a thread; 0 if OpenSSL's RNG
 * fails. */
int ctx_codec_nonce(unsigned char *out);

/* This thread's deflate stream with Python's zlib.compress() parameters, or
 * inflate stream, reset; NULL if zlib fails. Owned by the thread. */
z_stream *ctx_codec_deflater(void);
z_stream *ctx_codec_inflater(void);

/* ---- ctx_codec_payload.c ------------------------------------------------ */

/* PAYLOAD of signed/flask (`len` bytes at `s`): base64url, or "."-prefixed
 * base64url of zlib, inflated to at most `limit` bytes. *json is allocated
 * in `p`. */
ctx_reason_t ctx_codec_decode_payload(apr_pool_t *p, const char *s,
                                      apr_size_t len, apr_size_t limit,
                                      char **json, apr_size_t *jlen);

/* Below this size `signed` does not try to compress (it rarely pays).
 * `flask` always tries, to write exactly what Flask writes. */
#define CTX_CODEC_SIGNED_COMPRESS_MIN 200

/* ctx_codec_payload_bytes when zlib is tried (ctx_codec_payload.c). */
const unsigned char *ctx_codec_payload_zbytes(apr_pool_t *p, const char *json,
                                              apr_size_t jlen, apr_size_t *n,
                                              int *compressed);

/* The bytes PAYLOAD encodes: `json` itself, or its zlib form (*compressed
 * set, allocated in `p`) when that saves more than one byte, as Flask
 * decides. Small JSON is not even tried unless `always_try` (inline: a
 * signed session's JSON is not, on every save). NULL if zlib fails. */
static inline const unsigned char *
ctx_codec_payload_bytes(apr_pool_t *p, const char *json, apr_size_t jlen,
                        int always_try, apr_size_t *n, int *compressed)
{
    if (!always_try && jlen < CTX_CODEC_SIGNED_COMPRESS_MIN) {
        *compressed = 0;
        *n = jlen;
        return (const unsigned char *)json;
    }
    return ctx_codec_payload_zbytes(p, json, jlen, n, compressed);
}

/* ---- ctx_codec_hmac.c: PAYLOAD "." TS ["." CT] "." MAC ------------------ */

/* How a format lays out and signs its value (signed, flask). */
typedef struct {
    const char *prefix;         /* before PAYLOAD: "s2.", "s1." or "" */
    apr_size_t prefix_len;      /* its length (no strlen per cookie) */
    int kind;                   /* CTX_CODEC_KEYED_HMAC_SHA256 or _SHA1 */
    ctx_key_purpose_t purpose;  /* which derived key signs */
    const ctx_codec_binding_t *binding; /* NULL: nothing bound (flask) */
    int with_created;           /* 1: "." CT after TS */
    int always_compress;        /* 1: try zlib even for small JSON */
} ctx_codec_hmac_t;

/* 1 if the `n` bytes at `a` and `b` are equal, else 0, in a time that
 * depends on n only (a MAC against the one received): libsodium's
 * crypto_verify_32 for 32 bytes (~20 instructions, where CRYPTO_memcmp's
 * byte loop takes ~230), CRYPTO_memcmp for other lengths. */
int ctx_codec_mac_equal(const unsigned char *a, const unsigned char *b,
                        apr_size_t n);

/* Verify a value laid out as `f` says (its prefix already checked) under
 * each key, check its times and parse its JSON. On CTX_REASON_OK: *data is
 * a new object reference owned by the caller, meta's issued, created and
 * key_index are set. */
ctx_reason_t ctx_codec_hmac_decode(const ctx_codec_t *codec,
                                   const ctx_codec_hmac_t *f, apr_pool_t *p,
                                   const char *value, apr_size_t len,
                                   apr_int64_t now, ctx_flat_t **data,
                                   ctx_codec_meta_t *meta);

/* Lay out and sign `json` as `f` says with the current key; *value is
 * allocated in `p`. APR_EINVAL without the key, APR_EGENERAL if OpenSSL or
 * zlib fails. */
apr_status_t ctx_codec_hmac_encode(const ctx_codec_t *codec,
                                   const ctx_codec_hmac_t *f, apr_pool_t *p,
                                   const char *json, apr_size_t jlen,
                                   apr_int64_t issued, apr_int64_t created,
                                   const char **value, apr_size_t *vlen);

/* ---- the formats: decode and encode as ctx_codec_decode/_encode_json
 * (arguments checked there; meta zeroed, created set) --------------------- */

/* Signed (ctx_codec_signed.c): version 2 inline, straight into the layout
 * (a layer less per cookie); anything else apart. */
#define CTX_CODEC_SIGNED_PREFIX "s2."
ctx_reason_t ctx_codec_decode_signed_other(const ctx_codec_t *codec,
                                           apr_pool_t *p, const char *value,
                                           apr_size_t len, apr_int64_t now,
                                           ctx_flat_t **data,
                                           ctx_codec_meta_t *meta);

/* The signed format 2's HMAC layout, bound by the binding `b`: what its
 * decode and its encode share. */
#define CTX_CODEC_SIGNED_V2(b) \
    { CTX_CODEC_SIGNED_PREFIX, sizeof(CTX_CODEC_SIGNED_PREFIX) - 1, \
      CTX_CODEC_KEYED_HMAC_SHA256, CTX_KEY_SIGN, &(b), 1, 0 }

static inline ctx_reason_t
ctx_codec_decode_signed(const ctx_codec_t *codec, apr_pool_t *p,
                        const char *value, apr_size_t len, apr_int64_t now,
                        ctx_flat_t **data, ctx_codec_meta_t *meta)
{
    /* Version 2, the one written: straight on (meta->legacy stays 0). */
    if (len >= 3 && memcmp(value, CTX_CODEC_SIGNED_PREFIX, 3) == 0) {
        ctx_codec_binding_t b;
        const ctx_codec_hmac_t f = CTX_CODEC_SIGNED_V2(b);

        ctx_codec_binding_v2(codec, CTX_FORMAT_SIGNED, CTX_CODEC_SIGNED_DOMAIN,
                             &b);
        return ctx_codec_hmac_decode(codec, &f, p, value, len, now, data,
                                     meta);
    }
    return ctx_codec_decode_signed_other(codec, p, value, len, now, data,
                                         meta);
}

static inline apr_status_t
ctx_codec_encode_signed(const ctx_codec_t *codec, apr_pool_t *p,
                        const char *json, apr_size_t jlen, apr_int64_t issued,
                        apr_int64_t created, const char **value,
                        apr_size_t *vlen)
{
    ctx_codec_binding_t b;
    const ctx_codec_hmac_t f = CTX_CODEC_SIGNED_V2(b);

    ctx_codec_binding_v2(codec, CTX_FORMAT_SIGNED, CTX_CODEC_SIGNED_DOMAIN,
                         &b);
    return ctx_codec_hmac_encode(codec, &f, p, json, jlen, issued, created,
                                 value, vlen);
}

ctx_reason_t ctx_codec_decode_flask(const ctx_codec_t *codec, apr_pool_t *p,
                                    const char *value, apr_size_t len,
                                    apr_int64_t now, ctx_flat_t **data,
                                    ctx_codec_meta_t *meta);
apr_status_t ctx_codec_encode_flask(const ctx_codec_t *codec, apr_pool_t *p,
                                    const char *json, apr_size_t jlen,
                                    apr_int64_t issued, apr_int64_t created,
                                    const char **value, apr_size_t *vlen);

ctx_reason_t ctx_codec_decode_encrypted(const ctx_codec_t *codec,
                                        apr_pool_t *p, const char *value,
                                        apr_size_t len, apr_int64_t now,
                                        ctx_flat_t **data,
                                        ctx_codec_meta_t *meta);
apr_status_t ctx_codec_encode_encrypted(const ctx_codec_t *codec,
                                        apr_pool_t *p, const char *json,
                                        apr_size_t jlen, apr_int64_t issued,
                                        apr_int64_t created,
                                        const char **value, apr_size_t *vlen);

#pragma GCC visibility pop

#endif

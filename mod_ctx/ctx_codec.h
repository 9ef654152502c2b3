/* ctx_codec: session cookie values, to and from a JSON object.
 *
 * Formats (CtxSessionFormat), version 2, written and read:
 *   signed     "s2." PAYLOAD "." TS "." CT "." MAC
 *              PAYLOAD = b64url(json), or "." b64url(zlib(json)) for JSON of
 *              200 bytes or more when that saves more than one byte;
 *              TS = b64url(issue time), CT = b64url(the session's creation
 *              time, CT <= TS), each big-endian with leading zero bytes
 *              dropped; MAC = b64url(HMAC-SHA256(signing key,
 *              "mod_ctx signed 2" NUL app NUL cookie-name NUL
 *              "s2." PAYLOAD "." TS "." CT)).
 *   encrypted  "e2." TS "." CT "." b64url(nonce[12] ciphertext tag[16])
 *              AES-256-GCM over json (never compressed: no length oracle),
 *              random nonce, associated data
 *              "mod_ctx encrypted 2" NUL app NUL cookie-name NUL TS "." CT.
 *   flask      PAYLOAD "." TS "." SIG exactly as Flask 3 / itsdangerous 2
 *              (HMAC-SHA1, salt "cookie-session"); neither the cookie name
 *              nor the app is bound (Flask binds neither), the JSON is
 *              Flask's byte for byte. The creation time is the integer
 *              "_ctx_created" of the session, written only when
 *              max_lifetime is set (no room in Flask's format); without
 *              it, the creation time is the issue time.
 * `app` is the application's name (CtxAppName), so a cookie of one app is
 * no session of another app that shares its key; names are tokens (no NUL).
 * The issue time is covered by the MAC or tag, so a cookie cannot outlive
 * max_age, nor its creation time max_lifetime.
 *
 * Version 1, read only when `legacy` is set (migration from mod_ctx before
 * version 2; the glue re-issues such a cookie as version 2 at once):
 *   "s1." PAYLOAD "." TS "." MAC, MAC = HMAC-SHA256(signing key,
 *       "mod_ctx signed 1" NUL cookie-name NUL "s1." PAYLOAD "." TS)
 *   "e1." TS "." b64url(nonce ciphertext tag), associated data
 *       "mod_ctx encrypted 1" NUL cookie-name NUL TS
 * They bind no app; their creation time is their issue time. */
#ifndef CTX_CODEC_H
#define CTX_CODEC_H

#include <apr_pools.h>
#include <jansson.h>

#include "ctx_keys.h"

typedef enum {
    CTX_FORMAT_SIGNED = 0,
    CTX_FORMAT_ENCRYPTED,
    CTX_FORMAT_FLASK
} ctx_format_t;

/* Why a cookie was not accepted. Each has a process-wide counter. */
typedef enum {
    CTX_REASON_OK = 0,
    CTX_REASON_MALFORMED,       /* wrong shape, unknown version */
    CTX_REASON_BAD_ENCODING,    /* not canonical base64url */
    CTX_REASON_BAD_SIGNATURE,   /* MAC/tag fails under every key */
    CTX_REASON_EXPIRED,         /* issued more than max_age ago */
    CTX_REASON_FUTURE,          /* issued after now + skew */
    CTX_REASON_OVERSIZED,       /* value, JSON or its number of values
                                 * over the limits */
    CTX_REASON_BAD_COMPRESSION, /* zlib stream broken */
    CTX_REASON_BAD_JSON,        /* verified, but not a JSON object */
    CTX_REASON_LEGACY,          /* version 1 while `legacy` is off */
    CTX_REASON_LIFETIME,        /* created more than max_lifetime ago */
    CTX_REASON_COUNT
} ctx_reason_t;

/* The bytes a codec binds before each MAC or tag, prepared once per
 * configuration (ctx_codec_bind). */
typedef struct ctx_codec_bound_t ctx_codec_bound_t;

typedef struct {
    ctx_format_t format;
    const ctx_keyring_t *keys;
    const char *cookie_name;
    apr_int64_t max_age;        /* seconds */
    apr_int64_t max_skew;       /* seconds a timestamp may be ahead */
    const char *app_name;       /* bound in signed and encrypted */
    int legacy;                 /* also read version 1 (s1, e1) */
    apr_int64_t max_lifetime;   /* seconds since creation; 0: no limit */
    /* Bounds on what a cookie may hold (0: the CTX_CODEC_MAX_* defaults);
     * ctx_codec_set_max_size sets both from the cookie size limit. */
    apr_size_t max_json;        /* bytes of JSON, inflated or not */
    apr_size_t max_values;      /* JSON values (ctx_json_write counts) */
    apr_size_t max_value;       /* longest value decoded; 0:
                                 * CTX_CODEC_MAX_VALUE (a cookie). Server-
                                 * side sessions store larger values. */
    /* What ctx_codec_bind prepared for this format, app_name and
     * cookie_name, or NULL: the codec then builds those bytes from the
     * names on every MAC or tag. Ignored unless it was made for these very
     * pointers (so a codec whose names change falls back, never binds
     * stale names). */
    const ctx_codec_bound_t *bound;
} ctx_codec_t;

/* What a decode learnt besides the data. */
typedef struct {
    apr_int64_t issued;         /* issue time */
    apr_int64_t created;        /* the session's creation time (<= issued) */
    int key_index;              /* 0: current key, > 0: a fallback */
    int legacy;                 /* 1: a version 1 cookie (re-issue it) */
} ctx_codec_meta_t;

/* Longest cookie value decoded unless max_value says otherwise; a longer
 * one is CTX_REASON_OVERSIZED. */
#define CTX_CODEC_MAX_VALUE 8192
/* Defaults of max_json and max_values: those of the largest max_size. */
#define CTX_CODEC_MAX_JSON (CTX_CODEC_JSON_PER_BYTE * 4093)
#define CTX_CODEC_MAX_VALUES (4093 / 2)
/* Bytes of JSON allowed per byte of the cookie size limit: zlib may shrink
 * a session this much and no more (typical JSON shrinks 3 to 5 times). */
#define CTX_CODEC_JSON_PER_BYTE 8

/* Set the codec's bounds for cookies of at most `max_size` bytes (the
 * Set-Cookie limit): max_json = CTX_CODEC_JSON_PER_BYTE * max_size and
 * max_values = max_size / 2. A session that fits uncompressed is always
 * within both (n values take at least 2n - 1 bytes of JSON, each byte at
 * least 4/3 cookie characters); only one that compresses better is not.
 * The write side checks the same numbers (ctx_codec_json_fits), so what is
 * issued is accepted, and what is accepted costs memory and time bounded by
 * max_size. */
void ctx_codec_set_max_size(ctx_codec_t *codec, apr_size_t max_size);

/* 1 if JSON of `jlen` bytes holding `values` values is within the codec's
 * bounds: the check decoding applies, for the write side. */
int ctx_codec_json_fits(const ctx_codec_t *codec, apr_size_t jlen,
                        apr_size_t values);

/* A short lowercase name for a reason ("bad_signature"). */
const char *ctx_reason_name(ctx_reason_t reason);

/* Verify and decode `len` bytes of a cookie value at time `now` (seconds).
 * On CTX_REASON_OK: *data is a new JSON object reference owned by the caller
 * (json_decref) and *meta (when not NULL) is filled. Otherwise nothing is
 * returned. Every call counts its reason. Reads exactly `len` bytes of
 * `value`. Signed and encrypted need cookie_name and app_name. */
ctx_reason_t ctx_codec_decode(const ctx_codec_t *codec, apr_pool_t *p,
                              const char *value, apr_size_t len,
                              apr_int64_t now, json_t **data,
                              ctx_codec_meta_t *meta);

/* ctx_codec_decode into the flat form (ctx_flat.h): *data is allocated in
 * `p` and points into text decoded there (no jansson values are made). */
struct ctx_flat_t;
ctx_reason_t ctx_codec_decode_flat(const ctx_codec_t *codec, apr_pool_t *p,
                                   const char *value, apr_size_t len,
                                   apr_int64_t now, struct ctx_flat_t **data,
                                   ctx_codec_meta_t *meta);

/* Encode serialized JSON (`json`, `jlen` bytes, an object as ctx_json_dump
 * writes it) with the current key, as issued at `issued` by a session
 * created at `created` (0: at `issued`, a new session). Always version 2.
 * *value is allocated in `p`. APR_EINVAL without keys, cookie or app name,
 * or for created > issued; CTX_ETOOLARGE for JSON over max_json (it would
 * not be read back); APR_EGENERAL if OpenSSL or zlib fails. */
apr_status_t ctx_codec_encode_json(const ctx_codec_t *codec, apr_pool_t *p,
                                   const char *json, apr_size_t jlen,
                                   apr_int64_t issued, apr_int64_t created,
                                   const char **value, apr_size_t *vlen);

/* Serialize `data` (an object) with ctx_json_dump and encode it. */
apr_status_t ctx_codec_encode(const ctx_codec_t *codec, apr_pool_t *p,
                              const json_t *data, apr_int64_t issued,
                              apr_int64_t created, const char **value,
                              apr_size_t *vlen);

/* The binding of version 2 of `format` (signed: "mod_ctx signed 2" NUL
 * app NUL cookie-name NUL; encrypted: the same with "mod_ctx encrypted
 * 2"), prepared for codecs of that format whose app_name and cookie_name
 * are these pointers: set it as their `bound` and each MAC or tag starts
 * from ready bytes instead of the names (same values, byte for byte).
 * Make it once per configuration, in the pool the names live in: it is
 * allocated in `p` and lives as long as `p`; it copies the names' bytes
 * and keeps their pointers, which are compared, not the bytes, so the
 * names must not be changed in place while it is used. NULL for flask (it
 * binds nothing), without `p` or either name. */
const ctx_codec_bound_t *ctx_codec_bind(apr_pool_t *p, ctx_format_t format,
                                        const char *app_name,
                                        const char *cookie_name);

/* How many decodes ended with `reason` in this process. */
apr_uint32_t ctx_codec_reason_count(ctx_reason_t reason);

/* How many keyed OpenSSL contexts (HMAC, AES-GCM) threads of this process
 * have set up: they are kept per thread and key, so this stays flat while
 * the same keys are used, whatever cookies come in. */
apr_uint32_t ctx_codec_contexts_made(void);

#endif

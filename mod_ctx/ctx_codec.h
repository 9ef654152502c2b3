/* ctx_codec: session cookie values, to and from a JSON object.
 *
 * Formats (CtxSessionFormat):
 *   signed     "s1." PAYLOAD "." TS "." MAC
 *              PAYLOAD = b64url(json), or "." b64url(zlib(json)) for JSON of
 *              200 bytes or more when that saves more than one byte; TS = b64url(issue time, big-endian, no leading zero
 *              bytes); MAC = b64url(HMAC-SHA256(signing key,
 *              "mod_ctx signed 1" NUL cookie-name NUL "s1." PAYLOAD "." TS)).
 *   encrypted  "e1." TS "." b64url(nonce[12] ciphertext tag[16])
 *              AES-256-GCM over json (never compressed: no length oracle),
 *              random nonce, associated data
 *              "mod_ctx encrypted 1" NUL cookie-name NUL TS.
 *   flask      PAYLOAD "." TS "." SIG exactly as Flask 3 / itsdangerous 2
 *              (HMAC-SHA1, salt "cookie-session"); the cookie name is not
 *              bound (Flask does not), the JSON is Flask's byte for byte.
 * The issue time is covered by the MAC or tag, so a cookie cannot outlive
 * max_age; the cookie name is covered in signed and encrypted. */
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
    CTX_REASON_COUNT
} ctx_reason_t;

typedef struct {
    ctx_format_t format;
    const ctx_keyring_t *keys;
    const char *cookie_name;
    apr_int64_t max_age;        /* seconds */
    apr_int64_t max_skew;       /* seconds a timestamp may be ahead */
    /* Bounds on what a cookie may hold (0: the CTX_CODEC_MAX_* defaults);
     * ctx_codec_set_max_size sets both from the cookie size limit. */
    apr_size_t max_json;        /* bytes of JSON, inflated or not */
    apr_size_t max_values;      /* JSON values (ctx_json_write counts) */
} ctx_codec_t;

/* Longest cookie value decoded; a longer one is CTX_REASON_OVERSIZED. */
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
 * (json_decref), *issued the issue time, *key_index the keyring index that
 * verified (0 = current, > 0 = a fallback). Otherwise nothing is returned.
 * Every call counts its reason. Reads exactly `len` bytes of `value`. */
ctx_reason_t ctx_codec_decode(const ctx_codec_t *codec, apr_pool_t *p,
                              const char *value, apr_size_t len,
                              apr_int64_t now, json_t **data,
                              apr_int64_t *issued, int *key_index);

/* Encode serialized JSON (`json`, `jlen` bytes, an object as ctx_json_dump
 * writes it) issued at `now` with the current key. *value is allocated in
 * `p`. APR_EINVAL without keys, CTX_ETOOLARGE for JSON over max_json (it
 * would not be read back), APR_EGENERAL if OpenSSL or zlib fails. */
apr_status_t ctx_codec_encode_json(const ctx_codec_t *codec, apr_pool_t *p,
                                   const char *json, apr_size_t jlen,
                                   apr_int64_t now, const char **value,
                                   apr_size_t *vlen);

/* Serialize `data` (an object) with ctx_json_dump and encode it. */
apr_status_t ctx_codec_encode(const ctx_codec_t *codec, apr_pool_t *p,
                              const json_t *data, apr_int64_t now,
                              const char **value, apr_size_t *vlen);

/* How many decodes ended with `reason` in this process. */
apr_uint32_t ctx_codec_reason_count(ctx_reason_t reason);

/* How many keyed OpenSSL contexts (HMAC, AES-GCM) threads of this process
 * have set up: they are kept per thread and key, so this stays flat while
 * the same keys are used, whatever cookies come in. */
apr_uint32_t ctx_codec_contexts_made(void);

#endif

/* ctx_session_id: the id cookie of a server-side session and the store key
 * derived from it.
 *
 * With CtxSessionStore socache:..., the cookie holds only a random id,
 * signed so that a forged, truncated or garbage id is refused before any
 * store lookup (junk cookies cost the store nothing).
 *
 * Cookie value, version 1 (exactly CTX_SID_COOKIE_LEN = 90 bytes):
 *   "i1." ID "." MAC
 *   ID  = b64url(id), id = 32 bytes from OpenSSL's CSPRNG (RAND_bytes):
 *         43 characters
 *   MAC = b64url(HMAC-SHA256(id key, "mod_ctx session id 1" NUL app NUL
 *         cookie-name NUL "i1." ID)): 43 characters
 *   b64url is canonical base64url without padding (ctx_b64.h); the id key
 *   is the keyring's CTX_KEY_ID key (HKDF of the secret, ctx_keys.h). The
 *   MAC is checked in constant time against the current key, then each
 *   fallback, in the keyring's order. App and cookie name are bound, so an
 *   id of another app sharing the secret, or of another cookie name, is
 *   refused. The id carries no time: the store entry's lifetime is the
 *   session's (the store expires it; the stored value's own issue time is
 *   checked again when it is decoded).
 *
 * Store key (exactly CTX_SID_STORE_KEY_LEN = 48 bytes, printable ASCII so
 * that every socache provider takes it, memcache's included):
 *   "ctx1." b64url(SHA-256("mod_ctx store key 1" NUL app NUL id))
 *   where id is the 32 raw bytes. A dump of the store yields no id (SHA-256
 *   is one-way) and so no usable cookie; two apps on one store never share
 *   a key; the key does not depend on the secret, so a key rotation keeps
 *   every session (the id is re-signed under the new key, same entry).
 *
 * Both layouts are a contract: a change is a new version ("i2.", "ctx2.")
 * with the old one still read. */
#ifndef CTX_SESSION_ID_H
#define CTX_SESSION_ID_H

#include <apr_pools.h>

#include "ctx_codec.h"
#include "ctx_keys.h"

#define CTX_SID_BYTES 32
#define CTX_SID_COOKIE_LEN 90
#define CTX_SID_STORE_KEY_LEN 48

/* What signs and binds ids: borrowed, must outlive every call. */
typedef struct {
    const ctx_keyring_t *keys;
    const char *app_name;       /* CtxAppName, non-empty */
    const char *cookie_name;    /* the session cookie's name, non-empty */
} ctx_sid_codec_t;

/* One session id, self-contained (no pointers: copy it freely). */
typedef struct {
    unsigned char id[CTX_SID_BYTES];
    char cookie[CTX_SID_COOKIE_LEN + 1];        /* NUL-terminated */
    char store_key[CTX_SID_STORE_KEY_LEN + 1];  /* NUL-terminated */
    int key_index;      /* the key that signed `cookie`: 0 current, > 0 a
                         * fallback (re-sign it with ctx_sid_sign) */
} ctx_sid_t;

/* A new random id in *sid, signed with the current key, its store key
 * derived. APR_EINVAL without keys, app or cookie name; APR_EGENERAL if
 * OpenSSL fails (then *sid is wiped). */
apr_status_t ctx_sid_new(const ctx_sid_codec_t *c, ctx_sid_t *sid);

/* (Re-)sign sid->id with the current key: sets sid->cookie, key_index 0
 * and sid->store_key. Used after a verify that matched a fallback key, so
 * the client gets the id under the current key (same store entry).
 * APR_EINVAL / APR_EGENERAL as ctx_sid_new. */
apr_status_t ctx_sid_sign(const ctx_sid_codec_t *c, ctx_sid_t *sid);

/* Verify `len` bytes of a cookie value; never touches any store. On
 * CTX_REASON_OK, *sid is filled (the cookie copied, the store key derived,
 * the key that matched). Otherwise CTX_REASON_MALFORMED (wrong length or
 * shape, unknown version, NULL value), CTX_REASON_BAD_ENCODING (not
 * canonical base64url), CTX_REASON_BAD_SIGNATURE (no key matches, or no
 * keys) and *sid is wiped. Each call counts its reason. */
ctx_reason_t ctx_sid_verify(const ctx_sid_codec_t *c, const char *value,
                            apr_size_t len, ctx_sid_t *sid);

/* The store key of `id` for `app` into `out` (CTX_SID_STORE_KEY_LEN + 1
 * bytes, NUL-terminated). APR_EINVAL without app, APR_EGENERAL if OpenSSL
 * fails. */
apr_status_t ctx_sid_store_key(const char *app,
                               const unsigned char id[CTX_SID_BYTES],
                               char *out);

/* How many verifies ended with `reason` in this process. */
apr_uint32_t ctx_sid_reason_count(ctx_reason_t reason);

#endif

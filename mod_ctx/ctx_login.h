/* ctx_login: Flask-Login's wire formats and rules, without httpd.
 *
 * - the session keys Flask-Login writes (_user_id, _fresh, _id) and the
 *   set it purges (SESSION_KEYS);
 * - the remember cookie "remember_token" = "ID|HEX" where HEX is the
 *   lowercase hex HMAC-SHA512 of ID under the key (Flask-Login 0.6:
 *   utils.encode_cookie / decode_cookie);
 * - the session identifier of session protection: the hex SHA-512 of
 *   "{addr!r}|{agent!r}" with Python's bytes repr (utils._create_identifier);
 * - the check that a next= target is a local path (no open redirect). */
#ifndef CTX_LOGIN_H
#define CTX_LOGIN_H

#include <apr_pools.h>
#include <apr_errno.h>

#include "ctx_session.h"

#define CTX_LOGIN_KEY_USER_ID "_user_id"
#define CTX_LOGIN_KEY_FRESH   "_fresh"
#define CTX_LOGIN_KEY_ID      "_id"
#define CTX_LOGIN_KEY_REMEMBER "_remember"
#define CTX_LOGIN_KEY_REMEMBER_SECONDS "_remember_seconds"
#define CTX_LOGIN_REMEMBER_COOKIE "remember_token"
/* Flask-Login's REMEMBER_COOKIE_DURATION default: 365 days. */
#define CTX_LOGIN_REMEMBER_SECONDS (365 * 24 * 3600)
/* A user id longer than this is refused (it goes into r->user, logs and
 * a cookie). */
#define CTX_LOGIN_ID_MAX 256
/* next= targets longer than this are refused. */
#define CTX_LOGIN_NEXT_MAX 2048

/* Flask-Login's SESSION_KEYS (what a strong session protection failure
 * removes), NULL-terminated. */
extern const char *const ctx_login_session_keys[];

/* An HMAC-SHA512 key. HMAC hashes a key longer than its block (128 bytes)
 * first, so keeping the hash gives the same MACs as the long key. */
typedef struct {
    unsigned char bytes[128];
    apr_size_t len;
} ctx_login_key_t;

/* Flask-Login's key: the app's SECRET_KEY itself (for interop with a Flask
 * app sharing the secret). APR_EINVAL for an empty secret. */
apr_status_t ctx_login_key_flask(ctx_login_key_t *k, const void *secret,
                                 apr_size_t len);

/* A key bound to one app: HMAC-SHA512(secret, "mod_ctx remember v1" NUL
 * app), so that a remember cookie of one app is no login of another app
 * sharing the secret. APR_EINVAL for an empty secret or NULL app. */
apr_status_t ctx_login_key_app(ctx_login_key_t *k, const void *secret,
                               apr_size_t len, const char *app);

/* The 128 lowercase hex digits of HMAC-SHA512(key, payload[0..len)), in p.
 * NULL if OpenSSL fails. */
char *ctx_login_digest(apr_pool_t *p, const ctx_login_key_t *k,
                       const char *payload, apr_size_t len);

/* "ID|DIGEST" (Flask-Login's encode_cookie), in p; NULL if OpenSSL fails. */
char *ctx_login_remember_encode(apr_pool_t *p, const ctx_login_key_t *k,
                                const char *id);

/* Check a remember cookie value against keys[0..n) (current key first,
 * then fallbacks): split at the last '|', compare the digest in constant
 * time. *id (a copy in p) on APR_SUCCESS; APR_EINVAL for a malformed or
 * tampered cookie, or an id that ctx_login_id_valid refuses. */
apr_status_t ctx_login_remember_decode(apr_pool_t *p,
                                       const ctx_login_key_t *keys, int n,
                                       const char *cookie, const char **id);

/* 1 if `id` can be a login: 1 to CTX_LOGIN_ID_MAX bytes, no control
 * characters; with `for_cookie`, also none of the bytes a cookie value
 * cannot carry unquoted (space, '"', ',', ';', '\\', non-ASCII). */
int ctx_login_id_valid(const char *id, int for_cookie);

/* Flask-Login 0.6's session identifier of a client: `xff` (the
 * X-Forwarded-For header, NULL if absent; its first element is used, as
 * Flask-Login does) or else `addr` (NULL: Python's None), and `agent`
 * (the User-Agent header, NULL if absent). Header bytes are read as
 * Latin-1 and encoded in UTF-8, as WSGI and Flask-Login do. 128 hex digits
 * in p (NULL if OpenSSL fails). */
char *ctx_login_identifier(apr_pool_t *p, const char *addr, const char *xff,
                           const char *agent);

/* 1 if `next` is a safe redirect target: a local path (and query) that
 * starts with one '/', has no backslash, no control, space or non-ASCII
 * byte and no '//' or '/\' at its start even after percent-decoding
 * (repeatedly); 0 otherwise (NULL, empty, absolute URL, protocol-relative
 * URL, too long). */
int ctx_login_next_is_safe(const char *next);

/* `next` percent-encoded as a query value (everything but A-Z a-z 0-9
 * - . _ ~, so "/a" is "%2Fa" as in Flask-Login's login_url), in p. */
char *ctx_login_quote(apr_pool_t *p, const char *next);

/* ---- the login in a session (Flask-Login's login_user, logout_user,
 * confirm_login and session protection on a ctx_session_t) ---------------- */

typedef enum {
    CTX_LOGIN_PROTECT_OFF = 0,
    CTX_LOGIN_PROTECT_BASIC,
    CTX_LOGIN_PROTECT_STRONG
} ctx_login_protection_t;

/* Store a login: _user_id = id, _fresh = fresh, _id = ident, and drop a
 * stale _remember / _remember_seconds. The caller regenerates the session
 * first (fixation). APR_EINVAL for an id ctx_login_id_valid refuses or a
 * NULL ident; else the session's status (CTX_ETOOLATE, CTX_ETOOLARGE). */
apr_status_t ctx_login_store(ctx_session_t *s, const char *id, int fresh,
                             const char *ident);

/* Remove what ctx_login_store wrote (_user_id, _fresh, _id,
 * _remember_seconds, _remember), as logout_user does. */
apr_status_t ctx_login_forget(ctx_session_t *s);

/* The session's user id as text (a string, or an integer as Flask-Login
 * apps with integer ids may store), copied into p; NULL when there is
 * none or it is not a valid id. */
const char *ctx_login_session_user(apr_pool_t *p, ctx_session_t *s);

/* 1 if the session's _fresh is true. */
int ctx_login_session_fresh(ctx_session_t *s);

/* Flask-Login's _session_protection_failed: when the session is not
 * empty and its _id differs from `ident`, BASIC (or any mode on a
 * permanent session) marks the login not fresh, STRONG removes
 * ctx_login_session_keys. Returns 1 when the login was removed, else 0. */
int ctx_login_protect(ctx_session_t *s, ctx_login_protection_t mode,
                      const char *ident);

/* ---- the user of one request, loaded at most once ------------------------ */

typedef void *ctx_login_load_fn(void *baton, const char *id);

typedef struct {
    const char *id;     /* NULL: anonymous */
    void *user;         /* what the loader returned for id */
    int loaded;         /* the loader ran for id */
} ctx_login_cache_t;

/* A new id (NULL: anonymous) for the request: the user is forgotten. */
void ctx_login_cache_set(ctx_login_cache_t *uc, const char *id);

/* The user of uc->id: fn(baton, id) the first time, the same result after
 * (NULL too: an unknown user is not asked for again). NULL when anonymous
 * or without fn. */
void *ctx_login_cache_user(ctx_login_cache_t *uc, ctx_login_load_fn *fn,
                           void *baton);

#endif

/* ctx_keys: the secret keys of a site and the keys derived from them.
 *
 * A keyring holds the current secret (index 0, used to sign and encrypt)
 * and fallbacks (indexes 1.., only accepted when verifying: key rotation).
 * Each secret yields one key per purpose, derived once when it is added:
 *   CTX_KEY_SIGN     HKDF-SHA256(secret, info "mod_ctx session signing v1")
 *   CTX_KEY_ENCRYPT  HKDF-SHA256(secret, info "mod_ctx session encryption v1")
 *   CTX_KEY_FLASK    HMAC-SHA1(secret, "cookie-session"), as itsdangerous
 *   CTX_KEY_ID       HKDF-SHA256(secret, info "mod_ctx session id v1"),
 *                    signs server-side session ids (ctx_session_id.h)
 * so a signing key never doubles as an encryption key. */
#ifndef CTX_KEYS_H
#define CTX_KEYS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_user.h>

/* Used inside mod_ctx.so only: hidden, so its calls are direct, not
 * through the PLT. */
#pragma GCC visibility push(hidden)

typedef enum {
    CTX_KEY_SIGN = 0,
    CTX_KEY_ENCRYPT,
    CTX_KEY_FLASK,
    CTX_KEY_ID,
    CTX_KEY_PURPOSES
} ctx_key_purpose_t;

#define CTX_KEY_MAX_LEN 32

/* The strength rule for configured secrets (the glue refuses a weak one
 * unless CtxSecretKeyAllowWeak On): at least CTX_KEY_MIN_LEN bytes, with at
 * least CTX_KEY_MIN_DISTINCT different byte values (catches "aaaa...",
 * "abababab..." and the like; a random base64 or hex string of 32 characters
 * has about 25 or 14). Not an entropy estimate: it refuses only the
 * obviously weak. */
#define CTX_KEY_MIN_LEN 32
#define CTX_KEY_MIN_DISTINCT 8

typedef enum {
    CTX_SECRET_OK = 0,
    CTX_SECRET_TOO_SHORT,       /* fewer than CTX_KEY_MIN_LEN bytes */
    CTX_SECRET_TOO_UNIFORM      /* fewer than CTX_KEY_MIN_DISTINCT values */
} ctx_secret_strength_t;

/* Apply the strength rule to `len` bytes at `secret` (NUL bytes count);
 * *distinct (if not NULL) is set to the number of different byte values. */
ctx_secret_strength_t ctx_secret_strength(const void *secret, apr_size_t len,
                                          int *distinct);

typedef struct ctx_keyring_t ctx_keyring_t;

/* An empty keyring in `p`; derived key material is wiped when `p` is
 * destroyed. */
ctx_keyring_t *ctx_keyring_create(apr_pool_t *p);

/* Add a secret of `len` bytes: the first one added is the current key, the
 * following ones are fallbacks, tried in the order they were added. The
 * secret itself is not kept. APR_EINVAL for an empty secret, APR_EGENERAL if
 * OpenSSL fails. */
apr_status_t ctx_keyring_add(ctx_keyring_t *kr, const void *secret,
                             apr_size_t len);

/* What a keyring holds, visible only for the inline lookups below (run
 * per cookie): use the functions. */
typedef struct {
    unsigned char key[CTX_KEY_PURPOSES][CTX_KEY_MAX_LEN];
    apr_size_t len[CTX_KEY_PURPOSES];
    apr_uint64_t id[CTX_KEY_PURPOSES];  /* see ctx_keyring_key_id */
} ctx_key_set_t;

struct ctx_keyring_t {
    apr_array_header_t *sets;   /* ctx_key_set_t */
};

/* Number of secrets (current + fallbacks). */
static inline int ctx_keyring_count(const ctx_keyring_t *kr)
{
    return kr ? kr->sets->nelts : 0;
}

/* The derived key for `purpose` of secret `idx` (0 = current), *len set to
 * its length; NULL if idx is out of range. Owned by the keyring. */
const unsigned char *ctx_keyring_key(const ctx_keyring_t *kr, int idx,
                                     ctx_key_purpose_t purpose,
                                     apr_size_t *len);

/* ctx_keyring_key, and *id (if not NULL) set to the key's number: never 0,
 * and never given to another key in this process, even one added after
 * this keyring was freed, at the same address. A per-thread cache of keyed
 * contexts finds its entry by it without comparing the key's bytes. */
static inline const unsigned char *
ctx_keyring_key_id(const ctx_keyring_t *kr, int idx,
                   ctx_key_purpose_t purpose, apr_size_t *len,
                   apr_uint64_t *id)
{
    const ctx_key_set_t *set;

    if (!kr || idx < 0 || idx >= kr->sets->nelts || (int)purpose < 0
        || purpose >= CTX_KEY_PURPOSES) {
        return NULL;
    }
    set = (const ctx_key_set_t *)kr->sets->elts + idx;
    if (len) {
        *len = set->len[purpose];
    }
    if (id) {
        *id = set->id[purpose];
    }
    return set->key[purpose];
}

/* Read a secret from a file in `p`: the whole content, with one trailing
 * newline (LF or CRLF) removed. APR_EACCES if the file is readable by group
 * or others (*err explains), APR_EINVAL if empty, else the I/O error. */
apr_status_t ctx_keyring_read_file(apr_pool_t *p, const char *path,
                                   const char **secret, apr_size_t *len,
                                   const char **err);

/* Who owns a key file, for the caller's ownership rule. */
typedef struct {
    apr_uid_t owner;        /* of the file that was read */
    int is_link;            /* `path` itself is a symbolic link */
    apr_uid_t link_owner;   /* of that link (if is_link) */
} ctx_key_file_info_t;

/* ctx_keyring_read_file, and *info set (when it succeeds) from the open file
 * that was read and from lstat() of `path`. */
apr_status_t ctx_keyring_read_file_info(apr_pool_t *p, const char *path,
                                        const char **secret, apr_size_t *len,
                                        ctx_key_file_info_t *info,
                                        const char **err);

#pragma GCC visibility pop

#endif

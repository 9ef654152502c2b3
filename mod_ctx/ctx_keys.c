/* ctx_keys: see ctx_keys.h. */
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "ctx_keys.h"

typedef ctx_key_set_t key_set_t;

/* The last key id handed out in this process: only counted up (at
 * configuration time), so an id is never given twice, even to a key that
 * later sits at the address of a freed one. */
static apr_uint64_t last_id;

static apr_status_t wipe(void *data)
{
    apr_array_header_t *sets = data;

    OPENSSL_cleanse(sets->elts, (size_t)sets->nalloc * sets->elt_size);
    return APR_SUCCESS;
}

ctx_keyring_t *ctx_keyring_create(apr_pool_t *p)
{
    ctx_keyring_t *kr = apr_pcalloc(p, sizeof(*kr));

    kr->sets = apr_array_make(p, 4, sizeof(key_set_t));
    apr_pool_cleanup_register(p, kr->sets, wipe, apr_pool_cleanup_null);
    return kr;
}

static int hkdf_sha256(unsigned char *out, apr_size_t outlen,
                       const void *secret, apr_size_t len, const char *info)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[5], *p = params;
    static const char salt[] = "mod_ctx";
    int ok = 0;

    if (kctx) {
        *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                                (char *)"SHA256", 0);
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                 (void *)secret, len);
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                 (void *)salt,
                                                 sizeof(salt) - 1);
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                 (void *)info, strlen(info));
        *p = OSSL_PARAM_construct_end();
        ok = EVP_KDF_derive(kctx, out, outlen, params) == 1;
    }
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    return ok;
}

apr_status_t ctx_keyring_add(ctx_keyring_t *kr, const void *secret,
                             apr_size_t len)
{
    key_set_t set;
    unsigned int flen = 0;
    static const char salt[] = "cookie-session";

    if (!kr || !secret || len == 0) {
        return APR_EINVAL;
    }
    memset(&set, 0, sizeof(set));
    set.len[CTX_KEY_SIGN] = set.len[CTX_KEY_ENCRYPT] = set.len[CTX_KEY_ID] = 32;
    if (!hkdf_sha256(set.key[CTX_KEY_SIGN], 32, secret, len,
                     "mod_ctx session signing v1")
        || !hkdf_sha256(set.key[CTX_KEY_ENCRYPT], 32, secret, len,
                        "mod_ctx session encryption v1")
        || !hkdf_sha256(set.key[CTX_KEY_ID], 32, secret, len,
                        "mod_ctx session id v1")
        || !HMAC(EVP_sha1(), secret, (int)len, (const unsigned char *)salt,
                 sizeof(salt) - 1, set.key[CTX_KEY_FLASK], &flen)) {
        OPENSSL_cleanse(&set, sizeof(set));
        return APR_EGENERAL;
    }
    set.len[CTX_KEY_FLASK] = flen;
    for (int i = 0; i < CTX_KEY_PURPOSES; ++i) {
        set.id[i] = __atomic_add_fetch(&last_id, 1, __ATOMIC_RELAXED);
    }
    *(key_set_t *)apr_array_push(kr->sets) = set;
    OPENSSL_cleanse(&set, sizeof(set));
    return APR_SUCCESS;
}

const unsigned char *ctx_keyring_key(const ctx_keyring_t *kr, int idx,
                                     ctx_key_purpose_t purpose,
                                     apr_size_t *len)
{
    return ctx_keyring_key_id(kr, idx, purpose, len, NULL);
}

ctx_secret_strength_t ctx_secret_strength(const void *secret, apr_size_t len,
                                          int *distinct)
{
    const unsigned char *b = secret;
    unsigned char seen[256];
    int n = 0;

    memset(seen, 0, sizeof(seen));
    for (apr_size_t i = 0; b && i < len; ++i) {
        n += !seen[b[i]];
        seen[b[i]] = 1;
    }
    if (distinct) {
        *distinct = n;
    }
    if (!b || len < CTX_KEY_MIN_LEN) {
        return CTX_SECRET_TOO_SHORT;
    }
    return n < CTX_KEY_MIN_DISTINCT ? CTX_SECRET_TOO_UNIFORM : CTX_SECRET_OK;
}

apr_status_t ctx_keyring_read_file(apr_pool_t *p, const char *path,
                                   const char **secret, apr_size_t *len,
                                   const char **err)
{
    ctx_key_file_info_t info;

    return ctx_keyring_read_file_info(p, path, secret, len, &info, err);
}

apr_status_t ctx_keyring_read_file_info(apr_pool_t *p, const char *path,
                                        const char **secret, apr_size_t *len,
                                        ctx_key_file_info_t *info,
                                        const char **err)
{
    apr_finfo_t fi, li;
    apr_file_t *f;
    apr_status_t rv;
    char *buf;
    apr_size_t n;

    *err = NULL;
    rv = apr_stat(&li, path, APR_FINFO_LINK | APR_FINFO_TYPE | APR_FINFO_USER,
                  p);
    if (rv == APR_SUCCESS || rv == APR_INCOMPLETE) {
        rv = apr_stat(&fi, path, APR_FINFO_PROT | APR_FINFO_SIZE
                                 | APR_FINFO_TYPE, p);
    }
    if (rv != APR_SUCCESS) {
        *err = "cannot be read";
        return rv;
    }
    if (fi.filetype != APR_REG) {
        *err = "is not a regular file";
        return APR_EINVAL;
    }
    if (fi.protection & (APR_GREAD | APR_GWRITE | APR_WREAD | APR_WWRITE)) {
        *err = "is readable or writable by group or others "
               "(chmod 600 or 400 it, owned by the user that starts httpd)";
        return APR_EACCES;
    }
    if (fi.size <= 0 || fi.size > 4096) {
        *err = fi.size <= 0 ? "is empty" : "is larger than 4096 bytes";
        return APR_EINVAL;
    }
    if ((rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                            APR_OS_DEFAULT, p)) != APR_SUCCESS) {
        *err = "cannot be opened";
        return rv;
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    rv = apr_file_read_full(f, buf, n, &n);
    if (rv == APR_SUCCESS) {
        /* The owner of what was read, not of what the path names now. */
        apr_finfo_t ofi;

        rv = apr_file_info_get(&ofi, APR_FINFO_USER, f);
        if (rv == APR_INCOMPLETE && (ofi.valid & APR_FINFO_USER)) {
            rv = APR_SUCCESS;
        }
        info->owner = ofi.user;
    }
    apr_file_close(f);
    if (rv != APR_SUCCESS) {
        *err = "cannot be read";
        return rv;
    }
    info->is_link = li.filetype == APR_LNK;
    info->link_owner = li.user;
    if (n > 0 && buf[n - 1] == '\n') --n;
    if (n > 0 && buf[n - 1] == '\r') --n;
    if (n == 0) {
        *err = "holds only a newline";
        return APR_EINVAL;
    }
    buf[n] = '\0';
    *secret = buf;
    *len = n;
    return APR_SUCCESS;
}

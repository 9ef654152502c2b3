/* ctx_login: Flask-Login's remember cookie, session identifier and key
 * sets, and the next= check (see ctx_login.h). */
#include <pthread.h>
#include <string.h>

#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "ctx_login.h"
#include "ctx_session.h"

const char *const ctx_login_session_keys[] = {
    "_user_id", "_remember", "_remember_seconds", "_id", "_fresh", "next",
    NULL
};

static EVP_MAC *hmac_alg;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
    hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* HMAC-SHA512 of the two parts (b may be NULL) into out[64]. */
static int hmac512(const unsigned char *key, apr_size_t klen,
                   const void *a, apr_size_t alen, const void *b,
                   apr_size_t blen, unsigned char *out)
{
    EVP_MAC_CTX *h;
    OSSL_PARAM params[2];
    size_t olen = 0;
    int ok;

    pthread_once(&hmac_once, hmac_fetch);
    if (!hmac_alg || !(h = EVP_MAC_CTX_new(hmac_alg))) {
        return 0;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)"SHA512", 0);
    params[1] = OSSL_PARAM_construct_end();
    ok = EVP_MAC_init(h, key, klen, params)
         && EVP_MAC_update(h, a, alen)
         && (!b || EVP_MAC_update(h, b, blen))
         && EVP_MAC_final(h, out, &olen, 64) && olen == 64;
    EVP_MAC_CTX_free(h);
    return ok;
}

static char *hex(apr_pool_t *p, const unsigned char *d, apr_size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *out = apr_palloc(p, 2 * n + 1);

    for (apr_size_t i = 0; i < n; ++i) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}

apr_status_t ctx_login_key_flask(ctx_login_key_t *k, const void *secret,
                                 apr_size_t len)
{
    unsigned int dlen = 0;

    if (!k || !secret || !len) {
        return APR_EINVAL;
    }
    if (len <= sizeof(k->bytes)) {
        memcpy(k->bytes, secret, len);
        k->len = len;
        return APR_SUCCESS;
    }
    /* HMAC's own rule for a key longer than the block. */
    if (!EVP_Digest(secret, len, k->bytes, &dlen, EVP_sha512(), NULL)) {
        return APR_EGENERAL;
    }
    k->len = dlen;
    return APR_SUCCESS;
}

apr_status_t ctx_login_key_app(ctx_login_key_t *k, const void *secret,
                               apr_size_t len, const char *app)
{
    static const char label[] = "mod_ctx remember v1";   /* NUL included */

    if (!k || !secret || !len || !app) {
        return APR_EINVAL;
    }
    if (!hmac512(secret, len, label, sizeof(label), app, strlen(app),
                 k->bytes)) {
        return APR_EGENERAL;
    }
    k->len = 64;
    return APR_SUCCESS;
}

char *ctx_login_digest(apr_pool_t *p, const ctx_login_key_t *k,
                       const char *payload, apr_size_t len)
{
    unsigned char mac[64];

    if (!hmac512(k->bytes, k->len, payload, len, NULL, 0, mac)) {
        return NULL;
    }
    return hex(p, mac, sizeof(mac));
}

char *ctx_login_remember_encode(apr_pool_t *p, const ctx_login_key_t *k,
                                const char *id)
{
    char *d = ctx_login_digest(p, k, id, strlen(id));

    return d ? apr_pstrcat(p, id, "|", d, NULL) : NULL;
}

apr_status_t ctx_login_remember_decode(apr_pool_t *p,
                                       const ctx_login_key_t *keys, int n,
                                       const char *cookie, const char **id)
{
    const char *bar;
    char *payload;
    int ok = 0;

    if (!cookie || !id || !(bar = strrchr(cookie, '|'))
        || strlen(bar + 1) != 128) {
        return APR_EINVAL;
    }
    payload = apr_pstrmemdup(p, cookie, (apr_size_t)(bar - cookie));
    for (int i = 0; i < n && !ok; ++i) {
        char *d = ctx_login_digest(p, &keys[i], payload, strlen(payload));

        /* constant time over the 128 digits */
        ok = d && CRYPTO_memcmp(d, bar + 1, 128) == 0;
    }
    if (!ok || !ctx_login_id_valid(payload, 1)) {
        return APR_EINVAL;
    }
    *id = payload;
    return APR_SUCCESS;
}

int ctx_login_id_valid(const char *id, int for_cookie)
{
    apr_size_t n = 0;

    if (!id || !*id) {
        return 0;
    }
    for (const unsigned char *s = (const unsigned char *)id; *s; ++s, ++n) {
        if (n >= CTX_LOGIN_ID_MAX || *s < 0x20 || *s == 0x7f) {
            return 0;
        }
        if (for_cookie && (*s == ' ' || *s == '"' || *s == ',' || *s == ';'
                           || *s == '\\' || *s >= 0x80)) {
            return 0;
        }
    }
    return 1;
}

/* Append Python's repr of the bytes that `s` (a header value read as
 * Latin-1, then encoded in UTF-8) becomes: b'...' (or b"..." when it holds
 * a ' and no "), as bytes.__repr__ writes it. */
static void bytes_repr(apr_pool_t *p, struct iovec *v, const char *s,
                       apr_size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char quote = (memchr(s, '\'', n) && !memchr(s, '"', n)) ? '"' : '\'';
    char *out = apr_palloc(p, 8 * n + 4), *o = out;

    *o++ = 'b';
    *o++ = quote;
    for (apr_size_t i = 0; i < n; ++i) {
        unsigned char c = (unsigned char)s[i];
        unsigned char u[2];
        int m = 1;

        u[0] = c;
        if (c >= 0x80) {            /* Latin-1 code point in UTF-8 */
            u[0] = (unsigned char)(0xc0 | (c >> 6));
            u[1] = (unsigned char)(0x80 | (c & 0x3f));
            m = 2;
        }
        for (int j = 0; j < m; ++j) {
            c = u[j];
            if (c == (unsigned char)quote || c == '\\') {
                *o++ = '\\';
                *o++ = (char)c;
            }
            else if (c == '\t' || c == '\n' || c == '\r') {
                *o++ = '\\';
                *o++ = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
            }
            else if (c < 0x20 || c >= 0x7f) {
                *o++ = '\\';
                *o++ = 'x';
                *o++ = digits[c >> 4];
                *o++ = digits[c & 15];
            }
            else {
                *o++ = (char)c;
            }
        }
    }
    *o++ = quote;
    v->iov_base = out;
    v->iov_len = (apr_size_t)(o - out);
}

static int py_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'
           || c == '\f';
}

char *ctx_login_identifier(apr_pool_t *p, const char *addr, const char *xff,
                           const char *agent)
{
    struct iovec v[3];
    unsigned char md[64];
    unsigned int mdlen = 0;
    const char *a = xff ? xff : addr;
    char *base;
    apr_size_t blen;
    EVP_MD_CTX *h;
    int ok;

    if (a) {
        /* address.split(b",")[0].strip() */
        apr_size_t n = strcspn(a, ",");

        while (n && py_space(*a)) {
            ++a;
            --n;
        }
        while (n && py_space(a[n - 1])) {
            --n;
        }
        bytes_repr(p, &v[0], a, n);
    }
    else {
        v[0].iov_base = (char *)"None";
        v[0].iov_len = 4;
    }
    v[1].iov_base = (char *)"|";
    v[1].iov_len = 1;
    if (agent) {
        bytes_repr(p, &v[2], agent, strlen(agent));
    }
    else {
        v[2].iov_base = (char *)"None";
        v[2].iov_len = 4;
    }
    base = apr_pstrcatv(p, v, 3, &blen);
    if (!(h = EVP_MD_CTX_new())) {
        return NULL;
    }
    ok = EVP_DigestInit_ex(h, EVP_sha512(), NULL)
         && EVP_DigestUpdate(h, base, blen)
         && EVP_DigestFinal_ex(h, md, &mdlen);
    EVP_MD_CTX_free(h);
    return ok ? hex(p, md, mdlen) : NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* One round of the checks on `s` (n bytes): the text as sent (`raw`) must
 * be plain printable ASCII without backslash; every decoding of it must
 * still start with a single '/' and hold no control character. */
static int local_path(const char *s, apr_size_t n, int raw)
{
    if (n == 0 || s[0] != '/' || (n > 1 && (s[1] == '/' || s[1] == '\\'))) {
        return 0;
    }
    for (apr_size_t i = 0; i < n; ++i) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7f
            || (raw && (c == ' ' || c >= 0x80 || c == '\\'))) {
            return 0;
        }
    }
    return 1;
}

int ctx_login_next_is_safe(const char *next)
{
    char buf[CTX_LOGIN_NEXT_MAX + 1];
    apr_size_t n;

    if (!next || (n = strlen(next)) == 0 || n > CTX_LOGIN_NEXT_MAX) {
        return 0;
    }
    memcpy(buf, next, n + 1);
    /* Whatever decodes it later (a browser, a proxy, a second unquote)
     * must still see a local path: check every decoding, at most 4. */
    for (int round = 0; round < 4; ++round) {
        apr_size_t o = 0;
        int changed = 0;

        if (!local_path(buf, n, round == 0)) {
            return 0;
        }
        for (apr_size_t i = 0; i < n; ++i) {
            int h, l;

            if (buf[i] == '%' && i + 2 < n && (h = hexval(buf[i + 1])) >= 0
                && (l = hexval(buf[i + 2])) >= 0) {
                buf[o++] = (char)(h * 16 + l);
                i += 2;
                changed = 1;
            }
            else {
                buf[o++] = buf[i];
            }
        }
        if (!changed) {
            return 1;
        }
        if (memchr(buf, '\0', o)) {
            return 0;           /* %00 */
        }
        n = o;
        buf[n] = '\0';
    }
    return 0;                   /* still encoded after 4 rounds */
}

char *ctx_login_quote(apr_pool_t *p, const char *next)
{
    static const char digits[] = "0123456789ABCDEF";
    apr_size_t n = strlen(next);
    char *out = apr_palloc(p, 3 * n + 1), *o = out;

    for (const unsigned char *s = (const unsigned char *)next; *s; ++s) {
        if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')
            || (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'
            || *s == '_' || *s == '~') {
            *o++ = (char)*s;
        }
        else {
            *o++ = '%';
            *o++ = digits[*s >> 4];
            *o++ = digits[*s & 15];
        }
    }
    *o = '\0';
    return out;
}

/* ---- the login in a session ---------------------------------------------- */

apr_status_t ctx_login_store(ctx_session_t *s, const char *id, int fresh,
                             const char *ident)
{
    apr_status_t rv;

    if (!s || !ctx_login_id_valid(id, 0) || !ident) {
        return APR_EINVAL;
    }
    if ((rv = ctx_session_set(s, CTX_LOGIN_KEY_USER_ID, json_string(id)))
            != APR_SUCCESS
        || (rv = ctx_session_set(s, CTX_LOGIN_KEY_FRESH, json_boolean(fresh)))
            != APR_SUCCESS
        || (rv = ctx_session_set(s, CTX_LOGIN_KEY_ID, json_string(ident)))
            != APR_SUCCESS) {
        return rv;
    }
    ctx_session_remove(s, CTX_LOGIN_KEY_REMEMBER);
    ctx_session_remove(s, CTX_LOGIN_KEY_REMEMBER_SECONDS);
    return APR_SUCCESS;
}

apr_status_t ctx_login_forget(ctx_session_t *s)
{
    static const char *const keys[] = {
        CTX_LOGIN_KEY_USER_ID, CTX_LOGIN_KEY_FRESH, CTX_LOGIN_KEY_ID,
        CTX_LOGIN_KEY_REMEMBER_SECONDS, CTX_LOGIN_KEY_REMEMBER, NULL
    };
    apr_status_t rv = APR_SUCCESS;

    if (!s) {
        return APR_EINVAL;
    }
    for (int i = 0; keys[i]; ++i) {
        apr_status_t r = ctx_session_remove(s, keys[i]);

        if (r != APR_SUCCESS && r != APR_NOTFOUND && rv == APR_SUCCESS) {
            rv = r;
        }
    }
    return rv;
}

const char *ctx_login_session_user(apr_pool_t *p, ctx_session_t *s)
{
    json_t *v = s ? ctx_session_get(s, CTX_LOGIN_KEY_USER_ID) : NULL;
    const char *id = NULL;

    if (json_is_string(v)) {
        id = apr_pstrmemdup(p, json_string_value(v), json_string_length(v));
    }
    else if (json_is_integer(v)) {
        id = apr_psprintf(p, "%" APR_INT64_T_FMT,
                          (apr_int64_t)json_integer_value(v));
    }
    return ctx_login_id_valid(id, 0) ? id : NULL;
}

int ctx_login_session_fresh(ctx_session_t *s)
{
    return s && json_is_true(ctx_session_get(s, CTX_LOGIN_KEY_FRESH));
}

int ctx_login_protect(ctx_session_t *s, ctx_login_protection_t mode,
                      const char *ident)
{
    json_t *sid, *fresh;

    if (!s || mode == CTX_LOGIN_PROTECT_OFF || !ident
        || json_object_size(ctx_session_data(s)) == 0) {
        return 0;
    }
    sid = ctx_session_get(s, CTX_LOGIN_KEY_ID);
    if (json_is_string(sid) && !strcmp(json_string_value(sid), ident)) {
        return 0;
    }
    if (mode == CTX_LOGIN_PROTECT_BASIC || ctx_session_is_permanent(s)) {
        fresh = ctx_session_get(s, CTX_LOGIN_KEY_FRESH);
        if (!json_is_false(fresh)) {
            ctx_session_set(s, CTX_LOGIN_KEY_FRESH, json_false());
        }
        return 0;
    }
    for (int i = 0; ctx_login_session_keys[i]; ++i) {
        ctx_session_remove(s, ctx_login_session_keys[i]);
    }
    return 1;
}

/* ---- the user of one request --------------------------------------------- */

void ctx_login_cache_set(ctx_login_cache_t *uc, const char *id)
{
    uc->id = id;
    uc->user = NULL;
    uc->loaded = 0;
}

void *ctx_login_cache_user(ctx_login_cache_t *uc, ctx_login_load_fn *fn,
                           void *baton)
{
    if (!uc->id || !fn) {
        return NULL;
    }
    if (!uc->loaded) {
        uc->user = fn(baton, uc->id);
        uc->loaded = 1;
    }
    return uc->user;
}

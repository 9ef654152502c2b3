/* ctx_cookie: see ctx_cookie.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* strchrnul */
#endif
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "ctx_cookie.h"

int ctx_cookie_find(const char *header, const char *name,
                    ctx_cookie_value_fn *fn, void *baton)
{
    apr_size_t nlen = strlen(name);
    const char *s = header;

    /* The pair's name is what comes before its first '=': a name that
     * holds one never matches. */
    if (memchr(name, '=', nlen)) {
        return 1;
    }
    /* One pass: each pair is read up to its ';' (or the end) once. Pairs
     * end at ';' only: a ',' (with or without a space) may be inside
     * another cookie's value ("pref=dark, session=..."), so splitting
     * there would let that value plant a session. */
    while (s && *s) {
        const char *pend;

        while (*s == ' ' || *s == '\t') ++s;
        /* Ours when the name and a '=' start the pair (strncmp stops at
         * a shorter pair's end). */
        if (!strncmp(s, name, nlen) && s[nlen] == '=') {
            const char *v = s + nlen + 1;
            /* No cookie-octet is a ',': what follows a bare one is not
             * part of the session value, and the pair goes on to its
             * ';'. */
            const char *vend = v + strcspn(v, ";,");

            pend = *vend == ',' ? strchrnul(vend, ';') : vend;
            while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t')) --vend;
            if (!fn(baton, v, (apr_size_t)(vend - v))) {
                return 0;
            }
        }
        else {
            pend = strchrnul(s, ';');
        }
        s = *pend ? pend + 1 : NULL;
    }
    return 1;
}

int ctx_cookie_name_ok(const char *name)
{
    static const char separators[] = "()<>@,;:\\\"/[]?={} \t";

    if (!name || !*name) {
        return 0;
    }
    for (const char *c = name; *c; ++c) {
        if (*c <= 0x20 || *c >= 0x7f || strchr(separators, *c)) {
            return 0;
        }
    }
    return 1;
}

int ctx_cookie_attr_ok(const char *v)
{
    if (!v || !*v) {
        return 0;
    }
    for (const char *c = v; *c; ++c) {
        if (*c < 0x21 || *c > 0x7e || *c == ';' || *c == ',') {
            return 0;
        }
    }
    return 1;
}

/* The attributes after the value (and Expires/Max-Age) into vec, with
 * `secure` in place of a->secure; the number of parts. */
static int attr_parts(const ctx_cookie_attrs_t *a, int secure,
                      struct iovec *vec)
{
    static const char *const samesite[] = { NULL, "Lax", "Strict", "None" };
    int n = 0;

#define PART(s) (vec[n].iov_base = (void *)(s), vec[n].iov_len = strlen(s), ++n)
#define PART_LIT(s) (vec[n].iov_base = (void *)(s), vec[n].iov_len = sizeof(s) - 1, ++n)
    if (a->domain) {
        PART_LIT("; Domain=");
        PART(a->domain);
    }
    if (secure) PART_LIT("; Secure");
    if (a->httponly) PART_LIT("; HttpOnly");
    if (a->path) {
        PART_LIT("; Path=");
        PART(a->path);
    }
    if (a->samesite != CTX_SAMESITE_UNSET) {
        PART_LIT("; SameSite=");
        PART(samesite[a->samesite]);
    }
    if (a->partitioned) PART_LIT("; Partitioned");
#undef PART
#undef PART_LIT
    return n;
}

void ctx_cookie_attrs_prepare(apr_pool_t *p, ctx_cookie_attrs_t *a)
{
    struct iovec vec[12];

    for (int secure = 0; secure < 2; ++secure) {
        int n = attr_parts(a, secure, vec);

        a->tail[secure] = apr_pstrcatv(p, vec, (apr_size_t)n,
                                       &a->tail_len[secure]);
    }
    a->name_len = strlen(a->name);
}

char *ctx_cookie_build_len(apr_pool_t *p, const ctx_cookie_attrs_t *a,
                           const char *value, apr_size_t vlen,
                           apr_int64_t expires, apr_int64_t max_age,
                           apr_size_t *len)
{
    static const char deleted[] =
        "; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0";
    struct iovec vec[16];
    char date[APR_RFC822_DATE_LEN];
    int n = 0, secure = a->secure ? 1 : 0;

    if (value && expires <= 0 && a->tail[secure]) {
        /* A browser-session cookie with prepared attributes, as most
         * saves send: one allocation, three copies. */
        apr_size_t nl = a->name_len, tl = a->tail_len[secure];
        char *h = apr_palloc(p, nl + 1 + vlen + tl + 1);

        memcpy(h, a->name, nl);
        h[nl] = '=';
        memcpy(h + nl + 1, value, vlen);
        memcpy(h + nl + 1 + vlen, a->tail[secure], tl + 1);
        if (len) {
            *len = nl + 1 + vlen + tl;
        }
        return h;
    }
    /* Every part is a constant or a string we hold: one copy at the end. */
#define PART(s) (vec[n].iov_base = (void *)(s), vec[n].iov_len = strlen(s), ++n)
#define PART_LIT(s) (vec[n].iov_base = (void *)(s), vec[n].iov_len = sizeof(s) - 1, ++n)
    if (a->tail[secure]) {
        vec[n].iov_base = (void *)a->name;
        vec[n++].iov_len = a->name_len;
    }
    else {
        PART(a->name);
    }
    PART_LIT("=");
    if (!value) {
        PART_LIT(deleted);
    }
    else {
        vec[n].iov_base = (void *)value;
        vec[n++].iov_len = vlen;
    }
    if (value && expires > 0) {
        apr_rfc822_date(date, apr_time_from_sec(expires));
        PART(apr_psprintf(p, "; Expires=%s; Max-Age=%" APR_INT64_T_FMT,
                          date, max_age));
    }
#undef PART
#undef PART_LIT
    if (a->tail[secure]) {
        vec[n].iov_base = (void *)a->tail[secure];
        vec[n++].iov_len = a->tail_len[secure];
    }
    else {
        n += attr_parts(a, secure, vec + n);
    }
    return apr_pstrcatv(p, vec, (apr_size_t)n, len);
}

char *ctx_cookie_build(apr_pool_t *p, const ctx_cookie_attrs_t *a,
                       const char *value, apr_int64_t expires,
                       apr_int64_t max_age)
{
    return ctx_cookie_build_len(p, a, value, value ? strlen(value) : 0,
                                expires, max_age, NULL);
}

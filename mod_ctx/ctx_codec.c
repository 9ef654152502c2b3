/* ctx_codec: see ctx_codec.h. The entry points check their arguments and
 * hand the value to its format (ctx_codec_signed.c, ctx_codec_flask.c,
 * ctx_codec_encrypted.c); this file also counts the reasons and holds what
 * every format uses: the limits, the times, the bindings and the bounded
 * JSON parse (ctx_codec_private.h lists the files). */
#include <string.h>

#include <apr_atomic.h>

#include "ctx_b64.h"
#include "ctx_codec_private.h"
#include "ctx_json.h"
#include "ctx_status.h"

static apr_uint32_t reason_counts[CTX_REASON_COUNT];

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
    /* apr_atomic_inc32's lock xadd, inline (not through the PLT) */
    __atomic_fetch_add(&reason_counts[reason], 1, __ATOMIC_SEQ_CST);
    return reason;
}

/* ---- limits ------------------------------------------------------------- */

void ctx_codec_set_max_size(ctx_codec_t *codec, apr_size_t max_size)
{
    codec->max_json = CTX_CODEC_JSON_PER_BYTE * max_size;
    codec->max_values = max_size / 2;
}

int ctx_codec_json_fits(const ctx_codec_t *codec, apr_size_t jlen,
                        apr_size_t values)
{
    return jlen <= ctx_codec_max_json(codec)
           && values <= ctx_codec_max_values(codec);
}


/* ---- times -------------------------------------------------------------- */

/* 1 and *ts set if `len` bytes at `s` are such a time, else 0. */
static int decode_ts(const char *s, apr_size_t len, apr_int64_t *ts)
{
    apr_uint64_t v;

    if (len == 0 || ctx_b64url_decode_be(s, len, &v) < 1
        || v > (apr_uint64_t)APR_INT64_MAX) {
        return 0;
    }
    *ts = (apr_int64_t)v;
    return 1;
}

/* However often it was refreshed, a session ends max_lifetime after it was
 * created. */
ctx_reason_t ctx_codec_check_lifetime(const ctx_codec_t *codec,
                                      apr_int64_t created, apr_int64_t now)
{
    if (codec->max_lifetime > 0 && now - created > codec->max_lifetime) {
        return CTX_REASON_LIFETIME;
    }
    return CTX_REASON_OK;
}

ctx_reason_t ctx_codec_times(const ctx_codec_t *codec, const char *ts_s,
                             apr_size_t ts_len, const char *ct_s,
                             apr_size_t ct_len, apr_int64_t now,
                             apr_int64_t *ts, apr_int64_t *ct)
{
    if (!decode_ts(ts_s, ts_len, ts)
        || (ct_s && !decode_ts(ct_s, ct_len, ct))) {
        return CTX_REASON_BAD_ENCODING;
    }
    if (!ct_s) {
        *ct = *ts;
    }
    return ctx_codec_times_check(codec, *ts, *ct, now);
}

/* ---- wire pieces -------------------------------------------------------- */

ctx_reason_t ctx_codec_version(const ctx_codec_t *codec, ctx_format_t format,
                               const char *value,
                               apr_size_t len, const char *p2, const char *d2,
                               const char *p1, const char *d1, int *version,
                               ctx_codec_binding_t *b)
{
    if (len >= 3 && !memcmp(value, p2, 3)) {
        *version = 2;
    }
    else if (len >= 3 && !memcmp(value, p1, 3)) {
        *version = 1;
    }
    else {
        return CTX_REASON_MALFORMED;
    }
    if (*version == 1 && !codec->legacy) {
        return CTX_REASON_LEGACY;
    }
    if (*version == 2) {
        ctx_codec_binding_v2(codec, format, d2, b);
    }
    else {
        b->domain = d1;
        b->app = NULL;
        b->name = codec->cookie_name;
        b->ready = NULL;
    }
    return CTX_REASON_OK;
}

const ctx_codec_bound_t *ctx_codec_bind(apr_pool_t *p, ctx_format_t format,
                                        const char *app_name,
                                        const char *cookie_name)
{
    ctx_codec_binding_t b;
    ctx_codec_bound_t *r;
    apr_size_t len;

    if (!p || !app_name || !cookie_name
        || (format != CTX_FORMAT_SIGNED && format != CTX_FORMAT_ENCRYPTED)) {
        return NULL;
    }
    b.domain = format == CTX_FORMAT_SIGNED ? CTX_CODEC_SIGNED_DOMAIN
                                           : CTX_CODEC_ENCRYPTED_DOMAIN;
    b.app = app_name;
    b.name = cookie_name;
    b.ready = NULL;
    len = ctx_codec_bound_len(&b);
    /* zeros to CTX_CODEC_BOUND_COPY: copied whole by bound_prefix */
    r = apr_pcalloc(p, sizeof(*r) + (len > CTX_CODEC_BOUND_COPY
                                         ? len : CTX_CODEC_BOUND_COPY));
    r->format = format;
    r->app = app_name;
    r->name = cookie_name;
    r->len = ctx_codec_bound_write(r->bytes, &b);
    return r;
}

/* ctx_codec_bound_prefix when the bytes are not prepared, or too long */
apr_size_t ctx_codec_bound_prefix_built(unsigned char *out,
                                        const ctx_codec_binding_t *b,
                                        const char *tail, apr_size_t tlen)
{
    apr_size_t len = ctx_codec_bound_len(b);

    if (len + tlen > CTX_CODEC_PREFIX_MAX) {
        return 0;
    }
    ctx_codec_bound_write(out, b);
    if (tlen) {
        memcpy(out + len, tail, tlen);
    }
    return len + tlen;
}

apr_size_t ctx_codec_bound_len(const ctx_codec_binding_t *b)
{
    if (b->ready) {
        return b->ready->len;
    }
    return strlen(b->domain) + 1 + (b->app ? strlen(b->app) + 1 : 0)
           + strlen(b->name) + 1;
}

apr_size_t ctx_codec_bound_write(unsigned char *out,
                                 const ctx_codec_binding_t *b)
{
    unsigned char *o = out;

    if (b->ready) {
        memcpy(out, b->ready->bytes, b->ready->len);
        return b->ready->len;
    }
    o = (unsigned char *)stpcpy((char *)o, b->domain) + 1;
    if (b->app) {
        o = (unsigned char *)stpcpy((char *)o, b->app) + 1;
    }
    o = (unsigned char *)stpcpy((char *)o, b->name) + 1;
    return (apr_size_t)(o - out);
}

int ctx_codec_bind_pieces(ctx_codec_update_fn *update, void *ctx,
                          const ctx_codec_binding_t *b)
{
    return update(ctx, (const unsigned char *)b->domain,
                  strlen(b->domain) + 1)
           && (!b->app || update(ctx, (const unsigned char *)b->app,
                                 strlen(b->app) + 1))
           && update(ctx, (const unsigned char *)b->name,
                     strlen(b->name) + 1);
}

/* ---- entry points ------------------------------------------------------- */

/* Signed and encrypted bind the cookie's and the app's names. */
static int names_ok(const ctx_codec_t *codec)
{
    return codec->format == CTX_FORMAT_FLASK
           || (codec->cookie_name && codec->app_name);
}

ctx_reason_t ctx_codec_decode_flat(const ctx_codec_t *codec, apr_pool_t *p,
                                   const char *value, apr_size_t len,
                                   apr_int64_t now, ctx_flat_t **data,
                                   ctx_codec_meta_t *meta)
{
    ctx_flat_t *d = NULL;
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
    switch (codec->format) {
    case CTX_FORMAT_ENCRYPTED:
        reason = ctx_codec_decode_encrypted(codec, p, value, len, now, &d, &m);
        break;
    case CTX_FORMAT_FLASK:
        reason = ctx_codec_decode_flask(codec, p, value, len, now, &d, &m);
        break;
    default:
        reason = ctx_codec_decode_signed(codec, p, value, len, now, &d, &m);
        break;
    }
    if (reason == CTX_REASON_OK) {
        *data = d;
        if (meta) *meta = m;
    }
    return counted(reason);
}

ctx_reason_t ctx_codec_decode(const ctx_codec_t *codec, apr_pool_t *p,
                              const char *value, apr_size_t len,
                              apr_int64_t now, json_t **data,
                              ctx_codec_meta_t *meta)
{
    ctx_flat_t *f = NULL;
    ctx_reason_t reason;
    json_t *d;

    if (!data) {
        return ctx_codec_decode_flat(codec, p, value, len, now, NULL, meta);
    }
    reason = ctx_codec_decode_flat(codec, p, value, len, now, &f, meta);
    if (reason != CTX_REASON_OK) {
        return reason;
    }
    if (!(d = ctx_flat_to_json(f))) {
        return CTX_REASON_BAD_JSON;     /* no memory */
    }
    *data = d;
    return reason;
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
    if (jlen > ctx_codec_max_json(codec)) {
        return CTX_ETOOLARGE;   /* decode would refuse it */
    }
    if (created <= 0) {
        created = issued;       /* a new session */
    }
    switch (codec->format) {
    case CTX_FORMAT_ENCRYPTED:
        return ctx_codec_encode_encrypted(codec, p, json, jlen, issued,
                                          created, value, vlen);
    case CTX_FORMAT_FLASK:
        return ctx_codec_encode_flask(codec, p, json, jlen, issued, created,
                                      value, vlen);
    default:
        return ctx_codec_encode_signed(codec, p, json, jlen, issued, created,
                                       value, vlen);
    }
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

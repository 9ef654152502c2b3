/* ctx_codec_flask: Flask's session cookie, PAYLOAD "." TS "." SIG exactly
 * as Flask 3 / itsdangerous 2 write it (HMAC-SHA1 under the flask key,
 * nothing bound); the creation time rides in the session as "_ctx_created"
 * (see ctx_codec.h). */
#include "ctx_codec_private.h"
#include "ctx_json.h"
#include "ctx_session.h"
#include "ctx_status.h"

/* The flask format's creation time, inside the session's JSON. */
#define FLASK_CREATED_KEY CTX_SESSION_CREATED_KEY

static const ctx_codec_hmac_t flask_layout = {
    "", 0, CTX_CODEC_KEYED_HMAC_SHA1, CTX_KEY_FLASK, NULL, 0, 1
};

/* The flask format's creation time: "_ctx_created" when it is an integer
 * from 1 to the issue time, else the issue time (a session Flask made). */
static apr_int64_t flask_created(const ctx_flat_t *data, apr_int64_t issued)
{
    const ctx_flat_member_t *m = ctx_flat_get(data, FLASK_CREATED_KEY);
    apr_int64_t t = 0;

    if (!m || ctx_flat_int(m->text, m->tlen, &t) != APR_SUCCESS) {
        t = 0;
    }
    return (t > 0 && t <= issued) ? (apr_int64_t)t : issued;
}

/* `json` (*jlen bytes) with "_ctx_created" set to `created`, in `p`, *jlen
 * updated: APR_SUCCESS, APR_EINVAL if it is not a JSON object, or
 * CTX_ETOOLARGE if the key takes it past the bounds decoding applies (so
 * that what is issued is accepted). */
static apr_status_t flask_with_created(const ctx_codec_t *codec,
                                       apr_pool_t *p, const char **json,
                                       apr_size_t *jlen, apr_int64_t created)
{
    ctx_flat_t *o = NULL;
    char num[24], *out;
    apr_size_t n = ctx_json_format_int(num, created);

    /* The flat form: the other members' texts are copied, not rewritten. */
    if (ctx_flat_parse(p, *json, *jlen, 0, NULL, &o) != APR_SUCCESS
        || ctx_flat_set(o, FLASK_CREATED_KEY, num, n, 1) != APR_SUCCESS
        || !(out = ctx_flat_write(o, p, jlen))) {
        return APR_EINVAL;
    }
    *json = out;
    return ctx_codec_json_fits(codec, *jlen, ctx_flat_values(o))
           ? APR_SUCCESS : CTX_ETOOLARGE;
}

ctx_reason_t ctx_codec_decode_flask(const ctx_codec_t *codec, apr_pool_t *p,
                                    const char *value, apr_size_t len,
                                    apr_int64_t now, ctx_flat_t **data,
                                    ctx_codec_meta_t *meta)
{
    ctx_flat_t *d;
    apr_int64_t ct;
    ctx_reason_t reason = ctx_codec_hmac_decode(codec, &flask_layout, p,
                                                value, len, now, &d, meta);

    if (reason != CTX_REASON_OK) {
        return reason;
    }
    if ((ct = flask_created(d, meta->issued)) != meta->issued
        && (reason = ctx_codec_check_lifetime(codec, ct, now))
           != CTX_REASON_OK) {
        return reason;
    }
    *data = d;
    meta->created = ct;
    meta->legacy = 0;
    return CTX_REASON_OK;
}

apr_status_t ctx_codec_encode_flask(const ctx_codec_t *codec, apr_pool_t *p,
                                    const char *json, apr_size_t jlen,
                                    apr_int64_t issued, apr_int64_t created,
                                    const char **value, apr_size_t *vlen)
{
    apr_status_t rv;

    /* No room for a creation time but the session itself. */
    if (codec->max_lifetime > 0
        && (rv = flask_with_created(codec, p, &json, &jlen, created))
           != APR_SUCCESS) {
        return rv;
    }
    return ctx_codec_hmac_encode(codec, &flask_layout, p, json, jlen, issued,
                                 created, value, vlen);
}

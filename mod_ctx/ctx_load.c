/* ctx_load: see ctx_load.h. */
#include <string.h>

#include <apr_atomic.h>

#include "ctx_cookie.h"
#include "ctx_flat.h"
#include "ctx_load.h"

static apr_uint32_t conflicts;

apr_uint32_t ctx_load_conflicts(void)
{
    return apr_atomic_read32(&conflicts);
}

void ctx_load_init(ctx_load_t *l, const ctx_codec_t *codec, apr_pool_t *p,
                   apr_int64_t now)
{
    memset(l, 0, sizeof(*l));
    l->codec = codec;
    l->pool = p;
    l->now = now;
    l->first_failure = CTX_REASON_OK;
}

/* One candidate value; 0 once the choice is made. */
static int candidate(void *baton, const char *val, apr_size_t len)
{
    ctx_load_t *l = baton;
    ctx_flat_t *data = NULL;
    ctx_codec_meta_t meta;
    ctx_reason_t reason;

    ++l->seen;
    if (l->value && len == l->vlen && !memcmp(val, l->value, len)) {
        return 1;               /* the session again: no new decode */
    }
    if (l->tried >= CTX_LOAD_MAX_CANDIDATES) {
        l->more = 1;
        if (l->value) {
            /* An untried value could be a second valid session: a valid
             * one padded with junk must not outrank the client's own that
             * comes after it. Trust neither, as for a conflict. */
            l->data = NULL;
            memset(&l->meta, 0, sizeof(l->meta));
            l->conflict = 1;
            apr_atomic_inc32(&conflicts);
        }
        return 0;
    }
    ++l->tried;
    reason = ctx_codec_decode_flat(l->codec, l->pool, val, len, l->now, &data,
                              &meta);
    if (reason != CTX_REASON_OK) {
        if (l->first_failure == CTX_REASON_OK) {
            l->first_failure = reason;
        }
        return 1;
    }
    if (l->value) {
        /* A second, different session: trust neither. */
        l->data = NULL;
        memset(&l->meta, 0, sizeof(l->meta));
        l->conflict = 1;
        apr_atomic_inc32(&conflicts);
        return 0;
    }
    l->data = data;
    l->meta = meta;
    l->value = val;
    l->vlen = len;
    return 1;
}

int ctx_load_header(ctx_load_t *l, const char *header)
{
    if (l->conflict || l->more || !header || !l->codec->cookie_name) {
        return !l->conflict && !l->more;
    }
    return ctx_cookie_find(header, l->codec->cookie_name, candidate, l);
}

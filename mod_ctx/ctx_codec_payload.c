/* ctx_codec_payload: PAYLOAD of the signed and flask formats, base64url of
 * the JSON or, "."-prefixed, of its zlib form (ctx_codec_private.h). */
#include <string.h>

#include "ctx_codec_private.h"
#include "ctx_codec_zbound.h"

/* Inflate at most `limit` bytes: the buffer grows to limit + 1 at most, so
 * a bomb costs what the largest accepted session costs. */
static ctx_reason_t inflate_payload(apr_pool_t *p, const unsigned char *in,
                                    apr_size_t n, apr_size_t limit,
                                    char **out, apr_size_t *olen)
{
    z_stream *zsp = ctx_codec_inflater();
    apr_size_t cap = limit < 4096 ? limit + 1 : 4096;
    char *buf = apr_palloc(p, cap);
    int zr;
#define zs (*zsp)

    if (!zsp) {
        return CTX_REASON_BAD_COMPRESSION;
    }
    zs.next_in = (unsigned char *)in;
    zs.avail_in = (uInt)n;
    for (;;) {
        zs.next_out = (unsigned char *)buf + zs.total_out;
        zs.avail_out = (uInt)(cap - zs.total_out);
        zr = inflate(&zs, Z_NO_FLUSH);
        if (zr == Z_STREAM_END) {
            break;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            return CTX_REASON_BAD_COMPRESSION;
        }
        if (zs.avail_out == 0) {
            char *nb;

            if (cap > limit) {
                return CTX_REASON_OVERSIZED;
            }
            nb = apr_palloc(p, cap * 2 > limit ? limit + 1 : cap * 2);
            memcpy(nb, buf, zs.total_out);
            buf = nb;
            cap = cap * 2 > limit ? limit + 1 : cap * 2;
        }
        else if (zs.avail_in == 0) {
            return CTX_REASON_BAD_COMPRESSION;  /* truncated stream */
        }
    }
    if (zs.avail_in != 0) {
        return CTX_REASON_BAD_COMPRESSION;      /* garbage after the end */
    }
    if (zs.total_out > limit) {
        return CTX_REASON_OVERSIZED;
    }
    *out = buf;
    *olen = zs.total_out;
    return CTX_REASON_OK;
#undef zs
}

ctx_reason_t ctx_codec_decode_payload(apr_pool_t *p, const char *s,
                                      apr_size_t len, apr_size_t limit,
                                      char **json, apr_size_t *jlen)
{
    int compressed = len > 0 && s[0] == '.';
    unsigned char *raw;
    apr_size_t n;

    if (compressed) {
        ++s;
        --len;
    }
    if (!(raw = ctx_codec_b64_dup(p, s, len, &n))) {
        return CTX_REASON_BAD_ENCODING;
    }
    if (compressed) {
        return inflate_payload(p, raw, n, limit, json, jlen);
    }
    if (n > limit) {
        return CTX_REASON_OVERSIZED;
    }
    *json = (char *)raw;
    *jlen = n;
    return CTX_REASON_OK;
}

const unsigned char *ctx_codec_payload_zbytes(apr_pool_t *p, const char *json,
                                              apr_size_t jlen, apr_size_t *n,
                                              int *compressed)
{
    z_stream *zs;
    apr_size_t cap;
    unsigned char *c;

    *compressed = 0;
    *n = jlen;
    /* Small JSON without repeats cannot come out shorter: spare the
     * deflateReset (a 64 KiB memset) and deflate of every save. */
    if (ctx_codec_zlib_cannot_shrink((const unsigned char *)json, jlen)) {
        return (const unsigned char *)json;
    }
    if (!(zs = ctx_codec_deflater())) {
        return NULL;
    }
    cap = deflateBound(zs, (uLong)jlen);
    c = apr_palloc(p, cap);
    zs->next_in = (Bytef *)json;
    zs->avail_in = (uInt)jlen;
    zs->next_out = c;
    zs->avail_out = (uInt)cap;
    if (deflate(zs, Z_FINISH) != Z_STREAM_END) {
        return NULL;
    }
    if (zs->total_out + 1 < jlen) {
        *compressed = 1;
        *n = zs->total_out;
        return c;
    }
    return (const unsigned char *)json;
}

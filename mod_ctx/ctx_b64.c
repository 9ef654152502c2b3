/* ctx_b64: see ctx_b64.h. */
#include "ctx_b64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

apr_size_t ctx_b64url_len(apr_size_t n)
{
    return (n / 3) * 4 + ((n % 3) ? (n % 3) + 1 : 0);
}

apr_size_t ctx_b64url_encode(char *out, const unsigned char *in, apr_size_t n)
{
    char *o = out;
    apr_size_t i = 0;

    for (; i + 3 <= n; i += 3) {
        unsigned v = ((unsigned)in[i] << 16) | ((unsigned)in[i + 1] << 8)
                     | in[i + 2];
        *o++ = alphabet[(v >> 18) & 63];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = alphabet[(v >> 6) & 63];
        *o++ = alphabet[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        *o++ = alphabet[(v >> 18) & 63];
        *o++ = alphabet[(v >> 12) & 63];
    }
    else if (n - i == 2) {
        unsigned v = ((unsigned)in[i] << 16) | ((unsigned)in[i + 1] << 8);
        *o++ = alphabet[(v >> 18) & 63];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = alphabet[(v >> 6) & 63];
    }
    *o = '\0';
    return (apr_size_t)(o - out);
}

static int value_of(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

long ctx_b64url_decode(unsigned char *out, const char *in, apr_size_t len)
{
    unsigned char *o = out;
    apr_size_t i = 0;
    int v[4];

    if (len % 4 == 1) {
        return -1;
    }
    for (; i < len; i += 4) {
        apr_size_t k, chunk = (len - i < 4) ? len - i : 4;

        for (k = 0; k < chunk; ++k) {
            if ((v[k] = value_of((unsigned char)in[i + k])) < 0) {
                return -1;
            }
        }
        *o++ = (unsigned char)((v[0] << 2) | (v[1] >> 4));
        if (chunk == 2) {
            if (v[1] & 0x0f) return -1;         /* stray bits */
            break;
        }
        *o++ = (unsigned char)(((v[1] & 0x0f) << 4) | (v[2] >> 2));
        if (chunk == 3) {
            if (v[2] & 0x03) return -1;         /* stray bits */
            break;
        }
        *o++ = (unsigned char)(((v[2] & 0x03) << 6) | v[3]);
    }
    return (long)(o - out);
}

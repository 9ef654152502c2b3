/* ctx_codec_zbound: a cheap proof that zlib cannot shorten a small payload,
 * so the flask format (which writes the zlib form only when it is at least
 * two bytes shorter, as itsdangerous does) can skip running deflate.
 * The argument is in ctx_codec_zbound.c. */
#ifndef CTX_CODEC_ZBOUND_H
#define CTX_CODEC_ZBOUND_H

#include <apr.h>

/* Longest input the bound looks at; longer input gets "unknown" (-1 / 0).
 * From about 30 bytes on the bound can no longer win anyway. */
#define CTX_ZBOUND_MAX 64

/* A lower bound, in bits, on the deflate stream (without zlib's 2-byte
 * header and 4-byte trailer) that zlib's deflate writes for the n bytes at s
 * in one deflate(Z_FINISH) call, at any level with the default strategy; or
 * -1 when there is none to give: n > CTX_ZBOUND_MAX, or some 3-byte string
 * occurs twice in s (then zlib may find a match). Reads s only. */
double ctx_codec_zbound_bits(const unsigned char *s, apr_size_t n);

/* Nonzero when zlib.compress(s) (what the flask format would write) is
 * provably at least n - 1 bytes long, so the plain form is kept; zero when
 * that is not proven (run zlib and look). Reads s only. */
int ctx_codec_zlib_cannot_shrink(const unsigned char *s, apr_size_t n);

#endif

/* ctx_b64: URL-safe base64 without padding (RFC 4648 section 5), strict.
 *
 * Decoding refuses anything a canonical encoder would not produce: characters
 * outside the URL-safe alphabet (including '=' padding), a length of 1 mod 4,
 * and non-zero "stray" bits in the last character. So one byte string has
 * exactly one accepted text, and a flipped bit in the text never decodes to
 * the same bytes. */
#ifndef CTX_B64_H
#define CTX_B64_H

#include <apr.h>

/* Used inside mod_ctx.so only: hidden, so its calls are direct, not
 * through the PLT. */
#pragma GCC visibility push(hidden)

/* Length of the encoding of n bytes (no terminator). */
apr_size_t ctx_b64url_len(apr_size_t n);

/* At least ctx_b64url_len(n) (at most 2 more), as a constant expression:
 * for buffer sizes, without a call. */
#define CTX_B64URL_ROOM(n) (((n) + 2) / 3 * 4)

/* Encode n bytes into out, which has room for ctx_b64url_len(n) + 1 bytes;
 * NUL-terminates. Returns the length written (without the NUL). */
apr_size_t ctx_b64url_encode(char *out, const unsigned char *in, apr_size_t n);

/* Decode `len` characters into out (room for len * 3 / 4 bytes). Returns the
 * number of bytes, or -1 if the text is not canonical URL-safe base64. */
long ctx_b64url_decode(unsigned char *out, const char *in, apr_size_t len);

/* The same texts for an unsigned integer as big-endian bytes, without a
 * loop over bytes (the codec's timestamps, two each way per cookie):
 * ctx_b64url_encode_be writes the encoding of v's shortest big-endian bytes
 * (leading zero bytes dropped, one byte for 0) into out (room for 12 bytes),
 * NUL-terminated, and returns its length. ctx_b64url_decode_be decodes
 * exactly what ctx_b64url_decode accepts for `len` <= 11, into *v as a
 * big-endian number, and returns the number of bytes (0 for len 0), or -1
 * (also for len > 11) leaving *v alone. */
apr_size_t ctx_b64url_encode_be(char *out, apr_uint64_t v);
long ctx_b64url_decode_be(const char *in, apr_size_t len, apr_uint64_t *v);

/* 1 when the SSSE3 steps run (the CPU has them and they are not turned
 * off), else 0. ctx_b64_force_scalar(1) turns them off, (0) back on where
 * the CPU has them: the tests compare both ways on the same texts. */
int ctx_b64_simd(void);
void ctx_b64_force_scalar(int on);

#pragma GCC visibility pop

#endif

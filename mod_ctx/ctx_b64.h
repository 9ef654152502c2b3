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

/* Length of the encoding of n bytes (no terminator). */
apr_size_t ctx_b64url_len(apr_size_t n);

/* Encode n bytes into out, which has room for ctx_b64url_len(n) + 1 bytes;
 * NUL-terminates. Returns the length written (without the NUL). */
apr_size_t ctx_b64url_encode(char *out, const unsigned char *in, apr_size_t n);

/* Decode `len` characters into out (room for len * 3 / 4 bytes). Returns the
 * number of bytes, or -1 if the text is not canonical URL-safe base64. */
long ctx_b64url_decode(unsigned char *out, const char *in, apr_size_t len);

#endif

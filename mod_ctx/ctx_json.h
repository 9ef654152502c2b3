/* ctx_json: JSON text exactly as Flask writes it, and bounded parsing.
 *
 * Flask serializes a session with json.dumps(separators=(",", ":"),
 * sort_keys=True, ensure_ascii=True): no spaces, object keys in code-point
 * order, every non-ASCII character and DEL as a lowercase \uXXXX escape
 * (astral characters as surrogate pairs), the short escapes \" \\ \b \f \n
 * \r \t, "/" unescaped, and floats as Python's shortest repr (1.0, 2.5,
 * 1e+20, 1e-07). ctx_json_dump produces that byte for byte, so a session
 * re-encoded by mod_ctx is the cookie Flask would write. */
#ifndef CTX_JSON_H
#define CTX_JSON_H

#include <apr_pools.h>
#include <jansson.h>

/* Serialize `v` into a NUL-terminated string allocated in `p` (*len set
 * when not NULL). NULL if `v` holds something JSON cannot express (NaN or
 * infinity) or on allocation failure. */
char *ctx_json_dump(apr_pool_t *p, const json_t *v, apr_size_t *len);

/* Parse `len` bytes as one JSON value (any type); trailing garbage, invalid
 * UTF-8, NUL bytes in strings, duplicate keys and nesting deeper than 64
 * levels are refused. Returns a new reference (the caller owns it and
 * releases it with json_decref) or NULL. */
json_t *ctx_json_parse(const char *text, apr_size_t len);

/* The shortest decimal text that reads back as `d`, formatted like Python's
 * repr(float). `buf` needs 32 bytes. Returns the length, or 0 for NaN and
 * infinities. */
apr_size_t ctx_json_format_double(char *buf, double d);

#endif

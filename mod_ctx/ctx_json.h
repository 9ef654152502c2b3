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

/* Deepest nesting of arrays and objects, the same for the reader and the
 * writer: what one refuses the other refuses too. A top-level object counts
 * as one level, so a session (an object) holds values nested 63 deep. */
#define CTX_JSON_MAX_DEPTH 64

/* Serialize `v` into a NUL-terminated string allocated in `p` (*len set
 * when not NULL). NULL if `v` holds something JSON cannot express (NaN or
 * infinity, nesting deeper than CTX_JSON_MAX_DEPTH) or on allocation
 * failure. */
char *ctx_json_dump(apr_pool_t *p, const json_t *v, apr_size_t *len);

/* ctx_json_dump that says why it failed and counts: *out (allocated in
 * `p`) and *len on APR_SUCCESS; *values (when not NULL) the number of JSON
 * values written (every scalar, array and object; object keys are not
 * values). APR_EINVAL if `v` is NULL or cannot be expressed (NaN, infinity,
 * too deep), APR_ENOMEM without memory. */
apr_status_t ctx_json_write(apr_pool_t *p, const json_t *v, char **out,
                            apr_size_t *len, apr_size_t *values);

/* What `"key":val` adds to the text of an object that holds it (as
 * ctx_json_write writes it, without a separating comma): *len bytes and
 * *values JSON values. Writes and allocates nothing. APR_EINVAL if `val`
 * cannot be written inside an object (NaN, infinity, nested too deep),
 * APR_ENOMEM without memory for a large object's members. */
apr_status_t ctx_json_measure_entry(const char *key, const json_t *val,
                                    apr_size_t *len, apr_size_t *values);

/* ctx_json_write of a value inside an object (one level of nesting more
 * counts against CTX_JSON_MAX_DEPTH): the text of a session's member. */
apr_status_t ctx_json_write_member(apr_pool_t *p, const json_t *v,
                                   char **out, apr_size_t *len,
                                   apr_size_t *values);

/* The JSON string literal (quotes included) of `n` bytes of valid UTF-8
 * at `str`, as the writer writes it, allocated in `p` (*len set when not
 * NULL); NULL without memory. */
char *ctx_json_write_string(apr_pool_t *p, const char *str, apr_size_t n,
                            apr_size_t *len);

/* 1 if `n` bytes at `str` are valid UTF-8 (no overlong forms, surrogates
 * or code points past U+10FFFF: what jansson accepts in a key). */
int ctx_json_utf8_valid(const char *str, apr_size_t n);

/* The 4 hex digits at s (a \u escape's) into *out: 1, or 0 if one is not
 * a hex digit (an upper-case one only when upper_ok: the canonical form
 * the writer emits is lower-case). Reads exactly 4 bytes. */
int ctx_json_hex4(const char *s, int upper_ok, unsigned *out);

/* Decimal text of `v` into `buf` (24 bytes), as the writer writes it;
 * returns its length (no NUL written). */
apr_size_t ctx_json_format_int(char *buf, apr_int64_t v);
/* The same without moving the text to buf's start: it is written at the
 * end of `buf` (CTX_JSON_INT_MAX bytes); returns where it starts (inside
 * buf), *len its length. */
#define CTX_JSON_INT_MAX 24
const char *ctx_json_format_int_in(char *buf, apr_int64_t v,
                                   apr_size_t *len);

/* Read a string literal whose opening quote is just before *pos (text ends
 * at `end`), validated as ctx_json_parse does; on success the unescaped
 * bytes (NUL-terminated, *len bytes) are allocated in `p` and *pos is past
 * the closing quote. NULL if it is not a valid string. */
char *ctx_json_read_string(apr_pool_t *p, const char **pos, const char *end,
                           apr_size_t *len);

/* Parse `len` bytes as one JSON value (any type); trailing garbage, invalid
 * UTF-8, NUL bytes in strings, duplicate keys and nesting deeper than
 * CTX_JSON_MAX_DEPTH are refused. Returns a new reference (the caller owns
 * it and releases it with json_decref) or NULL. */
json_t *ctx_json_parse(const char *text, apr_size_t len);

/* ctx_json_parse that makes at most `max_values` JSON values (0: no limit),
 * counted as ctx_json_write counts them: the reader stops at the first value
 * over the limit, so a refused text costs no more than an accepted one.
 * *values (when not NULL) is the number of values made, also on failure;
 * more than `max_values` means the limit refused the text. */
json_t *ctx_json_parse_bounded(const char *text, apr_size_t len,
                               apr_size_t max_values, apr_size_t *values);

/* Read one JSON value at the start of `len` bytes at `text` (leading
 * whitespace skipped), as nested inside `depth` containers, making at most
 * `max_values` values (0: no limit; *values: how many were made, also on
 * failure). *end: where the value ends. A new reference or NULL; what
 * follows the value is not looked at. */
json_t *ctx_json_parse_member(const char *text, apr_size_t len, int depth,
                              apr_size_t max_values, apr_size_t *values,
                              const char **end);

/* The shortest decimal text that reads back as `d`, formatted like Python's
 * repr(float). `buf` needs 32 bytes. Returns the length, or 0 for NaN and
 * infinities. */
apr_size_t ctx_json_format_double(char *buf, double d);

/* 1 if `n` bytes at `t`, read as the double `d` (strtod of them), are
 * exactly what ctx_json_format_double(d) writes. Cheaper than writing it:
 * one printf and two strtod (two tries, see ctx_json_double_tries)
 * instead of a search over digit counts (a
 * session of many floats is checked at each change, see ctx_flat.h). */
int ctx_json_double_canonical(const char *t, apr_size_t n, double d);

/* Decimal texts ctx_json_format_double has tried so far, in all threads
 * (what a double costs: each is a printf and a strtod). */
apr_uint32_t ctx_json_double_tries(void);

#endif

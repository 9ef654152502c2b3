/* ctx_flat: a JSON object held flat, as its members' key and raw JSON
 * value text, sorted by key (issue #13).
 *
 * A session is read on every request and usually one member changes: the
 * flat form validates the cookie's JSON without building jansson values,
 * keeps each member's value text as it came (pointing into the decoded
 * text) and writes the object back by concatenating the texts in key
 * order. Typed getters read the text directly; jansson values are built
 * only when a caller asks for one (ctx_flat_to_json, ctx_json_parse of a
 * member's text).
 *
 * Canonical text: the object's text is always exactly what ctx_json_write
 * writes for the object ctx_json_parse reads from the same input (Flask's
 * json.dumps). A member whose text is already canonical is kept as is;
 * one that is not (whitespace, other escapes, "-0", unsorted nested keys)
 * is parsed and written again when read. A member holding a float is
 * checked lazily (ctx_flat_canonicalize): a request that does not change
 * its session never formats a double. Acceptance is ctx_json_parse's:
 * invalid JSON, duplicate keys (at any level), NUL characters, nesting
 * deeper than CTX_JSON_MAX_DEPTH are refused, and values are counted as
 * ctx_json_parse_bounded counts them. */
#ifndef CTX_FLAT_H
#define CTX_FLAT_H

#include <apr_pools.h>
#include <jansson.h>

typedef struct ctx_flat_t ctx_flat_t;

/* One member. Borrowed from the object: valid until it changes. `key` is
 * the unescaped UTF-8 key (NUL-terminated, `klen` bytes), `qkey` its JSON
 * literal (quotes included; not NUL-terminated), `text` the value's JSON
 * text (not NUL-terminated), `values` the JSON values in it. */
typedef struct {
    const char *key;
    apr_size_t klen;
    const char *qkey;
    apr_size_t qklen;
    const char *text;
    apr_size_t tlen;
    apr_size_t values;
    int unchecked;              /* holds a float not yet checked canonical */
    void *block;                /* malloc'ed storage of a set member, freed
                                 * when it is replaced; NULL: its texts
                                 * live as long as the object (the pool,
                                 * the parsed text), replaced or not */
} ctx_flat_member_t;

/* An empty object in `p` (what it holds is released with `p`). */
ctx_flat_t *ctx_flat_create(apr_pool_t *p);

/* An empty object shared by every caller, static and read-only: for a
 * reader that has no object yet (no allocation). Only functions taking a
 * const ctx_flat_t * may be given it. */
const ctx_flat_t *ctx_flat_none(void);

/* Parse `len` bytes of JSON that must be one object, making at most
 * `max_values` values (0: no limit). `text` is borrowed: it must live as
 * long as the object (the members point into it). *values (when not NULL)
 * as ctx_json_parse_bounded sets it. APR_SUCCESS and *out, or APR_EINVAL
 * (not one valid JSON object, or over max_values: then *values says so),
 * APR_ENOMEM. */
apr_status_t ctx_flat_parse(apr_pool_t *p, const char *text, apr_size_t len,
                            apr_size_t max_values, apr_size_t *values,
                            ctx_flat_t **out);

/* An object holding a copy of jansson object `obj` (NULL: empty); NULL if
 * it cannot be written (NaN, too deep) or without memory. */
ctx_flat_t *ctx_flat_from_json(apr_pool_t *p, const json_t *obj);

/* A copy of `f` in `p` that later changes of either leave the other as
 * it is (each has its own member array, and a text is never written over
 * once a member points to it; the copy starts with no spare room of its
 * own, so it never writes into f's). Texts that live in
 * f's pool are shared, so `p` must not outlive f's pool; texts f keeps in
 * its own malloc'ed blocks are copied into `p`. NULL without memory. */
ctx_flat_t *ctx_flat_copy(apr_pool_t *p, const ctx_flat_t *f);

/* The members, in key order. */
int ctx_flat_count(const ctx_flat_t *f);
const ctx_flat_member_t *ctx_flat_at(const ctx_flat_t *f, int i);
/* The member under `key`, or NULL. */
const ctx_flat_member_t *ctx_flat_get(const ctx_flat_t *f, const char *key);

/* Set `key` to `tlen` bytes of canonical value text holding `values`
 * values (both copied). APR_ENOMEM leaves the object as it was. */
apr_status_t ctx_flat_set(ctx_flat_t *f, const char *key, const char *text,
                          apr_size_t tlen, apr_size_t values);
/* Where `key` is (>= 0) or would go (-(place) - 1), for ctx_flat_set_at:
 * a caller that reads a member before it sets it looks it up once. Valid
 * until the object changes. */
int ctx_flat_index(const ctx_flat_t *f, const char *key);
/* ctx_flat_index and ctx_flat_at in one call: the member under `key`
 * (borrowed, valid until the object changes) or NULL, and *at as
 * ctx_flat_index says. */
const ctx_flat_member_t *ctx_flat_find(const ctx_flat_t *f, const char *key,
                                       int *at);
/* ctx_flat_set with `i` from ctx_flat_index(f, key), the object unchanged
 * since, and klen == strlen(key). */
apr_status_t ctx_flat_set_at(ctx_flat_t *f, int i, const char *key,
                             apr_size_t klen, const char *text,
                             apr_size_t tlen, apr_size_t values);
/* Remove `key`: 1 if it was there. */
int ctx_flat_remove(ctx_flat_t *f, const char *key);
void ctx_flat_clear(ctx_flat_t *f);

/* Make every member's text canonical (the floats' check). APR_SUCCESS, or
 * APR_ENOMEM (then retried at the next call). */
apr_status_t ctx_flat_canonicalize(ctx_flat_t *f);

/* After ctx_flat_canonicalize: the object's text length and values (the
 * object itself counts as one), and what member `key` (absent: 0, 0) adds
 * to them: `"key":value` without a comma. */
apr_size_t ctx_flat_text_len(const ctx_flat_t *f);
apr_size_t ctx_flat_values(const ctx_flat_t *f);
void ctx_flat_member_size(const ctx_flat_t *f, const char *key,
                          apr_size_t *len, apr_size_t *values);
/* ctx_flat_text_len and ctx_flat_values in one call (a change's size
 * check). */
void ctx_flat_sizes(const ctx_flat_t *f, apr_size_t *len,
                    apr_size_t *values);

/* The object's canonical text, allocated in `p` (NUL-terminated, *len
 * bytes; when `p` is the object's own pool, possibly in room the object
 * holds there: it lives as long as `p` all the same); NULL without
 * memory. Canonicalizes first. */
char *ctx_flat_write(ctx_flat_t *f, apr_pool_t *p, apr_size_t *len);

/* A new jansson object with the members (the caller owns it); NULL
 * without memory. */
json_t *ctx_flat_to_json(const ctx_flat_t *f);

/* ---- typed reads of one value's text (a member's `text`, `tlen`) ------- */

/* Its JSON type, from the first byte (JSON_TRUE for either boolean). */
json_type ctx_flat_type(const char *text, apr_size_t tlen);
/* An integer's value: APR_SUCCESS, or APR_EINVAL when the text is not an
 * integer. Exact over the whole int64 range. */
apr_status_t ctx_flat_int(const char *text, apr_size_t tlen,
                          apr_int64_t *val);
/* A number's value (an integer converts as jansson's json_number_value). */
apr_status_t ctx_flat_double(const char *text, apr_size_t tlen, double *val);
apr_status_t ctx_flat_bool(const char *text, apr_size_t tlen, int *val);
/* A string's unescaped bytes, allocated in `p` (NUL-terminated, *len when
 * not NULL). APR_EINVAL when not a string, APR_ENOMEM. */
apr_status_t ctx_flat_string(apr_pool_t *p, const char *text,
                             apr_size_t tlen, const char **val,
                             apr_size_t *len);

#endif

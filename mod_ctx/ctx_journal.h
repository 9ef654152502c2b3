/* ctx_journal: the change record of one request's session, per key, and
 * its merge onto the latest stored session.
 *
 * A request's changes are recorded in the order made:
 *   set(key, value)   value is raw JSON text (as ctx_json_dump writes it:
 *                     the journal keeps the text, it never parses it on
 *                     record, so the flat session form of issue #13 feeds
 *                     it without building JSON objects)
 *   remove(key)
 *   clear             every key, including those other requests add
 * plus two marks for the owner: regenerate (move to a new id) and
 * invalidate (clear, and drop the id).
 *
 * The net effect is what counts: at most one clear, first, then at most
 * one set or remove per key, in the order of each key's last change since
 * that clear. ctx_journal_compact reduces the record to it (the journal
 * also does so by itself as it grows, so a request that sets one key a
 * million times holds one value); applying the full record or its net
 * effect gives the same result.
 *
 * Merge (ctx_journal_apply): the result is the latest stored session with
 * this request's net effect on top: with a clear, an empty object plus the
 * sets after the clear; without, the stored keys this request did not
 * touch are kept as stored (another request's changes survive), the keys
 * it set take its values, the keys it removed are gone. So two requests of
 * one session changing different keys both keep their change; on the same
 * key the last save wins (as with a remove against a set); a clear drops
 * whatever another request stored before this save. */
#ifndef CTX_JOURNAL_H
#define CTX_JOURNAL_H

#include <apr_pools.h>
#include <jansson.h>

typedef enum {
    CTX_JOURNAL_SET = 0,
    CTX_JOURNAL_REMOVE,
    CTX_JOURNAL_CLEAR
} ctx_journal_op_t;

/* Marks (ctx_journal_marks): not data changes, what the save must do. */
#define CTX_JOURNAL_REGENERATE 0x1
#define CTX_JOURNAL_INVALIDATE 0x2

typedef struct {
    ctx_journal_op_t op;
    const char *key;            /* NULL for CTX_JOURNAL_CLEAR */
    const char *value;          /* CTX_JOURNAL_SET: the raw JSON text,
                                 * NUL-terminated; else NULL */
    apr_size_t vlen;
} ctx_journal_entry_t;

typedef struct ctx_journal_t ctx_journal_t;

/* An empty journal in `p` (everything it holds lives until `p` is
 * destroyed; it keeps its own sub-pool, recycled by compaction). NULL
 * without memory. */
ctx_journal_t *ctx_journal_create(apr_pool_t *p);

/* Record a set of `key` to the `vlen` bytes of JSON text `value` (both
 * copied). APR_EINVAL for NULL key or value or an empty value. */
apr_status_t ctx_journal_set(ctx_journal_t *j, const char *key,
                             const char *value, apr_size_t vlen);

/* Record a remove of `key` (copied). APR_EINVAL for a NULL key. */
apr_status_t ctx_journal_remove(ctx_journal_t *j, const char *key);

/* Record a clear: every earlier change is dropped at once. */
apr_status_t ctx_journal_clear(ctx_journal_t *j);

/* Set marks (CTX_JOURNAL_REGENERATE, CTX_JOURNAL_INVALIDATE); invalidate
 * also records a clear. */
void ctx_journal_mark(ctx_journal_t *j, int marks);
int ctx_journal_marks(const ctx_journal_t *j);

/* 1 if there is nothing to save: no change recorded and no mark. */
int ctx_journal_is_empty(const ctx_journal_t *j);

/* 1 if the record (compacted or not) contains a clear. */
int ctx_journal_cleared(const ctx_journal_t *j);

/* Entries recorded (since the last compaction), and entry i of them:
 * borrowed, valid until the next change or compaction of `j`. */
int ctx_journal_count(const ctx_journal_t *j);
const ctx_journal_entry_t *ctx_journal_entry(const ctx_journal_t *j, int i);

/* Reduce the record to its net effect (see above). APR_ENOMEM leaves it
 * as it was. */
apr_status_t ctx_journal_compact(ctx_journal_t *j);

/* Merge: *out is a new object (the caller owns the reference) holding
 * `base` (an object, not changed; NULL: empty) with the journal applied.
 * APR_EINVAL, and *out NULL, if base is not an object, a recorded value is
 * not one JSON value (ctx_json_parse refuses it) or a key is not valid
 * UTF-8; APR_ENOMEM without memory. */
apr_status_t ctx_journal_apply(const ctx_journal_t *j, const json_t *base,
                               json_t **out);

/* The same merge onto a flat form (ctx_flat.h), in place: `f` holds the
 * latest stored session (empty for none) and becomes the result; what the
 * merge writes is allocated in `p` or owned by `f`. The server-side save
 * uses it: the stored session is never built into jansson values. Errors
 * as ctx_journal_apply's (then `f` may be half-changed: drop it). */
struct ctx_flat_t;
apr_status_t ctx_journal_apply_flat(const ctx_journal_t *j,
                                   struct ctx_flat_t *f, apr_pool_t *p);

#endif

/* ctx_load: which of a request's cookies is its session.
 *
 * Every value of the session cookie's name in the Cookie headers is a
 * candidate, in order (a browser sends the most specific path first). At
 * most CTX_LOAD_MAX_CANDIDATES of them are decoded: a header full of
 * same-named cookies costs a few decodes, not one per cookie. The first
 * candidate that verifies is the session, unless another candidate among
 * those decoded verifies with a different value: two valid sessions mean
 * someone placed one beside the client's own (a cookie set for a parent
 * domain or a broader path, say), and neither is trusted: no session, and
 * the conflict is counted. The same value twice is one session. A valid
 * candidate followed by a different one past the limit is a conflict too:
 * the undecoded one might be the client's own session. */
#ifndef CTX_LOAD_H
#define CTX_LOAD_H

#include <apr_pools.h>
#include <jansson.h>

#include "ctx_codec.h"

/* Used inside mod_ctx.so only: hidden, so its calls are direct, not
 * through the PLT. */
#pragma GCC visibility push(hidden)

/* Candidates decoded at most per request. */
#define CTX_LOAD_MAX_CANDIDATES 4

typedef struct {
    /* set by ctx_load_init */
    const ctx_codec_t *codec;
    apr_pool_t *pool;
    apr_int64_t now;
    /* results */
    struct ctx_flat_t *data;    /* the session's data in flat form, in
                                 * the pool given to ctx_load_init; NULL
                                 * for no session */
    ctx_codec_meta_t meta;      /* its issue and creation times, the key
                                 * that verified it, its format version */
    int seen;                   /* values of the name met (stops counting
                                 * once the decoding stopped) */
    int tried;                  /* values decoded */
    ctx_reason_t first_failure; /* why the first refused one was refused;
                                 * CTX_REASON_OK if none was */
    int conflict;               /* two different valid values: no data */
    int more;                   /* candidates left untried at the limit */
    /* private: the accepted value, borrowed from the header */
    const char *value;
    apr_size_t vlen;
} ctx_load_t;

/* Start choosing with `codec` at time `now`; decoded data and scratch are
 * allocated in `p`. */
void ctx_load_init(ctx_load_t *l, const ctx_codec_t *codec, apr_pool_t *p,
                   apr_int64_t now);

/* Consider the cookies of one Cookie header value (borrowed for the call).
 * Returns 0 when the choice is made and further headers need not be read,
 * 1 otherwise (the signature of an apr_table_do callback's result). */
int ctx_load_header(ctx_load_t *l, const char *header);

/* How many requests had two different valid session cookies. */
apr_uint32_t ctx_load_conflicts(void);

#pragma GCC visibility pop

#endif

/* ctx_flat_scan: the flat form's canonical scan (ctx_flat.h), internal.
 *
 * Accepts only text that is valid (as the reader, ctx_json_parse, says)
 * and exactly what the writer (ctx_json_write) writes; anything else goes
 * to the reader and the writer. */
#ifndef CTX_FLAT_SCAN_H
#define CTX_FLAT_SCAN_H

#include <apr.h>
#include <apr_hash.h>
#include <apr_pools.h>

#include "ctx_flat.h"

/* A scan of [p, end): p moves past what was accepted. */
typedef struct {
    const char *p, *end;
    int depth;
    apr_size_t values, max_values;
    int real;                   /* a float was met */
} ctx_flat_scan_t;

/* 1 for a byte a string literal holds as it is (printable ASCII but '"'
 * and '\\'), else 0. */
extern const unsigned char ctx_flat_plain[256];

/* A canonical string literal at sc->p (its opening quote); *escaped set
 * when it holds an escape. 1 and sc->p past it, or 0. */
int ctx_flat_scan_string(ctx_flat_scan_t *sc, int *escaped);

/* One canonical value at sc->p, counting values (0 past max_values when
 * it is not 0) and nesting; sc->real set when it holds a float (whose
 * text is checked later: ctx_flat_floats_canonical). 1 or 0. */
int ctx_flat_scan_value(ctx_flat_scan_t *sc);

/* Every float of `n` bytes of value text (canonical but for its floats)
 * as the writer writes it? */
int ctx_flat_floats_canonical(const char *t, apr_size_t n);

/* The parse's slow paths, out of its loop (so that its position stays in
 * a register):
 * One member's value at *pos that the parse does not read itself:
 * canonical text kept as is (pointing into the text), anything else read
 * and written again into `p`. m's text, tlen, values and unchecked set,
 * *values counted on, *pos moved past it; 0 if the reader refuses it. */
int ctx_flat_read_value(apr_pool_t *p, ctx_flat_member_t *m,
                        const char **pos, const char *end,
                        apr_size_t *values, apr_size_t max_values);

/* A key that is not plain ASCII (escapes, UTF-8), its literal at kstart:
 * m's key (in `p`), klen and literal set (the literal written again into
 * `p` when it is not the writer's). The position past it, or NULL if the
 * reader refuses it. */
const char *ctx_flat_read_key(apr_pool_t *p, ctx_flat_member_t *m,
                              const char *kstart, const char *end);

/* A key that came out of order (the first n members before it): 0 if it
 * is a duplicate, as the reader refuses it, else 1 with it noted in *seen
 * (made in `p` the first time, with the keys before it). */
int ctx_flat_note_key(apr_pool_t *p, const ctx_flat_member_t *ms, int n,
                      apr_hash_t **seen, const char *key);

#endif

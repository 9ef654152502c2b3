/* ctx_flat_scan: the flat form's canonical scan (ctx_flat.h), internal.
 *
 * Accepts only text that is valid (as the reader, ctx_json_parse, says)
 * and exactly what the writer (ctx_json_write) writes; anything else goes
 * to the reader and the writer. */
#ifndef CTX_FLAT_SCAN_H
#define CTX_FLAT_SCAN_H

#include <apr.h>

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

#endif

/* Fuzz the Cookie header reader: every reported value lies inside the
 * header and never contains the ';' separator. */
#include <stdlib.h>
#include <string.h>

#include "ctx_cookie.h"
#include "fuzz.h"

typedef struct {
    const char *start, *end;
} bounds_t;

static int check(void *baton, const char *val, apr_size_t len)
{
    bounds_t *b = baton;

    if (val < b->start || val + len > b->end || memchr(val, ';', len)) {
        abort();
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = malloc(size + 1);
    bounds_t b;

    if (!header) {
        return 0;
    }
    memcpy(header, data, size);
    header[size] = '\0';
    b.start = header;
    b.end = header + strlen(header);
    ctx_cookie_find(header, "session", check, &b);
    ctx_cookie_find(header, "s", check, &b);
    free(header);
    return 0;
}

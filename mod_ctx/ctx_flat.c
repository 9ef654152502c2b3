/* ctx_flat: see ctx_flat.h. */
#include <stdlib.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "ctx_flat.h"
#include "ctx_flat_scan.h"
#include "ctx_json.h"

struct ctx_flat_t {
    apr_pool_t *pool;
    int cleanup;                /* a cleanup frees set members' blocks */
    apr_size_t pooled;          /* bytes of set members put in the pool */
    char *spare;                /* what a parse's block left over, for
                                 * the first sets' texts and the text
                                 * ctx_flat_write makes; only moves on */
    apr_size_t spare_len;
    ctx_flat_member_t *m;       /* sorted by key (strcmp) */
    int n, cap;
    int unchecked;              /* members with unchecked floats */
    apr_uint64_t firsts;        /* bit (c & 63) of every key's first byte
                                 * c (a removed key's may stay): a key
                                 * whose bit is clear is absent, known
                                 * without a search (Flask's "_permanent"
                                 * in most sessions) */
    apr_size_t sum_len;         /* of every `"key":value` */
    apr_size_t sum_values;
};

static apr_size_t entry_len(const ctx_flat_member_t *m)
{
    return m->qklen + 1 + m->tlen;
}

/* The object's text: the braces, the entries, the commas between. */
static apr_size_t object_len(const ctx_flat_t *f)
{
    return 2 + f->sum_len + (f->n ? (apr_size_t)f->n - 1 : 0);
}

/* A set member's storage: the first few KiB of sets go into the pool (a
 * request sets a few small values: no malloc, no free), the rest is
 * malloc'ed and freed when replaced, so that a request setting a key many
 * times holds one value, not all of them. */
#define POOLED_MAX 4096

static void release_member(ctx_flat_member_t *m)
{
    if (m->block) {             /* (most members have none: no call) */
        free(m->block);
        m->block = NULL;
    }
}

static apr_status_t cleanup(void *arg)
{
    ctx_flat_t *f = arg;

    for (int i = 0; i < f->n; ++i) {
        release_member(&f->m[i]);
    }
    f->n = 0;
    return APR_SUCCESS;
}

ctx_flat_t *ctx_flat_create(apr_pool_t *p)
{
    ctx_flat_t *f = apr_pcalloc(p, sizeof(*f));

    f->pool = p;
    return f;
}

const ctx_flat_t *ctx_flat_none(void)
{
    static const ctx_flat_t none;

    return &none;
}

/* Room for the plain keys of a parse, at most: larger texts copy the rest
 * of their keys one by one. */
#define KEYS_MAX 256

/* Bytes a parse's block keeps after the keys for the texts a request
 * sets (a counter, a time) and for the object's written text: the usual
 * set and save then allocate nothing. */
#define SPARE 32

/* A parse's object in one allocation (a session is parsed on every
 * request): the object, room for the members `len` bytes can hold (each
 * takes 5 at least, `"":0,`) up to 8, more growing the array as sets do,
 * and *keys, KEYS_MAX bytes at most for the keys (each no longer than its
 * literal), followed by SPARE bytes. */
static ctx_flat_t *create_parsed(apr_pool_t *p, apr_size_t len, char **keys,
                                 apr_size_t *room)
{
    int cap = len / 5 < 8 ? (int)(len / 5) + 1 : 8;
    apr_size_t kroom = len < KEYS_MAX ? len : KEYS_MAX;
    ctx_flat_t *f = apr_palloc(p, sizeof(*f) + (size_t)cap * sizeof(*f->m)
                                  + kroom + SPARE);

    if (!f) {
        return NULL;
    }
    memset(f, 0, sizeof(*f));
    f->pool = p;
    f->m = (ctx_flat_member_t *)(f + 1);    /* both aligned as pointers */
    f->cap = cap;
    *keys = (char *)(f->m + cap);
    *room = kroom;
    return f;
}

/* Room for n members. The array lives in the pool (growing doubles it, so
 * the old copies add up to less than the last one); only set members'
 * blocks are malloc'ed, freed when replaced or with the pool. */
static int reserve(ctx_flat_t *f, int n)
{
    ctx_flat_member_t *nm;
    int cap = f->cap ? f->cap : 8;

    if (n <= f->cap) {
        return 1;
    }
    while (cap < n) {
        cap *= 2;
    }
    if (!(nm = apr_palloc(f->pool, (size_t)cap * sizeof(*nm)))) {
        return 0;
    }
    if (f->n) {
        memcpy(nm, f->m, (size_t)f->n * sizeof(*nm));
    }
    f->m = nm;
    f->cap = cap;
    return 1;
}

/* The first and last sizeof(T) bytes of s to o, read before written:
 * together they cover any n from sizeof(T) to twice that. */
#define COPY_ENDS(T, o, s, n) do {                                      \
        T head_, tail_;                                                 \
        memcpy(&head_, (s), sizeof(T));                                 \
        memcpy(&tail_, (s) + (n) - sizeof(T), sizeof(T));               \
        memcpy((o), &head_, sizeof(T));                                 \
        memcpy((o) + (n) - sizeof(T), &tail_, sizeof(T));               \
    } while (0)

/* memcpy of the short texts a session is made of (keys, counters):
 * inline moves of at most 16 bytes, two overlapping ones, instead of a
 * call; longer texts go to memcpy. Reads and writes stay within the n
 * bytes. */
static inline void copy_short(char *o, const char *s, apr_size_t n)
{
    if (n > 16) {
        memcpy(o, s, n);
    }
    else if (n >= 8) {
        COPY_ENDS(apr_uint64_t, o, s, n);
    }
    else if (n >= 4) {
        COPY_ENDS(apr_uint32_t, o, s, n);
    }
    else if (n >= 2) {
        COPY_ENDS(apr_uint16_t, o, s, n);
    }
    else if (n) {
        *o = *s;
    }
}

/* The bit of a key's first byte in `firsts`. */
#define FIRST_BIT(key) ((apr_uint64_t)1 << ((unsigned char)(key)[0] & 63))

/* strcmp of member m's key and `key`. */
static int key_cmp(const ctx_flat_member_t *m, const char *key)
{
    int c = (int)(unsigned char)m->key[0] - (int)(unsigned char)key[0];

    return c || !key[0] ? c : strcmp(m->key + 1, key + 1);
}

/* Index of `key`, or -(insertion point) - 1. The keys compared inline,
 * byte by byte: session keys are short, and without a call the search
 * saves no registers (a look-up in a small session costs about half).
 * A member's key has no NUL in its klen bytes, so the loop runs on its
 * length alone: `key` is read up to its first difference, never past its
 * NUL. Inlined in its few callers: a look-up is a call less. */
static inline __attribute__((always_inline)) int find(const ctx_flat_t *f,
                                                      const char *key)
{
    const unsigned char *b = (const unsigned char *)key;
    int lo = 0, hi = f->n;

    while (lo < hi) {
        int mid = (int)((unsigned)(lo + hi) >> 1);
        const unsigned char *a = (const unsigned char *)f->m[mid].key;
        apr_size_t n = f->m[mid].klen, i = 0;
        int c;

        while (i < n && a[i] == b[i]) {
            ++i;
        }
        /* past the member's key: equal if `key` ends there too */
        c = i < n ? (int)a[i] - (int)b[i] : -(int)b[n];
        if (c == 0) {
            return mid;
        }
        if (c < 0) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    return -lo - 1;
}

/* ---- parse --------------------------------------------------------------- */

/* The first byte at or after p that is not a blank. */
static const char *past_blanks(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
        ++p;
    }
    return p;
}

/* Flask writes no blanks: one inline test of the byte, mostly, and no
 * call. */
#define skip_ws(p, end) \
    do { \
        if ((p) < (end) && (unsigned char)*(p) <= ' ') { \
            (p) = past_blanks((p), (end)); \
        } \
    } while (0)

/* Is the byte at p, past any blanks, `c`? The byte itself is tested
 * first: blanks are looked for only when it is not `c` (p moves past
 * them then). */
#define at_char(p, end, c) \
    ((p) < (end) && (*(p) == (c) \
                     || ((unsigned char)*(p) <= ' ' \
                         && ((p) = past_blanks((p), (end))) < (end) \
                         && *(p) == (c))))

static int cmp_members(const void *a, const void *b)
{
    return key_cmp(a, ((const ctx_flat_member_t *)b)->key);
}

/* The length of the canonical integer of at most 18 digits (no
 * leading zero: not 0 either) at p, the usual member (a counter, a
 * time), or 0: then the full scan decides. */
static inline apr_size_t small_int(const char *p, const char *end)
{
    const char *s = p + (p < end && *p == '-'), *d = s;

    if (s >= end || *s < '1' || *s > '9') {
        return 0;
    }
    while (++s < end && (unsigned)(*s - '0') < 10) {
    }
    /* A fraction or an exponent is a float's; the end of the text is
     * no object's end. */
    if (s >= end || s - d > 18 || *s == '.' || *s == 'e' || *s == 'E') {
        return 0;
    }
    return (apr_size_t)(s - p);
}

/* The length of a usual value at p that is not a small integer
 * (small_int): a string of plain printable ASCII (ctx_flat_plain: no
 * escape, so its text is the writer's), true, false or null; each is one
 * value, canonical as it is. 0 for anything else: the full scan decides.
 * (The parse tries small_int first: the session of every /counter.) */
static inline apr_size_t plain_other(const char *p, const char *end)
{
    const char *q;

    if (p >= end) {
        return 0;
    }
    if (*p == '"') {
        for (q = p + 1; q < end && ctx_flat_plain[(unsigned char)*q]; ++q) {
        }
        return q < end && *q == '"' ? (apr_size_t)(q + 1 - p) : 0;
    }
    if (end - p >= 4 && (!memcmp(p, "true", 4) || !memcmp(p, "null", 4))) {
        return 4;
    }
    return end - p >= 5 && !memcmp(p, "false", 5) ? 5 : 0;
}

apr_status_t ctx_flat_parse(apr_pool_t *p, const char *text, apr_size_t len,
                            apr_size_t max_values, apr_size_t *values,
                            ctx_flat_t **out)
{
    const char *pos = text, *end = text + len;
    apr_size_t count = 0;
    apr_hash_t *seen = NULL;    /* keys, once they came out of order */
    ctx_flat_t *f;
    ctx_flat_member_t *ms;
    char *keys;
    apr_size_t room, sum_len = 0, sum_values = 0;
    apr_uint64_t firsts = 0;
    int n = 0, unchecked = 0, ok = 0;
    const unsigned char *plain = ctx_flat_plain;

    if (!text) {
        if (values) *values = 0;
        return APR_EINVAL;
    }
    skip_ws(pos, end);
    if (pos >= end || *pos != '{') {
        /* Not an object: the reader still says how many values it made. */
        json_decref(ctx_json_parse_bounded(text, len, max_values, &count));
        if (values) *values = count;
        return APR_EINVAL;
    }
    if (!(f = create_parsed(p, len, &keys, &room))) {
        if (values) *values = 0;
        return APR_ENOMEM;
    }
    /* The object's fields are kept in locals while the members are read
     * (the keys' bytes written between would make the compiler load them
     * again): set once at the end. */
    ms = f->m;
    count = 1;
    ++pos;
    if (at_char(pos, end, '}')) {
        ++pos;
        ok = 1;
    }
    while (!ok) {
        ctx_flat_member_t *m;
        const char *kstart;
        apr_size_t klen, tlen;

        /* The member is read in place: room for it first. */
        if (n == f->cap) {
            f->n = n;
            if (!reserve(f, n + 1)) {
                if (values) *values = count;
                return APR_ENOMEM;
            }
            ms = f->m;
        }
        m = &ms[n];
        m->block = NULL;
        if (!at_char(pos, end, '"')) break;
        kstart = pos;
        /* Plain printable ASCII up to the closing quote, scanned here (a
         * session's keys nearly always are): the literal is the key,
         * quoted. */
        ++pos;
        while (pos < end && plain[(unsigned char)*pos]) {
            ++pos;
        }
        if (pos < end && *pos == '"') {
            ++pos;
            klen = (apr_size_t)(pos - kstart - 2);
            m->klen = klen;
            if (klen < room) {
                copy_short(keys, kstart + 1, klen);
                keys[klen] = '\0';
                m->key = keys;
                keys += klen + 1;
                room -= klen + 1;
            }
            else {
                m->key = apr_pstrmemdup(p, kstart + 1, klen);
            }
            m->qkey = kstart;
            m->qklen = (apr_size_t)(pos - kstart);
        }
        else {
            const char *kend = ctx_flat_read_key(p, m, kstart, end);

            if (!kend) break;
            pos = kend;
        }
        if (!at_char(pos, end, ':')) break;
        /* Duplicates are refused, as the reader does, when met. */
        if ((seen || (n && key_cmp(&ms[n - 1], m->key) >= 0))
            && !ctx_flat_note_key(p, ms, n, &seen, m->key)) {
            break;
        }
        ++pos;
        skip_ws(pos, end);
        if ((!max_values || count < max_values)
            && ((tlen = small_int(pos, end)) != 0
                || (tlen = plain_other(pos, end)) != 0)) {
            m->text = pos;
            m->tlen = tlen;
            m->values = 1;
            m->unchecked = 0;
            ++count;
            pos += tlen;
        }
        else {
            const char *vpos = pos;

            if (!ctx_flat_read_value(p, m, &vpos, end, &count, max_values)) {
                break;
            }
            pos = vpos;
        }
        ++n;
        firsts |= FIRST_BIT(m->key);
        unchecked += m->unchecked;
        sum_len += entry_len(m);
        sum_values += m->values;
        if (pos < end && *pos == ',') {     /* the usual byte first */
            ++pos;
            continue;
        }
        if (at_char(pos, end, '}')) {
            ++pos;
            ok = 1;
        }
        else if (pos < end && *pos == ',') {    /* after blanks */
            ++pos;
            continue;
        }
        break;
    }
    if (values) *values = count;
    skip_ws(pos, end);
    if (!ok || pos != end) {
        return APR_EINVAL;
    }
    f->n = n;
    f->firsts = firsts;
    f->unchecked = unchecked;
    f->sum_len = sum_len;
    f->sum_values = sum_values;
    if (seen) {
        qsort(f->m, (size_t)f->n, sizeof(*f->m), cmp_members);
    }
    f->spare = keys;            /* the keys' room left, and SPARE */
    f->spare_len = room + SPARE;
    *out = f;
    return APR_SUCCESS;
}

/* ---- members ------------------------------------------------------------- */

int ctx_flat_count(const ctx_flat_t *f)
{
    return f->n;
}

const ctx_flat_member_t *ctx_flat_at(const ctx_flat_t *f, int i)
{
    return i >= 0 && i < f->n ? &f->m[i] : NULL;
}

const ctx_flat_member_t *ctx_flat_get(const ctx_flat_t *f, const char *key)
{
    int i = key && (f->firsts & FIRST_BIT(key)) ? find(f, key) : -1;

    return i >= 0 ? &f->m[i] : NULL;
}

static void drop_sizes(ctx_flat_t *f, const ctx_flat_member_t *m)
{
    f->sum_len -= entry_len(m);
    f->sum_values -= m->values;
    f->unchecked -= m->unchecked;
}

/* Printable ASCII without '"' and '\\': written as it is. */
static int plain_key(const char *key, apr_size_t klen)
{
    for (apr_size_t i = 0; i < klen; ++i) {
        if (!ctx_flat_plain[(unsigned char)key[i]]) {
            return 0;
        }
    }
    return 1;
}

apr_status_t ctx_flat_set(ctx_flat_t *f, const char *key, const char *text,
                          apr_size_t tlen, apr_size_t values)
{
    return ctx_flat_set_at(f, find(f, key), key, strlen(key), text, tlen,
                           values);
}

int ctx_flat_index(const ctx_flat_t *f, const char *key)
{
    return find(f, key);
}

const ctx_flat_member_t *ctx_flat_find(const ctx_flat_t *f, const char *key,
                                       int *at)
{
    int i = find(f, key);

    *at = i;
    return i >= 0 ? &f->m[i] : NULL;
}

/* `n` bytes for a set member past the parse's spare room: in the pool
 * while the object's share lasts, else malloc'ed (*block set, freed when
 * the member is replaced or with the pool). NULL without memory. */
static char *storage_more(ctx_flat_t *f, apr_size_t n, void **block)
{
    char *b;

    if (f->pooled + n <= POOLED_MAX) {
        f->pooled += n;
        return apr_palloc(f->pool, n);
    }
    if (!(b = malloc(n))) {
        return NULL;
    }
    if (!f->cleanup) {
        apr_pool_cleanup_register(f->pool, f, cleanup, apr_pool_cleanup_null);
        f->cleanup = 1;
    }
    *block = b;
    return b;
}

/* `n` bytes for a set member: from the parse's spare room while it lasts
 * (a request's few small sets: inline, no call), then storage_more. */
static inline char *storage(ctx_flat_t *f, apr_size_t n, void **block)
{
    char *b;

    *block = NULL;
    if (n <= f->spare_len) {
        b = f->spare;
        f->spare += n;
        f->spare_len -= n;
        return b;
    }
    return storage_more(f, n, block);
}

/* ctx_flat_set_at of a new key, or of a member with a block of its own
 * (out of line: its frame is not the usual set's). */
static __attribute__((noinline)) apr_status_t set_member(ctx_flat_t *f, int i, const char *key,
                               apr_size_t klen, const char *text,
                               apr_size_t tlen, apr_size_t values)
{
    apr_size_t qklen;
    apr_pool_t *tmp = NULL;
    const char *qkey;
    ctx_flat_member_t m;
    char *b, lit[128];

    /* One block holds the key, its literal and the text; a replaced
     * member lends its literal, a new key's is written once. */
    if (i >= 0) {
        qkey = f->m[i].qkey;
        qklen = f->m[i].qklen;
    }
    else if (plain_key(key, klen) && klen + 2 <= sizeof(lit)) {
        lit[0] = '"';           /* plain ASCII: the key, quoted */
        memcpy(lit + 1, key, klen);
        lit[klen + 1] = '"';
        qkey = lit;
        qklen = klen + 2;
    }
    else if (apr_pool_create(&tmp, f->pool) != APR_SUCCESS
             || !(qkey = ctx_json_write_string(tmp, key, klen, &qklen))) {
        if (tmp) apr_pool_destroy(tmp);
        return APR_ENOMEM;
    }
    if ((b = storage(f, klen + 1 + qklen + tlen + 1, &m.block)) != NULL) {
        memcpy(b, key, klen);
        b[klen] = '\0';
        memcpy(b + klen + 1, qkey, qklen);
        memcpy(b + klen + 1 + qklen, text, tlen);
        b[klen + 1 + qklen + tlen] = '\0';
    }
    if (tmp) {
        apr_pool_destroy(tmp);
    }
    if (!b) {
        return APR_ENOMEM;
    }
    m.key = b;
    m.klen = klen;
    m.qkey = b + klen + 1;
    m.qklen = qklen;
    m.text = b + klen + 1 + qklen;
    m.tlen = tlen;
    m.values = values;
    m.unchecked = 0;
    if (i >= 0) {
        drop_sizes(f, &f->m[i]);
        release_member(&f->m[i]);
        f->m[i] = m;
    }
    else {
        if (!reserve(f, f->n + 1)) {
            free(m.block);      /* pooled storage stays in the pool */
            return APR_ENOMEM;
        }
        i = -i - 1;
        memmove(&f->m[i + 1], &f->m[i], (size_t)(f->n - i) * sizeof(m));
        f->m[i] = m;
        ++f->n;
        f->firsts |= FIRST_BIT(key);
    }
    f->sum_len += entry_len(&m);
    f->sum_values += values;
    return APR_SUCCESS;
}

apr_status_t ctx_flat_set_at(ctx_flat_t *f, int i, const char *key,
                             apr_size_t klen, const char *text,
                             apr_size_t tlen, apr_size_t values)
{
    ctx_flat_member_t *r;
    void *block;
    char *b;

    if (i < 0 || f->m[i].block) {
        return set_member(f, i, key, klen, text, tlen, values);
    }
    /* The usual set: a member read from the text. Its key and literal live
     * in the pool or in the parsed text as long as the object: kept, only
     * the text is new (changed in place: no block to release). */
    r = &f->m[i];
    if (!(b = storage(f, tlen + 1, &block))) {
        return APR_ENOMEM;
    }
    copy_short(b, text, tlen);
    b[tlen] = '\0';
    drop_sizes(f, r);
    r->block = block;
    r->text = b;
    r->tlen = tlen;
    r->values = values;
    r->unchecked = 0;
    f->sum_len += entry_len(r);
    f->sum_values += values;
    return APR_SUCCESS;
}

ctx_flat_t *ctx_flat_copy(apr_pool_t *p, const ctx_flat_t *f)
{
    ctx_flat_t *c = ctx_flat_create(p);

    if (!f || !f->n) {
        return c;
    }
    if (!reserve(c, f->n)) {
        return NULL;
    }
    memcpy(c->m, f->m, (size_t)f->n * sizeof(*f->m));
    c->n = f->n;
    c->firsts = f->firsts;
    c->unchecked = f->unchecked;
    c->sum_len = f->sum_len;
    c->sum_values = f->sum_values;
    for (int i = 0; i < c->n; ++i) {
        ctx_flat_member_t *m = &c->m[i];

        /* f frees its blocks when it replaces a member: not shared. */
        if (m->block) {
            m->key = apr_pstrdup(p, m->key);
            m->qkey = apr_pmemdup(p, m->qkey, m->qklen);
            m->text = apr_pmemdup(p, m->text, m->tlen);
            m->block = NULL;
        }
    }
    return c;
}

int ctx_flat_remove(ctx_flat_t *f, const char *key)
{
    int i = find(f, key);

    if (i < 0) {
        return 0;
    }
    drop_sizes(f, &f->m[i]);
    release_member(&f->m[i]);
    memmove(&f->m[i], &f->m[i + 1], (size_t)(f->n - i - 1) * sizeof(*f->m));
    --f->n;
    return 1;
}

void ctx_flat_clear(ctx_flat_t *f)
{
    for (int i = 0; i < f->n; ++i) {
        release_member(&f->m[i]);
    }
    f->n = 0;
    f->firsts = 0;
    f->unchecked = 0;
    f->sum_len = f->sum_values = 0;
}

/* A member holding a float: its text as the writer writes it. */
static apr_status_t check_member(ctx_flat_t *f, ctx_flat_member_t *m)
{
    json_t *v;
    char *text;
    apr_size_t tlen, values;
    apr_status_t rv;

    if (ctx_flat_floats_canonical(m->text, m->tlen)) {
        m->unchecked = 0;       /* as written by the writer: kept */
        --f->unchecked;
        return APR_SUCCESS;
    }
    if (!(v = ctx_json_parse(m->text, m->tlen))) {
        return APR_EINVAL;      /* cannot be: it was read */
    }
    rv = ctx_json_write_member(f->pool, v, &text, &tlen, &values);
    json_decref(v);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (tlen != m->tlen || memcmp(text, m->text, tlen)) {
        f->sum_len -= m->tlen;
        f->sum_len += tlen;
        m->text = text;         /* in the pool; a set block stays as is */
        m->tlen = tlen;
    }
    m->unchecked = 0;
    --f->unchecked;
    return APR_SUCCESS;
}

/* The floats' check proper (most sessions hold none: the caller tests). */
static apr_status_t check_floats(ctx_flat_t *f)
{
    apr_status_t rv;

    for (int i = 0; i < f->n && f->unchecked; ++i) {
        if (f->m[i].unchecked
            && (rv = check_member(f, &f->m[i])) != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

apr_status_t ctx_flat_canonicalize(ctx_flat_t *f)
{
    return f->unchecked ? check_floats(f) : APR_SUCCESS;
}

apr_size_t ctx_flat_text_len(const ctx_flat_t *f)
{
    return object_len(f);
}

apr_size_t ctx_flat_values(const ctx_flat_t *f)
{
    return 1 + f->sum_values;
}

void ctx_flat_sizes(const ctx_flat_t *f, apr_size_t *len,
                    apr_size_t *values)
{
    *len = object_len(f);
    *values = 1 + f->sum_values;
}

void ctx_flat_member_size(const ctx_flat_t *f, const char *key,
                          apr_size_t *len, apr_size_t *values)
{
    const ctx_flat_member_t *m = ctx_flat_get(f, key);

    *len = m ? entry_len(m) : 0;
    *values = m ? m->values : 0;
}

char *ctx_flat_write(ctx_flat_t *f, apr_pool_t *p, apr_size_t *len)
{
    apr_size_t n;
    char *buf, *o;

    /* (the two calls written out: the save of every request) */
    if (f->unchecked && check_floats(f) != APR_SUCCESS) {
        return NULL;
    }
    n = object_len(f);
    if (p == f->pool && n < f->spare_len) {
        buf = f->spare;         /* the same lifetime as from p itself */
        f->spare += n + 1;
        f->spare_len -= n + 1;
    }
    else if (!(buf = apr_palloc(p, n + 1))) {
        return NULL;
    }
    o = buf;
    *o++ = '{';
    for (int i = 0, count = f->n; i < count; ++i) {
        /* in locals: the bytes written could alias the member */
        const ctx_flat_member_t *m = &f->m[i];
        const char *qkey = m->qkey, *text = m->text;
        apr_size_t qklen = m->qklen, tlen = m->tlen;

        if (i) *o++ = ',';
        copy_short(o, qkey, qklen);
        o += qklen;
        *o++ = ':';
        copy_short(o, text, tlen);
        o += tlen;
    }
    *o++ = '}';
    *o = '\0';
    if (len) *len = n;
    return buf;
}

/* ctx_g: the per-request scratch table `g` (Flask's flask.g).
 *
 * Keys are case-sensitive C strings. A value is either a string (copied into
 * the table's pool) or a pointer with an optional destructor that runs when
 * the entry is replaced, removed or the table is cleared. Iteration follows
 * insertion order; replacing a value keeps the entry's place. Not
 * thread-safe: a table belongs to one request, like the request_rec. */
#ifndef CTX_G_H
#define CTX_G_H

#include <apr_pools.h>

typedef struct ctx_gtable_t ctx_gtable_t;

/* Destructor of a pointer entry; runs once, with the pointer that was set. */
typedef void ctx_g_dtor_fn(void *ptr);

/* Copy of a pointer entry's object for a background task: returns a new
 * object that the task's table will own (and give to the same destructor),
 * allocated as the owner likes (`p` is the task's pool, destroyed after the
 * destructor ran), or NULL on failure. */
typedef void *ctx_g_copy_fn(const void *ptr, apr_pool_t *p);

/* Visitor: `sval` is set for string entries, `pval` for pointer entries.
 * Return 0 to stop the iteration. */
typedef int ctx_g_visit_fn(void *baton, const char *key, const char *sval,
                           void *pval);

/* A new empty table allocated in `p`. Entries' destructors run at
 * ctx_gtable_clear() or, at the latest, when `p` is destroyed. */
ctx_gtable_t *ctx_gtable_create(apr_pool_t *p);

/* Set a string (copied: the table owns the copy, which lives in the table's
 * pool). APR_EINVAL if key or val is NULL. */
apr_status_t ctx_gtable_set(ctx_gtable_t *g, const char *key, const char *val);

/* Set a pointer; `dtor` (may be NULL) runs when the entry goes away. The
 * table owns `ptr` from now on. APR_EINVAL if key or ptr is NULL. */
apr_status_t ctx_gtable_set_ptr(ctx_gtable_t *g, const char *key, void *ptr,
                           ctx_g_dtor_fn *dtor);

/* Like ctx_gtable_set_ptr(), and `copy` (may be NULL) says how to give a
 * background task its own copy (see ctx_gtable_copy_into()). */
apr_status_t ctx_gtable_set_ptr_copyable(ctx_gtable_t *g, const char *key,
                                         void *ptr, ctx_g_dtor_fn *dtor,
                                         ctx_g_copy_fn *copy);

/* Copy `src`'s entries into `dst` in order: strings are copied into dst's
 * pool, pointer entries through their copy callback; pointer entries without
 * one are left out. APR_ENOMEM if a copy callback failed (entries copied so
 * far stay), APR_EINVAL on NULL arguments. */
apr_status_t ctx_gtable_copy_into(ctx_gtable_t *dst, const ctx_gtable_t *src);

/* The string under `key`, or NULL if absent or a pointer entry. The string is
 * owned by the table and lives until the entry is replaced or removed, or the
 * table's pool is destroyed. */
const char *ctx_gtable_get(const ctx_gtable_t *g, const char *key);

/* The pointer under `key`, or NULL if absent or a string entry. Still owned
 * by the table. */
void *ctx_gtable_get_ptr(const ctx_gtable_t *g, const char *key);

/* 1 if an entry (of either type) exists under `key`, else 0. */
int ctx_gtable_has(const ctx_gtable_t *g, const char *key);

/* Remove the entry, running its destructor. APR_NOTFOUND if absent. */
apr_status_t ctx_gtable_remove(ctx_gtable_t *g, const char *key);

/* Remove a string entry and hand it out: *val lives in the table's pool (so
 * until the request ends). APR_NOTFOUND if absent, APR_EINVAL if a pointer
 * entry (left in place). */
apr_status_t ctx_gtable_pop(ctx_gtable_t *g, const char *key, const char **val);

/* Remove a pointer entry WITHOUT running its destructor: the caller owns
 * *ptr afterwards. APR_NOTFOUND if absent, APR_EINVAL if a string entry. */
apr_status_t ctx_gtable_pop_ptr(ctx_gtable_t *g, const char *key, void **ptr);

/* Like Python's dict.setdefault: if `key` holds a string, *val is it;
 * if absent, `dflt` is stored (copied) and *val is the copy. APR_EINVAL if
 * the entry is a pointer or an argument is NULL. */
apr_status_t ctx_gtable_setdefault(ctx_gtable_t *g, const char *key, const char *dflt,
                              const char **val);

/* Visit entries in insertion order. Returns 0 if a visitor stopped early,
 * 1 otherwise. The visitor must not modify the table. */
int ctx_gtable_do(const ctx_gtable_t *g, ctx_g_visit_fn *fn, void *baton);

/* Number of entries. */
unsigned int ctx_gtable_count(const ctx_gtable_t *g);

/* Remove all entries, running pointer destructors in reverse insertion
 * order. The table stays usable. */
void ctx_gtable_clear(ctx_gtable_t *g);

#endif

/* ctx_binding: which context object the calling thread is serving now.
 *
 * Each thread that ever binds gets a slot (a small struct that outlives the
 * thread: slots are recycled, never freed). The thread reads its own slot
 * through a thread-local pointer. Another thread may only *release* a binding
 * it knows by (slot, object), with a compare-and-swap: this is how a pool
 * cleanup that runs on a different worker thread (event MPM write completion)
 * un-binds its request without touching the binding of the thread it happens
 * to run on, and without clobbering a newer binding on the original thread. */
#ifndef CTX_BINDING_H
#define CTX_BINDING_H

#include <apr.h>

typedef struct ctx_slot_t ctx_slot_t;

/* (private: read inline below, a request asks for its context a dozen
 * times and more) */
struct ctx_slot_t {
    void *cur;            /* accessed with __atomic builtins only */
    ctx_slot_t *next_free;
};

/* The calling thread's slot, or NULL before it first binds. initial-exec: a
 * fixed offset from the thread pointer instead of a __tls_get_addr call on
 * every lookup (8 bytes of glibc's static TLS surplus for a dlopen'ed
 * module). */
extern __thread ctx_slot_t *ctx_binding_slot
    __attribute__((tls_model("initial-exec"), visibility("hidden")));

/* ctx_binding_set on a thread without a slot yet (ctx_binding.c). */
ctx_slot_t *ctx_binding_set_first(void *obj)
    __attribute__((visibility("hidden")));

/* The object bound on the calling thread, or NULL. Never blocks. */
static inline void *ctx_binding_get(void)
{
    ctx_slot_t *slot = ctx_binding_slot;

    return slot ? __atomic_load_n(&slot->cur, __ATOMIC_ACQUIRE) : NULL;
}

/* Bind `obj` (may be NULL) on the calling thread. Returns the calling thread's
 * slot (lives for the process; remember it to release the binding later), or
 * NULL when no slot could be allocated (out of memory: nothing is bound).
 * Binding NULL on a thread that never bound anything allocates no slot and
 * returns NULL: there is nothing to unbind, and idle threads stay free. */
static inline ctx_slot_t *ctx_binding_set(void *obj)
{
    ctx_slot_t *slot = ctx_binding_slot;

    if (!slot) {
        return ctx_binding_set_first(obj);
    }
    __atomic_store_n(&slot->cur, obj, __ATOMIC_RELEASE);
    return slot;
}

/* If `slot` still holds `obj`, replace it by `replacement` and return 1;
 * otherwise change nothing and return 0. Safe from any thread. */
int ctx_binding_release(ctx_slot_t *slot, void *obj, void *replacement);

/* Number of slots ever allocated in this process (for tests). */
apr_size_t ctx_binding_slots_allocated(void);

#endif

/* ctx_binding: see ctx_binding.h. */
#include <pthread.h>
#include <stdlib.h>

#include "ctx_binding.h"

/* (ctx_binding.h) */
__thread ctx_slot_t *ctx_binding_slot
    __attribute__((tls_model("initial-exec"), visibility("hidden")));

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t slot_key;
static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;
static ctx_slot_t *free_slots;
static apr_size_t slots_allocated;

/* Thread exit: the slot goes back to the free list, empty. A cleanup that
 * still holds (slot, obj) will find another object (or NULL) there and leave
 * it alone. */
static void slot_release(void *data)
{
    ctx_slot_t *slot = data;

    __atomic_store_n(&slot->cur, NULL, __ATOMIC_RELEASE);
    pthread_mutex_lock(&free_lock);
    slot->next_free = free_slots;
    free_slots = slot;
    pthread_mutex_unlock(&free_lock);
}

static void key_create(void)
{
    pthread_key_create(&slot_key, slot_release);
}

static ctx_slot_t *slot_acquire(void)
{
    ctx_slot_t *slot;

    pthread_once(&key_once, key_create);
    pthread_mutex_lock(&free_lock);
    slot = free_slots;
    if (slot) {
        free_slots = slot->next_free;
    }
    else if ((slot = calloc(1, sizeof(*slot))) != NULL) {
        ++slots_allocated;
    }
    pthread_mutex_unlock(&free_lock);
    if (slot) {
        slot->next_free = NULL;
        pthread_setspecific(slot_key, slot);
        ctx_binding_slot = slot;
    }
    return slot;
}

ctx_slot_t *ctx_binding_set_first(void *obj)
{
    ctx_slot_t *slot;

    if (!obj || !(slot = slot_acquire())) {
        return NULL;
    }
    __atomic_store_n(&slot->cur, obj, __ATOMIC_RELEASE);
    return slot;
}

int ctx_binding_release(ctx_slot_t *slot, void *obj, void *replacement)
{
    void *expected = obj;

    if (!slot) {
        return 0;
    }
    return __atomic_compare_exchange_n(&slot->cur, &expected, replacement, 0,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

apr_size_t ctx_binding_slots_allocated(void)
{
    apr_size_t n;

    pthread_mutex_lock(&free_lock);
    n = slots_allocated;
    pthread_mutex_unlock(&free_lock);
    return n;
}

/* ctx_store_deadline: see ctx_store_deadline.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <apr_allocator.h>

#include "ctx_store_deadline.h"

/* A call thread's stack: the providers' calls (apr_redis, apr_memcache,
 * getaddrinfo when they reconnect) need far less. */
#define CALL_STACK (512 * 1024)
/* What a call thread's pool keeps between calls. */
#define CALL_POOL_KEEP (64 * 1024)

typedef enum { OP_GET, OP_SET, OP_REMOVE } op_t;
typedef enum { QUEUED, RUNNING, DONE } state_t;

/* One call, owned by its waiter until it is abandoned, then by the thread
 * running it. Key and value live in the same malloc block. */
typedef struct job_t {
    struct job_t *next;
    op_t op;
    state_t state;
    int abandoned;
    pthread_cond_t done;
    apr_status_t rv;
    char *key;
    apr_size_t klen;
    unsigned char *val;         /* set: the value; get: the buffer */
    apr_size_t len;             /* set: vlen; get: capacity, then length */
    apr_time_t expiry;
} job_t;

struct ctx_store_deadline_t {
    ctx_store_t store;          /* the wrapper handed out */
    const ctx_store_t *inner;
    apr_interval_time_t timeout;
    unsigned max_threads;
    pthread_mutex_t lock;
    pthread_cond_t work;        /* a job is queued, or closed */
    pthread_cond_t quiet;       /* a running job returned (for drain) */
    pthread_condattr_t cattr;   /* CLOCK_MONOTONIC for the waits */
    job_t *head, *tail;
    unsigned queued, idle, refs;
    unsigned running;           /* jobs inside the provider now */
    int closed;
    pid_t pid;                  /* the process whose threads are counted */
    ctx_store_deadline_counts_t counts;
};

static void release(ctx_store_deadline_t *d)
{
    pthread_cond_destroy(&d->quiet);
    pthread_cond_destroy(&d->work);
    pthread_condattr_destroy(&d->cattr);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

/* Drop one reference (the pool's or a thread's); the last frees `d`.
 * Called with d->lock held; returns with it released. */
static void unref_unlock(ctx_store_deadline_t *d)
{
    int last = --d->refs == 0;

    pthread_mutex_unlock(&d->lock);
    if (last) {
        release(d);
    }
}

static void job_free(job_t *j)
{
    pthread_cond_destroy(&j->done);
    free(j);
}

static void run(ctx_store_deadline_t *d, job_t *j, apr_pool_t *p)
{
    const ctx_store_ops_t *ops = d->inner->ops;

    if (!p) {
        j->rv = APR_ENOMEM;
    }
    else if (j->op == OP_GET) {
        j->rv = ops->get(d->inner->baton, j->key, j->klen, j->val, &j->len,
                         p);
    }
    else if (j->op == OP_SET) {
        j->rv = ops->set(d->inner->baton, j->key, j->klen, j->val, j->len,
                         j->expiry, p);
    }
    else {
        j->rv = ops->remove(d->inner->baton, j->key, j->klen, p);
    }
}

static void *call_thread(void *arg)
{
    ctx_store_deadline_t *d = arg;
    apr_pool_t *p = NULL;

    /* Its own pool and allocator: the providers' temporary allocations
     * never touch a pool that a request (or another thread) owns. */
    if (apr_pool_create_unmanaged_ex(&p, NULL, NULL) == APR_SUCCESS) {
        apr_allocator_max_free_set(apr_pool_allocator_get(p), CALL_POOL_KEEP);
    }
    else {
        p = NULL;
    }
    pthread_mutex_lock(&d->lock);
    for (;;) {
        job_t *j;

        while (!d->head && !d->closed) {
            ++d->idle;
            pthread_cond_wait(&d->work, &d->lock);
            --d->idle;
        }
        if (!(j = d->head)) {
            break;              /* closed and nothing left */
        }
        d->head = j->next;
        if (!d->head) {
            d->tail = NULL;
        }
        --d->queued;
        j->state = RUNNING;
        ++d->running;
        pthread_mutex_unlock(&d->lock);
        run(d, j, p);
        if (p) {
            apr_pool_clear(p);
        }
        pthread_mutex_lock(&d->lock);
        --d->running;
        pthread_cond_broadcast(&d->quiet);
        if (j->abandoned) {
            --d->counts.stuck;
            job_free(j);
        }
        else {
            j->state = DONE;
            pthread_cond_signal(&j->done);
        }
    }
    --d->counts.threads;
    unref_unlock(d);
    if (p) {
        apr_pool_destroy(p);
    }
    return NULL;
}

/* One more call thread, with d->lock held: 0 if none could be made. */
static int spawn(ctx_store_deadline_t *d)
{
    pthread_attr_t attr;
    pthread_t t;
    int rc;

    if (pthread_attr_init(&attr) != 0) {
        return 0;
    }
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, CALL_STACK);
    rc = pthread_create(&t, &attr, call_thread, d);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        return 0;
    }
    ++d->counts.threads;
    ++d->refs;
    return 1;
}

static void deadline_of(apr_interval_time_t timeout, struct timespec *ts)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(timeout / APR_USEC_PER_SEC);
    ts->tv_nsec += (long)(timeout % APR_USEC_PER_SEC) * 1000;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec += 1;
        ts->tv_nsec -= 1000000000L;
    }
}

static void unqueue(ctx_store_deadline_t *d, job_t *j)
{
    job_t **pp = &d->head, *prev = NULL;

    while (*pp && *pp != j) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp) {
        *pp = j->next;
        if (d->tail == j) {
            d->tail = prev;
        }
        --d->queued;
    }
}

/* Run `j` on a call thread and wait for it until the deadline. *gone says
 * whether `j` is no longer the caller's (freed, or left to the thread
 * running it); otherwise the caller frees it, whatever the status (the
 * provider's own APR_TIMEUP included). */
static apr_status_t call(ctx_store_deadline_t *d, job_t *j, int *gone)
{
    struct timespec until;
    pid_t pid = getpid();

    *gone = 1;
    deadline_of(d->timeout, &until);
    if (pthread_cond_init(&j->done, &d->cattr) != 0) {
        free(j);
        return APR_ENOMEM;
    }
    pthread_mutex_lock(&d->lock);
    if (d->pid != pid) {
        /* A forked child: the parent's threads (if any) are not here. */
        d->pid = pid;
        d->head = d->tail = NULL;
        d->queued = d->idle = 0;
        d->counts.threads = d->counts.stuck = 0;
    }
    ++d->counts.calls;
    j->state = QUEUED;
    j->next = NULL;
    if (d->tail) {
        d->tail->next = j;
    }
    else {
        d->head = j;
    }
    d->tail = j;
    ++d->queued;
    if (d->queued > d->idle && d->counts.threads < d->max_threads
        && !spawn(d) && d->counts.threads == 0) {
        unqueue(d, j);
        pthread_mutex_unlock(&d->lock);
        job_free(j);
        return APR_ENOMEM;
    }
    pthread_cond_signal(&d->work);
    while (j->state != DONE) {
        if (pthread_cond_timedwait(&j->done, &d->lock, &until) == ETIMEDOUT
            && j->state != DONE) {
            break;
        }
    }
    if (j->state == DONE) {
        pthread_mutex_unlock(&d->lock);
        *gone = 0;
        return j->rv;
    }
    ++d->counts.timeouts;
    if (j->state == QUEUED) {
        unqueue(d, j);          /* never ran: nothing reached the store */
        pthread_mutex_unlock(&d->lock);
        job_free(j);
        return APR_TIMEUP;
    }
    j->abandoned = 1;           /* the thread frees it when it returns */
    ++d->counts.stuck;
    pthread_mutex_unlock(&d->lock);
    return APR_TIMEUP;
}

/* A job with room for the key and `vbytes` of value, or NULL. */
static job_t *job_new(op_t op, const char *key, apr_size_t klen,
                      apr_size_t vbytes)
{
    job_t *j;

    if (klen > APR_SIZE_MAX / 4 || vbytes > APR_SIZE_MAX / 4) {
        return NULL;
    }
    /* Not calloc: a get's buffer is CtxSessionMaxSize bytes (16 KiB by
     * default) that the provider fills; only the header needs zeroing. */
    j = malloc(sizeof(*j) + klen + 1 + vbytes);
    if (!j) {
        return NULL;
    }
    memset(j, 0, sizeof(*j));
    j->op = op;
    j->key = (char *)(j + 1);
    memcpy(j->key, key, klen);
    j->key[klen] = '\0';
    j->klen = klen;
    j->val = (unsigned char *)j->key + klen + 1;
    return j;
}

static apr_status_t deadline_get(void *baton, const char *key,
                                 apr_size_t klen, unsigned char *buf,
                                 apr_size_t *len, apr_pool_t *p)
{
    job_t *j = job_new(OP_GET, key, klen, *len);
    apr_status_t rv;
    int gone;

    (void)p;
    if (!j) {
        return APR_ENOMEM;
    }
    j->len = *len;
    rv = call(baton, j, &gone);
    if (gone) {
        return rv;
    }
    if (rv == APR_SUCCESS) {
        if (j->len > *len) {
            rv = APR_ENOSPC;
        }
        else {
            memcpy(buf, j->val, j->len);
            *len = j->len;
        }
    }
    job_free(j);
    return rv;
}

static apr_status_t deadline_set(void *baton, const char *key,
                                 apr_size_t klen, const unsigned char *val,
                                 apr_size_t vlen, apr_time_t expiry,
                                 apr_pool_t *p)
{
    job_t *j = job_new(OP_SET, key, klen, vlen);
    apr_status_t rv;
    int gone;

    (void)p;
    if (!j) {
        return APR_ENOMEM;
    }
    memcpy(j->val, val, vlen);
    j->len = vlen;
    j->expiry = expiry;
    rv = call(baton, j, &gone);
    if (!gone) {
        job_free(j);
    }
    return rv;
}

static apr_status_t deadline_remove(void *baton, const char *key,
                                    apr_size_t klen, apr_pool_t *p)
{
    job_t *j = job_new(OP_REMOVE, key, klen, 0);
    apr_status_t rv;
    int gone;

    (void)p;
    if (!j) {
        return APR_ENOMEM;
    }
    rv = call(baton, j, &gone);
    if (!gone) {
        job_free(j);
    }
    return rv;
}

static const ctx_store_ops_t deadline_ops = {
    "deadline", deadline_get, deadline_set, deadline_remove
};

static apr_status_t cleanup(void *data)
{
    ctx_store_deadline_t *d = data;

    pthread_mutex_lock(&d->lock);
    d->closed = 1;
    pthread_cond_broadcast(&d->work);
    unref_unlock(d);
    return APR_SUCCESS;
}

ctx_store_deadline_t *ctx_store_deadline_create(apr_pool_t *p,
                                                const ctx_store_t *inner,
                                                apr_interval_time_t timeout,
                                                unsigned threads)
{
    ctx_store_deadline_t *d;

    if (!p || !inner || !inner->ops || !inner->ops->get || !inner->ops->set
        || !inner->ops->remove || timeout <= 0 || threads < 1) {
        return NULL;
    }
    if (!(d = calloc(1, sizeof(*d)))) {
        return NULL;
    }
    if (pthread_mutex_init(&d->lock, NULL) != 0) {
        free(d);
        return NULL;
    }
    if (pthread_condattr_init(&d->cattr) != 0) {
        pthread_mutex_destroy(&d->lock);
        free(d);
        return NULL;
    }
    if (pthread_condattr_setclock(&d->cattr, CLOCK_MONOTONIC) != 0
        || pthread_cond_init(&d->work, NULL) != 0) {
        pthread_condattr_destroy(&d->cattr);
        pthread_mutex_destroy(&d->lock);
        free(d);
        return NULL;
    }
    if (pthread_cond_init(&d->quiet, &d->cattr) != 0) {
        pthread_cond_destroy(&d->work);
        pthread_condattr_destroy(&d->cattr);
        pthread_mutex_destroy(&d->lock);
        free(d);
        return NULL;
    }
    d->inner = inner;
    d->timeout = timeout;
    d->max_threads = threads;
    d->pid = getpid();
    d->refs = 1;                /* the pool's */
    d->store.ops = &deadline_ops;
    d->store.baton = d;
    apr_pool_cleanup_register(p, d, cleanup, apr_pool_cleanup_null);
    return d;
}

unsigned ctx_store_deadline_drain(ctx_store_deadline_t *d,
                                  apr_interval_time_t wait)
{
    struct timespec until;
    unsigned left;

    deadline_of(wait, &until);
    pthread_mutex_lock(&d->lock);
    d->closed = 1;              /* idle threads leave; no job is taken */
    pthread_cond_broadcast(&d->work);
    if (d->pid != getpid()) {
        left = 0;               /* a parent: its children's threads only */
    }
    else {
        while (d->running
               && pthread_cond_timedwait(&d->quiet, &d->lock, &until)
                      != ETIMEDOUT) {
        }
        left = d->running;
    }
    pthread_mutex_unlock(&d->lock);
    return left;
}

const ctx_store_t *ctx_store_deadline_store(ctx_store_deadline_t *d)
{
    return &d->store;
}

ctx_store_deadline_counts_t ctx_store_deadline_counts(
    ctx_store_deadline_t *d)
{
    ctx_store_deadline_counts_t c;

    pthread_mutex_lock(&d->lock);
    c = d->counts;
    pthread_mutex_unlock(&d->lock);
    return c;
}

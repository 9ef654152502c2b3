/* unit.h: shared helpers of the cmocka unit tests of the mod_ctx core.
 *
 * - APR is initialized once per test program (the group setup) and the log
 *   capture is installed there;
 * - every test gets a fresh pool as its state (*state) and an empty log
 *   capture;
 * - unit_run_thread() runs a function on a new thread and joins it.
 *
 * cmocka's assertions must only be used on the main thread: code running on
 * other threads records what it sees and the test asserts afterwards. */
#ifndef CTX_UNIT_H
#define CTX_UNIT_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <apr_errno.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "ctx_log.h"

/* ---- log capture -------------------------------------------------------- */

#define UNIT_LOG_KEEP 32        /* the last lines kept */
#define UNIT_LOG_LINE 512

typedef struct {
    ctx_log_level_t level;
    char msg[UNIT_LOG_LINE];
} unit_log_line_t;

typedef struct {
    pthread_mutex_t lock;
    int total;                  /* lines delivered since the last reset */
    unit_log_line_t lines[UNIT_LOG_KEEP];   /* ring: line n at n % KEEP */
} unit_log_t;

static unit_log_t unit_log = { PTHREAD_MUTEX_INITIALIZER, 0, {{0, ""}} };

static inline void unit_log_fn(void *baton, ctx_log_level_t level,
                               const char *file, int line, const char *msg)
{
    unit_log_t *log = baton;
    unit_log_line_t *l;

    (void)file;
    (void)line;
    pthread_mutex_lock(&log->lock);
    l = &log->lines[log->total % UNIT_LOG_KEEP];
    l->level = level;
    snprintf(l->msg, sizeof(l->msg), "%s", msg ? msg : "(null)");
    ++log->total;
    pthread_mutex_unlock(&log->lock);
}

static inline void unit_log_reset(void)
{
    pthread_mutex_lock(&unit_log.lock);
    unit_log.total = 0;
    memset(unit_log.lines, 0, sizeof(unit_log.lines));
    pthread_mutex_unlock(&unit_log.lock);
}

/* Lines delivered since the reset (including those no longer kept). */
static inline int unit_log_total(void)
{
    int n;

    pthread_mutex_lock(&unit_log.lock);
    n = unit_log.total;
    pthread_mutex_unlock(&unit_log.lock);
    return n;
}

/* Kept lines at exactly `level`. */
static inline int unit_log_count_at(ctx_log_level_t level)
{
    int n = 0, kept;

    pthread_mutex_lock(&unit_log.lock);
    kept = unit_log.total < UNIT_LOG_KEEP ? unit_log.total : UNIT_LOG_KEEP;
    for (int i = 0; i < kept; ++i) {
        n += unit_log.lines[i].level == level;
    }
    pthread_mutex_unlock(&unit_log.lock);
    return n;
}

/* Kept lines at `level` whose message contains every one of the NULL
 * terminated substrings. */
static inline int unit_log_count_matching(ctx_log_level_t level, ...)
{
    int n = 0, kept;

    pthread_mutex_lock(&unit_log.lock);
    kept = unit_log.total < UNIT_LOG_KEEP ? unit_log.total : UNIT_LOG_KEEP;
    for (int i = 0; i < kept; ++i) {
        const unit_log_line_t *l = &unit_log.lines[i];
        const char *sub;
        int all = l->level == level;
        va_list ap;

        va_start(ap, level);
        while (all && (sub = va_arg(ap, const char *)) != NULL) {
            all = strstr(l->msg, sub) != NULL;
        }
        va_end(ap);
        n += all;
    }
    pthread_mutex_unlock(&unit_log.lock);
    return n;
}

/* The last line delivered (level in *level), or NULL if none. The copy is
 * valid until the next log call. */
static inline const char *unit_log_last(ctx_log_level_t *level)
{
    const unit_log_line_t *l;

    if (unit_log.total == 0) {
        return NULL;
    }
    l = &unit_log.lines[(unit_log.total - 1) % UNIT_LOG_KEEP];
    if (level) {
        *level = l->level;
    }
    return l->msg;
}

/* ---- APR, pools --------------------------------------------------------- */

static inline int unit_group_setup(void **state)
{
    (void)state;
    if (apr_initialize() != APR_SUCCESS) {
        return -1;
    }
    ctx_log_set(unit_log_fn, &unit_log);
    ctx_log_set_level(CTX_LOG_DEBUG);
    return 0;
}

static inline int unit_group_teardown(void **state)
{
    (void)state;
    ctx_log_set(NULL, NULL);
    apr_terminate();
    return 0;
}

/* A fresh pool per test, in *state. */
static inline int unit_setup(void **state)
{
    apr_pool_t *p;

    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return -1;
    }
    *state = p;
    unit_log_reset();
    return 0;
}

static inline int unit_teardown(void **state)
{
    if (*state) {
        apr_pool_destroy(*state);
        *state = NULL;
    }
    return 0;
}

#define UNIT_POOL(state) ((apr_pool_t *)*(state))

/* A sub-pool of the test's pool (for tests that destroy it themselves). */
static inline apr_pool_t *unit_subpool(apr_pool_t *parent)
{
    apr_pool_t *p = NULL;

    assert_int_equal(apr_pool_create(&p, parent), APR_SUCCESS);
    return p;
}

#define UNIT_TEST(f) cmocka_unit_test_setup_teardown(f, unit_setup, unit_teardown)
#define UNIT_RUN(tests) \
    cmocka_run_group_tests(tests, unit_group_setup, unit_group_teardown)

/* ---- threads ------------------------------------------------------------ */

typedef void *unit_thread_fn(void *arg);

/* Run fn(arg) on a new thread and wait for it to exit (its thread-specific
 * data destructors have run when this returns). */
static inline void unit_run_thread(unit_thread_fn *fn, void *arg)
{
    pthread_t t;

    assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
}

/* A one-shot event between two threads. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int set;
} unit_event_t;

static inline void unit_event_init(unit_event_t *e)
{
    pthread_mutex_init(&e->lock, NULL);
    pthread_cond_init(&e->cond, NULL);
    e->set = 0;
}

static inline void unit_event_destroy(unit_event_t *e)
{
    pthread_cond_destroy(&e->cond);
    pthread_mutex_destroy(&e->lock);
}

static inline void unit_event_signal(unit_event_t *e)
{
    pthread_mutex_lock(&e->lock);
    e->set = 1;
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->lock);
}

static inline void unit_event_wait(unit_event_t *e)
{
    pthread_mutex_lock(&e->lock);
    while (!e->set) {
        pthread_cond_wait(&e->cond, &e->lock);
    }
    pthread_mutex_unlock(&e->lock);
}

#endif

/* Shared between the files of the test kit (libctx_test); not installed. */
#ifndef CTX_TEST_PRIVATE_H
#define CTX_TEST_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "util_filter.h"
#include "apr_buckets.h"

#include "mod_ctx_test.h"

/* The hooks the kit runs, in the order httpd runs them. */
typedef enum {
    KIT_PRE_CONFIG, KIT_CHECK_CONFIG, KIT_POST_CONFIG, KIT_CHILD_INIT,
    KIT_CREATE_REQUEST, KIT_POST_READ_REQUEST, KIT_QUICK_HANDLER,
    KIT_TRANSLATE_NAME, KIT_MAP_TO_STORAGE, KIT_HEADER_PARSER, KIT_FIXUPS,
    KIT_INSERT_FILTER, KIT_HANDLER, KIT_INSERT_ERROR_FILTER,
    KIT_LOG_TRANSACTION, KIT_HOOK_COUNT
} kit_hook_t;

typedef void kit_fn(void);

/* Record a hook function (called by the kit's ap_hook_*). */
void ctx_test_hook_add(kit_hook_t which, kit_fn *fn, int order);
/* The registered functions of a hook, in order; *n set. */
kit_fn **ctx_test_hooks(kit_hook_t which, int *n);
void ctx_test_hooks_reset(void);

/* Output filters: registered by name (ap_register_output_filter). */
void ctx_test_filters_reset(void);

struct ctx_test_app_t {
    apr_pool_t *pconf, *ptemp, *pchild;
    server_rec *s;
    process_rec process;
    module *mod;
    const char *handler;        /* SetHandler */
    int tasks_inline;
    apr_pool_t *logpool;        /* the log's lines */
    apr_array_header_t *log;    /* const char *, in logpool */
    long next_conn_id;
};

struct ctx_test_req_t {
    ctx_test_app_t *app;
    ctx_test_jar_t *jar;        /* takes the Set-Cookie, or NULL */
    apr_pool_t *pool;           /* the capture; outlives r->pool */
    apr_pool_t *cpool;          /* the connection's */
    request_rec *r;
    apr_bucket_brigade *out;    /* written, not yet passed */
    const char *in;             /* the request body (ap_get_brigade) */
    apr_size_t in_len, in_pos;
    int ended;
    int status;
    struct iovec body;          /* captured by the last filter */
    apr_table_t *headers;       /* captured at the end */
};

/* The request the kit made `r` for, or NULL. */
ctx_test_req_t *ctx_test_req_of(const request_rec *r);
/* The current app (one at a time). */
extern ctx_test_app_t *ctx_test_current_app;
/* Append a log line to the current app's log. */
void ctx_test_log_add(int level, const char *msg);

/* The filter that captures the body (last of every request). */
extern ap_filter_rec_t ctx_test_capture_frec;
/* The input filter ap_get_brigade reads the test's body from. */
extern ap_filter_rec_t ctx_test_input_frec;

#endif

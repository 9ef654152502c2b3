/* mod_bench_session: the /counter of mod_ctx_example, on httpd's own
 * mod_session instead of mod_ctx, so that bench/run can measure
 * mod_session_cookie (plain) and mod_session_crypto doing the same work.
 *
 *   <Location /ms-crypto>
 *       SetHandler bench-session
 *       Session On
 *       SessionCookieName ms_crypto path=/;HttpOnly
 *       SessionCryptoPassphrase ...            (for mod_session_crypto)
 *   </Location>
 *
 *   GET <anything>   increments the session's "count": count=N
 *
 * It uses mod_session's optional functions (ap_session_load/get/set from
 * mod_session.h); mod_session's own output filter saves the session.  Built
 * by bench/run with apxs -c; not part of the project's build. */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_optional.h"
#include "apr_strings.h"

#include "mod_session.h"

module AP_MODULE_DECLARE_DATA bench_session_module;
APLOG_USE_MODULE(bench_session);

#define HANDLER "bench-session"

static APR_OPTIONAL_FN_TYPE(ap_session_load) *session_load;
static APR_OPTIONAL_FN_TYPE(ap_session_get) *session_get;
static APR_OPTIONAL_FN_TYPE(ap_session_set) *session_set;

static void bench_session_retrieve(void)
{
    session_load = APR_RETRIEVE_OPTIONAL_FN(ap_session_load);
    session_get = APR_RETRIEVE_OPTIONAL_FN(ap_session_get);
    session_set = APR_RETRIEVE_OPTIONAL_FN(ap_session_set);
}

static int bench_session_handler(request_rec *r)
{
    session_rec *z = NULL;
    const char *value = NULL;
    apr_int64_t count = 0;

    if (!r->handler || strcmp(r->handler, HANDLER)) {
        return DECLINED;
    }
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!session_load || !session_get || !session_set) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "bench_session: mod_session is not loaded");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (session_load(r, &z) != APR_SUCCESS || !z) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "bench_session: no session (Session On missing?)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (session_get(r, z, "count", &value) == APR_SUCCESS && value) {
        count = apr_atoi64(value);
    }
    ++count;
    if (session_set(r, z, "count",
                    apr_psprintf(r->pool, "%" APR_INT64_T_FMT, count))
        != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_set_content_type(r, "text/plain; charset=utf-8");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_rprintf(r, "count=%" APR_INT64_T_FMT "\n", count);
    return OK;
}

static void bench_session_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_optional_fn_retrieve(bench_session_retrieve, NULL, NULL,
                                 APR_HOOK_MIDDLE);
    ap_hook_handler(bench_session_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA bench_session_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    bench_session_hooks
};

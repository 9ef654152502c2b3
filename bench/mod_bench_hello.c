/* mod_bench_hello: the baselines of bench/run, bare C handlers.
 *
 *   <Location /hello>
 *       SetHandler bench-hello
 *   </Location>
 *   <Location /hello-cookie>
 *       SetHandler bench-hello-cookie
 *   </Location>
 *
 * bench-hello does what mod_ctx_example's /home does minus mod_ctx: the same
 * method check, the same Content-Type and X-Content-Type-Options headers and
 * a body of the same length ("home page=1\n" there, "bare page=1\n" here),
 * so the difference between the two is the cost of the mod_ctx calls
 * (request context, ctx_arg, g, teardown).
 *
 * bench-hello-cookie is the HTTP floor of a cookie session: it answers like
 * /counter ("count=2\n"), sends back the request's Cookie header as a
 * Set-Cookie with the attributes mod_ctx adds, and Vary: Cookie, but decodes,
 * verifies and encodes nothing. The difference between it and a session
 * endpoint is the session's own work; the difference between it and
 * bench-hello is the cost of carrying the cookie in and out.
 *
 * Built by bench/run with apxs -c; not part of the project's build. */
#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"

#include "apr_strings.h"

#define HANDLER "bench-hello"
#define HANDLER_COOKIE "bench-hello-cookie"

static int bench_hello_handler(request_rec *r)
{
    int with_cookie;
    const char *cookie;

    if (!r->handler) {
        return DECLINED;
    }
    if (!strcmp(r->handler, HANDLER)) {
        with_cookie = 0;
    }
    else if (!strcmp(r->handler, HANDLER_COOKIE)) {
        with_cookie = 1;
    }
    else {
        return DECLINED;
    }
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    ap_set_content_type(r, "text/plain; charset=utf-8");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (!with_cookie) {
        ap_rputs("bare page=1\n", r);
        return OK;
    }
    cookie = apr_table_get(r->headers_in, "Cookie");
    if (cookie) {
        apr_table_mergen(r->headers_out, "Vary", "Cookie");
        apr_table_addn(r->err_headers_out, "Set-Cookie",
                       apr_pstrcat(r->pool, cookie,
                                   "; Path=/; HttpOnly; SameSite=Lax", NULL));
    }
    ap_rputs(cookie ? "count=2\n" : "count=1\n", r);
    return OK;
}

static void bench_hello_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(bench_hello_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA bench_hello_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    bench_hello_hooks
};

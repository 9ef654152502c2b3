/* mod_ctx_caching: see mod_ctx_caching.h. */
#include <string.h>

#include "httpd.h"
#include "util_filter.h"
#include "apr_strings.h"

#include "mod_ctx_caching.h"

/* The value merged at the first use: one string, so that the save can
 * recognise it by its address when nobody else touched Vary. */
static const char cookie_token[] = "Cookie";

void ctx_glue_vary_on_cookie(request_rec *r)
{
    apr_table_mergen(r->headers_out, "Vary", cookie_token);
}

/* Does the Vary value `v` name Cookie (a token of its comma list, or *)? */
static int varies_on_cookie(const char *v)
{
    if (v == cookie_token) {
        return 1;
    }
    while (v && *v) {
        const char *end;

        while (*v == ' ' || *v == '\t' || *v == ',') ++v;
        end = v;
        while (*end && *end != ',' && *end != ' ' && *end != '\t') ++end;
        if ((end - v == 6 && !strncasecmp(v, "Cookie", 6))
            || (end - v == 1 && *v == '*')) {
            return 1;
        }
        v = end;
    }
    return 0;
}

/* A second Vary costs httpd's header filter ~700 instructions to merge:
 * only when the first one may be lost. */
void ctx_glue_vary_at_save(request_rec *r, const apr_table_t *varied)
{
    if (r->headers_out != varied
        || !varies_on_cookie(apr_table_get(r->headers_out, "Vary"))) {
        apr_table_mergen(r->err_headers_out, "Vary", "Cookie");
    }
}

/* mod_cache's save filter checks r->no_cache; RFC 9111 5.2.2.7: a shared
 * cache stores no response with Cache-Control: private, even one also
 * marked public. */
void ctx_glue_not_for_shared_caches(request_rec *r)
{
    for (; r; r = r->main ? r->main : r->prev) {
        r->no_cache = 1;
    }
}

/* httpd has no way to abort a store once it has begun. */
void ctx_glue_drop_cache_store(request_rec *r)
{
    ap_filter_t *f = r->output_filters, *next;

    for (; f; f = next) {
        next = f->next;         /* before f is unlinked */
        if (!strcasecmp(f->frec->name, "CACHE_SAVE")
            || !strcasecmp(f->frec->name, "CACHE_SAVE_SUBREQ")) {
            ap_remove_output_filter(f);
        }
    }
}

void ctx_glue_mark_private(request_rec *r)
{
    const char *cc = apr_table_get(r->headers_out, "Cache-Control");
    const char *ecc = apr_table_get(r->err_headers_out, "Cache-Control");

    ctx_glue_not_for_shared_caches(r);
    if ((cc && (ap_strcasestr(cc, "private") || ap_strcasestr(cc, "no-store")))
        || (ecc && (ap_strcasestr(ecc, "private")
                    || ap_strcasestr(ecc, "no-store")))) {
        return;
    }
    apr_table_mergen(r->err_headers_out, "Cache-Control", "private");
}

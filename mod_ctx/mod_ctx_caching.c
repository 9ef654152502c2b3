/* mod_ctx_caching: see mod_ctx_caching.h. */
#include <string.h>

#include "httpd.h"
#include "util_filter.h"
#include "apr_strings.h"

#include "mod_ctx_caching.h"

/* The value merged at the first use: one string, so that the save can
 * recognise it by its address when nobody else touched Vary. */
static const char cookie_token[] = "Cookie";
/* Its key, by address too: the save finds its entry without a search. */
static const char vary_key[] = "Vary";

/* Is entry `i` of `t` the one ctx_glue_vary_on_cookie added, untouched? */
static int own_vary(const apr_table_t *t, int i)
{
    const apr_array_header_t *h = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;

    return i >= 0 && i < h->nelts && e[i].key == vary_key
           && e[i].val == cookie_token;
}

int ctx_glue_vary_on_cookie(request_rec *r)
{
    int last;

    apr_table_mergen(r->headers_out, vary_key, cookie_token);
    last = apr_table_elts(r->headers_out)->nelts - 1;
    return own_vary(r->headers_out, last) ? last : -1;
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
void ctx_glue_vary_at_save(request_rec *r, const apr_table_t *varied,
                           int entry)
{
    /* An entry of our own is the first Vary (tables only append; an unset
     * removes it): no search for the header then. */
    if (r->headers_out != varied
        || (!own_vary(varied, entry)
            && !varies_on_cookie(apr_table_get(r->headers_out, "Vary")))) {
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

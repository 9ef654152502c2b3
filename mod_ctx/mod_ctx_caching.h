/* mod_ctx_caching: what a page that depends on a session tells caches,
 * httpd's mod_cache and the shared caches downstream (issue #7): Vary:
 * Cookie where it read the session, Cache-Control: private and
 * r->no_cache where it sets the cookie, and mod_cache's store dropped when
 * the headers have already gone. Plain httpd calls on the request; no
 * session state. */
#ifndef MOD_CTX_CACHING_H
#define MOD_CTX_CACHING_H

#include "httpd.h"

/* Vary: Cookie into r->headers_out (at a page's first use of the session:
 * mod_cache stores the response in a content filter, before the save).
 * Returns the index of the entry it added, -1 when it merged into another
 * Vary (for ctx_glue_vary_at_save). */
int ctx_glue_vary_on_cookie(request_rec *r);

/* At the save of a session that was used: Vary: Cookie again in
 * err_headers_out (which an error response or an internal redirect keeps),
 * unless r->headers_out is still `varied`, the table the first use went
 * into, and still names Cookie. `entry`: what ctx_glue_vary_on_cookie
 * answered for it. */
void ctx_glue_vary_at_save(request_rec *r, const apr_table_t *varied,
                           int entry);

/* r->no_cache on r and every request it came from (main, prev): mod_cache
 * stores none of them. */
void ctx_glue_not_for_shared_caches(request_rec *r);

/* Remove mod_cache's storing filters (CACHE_SAVE, CACHE_SAVE_SUBREQ) from
 * r's chain: a store that never sees its EOS is never committed. */
void ctx_glue_drop_cache_store(request_rec *r);

/* A response that sets or deletes the session cookie: no shared cache may
 * keep it (ctx_glue_not_for_shared_caches, and Cache-Control: private in
 * err_headers_out unless it already says private or no-store). */
void ctx_glue_mark_private(request_rec *r);

#endif

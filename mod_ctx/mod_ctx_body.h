/* mod_ctx_body: the request body (read lazily, bounded by CtxMaxBodySize,
 * kept in the client request's pool) and request cookies, behind the
 * version 4 entries of the API table. See include/mod_ctx.h for the
 * contract of each function. */
#ifndef MOD_CTX_BODY_H
#define MOD_CTX_BODY_H

#include "mod_ctx_private.h"

apr_status_t ctx_glue_body(request_rec *r, const char **data,
                           apr_size_t *len);
apr_status_t ctx_glue_form(request_rec *r, const char *name,
                           const char **val);
apr_status_t ctx_glue_form_all(request_rec *r, const char *name,
                               apr_array_header_t **vals);
apr_status_t ctx_glue_form_names(request_rec *r, apr_array_header_t **names);
apr_status_t ctx_glue_form_file(request_rec *r, const char *name,
                                const ctx_form_file_t **file);
apr_status_t ctx_glue_form_files(request_rec *r, const char *name,
                                 apr_array_header_t **files);
apr_status_t ctx_glue_json_body(request_rec *r, const char **json);
const char *ctx_glue_cookie(request_rec *r, const char *name);

#endif

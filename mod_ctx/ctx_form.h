/* ctx_form: the fields and files of a form body (Flask's request.form and
 * request.files), from an application/x-www-form-urlencoded body or from
 * the parts of a multipart/form-data one (ctx_multipart).
 *
 * urlencoded: pairs separated by '&' (not ';'), decoded like the query
 * string (ctx_url_decode: %XX, '+' is a space, a malformed escape stays as
 * written, no '=' means the value ""); empty segments are skipped. A pair
 * that decodes to a NUL byte is dropped and counted, as are multipart
 * fields whose name or value holds a NUL byte. Multipart parts with a
 * filename parameter are files (kept as bytes), the others fields. Names
 * are case-sensitive and keep their order. */
#ifndef CTX_FORM_H
#define CTX_FORM_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "ctx_multipart.h"

/* Werkzeug's default max_form_parts: more fields or parts is APR_ENOSPC. */
#define CTX_FORM_MAX_FIELDS 1000

typedef struct ctx_form_t ctx_form_t;

/* A form with no fields and no files, in `p`. */
ctx_form_t *ctx_form_empty(apr_pool_t *p);

/* Parse `len` bytes of urlencoded `body` (not NUL-terminated; may hold any
 * byte). *form and its strings are allocated in `p`, copied from the body.
 * APR_ENOSPC with more than `max_fields` pairs (empty segments not
 * counted), APR_EINVAL for NULL arguments; *form is set only on success. */
apr_status_t ctx_form_parse_urlencoded(apr_pool_t *p, const char *body,
                                       apr_size_t len, int max_fields,
                                       ctx_form_t **form);

/* A form from multipart parts (ctx_multipart_parse). Field values are
 * copied into `p`; files keep pointing at the parts' data (the body must
 * outlive the form). */
ctx_form_t *ctx_form_from_parts(apr_pool_t *p, const apr_array_header_t *parts);

/* First value of field `name`, or NULL. Lives as long as the form's pool. */
const char *ctx_form_get(const ctx_form_t *f, const char *name);

/* Every value of field `name` in order: a new array of const char * in `p`
 * (empty if none). */
apr_array_header_t *ctx_form_get_all(const ctx_form_t *f, apr_pool_t *p,
                                     const char *name);

/* The distinct field names (files not included) in order of first
 * appearance: a new array of const char * in `p`. */
apr_array_header_t *ctx_form_names(const ctx_form_t *f, apr_pool_t *p);

/* The first file sent as `name`, or NULL. Owned by the form. */
const ctx_multipart_part_t *ctx_form_file(const ctx_form_t *f,
                                          const char *name);

/* Every file sent as `name` (NULL: every file) in order: a new array of
 * const ctx_multipart_part_t * in `p` (empty if none). */
apr_array_header_t *ctx_form_files(const ctx_form_t *f, apr_pool_t *p,
                                   const char *name);

/* Number of fields (pairs), of files, and of dropped fields. */
int ctx_form_count(const ctx_form_t *f);
int ctx_form_file_count(const ctx_form_t *f);
int ctx_form_dropped(const ctx_form_t *f);

#endif

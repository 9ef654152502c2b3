/* ctx_export: session values as they leave mod_ctx for the rest of httpd
 * (ap_expr functions, the subprocess environment, mod_session's entries):
 * strings, and names of environment variables a client can never set. */
#ifndef CTX_EXPORT_H
#define CTX_EXPORT_H

#include <apr_pools.h>
#include <jansson.h>

/* The text of a JSON value for a string-only consumer, allocated in `p`:
 * a string is itself when it holds no control character (bytes 0x00-0x1F
 * and 0x7F); such a string and every other value (number, true, false,
 * null, list, object) give their JSON text as ctx_json_dump writes it
 * (printable ASCII only), so no CR/LF can reach a header or the
 * environment. NULL for a NULL value or without memory. */
const char *ctx_export_value(apr_pool_t *p, const json_t *v);

/* The same for a value given as its canonical JSON text (`len` bytes, as
 * ctx_session_do hands it out): a string without control characters is
 * its unescaped bytes, anything else that text; allocated in `p`. NULL for
 * a NULL text or without memory. */
const char *ctx_export_text(apr_pool_t *p, const char *json, apr_size_t len);

/* Why `name` cannot be the name of an exported environment variable, or
 * NULL if it can: 1 to 128 characters of [A-Za-z0-9_], not starting with a
 * digit, and never starting with HTTP_ (in any case): CGI gives request
 * headers those names (httpd's CVE-2018-1283 class). The reason is a
 * static string. */
const char *ctx_export_env_name_problem(const char *name);

/* The default variable name of session key `key`, allocated in `p`:
 * "CTX_SESSION_" and the key upper-cased, every character other than
 * [A-Za-z0-9] as '_' (bytes beyond 128 characters of key are cut). */
char *ctx_export_default_env_name(apr_pool_t *p, const char *key);

#endif

/* ctx_export: see ctx_export.h. */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "ctx_export.h"
#include "ctx_flat.h"
#include "ctx_json.h"

#define ENV_NAME_MAX 128
#define ENV_PREFIX "CTX_SESSION_"

static int has_control(const char *s, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch < 0x20 || ch == 0x7f) {
            return 1;
        }
    }
    return 0;
}

const char *ctx_export_value(apr_pool_t *p, const json_t *v)
{
    if (!v) {
        return NULL;
    }
    if (json_is_string(v)
        && !has_control(json_string_value(v), json_string_length(v))) {
        return apr_pstrmemdup(p, json_string_value(v), json_string_length(v));
    }
    /* ensure_ascii: control characters, DEL and non-ASCII are escapes. */
    return ctx_json_dump(p, v, NULL);
}

const char *ctx_export_text(apr_pool_t *p, const char *json, apr_size_t len)
{
    const char *str;
    apr_size_t slen;

    if (!json) {
        return NULL;
    }
    if (ctx_flat_type(json, len) == JSON_STRING
        && ctx_flat_string(p, json, len, &str, &slen) == APR_SUCCESS
        && !has_control(str, slen)) {
        return str;
    }
    /* The session's canonical text is what ctx_json_dump writes. */
    return apr_pstrmemdup(p, json, len);
}

const char *ctx_export_env_name_problem(const char *name)
{
    const char *c;

    if (!name || !*name) {
        return "is empty";
    }
    if (strlen(name) > ENV_NAME_MAX) {
        return "is longer than 128 characters";
    }
    if (apr_isdigit(*name)) {
        return "starts with a digit";
    }
    for (c = name; *c; c++) {
        if (!apr_isalnum(*c) && *c != '_') {
            return "has a character other than A-Z, a-z, 0-9 and _";
        }
    }
    if (!strncasecmp(name, "HTTP_", 5)) {
        return "starts with HTTP_, the names CGI gives to request headers "
               "(a client could set it)";
    }
    return NULL;
}

char *ctx_export_default_env_name(apr_pool_t *p, const char *key)
{
    apr_size_t n = strlen(key), i, pre = sizeof(ENV_PREFIX) - 1;
    char *out;

    if (n > ENV_NAME_MAX - pre) {
        n = ENV_NAME_MAX - pre;
    }
    out = apr_palloc(p, pre + n + 1);
    memcpy(out, ENV_PREFIX, pre);
    for (i = 0; i < n; i++) {
        out[pre + i] = apr_isalnum(key[i]) ? (char)apr_toupper(key[i]) : '_';
    }
    out[pre + n] = '\0';
    return out;
}

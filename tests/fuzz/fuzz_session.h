/* The three session decoders share one harness: a fixed keyring (current
 * key and one fallback), a fixed clock, and a check that anything accepted
 * re-encodes and decodes again to the same data. */
#ifndef CTX_FUZZ_SESSION_H
#define CTX_FUZZ_SESSION_H

#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "ctx_codec.h"
#include "ctx_json.h"
#include "fuzz.h"

#define FUZZ_NOW 1750000000

static int fuzz_session(ctx_format_t format, const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    static ctx_keyring_t *keys;
    apr_pool_t *p;
    ctx_codec_t codec;
    json_t *out = NULL;
    ctx_codec_meta_t meta, again_meta;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
        keys = ctx_keyring_create(root);
        ctx_keyring_add(keys, "s3cr3t-key-for-vectors", 22);
        ctx_keyring_add(keys, "dev", 3);
    }
    apr_pool_create(&p, root);
    memset(&codec, 0, sizeof(codec));   /* default bounds */
    codec.format = format;
    codec.keys = keys;
    codec.cookie_name = "session";
    codec.max_age = 400L * 24 * 3600 * 100;  /* reach the JSON even for old seeds */
    codec.max_skew = 60;
    codec.app_name = "app";
    codec.legacy = 1;           /* reach the version 1 readers too */
    codec.max_lifetime = 0;
    codec.max_value = 0;        /* a cookie's limit */
    if (ctx_codec_decode(&codec, p, (const char *)data, size, FUZZ_NOW, &out,
                         &meta) == CTX_REASON_OK) {
        const char *again;
        json_t *back = NULL;

        if (!json_is_object(out)
            || ctx_codec_encode(&codec, p, out, meta.issued, meta.created,
                                &again, NULL) != APR_SUCCESS
            || ctx_codec_decode(&codec, p, again, strlen(again), FUZZ_NOW,
                                &back, &again_meta) != CTX_REASON_OK
            || !json_equal(out, back) || again_meta.legacy
            || again_meta.issued != meta.issued
            || (format != CTX_FORMAT_FLASK
                && again_meta.created != meta.created)) {
            abort();            /* accepted data must round-trip */
        }
        json_decref(back);
        json_decref(out);
    }
    apr_pool_destroy(p);
    return 0;
}

#endif

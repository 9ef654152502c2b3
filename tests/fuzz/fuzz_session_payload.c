/* Fuzz what comes after a cookie verifies: the fuzzer's bytes are signed
 * with a fixed test key, so inflate, the JSON reader's limits, the session
 * and the writer see any input (the other session targets mostly stop at
 * the MAC). The first byte chooses how the rest becomes a cookie:
 *   0  JSON text, encoded by the codec as `signed` (compressed when large)
 *   1  JSON text, encoded by the codec as `encrypted`
 *   2  any bytes as a `flask` payload, plain (b64url of the bytes)
 *   3  any bytes as a `flask` payload behind "." (taken as a zlib stream)
 * Then: decode with the bounds of CtxSessionMaxSize 4093; what is accepted
 * is loaded into a session whose size check is the module's (the codec's
 * JSON bounds and the encoded length), a key is set, and whatever the
 * session lets through must encode and decode again to the same data:
 * whatever is issued is accepted. */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ctx_b64.h"
#include "ctx_codec.h"
#include "ctx_session.h"
#include "fuzz.h"

#define FUZZ_NOW 1750000000
#define MAX_SIZE 4093

typedef struct {
    ctx_codec_t *codec;
    apr_pool_t *p;
} fits_t;

/* The module's check (session_fits): JSON bounds, then the encoded value. */
static int fits(void *baton, const ctx_session_t *s, const char *json,
                apr_size_t jlen)
{
    fits_t *f = baton;
    const char *value;
    apr_size_t vlen;

    return ctx_codec_json_fits(f->codec, jlen, ctx_session_json_values(s))
           && ctx_codec_encode_json(f->codec, f->p, json, jlen, FUZZ_NOW, 0,
                                    &value, &vlen) == APR_SUCCESS
           && vlen <= MAX_SIZE;
}

/* payload "." ts "." b64url(HMAC-SHA1(flask key, payload "." ts)) */
static char *flask_cookie(apr_pool_t *p, const ctx_keyring_t *keys,
                          const char *payload)
{
    unsigned char be[4] = { (FUZZ_NOW >> 24) & 0xff, (FUZZ_NOW >> 16) & 0xff,
                            (FUZZ_NOW >> 8) & 0xff, FUZZ_NOW & 0xff };
    char ts[8], sig[32];
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mlen = 0;
    apr_size_t klen;
    const unsigned char *key = ctx_keyring_key(keys, 0, CTX_KEY_FLASK, &klen);
    char *text;

    ts[ctx_b64url_encode(ts, be, 4)] = '\0';
    text = apr_pstrcat(p, payload, ".", ts, NULL);
    if (!HMAC(EVP_sha1(), key, (int)klen, (const unsigned char *)text,
              strlen(text), mac, &mlen)) {
        abort();
    }
    sig[ctx_b64url_encode(sig, mac, mlen)] = '\0';
    return apr_pstrcat(p, text, ".", sig, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    static ctx_keyring_t *keys;
    apr_pool_t *p;
    ctx_codec_t codec;
    const char *value = NULL;
    apr_size_t vlen = 0;
    json_t *out = NULL;
    ctx_codec_meta_t meta;
    int mode;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
        keys = ctx_keyring_create(root);
        ctx_keyring_add(keys, "fuzz-payload-test-key", 21);
    }
    if (size < 1) {
        return 0;
    }
    mode = data[0] & 3;
    ++data;
    --size;
    apr_pool_create(&p, root);
    memset(&codec, 0, sizeof(codec));
    codec.format = mode == 0 ? CTX_FORMAT_SIGNED
                   : mode == 1 ? CTX_FORMAT_ENCRYPTED : CTX_FORMAT_FLASK;
    codec.keys = keys;
    codec.cookie_name = "session";
    codec.max_age = 3600;
    codec.max_skew = 60;
    codec.app_name = "fuzz";
    ctx_codec_set_max_size(&codec, MAX_SIZE);
    if (mode < 2) {
        /* CTX_ETOOLARGE past max_json: nothing to decode then */
        if (ctx_codec_encode_json(&codec, p, (const char *)data, size,
                                  FUZZ_NOW, 0, &value, &vlen) != APR_SUCCESS) {
            value = NULL;
        }
    }
    else {
        char *b = apr_palloc(p, ctx_b64url_len(size) + 2);

        b[0] = '.';
        b[1 + ctx_b64url_encode(b + 1, data, size)] = '\0';
        value = flask_cookie(p, keys, mode == 3 ? b : b + 1);
        vlen = strlen(value);
    }
    if (value && ctx_codec_decode(&codec, p, value, vlen, FUZZ_NOW, &out,
                                  &meta) == CTX_REASON_OK) {
        fits_t f = { &codec, p };
        ctx_session_t *s = ctx_session_create(p, fits, &f);
        const char *json, *again;
        apr_size_t jlen, alen;
        json_t *back = NULL;
        apr_status_t rv;

        ctx_session_load(s, out, meta.issued, meta.key_index);
        rv = ctx_session_set(s, "_fuzz", json_true());
        if (rv != APR_SUCCESS && rv != CTX_ETOOLARGE) {
            abort();            /* a loaded session takes a small key */
        }
        if (rv == APR_SUCCESS) {
            /* issued: must be accepted, with the same data */
            if (!(json = ctx_session_json(s, &jlen))
                || ctx_codec_encode_json(&codec, p, json, jlen, FUZZ_NOW, 0,
                                         &again, &alen) != APR_SUCCESS
                || ctx_codec_decode(&codec, p, again, alen, FUZZ_NOW, &back,
                                    &meta) != CTX_REASON_OK
                || !json_equal(back, ctx_session_data(s))) {
                abort();
            }
            json_decref(back);
        }
    }
    apr_pool_destroy(p);
    return 0;
}

/* bench_codec: nanoseconds per session encode+sign and verify+decode, for
 * 100-byte and 1-KiB sessions in each format, next to a bare OpenSSL
 * HMAC-SHA256 of the same bytes (the floor for `signed`): one-shot HMAC(),
 * which looks the digest up and keys a new context on every call, and a
 * keyed EVP_MAC_CTX reused with EVP_MAC_init(ctx, NULL, ...), which does
 * neither (what a per-thread, per-key context would cost). Then, per
 * format, the core's whole share of one /counter request: find the cookie
 * in a Cookie header, verify and decode it, read and increment `count`
 * (with the size check), serialize, encode and sign, build the Set-Cookie
 * header. Prints two tables; never fails on time.
 *   bench/bench_codec [iterations [FORMAT]]   (default 200000)
 * With FORMAT (signed, encrypted, flask) only that format's /counter cycle
 * runs, for a profiler: perf record bench/bench_codec 1000000 signed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "ctx_codec.h"
#include "ctx_cookie.h"
#include "ctx_flat.h"
#include "ctx_json.h"
#include "ctx_load.h"
#include "ctx_session.h"

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* A session whose JSON is about `size` bytes: a user, a count, padding. */
static json_t *make_session(size_t size)
{
    json_t *o = json_pack("{s:s, s:i, s:b}", "user", "alice", "count", 42,
                          "_permanent", 1);
    char *pad;
    size_t base = 45;

    if (size > base + 10) {
        pad = malloc(size - base - 10 + 1);
        for (size_t i = 0; i < size - base - 10; ++i) {
            pad[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7919) % 36];
        }
        pad[size - base - 10] = '\0';
        json_object_set_new(o, "pad", json_string(pad));
        free(pad);
    }
    return o;
}

/* ---- the core's share of one /counter request ----------------------------- */

/* The glue's quick size estimate (far below the limit, as a counter is). */
static int cycle_fits(void *baton, const ctx_session_t *s, const char *json,
                      apr_size_t jlen)
{
    (void)baton; (void)s; (void)json;
    return jlen + 300 < 4093;
}

/* ns per request of what mod_ctx_session.c and the API do for /counter,
 * with the same core calls in the same order (minus httpd's tables, config
 * and logging): the Cookie header -> ctx_load (find, verify, decode into
 * the flat form) -> a session from a template -> get_int, set_int "count"
 * -> its text -> encode and sign -> Set-Cookie. */
static double counter_cycle_ns(const ctx_codec_t *codec, apr_pool_t *root,
                               const char *header, long iters,
                               apr_int64_t now)
{
    static const ctx_cookie_attrs_t attrs = { "session", "/", NULL, 0, 1, 0,
                                              CTX_SAMESITE_LAX };
    ctx_session_template_t t;
    apr_pool_t *p;
    double t0;

    ctx_session_template_init(&t, cycle_fits, NULL);
    t.sure_fit = 3000;
    apr_pool_create(&p, root);
    t0 = now_ns();
    for (long i = 0; i < iters; ++i) {
        ctx_load_t lb;
        ctx_session_t *s = ctx_session_create_from(p, &t, NULL, NULL);
        const char *text, *json, *value;
        apr_size_t tlen, jlen, vlen, hlen;
        apr_int64_t count = 0;

        ctx_load_init(&lb, codec, p, now);
        ctx_load_header(&lb, header);
        if (!lb.data) {
            fprintf(stderr, "counter cycle: the cookie does not decode\n");
            exit(1);
        }
        ctx_session_load_flat(s, lb.data, lb.meta.issued, lb.meta.key_index);
        ctx_session_set_created(s, lb.meta.created);
        if (ctx_session_get_text(s, "count", &text, &tlen) != APR_SUCCESS
            || ctx_flat_type(text, tlen) != JSON_INTEGER
            || ctx_flat_int(text, tlen, &count) != APR_SUCCESS
            || ctx_session_set_int(s, "count", count + 1) != APR_SUCCESS) {
            fprintf(stderr, "counter cycle: count not read or set\n");
            exit(1);
        }
        json = ctx_session_json(s, &jlen);
        if (!json || ctx_codec_encode_json(codec, p, json, jlen, now,
                                           ctx_session_created(s), &value,
                                           &vlen) != APR_SUCCESS
            || !ctx_cookie_build_len(p, &attrs, value, vlen, 0, 0, &hlen)) {
            fprintf(stderr, "counter cycle: encoding failed\n");
            exit(1);
        }
        apr_pool_clear(p);      /* like r->pool: the session data goes too */
    }
    t0 = (now_ns() - t0) / iters;
    apr_pool_destroy(p);
    return t0;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 200000;
    static const char *const names[] = { "signed", "encrypted", "flask" };
    static const size_t sizes[] = { 100, 1024 };
    apr_pool_t *root, *p;
    ctx_keyring_t *kr;
    const apr_int64_t now = 1750000000;

    const char *only = argc > 2 ? argv[2] : NULL;

    apr_initialize();
    apr_pool_create(&root, NULL);
    kr = ctx_keyring_create(root);
    ctx_keyring_add(kr, "0123456789abcdef0123456789abcdef", 32);
    if (only) {
        goto cycles;
    }
    printf("%-10s %6s %10s %14s %14s %12s %12s %12s\n", "format", "json",
           "cookie", "encode ns", "decode ns", "hmac ns", "keyed ns",
           "decode/hmac");
    for (size_t si = 0; si < 2; ++si) {
        json_t *data = make_session(sizes[si]);
        apr_size_t jlen;
        char *json = ctx_json_dump(root, data, &jlen);
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int mlen;
        const unsigned char *key = (const unsigned char *)"0123456789abcdef0123456789abcdef";
        double t0, hmac_ns, keyed_ns;
        EVP_MAC *alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
        EVP_MAC_CTX *mctx = alg ? EVP_MAC_CTX_new(alg) : NULL;
        OSSL_PARAM params[2];
        size_t olen;

        /* the floor: one HMAC-SHA256 over the JSON (one-shot API) */
        t0 = now_ns();
        for (long i = 0; i < iters; ++i) {
            HMAC(EVP_sha256(), key, 32, (const unsigned char *)json, jlen, mac,
                 &mlen);
        }
        hmac_ns = (now_ns() - t0) / iters;

        /* a keyed context, reset for every message (no lookup, no key setup) */
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                     (char *)"SHA256", 0);
        params[1] = OSSL_PARAM_construct_end();
        if (!mctx || !EVP_MAC_init(mctx, key, 32, params)) {
            fprintf(stderr, "EVP_MAC HMAC unavailable\n");
            return 1;
        }
        t0 = now_ns();
        for (long i = 0; i < iters; ++i) {
            EVP_MAC_init(mctx, NULL, 0, NULL);
            EVP_MAC_update(mctx, (const unsigned char *)json, jlen);
            EVP_MAC_final(mctx, mac, &olen, sizeof(mac));
        }
        keyed_ns = (now_ns() - t0) / iters;
        EVP_MAC_CTX_free(mctx);
        EVP_MAC_free(alg);

        for (int f = 0; f < 3; ++f) {
            ctx_codec_t codec = { (ctx_format_t)f, kr, "session",
                                  31 * 24 * 3600, 60, "app", 0, 0 };
            const char *value = NULL;
            apr_size_t vlen = 0;
            double enc_ns, dec_ns;

            apr_pool_create(&p, root);
            t0 = now_ns();
            for (long i = 0; i < iters; ++i) {
                ctx_codec_encode(&codec, p, data, now, 0, &value, &vlen);
                if ((i & 255) == 255) apr_pool_clear(p);
            }
            enc_ns = (now_ns() - t0) / iters;
            apr_pool_clear(p);
            ctx_codec_encode(&codec, root, data, now, 0, &value, &vlen);
            t0 = now_ns();
            for (long i = 0; i < iters; ++i) {
                json_t *out;
                ctx_codec_meta_t meta;

                if (ctx_codec_decode(&codec, p, value, vlen, now, &out,
                                     &meta) != CTX_REASON_OK) {
                    fprintf(stderr, "decode failed\n");
                    return 1;
                }
                json_decref(out);
                if ((i & 255) == 255) apr_pool_clear(p);
            }
            dec_ns = (now_ns() - t0) / iters;
            apr_pool_destroy(p);
            printf("%-10s %6zu %10zu %14.0f %14.0f %12.0f %12.0f %12.2f\n",
                   names[f], (size_t)jlen, (size_t)vlen, enc_ns, dec_ns,
                   hmac_ns, keyed_ns, dec_ns / hmac_ns);
        }
        json_decref(data);
    }

    /* /counter: {"count": 1} in, {"count": 2} out, a Cookie header with one
     * other cookie before the session's */
cycles:
    printf("\n%-10s %10s %18s\n", "format", "cookie", "counter cycle ns");
    for (int f = 0; f < 3; ++f) {
        ctx_codec_t codec = { (ctx_format_t)f, kr, "session",
                              31 * 24 * 3600, 60, "app", 0, 0 };
        json_t *one = json_pack("{s:i}", "count", 1);
        const char *value = NULL;
        apr_size_t vlen = 0;
        char *header;

        if (only && strcmp(only, names[f]) != 0) {
            json_decref(one);
            continue;
        }
        if (f != CTX_FORMAT_FLASK) {
            /* as the glue's configuration prepares it at start-up */
            codec.bound = ctx_codec_bind(root, (ctx_format_t)f,
                                         codec.app_name, codec.cookie_name);
        }
        ctx_codec_encode(&codec, root, one, now, 0, &value, &vlen);
        json_decref(one);
        header = apr_pstrcat(root, "theme=dark; session=", value, NULL);
        printf("%-10s %10zu %18.0f\n", names[f], (size_t)vlen,
               counter_cycle_ns(&codec, root, header, iters, now));
    }
    return 0;
}

/* mod_bench_hello: the baselines of bench/run, bare C handlers.
 *
 *   <Location /hello>
 *       SetHandler bench-hello
 *   </Location>
 *   <Location /hello-cookie>
 *       SetHandler bench-hello-cookie
 *   </Location>
 *
 * bench-hello does what mod_ctx_example's /home does minus mod_ctx: the same
 * method check, the same Content-Type and X-Content-Type-Options headers and
 * a body of the same length ("home page=1\n" there, "bare page=1\n" here),
 * so the difference between the two is the cost of the mod_ctx calls
 * (request context, ctx_arg, g, teardown).
 *
 * bench-hello-cookie is the HTTP floor of a cookie session: it answers like
 * /counter ("count=2\n"), sends back the request's Cookie header as a
 * Set-Cookie with the attributes mod_ctx adds, and Vary: Cookie, but decodes,
 * verifies and encodes nothing. The difference between it and a session
 * endpoint is the session's own work; the difference between it and
 * bench-hello is the cost of carrying the cookie in and out.
 *
 * /hello-cookie?floor=hmac and ?floor=aead add to that exactly the OpenSSL
 * calls a /counter request of the signed (two keyed HMAC-SHA256: verify,
 * sign) or the encrypted format (one AES-256-GCM open, one seal) makes,
 * through EVP with per-thread contexts as mod_ctx keeps them, over as many
 * bytes as those of /counter's session {"count":1} in format 2 (the binding
 * of app "bench" and cookie "session", then 32 bytes of "s2." PAYLOAD "." TS
 * "." CT MACed; 11 bytes of JSON sealed), and nothing else: the floor that
 * OpenSSL's EVP layer puts under each format on this machine. The MAC input
 * is 63 bytes, one SHA-256 block: an app or cookie name a few bytes longer
 * adds a block to every MAC, in mod_ctx as here.
 *
 * ?floor=hmac-wire and ?floor=aead-wire add what no implementation of the
 * wire format can skip around those calls either: find the cookie of name
 * "session" in the Cookie header, split its value, base64url-decode its
 * parts (mod_ctx's own ctx_b64.c, compiled in), verify the MAC in constant
 * time (libsodium's crypto_verify_32, as mod_ctx), and write the new value (base64url of the same bytes, the times
 * and the new MAC or the sealed blob) into the Set-Cookie. The MAC and
 * the AEAD run over the cookie's real bytes. No JSON is read or written:
 * the difference between a format's /counter and its wire floor is
 * mod_ctx's session work proper (the JSON, the API, the bookkeeping).
 *
 * ?floor=hmac-session and ?floor=aead-sodium-session add to the wire floors
 * what any cookie session must do besides its wire format, and no more:
 * read the issue and creation times as numbers and check them (age, skew,
 * lifetime), read `count` from the JSON, which must be exactly
 * {"count":N} (no general JSON: the least any reader of this session
 * could do), write {"count":N+1} with the issue time now, and keep the
 * response out of shared caches as mod_ctx must (Cache-Control: private,
 * and r->no_cache, for which httpd adds Expires; issue #7). The
 * difference between a format's /counter and its session floor is what
 * mod_ctx's generality costs: any JSON, the dict API, configuration,
 * limits, key rotation, statistics.
 *
 * ?floor=aead-sodium and ?floor=aead-sodium-wire are the same two with the
 * AES-256-GCM through libsodium (the key expanded once per thread), which
 * mod_ctx uses where the CPU has AES-NI: the floor of the encrypted format
 * as mod_ctx runs it there.
 *
 * ?floor=hmac-ctx is ?floor=hmac through OpenSSL's HMAC_CTX, keyed once per
 * thread and restarted per MAC, as mod_ctx makes its signed and flask MACs
 * where OpenSSL still has that API (deprecated in 3.0; EVP_MAC's provider
 * layers cost about 420 instructions more per MAC). The signed wire and
 * session floors make their MACs the same way: they are the least a
 * signed /counter can cost, with the calls mod_ctx makes.
 *
 * Built by bench/run and bench/callgrind with apxs -c -lcrypto -lsodium beside a
 * copy of mod_ctx/ctx_b64.[ch]; not part of the project's build. */
#include <string.h>

/* HMAC_CTX, as mod_ctx/ctx_codec_hmac.c */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"

#include "apr_strings.h"

#include "ctx_b64.c"

/* Fixed keys: the floor measures the calls, not the secrets. */
static const unsigned char floor_key[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static __thread EVP_MAC_CTX *floor_mac;
static __thread HMAC_CTX *floor_hctx;
static __thread EVP_CIPHER_CTX *floor_gcm[2];   /* [0] open, [1] seal */
static __thread crypto_aead_aes256gcm_state *floor_sodium;

/* This thread's keyed HMAC-SHA256 context, or NULL. */
static EVP_MAC_CTX *floor_mac_ctx(void)
{
    if (!floor_mac) {
        EVP_MAC *alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
        OSSL_PARAM params[2];

        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                     (char *)"SHA256", 0);
        params[1] = OSSL_PARAM_construct_end();
        floor_mac = alg ? EVP_MAC_CTX_new(alg) : NULL;
        EVP_MAC_free(alg);
        if (floor_mac
            && !EVP_MAC_init(floor_mac, floor_key, sizeof(floor_key), params)) {
            EVP_MAC_CTX_free(floor_mac);    /* try again, never run unkeyed */
            floor_mac = NULL;
        }
    }
    return floor_mac;
}

/* This thread's keyed HMAC_CTX (SHA-256), or NULL. */
static HMAC_CTX *floor_hmac_ctx(void)
{
    if (!floor_hctx) {
        floor_hctx = HMAC_CTX_new();
        if (floor_hctx && !HMAC_Init_ex(floor_hctx, floor_key,
                                        sizeof(floor_key), EVP_sha256(),
                                        NULL)) {
            HMAC_CTX_free(floor_hctx);      /* try again, never run unkeyed */
            floor_hctx = NULL;
        }
    }
    return floor_hctx;
}

/* One MAC through HMAC_CTX, as mod_ctx makes it: the keyed state
 * restarted, the binding and the message in one update (mod_ctx puts them
 * in one buffer). */
static void hctx_mac(const char *v, size_t n, unsigned char *out)
{
    static const char prefix[] = "mod_ctx signed 2\0bench\0session";
    unsigned char in[sizeof(prefix) + 256];
    unsigned int olen;

    if (!floor_hmac_ctx() || n > 256) {
        memset(out, 0, 32);     /* no MAC: compares unequal to any */
        return;
    }
    memcpy(in, prefix, sizeof(prefix));
    memcpy(in + sizeof(prefix), v, n);
    HMAC_Init_ex(floor_hctx, NULL, 0, NULL, NULL);
    HMAC_Update(floor_hctx, in, sizeof(prefix) + n);
    HMAC_Final(floor_hctx, out, &olen);
}

/* mod_ctx's signed format 2: HMAC(domain NUL app NUL name NUL,
 * payload.ts.ct), twice. */
static void floor_hmac(const char *v, size_t n)
{
    static const char prefix[] = "mod_ctx signed 2\0bench\0session";
    unsigned char out[EVP_MAX_MD_SIZE];
    size_t olen;

    if (!floor_mac_ctx()) {
        return;
    }
    for (int i = 0; i < 2; ++i) {
        EVP_MAC_init(floor_mac, NULL, 0, NULL);
        EVP_MAC_update(floor_mac, (const unsigned char *)prefix, sizeof(prefix));
        EVP_MAC_update(floor_mac, (const unsigned char *)v, n);
        EVP_MAC_final(floor_mac, out, &olen, sizeof(out));
    }
}

/* mod_ctx's encrypted format 2: AES-256-GCM with a 12-byte nonce and the
 * domain, app, name and both times as associated data; one open, one
 * seal. */
static void floor_aead(const char *v, size_t n)
{
    static const char ad[] = "mod_ctx encrypted 2\0bench\0session\0ZVPxAA.ZVPxAA";
    unsigned char nonce[12] = { 9 }, out[64], tag[16] = { 0 };
    int len = 0;

    if (n > sizeof(out) - 16) {
        return;
    }
    for (int enc = 0; enc <= 1; ++enc) {
        EVP_CIPHER_CTX *c = floor_gcm[enc];

        if (!c) {
            if (!(c = EVP_CIPHER_CTX_new())
                || !EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc)
                || !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL)
                || !EVP_CipherInit_ex(c, NULL, NULL, floor_key, NULL, enc)) {
                EVP_CIPHER_CTX_free(c);
                return;
            }
            floor_gcm[enc] = c;
        }
        EVP_CipherInit_ex(c, NULL, NULL, NULL, nonce, enc);
        EVP_CipherUpdate(c, NULL, &len, (const unsigned char *)ad, sizeof(ad) - 1);
        EVP_CipherUpdate(c, out, &len, (const unsigned char *)v, (int)n);
        if (!enc) {
            /* a made-up tag: the open fails at the end, after all the work */
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, sizeof(tag), tag);
        }
        EVP_CipherFinal_ex(c, out + len, &len);
        if (enc) {
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, sizeof(tag), tag);
        }
    }
}

/* This thread's expanded libsodium key, or NULL. */
static crypto_aead_aes256gcm_state *floor_sodium_state(void)
{
    if (!floor_sodium) {
        void *st = NULL;

        if (sodium_init() < 0 || !crypto_aead_aes256gcm_is_available()
            || posix_memalign(&st, 16, sizeof(*floor_sodium))) {
            return NULL;
        }
        crypto_aead_aes256gcm_beforenm(st, floor_key);
        floor_sodium = st;
    }
    return floor_sodium;
}

/* The same open and seal through libsodium. */
static void floor_aead_sodium(const char *v, size_t n)
{
    static const char ad[] = "mod_ctx encrypted 2\0bench\0session\0ZVPxAA.ZVPxAA";
    unsigned char nonce[12] = { 9 }, out[64], tag[16] = { 0 };

    if (n > sizeof(out) - 16 || !floor_sodium_state()) {
        return;
    }
    /* seal, then open what was sealed: libsodium checks the tag before it
     * decrypts, so a made-up tag would skip half of a real open's work */
    crypto_aead_aes256gcm_encrypt_detached_afternm(
        out, tag, NULL, (const unsigned char *)v, n,
        (const unsigned char *)ad, sizeof(ad) - 1, NULL, nonce, floor_sodium);
    (void)crypto_aead_aes256gcm_decrypt_detached_afternm(
        out, NULL, out, n, tag,
        (const unsigned char *)ad, sizeof(ad) - 1, nonce, floor_sodium);
}

/* The value of cookie `name` in a Cookie header, or NULL. */
static const char *find_cookie(const char *h, const char *name,
                               apr_size_t nlen, apr_size_t *len)
{
    while (*h) {
        const char *end;

        while (*h == ' ' || *h == ';') {
            ++h;
        }
        end = h;
        while (*end && *end != ';') {
            ++end;
        }
        if ((apr_size_t)(end - h) > nlen && h[nlen] == '='
            && !memcmp(h, name, nlen)) {
            *len = (apr_size_t)(end - h) - nlen - 1;
            return h + nlen + 1;
        }
        h = end;
    }
    return NULL;
}

/* The last `n` dots of v (dots[0] rightmost); 0 if fewer. */
static int last_dots(const char *v, apr_size_t len, const char **dots, int n)
{
    int found = 0;

    for (apr_size_t i = len; i > 3 && found < n; --i) {
        if (v[i - 1] == '.') {
            dots[found++] = v + i - 1;
        }
    }
    return found == n;
}

/* s2.PAYLOAD.TS.CT.MAC: decode every part, verify, and write the value
 * again (same payload and times, a new MAC) into out. 0 if malformed. */
static int wire_hmac(const char *v, apr_size_t len, char *out)
{
    const char *d[3];
    unsigned char got[48], want[EVP_MAX_MD_SIZE], payload[64], ts[12],
                  ct[12];
    long pl, tl, cl;
    apr_size_t o = 3;

    if (len > 120 || !last_dots(v, len, d, 3)
        || ctx_b64url_decode(got, d[0] + 1, len - (d[0] + 1 - v)) != 32
        || (tl = ctx_b64url_decode(ts, d[2] + 1, d[1] - d[2] - 1)) < 0
        || (cl = ctx_b64url_decode(ct, d[1] + 1, d[0] - d[1] - 1)) < 0
        || (pl = ctx_b64url_decode(payload, v + 3, d[2] - v - 3)) < 0) {
        return 0;
    }
    if (!floor_hmac_ctx()) {
        return 0;
    }
    hctx_mac(v, (apr_size_t)(d[0] - v), want);
    (void)crypto_verify_32(want, got);      /* a new key: never equal */
    memcpy(out, "s2.", 3);
    o += ctx_b64url_encode(out + o, payload, (apr_size_t)pl);
    out[o++] = '.';
    o += ctx_b64url_encode(out + o, ts, (apr_size_t)tl);
    out[o++] = '.';
    o += ctx_b64url_encode(out + o, ct, (apr_size_t)cl);
    hctx_mac(out, o, want);
    out[o++] = '.';
    ctx_b64url_encode(out + o, want, 32);
    return 1;
}

/* e2.TS.CT.BLOB (nonce, ciphertext, tag): decode, open, seal the same
 * plaintext again, write the value into out. 0 if malformed. */
static int wire_aead(const char *v, apr_size_t len, char *out,
                     void (*seal)(const char *, size_t))
{
    const char *d[2];
    unsigned char blob[96], ts[12], ct[12];
    long bl, tl, cl;
    apr_size_t o = 3;

    if (len > 130 || !last_dots(v, len, d, 2)
        || (bl = ctx_b64url_decode(blob, d[0] + 1, len - (d[0] + 1 - v)))
           < 12 + 16
        || (tl = ctx_b64url_decode(ts, v + 3, d[1] - v - 3)) < 0
        || (cl = ctx_b64url_decode(ct, d[1] + 1, d[0] - d[1] - 1)) < 0) {
        return 0;
    }
    seal((const char *)blob + 12, (apr_size_t)bl - 12 - 16);
    memcpy(out, "e2.", 3);
    o += ctx_b64url_encode(out + o, ts, (apr_size_t)tl);
    out[o++] = '.';
    o += ctx_b64url_encode(out + o, ct, (apr_size_t)cl);
    out[o++] = '.';
    ctx_b64url_encode(out + o, blob, (apr_size_t)bl);
    return 1;
}

/* ---- the session floors ------------------------------------------------ */

/* A time from its base64url big-endian bytes; -1 if not one. */
static apr_int64_t floor_time(const char *s, apr_size_t n)
{
    unsigned char b[12];
    long l = n <= 11 ? ctx_b64url_decode(b, s, n) : -1;
    apr_uint64_t v = 0;

    if (l < 1 || l > 8) {
        return -1;
    }
    for (long i = 0; i < l; ++i) {
        v = (v << 8) | b[i];
    }
    return v > (apr_uint64_t)APR_INT64_MAX ? -1 : (apr_int64_t)v;
}

/* The base64url of `t`'s big-endian bytes without leading zeros. */
static apr_size_t floor_time_text(char *out, apr_int64_t t)
{
    unsigned char b[8];
    int i = 8;

    do {
        b[--i] = (unsigned char)(t & 0xff);
        t >>= 8;
    } while (t && i > 0);
    return ctx_b64url_encode(out, b + i, (apr_size_t)(8 - i));
}

/* Both times readable, the issue time not ahead by more than a minute,
 * not older than 31 days, the creation time not after it. */
static int floor_times_ok(const char *ts, apr_size_t tl, const char *ct,
                          apr_size_t cl, apr_int64_t now)
{
    apr_int64_t t = floor_time(ts, tl), c = floor_time(ct, cl);

    return t >= 0 && c >= 0 && c <= t && t <= now + 60
           && now - t <= 31 * 24 * 3600;
}

/* {"count":N} -> N, or -1. */
static apr_int64_t floor_count(const unsigned char *j, apr_size_t n)
{
    apr_int64_t v = 0;
    apr_size_t i = 9;

    if (n < 11 || memcmp(j, "{\"count\":", 9) || j[n - 1] != '}') {
        return -1;
    }
    for (; i < n - 1; ++i) {
        if (j[i] < '0' || j[i] > '9' || v > (APR_INT64_MAX - 9) / 10) {
            return -1;
        }
        v = v * 10 + (j[i] - '0');
    }
    return i > 9 ? v : -1;
}

/* {"count":N} into out: its length. */
static apr_size_t floor_count_json(unsigned char *out, apr_int64_t v)
{
    char digits[24];
    int d = 0;

    memcpy(out, "{\"count\":", 9);
    do {
        digits[d++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < d; ++i) {
        out[9 + i] = (unsigned char)digits[d - 1 - i];
    }
    out[9 + d] = '}';
    return (apr_size_t)(9 + d + 1);
}

/* The session floors keep their own sessions under the floor's key: the
 * client replays the cookie the floor issued (bench/callgrind asks for
 * one first), so the MAC matches and the AEAD opens, as mod_ctx's do. */

/* s2.PAYLOAD.TS.CT.MAC (v NULL: none yet): verify, check the times,
 * count + 1, sign the new value (issued now) into out. 0 if the cookie is
 * not such a session. */
static int session_hmac(const char *v, apr_size_t len, char *out,
                        apr_int64_t now)
{
    const char *d[3];
    unsigned char got[48], want[EVP_MAX_MD_SIZE], json[64];
    long jl;
    apr_int64_t count = 0;
    apr_size_t o = 3, cl;
    char created[12];

    if (!floor_hmac_ctx()) {
        return 0;
    }
    if (v) {
        if (len > 120 || !last_dots(v, len, d, 3)
            || ctx_b64url_decode(got, d[0] + 1, len - (d[0] + 1 - v)) != 32) {
            return 0;
        }
        hctx_mac(v, (apr_size_t)(d[0] - v), want);
        if (crypto_verify_32(want, got)
            || !floor_times_ok(d[2] + 1, (apr_size_t)(d[1] - d[2] - 1),
                               d[1] + 1, (apr_size_t)(d[0] - d[1] - 1), now)
            || (jl = ctx_b64url_decode(json, v + 3, d[2] - v - 3)) < 0
            || (count = floor_count(json, (apr_size_t)jl)) < 0) {
            return 0;
        }
        cl = (apr_size_t)(d[0] - d[1] - 1);
        memcpy(created, d[1] + 1, cl);
    }
    else {
        cl = floor_time_text(created, now);
    }
    memcpy(out, "s2.", 3);
    o += ctx_b64url_encode(out + o, json, floor_count_json(json, count + 1));
    out[o++] = '.';
    o += floor_time_text(out + o, now);
    out[o++] = '.';
    memcpy(out + o, created, cl);
    o += cl;
    hctx_mac(out, o, want);
    out[o++] = '.';
    out[o + ctx_b64url_encode(out + o, want, 32)] = '\0';
    return 1;
}

/* e2.TS.CT.BLOB (v NULL: none yet): check the times, open, count + 1,
 * seal the new JSON (issued now, a nonce counted up) into out. 0 if the
 * cookie is not such a session. */
static int session_aead(const char *v, apr_size_t len, char *out,
                        apr_int64_t now)
{
    static __thread unsigned char nonce[12];
    const char *d[2];
    unsigned char blob[96], json[64], sealed[96];
    unsigned long long ml = 0, sl = 0;
    long bl;
    apr_int64_t count = 0;
    apr_size_t o = 3, jl, cl;
    char ad[64], created[12];
    apr_size_t al = sizeof("mod_ctx encrypted 2\0bench\0session\0") - 1;

    memcpy(ad, "mod_ctx encrypted 2\0bench\0session\0", al);
    if (!floor_sodium_state()) {
        return 0;
    }
    if (v) {
        if (len > 130 || !last_dots(v, len, d, 2)
            || (bl = ctx_b64url_decode(blob, d[0] + 1,
                                       len - (d[0] + 1 - v))) < 12 + 16
            || bl > 96 || d[0] - v - 3 > 24
            || !floor_times_ok(v + 3, (apr_size_t)(d[1] - v - 3), d[1] + 1,
                               (apr_size_t)(d[0] - d[1] - 1), now)) {
            return 0;
        }
        /* the times are bound: "TS.CT" after the names */
        memcpy(ad + al, v + 3, (apr_size_t)(d[0] - v - 3));
        if (crypto_aead_aes256gcm_decrypt_afternm(json, &ml, NULL, blob + 12,
                (unsigned long long)bl - 12, (const unsigned char *)ad,
                al + (apr_size_t)(d[0] - v - 3), blob, floor_sodium)
            || (count = floor_count(json, (apr_size_t)ml)) < 0) {
            return 0;
        }
        cl = (apr_size_t)(d[0] - d[1] - 1);
        memcpy(created, d[1] + 1, cl);
    }
    else {
        cl = floor_time_text(created, now);
    }
    jl = floor_count_json(json, count + 1);
    memcpy(out, "e2.", 3);
    o += floor_time_text(out + o, now);
    out[o++] = '.';
    memcpy(out + o, created, cl);
    o += cl;
    memcpy(ad + al, out + 3, o - 3);
    ++*(apr_uint32_t *)(nonce + 8);     /* mod_ctx counts its nonces too */
    memcpy(sealed, nonce, 12);
    crypto_aead_aes256gcm_encrypt_afternm(sealed + 12, &sl, json, jl,
        (const unsigned char *)ad, al + o - 3, NULL, sealed, floor_sodium);
    out[o++] = '.';
    out[o + ctx_b64url_encode(out + o, sealed, 12 + sl)] = '\0';
    return 1;
}

#define HANDLER "bench-hello"
#define HANDLER_COOKIE "bench-hello-cookie"

static int bench_hello_handler(request_rec *r)
{
    int with_cookie;
    const char *cookie;

    if (!r->handler) {
        return DECLINED;
    }
    if (!strcmp(r->handler, HANDLER)) {
        with_cookie = 0;
    }
    else if (!strcmp(r->handler, HANDLER_COOKIE)) {
        with_cookie = 1;
    }
    else {
        return DECLINED;
    }
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    ap_set_content_type(r, "text/plain; charset=utf-8");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (!with_cookie) {
        ap_rputs("bare page=1\n", r);
        return OK;
    }
    cookie = apr_table_get(r->headers_in, "Cookie");
    if (cookie && r->args && !strncmp(r->args, "floor=", 6)
        && (!strcmp(r->args + 6, "hmac-wire")
            || !strcmp(r->args + 6, "aead-wire")
            || !strcmp(r->args + 6, "aead-sodium-wire"))) {
        apr_size_t len;
        const char *v = find_cookie(cookie, "session", 7, &len);
        char out[256];

        if (v && (r->args[6] == 'h' ? wire_hmac(v, len, out)
                  : wire_aead(v, len, out, r->args[11] == 's'
                                           ? floor_aead_sodium
                                           : floor_aead))) {
            apr_table_mergen(r->headers_out, "Vary", "Cookie");
            apr_table_addn(r->err_headers_out, "Set-Cookie",
                           apr_pstrcat(r->pool, "session=", out,
                                       "; Path=/; HttpOnly; SameSite=Lax",
                                       NULL));
            ap_rputs("count=2\n", r);
            return OK;
        }
        cookie = NULL;          /* no session yet: answer as the first */
    }
    if (r->args && (!strcmp(r->args, "floor=hmac-session")
                              || !strcmp(r->args, "floor=aead-sodium-session"))) {
        apr_size_t len = 0;
        const char *v = cookie ? find_cookie(cookie, "session", 7, &len)
                               : NULL;
        char out[256];
        apr_int64_t now = apr_time_sec(apr_time_now());

        if (r->args[6] == 'h' ? session_hmac(v, len, out, now)
                              : session_aead(v, len, out, now)) {
            apr_table_mergen(r->headers_out, "Vary", "Cookie");
            r->no_cache = 1;
            apr_table_mergen(r->err_headers_out, "Cache-Control", "private");
            apr_table_addn(r->err_headers_out, "Set-Cookie",
                           apr_pstrcat(r->pool, "session=", out,
                                       "; HttpOnly; Path=/; SameSite=Lax",
                                       NULL));
            ap_rputs(v ? "count=2\n" : "count=1\n", r);
            return OK;
        }
        return HTTP_BAD_REQUEST;    /* not the floor's session */
    }
    if (cookie && strlen(cookie) >= 32 && r->args) {
        if (!strcmp(r->args, "floor=hmac")) {
            floor_hmac(cookie, 32);
        }
        else if (!strcmp(r->args, "floor=hmac-ctx")) {
            unsigned char out[EVP_MAX_MD_SIZE];

            hctx_mac(cookie, 32, out);
            hctx_mac(cookie, 32, out);
        }
        else if (!strcmp(r->args, "floor=aead")) {
            floor_aead(cookie, 11);
        }
        else if (!strcmp(r->args, "floor=aead-sodium")) {
            floor_aead_sodium(cookie, 11);
        }
    }
    if (cookie) {
        apr_table_mergen(r->headers_out, "Vary", "Cookie");
        apr_table_addn(r->err_headers_out, "Set-Cookie",
                       apr_pstrcat(r->pool, cookie,
                                   "; Path=/; HttpOnly; SameSite=Lax", NULL));
    }
    ap_rputs(cookie ? "count=2\n" : "count=1\n", r);
    return OK;
}

static void bench_hello_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(bench_hello_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA bench_hello_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    bench_hello_hooks
};

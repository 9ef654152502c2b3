/* codec_test.h: what the unit tests of ctx_codec share (test_ctx_codec.c
 * and one program per format: test_ctx_codec_signed.c, _encrypted.c,
 * _flask.c): reason-counter bookkeeping around every decode, keyrings and
 * codecs, and cookies built independently of the code under test.
 *
 * Independent references:
 * - cookies built here with OpenSSL and zlib directly, from the formats as
 *   ctx_codec.h documents them (MAC input, AEAD associated data, timestamp
 *   encoding), so encoder and decoder are both checked against the spec and
 *   not only against each other. make_signed/make_encrypted build format 2
 *   (app and cookie name bound, issue and creation time); the _v variants
 *   also build the format 1 that older mod_ctx wrote;
 * - Flask's own cookies (test_ctx_codec_flask.c). */
#ifndef CTX_CODEC_TEST_H
#define CTX_CODEC_TEST_H

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include "unit.h"

#include "ctx_b64.h"
#include "ctx_codec.h"
#include "ctx_json.h"
#include "ctx_keys.h"
#include "ctx_status.h"

/* Each program uses some of the helpers below. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

#define T0 1700000000           /* "ZVPxAA" */
#define MAX_AGE 3600
#define SKEW 60
#define APP "app"               /* the app name of codec_of() */

#define R(x) (1u << (x))
#define REJECTED (R(CTX_REASON_MALFORMED) | R(CTX_REASON_BAD_ENCODING) \
                  | R(CTX_REASON_BAD_SIGNATURE))

/* ---- reason counters ------------------------------------------------------- */

/* Every decode of these tests goes through dec(), which tallies the reasons it
 * returned; the process-wide counters must have moved by exactly as much. */
static apr_uint32_t count_base[CTX_REASON_COUNT];
static apr_uint32_t count_tally[CTX_REASON_COUNT];

static void counts_begin(void)
{
    for (int r = 0; r < CTX_REASON_COUNT; ++r) {
        count_base[r] = ctx_codec_reason_count((ctx_reason_t)r);
        count_tally[r] = 0;
    }
}

static void counts_check(void)
{
    for (int r = 0; r < CTX_REASON_COUNT; ++r) {
        apr_uint32_t moved = ctx_codec_reason_count((ctx_reason_t)r)
                             - count_base[r];

        if (moved != count_tally[r]) {
            fail_msg("counter %s moved by %u, %u decodes returned it",
                     ctx_reason_name((ctx_reason_t)r), moved, count_tally[r]);
        }
    }
}

static int codec_setup(void **state)
{
    counts_begin();
    return unit_setup(state);
}

#define CODEC_TEST(f) cmocka_unit_test_setup_teardown(f, codec_setup, unit_teardown)

static json_t not_touched;      /* sentinel: outputs left alone */

/* Decode; on refusal the outputs must be untouched. `data` may be NULL (the
 * decoded object is then released). */
static ctx_reason_t dec_meta(const ctx_codec_t *c, apr_pool_t *p,
                             const char *v, apr_size_t len, apr_int64_t now,
                             json_t **data, ctx_codec_meta_t *meta)
{
    json_t *out = &not_touched;
    ctx_codec_meta_t m = { -12345, -54321, -7, -9 };
    ctx_reason_t r = ctx_codec_decode(c, p, v, len, now, &out, &m);
    apr_int64_t is = m.issued;
    int k = m.key_index;

    assert_true(r >= 0 && r < CTX_REASON_COUNT);
    ++count_tally[r];
    if (r == CTX_REASON_OK) {
        assert_true(out != &not_touched && out != NULL);
        assert_true(json_is_object(out));
        assert_true(k >= 0 && k < ctx_keyring_count(c->keys));
        if (data) {
            *data = out;
        }
        else {
            json_decref(out);
        }
        assert_true(m.created <= m.issued && m.created >= 0);
        assert_true(m.legacy == 0 || m.legacy == 1);
        if (meta) *meta = m;
    }
    else {
        assert_ptr_equal(out, &not_touched);
        assert_int_equal(is, -12345);
        assert_int_equal(m.created, -54321);
        assert_int_equal(k, -7);
        assert_int_equal(m.legacy, -9);
    }
    return r;
}

static ctx_reason_t dec(const ctx_codec_t *c, apr_pool_t *p, const char *v,
                        apr_size_t len, apr_int64_t now, json_t **data,
                        apr_int64_t *issued, int *key_index)
{
    ctx_codec_meta_t m;
    ctx_reason_t r = dec_meta(c, p, v, len, now, data, &m);

    if (r == CTX_REASON_OK) {
        if (issued) *issued = m.issued;
        if (key_index) *key_index = m.key_index;
    }
    return r;
}

static ctx_reason_t dec_str(const ctx_codec_t *c, apr_pool_t *p,
                            const char *v, apr_int64_t now)
{
    return dec(c, p, v, strlen(v), now, NULL, NULL, NULL);
}

static void assert_reason(ctx_reason_t got, ctx_reason_t want)
{
    if (got != want) {
        fail_msg("reason %s, want %s", ctx_reason_name(got),
                 ctx_reason_name(want));
    }
}

/* ---- keys and codecs -------------------------------------------------------- */

/* A keyring of the NULL-terminated secrets, current first. */
static ctx_keyring_t *keyring(apr_pool_t *p, ...)
{
    ctx_keyring_t *kr = ctx_keyring_create(p);
    const char *s;
    va_list ap;

    va_start(ap, p);
    while ((s = va_arg(ap, const char *)) != NULL) {
        assert_int_equal(ctx_keyring_add(kr, s, strlen(s)), APR_SUCCESS);
    }
    va_end(ap);
    return kr;
}

static ctx_codec_t codec_of(ctx_format_t f, const ctx_keyring_t *kr)
{
    ctx_codec_t c;

    memset(&c, 0, sizeof(c));   /* default bounds */
    c.format = f;
    c.keys = kr;
    c.cookie_name = "session";
    c.max_age = MAX_AGE;
    c.max_skew = SKEW;
    c.app_name = APP;
    c.legacy = 0;
    c.max_lifetime = 0;
    c.max_value = 0;
    return c;
}

static const char *enc(const ctx_codec_t *c, apr_pool_t *p, const json_t *data,
                       apr_int64_t now)
{
    const char *v = NULL;
    apr_size_t vlen = 0;

    assert_int_equal(ctx_codec_encode(c, p, data, now, 0, &v, &vlen),
                     APR_SUCCESS);
    assert_non_null(v);
    assert_int_equal(strlen(v), vlen);
    return v;
}

/* ---- building cookies independently --------------------------------------- */

static char *b64(apr_pool_t *p, const void *in, apr_size_t n)
{
    char *out = apr_palloc(p, ctx_b64url_len(n) + 1);

    ctx_b64url_encode(out, in, n);
    return out;
}

static unsigned char *unb64(apr_pool_t *p, const char *s, apr_size_t len,
                            apr_size_t *n)
{
    unsigned char *out = apr_palloc(p, len * 3 / 4 + 1);
    long r = ctx_b64url_decode(out, s, len);

    assert_true(r >= 0);
    *n = (apr_size_t)r;
    return out;
}

/* The documented timestamp: big-endian, leading zero bytes dropped. */
static char *ts_text(apr_pool_t *p, apr_int64_t t)
{
    unsigned char be[8];
    int n = 0;

    for (int shift = 56; shift >= 0; shift -= 8) {
        unsigned char b = (unsigned char)((apr_uint64_t)t >> shift);

        if (n || b || shift == 0) {
            be[n++] = b;
        }
    }
    return b64(p, be, (apr_size_t)n);
}

static const unsigned char *key_of(const ctx_keyring_t *kr, int idx,
                                   ctx_key_purpose_t pu, apr_size_t *len)
{
    const unsigned char *k = ctx_keyring_key(kr, idx, pu, len);

    assert_non_null(k);
    return k;
}

/* The bytes a MAC or tag binds before its message: format 2
 * "mod_ctx <kind> 2" NUL app NUL name NUL, format 1 "mod_ctx <kind> 1" NUL
 * name NUL. */
static unsigned char *binding(apr_pool_t *p, const char *kind, int version,
                              const char *app, const char *name,
                              apr_size_t *len)
{
    char *domain = apr_psprintf(p, "mod_ctx %s %d", kind, version);
    char *b = version == 2
              ? apr_pstrcat(p, domain, "|", app, "|", name, "|", NULL)
              : apr_pstrcat(p, domain, "|", name, "|", NULL);

    *len = strlen(b);
    for (char *c = b; *c; ++c) {
        if (*c == '|') *c = '\0';        /* names here have no '|' */
    }
    return (unsigned char *)b;
}

/* "s<version>." payload "." times "." b64(HMAC-SHA256(sign key, binding
 *  "s<version>." payload "." times)); times is "TS" (version 1) or
 *  "TS.CT" (version 2). */
static char *make_signed_v(apr_pool_t *p, const ctx_keyring_t *kr,
                           int version, const char *app, const char *name,
                           const char *payload, const char *times)
{
    apr_size_t klen, blen;
    const unsigned char *key = key_of(kr, 0, CTX_KEY_SIGN, &klen);
    char *text = apr_psprintf(p, "s%d.%s.%s", version, payload, times);
    unsigned char *bound = binding(p, "signed", version, app, name, &blen);
    apr_size_t tlen = strlen(text);
    unsigned char *msg = apr_palloc(p, blen + tlen), mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;

    memcpy(msg, bound, blen);
    memcpy(msg + blen, text, tlen);
    assert_non_null(HMAC(EVP_sha256(), key, (int)klen, msg, blen + tlen, mac,
                         &maclen));
    assert_int_equal(maclen, 32);
    return apr_pstrcat(p, text, ".", b64(p, mac, maclen), NULL);
}

/* Format 2 of app APP, created when issued (CT = TS). */
static char *make_signed(apr_pool_t *p, const ctx_keyring_t *kr,
                         const char *name, const char *payload, const char *ts)
{
    return make_signed_v(p, kr, 2, APP, name, payload,
                         apr_pstrcat(p, ts, ".", ts, NULL));
}

/* payload "." ts "." b64(HMAC-SHA1(HMAC-SHA1(secret, "cookie-session"),
 *  payload "." ts)), as itsdangerous */
static char *make_flask(apr_pool_t *p, const char *secret, const char *payload,
                        const char *ts)
{
    unsigned char k[20], mac[20];
    unsigned int klen = 0, maclen = 0;
    char *text = apr_pstrcat(p, payload, ".", ts, NULL);

    HMAC(EVP_sha1(), secret, (int)strlen(secret),
         (const unsigned char *)"cookie-session", 14, k, &klen);
    HMAC(EVP_sha1(), k, (int)klen, (const unsigned char *)text, strlen(text),
         mac, &maclen);
    return apr_pstrcat(p, text, ".", b64(p, mac, maclen), NULL);
}

static void put_aad(apr_pool_t *p, EVP_CIPHER_CTX *c, int version,
                    const char *app, const char *name, const char *times,
                    apr_size_t tlen)
{
    apr_size_t blen;
    unsigned char *b = binding(p, "encrypted", version, app, name, &blen);
    int len;

    assert_int_equal(EVP_CipherUpdate(c, NULL, &len, b, (int)blen), 1);
    if (tlen) {
        assert_int_equal(EVP_CipherUpdate(c, NULL, &len,
                                          (const unsigned char *)times,
                                          (int)tlen), 1);
    }
}

/* "e<version>." times "." b64(nonce ciphertext tag), AES-256-GCM under the
 * encryption key, associated data binding times; times is "TS" (version 1)
 * or "TS.CT" (version 2). */
static char *make_encrypted_v(apr_pool_t *p, const ctx_keyring_t *kr,
                              int version, const char *app, const char *name,
                              const char *times, const unsigned char nonce[12],
                              const void *plain, apr_size_t n)
{
    const unsigned char *key = key_of(kr, 0, CTX_KEY_ENCRYPT, NULL);
    unsigned char *blob = apr_palloc(p, 12 + n + 16);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, len2 = 0;

    memcpy(blob, nonce, 12);
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL,
                                        NULL), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL),
                     1);
    assert_int_equal(EVP_EncryptInit_ex(c, NULL, NULL, key, nonce), 1);
    put_aad(p, c, version, app, name, times, strlen(times));
    if (n) {
        assert_int_equal(EVP_EncryptUpdate(c, blob + 12, &len, plain, (int)n),
                         1);
    }
    assert_int_equal(EVP_EncryptFinal_ex(c, blob + 12 + len, &len2), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16,
                                         blob + 12 + n), 1);
    EVP_CIPHER_CTX_free(c);
    return apr_psprintf(p, "e%d.%s.%s", version, times,
                        b64(p, blob, 12 + n + 16));
}

/* Format 2 of app APP, created when issued (CT = TS). */
static char *make_encrypted(apr_pool_t *p, const ctx_keyring_t *kr,
                            const char *name, const char *ts,
                            const unsigned char nonce[12], const void *plain,
                            apr_size_t n)
{
    return make_encrypted_v(p, kr, 2, APP, name,
                            apr_pstrcat(p, ts, ".", ts, NULL), nonce, plain,
                            n);
}

/* Open a format 2 cookie of app APP with OpenSSL directly: the plaintext
 * (*n bytes) or NULL if the tag does not verify. */
static char *open_encrypted(apr_pool_t *p, const ctx_keyring_t *kr,
                            const char *name, const char *value,
                            apr_size_t *n)
{
    const unsigned char *key = key_of(kr, 0, CTX_KEY_ENCRYPT, NULL);
    const char *times = value + 3, *dot;
    apr_size_t bn;
    unsigned char *blob;
    char *plain;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, ok;

    assert_memory_equal(value, "e2.", 3);
    dot = strrchr(times, '.');
    assert_non_null(dot);
    assert_true(memchr(times, '.', (apr_size_t)(dot - times)) != NULL);
    blob = unb64(p, dot + 1, strlen(dot + 1), &bn);
    assert_true(bn >= 28);
    *n = bn - 28;
    plain = apr_palloc(p, *n + 1);
    assert_int_equal(EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL,
                                        NULL), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL),
                     1);
    assert_int_equal(EVP_DecryptInit_ex(c, NULL, NULL, key, blob), 1);
    put_aad(p, c, 2, APP, name, times, (apr_size_t)(dot - times));
    if (*n) {
        assert_int_equal(EVP_DecryptUpdate(c, (unsigned char *)plain, &len,
                                           blob + 12, (int)*n), 1);
    }
    assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16,
                                         blob + 12 + *n), 1);
    ok = EVP_DecryptFinal_ex(c, (unsigned char *)plain + len, &len);
    EVP_CIPHER_CTX_free(c);
    if (ok != 1) {
        return NULL;
    }
    plain[*n] = '\0';
    return plain;
}

/* "." b64(zlib stream of json) at `level` with a window of 2^wbits. */
static char *zpayload(apr_pool_t *p, const char *json, apr_size_t jlen,
                      int level, int wbits)
{
    z_stream z;
    apr_size_t cap = jlen + jlen / 100 + 1024;
    unsigned char *out = apr_palloc(p, cap);

    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, wbits, 8,
                                  Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)json;
    z.avail_in = (uInt)jlen;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    cap = z.total_out;
    deflateEnd(&z);
    return apr_pstrcat(p, ".", b64(p, out, cap), NULL);
}

/* Inflate a "."-prefixed payload (the test's own zlib). */
static char *unzpayload(apr_pool_t *p, const char *payload, apr_size_t plen,
                        uLongf *jlen)
{
    apr_size_t n;
    unsigned char *raw;
    char *out;

    assert_int_equal(payload[0], '.');
    raw = unb64(p, payload + 1, plen - 1, &n);
    *jlen = 1 << 20;
    out = apr_palloc(p, *jlen + 1);
    assert_int_equal(uncompress((Bytef *)out, jlen, raw, n), Z_OK);
    out[*jlen] = '\0';
    return out;
}

/* Flask's payload for `json`: "." b64url(zlib.compress(json)) when that is
 * more than one byte shorter, else b64url(json) (the reference, point 3). */
static char *flask_payload(apr_pool_t *p, const char *json, apr_size_t jlen)
{
    uLongf clen = compressBound((uLong)jlen);
    unsigned char *c = apr_palloc(p, clen);

    assert_int_equal(compress2(c, &clen, (const Bytef *)json, (uLong)jlen,
                               Z_DEFAULT_COMPRESSION), Z_OK);
    if (clen < jlen - 1) {
        return apr_pstrcat(p, ".", b64(p, c, clen), NULL);
    }
    return b64(p, json, jlen);
}

/* ---- sessions of a given size -------------------------------------------- */

/* A session whose JSON is about `size` bytes; `compressible`: padding of a
 * repeated phrase, else pseudo-random letters and digits. */
static json_t *session_of_size(size_t size, int compressible)
{
    json_t *o = json_pack("{s:s, s:i, s:b}", "user", "alice", "count", 42,
                          "_permanent", 1);
    size_t base = 45, n = size > base + 10 ? size - base - 10 : 1;
    char *pad = malloc(n + 1);
    uint32_t x = 2463534242u;

    for (size_t i = 0; i < n; ++i) {
        if (compressible) {
            pad[i] = "session padding "[i % 16];
        }
        else {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            pad[i] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[x % 62];
        }
    }
    pad[n] = '\0';
    json_object_set_new(o, "pad", json_string(pad));
    free(pad);
    return o;
}

static void assert_json_equal(const json_t *got, const json_t *want)
{
    if (!json_equal((json_t *)got, (json_t *)want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

        fail_msg("got %s, want %s", g ? g : "?", w ? w : "?");
    }
}

#pragma GCC diagnostic pop

#endif

/* Unit tests of ctx_codec: session cookie values in the signed, encrypted
 * and Flask formats.
 *
 * Independent references:
 * - tests/data/flask-session-vectors.jsonl, made by real Flask (found through
 *   $CTX_TEST_DATA, set by make check), and more cookies written by Flask
 *   3.1.3 / itsdangerous 2.2.0 for this file;
 * - cookies built here with OpenSSL and zlib directly, from the formats as
 *   ctx_codec.h documents them (MAC input, AEAD associated data, timestamp
 *   encoding), so encoder and decoder are both checked against the spec and
 *   not only against each other. make_signed/make_encrypted build format 2
 *   (app and cookie name bound, issue and creation time); the _v variants
 *   also build the format 1 that older mod_ctx wrote. */
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include "unit.h"

#include "ctx_b64.h"
#include "ctx_codec.h"
#include "ctx_json.h"
#include "ctx_keys.h"
#include "ctx_status.h"

#define T0 1700000000           /* "ZVPxAA" */
#define MAX_AGE 3600
#define SKEW 60
#define APP "app"               /* the app name of codec_of() */

#define R(x) (1u << (x))
#define REJECTED (R(CTX_REASON_MALFORMED) | R(CTX_REASON_BAD_ENCODING) \
                  | R(CTX_REASON_BAD_SIGNATURE))

static const char *const format_names[] = { "signed", "encrypted", "flask" };

/* ---- reason counters ------------------------------------------------------- */

/* Every decode of this file goes through dec(), which tallies the reasons it
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

/* ---- Flask's vectors ------------------------------------------------------ */

/* A reader of the Python repr of a session dict (the vectors' data_repr):
 * dict, list, tuple (tagged {" t": [...]} as Flask does), str, int, float,
 * True, False, None. */
typedef struct {
    const char *s;
    int failed;
} repr_t;

static json_t *repr_value(repr_t *r);

static void repr_ws(repr_t *r)
{
    while (*r->s == ' ') {
        ++r->s;
    }
}

static int repr_eat(repr_t *r, char c)
{
    repr_ws(r);
    if (*r->s == c) {
        ++r->s;
        return 1;
    }
    return 0;
}

static void repr_utf8(char **o, unsigned long cp)
{
    unsigned char *u = (unsigned char *)*o;

    if (cp < 0x80) {
        *u++ = (unsigned char)cp;
    }
    else if (cp < 0x800) {
        *u++ = (unsigned char)(0xc0 | (cp >> 6));
        *u++ = (unsigned char)(0x80 | (cp & 0x3f));
    }
    else if (cp < 0x10000) {
        *u++ = (unsigned char)(0xe0 | (cp >> 12));
        *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *u++ = (unsigned char)(0x80 | (cp & 0x3f));
    }
    else {
        *u++ = (unsigned char)(0xf0 | (cp >> 18));
        *u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *u++ = (unsigned char)(0x80 | (cp & 0x3f));
    }
    *o = (char *)u;
}

static json_t *repr_string(repr_t *r)
{
    char quote = *r->s++;
    char *buf = malloc(strlen(r->s) * 4 + 1), *o = buf;
    json_t *v;

    while (*r->s && *r->s != quote) {
        if (*r->s != '\\') {
            *o++ = *r->s++;
            continue;
        }
        ++r->s;
        switch (*r->s) {
        case 'n': *o++ = '\n'; ++r->s; break;
        case 'r': *o++ = '\r'; ++r->s; break;
        case 't': *o++ = '\t'; ++r->s; break;
        case '\\': case '\'': case '"': *o++ = *r->s++; break;
        case 'x': case 'u': case 'U': {
            int digits = *r->s == 'x' ? 2 : *r->s == 'u' ? 4 : 8;
            char hexd[9];

            memcpy(hexd, r->s + 1, (size_t)digits);
            hexd[digits] = '\0';
            repr_utf8(&o, strtoul(hexd, NULL, 16));
            r->s += 1 + digits;
            break;
        }
        default:
            r->failed = 1;
            free(buf);
            return NULL;
        }
    }
    if (*r->s != quote) {
        r->failed = 1;
        free(buf);
        return NULL;
    }
    ++r->s;
    v = json_stringn(buf, (size_t)(o - buf));
    free(buf);
    return v;
}

static json_t *repr_number(repr_t *r)
{
    const char *start = r->s;
    int real = 0;

    if (*r->s == '-') ++r->s;
    while ((*r->s >= '0' && *r->s <= '9') || *r->s == '.' || *r->s == 'e'
           || *r->s == 'E' || *r->s == '+' || *r->s == '-') {
        real |= *r->s == '.' || *r->s == 'e' || *r->s == 'E';
        ++r->s;
    }
    if (r->s == start) {
        r->failed = 1;
        return NULL;
    }
    return real ? json_real(strtod(start, NULL))
                : json_integer(strtoll(start, NULL, 10));
}

static json_t *repr_seq(repr_t *r, char close)
{
    json_t *a = json_array();

    if (repr_eat(r, close)) {
        return a;
    }
    for (;;) {
        json_t *v = repr_value(r);

        if (!v) {
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, v);
        if (repr_eat(r, ',')) {
            if (repr_eat(r, close)) {       /* (1,) */
                return a;
            }
            continue;
        }
        if (repr_eat(r, close)) {
            return a;
        }
        r->failed = 1;
        json_decref(a);
        return NULL;
    }
}

static json_t *repr_value(repr_t *r)
{
    repr_ws(r);
    switch (*r->s) {
    case '{': {
        json_t *o = json_object();

        ++r->s;
        if (repr_eat(r, '}')) {
            return o;
        }
        for (;;) {
            json_t *k, *v;

            repr_ws(r);
            if (*r->s != '\'' && *r->s != '"') break;
            k = repr_string(r);
            if (!k || !repr_eat(r, ':') || !(v = repr_value(r))) {
                json_decref(k);
                break;
            }
            json_object_set_new(o, json_string_value(k), v);
            json_decref(k);
            if (repr_eat(r, ',')) continue;
            if (repr_eat(r, '}')) return o;
            break;
        }
        r->failed = 1;
        json_decref(o);
        return NULL;
    }
    case '[':
        ++r->s;
        return repr_seq(r, ']');
    case '(': {
        json_t *a;

        ++r->s;
        a = repr_seq(r, ')');
        return a ? json_pack("{s:o}", " t", a) : NULL;
    }
    case '\'':
    case '"':
        return repr_string(r);
    default:
        if (!strncmp(r->s, "True", 4)) { r->s += 4; return json_true(); }
        if (!strncmp(r->s, "False", 5)) { r->s += 5; return json_false(); }
        if (!strncmp(r->s, "None", 4)) { r->s += 4; return json_null(); }
        return repr_number(r);
    }
}

static json_t *from_repr(const char *text)
{
    repr_t r = { text, 0 };
    json_t *v = repr_value(&r);

    repr_ws(&r);
    if (!v || r.failed || *r.s) {
        json_decref(v);
        fail_msg("cannot read the repr %s", text);
    }
    return v;
}

typedef struct {
    char secret[128];
    apr_int64_t timestamp;
    char cookie[8192];
    json_t *data;
} vector_t;

/* Read every vector; returns how many (at most `max`). */
static int read_vectors(apr_pool_t *p, vector_t *vs, int max)
{
    const char *dir = getenv("CTX_TEST_DATA");
    char *path, line[16384];
    FILE *f;
    int n = 0;

    if (!dir || !*dir) {
        /* not under make check: beside this source file */
        char *src = apr_pstrdup(p, __FILE__), *slash = strrchr(src, '/');

        if (slash) {
            *slash = '\0';
        }
        dir = apr_pstrcat(p, slash ? src : ".", "/../data", NULL);
    }
    path = apr_pstrcat(p, dir, "/flask-session-vectors.jsonl", NULL);
    f = fopen(path, "r");
    if (!f) {
        fail_msg("cannot open %s", path);
    }
    while (n < max && fgets(line, sizeof(line), f)) {
        json_error_t err;
        json_t *o;
        const char *secret, *cookie, *repr;
        json_int_t ts;

        if (line[strspn(line, " \t\r\n")] == '\0') {
            continue;
        }
        o = json_loads(line, 0, &err);
        if (!o || json_unpack(o, "{s:s, s:I, s:s, s:s}", "secret", &secret,
                              "timestamp", &ts, "cookie", &cookie,
                              "data_repr", &repr) != 0) {
            fclose(f);
            fail_msg("bad vector line %d: %s", n + 1, line);
        }
        snprintf(vs[n].secret, sizeof(vs[n].secret), "%s", secret);
        snprintf(vs[n].cookie, sizeof(vs[n].cookie), "%s", cookie);
        vs[n].timestamp = ts;
        vs[n].data = from_repr(repr);
        json_decref(o);
        ++n;
    }
    fclose(f);
    return n;
}

static void free_vectors(vector_t *vs, int n)
{
    for (int i = 0; i < n; ++i) {
        json_decref(vs[i].data);
    }
}

static void assert_json_equal(const json_t *got, const json_t *want)
{
    if (!json_equal((json_t *)got, (json_t *)want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

        fail_msg("got %s, want %s", g ? g : "?", w ? w : "?");
    }
}

static void test_codec_flask_vectors_decode_to_their_data(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    vector_t *vs = apr_pcalloc(p, 32 * sizeof(*vs));
    int n = read_vectors(p, vs, 32);

    assert_true(n >= 6);
    for (int i = 0; i < n; ++i) {
        ctx_codec_t c = codec_of(CTX_FORMAT_FLASK,
                                 keyring(p, vs[i].secret, NULL));
        json_t *data = NULL;
        apr_int64_t issued = 0;
        int k = -1;

        c.max_age = 31 * 24 * 3600;
        assert_reason(dec(&c, p, vs[i].cookie, strlen(vs[i].cookie),
                          vs[i].timestamp, &data, &issued, &k),
                      CTX_REASON_OK);
        assert_json_equal(data, vs[i].data);
        assert_int_equal(issued, vs[i].timestamp);
        assert_int_equal(k, 0);
        json_decref(data);
    }
    free_vectors(vs, n);
    counts_check();
}

static void test_codec_flask_vectors_reencode_byte_identical(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    vector_t *vs = apr_pcalloc(p, 32 * sizeof(*vs));
    int n = read_vectors(p, vs, 32);

    assert_true(n >= 6);
    for (int i = 0; i < n; ++i) {
        ctx_codec_t c = codec_of(CTX_FORMAT_FLASK,
                                 keyring(p, vs[i].secret, NULL));
        json_t *data = NULL;
        const char *again;

        c.max_age = 31 * 24 * 3600;
        /* from the data Flask had */
        assert_string_equal(enc(&c, p, vs[i].data, vs[i].timestamp),
                            vs[i].cookie);
        /* and from what the decoder made of the cookie */
        assert_reason(dec(&c, p, vs[i].cookie, strlen(vs[i].cookie),
                          vs[i].timestamp, &data, NULL, NULL), CTX_REASON_OK);
        again = enc(&c, p, data, vs[i].timestamp);
        assert_string_equal(again, vs[i].cookie);
        json_decref(data);
    }
    free_vectors(vs, n);
}

static void test_codec_flask_vectors_expire_after_max_age(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    vector_t *vs = apr_pcalloc(p, 32 * sizeof(*vs));
    int n = read_vectors(p, vs, 32);

    for (int i = 0; i < n; ++i) {
        ctx_codec_t c = codec_of(CTX_FORMAT_FLASK,
                                 keyring(p, vs[i].secret, NULL));

        c.max_age = 31 * 24 * 3600;
        assert_reason(dec_str(&c, p, vs[i].cookie,
                              vs[i].timestamp + c.max_age), CTX_REASON_OK);
        assert_reason(dec_str(&c, p, vs[i].cookie,
                              vs[i].timestamp + c.max_age + 1),
                      CTX_REASON_EXPIRED);
    }
    free_vectors(vs, n);
    counts_check();
}

static void test_codec_flask_vectors_verify_only_with_their_secret(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    vector_t *vs = apr_pcalloc(p, 32 * sizeof(*vs));
    int n = read_vectors(p, vs, 32);

    for (int i = 0; i < n; ++i) {
        ctx_codec_t wrong = codec_of(CTX_FORMAT_FLASK,
                                     keyring(p, "not-the-secret", NULL));
        ctx_codec_t rotated = codec_of(CTX_FORMAT_FLASK,
                                       keyring(p, "new-secret", vs[i].secret,
                                               NULL));
        int k = -1;

        wrong.max_age = rotated.max_age = 31 * 24 * 3600;
        assert_reason(dec_str(&wrong, p, vs[i].cookie, vs[i].timestamp),
                      CTX_REASON_BAD_SIGNATURE);
        assert_reason(dec(&rotated, p, vs[i].cookie, strlen(vs[i].cookie),
                          vs[i].timestamp, NULL, NULL, &k), CTX_REASON_OK);
        assert_int_equal(k, 1);
    }
    free_vectors(vs, n);
    counts_check();
}

static void test_codec_flask_reference_worked_example(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK, keyring(p, "dev", NULL));
    json_t *data = json_pack("{s:i}", "a", 1);

    assert_string_equal(enc(&c, p, data, T0),
                        "eyJhIjoxfQ.ZVPxAA.D3QXMI0ZQYNZDxORB__kVZyT7hk");
    assert_string_equal(make_flask(p, "dev", "eyJhIjoxfQ", "ZVPxAA"),
                        "eyJhIjoxfQ.ZVPxAA.D3QXMI0ZQYNZDxORB__kVZyT7hk");
    json_decref(data);
}

/* Cookies Flask 3.1.3 wrote (secret "s3cr3t-key-for-vectors", time
 * 1750000000) and the session JSON it serialized. */
static const struct {
    const char *json, *cookie;
} flask_more[] = {
    { "{\"B\":true,\"_\":null,\"esc\":\"quote\\\" back\\\\ slash/ nl\\n cr\\r "
      "tab\\t bs\\b ff\\f ctl\\u0001\\u001f del\\u007f\",\"uni\":\"\\u00e9 "
      "\\u2603 \\ud83d\\ude00 \\uffff \\udbff\\udfff \\u2028\"}",
      ".eJwljEsKAjEQRK_S9DpgTwZ0zNJzNEg-HRRDxEl6Jd7dRGvxileLeuMFXd9VDF7RVS3FoLSI"
      "Dl_67MIIwccHM7Ti2-0AtXCFuPMO3QfuEBoHyJkzxF5YiWiZXDIk-fkpo0Gt9_E4Vc7Aao-0"
      "jkrbmgaFaEgemVsYZ5r-Yslu-PkCvYsz5w.aE7hgA.DhTn9MZmrkNOHBAWvj7jnKMNR-I" },
    { "{\"f\":[1.0,2.5,1e+20,1e-07,0.1,-0.0,1e+16,1000000000000000.0,"
      "123456789.125,0.30000000000000004,5e-324,1.7976931348623157e+308,"
      "0.3333333333333333],\"n\":[0,-1,9223372036854775807,"
      "-9223372036854775808]}",
      ".eJxlTrkNwzAM3EWtSIKPKFJeJXCplF7AyO6RyjhXHHAfcHd5l-MlxKDkILMqL0YOYBJApi2r"
      "dBD-xQ7UmvfIQaK--vaoNPCJpg2EYkQfJtayq4nHrMa5Jw-cUK71hwEFhqpZKFtPbxGe6xT-"
      "m3l-vqbVKMg.aE7hgA.abOM96MjDOb4UxBeuzZA5cq_WBc" },
    { "{\"a\":[[{\"x\":[true,false,null],\"y\":1}]],\"z\":{\"a\":{\"c\":{},"
      "\"d\":[]},\"b\":1}}",
      ".eJyrVkpUsoqOrlaqAFIlRaWpOmmJOcWpOnmlOTmxOkqVSlaGtbFARpWSVTVIabVSMpCo1VFK"
      "AaqPBdJJIBW1AC1uFe8.aE7hgA.J3_IR2z5aDz3IlMSbK5PMeAJKfw" },
    { "{\"\":7,\" t\":9,\"Z\":3,\"a\":6,\"a b\":8,\"z\":2,\"\\u00e9\":1,"
      "\"\\uffff\":5,\"\\ud83d\\ude00\":4}",
      ".eJwVxrkNgDAQBdFWrIk3WG77l4JIQDYVQAKid-wJnuYFLUa4UDJWNBg7mqvhQNF4UG9st3tJ"
      "qGt71tDUNschV4s7Gr8fyQsThg.aE7hgA.PWjw3tLScXGm-aKVEb8aaImrUmA" },
    { "{\"_permanent\":true,\"items\":[\"item0\",\"item1\",\"item2\",\"item3\","
      "\"item4\",\"item5\",\"item6\",\"item7\",\"item8\",\"item9\",\"item10\","
      "\"item11\",\"item12\",\"item13\",\"item14\",\"item15\",\"item16\","
      "\"item17\",\"item18\",\"item19\",\"item20\",\"item21\",\"item22\","
      "\"item23\",\"item24\",\"item25\",\"item26\",\"item27\",\"item28\","
      "\"item29\",\"item30\",\"item31\",\"item32\",\"item33\",\"item34\","
      "\"item35\",\"item36\",\"item37\",\"item38\",\"item39\",\"item40\","
      "\"item41\",\"item42\",\"item43\",\"item44\",\"item45\",\"item46\","
      "\"item47\",\"item48\",\"item49\",\"item50\",\"item51\",\"item52\","
      "\"item53\",\"item54\",\"item55\",\"item56\",\"item57\",\"item58\","
      "\"item59\"]}",
      ".eJw90T0KAkEMQOG7pLYwf-ruVUTEYgqLXWQdK_HuguZN9YYUH0PyluujbcttbWuXuW-vtpN7"
      "b8tT5vPvsZf_QKtW9WpUs3qoHqun6oQzQESFVEwFVVSFVVwFVmRDtvFXZEM2ZEM2ZEM2ZEN2"
      "ZEf2sQZkR3ZkR3ZkR3bkQA7kQI6xYeRADuRADuRATuRETuREznE85ERO5ETOSS6fL-8RoEA."
      "aE7hgA.Q9NuzfE_kJRMtkU1rhKfSHzKlbM" },
    /* zlib saves exactly one byte: Flask keeps the JSON uncompressed */
    { "{\"k\":\"bccgbdbbaaadbdcbafhecaabefcjbhcachhgfccflaegd\"}",
      "eyJrIjoiYmNjZ2JkYmJhYWFkYmRjYmFmaGVjYWFiZWZjamJoY2FjaGhnZmNjZmxhZWdkIn0."
      "aE7hgA.atOTnNB1jObZv0i5LJa0nODMOjM" },
    /* zlib saves two bytes: compressed */
    { "{\"k\":\"ccfhhadafkefbcbacbgbdibiffdabfajcadfjcjbggbgab\"}",
      ".eJwFwQERACAIA8AuxLDNNhyKETy7-3_jxAjJayHhM00RYjE3t52g0UK61axigfE-HQIUNw."
      "aE7hgA.s6z030JmNUYdmh5AaCaUkhxQh50" },
};

static void test_codec_more_flask_cookies_round_trip_exactly(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK,
                             keyring(p, "s3cr3t-key-for-vectors", NULL));

    for (size_t i = 0; i < sizeof(flask_more) / sizeof(flask_more[0]); ++i) {
        json_t *want = json_loads(flask_more[i].json, 0, NULL), *got = NULL;

        assert_non_null(want);
        assert_reason(dec(&c, p, flask_more[i].cookie,
                          strlen(flask_more[i].cookie), 1750000000, &got, NULL,
                          NULL), CTX_REASON_OK);
        assert_json_equal(got, want);
        assert_string_equal(enc(&c, p, want, 1750000000), flask_more[i].cookie);
        assert_string_equal(enc(&c, p, got, 1750000000), flask_more[i].cookie);
        json_decref(want);
        json_decref(got);
    }
    counts_check();
}

static void test_codec_flask_session_with_nul_string_is_bad_json(void **state)
{
    /* Flask 3.1.3 wrote this for {"s": "a\x00b"}; ctx_json refuses NUL in
     * strings (documented), so mod_ctx treats it as no session. */
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK,
                             keyring(p, "s3cr3t-key-for-vectors", NULL));

    assert_reason(dec_str(&c, p, "eyJzIjoiYVx1MDAwMGIifQ.aE7hgA."
                          "WkE-2ZaGm0NjfoyOjnqwaeAzzQ4", 1750000000),
                  CTX_REASON_BAD_JSON);
    counts_check();
}

static void test_codec_flask_accepts_any_key_order_whitespace_and_zlib(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK, keyring(p, "dev", NULL));
    static const char json[] = "{ \"z\" : 1 ,\n \"a\" : [ true ] }";
    const char *ts = ts_text(p, T0);
    const char *payloads[] = {
        b64(p, json, sizeof(json) - 1),
        zpayload(p, json, sizeof(json) - 1, 0, 15),     /* stored blocks */
        zpayload(p, json, sizeof(json) - 1, 9, 15),
        zpayload(p, json, sizeof(json) - 1, 1, 9),      /* small window */
    };
    json_t *want = json_pack("{s:i, s:[b]}", "z", 1, "a", 1);

    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); ++i) {
        json_t *got = NULL;
        const char *v = make_flask(p, "dev", payloads[i], ts);

        assert_reason(dec(&c, p, v, strlen(v), T0, &got, NULL, NULL),
                      CTX_REASON_OK);
        assert_json_equal(got, want);
        /* re-encoded the way Flask writes it: sorted, compact */
        assert_string_equal(enc(&c, p, got, T0),
                            make_flask(p, "dev",
                                       flask_payload(p, "{\"a\":[true],\"z\":1}",
                                                     18), ts));
        json_decref(got);
    }
    json_decref(want);
    counts_check();
}

static void test_codec_flask_ignores_the_cookie_name(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "dev", NULL);
    ctx_codec_t a = codec_of(CTX_FORMAT_FLASK, kr), b = a;
    json_t *data = json_pack("{s:s}", "k", "v");
    const char *va, *vb;

    b.cookie_name = "other";
    va = enc(&a, p, data, T0);
    vb = enc(&b, p, data, T0);
    assert_string_equal(va, vb);
    assert_reason(dec_str(&b, p, va, T0), CTX_REASON_OK);
    json_decref(data);
}

static void test_codec_flask_unknown_tags_are_carried_through(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK, keyring(p, "dev", NULL));
    static const char json[] = "{\"d\":{\" d\":\"Tue, 02 Jan 2024 03:04:05 GMT\"},"
                               "\"m\":{\" m\":\"<b>x</b>\"},\"u\":{\" u\":"
                               "\"0123456789abcdef0123456789abcdef\"},"
                               "\"w\":{\" zz\":[1,{\" t\":[]}]}}";
    const char *v = make_flask(p, "dev", b64(p, json, sizeof(json) - 1),
                               ts_text(p, T0));
    json_t *got = NULL;

    assert_reason(dec(&c, p, v, strlen(v), T0, &got, NULL, NULL),
                  CTX_REASON_OK);
    assert_string_equal(enc(&c, p, got, T0),
                        make_flask(p, "dev",
                                   flask_payload(p, json, sizeof(json) - 1),
                                   ts_text(p, T0)));
    json_decref(got);
}

/* ---- the documented formats, built independently ----------------------------- */

static void test_codec_signed_small_session_matches_documented_mac(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, kr);
    json_t *data = session_of_size(100, 0);
    apr_size_t jlen;
    char *json = ctx_json_dump(p, data, &jlen);
    const char *v = enc(&c, p, data, T0);
    const char *last = strrchr(v, '.');
    const char *payload;
    apr_size_t plen;

    assert_true(jlen >= 90 && jlen <= 110);
    assert_memory_equal(v, "s2.", 3);
    assert_non_null(last);
    /* the payload is b64url(json) or "." b64url(zlib(json)) */
    payload = v + 3;
    /* ".ZVPxAA.ZVPxAA" (issued, created) before the MAC */
    plen = (apr_size_t)(last - 14 - payload);
    assert_memory_equal(payload + plen, ".ZVPxAA.ZVPxAA.", 15);
    if (payload[0] == '.') {
        uLongf n;
        char *j = unzpayload(p, payload, plen, &n);

        assert_int_equal(n, jlen);
        assert_memory_equal(j, json, jlen);
    }
    else {
        apr_size_t n;
        unsigned char *j = unb64(p, payload, plen, &n);

        assert_int_equal(n, jlen);
        assert_memory_equal(j, json, jlen);
    }
    /* the MAC binds the domain, the app and the cookie name */
    assert_string_equal(v, make_signed(p, kr, "session",
                                       apr_pstrndup(p, payload, plen),
                                       "ZVPxAA"));
    json_decref(data);
}

static void test_codec_signed_large_session_is_compressed(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, kr);
    json_t *data = session_of_size(1024, 1), *back = NULL;
    apr_size_t jlen;
    char *json = ctx_json_dump(p, data, &jlen);
    const char *v = enc(&c, p, data, T0);
    const char *ts = strstr(v, ".ZVPxAA.");
    uLongf n;
    char *j;

    assert_true(jlen >= 1000 && jlen <= 1050);
    assert_memory_equal(v, "s2..", 4);
    assert_non_null(ts);
    assert_true(strlen(v) < jlen / 2);
    j = unzpayload(p, v + 3, (apr_size_t)(ts - v - 3), &n);
    assert_int_equal(n, jlen);
    assert_memory_equal(j, json, jlen);
    assert_string_equal(v, make_signed(p, kr, "session",
                                       apr_pstrndup(p, v + 3,
                                                    (apr_size_t)(ts - v - 3)),
                                       "ZVPxAA"));
    assert_reason(dec(&c, p, v, strlen(v), T0, &back, NULL, NULL),
                  CTX_REASON_OK);
    assert_json_equal(back, data);
    json_decref(back);
    json_decref(data);
}

static void test_codec_signed_decodes_independently_built_cookies(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, kr);

    for (int size = 0; size < 2; ++size) {
        json_t *data = session_of_size(size ? 1024 : 100, size), *got;
        apr_size_t jlen;
        char *json = ctx_json_dump(p, data, &jlen);
        const char *payloads[] = {
            b64(p, json, jlen),                 /* not compressed, any size */
            zpayload(p, json, jlen, 6, 15),
            zpayload(p, json, jlen, 0, 15),
        };

        for (int i = 0; i < 3; ++i) {
            const char *v = make_signed(p, kr, "session", payloads[i],
                                        ts_text(p, T0));

            got = NULL;
            assert_reason(dec(&c, p, v, strlen(v), T0, &got, NULL, NULL),
                          CTX_REASON_OK);
            assert_json_equal(got, data);
            json_decref(got);
        }
        json_decref(data);
    }
    counts_check();
}

static void test_codec_encrypted_matches_documented_aead(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, kr);

    for (int size = 0; size < 2; ++size) {
        json_t *data = session_of_size(size ? 1024 : 100, size);
        apr_size_t jlen, n;
        char *json = ctx_json_dump(p, data, &jlen);
        const char *v = enc(&c, p, data, T0);
        char *plain;

        assert_memory_equal(v, "e2.ZVPxAA.ZVPxAA.", 17);
        /* never compressed: the blob is nonce, ciphertext of the JSON, tag */
        assert_int_equal(strlen(v), 17 + ctx_b64url_len(12 + jlen + 16));
        plain = open_encrypted(p, kr, "session", v, &n);
        assert_non_null(plain);
        assert_int_equal(n, jlen);
        assert_memory_equal(plain, json, jlen);
        /* under another name the associated data differs */
        assert_null(open_encrypted(p, kr, "other", v, &n));
        json_decref(data);
    }
}

/* The domain and the cookie name go into the MAC and the associated data
 * in one piece when they fit a stack buffer, piece by piece when a name is
 * long: every length on both sides of that boundary binds the same bytes
 * as the independent construction, in both directions. */
static void test_codec_long_cookie_names_bind_the_same_bytes(void **state)
{
    static const apr_size_t lengths[] = { 1, 200, 225, 226, 227, 228, 229,
                                          230, 236, 237, 238, 239, 240, 300,
                                          1000 };
    static const unsigned char nonce[12] = "nonce-bytes";
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    const char *payload = "eyJhIjoxfQ";         /* {"a":1} */
    json_t *data = json_pack("{s:i}", "a", 1);

    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); ++i) {
        char *name = apr_palloc(p, lengths[i] + 1);
        ctx_codec_t sc = codec_of(CTX_FORMAT_SIGNED, kr);
        ctx_codec_t ec = codec_of(CTX_FORMAT_ENCRYPTED, kr);
        const char *v;
        char *plain;
        apr_size_t n;

        memset(name, 'n', lengths[i]);
        name[lengths[i]] = '\0';
        sc.cookie_name = ec.cookie_name = name;
        v = enc(&sc, p, data, T0);
        assert_string_equal(v, make_signed(p, kr, name, payload, "ZVPxAA"));
        assert_reason(dec_str(&sc, p, make_signed(p, kr, name, payload,
                                                  "ZVPxAA"), T0),
                      CTX_REASON_OK);
        v = enc(&ec, p, data, T0);
        plain = open_encrypted(p, kr, name, v, &n);
        assert_non_null(plain);
        assert_memory_equal(plain, "{\"a\":1}", n);
        assert_reason(dec_str(&ec, p, make_encrypted(p, kr, name, "ZVPxAA",
                                                     nonce, "{\"a\":1}", 7),
                              T0),
                      CTX_REASON_OK);
    }
    json_decref(data);
}

static void test_codec_encrypted_decodes_independently_built_cookie(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, kr);
    static const unsigned char nonce[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                             11, 12 };
    static const char json[] = "{\"user\":\"alice\",\"n\":[1,2]}";
    const char *v = make_encrypted(p, kr, "session", ts_text(p, T0), nonce,
                                   json, sizeof(json) - 1);
    json_t *got = NULL, *want = json_loads(json, 0, NULL);
    apr_int64_t issued = 0;

    assert_reason(dec(&c, p, v, strlen(v), T0, &got, &issued, NULL),
                  CTX_REASON_OK);
    assert_json_equal(got, want);
    assert_int_equal(issued, T0);
    json_decref(got);
    json_decref(want);
}

static void test_codec_encrypted_uses_a_fresh_nonce_each_time(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, keyring(p, "k", NULL));
    json_t *data = json_pack("{s:s}", "a", "b");
    const char *v1 = enc(&c, p, data, T0), *v2 = enc(&c, p, data, T0);

    assert_string_not_equal(v1, v2);
    /* the nonce (first 16 characters of the blob) differs */
    assert_memory_not_equal(v1 + 17, v2 + 17, 16);
    assert_reason(dec_str(&c, p, v1, T0), CTX_REASON_OK);
    assert_reason(dec_str(&c, p, v2, T0), CTX_REASON_OK);
    json_decref(data);
}

/* A forked child inherits the thread's batch of nonce bytes; it must draw
 * its own, or it and its parent encrypt under the same nonces. */
static void test_codec_encrypted_forked_child_never_repeats_a_parent_nonce(void **state)
{
    enum { N = 5 };
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, keyring(p, "k", NULL));
    json_t *data = json_pack("{s:s}", "a", "b");
    char child[N][17], parent[N][17];
    int fds[2], status = 0;
    pid_t pid;

    enc(&c, p, data, T0);       /* this thread now holds a batch */
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (int i = 0; i < N; ++i) {
            const char *v = NULL;
            apr_size_t vlen = 0;

            if (ctx_codec_encode(&c, p, data, T0, 0, &v, &vlen) != APR_SUCCESS
                || vlen < 33 || write(fds[1], v + 17, 16) != 16) {
                _exit(1);
            }
        }
        _exit(0);
    }
    close(fds[1]);
    for (int i = 0; i < N; ++i) {
        memcpy(parent[i], enc(&c, p, data, T0) + 17, 16);
        parent[i][16] = '\0';
    }
    for (int i = 0; i < N; ++i) {
        assert_int_equal(read(fds[0], child[i], 16), 16);
        child[i][16] = '\0';
    }
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (int i = 0; i < N; ++i) {
        for (int j = 0; j < N; ++j) {
            assert_string_not_equal(child[i], parent[j]);
        }
    }
    json_decref(data);
}

static void test_codec_timestamp_is_minimal_big_endian(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, keyring(p, "k", NULL));
    json_t *data = json_object();
    static const struct {
        apr_int64_t t;
        const char *ts;
    } cases[] = {
        { 1, "AQ" },                    /* 01 */
        { 255, "_w" },                  /* ff */
        { 256, "AQA" },                 /* 01 00 */
        { 1700000000, "ZVPxAA" },       /* 65 53 f1 00 */
        { 4294967296LL, "AQAAAAA" },    /* 01 00 00 00 00 */
    };

    c.max_age = APR_INT64_MAX / 2;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        const char *v = enc(&c, p, data, cases[i].t);
        const char *want = apr_pstrcat(p, "s2.e30.", cases[i].ts, ".",
                                       cases[i].ts, ".", NULL);
        apr_int64_t issued = 0;

        assert_string_equal(ts_text(p, cases[i].t), cases[i].ts);
        assert_memory_equal(v, want, strlen(want));
        assert_reason(dec(&c, p, v, strlen(v), cases[i].t, NULL, &issued,
                          NULL), CTX_REASON_OK);
        assert_int_equal(issued, cases[i].t);
    }
    json_decref(data);
}

/* ---- round trips ------------------------------------------------------------- */

static void round_trip(apr_pool_t *p, ctx_format_t f, size_t size,
                       int compressible)
{
    ctx_codec_t c = codec_of(f, keyring(p, "round-trip secret", NULL));
    json_t *data = session_of_size(size, compressible), *back = NULL;
    const char *v = enc(&c, p, data, T0);
    apr_int64_t issued = 0;
    int k = -1;

    assert_true(strlen(v) < 4096);
    assert_reason(dec(&c, p, v, strlen(v), T0 + 10, &back, &issued, &k),
                  CTX_REASON_OK);
    assert_json_equal(back, data);
    assert_int_equal(issued, T0);
    assert_int_equal(k, 0);
    json_decref(back);
    json_decref(data);
}

static void test_codec_signed_round_trips(void **state)
{
    round_trip(UNIT_POOL(state), CTX_FORMAT_SIGNED, 100, 0);
    round_trip(UNIT_POOL(state), CTX_FORMAT_SIGNED, 100, 1);
    round_trip(UNIT_POOL(state), CTX_FORMAT_SIGNED, 1024, 0);
    round_trip(UNIT_POOL(state), CTX_FORMAT_SIGNED, 1024, 1);
    counts_check();
}

static void test_codec_encrypted_round_trips(void **state)
{
    round_trip(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED, 100, 0);
    round_trip(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED, 100, 1);
    round_trip(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED, 1024, 0);
    round_trip(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED, 1024, 1);
    counts_check();
}

static void test_codec_flask_round_trips(void **state)
{
    round_trip(UNIT_POOL(state), CTX_FORMAT_FLASK, 100, 0);
    round_trip(UNIT_POOL(state), CTX_FORMAT_FLASK, 100, 1);
    round_trip(UNIT_POOL(state), CTX_FORMAT_FLASK, 1024, 0);
    round_trip(UNIT_POOL(state), CTX_FORMAT_FLASK, 1024, 1);
    counts_check();
}

static void test_codec_empty_session_round_trips(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    for (int f = 0; f < 3; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, keyring(p, "k", NULL));
        json_t *empty = json_object(), *back = NULL;
        const char *v = enc(&c, p, empty, T0);

        assert_reason(dec(&c, p, v, strlen(v), T0, &back, NULL, NULL),
                      CTX_REASON_OK);
        assert_int_equal(json_object_size(back), 0);
        json_decref(back);
        json_decref(empty);
    }
}

static void test_codec_encode_json_equals_encode_of_the_object(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, keyring(p, "k", NULL));
    json_t *data = session_of_size(300, 1);
    apr_size_t jlen, vlen = 0;
    char *json = ctx_json_dump(p, data, &jlen);
    const char *v = NULL;

    assert_int_equal(ctx_codec_encode_json(&c, p, json, jlen, T0, 0, &v, &vlen),
                     APR_SUCCESS);
    assert_string_equal(v, enc(&c, p, data, T0));
    assert_int_equal(vlen, strlen(v));
    json_decref(data);
}

/* ---- the tamper matrix -------------------------------------------------------- */

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

/* Would `c` be a canonical last character of a base64url text of `len`? */
static int last_char_ok(int c, apr_size_t len)
{
    int v = b64val(c);

    if (v < 0) return 0;
    if (len % 4 == 2) return (v & 0x0f) == 0;
    if (len % 4 == 3) return (v & 0x03) == 0;
    return 1;
}

typedef struct {
    ctx_format_t format;
    apr_size_t len;
    apr_size_t d1;              /* signed/flask: dot before TS; enc: after TS */
    apr_size_t d2;              /* signed/flask: dot before the MAC; enc:
                                 * dot before the blob */
    apr_size_t dct;             /* signed: dot before CT; 0 in flask */
} shape_t;

static shape_t shape_of(ctx_format_t f, const char *v)
{
    shape_t s;

    s.format = f;
    s.len = strlen(v);
    s.dct = 0;
    s.d2 = (apr_size_t)(strrchr(v, '.') - v);
    if (f == CTX_FORMAT_ENCRYPTED) {
        s.d1 = (apr_size_t)(strchr(v + 3, '.') - v);
        assert_true(s.d1 < s.d2);
    }
    else {
        s.d1 = s.d2 - 1;
        while (v[s.d1] != '.') {
            --s.d1;
        }
        if (f == CTX_FORMAT_SIGNED) {
            s.dct = s.d1--;
            while (v[s.d1] != '.') {
                --s.d1;
            }
        }
    }
    return s;
}

/* The reasons a cookie with character `pos` replaced by `c` may get. */
static unsigned expected_change(const shape_t *s, apr_size_t pos, int c)
{
    if (s->format != CTX_FORMAT_FLASK && pos < 3) {
        /* version prefix: unknown, or the version 1 not read here */
        return R(CTX_REASON_MALFORMED) | R(CTX_REASON_LEGACY);
    }
    if (s->format == CTX_FORMAT_ENCRYPTED) {
        if (pos == s->d1 || pos == s->d2) {
            return R(CTX_REASON_MALFORMED);             /* the shape changes */
        }
        if (pos < s->d2) {                      /* TS.CT: associated data */
            return c == '.' ? R(CTX_REASON_MALFORMED)
                            : R(CTX_REASON_BAD_SIGNATURE);
        }
        if (c == '.') {
            return R(CTX_REASON_MALFORMED);
        }
        if (b64val(c) < 0
            || (pos == s->len - 1 && !last_char_ok(c, s->len - s->d2 - 1))) {
            return R(CTX_REASON_BAD_ENCODING);
        }
        return R(CTX_REASON_BAD_SIGNATURE);             /* nonce, ct or tag */
    }
    if (pos < s->d2) {                                  /* the signed text */
        return (pos == s->d1 || (s->dct && pos == s->dct))
                   ? R(CTX_REASON_MALFORMED) | R(CTX_REASON_BAD_SIGNATURE)
                   : R(CTX_REASON_BAD_SIGNATURE);
    }
    if (pos == s->d2 || c == '.') {
        return REJECTED;                                /* the shape changes */
    }
    if (b64val(c) < 0
        || (pos == s->len - 1 && !last_char_ok(c, s->len - s->d2 - 1))) {
        return R(CTX_REASON_BAD_ENCODING);
    }
    return R(CTX_REASON_BAD_SIGNATURE);                 /* the MAC */
}

typedef struct {
    const ctx_codec_t *codec;
    apr_pool_t *scratch;
    unsigned char *buf;         /* malloc'ed, exactly the length decoded */
    long decodes;
} tamper_t;

static ctx_reason_t tamper_dec(tamper_t *t, const char *v, apr_size_t len)
{
    ctx_reason_t r;

    /* An exact-size heap copy: reading past `len` is caught by ASan. */
    t->buf = realloc(t->buf, len ? len : 1);
    memcpy(t->buf, v, len);
    r = dec(t->codec, t->scratch, (const char *)t->buf, len, T0, NULL, NULL,
            NULL);
    apr_pool_clear(t->scratch);
    ++t->decodes;
    return r;
}

static void check_reason(ctx_reason_t r, unsigned allowed, const char *what,
                         apr_size_t pos, int c)
{
    if (!(R(r) & allowed)) {
        fail_msg("%s at %zu (0x%02x): %s", what, (size_t)pos, c & 0xff,
                 ctx_reason_name(r));
    }
}

static void tamper_matrix(apr_pool_t *p, ctx_format_t f, size_t size,
                          int compressible, int every_byte)
{
    ctx_codec_t c = codec_of(f, keyring(p, "tamper secret", NULL));
    json_t *data = session_of_size(size, compressible);
    const char *v = enc(&c, p, data, T0);
    shape_t s = shape_of(f, v);
    tamper_t t = { &c, unit_subpool(p), NULL, 0 };
    char *m = apr_pstrdup(p, v);

    json_decref(data);
    /* the genuine cookie verifies */
    assert_reason(tamper_dec(&t, v, s.len), CTX_REASON_OK);

    /* every character replaced: by every byte, or by its 8 bit flips */
    for (apr_size_t pos = 0; pos < s.len; ++pos) {
        for (int k = 0; k < (every_byte ? 256 : 8); ++k) {
            int ch = every_byte ? k : (unsigned char)v[pos] ^ (1 << k);

            if (ch == (unsigned char)v[pos]) {
                continue;
            }
            m[pos] = (char)ch;
            check_reason(tamper_dec(&t, m, s.len), expected_change(&s, pos, ch),
                         "change", pos, ch);
        }
        m[pos] = v[pos];
    }
    /* every truncation */
    for (apr_size_t len = 0; len < s.len; ++len) {
        check_reason(tamper_dec(&t, v, len), REJECTED, "truncation", len, 0);
    }
    /* extensions: each byte appended or prepended, and longer tails */
    {
        char *pre = apr_palloc(p, s.len + 1), *app = apr_palloc(p, s.len + 1);
        static const char *const tails[] = { "=", "==", ".", "..", ".AAAA",
                                             "AAAA", "AA", " ", "\n", ";" };

        memcpy(pre + 1, v, s.len);
        memcpy(app, v, s.len);
        for (int ch = 0; ch < 256; ++ch) {
            pre[0] = (char)ch;
            check_reason(tamper_dec(&t, pre, s.len + 1), REJECTED, "prepend",
                         0, ch);
            app[s.len] = (char)ch;
            check_reason(tamper_dec(&t, app, s.len + 1), REJECTED, "append",
                         s.len, ch);
        }
        for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); ++i) {
            char *x = apr_pstrcat(p, v, tails[i], NULL);

            check_reason(tamper_dec(&t, x, strlen(x)), REJECTED, "tail", i, 0);
        }
    }
    free(t.buf);
    apr_pool_destroy(t.scratch);
}

static void test_codec_tamper_signed_every_byte_small(void **state)
{
    tamper_matrix(UNIT_POOL(state), CTX_FORMAT_SIGNED, 100, 0, 1);
    counts_check();
}

static void test_codec_tamper_encrypted_every_byte_small(void **state)
{
    tamper_matrix(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED, 100, 0, 1);
    counts_check();
}

static void test_codec_tamper_flask_every_byte_small(void **state)
{
    tamper_matrix(UNIT_POOL(state), CTX_FORMAT_FLASK, 100, 0, 1);
    counts_check();
}

static void test_codec_tamper_signed_bit_flips_large_compressed(void **state)
{
    tamper_matrix(UNIT_POOL(state), CTX_FORMAT_SIGNED, 1024, 1, 0);
    counts_check();
}

static void test_codec_tamper_encrypted_bit_flips_large(void **state)
{
    tamper_matrix(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED, 1024, 1, 0);
    counts_check();
}

static void test_codec_tamper_flask_bit_flips_large_compressed(void **state)
{
    tamper_matrix(UNIT_POOL(state), CTX_FORMAT_FLASK, 1024, 1, 0);
    counts_check();
}

/* Every reordering of the dot-separated parts is refused. */
static void swap_parts(apr_pool_t *p, ctx_format_t f, size_t size,
                       int compressible)
{
    ctx_codec_t c = codec_of(f, keyring(p, "swap secret", NULL));
    json_t *data = session_of_size(size, compressible);
    const char *value = NULL;
    char *v, *parts[6], *last;
    int n = 0, perms = 0, all = 1;

    /* created before issued: no two parts are equal */
    assert_int_equal(ctx_codec_encode(&c, p, data, T0, T0 - 1000, &value,
                                      NULL), APR_SUCCESS);
    v = apr_pstrdup(p, value);
    json_decref(data);
    for (char *tok = apr_strtok(apr_pstrdup(p, v), ".", &last); tok;
         tok = apr_strtok(NULL, ".", &last)) {
        assert_true(n < 6);
        parts[n++] = tok;
    }
    assert_true(n >= 3 && n <= 5);
    for (int i = 2; i <= n; ++i) {
        all *= i;
    }
    /* every permutation of the n parts but the identity */
    {
        int idx[5] = { 0, 1, 2, 3, 4 }, cnt[5] = { 0 };
        int i = 1;

        while (i < n) {
            if (cnt[i] < i) {
                int j = (i % 2) ? cnt[i] : 0, tmp = idx[j];
                char *x;

                idx[j] = idx[i];
                idx[i] = tmp;
                x = parts[idx[0]];
                for (int k = 1; k < n; ++k) {
                    x = apr_pstrcat(p, x, ".", parts[idx[k]], NULL);
                }
                if (strcmp(x, v) != 0) {
                    check_reason(dec_str(&c, p, x, T0), REJECTED, "swap", 0, 0);
                    ++perms;
                }
                ++cnt[i];
                i = 1;
            }
            else {
                cnt[i++] = 0;
            }
        }
    }
    assert_int_equal(perms, all - 1);
    /* and a compressed payload's leading "." moved to the end */
    if (v[0] == '.' || !strncmp(v, "s2..", 4)) {
        char *moved = apr_pstrcat(p, v + (v[0] == '.' ? 1 : 0), ".", NULL);

        check_reason(dec_str(&c, p, moved, T0), REJECTED, "moved dot", 0, 0);
    }
}

static void test_codec_swapped_parts_are_refused(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    for (int f = 0; f < 3; ++f) {
        swap_parts(p, (ctx_format_t)f, 100, 0);
        swap_parts(p, (ctx_format_t)f, 1024, 1);
    }
    counts_check();
}

static void test_codec_cookie_of_one_format_is_refused_by_another(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "shared secret", NULL);
    json_t *data = json_pack("{s:s}", "user", "alice");

    for (int f = 0; f < 3; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, kr);
        const char *v = enc(&c, p, data, T0);

        for (int g = 0; g < 3; ++g) {
            ctx_codec_t other = codec_of((ctx_format_t)g, kr);

            if (g == f) {
                continue;
            }
            if (!(R(dec_str(&other, p, v, T0)) & REJECTED)) {
                fail_msg("a %s cookie passed as %s", format_names[f],
                         format_names[g]);
            }
        }
    }
    json_decref(data);
    counts_check();
}

/* ---- cookie name, keys, time ---------------------------------------------------- */

static void test_codec_signed_and_encrypted_bind_the_cookie_name(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    json_t *data = json_pack("{s:s}", "user", "alice");

    for (int f = 0; f < 2; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, kr), other = c;
        const char *v = enc(&c, p, data, T0);

        other.cookie_name = "session2";
        assert_reason(dec_str(&other, p, v, T0), CTX_REASON_BAD_SIGNATURE);
        other.cookie_name = "Session";
        assert_reason(dec_str(&other, p, v, T0), CTX_REASON_BAD_SIGNATURE);
        other.cookie_name = "sessio";
        assert_reason(dec_str(&other, p, v, T0), CTX_REASON_BAD_SIGNATURE);
        assert_reason(dec_str(&c, p, v, T0), CTX_REASON_OK);
    }
    json_decref(data);
    counts_check();
}

static void rotation(apr_pool_t *p, ctx_format_t f)
{
    ctx_codec_t old = codec_of(f, keyring(p, "key-1", NULL));
    ctx_codec_t rotated = codec_of(f, keyring(p, "key-2", "key-1", NULL));
    ctx_codec_t twice = codec_of(f, keyring(p, "key-3", "key-2", "key-1", NULL));
    ctx_codec_t newest = codec_of(f, keyring(p, "key-2", NULL));
    ctx_codec_t unrelated = codec_of(f, keyring(p, "key-9", "key-8", NULL));
    ctx_codec_t reversed = codec_of(f, keyring(p, "key-1", "key-2", NULL));
    json_t *data = json_pack("{s:i}", "n", 1);
    const char *v1 = enc(&old, p, data, T0), *v2 = enc(&rotated, p, data, T0);
    int k = -1;

    /* a cookie under the old key verifies while it is a fallback */
    assert_reason(dec(&rotated, p, v1, strlen(v1), T0, NULL, NULL, &k),
                  CTX_REASON_OK);
    assert_int_equal(k, 1);
    assert_reason(dec(&twice, p, v1, strlen(v1), T0, NULL, NULL, &k),
                  CTX_REASON_OK);
    assert_int_equal(k, 2);
    assert_reason(dec(&reversed, p, v1, strlen(v1), T0, NULL, NULL, &k),
                  CTX_REASON_OK);
    assert_int_equal(k, 0);
    /* ... not once it is dropped, nor under unrelated keys */
    assert_reason(dec_str(&newest, p, v1, T0), CTX_REASON_BAD_SIGNATURE);
    assert_reason(dec_str(&unrelated, p, v1, T0), CTX_REASON_BAD_SIGNATURE);
    /* new cookies are made with the current key */
    assert_reason(dec(&newest, p, v2, strlen(v2), T0, NULL, NULL, &k),
                  CTX_REASON_OK);
    assert_int_equal(k, 0);
    assert_reason(dec_str(&old, p, v2, T0), CTX_REASON_BAD_SIGNATURE);
    assert_reason(dec(&reversed, p, v2, strlen(v2), T0, NULL, NULL, &k),
                  CTX_REASON_OK);
    assert_int_equal(k, 1);
    json_decref(data);
}

static void test_codec_key_rotation(void **state)
{
    for (int f = 0; f < 3; ++f) {
        rotation(UNIT_POOL(state), (ctx_format_t)f);
    }
    counts_check();
}

static void test_codec_age_limits(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    for (int f = 0; f < 3; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, keyring(p, "k", NULL));
        json_t *data = json_pack("{s:i}", "n", 1);
        const char *v = enc(&c, p, data, T0);
        apr_uint32_t expired = ctx_codec_reason_count(CTX_REASON_EXPIRED);
        apr_uint32_t future = ctx_codec_reason_count(CTX_REASON_FUTURE);

        assert_reason(dec_str(&c, p, v, T0), CTX_REASON_OK);
        assert_reason(dec_str(&c, p, v, T0 + MAX_AGE), CTX_REASON_OK);
        assert_reason(dec_str(&c, p, v, T0 + MAX_AGE + 1), CTX_REASON_EXPIRED);
        assert_reason(dec_str(&c, p, v, T0 + 400LL * 24 * 3600),
                      CTX_REASON_EXPIRED);
        assert_reason(dec_str(&c, p, v, T0 - SKEW), CTX_REASON_OK);
        assert_reason(dec_str(&c, p, v, T0 - SKEW - 1), CTX_REASON_FUTURE);
        assert_reason(dec_str(&c, p, v, 0), CTX_REASON_FUTURE);
        assert_int_equal(ctx_codec_reason_count(CTX_REASON_EXPIRED) - expired, 2);
        assert_int_equal(ctx_codec_reason_count(CTX_REASON_FUTURE) - future, 2);
        json_decref(data);
    }
    counts_check();
}

static void test_codec_zero_skew_refuses_any_future_time(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK, keyring(p, "dev", NULL));

    c.max_skew = 0;
    assert_reason(dec_str(&c, p, "eyJhIjoxfQ.ZVPxAA.D3QXMI0ZQYNZDxORB__kVZyT7hk",
                          T0), CTX_REASON_OK);
    assert_reason(dec_str(&c, p, "eyJhIjoxfQ.ZVPxAA.D3QXMI0ZQYNZDxORB__kVZyT7hk",
                          T0 - 1), CTX_REASON_FUTURE);
    counts_check();
}

/* The time is only believed once the MAC or tag verified. */
static void test_codec_expired_cookie_under_unknown_key_is_bad_signature(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    for (int f = 0; f < 3; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, keyring(p, "k", NULL));
        ctx_codec_t other = codec_of((ctx_format_t)f, keyring(p, "x", NULL));
        json_t *data = json_pack("{s:i}", "n", 1);
        const char *v = enc(&c, p, data, T0);

        assert_reason(dec_str(&other, p, v, T0 + MAX_AGE + 1000),
                      CTX_REASON_BAD_SIGNATURE);
        assert_reason(dec_str(&other, p, v, T0 - SKEW - 1000),
                      CTX_REASON_BAD_SIGNATURE);
        json_decref(data);
    }
    counts_check();
}

/* ---- payload limits and contents ----------------------------------------------- */

static void test_codec_value_longer_than_max_is_oversized(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    char *big = apr_palloc(p, CTX_CODEC_MAX_VALUE + 2);

    memset(big, 'A', CTX_CODEC_MAX_VALUE + 1);
    big[CTX_CODEC_MAX_VALUE + 1] = '\0';
    for (int f = 0; f < 3; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, keyring(p, "k", NULL));

        assert_reason(dec(&c, p, big, CTX_CODEC_MAX_VALUE + 1, T0, NULL, NULL,
                          NULL), CTX_REASON_OVERSIZED);
        /* exactly the maximum is looked at (and refused for its shape) */
        assert_true(R(dec(&c, p, big, CTX_CODEC_MAX_VALUE, T0, NULL, NULL,
                          NULL)) & REJECTED);
    }
    counts_check();
}

/* A server-side session's stored value may be longer than a cookie. */
static void test_codec_max_value_raises_the_length_limit(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    json_t *data = json_object();
    char *text = apr_palloc(p, 3 * CTX_CODEC_MAX_VALUE);
    unsigned seed = 7;

    /* Random letters: neither compression nor encryption makes it fit. */
    for (int i = 0; i < 3 * CTX_CODEC_MAX_VALUE - 1; ++i) {
        text[i] = (char)('a' + rand_r(&seed) % 26);
    }
    text[3 * CTX_CODEC_MAX_VALUE - 1] = '\0';
    json_object_set_new(data, "big", json_string(text));
    for (int f = 0; f < 2; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, keyring(p, "k", NULL));
        const char *v = enc(&c, p, data, T0);
        json_t *back = NULL;

        assert_true(strlen(v) > CTX_CODEC_MAX_VALUE);
        assert_reason(dec(&c, p, v, strlen(v), T0, NULL, NULL, NULL),
                      CTX_REASON_OVERSIZED);
        c.max_value = strlen(v);
        assert_reason(dec(&c, p, v, strlen(v), T0, &back, NULL, NULL),
                      CTX_REASON_OK);
        assert_true(json_equal(back, data));
        json_decref(back);
        c.max_value = strlen(v) - 1;
        assert_reason(dec(&c, p, v, strlen(v), T0, NULL, NULL, NULL),
                      CTX_REASON_OVERSIZED);
    }
    json_decref(data);
    counts_check();
}

/* A JSON object of exactly n bytes: {"a":"xxx..."}. */
static char *json_of_len(apr_pool_t *p, apr_size_t n)
{
    char *j = apr_palloc(p, n + 1);

    memcpy(j, "{\"a\":\"", 6);
    memset(j + 6, 'x', n - 8);
    memcpy(j + n - 2, "\"}", 3);
    return j;
}

static void test_codec_inflated_payload_limit(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "dev", NULL);
    ctx_codec_t flask = codec_of(CTX_FORMAT_FLASK, kr);
    ctx_codec_t sign = codec_of(CTX_FORMAT_SIGNED, kr);
    const char *ts = ts_text(p, T0);
    apr_size_t sizes[] = { CTX_CODEC_MAX_JSON - 1, CTX_CODEC_MAX_JSON,
                           CTX_CODEC_MAX_JSON + 1, 4 * CTX_CODEC_MAX_JSON,
                           1024 * 1024 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i) {
        char *json = json_of_len(p, sizes[i]);
        const char *payload = zpayload(p, json, sizes[i], 9, 15);
        const char *vf = make_flask(p, "dev", payload, ts);
        const char *vs = make_signed(p, kr, "session", payload, ts);
        ctx_reason_t want = sizes[i] <= CTX_CODEC_MAX_JSON
                                ? CTX_REASON_OK : CTX_REASON_OVERSIZED;

        assert_true(strlen(vf) <= CTX_CODEC_MAX_VALUE);
        assert_reason(dec_str(&flask, p, vf, T0), want);
        assert_reason(dec_str(&sign, p, vs, T0), want);
    }
    counts_check();
}

static void test_codec_broken_zlib_is_bad_compression(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "dev", NULL);
    ctx_codec_t flask = codec_of(CTX_FORMAT_FLASK, kr);
    ctx_codec_t sign = codec_of(CTX_FORMAT_SIGNED, kr);
    const char *ts = ts_text(p, T0);
    static const char json[] = "{\"user\":\"alice\",\"user2\":\"alice\"}";
    const char *good = zpayload(p, json, sizeof(json) - 1, 9, 15);
    apr_size_t n;
    unsigned char *raw = unb64(p, good + 1, strlen(good + 1), &n);
    unsigned char *longer = apr_palloc(p, n + 3);
    unsigned char gz[64];
    z_stream z;
    const char *bad[5];

    memcpy(longer, raw, n);
    memcpy(longer + n, "xyz", 3);
    /* a gzip stream of the same JSON (not zlib) */
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY),
                     Z_OK);
    z.next_in = (Bytef *)json;
    z.avail_in = sizeof(json) - 1;
    z.next_out = gz;
    z.avail_out = sizeof(gz);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    deflateEnd(&z);

    bad[0] = apr_pstrcat(p, ".", b64(p, raw, n - 4), NULL);      /* truncated */
    bad[1] = apr_pstrcat(p, ".", b64(p, longer, n + 3), NULL);   /* trailing */
    bad[2] = apr_pstrcat(p, ".", b64(p, "not zlib at all", 15), NULL);
    bad[3] = apr_pstrcat(p, ".", b64(p, gz, z.total_out), NULL);
    raw[n - 1] ^= 1;                                              /* adler32 */
    bad[4] = apr_pstrcat(p, ".", b64(p, raw, n), NULL);
    for (int i = 0; i < 5; ++i) {
        assert_reason(dec_str(&flask, p, make_flask(p, "dev", bad[i], ts), T0),
                      CTX_REASON_BAD_COMPRESSION);
        assert_reason(dec_str(&sign, p, make_signed(p, kr, "session", bad[i],
                                                    ts), T0),
                      CTX_REASON_BAD_COMPRESSION);
    }
    /* an empty compressed payload: "." alone */
    assert_reason(dec_str(&flask, p, make_flask(p, "dev", ".", ts), T0),
                  CTX_REASON_BAD_COMPRESSION);
    counts_check();
}

static void test_codec_verified_non_object_is_bad_json(void **state)
{
    static const char *const texts[] = {
        "[]", "\"s\"", "1", "null", "not json", "{\"a\":1,\"a\":2}", "{}x",
        "{\"a\":\"\xff\"}", "", "{\"a\":\"\\ud800\"}",
    };
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "dev", NULL);
    ctx_codec_t flask = codec_of(CTX_FORMAT_FLASK, kr);
    ctx_codec_t sign = codec_of(CTX_FORMAT_SIGNED, kr);
    ctx_codec_t crypt = codec_of(CTX_FORMAT_ENCRYPTED, kr);
    const char *ts = ts_text(p, T0);
    static const unsigned char nonce[12] = { 0 };

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); ++i) {
        const char *payload = b64(p, texts[i], strlen(texts[i]));

        assert_reason(dec_str(&flask, p, make_flask(p, "dev", payload, ts), T0),
                      CTX_REASON_BAD_JSON);
        assert_reason(dec_str(&sign, p, make_signed(p, kr, "session", payload,
                                                    ts), T0),
                      CTX_REASON_BAD_JSON);
        assert_reason(dec_str(&crypt, p, make_encrypted(p, kr, "session", ts,
                                                        nonce, texts[i],
                                                        strlen(texts[i])), T0),
                      CTX_REASON_BAD_JSON);
    }
    {
        /* nesting deeper than the parser allows */
        char deep[200];
        int d = 0;

        d += sprintf(deep, "{\"a\":");
        for (int i = 0; i < 65; ++i) deep[d++] = '[';
        for (int i = 0; i < 65; ++i) deep[d++] = ']';
        deep[d++] = '}';
        deep[d] = '\0';
        assert_reason(dec_str(&flask, p, make_flask(p, "dev",
                                                    b64(p, deep, strlen(deep)),
                                                    ts), T0),
                      CTX_REASON_BAD_JSON);
    }
    counts_check();
}

static void test_codec_encrypted_short_blob_is_malformed(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, keyring(p, "k", NULL));
    unsigned char blob[27];
    const char *b27, *b28;

    memset(blob, 7, sizeof(blob));
    b27 = b64(p, blob, 27);
    b28 = b64(p, "0123456789abcdef0123456789ab", 28);
    /* nonce + tag need 28 bytes */
    assert_reason(dec_str(&c, p, apr_pstrcat(p, "e2.ZVPxAA.ZVPxAA.", b27,
                                             NULL), T0),
                  CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "e2.ZVPxAA.ZVPxAA.", T0),
                  CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "e2.ZVPxAA.ZVPxAA", T0),
                  CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "e2.ZVPxAA.AAAA", T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, apr_pstrcat(p, "e3.ZVPxAA.ZVPxAA.", b28,
                                             NULL), T0),
                  CTX_REASON_MALFORMED);
    /* 28 bytes: an empty plaintext, the tag does not verify */
    assert_reason(dec_str(&c, p, apr_pstrcat(p, "e2.ZVPxAA.ZVPxAA.", b28,
                                             NULL), T0),
                  CTX_REASON_BAD_SIGNATURE);
    /* version 1: refused as such unless legacy, then the same shape rules */
    assert_reason(dec_str(&c, p, apr_pstrcat(p, "e1.ZVPxAA.", b28, NULL),
                          T0), CTX_REASON_LEGACY);
    c.legacy = 1;
    assert_reason(dec_str(&c, p, apr_pstrcat(p, "e1.ZVPxAA.", b27, NULL),
                          T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "e1.ZVPxAA.", T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "e1.ZVPxAA", T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, apr_pstrcat(p, "e1.ZVPxAA.", b28, NULL),
                          T0), CTX_REASON_BAD_SIGNATURE);
    counts_check();
}

static void test_codec_encrypted_empty_plaintext_is_bad_json(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, kr);
    static const unsigned char nonce[12] = { 9 };

    assert_reason(dec_str(&c, p, make_encrypted(p, kr, "session",
                                                ts_text(p, T0), nonce, "", 0),
                          T0), CTX_REASON_BAD_JSON);
    counts_check();
}

static void signed_shape_errors(apr_pool_t *p, const ctx_codec_t *c,
                                const char *prefix, const char *times)
{
    const char *base = apr_pstrcat(p, prefix, "e30.", times, ".", NULL);

    assert_reason(dec_str(c, p, base, T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(c, p, apr_pstrcat(p, base, "A", NULL), T0),
                  CTX_REASON_BAD_ENCODING);
    assert_reason(dec_str(c, p, apr_pstrcat(p, base, "AB", NULL), T0),
                  CTX_REASON_BAD_ENCODING);
    assert_reason(dec_str(c, p, apr_pstrcat(p, base, "AAAA=", NULL), T0),
                  CTX_REASON_BAD_ENCODING);
    /* a MAC far too long for any digest */
    assert_reason(dec_str(c, p, apr_pstrcat(p, base,
                                            b64(p, apr_pcalloc(p, 200), 200),
                                            NULL), T0),
                  CTX_REASON_MALFORMED);
}

static void test_codec_signed_shape_errors(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, keyring(p, "k", NULL));

    assert_reason(dec_str(&c, p, "", T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "s2", T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "s2.", T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "s3.e30.ZVPxAA.ZVPxAA.AAAA", T0),
                  CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "S2.e30.ZVPxAA.ZVPxAA.AAAA", T0),
                  CTX_REASON_MALFORMED);
    /* version 2 has two times: one is the wrong shape */
    assert_reason(dec_str(&c, p, "s2.ZVPxAA.ZVPxAA.AAAA", T0),
                  CTX_REASON_MALFORMED);
    signed_shape_errors(p, &c, "s2.", "ZVPxAA.ZVPxAA");
    /* version 1: refused as such unless legacy, then the same shape rules */
    assert_reason(dec_str(&c, p, "s1.e30.ZVPxAA.AAAA", T0),
                  CTX_REASON_LEGACY);
    c.legacy = 1;
    assert_reason(dec_str(&c, p, "s1", T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "s1.", T0), CTX_REASON_MALFORMED);
    signed_shape_errors(p, &c, "s1.", "ZVPxAA");
    counts_check();
}

static void test_codec_signed_verified_bad_timestamp_is_bad_encoding(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, kr);
    static const char *const stamps[] = {
        "",                             /* empty */
        "ZVPxAB",                       /* stray bits */
        "ZVPx=A",
        "AQAAAAAAAAAA",                 /* 9 bytes */
    };

    for (size_t i = 0; i < sizeof(stamps) / sizeof(stamps[0]); ++i) {
        assert_reason(dec_str(&c, p, make_signed(p, kr, "session", "e30",
                                                 stamps[i]), T0),
                      CTX_REASON_BAD_ENCODING);
    }
    counts_check();
}


/* ---- format 2: app binding, creation time; format 1 migration -------------- */

/* Issue #10 (5): vhosts share the main server's key, so a cookie of app
 * "shop" must not be a session of app "admin": the app's name is in the MAC
 * and the associated data. Flask binds no app, nor does the flask format. */
static void test_codec_signed_and_encrypted_bind_the_app_name(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "one key for every vhost", NULL);
    json_t *data = json_pack("{s:s}", "user", "alice");

    for (int f = 0; f < 3; ++f) {
        ctx_codec_t shop = codec_of((ctx_format_t)f, kr), admin = shop;
        const char *v;

        shop.app_name = "shop";
        admin.app_name = "admin";
        v = enc(&shop, p, data, T0);
        assert_reason(dec_str(&shop, p, v, T0), CTX_REASON_OK);
        if (f == CTX_FORMAT_FLASK) {
            assert_reason(dec_str(&admin, p, v, T0), CTX_REASON_OK);
            continue;
        }
        assert_reason(dec_str(&admin, p, v, T0), CTX_REASON_BAD_SIGNATURE);
        /* a prefix of a name is another name */
        admin.app_name = "sho";
        assert_reason(dec_str(&admin, p, v, T0), CTX_REASON_BAD_SIGNATURE);
        admin.app_name = "";
        assert_reason(dec_str(&admin, p, v, T0), CTX_REASON_BAD_SIGNATURE);
        /* and no app name at all is refused, not read unbound */
        admin.app_name = NULL;
        assert_reason(dec_str(&admin, p, v, T0), CTX_REASON_MALFORMED);
    }
    json_decref(data);
    counts_check();
}

/* Issue #10 (7): the creation time travels next to the issue time, covered
 * by the MAC / tag, byte-exact as ctx_codec.h documents it. */
static void test_codec_version_2_carries_issue_and_creation_time(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t sc = codec_of(CTX_FORMAT_SIGNED, kr);
    ctx_codec_t ec = codec_of(CTX_FORMAT_ENCRYPTED, kr);
    json_t *data = json_pack("{s:i}", "a", 1), *back = NULL;
    const char *times = apr_pstrcat(p, ts_text(p, T0 + 100), ".",
                                    ts_text(p, T0), NULL);
    const char *v = NULL;
    static const unsigned char nonce[12] = "twelve bytes";
    ctx_codec_meta_t m;
    char *plain;
    apr_size_t n;

    assert_int_equal(ctx_codec_encode(&sc, p, data, T0 + 100, T0, &v, NULL),
                     APR_SUCCESS);
    assert_string_equal(v, make_signed_v(p, kr, 2, APP, "session",
                                         "eyJhIjoxfQ", times));
    assert_reason(dec_meta(&sc, p, v, strlen(v), T0 + 150, &back, &m),
                  CTX_REASON_OK);
    assert_json_equal(back, data);
    json_decref(back);
    assert_int_equal(m.issued, T0 + 100);
    assert_int_equal(m.created, T0);
    assert_int_equal(m.legacy, 0);

    assert_int_equal(ctx_codec_encode(&ec, p, data, T0 + 100, T0, &v, NULL),
                     APR_SUCCESS);
    assert_memory_equal(v, apr_pstrcat(p, "e2.", times, ".", NULL),
                        3 + strlen(times) + 1);
    plain = open_encrypted(p, kr, "session", v, &n);
    assert_non_null(plain);
    assert_memory_equal(plain, "{\"a\":1}", n);
    v = make_encrypted_v(p, kr, 2, APP, "session", times, nonce, "{\"a\":1}",
                         7);
    assert_reason(dec_meta(&ec, p, v, strlen(v), T0 + 150, NULL, &m),
                  CTX_REASON_OK);
    assert_int_equal(m.issued, T0 + 100);
    assert_int_equal(m.created, T0);

    /* a creation time after the issue time is never written */
    times = apr_pstrcat(p, ts_text(p, T0), ".", ts_text(p, T0 + 1), NULL);
    assert_reason(dec_str(&sc, p, make_signed_v(p, kr, 2, APP, "session",
                                                "eyJhIjoxfQ", times), T0),
                  CTX_REASON_MALFORMED);
    assert_reason(dec_str(&ec, p, make_encrypted_v(p, kr, 2, APP, "session",
                                                   times, nonce,
                                                   "{\"a\":1}", 7), T0),
                  CTX_REASON_MALFORMED);
    json_decref(data);
    counts_check();
}

/* Cookies of mod_ctx before format 2 (s1, e1, built here as the old code
 * documented them) are read only with `legacy`, bind no app, and say so,
 * so that the glue re-issues them as format 2. */
static void test_codec_reads_version_1_cookies_only_when_legacy(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    static const unsigned char nonce[12] = "old cookie!";
    const char *old[2];
    json_t *want = json_pack("{s:i}", "a", 1);

    old[0] = make_signed_v(p, kr, 1, NULL, "session", "eyJhIjoxfQ",
                           ts_text(p, T0));
    old[1] = make_encrypted_v(p, kr, 1, NULL, "session", ts_text(p, T0),
                              nonce, "{\"a\":1}", 7);
    for (int f = 0; f < 2; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, kr);
        ctx_codec_meta_t m;
        json_t *got = NULL;
        const char *again;

        assert_reason(dec_str(&c, p, old[f], T0), CTX_REASON_LEGACY);
        c.legacy = 1;
        c.app_name = "any-app";     /* format 1 bound none */
        assert_reason(dec_meta(&c, p, old[f], strlen(old[f]), T0 + 5, &got,
                               &m), CTX_REASON_OK);
        assert_json_equal(got, want);
        json_decref(got);
        assert_int_equal(m.legacy, 1);
        assert_int_equal(m.issued, T0);
        assert_int_equal(m.created, T0);
        assert_int_equal(m.key_index, 0);
        /* still bound to the cookie name, still expiring */
        c.cookie_name = "other";
        assert_reason(dec_str(&c, p, old[f], T0), CTX_REASON_BAD_SIGNATURE);
        c.cookie_name = "session";
        assert_reason(dec_str(&c, p, old[f], T0 + MAX_AGE + 1),
                      CTX_REASON_EXPIRED);
        /* what the codec writes is format 2, even with legacy on */
        again = enc(&c, p, want, T0);
        assert_memory_equal(again, f ? "e2." : "s2.", 3);
        assert_reason(dec_meta(&c, p, again, strlen(again), T0, NULL, &m),
                      CTX_REASON_OK);
        assert_int_equal(m.legacy, 0);
    }
    json_decref(want);
    counts_check();
}

/* CtxSessionMaxLifetime: a session ends max_lifetime after its creation,
 * however recently it was issued. */
static void test_codec_max_lifetime_counts_from_creation(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    static const unsigned char nonce[12] = "lifetime...";
    const char *times = apr_pstrcat(p, ts_text(p, T0), ".",
                                    ts_text(p, T0 - 1000), NULL);
    const char *v[2];

    v[0] = make_signed_v(p, kr, 2, APP, "session", "eyJhIjoxfQ", times);
    v[1] = make_encrypted_v(p, kr, 2, APP, "session", times, nonce,
                            "{\"a\":1}", 7);
    for (int f = 0; f < 2; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, kr);

        assert_reason(dec_str(&c, p, v[f], T0), CTX_REASON_OK);
        c.max_lifetime = 1000;
        assert_reason(dec_str(&c, p, v[f], T0), CTX_REASON_OK);
        assert_reason(dec_str(&c, p, v[f], T0 + 1), CTX_REASON_LIFETIME);
        c.max_lifetime = 999;
        assert_reason(dec_str(&c, p, v[f], T0), CTX_REASON_LIFETIME);
    }
    counts_check();
}

/* The flask format has no room for a creation time but the session: with
 * max_lifetime it is the integer "_ctx_created", visible to Flask, which
 * keeps it; without, nothing is added (Flask's bytes stay Flask's). */
static void test_codec_flask_keeps_creation_in_ctx_created(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK, keyring(p, "dev", NULL));
    json_t *data = json_pack("{s:i}", "a", 1);
    const char *v = NULL, *json;
    ctx_codec_meta_t m;
    json_t *back = NULL;

    /* no lifetime: exactly Flask's cookie, creation = issue time */
    assert_int_equal(ctx_codec_encode(&c, p, data, T0, T0 - 50, &v, NULL),
                     APR_SUCCESS);
    assert_string_equal(v, "eyJhIjoxfQ.ZVPxAA.D3QXMI0ZQYNZDxORB__kVZyT7hk");
    assert_reason(dec_meta(&c, p, v, strlen(v), T0, NULL, &m), CTX_REASON_OK);
    assert_int_equal(m.created, T0);

    c.max_lifetime = 100;
    assert_int_equal(ctx_codec_encode(&c, p, data, T0, T0 - 50, &v, NULL),
                     APR_SUCCESS);
    json = apr_psprintf(p, "{\"_ctx_created\":%d,\"a\":1}", T0 - 50);
    assert_string_equal(v, make_flask(p, "dev", flask_payload(p, json,
                                                              strlen(json)),
                                      ts_text(p, T0)));
    assert_reason(dec_meta(&c, p, v, strlen(v), T0 + 50, &back, &m),
                  CTX_REASON_OK);
    assert_int_equal(m.created, T0 - 50);
    assert_int_equal(json_integer_value(json_object_get(back, "_ctx_created")),
                     T0 - 50);
    json_decref(back);
    assert_reason(dec_str(&c, p, v, T0 + 51), CTX_REASON_LIFETIME);

    /* a cookie Flask made, without the key: created when issued */
    v = make_flask(p, "dev", "eyJhIjoxfQ", ts_text(p, T0));
    assert_reason(dec_meta(&c, p, v, strlen(v), T0 + 100, NULL, &m),
                  CTX_REASON_OK);
    assert_int_equal(m.created, T0);
    /* a value that cannot be a creation time counts as none */
    json = apr_psprintf(p, "{\"_ctx_created\":%d,\"a\":1}", T0 + 5);
    v = make_flask(p, "dev", b64(p, json, strlen(json)), ts_text(p, T0));
    assert_reason(dec_meta(&c, p, v, strlen(v), T0, NULL, &m), CTX_REASON_OK);
    assert_int_equal(m.created, T0);
    json_decref(data);
    counts_check();
}

/* ---- arguments and names -------------------------------------------------------- */

static void test_codec_decode_refuses_missing_arguments(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK, keyring(p, "dev", NULL));
    ctx_codec_t nokeys = codec_of(CTX_FORMAT_FLASK, ctx_keyring_create(p));
    static const char v[] = "eyJhIjoxfQ.ZVPxAA.D3QXMI0ZQYNZDxORB__kVZyT7hk";
    json_t *out = NULL;
    apr_uint32_t before = ctx_codec_reason_count(CTX_REASON_MALFORMED);

    assert_reason(ctx_codec_decode(&nokeys, p, v, strlen(v), T0, &out, NULL),
                  CTX_REASON_MALFORMED);
    assert_reason(ctx_codec_decode(&c, p, NULL, 0, T0, &out, NULL),
                  CTX_REASON_MALFORMED);
    assert_reason(ctx_codec_decode(NULL, p, v, strlen(v), T0, &out, NULL),
                  CTX_REASON_MALFORMED);
    assert_null(out);
    /* refusals are counted too */
    assert_int_equal(ctx_codec_reason_count(CTX_REASON_MALFORMED) - before, 3);
    /* meta is optional */
    assert_reason(ctx_codec_decode(&c, p, v, strlen(v), T0, &out, NULL),
                  CTX_REASON_OK);
    json_decref(out);
}

static void test_codec_encode_refuses_bad_arguments(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    json_t *obj = json_object(), *arr = json_array();
    const char *v = NULL;

    for (int f = 0; f < 3; ++f) {
        ctx_codec_t nokeys = codec_of((ctx_format_t)f, ctx_keyring_create(p));
        ctx_codec_t c = codec_of((ctx_format_t)f, keyring(p, "k", NULL));
        ctx_codec_t noname = c, noapp = c;

        noname.cookie_name = NULL;
        noapp.app_name = NULL;
        assert_int_equal(ctx_codec_encode(&nokeys, p, obj, T0, 0, &v, NULL),
                         APR_EINVAL);
        assert_int_equal(ctx_codec_encode(&noname, p, obj, T0, 0, &v, NULL),
                         APR_EINVAL);
        assert_int_equal(ctx_codec_encode(&c, p, arr, T0, 0, &v, NULL),
                         APR_EINVAL);
        assert_int_equal(ctx_codec_encode(&c, p, NULL, T0, 0, &v, NULL),
                         APR_EINVAL);
        assert_int_equal(ctx_codec_encode_json(&c, p, NULL, 0, T0, 0, &v,
                                               NULL), APR_EINVAL);
        /* a session cannot be created after it was issued */
        assert_int_equal(ctx_codec_encode(&c, p, obj, T0, T0 + 1, &v, NULL),
                         APR_EINVAL);
        /* signed and encrypted bind the app: they need its name */
        if (f != CTX_FORMAT_FLASK) {
            assert_int_equal(ctx_codec_encode(&noapp, p, obj, T0, 0, &v,
                                              NULL), APR_EINVAL);
        }
        assert_null(v);
    }
    json_decref(obj);
    json_decref(arr);
}

static void test_codec_reason_names(void **state)
{
    (void)state;
    assert_string_equal(ctx_reason_name(CTX_REASON_BAD_SIGNATURE),
                        "bad_signature");
    for (int r = 0; r < CTX_REASON_COUNT; ++r) {
        const char *name = ctx_reason_name((ctx_reason_t)r);

        assert_non_null(name);
        assert_true(*name);
        for (const char *c = name; *c; ++c) {
            assert_true((*c >= 'a' && *c <= 'z') || *c == '_');
        }
        for (int q = 0; q < r; ++q) {
            assert_string_not_equal(name, ctx_reason_name((ctx_reason_t)q));
        }
    }
    assert_non_null(ctx_reason_name(CTX_REASON_COUNT));
    assert_int_equal(ctx_codec_reason_count(CTX_REASON_COUNT), 0);
}

/* ---- core bugs (kept last: they crash the program before the fix) ---------- */

/* A signed value with no payload after the version prefix ("s2." TS "." CT
 * "." MAC, or "s1." TS "." MAC) and a valid MAC is the wrong shape. The
 * decoder must call it malformed, not compute a negative payload length. */
static void test_codec_signed_without_payload_part_is_malformed(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, kr);
    apr_size_t klen;
    const unsigned char *key = key_of(kr, 0, CTX_KEY_SIGN, &klen);
    static const char text[] = "s1.ZVPxAA", text2[] = "s2.ZVPxAA.ZVPxAA";
    unsigned char msg[64], mac[32];
    unsigned int maclen = 0;
    apr_size_t ml = 0;

    /* the documented MAC over "s1.ZVPxAA" (make_signed adds a payload) */
    memcpy(msg, "mod_ctx signed 1", 17);
    ml = 17;
    memcpy(msg + ml, "session", 8);
    ml += 8;
    memcpy(msg + ml, text, sizeof(text) - 1);
    ml += sizeof(text) - 1;
    HMAC(EVP_sha256(), key, (int)klen, msg, ml, mac, &maclen);
    c.legacy = 1;
    assert_reason(dec_str(&c, p, apr_pstrcat(p, text, ".", b64(p, mac, maclen),
                                             NULL), T0),
                  CTX_REASON_MALFORMED);
    /* and over "s2.ZVPxAA.ZVPxAA" */
    ml = 0;
    memcpy(msg, "mod_ctx signed 2\0" APP "\0session", 17 + 4 + 8);
    ml = 17 + 4 + 8;
    memcpy(msg + ml, text2, sizeof(text2) - 1);
    ml += sizeof(text2) - 1;
    HMAC(EVP_sha256(), key, (int)klen, msg, ml, mac, &maclen);
    assert_reason(dec_str(&c, p, apr_pstrcat(p, text2, ".",
                                             b64(p, mac, maclen), NULL), T0),
                  CTX_REASON_MALFORMED);
    counts_check();
}

/* ctx_codec_encode_json refuses a codec without a cookie name (APR_EINVAL);
 * decoding with one must refuse too, not dereference the NULL name. */
static void test_codec_decode_without_cookie_name_is_refused(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    json_t *data = json_pack("{s:i}", "n", 1);

    for (int f = 0; f < 2; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, kr), noname = c;
        const char *v = enc(&c, p, data, T0);

        noname.cookie_name = NULL;
        assert_true(R(dec_str(&noname, p, v, T0)) & REJECTED);
    }
    json_decref(data);
}

/* ---- bounds: what a cookie may cost ---------------------------------------- */

/* JSON of exactly n bytes holding exactly v values (v >= 3, n >= 2 * v + 4):
 * {"a":[0,0,...],"b":"xxx"} (the object, the array and the string are three
 * of them). */
static char *json_of(apr_pool_t *p, apr_size_t n, apr_size_t v)
{
    char *j = apr_palloc(p, n + 1), *o = j;
    apr_size_t zeros = v - 3;

    assert_true(v >= 3 && n >= 2 * zeros + 16);
    o += sprintf(o, "{\"a\":[");
    for (apr_size_t i = 0; i < zeros; ++i) {
        *o++ = '0';
        if (i + 1 < zeros) *o++ = ',';
    }
    o += sprintf(o, "],\"b\":\"");
    memset(o, 'x', n - (apr_size_t)(o - j) - 2);
    memcpy(j + n - 2, "\"}", 3);
    return j;
}

static ctx_reason_t dec_json(const ctx_codec_t *c, const ctx_keyring_t *kr,
                             apr_pool_t *p, const char *json, apr_size_t jlen)
{
    const char *ts = ts_text(p, T0);
    const char *payload = zpayload(p, json, jlen, 9, 15);
    const char *v = c->format == CTX_FORMAT_FLASK
                        ? make_flask(p, "k", payload, ts)
                        : make_signed(p, kr, "session", payload, ts);

    return dec_str(c, p, v, T0);
}

/* The flask format with max_lifetime adds "_ctx_created" to the session
 * when it encodes: what it then issues must still be within the bounds the
 * next request's decode applies (bytes and values), else the server would
 * issue a cookie it refuses and the session silently resets. */
static void test_codec_flask_with_lifetime_issues_only_what_it_accepts(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    apr_size_t sizes[] = { 256, 1000, 4093 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i) {
        ctx_codec_t c = codec_of(CTX_FORMAT_FLASK, kr);
        const char *texts[2], *value;

        c.max_lifetime = 1000;
        ctx_codec_set_max_size(&c, sizes[i]);
        texts[0] = json_of(p, c.max_json, 3);           /* at the byte bound */
        texts[1] = json_of(p, 2 * c.max_values + 16, c.max_values);
        for (int t = 0; t < 2; ++t) {
            apr_status_t rv = ctx_codec_encode_json(&c, p, texts[t],
                                                    strlen(texts[t]), T0, 0,
                                                    &value, NULL);

            assert_true(rv == APR_SUCCESS || rv == CTX_ETOOLARGE);
            if (rv == APR_SUCCESS) {
                assert_reason(dec_str(&c, p, value, T0), CTX_REASON_OK);
            }
        }
    }
    counts_check();
}

/* The bounds follow CtxSessionMaxSize: JSON bytes and values, inflated or
 * not, and the encoder refuses what the decoder would. */
static void test_codec_bounds_follow_the_cookie_size_limit(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    apr_size_t sizes[] = { 256, 1000, 4093 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i) {
        for (int f = 0; f < 3; f += 2) {        /* signed, flask */
            ctx_codec_t c = codec_of((ctx_format_t)f, kr);
            apr_size_t mj, mv;
            const char *value;

            ctx_codec_set_max_size(&c, sizes[i]);
            mj = c.max_json;
            mv = c.max_values;
            /* what fits uncompressed is always within the bounds */
            assert_true(mj >= sizes[i] && mv >= sizes[i] * 3 / 8 + 1);
            assert_reason(dec_json(&c, kr, p, json_of(p, mj, 3), mj),
                          CTX_REASON_OK);
            assert_reason(dec_json(&c, kr, p, json_of(p, mj + 1, 3), mj + 1),
                          CTX_REASON_OVERSIZED);
            assert_reason(dec_json(&c, kr, p, json_of(p, mj, mv), mj),
                          CTX_REASON_OK);
            assert_reason(dec_json(&c, kr, p, json_of(p, mj, mv + 1), mj),
                          CTX_REASON_OVERSIZED);
            assert_true(ctx_codec_json_fits(&c, mj, mv));
            assert_false(ctx_codec_json_fits(&c, mj + 1, mv));
            assert_false(ctx_codec_json_fits(&c, mj, mv + 1));
            /* the write side: the same number */
            assert_int_equal(ctx_codec_encode_json(&c, p, json_of(p, mj, 3),
                                                   mj, T0, 0, &value, NULL),
                             APR_SUCCESS);
            assert_reason(dec_str(&c, p, value, T0), CTX_REASON_OK);
            assert_int_equal(ctx_codec_encode_json(&c, p,
                                                   json_of(p, mj + 1, 3),
                                                   mj + 1, T0, 0, &value, NULL),
                             CTX_ETOOLARGE);
        }
    }
    counts_check();
}

/* jansson's allocations, counted while a decode runs. */
static struct {
    int on;
    apr_size_t live, peak, calls;
} jmem;

static void *counting_malloc(size_t n)
{
    size_t *b = malloc(n + sizeof(size_t) * 2);

    if (!b) return NULL;
    b[0] = n;
    if (jmem.on) {
        jmem.live += n;
        ++jmem.calls;
        if (jmem.live > jmem.peak) jmem.peak = jmem.live;
    }
    return b + 2;
}

static void counting_free(void *ptr)
{
    size_t *b = ptr;

    if (!b) return;
    b -= 2;
    if (jmem.on && jmem.live >= b[0]) jmem.live -= b[0];
    free(b);
}

/* The worst cookies that fit in CTX_CODEC_MAX_VALUE: small values or one
 * string behind zlib, as large as the default bound, as large as the old
 * 128 KiB bound and 1 MiB, and a plain payload as large as fits. Each
 * is refused or accepted with jansson memory and allocations bounded by
 * what the largest session the default bounds admit may need. */
static void test_codec_worst_cookies_cost_bounded_memory(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    const char *ts = ts_text(p, T0);
    apr_size_t sizes[] = { 5000, CTX_CODEC_MAX_JSON, 128 * 1024,
                           1024 * 1024 }, n;
    static const char *const units[] = { "[],", "0,", "{},", "\"\",", "x" };
    /* Each value costs jansson at most a few small blocks: allow 4 calls
     * and 256 bytes per admitted value. */
    apr_size_t max_calls = 4 * CTX_CODEC_MAX_VALUES + 64;
    apr_size_t max_bytes = 256 * CTX_CODEC_MAX_VALUES + CTX_CODEC_MAX_JSON;

    json_set_alloc_funcs(counting_malloc, counting_free);
    for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); ++u) {
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i) {
            int plain = i == 0;
            apr_size_t ulen = strlen(units[u]);
            char *json = apr_palloc(p, sizes[i] + 16), *o = json;
            const char *payload, *vs, *vf;
            ctx_codec_t sign = codec_of(CTX_FORMAT_SIGNED, kr);
            ctx_codec_t flask = codec_of(CTX_FORMAT_FLASK, kr);

            n = sizes[i];
            o += sprintf(o, "{\"a\":%s", u == 4 ? "\"" : "[");
            while ((apr_size_t)(o - json) + ulen + 2 < n) {
                memcpy(o, units[u], ulen);
                o += ulen;
            }
            if (u != 4) --o;                    /* the last comma */
            o += sprintf(o, "%s}", u == 4 ? "\"" : "]");
            n = (apr_size_t)(o - json);
            payload = plain ? b64(p, json, n) : zpayload(p, json, n, 9, 15);
            vs = make_signed(p, kr, "session", payload, ts);
            vf = make_flask(p, "k", payload, ts);
            assert_true(strlen(vs) <= CTX_CODEC_MAX_VALUE);
            for (int f = 0; f < 2; ++f) {
                ctx_reason_t r;

                memset(&jmem, 0, sizeof(jmem));
                jmem.on = 1;
                r = dec_str(f ? &flask : &sign, p, f ? vf : vs, T0);
                jmem.on = 0;
                assert_true(r == CTX_REASON_OK || r == CTX_REASON_OVERSIZED);
                if (jmem.calls > max_calls || jmem.peak > max_bytes) {
                    fail_msg("unit \"%s\" %zu bytes: %s, %zu jansson "
                             "allocations, "
                             "peak %zu bytes", units[u], (size_t)n,
                             ctx_reason_name(r),
                             (size_t)jmem.calls, (size_t)jmem.peak);
                }
            }
        }
    }
    json_set_alloc_funcs(malloc, free);
    counts_check();
}

/* A wrong GCM tag is what any client can send: it must not cost a new
 * cipher context (a lookup and key schedule) each time. */
static void test_codec_bad_gcm_tags_keep_the_cipher_context(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", "old", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, kr);
    json_t *data = json_pack("{s:i}", "n", 1);
    const char *good = enc(&c, p, data, T0);
    apr_size_t len = strlen(good);
    apr_uint32_t before;

    char *bad = apr_pstrdup(p, good);

    /* a different last-but-one character: another tag */
    bad[len - 2] = bad[len - 2] == 'A' ? 'B' : 'A';
    /* the first bad cookie also sets up the fallback key's context */
    assert_reason(dec_str(&c, p, good, T0), CTX_REASON_OK);
    assert_reason(dec_str(&c, p, bad, T0), CTX_REASON_BAD_SIGNATURE);
    before = ctx_codec_contexts_made();
    for (int i = 0; i < 50; ++i) {
        assert_reason(dec_str(&c, p, bad, T0), CTX_REASON_BAD_SIGNATURE);
        assert_reason(dec_str(&c, p, good, T0), CTX_REASON_OK);
    }
    assert_int_equal(ctx_codec_contexts_made(), before);
    json_decref(data);
    counts_check();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        CODEC_TEST(test_codec_flask_vectors_decode_to_their_data),
        CODEC_TEST(test_codec_flask_vectors_reencode_byte_identical),
        CODEC_TEST(test_codec_flask_vectors_expire_after_max_age),
        CODEC_TEST(test_codec_flask_vectors_verify_only_with_their_secret),
        CODEC_TEST(test_codec_flask_reference_worked_example),
        CODEC_TEST(test_codec_more_flask_cookies_round_trip_exactly),
        CODEC_TEST(test_codec_flask_session_with_nul_string_is_bad_json),
        CODEC_TEST(test_codec_flask_accepts_any_key_order_whitespace_and_zlib),
        CODEC_TEST(test_codec_flask_ignores_the_cookie_name),
        CODEC_TEST(test_codec_flask_unknown_tags_are_carried_through),
        CODEC_TEST(test_codec_signed_small_session_matches_documented_mac),
        CODEC_TEST(test_codec_signed_large_session_is_compressed),
        CODEC_TEST(test_codec_signed_decodes_independently_built_cookies),
        CODEC_TEST(test_codec_encrypted_matches_documented_aead),
        CODEC_TEST(test_codec_encrypted_decodes_independently_built_cookie),
        CODEC_TEST(test_codec_long_cookie_names_bind_the_same_bytes),
        CODEC_TEST(test_codec_encrypted_uses_a_fresh_nonce_each_time),
        CODEC_TEST(test_codec_encrypted_forked_child_never_repeats_a_parent_nonce),
        CODEC_TEST(test_codec_timestamp_is_minimal_big_endian),
        CODEC_TEST(test_codec_signed_round_trips),
        CODEC_TEST(test_codec_encrypted_round_trips),
        CODEC_TEST(test_codec_flask_round_trips),
        CODEC_TEST(test_codec_empty_session_round_trips),
        CODEC_TEST(test_codec_encode_json_equals_encode_of_the_object),
        CODEC_TEST(test_codec_tamper_signed_every_byte_small),
        CODEC_TEST(test_codec_tamper_encrypted_every_byte_small),
        CODEC_TEST(test_codec_tamper_flask_every_byte_small),
        CODEC_TEST(test_codec_tamper_signed_bit_flips_large_compressed),
        CODEC_TEST(test_codec_tamper_encrypted_bit_flips_large),
        CODEC_TEST(test_codec_tamper_flask_bit_flips_large_compressed),
        CODEC_TEST(test_codec_swapped_parts_are_refused),
        CODEC_TEST(test_codec_cookie_of_one_format_is_refused_by_another),
        CODEC_TEST(test_codec_signed_and_encrypted_bind_the_cookie_name),
        CODEC_TEST(test_codec_key_rotation),
        CODEC_TEST(test_codec_age_limits),
        CODEC_TEST(test_codec_zero_skew_refuses_any_future_time),
        CODEC_TEST(test_codec_expired_cookie_under_unknown_key_is_bad_signature),
        CODEC_TEST(test_codec_value_longer_than_max_is_oversized),
        CODEC_TEST(test_codec_max_value_raises_the_length_limit),
        CODEC_TEST(test_codec_inflated_payload_limit),
        CODEC_TEST(test_codec_broken_zlib_is_bad_compression),
        CODEC_TEST(test_codec_verified_non_object_is_bad_json),
        CODEC_TEST(test_codec_encrypted_short_blob_is_malformed),
        CODEC_TEST(test_codec_encrypted_empty_plaintext_is_bad_json),
        CODEC_TEST(test_codec_signed_shape_errors),
        CODEC_TEST(test_codec_signed_verified_bad_timestamp_is_bad_encoding),
        CODEC_TEST(test_codec_decode_refuses_missing_arguments),
        CODEC_TEST(test_codec_encode_refuses_bad_arguments),
        CODEC_TEST(test_codec_reason_names),
        CODEC_TEST(test_codec_signed_without_payload_part_is_malformed),
        CODEC_TEST(test_codec_decode_without_cookie_name_is_refused),
        CODEC_TEST(test_codec_signed_and_encrypted_bind_the_app_name),
        CODEC_TEST(test_codec_version_2_carries_issue_and_creation_time),
        CODEC_TEST(test_codec_reads_version_1_cookies_only_when_legacy),
        CODEC_TEST(test_codec_max_lifetime_counts_from_creation),
        CODEC_TEST(test_codec_flask_with_lifetime_issues_only_what_it_accepts),
        CODEC_TEST(test_codec_flask_keeps_creation_in_ctx_created),
        CODEC_TEST(test_codec_bounds_follow_the_cookie_size_limit),
        CODEC_TEST(test_codec_worst_cookies_cost_bounded_memory),
        CODEC_TEST(test_codec_bad_gcm_tags_keep_the_cipher_context),
    };

    return UNIT_RUN(tests);
}

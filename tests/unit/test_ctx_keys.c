/* Unit tests of ctx_keys: the keyring, per-purpose key derivation and key
 * files.
 *
 * Expected keys were computed with Python's hmac/hashlib (RFC 5869 HKDF
 * written out by hand; the salt "mod_ctx" is ctx_keys.c's) and the Flask key
 * is the one of the worked example in flask-session-format.md. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "unit.h"

#include "ctx_keys.h"

/* ---- helpers --------------------------------------------------------------- */

static void hex(char *out, const unsigned char *k, apr_size_t n)
{
    for (apr_size_t i = 0; i < n; ++i) {
        sprintf(out + 2 * i, "%02x", k[i]);
    }
    out[2 * n] = '\0';
}

static void assert_key_hex(const ctx_keyring_t *kr, int idx,
                           ctx_key_purpose_t purpose, const char *want)
{
    apr_size_t len = 0;
    const unsigned char *k = ctx_keyring_key(kr, idx, purpose, &len);
    char got[2 * CTX_KEY_MAX_LEN + 1];

    assert_non_null(k);
    assert_int_equal(len, strlen(want) / 2);
    hex(got, k, len);
    assert_string_equal(got, want);
}

static ctx_keyring_t *ring(apr_pool_t *p, const char *secret)
{
    ctx_keyring_t *kr = ctx_keyring_create(p);

    assert_non_null(kr);
    assert_int_equal(ctx_keyring_add(kr, secret, strlen(secret)), APR_SUCCESS);
    return kr;
}

static int same_key(const ctx_keyring_t *a, int ia, ctx_key_purpose_t pa,
                    const ctx_keyring_t *b, int ib, ctx_key_purpose_t pb)
{
    apr_size_t la = 0, lb = 0;
    const unsigned char *ka = ctx_keyring_key(a, ia, pa, &la);
    const unsigned char *kb = ctx_keyring_key(b, ib, pb, &lb);

    assert_non_null(ka);
    assert_non_null(kb);
    return la == lb && memcmp(ka, kb, la) == 0;
}

/* A private directory for key files, removed with the test's pool. */
typedef struct {
    char dir[64];
    char files[8][128];
    int n;
} tmpdir_t;

static apr_status_t tmpdir_cleanup(void *data)
{
    tmpdir_t *t = data;

    for (int i = 0; i < t->n; ++i) {
        unlink(t->files[i]);
    }
    rmdir(t->dir);
    return APR_SUCCESS;
}

static tmpdir_t *tmpdir(apr_pool_t *p)
{
    tmpdir_t *t = apr_pcalloc(p, sizeof(*t));

    strcpy(t->dir, "/tmp/ctx-keys-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    apr_pool_cleanup_register(p, t, tmpdir_cleanup, apr_pool_cleanup_null);
    return t;
}

/* Write `len` bytes to a new file with `mode` (exactly: not umasked). */
static const char *key_file(tmpdir_t *t, const char *name, const void *data,
                            apr_size_t len, mode_t mode)
{
    char *path;
    int fd;

    assert_true(t->n < 8);
    path = t->files[t->n++];
    assert_true(strlen(t->dir) + 1 + strlen(name) < sizeof(t->files[0]));
    strcpy(path, t->dir);
    strcat(path, "/");
    strcat(path, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

/* ---- derivation -------------------------------------------------------------- */

static void test_keys_flask_key_is_hmac_sha1_of_cookie_session(void **state)
{
    ctx_keyring_t *kr = ring(UNIT_POOL(state), "dev");
    unsigned char want[20];
    unsigned int wlen = 0;
    apr_size_t len = 0;
    const unsigned char *k;

    /* The worked example of the reference. */
    assert_key_hex(kr, 0, CTX_KEY_FLASK,
                   "4d50ad79847b366eb85f0c79d35a580ff1348d10");
    /* and itsdangerous's derivation written out with OpenSSL */
    k = ctx_keyring_key(kr, 0, CTX_KEY_FLASK, &len);
    HMAC(EVP_sha1(), "dev", 3, (const unsigned char *)"cookie-session", 14,
         want, &wlen);
    assert_int_equal(len, wlen);
    assert_memory_equal(k, want, wlen);
}

static void test_keys_hkdf_keys_match_rfc5869_computation(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *dev = ring(p, "dev");
    ctx_keyring_t *long_ = ring(p, "0123456789abcdef0123456789abcdef");

    assert_key_hex(dev, 0, CTX_KEY_SIGN,
                   "f471b381916fb31c037ef5e911329da1a5673006c6d8075b547c2fce16eb952e");
    assert_key_hex(dev, 0, CTX_KEY_ENCRYPT,
                   "28ad8fdb4067447e6d7fd669e8ff61a24bb267ed70b47249cbfd0080a610c8c6");
    assert_key_hex(long_, 0, CTX_KEY_SIGN,
                   "74299becdd4ff66956a9fd136625093a793a3601df342a03e22f7272418fa562");
    assert_key_hex(long_, 0, CTX_KEY_ENCRYPT,
                   "ad4c90f7c93c909a0115fdd6b51a6a1e92ad73807c351b4b6d9f8890c7115afc");
    assert_key_hex(long_, 0, CTX_KEY_FLASK,
                   "dd71faa2e7fc2740710b5ce7363b5a678ee98227");
    assert_key_hex(dev, 0, CTX_KEY_ID,
                   "d61dd0104de6af3706a3e54b7365e9c98a9b4e904c8f25cf157e468d6cf94087");
    assert_key_hex(long_, 0, CTX_KEY_ID,
                   "a63b6c5b88d15057360887f51e2195d4d01807b5ac408b2137db5622ce5b61d7");
}

static void test_keys_each_purpose_gets_a_different_key(void **state)
{
    ctx_keyring_t *kr = ring(UNIT_POOL(state), "one secret for all");
    apr_size_t ls = 0, le = 0, lf = 0;
    const unsigned char *s = ctx_keyring_key(kr, 0, CTX_KEY_SIGN, &ls);
    const unsigned char *e = ctx_keyring_key(kr, 0, CTX_KEY_ENCRYPT, &le);
    const unsigned char *f = ctx_keyring_key(kr, 0, CTX_KEY_FLASK, &lf);

    assert_int_equal(ls, 32);
    assert_int_equal(le, 32);
    assert_int_equal(lf, 20);
    assert_memory_not_equal(s, e, 32);
    assert_memory_not_equal(s, f, 20);
    assert_memory_not_equal(e, f, 20);
    {
        apr_size_t li = 0;
        const unsigned char *i = ctx_keyring_key(kr, 0, CTX_KEY_ID, &li);

        assert_int_equal(li, 32);
        assert_memory_not_equal(i, s, 32);
        assert_memory_not_equal(i, e, 32);
        assert_memory_not_equal(i, f, 20);
    }
    /* and none is the secret itself */
    assert_memory_not_equal(s, "one secret for all", 18);
    assert_memory_not_equal(e, "one secret for all", 18);
}

static void test_keys_derivation_is_deterministic(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *a = ring(p, "same secret");
    ctx_keyring_t *b = ctx_keyring_create(p);

    assert_int_equal(ctx_keyring_add(b, "other", 5), APR_SUCCESS);
    assert_int_equal(ctx_keyring_add(b, "same secret", 11), APR_SUCCESS);
    for (int pu = 0; pu < CTX_KEY_PURPOSES; ++pu) {
        assert_true(same_key(a, 0, pu, b, 1, pu));
        assert_false(same_key(a, 0, pu, b, 0, pu));
    }
}

static void test_keys_different_secrets_give_different_keys(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *a = ring(p, "secret-a"), *b = ring(p, "secret-b");
    ctx_keyring_t *prefix = ring(p, "secret-");

    for (int pu = 0; pu < CTX_KEY_PURPOSES; ++pu) {
        assert_false(same_key(a, 0, pu, b, 0, pu));
        assert_false(same_key(a, 0, pu, prefix, 0, pu));
    }
}

static void test_keys_binary_secret_with_nul_bytes_uses_every_byte(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *a = ctx_keyring_create(p), *b = ctx_keyring_create(p);

    assert_int_equal(ctx_keyring_add(a, "ab\0cd", 5), APR_SUCCESS);
    assert_int_equal(ctx_keyring_add(b, "ab\0ce", 5), APR_SUCCESS);
    for (int pu = 0; pu < CTX_KEY_PURPOSES; ++pu) {
        assert_false(same_key(a, 0, pu, b, 0, pu));
    }
}

static void test_keys_secret_is_not_borrowed(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *a = ctx_keyring_create(p), *b = ring(p, "volatile");
    char secret[] = "volatile";

    assert_int_equal(ctx_keyring_add(a, secret, 8), APR_SUCCESS);
    memset(secret, 0, sizeof(secret));
    for (int pu = 0; pu < CTX_KEY_PURPOSES; ++pu) {
        assert_true(same_key(a, 0, pu, b, 0, pu));
    }
}

/* ---- the keyring ------------------------------------------------------------- */

static void test_keys_first_added_is_current_then_fallbacks_in_order(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = ctx_keyring_create(p);
    ctx_keyring_t *k1 = ring(p, "k1"), *k2 = ring(p, "k2"), *k3 = ring(p, "k3");

    assert_int_equal(ctx_keyring_count(kr), 0);
    assert_int_equal(ctx_keyring_add(kr, "k1", 2), APR_SUCCESS);
    assert_int_equal(ctx_keyring_add(kr, "k2", 2), APR_SUCCESS);
    assert_int_equal(ctx_keyring_add(kr, "k3", 2), APR_SUCCESS);
    assert_int_equal(ctx_keyring_count(kr), 3);
    assert_true(same_key(kr, 0, CTX_KEY_SIGN, k1, 0, CTX_KEY_SIGN));
    assert_true(same_key(kr, 1, CTX_KEY_SIGN, k2, 0, CTX_KEY_SIGN));
    assert_true(same_key(kr, 2, CTX_KEY_SIGN, k3, 0, CTX_KEY_SIGN));
}

static void test_keys_many_secrets_keep_their_keys(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = ctx_keyring_create(p);
    char secret[32];

    /* more than the initial array size, so the array grows */
    for (int i = 0; i < 12; ++i) {
        snprintf(secret, sizeof(secret), "secret-%d", i);
        assert_int_equal(ctx_keyring_add(kr, secret, strlen(secret)),
                         APR_SUCCESS);
    }
    assert_int_equal(ctx_keyring_count(kr), 12);
    for (int i = 0; i < 12; ++i) {
        snprintf(secret, sizeof(secret), "secret-%d", i);
        assert_true(same_key(kr, i, CTX_KEY_ENCRYPT, ring(p, secret), 0,
                             CTX_KEY_ENCRYPT));
    }
}

static void test_keys_empty_or_null_secret_is_einval(void **state)
{
    ctx_keyring_t *kr = ctx_keyring_create(UNIT_POOL(state));

    assert_int_equal(ctx_keyring_add(kr, "", 0), APR_EINVAL);
    assert_int_equal(ctx_keyring_add(kr, "x", 0), APR_EINVAL);
    assert_int_equal(ctx_keyring_add(kr, NULL, 4), APR_EINVAL);
    assert_int_equal(ctx_keyring_add(NULL, "x", 1), APR_EINVAL);
    assert_int_equal(ctx_keyring_count(kr), 0);
    assert_int_equal(ctx_keyring_count(NULL), 0);
}

static void test_keys_short_secret_is_accepted(void **state)
{
    /* The keyring takes any secret; the strength rule is the glue's. */
    ctx_keyring_t *kr = ctx_keyring_create(UNIT_POOL(state));

    assert_int_equal(ctx_keyring_add(kr, "x", 1), APR_SUCCESS);
    assert_int_equal(ctx_keyring_count(kr), 1);
    assert_non_null(ctx_keyring_key(kr, 0, CTX_KEY_SIGN, NULL));
}

static void test_keys_long_secret_is_accepted(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = ctx_keyring_create(p);
    char big[4096];
    apr_size_t len = 0;

    memset(big, 'k', sizeof(big));
    assert_int_equal(ctx_keyring_add(kr, big, sizeof(big)), APR_SUCCESS);
    assert_non_null(ctx_keyring_key(kr, 0, CTX_KEY_SIGN, &len));
    assert_int_equal(len, 32);
    assert_non_null(ctx_keyring_key(kr, 0, CTX_KEY_FLASK, &len));
    assert_int_equal(len, 20);
}

/* ---- the strength rule ------------------------------------------------------- */

static void test_strength_refuses_secrets_shorter_than_32_bytes(void **state)
{
    int distinct = -1;

    (void)state;
    /* 31 different bytes: only the length is wrong. */
    assert_int_equal(ctx_secret_strength("abcdefghijklmnopqrstuvwxyz01234", 31,
                                         &distinct), CTX_SECRET_TOO_SHORT);
    assert_int_equal(distinct, 31);
    assert_int_equal(ctx_secret_strength("a", 1, NULL), CTX_SECRET_TOO_SHORT);
    assert_int_equal(ctx_secret_strength("", 0, &distinct), CTX_SECRET_TOO_SHORT);
    assert_int_equal(distinct, 0);
    assert_int_equal(ctx_secret_strength(NULL, 40, NULL), CTX_SECRET_TOO_SHORT);
}

static void test_strength_refuses_long_secrets_of_few_different_bytes(void **state)
{
    char s[4096];
    int distinct = -1;

    (void)state;
    memset(s, 'k', sizeof(s));
    assert_int_equal(ctx_secret_strength(s, sizeof(s), &distinct),
                     CTX_SECRET_TOO_UNIFORM);
    assert_int_equal(distinct, 1);
    /* Seven values repeated: still refused; an eighth makes it pass. */
    for (int i = 0; i < 40; ++i) {
        s[i] = (char)('a' + i % 7);
    }
    assert_int_equal(ctx_secret_strength(s, 40, &distinct),
                     CTX_SECRET_TOO_UNIFORM);
    assert_int_equal(distinct, 7);
    s[39] = 'z';
    assert_int_equal(ctx_secret_strength(s, 40, &distinct), CTX_SECRET_OK);
    assert_int_equal(distinct, 8);
}

static void test_strength_accepts_random_text_and_binary_secrets(void **state)
{
    /* 32 bytes, NUL and high bytes counted like any other. */
    static const unsigned char bin[32] = {
        0, 0, 1, 2, 3, 0xff, 0xfe, 0x80, 9, 9, 9, 9, 9, 9, 9, 9,
        9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 };

    (void)state;
    assert_int_equal(ctx_secret_strength("3q2+7wAAAABmb29iYXJiYXpxdXV4cXV1", 32,
                                         NULL), CTX_SECRET_OK);
    assert_int_equal(ctx_secret_strength("9f86d081884c7d659a2feaa0c55ad015", 32,
                                         NULL), CTX_SECRET_OK);
    assert_int_equal(ctx_secret_strength(bin, sizeof(bin), NULL), CTX_SECRET_OK);
}

static void test_keys_out_of_range_index_or_purpose_is_null(void **state)
{
    ctx_keyring_t *kr = ring(UNIT_POOL(state), "k");
    apr_size_t len = 77;

    assert_null(ctx_keyring_key(kr, 1, CTX_KEY_SIGN, &len));
    assert_null(ctx_keyring_key(kr, -1, CTX_KEY_SIGN, &len));
    assert_null(ctx_keyring_key(kr, 0, CTX_KEY_PURPOSES, &len));
    assert_null(ctx_keyring_key(kr, 0, (ctx_key_purpose_t)-1, &len));
    assert_null(ctx_keyring_key(NULL, 0, CTX_KEY_SIGN, &len));
    assert_int_equal(len, 77);
    assert_null(ctx_keyring_key(ctx_keyring_create(UNIT_POOL(state)), 0,
                                CTX_KEY_SIGN, &len));
}

/* ---- key files ----------------------------------------------------------------- */

static void test_keys_reads_0600_file_without_trailing_newline(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    tmpdir_t *t = tmpdir(p);
    const char *secret = NULL, *err = "unset";
    apr_size_t len = 0;

    assert_int_equal(ctx_keyring_read_file(p, key_file(t, "lf", "s3cret\n", 7,
                                                       0600),
                                           &secret, &len, &err),
                     APR_SUCCESS);
    assert_int_equal(len, 6);
    assert_memory_equal(secret, "s3cret", 6);

    assert_int_equal(ctx_keyring_read_file(p, key_file(t, "crlf", "s3cret\r\n",
                                                       8, 0600),
                                           &secret, &len, &err),
                     APR_SUCCESS);
    assert_int_equal(len, 6);
    assert_memory_equal(secret, "s3cret", 6);

    assert_int_equal(ctx_keyring_read_file(p, key_file(t, "bare", "s3cret", 6,
                                                       0600),
                                           &secret, &len, &err),
                     APR_SUCCESS);
    assert_int_equal(len, 6);
    assert_memory_equal(secret, "s3cret", 6);
}

static void test_keys_reads_0400_file(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    tmpdir_t *t = tmpdir(p);
    const char *secret = NULL, *err = NULL;
    apr_size_t len = 0;

    assert_int_equal(ctx_keyring_read_file(p, key_file(t, "ro", "abc", 3, 0400),
                                           &secret, &len, &err),
                     APR_SUCCESS);
    assert_int_equal(len, 3);
    assert_memory_equal(secret, "abc", 3);
}

static void test_keys_removes_only_one_trailing_newline(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    tmpdir_t *t = tmpdir(p);
    const char *secret = NULL, *err = NULL;
    apr_size_t len = 0;

    assert_int_equal(ctx_keyring_read_file(p, key_file(t, "two", "key\n\n", 5,
                                                       0600),
                                           &secret, &len, &err),
                     APR_SUCCESS);
    assert_int_equal(len, 4);
    assert_memory_equal(secret, "key\n", 4);
    /* leading and inner whitespace is part of the secret */
    assert_int_equal(ctx_keyring_read_file(p, key_file(t, "ws", " k e y \n", 8,
                                                       0600),
                                           &secret, &len, &err),
                     APR_SUCCESS);
    assert_int_equal(len, 7);
    assert_memory_equal(secret, " k e y ", 7);
}

static void test_keys_binary_file_keeps_nul_bytes(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    tmpdir_t *t = tmpdir(p);
    static const unsigned char bin[] = { 0x00, 0xff, 0x10, 0x00, 0x7f, 0x80 };
    const char *secret = NULL, *err = NULL;
    apr_size_t len = 0;

    assert_int_equal(ctx_keyring_read_file(p, key_file(t, "bin", bin,
                                                       sizeof(bin), 0600),
                                           &secret, &len, &err),
                     APR_SUCCESS);
    assert_int_equal(len, sizeof(bin));
    assert_memory_equal(secret, bin, sizeof(bin));
}

static void test_keys_refuses_group_or_world_accessible_file(void **state)
{
    static const mode_t modes[] = { 0640, 0604, 0620, 0602, 0660, 0644, 0666,
                                    0440, 0404, 0642, 0624 };
    apr_pool_t *p = UNIT_POOL(state);
    tmpdir_t *t = tmpdir(p);
    const char *path = key_file(t, "k", "secret-key", 10, 0600);

    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); ++i) {
        const char *secret = "untouched", *err = NULL;
        apr_size_t len = 99;
        apr_status_t rv;

        assert_int_equal(chmod(path, modes[i]), 0);
        rv = ctx_keyring_read_file(p, path, &secret, &len, &err);
        if (rv != APR_EACCES) {
            fail_msg("mode %04o: status %d, want APR_EACCES", (unsigned)modes[i],
                     rv);
        }
        assert_non_null(err);
        assert_non_null(strstr(err, "group or others"));
        assert_string_equal(secret, "untouched");
        assert_int_equal(len, 99);
    }
}

static void test_keys_refuses_empty_or_newline_only_file(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    tmpdir_t *t = tmpdir(p);
    const char *secret = NULL, *err = NULL;
    apr_size_t len = 0;

    assert_int_equal(ctx_keyring_read_file(p, key_file(t, "empty", "", 0, 0600),
                                           &secret, &len, &err),
                     APR_EINVAL);
    assert_non_null(err);
    err = NULL;
    assert_int_equal(ctx_keyring_read_file(p, key_file(t, "nl", "\n", 1, 0600),
                                           &secret, &len, &err),
                     APR_EINVAL);
    assert_non_null(err);
    err = NULL;
    assert_int_equal(ctx_keyring_read_file(p, key_file(t, "crlf", "\r\n", 2,
                                                       0600),
                                           &secret, &len, &err),
                     APR_EINVAL);
    assert_non_null(err);
}

static void test_keys_refuses_missing_file_and_directory(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    tmpdir_t *t = tmpdir(p);
    const char *secret = NULL, *err = NULL;
    apr_size_t len = 0;
    char path[160];
    apr_status_t rv;

    snprintf(path, sizeof(path), "%s/absent", t->dir);
    rv = ctx_keyring_read_file(p, path, &secret, &len, &err);
    assert_true(APR_STATUS_IS_ENOENT(rv));
    assert_non_null(err);

    err = NULL;
    assert_int_equal(chmod(t->dir, 0700), 0);
    rv = ctx_keyring_read_file(p, t->dir, &secret, &len, &err);
    assert_int_not_equal(rv, APR_SUCCESS);
    assert_non_null(err);
}

static void test_keys_file_read_then_added_gives_same_keys(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    tmpdir_t *t = tmpdir(p);
    const char *secret = NULL, *err = NULL;
    apr_size_t len = 0;
    ctx_keyring_t *kr = ctx_keyring_create(p);

    assert_int_equal(ctx_keyring_read_file(p, key_file(t, "dev", "dev\n", 4,
                                                       0600),
                                           &secret, &len, &err),
                     APR_SUCCESS);
    assert_int_equal(ctx_keyring_add(kr, secret, len), APR_SUCCESS);
    assert_key_hex(kr, 0, CTX_KEY_FLASK,
                   "4d50ad79847b366eb85f0c79d35a580ff1348d10");
}

static void test_keys_file_info_reports_owner_and_link(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    tmpdir_t *t = tmpdir(p);
    const char *path = key_file(t, "owned", "s3cret", 6, 0600);
    char *link = t->files[t->n++];
    ctx_key_file_info_t info;
    const char *secret, *err;
    apr_size_t len;

    memset(&info, 0xff, sizeof(info));
    assert_int_equal(ctx_keyring_read_file_info(p, path, &secret, &len, &info,
                                                &err), APR_SUCCESS);
    assert_int_equal(info.owner, geteuid());
    assert_int_equal(info.is_link, 0);
    /* Through a link: the target's owner, and the link itself flagged. */
    snprintf(link, sizeof(t->files[0]), "%s/link", t->dir);
    assert_int_equal(symlink(path, link), 0);
    memset(&info, 0xff, sizeof(info));
    assert_int_equal(ctx_keyring_read_file_info(p, link, &secret, &len, &info,
                                                &err), APR_SUCCESS);
    assert_int_equal(len, 6);
    assert_int_equal(info.owner, geteuid());
    assert_int_equal(info.is_link, 1);
    assert_int_equal(info.link_owner, geteuid());
}

/* Every key gets an id of its own, never 0 and never given again: to each
 * purpose and secret, and to the same secret added again, in a keyring made
 * where a destroyed one lay. ctx_keyring_key_id gives the same key as
 * ctx_keyring_key. */
static void test_keys_ids_are_never_given_twice(void **state)
{
    apr_pool_t *p = UNIT_POOL(state), *sub;
    apr_uint64_t seen[3 * CTX_KEY_PURPOSES];
    const unsigned char *first = NULL;
    int n = 0;

    for (int round = 0; round < 3; ++round) {
        ctx_keyring_t *kr;

        assert_int_equal(apr_pool_create(&sub, p), APR_SUCCESS);
        kr = ring(sub, "the same secret each time, 32 b.");
        for (int pu = 0; pu < CTX_KEY_PURPOSES; ++pu) {
            apr_size_t la = 0, lb = 0;
            apr_uint64_t id = 0;
            const unsigned char *a = ctx_keyring_key_id(
                kr, 0, (ctx_key_purpose_t)pu, &la, &id);
            const unsigned char *b = ctx_keyring_key(kr, 0,
                                                     (ctx_key_purpose_t)pu,
                                                     &lb);

            assert_ptr_equal(a, b);
            assert_int_equal(la, lb);
            assert_true(id != 0);
            for (int i = 0; i < n; ++i) {
                if (seen[i] == id) {
                    fail_msg("round %d purpose %d: id %llu given before",
                             round, pu, (unsigned long long)id);
                }
            }
            seen[n++] = id;
        }
        if (round == 0) {
            first = ctx_keyring_key(kr, 0, CTX_KEY_SIGN, NULL);
        }
        else {
            /* where the destroyed keyring's key was */
            assert_ptr_equal(ctx_keyring_key(kr, 0, CTX_KEY_SIGN, NULL),
                             first);
        }
        apr_pool_destroy(sub);
    }
    assert_null(ctx_keyring_key_id(NULL, 0, CTX_KEY_SIGN, NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_keys_flask_key_is_hmac_sha1_of_cookie_session),
        UNIT_TEST(test_keys_hkdf_keys_match_rfc5869_computation),
        UNIT_TEST(test_keys_each_purpose_gets_a_different_key),
        UNIT_TEST(test_keys_derivation_is_deterministic),
        UNIT_TEST(test_keys_ids_are_never_given_twice),
        UNIT_TEST(test_keys_different_secrets_give_different_keys),
        UNIT_TEST(test_keys_binary_secret_with_nul_bytes_uses_every_byte),
        UNIT_TEST(test_keys_secret_is_not_borrowed),
        UNIT_TEST(test_keys_first_added_is_current_then_fallbacks_in_order),
        UNIT_TEST(test_keys_many_secrets_keep_their_keys),
        UNIT_TEST(test_keys_empty_or_null_secret_is_einval),
        UNIT_TEST(test_keys_short_secret_is_accepted),
        UNIT_TEST(test_keys_long_secret_is_accepted),
        UNIT_TEST(test_strength_refuses_secrets_shorter_than_32_bytes),
        UNIT_TEST(test_strength_refuses_long_secrets_of_few_different_bytes),
        UNIT_TEST(test_strength_accepts_random_text_and_binary_secrets),
        UNIT_TEST(test_keys_out_of_range_index_or_purpose_is_null),
        UNIT_TEST(test_keys_reads_0600_file_without_trailing_newline),
        UNIT_TEST(test_keys_reads_0400_file),
        UNIT_TEST(test_keys_removes_only_one_trailing_newline),
        UNIT_TEST(test_keys_binary_file_keeps_nul_bytes),
        UNIT_TEST(test_keys_refuses_group_or_world_accessible_file),
        UNIT_TEST(test_keys_refuses_empty_or_newline_only_file),
        UNIT_TEST(test_keys_refuses_missing_file_and_directory),
        UNIT_TEST(test_keys_file_read_then_added_gives_same_keys),
        UNIT_TEST(test_keys_file_info_reports_owner_and_link),
    };

    return UNIT_RUN(tests);
}

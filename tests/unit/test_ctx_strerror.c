/* Unit tests of ctx_strerror() in include/mod_ctx.h: the text of a status
 * the mod_ctx API returns. It is a static inline of the public header, so
 * this program includes the header exactly as a module would (with its
 * helpers) and links no mod_ctx at all: that is the "mod_ctx not loaded"
 * case. Expected texts are what docs/api.md and mod_ctx.h promise each status
 * means, or APR's own text for the rest. */
#include "unit.h"

#include "mod_ctx.h"

static const char *text_of(apr_status_t status)
{
    static char buf[256];

    return ctx_strerror(status, buf, sizeof(buf));
}

static const char *apr_text_of(apr_status_t status)
{
    static char buf[256];

    return apr_strerror(status, buf, sizeof(buf));
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part)) {
        fail_msg("'%s' does not contain '%s'", text, part);
    }
}

static void test_strerror_names_each_status_of_mod_ctx(void **state)
{
    (void)state;
    assert_contains(text_of(CTX_EDISABLED), "CtxSession Off");
    assert_contains(text_of(CTX_ETOOLATE), "headers were sent");
    assert_contains(text_of(CTX_ETOOLATE), "read-only");
    assert_contains(text_of(CTX_ETOOLARGE), "CtxSessionMaxSize");
    assert_contains(text_of(CTX_EQUEUEFULL), "CtxTaskQueue");
    assert_contains(text_of(CTX_ESHUTDOWN), "shutting down");
    assert_contains(text_of(CTX_ESTORE), "session store");
    /* each its own text, none of them APR's "Error string not specified" */
    for (apr_status_t a = CTX_EDISABLED; a <= CTX_ESTORE; ++a) {
        assert_string_not_equal(text_of(a), apr_text_of(a));
        for (apr_status_t b = a + 1; b <= CTX_ESTORE; ++b) {
            char ta[256];

            snprintf(ta, sizeof(ta), "%s", text_of(a));
            assert_string_not_equal(ta, text_of(b));
        }
    }
}

static void test_strerror_gives_apr_codes_the_meaning_of_the_api(void **state)
{
    (void)state;
    assert_contains(text_of(APR_NOTFOUND), "key not found");
    assert_contains(text_of(APR_EINVAL), "invalid argument");
    /* what every inline helper returns without mod_ctx */
    assert_contains(text_of(APR_ENOTIMPL), "mod_ctx is not loaded");
}

static void test_strerror_falls_back_to_apr_for_other_codes(void **state)
{
    static const apr_status_t others[] = {
        APR_SUCCESS, APR_ENOMEM, APR_EGENERAL, APR_EINCOMPLETE, APR_EOF,
        APR_ENOSPC, APR_EINIT, APR_FROM_OS_ERROR(2), APR_OS_START_USERERR + 1
    };

    (void)state;
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); ++i) {
        char want[256];

        snprintf(want, sizeof(want), "%s", apr_text_of(others[i]));
        assert_string_equal(text_of(others[i]), want);
    }
}

static void test_strerror_names_a_code_of_a_newer_mod_ctx(void **state)
{
    (void)state;
    assert_contains(text_of(CTX_STATUS_BASE + 42), "mod_ctx status");
    assert_contains(text_of(CTX_STATUS_BASE + 42), "4342");
}

static void test_strerror_stays_within_the_buffer(void **state)
{
    char buf[16];

    (void)state;
    memset(buf, 'x', sizeof(buf));
    assert_ptr_equal(ctx_strerror(CTX_ETOOLARGE, buf, 8), buf);
    assert_int_equal(strlen(buf), 7);
    assert_int_equal(buf[8], 'x');
    assert_ptr_equal(ctx_strerror(APR_NOTFOUND, buf, 1), buf);
    assert_string_equal(buf, "");
    memset(buf, 'x', sizeof(buf));
    ctx_strerror(CTX_STATUS_BASE + 42, buf, 6);
    assert_int_equal(strlen(buf), 5);
    assert_int_equal(buf[6], 'x');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_strerror_names_each_status_of_mod_ctx),
        UNIT_TEST(test_strerror_gives_apr_codes_the_meaning_of_the_api),
        UNIT_TEST(test_strerror_falls_back_to_apr_for_other_codes),
        UNIT_TEST(test_strerror_names_a_code_of_a_newer_mod_ctx),
        UNIT_TEST(test_strerror_stays_within_the_buffer),
    };

    return UNIT_RUN(tests);
}

/* ctx_export: what a session value becomes outside mod_ctx (ap_expr, the
 * environment, mod_session), and which environment names are refused. */
#include "unit.h"

#include <jansson.h>

#include "ctx_export.h"
#include "ctx_json.h"

static const char *export_of(apr_pool_t *p, json_t *v)
{
    const char *out = ctx_export_value(p, v);

    json_decref(v);
    return out;
}

static void test_export_gives_a_plain_string_as_it_is(void **state)
{
    apr_pool_t *p = *state;

    assert_string_equal(export_of(p, json_string("alice")), "alice");
    assert_string_equal(export_of(p, json_string("")), "");
    /* UTF-8 stays UTF-8: only control characters are escaped. */
    assert_string_equal(export_of(p, json_string("Z\xc3\xbcrich")),
                        "Z\xc3\xbcrich");
    assert_string_equal(export_of(p, json_string("a \"quoted\" {x}")),
                        "a \"quoted\" {x}");
}

static void test_export_gives_other_values_as_their_json_text(void **state)
{
    apr_pool_t *p = *state;

    assert_string_equal(export_of(p, json_integer(42)), "42");
    assert_string_equal(export_of(p, json_real(2.5)), "2.5");
    assert_string_equal(export_of(p, json_true()), "true");
    assert_string_equal(export_of(p, json_false()), "false");
    assert_string_equal(export_of(p, json_null()), "null");
    assert_string_equal(export_of(p, json_pack("[i,s]", 1, "x")), "[1,\"x\"]");
    assert_string_equal(export_of(p, json_pack("{s:i,s:s}", "b", 1, "a", "y")),
                        "{\"a\":\"y\",\"b\":1}");
}

static void test_export_escapes_a_string_with_crlf_as_json(void **state)
{
    apr_pool_t *p = *state;
    const char *out = export_of(p, json_string("x\r\nSet-Cookie: evil=1"));

    assert_string_equal(out, "\"x\\r\\nSet-Cookie: evil=1\"");
    assert_null(strpbrk(out, "\r\n"));
    assert_string_equal(export_of(p, json_string("del\x7f")),
                        "\"del\\u007f\"");
    assert_string_equal(export_of(p, json_string("tab\there")),
                        "\"tab\\there\"");
    assert_null(ctx_export_value(p, NULL));
}

static void test_env_name_accepts_plain_names(void **state)
{
    (void)state;
    assert_null(ctx_export_env_name_problem("CTX_SESSION_USER"));
    assert_null(ctx_export_env_name_problem("REMOTE_ROLE"));
    assert_null(ctx_export_env_name_problem("_x1"));
    assert_null(ctx_export_env_name_problem("HTTPS_LIKE"));
}

static void test_env_name_refuses_http_prefix_in_any_case(void **state)
{
    (void)state;
    assert_non_null(ctx_export_env_name_problem("HTTP_SESSION"));
    assert_non_null(ctx_export_env_name_problem("http_user"));
    assert_non_null(ctx_export_env_name_problem("Http_X"));
    assert_non_null(ctx_export_env_name_problem("HTTP_"));
}

static void test_env_name_refuses_bad_characters_and_lengths(void **state)
{
    char longname[130];

    (void)state;
    assert_non_null(ctx_export_env_name_problem(""));
    assert_non_null(ctx_export_env_name_problem(NULL));
    assert_non_null(ctx_export_env_name_problem("1ABC"));
    assert_non_null(ctx_export_env_name_problem("A-B"));
    assert_non_null(ctx_export_env_name_problem("A=B"));
    assert_non_null(ctx_export_env_name_problem("A B"));
    assert_non_null(ctx_export_env_name_problem("\xc3\xa4"));
    memset(longname, 'A', 129);
    longname[129] = '\0';
    assert_non_null(ctx_export_env_name_problem(longname));
    longname[128] = '\0';
    assert_null(ctx_export_env_name_problem(longname));
}

static void test_default_env_name_is_prefixed_and_never_refused(void **state)
{
    apr_pool_t *p = *state;
    char longkey[300];

    assert_string_equal(ctx_export_default_env_name(p, "user"),
                        "CTX_SESSION_USER");
    assert_string_equal(ctx_export_default_env_name(p, "_user_id"),
                        "CTX_SESSION__USER_ID");
    assert_string_equal(ctx_export_default_env_name(p, "a-b.c\xc3\xa4"),
                        "CTX_SESSION_A_B_C__");
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    assert_null(ctx_export_env_name_problem(
        ctx_export_default_env_name(p, longkey)));
    assert_null(ctx_export_env_name_problem(
        ctx_export_default_env_name(p, "http_x")));
}

/* The bridge gets the session's values as their canonical JSON text (the
 * flat form): what it exports must be what the value itself gives. */
static void test_export_of_a_values_text_is_the_export_of_the_value(void **state)
{
    apr_pool_t *p = *state;
    json_t *vals[] = {
        json_string("alice"), json_string(""), json_string("Z\xc3\xbcrich"),
        json_string("a \"quoted\" \\ {x}"), json_string("x\r\nX-Injected: 1"),
        json_string("tab\there"), json_string("del\x7f"), json_integer(-42),
        json_real(2.5), json_true(), json_false(), json_null(),
        json_pack("[i,s]", 1, "x\ny"), json_pack("{s:i,s:s}", "b", 1, "a", "y"),
    };

    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); ++i) {
        apr_size_t len;
        const char *text = ctx_json_dump(p, vals[i], &len);

        assert_non_null(text);
        assert_string_equal(ctx_export_text(p, text, len),
                            ctx_export_value(p, vals[i]));
        json_decref(vals[i]);
    }
    assert_null(ctx_export_text(p, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_export_gives_a_plain_string_as_it_is),
        UNIT_TEST(test_export_gives_other_values_as_their_json_text),
        UNIT_TEST(test_export_escapes_a_string_with_crlf_as_json),
        UNIT_TEST(test_export_of_a_values_text_is_the_export_of_the_value),
        UNIT_TEST(test_env_name_accepts_plain_names),
        UNIT_TEST(test_env_name_refuses_http_prefix_in_any_case),
        UNIT_TEST(test_env_name_refuses_bad_characters_and_lengths),
        UNIT_TEST(test_default_env_name_is_prefixed_and_never_refused),
    };

    return UNIT_RUN(tests);
}

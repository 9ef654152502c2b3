/* Unit tests of ctx_multipart: multipart/form-data framing (RFC 7578, RFC
 * 2046), Content-Type and Content-Disposition parameters, limits. */
#include "unit.h"

#include "ctx_multipart.h"

static const ctx_multipart_limits_t limits = { 100, 1024 };

/* Parse a body given as a C string (no NUL bytes) with boundary "XyZ". */
static apr_status_t parse(apr_pool_t *p, const char *body,
                          apr_array_header_t **parts)
{
    return ctx_multipart_parse(p, body, strlen(body), "XyZ", &limits, parts);
}

static const ctx_multipart_part_t *part_at(apr_array_header_t *parts, int i)
{
    assert_true(i < parts->nelts);
    return &APR_ARRAY_IDX(parts, i, ctx_multipart_part_t);
}

static void assert_data(const ctx_multipart_part_t *part, const char *want,
                        apr_size_t len)
{
    assert_int_equal(part->len, len);
    assert_memory_equal(part->data, want, len);
}

/* ---- Content-Type: the boundary ------------------------------------------ */

static void test_boundary_token_and_quoted(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const char *b = NULL;

    assert_int_equal(ctx_multipart_boundary(p, "multipart/form-data; "
                                            "boundary=abc123", &b),
                     APR_SUCCESS);
    assert_string_equal(b, "abc123");
    assert_int_equal(ctx_multipart_boundary(p, "Multipart/Form-Data;"
                                            "charset=utf-8; BOUNDARY=\"a b;c\"",
                                            &b), APR_SUCCESS);
    assert_string_equal(b, "a b;c");
}

static void test_boundary_quoted_pair_is_unescaped(void **state)
{
    const char *b = NULL;

    assert_int_equal(ctx_multipart_boundary(UNIT_POOL(state),
                                            "multipart/form-data; boundary="
                                            "\"a\\\"b\\\\c\"", &b),
                     APR_SUCCESS);
    assert_string_equal(b, "a\"b\\c");
}

static void test_boundary_other_type_is_notfound(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const char *b = NULL;

    assert_int_equal(ctx_multipart_boundary(p, "application/json", &b),
                     APR_NOTFOUND);
    assert_int_equal(ctx_multipart_boundary(p, "multipart/form-dataX; "
                                            "boundary=a", &b), APR_NOTFOUND);
    assert_int_equal(ctx_multipart_boundary(p, "multipart/mixed; "
                                            "boundary=a", &b), APR_NOTFOUND);
    assert_int_equal(ctx_multipart_boundary(p, NULL, &b), APR_NOTFOUND);
    assert_null(b);
}

static void test_boundary_missing_empty_long_or_unterminated_is_einval(
    void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const char *b = NULL;
    char ct[200];

    assert_int_equal(ctx_multipart_boundary(p, "multipart/form-data", &b),
                     APR_EINVAL);
    assert_int_equal(ctx_multipart_boundary(p, "multipart/form-data; "
                                            "boundary=\"\"", &b), APR_EINVAL);
    assert_int_equal(ctx_multipart_boundary(p, "multipart/form-data; "
                                            "boundary=\"abc", &b), APR_EINVAL);
    assert_int_equal(ctx_multipart_boundary(p, "multipart/form-data; "
                                            "boundary=\"a\tb\"", &b),
                     APR_EINVAL);
    /* 70 characters are allowed (RFC 2046), 71 are not. */
    snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%070d", 7);
    assert_int_equal(ctx_multipart_boundary(p, ct, &b), APR_SUCCESS);
    assert_int_equal(strlen(b), 70);
    snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%071d", 7);
    assert_int_equal(ctx_multipart_boundary(p, ct, &b), APR_EINVAL);
}

static void test_param_lookup_stops_at_malformed_list(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    assert_string_equal(ctx_multipart_param(p, "; a=1; b=2", "B"), "2");
    assert_null(ctx_multipart_param(p, "; a; b=2", "b"));
    assert_null(ctx_multipart_param(p, "; a=1 junk; b=2", "b"));
    assert_null(ctx_multipart_param(p, "; a=", "a"));
}

/* ---- framing ------------------------------------------------------------- */

static void test_multipart_two_fields_and_a_file(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_array_header_t *parts = NULL;
    const char *body =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"a\"\r\n"
        "\r\n"
        "1\r\n"
        "--XyZ\r\n"
        "content-disposition: FORM-DATA; name=b\r\n"
        "\r\n"
        "two words\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"up\"; filename=\"r.txt\"\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "line1\r\nline2\r\n"
        "--XyZ--\r\n";

    assert_int_equal(parse(p, body, &parts), APR_SUCCESS);
    assert_int_equal(parts->nelts, 3);
    assert_string_equal(part_at(parts, 0)->name, "a");
    assert_null(part_at(parts, 0)->filename);
    assert_null(part_at(parts, 0)->content_type);
    assert_data(part_at(parts, 0), "1", 1);
    assert_string_equal(part_at(parts, 1)->name, "b");
    assert_data(part_at(parts, 1), "two words", 9);
    assert_string_equal(part_at(parts, 2)->name, "up");
    assert_string_equal(part_at(parts, 2)->filename, "r.txt");
    assert_string_equal(part_at(parts, 2)->content_type, "text/plain");
    assert_data(part_at(parts, 2), "line1\r\nline2", 12);
}

static void test_multipart_preamble_and_epilogue_are_ignored(void **state)
{
    apr_array_header_t *parts = NULL;
    const char *body =
        "This is a preamble --XyZ not a delimiter\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"a\"\r\n"
        "\r\n"
        "v\r\n"
        "--XyZ--\r\n"
        "epilogue\r\n--XyZ\r\nnot a part";

    assert_int_equal(parse(UNIT_POOL(state), body, &parts), APR_SUCCESS);
    assert_int_equal(parts->nelts, 1);
    assert_data(part_at(parts, 0), "v", 1);
}

static void test_multipart_boundary_text_inside_data_is_data(void **state)
{
    apr_array_header_t *parts = NULL;
    /* "--XyZ" not after CRLF, and "\r\n--XyZ" followed by other text, are
     * content: only CRLF "--XyZ" then padding+CRLF or "--" delimits. */
    const char *body =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n"
        "\r\n"
        "a--XyZ\r\n"
        "\r\n--XyZA\r\n"
        "\r\n--XyZ-x\r\n"
        "end\r\n"
        "--XyZ \t\r\n"
        "Content-Disposition: form-data; name=\"g\"\r\n"
        "\r\n"
        "\r\n"
        "--XyZ--";
    const char *want = "a--XyZ\r\n\r\n--XyZA\r\n\r\n--XyZ-x\r\nend";

    assert_int_equal(parse(UNIT_POOL(state), body, &parts), APR_SUCCESS);
    assert_int_equal(parts->nelts, 2);
    assert_data(part_at(parts, 0), want, strlen(want));
    /* An empty part: the empty line, then the delimiter's own CRLF. */
    assert_string_equal(part_at(parts, 1)->name, "g");
    assert_int_equal(part_at(parts, 1)->len, 0);
}

static void test_multipart_binary_data_keeps_every_byte(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_array_header_t *parts = NULL;
    static const char head[] =
        "--XyZ\r\nContent-Disposition: form-data; name=\"bin\"; "
        "filename=\"b.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n";
    static const char data[] = { 0, '\r', '\n', '-', '-', 0, (char)0xff,
                                 '\r' };
    static const char tail[] = "\r\n--XyZ--\r\n";
    char body[sizeof(head) + sizeof(data) + sizeof(tail)];
    apr_size_t n = 0;

    memcpy(body, head, sizeof(head) - 1);
    n += sizeof(head) - 1;
    memcpy(body + n, data, sizeof(data));
    n += sizeof(data);
    memcpy(body + n, tail, sizeof(tail) - 1);
    n += sizeof(tail) - 1;
    assert_int_equal(ctx_multipart_parse(p, body, n, "XyZ", &limits, &parts),
                     APR_SUCCESS);
    assert_int_equal(parts->nelts, 1);
    assert_data(part_at(parts, 0), data, sizeof(data));
    /* The data is not copied: it points into the body. */
    assert_ptr_equal(part_at(parts, 0)->data, body + sizeof(head) - 1);
}

static void test_multipart_missing_final_boundary_is_einval(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_array_header_t *parts = NULL;
    static const char *const bodies[] = {
        /* ends after the content */
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv",
        /* ends with a delimiter that opens a part with nothing in it */
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n"
        "--XyZ\r\n",
        /* the close delimiter cut short */
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n"
        "--XyZ-",
        /* a delimiter without its line end */
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n"
        "--XyZ",
        /* no delimiter at all */
        "just text",
        "",
    };

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); ++i) {
        assert_int_equal(parse(p, bodies[i], &parts), APR_EINVAL);
    }
    assert_null(parts);
}

static void test_multipart_close_delimiter_alone_is_an_empty_form(void **state)
{
    apr_array_header_t *parts = NULL;

    assert_int_equal(parse(UNIT_POOL(state), "--XyZ--\r\n", &parts),
                     APR_SUCCESS);
    assert_int_equal(parts->nelts, 0);
}

static void test_multipart_bare_lf_line_ends_are_einval(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_array_header_t *parts = NULL;

    /* LF-only framing: the delimiter lines never end in CRLF. */
    assert_int_equal(parse(p, "--XyZ\nContent-Disposition: form-data; "
                           "name=\"a\"\n\nv\n--XyZ--\n", &parts), APR_EINVAL);
    /* A bare LF inside the header block. */
    assert_int_equal(parse(p, "--XyZ\r\nContent-Disposition: form-data; "
                           "name=\"a\"\nX: y\r\n\r\nv\r\n--XyZ--\r\n", &parts),
                     APR_EINVAL);
    /* A bare CR inside the header block. */
    assert_int_equal(parse(p, "--XyZ\r\nContent-Disposition: form-data; "
                           "name=\"a\"\rX: y\r\n\r\nv\r\n--XyZ--\r\n", &parts),
                     APR_EINVAL);
    assert_null(parts);
}

static void test_multipart_lf_inside_content_is_data(void **state)
{
    apr_array_header_t *parts = NULL;

    assert_int_equal(parse(UNIT_POOL(state),
                           "--XyZ\r\nContent-Disposition: form-data; "
                           "name=\"a\"\r\n\r\nx\n--XyZ\ny\r\n--XyZ--", &parts),
                     APR_SUCCESS);
    assert_data(part_at(parts, 0), "x\n--XyZ\ny", 9);
}

static void test_multipart_quoted_params(void **state)
{
    apr_array_header_t *parts = NULL;
    const char *body =
        "--XyZ\r\n"
        "Content-Disposition: form-data ; filename=\"a;b=\\\"c\\\".txt\" ;"
        "name=\"semi;colon\"\r\n"
        "\r\n"
        "x\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"\"; filename=\"\"\r\n"
        "\r\n"
        "\r\n"
        "--XyZ--\r\n";

    assert_int_equal(parse(UNIT_POOL(state), body, &parts), APR_SUCCESS);
    assert_int_equal(parts->nelts, 2);
    assert_string_equal(part_at(parts, 0)->name, "semi;colon");
    assert_string_equal(part_at(parts, 0)->filename, "a;b=\"c\".txt");
    /* An empty filename is still a file (a form with no file chosen). */
    assert_string_equal(part_at(parts, 1)->name, "");
    assert_string_equal(part_at(parts, 1)->filename, "");
}

static void test_multipart_bad_part_headers_are_einval(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_array_header_t *parts = NULL;
    static const char *const heads[] = {
        "",                                             /* no headers */
        "Content-Type: text/plain\r\n",                 /* no disposition */
        "Content-Disposition: attachment; name=\"a\"\r\n",
        "Content-Disposition: form-data\r\n",           /* no name */
        "Content-Disposition: form-data; name=\"a\r\n", /* unterminated */
        "Content-Disposition: form-data; name\r\n",
        "Content-Disposition: form-data; name=\"a\"\r\nno colon\r\n",
        "Content-Disposition: form-data; name=\"a\"\r\n: empty name\r\n",
        "Content-Disposition: form-data; name=\"a\"\r\n"
        "Content-Disposition: form-data; name=\"b\"\r\n",
    };

    for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); ++i) {
        const char *body = apr_pstrcat(p, "--XyZ\r\n", heads[i],
                                       "\r\nv\r\n--XyZ--\r\n", NULL);

        assert_int_equal(parse(p, body, &parts), APR_EINVAL);
    }
    assert_null(parts);
}

static void test_multipart_nul_in_header_is_einval(void **state)
{
    apr_array_header_t *parts = NULL;
    static const char body[] =
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\0b\"\r\n\r\n"
        "v\r\n--XyZ--\r\n";

    assert_int_equal(ctx_multipart_parse(UNIT_POOL(state), body,
                                         sizeof(body) - 1, "XyZ", &limits,
                                         &parts), APR_EINVAL);
}

static void test_multipart_unknown_headers_ignored_values_trimmed(void **state)
{
    apr_array_header_t *parts = NULL;
    const char *body =
        "--XyZ\r\n"
        "X-Other: whatever\r\n"
        "Content-Type:   image/png  \r\n"
        "Content-Disposition:form-data;name=a;filename=p.png\r\n"
        "\r\n"
        "PNG\r\n"
        "--XyZ--";

    assert_int_equal(parse(UNIT_POOL(state), body, &parts), APR_SUCCESS);
    assert_string_equal(part_at(parts, 0)->content_type, "image/png");
    assert_string_equal(part_at(parts, 0)->name, "a");
    assert_string_equal(part_at(parts, 0)->filename, "p.png");
}

/* ---- limits -------------------------------------------------------------- */

static void test_multipart_more_parts_than_the_limit_is_enospc(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const ctx_multipart_limits_t three = { 3, 1024 };
    const char *part = "--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
                       "\r\nv\r\n";
    apr_array_header_t *parts = NULL;
    const char *body3 = apr_pstrcat(p, part, part, part, "--XyZ--", NULL);
    const char *body4 = apr_pstrcat(p, part, part, part, part, "--XyZ--",
                                    NULL);

    assert_int_equal(ctx_multipart_parse(p, body3, strlen(body3), "XyZ",
                                         &three, &parts), APR_SUCCESS);
    assert_int_equal(parts->nelts, 3);
    parts = NULL;
    assert_int_equal(ctx_multipart_parse(p, body4, strlen(body4), "XyZ",
                                         &three, &parts), APR_ENOSPC);
    assert_null(parts);
}

static void test_multipart_huge_header_block_is_enospc(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const char *disp = "Content-Disposition: form-data; name=a\r\n";
    /* The header block is the lines plus the empty line: with the limit at
     * its exact size it passes; one byte less and it is refused. */
    const char *filler = apr_psprintf(p, "X-Pad: %0500d\r\n", 0);
    const char *body = apr_pstrcat(p, "--XyZ\r\n", disp, filler, "\r\nv\r\n"
                                   "--XyZ--", NULL);
    apr_size_t block = strlen(disp) + strlen(filler) + 2;
    ctx_multipart_limits_t lim = { 10, block };
    apr_array_header_t *parts = NULL;

    assert_int_equal(ctx_multipart_parse(p, body, strlen(body), "XyZ", &lim,
                                         &parts), APR_SUCCESS);
    lim.max_header_bytes = block - 1;
    assert_int_equal(ctx_multipart_parse(p, body, strlen(body), "XyZ", &lim,
                                         &parts), APR_ENOSPC);
}

static void test_multipart_endless_header_is_enospc_not_einval(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    /* A header that never ends, longer than the limit: the limit is what
     * the client exceeded. */
    const char *body = apr_pstrcat(p, "--XyZ\r\nX: ",
                                   apr_psprintf(p, "%02000d", 0), NULL);
    apr_array_header_t *parts = NULL;

    assert_int_equal(parse(p, body, &parts), APR_ENOSPC);
}

static void test_multipart_null_arguments_are_einval(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_array_header_t *parts = NULL;

    assert_int_equal(ctx_multipart_parse(p, NULL, 3, "XyZ", &limits, &parts),
                     APR_EINVAL);
    assert_int_equal(ctx_multipart_parse(p, "--XyZ--", 7, NULL, &limits,
                                         &parts), APR_EINVAL);
    assert_int_equal(ctx_multipart_parse(p, "----", 4, "", &limits, &parts),
                     APR_EINVAL);
    assert_int_equal(ctx_multipart_parse(p, "--XyZ--", 7, "XyZ", NULL,
                                         &parts), APR_EINVAL);
    assert_int_equal(ctx_multipart_parse(p, "--XyZ--", 7, "XyZ", &limits,
                                         NULL), APR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_boundary_token_and_quoted),
        UNIT_TEST(test_boundary_quoted_pair_is_unescaped),
        UNIT_TEST(test_boundary_other_type_is_notfound),
        UNIT_TEST(test_boundary_missing_empty_long_or_unterminated_is_einval),
        UNIT_TEST(test_param_lookup_stops_at_malformed_list),
        UNIT_TEST(test_multipart_two_fields_and_a_file),
        UNIT_TEST(test_multipart_preamble_and_epilogue_are_ignored),
        UNIT_TEST(test_multipart_boundary_text_inside_data_is_data),
        UNIT_TEST(test_multipart_binary_data_keeps_every_byte),
        UNIT_TEST(test_multipart_missing_final_boundary_is_einval),
        UNIT_TEST(test_multipart_close_delimiter_alone_is_an_empty_form),
        UNIT_TEST(test_multipart_bare_lf_line_ends_are_einval),
        UNIT_TEST(test_multipart_lf_inside_content_is_data),
        UNIT_TEST(test_multipart_quoted_params),
        UNIT_TEST(test_multipart_bad_part_headers_are_einval),
        UNIT_TEST(test_multipart_nul_in_header_is_einval),
        UNIT_TEST(test_multipart_unknown_headers_ignored_values_trimmed),
        UNIT_TEST(test_multipart_more_parts_than_the_limit_is_enospc),
        UNIT_TEST(test_multipart_huge_header_block_is_enospc),
        UNIT_TEST(test_multipart_endless_header_is_enospc_not_einval),
        UNIT_TEST(test_multipart_null_arguments_are_einval),
    };

    return UNIT_RUN(tests);
}

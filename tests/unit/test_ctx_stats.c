/* Unit tests of ctx_stats: the server-wide counters behind ctx-status
 * (issue #16 item 4): sums over lanes (children), rows by app name with a
 * bound, and the JSON, Prometheus and HTML texts. The Prometheus text is
 * read back by a strict parser of the text exposition format written
 * here from the format's rules, not from the code under test. */
#include <ctype.h>
#include <stdlib.h>

#include "unit.h"

#include <jansson.h>

#include "ctx_stats.h"
#include "ctx_store_mem.h"

/* A block in `p`, 64-byte aligned as shared memory is. */
static ctx_stats_t *block(apr_pool_t *p, int lanes, int max_apps)
{
    apr_size_t size = ctx_stats_size(lanes, max_apps);
    char *mem = apr_palloc(p, size + 64);
    char *aligned = mem + (64 - ((apr_uintptr_t)mem % 64)) % 64;
    ctx_stats_t *st = ctx_stats_format(aligned, size, lanes, max_apps,
                                       1700000000);

    assert_non_null(st);
    return st;
}

static const ctx_stats_row_t *row_named(const apr_array_header_t *rows,
                                        const char *name)
{
    for (int i = 0; i < rows->nelts; ++i) {
        const ctx_stats_row_t *r = &APR_ARRAY_IDX(rows, i, ctx_stats_row_t);

        if (!strcmp(r->name, name)) {
            return r;
        }
    }
    return NULL;
}

/* ---- counting ------------------------------------------------------------ */

static void test_stats_sums_the_lanes_of_every_child(void **state)
{
    ctx_stats_t *st = block(UNIT_POOL(state), 4, 8);
    int app = ctx_stats_app(st, "shop");
    apr_uint64_t v[CTX_STAT_COUNT];

    /* Three "children" on three lanes. */
    for (int child = 0; child < 3; ++child) {
        apr_uint64_t *lane = ctx_stats_lane(st, ctx_stats_claim_lane(st));

        assert_non_null(lane);
        for (int n = 0; n <= child; ++n) {
            ctx_stats_add(lane, app, CTX_STAT_REQUESTS, 1);
        }
        ctx_stats_add(lane, app, CTX_STAT_SESSIONS_SAVED, 10);
    }
    ctx_stats_sum(st, app, v);
    assert_int_equal(v[CTX_STAT_REQUESTS], 1 + 2 + 3);
    assert_int_equal(v[CTX_STAT_SESSIONS_SAVED], 30);
    assert_int_equal(v[CTX_STAT_SESSIONS_NEW], 0);
}

static void test_stats_more_children_than_lanes_still_sum_exactly(void **state)
{
    ctx_stats_t *st = block(UNIT_POOL(state), 2, 1);
    int app = ctx_stats_app(st, "a");
    apr_uint64_t v[CTX_STAT_COUNT];

    for (int child = 0; child < 5; ++child) {
        ctx_stats_add(ctx_stats_lane(st, ctx_stats_claim_lane(st)), app,
                      CTX_STAT_TASKS_DONE, 3);
    }
    ctx_stats_sum(st, app, v);
    assert_int_equal(v[CTX_STAT_TASKS_DONE], 15);
}

#define THREADS 4
#define ADDS 200000

typedef struct {
    apr_uint64_t *lane;
    int app;
} adder_t;

static void *add_many(void *arg)
{
    adder_t *a = arg;

    for (int i = 0; i < ADDS; ++i) {
        ctx_stats_add(a->lane, a->app, CTX_STAT_REQUESTS, 1);
    }
    return NULL;
}

static void test_stats_threads_of_one_child_lose_no_add(void **state)
{
    ctx_stats_t *st = block(UNIT_POOL(state), 1, 1);
    adder_t a = { ctx_stats_lane(st, 0), ctx_stats_app(st, "a") };
    pthread_t t[THREADS];
    apr_uint64_t v[CTX_STAT_COUNT];

    for (int i = 0; i < THREADS; ++i) {
        assert_int_equal(pthread_create(&t[i], NULL, add_many, &a), 0);
    }
    for (int i = 0; i < THREADS; ++i) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
    }
    ctx_stats_sum(st, a.app, v);
    assert_int_equal(v[CTX_STAT_REQUESTS], (apr_uint64_t)THREADS * ADDS);
}

static void test_stats_app_keeps_its_row_by_name(void **state)
{
    ctx_stats_t *st = block(UNIT_POOL(state), 2, 4);
    int a = ctx_stats_app(st, "alpha");
    int b = ctx_stats_app(st, "beta");

    assert_int_not_equal(a, b);
    ctx_stats_add(ctx_stats_lane(st, 0), b, CTX_STAT_REQUESTS, 7);
    /* A restart registers the apps again, in another order. */
    assert_int_equal(ctx_stats_app(st, "beta"), b);
    assert_int_equal(ctx_stats_app(st, "alpha"), a);
    {
        apr_array_header_t *rows = ctx_stats_snapshot(st, UNIT_POOL(state));

        assert_int_equal(rows->nelts, 2);
        assert_int_equal(row_named(rows, "beta")->v[CTX_STAT_REQUESTS], 7);
        assert_int_equal(row_named(rows, "alpha")->v[CTX_STAT_REQUESTS], 0);
    }
}

static void test_stats_apps_past_the_bound_count_as_other(void **state)
{
    ctx_stats_t *st = block(UNIT_POOL(state), 1, 2);
    apr_uint64_t *lane = ctx_stats_lane(st, 0);
    apr_array_header_t *rows;
    int a = ctx_stats_app(st, "a"), b = ctx_stats_app(st, "b");
    int c = ctx_stats_app(st, "c"), d = ctx_stats_app(st, "d");

    assert_int_equal(c, d);
    assert_int_not_equal(c, a);
    assert_int_not_equal(c, b);
    /* Nothing counted for the overflow yet: not shown. */
    rows = ctx_stats_snapshot(st, UNIT_POOL(state));
    assert_int_equal(rows->nelts, 2);
    assert_null(row_named(rows, CTX_STATS_OTHER_NAME));
    ctx_stats_add(lane, c, CTX_STAT_REQUESTS, 1);
    ctx_stats_add(lane, d, CTX_STAT_REQUESTS, 1);
    rows = ctx_stats_snapshot(st, UNIT_POOL(state));
    assert_int_equal(rows->nelts, 3);
    assert_int_equal(row_named(rows, CTX_STATS_OTHER_NAME)
                         ->v[CTX_STAT_REQUESTS], 2);
}

static void test_stats_find_never_registers_and_sum_all_adds_every_row(
    void **state)
{
    ctx_stats_t *st = block(UNIT_POOL(state), 2, 1);
    int a = ctx_stats_app(st, "a");
    int other = ctx_stats_app(st, "b");         /* past the bound */
    apr_uint64_t v[CTX_STAT_COUNT];

    assert_int_equal(ctx_stats_find(st, "a"), a);
    assert_int_equal(ctx_stats_find(st, "b"), -1);
    assert_int_equal(ctx_stats_find(st, "c"), -1);
    assert_int_equal(ctx_stats_find(st, NULL), -1);
    assert_null(row_named(ctx_stats_snapshot(st, UNIT_POOL(state)), "c"));
    ctx_stats_add(ctx_stats_lane(st, 0), a, CTX_STAT_TASKS_DONE, 2);
    ctx_stats_add(ctx_stats_lane(st, 1), other, CTX_STAT_TASKS_DONE, 5);
    ctx_stats_sum_all(st, v);
    assert_int_equal(v[CTX_STAT_TASKS_DONE], 7);
}

static void test_stats_gauge_caught_below_zero_reads_zero(void **state)
{
    ctx_stats_t *st = block(UNIT_POOL(state), 2, 1);
    int app = ctx_stats_app(st, "a");
    apr_uint64_t v[CTX_STAT_COUNT];

    /* A task started on lane 1 before lane 0's queued+1 was read. */
    ctx_stats_add(ctx_stats_lane(st, 1), app, CTX_STAT_TASKS_QUEUED, -1);
    ctx_stats_sum(st, app, v);
    assert_int_equal(v[CTX_STAT_TASKS_QUEUED], 0);
    ctx_stats_add(ctx_stats_lane(st, 0), app, CTX_STAT_TASKS_QUEUED, 2);
    ctx_stats_sum(st, app, v);
    assert_int_equal(v[CTX_STAT_TASKS_QUEUED], 1);
}

static void test_stats_refused_counter_per_reason(void **state)
{
    (void)state;
    assert_int_equal(ctx_stats_refused(CTX_REASON_OK), CTX_STAT_COUNT);
    assert_int_equal(ctx_stats_refused(CTX_REASON_COUNT), CTX_STAT_COUNT);
    for (int r = 1; r < CTX_REASON_COUNT; ++r) {
        ctx_stat_t c = ctx_stats_refused((ctx_reason_t)r);
        const char *name = ctx_stats_name(c);

        assert_true(c >= CTX_STAT_REFUSED_FIRST && c < CTX_STAT_COUNT);
        assert_string_equal(name + strlen("cookies_refused."),
                            ctx_reason_name((ctx_reason_t)r));
    }
}

static void test_stats_format_refuses_bad_arguments(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    char *mem = apr_palloc(p, ctx_stats_size(1, 1) + 128);
    char *aligned = mem + (64 - ((apr_uintptr_t)mem % 64)) % 64;

    assert_int_equal(ctx_stats_size(0, 1), 0);
    assert_null(ctx_stats_format(NULL, 4096, 1, 1, 0));
    assert_null(ctx_stats_format(aligned, ctx_stats_size(1, 1) - 1, 1, 1, 0));
    assert_null(ctx_stats_format(aligned + 8, ctx_stats_size(1, 1), 1, 1, 0));
    assert_null(ctx_stats_format(aligned, ctx_stats_size(1, 1), 0, 1, 0));
    assert_null(ctx_stats_lane(ctx_stats_format(aligned, ctx_stats_size(1, 1),
                                                1, 1, 0), 1));
}

static void test_stats_store_counts_reads_writes_and_errors(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_stats_t *st = block(p, 1, 2);
    apr_uint64_t *lane = NULL;
    ctx_store_mem_t *mem = ctx_store_mem_create(p);
    int app = ctx_stats_app(st, "a");
    const ctx_store_t *cs = ctx_stats_store_wrap(p, ctx_store_mem_store(mem),
                                                 &lane, app);
    const unsigned char *val;
    apr_size_t len;
    apr_uint64_t v[CTX_STAT_COUNT];

    /* Before the process has its lane (the parent): calls go through,
     * nothing is counted. */
    assert_int_equal(ctx_store_set(cs, p, "k", "v", 1, apr_time_now()
                                   + apr_time_from_sec(60)), APR_SUCCESS);
    lane = ctx_stats_lane(st, 0);
    assert_int_equal(ctx_store_get(cs, p, "k", 16, &val, &len), APR_SUCCESS);
    assert_int_equal(ctx_store_get(cs, p, "nope", 16, &val, &len),
                     APR_NOTFOUND);
    assert_int_equal(ctx_store_set(cs, p, "k", "w", 1, apr_time_now()
                                   + apr_time_from_sec(60)), APR_SUCCESS);
    assert_int_equal(ctx_store_remove(cs, p, "gone"), APR_SUCCESS);
    ctx_store_mem_fail(mem, CTX_STORE_MEM_GET | CTX_STORE_MEM_SET,
                       APR_TIMEUP);
    assert_int_equal(ctx_store_get(cs, p, "k", 16, &val, &len), CTX_ESTORE);
    assert_int_equal(ctx_store_set(cs, p, "k", "x", 1, apr_time_now()),
                     CTX_ESTORE);
    ctx_stats_sum(st, app, v);
    assert_int_equal(v[CTX_STAT_STORE_READS], 3);
    assert_int_equal(v[CTX_STAT_STORE_WRITES], 3);
    assert_int_equal(v[CTX_STAT_STORE_ERRORS], 2);
}

/* ---- a strict reader of the Prometheus text format ----------------------- */

typedef struct {
    char family[128];
    char app[256];              /* the app label, unescaped */
    char reason[64];
    char key[128];
    double value;
} sample_t;

#define MAX_SAMPLES 2048

typedef struct {
    sample_t s[MAX_SAMPLES];
    int n;
    char families[64][128];     /* in order of their TYPE lines */
    char types[64][16];
    int nfam;
} prom_t;

static int metric_name_ok(const char *s, apr_size_t len)
{
    if (!len || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':')) {
        return 0;
    }
    for (apr_size_t i = 1; i < len; ++i) {
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':')) {
            return 0;
        }
    }
    return 1;
}

static int label_name_ok(const char *s, apr_size_t len)
{
    if (!len || !(isalpha((unsigned char)s[0]) || s[0] == '_')
        || (len >= 2 && s[0] == '_' && s[1] == '_')) {
        return 0;
    }
    for (apr_size_t i = 1; i < len; ++i) {
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_')) {
            return 0;
        }
    }
    return 1;
}

/* The family of a sample name: a counter's samples end in _total in this
 * exporter, the family is the name itself (text format 0.0.4). */
static int family_index(prom_t *pr, const char *name)
{
    for (int i = 0; i < pr->nfam; ++i) {
        if (!strcmp(pr->families[i], name)) {
            return i;
        }
    }
    return -1;
}

/* Parses the whole text; returns NULL or the first error. */
static const char *prom_parse(const char *text, prom_t *pr)
{
    const char *line = text;
    int current = -1;           /* the family whose samples may follow */
    char help_for[128] = "";

    memset(pr, 0, sizeof(*pr));
    if (!*text || text[strlen(text) - 1] != '\n') {
        return "the text must end with a newline";
    }
    while (*line) {
        const char *end = strchr(line, '\n');
        apr_size_t len = (apr_size_t)(end - line);
        char buf[2048];

        if (len >= sizeof(buf)) {
            return "line too long";
        }
        memcpy(buf, line, len);
        buf[len] = '\0';
        line = end + 1;
        if (!len) {
            return "empty line";
        }
        if (buf[0] == '#') {
            char kw[8], name[256], rest[1024];

            if (sscanf(buf, "# %7s %255s %1023[^\n]", kw, name, rest) != 3) {
                return "comment line is neither HELP nor TYPE with text";
            }
            if (!metric_name_ok(name, strlen(name))) {
                return "bad metric name in a comment";
            }
            if (!strcmp(kw, "HELP")) {
                for (const char *c = rest; *c; ++c) {
                    if (*c == '\\' && c[1] != '\\' && c[1] != 'n') {
                        return "bad escape in HELP";
                    }
                    if (*c == '\\') {
                        ++c;
                    }
                }
                if (family_index(pr, name) >= 0) {
                    return "HELP after the family's samples";
                }
                apr_cpystrn(help_for, name, sizeof(help_for));
            }
            else if (!strcmp(kw, "TYPE")) {
                if (strcmp(rest, "counter") && strcmp(rest, "gauge")
                    && strcmp(rest, "histogram") && strcmp(rest, "summary")
                    && strcmp(rest, "untyped")) {
                    return "unknown TYPE";
                }
                if (family_index(pr, name) >= 0) {
                    return "second TYPE line for a family";
                }
                if (strcmp(help_for, name)) {
                    return "TYPE without its HELP right before";
                }
                if (pr->nfam >= 64) {
                    return "too many families";
                }
                apr_cpystrn(pr->families[pr->nfam], name, 128);
                apr_cpystrn(pr->types[pr->nfam], rest, 16);
                current = pr->nfam++;
            }
            else {
                return "unknown comment keyword";
            }
            continue;
        }
        {
            sample_t *s;
            const char *c = buf, *name_end;
            char *vend;

            if (pr->n >= MAX_SAMPLES) {
                return "too many samples";
            }
            s = &pr->s[pr->n++];
            while (*c && *c != '{' && *c != ' ') {
                ++c;
            }
            name_end = c;
            if (!metric_name_ok(buf, (apr_size_t)(name_end - buf))) {
                return "bad metric name";
            }
            apr_cpystrn(s->family, buf,
                        (apr_size_t)(name_end - buf) + 1 < sizeof(s->family)
                            ? (apr_size_t)(name_end - buf) + 1
                            : sizeof(s->family));
            if (current < 0 || strcmp(pr->families[current], s->family)) {
                return "sample outside its family's block (or no TYPE)";
            }
            if (!strcmp(pr->types[current], "counter")
                && strlen(s->family) > 6
                && strcmp(s->family + strlen(s->family) - 6, "_total")) {
                return "counter without _total";
            }
            if (*c == '{') {
                ++c;
                while (*c != '}') {
                    const char *ln = c;
                    char val[512];
                    apr_size_t vl = 0;

                    while (*c && *c != '=') {
                        ++c;
                    }
                    if (*c != '=' || !label_name_ok(ln, (apr_size_t)(c - ln))) {
                        return "bad label name";
                    }
                    if (*++c != '"') {
                        return "label value not quoted";
                    }
                    for (++c; *c != '"'; ++c) {
                        if (!*c || vl + 1 >= sizeof(val)) {
                            return "unterminated label value";
                        }
                        if (*c == '\\') {
                            ++c;
                            if (*c == 'n') {
                                val[vl++] = '\n';
                            }
                            else if (*c == '\\' || *c == '"') {
                                val[vl++] = *c;
                            }
                            else {
                                return "bad escape in a label value";
                            }
                        }
                        else {
                            val[vl++] = *c;
                        }
                    }
                    val[vl] = '\0';
                    ++c;
                    if (!strncmp(ln, "app=", 4)) {
                        apr_cpystrn(s->app, val, sizeof(s->app));
                    }
                    else if (!strncmp(ln, "reason=", 7)) {
                        apr_cpystrn(s->reason, val, sizeof(s->reason));
                    }
                    else if (!strncmp(ln, "key=", 4)) {
                        apr_cpystrn(s->key, val, sizeof(s->key));
                    }
                    else {
                        return "unexpected label";
                    }
                    if (*c == ',') {
                        ++c;
                    }
                    else if (*c != '}') {
                        return "labels not separated by a comma";
                    }
                }
                ++c;
            }
            if (*c != ' ') {
                return "no space before the value";
            }
            ++c;
            s->value = strtod(c, &vend);
            if (vend == c || *vend) {
                return "value is not a number (or a timestamp follows)";
            }
        }
    }
    return NULL;
}

static const sample_t *find_sample(const prom_t *pr, const char *family,
                                   const char *app, const char *reason)
{
    for (int i = 0; i < pr->n; ++i) {
        const sample_t *s = &pr->s[i];

        if (!strcmp(s->family, family) && !strcmp(s->app, app)
            && (!reason || !strcmp(s->reason, reason))) {
            return s;
        }
    }
    return NULL;
}

/* Two apps with names that need escaping, counters set, keys listed. */
#define NASTY "we\"ird\\app\nname"

static apr_array_header_t *sample_rows(apr_pool_t *p)
{
    ctx_stats_t *st = block(p, 2, 4);
    int a = ctx_stats_app(st, "shop.example");
    int b = ctx_stats_app(st, NASTY);
    apr_array_header_t *rows;

    ctx_stats_add(ctx_stats_lane(st, 0), a, CTX_STAT_REQUESTS, 5);
    ctx_stats_add(ctx_stats_lane(st, 1), a, CTX_STAT_REQUESTS, 6);
    ctx_stats_add(ctx_stats_lane(st, 1), b, CTX_STAT_SESSIONS_NEW, 2);
    ctx_stats_add(ctx_stats_lane(st, 0), b,
                  ctx_stats_refused(CTX_REASON_BAD_SIGNATURE), 3);
    ctx_stats_add(ctx_stats_lane(st, 0), a, CTX_STAT_REFUSED_CONFLICT, 1);
    ctx_stats_add(ctx_stats_lane(st, 0), b, CTX_STAT_TASKS_RUNNING, 1);
    rows = ctx_stats_snapshot(st, p);
    for (int i = 0; i < rows->nelts; ++i) {
        ctx_stats_row_t *r = &APR_ARRAY_IDX(rows, i, ctx_stats_row_t);

        r->keys = apr_array_make(p, 2, sizeof(const char *));
        APR_ARRAY_PUSH(r->keys, const char *) = "MAIL_FROM";
        APR_ARRAY_PUSH(r->keys, const char *) = "odd\"key";
    }
    return rows;
}

static void test_stats_prometheus_text_passes_a_strict_parser(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const char *text = ctx_stats_prometheus(p, sample_rows(p), 1700000000);
    prom_t *pr = malloc(sizeof(*pr));
    const char *err;
    const sample_t *s;

    assert_non_null(pr);
    err = prom_parse(text, pr);
    if (err) {
        fail_msg("%s in:\n%s", err, text);
    }
    s = find_sample(pr, "ctx_requests_total", "shop.example", NULL);
    assert_non_null(s);
    assert_true(s->value == 11.0);
    /* The escaped name reads back as the app's own name. */
    s = find_sample(pr, "ctx_sessions_new_total", NASTY, NULL);
    assert_non_null(s);
    assert_true(s->value == 2.0);
    s = find_sample(pr, "ctx_cookies_refused_total", NASTY, "bad_signature");
    assert_non_null(s);
    assert_true(s->value == 3.0);
    s = find_sample(pr, "ctx_cookies_refused_total", "shop.example",
                    "conflict");
    assert_non_null(s);
    assert_true(s->value == 1.0);
    s = find_sample(pr, "ctx_tasks_running", NASTY, NULL);
    assert_non_null(s);
    assert_true(s->value == 1.0);
    s = find_sample(pr, "ctx_app_config_key", NASTY, NULL);
    assert_non_null(s);
    free(pr);
}

static void test_stats_prometheus_checker_catches_broken_text(void **state)
{
    prom_t *pr = malloc(sizeof(*pr));
    static const char *const bad[] = {
        "# HELP a x\n# TYPE a gauge\na{app=\"x\"y\"} 1\n",
        "# HELP a x\n# TYPE a gauge\na{app=\"x\\q\"} 1\n",
        "# HELP a x\n# TYPE a gauge\na{app=\"x\n\"} 1\n",
        "# HELP a x\n# TYPE a gauge\nb 1\n",
        "# HELP a-b x\n# TYPE a-b gauge\na-b 1\n",
        "# HELP a_total x\n# TYPE a_total counter\na_total{1x=\"a\"} 1\n",
        "# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na 2\n",
        "# HELP a x\n# TYPE a gauge\na one\n",
    };

    (void)state;
    assert_non_null(pr);
    assert_null(prom_parse("# HELP a x\n# TYPE a gauge\na{app=\"q\\\"\"} 1\n",
                           pr));
    for (apr_size_t i = 0; i < sizeof(bad) / sizeof(*bad); ++i) {
        if (!prom_parse(bad[i], pr)) {
            fail_msg("accepted: %s", bad[i]);
        }
    }
    free(pr);
}

static void test_stats_prom_escape_escapes_quote_backslash_newline(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    /* Written from the format's rules: \ -> \\, " -> \", LF -> \n. */
    assert_string_equal(ctx_stats_prom_escape(p, "a\"b"), "a\\\"b");
    assert_string_equal(ctx_stats_prom_escape(p, "a\\b"), "a\\\\b");
    assert_string_equal(ctx_stats_prom_escape(p, "a\nb"), "a\\nb");
    assert_string_equal(ctx_stats_prom_escape(p, "plain.name-1"),
                        "plain.name-1");
    assert_string_equal(ctx_stats_prom_escape(p, ""), "");
}

/* ---- JSON and HTML -------------------------------------------------------- */

static void test_stats_json_parses_with_sums_and_keys(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const char *text = ctx_stats_json(p, sample_rows(p), 1700000000);
    json_error_t err;
    json_t *root = json_loads(text, 0, &err), *apps, *app, *total;
    int found = 0;

    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(root, "since")),
                     1700000000);
    apps = json_object_get(root, "apps");
    assert_int_equal(json_array_size(apps), 2);
    for (size_t i = 0; i < json_array_size(apps); ++i) {
        app = json_array_get(apps, i);
        if (!strcmp(json_string_value(json_object_get(app, "name")), NASTY)) {
            found = 1;
            assert_int_equal(json_integer_value(json_object_get(
                json_object_get(app, "sessions"), "new")), 2);
            assert_int_equal(json_integer_value(json_object_get(
                json_object_get(app, "cookies_refused"), "bad_signature")),
                3);
            assert_string_equal(json_string_value(json_array_get(
                json_object_get(app, "config_keys"), 1)), "odd\"key");
        }
    }
    assert_true(found);
    total = json_object_get(root, "total");
    assert_int_equal(json_integer_value(json_object_get(total, "requests")),
                     11);
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(total, "tasks"), "running")), 1);
    json_decref(root);
}

static void test_stats_json_survives_a_name_that_is_not_utf8(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_stats_t *st = block(p, 1, 2);
    json_error_t err;
    json_t *root;

    ctx_stats_app(st, "caf\xe9");
    root = json_loads(ctx_stats_json(p, ctx_stats_snapshot(st, p), 0), 0,
                      &err);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(json_array_get(
        json_object_get(root, "apps"), 0), "name")), "caf?");
    json_decref(root);
}

static void test_stats_html_escapes_app_names_and_keys(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_stats_t *st = block(p, 1, 2);
    apr_array_header_t *rows;
    const char *html;

    ctx_stats_app(st, "<script>x&y</script>");
    rows = ctx_stats_snapshot(st, p);
    APR_ARRAY_IDX(rows, 0, ctx_stats_row_t).keys =
        apr_array_make(p, 1, sizeof(const char *));
    APR_ARRAY_PUSH(APR_ARRAY_IDX(rows, 0, ctx_stats_row_t).keys,
                   const char *) = "K<'\">";
    html = ctx_stats_html(p, rows);
    assert_null(strstr(html, "<script>"));
    assert_null(strstr(html, "K<"));
    assert_non_null(strstr(html, "&lt;script&gt;x&amp;y&lt;/script&gt;"));
    assert_non_null(strstr(html, "K&lt;&#39;&quot;&gt;"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_stats_sums_the_lanes_of_every_child),
        UNIT_TEST(test_stats_more_children_than_lanes_still_sum_exactly),
        UNIT_TEST(test_stats_threads_of_one_child_lose_no_add),
        UNIT_TEST(test_stats_app_keeps_its_row_by_name),
        UNIT_TEST(test_stats_apps_past_the_bound_count_as_other),
        UNIT_TEST(test_stats_find_never_registers_and_sum_all_adds_every_row),
        UNIT_TEST(test_stats_gauge_caught_below_zero_reads_zero),
        UNIT_TEST(test_stats_refused_counter_per_reason),
        UNIT_TEST(test_stats_format_refuses_bad_arguments),
        UNIT_TEST(test_stats_store_counts_reads_writes_and_errors),
        UNIT_TEST(test_stats_prometheus_text_passes_a_strict_parser),
        UNIT_TEST(test_stats_prometheus_checker_catches_broken_text),
        UNIT_TEST(test_stats_prom_escape_escapes_quote_backslash_newline),
        UNIT_TEST(test_stats_json_parses_with_sums_and_keys),
        UNIT_TEST(test_stats_json_survives_a_name_that_is_not_utf8),
        UNIT_TEST(test_stats_html_escapes_app_names_and_keys),
    };

    return UNIT_RUN(tests);
}

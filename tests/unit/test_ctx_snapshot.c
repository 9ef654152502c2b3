/* What a background task keeps of its request: ctx_snapshot_copy() and
 * ctx_gtable_copy_into(). The source lives in a pool that is destroyed
 * before anything of the copy is read: under ASan a copy that still pointed
 * into it would be a use-after-free. */
#include "unit.h"

#include <apr_allocator.h>
#include <apr_hash.h>
#include <apr_tables.h>
#include <jansson.h>

#include "ctx_app.h"
#include "ctx_g.h"
#include "ctx_snapshot.h"

/* The session travels as its text ("alice" starts at offset 9). */
#define SESSION_TEXT "{\"user\":\"alice\",\"count\":7,\"nested\":{\"list\":[1,2]}}"

/* A pool whose memory goes back to malloc when it is destroyed (its own
 * allocator, owned by it), so ASan sees any read after the destruction;
 * APR's default allocator would keep the blocks and hide it. */
static apr_pool_t *request_pool(void)
{
    apr_allocator_t *a;
    apr_pool_t *p;

    assert_int_equal(apr_allocator_create(&a), APR_SUCCESS);
    assert_int_equal(apr_pool_create_ex(&p, NULL, NULL, a), APR_SUCCESS);
    apr_allocator_owner_set(a, p);
    return p;
}

/* A request-like source in its own pool, with strings built at run time (so
 * nothing points at string literals that outlive the pool). */
static ctx_snapshot_t *make_source(apr_pool_t *p, ctx_app_t *app)
{
    ctx_snapshot_t *s = apr_pcalloc(p, sizeof(*s));

    s->method = apr_pstrdup(p, "POST");
    s->uri = apr_pstrdup(p, "/background");
    s->unparsed_uri = apr_pstrdup(p, "/background?email=a%40b.test&x=1");
    s->query = apr_pstrdup(p, "email=a%40b.test&x=1");
    s->remote_addr = apr_pstrdup(p, "127.0.0.1");
    s->user = apr_pstrdup(p, "alice");
    s->headers = apr_table_make(p, 10);
    for (int i = 0; i < 10; ++i) {
        apr_table_add(s->headers, apr_psprintf(p, "X-H%d", i),
                      apr_psprintf(p, "value-%d", i));
    }
    apr_table_add(s->headers, "Accept", "text/plain");
    apr_table_add(s->headers, "Accept", "text/html");
    s->config = apr_hash_make(p);
    apr_hash_set(s->config, apr_pstrdup(p, "DATABASE_URL"), APR_HASH_KEY_STRING,
                 apr_pstrdup(p, "postgresql://127.0.0.1/db"));
    s->app = app;
    s->session = apr_pstrdup(p, SESSION_TEXT);
    s->session_len = strlen(SESSION_TEXT);
    return s;
}

/* The copy merges the location's CtxConfig over the server's: an inner
 * key wins, outer-only keys come along, and neither source is changed. */
static void test_snapshot_copy_merges_config_over_config_base(void **state)
{
    apr_pool_t *p = *state, *req_pool;
    ctx_snapshot_t src, *copy;

    assert_int_equal(apr_pool_create(&req_pool, NULL), APR_SUCCESS);
    memset(&src, 0, sizeof(src));
    src.config = apr_hash_make(req_pool);
    src.config_base = apr_hash_make(req_pool);
    apr_hash_set(src.config, apr_pstrdup(req_pool, "LOG"), APR_HASH_KEY_STRING,
                 apr_pstrdup(req_pool, "/dir/log"));
    apr_hash_set(src.config, apr_pstrdup(req_pool, "ONLY_DIR"),
                 APR_HASH_KEY_STRING, apr_pstrdup(req_pool, "d"));
    apr_hash_set(src.config_base, apr_pstrdup(req_pool, "LOG"),
                 APR_HASH_KEY_STRING, apr_pstrdup(req_pool, "/server/log"));
    apr_hash_set(src.config_base, apr_pstrdup(req_pool, "DATABASE_URL"),
                 APR_HASH_KEY_STRING, apr_pstrdup(req_pool, "pg://db"));
    copy = ctx_snapshot_copy(p, &src);
    assert_int_equal(apr_hash_count(src.config), 2);
    assert_int_equal(apr_hash_count(src.config_base), 2);
    apr_pool_destroy(req_pool);         /* the copy must not need it */
    assert_non_null(copy);
    assert_int_equal(apr_hash_count(copy->config), 3);
    assert_string_equal(apr_hash_get(copy->config, "LOG", APR_HASH_KEY_STRING),
                        "/dir/log");
    assert_string_equal(apr_hash_get(copy->config, "ONLY_DIR",
                                     APR_HASH_KEY_STRING), "d");
    assert_string_equal(apr_hash_get(copy->config, "DATABASE_URL",
                                     APR_HASH_KEY_STRING), "pg://db");
    assert_null(copy->config_base);
}

static void test_snapshot_copy_survives_destruction_of_the_source_pool(void **state)
{
    apr_pool_t *task_pool = *state, *req_pool;
    ctx_app_t *app = ctx_app_create(task_pool, "demo", NULL);
    ctx_snapshot_t *src, *copy;

    req_pool = request_pool();
    src = make_source(req_pool, app);
    copy = ctx_snapshot_copy(task_pool, src);
    apr_pool_destroy(req_pool);         /* the request is gone */

    assert_non_null(copy);
    assert_string_equal(copy->method, "POST");
    assert_string_equal(copy->uri, "/background");
    assert_string_equal(copy->unparsed_uri, "/background?email=a%40b.test&x=1");
    assert_string_equal(copy->query, "email=a%40b.test&x=1");
    assert_string_equal(copy->remote_addr, "127.0.0.1");
    assert_string_equal(copy->user, "alice");
    assert_int_equal(apr_table_elts(copy->headers)->nelts, 12);
    assert_string_equal(apr_table_get(copy->headers, "x-h9"), "value-9");
    assert_string_equal(apr_table_get(copy->headers, "Accept"), "text/plain");
    assert_string_equal(apr_hash_get(copy->config, "DATABASE_URL",
                                     APR_HASH_KEY_STRING),
                        "postgresql://127.0.0.1/db");
    assert_ptr_equal(copy->app, app);
    assert_non_null(copy->session);
    assert_int_equal(copy->session_len, strlen(SESSION_TEXT));
    assert_string_equal(copy->session, SESSION_TEXT);
}

static void test_snapshot_copy_is_independent_of_later_changes_to_the_source(void **state)
{
    apr_pool_t *p = *state;
    ctx_snapshot_t *src = make_source(p, NULL);
    ctx_snapshot_t *copy = ctx_snapshot_copy(p, src);

    ((char *)src->session)[9] = 'M';   /* "alice" -> "aMice" */
    apr_table_set(src->headers, "X-H0", "changed");
    apr_hash_set(src->config, "DATABASE_URL", APR_HASH_KEY_STRING, "changed");

    assert_string_equal(copy->session, SESSION_TEXT);
    assert_string_equal(apr_table_get(copy->headers, "X-H0"), "value-0");
    assert_string_equal(apr_hash_get(copy->config, "DATABASE_URL",
                                     APR_HASH_KEY_STRING),
                        "postgresql://127.0.0.1/db");
}

static void test_snapshot_copy_keeps_missing_fields_missing(void **state)
{
    apr_pool_t *p = *state;
    ctx_snapshot_t src, *copy;

    memset(&src, 0, sizeof(src));
    src.method = "GET";
    copy = ctx_snapshot_copy(p, &src);
    assert_string_equal(copy->method, "GET");
    assert_null(copy->uri);
    assert_null(copy->query);
    assert_null(copy->user);
    assert_null(copy->session);
    assert_null(copy->app);
    /* Tables are there (empty), so readers need no NULL checks. */
    assert_non_null(copy->headers);
    assert_int_equal(apr_table_elts(copy->headers)->nelts, 0);
    assert_non_null(copy->config);
    assert_int_equal(apr_hash_count(copy->config), 0);
}

static void test_snapshot_copy_null_arguments(void **state)
{
    ctx_snapshot_t src;

    memset(&src, 0, sizeof(src));
    assert_null(ctx_snapshot_copy(NULL, &src));
    assert_null(ctx_snapshot_copy(*state, NULL));
}

/* ---- g: what a task's table gets ---------------------------------------- */

typedef struct {
    char text[32];
} object_t;

static int objects_freed;

static void object_free(void *ptr)
{
    ++objects_freed;
    free(ptr);
}

static void *object_copy(const void *ptr, apr_pool_t *p)
{
    object_t *o = malloc(sizeof(*o));

    (void)p;
    if (o) {
        memcpy(o, ptr, sizeof(*o));
    }
    return o;
}

static void *failing_copy(const void *ptr, apr_pool_t *p)
{
    (void)ptr;
    (void)p;
    return NULL;
}

static void test_g_copy_takes_strings_and_copyable_pointers_only(void **state)
{
    apr_pool_t *task_pool = *state, *req_pool;
    ctx_gtable_t *req_g, *task_g;
    object_t *shared = malloc(sizeof(*shared)), *mine = malloc(sizeof(*mine));
    object_t *copied;

    objects_freed = 0;
    strcpy(shared->text, "not copyable");
    strcpy(mine->text, "copyable");
    req_pool = request_pool();
    req_g = ctx_gtable_create(req_pool);
    task_g = ctx_gtable_create(task_pool);
    for (int i = 0; i < 5; ++i) {
        ctx_gtable_set(req_g, apr_psprintf(req_pool, "s%d", i),
                       apr_psprintf(req_pool, "v%d", i));
    }
    ctx_gtable_set_ptr(req_g, "shared", shared, object_free);
    ctx_gtable_set_ptr_copyable(req_g, "mine", mine, object_free, object_copy);

    assert_int_equal(ctx_gtable_copy_into(task_g, req_g), APR_SUCCESS);
    apr_pool_destroy(req_pool);         /* frees `shared` and `mine` */
    assert_int_equal(objects_freed, 2);

    assert_int_equal(ctx_gtable_count(task_g), 6);
    assert_string_equal(ctx_gtable_get(task_g, "s0"), "v0");
    assert_string_equal(ctx_gtable_get(task_g, "s4"), "v4");
    assert_false(ctx_gtable_has(task_g, "shared"));
    copied = ctx_gtable_get_ptr(task_g, "mine");
    assert_non_null(copied);
    assert_string_equal(copied->text, "copyable");
    /* The task's copy has the same destructor. */
    ctx_gtable_clear(task_g);
    assert_int_equal(objects_freed, 3);
}

static void test_g_copy_reports_a_failing_copy_callback(void **state)
{
    apr_pool_t *p = *state;
    ctx_gtable_t *src = ctx_gtable_create(p), *dst = ctx_gtable_create(p);
    static object_t obj;

    ctx_gtable_set(src, "before", "1");
    ctx_gtable_set_ptr_copyable(src, "obj", &obj, NULL, failing_copy);
    ctx_gtable_set(src, "after", "2");
    assert_int_equal(ctx_gtable_copy_into(dst, src), APR_ENOMEM);
    assert_string_equal(ctx_gtable_get(dst, "before"), "1");
    assert_false(ctx_gtable_has(dst, "obj"));
    assert_int_equal(ctx_gtable_copy_into(NULL, src), APR_EINVAL);
    assert_int_equal(ctx_gtable_copy_into(dst, NULL), APR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_snapshot_copy_survives_destruction_of_the_source_pool),
        UNIT_TEST(test_snapshot_copy_merges_config_over_config_base),
        UNIT_TEST(test_snapshot_copy_is_independent_of_later_changes_to_the_source),
        UNIT_TEST(test_snapshot_copy_keeps_missing_fields_missing),
        UNIT_TEST(test_snapshot_copy_null_arguments),
        UNIT_TEST(test_g_copy_takes_strings_and_copyable_pointers_only),
        UNIT_TEST(test_g_copy_reports_a_failing_copy_callback),
    };

    return UNIT_RUN(tests);
}

"""The example module served by a real httpd: arguments, g, the app and its
configuration, per-process resources, and what happens without mod_ctx."""
import re
import time

from conftest import LIBS

# The example dispatches on the whole path, so mount it at / for its URLs.
EXAMPLE_ROOT = """
<LocationMatch "^/(home|g|config|counter|session|greet)">
    SetHandler ctx-example
</LocationMatch>
"""


def test_home_reads_page_argument_through_helper_without_request_rec(make_server):
    srv = make_server(EXAMPLE_ROOT)
    assert srv.get("/home?page=2").text == "home page=2\n"
    assert srv.get("/home").text == "home page=1\n"
    # Decoded, and the first of repeated keys.
    assert srv.get("/home?page=%33%34&page=9").text == "home page=34\n"
    assert srv.get("/home?x=1&page=a+b").text == "home page=a b\n"


def test_greet_reads_a_form_field_from_the_body(make_server):
    srv = make_server(EXAMPLE_ROOT + "<Location /greet>\n    CtxMaxBodySize 512\n</Location>\n")
    res = srv.curl("-d", "name=J%C3%B6rg+M", srv.url("/greet"))
    assert res.stdout == "hello J\u00f6rg M\n", res.stderr
    res = srv.curl("-F", "name=ann", srv.url("/greet"))
    assert res.stdout == "hello ann\n", res.stderr
    res = srv.curl("-o", "/dev/null", "-w", "%{http_code}", "-d", "other=1", srv.url("/greet"))
    assert res.stdout == "400"
    res = srv.curl("-o", "/dev/null", "-w", "%{http_code}", "-d", "name=" + "x" * 508,
                   srv.url("/greet"))
    assert res.stdout == "413"
    assert srv.get("/greet").status == 405


def test_g_shows_values_set_by_fixups_hook_earlier_in_the_request(make_server):
    srv = make_server(EXAMPLE_ROOT)
    before = int(time.time())
    fields = srv.get("/g").fields()
    assert fields["g.set_by"] == "ctx_example fixups hook"
    # request_time in microseconds, from this very request.
    started = int(fields["g.request_started"]) // 1_000_000
    assert before - 2 <= started <= time.time() + 2
    # g is per request: a second request starts empty (same two keys only).
    assert sorted(srv.get("/g").fields()) == ["g.request_started", "g.set_by"]


def test_config_app_name_defaults_to_server_name(make_server):
    srv = make_server(EXAMPLE_ROOT)
    fields = srv.get("/config").fields()
    assert fields["app"] == "localhost"
    assert fields["config.DATABASE_URL"] == "(unset)"


def test_config_is_merged_server_vhost_directory(make_server):
    srv = make_server(EXAMPLE_ROOT + """
CtxAppName main-app
CtxConfig DATABASE_URL "postgresql://127.0.0.1/main"
CtxConfig COLOR red
<VirtualHost 127.0.0.1:*>
    ServerName other.test
    CtxAppName other-app
    CtxConfig COLOR blue
    <Location /config>
        CtxConfig SIZE large
    </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:*>
    ServerName third.test
</VirtualHost>
""")
    q = "/config?key=DATABASE_URL&key=COLOR&key=SIZE"
    main = srv.get(q, host="localhost").fields()
    # The first vhost is the default one for unknown names: use a name that no vhost has.
    other = srv.get(q, host="other.test").fields()
    third = srv.get(q, host="third.test").fields()
    assert other["app"] == "other-app"
    assert other["config.DATABASE_URL"] == "postgresql://127.0.0.1/main"   # from the server
    assert other["config.COLOR"] == "blue"                                 # vhost overrides
    assert other["config.SIZE"] == "large"                                 # directory adds
    # A vhost without CtxAppName takes its ServerName; config still from the server.
    assert third["app"] == "third.test"
    assert third["config.COLOR"] == "red"
    assert third["config.SIZE"] == "(unset)"
    # localhost is not a ServerName of any vhost: the first vhost answers.
    assert main["app"] == "other-app"


def test_app_resource_is_created_once_per_child_and_destroyed_at_exit(make_server):
    srv = make_server(EXAMPLE_ROOT + 'CtxConfig DATABASE_URL "postgresql://127.0.0.1/x"\n')
    pids = {}
    for _ in range(40):
        f = srv.get("/config").fields()
        assert f["resource.dsn"] == "postgresql://127.0.0.1/x"
        pids.setdefault(f["resource.pid"], []).append(int(f["resource.uses"]))
    for uses in pids.values():
        # One object per child: its use counter only grows.
        assert uses == sorted(uses) and len(set(uses)) == len(uses)
    created = srv.log_lines(r"demo-pool of app localhost created")
    assert sorted(re.search(r"pid (\d+)", l).group(1) for l in created) == sorted(pids)
    srv.stop()
    destroyed = srv.log_lines(r"demo-pool destroyed in pid")
    assert sorted(re.search(r"pid (\d+)", l).group(1) for l in destroyed) == sorted(pids)


def test_example_without_mod_ctx_loads_logs_one_error_and_answers_503(make_server):
    srv = make_server(EXAMPLE_ROOT, ctx=False, test_module=False)
    srv.expect_log(r"mod_ctx_example.*mod_ctx")
    assert srv.get("/home?page=2").status == 503
    assert srv.get("/config").status == 503
    errors = srv.log_lines(r":error\]")
    assert len(errors) == 1, errors
    assert "mod_ctx" in errors[0] and "LoadModule" in errors[0]
    # The line comes from mod_ctx.h's inline, compiled into the example:
    # tagged as the example's (its APLOG_USE_MODULE), not as nobody's.
    assert "[ctx_example:error]" in errors[0], errors[0]


def test_example_works_when_loaded_before_mod_ctx(make_server):
    # ctx=False leaves mod_ctx out of the generated LoadModule lines; the body
    # loads it after the example module.
    srv = make_server(f"LoadModule ctx_module {LIBS}/mod_ctx.so\n" + EXAMPLE_ROOT,
                      ctx=False, test_module=False)
    assert srv.conf.read_text().index("ctx_example_module") < \
        srv.conf.read_text().index("LoadModule ctx_module")
    assert srv.get("/home?page=7").text == "home page=7\n"
    assert not srv.log_lines(r":error\]")

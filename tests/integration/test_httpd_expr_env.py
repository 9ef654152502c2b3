"""mod_ctx seen from httpd's configuration (issue #16 items 1 and 2): the
ap_expr functions ctx_session(), ctx_g(), ctx_config(), ctx_arg() and the
variable CTX_USER_ID in <If>, Header expr=, RequestHeader expr= to a proxied
backend, Require expr, SetEnvIfExpr and RewriteCond expr; CtxSessionEnv in a
CGI script's environment (mod_cgid under event, mod_cgi under prefork), in
%{ENV:...} and in the access log; request headers that try to spoof them.

Expectations come from docs/httpd-integration.md: strings as they are, other
JSON values as their JSON text, a string with a control character as its
JSON text (no CR/LF reaches a header), "" when absent; reading the session
adds Vary: Cookie and sends no Set-Cookie; variables never HTTP_*, absent
when the session has no such key, whatever the request carries.

One server for the whole module (event or prefork, as the harness runs)."""
import json
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import MPM, Httpd

KEY = "expr-env-test-key-0123456789abcdefghijklmn"
FUNCS = {
    # name: (condition that holds for the test's request, its string form)
    "session": ("ctx_session('user') == 'alice'", "%{ctx_session:user}"),
    "g": ("ctx_g('from_arg') == 'gv'", "%{ctx_g:from_arg}"),
    "config": ("ctx_config('COLOR') == 'blue'", "%{ctx_config:COLOR}"),
    "arg": ("ctx_arg('a') == 'av'", "%{ctx_arg:a}"),
    "user": ("%{CTX_USER_ID} == 'u42'", "%{CTX_USER_ID}"),
}
EXPECTED = {"session": "alice", "g": "gv", "config": "blue", "arg": "av", "user": "u42"}
QUERY = "?g=gv&a=av"
SSI = """env=<!--#echo var="CTX_SESSION_USER" -->
<!--#if expr="ctx_session('user') == 'alice'" -->if=yes<!--#else -->if=no<!--#endif -->
"""
CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
env
"""


def config(port, root):
    cgi_mod = "cgid" if MPM == "event" else "cgi"
    lines = [
        f"LoadModule {cgi_mod}_module /usr/lib/apache2/modules/mod_{cgi_mod}.so",
        f"ScriptSock {root}/cgid.sock" if cgi_mod == "cgid" else "",
        f"CtxSecretKey {KEY}",
        "CtxSession On",
        # The tests plant a login ("_user_id") without Flask-Login's session
        # identifier; "basic" protection would mark it not fresh (a change).
        "CtxLoginProtection off",
        "CtxConfig COLOR blue",
        "CtxConfig TEST_G_FROM_ARG on",
        f'LogFormat "env user=%{{CTX_SESSION_USER}}e se=%{{SE_SESSION}}e" ctxenv',
        f"CustomLog {root}/access.log ctxenv",
        # <If>: one section per function, each sets its own header.
        "<Location /if>",
        "    SetHandler ctx-test",
    ]
    for name, (cond, _) in FUNCS.items():
        lines += [f'    <If "{cond}">', f"        Header always set X-If-{name} yes",
                  "    </If>"]
    lines += ["</Location>",
              # CTX_USER_ID is the login as mod_ctx resolves it: "strong"
              # protection refuses a login without its session identifier.
              "<Location /hdr-strong>", "    SetHandler ctx-test",
              "    CtxLoginProtection strong",
              '    Header always set X-Hdr-user "expr=%{CTX_USER_ID}"',
              "</Location>",
              # Header expr=: the values themselves.
              "<Location /hdr>", "    SetHandler ctx-test"]
    for name, (_, text) in FUNCS.items():
        lines.append(f'    Header always set X-Hdr-{name} "expr={text}"')
    lines += ['    Header always set X-Hdr-cart "expr=%{ctx_session:cart}"',
              '    Header always set X-Hdr-evil "expr=%{ctx_session:evil}"',
              '    Header always set X-Hdr-missing "expr=%{ctx_session:nothing}"',
              "</Location>",
              # RequestHeader expr= through mod_proxy to a backend that echoes.
              "<Location /px/>",
              f"    ProxyPass http://127.0.0.1:{port}/echo/",
              "    CtxSessionEnv user"]
    for name, (_, text) in FUNCS.items():
        lines.append(f'    RequestHeader set X-Ctx-{name} "expr={text}"')
    lines += ['    RequestHeader set X-Ctx-env "expr=%{ENV:CTX_SESSION_USER}"',
              "</Location>",
              "<Location /echo/>", "    SetHandler ctx-test"]
    for name in list(FUNCS) + ["env"]:
        lines.append(f'    Header always set X-Echo-{name} "expr=%{{req:X-Ctx-{name}}}"')
    lines.append("</Location>")
    # Require expr: one location per function.
    for name, (cond, _) in FUNCS.items():
        lines += [f"<Location /authz-{name}>", "    SetHandler ctx-test",
                  f'    Require expr "{cond}"', "</Location>"]
    # SetEnvIfExpr (header_parser) and RewriteCond expr (fixups).
    lines += ["<Location /setenv>", "    SetHandler ctx-test"]
    for name, (cond, _) in FUNCS.items():
        lines += [f'    SetEnvIfExpr "{cond}" SE_{name.upper()}=1',
                  f'    Header always set X-Se-{name} "%{{SE_{name.upper()}}}e"']
    lines += ["    RewriteEngine On",
              "    RewriteCond expr \"ctx_session('user') == 'alice'\"",
              "    RewriteRule ^ - [E=RW_SESSION:1]",
              '    Header always set X-Rw-session "%{RW_SESSION}e"',
              "    CtxSessionEnv user",
              "</Location>",
              # CtxSessionEnv in a CGI script's environment.
              f'ScriptAlias /cgi/ "{root}/cgi/"',
              "<Location /cgi/>",
              "    CtxSessionEnv user",
              "    CtxSessionEnv cart CART",
              "    CtxSessionEnv evil",
              "    CtxSessionEnv nothing NOTHING",
              "    CtxSessionEnv _user_id REMOTE_ID",
              "</Location>",
              # SSI: the environment and an #if expression.
              f'Alias /ssi/ "{root}/ssi/"',
              f'<Directory "{root}/ssi">',
              "    Options +Includes",
              "    SetOutputFilter INCLUDES",
              "    CtxSessionEnv user",
              "</Directory>"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def srv():
    root = Path(tempfile.mkdtemp(prefix="ctx-itest-expr-"))
    root.chmod(0o755)
    (root / "cgi").mkdir()
    (root / "cgi" / "env.cgi").write_text(CGI)
    (root / "cgi" / "env.cgi").chmod(0o755)
    (root / "cgi").chmod(0o755)
    (root / "ssi").mkdir()
    (root / "ssi" / "page.shtml").write_text(SSI)
    (root / "ssi").chmod(0o755)
    (root / "ssi" / "page.shtml").chmod(0o644)
    server = Httpd(root, "expr")
    server.expect_log(r"AH01630: client denied .*/authz-")   # Require expr said no
    server.write_config(config(server.port, root),
                        modules=("headers", "proxy", "proxy_http", "setenvif", "rewrite",
                                 "alias", "include"))
    server.start()
    yield server
    server.stop_and_check(remove=root)


def absent(value):
    """An empty or unset value as mod_headers shows it."""
    return value in (None, "", "(null)")


def set_cookie(resp):
    for v in resp.header_all("set-cookie"):
        if v.startswith("session="):
            return v.split(";", 1)[0][len("session="):]
    return None


def session_with(srv, strings=(), jsons=()):
    """A session cookie holding the given values (through the C API)."""
    cookie = None
    calls = [f"/t/session-op?set={k}&value={urllib.parse.quote(v)}" for k, v in strings]
    calls += [f"/t/session-json?op=set-json&k={k}&v={urllib.parse.quote(v)}"
              for k, v in jsons]
    for path in calls:
        resp = srv.get(path, headers={"Cookie": f"session={cookie}"} if cookie else {})
        assert resp.status == 200, resp.text
        cookie = set_cookie(resp) or cookie
    return cookie


@pytest.fixture(scope="module")
def cookie(srv):
    return session_with(srv, strings=[("user", "alice"), ("_user_id", "u42"),
                                      ("role", "admin"),
                                      ("evil", "x\r\nX-Injected: 1")],
                        jsons=[("cart", "[1,2]")])


def get(srv, path, cookie, headers=None):
    hdrs = dict(headers or {})
    if cookie:
        hdrs["Cookie"] = f"session={cookie}"
    return srv.get(path, headers=hdrs)


def test_if_sections_see_every_function(srv, cookie):
    resp = get(srv, "/if/whoami" + QUERY, cookie)
    assert resp.status == 200
    for name in FUNCS:
        assert resp.header(f"x-if-{name}") == "yes", name
    # Reading the session is a read: it varies with the cookie, saves nothing.
    assert "Cookie" in (resp.header("vary") or "")
    assert resp.header_all("set-cookie") == []


def test_if_sections_are_false_without_the_values(srv):
    resp = get(srv, "/if/whoami", None)
    assert resp.status == 200
    for name in FUNCS:
        if name != "config":
            assert resp.header(f"x-if-{name}") is None, name
    assert resp.header("x-if-config") == "yes"
    # An empty session read from an expression is not saved either.
    assert resp.header_all("set-cookie") == []


def test_header_expr_values_are_strings(srv, cookie):
    resp = get(srv, "/hdr/whoami" + QUERY, cookie)
    for name, value in EXPECTED.items():
        assert resp.header(f"x-hdr-{name}") == value, name
    assert json.loads(resp.header("x-hdr-cart")) == [1, 2]
    # A string with CR/LF comes as its JSON text: one header, no injection.
    assert json.loads(resp.header("x-hdr-evil")) == "x\r\nX-Injected: 1"
    assert resp.header("x-injected") is None
    assert absent(resp.header("x-hdr-missing"))
    assert resp.header_all("set-cookie") == []


def test_user_id_variable_is_the_login_not_the_raw_session_key(srv, cookie):
    # The planted "_user_id" has no Flask-Login identifier: under "strong"
    # protection that is no login, so a `Require expr` on CTX_USER_ID must
    # not see one (the raw key would still say u42).
    resp = get(srv, "/hdr-strong/whoami", cookie)
    assert resp.status == 200
    assert absent(resp.header("x-hdr-user"))


def test_request_header_expr_reaches_the_proxied_backend(srv, cookie):
    resp = get(srv, "/px/whoami" + QUERY, cookie)
    assert resp.status == 200, resp.text
    for name, value in EXPECTED.items():
        assert resp.header(f"x-echo-{name}") == value, name
    assert resp.header("x-echo-env") == "alice"


def test_request_header_expr_spoofing_changes_nothing(srv):
    # No session: the client's own headers must not become the values.
    resp = get(srv, "/px/whoami", None, headers={
        "X-Ctx-session": "evil", "X-Ctx-env": "evil", "Session": "user=evil",
        "Ctx-Session-User": "evil", "CTX_SESSION_USER": "evil"})
    assert resp.status == 200, resp.text
    for name in list(FUNCS) + ["env"]:
        if name != "config":
            assert absent(resp.header(f"x-echo-{name}")), name


@pytest.mark.parametrize("name", list(FUNCS))
def test_require_expr(srv, cookie, name):
    assert get(srv, f"/authz-{name}/whoami" + QUERY, cookie).status == 200
    if name != "config":
        assert get(srv, f"/authz-{name}/whoami", None).status == 403


def test_setenvifexpr_and_rewritecond_expr(srv, cookie):
    resp = get(srv, "/setenv/whoami" + QUERY, cookie)
    for name in FUNCS:
        assert resp.header(f"x-se-{name}") == "1", name
    assert resp.header("x-rw-session") == "1"
    resp = get(srv, "/setenv/whoami", None)
    assert absent(resp.header("x-se-session"))
    assert absent(resp.header("x-rw-session"))


def cgi_env(srv, cookie, headers=None):
    resp = get(srv, "/cgi/env.cgi", cookie, headers)
    assert resp.status == 200, resp.text
    return resp, resp.fields()


SPOOF = {"CTX_SESSION_USER": "evil", "Ctx-Session-User": "evil", "Session": "user=evil",
         "Ctx-User": "evil", "Cart": "evil", "Nothing": "evil", "Remote-Id": "evil",
         "X-Ctx-Session-Evil": "evil"}


def test_session_env_in_a_cgi_script(srv, cookie):
    resp, env = cgi_env(srv, cookie, SPOOF)
    assert env["CTX_SESSION_USER"] == "alice"
    assert json.loads(env["CART"]) == [1, 2]
    assert env["REMOTE_ID"] == "u42"
    assert json.loads(env["CTX_SESSION_EVIL"]) == "x\r\nX-Injected: 1"
    assert "NOTHING" not in env
    # The spoofing headers are only ever HTTP_* variables.
    for k, v in env.items():
        if v == "evil" or v == "user=evil":
            assert k.startswith("HTTP_"), k
    assert resp.header_all("set-cookie") == []


def test_session_env_spoofing_without_a_session(srv):
    _, env = cgi_env(srv, None, SPOOF)
    for var in ("CTX_SESSION_USER", "CART", "NOTHING", "REMOTE_ID", "CTX_SESSION_EVIL"):
        assert var not in env, var
    for k, v in env.items():
        if "evil" in v:
            assert k.startswith("HTTP_"), k


def test_session_env_and_expr_in_ssi(srv, cookie):
    fields = get(srv, "/ssi/page.shtml", cookie, {"Ctx-Session-User": "evil"}).fields()
    assert fields["env"] == "alice"
    assert fields["if"] == "yes"
    fields = get(srv, "/ssi/page.shtml", None, {"Ctx-Session-User": "evil"}).fields()
    assert fields["env"] == "(none)"        # mod_include's text for an unset variable
    assert fields["if"] == "no"


def test_session_env_in_the_access_log(srv, cookie):
    get(srv, "/setenv/whoami?log=1", cookie)
    log = srv.root / "access.log"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if log.exists() and "env user=alice se=1" in log.read_text():
            break
        time.sleep(0.05)
    assert "env user=alice se=1" in log.read_text()


@pytest.mark.parametrize("directive,problem", [
    ("CtxSessionEnv user HTTP_USER", "HTTP_"),
    ("CtxSessionEnv user http_user", "HTTP_"),
    ("CtxSessionEnv user A-B", "character"),
    ("CtxSessionEnv user 9X", "digit"),
])
def test_session_env_bad_names_fail_the_config_test(make_server, directive, problem):
    srv = make_server(f"CtxSecretKey {KEY}\n<Location /x>\n{directive}\n</Location>\n",
                      start=False)
    rc, out = srv.check_config()
    assert rc != 0
    assert "CtxSessionEnv" in out and problem in out, out


def test_expr_function_with_empty_name_fails_the_config_test(make_server):
    srv = make_server(f"CtxSecretKey {KEY}\n<If \"ctx_session('') == 'x'\">\n</If>\n",
                      start=False)
    rc, out = srv.check_config()
    assert rc != 0
    assert "ctx_session() needs a non-empty name" in out, out

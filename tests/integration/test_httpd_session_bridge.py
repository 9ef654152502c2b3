"""CtxSessionBridge On (issue #16 item 3): mod_ctx's session is the storage
of httpd's mod_session API. mod_auth_form logs in and out on each session
format (signed, encrypted, flask, server-side on shmcb); what it stores is
visible through mod_ctx's C API (the test module's /t/session-op) and what
the C API stores is what mod_auth_form and SessionEnv see.

Expectations come from docs/httpd-integration.md: mod_session's entries are
mod_ctx's keys one to one (mod_auth_form keeps "<AuthName>-user" and
"<AuthName>-pw"); a logout removes them; the cookie is mod_ctx's, in the
directory's format. One server with one virtual host per format."""
import base64
import hashlib
import http.client
import tempfile
import urllib.parse
from pathlib import Path

import pytest

from conftest import Httpd, Response

KEY = "bridge-test-key-0123456789abcdefghijklmnopq"
FORMATS = {
    "signed": "CtxSessionFormat signed",
    "encrypted": "CtxSessionFormat encrypted",
    "flask": "CtxSessionFormat flask",
    "shmcb": "CtxSessionFormat encrypted\n    CtxSessionStore socache:shmcb",
}
AUTH = """    AuthType form
    AuthName app
    AuthFormProvider file
    AuthUserFile {root}/htpasswd"""


def config(port, root):
    auth = AUTH.format(root=root)
    lines = [f"CtxSecretKey {KEY}", "CtxSession On", "CtxSessionBridge On", "Session On",
             "<Location /private>", auth, "    Require valid-user",
             "    SetHandler ctx-test", "</Location>",
             "<Location /dologin>", "    SetHandler form-login-handler", auth,
             "    AuthFormLoginSuccessLocation /private/whoami", "</Location>",
             "<Location /dologout>", "    SetHandler form-logout-handler", auth,
             "    AuthFormLogoutLocation /t/whoami", "</Location>",
             "<Location /env>", "    SessionEnv On", "    SetHandler ctx-test",
             '    Header always set X-Session-Env "%{HTTP_SESSION}e"', "</Location>"]
    for name, directives in FORMATS.items():
        lines += [f"<VirtualHost 127.0.0.1:{port}>", f"    ServerName {name}.test",
                  f"    {directives}", "</VirtualHost>"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def srv():
    root = Path(tempfile.mkdtemp(prefix="ctx-itest-bridge-"))
    root.chmod(0o755)
    sha = base64.b64encode(hashlib.sha1(b"secret").digest()).decode()
    (root / "htpasswd").write_text(f"alice:{{SHA}}{sha}\n")
    (root / "htpasswd").chmod(0o644)
    server = Httpd(root, "bridge")
    server.write_config(config(server.port, root),
                        modules=("headers", "request", "session", "auth_form",
                                 "authn_core", "authn_file", "authz_user", "socache_shmcb"))
    server.start()
    yield server
    server.stop_and_check(remove=root)


def set_cookie(resp):
    for v in resp.header_all("set-cookie"):
        if v.startswith("session="):
            return v.split(";", 1)[0][len("session="):]
    return None


def req(srv, fmt, path, cookie=None, method="GET", body=None):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        headers = {"Host": f"{fmt}.test"}
        if cookie:
            headers["Cookie"] = f"session={cookie}"
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return Response(resp.status, [(k.lower(), v) for k, v in resp.getheaders()],
                        resp.read())
    finally:
        conn.close()


def login(srv, fmt, password="secret"):
    body = urllib.parse.urlencode({"httpd_username": "alice", "httpd_password": password})
    return req(srv, fmt, "/dologin", method="POST", body=body)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_auth_form_login_and_logout_through_the_bridge(srv, fmt):
    assert req(srv, fmt, "/private/whoami").status == 401
    resp = login(srv, fmt)
    assert resp.status in (302, 303), resp.text
    cookie = set_cookie(resp)
    assert cookie, resp.headers
    # The cookie is mod_ctx's, in this host's format.
    prefix = {"signed": "s2.", "encrypted": "e2.", "flask": None, "shmcb": "i1."}[fmt]
    if prefix:
        assert cookie.startswith(prefix), cookie
    assert req(srv, fmt, "/private/whoami", cookie).status == 200
    # mod_auth_form's entries are mod_ctx keys.
    seen = req(srv, fmt, "/t/session-op?get=app-user", cookie).fields()
    assert seen["value"] == "alice"
    assert seen["get_status"] == "0"

    resp = req(srv, fmt, "/dologout", cookie)
    assert resp.status in (302, 307), resp.text
    after = set_cookie(resp)
    assert any("session=" in v for v in resp.header_all("set-cookie")), resp.headers
    assert req(srv, fmt, "/private/whoami", after).status == 401
    if fmt == "shmcb":
        # Server-side: the old id no longer logs in.
        assert req(srv, fmt, "/private/whoami", cookie).status == 401


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_wrong_password_gives_no_session(srv, fmt):
    srv.expect_log(r"AH01807|AH01617|password mismatch|user alice: authentication failure")
    resp = login(srv, fmt, password="wrong")
    assert resp.status in (401, 403), resp.text
    assert set_cookie(resp) is None


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_values_set_through_the_c_api_log_in_with_auth_form(srv, fmt):
    cookie = None
    for key, value in (("app-user", "alice"), ("app-pw", "secret")):
        resp = req(srv, fmt, f"/t/session-op?set={key}&value={value}", cookie)
        cookie = set_cookie(resp) or cookie
    assert req(srv, fmt, "/private/whoami", cookie).status == 200
    resp = req(srv, fmt, "/env/whoami", cookie)
    env = urllib.parse.parse_qs(resp.header("x-session-env"))
    assert env["app-user"] == ["alice"]
    assert env["app-pw"] == ["secret"]


def test_bridge_without_mod_session_fails_the_config_test(make_server):
    srv = make_server(f"CtxSecretKey {KEY}\n<Location /x>\nCtxSessionBridge On\n</Location>\n",
                      start=False)
    rc, out = srv.check_config()
    assert rc != 0
    assert "CtxSessionBridge" in out and "mod_session" in out, out


def test_bridge_survives_a_graceful_restart(srv):
    # The bridge hooks into mod_session when each generation reads its
    # configuration: a new generation must still use it.
    srv.graceful()
    resp = login(srv, "encrypted")
    cookie = set_cookie(resp)
    assert cookie and cookie.startswith("e2."), resp.headers
    assert req(srv, "encrypted", "/private/whoami", cookie).status == 200


def test_keys_mod_session_did_not_touch_keep_their_json_type(srv):
    resp = req(srv, "signed", "/t/session-json?op=set-json&k=cart&v=" +
               urllib.parse.quote('[1,{"a":true}]'))
    cookie = set_cookie(resp)
    body = urllib.parse.urlencode({"httpd_username": "alice", "httpd_password": "secret"})
    resp = req(srv, "signed", "/dologin", cookie, method="POST", body=body)
    cookie = set_cookie(resp) or cookie
    fields = req(srv, "signed", "/t/session-json?op=get-json&k=cart", cookie).fields()
    assert fields["value"] == '[1,{"a":true}]'
    assert req(srv, "signed", "/t/session-op?get=app-user", cookie).fields()["value"] == "alice"

"""Login (issue #14) on the real httpd: the example module's /login, /logout
and /me (ctx_login_user, ctx_logout_user, ctx_current_user with a user
loader), AuthType ctx with Require valid-user / user / ctx-fresh on a static
file and a CGI, redirects to CtxLoginURL with next=, the open-redirect table,
session fixation, the remember cookie, ctx_confirm_login, session
protection, a mod_proxy backend given the user, and the loader's once per
request across subrequests and internal redirects.

One httpd for the module (in the harness's MPM), virtual hosts chosen by Host:
  cookie.test   sessions in the cookie (signed format), CtxLoginURL /login
  store.test    the same with CtxSessionStore socache:shmcb
  strong.test   cookie sessions, CtxLoginProtection strong, no CtxLoginURL
  loader.test   cookie sessions, the test module's counting user loader
cookie.test also proxies /proxied (AuthType ctx, RequestHeader with the
user) with mod_proxy to its own /backend/echo.cgi, which counts its calls.
Expectations come from the issue and docs/login.md, and for the remember
cookie from Flask-Login's format (name|hex HMAC-SHA512).
"""
import http.client
import os
import re
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import ALWAYS_OK, BAD_LEVEL, BAD_TEXT, MPM, Httpd

KEY = "login-test-key-0123456789abcdefghijklmnop"
USERS = "alice:wonderland bob:builder"
UNAUTHORIZED_LOG = r"AH01631"      # mod_authz_core: a logged-in user denied
REMEMBER = re.compile(r"^(alice)\|[0-9a-f]{128}$")
HOSTS = ["cookie.test", "store.test"]

CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
printf 'REMOTE_USER=%s AUTH_TYPE=%s\\n' "$REMOTE_USER" "$AUTH_TYPE"
"""

# The proxied backend: echoes X-Remote-User and counts the requests reaching it.
ECHO_CGI = """#!/bin/sh
echo hit >> "{hits}"
printf 'Content-Type: text/plain\\n\\n'
printf 'X-Remote-User=%s\\n' "$HTTP_X_REMOTE_USER"
"""


def protected(docroot, login_url=True):
    return f"""
    DocumentRoot "{docroot}"
    CtxSession On
    CtxConfig LOGIN_USERS "{USERS}"
    {"CtxLoginURL /login" if login_url else ""}
    <LocationMatch "^/(login|logout|me|counter|session(/.*)?)$">
        SetHandler ctx-example
    </LocationMatch>
    <Directory "{docroot}/private">
        Options +ExecCGI
        <Files "env.cgi">
            SetHandler cgi-script
        </Files>
    </Directory>
    # Location: after the harness's <Location /> Require all granted
    <Location /private>
        AuthType ctx
        Require valid-user
        ErrorDocument 404 /me
    </Location>
    <Location /alice>
        AuthType ctx
        Require user alice
    </Location>
    <Location /fresh>
        AuthType ctx
        Require ctx-fresh
        {"CtxRefreshURL /login?refresh=1" if login_url else ""}
    </Location>
"""


@pytest.fixture(scope="module")
def site():
    tmp = Path(tempfile.mkdtemp(prefix="ctx-itest-login-"))
    tmp.chmod(0o755)
    docroot = tmp / "htdocs"
    for d in ("private", "alice", "fresh", "backend"):
        (docroot / d).mkdir(parents=True)
        (docroot / d / "file.txt").write_text(f"{d} content\n")
    (docroot / "private" / "env.cgi").write_text(CGI)
    (docroot / "private" / "env.cgi").chmod(0o755)
    hits = tmp / "hits"
    hits.mkdir()
    (docroot / "backend" / "echo.cgi").write_text(ECHO_CGI.format(hits=hits / "echo"))
    (docroot / "backend" / "echo.cgi").chmod(0o755)
    for p in [tmp, docroot, *docroot.iterdir()]:
        p.chmod(0o755)
    hits.chmod(0o777)       # the CGI runs as www-data under root
    srv = Httpd(tmp, "login")
    srv.hits = hits / "echo"
    cgi = "cgid" if MPM != "prefork" else "cgi"
    body = f"""
CtxSecretKey {KEY}
CtxSessionStore socache:shmcb
<VirtualHost 127.0.0.1:{srv.port}>
    ServerName cookie.test
    CtxSessionStore cookie
    {protected(docroot)}
    <Directory "{docroot}/backend">
        Options +ExecCGI
        SetHandler cgi-script
    </Directory>
    <Location /proxied>
        AuthType ctx
        Require valid-user
        RequestHeader set X-Remote-User "expr=%{{REMOTE_USER}}"
        ProxyPass http://127.0.0.1:{srv.port}/backend/echo.cgi
    </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:{srv.port}>
    ServerName store.test
    {protected(docroot)}
</VirtualHost>
<VirtualHost 127.0.0.1:{srv.port}>
    ServerName strong.test
    CtxSessionStore cookie
    CtxLoginProtection strong
    {protected(docroot, login_url=False)}
</VirtualHost>
<VirtualHost 127.0.0.1:{srv.port}>
    ServerName loader.test
    CtxSessionStore cookie
    CtxConfig TEST_LOADER 1
    {protected(docroot)}
    <Location /nosession>
        SetHandler ctx-test
        CtxSession Off
    </Location>
</VirtualHost>
"""
    srv.write_config(body, modules=("socache_shmcb", "authn_core", "authz_user", cgi,
                                    "headers", "proxy", "proxy_http"))
    srv.start()
    srv.expect_log(UNAUTHORIZED_LOG)
    yield srv
    srv.stop_and_check()


class Client:
    """A browser of one virtual host: keeps the cookies it is given."""

    def __init__(self, srv, host, agent="test-agent/1"):
        self.srv, self.host, self.agent = srv, host, agent
        self.cookies = {}

    def request(self, method, path, form=None, cookies=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30)
        hdrs = {"Host": self.host, "User-Agent": self.agent, **(headers or {})}
        jar = self.cookies if cookies is None else cookies
        if jar:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read().decode(errors="replace")
            headers = [(k.lower(), v) for k, v in resp.getheaders()]
        finally:
            conn.close()
        for k, v in headers:
            if k == "set-cookie":
                name, _, rest = v.partition("=")
                value = rest.split(";", 1)[0]
                if "Max-Age=0" in v or "01 Jan 1970" in v:
                    self.cookies.pop(name, None)
                elif cookies is None:
                    self.cookies[name] = value
        resp.text, resp.hdrs = data, headers
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def login(self, user="alice", password="wonderland", **extra):
        return self.request("POST", "/login",
                            form={"username": user, "password": password, **extra})

    def me(self, **kw):
        return self.get("/me", **kw).text.strip()


def set_cookie_names(resp):
    return [v.split("=", 1)[0] for k, v in resp.hdrs if k == "set-cookie"]


# ---- login, /me, logout ---------------------------------------------------------

@pytest.mark.parametrize("host", HOSTS)
def test_login_me_and_logout(site, host):
    c = Client(site, host)
    assert c.me() == "anonymous"
    bad = c.login(password="wrong")
    assert bad.status == 401 and "<form" in bad.text
    assert c.me() == "anonymous"
    ok = c.login()
    assert ok.status == 303 and ok.getheader("Location") == "/me"
    assert "session" in c.cookies
    assert c.me() == "user=alice fresh=1"
    out = c.request("POST", "/logout")
    assert out.status == 303 and out.getheader("Location") == "/login"
    assert c.me() == "anonymous"


@pytest.mark.parametrize("host", HOSTS)
def test_login_regenerates_the_session_against_fixation(site, host):
    c = Client(site, host)
    assert c.get("/counter").text.strip() == "count=1"
    before = c.cookies["session"]
    assert c.login().status == 303
    after = c.cookies["session"]
    assert after != before
    if host == "store.test":
        # the id changed and the old entry is gone
        assert before.split(".")[1] != after.split(".")[1]
        assert c.get("/counter", cookies={"session": before}).text.strip() == "count=1"
    # the pre-login session never becomes the user's
    assert c.me(cookies={"session": before}) == "anonymous"
    # the data before the login is kept (Flask-Login keeps the session too)
    assert c.get("/counter").text.strip() == "count=2"


def test_copied_cookie_after_logout_is_anonymous_with_a_store(site):
    c = Client(site, "store.test")
    c.get("/counter")
    c.login()
    copied = c.cookies["session"]
    assert c.me(cookies={"session": copied}) == "user=alice fresh=1"
    c.request("POST", "/logout")
    assert c.me(cookies={"session": copied}) == "anonymous"
    # logout deleted the old entry (regenerate), not only the login keys
    assert c.get("/session", cookies={"session": copied}).text.strip() == "{}"


# ---- AuthType ctx ----------------------------------------------------------------

@pytest.mark.parametrize("host", HOSTS)
def test_valid_user_protects_a_static_file_and_a_cgi(site, host):
    c = Client(site, host)
    r = c.get("/private/file.txt")
    assert r.status == 302
    assert r.getheader("Location") == "/login?next=%2Fprivate%2Ffile.txt"
    r = c.get("/private/env.cgi?a=1&b=%2F")
    assert r.status == 302
    assert r.getheader("Location") == "/login?next=%2Fprivate%2Fenv.cgi%3Fa%3D1%26b%3D%252F"
    c.login()
    r = c.get("/private/file.txt")
    assert r.status == 200 and r.text == "private content\n"
    r = c.get("/private/env.cgi")
    assert r.status == 200, r.text
    assert r.text.strip() == "REMOTE_USER=alice AUTH_TYPE=ctx"


def test_internal_redirect_sees_the_login_of_the_request(site):
    """ErrorDocument 404 /me: the internal redirect's /me sees the login
    that AuthType ctx resolved for the original request."""
    c = Client(site, "cookie.test")
    assert c.get("/private/missing").status == 302
    c.login()
    r = c.get("/private/missing")
    assert r.status == 404 and r.text.strip() == "user=alice fresh=1"


def backend_hits(site):
    return len(site.hits.read_text().splitlines()) if site.hits.exists() else 0


def test_request_header_gives_the_proxied_backend_the_user(site):
    """RequestHeader set X-Remote-User "expr=%{REMOTE_USER}" (docs/login.md)
    on an AuthType ctx location proxied with mod_proxy: the backend gets the
    logged-in user's name (not what the client sent), and an anonymous
    request never reaches it."""
    path = "/proxied"
    c = Client(site, "cookie.test")
    before = backend_hits(site)
    r = c.get(path, headers={"X-Remote-User": "alice"})
    assert r.status == 302 and r.getheader("Location").startswith("/login?next=")
    assert backend_hits(site) == before
    c.login("bob", "builder")
    r = c.get(path, headers={"X-Remote-User": "alice"})
    assert r.status == 200 and r.text.strip() == "X-Remote-User=bob", r.text
    assert backend_hits(site) == before + 1


def test_loader_runs_once_across_a_subrequest(site):
    """The subrequest is the first to ask for the user: the loader runs
    once, with the client request (what it allocates there outlives the
    subrequest), and the main request gets the same user afterwards."""
    c = Client(site, "loader.test")
    c.login()
    r = c.get("/t/user?sub=/t/user")
    assert r.status == 200
    assert r.text.splitlines() == ["sub user=alice loads=1 freed=0",
                                   "main user=alice loads=1 freed=0"]


def test_subrequest_without_a_session_does_not_decide_the_login(site):
    """A subrequest to a location with CtxSession Off sees nobody; the
    main request still sees its login."""
    c = Client(site, "loader.test")
    c.login()
    r = c.get("/t/user?sub=/nosession/user")
    assert r.text.splitlines() == ["sub user=- loads=0 freed=-",
                                   "main user=alice loads=1 freed=0"]


def test_loader_runs_once_across_an_internal_redirect(site):
    c = Client(site, "loader.test")
    c.login()
    r = c.get("/t/user?redirect=/t/user")
    assert r.status == 200
    assert r.text.strip() == "redirect user=alice loads=1 freed=0"


def test_no_login_url_answers_401(site):
    c = Client(site, "strong.test")
    assert c.get("/private/file.txt").status == 401
    c.login()
    assert c.get("/private/file.txt").status == 200


def test_require_user_admits_only_that_user(site):
    alice, bob = Client(site, "cookie.test"), Client(site, "cookie.test")
    alice.login()
    bob.login("bob", "builder")
    assert alice.get("/alice/file.txt").status == 200
    assert bob.get("/alice/file.txt").status == 401


def test_user_the_loader_does_not_know_is_no_login(site):
    """_user_id of a user the loader does not know (deleted, disabled) is
    anonymous for /me and for AuthType ctx; a known one is a login."""
    c = Client(site, "cookie.test")
    assert c.get("/session/set?_user_id=carol").status == 200
    assert c.me() == "anonymous"
    assert c.get("/private/file.txt").status == 302
    assert c.login("carol", "x").status == 401
    assert c.get("/session/set?_user_id=bob").status == 200
    assert c.me() == "user=bob fresh=0"
    assert c.get("/private/file.txt").status == 200


# ---- next= -------------------------------------------------------------------------

SAFE_NEXT = ["/private/file.txt", "/a?b=c&d=/e", "/search?q=a%20b"]
UNSAFE_NEXT = ["//evil.test", "https://evil.test", "/\\evil.test", "/%2F%2Fevil.test",
               "/%2f%5cevil.test", "http:evil.test", "evil.test", "/a\r\nX: y",
               "/\tevil", "%2F%2Fevil.test", "/%252F%252Fevil.test", " /me", ""]


@pytest.mark.parametrize("nxt", SAFE_NEXT)
def test_login_redirects_to_a_local_next(site, nxt):
    c = Client(site, "cookie.test")
    r = c.login(next=nxt)
    assert r.status == 303 and r.getheader("Location") == nxt


@pytest.mark.parametrize("nxt", UNSAFE_NEXT)
def test_login_refuses_an_open_redirect(site, nxt):
    c = Client(site, "cookie.test")
    r = c.login(next=nxt)
    assert r.status == 303 and r.getheader("Location") == "/me", nxt
    form = c.get("/login?next=" + urllib.parse.quote(nxt, safe=""))
    assert "evil" not in form.text


def test_redirect_to_login_keeps_the_query_and_login_returns_there(site):
    c = Client(site, "cookie.test")
    r = c.get("/private/file.txt?x=1")
    loc = urllib.parse.urlsplit(r.getheader("Location"))
    nxt = urllib.parse.parse_qs(loc.query)["next"][0]
    assert loc.path == "/login" and nxt == "/private/file.txt?x=1"
    r = c.login(next=nxt)
    assert r.getheader("Location") == nxt
    assert c.get(nxt).status == 200


# ---- remember cookie, freshness, protection ------------------------------------------

@pytest.mark.parametrize("host", HOSTS)
def test_remember_cookie_restores_a_login_that_is_not_fresh(site, host):
    c = Client(site, host)
    r = c.login(remember="1")
    assert REMEMBER.match(c.cookies["remember_token"]), c.cookies
    remember = c.cookies["remember_token"]
    # the browser was closed: only the remember cookie is left
    later = Client(site, host)
    later.cookies = {"remember_token": remember}
    r = later.get("/me")
    assert r.text.strip() == "user=alice fresh=0"
    assert "session" in later.cookies                     # a new session
    assert later.me(cookies={"session": later.cookies["session"]}) == "user=alice fresh=0"
    # fresh-only pages send it to the refresh URL, with next
    r = later.get("/fresh/file.txt")
    assert r.status == 302
    assert r.getheader("Location") == "/login?refresh=1&next=%2Ffresh%2Ffile.txt"
    # a password login makes it fresh again
    later.login()
    assert later.get("/fresh/file.txt").status == 200
    # logout deletes the remember cookie
    out = later.request("POST", "/logout")
    assert "remember_token" in set_cookie_names(out)
    assert "remember_token" not in later.cookies


def test_remember_cookie_never_logs_in_a_planted_session(site):
    """An attacker plants their session id (server-side store) next to the
    victim's remember cookie: the restored login goes to a new session."""
    attacker = Client(site, "store.test")
    attacker.get("/counter")
    planted = attacker.cookies["session"]
    victim = Client(site, "store.test")
    victim.login(remember="1")
    victim.cookies = {"remember_token": victim.cookies["remember_token"],
                      "session": planted}
    assert victim.me() == "user=alice fresh=0"
    assert victim.cookies["session"].split(".")[1] != planted.split(".")[1]
    assert attacker.me() == "anonymous"


@pytest.mark.parametrize("bad", ["alice|" + "0" * 128, "bob|{digest}", "alice", "",
                                 "alice|{digest}x"])
def test_tampered_remember_cookie_is_ignored(site, bad):
    c = Client(site, "cookie.test")
    c.login(remember="1")
    digest = c.cookies["remember_token"].split("|")[1]
    other = Client(site, "cookie.test")
    other.cookies = {"remember_token": bad.format(digest=digest)}
    assert other.me() == "anonymous"
    assert "session" not in other.cookies


def test_remember_cookie_of_another_app_is_ignored(site):
    c = Client(site, "cookie.test")
    c.login(remember="1")
    other = Client(site, "strong.test")
    other.cookies = {"remember_token": c.cookies["remember_token"]}
    assert other.me() == "anonymous"


def test_fresh_login_passes_require_ctx_fresh(site):
    c = Client(site, "cookie.test")
    assert c.get("/fresh/file.txt").getheader("Location") == \
        "/login?next=%2Ffresh%2Ffile.txt"
    c.login()
    assert c.get("/fresh/file.txt").status == 200


@pytest.mark.parametrize("host", HOSTS)
def test_confirm_login_makes_a_remembered_login_fresh(site, host):
    """ctx_confirm_login (after the user re-entered a password): a login
    restored from the remember cookie becomes fresh, Require ctx-fresh
    passes, and the session keeps it fresh."""
    c = Client(site, host)
    assert c.get("/t/confirm").text.strip() == "confirm=nobody fresh=0"
    c.login(remember="1")
    later = Client(site, host)
    later.cookies = {"remember_token": c.cookies["remember_token"]}
    assert later.me() == "user=alice fresh=0"
    assert later.get("/fresh/file.txt").status == 302
    assert later.get("/t/confirm").text.strip() == "confirm=ok fresh=1"
    assert later.me() == "user=alice fresh=1"
    assert later.get("/fresh/file.txt").status == 200


def test_stale_login_without_refresh_url_is_401(site):
    c = Client(site, "strong.test")
    c.login(remember="1")
    later = Client(site, "strong.test")
    later.cookies = {"remember_token": c.cookies["remember_token"]}
    assert later.me() == "user=alice fresh=0"
    assert later.get("/fresh/file.txt").status == 401


def test_basic_protection_marks_a_login_stale_when_the_agent_changes(site):
    c = Client(site, "cookie.test")
    c.login()
    assert c.me() == "user=alice fresh=1"
    c.agent = "another-agent/2"
    assert c.me() == "user=alice fresh=0"
    assert c.get("/fresh/file.txt").status == 302


def test_strong_protection_logs_out_when_the_agent_changes(site):
    c = Client(site, "strong.test")
    c.login()
    assert c.me() == "user=alice fresh=1"
    copied = dict(c.cookies)
    thief = Client(site, "strong.test", agent="thief/1")
    thief.cookies = copied
    assert thief.me() == "anonymous"
    assert thief.get("/private/file.txt").status == 401
    # the owner is still logged in
    assert c.me() == "user=alice fresh=1"


def test_forwarded_for_changes_the_identifier_as_in_flask_login(site):
    c = Client(site, "strong.test")
    c.request("POST", "/login", form={"username": "alice", "password": "wonderland"},
              headers={"X-Forwarded-For": "203.0.113.9, 10.0.0.1"})
    assert c.me(headers={"X-Forwarded-For": "203.0.113.9"}) == "user=alice fresh=1"
    assert c.me() == "anonymous"


# ---- configuration -------------------------------------------------------------------

@pytest.mark.parametrize("line, words", [
    ("CtxLoginURL https://evil.test/login", ["CtxLoginURL", "local path"]),
    ("CtxLoginURL //evil.test", ["CtxLoginURL", "local path"]),
    ("CtxRefreshURL login", ["CtxRefreshURL", "local path"]),
    ("CtxLoginProtection paranoid", ["CtxLoginProtection", "off, basic or strong"]),
    ("<Location /x>\nAuthType ctx\nRequire ctx-fresh now\n</Location>",
     ["ctx-fresh takes no argument"]),
])
def test_bad_login_directives_fail_apachectl(make_server, line, words):
    srv = make_server(f"CtxSecretKey {KEY}\n{line}\n", start=False, modules=("authn_core",))
    rc, out = srv.check_config()
    assert rc != 0
    for w in words:
        assert w in out, out


def test_identifier_follows_the_headers_on_one_keep_alive_connection(site):
    """The identifier is cached per connection: a request with another
    User-Agent on the same connection still counts as another client."""
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=30)
    try:
        def ask(method, path, agent, cookie=None, body=None):
            hdrs = {"Host": "strong.test", "User-Agent": agent}
            if cookie:
                hdrs["Cookie"] = cookie
            if body:
                hdrs["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return resp, resp.read().decode().strip()

        resp, _ = ask("POST", "/login", "agent-a",
                      body="username=alice&password=wonderland")
        cookie = resp.getheader("Set-Cookie").split(";", 1)[0]
        assert ask("GET", "/me", "agent-a", cookie)[1] == "user=alice fresh=1"
        assert ask("GET", "/me", "agent-b", cookie)[1] == "anonymous"
        assert ask("GET", "/me", "agent-a", cookie)[1] == "user=alice fresh=1"
    finally:
        conn.close()

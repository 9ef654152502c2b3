"""Sessions behind httpd's own cache (security review #10.1): a response that
read the session varies with the Cookie header before mod_cache stores it,
and one that set or deleted the session cookie is stored by no shared cache.

The server has mod_cache with shmcb storage in front of the example module,
and mod_expires makes every answer cacheable for an hour, as an
administrator who enables caching site-wide would."""
import json
import re

import pytest

KEY = "caching-test-key-0123456789abcdefghijklmnop"
CONFIG = f"""
CtxSecretKey "{KEY}"
CtxSession On
CacheEnable socache /
CacheSocache shmcb
CacheHeader On
CacheDetailHeader On
CacheIgnoreNoLastMod On
ExpiresActive On
ExpiresDefault "access plus 1 hour"
<LocationMatch "^/(home|counter|session)">
    SetHandler ctx-example
</LocationMatch>
"""
MODULES = ("socache_shmcb", "cache", "cache_socache", "expires")


@pytest.fixture
def cached(make_server):
    return make_server(CONFIG, modules=MODULES)


def set_cookie_of(resp):
    for v in resp.header_all("set-cookie"):
        m = re.match(r"session=([^;]*)", v)
        if m:
            return m.group(1)
    return None


def cache_status(resp):
    return resp.header("x-cache") or ""


def get(srv, path, cookie=None):
    return srv.get(path, headers={"Cookie": f"session={cookie}"} if cookie else {})


def test_the_cache_is_really_in_front(cached):
    # Without this, the tests below would pass for the wrong reason.
    first, second = get(cached, "/home?page=7"), get(cached, "/home?page=7")
    assert first.status == second.status == 200
    assert "HIT" in cache_status(second), second.headers


def test_a_users_session_page_is_never_served_to_another_client(cached):
    alice = set_cookie_of(get(cached, "/session/set?user=alice"))
    bob = set_cookie_of(get(cached, "/session/set?user=bob"))
    assert alice and bob
    for _ in range(3):     # the first may be stored; the next could be hits
        a = get(cached, "/session", alice)
        assert json.loads(a.text)["user"] == "alice"
    b = get(cached, "/session", bob)
    assert json.loads(b.text)["user"] == "bob", (b.text, b.headers)
    anon = get(cached, "/session")
    assert "alice" not in anon.text and "bob" not in anon.text, anon.text
    assert any("cookie" in v.lower() for v in a.header_all("vary")), a.headers


def test_a_response_that_sets_the_session_cookie_is_private_and_not_stored(cached):
    r1 = get(cached, "/session/set?user=carol")
    assert set_cookie_of(r1)
    assert "private" in (r1.header("cache-control") or ""), r1.headers
    assert "HIT" not in cache_status(r1)
    # The same URL again, without a cookie: answered by the module, not
    # carol's Set-Cookie from the cache.
    r2 = get(cached, "/session/set?user=carol")
    assert "HIT" not in cache_status(r2), r2.headers
    assert set_cookie_of(r2)


def test_a_logout_that_deletes_the_cookie_is_not_stored(cached):
    dave = set_cookie_of(get(cached, "/session/set?user=dave"))
    out = get(cached, "/session/clear", dave)
    assert "private" in (out.header("cache-control") or ""), out.headers
    erin = set_cookie_of(get(cached, "/session/set?user=erin"))
    again = get(cached, "/session/clear", erin)
    assert "HIT" not in cache_status(again), again.headers
    assert any(v.startswith("session=;") for v in again.header_all("set-cookie")), again.headers


def test_pages_that_never_touch_the_session_stay_cacheable(cached):
    get(cached, "/home?page=9", "whatever")
    r = get(cached, "/home?page=9", "whatever")
    assert "HIT" in cache_status(r), r.headers
    assert not any("cookie" in v.lower() for v in r.header_all("vary"))


def test_a_page_whose_include_reads_the_session_is_not_served_to_another_client(
        make_server, workdir):
    # mod_include sends the page's headers (through mod_cache's save filter)
    # before its first include runs: a session read there comes too late
    # for Vary: Cookie, so the page must not be stored at all. Disk storage
    # (socache declines this chunked page anyway).
    doc, cache = workdir / "doc", workdir / "cache"
    for d in (doc, cache):
        d.mkdir()
    doc.chmod(0o755)
    cache.chmod(0o777)
    (doc / "me.shtml").write_text('<!--#include virtual="/t/on/session-op?get=user" -->')
    (doc / "me.shtml").chmod(0o644)
    srv = make_server(f"""
CtxSecretKey "{KEY}"
TypesConfig /dev/null
DocumentRoot "{doc}"
CacheEnable disk /
CacheRoot "{cache}"
CacheHeader On
CacheDetailHeader On
CacheIgnoreNoLastMod On
ExpiresActive On
ExpiresDefault "access plus 1 hour"
<Directory "{doc}">
    Options +Includes
    AddOutputFilter INCLUDES .shtml
</Directory>
<Location /t/on>
    CtxSession On
</Location>
""", modules=("include", "mime", "cache", "cache_disk", "expires"))
    login = srv.get("/t/on/session-op?set=user&value=alice")
    alice = set_cookie_of(login)
    assert alice, login.headers
    for _ in range(3):
        a = get(srv, "/me.shtml", alice)
        assert "value=alice" in a.text, a.text
    anon = get(srv, "/me.shtml")
    assert "alice" not in anon.text, (anon.text, anon.headers)
    # the cache itself still works for this page's neighbours
    (doc / "plain.shtml").write_text("static\n")
    (doc / "plain.shtml").chmod(0o644)
    get(srv, "/plain.shtml")
    assert "HIT" in cache_status(get(srv, "/plain.shtml"))


@pytest.mark.parametrize("quick", ["On", "Off"])
def test_a_page_that_reads_the_session_and_redirects_internally_is_not_shared(
        make_server, workdir, quick):
    # A handler reads the session, then hands over to another page with
    # ap_internal_redirect (not logged in: the login page), which reads it
    # too. The redirect starts a new headers_out, and mod_cache stores its
    # answer under the page's URL and the target's: both must vary on the
    # cookie.
    cache = workdir / "cache"
    cache.mkdir()
    cache.chmod(0o777)
    srv = make_server(f"""
CtxSecretKey "{KEY}"
CtxSession On
CacheQuickHandler {quick}
CacheEnable disk /
CacheRoot "{cache}"
CacheHeader On
CacheIgnoreNoLastMod On
ExpiresActive On
ExpiresDefault "access plus 1 hour"
""", modules=("cache", "cache_disk", "expires"))
    alice = set_cookie_of(srv.get("/t/session-op?set=user&value=alice"))
    assert alice
    page = "/t/a/session-op?get=user&redirect=/t/b/session-op%3Fget%3Duser"
    for _ in range(3):
        a = get(srv, page, alice)
        assert "value=alice" in a.text, a.text
    for path in (page, "/t/b/session-op?get=user"):
        anon = get(srv, path)
        assert "alice" not in anon.text, (path, anon.text, anon.headers)


# ---- a response ended with an error bucket (mod_proxy's failed backend) ------------------
#
# The handler changes or reads the session, then passes an error bucket and
# EOS: httpd's header filter answers with ap_die(502), a canned error response
# that starts its headers over. The session's headers must be on that
# response, exactly as on a normal one (Flask saves the session of an error
# response too).

ERRBUCKET_CONFIG = f"""
CtxSecretKey "{KEY}"
CtxSession On
<Location /session>
    SetHandler ctx-example
</Location>
<Location /t/errdoc>
    ErrorDocument 502 /t/session-op?get=user&set=seen&value=yes
</Location>
"""


@pytest.fixture
def errbucket(make_server):
    return make_server(ERRBUCKET_CONFIG)


def vary_has_cookie(resp):
    return any(t.strip().lower() in ("cookie", "*")
               for v in resp.header_all("vary") for t in v.split(","))


def stored(srv, cookie):
    r = get(srv, "/session", cookie)
    assert r.status == 200, (r.status, r.text)
    return json.loads(r.text)


def test_an_error_bucket_response_carries_the_changed_session(errbucket):
    r = errbucket.get("/t/session-errbucket?set=user&value=alice")
    assert r.status == 502, (r.status, r.headers)
    alice = set_cookie_of(r)
    assert alice, r.headers
    assert len(r.header_all("set-cookie")) == 1, r.headers
    assert vary_has_cookie(r), r.headers
    assert "private" in (r.header("cache-control") or ""), r.headers
    assert stored(errbucket, alice) == {"user": "alice"}
    # A change of an existing session, the same way.
    r = get(errbucket, "/t/session-errbucket?set=user&value=bob", alice)
    assert r.status == 502
    bob = set_cookie_of(r)
    assert bob and bob != alice, r.headers
    assert vary_has_cookie(r), r.headers
    assert "private" in (r.header("cache-control") or ""), r.headers
    assert stored(errbucket, bob) == {"user": "bob"}
    # HEAD: the error response has no body, the headers are the same.
    r = errbucket.get("/t/session-errbucket?set=user&value=hal", method="HEAD")
    assert r.status == 502
    assert vary_has_cookie(r), r.headers
    assert stored(errbucket, set_cookie_of(r)) == {"user": "hal"}


def test_an_error_bucket_response_of_a_session_only_read_adds_no_cookie(errbucket):
    carol = set_cookie_of(errbucket.get("/t/session-op?set=user&value=carol"))
    assert carol
    r = get(errbucket, "/t/session-errbucket?get=user", carol)
    assert r.status == 502, (r.status, r.headers)
    assert not r.header_all("set-cookie"), r.headers
    assert vary_has_cookie(r), r.headers           # the page read the session
    assert "private" not in (r.header("cache-control") or ""), r.headers
    # Nor a page that never touched it.
    r = get(errbucket, "/t/session-errbucket", carol)
    assert r.status == 502
    assert not r.header_all("set-cookie") and not vary_has_cookie(r), r.headers


def test_an_error_bucket_after_body_data_in_the_same_brigade_still_saves(errbucket):
    # httpd's header filter answers the whole brigade with ap_die: the data
    # before the bucket goes nowhere, the error response carries the session.
    r = errbucket.get("/t/session-errbucket?set=user&value=eve&data=1")
    assert r.status == 502, (r.status, r.headers)
    assert len(r.header_all("set-cookie")) == 1, r.headers
    assert vary_has_cookie(r), r.headers
    assert "private" in (r.header("cache-control") or ""), r.headers
    assert stored(errbucket, set_cookie_of(r)) == {"user": "eve"}


CTX_ETOOLATE = 120000 + 4300 + 2    # APR_OS_START_USERERR + 4300 + 2 (mod_ctx.h)


def test_an_error_bucket_after_the_headers_left_keeps_the_first_save(errbucket):
    # The headers went out with the first flushed data, carrying the change
    # made before them; a change after that is refused, never lost silently.
    # (A 500 bucket after the headers ends nothing: the body completes.)
    errbucket.expect_log(r"session set 'seen' after the response headers were sent")
    r = errbucket.get("/t/session-errbucket?set=user&value=frank&flush=1"
                      "&status=500&late=seen")
    assert r.status == 200, (r.status, r.headers)
    assert len(r.header_all("set-cookie")) == 1, r.headers
    assert vary_has_cookie(r), r.headers
    assert f"late_rv={CTX_ETOOLATE}" in r.text, r.text
    assert stored(errbucket, set_cookie_of(r)) == {"user": "frank"}


def test_an_error_bucket_answered_by_an_error_document_saves_both_changes_once(errbucket):
    # ErrorDocument turns the ap_die into an internal redirect: the error
    # document sees the change made before the error, makes its own, and one
    # Set-Cookie carries both.
    r = errbucket.get("/t/errdoc/session-errbucket?set=user&value=dave")
    assert r.status == 502, (r.status, r.headers, r.text)
    assert r.fields() == {"set_status": "0", "get_status": "0", "value": "dave"}, r.text
    assert len(r.header_all("set-cookie")) == 1, r.headers
    assert vary_has_cookie(r), r.headers
    assert stored(errbucket, set_cookie_of(r)) == {"user": "dave", "seen": "yes"}


def test_an_error_bucket_response_over_http2_carries_the_changed_session(make_server):
    # mod_http2's request goes through its own response filters: the error
    # bucket must still end in an error response that saves.
    srv = make_server("Protocols h2c http/1.1\n" + ERRBUCKET_CONFIG, modules=("http2",))
    srv.expect_log(r"\[http2:warn\].*AH10034")      # prefork: advisory only
    res = srv.curl("--http2-prior-knowledge", "-s", "-D", "-", "-o", "/dev/null",
                   f"http://127.0.0.1:{srv.port}/t/session-errbucket?set=user&value=ivy")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("HTTP/2 502"), res.stdout
    headers = [line.split(":", 1) for line in lines[1:] if ":" in line]
    cookies = [v.strip() for k, v in headers if k.lower() == "set-cookie"]
    assert len(cookies) == 1 and cookies[0].startswith("session="), res.stdout
    assert any(k.lower() == "vary" and "cookie" in v.lower() for k, v in headers), res.stdout
    ivy = re.match(r"session=([^;]*)", cookies[0]).group(1)
    assert stored(srv, ivy) == {"user": "ivy"}

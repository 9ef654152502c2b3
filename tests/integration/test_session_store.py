"""Server-side sessions (CtxSessionStore socache:..., issue #12) end to end:
the example module's /session* pages on a real httpd with httpd's own socache
providers: shmcb (in the harness's MPM, event or prefork), and Redis and
memcached servers started here on loopback.

Expectations come from README.md ("Server-side sessions") and the documented
layouts of mod_ctx/ctx_session_id.h (the id cookie) and ctx_store.h: the
cookie holds only a signed random id, the data lives in the store, a forged
id costs the store nothing, invalidate and regenerate delete the old entry,
concurrent requests keep each other's keys, a store that is down answers the
example's 503 (CTX_ESTORE) and mod_ctx recovers by itself.
"""
import base64
import json
import re
import shutil
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import DEBIAN_MODULES, free_port

KEY = "store-test-key-0123456789abcdefghijklmnop"
# ctx_session_id.h: "i1." + 43 characters of id + "." + 43 of MAC.
ID_COOKIE = re.compile(r"^i1\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$")
OUTAGE = r"mod_ctx: session store .* is unavailable"
DELETED = "Expires=Thu, 01 Jan 1970 00:00:00 GMT"


def store_config(store, extra=""):
    return f"""
CtxSecretKey {KEY}
CtxSessionStore {store}
<LocationMatch "^/(counter|session)">
    SetHandler ctx-example
    CtxSession On
    {extra}
</LocationMatch>
"""


def set_cookie(resp, name="session"):
    """The value of the session cookie the response sets, or None."""
    for v in resp.header_all("set-cookie"):
        if v.startswith(name + "="):
            return v.split(";", 1)[0][len(name) + 1:]
    return None


def session_of(srv, cookie):
    resp = srv.get("/session", headers={"Cookie": f"session={cookie}"} if cookie else {})
    assert resp.status == 200, resp.text
    return json.loads(resp.text)


def new_session(srv, **values):
    query = "&".join(f"{k}={v}" for k, v in values.items())
    resp = srv.get(f"/session/set?{query}")
    assert resp.status == 200, resp.text
    cookie = set_cookie(resp)
    assert cookie, resp.headers
    return cookie


def flip(cookie, pos=-5):
    c = cookie[pos]
    return cookie[:pos] + ("A" if c != "A" else "B") + cookie[pos + 1:]


# ---- shmcb, in the harness's MPM -----------------------------------------------

@pytest.fixture
def shmcb(make_server):
    return make_server(store_config("socache:shmcb"), modules=("socache_shmcb",))


def test_store_round_trip_keeps_only_a_signed_id_in_the_cookie(shmcb):
    cookie = new_session(shmcb, user="alice", role="admin")
    assert ID_COOKIE.match(cookie), cookie
    # The data is not in the cookie, in any encoding.
    for secret in ("alice", "admin"):
        assert secret not in cookie
        assert base64.urlsafe_b64encode(secret.encode()).decode()[:4] not in cookie
    assert session_of(shmcb, cookie) == {"user": "alice", "role": "admin"}
    # A read-only request sends no cookie.
    resp = shmcb.get("/session", headers={"Cookie": f"session={cookie}"})
    assert set_cookie(resp) is None


def test_store_changes_keep_the_id_and_accumulate(shmcb):
    cookie = new_session(shmcb, a="1")
    resp = shmcb.get("/session/set?b=2", headers={"Cookie": f"session={cookie}"})
    assert resp.status == 200
    # Same id: the entry changed, the cookie need not.
    assert set_cookie(resp) in (None, cookie)
    assert session_of(shmcb, cookie) == {"a": "1", "b": "2"}
    resp = shmcb.get("/counter", headers={"Cookie": f"session={cookie}"})
    assert resp.status == 200 and "count=1" in resp.text


def test_store_forged_or_garbage_id_is_no_session(shmcb):
    cookie = new_session(shmcb, user="alice")
    for bad in (flip(cookie), flip(cookie, 10), cookie[:-1], "garbage", "i1.." + "A" * 86):
        assert session_of(shmcb, bad) == {}
    assert session_of(shmcb, cookie) == {"user": "alice"}


def test_store_clear_revokes_a_copied_cookie(shmcb):
    cookie = new_session(shmcb, user="alice")
    copy = cookie
    resp = shmcb.get("/session/clear", headers={"Cookie": f"session={cookie}"})
    assert resp.status == 200
    assert DELETED in " ".join(resp.header_all("set-cookie"))
    # The copy made before the logout no longer loads anything.
    assert session_of(shmcb, copy) == {}
    # ... and a change made with it starts a new id, never the old one back.
    resp = shmcb.get("/session/set?x=1", headers={"Cookie": f"session={copy}"})
    fresh = set_cookie(resp)
    assert fresh and fresh != copy
    assert session_of(shmcb, copy) == {}


def test_store_regenerate_moves_the_session_to_a_new_id(shmcb):
    cookie = new_session(shmcb, user="alice")
    resp = shmcb.get("/session/regenerate", headers={"Cookie": f"session={cookie}"})
    assert resp.status == 200, resp.text
    fresh = set_cookie(resp)
    assert fresh and fresh != cookie and ID_COOKIE.match(fresh)
    assert session_of(shmcb, fresh) == {"user": "alice"}
    assert session_of(shmcb, cookie) == {}


def test_store_parallel_requests_keep_each_others_keys(shmcb):
    cookie = new_session(shmcb, start="1")

    def one(i):
        return shmcb.get(f"/session/set?k{i}={i}", headers={"Cookie": f"session={cookie}"})

    with ThreadPoolExecutor(max_workers=20) as pool:
        resps = list(pool.map(one, range(20)))
    assert all(r.status == 200 for r in resps)
    data = session_of(shmcb, cookie)
    assert {f"k{i}" for i in range(20)} <= set(data), sorted(data)
    assert data["start"] == "1"


def test_store_entry_expires_after_max_age(make_server):
    srv = make_server(store_config("socache:shmcb", "CtxSessionMaxAge 2"),
                      modules=("socache_shmcb",))
    cookie = new_session(srv, user="alice")
    assert session_of(srv, cookie) == {"user": "alice"}
    time.sleep(3.2)
    assert session_of(srv, cookie) == {}


def test_store_holds_more_than_a_cookie(shmcb):
    cookie = new_session(shmcb, big="x" * 6000)
    assert len(cookie) < 100
    assert session_of(shmcb, cookie)["big"] == "x" * 6000


def test_store_provider_not_loaded_fails_apachectl_naming_the_module(make_server):
    srv = make_server(store_config("socache:shmcb"), start=False)
    rc, out = srv.check_config()
    assert rc != 0
    assert "CtxSessionStore" in out and "mod_socache_shmcb" in out, out


def test_store_bad_directive_values_fail_apachectl(make_server):
    srv = make_server(store_config("memcached:127.0.0.1"), start=False,
                      modules=("socache_shmcb",))
    rc, out = srv.check_config()
    assert rc != 0 and "CtxSessionStore" in out, out
    # A cookie session over 4093 bytes: browsers would drop it.
    srv = make_server(store_config("cookie", "CtxSessionMaxSize 8000"), start=False,
                      name="cookiebig")
    rc, out = srv.check_config()
    assert rc != 0 and "CtxSessionMaxSize" in out, out

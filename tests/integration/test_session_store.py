"""Server-side sessions (CtxSessionStore socache:..., issue #12) end to end:
the example module's /session* pages on a real httpd with httpd's own socache
providers: shmcb (in the harness's MPM, event or prefork), and Redis and
memcached servers started here on loopback.

Expectations come from docs/sessions.md ("Server-side sessions") and the documented
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
    """20 parallel requests of one session, each setting its own key: all 20
    are kept (several rounds: a lost update shows in one of them)."""
    cookie = new_session(shmcb, start="1")
    for rnd in range(4):
        def one(i):
            return shmcb.get(f"/session/set?r{rnd}k{i}={i}",
                             headers={"Cookie": f"session={cookie}"})

        with ThreadPoolExecutor(max_workers=20) as pool:
            resps = list(pool.map(one, range(20)))
        assert all(r.status == 200 for r in resps)
        data = session_of(shmcb, cookie)
        missing = {f"r{r}k{i}" for r in range(rnd + 1) for i in range(20)} - set(data)
        assert not missing, f"round {rnd}: lost {sorted(missing)}"
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
    # The store's deadline: a duration from 10 ms to 300 s.
    for i, bad in enumerate(("soon", "0", "5ms", "301", "-1")):
        srv = make_server(f"CtxSessionStoreTimeout {bad}\n" + store_config("socache:shmcb"),
                          start=False, modules=("socache_shmcb",), name=f"timeout{i}")
        rc, out = srv.check_config()
        assert rc != 0 and "CtxSessionStoreTimeout" in out and bad in out, out
    for i, good in enumerate(("off", "500ms", "2")):
        srv = make_server(f"CtxSessionStoreTimeout {good}\n" + store_config("socache:shmcb"),
                          start=False, modules=("socache_shmcb",), name=f"timeout-ok{i}")
        rc, out = srv.check_config()
        assert rc == 0, out


# ---- Redis and memcached, started here on loopback -------------------------------

def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


class Redis:
    """A redis-server of this test only: 127.0.0.1, its own port and dir."""

    def __init__(self, workdir):
        assert shutil.which("redis-server"), \
            "redis-server is missing: tools/setup-debian installs it"
        self.port = free_port()
        self.dir = Path(workdir) / f"redis-{self.port}"
        self.dir.mkdir()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
             "--dir", str(self.dir), "--save", "", "--appendonly", "no",
             "--protected-mode", "yes", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)
        return self

    def cli(self, *args):
        res = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args],
                             capture_output=True, text=True, timeout=10)
        return res.stdout

    def stop(self, save=False):
        """Stop the server (saving its data to disk first when asked)."""
        if self.proc and self.proc.poll() is None:
            if save:
                self.cli("shutdown", "save")
                self.proc.wait(timeout=10)
            else:
                self.proc.terminate()
                self.proc.wait(timeout=10)

    def commands(self):
        """Calls per command since the start (INFO commandstats), without the
        INFO calls of this test."""
        counts = {}
        for m in re.finditer(r"cmdstat_(\w+):calls=(\d+)", self.cli("info", "commandstats")):
            if m.group(1) not in ("info",):
                counts[m.group(1)] = int(m.group(2))
        return counts


@pytest.fixture
def redis(workdir):
    r = Redis(workdir).start()
    yield r
    r.stop()


def redis_config(redis, extra=""):
    return store_config(f"socache:redis:127.0.0.1:{redis.port}", extra)


def test_redis_two_servers_share_one_store(make_server, redis):
    a = make_server(redis_config(redis), modules=("socache_redis",), name="A")
    # B calls Redis in its request threads (no deadline, no hand-off).
    b = make_server("CtxSessionStoreTimeout off\n" + redis_config(redis),
                    modules=("socache_redis",), name="B")
    cookie = new_session(a, user="alice")
    assert session_of(b, cookie) == {"user": "alice"}
    resp = b.get("/session/set?cart=3", headers={"Cookie": f"session={cookie}"})
    assert resp.status == 200
    assert session_of(a, cookie) == {"user": "alice", "cart": "3"}
    # Logout on A revokes the cookie on B too.
    resp = a.get("/session/clear", headers={"Cookie": f"session={cookie}"})
    assert resp.status == 200
    assert session_of(b, cookie) == {}
    assert session_of(a, cookie) == {}


def test_redis_forged_id_costs_the_store_nothing(make_server, redis):
    srv = make_server(redis_config(redis), modules=("socache_redis",))
    cookie = new_session(srv, user="alice")
    before = redis.commands()
    for bad in (flip(cookie), flip(cookie, 10), cookie[:-2], "x" * 90, "i1." + "A" * 87):
        assert session_of(srv, bad) == {}
    assert redis.commands() == before
    # A read-only request of a real session: exactly one read, no write.
    assert session_of(srv, cookie) == {"user": "alice"}
    after = redis.commands()
    changed = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
    changed = {k: v for k, v in changed.items() if v}
    assert changed == {"get": 1}, changed


def test_redis_outage_answers_503_and_recovers(make_server, redis):
    srv = make_server(redis_config(redis), modules=("socache_redis",))
    srv.expect_log(OUTAGE)
    # mod_socache_redis's own lines about a server it cannot reach.
    srv.expect_log(r"\[socache_redis:")
    cookie = new_session(srv, user="alice")
    redis.stop(save=True)
    outage_requests = 12
    for _ in range(outage_requests):
        resp = srv.get("/session", headers={"Cookie": f"session={cookie}"})
        assert resp.status == 503, resp.text
        assert "session store unavailable" in resp.text
        # The client keeps its cookie: nothing is set or deleted.
        assert set_cookie(resp) is None
    # A request without a session cookie needs no store: still served.
    assert session_of(srv, None) == {}
    lines = srv.log_lines(OUTAGE)
    assert 1 <= len(lines) <= 4, lines     # one per outage per child
    redis.start()
    # mod_ctx probes once a second; apr_redis retries a dead server itself
    # after a few seconds. Bounded wait for the session to come back.
    deadline = time.monotonic() + 30
    while True:
        resp = srv.get("/session", headers={"Cookie": f"session={cookie}"})
        if resp.status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert resp.status == 200, resp.text
    assert json.loads(resp.text) == {"user": "alice"}    # saved to disk, reloaded
    assert srv.wait_log(r"mod_ctx: session store .* is back", timeout=5)


# ---- memcached -------------------------------------------------------------------

@pytest.fixture
def memcached(workdir):
    assert shutil.which("memcached"), "memcached is missing: tools/setup-debian installs it"
    port = free_port()
    proc = subprocess.Popen(["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0",
                             "-u", "nobody", "-m", "16"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def test_memcached_round_trip_regenerate_and_revocation(make_server, memcached):
    srv = make_server(store_config(f"socache:memcache:127.0.0.1:{memcached}"),
                      modules=("socache_memcache",))
    cookie = new_session(srv, user="alice")
    assert ID_COOKIE.match(cookie)
    assert session_of(srv, cookie) == {"user": "alice"}
    resp = srv.get("/session/regenerate", headers={"Cookie": f"session={cookie}"})
    fresh = set_cookie(resp)
    assert fresh and fresh != cookie
    assert session_of(srv, cookie) == {}
    assert session_of(srv, fresh) == {"user": "alice"}
    srv.get("/session/clear", headers={"Cookie": f"session={fresh}"})
    assert session_of(srv, fresh) == {}


# ---- configuration -----------------------------------------------------------------

def test_store_encrypted_format_round_trip_and_revocation(make_server):
    srv = make_server(store_config("socache:shmcb", "CtxSessionFormat encrypted"),
                      modules=("socache_shmcb",))
    cookie = new_session(srv, user="alice")
    assert ID_COOKIE.match(cookie)
    assert session_of(srv, cookie) == {"user": "alice"}
    srv.get("/session/clear", headers={"Cookie": f"session={cookie}"})
    assert session_of(srv, cookie) == {}


def test_store_mutex_is_configured_by_the_mutex_directive(make_server):
    # httpd refuses a Mutex line for a type nobody registered: this one is
    # known (ap_mutex_register), and the store works under the chosen lock.
    srv = make_server("Mutex posixsem ctx-session-store\n" + store_config("socache:shmcb"),
                      modules=("socache_shmcb",), start=False)
    rc, out = srv.check_config()
    assert rc == 0, out
    srv.start()
    cookie = new_session(srv, user="alice")
    assert session_of(srv, cookie) == {"user": "alice"}


def test_store_refuses_the_flask_format(make_server):
    srv = make_server(store_config("socache:shmcb", "CtxSessionFormat flask"), start=False,
                      modules=("socache_shmcb",))
    rc, out = srv.check_config()
    assert rc != 0 and "CtxSessionFormat flask" in out and "CtxSessionStore" in out, out


def test_store_vhost_with_cookie_keeps_cookie_sessions(make_server):
    """The main server's store is inherited; `CtxSessionStore cookie` in a
    vhost gives it today's cookie sessions (the data in the cookie)."""
    body = store_config("socache:shmcb") + """
<VirtualHost *>
    ServerName cookie.test
    CtxSessionStore cookie
</VirtualHost>
<VirtualHost *>
    ServerName stored.test
</VirtualHost>
"""
    srv = make_server(body, modules=("socache_shmcb",))
    resp = srv.get("/session/set?user=alice", host="cookie.test")
    cookie = set_cookie(resp)
    assert cookie and not ID_COOKIE.match(cookie) and cookie.startswith("s2."), cookie
    resp = srv.get("/session/set?user=alice", host="stored.test")
    assert ID_COOKIE.match(set_cookie(resp))


def test_store_default_max_size_fits_the_default_shmcb(shmcb):
    # Random text (little to compress) near the 16384-byte default: stored
    # and read back by the default shmcb; past the limit: refused (413) and
    # the stored session unchanged.
    import secrets
    parts = [secrets.token_urlsafe(4500) for _ in range(3)]
    cookie = new_session(shmcb, a=parts[0])
    resp = shmcb.get(f"/session/set?b={parts[1]}", headers={"Cookie": f"session={cookie}"})
    assert resp.status == 200, resp.status
    assert session_of(shmcb, cookie) == {"a": parts[0], "b": parts[1]}
    resp = shmcb.get(f"/session/set?c={parts[2]}", headers={"Cookie": f"session={cookie}"})
    assert resp.status == 413, resp.status
    assert session_of(shmcb, cookie) == {"a": parts[0], "b": parts[1]}


def test_store_survives_a_graceful_restart_of_httpd(make_server, redis):
    """Redis keeps sessions across a graceful restart; the shmcb store of the
    new generation works (httpd recreates its shared memory: docs/sessions.md)."""
    srv = make_server(redis_config(redis), modules=("socache_redis",))
    cookie = new_session(srv, user="alice")
    srv.graceful()
    assert session_of(srv, cookie) == {"user": "alice"}
    local = make_server(store_config("socache:shmcb"), modules=("socache_shmcb",),
                        name="shm")
    local.graceful()
    # A child of the old generation may still take a connection just after
    # the restart and write into the old generation's segment (prefork, a
    # loaded machine): the new generation's store must work once it serves
    # alone, so ask again for a bounded while.
    for _ in range(40):
        cookie = new_session(local, user="bob")
        if session_of(local, cookie) == {"user": "bob"}:
            break
        time.sleep(0.25)
    assert session_of(local, cookie) == {"user": "bob"}


# ---- background tasks (issue #12 item 8) ------------------------------------------

CTX_ETOOLATE = 120000 + 4300 + 2    # APR_OS_START_USERERR + 4300 + 2 (mod_ctx.h)
TASK_DONE = r"ctx_test session task:"


@pytest.fixture
def shmcb_t(make_server):
    """The test module's /t/session-json calls on a shmcb store."""
    return make_server(f"CtxSecretKey {KEY}\nCtxSessionStore socache:shmcb\n"
                       "<Location /t>\n    CtxSession On\n</Location>\n",
                       modules=("socache_shmcb",))


def json_call(srv, cookie, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    resp = srv.get("/t/session-json?" + query,
                   headers={"Cookie": f"session={cookie}"} if cookie else {})
    assert resp.status == 200, resp.text
    fields = dict(line.split("=", 1) for line in resp.text.splitlines() if "=" in line)
    return resp, fields


def test_store_task_changes_are_merged_into_the_session(shmcb_t):
    """A task's set and append reach the stored session when it ends, and the
    key its request set itself is kept beside them (the journal merge)."""
    resp, f = json_call(shmcb_t, None, op="set-json", k="a", v='"1"')
    cookie = set_cookie(resp)
    assert f["rv"] == "0" and cookie
    resp, f = json_call(shmcb_t, cookie, op="task", k="mine", v='"req"')
    assert f["rv"] == "0"
    done = shmcb_t.wait_log(TASK_DONE)
    assert done, "the task did not run"
    assert "set=0 append=0" in done[-1], done
    # The save follows fn: poll, bounded, until it is there.
    deadline = time.monotonic() + 10
    while True:
        _, f = json_call(shmcb_t, cookie, op="get-json", k="k")
        if f.get("value") == '"task"' or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert f.get("value") == '"task"', f
    for key, want in (("a", '"1"'), ("mine", '"req"'), ("l", "[1]")):
        _, f = json_call(shmcb_t, cookie, op="get-json", k=key)
        assert f.get("value") == want, (key, f)


def test_store_task_of_a_session_without_entry_is_read_only(shmcb_t):
    """A new session has no entry when the task is submitted: a new id could
    reach no client, so the task's session stays a read-only copy."""
    resp, f = json_call(shmcb_t, None, op="task", k="mine", v='"req"')
    assert f["rv"] == "0"
    done = shmcb_t.wait_log(TASK_DONE)
    assert done, "the task did not run"
    assert f"set={CTX_ETOOLATE} append={CTX_ETOOLATE}" in done[-1], done


# ---- the store failing: timeouts and background saves ---------------------------

CTX_ESTORE = 120000 + 4300 + 7      # APR_OS_START_USERERR + 4300 + 7 (mod_ctx.h)


class HangingServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers:
    a Redis that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
            except OSError:
                pass

    def close(self):
        self.done.set()
        self.thread.join(timeout=5)
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture
def hanging():
    h = HangingServer()
    yield h
    h.close()


# Neither provider's own timeout bounds a hanging server here: Debian 12's
# mod_socache_redis hands apr_redis RedisTimeout in microseconds and apr-util
# 1.6.3's apr_redis multiplies it by 10^6 again ("RedisTimeout 1" polls for
# 10^9 ms, seen with strace); apr_memcache reads without a timeout. mod_ctx
# bounds each call itself (CtxSessionStoreTimeout).
@pytest.mark.parametrize("provider", ["redis", "memcache"])
def test_store_that_hangs_answers_503_within_the_store_timeout(make_server, hanging,
                                                               provider):
    """A store that accepts and never answers: the request waits no longer
    than CtxSessionStoreTimeout, then gets CTX_ESTORE (the example's 503),
    not an empty session; the next request fails at once (the store is
    marked down) and the error log has one outage line."""
    timeout = 1.0
    # The same key and app on shmcb make a valid id for the hanging store's server.
    local = make_server(store_config("socache:shmcb"), modules=("socache_shmcb",),
                        name="local")
    cookie = new_session(local, user="alice")
    own = "RedisTimeout 1\n" if provider == "redis" else ""
    srv = make_server(f"CtxSessionStoreTimeout {timeout:g}\n{own}"
                      + store_config(f"socache:{provider}:127.0.0.1:{hanging.port}"),
                      modules=(f"socache_{provider}",), name="hang")
    srv.expect_log(OUTAGE)
    srv.expect_log(rf"\[socache_{provider}:")
    start = time.monotonic()
    resp = srv.get("/session", headers={"Cookie": f"session={cookie}"},
                   timeout=timeout + 5)
    elapsed = time.monotonic() - start
    assert resp.status == 503 and "session store unavailable" in resp.text, resp.text
    assert set_cookie(resp) is None
    assert hanging.conns, "the store was never asked"
    assert timeout - 0.1 <= elapsed < timeout + 1.5, \
        f"waited {elapsed:.1f} s for a {timeout:g} s timeout"
    # Marked down: the next request of this child does not wait again.
    start = time.monotonic()
    resp = srv.get("/session", headers={"Cookie": f"session={cookie}"},
                   timeout=timeout + 5)
    assert resp.status == 503, resp.text
    assert time.monotonic() - start < timeout + 1.5
    assert 1 <= len(srv.log_lines(OUTAGE)) <= 2


def test_store_task_save_failure_reaches_on_done(make_server, redis):
    """A background task changes a stored session, then the store goes away
    before the task returns: the merge after fn fails, and on_done
    (ctx_task_submit_ex) gets that failure, CTX_ESTORE, as the task's status
    although fn returned APR_SUCCESS."""
    srv = make_server(f"CtxSecretKey {KEY}\n"
                      f"CtxSessionStore socache:redis:127.0.0.1:{redis.port}\n"
                      "<Location /t>\n    CtxSession On\n</Location>\n",
                      modules=("socache_redis",))
    srv.expect_log(OUTAGE)
    srv.expect_log(r"\[socache_redis:")
    srv.expect_log(rf"background task .*op=task-ex.* failed: .*\(status {CTX_ESTORE}\)")
    resp, f = json_call(srv, None, op="set-json", k="a", v='"1"')
    cookie = set_cookie(resp)
    assert f["rv"] == "0" and cookie
    _, f = json_call(srv, cookie, op="task-ex", ms=1500)
    assert f["rv"] == "0", f
    # The task's set was made while the store was up; stop it before fn returns.
    started = srv.wait_log(r"ctx_test slow session task: set=")
    assert started and started[-1].endswith("set=0"), started
    redis.stop()
    done = srv.wait_log(r"ctx_test slow session task done:", timeout=15)
    assert done, "on_done was not called"
    assert f"outcome=ran status={CTX_ESTORE}" in done[-1], done

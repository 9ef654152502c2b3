"""Per-directory merges that a child keeps (mod_ctx_config.c): a section's
merge over a server's settings is made once and shared by later requests,
so each (server, section) pair must still get its own settings.

One <Location /counter> of the main server serves every virtual host; each
host names its own cookie and format, more hosts than a section keeps merges
for (CTX_MERGE_SLOTS, 8), so the last ones merge per request. Expected
values come from the configuration written here (docs/sessions.md: the
signed format's values start "s2.", the encrypted one's "e2.").
"""
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import MPM, make_server  # noqa: F401

KEY = "config-merge-test-key-0123456789abcdefghij"
FORMATS = ["signed", "encrypted", "flask"]
HOSTS = 12      # more than CTX_MERGE_SLOTS


def host(i):
    return f"h{i}.test"


def expected(i):
    """(cookie name, format, SameSite) that host i's /counter must use."""
    # h3's own LocationMatch also matches /counter (two sections merged).
    return f"c{i}", FORMATS[i % 3], "Strict" if i == 3 else "Lax"


def config(port):
    out = [f'CtxSecretKey "{KEY}"',
           # The main server's section, applied to every host: its own
           # setting (Path) merges with each host's name and format.
           "<Location /counter>",
           "    SetHandler ctx-example",
           "    CtxSession On",
           "    CtxSessionCookiePath /counter",
           "</Location>",
           f"<VirtualHost 127.0.0.1:{port}>\n    ServerName default.test\n"
           "</VirtualHost>"]
    for i in range(HOSTS):
        name, fmt, _ = expected(i)
        nested = ('    <LocationMatch "^/count">\n'
                  "        CtxSessionCookieSameSite Strict\n"
                  "    </LocationMatch>\n") if i == 3 else ""
        out.append(f"<VirtualHost 127.0.0.1:{port}>\n"
                   f"    ServerName {host(i)}\n"
                   f"    CtxSessionCookieName {name}\n"
                   f"    CtxSessionFormat {fmt}\n"
                   f"{nested}"
                   "</VirtualHost>")
    return "\n".join(out) + "\n"


def start(make_server, **kw):
    srv = make_server(start=False)
    srv.write_config(config(srv.port), **kw)
    srv.start()
    return srv


def set_cookie(resp):
    """The one Set-Cookie of a /counter answer: (name, value, attributes)."""
    assert resp.status == 200, (resp.status, resp.text)
    cookies = resp.header_all("set-cookie")
    assert len(cookies) == 1, cookies
    first, *attrs = [p.strip() for p in cookies[0].split(";")]
    name, value = first.split("=", 1)
    return name, value, attrs


def check_answer(resp, i, count):
    name, fmt, samesite = expected(i)
    assert resp.text == f"count={count}\n"
    got_name, value, attrs = set_cookie(resp)
    assert got_name == name
    assert "Path=/counter" in attrs
    assert f"SameSite={samesite}" in attrs
    prefix = {"signed": "s2.", "encrypted": "e2."}.get(fmt)
    if prefix:
        assert value.startswith(prefix), value
    else:
        assert not re.match(r"[se]2\.", value), value
    return value


def test_each_host_merges_the_shared_section_with_its_own_settings(make_server):
    srv = start(make_server)
    # Twice round the hosts: the second round is served by kept merges
    # (or, past the slots, merges per request); each replays its cookie.
    cookies = {}
    for rnd in (1, 2):
        for i in range(HOSTS):
            hdrs = {"Cookie": f"c{i}={cookies[i]}"} if i in cookies else {}
            resp = srv.get("/counter", host=host(i), headers=hdrs)
            cookies[i] = check_answer(resp, i, rnd)
    # A host without settings of its own: the defaults, with the section's.
    resp = srv.get("/counter", host="default.test")
    name, value, attrs = set_cookie(resp)
    assert (name, value[:3], "Path=/counter" in attrs) == ("session", "s2.", True)


def test_a_cookie_of_one_host_is_no_session_on_another(make_server):
    srv = start(make_server)
    _, v0, _ = set_cookie(srv.get("/counter", host=host(0)))
    # h6 is signed too but names its cookie c6: a c0 cookie is not its own.
    resp = srv.get("/counter", host=host(6), headers={"Cookie": f"c0={v0}"})
    assert resp.text == "count=1\n"
    assert set_cookie(resp)[0] == "c6"
    assert srv.get("/counter", host=host(0), headers={"Cookie": f"c0={v0}"}
                   ).text == "count=2\n"


def test_concurrent_first_requests_to_many_hosts_get_their_own_settings(make_server):
    """Worker threads fill the kept merges at once (event MPM: one child,
    many threads)."""
    one_child = ["StartServers 1", "ServerLimit 1", "ThreadLimit 32",
                 "ThreadsPerChild 32", "MaxRequestWorkers 32",
                 "MinSpareThreads 1", "MaxSpareThreads 32"]
    srv = start(make_server, mpm_conf=one_child if MPM == "event" else None)

    def one(job):
        i, rnd = job
        return i, srv.get("/counter", host=host(i))

    jobs = [(i, rnd) for rnd in range(6) for i in range(HOSTS)]
    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(one, jobs))
    assert len(results) == len(jobs)
    for i, resp in results:
        check_answer(resp, i, 1)

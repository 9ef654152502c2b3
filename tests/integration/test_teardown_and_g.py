"""Teardown callbacks and `g` under a real httpd: once per client request,
newest first, with the final status, after errors, redirects, aborted
connections and subrequests; g's operations, its pointer destructors and its
lifetime (one table per client request).

The test module (tests/modules/mod_ctx_test.c) logs one NOTICE line per
teardown callback ("ctx_test teardown tag=T i=I status=S aborted=A uri=U")
and per destroyed g pointer ("ctx_test g dtor tag=T ...").
"""
import http.client
import re
import socket
import struct
import time

TEARDOWN = re.compile(r"ctx_test teardown tag=(\S+) i=(\d+) status=(\d+) aborted=(-?\d+) "
                      r"uri=(\S+)")


def teardowns(srv):
    """{tag: [(i, status, aborted, uri), ...]} in log order."""
    out = {}
    for line in srv.log_lines(TEARDOWN.pattern):
        tag, i, status, aborted, uri = TEARDOWN.search(line).groups()
        out.setdefault(tag, []).append((int(i), int(status), int(aborted), uri))
    return out


def dtor_tags(srv):
    return [re.search(r"g dtor tag=(\S+)", l).group(1)
            for l in srv.log_lines(r"ctx_test g dtor tag=")]


def write_site(workdir, files):
    doc = workdir / "doc"
    doc.mkdir(exist_ok=True)
    doc.chmod(0o755)
    for name, text in files.items():
        (doc / name).write_text(text)
        (doc / name).chmod(0o644)
    return doc


# ---- 7. teardown ------------------------------------------------------------


def test_teardown_runs_once_newest_first_with_the_final_status(make_server):
    srv = make_server("""
<Location /t/ed>
    ErrorDocument 404 /t/whoami?tag=err404
    ErrorDocument 500 /t/whoami?tag=err500
</Location>
""")
    # A failing callback is logged by mod_ctx, naming the request.
    srv.expect_log(r"\[ctx:error\].*mod_ctx: teardown callback #\d+ of GET "
                   r"/t/teardown\?tag=fail&n=3&fail=2 HTTP/1.1 failed")
    cases = [  # path, expected status, tag, n
        ("/t/teardown?tag=ok&n=3", 200, "ok", 3),
        ("/t/teardown?tag=one", 200, "one", 1),
        ("/t/teardown?tag=e500&n=2&code=500", 500, "e500", 2),
        ("/t/teardown?tag=e404&n=2&code=404", 404, "e404", 2),
        ("/t/teardown?tag=fail&n=3&fail=2", 200, "fail", 3),
        # ErrorDocument: an internal redirect; teardown runs once for the
        # chain, with the last request's status and context.
        ("/t/ed/teardown?tag=ed404&n=2&code=404", 404, "ed404", 2),
        ("/t/ed/teardown?tag=ed500&n=2&code=500", 500, "ed500", 2),
    ]
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=15)
    try:
        for path, status, _, _ in cases:
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read().decode()
            assert resp.status == status, (path, resp.status, body)
            if "/t/ed/" in path:
                assert f"arg_tag=err{status}" in body and "is_redirect=1" in body, body
    finally:
        conn.close()
    total = sum(n for *_, n in cases)
    assert len(srv.wait_log(TEARDOWN.pattern, count=total, timeout=10)) >= total
    srv.stop()      # every request is over: no callback can come late
    seen = teardowns(srv)
    assert sorted(seen) == sorted(tag for _, _, tag, _ in cases), seen
    for path, status, tag, n in cases:
        calls = seen[tag]
        # Once each, newest registration first, all with the final status.
        assert [i for i, *_ in calls] == list(range(n, 0, -1)), (tag, calls)
        assert {(s, a) for _, s, a, _ in calls} == {(status, 0)}, (tag, calls)
        # The context the callbacks get is the last request of the chain.
        uri = "/t/whoami" if "/t/ed/" in path else "/t/teardown"
        assert {u for *_, u in calls} == {uri}, (tag, calls)
    # The failure of callback 2 was logged once and did not stop callback 1.
    assert len(srv.log_lines(r"teardown callback #\d+ of GET /t/teardown\?tag=fail")) == 1


def test_teardown_runs_after_the_client_aborts_the_connection(make_server):
    srv = make_server("")
    started = time.monotonic()
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    try:
        s.sendall(b"GET /t/slow?tag=abort&chunks=100 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        data = b""
        while b"chunk 0" not in data:
            more = s.recv(4096)
            assert more, data
            data += more
        # Close with a reset: the handler's next writes fail.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        s.close()
    lines = srv.wait_log(r"ctx_test teardown tag=abort ", timeout=15)
    assert lines, "teardown did not run after the client went away"
    # The handler noticed the abort long before its 100 chunks (10 s) were due.
    assert time.monotonic() - started < 8
    srv.stop()
    (call,) = teardowns(srv)["abort"]
    assert call == (1, 200, 1, "/t/slow")


def test_teardown_registered_by_subrequests_runs_when_the_main_request_ends(
        make_server, workdir):
    doc = write_site(workdir, {"td.shtml":
                               'a\n<!--#include virtual="/t/teardown?tag=suba&n=1" -->'
                               'b\n<!--#include virtual="/t/g?tag=ssig" -->'
                               'c\n<!--#include virtual="/t/teardown?tag=subb&n=2" -->d\n'})
    srv = make_server(f"""
TypesConfig /dev/null
DocumentRoot "{doc}"
<Directory "{doc}">
    Options +Includes
    AddOutputFilter INCLUDES .shtml
</Directory>
""", modules=("include", "mime"))
    # The mod_ctx bug proven by test_request_context.py::
    # test_subrequest_output_filter_sees_the_subrequest_on_its_last_brigade.
    srv.expect_log(r"CTX-INVARIANT request filter: current request is /td\.shtml, "
                   r"not /t/(teardown|g) or its subrequest")
    r = srv.get("/td.shtml")
    assert r.status == 200 and r.text.count("teardowns registered") == 2, r.text
    assert srv.wait_log(r"ctx_test g dtor tag=ssig", timeout=10)
    srv.stop()
    seen = teardowns(srv)
    # Each subrequest's callbacks ran once, at the end of the main request
    # (with its context and status), newest registration of the whole client
    # request first: subb's (registered last) before suba's.
    assert seen == {"subb": [(2, 200, 0, "/td.shtml"), (1, 200, 0, "/td.shtml")],
                    "suba": [(1, 200, 0, "/td.shtml")]}, seen
    log = srv.log_lines(r"ctx_test (teardown|g dtor) tag=")
    order = [re.search(r"tag=(\S+)", l).group(1) for l in log]
    assert order == ["subb", "subb", "suba", "ssig"], log
    # g's pointers are destroyed once, after the teardown callbacks.


# ---- 8. g -------------------------------------------------------------------


def test_g_operations_follow_the_dict_semantics(make_server):
    srv = make_server("")
    r = srv.get("/t/g?tag=ops")
    assert r.status == 200
    lines = r.text.splitlines()
    assert lines[:4] == ["set=1", "set_ptr=1", "get=alice", "get_ptr_same=1"]
    assert "has_user=1 has_nope=0" in lines
    assert "setdefault_new=en" in lines            # stored the default
    assert "setdefault_old=en" in lines            # kept the existing value
    assert "pop=1:1" in lines and "has_tmp=0" in lines
    assert "remove_missing=1" in lines             # APR_NOTFOUND
    assert "null_key=1" in lines                   # APR_EINVAL
    # Iteration in insertion order; "tmp" was popped.
    assert [l for l in lines if l.startswith("entry ")] == \
        ["entry user=alice", "entry obj=<ptr>", "entry lang=en"]


def test_g_pointer_destructor_runs_once_per_request_at_its_end(make_server):
    srv = make_server("")
    tags = [f"k{i}" for i in range(6)] + [f"n{i}" for i in range(4)]
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=15)
    try:
        for tag in tags[:6]:                       # one keep-alive connection
            conn.request("GET", f"/t/g?tag={tag}")
            resp = conn.getresponse()
            assert resp.status == 200 and b"get_ptr_same=1" in resp.read()
    finally:
        conn.close()
    for tag in tags[6:]:                           # a connection each
        assert srv.get(f"/t/g?tag={tag}").status == 200
    assert len(srv.wait_log(r"ctx_test g dtor tag=", count=len(tags), timeout=10)) >= len(tags)
    srv.stop()
    assert sorted(dtor_tags(srv)) == sorted(tags)  # exactly once each


def test_g_is_fresh_for_every_request_on_a_connection(make_server):
    srv = make_server("")
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=15)
    try:
        answers = []
        for path in ("/t/g?tag=f1", "/t/g?tag=f2", "/t/whoami?tag=w1", "/t/whoami?tag=w2"):
            conn.request("GET", path)
            resp = conn.getresponse()
            assert resp.status == 200
            answers.append(resp.read().decode().splitlines())
    finally:
        conn.close()
    for lines in answers[:2]:
        # "lang" did not exist yet, and nothing else is in g.
        assert "setdefault_new=en" in lines
        assert [l for l in lines if l.startswith("entry ")] == \
            ["entry user=alice", "entry obj=<ptr>", "entry lang=en"]
    for lines in answers[2:]:
        # whoami leaves a mark in g; the next request does not see it.
        assert "g_mark=-" in lines, lines

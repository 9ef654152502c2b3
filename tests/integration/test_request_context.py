"""The request context under a real httpd: which request ctx_current_request()
returns in hooks, handlers and filters, under concurrency, asynchronous write
completion, HTTP/2, subrequests (mod_include, a handler's own) and internal
redirects (ErrorDocument, mod_rewrite, mod_dir's fast redirect).

Most answers come from the test module's /t/whoami (tests/modules/
mod_ctx_test.c); its hooks and filters log a "CTX-INVARIANT" error line on any
violation, and the harness fails a test on any such line it did not expect.
"""
import base64
import http.client
import re
import socket
import struct
import threading
import time
from pathlib import Path

import pytest

import conftest

# ---- helpers --------------------------------------------------------------


def whoami_blocks(text):
    """The key=value blocks of every /t/whoami answer in a body (a body with
    included subrequests holds several), in order; other lines are skipped."""
    blocks = []
    for line in text.splitlines():
        if line.startswith("uri="):
            blocks.append({})
        if blocks and "=" in line and not line.startswith("caller_"):
            k, v = line.split("=", 1)
            blocks[-1].setdefault(k, v)
    return blocks


def run_threads(target, n, timeout=60):
    """Run target(i) on n threads; re-raise the first exception."""
    errors = []

    def wrap(i):
        try:
            target(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "client threads did not finish in time"
    if errors:
        raise errors[0]


def child_pids(master_pid):
    """The pids of the current children of httpd's master process."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            pids.append(int(stat.parent.name))
    return pids


def slow_get(port, path, chunk=65536, pause=0.005, timeout=40):
    """GET over a raw socket with a small receive buffer, reading `chunk`
    bytes at a time with a pause in between: the server's writes block and
    the end of the response is left to asynchronous write completion.
    Returns (status, content-length, body bytes received, body all 'x')."""
    deadline = time.monotonic() + timeout
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.settimeout(timeout)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                  .encode())
        head = b""
        while b"\r\n\r\n" not in head:
            data = s.recv(4096)
            assert data, f"connection closed in the headers: {head!r}"
            head += data
        head, body = head.split(b"\r\n\r\n", 1)
        status = int(head.split()[1])
        length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
        received, all_x = len(body), body.count(b"x") == len(body)
        while received < length and time.monotonic() < deadline:
            data = s.recv(chunk)
            if not data:
                break
            received += len(data)
            all_x = all_x and data.count(b"x") == len(data)
            time.sleep(pause)
        return status, length, received, all_x
    finally:
        s.close()


class H2:
    """A minimal HTTP/2 client over cleartext that opens many streams at once
    on one connection and collects each stream's body. Enough for the tests:
    no HPACK decoding beyond the common indexed ":status: 200"."""
    PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = \
        0, 1, 3, 4, 6, 7, 8, 9
    MAX_WINDOW = 2 ** 31 - 1
    # No push; the largest stream window (and below, connection window): no
    # flow-control bookkeeping needed for the sizes used here.
    CLIENT_SETTINGS = struct.pack("!HI", 2, 0) + struct.pack("!HI", 4, MAX_WINDOW)

    def __init__(self, port, timeout=30):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.next_sid = 1
        self.started = False

    @staticmethod
    def frame(ftype, flags, sid, payload):
        return struct.pack("!I", len(payload))[1:] + struct.pack("!BBI", ftype, flags, sid) + \
            payload

    @staticmethod
    def _int(value, prefix_bits):
        limit = (1 << prefix_bits) - 1
        if value < limit:
            return bytes([value])
        out, value = [limit], value - limit
        while value >= 128:
            out.append((value & 0x7F) | 0x80)
            value >>= 7
        out.append(value)
        return bytes(out)

    def _literal(self, name, value):
        # Literal header field without indexing, new name, no Huffman.
        name, value = name.encode(), value.encode()
        return b"\x00" + self._int(len(name), 7) + name + self._int(len(value), 7) + value

    def _recv_exact(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(1 << 20)
            if not data:
                raise ConnectionError("HTTP/2 connection closed by the server")
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read_frame(self):
        head = self._recv_exact(9)
        length = struct.unpack("!I", b"\0" + head[:3])[0]
        ftype, flags, sid = head[3], head[4], struct.unpack("!I", head[5:])[0] & 0x7FFFFFFF
        return ftype, flags, sid, self._recv_exact(length)

    def get_many(self, paths, upgrade=False, timeout=60):
        """GET every path on its own stream, all sent at once before any
        answer is read. Returns [(status or None, body bytes)] in the order of
        paths. upgrade=True (first call only): the first path is an HTTP/1.1
        request with "Upgrade: h2c", answered on stream 1; the preface and the
        other streams follow right behind it (httpd 2.4.71 ends an upgraded
        session with GOAWAY "timeout" as soon as it is idle, with or without
        mod_ctx: what the client sends later is not served)."""
        streams, out = {}, b""
        if not self.started:
            self.started = True
            if upgrade:
                b64 = base64.urlsafe_b64encode(self.CLIENT_SETTINGS).rstrip(b"=").decode()
                out += (f"GET {paths[0]} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                        "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                        f"HTTP2-Settings: {b64}\r\n\r\n").encode()
                streams[1] = {"headers": b"", "data": [], "done": False}
                self.next_sid = 3
            out += self.PREFACE + self.frame(self.SETTINGS, 0, 0, self.CLIENT_SETTINGS) + \
                self.frame(self.WINDOW_UPDATE, 0, 0, struct.pack("!I", self.MAX_WINDOW - 65535))
        for path in paths[len(streams):]:
            sid, self.next_sid = self.next_sid, self.next_sid + 2
            block = b"".join(self._literal(k, v) for k, v in (
                (":method", "GET"), (":scheme", "http"), (":path", path),
                (":authority", f"127.0.0.1:{self.port}")))
            out += self.frame(self.HEADERS, 0x5, sid, block)   # END_STREAM|END_HEADERS
            streams[sid] = {"headers": b"", "data": [], "done": False}
        self.sock.sendall(out)
        if upgrade:
            while b"\r\n\r\n" not in self.buf:
                data = self.sock.recv(4096)
                assert data, f"connection closed before the upgrade: {self.buf!r}"
                self.buf += data
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            assert head.startswith(b"HTTP/1.1 101"), head
        deadline = time.monotonic() + timeout
        while not all(s["done"] for s in streams.values()):
            assert time.monotonic() < deadline, "HTTP/2 answers did not complete in time"
            ftype, flags, sid, payload = self._read_frame()
            if ftype in (self.DATA, self.HEADERS) and flags & 0x8:     # PADDED
                payload = payload[1:len(payload) - payload[0]]
            if ftype == self.HEADERS and flags & 0x20:                # PRIORITY
                payload = payload[5:]
            if ftype == self.SETTINGS and not flags & 0x1:
                self.sock.sendall(self.frame(self.SETTINGS, 0x1, 0, b""))
            elif ftype == self.PING and not flags & 0x1:
                self.sock.sendall(self.frame(self.PING, 0x1, 0, payload))
            elif ftype == self.GOAWAY:
                raise ConnectionError(f"GOAWAY from the server: {payload!r}")
            elif ftype == self.RST_STREAM:
                raise ConnectionError(f"stream {sid} reset by the server: {payload!r}")
            elif ftype in (self.HEADERS, self.CONTINUATION):
                streams[sid]["headers"] += payload
            elif ftype == self.DATA:
                streams[sid]["data"].append(payload)
            if ftype in (self.DATA, self.HEADERS) and flags & 0x1:    # END_STREAM
                streams[sid]["done"] = True
        result = []
        for sid in sorted(streams):
            st = streams[sid]
            status = 200 if st["headers"][:1] == b"\x88" else None   # indexed :status 200
            result.append((status, b"".join(st["data"])))
        return result

    def close(self):
        self.sock.close()


def site(workdir):
    """A DocumentRoot in the workdir with SSI pages, a directory whose index is
    served by ctx-test, and per-directory rewriting; the modules it needs."""
    doc = workdir / "doc"
    files = {
        "page.shtml": 'begin\n<!--#include virtual="/t/whoami?tag=sub1" -->middle\n'
                      '<!--#include virtual="/t/whoami?tag=sub2" -->end\n',
        "outer.shtml": 'outer-begin\n<!--#include virtual="/inner.shtml" -->outer-end\n',
        "inner.shtml": 'inner-begin\n<!--#include virtual="/t/whoami?tag=deep" -->inner-end\n',
        "d/whoami": "a regular file: mod_dir only fast-redirects to files\n",
    }
    for name, text in files.items():
        path = doc / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o755)
        path.write_text(text)
        path.chmod(0o644)
    body = f"""
TypesConfig /dev/null
DocumentRoot "{doc}"
CtxConfig TEST_G_TRAIL on
<Directory "{doc}">
    Options +Includes
    AddOutputFilter INCLUDES .shtml
    RewriteEngine On
    RewriteRule ^rewritten$ /t/whoami?tag=rw [L]
</Directory>
<Directory "{doc}/d">
    SetHandler ctx-test
    DirectoryIndex whoami?tag=idx
</Directory>
ErrorDocument 404 /t/whoami?tag=err
"""
    return body, ("include", "mime", "rewrite", "dir")


# mod_ctx bug, proven by
# test_subrequest_output_filter_sees_the_subrequest_on_its_last_brigade: the
# last brigade of a subrequest (the one with its EOS; for most handlers the
# only one) reaches the subrequest's own filters with the parent current. The
# other subrequest tests accept exactly that line so that they test what they
# are about.
def last_brigade_bug(parent, sub):
    return (rf"CTX-INVARIANT request filter: current request is {re.escape(parent)}, "
            rf"not {re.escape(sub)} or its subrequest")


# ---- 1. the handler's own request, under concurrency -------------------------


def test_every_hook_and_handler_sees_its_own_request_under_concurrent_load(make_server):
    srv = make_server("CtxAppName ctx-test-app\nCtxConfig TEST_KEY v\n")
    per_thread, threads = 50, 8

    def client(t):
        # Even threads reuse one keep-alive connection, odd ones open a new
        # connection per request: both reuse of a worker for the next request
        # of a connection and interleaving of connections.
        conn = None
        for i in range(per_thread):
            tag = f"t{t}-r{i}"
            path = f"/t/whoami?tag={tag}&n={i}"
            if t % 2 == 0:
                conn = conn or http.client.HTTPConnection("127.0.0.1", srv.port, timeout=15)
                conn.request("GET", path)
                resp = conn.getresponse()
                status, body = resp.status, resp.read().decode()
            else:
                r = srv.get(path, timeout=15)
                status, body = r.status, r.text
            assert status == 200, (path, status, body)
            (f,) = whoami_blocks(body)
            assert f["uri"] == "/t/whoami"
            assert f["arg_tag"] == tag, f"{path} got the arguments of another request: {f}"
            assert f["current_is_r"] == "1" and f["ctx_request_is_r"] == "1", f
            assert f["is_subrequest"] == "0" and f["is_redirect"] == "0"
            assert f["g_mark"] == "-", "g leaked from an earlier request"
            assert f["app"] == "ctx-test-app" and f["config_TEST_KEY"] == "v"
            assert f["protocol"] == "HTTP/1.1"
        if conn:
            conn.close()

    run_threads(client, threads)
    # The test module checked every hook and filter of those 400 requests;
    # the harness fails this test on any CTX-INVARIANT line.
    assert not srv.log_lines("CTX-INVARIANT")


# ---- 2. threads that serve no request --------------------------------------


def test_thread_serving_no_request_sees_none_and_child_thread_sees_only_pushed_app(
        make_server):
    srv = make_server("CtxAppName ctx-test-app\nCtxConfig TEST_KEY v\n")
    f = srv.get("/t/thread").fields()
    assert f == {"thread_request_null": "1", "thread_ctx_null": "1",
                 "thread_app_null": "1", "handler_current_is_r": "1"}
    # Every child ran the test module's child_init thread: no context before
    # ctx_app_push, then the app of the main server with its configuration.
    pids = child_pids(srv.pid())
    assert pids, "no httpd child process"
    pattern = r"ctx_test child thread: ok app=ctx-test-app TEST_KEY=v"
    deadline = time.monotonic() + 10
    while True:
        logged = {int(m.group(1)) for line in srv.log_lines(pattern)
                  if (m := re.search(r"\[pid (\d+)", line))}
        if set(pids) <= logged or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert set(pids) <= logged, (pids, srv.log_lines("ctx_test child thread"))


# ---- 3. asynchronous write completion (event MPM) --------------------------


@pytest.mark.skipif(conftest.MPM != "event",
                    reason="write completion on another thread exists only in the event MPM")
def test_write_completion_on_another_thread_keeps_requests_apart(make_server):
    # A slow reader leaves the end of a big response to write completion,
    # which runs on whichever worker the listener hands the connection to;
    # that worker destroys the request's pool (the EOR bucket) while fast
    # requests keep the other workers busy with their own requests. With the
    # defaults only one or two of six big responses end on another thread;
    # a small send buffer (the kernel takes less of the response, so more of
    # it is left to write completion) and fewer workers (the one that ran the
    # handler is less likely to be the one woken up) make it all six.
    srv = make_server("SendBufferSize 16384\nCtxConfig TEST_LOG_CURRENT on\n",
                      mpm_conf=["StartServers 1", "ServerLimit 2", "ThreadsPerChild 8",
                                "MaxRequestWorkers 16", "MinSpareThreads 1",
                                "MaxSpareThreads 16"])
    sizes = [8 << 20, 12 << 20, 16 << 20, 8 << 20, 12 << 20, 16 << 20]
    results, fast_done, fast_errors = {}, [], []
    stop_fast = threading.Event()

    def slow(i):
        results[i] = slow_get(srv.port, f"/t/big?size={sizes[i]}&tag=big{i}")

    def fast(t):
        try:
            for i in range(400):
                if stop_fast.is_set():
                    break
                r = srv.get(f"/t/whoami?tag=fast{t}-{i}", timeout=15)
                (f,) = whoami_blocks(r.text)
                assert f["arg_tag"] == f"fast{t}-{i}" and f["current_is_r"] == "1", f
                fast_done.append(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            fast_errors.append(e)

    fast_threads = [threading.Thread(target=fast, args=(t,), daemon=True) for t in range(3)]
    for t in fast_threads:
        t.start()
    try:
        run_threads(slow, len(sizes), timeout=60)
    finally:
        stop_fast.set()
        for t in fast_threads:
            t.join(20)
    for i, size in enumerate(sizes):
        status, length, received, all_x = results[i]
        assert (status, length, received, all_x) == (200, size, size, True), (i, results[i])
    assert not fast_errors, fast_errors[0]
    assert fast_done, "no fast request ran meanwhile"
    # The hazard was exercised: some request pools were destroyed on a thread
    # other than the one that created the request.
    moved = srv.wait_log(r"ctx_test: request pool destroyed on another thread", timeout=5)
    assert moved, "no request ended on another thread: write completion was not exercised"
    # log_transaction hooks (run from the EOR, after write completion) saw
    # their own request: current, with its arguments and g.
    for i in range(len(sizes)):
        lines = srv.log_lines(rf"ctx_test log_transaction uri=/t/big .*arg_tag=big{i} ")
        assert len(lines) == 1 and "current_is_r=1 " in lines[0], (i, lines)


# ---- 4. HTTP/2 ----------------------------------------------------------------


H2_CONF = "Protocols h2c http/1.1\nH2MaxSessionStreams 100\nCtxConfig TEST_KEY h2\n"
PREFORK_NO_UPGRADE = pytest.mark.skipif(
    conftest.MPM != "event",
    reason="under prefork mod_http2 declares HTTP/2 inactive (AH10034) and answers "
           "'Upgrade: h2c' with HTTP/1.1; only prior-knowledge connections get HTTP/2")


def h2_server(make_server):
    srv = make_server(H2_CONF, modules=("http2",))
    if conftest.MPM == "prefork":
        # "The mpm module (prefork.c) is not supported by mod_http2 ... This is
        # an advisory warning": prior-knowledge HTTP/2 is still served.
        srv.expect_log(r"\[http2:warn\].*AH10034")
    return srv


def test_http2_streams_on_one_connection_each_see_their_own_request(make_server):
    srv = h2_server(make_server)
    client = H2(srv.port)
    try:
        paths = [f"/t/whoami?tag=s{i}" for i in range(40)]
        answers = client.get_many(paths)
        # The same connection once more: big bodies multiplexed with small
        # answers.
        sizes = [8 << 20, 1 << 20, 16 << 20, 3, 12 << 20]
        more = [f"/t/whoami?tag=again{i}" for i in range(10)]
        mixed = client.get_many([f"/t/big?size={n}" for n in sizes] + more)
    finally:
        client.close()
    for n, (status, body) in zip(sizes, mixed):
        assert status == 200 and len(body) == n and body.count(b"x") == n
    masters = set()
    for path, (status, body) in zip(paths + more, answers + mixed[len(sizes):]):
        assert status == 200, (path, body)
        (f,) = whoami_blocks(body.decode())
        assert f["arg_tag"] == path.split("tag=")[1], (path, f)
        assert f["protocol"] == "HTTP/2.0"
        assert f["current_is_r"] == "1" and f["ctx_request_is_r"] == "1", f
        assert f["g_mark"] == "-" and f["config_TEST_KEY"] == "h2"
        masters.add((f["pid"], f["master_conn"]))
    assert len(masters) == 1, f"streams of one connection on several connections: {masters}"


@PREFORK_NO_UPGRADE
def test_http2_upgraded_connection_streams_each_see_their_own_request(make_server):
    """h2c via "Upgrade:" on an HTTP/1.1 request: mod_http2 runs the HTTP/2
    session from inside that request's handler (ap_switch_protocol), on its
    worker thread, and hooks of the streams' requests (log_transaction when
    the session releases a finished stream) run on that thread too. The
    upgraded request must not stay current there: that thread does not serve
    it any more, and it belongs to another connection than the streams'.
    (mod_ctx bug: it stays; the test module logs "CTX-INVARIANT
    log_transaction: current request /t/whoami belongs to another
    connection".)"""
    srv = h2_server(make_server)
    client = H2(srv.port)
    try:
        paths = ["/t/whoami?tag=upgraded"] + [f"/t/whoami?tag=u{i}" for i in range(40)]
        answers = client.get_many(paths, upgrade=True)
    finally:
        client.close()
    for path, (status, body) in zip(paths, answers):
        assert status == 200, (path, body)
        (f,) = whoami_blocks(body.decode())
        assert f["arg_tag"] == path.split("tag=")[1], (path, f)
        assert f["protocol"] == "HTTP/2.0" and f["current_is_r"] == "1", f
    srv.stop()
    assert not srv.log_lines("CTX-INVARIANT"), "\n".join(srv.log_lines("CTX-INVARIANT")[:5])


@PREFORK_NO_UPGRADE
def test_http2_curl_parallel_transfers_each_see_their_own_request(make_server, workdir):
    """curl's parallel transfers over TLS (h2 by ALPN), as browsers reach
    HTTP/2. curl waits for its first connection's ALPN before it opens more,
    so the transfers are multiplexed whatever the machine's load. (Over h2c
    the Upgrade raced the other transfers: on a busy machine every transfer
    could open its own connection, and the test proved nothing.)"""
    key, crt = conftest.self_signed_cert(workdir)
    tls_port = conftest.free_port()
    srv = make_server(H2_CONF + "\n".join([
        f"Listen 127.0.0.1:{tls_port} https",
        "SSLSessionCache none",
        f"<VirtualHost 127.0.0.1:{tls_port}>",
        "    SSLEngine on",
        f"    SSLCertificateFile {crt}",
        f"    SSLCertificateKeyFile {key}",
        "    Protocols h2 http/1.1",
        "</VirtualHost>", ""]), modules=("http2", "ssl"))
    srv.expect_log(r"AH01873")     # mod_ssl: no session cache (turned off)
    srv.expect_log(r"AH01882")     # mod_ssl: built against a newer OpenSSL (the image's)
    tags = [f"c{i}" for i in range(12)]
    args = ["-k", "--http2", "-Z", "--parallel-max", "20",
            "--resolve", f"localhost:{tls_port}:127.0.0.1"]
    for tag in tags:
        args += [f"https://localhost:{tls_port}/t/whoami?tag={tag}",
                 "-o", str(workdir / f"h2-{tag}"),
                 "-w", "%{http_version} %{num_connects} %{response_code}\n"]
    res = srv.curl(*args)
    assert res.returncode == 0, res.stderr
    stats = [line.split() for line in res.stdout.splitlines()]
    assert len(stats) == len(tags)
    assert all(v == "2" and code == "200" for v, _, code in stats), stats
    assert sum(int(n) for _, n, _ in stats) < len(tags), f"not multiplexed: {stats}"
    per_connection = {}
    for tag in tags:
        (f,) = whoami_blocks((workdir / f"h2-{tag}").read_text())
        assert f["arg_tag"] == tag and f["current_is_r"] == "1", f
        assert f["protocol"] == "HTTP/2.0"
        key = (f["pid"], f["master_conn"])
        per_connection[key] = per_connection.get(key, 0) + 1
    assert max(per_connection.values()) >= 2, per_connection
    srv.stop()
    assert not srv.log_lines("CTX-INVARIANT"), "\n".join(srv.log_lines("CTX-INVARIANT")[:5])


# ---- 5. subrequests ---------------------------------------------------------


def test_ssi_included_requests_are_current_in_their_handlers_and_share_g(
        make_server, workdir):
    body, modules = site(workdir)
    srv = make_server(body, modules=modules)
    srv.expect_log(last_brigade_bug("/page.shtml", "/t/whoami"))
    r = srv.get("/page.shtml")
    assert r.status == 200
    lines = r.text.splitlines()
    assert [l for l in lines if l in ("begin", "middle", "end")] == ["begin", "middle", "end"]
    assert lines[0] == "begin" and lines[-1] == "end"
    first, second = whoami_blocks(r.text)
    for f, tag in ((first, "sub1"), (second, "sub2")):
        assert f["uri"] == "/t/whoami" and f["arg_tag"] == tag
        assert f["is_subrequest"] == "1" and f["main_uri"] == "/page.shtml"
        assert f["current_is_r"] == "1" and f["ctx_request_is_r"] == "1", f
        assert f["protocol"] == "INCLUDED"
    # One g for the client request: the main request's fixups wrote the first
    # step of the trail; each subrequest sees it and adds its own.
    assert first["g_trail"] == "/page.shtml>/t/whoami"
    assert second["g_trail"] == "/page.shtml>/t/whoami>/t/whoami"
    # whoami leaves a mark in g when there is none: the second include sees
    # the first one's.
    assert first["g_mark"] == "-"
    assert second["g_mark"] == "/t/whoami"
    # The next client request starts with a fresh g.
    (f,) = whoami_blocks(srv.get("/t/whoami?tag=after").text)
    assert f["g_mark"] == "-" and f["g_trail"] == "/t/whoami"


def test_subrequest_output_filter_sees_the_subrequest_on_its_last_brigade(
        make_server, workdir):
    """mod_ctx bug: CTX_SUBREQ_END (AP_FTYPE_CONTENT_SET - 1) releases the
    subrequest *before* passing its EOS brigade on, so the subrequest's own
    filters after it (the test module's CONTENT_SET filter here) get the
    subrequest's last data - for a handler that writes and returns, all of its
    output - with the parent as ctx_current_request(). The test module logs
    "CTX-INVARIANT request filter: current request is /page.shtml, not
    /t/whoami or its subrequest"."""
    body, modules = site(workdir)
    srv = make_server(body, modules=modules)
    r = srv.get("/page.shtml")
    assert r.status == 200 and len(whoami_blocks(r.text)) == 2
    srv.stop()
    assert not srv.log_lines("CTX-INVARIANT"), "\n".join(srv.log_lines("CTX-INVARIANT"))


def test_nested_ssi_parent_stays_current_until_its_own_output_ends(make_server, workdir):
    """mod_ctx bug: an included subrequest of an included page passes its
    output, EOS included, through the middle page's CTX_SUBREQ_END filter
    (mod_include hands it f->next), which takes that EOS for the middle page's
    own: it releases the middle page (the outer page becomes current while the
    middle one is still being parsed) and removes itself."""
    body, modules = site(workdir)
    srv = make_server(body, modules=modules)
    srv.expect_log(last_brigade_bug("/inner.shtml", "/t/whoami"))
    r = srv.get("/outer.shtml")
    assert r.status == 200
    words = [l for l in r.text.splitlines() if "-" in l and "=" not in l]
    assert words == ["outer-begin", "inner-begin", "inner-end", "outer-end"], r.text
    (f,) = whoami_blocks(r.text)
    assert f["is_subrequest"] == "1" and f["main_uri"] == "/inner.shtml"
    assert f["current_is_r"] == "1" and f["arg_tag"] == "deep"
    assert f["g_trail"] == "/outer.shtml>/inner.shtml>/t/whoami"
    srv.stop()
    nested = srv.log_lines(last_brigade_bug("/outer.shtml", "/inner.shtml"))
    assert not nested, "the middle page was released by its subrequest's EOS:\n" + \
        "\n".join(nested)


def test_handler_subrequest_is_current_only_while_it_runs(make_server):
    srv = make_server("<Location /denied>\n    Require all denied\n</Location>\n")
    srv.expect_log(last_brigade_bug("/t/sub", "/t/whoami"))
    r = srv.get("/t/sub?uri=/t/whoami%3Ftag%3Ds1")
    assert r.status == 200
    (sub,) = whoami_blocks(r.text)
    caller = r.fields()
    assert sub["uri"] == "/t/whoami" and sub["is_subrequest"] == "1"
    assert sub["main_uri"] == "/t/sub" and sub["current_is_r"] == "1"
    assert sub["arg_tag"] == "s1"               # the subrequest's own arguments
    assert sub["g_mark"] == "set-by-main"       # g written by the main request
    assert caller["caller_before_is_r"] == "1"
    assert caller["caller_lookup_status"] == "200" and caller["caller_ran"] == "1"
    # Current again after the lookup, after running it and after destroying it.
    assert caller["caller_after_lookup"] == "caller"
    assert caller["caller_after_run"] == "caller"
    assert caller["caller_after_destroy"] == "caller"
    assert caller["caller_arg_uri"] == "/t/whoami?tag=s1"   # the main's arguments again
    assert caller["caller_g_whoami_tag"] == "s1"            # g written by the subrequest

    # A lookup refused before fixups.
    srv.expect_log(r"AH01630: client denied by server configuration: .*/denied")
    caller = srv.get("/t/sub?uri=/denied/x").fields()
    assert caller["caller_lookup_status"] == "403" and caller["caller_ran"] == "0"
    # Documented: it stays current until the parent's next phase, or until it
    # is run or destroyed.
    assert caller["caller_after_lookup"] in ("sub", "caller")
    assert caller["caller_after_destroy"] == "caller"
    assert caller["caller_arg_uri"] == "/denied/x"


# ---- 6. internal redirects --------------------------------------------------


def test_internal_and_fast_redirects_keep_the_current_request_and_g(make_server, workdir):
    body, modules = site(workdir)
    srv = make_server(body, modules=modules)

    # ErrorDocument: a handler's 404 becomes an internal redirect to whoami;
    # the first request left a mark in g.
    r = srv.get("/t/teardown?tag=ed&n=1&code=404&mark=M1")
    assert r.status == 404
    (f,) = whoami_blocks(r.text)
    assert f["uri"] == "/t/whoami" and f["arg_tag"] == "err"
    assert f["is_redirect"] == "1" and f["prev_uri"] == "/t/teardown"
    assert f["current_is_r"] == "1" and f["ctx_request_is_r"] == "1", f
    assert f["g_mark"] == "M1"
    assert f["g_trail"] == "/t/teardown>/t/whoami"

    # A path ctx-test does not know.
    r = srv.get("/t/missing")
    assert r.status == 404
    (f,) = whoami_blocks(r.text)
    assert f["is_redirect"] == "1" and f["prev_uri"] == "/t/missing"
    assert f["current_is_r"] == "1" and f["g_mark"] == "-"
    assert f["g_trail"] == "/t/missing>/t/whoami"

    # mod_rewrite in a directory context: an internal redirect from its
    # redirect-handler.
    r = srv.get("/rewritten")
    assert r.status == 200
    (f,) = whoami_blocks(r.text)
    assert f["is_redirect"] == "1" and f["prev_uri"] == "/rewritten"
    assert f["arg_tag"] == "rw" and f["current_is_r"] == "1"
    assert f["g_trail"] == "/rewritten>/t/whoami"

    # mod_dir looks up d/whoami?tag=idx as a subrequest and copies it into the
    # request (ap_internal_fast_redirect): no new request_rec, the same
    # context, and ctx_arg follows the copied query string (the test module's
    # fixups hook parsed the original, empty one first).
    r = srv.get("/d/")
    assert r.status == 200
    (f,) = whoami_blocks(r.text)
    assert f["uri"] == "/d/whoami" and f["is_redirect"] == "0" and f["is_subrequest"] == "0"
    assert f["current_is_r"] == "1" and f["ctx_request_is_r"] == "1", f
    assert f["arg_tag"] == "idx"
    assert f["g_trail"] == "/d/>/d/whoami"


# ---- log_transaction ----------------------------------------------------------


def test_log_transaction_hooks_see_their_request_and_g_as_current(make_server):
    # A module's log_transaction hook uses Flask-style helpers (no request_rec):
    # the request is current there, with its g and arguments; afterwards the
    # thread serves no request (the test module's invariants check that in
    # every later hook, filter and pool cleanup).
    srv = make_server("CtxAppName log-app\nCtxConfig TEST_LOG_CURRENT on\n")
    tags = [f"lt{i}" for i in range(6)]
    for tag in tags:
        (b,) = whoami_blocks(srv.get(f"/t/whoami?tag={tag}").text)
        assert b["current_is_r"] == "1"
    # Keep-alive: several requests on one connection, each logged as itself.
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        for tag in ("ka0", "ka1", "ka2"):
            conn.request("GET", f"/t/whoami?tag={tag}")
            assert conn.getresponse().read().startswith(b"uri=/t/whoami")
    finally:
        conn.close()
    for tag in tags + ["ka0", "ka1", "ka2"]:
        lines = srv.wait_log(rf"ctx_test log_transaction uri=/t/whoami .*arg_tag={tag} ")
        assert len(lines) == 1, (tag, srv.read_log())
        assert (f"current_is_r=1 g_whoami_tag={tag} arg_tag={tag} app=log-app"
                in lines[0]), lines[0]

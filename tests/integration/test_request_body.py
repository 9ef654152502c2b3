"""The request body under a real httpd (Flask's request.form, request.files,
request.get_json(), request.data, request.cookies): urlencoded and multipart
forms, chunked bodies, Expect: 100-continue, CtxMaxBodySize (413), bad JSON
(400), a body shared with a subrequest, and cookies.

The handlers are the test module's (tests/modules/mod_ctx_test.c): /t/form,
/t/json, /t/body, /t/bodysub, /t/cookie.
"""
import http.client
import socket
import time

import pytest


def post(srv, path, body, headers=None, chunks=None):
    """POST `body` (bytes), or `chunks` (list of bytes) chunked."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        hdrs = dict(headers or {})
        if chunks is not None:
            conn.request("POST", path, body=iter(chunks), headers=hdrs,
                         encode_chunked=True)
        else:
            conn.request("POST", path, body=body, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def form_lines(body):
    return body.decode("utf-8").splitlines()


def raw_exchange(srv, head, body=b"", wait_for_100=True, timeout=10):
    """Send request headers; if wait_for_100, send the body only after an
    interim "100 Continue". Returns everything the server sent until it
    closes (the request asks for Connection: close)."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=timeout) as s:
        s.sendall(head)
        got = b""
        if wait_for_100:
            deadline = time.monotonic() + timeout
            while b"\r\n\r\n" not in got and time.monotonic() < deadline:
                part = s.recv(65536)
                if not part:
                    break
                got += part
            if got.startswith(b"HTTP/1.1 100 "):
                s.sendall(body)
        else:
            s.sendall(body)
        while True:
            try:
                part = s.recv(65536)
            except ConnectionResetError:
                break
            if not part:
                break
            got += part
        return got


def multipart(boundary, parts):
    """parts: (name, filename or None, content type or None, bytes)."""
    out = b""
    for name, filename, ctype, data in parts:
        disp = f'form-data; name="{name}"'
        if filename is not None:
            disp += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disp}\r\n".encode()
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def test_urlencoded_form_fields_in_order(make_server):
    srv = make_server()
    status, body = post(srv, "/t/form?get=name",
                        b"name=J%C3%B6rg+M&tag=a&tag=b&empty=",
                        {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, body
    assert form_lines(body) == ["field name=J\u00f6rg M", "field tag=a", "field tag=b",
                                "field empty=", "get=J\u00f6rg M"]


def test_missing_field_maps_to_400_and_other_types_are_an_empty_form(make_server):
    srv = make_server()
    status, body = post(srv, "/t/form?get=nope", b"a=1",
                        {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and form_lines(body) == ["field a=1", "get_status=400"]
    # A text/plain body is not a form: no fields (and not read for the form).
    status, body = post(srv, "/t/form?get=a", b"a=1", {"Content-Type": "text/plain"})
    assert status == 200 and form_lines(body) == ["get_status=400"]


def test_multipart_fields_and_a_binary_file(make_server):
    srv = make_server()
    data = bytes(range(256)) + b"\r\n--not-the-boundary\r\n"
    body = multipart("b0undary", [
        ("a", None, None, b"1"),
        ("up", "r\u00e9sum\u00e9.bin", "application/octet-stream", data),
        ("a", None, None, b"two words"),
        ("empty", "", None, b""),
    ])
    status, out = post(srv, "/t/form?get=a", body,
                       {"Content-Type": 'multipart/form-data; boundary="b0undary"'})
    assert status == 200, out
    lines = form_lines(out)
    assert lines[:2] == ["field a=1", "field a=two words"]
    name = "r\u00e9sum\u00e9.bin"   # the UTF-8 bytes come back as sent
    assert lines[2] == f"file up filename={name} type=application/octet-stream " \
                       f"len={len(data)} hex={data.hex()}"
    assert lines[3] == "file empty filename= type=(none) len=0 hex="
    assert lines[4] == "get=1"


def test_multipart_from_curl_with_a_file(make_server, workdir):
    srv = make_server()
    f = workdir / "up.txt"
    data = b"hello\nworld\n"
    f.write_bytes(data)
    res = srv.curl("-F", "who=alice", "-F", f"up=@{f};type=text/plain",
                   srv.url("/t/form?get=who"))
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "field who=alice",
        f"file up filename=up.txt type=text/plain len=12 hex={data.hex()}",
        "get=alice"]


@pytest.mark.parametrize("body", [
    b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv",       # no close delimiter
    b"--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--\r\n",              # no disposition
    b"--b\nContent-Disposition: form-data; name=\"a\"\n\nv\n--b--\n",      # LF only
])
def test_malformed_multipart_is_400(make_server, body):
    srv = make_server()
    status, _ = post(srv, "/t/form", body,
                     {"Content-Type": "multipart/form-data; boundary=b"})
    assert status == 400


def test_multipart_without_boundary_is_400(make_server):
    srv = make_server()
    status, _ = post(srv, "/t/form", b"x", {"Content-Type": "multipart/form-data"})
    assert status == 400


def test_too_many_fields_is_413(make_server):
    srv = make_server()
    status, _ = post(srv, "/t/form", b"&".join(b"f=%d" % i for i in range(1001)),
                     {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413
    status, _ = post(srv, "/t/form", b"&".join(b"f=%d" % i for i in range(1000)),
                     {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200


def test_chunked_body_is_read_whole(make_server):
    srv = make_server()
    chunks = [b"a=1&b=", b"x" * 70000, b"&c=%41", b"", b"&d=2"]
    status, body = post(srv, "/t/form", None, {"Content-Type":
                        "application/x-www-form-urlencoded"}, chunks=chunks)
    assert status == 200
    assert form_lines(body) == ["field a=1", "field b=" + "x" * 70000, "field c=A",
                                "field d=2"]
    status, body = post(srv, "/t/body", None, chunks=[b"\x00\x01", b"\xff" * 5])
    assert status == 200 and body == b"\x00\x01" + b"\xff" * 5


def test_expect_100_continue_is_answered_when_the_body_is_read(make_server):
    srv = make_server()
    body = b"a=1&b=2"
    head = (f"POST /t/form?get=b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n").encode()
    got = raw_exchange(srv, head, body)
    assert got.startswith(b"HTTP/1.1 100 Continue\r\n"), got
    final = got.split(b"\r\n\r\n", 1)[1]
    assert final.startswith(b"HTTP/1.1 200 "), got
    assert final.endswith(b"field a=1\nfield b=2\nget=2\n"), got


def test_curl_big_body_with_expect_100_continue(make_server, workdir):
    srv = make_server("""
<Location /t/big>
    CtxMaxBodySize 4194304
</Location>
""")
    data = bytes(range(256)) * 8192           # 2 MiB, under this location's 4 MiB
    f = workdir / "big.bin"
    f.write_bytes(data)
    # curl sends Expect: 100-continue itself for a body this size.
    res = srv.curl("-H", "Expect: 100-continue", "--data-binary", f"@{f}",
                   "-o", str(workdir / "out.bin"), "-w", "%{http_code}",
                   srv.url("/t/big/body"))
    assert res.stdout == "200", res.stderr
    assert (workdir / "out.bin").read_bytes() == data


def test_handler_that_never_asks_reads_nothing_and_sends_no_100(make_server):
    # /t/cookie flushes its answer: a 100 Continue would mean that something
    # read the body before the handler ran.
    srv = make_server()
    head = (b"POST /t/cookie?name=a HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            b"Cookie: a=1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    got = raw_exchange(srv, head, b"hello")
    assert got.startswith(b"HTTP/1.1 200 "), got
    assert b"100 Continue" not in got
    assert got.endswith(b"cookie=1\n")


def test_max_body_size_413_by_length_unread_and_by_chunks(make_server):
    srv = make_server("""
<Location /t/small>
    CtxMaxBodySize 100
</Location>
""")
    ok = b"x" * 100
    assert post(srv, "/t/small/body", ok) == (200, ok)
    assert post(srv, "/t/small/body", ok + b"y")[0] == 413
    assert post(srv, "/t/small/body", None, chunks=[ok[:60], ok[60:]]) == (200, ok)
    assert post(srv, "/t/small/body", None, chunks=[ok[:60], ok[60:] + b"y"])[0] == 413
    # Over the limit by Content-Length: 413 at once, no 100 Continue.
    head = (b"POST /t/small/body HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            b"Content-Length: 101\r\nExpect: 100-continue\r\n\r\n")
    got = raw_exchange(srv, head, b"y" * 101)
    assert got.startswith(b"HTTP/1.1 413 "), got
    assert b"100 Continue" not in got
    # The default elsewhere: 1 MiB.
    big = b"z" * (1024 * 1024)
    assert post(srv, "/t/body", big) == (200, big)
    assert post(srv, "/t/body", big + b"z")[0] == 413


def test_max_body_size_merges_server_then_location(make_server):
    srv = make_server("""
CtxMaxBodySize 10
<Location /t/wide>
    CtxMaxBodySize 20
</Location>
<Location /t/none>
    CtxMaxBodySize 0
</Location>
""")
    assert post(srv, "/t/body", b"x" * 10)[0] == 200
    assert post(srv, "/t/body", b"x" * 11)[0] == 413
    assert post(srv, "/t/wide/body", b"x" * 20)[0] == 200
    assert post(srv, "/t/wide/body", b"x" * 21)[0] == 413
    assert post(srv, "/t/none/body", b"")[0] == 200
    assert post(srv, "/t/none/body", b"x")[0] == 413


@pytest.mark.parametrize("value,problem", [
    ("-1", "must be a whole number from 0 to 1073741824"),
    ("1073741825", "must be a whole number from 0 to 1073741824"),
    ("1M", "must be a whole number"),
])
def test_bad_max_body_size_fails_config_test(make_server, value, problem):
    srv = make_server(f"CtxMaxBodySize {value}\n", start=False)
    rc, out = srv.check_config()
    assert rc != 0
    assert "CtxMaxBodySize" in out and problem in out, out


def test_json_body_valid_bad_empty_and_wrong_type(make_server):
    srv = make_server()
    doc = b'{"a": [1, 2.5, "\\u00e9"], "b": null}'
    assert post(srv, "/t/json", doc, {"Content-Type": "application/json"}) == (200, doc)
    assert post(srv, "/t/json", doc,
                {"Content-Type": "application/vnd.api+json; charset=utf-8"}) == (200, doc)
    assert post(srv, "/t/json", b'{"a": }', {"Content-Type": "application/json"})[0] == 400
    assert post(srv, "/t/json", b'{"a":1}x', {"Content-Type": "application/json"})[0] == 400
    assert post(srv, "/t/json", b"", {"Content-Type": "application/json"})[0] == 400
    assert post(srv, "/t/json", b"[" * 100 + b"]" * 100,
                {"Content-Type": "application/json"})[0] == 400
    assert post(srv, "/t/json", doc, {"Content-Type": "text/plain"})[0] == 415
    assert post(srv, "/t/json", doc)[0] == 415


def test_subrequest_and_main_request_share_one_body(make_server):
    srv = make_server()
    data = b"the body \x00 once"
    status, body = post(srv, "/t/bodysub", data)
    assert status == 200
    assert body == data + b"\nmain_len=%d" % len(data)
    status, body = post(srv, "/t/bodysub", None, chunks=[data[:5], data[5:]])
    assert status == 200
    assert body == data + b"\nmain_len=%d" % len(data)


def test_cookie_lookup(make_server):
    srv = make_server()
    hdrs = {"Cookie": 'theme=dark; sid="quoted value"; theme=second; empty='}
    assert srv.get("/t/cookie?name=theme", headers=hdrs).text == "cookie=dark\n"
    assert srv.get("/t/cookie?name=sid", headers=hdrs).text == "cookie=quoted value\n"
    assert srv.get("/t/cookie?name=empty", headers=hdrs).text == "cookie=\n"
    assert srv.get("/t/cookie?name=Theme", headers=hdrs).text == "cookie=(none)\n"
    assert srv.get("/t/cookie?name=theme").text == "cookie=(none)\n"


def test_limit_request_body_of_httpd_still_answers_413(make_server):
    # httpd's own limit under mod_ctx's: httpd's input filter refuses the
    # body; the handler's status must not make a second response.
    srv = make_server("""
<Location /t/lrb>
    LimitRequestBody 50
</Location>
""")
    assert post(srv, "/t/lrb/body", b"x" * 50) == (200, b"x" * 50)
    assert post(srv, "/t/lrb/body", b"x" * 51)[0] == 413
    status, body = post(srv, "/t/lrb/body", None, chunks=[b"x" * 30, b"y" * 30])
    assert status == 413, body
    assert body.count(b"413") <= 2 and b"200 OK" not in body

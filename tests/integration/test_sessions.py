"""Cookie sessions end to end: the example module's /counter and /session*
served by a real httpd, in each CtxSessionFormat (signed, encrypted, flask).

Most tests share one httpd per module (starting and stopping one costs about
two seconds): one name-based virtual host per configuration, chosen with the
Host header. The `site` fixture keeps the harness's rule per test: any error
log line at warn level or above written while the test ran fails it unless
the test declared it with `site.expect_log(regex)`; the whole log is checked
again when the server stops.

Expectations come from docs/sessions.md and the codec's documented layout
(mod_ctx/ctx_codec.h, /work/shared/reference/flask-session-format.md): the
flask format's signature is recomputed here with hashlib/hmac, the readable
formats' payloads are decoded here.
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import ssl
import socket
import tempfile
import time
import urllib.parse
import zlib
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from conftest import ALWAYS_OK, BAD_LEVEL, BAD_TEXT, Httpd, free_port, self_signed_cert

FORMATS = ["signed", "encrypted", "flask"]
KEY_A = "session-test-key-A-0123456789abcdefghij"
KEY_B = "session-test-key-B-0123456789abcdefghij"
KEY_OTHER = "an-unrelated-key-0123456789abcdefghijkl"
FLASK_SHARED = r"share a secret key and the flask-format session cookie 'session'"


def own_key(fmt, which="auto"):
    """A key of one vhost only (CtxSessionLegacyCookies Auto reads s1/e1)."""
    return f"own-key-{which}-{fmt}-0123456789abcdefghijklmnop"
DEFAULT_MAX_AGE = 31 * 24 * 3600
CTX_ETOOLATE = 120000 + 4300 + 2        # APR_OS_START_USERERR + 4300 + 2
MOUNT = """    <LocationMatch "^/(home|g|config|counter|session)">
        SetHandler ctx-example
    </LocationMatch>"""
DELETED = "Expires=Thu, 01 Jan 1970 00:00:00 GMT"


# ---- the shared server --------------------------------------------------------

class Site:
    """One running httpd shared by a module's tests (see the module doc)."""

    def __init__(self, httpd, https_port=None):
        self.httpd = httpd
        self.https_port = https_port
        self.mark = 0
        self.expected = []

    def begin(self):
        self.mark = self.httpd.log_size()
        self.expected = []

    def expect_log(self, pattern):
        self.expected.append(pattern)
        self.httpd.expect_log(pattern)       # also for the check at stop

    def log_lines(self, pattern):
        return self.httpd.log_lines(pattern, since=self.mark)

    def unexpected_lines(self):
        time.sleep(0.05)     # lines logged while a request's pool goes away
        bad = []
        for line in self.httpd.read_log()[self.mark:].splitlines():
            if (BAD_LEVEL.search(line) or BAD_TEXT.search(line)) and \
                    not any(re.search(p, line) for p in ALWAYS_OK + self.expected):
                bad.append(line)
        return bad

    def get(self, path, host, cookie=None, cookie_header=None, headers=None):
        """GET on the virtual host `host`; `cookie` is a value for `session`."""
        hdrs = dict(headers or {})
        if cookie is not None:
            hdrs["Cookie"] = f"session={cookie}"
        if cookie_header is not None:
            hdrs["Cookie"] = cookie_header
        return self.httpd.get(path, headers=hdrs, host=host)

    def get_https(self, path, cookie=None):
        ctx = ssl._create_unverified_context()
        conn = http.client.HTTPSConnection("127.0.0.1", self.https_port, timeout=30,
                                           context=ctx)
        try:
            conn.request("GET", path, headers={"Host": "localhost",
                                               **({"Cookie": f"session={cookie}"}
                                                  if cookie else {})})
            resp = conn.getresponse()
            return resp.status, [(k.lower(), v) for k, v in resp.getheaders()], resp.read()
        finally:
            conn.close()


def start_shared(tmp, body, **kw):
    srv = Httpd(tmp, "shared")
    srv.write_config(body(srv), **kw)
    srv.start()
    return srv


def stop_shared(srv):
    srv.stop_and_check()


def vhost(name, *directives, port="*", extra=""):
    lines = "\n".join("    " + d for d in directives)
    return f"""
<VirtualHost 127.0.0.1:{port}>
    ServerName {name}
{lines}
{MOUNT}
{extra}
</VirtualHost>
"""


def site_config(tmp, https_port):
    key, crt = self_signed_cert(tmp)

    def body(srv):
        p = srv.port
        out = [f'CtxSecretKey "{KEY_A}"',
               # The first virtual host answers unknown names: no sessions there.
               vhost("default.test", port=p)]
        for f in FORMATS:
            fmt = f"CtxSessionFormat {f}"
            out += [
                vhost(f"{f}.test", "CtxSession On", fmt, port=p),
                vhost(f"{f}-otherkey.test", f'CtxSecretKey "{KEY_OTHER}"', "CtxSession On",
                      fmt, port=p),
                vhost(f"{f}-sid.test", "CtxSession On", fmt, "CtxSessionCookieName sid",
                      port=p),
                vhost(f"{f}-short.test", "CtxSession On", fmt, "CtxSessionMaxAge 2", port=p),
                vhost(f"{f}-age.test", "CtxSession On", fmt, "CtxSessionMaxAge 1000", port=p),
                vhost(f"{f}-norefresh.test", "CtxSession On", fmt, "CtxSessionMaxAge 1000",
                      "CtxSessionRefresh Off", port=p),
                vhost(f"{f}-small.test", "CtxSession On", fmt, "CtxSessionMaxSize 256",
                      port=p),
                vhost(f"{f}-errdoc.test", "CtxSession On", fmt, "ErrorDocument 404 /counter",
                      "ErrorDocument 400 /counter", port=p),
                vhost(f"{f}-errhome.test", "CtxSession On", fmt, "ErrorDocument 400 /home",
                      port=p),
                # Two apps on the main server's key, and a second vhost of one.
                vhost(f"{f}-shop.test", "CtxAppName shop", "CtxSession On", fmt, port=p),
                vhost(f"{f}-shop2.test", "CtxAppName shop", "CtxSession On", fmt, port=p),
                vhost(f"{f}-admin.test", "CtxAppName admin", "CtxSession On", fmt, port=p),
                # Cookies of format 1: read by choice, by default with a key
                # of one app only, or never.
                vhost(f"{f}-legacy.test", "CtxSessionLegacyCookies On", "CtxSession On", fmt,
                      port=p),
                vhost(f"{f}-ownkey.test", f'CtxSecretKey "{own_key(f)}"', "CtxSession On", fmt,
                      port=p),
                vhost(f"{f}-ownkey-off.test", f'CtxSecretKey "{own_key(f, "off")}"',
                      "CtxSessionLegacyCookies Off", "CtxSession On", fmt, port=p),
                vhost(f"{f}-lifetime.test", "CtxSession On", fmt, "CtxSessionMaxAge 1000",
                      "CtxSessionMaxLifetime 3", port=p),
            ]
        out += [
            vhost("attrs.test", "CtxSession On", "CtxSessionCookieName sid",
                  "CtxSessionCookiePath /app", "CtxSessionCookieDomain example.test",
                  "CtxSessionCookieSecure On", "CtxSessionCookieHttpOnly Off",
                  "CtxSessionCookieSameSite Strict", "CtxSessionCookiePartitioned On",
                  port=p),
            vhost("samesite-none.test", "CtxSession On", "CtxSessionCookieSameSite None",
                  "CtxSessionCookieSecure On", port=p),
            vhost("samesite-off.test", "CtxSession On", "CtxSessionCookieSameSite Off",
                  port=p),
            vhost("secure-auto.test", "CtxSession On", "CtxSessionCookieSecure Auto",
                  port=p),
            f"Listen 127.0.0.1:{https_port} https",
            "SSLSessionCache none",
            vhost("localhost", "SSLEngine on", f"SSLCertificateFile {crt}",
                  f"SSLCertificateKeyFile {key}", "CtxSession On",
                  "CtxSessionCookieSecure Auto", port=https_port),
        ]
        return "\n".join(out)
    return body


@pytest.fixture(scope="module")
def shared_site():
    tmp = Path(tempfile.mkdtemp(prefix="ctx-itest-sessions-"))
    tmp.chmod(0o755)
    https_port = free_port()
    srv = start_shared(tmp, site_config(tmp, https_port), modules=("ssl",))
    srv.expect_log(r"AH01873")     # mod_ssl: no session cache (we turned it off)
    srv.expect_log(r"AH01882")     # mod_ssl: built against a newer OpenSSL (the image's)
    srv.expect_log(FLASK_SHARED)   # the flask vhosts share KEY_A (docs/sessions.md: Formats)
    yield Site(srv, https_port)
    stop_shared(srv)


@pytest.fixture
def site(shared_site):
    shared_site.begin()
    yield shared_site
    bad = shared_site.unexpected_lines()
    assert not bad, "unexpected error-log lines:\n" + "\n".join(bad)


# ---- cookies --------------------------------------------------------------------

def parse_set_cookie(header):
    """(name, value, attributes): attributes maps lower-case names to their
    value (True for flags), in order."""
    parts = [p.strip() for p in header.split(";")]
    name, _, value = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, eq, v = p.partition("=")
        attrs[k.lower()] = v if eq else True
    return name, value, attrs


def set_cookies(resp, name="session"):
    return [parse_set_cookie(h) for h in resp.header_all("set-cookie")
            if h.split("=", 1)[0] == name]


def new_cookie(resp, name="session"):
    """The one Set-Cookie of `name` in a response: (value, attributes)."""
    found = set_cookies(resp, name)
    assert len(found) == 1, f"expected one Set-Cookie {name}: {resp.header_all('set-cookie')}"
    return found[0][1], found[0][2]


def vary_has_cookie(resp):
    return any("cookie" in [t.strip().lower() for t in v.split(",")]
               for v in resp.header_all("vary"))


def b64url_decode(s):
    assert re.fullmatch(r"[A-Za-z0-9_-]*", s), f"not base64url: {s!r}"
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cookie_ts(fmt, value):
    """The issue time inside a cookie value (readable in every format)."""
    ts = {"encrypted": lambda: value.split(".")[1],
          "signed": lambda: value.rsplit(".", 3)[1],
          "flask": lambda: value.rsplit(".", 2)[1]}[fmt]()
    return int.from_bytes(b64url_decode(ts), "big")


def cookie_created(fmt, value):
    """The creation time of a format 2 cookie (signed, encrypted)."""
    ct = value.split(".")[2] if fmt == "encrypted" else value.rsplit(".", 2)[1]
    return int.from_bytes(b64url_decode(ct), "big")


def readable_payload(fmt, value):
    """The session JSON of a signed or flask cookie, decoded here."""
    body = value[len("s2."):] if fmt == "signed" else value
    payload = body.rsplit(".", 3 if fmt == "signed" else 2)[0]
    if payload.startswith("."):
        return json.loads(zlib.decompress(b64url_decode(payload[1:])))
    return json.loads(b64url_decode(payload))


def flask_sign(secret, payload, ts):
    """A flask-format cookie made from the reference: K = HMAC-SHA1(secret,
    "cookie-session"), SIG = HMAC-SHA1(K, payload "." ts)."""
    k = hmac.new(secret.encode(), b"cookie-session", hashlib.sha1).digest()
    signed = f"{payload}.{b64url(ts.to_bytes((ts.bit_length() + 7) // 8, 'big'))}"
    return signed + "." + b64url(hmac.new(k, signed.encode(), hashlib.sha1).digest())


def hkdf32(secret, info):
    """HKDF-SHA256 (RFC 5869), salt "mod_ctx", as mod_ctx derives its keys
    (mod_ctx/ctx_keys.h), 32 bytes."""
    prk = hmac.new(b"mod_ctx", secret.encode(), hashlib.sha256).digest()
    return hmac.new(prk, info.encode() + b"\x01", hashlib.sha256).digest()


def sign_key(secret):
    return hkdf32(secret, "mod_ctx session signing v1")


def sign_v2(app, name, text, secret=KEY_A):
    """A format 2 signed cookie from its text "s2.PAYLOAD.TS.CT"."""
    msg = b"mod_ctx signed 2\0" + app.encode() + b"\0" + name.encode() + b"\0"
    mac = hmac.new(sign_key(secret), msg + text.encode(), hashlib.sha256).digest()
    return text + "." + b64url(mac)


def ts_text(t):
    return b64url(t.to_bytes((t.bit_length() + 7) // 8, "big"))


def old_signed(secret, name, data, ts):
    """An "s1." cookie as mod_ctx wrote it before format 2: HMAC-SHA256 over
    "mod_ctx signed 1" NUL name NUL "s1." PAYLOAD "." TS."""
    text = "s1." + b64url(json.dumps(data, separators=(",", ":")).encode()) + "." + ts_text(ts)
    msg = b"mod_ctx signed 1\0" + name.encode() + b"\0" + text.encode()
    return text + "." + b64url(hmac.new(sign_key(secret), msg, hashlib.sha256).digest())


def old_encrypted(secret, name, data, ts):
    """An "e1." cookie as mod_ctx wrote it before format 2: AES-256-GCM,
    associated data "mod_ctx encrypted 1" NUL name NUL TS."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    key = hkdf32(secret, "mod_ctx session encryption v1")
    nonce = os.urandom(12)
    t = ts_text(ts)
    blob = AESGCM(key).encrypt(nonce, json.dumps(data, separators=(",", ":")).encode(),
                               b"mod_ctx encrypted 1\0" + name.encode() + b"\0" + t.encode())
    return "e1." + t + "." + b64url(nonce + blob)


def open_e2(secret, app, name, value):
    """The plaintext of a format 2 encrypted cookie, opened here."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    key = hkdf32(secret, "mod_ctx session encryption v1")
    times, blob = value[3:].rsplit(".", 1)
    raw = b64url_decode(blob)
    ad = b"mod_ctx encrypted 2\0" + app.encode() + b"\0" + name.encode() + b"\0"
    return AESGCM(key).decrypt(raw[:12], raw[12:], ad + times.encode())


def count_of(resp):
    assert resp.status == 200, (resp.status, resp.text)
    m = re.fullmatch(r"count=(\d+)\n", resp.text)
    assert m, resp.text
    return int(m.group(1))


def session_of(resp):
    assert resp.status == 200, (resp.status, resp.text)
    return json.loads(resp.text)


# ---- round trip and layout --------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_counter_counts_up_when_the_cookie_is_replayed(site, fmt):
    host = f"{fmt}.test"
    r1 = site.get("/counter", host)
    assert count_of(r1) == 1
    c1, _ = new_cookie(r1)
    r2 = site.get("/counter", host, c1)
    assert count_of(r2) == 2
    c2, _ = new_cookie(r2)
    r3 = site.get("/counter", host, c2)
    assert count_of(r3) == 3
    c3, _ = new_cookie(r3)
    # The state is in the cookie: an older cookie gives the older count.
    assert count_of(site.get("/counter", host, c1)) == 2
    assert session_of(site.get("/session", host, c3)) == {"count": 3}


@pytest.mark.parametrize("start, then", [
    ("-5", "count=-4\n"),                         # negative counts count up
    ("9223372036854775806", "count=9223372036854775807\n"),
    ("9223372036854775807", "count=1\n"),         # the largest starts again
    ('"seven"', "count=1\n"),                     # not an integer: from 0
])
def test_counter_answers_every_integer_it_can_meet(site, start, then):
    host = "signed.test"
    r = site.get(f"/session/setjson?count={start}", host)
    c, _ = new_cookie(r)
    r = site.get("/counter", host, c)
    assert (r.status, r.text) == (200, then)


@pytest.mark.parametrize("fmt", FORMATS)
def test_cookie_value_has_the_documented_layout(site, fmt):
    before = int(time.time())
    value, _ = new_cookie(site.get("/counter", f"{fmt}.test"))
    after = int(time.time())
    assert before - 1 <= cookie_ts(fmt, value) <= after + 1
    if fmt == "signed":
        # "s2." PAYLOAD "." TS "." CT "." MAC, MAC = HMAC-SHA256 over the
        # domain, app and cookie names and the text before it.
        assert value.startswith("s2.")
        payload, ts, ct, mac = value[3:].split(".")
        assert ct == ts                                    # a new session
        assert b64url_decode(payload) == b'{"count":1}'
        assert value == sign_v2("signed.test", "session", value.rsplit(".", 1)[0])
    elif fmt == "encrypted":
        # "e2." TS "." CT "." b64url(nonce[12] ciphertext tag[16]), ciphertext
        # as long as the JSON {"count":1}; app and cookie name in the AAD.
        assert value.startswith("e2.")
        _, ts, ct, blob = value.split(".")
        assert ct == ts
        assert len(b64url_decode(blob)) == 12 + len(b'{"count":1}') + 16
        assert open_e2(KEY_A, "encrypted.test", "session", value) == b'{"count":1}'
    else:
        # Flask's own value: b64url(JSON) "." TS "." HMAC-SHA1, no prefix.
        payload, ts, sig = value.split(".")
        assert payload == b64url(b'{"count":1}') == "eyJjb3VudCI6MX0"
        assert len(sig) == 27
        assert value == flask_sign(KEY_A, payload, cookie_ts(fmt, value))


@pytest.mark.parametrize("fmt", ["signed", "flask"])
def test_readable_formats_compress_large_sessions(site, fmt):
    # Both use a "." prefix and zlib when that is shorter; signed only tries
    # from 200 bytes of JSON on, Flask (and so the flask format) always.
    big = "abc" * 200
    value, _ = new_cookie(site.get("/session/set?v=" + big, f"{fmt}.test"))
    payload = (value[3:] if fmt == "signed" else value).rsplit(".", 3 if fmt == "signed" else 2)[0]
    assert payload.startswith(".") and len(payload) < len(big) // 2
    assert readable_payload(fmt, value) == {"v": big}
    small = "a" * 150                                  # 160 bytes of JSON
    value, _ = new_cookie(site.get("/session/set?v=" + small, f"{fmt}.test"))
    payload = (value[3:] if fmt == "signed" else value).rsplit(".", 3 if fmt == "signed" else 2)[0]
    assert payload.startswith(".") == (fmt == "flask")
    assert readable_payload(fmt, value) == {"v": small}
    assert session_of(site.get("/session", f"{fmt}.test", value)) == {"v": small}


def test_encrypted_cookie_reveals_nothing_of_the_session(site):
    marker = "hunter2-marker"
    path = f"/session/set?password={marker}"
    r1, r2 = site.get(path, "encrypted.test"), site.get(path, "encrypted.test")
    assert session_of(r1) == session_of(r2) == {"password": marker}
    v1, v2 = new_cookie(r1)[0], new_cookie(r2)[0]
    for v in (v1, v2):
        assert marker not in v and "password" not in v
        _, ts, ct, blob = v.split(".")
        raw = b64url_decode(blob)
        assert b"hunter2" not in raw and b"password" not in raw
        # Not compressed either: the ciphertext is exactly as long as the JSON.
        assert len(raw) == 12 + len(json.dumps({"password": marker},
                                               separators=(",", ":"))) + 16
    # A random nonce: the same session never encrypts the same way twice.
    assert v1.split(".")[3][:16] != v2.split(".")[3][:16]
    # A large, very compressible value is not compressed (no length oracle).
    r = site.get("/session/set?v=" + "a" * 500, "encrypted.test")
    raw = b64url_decode(new_cookie(r)[0].split(".")[3])
    assert len(raw) == 12 + len('{"v":""}') + 500 + 16


# ---- when Set-Cookie and Vary are sent ----------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_vary_cookie_only_when_the_session_was_used(site, fmt):
    host = f"{fmt}.test"
    r = site.get("/counter", host)
    assert vary_has_cookie(r)
    cookie, _ = new_cookie(r)
    assert vary_has_cookie(site.get("/session", host))                 # read, no cookie
    assert vary_has_cookie(site.get("/session", host, cookie))         # read
    assert vary_has_cookie(site.get("/session/clear", host, cookie))
    for resp in (site.get("/home", host), site.get("/home", host, cookie),
                 site.get("/g", host, cookie)):
        assert resp.status == 200
        assert not vary_has_cookie(resp), resp.headers
        assert not resp.header_all("set-cookie")


@pytest.mark.parametrize("header", ["unset Vary", "set Vary Accept-Language",
                                    "merge Vary Accept-Language"])
def test_vary_cookie_stays_when_a_filter_rewrites_vary_after_the_use(make_server, header):
    # mod_headers' Header runs in a content filter, after the handler's use
    # of the session put Vary: Cookie and before the save, which must see
    # what became of it.
    srv = make_server(f'CtxSecretKey "{KEY_A}"\n<VirtualHost 127.0.0.1:*>\n'
                      f"    ServerName vary.test\n    CtxSession On\n{MOUNT}\n"
                      f"    Header {header}\n</VirtualHost>\n",
                      modules=("headers",))
    for path in ("/counter", "/session"):
        resp = srv.get(path, host="vary.test")
        assert resp.status == 200
        assert vary_has_cookie(resp), (path, resp.headers)
        if header != "unset Vary":
            assert "accept-language" in ",".join(resp.header_all("vary")).lower()


@pytest.mark.parametrize("fmt", FORMATS)
def test_unchanged_session_sends_no_set_cookie(site, fmt):
    host = f"{fmt}.test"
    cookie, _ = new_cookie(site.get("/counter", host))
    read = site.get("/session", host, cookie)
    assert session_of(read) == {"count": 1}
    assert not read.header_all("set-cookie")
    # Nothing to save without a cookie either.
    for path in ("/session", "/session/clear", "/session/permanent?on=0"):
        r = site.get(path, host)
        assert session_of(r) == {}
        assert not r.header_all("set-cookie"), (path, r.headers)
    # Making a non-permanent session non-permanent changes nothing.
    r = site.get("/session/permanent?on=0", host, cookie)
    assert session_of(r) == {"count": 1}
    assert not r.header_all("set-cookie")


@pytest.mark.parametrize("fmt", FORMATS)
def test_clear_sends_an_expired_cookie_and_the_session_is_then_empty(site, fmt):
    host = f"{fmt}.test"
    cookie, _ = new_cookie(site.get("/session/set?user=alice", host))
    r = site.get("/session/clear", host, cookie)
    assert session_of(r) == {}
    assert r.header_all("set-cookie") == [
        f"session=; {DELETED}; Max-Age=0; HttpOnly; Path=/; SameSite=Lax"]
    # What a browser sends next: no cookie, or an empty one.
    assert session_of(site.get("/session", host)) == {}
    r = site.get("/session", host, "")
    assert session_of(r) == {}
    assert not r.header_all("set-cookie")
    assert count_of(site.get("/counter", host, "")) == 1


# ---- keys ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rotating_server():
    """A server whose key changes by graceful restarts: (server,
    reconfigure(key, fallbacks)); reconfigure waits until the answers come
    from the new generation."""
    tmp = Path(tempfile.mkdtemp(prefix="ctx-itest-rotation-"))
    tmp.chmod(0o755)
    state = {"gen": 0}

    def body(key, fallbacks):
        def make(srv):
            out = [f'CtxSecretKey "{key}"', f"CtxConfig GEN {state['gen']}"]
            out += [f'CtxSecretKeyFallback "{k}"' for k in fallbacks]
            out += [vhost(f"{f}.test", "CtxSession On", f"CtxSessionFormat {f}",
                          port=srv.port) for f in FORMATS]
            return "\n".join(out)
        return make

    srv = start_shared(tmp, body(KEY_A, ()))

    def reconfigure(key, fallbacks=()):
        state["gen"] += 1
        srv.write_config(body(key, fallbacks)(srv))
        srv.graceful()
        deadline, in_a_row = time.monotonic() + 20, 0
        while in_a_row < 8:
            assert time.monotonic() < deadline, "the new generation never answered"
            gen = srv.get("/config?key=GEN", host="signed.test").fields()["config.GEN"]
            in_a_row = in_a_row + 1 if gen == str(state["gen"]) else 0
        return srv

    yield srv, reconfigure
    stop_shared(srv)


@pytest.fixture
def rotating(rotating_server):
    srv, reconfigure = rotating_server
    watch = Site(srv)
    watch.begin()
    yield reconfigure
    bad = watch.unexpected_lines()
    assert not bad, "unexpected error-log lines:\n" + "\n".join(bad)


@pytest.mark.parametrize("fmt", FORMATS)
def test_key_rotation_keeps_old_cookies_and_reissues_them_under_the_new_key(rotating, fmt):
    host = f"{fmt}.test"
    srv = rotating(KEY_A)
    under_a, _ = new_cookie(srv.get("/counter", host=host))
    time.sleep(max(0, cookie_ts(fmt, under_a) + 1.05 - time.time()))  # a later second

    # Restarted with the new key B, A as a fallback: A's cookie still counts...
    srv = rotating(KEY_B, [KEY_A])
    r = srv.get("/counter", host=host, headers={"Cookie": f"session={under_a}"})
    assert r.text == "count=2\n"
    under_b, _ = new_cookie(r)
    # ...and even a request that only reads it gets it back under B...
    r = srv.get("/session", host=host, headers={"Cookie": f"session={under_a}"})
    assert json.loads(r.text) == {"count": 1}
    reissued, _ = new_cookie(r)
    # ...keeping its issue time (issue #10, 7): retiring A still ends it at
    # A's issue time + max age. The change above got a fresh issue time.
    assert cookie_ts(fmt, reissued) == cookie_ts(fmt, under_a) < cookie_ts(fmt, under_b)
    # A cookie under the current key is not re-issued on a read.
    r = srv.get("/session", host=host, headers={"Cookie": f"session={under_b}"})
    assert json.loads(r.text) == {"count": 2}
    assert not r.header_all("set-cookie")

    # The re-issued cookies are B's: a server with only A refuses them...
    srv = rotating(KEY_A)
    for c in (under_b, reissued):
        assert srv.get("/counter", host=host,
                       headers={"Cookie": f"session={c}"}).text == "count=1\n"
    # ...a server with only B accepts them, and no longer A's.
    srv = rotating(KEY_B)
    assert srv.get("/counter", host=host,
                   headers={"Cookie": f"session={under_b}"}).text == "count=3\n"
    assert srv.get("/counter", host=host,
                   headers={"Cookie": f"session={reissued}"}).text == "count=2\n"
    assert srv.get("/counter", host=host,
                   headers={"Cookie": f"session={under_a}"}).text == "count=1\n"


KEY_C = "session-test-key-C-0123456789abcdefghij"


def test_vhost_with_its_own_key_has_only_its_own_fallbacks(make_server):
    """Security issue #10, item 2. The main server rotates from A to B (A a
    fallback). A vhost with its own key must not accept A's cookies, else an
    "isolated" vhost takes the main site's old cookies and re-issues them under
    its own key; with its own fallback C it accepts C. A vhost that sets no key
    and no fallback inherits both B and A."""
    out = [f'CtxSecretKey "{KEY_B}"', f'CtxSecretKeyFallback "{KEY_A}"']
    for f in FORMATS:
        # one app on every vhost: only the keys may tell them apart here
        fmt = f"CtxSessionFormat {f}\n    CtxAppName one-app"
        out += [
            vhost(f"{f}-maker-a.test", f'CtxSecretKey "{KEY_A}"', "CtxSession On", fmt),
            vhost(f"{f}-maker-c.test", f'CtxSecretKey "{KEY_C}"', "CtxSession On", fmt),
            vhost(f"{f}-isolated.test", f'CtxSecretKey "{KEY_OTHER}"', "CtxSession On", fmt),
            vhost(f"{f}-isolated-own.test", f'CtxSecretKey "{KEY_OTHER}"',
                  f'CtxSecretKeyFallback "{KEY_C}"', "CtxSession On", fmt),
            vhost(f"{f}-inherits.test", "CtxSession On", fmt),
        ]
    srv = make_server("\n".join(out))

    def count(host, cookie):
        return count_of(srv.get("/counter", host=host,
                                headers={"Cookie": f"session={cookie}"}))

    for f in FORMATS:
        under_a, _ = new_cookie(srv.get("/counter", host=f"{f}-maker-a.test"))
        under_c, _ = new_cookie(srv.get("/counter", host=f"{f}-maker-c.test"))
        assert count(f"{f}-inherits.test", under_a) == 2, f     # inherited fallback A
        assert count(f"{f}-isolated.test", under_a) == 1, f     # not the main's fallback
        assert count(f"{f}-isolated-own.test", under_a) == 1, f
        assert count(f"{f}-isolated-own.test", under_c) == 2, f  # its own fallback C
        assert count(f"{f}-isolated.test", under_c) == 1, f
        assert count(f"{f}-inherits.test", under_c) == 1, f


@pytest.mark.parametrize("fmt", FORMATS)
def test_cookie_under_an_unrelated_key_starts_a_fresh_session(site, fmt):
    other, _ = new_cookie(site.get("/counter", f"{fmt}-otherkey.test"))
    r = site.get("/counter", f"{fmt}-otherkey.test", other)
    assert count_of(r) == 2                            # valid where it was made
    other, _ = new_cookie(r)
    r = site.get("/counter", f"{fmt}.test", other)
    assert count_of(r) == 1
    fresh, _ = new_cookie(r)
    assert count_of(site.get("/counter", f"{fmt}.test", fresh)) == 2
    assert session_of(site.get("/session", f"{fmt}.test", other)) == {}


@pytest.mark.parametrize("fmt", FORMATS)
def test_cookie_name_is_bound_except_in_flask_format(site, fmt):
    # Same key and format, cookie named sid: signed and encrypted cover the
    # name with the MAC/tag; Flask does not bind it, nor does the flask format.
    value, _ = new_cookie(site.get("/counter", f"{fmt}.test"))
    r = site.get("/counter", f"{fmt}-sid.test", cookie_header=f"sid={value}")
    assert count_of(r) == (2 if fmt == "flask" else 1)
    sid, _ = new_cookie(r, "sid")
    assert count_of(site.get("/counter", f"{fmt}-sid.test",
                             cookie_header=f"sid={sid}")) == count_of(r) + 1
    # The vhost named sid ignores a cookie named session.
    assert count_of(site.get("/counter", f"{fmt}-sid.test", sid)) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_cookie_of_one_app_is_no_session_of_another_sharing_its_key(site, fmt):
    # Issue #10 (5): shop and admin inherit the main server's key; the app's
    # name is bound in signed and encrypted. Flask binds no app (docs/sessions.md).
    shop, _ = new_cookie(site.get("/session/set?user=alice", f"{fmt}-shop.test"))
    assert session_of(site.get("/session", f"{fmt}-shop.test", shop)) == {"user": "alice"}
    # Another vhost of the same app (CtxAppName shop) shares the session.
    assert session_of(site.get("/session", f"{fmt}-shop2.test", shop)) == {"user": "alice"}
    r = site.get("/session", f"{fmt}-admin.test", shop)
    if fmt == "flask":
        assert session_of(r) == {"user": "alice"}
        return
    assert session_of(r) == {}
    assert count_of(site.get("/counter", f"{fmt}-admin.test", shop)) == 1
    admin, _ = new_cookie(site.get("/session/set?user=root", f"{fmt}-admin.test"))
    assert session_of(site.get("/session", f"{fmt}-shop.test", admin)) == {}
    # Nor is a vhost named by its ServerName the same app.
    assert session_of(site.get("/session", f"{fmt}.test", shop)) == {}


def test_flask_apps_sharing_a_key_and_cookie_name_are_warned_about_at_startup(shared_site):
    # The flask format cannot bind the app: each flask vhost that shares KEY_A
    # and the cookie name "session" with another app's vhost before it gets one
    # warning naming both apps; vhosts with their own key or cookie name get
    # none. 12 such vhosts (shop has two), so 11 lines.
    lines = shared_site.httpd.log_lines(FLASK_SHARED)
    pairs = [re.search(r"apps '([^']+)' and '([^']+)'", ln).groups() for ln in lines]
    flask_apps = {"flask.test", "flask-short.test", "flask-age.test", "flask-norefresh.test",
                  "flask-small.test", "flask-errdoc.test", "flask-errhome.test", "shop",
                  "admin", "flask-legacy.test", "flask-lifetime.test"}
    assert len(pairs) == 11
    assert {a for p in pairs for a in p} == flask_apps
    assert all("[ctx:warn]" in ln for ln in lines)


@pytest.mark.parametrize("fmt", ["signed", "encrypted"])
def test_format_1_cookie_is_read_and_reissued_as_format_2_keeping_its_time(site, fmt):
    # Cookies written before format 2, built here as the old code did.
    make = old_signed if fmt == "signed" else old_encrypted
    issued = int(time.time()) - 100
    host = f"{fmt}-ownkey.test"           # CtxSessionLegacyCookies Auto, own key
    old = make(own_key(fmt), "session", {"count": 5}, issued)
    r = site.get("/session", host, old)
    assert session_of(r) == {"count": 5}
    new, _ = new_cookie(r)                # re-issued at once, on a mere read
    assert new.startswith(fmt[0] + "2.")
    assert cookie_ts(fmt, new) == issued and cookie_created(fmt, new) == issued
    assert session_of(site.get("/session", host, new)) == {"count": 5}
    assert not site.get("/session", host, new).header_all("set-cookie")
    r = site.get("/counter", host, new)
    assert count_of(r) == 6
    changed, _ = new_cookie(r)
    assert cookie_ts(fmt, changed) >= issued + 100 and cookie_created(fmt, changed) == issued
    # Explicitly On where the key is shared: read, re-issued bound to this app.
    old = make(KEY_A, "session", {"count": 7}, issued)
    r = site.get("/session", f"{fmt}-legacy.test", old)
    assert session_of(r) == {"count": 7}
    new, _ = new_cookie(r)
    assert session_of(site.get("/session", f"{fmt}.test", new)) == {}
    # Auto where other apps share the key, and Off: a fresh session.
    assert session_of(site.get("/session", f"{fmt}.test", old)) == {}
    old = make(own_key(fmt, "off"), "session", {"count": 9}, issued)
    r = site.get("/counter", f"{fmt}-ownkey-off.test", old)
    assert count_of(r) == 1


def test_max_lifetime_ends_a_session_however_often_it_is_refreshed(site):
    # CtxSessionMaxLifetime 3 (and MaxAge 1000): every request refreshes the
    # permanent session, yet it ends 3 s after its creation (whole seconds:
    # refused from created + 4 s on).
    cookies, created = {}, {}
    for fmt in FORMATS:
        r = site.get("/session/permanent?on=1", f"{fmt}-lifetime.test")
        cookies[fmt], _ = new_cookie(r)
        created[fmt] = cookie_ts(fmt, cookies[fmt])
    count = 0
    while time.time() < min(created.values()) + 3:
        count += 1
        for fmt in FORMATS:
            r = site.get("/counter", f"{fmt}-lifetime.test", cookies[fmt])
            assert count_of(r) == count, fmt
            cookies[fmt], _ = new_cookie(r)
            if fmt != "flask":
                assert cookie_created(fmt, cookies[fmt]) == created[fmt]
            else:   # the flask format keeps it in the session (docs/sessions.md)
                assert readable_payload(fmt, cookies[fmt])["_ctx_created"] == created[fmt]
        time.sleep(0.4)
    assert count >= 3
    time.sleep(max(0, max(created.values()) + 4.05 - time.time()))
    for fmt in FORMATS:
        assert cookie_ts(fmt, cookies[fmt]) >= created[fmt] + 2      # refreshed lately
        assert session_of(site.get("/session", f"{fmt}-lifetime.test", cookies[fmt])) == {}
        assert count_of(site.get("/counter", f"{fmt}-lifetime.test", cookies[fmt])) == 1


# ---- age -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def short_lived(shared_site):
    """Cookies from the CtxSessionMaxAge 2 hosts, replayed at once."""
    out = {}
    for f in FORMATS:
        value, _ = new_cookie(shared_site.get("/counter", f"{f}-short.test"))
        out[f] = (value, count_of(shared_site.get("/counter", f"{f}-short.test", value)))
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_cookie_older_than_max_age_starts_a_fresh_session(site, short_lived, fmt):
    value, replayed = short_lived[fmt]
    assert replayed == 2                      # accepted while young
    # Refused once now - issued > 2 s, i.e. from issued + 3 s on (whole seconds).
    wait = cookie_ts(fmt, value) + 3.05 - time.time()
    if wait > 0:
        time.sleep(wait)
    r = site.get("/counter", f"{fmt}-short.test", value)
    assert count_of(r) == 1
    assert session_of(site.get("/session", f"{fmt}-short.test", value)) == {}


@pytest.mark.parametrize("fmt", FORMATS)
def test_permanent_session_cookie_carries_max_age_and_expires(site, fmt):
    host = f"{fmt}-age.test"
    plain, attrs = new_cookie(site.get("/counter", host))
    assert "max-age" not in attrs and "expires" not in attrs
    now = time.time()
    r = site.get("/session/permanent?on=1", host, plain)
    assert session_of(r) == {"_permanent": True, "count": 1}
    permanent, attrs = new_cookie(r)
    assert attrs["max-age"] == "1000"
    expires = parsedate_to_datetime(attrs["expires"]).timestamp()
    assert now + 1000 - 5 <= expires <= time.time() + 1000 + 5
    # Still permanent after another change.
    r = site.get("/counter", host, permanent)
    assert count_of(r) == 2 and new_cookie(r)[1]["max-age"] == "1000"
    # Back to a browser-session cookie.
    r = site.get("/session/permanent?on=0", host, permanent)
    assert session_of(r) == {"count": 1}
    _, attrs = new_cookie(r)
    assert "max-age" not in attrs and "expires" not in attrs


@pytest.mark.parametrize("fmt", FORMATS)
def test_refresh_resends_a_permanent_cookie_on_every_request(site, fmt):
    host = f"{fmt}-age.test"                    # CtxSessionRefresh is On by default
    permanent, _ = new_cookie(site.get("/session/permanent?on=1", host))
    for path in ("/session", "/home", "/session/permanent?on=1"):
        r = site.get(path, host, permanent)
        assert r.status == 200
        value, attrs = new_cookie(r)
        assert attrs["max-age"] == "1000", path
        assert session_of(site.get("/session", host, value)) == {"_permanent": True}
    # Not a permanent session: nothing to refresh.
    plain, _ = new_cookie(site.get("/counter", host))
    assert not site.get("/session", host, plain).header_all("set-cookie")

    host = f"{fmt}-norefresh.test"              # CtxSessionRefresh Off
    permanent, _ = new_cookie(site.get("/session/permanent?on=1", host))
    for path in ("/session", "/home"):
        r = site.get(path, host, permanent)
        assert r.status == 200
        assert not r.header_all("set-cookie"), path
    r = site.get("/counter", host, permanent)     # a change is still saved
    assert count_of(r) == 1
    assert new_cookie(r)[1]["max-age"] == "1000"


# ---- cookie attributes -------------------------------------------------------------

def test_default_cookie_attributes_are_httponly_path_root_samesite_lax(site):
    r = site.get("/counter", "signed.test")
    value, _ = new_cookie(r)
    assert r.header_all("set-cookie") == [f"session={value}; HttpOnly; Path=/; SameSite=Lax"]


def test_configured_cookie_attributes_are_all_sent(site):
    r = site.get("/counter", "attrs.test")
    assert not set_cookies(r, "session")
    value, _ = new_cookie(r, "sid")
    assert r.header_all("set-cookie") == [
        f"sid={value}; Domain=example.test; Secure; Path=/app; SameSite=Strict; Partitioned"]
    # HttpOnly Off: no HttpOnly. The renamed cookie is the one read back.
    assert count_of(site.get("/counter", "attrs.test", cookie_header=f"sid={value}")) == 2
    assert count_of(site.get("/counter", "attrs.test", value)) == 1
    # The deleting cookie has the same Domain and Path, or it would delete nothing.
    r = site.get("/session/clear", "attrs.test", cookie_header=f"sid={value}")
    assert r.header_all("set-cookie") == [
        f"sid=; {DELETED}; Max-Age=0; Domain=example.test; Secure; Path=/app; "
        "SameSite=Strict; Partitioned"]


@pytest.mark.parametrize("host, samesite", [("samesite-none.test", "None"),
                                            ("samesite-off.test", None)])
def test_samesite_none_and_off(site, host, samesite):
    _, attrs = new_cookie(site.get("/counter", host))
    assert attrs.get("samesite") == samesite
    assert attrs.get("httponly") is True


def test_secure_auto_marks_the_cookie_secure_over_https_only(site):
    _, attrs = new_cookie(site.get("/counter", "secure-auto.test"))
    assert "secure" not in attrs
    status, headers, body = site.get_https("/counter")
    assert (status, body) == (200, b"count=1\n")
    cookies = [parse_set_cookie(v) for k, v in headers if k == "set-cookie"]
    assert len(cookies) == 1 and cookies[0][2].get("secure") is True
    status, _, body = site.get_https("/counter", cookies[0][1])
    assert (status, body) == (200, b"count=2\n")


# ---- size ----------------------------------------------------------------------

def incompressible(n):
    return base64.urlsafe_b64encode(os.urandom(n)).decode()[:n]


@pytest.mark.parametrize("fmt", FORMATS)
def test_oversized_change_is_refused_with_413_and_the_old_cookie_stays(site, fmt):
    host = f"{fmt}-small.test"                  # CtxSessionMaxSize 256
    old, _ = new_cookie(site.get("/session/set?user=alice", host))
    r = site.get(f'/session/setjson?blob="{incompressible(400)}"', host, old)
    assert r.status == 413
    assert not r.header_all("set-cookie")
    # The caller is told (CTX_ETOOLARGE): an info line naming the client
    # request, not an error (the fixture fails on any error line).
    lines = site.log_lines(r"session: setting 'blob' refused: the session would "
                           r"exceed the cookie size limit")
    assert len(lines) == 1
    assert "[ctx:info]" in lines[0] and "[client 127.0.0.1:" in lines[0], lines
    # The client's cookie still holds the session as it was.
    assert session_of(site.get("/session", host, old)) == {"user": "alice"}
    r = site.get("/counter", host, old)
    assert count_of(r) == 1
    assert session_of(site.get("/session", host, new_cookie(r)[0])) == \
        {"count": 1, "user": "alice"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_set_cookie_never_exceeds_max_size_and_uses_all_of_it(site, fmt):
    host = f"{fmt}-small.test"                  # CtxSessionMaxSize 256
    accepted, refused = [], []
    for n in range(0, 200):
        r = site.get("/session/set?v=" + incompressible(n), host)
        if r.status == 200:
            headers = r.header_all("set-cookie")
            assert len(headers) == 1
            accepted.append((n, len(headers[0])))
        else:
            assert r.status == 413 and not r.header_all("set-cookie")
            refused.append(n)
    assert accepted and refused
    assert max(length for _, length in accepted) <= 256
    # Refused means too large: nothing shorter than an accepted value is refused...
    assert min(refused) > max(n for n, _ in accepted)
    # ...and a value is only refused when its cookie would not fit (a few bytes
    # of base64 granularity aside): the limit is the Set-Cookie that would be
    # sent, not one with attributes this session does not have.
    assert max(length for _, length in accepted) >= 256 - 6, accepted[-3:]


@pytest.mark.parametrize("fmt", ["signed", "flask"])
def test_every_issued_cookie_is_accepted_however_well_it_compresses(site, fmt):
    # zlib makes 6000 x's a few bytes: the cookie fits CtxSessionMaxSize long
    # after its JSON is past what decoding admits. The set path refuses at the
    # same bound, so whatever the server issues it reads back.
    host = f"{fmt}.test"
    site.expect_log(r"session: setting 'k\d+' refused: the session would exceed "
                    r"the cookie size limit")
    cookie, want = None, {}
    for i in range(40):
        r = site.get(f"/session/set?k{i}=" + "x" * 6000, host, cookie)
        if r.status == 413:
            assert not r.header_all("set-cookie")
            break
        assert r.status == 200, r.status
        cookie, _ = new_cookie(r)
        want[f"k{i}"] = "x" * 6000
        assert session_of(site.get("/session", host, cookie)) == want, i
    else:
        pytest.fail("a session of 240 KB of JSON was issued")
    # bounded by CtxSessionMaxSize (4093): a few times the cookie, not 128 KiB
    assert 4093 < len(json.dumps(want)) <= 8 * 4093
    assert session_of(site.get("/session", host, cookie)) == want


@pytest.mark.parametrize("fmt", FORMATS)
def test_value_nested_too_deep_for_the_session_is_a_bad_request(site, fmt):
    # The session's object is a level of its own: a value may nest 63 deep.
    host = f"{fmt}.test"
    for depth, status in ((63, 200), (64, 400), (65, 400)):
        value = urllib.parse.quote("[" * depth + "]" * depth)
        r = site.get(f"/session/setjson?deep={value}", host)
        assert r.status == status, (depth, r.status)
        if status == 200:
            got = session_of(site.get("/session", host, new_cookie(r)[0]))
            assert got == {"deep": json.loads("[" * depth + "]" * depth)}
        else:
            assert not r.header_all("set-cookie")


# ---- bad input -------------------------------------------------------------------

def tampered(value, index):
    chars = list(value)
    chars[index] = "B" if chars[index] != "B" else "C"
    return "".join(chars)


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_cookies_give_a_fresh_session_never_an_error(site, fmt):
    host = f"{fmt}.test"
    good, _ = new_cookie(site.get("/counter", host))
    assert count_of(site.get("/counter", host, good)) == 2
    dots = [i for i, ch in enumerate(good) if ch == "."]
    bad_values = [
        "garbage", "", ".", "..", "...", "s1.", "e1.", "s1....", "e1..", "=", "%00",
        "s2.", "e2.", "s2.....", "e2...", "s2.e30.AA.AA.AA", "e2.AAAA.AAAA.AAAA",
        "s1.e30.AA.AA", "e1.AAAA.AAAA", "eyJjb3VudCI6OX0.AAAA.AAAA",
        "caf\xe9", "x" * 4000,
        good[:-1], good[:-4], good[: len(good) // 2], good[: dots[-1]], good[: dots[-1] + 1],
        good + "A", good + ".", "." + good, good.replace(".", "", 1),
        tampered(good, dots[0] + 2), tampered(good, dots[-2] + 2),     # payload / TS
        tampered(good, dots[-1] + 2), tampered(good, len(good) - 1),   # MAC / blob
        good[:-1] + ("B" if good[-1] == "A" else "A"),                 # last char
        good + "==",
    ]
    # Another format's prefix on this cookie.
    bad_values += ["s2." + good if fmt == "flask" else good[3:],
                   ("e2." if fmt == "signed" else "s2.") + good.split(".", 1)[-1]]
    for bad in bad_values:
        r = site.get("/counter", host, bad)
        assert r.status == 200 and r.text == "count=1\n", (bad, r.status, r.text)
        assert session_of(site.get("/session", host, bad)) == {}, bad
    # A valid value under another name is not the session.
    for header in (f"sessionx={good}", f"Session={good}", f"xsession={good}",
                   f"session_={good}", f"sid={good}", f"{good}", f"=session={good}"):
        r = site.get("/counter", host, cookie_header=header)
        assert (r.status, r.text) == (200, "count=1\n"), header
    # Among other cookies, it is found.
    r = site.get("/counter", host, cookie_header=f"a=1; session={good}; b=2")
    assert count_of(r) == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_first_session_cookie_that_verifies_is_used(site, fmt):
    host = f"{fmt}.test"
    one, _ = new_cookie(site.get("/counter", host))
    two, _ = new_cookie(site.get("/counter", host, one))
    assert count_of(site.get("/counter", host,
                             cookie_header=f"session=bad; x=1; session={two}")) == 3
    # Among the first four candidates (docs/sessions.md: Limits).
    junk = ["garbage", one[:-3], tampered(one, 5)]
    assert count_of(site.get("/counter", host, cookie_header="; ".join(
        f"session={j}" for j in junk) + f"; session={two}")) == 3
    # The same session twice is one session.
    assert count_of(site.get("/counter", host,
                             cookie_header=f"session={two}; session={two}")) == 3


@pytest.mark.parametrize("fmt", FORMATS)
def test_candidates_after_the_fourth_are_not_tried(site, fmt):
    host = f"{fmt}.test"
    one, _ = new_cookie(site.get("/counter", host))
    junk = ["garbage", one[:-3], tampered(one, 5), "", "s1.x.y.z"]
    many = "; ".join(f"session={j}" for j in junk * 6) + f"; session={one}"
    assert count_of(site.get("/counter", host, cookie_header=many)) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_two_different_valid_session_cookies_give_no_session(site, fmt):
    # One of them was placed beside the client's own: trust neither.
    host = f"{fmt}.test"
    one, _ = new_cookie(site.get("/counter", host))
    two, _ = new_cookie(site.get("/counter", host, one))
    for header in (f"session={one}; session={two}", f"session={two}; session={one}",
                   f"session=bad; x=1; session={one}; session={two}"):
        assert count_of(site.get("/counter", host, cookie_header=header)) == 1, header
        assert session_of(site.get("/session", host, cookie_header=header)) == {}


@pytest.mark.parametrize("fmt", FORMATS)
def test_session_smuggled_after_a_comma_in_another_cookie_is_ignored(site, fmt):
    # A page that can set `pref` must never choose the session: after a
    # comma, with or without a space, nothing is read, whether the client has
    # a session of its own or none.
    host = f"{fmt}.test"
    mine, _ = new_cookie(site.get("/counter", host))
    evil, _ = new_cookie(site.get("/session/set?user=mallory", host))
    for sep in (",", ", "):
        header = f"pref=dark{sep}session={evil}; session={mine}"
        assert session_of(site.get("/session", host, cookie_header=header)) == \
            {"count": 1}, header
        header = f"pref=dark{sep}session={evil}"
        assert session_of(site.get("/session", host, cookie_header=header)) == {}, header


@pytest.mark.parametrize("fmt", FORMATS)
def test_smuggled_session_padded_past_the_candidate_limit_does_not_win(site, fmt):
    # A session planted beside the client's own (a parent domain, a broader
    # path), padded with three junk values so that the client's own is the
    # fifth candidate and never decoded: the planted one must not become the
    # session for want of a conflict.
    host = f"{fmt}.test"
    mine, _ = new_cookie(site.get("/counter", host))
    evil, _ = new_cookie(site.get("/session/set?user=mallory", host))
    header = (f"session={evil}; session=j1; session=j2; session=j3"
              f"; session={mine}")
    got = session_of(site.get("/session", host, cookie_header=header))
    assert "user" not in got, got


def test_flask_format_refuses_future_and_expired_timestamps(site):
    payload = b64url(b'{"count":10}')
    now = int(time.time())
    cases = [(now, 11), (now + 30, 11),                 # within the 60 s skew
             (now + 3600, 1),                           # from the future
             (now - DEFAULT_MAX_AGE + 60, 11),          # 31 days, nearly
             (now - DEFAULT_MAX_AGE - 60, 1)]           # older than 31 days
    for ts, count in cases:
        cookie = flask_sign(KEY_A, payload, ts)
        assert count_of(site.get("/counter", "flask.test", cookie)) == count, ts - now


def test_flask_format_correctly_signed_bad_payloads_are_a_fresh_session(site):
    now = int(time.time())
    good = b64url(b'{"count":10}')
    payloads = [
        b64url(b'{"count":10'),                          # truncated JSON
        b64url(b'[1,2,3]'), b64url(b'"count"'), b64url(b'7'), b64url(b'null'),
        b64url(b'{"count":10}xyz'),                      # trailing garbage
        b64url(b'\xff\xfe{}'),                           # not UTF-8
        b64url(b'{"a":"\xc3"}'),                         # invalid UTF-8 in a string
        "." + b64url(b"not a zlib stream"),              # bad compression
        "." + b64url(zlib.compress(b'{"count":10}')[:-3]),   # truncated zlib stream
        "." + b64url(zlib.compress(b"[1]")),             # compressed, not an object
        good + "=",                                      # padding
        good[:-1] + chr(ord(good[-1]) + 1),              # stray bits in the last char
        "!" + good,
    ]
    for payload in payloads:
        r = site.get("/counter", "flask.test", flask_sign(KEY_A, payload, now))
        assert (r.status, r.text) == (200, "count=1\n"), payload
    # The control: the same construction with a good payload is accepted, also
    # compressed.
    assert count_of(site.get("/counter", "flask.test", flask_sign(KEY_A, good, now))) == 11
    compressed = "." + b64url(zlib.compress(b'{"count":10}'))
    assert count_of(site.get("/counter", "flask.test",
                             flask_sign(KEY_A, compressed, now))) == 11


# ---- inside the request: error documents, after the headers ---------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_error_document_redirect_shares_the_session_and_saves_it_once(site, fmt):
    host = f"{fmt}-errdoc.test"
    r = site.get("/counterx", host)              # the example's 404 -> /counter
    assert (r.status, r.text) == (404, "count=1\n")
    assert vary_has_cookie(r)
    cookie, _ = new_cookie(r)
    r = site.get("/session/nope", host, cookie)
    assert (r.status, r.text) == (404, "count=2\n")
    cookie, _ = new_cookie(r)
    r = site.get("/no/handler/here", host, cookie)   # core's 404
    assert (r.status, r.text) == (404, "count=3\n")
    cookie, _ = new_cookie(r)
    # A change made before the error, then the error document's own change:
    # one Set-Cookie with both.
    r = site.get("/session/setjson?a=1&b=%7Bbroken", host, cookie)
    assert (r.status, r.text) == (400, "count=4\n")
    cookie, _ = new_cookie(r)
    assert session_of(site.get("/session", host, cookie)) == {"a": 1, "count": 4}


@pytest.mark.parametrize("fmt", FORMATS)
def test_error_document_that_ignores_the_session_still_varies_on_cookie(site, fmt):
    # The page used the session and failed; its error document (/home) does
    # not touch the session, and answers with headers_out of its own: the
    # Vary: Cookie of the first use must still go out, with the change.
    host = f"{fmt}-errhome.test"
    r = site.get("/session/setjson?a=1&b=%7Bbroken", host)
    assert r.status == 400 and r.text.startswith("home page="), (r.status, r.text)
    assert vary_has_cookie(r), r.headers
    cookie, _ = new_cookie(r)
    assert session_of(site.get("/session", host, cookie)) == {"a": 1}


@pytest.mark.parametrize("fmt", FORMATS)
def test_error_response_still_carries_the_change_made_before_the_error(site, fmt):
    # As Flask saves the session of an aborted request: Set-Cookie goes into
    # err_headers_out.
    host = f"{fmt}.test"
    r = site.get("/session/setjson?a=%5B1%2C2%5D&b=%7Bbroken", host)
    assert r.status == 400
    assert vary_has_cookie(r)
    cookie, _ = new_cookie(r)
    assert session_of(site.get("/session", host, cookie)) == {"a": [1, 2]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_change_after_the_headers_were_sent_is_refused_and_logged(site, fmt):
    """Needs GET /t/session-late in tests/modules/mod_ctx_test.c (see the
    report): set "early", flush, set "late", answer key=value lines."""
    host = f"{fmt}.test"
    site.expect_log(r"session set 'late' after the response headers were sent")
    r = site.get("/t/session-late?early=1", host)
    assert r.status == 200, (r.status, r.text)
    f = r.fields()
    assert f["early"] == "0"
    assert f["late"] == f["etoolate"] == str(CTX_ETOOLATE)
    # A change in request code after the headers left is a bug in the caller:
    # an error, naming the client request.
    assert len(site.log_lines(r"\[ctx:error\].*\[client 127\.0\.0\.1:\d+\].*session "
                              r"set 'late' after the response headers were sent")) == 1
    cookie, _ = new_cookie(r)
    assert session_of(site.get("/session", host, cookie)) == {"early": "yes"}
    # First touched after the flush: refused too and nothing is sent, whether
    # the request has no cookie, the session cookie or only another cookie.
    for n, cookie_header in enumerate([None, f"session={cookie}", "other=1"], start=2):
        r = site.get("/t/session-late", host, cookie_header=cookie_header)
        assert r.status == 200
        assert r.fields()["late"] == str(CTX_ETOOLATE), cookie_header
        assert not r.header_all("set-cookie")
        assert len(site.log_lines(r"session set 'late' after")) == n, cookie_header


@pytest.mark.parametrize("fmt", FORMATS)
def test_strings_from_the_session_api_outlive_later_changes(site, fmt):
    """Security #10.3: get_string, get_json, keys and to_json hand out copies
    that live in the request pool; logout (clear), a new token or removing
    the key must not free them. Under ASan a lent pointer aborts the child."""
    r = site.get("/t/session-lifetimes", f"{fmt}.test")
    assert r.status == 200, (r.status, r.text)
    f = r.fields()
    assert f["user"] == "alice-the-first-user"
    assert f["csrf"] == "token-one-0123456789"
    assert json.loads(f["cart"]) == [1, 2, 3]
    assert sorted(f["keys"].split(",")) == ["cart", "csrf", "user"]
    assert json.loads(f["all"]) == {"user": "alice-the-first-user",
                                    "csrf": "token-one-0123456789", "cart": [1, 2, 3]}


def raw_get(site, host, *cookie_lines):
    """GET /counter with one Cookie header line per argument: its body."""
    lines = "".join(f"Cookie: {c}\r\n" for c in cookie_lines)
    with socket.create_connection(("127.0.0.1", site.httpd.port), timeout=30) as s:
        s.sendall((f"GET /counter HTTP/1.1\r\nHost: {host}\r\n{lines}"
                   f"Connection: close\r\n\r\n").encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    return data.split(b"\r\n\r\n", 1)[1]


@pytest.mark.parametrize("fmt", FORMATS)
def test_session_cookie_in_several_cookie_header_lines(site, fmt):
    # httpd joins repeated HTTP/1.1 Cookie lines with ", ", which cannot be
    # told from ", " inside a cookie's value: only the first line's pairs
    # are read (browsers send one line; HTTP/2 crumbs are all read).
    host = f"{fmt}.test"
    cookie, _ = new_cookie(site.get("/counter", host))
    assert raw_get(site, host, f"session={cookie}", "theme=dark") == b"count=2\n"
    assert raw_get(site, host, f"a=1; session={cookie}", "theme=dark") == b"count=2\n"
    assert raw_get(site, host, "theme=dark", f"session={cookie}") == b"count=1\n"


@pytest.mark.parametrize("fmt", FORMATS)
def test_session_is_only_ever_read_from_the_cookie_header(site, fmt):
    # mod_session's CVE-2018-1283 class: a request header must not feed the session.
    host = f"{fmt}.test"
    cookie, _ = new_cookie(site.get("/counter", host))
    for header in ("Session", "X-Replace-Session", "Cookie2", "Set-Cookie"):
        res = site.get("/session", host, headers={header: f"session={cookie}"})
        assert res.status == 200
        assert session_of(res) == {}, header
    assert session_of(site.get("/session", host, cookie)) == {"count": 1}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_cookie_field_of_the_request_is_read(make_server, fmt):
    # A module may add Cookie fields of its own (mod_headers' RequestHeader
    # add makes another field, which httpd does not join): each is read.
    conf = (f'CtxSecretKey "{KEY_A}"\n<VirtualHost 127.0.0.1:*>\n'
            f'    ServerName fields.test\n    CtxSession On\n'
            f'    CtxSessionFormat {fmt}\n{MOUNT}\n')
    first = make_server(conf + "</VirtualHost>\n")
    c1, _ = new_cookie(first.get("/counter", host="fields.test"))
    c2, _ = new_cookie(first.get("/counter", host="fields.test",
                                 headers={"Cookie": f"session={c1}"}))
    # Another server with the same key and names accepts the same cookies.
    srv = make_server(conf + '    RequestHeader add Cookie "theme=dark"\n'
                      f'    RequestHeader add cookie "session={c2}"\n'
                      "</VirtualHost>\n", modules=("headers",))
    # No Cookie of the client's: the session is in the third field.
    assert srv.get("/counter", host="fields.test").text == "count=3\n"
    # The client's c1 and the added c2 both verify: a conflict, so neither
    # is trusted (docs/sessions.md), which only reading both can find.
    assert srv.get("/counter", host="fields.test",
                   headers={"Cookie": f"session={c1}"}).text == "count=1\n"


def test_http2_cookie_crumbs_are_all_read(make_server):
    # HTTP/2 clients may send the Cookie header as several fields (crumbs);
    # mod_http2 joins them with "; ", so every pair is read.
    srv = make_server(f'Protocols h2c http/1.1\nCtxSecretKey "{KEY_A}"\nCtxSession On\n'
                      f'<VirtualHost 127.0.0.1:*>\n    ServerName h2.test\n{MOUNT}\n'
                      f'</VirtualHost>\n', modules=("http2",))
    srv.expect_log(r"\[http2:warn\].*AH10034")      # prefork: advisory only
    cookie, _ = new_cookie(srv.get("/counter", host="h2.test"))
    res = srv.curl("--http2-prior-knowledge", "-w", "\n%{http_version}",
                   "-H", "Host: h2.test", "-H", "Cookie: theme=dark",
                   "-H", f"Cookie: session={cookie}", "-H", "Cookie: lang=en",
                   f"http://127.0.0.1:{srv.port}/counter")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "count=2\n\n2", res.stdout

"""CtxSessionFormat flask against the real Flask 3.1.3 (flask_helper.py runs it
under the python3 that has it): cookies made by either side are read by the
other, values (Flask's tagged ones included) survive a change on the other
side, mod_ctx's cookie is byte for byte the one Flask would make, keys and
fallbacks agree, compressed payloads work both ways.

One httpd for the module (virtual hosts chosen by Host), one Flask process
answering serializer commands (FlaskPeer) and one real Flask app served by
werkzeug on a loopback port (FlaskServer).
"""
import base64
import json
import tempfile
import time
import urllib.parse
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from flask_helper import FLASK_VERSION, RICH_PY, FlaskPeer, FlaskServer
from test_sessions import (Site, count_of, new_cookie, parse_set_cookie, session_of,
                           start_shared, stop_shared, vary_has_cookie, vhost)

SECRET = "interop-secret-0123456789abcdefghijklmnop"
NEW_SECRET = "interop-new-secret-0123456789abcdefghijk"
OTHER = "interop-unrelated-0123456789abcdefghijklm"
MAX_AGE = 31 * 24 * 3600            # Flask's PERMANENT_SESSION_LIFETIME, mod_ctx's default

# RICH_PY as Flask's tagged JSON, written out from the reference
# (/work/shared/reference/flask-session-format.md).
RICH_TAGGED = {
    "tup": {" t": [1, "two", [3]]},
    "raw": {" b": base64.b64encode(b"\x00\xffbytes").decode()},
    "html": {" m": "<b>bold</b>"},
    "id": {" u": "12345678123456781234567812345678"},
    "when": {" d": "Tue, 02 Jan 2024 03:04:05 GMT"},
    "uni": "h\u00e9llo \u20ac \U0001f600 \"q\" \\ /\n\t\x01\x7f",
    "nested": {"a": [1, 2.5, None, True, False, {"b": []}], "z": {}},
    "lookalike": {" di": {" t__": "not a tuple"}},
    "big": 10**15, "neg": -7, "f": 1e20, "small": 1e-07,
}
FLASHES = [{" t": ["info", "hello"]}]


def flask_json(value):
    """The JSON text Flask writes (compact, sorted keys, ASCII escapes)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


@pytest.fixture(scope="module")
def shared_interop():
    tmp = Path(tempfile.mkdtemp(prefix="ctx-itest-interop-"))
    tmp.chmod(0o755)

    def body(srv):
        flask = ("CtxSession On", "CtxSessionFormat flask")
        return "\n".join([
            f'CtxSecretKey "{SECRET}"',
            vhost("default.test", port=srv.port),
            vhost("flask.test", *flask, port=srv.port),
            vhost("flasklike.test", *flask, "CtxSessionCookieSameSite Off", port=srv.port),
            vhost("rotated.test", *flask, f'CtxSecretKey "{NEW_SECRET}"',
                  f'CtxSecretKeyFallback "{SECRET}"', port=srv.port),
            vhost("other.test", *flask, f'CtxSecretKey "{OTHER}"', port=srv.port),
        ])
    srv = start_shared(tmp, body)
    # flask.test, flasklike.test and rotated.test (by its fallback) share a
    # key and a flask-format cookie name: mod_ctx says so at startup.
    srv.expect_log(r"share a secret key and the flask-format session cookie")
    yield Site(srv)
    stop_shared(srv)


@pytest.fixture
def site(shared_interop):
    shared_interop.begin()
    yield shared_interop
    bad = shared_interop.unexpected_lines()
    assert not bad, "unexpected error-log lines:\n" + "\n".join(bad)


@pytest.fixture(scope="module")
def flask_peer():
    peer = FlaskPeer()
    yield peer
    peer.close()


@pytest.fixture(scope="module")
def flask_app():
    server = FlaskServer(SECRET)
    yield server
    server.stop()


def flask_cookie(headers, name="session"):
    found = [parse_set_cookie(v) for k, v in headers if k == "set-cookie"]
    found = [f for f in found if f[0] == name]
    assert len(found) == 1, headers
    return found[0][1], found[0][2]


def test_the_peer_is_the_real_flask_3_1_3(flask_peer):
    assert flask_peer.version == FLASK_VERSION
    # The reference's worked example, made by Flask here.
    assert flask_peer.dump("dev", {"a": 1}, ts=1700000000) == \
        "eyJhIjoxfQ.ZVPxAA.D3QXMI0ZQYNZDxORB__kVZyT7hk"


def test_cookie_made_by_flask_counts_on_in_mod_ctx_and_flask_reads_the_result(
        site, flask_peer):
    made_by_flask = flask_peer.dump(SECRET, {"count": 41})
    r = site.get("/counter", "flask.test", made_by_flask)
    assert count_of(r) == 42
    value, _ = new_cookie(r)
    loaded = flask_peer.load(SECRET, value)
    assert loaded["valid"] and loaded["tagged"] == {"count": 42}
    # And round again through Flask's serializer.
    again = flask_peer.dump(SECRET, loaded["tagged"])
    assert count_of(site.get("/counter", "flask.test", again)) == 43


def test_mod_ctx_cookie_is_byte_for_byte_what_flask_would_make(site, flask_peer):
    values = {
        "uni": "h\u00e9llo \u20ac \U0001f600 \u2028 \ufeff",
        "escapes": "\"q\" \\ / \n\r\t\b\f \x01 \x1f \x7f <>&'",
        "floats": [0.1, -0.0, 1e20, 1e-07, 1e16, 100.0, 2.5, 5e-324,
                   1.7976931348623157e308, 12345678901234567890.0, 1 / 3],
        "ints": [0, -1, 2**53 + 1, 2**63 - 1, -2**63],
        "nested": {"z": {"y": [], "x": {}}, "a": None, "b": True, "c": [False, [[]]]},
        "keys": {"\u00e9": 1, "\u20ac": 2, "\U0001f600": 3, "Z": 4, "a": 5, "": 6, " ": 7},
        "B": "upper", "_": "under", "\u00e9t\u00e9": "accent",
    }
    query = "&".join(f"{urllib.parse.quote(k, safe='')}="
                     f"{urllib.parse.quote(json.dumps(v), safe='')}" for k, v in values.items())
    r = site.get("/session/setjson?" + query, "flask.test")
    assert r.status == 200, r.text
    # The answer is the session as Flask writes JSON...
    assert r.text.strip() == flask_json(values)
    value, _ = new_cookie(r)
    # ...and the cookie is exactly the one Flask makes for it at that second.
    assert flask_peer.redump(SECRET, value) == value
    loaded = flask_peer.load(SECRET, value, expect_py=repr(values))
    assert loaded["valid"] and loaded["equal"], (loaded["repr"], loaded["expected_repr"])


def test_flask_tagged_values_are_carried_through_a_mod_ctx_change(site, flask_peer):
    made_by_flask = flask_peer.dump(SECRET, py=RICH_PY)
    # mod_ctx sees the tags as plain JSON, in Flask's own serialization.
    r = site.get("/session", "flask.test", made_by_flask)
    assert r.text.strip() == flask_json(RICH_TAGGED)
    assert not r.header_all("set-cookie")
    # A change on the C side keeps every value and its Python type.
    r = site.get("/session/set?added=yes", "flask.test", made_by_flask)
    assert session_of(r) == {**RICH_TAGGED, "added": "yes"}
    value, _ = new_cookie(r)
    loaded = flask_peer.load(SECRET, value, expect_py="{**%s, 'added': 'yes'}" % RICH_PY)
    assert loaded["valid"] and loaded["equal"], (loaded["repr"], loaded["expected_repr"])
    assert flask_peer.redump(SECRET, value) == value
    # Tagged JSON written from C is the tagged value for Flask.
    r = site.get("/session/setjson?k=" + urllib.parse.quote('{" t":[1,2]}'), "flask.test")
    loaded = flask_peer.load(SECRET, new_cookie(r)[0], expect_py="{'k': (1, 2)}")
    assert loaded["equal"], loaded["repr"]         # a tuple


def test_real_flask_app_and_mod_ctx_share_one_session(site, flask_app):
    # Flask sets tagged values and a flash message, mod_ctx reads them.
    status, headers, body = flask_app.get("/rich")
    assert status == 200
    from_flask, _ = flask_cookie(headers)
    r = site.get("/session", "flask.test", from_flask)
    assert session_of(r) == {**RICH_TAGGED, "_flashes": FLASHES}
    # Counting alternates between the two servers with one cookie.
    r = site.get("/counter", "flask.test", from_flask)
    assert count_of(r) == 1
    cookie, _ = new_cookie(r)
    for expected in (2, 4, 6):
        status, headers, body = flask_app.get("/counter", cookie)
        assert status == 200 and json.loads(body) == {"count": expected}
        cookie, _ = flask_cookie(headers)
        r = site.get("/counter", "flask.test", cookie)
        assert count_of(r) == expected + 1
        cookie, _ = new_cookie(r)
    status, _, body = flask_app.get("/session", cookie)
    assert json.loads(body) == {**RICH_TAGGED, "_flashes": FLASHES, "count": 7}


def test_permanent_flag_means_the_same_on_both_sides(site, flask_app):
    status, headers, _ = flask_app.get("/permanent?on=1")
    from_flask, attrs = flask_cookie(headers)
    assert "expires" in attrs
    # mod_ctx sees a permanent session: it refreshes it on a mere read, with
    # the same lifetime.
    now = time.time()
    r = site.get("/session", "flask.test", from_flask)
    assert session_of(r) == {"_permanent": True}
    refreshed, attrs = new_cookie(r)
    assert attrs["max-age"] == str(MAX_AGE)
    assert abs(parsedate_to_datetime(attrs["expires"]).timestamp() - (now + MAX_AGE)) < 5
    # mod_ctx turns it off, Flask sees a non-permanent session.
    r = site.get("/session/permanent?on=0", "flask.test", refreshed)
    status, headers, body = flask_app.get("/session", new_cookie(r)[0])
    assert json.loads(body) == {}
    # mod_ctx turns it on, Flask keeps sending Expires.
    r = site.get("/session/permanent?on=1", "flask.test")
    status, headers, body = flask_app.get("/counter", new_cookie(r)[0])
    assert json.loads(body) == {"count": 1}
    assert "expires" in flask_cookie(headers)[1]


def test_cookies_under_another_key_are_refused_by_both_sides(site, flask_peer, flask_app):
    # Flask's cookie under another key: mod_ctx starts a fresh session.
    foreign = flask_peer.dump(OTHER, {"count": 41})
    r = site.get("/counter", "flask.test", foreign)
    assert count_of(r) == 1
    # mod_ctx's cookie under another key: Flask refuses it.
    mine, _ = new_cookie(site.get("/counter", "other.test"))
    assert flask_peer.load(OTHER, mine)["valid"]
    assert flask_peer.load(SECRET, mine) == {"valid": False, "error": "BadTimeSignature"}
    status, _, body = flask_app.get("/counter", mine)
    assert json.loads(body) == {"count": 1}


def test_fallback_keys_agree_with_flasks_secret_key_fallbacks(site, flask_peer):
    old = flask_peer.dump(SECRET, {"count": 5})
    # rotated.test: CtxSecretKey NEW, CtxSecretKeyFallback SECRET.
    r = site.get("/counter", "rotated.test", old)
    assert count_of(r) == 6
    reissued, _ = new_cookie(r)
    assert flask_peer.load(NEW_SECRET, reissued)["tagged"] == {"count": 6}
    assert not flask_peer.load(SECRET, reissued)["valid"]
    # Flask rotated the same way reads both generations.
    mine_old, _ = new_cookie(site.get("/counter", "flask.test"))
    for cookie, count in ((mine_old, 1), (reissued, 6)):
        loaded = flask_peer.load(NEW_SECRET, cookie, fallbacks=[SECRET])
        assert loaded["valid"] and loaded["tagged"] == {"count": count}


def test_compressed_payloads_are_read_and_written_by_both_sides(site, flask_peer):
    big = {"text": "the same words again and again " * 20, "list": list(range(40))}
    made_by_flask = flask_peer.dump(SECRET, big)
    assert made_by_flask.startswith(".")              # Flask compressed it
    r = site.get("/counter", "flask.test", made_by_flask)
    assert count_of(r) == 1
    value, _ = new_cookie(r)
    assert value.startswith(".")                       # and so does mod_ctx
    assert flask_peer.load(SECRET, value)["tagged"] == {**big, "count": 1}
    assert flask_peer.redump(SECRET, value) == value
    # Made compressed by mod_ctx from the start.
    r = site.get("/session/set?text=" + urllib.parse.quote(big["text"]), "flask.test")
    value, _ = new_cookie(r)
    assert value.startswith(".")
    assert flask_peer.load(SECRET, value)["tagged"] == {"text": big["text"]}
    assert flask_peer.redump(SECRET, value) == value
    # A small session is not compressed, on either side.
    r = site.get("/session/set?a=b", "flask.test")
    value, _ = new_cookie(r)
    assert not value.startswith(".")
    assert not flask_peer.dump(SECRET, {"a": "b"}).startswith(".")
    assert flask_peer.redump(SECRET, value) == value


def test_flask_cookie_past_the_lifetime_or_from_the_future_is_refused(site, flask_peer):
    now = int(time.time())
    for ts, count in ((now - MAX_AGE + 60, 6), (now - MAX_AGE - 60, 1),
                      (now + 30, 6), (now + 3600, 1)):
        cookie = flask_peer.dump(SECRET, {"count": 5}, ts=ts)
        assert count_of(site.get("/counter", "flask.test", cookie)) == count, ts - now


def test_set_cookie_headers_match_flasks_when_samesite_is_off(site, flask_app):
    status, headers, _ = flask_app.get("/counter")
    flask_set = [v for k, v in headers if k == "set-cookie"]
    r = site.get("/counter", "flasklike.test")
    ours = r.header_all("set-cookie")
    assert len(flask_set) == len(ours) == 1
    assert flask_set[0].split(";", 1)[1] == ours[0].split(";", 1)[1] == " HttpOnly; Path=/"
    assert vary_has_cookie(r) and ("vary", "Cookie") in headers
    # Deleting: the very same header.
    status, headers, _ = flask_app.get("/clear", flask_cookie(headers)[0])
    r = site.get("/session/clear", "flasklike.test", new_cookie(r)[0])
    assert r.header_all("set-cookie") == [v for k, v in headers if k == "set-cookie"] == \
        ["session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/"]


@pytest.mark.parametrize("py", ["'nul \\x00 inside'", "2**64", "-2**63 - 1"])
def test_flask_values_c_cannot_hold_give_a_fresh_session_not_an_error(site, flask_peer, py):
    # Documented limit of the C side (mod_ctx/ctx_json.c: no U+0000, no
    # integers beyond 64 bits, as jansson): the cookie is refused as a whole.
    cookie = flask_peer.dump(SECRET, py="{'count': 5, 'v': %s}" % py)
    assert flask_peer.load(SECRET, cookie)["valid"]
    r = site.get("/counter", "flask.test", cookie)
    assert (r.status, r.text) == (200, "count=1\n")

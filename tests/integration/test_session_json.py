"""JSON values in the session without jansson (issue #11, item 5): doubles,
any JSON text, appending to a list, setting one field of an object, walking
every key with its value, the size limit on each of them, the log level of
refusals the caller handles, and the flask format read and written by the
real Flask 3.1.3 byte for byte.

The calls are made by the test module (tests/modules/mod_ctx_test.c,
GET /t/session-json?op=...), one call per request, the session carried from
one request to the next in its cookie. Expected values are the JSON the test
sets, as Python's json module writes it; status numbers are APR's and
mod_ctx.h's.
"""
import json
import re
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from test_session_flask_interop import flask_peer  # noqa: F401 (a fixture)
from test_sessions import (Site, incompressible, new_cookie, session_of, start_shared,
                           stop_shared, vhost)

SECRET = "session-json-secret-0123456789abcdefghij"
APR_EINVAL = 22
APR_NOTFOUND = 70000 + 15           # APR_OS_START_STATUS + 15
APR_EINCOMPLETE = 20000 + 22        # APR_OS_START_ERROR + 22
CTX_ETOOLATE = 120000 + 4300 + 2    # APR_OS_START_USERERR + 4300 + 2
CTX_ETOOLARGE = 120000 + 4300 + 3


@pytest.fixture(scope="module")
def shared_json():
    tmp = Path(tempfile.mkdtemp(prefix="ctx-itest-json-"))
    tmp.chmod(0o755)

    def body(srv):
        return "\n".join([
            f'CtxSecretKey "{SECRET}"',
            vhost("default.test", port=srv.port),
            vhost("signed.test", "CtxSession On", port=srv.port),
            vhost("small.test", "CtxSession On", "CtxSessionMaxSize 256", port=srv.port),
            vhost("flask.test", "CtxSession On", "CtxSessionFormat flask", port=srv.port),
        ])
    # Debug for mod_ctx: the levels of its lines are what some tests check.
    srv = start_shared(tmp, body,
                       log_level="warn ctx:debug ctx_example:notice ctx_test:notice")
    yield Site(srv)
    stop_shared(srv)


@pytest.fixture
def site(shared_json):
    shared_json.begin()
    yield shared_json
    bad = shared_json.unexpected_lines()
    assert not bad, "unexpected error-log lines:\n" + "\n".join(bad)


class Client:
    """One browser: calls the session API through the test module and keeps
    the cookie it is given."""

    def __init__(self, site, host, cookie=None):
        self.site, self.host, self.cookie = site, host, cookie

    def call(self, op, **args):
        r = self.site.get("/t/session-json?" + urllib.parse.urlencode({"op": op, **args}),
                          self.host, self.cookie)
        assert r.status == 200, (r.status, r.text)
        set_cookies = r.header_all("set-cookie")
        if set_cookies:
            self.cookie = new_cookie(r)[0]
        f = r.fields()
        f["rv"] = int(f["rv"])
        f["changed"] = bool(set_cookies)
        f["items"] = [line[len("item="):] for line in r.text.splitlines()
                      if line.startswith("item=")]
        return f

    def session(self):
        return session_of(self.site.get("/session", self.host, self.cookie))


def compact(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


# ---- doubles -------------------------------------------------------------------

def test_doubles_round_trip_and_json_integers_read_as_doubles(site):
    c = Client(site, "signed.test")
    assert c.call("set-double", k="d", v="2.5")["rv"] == 0
    assert float(c.call("get-double", k="d")["value"]) == 2.5
    assert c.session() == {"d": 2.5}
    assert c.call("set-double", k="tiny", v="1e-300")["rv"] == 0
    assert float(c.call("get-double", k="tiny")["value"]) == 1e-300
    assert c.call("set-json", k="i", v="3")["rv"] == 0
    assert float(c.call("get-double", k="i")["value"]) == 3.0


def test_double_getter_and_setter_refuse_what_json_cannot_be(site):
    c = Client(site, "signed.test")
    assert c.call("set-json", k="s", v='"2.5"')["rv"] == 0
    got = c.call("get-double", k="s")
    assert got["rv"] == APR_EINVAL and "value" not in got
    assert "invalid argument" in got["err"]
    got = c.call("get-double", k="absent")
    assert got["rv"] == APR_NOTFOUND and got["err"] == "key not found"
    for bad in ("nan", "inf", "-inf"):
        f = c.call("set-double", k="s", v=bad)
        assert f["rv"] == APR_EINVAL and not f["changed"], bad
    assert c.session() == {"s": "2.5"}


# ---- any JSON text ---------------------------------------------------------------

@pytest.mark.parametrize("text", ['[1,"a",{"b":null}]', '{"x":{"y":[true,false]},"a":[]}',
                                  '"str \\u00e9"', "1.5", "-7", "true", "false", "null",
                                  "[]", "{}"])
def test_set_and_get_json_of_every_json_type(site, text):
    c = Client(site, "signed.test")
    assert c.call("set-json", k="v", v=text)["rv"] == 0
    got = c.call("get-json", k="v")
    assert got["rv"] == 0
    assert json.loads(got["value"]) == json.loads(text)
    assert got["value"] == compact(json.loads(text))
    assert c.session() == {"v": json.loads(text)}


def test_bad_json_is_einval_and_changes_nothing(site):
    c = Client(site, "signed.test")
    assert c.call("set-json", k="v", v="[1]")["rv"] == 0
    for bad in ("{", "[1,]", "", "nul", "1 2", '{"a":1,"a":2}', "'x'", '"\\ud800"'):
        for op, extra in (("set-json", {}), ("append", {}), ("field", {"f": "x"})):
            f = c.call(op, k="v", v=bad, **extra)
            assert f["rv"] == APR_EINVAL and not f["changed"], (op, bad)
    assert c.session() == {"v": [1]}


# ---- one element at a time -----------------------------------------------------------

def test_append_creates_extends_and_refuses_a_non_list(site):
    c = Client(site, "signed.test")
    assert c.call("append", k="l", v="1")["rv"] == 0
    assert c.call("append", k="l", v='{"a":[2]}')["rv"] == 0
    assert c.call("append", k="l", v='"three"')["rv"] == 0
    assert c.call("get-json", k="l")["value"] == '[1,{"a":[2]},"three"]'
    for other in ('{"a":1}', '"s"', "1", "null"):
        assert c.call("set-json", k="o", v=other)["rv"] == 0
        f = c.call("append", k="o", v="1")
        assert f["rv"] == APR_EINVAL and not f["changed"], other
        assert c.call("get-json", k="o")["value"] == other
    assert c.session() == {"l": [1, {"a": [2]}, "three"], "o": None}


def test_set_field_creates_updates_and_refuses_a_non_object(site):
    c = Client(site, "signed.test")
    assert c.call("field", k="o", f="a", v="1")["rv"] == 0
    assert c.call("field", k="o", f="b", v="[true]")["rv"] == 0
    assert c.call("field", k="o", f="a", v='{"deep":null}')["rv"] == 0
    assert json.loads(c.call("get-json", k="o")["value"]) == \
        {"a": {"deep": None}, "b": [True]}
    for other in ("[1]", '"s"', "2.5", "false"):
        assert c.call("set-json", k="x", v=other)["rv"] == 0
        f = c.call("field", k="x", f="a", v="1")
        assert f["rv"] == APR_EINVAL and not f["changed"], other
    assert c.session() == {"o": {"a": {"deep": None}, "b": [True]}, "x": False}


# ---- walking the session -------------------------------------------------------------

def test_do_visits_every_key_with_its_json_reserved_keys_included(site):
    c = Client(site, "signed.test")
    values = {"s": "x\u00e9", "n": 1, "l": [1, [2]], "o": {"b": 1, "a": None}}
    for k, v in values.items():
        assert c.call("set-json", k=k, v=json.dumps(v))["rv"] == 0
    r = site.get("/session/permanent?on=1", "signed.test", c.cookie)
    c.cookie = new_cookie(r)[0]
    f = c.call("do")
    assert f["rv"] == 0
    seen = dict(item.split(" ", 1) for item in f["items"])
    assert {k: json.loads(v) for k, v in seen.items()} == {**values, "_permanent": True}
    assert seen["o"] == compact(values["o"])
    # A visitor may change the session: what it was handed stays valid (under
    # ASan a lent pointer would abort the child here).
    f = c.call("do", remove="1")
    assert f["rv"] == 0
    assert {i.split(" ", 1)[0]: json.loads(i.split(" ", 1)[1]) for i in f["items"]} == \
        {**values, "_permanent": True}
    assert c.session() == {}


def test_do_stops_when_the_visitor_says_so(site):
    c = Client(site, "signed.test")
    for k in ("a", "b", "c"):
        c.call("set-json", k=k, v="1")
    f = c.call("do", stop="2")
    assert f["rv"] == APR_EINCOMPLETE and len(f["items"]) == 2
    assert c.call("do", stop="4")["rv"] == 0        # never asked to stop


def test_json_calls_without_a_session_say_so(site):
    c = Client(site, "default.test")            # CtxSession Off
    for op, extra in (("set-double", {"v": "1"}), ("get-double", {}), ("append", {"v": "1"}),
                      ("field", {"f": "a", "v": "1"}), ("do", {})):
        f = c.call(op, k="k", **extra)
        assert f["rv"] == 120000 + 4300 + 1, op      # CTX_EDISABLED
        assert "CtxSession Off" in f["err"]


# ---- size limit and log levels -------------------------------------------------------

def test_oversized_json_changes_are_refused_unchanged_and_logged_at_info(site):
    c = Client(site, "small.test")              # CtxSessionMaxSize 256
    assert c.call("set-json", k="l", v="[1]")["rv"] == 0
    assert c.call("set-json", k="o", v='{"a":1}')["rv"] == 0
    blob = json.dumps(incompressible(300))
    for op, key, extra in (("append", "l", {}), ("field", "o", {"f": "a"}),
                           ("field", "o", {"f": "new"}), ("append", "new", {}),
                           ("set-json", "new", {})):
        f = c.call(op, k=key, v=blob, **extra)
        assert f["rv"] == CTX_ETOOLARGE and not f["changed"], (op, key)
        assert "CtxSessionMaxSize" in f["err"]
    assert c.call("set-double", k="d", v="0.5")["rv"] == 0
    assert c.session() == {"l": [1], "o": {"a": 1}, "d": 0.5}
    lines = site.log_lines(r"refused: the session would exceed the cookie size limit")
    assert len(lines) == 5, lines
    # The caller handles it: info, not error, and it names the client request.
    assert all("[ctx:info]" in line for line in lines), lines
    assert all(re.search(r"\[client 127\.0\.0\.1:\d+\]", line) for line in lines), lines


def test_a_tasks_read_only_session_refuses_changes_at_debug_level(site):
    c = Client(site, "signed.test")
    assert c.call("set-json", k="k", v='"v"')["rv"] == 0
    assert c.call("task")["rv"] == 0
    done = site.httpd.wait_log(r"ctx_test session task:", since=site.mark)
    assert done, "the task did not run"
    assert f"get=0 k=\"v\" set={CTX_ETOOLATE} append={CTX_ETOOLATE}" in done[-1]
    refused = site.log_lines(r"refused: a background task's session is a read-only copy")
    assert len(refused) == 2, refused
    assert all("[ctx:debug]" in line for line in refused), refused
    assert c.session() == {"k": "v"}


# ---- the flask format, against the real Flask ------------------------------------------

def test_json_values_set_in_c_are_read_by_flask_byte_for_byte(site, flask_peer):
    c = Client(site, "flask.test")
    assert c.call("set-double", k="d", v="1")["rv"] == 0          # 1.0, a float
    assert c.call("set-double", k="big", v="1e20")["rv"] == 0
    assert c.call("set-double", k="small", v="1e-07")["rv"] == 0
    assert c.call("append", k="l", v='"\u00e9"')["rv"] == 0
    assert c.call("append", k="l", v="[2.5,null]")["rv"] == 0
    assert c.call("field", k="o", f="z", v="true")["rv"] == 0
    assert c.call("field", k="o", f="a", v='{"n":-3}')["rv"] == 0
    loaded = flask_peer.load(SECRET, c.cookie,
                             expect_py="{'d': 1.0, 'big': 1e+20, 'small': 1e-07,"
                                       " 'l': ['\\u00e9', [2.5, None]],"
                                       " 'o': {'z': True, 'a': {'n': -3}}}")
    assert loaded["valid"], loaded
    assert loaded["equal"], (loaded["repr"], loaded["expected_repr"])
    # The cookie is exactly the one Flask would write for that session.
    assert flask_peer.redump(SECRET, c.cookie) == c.cookie


def test_json_values_set_by_flask_are_read_and_updated_in_c(site, flask_peer):
    made = flask_peer.dump(SECRET, py="{'d': 0.1, 'i': 3, 'l': [1], 'o': {'a': 1},"
                                      " 't': (1, 2), 'u': '\\u20ac'}")
    c = Client(site, "flask.test", made)
    assert float(c.call("get-double", k="d")["value"]) == 0.1
    assert float(c.call("get-double", k="i")["value"]) == 3.0
    assert c.call("get-json", k="t")["value"] == '{" t":[1,2]}'   # Flask's tuple tag
    assert c.call("get-json", k="u")["value"] == '"\\u20ac"'
    f = c.call("do")
    assert sorted(i.split(" ", 1)[0] for i in f["items"]) == ["d", "i", "l", "o", "t", "u"]
    assert c.call("append", k="l", v="2")["rv"] == 0
    assert c.call("field", k="o", f="b", v="[true]")["rv"] == 0
    assert c.call("set-double", k="d", v="0.25")["rv"] == 0
    loaded = flask_peer.load(SECRET, c.cookie,
                             expect_py="{'d': 0.25, 'i': 3, 'l': [1, 2],"
                                       " 'o': {'a': 1, 'b': [True]}, 't': (1, 2),"
                                       " 'u': '\\u20ac'}")
    assert loaded["valid"] and loaded["equal"], loaded
    assert flask_peer.redump(SECRET, c.cookie) == c.cookie

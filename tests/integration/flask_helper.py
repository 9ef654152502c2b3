"""Real Flask (3.1.3) as a peer for the session tests.

Flask is installed for the pyenv python3 (the `python3` on PATH), not for
Debian's /usr/bin/python3 that runs pytest. This file is both sides:

* imported by the tests (Debian's python3, no Flask needed):
    FlaskPeer()     one long-lived Flask process answering JSON-line commands:
                      version, dump, load, redump, app (see `peer_command`)
    FlaskServer()   a real Flask application served by werkzeug on a loopback
                      port (see `make_app` for its routes)
    flask_python()  the interpreter that has Flask (CTX_FLASK_PYTHON overrides)

* run by that interpreter:
    flask_helper.py peer                      the JSON-line loop of FlaskPeer
    flask_helper.py serve SECRET [FALLBACK..] the app on 127.0.0.1, a free port;
                                              prints "ready PORT" when listening
    flask_helper.py dump SECRET JSON          a session cookie made by Flask
    flask_helper.py load SECRET COOKIE [FALLBACK...]
                                              the session (Flask's tagged JSON)
                                              or "INVALID <reason>"
    flask_helper.py version

Flask's own SecureCookieSessionInterface (its serializer, signer, tags and
compression) is used for everything; nothing here re-implements the format.
"""
import glob
import http.client
import json
import os
import select
import shutil
import subprocess
import sys
import traceback

FLASK_VERSION = "3.1.3"
HERE = os.path.abspath(__file__)

# Python values with Flask's tags (tuple, bytes, Markup, UUID, datetime, a
# dict that needs " di", flashes), as a Python expression evaluated on the
# Flask side. The tests hold the tagged JSON they must become, written out by
# hand from the reference (RICH_TAGGED).
RICH_PY = (
    "{'tup': (1, 'two', [3]),"
    " 'raw': b'\\x00\\xffbytes',"
    " 'html': Markup('<b>bold</b>'),"
    " 'id': uuid.UUID('12345678-1234-5678-1234-567812345678'),"
    " 'when': datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),"
    " 'uni': 'h\\u00e9llo \\u20ac \\U0001f600 \"q\" \\\\ /\\n\\t\\x01\\x7f',"
    " 'nested': {'a': [1, 2.5, None, True, False, {'b': []}], 'z': {}},"
    " 'lookalike': {' t': 'not a tuple'},"
    " 'big': 10**15, 'neg': -7, 'f': 1e+20, 'small': 1e-07}"
)


# ---------------------------------------------------------------------------
# The test side (any python3, no Flask)
# ---------------------------------------------------------------------------

def flask_python():
    """The python3 that has Flask: $CTX_FLASK_PYTHON, else a python3 on PATH
    that is not Debian's, else the newest pyenv version."""
    env = os.environ.get("CTX_FLASK_PYTHON")
    if env:
        return env
    debian = {os.path.realpath(p) for p in glob.glob("/usr/bin/python3*")}
    for d in os.environ.get("PATH", "").split(os.pathsep):
        cand = os.path.join(d, "python3")
        if os.access(cand, os.X_OK) and os.path.realpath(cand) not in debian:
            return cand
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/*/bin/python3")))
    if found:
        return found[-1]
    return shutil.which("python3") or "python3"


class FlaskPeer:
    """A Flask process that answers one JSON command per line."""

    def __init__(self, timeout=30):
        self.timeout = timeout
        self.proc = subprocess.Popen([flask_python(), HERE, "peer"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.version = self.call("version")

    def call(self, cmd, **args):
        self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        if not ready:
            raise AssertionError(f"Flask peer did not answer {cmd} in {self.timeout} s")
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"Flask peer exited (status {self.proc.poll()})")
        answer = json.loads(line)
        if "exception" in answer:
            raise AssertionError(f"Flask peer failed on {cmd}:\n{answer['exception']}")
        return answer["result"]

    # Convenience wrappers -------------------------------------------------
    def dump(self, secret, data=None, py=None, ts=None):
        """A cookie value made by Flask's session serializer for `data` (JSON)
        or `py` (a Python expression: tuples, bytes, Markup...), issued at
        `ts` (Unix seconds; default now)."""
        return self.call("dump", secret=secret, data=data, py=py, ts=ts)

    def load(self, secret, cookie, fallbacks=(), max_age=None, expect_py=None):
        """What Flask's session interface reads from `cookie`: a dict with
        valid, error (the exception's name), tagged (the session as Flask's
        tagged JSON, parsed), equal (with expect_py: the loaded session ==
        that Python value, with identical types all the way down)."""
        return self.call("load", secret=secret, cookie=cookie, fallbacks=list(fallbacks),
                         max_age=max_age, expect_py=expect_py)

    def redump(self, secret, cookie):
        """Flask loads `cookie` and dumps the session again with the cookie's
        own timestamp: equal to `cookie` iff the value is exactly what Flask
        itself would have made."""
        return self.call("redump", secret=secret, cookie=cookie)

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class FlaskServer:
    """A real Flask app (make_app) served by werkzeug on 127.0.0.1."""

    def __init__(self, secret, fallbacks=(), timeout=30):
        self.proc = subprocess.Popen([flask_python(), HERE, "serve", secret, *fallbacks],
                                     stdout=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("ready "):
            self.stop()
            raise AssertionError(f"Flask server did not start: {line!r}")
        self.port = int(line.split()[1])

    def get(self, path, cookie=None, name="session"):
        """(status, headers as a list of lower-case (name, value), body text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers={"Cookie": f"{name}={cookie}"} if cookie else {})
            resp = conn.getresponse()
            return (resp.status, [(k.lower(), v) for k, v in resp.getheaders()],
                    resp.read().decode())
        finally:
            conn.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------------------
# The Flask side (run by flask_python())
# ---------------------------------------------------------------------------

def py_value(expr):
    import uuid
    from datetime import datetime, timezone

    from markupsafe import Markup
    return eval(expr, {"__builtins__": {}, "uuid": uuid, "datetime": datetime,
                       "timezone": timezone, "Markup": Markup})


def same(a, b):
    """== with identical types all the way down (a tuple is not a list, a
    Markup is not a str, True is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def make_app(secret, fallbacks=()):
    from flask import Flask, flash, request, session

    app = Flask("interop")
    app.secret_key = secret
    app.config["SECRET_KEY_FALLBACKS"] = list(fallbacks)

    def tagged():
        return app.session_interface.serializer.dumps(dict(session))

    @app.route("/counter")
    def counter():
        session["count"] = session.get("count", 0) + 1
        return {"count": session["count"]}

    @app.route("/session")
    def whole():
        # Flask's own tagged JSON of the session: shows every value's type.
        return tagged(), 200, {"Content-Type": "application/json"}

    @app.route("/set")
    def set_strings():
        for k, v in request.args.items():
            session[k] = v
        return tagged(), 200, {"Content-Type": "application/json"}

    @app.route("/rich")
    def rich():
        session.update(py_value(RICH_PY))
        flash("hello", "info")
        return tagged(), 200, {"Content-Type": "application/json"}

    @app.route("/permanent")
    def permanent():
        session.permanent = request.args.get("on", "1") != "0"
        return tagged(), 200, {"Content-Type": "application/json"}

    @app.route("/clear")
    def clear():
        session.clear()
        return tagged(), 200, {"Content-Type": "application/json"}

    return app


def serializer(app):
    return app.session_interface.get_signing_serializer(app)


def fixed_time_serializer(app, ts):
    from itsdangerous import TimestampSigner

    class FixedTime(TimestampSigner):
        def get_timestamp(self):
            return ts

    ser = serializer(app)
    ser.signer = FixedTime
    return ser


def cookie_timestamp(cookie):
    from itsdangerous.encoding import base64_decode, bytes_to_int

    return bytes_to_int(base64_decode(cookie.rsplit(".", 2)[1]))


def peer_command(req):
    cmd = req["cmd"]
    if cmd == "version":
        import importlib.metadata
        return importlib.metadata.version("flask")
    if cmd == "dump":
        app = make_app(req["secret"])
        data = py_value(req["py"]) if req.get("py") else req["data"]
        ts = req.get("ts")
        ser = fixed_time_serializer(app, ts) if ts is not None else serializer(app)
        return ser.dumps(data)
    if cmd == "load":
        app = make_app(req["secret"], req.get("fallbacks") or ())
        max_age = req.get("max_age") or int(app.permanent_session_lifetime.total_seconds())
        try:
            data = serializer(app).loads(req["cookie"], max_age=max_age)
        except Exception as exc:   # BadSignature, SignatureExpired, bad payload
            return {"valid": False, "error": type(exc).__name__}
        out = {"valid": True, "error": None,
               "tagged": json.loads(app.session_interface.serializer.dumps(data))}
        if req.get("expect_py"):
            expected = py_value(req["expect_py"])
            out["equal"] = same(data, expected)
            out["repr"] = repr(data)
            out["expected_repr"] = repr(expected)
        return out
    if cmd == "redump":
        app = make_app(req["secret"])
        data = serializer(app).loads(req["cookie"])
        return fixed_time_serializer(app, cookie_timestamp(req["cookie"])).dumps(data)
    raise ValueError("unknown command " + cmd)


def run_peer():
    for line in sys.stdin:
        try:
            answer = {"result": peer_command(json.loads(line))}
        except Exception:
            answer = {"exception": traceback.format_exc()}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def run_server(secret, fallbacks):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, make_app(secret, fallbacks), threaded=True)
    print(f"ready {server.server_port}", flush=True)
    server.serve_forever()


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "peer":
        run_peer()
    elif cmd == "serve":
        run_server(argv[2], argv[3:])
    elif cmd == "version":
        print(peer_command({"cmd": "version"}))
    elif cmd == "dump":
        print(peer_command({"cmd": "dump", "secret": argv[2], "data": json.loads(argv[3])}))
    elif cmd == "load":
        res = peer_command({"cmd": "load", "secret": argv[2], "cookie": argv[3],
                            "fallbacks": argv[4:]})
        print(json.dumps(res["tagged"], sort_keys=True) if res["valid"]
              else "INVALID " + res["error"])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)

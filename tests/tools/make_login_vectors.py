#!/usr/bin/python3
"""Write tests/data/flask-login-vectors.json with Debian's python3-flask-login
(0.6.2, on Debian's Flask 2.2.2: run with /usr/bin/python3). Nothing here
re-implements Flask-Login: the digests come from flask_login.utils.encode_cookie
and the identifiers from flask_login.utils._create_identifier inside a request
context built by Flask's test_request_context.

    /usr/bin/python3 tests/tools/make_login_vectors.py > tests/data/flask-login-vectors.json
"""
import json
import sys

import flask
import flask_login
from flask_login.utils import _create_identifier, encode_cookie

SECRETS = ["login-vector-secret-0123456789abcdefghij", "k", "s" * 200,
           "\u00e9t\u00e9-secret-latin1"]
PAYLOADS = ["alice", "42", "bob", "user|with|bars", "", "x" * 300]
CLIENTS = [
    # (REMOTE_ADDR, X-Forwarded-For or None, User-Agent or None)
    ("127.0.0.1", None, "curl/7.88.1"),
    ("127.0.0.1", None, None),
    ("::1", None, "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"),
    ("127.0.0.1", "203.0.113.7, 10.0.0.1", "agent"),
    ("127.0.0.1", "  198.51.100.2  ", "agent"),
    ("127.0.0.1", "", "agent"),
    ("10.1.2.3", None, "it's"),
    ("10.1.2.3", None, "it's \"quoted\""),
    ("10.1.2.3", None, "say \"hi\""),
    ("10.1.2.3", None, "back\\slash\ttab\x7fdel\x01"),
    ("10.1.2.3", None, "caf\u00e9 \u00ff"),
    ("10.1.2.3", None, ""),
]


def main():
    app = flask.Flask(__name__)
    out = {"flask_login": flask_login.__version__, "flask": flask.__version__,
           "digests": [], "identifiers": []}
    for secret in SECRETS:
        for payload in PAYLOADS:
            out["digests"].append({
                "secret_latin1": secret, "payload": payload,
                "cookie": encode_cookie(payload, key=secret)})
    for addr, xff, agent in CLIENTS:
        headers = {}
        if xff is not None:
            headers["X-Forwarded-For"] = xff
        if agent is not None:
            headers["User-Agent"] = agent
        with app.test_request_context("/", headers=headers,
                                      environ_base={"REMOTE_ADDR": addr}):
            if agent is None:
                flask.request.environ.pop("HTTP_USER_AGENT", None)
            out["identifiers"].append({
                "addr": addr, "xff_latin1": xff, "agent_latin1": agent,
                "identifier": _create_identifier()})
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

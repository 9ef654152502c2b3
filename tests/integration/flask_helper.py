"""Real Flask (3.1.3, under the pyenv python3 that has it) as a peer for the
interop tests, which run under Debian's python3 and call this script:

  flask_helper.py dump SECRET JSON            -> a session cookie value made by Flask
  flask_helper.py load SECRET COOKIE [FALLBACK...] -> the session as JSON, or "INVALID"
  flask_helper.py app SECRET PATH COOKIE?     -> drive a real Flask app with the
                                                 test client: GET PATH with the cookie,
                                                 print the JSON answer and Set-Cookie

Flask's own SecureCookieSessionInterface is used, never a re-implementation.
"""
import importlib.metadata
import json
import sys

import flask
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface


def make_app(secret, fallbacks=()):
    app = Flask("interop")
    app.secret_key = secret
    app.config["SECRET_KEY_FALLBACKS"] = list(fallbacks)

    @app.route("/counter")
    def counter():
        session["count"] = session.get("count", 0) + 1
        return {"count": session["count"], "session": dict(session)}

    @app.route("/session")
    def whole():
        return dict(session)

    return app


def serializer(app):
    return SecureCookieSessionInterface().get_signing_serializer(app)


def main(argv):
    cmd, secret = argv[1], argv[2]
    if cmd == "version":
        print(importlib.metadata.version("flask"))
    elif cmd == "dump":
        app = make_app(secret)
        print(serializer(app).dumps(json.loads(argv[3])))
    elif cmd == "load":
        app = make_app(secret, argv[4:])
        try:
            data = serializer(app).loads(argv[3], max_age=31 * 24 * 3600)
        except Exception as exc:  # BadSignature, expiry, malformed
            print("INVALID " + type(exc).__name__)
            return
        print(json.dumps(data, sort_keys=True))
    elif cmd == "app":
        app = make_app(secret)
        client = app.test_client()
        if len(argv) > 4 and argv[4]:
            client.set_cookie("session", argv[4])
        resp = client.get(argv[3])
        print(json.dumps({"status": resp.status_code, "body": resp.get_json(),
                          "set_cookie": resp.headers.getlist("Set-Cookie")}))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)

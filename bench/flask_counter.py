"""The /counter of mod_ctx_example as a Flask app, for bench/run.

bench/run serves it under mod_wsgi in daemon mode at /flask/counter through a
generated .wsgi file that calls create_app() with a random secret key.
"""
from flask import Flask, session


def create_app(secret_key):
    app = Flask("flask_counter")
    app.secret_key = secret_key

    @app.route("/counter")
    def counter():
        count = session.get("count", 0)
        if not isinstance(count, int):
            count = 0
        session["count"] = count + 1
        return "count=%d\n" % (count + 1), 200, {
            "Content-Type": "text/plain; charset=utf-8",
            "X-Content-Type-Options": "nosniff",
        }

    return app

"""The /counter of mod_ctx_example as a Flask app, for bench/run.

bench/run serves it under mod_wsgi in daemon mode at /flask/counter through a
generated .wsgi file that calls create_app() with a random secret key, and
at /flask-redis/counter with create_redis_app(): the same counter with a
server-side session in Redis through Flask-Session (0.3.2's API, Debian's
python3-flask-session).
"""
from flask import Flask, session


def _counter():
    count = session.get("count", 0)
    if not isinstance(count, int):
        count = 0
    session["count"] = count + 1
    return "count=%d\n" % (count + 1), 200, {
        "Content-Type": "text/plain; charset=utf-8",
        "X-Content-Type-Options": "nosniff",
    }


def create_app(secret_key):
    app = Flask("flask_counter")
    app.secret_key = secret_key
    app.add_url_rule("/counter", "counter", _counter)
    return app


def create_redis_app(secret_key, redis_port):
    """Flask-Session on the Redis at 127.0.0.1:redis_port. The id cookie is
    signed (SESSION_USE_SIGNER), as mod_ctx's is, so a forged id costs
    Redis nothing there either."""
    import redis
    from flask_session import Session

    app = Flask("flask_counter_redis")
    app.secret_key = secret_key
    app.config.update(
        SESSION_TYPE="redis",
        SESSION_REDIS=redis.Redis(host="127.0.0.1", port=int(redis_port)),
        SESSION_USE_SIGNER=True,
        SESSION_KEY_PREFIX="benchflask:",
    )
    Session(app)
    app.add_url_rule("/counter", "counter", _counter)
    return app

"""A Flask app with Flask-Login for the login interop test
(test_login_flask_interop.py), run by mod_wsgi on the same httpd as mod_ctx.

It is Debian's stack: python3-flask 2.2.2 and python3-flask-login 0.6.2
(Flask-Login 0.6.2 imports werkzeug.urls.url_decode, which Werkzeug 3 - and
so Flask 3.1.3 - no longer has). The secret comes from the file
flask-secret next to this one.

Routes (under /flask):
  POST /flask/login   username=alice|bob [remember=1]: login_user, "ok"
  POST /flask/logout  logout_user, "ok"
  GET  /flask/me      "user=NAME fresh=0|1" or "anonymous"
"""
import os

import flask
import flask_login

HERE = os.path.dirname(os.path.abspath(__file__))
USERS = {"alice", "bob"}

app = flask.Flask(__name__)
with open(os.path.join(HERE, "flask-secret")) as f:
    app.secret_key = f.read().strip()
app.config["SESSION_PROTECTION"] = "basic"
login_manager = flask_login.LoginManager(app)


class User(flask_login.UserMixin):
    def __init__(self, name):
        self.id = name


@login_manager.user_loader
def load_user(user_id):
    return User(user_id) if user_id in USERS else None


@app.post("/login")
def login():
    name = flask.request.form["username"]
    if name not in USERS:
        return "unknown", 401
    flask_login.login_user(User(name), remember=flask.request.form.get("remember") == "1")
    return "ok"


@app.post("/logout")
def logout():
    flask_login.logout_user()
    return "ok"


@app.get("/me")
def me():
    user = flask_login.current_user
    if not user.is_authenticated:
        return "anonymous", 200, {"Content-Type": "text/plain"}
    return f"user={user.id} fresh={int(flask_login.login_fresh())}", 200, \
        {"Content-Type": "text/plain"}


application = app

"""Login interop with a real Flask app using Flask-Login, on the same httpd
(mod_wsgi, Debian's python3-flask 2.2.2 and python3-flask-login 0.6.2: see
login_flask_app.py for why not Flask 3.1.3). The vhost has CtxSessionFormat
flask and the Flask app's SECRET_KEY: a login made on either side is the
other side's current user, logout on either side logs out on both, the
remember cookie of either side restores the login on the other (not fresh),
and Flask-Login's session identifier (basic protection) agrees, or the
logins would turn stale when they cross sides.
"""
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import DEBIAN_MODULES, Httpd
from test_login import Client

SECRET = "login-interop-secret-0123456789abcdefghijk"
HERE = Path(__file__).resolve().parent
WSGI = DEBIAN_MODULES / "mod_wsgi.so"
FLASK_LOGIN = Path("/usr/lib/python3/dist-packages/flask_login")


@pytest.fixture(scope="module")
def site():
    if not WSGI.exists() or not FLASK_LOGIN.exists():
        pytest.skip("needs libapache2-mod-wsgi-py3 and python3-flask-login "
                    "(tools/setup-debian installs them)")
    tmp = Path(tempfile.mkdtemp(prefix="ctx-itest-login-flask-"))
    tmp.chmod(0o755)
    app = tmp / "app"
    app.mkdir()
    app.chmod(0o755)
    shutil.copy(HERE / "login_flask_app.py", app / "login_flask_app.py")
    (app / "flask-secret").write_text(SECRET + "\n")
    for f in app.iterdir():
        f.chmod(0o644)
    srv = Httpd(tmp, "loginflask")
    body = f"""
LoadModule wsgi_module {WSGI}
WSGIPythonHome /usr
WSGIPythonPath "{app}"
WSGIRestrictStdout Off
CtxSecretKey "{SECRET}"
<VirtualHost 127.0.0.1:{srv.port}>
    ServerName interop.test
    CtxSession On
    CtxSessionFormat flask
    CtxConfig LOGIN_USERS "alice:wonderland bob:builder"
    <LocationMatch "^/(login|logout|me)$">
        SetHandler ctx-example
    </LocationMatch>
    WSGIScriptAlias /flask "{app}/login_flask_app.py"
    WSGIApplicationGroup %{{GLOBAL}}
    <Directory "{app}">
        Require all granted
    </Directory>
</VirtualHost>
"""
    srv.write_config(body, modules=("alias",))
    srv.start()
    yield srv
    srv.stop_and_check(remove=tmp)


def flask_login_as(c, user="alice", **extra):
    r = c.request("POST", "/flask/login", form={"username": user, **extra})
    assert r.status == 200 and r.text == "ok", r.text


def test_flask_sees_a_login_made_in_c_and_c_sees_flasks_logout(site):
    c = Client(site, "interop.test")
    assert c.get("/flask/me").text == "anonymous"
    assert c.login().status == 303
    assert c.get("/flask/me").text == "user=alice fresh=1"
    assert c.me() == "user=alice fresh=1"
    assert c.request("POST", "/flask/logout").text == "ok"
    assert c.me() == "anonymous"
    assert c.get("/flask/me").text == "anonymous"


def test_c_sees_a_login_made_by_flask_and_flask_sees_cs_logout(site):
    c = Client(site, "interop.test")
    flask_login_as(c, "bob")
    assert c.me() == "user=bob fresh=1"
    assert c.get("/flask/me").text == "user=bob fresh=1"
    c.request("POST", "/logout")
    assert c.get("/flask/me").text == "anonymous"
    assert c.me() == "anonymous"


def test_remember_cookie_of_flask_restores_the_login_in_c(site):
    c = Client(site, "interop.test")
    flask_login_as(c, "alice", remember="1")
    later = Client(site, "interop.test")
    later.cookies = {"remember_token": c.cookies["remember_token"]}
    assert later.me() == "user=alice fresh=0"
    assert later.get("/flask/me").text == "user=alice fresh=0"


def test_remember_cookie_of_c_restores_the_login_in_flask(site):
    c = Client(site, "interop.test")
    c.login(remember="1")
    assert c.cookies["remember_token"].startswith("alice|")
    later = Client(site, "interop.test")
    later.cookies = {"remember_token": c.cookies["remember_token"]}
    assert later.get("/flask/me").text == "user=alice fresh=0"
    assert later.me() == "user=alice fresh=0"

"""mod_hello_ctx in Debian's apache2, next to an installed mod_ctx."""
import os

import pytest

LOAD = [("ctx_module", os.environ.get("CTX_MODULE", "")),
        ("hello_ctx_module", os.environ.get("HELLO_MODULE", ""))]
KEY = "9c1d7e5a3b2f4c6d8e0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6"
CONF = f"""CtxAppName greeter
CtxSession On
CtxSecretKey {KEY}
<Location /hello>
    SetHandler hello-ctx
</Location>
"""


@pytest.fixture
def server(make_server):
    return make_server(CONF, load=LOAD)


def test_hello_greets_and_counts_visits_in_the_session(server):
    first = server.get("/hello?name=ada")
    assert first.status == 200
    assert first.text == "hello ada from greeter (visit 1)\n"
    cookie = first.header("set-cookie").split(";")[0]
    again = server.get("/hello?name=bob", headers={"Cookie": cookie})
    assert again.text == "hello bob from greeter (visit 2)\n"


def test_hello_without_mod_ctx_loads_and_says_why(make_server):
    srv = make_server("<Location /hello>\n SetHandler hello-ctx\n</Location>",
                      load=LOAD[1:])
    srv.expect_log(r"mod_hello_ctx: mod_ctx is not loaded")
    assert srv.get("/hello?name=ada").status == 503

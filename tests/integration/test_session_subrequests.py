"""Sessions and subrequests (issue #11.2): an SSI include may use the session
where its own location says `CtxSession On`, whatever the including page's
location says; the cookie's name and attributes stay the page's, whose
response carries it. mod_include sends the page's headers before it runs its
first include (a zero-byte brigade when the include comes first), so a change
made by an include is refused with CTX_ETOOLATE, never silently lost."""
import re

import pytest

KEY = "subrequest-test-key-0123456789abcdefghijk"
CTX_EDISABLED = 120000 + 4300 + 1
CTX_ETOOLATE = 120000 + 4300 + 2
APR_NOTFOUND = 70015


@pytest.fixture
def srv(make_server, workdir):
    doc = workdir / "doc"
    doc.mkdir()
    doc.chmod(0o755)
    pages = {
        # even first in the page, the include runs after the headers left
        "first.shtml": '<!--#include virtual="/t/on/session-op?set=user&value=alice" -->'
                       'page\n',
        "read.shtml": '<!--#include virtual="/t/on/session-op?get=user" -->'
                      '<!--#include virtual="/t/off/session-op?get=user" -->',
        "late.shtml": 'some text first\n'
                      '<!--#include virtual="/t/on/session-op?set=late&value=1" -->',
    }
    for name, text in pages.items():
        (doc / name).write_text(text)
        (doc / name).chmod(0o644)
    body = f"""
CtxSecretKey "{KEY}"
TypesConfig /dev/null
DocumentRoot "{doc}"
<Directory "{doc}">
    Options +Includes
    AddOutputFilter INCLUDES .shtml
    CtxSessionCookieName page_cookie
</Directory>
<Location /t/on>
    CtxSession On
    CtxSessionCookieName include_cookie
</Location>
<Location /t/off>
    CtxSession Off
</Location>
<Location /t/login>
    CtxSession On
    CtxSessionCookieName page_cookie
</Location>
"""
    return make_server(body, modules=("include", "mime"))


def fields_of(text):
    return [dict(l.split("=", 1) for l in block.strip().splitlines() if "=" in l)
            for block in re.split(r"(?=set_status=|get_status=)", text) if "=" in block]


def cookie_named(resp, name):
    for v in resp.header_all("set-cookie"):
        if v.startswith(name + "="):
            return v.split(";", 1)[0].split("=", 1)[1]
    return None


def test_an_include_where_sessions_are_on_reads_the_session_of_a_page_where_they_are_off(srv):
    login = srv.get("/t/login/session-op?set=user&value=alice")
    assert login.fields()["set_status"] == "0"
    cookie = cookie_named(login, "page_cookie")
    assert cookie, login.headers
    r = srv.get("/read.shtml", headers={"Cookie": f"page_cookie={cookie}"})
    assert r.status == 200, r.text
    on, off = fields_of(r.text)
    # the page's cookie name, not the include location's include_cookie
    assert on == {"get_status": "0", "value": "alice"}, r.text
    assert off["get_status"] == str(CTX_EDISABLED), r.text


def test_a_change_by_an_include_is_too_late_even_first_in_the_page(srv):
    srv.expect_log(r"session set 'user' after the response headers were sent")
    r = srv.get("/first.shtml")
    assert r.status == 200, r.text
    assert f"set_status={CTX_ETOOLATE}" in r.text, r.text
    assert not r.header_all("set-cookie"), r.headers


def test_an_include_where_sessions_are_off_is_refused_even_when_the_page_has_one(srv):
    r = srv.get("/t/off/session-op?get=user")
    assert r.fields()["get_status"] == str(CTX_EDISABLED)
    r = srv.get("/t/on/session-op?get=user")
    assert r.fields()["get_status"] == str(APR_NOTFOUND)


def test_a_change_by_an_include_after_the_page_started_streaming_is_too_late(srv):
    srv.expect_log(r"session set 'late' after the response headers were sent")
    r = srv.get("/late.shtml")
    assert r.status == 200
    assert f"set_status={CTX_ETOOLATE}" in r.text, r.text
    assert not r.header_all("set-cookie")

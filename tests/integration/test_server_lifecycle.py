"""The server's lifecycle with mod_ctx: graceful restarts under load (the new
generation's apps and configuration take over, no request fails) and
configuration errors that `apache2 -t` reports, naming the directive."""
import http.client
import os
import pwd
import re
import threading
import time

import pytest

from conftest import Httpd, write_key

EXAMPLE_ROOT = """
<LocationMatch "^/(home|g|config)">
    SetHandler ctx-example
</LocationMatch>
"""


def example_config(generation):
    return EXAMPLE_ROOT + f"CtxAppName app-gen{generation}\nCtxConfig GEN {generation}\n"


# ---- 9. graceful restart under load -------------------------------------------


def test_graceful_restarts_under_load_fail_no_request_and_switch_configuration(
        make_server):
    srv = make_server(example_config(0))
    stop = threading.Event()
    failures, answers, lock = [], [], threading.Lock()

    def client(t):
        i = 0
        deadline = time.monotonic() + 30
        while not stop.is_set() and time.monotonic() < deadline:
            page = f"{t}-{i}"
            try:
                home = srv.get(f"/home?page={page}", headers={"Connection": "close"},
                               timeout=10)
                conf = srv.get("/config?key=GEN", headers={"Connection": "close"},
                               timeout=10)
            except OSError as e:
                with lock:
                    failures.append(f"{page}: {e!r}")
                break
            with lock:
                if home.status != 200 or home.text != f"home page={page}\n":
                    failures.append(f"{page}: {home.status} {home.text!r}")
                f = conf.fields()
                if conf.status != 200:
                    failures.append(f"config: {conf.status} {conf.text!r}")
                else:
                    answers.append((time.monotonic(), f["app"], f["config.GEN"]))
            i += 1

    threads = [threading.Thread(target=client, args=(t,), daemon=True) for t in range(4)]
    for t in threads:
        t.start()
    asked_at, restarted_at = [], []
    try:
        time.sleep(0.5)
        for gen in (1, 2, 3):
            srv.write_config(example_config(gen))
            asked_at.append(time.monotonic())
            srv.graceful()
            restarted_at.append(time.monotonic())
            time.sleep(1.2)
        asked_at.append(time.monotonic())
    finally:
        stop.set()
        for t in threads:
            t.join(20)
    assert not any(t.is_alive() for t in threads)
    assert not failures, failures[:10]
    assert len(answers) > 40, "too little load to say anything"
    # Every answer comes from one generation's app with that generation's
    # configuration, never a mix.
    for _, app, gen in answers:
        assert app == f"app-gen{gen}", (app, gen)
    # Before the first restart generation 0 answers; once a restart is over
    # (plus a moment for the old children to finish what they had accepted)
    # and until the next one is asked for, the new generation answers.
    assert {g for t, _, g in answers if t < asked_at[0]} == {"0"}
    settle = 0.6
    for gen in (1, 2, 3):
        window = [g for t, _, g in answers
                  if restarted_at[gen - 1] + settle < t < asked_at[gen]]
        assert window and set(window) == {str(gen)}, (gen, window[:20])


# ---- 10. configuration errors ----------------------------------------------------


# Secrets that pass the strength rule (32+ bytes, 8+ different bytes).
STRONG_1 = "lifecycle-key-1-0123456789abcdefghijklm"
STRONG_2 = "lifecycle-key-2-0123456789abcdefghijklm"


def missing_file(workdir):
    return f"CtxSecretKeyFile {workdir}/no-such-key\n"


def group_readable_file(workdir):
    return f"CtxSecretKeyFile {write_key(workdir / 'group.key', mode=0o640)}\n"


def empty_file(workdir):
    return f"CtxSecretKeyFile {write_key(workdir / 'empty.key', data=b'')}\n"


def uniform_file(workdir):
    return f"CtxSecretKeyFile {write_key(workdir / 'uniform.key', data=b'ab' * 30)}\n"


WEAK = "the secret of {} for {} {}: use random bytes"
COOKIE = "mod_ctx: {} for {}: browsers drop such a cookie (session cookie '{}')"
ALLOW_WEAK_HINT = "or set CtxSecretKeyAllowWeak On to accept it with a warning"


CONFIG_ERRORS = [
    # id, configuration (or a function of the workdir), what the error must say
    ("config-one-argument", "CtxConfig ONLYKEY\n",
     ["CtxConfig takes two arguments"]),
    ("config-bad-key", 'CtxConfig "bad key" v\n',
     ["CtxConfig: invalid character ' ' in key 'bad key'"]),
    ("config-key-twice", "CtxConfig DB a\nCtxConfig DB b\n",
     ["CtxConfig: key 'DB' is set twice in the same context"]),
    ("app-name-twice",
     "<VirtualHost 127.0.0.1:*>\n ServerName a.test\n CtxAppName one\n CtxAppName two\n"
     "</VirtualHost>\n",
     ["CtxAppName: already set to 'one' for this server"]),
    ("app-name-empty", 'CtxAppName ""\n',
     ["CtxAppName takes one argument"]),
    ("app-name-bad-character", "CtxAppName shop/admin\n",
     ["CtxAppName: invalid character '/'"]),
    ("app-name-in-location", "<Location /x>\n CtxAppName x\n</Location>\n",
     ["CtxAppName", "<Location"]),
    ("task-threads-zero", "CtxTaskThreads 0\n",
     ["CtxTaskThreads: '0' must be a whole number from 1 to 256"]),
    ("task-queue-not-a-number", "CtxTaskQueue lots\n",
     ["CtxTaskQueue: 'lots' must be a whole number from 1 to 1000000"]),
    ("task-drain-too-long", "CtxTaskDrainTimeout 7200\n",
     ["CtxTaskDrainTimeout: '7200' must be a whole number from 0 to 3600"]),
    ("task-threads-in-vhost",
     "<VirtualHost 127.0.0.1:*>\n ServerName v.test\n CtxTaskThreads 8\n</VirtualHost>\n",
     ["CtxTaskThreads", "VirtualHost"]),
    ("max-age-not-a-number", "CtxSessionMaxAge abc\n",
     ["CtxSessionMaxAge: 'abc' must be a whole number from 1 to"]),
    ("max-age-negative", "CtxSessionMaxAge -1\n",
     ["CtxSessionMaxAge: '-1' must be a whole number from 1 to"]),
    ("max-lifetime-negative", "CtxSessionMaxLifetime -1\n",
     ["CtxSessionMaxLifetime: '-1' must be a whole number from 0 to"]),
    ("max-lifetime-not-a-number", "CtxSessionMaxLifetime 1d\n",
     ["CtxSessionMaxLifetime: '1d' must be a whole number from 0 to"]),
    ("legacy-cookies-unknown", "CtxSessionLegacyCookies maybe\n",
     ["CtxSessionLegacyCookies: 'maybe' must be On, Off or Auto"]),
    ("legacy-cookies-in-location", "<Location /a>\n CtxSessionLegacyCookies On\n</Location>\n",
     ["CtxSessionLegacyCookies", "not allowed"]),
    ("format-unknown", "CtxSessionFormat bogus\n",
     ["CtxSessionFormat: unknown format 'bogus' (use signed, encrypted or flask)"]),
    ("samesite-unknown", "CtxSessionCookieSameSite bogus\n",
     ["CtxSessionCookieSameSite: 'bogus' must be Lax, Strict, None or Off"]),
    ("secure-unknown", "CtxSessionCookieSecure maybe\n",
     ["CtxSessionCookieSecure: 'maybe' must be On, Off or Auto"]),
    ("max-size-too-large", "CtxSessionMaxSize 99999\n",
     ["CtxSessionMaxSize: '99999' must be a whole number from 256 to 4093"]),
    ("max-size-too-small", "CtxSessionMaxSize 100\n",
     ["CtxSessionMaxSize: '100' must be a whole number from 256 to 4093"]),
    ("cookie-name-space", 'CtxSessionCookieName "my session"\n',
     ["CtxSessionCookieName: 'my session' is not a valid cookie name"]),
    ("cookie-name-separator", "CtxSessionCookieName a;b\n",
     ["CtxSessionCookieName: 'a;b' is not a valid cookie name"]),
    ("cookie-path-relative", "CtxSessionCookiePath app\n",
     ["CtxSessionCookiePath: 'app' is not a valid cookie path"]),
    ("key-file-missing", missing_file,
     ["CtxSecretKeyFile:", "no-such-key cannot be read"]),
    ("key-file-group-readable", group_readable_file,
     ["CtxSecretKeyFile:", "group.key is readable or writable by group or others"]),
    ("key-file-empty", empty_file,
     ["CtxSecretKeyFile:", "empty.key is empty"]),
    ("key-twice", f"CtxSecretKey {STRONG_1}\nCtxSecretKey {STRONG_2}\n",
     ["CtxSecretKey: a secret key is already set for this server"]),
    # Security issue #10, item 11: weak secrets are refused, naming the
    # directive, the server and the problem.
    ("weak-key-one-byte", "CtxSecretKey a\n",
     [WEAK.format("CtxSecretKey", "the main server",
                  "is only 1 byte long (at least 32 are required)"), ALLOW_WEAK_HINT]),
    ("weak-key-31-bytes", "CtxSecretKey abcdefghijklmnopqrstuvwxyz01234\n",
     [WEAK.format("CtxSecretKey", "the main server",
                  "is only 31 bytes long (at least 32 are required)")]),
    ("weak-key-one-character", "CtxSecretKey " + "k" * 48 + "\n",
     [WEAK.format("CtxSecretKey", "the main server",
                  "has only 1 different byte values (at least 8 are required)")]),
    ("weak-key-file", uniform_file,
     ["the secret of CtxSecretKeyFile ", "uniform.key for the main server has only 2 "
      "different byte values (at least 8 are required)", ALLOW_WEAK_HINT]),
    ("weak-fallback", f"CtxSecretKey {STRONG_1}\nCtxSecretKeyFallback {STRONG_2}\n"
     "CtxSecretKeyFallback old-secret\n",
     [WEAK.format("CtxSecretKeyFallback #2", "the main server",
                  "is only 10 bytes long (at least 32 are required)")]),
    ("weak-key-in-vhost",
     f"CtxSecretKey {STRONG_1}\n<VirtualHost 127.0.0.1:*>\n ServerName v.test\n"
     " CtxSecretKey " + "xy" * 20 + "\n</VirtualHost>\n",
     ["the secret of CtxSecretKey for ", "(v.test) has only 2 different byte values"]),
    ("allow-weak-in-vhost",
     "<VirtualHost 127.0.0.1:*>\n ServerName v.test\n CtxSecretKeyAllowWeak On\n"
     "</VirtualHost>\n",
     ["CtxSecretKeyAllowWeak", "VirtualHost"]),
    ("allow-weak-not-a-flag", "CtxSecretKeyAllowWeak maybe\n",
     ["CtxSecretKeyAllowWeak must be On or Off"]),
    # Security issue #10, item 13: session cookies that browsers drop.
    ("host-prefix-secure-auto", f"CtxSecretKey {STRONG_1}\nCtxSession On\n"
     "CtxSessionCookieName __Host-s\n",
     [COOKIE.format("a __Host- cookie name needs CtxSessionCookieSecure On",
                    "the main server", "__Host-s")]),
    ("host-prefix-secure-off", f"CtxSecretKey {STRONG_1}\nCtxSession On\n"
     "CtxSessionCookieName __Host-s\nCtxSessionCookieSecure Off\n",
     [COOKIE.format("a __Host- cookie name needs CtxSessionCookieSecure On",
                    "the main server", "__Host-s")]),
    ("host-prefix-with-domain", f"CtxSecretKey {STRONG_1}\nCtxSession On\n"
     "CtxSessionCookieName __Host-s\nCtxSessionCookieSecure On\n"
     "CtxSessionCookieDomain example.test\n",
     [COOKIE.format("a __Host- cookie name allows no CtxSessionCookieDomain",
                    "the main server", "__Host-s")]),
    ("host-prefix-with-path", f"CtxSecretKey {STRONG_1}\nCtxSession On\n"
     "CtxSessionCookieName __Host-s\nCtxSessionCookieSecure On\n"
     "CtxSessionCookiePath /app\n",
     [COOKIE.format("a __Host- cookie name needs CtxSessionCookiePath /",
                    "the main server", "__Host-s")]),
    ("secure-prefix-any-case", f"CtxSecretKey {STRONG_1}\nCtxSession On\n"
     "CtxSessionCookieName __SECURE-s\n",
     [COOKIE.format("a __Secure- cookie name needs CtxSessionCookieSecure On",
                    "the main server", "__SECURE-s")]),
    ("samesite-none-without-secure", f"CtxSecretKey {STRONG_1}\nCtxSession On\n"
     "CtxSessionCookieSameSite None\n",
     [COOKIE.format("CtxSessionCookieSameSite None needs CtxSessionCookieSecure On",
                    "the main server", "session")]),
    ("partitioned-without-secure", f"CtxSecretKey {STRONG_1}\nCtxSession On\n"
     "CtxSessionCookiePartitioned On\nCtxSessionCookieSecure Off\n",
     [COOKIE.format("CtxSessionCookiePartitioned On needs CtxSessionCookieSecure On",
                    "the main server", "session")]),
    ("samesite-none-in-location", f"CtxSecretKey {STRONG_1}\n"
     "CtxSessionCookieSameSite None\n<Location /app>\n CtxSession On\n</Location>\n",
     ["mod_ctx: CtxSessionCookieSameSite None needs CtxSessionCookieSecure On in "
      "<Location /app> for the main server: browsers drop such a cookie"]),
    ("host-prefix-in-vhost-location", f"CtxSecretKey {STRONG_1}\n"
     "<VirtualHost 127.0.0.1:*>\n ServerName v.test\n CtxSessionCookieSecure On\n"
     " <Location /app>\n  CtxSession On\n  CtxSessionCookieName __Host-app\n"
     "  CtxSessionCookiePath /app\n </Location>\n</VirtualHost>\n",
     ["mod_ctx: a __Host- cookie name needs CtxSessionCookiePath / in <Location /app> for ",
      "(v.test): browsers drop such a cookie (session cookie '__Host-app')"]),
    ("secure-prefix-in-nested-files", f"CtxSecretKey {STRONG_1}\n"
     "<Directory /srv>\n <Files app.cgi>\n  CtxSession On\n"
     "  CtxSessionCookieName __Secure-app\n </Files>\n</Directory>\n",
     ["mod_ctx: a __Secure- cookie name needs CtxSessionCookieSecure On in "
      "<Files app.cgi> for the main server"]),
    ("partitioned-in-if", f"CtxSecretKey {STRONG_1}\n"
     "<If \"%{QUERY_STRING} == 'x'\">\n CtxSession On\n CtxSessionCookiePartitioned On\n"
     "</If>\n",
     ["mod_ctx: CtxSessionCookiePartitioned On needs CtxSessionCookieSecure On in <If> "
      "for the main server"]),
    ("session-without-key", "CtxSession On\n",
     ["CtxSession On is used but the main server has no secret key",
      "CtxSecretKey or CtxSecretKeyFile"]),
    ("session-in-location-without-key", "<Location /app>\n CtxSession On\n</Location>\n",
     ["CtxSession On is used but", "has no secret key"]),
    ("fallback-without-key", f"CtxSecretKeyFallback {STRONG_2}\n",
     ["CtxSecretKeyFallback without CtxSecretKey or CtxSecretKeyFile"]),
    # A vhost's fallbacks go with its own key, never with the main server's.
    ("vhost-fallback-without-its-own-key",
     f"CtxSecretKey {STRONG_1}\n<VirtualHost 127.0.0.1:*>\n ServerName v.test\n"
     f" CtxSecretKeyFallback {STRONG_2}\n</VirtualHost>\n",
     ["CtxSecretKeyFallback without CtxSecretKey or CtxSecretKeyFile in ", "(v.test)",
      "its own key"]),
]


@pytest.mark.parametrize("config,messages", [c[1:] for c in CONFIG_ERRORS],
                         ids=[c[0] for c in CONFIG_ERRORS])
def test_configuration_error_fails_config_test_naming_the_directive(
        make_server, workdir, config, messages):
    body = config(workdir) if callable(config) else config
    srv = make_server(body, start=False)
    rc, out = srv.check_config()
    assert rc != 0, f"apache2 -t accepted:\n{body}\n{out}"
    assert "Syntax OK" not in out
    for message in messages:
        assert message in out, f"{message!r} not in:\n{out}"


def test_valid_session_configuration_passes_config_test(make_server, workdir):
    key = write_key(workdir / "good.key")
    srv = make_server(f"""
CtxSecretKeyFile {key}
CtxSecretKeyFallback {STRONG_2}
<Location /app>
    CtxSession On
    CtxSessionFormat encrypted
    CtxSessionCookieName app_session
    CtxSessionCookieSameSite Strict
    CtxSessionCookieSecure Auto
    CtxSessionMaxAge 3600
    CtxSessionMaxLifetime 86400
    CtxSessionMaxSize 4093
</Location>
CtxSessionLegacyCookies Off
""", start=False)
    rc, out = srv.check_config()
    assert rc == 0 and "Syntax OK" in out, out


@pytest.mark.parametrize("order", ["allow-after-key", "allow-before-key"])
def test_weak_secrets_start_with_a_warning_when_allowed(make_server, workdir, order):
    """CtxSecretKeyAllowWeak On (anywhere in the main server): weak secrets are
    accepted; `apache2 -t` and the start each warn once per weak secret."""
    weak_file = write_key(workdir / "weak.key", data=b"z" * 40)
    keys = (f"CtxSecretKeyFile {weak_file}\nCtxSecretKeyFallback short-secret\n"
            "<VirtualHost 127.0.0.1:*>\n ServerName v.test\n CtxSecretKey tiny\n"
            " CtxSession On\n</VirtualHost>\n")
    allow = "CtxSecretKeyAllowWeak On\n"
    body = EXAMPLE_ROOT + "CtxSession On\n" + (keys + allow if order == "allow-after-key"
                                                else allow + keys)
    srv = make_server(body, start=False)
    warnings = [
        r"mod_ctx: the secret of CtxSecretKeyFile \S*weak.key for the main server has only "
        r"1 different byte values \(at least 8 are required\); accepted because of "
        r"CtxSecretKeyAllowWeak On",
        r"mod_ctx: the secret of CtxSecretKeyFallback #1 for the main server is only 12 bytes "
        r"long \(at least 32 are required\); accepted because",
        r"mod_ctx: the secret of CtxSecretKey for \S+ \(v.test\) is only 4 bytes long",
    ]
    rc, out = srv.check_config()
    assert rc == 0 and "Syntax OK" in out, out
    for w in warnings:
        assert len(re.findall(w, out)) == 1, (w, out)
        srv.expect_log(w)
    srv.start()
    assert srv.get("/home?page=1").text == "home page=1\n"
    for w in warnings:
        assert len(srv.log_lines(r"\[ctx:warn\].*" + w)) == 1, (w, srv.read_log())


# ---- key files: owners and links (security issue #10, item 12) ----------------------

NOBODY = pwd.getpwnam("nobody").pw_uid
as_root = pytest.mark.skipif(os.getuid() != 0, reason="needs root to give files away")


def key_owned_by(workdir, name, uid):
    key = write_key(workdir / name)
    os.chown(key, uid, -1)
    return key


def httpd_user_uid():
    """The uid the children run as: the User of conftest's config, when root."""
    return pwd.getpwnam("www-data").pw_uid if os.getuid() == 0 else os.getuid()


@as_root
@pytest.mark.parametrize("directive", ["CtxSecretKeyFile", "CtxSecretKeyFallbackFile"])
def test_key_file_owned_by_another_user_is_refused(make_server, workdir, directive):
    key = key_owned_by(workdir, "nobody.key", NOBODY)
    body = f"CtxSecretKey {STRONG_1}\n" if directive != "CtxSecretKeyFile" else ""
    srv = make_server(body + f"{directive} {key}\n", start=False)
    rc, out = srv.check_config()
    assert rc != 0 and "Syntax OK" not in out, out
    assert (f"{directive} {key} for the main server is owned by uid {NOBODY} (nobody): a key "
            "file must be owned by root or by the user httpd runs as (www-data)") in out, out


@as_root
def test_key_file_owner_is_checked_against_the_user_directive(make_server, workdir):
    """The User directive may come after the key: the owner is checked once the
    whole configuration is read. `nobody` is then the httpd user."""
    key = key_owned_by(workdir, "nobody.key", NOBODY)
    srv = Httpd(workdir, "user-nobody")
    text = srv.config_text(f"CtxSecretKeyFile {key}\nUser nobody\n")
    srv.conf.write_text(text.replace("User www-data\n", ""))
    rc, out = srv.check_config()
    assert rc == 0 and "Syntax OK" in out, out


@as_root
def test_symbolic_link_to_a_key_file_must_be_owned_by_root(make_server, workdir):
    key = write_key(workdir / "real.key")
    good, bad = workdir / "root-link.key", workdir / "nobody-link.key"
    good.symlink_to(key)
    bad.symlink_to(key)
    os.lchown(bad, NOBODY, -1)
    rc, out = make_server(f"CtxSecretKeyFile {good}\n", start=False).check_config()
    assert rc == 0 and "Syntax OK" in out, out
    rc, out = make_server(f"CtxSecretKeyFile {bad}\n", start=False).check_config()
    assert rc != 0 and "Syntax OK" not in out, out
    assert (f"CtxSecretKeyFile: {bad} is a symbolic link owned by uid {NOBODY} (nobody); "
            "a link to a key file must be owned by root") in out, out


def test_key_files_of_root_or_the_httpd_user_are_accepted(make_server, workdir):
    mine = write_key(workdir / "mine.key")
    users = write_key(workdir / "httpd-user.key")
    if os.getuid() == 0:
        os.chown(users, httpd_user_uid(), -1)
    srv = make_server(EXAMPLE_ROOT + f"CtxSecretKeyFile {mine}\n"
                      f"CtxSecretKeyFallbackFile {users}\nCtxSession On\n", start=False)
    rc, out = srv.check_config()
    assert rc == 0 and "Syntax OK" in out, out
    srv.start()
    assert srv.get("/home?page=1").text == "home page=1\n"


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "files"])
def test_secrets_written_in_the_config_get_a_notice_when_mod_info_is_loaded(
        make_server, workdir, inline):
    if inline:
        keys = f"CtxSecretKey {STRONG_1}\nCtxSecretKeyFallback {STRONG_2}\n"
    else:
        keys = (f"CtxSecretKeyFile {write_key(workdir / 'k.key')}\n"
                f"CtxSecretKeyFallbackFile {write_key(workdir / 'f.key')}\n")
    notice = (r"\[ctx:notice\].*mod_ctx: the secret of {} for the main server is written in "
              r"the configuration, which mod_info shows at /server-info\?config; keep "
              r"secrets in CtxSecretKeyFile / CtxSecretKeyFallbackFile")
    srv = make_server(EXAMPLE_ROOT + keys + "CtxSession On\n", modules=("info",))
    assert srv.get("/home?page=1").text == "home page=1\n"
    for origin in ("CtxSecretKey", "CtxSecretKeyFallback #1"):
        assert len(srv.log_lines(notice.format(origin))) == (1 if inline else 0), \
            srv.read_log()
    assert not srv.log_lines(r"mod_ctx: the secret of .* written in the configuration")\
        or inline
    # Without mod_info there is nothing to say.
    other = make_server(EXAMPLE_ROOT + keys + "CtxSession On\n")
    assert not other.log_lines(r"written in the configuration")


# ---- cookie attributes (security issue #10, item 13) ---------------------------------

def test_cookie_attributes_browsers_accept_pass_config_test(make_server):
    srv = make_server(f"""
CtxSecretKey {STRONG_1}
CtxSessionCookieSecure On
CtxSessionCookieSameSite None
CtxSessionCookiePartitioned On
CtxSession On
CtxSessionCookieName __Host-s
<Location /app>
    CtxSessionCookieName __Secure-app
    CtxSessionCookiePath /app
    CtxSessionCookieDomain example.test
</Location>
<Location /off>
    CtxSession Off
    CtxSessionCookieSecure Off
    CtxSessionCookieSameSite Lax
    CtxSessionCookiePartitioned Off
</Location>
""", start=False)
    rc, out = srv.check_config()
    assert rc == 0 and "Syntax OK" in out, out


def test_a_section_shared_by_virtual_hosts_takes_each_hosts_own_cookie_settings(make_server):
    """A main-server <Location> applies in every virtual host: its session
    settings, resolved once at startup over the main server's, must not be
    reused over a virtual host's own (each keeps its cookie name)."""
    srv = make_server(f"""
CtxSecretKey {STRONG_1}
CtxSessionCookieName main_cookie
<Location /counter>
    SetHandler ctx-example
    CtxSession On
</Location>
<VirtualHost 127.0.0.1:*>
    ServerName first.test
</VirtualHost>
<VirtualHost 127.0.0.1:*>
    ServerName other.test
    CtxSessionCookieName other_cookie
</VirtualHost>
""")
    for host, name in (("first.test", "main_cookie"), ("other.test", "other_cookie"),
                       ("first.test", "main_cookie")):
        r = srv.get("/counter", host=host)
        assert r.status == 200, r.text
        cookie = r.header("set-cookie") or ""
        assert cookie.startswith(name + "="), (host, cookie)


def test_cookie_attributes_combined_across_sections_are_checked_per_request(make_server):
    """Only a request knows which sections it merges: /session (SameSite None
    with Secure On) sends its cookie; /counter (SameSite None, Secure Auto) has
    no session, and the error log says why once."""
    srv = make_server(f"""
CtxSecretKey {STRONG_1}
<Location /counter>
    SetHandler ctx-example
    CtxSession On
    CtxSessionCookieSameSite None
</Location>
<Location /session>
    SetHandler ctx-example
    CtxSession On
    CtxSessionCookieSameSite None
    CtxSessionCookieSecure On
</Location>
""", start=False)
    rc, out = srv.check_config()
    assert rc == 0 and "Syntax OK" in out, out
    problem = (r"\[ctx:error\].*mod_ctx: no session for /counter: CtxSessionCookieSameSite "
               r"None needs CtxSessionCookieSecure On \(cookie session; ")
    srv.expect_log(problem)
    srv.start()
    r = srv.get("/session/set?user=alice")
    assert r.status == 200, r.text
    cookie = r.header("set-cookie")
    assert cookie and "SameSite=None" in cookie and "Secure" in cookie, cookie
    # One keep-alive connection: one child process, which logs it once.
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        for _ in range(3):
            conn.request("GET", "/counter")
            r = conn.getresponse()
            r.read()
            assert r.status == 404 and not r.getheader("set-cookie"), r.getheaders()
    finally:
        conn.close()
    assert len(srv.wait_log(problem)) == 1, srv.read_log()

"""ctx_httpd: integration tests of httpd modules against Debian's real apache2.

Installed with mod_ctx (``pkg-config --variable=testingdir mod_ctx-test``,
usually /usr/share/mod_ctx/testing); mod_ctx's own integration tests use the
same file. See docs/testing.md. In your conftest.py::

    import sys, subprocess
    sys.path.insert(0, subprocess.run(
        ["pkg-config", "--variable=testingdir", "mod_ctx-test"],
        capture_output=True, text=True).stdout.strip())
    from ctx_httpd import *     # fixtures: workdir, make_server

    MODULES = [("ctx_module", "/usr/lib/apache2/modules/mod_ctx.so"),
               ("hello_module", "build/mod_hello.so")]

    @pytest.fixture
    def server(make_server):
        return make_server("<Location /hello>\\n SetHandler hello\\n</Location>",
                           load=MODULES)

``make_server(body, load=[(module_struct_name, path_to_so), ...],
modules=("http2",), mpm=..., log_level="warn", mpm_conf=[...], start=True)``
writes a config (loopback port, its own directory, the given modules and
Debian's modules by short name, then `body`), starts apache2 and returns an
`Httpd`; `server.get(path, headers)` answers a `Response`. When the test
ends the server is stopped and its error log read: any line at warn level
or above (and any sanitizer report or child crash) fails the test, unless
the test declared it with ``server.expect_log(regex)``.

Environment:
  CTX_TEST_MPM       event (default) or prefork
  CTX_TEST_SANITIZE  1: the modules are ASan+UBSan builds; apache2 gets the
                     sanitizer runtime through LD_PRELOAD
"""
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

__all__ = ["MPM", "SANITIZE", "APACHE2", "DEBIAN_MODULES", "free_port",
           "sanitizer_env", "Response", "Httpd", "workdir", "make_server",
           "make_server_factory", "pytest_runtest_makereport", "write_key"]

MPM = os.environ.get("CTX_TEST_MPM", "event")
SANITIZE = os.environ.get("CTX_TEST_SANITIZE", "0") == "1"
APACHE2 = "/usr/sbin/apache2"
DEBIAN_MODULES = Path("/usr/lib/apache2/modules")

# Lines the harness always accepts (startup notices that are not problems).
ALWAYS_OK = [
    r"AH00558",  # could not reliably determine the server's FQDN
]
BAD_LEVEL = re.compile(r"\[[a-z_0-9]*:(warn|error|crit|alert|emerg)\]")
BAD_TEXT = re.compile(r"Sanitizer|runtime error:|CTX-INVARIANT|Segmentation fault|"
                      r"exit signal|child pid \d+ exit")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sanitizer_env():
    if not SANITIZE:
        return {}
    libs = []
    for name in ("libasan.so", "libubsan.so"):
        path = subprocess.run(["gcc", f"-print-file-name={name}"], capture_output=True,
                              text=True).stdout.strip()
        if path and os.path.exists(path):
            libs.append(os.path.realpath(path))
    return {
        "LD_PRELOAD": " ".join(libs),
        # httpd frees its pools at exit but not everything it mallocs: leaks
        # are not what this run is for. Reports go to stderr = the error log.
        "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:allow_user_segv_handler=1",
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
    }


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # list of (name, value), names lower-case
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    def fields(self):
        """key=value lines of a text body as a dict."""
        out = {}
        for line in self.text.splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                out[k] = v
        return out


class Httpd:
    """One apache2 instance in its own directory."""

    def __init__(self, root, name="httpd"):
        self.root = Path(root)
        self.name = name
        self.port = free_port()
        self.conf = self.root / f"{name}.conf"
        self.error_log = self.root / f"{name}-error.log"
        self.pid_file = self.root / f"{name}.pid"
        self.expected = list(ALWAYS_OK)
        self.started = False
        self.log_checked_upto = 0

    # ---- configuration --------------------------------------------------
    def config_text(self, body, load=(), modules=(), mpm=None, log_level="warn",
                    mpm_conf=None):
        """The config: `modules` are Debian's (short names: "http2"), `load`
        pairs (module struct name, .so path) loaded after them, then `body`."""
        mpm = mpm or MPM
        lines = [
            "# generated by ctx_httpd.py",
            f'ServerRoot "{self.root}"',
            "ServerName localhost",
            f"Listen 127.0.0.1:{self.port}",
            f"PidFile {self.pid_file}",
            f"DefaultRuntimeDir {self.root}",
            f"ErrorLog {self.error_log}",
            f"LogLevel {log_level}",
            "Mutex file:" + str(self.root) + " default",
            f"LoadModule mpm_{mpm}_module {DEBIAN_MODULES}/mod_mpm_{mpm}.so",
            f"LoadModule authz_core_module {DEBIAN_MODULES}/mod_authz_core.so",
        ]
        if os.getuid() == 0:
            lines += ["User www-data", "Group www-data"]
        for mod in modules:
            lines.append(f"LoadModule {mod}_module {DEBIAN_MODULES}/mod_{mod}.so")
        for struct, path in load:
            lines.append(f"LoadModule {struct} {path}")
        if mpm_conf is not None:
            lines += list(mpm_conf)     # the test sizes the MPM itself
        elif mpm == "event":
            lines += ["StartServers 1", "ServerLimit 2", "ThreadsPerChild 16",
                      "MaxRequestWorkers 32", "MinSpareThreads 1", "MaxSpareThreads 32"]
        elif mpm == "prefork":
            lines += ["StartServers 2", "MinSpareServers 1", "MaxSpareServers 8",
                      "MaxRequestWorkers 16"]
        lines += ["<Location />", "    Require all granted", "</Location>"]
        return "\n".join(lines) + "\n" + body + "\n"

    def write_config(self, body="", **kw):
        self.conf.write_text(self.config_text(body, **kw))
        return self

    def env(self):
        env = dict(os.environ)
        env.update(sanitizer_env())
        return env

    def check_config(self):
        """apache2 -t: (returncode, output)."""
        res = subprocess.run([APACHE2, "-t", "-f", str(self.conf)], capture_output=True,
                             text=True, env=self.env(), timeout=60)
        return res.returncode, res.stdout + res.stderr

    # ---- process control ------------------------------------------------
    def _ctl(self, action):
        return subprocess.run([APACHE2, "-f", str(self.conf), "-k", action],
                              capture_output=True, text=True, env=self.env(), timeout=60)

    def pid(self):
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def start(self):
        res = self._ctl("start")
        assert res.returncode == 0, f"apache2 failed to start: {res.stdout}{res.stderr}" \
                                    f"\n{self.read_log()}"
        self.started = True
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
                if self.pid():
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"apache2 did not listen on {self.port}\n{self.read_log()}")

    def graceful(self):
        """Graceful restart; returns when the new generation has started."""
        marker = self.log_size()
        pid = self.pid()
        os.kill(pid, signal.SIGUSR1)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if "resuming normal operations" in self.read_log()[marker:]:
                return
            time.sleep(0.05)
        raise AssertionError("graceful restart did not complete")

    def stop(self):
        if not self.started:
            return
        pid = self.pid()
        self._ctl("stop")
        deadline = time.monotonic() + 30
        while pid and time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            if pid:
                os.kill(pid, signal.SIGKILL)
                raise AssertionError("apache2 did not stop within 30 s")
        self.started = False

    def stop_and_check(self, remove=None):
        """Stop, then fail (AssertionError) if the error log has a line
        `unexpected_log_lines` reports: for a server that a fixture of module
        scope started itself (make_server's servers are checked for you).
        `remove`: a directory to delete once the log was read."""
        self.stop()
        bad = self.unexpected_log_lines()
        if remove:
            shutil.rmtree(remove, ignore_errors=True)
        assert not bad, f"unexpected error-log lines of {self.name}:\n" + "\n".join(bad)

    # ---- the error log --------------------------------------------------
    def read_log(self):
        try:
            return self.error_log.read_text(errors="replace")
        except OSError:
            return ""

    def log_size(self):
        return len(self.read_log())

    def log_lines(self, pattern, since=0):
        rx = re.compile(pattern)
        return [line for line in self.read_log()[since:].splitlines() if rx.search(line)]

    def wait_log(self, pattern, count=1, timeout=10, since=0):
        deadline = time.monotonic() + timeout
        while True:
            lines = self.log_lines(pattern, since)
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def expect_log(self, pattern):
        """Declare an error-log line (regex) that this test causes on purpose."""
        self.expected.append(pattern)

    def unexpected_log_lines(self):
        bad = []
        for line in self.read_log().splitlines():
            if not (BAD_LEVEL.search(line) or BAD_TEXT.search(line)):
                continue
            if any(re.search(p, line) for p in self.expected):
                continue
            bad.append(line)
        return bad

    # ---- HTTP -----------------------------------------------------------
    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path, headers=None, method="GET", host=None, timeout=30, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            hdrs = dict(headers or {})
            if host:
                hdrs["Host"] = host
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, [(k.lower(), v) for k, v in resp.getheaders()], data)
        finally:
            conn.close()

    def curl(self, *args, timeout=60):
        """Run curl; returns CompletedProcess (text)."""
        return subprocess.run(["curl", "-sS", *args], capture_output=True, text=True,
                              timeout=timeout)


@pytest.fixture
def workdir():
    """A directory the httpd children (www-data) can read."""
    d = Path(tempfile.mkdtemp(prefix="ctx-itest-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def make_server_factory(httpd_class):
    """A make_server fixture whose servers are `httpd_class` instances (a
    subclass of Httpd with its own config_text defaults)."""

    @pytest.fixture
    def make_server(workdir, request):
        """make_server(body, **config options) -> a started server; stopped
        and its error log checked when the test ends."""
        servers = []

        def make(body="", start=True, name=None, **kw):
            srv = httpd_class(workdir, name or f"httpd{len(servers)}")
            srv.write_config(body, **kw)
            servers.append(srv)
            if start:
                srv.start()
            return srv

        yield make
        failures = []
        for srv in servers:
            try:
                srv.stop()
            except AssertionError as e:
                failures.append(str(e))
            bad = srv.unexpected_log_lines()
            if bad:
                failures.append(f"unexpected error-log lines of {srv.name}:\n" + "\n".join(bad))
        if failures and not getattr(request.node, "rep_call_failed", False):
            pytest.fail("\n".join(failures), pytrace=False)

    return make_server


make_server = make_server_factory(Httpd)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # A test that failed already is not failed again by its error log.
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        item.rep_call_failed = True


def write_key(path, data=None, mode=0o600):
    """A secret key file as an administrator would make it."""
    path = Path(path)
    path.write_bytes(data if data is not None else os.urandom(48))
    path.chmod(mode)
    return path

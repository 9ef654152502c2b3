"""The integration harness: Debian's real apache2 on a loopback port with a
generated config that loads mod_ctx, the example module and the test module
from the build tree.

The harness itself is testkit/ctx_httpd.py, the helper mod_ctx installs for
module authors (docs/testing.md); this file adds mod_ctx's own defaults.

Environment (set by tests/run):
  CTX_BUILD_DIR      build tree with .libs/mod_ctx.so (default: ./build)
  CTX_TEST_MPM       event (default) or prefork
  CTX_TEST_SANITIZE  1: the modules are ASan+UBSan builds; httpd (unchanged)
                     gets the sanitizer runtime through LD_PRELOAD

Every server a test starts is stopped at the end of the test, and its error
log is then read: any line at warn level or above, any sanitizer report, and
any "CTX-INVARIANT" line (logged by tests/modules/mod_ctx_test.c) fails the
test unless the test declared it expected with `server.expect_log(regex)`.
"""
import os
import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "testkit"))

import ctx_httpd  # noqa: E402
from ctx_httpd import (ALWAYS_OK, APACHE2, BAD_LEVEL, BAD_TEXT,  # noqa: E402,F401
                       DEBIAN_MODULES, MPM, SANITIZE, Response, free_port,
                       make_server_factory, pytest_runtest_makereport,
                       sanitizer_env, workdir, write_key)

BUILD = Path(os.environ.get("CTX_BUILD_DIR", TOP / "build")).resolve()
LIBS = BUILD / ".libs"


class Httpd(ctx_httpd.Httpd):
    """apache2 with mod_ctx, the example and the test module of the build tree."""

    def config_text(self, body, ctx=True, example=True, test_module=True,
                    modules=(), mpm=None, log_level=None, mpm_conf=None):
        if log_level is None:
            # Per-module levels only for modules that are loaded (else a syntax error).
            log_level = "warn" + (" ctx:info" if ctx else "") + \
                (" ctx_example:notice" if example else "") + \
                (" ctx_test:notice" if test_module else "")
        load = []
        if ctx:
            load.append(("ctx_module", LIBS / "mod_ctx.so"))
        if example:
            load.append(("ctx_example_module", LIBS / "mod_ctx_example.so"))
        if test_module:
            load.append(("ctx_test_module", LIBS / "mod_ctx_test.so"))
        body = "<Location /t>\n    SetHandler ctx-test\n</Location>\n" + body
        return super().config_text(body, load=load, modules=modules, mpm=mpm,
                                   log_level=log_level, mpm_conf=mpm_conf)


def self_signed_cert(directory):
    """A key and a self-signed certificate for localhost in `directory`:
    (key path, certificate path)."""
    key, crt = Path(directory) / "tls.key", Path(directory) / "tls.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-addext", "basicConstraints=critical,CA:FALSE",
                    "-keyout", str(key), "-out", str(crt)],
                   check=True, capture_output=True, timeout=60)
    return key, crt


make_server = make_server_factory(Httpd)

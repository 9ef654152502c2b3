"""Integration tests of mod_hello_ctx with the harness mod_ctx installs
(ctx_httpd.py), as the module's author would write them. tests/downstream/run
sets CTX_TESTING_DIR (the installed harness), CTX_MODULE (the installed
mod_ctx.so) and HELLO_MODULE (the built mod_hello_ctx.so)."""
import os
import sys

sys.path.insert(0, os.environ["CTX_TESTING_DIR"])

from ctx_httpd import make_server, pytest_runtest_makereport, workdir  # noqa: E402,F401

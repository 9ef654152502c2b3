"""`make install` puts mod_ctx where Debian's apache2 expects it, honours
DESTDIR, and the installed ctx.load/ctx.conf work with a2enmod and apache2 -t."""
import os
import subprocess
from pathlib import Path

from conftest import sanitizer_env

BUILD = Path(os.environ.get("CTX_BUILD_DIR", Path(__file__).resolve().parents[2] / "build"))


def run(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def test_make_install_honours_destdir_and_debian_layout(tmp_path):
    dest = tmp_path / "root"
    res = run("make", "-C", str(BUILD), "-s", "install", f"DESTDIR={dest}")
    assert res.returncode == 0, res.stderr
    so = dest / "usr/lib/apache2/modules/mod_ctx.so"
    assert so.is_file()
    assert not (dest / "usr/lib/apache2/modules/mod_ctx.la").exists()
    assert (dest / "usr/include/apache2/mod_ctx.h").is_file()
    load = (dest / "etc/apache2/mods-available/ctx.load").read_text()
    # The LoadModule line names the installed path (without DESTDIR).
    assert load.strip() == "LoadModule ctx_module /usr/lib/apache2/modules/mod_ctx.so"
    assert "<IfModule ctx_module>" in (dest / "etc/apache2/mods-available/ctx.conf").read_text()


def test_a2enmod_ctx_enables_a_config_that_apache2_accepts(tmp_path):
    dest = tmp_path / "root"
    assert run("make", "-C", str(BUILD), "-s", "install", f"DESTDIR={dest}").returncode == 0
    confdir = tmp_path / "apache2"
    for sub in ("mods-available", "mods-enabled"):
        (confdir / sub).mkdir(parents=True)
    for name in ("ctx.load", "ctx.conf"):
        text = (dest / "etc/apache2/mods-available" / name).read_text()
        # Point the LoadModule line into DESTDIR, as the files would be after a real install.
        text = text.replace("/usr/lib/apache2/modules", str(dest / "usr/lib/apache2/modules"))
        (confdir / "mods-available" / name).write_text(text)
    res = run("a2enmod", "-q", "ctx", env={**os.environ, "APACHE_CONFDIR": str(confdir)})
    assert res.returncode == 0, res.stdout + res.stderr
    assert (confdir / "mods-enabled/ctx.load").is_symlink()
    assert (confdir / "mods-enabled/ctx.conf").is_symlink()
    main = tmp_path / "httpd.conf"
    main.write_text(
        f"ServerRoot {tmp_path}\nServerName localhost\nListen 127.0.0.1:1\n"
        f"PidFile {tmp_path}/pid\nErrorLog {tmp_path}/error.log\n"
        "LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so\n"
        f"IncludeOptional {confdir}/mods-enabled/*.load\n"
        f"IncludeOptional {confdir}/mods-enabled/*.conf\n"
        "CtxConfig CHECK yes\n")
    res = run("/usr/sbin/apache2", "-t", "-f", str(main),
              env={**os.environ, **sanitizer_env()})
    assert res.returncode == 0, res.stderr
    assert "Syntax OK" in res.stderr


TINY_MODULE = r'''
#include "httpd.h"
#include "http_config.h"
#include "mod_ctx.h"

#if MOD_CTX_API_VERSION < 4
#error "an older mod_ctx.h than the one just installed"
#endif

APLOG_USE_MODULE(tiny);

static int tiny_post_config(apr_pool_t *p, apr_pool_t *pl, apr_pool_t *pt,
                            server_rec *s)
{
    char buf[128];

    if (ctx_api_require(s, "mod_tiny") != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "%s",
                     ctx_strerror(APR_ENOTIMPL, buf, sizeof(buf)));
    }
    return OK;
}

static int tiny_handler(request_rec *r)
{
    return ctx_session_append_json(NULL, "seen", "1") == APR_SUCCESS ? OK
                                                                     : DECLINED;
}

static void tiny_hooks(apr_pool_t *p)
{
    ap_hook_post_config(tiny_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(tiny_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA tiny_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, tiny_hooks
};
'''


def install_and_pkg_config(tmp_path):
    """make install into tmp_path/root; returns (root, pkg-config --cflags mod_ctx)."""
    dest = tmp_path / "root"
    res = run("make", "-C", str(BUILD), "-s", "install", f"DESTDIR={dest}")
    assert res.returncode == 0, res.stderr
    pc = dest / "usr/lib/pkgconfig/mod_ctx.pc"
    assert pc.is_file()
    # --define-prefix: the prefix of a .pc is where it lies (DESTDIR here).
    env = {**os.environ, "PKG_CONFIG_PATH": str(pc.parent)}
    res = run("pkg-config", "--define-prefix", "--cflags", "mod_ctx", env=env)
    assert res.returncode == 0, res.stderr
    cflags = res.stdout.split()
    # Nothing to link: the API is fetched from mod_ctx at run time.
    res = run("pkg-config", "--define-prefix", "--libs", "mod_ctx", env=env)
    assert res.returncode == 0 and res.stdout.strip() == "", res.stdout
    return dest, cflags


def compile_module(tmp_path, dest, cflags, source):
    """Compiles source as a module with -Werror; asserts the installed mod_ctx.h was used."""
    src = tmp_path / "mod_tiny.c"
    src.write_text(source)
    so = tmp_path / "mod_tiny.so"
    res = run("cc", "-shared", "-fPIC", "-Wall", "-Werror", *cflags, "-MD",
              "-MF", str(tmp_path / "deps"), "-o", str(so), str(src))
    assert res.returncode == 0, res.stderr
    assert so.is_file()
    # The header compiled in is the installed one, not one elsewhere.
    deps = (tmp_path / "deps").read_text()
    assert f"{dest}/usr/include/apache2/mod_ctx.h" in deps, deps


def test_a_module_builds_with_pkg_config_against_the_installed_tree(tmp_path):
    dest, cflags = install_and_pkg_config(tmp_path)
    assert f"-I{dest}/usr/include/apache2" in cflags       # mod_ctx.h
    assert "-I/usr/include/apache2" in cflags               # httpd.h
    assert any(f.startswith("-I") and "apr-1" in f for f in cflags), cflags
    compile_module(tmp_path, dest, cflags, TINY_MODULE)


README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_starts_with_the_demo_and_test_commands():
    text = README.read_text()
    first_block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert commands == ["./demo/run", "./tests/run"], first_block
    assert text.index("```sh") < text.index("\n## "), "the commands come before any section"
    for cmd in commands:
        assert os.access(README.parent / cmd, os.X_OK), cmd


def test_the_readme_minimal_module_builds_against_the_installed_tree(tmp_path):
    source = README.read_text().split("```c\n", 1)[1].split("```", 1)[0]
    assert "ctx_arg(NULL" in source and "module AP_MODULE_DECLARE_DATA" in source
    dest, cflags = install_and_pkg_config(tmp_path)
    compile_module(tmp_path, dest, cflags, source)

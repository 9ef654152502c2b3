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

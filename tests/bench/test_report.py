"""bench/report.py on made-up figures whose right answers are known: each
run is taken against the bare runs beside it, so a machine whose speed
drifts within a round still gives the endpoints' true ratios."""
import os
import re
import subprocess
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPORT = os.path.join(TOP, "bench", "report.py")

# Each endpoint's true cost relative to bare on a machine of constant speed.
TRUE = {"ctx-home": 0.99, "ctx-background": 0.92, "bare-cookie": 1.0,
        "ctx-signed": 0.96, "ctx-encrypted": 0.94}


def write_run(tmp_path, speed, rounds=3, cpu_of=None, true=None):
    """runs.tsv in bench/run's order (bare between every two endpoints) on a
    machine whose speed at run number `seq` is speed(seq); `true` replaces
    the endpoints' true ratios."""
    true = dict(TRUE, **(true or {}))
    data = tmp_path / "data"
    data.mkdir()
    names = ["bare"] + list(true)
    (data / "endpoints.tsv").write_text(
        "".join("%s\t%s\t0\t\n" % (n, "what " + n) for n in names))
    lines, seq = [], 0
    for rnd in range(1, rounds + 1):
        order = ["bare"]
        for n in true:
            order += [n, "bare"]
        for n in order:
            seq += 1
            rps = 30000.0 * speed(seq) * true.get(n, 1.0)
            cpu = (cpu_of or (lambda n, s: 40.0))(n, seq)
            lines.append("%d\t%s\t%.2f\t%d\t0\t%.2f\t0\t%d\n" % (rnd, n, rps, rps * 5, cpu, seq))
    (data / "runs.tsv").write_text("".join(lines))
    return data


def report(tmp_path, data):
    out = subprocess.run([sys.executable, REPORT, str(data), str(tmp_path / "r.md"),
                          str(tmp_path / "r.dat")], capture_output=True, text=True, check=True)
    return out.stdout, (tmp_path / "r.md").read_text()


def ratio_row(md, name):
    row = next(l for l in md.splitlines() if l.startswith("| %s |" % name))
    return float(row.split("|")[5])


def test_ratios_are_exact_when_the_machine_drifts_steadily(tmp_path):
    # Speed falls by 40 % across the run: linear, so the mean of the two bare
    # runs beside a run is exactly the bare speed at that run.
    data = write_run(tmp_path, lambda s: 1.0 - 0.4 * s / 48.0)
    _, md = report(tmp_path, data)
    for name, want in TRUE.items():
        assert ratio_row(md, name) == pytest.approx(want, abs=0.0015), name


def test_a_slow_moment_does_not_leak_into_the_other_runs_of_its_round(tmp_path):
    # The machine is at half speed for the first three runs of every round
    # (bare, ctx-home, bare): a reference made of all the round's bare runs
    # would put every endpoint far off its true ratio. Only ctx-background,
    # whose bare run before it was still slow, shares the slow moment.
    data = write_run(tmp_path, lambda s: 0.5 if (s - 1) % 11 < 3 else 1.0)
    _, md = report(tmp_path, data)
    for name in ("ctx-home", "bare-cookie", "ctx-signed", "ctx-encrypted"):
        assert ratio_row(md, name) == pytest.approx(TRUE[name], abs=0.0015), name


def test_targets_and_the_endpoint_against_endpoint_check_follow_the_ratios(tmp_path):
    data = write_run(tmp_path, lambda s: 1.0)
    out, _ = report(tmp_path, data)
    assert re.search(r"\[met\] ctx-home >= 0.98 x bare: 0\.990", out)
    assert re.search(r"\[met\] ctx-signed >= 0.95 x bare: 0\.960", out)
    assert re.search(r"\[met\] ctx-encrypted >= 0.93 x bare: 0\.940", out)
    # 0.92 / 0.99 = 0.929
    assert re.search(r"\[met\] ctx-background >= 0.90 x ctx-home: 0\.929", out)


def test_a_missed_target_is_reported_missed(tmp_path):
    data = write_run(tmp_path, lambda s: 1.0, true={"ctx-signed": 0.90})
    out, _ = report(tmp_path, data)
    assert re.search(r"\[MISSED\] ctx-signed >= 0.95 x bare: 0\.900", out)


def test_cpu_differences_are_taken_against_the_bare_runs_beside_them(tmp_path):
    # Server CPU per request drifts up by 20 us over the run for every
    # endpoint alike; the signed session costs 3 us more than the cookie echo.
    extra = {"ctx-signed": 3.0}
    data = write_run(tmp_path, lambda s: 1.0,
                     cpu_of=lambda n, s: 40.0 + 20.0 * s / 48.0 + extra.get(n, 0.0))
    _, md = report(tmp_path, data)
    row = next(l for l in md.splitlines() if "| ctx-signed − bare-cookie |" in l)
    assert float(row.split("|")[3]) == pytest.approx(3.0, abs=0.15)


def test_store_targets_follow_the_ratios_to_bare(tmp_path):
    # shmcb at 0.86 of bare and mod_session_dbd at 0.04: 21.5x; Redis at 0.45
    # against Flask-Session at 0.09: 5.0x (missed twice: < 0.5 and < 6x).
    data = write_run(tmp_path, lambda s: 1.0 - 0.3 * s / 60.0,
                     true={"ctx-shmcb": 0.86, "modsession-dbd": 0.04,
                           "ctx-redis": 0.45, "flask-redis": 0.09})
    out, _ = report(tmp_path, data)
    assert re.search(r"\[met\] ctx-shmcb >= 0.85 x bare: 0\.860", out)
    assert re.search(r"\[met\] ctx-shmcb >= 20x modsession-dbd: 21\.5x", out)
    assert re.search(r"\[MISSED\] ctx-redis >= 0.50 x bare: 0\.450", out)
    assert re.search(r"\[MISSED\] ctx-redis >= 6x flask-redis: 5\.0x", out)
    assert re.search(r"\[n/a\] ctx-memcache >= 6x flask-redis: not measured", out)


def write_forged(data, forged_cmds, valid_cmds, failed=0):
    (data / "forged.txt").write_text(
        "forged_requests=1000\nforged_failed=%d\nforged_commands=%d\n"
        "forged_before=get:5 setex:2\nforged_after=get:5 setex:2\n"
        "valid_requests=100\nvalid_failed=0\nvalid_commands=%d\n" % (failed, forged_cmds,
                                                                    valid_cmds))


def test_a_forged_id_is_met_only_with_no_store_command_and_a_working_count(tmp_path):
    data = write_run(tmp_path, lambda s: 1.0)
    write_forged(data, 0, 100)
    out, md = report(tmp_path, data)
    assert re.search(r"\[met\] no store round trip for a forged id \(Redis\): 0 Redis "
                     r"commands for 1000 forged-id requests; control: 100 for 100", out)
    assert "## Forged session ids" in md
    # One lookup per forged id: missed.
    write_forged(data, 1000, 100)
    out, _ = report(tmp_path, data)
    assert "[MISSED] no store round trip for a forged id" in out
    # A count that sees nothing for valid ids proves nothing: missed too.
    write_forged(data, 0, 0)
    out, _ = report(tmp_path, data)
    assert "[MISSED] no store round trip for a forged id" in out


def test_rss_is_checked_per_endpoint_and_old_runs_still_read(tmp_path):
    data = write_run(tmp_path, lambda s: 1.0)
    # ctx-signed flat, ctx-redis growing by 10 MiB over a million requests.
    (data / "mem.tsv").write_text(
        "".join("%d\t%d\tctx-signed\n" % (n, 40000) for n in (0, 500000, 1000000))
        + "".join("%d\t%d\tctx-redis\n" % (n, 40000 + n // 100) for n in (0, 500000, 1000000)))
    (data / "meta.txt").write_text("mem_pids_before_ctx-signed=1 2 \nmem_pids_after_ctx-signed=1 2 \n"
                                   "mem_pids_before_ctx-redis=1 2 \nmem_pids_after_ctx-redis=1 2 \n")
    out, md = report(tmp_path, data)
    assert re.search(r"\[met\] RSS flat \(ctx-signed\): \+0 KiB", out)
    assert re.search(r"\[MISSED\] RSS flat \(ctx-redis\): \+10000 KiB", out)
    assert md.count("| requests | RSS KiB | change KiB |") == 2
    # A run from before the store endpoints: two columns, /counter signed.
    (data / "mem.tsv").write_text("0\t40000\n1000000\t40100\n")
    (data / "meta.txt").write_text("mem_pids_before=1 2 \nmem_pids_after=1 3 \n")
    out, _ = report(tmp_path, data)
    assert re.search(r"\[MISSED\] RSS flat \(ctx-signed\): \+100 KiB .*processes changed", out)

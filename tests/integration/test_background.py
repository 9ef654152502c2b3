"""Background tasks through the example module's /background: a task sees
its request's data after the response is complete, every accepted task runs
exactly once (also under load and across a graceful restart), a full queue
is refused at once, and a drain timeout drops and counts what is left.
The load test is a bounded wrk run on 127.0.0.1."""
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.parse

from conftest import MPM

KEY = "background-test-key-0123456789abcdefghij"
EXAMPLE = """
<LocationMatch "^/(home|g|config|counter|session|background)">
    SetHandler ctx-example
    CtxSession On
</LocationMatch>
CtxSecretKey {key}
CtxConfig BACKGROUND_LOG {log}
CtxConfig BACKGROUND_DELAY_MS {delay}
{extra}
"""

# One child process, so that /background/status counts everything.
ONE_CHILD = {
    "event": ["StartServers 1", "ServerLimit 1", "ThreadsPerChild 16",
              "MaxRequestWorkers 16", "MinSpareThreads 1", "MaxSpareThreads 16"],
    "prefork": ["StartServers 1", "MinSpareServers 1", "MaxSpareServers 1",
                "ServerLimit 1", "MaxRequestWorkers 1"],
}


def start(make_server, workdir, delay=100, extra="", one_child=False, **kw):
    logdir = workdir / "bg"
    logdir.mkdir(exist_ok=True)
    logdir.chmod(0o777)                     # the children (www-data) write here
    log = logdir / "tasks.log"
    body = EXAMPLE.format(key=KEY, log=log, delay=delay, extra=extra)
    if one_child:
        kw["mpm_conf"] = ONE_CHILD[MPM]
    srv = make_server(body, **kw)
    return srv, log


def task_lines(log):
    try:
        return log.read_text().splitlines()
    except FileNotFoundError:
        return []


def wait_lines(log, count, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = task_lines(log)
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    return task_lines(log)


def fields(line):
    return dict(part.split("=", 1) for part in line.split(" "))


def status(srv):
    return {k: int(v) for k, v in srv.get("/background/status").fields().items()}


def test_task_sees_its_requests_data_after_the_response_is_complete(make_server, workdir):
    srv, log = start(make_server, workdir, delay=400)
    login = srv.get("/session/set?user=alice")
    cookie = login.header("set-cookie").split(";")[0]
    res = srv.get("/background?email=a%40b.test", headers={"Cookie": cookie})
    assert res.status == 202 and res.text == "queued\n"
    # The answer came before the task wrote anything: it did not wait.
    assert task_lines(log) == []
    lines = wait_lines(log, 1)
    assert len(lines) == 1
    f = fields(lines[0])
    assert f["uri"] == "/background?email=a%40b.test"     # as the client sent it
    assert f["email"] == "a@b.test"                       # ctx_arg, decoded, in the task
    assert re.fullmatch(r"\d{16}", f["g.request_started"])  # a g string set by a fixups hook
    assert f["user"] == "alice"                           # the session's snapshot
    assert f["request"] == "none"                         # no live request_rec in a task


def test_task_without_session_cookie_sees_no_user(make_server, workdir):
    srv, log = start(make_server, workdir, delay=0)
    assert srv.get("/background?email=x").status == 202
    lines = wait_lines(log, 1)
    assert fields(lines[0])["user"] == "-"
    assert fields(lines[0])["email"] == "x"


def test_task_line_of_a_long_uri_is_cut_whole_and_keeps_its_newline(make_server, workdir):
    # The example's task formats into a 1 KiB buffer: a longer URI is cut to
    # 1023 bytes ending in a newline, and the next task's line stays separate.
    srv, log = start(make_server, workdir, delay=0)
    long_email = "x" * 3000
    assert srv.get("/background?email=" + long_email).status == 202
    assert len(wait_lines(log, 1)) == 1
    assert srv.get("/background?email=short").status == 202
    lines = wait_lines(log, 2)
    assert len(lines) == 2
    raw = log.read_bytes()
    assert raw.count(b"\n") == 2
    first, second = raw.split(b"\n")[:2]
    assert len(first) + 1 == 1023
    assert first.startswith(b"uri=/background?email=xxx")
    assert fields(second.decode())["email"] == "short"


def test_failing_task_is_counted_and_logged_with_method_and_uri(make_server, workdir):
    srv, log = start(make_server, workdir, delay=0, one_child=True)
    srv.expect_log(r"GET /background\?fail=1")
    assert srv.get("/background?fail=1").status == 202
    lines = srv.wait_log(r"GET /background\?fail=1")
    assert lines, srv.read_log()
    assert ":error]" in lines[0]
    deadline = time.monotonic() + 10
    while status(srv)["failed"] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    st = status(srv)
    assert st["failed"] == 1 and st["done"] == 1
    assert task_lines(log) == []


def test_full_queue_is_refused_at_once_with_503(make_server, workdir):
    srv, log = start(make_server, workdir, delay=1500, one_child=True,
                     extra="CtxTaskThreads 1\nCtxTaskQueue 2")
    results = []
    for i in range(8):
        t0 = time.monotonic()
        res = srv.get(f"/background?email=q{i}")
        results.append((res.status, time.monotonic() - t0, res.header("retry-after")))
    accepted = [r for r in results if r[0] == 202]
    refused = [r for r in results if r[0] == 503]
    assert len(accepted) + len(refused) == 8
    # One running plus two queued at most; the rest refused.
    assert 2 <= len(accepted) <= 3 and len(refused) >= 5
    assert all(r[2] == "1" for r in refused)
    # Refused without waiting for the 1.5 s tasks.
    assert max(r[1] for r in refused) < 1.0
    assert status(srv)["rejected"] == len(refused)
    assert len(wait_lines(log, len(accepted), timeout=15)) == len(accepted)


# wrk gives every request its own id (t<thread>-<n>), so that the server's
# access log, the task log and the counters can be matched one to one.
WRK_SCRIPT = """
local threads, count = {}, 0
function setup(thread)
    count = count + 1
    thread:set("tid", count)
    table.insert(threads, thread)
end
local n = 0
function request()
    n = n + 1
    return wrk.format("GET", "/background?email=t" .. tid .. "-" .. n)
end
"""

# Fixed process and thread counts (no spawning or reaping during the run),
# well above the connections: prefork serves one connection per child, and
# each 503 closes its connection (wrk reconnects while the old child may
# still be closing).
WRK_CONNECTIONS = 8
LOAD_MPM = {
    "event": ["StartServers 1", "ServerLimit 1", "ThreadLimit 64", "ThreadsPerChild 64",
              "MaxRequestWorkers 64", "MinSpareThreads 1", "MaxSpareThreads 64"],
    "prefork": ["StartServers 32", "MinSpareServers 1", "MaxSpareServers 32",
                "ServerLimit 32", "MaxRequestWorkers 32"],
}
DRAINED = re.compile(r"background task pool drained: (\d+) done \((\d+) failed\), "
                     r"(\d+) rejected, (\d+) dropped")


def run_wrk(srv, workdir, seconds=3):
    wrk = shutil.which("wrk")
    assert wrk, "wrk is missing (tools/setup-debian installs it)"
    script = workdir / "ids.lua"
    script.write_text(WRK_SCRIPT)
    res = subprocess.run(["timeout", str(seconds + 30), wrk, "-t2", f"-c{WRK_CONNECTIONS}",
                          f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
                          srv.url("/")], capture_output=True, text=True, timeout=seconds + 60)
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    # A connection that breaks (read/write error) loses at most the one
    # answer on its way; failing to connect or timing out is a failure.
    err = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    connect, read, write, timeout = map(int, err.groups()) if err else (0, 0, 0, 0)
    assert connect == 0 and timeout == 0, out
    return total, int(m.group(1)) if m else 0, read + write, out


def graceful_stop(srv, timeout=60):
    """Stop after the requests in progress (and their log lines) are done;
    each child drains its task pool as it exits."""
    pid = srv.pid()
    os.kill(pid, signal.SIGWINCH)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            srv.started = False
            return
        time.sleep(0.05)
    raise AssertionError("apache2 did not stop gracefully")


def test_every_accepted_task_runs_exactly_once_under_wrk_load(make_server, workdir):
    access = workdir / "access.log"
    srv, log = start(make_server, workdir, delay=5,
                     extra="CtxTaskThreads 1\nCtxTaskQueue 16\n"
                           f'LogFormat "%U%q %>s" bg\nCustomLog {access} bg',
                     mpm_conf=LOAD_MPM[MPM],
                     log_level="warn ctx:debug ctx_example:notice ctx_test:notice")
    wrk_total, wrk_non2xx, broken, out = run_wrk(srv, workdir)
    graceful_stop(srv)

    # What the server answered, request by request.
    answers = {}
    for line in access.read_text().splitlines():
        uri, code = line.rsplit(" ", 1)
        tid = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)["email"][0]
        assert tid not in answers, f"{tid} logged twice"
        answers[tid] = int(code)
    accepted = {t for t, c in answers.items() if c == 202}
    refused = {t for t, c in answers.items() if c == 503}
    assert accepted | refused == set(answers), set(answers.values())
    print(f"wrk read {wrk_total} answers ({wrk_non2xx} not 2xx); the server "
          f"accepted {len(accepted)} tasks and refused {len(refused)}")
    # The queue really filled (a test of the refusals too), and tasks ran.
    assert accepted and refused, out

    # wrk counts the answers it read; at most one request per connection was
    # still on its way when it stopped, or when the connection broke.
    unread = WRK_CONNECTIONS + broken
    assert wrk_total <= len(answers) <= wrk_total + unread, out
    assert wrk_non2xx <= len(refused) <= wrk_non2xx + unread, out

    # Every accepted task ran once, none twice, no refused one.
    lines = task_lines(log)
    ran = [fields(line)["email"] for line in lines]
    assert len(ran) == len(set(ran)), "a task ran twice"
    assert set(ran) == accepted, "an accepted task was lost or a refused one ran"

    # The pools' own counts, summed over the children, agree.
    done = failed = rejected = dropped = 0
    for line in srv.log_lines(DRAINED.pattern):
        d, f, r, x = map(int, DRAINED.search(line).groups())
        done, failed, rejected, dropped = done + d, failed + f, rejected + r, dropped + x
    assert (done, failed, rejected, dropped) == (len(accepted), 0, len(refused), 0)


def test_graceful_restart_loses_no_queued_task(make_server, workdir):
    srv, log = start(make_server, workdir, delay=100, extra="CtxTaskThreads 1")
    accepted = []
    for i in range(20):
        res = srv.get(f"/background?email=g{i}")
        assert res.status == 202
        accepted.append(f"g{i}")
    srv.graceful()             # the old child drains its queue (2 s of work < 5 s)
    # The new generation serves at once.
    assert srv.get("/home?page=3").text == "home page=3\n"
    lines = wait_lines(log, 20, timeout=20)
    assert sorted(fields(l)["email"] for l in lines) == sorted(accepted)


def test_drain_timeout_drops_what_is_left_and_logs_the_count(make_server, workdir):
    srv, log = start(make_server, workdir, delay=300, one_child=True,
                     extra="CtxTaskThreads 1\nCtxTaskDrainTimeout 1")
    srv.expect_log(r"dropp")
    for i in range(20):                                   # 6 s of work
        assert srv.get(f"/background?email=d{i}").status == 202
    srv.stop()
    ran = len(task_lines(log))
    dropped_lines = srv.log_lines(r"dropp")
    assert dropped_lines, srv.read_log()
    dropped = int(re.search(r"(\d+) (?:queued )?tasks?", dropped_lines[-1]).group(1))
    assert dropped >= 1
    assert ran + dropped == 20


def test_modules_own_thread_submits_a_task_from_an_app_context(make_server, workdir):
    # mod_ctx_test's child_init thread pushes the app and submits a task.
    srv = make_server("CtxAppName bg-app\nCtxConfig TEST_KEY from-app\nCtxConfig TEST_APP_TASK on\n")
    lines = srv.wait_log(r"ctx_test app task:")
    assert lines, srv.read_log()
    assert "app=bg-app TEST_KEY=from-app request=none is_task=1 current_is_c=1" in lines[0]


def test_completion_callback_reports_every_task_once_whether_it_ran_or_was_dropped(
        make_server, workdir):
    # mod_ctx_test's /t/task-done: ctx_task_submit_ex with an on_done that
    # logs how each task ended. One pool thread and no drain time: stopping
    # the child while the first task sleeps drops the ones queued behind it.
    srv = make_server("CtxTaskThreads 1\nCtxTaskDrainTimeout 0\n",
                      mpm_conf=ONE_CHILD[MPM])
    srv.expect_log(r"dropp")
    assert srv.get("/t/task-done?tag=td&n=5&ms=800").text == "accepted=5\n"
    assert srv.wait_log(r"ctx_test task start tag=td i=1\b"), srv.read_log()
    srv.stop()
    started = {re.search(r" i=(\d+)", l).group(1)
               for l in srv.log_lines(r"ctx_test task start tag=td ")}
    done = {}
    for line in srv.log_lines(r"ctx_test task done "):
        f = fields(line.split("ctx_test task done ", 1)[1])
        assert f["i"] not in done, line            # exactly once
        done[f["i"]] = f
    assert sorted(done, key=int) == [str(i) for i in range(1, 6)], srv.read_log()
    for i, f in done.items():
        # The task's own context, readable but not current, with its copy of g.
        assert (f["tag"], f["uri"], f["current_is_c"]) == ("td", "/t/task-done", "0")
        if i in started:
            assert (f["outcome"], f["status_ok"], f["eshutdown"]) == ("ran", "1", "0")
        else:
            assert (f["outcome"], f["status_ok"], f["eshutdown"]) == ("dropped", "0", "1")
    assert "1" in started
    assert any(f["outcome"] == "dropped" for f in done.values()), srv.read_log()

"""Live capture (ct_serve, CTRACE_HTTP; DESIGN.md §4): a program serving
GET /debug/pprof/trace?seconds=N, as Go's net/http/pprof does.

tests/suites/serve_loop.c serves and loops over tasks "iteration", each a
region "step" holding three regions "inner": a capture's `regions` view
counts three inner for each step (give or take the steps cut at its ends).
Timing is never measured against tight limits: a capture that must be
running when a second request comes lasts long enough that an immediate
answer cannot lose the race on a loaded machine.
"""

import http.client
import os
import re
import selectors
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time

import pytest

from conftest import (BUILD, TIMEOUT_S, only, run, run_ok, sanitized, tasks_by_name,
                      thread_sanitized)

SERVE_LOOP = BUILD / "tests" / "suites" / "serve_loop"
PATH = "/debug/pprof/trace"
HTTP_TIMEOUT_S = 60  # a whole capture and its transfer, on a slow build


class Served:
    """serve_loop running: its address once it said it, and a clean stop."""

    def __init__(self, tmp_path, addr, *args, env=None):
        self.stop_file = tmp_path / f"stop-{time.monotonic_ns()}"
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [str(SERVE_LOOP), addr, "--stop-file", str(self.stop_file), *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=full_env, start_new_session=True)  # kill() ends a child it forked too
        self.stdout_lines = []
        self.stderr_lines = []
        self.pending = {"stdout": b"", "stderr": b""}  # read, not yet a whole line
        first = self.read_line("stdout")
        m = re.fullmatch(r"serve: (-?\d+) (\S+)", first)
        assert m, f"serve_loop said {first!r}; stderr: {self.stderr_lines}"
        self.rc, self.address = int(m.group(1)), m.group(2)

    def read_line(self, which, timeout=TIMEOUT_S):
        """The next line of stdout or stderr, waiting for it (read straight
        from the pipe: a buffered reader would hide lines from select)."""
        fd = getattr(self.proc, which).fileno()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self.pending[which]:
                left = deadline - time.monotonic()
                assert left > 0 and sel.select(left), f"no line on {which} within {timeout}s"
                chunk = os.read(fd, 4096)
                assert chunk, f"{which} ended: {self.pending[which]!r}"
                self.pending[which] += chunk
        line, _, self.pending[which] = self.pending[which].partition(b"\n")
        line = line.decode(errors="replace")
        getattr(self, which + "_lines").append(line + "\n")
        return line

    def host_port(self):
        m = re.fullmatch(r"\[?([^\]]+)\]?:(\d+)", self.address)
        assert m, self.address
        return m.group(1), int(m.group(2))

    def get(self, query="?seconds=1", path=PATH):
        """GET path+query: (status, headers, body)."""
        if self.address.startswith("unix:"):
            conn = UnixHTTPConnection(self.address[len("unix:"):])
        else:
            host, port = self.host_port()
            conn = http.client.HTTPConnection(host, port, timeout=HTTP_TIMEOUT_S)
        try:
            conn.request("GET", path + query)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def get_when_free(self, query):
        """get(query), asked again while another capture runs (409), as a
        client that was told so would."""
        deadline = time.monotonic() + HTTP_TIMEOUT_S
        while True:
            status, headers, body = self.get(query)
            if status != 409 or b"already running" not in body:
                return status, headers, body
            assert time.monotonic() < deadline, body
            time.sleep(0.1)

    def stop(self, touch=True):
        """End the loop through --stop-file (else wait for its --run-for);
        main returns: exit status 0. All it printed."""
        if touch:
            self.stop_file.touch()
        out, err = self.proc.communicate(timeout=TIMEOUT_S)
        self.stdout_lines.append((self.pending["stdout"] + out).decode(errors="replace"))
        self.stderr_lines.append((self.pending["stderr"] + err).decode(errors="replace"))
        assert self.proc.returncode == 0, (self.proc.returncode, self.stderr_lines)
        return "".join(self.stdout_lines)

    def kill(self):
        """Kill it and what it forked (a child still holding its pipes
        would hold communicate() too): its group, while it runs and so
        holds the group's number."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.communicate(timeout=TIMEOUT_S)


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=HTTP_TIMEOUT_S)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(HTTP_TIMEOUT_S)
        self.sock.connect(self.unix_path)


@pytest.fixture
def served(tmp_path):
    """Start serve_loop with an address; every one started is stopped."""
    started = []

    def start(addr, *args, env=None):
        s = Served(tmp_path, addr, *args, env=env)
        started.append(s)
        return s

    yield start
    for s in started:
        s.kill()


def regions(tmp_path, body, name="capture.out"):
    """{region name: count} of a captured trace, through the regions view."""
    trace = tmp_path / name
    trace.write_bytes(body)
    doc = run_ok("regions", "--json", trace).json()
    return {r["name"]: r["count"] for r in doc["regions"]}


def assert_counts_its_regions(counts):
    """Three inner regions in each step: the view counted what ran."""
    assert counts.get("step", 0) >= 1, counts
    # A step begun before the capture (its inner ones counted, not it) or
    # still open at its end: a few at most either way.
    assert abs(counts.get("inner", 0) - 3 * counts["step"]) <= 6, counts


def assert_trace_response(status, headers, body):
    assert status == 200, (status, body[:300])
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"] == 'attachment; filename="trace.out"'
    assert int(headers["Content-Length"]) == len(body)


def raw_exchange(address, data, timeout=HTTP_TIMEOUT_S):
    """Send `data` as it is, read the response to the end: bytes."""
    host, port = address
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def test_capture_counts_regions_refuses_a_second_and_serves_after(served, tmp_path):
    s = served("127.0.0.1:0")
    assert s.rc == 0 and s.address.startswith("127.0.0.1:"), s.address
    assert s.read_line("stdout") == "again: -1"  # CT_EALREADY: one server a process
    results = []

    def fetch(tag):
        results.append((tag, *s.get("?seconds=2")))

    first = threading.Thread(target=fetch, args=("a",))
    second = threading.Thread(target=fetch, args=("b",))
    first.start()
    second.start()
    first.join(HTTP_TIMEOUT_S)
    second.join(HTTP_TIMEOUT_S)
    assert len(results) == 2, results
    # Whichever came second was refused at once, while the other captured:
    # its answer came first.
    (_, refused, _, text), (_, ok, headers, body) = results
    assert refused == 409, results
    assert b"a capture is already running" in text, text
    assert_trace_response(ok, headers, body)
    assert_counts_its_regions(regions(tmp_path, body))
    # One after the other: each capture is whole.
    for i in range(2):
        status, headers, body = s.get("?seconds=1")
        assert_trace_response(status, headers, body)
        assert_counts_its_regions(regions(tmp_path, body, f"again{i}.out"))
    s.stop()


def test_a_client_leaving_ends_its_capture(served):
    s = served("127.0.0.1:0")
    leaving = socket.create_connection(s.host_port(), timeout=HTTP_TIMEOUT_S)
    leaving.sendall(f"GET {PATH}?seconds=60 HTTP/1.1\r\n\r\n".encode())
    time.sleep(0.2)
    leaving.close()
    started = time.monotonic()
    status, headers, body = s.get_when_free("?seconds=0.2")
    assert_trace_response(status, headers, body)
    assert time.monotonic() - started < 30  # not the 60 s the first one asked for
    s.stop()


def test_curl_downloads_a_capture(served, tmp_path):
    curl = shutil.which("curl")
    if curl is None:
        pytest.fail("curl is missing: ci/deps.sh installs it")
    s = served("[::1]:0") if socket.has_ipv6 and _ipv6_loopback() else served("localhost:0")
    out = tmp_path / "trace.out"
    proc = subprocess.run(
        [curl, "-sS", "-f", "-o", str(out), f"http://{s.address}{PATH}?seconds=2"],
        capture_output=True, text=True, timeout=HTTP_TIMEOUT_S * 2)
    assert proc.returncode == 0, proc.stderr
    assert_counts_its_regions(regions(tmp_path, out.read_bytes(), "curl.out"))
    s.stop()


def _ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_ctrace_http_serves_a_program_that_does_not_call_ct_serve(served, tmp_path):
    s = served("-", env={"CTRACE_HTTP": "127.0.0.1:0"})
    said = s.read_line("stderr")
    m = re.search(r"serving live captures at http://(127\.0\.0\.1:\d+)/debug/pprof/trace", said)
    assert m, said
    assert s.address == m.group(1)  # ct_serve_address() agrees
    assert s.read_line("stdout") == "again: -1"
    status, headers, body = s.get("?seconds=1")
    assert_trace_response(status, headers, body)
    assert_counts_its_regions(regions(tmp_path, body))
    s.stop()


@pytest.mark.skipif(sanitized(), reason="a sanitizer's runtime must be loaded first")
def test_ctrace_http_in_a_preloaded_program(tmp_path):
    env = dict(os.environ, LD_PRELOAD=str(BUILD / "libctrace.so"), CTRACE_HTTP="127.0.0.1:0")
    proc = subprocess.Popen(["sleep", "120"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        m = re.search(r"http://(127\.0\.0\.1):(\d+)/debug/pprof/trace", line)
        assert m, line
        conn = http.client.HTTPConnection(m.group(1), int(m.group(2)), timeout=HTTP_TIMEOUT_S)
        conn.request("GET", PATH + "?seconds=0.5")
        resp = conn.getresponse()
        body = resp.read()
        assert resp.status == 200, body[:300]
    finally:
        proc.kill()
        proc.communicate(timeout=TIMEOUT_S)
    trace = tmp_path / "sleep.out"
    trace.write_bytes(body)
    stats = run_ok("stats", trace).stdout
    assert re.search(rf"pid {proc.pid} .*/sleep\n", stats), stats  # the capture is of sleep


def test_bad_requests_get_4xx_and_the_server_goes_on(served, tmp_path):
    s = served("127.0.0.1:0")
    addr = s.host_port()
    cases = [
        (b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n", 405, b"only GET"),
        (b"GET /debug/pprof/ HTTP/1.1\r\n\r\n", 404, b"not found"),
        (b"GET /debug/pprof/heap HTTP/1.1\r\n\r\n", 404, b"not found"),
        (b"GET " + PATH.encode() + b"?seconds=abc HTTP/1.1\r\n\r\n", 400, b"seconds"),
        (b"GET " + PATH.encode() + b"?seconds=61 HTTP/1.1\r\n\r\n", 400, b"seconds"),
        (b"GET " + PATH.encode() + b"?seconds=0 HTTP/1.1\r\n\r\n", 400, b"seconds"),
        (b"GET " + PATH.encode() + b" HTTP/2.0\r\n\r\n", 505, b"HTTP/1.1"),
        (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\n\n", 400, b"request line"),
        (b"GET " + PATH.encode() + b" HTTP/1.1\r\nX: " + b"a" * 9000, 431, b"8 KiB"),
    ]
    for data, status, text in cases:
        reply = raw_exchange(addr, data)
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 %d " % status), (data[:60], reply[:300])
        assert b"Content-Type: text/plain" in head, head
        assert text in body, (data[:60], body)
        if status == 405:
            assert b"\r\nAllow: GET" in head
    status, headers, body = s.get("?seconds=0.5")
    assert_trace_response(status, headers, body)
    s.stop()


def test_a_silent_client_blocks_neither_a_request_nor_the_program(served, tmp_path):
    s = served("127.0.0.1:0")
    silent = socket.create_connection(s.host_port(), timeout=HTTP_TIMEOUT_S)
    # A client that asks and then reads nothing: its trace waits in the
    # server, not in the program.
    sluggard = socket.create_connection(s.host_port(), timeout=HTTP_TIMEOUT_S)
    sluggard.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sluggard.sendall(f"GET {PATH}?seconds=0.5 HTTP/1.1\r\n\r\n".encode())
    try:
        status, headers, body = s.get_when_free("?seconds=1")
        assert_trace_response(status, headers, body)
        assert_counts_its_regions(regions(tmp_path, body))
        # The sluggard still gets its whole trace when it reads (within the
        # 10 s an answer may stand still).
        reply = b""
        while chunk := sluggard.recv(65536):
            reply += chunk
        head, _, trace = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 "), head
        length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        assert len(trace) == length
        regions(tmp_path, trace, "sluggard.out")
        # The silent one is told, once its time to ask is over.
        reply = silent.recv(65536)
        assert reply.startswith(b"HTTP/1.1 408 "), reply[:200]
        assert b"within 5 seconds" in reply
    finally:
        silent.close()
        sluggard.close()
    s.stop()


def test_more_clients_than_slots_are_refused_at_once(served):
    s = served("127.0.0.1:0")
    socks = [socket.create_connection(s.host_port(), timeout=HTTP_TIMEOUT_S)
             for _ in range(24)]
    try:
        # Which ones the server takes is the kernel's order, not ours: the
        # 16 taken are told 408 once their time to ask is over.
        replies = [sock.recv(65536)[:13] for sock in socks]
        assert replies.count(b"HTTP/1.1 503 ") == 8, replies
        assert replies.count(b"HTTP/1.1 408 ") == 16, replies
    finally:
        for sock in socks:
            sock.close()
    # Slots free again once the server has seen those clients go: a client
    # told 503 asks again.
    deadline = time.monotonic() + HTTP_TIMEOUT_S
    while (status := s.get("?seconds=0.2")[0]) == 503 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status == 200
    s.stop()


def test_unix_socket_is_0600_and_removed_at_exit(served, tmp_path):
    path = tmp_path / "ctrace.sock"
    s = served(f"unix:{path}")
    assert s.rc == 0 and s.address == f"unix:{path}"
    st = os.lstat(path)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600
    status, headers, body = s.get("?seconds=1")
    assert_trace_response(status, headers, body)
    assert_counts_its_regions(regions(tmp_path, body))
    s.stop()
    assert not path.exists()


def test_unix_socket_refuses_to_clobber_a_file_and_replaces_a_stale_socket(served, tmp_path):
    path = tmp_path / "not-a-socket"
    path.write_text("precious\n")
    s = served(f"unix:{path}")
    assert (s.rc, s.address) == (-2, "-")  # CT_EINVAL
    assert path.read_text() == "precious\n"
    stale = tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX) as left:
        left.bind(str(stale))  # bound, never listening: what a killed server leaves
    s = served(f"unix:{stale}")
    assert s.rc == 0, s.stderr_lines
    assert s.get("?seconds=0.2")[0] == 200
    # A live server's socket is not taken over.
    again = served(f"unix:{stale}")
    assert (again.rc, again.address) == (-10, "-")  # CT_ESYSTEM (EADDRINUSE)
    assert s.get("?seconds=0.2")[0] == 200
    s.stop()


def test_non_loopback_needs_public(served):
    for addr in ("0.0.0.0:0", "[::]:0", "10.0.0.1:0", ":0"):
        s = served(addr)
        assert (s.rc, s.address) == (-2, "-"), addr  # CT_EINVAL
        s.stop()
    s = served("-", "--run-for", "0", env={"CTRACE_HTTP": "0.0.0.0:0"})
    said = s.read_line("stderr")
    assert "CTRACE_HTTP=\"0.0.0.0:0\": not a loopback address" in said, said
    assert "public:HOST:PORT" in said and "not serving" in said, said
    assert s.address == "-"
    s.stop()
    s = served("public:127.0.0.1:0")
    assert s.rc == 0 and s.address.startswith("127.0.0.1:")
    assert s.get("?seconds=0.2")[0] == 200
    s.stop()


def test_capture_refused_after_ct_start(served, tmp_path):
    own = tmp_path / "own.out"
    s = served("127.0.0.1:0", "--start", str(own))
    status, _, text = s.get("?seconds=1")
    assert status == 409, text
    assert b"owned by ct_start()" in text, text
    s.stop()
    assert run("regions", own).returncode == 0  # its own trace is whole


def test_capture_refused_under_the_runner(tmp_path):
    path = tmp_path / "runner.sock"
    stop = tmp_path / "stop"
    env = dict(os.environ, CTRACE_HTTP=f"unix:{path}")
    runner = subprocess.Popen(
        [str(BUILD / "runner" / "ctest-trace"), f"--trace={tmp_path / 'run.out'}",
         "--", str(SERVE_LOOP), "-", "--stop-file", str(stop)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while not path.exists():
            assert runner.poll() is None, runner.communicate()[0]
            assert time.monotonic() < deadline, "no socket"
            time.sleep(0.05)
        conn = UnixHTTPConnection(str(path))
        conn.request("GET", PATH + "?seconds=1")
        resp = conn.getresponse()
        text = resp.read()
        assert resp.status == 409, text
        assert b"owned by ctest-trace (the runner)" in text, text
    finally:
        stop.touch()
        out = runner.communicate(timeout=TIMEOUT_S)[0]
    # serve_loop is no cmocka suite: the run fails for that, and only that.
    assert runner.returncode == 1 and "no cmocka group ran" in out, out
    assert "iterations:" in out, out
    assert_counts_its_regions(regions(tmp_path, (tmp_path / "run.out").read_bytes()))


def test_exit_during_a_capture_closes_its_connection(served):
    # 5 s: the request comes while the program still runs, even when slow.
    s = served("127.0.0.1:0", "--run-for", "5")
    started = time.monotonic()
    with pytest.raises((http.client.RemoteDisconnected, http.client.IncompleteRead,
                        ConnectionResetError)):
        s.get("?seconds=60")
    assert time.monotonic() - started < 45  # the program's end, not the capture's
    assert "iterations:" in s.stop()


def test_a_forked_child_does_not_serve(served, tmp_path):
    s = served("127.0.0.1:0", "--fork")
    assert s.read_line("stdout") == "again: -1"
    assert s.read_line("stdout") == "child: not serving"
    assert s.read_line("stdout") == "child exit: 0"
    status, headers, body = s.get("?seconds=1")
    assert_trace_response(status, headers, body)
    assert_counts_its_regions(regions(tmp_path, body))
    s.stop()


# A program may fork as soon as ct_serve() or ct_start() returns. The thread
# either started (listener, drain thread) was once still in its runtime's
# start then, which allocates under ASan, and gcc 12's ASan takes no
# allocator lock around fork(): the child inherited a held lock and hung at
# exit, in the leak check (about 1 fork in 20 on a loaded machine, 1 in 10
# quiet). Each call now returns once its thread runs (own_thread.c).
QUICK_FORKS = 30


@pytest.mark.parametrize("how", ["serve", "start"])
def test_a_child_forked_as_the_call_returns_exits(tmp_path, how):
    first = ["127.0.0.1:0"] if how == "serve" else ["-", "--start", str(tmp_path / "own.out")]
    for i in range(QUICK_FORKS):
        # its own session: a hung child is killed with its parent
        proc = subprocess.Popen([str(SERVE_LOOP), *first, "--fork", "--run-for", "0"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            pytest.fail(f"fork {i + 1} of {QUICK_FORKS}: no end in 60 s; stdout {out!r}")
        assert proc.returncode == 0 and b"child exit: 0\n" in out, (i, out, err)


def cpu_seconds(pid):
    """User and system time of process `pid` so far."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_program_closing_the_servers_descriptors_does_not_make_it_spin(served):
    s = served("127.0.0.1:0", "--close-fds")
    assert s.read_line("stdout") == "again: -1"
    time.sleep(0.5)
    cpu0, wall0 = cpu_seconds(s.proc.pid), time.monotonic()
    time.sleep(3)
    cpu, wall = cpu_seconds(s.proc.pid) - cpu0, time.monotonic() - wall0
    # The loop sleeps 1 ms an iteration; a listener polling closed
    # descriptors would take a whole CPU.
    assert cpu < 0.6 * wall, (cpu, wall)
    s.stop()


def test_a_forked_child_leaves_the_ct_start_trace_whole(served, tmp_path):
    # The child's exit() once stopped its copy of the tracer into the
    # parent's file (selftrace.c forgets it in the child now).
    own = tmp_path / "own.out"
    s = served("-", "--start", str(own), "--fork", "--run-for", "1")
    assert s.read_line("stdout") == "again: -2"  # CT_EINVAL: ct_serve(NULL)
    assert s.read_line("stdout") == "child: not serving"
    assert s.read_line("stdout") == "child exit: 0"
    s.stop(touch=False)  # its second of iterations
    proc = run("regions", "--json", own)
    assert proc.returncode == 0, proc  # whole: not damaged
    counts = {r["name"]: r["count"] for r in proc.json()["regions"]}
    assert counts.get("step", 0) >= 1 and counts["inner"] == 3 * counts["step"], counts


def test_descriptors_the_program_closed_and_reopened_are_left_alone(served, tmp_path):
    # A daemon closes every descriptor once the server started, then opens
    # its own on their numbers: its own listening socket (blocking) and a log
    # file (on the wake pipe's numbers too). The listener must take none of
    # its clients nor hang in accept(), and exit must close and write none
    # of them.
    log = tmp_path / "app.log"
    s = served("127.0.0.1:0", "--reuse-fds", str(log), "--run-for", "6")
    assert s.read_line("stdout") == "again: -1"
    port = int(s.read_line("stdout").split()[1])  # "own: PORT"
    for _ in range(6):
        with socket.create_connection(("127.0.0.1", port), timeout=HTTP_TIMEOUT_S) as c:
            c.sendall(b"hello\n")
            assert c.recv(100) == b"program answered\n"
        time.sleep(0.3)  # across the listener's once-a-second look
    out = s.stop(touch=False)
    m = re.search(r"at exit: (\d+) of (\d+) kept, log (\w+)", out)
    assert m and m.group(1) == m.group(2) and int(m.group(2)) >= 3, out
    assert m.group(3) == "written", out
    assert log.read_bytes() == b"exit\n"  # nothing of ours was written there


def vm_size_kib(pid):
    return int(re.search(r"VmSize:\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1))


def test_many_captures_keep_the_address_space_bounded(served, tmp_path):
    s = served("127.0.0.1:0")
    # Captures of 0.2 s: a pool is laid out again a whole capture after its
    # last use, and a thread still attaching to it (slow under TSan) is done.
    for _ in range(3):
        status, headers, body = s.get("?seconds=0.2")
        assert_trace_response(status, headers, body)
    before = vm_size_kib(s.proc.pid)
    for _ in range(20):
        status, headers, body = s.get("?seconds=0.2")
        assert_trace_response(status, headers, body)
    grown = vm_size_kib(s.proc.pid) - before
    # A pool is 64 MiB: one mapped per capture would be 1.25 GiB here. A
    # sanitizer's allocator keeps freed memory mapped a while (ASan's
    # quarantine is 256 MiB): a wider bound there, still far below 30 pools.
    bound_kib = (640 if sanitized() else 32) * 1024
    assert grown < bound_kib, f"VmSize grew {grown} KiB over 20 captures"
    status, headers, body = s.get("?seconds=1")  # still whole, in a reused pool
    assert_trace_response(status, headers, body)
    assert_counts_its_regions(regions(tmp_path, body))
    s.stop()


def test_a_host_that_is_not_this_machine_is_refused(served):
    s = served("127.0.0.1:0")
    host, port = s.host_port()
    for bad in (b"evil.example", b"evil.example:%d" % port, b"127.0.0.1.evil.example",
                b"localhost.evil.example"):
        reply = raw_exchange((host, port), b"GET " + PATH.encode() +
                             b"?seconds=0.1 HTTP/1.1\r\nHost: " + bad + b"\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 403 "), (bad, reply[:200])
        assert b"Host" in reply
    for good in (b"localhost:%d" % port, b"127.0.0.1:%d" % port, b"LOCALHOST"):
        reply = raw_exchange((host, port), b"GET " + PATH.encode() +
                             b"?seconds=0.1 HTTP/1.1\r\nHost: " + good + b"\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 200 "), (good, reply[:200])
    s.stop()


def test_a_child_forked_during_a_capture_holds_none_of_its_descriptors(served, tmp_path):
    s = served("127.0.0.1:0", "--fork-after", "2")
    status, headers, body = s.get("?seconds=5")  # the fork comes during it
    assert_trace_response(status, headers, body)
    assert_counts_its_regions(regions(tmp_path, body))
    out = s.stop()
    m = re.search(r"child fds: (.*)", out)
    assert m and m.group(1) == "none", out


def test_a_client_half_closing_gets_the_short_capture(served, tmp_path):
    # As with Go's handler: a client done sending ends the capture early and
    # still gets the trace of what ran.
    s = served("127.0.0.1:0")
    started = time.monotonic()
    with socket.create_connection(s.host_port(), timeout=HTTP_TIMEOUT_S) as c:
        c.sendall(f"GET {PATH}?seconds=60 HTTP/1.1\r\n\r\n".encode())
        time.sleep(1)
        c.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := c.recv(65536):
            reply += chunk
    assert time.monotonic() - started < 30  # not the 60 s it asked for
    head, _, trace = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), head[:200]
    assert len(trace) == int(re.search(rb"Content-Length: (\d+)", head).group(1))
    assert_counts_its_regions(regions(tmp_path, trace))
    s.stop()


@pytest.mark.skipif(thread_sanitized(),
                    reason="TSan: the child starts threads after a multi-threaded fork")
def test_a_serving_binary_under_the_runner_still_traces_its_forked_child(tmp_path):
    # CTRACE_HTTP in a test binary's environment: it serves (each capture
    # refused), and a child it forks is no server but a process of the
    # test's trace, as without it (test_children.py).
    suite = BUILD / "tests" / "suites" / "children_test"
    trace = tmp_path / "t.trace"
    env = {"CHILDREN_HELPER": str(BUILD / "tests" / "suites" / "children_helper"),
           "CTRACE_HTTP": "127.0.0.1:0"}
    run_ok(f"--trace={trace}", "-run", "t_forks_a_worker", suite, env=env)
    tasks = tasks_by_name(trace)
    test = only(tasks["t_forks_a_worker"], "t_forks_a_worker")
    proc = only(test["processes"], "process of t_forks_a_worker")
    assert proc["end"] == "exit" and proc["exit_code"] == 0, proc
    regions = {r["name"]: r for r in test["regions"]}
    assert regions["child.work"]["tid"] == proc["pid"], regions


def test_a_live_unix_socket_with_a_full_backlog_does_not_hang_ct_serve(served, tmp_path):
    # The probe whether a socket file is live must not wait in connect().
    path = tmp_path / "busy.sock"
    clients = []
    with socket.socket(socket.AF_UNIX) as busy:
        busy.bind(str(path))
        busy.listen(0)
        while True:  # fill its backlog: the next connect would wait
            c = socket.socket(socket.AF_UNIX)
            c.setblocking(False)
            try:
                c.connect(str(path))
            except BlockingIOError:
                c.close()
                break
            clients.append(c)
            assert len(clients) < 1000
        started = time.monotonic()
        s = served(f"unix:{path}")
        assert (s.rc, s.address) == (-10, "-")  # CT_ESYSTEM: live, not replaced
        assert time.monotonic() - started < 30
    for c in clients:
        c.close()


def test_a_capture_carries_cpu_samples(served, tmp_path):
    # the sampling of any session (issue 16: "live captures carry samples
    # too"); a high rate, and a loop that runs half the time: the kernel
    # looks at CPU timers on its tick, which the bare loop (a few us a
    # millisecond) could miss for the whole capture
    s = served("127.0.0.1:0", "--busy-us", "1000", env={"CTRACE_CPU_HZ": "10000"})
    status, headers, body = s.get("?seconds=2")
    assert_trace_response(status, headers, body)
    trace = tmp_path / "cpu.out"
    trace.write_bytes(body)
    lines = [l for l in run_ok("stats", trace).stdout.splitlines() if l.startswith("cpu samples:")]
    assert len(lines) == 1, lines
    assert int(lines[0].split()[2]) > 0, lines
    s.stop()

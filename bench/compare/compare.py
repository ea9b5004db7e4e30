"""bench/compare/compare.py - the measurements and the table of compare.sh
(which builds the peers, starts LTTng's session daemon and says what each
figure means). Arguments: BUILD WORK EVENTS GO_BIN LTTNG_BIN LTTNG_WRAPPER,
an empty GO_BIN or LTTNG_BIN for a peer skipped."""
import os
import re
import subprocess
import sys
import time

build, work, events, go_bin, lttng_bin, wrapper = sys.argv[1:7]
events = int(events)
runner = f"{build}/runner/ctest-trace"
ctrace_bin = f"{build}/bench/compare_ctrace"
storm_bin = f"{build}/bench/mutex_storm"
STORM_ITERS = 1000000
ROUNDS = 3
# Go's pair costs ~40x ctrace's: fewer of them keep its runs as long.
PAIRS = {"ctrace": 2000000, "lttng": 1000000, "go": 100000}
LOGS = {"ctrace": 1000000, "lttng": 1000000, "go": 100000}
peers = ["ctrace"] + (["go"] if go_bin else []) + (["lttng"] if lttng_bin else [])
MB = 1 << 20


def run(cmd, env=None, out=subprocess.PIPE):
    p = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, text=True,
                       env=dict(os.environ, **(env or {})))
    if p.returncode != 0:
        sys.exit(f"compare: {' '.join(cmd)}: exit {p.returncode}\n{p.stderr}")
    return p.stdout


class Lttng:
    """One LTTng-UST session around a run: a blocking channel (no event is
    discarded: the writer waits, as ctrace's and Go's do) into DIR."""
    def __init__(self, path, events_spec):
        self.path, self.spec = path, events_spec

    def __enter__(self):
        name = f"compare{os.getpid()}"
        self.name = name
        run(["lttng", "create", name, f"--output={self.path}"])
        run(["lttng", "enable-channel", "-u", "-s", name, "ch", "--subbuf-size=1M",
             "--num-subbuf=8", "--blocking-timeout=inf"])
        run(["lttng", "enable-event", "-u", "-s", name, "-c", "ch", self.spec])
        run(["lttng", "start", name])
        return self

    def __exit__(self, *exc):
        run(["lttng", "stop", self.name])
        run(["lttng", "destroy", self.name])


LTTNG_ENV = {"LTTNG_UST_ALLOW_BLOCKING": "1"}


def workload(peer, what, n, trace):
    if peer == "ctrace":
        return run([ctrace_bin, what, str(n), trace])
    if peer == "go":
        return run([go_bin, what, str(n), trace])
    with Lttng(trace, "compare:*"):
        return run([lttng_bin, what, str(n), trace], env=LTTNG_ENV)


def per_op(what, counts):
    """Best and median ns per operation for each peer, rounds interleaved."""
    best = {p: [] for p in peers}
    for r in range(ROUNDS):
        for p in peers:
            line = workload(p, what, counts[p], f"{work}/{what}-{p}-{r}.trace")
            kv = line.split()
            best[p].append((float(kv[kv.index("best_ns") + 1]),
                            float(kv[kv.index("median_ns") + 1])))
            subprocess.run(["rm", "-rf", f"{work}/{what}-{p}-{r}.trace"])
    return {p: min(v) for p, v in best.items()}


def timed(cmd, env=None):
    """Wall seconds and peak RSS bytes of a command, its output dropped."""
    p = subprocess.run(["/usr/bin/time", "-f", "%e %M", *cmd], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, env=dict(os.environ, **(env or {})))
    if p.returncode != 0:
        sys.exit(f"compare: {' '.join(cmd)}: exit {p.returncode}\n{p.stderr}")
    wall, kib = p.stderr.strip().splitlines()[-1].split()
    return float(wall), int(kib) * 1024


def size_of(path):
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(d, f))
                   for d, _, fs in os.walk(path) for f in fs)
    return os.path.getsize(path)


def storm():
    """Traced wall time / untraced, best of 5 interleaved, per peer."""
    env = {"STORM_ITERS": str(STORM_ITERS)}
    cmds = {"ctrace": ([storm_bin], [runner, f"--trace={work}/storm.trace", storm_bin]),
            "go": ([go_bin, "storm", str(STORM_ITERS), "-"],
                   [go_bin, "storm", str(STORM_ITERS), f"{work}/storm.trace"]),
            "lttng": ([storm_bin], [storm_bin])}
    best = {p: [float("inf"), float("inf")] for p in peers}
    for _ in range(5):
        for p in peers:
            for i, cmd in enumerate(cmds[p]):
                e = dict(env)
                session = None
                if p == "lttng" and i == 1:
                    e.update(LTTNG_ENV, LD_PRELOAD=wrapper)
                    session = Lttng(f"{work}/storm-lttng", "lttng_ust_pthread:*")
                    session.__enter__()
                t0 = time.perf_counter_ns()
                run(cmd, env=e, out=subprocess.DEVNULL)
                best[p][i] = min(best[p][i], time.perf_counter_ns() - t0)
                if session:
                    session.__exit__()
                subprocess.run(["rm", "-rf", f"{work}/storm-lttng", f"{work}/storm.trace"])
    return {p: (b[1] / b[0], b[0] / 1e6, b[1] / 1e6) for p, b in best.items()}


def big_trace(p):
    """Writes EVENTS events; returns the trace, bytes per event, events seen
    and lost, and each analysis' (name, wall s, peak RSS)."""
    trace = f"{work}/big-{p}.trace"
    workload(p, "write", events, trace)
    size = size_of(trace)
    subprocess.run(["sync"])
    if p == "ctrace":
        out = run([runner, "stats", trace])
        regions = int(re.search(r"^\s+region\s+(\d+)", out, re.M).group(1))
        seen = 2 * regions
        lost = int(re.search(r"^lost:\s+(\d+)", out, re.M).group(1))
        # profile --type=sync first: the like of go tool trace -pprof=sync.
        views = [("ctest-trace profile --type=sync",
                  [runner, "profile", "--type=sync", "-o", f"{work}/sync.pb.gz", trace]),
                 ("ctest-trace stats", [runner, "stats", trace])]
    elif p == "go":
        seen, lost = None, None  # Go's tools do not count events
        views = [("go tool trace -pprof=sync", ["go", "tool", "trace", "-pprof=sync", trace])]
    else:
        count = ["babeltrace2", trace, "-c", "sink.utils.counter", "-p", "step=+0"]  # no running counts
        out = run(count)
        seen = int(re.findall(r"(\d+) Event messages", out)[-1])
        lost = int(re.findall(r"(\d+) Discarded event messages", out)[-1])
        views = [("babeltrace2 (counter sink)", count)]
    figures = [(name, *timed(cmd)) for name, cmd in views]
    subprocess.run(["rm", "-rf", trace, f"{work}/sync.pb.gz"])
    return size / events, seen, lost, figures


def fmt_ratio(v, base):
    return f"{v / base:8.1f}x" if base else f"{'-':>9}"


def main():
    skipped = [p for p in ("go", "lttng") if p not in peers]
    print(f"ctrace vs Go {run(['go', 'version']).split()[2] if go_bin else '(skipped)'}"
          f" runtime/trace vs LTTng-UST{'' if lttng_bin else ' (skipped)'}, one run;"
          f" load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if skipped:
        print(f"skipped (not installed or not runnable here): {', '.join(skipped)}")
    pair = per_op("pair", PAIRS)
    log = per_op("log", LOGS)
    st = storm()
    big = {p: big_trace(p) for p in peers}

    cols = peers
    head = f"{'figure':<40}" + "".join(f"{p:>14}" for p in cols) + \
        "".join(f"{p + '/ctrace':>14}" for p in cols[1:])
    print("\n" + head)
    rows = [("region pair, ns (best)", {p: pair[p][0] for p in cols}, "%.1f"),
            ("region pair, ns (median)", {p: pair[p][1] for p in cols}, "%.1f"),
            ("short log, ns (best)", {p: log[p][0] for p in cols}, "%.1f"),
            ("bytes per event", {p: big[p][0] for p in cols}, "%.2f"),
            ("mutex storm, traced/untraced", {p: st[p][0] for p in cols}, "%.3f")]
    for name, v, f in rows:
        print(f"{name:<40}" + "".join(f"{f % v[p]:>14}" for p in cols) +
              "".join(f"{fmt_ratio(v[p], v['ctrace']):>14}" for p in cols[1:]))
    wall = {p: big[p][3][0][1] for p in cols}
    rss = {p: big[p][3][0][2] / MB for p in cols}
    print(f"{f'analysis of {events / 1e6:g} M events, s (*)':<40}" +
          "".join(f"{wall[p]:>14.2f}" for p in cols) +
          "".join(f"{fmt_ratio(wall[p], wall['ctrace']):>14}" for p in cols[1:]))
    print(f"{'analysis peak RSS, MiB':<40}" + "".join(f"{rss[p]:>14.1f}" for p in cols) +
          "".join(f"{fmt_ratio(rss[p], rss['ctrace']):>14}" for p in cols[1:]))
    print("(ratios: the peer's figure over ctrace's; above 1 ctrace costs less)")
    print("(*) each tracer's first tool below: profile --type=sync, -pprof=sync, babeltrace2")

    print("\nmutex storm (8 threads x %d locks), best of 5 wall times:" % STORM_ITERS)
    for p in cols:
        print(f"  {p:<7} untraced {st[p][1]:8.1f} ms   traced {st[p][2]:8.1f} ms   "
              f"{st[p][0]:.3f}x")
    print(f"\nanalysis of each tracer's own trace of {events} events "
          f"({events // 2} region pairs):")
    for p in cols:
        _, seen, lost, figures = big[p]
        counted = "not counted" if seen is None else f"{seen} events seen, {lost} lost"
        print(f"  {p:<7} {big[p][0] * events / MB:8.1f} MiB, {counted}")
        for name, w, r in figures:
            rate = f"{events / w / 1e6:6.2f}" if w else "  >100"  # time says 0.00 s
            print(f"          {name:<34} {w:7.2f} s  {rate} M events/s"
                  f"  peak RSS {r / MB:8.1f} MiB")


main()

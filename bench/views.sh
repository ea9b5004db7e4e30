#!/usr/bin/env bash
# bench/views.sh - the trace views on a large trace (issue 11: every view
# streams): for stats, regions, threads, tasks --json, tasks, and profile
# --type=sync, the wall time, events per second and peak RSS of each, beside
# the goals: aggregate views (stats, regions, threads, profile) at least 40 M
# events/s (issue 15; 30 M before) and at most 10 s, and every view at most
# 100 MB of RSS. Then the ceiling: the trace inflated alone, nothing parsed
# (bench/inflate_floor), which no view beats on this machine. Then tasks
# --json on a trace ten times smaller, to show that its memory does not grow
# with the number of events.
#
# With BASELINE_BUILD_DIR (a build of the code before a change), the
# aggregate views are then run by both builds, interleaved, best of 3, with
# CTRACE_READ_AHEAD=off (one thread) and on (zstd on a thread of its own):
# events/s before and after, their ratio, and whether the two outputs are
# the same bytes (a speed change must not change them).
#
# The traces come from bench/gen_trace (tests, a user task per request,
# nested regions, logs, waits with stacks: see its header), EVENTS events
# (default 100 M, about 520 MB) and EVENTS/10, in a temporary directory
# under $TMPDIR that is removed at the end; the views' own temporary files go
# there too. Wall time and peak RSS come from /usr/bin/time (Debian's `time`,
# which ci/deps.sh installs): its child starts small, unlike one forked from
# python, whose size would count in the child's peak. Figures, not a
# pass/fail test.
#
#   bash bench/views.sh [BUILD_DIR] [EVENTS] [BASELINE_BUILD_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
events=${2:-100000000}
baseline=${3:+$3/runner/ctest-trace}
runner=$build/runner/ctest-trace
gen=$build/bench/gen_trace
for exe in "$runner" "$gen" "$build/bench/inflate_floor" /usr/bin/time ${baseline:+"$baseline"}; do
    [ -x "$exe" ] || { echo "views.sh: $exe is not built" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ctrace-views-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$gen" -n "$events" -o "$work/big.trace"
"$gen" -n $((events / 10)) -o "$work/small.trace"
# The traces just written are still being flushed to disk: let that end, and
# read them once, so that the first view timed is not the one that pays it.
sync
cat "$work/big.trace" "$work/small.trace" > /dev/null

/usr/bin/python3 - "$runner" "$work" "$baseline" "$build/bench/inflate_floor" <<'PY'
import filecmp, os, re, subprocess, sys, time

runner, work, baseline, inflate_floor = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
env = dict(os.environ, TMPDIR=work)
MB = 1 << 20

def temp_bytes(pid):
    """Bytes on disk of the temporary files process `pid` holds open (unlinked)."""
    total = 0
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith(work + "/") and target.endswith("(deleted)"):
                    total += os.stat(f"/proc/{pid}/fd/{fd}").st_blocks * 512
            except OSError:
                pass
    except OSError:
        pass
    return total

def measure(args, exe=runner, read_ahead=None):
    """Wall seconds, peak RSS and peak bytes of temporary files of `ctest-trace
    ARGS` (run by exe), output dropped."""
    run_env = env if read_ahead is None else dict(env, CTRACE_READ_AHEAD=read_ahead)
    p = subprocess.Popen(["/usr/bin/time", "-f", "%e %M", exe, *args],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env=run_env)
    child, peak_temp = None, 0
    while p.poll() is None:  # the view is time's child: watch its open files
        if child is None:
            try:
                with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
                    child = int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
        if child is not None:
            peak_temp = max(peak_temp, temp_bytes(child))
        time.sleep(0.05)
    err = p.stderr.read()
    lines = err.strip().splitlines()
    if p.returncode != 0 or not lines:
        sys.exit(f"views.sh: ctest-trace {' '.join(args)}: exit {p.returncode}\n{err}")
    wall, kib = lines[-1].split()
    return float(wall), int(kib) * 1024, peak_temp

def events_of(trace):
    out = subprocess.run([runner, "stats", trace], capture_output=True, text=True,
                         check=True).stdout
    return int(re.search(r"^events:\s+(\d+)", out, re.M).group(1))

big, small = f"{work}/big.trace", f"{work}/small.trace"
n_big, n_small = events_of(big), events_of(small)
size = os.path.getsize(big)
print(f"views on a generated trace of {n_big / 1e6:.1f} M events ({size / MB:.0f} MiB), "
      f"TMPDIR={work}")
print(f"{'view':<32} {'wall':>8} {'M events/s':>11} {'peak RSS':>10} {'temp files':>11}   goals")

views = [
    (["stats"], True),
    (["regions"], True),
    (["threads"], True),
    (["profile", "--type=sync", "-o", f"{work}/sync.pb.gz"], True),
    (["tasks", "--json"], False),
    (["tasks"], False),
]
rss = {}
for args, aggregate in views:
    wall, peak, temp = measure([*args, big])
    rate = n_big / wall / 1e6
    goals = []
    if aggregate:
        goals.append(f">= 40 M/s {'meets' if rate >= 40 else 'misses'}")
        goals.append(f"<= 10 s {'meets' if wall <= 10 else 'misses'}")
    goals.append(f"<= 100 MB {'meets' if peak <= 100e6 else 'misses'}")
    name = " ".join(a for a in args if not a.startswith(work) and a != "-o")
    rss[name] = peak
    print(f"{name:<32} {wall:7.2f}s {rate:11.1f} {peak / MB:8.1f} MB {temp / MB:8.0f} MB"
          f"   {', '.join(goals)}")

# The ceiling: inflating the trace alone (no view parses faster on one core,
# nor with read-ahead, whose thread does this while the view parses).
floor = subprocess.run([inflate_floor, big], capture_output=True, text=True, check=True)
floor_s, raw = floor.stdout.split()
floor_rate = n_big / float(floor_s) / 1e6
print(f"{'(zstd alone: inflating, no view)':<32} {float(floor_s):7.2f}s {floor_rate:11.1f}"
      f"   {int(raw) / n_big:.1f} raw bytes an event: the views' ceiling on this machine")

wall, peak, _ = measure(["tasks", "--json", small])
big_peak = rss["tasks --json"]
print(f"tasks --json at {n_small / 1e6:.1f} M events: {wall:.2f} s, {peak / MB:.1f} MB; "
      f"at {n_big / 1e6:.1f} M: {big_peak / MB:.1f} MB "
      f"({big_peak / peak:.2f}x the memory for {n_big / n_small:.0f}x the events)")

if baseline:
    def same_output(args):
        outs = []
        for k, exe in enumerate((baseline, runner)):
            path = f"{work}/out{k}"
            with open(path, "wb") as f:
                subprocess.run([exe, *args, big], stdout=f, stderr=subprocess.STDOUT, env=env)
            outs.append(path)
        same = filecmp.cmp(*outs, shallow=False)
        for path in outs:
            os.unlink(path)
        return same

    print(f"\nbefore ({baseline}) and after ({runner}): best of 3 interleaved")
    print(f"{'view':<22} {'read-ahead':>10} {'before M/s':>11} {'after M/s':>10} {'ratio':>6}"
          f" {'peak RSS after':>15}   output")
    for args in (["stats"], ["regions"], ["threads"], ["profile", "--type=sync"]):
        shown = " ".join(args)
        out = ["-o", f"{work}/p.pb.gz"] if args[0] == "profile" else []
        stdout_args = [*args, "-o", "/dev/stdout"] if args[0] == "profile" else args
        same = "same bytes" if same_output(stdout_args) else "DIFFERS"
        for read_ahead in ("off", "on"):
            best = {baseline: float("inf"), runner: float("inf")}
            peak = 0
            for _ in range(3):
                for exe in (baseline, runner):
                    wall, rss_bytes, _ = measure([*args, *out, big], exe, read_ahead)
                    best[exe] = min(best[exe], wall)
                    if exe == runner:
                        peak = max(peak, rss_bytes)
            before, after = n_big / best[baseline] / 1e6, n_big / best[runner] / 1e6
            print(f"{shown:<22} {read_ahead:>10} {before:11.1f} {after:10.1f} {after / before:6.2f}"
                  f" {peak / MB:12.1f} MB   {same}")
PY

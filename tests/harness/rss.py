"""The peak memory of a process that runs, for tests and benchmarks."""

import re
import time


def peak_rss_kib(proc):
    """The peak RSS of the subprocess.Popen `proc` itself, sampled until it
    exits: its VmHWM, which counts neither its children nor what the process
    that forked it had (as a waited-for process's ru_maxrss does)."""
    peak = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                m = re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M)
            peak = max(peak, int(m.group(1))) if m else peak
        except OSError:
            pass
        time.sleep(0.002)
    return peak

"""`threads` takes regions, logs and tasks by their times per thread
(the reader keeps them: analysis/reader_skim.h), not one by one: the same table as taking each,
when those times change a thread's life, and when they cannot stand in (a
tid used again, events after a thread's end) the trace read again; from a
pipe, which cannot be read again, every event taken at once."""
import json
import subprocess

from conftest import CTEST_TRACE, assemble, run_ok
from test_export_perfetto import needs_libctrace

HEAD = """ctrace 1.0
trace_begin major=1 minor=0 writer="test" mono_ns=0 realtime_ns=0
process_begin proc=0 pid=7 exe="/t" clock=0 hz=1000000000 tsc0=0 ns0=0
"""
TAIL = "process_end proc=0 how=0 code=0 dropped=0\ntrace_end batches=0 event_bytes=0\n"

# Thread 9 begins task 1 at 105; thread 8, begun at 5, is to end it earlier.
ENDED_EARLY = """batch proc=0 thread=2 seq=0 offset=0 tsc=0 ns=0
  thread_begin +5 tid=9 ptid=0 task=0 fn=0 rserial=0
  string id=1 bytes="job"
  task_begin +100 task=1 parent=0 name=1 kind=0
batch proc=0 thread=1 seq=0 offset=0 tsc=0 ns=0
  thread_begin +5 tid=8 ptid=0 task=0 fn=0 rserial=0
"""

# Tid 8: a thread to 25, then another from 30 with a region to 45.
TID_USED_AGAIN = """batch proc=0 thread=1 seq=0 offset=0 tsc=0 ns=0
  thread_begin +5 tid=8 ptid=0 task=0 fn=0 rserial=0
  string id=1 bytes="r"
  region_begin +5 task=0 name=1
  region_end +10 back=0
  thread_end +5
batch proc=0 thread=2 seq=0 offset=0 tsc=0 ns=0
  thread_begin +30 tid=8 ptid=0 task=0 fn=0 rserial=0
  string id=1 bytes="r"
  region_begin +5 task=0 name=1
  region_end +10 back=0
"""


def rows(tmp_path, body):
    """{tid: (start_ns, end_ns)} of `threads --json` on the trace of `body`."""
    text, trace = tmp_path / "t.txt", tmp_path / "t.trace"
    text.write_text(HEAD + body + TAIL)
    assemble(text, trace)
    table = json.loads(run_ok("threads", "--json", trace).stdout)
    return {r["tid"]: (r["start_ns"], r["end_ns"]) for r in table["threads"]}


@needs_libctrace
def test_a_task_ended_before_its_begin_time_extends_the_thread(tmp_path):
    """Thread 8 ends task 1 at 60, before thread 9 began it (105): the end
    is taken at 105, after thread 8's own end (70), and its life runs to it."""
    assert rows(tmp_path, ENDED_EARLY + """  task_end +55 task=1
  thread_end +10
""")[8] == (5, 105)


@needs_libctrace
def test_a_tid_used_again_ends_with_its_first_thread(tmp_path):
    """Tid 8's row ends at its first thread's end (25): the regions of the
    second thread of that tid (to 45) come after, as they did one by one."""
    assert rows(tmp_path, TID_USED_AGAIN)[8] == (5, 25)


@needs_libctrace
def test_regions_after_a_threads_end_do_not_extend_it(tmp_path):
    """A region read after thread 8's end (75-175) leaves it ended at the
    end of the task it ended (105, as in the first test)."""
    assert rows(tmp_path, ENDED_EARLY + """  string id=1 bytes="r"
  task_end +55 task=1
  thread_end +10
  region_begin +5 task=0 name=1
  region_end +100 back=0
""")[8] == (5, 105)


@needs_libctrace
def test_a_tid_used_again_read_from_a_pipe(tmp_path):
    """A pipe cannot be read twice: from one, the table takes every event at
    once, and is the same as from the file."""
    text, trace = tmp_path / "t.txt", tmp_path / "t.trace"
    text.write_text(HEAD + TID_USED_AGAIN + TAIL)
    assemble(text, trace)
    from_file = run_ok("threads", "--json", trace).stdout
    piped = subprocess.run([str(CTEST_TRACE), "threads", "--json", "/dev/stdin"],
                           input=trace.read_bytes(), capture_output=True, check=False)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.decode() == from_file
    assert json.loads(from_file)["threads"][0]["end_ns"] == 25

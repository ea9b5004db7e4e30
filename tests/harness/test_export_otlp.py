"""`export --format=otlp`, TRACEPARENT and `--otlp-endpoint` (issue 14,
point 3). The export is parsed as an ExportTraceServiceRequest with
OpenTelemetry's own protos (tests/harness/protos, compiled here with protoc)
by python3-protobuf's strict JSON parser, after the OTLP/JSON rule its parser
does not know (ids in hex, not base64) is checked and undone. Posts go to a
small HTTP receiver on 127.0.0.1 in a thread."""

import base64
import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import BUILD, CTEST_TRACE, PIPELINE, run, run_ok
from rss import peak_rss_kib
from test_export_perfetto import assemble, needs_libctrace

PROTOS = Path(__file__).with_name("protos")
FAILING = BUILD / "examples" / "failing_test"
CRASH = BUILD / "examples" / "crash_test"
ORDER = BUILD / "tests" / "suites" / "order_test"  # a test named Test\x1b[31mEscape
BIG_LOGS = BUILD / "tests" / "suites" / "big_logs_test"  # logs JSON escapes sixfold
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
HEX = {"traceId": 32, "spanId": 16, "parentSpanId": 16}


@pytest.fixture(scope="module")
def request_type(tmp_path_factory):
    """ExportTraceServiceRequest, compiled from the protos kept in the repository."""
    protoc = shutil.which("protoc")
    if protoc is None:
        pytest.fail("protoc is missing: ci/deps.sh installs protobuf-compiler")
    try:
        from google.protobuf import json_format  # noqa: F401 (python3-protobuf)
    except ImportError:
        pytest.fail("python3-protobuf is missing: ci/deps.sh installs it")
    out = tmp_path_factory.mktemp("otlp_pb2")
    protos = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    subprocess.run([protoc, f"-I{PROTOS}", f"--python_out={out}", *protos], check=True,
                   timeout=60)
    sys.path.insert(0, str(out))
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    return trace_service_pb2.ExportTraceServiceRequest


def parse(doc, request_type):
    """The request, parsed strictly (unknown fields fail). OTLP/JSON writes ids
    as lowercase hex where proto3's JSON has base64: checked, then undone."""
    from google.protobuf import json_format

    def ids_to_base64(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in HEX and isinstance(value, str):
                    assert re.fullmatch(f"[0-9a-f]{{{HEX[key]}}}", value), (key, value)
                    assert value.strip("0"), (key, value)  # never all zeros
                    node[key] = base64.b64encode(bytes.fromhex(value)).decode()
                else:
                    ids_to_base64(value)
        elif isinstance(node, list):
            for item in node:
                ids_to_base64(item)

    copy = json.loads(json.dumps(doc))
    ids_to_base64(copy)
    return json_format.Parse(json.dumps(copy), request_type())


def export(trace, tmp_path, request_type):
    out = tmp_path / "otlp.json"
    run_ok("export", "--format=otlp", "-o", out, trace)
    doc = json.loads(out.read_text())
    parse(doc, request_type)
    return doc


def spans_of(doc):
    """Every span, with the resource attributes and scope it came under."""
    spans = []
    for rs in doc["resourceSpans"]:
        resource = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                spans.append(dict(span, _resource=resource, _scope=ss["scope"]))
    return spans


def attrs(item):
    return {a["key"]: next(iter(a["value"].values())) for a in item.get("attributes", [])}


def one(spans, name):
    found = [s for s in spans if s["name"] == name]
    assert len(found) == 1, (name, [s["name"] for s in spans])
    return found[0]


def assert_parent(child, parent):
    assert child.get("parentSpanId") == parent["spanId"], (child["name"], parent["name"])
    assert child["traceId"] == parent["traceId"]
    begin, end = int(child["startTimeUnixNano"]), int(child["endTimeUnixNano"])
    assert int(parent["startTimeUnixNano"]) <= begin <= end <= int(parent["endTimeUnixNano"])


def assert_tree(spans, remote_parent=None):
    """Ids unique, one trace id, every parent in the request (or the remote one)."""
    ids = [s["spanId"] for s in spans]
    assert len(ids) == len(set(ids))
    assert len({s["traceId"] for s in spans}) == 1
    parents = set(ids) | {None, remote_parent}
    for s in spans:
        assert s["kind"] == 1  # SPAN_KIND_INTERNAL
        assert s.get("parentSpanId") in parents, s


def test_pipeline_nests_test_request_fetch_render(pipeline_trace, tmp_path, request_type):
    trace, _ = pipeline_trace
    doc = export(trace, tmp_path, request_type)
    spans = spans_of(doc)
    assert_tree(spans)
    test = one(spans, "TestPipeline")
    request = one(spans, "request")
    assert "parentSpanId" not in test  # a root: no TRACEPARENT in this run
    assert_parent(request, test)
    assert_parent(one(spans, "fetch"), request)
    assert_parent(one(spans, "render"), request)
    assert test["status"] == {"code": 1}  # OK: the runner judged it
    assert attrs(test)["test.case.result.status"] == "pass"
    assert "status" not in request  # UNSET: nothing judged a user task
    # the resource names the binary; the scope is ours
    assert test["_resource"]["service.name"] == {"stringValue": "pipeline_test"}
    assert int(test["_resource"]["process.pid"]["intValue"]) > 0
    assert test["_resource"]["process.executable.path"]["stringValue"].endswith("pipeline_test")
    assert test["_scope"]["name"] == "ctest-trace" and test["_scope"]["version"]
    # the log is an event of its task's span
    (event,) = request["events"]
    assert event["name"] == "request" and attrs(event)["message"] == "id=req-42"
    assert int(request["startTimeUnixNano"]) <= int(event["timeUnixNano"])


def test_failing_tests_are_errors_with_their_message(tmp_path, request_type):
    trace = tmp_path / "t.out"
    assert run(f"--trace={trace}", FAILING).returncode == 1
    spans = spans_of(export(trace, tmp_path, request_type))
    checksum = one(spans, "TestChecksum")
    assert checksum["status"]["code"] == 2  # ERROR
    assert "0x45f != 0x3e8" in checksum["status"]["message"], checksum  # 1119 != 1000
    assert attrs(checksum)["test.case.result.status"] == "fail"
    network = one(spans, "TestNetwork")
    assert "status" not in network and attrs(network)["ctest_trace.status"] == "skip"
    assert one(spans, "TestParse")["status"] == {"code": 1}


def test_a_crash_is_an_error(tmp_path, request_type):
    trace = tmp_path / "t.out"
    run(f"--trace={trace}", CRASH)
    spans = spans_of(export(trace, tmp_path, request_type))
    crashed = [s for s in spans if attrs(s).get("ctest_trace.status") == "crash"]
    assert crashed and all(s["status"]["code"] == 2 and "signal" in s["status"]["message"]
                           for s in crashed), crashed


def test_names_survive_escaped(tmp_path, request_type):
    trace = tmp_path / "t.out"
    run(f"--trace={trace}", ORDER)
    names = {s["name"] for s in spans_of(export(trace, tmp_path, request_type))}
    assert "Test\x1b[31mEscape" in names, names


def test_traceparent_hangs_the_tests_under_it(tmp_path, request_type):
    trace = tmp_path / "t.out"
    run_ok(f"--trace={trace}", "-run", "TestPipeline", PIPELINE,
           env={"TRACEPARENT": TRACEPARENT, "TRACESTATE": "ci=build-7"})
    spans = spans_of(export(trace, tmp_path, request_type))
    assert_tree(spans, remote_parent="b7ad6b7169203331")
    test = one(spans, "TestPipeline")
    assert test["traceId"] == "0af7651916cd43dd8448eb211c80319c"
    assert test["parentSpanId"] == "b7ad6b7169203331"
    assert test["flags"] == 0x301  # sampled, and its parent is remote
    assert_parent(one(spans, "request"), test)
    assert one(spans, "request")["flags"] == 0x101
    assert {s["traceState"] for s in spans} == {"ci=build-7"}

    # merged with a trace of another run, it is kept (that one's spans go under it too)
    other = tmp_path / "other.out"
    run_ok(f"--trace={other}", "-run", "TestCache", PIPELINE)
    merged = tmp_path / "merged.out"
    run_ok("merge", "-o", merged, other, trace)
    spans = spans_of(export(merged, tmp_path, request_type))
    assert {s["traceId"] for s in spans} == {"0af7651916cd43dd8448eb211c80319c"}
    assert one(spans, "TestCache")["parentSpanId"] == "b7ad6b7169203331"
    # ids do not change in a merge: they are made from what they name
    assert one(spans, "TestPipeline")["spanId"] == test["spanId"]


def test_traceparent_in_flight_recorder_attachments_and_p_runs(tmp_path, request_type):
    env = {"TRACEPARENT": TRACEPARENT}
    attach = tmp_path / "att"
    run("--flight-recorder=1MiB", f"--attach-dir={attach}", FAILING, env=env)
    (attachment,) = [a for a in attach.iterdir() if "TestChecksum" in a.name]
    test = one(spans_of(export(attachment, tmp_path, request_type)), "TestChecksum")
    assert test["parentSpanId"] == "b7ad6b7169203331"
    trace = tmp_path / "p.out"
    run("-p", "2", f"--trace={trace}", PIPELINE, FAILING, env=env)
    spans = spans_of(export(trace, tmp_path, request_type))
    assert one(spans, "TestPipeline")["parentSpanId"] == "b7ad6b7169203331"
    assert one(spans, "TestChecksum")["parentSpanId"] == "b7ad6b7169203331"
    # an invalid one is said once, by the run, not by each of its runners
    r = run("-p", "2", PIPELINE, FAILING, env={"TRACEPARENT": "00-bad"})
    assert r.stderr.count("warning: TRACEPARENT=") == 1, r


@pytest.mark.parametrize("value", [
    "00-00000000000000000000000000000000-b7ad6b7169203331-01",  # trace id all zeros
    "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  # parent id all zeros
    "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # version ff
    "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",  # upper case
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",  # 00 has no more
    "nonsense\x1b[31m",
])
def test_an_invalid_traceparent_is_said_and_ignored(tmp_path, request_type, value):
    trace = tmp_path / "t.out"
    r = run_ok(f"--trace={trace}", "-run", "TestCache", PIPELINE, env={"TRACEPARENT": value})
    assert "warning: TRACEPARENT=" in r.stderr and "is not valid" in r.stderr, r
    assert "\x1b" not in r.stderr
    spans = spans_of(export(trace, tmp_path, request_type))
    assert all("parentSpanId" not in s for s in spans if s["name"] == "TestCache")


def held_statuses_trace(tmp_path, tests, message):
    """`tests` tests open at once, then each given a failing status with
    `message`, then all ended: every message is held until its test ends."""
    lines = ["ctrace 1.2",
             'trace_begin major=1 minor=2 writer="held" mono_ns=1000 realtime_ns=0',
             "schema",
             'process_begin proc=0 pid=7 exe="/held" clock=0 hz=1000000000 tsc0=1000 ns0=1000',
             "batch proc=0 thread=1 seq=0 offset=0 tsc=1000 ns=1000",
             "  thread_begin +0 tid=7 ptid=0 task=0 fn=0 rserial=0",
             '  string id=1 bytes="TestHeld"']
    lines += [f"  task_begin +1 task={i} parent=0 name=1 kind=1" for i in range(1, tests + 1)]
    for seq, first in enumerate(range(1, tests + 1, 100), start=1):  # records stay small
        lines.append(f"batch proc=0 thread=1 seq={seq} offset=0 tsc={seq << 20} ns={seq << 20}")
        lines += [f'  task_status +1 task={i} status=2 message="{message}"'
                  for i in range(first, min(first + 100, tests + 1))]
    lines += [f"  task_end +1 task={i}" for i in range(1, tests + 1)]
    lines += ["process_end proc=0 how=0 code=0 dropped=0", "trace_end batches=1 event_bytes=0"]
    text, trace = tmp_path / f"held{len(message)}.txt", tmp_path / f"held{len(message)}.trace"
    text.write_text("\n".join(lines) + "\n")
    assemble(text, trace)
    return trace


@needs_libctrace
def test_status_messages_held_stay_within_the_budget(tmp_path):
    """8000 tests open at once with 8 KiB failure messages (62 MiB): what
    is held stays within CTV_OTLP_HELD_BYTES (16 MiB, logs and messages);
    past it a test keeps its status, its message is cut, and it says so."""
    peaks, docs = [], []
    for message in ("", "m" * 8192):
        trace, out = held_statuses_trace(tmp_path, 8000, message), tmp_path / "otlp.json"
        proc = subprocess.Popen([CTEST_TRACE, "export", "--format=otlp", "-o", out, trace])
        peaks.append(peak_rss_kib(proc))
        assert proc.wait() == 0
        docs.append(json.loads(out.read_text()))
    assert peaks[1] - peaks[0] < 24 << 10, peaks  # KiB: 16 MiB held, and some slack
    spans = spans_of(docs[1])
    assert len(spans) == 8000 and all(s["status"]["code"] == 2 for s in spans)
    whole = [s for s in spans if s["status"].get("message") == "m" * 8192]
    cut = [s for s in spans if attrs(s).get("ctest_trace.status_message_truncated")]
    assert len(whole) == (16 << 20) // 8192 and len(cut) == 8000 - len(whole), len(whole)
    assert all(len(s["status"].get("message", "")) < 8192 for s in cut)


class Receiver:
    """An OTLP/HTTP collector stand-in: keeps each POST, answers `status`
    with `answer(body)` (by default {} for 200, else a refusal in words)."""

    def __init__(self, status=200, answer=None):
        received = self.received = []
        answer = answer or (lambda body: b"{}" if status == 200 else b"collector says no")

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, self.headers, body))  # (repeats kept)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer(body))

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def posted_spans(receiver, request_type):
    spans = []
    for path, headers, body in receiver.received:
        assert path == "/v1/traces"
        assert headers["Content-Type"] == "application/json"
        doc = json.loads(body)
        parse(doc, request_type)
        spans += spans_of(doc)
    return spans


def test_endpoint_gets_the_runs_spans(tmp_path, request_type):
    trace = tmp_path / "t.out"
    with Receiver() as receiver:
        run_ok(f"--otlp-endpoint={receiver.url}", f"--trace={trace}", PIPELINE,
               env={"TRACEPARENT": TRACEPARENT,
                    "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=s3cr%20t, other = 2"})
    assert len(receiver.received) == 1
    _, headers, _ = receiver.received[0]
    assert headers["x-api-key"] == "s3cr t" and headers["other"] == "2"
    spans = posted_spans(receiver, request_type)
    exported = spans_of(export(trace, tmp_path, request_type))
    assert sorted(s["spanId"] for s in spans) == sorted(s["spanId"] for s in exported)
    assert one(spans, "TestPipeline")["parentSpanId"] == "b7ad6b7169203331"


def test_traces_headers_override_the_general_ones():
    """OTel spec: OTEL_EXPORTER_OTLP_TRACES_HEADERS wins over
    OTEL_EXPORTER_OTLP_HEADERS for a key both have (as HTTP compares keys);
    the others of both go."""
    with Receiver() as receiver:
        run_ok(f"--otlp-endpoint={receiver.url}", "-run", "TestCache", PIPELINE,
               env={"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=general, x-team=a,x-both=1",
                    "OTEL_EXPORTER_OTLP_TRACES_HEADERS": " authorization =traces,x-traces=2"})
    (_, headers, _), = receiver.received
    assert headers.get_all("Authorization") == ["traces"], headers.items()
    assert headers["x-team"] == "a" and headers["x-both"] == "1" and headers["x-traces"] == "2"


def test_endpoint_without_trace_and_with_a_path(tmp_path, request_type):
    with Receiver() as receiver:
        run_ok(f"--otlp-endpoint={receiver.url}/v1/traces", "-run", "TestPipeline", PIPELINE)
    names = {s["name"] for s in posted_spans(receiver, request_type)}
    assert {"TestPipeline", "request", "fetch", "render"} <= names
    assert not list(tmp_path.iterdir())  # (nothing left behind here)


def test_a_big_run_is_posted_in_requests_under_4_mib(tmp_path, request_type):
    trace = tmp_path / "t.out"
    with Receiver() as receiver:
        run_ok(f"--otlp-endpoint={receiver.url}", f"--trace={trace}", "-run", "TestCache",
               "-count", "6000", PIPELINE)
    sizes = [len(body) for _, _, body in receiver.received]
    assert len(sizes) >= 2 and max(sizes) < 4 << 20, sizes  # collectors' default limit
    smallest = min(receiver.received, key=lambda r: len(r[2]))
    parse(json.loads(smallest[2]), request_type)  # (the strict parse is slow: one is enough)
    spans = [s for _, _, body in receiver.received for s in spans_of(json.loads(body))]
    assert_tree(spans)
    out = tmp_path / "otlp.json"
    run_ok("export", "--format=otlp", "-o", out, trace)
    assert len(spans) == len(spans_of(json.loads(out.read_text()))) >= 12000


def test_no_request_passes_its_limit_whatever_the_logs(tmp_path, request_type):
    """Tests of 128 logs of 4096 control bytes (3 MiB of events each once
    escaped): a span's events are bounded (256 KiB of JSON; the rest counted
    dropped), and a request closes before a span that would pass 3 MiB."""
    with Receiver() as receiver:
        run_ok(f"--otlp-endpoint={receiver.url}", "-count", "16", BIG_LOGS)
    sizes = [len(body) for _, _, body in receiver.received]
    assert len(sizes) >= 2 and max(sizes) <= 3 << 20, sizes  # RN_OTLP_BATCH_BYTES
    spans = posted_spans(receiver, request_type)
    tests = [s for s in spans if s["name"] == "TestBigLogs"]
    assert len(tests) == 16
    for test in tests:
        events = test["events"]
        assert 0 < len(json.dumps(events)) <= 256 << 10
        assert len(events) + test["droppedEventsCount"] == 128, test["droppedEventsCount"]
        assert attrs(events[0])["message"] == "\x01" * 4096


def test_p_runners_post_once_for_the_run(tmp_path, request_type):
    with Receiver() as receiver:
        r = run("-p", "2", f"--otlp-endpoint={receiver.url}", PIPELINE, FAILING)
    assert r.returncode == 1, r
    spans = posted_spans(receiver, request_type)
    assert_tree(spans)  # one trace id for the run
    names = [s["name"] for s in spans]
    assert names.count("TestPipeline") == 1 and names.count("TestChecksum") == 1, names


def test_a_refused_connection_is_said_and_fails_a_passing_run():
    r = run("--otlp-endpoint=http://127.0.0.1:9", "-run", "TestCache", PIPELINE)
    assert r.returncode == 2, r
    assert "--otlp-endpoint http://127.0.0.1:9/v1/traces: cannot post" in r.stderr, r
    assert "0 spans were posted" in r.stderr


def test_an_http_error_is_said_and_a_failure_stays_1():
    with Receiver(status=500) as receiver:
        passed = run(f"--otlp-endpoint={receiver.url}", "-run", "TestCache", PIPELINE)
        failed = run(f"--otlp-endpoint={receiver.url}", FAILING)
    assert passed.returncode == 2 and "HTTP 500: collector says no" in passed.stderr, passed
    assert failed.returncode == 1 and "HTTP 500" in failed.stderr, failed


def refusing(spans_refused):
    """A collector answering 200 with a partialSuccess refusing what
    spans_refused(spans in the request) says, an int64 as a string."""
    def answer(body):
        refused = spans_refused(len(spans_of(json.loads(body))))
        return json.dumps({"partialSuccess": {"rejectedSpans": str(refused),
                                              "errorMessage": "quota\x1b[31m exceeded"}}).encode()
    return answer


@pytest.mark.parametrize("refused", [lambda n: n, lambda n: 1])
def test_spans_a_collector_refuses_fail_a_passing_run(refused):
    """A 2xx whose partialSuccess refuses spans (all, or only one): the
    refused spans went nowhere, so the run is not "ok"; it says how many."""
    with Receiver(answer=refusing(refused)) as receiver:
        r = run(f"--otlp-endpoint={receiver.url}", "-run", "TestPipeline", PIPELINE)
    sent = sum(len(spans_of(json.loads(body))) for _, _, body in receiver.received)
    gone = refused(sent)
    assert r.returncode == 2, r
    assert f"the collector refused {gone} of the run's spans: quota\\x1b[31m exceeded " \
        f"({sent - gone} spans were posted)" in r.stderr, r
    assert "PASS" in r.stdout


def test_an_answer_refusing_nothing_is_ok():
    answers = [{"partialSuccess": {}}, {"partialSuccess": {"rejectedSpans": "0"}},
               {"partialSuccess": {"rejectedSpans": 0, "errorMessage": "fine"}}, "not json"]
    for doc in answers:
        body = json.dumps(doc).encode() if isinstance(doc, dict) else doc.encode()
        with Receiver(answer=lambda _, body=body: body) as receiver:
            run_ok(f"--otlp-endpoint={receiver.url}", "-run", "TestCache", PIPELINE)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "not a url", "http://", ""])
def test_a_bad_endpoint_exits_2_before_running(url):
    r = run(f"--otlp-endpoint={url}", PIPELINE)
    assert r.returncode == 2 and "--otlp-endpoint" in r.stderr, r
    assert "PASS" not in r.stdout


def test_endpoint_and_flight_recorder_do_not_mix():
    r = run("--otlp-endpoint=http://127.0.0.1:9", "--flight-recorder=1MiB", PIPELINE)
    assert r.returncode == 2 and "--flight-recorder" in r.stderr, r

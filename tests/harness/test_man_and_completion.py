"""docs/ctest-trace.1 and completion/ctest-trace.bash against the command:
groff reads the page without a warning; every flag and command of
`ctest-trace -h` is in both; the page names every variable README's
environment table does; the completion completes what it should."""

import re
import shutil
import subprocess

from conftest import REPO, run_ok

MAN = REPO / "docs" / "ctest-trace.1"
COMPLETION = REPO / "completion" / "ctest-trace.bash"
FLAG = r"(?<![\w-])(--?[a-z][a-z0-9-]*)"


def usage_flags_and_commands():
    """The flags and commands `ctest-trace -h` shows: in its synopsis lines
    (up to the first blank line) and at the start of its option lines."""
    text = run_ok("-h").stdout
    synopsis, _, rest = text.partition("\n\n")
    flags = set(re.findall(FLAG, synopsis))
    for line in rest.splitlines():
        if line.startswith("  -"):  # "  -run REGEX ...", "  -h, --help ..."
            head = line.split("  ")[1]
            flags.update(re.findall(FLAG, head))
    commands = set(re.findall(r"^\s*(?:usage: )?ctest-trace ([a-z]+)\b", synopsis, re.M))
    assert {"--trace", "-run", "--junit-dir", "--format", "-o", "--type", "--help"} <= flags
    assert {"stats", "profile", "merge"} <= commands, commands
    return flags, commands


def man_text():
    """The page's source as text: roff's escapes of '-' and fonts undone."""
    text = MAN.read_text()
    text = text.replace("\\-", "-").replace("\\&", "").replace("\\c", "")
    return re.sub(r"\\f[BIRP]", "", text)


def has_word(text, word):
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def test_groff_reads_the_page_without_a_warning():
    groff = shutil.which("groff")
    assert groff, "groff is missing (ci/deps.sh installs groff-base)"
    proc = subprocess.run([groff, "-man", "-ww", "-z", str(MAN)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_every_flag_and_command_of_the_usage_is_in_the_page():
    flags, commands = usage_flags_and_commands()
    page = man_text()
    missing = sorted(w for w in flags | commands if not has_word(page, w))
    assert not missing, f"docs/ctest-trace.1 lacks {missing}"
    # its exit statuses, environment and the wrapper forms
    for word in ("77", "CMOCKA_MESSAGE_OUTPUT", "CMAKE_TEST_LAUNCHER",
                 "CMAKE_CROSSCOMPILING_EMULATOR", "--wrapper"):
        assert has_word(page, word), word


def test_the_pages_synopsis_offers_the_usages_values():
    """`export --format=chrome|jsonl|otlp|perfetto` in the usage's synopsis
    and `--format= { chrome | ... }` in the page's, for each command."""
    synopsis = run_ok("-h").stdout.partition("\n\n")[0]
    blocks = man_text().split(".SH SYNOPSIS", 1)[1].split("\n.SH ", 1)[0].split(".SY ")
    checked = 0
    for line in synopsis.splitlines():
        command = re.match(r"\s*ctest-trace ([a-z]+) ", line)
        for flag, values in re.findall(r"(--[a-z-]+)=([a-z]+(?:\|[a-z]+)+)", line):
            block = next(b for b in blocks if command and re.search(
                rf"^\.BR? {command[1]}$", b, re.M) and f"{flag}=" in b)
            page = re.search(rf"{flag}= \{{([^}}]*)\}}", block)[1]
            assert {v.strip() for v in page.split("|")} == set(values.split("|")), (line, page)
            checked += 1
    assert checked >= 3, checked


def test_the_page_names_every_variable_of_readmes_environment_table():
    readme = (REPO / "README.md").read_text()
    table = readme.split("## Environment and files", 1)[1].split("\n## ", 1)[0]
    names = set(re.findall(r"^\| `([A-Z][A-Z_]+)", table, re.M))
    assert {"CTRACE_CLOCK", "CTRACE_PRELOAD", "TMPDIR"} <= names, names
    page = man_text()
    assert not sorted(n for n in names if not has_word(page, n))


def test_every_flag_and_command_of_the_usage_is_completed():
    flags, commands = usage_flags_and_commands()
    script = COMPLETION.read_text()
    missing = sorted(w for w in flags | commands if not has_word(script, w))
    assert not missing, f"completion/ctest-trace.bash lacks {missing}"


def complete(*words, cwd=REPO):
    """What the completion offers for the command line `words` (the last is
    the word being completed), as bash would call it."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              '_ctest_trace; printf "%s\\n" "${COMPREPLY[@]}"')
    proc = subprocess.run(["bash", "-c", script, "_", str(COMPLETION), "ctest-trace", *words],
                          capture_output=True, text=True, timeout=60, cwd=cwd)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return sorted(w for w in proc.stdout.splitlines() if w)


def test_completion_completes_commands_flags_values_and_files(tmp_path):
    assert complete("st") == ["stats"]
    assert complete("--for") == ["--format="]
    # a flag's values, whether '=' breaks words (the default) or not
    assert complete("--format", "=") == ["json", "tap", "text"]
    assert complete("--format", "=", "t") == ["tap", "text"]
    assert complete("--format=t") == ["--format=tap", "--format=text"]
    assert complete("export", "--format", "=") == ["chrome", "jsonl", "otlp", "perfetto"]
    assert complete("profile", "--format", "=") == ["folded", "pprof"]
    assert complete("profile", "--type", "=", "s") == ["sched", "sync", "syscall"]
    assert complete("--overflow", "=") == ["drop", "wait"]
    assert complete("tasks", "--") == ["--help", "--json"]
    # files and directories where they go
    (tmp_path / "suite_test").write_text("")
    (tmp_path / "traces").mkdir()
    assert complete("--trace-dir", "=", "", cwd=tmp_path) == ["traces"]
    assert complete("su", cwd=tmp_path) == ["suite_test"]
    assert complete("-v", "--", "su", cwd=tmp_path) == ["suite_test"]
    assert complete("tasks", "", cwd=tmp_path) == ["suite_test", "traces"]
    assert complete("-run", "", cwd=tmp_path) == []  # a regex: nothing to offer

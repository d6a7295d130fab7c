"""A package is untrusted input: malicious variants of a small package, each run through the commands.

For every variant and command: no traceback and no exit code 3 (a bug), a clear message with exit 1
or 2 when the input is refused, a planted secret outside the package (a file, and an environment
variable that /proc/self/environ would show) never appears in the output, nothing is written outside
the package's build/ and dist/, and no corpus file changes.  The named cases of the security issue
each have a test below the suite.
"""

from __future__ import annotations

import json
import os
import signal
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bizenv.cli import app

SECRET = "TOPSECRET-7f3a9c"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A small valid synthetic package (fast to validate)."""
    from bizenv.synth import generate

    out = tmp_path_factory.mktemp("template") / "pkg"
    generate(out, 30, seed=3)
    return out


@pytest.fixture
def site(tmp_path, template, monkeypatch):
    """A package in site/pkg, with a secret file beside it and a secret in the environment."""
    import shutil

    shutil.copytree(template, tmp_path / "pkg", symlinks=True)
    (tmp_path / "secret.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    (tmp_path / "secret.csv").write_text(f"a\n{SECRET}\n", encoding="utf-8")
    monkeypatch.setenv("BIZENV_TEST_SECRET", SECRET)
    return tmp_path


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under root (links not followed), with its content hash for regular files."""
    import hashlib

    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode):
                out[str(path.relative_to(root))] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
            else:
                out[str(path.relative_to(root))] = (stat.S_IFMT(info.st_mode),)
    return out


def descriptor(site: Path) -> dict:
    return json.loads((site / "pkg" / "datapackage.json").read_text(encoding="utf-8"))


def set_descriptor(site: Path, data: dict) -> None:
    (site / "pkg" / "datapackage.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def resource(data: dict, name: str) -> dict:
    return next(r for r in data["resources"] if r.get("name") == name)


def edit_schema(site: Path, table: str, edit) -> None:
    path = site / "pkg" / "schemas" / f"{table}.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    edit(schema)
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")


def field(schema: dict, name: str) -> dict:
    return next(f for f in schema["fields"] if f["name"] == name)


def first_doc_source(site: Path) -> str:
    import csv

    with open(site / "pkg" / "data" / "documents.csv", encoding="utf-8", newline="") as fh:
        return next(csv.DictReader(fh))["source_file"]


def set_cell(site: Path, table: str, row: int, column: str, value: str) -> None:
    import csv

    path = site / "pkg" / "data" / f"{table}.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[row][rows[0].index(column)] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


# --- the malicious variants --------------------------------------------------------------------------

def absolute_resource_path(site):
    d = descriptor(site)
    resource(d, "units")["path"] = "/proc/self/environ"
    set_descriptor(site, d)


def url_resource_path(site):
    d = descriptor(site)
    resource(d, "units")["path"] = "http://127.0.0.1:9/units.csv"
    set_descriptor(site, d)


def escaping_resource_path(site):
    d = descriptor(site)
    resource(d, "units")["path"] = "data/../../secret.csv"
    set_descriptor(site, d)


def replace(site, relative: str, make) -> None:
    """Replace a package file with what ``make(path)`` puts there (a link, a FIFO, a folder)."""
    path = site / "pkg" / relative
    path.unlink()
    make(path)


def symlink_to_secret(site):
    replace(site, "data/units.csv", lambda p: p.symlink_to(site / "secret.csv"))


def symlink_to_environ(site):
    replace(site, "data/units.csv", lambda p: p.symlink_to("/proc/self/environ"))


def symlink_to_dev_zero(site):
    replace(site, "data/tasks.csv", lambda p: p.symlink_to("/dev/zero"))


def fifo_data_file(site):
    replace(site, "data/units.csv", os.mkfifo)


def folder_as_data_file(site):
    replace(site, "data/units.csv", Path.mkdir)


def descriptor_symlink(site):
    replace(site, "datapackage.json", lambda p: p.symlink_to(site / "secret.txt"))


def schema_outside(site):
    d = descriptor(site)
    resource(d, "units")["schema"] = "../secret.txt"
    set_descriptor(site, d)


def schema_missing(site):
    (site / "pkg" / "schemas" / "units.json").unlink()


def schema_not_json(site):
    (site / "pkg" / "schemas" / "units.json").write_text("{not json", encoding="utf-8")


def schema_deeply_nested(site):
    (site / "pkg" / "schemas" / "units.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")


def minimum_injection(site):
    edit_schema(site, "tasks", lambda s: field(s, "seq")["constraints"].update(
        minimum="0) SELECT 1; COPY (SELECT 'w' AS x) TO '../w.csv'; WITH f(_row, col, v, type, note) AS "
                "(SELECT 1,2,3,4,5 WHERE 1 > 0"))


def minimum_reads_a_file(site):
    edit_schema(site, "tasks", lambda s: field(s, "seq")["constraints"].update(
        minimum=f"(SELECT length(content) FROM read_text('{site / 'secret.txt'}'))"))


def enum_injection(site):
    edit_schema(site, "tasks", lambda s: field(s, "status")["constraints"].update(
        enum=["ok", "x') OR 1=1; COPY (SELECT 1) TO '../w2.csv'; --"]))


def pattern_injection(site):
    edit_schema(site, "tasks", lambda s: field(s, "task_id")["constraints"].update(
        pattern="x') OR length(read_text('../secret.txt')) > 0 OR ('"))


def pattern_re2_rejects(site):
    edit_schema(site, "tasks", lambda s: field(s, "task_id")["constraints"].update(pattern="(?=a)a"))


def pattern_python_rejects(site):
    edit_schema(site, "tasks", lambda s: field(s, "task_id")["constraints"].update(pattern="(unclosed"))


def field_name_injection(site):
    edit_schema(site, "units", lambda s: field(s, "notes").update(name='notes" , (SELECT 1) AS "x'))


def resource_without_name(site):
    d = descriptor(site)
    del resource(d, "units")["name"]
    set_descriptor(site, d)


def foreign_key_to_nothing(site):
    edit_schema(site, "assignments", lambda s: s["foreignKeys"].append(
        {"fields": "unit_id", "reference": {"resource": "nowhere", "fields": "unit_id"}}))


def verbatim_spec_broken(site):
    edit_schema(site, "tasks", lambda s: field(s, "text").update(verbatim={"in": "line", "when": {"status": 1}}))


def source_path_escape(site):
    set_cell(site, "documents", 1, "source_file", "sources/../../secret.txt")


def source_symlink(site):
    replace(site, first_doc_source(site), lambda p: p.symlink_to(site / "secret.txt"))


def source_fifo(site):
    replace(site, first_doc_source(site), os.mkfifo)


def views_copy(site):
    path = site / "pkg" / "sql" / "views.sql"
    path.write_text("COPY (SELECT 1 AS x) TO '../w3.csv' (FORMAT csv)\n;\n" + path.read_text(encoding="utf-8"),
                    encoding="utf-8")


def views_read_file(site):
    path = site / "pkg" / "sql" / "views.sql"
    path.write_text(f"CREATE VIEW leak AS SELECT content FROM read_text('{site / 'secret.txt'}')\n;\n",
                    encoding="utf-8")


def giant_cell(site):
    set_cell(site, "units", 1, "notes", "长" * (3 << 20))  # 9 MB of UTF-8


def unterminated_quote(site):
    path = site / "pkg" / "data" / "units.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[2] = lines[2].replace(",", ',"', 1)
    path.write_text("\n".join(lines), encoding="utf-8")


def control_characters(site):
    set_cell(site, "units", 1, "notes", "a\x00b\x1b[31mred\x1b]0;title\x07")


def invisible_everywhere(site):
    import csv

    path = site / "pkg" / "data" / "units.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index("notes")
    chars = "\u2066\u2067\u2068\u2069\u00ad\u2028\u2029\u180e\ufe0f\U000E0041\u3164\u034f\u061c\ue000\u0378\u200b"
    for i, ch in enumerate(chars, start=1):
        rows[i % (len(rows) - 1) + 1][col] = f"x{ch}y"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def gbk_file(site):
    path = site / "pkg" / "data" / "tasks.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))


def crlf_file(site):
    path = site / "pkg" / "data" / "units.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))


def bidi_in_id(site):
    set_cell(site, "units", 1, "unit_id", "x\u202eevil")


VARIANTS = [absolute_resource_path, url_resource_path, escaping_resource_path, symlink_to_secret,
            symlink_to_environ, symlink_to_dev_zero, fifo_data_file, folder_as_data_file, descriptor_symlink,
            schema_outside, schema_missing, schema_not_json, schema_deeply_nested, minimum_injection,
            minimum_reads_a_file, enum_injection, pattern_injection, pattern_re2_rejects, pattern_python_rejects,
            field_name_injection, resource_without_name, foreign_key_to_nothing, verbatim_spec_broken,
            source_path_escape, source_symlink, source_fifo, views_copy, views_read_file, giant_cell,
            unterminated_quote, control_characters, invisible_everywhere, gbk_file, crlf_file, bidi_in_id]

# variants whose text is only data to the toolkit: the package stays valid, and nothing happens
STILL_VALID = {enum_injection}
# variants that make the descriptor or a schema unusable: every command refuses the package
PACKAGE_LEVEL = {absolute_resource_path, url_resource_path, escaping_resource_path, symlink_to_secret,
                 symlink_to_environ, symlink_to_dev_zero, fifo_data_file, folder_as_data_file, descriptor_symlink,
                 schema_outside, schema_missing, schema_not_json, schema_deeply_nested, minimum_injection,
                 minimum_reads_a_file, pattern_injection, pattern_re2_rejects, pattern_python_rejects,
                 resource_without_name, foreign_key_to_nothing, verbatim_spec_broken}
# variants that make a CSV unreadable: every command that reads the tables refuses (no partial counts)
UNREADABLE = {gbk_file, giant_cell, unterminated_quote}
# variants of sql/views.sql: only the build reads it
VIEWS = {views_copy, views_read_file}


def must_refuse(variant, command: str) -> bool:
    if variant in STILL_VALID:
        return False
    if variant in PACKAGE_LEVEL:
        return True
    if variant in VIEWS:
        return command == "build"
    if variant in UNREADABLE:
        return command in ("validate", "build", "stats", "show")
    return command in ("validate", "build")

COMMANDS = [["validate"], ["validate", "--format", "json"], ["build"], ["query", "SELECT 1 AS one"], ["stats"],
            ["show", "synth000000-2021-t001"]]


class Outcome:
    def __init__(self, result, code: int, output: str):
        self.result, self.exit_code, self.output = result, code, output
        self.stdout = result.stdout


def run_cli(args: list[str], cwd: Path) -> Outcome:
    """The command in-process, with exceptions mapped to exit codes as the entry point maps them
    (bizenv.cli.outcome), and a time limit so that a hang fails the test."""
    from bizenv.cli import outcome

    def on_alarm(*_):
        raise TimeoutError("the command hung")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(120)
    here = os.getcwd()
    try:
        os.chdir(cwd)
        result = CliRunner().invoke(app, args)
    finally:
        os.chdir(here)
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    output = result.output
    exc = result.exception
    if exc is None or isinstance(exc, SystemExit):
        return Outcome(result, result.exit_code, output)
    assert not isinstance(exc, TimeoutError), f"bizenv {' '.join(args)} hung"
    code, message = outcome(exc)
    if code == 3:
        import traceback

        message += "\n" + "".join(traceback.format_exception(exc))
    return Outcome(result, code, output + message)


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.__name__ for v in VARIANTS])
def test_hostile_package(site, variant):
    variant(site)
    pkg = site / "pkg"
    outside_before = {p.name for p in site.iterdir()}
    corpus_before = {k: v for k, v in snapshot(pkg).items() if not k.startswith(("build", "dist"))}
    for args in COMMANDS:
        result = run_cli([*args, "-p", str(pkg)], site)
        output = result.output
        where = f"{variant.__name__}: bizenv {' '.join(args)}"
        assert result.exit_code != 3 and "Traceback" not in output and "internal error" not in output, (where, output)
        assert SECRET not in output, (where, "the secret leaked")
        assert "\x1b" not in output and "\x00" not in output and "\u202e" not in output, (where, "raw control")
        if must_refuse(variant, args[0]):
            assert result.exit_code in (1, 2), (where, result.exit_code, output[-500:])
            assert output.strip(), (where, "no message")
    assert {p.name for p in site.iterdir()} == outside_before, "a file was written outside the package"
    after = {k: v for k, v in snapshot(pkg).items() if not k.startswith(("build", "dist"))}
    assert after == corpus_before, "a corpus file changed"


def test_the_template_itself_is_valid(site):
    result = run_cli(["validate", "-p", str(site / "pkg")], site)
    assert result.exit_code == 0, result.output


# --- the named cases ------------------------------------------------------------------------------------

def test_minimum_injection_is_a_schema_finding_and_writes_nothing(site):
    minimum_injection(site)
    result = run_cli(["validate", "--format", "json", "-p", str(site / "pkg")], site)
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and not report["valid"]
    [f] = report["findings"]
    assert (f["rule"], f["file"], f["column"]) == ("schema-error", "schemas/tasks.json", "seq")
    assert "must be a number" in f["message"]
    assert not (site / "w.csv").exists()


def test_pattern_the_checker_cannot_compile_is_named(site):
    pattern_re2_rejects(site)
    result = run_cli(["validate", "-p", str(site / "pkg")], site)
    assert result.exit_code == 1
    assert "schemas/tasks.json, column task_id" in result.output and "RE2" in result.output


@pytest.mark.parametrize("variant,needle", [
    (absolute_resource_path, "an absolute path"), (url_resource_path, "a URL"),
    (escaping_resource_path, "leads outside the package"), (symlink_to_secret, "leads outside the package"),
    (symlink_to_dev_zero, "leads outside the package"), (fifo_data_file, "a FIFO"),
    (resource_without_name, 'no valid "name"'), (foreign_key_to_nothing, 'resource "nowhere" does not exist'),
    (schema_missing, "no such file"),
])
def test_refusals_name_the_path_and_rule(site, variant, needle):
    variant(site)
    result = run_cli(["validate", "-p", str(site / "pkg")], site)
    assert result.exit_code == 1 and needle in result.output, result.output


def test_source_outside_the_package_is_never_shown(site):
    source_path_escape(site)
    result = run_cli(["validate", "--format", "json", "-p", str(site / "pkg")], site)
    rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert "source-refused" in rules and result.exit_code == 1


def test_show_never_prints_a_file_outside_the_package(site):
    """show reads the CSVs without validating them first: the source path goes through the gate."""
    from bizenv.build import build
    from bizenv.package import Package

    build(Package.open(site / "pkg"))
    source_path_escape(site)
    result = run_cli(["show", "synth000000-2021-t001", "-p", str(site / "pkg")], site)
    assert SECRET not in result.output and "refused" in result.output and result.exit_code == 0


@pytest.mark.parametrize("sql", [
    "COPY (SELECT 'x' AS x) TO 'build/bizenv.duckdb' (FORMAT csv, USE_TMP_FILE false)",
    "EXPORT DATABASE 'build/out'", "ATTACH 'build/x.duckdb' AS x", "SET enable_external_access = true",
    "PRAGMA enable_profiling", "CALL checkpoint()", "INSTALL httpfs", "LOAD httpfs",
    "CREATE TABLE t AS SELECT 1", "SELECT * FROM read_text('/etc/passwd')",
])
def test_query_cannot_write_or_read_files(site, sql):
    from bizenv.build import build
    from bizenv.package import Package

    build(Package.open(site / "pkg"))
    before = snapshot(site)
    result = run_cli(["query", sql, "-p", str(site / "pkg")], site)
    assert result.exit_code == 1, result.output
    assert snapshot(site) == before
    again = run_cli(["query", "SELECT count(*) AS n FROM tasks", "-p", str(site / "pkg")], site)
    assert again.exit_code == 0 and "(1 row)" in again.output, again.output


@pytest.mark.parametrize("sql", ["", ";", "  ;  ", "SELECT 1; SELECT 2"])
def test_query_usage_errors(site, sql):
    from bizenv.build import build
    from bizenv.package import Package

    build(Package.open(site / "pkg"))
    result = run_cli(["query", sql, "-p", str(site / "pkg")], site)
    assert result.exit_code == 2 and "query refused" in result.output


def test_query_time_limit_and_row_cap(site):
    from bizenv.build import build
    from bizenv.package import Package

    build(Package.open(site / "pkg"))
    slow = run_cli(["query", "SELECT count(*) FROM range(1000000000000)", "--timeout", "0.5",
                    "-p", str(site / "pkg")], site)
    assert slow.exit_code == 1 and "time limit" in slow.output
    many = run_cli(["query", "SELECT * FROM range(50)", "--max-rows", "7", "-p", str(site / "pkg")], site)
    assert many.exit_code == 0 and "(7 rows)" in many.output and "only the first 7 rows" in many.output


def test_query_json_of_any_type(site):
    from bizenv.build import build
    from bizenv.package import Package

    build(Package.open(site / "pkg"))
    result = run_cli(["query", "SELECT '\\xAA'::BLOB AS b, INTERVAL 3 DAY AS i, uuid() AS u, [1, 2] AS l, "
                      "{'a': 1} AS s, TIME '10:00' AS t", "-f", "json", "-p", str(site / "pkg")], site)
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["b"] == "\\xaa" and row["l"] == [1, 2] and row["s"] == {"a": 1}


def test_a_damaged_database_is_rebuilt(site):
    from bizenv.build import build
    from bizenv.package import Package

    build(Package.open(site / "pkg"))
    (site / "pkg" / "build" / "bizenv.duckdb").write_bytes(b"x" * 5000)
    result = run_cli(["query", "SELECT count(*) AS n FROM tasks", "-p", str(site / "pkg")], site)
    assert result.exit_code == 0 and "(1 row)" in result.output, result.output


@pytest.mark.parametrize("make", ["file", "readonly"])
def test_build_folder_unusable(site, make):
    build_dir = site / "pkg" / "build"
    if make == "file":
        build_dir.write_text("not a folder", encoding="utf-8")
    else:
        if os.geteuid() == 0:
            pytest.skip("root can write into a read-only folder")
        build_dir.mkdir()
        build_dir.chmod(0o555)
    result = run_cli(["build", "-p", str(site / "pkg")], site)
    assert result.exit_code == 1 and "build" in result.output, result.output


@pytest.mark.parametrize("out", ["data/tasks.csv", "schemas", "sources/x.html", "datapackage.json", "data",
                                 "validation/expectations.json", "validation/assertions.yaml"])
def test_outputs_never_go_into_the_corpus(site, out):
    before = snapshot(site / "pkg")
    for args in (["report", "--out", out], ["extract", "synth000000-2021", "--out", out],
                 ["dictionary", "--output", out]):
        result = run_cli([*args, "-p", str(site / "pkg")], site)
        assert result.exit_code == 1 and "refused" in result.output, (args, result.output)
    assert snapshot(site / "pkg") == before


def test_synth_never_replaces_a_folder_it_did_not_write(site):
    victim = site / "keep"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me", encoding="utf-8")
    result = run_cli(["synth", str(victim), "-n", "5"], site)
    assert result.exit_code == 1 and (victim / "precious.txt").exists()


def test_byte_checks_cover_the_whole_file(site):
    """CRLF after the first 64 KB, a bare CR, trailing empty lines, rows ending with , or ,,"""
    from bizenv.package import Package
    from bizenv.validate import validate

    from bizenv.synth import generate

    generate(site / "big", 200, seed=3)
    path = site / "big" / "data" / "tasks.csv"
    original = path.read_bytes()
    assert len(original) > 100_000
    cases = {
        "crlf-line-ends": lambda b: b[:70_000] + b[70_000:].replace(b"\n", b"\r\n", 1),
        "bare-cr": lambda b: b[:70_000] + b[70_000:].replace(b"\n", b"\r", 1),
        "blank-row": lambda b: b + b"\n\n",
        "extra-cell": lambda b: b.replace(b"\n", b",\n", 3).replace(b",\n", b"\n", 1),
        "extra-cells": lambda b: b[:-1] + b",,\n",
    }
    for name, change in cases.items():
        path.write_bytes(change(original))
        found = validate(Package.open(site / "big")).findings
        expected = {"bare-cr": "crlf-line-ends", "extra-cells": "extra-cell"}.get(name, name)
        assert [f.rule for f in found] == [expected], (name, found)
        if name in ("crlf-line-ends", "bare-cr"):
            assert found[0].line == original[:70_000].count(b"\n") + 1 + original[70_000:].split(b"\n")[0].count(
                b"\n"), (name, found[0])
    path.write_bytes(original)


@pytest.mark.parametrize("variant,rule,words", [(giant_cell, "cell-too-large", "longer than"),
                                                  (unterminated_quote, "unterminated-quote", "never closed")])
def test_unclear_inputs_get_clear_messages(site, variant, rule, words):
    from bizenv.package import Package
    from bizenv.validate import validate

    variant(site)
    [f] = validate(Package.open(site / "pkg")).findings
    assert f.rule == rule and words in f.message and f.line is not None, f


def test_control_characters_are_escaped_in_messages(site):
    control_characters(site)
    result = run_cli(["validate", "-p", str(site / "pkg")], site)
    assert result.exit_code == 1 and "\\x1b[31mred" in result.output and "\x1b" not in result.output


def test_report_refuses_an_unreadable_file(site):
    gbk_file(site)
    result = run_cli(["report", "-p", str(site / "pkg")], site)
    assert result.exit_code == 1 and "not UTF-8" in result.output and "GB18030" in result.output, result.output


# a query that runs until it is interrupted, put where validate's own SQL runs: the SQL read with every
# CSV (the cell flags of bizenv.validate.lint), or the rules
ENDLESS = "(SELECT count(*) FROM range(10000000000000)) > 0"
STALLS = {
    "read": "from bizenv.validate import lint; lint.flag_sql = lambda fields: ENDLESS",
    "rules": "from bizenv.validate import rules; rules.check = lambda con, pkg, tables: "
             "con.execute(f'SELECT {ENDLESS}').fetchall()",
}


def ctrl_c(proc, what: str) -> tuple[str, str]:
    """Press Ctrl-C in a running bizenv process as a person would (again if the first one came before
    DuckDB ran); its output once it has ended."""
    import subprocess
    import time

    time.sleep(4)
    for _ in range(12):
        proc.send_signal(signal.SIGINT)
        try:
            return proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            continue
    proc.kill()
    raise AssertionError(f"Ctrl-C did not end {what}")


def interruptible() -> None:
    """Run in the child before bizenv starts: Ctrl-C does what it does in a terminal, even where the tests run
    with SIGINT ignored (a job started in the background by a shell without job control ignores it, and so
    would the child, which Python then leaves without its KeyboardInterrupt handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("where", sorted(STALLS))
def test_ctrl_c_while_duckdb_runs_a_validation_ends_it(site, where):
    """Ctrl-C while DuckDB runs validate's SQL (DuckDB stops and raises a plain RuntimeError, Python sees no
    KeyboardInterrupt): the validation ends with exit code 130, not with a CSV reported as unreadable
    (and the other files still read) nor as an internal error."""
    import subprocess
    import sys

    # one DuckDB thread: the main thread runs every task and looks for Ctrl-C between them (with more, it may
    # wait on a worker's endless task and never look)
    code = (f"import sys; ENDLESS = {ENDLESS!r}; {STALLS[where]}\n"
            "from bizenv import tables; tables.SAFE_CONFIG = {**tables.SAFE_CONFIG, 'threads': 1}\n"
            f"from bizenv.cli import main; sys.argv = ['bizenv', 'validate', '-p', {str(site / 'pkg')!r}]; main()")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=interruptible)
    out, err = ctrl_c(proc, "the validation")
    assert proc.returncode == 130, (proc.returncode, out, err)
    assert "cannot be read" not in out and "internal error" not in err and "Traceback" not in err, (out, err)


def test_ctrl_c_during_a_query_ends_with_one_line(site):
    """A real process and a real SIGINT: one line on standard error, exit code 130."""
    import subprocess
    import sys

    from bizenv.build import build
    from bizenv.package import Package

    build(Package.open(site / "pkg"))
    proc = subprocess.Popen([sys.executable, "-m", "bizenv", "query", "SELECT count(*) FROM range(10000000000000)",
                             "--timeout", "120", "-p", str(site / "pkg")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
    out, err = ctrl_c(proc, "the query")
    assert proc.returncode == 130, (proc.returncode, err)
    assert err.strip() == "bizenv: interrupted" and "Traceback" not in err, err


@pytest.mark.parametrize("ftype,bound,expected", [("integer", 2.5, "a whole number"), ("year", 10000, "0 to 9999"),
                                                   ("year", 2000.5, "0 to 9999"), ("integer", 2.0, None),
                                                   ("year", 2000.0, "0 to 9999"), ("year", 2000, None)])
def test_a_bound_an_integer_or_a_year_cannot_have_is_a_schema_finding(site, ftype, bound, expected):
    """Frictionless reads the minimum of an integer as an int (100.0 is 100; it stops on 2.5) and a year's
    only as an int from 0 to 9999: another bound is reported in the schema, with the field."""
    edit_schema(site, "tasks", lambda s: field(s, "seq").update(type=ftype, constraints={"minimum": bound}))
    result = run_cli(["validate", "--format", "json", "-p", str(site / "pkg")], site)
    report = json.loads(result.stdout)
    errors = [f for f in report["findings"] if f["rule"] == "schema-error"]
    if expected is None:
        assert errors == [], errors
        return
    [f] = errors
    assert (f["file"], f["column"]) == ("schemas/tasks.json", "seq") and expected in f["message"], f


# --- JSON of the wrong type or size in a schema: one schema finding, never an internal error --------------

def _set_type(value):
    return lambda s: field(s, "text").update(type=value)


def _set_verbatim_in(value):
    return lambda s: field(s, "text").update(verbatim={"in": value})


def _set_minimum(value):
    return lambda s: field(s, "seq").update(constraints={"minimum": value})


@pytest.mark.parametrize("edit,column,words", [
    (_set_type(["string"]), "text", "unknown type"), (_set_type({"a": 1}), "text", "unknown type"),
    (_set_verbatim_in(["line"]), "text", '"verbatim" must be'), (_set_verbatim_in({"a": 1}), "text", '"verbatim" must be'),
    (_set_minimum(10 ** 400), "seq", "from -1e300 to 1e300"), (_set_minimum(-10 ** 400), "seq", "from -1e300 to 1e300"),
], ids=["type-list", "type-object", "verbatim-in-list", "verbatim-in-object", "minimum-400-digits", "minimum-minus-400-digits"])
def test_schema_values_of_the_wrong_type_or_size_are_schema_findings(site, edit, column, words):
    edit_schema(site, "tasks", edit)
    result = run_cli(["validate", "--format", "json", "-p", str(site / "pkg")], site)
    assert result.exit_code == 1, result.output
    [f] = json.loads(result.stdout)["findings"]
    assert (f["rule"], f["file"], f["column"]) == ("schema-error", "schemas/tasks.json", column), f
    assert words in f["message"] and len(f["message"]) < 300, f


def test_a_schema_number_python_will_not_read_is_named(site):
    """Python reads no integer of more than 4,300 digits: the schema is named, not an internal error."""
    path = site / "pkg" / "schemas" / "tasks.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"name": "seq"', '"constraints": {"minimum": '
                                                            + "9" * 5000 + '}, "name": "seq"', 1), encoding="utf-8")
    for args in (["validate"], ["stats"]):
        result = run_cli([*args, "-p", str(site / "pkg")], site)
        assert result.exit_code == 1 and "internal error" not in result.output, result.output
        assert "schemas/tasks.json" in result.output and "4,300 digits" in result.output, result.output


@pytest.mark.parametrize("content,words", [("[1]", "must be a JSON object"), ("{x", "not JSON"),
                                           ('{"n": ' + "9" * 5000 + "}", "not JSON")])
def test_release_refuses_a_zenodo_file_that_is_not_an_object(site, content, words):
    pkg = site / "pkg"
    (pkg / ".zenodo.json").write_text(content, encoding="utf-8")
    before = snapshot(pkg)
    result = run_cli(["release", "1.0.0", "-p", str(pkg)], site)
    assert result.exit_code == 1 and ".zenodo.json" in result.output and words in result.output, result.output
    assert snapshot(pkg) == before


# --- a header that is not the schema's, and a file that is not UTF-8 from its first byte -----------------

def _rewrite_units(site, edit) -> None:
    path = site / "pkg" / "data" / "units.csv"
    path.write_bytes(edit(path.read_bytes()))


@pytest.mark.parametrize("edit,rule,words", [
    (lambda b: b'"' + b, "unterminated-quote", "the header, has a quoted name never closed"),
    (lambda b: b.replace(b"unit_id,name,", b'unit_id,"name"x,', 1), "stray-quote", "the header, has a stray double quote"),
    (lambda b: b.replace(b"unit_id,", b"unit_id,unit_id,", 1), "header-mismatch", "the header, has 9 names"),
    (lambda b: b"", "empty-file", "the file is empty"),
    (lambda b: b.decode("utf-8").encode("utf-16"), "not-utf8", "UTF-16"),
], ids=["quote-never-closed", "stray-quote", "one-name-too-many", "empty", "utf-16"])
def test_a_broken_header_is_one_finding_on_line_1_for_every_command(site, edit, rule, words):
    """A quote never closed in the header made the whole file one header cell: the table was read as empty,
    with a foreign-key error for every row that points at it and counts of 0; a header with one name too
    many was blamed on a trailing comma; a UTF-16 file on a carriage return."""
    _rewrite_units(site, edit)
    result = run_cli(["validate", "--format", "json", "-p", str(site / "pkg")], site)
    assert result.exit_code == 1, result.output
    [f] = json.loads(result.stdout)["findings"]
    assert (f["rule"], f["file"], f["line"]) == (rule, "data/units.csv", 1) and words in f["message"], f
    for args in (["stats"], ["show", "synth000000-2021-t001"]):
        other = run_cli([*args, "-p", str(site / "pkg")], site)
        assert other.exit_code == 1 and f"[structure/{rule}] data/units.csv, line 1" in other.output, other.output
        assert "foreign-key" not in other.output, other.output


def test_a_quoted_header_is_still_a_header(site):
    _rewrite_units(site, lambda b: b.replace(b"unit_id,name,", b'"unit_id","name",', 1))
    assert run_cli(["validate", "-p", str(site / "pkg")], site).exit_code == 0


@pytest.mark.parametrize("value", ["x", "nan", "-1", "inf"])
def test_a_view_budget_that_is_not_a_number_is_bad_usage(site, monkeypatch, value):
    """BIZENV_VIEW_SECONDS set to garbage is named with exit code 2, not an internal error; nothing is built."""
    monkeypatch.setenv("BIZENV_VIEW_SECONDS", value)
    result = run_cli(["serve", "--metadata-only", "-p", str(site / "pkg")], site)
    assert result.exit_code == 2 and "BIZENV_VIEW_SECONDS" in result.output, result.output
    assert not (site / "pkg" / "build").exists() or not any((site / "pkg" / "build").iterdir())


# --- invisible characters in messages; settings and schema keys bizenv does not honour --------------------

@pytest.mark.parametrize("column,value", [("task_id", "\ufeff{}"), ("seq", "\ufeff{}"), ("status", "{}\u200b"),
                                          ("notes", "x\u2060"), ("measure_id", "\ufeff{}")])
def test_an_invisible_character_inside_a_cell_is_found_and_shown_visibly(site, column, value):
    """A byte-order mark (U+FEFF) after the first bytes is a character of its cell: the cell's own check finds it
    (a text's invisible-character check, a key's pattern, a number's type, an enum) and every message shows
    it escaped, so a value that looks right on the terminal is never reported as wrong."""
    import csv

    path = site / "pkg" / "data" / "tasks.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        old = list(csv.reader(fh))[1][list(csv.reader(open(path, encoding="utf-8")))[0].index(column)]
    set_cell(site, "tasks", 1, column, value.format(old))
    result = run_cli(["validate", "-p", str(site / "pkg")], site)
    assert result.exit_code == 1 and "internal error" not in result.output, result.output
    invisible = value.replace("{}", "").strip("x")
    assert f"\\u{ord(invisible):04x}" in result.output and invisible not in result.output, result.output
    assert f"column {column}" in result.output, result.output
    as_json = run_cli(["validate", "--format", "json", "-p", str(site / "pkg")], site)
    assert invisible not in as_json.stdout and any(
        invisible in (f.get("value") or "") for f in json.loads(as_json.stdout)["findings"]), as_json.stdout


def test_every_invisible_character_is_escaped_in_messages():
    """The escaped set, code point by code point against Python's Unicode database: every format character,
    line and paragraph separator and private-use character, the variation selectors and fillers; never a
    letter, digit or punctuation (Chinese text is shown as it is)."""
    import unicodedata

    from bizenv.paths import UNPRINTABLE, json_safe, shown

    extra = {0x34F, 0x115F, 0x1160, 0x3164, 0xFFA0, *range(0x180B, 0x1810), *range(0xFE00, 0xFE10),
             *range(0xE0100, 0xE01F0)}
    for code in range(0x110000):
        kind = unicodedata.category(chr(code))
        if kind in ("Cf", "Zl", "Zp", "Co") or code in extra or kind == "Cc" and code not in (9, 10):
            assert UNPRINTABLE.match(chr(code)), hex(code)
        elif kind[0] in "LNPSM" or kind == "Zs":
            assert not UNPRINTABLE.match(chr(code)), hex(code)
    assert shown("a\ufeffb\U000e0041中，") == "a\\ufeffb\\U000e0041中，"
    text = json.dumps("a\ufeffb\U000e0041", ensure_ascii=False)
    assert json.loads(json_safe(text)) == "a\ufeffb\U000e0041" and json_safe(text).isascii()


@pytest.mark.parametrize("value", ["-1GB", "-0.5MB", "0GB", "-1"])
def test_a_memory_limit_not_greater_than_0_is_bad_usage(site, monkeypatch, value):
    """DuckDB reads a negative memory limit as no limit at all: refused with exit code 2, like any garbage."""
    monkeypatch.setenv("BIZENV_MEMORY_LIMIT", value)
    result = run_cli(["validate", "-p", str(site / "pkg")], site)
    assert result.exit_code == 2 and "BIZENV_MEMORY_LIMIT" in result.output and "greater than 0" in result.output, \
        result.output


def _set_resource(**values):
    def edit(site):
        data = descriptor(site)
        resource(data, "tasks").update(values)
        if values.get("path") == "/":
            resource(data, "tasks")["path"] = "data/tasks.csv/"
        set_descriptor(site, data)
    return edit


def _set_schema(**values):
    return lambda site: edit_schema(site, "tasks", lambda s: s.update(values))


def _set_field(name, **values):
    return lambda site: edit_schema(site, "tasks", lambda s: field(s, name).update(values))


@pytest.mark.parametrize("edit,file,column,words", [
    (_set_resource(encoding="gbk"), "datapackage.json", None, "reads UTF-8 only"),
    (_set_resource(dialect={"delimiter": ";"}), "datapackage.json", None, '"dialect" sets \'delimiter\''),
    (_set_resource(format="xlsx"), "datapackage.json", None, "reads CSV only"),
    (_set_resource(path="/"), "datapackage.json", None, 'not a folder ending in "/"'),
    (_set_schema(trueValues="yes"), "schemas/tasks.json", None, "belongs to each boolean field"),
    (_set_field("seq", trueValues="yes"), "schemas/tasks.json", "seq", '"trueValues" must be a list of texts'),
    (_set_field("task_id", format="email"), "schemas/tasks.json", "task_id", "default format only"),
    (_set_field("source_line", type="date", format="%Q", constraints={}), "schemas/tasks.json", "source_line",
     "default format only (YYYY-MM-DD)"),
    (_set_schema(missingValues=["", "NA"]), "schemas/tasks.json", None, "only an empty cell as missing"),
    (_set_schema(missingValues="NA"), "schemas/tasks.json", None, "only an empty cell as missing"),
], ids=["encoding", "dialect", "format", "path-folder", "schema-truevalues", "field-truevalues-text",
        "field-format", "date-format", "missing-values", "missing-values-text"])
def test_a_reading_setting_bizenv_does_not_honour_is_refused(site, edit, file, column, words):
    """A setting of how a table is read that bizenv would ignore (reading the file another way than its
    author meant) is one schema finding naming the file and field, from bizenv's own check (not a
    Frictionless error blamed on datapackage.json), in every command."""
    edit(site)
    result = run_cli(["validate", "--format", "json", "-p", str(site / "pkg")], site)
    assert result.exit_code == 1, result.output
    [f] = json.loads(result.stdout)["findings"]
    assert (f["rule"], f["file"], f["column"]) == ("schema-error", file, column) and words in f["message"], f
    assert "\n" not in f["message"] and len(f["message"]) < 300, f
    other = run_cli(["stats", "-p", str(site / "pkg")], site)
    assert other.exit_code == 1 and words in other.output, other.output


def test_a_restated_default_dialect_and_encoding_are_accepted(site):
    _set_resource(encoding="UTF-8", format="csv", dialect={"delimiter": ",", "header": True, "csvddfVersion": 1.2})(site)
    _set_field("task_id", format="default")(site)
    assert run_cli(["validate", "-p", str(site / "pkg")], site).exit_code == 0


def test_a_long_enum_or_type_is_clipped_in_messages(site):
    """An enum of 200,000 values was printed whole in every finding; a type that is a long list too."""
    edit_schema(site, "tasks", lambda s: field(s, "status")["constraints"].update(
        enum=["ok", *(f"value-{i}" for i in range(200_000))]))
    set_cell(site, "tasks", 1, "status", "lost")
    set_cell(site, "tasks", 2, "status", "lost")
    result = run_cli(["validate", "--format", "json", "-p", str(site / "pkg")], site)
    findings = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "constraint-error"]
    assert result.exit_code == 1 and len(findings) == 2, result.output
    assert all(len(f["message"]) < 400 for f in json.loads(result.stdout)["findings"])
    assert all(len(f["message"]) < 400 and "200,001 values" in f["message"] for f in findings), findings
    edit_schema(site, "tasks", lambda s: field(s, "text").update(type=["string"] * 100_000))
    result = run_cli(["validate", "--format", "json", "-p", str(site / "pkg")], site)
    [f] = json.loads(result.stdout)["findings"]
    assert "unknown type" in f["message"] and len(f["message"]) < 400, f


def test_a_long_header_name_is_a_header_mismatch_in_every_command(site):
    """A header name longer than the CSV reader's default field limit was called a stray double quote in stats."""
    import csv

    csv.field_size_limit(131072)  # the reader's default, as in a fresh process (other commands raise it)
    _rewrite_units(site, lambda b: b.replace(b"unit_id,", b"unit_id" + b"x" * 200_000 + b",", 1))
    for args in (["stats"], ["validate"]):
        result = run_cli([*args, "-p", str(site / "pkg")], site)
        assert result.exit_code == 1 and "[structure/header-mismatch] data/units.csv, line 1" in result.output, \
            result.output

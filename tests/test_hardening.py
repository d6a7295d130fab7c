"""Bad input gets a clear message naming file, line and column, exit 1, no traceback, no file changed.

One case per kind of bad input a contributor's spreadsheet or editor can produce, and a
property-based test that mutates valid rows and checks that validate reports the row
and never raises.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizenv.cli import app
from conftest import copy_package, findings, table


def snapshot(root):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def rewrite(root, name, fn):
    path = root / "data" / f"{name}.csv"
    path.write_bytes(fn(path.read_bytes()))


def set_cell(root, name, key, column, value):
    t = table(root, name)
    row = t.find(**key)
    row[column] = value
    t.save()
    return t.row_number(row)


# Each case breaks a copy and returns (file, line, column or None, rule or None).
def gbk(root):
    rewrite(root, "units", lambda b: b.decode("utf-8").encode("gb18030"))
    return "data/units.csv", 2, None, "not-utf8"


def bom(root):
    rewrite(root, "deadlines", lambda b: b"\xef\xbb\xbf" + b)
    return "data/deadlines.csv", 1, None, "byte-order-mark"


def crlf(root):
    rewrite(root, "measures", lambda b: b.replace(b"\n", b"\r\n"))
    return "data/measures.csv", 1, None, "crlf-line-ends"


def ragged(root):
    rewrite(root, "units", lambda b: b.replace(b"\n", b",extra\n", 3).replace(b",extra\n", b"\n", 2))
    return "data/units.csv", 3, None, "extra-cell"


def empty_file(root):
    rewrite(root, "targets", lambda b: b"")
    return "data/targets.csv", 1, None, "empty-file"


def missing_column(root):
    def drop_last(b):
        lines = b.decode("utf-8").split("\n")
        return "\n".join(line.rsplit(",", 1)[0] if line else line for line in lines).encode("utf-8")
    rewrite(root, "measurement_units", drop_last)
    return "data/measurement_units.csv", 1, None, None


def extra_column(root):
    rewrite(root, "indicators", lambda b: b.replace(b"\n", b",x\n"))
    return "data/indicators.csv", 1, None, None


def duplicate_key(root):
    t = table(root, "units")
    t.rows.insert(5, dict(t.rows[4]))
    t.save()
    return "data/units.csv", 7, None, "primary-key"


def dangling_foreign_key(root):
    line = set_cell(root, "tasks", {"task_id": "gedian-2021-t003"}, "measure_id", "gedian-2021-s9.99")
    return "data/tasks.csv", line, None, "foreign-key"


def impossible_date(root):
    line = set_cell(root, "documents", {"document_id": "gedian-2021"}, "issued_date", "2021-02-30")
    return "data/documents.csv", line, "issued_date", "type-error"


def full_width_digits(root):
    line = set_cell(root, "tasks", {"task_id": "echeng-2023-t010"}, "seq", "１０")
    return "data/tasks.csv", line, "seq", "full-width-digits"


def thousands_separator(root):
    line = set_cell(root, "targets", {"target_id": "xianning-2019-t006-v3"}, "value", "2,000")
    return "data/targets.csv", line, "value", "thousands-separator"


def control_character(root):
    line = set_cell(root, "units", {"unit_id": "echeng-u001"}, "notes", "bell\x07here")
    return "data/units.csv", line, "notes", "invisible-character"


def zero_width_character(root):
    t = table(root, "tasks")
    row = t.find(task_id="xiangyang-2020-t004")
    row["notes"] = "a\u200bnote"
    t.save()
    return "data/tasks.csv", t.row_number(row), "notes", "invisible-character"


def surrounding_spaces(root):
    t = table(root, "units")
    row = t.find(unit_id="gedian-u002")
    row["name_en"] = " " + row["name_en"] + " "
    t.save()
    return "data/units.csv", t.row_number(row), "name_en", "surrounding-whitespace"


def formula_injection(root):
    line = set_cell(root, "tasks", {"task_id": "xianning-2019-t001"}, "notes", "=HYPERLINK(\"http://x\")")
    return "data/tasks.csv", line, "notes", "formula-injection"


CASES = [gbk, bom, crlf, ragged, empty_file, missing_column, extra_column, duplicate_key, dangling_foreign_key,
         impossible_date, full_width_digits, thousands_separator, control_character, zero_width_character,
         surrounding_spaces, formula_injection]


@pytest.mark.parametrize("breaker", CASES, ids=[c.__name__ for c in CASES])
def test_bad_input_is_named_and_nothing_changes(runner, pkg, breaker):
    file, line, column, rule = breaker(pkg)
    before = snapshot(pkg)
    result = runner.invoke(app, ["validate", "-p", str(pkg), "--format", "json"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    report = json.loads(result.stdout)
    hits = [f for f in report["findings"] if f["file"] == file and (rule is None or f["rule"] == rule)]
    assert hits, [(f["rule"], f["file"], f["line"]) for f in report["findings"]][:10]
    if line is not None:  # a physical line (bytes) or a record number (cells): findings carry both
        assert any(line in (f["line"], f["row"]) for f in hits), [(f["rule"], f["line"], f["row"]) for f in hits]
    if column is not None:
        assert any(f["column"] == column for f in hits)
    assert snapshot(pkg) == before


def test_text_report_is_one_readable_block(runner, pkg):
    thousands_separator(pkg)
    result = runner.invoke(app, ["validate", "-p", str(pkg)])
    assert result.exit_code == 1
    assert "data/targets.csv, line" in result.output and "column value" in result.output
    assert "thousands separator" in result.output


# --- property-based: mutate valid rows, validate reports the row and never raises ----------------------------

BAD_PAYLOADS = st.sampled_from([
    ("invisible-character", lambda v: v + "\u200b"),
    ("invisible-character", lambda v: "\x01" + v),
    ("surrounding-whitespace", lambda v: v + " "),
    ("surrounding-whitespace", lambda v: "\u3000" + v),
    ("formula-injection", lambda v: "@" + v),
])
TEXT_CELLS = [("tasks", "task_id", "notes"), ("units", "unit_id", "name_en"), ("targets", "target_id", "metric"),
              ("assignments", None, "notes"), ("measures", "measure_id", "title")]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return copy_package(tmp_path_factory.mktemp("pristine") / "pkg")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cell=st.sampled_from(TEXT_CELLS), index=st.integers(min_value=0, max_value=10_000), payload=BAD_PAYLOADS,
       filler=st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N"]), min_size=1, max_size=12))
def test_mutated_rows_are_reported_and_validate_never_raises(pristine, tmp_path_factory, cell, index, payload,
                                                              filler):
    import shutil

    name, _, column = cell
    root = tmp_path_factory.mktemp("mutated") / "pkg"
    shutil.copytree(pristine, root)
    t = table(root, name)
    row = t.rows[index % len(t.rows)]
    rule, mutate = payload
    row[column] = mutate(row[column] or filler)
    t.save()
    found = findings(root, ["structure"])  # must not raise
    assert any(f.rule == rule and f.file == f"data/{name}.csv" and f.row == t.row_number(row) and f.column == column
               for f in found), (rule, name, column, [(f.rule, f.row, f.column) for f in found][:5])


def test_row_flag_never_misses_a_cell_the_cell_checks_catch():
    """The one-regex row flag is a superset of the per-cell checks on free text."""
    import duckdb

    from bizenv.tables import bind
    from bizenv.validate.lint import CELL_CHECKS, ROW_FLAG

    con = duckdb.connect()
    cell_sql = " OR ".join(bind(cond, "c") for rule, cond, _, applies in CELL_CHECKS if applies == "text")
    assert "left(c, 1)" in cell_sql  # the formula check is among them
    alphabet = st.sampled_from(list("中文A1 \n\t\r\u3000\u00a0\u200b\x01\ufeff\u2003=+-@"))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.one_of(st.none(), st.text(alphabet=alphabet, min_size=1, max_size=6)), min_size=1,
                    max_size=4))
    def check(cells):
        cells_caught = any(con.execute(f"SELECT {cell_sql} FROM (SELECT ? AS c)", [c]).fetchone()[0]
                           for c in cells if c is not None)
        flagged = con.execute(f"SELECT coalesce(regexp_matches(concat_ws(chr(10), {', '.join(['?'] * len(cells))}), "
                              f"?), false)", [*cells, ROW_FLAG]).fetchone()[0]
        assert flagged or not cells_caught, cells

    check()


def test_the_flag_of_a_row_never_misses_a_cell_of_its_cleaned_copy():
    """The row's flag as read (:func:`flag_sql`) scans a ``text_clean`` only where it differs from its text:
    a cleaned copy that starts with a formula's character, or has padding or an invisible character its text
    has not, still flags the row, and so do its text and the other cells."""
    import duckdb

    from bizenv.tables import bind, quote_ident
    from bizenv.validate.lint import CELL_CHECKS, flag_sql

    fields = [{"name": "text"}, {"name": "text_clean"}, {"name": "notes"}, {"name": "seq", "type": "integer"}]
    names = [f["name"] for f in fields]
    kinds = {"text": "text", "text_clean": "text", "notes": "text", "seq": "numeric"}
    con = duckdb.connect()
    con.execute("CREATE TABLE t (" + ", ".join(f"{quote_ident(n)} VARCHAR" for n in names) + ")")
    caught = " OR ".join(f"coalesce({bind(cond, quote_ident(n))}, false)" for _, cond, _, applies in CELL_CHECKS
                         for n in names if kinds[n] == applies)
    flag = flag_sql(fields)
    alphabet = st.sampled_from(list("中A1 \n\u3000\u200b\ufeff\u0301=+-@,１"))
    cell = st.one_of(st.none(), st.text(alphabet=alphabet, max_size=5))

    @settings(max_examples=300, deadline=None)
    @given(text=cell, clean=st.one_of(st.just("same"), cell), notes=cell, seq=cell)
    def check(text, clean, notes, seq):
        con.execute("DELETE FROM t")
        con.execute("INSERT INTO t VALUES (?, ?, ?, ?)", [text, text if clean == "same" else clean, notes, seq])
        flagged, must = con.execute(f"SELECT {flag}, {caught} FROM t").fetchone()
        assert flagged or not must, (text, clean, notes, seq)

    check()
    # a cleaned copy that differs from its text and is the only cell to start with =
    con.execute("DELETE FROM t")
    con.execute("INSERT INTO t VALUES ('文本', '=文本', NULL, '1')")
    assert con.execute(f"SELECT {flag} FROM t").fetchone()[0]


def test_numeric_flags_never_miss_a_cell_the_numeric_checks_catch():
    """Each numeric cell check runs only where its cheap flag holds: the flag must hold wherever the
    check fails (full-width digits, thousands separators), and each numeric check has one."""
    import duckdb

    from bizenv.tables import bind
    from bizenv.validate.lint import CELL_CHECKS, NUMERIC_FLAG

    con = duckdb.connect()
    numeric = [(rule, cond) for rule, cond, _, applies in CELL_CHECKS if applies == "numeric"]
    assert {rule for rule, _ in numeric} == set(NUMERIC_FLAG)
    alphabet = st.sampled_from(list("0123456789.,+-e ０１９．，。中"))

    @settings(max_examples=500, deadline=None)
    @given(st.one_of(st.text(alphabet=alphabet, min_size=1, max_size=12),
                     st.from_regex(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?", fullmatch=True),
                     st.from_regex(r"[0-9]{0,3}[０-９．，][0-9]{0,3}", fullmatch=True)))
    def check(cell):
        for rule, cond in numeric:
            caught, flagged = con.execute(f"SELECT {bind(cond, 'c')}, {bind(NUMERIC_FLAG[rule], 'c')} "
                                          "FROM (SELECT ? AS c)", [cell]).fetchone()
            assert flagged or not caught, (rule, cell)

    check()
    # and the flags are not always true: a plain number passes both
    assert not any(con.execute(f"SELECT {bind(flag, 'c')} FROM (SELECT '1234' AS c)").fetchone()[0]
                   for flag in NUMERIC_FLAG.values())


@pytest.mark.parametrize("pattern,closed", [
    (r"[a-z0-9]+(?:-[a-z0-9]+)*-t\d{3}", True), (r"[0-9a-f]{64}", True), (r"[a-z][a-z_]*", True),
    (r"sources/[^/]+", False), (r".+", False), ("a b", False), (r"(x|y\s)", False), ("[", False),
])
def test_printable_only_patterns(pattern, closed):
    from bizenv.validate.lint import printable_only

    assert printable_only(pattern) is closed


def test_a_pattern_that_admits_any_character_is_still_scanned(pkg):
    """documents.source_file has a pattern (sources/[^/]+) that admits a zero-width space."""
    t = table(pkg, "documents")
    row = t.rows[0]
    row["source_file"] = row["source_file"] + "\u200b"
    t.save()
    assert any(f.rule == "invisible-character" and f.column == "source_file" and f.row == t.row_number(row)
               for f in findings(pkg, ["structure"]))


def test_duckdb_draws_no_progress_bar_on_the_callers_output():
    """DuckDB's Python client has its progress bar on (an interactive session or a notebook draws it on a
    long query): bizenv's connections (validate, build, query) turn it off, so the session or notebook that
    calls bizenv gets only its output."""
    import subprocess
    import sys

    setting = "SELECT current_setting('enable_progress_bar')"
    script = ("import duckdb; from bizenv.tables import Workspace, connect\n"
              f"print(duckdb.connect().execute({setting!r}).fetchone()[0])\n"
              f"print(connect().execute({setting!r}).fetchone()[0])\n"
              f"with Workspace() as con: print(con.execute({setting!r}).fetchone()[0])\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False", "False"]  # DuckDB's own default in a script, then bizenv's

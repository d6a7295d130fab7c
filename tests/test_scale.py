"""The fast path finds what the reference finds; the synthetic corpus is sound; the CLI starts light.

Speed itself is measured by `bizenv bench` (docs/performance.md), not asserted here.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bizenv.package import Package
from bizenv.synth import PER_KIND, PLANTS, generate
from bizenv.validate import compiled, structure
from conftest import findings, table
from test_validate import (bad_enum, bad_pattern, dangling_foreign_key, duplicate_key, impossible_date,
                           missing_required, wrong_type)


def same_findings(root):
    pkg = Package.open(root)
    fast, fallback = compiled.check(pkg)
    assert fallback == []
    reference = structure.frictionless_report(pkg)
    key = lambda f: (f.rule, f.table, f.row, f.column, f.value, f.key)  # noqa: E731
    return {key(f) for f in fast}, {key(f) for f in reference}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted") / "pkg"
    generate(root, 1500, seed=7, plant=True)
    return root


def test_compiled_schema_checks_find_exactly_what_frictionless_finds_on_planted_errors(planted):
    fast, reference = same_findings(planted)
    assert fast == reference
    assert len(reference) >= PER_KIND * 5  # type, required, enum, pattern and foreign-key plants


@pytest.mark.parametrize("breaker", [wrong_type, duplicate_key, dangling_foreign_key, impossible_date, bad_enum,
                                     missing_required, bad_pattern])
def test_compiled_schema_checks_match_frictionless_on_the_real_corpus(pkg, breaker):
    breaker(pkg)
    fast, reference = same_findings(pkg)
    assert fast == reference and fast


def test_compiled_foreign_keys_of_several_fields_match_frictionless(pkg):
    """A foreign key of two fields (a task's measure within its document): a pair missing from the lookup
    table is reported, a row with one field empty is not, as Frictionless does."""
    path = pkg / "schemas" / "tasks.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["foreignKeys"].append({"fields": ["document_id", "measure_id"],
                                  "reference": {"resource": "measures", "fields": ["document_id", "measure_id"]}})
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=1), encoding="utf-8")
    t = table(pkg, "tasks")
    t.rows[0]["measure_id"] = t.rows[1]["measure_id"] = t.rows[-1]["measure_id"]  # of another document
    t.rows[2]["measure_id"] = ""  # empty: not looked up
    t.save()
    fast, reference = same_findings(pkg)
    assert fast == reference
    assert {(f[0], f[2]) for f in fast if f[0] == "foreign-key" and f[1] == "tasks"} >= {("foreign-key", 2),
                                                                                         ("foreign-key", 3)}


def test_every_planted_error_is_found(planted):
    manifest = json.loads((planted / "planted.json").read_text(encoding="utf-8"))["planted"]
    assert len(manifest) == PER_KIND * len(PLANTS)
    found = {(f.layer, f.rule, f.table, f.row) for f in findings(planted)}
    missed = [p for p in manifest if (p["layer"], p["rule"], p["table"], p["row"]) not in found]
    assert missed == []


def test_synthetic_corpus_is_valid_by_construction_and_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    counts = generate(a, 700, seed=3)["counts"]
    generate(b, 700, seed=3)
    assert findings(a) == []
    digest = lambda root: {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
                           for p in sorted(root.rglob("*")) if p.is_file()}
    assert digest(a) == digest(b)
    assert counts["tasks"] == 700 and counts["documents"] == 7
    assert 2.5 < counts["assignments"] / 700 < 3.5 and 1.1 < counts["deadlines"] / 700 < 1.5
    assert 0.6 < counts["targets"] / 700 < 1.0
    lengths = [len(r["text"]) for r in table(a, "tasks").rows]
    assert min(lengths) >= 80 and max(lengths) <= 330


def test_reference_flag_runs_frictionless(runner, pkg):
    from bizenv.cli import app

    wrong_type(pkg)
    fast = runner.invoke(app, ["validate", "-p", str(pkg), "-l", "structure", "-f", "json"])
    ref = runner.invoke(app, ["validate", "-p", str(pkg), "-l", "structure", "-f", "json", "--reference"])
    strip = lambda out: sorted((f["rule"], f["row"], f["column"]) for f in json.loads(out)["findings"])  # noqa: E731
    assert fast.exit_code == ref.exit_code == 1 and strip(fast.stdout) == strip(ref.stdout)


def test_query_path_imports_no_dataframe_library(built_pkg):
    """bizenv query needs DuckDB only: pandas, pandera and frictionless stay unloaded (start-up time)."""
    code = ("import sys; from bizenv.cli import app; from typer.testing import CliRunner; "
            f"r = CliRunner().invoke(app, ['query', 'SELECT 1', '-p', {str(built_pkg)!r}]); assert r.exit_code == 0; "
            "print(sorted({'pandas', 'pandera', 'frictionless', 'great_expectations', 'matplotlib'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_benchmark_runs_end_to_end_and_finds_every_planted_error(tmp_path):
    """A tiny benchmark: every step runs, results and the page are written (speed is not asserted)."""
    from bizenv.bench import STEPS, render, run

    results = tmp_path / "results.json"
    report = run([300], tmp_path / "work", results, steps=["floor", "floor_fair", "floor_checks", "floor_materialized", "validate",
                                                            "frictionless", "build", "query_unit_workload"],
                 log=lambda *_: None)
    entry = report["sizes"]["300"]
    assert all("seconds" in s and "peak_mb" in s for s in entry["steps"].values()), entry["steps"]
    # the spill is reported for every step that runs DuckDB: all but frictionless
    assert {k for k, s in entry["steps"].items() if "spill_mb" in s} == set(entry["steps"]) - {"frictionless"}
    assert entry["steps"]["validate"]["errors"] == 0 == entry["steps"]["frictionless"]["errors"]
    assert entry["planted"]["found"] == entry["planted"]["planted"] > 0
    # the four floors, each with its ratio: every row read, the fair floor and the checks floor read every
    # source line, and the checks floor hashed every source (nothing is flagged in a clean package)
    assert entry["steps"]["floor"]["rows"] == entry["steps"]["floor_fair"]["rows"] \
        == entry["steps"]["floor_checks"]["rows"] == entry["steps"]["floor_materialized"]["rows"] > 0
    assert entry["steps"]["floor_fair"]["source_lines"] == entry["steps"]["floor_checks"]["source_lines"] > 0
    assert entry["steps"]["floor_checks"]["sources_hashed"] == entry["counts"]["documents"]
    assert entry["steps"]["floor_checks"]["flagged"] == 0
    assert {"vs_floor", "vs_fair", "vs_checks", "vs_materialized", "vs_frictionless"} <= set(entry["steps"]["validate"])
    assert {"vs_floor", "vs_fair", "vs_materialized"} <= set(entry["steps"]["build"])
    assert json.loads(results.read_text())["sizes"]["300"]["rows"] == entry["rows"]
    page = render(report)
    assert "## Targets at 300 tasks" in page and "| validate |" in page and "validate spills nothing" in page
    assert set(STEPS) >= set(entry["steps"])


def test_checks_floor_evaluates_what_validate_computes_while_reading(pkg):
    """The checks floor runs the read pass of validate (the same SQL): a row the cell checks flag, a row a
    rule on its own text fails and a row a Table Schema check fails are each counted."""
    from bizenv.bench import _checks_floor
    from bizenv.package import Package

    clean = _checks_floor(Package.open(pkg))["flagged"]
    t = table(pkg, "tasks")
    t.rows[0]["notes"] = "a zero-width space\u200b"  # the cell checks' flag
    t.rows[1]["text_clean"] = t.rows[1]["text"] + "x"  # the text_clean rule, computed while reading
    t.rows[2]["status"] = "unknown"  # the Table Schema's enum
    t.save()
    assert _checks_floor(Package.open(pkg))["flagged"] == clean + 3


def test_checks_floor_computes_every_feature_of_the_chinese_texts(pkg):
    """The checks floor computes the glossary terms, the digit runs and the numerals of each Chinese text the
    translation rules read (DuckDB would skip a part of the features that nothing reads)."""
    from bizenv.bench import _checks_floor
    from bizenv.package import Package

    def features(text: str) -> int:
        t = table(pkg, "tasks")
        t.rows[0]["text"] = t.rows[0]["text_clean"] = text
        t.save()
        return _checks_floor(Package.open(pkg))["features"]

    plain = features("推进改革")  # no term, no number
    assert features("推进改革，压缩至12个工作日，分3批") == plain + 2  # two digit runs
    assert features("推进改革，分三级") == plain + 1  # a numeral


def test_raw_tables_are_held_compressed_at_any_size(pkg):
    """A table of more than one row group (122,880 rows) stays uncompressed in DuckDB's in-memory
    database unless it is checkpointed: 5-10 times larger, so that 1M tasks spill past the memory cap."""
    from bizenv.tables import RAW_DB, Workspace, read_raw

    path = pkg / "data" / "unit_aliases.csv"
    head, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(head + "".join(rows) * (130_000 // len(rows) + 1), encoding="utf-8")
    with Workspace() as con:
        assert read_raw(con, Package.open(pkg), "unit_aliases") is None
        kinds = {k for (k,) in con.execute(
            f"SELECT DISTINCT compression FROM pragma_storage_info('{RAW_DB}.main.raw_unit_aliases_data') "
            "WHERE column_name IN ('unit_id', 'form', 'derivation')").fetchall()}
    assert kinds and "Uncompressed" not in kinds, kinds


def test_a_raw_table_is_read_while_another_transaction_reads_the_raw_tables(pkg):
    """The checkpoint that compresses the raw tables cannot run while another transaction on the workspace
    has read one of them: the file is still read (its table is compressed by a later checkpoint), never
    said to be unreadable, and nothing else changes."""
    from bizenv.tables import RAW_DB, Workspace, read_raw

    p = Package.open(pkg)
    with Workspace() as con:
        assert read_raw(con, p, "units") is None
        other = con.cursor()  # its own connection to the same database (the raw views are the workspace's)
        other.execute("BEGIN")
        other.execute(f"SELECT count(*) FROM {RAW_DB}.main.raw_units_data").fetchall()
        assert read_raw(con, p, "unit_aliases") is None
        other.execute("COMMIT")
        got = con.execute("SELECT _row, unit_id, form FROM raw_unit_aliases ORDER BY _row").fetchall()
    rows = table(pkg, "unit_aliases").rows
    assert got == [(i + 2, r["unit_id"], r["form"]) for i, r in enumerate(rows)]


def test_benchmark_measures_what_spills_to_disk(pkg):
    """The benchmark reports the most disk DuckDB's spill folder takes during a step: nothing under the
    default memory cap, and some when the same tables do not fit a tighter cap."""
    import os

    path = pkg / "data" / "tasks.csv"
    head, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(head + "".join(rows) * 150, encoding="utf-8")  # about 45 MB of text

    def spill(limit: str | None) -> float:
        env = {k: v for k, v in os.environ.items() if k != "BIZENV_MEMORY_LIMIT"}
        env |= {"BIZENV_MEMORY_LIMIT": limit} if limit else {}
        done = subprocess.run([sys.executable, "-m", "bizenv.bench", "floor_materialized", str(pkg)],
                              capture_output=True, text=True, env=env, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])["spill_mb"]

    assert spill(None) == 0
    assert spill("64MB") > 1


def test_benchmark_watches_the_spill_of_the_floors_and_of_the_queries(tmp_path):
    """A floor's DuckDB puts its temporary files in a folder the benchmark watches, and a query's
    (``<database>.tmp``, DuckDB's own choice for a database file) is watched too: what is written in
    either counts."""
    import duckdb

    from bizenv.bench import Spill, _spill_here

    database = tmp_path / "bizenv.duckdb"
    duckdb.connect(str(database)).close()
    con = duckdb.connect(str(database), read_only=True)
    beside = Path(con.execute("SELECT current_setting('temp_directory')").fetchone()[0])
    con.close()
    assert beside == Path(f"{database}.tmp")
    for folder in ("floor", "query"):
        with Spill(also=[beside]) as spill:
            where = Path(_spill_here()["temp_directory"]) if folder == "floor" else beside
            where.mkdir(exist_ok=True)
            (where / "spilled").write_bytes(b"x" * (3 << 20))
        assert spill.peak >= 3 << 20, folder
        (where / "spilled").unlink(missing_ok=True)


def test_benchmark_counts_only_what_a_step_adds_to_a_folder_that_held_files_already(tmp_path):
    """A ``<database>.tmp`` that holds files before a query step (left by an earlier run): what it held is
    not the step's spill and is not removed; a new file, or what a file grows by, counts."""
    from bizenv.bench import Spill

    beside = tmp_path / "bizenv.duckdb.tmp"
    beside.mkdir()
    (beside / "left").write_bytes(b"x" * (3 << 20))
    with Spill(also=[beside]) as spill:
        pass
    assert spill.peak == 0
    with Spill(also=[beside]) as spill:
        (beside / "spilled").write_bytes(b"x" * (2 << 20))
        with (beside / "left").open("ab") as f:
            f.write(b"x" * (1 << 20))
    assert 3 << 20 <= spill.peak < 4 << 20
    assert (beside / "left").stat().st_size == 4 << 20 and (beside / "spilled").exists()


def test_parquet_row_groups_are_small_enough_to_write_without_spilling(tmp_path):
    """Parquet files are written in row groups of PARQUET_ROW_GROUP rows: DuckDB's default row group (122,880
    rows) of long texts made the build spill to disk at 1,000,000 tasks."""
    import duckdb

    from bizenv.build import PARQUET_ROW_GROUP, build

    root = tmp_path / "pkg"
    generate(root, 12_000, seed=3, plant=False)  # about 36,000 assignments
    build(Package.open(root))
    con = duckdb.connect()
    path = str(root / "build" / "parquet" / "assignments.parquet")
    groups = con.execute("SELECT row_group_id, any_value(row_group_num_rows) FROM parquet_metadata(?) "
                         "GROUP BY ALL", [path]).fetchall()
    rows = con.execute("SELECT count(*) FROM read_parquet(?)", [path]).fetchone()[0]
    assert rows > PARQUET_ROW_GROUP and len(groups) > 1
    assert max(n for _, n in groups) <= PARQUET_ROW_GROUP


def test_compiled_primary_keys_of_several_fields_match_frictionless(pkg):
    """A key of several fields is grouped by its hash first: a repeated key and a key repeated three
    times are reported on every repeat, naming the nearest earlier row, a key with an empty field too, a
    key repeated in another spelling of the same integer (02, +2), and a row whose key fields are all
    empty, as Frictionless does."""
    t = table(pkg, "assignments")
    t.rows[9]["position"] = ""  # an empty field in the key
    first = len(t.rows) + 2  # the record number of the first row added (the header is record 1)
    t.rows += [dict(t.rows[0]), dict(t.rows[5]), dict(t.rows[5]), dict(t.rows[9]),
               {**t.rows[1], "position": "0" + t.rows[1]["position"]},
               {**t.rows[1], "position": "+" + t.rows[1]["position"]}]
    t.rows += [{**t.rows[3], "task_id": "", "role": "", "position": ""} for _ in range(2)]
    t.rows.append({**t.rows[12], "position": "99"})  # the same task and role, another position: not a repeat
    t.save()
    fast, reference = same_findings(pkg)
    assert fast == reference
    assert {f[2] for f in fast if f[0] == "primary-key" and f[1] == "assignments"} == set(range(first, first + 8))
    pkg_ = Package.open(pkg)
    messages = {f.row: f.message for f in compiled.check(pkg_)[0] if f.rule == "primary-key"}
    assert messages[first + 2] == f"the same as in the row at position {first + 1}"  # the nearest, as Frictionless
    assert messages[first + 5] == f"the same as in the row at position {first + 4}"
    assert messages[first + 7] == 'cells composing the primary keys are all "None"'


def test_compiled_unique_constraints_match_frictionless(pkg):
    """A value repeated in a unique field is a unique-error naming the nearest earlier row, as Frictionless
    reports it: here a source file shared by two documents (unique, not a key) and a unit listed twice."""
    docs = table(pkg, "documents")
    docs.rows[2]["source_file"] = docs.rows[1]["source_file"]
    docs.save()
    units = table(pkg, "units")
    units.rows.append(dict(units.rows[3]))
    units.save()
    fast, reference = same_findings(pkg)
    assert fast == reference
    unique = {(f[1], f[2], f[3]) for f in fast if f[0] == "unique-error"}
    assert unique == {("documents", 4, "source_file"), ("units", len(units.rows) + 1, "unit_id")}
    messages = {f.row: f.message for f in compiled.check(Package.open(pkg))[0] if f.rule == "unique-error"}
    assert messages[4] == "the same as in the row at position 3"


def test_compiled_unique_values_of_a_typed_field_match_frictionless(pkg):
    """A unique typed field: two cells that break the type repeat nothing (Frictionless reads each as
    empty), a value written twice is a unique-error."""
    path = pkg / "schemas" / "documents.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    next(f for f in schema["fields"] if f["name"] == "year")["constraints"]["unique"] = True
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=1), encoding="utf-8")
    docs = table(pkg, "documents")
    docs.rows[0]["year"] = docs.rows[1]["year"] = "19x9"  # broken twice
    docs.rows[3]["year"] = docs.rows[2]["year"]  # repeated
    docs.save()
    fast, reference = same_findings(pkg)
    assert fast == reference
    assert {(f[2], f[3]) for f in fast if f[0] == "unique-error"} == {(5, "year")}


def test_a_repeated_unique_value_is_shown_as_it_is_written(pkg):
    """A unique-error names the cell as it is written, in the compiled check and in the reference alike
    (Frictionless itself gives its typed value: True for a boolean written true, 2019 for +2019)."""
    path = pkg / "schemas" / "documents.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    for f in schema["fields"]:
        if f["name"] in ("year", "merged_cells"):
            f["constraints"]["unique"] = True
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=1), encoding="utf-8")
    docs = table(pkg, "documents")
    docs.rows[1]["year"] = docs.rows[0]["year"] = "2019"
    docs.rows[2]["year"] = "+2019"  # the same integer, written otherwise
    docs.save()
    fast, reference = same_findings(pkg)
    assert fast == reference
    unique = {(f[2], f[3], f[4]) for f in reference if f[0] == "unique-error"}
    assert {(3, "year", "2019"), (4, "year", "+2019")} <= unique
    assert {value for _, column, value in unique if column == "merged_cells"} in ({"false"}, {"true"}, {"true", "false"})


def test_integers_are_read_as_the_table_schema_writes_them_not_as_python_reads_them(pkg):
    """Frictionless reads an integer with Python's int(), which also takes a padded, full-width or
    underscored number (' 2', '２', '1_000'), and a date with strptime ('2019-3-05'); the compiled check
    follows the Table Schema (ASCII digits with an optional sign, YYYY-MM-DD) and reports them, so a
    padded or full-width number in the corpus is named. The two differ on purpose here and in
    test_numbers_beyond_pythons_limits_are_numbers (README, "At scale")."""
    t = table(pkg, "assignments")
    first = len(t.rows) + 2
    t.rows += [{**t.rows[1], "position": p} for p in (" 2", "２", "1_000")]
    t.save()
    docs = table(pkg, "documents")
    docs.rows[0]["issued_date"] = "2019-3-05"  # strptime reads it; the Table Schema's date is YYYY-MM-DD
    docs.save()
    fast, reference = same_findings(pkg)
    rows = set(range(first, first + 3))
    assert {f[2] for f in fast if f[0] == "type-error" and f[1] == "assignments"} == rows
    assert ("type-error", "documents", 2, "issued_date", "2019-3-05") in {f[:5] for f in fast}
    assert not {f for f in reference if f[0] == "type-error"}
    differ = {("assignments", r) for r in rows} | {("documents", 2)}
    assert {k for k in fast if (k[1], k[2]) not in differ} == {k for k in reference if (k[1], k[2]) not in differ}


def test_numbers_beyond_pythons_limits_are_numbers(pkg):
    """Frictionless reports as type errors an integer of more than 4,300 digits (Python's int() refuses
    it) and a number whose exponent Python's Decimal cannot hold; the Table Schema sets no such limit,
    and the compiled check reads them as the numbers they are. The other place where the two differ on
    purpose (README, "At scale"); everything else is found alike."""
    t = table(pkg, "assignments")
    first = len(t.rows) + 2
    t.rows += [{**t.rows[1], "position": "1" * 4301}]
    t.save()
    targets = table(pkg, "targets")
    row = len(targets.rows) + 2
    # Decimal holds a first digit up to 10^(10^18 - 1) and a last digit down to 10^-1999999999999999997, a zero too
    values = ["1e1234567890123456789", "0e1000000000000000000", "123e999999999999999999", "1e-2000000000000000000",
              "1e999999999999999999", "0.001e1000000000000000001", "1e-1000000000000000000", "1e-1999999999999999997"]
    targets.rows += [{**targets.rows[0], "target_id": targets.rows[0]["target_id"] + str(i), "value": v}
                     for i, v in enumerate(values, 9)]
    targets.save()
    fast, reference = same_findings(pkg)
    beyond = {("assignments", first, "position"), *(("targets", row + i, "value") for i in range(4))}
    assert {(f[1], f[2], f[3]) for f in reference if f[0] == "type-error"} == beyond
    assert fast == {k for k in reference if (k[1], k[2], k[3]) not in beyond}
    # and the pandera schema of bizenv.read takes them as numbers too
    from bizenv.frames import failures

    package = Package.open(pkg)
    assert not [f for f in failures(package, "assignments") if f[1] >= first - 1]
    assert not [f for f in failures(package, "targets") if f[1] >= row - 1]


# values of assignments.position, in rows of one task and role, by the type the field is given: spellings of
# one value, values Python reads apart that a DOUBLE or a BIGINT would not, and cells that break the type
KEY_VALUES = {
    "integer": ["2", "02", "+2", "-0", "0", "99999999999999999999", "+099999999999999999999", "abc", "abd", ""],
    "number": ["1", "1.0", "1e0", "10e-1", "-0", "0.0", "-1.50", "-15e-1", "NaN", "NaN", "nan", "inf", "INF", "1e400",
               "0.1", "0.10000000000000000001", "x", ""],
    "date": ["2020-01-05", "2020-01-05", "2020-02-30", "2020-02-31", "0999-01-01", ""],
    "year": ["2020", "2020", "0999", "999", "abcd", ""],
    "boolean": ["true", "yes", "false", "no", "maybe", ""],
}


@pytest.mark.parametrize("ftype", sorted(KEY_VALUES))
def test_primary_keys_compare_values_as_frictionless(pkg, ftype):
    """Keys are compared by value, exactly, as Frictionless compares them (Python's int, Decimal, date):
    spellings of one value repeat it, beyond a BIGINT too; -0 is 0; a NaN repeats nothing; two numbers a
    DOUBLE cannot tell apart are two keys; a cell that breaks its type is read as empty (None), so it
    repeats an empty or another broken cell, and a key whose cells are all empty or broken is reported as
    such.  The pandera schema of `bizenv.read` reports the same rows."""
    from bizenv.frames import failures

    path = pkg / "schemas" / "assignments.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    for f in schema["fields"]:
        if f["name"] == "position":
            f["type"] = ftype
            f["constraints"].pop("minimum")
            if ftype == "boolean":
                f["trueValues"], f["falseValues"] = ["true", "yes"], ["false", "no"]
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=1), encoding="utf-8")
    t = table(pkg, "assignments")
    t.rows = t.rows[:3]  # (their positions are 1, 2, 3: broken dates and booleans of one task and role)
    t.rows += [{**t.rows[0], "role": "responsible", "position": v} for v in KEY_VALUES[ftype]]
    t.rows += [{**t.rows[0], "task_id": "", "role": "", "position": "x"}]  # no key: every cell empty or broken
    t.save()
    fast, reference = same_findings(pkg)
    assert fast == reference
    rows = {f[2] for f in fast if f[0] == "primary-key" and f[1] == "assignments"}
    assert len(t.rows) + 1 in rows and len(rows) > 2
    assert {r for kind, r, _, _ in failures(Package.open(pkg), "assignments") if kind == "primary-key"} == rows


def test_a_boolean_without_listed_values_takes_the_table_schema_defaults(pkg):
    """A boolean field without trueValues / falseValues reads the Table Schema's defaults (true, True, TRUE,
    1 and false, False, FALSE, 0), as Frictionless does: the compiled checks, the pandera schema of
    `bizenv.read` and the typed tables of `bizenv build` agree; another spelling is a type error."""
    import pandas as pd

    from bizenv.frames import failures, read
    from bizenv.tables import connect, load

    path = pkg / "schemas" / "documents.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    for f in schema["fields"]:
        if f["name"] == "merged_cells":
            del f["trueValues"], f["falseValues"]
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=1), encoding="utf-8")
    spellings = ["true", "True", "TRUE", "1", "false", "False", "FALSE", "0", "yes", "t", "tRUE"]
    docs = table(pkg, "documents")
    base = docs.rows[0]
    docs.rows += [{**base, "document_id": f"extra{i}", "merged_cells": v} for i, v in enumerate(spellings)]
    docs.save()
    fast, reference = same_findings(pkg)
    assert fast == reference
    first = len(docs.rows) + 2 - len(spellings)  # record numbers: the header is record 1
    broken = {first + spellings.index(v) for v in ("yes", "t", "tRUE")}
    assert {f[2] for f in fast if f[0] == "type-error" and f[3] == "merged_cells"} == broken
    package = Package.open(pkg)
    assert {r for kind, r, col, _ in failures(package, "documents") if kind == "type-error"} == broken
    expected = [v in ("true", "True", "TRUE", "1") for v in spellings[:8]] + [None] * 3
    frame = read("documents", package, validate=False)
    assert [None if pd.isna(v) else bool(v) for v in frame["merged_cells"].iloc[-len(spellings):]] == expected
    con = connect()
    load(con, package, ["documents"])
    typed = con.execute("SELECT merged_cells FROM documents ORDER BY _row").fetchall()[-len(spellings):]
    assert [v for (v,) in typed] == expected


# trueValues / falseValues of a boolean field, and texts to write in it: the defaults, one list only, empty
# lists, a spelling in both lists, and spellings that are quotes, SQL's wildcards, Chinese or look numeric
BOOLEAN_LISTS = [
    {},
    {"trueValues": ["yes"]},
    {"trueValues": [], "falseValues": []},
    {"trueValues": ["1", "y"], "falseValues": ["1", "n"]},
    {"trueValues": ["'", '"x"', "是", "1.0", "%", "_", "\\"], "falseValues": ["否", "-0", "0.0", "NULL", "1"]},
]
BOOLEAN_CELLS = ["true", "True", "TRUE", "1", "false", "False", "FALSE", "0", "yes", "y", "n", "'", '"x"', "是", "1.0",
                 "%", "_", "\\", "否", "-0", "0.0", "NULL", "+1", "maybe", ""]


@pytest.mark.parametrize("lists", BOOLEAN_LISTS)
def test_booleans_are_read_as_frictionless_reads_them(pkg, lists):
    """Every spelling of a boolean field is read as Frictionless reads it (a spelling in both lists is
    false), by the compiled checks (type errors, unique values), the pandera schema, `bizenv.read` and
    the typed tables of `bizenv build`."""
    import frictionless
    import pandas as pd

    from bizenv.frames import failures, read
    from bizenv.tables import connect, load

    path = pkg / "schemas" / "documents.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    field = next(f for f in schema["fields"] if f["name"] == "merged_cells")
    field.pop("trueValues"), field.pop("falseValues")
    field.update(lists, constraints={"unique": True})
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=1), encoding="utf-8")
    docs = table(pkg, "documents")
    docs.rows += [{**docs.rows[0], "document_id": f"extra{i}", "merged_cells": v} for i, v in enumerate(BOOLEAN_CELLS)]
    docs.save()
    fast, reference = same_findings(pkg)
    assert fast == reference
    package = Package.open(pkg)
    pandera = {(kind, r) for kind, r, col, _ in failures(package, "documents") if col == "merged_cells"}
    assert pandera == {(f[0], f[2]) for f in fast if f[1] == "documents" and f[3] == "merged_cells"}
    resource = frictionless.Package(str(pkg / "datapackage.json")).get_resource("documents")
    expected = [row["merged_cells"] for row in resource.read_rows()]
    frame = read("documents", package, validate=False)
    assert [None if pd.isna(v) else bool(v) for v in frame["merged_cells"]] == expected
    con = connect()
    load(con, package, ["documents"])
    assert [v for (v,) in con.execute("SELECT merged_cells FROM documents ORDER BY _row").fetchall()] == expected


@pytest.mark.parametrize("enum", [["false"], ["TRUE", "nope"], ["nope"]])
def test_the_enum_of_a_boolean_field_allows_values_not_spellings(pkg, enum):
    """The enum of a boolean field allows values, as Frictionless reads it: enum ["false"] takes FALSE and 0
    too, and a text that is not a spelling of the field allows nothing; a cell that is not a boolean is a
    type error only. The compiled check, the pandera schema and the expectation suite agree."""
    from bizenv.expectations import derive
    from bizenv.frames import failures

    path = pkg / "schemas" / "documents.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    field = next(f for f in schema["fields"] if f["name"] == "merged_cells")
    field.pop("trueValues"), field.pop("falseValues")
    field["constraints"]["enum"] = enum
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=1), encoding="utf-8")
    docs = table(pkg, "documents")
    cells = ["true", "TRUE", "1", "false", "FALSE", "0", "x", "nope"]
    docs.rows = [{**docs.rows[0], "document_id": f"extra{i}", "merged_cells": v} for i, v in enumerate(cells)]
    docs.save()
    fast, reference = same_findings(pkg)
    assert fast == reference
    errors = {(f[0], f[4]) for f in fast if f[1] == "documents" and f[3] == "merged_cells"}
    allowed = {"false": {"false", "FALSE", "0"}, "TRUE": {"true", "TRUE", "1"}}
    ok = set().union(*(allowed.get(v, set()) for v in enum))
    assert errors == {("type-error", "x"), ("type-error", "nope")} | {
        ("constraint-error", v) for v in cells[:6] if v not in ok}
    package = Package.open(pkg)
    assert {(kind, value) for kind, _, col, value in failures(package, "documents") if col == "merged_cells"} == errors
    sets = [e["kwargs"]["value_set"] for e in derive(package)["suites"]["documents"]
            if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"]["column"] == "merged_cells"]
    assert {v for v in cells if all(v in s for s in sets)} == ok


# enum items that Frictionless reads as values though they are not written as the Table Schema writes a cell
# (its value readers strip spaces and take Python's int() and Decimal() spellings; a year is any int from 0
# to 9999, a JSON true and false too; a date is read with strptime), and enums that allow no value at all
# (field of documents, type, enum, cells written into new rows, the cells the enum refuses)
ENUM_ITEMS_READ_AS_VALUES = {
    # the values of an enum, not their spellings: 02020 and +2021 are in [2020, 2021], 1.50 is 1.5, a NaN is
    # in no enum, and a cell that breaks its type is a type error only
    "integer": ("year", "integer", [2019, 2020.0, "2021"], ["2019", "02020", "+2021", "2022", "abc", ""], ["2022"]),
    "number": ("year", "number", [1.5, "2e0", "NaN", 7], ["1.50", "15e-1", "2", "0.2e1", "NaN", "3", "7.0"],
               ["NaN", "3"]),
    "year": ("year", "year", [2020, "2021"], ["2020", "2021", "2022"], ["2022"]),
    "date": ("issued_date", "date", ["2020-01-05"], ["2020-01-05", "2020-01-06", "2020-02-30"], ["2020-01-06"]),
    "integer-spellings": ("year", "integer", [" 2", "1_000", "+3", "04", "-0", "２"],
                          ["2", "1000", "3", "4", "0", "5", "22"], ["5", "22"]),
    "number-spellings": ("year", "number", [" 1.5", "Infinity", "1_0", "+2.50", -0.0, float("-inf"), 1e16],
                         ["1.5", "inf", "10", "2.5", "0", "-INF", "1e16", "2", "INF0"], ["2"]),
    "year-values": ("year", "year", [5, True, " 202", "+203"],
                    ["0005", "0001", "0202", "0203", "0000", "2020"], ["0000", "2020"]),
    "date-spellings": ("issued_date", "date", ["2020-1-5", "2021-02-3"],
                       ["2020-01-05", "2021-02-03", "2020-01-06"], ["2020-01-06"]),
    "integer-empty": ("year", "integer", [], ["2", "0", ""], ["2", "0"]),
    "integer-none-valid": ("year", "integer", [2.5, None, [1], {"a": 1}, "x", True, float("inf")], ["2", "1", ""],
                           ["2", "1"]),
    "number-none-valid": ("year", "number", [None, False, "NaN", "abc", [1.5]], ["1.5", "0", "NaN"],
                          ["1.5", "0", "NaN"]),
    "year-none-valid": ("year", "year", [2020.0, 10000, -1, "20200", None], ["2020", "0000"], ["2020", "0000"]),
    "date-none-valid": ("issued_date", "date", [20200105, "2020-02-30", None], ["2020-01-05"], ["2020-01-05"]),
}


def typed_documents(pkg, name: str, ftype: str, constraints: dict, cells: list[str]) -> int:
    """Give the field ``name`` of documents the type ``ftype`` and ``constraints`` only, and add a row per
    cell (a copy of the first row with that cell); the record number of the first added row."""
    path = pkg / "schemas" / "documents.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    for f in schema["fields"]:
        if f["name"] == name:
            f["type"], f["constraints"] = ftype, constraints
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=1), encoding="utf-8")
    docs = table(pkg, "documents")
    docs.rows += [{**docs.rows[0], "document_id": f"extra{i}", name: v} for i, v in enumerate(cells)]
    docs.save()
    return len(docs.rows) + 2 - len(cells)  # record numbers: the header is record 1


@pytest.mark.parametrize("case", sorted(ENUM_ITEMS_READ_AS_VALUES))
def test_enum_items_are_read_as_frictionless_reads_them(pkg, case):
    """The enum of a typed field allows values, not spellings.  An enum item is the value Frictionless reads from it (" 2", "+3", "04" and "1_000" are integers,
    "Infinity" is inf, a year 5 is 0005), whatever the cells may look like; an enum that allows no
    value refuses every valid cell.  The compiled checks, Frictionless and the pandera schema agree."""
    from bizenv.frames import failures

    name, ftype, enum, cells, refused = ENUM_ITEMS_READ_AS_VALUES[case]
    first = typed_documents(pkg, name, ftype, {"enum": enum}, cells)
    fast, reference = same_findings(pkg)
    rows = {first + cells.index(v) for v in refused}
    enum_rows = lambda found: {f[2] for f in found if f[0] == "constraint-error" and f[3] == name and f[2] >= first}  # noqa: E731
    assert enum_rows(reference) == rows
    assert fast == reference
    found = {r for kind, r, col, _ in failures(Package.open(pkg), "documents")
             if kind == "constraint-error" and col == name and r >= first}
    assert found == rows


@pytest.mark.parametrize("bound", [{"maximum": 100}, {"minimum": -3}])
def test_minimum_and_maximum_of_integers_beyond_bigint_as_frictionless(pkg, bound):
    """An integer beyond BIGINT is above a maximum of 100 and not below a minimum of -3, as Frictionless
    compares Python ints: the compiled checks and the pandera schema report the same rows."""
    from bizenv.frames import failures

    cells = ["99999999999999999999", "-99999999999999999999", "5"]
    first = typed_documents(pkg, "year", "integer", bound, cells)
    fast, reference = same_findings(pkg)
    ref = {f[2] for f in reference if f[0] == "constraint-error" and f[3] == "year" and f[2] >= first}
    assert ref == {first + (0 if "maximum" in bound else 1)}
    found = {r for kind, r, col, _ in failures(Package.open(pkg), "documents")
             if kind == "constraint-error" and col == "year" and r >= first}
    assert fast == reference and found == ref


def test_read_gives_an_integer_beyond_int64_as_missing_never_a_wrong_number(pkg):
    """`bizenv.read` types an integer column as Int64: a value it cannot hold is missing (as the typed
    tables of `build` hold NULL beyond BIGINT), never wrapped round or rounded; the extremes are exact."""
    import pandas as pd

    from bizenv.frames import read

    cells = ["9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
             "99999999999999999999", "+0009223372036854775807", "9007199254740993", "-5"]
    docs = table(pkg, "documents")
    docs.rows += [{**docs.rows[0], "document_id": f"extra{i}", "year": v} for i, v in enumerate(cells)]
    docs.save()
    got = read("documents", Package.open(pkg), validate=False)["year"].iloc[-len(cells):]
    assert [None if pd.isna(v) else int(v) for v in got] == [
        9223372036854775807, -9223372036854775808, None, None, None, 9223372036854775807, 9007199254740993, -5]


BEYOND = ["9223372036854775807", "9223372036854775808", "-9223372036854775809", "99999999999999999999",
          "-99999999999999999999", "99999999999999999999999999999999999999", "170141183460469231731687303715884105727",
          "170141183460469231731687303715884105728", "-170141183460469231731687303715884105729", "1" + "0" * 399,
          "-1" + "0" * 399, "+0009223372036854775808", "5"]


@pytest.mark.parametrize("bound", [{"maximum": 10**20}, {"minimum": -10**20}, {"minimum": 10**20},
                                   {"maximum": 1e30, "minimum": -1e30}, {"maximum": 2**127 - 1}, {"maximum": 10**39},
                                   {"maximum": 100.0}, {"minimum": -3.0, "maximum": 2**63}],
                         ids=lambda b: ",".join(f"{k}={v!r}" for k, v in b.items()))
def test_large_and_float_bounds_of_an_integer_field_as_frictionless(pkg, bound):
    """Bounds beyond BIGINT or HUGEINT, or written as floats, bound an integer field exactly as Frictionless
    compares Python ints (a whole float bound is the int it is): 10**20 is not above a maximum of 10**20,
    2**127 is above 2**127 - 1 (a DOUBLE rounds them equal), a maximum of 100.0 compares a 38-digit cell
    (as a DECIMAL it fails); the compiled checks and the pandera schema report the same rows."""
    from bizenv.frames import failures

    first = typed_documents(pkg, "year", "integer", bound, BEYOND)
    fast, reference = same_findings(pkg)
    ref = {f[2] for f in reference if f[0] == "constraint-error" and f[3] == "year" and f[2] >= first}
    found = {r for kind, r, col, _ in failures(Package.open(pkg), "documents")
             if kind == "constraint-error" and col == "year" and r >= first}
    assert ref and fast == reference and found == ref


@pytest.mark.parametrize("bound, refused", [({"minimum": 2.5}, {"2", "-2", "-3", "-99999999999999999999", "-" + "9" * 38}),
                                            ({"maximum": -2.5}, {"2", "3", "-2", "5", "99999999999999999999", "9" * 38})])
def test_a_bound_that_is_not_whole_bounds_an_integer_field_by_value(pkg, bound, refused):
    """A minimum of 2.5 refuses 2 and takes 3, a maximum of -2.5 refuses -2 and takes -3, at any length (a
    38-digit cell too: compared with the bound as a DECIMAL it fails the whole query), in the compiled checks
    and the pandera schema alike (Frictionless reads such a bound as no integer and fails)."""
    from bizenv.frames import failures
    from bizenv.validate import compiled

    cells = ["2", "3", "-2", "-3", "5", "99999999999999999999", "-99999999999999999999", "9" * 38, "-" + "9" * 38]
    first = typed_documents(pkg, "year", "integer", bound, cells)
    want = {first + i for i, v in enumerate(cells) if v in refused}
    fast, fallback = compiled.check(Package.open(pkg))
    assert fallback == []
    got = {f.row for f in fast if f.rule == "constraint-error" and f.column == "year" and f.row >= first}
    found = {r for kind, r, col, _ in failures(Package.open(pkg), "documents")
             if kind == "constraint-error" and col == "year" and r >= first}
    assert got == found == want

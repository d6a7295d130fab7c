"""bizenv.read: typed DataFrames validated by pandera schemas derived from the Table Schemas, and those
schemas as the reference for the compiled checks of the fast path (the same findings)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT, table

SCHEMA_ERRORS = ("type-error", "constraint-error", "primary-key", "unique-error")


def _reference(root):
    from bizenv.frames import failures
    from bizenv.package import Package

    pkg = Package.open(root)
    return {(name, *x) for name in pkg.table_names for x in failures(pkg, name)}


def _fast(root):
    from bizenv.package import Package
    from bizenv.validate import validate

    return {(f.table, f.rule, f.row, f.column, f.value)
            for f in validate(Package.open(root), ("structure",)).findings if f.rule in SCHEMA_ERRORS}


def test_reference_and_fast_path_agree_on_planted_errors(tmp_path):
    from bizenv.synth import generate

    root = tmp_path / "planted"
    planted = generate(root, 300, 1, True)["planted"]
    # more kinds than synth plants: a duplicated primary key, a minimum, a maximum and a pattern broken
    tasks = table(root, "tasks")
    tasks.rows[7]["task_id"] = tasks.rows[6]["task_id"]
    tasks.rows[9]["seq"] = "0"
    tasks.save()
    docs = table(root, "documents")
    docs.rows[1]["year"] = "2200"
    docs.rows[2]["document_id"] = "Bad_ID"
    docs.save()
    # keys compared by value: 02 repeats 2; a row whose key fields are all empty is reported
    assignments = table(root, "assignments")
    copy = dict(assignments.rows[4])
    assignments.rows.append({**copy, "position": "0" + copy["position"]})
    assignments.rows.append({**copy, "task_id": "", "role": "", "position": ""})
    assignments.save()
    reference, fast = _reference(root), _fast(root)
    assert reference == fast
    n = len(assignments.rows)
    assert {x[2] for x in fast if x[:2] == ("assignments", "primary-key")} == {n, n + 1}
    kinds = {x[1] for x in fast}
    assert kinds == set(SCHEMA_ERRORS)
    schema_plants = {(p["table"], p["row"]) for p in planted if p["rule"] in ("type-error", "constraint-error")}
    assert schema_plants <= {(x[0], x[2]) for x in reference}
    assert ("tasks", "primary-key", 9, None, tasks.rows[6]["task_id"]) in reference
    assert ("documents", "constraint-error", 3, "year", "2200") in reference


def test_reference_finds_nothing_on_the_corpus():
    assert _reference(ROOT) == set() == _fast(ROOT)


def test_read_returns_typed_validated_frames():
    import pandas as pd

    import bizenv

    tasks = bizenv.read("tasks", ROOT)
    assert len(tasks) == len(table(ROOT, "tasks").rows)
    assert str(tasks["seq"].dtype) == "Int64" and str(tasks["text"].dtype).startswith("string")
    docs = bizenv.read("documents", ROOT)
    assert pd.api.types.is_datetime64_any_dtype(docs["issued_date"])
    assert str(docs["merged_cells"].dtype) == "boolean"
    with pytest.raises(KeyError):
        bizenv.read("no_such_table", ROOT)


def test_read_refuses_a_table_that_breaks_its_schema(pkg):
    import pandera.errors

    import bizenv

    tasks = table(pkg, "tasks")
    tasks.rows[0]["seq"] = "seven"
    tasks.save()
    with pytest.raises(pandera.errors.SchemaErrors):
        bizenv.read("tasks", pkg)
    frame = bizenv.read("tasks", pkg, validate=False)
    assert frame["seq"].isna().iloc[0]


def test_import_bizenv_stays_light():
    code = "import sys, bizenv; print(sorted({'pandas', 'pandera', 'duckdb'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"

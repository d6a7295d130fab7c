"""The great-expectations layer: the kept suite, the validate layer, and the HTML report."""

from __future__ import annotations

import json

from bizenv.cli import app
from conftest import ROOT, table


def test_kept_suite_is_current_and_goes_stale_with_the_schemas(runner, pkg):
    assert runner.invoke(app, ["expectations", "--check", "-p", str(ROOT)]).exit_code == 0
    schema = pkg / "schemas" / "tasks.json"
    spec = json.loads(schema.read_text(encoding="utf-8"))
    next(f for f in spec["fields"] if f["name"] == "status")["constraints"]["enum"].append("lost")
    schema.write_text(json.dumps(spec, ensure_ascii=False, indent=2), encoding="utf-8")
    result = runner.invoke(app, ["expectations", "--check", "-p", str(pkg)])
    assert result.exit_code == 1 and "out of date" in result.output


def test_report_renders_every_expectation(runner, pkg):
    result = runner.invoke(app, ["report", "-p", str(pkg)])
    assert result.exit_code == 0, result.output
    page = (pkg / "build" / "data-docs.html").read_text(encoding="utf-8")
    suite = json.loads((pkg / "validation" / "expectations.json").read_text(encoding="utf-8"))
    total = sum(len(v) for v in suite["suites"].values())
    assert f"{total} of {total} expectations met; 0 failed." in page
    assert page.count("<tr class='pass'>") == total and "FAILED" not in page


def test_a_broken_corpus_shows_its_failures_in_the_page(runner, pkg):
    t = table(pkg, "tasks")
    row = t.find(task_id="gedian-2021-t010")
    row["status"] = "lost"
    t.save()
    a = table(pkg, "assignments")
    a.rows = [r for r in a.rows if not r["task_id"].startswith("xiangyang-2020-t00")]
    a.save()
    result = runner.invoke(app, ["report", "-p", str(pkg)])
    assert result.exit_code == 1
    page = (pkg / "build" / "data-docs.html").read_text(encoding="utf-8")
    # four: the unknown status, Gedian's damaged-task count (a status other than ok), and
    # Xiangyang's assignment and lead-assignment counts
    assert page.count("<tr class='fail'>") == 4 and "expect_column_values_to_be_in_set" in page
    assert f"{t.row_number(row)} — lost" in page  # the CSV line and the value
    assert "xiangyang-2020: assignments" in page


def test_validate_runs_the_suite_as_a_layer(runner, pkg):
    t = table(pkg, "deadlines")
    row = t.find(task_id="echeng-2023-t001", position="1")
    row["precision"] = "week"
    t.save()
    result = runner.invoke(app, ["validate", "-p", str(pkg), "--expectations", "--layer", "rules", "-f", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    hits = [f for f in report["findings"] if f["layer"] == "expectations"]
    assert any(f["row"] == t.row_number(row) and f["column"] == "precision" and f["value"] == "week" for f in hits)

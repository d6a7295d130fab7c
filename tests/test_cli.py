"""The CLI through Typer's CliRunner: validate, build, query, stats, show."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter

import duckdb
import pytest

from bizenv.cli import app
from conftest import ROOT, table


def read(name: str) -> list[dict]:
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# --- validate ---------------------------------------------------------------------------------------------

def test_validate_ok(runner, pkg):
    result = runner.invoke(app, ["validate", "--package", str(pkg)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid")


def test_validate_finds_package_upward_from_cwd(runner, pkg, monkeypatch):
    monkeypatch.chdir(pkg / "data")
    assert runner.invoke(app, ["validate", "--layer", "structure"]).exit_code == 0


def test_validate_reports_file_row_column_as_json(runner, pkg):
    t = table(pkg, "tasks")
    row = t.find(task_id="xianning-2019-t005")
    row["seq"] = "five"
    t.save()
    result = runner.invoke(app, ["validate", "-p", str(pkg), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["valid"] is False
    hit = next(f for f in report["findings"] if f["layer"] == "structure")
    assert (hit["file"], hit["row"], hit["column"], hit["value"]) == ("data/tasks.csv", t.row_number(row), "seq", "five")


def test_validate_text_names_file_line_column(runner, pkg):
    t = table(pkg, "deadlines")
    row = t.find(task_id="xianning-2019-t002")
    row["due_date"] = "2019-06-29"
    t.save()
    result = runner.invoke(app, ["validate", "-p", str(pkg)])
    assert result.exit_code == 1
    assert f"data/deadlines.csv, line {t.row_number(row)}, column due_date" in result.output
    assert "Traceback" not in result.output


def test_no_package_is_a_usage_error(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2
    assert "no datapackage.json" in result.output


# --- build and query ---------------------------------------------------------------------------------------

def test_build_writes_database_views_and_parquet(built_pkg):
    db = built_pkg / "build" / "bizenv.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert {"task_overview", "unit_workload", "deadline_calendar", "targets_long"} <= views
    for name in ("documents", "tasks", "assignments", "deadlines", "targets", "units", "measures"):
        parquet = built_pkg / "build" / "parquet" / f"{name}.parquet"
        assert con.execute(f"SELECT count(*) FROM read_parquet('{parquet}')").fetchone()[0] == len(read(name))
    con.close()


def query(runner, root, sql, fmt="json"):
    result = runner.invoke(app, ["query", sql, "-p", str(root), "--format", fmt])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if fmt == "json" else result.stdout


def test_task_overview_matches_the_csvs(runner, built_pkg):
    tasks = read("tasks")
    rows = query(runner, built_pkg, "SELECT task_id, document_id, status, n_lead, n_targets, lead_units FROM task_overview")
    assert len(rows) == len(tasks)
    assert Counter((r["document_id"], r["status"]) for r in rows) == Counter((t["document_id"], t["status"]) for t in tasks)
    # known from reading the Xianning table: 工作措施 1-72, rows 29 and 48 lost their text
    assert Counter(r["status"] for r in rows if r["document_id"] == "xianning-2019") == Counter(
        {"ok": 70, "text_missing": 2})
    leads = Counter(a["task_id"] for a in read("assignments") if a["role"] == "lead")
    targets = Counter(t["task_id"] for t in read("targets"))
    for r in rows:
        assert r["n_lead"] == leads[r["task_id"]] and r["n_targets"] == targets[r["task_id"]]
    t029 = next(r for r in rows if r["task_id"] == "xianning-2019-t029")
    assert t029["lead_units"] == "市发改委"


def test_unit_workload_rolls_sub_units_up_to_their_agency(runner, built_pkg):
    units = {u["unit_id"]: u for u in read("units")}

    def agency(uid):
        while units[uid]["parent_unit_id"]:
            uid = units[uid]["parent_unit_id"]
        return uid

    led = Counter(u for _, u in {(a["task_id"], agency(a["unit_id"])) for a in read("assignments")
                                 if a["role"] == "lead"})
    rows = query(runner, built_pkg, "SELECT unit_id, name, jurisdiction, tasks_led FROM unit_workload")
    assert {r["unit_id"]: r["tasks_led"] for r in rows if r["tasks_led"]} == dict(led)
    xianning = sorted((r for r in rows if r["jurisdiction"] == "咸宁市"), key=lambda r: -r["tasks_led"])
    assert xianning[0]["name"] == "市市场监管局"
    drc = next(r for r in rows if r["unit_id"] == "xianning-u001")
    assert drc["tasks_led"] == led["xianning-u001"]  # includes 市发改委（市信用办） on tasks 12, 13, 63


def test_deadline_calendar_and_targets_long(runner, built_pkg):
    doc = {t["task_id"]: t["document_id"] for t in read("tasks")}
    fixed = Counter((doc[d["task_id"]], d["due_date"][:7]) for d in read("deadlines") if d["kind"] == "fixed")
    rows = query(runner, built_pkg, "SELECT document_id, strftime(month, '%Y-%m') AS m, commitments FROM deadline_calendar")
    assert {(r["document_id"], r["m"]): r["commitments"] for r in rows} == dict(fixed)
    # counted in the source: 25 cells read 2019年12月 and one more is the second half of
    # 2019年6月底取得明显进展，2019年12月完成; 11 cells read 2019年6月, 3 more start with it
    assert fixed[("xianning-2019", "2019-12")] == 26 and fixed[("xianning-2019", "2019-06")] == 14
    money = query(runner, built_pkg, "SELECT value_base FROM targets_long WHERE unit_raw = '亿元' "
                                     "AND document_id = 'xianning-2019'")
    assert money == [{"value_base": 1e10}]  # 力争新增贷款不低于100亿元


def test_deadlines_by_document(runner, built_pkg):
    rows = {r["document_id"]: r for r in query(runner, built_pkg, "SELECT * FROM deadlines_by_document")}
    tasks = read("tasks")
    for doc_id, r in rows.items():
        assert r["tasks"] == sum(1 for t in tasks if t["document_id"] == doc_id and t["status"] == "ok")
    # Xianning: 57 has an empty deadline cell and 68 only 根据省统一安排 (per superior): counted apart
    assert rows["xianning-2019"]["no_deadline"] == 1 and rows["xianning-2019"]["per_superior_only"] == 1
    assert rows["xianning-2019"]["earliest_due"] == "2019-03-31"
    for r in rows.values():  # every task is counted once, under one kind
        assert r["tasks"] == r["tasks_with_date"] + r["ongoing_only"] + r["per_superior_only"] + r["no_deadline"]


def test_assignments_long_lists_one_agency_type_across_jurisdictions(runner, built_pkg):
    rows = query(runner, built_pkg, "SELECT DISTINCT document_id FROM assignments_long "
                                    "WHERE unit_type = 'state_enterprise' AND role = 'lead'")
    units = {u["unit_id"]: u for u in read("units")}
    doc = {t["task_id"]: t["document_id"] for t in read("tasks")}
    expected = {doc[a["task_id"]] for a in read("assignments")
                if a["role"] == "lead" and units[a["unit_id"]]["unit_type"] == "state_enterprise"}
    assert {r["document_id"] for r in rows} == expected and len(expected) >= 2


@pytest.mark.parametrize("fmt,marker", [("csv", "task_id,seq\n"), ("markdown", "| task_id | seq |"),
                                        ("table", "(1 row)")])
def test_query_formats(runner, built_pkg, fmt, marker):
    out = query(runner, built_pkg, "SELECT task_id, seq FROM tasks WHERE task_id = 'xianning-2019-t029'", fmt)
    assert marker in out and "xianning-2019-t029" in out


@pytest.mark.parametrize("sql", ["DELETE FROM tasks", "CREATE TABLE x AS SELECT 1", "UPDATE units SET name = 'x'",
                                 "INSERT INTO units SELECT * FROM units", "DROP VIEW task_overview",
                                 "SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM read_text('../data/units.csv')",
                                 "COPY tasks TO 'out.csv'", "ATTACH 'out.duckdb' AS other", "INSTALL httpfs",
                                 "LOAD httpfs", "SET enable_external_access = true", "SELEC 1"])
def test_query_refuses_writes_and_bad_sql_in_one_line(runner, built_pkg, sql, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["query", sql, "-p", str(built_pkg)])
    assert result.exit_code == 1
    assert result.output.startswith("bizenv: query failed:") and result.output.count("\n") == 1
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "out.duckdb").exists()


def test_query_builds_a_missing_database(runner, pkg):
    rows = query(runner, pkg, "SELECT count(*) AS n FROM tasks")
    assert rows == [{"n": len(read("tasks"))}]
    assert (pkg / "build" / "bizenv.duckdb").exists()


def test_build_refuses_an_invalid_corpus_and_keeps_the_old_database(runner, pkg):
    assert runner.invoke(app, ["build", "-p", str(pkg)]).exit_code == 0
    db = pkg / "build" / "bizenv.duckdb"
    before = db.read_bytes()
    t = table(pkg, "assignments")
    t.rows[0]["unit_id"] = "xianning-u999"
    t.save()
    result = runner.invoke(app, ["build", "-p", str(pkg)])
    assert result.exit_code == 1 and "nothing was built" in result.output
    assert db.read_bytes() == before


def test_failed_build_half_way_leaves_previous_build_intact(runner, pkg):
    assert runner.invoke(app, ["build", "--site", "-p", str(pkg)]).exit_code == 0
    before = query(runner, pkg, "SELECT count(*) AS n FROM task_overview")
    views = pkg / "sql" / "views.sql"
    views.write_text(views.read_text(encoding="utf-8") + "\nCREATE VIEW broken AS SELECT nope FROM tasks\n;\n",
                     encoding="utf-8")
    result = runner.invoke(app, ["build", "-p", str(pkg)])
    assert result.exit_code == 1 and "sql/views.sql" in result.output
    con = duckdb.connect(str(pkg / "build" / "bizenv.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM task_overview").fetchone()[0] == before[0]["n"]
    con.close()
    assert sorted(p.name for p in (pkg / "build").iterdir()) == ["bizenv.duckdb", "bizenv.sqlite", "parquet"]


# --- stats and show ------------------------------------------------------------------------------------------

def test_stats(runner, pkg):
    result = runner.invoke(app, ["stats", "-p", str(pkg)])
    assert result.exit_code == 0
    line = next(x for x in result.output.splitlines() if x.startswith("xianning-2019 "))
    assert line.split()[3:8] == ["complete", "36", "72", "2", str(sum(
        1 for a in read("assignments") if a["role"] == "lead" and a["task_id"].startswith("xianning-2019-")))]


def test_show_prints_the_task_and_its_source_lines(runner, pkg):
    result = runner.invoke(app, ["show", "xianning-2019-t048", "-p", str(pkg)])
    assert result.exit_code == 0
    assert "text_missing" in result.output
    assert "   345 | 市发改委、" in result.output and "   349 | \t2019年12月" in result.output


def test_show_unknown_task(runner, pkg):
    result = runner.invoke(app, ["show", "nope", "-p", str(pkg)])
    assert result.exit_code == 1 and "no task 'nope'" in result.output


# --- generated and hand-written docs stay true ------------------------------------------------------------

def test_data_dictionary_is_current_and_the_check_can_fail(runner, pkg):
    shutil.copytree(ROOT / "docs", pkg / "docs")
    assert runner.invoke(app, ["dictionary", "--check", "-p", str(pkg)]).exit_code == 0
    schema = pkg / "schemas" / "tasks.json"
    schema.write_text(schema.read_text(encoding="utf-8").replace("verbatim as printed", "as printed"),
                      encoding="utf-8")
    result = runner.invoke(app, ["dictionary", "--check", "-p", str(pkg)])
    assert result.exit_code == 1 and "out of date" in result.output


def readme_table_problems(root: Path) -> list[str]:
    """Where the README's table of the corpus disagrees with the data (a pending document may be absent)."""
    from conftest import table

    rows = {}
    for line in (root / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 8 and cells[0].startswith("`") and cells[3] in ("complete", "pending"):
            rows[cells[0].strip("`")] = cells
    docs = {d["document_id"]: d for d in table(root, "documents").rows}
    problems = [f"{d}: not in the README table" for d, doc in docs.items()
                if d not in rows and doc["curation_status"] == "complete"]
    problems += [f"{d}: in the README table, not in documents.csv" for d in rows if d not in docs]
    tasks = table(root, "tasks").rows
    task_doc = {t["task_id"]: t["document_id"] for t in tasks}
    for doc_id, cells in rows.items():
        if doc_id not in docs:
            continue
        if cells[3] != docs[doc_id]["curation_status"]:
            problems.append(f"{doc_id}: status {cells[3]} in the README")
        if cells[3] == "pending":
            continue  # not curated yet: no counts to compare
        damaged = sum(1 for t in tasks if t["document_id"] == doc_id and t["status"] != "ok")
        n_tasks = sum(1 for t in tasks if t["document_id"] == doc_id)
        if cells[4] != f"{n_tasks} ({damaged} damaged)":
            problems.append(f"{doc_id}: tasks {cells[4]}")
        for i, name in ((5, "assignments"), (6, "deadlines"), (7, "targets")):
            if int(cells[i]) != sum(1 for r in table(root, name).rows if task_doc[r["task_id"]] == doc_id):
                problems.append(f"{doc_id}: {name} {cells[i]}")
    return problems


def test_readme_corpus_table_matches_the_data():
    """The README's table of the corpus gives each document's status and counts as the data has them."""
    assert readme_table_problems(ROOT) == []


def test_readme_table_check_can_fail(pkg):
    t = table(pkg, "tasks")
    t.find(task_id="xianning-2019-t001")["status"] = "text_missing"
    t.save()
    shutil.copy(ROOT / "README.md", pkg / "README.md")
    assert any("xianning-2019: tasks" in p for p in readme_table_problems(pkg))
    docs = table(pkg, "documents")
    docs.rows = [r for r in docs.rows if r["document_id"] != "gedian-2021"]
    docs.save()
    assert "gedian-2021: in the README table, not in documents.csv" in readme_table_problems(pkg)


def test_a_pending_document_passes_the_completeness_checks(runner, pkg):
    """A document registered with bizenv add, not curated yet: validation, the README table and the
    extractor-on-every-document check all pass without a README row or curated rows."""
    shutil.copy(ROOT / "README.md", pkg / "README.md")
    fixture = ROOT / "tests" / "fixtures" / "extract" / "lishan-2023.txt"
    result = runner.invoke(app, ["add", str(fixture), "--id", "lishan-2023", "-p", str(pkg),
                                 "--jurisdiction", "立山区", "--jurisdiction-en", "Lishan District",
                                 "--province", "辽宁省", "--admin-level", "district",
                                 "--title-en", "Division of the 2023 key tasks of the Lishan district government"])
    assert result.exit_code == 0, result.output
    assert readme_table_problems(pkg) == []
    assert runner.invoke(app, ["validate", "-p", str(pkg)]).exit_code == 0
    from bizenv.extract import extract_file

    for d in table(pkg, "documents").rows:
        if d["curation_status"] == "complete":
            extract_file(pkg / d["source_file"], d["document_id"], d["layout"])
    result = runner.invoke(app, ["extract", "lishan-2023", "-p", str(pkg)])
    assert result.exit_code == 0 and "7 tasks" in result.output


# --- extract and audit -------------------------------------------------------------------------------------

def test_extract_writes_drafts_outside_the_corpus(runner, pkg):
    result = runner.invoke(app, ["extract", "xianning-2019", "-p", str(pkg)])
    assert result.exit_code == 0, result.output
    assert (pkg / "drafts" / "xianning-2019" / "tasks.csv").exists()


def test_audit_passes_when_every_hand_correction_is_explained(runner, pkg):
    result = runner.invoke(app, ["audit", "xianning-2019", "-p", str(pkg), "--all"])
    assert result.exit_code == 0, result.output
    assert "xianning-2019-t029" in result.stdout  # the hand reading of the damaged row is listed


def test_audit_fails_on_an_unexplained_correction(runner, pkg):
    tasks = table(pkg, "tasks")
    row = tasks.find(task_id="xianning-2019-t030")
    row["source_line"] = "220"
    tasks.save()
    result = runner.invoke(app, ["audit", "xianning-2019", "-p", str(pkg)])
    assert result.exit_code == 1
    assert "xianning-2019-t030" in result.stdout and "source_line" in result.stdout
    assert "1 unexplained" in result.output


def test_audit_compares_booleans_as_the_schema_spells_them(runner, pkg):
    """Where the Table Schemas spell booleans 是/否 (and the curated tables are written so), the draft's
    inherited is compared in those spellings: no row differs on it (each row differed before)."""
    for name, column in (("documents", "merged_cells"), ("assignments", "inherited"), ("deadlines", "inherited")):
        path = pkg / "schemas" / f"{name}.json"
        schema = json.loads(path.read_text(encoding="utf-8"))
        next(f for f in schema["fields"] if f["name"] == column).update(trueValues=["是"], falseValues=["否"])
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=1), encoding="utf-8")
        t = table(pkg, name)
        for row in t.rows:
            row[column] = {"true": "是", "false": "否"}[row[column]]
        t.save()
    result = runner.invoke(app, ["audit", "echeng-2023", "-p", str(pkg)])
    assert result.exit_code == 0, result.output
    assert "0 difference(s) from the draft" in result.output


# --- issue 4: taxonomy views and the cookbook ------------------------------------------------------------------

def test_function_workload_and_targets_by_indicator_match_the_csvs(runner, built_pkg):
    units = {u["unit_id"]: u for u in read("units")}
    pairs = {(a["task_id"], units[a["unit_id"]]["function"], units[a["unit_id"]]["jurisdiction"])
             for a in read("assignments") if a["role"] == "lead"}
    led = Counter((f, j) for _, f, j in pairs)
    rows = query(runner, built_pkg, "SELECT function, jurisdiction, tasks_led FROM function_workload")
    assert {(r["function"], r["jurisdiction"]): r["tasks_led"] for r in rows if r["tasks_led"]} == dict(led)
    indicator = {t["task_id"]: t["indicator_id"] for t in read("tasks")}
    expected = Counter(indicator[g["task_id"]] for g in read("targets"))
    rows = query(runner, built_pkg, "SELECT indicator_id, count(*) AS n FROM targets_by_indicator GROUP BY 1")
    assert {r["indicator_id"]: r["n"] for r in rows} == dict(expected)


def test_reported_figures_are_the_reported_targets(runner, built_pkg):
    reported = [g for g in read("targets") if g["kind"] == "reported"]
    rows = query(runner, built_pkg, "SELECT target_id, as_of_date FROM reported_figures")
    assert {r["target_id"] for r in rows} == {g["target_id"] for g in reported}
    assert {r["target_id"]: r["as_of_date"] or "" for r in rows} == {g["target_id"]: g["as_of_date"] for g in reported}


def test_cookbook_is_current_and_goes_stale_when_the_data_changes(runner, pkg):
    shutil.copytree(ROOT / "docs", pkg / "docs", dirs_exist_ok=True)
    result = runner.invoke(app, ["cookbook", "--check", "-p", str(pkg)])
    assert result.exit_code == 0, result.output
    page = (pkg / "docs" / "cookbook.md").read_text(encoding="utf-8")
    assert page.count("\n## ") >= 10 and (pkg / "docs" / "img" / "due_per_month.png").exists()
    t = table(pkg, "targets")  # reword the metric of an electricity target: page and chart must change
    row = next(r for r in t.rows if r["task_id"].startswith("gedian-2021-t005") and "high-voltage" in r["metric"])
    row["metric"] = "Average connection time for large industrial users"
    t.save()
    result = runner.invoke(app, ["cookbook", "--check", "-p", str(pkg)])
    assert result.exit_code == 1 and "docs/cookbook.md" in result.output and "electricity.png" in result.output


@pytest.mark.parametrize("limit,message", [
    ("lots", "BIZENV_MEMORY_LIMIT='lots' is not a memory size"),  # not a size
    ("4MB", "set a larger BIZENV_MEMORY_LIMIT"),  # too small for the work: DuckDB runs out of memory
])
def test_memory_limit_problems_are_named_not_a_traceback(pkg, limit, message):
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "bizenv", "validate", "-p", str(pkg)], capture_output=True,
                          text=True, env={**os.environ, "BIZENV_MEMORY_LIMIT": limit}, check=False)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["validate", "build"])
def test_running_out_of_memory_in_a_check_is_not_reported_as_broken_data(pkg, command):
    """A file larger than the memory cap: DuckDB runs out of memory while the checks read it, where a
    DuckDB error otherwise becomes a finding (a file that cannot be read as CSV, a rule that cannot
    run). The cap is named, exit 2; the file is not said to be broken."""
    import os
    import subprocess
    import sys

    path = pkg / "data" / "tasks.csv"
    head, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(head + "".join(rows) * 150, encoding="utf-8")  # about 45 MB
    done = subprocess.run([sys.executable, "-m", "bizenv", command, "-p", str(pkg)], capture_output=True,
                          text=True, env={**os.environ, "BIZENV_MEMORY_LIMIT": "32MB"}, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 2, out[-2000:]
    assert "set a larger BIZENV_MEMORY_LIMIT" in done.stderr and "Traceback" not in out
    assert "cannot be read as CSV" not in out and "could not run" not in out


def test_a_full_disk_under_the_spill_is_named_not_only_the_memory_cap(tmp_path):
    """What DuckDB holds beyond the memory cap goes to the temporary folder; when its disk has no room
    left (DuckDB's max_temp_directory_size, by default the free space there), the message names that
    folder and what to do, not only a larger memory cap (exit 2 all the same)."""
    import tempfile

    import duckdb

    from bizenv.cli import outcome

    con = duckdb.connect(config={"memory_limit": "32MB", "temp_directory": str(tmp_path), "threads": 1})
    con.execute("SET max_temp_directory_size = '2MB'")  # a disk with 2 MB free
    with pytest.raises(duckdb.OutOfMemoryException) as err:
        con.execute("CREATE TABLE x AS SELECT md5(random()::VARCHAR) || md5(random()::VARCHAR) AS s "
                    "FROM range(3000000)")
    code, message = outcome(err.value)
    assert code == 2, message
    assert f"temporary folder {tempfile.gettempdir()} is full" in message and "TMPDIR" in message
    assert "BIZENV_MEMORY_LIMIT" in message and "\n" not in message
    code, message = outcome(duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block"))
    assert code == 2 and "temporary folder" not in message and "set a larger BIZENV_MEMORY_LIMIT" in message


@pytest.mark.parametrize("command", ["validate", "build"])
def test_a_spill_folder_that_cannot_be_written_is_named_not_reported_as_broken_data(pkg, tmp_path, command):
    """What DuckDB holds beyond the memory cap goes to a folder in the temporary directory; when it cannot
    be written (here: its path runs through a file; on a machine: a failing disk, a folder removed), the
    command stops with exit 2 and a message naming the temporary folder, not a finding that the CSV file
    cannot be read."""
    import os
    import subprocess
    import sys

    path = pkg / "data" / "tasks.csv"
    head, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(head + "".join(rows) * 150, encoding="utf-8")  # about 45 MB: spills under a 64 MB cap
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    script = ("import sys, tempfile\n"
              f"tempfile.mkdtemp = lambda prefix='', **kw: {str(blocker)!r} + '/' + prefix + 'x'\n"
              "from bizenv.cli import main\n"
              f"sys.argv = ['bizenv', {command!r}, '-p', {str(pkg)!r}]\n"
              "main()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "BIZENV_MEMORY_LIMIT": "64MB"}, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 2, out[-2000:]
    assert "could not use its temporary files" in done.stderr and "TMPDIR" in done.stderr, done.stderr
    assert "Traceback" not in out and "cannot be read as CSV" not in out and "could not run" not in out


def test_validate_under_a_tight_memory_limit_agrees(pkg, monkeypatch):
    """A tight cap on DuckDB's memory changes no finding."""
    from bizenv.package import Package
    from bizenv.validate import validate

    t = table(pkg, "deadlines")
    t.find(task_id="xianning-2019-t002")["due_date"] = "2019-06-29"
    t.save()
    package = Package.open(pkg)
    wide = [(f.rule, f.table, f.row) for f in validate(package).findings]
    monkeypatch.setenv("BIZENV_MEMORY_LIMIT", "64MB")
    tight = [(f.rule, f.table, f.row) for f in validate(package).findings]
    assert tight == wide and ("deadline-date-matches-text", "deadlines", 3) in wide


"""Releases (reproducible, refusing what they must), diffs, and stable identifiers."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile

import duckdb
import pytest

from bizenv.cli import app
from conftest import ROOT, copy_package, table

RELEASE_PARTS = ["README.md", "CHANGELOG.md", "ERRATA.md", "LICENSE", "LICENSE-DATA.md", "CITATION.cff",
                 ".zenodo.json", "VERSION", "releases.json", "docs"]


def repo_copy(dest, git=True):
    """A copy of the package with the release metadata, optionally as a fresh git repository."""
    copy_package(dest)
    for part in RELEASE_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, dirs_exist_ok=True)
        elif src.exists():
            shutil.copyfile(src, dest / part)
    if git:
        for args in (["init", "-q"], ["add", "-A"], ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "c"]):
            subprocess.run(["git", *args], cwd=dest, check=True)
    return dest


def next_version() -> str:
    """A version greater than the one this repository carries and any it released: tests never name it."""
    from bizenv.package import Package
    from bizenv.release import parse, released

    versions = [parse((ROOT / "VERSION").read_text(encoding="utf-8").strip())]
    versions += [parse(r["version"]) for r in released(Package.open(ROOT))]
    major, minor, _ = max(versions)
    return f"{major}.{minor + 1}.0"


NEXT = next_version()
NAME = f"cn-bizenv-policies-{NEXT}"


def tree_digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """The same corpus released twice, from two copies, on the same release date."""
    out = []
    for i in (1, 2):
        root = repo_copy(tmp_path_factory.mktemp(f"rel{i}") / "pkg")
        result = subprocess.run([sys.executable, "-m", "bizenv", "release", NEXT, "-p", str(root)],
                                capture_output=True, text=True,
                                env={**__import__("os").environ, "SOURCE_DATE_EPOCH": "1795000000"})
        assert result.returncode == 0, result.stderr
        out.append(root)
    return out


def test_release_is_byte_identical_for_the_same_inputs(released):
    a, b = (r / "dist" for r in released)
    name = NAME
    assert tree_digest(a / name) == tree_digest(b / name)
    assert (a / f"{name}.zip").read_bytes() == (b / f"{name}.zip").read_bytes()


def test_release_contents_and_checksums(released):
    folder = released[0] / "dist" / NAME
    sums = dict(line.split("  ")[::-1] for line in (folder / "SHA256SUMS").read_text().splitlines())
    files = {k for k in tree_digest(folder) if k != "SHA256SUMS"}
    assert set(sums) == files
    assert all(hashlib.sha256((folder / f).read_bytes()).hexdigest() == h for f, h in sums.items())
    for part in ("datapackage.json", "data/tasks.csv", "schemas/tasks.json", "parquet/tasks.parquet",
                 "sources/000_dafdbac775655222.txt", "load_duckdb.sql"):
        assert part in files
    with zipfile.ZipFile(folder.parent / f"{folder.name}.zip") as zf:
        assert sorted(zf.namelist()) == sorted(f"{folder.name}/{f}" for f in [*files, "SHA256SUMS"])
    con = duckdb.connect(str(folder.parent / f"{folder.name}.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM task_overview").fetchone()[0] == len(table(ROOT, "tasks").rows)
    con.close()


def test_version_is_written_everywhere_from_one_place(released):
    root = released[0]
    from bizenv.package import Package
    from bizenv.release import versions_agree

    assert versions_agree(Package.open(root)) == []
    assert json.loads((root / "datapackage.json").read_text())["version"] == NEXT
    assert "date-released: 2026-11-18" in (root / "CITATION.cff").read_text()
    assert json.loads((root / ".zenodo.json").read_text())["publication_date"] == "2026-11-18"
    assert json.loads((root / "releases.json").read_text())["releases"][0]["version"] == NEXT


def test_the_repository_versions_agree():
    from bizenv.package import Package
    from bizenv.release import versions_agree

    assert versions_agree(Package.open(ROOT)) == []


def test_unpacked_release_validates_and_answers_queries(runner, released):
    folder = released[0] / "dist" / NAME
    scratch = released[0].parent / "unpacked"
    with zipfile.ZipFile(folder.parent / f"{folder.name}.zip") as zf:
        zf.extractall(scratch)
    unpacked = scratch / folder.name
    assert runner.invoke(app, ["validate", "-p", str(unpacked)]).exit_code == 0
    result = runner.invoke(app, ["query", "SELECT count(*) AS n FROM tasks", "-p", str(unpacked), "-f", "csv"])
    assert result.stdout.strip().splitlines()[-1] == str(len(table(ROOT, "tasks").rows))


def test_release_refuses_a_version_not_greater_than_the_last(runner, released):
    for version in (NEXT, "0.0.9", "1.0", "v0.2.0"):
        result = runner.invoke(app, ["release", version, "-p", str(released[1])])
        assert result.exit_code == 1, version
    assert f"not greater than the last release {NEXT}" in runner.invoke(
        app, ["release", NEXT, "-p", str(released[1])]).output


def test_release_refuses_a_dirty_corpus(runner, tmp_path):
    root = repo_copy(tmp_path / "pkg")
    t = table(root, "units")
    t.rows[0]["notes"] = "an uncommitted edit"
    t.save()
    result = runner.invoke(app, ["release", NEXT, "-p", str(root)])
    assert result.exit_code == 1 and "uncommitted changes" in result.output and "data/units.csv" in result.output
    assert not (root / "dist").exists()


def test_release_refuses_an_invalid_corpus(runner, tmp_path):
    root = repo_copy(tmp_path / "pkg")
    t = table(root, "assignments")
    t.rows[0]["unit_id"] = "xianning-u999"
    t.save()
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qam", "bad"], cwd=root, check=True)
    result = runner.invoke(app, ["release", NEXT, "-p", str(root)])
    assert result.exit_code == 1 and "not valid" in result.output


# --- diff -----------------------------------------------------------------------------------------------------

def test_diff_lists_added_removed_and_changed_rows(runner, pkg, tmp_path):
    new = copy_package(tmp_path / "new")
    t = table(new, "tasks")
    t.find(task_id="gedian-2021-t007")["notes"] = "A correction."
    t.save()
    u = table(new, "units")
    removed = u.rows.pop(0)["unit_id"]
    u.rows.append({**u.rows[0], "unit_id": "xianning-u900", "name": "新单位"})
    u.save()
    result = runner.invoke(app, ["diff", str(pkg), str(new)])
    assert result.exit_code == 0, result.output
    assert any(line.startswith("~ gedian-2021-t007 (") and " notes: '" in line and line.endswith("-> 'A correction.'")
               for line in result.output.splitlines())
    assert f"- {removed} (" in result.output and "+ xianning-u900 (新单位)" in result.output
    md = runner.invoke(app, ["diff", str(pkg), str(new), "--format", "markdown"]).output
    assert "| tasks | 0 | 0 | 1 |" in md and "| units | 1 | 1 | 0 |" in md


def test_diff_reads_zips_and_git_revisions(runner, released, tmp_path):
    root = released[0]
    zip_path = root / "dist" / f"{NAME}.zip"
    assert "No differences" in runner.invoke(app, ["diff", str(zip_path), str(root)]).output
    t = table(root, "targets")
    t.rows[0]["metric"] = "Reworded metric"
    t.save()
    result = runner.invoke(app, ["diff", "HEAD", str(root), "-p", str(root)])
    assert result.exit_code == 0, result.output
    assert "Reworded metric" in result.output
    assert runner.invoke(app, ["diff", "no-such-rev", str(root), "-p", str(root)]).exit_code == 2


# --- stable identifiers ----------------------------------------------------------------------------------------

def test_ids_do_not_change_when_a_document_is_added(runner, tmp_path):
    """The corpus without Echeng, then with it: no row of the other documents changes id or content."""
    full = copy_package(tmp_path / "full")
    before = copy_package(tmp_path / "before")
    doc = "echeng-2023"
    tasks = table(before, "tasks")
    ids = {r["task_id"] for r in tasks.rows if r["document_id"] == doc}
    for name, col, values in (("tasks", "document_id", {doc}), ("measures", "document_id", {doc}),
                              ("assignments", "task_id", ids), ("deadlines", "task_id", ids),
                              ("targets", "task_id", ids), ("numbering_gaps", "document_id", {doc})):
        t = table(before, name)
        t.rows = [r for r in t.rows if r[col] not in values]
        t.save()
    from bizenv.diff import diff

    result = {d.table: d for d in diff(str(before), str(full), ROOT)}
    assert all(not d.removed and not d.changed for d in result.values())
    assert len(result["tasks"].added) == len(ids) and all(k.startswith(doc) for k in result["tasks"].added)


def test_ids_do_not_change_when_rows_are_corrected(tmp_path):
    old = copy_package(tmp_path / "old")
    new = copy_package(tmp_path / "new")
    t = table(new, "assignments")
    t.find(task_id="xianning-2019-t010", role="lead", position="1")["notes"] = "Checked again."
    t.save()
    g = table(new, "targets")
    g.find(target_id="xianning-2019-t023-v1")["metric"] = "Average export tax refund time"
    g.save()
    from bizenv.diff import diff

    result = [d for d in diff(str(old), str(new), ROOT) if d.added or d.removed or d.changed]
    assert {d.table for d in result} == {"assignments", "targets"}
    assert all(not d.added and not d.removed for d in result)


def test_ids_are_derived_from_what_is_printed():
    """Re-running the extractors gives the curated task and heading ids (so they survive re-curation)."""
    from bizenv.extract import extract_file

    docs = table(ROOT, "documents").rows
    curated = {r["task_id"] for r in table(ROOT, "tasks").rows}
    drafted = set()
    for d in docs:
        draft = extract_file(ROOT / d["source_file"], d["document_id"], d["layout"])
        drafted |= {t["task_id"] for t in draft.rows["tasks"]}
    assert drafted == curated


def test_a_retired_id_is_never_reused(pkg):
    from conftest import findings, rules_of

    t = table(pkg, "retired_ids")
    t.rows.append({"id": "xianning-2019-t005", "table_name": "tasks", "retired_in": "0.0.1",
                   "reason": "test: pretend this id was removed"})
    t.save()
    assert "retired-id-reused" in rules_of(findings(pkg, ["rules"]))


# --- the pull-request workflow, run locally with the same commands ---------------------------------------------

def test_pull_request_summary_posts_the_diff_against_the_base(tmp_path):
    import os

    root = repo_copy(tmp_path / "pkg")
    shutil.copytree(ROOT / "scripts", root / "scripts")
    subprocess.run(["git", "branch", "-m", "main"], cwd=root, check=True)
    subprocess.run(["git", "checkout", "-qb", "fix"], cwd=root, check=True)
    t = table(root, "tasks")
    t.find(task_id="echeng-2023-t020")["notes"] = "Re-read against line 172."
    t.save()
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qam", "fix"], cwd=root, check=True)
    summary = tmp_path / "summary.md"
    env = {**os.environ, "BIZENV": str(ROOT / ".venv" / "bin" / "bizenv")}
    subprocess.run(["scripts/pr_summary.sh", "main", str(summary)], cwd=root, check=True, env=env)
    text = summary.read_text(encoding="utf-8")
    assert "## Data changes against `main`" in text and "| tasks | 0 | 0 | 1 |" in text
    assert "- changed echeng-2023-t020 (" in text and ") notes: " in text


def test_the_workflow_runs_the_readme_test_command():
    workflow = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "run: make test" in workflow and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/pr_summary.sh" in workflow and "GITHUB_STEP_SUMMARY" in workflow

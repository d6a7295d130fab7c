"""bizenv diff: every pair of folder, zip and git revision; names beside ids; safe on hostile input."""

from __future__ import annotations

import itertools
import subprocess
import zipfile
from pathlib import Path

import pytest

from bizenv.cli import app
from conftest import ROOT, copy_package, table

GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
LONG_NOTE = "Re-read against the source: " + "the unit printed on this row is the transport bureau. " * 3


def git_repo(dest: Path) -> Path:
    copy_package(dest)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "first"]):
        subprocess.run([*GIT, *args], cwd=dest, check=True)
    return dest


def zip_folder(folder: Path, zip_path: Path) -> Path:
    with zipfile.ZipFile(zip_path, "w") as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file() and ".git" not in p.parts:
                zf.write(p, f"pkg-x/{p.relative_to(folder).as_posix()}")
    return zip_path


def change(root: Path) -> None:
    """Point one assignment at another existing unit and give a task a long note."""
    a = table(root, "assignments")
    a.find(task_id="xianning-2019-t001", role="lead", position="1")["unit_id"] = "xianning-u002"
    a.save()
    t = table(root, "tasks")
    t.find(task_id="gedian-2021-t007")["notes"] = LONG_NOTE
    t.save()


@pytest.fixture(scope="module")
def sides(tmp_path_factory):
    """The same two versions as folders, zips and commits (HEAD~1, HEAD) of one repository."""
    base = tmp_path_factory.mktemp("diff")
    old = copy_package(base / "old")
    new = copy_package(base / "new")
    change(new)
    repo = git_repo(base / "repo")
    change(repo)
    subprocess.run([*GIT, "commit", "-qam", "second"], cwd=repo, check=True)
    return {
        "folder": (str(old), str(new)),
        "zip": (str(zip_folder(old, base / "old.zip")), str(zip_folder(new, base / "new.zip"))),
        "rev": ("HEAD~1", "HEAD"),
        "repo": repo,
    }


def unit_name(unit_id):
    return table(ROOT, "units").find(unit_id=unit_id)["name"]


@pytest.mark.parametrize("old_kind,new_kind", list(itertools.product(["folder", "zip", "rev"], repeat=2)))
def test_diff_works_for_every_pair_of_folder_zip_and_revision(runner, sides, old_kind, new_kind):
    old, new = sides[old_kind][0], sides[new_kind][1]
    result = runner.invoke(app, ["diff", old, new, "-p", str(sides["repo"])])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("tasks ") and lines[1].startswith("assignments ")
    assert "~ xianning-2019-t001, lead, 1 (" in result.output
    assert (f"unit_id: 'xianning-u001' ({unit_name('xianning-u001')}) -> 'xianning-u002' "
            f"({unit_name('xianning-u002')})") in result.output
    # in the other direction too
    back = runner.invoke(app, ["diff", new, old, "-p", str(sides["repo"])])
    assert back.exit_code == 0 and "-> 'xianning-u001'" in back.output


def test_diff_of_the_same_version_says_so(runner, sides):
    import json

    tables = len(json.loads((sides["repo"] / "datapackage.json").read_text(encoding="utf-8"))["resources"])
    for old, new in (("HEAD", "HEAD"), (sides["zip"][1], sides["folder"][1]), (sides["rev"][1], str(sides["repo"]))):
        result = runner.invoke(app, ["diff", old, new, "-p", str(sides["repo"])])
        assert result.exit_code == 0 and result.output.strip() == f"No differences in {tables} tables.", result.output


def test_diff_lists_only_changed_tables_unless_all(runner, sides):
    old, new = sides["folder"]
    def listed(args):
        out = runner.invoke(app, ["diff", old, new, *args]).output.split("\n\n")[0]
        return [line.split()[0] for line in out.splitlines()]

    assert listed([]) == ["tasks", "assignments"]
    import json

    tables = [r["name"] for r in json.loads((sides["repo"] / "datapackage.json").read_text(encoding="utf-8"))["resources"]]
    assert sorted(listed(["--all"])) == sorted(tables)


def test_diff_names_tasks_beside_their_ids(runner, sides, tmp_path):
    old, new = sides["folder"]
    text = table(ROOT, "tasks").find(task_id="xianning-2019-t001")["text_clean"]
    out = runner.invoke(app, ["diff", old, new]).output
    assert f"~ xianning-2019-t001, lead, 1 ({text[:10]}" in out
    # a row keyed by its own id is named by its task's text
    newer = copy_package(tmp_path / "newer")
    t = table(newer, "targets")
    row = t.rows[0]
    row["notes"] = "Checked."
    t.save()
    task_text = table(ROOT, "tasks").find(task_id=row["task_id"])["text_clean"]
    out = runner.invoke(app, ["diff", old, str(newer)]).output
    assert f"~ {row['target_id']} ({task_text[:10]}" in out


def test_diff_clips_long_values_in_the_table_format_only(runner, sides):
    old, new = sides["folder"]
    clipped = runner.invoke(app, ["diff", old, new]).output
    assert LONG_NOTE.strip() not in clipped and "…" in clipped
    assert LONG_NOTE.strip() in runner.invoke(app, ["diff", old, new, "--full"]).output
    md = runner.invoke(app, ["diff", old, new, "--format", "markdown"]).output
    assert LONG_NOTE.strip().replace(".", "\\.").replace(":", "\\:") in md
    old_spelling = runner.invoke(app, ["diff", old, new, "--markdown"])  # still works, with a warning
    assert old_spelling.stdout == md and "deprecated; use --format markdown" in old_spelling.stderr


def test_diff_formats_are_those_of_query(runner, sides):
    import csv
    import io
    import json

    old, new = sides["folder"]
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["diff", old, new, "-f", "csv"]).output)))
    unit = next(r for r in rows if r["column"] == "unit_id")
    assert (unit["old"], unit["new"], unit["new_name"]) == ("xianning-u001", "xianning-u002",
                                                           unit_name("xianning-u002"))
    data = json.loads(runner.invoke(app, ["diff", old, new, "-f", "json"]).output)
    assert [d["table"] for d in data] == ["tasks", "assignments"]
    for bad in (["-f", "yaml"], ["--limit", "-1"], ["--limit", "x"]):
        assert runner.invoke(app, ["diff", old, new, *bad]).exit_code == 2, bad
    limited = runner.invoke(app, ["diff", old, new, "--limit", "1", "--all"]).output
    assert "~ xianning-2019-t001, lead, 1" in limited


# --- hostile input ---------------------------------------------------------------------------------------------

def test_git_options_are_refused_and_nothing_is_written(runner, sides):
    repo = sides["repo"]
    before = (repo / "data" / "units.csv").read_bytes()
    for ref in ("--output=data/units.csv", "--remote=x", "-o", "HEAD --output=x"):
        result = runner.invoke(app, ["diff", "-p", str(repo), "--", ref, "HEAD"])
        assert result.exit_code == 2, (ref, result.output)
        assert "not a package folder, a release zip or a git revision" in result.output
    assert (repo / "data" / "units.csv").read_bytes() == before
    assert "git arguments are not accepted" in runner.invoke(
        app, ["diff", "-p", str(repo), "--", "--output=data/units.csv"]).output
    assert not list(repo.glob("x")) and not (repo / "--output=x").exists()


def test_a_revision_with_control_characters_is_shown_escaped(runner, sides):
    result = runner.invoke(app, ["diff", "HEAD\x1b[31m\n", "HEAD", "-p", str(sides["repo"])])
    assert result.exit_code == 2 and "\x1b" not in result.output and "\\u001b" in result.output


def test_markdown_escapes_every_value(runner, tmp_path):
    from markdown_it import MarkdownIt

    old = copy_package(tmp_path / "old")
    new = copy_package(tmp_path / "new")
    hostile = ("x | y ` code ` <img src=x onerror=alert(1)> <script>z</script> [click](http://evil.example) "
               "www.evil.example @someone **bold** \x1b[31m\u202e\n## heading\n| a | b |")
    t = table(new, "tasks")
    t.find(task_id="gedian-2021-t007")["notes"] = hostile
    t.save()
    u = table(new, "units")
    u.rows[0]["name"] = "<b>unit</b>|"
    u.save()
    md = runner.invoke(app, ["diff", str(old), str(new), "--format", "markdown"]).output
    assert "\x1b" not in md and "\u202e" not in md and "<img" not in md and "<script" not in md
    body = [line for line in md.splitlines() if line.startswith("- changed")]
    assert len(body) == 2  # the line breaks in the value did not start new lines
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<img" not in html and "<script" not in html and "<a " not in html and "<code>" not in html
    assert "<strong>" not in html and "<h2>" not in html and "<b>" not in html
    assert html.count("<table>") == 1 and html.count("<tr>") == 3  # the summary: header, tasks, units
    assert "x | y" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_resource_paths_outside_the_package_are_not_read(runner, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("unit_id,name\nplanted-secret,SECRET\n", encoding="utf-8")
    old = copy_package(tmp_path / "old")
    (tmp_path / "schema.json").write_text('{"fields": [], "primaryKey": ["planted-secret"]}', encoding="utf-8")
    for variant in ("symlink", "dotdot", "absolute", "url", "schema"):
        new = copy_package(tmp_path / variant)
        if variant == "symlink":
            (new / "data" / "units.csv").unlink()
            (new / "data" / "units.csv").symlink_to(secret)
        else:
            import json

            desc = json.loads((new / "datapackage.json").read_text(encoding="utf-8"))
            unit = next(r for r in desc["resources"] if r["name"] == "units")
            if variant == "schema":
                unit["schema"] = "../schema.json"
            else:
                unit["path"] = {"dotdot": "../secret.csv", "absolute": str(secret),
                                "url": "http://127.0.0.1:9/units.csv"}[variant]
            (new / "datapackage.json").write_text(json.dumps(desc), encoding="utf-8")
        result = runner.invoke(app, ["diff", str(old), str(new)])
        assert result.exit_code == 2, (variant, result.output)
        assert "planted-secret" not in result.output and "SECRET" not in result.output


def test_bad_zips_and_files_get_a_clear_message(runner, tmp_path, monkeypatch):
    pkg = copy_package(tmp_path / "pkg")
    empty = tmp_path / "empty.zip"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    for ref in (str(empty), str(garbage), str(tmp_path / "missing.zip"), ""):
        result = runner.invoke(app, ["diff", ref, str(pkg)])
        assert result.exit_code == 2, (ref, result.output)
        assert "not a package folder, a release zip or a git revision" in result.output
    big = zip_folder(pkg, tmp_path / "big.zip")
    import bizenv.diff

    monkeypatch.setattr(bizenv.diff, "MAX_UNPACKED", 1000)
    result = runner.invoke(app, ["diff", str(big), str(pkg)])
    assert result.exit_code == 2 and "unpacks to more than 1000 bytes" in result.output


def test_a_csv_that_is_not_utf8_gets_a_clear_message(runner, tmp_path):
    old = copy_package(tmp_path / "old")
    new = copy_package(tmp_path / "new")
    path = new / "data" / "units.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    result = runner.invoke(app, ["diff", str(old), str(new)])
    assert result.exit_code == 2 and "data/units.csv: cannot be read as a UTF-8 CSV" in result.output
    assert "bizenv normalize" in result.output


def test_releasing_md_and_help_use_forms_that_work(runner):
    text = (ROOT / "RELEASING.md").read_text(encoding="utf-8")
    assert "--markdown" not in text and "--format markdown" in text
    help_text = runner.invoke(app, ["diff", "--help"]).output
    assert "bizenv diff HEAD~1 HEAD --format markdown" in help_text
    assert "--format markdown" in (ROOT / "scripts" / "pr_summary.sh").read_text(encoding="utf-8")


def test_diff_between_two_commits_of_this_repository(runner):
    """The form RELEASING.md gives, on this repository's own history."""
    if subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD~1"], cwd=ROOT, capture_output=True).returncode:
        pytest.skip("no git history")
    result = runner.invoke(app, ["diff", "HEAD~1", "HEAD", "-p", str(ROOT)])
    assert result.exit_code == 0, result.output

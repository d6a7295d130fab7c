"""Contributor messages: identical findings grouped, verbatim mismatches located, bizenv normalize."""

from __future__ import annotations

import json
import os

import pytest

from bizenv.cli import app
from conftest import ROOT, table


# --- identical findings in one column are grouped --------------------------------------------------------------

def test_identical_findings_in_one_column_are_one_message(runner, pkg):
    path = pkg / "data" / "assignments.csv"
    text = path.read_text(encoding="utf-8")
    n = sum(1 for r in table(ROOT, "assignments").rows if r["inherited"] == "false")
    assert n > 100
    path.write_text(text.replace(",false,", ",FALSE,"), encoding="utf-8")
    result = runner.invoke(app, ["validate", "-p", str(pkg), "-l", "structure"])
    assert result.exit_code == 1
    out = result.output.splitlines()
    heads = [line for line in out if line.startswith("ERROR")]
    assert heads == [f"ERROR [structure/type-error] data/assignments.csv, column inherited: {n:,} rows"]
    first = [i + 2 for i, r in enumerate(table(ROOT, "assignments").rows) if r["inherited"] == "false"][:5]
    detail = next(line for line in out if "identical in" in line)
    assert detail.startswith(f"    identical in {n:,} rows: line {first[0]} (key ")
    assert f"and {n - 5:,} more" in detail and len(out) == 4
    # machines still get every finding
    data = json.loads(runner.invoke(app, ["validate", "-p", str(pkg), "-l", "structure", "-f", "json"]).output)
    assert data["errors"] == n and len(data["findings"]) == n


def test_a_few_identical_findings_stay_separate(runner, pkg):
    t = table(pkg, "assignments")
    for r in t.rows[:3]:
        r["inherited"] = "FALSE"
    t.save()
    out = runner.invoke(app, ["validate", "-p", str(pkg), "-l", "structure"]).output
    assert sum(line.startswith("ERROR") for line in out.splitlines()) == 3 and "identical in" not in out


def test_different_values_are_not_grouped():
    from bizenv.findings import Finding, render_text

    found = [Finding("structure", "type-error", "bad", table="t", file="data/t.csv", row=i, column="c",
                     value=str(i)) for i in range(10)]
    assert render_text(found, {}).count("ERROR") == 10


# --- a verbatim mismatch says where ------------------------------------------------------------------------------

def verbatim_message(runner, pkg, task_id, edit):
    t = table(pkg, "tasks")
    row = t.find(task_id=task_id)
    row["text"] = edit(row["text"])
    from bizenv.cells import clean_text

    row["text_clean"] = clean_text(row["text"])
    t.save()
    result = runner.invoke(app, ["validate", "-p", str(pkg), "-l", "provenance", "-f", "json"])
    found = [f for f in json.loads(result.output)["findings"] if f["key"] == task_id and f["column"] == "text"]
    assert len(found) == 1, result.output
    return found[0]["message"]


def test_a_verbatim_mismatch_shows_the_first_differing_character(runner, pkg):
    message = verbatim_message(runner, pkg, "xianning-2019-t002", lambda s: s.replace("高质量", "高品质", 1))
    original = table(ROOT, "tasks").find(task_id="xianning-2019-t002")["text"]
    k = original.index("高质量") + 1
    assert f"first difference at character {k + 1} of the value, '品' (U+54C1) where the source has '质' (U+8D28)" \
        in message
    assert "value …领域，落实一批高[品]质的项目吸引社会…" in message
    assert "source …领域，落实一批高[质]量的项目吸引社会…" in message


def test_a_look_alike_character_is_named_by_its_code_point(runner, pkg):
    message = verbatim_message(runner, pkg, "xianning-2019-t003", lambda s: s.replace("。", "．"))
    assert "'．' (U+FF0E) where the source has '。' (U+3002)" in message


def test_a_value_longer_than_its_line(runner, pkg):
    message = verbatim_message(runner, pkg, "xianning-2019-t003", lambda s: s + "补充")
    assert "'补' (U+8865) where the source has the end of the line" in message


def test_first_difference_edge_cases():
    from bizenv.findings import first_difference

    assert first_difference("abc", "xxabcxx") == ""
    assert first_difference("", "x") == "" and first_difference("x", None) == ""
    assert "its first character 'q' (U+0071) is not on that line" in first_difference("qrs", "abc")
    assert "\n" not in first_difference("ab\nX", "ab\nY")


# --- bizenv normalize ----------------------------------------------------------------------------------------------

def spoil(pkg):
    """What a spreadsheet does: GB18030, CRLF, a BOM, columns moved, a stale derived column."""
    tasks = pkg / "data" / "tasks.csv"
    tasks.write_bytes(tasks.read_text(encoding="utf-8").replace("\n", "\r\n").encode("gb18030"))
    units = pkg / "data" / "units.csv"
    t = table(pkg, "units")
    t.fields = [t.fields[1], t.fields[0], *t.fields[2:]]
    t.save()
    units.write_bytes(b"\xef\xbb\xbf" + units.read_bytes())
    return {p: (ROOT / "data" / p.name).read_bytes() for p in (tasks, units)}


def snapshot(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_normalize_brings_files_back_to_the_canonical_form(runner, pkg):
    originals = spoil(pkg)
    assert runner.invoke(app, ["validate", "-p", str(pkg), "-l", "structure"]).exit_code == 1
    check = runner.invoke(app, ["normalize", "--check", "-p", str(pkg)])
    import json

    tables = len(json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))["resources"])
    assert check.exit_code == 1 and f"2 of {tables} file(s) would change" in check.output
    assert all(p.read_bytes() != content for p, content in originals.items())  # --check wrote nothing
    result = runner.invoke(app, ["normalize", "-p", str(pkg)])
    assert result.exit_code == 0, result.output
    assert "data/tasks.csv: converted from GBK/GB18030 to UTF-8; line ends CRLF -> LF" in result.output
    assert "data/units.csv: removed the UTF-8 byte-order mark; columns put in the order of the Table Schema" \
        in result.output
    assert all(p.read_bytes() == content for p, content in originals.items())
    assert runner.invoke(app, ["validate", "-p", str(pkg)]).exit_code == 0
    again = runner.invoke(app, ["normalize", "-p", str(pkg)])
    assert f"all {tables} file(s) are in canonical form; nothing written" in again.output


def test_normalize_recomputes_text_clean(runner, pkg):
    t = table(pkg, "tasks")
    row = t.find(task_id="gedian-2021-t007")
    row["text_clean"] = "stale"
    t.save()
    cwd = os.getcwd()
    os.chdir(pkg)
    try:
        result = runner.invoke(app, ["normalize", "data/tasks.csv"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0 and "recomputed text_clean from text on 1 row(s)" in result.output
    assert (pkg / "data" / "tasks.csv").read_bytes() == (ROOT / "data" / "tasks.csv").read_bytes()


def test_the_corpus_is_in_canonical_form(runner):
    result = runner.invoke(app, ["normalize", "--check", "-p", str(ROOT)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", ["../datapackage.json", "../sources/000_dafdbac775655222.txt", "/etc/passwd",
                                  "../../outside.csv", "data", "data/../schemas/tasks.json", "data/nope.csv"])
def test_normalize_refuses_files_outside_data(runner, pkg, name):
    (pkg.parent / "outside.csv").write_text("x\n", encoding="utf-8")
    before = snapshot(pkg.parent)
    arg = name if name.startswith("/") else str(pkg / "data" / name) if name.startswith("..") else str(pkg / name)
    result = runner.invoke(app, ["normalize", arg, "-p", str(pkg)])
    assert result.exit_code == 1, result.output
    assert "outside data/" in result.output or "not a table of the package" in result.output
    assert "nothing was written" in result.output
    assert snapshot(pkg.parent) == before


def test_normalize_never_writes_through_a_link(runner, pkg, tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_bytes(b"\xef\xbb\xbf" + (ROOT / "data" / "units.csv").read_bytes())
    (pkg / "data" / "units.csv").unlink()
    (pkg / "data" / "units.csv").symlink_to(outside)
    for args in (["normalize"], ["normalize", str(pkg / "data" / "units.csv")]):
        result = runner.invoke(app, [*args, "-p", str(pkg)])
        assert result.exit_code == 1 and ("a link" in result.output or "leads outside the package" in result.output), \
            result.output
    assert outside.read_bytes().startswith(b"\xef\xbb\xbf")


def test_normalize_never_follows_a_linked_data_folder(runner, pkg, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (pkg / "data").rename(elsewhere)
    (pkg / "data").symlink_to(elsewhere)
    (elsewhere / "units.csv").write_bytes(b"\xef\xbb\xbf" + (elsewhere / "units.csv").read_bytes())
    before = snapshot(elsewhere)
    result = runner.invoke(app, ["normalize", str(pkg / "data" / "units.csv"), "-p", str(pkg)])
    assert result.exit_code == 1 and ("outside data/" in result.output or "leads outside the package" in result.output)
    whole = runner.invoke(app, ["normalize", "-p", str(pkg)])
    assert whole.exit_code == 1 and "leads outside the package" in whole.output, whole.output
    assert snapshot(elsewhere) == before


@pytest.mark.parametrize("content,message", [
    (b"", "empty; a table needs at least its header line"),
    (b"\n\n", "empty; a table needs at least its header line"),
    (b"\xff\xff\xff\n", "line 1: bytes that are neither UTF-8 nor GBK/GB18030"),
    (b"unit_id,name,extra\n", "not in the Table Schema: 'extra'"),
    (b"unit_id,unit_id\n", "column 'unit_id' appears twice"),
    (b"unit_id,name,jurisdiction,unit_type,name_en,function,parent_unit_id,notes\nx,y\n",
     "line 2: 2 cells where the header has 8"),
    (b"unit_id,name,jurisdiction,unit_type,name_en,function,parent_unit_id,notes\nx\x00,y\n", "a NUL character"),
])
def test_normalize_refuses_malformed_files_and_writes_nothing(runner, pkg, content, message):
    tasks = pkg / "data" / "tasks.csv"
    tasks.write_bytes(tasks.read_bytes().replace(b"\n", b"\r\n"))  # would be normalized, but the run fails
    (pkg / "data" / "units.csv").write_bytes(content)
    before = snapshot(pkg)
    result = runner.invoke(app, ["normalize", "-p", str(pkg)])
    assert result.exit_code == 1 and message in result.output and "nothing was written" in result.output, \
        result.output
    assert "data/units.csv" in result.output and "Traceback" not in result.output
    assert snapshot(pkg) == before


def test_normalize_refuses_a_huge_file(runner, pkg, monkeypatch):
    import bizenv.normalize

    monkeypatch.setattr(bizenv.normalize, "MAX_BYTES", 1000)
    before = snapshot(pkg)
    result = runner.invoke(app, ["normalize", "-p", str(pkg)])
    assert result.exit_code == 1 and "more than the 1,000 normalize reads" in result.output
    assert snapshot(pkg) == before


def test_normalize_refuses_a_fifo_without_waiting(runner, pkg):
    (pkg / "data" / "units.csv").unlink()
    os.mkfifo(pkg / "data" / "units.csv")
    result = runner.invoke(app, ["normalize", "-p", str(pkg)])
    assert result.exit_code == 1 and ("data/units.csv: not a regular file" in result.output
                                      or "'data/units.csv' refused: it is a FIFO" in result.output)


def test_normalize_is_all_or_nothing_when_a_write_fails(pkg, monkeypatch):
    import bizenv.normalize as normalize
    from bizenv.package import Package

    spoil(pkg)
    before = snapshot(pkg)
    plans = normalize.plan(Package.open(pkg))
    assert sum(p.changed for p in plans) == 2
    real, calls = normalize.os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(normalize.os, "replace", replace)
    with pytest.raises(OSError):
        normalize.apply(plans)
    monkeypatch.setattr(normalize.os, "replace", real)
    assert snapshot(pkg) == before


def test_normalize_reports_a_write_failure_cleanly(runner, pkg, monkeypatch):
    import bizenv.normalize as normalize

    spoil(pkg)
    before = snapshot(pkg)
    monkeypatch.setattr(normalize, "_atomic_write", lambda *a: (_ for _ in ()).throw(OSError(30, "Read-only")))
    result = runner.invoke(app, ["normalize", "-p", str(pkg)])
    assert result.exit_code == 1 and "every file was restored" in result.output
    assert snapshot(pkg) == before

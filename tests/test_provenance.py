"""The provenance layer checks the sources batch by batch: the findings do not depend on how the
documents are cut into batches, nor on whether a CSV keeps each document's rows together."""

from __future__ import annotations

import dataclasses
import os
import random

import pytest

from conftest import findings, table


def broken(root):
    """Break the copy in every way the line and document checks can see."""
    t = table(root, "tasks")
    t.find(task_id="xianning-2019-t010")["text"] += "。"  # not on its line
    t.find(task_id="gedian-2021-t003")["source_line"] = ""  # no line given
    t.find(task_id="echeng-2023-t005")["source_line"] = "0"
    t.save()
    t = table(root, "assignments")
    t.find(task_id="xianning-2019-t014", role="lead", position="1")["name_as_printed"] = "市发展改革委"
    row = t.find(task_id="xianning-2019-t022", role="lead", position="1")  # spans two lines, found
    row["name_as_printed"] = "市税务局、\n市财政局"
    row = t.find(task_id="xiangyang-2020-t004", role="lead", position="1")  # spans lines, not found
    row["name_as_printed"] = row["name_as_printed"] + "\n无此单位"
    t.save()
    t = table(root, "deadlines")
    row = t.find(task_id="xianning-2019-t015")
    row["source_line"] = str(int(row["source_line"]) + 7)
    t.save()
    t = table(root, "measures")
    t.find(measure_id="xianning-2019-s2.6")["label"] = "(六)"
    t.save()
    t = table(root, "documents")  # a document whose source is not UTF-8, one whose source is missing
    gbk = t.find(document_id="gedian-2021")
    (root / gbk["source_file"]).write_bytes((root / gbk["source_file"]).read_bytes() + "终".encode("gbk"))
    t.find(document_id="xianning-2020-summary")["source_file"] = "sources/none.txt"
    t.save()


def as_dicts(found):
    return [dataclasses.asdict(f) for f in found]


def provenance(root, monkeypatch, batch_bytes):
    from bizenv.validate import provenance as module

    monkeypatch.setattr(module, "BATCH_BYTES", batch_bytes)
    return as_dicts(findings(root, ["provenance"]))


def test_batches_of_one_document_find_what_one_batch_finds(pkg, monkeypatch):
    broken(pkg)
    one = provenance(pkg, monkeypatch, 1 << 40)
    assert provenance(pkg, monkeypatch, 1) == one  # every document a batch of its own
    found = {(f["rule"], f["table"], f["column"]) for f in one}
    assert found >= {("verbatim-line", "tasks", "text"), ("verbatim-line", "assignments", "name_as_printed"),
                     ("verbatim-line", "deadlines", "raw_text"), ("verbatim-line", "measures", "label"),
                     ("source-encoding", "documents", "source_file"), ("source-missing", "documents", "source_file"),
                     ("source-sha256", "documents", "source_sha256")}, found
    spanning = [f for f in one if f["table"] == "assignments" and "\n" in (f["value"] or "")]
    assert [f["key"] for f in spanning] == ["xiangyang-2020-t004, lead, 1"], spanning
    untraced = [f for f in one if f["key"] == "gedian-2021-t003" and f["column"] == "text"]
    assert untraced and untraced[0]["message"] == "no source_line is given, so the value cannot be traced"


def test_rows_not_grouped_by_document_give_the_same_findings(pkg, monkeypatch):
    broken(pkg)
    grouped = provenance(pkg, monkeypatch, 1)
    rng = random.Random(15)
    for name in ("tasks", "assignments", "deadlines", "measures", "documents"):
        t = table(pkg, name)
        rng.shuffle(t.rows)
        t.save()
    for batch_bytes in (1, 1 << 40):
        shuffled = provenance(pkg, monkeypatch, batch_bytes)
        # the same findings, at the rows the shuffle moved them to
        same = ["rule", "table", "column", "key", "value", "message"]
        assert sorted(tuple(f[k] for k in same) for f in shuffled) == sorted(tuple(f[k] for k in same)
                                                                            for f in grouped)
        moved = {(f["table"], f["key"]): f["row"] for f in shuffled}
        for name in ("tasks", "assignments"):
            t = table(pkg, name)
            for (tname, key), row in moved.items():
                if tname == name and key:
                    assert ", ".join(t.rows[row - 2][k] for k in ("task_id", "role", "position")
                                     if k in t.fields)[:len(key)] == key


def test_a_line_number_past_the_end_of_its_file(pkg, monkeypatch):
    """The last line of a file (empty when the file ends with a line break) is a line; the one after is not."""
    from bizenv.findings import first_difference

    t = table(pkg, "documents")
    docs = {r["document_id"]: (pkg / r["source_file"]).read_text(encoding="utf-8").split("\n") for r in t.rows}
    t = table(pkg, "tasks")
    expected = {}
    for doc, lines in docs.items():  # the first task of every document, at its file's last line and after it
        rows = [r for r in t.rows if r["document_id"] == doc][:2]
        for row, number in zip(rows, (len(lines), len(lines) + 1)):
            row["source_line"] = str(number)
            source = lines[number - 1] if number <= len(lines) else None
            expected[row["task_id"]] = (f"not found verbatim on line {number} of the source"
                                        f"{first_difference(row['text'], source)}")
    t.save()
    for batch_bytes in (1, 1 << 40):
        got = {f["key"]: f["message"] for f in provenance(pkg, monkeypatch, batch_bytes)
               if f["table"] == "tasks" and f["column"] == "text"}
        assert got == expected


def test_documents_that_share_an_identifier_or_a_file(pkg, monkeypatch):
    """Matched together, whatever the batches: a line of each copy of the file is a line of the
    document (a value not on it is reported for each), a line that no copy has is reported once."""
    broken(pkg)
    t = table(pkg, "documents")
    t.rows.append(dict(t.find(document_id="xianning-2019")))  # the same identifier (and file) twice
    copy = dict(t.find(document_id="echeng-2023"))
    copy["document_id"] = "echeng-2023-copy"  # the same file twice
    t.rows.append(copy)
    t.save()
    t = table(pkg, "tasks")
    t.find(task_id="xianning-2019-t020")["source_line"] = "100000"
    t.save()
    found = provenance(pkg, monkeypatch, 1)
    assert found == provenance(pkg, monkeypatch, 1 << 40)
    keys = [f["key"] for f in found if f["table"] == "tasks" and f["column"] == "text"]
    assert keys.count("xianning-2019-t010") == 4 and keys.count("xianning-2019-t020") == 1


# --- the path gate for many source files at once -------------------------------------------------------

@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "pkg"
    (root / "sources" / "deep").mkdir(parents=True)
    (root / "sources" / "a.txt").write_text("a\n", encoding="utf-8")
    (root / "sources" / "deep" / "b.txt").write_text("b\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret\n", encoding="utf-8")
    (root / "sources" / "inside").symlink_to(root / "sources" / "a.txt")
    (root / "sources" / "outside").symlink_to(tmp_path / "secret.txt")
    (root / "linked").symlink_to(tmp_path)  # a folder that leads outside
    (root / "sources" / "loop").symlink_to(root / "sources" / "loop")
    os.mkfifo(root / "sources" / "fifo")
    return root


NAMES = ["sources/a.txt", "sources/deep/b.txt", "sources/inside", "sources/outside", "linked/secret.txt",
         "sources/../../secret.txt", "sources/./a.txt", "sources//a.txt", "sources/none.txt", "none/a.txt",
         "sources/a.txt/x", "sources", "sources/deep", "sources/fifo", "sources/loop", "a.txt", "/etc/passwd",
         "http://x/y", "sources\\a.txt", "", "sources/\x1b.txt", None]


def test_many_source_paths_pass_the_same_gate_as_one(tree):
    from bizenv.paths import MAX_SOURCE_BYTES, PathRefused, package_file, package_files

    def one(name):
        try:
            path = package_file(tree, name, "source_file", max_bytes=MAX_SOURCE_BYTES)
            return path, path.stat().st_size
        except PathRefused as exc:
            return str(exc)

    many = [r if isinstance(r, tuple) else str(r)
            for r in package_files(tree, NAMES, "source_file", max_bytes=MAX_SOURCE_BYTES)]
    assert many == [one(n) for n in NAMES]
    assert [n for n, r in zip(NAMES, many) if isinstance(r, tuple)] == [
        "sources/a.txt", "sources/deep/b.txt", "sources/inside", "sources/./a.txt", "sources//a.txt"]

"""Deadline parsing, cell splitting, numerals, and the column-table extractor."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from bizenv.cells import split_units
from bizenv.deadlines import date_parts_sql, derive_sql, parse_cell
from bizenv.numerals import cn_to_int
from conftest import ROOT


@pytest.mark.parametrize("cell,expected", [
    ("2019年6月", [("2019年6月", "fixed", "2019-06-30", "month", None)]),
    ("2020年2月", [("2020年2月", "fixed", "2020-02-29", "month", None)]),
    ("2019年3月底前完成，长期推进", [("2019年3月底前完成", "fixed", "2019-03-31", "month", "完成"),
                                    ("长期推进", "ongoing", None, None, None)]),
    ("2019年6月底取得明显进展，2019年12月完成", [("2019年6月底取得明显进展", "fixed", "2019-06-30", "month", "取得明显进展"),
                                              ("2019年12月完成", "fixed", "2019-12-31", "month", "完成")]),
    ("2021年底", [("2021年底", "fixed", "2021-12-31", "year", None)]),
    ("2021年第三季度", [("2021年第三季度", "fixed", "2021-09-30", "quarter", None)]),
    ("2021年4月19日", [("2021年4月19日", "fixed", "2021-04-19", "day", None)]),
    ("根据省统一安排", [("根据省统一安排", "per_superior", None, None, None)]),
    ("持续推进", [("持续推进", "ongoing", None, None, None)]),
    ("\u3000", [("", "none", None, None, None)]),
])
def test_parse_cell(cell, expected):
    got = [(d.raw_text, d.kind, d.due_date, d.precision, d.milestone) for d in parse_cell(cell)]
    assert got == expected


def test_vectorized_derivation_agrees_with_the_parser_on_every_curated_deadline():
    import duckdb

    with (ROOT / "data" / "deadlines.csv").open(encoding="utf-8", newline="") as f:
        raw = [r["raw_text"] for r in csv.DictReader(f)]
    raw += ["2021年第三季度", "2021年4月19日", "2024年2月", "2021年底", "2021年三季度", "2023年2月30日", "长期推进"]
    due, precision = derive_sql("parts")
    con = duckdb.connect()
    rows = con.execute(f"SELECT raw, strftime({due}, '%Y-%m-%d'), {precision} "
                       f"FROM (SELECT raw, {date_parts_sql('raw')} AS parts FROM unnest(?) AS t(raw))",
                       [raw]).fetchall()
    assert len(rows) == len(raw)
    for text, got_due, got_precision in rows:
        d = parse_cell(text)[0] if text else None
        expected = (d.due_date, d.precision) if d else (None, None)
        if text == "2023年2月30日":  # an impossible day: drafted as printed (the Table Schema rejects it); no date here
            assert got_due is None
            continue
        assert (got_due, got_precision) == expected, text


def test_split_units_keeps_printed_forms_and_lines():
    cell = [(161, "市税务局、"), (162, "市财政局")]
    assert split_units(cell) == [("市税务局", 161), ("市财政局", 162)]
    assert split_units([(5, "市发改委（市信用办）、市住建局等，各县市区人民政府\u3000")]) == [
        ("市发改委（市信用办）", 5), ("市住建局等", 5), ("各县市区人民政府", 5)]
    # a clause that wraps, given as one piece: each name on its own line, no line break kept around it
    assert split_units([(7, "市政府督查室、\n市人民政府办公室，\r\n\n市财\n政局")]) == [
        ("市政府督查室", 7), ("市人民政府办公室", 8), ("市财\n政局", 10)]


@pytest.mark.parametrize("text,value", [("一", 1), ("十", 10), ("十一", 11), ("二十", 20), ("二十九", 29), ("7", 7)])
def test_cn_to_int(text, value):
    assert cn_to_int(text) == value


def test_cn_to_int_rejects_other_text():
    with pytest.raises(ValueError):
        cn_to_int("甲")


def test_table_extractor_drafts_agree_with_the_curated_rows(tmp_path):
    """The script wrapper reproduces every undamaged row; curated rows differ only where notes say why."""
    out = tmp_path / "draft"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "extract_table.py"),
                    str(ROOT / "sources" / "000_dafdbac775655222.txt"), "xianning-2019", str(out)], check=True)

    def rows(folder, name, key):
        with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            return {tuple(r[k] for k in key): r for r in csv.DictReader(f)}

    draft = rows(out, "tasks", ["task_id"])
    curated = {k: r for k, r in rows(ROOT / "data", "tasks", ["task_id"]).items() if r["document_id"] == "xianning-2019"}
    assert draft.keys() == curated.keys() and len(draft) == 72
    for key, row in curated.items():
        differs = [c for c in ("seq", "label", "text", "status", "source_line", "measure_id") if draft[key][c] != row[c]]
        assert not differs or row["notes"], (key, differs)
    key = ["task_id", "role", "position"]
    draft_a = rows(out, "assignments", key)
    curated_a = {k: r for k, r in rows(ROOT / "data", "assignments", key).items() if k[0].startswith("xianning-2019-")}
    for k, row in curated_a.items():
        d = draft_a.get(k)
        same = d is not None and all(d[c] == row[c] for c in ("name_as_printed", "source_line"))
        assert same or row["notes"], k
    dkey = ["task_id", "position"]
    draft_d = rows(out, "deadlines", dkey)
    curated_d = {k: r for k, r in rows(ROOT / "data", "deadlines", dkey).items() if k[0].startswith("xianning-2019-")}
    assert draft_d.keys() == curated_d.keys()
    for k, row in curated_d.items():
        cols = ("raw_text", "due_date", "precision", "kind", "milestone")
        assert all(draft_d[k][c] == row[c] for c in cols) or row["notes"], k


def test_cli_start_up_imports_no_heavy_library():
    code = ("import sys, bizenv.cli; heavy = {'pandas', 'pandera', 'frictionless', 'duckdb', 'pyarrow', 'numpy'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("document_id", ["xianning-2019", "xiangyang-2020", "gedian-2021", "echeng-2023"])
def test_every_curated_document_passes_the_audit(document_id):
    """All four extractors run on their sources; every difference from the draft is explained."""
    from bizenv.extract.audit import audit
    from bizenv.package import Package

    diffs, _ = audit(Package.open(ROOT), document_id)
    assert [d for d in diffs if not d.explained] == []


def test_an_empty_row_before_a_new_measure_stays_with_the_measure_it_stands_in():
    """Echeng row 127 is empty (lines 1027-1033); measure 73 is first printed on the next row."""
    from pathlib import Path

    from bizenv.extract import extract_file

    draft = extract_file(Path(ROOT / "sources" / "003_93e4f6e5095531b4.txt"), "echeng-2023", "column_table")
    missing = {t["seq"]: t["measure_id"] for t in draft.rows["tasks"] if t["status"] == "row_missing"}
    assert missing == {58: "echeng-2023-s8.29", 72: "echeng-2023-s10.38", 127: "echeng-2023-s17.72"}


def test_clean_sql_is_clean_text():
    """The SQL form of text_clean (used by the validator) equals the Python one on awkward texts."""
    import duckdb
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from bizenv.cells import WS, clean_sql, clean_text

    con = duckdb.connect()
    alphabet = st.sampled_from(list(WS) + list("中文，。“”（）AB1 \u2003\u2028\x0b\x1c") + ["\u3001", "\uff08"])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.text(alphabet=alphabet, max_size=12), min_size=1, max_size=20))
    def check(texts):
        got = [r[0] for r in con.execute(f"SELECT {clean_sql('x')} FROM unnest(?) WITH ORDINALITY AS t(x, i) "
                                         "ORDER BY i", [texts]).fetchall()]
        assert got == [clean_text(t) for t in texts]

    check()


def test_whitespace_list_is_what_python_strips():
    """clean_sql trims with a written-out list of the characters str.strip() removes: it must be every one
    of them on this Python, and nothing else (a broken list would let the SQL and Python rules disagree)."""
    from bizenv.cells import PYTHON_WHITESPACE

    assert PYTHON_WHITESPACE == "".join(ch for ch in map(chr, range(0x110000)) if ch.isspace())

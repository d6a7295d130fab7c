"""Targets are curated the same way in every document (curation.md 7).

Quantities in Chinese numerals are recorded exactly where the same quantity in Arabic digits
would be (value_status = numeral, checked against the quote); round-the-clock service hours,
free seals, zero fees, frequencies per period and reported ranks are found in every document.
"""

from __future__ import annotations

import csv
import re

import pytest

from conftest import ROOT, findings, table

CN = "零一二两三四五六七八九十"


def read(name):
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


TASKS = read("tasks")
TARGETS = read("targets")


def targets_of(task_id, **match):
    return [g for g in TARGETS if g["task_id"] == task_id and all(g[k] == v for k, v in match.items())]


def cases(pattern):
    """(task_id, matched text) for every match of ``pattern`` in the clean task texts."""
    return [(t["task_id"], m.group(0)) for t in TASKS for m in re.finditer(pattern, t["text_clean"] or "")]


@pytest.mark.parametrize("task_id,printed", cases(f"[{CN}]+枚"))
def test_seals_in_chinese_numerals_are_counted(task_id, printed):
    assert targets_of(task_id, unit="piece", value_status="numeral"), printed


@pytest.mark.parametrize("task_id,printed", cases(r"24小时(?:自助|不打烊|在线|不间断|“不)"))
def test_round_the_clock_service_hours_are_recorded_in_every_document(task_id, printed):
    assert targets_of(task_id, unit="hour", value="24", comparator="="), printed


@pytest.mark.parametrize("task_id,printed", cases(r"(?<!“)[0零]费用(?!”)"))
def test_zero_fees_are_recorded_in_digits_and_in_numerals(task_id, printed):
    assert targets_of(task_id, unit="cny", value="0"), printed


@pytest.mark.parametrize("task_id,printed", cases(f"(?:每(?:年|季度|月)|一年)[^，。,;；]{{0,20}}?[{CN}]次(?!性)"))
def test_frequencies_per_period_are_recorded(task_id, printed):
    assert targets_of(task_id, unit="times", value_status="numeral"), printed


@pytest.mark.parametrize("task_id,printed", cases(f"排名第[{CN}]+"))
def test_reported_ranks_are_recorded(task_id, printed):
    from bizenv.numerals import cn_to_int

    rank = cn_to_int(printed.removeprefix("排名第"))
    assert [g["value"] for g in targets_of(task_id, unit="rank")] == [str(rank)], printed


def test_the_cases_exist():
    """The consistency checks above are not vacuous."""
    assert len(cases(f"[{CN}]+枚")) == 3 and len(cases(f"排名第[{CN}]+")) == 2
    assert len(cases(r"24小时(?:自助|不打烊|在线|不间断|“不)")) == 5 and len(cases(r"(?<!“)[0零]费用(?!”)")) == 5


def test_slogans_and_names_are_not_targets():
    """一网通办, 最多跑一次, 一窗受理 and the like carry no numeral target."""
    numeral = [g for g in TARGETS if g["value_status"] == "numeral"]
    assert numeral
    for g in numeral:
        assert not re.search("一网|一窗|跑一次|一次办|一批|三级|五级", g["quote"].replace(" ", "")), g["target_id"]


@pytest.mark.parametrize("change", [{"value": "5"}, {"value": "4.5"}, {"unit_raw": "个"}])
def test_a_numeral_value_must_be_the_numeral_printed_next_to_its_unit(pkg, change):
    t = table(pkg, "targets")
    row = t.find(target_id="xiangyang-2020-t016-v5")  # 零费用赠送一套四枚公章 -> 4 枚
    row.update(change)
    t.save()
    found = [(f.rule, f.row) for f in findings(pkg, ["rules"])]
    assert ("target-numeral", t.row_number(row)) in found


def test_two_may_be_printed_as_liang(pkg):
    t = table(pkg, "targets")
    row = t.find(target_id="xianning-2020-summary-t004-v2")  # 两年内不得参与招投标
    assert row["value"] == "2"
    assert findings(pkg, ["rules"]) == []
    row["value"] = "3"
    t.save()
    assert [f.rule for f in findings(pkg, ["rules"])] == ["target-numeral"]

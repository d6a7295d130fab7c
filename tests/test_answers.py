"""Answers that do not mislead: views say where a count comes from, and text can be searched clean.

The README's examples themselves are run and compared in test_readme.py.
"""

from __future__ import annotations

import csv
import json
from collections import Counter

from bizenv.cli import app
from conftest import ROOT


def read(name):
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def query(runner, root, sql):
    result = runner.invoke(app, ["query", sql, "-p", str(root), "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_unit_workload_separates_leads_on_the_row_from_inherited_ones(runner, built_pkg):
    """区市场监管局 leads 25 Echeng tasks, but is printed as lead on 11 rows; 14 come from merged cells."""
    rows = {r["unit_id"]: r for r in query(runner, built_pkg, "SELECT * FROM unit_workload")}
    amr = rows["echeng-u001"]
    assert (amr["tasks_led"], amr["tasks_led_on_row"], amr["tasks_led_inherited"]) == (25, 11, 14)
    # against the CSV: a task is led on the row when one of the agency's lead rows is not inherited
    units = {u["unit_id"]: u for u in read("units")}

    def agency(uid):
        while units[uid]["parent_unit_id"]:
            uid = units[uid]["parent_unit_id"]
        return uid

    on_row = Counter(u for _, u in {(a["task_id"], agency(a["unit_id"])) for a in read("assignments")
                                    if a["role"] == "lead" and a["inherited"] == "false"})
    assert {k: r["tasks_led_on_row"] for k, r in rows.items() if r["tasks_led_on_row"]} == dict(on_row)
    for r in rows.values():
        assert r["tasks_led"] == r["tasks_led_on_row"] + r["tasks_led_inherited"]
        assert r["tasks_responsible"] == r["tasks_responsible_on_row"] + r["tasks_responsible_inherited"]


def test_views_expose_text_clean_for_search(runner, built_pkg):
    """A word broken by a PDF line break or space is found in text_clean, not in text."""
    tasks = [t for t in read("tasks") if t["text"] != t["text_clean"]]
    assert tasks
    broken = next(t for t in tasks if "宗 地征收" in t["text"])
    sql = "SELECT task_id FROM {view} WHERE {column} LIKE '%宗地征收%'"
    for view, column in (("task_overview", "text_clean"), ("assignments_long", "text_clean"),
                         ("targets_long", "task_text_clean")):
        ids = {r["task_id"] for r in query(runner, built_pkg, sql.format(view=view, column=column))}
        if view != "targets_long":
            assert broken["task_id"] in ids
    assert broken["task_id"] not in {r["task_id"] for r in query(runner, built_pkg, sql.format(
        view="task_overview", column="text"))}


def test_cookbook_start_up_times_carry_kind_and_leave_out_notice_periods(runner, built_pkg):
    import yaml

    spec = yaml.safe_load((ROOT / "docs" / "cookbook.yaml").read_text(encoding="utf-8"))
    sql = next(q["sql"] for q in spec["questions"] if q["title"] == "How fast must a business be started?")
    rows = query(runner, built_pkg, sql)
    assert rows and all("kind" in r for r in rows)
    assert {r["kind"] for r in rows} == {"target", "reported"}
    notice = {g["metric"] for g in read("targets") if "公告" in g["quote"]}
    assert notice and not notice & {r["metric"] for r in rows}  # deregistration and liquidation notices

"""Units checked for real: each assignment names its unit in a recorded form, from its own jurisdiction or above.

data/unit_aliases.csv records every form in which a unit's name is printed; validation compares an
assignment's name_as_printed (less a trailing 等 phrase and PDF spaces) with the forms of its unit_id.
"""

from __future__ import annotations

import csv

import pytest

from conftest import ROOT, findings, table


def at(found, rule):
    return [(f.table, f.row, f.column) for f in found if f.rule == rule]


def test_an_existing_unit_of_another_name_is_rejected(pkg):
    """市住建局 where name_as_printed says 市交通运输局 (both units exist)."""
    t = table(pkg, "assignments")
    row = t.find(task_id="xianning-2019-t043", role="lead", name_as_printed="市交通运输局")
    row["unit_id"] = "xianning-u012"  # 市住建局
    t.save()
    found = findings(pkg, ["structure", "rules"])
    assert at(found, "assignment-unit-form") == [("assignments", t.row_number(row), "name_as_printed")]
    assert at(found, "assignment-unit-jurisdiction") == []


def test_a_unit_of_another_city_is_rejected(pkg):
    """Xiangyang's 市市场监管局 in a Xianning task: the name is right, the jurisdiction is not."""
    t = table(pkg, "assignments")
    row = t.find(task_id="xianning-2019-t010", name_as_printed="市市场监管局")
    row["unit_id"] = "xiangyang-u005"
    t.save()
    found = findings(pkg, ["structure", "rules"])
    assert at(found, "assignment-unit-jurisdiction") == [("assignments", t.row_number(row), "unit_id")]
    assert at(found, "assignment-unit-form") == []


def test_a_district_unit_in_a_city_document_is_rejected_and_a_city_unit_in_a_district_document_is_not(pkg):
    units = table(pkg, "units")
    units.rows.append(dict(units.find(unit_id="echeng-u014"), unit_id="echeng-u099", name="市住建局",
                           notes="test row"))
    units.save()
    aliases = table(pkg, "unit_aliases")
    aliases.rows.append(dict(unit_id="echeng-u099", form="市住建局", derivation="name", notes=""))
    aliases.save()
    t = table(pkg, "assignments")
    row = t.find(task_id="xianning-2019-t027", name_as_printed="市住建局")
    row["unit_id"] = "echeng-u099"  # a unit of 鄂州市鄂城区 in a 咸宁市 document
    t.save()
    found = findings(pkg, ["structure", "rules"])
    assert at(found, "assignment-unit-jurisdiction") == [("assignments", t.row_number(row), "unit_id")]
    assert {f.rule for f in found} == {"assignment-unit-jurisdiction"}
    # the corpus itself has Echeng tasks assigned to 鄂州市 bodies (one level above): accepted
    city = [a for a in table(pkg, "assignments").rows if a["unit_id"].startswith("ezhou-")]
    assert city and all(a["task_id"].startswith("echeng-2023") for a in city)


def test_an_unrecorded_form_is_rejected_until_recorded(pkg):
    t = table(pkg, "assignments")
    row = t.find(task_id="xianning-2019-t060", name_as_printed="市卫健委")
    aliases = table(pkg, "unit_aliases")
    alias = aliases.find(unit_id="xianning-u041", form="市卫健委")
    aliases.rows.remove(alias)
    aliases.save()
    assert at(findings(pkg, ["structure", "rules"]), "assignment-unit-form") == [
        ("assignments", t.row_number(row), "name_as_printed")]
    aliases.rows.append(alias)
    aliases.save()
    assert findings(pkg, ["structure", "rules"]) == []


@pytest.mark.parametrize("printed,unit", [
    ("市住建局等", "xianning-u012"),  # trailing 等
    ("区税务局及其他有关单位", "echeng-u004"),  # open list with 及其他
    ("区直各 有 关 部 门", "gedian-u021"),  # PDF spaces
])
def test_open_lists_and_pdf_spaces_are_read_as_the_unit(pkg, printed, unit):
    from bizenv.cells import unit_form

    forms = {(r["unit_id"], r["form"]) for r in table(pkg, "unit_aliases").rows}
    assert (unit, unit_form(printed)) in forms


def test_alias_registry_names_match_the_units(pkg):
    aliases = table(pkg, "unit_aliases")
    name = aliases.find(unit_id="xianning-u041", derivation="name")
    name["form"] = "市卫健委委"  # the registry name is no longer recorded, and a name row is not the name
    aliases.save()
    found = findings(pkg, ["structure", "rules"])
    units = table(pkg, "units")
    assert at(found, "unit-name-recorded") == [("units", units.row_number(units.find(unit_id="xianning-u041")), "name")]
    assert at(found, "unit-alias-name") == [("unit_aliases", aliases.row_number(name), "derivation")]


def test_unit_form_in_python_and_in_duckdb_agree_on_every_printed_name():
    import duckdb

    from bizenv.cells import unit_form, unit_form_sql

    with (ROOT / "data" / "assignments.csv").open(encoding="utf-8", newline="") as f:
        printed = sorted({r["name_as_printed"] for r in csv.DictReader(f)})
    printed += ["市住建局等", "等相关单位", "区司法局等区直相关单位", "工程管理 中心", "各县(市、区)人民政府"]
    con = duckdb.connect()
    got = con.execute(f"SELECT n, {unit_form_sql('n')} FROM unnest(?) AS u(n)", [printed]).fetchall()
    assert {n: f for n, f in got} == {n: unit_form(n) for n in printed}
    assert unit_form("等相关单位") == "等相关单位" and unit_form("区司法局等区直相关单位") == "区司法局"


def test_every_unit_form_is_printed_or_is_a_registry_name():
    """Each recorded form is the form of some printed name, or the unit's own name (no invented forms)."""
    from bizenv.cells import unit_form

    read = lambda name: list(csv.DictReader((ROOT / "data" / f"{name}.csv").open(encoding="utf-8")))  # noqa: E731
    printed = {(a["unit_id"], unit_form(a["name_as_printed"])) for a in read("assignments")}
    names = {(u["unit_id"], u["name"]) for u in read("units")}
    assert {(r["unit_id"], r["form"]) for r in read("unit_aliases")} <= printed | names


def test_a_form_recorded_for_two_units_of_one_city_is_rejected(pkg):
    """Recording 市交通运输局 as a form of 市住建局 would hide the wrong unit: the form points to two units."""
    aliases = table(pkg, "unit_aliases")
    aliases.rows.append(dict(unit_id="xianning-u012", form="市交通运输局", derivation="variant", notes="wrong"))
    aliases.save()
    found = findings(pkg, ["structure", "rules"])
    rows = sorted(r for _, r, _ in at(found, "unit-alias-unambiguous"))
    first = aliases.row_number(aliases.find(unit_id="xianning-u007", form="市交通运输局"))
    assert rows == [first, len(aliases.rows) + 1]
    # the same form in two cities is fine (市市场监管局 of Xianning and of Xiangyang)
    assert len([r for r in aliases.rows if r["form"] == "市市场监管局"]) == 2

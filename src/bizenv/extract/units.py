"""Proposed unit rows for a draft: printed names matched to the registry, new ids allocated.

* A printed name is matched to a registered unit of the same jurisdiction when the unit's
  ``name`` is that name, when ``unit_aliases`` records it as one of the unit's forms, or when
  curated assignments already map that printed form to it (printed variants: 市卫健委 /
  市卫生健康委).  A new unit comes with its ``unit_aliases`` row (its name, derivation name).  An open list (``X等``, ``X等相关单位``,
  ``X及其他有关单位``) is matched by X, as docs/curation.md says.
* Any other name gets a new id ``<prefix>-uNNN``: the prefix the jurisdiction already uses
  in units.csv, else the document id without its year; NNN continues after the highest
  number ever used with that prefix, retired ids (retired_ids.csv) included, so that no id
  is ever reused.
* Collective references (各县市区人民政府, 市直有关部门) are typed ``collective`` as the corpus
  types them; other types are a first guess marked in notes, and ``name_en`` / ``function``
  are left for the curator.
"""

from __future__ import annotations

import csv
import re
from ..cells import unit_form

COLLECTIVE = re.compile(r"^各|有关部门|相关部门|相关单位|有关单位|各有关|直各部门|直相关|直有关|政府各部门")
GOVERNMENT = re.compile(r"(?:人民政府|政府|管委会|办事处|街道)$")
PARTY = re.compile(r"^(?:[市区县州省]委|党委)|组织部|宣传部|统战部|编办|政法委|纪委")
JUDICIAL = re.compile(r"法院|检察院")


def _read(pkg, table: str) -> list[dict]:
    """Rows of a package table read through the path gate; none if the table is absent or unreadable."""
    from ..package import PackageError

    if table not in pkg.resources:
        return []
    try:
        with pkg.path(table).open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    except (PackageError, OSError, UnicodeDecodeError, csv.Error):
        return []


def base_name(printed: str) -> str:
    """The body a printed name refers to: its registry form (bizenv.cells.unit_form: PDF breaks and an
    open-list tail such as 等 or 等相关单位 removed), without spaces."""
    return unit_form(printed).replace(" ", "")


def _guess_type(name: str) -> tuple[str, str, str]:
    """(unit_type, function, note) as a first guess."""
    if COLLECTIVE.search(name):
        function = "lower_government" if re.search(r"政府|管委会|街道|乡镇|镇街|县市区", name) else "collective_departments"
        return "collective", function, "Collective reference (typed as the corpus types them)."
    if JUDICIAL.search(name):
        return "judicial", "", "Type guessed from the name: check it."
    if PARTY.search(name):
        return "party_organ", "", "Type guessed from the name: check it."
    if GOVERNMENT.search(name):
        return "lower_government", "lower_government", "Type guessed from the name: check it."
    return "government_department", "", "Type guessed from the name: check it."


def propose(pkg, draft, jurisdiction: str, document_id: str) -> None:
    """Fill ``draft.rows["units"]`` with proposed rows and the draft's assignments' ``unit_id``."""
    units = _read(pkg, "units")
    assignments = _read(pkg, "assignments")
    retired = _read(pkg, "retired_ids")
    by_name = {}
    for u in units:
        if u.get("jurisdiction") == jurisdiction:
            by_name.setdefault(base_name(u.get("name", "")), u["unit_id"])
    jur_ids = {u["unit_id"] for u in units if u.get("jurisdiction") == jurisdiction}
    for alias in _read(pkg, "unit_aliases"):  # printed forms the registry records (variants, hosted offices)
        if alias.get("unit_id") in jur_ids and alias.get("derivation") != "damaged":
            by_name.setdefault(base_name(alias.get("form", "")), alias["unit_id"])
    for a in assignments:
        if a.get("unit_id") in jur_ids:
            by_name.setdefault(base_name(a.get("name_as_printed", "")), a["unit_id"])
    prefixes = sorted({u["unit_id"].rsplit("-u", 1)[0] for u in units
                       if u.get("jurisdiction") == jurisdiction and "-u" in u.get("unit_id", "")})
    prefix = prefixes[0] if prefixes else re.sub(r"-(?:19|20)\d{2}$", "", document_id) or document_id
    numbers = [int(m.group(1)) for uid in [u.get("unit_id", "") for u in units] + [r.get("id", "") for r in retired]
               if (m := re.fullmatch(re.escape(prefix) + r"-u(\d+)", uid))]
    next_number = max(numbers, default=0) + 1
    proposed: dict[str, dict] = {}
    rows, aliases = [], []
    for a in draft.rows["assignments"]:
        base = base_name(a["name_as_printed"])
        if base in by_name:
            a["unit_id"] = by_name[base]
            if by_name[base] not in proposed:
                proposed[by_name[base]] = {}
                u = next(x for x in units if x["unit_id"] == by_name[base])
                rows.append({**u, "notes": f"Registered unit (matched by its printed name {a['name_as_printed']})."})
            continue
        if base not in proposed:
            unit_id = f"{prefix}-u{next_number:03d}"
            next_number += 1
            unit_type, function, note = _guess_type(base)
            proposed[base] = {"unit_id": unit_id}
            rows.append({"unit_id": unit_id, "name": base, "jurisdiction": jurisdiction, "unit_type": unit_type,
                         "name_en": "", "function": function, "parent_unit_id": "",
                         "notes": f"New unit proposed by the extractor. {note} name_en to be written."})
            aliases.append({"unit_id": unit_id, "form": base, "derivation": "name", "notes": ""})
        a["unit_id"] = proposed[base]["unit_id"]
    draft.rows["units"] = rows
    draft.rows["unit_aliases"] = aliases

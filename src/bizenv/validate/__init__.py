"""The validator: every layer, every finding, nothing modified.

Layers (in order), in one bounded-memory DuckDB workspace where every CSV is read once:

1. ``structure`` - file and cell checks, then the Table Schemas compiled to DuckDB SQL
   (types, constraints, primary and foreign keys; Frictionless is the reference and reads
   any file DuckDB cannot parse).
2. ``rules`` - pandera rules a Table Schema cannot say, over whole columns.
3. ``provenance`` - source hashes and verbatim text, as DuckDB SQL over whole tables.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..findings import Finding
from ..package import Package

LAYERS = ("structure", "rules", "provenance")


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def summary(self) -> dict[str, int]:
        counts = Counter(f.layer for f in self.findings)
        return {layer: counts.get(layer, 0) for layer in (*self.ran, *sorted(set(counts) - set(self.ran)))}


def validate(pkg: Package, layers: tuple[str, ...] = LAYERS, reference: bool = False, con=None) -> Result:
    """Run ``layers`` on ``pkg``.

    With a connection ``con`` (a :class:`~bizenv.tables.Workspace`), the typed tables stay in it
    as views named after the resources, over ``raw_<name>`` tables, so that ``bizenv build``
    writes what was validated without reading the CSV files again.
    """
    from ..tables import Workspace

    if con is None:
        with Workspace() as own:
            return validate(pkg, layers, reference, own)
    from ..tables import load
    from . import provenance, rules, structure

    result = Result()
    if pkg.problems:  # a descriptor or schema the checks cannot use: nothing else can run on it
        result.ran.append("structure")
        result.findings = list(pkg.problems)
        return result
    if "structure" in layers:
        result.ran.append("structure")
        result.findings += structure.check(pkg, reference=reference, con=con)  # leaves raw_<name> in con
    blocked = {f.table for f in result.findings if f.fatal and f.table}
    if {"rules", "provenance"} & set(layers):
        readable = [name for name in pkg.table_names if name not in blocked]
        loaded = load(con, pkg, readable)  # typed views of the raw tables: every CSV is read once
        result.findings += loaded.findings
        blocked |= {f.table for f in loaded.findings if f.table}
        if "rules" in layers:
            result.ran.append("rules")
            run = rules.check_reference if reference else rules.check  # pandera is the reference
            result.findings += follow_ons_removed(run(con, pkg, loaded.tables), blocked)
        if "provenance" in layers:
            result.ran.append("provenance")
            result.findings += follow_ons_removed(provenance.check(con, pkg, loaded.tables), blocked)
    add_lines(pkg, result.findings)
    return result


FOLLOW_ONS = {"rules-skipped", "rule-not-run", "check-not-run", "provenance-skipped", "table-not-loaded"}


def follow_ons_removed(findings: list[Finding], blocked: set[str]) -> list[Finding]:
    """Drop the findings that only say a check could not run because a table it needs was not read:
    the first finding about that table (its encoding, line ends, header, ...) says why already."""
    if not blocked:
        return findings
    import re

    named = re.compile("|".join(rf"\b{re.escape(t)}\b" for t in sorted(blocked)))
    return [f for f in findings if not (f.rule in FOLLOW_ONS and (f.table in blocked or named.search(f.message)))]


def add_lines(pkg: Package, findings: list[Finding]) -> None:
    """Fill ``line`` (physical line in the file) from ``row`` for the reported rows only."""
    import csv

    wanted: dict[str, set[int]] = {}
    for f in findings:
        if f.table in pkg.resources and f.row is not None and f.line is None:
            wanted.setdefault(f.table, set()).add(f.row)
    for table, rows in wanted.items():
        lines: dict[int, int] = {}
        csv.field_size_limit(1 << 26)
        try:
            with pkg.path(table).open(encoding="utf-8", newline="") as fh:
                reader = csv.reader(fh)
                start = 1
                for number, _ in enumerate(reader, start=1):
                    if number in rows:
                        lines[number] = start
                    start = reader.line_num + 1
                    if len(lines) == len(rows):
                        break
        except (OSError, UnicodeDecodeError, csv.Error):
            continue
        for f in findings:
            if f.table == table and f.row in lines and f.line is None:
                f.line = lines[f.row]

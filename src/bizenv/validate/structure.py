"""Layer 1: Frictionless validates the descriptor and every resource."""

from __future__ import annotations

from ..findings import Finding
from ..package import Package


def check(pkg: Package) -> list[Finding]:
    from . import lint

    return lint.check_bytes(pkg) + lint.check_cells(pkg) + frictionless_report(pkg)


def frictionless_report(pkg: Package) -> list[Finding]:
    import frictionless

    try:
        report = frictionless.validate(str(pkg.root / "datapackage.json"), limit_errors=100_000)
    except Exception as exc:  # a descriptor Frictionless cannot even open
        return [Finding("structure", "package-error", str(exc).strip().splitlines()[0], file="datapackage.json")]
    findings = [
        Finding("structure", error.type, error.message, file="datapackage.json") for error in report.errors
    ]
    for task in report.tasks:
        table = task.name
        file = pkg.relpath(table) if table in pkg.resources else task.place
        pk = pkg.primary_key(table) if table in pkg.resources else []
        names = pkg.field_names(table) if table in pkg.resources else []
        for error in task.errors:
            row = getattr(error, "row_number", None)
            cells = getattr(error, "cells", None) or []
            key = None
            if cells and pk and all(k in names for k in pk):
                key = ", ".join(str(cells[names.index(k)]) if names.index(k) < len(cells) else "" for k in pk)
            column = getattr(error, "field_name", None)
            value = getattr(error, "cell", None)
            if "#label" in getattr(error, "tags", []):  # header errors live on line 1
                row = 1
                column = column or getattr(error, "label", None)
                value = getattr(error, "label", None)
            if value is None and error.type in ("primary-key", "foreign-key") and cells:
                value = key
            findings.append(Finding(
                "structure", error.type, error.note or error.message, table=table, file=file, row=row,
                column=column, key=key, value=None if value is None else str(value),
            ))
    return findings

"""Layer 1: the files, their cells and the Table Schemas (compiled to SQL; Frictionless as the reference)."""

from __future__ import annotations

from ..findings import Finding
from ..package import Package


def check(pkg: Package, reference: bool = False, con=None) -> list[Finding]:
    """File and cell checks, then the Table Schemas: compiled to DuckDB SQL, or by Frictionless itself.

    ``reference=True`` runs Frictionless on every table (the reference, slow at scale); by
    default the compiled checks run and Frictionless reads only the descriptor.  A file whose
    bytes cannot be read as CSV gets one finding (``fatal``) and is not read further.
    """
    from concurrent.futures import ThreadPoolExecutor

    from ..tables import connect
    from . import compiled, filecheck, lint

    own = con is None
    con = con or connect()
    # Frictionless reads the descriptor (its import alone takes a good part of a second) while DuckDB
    # reads the files: DuckDB works without holding Python's lock
    pool = ThreadPoolExecutor(max_workers=1)
    descriptor = pool.submit(descriptor_errors, pkg) if not reference else None
    # every byte of a file is scanned before it is read as CSV; the next files are scanned meanwhile, in a
    # thread of their own (NumPy and the reads release Python's lock), in the order DuckDB reads them
    scanner = ThreadPoolExecutor(max_workers=1)
    try:
        # inside try: when the gate refuses a resource path here, both threads are still shut down
        scans = {name: scanner.submit(filecheck.scan, pkg.path(name), name, pkg.relpath(name),
                                      len(pkg.fields(name))) for name in pkg.table_names}
        # reads every CSV whose bytes allow it once into raw_<name>
        fast, _ = compiled.check(pkg, con, skip=lambda name: scans[name].result().fatal)
        findings = [f for name in pkg.table_names for f in scans[name].result().findings]
        findings += lint.check_cells(pkg, con)
        if reference:
            return findings + frictionless_report(pkg)
        return findings + descriptor.result() + fast
    finally:
        scanner.shutdown(wait=True, cancel_futures=True)
        pool.shutdown(wait=True)
        if own:
            con.close()


def descriptor_errors(pkg: Package) -> list[Finding]:
    import frictionless

    try:
        frictionless.Package(str(pkg.root / "datapackage.json"))
    except Exception as exc:  # FrictionlessException: the descriptor or a schema is invalid
        return [Finding("structure", "package-error", str(exc).strip().splitlines()[0], file="datapackage.json")]
    return []


def frictionless_report(pkg: Package, tables: list[str] | None = None) -> list[Finding]:
    """Frictionless on the whole package, or only on ``tables`` (each within its package, foreign keys too)."""
    import frictionless

    try:
        if tables is None:
            report = frictionless.validate(str(pkg.root / "datapackage.json"), limit_errors=100_000)
        else:
            package = frictionless.Package(str(pkg.root / "datapackage.json"))
            reports = [package.get_resource(name).validate(limit_errors=100_000) for name in tables]
            report = frictionless.Report.from_validation_reports(time=0, reports=reports)
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
            if error.type == "foreign-key" and getattr(error, "field_cells", None):
                value = ", ".join(str(v) for v in error.field_cells)  # the dangling value itself
            elif value is None and error.type == "primary-key" and cells:
                value = key
            elif error.type == "unique-error" and 0 < getattr(error, "field_number", 0) <= len(cells):
                # the cell as written, as for the other cell errors (Frictionless gives its typed value: True
                # for a boolean written true, 2 for an integer written 02)
                value = cells[error.field_number - 1]
            if value == "":
                value = None  # an empty cell has no value to show
            findings.append(Finding(
                "structure", error.type, error.note or error.message, table=table, file=file, row=row,
                column=column, key=key, value=None if value is None else str(value),
            ))
    return findings

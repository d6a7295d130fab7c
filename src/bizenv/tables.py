"""Loading the corpus CSVs into DuckDB with the types of their Table Schemas.

One loader for every consumer: the rules and provenance layers read from it, and
``bizenv build`` writes the same typed tables into the database.  Each loaded table
keeps ``_row``, the record number as Frictionless counts it (header = 1), so that
findings name the row of the CSV file.
"""

from __future__ import annotations

from dataclasses import dataclass

from .findings import Finding
from .package import Package

DUCK_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "year": "INTEGER",
}

SAFE_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


def connect(database: str = ":memory:", read_only: bool = False, **config):
    import duckdb

    return duckdb.connect(database, read_only=read_only, config={**SAFE_CONFIG, **config})


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def bind(template: str, column: str) -> str:
    """Put a column expression into an SQL template whose value is named ``v``."""
    import re

    return re.sub(r"\bv\b", lambda _: column, template)


def typed_expr(field: dict) -> str:
    """SQL turning the raw VARCHAR column of ``field`` into its Table Schema type."""
    col = quote_ident(field["name"])
    ftype = field.get("type", "string")
    if ftype == "boolean":
        true = ", ".join(sql_literal(v) for v in field.get("trueValues", ["true"]))
        false = ", ".join(sql_literal(v) for v in field.get("falseValues", ["false"]))
        return f"CASE WHEN {col} IN ({true}) THEN TRUE WHEN {col} IN ({false}) THEN FALSE END"
    if ftype == "string":
        return f"NULLIF({col}, '')"
    return f"TRY_CAST(NULLIF({col}, '') AS {DUCK_TYPES.get(ftype, 'VARCHAR')})"


@dataclass
class Loaded:
    tables: list[str]
    findings: list[Finding]


def load(con, pkg: Package, tables: list[str] | None = None, keep_row: bool = True) -> Loaded:
    """Create one typed table per resource in ``con``.

    A table whose file cannot be read, or whose header differs from its schema,
    is not created; a finding says why (the structure layer reports the detail).
    """
    loaded, findings = [], []
    shared = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()}
    for name in tables or pkg.table_names:
        names = pkg.field_names(name)
        path = pkg.path(name)
        if f"raw_{name}" in shared:  # read once already by the structure layer (header checked there)
            cols = ", ".join(f"{typed_expr(f)} AS {quote_ident(f['name'])}" for f in pkg.fields(name))
            row = "_row, " if keep_row else ""
            con.execute(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS SELECT {row}{cols} "
                        f"FROM {quote_ident('raw_' + name)} ORDER BY _row")
            con.execute(f"DROP TABLE {quote_ident('raw_' + name)}")
            loaded.append(name)
            continue
        raw = f"_raw_{name}"
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {quote_ident(raw)} AS "
                "SELECT * FROM read_csv(?, header = true, all_varchar = true, auto_detect = false, "
                "delim = ',', quote = '\"', escape = '\"', "
                "columns = " + "{" + ", ".join(f"{sql_literal(n)}: 'VARCHAR'" for n in names) + "})",
                [str(path)],
            )
            header = path.open(encoding="utf-8", newline="").readline().rstrip("\r\n").split(",")
        except Exception as exc:  # duckdb.Error, OSError, UnicodeDecodeError
            findings.append(Finding("load", "table-not-loaded", f"cannot be read as CSV: {first_line(exc)}",
                                    table=name, file=pkg.relpath(name)))
            continue
        if header and header[0].startswith("\ufeff"):
            findings.append(Finding("load", "byte-order-mark",
                                    "the file starts with a byte-order mark (BOM); save it as UTF-8 without BOM",
                                    table=name, file=pkg.relpath(name), row=1, line=1, column=names[0]))
            continue
        if [h.strip('"') for h in header] != names:
            findings.append(Finding("load", "header-mismatch",
                                    f"header does not match the Table Schema (expected: {','.join(names)})",
                                    table=name, file=pkg.relpath(name), row=1, line=1, value=",".join(header)))
            continue
        cols = ", ".join(f"{typed_expr(f)} AS {quote_ident(f['name'])}" for f in pkg.fields(name))
        row = "row_number() OVER () + 1 AS _row, " if keep_row else ""
        con.execute(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS SELECT {row}{cols} FROM {quote_ident(raw)}")
        con.execute(f"DROP TABLE {quote_ident(raw)}")
        loaded.append(name)
    return Loaded(loaded, findings)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

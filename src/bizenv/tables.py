"""Loading the corpus CSVs into DuckDB with the types of their Table Schemas.

One reader for every consumer (:func:`read_raw`: each CSV once, as text, into a
bounded-memory :class:`Workspace`) and typed views over it (:func:`load`): the structure
layer checks the raw tables, the rules and provenance layers read the typed views, and
``bizenv build`` writes them into the database.  Each loaded table keeps ``_row``, the
record number as Frictionless counts it (header = 1), so that findings name the row of
the CSV file.
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


# DuckDB's working memory in validate and build; beyond it, tables spill to a temporary folder.
# BIZENV_MEMORY_LIMIT overrides it (a DuckDB size such as "4GB").
MEMORY_LIMIT = "1GB"


def memory_limit(setting: str) -> str:
    """BIZENV_MEMORY_LIMIT as DuckDB is given it, or :class:`SettingError`: DuckDB reads a negative size
    (-1GB) as no limit at all and a size of 0 as a cap nothing fits in, so a size must be greater than 0."""
    import re

    number = re.match(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)", setting)
    if number and not float(number[1]) > 0:
        raise SettingError(f"BIZENV_MEMORY_LIMIT={setting[:40]!r} is not a memory size greater than 0, such as 1GB "
                           "or 500MB; set it to one or unset it")
    return setting


def connect(database: str = ":memory:", read_only: bool = False, **config):
    import duckdb

    con = duckdb.connect(database, read_only=read_only, config={**SAFE_CONFIG, **config})
    # DuckDB's Python client may draw a progress bar on the output of a long query (a notebook, an interactive
    # session, a profiled script): the output of bizenv and of the code that calls it stays its own; a cursor
    # of this connection (bizenv query runs the query on one) draws none either
    con.execute("SET enable_progress_bar = false")
    return con


class SettingError(Exception):
    """A setting from the environment that cannot be used (the CLI prints it, exit code 2)."""


# the name of a Workspace's spill folder starts with it (DuckDB's temporary files go there)
SPILL_PREFIX = "bizenv-spill-"


def spill_failed(exc: BaseException) -> bool:
    """True when DuckDB could not create, write or read its temporary files in a Workspace's spill folder:
    the machine's fault (a disk error, a folder gone), not the data's."""
    return type(exc).__name__ == "IOException" and SPILL_PREFIX in str(exc)


def interrupted(exc: BaseException) -> bool:
    """True when DuckDB stopped because it was interrupted: by Ctrl-C while it ran (DuckDB then raises a
    plain ``RuntimeError("Query interrupted")``, and Python sees no KeyboardInterrupt) or by
    ``interrupt()`` (an ``InterruptException``)."""
    return type(exc).__name__ == "InterruptException" or (
        type(exc) is RuntimeError and str(exc).startswith("Query interrupted"))


def raise_if_not_data(exc: BaseException) -> None:
    """Raise ``exc`` again when it says nothing about the data: DuckDB ran out of its working memory
    (``BIZENV_MEMORY_LIMIT``), could not use its spill folder, or was interrupted (Ctrl-C is raised as
    the KeyboardInterrupt it was).  Called first where a DuckDB error becomes a finding, so that a memory
    cap too small for a package, a failing temporary folder or Ctrl-C is reported as that, never as
    broken data."""
    if isinstance(exc, RuntimeError) and interrupted(exc):
        raise KeyboardInterrupt from exc
    if type(exc).__name__ == "OutOfMemoryException" or interrupted(exc) or spill_failed(exc):
        raise exc


class Workspace:
    """A DuckDB connection for validating and building: bounded memory, spilling to a private folder.

    Use as a context manager; the folder is removed on exit.
    """

    def __init__(self, database: str = ":memory:"):
        import os
        import shutil
        import tempfile

        import duckdb

        limit = memory_limit(os.environ.get("BIZENV_MEMORY_LIMIT", MEMORY_LIMIT))
        self.spill = tempfile.mkdtemp(prefix=SPILL_PREFIX)
        try:
            self.con = connect(database, memory_limit=limit, temp_directory=self.spill)
        except (duckdb.InvalidInputException, duckdb.ParserException) as exc:
            shutil.rmtree(self.spill, ignore_errors=True)
            raise SettingError(f"BIZENV_MEMORY_LIMIT={limit[:40]!r} is not a memory size such as 1GB or 500MB "
                               f"({str(exc).splitlines()[0]})") from None

    def __enter__(self):
        return self.con

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        import shutil

        self.con.close()
        shutil.rmtree(self.spill, ignore_errors=True)


class unordered:
    """Within it, DuckDB may return rows of queries without ORDER BY in any order (faster, and
    leaner for tables whose order does not matter); the order is kept again on exit."""

    def __init__(self, con):
        self.con = con

    def __enter__(self):
        self.con.execute("SET preserve_insertion_order = false")
        return self.con

    def __exit__(self, *exc):
        self.con.execute("SET preserve_insertion_order = true")


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
        from .package import boolean_values

        true, false = (", ".join(sql_literal(v) for v in values) for values in boolean_values(field))
        return f"CASE WHEN {col} IN ({true}) THEN TRUE WHEN {col} IN ({false}) THEN FALSE END"
    if ftype == "string":
        return f"NULLIF({col}, '')"
    return f"TRY_CAST(NULLIF({col}, '') AS {DUCK_TYPES.get(ftype, 'VARCHAR')})"


@dataclass
class Loaded:
    tables: list[str]
    findings: list[Finding]


# The raw tables live in an in-memory database of their own that DuckDB compresses (ids repeat, and
# so do the texts): at 100,000 tasks they take 22 MB instead of 146 MB, so that far more of the corpus
# fits the memory cap before anything spills.
RAW_DB = "_raw"


def attach_raw(con) -> None:
    """Attach the compressed in-memory database of the raw tables to ``con`` (once)."""
    if not con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = ?", [RAW_DB]).fetchone()[0]:
        con.execute(f"ATTACH ':memory:' AS {RAW_DB} (COMPRESS)")


def compress(con) -> None:
    """Checkpoint the raw tables' database: DuckDB compresses an in-memory table then, not while it is
    written (a large table stays 5-10 times larger, and spills).  The file has been read by then, so a
    checkpoint that cannot run says nothing about it: refused while another transaction on the database
    has read a raw table, it is left to the next checkpoint."""
    import duckdb

    try:
        con.execute(f"CHECKPOINT {RAW_DB}")
    except duckdb.TransactionException:
        pass


def read_raw(con, pkg: Package, name: str, extra: str = "") -> Finding | None:
    """Read a CSV once into ``raw_<name>``: every cell as text, ``_row`` = the record number.

    ``extra`` adds computed columns (``, expr AS name``), evaluated in the same pass.  The rows
    keep the file's order (DuckDB preserves insertion order), so the record number is the row id
    + 2 (the header is record 1); a view adds it without a window over the file.  Returns None,
    or a finding saying why the file cannot be read this way (nothing is left behind then).
    """
    import csv

    from .validate.filecheck import MAX_CELL, first_problem

    names, path, rel = pkg.field_names(name), pkg.path(name), pkg.relpath(name)
    data = f"{RAW_DB}.main.{quote_ident(f'raw_{name}_data')}"
    attach_raw(con)
    # a cleaned copy of a text (X_clean next to X) is held only where it differs from the text: equal
    # (nearly always) it is a flag, and the raw view puts the text back; nothing is lost, half the text held
    copies = [n for n in names if n.endswith("_clean") and n[:-6] in names]
    store = "*" + (" REPLACE (" + ", ".join(
        f"CASE WHEN {quote_ident(c)} IS NOT DISTINCT FROM {quote_ident(c[:-6])} THEN NULL ELSE {quote_ident(c)} "
        f"END AS {quote_ident(c)}" for c in copies) + ")" if copies else "") + "".join(
        f", {quote_ident(c)} IS NOT DISTINCT FROM {quote_ident(c[:-6])} AS {quote_ident('_same_' + c)}" for c in copies)
    view = "*" + (" EXCLUDE (" + ", ".join(quote_ident("_same_" + c) for c in copies) + ") REPLACE (" + ", ".join(
        f"CASE WHEN {quote_ident('_same_' + c)} THEN {quote_ident(c[:-6])} ELSE {quote_ident(c)} END "
        f"AS {quote_ident(c)}" for c in copies) + ")" if copies else "")
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {data} AS SELECT {store}{extra} "
            f"FROM read_csv(?, header = true, all_varchar = true, auto_detect = false, "
            f"delim = ',', quote = '\"', escape = '\"', strict_mode = true, max_line_size = {MAX_CELL}, "
            "columns = {" + ", ".join(f"{sql_literal(n)}: 'VARCHAR'" for n in names) + "})", [str(path)])
        with path.open(encoding="utf-8", newline="") as fh:
            first = fh.readline(1 << 20)
    except Exception as exc:  # duckdb.Error, OSError, UnicodeDecodeError: ragged, unreadable, not UTF-8
        raise_if_not_data(exc)
        con.execute(f"DROP TABLE IF EXISTS {data}")
        try:
            line, rule, why = first_problem(path, len(names))
        except OSError as err:
            line, rule, why = None, "file-unreadable", f"cannot be read: {err.strerror}"
        if not line:
            why = f"cannot be read as CSV: {csv_cause(exc)}"
        return Finding("structure", rule, why, table=name, file=rel, line=line or None, fatal=True)
    problem = None
    csv.field_size_limit(MAX_CELL)  # a long name is a name (the default limit would make it a csv.Error)
    try:  # the header as a CSV reader reads it: a quote never closed there would make the whole file one header
        header = next(csv.reader([first.rstrip("\r\n")], strict=True), [""])
    except csv.Error:
        header = None
    if not first:
        problem = Finding("structure", "empty-file", "the file is empty; it needs at least its header line "
                          "(the field names of its Table Schema)", table=name, file=rel, line=1, fatal=True)
    elif header is None:
        unclosed = first.count('"') % 2
        problem = Finding("structure", "unterminated-quote" if unclosed else "stray-quote",
                          f"line 1, the header, has {'a quoted name never closed' if unclosed else 'a stray double quote'}"
                          f": write the header as the field names of the Table Schema (expected: {','.join(names)})",
                          table=name, file=rel, row=1, line=1, value=first.rstrip("\r\n")[:500], fatal=True)
    elif header and header[0].startswith("\ufeff"):
        problem = Finding("structure", "byte-order-mark",
                          "the file starts with a byte-order mark (BOM); save it as UTF-8 without BOM",
                          table=name, file=rel, row=1, line=1, column=names[0], fatal=True)
    elif header != names:
        problem = Finding("structure", "header-mismatch",
                          f"header does not match the Table Schema (expected: {','.join(names)})",
                          table=name, file=rel, row=1, line=1, value=first.rstrip("\r\n")[:500], fatal=True)
    if problem:
        con.execute(f"DROP TABLE {data}")
        return problem
    compress(con)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident('raw_' + name)} AS SELECT rowid + 2 AS _row, {view} "
                f"FROM {data}")
    return None


def load(con, pkg: Package, tables: list[str] | None = None, keep_row: bool = True) -> Loaded:
    """A typed view per resource in ``con``, over its raw table (read now unless the structure
    layer has read it already: every CSV is read once).

    A table whose file cannot be read, or whose header differs from its schema, is not
    loaded; a finding says why (the structure layer reports the detail).
    """
    loaded, findings = [], []
    for name in pkg.table_names if tables is None else tables:
        read = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
        if f"raw_{name}" not in read:
            problem = read_raw(con, pkg, name)
            if problem:
                findings.append(problem)
                continue
        # a view: the typed values are computed where they are read, the text is held once
        cols = ", ".join(f"{typed_expr(f)} AS {quote_ident(f['name'])}" for f in pkg.fields(name))
        row = "_row, " if keep_row else ""
        con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident(name)} AS SELECT {row}{cols} "
                    f"FROM {quote_ident('raw_' + name)}")
        loaded.append(name)
    return Loaded(loaded, findings)


def csv_cause(exc: BaseException) -> str:
    """The reason in a DuckDB CSV error, without the parser's settings and the whole line it quotes."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith("Original Line:") and i + 1 < len(lines):
            return lines[i + 1][:300]
    return lines[0][:300] if lines else type(exc).__name__


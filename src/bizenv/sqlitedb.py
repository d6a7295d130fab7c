"""``build/bizenv.sqlite``: the tables and views of the DuckDB database as a SQLite file.

The SQLite file is what ``bizenv serve`` (Datasette) shows and what a website publishes.
It is written by ``bizenv build`` from the DuckDB database it has just written, so it
holds the same tables (same columns, same rows, in the order of the CSV files) and the same
views:

* **Tables** get the column types of their Table Schemas (dates as ISO text, booleans as
  0/1), their primary keys and their foreign keys (Datasette shows a linked row's label).
* **Views** have one definition, ``sql/views.sql``, in DuckDB's dialect. Where SQLite runs that
  definition and returns the same columns and rows (checked here, row by row, at every build:
  plain joins such as ``targets_long`` and ``assignments_long``), the SQLite file has the same
  view. Where it cannot (ordered string aggregates, medians, QUALIFY, date arithmetic) or would
  answer differently, the view's rows are computed by DuckDB and stored in a hidden table
  ``_view_<name>``, and the SQLite view ``<name>`` selects from it; the database is served
  immutable, so those rows cannot go stale. ``tests/test_sqlite.py`` checks that both
  databases return the same rows for every view.
* **Search**: one FTS5 table ``<table>_fts`` per searchable table, over the columns listed in
  :data:`SEARCH` (the one place to add a column, e.g. English translations from a view).
  Every character is its own token (see :data:`TOKEN_SQL`), so a word of any length is found
  as a phrase of its characters: exactly the rows whose text contains it, which is what a
  substring scan finds, also for one- and two-character Chinese words that SQLite's own
  tokenizers miss. The Datasette plugin (``bizenv/site/bizenv_site.py``) rewrites a search
  into that phrase.
* ``_source_lines``: every line of every source document, for the task pages.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from .package import Package
from .tables import quote_ident, sql_literal

# Searchable text per table: "relation.column" pairs. The relation is the table itself or a
# view that has the table's primary key columns; a row matches when any listed column contains
# the word. The curators' English comes from task_overview (text_en); the FTS table, Datasette's
# ?_search= and the search across tables follow this list.
SEARCH: dict[str, list[str]] = {
    "tasks": ["tasks.text_clean", "task_overview.text_en"],
    "measures": ["measures.title", "measures.body"],
    "documents": ["documents.title", "documents.title_en"],
    "units": ["units.name", "units.name_en"],
    "unit_aliases": ["unit_aliases.form"],
    "targets": ["targets.quote", "targets.metric"],
    "indicators": ["indicators.name_zh", "indicators.name_en", "indicators.description"],
}

# One token per character: ASCII letters and digits stand for themselves (FTS5's unicode61
# tokenizer folds their case), every other character becomes "u" and its code point in hex
# (信 -> u4fe1, a full stop -> u3002, a space -> u20). Tokens are separated by spaces, so the
# tokenizer sees exactly one token per character whatever its Unicode tables say. The Python
# twin is bizenv_site.tokens(); a test checks that both agree.
TOKEN_SQL = ("array_to_string(list_transform(list_filter(string_split(coalesce({col}, ''), ''), lambda c: c <> ''), "
             "lambda c: CASE WHEN regexp_full_match(c, '[0-9A-Za-z]') THEN c "
             "ELSE 'u' || lower(hex(unicode(c))) END), ' ')")

FTS_TOKENIZER = "unicode61 remove_diacritics 0"

SQLITE_TYPES = {"VARCHAR": "TEXT", "BIGINT": "INTEGER", "INTEGER": "INTEGER", "HUGEINT": "INTEGER",
                "SMALLINT": "INTEGER", "TINYINT": "INTEGER", "UBIGINT": "INTEGER", "UINTEGER": "INTEGER",
                "DOUBLE": "REAL", "FLOAT": "REAL", "BOOLEAN": "INTEGER", "DATE": "TEXT", "TIMESTAMP": "TEXT"}


def database(pkg: Package) -> Path:
    return pkg.build_dir / "bizenv.sqlite"


def sqlite_type(duck_type: str) -> str:
    if duck_type.startswith("DECIMAL"):
        return "REAL"
    return SQLITE_TYPES.get(duck_type, "TEXT")


def export_expr(name: str, duck_type: str) -> str:
    """A DuckDB expression giving the column's value as SQLite stores it."""
    col = quote_ident(name)
    if duck_type == "BOOLEAN":
        return f"CAST({col} AS INTEGER)"
    if duck_type.startswith("DECIMAL") or duck_type == "FLOAT":
        return f"CAST({col} AS DOUBLE)"
    if duck_type in ("HUGEINT", "UBIGINT"):
        return f"CAST({col} AS BIGINT)"
    if sqlite_type(duck_type) == "TEXT" and duck_type != "VARCHAR":
        return f"CAST({col} AS VARCHAR)"
    return col


def columns_of(con, relation: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {quote_ident(relation)}").fetchall()]


def fts_columns(table: str) -> list[tuple[str, str, str]]:
    """(relation, column, FTS column name) for each searchable column of ``table``."""
    out = []
    for source in SEARCH.get(table, []):
        relation, column = source.split(".", 1)
        out.append((relation, column, column if relation == table else f"{relation}_{column}"))
    return out


def write(pkg: Package, con, path: Path, tables: list[str], views: list[str]) -> None:
    """Write the SQLite file at ``path`` from the DuckDB connection ``con`` (the built database)."""
    if path.exists():
        path.unlink()
    out = sqlite3.connect(str(path))
    try:
        out.execute("PRAGMA journal_mode = OFF")
        out.execute("PRAGMA synchronous = OFF")
        out.execute("PRAGMA foreign_keys = OFF")
        for name in tables:
            _table(pkg, con, out, name)
        for name in _in_definition_order(pkg, views):
            with time_budget(con, out, name):
                if not _real_view(con, out, name, definitions(pkg).get(name)):
                    _view(con, out, name)
        _copy(con, out, "_package", "_package", columns_of(con, "_package"))
        for table in SEARCH:
            if table in tables:
                _fts(pkg, con, out, table)
        _source_lines(pkg, con, out)
        out.commit()
    finally:
        out.close()


def _table(pkg: Package, con, out, name: str) -> None:
    cols = columns_of(con, name)
    pk = pkg.primary_key(name)
    defs = []
    for col, duck_type in cols:
        stype = sqlite_type(duck_type)
        if pk == [col] and stype == "INTEGER":
            stype = "INT"  # not an alias of rowid: rows keep the order of their file
        defs.append(f"{quote_ident(col)} {stype}")
    if pk:
        defs.append(f"PRIMARY KEY ({', '.join(quote_ident(c) for c in pk)})")
    for fk in pkg.foreign_keys(name):
        fields = [fk["fields"]] if isinstance(fk["fields"], str) else fk["fields"]
        ref = fk["reference"]
        ref_fields = [ref["fields"]] if isinstance(ref["fields"], str) else ref["fields"]
        ref_table = ref.get("resource") or name
        defs.append(f"FOREIGN KEY ({', '.join(quote_ident(c) for c in fields)}) REFERENCES "
                    f"{quote_ident(ref_table)} ({', '.join(quote_ident(c) for c in ref_fields)})")
    out.execute(f"CREATE TABLE {quote_ident(name)} (\n  " + ",\n  ".join(defs) + "\n)")
    _insert(con, out, name, name, cols, order="rowid")


VIEW_NAME = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(?:\"((?:[^\"]|\"\")+)\"|(\w+))", re.IGNORECASE)


def definitions(pkg: Package) -> dict[str, str]:
    """Each view's CREATE VIEW statement in sql/views.sql (checked by the build), by view name."""
    from .build import view_statements

    out = {}
    for statement in view_statements(pkg):
        text = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--"))
        match = VIEW_NAME.search(text)
        if match:
            out[(match.group(1) or "").replace('""', '"') or match.group(2)] = text.strip()
    return out


def _in_definition_order(pkg: Package, views: list[str]) -> list[str]:
    """The views in the order sql/views.sql creates them, so a view's dependencies come first."""
    order = list(definitions(pkg))
    return sorted(views, key=lambda v: order.index(v) if v in order else len(order))


# A view is package content: one that runs for ever (a recursive CTE without end) must not hang
# the build. BIZENV_VIEW_SECONDS overrides the budget per view.
VIEW_SECONDS = 600.0


def view_seconds(setting: str | None) -> float:
    """The budget per view: BIZENV_VIEW_SECONDS when set (a positive number of seconds), else VIEW_SECONDS."""
    import math

    from .tables import SettingError

    if setting is None:
        return VIEW_SECONDS
    try:
        seconds = float(setting)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise SettingError(f"BIZENV_VIEW_SECONDS={setting[:40]!r} is not a number of seconds greater than 0, such as "
                           "600; set it to one or unset it")
    return seconds


class ViewTimeout(Exception):
    pass


class time_budget:
    """Interrupt DuckDB and SQLite when computing one view takes longer than the budget."""

    def __init__(self, con, out, name: str):
        import os

        self.con, self.out, self.name = con, out, name
        self.seconds = view_seconds(os.environ.get("BIZENV_VIEW_SECONDS"))

    def __enter__(self):
        import threading
        import time

        self.expired = False
        deadline = time.monotonic() + self.seconds

        def expire():
            self.expired = True
            self.con.interrupt()

        self.timer = threading.Timer(self.seconds, expire)
        self.timer.daemon = True
        self.timer.start()
        self.out.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        return self

    def __exit__(self, kind, exc, tb):
        self.timer.cancel()
        self.out.set_progress_handler(None, 0)
        if kind is not None and (self.expired or isinstance(exc, sqlite3.OperationalError)
                                 and "interrupt" in str(exc)):
            raise ViewTimeout(f"sql/views.sql: view {self.name} took longer than {self.seconds:g} s to compute "
                              "(set BIZENV_VIEW_SECONDS to allow more)") from None
        return False


def _fingerprints(cols) -> tuple[str, str]:
    """Aggregates that fingerprint a relation's rows, as a DuckDB and an SQLite select list: the row count
    and, per column, its non-empty count, and for numbers their sum, for text the sum of the lengths and
    the smallest and largest value.  Computed by each engine over whole columns; two relations with the
    same rows have the same fingerprint (a dialect difference such as SQLite's integer division changes
    a sum, a length or an extreme)."""
    duck, lite = ["count(*)"], ["count(*)"]
    for name, duck_type in cols:
        col, value = quote_ident(name), export_expr(name, duck_type)
        duck.append(f"count({col})")
        lite.append(f"count({col})")
        if sqlite_type(duck_type) in ("INTEGER", "REAL"):
            duck.append(f"coalesce(sum(CAST({value} AS DOUBLE)), 0)")
            lite.append(f"total({col})")
        elif duck_type in ("VARCHAR", "DATE", "TIMESTAMP", "TIME"):
            duck += [f"sum(length({value}))", f"min({value})", f"max({value})"]
            lite += [f"sum(length({col}))", f"min({col})", f"max({col})"]
    return ", ".join(duck), ", ".join(lite)


def _same(a: tuple, b: tuple) -> bool:
    import math

    return len(a) == len(b) and all(
        math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6) if isinstance(x, (int, float)) and isinstance(y, (int, float))
        and not isinstance(x, bool) else x == y for x, y in zip(a, b))


def _real_view(con, out, name: str, statement: str | None) -> bool:
    """Create the view in SQLite from its one definition if SQLite runs it and returns the same
    columns and rows as DuckDB (the same fingerprint, :func:`_fingerprints`); otherwise leave nothing
    behind and return False."""
    if not statement:
        return False
    described = columns_of(con, name)
    cols = [c for c, _ in described]
    try:
        out.execute(statement)  # one CREATE VIEW (sqlite3 runs no second statement)
        if out.execute("SELECT name FROM sqlite_master WHERE type = 'view' AND name = ?", [name]).fetchone() is None:
            raise sqlite3.OperationalError("the statement did not create the view")
        duck, lite = _fingerprints(described)
        cur = out.execute(f"SELECT * FROM {quote_ident(name)} LIMIT 0")
        if [d[0] for d in cur.description] != cols or not _same(
                out.execute(f"SELECT {lite} FROM {quote_ident(name)}").fetchone(),
                con.execute(f"SELECT {duck} FROM {quote_ident(name)}").fetchone()):
            raise sqlite3.OperationalError("different rows")
        return True
    except sqlite3.Error as exc:
        out.set_progress_handler(None, 0)
        out.execute(f"DROP VIEW IF EXISTS {quote_ident(name)}")
        if "interrupt" in str(exc):
            raise
        return False


def _view(con, out, name: str) -> None:
    cols = columns_of(con, name)
    rows_table = f"_view_{name}"
    defs = ", ".join(f"{quote_ident(c)} {sqlite_type(t)}" for c, t in cols)
    out.execute(f"CREATE TABLE {quote_ident(rows_table)} ({defs})")
    _insert(con, out, name, rows_table, cols)
    out.execute(f"CREATE VIEW {quote_ident(name)} AS SELECT "
                f"{', '.join(quote_ident(c) for c, _ in cols)} FROM {quote_ident(rows_table)}")


def _copy(con, out, source: str, target: str, cols) -> None:
    defs = ", ".join(f"{quote_ident(c)} {sqlite_type(t)}" for c, t in cols)
    out.execute(f"CREATE TABLE {quote_ident(target)} ({defs})")
    _insert(con, out, source, target, cols)


def _insert(con, out, source: str, target: str, cols, order: str | None = None) -> None:
    select = ", ".join(export_expr(c, t) for c, t in cols)
    sql = f"SELECT {select} FROM {quote_ident(source)}" + (f" ORDER BY {order}" if order else "")
    cur = con.execute(sql)
    insert = (f"INSERT INTO {quote_ident(target)} VALUES ({', '.join('?' for _ in cols)})")
    while batch := cur.fetchmany(10_000):
        out.executemany(insert, batch)


def _fts(pkg: Package, con, out, table: str) -> None:
    """FTS5 table ``<table>_fts``: rowid = the table's rowid in SQLite, one column per source."""
    sources = fts_columns(table)
    pk = pkg.primary_key(table)
    fts = quote_ident(f"{table}_fts")
    names = [quote_ident(n) for _, _, n in sources]
    out.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(names)}, "
                f"tokenize = {sql_literal(FTS_TOKENIZER)}, content = '')")
    # the SQLite rowid of a row is its position in the file (rows inserted in DuckDB's rowid order)
    selects, joins = [], []
    for i, (relation, column, _) in enumerate(sources):
        if relation == table:
            selects.append(TOKEN_SQL.format(col=f"t.{quote_ident(column)}"))
            continue
        alias = f"s{i}"
        on = " AND ".join(f"{alias}.{quote_ident(k)} = t.{quote_ident(k)}" for k in pk)
        agg = f"string_agg({quote_ident(column)}, chr(10))"
        joins.append(f"LEFT JOIN (SELECT {', '.join(quote_ident(k) for k in pk)}, {agg} AS {quote_ident(column)} "
                     f"FROM {quote_ident(relation)} GROUP BY ALL) {alias} ON {on}")
        selects.append(TOKEN_SQL.format(col=f"{alias}.{quote_ident(column)}"))
    sql = (f"SELECT row_number() OVER (ORDER BY t.rowid), {', '.join(selects)} FROM {quote_ident(table)} t "
           f"{' '.join(joins)} ORDER BY t.rowid")
    cur = con.execute(sql)
    insert = f"INSERT INTO {fts} (rowid, {', '.join(names)}) VALUES ({', '.join('?' for _ in range(len(names) + 1))})"
    while batch := cur.fetchmany(10_000):
        out.executemany(insert, batch)
    out.execute(f"INSERT INTO {fts} ({fts}) VALUES ('optimize')")


def _source_lines(pkg: Package, con, out) -> None:
    """Every line of every source document (for the task pages), by file and line number."""
    out.execute("CREATE TABLE _source_lines (source_file TEXT, line INTEGER, text TEXT, "
                "PRIMARY KEY (source_file, line))")
    from .paths import MAX_SOURCE_BYTES, PathRefused, package_file, read_bytes

    files = [r[0] for r in con.execute(
        "SELECT DISTINCT source_file FROM documents WHERE source_file IS NOT NULL ORDER BY 1").fetchall()]
    for rel in files:
        try:
            path = package_file(pkg.root, rel, "documents.csv: source_file", max_bytes=MAX_SOURCE_BYTES)
            lines = read_bytes(path, MAX_SOURCE_BYTES).decode("utf-8").split("\n")
        except (PathRefused, OSError, UnicodeDecodeError):
            continue  # validation reports an unreadable source; the task pages show no lines for it
        out.executemany("INSERT INTO _source_lines VALUES (?, ?, ?)",
                        [(rel, n, text) for n, text in enumerate(lines, start=1)])

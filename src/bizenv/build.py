"""``bizenv build``: the DuckDB database, its views, one Parquet file per table and the SQLite file.

The build validates first and refuses an invalid corpus; it writes the tables the validator
read, so every CSV file is read once.  Tables and Parquet files keep the rows in the order of
their CSV files.  It writes everything into a
temporary folder inside ``build/`` and only then moves it into place, so a build that
fails half-way leaves the previous database and Parquet files as they were.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .findings import FindingsError
from .package import Package
from .tables import Workspace, load, quote_ident, sql_literal


class BuildError(FindingsError):
    pass


@dataclass
class BuildResult:
    database: Path
    parquet: Path
    tables: dict[str, int] = field(default_factory=dict)
    views: list[str] = field(default_factory=list)


def split_statements(sql: str) -> list[str]:
    """Statements of views.sql: each ends with a line holding only ';'."""
    statements, current = [], []
    for line in sql.splitlines():
        if line.strip() == ";":
            text = "\n".join(current).strip()
            if text:
                statements.append(text)
            current = []
        else:
            current.append(line)
    if "\n".join(current).strip():
        statements.append("\n".join(current).strip())
    return statements


def build(pkg: Package, validate_first: bool = True) -> BuildResult:
    """Validate, then write the validated tables: every CSV is read once, by the validator."""
    pkg.build_dir.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=pkg.build_dir))
    try:
        with Workspace() as con:
            if validate_first:
                from .validate import validate

                result = validate(pkg, con=con)
                if not result.ok:
                    raise BuildError("the corpus is not valid; nothing was built (run bizenv validate)",
                                     result.findings)
                tables = pkg.table_names
            else:
                loaded = load(con, pkg)
                if loaded.findings:
                    raise BuildError("tables could not be loaded", loaded.findings)
                tables = loaded.tables
            _copy(con, tables, tmp / "bizenv.duckdb")
        out = _write(pkg, tmp, tables)
        _swap(pkg, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out.database = pkg.database
    out.parquet = pkg.build_dir / "parquet"
    return out


def _copy(con, tables: list[str], db: Path) -> None:
    """The typed tables of the workspace, in file order, into the new database file."""
    con.execute(f"ATTACH {sql_literal(str(db))} AS out")
    for name in tables:
        con.execute(f"CREATE TABLE out.{quote_ident(name)} AS SELECT * EXCLUDE (_row) FROM {quote_ident(name)}")
    con.execute("DETACH out")


def _write(pkg: Package, tmp: Path, tables: list[str]) -> BuildResult:
    db = tmp / "bizenv.duckdb"
    parquet = tmp / "parquet"
    parquet.mkdir()
    result = BuildResult(db, parquet)
    with Workspace(str(db)) as con:
        for name in tables:
            _comment(con, pkg, name)
            result.tables[name] = con.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchone()[0]
        views_sql = pkg.root / "sql" / "views.sql"
        if views_sql.exists():
            for statement in split_statements(views_sql.read_text(encoding="utf-8")):
                try:
                    con.execute(statement)
                except Exception as exc:
                    raise BuildError(f"sql/views.sql: {str(exc).splitlines()[0]}\n  in: {statement.splitlines()[0]}")
        result.views = [r[0] for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY view_name").fetchall()]
        con.execute("CREATE TABLE _package AS SELECT ? AS name, ? AS version",
                    [pkg.descriptor.get("name"), pkg.descriptor.get("version")])
        from . import sqlitedb

        sqlitedb.write(pkg, con, tmp / "bizenv.sqlite", tables, result.views)
        for name in tables:  # rows in the order of their CSV file, as in the database
            target = sql_literal(str(parquet / f"{name}.parquet"))
            con.execute(f"COPY {quote_ident(name)} TO {target} (FORMAT parquet)")
        con.execute("CHECKPOINT")
    return result


def _comment(con, pkg: Package, name: str) -> None:
    """The Table Schema's descriptions, as comments in the database's catalogue."""
    schema = pkg.schema(name)
    if schema.get("description"):
        con.execute(f"COMMENT ON TABLE {quote_ident(name)} IS {sql_literal(schema['description'])}")
    for f in pkg.fields(name):
        if f.get("description"):
            con.execute(f"COMMENT ON COLUMN {quote_ident(name)}.{quote_ident(f['name'])} "
                        f"IS {sql_literal(f['description'])}")


def _swap(pkg: Package, tmp: Path) -> None:
    """Move the new files into place; the database is replaced in one rename."""
    final_parquet = pkg.build_dir / "parquet"
    old = pkg.build_dir / f".old-parquet-{os.getpid()}"
    if final_parquet.exists():
        final_parquet.rename(old)
    (tmp / "parquet").rename(final_parquet)
    os.replace(tmp / "bizenv.sqlite", pkg.build_dir / "bizenv.sqlite")
    os.replace(tmp / "bizenv.duckdb", pkg.database)
    shutil.rmtree(old, ignore_errors=True)


def is_stale(pkg: Package) -> bool:
    if not pkg.database.exists() or not (pkg.build_dir / "bizenv.sqlite").exists():
        return True
    built = pkg.database.stat().st_mtime
    return any(f.stat().st_mtime > built for f in pkg.inputs())

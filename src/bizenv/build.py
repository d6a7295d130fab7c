"""``bizenv build``: the DuckDB database, its views and one Parquet file per table; the site's SQLite file.

The build validates first and refuses an invalid corpus; it writes the tables the validator
read, so every CSV file is read once.  Tables and Parquet files keep the rows in the order of
their CSV files.  It writes everything into a
temporary folder inside ``build/`` and only then moves it into place, so a build that
fails half-way leaves the previous database and Parquet files as they were.

The web page's SQLite file (``build/bizenv.sqlite``, with its search index) is written from the
built database by :func:`build_site`: by ``bizenv build --site``, and by ``bizenv serve`` when it
is missing or older than the database.  A build without it removes the old one, so that build/
never holds a site older than its database.
"""

from __future__ import annotations

import os
import re
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


def build(pkg: Package, validate_first: bool = True, site: bool = False) -> BuildResult:
    """Validate, then write the validated tables: every CSV is read once, by the validator.  With
    ``site``, the web page's SQLite file too (:func:`build_site`)."""
    tmp = Path(_scratch(pkg, tempfile.mkdtemp, ".build-"))
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
        out = _write(pkg, tmp, tables, site)
        _swap(pkg, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out.database = pkg.database
    out.parquet = pkg.build_dir / "parquet"
    return out


# Rows per row group of the Parquet files. DuckDB's default (122,880) holds row groups of long texts in
# memory while it writes them in file order: at 1,000,000 tasks it spilled 0.25 GB for tasks.parquet;
# with 30,720 rows (15 of DuckDB's vectors of 2,048, the unit it counts row groups in) nothing spills and the
# copy is faster.
PARQUET_ROW_GROUP = 30_720


def _copy(con, tables: list[str], db: Path) -> None:
    """The typed tables of the workspace, in file order, into the new database file."""
    con.execute(f"ATTACH {sql_literal(str(db))} AS out")
    for name in tables:
        con.execute(f"CREATE TABLE out.{quote_ident(name)} AS SELECT * EXCLUDE (_row) FROM {quote_ident(name)}")
    con.execute("DETACH out")


def _write(pkg: Package, tmp: Path, tables: list[str], site: bool) -> BuildResult:
    db = tmp / "bizenv.duckdb"
    parquet = tmp / "parquet"
    parquet.mkdir()
    result = BuildResult(db, parquet)
    with Workspace(str(db)) as con:
        for name in tables:
            _comment(con, pkg, name)
            result.tables[name] = con.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchone()[0]
        con.execute("CREATE TABLE _package AS SELECT ? AS name, ? AS version",
                    [str(pkg.descriptor.get("name") or ""), str(pkg.descriptor.get("version") or "")])
        for name in tables:  # rows in the order of their CSV file, as in the database
            target = sql_literal(str(parquet / f"{name}.parquet"))
            con.execute(f"COPY {quote_ident(name)} TO {target} (FORMAT parquet, ROW_GROUP_SIZE {PARQUET_ROW_GROUP})")
        con.execute("CHECKPOINT")
    result.views = create_views(pkg, db)
    if site:
        _write_site(pkg, db, tmp / "bizenv.sqlite", tables, result.views)
    return result


def _write_site(pkg: Package, db: Path, path: Path, tables: list[str], views: list[str]) -> None:
    from . import sqlitedb
    from .tables import connect

    con = connect(str(db), read_only=True, enable_external_access=False)
    try:
        sqlitedb.write(pkg, con, path, tables, views)
    except sqlitedb.ViewTimeout as exc:
        raise BuildError(str(exc)) from None
    finally:
        con.close()


def _scratch(pkg: Package, make, prefix: str) -> str:
    """A temporary folder or file (``make``: ``tempfile.mkdtemp`` or ``mkstemp``) inside build/, which must
    be a real folder of the package: a symbolic link could lead the outputs anywhere."""
    try:
        if pkg.build_dir.is_symlink():
            raise BuildError(f"{pkg.build_dir} is a symbolic link; remove it (build/ is written by bizenv build)")
        pkg.build_dir.mkdir(exist_ok=True)
        made = make(prefix=prefix, dir=pkg.build_dir)
    except OSError as exc:
        raise BuildError(f"cannot write into {pkg.build_dir} ({exc.strerror}): it must be a folder you can "
                         "write to") from None
    if isinstance(made, tuple):  # mkstemp: (descriptor, path)
        os.close(made[0])
        return made[1]
    return made


def site_path(pkg: Package) -> Path:
    return pkg.build_dir / "bizenv.sqlite"


def build_site(pkg: Package) -> Path:
    """Write the web page's SQLite file from the built database (build it first if it is stale); the
    file is written beside and renamed into place, so a failure leaves the previous one."""
    if is_stale(pkg):
        build(pkg)
    from .tables import connect

    con = connect(str(pkg.database), read_only=True, enable_external_access=False)
    try:
        names = {r[0]: r[1] for r in con.execute(
            "SELECT table_name, 'table' FROM duckdb_tables() WHERE database_name = current_database() "
            "AND NOT internal UNION ALL SELECT view_name, 'view' FROM duckdb_views() "
            "WHERE database_name = current_database() AND NOT internal").fetchall()}
    finally:
        con.close()
    tables = [t for t in pkg.table_names if names.get(t) == "table"]
    views = [v for v, kind in names.items() if kind == "view"]
    tmp = _scratch(pkg, tempfile.mkstemp, ".site-")
    try:
        _write_site(pkg, pkg.database, Path(tmp), tables, views)
        os.replace(tmp, site_path(pkg))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return site_path(pkg)


def site_is_stale(pkg: Package) -> bool:
    """True when the site's SQLite file is missing or older than the database (or the database is stale)."""
    path = site_path(pkg)
    return is_stale(pkg) or not path.is_file() or path.stat().st_mtime < pkg.database.stat().st_mtime


VIEW = re.compile(r"(?:\s*--[^\n]*\n)*\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s", re.IGNORECASE)


def view_statements(pkg: Package) -> list[str]:
    """The statements of sql/views.sql, each checked to be a CREATE VIEW (it is package content)."""
    from .paths import PathRefused, package_file, read_bytes

    try:
        path = package_file(pkg.root, "sql/views.sql", "sql/views.sql", must_exist=False)
        if not path.exists():
            return []
        text = read_bytes(path).decode("utf-8")
    except (PathRefused, UnicodeDecodeError, OSError) as exc:
        raise BuildError(f"sql/views.sql cannot be read: {exc}") from None
    statements = split_statements(text)
    for statement in statements:
        if not VIEW.match(statement):
            raise BuildError(f"sql/views.sql: only CREATE VIEW statements are allowed\n  in: "
                             f"{statement.splitlines()[0][:200]}")
    return statements


def create_views(pkg: Package, db: Path) -> list[str]:
    """Run sql/views.sql in a connection that cannot touch any file but the database, and only if
    DuckDB's parser agrees that every statement creates something (no COPY, ATTACH, SET, ...)."""
    import duckdb

    from .tables import connect, raise_if_not_data

    statements = view_statements(pkg)
    con = connect(str(db), enable_external_access=False)
    try:
        con.execute("SET lock_configuration = true")
        for statement in statements:
            try:
                parsed = con.extract_statements(statement)
                if len(parsed) != 1 or parsed[0].type != duckdb.StatementType.CREATE:
                    raise BuildError(f"sql/views.sql: one CREATE VIEW per statement (a line with ';' ends it)\n"
                                     f"  in: {statement.splitlines()[0][:200]}")
                con.execute(statement)
            except duckdb.Error as exc:
                raise_if_not_data(exc)
                raise BuildError(f"sql/views.sql: {str(exc).splitlines()[0]}\n  in: {statement.splitlines()[0][:200]}")
        con.execute("CHECKPOINT")
        return [r[0] for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY view_name").fetchall()]
    finally:
        con.close()


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
    if (tmp / "bizenv.sqlite").exists():
        os.replace(tmp / "bizenv.sqlite", site_path(pkg))
    else:  # a site older than the new database is not kept
        site_path(pkg).unlink(missing_ok=True)
    os.replace(tmp / "bizenv.duckdb", pkg.database)
    shutil.rmtree(old, ignore_errors=True)


def is_stale(pkg: Package) -> bool:
    """True when the database is missing, older than an input, or not a database DuckDB can open
    (a stale or damaged file is rebuilt, never trusted)."""
    if not pkg.database.is_file():
        return True
    try:
        with open(pkg.database, "rb") as fh:
            if fh.read(12)[8:12] != b"DUCK":
                return True
    except OSError:
        return True
    built = pkg.database.stat().st_mtime
    return any(f.stat().st_mtime > built for f in pkg.inputs())

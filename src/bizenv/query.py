"""``bizenv query``: SQL against the built database, opened read-only.

The connection is read-only and has external access switched off, so a statement
can neither change the database nor read or write files, attach databases or load
extensions.  The configuration is locked so a query cannot switch these back on.
"""

from __future__ import annotations

from .package import Package


class QueryError(Exception):
    pass


def open_readonly(pkg: Package):
    from .tables import connect

    con = connect(str(pkg.database), read_only=True, enable_external_access=False)
    con.execute("SET lock_configuration = true")
    return con


def run(pkg: Package, sql: str) -> tuple[list[str], list[tuple]]:
    import duckdb

    con = open_readonly(pkg)
    try:
        cur = con.execute(sql)
        if cur.description is None:
            return [], []
        return [d[0] for d in cur.description], cur.fetchall()
    except duckdb.Error as exc:
        raise QueryError(one_line(exc)) from None
    finally:
        con.close()


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:299] + "…"

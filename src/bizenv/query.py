"""``bizenv query``: SQL against the built database, read-only for real.

* The connection is read-only, with external access switched off and the configuration locked,
  so a statement can neither read nor write files, attach databases or load extensions.
* Only one statement, and only a query (SELECT, WITH, VALUES, FROM, DESCRIBE, SHOW, SUMMARIZE,
  EXPLAIN) is run: DuckDB lets even a read-only connection ``COPY`` over its own database file,
  so every other kind of statement (COPY, EXPORT, SET, PRAGMA, CALL, ATTACH, ...) is refused
  before it runs.  The statement is classified by DuckDB's own parser, not by reading its text.
* A time limit (``--timeout``) interrupts a statement that runs too long, and a row cap
  (``--max-rows``) bounds what is fetched; both say so in one line.
"""

from __future__ import annotations

import threading

from .package import Package

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_ROWS = 100_000


class QueryError(Exception):
    pass


class QueryUsage(QueryError):
    """The query text itself is not a usable request (exit code 2)."""


class QueryInterrupted(Exception):
    pass


def open_readonly(pkg: Package):
    from .tables import connect

    con = connect(str(pkg.database), read_only=True, enable_external_access=False)
    con.execute("SET lock_configuration = true")
    return con


def allowed_statement(con, sql: str):
    """The one statement of ``sql`` if it is a query; QueryUsage or QueryError otherwise."""
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(one_line(exc)) from None
    if not statements:
        raise QueryUsage("no SQL statement given (e.g. bizenv query \"SELECT * FROM tasks LIMIT 5\")")
    if len(statements) > 1:
        raise QueryUsage(f"{len(statements)} statements given; run one statement at a time")
    kind = statements[0].type
    if kind not in (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN):
        raise QueryError(f"only queries are run (SELECT, WITH, DESCRIBE, SHOW, EXPLAIN, ...); this is a "
                         f"{kind.name} statement, and the database is read-only")
    return statements[0]


def run(pkg: Package, sql: str, timeout: float = DEFAULT_TIMEOUT,
        max_rows: int = DEFAULT_MAX_ROWS) -> tuple[list[str], list[tuple], bool]:
    """(columns, rows, cut): at most ``max_rows`` rows; ``cut`` says more were there.

    The statement runs in a worker thread while this one waits, so that both the time limit and
    Ctrl-C (which Python delivers only to this thread) can interrupt DuckDB."""
    import time

    import duckdb

    con = open_readonly(pkg)
    runner = con.cursor()  # the worker's own handle: the connection itself stays free to interrupt it
    outcome: dict = {}
    interrupted = False

    def work() -> None:
        try:
            cur = runner.execute(sql)
            if cur.description is None:
                outcome["result"] = ([], [], False)
                return
            rows = cur.fetchmany(max_rows + 1)
            outcome["result"] = ([d[0] for d in cur.description], rows[:max_rows], len(rows) > max_rows)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            outcome["error"] = exc

    try:
        allowed_statement(con, sql)
        worker = threading.Thread(target=work, daemon=True)
        deadline = time.monotonic() + timeout
        expired = False
        try:
            worker.start()
            while worker.is_alive():
                worker.join(0.05)
                if not expired and time.monotonic() > deadline:
                    expired = True
                    runner.interrupt()
        except KeyboardInterrupt:
            runner.interrupt()
            if worker.is_alive():
                worker.join(2)
            interrupted = True  # DuckDB may still hold the handle: the process ends without closing it
            raise QueryInterrupted() from None
        error = outcome.get("error")
        if isinstance(error, duckdb.InterruptException) or expired and error is not None:
            raise QueryError(f"stopped after {timeout:g} s (the time limit; raise it with --timeout)")
        if isinstance(error, duckdb.Error):
            raise QueryError(one_line(error))
        if error is not None:
            raise error
        return outcome["result"]
    finally:
        if not interrupted:
            runner.close()
            con.close()


def one_line(exc: BaseException) -> str:
    from .paths import shown

    text = " ".join(str(exc).split())
    return shown(text if len(text) <= 300 else text[:299] + "…")

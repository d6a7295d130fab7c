"""Layer 3: provenance.

* Each source file's bytes match the SHA-256 recorded in documents.csv.
* Every field whose Table Schema declares ``"verbatim"`` is found exactly as it is
  stored: ``{"in": "line", "line_field": F}`` on the source line named by column F
  (a value with line breaks spans that many lines from there); ``{"in": "document"}``
  anywhere in its document; ``{"in": "task_text"}`` inside the text of the row's
  task; ``{"in": "field", "field": F}`` inside column F of the same row (numbers as
  printed: 10.0 is looked for as "10").  A spec may carry ``"when": {column: value}`` to
  apply to those rows only, and a field may list several specs.

The checks are compiled from the schemas into DuckDB SQL over whole tables.
"""

from __future__ import annotations


from ..findings import Finding, first_difference
from ..package import Package
from ..tables import quote_ident as q


def check(con, pkg: Package, loaded: list[str]) -> list[Finding]:
    if "documents" not in loaded:
        return [Finding("provenance", "provenance-skipped", "documents table not loaded: sources cannot be checked",
                        table="documents", file=pkg.relpath("documents") if "documents" in pkg.resources else None)]
    from ..tables import unordered

    with unordered(con):  # every query here says its order
        return _check(con, pkg, loaded)


def _check(con, pkg: Package, loaded: list[str]) -> list[Finding]:
    findings = load_sources(con, pkg)
    import duckdb

    specs = [(table, field["name"], spec) for table in loaded for field in pkg.fields(table)
             for spec in _specs(field)]
    lines = [s for s in specs if s[2].get("in") == "line"]
    try:  # every check against a source line in one join, so the lines are read once
        findings += verbatim_lines(con, pkg, lines)
        done = lines
    except duckdb.Error:  # run them one by one to say which cannot run
        done = []
    for table, column, spec in specs:
        if (table, column, spec) in done:
            continue
        try:
            findings += verbatim(con, pkg, table, column, spec)
        except duckdb.Error as exc:  # a table it needs did not load (reported by then), or broken data
            findings.append(Finding("provenance", "check-not-run",
                                    f"verbatim check of {column} not run: {str(exc).splitlines()[0]}",
                                    table=table, file=pkg.relpath(table), column=column))
    return findings


def _specs(field: dict) -> list[dict]:
    specs = field.get("verbatim") or []
    return specs if isinstance(specs, list) else [specs]


# DuckDB reads the lines of every file at once; the whole texts are never kept.
READ_LINES = """
    CREATE OR REPLACE TEMP TABLE source_lines AS
    SELECT document_id, generate_subscripts(lines, 1) AS line_no, unnest(lines) AS line
    FROM (SELECT f.document_id, string_split(t.content, chr(10)) AS lines
          FROM _files f JOIN read_text(?) t ON t.filename = f.path)
"""
NO_LINES = ("CREATE OR REPLACE TEMP TABLE source_lines AS SELECT NULL::VARCHAR AS document_id, NULL::BIGINT AS "
            "line_no, NULL::VARCHAR AS line WHERE false")


def sha256_file(path: str) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_sources(con, pkg: Package) -> list[Finding]:
    """Check every source file's SHA-256 and load its lines into ``source_lines``.

    The hashes are computed while streaming each file (two threads; hashlib releases the GIL);
    DuckDB reads the lines itself (``read_text``), so no text passes through Python.  A missing
    file, or one that is not UTF-8, is reported and the others are read.
    """
    from concurrent.futures import ThreadPoolExecutor

    findings, readable = [], []
    docs = con.execute("SELECT _row, document_id, source_file, source_sha256 FROM documents ORDER BY _row").fetchall()
    where = dict(table="documents", file=pkg.relpath("documents"))
    from ..paths import PathRefused

    for row, doc_id, source_file, sha in docs:
        try:
            path = pkg.source_path(source_file or "", "source_file")
        except PathRefused as exc:
            missing = "no such file" in str(exc) or not source_file
            findings.append(Finding("provenance", "source-missing" if missing else "source-refused",
                                    "the source file does not exist" if missing else str(exc),
                                    column="source_file", value=source_file, row=row, key=doc_id, **where))
            continue
        readable.append((doc_id, str(path), sha, row))
    with ThreadPoolExecutor(max_workers=2) as pool:
        actual = list(pool.map(sha256_file, [r[1] for r in readable]))
    for (doc_id, _, sha, row), digest in zip(readable, actual):
        if digest != sha:
            findings.append(Finding("provenance", "source-sha256",
                                    f"the source file's SHA-256 is {digest}, not the recorded value",
                                    column="source_sha256", value=sha, row=row, key=doc_id, **where))
    try:
        _read_lines(con, readable)
    except Exception:  # a file that is not UTF-8: find it, report it, read the others
        good = []
        for doc_id, path, sha, row in readable:
            try:
                with open(path, encoding="utf-8") as fh:
                    while fh.read(1 << 20):
                        pass
                good.append((doc_id, path, sha, row))
            except UnicodeDecodeError as exc:
                findings.append(Finding("provenance", "source-encoding", f"the source file is not UTF-8: {exc}",
                                        column="source_file", value=path, row=row, key=doc_id, **where))
        _read_lines(con, good)
    return findings


def _read_lines(con, files: list[tuple]) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE _files (document_id VARCHAR, path VARCHAR, sha VARCHAR, _row BIGINT)")
    if files:
        columns = [list(c) for c in zip(*files)]  # one statement for all files
        con.execute("INSERT INTO _files SELECT unnest(?), unnest(?), unnest(?), unnest(?)", columns)
        con.execute(READ_LINES, [[r[1] for r in files]])
    else:
        con.execute(NO_LINES)


def document_of(pkg: Package, table: str) -> tuple[str, str] | None:
    """(join clause, document_id expression) for rows of ``table``, following foreign keys."""
    if "document_id" in pkg.field_names(table):
        return "", "t.document_id"
    for fk in pkg.foreign_keys(table):
        ref = fk["reference"]
        fields, ref_fields = fk["fields"], ref["fields"]
        fields = [fields] if isinstance(fields, str) else fields
        ref_fields = [ref_fields] if isinstance(ref_fields, str) else ref_fields
        if len(fields) == 1 and "document_id" in pkg.field_names(ref["resource"]):
            return (f"JOIN {q(ref['resource'])} p ON p.{q(ref_fields[0])} = t.{q(fields[0])}", "p.document_id")
    return None


def as_text(column: str, ftype: str) -> str:
    """SQL rendering a stored value the way it is printed (10.0 -> '10')."""
    if ftype == "number":
        return (f"CASE WHEN {column} = trunc({column}) AND abs({column}) < 1e15 "
                f"THEN CAST(CAST({column} AS BIGINT) AS VARCHAR) ELSE CAST({column} AS VARCHAR) END")
    return f"CAST({column} AS VARCHAR)"


def _values(pkg: Package, table: str, column: str, spec: dict) -> tuple[str, str, str]:
    """(SELECT of _row, _key, _value; FROM ... WHERE of the rows the spec applies to; value expression)."""
    ftype = next(f.get("type", "string") for f in pkg.fields(table) if f["name"] == column)
    pk = pkg.primary_key(table)
    key_sql = " || ', ' || ".join(f"CAST(t.{q(k)} AS VARCHAR)" for k in pk) if pk else "NULL"
    value = as_text(f"t.{q(column)}", ftype)
    nonempty = f"t.{q(column)} IS NOT NULL AND {value} <> ''"
    for when_col, when_value in spec.get("when", {}).items():  # the check applies to these rows only
        nonempty += f" AND t.{q(when_col)} = '{when_value.replace(chr(39), chr(39) * 2)}'"
    return f"SELECT t._row AS _row, {key_sql} AS _key, {value} AS _value", nonempty, value


def verbatim_lines(con, pkg: Package, items: list[tuple[str, str, dict]]) -> list[Finding]:
    """Every ``{"in": "line"}`` check at once: one join of all their values with the source lines.

    One-line values (nearly all) join their line directly; values with line breaks take the window
    of lines they span.
    """
    if not items:
        return []
    parts = []
    for i, (table, column, spec) in enumerate(items):
        base, where, _ = _values(pkg, table, column, spec)
        join, doc = document_of(pkg, table)
        parts.append(f"{base}, {i} AS _check, {doc} AS _doc, t.{q(spec['line_field'])} AS _line "
                     f"FROM {q(table)} t {join} WHERE {where}")
    sql = f"""
        WITH v AS NOT MATERIALIZED ({" UNION ALL ".join(parts)}
        ), single AS (
            SELECT v._check, v._row, v._key, v._value, v._line, l.line AS _source FROM v
            LEFT JOIN source_lines l ON l.document_id = v._doc AND l.line_no = v._line
            WHERE strpos(v._value, chr(10)) = 0 AND (l.line IS NULL OR NOT contains(l.line, v._value))
        ), w AS (
            SELECT v._check, v._row, any_value(v._key) AS _key, any_value(v._value) AS _value,
                   any_value(v._line) AS _line, string_agg(l.line, chr(10) ORDER BY l.line_no) AS _window
            FROM v LEFT JOIN source_lines l ON l.document_id = v._doc
             AND l.line_no BETWEEN v._line AND v._line + length(v._value) - length(replace(v._value, chr(10), ''))
            WHERE strpos(v._value, chr(10)) > 0
            GROUP BY v._check, v._row
        )
        SELECT _check, _row, _key, _value, _line, _source FROM single
        UNION ALL
        SELECT _check, _row, _key, _value, _line, _window FROM w WHERE _window IS NULL OR NOT contains(_window, _value)
        ORDER BY _check, _row
    """
    findings = []
    for check_no, r, k, v, line, source in con.execute(sql).fetchall():
        table, column, spec = items[check_no]
        findings.append(Finding("provenance", "verbatim-line",
                                (f"not found verbatim on line {line} of the source{first_difference(v, source)}"
                                 if line is not None
                                 else f"no {spec['line_field']} is given, so the value cannot be traced"),
                                table=table, file=pkg.relpath(table), row=r, column=column, key=k, value=v))
    return findings


def verbatim(con, pkg: Package, table: str, column: str, spec: dict) -> list[Finding]:
    where_in = spec.get("in")
    if where_in == "line":
        return verbatim_lines(con, pkg, [(table, column, spec)])
    base, nonempty, value = _values(pkg, table, column, spec)
    params: list = []
    if where_in == "document":
        join, doc = document_of(pkg, table)
        # the whole texts are read again for these values rather than kept in memory
        paths = [r[0] for r in con.execute("SELECT path FROM _files").fetchall()]
        texts = ("SELECT f.document_id, t.content FROM _files f JOIN read_text(?) t ON t.filename = f.path"
                 if paths else "SELECT NULL::VARCHAR AS document_id, NULL::VARCHAR AS content WHERE false")
        sql = f"""
            WITH s AS ({texts})
            {base} FROM {q(table)} t {join} LEFT JOIN s ON s.document_id = {doc}
            WHERE {nonempty} AND (s.content IS NULL OR NOT contains(s.content, {value})) ORDER BY t._row
        """
        params = [paths] if paths else []
        message = "not found verbatim in the document's source"
        rule = "verbatim-document"
    elif where_in == "task_text":
        sql = f"""
            {base} FROM {q(table)} t LEFT JOIN tasks k ON k.task_id = t.task_id
            WHERE {nonempty} AND (k.text IS NULL OR NOT contains(k.text, {value})) ORDER BY t._row
        """
        message = "not found verbatim in the text of its task"
        rule = "verbatim-task-text"
    elif where_in == "field":
        other = spec["field"]
        sql = f"""
            {base} FROM {q(table)} t
            WHERE {nonempty} AND (t.{q(other)} IS NULL OR NOT contains(t.{q(other)}, {value})) ORDER BY t._row
        """
        message = f"not found verbatim in column {other} of the same row"
        rule = "verbatim-field"
    else:
        return [Finding("provenance", "verbatim-spec", f"unknown verbatim spec {spec!r} in the Table Schema",
                        table=table, column=column)]
    return [Finding("provenance", rule, message, table=table, file=pkg.relpath(table), row=r, column=column,
                    key=k, value=v) for r, k, v in con.execute(sql, params).fetchall()]

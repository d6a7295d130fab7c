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

The checks against the source files (``line`` and ``document``) run over the sources in batches
of documents (about :data:`BATCH_BYTES` of text each, in the order of documents.csv), so that
DuckDB's memory stays bounded at any size: two threads read and hash the files of the next batch
while DuckDB checks the current one.  A batch's text is one buffer; its lines are slices of it
(found with numpy, never copied one by one), handed to DuckDB as Arrow arrays and joined on their
number with the values of that batch's documents only.  Those values are read through a range of
``_row`` per table, computed once for every batch: when a CSV keeps each document's rows
together (as the corpus and the synthetic packages do) the range holds the batch's rows and
little else, and DuckDB reads only those; when it does not, the range is wider and the check
slower, never different.  Values whose document has no readable source are checked once at the
end, and so are the windows of lines of values with line breaks (a window may draw on lines of
several batches when a task's identifier repeats).  Only the failing rows are read again for
their keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..findings import Finding, first_difference
from ..package import Package
from ..tables import quote_ident as q
from ..tables import raise_if_not_data

# Source text per batch (bytes): what DuckDB and Python hold at once for the lines (twice, while the
# next batch is read), besides the values of those documents.  A larger file is a batch of its own.
BATCH_BYTES = 64 * 1024**2
# the specs checked against the source files
SOURCE_SPECS = ("line", "document")


def check(con, pkg: Package, loaded: list[str]) -> list[Finding]:
    if "documents" not in loaded:
        return [Finding("provenance", "provenance-skipped", "documents table not loaded: sources cannot be checked",
                        table="documents", file=pkg.relpath("documents") if "documents" in pkg.resources else None)]
    from ..tables import unordered

    with unordered(con):  # every query here says its order
        return _check(con, pkg, loaded)


def _check(con, pkg: Package, loaded: list[str]) -> list[Finding]:
    import duckdb

    specs = [(table, field["name"], spec) for table in loaded for field in pkg.fields(table)
             for spec in _specs(field)]
    sources = Sources(con, pkg)
    traced = [n for n, s in enumerate(specs) if s[2].get("in") in SOURCE_SPECS]
    try:  # every check against the sources in one pass over them, which also hashes them
        found = sources.check([specs[n] for n in traced], hashing=True)
        done = dict(zip(traced, found))
    except duckdb.Error as exc:  # run them one by one to say which cannot run
        raise_if_not_data(exc)
        done = {}
    findings = sources.findings
    for n in traced:  # the line checks first, in the order of the specs, each in the order of its rows
        if n in done and specs[n][2]["in"] == "line":
            findings += done[n]
    for n, (table, column, spec) in enumerate(specs):
        if n in done:
            if spec["in"] != "line":
                findings += done[n]
            continue
        try:
            if spec.get("in") in SOURCE_SPECS:
                findings += sources.check([(table, column, spec)])[0]
            else:
                findings += verbatim(con, pkg, table, column, spec)
        except duckdb.Error as exc:  # a table it needs did not load (reported by then), or broken data
            raise_if_not_data(exc)
            findings.append(Finding("provenance", "check-not-run",
                                    f"verbatim check of {column} not run: {str(exc).splitlines()[0]}",
                                    table=table, file=pkg.relpath(table), column=column))
    return findings


def _specs(field: dict) -> list[dict]:
    specs = field.get("verbatim") or []
    return specs if isinstance(specs, list) else [specs]


@dataclass
class Source:
    """A source file that documents.csv names and the path gate let through."""
    row: int
    document_id: str | None
    path: str
    sha256: str | None
    size: int


def batches(files: list[Source], limit: int | None = None) -> list[list[Source]]:
    """The documents in batches of about ``limit`` bytes of source (:data:`BATCH_BYTES`), in order.

    Documents that share an identifier or a file are put together in one batch of their own, so
    that their lines are matched together, as one document's."""
    from collections import Counter

    limit = limit or BATCH_BYTES
    ids, paths = Counter(f.document_id for f in files), Counter(f.path for f in files)
    shared = [f for f in files if ids[f.document_id] > 1 or paths[f.path] > 1]
    out, current, size = [], [], 0
    for f in files:
        if ids[f.document_id] > 1 or paths[f.path] > 1:
            continue
        if current and size + f.size > limit:
            out.append(current)
            current, size = [], 0
        current.append(f)
        size += f.size
    return out + [b for b in (current, shared) if b]


def read_source(path: str, into=None) -> tuple:
    """Read a source file (into the writable buffer ``into`` when its size is known) and return
    (its bytes, their SHA-256, whether they are UTF-8, the offsets of its line breaks).  Run in
    threads: hashlib, Arrow and numpy release the GIL over large buffers."""
    import hashlib

    import numpy as np
    import pyarrow as pa

    with open(path, "rb") as fh:
        if into is not None and fh.readinto(into) == len(into) and not fh.read(1):
            data = into
        else:  # the file changed size since the path gate looked at it
            fh.seek(0)
            data = memoryview(fh.read())
    digest = hashlib.sha256(data).hexdigest()
    try:
        pa.LargeStringArray.from_buffers(1, pa.py_buffer(np.array([0, len(data)], dtype=np.int64)),
                                         pa.py_buffer(data)).validate(full=True)
        utf8 = True
    except pa.ArrowInvalid:
        utf8 = False
    return data, digest, utf8, np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)


def not_utf8(path: str) -> str | None:
    """Why a file is not UTF-8 (the decoder's message), or None when it is."""
    try:
        with open(path, encoding="utf-8") as fh:
            while fh.read(1 << 20):
                pass
    except UnicodeDecodeError as exc:
        return str(exc)
    return None


@dataclass
class Batch:
    """One batch's text as Arrow arrays over one buffer: ``files`` (one text per distinct file),
    ``lines`` (``k``: the line's number in the batch from 0; ``line``: its text with the line
    break that ends it) and ``entries`` (one per document and file, as often as the file is named:
    ``base``, the ``k`` of its line 1; ``n``, its number of lines; ``first``, the document's first
    entry; ``max_n``, the most lines of a file of that document)."""
    files: object
    lines: object
    entries: object
    read: set


class Sources:
    """The source files of a package: the path gate, then passes over them batch by batch."""

    def __init__(self, con, pkg: Package):
        from ..paths import PathRefused

        self.con, self.pkg, self.files, self.findings = con, pkg, [], []
        docs = con.execute("SELECT _row, document_id, source_file, source_sha256 FROM documents ORDER BY _row").fetchall()
        self.where = dict(table="documents", file=pkg.relpath("documents"))
        for (row, doc_id, source_file, sha), got in zip(docs, pkg.source_paths([d[2] or "" for d in docs],
                                                                               "source_file")):
            if isinstance(got, PathRefused):
                missing = "no such file" in str(got) or not source_file
                self.findings.append(Finding("provenance", "source-missing" if missing else "source-refused",
                                             "the source file does not exist" if missing else str(got),
                                             column="source_file", value=source_file, row=row, key=doc_id,
                                             **self.where))
            else:
                self.files.append(Source(row, doc_id, str(got[0]), sha, got[1]))
        self.batches = batches(self.files)
        self.hashed = False

    def check(self, items: list[tuple[str, str, dict]], hashing: bool = False) -> list[list[Finding]]:
        """The findings of each ``line`` or ``document`` spec in ``items``, in one pass over the sources.

        With ``hashing``, the pass also checks every file's SHA-256 and encoding (added to
        :attr:`findings`), even when a check cannot run (its ``duckdb.Error`` is raised after)."""
        import duckdb

        failure = None
        try:
            plan = Plan(self.con, self.pkg, items, self.batches) if items else None
        except duckdb.Error as exc:
            raise_if_not_data(exc)
            if not hashing:
                raise
            plan, failure = None, exc
        digests, unreadable, read = {}, {}, set()
        reader = self._read()
        try:
            for number, (sources, texts, whole) in enumerate(reader):
                digests.update((p, t[1]) for p, t in texts.items())
                batch = self._batch(sources, texts, whole, unreadable)
                read |= batch.read
                if plan and failure is None:
                    try:
                        plan.run(number, batch, unread=len(batch.read) < len({s.document_id for s in sources}))
                    except duckdb.Error as exc:
                        raise_if_not_data(exc)
                        if not hashing:
                            raise
                        failure = exc
            if plan and failure is None:
                try:
                    plan.finish(read)
                except duckdb.Error as exc:
                    raise_if_not_data(exc)
                    if not hashing:
                        raise
                    failure = exc
        finally:
            reader.close()
            if plan:
                plan.close()
        if hashing and not self.hashed:
            self.hashed = True
            for s in self.files:
                if digests[s.path] != s.sha256:
                    self.findings.append(Finding(
                        "provenance", "source-sha256", f"the source file's SHA-256 is {digests[s.path]}, not the recorded value",
                        column="source_sha256", value=s.sha256, row=s.row, key=s.document_id, **self.where))
            for s in self.files:
                if s.path in unreadable:
                    self.findings.append(Finding(
                        "provenance", "source-encoding", f"the source file is not UTF-8: {unreadable[s.path]}",
                        column="source_file", value=s.path, row=s.row, key=s.document_id, **self.where))
        if failure is not None:
            raise failure
        return plan.findings() if plan else [[] for _ in items]

    def _read(self):
        """(sources, {path: read_source(path)}) per batch; two threads read the next batch meanwhile,
        into one buffer per batch (two buffers in turn, reused)."""
        from concurrent.futures import ThreadPoolExecutor

        import numpy as np

        buffers: list = [None, None]

        def submit(pool, number):
            sources = self.batches[number]
            sizes = {s.path: s.size for s in sources}
            total = sum(sizes.values())
            if buffers[number % 2] is None or len(buffers[number % 2]) < total:
                buffers[number % 2] = np.empty(max(total, min(BATCH_BYTES, 2 * total)), dtype=np.uint8)
            view, start, futures = memoryview(buffers[number % 2]), 0, {}
            for path, size in sizes.items():
                futures[path] = pool.submit(read_source, path, view[start:start + size])
                start += size
            return sources, futures, view[:total]

        with ThreadPoolExecutor(max_workers=2) as pool:
            ahead = [submit(pool, 0)] if self.batches else []
            for number in range(len(self.batches)):
                sources, futures, whole = ahead.pop(0)
                texts = {p: f.result() for p, f in futures.items()}
                if number + 1 < len(self.batches):  # its buffer is free: the batch before this one is done
                    ahead.append(submit(pool, number + 1))
                in_place = all(t[0].obj is whole.obj for t in texts.values())
                try:
                    yield sources, texts, whole if in_place else None
                except GeneratorExit:  # the pass stopped: the batch read ahead is not wanted
                    for _, later, _ in ahead:
                        for f in later.values():
                            f.cancel()
                    raise

    def _batch(self, sources: list[Source], texts: dict, whole, unreadable: dict) -> Batch:
        """The Arrow arrays of one batch, over ``whole`` (the buffer its files were read into, end to
        end) when it can; a file that is not UTF-8 is left out (and noted in ``unreadable``)."""
        from collections import Counter

        import numpy as np
        import pyarrow as pa

        for p, (_, _, utf8, _) in texts.items():
            if not utf8 and p not in unreadable:
                unreadable[p] = not_utf8(p) or "invalid UTF-8"
        paths = [p for p in texts if p not in unreadable]
        data = [texts[p][0] for p in paths]
        sizes = np.fromiter((len(d) for d in data), dtype=np.int64, count=len(data))
        bounds = np.concatenate(([0], np.cumsum(sizes)))
        buffer = pa.py_buffer(whole if whole is not None and len(paths) == len(texts) else b"".join(data))
        files = pa.LargeStringArray.from_buffers(len(paths), pa.py_buffer(bounds), buffer)
        # a file's lines begin where it begins and after each line break in it; a line keeps the break
        # that ends it, so that it is one slice of the buffer
        after = np.concatenate([np.zeros(0, dtype=np.int64)] +
                               [texts[p][3] + (start + 1) for p, start in zip(paths, bounds[:-1])])
        starts = np.insert(after, np.searchsorted(after, bounds[:-1]), bounds[:-1])
        counts = np.fromiter((len(texts[p][3]) + 1 for p in paths), dtype=np.int64, count=len(paths))
        lines = pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(np.append(starts, bounds[-1])), buffer)
        index, named = {p: i for i, p in enumerate(paths)}, Counter(s.path for s in sources)
        base = np.cumsum(counts) - counts
        # one entry per document and file, as often as the file is named (a document without an
        # identifier matches no value: it has no entry)
        entries = [(s.document_id, index[s.path]) for s in sources
                   if s.path in index and s.document_id is not None for _ in range(named[s.path])]
        most: dict = {}
        for doc, i in entries:
            most[doc] = max(most.get(doc, 0), int(counts[i]))
        seen: set = set()
        file = np.fromiter((i for _, i in entries), dtype=np.int64, count=len(entries))
        return Batch(
            files=_table(i=_ints(np.arange(len(paths))), content=files),
            lines=_table(k=_ints(np.arange(len(starts))), line=lines),
            entries=_table(document_id=_texts([d for d, _ in entries]), file=_ints(file), base=_ints(base[file]),
                           n=_ints(counts[file]), max_n=_ints([most[d] for d, _ in entries]),
                           first=_ints([0 if doc in seen or seen.add(doc) else 1 for doc, _ in entries])),
            read={d for d, _ in entries})


# Arrow arrays made from their buffers (pyarrow's converters of Python values would import pandas)
def _ints(values):
    import numpy as np
    import pyarrow as pa

    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def _texts(values: list[str]):
    import numpy as np
    import pyarrow as pa

    data = [v.encode("utf-8") for v in values]
    offsets = np.concatenate(([0], np.cumsum(np.fromiter(map(len, data), dtype=np.int64, count=len(data)))))
    return pa.LargeStringArray.from_buffers(len(data), pa.py_buffer(offsets), pa.py_buffer(b"".join(data)))


def _table(**columns):
    import pyarrow as pa

    return pa.Table.from_arrays(list(columns.values()), names=list(columns))


def document_of(pkg: Package, table: str) -> tuple[str, str] | None:
    """(join clause, document_id expression) for rows of ``table``, following foreign keys."""
    found = _document_of(pkg, table)
    return found and found[:2]


def _document_of(pkg: Package, table: str) -> tuple[str, str, str | None] | None:
    """(join clause, document_id expression, the table joined or None) for rows of ``table``; the
    joined table is read as ``p`` from the view or subquery put in place of ``{p}``."""
    if "document_id" in pkg.field_names(table):
        return "", "t.document_id", None
    for fk in pkg.foreign_keys(table):
        ref = fk["reference"]
        fields, ref_fields = fk["fields"], ref["fields"]
        fields = [fields] if isinstance(fields, str) else fields
        ref_fields = [ref_fields] if isinstance(ref_fields, str) else ref_fields
        if len(fields) == 1 and "document_id" in pkg.field_names(ref["resource"]):
            return (f"JOIN {{p}} p ON p.{q(ref_fields[0])} = t.{q(fields[0])}", "p.document_id", ref["resource"])
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
    value = as_text(f"t.{q(column)}", ftype)
    nonempty = f"t.{q(column)} IS NOT NULL AND {value} <> ''"
    for when_col, when_value in spec.get("when", {}).items():  # the check applies to these rows only
        nonempty += f" AND t.{q(when_col)} = '{when_value.replace(chr(39), chr(39) * 2)}'"
    return f"SELECT t._row AS _row, {_key(pkg, table)} AS _key, {value} AS _value", nonempty, value


def _key(pkg: Package, table: str) -> str:
    pk = pkg.primary_key(table)
    return " || ', ' || ".join(f"CAST(t.{q(k)} AS VARCHAR)" for k in pk) if pk else "NULL"


# the rows of a table in a range of _row (a filter DuckDB takes into the scan of the table)
RANGE = "(SELECT * FROM {table} WHERE _row BETWEEN ? AND ?)"


class Plan:
    """The ``line`` and ``document`` checks of ``items``, run batch by batch (see the module docstring)."""

    def __init__(self, con, pkg: Package, items: list[tuple[str, str, dict]], parts: list[list[Source]]):
        self.con, self.pkg, self.items = con, pkg, items
        self.lines: list[tuple] = []  # (check, _row, value, line, source) of the failing values
        self.documents: list[tuple] = []  # (check, _row, value)
        self.unread: set[int] = set()  # batches with a file that could not be read
        self.how = {}
        for table, _, _ in items:
            join, doc, ref = _document_of(pkg, table)  # (a table whose documents cannot be found fails here)
            self.how[table] = (join, doc, ref)
        con.execute("CREATE OR REPLACE TEMP TABLE _prov_docs (document_id VARCHAR, batch BIGINT)")
        docs = {s.document_id: n for n, b in enumerate(parts) for s in b if s.document_id is not None}
        if docs:
            con.execute("INSERT INTO _prov_docs SELECT unnest(?), unnest(?)", [list(docs), list(docs.values())])
        con.execute("CREATE OR REPLACE TEMP TABLE _prov_windows (_check BIGINT, _row BIGINT, _value VARCHAR, "
                    "_line BIGINT, line_no BIGINT, line VARCHAR)")
        # per table and batch (None: no readable source): the range of _row of its rows and of the
        # rows of the table its documents are found through
        self.ranges: dict = {}
        for table, (join, doc, ref) in self.how.items():
            refs = ", min(p._row), max(p._row)" if ref else ", NULL, NULL"
            for batch, lo, hi, plo, phi in con.execute(
                    f"SELECT d.batch, min(t._row), max(t._row){refs} FROM {q(table)} t "
                    f"{join.format(p=q(ref)) if ref else ''} LEFT JOIN _prov_docs d ON d.document_id = {doc} "
                    "GROUP BY d.batch").fetchall():
                self.ranges[table, batch] = (lo, hi, plo, phi)

    def _parts(self, kinds: tuple, select: str, joins: str, where: str, batches: list) -> tuple[str, list]:
        """UNION ALL of the values of the items of ``kinds`` over the rows of ``batches``."""
        sql, params = [], []
        for i, (table, column, spec) in enumerate(self.items):
            if spec["in"] not in kinds:
                continue
            ranges = [self.ranges[table, b] for b in batches if (table, b) in self.ranges]
            if not ranges:
                continue
            lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
            join, doc, ref = self.how[table]
            _, nonempty, value = _values(self.pkg, table, column, spec)
            line = f"t.{q(spec['line_field'])}" if spec["in"] == "line" else "NULL::BIGINT"
            sql.append(f"SELECT {i} AS _check, t._row AS _row, {value} AS _value, {line} AS _line{select} "
                       f"FROM {RANGE.format(table=q(table))} t "
                       f"{join.format(p=RANGE.format(table=q(ref))) if ref else ''} {joins.format(doc=doc)} "
                       f"WHERE {nonempty}{where.format(doc=doc)}")
            params += [lo, hi]
            if ref:
                params += [min(r[2] for r in ranges), max(r[3] for r in ranges)]
        return " UNION ALL ".join(sql), params

    def run(self, number: int, batch: Batch, unread: bool) -> None:
        """The checks of one batch: single lines and documents now, windows of lines kept for the end."""
        con = self.con
        if unread:
            self.unread.add(number)
        names = {"_prov_lines": batch.lines, "_prov_entries": batch.entries, "_prov_files": batch.files}
        for name, table in names.items():
            con.register(name, table)
        try:
            values, params = self._parts(("line",), ", d.base, d.n, d.first = 1 AS first, d.max_n",
                                         "JOIN _prov_entries d ON d.document_id = {doc}", "", [number])
            if values:
                sql = f"""
                    WITH v AS ({values}), p AS (
                        SELECT v.*, strpos(_value, chr(10)) > 0 AS _multi,
                               CASE WHEN _line BETWEEN 1 AND n THEN base + _line - 1 END AS _k FROM v)
                    SELECT p._check, p._row, p._value, p._line, rtrim(l.line, chr(10)) AS _source, p._multi,
                           p.base, p.n, p.first
                    FROM p LEFT JOIN _prov_lines l ON l.k = p._k
                    WHERE p._multi OR ((p._k IS NOT NULL OR (p.first AND NOT coalesce(p._line BETWEEN 1 AND p.max_n,
                                                                                          false)))
                                       AND (l.line IS NULL OR NOT contains(l.line, p._value)))
                """
                con.execute(f"CREATE OR REPLACE TEMP TABLE _prov_out AS {sql}", params)
                self.lines += con.execute("SELECT _check, _row, _value, _line, _source FROM _prov_out "
                                          "WHERE NOT _multi").fetchall()
                con.execute("""
                    INSERT INTO _prov_windows
                    SELECT _check, _row, _value, _line, NULL, NULL FROM _prov_out WHERE _multi AND first
                    UNION ALL
                    SELECT w._check, w._row, NULL, w._line, w.line_no, rtrim(l.line, chr(10))
                    FROM (SELECT _check, _row, _line, base, unnest(range(greatest(_line, 1), least(
                              _line + length(_value) - length(replace(_value, chr(10), '')), n) + 1)) AS line_no
                          FROM _prov_out WHERE _multi) w
                    JOIN _prov_lines l ON l.k = w.base + w.line_no - 1
                """)
            values, params = self._parts(("document",), ", d.file", "JOIN _prov_entries d ON d.document_id = {doc}",
                                         "", [number])
            if values:
                self.documents += con.execute(f"""
                    WITH v AS ({values})
                    SELECT v._check, v._row, v._value FROM v JOIN _prov_files f ON f.i = v.file
                    WHERE NOT contains(f.content, v._value)
                """, params).fetchall()
        finally:
            for name in names:
                con.unregister(name)

    def finish(self, read: set) -> None:
        """The values whose document has no readable source, then the windows of lines."""
        con = self.con
        con.execute("CREATE OR REPLACE TEMP TABLE _prov_read (document_id VARCHAR)")
        if read - {None}:
            con.execute("INSERT INTO _prov_read SELECT unnest(?)", [sorted(read - {None})])
        batches = [None, *sorted(self.unread)]
        unread = " AND NOT EXISTS (SELECT 1 FROM _prov_read r WHERE r.document_id = {doc})"
        values, params = self._parts(("line",), "", "", unread, batches)
        if values:
            self.lines += con.execute(f"""
                WITH v AS ({values}) SELECT _check, _row, _value, _line, NULL FROM v WHERE strpos(_value, chr(10)) = 0
            """, params).fetchall()
            con.execute(f"""
                INSERT INTO _prov_windows WITH v AS ({values})
                SELECT _check, _row, _value, _line, NULL, NULL FROM v WHERE strpos(_value, chr(10)) > 0
            """, params)
        values, params = self._parts(("document",), "", "", unread, batches)
        if values:
            self.documents += con.execute(f"WITH v AS ({values}) SELECT _check, _row, _value FROM v", params).fetchall()
        self.lines += con.execute("""
            SELECT _check, _row, _value, _line, _window FROM (
                SELECT _check, _row, any_value(_value) AS _value, any_value(_line) AS _line,
                       string_agg(line, chr(10) ORDER BY line_no) AS _window
                FROM _prov_windows GROUP BY _check, _row)
            WHERE _window IS NULL OR NOT contains(_window, _value)
        """).fetchall()
        self.keys = self._keys()

    def _keys(self) -> dict:
        """The primary key of each failing row, by (table, _row): only those rows are read again."""
        rows: dict[str, set] = {}
        for check, row, *_ in self.lines + self.documents:
            rows.setdefault(self.items[check][0], set()).add(row)
        keys = {}
        for table, wanted in rows.items():
            wanted = sorted(wanted)
            for row, key in self.con.execute(
                    f"SELECT t._row, {_key(self.pkg, table)} FROM {RANGE.format(table=q(table))} t "
                    "WHERE t._row IN (SELECT unnest(?))", [wanted[0], wanted[-1], wanted]).fetchall():
                keys[table, row] = key
        return keys

    def findings(self) -> list[list[Finding]]:
        """The findings of each item, in the order of its rows."""
        out = [[] for _ in self.items]
        for check, r, v, line, source in sorted(self.lines, key=lambda x: (x[0], x[1])):
            table, column, spec = self.items[check]
            out[check].append(Finding(
                "provenance", "verbatim-line",
                (f"not found verbatim on line {line} of the source{first_difference(v, source)}"
                 if line is not None else f"no {spec['line_field']} is given, so the value cannot be traced"),
                table=table, file=self.pkg.relpath(table), row=r, column=column, key=self.keys.get((table, r)),
                value=v))
        for check, r, v in sorted(self.documents, key=lambda x: (x[0], x[1])):
            table, column, _ = self.items[check]
            out[check].append(Finding("provenance", "verbatim-document", "not found verbatim in the document's source",
                                      table=table, file=self.pkg.relpath(table), row=r, column=column,
                                      key=self.keys.get((table, r)), value=v))
        return out

    def close(self) -> None:
        for name in ("_prov_docs", "_prov_windows", "_prov_read", "_prov_out"):
            self.con.execute(f"DROP TABLE IF EXISTS {name}")


def verbatim(con, pkg: Package, table: str, column: str, spec: dict) -> list[Finding]:
    """A ``task_text`` or ``field`` spec, in one query over whole tables."""
    where_in = spec.get("in")
    base, nonempty, value = _values(pkg, table, column, spec)
    if where_in == "task_text":
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
                    key=k, value=v) for r, k, v in con.execute(sql).fetchall()]

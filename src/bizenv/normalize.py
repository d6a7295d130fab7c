"""``bizenv normalize``: bring data CSVs back to the canonical form, on purpose.

The canonical form of a table in ``data/`` is UTF-8 without a byte-order mark, LF line
ends (also inside quoted cells), minimal RFC 4180 quoting (a cell is quoted only when it
holds a comma, a quote or a line break), no empty lines, the columns in the order of the
Table Schema, and derived columns recomputed (``text_clean`` from ``text``, by
:func:`bizenv.cells.clean_text`). A spreadsheet or an editor that saves as GBK, GB18030,
UTF-8 with BOM or CRLF undoes some of this; ``bizenv validate`` then reports it and
``bizenv normalize`` repairs it.

Nothing else is changed: a cell's text is kept as it is (apart from CRLF inside it), a
column that is not in the schema or a row with the wrong number of cells is refused with
its line, not guessed at. Only files of ``data/`` that are tables of the package are
touched, never through a link. All or nothing: every file is read and converted in memory
first; if writing any of them fails, the ones already written are restored.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .package import Package

MAX_BYTES = 512 * 1024**2  # a data CSV larger than this is refused (read whole into memory)
DATA = "data"
# derived column -> (the column it is computed from, the function)


def _derived():
    from .cells import clean_text

    return {"text_clean": ("text", clean_text)}


class NormalizeError(Exception):
    """A file cannot be normalized safely; the message names it, the line and the fix."""


@dataclass
class Plan:
    path: Path
    rel: str
    old: bytes
    new: bytes
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.old != self.new


def _real(path: Path) -> Path:
    """``path`` with its folders resolved (links among them followed), its own name kept."""
    path = Path(os.path.normpath(path))
    return path.parent.resolve() / path.name


def targets(pkg: Package, files: list[Path] | None) -> list[tuple[str, Path]]:
    """(table, path) of the files to normalize: those named (each checked), else every table in data/."""
    data = pkg.root.resolve() / DATA  # a data/ that is itself a link to elsewhere matches nothing
    tables = {}
    for r in pkg.descriptor["resources"]:
        if isinstance(r, dict) and isinstance(r.get("name"), str) and isinstance(r.get("path"), str) \
                and "://" not in r["path"] and not Path(r["path"]).is_absolute():
            tables[_real(pkg.root / r["path"])] = r["name"]
    chosen = []
    if files:
        for f in files:
            given = Path(f) if Path(f).is_absolute() else Path.cwd() / f
            real = _real(given)
            if not real.parent.is_relative_to(data) or real == data:
                raise NormalizeError(f"{f}: outside {DATA}/; normalize changes only the tables in {DATA}/")
            if real.is_symlink():
                raise NormalizeError(f"{f}: a link; normalize writes only regular files in {DATA}/, not through links")
            if real not in tables:
                raise NormalizeError(f"{f}: not a table of the package (datapackage.json names none at this path)")
            chosen.append((tables[real], real))
    else:
        for path, name in tables.items():
            if path.parent.is_relative_to(data) and (path.exists() or path.is_symlink()):
                chosen.append((name, path))
    return list(dict.fromkeys(chosen))


def _read(path: Path, rel: str) -> bytes:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise NormalizeError(f"{rel}: no such file") from None
    if stat.S_ISLNK(info.st_mode):
        raise NormalizeError(f"{rel}: a link; normalize writes only regular files in {DATA}/, not through links")
    if not stat.S_ISREG(info.st_mode):
        raise NormalizeError(f"{rel}: not a regular file")
    if info.st_size > MAX_BYTES:
        raise NormalizeError(f"{rel}: {info.st_size:,} bytes, more than the {MAX_BYTES:,} normalize reads")
    with open(path, "rb") as fh:
        content = fh.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise NormalizeError(f"{rel}: more than the {MAX_BYTES:,} bytes normalize reads")
    return content


def decode(content: bytes, rel: str) -> tuple[str, list[str]]:
    """The text of a CSV saved as UTF-8 (with or without BOM), UTF-16 with BOM, GBK or GB18030."""
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            return content[3:].decode("utf-8"), ["removed the UTF-8 byte-order mark"]
        except UnicodeDecodeError as exc:
            raise NormalizeError(f"{rel}: a UTF-8 byte-order mark, then bytes that are not UTF-8 "
                                 f"(byte {exc.start + 3})") from None
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16"), ["converted from UTF-16 to UTF-8"]
        except UnicodeDecodeError:
            raise NormalizeError(f"{rel}: a UTF-16 byte-order mark, then bytes that are not UTF-16") from None
    try:
        return content.decode("utf-8"), []
    except UnicodeDecodeError as utf8:
        try:
            return content.decode("gb18030"), ["converted from GBK/GB18030 to UTF-8"]
        except UnicodeDecodeError:
            line = content[:utf8.start].count(b"\n") + 1
            raise NormalizeError(f"{rel}: line {line}: bytes that are neither UTF-8 nor GBK/GB18030 "
                                 f"(byte {utf8.start}); save the file as UTF-8 and run normalize again") from None


def convert(pkg: Package, table: str, path: Path) -> Plan:
    rel = path.relative_to(pkg.root.resolve()).as_posix() if path.is_relative_to(pkg.root.resolve()) else str(path)
    old = _read(path, rel)
    if not old.strip():
        raise NormalizeError(f"{rel}: empty; a table needs at least its header line "
                             f"({','.join(pkg.field_names(table))})")
    text, changes = decode(old, rel)
    if "\x00" in text:
        raise NormalizeError(f"{rel}: line {text[:text.index(chr(0))].count(chr(10)) + 1}: a NUL character; "
                             "the file is damaged (restore it from git)")
    crlf = text.count("\r\n")
    if crlf:
        text = text.replace("\r\n", "\n")
        changes.append(f"line ends CRLF -> LF ({crlf:,})")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = []
        line_of = []
        start = 1
        for record in reader:
            records.append(record)
            line_of.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise NormalizeError(f"{rel}: line {reader.line_num}: {exc} (an unclosed quote?); fix it by hand") from None
    header, rows = records[0], records[1:]
    fields = pkg.field_names(table)
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise NormalizeError(f"{rel}: line 1: column {dupes[0]!r} appears twice in the header")
    unknown = [h for h in header if h not in fields]
    missing = [f for f in fields if f not in header]
    if unknown or missing:
        parts = ([f"not in the Table Schema: {', '.join(map(repr, unknown))}"] if unknown else []) + \
                ([f"missing: {', '.join(map(repr, missing))}"] if missing else [])
        raise NormalizeError(f"{rel}: line 1: the header does not have the schema's columns ({'; '.join(parts)}); "
                             f"normalize only reorders columns, it does not add, drop or rename them")
    empty = sum(1 for r in rows if not r)
    if empty:
        changes.append(f"removed {empty:,} empty line(s)")
    kept = [(r, line_of[i + 1]) for i, r in enumerate(rows) if r]
    for r, line in kept:
        if len(r) != len(header):
            raise NormalizeError(f"{rel}: line {line}: {len(r)} cells where the header has {len(header)}; "
                                 "fix the row by hand (a stray comma or a missing quote?)")
    if header != fields:
        changes.append("columns put in the order of the Table Schema")
    order = [header.index(f) for f in fields]
    out_rows = [[r[i] for i in order] for r, _ in kept]
    for column, (source, fn) in _derived().items():
        if column in fields and source in fields:
            c, s = fields.index(column), fields.index(source)
            recomputed = 0
            for r in out_rows:
                value = fn(r[s]) if r[s] else ""
                if r[c] != value:
                    r[c] = value
                    recomputed += 1
            if recomputed:
                changes.append(f"recomputed {column} from {source} on {recomputed:,} row(s)")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(fields)
    writer.writerows(out_rows)
    new = buf.getvalue().encode("utf-8")
    if new != old and not changes:
        changes.append("quoting made canonical (RFC 4180, minimal)")
    return Plan(path, rel, old, new, changes)


def plan(pkg: Package, files: list[Path] | None = None) -> list[Plan]:
    """Every file converted in memory; nothing is written. Raises on the first file that cannot be."""
    return [convert(pkg, table, path) for table, path in targets(pkg, files)]


def apply(plans: list[Plan]) -> None:
    """Write the changed files, all or nothing."""
    written: list[Plan] = []
    try:
        for p in plans:
            if p.changed:
                _atomic_write(p.path, p.new)
                written.append(p)
    except BaseException:
        for p in written:
            _atomic_write(p.path, p.old)
        raise


def _atomic_write(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.bizenv-tmp")
    with open(tmp, "wb") as fh:
        fh.write(content)
    try:
        os.chmod(tmp, stat.S_IMODE(os.lstat(path).st_mode))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

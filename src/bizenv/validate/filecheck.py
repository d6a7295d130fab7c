"""Part of layer 1: the whole of each CSV file, byte by byte, before its cells are read.

One streamed pass over every byte of the file (no part skipped) finds what a CSV reader would
silently accept or misread:

* a byte-order mark, carriage returns (CRLF line ends or a bare CR, inside a cell too);
* empty lines, in the middle or at the end of the file;
* rows with more cells than the header (a trailing ``,`` or ``,,``): the commas outside quoted
  cells are counted for the whole file, which needs no loop over rows; only when the count is
  off is the file read row by row to name the first such line.

When DuckDB cannot parse a file at all, :func:`first_problem` reads it row by row with Python's
CSV reader to name the first line that breaks and why (a quote never closed, a row with too few
or too many cells, a cell beyond the size limit, bytes that are not UTF-8).

The first problem that makes a file unreadable is reported once, as ``fatal``; the checks that
would only repeat it are not run.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

from ..findings import Finding

CHUNK = 8 << 20
QUOTED = re.compile(rb'"(?:[^"]|"")*"')
BLANK = re.compile(rb"(?:^|(?<=\n))\n")  # a line end that ends an empty line
# the largest cell a row may hold (DuckDB's own limit on a line is set to match)
MAX_CELL = 8 << 20


@dataclass
class FileState:  # the findings about one file; fatal: it must not be read as CSV
    findings: list[Finding]
    fatal: bool


def scan(path, table: str, rel: str, n_fields: int) -> FileState:
    """Byte-level checks of the whole file; ``fatal`` when the file must not be read as CSV."""
    def finding(rule: str, message: str, line: int | None = None, fatal: bool = False) -> Finding:
        return Finding("structure", rule, message, table=table, file=rel, line=line, fatal=fatal)

    commas = records = lines_before = 0
    carry, started, blank_line, balanced = b"", False, None, True
    try:
        with open(path, "rb") as fh:
            while True:
                chunk = fh.read(CHUNK)
                data = carry + chunk
                if not data:
                    break
                if not started:
                    started = True
                    if data.startswith(b"\xef\xbb\xbf"):
                        return FileState([finding(
                            "byte-order-mark", "the file starts with a byte-order mark (BOM); save it as UTF-8 "
                            "without BOM (or run bizenv normalize)", 1, True)], True)
                if b"\r" in data:
                    at = data.index(b"\r")
                    line = lines_before + data.count(b"\n", 0, at) + 1
                    kind = "Windows (CRLF) line ends" if data[at + 1:at + 2] == b"\n" else "a carriage return (CR)"
                    return FileState([finding(
                        "crlf-line-ends", f"the file has {kind} at line {line}; the corpus uses LF line ends "
                        "only: save it with LF (Unix) line ends (or run bizenv normalize)", line, True)], True)
                # whole lines only, cut after a line end outside quotes, so that no quoted cell is split
                cut = _cut(data) if chunk else len(data)
                body, carry = data[:cut], data[cut:]
                if not body:
                    continue
                if balanced:
                    # the text outside quoted cells: one line per row (a body without quotes is all outside)
                    stripped = QUOTED.sub(b"", body) if b'"' in body else body
                    if b'"' in stripped:
                        balanced = False  # a stray quote: DuckDB refuses the file, first_problem names the line
                    else:
                        commas += stripped.count(b",")
                        ends = stripped.count(b"\n") + (0 if stripped.endswith(b"\n") else 1)
                        blanks = _blank_ends(stripped)
                        records += ends - len(blanks)
                        if blanks and blank_line is None:
                            blank_line = lines_before + body.count(b"\n", 0, _map(body, blanks[0])) + 1
                lines_before += body.count(b"\n")
                if not chunk:
                    break
    except OSError as exc:
        return FileState([finding("file-unreadable", f"cannot be read: {exc.strerror}", fatal=True)], True)
    if not started:
        return FileState([finding("empty-file", "the file is empty; it needs at least its header line "
                                  "(the field names of its Table Schema)", 1, True)], True)
    found = []
    if blank_line is not None:
        with open(path, "rb") as fh:
            fh.seek(max(0, fh.seek(0, 2) - 2))
            at_end = fh.read() == b"\n\n"
        where = "the file ends with empty lines" if at_end else f"line {blank_line} is empty"
        found.append(finding("blank-row", f"{where}; remove empty lines (every line is a row)", blank_line))
    if balanced and records and commas != (n_fields - 1) * records:
        line, cells = _first_wide(path, n_fields)
        if line is not None:
            found.append(finding(
                "extra-cell", f"line {line} has {cells} cells, the header has {n_fields}: a trailing comma adds an "
                "empty cell; remove the extra comma(s)", line, True))
    return FileState(found, any(f.fatal for f in found))


def _blank_ends(stripped: bytes) -> list[int]:
    """Offsets of the line ends that end an empty line.  Two adjacent LFs (or one at the start) are
    looked for with a plain byte search first; the regular expression runs only where one is found."""
    if not stripped.startswith(b"\n") and b"\n\n" not in stripped:
        return []
    return [m.start() for m in BLANK.finditer(stripped)]


def _cut(data: bytes) -> int:
    """Offset just after the last LF that is outside quoted cells (0 if none)."""
    end = len(data)
    while True:
        nl = data.rfind(b"\n", 0, end)
        if nl < 0:
            return 0
        if data.count(b'"', 0, nl) % 2 == 0:
            return nl + 1
        end = nl


def _map(body: bytes, position: int) -> int:
    """An offset in the text outside quoted cells mapped back to an offset in ``body``."""
    kept = at = 0
    for m in QUOTED.finditer(body):
        gap = m.start() - at
        if kept + gap > position:
            break
        kept += gap
        at = m.end()
    return at + (position - kept)


def _first_wide(path, n_fields: int) -> tuple[int | None, int]:
    """The first physical line whose row has more cells than the header (row by row; only when needed)."""
    csv.field_size_limit(MAX_CELL * 4)
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        start = 1
        for row in reader:
            if len(row) > n_fields:
                return start, len(row)
            start = reader.line_num + 1
    return None, 0


def first_problem(path, n_fields: int) -> tuple[int, str, str]:
    """(line, rule, what is wrong) for a file DuckDB could not parse, read row by row with Python's CSV reader."""
    csv.field_size_limit(MAX_CELL)
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, strict=True)
            start = 1
            for row in reader:
                if len(row) != n_fields and row:
                    fix = "a trailing comma adds an empty cell; remove it" if len(row) > n_fields else \
                        "a cell is missing, or a text with a comma or a line break is not in double quotes"
                    return start, "cell-count", f"line {start} has {len(row)} cells, the header has {n_fields}: {fix}"
                if not row:
                    return start, "blank-row", f"line {start} is empty; remove it"
                if sum(map(len, row)) * 4 >= MAX_CELL and len(",".join(row).encode("utf-8")) >= MAX_CELL:
                    return start, "cell-too-large", (f"the row starting on line {start} is longer than "
                                                     f"{MAX_CELL >> 20} MB, the limit for one row")
                start = reader.line_num + 1
    except csv.Error as exc:
        text = str(exc)
        if "field larger than field limit" in text:
            return start, "cell-too-large", (f"a cell starting on line {start} is longer than {MAX_CELL >> 20} MB; "
                           "cells are limited to that size")
        if "unexpected end of data" in text or "EOF" in text:
            return start, "unterminated-quote", (f"a quoted cell opened on line {start} is never closed: add the closing double quote "
                           '(a quote inside a cell is written "")')
        if "expected after" in text or "quote" in text:
            return start, "stray-quote", (f'line {start}: a double quote inside a cell that does not start with one; put the cell '
                           'in double quotes and write each quote inside it as ""')
        return start, "table-not-loaded", f"line {start}: {text}"
    except UnicodeDecodeError:
        return (*_not_utf8(path),)
    return 0, "table-not-loaded", "DuckDB could not read it, but each row has the right number of cells"


def _not_utf8(path) -> tuple[int, str, str]:
    """Line and message for bytes that are not UTF-8 (found by streaming the bytes)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    line, position = 1, 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as err:
                line += chunk.count(b"\n", 0, max(err.start, 0))
                bad = chunk[err.start:err.start + 1]
                column = err.start - (chunk.rfind(b"\n", 0, err.start) + 1) + 1
                try:
                    chunk.decode("gb18030")
                    hint = "it reads as GBK/GB18030 (as Excel on Chinese Windows saves CSV): re-save it as UTF-8 " \
                           "(or run bizenv normalize)"
                except UnicodeDecodeError:
                    hint = "re-save it as UTF-8"
                return line, "not-utf8", (f"the file is not UTF-8 (byte {bad[0]:#04x} at line {line}, byte {column} of the "
                              f"line); {hint}")
            line += chunk.count(b"\n")
            position += len(chunk)
    return line, "not-utf8", "the file is not UTF-8; re-save it as UTF-8"

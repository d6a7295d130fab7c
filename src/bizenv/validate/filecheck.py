"""Part of layer 1: the whole of each CSV file, byte by byte, before its cells are read.

One streamed pass over every byte of the file (no part skipped) finds what a CSV reader would
silently accept or misread:

* a byte-order mark, carriage returns (CRLF line ends or a bare CR, inside a cell too);
* empty lines, in the middle or at the end of the file;
* rows with more cells than the header (a trailing ``,`` or ``,,``): the commas outside quoted
  cells are counted for the whole file, which needs no loop over rows; only when the count is
  off is the file read row by row to name the first such line.

A cell is quoted from an opening to a closing double quote (an escaped ``""`` inside closes and
reopens it), so a byte is outside quoted cells when the quotes before it in the file are even in
number. Each block of the file is read into one buffer and looked at with whole-block byte
searches and NumPy comparisons, never a loop over rows: a block without a double quote (nearly
every block of the corpus) needs only its commas and line ends counted and a search for two
adjacent line ends; only a block with a double quote, or one that starts inside a quoted cell or
has adjacent line ends, has the positions of its quotes, commas and line ends taken to tell
which are outside quoted cells and which line is empty. An empty line is a line end outside
quoted cells that follows another line end (or starts the file): a line holding only a quoted
cell is not empty.

When DuckDB cannot parse a file at all, :func:`first_problem` reads it row by row with Python's
CSV reader to name the first line that breaks and why (a quote never closed, a row with too few
or too many cells, a cell beyond the size limit, bytes that are not UTF-8).

The first problem that makes a file unreadable is reported once, as ``fatal``; the checks that
would only repeat it are not run.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

from ..findings import Finding

CHUNK = 8 << 20
BLOCK = 1 << 20  # the bytes looked at in one step: small enough that NumPy's work arrays stay in cache
# the largest cell a row may hold (DuckDB's own limit on a line is set to match)
MAX_CELL = 8 << 20
LF, COMMA, QUOTE = 10, 44, 34


@dataclass
class FileState:  # the findings about one file; fatal: it must not be read as CSV
    findings: list[Finding]
    fatal: bool


def scan(path, table: str, rel: str, n_fields: int) -> FileState:
    """Byte-level checks of the whole file; ``fatal`` when the file must not be read as CSV.

    The file is read into one buffer of ``CHUNK`` bytes, looked at ``BLOCK`` bytes at a time; what
    crosses from one block to the next is only the quotes counted so far and the last byte.
    """
    import numpy as np

    def finding(rule: str, message: str, line: int | None = None, fatal: bool = False) -> Finding:
        return Finding("structure", rule, message, table=table, file=rel, line=line, fatal=fatal)

    lines = commas = ends = blanks = quotes = 0  # line ends; outside quoted cells: commas, line ends, empty lines
    blank_line, last, started = None, LF, False  # the file starts as if after a line end
    buf = bytearray(CHUNK)
    mask, pair = np.empty(BLOCK, bool), np.empty(BLOCK, bool)  # work arrays, reused for every block
    try:
        with open(path, "rb") as fh:
            while size := fh.readinto(buf):
                if not started:
                    started = True
                    if buf.startswith((b"\xff\xfe", b"\xfe\xff"), 0, size):  # UTF-16 or UTF-32, as Excel saves "Unicode text"
                        return FileState([finding(
                            "not-utf8", "the file is UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8; "
                            "save it as UTF-8 without BOM", 1, True)], True)
                    if buf.startswith(b"\xef\xbb\xbf", 0, size):
                        return FileState([finding(
                            "byte-order-mark", "the file starts with a byte-order mark (BOM); save it as UTF-8 "
                            "without BOM (or run bizenv normalize)", 1, True)], True)
                if (at := buf.find(b"\r", 0, size)) >= 0:
                    line = lines + buf.count(b"\n", 0, at) + 1
                    after = buf[at + 1:at + 2] if at + 1 < size else fh.read(1)
                    kind = "Windows (CRLF) line ends" if after == b"\n" else "a carriage return (CR)"
                    return FileState([finding(
                        "crlf-line-ends", f"the file has {kind} at line {line}; the corpus uses LF line ends "
                        "only: save it with LF (Unix) line ends (or run bizenv normalize)", line, True)], True)
                for start in range(0, size, BLOCK):
                    a = np.frombuffer(buf, np.uint8, min(BLOCK, size - start), start)
                    n = a.size
                    ends_here = np.equal(a, LF, out=mask[:n])
                    count = int(np.count_nonzero(ends_here))
                    adjacent = (last == LF and a[0] == LF) or count > 1 and bool(
                        np.logical_and(ends_here[:-1], ends_here[1:], out=pair[:n - 1]).any())
                    if not adjacent and quotes % 2 == 0 and buf.find(b'"', start, start + n) < 0:
                        lines += count  # the common block: nothing quoted, no empty line
                        ends += count
                        commas += int(np.count_nonzero(np.equal(a, COMMA, out=mask[:n])))
                    else:
                        found = _outside(a, quotes % 2, last)
                        if found.blank.size and blank_line is None:
                            blank_line = lines + int(np.searchsorted(found.ends_all, found.blank[0])) + 1
                        lines += found.ends_all.size
                        ends += found.ends
                        commas += found.commas
                        blanks += found.blank.size
                        quotes += found.quotes
                    last = int(a[-1])
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
    # an odd number of quotes: one is never closed, DuckDB refuses the file and first_problem names the line
    balanced = quotes % 2 == 0
    records = ends - blanks + (last != LF)  # the last line counts without its line end
    if balanced and records and commas != (n_fields - 1) * records:
        line, cells = _first_wide(path, n_fields)
        if line == 1:
            found.append(finding("header-mismatch", header_count(cells, n_fields), 1, True))
        elif line is not None:
            found.append(finding(
                "extra-cell", f"line {line} has {cells} cells, the header has {n_fields}: a trailing comma adds an "
                "empty cell; remove the extra comma(s)", line, True))
    return FileState(found, any(f.fatal for f in found))


@dataclass
class _Outside:  # what one block holds outside quoted cells
    ends_all: object  # positions of every line end (inside quoted cells too), a NumPy array
    ends: int  # line ends outside quoted cells
    commas: int  # commas outside quoted cells
    blank: object  # positions of the line ends that end an empty line, a NumPy array
    quotes: int  # double quotes in the block


def _outside(a, odd: int, last: int) -> _Outside:
    """The exact reading of a block (a NumPy array of bytes): ``odd`` says whether it starts inside
    a quoted cell, ``last`` is the byte before it. A byte is outside quoted cells when the quotes
    before it are even in number; a line end outside them ends an empty line when the byte before
    it is a line end too."""
    import numpy as np

    q = np.flatnonzero(a == QUOTE)
    nl = np.flatnonzero(a == LF)
    if q.size or odd:
        out = nl[(np.searchsorted(q, nl) + odd) % 2 == 0]
        c = np.flatnonzero(a == COMMA)
        commas = int(np.count_nonzero((np.searchsorted(q, c) + odd) % 2 == 0))
    else:
        out = nl
        commas = int(np.count_nonzero(a == COMMA))
    before = a[out - 1]  # the byte before each line end (a copy; the previous block's last byte for one at 0)
    if out.size and out[0] == 0:
        before[0] = last
    return _Outside(nl, int(out.size), commas, out[before == LF], int(q.size))


def header_count(cells: int, n_fields: int) -> str:
    """The message for a header line with more or fewer names than the Table Schema has fields."""
    return (f"line 1, the header, has {cells} names, the Table Schema {n_fields} fields: the header must be the "
            "schema's field names, in order, separated by commas")


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
                if len(row) != n_fields and row and start == 1:
                    return 1, "header-mismatch", header_count(len(row), n_fields)
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

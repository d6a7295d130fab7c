"""Draft extractors and the audit that compares drafts with the corpus.

``extract_file(path, document_id, layout)`` returns a :class:`~bizenv.extract.common.Draft`
with rows for every table and a coverage report (``draft.coverage``).  A layout is a
combination of recognizers (:mod:`bizenv.extract.recognize`):

* ``paragraphs``: numbered paragraphs in any numbering style, with unit clauses in any
  bracket pair (labelled or in the national style without labels) and/or field lines
  (``责任单位：…``) after them (:mod:`bizenv.extract.generic`).  ``inline_brackets``
  (〔牵头单位:…〕 after each task, Xiangyang) and ``inline_parentheses`` (PDF text with
  (牵头单位:…;完成时限:…), Gedian) are names of this same reading, kept for the documents
  registered with them;
* ``delimited_table``: a table with TAB- or ``|``-separated cells, header mapped by labels;
* ``column_table``: a table flattened one cell per line (TAB-opened cells); the two seed
  header profiles (Xianning, Echeng) keep their readings of damaged rows, any other header
  is mapped by its labels;
* ``narrative``: a work summary in paragraphs (:mod:`bizenv.extract.narrative`).

``detect_layout(lines)`` picks one for ``--layout auto`` and for ``bizenv add``.
"""

from __future__ import annotations

import re
from pathlib import Path

from .common import Draft

LAYOUTS = ("column_table", "inline_brackets", "inline_parentheses", "narrative", "paragraphs", "delimited_table")
MAX_SOURCE_BYTES = 20 * 1024 * 1024


class ExtractError(Exception):
    """A source the extractor cannot read; the message names the line and what to do."""


def read_source(path: Path) -> list[str]:
    """The lines of a UTF-8 text source; ExtractError (naming the line) for anything else."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ExtractError(f"{path}: not a regular file")
        if size > MAX_SOURCE_BYTES:
            raise ExtractError(f"{path}: {size} bytes is more than the {MAX_SOURCE_BYTES // 2**20} MB a source may have")
        data = path.read_bytes()
    except OSError as exc:
        raise ExtractError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    return decode_source(data, str(path))


def decode_source(data: bytes, name: str) -> list[str]:
    if b"\x00" in data:
        line = data[:data.index(b"\x00")].count(b"\n") + 1
        raise ExtractError(f"{name}, line {line}: a NUL byte: this is not a text file (save the document as UTF-8 text)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        hint = ""
        try:
            data.decode("gb18030")
            hint = f" It reads as GB18030: convert it with  iconv -f GB18030 -t UTF-8 {name} > converted.txt"
        except UnicodeDecodeError:
            pass
        raise ExtractError(f"{name}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})."
                           f"{hint or ' Save the document as UTF-8 text.'}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").split("\n")


def detect_layout(lines: list[str]) -> str:
    """The layout whose recognizers fit the source best."""
    from .generic import find_header, table_rows

    delimited = any(re.search(r"[^\t]\t", line) for line in lines)
    if not delimited and any(line.startswith("\t") for line in lines):
        if find_header(table_rows(lines)):
            return "column_table"
    if delimited or any(line.count("|") >= 2 for line in lines):
        if find_header(table_rows(lines)):
            return "delimited_table"
    from .generic import cell_line_rows

    rows = cell_line_rows(lines)
    if rows is not None and find_header(rows):
        return "column_table"  # one cell per line, rows numbered 1, 2, 3 ...
    return "paragraphs"


def extract_file(path: Path, document_id: str, layout: str, year: int | None = None,
                 merged: bool = False) -> Draft:
    lines = read_source(path)
    return extract_lines(lines, document_id, layout, year, merged)


def extract_lines(lines: list[str], document_id: str, layout: str, year: int | None = None,
                  merged: bool = False) -> Draft:
    if layout == "auto":
        layout = detect_layout(lines)
    if layout not in LAYOUTS:
        raise ExtractError(f"no extractor for layout {layout!r} (known: {', '.join(LAYOUTS)}, or auto)")
    from .generic import Coverage, extract_paragraphs, extract_table

    draft = None
    if layout == "column_table":
        from .table import extract, has_seed_header

        if has_seed_header(lines):
            draft = extract(lines, document_id)
        else:
            draft = extract_table(lines, document_id, year, merged)
    elif layout in ("inline_brackets", "inline_parentheses", "paragraphs"):
        draft = extract_paragraphs(lines, document_id, year)
    elif layout == "narrative":
        from .narrative import extract

        draft = extract(lines, document_id)
    else:
        draft = extract_table(lines, document_id, year, merged)
    if getattr(draft, "coverage", None) is None:
        draft.coverage = _coverage_from_rows(draft, lines, Coverage())
    draft.layout = layout
    return draft


def _coverage_from_rows(draft: Draft, lines: list[str], cov) -> object:
    """Coverage of the seed extractors: a line is used when a drafted row cites it."""
    from .recognize import matching_form, numbering

    used = set()
    for table in ("measures", "tasks", "assignments", "deadlines"):
        for row in draft.rows[table]:
            for col in ("source_line", "label_line", "body_line"):
                value = row.get(col)
                if value not in (None, ""):
                    used.add(int(value))
    for task in draft.rows["tasks"]:  # a text over several lines uses all of them
        if task["text"] and task["source_line"] not in ("", None):
            used.update(range(int(task["source_line"]), int(task["source_line"]) + task["text"].count("\n") + 1))
    cov.used = used
    cov.lines = sum(1 for line in lines if line.strip(" \t\u3000\r"))
    for no, line in enumerate(lines, start=1):
        if line.strip(" \t\u3000\r"):
            num = numbering(matching_form(line.strip("\t")))
            if num:
                cov.items[num.style] += 1
            if no not in used:
                cov.place(no, line.strip(" \t\u3000"), "not cited by any drafted row")
    return cov


__all__ = ["LAYOUTS", "ExtractError", "Draft", "extract_file", "extract_lines", "detect_layout", "read_source",
           "decode_source"]

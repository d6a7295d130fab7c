"""Spreadsheet exports: CSV with an optional UTF-8 byte-order mark, and .xlsx.

Excel opens a CSV file without a byte-order mark in the local code page, so Chinese text
turns into mojibake; with the mark (``bom=True``) it opens as UTF-8. The .xlsx writer keeps
every value as data: text that starts with ``=`` stays text (never a formula), characters
that XML forbids are dropped, and numbers, dates and booleans keep their types.

Used by ``bizenv query --format xlsx|csv --output F`` (the path checked by ``bizenv.paths``
first) and by the web page's export links.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import re
from pathlib import Path

XLSX_MAX_ROWS = 1_048_575  # Excel's row limit, less the header
XLSX_MAX_CELL = 32_767
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class ExportError(Exception):
    pass


def csv_bytes(columns: list[str], rows, bom: bool = False) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n" if bom else "\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def _xlsx_value(value):
    if value is None or isinstance(value, (bool, int, float, dt.date, dt.datetime)):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    text = _ILLEGAL.sub("", str(value))
    return text[:XLSX_MAX_CELL]


def xlsx_bytes(columns: list[str], rows, sheet: str = "data") -> bytes:
    """An .xlsx workbook with one sheet: a bold header row, then the rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(re.sub(r"[\[\]:*?/\\]", "_", sheet)[:31] or "data")
    bold = Font(bold=True)
    header = []
    for name in columns:
        cell = WriteOnlyCell(ws, value=_xlsx_value(name))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for n, row in enumerate(rows):
        if n >= XLSX_MAX_ROWS:
            raise ExportError(f"more than {XLSX_MAX_ROWS:,} rows: too many for a spreadsheet (use CSV)")
        cells = []
        for value in row:
            cell = WriteOnlyCell(ws, value=_xlsx_value(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text: "=1+1" is not a formula
            cells.append(cell)
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_file(target: Path, content: bytes) -> None:
    """Write via a temporary file beside the target and rename, so a failed write leaves nothing."""
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_bytes(content)
        tmp.replace(target)
    finally:
        if tmp.exists():
            tmp.unlink()

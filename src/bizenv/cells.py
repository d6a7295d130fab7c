"""Splitting printed table cells into their parts (one definition for extractors and checks)."""

from __future__ import annotations

import re

# Separators between agencies inside a 牵头单位 / 责任单位 cell.
UNIT_SEPARATORS = "、，,；;"
UNIT_SPLIT_RE = re.compile(f"[{UNIT_SEPARATORS}]")
# Whitespace that pads cells in the flattened tables (ASCII, ideographic space, NBSP).
PAD = " \t\u3000\u00a0"


def split_units(lines: list[tuple[int, str]]) -> list[tuple[str, int]]:
    """Split a unit cell given as ``(line_number, text)`` pieces.

    Returns ``(name_as_printed, line_number)`` in printed order.  A cell that wraps
    over several lines keeps each name's own line.  Names keep their printed form
    (including a trailing 等 or a bracketed alias); only padding is removed.
    """
    names: list[tuple[str, int]] = []
    for line_no, text in lines:
        for part in UNIT_SPLIT_RE.split(text):
            name = part.strip(PAD)
            if name:
                names.append((name, line_no))
    return names


def strip_pad(text: str) -> str:
    return text.strip(PAD)

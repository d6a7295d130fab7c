"""Splitting printed table cells into their parts (one definition for extractors and checks)."""

from __future__ import annotations

import re

# Separators between agencies inside a 牵头单位 / 责任单位 cell; a separator inside brackets
# (各县(市、区)人民政府) belongs to the name.
UNIT_SEPARATORS = "、，,；;"
OPEN, CLOSE = "(（〔[", ")）〕]"
# Whitespace that pads cells in the flattened tables (ASCII, ideographic space, NBSP).
PAD = " \t\u3000\u00a0"


def split_units(lines: list[tuple[int, str]]) -> list[tuple[str, int]]:
    """Split a unit cell given as ``(line_number, text)`` pieces.

    Returns ``(name_as_printed, line_number)`` in printed order.  A cell that wraps
    over several lines keeps each name's own line, given as one piece with its line breaks
    too.  Names keep their printed form (including a trailing 等, a bracketed alias, or a
    line break inside the name); only padding and the line breaks around a name are removed.
    """
    names: list[tuple[str, int]] = []
    for line_no, text in lines:
        breaks = 0  # line breaks of the piece before this part: a piece may hold a clause that wraps
        for part in split_outside_brackets(text, UNIT_SEPARATORS):
            name = part.strip(PAD + "\r\n")  # a name printed at the start of the next line is on that line
            if name:
                names.append((name, line_no + breaks + part[:part.index(name)].count("\n")))
            breaks += part.count("\n")
    return names


def split_outside_brackets(text: str, separators: str) -> list[str]:
    parts, current, depth = [], [], 0
    for ch in text:
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE and depth:
            depth -= 1
        if ch in separators and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


# Literal characters (not escapes) so that the same patterns run in Python's re and in RE2
# (pyarrow, DuckDB); capture groups instead of lookarounds, which RE2 lacks.
WS = " \t\u3000\u00a0\r\n"
CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef\u2018-\u201f\u2014\u2026"
AFTER_CJK = re.compile(f"([{CJK}])[{WS}]+")
BEFORE_CJK = re.compile(f"[{WS}]+([{CJK}])")
WS_RE = re.compile(f"[{WS}]+")


def clean_text(text: str) -> str:
    """The readable form of a printed text (``text_clean``): one documented normalization.

    1. Line breaks and runs of spaces next to a CJK character or CJK punctuation are
       removed (PDF extraction breaks words: "牵 头单位", "宗\n地" -> "牵头单位", "宗地");
    2. other runs of whitespace become one space ("2000千伏安及以下" stays, "A B" stays);
    3. leading and trailing whitespace is removed.
    Characters are never changed or added: the result is the printed text minus whitespace.
    """
    return WS_RE.sub(" ", BEFORE_CJK.sub(r"\1", AFTER_CJK.sub(r"\1", text))).strip()


def strip_pad(text: str) -> str:
    return text.strip(PAD)


# Every character ``str.isspace`` accepts (what ``str.strip()`` removes), written out: finding them takes
# a walk over every code point (0.2 s); a test holds this list to that walk.
PYTHON_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
                     "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def clean_sql(column: str) -> str:
    """:func:`clean_text` as a DuckDB SQL expression over ``column`` (the same patterns, in RE2)."""
    def lit(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    expr = f"regexp_replace({column}, {lit(AFTER_CJK.pattern)}, '\\1', 'g')"
    expr = f"regexp_replace({expr}, {lit(BEFORE_CJK.pattern)}, '\\1', 'g')"
    expr = f"regexp_replace({expr}, {lit(WS_RE.pattern)}, ' ', 'g')"
    # the patterns and the trim only touch whitespace: a text without any is left as it is, so one scan
    # for any whitespace character decides, and only the few texts that have one are rewritten
    any_space = "[" + "".join(f"\\x{{{ord(ch):x}}}" for ch in PYTHON_WHITESPACE) + "]"
    return (f"CASE WHEN regexp_matches({column}, {lit(any_space)}) "
            f"THEN trim({expr}, {lit(PYTHON_WHITESPACE)}) ELSE {column} END")


# A unit name as the registry compares it (data/unit_aliases.csv, column form): the printed name less
# PDF spaces (clean_text) and less a trailing open-list phrase (市住建局等, 区税务局等相关单位,
# 区住建局及其他行政审批职能单位, 区市场监管局及各相关执法单位). A name that is nothing but the phrase
# (等相关单位) stays as it is.
OPEN_LIST = re.compile("^(.+?)(?:等|及其他|及各).*$")


def unit_form(name: str) -> str:
    """The form of a printed unit name that data/unit_aliases.csv records (市直相关部门等 -> 市直相关部门)."""
    cleaned = clean_text(name)
    return OPEN_LIST.sub(r"\1", cleaned)


def unit_form_sql(column: str) -> str:
    """:func:`unit_form` as a DuckDB SQL expression over ``column`` (the same patterns, in RE2)."""
    return f"regexp_replace({clean_sql(column)}, '{OPEN_LIST.pattern}', '\\1')"

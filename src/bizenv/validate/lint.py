"""Part of layer 1: how the CSV files are written, before what they say.

The bytes of each file are checked by :mod:`.filecheck`; this module checks the cells:

* control characters and invisible (zero-width) characters;
* leading or trailing whitespace;
* cells that start with = + - @ (spreadsheet formula injection: a release must not ship
  them unescaped);
* numbers written with full-width digits or thousands separators in numeric columns.

The first three apply to free text: string fields without an enum or a pattern that admits
only visible ASCII.  A cell of any other field that holds such characters already breaks
its Table Schema (a type, enum or pattern error names it), so it is not scanned twice.  The checks run while each file is
read (one regular expression per row over its free-text cells joined by line breaks flags
the row); only flagged rows are taken apart cell by cell to name the column and the rule.
Every finding names the file, line and column.
"""

from __future__ import annotations

from ..findings import Finding
from ..package import Package
from ..tables import bind, quote_ident, sql_literal, unordered

NUMERIC = {"integer", "number", "year"}
# Invisible characters, by Unicode category rather than by a list: controls (C0 and C1, except TAB
# and LF), format characters (Cf: zero-width, bidi controls and isolates, soft hyphen, tags, ...), line
# and paragraph separators (Zl, Zp), private use (Co), unassigned code points (whatever falls outside
# every assigned category), variation selectors, the combining grapheme joiner, Mongolian free variation
# selectors and the Hangul fillers.  RE2 (DuckDB) syntax; tested code point by code point.
INVISIBLE = (r"[\x00-\x08\x0B-\x1F\x7F-\x9F\p{Cf}\p{Co}\p{Zl}\p{Zp}\x{FE00}-\x{FE0F}\x{E0100}-\x{E01EF}"
             r"\x{034F}\x{180B}-\x{180F}\x{115F}\x{1160}\x{3164}\x{FFA0}]|[^\p{L}\p{M}\p{N}\p{P}\p{S}\p{Z}\p{C}]")
# whitespace that must not pad a cell: every space separator (Zs: ASCII, no-break, ideographic, em,
# narrow no-break, Ogham, ...), tabs and line ends
EDGE_SPACE = r"[\p{Zs}\t\n\x0B\f\r\x{85}]"
CELL_CHECKS = [
    # (rule, SQL condition on `v`, message, applies to: "text" | "numeric")
    ("invisible-character", f"regexp_matches(v, '{INVISIBLE}')",
     "contains a control or invisible (zero-width) character", "text"),
    ("surrounding-whitespace", f"(regexp_matches(v, '^{EDGE_SPACE}') OR regexp_matches(v, '{EDGE_SPACE}$'))",
     "has leading or trailing whitespace (including ideographic and no-break spaces)", "text"),
    ("formula-injection", "left(v, 1) IN ('=', '+', '-', '@')",
     "starts with = + - or @, which a spreadsheet runs as a formula", "text"),
    ("full-width-digits", "regexp_matches(v, '[０-９．，]')", "a number written with full-width digits", "numeric"),
    ("thousands-separator", r"regexp_matches(v, '^\d{1,3}(,\d{3})+(\.\d+)?$')",
     "a number written with a thousands separator", "numeric"),
]
# The row flag over the free-text cells joined by LF: every cell with an invisible character, padding
# or a formula's first character matches it (LF is not invisible; a cell edge is the start, the end or
# next to an LF), so it never misses one; a line break followed by a space or an = inside a text only
# costs a second look.
ROW_FLAG = INVISIBLE + r"|(?:^|\n)" + EDGE_SPACE + "|" + EDGE_SPACE + r"(?:\n|$)|(?:^|\n)[=+\-@]"
# The flag of each check on numeric cells: a cheap condition that holds wherever the check fails (a
# full-width character is not ASCII, so the cell has more bytes than characters; a thousands separator
# is a comma), so the regular expression runs only on the cells that need the second look.
NUMERIC_FLAG = {"full-width-digits": "strlen(v) <> length(v)", "thousands-separator": "contains(v, ',')"}


def printable_only(pattern: str) -> bool:
    """True if every string ``pattern`` matches is printable ASCII without spaces (or digits and
    word characters): then its pattern check already rejects any invisible or padding character.

    Decided from the parsed pattern: only literals, ranges and classes of such characters,
    repeats, groups, alternatives and anchors are allowed; anything else (``.``, a negated
    class) counts as open.
    """
    import re._parser as parser  # the standard library's own parse of a pattern
    from re._constants import (AT, BRANCH, CATEGORY, CATEGORY_DIGIT, CATEGORY_WORD, IN, LITERAL, MAX_REPEAT,
                               MIN_REPEAT, RANGE, SUBPATTERN)

    def visible(code: int) -> bool:
        return 0x21 <= code <= 0x7E

    def ok(items) -> bool:
        for op, arg in items:
            if op == LITERAL and visible(arg) or op == AT:
                continue
            if op == IN and all(o == LITERAL and visible(a) or o == RANGE and visible(a[0]) and visible(a[1])
                                or o == CATEGORY and a in (CATEGORY_DIGIT, CATEGORY_WORD) for o, a in arg):
                continue
            if op in (MAX_REPEAT, MIN_REPEAT) and ok(arg[2]) or op == SUBPATTERN and ok(arg[3]):
                continue
            if op == BRANCH and all(ok(branch) for branch in arg[1]):
                continue
            return False
        return True

    try:
        return ok(parser.parse(pattern))
    except Exception:  # a pattern Python cannot parse: scan the column
        return False


def _kinds(fields: list[dict]) -> dict[str, str]:
    def kind(f: dict) -> str:
        constraints = f.get("constraints", {})
        if f.get("type") in NUMERIC:
            return "numeric"
        covered = "enum" in constraints or printable_only(constraints.get("pattern", " "))
        if f.get("type", "string") == "string" and not covered:
            return "text"
        return "other"

    return {f["name"]: kind(f) for f in fields}


def _applies(kinds: dict[str, str], applies: str) -> list[str]:
    return [c for c, k in kinds.items() if k == applies]


def flag_sql(fields: list[dict]) -> str:
    """SQL that is TRUE for a row where a cell check may fail (it never misses one).

    The compiled layer stores it as ``_lint`` while it reads the file, so the cells are
    checked in the same pass, while they are in memory.
    """
    kinds = _kinds(fields)
    names = _applies(kinds, "text")
    # a cleaned copy equal to its text (text_clean = text, the usual case) matches exactly where the text
    # does, so it is scanned only where it differs: the row's flag is the same, with less text to scan
    text = [f"CASE WHEN {quote_ident(c)} = {quote_ident(c[:-6])} THEN NULL ELSE {quote_ident(c)} END"
            if c.endswith("_clean") and c[:-6] in names else quote_ident(c) for c in names]
    scan = []
    if text:
        scan.append(f"regexp_matches(concat_ws(chr(10), {', '.join(text)}), {sql_literal(ROW_FLAG)})")
    scan += [bind(NUMERIC_FLAG[rule], quote_ident(c)) for rule, _, _, applies in CELL_CHECKS
             if applies == "numeric" for c in _applies(kinds, applies)]
    return "coalesce(" + " OR ".join(scan) + ", false)" if scan else "false"


def check_cells(pkg: Package, con) -> list[Finding]:
    """Cell checks over every column of every table read by the compiled layer (``raw_<name>``).

    The rows flagged while reading (``_lint``, nearly none in a clean corpus) are taken apart
    cell by cell to name the column and the rule.
    """
    findings = []
    present = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
    with unordered(con):  # each query says its order
        for name in pkg.table_names:
            fields = pkg.fields(name)
            if not fields or f"raw_{name}" not in present:
                continue  # unreadable or ragged: reported by the byte checks and by Frictionless
            kinds = _kinds(fields)
            parts = []
            for rule, condition, message, applies in CELL_CHECKS:
                cols = _applies(kinds, applies)
                if not cols:
                    continue
                names = ", ".join(sql_literal(c) for c in cols)
                parts.append(f"SELECT _row, col, v, {sql_literal(rule)} AS rule, {sql_literal(message)} AS message "
                             f"FROM cells WHERE col IN ({names}) AND {condition}")
            pk = pkg.primary_key(name)
            key = " || ', ' || ".join(f"coalesce({quote_ident(k)}, '')" for k in pk) if pk else "NULL"
            raw = quote_ident(f"raw_{name}")
            cells = ", ".join(quote_ident(f["name"]) for f in fields)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _lint AS SELECT _row, {cells} FROM {raw} WHERE _lint")
            sql = (f"WITH keyed AS (SELECT _row, {key} AS _key FROM _lint), "
                   "cells AS (UNPIVOT (SELECT * EXCLUDE (_row), _row FROM _lint) ON COLUMNS(* EXCLUDE (_row)) "
                   "INTO NAME col VALUE v) "
                   f"SELECT f._row, f.col, f.v, f.rule, f.message, k._key FROM ({' UNION ALL '.join(parts)}) f "
                   "JOIN keyed k USING (_row) ORDER BY f._row, f.col, f.rule")
            for row, col, value, rule, message, key_value in con.execute(sql).fetchall():
                findings.append(Finding("structure", rule, message, table=name, file=pkg.relpath(name), row=row,
                                        column=col, key=key_value, value=value))
            con.execute("DROP TABLE _lint")
    return findings

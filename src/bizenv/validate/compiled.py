"""Layer 1, fast path: the Table Schemas compiled into DuckDB SQL over whole tables.

What Frictionless checks cell by cell in Python, this checks as one query per table:
types, required, unique, enum, pattern, minimum/maximum, primary keys and foreign keys.
Findings carry Frictionless's own error types (``type-error``, ``constraint-error``,
``primary-key``, ``foreign-key``), rows, columns and values, and a test runs both
validators on a package with planted errors and requires the same findings.  Frictionless
stays the reference for what a Table Schema means (``bizenv validate --reference``) and
reads any file DuckDB cannot parse (ragged rows, bad encodings), so nothing is skipped.

Keys and unique values are compared as Frictionless compares them: by value, exactly (02, +2 and
2 are one integer, beyond BIGINT too; 1.0 and 1e0 one number, -0 is 0, a NaN repeats nothing), a
cell that breaks its type as an empty one (Frictionless reads it as None); a row whose key cells
are all empty or broken is reported, and a repeat names the nearest earlier row.  The two differ
on purpose in what a valid cell looks like: Frictionless reads an integer or a year with Python's
``int()`` (which takes `` 2``, ``２``, ``1_000``), a number with ``Decimal()`` (``Infinity``, ``+inf``)
and a date with ``strptime`` (``2020-1-05``); the Table Schema's forms are required here (ASCII digits
with an optional sign, ``YYYY-MM-DD``, ``NaN``, ``INF`` and ``-INF`` in either case), so such a cell
is reported as a type error.  A boolean is one of its field's trueValues or falseValues, or of the
Table Schema's defaults when it lists none (``true``, ``True``, ``TRUE``, ``1`` and ``false``,
``False``, ``FALSE``, ``0``), as in Frictionless.  The enum of a typed field allows values, not
spellings, as Frictionless reads it: ``["true"]`` takes ``TRUE`` too, ``[2020]`` takes ``02020`` and
``+2020``, ``[1.5]`` takes ``1.50``; a NaN is in no enum.  The enum items are read as Frictionless
reads them (``[" 2"]`` allows ``2``, a year ``[5]`` allows ``0005``): only the cells must have the
Table Schema's forms.
"""

from __future__ import annotations

from typing import Callable

from ..findings import Finding
from ..frames import NUMBER_PARTS
from ..package import Package, boolean_enum, boolean_values, enum_texts, integer_bound
from ..tables import bind, read_raw, unordered
from ..tables import quote_ident as q
from ..tables import sql_literal as lit
from . import lint

TYPE_CHECK = {
    # SQL that is TRUE when the (non-empty) text value v is a valid value of the type
    "integer": "regexp_full_match(v, '[+-]?[0-9]+')",
    "number": "regexp_full_match(v, '[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?') "
              "OR v IN ('NaN', 'INF', '-INF', 'nan', 'inf', '-inf')",
    "date": "regexp_full_match(v, '[0-9]{4}-[0-9]{2}-[0-9]{2}') AND TRY_CAST(v AS DATE) IS NOT NULL",
    "year": "regexp_full_match(v, '[0-9]{4}')",
}
CAST = {"integer": "BIGINT", "number": "DOUBLE", "date": "DATE", "year": "INTEGER"}
# the note of a repeated key or unique value, followed by the nearest earlier row with it (as Frictionless)
SAME = lit("the same as in the row at position ")


def bound_literal(value, ftype: str) -> str:
    """A minimum or maximum as an SQL literal of its type; anything else is refused (the schema check
    reports it before this runs, so reaching the error here is a bug, not a finding)."""
    import datetime as dt
    import math

    if ftype == "date":
        return f"DATE {lit(dt.date.fromisoformat(value).isoformat())}"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"not a number: {value!r}")
    return repr(int(value)) if isinstance(value, int) else repr(float(value))


def outside(v: str, ftype: str, typed: str, op: str, value) -> str:
    """SQL true where the valid cell ``v`` (``typed``: its typed value) is ``op`` (< or >) the minimum or maximum
    ``value``; an integer is compared exactly at any length, as Frictionless compares Python ints: as a
    BIGINT where the bound and the cell fit one, a longer cell by its sign (it is beyond any such bound), and
    against a bound beyond BIGINT as a BIGNUM (a HUGEINT or DOUBLE would round a longer one, and a HUGEINT
    compared with a decimal bound fails)."""
    if ftype != "integer":
        return f"{typed} {op} {bound_literal(value, ftype)}"
    bound = integer_bound(value, minimum=op == "<")
    if -2**63 <= bound < 2**63:  # the cells that do not fit a BIGINT are beyond it, on their sign's side
        beyond = f"{'' if op == '<' else 'NOT '}starts_with({v}, '-')"
        return f"coalesce({typed} {op} {bound}, {beyond})"
    return f"TRY_CAST({v} AS BIGNUM) {op} CAST({lit(str(bound))} AS BIGNUM)"


def read_pass(pkg: Package, name: str) -> list[tuple[str, str, bool]]:
    """What is computed while a file is read, as (SQL, column, whether true flags the row): the flag of the
    cell checks (``_lint``), the rules on a row's own text (true where the row passes) and every Table
    Schema check on a row's own cells in one flag (:data:`CELLS_FLAG`)."""
    from .rules import RULES, flag_column

    _, conditions = _cell_checks(pkg, name)
    columns = [(lint.flag_sql(pkg.fields(name)), "_lint", True)] + [
        (f"coalesce({r.row_sql()}, true)", flag_column(r.name), False) for r in RULES if r.table == name and r.row_sql]
    if conditions:  # every check on a row's own cells, in one flag
        columns.append((" OR ".join(f"coalesce({c}, false)" for c in conditions), CELLS_FLAG, True))
    return columns


def _raw(con, pkg: Package, name: str) -> Finding | None:
    """Read the file (:func:`~bizenv.tables.read_raw`) with :func:`read_pass` computed in the same pass,
    while the text is in memory; a finding if DuckDB cannot read it."""
    return read_raw(con, pkg, name, "".join(f", {sql} AS {q(column)}" for sql, column, _ in read_pass(pkg, name)))


# the flag computed while a file is read: one of the checks on the row's own cells fails
CELLS_FLAG = "_cells"


def _cell_checks(pkg: Package, name: str, flagged: str | None = None) -> tuple[list[str], list[str]]:
    """One SELECT per field constraint; each yields (_row, column, value, type, note); and the
    conditions of the checks on a row's own cells.

    The checks on a row's own cells read ``flagged`` (the rows where one of the conditions holds,
    found by one scan of the table) when it is given; the unique checks read the whole table.
    """
    parts, conditions = [], []
    raw = q("raw_" + name)
    rowwise = flagged or raw

    class Parts(list):  # a per-row check: its condition is kept, and it reads the flagged rows only
        def append(self, head: str, where: str) -> None:
            conditions.append(where)
            parts.append(f"{head} FROM {rowwise} WHERE {where}")

    rowparts = Parts()
    for f in pkg.fields(name):
        col, ftype, c = f["name"], f.get("type", "string"), f.get("constraints", {})
        v = q(col)
        sel = f"SELECT _row, {lit(col)} AS col, {v} AS v"
        if ftype in TYPE_CHECK:
            note = lit(f'type is "{ftype}/default"')
            rowparts.append(f"{sel}, 'type-error' AS type, {note} AS note",
                         f"{v} IS NOT NULL AND NOT ({bind(TYPE_CHECK[ftype], v)})")
        if ftype == "boolean":
            values = ", ".join(lit(x) for x in sum(boolean_values(f), []))
            note = lit('type is "boolean/default"')
            rowparts.append(f"{sel}, 'type-error', {note}",
                         f"{v} IS NOT NULL AND {v} NOT IN ({values})")
        valid = f"{v} IS NOT NULL" + (f" AND ({bind(TYPE_CHECK[ftype], v)})" if ftype in TYPE_CHECK else "")
        typed = f"TRY_CAST({v} AS {CAST[ftype]})" if ftype in CAST else v
        if c.get("required"):
            note = lit('constraint "required" is "True"')
            rowparts.append(f"{sel}, 'constraint-error', {note}",
                         f"{v} IS NULL")
        if "enum" in c:
            note = lit(f'constraint "enum" is "{clip_enum(c["enum"])}"')
            if ftype == "boolean" or ftype in TYPE_CHECK:
                # by value, as Frictionless: enum ["true"] takes TRUE and 1, [2] takes 02 and +2; the cell and each
                # allowed value as key_value writes them (a NaN is written with 0 in the cell, -1 in the enum: it
                # equals none; the file is being read, there is no _row yet)
                value = key_value(f, row="0")
                allowed = ", ".join(map(lit, boolean_enum(f))) if ftype == "boolean" else ", ".join(
                    key_value(f, lit(x), "-1") for x in enum_texts(f))
                rowparts.append(f"{sel}, 'constraint-error', {note}",
                                f"({value}) IS NOT NULL AND NOT list_contains(list_filter(CAST([{allowed}] AS "
                                f"VARCHAR[]), lambda x: x IS NOT NULL), {value})")
            else:
                values = ", ".join(lit(str(x)) for x in c["enum"])
                rowparts.append(f"{sel}, 'constraint-error', {note}",
                             f"{valid} AND {v} NOT IN ({values})")
        if "pattern" in c:
            note = lit('constraint "pattern" is "' + c["pattern"] + '"')
            pattern = lit(c["pattern"])
            rowparts.append(f"{sel}, 'constraint-error', {note}",
                         f"{valid} AND NOT regexp_full_match({v}, {pattern})")
        for key, op in (("minimum", "<"), ("maximum", ">")):
            if key in c and ftype in CAST:
                note = lit(f'constraint "{key}" is "{c[key]}"')
                rowparts.append(f"{sel}, 'constraint-error', {note}",
                             f"{valid} AND {outside(v, ftype, typed, op, c[key])}")
        # unique, as Frictionless: compared by value (an empty or broken cell repeats nothing), naming the
        # nearest earlier row
        if c.get("unique"):
            parts.append(f"SELECT t._row, {lit(col)}, t.{v}, 'unique-error', {SAME} || d.earlier FROM {raw} t "
                         f"JOIN ({_repeats(raw, [key_value(f)], f'({key_value(f)}) IS NOT NULL')}) d USING (_row) "
                         "WHERE d.earlier IS NOT NULL")
    return parts, conditions


def clip_enum(enum: list) -> str:
    """An enum as a finding shows it: in full as Frictionless writes it, clipped when long (an enum of
    200,000 values would otherwise be printed whole in every finding)."""
    text = str(enum)
    return text if len(text) <= ENUM_SHOWN else f"{text[:ENUM_SHOWN]}… ({len(enum):,} values)"


ENUM_SHOWN = 200


def key_value(field: dict, v: str | None = None, row: str = "_row") -> str:
    """SQL of a key field's value as Frictionless compares keys: text, NULL where the cell is empty or breaks
    its type (Frictionless reads such a cell as None, so it matches an empty one), and one spelling of each
    value of a typed field: an integer without a sign + or leading zeros (02, +2 and 2 are one integer, -0 is
    0, beyond BIGINT too), a number as its digits and exponent (1.0 and 1e0 are 1, -0 is 0; a NaN equals no
    other value, as Python's Decimal NaN), a boolean as true or false.  ``v`` is the cell (default: the
    field's column) and ``row`` its row number (default: ``_row``; a NaN is written with it)."""
    v, ftype = v or q(field["name"]), field.get("type", "string")
    if ftype == "boolean":
        true, false = (", ".join(lit(x) for x in values) for values in boolean_values(field))
        return f"CASE WHEN {v} IN ({true}) THEN 'true' WHEN {v} IN ({false}) THEN 'false' END"
    if ftype not in TYPE_CHECK:
        return v
    valid = bind(TYPE_CHECK[ftype], v)
    if ftype == "integer":  # written as its value unless it has a sign + or a leading zero
        digits = f"ltrim(ltrim({v}, '+-'), '0')"
        value = (f"CASE WHEN NOT (left({v}, 1) IN ('+', '0') OR starts_with({v}, '-0')) THEN {v} "
                 f"WHEN {digits} = '' THEN '0' "
                 f"ELSE (CASE WHEN starts_with({v}, '-') THEN '-' ELSE '' END) || {digits} END")
    elif ftype == "number":
        parts = f"regexp_extract({v}, {lit('^' + NUMBER_PARTS + '$')}, ['s', 'i', 'f', 'e'])"
        mantissa = f"ltrim({parts}.i || {parts}.f, '0')"
        # an exponent of more than 18 digits is kept as written (no BIGINT overflows)
        exponent = (f"CASE WHEN length(ltrim(ltrim({parts}.e, '+-'), '0')) <= 18 THEN CAST(coalesce(NULLIF("
                    f"{parts}.e, ''), '0') AS BIGINT) END - length({parts}.f) "
                    f"+ length({mantissa}) - length(rtrim({mantissa}, '0'))")
        finite = (f"CASE WHEN {mantissa} = '' THEN '0' ELSE (CASE WHEN {parts}.s = '-' THEN '-' ELSE '' END) "
                  f"|| rtrim({mantissa}, '0') || 'e' || coalesce(CAST({exponent} AS VARCHAR), {v}) END")
        value = (f"CASE WHEN {v} IN ('NaN', 'nan') THEN 'NaN ' || {row} WHEN {v} IN ('inf', 'INF') THEN 'inf' "
                 f"WHEN {v} IN ('-inf', '-INF') THEN '-inf' ELSE {finite} END")
    else:  # a date or a year: a valid one is written as its value
        value = v
    return f"CASE WHEN {valid} THEN {value} END"


def _repeats(raw: str, values: list[str], present: str) -> str:
    """SQL of (_row, earlier): the rows of ``raw`` where ``present`` holds whose ``values`` (SQL) an earlier
    such row has, with the nearest such row.  Only the values that repeat are ranked; values of several
    fields are grouped by their hash first (one integer, not several texts: twice as fast), and the window,
    over the values themselves, settles a collision of the hash."""
    named = ", ".join(f"_k{i}" for i in range(len(values)))
    keyed = f"SELECT _row, {', '.join(f'{v} AS _k{i}' for i, v in enumerate(values))} FROM {raw} WHERE {present}"
    probe = f"hash({named})" if len(values) > 1 else "_k0"
    repeated = (f"SELECT * FROM ({keyed}) WHERE {probe} IN "
                f"(SELECT {probe} FROM ({keyed}) GROUP BY ALL HAVING count(*) > 1)")
    return f"SELECT _row, lag(_row) OVER (PARTITION BY {named} ORDER BY _row) AS earlier FROM ({repeated})"


def _primary_key(pkg: Package, name: str, pk: list[str]) -> list[str]:
    """The SELECTs (as in :func:`_cell_checks`) of the primary key's findings, as Frictionless reports them:
    a row whose key values (:func:`key_value`) are all empty; a row whose key an earlier row has, naming the
    nearest such row."""
    raw = q("raw_" + name)
    fields = {f["name"]: f for f in pkg.fields(name)}
    tkey = " || ', ' || ".join(f"coalesce(t.{q(k)}, '')" for k in pk)
    all_empty = lit('cells composing the primary keys are all "None"')
    values = {k: key_value(fields.get(k, {"name": k})) for k in pk}
    # a row with no key: the fields read as text first (a test of the cell alone, most rows fail it there)
    def typed(k: str) -> bool:
        return fields.get(k, {}).get("type", "string") in (*TYPE_CHECK, "boolean")

    none = " AND ".join(f"({values[k]}) IS NULL" for k in sorted(pk, key=typed))
    return [f"SELECT t._row, NULL, {tkey}, 'primary-key', {all_empty} FROM {raw} t WHERE {none}",
            f"SELECT t._row, NULL, {tkey}, 'primary-key', {SAME} || d.earlier FROM {raw} t JOIN "
            f"({_repeats(raw, [values[k] for k in pk], f'NOT ({none})')}) d USING (_row) WHERE d.earlier IS NOT NULL"]


def check(pkg: Package, con=None, skip: Callable[[str], bool] | None = None) -> tuple[list[Finding], list[str]]:
    """Findings, and the tables that could not be read (each with one finding saying why).

    A table for which ``skip(name)`` is true is not read (a byte-level problem makes it unreadable
    already); it is asked just before the table would be read, in the package's order.
    With a connection ``con``, the raw tables (``raw_<name>``) stay in it for the other
    layers, so every CSV is read once.
    """
    from ..tables import connect

    own = con is None
    con = con or connect()
    findings, fallback = [], []
    try:
        readable = []
        for name in pkg.table_names:
            if skip is not None and skip(name):
                fallback.append(name)
            elif problem := _raw(con, pkg, name):
                findings.append(problem)
                fallback.append(name)
            else:
                readable.append(name)
        with unordered(con):  # each query says its order
            for name in readable:
                rel, pk = pkg.relpath(name), pkg.primary_key(name)
                raw = q("raw_" + name)
                # every check on a row's own cells was evaluated while the file was read, into one flag: only
                # the rows where one fails are kept, and the checks that name the cell and the rule run on them
                _, conditions = _cell_checks(pkg, name)
                flagged = None
                if conditions:
                    flagged = q(f"_flagged_{name}")
                    con.execute(f"CREATE OR REPLACE TEMP TABLE {flagged} AS SELECT * FROM {raw} WHERE {CELLS_FLAG}")
                parts, _ = _cell_checks(pkg, name, flagged)
                if pk:
                    parts += _primary_key(pkg, name, pk)
                for fk in pkg.foreign_keys(name):
                    fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
                    ref = fk["reference"]
                    ref_fields = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
                    target = ref["resource"] or name
                    if target not in readable:
                        continue
                    # as Frictionless: a row whose fields are all empty is not looked up; otherwise its values are
                    # looked up together, an empty one matching an empty one (a set difference treats them alike)
                    present = " OR ".join(f"{q(f)} IS NOT NULL" for f in fields)
                    values = " || ', ' || ".join(f"coalesce(t.{q(f)}, '')" for f in fields)
                    note = lit('for "' + ", ".join(fields) + '": values not found in the lookup table "' + target + '"')
                    # the distinct values missing from the lookup table (a set difference), then their rows: 4-10
                    # times faster than an anti-join of every row with the lookup table
                    keys = ", ".join(q(f) for f in fields)
                    looked = ", ".join(q(rf) for rf in ref_fields)
                    same = " AND ".join(f"m.{q(f)} IS NOT DISTINCT FROM t.{q(f)}" for f in fields)
                    parts.append(f"SELECT t._row, NULL, {values}, 'foreign-key', {note} FROM {raw} t SEMI JOIN "
                                 f"(SELECT {keys} FROM {raw} WHERE {present} EXCEPT "
                                 f"SELECT {looked} FROM {q('raw_' + target)}) m ON {same}")
                if not parts:
                    continue
                rkey = " || ', ' || ".join(f"coalesce(k.{q(k)}, '')" for k in pk) if pk else "NULL"
                sql = (f"WITH f(_row, col, v, type, note) AS ({' UNION ALL '.join(parts)}) "
                       f"SELECT f._row, f.col, f.v, f.type, f.note, {rkey} FROM f "
                       f"JOIN {raw} k USING (_row) ORDER BY f._row, f.col")
                for row, col, value, etype, note, key_value in con.execute(sql).fetchall():
                    findings.append(Finding("structure", etype, note, table=name, file=rel, row=row, column=col,
                                            key=key_value, value=value))
                if flagged:
                    con.execute(f"DROP TABLE {flagged}")
    finally:
        if own:
            con.close()
    return findings, fallback

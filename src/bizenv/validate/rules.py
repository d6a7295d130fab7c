"""Layer 2: rules a Table Schema cannot say, each one SQL condition over a whole table.

Each rule is declared once (:func:`rule`): its name, table, column, message, and a function
returning a :class:`Check` - a condition that is true (or NULL) where a row of the table ``t``
passes, with the joins it needs (each keeps one row per row of ``t``) and, for the few rules
that need it, bound parameters or a second look in Python at the failing rows.  The registry
below is the one list of these rules; the data dictionary prints it.

Two runners read the same declarations:

* the fast path (:func:`check`): the rules of a table that share their joins are evaluated
  together in one query that returns only the failing rows, with a flag per rule; nothing is
  copied out of DuckDB for the rows that pass;
* the reference (:func:`check_reference`, ``bizenv validate --reference``): pandera runs every
  rule as a check over the whole table (a mask per rule) and collects the failures.  A test runs
  both on packages with planted errors and requires identical findings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..findings import Finding
from ..package import Package
from ..tables import quote_ident as q
from ..tables import raise_if_not_data


@dataclass(frozen=True)
class Join:
    """One join a rule needs: the rows of ``source`` (a query) as ``alias`` on ``on``, one row per row of ``t``."""
    alias: str
    source: str
    on: str

    @property
    def sql(self) -> str:
        return f"LEFT JOIN ({self.source}) {self.alias} ON {self.on}"

    def reading(self, table: str) -> str:
        """The same join reading the rows of ``source`` from ``table``, where they were kept."""
        return f"LEFT JOIN {table} {self.alias} ON {self.on}"


@dataclass(frozen=True)
class Check:
    """What a rule evaluates: ``sql`` over ``t`` (true or NULL = the row passes), with ``joins``."""
    sql: str
    joins: tuple[Join, ...] = ()
    params: dict = field(default_factory=dict)  # bound parameters ($name in the SQL), never written into it
    # rows failing ``sql`` are looked at again: recheck(con, rows) -> the rows among them that pass
    recheck: Callable | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    table: str
    column: str  # the column a finding points at
    message: str
    fn: Callable[[], Check]
    row_sql: Callable[[], str] | None = None  # for a rule on a row's own text cells: its SQL


RULES: list[Rule] = []


def rule(name: str, table: str, column: str, message: str):
    def register(fn: Callable[[], Check | str]):
        RULES.append(Rule(name, table, column, message, lambda: _as_check(fn())))
        return fn

    return register


def _as_check(c: Check | str) -> Check:
    return c if isinstance(c, Check) else Check(c)


def row_rule(name: str, table: str, column: str, message: str):
    """A rule on a row's own text cells, given as a function returning an SQL condition.

    The structure layer evaluates it while it reads the file (``flag_column``), when the long
    texts are in memory anyway; both runners then read that flag.
    """
    def register(sql: Callable[[], str]):
        RULES.append(Rule(name, table, column, message, lambda: Check(sql()), sql))
        return sql

    return register


def flag_column(name: str) -> str:
    return f"_rule_{name}"


def blank(column: str) -> str:
    """SQL: ``column`` of ``t`` is empty."""
    return f"(t.{q(column)} IS NULL OR t.{q(column)} = '')"


def first(table: str, key: str, columns: list[str], alias: str, on: str) -> Join:
    """Join, as ``alias``, the first row of ``table`` for each ``key`` (its ``columns``) on ``on``."""
    cols = ", ".join(f"arg_min({q(c)}, _row) AS {q(c)}" for c in columns)
    return Join(alias, f"SELECT {q(key)}, {cols} FROM {q(table)} GROUP BY ALL", f"{alias}.{q(key)} = {on}")


# the columns of a row's task (k) and document (d) that rules read; one join serves them all, so the
# rules of a table that read them share one query
TASK_COLUMNS = ["document_id", "source_line"]
DOCUMENT_COLUMNS = ["merged_cells", "year", "issued_date", "jurisdiction", "province", "curation_status"]


def task_and_document() -> tuple[Join, ...]:
    """Joins ``k`` (the row's task) and ``d`` (its document) for a table that has task_id."""
    return (first("tasks", "task_id", TASK_COLUMNS, "k", "t.task_id"),
            first("documents", "document_id", DOCUMENT_COLUMNS, "d", "k.document_id"))


def document() -> tuple[Join, ...]:
    """Join ``d``, the row's document, for a table that has document_id."""
    return (first("documents", "document_id", [*DOCUMENT_COLUMNS, "doc_type"], "d", "t.document_id"),)


def positions(table: str, partition: list[str], unplaced_pass: bool = False) -> Check:
    """Positions run 1, 2, 3 ... within each group of ``partition`` (ties in file order; an empty position
    passes): a row passes when its rank among the group's positions is its position.

    One aggregate finds the groups whose positions are not exactly 1..n (their smallest is not 1, their
    largest not their number, or one repeats); only the rows of those groups are ranked (a window over
    the whole table would sort millions of rows to find none).  A repeat is found without a distinct
    count (which holds every group's positions, 1.9x the memory at 3 million rows): positions 1..63 are
    bits of one integer per group, and n positions from 1 to n are distinct when n bits are set; a
    group with a larger position is ranked.  With ``unplaced_pass``, rows whose partition is empty are
    not ranked (they pass)."""
    cols = ", ".join(q(c) for c in partition)
    placed = " WHERE " + " AND ".join(f"{q(c)} IS NOT NULL" for c in partition) if unplaced_pass else ""
    same = " AND ".join(f"b.{q(c)} IS NOT DISTINCT FROM x.{q(c)}" for c in partition)
    bits = "bit_count(bit_or(CASE WHEN position BETWEEN 1 AND 63 THEN 1::UBIGINT << position ELSE 0::UBIGINT END))"
    bad = (f"SELECT {cols} FROM {q(table)}{placed} GROUP BY ALL HAVING count(position) > 0 AND NOT (min(position) = 1 "
           f"AND max(position) = count(position) AND max(position) <= 63 AND {bits} = count(position))")
    ranked = (f"SELECT x._row, row_number() OVER (PARTITION BY {', '.join(f'x.{q(c)}' for c in partition)} "
              f"ORDER BY x.position, x._row) = x.position AS ok FROM {q(table)} x SEMI JOIN ({bad}) b ON {same}")
    return Check("coalesce(pos.ok, true)", (Join("pos", ranked, "pos._row = t._row"),))


# --- identifiers ------------------------------------------------------------------------------

@rule("task-id-form", "tasks", "task_id", "task_id must be document_id + '-t' + seq in three digits")
def _():
    return "t.task_id = t.document_id || '-t' || printf('%03d', t.seq)"


@rule("measure-id-form", "measures", "measure_id",
      "measure_id must be document_id + '-s' + seq (level 1) or parent_id + '.' + seq (level 2)")
def _():
    return ("t.measure_id = CASE WHEN t.level = 1 THEN t.document_id || '-s' || CAST(t.seq AS VARCHAR) "
            "ELSE t.parent_id || '.' || CAST(t.seq AS VARCHAR) END")


@rule("measure-parent", "measures", "parent_id",
      "a level-1 heading has no parent; a deeper heading's parent is one level up in the same document")
def _():
    return Check("coalesce((t.level = 1 AND t.parent_id IS NULL) OR (t.level > 1 AND p.level = t.level - 1 "
                 "AND p.document_id = t.document_id), false)",
                 (first("measures", "measure_id", ["level", "document_id"], "p", "t.parent_id"),))


@rule("target-id-form", "targets", "target_id", "target_id must be task_id + '-v' + a number")
def _():
    return r"regexp_full_match(t.target_id, '.+-v\d+') AND regexp_replace(t.target_id, '-v\d+$', '') = t.task_id"


# --- tasks --------------------------------------------------------------------------------------

@rule("task-measure-document", "tasks", "measure_id", "the task's heading belongs to another document")
def _():
    return Check("m.document_id = t.document_id",
                 (first("measures", "measure_id", ["document_id"], "m", "t.measure_id"),))


@rule("task-status-text", "tasks", "text", "status ok needs a text; text_missing and row_missing need an empty text")
def _():
    return f"(t.status = 'ok') <> {blank('text')}"


@rule("task-damage-noted", "tasks", "notes", "a task with status text_missing or row_missing needs a note on the damage")
def _():
    return f"t.status = 'ok' OR NOT {blank('notes')}"


def _task_joins() -> tuple[Join, ...]:
    """The joins of the lead rule: its document (d) and whether it has a lead (a)."""
    return (Join("a", "SELECT DISTINCT task_id FROM assignments WHERE role = 'lead'", "a.task_id = t.task_id"),
            *document())


@rule("task-has-lead", "tasks", "task_id",
      "an ok task needs a lead assignment, or a note saying why it has none (a work summary assigns no units)")
def _():
    return Check("t.status IS DISTINCT FROM 'ok' OR a.task_id IS NOT NULL OR coalesce(t.notes, '') <> '' "
                 "OR d.doc_type = 'work_summary'", _task_joins())


@rule("task-has-indicator", "tasks", "indicator_id",
      "a task whose text survives needs a primary indicator; a task whose text is lost has none")
def _():
    return (f"({blank('text')} AND t.indicator_id IS NULL AND t.indicator2_id IS NULL) OR (NOT {blank('text')} "
            "AND t.indicator_id IS NOT NULL AND coalesce(t.indicator2_id <> t.indicator_id, true))")


# numbers printed in a document, or recorded as gaps (numbering_gaps), by scope: 'task' or 'measure_level_N'
PRINTED = ("SELECT DISTINCT document_id, 'task' AS scope, seq AS n FROM tasks UNION "
           "SELECT DISTINCT document_id, 'measure_level_' || CAST(level AS VARCHAR), seq FROM measures")
KNOWN = f"{PRINTED} UNION SELECT DISTINCT document_id, scope, missing_seq FROM numbering_gaps"


@rule("task-seq-contiguous", "tasks", "seq",
      "the number before this task is neither a task nor a recorded numbering gap")
def _():
    return Check("t.document_id IS NULL OR t.seq = 1 OR kn.n IS NOT NULL",
                 (Join("kn", KNOWN, "kn.document_id = t.document_id AND kn.scope = 'task' AND kn.n = t.seq - 1"),))


@rule("measure-seq-contiguous", "measures", "seq",
      "the number before this heading (same level) is neither a heading nor a recorded numbering gap")
def _():
    return Check("t.document_id IS NULL OR t.level IS NULL OR t.seq = 1 OR kn.n IS NOT NULL",
                 (Join("kn", KNOWN, "kn.document_id = t.document_id "
                                    "AND kn.scope = 'measure_level_' || CAST(t.level AS VARCHAR) AND kn.n = t.seq - 1"),))


@rule("gap-not-printed", "numbering_gaps", "missing_seq", "a number recorded as a gap is printed in the document")
def _():
    return Check("p.n IS NULL",
                 (Join("p", PRINTED, "p.document_id = t.document_id AND p.scope = t.scope AND p.n = t.missing_seq"),))


@row_rule("task-text-clean", "tasks", "text_clean",
          "text_clean must be bizenv.cells.clean_text(text): the text without the line breaks and stray spaces")
def _():
    from ..cells import clean_sql

    # in DuckDB, with the same patterns as in Python
    return f"(text IS NULL AND text_clean IS NULL) OR {clean_sql('text')} = text_clean"


# --- measures -------------------------------------------------------------------------------------

@rule("measure-position", "measures", "position", "positions must run 1, 2, 3 ... within each document")
def _():
    return positions("measures", ["document_id"], unplaced_pass=True)


@rule("measure-status-title", "measures", "title",
      "an ok heading needs a title; a heading_missing row needs an empty title and a note")
def _():
    return (f"(t.status = 'ok' AND NOT {blank('title')}) "
            f"OR (t.status = 'heading_missing' AND {blank('title')} AND NOT {blank('notes')})")


# --- assignments ----------------------------------------------------------------------------------

@rule("assignment-position", "assignments", "position", "positions must run 1, 2, 3 ... within each task and role")
def _():
    return positions("assignments", ["task_id", "role"])


def _inherited_ok() -> Check:
    """Inherited rows only in merged-cell documents, and only from a line above the task's own."""
    return Check("NOT coalesce(t.inherited, false) OR (coalesce(d.merged_cells, false) "
                 "AND coalesce(t.source_line < k.source_line, false))", task_and_document())


@rule("inherited-needs-merged-cells", "assignments", "inherited",
      "inherited = true needs a document with merged cells and a source_line above the task's own line")
def _():
    return _inherited_ok()


@rule("deadline-inherited-needs-merged-cells", "deadlines", "inherited",
      "inherited = true needs a document with merged cells and a source_line above the task's own line")
def _():
    return _inherited_ok()


# --- deadlines --------------------------------------------------------------------------------------

@rule("deadline-position", "deadlines", "position", "positions must run 1, 2, 3 ... within each task")
def _():
    return positions("deadlines", ["task_id"], unplaced_pass=True)


@rule("deadline-fixed-has-date", "deadlines", "due_date",
      "kind fixed needs due_date and precision; other kinds have neither")
def _():
    return ("(t.kind = 'fixed' AND t.due_date IS NOT NULL AND t.precision IS NOT NULL) "
            "OR (t.kind <> 'fixed' AND t.due_date IS NULL AND t.precision IS NULL)")


@rule("deadline-empty-is-none", "deadlines", "kind", "an empty raw_text is kind none, and kind none has no text")
def _():
    return f"{blank('raw_text')} = (t.kind = 'none')"


@rule("deadline-date-matches-text", "deadlines", "due_date",
      "due_date and precision must be the end of the period raw_text names (2019年6月 -> 2019-06-30, month)")
def _():
    from ..deadlines import date_parts_sql, derive_sql

    due, precision = derive_sql("m")
    # the date each printed text names, derived once per distinct text (deadlines repeat: 2023年底前, 长期坚持);
    # the regular expression runs once per text, its groups bound to m
    derived = Join("dt", f"SELECT raw_text, list_transform([{date_parts_sql('raw_text')}], lambda m: "
                         f"{{'due': {due}, 'precision': {precision}}})[1] AS p "
                         "FROM (SELECT DISTINCT raw_text FROM deadlines WHERE raw_text IS NOT NULL)",
                   "dt.raw_text = t.raw_text")
    # a date printed without its year (力争在10月底完成) cannot be re-derived: its note says how it was read
    return Check("t.kind IS DISTINCT FROM 'fixed' OR coalesce(t.due_date = dt.p.due AND t.precision = dt.p.precision, "
                 "false) OR (dt.p.due IS NULL AND NOT (t.notes IS NULL OR t.notes = ''))", (derived,))


@rule("deadline-in-window", "deadlines", "due_date",
      "due_date lies outside the plausible window of its document (from the year before to ten years after)")
def _():
    return Check("t.due_date IS NULL OR coalesce(year(t.due_date) BETWEEN d.year - 1 AND d.year + 10, true)",
                 task_and_document())


@rule("deadline-before-document-noted", "deadlines", "notes",
      "a deadline before the document's own date needs a note (it is recorded as printed)")
def _():
    return Check(f"NOT coalesce(t.due_date < d.issued_date, false) OR NOT {blank('notes')}", task_and_document())


# --- targets -----------------------------------------------------------------------------------------

@rule("target-percent-range", "targets", "value", "a percentage must lie between 0 and 100")
def _():
    return "t.unit <> 'percent' OR t.value BETWEEN 0 AND 100 OR t.value IS NULL"


@rule("target-nonnegative", "targets", "value", "values and baselines must not be negative")
def _():
    return "NOT coalesce(t.value < 0, false) AND NOT coalesce(t.baseline_value < 0, false)"


@rule("target-damage-noted", "targets", "notes", "a target without a value needs a note on the damage")
def _():
    return f"t.value IS NOT NULL OR NOT {blank('notes')}"


def _unit_joins() -> tuple[Join, ...]:
    """The unit's dimension (u) and, per printed unit of a measured dimension, how many codes it is
    normalized to (c)."""
    codes = (f"SELECT x.unit_raw, count(DISTINCT x.unit) AS n FROM targets x "
             f"{first('measurement_units', 'code', ['dimension'], 'y', 'x.unit').sql} "
             "WHERE y.dimension <> 'count' GROUP BY x.unit_raw")
    return first("measurement_units", "code", ["dimension"], "u", "t.unit"), Join("c", codes, "c.unit_raw = t.unit_raw")


@rule("target-unit-consistent", "targets", "unit",
      "the same printed unit of measure is normalized to different codes (counts excepted: 项 or 个 count "
      "different things)")
def _():
    return Check("NOT coalesce(u.dimension <> 'count', false) OR coalesce(c.n <= 1, true)", _unit_joins())


def numeral_sql(value: str) -> str:
    """SQL for the Chinese numeral of an integer 0-99 (0 -> 零, 4 -> 四, 12 -> 十二, 24 -> 二十四)."""
    digits = "'一二三四五六七八九'"
    units = f"CASE WHEN {value} % 10 = 0 THEN '' ELSE substr({digits}, {value} % 10, 1) END"
    return (f"CASE WHEN {value} = 0 THEN '零' WHEN {value} < 10 THEN substr({digits}, {value}, 1) "
            f"WHEN {value} < 20 THEN '十' || {units} ELSE substr({digits}, {value} // 10, 1) || '十' || {units} END")


@rule("target-numeral", "targets", "value",
      "value_status numeral: value must be a whole number 0-99 whose Chinese numeral is printed in the quote next to "
      "unit_raw (四枚 -> 4, 零费用 -> 0, 第三 -> 3; 两 for 2)")
def _():
    n = "CAST(t.value AS INTEGER)"
    forms = f"[{numeral_sql(n)}] || CASE WHEN {n} = 2 THEN ['两'] ELSE [] END"
    adjacent = ("list_bool_or(list_transform(f, lambda x: contains(t.quote, x || t.unit_raw) "
                "OR contains(t.quote, t.unit_raw || x)))")
    return ("t.value_status IS DISTINCT FROM 'numeral' OR coalesce(t.value = floor(t.value) AND t.value BETWEEN 0 "
            f"AND 99 AND list_transform([{forms}], lambda f: {adjacent})[1], false)")


@rule("target-as-of", "targets", "as_of_date",
      "as_of_date needs as_of_raw, belongs to reported figures, and must not be after the document's date")
def _():
    return Check(f"t.as_of_date IS NULL OR (NOT {blank('as_of_raw')} AND t.kind = 'reported' "
                 "AND NOT coalesce(t.as_of_date > d.issued_date, false))", task_and_document())


@rule("target-baseline-direction", "targets", "baseline_value",
      "a baseline must be above an upper bound (<=) and below a lower bound (>=)")
def _():
    return ("NOT coalesce((t.comparator = '<=' AND t.baseline_value <= t.value) "
            "OR (t.comparator = '>=' AND t.baseline_value >= t.value), false)")


RETIRED_KEYS = {"documents": "document_id", "measures": "measure_id", "tasks": "task_id", "units": "unit_id",
                "targets": "target_id"}


@rule("retired-id-reused", "retired_ids", "id", "a retired identifier is carried by a live row again")
def _():
    live = " UNION ALL ".join(f"SELECT DISTINCT {q(k)} AS id, '{t}' AS table_name FROM {q(t)}"
                              for t, k in RETIRED_KEYS.items())
    return Check("l.id IS NULL", (Join("l", live, "l.id = t.id AND l.table_name = t.table_name"),))


# --- units and documents --------------------------------------------------------------------------------

@rule("assignment-unit-form", "assignments", "name_as_printed",
      "name_as_printed (less a trailing 等 phrase and PDF spaces) is not a recorded form of unit_id: correct "
      "unit_id, or record the form in data/unit_aliases.csv")
def _():
    from ..cells import unit_form_sql

    # the form of each distinct printed name is computed once (names repeat: a few hundred units), then
    # paired with the units that record it
    forms = Join("f", f"SELECT DISTINCT n.name_as_printed, a.unit_id FROM (SELECT DISTINCT name_as_printed "
                      "FROM assignments WHERE name_as_printed IS NOT NULL) n JOIN unit_aliases a "
                      f"ON a.{q('form')} = {unit_form_sql('n.name_as_printed')}",
                 "f.unit_id = t.unit_id AND f.name_as_printed = t.name_as_printed")
    return Check("t.unit_id IS NULL OR t.name_as_printed IS NULL OR f.unit_id IS NOT NULL", (forms,))


@rule("assignment-unit-jurisdiction", "assignments", "unit_id",
      "the unit belongs to another jurisdiction: a document assigns units of its own jurisdiction or of one above it "
      "(鄂州市 for 鄂州市鄂城区, or the province)")
def _():
    joins = (*task_and_document(), first("units", "unit_id", ["jurisdiction"], "u", "t.unit_id"))
    # jurisdictions are written from the top down (鄂州市鄂城区), so one above a document's is a leading part of it
    return Check("u.jurisdiction IS NULL OR d.jurisdiction IS NULL OR u.jurisdiction = d.province "
                 "OR starts_with(d.jurisdiction, u.jurisdiction)", joins)


@rule("unit-name-recorded", "units", "name", "the unit's name is not in data/unit_aliases.csv with derivation name")
def _():
    names = Join("f", "SELECT DISTINCT unit_id, form FROM unit_aliases WHERE derivation = 'name'",
                 "f.unit_id = t.unit_id AND f.form = t.name")
    return Check("f.unit_id IS NOT NULL", (names,))


@rule("unit-alias-name", "unit_aliases", "derivation",
      "derivation name is for the unit's registry name (units.name), and only for it")
def _():
    return Check("u.name IS NULL OR (t.derivation = 'name') = (t.form = u.name)", _alias_joins())


def _alias_joins() -> tuple[Join, ...]:
    return (first("units", "unit_id", ["name", "jurisdiction"], "u", "t.unit_id"),)


@rule("unit-alias-unambiguous", "unit_aliases", "form",
      "the same form is recorded for two units of one jurisdiction: a printed name must point to one unit")
def _():
    return Check(f"count(*) OVER (PARTITION BY u.jurisdiction, t.{q('form')}) = 1", _alias_joins())


@rule("unit-name-unique", "units", "name", "two registry rows share a name in one jurisdiction")
def _():
    return "count(*) OVER (PARTITION BY t.jurisdiction, t.name) = 1"


@rule("unit-parent-not-self", "units", "parent_unit_id", "a unit cannot be its own parent")
def _():
    return "coalesce(t.parent_unit_id <> t.unit_id, true)"


@rule("document-curation-status", "documents", "curation_status",
      "a complete document needs tasks; a pending one has none yet")
def _():
    return Check("t.document_id IS NULL OR (t.curation_status = 'complete' AND k.document_id IS NOT NULL) "
                 "OR (t.curation_status = 'pending' AND k.document_id IS NULL)",
                 (Join("k", "SELECT DISTINCT document_id FROM tasks", "k.document_id = t.document_id"),))


@rule("document-issued-year", "documents", "issued_date", "issued_date must fall in the document's year")
def _():
    return "t.issued_date IS NULL OR year(t.issued_date) = t.year"


# --- translations ------------------------------------------------------------------------------------
# A translation renders one cell: (source_table, source_id, source_column) names it; these are the cells
# that may be translated.  The Chinese texts are long, so they are not carried through the join: what the
# rules need of each is computed where the text is read (s.f.empty, s.f.terms: the glossary terms it prints,
# s.f.numbers: its digit runs and whether it has a Chinese numeral that may count something).

TRANSLATABLE = (("tasks", "task_id", "text", "coalesce(text_clean, text)"), ("measures", "measure_id", "title", "title"),
                ("measures", "measure_id", "body", "body"), ("documents", "document_id", "title", "title"))
GLOSSARY = ("(SELECT term, arg_min(english, _row) AS english FROM glossary "
            "WHERE coalesce(term, '') <> '' GROUP BY term)")


def _cells(value: Callable[[str], str], name: str) -> str:
    """SQL of every translatable cell, the first row of each key (found on the short columns, as everywhere):
    source_table, source_id, source_column and, as ``name``, ``value`` of its Chinese text."""
    part = ("SELECT '{table}' AS source_table, {key} AS source_id, '{column}' AS source_column, {value} AS {name} "
            "FROM {table} WHERE _row IN (SELECT min(_row) FROM {table} GROUP BY {key})")
    return " UNION ALL ".join(part.format(table=table, key=key, column=column, value=value(clean), name=name)
                              for table, key, column, clean in TRANSLATABLE)


# a translation's cell among them (s)
SOURCE_ON = "s.source_table = t.source_table AND s.source_id = t.source_id AND s.source_column = t.source_column"


def _sources() -> str:
    """Every translatable cell with what the rules need of its Chinese text (``f``), not the text."""
    from ..translation import zh_features_sql

    return _cells(lambda clean: zh_features_sql(clean, "$glossary_terms"), "f")


def _translation_check(sql: str, recheck: Callable | None = None) -> Check:
    joins = (Join("s", _sources(), SOURCE_ON),)
    return Check(sql, joins, {"glossary_terms": _glossary_pattern, "glossary_keys": _glossary_keys,
                              "glossary_english": _glossary_english}, recheck)


def _glossary_keys(con) -> list[str]:
    """The glossary's terms, in order (bound as a parameter, with :func:`_glossary_english`)."""
    return con.execute(f"SELECT coalesce(list(term ORDER BY term), []) FROM {GLOSSARY}").fetchall()[0][0]


def _glossary_english(con) -> list[str]:
    """The English of each term of :func:`_glossary_keys`, in lower case, in the same order."""
    return con.execute(f"SELECT coalesce(list(lower(coalesce(english, '')) ORDER BY term), []) "
                       f"FROM {GLOSSARY}").fetchall()[0][0]


def _glossary_pattern(con) -> str:
    """One alternation of the glossary terms, longest first, so that each printed term is found once
    (告知承诺制, not 承诺制 in it); it is computed from the data and bound as a parameter, never written
    into the SQL.  A pattern that matches nothing when there is no glossary."""
    import duckdb

    try:
        pattern = con.execute(f"SELECT string_agg(regexp_escape(term), '|' ORDER BY length(term) DESC, term) "
                              f"FROM {GLOSSARY}").fetchall()[0][0]
    except duckdb.Error as exc:  # the glossary is not loaded: only the glossary rule needs it, and it says so
        raise_if_not_data(exc)
        pattern = None
    return pattern or "[^\\x00-\\x{10FFFF}]"


@rule("translation-source", "translations", "source_id",
      "the translated cell does not exist: source_table/source_column must be tasks/text, measures/title, "
      "measures/body or documents/title, and source_id a row of that table")
def _():
    return _translation_check("s.source_id IS NOT NULL")


@rule("translation-source-empty", "translations", "source_column",
      "the translated cell is empty in its table (a lost text has no translation)")
def _():
    return _translation_check("s.source_id IS NULL OR NOT s.f.empty")


@rule("translation-glossary", "translations", "text",
      "a glossary term of the Chinese text is not rendered with its glossary English (data/glossary.csv; "
      "case-insensitive; a term inside a longer glossary term is rendered by the longer one)")
def _():
    # the English is put in lower case once per row (bound to en); each distinct term's English (the glossary
    # as two bound lists) is looked for in it
    return _translation_check("coalesce(len(s.f.terms) = 0, true) OR list_transform([lower(coalesce(t.text, ''))], "
                              "lambda en: list_bool_and(list_transform(list_distinct(s.f.terms), "
                              "lambda x: strpos(en, $glossary_english[list_position($glossary_keys, x)]) > 0)))[1]")


@rule("translation-numbers", "translations", "text",
      "a number of the Chinese text is missing from the English (digits, or a Chinese numeral such as 三级; "
      "see bizenv.translation)")
def _():
    from ..translation import numbers_ok_sql

    # most rows pass in DuckDB (every digit run of the Chinese printed alike in the English, no Chinese
    # numeral); the rest - converted amounts, number words, months - are read by bizenv.translation
    return _translation_check(numbers_ok_sql("s.f.numbers.digits", "s.f.numbers.numeral", "t.text"), _numbers_recheck)


def _numbers_recheck(con, rows: list[int]) -> set[int]:
    """The rows among ``rows`` whose numbers bizenv.translation finds all stated (read with their texts)."""
    from ..translation import missing_numbers

    found = con.execute(f"SELECT t._row, coalesce(s.zh, ''), coalesce(t.text, '') FROM translations t "
                        f"LEFT JOIN ({_cells(lambda clean: clean, 'zh')}) s ON {SOURCE_ON} "
                        "WHERE t._row IN (SELECT unnest($rows))", {"rows": rows}).fetchall()
    return {row for row, zh, en in found if not missing_numbers(zh, en)}


def _translated(table: str, key: str, column: str, applies: str) -> Check:
    """True where the cell needs no English translation or has one (pending documents are exempt)."""
    done = Join(f"tr_{column}", f"SELECT DISTINCT source_id FROM translations WHERE source_table = '{table}' "
                                f"AND source_column = '{column}' AND language = 'en'", f"tr_{column}.source_id = t.{key}")
    return Check(f"NOT ({applies}) OR coalesce(d.curation_status = 'pending', false) "
                 f"OR tr_{column}.source_id IS NOT NULL", (done, *document()))


@rule("task-translated", "tasks", "text", "an ok task has no English translation in data/translations.csv")
def _():
    return _translated("tasks", "task_id", "text", "t.status = 'ok' AND coalesce(t.text, '') <> ''")


@rule("measure-title-translated", "measures", "title",
      "a heading's title has no English translation in data/translations.csv")
def _():
    return _translated("measures", "measure_id", "title", "coalesce(t.title, '') <> ''")


@rule("measure-body-translated", "measures", "body",
      "a heading's body has no English translation in data/translations.csv")
def _():
    return _translated("measures", "measure_id", "body", "coalesce(t.body, '') <> ''")


@rule("document-title-translated", "documents", "title_en",
      "a document without title_en needs an English translation of its title in data/translations.csv")
def _():
    return _translated("documents", "document_id", "title",
                       "coalesce(t.title_en, '') = '' AND coalesce(t.title, '') <> ''")


# --- runners ---------------------------------------------------------------------------------------------

def check(con, pkg: Package, loaded: list[str]) -> list[Finding]:
    """The fast path: per table, the rules that can share their joins in one query returning only the
    failing rows; then the count assertions."""
    findings: list[Finding] = []
    plan = [(table, rules, _groups(rules)) for table, rules in _by_table(pkg, loaded, findings)]
    kept = _keep_shared(con, [group for _, _, groups in plan for group in groups])
    try:
        for table, rules, groups in plan:
            failed: dict[str, list[int]] = {}
            skipped: list[Finding] = []
            for group in groups:
                failed |= _run_group(con, pkg, table, group, skipped, kept=kept)
            findings += skipped + _findings(con, pkg, table, rules, failed)
    finally:
        for name in kept.values():
            con.execute(f"DROP TABLE IF EXISTS {name}")
    return findings + check_counts(con, pkg, loaded)


def _keep_shared(con, groups: list[list[Rule]]) -> dict[str, str]:
    """The joined rows that more than one query reads (a task's document, the numbers printed in each
    document, ...), computed once each into a temporary table: {source query: table}.  One that cannot
    be computed is left to its queries (they say why)."""
    import duckdb
    from collections import Counter

    uses = Counter(source for group in groups if not group[0].row_sql
                   for source in {j.source for r in group for j in r.fn().joins})
    kept: dict[str, str] = {}
    for source, n in uses.items():
        if n < 2 or "$" in source:  # read once, or with bound parameters: stays in its query
            continue
        name = q(f"_rule_join_{len(kept)}")
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {source}")
        except duckdb.Error as exc:
            raise_if_not_data(exc)
            continue
        kept[source] = name
    return kept


def check_reference(con, pkg: Package, loaded: list[str]) -> list[Finding]:
    """The reference: pandera runs every rule as a check over the whole table (a mask per rule, one query
    each), lazily collecting all failures; then the count assertions."""
    import pandas as pd
    import pandera.pandas as pa

    findings: list[Finding] = []
    for table, rules in _by_table(pkg, loaded, findings):
        skipped: list[Finding] = []
        rows = con.sql(f"SELECT _row FROM {q(table)} ORDER BY _row").to_arrow_table().column(0).to_pandas()

        def mask(r: Rule):
            def fn(_df):
                out = _run_group(con, pkg, table, [r], skipped, mask=True)
                return pd.Series(out, index=_df.index) if out is not None else pd.Series(True, index=_df.index)

            return fn

        schema = pa.DataFrameSchema(checks=[pa.Check(mask(r), error=r.name) for r in rules], name=table)
        failed: dict[str, list[int]] = {}
        try:
            schema.validate(pd.DataFrame({"_row": rows}), lazy=True)
        except pa.errors.SchemaErrors as err:
            cases = err.failure_cases
            cases = cases.loc[cases["index"].notna(), ["check", "index"]].drop_duplicates()
            for name, index in cases.itertuples(index=False):
                failed.setdefault(name, []).append(int(rows.iloc[int(index)]))
        findings += skipped + _findings(con, pkg, table, rules, failed)
    return findings + check_counts(con, pkg, loaded)


def _by_table(pkg: Package, loaded: list[str], findings: list[Finding]):
    """(table, its rules) for every table with rules; a table not loaded gets one finding instead."""
    for table in dict.fromkeys(r.table for r in RULES):
        rules = [r for r in RULES if r.table == table]
        if table not in loaded:
            findings.append(Finding("rules", "rules-skipped", f"{len(rules)} rule(s) not run: the table is not loaded",
                                    table=table, file=pkg.relpath(table) if table in pkg.resources else None))
            continue
        yield table, rules


def _groups(rules: list[Rule]) -> list[list[Rule]]:
    """The rules in groups that run as one query: a rule on a row's own text reads the flag computed while
    the file was read (its own group); the others join in one query unless two joins share an alias."""
    groups: list[list[Rule]] = []
    joins: list[dict[str, Join]] = []
    for r in rules:
        if r.row_sql:
            groups.append([r])
            joins.append({"": Join("", "", "")})  # never shared
            continue
        mine = {j.alias: j for j in r.fn().joins}
        for group, have in zip(groups, joins):
            if "" not in have and all(have.get(a, j) == j for a, j in mine.items()):
                group.append(r)
                have.update(mine)
                break
        else:
            groups.append([r])
            joins.append(dict(mine))
    return groups


def _run_group(con, pkg: Package, table: str, rules: list[Rule], skipped: list[Finding], mask: bool = False,
               kept: dict[str, str] | None = None):
    """Run ``rules`` of ``table`` as one query: {rule name: failing record numbers}; with ``mask`` (one rule),
    its pass/fail for every row in record order instead (None if it could not run).  A group that cannot run
    is run rule by rule, so that each rule that cannot run is named (``rule-not-run``)."""
    import duckdb

    try:
        checks = [r.fn() for r in rules]
        sql, params = _group_sql(con, pkg, table, rules, checks, mask, kept or {})
        result = con.execute(sql, params).fetchall()
    except duckdb.Error as exc:
        raise_if_not_data(exc)
        if len(rules) > 1:
            out: dict[str, list[int]] = {}
            for r in rules:
                out |= _run_group(con, pkg, table, [r], skipped, kept=kept)
            return out
        skipped.append(Finding("rules", "rule-not-run", f"rule {rules[0].name} could not run: {_reason(exc)}",
                               table=table, file=pkg.relpath(table)))
        return None if mask else {}
    if mask:
        ok = [bool(v) for _, v in result]
        if checks[0].recheck and not all(ok):
            passed = checks[0].recheck(con, [row for row, v in result if not v])
            ok = [v or row in passed for (row, _), v in zip(result, ok)]
        return ok
    failed: dict[str, list[int]] = {}
    for row, *flags in result:
        for r, flag in zip(rules, flags):
            if not flag:
                failed.setdefault(r.name, []).append(row)
    for r, c in zip(rules, checks):
        if c.recheck and failed.get(r.name):
            passed = c.recheck(con, failed[r.name])
            failed[r.name] = [row for row in failed[r.name] if row not in passed]
    return failed


def _group_sql(con, pkg: Package, table: str, rules: list[Rule], checks: list[Check], mask: bool,
               kept: dict[str, str]):
    """The query of a group (see :func:`_run_group`) and its bound parameters; a join whose rows were
    kept (:func:`_keep_shared`) reads them."""
    wanted: dict = {}
    for c in checks:
        wanted |= c.params
    if rules[0].row_sql:  # read while the file was read, or computed now if it was not
        raw, column = f"raw_{table}", flag_column(rules[0].name)
        read = con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ?",
                           [raw, column]).fetchall()[0][0]
        source, conditions = (q(raw), [q(column)]) if read else (q(table), [checks[0].sql])
        joins = ""
    else:
        source, conditions = q(table), [c.sql for c in checks]
        joins = " ".join(dict.fromkeys(j.reading(kept[j.source]) if j.source in kept else j.sql
                                       for c in checks for j in c.joins))
    flags = ", ".join(f"coalesce(({c}), true) AS _r{i}" for i, c in enumerate(conditions))
    inner = f"SELECT t._row, {flags} FROM {source} t {joins}"
    if mask:
        sql = f"SELECT _row, _r0 FROM ({inner}) ORDER BY _row"
    else:
        every = " AND ".join(f"_r{i}" for i in range(len(conditions)))
        sql = f"SELECT * FROM ({inner}) WHERE NOT ({every}) ORDER BY _row"
    import re

    # only the parameters this query names are bound (DuckDB refuses others)
    params = {name: value(con) if callable(value) else value for name, value in wanted.items()
              if re.search(rf"\${re.escape(name)}\b", sql)}
    return sql, params


def _reason(exc: Exception) -> str:
    """Why a rule could not run, in a line (a table it needs is not loaded, or data too broken for it)."""
    import re

    text = str(exc).splitlines()[0]
    missing = re.search(r"Table with name (\S+) does not exist", text)
    return f"table {missing.group(1)} is not loaded" if missing else text


def _findings(con, pkg: Package, table: str, rules: list[Rule], failed: dict[str, list[int]]) -> list[Finding]:
    """One finding per failing row of each rule, in rule order and row order; only the failing rows are read
    back, to name their key and value."""
    if not any(failed.values()):
        return []
    by_name = {r.name: r for r in rules}
    pk = pkg.primary_key(table)
    columns = sorted({by_name[name].column for name, rows in failed.items() if rows} | set(pk))
    wanted = sorted({row for rows in failed.values() for row in rows})
    detail = {row[0]: dict(zip(columns, row[1:])) for row in con.execute(
        f"SELECT _row, {', '.join(q(c) for c in columns)} FROM {q(table)} WHERE _row IN (SELECT unnest($rows))",
        {"rows": wanted}).fetchall()}
    findings = []
    for r in rules:
        for row in sorted(set(failed.get(r.name, []))):
            cells = detail[row]
            value = cells[r.column]
            findings.append(Finding(
                "rules", r.name, r.message, table=table, file=pkg.relpath(table), row=row, column=r.column,
                key=", ".join(str(cells[k]) for k in pk) if pk else None, value=None if value is None else _text(value),
            ))
    return findings


def _text(value) -> str:
    """A cell as a finding shows it (10.0 -> '10.0', dates as ISO)."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


# --- count assertions (validation/assertions.yaml) ---------------------------------------------------

ASSERTIONS = "validation/assertions.yaml"

COUNTS = {
    "measures": ("measures", None),
    "tasks": ("tasks", None),
    "tasks_damaged": ("tasks", "status <> 'ok'"),
    "assignments": ("assignments", None),
    "lead_assignments": ("assignments", "role = 'lead'"),
    "deadlines": ("deadlines", None),
    "targets": ("targets", None),
}


def check_counts(con, pkg: Package, loaded: list[str]) -> list[Finding]:
    """Compare per-document row counts with validation/assertions.yaml (one grouped count per kind)."""
    import yaml

    path = pkg.root / ASSERTIONS
    if not path.exists():
        return []
    where = dict(file=ASSERTIONS)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return [Finding("rules", "assertions-unreadable", f"cannot be read: {exc}", **where)]
    actual: dict[str, dict] = {}
    for name, (table, condition) in COUNTS.items():
        if table not in loaded or "tasks" not in loaded:
            continue
        doc = "t.document_id" if "document_id" in pkg.field_names(table) else "k.document_id"
        join = "" if doc == "t.document_id" else "JOIN tasks k ON k.task_id = t.task_id"
        sql = (f"SELECT {doc}, count(*) FROM {q(table)} t {join} "
               f"{'WHERE ' + condition.replace('role', 't.role').replace('status', 't.status') if condition else ''} "
               "GROUP BY ALL")
        actual[name] = dict(con.execute(sql).fetchall())
    findings = []
    for doc_id, counts in spec.items():
        for name, expected in (counts or {}).items():
            if name not in COUNTS:
                findings.append(Finding("rules", "assertion-unknown", f"unknown count {name!r} for {doc_id}",
                                        key=doc_id, **where))
                continue
            if name not in actual:
                continue
            got = actual[name].get(doc_id, 0)
            low, high = (expected, expected) if isinstance(expected, int) else tuple(expected)
            if not low <= got <= high:
                findings.append(Finding(
                    "rules", "count-assertion",
                    f"{doc_id}: {name} is {got}, asserted {expected} in {ASSERTIONS}",
                    table=COUNTS[name][0], key=doc_id, column=name, value=str(got), **where))
    return findings

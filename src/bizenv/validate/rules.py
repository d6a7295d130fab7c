"""Layer 2: rules a Table Schema cannot say, run by pandera over whole columns.

Each rule is a function from the loaded tables to a boolean mask over one table
(True = the row passes); pandera runs them and collects the failures.  A rule reads only
the columns it names (:class:`LazyTable`); lookups across tables, blanks and long-text
comparisons are computed by DuckDB and arrive as whole columns.  Nothing loops over
rows in Python.  The registry below is the one list of these rules; the data dictionary
prints it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..findings import Finding
from ..package import Package
from ..tables import quote_ident as q


@dataclass(frozen=True)
class Rule:
    name: str
    table: str
    column: str  # the column a finding points at
    message: str
    fn: Callable
    row_sql: Callable[[], str] | None = None  # for a rule on a row's own text cells: its SQL


RULES: list[Rule] = []


def rule(name: str, table: str, column: str, message: str):
    def register(fn):
        RULES.append(Rule(name, table, column, message, fn))
        return fn

    return register


def row_rule(name: str, table: str, column: str, message: str):
    """A rule on a row's own text cells, given as a function returning an SQL condition.

    The structure layer evaluates it while it reads the file (``flag_column``), when the long
    texts are in memory anyway; pandera then checks that column like any other mask.
    """
    def register(sql: Callable[[], str]):
        RULES.append(Rule(name, table, column, message, lambda F: F[table].row_flag(name, sql()), sql))
        return sql

    return register


def flag_column(name: str) -> str:
    return f"_rule_{name}"


class LazyTable:
    """One loaded table, read from DuckDB a column at a time as rules ask for it.

    A rule sees the table like a pandas DataFrame (``t["col"]``, ``t[["a", "b"]]``, ``"col" in t``,
    ``t.index``); only the columns some rule uses are ever copied out of DuckDB (as Arrow-backed
    Series, in row order), so the long texts stay where they are unless a rule reads them.
    """

    def __init__(self, con, name: str, columns: list[str]):
        self.con, self.name, self.columns = con, name, columns
        self._cache: dict = {}
        self._len: int | None = None

    def __len__(self) -> int:
        if self._len is None:
            self._len = self.con.execute(f"SELECT count(*) FROM {q(self.name)}").fetchall()[0][0]
        return self._len

    @property
    def index(self):
        import pandas as pd

        return pd.RangeIndex(len(self))

    def __contains__(self, column: str) -> bool:
        return column in self.columns

    def __getitem__(self, key):
        import pandas as pd

        if isinstance(key, str):
            if key not in self.columns:
                raise KeyError(f"{self.name}.{key}")
            if key not in self._cache:
                self._cache[key] = self.sql(q(key)).rename(key)
            return self._cache[key]
        return pd.DataFrame({k: self[k] for k in key}, index=self.index)

    def sql(self, expression: str, joins: str = "", window: bool = False):
        """An SQL expression over the table's columns (the table is ``t``), evaluated in DuckDB, as a
        Series in row order.  ``joins`` may join other tables (each row of ``t`` must stay one row);
        ``window`` says the expression holds a window function."""
        # a join or a window may reorder the rows; a plain scan keeps them in order
        order = " ORDER BY t._row" if joins or window else ""
        return self._column(f"SELECT {expression} AS v FROM {q(self.name)} t {joins}{order}")

    def row_flag(self, rule_name: str, sql: str):
        """A :func:`row_rule`'s result: computed while the file was read, or now if it was not."""
        raw, column = f"raw_{self.name}", flag_column(rule_name)
        read = self.con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ?",
                                [raw, column]).fetchall()[0][0]
        if read:  # the raw view keeps the file order, as the typed view over it does
            return self._column(f"SELECT {q(column)} FROM {q(raw)}")
        return self.sql(sql)

    def _column(self, query: str):
        import pandas as pd

        series = self.con.sql(query).to_arrow_table().column(0).to_pandas(types_mapper=pd.ArrowDtype)
        series.index = self.index
        return series

    def blank(self, column: str):
        """True where ``column`` is empty (computed in DuckDB: long texts are not copied out)."""
        key = ("blank", column)
        if key not in self._cache:
            self._cache[key] = self.sql(f"t.{q(column)} IS NULL OR t.{q(column)} = ''").astype(bool)
        return self._cache[key]


class Frames(dict):
    """The loaded tables (:class:`LazyTable`; index = position, ``_row`` = CSV record number)."""

    @staticmethod
    def first(table: str, key: str, columns: list[str], alias: str, on: str) -> str:
        """SQL joining, as ``alias``, the first row of ``table`` for each ``key`` (its ``columns``) on ``on``."""
        cols = ", ".join(f"arg_min({q(c)}, _row) AS {q(c)}" for c in columns)
        return f"LEFT JOIN (SELECT {q(key)}, {cols} FROM {q(table)} GROUP BY ALL) {alias} ON {alias}.{q(key)} = {on} "

    def task_and_document(self, task_columns: list[str], document_columns: list[str]) -> str:
        """Joins ``k`` (the row's task) and ``d`` (its document) for a table that has task_id."""
        return (self.first("tasks", "task_id", ["document_id", *task_columns], "k", "t.task_id")
                + self.first("documents", "document_id", document_columns, "d", "k.document_id"))

    def lookup(self, table: str, on: str, left: str, right_table: str, right_col: str, how_col: str | None = None):
        """Values of ``right_table.right_col`` for each row of ``table`` matched on ``left`` = ``on``
        (the first such row of ``right_table``), joined in DuckDB."""
        joins = self.first(right_table, on, [right_col], "r", f"t.{q(left)}")
        return self[table].sql(f"r.{q(right_col)}", joins=joins).rename(how_col or f"_{right_table}_{right_col}")

    def document_field(self, table: str, column: str):
        """``documents.column`` for each row of ``table`` (through its task where it has no document_id)."""
        if "document_id" in self[table]:
            joins = self.first("documents", "document_id", [column], "d", "t.document_id")
        else:
            joins = self.task_and_document([], [column])
        return self[table].sql(f"d.{q(column)}", joins=joins).rename(column)


# --- identifiers ------------------------------------------------------------------------------

@rule("task-id-form", "tasks", "task_id", "task_id must be document_id + '-t' + seq in three digits")
def _(F):
    return F["tasks"].sql("t.task_id = t.document_id || '-t' || printf('%03d', t.seq)")


@rule("measure-id-form", "measures", "measure_id",
      "measure_id must be document_id + '-s' + seq (level 1) or parent_id + '.' + seq (level 2)")
def _(F):
    m = F["measures"]
    seq = m["seq"].astype("str")
    expected = (m["document_id"] + "-s" + seq).where(m["level"] == 1, m["parent_id"] + "." + seq)
    return m["measure_id"] == expected


@rule("measure-parent", "measures", "parent_id",
      "a level-1 heading has no parent; a deeper heading's parent is one level up in the same document")
def _(F):
    m = F["measures"]
    p_level = F.lookup("measures", "measure_id", "parent_id", "measures", "level")
    p_doc = F.lookup("measures", "measure_id", "parent_id", "measures", "document_id")
    top = (m["level"] == 1) & m["parent_id"].isna()
    nested = (m["level"] > 1) & (p_level == m["level"] - 1) & (p_doc == m["document_id"])
    return (top | nested).fillna(False)


@rule("target-id-form", "targets", "target_id", "target_id must be task_id + '-v' + a number")
def _(F):
    t = F["targets"]
    return t["target_id"].str.fullmatch(r".+-v\d+") & (t["target_id"].str.replace(r"-v\d+$", "", regex=True) == t["task_id"])


# --- tasks --------------------------------------------------------------------------------------

@rule("task-measure-document", "tasks", "measure_id", "the task's heading belongs to another document")
def _(F):
    doc = F.lookup("tasks", "measure_id", "measure_id", "measures", "document_id")
    return (doc == F["tasks"]["document_id"]).fillna(True)


@rule("task-status-text", "tasks", "text", "status ok needs a text; text_missing and row_missing need an empty text")
def _(F):
    t = F["tasks"]
    return (t["status"] == "ok") != t.blank("text")


@rule("task-damage-noted", "tasks", "notes", "a task with status text_missing or row_missing needs a note on the damage")
def _(F):
    t = F["tasks"]
    return (t["status"] == "ok") | ~t.blank("notes")


@rule("task-has-lead", "tasks", "task_id",
      "an ok task needs a lead assignment, or a note saying why it has none (a work summary assigns no units)")
def _(F):
    leads = "LEFT JOIN (SELECT DISTINCT task_id FROM assignments WHERE role = 'lead') a ON a.task_id = t.task_id "
    joins = leads + F.first("documents", "document_id", ["doc_type"], "d", "t.document_id")
    return F["tasks"].sql("t.status IS DISTINCT FROM 'ok' OR a.task_id IS NOT NULL "
                          "OR coalesce(t.notes, '') <> '' OR d.doc_type = 'work_summary'", joins=joins)


@rule("task-has-indicator", "tasks", "indicator_id",
      "a task whose text survives needs a primary indicator; a task whose text is lost has none")
def _(F):
    t = F["tasks"]
    return (t.blank("text") & t["indicator_id"].isna() & t["indicator2_id"].isna()) | (
        ~t.blank("text") & t["indicator_id"].notna() & (t["indicator2_id"] != t["indicator_id"]).fillna(True))


def _present_or_recorded(F, numbers, scope):
    """Frame (document_id, n) of numbers printed or recorded as gaps in ``scope``."""
    import pandas as pd

    gaps = F["numbering_gaps"][["document_id", "scope", "missing_seq"]]
    gaps = gaps.loc[gaps["scope"] == scope, ["document_id", "missing_seq"]].rename(columns={"missing_seq": "n"})
    return pd.concat([numbers, gaps], ignore_index=True).drop_duplicates()


def _previous_number_known(frame, known):
    """True where seq == 1 or seq - 1 is among ``known`` numbers of the same document."""
    prev = frame[["document_id"]].assign(n=frame["seq"] - 1)
    hit = prev.merge(known.assign(_hit=True), on=["document_id", "n"], how="left")["_hit"].fillna(False)
    hit.index = frame.index
    return (frame["seq"] == 1) | hit.astype(bool)


@rule("task-seq-contiguous", "tasks", "seq",
      "the number before this task is neither a task nor a recorded numbering gap")
def _(F):
    t = F["tasks"]
    known = _present_or_recorded(F, t[["document_id"]].assign(n=t["seq"]), "task")
    return _previous_number_known(t, known)


@rule("measure-seq-contiguous", "measures", "seq",
      "the number before this heading (same level) is neither a heading nor a recorded numbering gap")
def _(F):
    import pandas as pd

    m = F["measures"][["document_id", "seq", "level"]]
    ok = pd.Series(True, index=m.index)
    for level in m["level"].dropna().unique():
        part = m[m["level"] == level]
        known = _present_or_recorded(F, part[["document_id"]].assign(n=part["seq"]), f"measure_level_{level}")
        ok.loc[part.index] = _previous_number_known(part, known)
    return ok


@rule("gap-not-printed", "numbering_gaps", "missing_seq", "a number recorded as a gap is printed in the document")
def _(F):
    g, t, m = F["numbering_gaps"], F["tasks"], F["measures"]
    printed_tasks = t[["document_id"]].assign(n=t["seq"], scope="task")
    printed_measures = m[["document_id"]].assign(n=m["seq"], scope="measure_level_" + m["level"].astype("str"))
    import pandas as pd

    printed = pd.concat([printed_tasks, printed_measures]).drop_duplicates().assign(_hit=True)
    hit = g[["document_id", "scope"]].assign(n=g["missing_seq"]).merge(printed, on=["document_id", "scope", "n"],
                                                                       how="left")["_hit"]
    hit.index = g.index
    return hit.isna()


@row_rule("task-text-clean", "tasks", "text_clean",
          "text_clean must be bizenv.cells.clean_text(text): the text without the line breaks and stray spaces")
def _():
    from ..cells import clean_sql

    # in DuckDB, with the same patterns as in Python
    return f"(text IS NULL AND text_clean IS NULL) OR {clean_sql('text')} = text_clean"


# --- measures -------------------------------------------------------------------------------------

@rule("measure-position", "measures", "position", "positions must run 1, 2, 3 ... within each document")
def _(F):
    m = F["measures"][["document_id", "position"]]
    rank = m.groupby("document_id")["position"].rank(method="first")
    return rank == m["position"]


@rule("measure-status-title", "measures", "title",
      "an ok heading needs a title; a heading_missing row needs an empty title and a note")
def _(F):
    m = F["measures"]
    ok = (m["status"] == "ok") & ~m.blank("title")
    missing = (m["status"] == "heading_missing") & m.blank("title") & ~m.blank("notes")
    return ok | missing


# --- assignments ----------------------------------------------------------------------------------

@rule("assignment-position", "assignments", "position", "positions must run 1, 2, 3 ... within each task and role")
def _(F):
    rank = "row_number() OVER (PARTITION BY t.task_id, t.role ORDER BY t.position, t._row)"
    return F["assignments"].sql(f"{rank} = t.position", window=True)


def _inherited_ok(F, table):
    """Inherited rows only in merged-cell documents, and only from a line above the task's own."""
    return F[table].sql("NOT coalesce(t.inherited, false) OR (coalesce(d.merged_cells, false) "
                        "AND coalesce(t.source_line < k.source_line, false))",
                        joins=F.task_and_document(["source_line"], ["merged_cells"]))


@rule("inherited-needs-merged-cells", "assignments", "inherited",
      "inherited = true needs a document with merged cells and a source_line above the task's own line")
def _(F):
    return _inherited_ok(F, "assignments")


@rule("deadline-inherited-needs-merged-cells", "deadlines", "inherited",
      "inherited = true needs a document with merged cells and a source_line above the task's own line")
def _(F):
    return _inherited_ok(F, "deadlines")


# --- deadlines --------------------------------------------------------------------------------------

@rule("deadline-position", "deadlines", "position", "positions must run 1, 2, 3 ... within each task")
def _(F):
    d = F["deadlines"][["task_id", "position"]]
    return d.groupby("task_id")["position"].rank(method="first") == d["position"]


@rule("deadline-fixed-has-date", "deadlines", "due_date",
      "kind fixed needs due_date and precision; other kinds have neither")
def _(F):
    d = F["deadlines"]
    dated = d["due_date"].notna() & d["precision"].notna()
    undated = d["due_date"].isna() & d["precision"].isna()
    return ((d["kind"] == "fixed") & dated) | ((d["kind"] != "fixed") & undated)


@rule("deadline-empty-is-none", "deadlines", "kind", "an empty raw_text is kind none, and kind none has no text")
def _(F):
    d = F["deadlines"]
    return d.blank("raw_text") == (d["kind"] == "none")


@rule("deadline-date-matches-text", "deadlines", "due_date",
      "due_date and precision must be the end of the period raw_text names (2019年6月 -> 2019-06-30, month)")
def _(F):
    from ..deadlines import date_parts_sql, derive_sql

    due, precision = derive_sql("m")
    # a date printed without its year (力争在10月底完成) cannot be re-derived: its note says how it was read
    ok = (f"t.kind IS DISTINCT FROM 'fixed' OR coalesce(t.due_date = {due} AND t.precision = {precision}, false) "
          f"OR ({due} IS NULL AND NOT (t.notes IS NULL OR t.notes = ''))")
    # the regular expression runs once per row: its groups are bound to m
    return F["deadlines"].sql(f"list_transform([{date_parts_sql('t.raw_text')}], lambda m: {ok})[1]")


@rule("deadline-in-window", "deadlines", "due_date",
      "due_date lies outside the plausible window of its document (from the year before to ten years after)")
def _(F):
    d = F["deadlines"]
    year = F.document_field("deadlines", "year")
    due_year = d.sql("year(t.due_date)")
    return d["due_date"].isna() | ((due_year >= year - 1) & (due_year <= year + 10)).fillna(True)


@rule("deadline-before-document-noted", "deadlines", "notes",
      "a deadline before the document's own date needs a note (it is recorded as printed)")
def _(F):
    d = F["deadlines"]
    issued = F.document_field("deadlines", "issued_date")
    return ~(d["due_date"] < issued).fillna(False) | ~d.blank("notes")


# --- targets -----------------------------------------------------------------------------------------

@rule("target-percent-range", "targets", "value", "a percentage must lie between 0 and 100")
def _(F):
    t = F["targets"]
    return (t["unit"] != "percent") | t["value"].between(0, 100) | t["value"].isna()


@rule("target-nonnegative", "targets", "value", "values and baselines must not be negative")
def _(F):
    t = F["targets"]
    return ~(t["value"] < 0).fillna(False) & ~(t["baseline_value"] < 0).fillna(False)


@rule("target-damage-noted", "targets", "notes", "a target without a value needs a note on the damage")
def _(F):
    t = F["targets"]
    return t["value"].notna() | ~t.blank("notes")


@rule("target-unit-consistent", "targets", "unit",
      "the same printed unit of measure is normalized to different codes (counts excepted: 项 or 个 count "
      "different things)")
def _(F):
    t = F["targets"]
    dimension = F.lookup("targets", "code", "unit", "measurement_units", "dimension")
    measured = dimension != "count"
    codes = t["unit"].where(measured).groupby(t["unit_raw"].where(measured)).transform("nunique")
    return ~measured.fillna(False) | (codes <= 1)


def numeral_sql(value: str) -> str:
    """SQL for the Chinese numeral of an integer 0-99 (0 -> 零, 4 -> 四, 12 -> 十二, 24 -> 二十四)."""
    digits = "'一二三四五六七八九'"
    units = f"CASE WHEN {value} % 10 = 0 THEN '' ELSE substr({digits}, {value} % 10, 1) END"
    return (f"CASE WHEN {value} = 0 THEN '零' WHEN {value} < 10 THEN substr({digits}, {value}, 1) "
            f"WHEN {value} < 20 THEN '十' || {units} ELSE substr({digits}, {value} // 10, 1) || '十' || {units} END")


@rule("target-numeral", "targets", "value",
      "value_status numeral: value must be a whole number 0-99 whose Chinese numeral is printed in the quote next to "
      "unit_raw (四枚 -> 4, 零费用 -> 0, 第三 -> 3; 两 for 2)")
def _(F):
    n = "CAST(t.value AS INTEGER)"
    forms = f"[{numeral_sql(n)}] || CASE WHEN {n} = 2 THEN ['两'] ELSE [] END"
    adjacent = ("list_bool_or(list_transform(f, lambda x: contains(t.quote, x || t.unit_raw) "
                "OR contains(t.quote, t.unit_raw || x)))")
    return F["targets"].sql(
        "t.value_status IS DISTINCT FROM 'numeral' OR coalesce(t.value = floor(t.value) AND t.value BETWEEN 0 AND 99 "
        f"AND list_transform([{forms}], lambda f: {adjacent})[1], false)")


@rule("target-as-of", "targets", "as_of_date",
      "as_of_date needs as_of_raw, belongs to reported figures, and must not be after the document's date")
def _(F):
    t = F["targets"]
    issued = F.document_field("targets", "issued_date")
    dated = t["as_of_date"].notna()
    ok = ~t.blank("as_of_raw") & (t["kind"] == "reported") & ~(t["as_of_date"] > issued).fillna(False)
    return ~dated | ok


@rule("target-baseline-direction", "targets", "baseline_value",
      "a baseline must be above an upper bound (<=) and below a lower bound (>=)")
def _(F):
    t = F["targets"]
    down = (t["comparator"] == "<=") & (t["baseline_value"] <= t["value"])
    up = (t["comparator"] == ">=") & (t["baseline_value"] >= t["value"])
    return ~(down | up).fillna(False)


@rule("retired-id-reused", "retired_ids", "id", "a retired identifier is carried by a live row again")
def _(F):
    import pandas as pd

    r = F["retired_ids"]
    keys = {"documents": "document_id", "measures": "measure_id", "tasks": "task_id", "units": "unit_id",
            "targets": "target_id"}
    live = pd.concat([F[t][[k]].rename(columns={k: "id"}).assign(table_name=t) for t, k in keys.items()],
                     ignore_index=True).assign(_live=True)
    hit = r[["id", "table_name"]].merge(live, on=["id", "table_name"], how="left")["_live"]
    hit.index = r.index
    return hit.isna()


# --- units and documents --------------------------------------------------------------------------------

@rule("assignment-unit-form", "assignments", "name_as_printed",
      "name_as_printed (less a trailing 等 phrase and PDF spaces) is not a recorded form of unit_id: correct "
      "unit_id, or record the form in data/unit_aliases.csv")
def _(F):
    from ..cells import unit_form_sql

    forms = (f"LEFT JOIN (SELECT DISTINCT unit_id, {q('form')} FROM unit_aliases) f "
             f"ON f.unit_id = t.unit_id AND f.{q('form')} = {unit_form_sql('t.name_as_printed')} ")
    return F["assignments"].sql("t.unit_id IS NULL OR t.name_as_printed IS NULL OR f.unit_id IS NOT NULL", joins=forms)


@rule("assignment-unit-jurisdiction", "assignments", "unit_id",
      "the unit belongs to another jurisdiction: a document assigns units of its own jurisdiction or of one above it "
      "(鄂州市 for 鄂州市鄂城区, or the province)")
def _(F):
    joins = F.task_and_document([], ["jurisdiction", "province"]) + F.first("units", "unit_id", ["jurisdiction"], "u",
                                                                            "t.unit_id")
    # jurisdictions are written from the top down (鄂州市鄂城区), so one above a document's is a leading part of it
    return F["assignments"].sql("u.jurisdiction IS NULL OR d.jurisdiction IS NULL OR u.jurisdiction = d.province "
                                "OR starts_with(d.jurisdiction, u.jurisdiction)", joins=joins)


@rule("unit-name-recorded", "units", "name", "the unit's name is not in data/unit_aliases.csv with derivation name")
def _(F):
    names = ("LEFT JOIN (SELECT DISTINCT unit_id, form FROM unit_aliases WHERE derivation = 'name') f "
             "ON f.unit_id = t.unit_id AND f.form = t.name ")
    return F["units"].sql("f.unit_id IS NOT NULL", joins=names)


@rule("unit-alias-name", "unit_aliases", "derivation",
      "derivation name is for the unit's registry name (units.name), and only for it")
def _(F):
    joins = F.first("units", "unit_id", ["name"], "u", "t.unit_id")
    return F["unit_aliases"].sql("u.name IS NULL OR (t.derivation = 'name') = (t.form = u.name)", joins=joins)


@rule("unit-alias-unambiguous", "unit_aliases", "form",
      "the same form is recorded for two units of one jurisdiction: a printed name must point to one unit")
def _(F):
    joins = F.first("units", "unit_id", ["jurisdiction"], "u", "t.unit_id")
    return F["unit_aliases"].sql(f"count(*) OVER (PARTITION BY u.jurisdiction, t.{q('form')}) = 1", joins=joins,
                                 window=True)


@rule("unit-name-unique", "units", "name", "two registry rows share a name in one jurisdiction")
def _(F):
    return ~F["units"][["jurisdiction", "name"]].duplicated(keep=False)


@rule("unit-parent-not-self", "units", "parent_unit_id", "a unit cannot be its own parent")
def _(F):
    u = F["units"]
    return (u["parent_unit_id"] != u["unit_id"]).fillna(True)


@rule("document-curation-status", "documents", "curation_status",
      "a complete document needs tasks; a pending one has none yet")
def _(F):
    d = F["documents"]
    has_tasks = d["document_id"].isin(F["tasks"]["document_id"])
    return ((d["curation_status"] == "complete") & has_tasks) | ((d["curation_status"] == "pending") & ~has_tasks)


@rule("document-issued-year", "documents", "issued_date", "issued_date must fall in the document's year")
def _(F):
    import pandas as pd

    d = F["documents"]
    return d["issued_date"].isna() | (pd.to_datetime(d["issued_date"]).dt.year == d["year"])


# --- runner -----------------------------------------------------------------------------------------------

def check(con, pkg: Package, loaded: list[str]) -> list[Finding]:
    import pandera.pandas as pa

    frames = Frames({name: LazyTable(con, name, pkg.field_names(name) + ["_row"]) for name in loaded})
    findings: list[Finding] = []
    for table in dict.fromkeys(r.table for r in RULES):
        rules = [r for r in RULES if r.table == table]
        if table not in frames:
            findings.append(Finding("rules", "rules-skipped", f"{len(rules)} rule(s) not run: the table is not loaded",
                                    table=table, file=pkg.relpath(table) if table in pkg.resources else None))
            continue
        findings += _run(pa, con, pkg, frames, table, rules)
    return findings + check_counts(con, pkg, loaded)


def _run(pa, con, pkg: Package, frames: Frames, table: str, rules: list[Rule]) -> list[Finding]:
    import pandas as pd

    by_name = {r.name: r for r in rules}
    skipped: list[Finding] = []

    def wrap(r: Rule):
        def fn(_df):
            try:
                return r.fn(frames).fillna(True).astype(bool)
            except Exception as exc:  # a missing table or data too broken for the rule: say so, never crash
                reason = f"table {exc.args[0]} is not loaded" if isinstance(exc, KeyError) else str(exc)
                skipped.append(Finding("rules", "rule-not-run", f"rule {r.name} could not run: {reason}",
                                       table=table, file=pkg.relpath(table)))
                return pd.Series(True, index=_df.index)

        return fn

    # pandera runs every rule (lazily, collecting all failures) on the table's record numbers, which
    # name the failing rows; each rule reads the columns it needs from the frames
    schema = pa.DataFrameSchema(checks=[pa.Check(wrap(r), error=r.name) for r in rules], name=table)
    try:
        schema.validate(pd.DataFrame({"_row": frames[table]["_row"]}), lazy=True)
        return skipped
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    failed = cases.loc[cases["check"].isin(by_name) & cases["index"].notna(), ["check", "index"]].drop_duplicates()
    if failed.empty:
        return skipped
    # only the failing rows are read back, to name their key and value
    failed = failed.assign(_row=frames[table]["_row"].iloc[failed["index"].astype(int).to_numpy()].to_numpy())
    pk = pkg.primary_key(table)
    columns = sorted({by_name[c].column for c in failed["check"]} | set(pk))
    wanted = ", ".join(str(int(r)) for r in failed["_row"].unique())
    detail = {row[0]: dict(zip(columns, row[1:])) for row in con.execute(
        f"SELECT _row, {', '.join(q(c) for c in columns)} FROM {q(table)} WHERE _row IN ({wanted})").fetchall()}
    findings = []
    for check_name, row in failed[["check", "_row"]].itertuples(index=False):
        r, cells = by_name[check_name], detail[int(row)]
        value = cells[r.column]
        findings.append(Finding(
            "rules", r.name, r.message, table=table, file=pkg.relpath(table), row=int(row), column=r.column,
            key=", ".join(str(cells[k]) for k in pk) if pk else None, value=None if value is None else _text(value),
        ))
    return skipped + findings


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

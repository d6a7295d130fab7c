"""Each validation layer rejects a broken copy of the package, naming table, row and column.

Every case starts from a valid copy, breaks one thing, and asserts that the expected
layer reports it at the right place.  The valid copy itself must pass.
"""

from __future__ import annotations

import pytest

from conftest import findings, rules_of, table


def test_the_corpus_is_valid(pkg):
    assert findings(pkg) == []


# --- layer 1: structure (Frictionless) ---------------------------------------------------------------

def wrong_type(root):
    t = table(root, "tasks")
    row = t.find(task_id="xianning-2019-t005")
    row["seq"] = "five"
    t.save()
    return "tasks", t.row_number(row), "seq"


def duplicate_key(root):
    t = table(root, "assignments")
    row = t.find(task_id="xianning-2019-t010", role="lead", position="1")
    t.rows.append(dict(row))
    t.save()
    return "assignments", len(t.rows) + 1, None


def dangling_foreign_key(root):
    t = table(root, "assignments")
    row = t.find(task_id="xianning-2019-t003", role="lead", position="2")
    row["unit_id"] = "xianning-u999"
    t.save()
    return "assignments", t.row_number(row), None


def impossible_date(root):
    t = table(root, "deadlines")
    row = t.find(task_id="xianning-2019-t001")
    row["due_date"] = "2019-02-30"
    t.save()
    return "deadlines", t.row_number(row), "due_date"


def bad_enum(root):
    t = table(root, "tasks")
    row = t.find(task_id="xianning-2019-t002")
    row["status"] = "missing"
    t.save()
    return "tasks", t.row_number(row), "status"


def missing_required(root):
    t = table(root, "units")
    row = t.find(unit_id="xianning-u003")
    row["name_en"] = ""
    t.save()
    return "units", t.row_number(row), "name_en"


def bad_pattern(root):
    t = table(root, "documents")
    row = t.find(document_id="xianning-2019")
    row["source_sha256"] = row["source_sha256"].upper()
    t.save()
    return "documents", t.row_number(row), "source_sha256"


@pytest.mark.parametrize("breaker", [wrong_type, duplicate_key, dangling_foreign_key, impossible_date, bad_enum,
                                     missing_required, bad_pattern])
def test_structure_layer_rejects(pkg, breaker):
    name, row, column = breaker(pkg)
    found = [f for f in findings(pkg, ["structure"]) if f.table == name]
    assert found, f"{breaker.__name__} was not caught"
    assert any(f.row == row and (column is None or f.column == column) for f in found), found
    assert all(f.file == f"data/{name}.csv" for f in found)


def test_structure_reports_primary_key_of_the_row(pkg):
    dangling_foreign_key(pkg)
    [f] = [f for f in findings(pkg, ["structure"]) if f.rule == "foreign-key"]
    assert f.key == "xianning-2019-t003, lead, 2"


# --- layer 2: rules (pandera) ---------------------------------------------------------------------------

def date_not_matching_text(root):
    t = table(root, "deadlines")
    row = t.find(task_id="xianning-2019-t002")
    row["due_date"] = "2019-06-29"
    t.save()
    return "deadline-date-matches-text", "deadlines", t.row_number(row)


def precision_not_matching_text(root):
    t = table(root, "deadlines")
    row = t.find(task_id="xianning-2019-t002")
    row["precision"] = "day"  # 2019年6月 names a month
    t.save()
    return "deadline-date-matches-text", "deadlines", t.row_number(row)


def date_outside_window(root):
    t = table(root, "deadlines")
    row = t.find(task_id="xianning-2019-t002")
    row.update(raw_text="2039年6月", due_date="2039-06-30")
    t.save()
    return "deadline-in-window", "deadlines", t.row_number(row)


def fixed_without_date(root):
    t = table(root, "deadlines")
    row = t.find(task_id="xianning-2019-t001")
    row.update(due_date="", precision="")
    t.save()
    return "deadline-fixed-has-date", "deadlines", t.row_number(row)


def percent_out_of_range(root):
    t = table(root, "targets")
    row = t.find(target_id="xianning-2019-t006-v1")
    row["value"] = "110"
    t.save()
    return "target-percent-range", "targets", t.row_number(row)


def ok_task_without_lead(root):
    t = table(root, "assignments")
    t.rows = [r for r in t.rows if not (r["task_id"] == "xianning-2019-t011" and r["role"] == "lead")]
    t.save()
    tasks = table(root, "tasks")
    return "task-has-lead", "tasks", tasks.row_number(tasks.find(task_id="xianning-2019-t011"))


def inherited_without_merged_cells(root):
    t = table(root, "assignments")
    row = t.find(task_id="xianning-2019-t012", role="responsible", position="1")
    row["inherited"] = "true"
    t.save()
    return "inherited-needs-merged-cells", "assignments", t.row_number(row)


def seq_gap(root):
    for name in ("assignments", "deadlines", "targets"):
        t = table(root, name)
        t.rows = [r for r in t.rows if r["task_id"] != "xianning-2019-t005"]
        t.save()
    t = table(root, "translations")
    t.rows = [r for r in t.rows if r["source_id"] != "xianning-2019-t005"]
    t.save()
    t = table(root, "tasks")
    t.rows = [r for r in t.rows if r["task_id"] != "xianning-2019-t005"]
    t.save()
    return "task-seq-contiguous", "tasks", t.row_number(t.find(task_id="xianning-2019-t006"))


def status_contradicts_text(root):
    t = table(root, "tasks")
    row = t.find(task_id="xianning-2019-t029")
    row["status"] = "ok"
    t.save()
    return "task-status-text", "tasks", t.row_number(row)


def damage_without_note(root):
    t = table(root, "tasks")
    row = t.find(task_id="xianning-2019-t048")
    row["notes"] = ""
    t.save()
    return "task-damage-noted", "tasks", t.row_number(row)


def task_id_not_derived(root):
    t = table(root, "tasks")
    row = t.find(task_id="xianning-2019-t007")
    row["seq"] = "70"
    t.save()
    return "task-id-form", "tasks", t.row_number(row)


def assignment_positions_skip(root):
    t = table(root, "assignments")
    row = t.find(task_id="xianning-2019-t001", role="lead", position="2")
    row["position"] = "3"
    t.save()
    return "assignment-position", "assignments", t.row_number(row)


def unit_mapped_inconsistently(root):
    t = table(root, "targets")
    row = t.find(target_id="xianning-2019-t023-v1")
    row["unit"] = "day"
    t.save()
    return "target-unit-consistent", "targets", t.row_number(row)


def measure_gap(root):
    t = table(root, "measures")
    row = t.find(measure_id="xianning-2019-s1.2")
    row.update(seq="9", measure_id="xianning-2019-s1.9")
    t.save()
    tasks = table(root, "tasks")
    for r in tasks.rows:
        if r["measure_id"] == "xianning-2019-s1.2":
            r["measure_id"] = "xianning-2019-s1.9"
    tasks.save()
    # the hole is reported on the heading after it: (三), whose predecessor (二) is gone
    return "measure-seq-contiguous", "measures", t.row_number(t.find(measure_id="xianning-2019-s1.3"))


def pending_document_with_tasks(root):
    t = table(root, "documents")
    row = t.find(document_id="xianning-2019")
    row["curation_status"] = "pending"
    t.save()
    return "document-curation-status", "documents", t.row_number(row)


@pytest.mark.parametrize("breaker", [date_not_matching_text, precision_not_matching_text, date_outside_window, fixed_without_date,
                                     percent_out_of_range, ok_task_without_lead, inherited_without_merged_cells,
                                     seq_gap, status_contradicts_text, damage_without_note, task_id_not_derived,
                                     assignment_positions_skip, unit_mapped_inconsistently, measure_gap,
                                     pending_document_with_tasks])
def test_rules_layer_rejects(pkg, breaker):
    rule, name, row = breaker(pkg)
    found = findings(pkg, ["rules"])
    hits = [f for f in found if f.rule == rule]
    assert hits, f"{breaker.__name__}: rule {rule} did not fire; got {rules_of(found)}"
    assert any(f.table == name and f.row == row and f.file == f"data/{name}.csv" for f in hits), hits


def test_lead_rule_accepts_a_note(pkg):
    ok_task_without_lead(pkg)
    t = table(pkg, "tasks")
    t.find(task_id="xianning-2019-t011")["notes"] = "The lead-unit cell is empty in the source."
    t.save()
    assert "task-has-lead" not in rules_of(findings(pkg, ["rules"]))


def test_recorded_gap_is_allowed_and_a_false_gap_is_not(pkg):
    seq_gap(pkg)
    gaps = table(pkg, "numbering_gaps")
    gaps.rows.append({"document_id": "xianning-2019", "scope": "task", "missing_seq": "5",
                      "notes": "No row 5 in the source."})
    gaps.save()
    assert rules_of(findings(pkg, ["rules"])) == {"count-assertion"}  # 71 tasks where 72 are asserted
    gaps.rows.append({"document_id": "xianning-2019", "scope": "task", "missing_seq": "6", "notes": "wrong"})
    gaps.save()
    assert "gap-not-printed" in rules_of(findings(pkg, ["rules"]))


def test_count_assertion(pkg):
    path = pkg / "validation" / "assertions.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("tasks: 72", "tasks: 73"), encoding="utf-8")
    [hit] = [f for f in findings(pkg, ["rules"]) if f.rule == "count-assertion"]
    assert hit.file == "validation/assertions.yaml" and hit.value == "72"


# --- layer 3: provenance ---------------------------------------------------------------------------------

def changed_source_byte(root):
    path = root / "sources" / "000_dafdbac775655222.txt"
    data = bytearray(path.read_bytes())
    data[-2] = data[-2] ^ 0x01
    path.write_bytes(bytes(data))
    return "source-sha256", "documents", "source_sha256"


def task_text_changed(root):
    t = table(root, "tasks")
    row = t.find(task_id="xianning-2019-t010")
    row["text"] = row["text"].replace("，", ",", 1)
    t.save()
    return "verbatim-line", "tasks", "text"


def name_not_printed(root):
    t = table(root, "assignments")
    row = t.find(task_id="xianning-2019-t014", role="lead", position="1")
    row["name_as_printed"] = "市发展改革委"
    t.save()
    return "verbatim-line", "assignments", "name_as_printed"


def wrong_source_line(root):
    t = table(root, "deadlines")
    row = t.find(task_id="xianning-2019-t015")
    row["source_line"] = str(int(row["source_line"]) + 7)
    t.save()
    return "verbatim-line", "deadlines", "raw_text"


def quote_not_in_task(root):
    t = table(root, "targets")
    row = t.find(target_id="xianning-2019-t027-v1")
    row["quote"] = row["quote"].replace("100", "90")
    row["value"] = "90"
    t.save()
    return "verbatim-task-text", "targets", "quote"


def value_not_in_quote(root):
    t = table(root, "targets")
    row = t.find(target_id="xianning-2019-t033-v1")
    row["value"] = "25"
    t.save()
    return "verbatim-field", "targets", "value"


def heading_changed(root):
    t = table(root, "measures")
    row = t.find(measure_id="xianning-2019-s2.6")
    row["label"] = "(六)"  # printed with full-width brackets
    t.save()
    return "verbatim-line", "measures", "label"


@pytest.mark.parametrize("breaker", [changed_source_byte, task_text_changed, name_not_printed, wrong_source_line,
                                     quote_not_in_task, value_not_in_quote, heading_changed])
def test_provenance_layer_rejects(pkg, breaker):
    rule, name, column = breaker(pkg)
    found = findings(pkg, ["provenance"])
    assert any(f.rule == rule and f.table == name and f.column == column and f.row for f in found), found


def test_value_spanning_lines_is_found_from_its_first_line(pkg):
    """A cell that wraps (task 22's lead cell: 市税务局、 / 市财政局) is traced across the lines."""
    t = table(pkg, "assignments")
    row = t.find(task_id="xianning-2019-t022", role="lead", position="1")
    row["name_as_printed"] = "市税务局、\n市财政局"
    t.save()
    assert findings(pkg, ["provenance"]) == []
    row["source_line"] = str(int(row["source_line"]) + 1)
    t.save()
    assert rules_of(findings(pkg, ["provenance"])) == {"verbatim-line"}


def test_findings_name_the_physical_line_when_a_cell_holds_a_line_break(pkg):
    t = table(pkg, "assignments")
    t.find(task_id="xianning-2019-t001", role="lead", position="1")["notes"] = "two\nlines"
    row = t.find(task_id="xianning-2019-t002", role="lead", position="1")
    row["unit_id"] = "xianning-u999"
    t.save()
    [f] = findings(pkg, ["structure"])
    assert f.row == t.row_number(row) and f.line == f.row + 1


def test_validation_changes_no_file(pkg):
    import hashlib

    task_text_changed(pkg)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in pkg.rglob("*") if p.is_file()}
    assert findings(pkg)
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in pkg.rglob("*") if p.is_file()}
    assert before == after


# --- broken files: clear findings, never a crash ---------------------------------------------------------------

@pytest.mark.parametrize("extra", [",extra", ",", ",,"])
def test_ragged_row_is_one_finding_without_follow_ons(pkg, extra):
    path = pkg / "data" / "tasks.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[4] += extra
    path.write_text("\n".join(lines), encoding="utf-8")
    found = findings(pkg)
    assert [(f.rule, f.file, f.line) for f in found] == [("extra-cell", "data/tasks.csv", 5)], found


def test_byte_order_mark_is_named(pkg):
    path = pkg / "data" / "deadlines.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    [bom] = [f for f in findings(pkg, ["rules"]) if f.rule == "byte-order-mark"]
    assert (bom.file, bom.line) == ("data/deadlines.csv", 1)


def test_non_utf8_file_is_reported(pkg):
    path = pkg / "data" / "units.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    found = findings(pkg)
    # one finding naming the line of the first byte that is not UTF-8, and no follow-on errors
    assert [(f.rule, f.file, f.line) for f in found] == [("not-utf8", "data/units.csv", 2)], found
    assert "GB18030" in found[0].message


def test_text_clean_is_recomputed(pkg):
    t = table(pkg, "tasks")
    row = t.find(task_id="xianning-2019-t003")
    row["text_clean"] = row["text_clean"].replace("PPP", "P P P", 1)
    t.save()
    # the rules layer alone computes it; after the structure layer it was computed while reading the file
    for layers in (["rules"], ["structure", "rules"]):
        [hit] = [f for f in findings(pkg, layers) if f.rule == "task-text-clean"]
        assert hit.row == t.row_number(row) and hit.column == "text_clean"


def test_inherited_deadline_needs_merged_cells_and_a_cell_above(pkg):
    t = table(pkg, "deadlines")
    row = t.find(task_id="xianning-2019-t010")
    row["inherited"] = "true"
    t.save()
    assert "deadline-inherited-needs-merged-cells" in rules_of(findings(pkg, ["rules"]))
    docs = table(pkg, "documents")
    docs.find(document_id="xianning-2019")["merged_cells"] = "true"
    docs.save()
    assert "deadline-inherited-needs-merged-cells" in rules_of(findings(pkg, ["rules"]))  # line 79 is the task's own
    row["source_line"] = "72"
    row["raw_text"] = "持续推进"
    row.update(kind="ongoing", due_date="", precision="")
    t.save()
    assert "deadline-inherited-needs-merged-cells" not in rules_of(findings(pkg, ["rules"]))


def test_text_deadline_must_quote_the_task_text(pkg):
    t = table(pkg, "deadlines")
    row = t.find(task_id="xianning-2019-t001")
    row["source"] = "text"
    t.save()
    found = findings(pkg, ["provenance"])
    assert any(f.rule == "verbatim-task-text" and f.table == "deadlines" and f.column == "raw_text" for f in found)


def test_a_reading_of_a_damaged_number_is_not_looked_for_verbatim(pkg):
    t = table(pkg, "targets")
    row = t.find(target_id="xianning-2019-t033-v1")
    row["value"] = "21"
    t.save()
    assert "verbatim-field" in rules_of(findings(pkg, ["provenance"]))
    row["value_status"] = "reading"
    row["notes"] = "test reading"
    t.save()
    assert "verbatim-field" not in rules_of(findings(pkg, ["provenance"]))


def test_every_task_with_text_needs_an_indicator(pkg):
    t = table(pkg, "tasks")
    row = t.find(task_id="xianning-2019-t010")
    row["indicator_id"] = ""
    t.save()
    [hit] = [f for f in findings(pkg, ["rules"]) if f.rule == "task-has-indicator"]
    assert hit.row == t.row_number(row)
    row["indicator_id"] = "nonexistent"
    t.save()
    assert any(f.rule == "foreign-key" and f.table == "tasks" for f in findings(pkg, ["structure"]))


def test_as_of_date_belongs_to_a_dated_reported_figure(pkg):
    t = table(pkg, "targets")
    row = t.find(target_id="xianning-2019-t023-v1")  # a target of a plan, not a reported figure
    row["as_of_date"] = "2019-06-30"
    t.save()
    assert "target-as-of" in rules_of(findings(pkg, ["rules"]))


def test_rules_reference_and_fast_path_agree_on_planted_errors(tmp_path):
    """pandera (the reference: one mask per rule) and the fast path (rules sharing joins in one query that
    returns only failing rows) read the same rule declarations and must report the same findings."""
    from bizenv.package import Package
    from bizenv.synth import generate
    from bizenv.validate import validate

    root = tmp_path / "planted"
    planted = generate(root, 600, 3, True)["planted"]
    # more rule kinds than synth plants, several of them in the same table and query
    tasks = table(root, "tasks")
    tasks.rows[3]["notes"], tasks.rows[3]["status"] = "", "text_missing"  # status vs text, and no note
    tasks.rows[5]["indicator2_id"] = tasks.rows[5]["indicator_id"]
    tasks.save()
    targets = table(root, "targets")
    targets.rows[2]["target_id"] = targets.rows[2]["task_id"] + "-x1"
    targets.save()
    pkg = Package.open(root)

    def rules(reference):
        return [(f.rule, f.table, f.row, f.column, f.value, f.key, f.message)
                for f in validate(pkg, ("structure", "rules"), reference=reference).findings if f.layer == "rules"]

    fast, reference = rules(False), rules(True)
    assert fast == reference
    names = {x[0] for x in fast}
    assert {"task-status-text", "task-damage-noted", "task-has-indicator", "target-id-form"} <= names
    assert {(p["rule"], p["table"], p["row"]) for p in planted if p["layer"] == "rules"} <= {x[:3] for x in fast}


def test_a_rule_that_cannot_run_is_named_and_the_others_of_its_query_still_run(pkg):
    """The rules of a table run as one query; when one of them needs a table that is not loaded, that rule
    gets one rule-not-run finding and the others of the query still report what they find."""
    from bizenv.package import Package
    from bizenv.tables import Workspace, load
    from bizenv.validate import rules

    status_contradicts_text(pkg)
    p = Package.open(pkg)
    with Workspace() as con:
        loaded = load(con, p, [n for n in p.table_names if n != "numbering_gaps"]).tables
        found = rules.check(con, p, loaded)
    not_run = {f.message for f in found if f.rule == "rule-not-run"}
    assert "rule task-seq-contiguous could not run: table numbering_gaps is not loaded" in not_run
    assert "rule measure-seq-contiguous could not run: table numbering_gaps is not loaded" in not_run
    assert any(f.rule == "task-status-text" for f in found)
    assert any(f.rule == "rules-skipped" and f.table == "numbering_gaps" for f in found)


@pytest.mark.parametrize("layer,query", [
    ("rules", "SELECT * FROM (SELECT t._row"),  # a query of rules
    ("provenance", "_prov_out AS"),  # the check of a batch of sources
    ("provenance", "LEFT JOIN tasks k ON"),  # a check inside a task's text
])
def test_running_out_of_memory_is_raised_not_turned_into_findings(pkg, layer, query):
    """Where a DuckDB error becomes a finding (a rule or a verbatim check that cannot run), running out
    of memory is raised instead: it says the memory cap is too small, not that the data is wrong (the
    CLI names BIZENV_MEMORY_LIMIT, exit 2)."""
    import duckdb

    from bizenv.package import Package
    from bizenv.tables import Workspace, load
    from bizenv.validate import provenance, rules

    class OutOfMemory:  # the workspace, running out of memory in the query named
        def __init__(self, con):
            self.con = con

        def execute(self, sql, *args, **kwargs):
            if query in sql:
                raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")
            return self.con.execute(sql, *args, **kwargs)

        def __getattr__(self, name):
            return getattr(self.con, name)

    p = Package.open(pkg)
    with Workspace() as con:
        loaded = load(con, p).tables
        check = rules.check if layer == "rules" else provenance._check
        with pytest.raises(duckdb.OutOfMemoryException):
            check(OutOfMemory(con), p, loaded)


@pytest.mark.parametrize("unplaced_pass", [False, True])
def test_positions_rule_ranks_only_the_groups_that_need_it_and_agrees_with_ranking_every_row(unplaced_pass):
    """The position rules find the groups whose positions are not 1..n with one aggregate and rank only
    their rows; on random groups (repeats, gaps, zeros, empty positions and groups) every row gets the
    verdict that ranking the whole table gives."""
    import random

    import duckdb

    from bizenv.validate.rules import positions

    rng = random.Random(7)
    rows = []
    for group in range(400):
        key = None if group % 37 == 0 else f"g{group % 150}"
        role = rng.choice(["lead", "responsible", None])
        n = rng.randint(1, 6) if group % 10 else rng.randint(60, 70)  # more than 63: ranked, whatever they are
        start = rng.choice([1, 1, 1, 0, 2])
        for i in range(n):
            position = None if rng.random() < 0.05 else (start + i if rng.random() < 0.8 else rng.randint(0, n + 1))
            rows.append((key, role, position))
    rng.shuffle(rows)
    con = duckdb.connect()
    con.execute("CREATE TABLE t0 (task_id VARCHAR, role VARCHAR, position BIGINT)")
    con.executemany("INSERT INTO t0 VALUES (?, ?, ?)", rows)
    con.execute("CREATE TABLE a AS SELECT row_number() OVER () + 1 AS _row, * FROM t0")
    check = positions("a", ["task_id", "role"], unplaced_pass)
    fast = dict(con.execute(f"SELECT t._row, coalesce(({check.sql}), true) FROM a t {check.joins[0].sql}").fetchall())
    skip = "t.task_id IS NULL OR t.role IS NULL OR " if unplaced_pass else ""
    every = dict(con.execute(
        f"SELECT t._row, coalesce({skip}row_number() OVER (PARTITION BY t.task_id, t.role "
        "ORDER BY t.position, t._row) = t.position, true) FROM a t").fetchall())
    assert fast == every
    assert 0 < sum(not ok for ok in fast.values()) < len(fast)  # both verdicts occur


def test_joins_read_by_several_queries_are_computed_once_and_dropped(pkg):
    """The rows of a join that several rule queries read (a task's document, the numbers printed in each
    document) are computed once into a temporary table, which is gone when the rules have run; the
    findings are those of the reference, which computes every join in its own query."""
    from bizenv.package import Package
    from bizenv.tables import Workspace, load
    from bizenv.validate import rules

    seq_gap(pkg)
    inherited_without_merged_cells(pkg)
    p = Package.open(pkg)
    with Workspace() as con:
        loaded = load(con, p).tables
        groups = [g for t in dict.fromkeys(r.table for r in rules.RULES)
                  for g in rules._groups([r for r in rules.RULES if r.table == t])]
        kept = rules._keep_shared(con, groups)
        assert len(kept) >= 3  # the task and its document, the document alone, the known numbers
        for name in kept.values():
            con.execute(f"DROP TABLE {name}")
        fast = [(f.rule, f.row) for f in rules.check(con, p, loaded)]
        left = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_rule_join_%'").fetchall()[0][0]
        reference = [(f.rule, f.row) for f in rules.check_reference(con, p, loaded)]
    assert left == 0
    assert fast == reference and {"task-seq-contiguous", "inherited-needs-merged-cells"} <= {r for r, _ in fast}


def test_a_row_without_its_document_gets_the_structure_error_only(pkg):
    """A task or document whose document_id is empty is reported once, by the Table Schema (required);
    the numbering and curation rules do not add follow-on findings about a document they cannot know."""
    t = table(pkg, "tasks")
    for task_id in ("xianning-2019-t001", "xianning-2019-t002"):
        t.find(task_id=task_id)["document_id"] = ""
    t.save()
    rows = {t.row_number(t.find(task_id=task_id)) for task_id in ("xianning-2019-t001", "xianning-2019-t002")}
    found = findings(pkg, ["structure", "rules"])
    assert {f.row for f in found if f.rule == "constraint-error" and f.column == "document_id"} == rows
    assert not [f for f in found if f.rule == "task-seq-contiguous" and f.row in rows]

"""The SQLite build, Chinese search, the Datasette site (in-process) and spreadsheet exports."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import importlib.util
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizenv import sqlitedb
from bizenv.cli import app
from bizenv.package import Package

datasette = pytest.importorskip("datasette", reason="the serve extra is not installed (pip install -e '.[serve]')")
openpyxl = pytest.importorskip("openpyxl", reason="the serve extra is not installed (pip install -e '.[serve]')")

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "src" / "bizenv" / "site" / "plugins" / "bizenv_site.py"

# one-, two- and four-character words, ASCII inside Chinese text, and English words
WORDS = ["税", "企", "网", "电", "证", "信用", "税务", "容缺", "一窗", "小微", "审批", "一网通办", "小微企业",
         "营商环境", "不见面审", "5G", "APP", "24", "credit", "Bureau", "tax", "electricity", "Market regulation",
         '"market regulation"',
         "卍卍"]


def plugin():
    spec = importlib.util.spec_from_file_location("bizenv_site_under_test", PLUGIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fold(text: str) -> str:
    """Case folding of ASCII letters only (what FTS5's unicode61 folds for single-letter tokens)."""
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)


def contains(values, word: str) -> bool:
    return any(v is not None and fold(word) in fold(str(v)) for v in values)


def norm(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, float):
        return round(value, 9)
    return value


def differences(built: Path, relation: str, sqlite_file: Path | None = None) -> list[str]:
    """Rows of ``relation`` in one database and not the other (as multisets), and column differences."""
    import duckdb

    duck = duckdb.connect(str(built / "build" / "bizenv.duckdb"), read_only=True)
    lite = sqlite3.connect(str(sqlite_file or built / "build" / "bizenv.sqlite"))
    try:
        cur = duck.execute(f'SELECT * FROM "{relation}"')
        duck_cols = [d[0] for d in cur.description]
        duck_rows = Counter(tuple(norm(v) for v in r) for r in cur.fetchall())
        cur = lite.execute(f'SELECT * FROM "{relation}"')
        lite_cols = [d[0] for d in cur.description]
        lite_rows = Counter(tuple(norm(v) for v in r) for r in cur.fetchall())
    finally:
        duck.close()
        lite.close()
    out = [] if duck_cols == lite_cols else [f"columns differ: {duck_cols} vs {lite_cols}"]
    out += [f"only in DuckDB: {r}" for r in (duck_rows - lite_rows)]
    out += [f"only in SQLite: {r}" for r in (lite_rows - duck_rows)]
    return out


def relations(built: Path) -> tuple[list[str], list[str]]:
    import duckdb

    con = duckdb.connect(str(built / "build" / "bizenv.duckdb"), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        views = [r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1")
                 .fetchall()]
    finally:
        con.close()
    return tables, views


# --- the SQLite file ----------------------------------------------------------------------

def test_sqlite_has_the_same_tables_and_views(built_pkg):
    tables, views = relations(built_pkg)
    assert "tasks" in tables and "task_overview" in views
    con = sqlite3.connect(built_pkg / "build" / "bizenv.sqlite")
    kinds = dict(con.execute("SELECT name, type FROM sqlite_master").fetchall())
    for name in tables:
        assert kinds.get(name) == "table", name
    for name in views:
        assert kinds.get(name) == "view", name


@pytest.mark.parametrize("kind", ["tables", "views"])
def test_both_databases_return_the_same_rows(built_pkg, kind):
    tables, views = relations(built_pkg)
    for name in tables if kind == "tables" else views:
        assert differences(built_pkg, name) == [], name


def test_views_sqlite_can_run_are_real_views_the_others_hold_duckdbs_rows(built_pkg):
    con = sqlite3.connect(built_pkg / "build" / "bizenv.sqlite")
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    sql = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall())
    for real in ("targets_long", "assignments_long", "targets_by_indicator", "reported_figures"):
        assert f"_view_{real}" not in names and "JOIN" in sql[real], real
        assert sql[real] == sqlitedb.definitions(Package.open(built_pkg))[real]  # the one definition
    for stored in ("task_overview", "unit_agency", "deadlines_by_document"):  # string_agg, QUALIFY, medians
        assert f"_view_{stored}" in names and sql[stored].endswith(f'FROM "_view_{stored}"'), stored


def test_a_view_sqlite_would_answer_differently_is_stored_as_rows(pkg):
    """Integer division: DuckDB's / gives 0.5 where SQLite's gives 0; the build notices."""
    from bizenv.build import build

    views = pkg / "sql" / "views.sql"
    views.write_text(views.read_text(encoding="utf-8") + "\n-- halves: seq / 2\n"
                     "CREATE VIEW halves AS SELECT task_id, seq / 2 AS half FROM tasks\n;\n"
                     "-- same_in_both: a plain projection\n"
                     "CREATE VIEW same_in_both AS SELECT task_id, seq * 2 AS double FROM tasks\n;\n",
                     encoding="utf-8")
    build(Package.open(pkg), site=True)
    con = sqlite3.connect(pkg / "build" / "bizenv.sqlite")
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    assert "_view_halves" in names and "_view_same_in_both" not in names
    assert differences(pkg, "halves") == [] and differences(pkg, "same_in_both") == []
    assert con.execute("SELECT half FROM halves WHERE task_id = 'xianning-2019-t001'").fetchone()[0] == 0.5


def test_a_view_whose_text_differs_in_sqlite_is_stored_as_rows(pkg):
    """SQLite's lower() folds ASCII letters only (É stays É), DuckDB's every letter: the same number of
    rows and the same lengths, other text; the fingerprint of the two results notices."""
    from bizenv.build import build

    views = pkg / "sql" / "views.sql"
    views.write_text(views.read_text(encoding="utf-8") + "\n-- folded: lower case of a non-ASCII capital\n"
                     "CREATE VIEW folded AS SELECT task_id, lower('É' || task_id) AS low FROM tasks\n;\n",
                     encoding="utf-8")
    build(Package.open(pkg), site=True)
    con = sqlite3.connect(pkg / "build" / "bizenv.sqlite")
    assert "_view_folded" in {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    assert differences(pkg, "folded") == []


@pytest.mark.parametrize("tail", ["SELECT count(*) AS n FROM c",  # SQLite runs it
                                  "SELECT x FROM c QUALIFY row_number() OVER () < 0"])  # DuckDB alone
def test_a_view_that_never_ends_stops_the_build_with_a_message(runner, pkg, monkeypatch, tail):
    monkeypatch.setenv("BIZENV_VIEW_SECONDS", "2")
    views = pkg / "sql" / "views.sql"
    views.write_text(views.read_text(encoding="utf-8") + "\n-- forever\nCREATE VIEW forever AS WITH RECURSIVE "
                     f"c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) {tail}\n;\n", encoding="utf-8")
    started = time.monotonic()
    result = runner.invoke(app, ["build", "--site", "-p", str(pkg)])  # the site's database computes every view
    assert result.exit_code == 1 and "view forever took longer than 2 s" in result.output, result.output
    assert time.monotonic() - started < 60
    assert not (pkg / "build" / "bizenv.sqlite").exists()


def test_the_comparison_catches_a_missing_or_changed_row(built_pkg, tmp_path):
    broken = tmp_path / "broken.sqlite"
    shutil.copy(built_pkg / "build" / "bizenv.sqlite", broken)
    con = sqlite3.connect(broken)
    con.execute("DELETE FROM _view_task_overview WHERE task_id = 'gedian-2021-t041'")
    con.execute("UPDATE tasks SET text_clean = text_clean || '。' WHERE task_id = 'xianning-2019-t001'")
    con.commit()
    con.close()
    assert any("gedian-2021-t041" in d for d in differences(built_pkg, "task_overview", broken))
    assert len(differences(built_pkg, "tasks", broken)) == 2


def test_sqlite_keeps_keys_types_and_file_order(built_pkg):
    con = sqlite3.connect(built_pkg / "build" / "bizenv.sqlite")
    fks = con.execute("SELECT \"table\", \"from\" FROM pragma_foreign_key_list('assignments')").fetchall()
    assert ("units", "unit_id") in fks and ("tasks", "task_id") in fks
    pk = [r[1] for r in con.execute("PRAGMA table_info(deadlines)").fetchall() if r[5]]
    assert pk == ["task_id", "position"]
    first = con.execute("SELECT task_id FROM tasks ORDER BY rowid LIMIT 1").fetchone()[0]
    assert first == "xianning-2019-t001"
    assert con.execute("SELECT typeof(due_date), typeof(inherited) FROM deadlines LIMIT 1").fetchone() == \
        ("text", "integer")
    lines = con.execute("SELECT text FROM _source_lines WHERE line = (SELECT source_line FROM tasks WHERE "
                        "task_id = 'gedian-2021-t041') AND source_file = (SELECT source_file FROM documents WHERE "
                        "document_id = 'gedian-2021')").fetchone()[0]
    assert "不动产登记" in lines


# --- search -------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40))
def test_python_and_duckdb_tokens_agree(text):
    import duckdb

    sql = sqlitedb.TOKEN_SQL.format(col="$t")
    assert duckdb.connect().execute(f"SELECT {sql}", {"t": text}).fetchone()[0] == plugin().tokens(text)


ALPHABET = list("信用容缺一窗网办税务，。（）、 aBc12é\n")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(st.sampled_from(ALPHABET), max_size=30), min_size=1, max_size=12),
       st.data())
def test_search_finds_exactly_what_a_substring_scan_finds(texts, data):
    """Any word, of any characters and length, against any texts: FTS phrase == substring scan."""
    import duckdb

    site = plugin()
    duck = duckdb.connect()
    duck.execute("CREATE TABLE t (id INTEGER, text VARCHAR)")
    duck.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(texts)))
    lite = sqlite3.connect(":memory:")
    lite.create_function("escape_fts", 1, site.fts_match)
    lite.execute(f"CREATE VIRTUAL TABLE f USING fts5(text, tokenize = '{sqlitedb.FTS_TOKENIZER}', content = '')")
    rows = duck.execute(f"SELECT id, {sqlitedb.TOKEN_SQL.format(col='text')} FROM t").fetchall()
    lite.executemany("INSERT INTO f (rowid, text) VALUES (?, ?)", rows)
    source = data.draw(st.sampled_from(texts))
    start = data.draw(st.integers(0, len(source)))
    word = source[start:start + data.draw(st.integers(1, 4))].strip() or data.draw(
        st.text(st.sampled_from(ALPHABET[:-2]), min_size=1, max_size=3)).strip() or "信"
    found = {r[0] for r in lite.execute("SELECT rowid FROM f WHERE f MATCH escape_fts(?)", [word])}
    expected = {i for i, text in enumerate(texts) if all(fold(w) in fold(text) for w in site.words(word))}
    assert found == expected, (word, texts)


def test_fts_match_makes_phrases_of_characters():
    site = plugin()
    assert site.fts_match("信用") == '"u4fe1 u7528"'
    assert site.fts_match("信用 credit") == '"u4fe1 u7528" "c r e d i t"'
    assert site.fts_match('"one stop"') == '"o n e u20 s t o p"'
    assert site.fts_match("  ") == '""'


def _scan(con, table: str, query: str) -> set[int]:
    """Rows where every word of the query is a substring of one of the searched columns."""
    pk = [r[1] for r in sorted(con.execute(f"PRAGMA table_info({table})"), key=lambda r: r[5]) if r[5]]
    joins, cols = {}, []
    for relation, column, _ in sqlitedb.fts_columns(table):  # a view's column joins on the table's key
        if relation == table:
            cols.append(f"t.{column}")
        else:
            alias = joins.setdefault(relation, f"j{len(joins)}")
            cols.append(f"{alias}.{column}")
    join = "".join(f" LEFT JOIN {rel} {alias} USING ({', '.join(pk)})" for rel, alias in joins.items())
    found = plugin().words(query)
    out = set()
    for row in con.execute(f"SELECT t.rowid, {', '.join(cols)} FROM {table} t{join}"):
        if all(contains(row[1:], w) for w in found):
            out.add(row[0])
    return out


@pytest.mark.parametrize("table", sorted(sqlitedb.SEARCH))
def test_recall_of_the_built_index_equals_a_substring_scan(built_pkg, table):
    site = plugin()
    con = sqlite3.connect(built_pkg / "build" / "bizenv.sqlite")
    con.create_function("escape_fts", 1, site.fts_match)
    hits = 0
    for word in WORDS:
        found = {r[0] for r in con.execute(
            f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH escape_fts(?)", [word])}
        expected = _scan(con, table, word)
        assert found == expected, (table, word, sorted(found ^ expected)[:5])
        hits += len(found)
    if table in ("tasks", "units"):
        assert hits > 50  # the words do occur


def test_a_column_of_a_view_is_added_to_search_in_one_place(pkg, monkeypatch):
    """How English translations will be searched: list a view's column beside the table's own."""
    from bizenv.build import build

    monkeypatch.setitem(sqlitedb.SEARCH, "tasks", ["tasks.text_clean", "task_overview.heading2"])
    build(Package.open(pkg), site=True)
    site = plugin()
    con = sqlite3.connect(pkg / "build" / "bizenv.sqlite")
    con.create_function("escape_fts", 1, site.fts_match)
    assert [r[1] for r in con.execute("PRAGMA table_info(tasks_fts)")] == ["text_clean", "task_overview_heading2"]
    rows = con.execute("SELECT t.rowid, t.text_clean, o.heading2 FROM tasks t JOIN task_overview o USING (task_id)")
    rows = rows.fetchall()
    only_by_heading = 0
    for word in ["优化", "财产登记", "信用"]:
        found = {r[0] for r in con.execute("SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH escape_fts(?)", [word])}
        assert found == {r[0] for r in rows if contains(r[1:], word)}, word
        only_by_heading += len(found - {r[0] for r in rows if contains(r[1:2], word)})
    assert only_by_heading > 10  # rows found through the view's column alone
    from bizenv import serve

    ds = serve.app(Package.open(pkg))

    async def page():
        await ds.invoke_startup()
        return (await ds.client.get("/bizenv/tasks/gedian-2021-t041")).text

    assert "heading2 <span class=\"bizenv-muted\">(task_overview)</span>" in asyncio.run(page())


def test_gedian_spaces_do_not_hide_tasks(built_pkg):
    """一网通办 is printed with stray spaces in gedian-2021-t041; search reads text_clean."""
    site = plugin()
    con = sqlite3.connect(built_pkg / "build" / "bizenv.sqlite")
    con.create_function("escape_fts", 1, site.fts_match)
    ids = {r[0] for r in con.execute("SELECT task_id FROM tasks WHERE rowid IN (SELECT rowid FROM tasks_fts "
                                     "WHERE tasks_fts MATCH escape_fts('一网通办'))")}
    assert "gedian-2021-t041" in ids
    assert "一网通办" not in con.execute("SELECT text FROM tasks WHERE task_id = 'gedian-2021-t041'").fetchone()[0]


# --- the site, in-process -----------------------------------------------------------------

@pytest.fixture(scope="module")
def cookbook_pkg(built_pkg):
    """The built copy with the cookbook (the site offers its questions)."""
    (built_pkg / "docs").mkdir(exist_ok=True)
    shutil.copy(ROOT / "docs" / "cookbook.yaml", built_pkg / "docs" / "cookbook.yaml")
    return built_pkg


@pytest.fixture(scope="module")
def site(cookbook_pkg):
    from bizenv import serve

    built_pkg = cookbook_pkg

    ds = serve.app(Package.open(built_pkg))

    def get(path: str):
        async def go():
            await ds.invoke_startup()
            return await ds.client.get(path)

        return asyncio.run(go())

    get.ds = ds
    return get


def _q(text: str) -> str:
    import urllib.parse

    return urllib.parse.quote(text)


@pytest.mark.parametrize("word", ["信用", "税务", "容缺", "一窗", "小微企业", "一网通办", "税", "5G", "卍卍"])
def test_datasette_search_on_tasks_returns_exactly_the_tasks_with_the_word(site, built_pkg, word):
    response = site(f"/bizenv/tasks.json?_search={_q(word)}&_size=max&_shape=array")
    assert response.status_code == 200, response.text
    got = {r["task_id"] for r in response.json()}
    con = sqlite3.connect(built_pkg / "build" / "bizenv.sqlite")
    expected = {r[0] for r in con.execute("SELECT task_id, text_clean FROM tasks").fetchall()
                if r[1] and word in r[1]}
    assert got == expected


def test_search_across_tables_counts_every_searchable_table(site, built_pkg):
    page = site(f"/-/search?q={_q('信用')}").text
    con = sqlite3.connect(built_pkg / "build" / "bizenv.sqlite")
    for table in sqlitedb.SEARCH:
        count = len(_scan(con, table, "信用"))
        assert f'data-table="{table}" data-count="{count}"' in page
    assert "<mark>信用</mark>" in page


def test_task_page_shows_units_deadlines_targets_and_source_lines(site):
    page = site("/bizenv/tasks/gedian-2021-t041").text
    assert 'id="source-lines"' in page and "41.巩固和提升不动产登记质效" in page
    assert "Gedian Development Zone Finance Bureau" in page  # a unit's English name
    assert "2021 年4月底" in page and "一般登记、抵押登记业务2小时办结" in page
    assert "营造更加优质的政务环境" in page  # the heading


def test_home_page_has_search_tables_queries_and_both_charts(site):
    page = site("/").text
    assert 'action="/-/search"' in page
    assert page.count('class="bizenv-chart"') == 2
    assert "deadline_calendar" in page and "targets_by_indicator" in page
    assert "Which agencies lead the most tasks?" in page
    assert "<script src=\"http" not in page and "cdn" not in page.lower()
    assert "default-src 'self'" in site("/").headers["content-security-policy"]


def test_the_chart_questions_draw_their_chart(site, cookbook_pkg):
    from bizenv import serve

    names = {q["title"]: name for name, q in serve.canned_queries(Package.open(cookbook_pkg)).items()}
    due = site("/bizenv/" + names["7. When do the tasks fall due, month by month?"]).text
    assert due.count('class="bizenv-chart"') == 1 and "tasks due" in due
    electricity = site("/bizenv/" + names["4. How did the targets for getting electricity tighten from 2019 to 2023?"]).text
    assert electricity.count('class="bizenv-chart"') == 1 and "个工作日" in electricity
    assert 'class="bizenv-chart"' not in site("/bizenv/01-which-agencies-lead-the-most-tasks").text


def test_facets_and_labels(site):
    data = site("/bizenv/units.json?_size=1").json()
    assert set(data["facet_results"]) >= {"jurisdiction", "unit_type", "function"}
    rows = site("/bizenv/assignments.json?_labels=on&_size=1&_shape=array").json()
    assert isinstance(rows[0]["unit_id"], dict) and rows[0]["unit_id"]["label"]
    assert rows[0]["task_id"]["label"]  # the task's text


def test_the_site_is_read_only_and_has_no_file_access(site):
    for sql in ["attach database '/tmp/x.db' as x", "delete from tasks", "select load_extension('/tmp/x')",
                "select readfile('/etc/passwd')", "pragma writable_schema = 1"]:
        response = site(f"/bizenv.json?sql={_q(sql)}")
        assert response.status_code >= 400 or response.json().get("ok") is False, sql
    assert not site.ds.databases["bizenv"].is_mutable
    slow = "with recursive c(x) as (select 1 union all select x + 1 from c where x < 1000000000) select count(*) from c"
    started = time.monotonic()
    response = site(f"/bizenv.json?sql={_q(slow)}")
    assert response.status_code >= 400 and "interrupted" in response.text.lower()
    assert time.monotonic() - started < site.ds.setting("sql_time_limit_ms") / 1000 + 5


def test_exports_are_whole_tables_and_open_in_excel(site, built_pkg):
    con = sqlite3.connect(built_pkg / "build" / "bizenv.sqlite")
    total = con.execute("SELECT count(*) FROM assignments").fetchone()[0]
    leads = con.execute("SELECT count(*) FROM assignments WHERE role = 'lead'").fetchone()[0]
    assert total > 1000  # more than a page
    wb = openpyxl.load_workbook(io.BytesIO(site("/bizenv/assignments.xlsx").content))
    assert wb.active.max_row == total + 1
    wb = openpyxl.load_workbook(io.BytesIO(site("/bizenv/assignments.xlsx?role=lead").content))
    assert wb.active.max_row == leads + 1
    body = site("/bizenv/task_overview.csvbom").content
    assert body.startswith("\ufefftask_id,".encode("utf-8"))
    assert len(body.decode("utf-8-sig").splitlines()) > 300
    response = site("/bizenv/01-which-agencies-lead-the-most-tasks.xlsx")
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert ws.cell(1, 1).value == "name" and ws.max_row == 11


# --- metadata -----------------------------------------------------------------------------

def test_metadata_is_derived_from_the_schemas(built_pkg, tmp_path):
    from bizenv import serve

    copy = tmp_path / "pkg"
    shutil.copytree(built_pkg, copy)
    schema_file = copy / "schemas" / "units.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    schema["fields"][1]["description"] = "A changed description."
    schema_file.write_text(json.dumps(schema), encoding="utf-8")
    meta = serve.metadata(Package.open(copy), copy / "build" / "bizenv.sqlite")
    tables = meta["databases"]["bizenv"]["tables"]
    assert tables["units"]["columns"]["name"] == "A changed description."
    pkg = Package.open(built_pkg)
    meta = serve.metadata(pkg, built_pkg / "build" / "bizenv.sqlite")
    tables = meta["databases"]["bizenv"]["tables"]
    for name in pkg.table_names:
        for field in pkg.fields(name):
            assert tables[name]["columns"][field["name"]].startswith(field["description"].strip())
    assert tables["units"]["label_column"] == "name" and tables["tasks"]["fts_table"] == "tasks_fts"
    assert "tasks_led" not in tables["unit_workload"].get("facets", [])
    assert tables["task_overview"]["description"].startswith("one row per task")
    assert meta["license_url"].startswith("https://creativecommons.org/")
    assert pkg.descriptor["version"] in meta["title"]
    assert tables["_view_tasks" if "_view_tasks" in tables else "_source_lines"]["hidden"]


@pytest.mark.parametrize("content", ["questions: [\n", "questions:\n  - title: 1\n", "questions: 3\n"])
def test_a_broken_cookbook_is_a_clear_error(runner, built_pkg, tmp_path, content):
    copy = tmp_path / "pkg"
    shutil.copytree(built_pkg, copy)
    (copy / "docs").mkdir(exist_ok=True)
    (copy / "docs" / "cookbook.yaml").write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["serve", "--package", str(copy), "--port", "1"])
    assert result.exit_code == 1 and "docs/cookbook.yaml: cannot be used" in result.output


def test_serve_writes_the_metadata_for_publishing(runner, cookbook_pkg):
    result = runner.invoke(app, ["serve", "--package", str(cookbook_pkg), "--metadata-only"])
    assert result.exit_code == 0, result.output
    meta = json.loads((cookbook_pkg / "build" / "datasette" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["databases"]["bizenv"]["tables"]["tasks"]["fts_table"] == "tasks_fts"
    assert len(meta["databases"]["bizenv"]["queries"]) >= 15


def test_every_facet_exists(built_pkg):
    from bizenv import serve

    meta = serve.metadata(Package.open(built_pkg), built_pkg / "build" / "bizenv.sqlite")
    con = sqlite3.connect(built_pkg / "build" / "bizenv.sqlite")
    for name, entry in meta["databases"]["bizenv"]["tables"].items():
        columns = [r[1] for r in con.execute(f'PRAGMA table_info("{name}")')]
        for facet in entry.get("facets", []):
            assert facet in columns, (name, facet)
    asked = {"document_id", "jurisdiction", "year", "role", "unit_type", "function", "indicator", "kind"}
    offered = {f for e in meta["databases"]["bizenv"]["tables"].values() for f in e.get("facets", [])}
    assert asked <= offered | {"indicator_id"}


def test_every_cookbook_question_is_a_canned_query_with_the_same_answer(cookbook_pkg):
    import duckdb
    import yaml

    from bizenv import serve
    from bizenv.cookbook import duckdb_params

    built_pkg = cookbook_pkg
    queries = serve.canned_queries(Package.open(built_pkg))
    spec = yaml.safe_load((ROOT / "docs" / "cookbook.yaml").read_text(encoding="utf-8"))
    assert len(queries) == len(spec["questions"])
    assert any("params" in q for q in queries.values())
    duck = duckdb.connect(str(built_pkg / "build" / "bizenv.duckdb"), read_only=True)
    lite = sqlite3.connect(built_pkg / "build" / "bizenv.sqlite")
    for q in spec["questions"]:
        for params in ({k: str(v) for k, v in (q.get("params") or {}).items()},
                       {k: "" for k in (q.get("params") or {})}):
            d = duck.execute(duckdb_params(q["sql"]), params).fetchall() if params else duck.execute(q["sql"]).fetchall()
            s = lite.execute(q["sql"], params).fetchall()
            # the same rows; rows that tie in ORDER BY may come in either order
            assert Counter(tuple(norm(v) for v in r) for r in d) == Counter(tuple(norm(v) for v in r) for r in s), \
                q["title"]
            assert len(d) == len(s)


# --- exports from the command line --------------------------------------------------------

def test_query_writes_xlsx_and_csv_with_bom(runner, built_pkg, tmp_path):
    out = tmp_path / "overview.xlsx"
    result = runner.invoke(app, ["query", "SELECT task_id, text_clean, seq FROM tasks ORDER BY task_id",
                                 "--package", str(built_pkg), "--format", "xlsx", "--output", str(out)])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out).active
    assert [c.value for c in ws[1]] == ["task_id", "text_clean", "seq"]
    assert ws.max_row == 336 and isinstance(ws.cell(2, 3).value, int)
    con = sqlite3.connect(built_pkg / "build" / "bizenv.sqlite")
    expected = con.execute("SELECT task_id, text_clean, seq FROM tasks ORDER BY task_id").fetchall()
    assert [tuple(c.value for c in row) for row in ws.iter_rows(min_row=2)] == expected
    csv_out = tmp_path / "t.csv"
    result = runner.invoke(app, ["query", "SELECT name FROM units LIMIT 2", "--package", str(built_pkg),
                                 "--format", "csv", "--bom", "--output", str(csv_out)])
    assert result.exit_code == 0 and csv_out.read_bytes().startswith(b"\xef\xbb\xbfname\r\n")
    result = runner.invoke(app, ["query", "SELECT name FROM units LIMIT 2", "--package", str(built_pkg),
                                 "--format", "csv", "--output", str(csv_out)])
    assert result.exit_code == 0 and csv_out.read_bytes().startswith(b"name\n")


@pytest.mark.parametrize("target", ["data/tasks.csv", "schemas/x.xlsx", "sources/../data/new.xlsx", "data"])
def test_query_refuses_to_write_into_the_corpus(runner, built_pkg, target):
    before = (built_pkg / "data" / "tasks.csv").read_bytes()
    result = runner.invoke(app, ["query", "SELECT 1 AS x", "--package", str(built_pkg), "--format", "xlsx",
                                 "--output", str(built_pkg / target)])
    assert result.exit_code == 1 and "would write into the corpus" in result.output
    assert (built_pkg / "data" / "tasks.csv").read_bytes() == before
    assert not (built_pkg / "data" / "new.xlsx").exists()


def test_xlsx_needs_an_output_file(runner, built_pkg):
    result = runner.invoke(app, ["query", "SELECT 1", "--package", str(built_pkg), "--format", "xlsx"])
    assert result.exit_code == 2 and "--output" in result.output


def test_xlsx_keeps_formulas_as_text_and_drops_control_characters():
    from bizenv.export import xlsx_bytes

    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(["a", "b"], [("=1+1", "x\x01y"), (None, 2.5)])))
    ws = wb.active
    assert ws.cell(2, 1).value == "=1+1" and ws.cell(2, 1).data_type == "s"
    assert ws.cell(2, 2).value == "xy" and ws.cell(3, 2).value == 2.5


def test_help_does_not_import_datasette_or_openpyxl():
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom bizenv.cli import app\n"
            "r = CliRunner()\nassert r.invoke(app, ['--help']).exit_code == 0\n"
            "assert r.invoke(app, ['serve', '--help']).exit_code == 0\n"
            "print(sorted(m for m in ('datasette', 'openpyxl', 'uvicorn', 'duckdb') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_site_is_written_from_the_database_and_never_left_older_than_it(runner, pkg):
    """bizenv build writes the database and Parquet; the site's SQLite file comes from the built database
    (build --site, or serve when it is missing or stale), and a build without it removes the old one."""
    from bizenv.build import site_is_stale
    from bizenv.cli import app

    site = pkg / "build" / "bizenv.sqlite"
    assert runner.invoke(app, ["build", "-p", str(pkg)]).exit_code == 0
    assert not site.exists() and site_is_stale(Package.open(pkg))
    result = runner.invoke(app, ["build", "--site", "-p", str(pkg)])
    assert result.exit_code == 0 and "site: " in result.output and site.is_file()
    assert not site_is_stale(Package.open(pkg))
    assert runner.invoke(app, ["build", "-p", str(pkg)]).exit_code == 0
    assert not site.exists()  # never a site older than its database
    result = runner.invoke(app, ["serve", "--metadata-only", "-p", str(pkg)])
    assert result.exit_code == 0 and "writing it" in result.output and site.is_file()
    assert differences(pkg, "tasks") == [] and differences(pkg, "task_overview") == []


def test_the_site_is_never_written_through_a_linked_build_folder(runner, pkg, tmp_path):
    """build/ replaced by a link to a folder outside the package: writing the site refuses with a clear
    message (exit 1) and writes nothing there."""
    from bizenv.cli import app

    assert runner.invoke(app, ["build", "-p", str(pkg)]).exit_code == 0
    outside = tmp_path / "outside"
    (pkg / "build").rename(outside)
    (pkg / "build").symlink_to(outside, target_is_directory=True)
    before = sorted(p.name for p in outside.iterdir())
    result = runner.invoke(app, ["serve", "--metadata-only", "-p", str(pkg)])
    assert result.exit_code == 1 and "symbolic link" in result.output, result.output
    assert sorted(p.name for p in outside.iterdir()) == before

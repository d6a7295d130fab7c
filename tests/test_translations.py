"""Translations and glossary: each rule rejects a broken row; the English reaches the views and `show`."""

from __future__ import annotations

import pytest

from bizenv.translation import en_numbers, missing_numbers, zh_numbers
from conftest import findings, table


def english_row(t, source_id, column="text"):
    return t.find(source_id=source_id, source_column=column)


def found(root, rule):
    """(table, row, column) of every finding of ``rule`` in the rules layer."""
    return {(f.table, f.row, f.column) for f in findings(root, ["rules"]) if f.rule == rule}


# --- each rule catches a broken row ---------------------------------------------------------------

def test_translation_of_a_missing_row_is_rejected(pkg):
    t = table(pkg, "translations")
    row = english_row(t, "xianning-2019-t005")
    row["source_id"] = "xianning-2019-t099"
    t.save()
    assert ("translations", t.row_number(row), "source_id") in found(pkg, "translation-source")


def test_translation_of_a_column_the_table_lacks_is_rejected(pkg):
    t = table(pkg, "translations")
    row = english_row(t, "xianning-2019-t005")
    row["source_column"] = "title"  # tasks have no title
    t.save()
    assert ("translations", t.row_number(row), "source_id") in found(pkg, "translation-source")


def test_translation_of_an_empty_cell_is_rejected(pkg):
    t = table(pkg, "translations")
    row = dict(english_row(t, "xianning-2019-t028"), source_id="xianning-2019-t029")  # text lost in the source
    t.rows.append(row)
    t.save()
    assert found(pkg, "translation-source-empty") == {("translations", len(t.rows) + 1, "source_column")}


def test_glossary_term_rendered_otherwise_is_rejected(pkg):
    t = table(pkg, "translations")
    row = english_row(t, "xianning-2019-t024")  # 一窗受理
    assert "single-window acceptance" in row["text"]
    row["text"] = row["text"].replace("single-window acceptance", "one-window intake")
    t.save()
    assert found(pkg, "translation-glossary") == {("translations", t.row_number(row), "text")}


def test_glossary_match_ignores_case(pkg):
    t = table(pkg, "translations")
    row = english_row(t, "xianning-2019-t024")
    row["text"] = row["text"].replace("single-window acceptance", "Single-Window Acceptance")
    t.save()
    assert found(pkg, "translation-glossary") == set()


def test_term_inside_a_longer_term_needs_only_the_longer_rendering(pkg):
    # 告知承诺制 contains 告知承诺 and 承诺制: "notification-and-commitment system" renders all three
    t = table(pkg, "translations")
    row = english_row(t, "xianning-2020-summary-t002")
    assert "notification and commitment" not in row["text"].lower()
    assert found(pkg, "translation-glossary") == set()
    row["text"] = row["text"].replace("notification-and-commitment system", "commitment system")
    t.save()
    assert found(pkg, "translation-glossary") == {("translations", t.row_number(row), "text")}


def test_a_changed_glossary_rendering_flags_the_rows_using_it(pkg):
    g = table(pkg, "glossary")
    g.find(term="一窗受理")["english"] = "one-window intake"
    g.save()
    t = table(pkg, "translations")
    assert ("translations", t.row_number(english_row(t, "xianning-2019-t024")), "text") in found(
        pkg, "translation-glossary")


def test_dropped_figure_is_rejected(pkg):
    t = table(pkg, "translations")
    row = english_row(t, "xianning-2019-t023")  # 缩短至10个工作日
    row["text"] = row["text"].replace("10 working days", "a few working days")
    t.save()
    assert found(pkg, "translation-numbers") == {("translations", t.row_number(row), "text")}


def test_dropped_chinese_numeral_is_rejected(pkg):
    t = table(pkg, "translations")
    row = english_row(t, "xianning-2019-t008")  # 省、市、县三级
    row["text"] = row["text"].replace("at the three levels of", "at the levels of")
    t.save()
    assert found(pkg, "translation-numbers") == {("translations", t.row_number(row), "text")}


def test_changed_amount_is_rejected(pkg):
    t = table(pkg, "translations")
    row = english_row(t, "xianning-2019-t006")  # 100亿元 written as 10 billion yuan
    row["text"] = row["text"].replace("10 billion yuan", "1 billion yuan")
    t.save()
    assert found(pkg, "translation-numbers") == {("translations", t.row_number(row), "text")}


def test_untranslated_task_is_rejected(pkg):
    t = table(pkg, "translations")
    t.rows.remove(english_row(t, "xianning-2019-t010"))
    t.save()
    tasks = table(pkg, "tasks")
    assert found(pkg, "task-translated") == {("tasks", tasks.row_number(tasks.find(task_id="xianning-2019-t010")),
                                              "text")}


def test_untranslated_heading_title_and_body_are_rejected(pkg):
    t = table(pkg, "translations")
    t.rows.remove(english_row(t, "xiangyang-2020-s3.1", "title"))
    t.rows.remove(english_row(t, "xiangyang-2020-s3.1", "body"))
    t.save()
    m = table(pkg, "measures")
    row = m.row_number(m.find(measure_id="xiangyang-2020-s3.1"))
    assert found(pkg, "measure-title-translated") == {("measures", row, "title")}
    assert found(pkg, "measure-body-translated") == {("measures", row, "body")}


def test_document_title_needs_english_unless_pending(pkg):
    d = table(pkg, "documents")
    d.find(document_id="xianning-2019")["title_en"] = ""
    d.rows.append(dict(d.find(document_id="echeng-2023"), document_id="echeng-2024", title_en="",
                       curation_status="pending"))
    d.save()
    assert found(pkg, "document-title-translated") == {("documents", 2, "title_en")}  # the pending one is exempt
    t = table(pkg, "translations")
    t.rows.append(dict(t.rows[0], source_table="documents", source_id="xianning-2019", source_column="title",
                       text="Division of responsibilities of Xianning city", notes=""))
    t.save()
    assert found(pkg, "document-title-translated") == set()


# --- the numbers a translation must keep ----------------------------------------------------------------

@pytest.mark.parametrize("zh, en", [
    ("新增贷款不低于100亿元", "new loans of no less than 10 billion yuan"),
    ("新增贷款不低于100亿元", "new loans of no less than 100 yi yuan"),
    ("风险基金2000万元", "a risk fund of 20 million yuan"),
    ("减免45.48万元", "reductions of 454,800 yuan"),
    ("2019年6月底前", "before the end of June 2019"),
    ("今年1-8月底", "from January to the end of August this year"),
    ("省、市、县三级", "the three levels of province, city and county"),
    ("全面实行“三十六证合一”", "“36 certificates in one”"),
    ("“三检合一”", "“three inspections in one”"),
    ("第二类医疗器械", "Class II (second-class) medical devices"),
    ("一窗受理", "single-window acceptance"),  # a lone 一 is not a count
    ("三安、容百项目", "the Sanan and Ronbay projects"),  # 百 of a name is not a count
    ("10％", "10%"),
])
def test_numbers_kept(zh, en):
    assert missing_numbers(zh, en) == []


@pytest.mark.parametrize("zh, en, missing", [
    ("缩短至10个工作日", "cut to a few working days", ["10"]),
    ("缩短至10个工作日", "cut to 1 working day", ["10"]),
    ("公告时间由45天压缩至20天", "cut from 45 days", ["20"]),
    ("省、市、县三级", "the levels of province, city and county", ["三"]),
    ("2019年6月底前", "before the end of 2019", ["6"]),
    ("截止920日", "as of 20 September", ["920"]),  # a damaged date is kept as printed
])
def test_numbers_missing(zh, en, missing):
    assert missing_numbers(zh, en) == missing


def test_number_words_and_scales():
    stated = en_numbers("thirty-six, three, ten thousand, 1 billion, June")
    assert {"36", "3", "10000", "1000000000", "month6"} <= stated
    assert [p for p, _ in zh_numbers("两年内、五个、十二万人、容百项")] == ["两", "五", "十二万"]


# --- the English is used ----------------------------------------------------------------------------------

def test_show_prints_the_english_under_the_chinese(pkg, runner):
    from bizenv.cli import app

    result = runner.invoke(app, ["show", "xianning-2019-t024", "--package", str(pkg)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    text = next(i for i, line in enumerate(lines) if line.startswith("text:"))
    assert lines[text + 1].startswith("english: Introduce throughout the city the “513” model")
    assert "not an official one" in lines[text + 2]


def test_views_carry_the_english(built_pkg):
    import duckdb

    con = duckdb.connect(str(built_pkg / "build" / "bizenv.duckdb"), read_only=True)
    try:
        missing = con.execute("SELECT count(*) FROM task_overview WHERE status = 'ok' AND text_en IS NULL").fetchone()
        row = con.execute("SELECT text_en, heading2_en FROM task_overview "
                          "WHERE task_id = 'xianning-2019-t024'").fetchone()
        assert con.execute("SELECT count(*) FROM targets_long WHERE task_text_en IS NULL").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM assignments_long WHERE status = 'ok' AND text_en IS NULL"
                           ).fetchone() == (0,)
    finally:
        con.close()
    assert missing == (0,)
    assert row[0].startswith("Introduce throughout the city")
    assert row[1] == "Further simplify the approval of enterprise investment"


@pytest.mark.parametrize("zh, en", [
    ("缩短至10个工作日", "cut to 100 working days"),
    ("缩短至10个工作日", "cut to 10.5 working days"),
    ("3.5天", "3 days and 5 hours"),
    ("2019年", "in 20 19"),
    ("省市县三级", "the 3 levels"),
    ("100亿元", "10 billion yuan"),
    ("１０％", "10%"),
    ("共35.5天", "35.5 days."),
])
def test_the_fast_path_in_duckdb_never_passes_what_python_rejects(zh, en):
    import duckdb

    from bizenv.translation import fast_numbers_sql

    fast = duckdb.execute(f"SELECT {fast_numbers_sql('$1', '$2')}", [zh, en]).fetchone()[0]
    assert not fast or missing_numbers(zh, en) == []


def test_fast_path_agrees_with_python_on_the_corpus():
    import csv

    import duckdb

    from bizenv.translation import fast_numbers_sql
    from conftest import ROOT

    with open(ROOT / "data" / "tasks.csv", encoding="utf-8", newline="") as f:
        texts = {r["task_id"]: r["text_clean"] for r in csv.DictReader(f)}
    with open(ROOT / "data" / "translations.csv", encoding="utf-8", newline="") as f:
        pairs = [(texts[r["source_id"]], r["text"]) for r in csv.DictReader(f) if r["source_table"] == "tasks"]
    con = duckdb.connect()
    fast = [con.execute(f"SELECT {fast_numbers_sql('$1', '$2')}", [zh, en]).fetchone()[0] for zh, en in pairs]
    assert sum(fast) > len(pairs) / 4  # the fast path does most of the work
    assert all(missing_numbers(zh, en) == [] for (zh, en), ok in zip(pairs, fast) if ok)
    # and it is never looser: a dropped number fails both
    assert all(not ok for ok in (con.execute(f"SELECT {fast_numbers_sql('$1', '$2')}", [zh, en.replace("1", "")])
                                 .fetchone()[0] for zh, en in pairs if "1" in zh and "1" in en))


def test_the_fast_path_never_passes_what_python_rejects_on_random_texts():
    """Random Chinese and English over the characters that matter (digits, full-width digits, numerals,
    measure words, full stops, commas): wherever DuckDB passes a row, bizenv.translation finds no number
    missing.  An English number grouped with commas (9,190) is one number, not 9 and 190."""
    import random

    import duckdb

    from bizenv.translation import fast_numbers_sql

    rng = random.Random(5)
    zh_chars, en_chars = list("一二三两十百千万零〇个项级合家年月日5０１２.．9 企业服务"), list("0123456789. abc,")
    pairs = [("".join(rng.choice(zh_chars) for _ in range(rng.randint(0, 12))),
              "".join(rng.choice(en_chars) for _ in range(rng.randint(0, 14)))) for _ in range(20_000)]
    con = duckdb.connect()
    con.execute("CREATE TABLE p AS SELECT unnest($1) AS zh, unnest($2) AS en",
                [[z for z, _ in pairs], [e for _, e in pairs]])
    fast = con.execute(f"SELECT zh, en, {fast_numbers_sql('zh', 'en')} FROM p").fetchall()
    assert sum(ok for *_, ok in fast) > 2_000  # the fast path passes many
    assert [(zh, en) for zh, en, ok in fast if ok and missing_numbers(zh, en)] == []
    assert duckdb.execute(f"SELECT {fast_numbers_sql('$1', '$2')}", ["9", "9,190 firms"]).fetchone()[0] is False


def test_the_translation_rules_that_do_not_need_the_glossary_run_without_it(pkg):
    """A glossary file that cannot be read stops the glossary rule only (its own finding says why): a
    translation of a row that does not exist is still reported."""
    t = table(pkg, "translations")
    t.rows[0]["source_id"] = "echeng-2023-t999"
    t.save()
    glossary = pkg / "data" / "glossary.csv"
    glossary.write_text("term;english\n" + glossary.read_text(encoding="utf-8").split("\n", 1)[1], encoding="utf-8")
    found = findings(pkg)
    assert any(f.rule == "header-mismatch" and f.table == "glossary" for f in found)
    assert any(f.rule == "translation-source" and f.row == 2 for f in found), [f.rule for f in found]

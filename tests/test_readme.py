"""Every SQL example in the README runs, and returns the output the README shows under it.

An example is a ```sh block with one `bizenv query "SQL"`; the markdown table right after the block
is its output and must be exactly what `bizenv query SQL -f markdown` prints today (as the cookbook
is checked by `bizenv cookbook --check`). Blocks of several commands are run, not compared.
"""

from __future__ import annotations

import re

import pytest

from bizenv.cli import app
from conftest import ROOT

BLOCK = re.compile(r"```sh\n(.*?)```\n(?:\n((?:\|[^\n]*\n)+))?", re.S)
QUERY = re.compile(r'bizenv query "([^"]*)"')


def examples(text: str) -> list[tuple[str, str | None]]:
    """(SQL, the table shown after its block, or None) for every query in the README's sh blocks."""
    found = []
    for block, table in BLOCK.findall(text):
        queries = QUERY.findall(block)
        for sql in queries:
            found.append((sql, table.strip() if table and len(queries) == 1 else None))
    return found


README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLES = examples(README)


def run(runner, root, sql: str) -> str:
    result = runner.invoke(app, ["query", sql, "-p", str(root), "-f", "markdown"])
    assert result.exit_code == 0, f"{sql}\n{result.output}"
    return result.stdout.strip()


def test_the_readme_has_its_examples_with_outputs():
    shown = [sql for sql, table in EXAMPLES if table is not None]
    assert len(shown) >= 7 and len(EXAMPLES) >= 9
    # a single-query block in the Querying section always shows its output
    single = [block for block, _ in BLOCK.findall(README) if len(QUERY.findall(block)) == 1]
    assert len(single) == len(shown)


@pytest.mark.parametrize("sql,table", EXAMPLES, ids=[f"example{i + 1}" for i in range(len(EXAMPLES))])
def test_readme_example_returns_what_the_readme_shows(runner, built_pkg, sql, table):
    got = run(runner, built_pkg, sql)
    assert got.count("\n") >= 2, f"{sql} returns no rows"
    if table is not None:
        assert got == table, f"the README shows another output for:\n{sql}\nit returns today:\n{got}"


def test_the_examples_answer_the_questions_they_ask(runner, built_pkg):
    """The Xianning example keeps to Xianning; the high-voltage example finds Echeng 2023."""
    xianning = next(sql for sql, _ in EXAMPLES if "Xianning" in sql)
    rows = run(runner, built_pkg, xianning.replace("SELECT document_id,", "SELECT jurisdiction_en, document_id,"))
    places = {line.split("|")[1].strip() for line in rows.splitlines()[2:]}
    assert places == {"Xianning"}
    voltage = next(sql for sql, _ in EXAMPLES if "高压" in sql)
    rows = run(runner, built_pkg, voltage)
    assert "| 2023 | 鄂州市鄂城区 |" in rows and "高压用户15个工作日" in rows


def test_a_stale_readme_output_is_caught(runner, built_pkg):
    """The parser pairs a query with the table under it, so an output that changed is seen."""
    text = ('```sh\nbizenv query "SELECT 1 AS n"\n```\n\n| n |\n|---|\n| 2 |\n\n'
            '```sh\nbizenv show x\nbizenv query "SELECT 2 AS n"\n```\n')
    assert examples(text) == [("SELECT 1 AS n", "| n |\n|---|\n| 2 |"), ("SELECT 2 AS n", None)]
    sql, table = examples(text)[0]
    assert run(runner, built_pkg, sql) != table

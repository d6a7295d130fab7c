"""Translations of the corpus's Chinese texts: the numbers a translation must keep.

The number rule (``translation-numbers`` in :mod:`bizenv.validate.rules`) asks that every
number printed in a Chinese text appears in its English rendering, so that a dropped or
changed figure is caught.  A number of the Chinese text is

- a run of Arabic digits (full-width digits too), with its decimals: ``35.5``, ``2018``, ``10％``;
  a damaged run is one number as printed (``截止920日``: 920);
- a Chinese numeral of two or more that counts something: it starts with a digit character
  and is followed by a measure word (三级, 五个, 四种, 两年, 第二类) or by one character and 合一
  (三十六证合一).  A lone 一 is not checked (mostly the article, or part of a word: 统一, 一批,
  一次办好), nor is 百 or 千 inside a name (容百).

The English keeps a number when it states the same value in digits (``10,000`` = 10000), as
a word (three, thirty-six, second, both) or scaled (``100亿元`` may be written ``10 billion
yuan``, ``2000万元`` ``20 million yuan``); a month (``6月``, the 1 of ``1-8月``) may be its name
(June).  The check is for presence: a value printed twice needs to appear once.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .numerals import cn_number

FULL_WIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")

CN_NUMERAL = "〇零一二两三四五六七八九十百千万"
# measure words after which a Chinese numeral is a count (三级, 五个, 四种, 两年, 二季度)
MEASURE_WORDS = "个项级种类家条次年天日月名位人部批倍季轮支份所座户场"
ZH_ARABIC = re.compile(r"\d+(?:\.\d+)?")
ZH_CHINESE = re.compile(
    rf"(?<![\d.])[〇零一二两三四五六七八九十][{CN_NUMERAL}]*(?=[{MEASURE_WORDS}]|.合一)")
MONTH_AFTER = re.compile(r"月|[-—–~至]\d{1,2}月")  # 6月, and the 1 of 1-8月
SCALES_ZH = {"万": 10_000, "亿": 100_000_000}

WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
ORDINALS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
            "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split()
OTHER_WORDS = {"both": 2, "twice": 2, "double": 2, "dual": 2, "triple": 3, "hundred": 100, "thousand": 1000}
SCALES_EN = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000,
             "trillion": 1_000_000_000_000}
MONTHS = ("january february march april may june july august september october november december").split()

_WORD_VALUES = {w: i for i, w in enumerate(WORDS)} | TENS | {w: i + 1 for i, w in enumerate(ORDINALS)} | OTHER_WORDS
_EN_TOKEN = re.compile(
    r"(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"|(?P<word>(?:" + "|".join(TENS) + r")(?:[- ](?:" + "|".join(WORDS[1:10]) + r"))?|[a-z]+)",
)


def _key(value) -> str:
    """A number as a canonical string: 10 -> '10', 35.50 -> '35.5', 1e10 -> '10000000000'."""
    d = Decimal(value)
    d = d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()
    return format(d, "f")


def zh_numbers(text: str | None) -> list[tuple[str, frozenset[str]]]:
    """The numbers of a Chinese text: (as printed, the keys any of which the English must hold)."""
    if not text:
        return []
    text = text.translate(FULL_WIDTH)
    out = []
    for m in ZH_ARABIC.finditer(text):
        keys = {_key(m.group())}
        after = text[m.end():m.end() + 1]
        if after in SCALES_ZH:
            keys.add(_key(Decimal(m.group()) * SCALES_ZH[after]))
        if MONTH_AFTER.match(text, m.end()) and 1 <= Decimal(m.group()) <= 12:
            keys.add(f"month{int(Decimal(m.group()))}")
        out.append((m.group(), frozenset(keys)))
    for m in ZH_CHINESE.finditer(text):
        try:
            value = cn_number(m.group())
        except ValueError:
            continue
        if value >= 2:
            out.append((m.group(), frozenset({_key(value)})))
    return out


def en_numbers(text: str | None) -> set[str]:
    """Every number an English text states, as keys: digits, number words, scaled amounts, months."""
    if not text:
        return set()
    keys: set[str] = set()
    tokens = [(m.group("digits"), m.group("word")) for m in _EN_TOKEN.finditer(text.lower())]
    previous = None
    for digits, word in tokens:
        value = None
        if digits:
            try:
                value = Decimal(digits.replace(",", ""))
            except InvalidOperation:
                value = None
        elif word in MONTHS:
            keys.add(f"month{MONTHS.index(word) + 1}")
        elif word:
            head, _, unit = word.replace("-", " ").partition(" ")
            if head in TENS and unit in WORDS:
                value = Decimal(TENS[head] + WORDS.index(unit))
            elif word in _WORD_VALUES:
                value = Decimal(_WORD_VALUES[word])
            if word in SCALES_EN and previous is not None:
                keys.add(_key(previous * SCALES_EN[word]))  # 10 billion, ten thousand, 1.5 million
                value = previous * SCALES_EN[word]  # one hundred million: the product scales on
        if value is not None:
            keys.add(_key(value))
        previous = value
    return keys


DIGIT_RUN = "[0-9０-９]+(?:[.．][0-9０-９]+)?"


def zh_numeral_pattern() -> str:
    """A Chinese numeral that might count something (三级, 两个, 五合一)."""
    return f"[{CN_NUMERAL[:-3]}][{CN_NUMERAL}]*(?:[{MEASURE_WORDS}]|.合一)"


def zh_numbers_sql(zh: str) -> str:
    """DuckDB SQL: the numbers of ``zh`` as a struct: ``digits``, its digit runs (full-width digits read as
    ASCII), and ``numeral``, whether it has a Chinese numeral that might count something.

    One pass of one regular expression finds both: a digit run and a numeral never start on the same
    character.  A numeral can take in a digit (三5合一) and hide that run, but a text with a numeral is
    read by :func:`missing_numbers` anyway, so the runs are complete wherever they are used alone."""
    both = f"regexp_extract_all(coalesce({zh}, ''), '{DIGIT_RUN}|{zh_numeral_pattern()}')"
    digits = (f"list_transform(list_filter(a, lambda x: regexp_full_match(x, '{DIGIT_RUN}')), "
              "lambda x: translate(x, '０１２３４５６７８９．', '0123456789.'))")
    numeral = f"list_bool_or(list_transform(a, lambda x: NOT regexp_full_match(x, '{DIGIT_RUN}')))"
    return f"list_transform([{both}], lambda a: {{'digits': {digits}, 'numeral': coalesce({numeral}, false)}})[1]"


def zh_features_sql(zh: str, terms: str) -> str:
    """DuckDB SQL: what the translation rules need of a Chinese text, as a struct of short values
    (empty; the matches of the pattern ``terms``, the glossary's terms; numbers, see
    :func:`zh_numbers_sql`), so that the long text itself is not carried through a join."""
    return (f"{{'empty': coalesce({zh}, '') = '', 'terms': regexp_extract_all(coalesce({zh}, ''), {terms}), "
            f"'numbers': {zh_numbers_sql(zh)}}}")


def numbers_ok_sql(digits: str, numeral: str, en: str) -> str:
    """DuckDB SQL true where :func:`missing_numbers` is surely empty, from the Chinese text's ``digits``
    and ``numeral`` (:func:`zh_numbers_sql`): every digit run is printed alike, as a
    whole number, in ``en``, and there is no Chinese numeral that might count something.  Where it is
    false the row is read by :func:`missing_numbers` (the two never disagree on a pass)."""
    # the English's numbers: runs of digits and of full stops each followed by a digit (a full stop
    # after a number ends a sentence, it is not a decimal point); read only when there is a digit run
    numbers = f"regexp_extract_all(coalesce({en}, ''), '(?:\\.?[0-9])+')"
    # a comma between digits groups thousands in English (9,190 is one number): such texts are read in Python
    return (f"(CASE WHEN coalesce(len({digits}), 0) = 0 THEN true "
            f"ELSE list_has_all({numbers}, {digits}) AND NOT regexp_matches(coalesce({en}, ''), '[0-9],[0-9]') END "
            f"AND NOT coalesce({numeral}, false))")


def fast_numbers_sql(zh: str, en: str) -> str:
    """:func:`numbers_ok_sql` computed from the Chinese text ``zh`` itself."""
    return (f"list_transform([{zh_numbers_sql(zh)}], lambda n: {numbers_ok_sql('n.digits', 'n.numeral', en)})[1]")


def missing_numbers(zh: str | None, en: str | None) -> list[str]:
    """The numbers of ``zh`` (as printed) that ``en`` does not state."""
    have = en_numbers(en)
    return [printed for printed, keys in zh_numbers(zh) if not keys & have]


def english(con, source_table: str, source_id: str | None, source_column: str) -> dict | None:
    """The English row of one cell in a loaded workspace (text, reviewed, notes), or None.

    A package without a translations table (an older release) has no English: None too.
    """
    if source_id is None:
        return None
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'translations' UNION ALL "
                         "SELECT count(*) FROM duckdb_views() WHERE view_name = 'translations'").fetchall()
    if not any(n for (n,) in exists):
        return None
    row = con.execute("SELECT text, reviewed, notes FROM translations WHERE source_table = ? AND source_id = ? "
                      "AND source_column = ? AND language = 'en'", [source_table, source_id, source_column]).fetchone()
    return None if row is None else dict(zip(("text", "reviewed", "notes"), row))

"""Reading printed completion deadlines (完成时限).

One definition of how a printed deadline maps to a date, used by the extractors
(to draft rows) and by the validator (to re-derive ``due_date``/``precision`` from
``raw_text`` and compare).  The vectorized form :func:`derive_sql` is the same
derivation as DuckDB SQL over whole tables.

Rules (also in docs/curation.md):

* ``2019年6月``, ``2019年6月底``, ``2019年6月底前`` -> last day of that month, precision ``month``
* ``2019年6月15日`` -> that day, precision ``day``
* ``2021年底``, ``2021年``, ``2021年年底前`` -> 31 December, precision ``year``
* ``2021年第三季度``/``2021年三季度`` -> last day of the quarter, precision ``quarter``
* ``长期推进``, ``持续推进``, ``持续优化``, ``长期坚持`` ... -> kind ``ongoing``, no date
* ``根据省统一安排`` (set by a superior government) -> kind ``per_superior``, no date
* a cell holding several commitments separated by ``，``/``,``/``；`` is split into
  one row per commitment; the words after the date (``完成``, ``取得明显进展``) are the
  ``milestone``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}

# The date part of a fixed deadline.  Groups: year, month, day, quarter.
DATE_RE = re.compile(
    r"(?P<year>(?:19|20)\d{2})\s*年\s*"
    r"(?:(?P<month>1[0-2]|0?[1-9])\s*月\s*(?:(?P<day>[12]\d|3[01]|0?[1-9])\s*日)?"
    r"|第?(?P<quarter>[一二三四1-4])\s*季度)?"
)
# Words between the date and the milestone that only say "by the end of" / "before".
QUALIFIER_RE = re.compile(r"^(?:底前|底|前|以前|之前|年底前|年底|末|末前)")

ONGOING_WORDS = ("长期推进", "持续推进", "持续优化", "长期坚持", "长期", "持续开展", "常态化推进")
PER_SUPERIOR_RE = re.compile(r"根据(?:省|市|上级|国家).{0,6}(?:安排|部署|要求)")

SEGMENT_SPLIT_RE = re.compile(r"[，,；;]")


@dataclass(frozen=True)
class Deadline:
    raw_text: str
    kind: str  # fixed | ongoing | per_superior | none
    due_date: str | None = None  # ISO date
    precision: str | None = None  # day | month | quarter | year
    milestone: str | None = None


def period_end(year: int, month: int | None, day: int | None, quarter: int | None) -> tuple[str, str]:
    """Last day of the named period and its precision."""
    if month and day:
        return f"{year:04d}-{month:02d}-{day:02d}", "day"
    if month:
        last = calendar.monthrange(year, month)[1]
        return f"{year:04d}-{month:02d}-{last:02d}", "month"
    if quarter:
        m = quarter * 3
        last = calendar.monthrange(year, m)[1]
        return f"{year:04d}-{m:02d}-{last:02d}", "quarter"
    return f"{year:04d}-12-31", "year"


def parse_segment(segment: str) -> Deadline:
    """Parse one commitment (no separators inside)."""
    text = segment.strip().strip("\u3000")
    if not text:
        return Deadline(raw_text="", kind="none")
    m = DATE_RE.search(text)
    if m:
        q = m.group("quarter")
        quarter = CN_DIGITS.get(q, None) if q and not q.isdigit() else (int(q) if q else None)
        due, precision = period_end(
            int(m.group("year")),
            int(m.group("month")) if m.group("month") else None,
            int(m.group("day")) if m.group("day") else None,
            quarter,
        )
        rest = text[m.end():]
        rest = QUALIFIER_RE.sub("", rest).strip()
        return Deadline(text, "fixed", due, precision, rest or None)
    squeezed = re.sub(r"\s+", "", text)  # PDF-broken words: "长 期推进"
    if PER_SUPERIOR_RE.search(squeezed):
        return Deadline(text, "per_superior")
    if any(word in squeezed for word in ONGOING_WORDS):
        return Deadline(text, "ongoing")
    return Deadline(text, "none")


def parse_cell(cell: str) -> list[Deadline]:
    """Split a deadline cell into its commitments and parse each."""
    parts = [p.strip().strip("\u3000") for p in SEGMENT_SPLIT_RE.split(cell)]
    parts = [p for p in parts if p]
    if not parts:
        return [Deadline(raw_text="", kind="none")]
    return [parse_segment(p) for p in parts]


def date_parts_sql(raw_text: str) -> str:
    """DuckDB SQL: the groups of :data:`DATE_RE` (run by RE2) in ``raw_text``, as a struct of strings."""
    pattern = "'" + DATE_RE.pattern.replace("'", "''") + "'"
    return f"regexp_extract({raw_text}, {pattern}, ['year', 'month', 'day', 'quarter'])"


def derive_sql(parts: str) -> tuple[str, str]:
    """DuckDB SQL re-deriving (due_date, precision) from ``parts`` (:func:`date_parts_sql`).

    The same rules as :func:`parse_segment`, over whole tables; an impossible day (2月30日)
    gives no date.  Returns two expressions: a ``DATE`` and a precision word, both NULL where
    the text names no date.  ``parts`` is repeated in them: pass a name bound once (a lambda
    parameter) rather than the regular expression itself.
    """
    year, month, day = (f"TRY_CAST(NULLIF(struct_extract({parts}, '{p}'), '') AS INTEGER)"
                        for p in ("year", "month", "day"))
    quarter = (f"CASE struct_extract({parts}, 'quarter') "
               + " ".join(f"WHEN '{cn}' THEN {n} WHEN '{n}' THEN {n}" for cn, n in CN_DIGITS.items()) + " END")
    end_month = f"coalesce({month}, {quarter} * 3, 12)"
    due = (f"CASE WHEN {year} IS NULL THEN NULL "
           f"WHEN {day} IS NOT NULL THEN TRY_CAST(printf('%04d-%02d-%02d', {year}, {month}, {day}) AS DATE) "
           f"ELSE last_day(make_date({year}, {end_month}, 1)) END")
    precision = (f"CASE WHEN {day} IS NOT NULL THEN 'day' WHEN {month} IS NOT NULL THEN 'month' "
                 f"WHEN {quarter} IS NOT NULL THEN 'quarter' WHEN {year} IS NOT NULL THEN 'year' END")
    return due, precision

"""The draft every layout extractor fills: rows for all tables, in the corpus's column names.

Drafts are never the corpus.  ``bizenv audit`` compares them with the curated rows so that
every hand correction is visible (and must be explained in the curated row's notes).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..cells import PAD, clean_text, split_units
from ..deadlines import DATE_RE, parse_cell, parse_segment

TABLES = ("measures", "tasks", "assignments", "deadlines", "targets", "units", "unit_aliases")

# Candidate quantities in a task text: a number followed by a unit of measure (a year such as
# 2018年 and a day such as 10月1日 are dates, not quantities).
TARGET_RE = re.compile(
    r"(?<![\d.月])(?!(?:19|20)\d{2}\s*年)(?P<number>\d+(?:[.．]\d+)?)\s*(?P<unit>个工作日|工作日|个环节|个百分点|天|日|小时|％|%|亿元|万元|元|项|件|千瓦|千伏安|"
    r"公里|米|个月|年|次|份|户|家|个)"
)
# A dated commitment inside a task text: the date phrase and its clause, up to the next
# clause separator.
TEXT_DEADLINE_RE = re.compile(
    r"(?:确保)?(?:到|于|在)?(?:19|20)\d{2}年(?:\d{1,2}月)?(?:底|末)?(?:前|以前|之前)?[^，。；,;]*"
)


@dataclass
class Draft:
    document_id: str
    rows: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in TABLES})
    coverage: object = None  # bizenv.extract.generic.Coverage
    layout: str = ""

    # -- outline ----------------------------------------------------------------------------------
    def measure(self, level: int, seq: int, label: str, title: str, line: int, parent: dict | None = None,
                body: str = "", body_line: int | None = None) -> dict:
        measure_id = f"{parent['measure_id']}.{seq}" if parent else f"{self.document_id}-s{seq}"
        row = {
            "measure_id": measure_id, "document_id": self.document_id,
            "parent_id": parent["measure_id"] if parent else "", "level": level, "seq": seq, "label": label,
            "title": title, "body": body, "body_line": body_line or "", "position": len(self.rows["measures"]) + 1,
            "status": "ok", "source_line": line,
        }
        self.rows["measures"].append(row)
        return row

    # -- tasks ------------------------------------------------------------------------------------
    def task(self, seq: int, label: str, text: str, measure: dict | None, line: int | None,
             status: str = "ok", label_line: int | None = None) -> str:
        task_id = f"{self.document_id}-t{seq:03d}"
        self.rows["tasks"].append({
            "task_id": task_id, "document_id": self.document_id,
            "measure_id": measure["measure_id"] if measure else "", "seq": seq, "label": label,
            "label_line": (label_line or line or "") if label else "", "text": text,
            "text_clean": clean_text(text), "status": status, "source_line": line or "",
        })
        if text:
            self.targets(task_id, text)
        return task_id

    def assign(self, task_id: str, role: str, pieces: list[tuple[int, str]], inherited: bool = False) -> None:
        for position, (name, line) in enumerate(split_units(pieces), start=1):
            self.rows["assignments"].append({
                "task_id": task_id, "role": role, "position": position, "name_as_printed": name,
                "inherited": "true" if inherited else "false", "source_line": line,
            })

    def deadlines_from_cell(self, task_id: str, cell: str, line: int | None, inherited: bool = False) -> None:
        for position, d in enumerate(parse_cell(cell), start=1):
            self._deadline(task_id, position, d, "column", line if d.raw_text else line, inherited)

    def deadlines_from_text(self, task_id: str, text: str, line: int | None) -> None:
        found = [m.group(0).strip(PAD) for m in TEXT_DEADLINE_RE.finditer(text)]
        if not found:
            self._deadline(task_id, 1, parse_segment(""), "text", None, False)
        for position, raw in enumerate(found, start=1):
            d = parse_segment(raw)
            m = DATE_RE.search(raw)
            milestone = raw[m.end():].lstrip("底末前以之").strip(PAD) if m else ""
            self._deadline(task_id, position, d, "text", line, False, milestone=milestone)

    def _deadline(self, task_id, position, d, source, line, inherited, milestone=None) -> None:
        self.rows["deadlines"].append({
            "task_id": task_id, "position": position, "raw_text": d.raw_text, "due_date": d.due_date or "",
            "precision": d.precision or "", "kind": d.kind,
            "milestone": (d.milestone if milestone is None else milestone) or "", "source": source,
            "inherited": "true" if inherited else "false", "source_line": line if line else "",
        })

    def targets(self, task_id: str, text: str) -> None:
        """Candidate quantities, matched on the simplified form of the text without inserted pinyin (50項,
        60億元, 3個(gè)月) and cut from the printed text (a unit printed with pinyin is quoted with it)."""
        from .recognize import compact_form

        form, at = compact_form(text)

        def printed(m: re.Match, group: int | str = 0) -> str:
            return text[at[m.start(group)]:at[m.end(group) - 1] + 1]

        for m in TARGET_RE.finditer(form):
            self.rows["targets"].append({
                "task_id": task_id, "quote": printed(m), "value": printed(m, "number"), "unit_raw": printed(m, "unit"),
            })

    # -- output -----------------------------------------------------------------------------------
    def finish(self) -> "Draft":
        names = dict.fromkeys(re.sub("等$", "", a["name_as_printed"]) for a in self.rows["assignments"])
        self.rows["units"] = [{"name": n} for n in names]
        return self

    def write(self, folder: Path, columns: dict[str, list[str]] | None = None) -> list[Path]:
        """One CSV per table (every table, even an empty one), and coverage.txt.

        With ``columns`` (table -> the corpus's column names, from the Table Schemas) each
        CSV has exactly the columns of data/<table>.csv, in their order; a column the draft
        cannot fill is left empty for the curator.
        """
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, rows in self.rows.items():
            fieldnames = (columns or {}).get(name) or (list(rows[0]) if rows else [])
            if not fieldnames:
                continue
            path = folder / f"{name}.csv"
            with path.open("w", encoding="utf-8", newline="") as f:
                w = csv.DictWriter(f, fieldnames=fieldnames, lineterminator="\n", extrasaction="ignore", restval="")
                w.writeheader()
                w.writerows(rows)
            written.append(path)
        if self.coverage is not None:
            path = folder / "coverage.txt"
            path.write_text(self.coverage.render(), encoding="utf-8")
            written.append(path)
        return written


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")

"""Layout ``column_table``: tables flattened one cell per line (sources 000 and 003).

A line starting with a TAB opens a cell, a line without one continues the cell above
(a line break inside the cell), an empty line ends a table row.  The header row tells
which profile applies:

* 重点工作 | 主要任务 | 工作措施 | 牵头单位 | 责任单位 | 完成时限 (Xianning): headings 一、 and
  （一） in the first two columns, the task number inside the task cell (``1.text``);
* 政策措施 | 序号 | 重点任务 | 牵头单位 | 责任单位 | 完成时限 (Echeng): seven cells per row,
  area （一） | policy measure ``1.title`` | 序号 | task | lead | responsible | deadline,
  with merged cells: an empty unit or deadline cell takes the nearest filled cell above.

Rows the layout cannot explain are drafted with a status: a row that lost its task cell
is read right-aligned (deadline = last cell, responsible = the one before, lead = the
rest) as ``text_missing``; an empty row where the numbering skips one is ``row_missing``.
"""

from __future__ import annotations

import re
from ..cells import strip_pad
from ..numerals import cn_to_int
from .common import Draft

L1_CN = re.compile(r"^(?P<label>[一二三四五六七八九十]+)、(?P<title>.+)$", re.S)
PAREN_CN = re.compile(r"^(?P<label>[（(][一二三四五六七八九十]+[）)])(?P<title>.+)$", re.S)
NUM_TITLE = re.compile(r"^(?P<num>\d+)\.(?P<title>.+)$", re.S)
SEQ = re.compile(r"^\d+$")
ARTIFACT = re.compile(r"\[bookmark: [^\]]*\]")

RESPONSIBILITY = ["重点工作", "主要任务", "工作措施", "牵头单位", "责任单位", "完成时限"]
TASK_LIST = ["政策措施", "序号", "重点任务", "牵头单位", "责任单位", "完成时限"]


def read_rows(lines: list[str]) -> list[list[dict]]:
    """Rows; each a list of cells {"line", "pieces": [(line, text)], "tab"}.

    ``tab`` is False for a fragment: text standing before the first TAB-opened cell of its
    row, which happens only where the source lost cells.
    """
    rows: list[list[dict]] = []
    row: list[dict] = []
    for no, line in enumerate(lines, start=1):
        if line.rstrip("\r") == "":  # an empty line ends a row; a line of one TAB is an empty cell
            if row:
                rows.append(row)
            row = []
        elif line.startswith("\t"):
            row.append({"line": no, "pieces": [(no, line[1:])], "tab": True})
        elif row and row[-1]["tab"]:
            row[-1]["pieces"].append((no, line))
        else:
            row.append({"line": no, "pieces": [(no, line)], "tab": False})
    if row:
        rows.append(row)
    return rows


def text_of(cell: dict | None) -> str:
    return "\n".join(t for _, t in cell["pieces"]) if cell else ""


def has_seed_header(lines: list[str]) -> bool:
    """True when a row of the flattened table is one of the two seed header profiles."""
    for row in read_rows(lines):
        texts = [strip_pad(text_of(c)) for c in row]
        if all(h in texts for h in RESPONSIBILITY) or all(h in texts for h in TASK_LIST):
            return True
    return False


def extract(lines: list[str], document_id: str) -> Draft:
    rows = read_rows(lines)
    for row in rows:
        texts = [strip_pad(text_of(c)) for c in row]
        if all(h in texts for h in RESPONSIBILITY):
            return _responsibility(rows, document_id)
        if all(h in texts for h in TASK_LIST):
            return _task_list(rows, document_id)
    from .generic import extract_table

    return extract_table(lines, document_id)


class Outline:
    """Headings seen so far; a heading printed again at a page break is the same heading."""

    def __init__(self, draft: Draft):
        self.draft, self.current, self.seen = draft, {1: None, 2: None}, {}

    def heading(self, level: int, label: str, title: str, line: int, number: int | None = None) -> None:
        key = (level, label, self.current[1]["measure_id"] if level == 2 and self.current[1] else None)
        if key not in self.seen:
            try:
                seq = number if number is not None else cn_to_int(label.strip("（）()"))
            except (ValueError, KeyError):  # 二六、 is no numeral: the heading takes the next free number
                seq = len(self.seen) + 1
            self.seen[key] = self.draft.measure(level, seq, label, title, line,
                                                parent=self.current[1] if level == 2 else None)
        self.current[level] = self.seen[key]


def _responsibility(rows: list[list[dict]], document_id: str) -> Draft:
    draft = Draft(document_id)
    outline = Outline(draft)
    pending: list[dict] = []
    last_seq = 0
    task_re = re.compile(r"^(?P<num>\d+)\.(?P<text>.*)$", re.S)
    for row in rows:
        texts = [strip_pad(text_of(c)) for c in row]
        if all(h in texts for h in RESPONSIBILITY):
            continue
        task_at = next((i for i, t in enumerate(texts) if row[i]["tab"] and task_re.match(t)), None)
        for cell, text in zip(row[:task_at], texts[:task_at]):
            for regex, level in ((L1_CN, 1), (PAREN_CN, 2)):
                m = regex.match(text)
                if m:
                    outline.heading(level, m.group("label"), m.group("title").strip(), cell["line"])
                    break
        if task_at is not None:
            m = task_re.match(texts[task_at])
            seq = int(m.group("num"))
            lead, resp, deadline = (row[task_at + 1:] + [None, None, None])[:3]
            _emit(draft, seq, f"{seq}.", m.group("text"), outline.current[2], [lead] if lead else [], resp,
                  deadline, row[task_at]["line"], "ok")
            last_seq = seq
            continue
        if all(not t or L1_CN.match(t) or PAREN_CN.match(t) for t in texts) and all(c["tab"] for c in row):
            continue  # only headings or empty cells
        pending.extend(row)
        if sum(c["tab"] for c in pending) >= 2:
            *lead, resp, deadline = pending
            last_seq += 1
            _emit(draft, last_seq, "", "", outline.current[2], lead, resp, deadline, pending[0]["line"],
                  "text_missing")
            pending = []
    return draft.finish()


def _emit(draft, seq, label, text, measure, lead_cells, resp_cell, deadline_cell, line, status) -> None:
    task_id = draft.task(seq, label, text, measure, line, status)
    draft.assign(task_id, "lead", [p for c in lead_cells for p in c["pieces"]])
    if resp_cell:
        draft.assign(task_id, "responsible", resp_cell["pieces"])
    draft.deadlines_from_cell(task_id, text_of(deadline_cell), deadline_cell["line"] if deadline_cell else None)


def _task_list(rows: list[list[dict]], document_id: str) -> Draft:
    draft = Draft(document_id)
    outline = Outline(draft)
    filled: dict[str, dict | None] = {"lead": None, "responsible": None, "deadline": None}
    last_seq, empty_row = 0, None
    for row in rows:
        texts = [strip_pad(text_of(c)) for c in row]
        if all(h in texts for h in TASK_LIST):
            continue
        if len(row) != 7:
            if not any(texts) and last_seq:
                empty_row = (row, outline.current[2])
            continue
        area, measure, seq, text, lead, resp, deadline = row
        if not any(texts):
            if last_seq:  # an empty row belongs to the measure in force where it stands
                empty_row = (row, outline.current[2])
            continue
        m = PAREN_CN.match(texts[0])
        if m:
            outline.heading(1, m.group("label"), m.group("title").strip(), area["line"])
        m = NUM_TITLE.match(texts[1])
        if m:
            outline.heading(2, m.group("num"), m.group("title").strip(), measure["line"], int(m.group("num")))
        if not SEQ.match(texts[2]):
            continue
        number = int(texts[2])
        if empty_row is not None and number == last_seq + 2:
            empty, measure_then = empty_row
            draft.task(last_seq + 1, "", "", measure_then, empty[0]["line"], "row_missing")
            draft.deadlines_from_cell(f"{document_id}-t{last_seq + 1:03d}", "", None)
        empty_row = None
        body = ARTIFACT.sub("", text_of(text))
        task_id = draft.task(number, texts[2], strip_pad(body), outline.current[2], text["line"],
                             label_line=seq["line"])
        for role, cell in (("lead", lead), ("responsible", resp)):
            if texts[row.index(cell)]:
                filled[role] = cell
                draft.assign(task_id, role, cell["pieces"])
            elif filled[role] is not None:
                draft.assign(task_id, role, filled[role]["pieces"], inherited=True)
        if texts[6]:
            filled["deadline"] = deadline
            draft.deadlines_from_cell(task_id, texts[6], deadline["line"])
        elif filled["deadline"] is not None:
            draft.deadlines_from_cell(task_id, strip_pad(text_of(filled["deadline"])), filled["deadline"]["line"],
                                      inherited=True)
        last_seq = number
    return draft.finish()

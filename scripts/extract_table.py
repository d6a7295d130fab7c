"""Draft extractor for the *column table* layout (source 000, the Xianning table).

The flattened table puts one cell per line: a line starting with a TAB opens a new
cell, a line without one continues the cell above (a line break inside the cell),
and an empty line ends a table row.  Columns: 重点工作 | 主要任务 | 工作措施 |
牵头单位 | 责任单位 | 完成时限.

Output: draft rows for measures, tasks, assignments and deadlines (and candidate
targets), as CSV files in an output folder.  Drafts are never the corpus: the curated
CSVs in data/ are.  Rows the layout cannot explain (a row whose cells were lost) are
drafted right-aligned (deadline = last cell, responsible = the one before, lead = the
rest) with status ``text_missing`` so a curator sees them.

    python scripts/extract_table.py sources/000_dafdbac775655222.txt xianning-2019 drafts/000
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bizenv.cells import split_units, strip_pad  # noqa: E402
from bizenv.deadlines import parse_cell  # noqa: E402
from bizenv.numerals import cn_to_int  # noqa: E402

L1_RE = re.compile(r"^(?P<label>[一二三四五六七八九十]+)、(?P<title>.+)$")
L2_RE = re.compile(r"^(?P<label>[（(][一二三四五六七八九十]+[）)])(?P<title>.+)$")
TASK_RE = re.compile(r"^(?P<num>\d+)\.(?P<text>.*)$")
TARGET_RE = re.compile(
    r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>个工作日|个环节|工作日|天|日|％|%|亿元|万元|元|项|个|件|千瓦|公里|小时|种)"
)


def read_rows(path: Path) -> list[list[dict]]:
    """Table rows; each row a list of cells {"line", "pieces": [(line, text)], "tab"}.

    ``tab`` is False for a fragment: text that stands before the first TAB-opened cell
    of its row, which only happens where the source lost cells.
    """
    rows: list[list[dict]] = []
    row: list[dict] = []
    for no, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if line == "":
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


def cell_text(cell: dict | None) -> str:
    return "\n".join(t for _, t in cell["pieces"]) if cell else ""


HEADER = ["重点工作", "主要任务", "工作措施", "牵头单位", "责任单位", "完成时限"]


def extract(path: Path, document_id: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {k: [] for k in ("measures", "tasks", "assignments", "deadlines", "targets")}
    current = {1: None, 2: None}
    by_label: dict[tuple[int, str], dict] = {}
    pending: list[dict] = []  # cells of rows that lost their task cell
    last_seq = 0
    for row in read_rows(path):
        texts = [strip_pad(cell_text(c)) for c in row]
        if all(h in texts for h in HEADER):  # the header row (also where it repeats)
            continue
        task_at = next((i for i, t in enumerate(texts) if row[i]["tab"] and TASK_RE.match(t)), None)
        for cell, text in zip(row[: task_at], texts[: task_at]):
            heading(out, document_id, cell, text, current, by_label)
        if task_at is not None:
            m = TASK_RE.match(texts[task_at])
            seq = int(m.group("num"))
            lead, resp, deadline = (row[task_at + 1 :] + [None, None, None])[:3]
            emit(out, document_id, seq, f"{seq}.", m.group("text"), current[2], [lead] if lead else [],
                 resp, deadline, row[task_at]["line"], "ok")
            last_seq = seq
            continue
        if all(not t or L1_RE.match(t) or L2_RE.match(t) for t in texts) and all(c["tab"] for c in row):
            continue  # only headings or empty cells
        pending.extend(row)
        if sum(c["tab"] for c in pending) >= 2:
            # right-aligned reading of a damaged row: ... lead | responsible | deadline
            *lead, resp, deadline = pending
            last_seq += 1
            emit(out, document_id, last_seq, "", "", current[2], lead, resp, deadline, pending[0]["line"],
                 "text_missing")
            pending = []
    return out


def heading(out, document_id, cell, text, current, by_label) -> None:
    for regex, level in ((L1_RE, 1), (L2_RE, 2)):
        m = regex.match(text)
        if not m:
            continue
        label = m.group("label")
        if (level, label) not in by_label:  # else: a header repeated at a page break
            num = cn_to_int(label.strip("（）()"))
            parent = current[1]["measure_id"] if level == 2 else ""
            rec = {
                "measure_id": f"{parent}.{num}" if level == 2 else f"{document_id}-s{num}",
                "document_id": document_id, "parent_id": parent, "level": level, "seq": num,
                "label": label, "title": m.group("title").strip(), "position": len(out["measures"]) + 1,
                "source_line": cell["line"], "status": "ok", "notes": "",
            }
            out["measures"].append(rec)
            by_label[(level, label)] = rec
        current[level] = by_label[(level, label)]
        return


def emit(out, document_id, seq, label, text, measure, lead_cells, resp_cell, deadline_cell, line, status):
    task_id = f"{document_id}-t{seq:03d}"
    out["tasks"].append({
        "task_id": task_id, "document_id": document_id, "measure_id": measure["measure_id"] if measure else "",
        "seq": seq, "label": label, "text": text, "status": status, "source_line": line, "notes": "",
    })
    for role, cells in (("lead", lead_cells), ("responsible", [resp_cell] if resp_cell else [])):
        pieces = [piece for c in cells for piece in c["pieces"]]
        for pos, (name, no) in enumerate(split_units(pieces), start=1):
            out["assignments"].append({
                "task_id": task_id, "role": role, "position": pos, "unit_id": "", "name_as_printed": name,
                "inherited": "false", "source_line": no, "notes": "",
            })
    raw = cell_text(deadline_cell) if deadline_cell else ""
    for pos, d in enumerate(parse_cell(raw), start=1):
        out["deadlines"].append({
            "task_id": task_id, "position": pos, "raw_text": d.raw_text, "due_date": d.due_date or "",
            "precision": d.precision or "", "kind": d.kind, "milestone": d.milestone or "", "source": "column",
            "source_line": deadline_cell["line"] if deadline_cell and d.raw_text else "", "notes": "",
        })
    for pos, m in enumerate(TARGET_RE.finditer(text), start=1):
        out["targets"].append({
            "target_id": f"{task_id}-v{pos}", "task_id": task_id, "quote": m.group(0),
            "value": m.group("number"), "unit_raw": m.group("unit"),
        })


def write(out: dict[str, list[dict]], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in out.items():
        if not rows:
            continue
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    src, doc_id, dest = sys.argv[1:4]
    write(extract(Path(src), doc_id), Path(dest))

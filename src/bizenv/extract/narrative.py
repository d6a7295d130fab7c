"""Layout ``narrative``: a report in paragraphs, one per line (source 004, Xianning's work summary).

* ``一、title`` is a level-1 heading; ``(一)title`` on a short line of its own is a
  level-2 heading;
* numbered items are tasks: ``1、text`` (also printed ``3text`` or ``5.text``) under a
  level-2 heading, and ``(一)text`` paragraphs (a label followed by a long text) directly
  under a level-1 heading (problems, next steps);
* ``seq`` is the item's order in the document, since the printed numbers restart under
  each heading; ``label`` keeps the printed number;
* an un-numbered paragraph right after a level-1 heading is that heading's body (四、建议);
* dates in the next steps become deadlines with ``source = text``.
"""

from __future__ import annotations

import re
from ..numerals import cn_to_int
from .common import Draft

L1 = re.compile(r"^(?P<label>[一二三四五六七八九十]+)、(?P<title>.+)$")
PAREN = re.compile(r"^(?P<label>[（(][一二三四五六七八九十]+[）)])(?P<rest>.+)$")
ITEM = re.compile(r"^(?P<label>\d{1,2}(?:[、.．])?)(?P<rest>[^\d、.．].+)$")
HEADING_MAX = 40  # a (一) line this short with no 。 is a heading; a longer one is an item
# a month without a year, as next steps print it: 力争在10月底完成
MONTH_DEADLINE = re.compile(r"(?:力争)?(?:在|于)?\d{1,2}月(?:底|份|中旬|上旬|下旬)?(?:前)?[^，。；,;]*")


def extract(lines: list[str], document_id: str) -> Draft:
    draft = Draft(document_id)
    level1 = level2 = None
    seq = 0
    for no, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        if (m := L1.match(text)) and _numeral(m.group("label")) is None:
            m = None  # 二六、 is no outline label: the line is read as text
        if m:
            level1 = draft.measure(1, cn_to_int(m.group("label")), m.group("label"), m.group("title"), no)
            level2 = None
            continue
        if level1 is None:
            continue  # title, date and preamble before the first heading
        m = PAREN.match(text)
        if m and _numeral(m.group("label").strip("（）()")) is None:
            m = None
        if m and len(text) <= HEADING_MAX and "。" not in text:
            level2 = draft.measure(2, cn_to_int(m.group("label").strip("（）()")), m.group("label"),
                                   m.group("rest"), no, parent=level1)
            continue
        item = m if m else ITEM.match(text)
        if item and (m or level2 is not None):
            seq += 1
            task_id = draft.task(seq, item.group("label"), item.group("rest"), level2 if not m else level1, no)
            # only the next steps (三、下一步工作打算) plan ahead; results and problems get a none row
            _deadlines(draft, task_id, item.group("rest") if level1["title"].startswith("下一步") else "", no)
            continue
        if not level1["body"] and level2 is None and not text.startswith(("附件", "相关文档", "•", "./")):
            level1.update(body=text, body_line=no)
    return draft.finish()


def _numeral(label: str) -> int | None:
    try:
        return cn_to_int(label)
    except (ValueError, KeyError):
        return None


def _deadlines(draft: Draft, task_id: str, text: str, line: int) -> None:
    from ..deadlines import Deadline

    found = [m.group(0) for m in MONTH_DEADLINE.finditer(text)]
    if not found:
        draft._deadline(task_id, 1, Deadline("", "none"), "text", None, False)
    for position, raw in enumerate(found, start=1):
        draft._deadline(task_id, position, Deadline(raw, "fixed"), "text", line, False)

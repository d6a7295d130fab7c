"""The configurable extractor: recognizers (bizenv.extract.recognize) combined per layout.

Two reading modes:

* **paragraphs** (layout ``paragraphs``): one paragraph per line (a paragraph whose unit
  clause is still open when the line ends goes on on the next line).  Numbered items are
  found in every numbering style; the style whose items carry units (a trailing unit
  clause in any bracket pair, or field lines such as ``责任单位：…`` after the item) is the
  task level, the styles above it are headings (measures).  Unnumbered paragraphs that end
  in a unit clause are tasks too; an unnumbered paragraph right after a heading is its body.
* **table** (layouts ``delimited_table`` and, for headers the seed profiles do not know,
  ``column_table``): rows of cells, one cell per line (TAB-opened, as in the seed tables),
  separated by TABs, or by ``|``.  The header row is mapped by its labels (序号, 重点任务,
  牵头单位, 责任单位, 完成时限, 备注 and their synonyms), not by a fixed header set.

Every non-empty line ends up either used by a drafted row or listed in the coverage
report with the reason it was not placed: nothing is dropped silently.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field

from ..cells import PAD, split_units
from .common import Draft
from .recognize import (
    FIRST_IS_LEAD, STYLE_NAMES, Clause, closing_block, deadline_rows, field_line, header_role, matching_form, numbering,
    parse_clause, parse_labelled, trailing_clauses, OPENERS, CLOSERS, LABEL_RE, _value,
)


@dataclass
class Coverage:
    """What the extractor found and what it could not place."""

    lines: int = 0  # non-empty lines in the source
    items: Counter = field(default_factory=Counter)  # numbered items found, by numbering style
    used: set = field(default_factory=set)  # line numbers used by drafted rows
    unplaced: list = field(default_factory=list)  # (line, text, reason)
    notes: list = field(default_factory=list)  # what the reader decided (task level, header mapping)

    def place(self, line: int, text: str, reason: str) -> None:
        self.unplaced.append((line, text, reason))

    def finish(self, lines: list[str]) -> "Coverage":
        """Report every non-empty line that no row used and no reason placed yet."""
        placed = {u[0] for u in self.unplaced}
        for no, line in enumerate(lines, start=1):
            if line.strip(PAD + "\r") and no not in self.used and no not in placed:
                self.place(no, line.strip(PAD), "not used by any drafted row")
        return self

    def summary(self) -> str:
        items = ", ".join(f"{STYLE_NAMES.get(k, k)} {v}" for k, v in self.items.items()) or "none"
        return (f"numbered items found: {items}; lines used: {len(self.used)} of {self.lines} non-empty; "
                f"lines not placed: {len(self.unplaced)}")

    def render(self) -> str:
        out = [self.summary()]
        out += [f"note: {n}" for n in self.notes]
        for line, text, reason in sorted(self.unplaced, key=lambda x: (x[0] or 0)):
            shown = text if len(text) <= 60 else text[:57] + "..."
            out.append(f"line {line}: {reason}: {shown}")
        return "\n".join(out) + "\n"


@dataclass
class Para:
    lines: list  # [(line number, offset)]
    raw: str
    norm: str

    @property
    def line(self) -> int:
        return self.lines[0][0]

    def line_of(self, offset: int) -> int:
        starts = [o for _, o in self.lines]
        return self.lines[max(0, bisect.bisect_right(starts, offset) - 1)][0]

    def add(self, no: int, raw: str, norm: str) -> None:
        self.lines.append((no, len(self.raw) + 1))
        self.raw += "\n" + raw
        self.norm += "\n" + norm


def _open_depth(norm: str) -> int:
    depth = 0
    for ch in norm:
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS and depth:
            depth -= 1
    return depth


class Writer:
    """Rows for one document: headings, tasks, assignments and deadlines, with ids as the seed extractors make them."""

    def __init__(self, document_id: str, year: int | None, first_is_lead: bool):
        self.draft = Draft(document_id)
        self.coverage = Coverage()
        self.year = year
        self.first_is_lead = first_is_lead
        self.headings: dict[int, dict] = {}
        self.seq = 0
        self.child_seqs: dict[str, set] = {}

    # headings ------------------------------------------------------------------------------------
    def heading(self, level: int, number: int | None, label: str, title: str, line: int, body: str = "",
                body_line: int | None = None) -> dict:
        parent = None
        for lv in range(level - 1, 0, -1):
            if lv in self.headings:
                parent = self.headings[lv]
                break
        label = label.rstrip("、.．,，")  # a heading's label is its numeral, brackets kept: 一, (一), 1
        key = parent["measure_id"] if parent else ""
        used = self.child_seqs.setdefault(key, set())
        seq = number if number and number not in used else (max(used) + 1 if used else 1)
        used.add(seq)
        row = self.draft.measure(level if parent or level == 1 else 1, seq, label, title, line, parent=parent,
                                 body=body, body_line=body_line)
        if not parent and level != 1:
            row["level"] = 1
        self.headings = {lv: h for lv, h in self.headings.items() if lv < level}
        self.headings[level] = row
        self.coverage.used.add(line)
        return row

    def current_measure(self) -> dict | None:
        return self.headings[max(self.headings)] if self.headings else None

    def text_deadlines(self, task_id: str, text: str, line: int | None) -> None:
        rows = _text_deadline_rows(text, self.year)
        if not rows:
            self.draft._deadline(task_id, 1, deadline_rows("", None)[0][0], "text", None, False)
            self.draft.rows["deadlines"][-1]["notes"] = ""
        for position, (_, d, note) in enumerate(rows, start=1):
            self.draft._deadline(task_id, position, d, "text", line, False)
            self.draft.rows["deadlines"][-1]["notes"] = note

    # tasks ---------------------------------------------------------------------------------------
    def task(self, label: str, text: str, line: int, clause: Clause | None, text_line: int | None = None,
             status: str = "ok") -> str:
        self.seq += 1
        measure = self.current_measure()
        task_id = self.draft.task(self.seq, label, text, measure, line, status=status)
        self.coverage.used.add(line)
        if measure is None:
            self.coverage.notes.append(f"line {line}: task {self.seq} stands under no heading (measure_id left empty)")
        clause = clause or Clause()
        first_is_lead = self.first_is_lead or clause.first_is_lead
        lead = split_units([(ln, t) for t, ln in clause.units["lead"]])
        resp = split_units([(ln, t) for t, ln in clause.units["responsible"]])
        lead, resp = _rejoin(lead), _rejoin(resp)
        promoted = False
        if not lead and resp and first_is_lead:
            lead, resp, promoted = resp[:1], resp[1:], True
        for role, names in (("lead", lead), ("responsible", resp)):
            for position, (name, ln) in enumerate(names, start=1):
                notes = []
                if promoted and role == "lead":
                    notes.append("Lead because the document says the first listed unit leads "
                                 "(列第一位/第一责任单位为牵头单位).")
                if "、" in name and not any(ch in name for ch in "(（"):
                    notes.append(f"{name} read as one collective reference (its parts are no bodies alone).")
                self.draft.rows["assignments"].append({
                    "task_id": task_id, "role": role, "position": position, "name_as_printed": name,
                    "inherited": "false", "source_line": ln, "notes": " ".join(notes),
                })
                self.coverage.used.add(ln)
        if clause.deadlines:
            position = 0
            for raw, ln in clause.deadlines:
                for d, note in deadline_rows(raw, self.year):
                    position += 1
                    self.draft._deadline(task_id, position, d, "column", ln, False)
                    self.draft.rows["deadlines"][-1]["notes"] = note
                    self.coverage.used.add(ln)
        else:
            self.text_deadlines(task_id, text, text_line or line)
        for raw, ln in clause.leftovers:
            self.coverage.place(ln, raw.strip(PAD), "part of a unit clause with no role")
        return task_id


# pieces that are no body on their own: 各县、市、区政府 is one collective reference, not three names
_FRAGMENTS = {"县", "市", "区", "乡", "镇", "街", "街道", "各县", "各市", "各区", "各乡", "各镇", "县市", "各县市"}


def _rejoin(names: list[tuple[str, int]]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    carry: tuple[str, int] | None = None
    for name, line in names:
        fragment = matching_form(name) in _FRAGMENTS
        if carry is not None and carry[1] + carry[0].count("\n") <= line:  # 各县、 at a line's end, 市、区政府 on the next
            breaks = line - carry[1] - carry[0].count("\n")
            name, line = carry[0] + "、" + "\n" * breaks + name, carry[1]
        elif carry is not None:
            out.append(carry)
        carry = None
        if fragment:
            carry = (name, line)
        else:
            out.append((name, line))
    if carry is not None:
        out.append(carry)
    return out


def _text_deadline_rows(text: str, year: int | None) -> list[tuple[str, object, str]]:
    """Dated commitments in a task text, in printed order: (raw, Deadline, note).

    With a year (2022年10月底前…) as the seed extractors read them; a month without a year
    only with a word that makes it a deadline (6月底前, 9月底完成), read in the document's year.
    """
    from ..deadlines import DATE_RE, Deadline
    from .common import TEXT_DEADLINE_RE
    from .recognize import compact_form, parse_printed, without_pinyin

    found = []
    for m in TEXT_DEADLINE_RE.finditer(text):
        raw = m.group(0).strip(PAD)
        d, note = parse_printed(raw)  # 2022年(nián)6月(yuè)底前: read without the pinyin a mirror inserted
        plain = without_pinyin(raw)
        dm = DATE_RE.search(plain)
        milestone = plain[dm.end():].lstrip("底末前以之").strip(PAD) if dm else ""
        found.append((m.start(), m.end(), Deadline(d.raw_text, d.kind, d.due_date, d.precision, milestone or None),
                      note))
    form, at = compact_form(text)  # a yearless month with pinyin in it (6月(yuè)底前) is matched whole
    for m in YEARLESS_TEXT_RE.finditer(form):
        start, end = at[m.start()], at[m.end() - 1] + 1
        if any(a <= start < b for a, b, _, _ in found) or not year:
            continue
        raw = text[start:end].strip(PAD)
        for d, note in deadline_rows(raw, year):
            found.append((start, end, d, note))
    found.sort(key=lambda x: x[0])
    return [(d.raw_text, d, note) for _, _, d, note in found]


YEARLESS_TEXT_RE = re.compile(r"(?<![\d年])(?:1[0-2]|[1-9])月(?:\d{1,2}日)?(?:底|末)?(?:前|以前|之前)(?:完成|实现|出台|建成|到位)?"
                              r"|(?<![\d年])(?:1[0-2]|[1-9])月(?:底|末)(?:完成|实现|出台|建成|到位)")


def _year_of(document_id: str, year: int | None) -> int | None:
    if year:
        return year
    m = re.search(r"(?:19|20)\d{2}", document_id)
    return int(m.group(0)) if m else None


# --- paragraphs -------------------------------------------------------------------------------------------


TERMINAL = "。；;！!？?：:）)〕】］]"
UNKNOWN_ROLE_REASON = ("unit clause with a role word the extractor does not know ({}): not drafted, "
                       "read its units and roles by hand")
WRAP_WIDTH = 20  # a line this long that stops mid-sentence was broken by the page (PDF text)


def _wrapped(line: str) -> bool:
    """True when ``line`` stops mid-sentence at the page width: the next line goes on with it."""
    text = line.strip(PAD + "\r")
    return len(text) >= WRAP_WIDTH and text[-1] not in TERMINAL


def _cut_inside(last: "Para", texts: list[str]) -> bool:
    """True when the source seems to end inside ``last``, the last task's paragraph (which has no unit clause).

    It must stop without terminal punctuation in a document whose other tasks end in it, and must not end in a
    short line joined to a wrapped one: a signature or a date after the last task of a complete document.
    """
    if last.norm.rstrip(PAD + "\r").endswith(tuple(TERMINAL)):
        return False
    if any(not t.rstrip(PAD + "\r\n").endswith(tuple(TERMINAL)) for t in texts):
        return False  # the document prints its tasks without a full stop: a missing one says nothing
    if len(last.lines) > 1:
        end = last.raw[last.lines[-1][1]:].strip(PAD + "\r\n")
        if len(end) < WRAP_WIDTH:
            return False
    return True


def paragraphs(lines: list[str], closing: int | None = None) -> list[Para]:
    """The paragraphs of ``lines``; from line ``closing`` on (:func:`~bizenv.extract.recognize.closing_block`: the
    issuer, date and lists that end the document) a line goes on a paragraph only inside an open unit clause."""
    paras: list[Para] = []
    for no, raw in enumerate(lines, start=1):
        if not raw.strip(PAD + "\r"):
            continue
        norm = matching_form(raw)
        starts_new = numbering(norm) is not None or field_line(norm) is not None
        if paras and not starts_new and no - paras[-1].lines[-1][0] <= 2 and (
                _open_depth(paras[-1].norm) > 0
                or (_wrapped(lines[paras[-1].lines[-1][0] - 1]) and (closing is None or no < closing))):
            paras[-1].add(no, raw, norm)  # the unit clause (or the sentence) goes on on the next line
        else:
            paras.append(Para([(no, 0)], raw, norm))
    return paras


INLINE_ITEM = re.compile(r"(?<=[。；;）)〕】])[（(](?P<n>\d{1,2})[）)]")


def _split_inline_items(p: Para, first_is_lead: bool) -> list[Para]:
    """Split a paragraph at sub-items (1) (2) ... printed inside it, when they carry their own unit clauses."""
    marks = [m for m in INLINE_ITEM.finditer(p.norm)]
    numbers = [int(m.group("n")) for m in marks]
    if len(marks) < 2 or numbers != list(range(1, len(marks) + 1)):
        return [p]
    bounds = [m.start() for m in marks] + [len(p.norm)]
    pieces = [(0, bounds[0])] + list(zip(bounds, bounds[1:]))
    with_units = sum(1 for a, b in pieces[1:]
                     if any(c is not None for _, c, _ in trailing_clauses(p.raw[a:b], p.norm[a:b], lambda _o: p.line,
                                                                          first_is_lead)))
    if with_units < 1:
        return [p]
    out = []
    for a, b in pieces:
        line = p.line_of(a)
        out.append(Para([(line, 0)], p.raw[a:b], p.norm[a:b]))
    return out


def extract_paragraphs(lines: list[str], document_id: str, year: int | None = None) -> Draft:
    year = _year_of(document_id, year)
    closing = closing_block(lines)
    paras = paragraphs(lines, closing)
    doc_first_is_lead = any(FIRST_IS_LEAD.search(p.norm) for p in paras)
    w = Writer(document_id, year, doc_first_is_lead)
    w.coverage.lines = sum(1 for line in lines if line.strip(PAD + "\r"))
    if doc_first_is_lead:
        w.coverage.notes.append("the document says the first listed unit is the lead (列第一位/第一责任单位为牵头单位): "
                                "where a task names no lead, its first unit is drafted as lead")

    # sub-items printed inside one paragraph, each with its own unit clause:
    # 1.标题。(1)甲……(A牵头负责)(2)乙……(B牵头负责) -> the heading 1.标题。 and one paragraph per sub-item
    paras = [q for p in paras for q in _split_inline_items(p, doc_first_is_lead)]

    # an unnumbered paragraph ending in a unit clause goes on the numbered item before it when that
    # item has none of its own (a page break after 。, or a title line 1.标题 then the body)
    merged: list[Para] = []
    for p in paras:
        prev = merged[-1] if merged else None
        if prev is not None and numbering(p.norm) is None and field_line(p.norm) is None \
                and numbering(prev.norm) is not None and field_line(prev.norm) is None \
                and any(c is not None for _, c, _ in trailing_clauses(p.raw, p.norm, p.line_of, doc_first_is_lead)) \
                and not any(c is not None for _, c, _ in trailing_clauses(prev.raw, prev.norm, prev.line_of,
                                                                          doc_first_is_lead)) \
                and numbering(prev.norm).style not in ("cn_comma", "article"):
            for k, (no, offset) in enumerate(p.lines):
                prev.add(no, lines[no - 1], matching_form(lines[no - 1]))
            continue
        merged.append(p)
    paras = merged

    # classify
    info = []
    for p in paras:
        fl = field_line(p.norm)
        num = None if fl else numbering(p.norm)
        info.append((p, num, fl))
    first = next((i for i, (_, num, _) in enumerate(info) if num and num.style in ("cn_comma", "article", "cn_paren")),
                 next((i for i, (_, num, _) in enumerate(info) if num), len(info)))
    for p, _, _ in info[:first]:
        for no, _ in p.lines:
            w.coverage.place(no, lines[no - 1].strip(PAD), "before the first numbered heading (title, notice, preamble)")

    body = info[first:]
    styles: list[str] = []
    unit_count: Counter = Counter()
    unknown_count: Counter = Counter()  # items ending in a unit clause whose role word is unknown
    clauses: dict[int, list] = {}
    for i, (p, num, fl) in enumerate(body):
        if num:
            if num.style not in styles:
                styles.append(num.style)
            w.coverage.items[num.style] += 1
        if fl:
            continue
        found = trailing_clauses(p.raw, p.norm, p.line_of, doc_first_is_lead)
        clauses[i] = found
        has_units = any(c is not None and not c.unknown_role for _, c, _ in found)
        has_fields = i + 1 < len(body) and body[i + 1][2] is not None
        if has_units or has_fields:
            unit_count[num.style if num else "none"] += 1
        elif any(c is not None for _, c, _ in found):
            unknown_count[num.style if num else "none"] += 1
    # clauses whose role word is unknown choose the task level only where no item carries known units: headings
    # ending in (市政府牵头组织) do not outvote the items under them that name their leads
    numbered_units = {s: n for s, n in unit_count.items() if s != "none"} or \
        {s: n for s, n in unknown_count.items() if s != "none"}
    if numbered_units:
        task_style = max(numbered_units, key=lambda s: (numbered_units[s], styles.index(s)))
        why = f"its items carry units ({numbered_units[task_style]} of {w.coverage.items[task_style]})"
    else:
        long_items = Counter(num.style for p, num, fl in body if num and len(p.norm) - num.end > 40)
        task_style = max(long_items, key=lambda s: (long_items[s], styles.index(s))) if long_items else None
        why = "no item carries units; its items are the longest paragraphs"
    if task_style:
        w.coverage.notes.append(f"task level: {STYLE_NAMES[task_style]} ({why}); headings: "
                                + (", ".join(STYLE_NAMES[s] for s in styles[:styles.index(task_style)]) or "none"))
    else:
        w.coverage.notes.append("no numbered items: nothing was drafted as a task")
    heading_styles = styles[:styles.index(task_style)] if task_style else styles
    deeper = set(styles[styles.index(task_style) + 1:]) if task_style else set()

    pending: dict | None = None  # the task whose field lines may still follow
    pending_end = (-1, False)  # (index in body of the pending task's paragraph, it ends in no unit clause)

    def flush():
        nonlocal pending
        if pending is not None:
            w.task(**pending)
            pending = None

    last_heading_only = None  # a heading with no task after it yet (may take a body paragraph)
    for i, (p, num, fl) in enumerate(body):
        if fl:
            role, start = fl
            if pending is None:
                w.coverage.place(p.line, p.raw.strip(PAD), "field line with no task above it")
                continue
            clause = pending["clause"] or Clause()
            if LABEL_RE.match(p.norm.lstrip(PAD)):
                parse_labelled(p.raw, p.norm, p.line, clause)  # 牵头单位：A；责任单位：B (one or more labels)
            else:  # 【牵头单位】A or 牵头单位 A
                _value(clause, role, p.raw[start:], p.norm[start:], p.line)
            pending["clause"] = clause
            for no, _ in p.lines:
                w.coverage.used.add(no)
            continue
        flush()
        found = clauses.get(i, [])
        if num and num.style in heading_styles:
            level = heading_styles.index(num.style) + 1
            text_raw = p.raw[num.end:]
            cut = len(text_raw)
            for start, clause, content in found:
                cut = min(cut, start - num.end)
                w.coverage.place(p.line_of(start), content.strip(PAD), "unit clause on a heading (not a task)")
            text_raw = text_raw[:cut]
            title, sep, rest = text_raw.partition("。")
            title = title.strip(PAD + "\n")
            rest = rest.strip(PAD + "\n")
            label = p.raw[num.start:num.start + len(num.label)]
            last_heading_only = w.heading(level, num.number, label, title, p.line, body=rest,
                                          body_line=p.line if rest else None)
            for no, _ in p.lines:
                w.coverage.used.add(no)
            continue
        if num and num.style in deeper:
            w.coverage.place(p.line, p.raw.strip(PAD), f"numbered item ({STYLE_NAMES[num.style]}) below the task level")
            continue
        # an unnumbered paragraph is a task when it ends in a unit clause, or when it is a sentence
        # (ends in 。 or ；) followed by field lines; a page footer followed by 主办单位: is not
        is_task = bool(num and num.style == task_style) or any(c is not None for _, c, _ in found) or \
            (i + 1 < len(body) and body[i + 1][2] is not None and not num
             and p.norm.rstrip(PAD + "\r").endswith(("。", "；", ";")))
        if not is_task:
            if last_heading_only is not None and not last_heading_only["body"]:
                last_heading_only.update(body=p.raw.strip(PAD), body_line=p.line)
                for no, _ in p.lines:
                    w.coverage.used.add(no)
            else:
                w.coverage.place(p.line, p.raw.strip(PAD), "unnumbered paragraph (not a heading, task or field)")
            continue
        last_heading_only = None
        start_text = num.end if num else len(p.raw) - len(p.raw.lstrip(PAD))
        label = p.raw[num.start:num.start + len(num.label)] if num else ""  # as printed (traditional too)
        cut = len(p.raw)
        clause = None
        for start, c, content in found:  # last first
            cut = min(cut, start)
            if c is None:
                w.coverage.place(p.line_of(start), content.strip(PAD),
                                 "unit clause not closed (the source may be cut here): not drafted")
            elif c.unknown_role:
                w.coverage.place(p.line_of(start), content.strip(PAD), UNKNOWN_ROLE_REASON.format(c.unknown_role))
            elif clause is None:
                clause = c
            else:
                for role in ("lead", "responsible"):
                    clause.units[role] = c.units[role] + clause.units[role]
                clause.deadlines = c.deadlines + clause.deadlines
                clause.first_is_lead |= c.first_is_lead
        text = p.raw[start_text:cut].strip(PAD + "\n")
        for m in re.finditer(r"[（(〔【\[]([^（）()〔〕【】\[\]]{2,80})[）)〕】\]]", p.norm[start_text:cut]):
            inner = m.group(1)
            if (LABEL_RE.search(inner) or re.search(r"(?:牵头|负责|配合)$", inner)) and \
                    parse_clause(inner, inner, p.line) is not None:
                w.coverage.place(p.line_of(start_text + m.start()), p.raw[start_text + m.start():start_text + m.end()],
                                 "unit clause inside the task text (a sub-item's units?): not drafted")
        for no, _ in p.lines:
            w.coverage.used.add(no)
        pending = {"label": label, "text": text, "line": p.line, "clause": clause}
        pending_end = (i, not found)
    if pending is not None and pending["clause"] is None and pending_end == (len(body) - 1, True) \
            and _cut_inside(body[-1][0], [t["text"] for t in w.draft.rows["tasks"]]):
        # the excerpt ends inside the last task's text: its unit clause and deadline, if it has them, are cut off
        last = body[-1][0]
        w.coverage.place(last.lines[-1][0], last.raw.strip(PAD)[-20:],
                         "the source ends inside this task's text: its units and deadline, if printed, are cut off "
                         "(none drafted)")
    flush()
    draft = w.draft.finish()
    draft.coverage = w.coverage.finish(lines)
    return draft


# --- tables ---------------------------------------------------------------------------------------------------


def table_rows(lines: list[str]) -> list[list[dict]]:
    """Rows of cells {"line", "pieces": [(line, text)], "tab"} from any of the three table forms."""
    delimited = any(re.search(r"[^\t]\t", line) for line in lines)
    if not delimited and any(line.startswith("\t") for line in lines):
        from .table import read_rows  # the seeds' column form: an empty line ends a row

        return read_rows(lines)
    if not delimited and not any("|" in line for line in lines):
        by_lines = cell_line_rows(lines)
        if by_lines is not None:
            return by_lines
    rows = []
    for no, line in enumerate(lines, start=1):
        stripped = line.strip(PAD + "\r")
        if not stripped:
            continue
        if "\t" in stripped:
            cells = line.rstrip("\r").split("\t")  # leading empty cells stay: merged cells
        elif stripped.count("|") >= 2 or ("|" in stripped and stripped.startswith("|")):
            if re.fullmatch(r"[|:\-\s]+", stripped):
                continue  # a markdown rule under the header
            cells = stripped.strip("|").split("|")
        else:
            cells = [stripped]
        rows.append([{"line": no, "pieces": [(no, c)], "tab": True} for c in cells])
    return rows


def cell_line_rows(lines: list[str]) -> list[list[dict]] | None:
    """A table copied from a web page with one cell per line and no separators at all.

    The header is a run of lines that are column labels, starting with 序号; each row starts
    at a line holding just the next number (1, 2, 3 ...).  A row with more lines than
    columns keeps its extra lines in its last cell (the extractor notes it); None when
    there is no such header.
    """
    from .recognize import header_role

    texts = [line.strip(PAD + "\r") for line in lines]
    start = None
    for i, t in enumerate(texts):
        if header_role(t) == "seq":
            j = i + 1
            # the header run: short label-like lines (a column it cannot name, 条例规定, is kept unmapped)
            while j < len(texts) and texts[j] and len(texts[j]) <= 24 and not texts[j].isdigit() \
                    and not re.search(r"[。；;]", texts[j]) and header_role(texts[j]) != "seq":
                j += 1
            roles = {header_role(x) for x in texts[i + 1:j]}
            if j - i >= 3 and "task" in roles and roles & {"lead", "responsible", "deadline"}:
                start, stop = i, j
                break
    if start is None:
        return None

    def cell(no: int) -> dict:
        return {"line": no, "pieces": [(no, lines[no - 1].strip(PAD + "\r"))], "tab": True}

    width = stop - start
    rows = [[cell(no) for no in range(1, start + 1) if texts[no - 1]]] if any(texts[:start]) else []
    rows.append([cell(no) for no in range(start + 1, stop + 1)])
    expected, current = 1, None
    for no in range(stop + 1, len(lines) + 1):
        t = texts[no - 1]
        if not t:
            continue
        if t == str(expected):
            current = [cell(no)]
            rows.append(current)
            expected += 1
        elif current is None:
            rows.append([cell(no)])
        elif len(current) < width:
            current.append(cell(no))
        else:
            current[-1]["pieces"].append((no, lines[no - 1].strip(PAD + "\r")))
            current[-1]["overflow"] = True
    return rows


def _text(cell: dict | None) -> str:
    return "\n".join(t for _, t in cell["pieces"]).strip(PAD) if cell else ""


def find_header(rows: list[list[dict]]) -> tuple[int, dict[int, str]] | None:
    for i, row in enumerate(rows):
        roles = {j: header_role(_text(c)) for j, c in enumerate(row)}
        named = {r for r in roles.values() if r}
        if "task" in named and named & {"lead", "responsible", "deadline"}:
            return i, roles
    return None


def extract_table(lines: list[str], document_id: str, year: int | None = None, merged: bool = False) -> Draft:
    year = _year_of(document_id, year)
    rows = table_rows(lines)
    found = find_header(rows)
    if found is None:
        first = next((r[0]["line"] for r in rows if r), 1)
        from . import ExtractError

        raise ExtractError(f"line {first}: no table header found: a header row must name a task column "
                           "(重点任务, 工作措施, 主要任务, …) and a unit or deadline column (牵头单位, 责任单位, 完成时限, …); "
                           "for a document in paragraphs use --layout paragraphs")
    h, roles = found
    first_is_lead = any(FIRST_IS_LEAD.search(matching_form(line)) for line in lines)
    w = Writer(document_id, year, first_is_lead)
    w.coverage.lines = sum(1 for line in lines if line.strip(PAD + "\r"))
    task_cols = [j for j, r in roles.items() if r == "task"]
    task_col = task_cols[-1]
    heading_cols = [j for j in range(task_col) if roles[j] in ("task", "")]
    col = {r: j for j, r in roles.items() if r in ("seq", "lead", "responsible", "deadline", "notes", "person")}
    header_texts = [_text(c) for c in rows[h]]
    w.coverage.notes.append("table header (line %d): %s" % (
        rows[h][0]["line"], " | ".join(f"{t}={roles[j] or ('heading' if j in heading_cols else '?')}"
                                        for j, t in enumerate(header_texts))))
    for r in rows[:h]:
        for c in r:
            for no, t in c["pieces"]:
                if t.strip(PAD):
                    w.coverage.place(no, t.strip(PAD), "before the table header (title, notice, preamble)")
    for c in rows[h]:
        for no, _ in c["pieces"]:
            w.coverage.used.add(no)
    filled: dict[str, dict | None] = {"lead": None, "responsible": None, "deadline": None}
    heading_styles: list[str] = []  # heading levels in order of first appearance (一、 before （一） before 1.)
    width = len(rows[h])
    for row in rows[h + 1:]:
        texts = [_text(c) for c in row]
        if texts == header_texts[:len(texts)] and len(texts) > 1:
            for c in row:
                w.coverage.used.add(c["line"])
            continue  # the header printed again after a page break
        if not any(texts):
            continue
        if len(row) == 1 and width > 1:
            num = numbering(matching_form(texts[0]))
            if num and num.style in ("cn_comma", "cn_paren", "article"):
                level = {"cn_comma": 1, "article": 1, "cn_paren": 2}[num.style]
                w.heading(level, num.number, texts[0][:len(num.label)], texts[0][num.end:].strip(PAD),
                          row[0]["line"])
                continue
            w.coverage.place(row[0]["line"], texts[0], "a row of one cell (not a heading)")
            continue
        if len(row) != width:
            w.coverage.notes.append(f"line {row[0]['line']}: row of {len(row)} cells under a header of {width}: "
                                    + ("read right-aligned (the first cells merged with the rows above)"
                                       if len(row) < width else "cells read by position"))
        # a short row lost its first cells to merged cells above: read it right-aligned
        # a longer row has more heading cells on the left than the header names (a header cell over two columns)
        cells = [None] * (width - len(row)) + row if len(row) < width else row[len(row) - width:]
        left = row[:len(row) - width] if len(row) > width else []
        for position, cell in enumerate(left + [cells[j] for j in heading_cols], start=1):
            t = _text(cell)
            if not t:
                continue
            num = numbering(matching_form(t))
            style = num.style if num else f"column{position}"
            if style not in heading_styles:
                heading_styles.append(style)
            level = heading_styles.index(style) + 1
            label = t[:len(num.label)] if num else ""
            title = t[num.end:] if num else t
            title = title.partition("。")[0].strip(PAD + "\n") if num else title.strip(PAD)
            current = w.headings.get(level)  # a heading printed again (page break, merged cell) is the same one
            if current is None or current["title"] != title.strip() or current["label"] != label.rstrip("、.．,，"):
                w.heading(level, num.number if num else None, label, title.strip(), cell["line"])
        t = _text(cells[task_col])
        if not t:
            w.coverage.place(row[0]["line"], " | ".join(texts), "row without a task cell")
            continue
        norm = matching_form(t)
        num = numbering(norm)
        label = t[:len(num.label)] if num else (_text(cells[col["seq"]]) if "seq" in col else "")
        body = t[num.end:] if num else t
        clause = Clause()
        for role in ("lead", "responsible"):
            cell = cells[col[role]] if role in col else None
            if cell is not None and _text(cell):
                filled[role] = cell
                clause.units[role] = [(txt, ln) for ln, txt in cell["pieces"]]
            elif merged and filled[role] is not None:
                clause.units[role] = [(txt, ln) for ln, txt in filled[role]["pieces"]]
        dcell = cells[col["deadline"]] if "deadline" in col else None
        if dcell is not None and _text(dcell):
            filled["deadline"] = dcell
            clause.deadlines = [(_text(dcell), dcell["line"])]
        elif merged and filled["deadline"] is not None:
            clause.deadlines = [(_text(filled["deadline"]), filled["deadline"]["line"])]
        if not (clause.units["lead"] or clause.units["responsible"]):
            inline = trailing_clauses(body, matching_form(body), lambda _o, ln=cells[task_col]["line"]: ln,
                                      first_is_lead)
            for start, c, content in inline:
                if c is not None and c.unknown_role:
                    w.coverage.place(cells[task_col]["line"], content.strip(PAD),
                                     UNKNOWN_ROLE_REASON.format(c.unknown_role))
                    body = body[:start]
                elif c is not None:
                    clause.units = c.units
                    clause.deadlines = clause.deadlines or c.deadlines
                    body = body[:start]
        task_id = w.task(label, body.strip(PAD + "\n"), cells[task_col]["line"], clause)
        w.coverage.items["table rows"] += 1
        if any(c.get("overflow") for c in row):
            w.coverage.notes.append(f"line {row[0]['line']}: the row has more lines than the header has columns; "
                                    "the extra lines were kept in its last cell: check which cell they belong to")
        inherited_roles = {r for r in ("lead", "responsible") if r in col and cells[col[r]] is not None
                           and not _text(cells[col[r]]) and merged and filled[r] is not None}
        if inherited_roles or (merged and dcell is not None and not _text(dcell) and filled["deadline"] is not None):
            for a in w.draft.rows["assignments"]:
                if a["task_id"] == task_id and a["role"] in inherited_roles:
                    a["inherited"] = "true"
            if dcell is not None and not _text(dcell):
                for d in w.draft.rows["deadlines"]:
                    if d["task_id"] == task_id:
                        d["inherited"] = "true"
        for c in row:
            for no, _ in c["pieces"]:
                w.coverage.used.add(no)
    draft = w.draft.finish()
    draft.coverage = w.coverage.finish(lines)
    return draft

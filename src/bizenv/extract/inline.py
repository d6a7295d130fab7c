"""Layouts with units printed inline after each task.

``inline_brackets`` (source 001, Xiangyang): one paragraph per line; a task is
``N.text〔牵头单位:…;责任单位:…〕``; there is no deadline column, so dated commitments
are drafted from the text (``source = text``).

``inline_parentheses`` (source 002, Gedian): text extracted from a PDF, so a task's
paragraph may run over several lines and words, labels included, are broken by stray
spaces (``牵 头单位``, ``完 成时 限``).  A task is ``N.text(牵头单位:…;责任单位:…;完成时限:…)``.

Headings: ``一、title`` (level 1) and ``(一)title`` (level 2); a level-2 heading whose line
goes on after ``。`` (组织保障 paragraphs) keeps that paragraph as the heading's body.
"""

from __future__ import annotations

import re
from ..cells import PAD
from ..numerals import cn_to_int
from .common import Draft

L1 = re.compile(r"^(?P<label>[一二三四五六七八九十]+)、(?P<title>.+)$")
L2 = re.compile(r"^(?P<label>[（(][一二三四五六七八九十]+[）)])(?P<title>[^。]+)(?:。(?P<body>.+))?$")
TASK = re.compile(r"^(?P<num>\d+)\.(?P<rest>.*)$", re.S)


def _spaced(word: str) -> str:
    """Regex for ``word`` with optional whitespace between its characters (PDF breaks)."""
    return r"\s*".join(map(re.escape, word))


LABELS = {"lead": _spaced("牵头单位"), "responsible": _spaced("责任单位"), "deadline": _spaced("完成时限")}
LABEL_RE = re.compile("(?:" + "|".join(f"(?P<{k}>{v})" for k, v in LABELS.items()) + r")\s*[:：∶]")
BRACKETS = re.compile(r"〔(?P<units>[^〔〕]*)〕\s*$")
PARENS_START = re.compile(r"[(（]\s*(?=(?:" + LABELS["lead"] + "|" + LABELS["responsible"] + r")\s*[:：∶])")


def fields(block: str, start_offset: int, line_of) -> dict[str, list[tuple[int, str]]]:
    """Split a units block into its labelled fields as (line, text) pieces."""
    out: dict[str, list[tuple[int, str]]] = {}
    matches = list(LABEL_RE.finditer(block))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(block)
        value = block[m.end():end]
        value = re.sub(r"[;；,，\s]*$", "", value)
        offset = start_offset + m.end()
        pieces, pos = [], 0
        for part in value.split("\n"):
            pieces.append((line_of(offset + pos), part))
            pos += len(part) + 1
        out[m.lastgroup] = pieces
    return out


def _paragraphs(lines: list[str], start: int, stop_re: re.Pattern | None):
    """(first line, text with line breaks) of each paragraph: a heading, a task, or prose.

    A line that starts with a number and a dot starts a task only when the number is the
    next one expected; otherwise it is a wrapped line ("0.5个工作日。…" in source 002).
    """
    current, expected = None, 1
    for no, line in enumerate(lines, start=1):
        if no < start:
            continue
        if stop_re and stop_re.match(line):
            break
        if not line.strip():
            if current:
                yield current
                current = None
            continue
        task = TASK.match(line)
        is_task = task is not None and int(task.group("num")) == expected  # "0.5个工作日" wrapped is not task 0
        if L1.match(line) or L2.match(line) or is_task or current is None:
            if current:
                yield current
            current = [no, line]
            expected += is_task
        else:
            current[1] += "\n" + line
    if current:
        yield current


def extract(lines: list[str], document_id: str, layout: str) -> Draft:
    draft = Draft(document_id)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    first = next(i for i, line in enumerate(lines, start=1) if L1.match(line))
    stop = re.compile(r"^(网站首页|附件)")
    level1 = level2 = None
    pending_body = None
    for line_no, para in _paragraphs(lines, first, stop):
        def line_of(offset: int, base=line_no, para=para) -> int:
            return base + para.count("\n", 0, offset)

        if m := L1.match(para):
            level1 = draft.measure(1, cn_to_int(m.group("label")), m.group("label"), m.group("title").strip(PAD),
                                   line_no)
            level2, pending_body = None, level1
            continue
        if (m := L2.match(para)) and "\n" not in para:
            body = m.group("body") or ""
            level2 = draft.measure(2, cn_to_int(m.group("label").strip("（）()")), m.group("label"),
                                   m.group("title").strip(PAD), line_no, parent=level1, body=body,
                                   body_line=line_no if body else None)
            pending_body = None
            continue
        m = TASK.match(para)
        if not m:
            if pending_body is not None and not pending_body["body"]:  # 一、总体要求's paragraph
                pending_body.update(body=para, body_line=line_no)
            continue
        seq = int(m.group("num"))
        label_len = len(m.group("num")) + 1
        if layout == "inline_brackets":
            units = BRACKETS.search(para)
            block_at = units.start() if units else len(para)
            block = units.group("units") if units else ""
            block_offset = units.start("units") if units else len(para)
        else:
            starts_ = list(PARENS_START.finditer(para))
            block_at = starts_[-1].start() if starts_ else len(para)
            block = para[block_at:].rstrip(PAD + "\n")
            block = block[1:-1] if block.endswith((")", "）")) else block[1:]
            block_offset = block_at + 1
        text = para[label_len:block_at].strip(PAD + "\n")
        task_id = draft.task(seq, f"{seq}.", text, level2 or level1, line_no)
        parts = fields(block, block_offset, line_of)
        for role in ("lead", "responsible"):
            if role in parts:
                draft.assign(task_id, role, parts[role])
        if layout == "inline_brackets":
            draft.deadlines_from_text(task_id, text, line_no)
        else:
            cell = "\n".join(t for _, t in parts.get("deadline", []))
            line = parts["deadline"][0][0] if "deadline" in parts else None
            draft.deadlines_from_cell(task_id, cell.strip(PAD + "\n"), line)
    return draft.finish()

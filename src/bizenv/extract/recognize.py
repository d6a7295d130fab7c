"""Recognizers: the few dimensions in which documents of this genre vary, one each.

Every recognizer reads a *matching form* of a line and returns offsets into it; the
matching form has the same length as the printed line (:func:`matching_form`), so every
text and name is cut from the printed line itself and stays verbatim.

* numbering (:func:`numbering`): ``1.`` ``1、`` ``(1)`` ``（一）`` ``一、`` ``第一条`` ``①``;
* labels (:data:`LABELS`) and their synonyms, for unit clauses, field lines and table headers;
* unit clauses (:func:`trailing_clauses`, :func:`parse_clause`): any bracket pair, any
  separator, labelled (``牵头单位：A；责任单位：B``) or in the national style without labels
  (``A、B牵头，C按职责分工负责``, ``A负责``, ``A牵头，B配合``);
* a clause in the national style whose role word is unknown (``A牵头卖力``: :func:`unknown_role_clause`)
  is a unit clause from which no unit is drafted: the extractor reports it instead of guessing a role;
* the note that makes the first listed unit the lead (:data:`FIRST_IS_LEAD`);
* field lines (:func:`field_line`): ``责任单位：…`` on a line of its own;
* deadlines (:func:`deadline_rows`): in a deadline field, inside the unit clause
  (``6月底完成``), or in the text; a month printed without a year is read in the
  document's year and the row's notes say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..cells import PAD
from ..deadlines import Deadline, parse_cell, parse_segment, period_end

# --- traditional characters ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _converter():
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a dependency; a broken install still extracts simplified text
        return None
    return opencc.OpenCC("t2s")


# pinyin that some mirror sites print after characters: 辦(bàn), 經(jīng)
PINYIN = re.compile(r"\((?=[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ])[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}\)")


def matching_form(line: str) -> str:
    """The line in simplified characters, of the same length, for recognizers to match on.

    Labels and numbering printed in traditional characters (牽頭單位, 責任單位, 第一條) are
    recognized through this form; the printed line is never changed.  Where a phrase
    conversion would change the length, characters are converted one by one.
    """
    if not line or line.isascii():
        return line
    conv = _converter()
    out = line if conv is None else conv.convert(line)
    if len(out) != len(line):
        chars = [conv.convert(ch) for ch in line]
        out = "".join(c if len(c) == 1 else ch for c, ch in zip(chars, line))
    if "(" in out:  # inserted pinyin reads as spaces, so 牽(qiān)頭單位 is still a label
        out = PINYIN.sub(lambda m: " " * len(m.group(0)), out)
    return out


def compact_form(line: str) -> tuple[str, list[int]]:
    """The matching form without inserted pinyin, and for each of its characters its offset in the printed line.

    A quantity whose unit carries pinyin (``3個(gè)月``, ``5個(gè)工(gōng)作(zuò)日``) is matched whole on this form;
    in the matching form the pinyin reads as spaces and would end the unit early (``3個``, a count).
    """
    norm = matching_form(line)
    skip = {i for m in PINYIN.finditer(line) for i in range(*m.span())}
    at = [i for i in range(len(line)) if i not in skip]
    return "".join(norm[i] for i in at), at


# --- labels ------------------------------------------------------------------------------------------

# role -> printed labels (simplified); longer labels first so that 牵头责任单位 wins over 责任单位
LABELS: dict[str, tuple[str, ...]] = {
    "lead": ("牵头责任单位", "牵头单位", "牵头部门", "主责单位", "主办单位", "牵头处室"),
    "responsible": ("协同责任单位", "责任单位", "责任部门", "配合单位", "配合部门", "协办单位", "参与单位",
                    "协同单位", "参加单位", "责任主体"),
    "deadline": ("完成时限", "时限要求", "完成时间", "时间要求", "完成期限", "办结时限", "时间节点", "时限"),
    "person": ("牵头负责领导", "牵头领导", "责任领导", "分管领导", "牵头市领导", "责任人"),
}
COLON = "[:：∶]"


def _spaced(word: str) -> str:
    """``word`` with optional whitespace between its characters (PDF text breaks words)."""
    return r"\s*".join(map(re.escape, word))


_ALL = sorted(((w, role) for role, words in LABELS.items() for w in words), key=lambda x: -len(x[0]))
_LABEL_ROLE = {w: role for w, role in _ALL}
LABEL_RE = re.compile("(?P<label>" + "|".join(_spaced(w) for w, _ in _ALL) + r")\s*" + COLON + r"\s*")
_LABEL_ALT = "|".join(_spaced(w) for w, _ in _ALL)
FIELD_LINE_RES = (
    re.compile(r"^[ \t\u3000]*[【\[［]\s*(?P<label>" + _LABEL_ALT + r")\s*[】\]］]\s*" + COLON + r"?\s*"),  # 【牵头单位】A
    re.compile(r"^[ \t\u3000]*(?P<label>" + _LABEL_ALT + r")\s*" + COLON + r"\s*"),  # 牵头单位：A
    re.compile(r"^[ \t\u3000]*(?P<label>" + _LABEL_ALT + r")[ \u3000]+(?=\S)"),  # 牵头单位 A
)


def label_role(printed: str) -> str:
    return _LABEL_ROLE.get(re.sub(r"\s+", "", printed), "")


# the first listed unit is the lead: 列第一位的为牵头单位 / 第一责任单位为牵头单位 / 排在首位的为牵头单位
FIRST_IS_LEAD = re.compile(r"(?:列|排)?(?:在)?(?:第一位|首位|第一)(?:的)?(?:责任单位|单位|部门)?(?:为|是)牵头(?:单位|部门)")

# --- numbering ---------------------------------------------------------------------------------------

CN_NUM = "一二三四五六七八九十百零〇两"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
NUMBERING = (
    ("article", re.compile(rf"^第(?P<n>[{CN_NUM}\d]+)条[\s\u3000]*")),
    ("cn_comma", re.compile(rf"^(?P<n>[{CN_NUM}]+)[、，,．]\s*")),
    ("cn_paren", re.compile(rf"^[（(](?P<n>[{CN_NUM}]+)[）)]\s*")),
    ("num_paren", re.compile(r"^[（(](?P<n>\d{1,3})[）)]\s*")),
    ("num_dot", re.compile(r"^(?P<n>\d{1,3})(?:[.．](?!\d)|[)）])\s*")),
    ("num_comma", re.compile(r"^(?P<n>\d{1,3})、\s*")),
    ("circled", re.compile(rf"^(?P<n>[{CIRCLED}])\s*")),
)
STYLE_NAMES = {"article": "第一条", "cn_comma": "一、", "cn_paren": "（一）", "num_paren": "(1)",
               "num_dot": "1.", "num_comma": "1、", "circled": "①"}


# Leading padding, including the "??" that a page mirrored through a wrong encoding prints for each
# ideographic space of a paragraph indent (a line of these documents never starts with "??").
INDENT = re.compile(f"[{PAD}]*(?:(?:\\?\\?|？？)[{PAD}]*)*")


@dataclass
class Numbered:
    style: str
    number: int | None
    label: str  # as printed (the label, without padding)
    end: int  # offset of the text after the label and padding
    start: int = 0  # offset of the label (after the leading padding)


def numbering(norm: str) -> Numbered | None:
    """The numbering at the start of a line (after leading padding), if any."""
    from ..numerals import cn_to_int

    lead = INDENT.match(norm).end()
    text = norm[lead:]
    for style, regex in NUMBERING:
        m = regex.match(text)
        if not m or m.end() == len(text.rstrip(PAD)):
            continue  # a bare label with nothing after it is not an item
        n = m.group("n")
        try:
            number = CIRCLED.index(n) + 1 if style == "circled" else cn_to_int(n)
        except (ValueError, KeyError):
            number = None
        label = m.group(0).rstrip(PAD + " ")  # the label as printed, without the padding after it
        return Numbered(style, number, label, lead + m.end(), lead)
    return None


# --- brackets and clauses ------------------------------------------------------------------------------

OPENERS, CLOSERS = "(（〔【[［", ")）〕】]］"
SEPARATORS = ",，;；。"


def split_depth0(text: str, seps: str = SEPARATORS) -> list[tuple[int, int]]:
    """(start, end) spans of ``text`` between separators outside brackets."""
    spans, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS and depth:
            depth -= 1
        elif ch in seps and depth == 0:
            spans.append((start, i))
            start = i + 1
    spans.append((start, len(text)))
    return spans


def trailing_group(norm: str, end: int) -> tuple[int, int] | None:
    """The bracket group closing at ``end`` (exclusive; norm[end-1] is a closer): (open, end)."""
    depth = 0
    for i in range(end - 1, -1, -1):
        ch = norm[i]
        if ch in CLOSERS:
            depth += 1
        elif ch in OPENERS:
            depth -= 1
            if depth == 0:
                return i, end
    return None


ROLE_SUFFIXES = (
    ("lead", re.compile(r"(?:牵头负责|牵头落实|牵头实施|牵头抓总|牵头|负总责)$")),
    ("responsible", re.compile(r"(?:按职责分工负责|按照职责分工负责|按职责分工落实|按职责负责|按职能分工负责|分工负责|分别负责|"
                               r"共同负责|负责落实|配合落实|配合实施|配合|协助|协办|参与|参加)$")),
    ("sole", re.compile(r"(?:具体负责|负责)$")),
)
YEARLESS_RE = re.compile(r"^(?:力争|确保)?(?:在|于|到)?(?P<month>1[0-2]|0?[1-9])\s*月\s*(?:(?P<day>[12]\d|3[01]|0?[1-9])\s*日)?"
                         r"(?:底|末|份|中旬|上旬|下旬)?(?:前|以前|之前)?")
ONGOING_RE = re.compile(r"长期|持续|常态化|按年度|每年|年度|逐年|根据.{0,8}(?:安排|部署|要求|进度)")
DATE_START_RE = re.compile(r"(?:19|20)\d{2}\s*年")


DEADLINE_CUE = re.compile(r"月|底|前|末|季度|完成|之内|以内")


def deadline_like(norm_segment: str) -> bool:
    """True for a printed commitment date or kind: 2022年6月底前, 6月底完成, 持续推进, 根据省统一安排.

    A bare year or a span of years (2022年, 2018—2020年) is not: in brackets it is part of a title.
    """
    s = re.sub(r"\s+", "", norm_segment)
    if not s:
        return False
    if DATE_START_RE.match(s):
        return bool(DEADLINE_CUE.search(s))
    m = YEARLESS_RE.match(s)
    if m and m.group("month"):
        return True
    return bool(ONGOING_RE.match(s)) and len(s) <= 16


@dataclass
class Clause:
    """What a unit clause or a set of field lines says: unit pieces per role, deadline texts."""

    units: dict[str, list[tuple[str, int]]] = field(default_factory=lambda: {"lead": [], "responsible": []})
    deadlines: list[tuple[str, int]] = field(default_factory=list)  # (raw text, line)
    first_is_lead: bool = False  # the clause itself carries 第一责任单位为牵头单位
    leftovers: list[tuple[str, int]] = field(default_factory=list)  # text it could not place
    unknown_role: str = ""  # a role word the extractor does not know (牵头卖力): no unit is drafted from it

    def empty(self) -> bool:
        return not (self.units["lead"] or self.units["responsible"] or self.deadlines)


def _strip_seps(raw: str, norm: str) -> tuple[str, str]:
    end = len(norm)
    while end and norm[end - 1] in SEPARATORS + PAD + "、":
        end -= 1
    start = 0
    while start < end and norm[start] in SEPARATORS + PAD + "、":
        start += 1
    return raw[start:end], norm[start:end]


def _value(clause: Clause, role: str, raw: str, norm: str, line: int) -> None:
    """A labelled value: units (whose last segment may be a deadline) or a deadline."""
    raw, norm = _strip_seps(raw, norm)
    if not norm:
        return
    m = re.search(r"[（(〔【\[]\s*" + FIRST_IS_LEAD.pattern + r"[^）)〕】\]]*[）)〕】\]]", norm)
    if m is None:
        m2 = FIRST_IS_LEAD.search(norm)
        if m2 and m2.start() > 0 and norm[m2.start() - 1] in "，,；;":
            m = m2
    if m:
        clause.first_is_lead = True
        raw, norm = _strip_seps(raw[:m.start()] + raw[m.end():], norm[:m.start()] + norm[m.end():])
    if role == "deadline":
        clause.deadlines.append((raw, line))
        return
    if role == "person":
        return
    spans = split_depth0(norm, ",，;；。")
    # a deadline printed after the units, in the same field: (责任单位:A、B,6月底完成)
    while spans and deadline_like(norm[spans[-1][0]:spans[-1][1]]) and len(spans) > 1:
        s, e = spans.pop()
        clause.deadlines.insert(0, (raw[s:e].strip(PAD), line))
    for s, e in spans:
        piece = raw[s:e]
        if piece.strip(PAD):
            clause.units[role].append((piece, line))


def parse_labelled(raw: str, norm: str, line: int, clause: Clause | None = None) -> Clause | None:
    """Fields of a clause with labels (牵头单位：A；责任单位：B；完成时限：C); None if it has none."""
    matches = list(LABEL_RE.finditer(norm))
    if not matches:
        return None
    clause = clause or Clause()
    head_raw, head_norm = _strip_seps(raw[:matches[0].start()], norm[:matches[0].start()])
    if head_norm:
        parse_national(head_raw, head_norm, line, clause)
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(norm)
        _value(clause, label_role(m.group("label")), raw[m.end():end], norm[m.end():end], line)
    return clause


def parse_national(raw: str, norm: str, line: int, clause: Clause | None = None,
                   first_is_lead: bool = False) -> Clause | None:
    """A clause without labels: ``A、B牵头，C、D按职责分工负责`` / ``A负责`` / ``A牵头，B配合``.

    Units printed without a role word take the role of the next segment that has one
    (``A，B按职责分工负责``: both responsible).  Returns None when no segment names a role
    and none is a deadline (the brackets hold something else: ``(2018—2020年)``, ``(国令第722号)``).
    """
    out = clause or Clause()
    pending: list[tuple[str, int]] = []
    found_role = found_deadline = False
    segments = split_depth0(norm, ",，;；。")
    for s, e in segments:
        seg_raw, seg = raw[s:e], norm[s:e]
        seg_raw, seg = _strip_seps(seg_raw, seg)
        if not seg:
            continue
        if FIRST_IS_LEAD.search(seg):
            out.first_is_lead = True
            continue
        if deadline_like(seg):
            out.deadlines.append((seg_raw, line))
            found_deadline = True
            continue
        for role, regex in ROLE_SUFFIXES:
            m = regex.search(seg)
            if m:
                names_raw = seg_raw[:m.start()]
                if role == "sole":
                    role = "responsible" if out.units["lead"] or found_role else "lead"
                for piece in pending:
                    out.units[role].append(piece)
                pending = []
                if names_raw.strip(PAD):
                    out.units[role].append((names_raw, line))
                found_role = True
                break
        else:
            pending.append((seg_raw, line))
    if not found_role and not (found_deadline and not pending):
        if not found_role and (first_is_lead or out.first_is_lead) and pending and not found_deadline:
            out.units["responsible"].extend(pending)  # 列第一位的为牵头单位 in force: a bare list of units
            return out
        return None if clause is None else clause
    if pending:
        out.leftovers.extend(pending)
    return out


UNIT_HINT = re.compile(r"[局委办厅部府室院会司处所行队站心团社校馆网区县市镇街]|单位|部门|政府")

# 牵头 or 按职责分工 followed by a word that is no role word this reader knows: 牵头卖力, 按职责分工卖力
# (a mirror site that swaps words for synonyms prints 卖力 for 负责).  The bracket is a unit clause, so it is
# not part of the task text, but which role the word gives is not certain: no unit is drafted from it.
# The word is a verb of two characters; a bracket that only mentions a lead is no unit clause: (含市级牵头项目),
# (以下简称市牵头办), (鼓励社会资本牵头投资).  So the names must end as a unit's name does (局, 委, 政府, 部门, …)
# and the word must be none of the nouns that follow 牵头 in running text.
UNKNOWN_ROLE = re.compile(r"(?:牵头|按(?:照)?职[责能]分工|分工)(?P<word>[\u4e00-\u9fff]{2})$")
UNIT_END = re.compile(r"(?:" + UNIT_HINT.pattern + r")等?$")
NOT_A_ROLE_WORD = re.compile(r"^(?:项目|事项|部门|单位|处室|作用|工作|任务|机制|制度|领域|范围|资金|企业)$")
NOT_NAMES = re.compile(r"^(?:以下简称|下称|简称|含|包括|包含|即|如)")


def unknown_role_clause(norm: str) -> str:
    """The role word of a bracket's content that reads as a unit clause ending in 牵头 or 按职责分工 plus a word
    the extractor does not know (``A牵头卖力``); '' for anything else."""
    segs = [norm[s:e].strip(PAD + "、") for s, e in split_depth0(norm, ",，;；。")]
    segs = [x for x in segs if x]
    if not segs:
        return ""
    m = UNKNOWN_ROLE.search(segs[-1])
    if not m or any(regex.search(segs[-1]) for _, regex in ROLE_SUFFIXES) or NOT_A_ROLE_WORD.match(m.group("word")):
        return ""
    names = "".join(segs[:-1]) + segs[-1][:m.start()]
    names = re.sub(r"\s+", "", names)
    return m.group("word") if UNIT_END.search(names) and not NOT_NAMES.match(names) else ""


def parse_clause(raw: str, norm: str, line: int, first_is_lead: bool = False) -> Clause | None:
    """A bracketed clause's content: labelled or national; None if it is not a unit clause."""
    clause = parse_labelled(raw, norm, line)
    if clause is not None:
        return clause
    clause = parse_national(raw, norm, line, first_is_lead=first_is_lead)
    if clause is not None and clause.units["responsible"] and not (clause.units["lead"]) and first_is_lead:
        return clause
    if clause is not None and not clause.empty():
        # a bare unit list must at least look like units
        names = "".join(n for n, _ in clause.units["lead"] + clause.units["responsible"])
        if names and not UNIT_HINT.search(matching_form(names)):
            return None
    return clause


def trailing_clauses(raw: str, norm: str, line_of, first_is_lead: bool = False):
    """Unit clauses at the end of a paragraph, last first: [(start offset, Clause)].

    Also reports an unclosed clause (the source cut inside it) as (start, None).
    """
    out = []
    end = len(norm)
    while True:
        while end and norm[end - 1] in PAD + "\n。；;，,":
            end -= 1
        if not end or norm[end - 1] not in CLOSERS:
            break
        group = trailing_group(norm, end)
        if group is None:
            break
        start, stop = group
        content_norm, content_raw = norm[start + 1:stop - 1], raw[start + 1:stop - 1]
        clause = parse_clause(content_raw, content_norm, line_of(start + 1), first_is_lead)
        if clause is None and (word := unknown_role_clause(content_norm)):
            clause = Clause(unknown_role=word)
        elif clause is None or clause.empty() and not clause.first_is_lead:
            break
        out.append((start, clause, content_raw))
        end = start
    if not out:
        # a clause opened and never closed: the source is cut inside it
        depth, last_open = 0, None
        for i, ch in enumerate(norm):
            if ch in OPENERS:
                depth += 1
                if depth == 1:
                    last_open = i
            elif ch in CLOSERS and depth:
                depth -= 1
        if depth and last_open is not None:
            tail = norm[last_open + 1:]
            if LABEL_RE.search(tail) or parse_national(raw[last_open + 1:], tail, 0) is not None \
                    or (UNIT_HINT.search(tail) and len(tail) < 120 and "。" not in tail):
                out.append((last_open, None, raw[last_open + 1:]))
    return out


def field_line(norm: str) -> tuple[str, int] | None:
    """``责任单位：…`` (or ``【责任单位】…``, ``责任单位 …``) on a line of its own: (role, offset of the value)."""
    for regex in FIELD_LINE_RES:
        m = regex.match(norm)
        if m and norm[m.end():].strip(PAD):
            return label_role(m.group("label")), m.end()
    return None


# --- closing lines -------------------------------------------------------------------------------------

# The lines a document prints after its last task: the issuer's name, the date, the attachment list,
# the copy list (抄送) and the printing note (印发).  A line is read without spaces or inserted pinyin.
_CN_DIGIT = "〇○零一二三四五六七八九十"
CLOSING_DATE = re.compile(rf"(?:(?:19|20)\d{{2}}|[{_CN_DIGIT}]{{4}})年(?:(?:1[0-2]|0?[1-9]|[{_CN_DIGIT}]{{1,2}})月"
                          rf"(?:(?:[12]\d|3[01]|0?[1-9]|[{_CN_DIGIT}]{{1,3}})日)?)(?:印发|发布|印)?")
# an issuer: a name with a place level in it, ending as an issuing body's name does
CLOSING_ISSUER = re.compile(r"(?:中共)?[\u4e00-\u9fffXＸ×*＊]{0,16}(?:省|市|县|区|州|旗|盟|镇|乡|街道|自治区|开发区|新区)"
                            r"[\u4e00-\u9fff]{0,20}(?:人民政府|政府|办公室|办公厅|委员会|管委会|管理委员会|领导小组|指挥部"
                            r"|工作专班|党委|委|局|厅|办)")
CLOSING_START = re.compile(r"(?:附件|抄送|印发)(?:\d{1,2}|[:：∶]|$)|[（(]此件(?:公开发布|主动公开|依申请公开|不予公开)[）)]$")
# a line that ends so that the next one must go on with it is no line before a closing line
CONTINUES = tuple("、，,：:；;（(“‘《-—和与及同由向对在于把将从经按到至为是的")


def closing_kind(line: str) -> str:
    """``"list"`` for a line opening an attachment, copy or printing list (附件：, 抄送：, 印发), ``"line"`` for an
    issuer's name or a date alone on a line (or both), ``""`` for any other line."""
    form = re.sub(r"\s+", "", compact_form(line.strip(PAD + "\r"))[0])
    if not form:
        return ""
    if CLOSING_START.match(form):
        return "list"
    words = [w for w in re.split(r"[ \t\u3000\u00a0]+", compact_form(line.strip(PAD + "\r"))[0]) if w]
    if words and all(CLOSING_DATE.fullmatch(w) or CLOSING_ISSUER.fullmatch(w) for w in words):
        return "line"
    return ""


def closing_block(lines: list[str]) -> int | None:
    """The number of the first of the closing lines that end a document; None when it ends otherwise.

    From there to the end every non-empty line is an issuer, a date, or a list opened by 附件/抄送/印发 and the
    list's own short lines (at most :data:`CLOSING_MAX` lines in all).  The line before must not end in a mark or
    a word that goes on on the next line (``…由`` ``…、``): a short line of a wrapped sentence stays with it.
    """
    tail = []  # (line number, kind), last first
    for no in range(len(lines), 0, -1):
        text = lines[no - 1].strip(PAD + "\r")
        if not text:
            continue
        kind = closing_kind(text)
        if not kind and (len(text) > 40 or "。" in text[:-1] or "；" in text or ";" in text):
            break
        tail.append((no, kind))
        if len(tail) > CLOSING_MAX:
            return None
    tail.reverse()
    for i, (first, kind) in enumerate(tail):
        if not kind:
            continue
        opened = False
        for _, k in tail[i:]:
            opened = opened or k == "list"
            if not k and not opened:
                break  # a line that is neither closing nor in a list
        else:
            prev = next((lines[no - 1].strip(PAD + "\r") for no in range(first - 1, 0, -1)
                         if lines[no - 1].strip(PAD + "\r")), "")
            if not prev.endswith(CONTINUES):
                return first
    return None


CLOSING_MAX = 12


# --- deadlines ----------------------------------------------------------------------------------------


def without_pinyin(text: str) -> str:
    """The printed text without the pinyin a mirror site inserted after its characters: 2022年(nián)6月 -> 2022年6月."""
    return PINYIN.sub("", text) if "(" in text else text


def parse_printed(raw: str) -> tuple[Deadline, str]:
    """One commitment read as :func:`bizenv.deadlines.parse_segment` reads it, on the text without inserted pinyin.

    ``2022年(nián)6月(yuè)底前`` is the end of June 2022, not of the year 2022 (the pinyin would end the date
    after 年); the raw text stays as printed, and where the printed text would read as another date the note says
    so, for a curator to check.
    """
    as_printed = parse_segment(raw)
    plain = without_pinyin(as_printed.raw_text)
    if plain == as_printed.raw_text:
        return as_printed, ""
    read = parse_segment(plain)
    d = Deadline(as_printed.raw_text, read.kind, read.due_date, read.precision, read.milestone)
    note = ""
    if (as_printed.kind, as_printed.due_date, as_printed.precision) != (d.kind, d.due_date, d.precision):
        note = (f"Printed with pinyin inside the date ({d.raw_text}): read without the pinyin as {plain}; "
                "check against the source.")
    return d, note


def deadline_rows(raw: str, year: int | None) -> list[tuple[Deadline, str]]:
    """Parse a deadline text into (Deadline, note) commitments; a yearless month takes ``year``.

    A text that names no date and no ongoing kind is kept as printed (kind none) with a
    note asking for a hand reading: the validator flags it until a curator reads it.
    """
    out = []
    for d in parse_cell(raw):
        d, note = parse_printed(d.raw_text) if d.raw_text else (d, "")
        if d.kind == "none" and d.raw_text:
            plain = without_pinyin(d.raw_text)
            norm = matching_form(plain)
            m = YEARLESS_RE.match(norm)
            if m and m.group("month") and year:
                month = int(m.group("month"))
                day = int(m.group("day")) if m.group("day") else None
                due, precision = period_end(year, month, day, None)
                milestone = plain[m.end():].strip(PAD) or None
                d = Deadline(d.raw_text, "fixed", due, precision, milestone)
                note = (f"Printed without a year ({d.raw_text}): read as {year}, the document's year; "
                        "check against the source.")
            elif ONGOING_RE.search(re.sub(r"\s+", "", norm)):
                squeezed = re.sub(r"\s+", "", norm)
                d = Deadline(d.raw_text, "per_superior" if squeezed.startswith("根据") else "ongoing")
            else:
                note = "Deadline text not recognised as a date or an ongoing commitment: read it by hand."
        out.append((d, note))
    return out


# --- table headers ------------------------------------------------------------------------------------

HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "序"),
    "task": ("重点任务", "工作任务", "主要任务", "具体任务", "工作措施", "具体措施", "主要措施", "改革举措", "改革事项",
             "任务内容", "工作内容", "重点工作", "政策措施", "工作举措", "任务举措", "举措", "措施", "任务", "事项", "内容",
             "工作目标", "目标任务", "具体内容", "政策内容"),
    "lead": LABELS["lead"],
    "responsible": LABELS["responsible"] + ("责任单位（部门）", "对口部门", "实施单位", "承办单位"),
    "deadline": LABELS["deadline"],
    "notes": ("备注", "说明"),
    "person": LABELS["person"],
}


def header_role(cell: str) -> str:
    """The column a header cell names (by its label), or ''."""
    text = re.sub(r"[\s\u3000]+", "", matching_form(cell))
    if not text or len(text) > 12:
        return ""
    for role in ("lead", "responsible", "deadline", "person", "seq", "notes", "task"):
        for word in HEADER_WORDS[role]:
            if text == word or (role != "seq" and text.startswith(word) and len(text) <= len(word) + 6):
                return role
    return ""

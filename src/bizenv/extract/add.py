"""``bizenv add FILE --id DOCUMENT_ID``: register a new source document as ``pending``.

The source is copied into ``sources/`` byte for byte under the name
``NNN_<first 16 hex digits of its SHA-256>.txt`` (NNN: the next free three-digit number
after the highest one in ``sources/``), its SHA-256 is recorded, the title line and the
layout are detected, and one row is appended to ``data/documents.csv`` with
``curation_status = pending``.  Other rows of documents.csv are left byte for byte as they
were.  All or nothing: if the row cannot be written, the copied source is removed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from . import MAX_SOURCE_BYTES, ExtractError, decode_source, detect_layout

ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
TITLE_WORDS = re.compile(r"(方案|意见|措施|通知|计划|要点|清单|办法|规定|细则|分工|总结|报告|决定|条例|若干|任务)")
ADMIN_LEVELS = ("province", "prefecture", "county", "district", "development_zone")
DOC_TYPES = ("responsibility_table", "implementation_plan", "task_list", "work_summary")


class AddError(Exception):
    """A refusal: the message says what is wrong and how to fix it; ``code`` is the exit code."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


@dataclass
class Added:
    source: str
    row: dict
    inferred: list[str]


def check_file(path: Path) -> bytes:
    """The bytes of a regular file no larger than the bound; AddError for anything else."""
    try:
        info = path.lstat()
    except OSError as exc:
        raise AddError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        try:
            info = path.stat()  # what the link points to
        except OSError as exc:
            raise AddError(f"{path}: a symbolic link to nothing readable ({exc.strerror or exc})") from None
        if not stat.S_ISREG(info.st_mode):
            raise AddError(f"{path}: a symbolic link to something that is not a regular file: give the text file itself")
    if stat.S_ISDIR(info.st_mode):
        raise AddError(f"{path}: a directory: give one text file")
    if not stat.S_ISREG(info.st_mode):
        raise AddError(f"{path}: not a regular file (a FIFO, socket or device): save the document as a text file")
    if info.st_size > MAX_SOURCE_BYTES:
        raise AddError(f"{path}: {info.st_size} bytes; a source may have at most {MAX_SOURCE_BYTES // 2**20} MB "
                       "(split a compilation into its documents)")
    if info.st_size == 0:
        raise AddError(f"{path}: the file is empty")
    try:
        with path.open("rb") as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise AddError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise AddError(f"{path}: more than {MAX_SOURCE_BYTES // 2**20} MB")
    return data


def detect_title(lines: list[str]) -> tuple[int, str] | None:
    """(line, title) of the document's title: the last title-like line before the first 一、 heading.

    A notice (关于印发…的通知) comes first and the document's own title just before its
    body, so the last candidate wins; a title broken over two lines starts on the first.
    """
    from .recognize import matching_form, numbering

    stop = len(lines)
    for i, line in enumerate(lines):
        num = numbering(matching_form(line))
        if num and num.style in ("cn_comma", "article"):
            stop = i
            break
    candidates = []
    for i in range(min(stop, 80)):
        text = lines[i].strip(" \t\u3000\r")
        norm = matching_form(text)
        if 6 <= len(text) <= 80 and TITLE_WORDS.search(norm) and not norm.endswith(("。", ":", "：")) \
                and not re.search(r"[，,。]", norm[:-1]):
            candidates.append(i)
    if not candidates:
        return None
    i = candidates[-1]
    return i + 1, lines[i].strip(" \t\u3000\r")


def title_continues(lines: list[str], line: int) -> int | None:
    """The line before ``line`` when the title looks broken over the two (a short line without punctuation)."""
    j = line - 2
    while j >= 0 and not lines[j].strip(" \t\u3000\r"):
        j -= 1
    prev = lines[j].strip(" \t\u3000\r") if j >= 0 else ""
    if prev and line - 1 - j <= 2 and len(prev) < 30 and not re.search(r"[，,。:：〔〕\d]", prev) \
            and not TITLE_WORDS.search(prev):
        return j + 1
    return None


PLACE = re.compile(r"^(?P<place>[\u4e00-\u9fff]{1,10}?(?:自治州|自治县|省|市|县|区|州|旗|盟))")
LEVEL_OF_SUFFIX = (("省", "province"), ("自治州", "prefecture"), ("州", "prefecture"), ("盟", "prefecture"),
                   ("市", "prefecture"), ("自治县", "county"), ("县", "county"), ("旗", "county"), ("区", "district"))


def guess_place(title: str, lines: list[str]) -> str | None:
    """The jurisdiction a title or an issuing line names first (厦门市…, 湘西自治州…, 咸安区人民政府)."""
    from .recognize import matching_form

    candidates = [title] + [line.strip(" \t\u3000\r") for line in lines[:40]
                            if re.search(r"(人民政府|政府办公室|政府办公厅)", matching_form(line))]
    for text in candidates:
        m = PLACE.match(matching_form(text))  # 普陀區 is recognized as 普陀区, the name as the corpus writes it
        if m and not re.match(r"^(关于|印发|进一步|深化|优化|省人民|市人民|县人民|区人民)", m.group("place")):
            return m.group("place")
    return None


def guess_doc_type(title: str) -> str:
    from .recognize import matching_form

    t = matching_form(title)
    if "总结" in t or "报告" in t and "工作报告" not in t:
        return "work_summary"
    if "清单" in t:
        return "task_list"
    if "分工" in t or "责任分解" in t:
        return "responsibility_table"
    return "implementation_plan"


def _next_source_name(sources: Path, sha: str) -> str:
    numbers = [int(m.group(1)) for p in sources.iterdir() if (m := re.match(r"(\d{3})_", p.name))] \
        if sources.is_dir() else []
    return f"{max(numbers, default=-1) + 1:03d}_{sha[:16]}.txt"


def add(pkg, file: Path, document_id: str, meta: dict) -> Added:
    """Register ``file`` as document ``document_id``; ``meta`` holds the options given (None = infer).

    Package files go through the path gate (:mod:`bizenv.paths`): documents.csv must be a
    regular file inside the package, and the new source a new file inside ``sources/``.
    """
    from ..package import PackageError, spell_booleans
    from ..paths import PathRefused, package_file

    root = pkg.root
    if not ID_RE.fullmatch(document_id):
        raise AddError(f"--id {document_id!r}: a document id is lowercase ASCII words joined by '-', "
                       "jurisdiction and year (e.g. xiamen-2019)", 2)
    data = check_file(file)
    try:
        lines = decode_source(data, str(file))
    except ExtractError as exc:
        raise AddError(str(exc)) from None
    sha = hashlib.sha256(data).hexdigest()
    try:
        docs_path = pkg.path("documents")
        raw_csv = docs_path.read_bytes()
    except PackageError as exc:
        raise AddError(str(exc)) from None
    except OSError as exc:
        raise AddError(f"{pkg.relpath('documents')}: cannot be read: {exc.strerror or exc}") from None
    text_csv = raw_csv.decode("utf-8", errors="replace")
    reader = csv.DictReader(io.StringIO(text_csv, newline=""))
    fields = reader.fieldnames or []
    existing = []
    for row in reader:
        n = reader.line_num  # the line the row ends on
        existing.append(row)
        if row.get("document_id") == document_id:
            raise AddError(f"data/documents.csv, line {n}: document {document_id!r} is already registered "
                           "(choose another --id)")
        if row.get("source_sha256") == sha:
            raise AddError(f"data/documents.csv, line {n}: this file is already the source of "
                           f"{row.get('document_id')!r} ({row.get('source_file')})")
    sources = root / "sources"
    name = _next_source_name(sources, sha)
    try:  # a new file inside the package's own sources/ folder (not a link leading elsewhere)
        target = package_file(root, f"sources/{name}", "new source file", must_exist=False)
    except PathRefused as exc:
        raise AddError(str(exc)) from None
    if not sources.is_dir() or sources.is_symlink() or target.parent != sources.resolve():
        raise AddError(f"sources/ must be a folder of the package itself (not a link): {sources}")

    inferred = []
    title = meta.get("title")
    title_line = meta.get("title_line")
    if title:  # a title given must be printed on its line
        if title_line is None:  # the line that is the title, else the first that holds it
            title_line = next((i for i, line in enumerate(lines, start=1) if line.strip(" \t\u3000\r") == title),
                              next((i for i, line in enumerate(lines, start=1) if title in line), None))
        if title_line is None or not (1 <= title_line <= len(lines)) or title not in lines[title_line - 1]:
            raise AddError(f"--title {title!r} is not printed verbatim on "
                           + (f"line {title_line}" if title_line else "any line") + " of the file: give the title "
                           "as printed on one line (and --title-line N)", 2)
    else:
        title_found = detect_title(lines) if title_line is None else (
            (title_line, lines[title_line - 1].strip(" \t\u3000\r")) if 1 <= title_line <= len(lines) else None)
        if title_found:
            title_line, title = title_found
            inferred.append(f"title (line {title_line}): {title}")
            before = title_continues(lines, title_line)
            if before:
                inferred.append(f"the title may begin on line {before} ({lines[before - 1].strip()}): the row "
                                f"holds line {title_line} only, as the validator checks one line; say so in notes")
    layout = meta.get("layout") or "auto"
    from . import LAYOUTS

    if layout != "auto" and layout not in LAYOUTS:
        raise AddError(f"--layout {layout!r}: one of {', '.join(LAYOUTS)}, or auto", 2)
    if layout == "auto":
        layout = detect_layout(lines)
        inferred.append(f"layout: {layout}")
    year = meta.get("year")
    issued = meta.get("issued_date") or ""
    if not year:
        m = re.match(r"((?:19|20)\d{2})-", issued) or re.search(r"-((?:19|20)\d{2})$", document_id) \
            or re.search(r"((?:19|20)\d{2})年", title or "")
        if m:
            year = int(m.group(1))
            inferred.append(f"year: {year}")
    if not meta.get("jurisdiction"):
        place = guess_place(title or "", lines)
        if place:
            meta = {**meta, "jurisdiction": place}
            inferred.append(f"jurisdiction: {place} (from the title or the issuing line)")
    if meta.get("jurisdiction") and not meta.get("province"):
        known = next((r for r in existing if r.get("jurisdiction") == meta["jurisdiction"] and r.get("province")), None)
        if known or meta["jurisdiction"].endswith("省"):
            meta = {**meta, "province": known["province"] if known else meta["jurisdiction"]}
            inferred.append(f"province: {meta['province']}")
        if known and not meta.get("jurisdiction_en"):
            meta = {**meta, "jurisdiction_en": known.get("jurisdiction_en")}
            inferred.append(f"jurisdiction_en: {meta['jurisdiction_en']} (as documents of {meta['jurisdiction']} have it)")
    if meta.get("jurisdiction") and not meta.get("admin_level"):
        level = next((lv for suffix, lv in LEVEL_OF_SUFFIX if meta["jurisdiction"].endswith(suffix)), None)
        if level:
            meta = {**meta, "admin_level": level}
            inferred.append(f"admin_level: {level} (from the name's ending; a county-level city is 'county')")
    doc_type = meta.get("doc_type")
    if not doc_type and title:
        doc_type = guess_doc_type(title)
        inferred.append(f"doc_type: {doc_type}")
    row = {
        "document_id": document_id, "title": title or "", "title_en": meta.get("title_en") or "",
        "issuer": meta.get("issuer") or "", "jurisdiction": meta.get("jurisdiction") or "",
        "jurisdiction_en": meta.get("jurisdiction_en") or "", "province": meta.get("province") or "",
        "admin_level": meta.get("admin_level") or "", "doc_type": doc_type or "", "layout": layout,
        "merged_cells": "true" if meta.get("merged_cells") else "false", "issued_date": issued,
        "year": str(year or ""), "source_file": f"sources/{name}", "source_sha256": sha,
        "title_line": str(title_line or ""), "curation_status": "pending",
        "notes": meta.get("notes") or "Registered with bizenv add; not curated yet.",
    }
    options = {"title": "--title", "title_en": "--title-en", "jurisdiction": "--jurisdiction",
               "jurisdiction_en": "--jurisdiction-en", "province": "--province", "admin_level": "--admin-level",
               "doc_type": "--doc-type", "year": "--year", "title_line": "--title-line"}
    missing = [opt for key, opt in options.items() if not row[key]]
    if missing:
        detected = ("; detected so far: " + "; ".join(inferred)) if inferred else ""
        raise AddError("cannot infer " + ", ".join(missing) + " from the file: give them as options, e.g. "
                       "--jurisdiction 厦门市 --jurisdiction-en Xiamen --province 福建省 --admin-level prefecture "
                       "--title-en 'Measures of Xiamen ...' (documents.csv requires them)" + detected, 2)
    if row["admin_level"] not in ADMIN_LEVELS:
        raise AddError(f"--admin-level {row['admin_level']!r}: one of {', '.join(ADMIN_LEVELS)}", 2)
    if row["doc_type"] not in DOC_TYPES:
        raise AddError(f"--doc-type {row['doc_type']!r}: one of {', '.join(DOC_TYPES)}", 2)
    if issued and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", issued):
        raise AddError(f"--issued-date {issued!r}: a date as YYYY-MM-DD", 2)
    try:  # merged_cells as the schema spells true and false
        spell_booleans(pkg.fields("documents"), [row], "documents")
    except PackageError as exc:
        raise AddError(str(exc)) from None
    if set(row) - set(fields) or not fields:
        raise AddError(f"{docs_path}: its header is not the documents table's ({', '.join(fields)})")

    # write: the source first (to a temporary name, then renamed), then the row; undo the source on failure
    if target.exists():
        raise AddError(f"sources/{name} already exists: this file is already in the package")
    tmp = target.parent / f".{name}.part"
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AddError(f"sources/{name}: cannot be written: {exc.strerror or exc}") from None
    try:
        newline = "\r\n" if b"\r\n" in raw_csv.split(b"\n", 1)[0] + b"\n" else "\n"
        out = io.StringIO()
        csv.DictWriter(out, fieldnames=fields, lineterminator=newline).writerow(row)
        addition = out.getvalue().encode("utf-8")
        prefix = b"" if raw_csv.endswith(b"\n") or not raw_csv else newline.encode()
        tmp_csv = docs_path.with_name(f".{docs_path.name}.part")
        with open(tmp_csv, "wb") as f:
            f.write(raw_csv + prefix + addition)
        os.replace(tmp_csv, docs_path)
    except (OSError, ValueError) as exc:
        target.unlink(missing_ok=True)
        docs_path.with_name(f".{docs_path.name}.part").unlink(missing_ok=True)
        raise AddError(f"data/documents.csv cannot be written ({exc}); nothing was added "
                       f"(sources/{name} removed again)") from None
    return Added(f"sources/{name}", row, inferred)

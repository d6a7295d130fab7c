"""Validation findings: one record per problem, rendered as text or JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


class FindingsError(Exception):
    """A command refused to go on; ``findings`` says why, when validation did."""

    def __init__(self, message: str, findings: list["Finding"] | None = None):
        super().__init__(message)
        self.findings = findings or []


@dataclass
class Finding:
    layer: str  # structure | rules | provenance
    rule: str  # machine name of the rule
    message: str  # what is wrong, in words
    table: str | None = None
    file: str | None = None  # path relative to the package root
    row: int | None = None  # record number as Frictionless counts it: header = 1, first data row = 2
    line: int | None = None  # physical line in the file (differs from row when a cell holds line breaks)
    column: str | None = None
    key: str | None = None  # primary-key value(s) of the row
    value: str | None = None  # the offending value
    severity: str = "error"
    fatal: bool = False  # the file cannot be read as it is: checks that would only repeat this are not run

    def where(self) -> str:
        parts = [self.file or self.table or "package"]
        if self.line is not None:
            parts.append(f"line {self.line}")
        elif self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)


def escape(text: str) -> str:
    """Text from a package as a terminal may show it: control characters (NUL, ESC, ...) escaped."""
    from .paths import shown

    return shown(text)


CONTEXT = 8  # characters shown either side of a first difference


def _excerpt(text: str, at: int) -> str:
    """``text`` around index ``at``, the character there in [brackets] (or [end] past the end)."""
    before = text[max(0, at - CONTEXT):at]
    here = f"[{text[at]}]" if at < len(text) else "[end]"
    after = text[at + 1:at + 1 + CONTEXT]
    out = ("…" if at > CONTEXT else "") + before + here + after + ("…" if at + 1 + CONTEXT < len(text) else "")
    return out.replace("\n", "\\n")


def first_difference(value: str | None, source: str | None) -> str:
    """Where ``value`` stops matching ``source``, for a verbatim finding (``""`` if it cannot say).

    The longest start of the value found in the source is located; the message names the
    first character after it, with context from both and the code points of the two
    characters (look-alikes such as 。 U+3002 and ． U+FF0E differ only there).
    """
    if not value or not source:
        return ""
    lo, hi = 0, len(value)  # the longest k with value[:k] in source (a start found implies its starts are)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if value[:mid] in source:
            lo = mid
        else:
            hi = mid - 1
    k = lo
    if k == len(value):
        return ""
    if k == 0:
        return (f"; its first character {value[0]!r} (U+{ord(value[0]):04X}) is not on that line: "
                f"value {_excerpt(value, 0)}, source {_excerpt(source, 0)}")
    at = source.find(value[:k]) + k
    theirs = f"{source[at]!r} (U+{ord(source[at]):04X})" if at < len(source) else "the end of the line"
    return (f"; first difference at character {k + 1} of the value, {value[k]!r} (U+{ord(value[k]):04X}) where "
            f"the source has {theirs}: value {_excerpt(value, k)}, source {_excerpt(source, at)}")


def _short(value: str | None, width: int = 60) -> str:
    if value is None:
        return ""
    text = escape(value.replace("\n", "\\n"))
    return text if len(text) <= width else text[: width - 1] + "…"


GROUP_MIN = 4  # identical findings in one column from this many rows on are shown as one
GROUP_SHOWN = 5  # rows listed for a group


def group(findings: list[Finding]) -> list[tuple[Finding, list[Finding]]]:
    """Findings in order, identical ones (same rule, file, column, message and value) as one.

    Returns ``(first finding, all findings of its group)``; a group of fewer than
    ``GROUP_MIN`` is split back into single findings.
    """
    groups: dict[tuple, list[Finding]] = {}
    for f in findings:
        same = (f.severity, f.layer, f.rule, f.file or f.table, f.column, f.message, f.value)
        groups.setdefault(same if f.column else (id(f),), []).append(f)
    out, seen = [], set()
    for f in findings:
        same = (f.severity, f.layer, f.rule, f.file or f.table, f.column, f.message, f.value)
        members = groups.get(same if f.column else (id(f),), [f])
        if len(members) < GROUP_MIN:
            out.append((f, [f]))
        elif id(members[0]) not in seen:
            seen.add(id(members[0]))
            out.append((f, members))
    return out


def _place(f: Finding) -> str:
    where = f"line {f.line}" if f.line is not None else f"row {f.row}" if f.row is not None else "?"
    return f"{where} (key {f.key})" if f.key else where


def render_text(findings: list[Finding], summary: dict[str, int]) -> str:
    lines = []
    for f, members in group(findings):
        if len(members) == 1:
            head = f"{f.severity.upper()} [{f.layer}/{f.rule}] {f.where()}"
            if f.key:
                head += f" (key {f.key})"
        else:
            where = ", ".join(p for p in (f.file or f.table or "package", f"column {f.column}") if p)
            head = f"{f.severity.upper()} [{f.layer}/{f.rule}] {where}: {len(members):,} rows"
        lines.append(escape(head))
        detail = f"    {escape(f.message)}"
        if f.value not in (None, ""):
            detail += f" — value: {_short(f.value)!s}"
        lines.append(detail)
        if len(members) > 1:
            shown = "; ".join(_place(m) for m in members[:GROUP_SHOWN])
            more = f"; and {len(members) - GROUP_SHOWN:,} more" if len(members) > GROUP_SHOWN else ""
            lines.append(escape(f"    identical in {len(members):,} rows: {shown}{more}"))
    errors = sum(1 for f in findings if f.severity == "error")
    layers = ", ".join(f"{name}: {n}" for name, n in summary.items())
    lines.append(f"{errors} error(s) found ({layers})" if findings else f"valid ({layers})")
    return "\n".join(lines)


def render_json(findings: list[Finding], summary: dict[str, int]) -> str:
    from .paths import json_safe

    return json_safe(json.dumps(
        {
            "valid": not any(f.severity == "error" for f in findings),
            "errors": sum(1 for f in findings if f.severity == "error"),
            "layers": summary,
            "findings": [asdict(f) for f in findings],
        },
        ensure_ascii=False,
        indent=2,
    ))

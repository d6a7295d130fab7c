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


def _short(value: str | None, width: int = 60) -> str:
    if value is None:
        return ""
    text = escape(value.replace("\n", "\\n"))
    return text if len(text) <= width else text[: width - 1] + "…"


def render_text(findings: list[Finding], summary: dict[str, int]) -> str:
    lines = []
    for f in findings:
        head = f"{f.severity.upper()} [{f.layer}/{f.rule}] {f.where()}"
        if f.key:
            head += f" (key {f.key})"
        lines.append(escape(head))
        detail = f"    {escape(f.message)}"
        if f.value not in (None, ""):
            detail += f" — value: {_short(f.value)!s}"
        lines.append(detail)
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

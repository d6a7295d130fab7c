"""Draft extractors, one per source layout, and the audit that compares drafts with the corpus.

``extract(pkg, document_id)`` picks the extractor from the document's ``layout`` in
documents.csv and returns a :class:`~bizenv.extract.common.Draft`.
"""

from __future__ import annotations

from pathlib import Path

from .common import Draft

LAYOUTS = ("column_table", "inline_brackets", "inline_parentheses", "narrative")


def extract_file(path: Path, document_id: str, layout: str) -> Draft:
    if layout == "column_table":
        from .table import extract

        return extract(path, document_id)
    if layout in ("inline_brackets", "inline_parentheses"):
        from .inline import extract

        return extract(path, document_id, layout)
    if layout == "narrative":
        from .narrative import extract

        return extract(path, document_id)
    raise ValueError(f"no extractor for layout {layout!r} (known: {', '.join(LAYOUTS)})")

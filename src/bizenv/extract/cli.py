"""The ``bizenv extract`` and ``bizenv add`` commands (called from bizenv.cli)."""

from __future__ import annotations

import csv
from pathlib import Path

from . import LAYOUTS

def check_out_dir(pkg, out: Path | None, document_id: str) -> Path | str:
    """The drafts folder through the path gate (never into the corpus), or a message saying why not.

    A relative ``--out`` is taken relative to the package root, as for every output.
    """
    from ..paths import PathRefused, output_path

    try:
        folder = output_path(pkg.root, out or Path("drafts") / document_id, "--out",
                             extra=[pkg.root / "docs" / "curation.md"])
    except PathRefused as exc:
        return (f"{exc} (drafts are never written into data/, schemas/ or sources/, nor anywhere else in the "
                "corpus; choose another folder, e.g. drafts/)")
    if folder.exists() and not folder.is_dir():
        return f"--out {out}: {folder} exists and is not a folder"
    return folder


def source_of(pkg, doc: dict) -> Path | str:
    """The document's source file through the path gate; it must lie in the package's sources/ folder."""
    from ..paths import PathRefused

    rel = doc.get("source_file", "")
    try:
        path = pkg.source_path(rel, f"{pkg.relpath('documents')}: source_file of {doc.get('document_id')!r}")
    except PathRefused as exc:
        return str(exc)
    if not path.is_relative_to((pkg.root / "sources").resolve()):
        return (f"data/documents.csv: source_file {rel!r} of {doc.get('document_id')!r} is not a file in sources/ "
                "(only files in the package's sources/ folder are read)")
    return path


def read_documents(pkg) -> list[dict]:
    with pkg.path("documents").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def merged_cells(pkg, doc: dict) -> bool:
    """Whether the document's row says its table has merged cells, read as its Table Schema spells true."""
    from ..package import boolean_values

    field = next((f for f in pkg.fields("documents") if f["name"] == "merged_cells"), {})
    return doc.get("merged_cells") in boolean_values(field)[0]


def run_extract(pkg, document_id: str, layout: str | None, out: Path | None, fail, echo) -> None:
    from . import ExtractError, extract_file
    from .units import propose

    from ..package import PackageError, spell_booleans

    try:
        docs = read_documents(pkg)
    except PackageError as exc:
        fail(str(exc))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        fail(f"{pkg.relpath('documents')}: cannot be read: {exc}")
    doc = next((d for d in docs if d.get("document_id") == document_id), None)
    if doc is None:
        fail(f"no document {document_id!r} in {pkg.relpath('documents')} (register it first: bizenv add FILE --id ...)")
    if layout is not None and layout != "auto" and layout not in LAYOUTS:
        fail(f"--layout {layout!r}: one of {', '.join(LAYOUTS)}, or auto", 2)
    if layout is None:
        layout = doc.get("layout") or "auto"
        if layout not in LAYOUTS:
            fail(f"{pkg.relpath('documents')}: layout {layout!r} of {document_id!r} is not a known layout "
                 f"({', '.join(LAYOUTS)}); fix the row or give --layout NAME or --layout auto")
    folder = check_out_dir(pkg, out, document_id)
    if isinstance(folder, str):
        fail(folder)
    source = source_of(pkg, doc)
    if isinstance(source, str):
        fail(source)
    year = int(doc["year"]) if str(doc.get("year", "")).isdigit() else None
    try:
        draft = extract_file(source, document_id, layout, year=year, merged=merged_cells(pkg, doc))
    except ExtractError as exc:
        fail(str(exc))
    propose(pkg, draft, doc.get("jurisdiction", ""), document_id)
    columns = {name: pkg.field_names(name) for name in draft.rows if name in pkg.resources}
    for name in columns:  # true and false as each table's schema spells them
        try:
            spell_booleans(pkg.fields(name), draft.rows[name], name)
        except PackageError as exc:
            fail(str(exc))
    try:
        draft.write(folder, columns)
    except OSError as exc:
        fail(f"{folder}: cannot write the drafts: {exc.strerror or exc}")
    echo(f"drafted {', '.join(f'{len(v)} {k}' for k, v in draft.rows.items())} into {folder} "
         f"(layout {draft.layout})")
    echo(draft.coverage.summary() + f"; see {folder / 'coverage.txt'}")


def run_add(pkg, file: Path, document_id: str, meta: dict, fail, echo) -> None:
    from .add import AddError, add

    try:
        added = add(pkg, file, document_id, meta)
    except AddError as exc:
        fail(str(exc), exc.code)
    echo(f"added {document_id}: {added.source} (sha256 {added.row['source_sha256'][:16]}…), "
         f"layout {added.row['layout']}, title line {added.row['title_line']}, curation_status pending")
    for item in added.inferred:
        echo(f"  detected {item}")
    echo(f"next: bizenv extract {document_id}   (then curate the drafts; see CONTRIBUTING.md)")

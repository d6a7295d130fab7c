"""The ``bizenv extract`` and ``bizenv add`` commands (called from bizenv.cli)."""

from __future__ import annotations

import csv
from pathlib import Path

from . import LAYOUTS

PROTECTED = ("data", "schemas", "sources")


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def check_out_dir(root: Path, out: Path) -> Path | str:
    """The resolved output folder, or a message saying which rule it breaks."""
    resolved = (out if out.is_absolute() else Path.cwd() / out).resolve()
    root = root.resolve()
    for name in PROTECTED:
        if _inside(resolved, root / name):
            return (f"--out {out}: {resolved} is inside the package's {name}/ folder; drafts are never written "
                    f"into data/, schemas/ or sources/ (choose another folder, e.g. drafts/)")
    if resolved.exists() and not resolved.is_dir():
        return f"--out {out}: {resolved} exists and is not a folder"
    return resolved


def source_of(root: Path, doc: dict) -> Path | str:
    """The document's source file, which must lie in the package's sources/ folder."""
    rel = doc.get("source_file", "")
    path = (root / rel).resolve()
    if not rel or not _inside(path, (root / "sources").resolve()):
        return (f"data/documents.csv: source_file {rel!r} of {doc.get('document_id')!r} is not a file in sources/ "
                "(only files in the package's sources/ folder are read)")
    return path


def read_documents(pkg) -> list[dict]:
    with pkg.path("documents").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def run_extract(pkg, document_id: str, layout: str | None, out: Path | None, fail, echo) -> None:
    from . import ExtractError, extract_file
    from .units import propose

    try:
        docs = read_documents(pkg)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        fail(f"{pkg.relpath('documents')}: cannot be read: {exc}")
    doc = next((d for d in docs if d.get("document_id") == document_id), None)
    if doc is None:
        fail(f"no document {document_id!r} in {pkg.relpath('documents')} (register it first: bizenv add FILE --id ...)")
    layout = layout or doc.get("layout") or "auto"
    if layout != "auto" and layout not in LAYOUTS:
        fail(f"--layout {layout!r}: one of {', '.join(LAYOUTS)}, or auto", 2)
    folder = check_out_dir(pkg.root, out or pkg.root / "drafts" / document_id)
    if isinstance(folder, str):
        fail(folder)
    source = source_of(pkg.root, doc)
    if isinstance(source, str):
        fail(source)
    year = int(doc["year"]) if str(doc.get("year", "")).isdigit() else None
    try:
        draft = extract_file(source, document_id, layout, year=year, merged=doc.get("merged_cells") == "true")
    except ExtractError as exc:
        fail(str(exc))
    propose(pkg.root, draft, doc.get("jurisdiction", ""), document_id)
    columns = {name: pkg.field_names(name) for name in draft.rows if name in pkg.resources}
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
        added = add(pkg.root, file, document_id, meta)
    except AddError as exc:
        fail(str(exc), exc.code)
    echo(f"added {document_id}: {added.source} (sha256 {added.row['source_sha256'][:16]}…), "
         f"layout {added.row['layout']}, title line {added.row['title_line']}, curation_status pending")
    for item in added.inferred:
        echo(f"  detected {item}")
    echo(f"next: bizenv extract {document_id}   (then curate the drafts; see CONTRIBUTING.md)")

"""``bizenv diff OLD NEW``: rows added, removed and changed per table, by primary key.

OLD and NEW may each be a package folder (or its datapackage.json), a release zip, or a
git revision of the repository the command runs in (``main``, ``v1.2.0``, ``HEAD~3``).
Tables are compared as text, cell by cell, over whole columns (pandas merges).

Both sides are untrusted input: a revision is resolved with ``git rev-parse --verify
--end-of-options`` before anything else, so it can never be read as an option of git; a
zip is unpacked within a size bound; a resource path must stay inside its package. Every
value is escaped for the chosen output (control characters are shown as ``\\uXXXX``; in
Markdown, punctuation and HTML are escaped so that a value cannot change the page).
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
import tempfile
import unicodedata
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .package import Package, PackageError, find_package

MAX_UNPACKED = 2 * 1024**3  # bytes a zip or a git revision may unpack to
MAX_TABLE = 1024**3  # bytes of one CSV read for a diff
MAX_REF = 256  # characters of a revision name
MAX_MEMBERS = 100_000  # files a zip may hold
# Columns whose values are ids of another table, and the column that names them.
LABELS = {"unit_id": ("units", "name"), "parent_unit_id": ("units", "name"),
          "task_id": ("tasks", "text_clean"), "document_id": ("documents", "title")}
LABEL_WIDTH = 24  # characters of a task text or title shown beside its id


class DiffError(Exception):
    pass


@dataclass
class TableDiff:
    table: str
    key: list[str]
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, str, str, str]] = field(default_factory=list)  # key, column, old, new
    names: dict[str, str] = field(default_factory=dict)  # a key or an id shown -> its name

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass
class Snapshot:
    """Everything a diff needs from one side, read while its folder exists."""

    tables: list[str]
    keys: dict[str, list[str]]
    frames: dict


def visible(text: str) -> str:
    """``text`` with control, format and unassigned characters written as ``\\uXXXX`` (newline as ``\\n``)."""
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\\n")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"):
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return "".join(out)


# Markdown's active characters (emphasis, code, links, autolinks, tables, HTML, mentions); a value
# never starts a line (line breaks are escaped), so list and heading markers need no escape.
_MD_PUNCT = re.compile(r"([!#()*+.:@\[\\\]_`{|}~])")


def md_escape(text: str) -> str:
    """A value as inert Markdown text: no formatting, link, HTML, table cell break or mention."""
    text = _MD_PUNCT.sub(r"\\\1", visible(text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace(
        "'", "&#39;")


def _shown(ref: str) -> str:
    ref = visible(ref)
    return ref if len(ref) <= 80 else ref[:79] + "…"


@contextmanager
def materialize(ref: str, repo: Path):
    """A folder holding the package named by ``ref`` (a folder, a zip or a git revision)."""
    path = Path(ref)
    if ref and (path.is_dir() or path.name == "datapackage.json"):
        yield find_package(path)
        return
    with tempfile.TemporaryDirectory(prefix="bizenv-diff-") as tmp:
        if ref and path.is_file() and zipfile.is_zipfile(path):
            _unzip(path, Path(tmp), ref)
            found = sorted(Path(tmp).rglob("datapackage.json"), key=lambda p: len(p.parts))
            if not found:
                raise DiffError(f"{_shown(ref)}: no datapackage.json in the zip")
            yield found[0].parent
            return
        sha = resolve_revision(ref, repo)
        out = subprocess.run(["git", "archive", "--format=tar", sha], cwd=repo, capture_output=True, check=False)
        if out.returncode != 0:
            raise DiffError(f"{_shown(ref)}: git archive failed: {visible(out.stderr.decode(errors='replace').strip())}")
        if len(out.stdout) > MAX_UNPACKED:
            raise DiffError(f"{_shown(ref)}: the revision is larger than {MAX_UNPACKED} bytes")
        with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        yield find_package(tmp)


def resolve_revision(ref: str, repo: Path) -> str:
    """The commit id ``ref`` names in ``repo``, checked before git sees it as anything but a revision."""
    if not ref or len(ref) > MAX_REF or any(unicodedata.category(ch) == "Cc" for ch in ref):
        raise DiffError(f"{_shown(ref)!r}: not a package folder, a release zip or a git revision")
    out = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
                         cwd=repo, capture_output=True, text=True, check=False)
    sha = out.stdout.strip()
    if out.returncode != 0 or not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", sha):
        hint = " (an option? git arguments are not accepted here)" if ref.startswith("-") else ""
        raise DiffError(f"{_shown(ref)}: not a package folder, a release zip or a git revision of {repo}{hint}")
    return sha


def _unzip(path: Path, dest: Path, ref: str) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise DiffError(f"{_shown(ref)}: the zip holds more than {MAX_MEMBERS} files")
            if sum(i.file_size for i in infos) > MAX_UNPACKED:
                raise DiffError(f"{_shown(ref)}: the zip unpacks to more than {MAX_UNPACKED} bytes")
            zf.extractall(dest)  # member names are made safe by zipfile (no absolute paths, no ..)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise DiffError(f"{_shown(ref)}: cannot unpack the zip: {visible(str(exc))}") from None


def _table_path(pkg: Package, name: str) -> Path:
    """The table's file, through the package's path gate (bizenv.paths) and schema checks."""
    problems = [f for f in pkg.problems if f.table in (name, None)]
    if problems:
        raise DiffError(f"{pkg.root / 'datapackage.json'}: {visible(problems[0].message)}; not read")
    try:
        return pkg.path(name)
    except PackageError as exc:
        raise DiffError(visible(str(exc))) from None


def read_snapshot(root: Path) -> Snapshot:
    import pandas as pd

    pkg = Package.open(root)
    resources = pkg.descriptor["resources"]
    if not all(isinstance(r, dict) and isinstance(r.get("name"), str) for r in resources):
        raise DiffError(f"{root / 'datapackage.json'}: every resource needs a name")
    names = pkg.table_names
    keys, frames = {}, {}
    for name in names:
        path = _table_path(pkg, name)
        try:
            keys[name] = [str(k) for k in pkg.primary_key(name)]
        except (PackageError, AttributeError, TypeError) as exc:
            raise DiffError(f"{visible(str(exc))}") from None
        if not path.exists():
            frames[name] = None
            continue
        if not path.is_file():
            raise DiffError(f"{path}: not a regular file; not read")
        size = path.stat().st_size
        if size > MAX_TABLE:
            raise DiffError(f"{path}: larger than {MAX_TABLE} bytes; not read")
        try:
            frames[name] = (pd.read_csv(path, dtype="str", keep_default_na=False, encoding="utf-8")
                            if size else None)
        except (UnicodeDecodeError, ValueError, OSError, pd.errors.ParserError) as exc:
            raise DiffError(f"{path}: cannot be read as a UTF-8 CSV ({visible(str(exc).splitlines()[0])}); "
                            "bizenv normalize brings a file back to UTF-8") from None
        missing = [k for k in keys[name] if frames[name] is not None and k not in frames[name].columns]
        if missing:
            raise DiffError(f"{path}: no column {missing[0]!r} of the primary key")
    return Snapshot(names, keys, frames)


def diff(old_ref: str, new_ref: str, repo: Path) -> list[TableDiff]:
    """Every table of both sides, compared; read each side while its (temporary) folder exists."""
    try:
        with materialize(old_ref, repo) as old_root:
            old = read_snapshot(old_root)
        with materialize(new_ref, repo) as new_root:
            new = read_snapshot(new_root)
    except PackageError as exc:
        raise DiffError(visible(str(exc))) from None
    labels = _labels(old, new)
    out = []
    for name in dict.fromkeys([*new.tables, *old.tables]):
        key = new.keys[name] if name in new.keys else old.keys[name]
        out.append(_compare(name, key, old.frames.get(name), new.frames.get(name), labels))
    return out


def _labels(old: Snapshot, new: Snapshot) -> dict[str, dict[str, str]]:
    """{id column: {id: name}} from both sides (the new name wins)."""
    out: dict[str, dict[str, str]] = {}
    for column, (table, name_col) in LABELS.items():
        found: dict[str, str] = {}
        for side in (old, new):
            frame, key = side.frames.get(table), side.keys.get(table) or []
            if frame is None or len(key) != 1 or key[0] not in frame.columns:
                continue
            names = next((c for c in (name_col, "text") if c in frame.columns), None)
            if names:
                found.update(zip(frame[key[0]], frame[names]))
        out[column] = {k: _short_label(v) for k, v in found.items() if v}
    return out


def _short_label(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LABEL_WIDTH else text[: LABEL_WIDTH - 1] + "…"


def _compare(name, key, a, b, labels) -> TableDiff:
    import pandas as pd

    result = TableDiff(name, key)
    empty = pd.DataFrame(columns=key, dtype="str")
    a = empty if a is None else a
    b = empty if b is None else b
    keystr = lambda f: f[key].astype("str").agg(", ".join, axis=1) if len(f) else pd.Series([], dtype="str")  # noqa: E731
    a = a.assign(_key=keystr(a)).drop_duplicates("_key")
    b = b.assign(_key=keystr(b)).drop_duplicates("_key")
    merged = a.merge(b, on="_key", how="outer", suffixes=("_old", "_new"), indicator=True)
    result.added = sorted(merged.loc[merged["_merge"] == "right_only", "_key"])
    result.removed = sorted(merged.loc[merged["_merge"] == "left_only", "_key"])
    both = merged[merged["_merge"] == "both"]
    columns = [c for c in b.columns if c in a.columns and c not in key and c != "_key"]
    for column in columns:
        old, new = both[f"{column}_old"].fillna(""), both[f"{column}_new"].fillna("")
        for k, o, n in zip(both.loc[old != new, "_key"], old[old != new], new[old != new]):
            result.changed.append((k, column, o, n))
            if column in labels:
                for value in (o, n):
                    if value in labels[column]:
                        result.names[value] = labels[column][value]
    for column in [c for c in b.columns if c not in a.columns and c != "_key"]:
        result.changed.append(("(all rows)", column, "(column absent)", "(column added)"))
    for column in [c for c in a.columns if c not in b.columns and c != "_key"]:
        result.changed.append(("(all rows)", column, "(column present)", "(column removed)"))
    result.changed.sort()
    # a row's key is named by the first key column that is an id of a named table (task text, unit
    # name), else by the task the row belongs to (a target by its task's text)
    named = [k for k in key if k in labels] or [k for k in ("task_id",) if k in a.columns or k in b.columns]
    if named:
        rows = {}
        for frame in (a, b):
            if len(frame) and named[0] in frame.columns:
                rows.update(zip(frame["_key"], frame[named[0]]))
        for k in {*result.added, *result.removed, *(c[0] for c in result.changed)}:
            label = labels[named[0]].get(rows.get(k, ""))
            if label:
                result.names[k] = label
    return result


def rows(diffs: list[TableDiff]) -> tuple[list[str], list[tuple]]:
    """One row per change, for csv output."""
    columns = ["table", "change", "key", "name", "column", "old", "new", "old_name", "new_name"]
    out = []
    for d in diffs:
        out += [(d.table, "added", k, d.names.get(k, ""), "", "", "", "", "") for k in d.added]
        out += [(d.table, "removed", k, d.names.get(k, ""), "", "", "", "", "") for k in d.removed]
        out += [(d.table, "changed", k, d.names.get(k, ""), c, o, n, d.names.get(o, "") if o != n else "",
                 d.names.get(n, "")) for k, c, o, n in d.changed]
    return columns, out


def render(diffs: list[TableDiff], fmt: str = "text", limit: int = 50, full: bool = False,
           show_all: bool = False) -> str:
    """Text (values clipped at 80 characters unless ``full``) or Markdown (full values, escaped).

    Only tables with changes are listed unless ``show_all``; ``limit`` rows per kind of change
    and table (0: all).
    """
    markdown = fmt == "markdown"
    full = full or markdown
    esc = md_escape if markdown else visible

    def clip(text: str, n: int = 80) -> str:
        text = esc(text)
        return text if full or len(text) <= n else text[: n - 1] + "…"

    def named(text: str, d: TableDiff) -> str:
        label = d.names.get(text)
        return f"{esc(text)} ({esc(label)})" if label else esc(text)

    def value(text: str, d: TableDiff) -> str:
        label = d.names.get(text)
        shown = (clip(text) or "(empty)") if markdown else f"'{clip(text)}'"
        return f"{shown} ({esc(label)})" if label else shown

    shown = [d for d in diffs if show_all or not d.empty]
    lines = []
    summary = [(d.table, len(d.added), len(d.removed), len({c[0] for c in d.changed})) for d in shown]
    if markdown:
        if summary:
            lines += ["| table | added | removed | changed rows |", "|---|---|---|---|"]
            lines += [f"| {esc(t)} | {a} | {r} | {c} |" for t, a, r, c in summary]
    else:
        lines += [f"{esc(t):<18} +{a:<5} -{r:<5} ~{c}" for t, a, r, c in summary]
    if not any(not d.empty for d in diffs):
        lines.append(f"No differences in {len(diffs)} tables.")
    cut = (lambda items: items) if limit <= 0 else (lambda items: items[:limit])
    for d in shown:
        if d.empty:
            continue
        lines += ["", f"### {esc(d.table)}" if markdown else f"== {esc(d.table)} (key: {', '.join(d.key)})"]
        if markdown:
            lines += [f"- added {named(k, d)}" for k in cut(d.added)]
            lines += [f"- removed {named(k, d)}" for k in cut(d.removed)]
            lines += [f"- changed {named(k, d)} {esc(c)}: {value(o, d)} → {value(n, d)}"
                      for k, c, o, n in cut(d.changed)]
        else:
            lines += [f"+ {named(k, d)}" for k in cut(d.added)]
            lines += [f"- {named(k, d)}" for k in cut(d.removed)]
            lines += [f"~ {named(k, d)} {esc(c)}: {value(o, d)} -> {value(n, d)}" for k, c, o, n in cut(d.changed)]
        hidden = 0 if limit <= 0 else sum(max(0, len(x) - limit) for x in (d.added, d.removed, d.changed))
        if hidden:
            lines.append(f"({hidden} more not shown; --limit 0 shows all)")
    return "\n".join(lines)

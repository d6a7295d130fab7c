"""``bizenv diff OLD NEW``: rows added, removed and changed per table, by primary key.

OLD and NEW may each be a package folder (or its datapackage.json), a release zip, or a
git revision of the repository the command runs in (``main``, ``v0.1.0``, ``HEAD~3``).
Tables are compared as text, cell by cell, over whole columns (pandas merges).
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .package import Package, PackageError, find_package


class DiffError(Exception):
    pass


@dataclass
class TableDiff:
    table: str
    key: list[str]
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, str, str, str]] = field(default_factory=list)  # key, column, old, new


@contextmanager
def materialize(ref: str, repo: Path):
    """A folder holding the package named by ``ref``."""
    path = Path(ref)
    if path.is_dir() or path.name == "datapackage.json":
        yield find_package(path)
        return
    with tempfile.TemporaryDirectory(prefix="bizenv-diff-") as tmp:
        if path.is_file() and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                zf.extractall(tmp)
            found = sorted(Path(tmp).rglob("datapackage.json"))
            if not found:
                raise DiffError(f"{ref}: no datapackage.json in the zip")
            yield found[0].parent
            return
        out = subprocess.run(["git", "archive", "--format=tar", ref], cwd=repo, capture_output=True, check=False)
        if out.returncode != 0:
            raise DiffError(f"{ref}: not a package folder, a release zip or a git revision "
                            f"({out.stderr.decode(errors='replace').strip().splitlines()[0] if out.stderr else ''})")
        with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        yield find_package(tmp)


def read_tables(root: Path) -> tuple[Package, dict]:
    import pandas as pd

    pkg = Package.open(root)
    frames = {}
    for name in pkg.table_names:
        path = pkg.path(name)
        frames[name] = (pd.read_csv(path, dtype="str", keep_default_na=False, encoding="utf-8")
                        if path.exists() and path.stat().st_size else None)
    return pkg, frames


def diff(old_ref: str, new_ref: str, repo: Path) -> list[TableDiff]:
    try:
        with materialize(old_ref, repo) as old_root, materialize(new_ref, repo) as new_root:
            old_pkg, old = read_tables(old_root)
            new_pkg, new = read_tables(new_root)
    except PackageError as exc:
        raise DiffError(str(exc)) from None
    out = []
    for name in dict.fromkeys([*new_pkg.table_names, *old_pkg.table_names]):
        key = (new_pkg if name in new_pkg.resources else old_pkg).primary_key(name)
        a, b = old.get(name), new.get(name)
        out.append(_compare(name, key, a, b))
    return out


def _compare(name, key, a, b) -> TableDiff:
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
    for column in [c for c in b.columns if c not in a.columns and c != "_key"]:
        result.changed.append(("(all rows)", column, "(column absent)", "(column added)"))
    for column in [c for c in a.columns if c not in b.columns and c != "_key"]:
        result.changed.append(("(all rows)", column, "(column present)", "(column removed)"))
    result.changed.sort()
    return result


def render(diffs: list[TableDiff], fmt: str = "text", limit: int = 50) -> str:
    def clip(text: str, n: int = 80) -> str:
        text = text.replace("\n", "\\n").replace("|", "\\|" if fmt == "markdown" else "|")
        return text if len(text) <= n else text[: n - 1] + "…"

    lines = []
    summary = [(d.table, len(d.added), len(d.removed), len({c[0] for c in d.changed})) for d in diffs]
    if fmt == "markdown":
        lines += ["| table | added | removed | changed rows |", "|---|---|---|---|"]
        lines += [f"| {t} | {a} | {r} | {c} |" for t, a, r, c in summary]
    else:
        lines += [f"{t:<18} +{a:<5} -{r:<5} ~{c}" for t, a, r, c in summary]
    for d in diffs:
        if not (d.added or d.removed or d.changed):
            continue
        lines += ["", f"### {d.table}" if fmt == "markdown" else f"== {d.table} (key: {', '.join(d.key)})"]
        for k in d.added[:limit]:
            lines.append(f"- added `{k}`" if fmt == "markdown" else f"+ {k}")
        for k in d.removed[:limit]:
            lines.append(f"- removed `{k}`" if fmt == "markdown" else f"- {k}")
        for k, column, old, new in d.changed[:limit]:
            lines.append(f"- changed `{k}` {column}: {clip(old)} → {clip(new)}" if fmt == "markdown"
                         else f"~ {k} {column}: {clip(old)!r} -> {clip(new)!r}")
        hidden = max(0, len(d.added) - limit) + max(0, len(d.removed) - limit) + max(0, len(d.changed) - limit)
        if hidden:
            lines.append(f"({hidden} more not shown)")
    return "\n".join(lines)

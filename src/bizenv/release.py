"""``bizenv release VERSION``: a citable, reproducible release of the corpus.

Steps: refuse a version that is not a semantic version greater than the last release
(``releases.json``) and a corpus with uncommitted changes; validate every layer; write the
version into its one place (``VERSION``) and from there into every file that carries it
(``VERSION_FILES``: ``datapackage.json``, ``CITATION.cff``, ``.zenodo.json``, the README
citation, the data dictionary); then write

* ``dist/<name>-<version>/``: the package (datapackage.json, data, schemas, sources,
  views, assertions, docs), ``parquet/<table>.parquet``, ``load_duckdb.sql`` (run it in
  that folder to get the database with its views) and ``SHA256SUMS``;
* ``dist/<name>-<version>.zip``: all of that, with fixed timestamps and sorted entries;
* ``dist/<name>-<version>.duckdb``: the ready database, for convenience.

Everything in the folder and the zip is byte-identical for the same inputs and release
date (``SOURCE_DATE_EPOCH``, else the last commit's date).  The ``.duckdb`` file is the
one exception: DuckDB stamps a random identifier into every database file's header, so
it is kept outside the folder and the zip, with its own checksum file.

All or nothing: the version is checked in full before any file is read; the new content of
every version file is computed in memory; the release is built in a staging folder inside
``dist/`` and moved into place last; any failure (or Ctrl-C) restores every file byte for byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .findings import FindingsError
from .package import Package

# The whole string, ASCII digits only, no leading zeros, at most 9 digits a part (re.fullmatch:
# ``$`` would also match before a trailing newline).
SEMVER = re.compile(r"(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})", re.ASCII)
MAX_VERSION = 32
MAX_RELEASES = 10 * 1024**2  # bytes of releases.json
CORPUS_PATHS = ["datapackage.json", "data", "schemas", "sources", "sql", "validation"]
COPY = ["datapackage.json", "data", "schemas", "sources", "sql", "validation", "README.md", "CHANGELOG.md",
        "ERRATA.md", "LICENSE", "LICENSE-DATA.md", "CITATION.cff", ".zenodo.json", "VERSION",
        "docs/data-dictionary.md", "docs/curation.md", "docs/cookbook.md", "docs/img"]
# Every file that carries the version, rewritten by each release (and checked by versions_agree).
VERSION_FILES = ["VERSION", "datapackage.json", "CITATION.cff", ".zenodo.json", "README.md",
                 "docs/data-dictionary.md"]
# The citation in README.md: "> AUTHORS (YEAR). *TITLE*, version X.Y.Z. Dataset."
README_CITATION = re.compile(r"(?m)^(> [^\n]*\()([0-9]{4})(\)\.[^\n]*\n> [^\n]*, version )([^\s]+?)(\. Dataset\.)")


class ReleaseError(FindingsError):
    pass


@dataclass
class Release:
    version: str
    folder: Path
    zip: Path
    database: Path
    files: int


def _visible(text: str) -> str:
    from .diff import visible

    text = visible(text)
    return text if len(text) <= 40 else text[:39] + "…"


def parse(version: str) -> tuple[int, int, int]:
    """(major, minor, patch) of a version string checked in full, before anything is touched."""
    if not isinstance(version, str) or len(version) > MAX_VERSION or not SEMVER.fullmatch(version):
        raise ReleaseError(f"'{_visible(str(version))}' is not a semantic version MAJOR.MINOR.PATCH "
                           "(e.g. 0.2.0: ASCII digits, no leading zeros, at most 9 digits a part)")
    return tuple(int(x) for x in SEMVER.fullmatch(version).groups())


def released(pkg: Package) -> list[dict]:
    path = pkg.root / "releases.json"
    if not path.exists():
        return []
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_RELEASES:
            raise ValueError(f"not a regular file of at most {MAX_RELEASES:,} bytes")
        history = json.loads(path.read_text(encoding="utf-8"))["releases"]
        if not isinstance(history, list) or not all(isinstance(r, dict) for r in history):
            raise ValueError("'releases' is not a list of objects")
        for r in history:
            parse(r.get("version"))
    except ReleaseError as exc:
        raise ReleaseError(f"releases.json: {exc}") from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ReleaseError(f"releases.json: cannot be read ({_visible(str(exc))}); "
                           'it must be {"releases": [{"version": ..., ...}, ...]}') from None
    return history


def dirty(pkg: Package) -> list[str]:
    """Corpus files with uncommitted changes ([] outside a git checkout)."""
    if not (pkg.root / ".git").exists():
        return []
    out = subprocess.run(["git", "status", "--porcelain", "--", *CORPUS_PATHS], cwd=pkg.root, capture_output=True,
                         text=True, check=False)
    return [line[3:] for line in out.stdout.splitlines() if line.strip()]


def release_date(pkg: Package) -> dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        if not re.fullmatch(r"[0-9]{1,11}", epoch):
            raise ReleaseError(f"SOURCE_DATE_EPOCH='{_visible(epoch)}' is not a number of seconds since 1970")
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    if (pkg.root / ".git").exists():
        out = subprocess.run(["git", "log", "-1", "--format=%cs"], cwd=pkg.root, capture_output=True, text=True,
                             check=False)
        if out.returncode == 0 and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", out.stdout.strip()):
            return dt.date.fromisoformat(out.stdout.strip())
    return dt.datetime.now(dt.timezone.utc).date()


def _read(pkg: Package, rel: str) -> str | None:
    path = pkg.root / rel
    if not path.exists() and not path.is_symlink():
        return None
    _writable(pkg, rel)
    return path.read_text(encoding="utf-8")


def _writable(pkg: Package, rel: str) -> Path:
    """A file the release may write: a regular file (or none yet) inside the package, not a link."""
    path = pkg.root / rel
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise ReleaseError(f"{rel}: a link or not a regular file; the release writes only regular files "
                           "inside the package (replace it with a plain file)")
    if not path.parent.resolve().is_relative_to(pkg.root.resolve()):
        raise ReleaseError(f"{rel}: outside the package (after resolving links)")
    return path


def version_files(pkg: Package, version: str, date: dt.date) -> dict[str, bytes]:
    """The new content of every version-bearing file, computed in memory (nothing is written)."""
    from .dictionary import render as render_dictionary

    files = {"VERSION": (version + "\n").encode()}
    descriptor = dict(pkg.descriptor, version=version)
    files["datapackage.json"] = (json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n").encode()
    cff = _read(pkg, "CITATION.cff")
    if cff is not None:
        text = re.sub(r"(?m)^version: .*$", f"version: {version}", cff)
        text = re.sub(r"(?m)^date-released: .*\n", "", text)
        text = text.replace(f"version: {version}\n", f"version: {version}\ndate-released: {date.isoformat()}\n", 1)
        files["CITATION.cff"] = text.encode()
    zen = _read(pkg, ".zenodo.json")
    if zen is not None:
        try:
            meta = json.loads(zen)
        except ValueError as exc:  # not JSON, or an integer of more than 4,300 digits
            raise ReleaseError(f".zenodo.json: not JSON ({_visible(str(exc))})") from None
        if not isinstance(meta, dict):
            raise ReleaseError('.zenodo.json: must be a JSON object ({"title": ..., ...})')
        meta.update(version=version, publication_date=date.isoformat())
        files[".zenodo.json"] = (json.dumps(meta, ensure_ascii=False, indent=2) + "\n").encode()
    readme = _read(pkg, "README.md")
    if readme is not None:
        text = README_CITATION.sub(lambda m: f"{m[1]}{date.year}{m[3]}{version}{m[5]}", readme, count=1)
        files["README.md"] = text.encode()
    if _read(pkg, "docs/data-dictionary.md") is not None:
        files["docs/data-dictionary.md"] = render_dictionary(Package(pkg.root, descriptor)).encode()
    return files


def set_version(pkg: Package, version: str, date: dt.date) -> None:
    """Write the version from its one place (VERSION) into every version-bearing file."""
    parse(version)
    with Transaction(pkg.root) as tx:
        for rel, content in version_files(pkg, version, date).items():
            tx.write(rel, content)


def versions_agree(pkg: Package) -> list[str]:
    """Files whose version differs from VERSION."""
    version = (pkg.root / "VERSION").read_text(encoding="utf-8").strip()
    wrong = []
    if pkg.descriptor.get("version") != version:
        wrong.append("datapackage.json")
    cff = pkg.root / "CITATION.cff"
    if cff.exists() and f"\nversion: {version}\n" not in cff.read_text(encoding="utf-8"):
        wrong.append("CITATION.cff")
    zen = pkg.root / ".zenodo.json"
    if zen.exists() and json.loads(zen.read_text(encoding="utf-8")).get("version") != version:
        wrong.append(".zenodo.json")
    readme = pkg.root / "README.md"
    if readme.exists():
        m = README_CITATION.search(readme.read_text(encoding="utf-8"))
        if not m or m[4] != version:
            wrong.append("README.md")
    dictionary = pkg.root / "docs" / "data-dictionary.md"
    if dictionary.exists() and f" version {version}: " not in dictionary.read_text(encoding="utf-8"):
        wrong.append("docs/data-dictionary.md")
    return wrong


class Transaction:
    """Writes and moves that are all undone, byte for byte, if anything in the block fails."""

    def __init__(self, root: Path):
        self.root = root
        self.saved: dict[Path, bytes | None] = {}  # file -> its bytes before (None: it did not exist)
        self.moved: list[tuple[Path, Path | None]] = []  # (new path, backup of what was there)
        self.trash: list[Path] = []

    def __enter__(self) -> "Transaction":
        return self

    def write(self, rel: str, content: bytes) -> None:
        path = self.root / rel
        if path not in self.saved:
            self.saved[path] = path.read_bytes() if path.exists() else None
        _atomic_write(path, content)

    def place(self, staged: Path, target: Path, backup_dir: Path) -> None:
        """Move ``staged`` to ``target``, keeping what was there until the end."""
        backup = None
        if target.exists() or target.is_symlink():
            backup = backup_dir / f"previous-{len(self.moved)}"
            os.replace(target, backup)
        self.moved.append((target, backup))
        os.replace(staged, target)

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            for _, backup in self.moved:
                if backup is not None:
                    _remove(backup)
            return
        for target, backup in reversed(self.moved):
            _remove(target)
            if backup is not None:
                os.replace(backup, target)
        for path, content in self.saved.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                _atomic_write(path, content)


def _atomic_write(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.bizenv-tmp")
    tmp.write_bytes(content)
    if path.exists():
        shutil.copymode(path, tmp)
    os.replace(tmp, path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _dist(pkg: Package, out: Path | None) -> Path:
    dist = Path(out) if out is not None else pkg.root / "dist"
    if not dist.is_absolute():
        dist = Path.cwd() / dist
    from .paths import PathRefused, output_path

    try:
        output_path(pkg.root, dist, "--out")
    except PathRefused as exc:
        raise ReleaseError(f"{exc}; a release is written to dist/ or another folder outside the corpus") from None
    if dist.exists() and not dist.is_dir():
        raise ReleaseError(f"{out or dist}: exists and is not a folder")
    return dist


def cut(pkg: Package, version: str, out: Path | None = None, record: bool = True) -> Release:
    """Validate and release; all or nothing: on any failure every file is as it was."""
    import tempfile

    from .validate import validate

    new = parse(version)
    history = released(pkg)
    if history:
        last = max(history, key=lambda r: parse(r["version"]))["version"]
        if new <= parse(last):
            raise ReleaseError(f"version {version} is not greater than the last release {last}")
    dist = _dist(pkg, out)
    changed = dirty(pkg)
    if changed:
        raise ReleaseError(f"the corpus has uncommitted changes ({', '.join(changed[:5])}): commit them first")
    date = release_date(pkg)
    result = validate(pkg)
    if not result.ok:
        raise ReleaseError("the corpus is not valid; nothing was released (run bizenv validate)", result.findings)
    planned = version_files(pkg, version, date)
    if record:
        _writable(pkg, "releases.json")
    name = f"{pkg.descriptor['name']}-{version}"
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,100}", name):
        raise ReleaseError(f"datapackage.json: the package name '{_visible(name)}' is not a safe file name")
    created_dist = not dist.exists()
    dist.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".release-", dir=dist))
    try:
        with Transaction(pkg.root) as tx:
            for rel, content in planned.items():
                tx.write(rel, content)
            pkg = Package.open(pkg.root)
            folder = staging / name
            folder.mkdir()
            for item in COPY:
                src = pkg.root / item
                if src.is_dir():
                    shutil.copytree(src, folder / item)
                elif src.exists():
                    (folder / item).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src, folder / item)
            _parquet_and_loader(Package.open(folder), folder)
            files = sorted(p for p in folder.rglob("*") if p.is_file())
            sums = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(folder).as_posix()}\n"
                           for p in files)
            (folder / "SHA256SUMS").write_text(sums, encoding="utf-8")
            _zip(folder, staging / f"{name}.zip", date)
            _database(folder, staging / f"{name}.duckdb")
            if record:
                history.append({"version": version, "date": date.isoformat(),
                                "zip_sha256": hashlib.sha256((staging / f"{name}.zip").read_bytes()).hexdigest()})
                tx.write("releases.json", (json.dumps({"releases": history}, indent=2) + "\n").encode())
            for part in (name, f"{name}.zip", f"{name}.duckdb", f"{name}.duckdb.sha256"):
                tx.place(staging / part, dist / part, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created_dist and dist.exists() and not any(dist.iterdir()):
            dist.rmdir()
    return Release(version, dist / name, dist / f"{name}.zip", dist / f"{name}.duckdb", len(files) + 1)


def _parquet_and_loader(pkg: Package, folder: Path) -> None:
    """parquet/<table>.parquet in primary-key order, and load_duckdb.sql (relative paths, views in order)."""
    from .build import PARQUET_ROW_GROUP, view_statements
    from .tables import Workspace, load, quote_ident, sql_literal

    (folder / "parquet").mkdir()
    with Workspace() as con:
        loaded = load(con, pkg, keep_row=False)
        lines = ["-- Creates the corpus database from the Parquet files of this release, with its views.",
                 "-- Run in this folder: duckdb corpus.duckdb < load_duckdb.sql", ""]
        for name in loaded.tables:
            order = ", ".join(quote_ident(k) for k in pkg.primary_key(name)) or "ALL"
            target = folder / "parquet" / f"{name}.parquet"
            con.execute(f"COPY (SELECT * FROM {quote_ident(name)} ORDER BY {order}) TO {sql_literal(str(target))} "
                        f"(FORMAT parquet, ROW_GROUP_SIZE {PARQUET_ROW_GROUP})")
            lines.append(f"CREATE TABLE {quote_ident(name)} AS SELECT * FROM 'parquet/{name}.parquet';")
            schema = pkg.schema(name)
            if schema.get("description"):
                lines.append(f"COMMENT ON TABLE {quote_ident(name)} IS {sql_literal(schema['description'])};")
    lines += ["", *[s.rstrip(";") + ";" for s in view_statements(pkg)]]
    (folder / "load_duckdb.sql").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _zip(folder: Path, zip_path: Path, date: dt.date) -> None:
    stamp = (max(date.year, 1980), date.month, date.day, 0, 0, 0)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())


def _database(folder: Path, database: Path) -> None:
    from .tables import connect

    if database.exists():
        database.unlink()
    con = connect(str(database))
    cwd = os.getcwd()
    try:
        os.chdir(folder)  # load_duckdb.sql uses paths relative to the release folder
        con.execute((folder / "load_duckdb.sql").read_text(encoding="utf-8"))  # the whole script
        con.execute("CHECKPOINT")
    finally:
        os.chdir(cwd)
        con.close()
    digest = hashlib.sha256(database.read_bytes()).hexdigest()
    database.with_suffix(".duckdb.sha256").write_text(f"{digest}  {database.name}\n", encoding="utf-8")

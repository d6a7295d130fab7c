"""``bizenv release VERSION``: a citable, reproducible release of the corpus.

Steps: refuse a version that is not a semantic version greater than the last release
(``releases.json``) and a corpus with uncommitted changes; validate every layer; write the
version into its one place (``VERSION``) and from there into ``datapackage.json``,
``CITATION.cff`` and ``.zenodo.json``; then write

* ``dist/<name>-<version>/``: the package (datapackage.json, data, schemas, sources,
  views, assertions, docs), ``parquet/<table>.parquet``, ``load_duckdb.sql`` (run it in
  that folder to get the database with its views) and ``SHA256SUMS``;
* ``dist/<name>-<version>.zip``: all of that, with fixed timestamps and sorted entries;
* ``dist/<name>-<version>.duckdb``: the ready database, for convenience.

Everything in the folder and the zip is byte-identical for the same inputs and release
date (``SOURCE_DATE_EPOCH``, else the last commit's date).  The ``.duckdb`` file is the
one exception: DuckDB stamps a random identifier into every database file's header, so
it is kept outside the folder and the zip, with its own checksum file.
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

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
CORPUS_PATHS = ["datapackage.json", "data", "schemas", "sources", "sql", "validation"]
COPY = ["datapackage.json", "data", "schemas", "sources", "sql", "validation", "README.md", "CHANGELOG.md",
        "ERRATA.md", "LICENSE", "LICENSE-DATA.md", "CITATION.cff", ".zenodo.json", "VERSION",
        "docs/data-dictionary.md", "docs/curation.md", "docs/cookbook.md", "docs/img"]


class ReleaseError(FindingsError):
    pass


@dataclass
class Release:
    version: str
    folder: Path
    zip: Path
    database: Path
    files: int


def parse(version: str) -> tuple[int, int, int]:
    m = SEMVER.match(version)
    if not m:
        raise ReleaseError(f"{version!r} is not a semantic version MAJOR.MINOR.PATCH (e.g. 0.2.0)")
    return tuple(int(x) for x in m.groups())


def released(pkg: Package) -> list[dict]:
    path = pkg.root / "releases.json"
    return json.loads(path.read_text(encoding="utf-8"))["releases"] if path.exists() else []


def dirty(pkg: Package) -> list[str]:
    """Corpus files with uncommitted changes ([] outside a git checkout)."""
    if not (pkg.root / ".git").exists():
        return []
    out = subprocess.run(["git", "status", "--porcelain", "--", *CORPUS_PATHS], cwd=pkg.root, capture_output=True,
                         text=True, check=False)
    return [line[3:] for line in out.stdout.splitlines() if line.strip()]


def release_date(pkg: Package) -> dt.date:
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return dt.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), dt.timezone.utc).date()
    if (pkg.root / ".git").exists():
        out = subprocess.run(["git", "log", "-1", "--format=%cs"], cwd=pkg.root, capture_output=True, text=True,
                             check=False)
        if out.returncode == 0 and out.stdout.strip():
            return dt.date.fromisoformat(out.stdout.strip())
    return dt.datetime.now(dt.timezone.utc).date()


def set_version(pkg: Package, version: str, date: dt.date) -> None:
    """Write the version from its one place (VERSION) into the metadata files."""
    (pkg.root / "VERSION").write_text(version + "\n", encoding="utf-8")
    descriptor = json.loads((pkg.root / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["version"] = version
    (pkg.root / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n",
                                              encoding="utf-8")
    cff = pkg.root / "CITATION.cff"
    if cff.exists():
        text = re.sub(r"(?m)^version: .*$", f"version: {version}", cff.read_text(encoding="utf-8"))
        text = re.sub(r"(?m)^date-released: .*\n", "", text)
        text = text.replace(f"version: {version}\n", f"version: {version}\ndate-released: {date.isoformat()}\n", 1)
        cff.write_text(text, encoding="utf-8")
    zen = pkg.root / ".zenodo.json"
    if zen.exists():
        meta = json.loads(zen.read_text(encoding="utf-8"))
        meta.update(version=version, publication_date=date.isoformat())
        zen.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


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
    return wrong


def cut(pkg: Package, version: str, out: Path | None = None, record: bool = True) -> Release:
    from .validate import validate

    new = parse(version)
    history = released(pkg)
    if history:
        last = max(history, key=lambda r: parse(r["version"]))["version"]
        if new <= parse(last):
            raise ReleaseError(f"version {version} is not greater than the last release {last}")
    changed = dirty(pkg)
    if changed:
        raise ReleaseError(f"the corpus has uncommitted changes ({', '.join(changed[:5])}): commit them first")
    result = validate(pkg)
    if not result.ok:
        raise ReleaseError("the corpus is not valid; nothing was released (run bizenv validate)", result.findings)
    date = release_date(pkg)
    set_version(pkg, version, date)
    pkg = Package.open(pkg.root)
    name = f"{pkg.descriptor['name']}-{version}"
    dist = out or pkg.root / "dist"
    folder = dist / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for item in COPY:
        src = pkg.root / item
        if src.is_dir():
            shutil.copytree(src, folder / item)
        elif src.exists():
            (folder / item).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, folder / item)
    _parquet_and_loader(Package.open(folder), folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    sums = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(folder).as_posix()}\n" for p in files)
    (folder / "SHA256SUMS").write_text(sums, encoding="utf-8")
    zip_path = dist / f"{name}.zip"
    _zip(folder, zip_path, date)
    database = dist / f"{name}.duckdb"
    _database(folder, database)
    if record:
        history.append({"version": version, "date": date.isoformat(),
                        "zip_sha256": hashlib.sha256(zip_path.read_bytes()).hexdigest()})
        (pkg.root / "releases.json").write_text(json.dumps({"releases": history}, indent=2) + "\n", encoding="utf-8")
    return Release(version, folder, zip_path, database, len(files) + 1)


def _parquet_and_loader(pkg: Package, folder: Path) -> None:
    """parquet/<table>.parquet in primary-key order, and load_duckdb.sql (relative paths, views in order)."""
    from .build import view_statements
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
                        "(FORMAT parquet)")
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

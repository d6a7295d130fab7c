"""Shared fixtures: a private copy of the package for each test, and CSV editing helpers."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_PARTS = ["datapackage.json", "data", "schemas", "sources", "sql", "validation"]


def copy_package(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for part in PACKAGE_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        else:
            shutil.copy2(src, dest / part)
    return dest


@pytest.fixture
def pkg(tmp_path) -> Path:
    """A fresh, valid copy of the corpus package."""
    return copy_package(tmp_path / "pkg")


@pytest.fixture(scope="session")
def built_pkg(tmp_path_factory) -> Path:
    """One copy with a built database, shared by read-only tests."""
    from bizenv.build import build
    from bizenv.package import Package

    root = copy_package(tmp_path_factory.mktemp("built") / "pkg")
    build(Package.open(root), site=True)
    return root


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


class Table:
    """Edit one CSV of a package copy in place (keeps UTF-8, LF, RFC 4180 quoting)."""

    def __init__(self, root: Path, name: str):
        self.path = root / "data" / f"{name}.csv"
        with self.path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            self.fields = list(reader.fieldnames)
            self.rows = list(reader)

    def find(self, **match) -> dict:
        hits = [r for r in self.rows if all(r[k] == v for k, v in match.items())]
        assert hits, f"no row matches {match}"
        return hits[0]

    def row_number(self, row: dict) -> int:
        """Record number as Frictionless counts it (header = 1)."""
        return self.rows.index(row) + 2

    def save(self) -> None:
        with self.path.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=self.fields, lineterminator="\n")
            w.writeheader()
            w.writerows(self.rows)


def table(root: Path, name: str) -> Table:
    return Table(root, name)


def findings(root: Path, layers=("structure", "rules", "provenance")):
    from bizenv.package import Package
    from bizenv.validate import validate

    return validate(Package.open(root), tuple(layers)).findings


def rules_of(found) -> set[str]:
    return {f.rule for f in found}

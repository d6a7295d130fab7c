"""Locating a data package and reading its descriptor and Table Schemas.

Every command acts on the package in the current folder (the nearest
``datapackage.json`` upward) or on an explicit path, never on a copy inside the
installed Python package.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

DESCRIPTOR = "datapackage.json"


class PackageError(Exception):
    """A problem with the package itself (not found, unreadable descriptor)."""


def find_package(start: Path | str | None = None) -> Path:
    """Return the folder holding the nearest datapackage.json at or above ``start``.

    ``start`` may also name a ``datapackage.json`` file directly.
    """
    here = Path(start or Path.cwd()).resolve()
    if here.is_file():
        if here.name == DESCRIPTOR:
            return here.parent
        raise PackageError(f"{here}: not a {DESCRIPTOR}")
    if start is not None:
        if (here / DESCRIPTOR).is_file():
            return here
        raise PackageError(f"{here}: no {DESCRIPTOR} in this folder")
    for folder in (here, *here.parents):
        if (folder / DESCRIPTOR).is_file():
            return folder
    raise PackageError(f"no {DESCRIPTOR} in {here} or any folder above it (use --package PATH)")


@dataclass
class Package:
    root: Path
    descriptor: dict = field(repr=False)

    @classmethod
    def open(cls, path: Path | str | None = None) -> "Package":
        root = find_package(path)
        try:
            descriptor = json.loads((root / DESCRIPTOR).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PackageError(f"{root / DESCRIPTOR}: cannot be read: {exc}") from None
        if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
            raise PackageError(f"{root / DESCRIPTOR}: no list of resources")
        return cls(root, descriptor)

    @property
    def resources(self) -> dict[str, dict]:
        return {r["name"]: r for r in self.descriptor["resources"]}

    @property
    def table_names(self) -> list[str]:
        return [r["name"] for r in self.descriptor["resources"]]

    def path(self, table: str) -> Path:
        return self.root / self.resources[table]["path"]

    def relpath(self, table: str) -> str:
        return self.resources[table]["path"]

    @cached_property
    def _schemas(self) -> dict[str, dict]:
        out = {}
        for name, res in self.resources.items():
            schema = res.get("schema", {})
            if isinstance(schema, str):
                try:
                    schema = json.loads((self.root / schema).read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise PackageError(f"{self.root / schema}: cannot be read: {exc}") from None
            out[name] = schema
        return out

    def schema(self, table: str) -> dict:
        return self._schemas[table]

    def fields(self, table: str) -> list[dict]:
        return self.schema(table).get("fields", [])

    def field_names(self, table: str) -> list[str]:
        return [f["name"] for f in self.fields(table)]

    def primary_key(self, table: str) -> list[str]:
        pk = self.schema(table).get("primaryKey", [])
        return [pk] if isinstance(pk, str) else list(pk)

    def foreign_keys(self, table: str) -> list[dict]:
        return self.schema(table).get("foreignKeys", [])

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def database(self) -> Path:
        return self.build_dir / "bizenv.duckdb"

    def inputs(self) -> list[Path]:
        """Files a build depends on (for staleness checks)."""
        files = [self.root / DESCRIPTOR, self.root / "sql" / "views.sql"]
        for name, res in self.resources.items():
            files.append(self.path(name))
            if isinstance(res.get("schema"), str):
                files.append(self.root / res["schema"])
        return [f for f in files if f.exists()]

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

from .paths import MAX_META_BYTES, MAX_SOURCE_BYTES, PathRefused, package_file, package_files, read_bytes, shown

DESCRIPTOR = "datapackage.json"

# how a boolean field spells true and false when it lists no trueValues / falseValues: the Table Schema's
# defaults (Frictionless reads them so too)
TRUE_VALUES = ("true", "True", "TRUE", "1")
FALSE_VALUES = ("false", "False", "FALSE", "0")


def boolean_values(field: dict) -> tuple[list[str], list[str]]:
    """The spellings of true and of false in the boolean ``field``: its own lists, else the defaults.

    A spelling in both lists reads as false, as Frictionless reads it (its falseValues are applied last),
    so it is left out of the spellings of true."""
    false = list(field.get("falseValues", FALSE_VALUES))
    return [v for v in field.get("trueValues", TRUE_VALUES) if v not in false], false


def boolean_enum(field: dict) -> list[str]:
    """The values ("true", "false") that the enum of a boolean field allows: its texts read as the field
    reads a cell, as Frictionless reads them (a text that is not a spelling of the field allows nothing)."""
    true, false = boolean_values(field)
    return sorted({"false" if x in false else "true" for x in field.get("constraints", {}).get("enum", [])
                   if isinstance(x, str) and x in true + false})


def enum_texts(field: dict) -> list[str]:
    """The values of a typed field's enum written as texts of its type, as Frictionless reads them: a JSON
    number as written (2.0 as 2 for an integer), a JSON true, false or null as no value."""
    out = []
    for x in field.get("constraints", {}).get("enum", []):
        if x is None or isinstance(x, bool) or not isinstance(x, (str, int, float)):
            continue
        if isinstance(x, float) and field.get("type") == "integer":
            if not x.is_integer():
                continue
            x = int(x)
        out.append(str(x))
    return out


class PackageError(Exception):
    """A problem with the package itself (unreadable descriptor, unsafe path): exit code 1."""


class PackageNotFound(PackageError):
    """No package where the command looked (bad usage: exit code 2)."""


def find_package(start: Path | str | None = None) -> Path:
    """Return the folder holding the nearest datapackage.json at or above ``start``.

    ``start`` may also name a ``datapackage.json`` file directly.
    """
    here = Path(start or Path.cwd()).resolve()
    if here.is_file():
        if here.name == DESCRIPTOR:
            return here.parent
        raise PackageNotFound(f"{shown(here)}: not a {DESCRIPTOR}")
    if start is not None:
        if (here / DESCRIPTOR).exists():
            return here
        raise PackageNotFound(f"{shown(here)}: no {DESCRIPTOR} in this folder")
    for folder in (here, *here.parents):
        if (folder / DESCRIPTOR).exists():
            return folder
    raise PackageNotFound(f"no {DESCRIPTOR} in {shown(here)} or any folder above it (use --package PATH)")


@dataclass
class Package:
    root: Path
    descriptor: dict = field(repr=False)

    @classmethod
    def open(cls, path: Path | str | None = None) -> "Package":
        root = find_package(path)
        descriptor = read_json(root, DESCRIPTOR, DESCRIPTOR)
        if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
            raise PackageError(f"{DESCRIPTOR}: no list of resources (\"resources\": [...]); see docs/security.md")
        return cls(root, descriptor)

    @property
    def resources(self) -> dict[str, dict]:
        """Resources by name (entries without a text name are left out; :attr:`problems` names them)."""
        return {r["name"]: r for r in self.descriptor["resources"]
                if isinstance(r, dict) and isinstance(r.get("name"), str)}

    @property
    def table_names(self) -> list[str]:
        return list(self.resources)

    def path(self, table: str) -> Path:
        """The real path of a resource's file, checked by the path gate (:mod:`bizenv.paths`)."""
        if table not in self._paths:
            try:
                self._paths[table] = package_file(self.root, self.resources[table].get("path"),
                                                  f'{DESCRIPTOR}: resource "{table}" path')
            except PathRefused as exc:
                raise PackageError(str(exc)) from None
        return self._paths[table]

    def relpath(self, table: str) -> str:
        path = self.resources[table].get("path")
        return path if isinstance(path, str) else f"<{table}>"

    def source_path(self, relative: object, what: str = "source_file") -> Path:
        """The real path of a source file that a ``source_file`` cell names (checked by the gate)."""
        return package_file(self.root, relative, what, max_bytes=MAX_SOURCE_BYTES)

    def source_paths(self, relatives: list, what: str = "source_file") -> list:
        """:meth:`source_path` for many cells at once: for each, ``(real path, size)`` or the
        :class:`~bizenv.paths.PathRefused` it raises (the same gate, each folder resolved once)."""
        return package_files(self.root, relatives, what, max_bytes=MAX_SOURCE_BYTES)

    @cached_property
    def _paths(self) -> dict[str, Path]:
        return {}

    @cached_property
    def _schemas(self) -> dict[str, dict]:
        out = {}
        for name, res in self.resources.items():
            schema = res.get("schema", {})
            if isinstance(schema, str):
                try:
                    schema = read_json(self.root, schema, f'{DESCRIPTOR}: resource "{name}" schema')
                except PackageError as exc:
                    self.schema_errors[name] = str(exc)
                    schema = {}
            out[name] = schema if isinstance(schema, dict) else {}
        return out

    @cached_property
    def schema_errors(self) -> dict[str, str]:
        """Schema files that could not be read, by resource (filled when the schemas are read)."""
        return {}

    @cached_property
    def problems(self) -> list:
        """What makes the descriptor or a Table Schema unusable (findings naming file and field).

        Every command refuses a package with problems before it reads any table."""
        from .schemacheck import check

        return check(self)

    def schema(self, table: str) -> dict:
        return self._schemas[table]

    def fields(self, table: str) -> list[dict]:
        fields = self.schema(table).get("fields", [])
        return [f for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []

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


def read_json(root: Path, relative: str, what: str):
    """A JSON file of the package (the descriptor, a schema), through the path gate."""
    try:
        data = read_bytes(package_file(root, relative, what, max_bytes=MAX_META_BYTES))
        return json.loads(data.decode("utf-8"))
    except PathRefused as exc:
        raise PackageError(str(exc)) from None
    except OSError as exc:
        raise PackageError(f"{shown(relative)}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise PackageError(f"{shown(relative)}: not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise PackageError(f"{shown(relative)}: not valid JSON: {exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno}") from None
    except RecursionError:
        raise PackageError(f"{shown(relative)}: JSON nested too deeply") from None

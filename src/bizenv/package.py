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


def boolean_spelling(field: dict, value: bool) -> str | None:
    """How a program writes ``value`` in the boolean ``field``: ``true``/``false`` where the field reads
    them so, else the first spelling of that value it lists (a schema may list only ``是``/``否``); None
    where the field has no spelling of it (``trueValues`` empty, or each of them a falseValue too, which
    reads as false): there ``true`` would be read as false or as a type error."""
    true, false = boolean_values(field)
    spellings = true if value else false
    plain = "true" if value else "false"
    if plain in spellings:
        return plain
    return spellings[0] if spellings else None


def spell_booleans(fields: list[dict], rows: list[dict], table: str = "") -> None:
    """Rewrite, in place, the ``"true"``/``"false"`` that a program put in ``rows`` as each boolean field
    of ``fields`` spells them (:func:`boolean_spelling`); other cells are left as they are.  A
    :class:`PackageError` where a row holds a value its field has no spelling of (nothing is rewritten)."""
    spelled = {f["name"]: {v: boolean_spelling(f, v == "true") for v in ("true", "false")}
               for f in fields if f.get("type") == "boolean"}
    for name, spelling in spelled.items():
        for v, text in spelling.items():
            if text is None and any(row.get(name) == v for row in rows):
                why = ("trueValues is empty, or each of them is a falseValue too, which reads as false"
                       if v == "true" else "falseValues is empty")
                raise PackageError(f'{"table " + repr(table) + ", " if table else ""}field "{name}": its Table '
                                   f"Schema has no spelling of {v} to write ({why}); list one")
    for row in rows:
        for name, spelling in spelled.items():
            if row.get(name) in spelling:
                row[name] = spelling[row[name]]


def boolean_enum(field: dict) -> list[str]:
    """The values ("true", "false") that the enum of a boolean field allows: its texts read as the field
    reads a cell, as Frictionless reads them (a text that is not a spelling of the field allows nothing)."""
    true, false = boolean_values(field)
    return sorted({"false" if x in false else "true" for x in field.get("constraints", {}).get("enum", [])
                   if isinstance(x, str) and x in true + false})


def integer_bound(value, minimum: bool) -> int:
    """A minimum (or maximum) of an integer field as the integer that bounds the same cells exactly:
    Frictionless reads a whole bound (``100.0``, ``1e30``) as the int it is; an integer is below ``2.5``
    where it is below 3, and above it where it is above 2."""
    import math

    if isinstance(value, int):
        return value
    return math.ceil(value) if minimum else math.floor(value)


def enum_texts(field: dict) -> list[str]:
    """The values of a typed field's enum, each read as Frictionless reads an enum item (with the field's
    value reader) and written as the Table Schema writes a cell of that value; an item it reads as no
    value allows nothing.  An integer item may be a JSON integer, a float such as 2.0 or a text Python's
    ``int()`` reads (`` 2``, ``+3``, ``04``, ``1_000``); a number one a JSON number or a text ``Decimal()``
    reads (``Infinity``, `` 1.5``), a NaN being equal to nothing; a year any JSON integer (true and false
    included, as 1 and 0) or text of 4 characters ``int()`` reads, from 0 to 9999, written with 4 digits;
    a date a text ``strptime`` reads with ``%Y-%m-%d`` (``2020-1-5``).  A JSON true, false (but for a
    year) or null, a list or an object is no value."""
    return [t for t in (_enum_text(x, field.get("type")) for x in field.get("constraints", {}).get("enum", []))
            if t is not None]


def _enum_text(x, ftype: str | None) -> str | None:
    """One enum item as :func:`enum_texts` writes it, or None."""
    if ftype == "integer":
        if isinstance(x, str):
            try:
                return str(int(x.strip()))
            except ValueError:
                return None
        if isinstance(x, bool):
            return None
        if isinstance(x, int) or isinstance(x, float) and x.is_integer():
            return str(int(x))
        return None
    if ftype == "number":
        from decimal import Decimal, InvalidOperation

        if isinstance(x, bool) or not isinstance(x, (str, int, float)):
            return None
        try:
            value = Decimal(x.strip() if isinstance(x, str) else str(x) if isinstance(x, float) else x)
        except (InvalidOperation, ValueError):
            return None
        if value.is_nan():
            return None
        sign = "-" if value.is_signed() else ""
        if value.is_infinite():
            return sign + "inf"
        _, digits, exponent = value.as_tuple()
        return f"{sign}{''.join(map(str, digits))}e{exponent}"
    if ftype == "year":
        if isinstance(x, str) and len(x) == 4:
            try:
                x = int(x)
            except ValueError:
                return None
        return f"{x:04d}" if isinstance(x, int) and 0 <= x <= 9999 else None
    if ftype == "date":
        import datetime as dt

        try:
            return dt.datetime.strptime(x, "%Y-%m-%d").date().isoformat() if isinstance(x, str) else None
        except ValueError:
            return None
    return str(x) if isinstance(x, (str, int, float)) and not isinstance(x, bool) else None


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
    except ValueError:  # Python refuses to read an integer of more than 4,300 digits
        raise PackageError(f"{shown(relative)}: a number in it has more than 4,300 digits; write it shorter") from None
    except RecursionError:
        raise PackageError(f"{shown(relative)}: JSON nested too deeply") from None

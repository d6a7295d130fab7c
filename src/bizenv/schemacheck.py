"""The descriptor and the Table Schemas, checked before anything else uses them.

A package comes from strangers, and its schemas drive everything: the SQL that checks the
tables, the paths that are read, the columns that are compared with the sources.  Each
command therefore refuses a package whose descriptor or schemas are not of the form the
toolkit understands (the Table Schema spec plus the ``verbatim`` extension), before it reads a
table.  Each problem is a finding naming the file and the field and saying what to write
instead.  Values that later reach SQL are checked here for what they must be (a number is a
number, a pattern compiles in both regular-expression engines, a name names a field); the SQL
still receives them only as quoted literals or bound parameters.
"""

from __future__ import annotations

import math
import re

from .findings import Finding
from .package import DESCRIPTOR, Package
from .paths import PathRefused, package_file

NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
FIELD_TYPES = {"string", "integer", "number", "boolean", "date", "datetime", "year", "time", "yearmonth",
               "duration", "object", "array", "geopoint", "geojson", "any"}
NUMERIC = {"integer", "number", "year"}
FORMAT_HINT = {"date": "YYYY-MM-DD", "datetime": "YYYY-MM-DDThh:mm:ss", "time": "hh:mm:ss", "string": "any text",
               "number": "digits with a point, such as 1.5", "integer": "digits, such as 12"}
VERBATIM_IN = {"line", "document", "task_text", "field"}
MAX_NAME = 200
# the CSV dialect bizenv reads (the Table Schema defaults): a descriptor may restate it, never change it
DIALECT = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True, "skipInitialSpace": False,
           "lineTerminator": "\n"}


def check(pkg: Package) -> list[Finding]:
    findings: list[Finding] = []

    def problem(message: str, file: str = DESCRIPTOR, column: str | None = None, table: str | None = None,
                rule: str = "schema-error") -> None:
        findings.append(Finding("structure", rule, message, table=table, file=file, column=column, fatal=True))

    names: list[str] = []
    for i, res in enumerate(pkg.descriptor["resources"]):
        where = f"resource {i + 1}"
        if not isinstance(res, dict):
            problem(f"{where} is not an object; each resource is {{\"name\": ..., \"path\": ..., \"schema\": ...}}")
            continue
        name = res.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name) or len(name) > MAX_NAME:
            problem(f"{where} has no valid \"name\" (lower-case letters, digits, . _ -, e.g. \"tasks\")")
            continue
        if name in names:
            problem(f"resource name \"{name}\" is used twice", table=name)
            continue
        names.append(name)
        try:
            package_file(pkg.root, res.get("path"), f'resource "{name}" path')
        except PathRefused as exc:
            problem(str(exc), table=name, rule="path-refused")
        else:
            if res["path"].endswith("/"):
                problem(f'resource "{name}": "path" must name a file, not a folder ending in "/"; remove the "/"',
                        table=name)
        _check_reading(res, name, problem)
        schema = res.get("schema")
        file = DESCRIPTOR
        if isinstance(schema, str):
            file = schema
            schema = pkg.schema(name)
            if name in pkg.schema_errors:
                refused = "refused:" in pkg.schema_errors[name]
                problem(pkg.schema_errors[name], table=name, rule="path-refused" if refused else "schema-error")
                continue
        if not isinstance(schema, dict):
            problem(f'resource "{name}" has no Table Schema ("schema": a file name or an object)', table=name)
            continue
        _check_schema(schema, name, file, problem)
    if not findings:
        _check_keys(pkg, problem)
        _check_patterns(pkg, problem)
    return findings


def _check_reading(res: dict, name: str, problem) -> None:
    """Settings of how a resource is read that bizenv does not honour are refused, never ignored: it reads
    each file as UTF-8 CSV in the default dialect."""
    if "encoding" in res and not (isinstance(res["encoding"], str)
                                  and res["encoding"].lower().replace("_", "-") in ("utf-8", "utf8")):
        problem(f'resource "{name}": "encoding" is {_brief(res["encoding"])}, but bizenv reads UTF-8 only: save the '
                'file as UTF-8 and write "encoding": "utf-8" (or leave it out)', table=name)
    if "format" in res and not (isinstance(res["format"], str) and res["format"].lower() == "csv"):
        problem(f'resource "{name}": "format" is {_brief(res["format"])}, but bizenv reads CSV only: save the file '
                'as CSV and write "format": "csv" (or leave it out)', table=name)
    if "mediatype" in res and res["mediatype"] != "text/csv":
        problem(f'resource "{name}": "mediatype" is {_brief(res["mediatype"])}, but bizenv reads CSV only: write '
                '"mediatype": "text/csv" (or leave it out)', table=name)
    if "dialect" in res:
        dialect = res["dialect"]
        other = sorted(k for k in dialect if k != "csvddfVersion" and (k not in DIALECT or dialect[k] != DIALECT[k])) \
            if isinstance(dialect, dict) else None
        if other != []:
            what = f'sets {", ".join(_brief(k) for k in other[:3])}' if other else "is not an object"
            problem(f'resource "{name}": "dialect" {what}, but bizenv reads only comma-separated cells, quoted with " '
                    '(written "" inside), a header line and LF line ends: save the file that way and remove "dialect"',
                    table=name)


def _names(value) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    return None


def _scalar(value) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool) and (
        not isinstance(value, float) or math.isfinite(value))


def _check_schema(schema: dict, table: str, file: str, problem) -> None:
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields:
        problem('the Table Schema has no "fields" list', file, table=table)
        return
    seen: set[str] = set()
    for i, f in enumerate(fields):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not f["name"].strip() \
                or len(f["name"]) > MAX_NAME or re.search(r"[\x00-\x1f\x7f]", f["name"]):
            problem(f"field {i + 1} has no valid \"name\" (a non-empty text without control characters)",
                    file, table=table)
            continue
        name = f["name"]
        if name in seen:
            problem(f'field "{name}" is defined twice', file, name, table)
        seen.add(name)
        ftype = f.get("type", "string")
        if not isinstance(ftype, str) or ftype not in FIELD_TYPES:
            problem(f'field "{name}": unknown type {_brief(ftype)} (one of {", ".join(sorted(FIELD_TYPES))})',
                    file, name, table)
            continue
        if f.get("format", "default") != "default":
            problem(f'field "{name}": "format" is {_brief(f["format"])}, but bizenv reads a field in its default format '
                    f'only ({FORMAT_HINT.get(ftype, "as Table Schema defines it")}): write the values that way and '
                    'remove "format"', file, name, table)
        for key in ("description", "title"):
            if key in f and not isinstance(f[key], str):
                problem(f'field "{name}": "{key}" must be a text', file, name, table)
        for key in ("trueValues", "falseValues"):
            if key in f and not (isinstance(f[key], list) and all(isinstance(v, str) for v in f[key])):
                problem(f'field "{name}": "{key}" must be a list of texts', file, name, table)
        _check_constraints(f, name, ftype, file, table, problem)
        _check_verbatim(f, name, file, table, problem)
    if schema.get("missingValues", [""]) != [""]:
        problem(f'"missingValues" is {_brief(schema["missingValues"])}, but bizenv reads only an empty cell as '
                'missing: write missing values as empty cells and "missingValues": [""] (or leave it out)',
                file, table=table)
    for key in ("trueValues", "falseValues"):
        if key in schema:
            problem(f'"{key}" belongs to each boolean field (a list of texts), not to the Table Schema: move it there',
                    file, table=table)
    if "description" in schema and not isinstance(schema["description"], str):
        problem('"description" of the Table Schema must be a text', file, table=table)


def _check_constraints(f: dict, name: str, ftype: str, file: str, table: str, problem) -> None:
    c = f.get("constraints", {})
    if not isinstance(c, dict):
        problem(f'field "{name}": "constraints" must be an object', file, name, table)
        return
    for key in ("required", "unique"):
        if key in c and not isinstance(c[key], bool):
            problem(f'field "{name}": constraint "{key}" must be true or false', file, name, table)
    if "enum" in c and not (isinstance(c["enum"], list) and c["enum"] and all(_scalar(v) for v in c["enum"])):
        problem(f'field "{name}": constraint "enum" must be a non-empty list of texts or numbers', file, name, table)
    if "pattern" in c:
        pattern = c["pattern"]
        if not isinstance(pattern, str):
            problem(f'field "{name}": constraint "pattern" must be a text', file, name, table)
        else:
            try:
                re.compile(pattern)
            except (re.error, RecursionError, OverflowError) as exc:
                problem(f'field "{name}": constraint "pattern" is not a regular expression ({exc})', file, name, table)
    for key in ("minimum", "maximum"):
        if key not in c:
            continue
        value = c[key]
        if ftype in NUMERIC:
            # a bound beyond 1e300 (an int of any size, too: math.isfinite cannot take one beyond a float) is refused
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e300 \
                and math.isfinite(value)
            # Frictionless reads the bound of an integer as an int (100.0 is 100; it stops on 2.5), and a year's
            # only as written as an int from 0 to 9999
            if ok and ftype in ("integer", "year") and not (
                    value == int(value) if ftype == "integer" else isinstance(value, int) and 0 <= value <= 9999):
                kind = "a whole number" if ftype == "integer" else "a whole number from 0 to 9999, written without a point"
                problem(f'field "{name}": constraint "{key}" must be {kind}, not {_brief(value)}', file, name, table)
                continue
        elif ftype == "date":
            ok = isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None and _iso(value)
        else:
            ok = False
        if not ok:
            kind = "a number from -1e300 to 1e300" if ftype in NUMERIC else "a date YYYY-MM-DD" if ftype == "date" else None
            problem(f'field "{name}": constraint "{key}" must be {kind}, not {_brief(value)}' if kind else
                    f'field "{name}": constraint "{key}" does not apply to type {ftype!r}', file, name, table)
    for key in ("minLength", "maxLength"):
        if key in c and not (isinstance(c[key], int) and not isinstance(c[key], bool) and c[key] >= 0):
            problem(f'field "{name}": constraint "{key}" must be a whole number >= 0', file, name, table)


def _brief(value) -> str:
    """A schema value as a message shows it: its repr, clipped (a bound may have hundreds of digits)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _iso(value: str) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(value)
        return True
    except ValueError:
        return False


def _check_verbatim(f: dict, name: str, file: str, table: str, problem) -> None:
    if "verbatim" not in f:
        return
    specs = f["verbatim"] if isinstance(f["verbatim"], list) else [f["verbatim"]]
    for spec in specs:
        if not isinstance(spec, dict) or not isinstance(spec.get("in"), str) or spec["in"] not in VERBATIM_IN:
            problem(f'field "{name}": "verbatim" must be {{"in": one of {", ".join(sorted(VERBATIM_IN))}}}',
                    file, name, table)
            continue
        needed = {"line": "line_field", "field": "field"}.get(spec["in"])
        if needed and not isinstance(spec.get(needed), str):
            problem(f'field "{name}": "verbatim" in {spec["in"]!r} needs "{needed}" naming a field', file, name, table)
        when = spec.get("when", {})
        if not isinstance(when, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in when.items()):
            problem(f'field "{name}": "verbatim" "when" must map field names to texts', file, name, table)


def _check_keys(pkg: Package, problem) -> None:
    """Keys and field references name fields that exist (all schemas are readable by now)."""
    for table in pkg.table_names:
        schema, fields = pkg.schema(table), set(pkg.field_names(table))
        file = pkg.resources[table].get("schema") if isinstance(pkg.resources[table].get("schema"), str) \
            else DESCRIPTOR
        if "primaryKey" in schema:
            pk = _names(schema["primaryKey"])
            if pk is None or not set(pk) <= fields:
                problem(f'"primaryKey" must name fields of the table ({_brief(schema["primaryKey"])})', file, table=table)
        fks = schema.get("foreignKeys", [])
        if not isinstance(fks, list):
            problem('"foreignKeys" must be a list', file, table=table)
            fks = []
        for fk in fks:
            ref = fk.get("reference") if isinstance(fk, dict) else None
            own = _names(fk.get("fields")) if isinstance(fk, dict) else None
            if own is None or not isinstance(ref, dict) or not isinstance(ref.get("resource"), str):
                problem('a foreign key needs "fields" and "reference": {"resource": ..., "fields": ...}',
                        file, table=table)
                continue
            target = ref["resource"] or table
            if target not in pkg.resources:
                problem(f'foreign key on {", ".join(own)}: resource "{target}" does not exist in {DESCRIPTOR}',
                        file, own[0], table)
                continue
            theirs = _names(ref.get("fields"))
            if not set(own) <= fields or theirs is None or not set(theirs) <= set(pkg.field_names(target)) \
                    or len(own) != len(theirs):
                problem(f'foreign key on {", ".join(own)}: its fields must name fields of "{table}" and of '
                        f'"{target}", as many on each side', file, own[0], table)
        for f in pkg.fields(table):
            for spec in f.get("verbatim", []) if isinstance(f.get("verbatim"), list) else [f.get("verbatim")]:
                if not isinstance(spec, dict):
                    continue
                named = [spec.get("line_field"), spec.get("field"), *spec.get("when", {})]
                missing = [n for n in named if isinstance(n, str) and n not in fields]
                if missing:
                    problem(f'field "{f["name"]}": "verbatim" names {", ".join(missing)}, not a field of the table',
                            file, f["name"], table)


def _check_patterns(pkg: Package, problem) -> None:
    """A pattern must also compile in DuckDB's engine (RE2), which runs the checks."""
    patterns = [(t, f["name"], f["constraints"]["pattern"]) for t in pkg.table_names for f in pkg.fields(t)
                if isinstance(f.get("constraints"), dict) and isinstance(f["constraints"].get("pattern"), str)]
    if not patterns:
        return
    import duckdb

    from .tables import connect

    con = connect(enable_external_access=False)
    try:
        for table, name, pattern in patterns:
            try:
                con.execute("SELECT regexp_full_match('', ?)", [pattern]).fetchall()
            except duckdb.Error as exc:
                res = pkg.resources[table].get("schema")
                problem(f'field "{name}": constraint "pattern" is not accepted by the checker\'s regular-expression '
                        f"engine (RE2): {str(exc).splitlines()[0][:200]}",
                        res if isinstance(res, str) else DESCRIPTOR, name, table)
    finally:
        con.close()

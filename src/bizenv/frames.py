"""Typed, validated pandas DataFrames of the corpus tables, with pandera schemas derived from the Table Schemas.

``bizenv.read("tasks")`` reads ``data/tasks.csv``, checks it against a pandera schema built from
``schemas/tasks.schema.json`` (types, required, unique, enum, pattern, minimum/maximum and the primary
key: every per-table constraint of the Table Schema) and returns the table with its Table Schema
types (integers as ``Int64``, numbers as ``Float64``, booleans as ``boolean``, dates as
``datetime64``, years as ``Int64``, strings as ``string``).  Empty cells are missing values.

The same schema is the reference for the compiled checks of ``bizenv validate`` (a test requires
both to find the same errors on a package with planted errors), as Frictionless is for the Table
Schemas as a whole.  Foreign keys span tables, so they are checked by ``bizenv validate`` only.
"""

from __future__ import annotations


from .package import Package, boolean_enum, boolean_values, enum_texts, integer_bound

# what a non-empty cell must look like to be a valid value of its type, as the Table Schema writes it
# (Frictionless, reading integers with Python's int(), also takes " 2", "２" and "1_000"; these are reported)
TYPE_PATTERNS = {
    "integer": r"[+-]?[0-9]+",
    "number": r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|NaN|INF|-INF|nan|inf|-inf",
    "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "year": r"[0-9]{4}",
}
PANDAS_TYPES = {"integer": "Int64", "number": "Float64", "boolean": "boolean", "year": "Int64", "string": "string"}


def _valid(field: dict, s):
    """True where the (non-empty) text is a value of the field's type."""
    import pandas as pd

    ftype = field.get("type", "string")
    if ftype == "boolean":
        true, false = boolean_values(field)
        return s.isin(true + false)
    if ftype not in TYPE_PATTERNS:
        return pd.Series(True, index=s.index)
    ok = s.str.fullmatch(TYPE_PATTERNS[ftype]).fillna(False).astype(bool)
    if ftype == "date":
        ok &= pd.to_datetime(s.where(ok), format="%Y-%m-%d", errors="coerce").notna()
    return ok


def _fits_int64(s):
    """True where the integer text ``s`` holds a value an Int64 can hold (at most 9223372036854775807, at
    least -9223372036854775808); compared as texts of digits, so that no value is rounded."""
    digits = s.str.lstrip("+-").str.lstrip("0")
    n, negative = digits.str.len(), s.str.startswith("-").fillna(False).astype(bool)
    top = (digits <= "9223372036854775807").fillna(False).astype(bool)
    bottom = (digits <= "9223372036854775808").fillna(False).astype(bool)
    short, nineteen = ((n < 19).fillna(False).astype(bool), (n == 19).fillna(False).astype(bool))
    return short | nineteen & (top & ~negative | bottom & negative)


def _beyond_integer(s, op: str, bound) -> "pd.Series":
    """True where the integer text ``s`` is below (``op`` "lt") or above ("gt") ``bound``, exactly at any length:
    compared by sign, then number of digits, then digits (an Int64 would leave a longer value out, a float
    round it); the bound as :func:`~bizenv.package.integer_bound` reads it."""
    bound = integer_bound(bound, minimum=op == "lt")
    digits = s.str.lstrip("+-").str.lstrip("0").fillna("")
    negative = s.str.startswith("-").fillna(False).astype(bool) & (digits != "")
    b = str(abs(bound)).lstrip("0")
    n = digits.str.len()
    longer = (n > len(b)) | ((n == len(b)) & (digits > b))  # |cell| > |bound|
    shorter = (n < len(b)) | ((n == len(b)) & (digits < b))  # |cell| < |bound|
    if op == "gt":
        out = (~negative & longer) if bound >= 0 else (~negative | shorter)
    else:
        out = (negative | shorter) if bound >= 0 else (negative & longer)
    return out.fillna(False).astype(bool)


def _typed(field: dict, s):
    """The text column in its Table Schema type (values that are not of the type become missing)."""
    import pandas as pd

    ftype = field.get("type", "string")
    valid = _valid(field, s) & s.notna()
    s = s.where(valid)
    if ftype == "boolean":
        # missing where the cell is empty or not a boolean (pandas' NA in a text column, not None)
        return s.isin(boolean_values(field)[0]).astype("boolean").mask(s.isna())
    if ftype == "date":
        return pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    if ftype in ("integer", "year"):  # missing beyond Int64 (as the typed tables: NULL beyond BIGINT)
        return pd.to_numeric(s.where(_fits_int64(s)), errors="coerce").astype("Int64")
    if ftype == "number":
        return pd.to_numeric(s.replace({"INF": "inf", "-INF": "-inf"}), errors="coerce").astype("Float64")
    return s.astype("string")


# a number as the Table Schema writes it, in parts: sign, integer digits, fraction digits, exponent
NUMBER_PARTS = r"([+-]?)([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?"


def _key_value(field: dict, s):
    """A key field's values as Frictionless compares keys (as ``compiled.key_value``): text, missing where the
    cell is empty or breaks its type (Frictionless reads it as None), one spelling of each value of a typed
    field (02, +2 and 2 are 2; 1.0 and 1e0 are one number, -0 is 0; a NaN equals nothing; a boolean is
    true or false)."""
    import pandas as pd

    ftype = field.get("type", "string")
    if ftype not in TYPE_PATTERNS and ftype != "boolean":
        return s.astype(object)
    valid = _valid(field, s) & s.notna()
    if ftype == "boolean":
        value = s.isin(boolean_values(field)[0]).map({True: "true", False: "false"})
    elif ftype == "integer":
        digits = s.str.lstrip("+-").str.lstrip("0")
        sign = s.str.startswith("-").map({True: "-", False: ""}).where(digits != "", "")
        value = sign + digits.where(digits != "", "0")
    elif ftype == "number":
        parts = s.str.extract(NUMBER_PARTS)
        sign, fraction, exp = parts[0], parts[2].fillna(""), parts[3].fillna("0")
        mantissa = (parts[1].fillna("") + fraction).str.lstrip("0")
        digits = mantissa.str.rstrip("0")
        exp = exp.where(exp.str.lstrip("+-").str.lstrip("0").str.len() <= 18)  # longer: kept as written
        exponent = (pd.to_numeric(exp, errors="coerce").astype("Int64") - fraction.str.len()
                    + mantissa.str.len() - digits.str.len())
        value = (sign.map({"-": "-"}).fillna("") + digits + "e" + exponent.astype("string").fillna(s)).where(
            mantissa != "", "0")
        value = value.mask(s.isin(["inf", "INF"]), "inf").mask(s.isin(["-inf", "-INF"]), "-inf")
        value = value.mask(s.isin(["NaN", "nan"]), "NaN " + pd.Series(s.index, index=s.index).astype(str))
    else:  # a date or a year: a valid one is written as its value
        value = s
    return value.astype(object).where(valid, None)


def _enum_values(field: dict) -> set:
    """The values a typed field's enum allows, as :func:`_key_value` writes them (true or false for a
    boolean; a NaN in the enum is written with a row of its own, so it equals no cell's NaN)."""
    import pandas as pd

    if field.get("type") == "boolean":
        return set(boolean_enum(field))
    texts = enum_texts(field)
    return set(_key_value(field, pd.Series(texts, index=range(-1, -len(texts) - 1, -1), dtype="string")).dropna())


def _key_ok(frame, fields: list[dict]):
    """False on a row whose key values (:func:`_key_value`) are all empty, or whose key an earlier row has."""
    import pandas as pd

    keys = pd.DataFrame({f["name"]: _key_value(f, frame[f["name"]]) for f in fields}, index=frame.index)
    empty = keys.isna().all(axis=1)
    repeated = keys[~empty].duplicated(keep="first").reindex(frame.index, fill_value=False)
    return ~(empty | repeated)


def schema(pkg, table: str):
    """The pandera schema of ``table`` (``pkg``: a :class:`Package` or its folder), derived from its Table
    Schema; it checks the columns as text (as they are written in the CSV file), so that every cell
    that breaks its type is named."""
    import pandera.pandas as pa

    pkg = pkg if isinstance(pkg, Package) else Package.open(pkg)

    columns = {}
    for f in pkg.fields(table):
        ftype, c = f.get("type", "string"), f.get("constraints", {})
        checks = []
        if ftype in TYPE_PATTERNS or ftype == "boolean":
            checks.append(pa.Check(lambda s, f=f: _valid(f, s), error=f"type-error: type is \"{ftype}/default\""))
        if "enum" in c and (ftype == "boolean" or ftype in TYPE_PATTERNS):  # by value, as compiled and Frictionless
            checks.append(pa.Check(lambda s, f=f: ~_valid(f, s) | _key_value(f, s).isin(_enum_values(f)),
                                   error=f'constraint-error: enum {c["enum"]}'))
        elif "enum" in c:
            checks.append(pa.Check.isin([str(x) for x in c["enum"]], error=f'constraint-error: enum {c["enum"]}'))
        if "pattern" in c:
            pattern = c["pattern"]
            checks.append(pa.Check(lambda s, p=pattern, f=f: ~_valid(f, s) | s.str.fullmatch(p).fillna(False),
                                   error=f"constraint-error: pattern {pattern}"))
        for key, op in (("minimum", "lt"), ("maximum", "gt")):
            if key in c and ftype in ("integer", "number", "year", "date"):
                bound = c[key]

                def out_of_range(s, f=f, op=op, bound=bound):
                    import pandas as pd

                    if f.get("type") == "integer":  # exactly, at any length (as Frictionless: Python ints)
                        return ~(_valid(f, s) & s.notna() & _beyond_integer(s, op, bound))
                    typed = _typed(f, s)
                    limit = pd.Timestamp(bound) if f.get("type") == "date" else bound
                    return ~getattr(typed, op)(limit).fillna(False).astype(bool)

                checks.append(pa.Check(out_of_range, error=f"constraint-error: {key} {bound}"))
        if c.get("unique"):  # compared by value, as the keys; an empty or broken cell repeats nothing

            def unique(s, f=f):
                value = _key_value(f, s)
                return ~(value.duplicated(keep="first") & value.notna())

            checks.append(pa.Check(unique, error="unique-error"))
        columns[f["name"]] = pa.Column("string", nullable=not c.get("required", False), checks=checks,
                                       required=True, name=f["name"])
    pk = pkg.primary_key(table)
    fields = {f["name"]: f for f in pkg.fields(table)}
    checks = [pa.Check(lambda df, pk=pk: _key_ok(df, [fields.get(k, {"name": k}) for k in pk]),
                       error="primary-key")] if pk else []
    return pa.DataFrameSchema(columns, checks=checks, strict=True, ordered=True, name=table)


def read_text(pkg: Package, table: str):
    """The CSV file as a DataFrame of text, as written (empty cells missing), in file order."""
    import pandas as pd

    return pd.read_csv(pkg.path(table), dtype="string", keep_default_na=False, na_values=[""], encoding="utf-8")


def failures(pkg: Package, table: str, frame=None) -> list[tuple[str, int, str | None, str | None]]:
    """(error type, CSV record number, column, value) of every cell the pandera schema rejects."""
    import pandera.pandas as pa

    frame = read_text(pkg, table) if frame is None else frame
    try:
        schema(pkg, table).validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    import pandas as pd

    out = []
    for check, column, index, value in cases[["check", "column", "index", "failure_case"]].itertuples(index=False):
        if pd.isna(index):
            continue
        check = str(check)
        if check == "not_nullable":
            kind = "constraint-error"
        elif check == "primary-key":  # the value is the key, as the compiled check shows it
            cells = frame.loc[int(index), pkg.primary_key(table)]
            kind, column, value = "primary-key", None, ", ".join("" if pd.isna(v) else str(v) for v in cells)
        else:
            kind = check.split(":")[0]
        out.append((kind, int(index) + 2, None if column == table else column,
                    None if value is None or pd.isna(value) else str(value)))
    return sorted(set(out), key=lambda x: (x[1], x[2] or "", x[0]))


def read(table: str, package=None, validate: bool = True):
    """The table ``table`` of the package as a typed pandas DataFrame, validated by its pandera schema.

    ``package`` is the package folder (default: the one containing the working directory).  With
    ``validate=True`` (the default) a table that breaks its Table Schema raises
    ``pandera.errors.SchemaErrors`` listing every failing cell; ``validate=False`` returns it typed
    as it is (values that are not of their type become missing).
    """
    pkg = package if isinstance(package, Package) else Package.open(package)
    if table not in pkg.resources:
        raise KeyError(f"no table {table!r} in the package (tables: {', '.join(pkg.table_names)})")
    frame = read_text(pkg, table)
    if validate:
        schema(pkg, table).validate(frame, lazy=True)
    import pandas as pd

    return pd.DataFrame({f["name"]: _typed(f, frame[f["name"]]) for f in pkg.fields(table)}, index=frame.index)


__all__ = ["read", "schema", "failures"]

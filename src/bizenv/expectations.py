"""The great-expectations layer: an expectation suite for the corpus, and its HTML report.

The suite is derived from the Table Schemas (required → not null, unique and primary keys,
enums → value sets, patterns and types → regexes, minimum/maximum → ranges) and from the
row-count assertions per document in validation/assertions.yaml, and kept in
``validation/expectations.json``; ``bizenv expectations --check`` fails when the kept suite
no longer matches its sources.  ``bizenv validate --expectations`` runs it as a layer and
``bizenv report`` renders the result as one HTML page in build/.

great-expectations runs fully offline: an ephemeral context, analytics off, no progress
bars.  Importing it takes seconds, so nothing here is imported on the CLI's start-up path.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass

from .findings import Finding
from .package import Package, boolean_enum, boolean_values

SUITE = "validation/expectations.json"
ASSERTIONS = "validation/assertions.yaml"
NUMBER_RE = r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$"
TYPE_RE = {"integer": r"^-?\d+$", "number": NUMBER_RE, "date": r"^\d{4}-\d{2}-\d{2}$"}
COUNT_TABLES = {"measures": None, "tasks": None, "tasks_damaged": "status != 'ok'", "assignments": None,
                "lead_assignments": "role == 'lead'", "deadlines": None, "targets": None}


def derive(pkg: Package) -> dict:
    """The suite, table by table, from the schemas and the count assertions."""
    import yaml

    suites = {}
    for name in pkg.table_names:
        exps = []
        pk = pkg.primary_key(name)
        for f in pkg.fields(name):
            col, c, ftype = f["name"], f.get("constraints", {}), f.get("type", "string")
            if c.get("required") or col in pk:
                exps.append(("expect_column_values_to_not_be_null", {"column": col}))
            if c.get("unique") or pk == [col]:
                exps.append(("expect_column_values_to_be_unique", {"column": col}))
            if "enum" in c and ftype == "boolean":  # the spellings of the values it allows (enum ["true"] takes TRUE)
                true, false = boolean_values(f)
                allowed = boolean_enum(f)
                exps.append(("expect_column_values_to_be_in_set", {"column": col, "value_set": [
                    *(true if "true" in allowed else []), *(false if "false" in allowed else [])]}))
            elif "enum" in c:
                exps.append(("expect_column_values_to_be_in_set", {"column": col, "value_set": c["enum"]}))
            if ftype == "boolean":
                exps.append(("expect_column_values_to_be_in_set",
                             {"column": col, "value_set": sum(boolean_values(f), [])}))
            if "pattern" in c:
                exps.append(("expect_column_values_to_match_regex", {"column": col, "regex": f"^(?:{c['pattern']})$"}))
            if ftype in TYPE_RE:
                exps.append(("expect_column_values_to_match_regex", {"column": col, "regex": TYPE_RE[ftype]}))
            if ("minimum" in c or "maximum" in c) and ftype in ("integer", "number"):
                exps.append(("expect_column_values_to_be_between",
                             {"column": col, "min_value": c.get("minimum"), "max_value": c.get("maximum")}))
        if len(pk) > 1:
            exps.append(("expect_compound_columns_to_be_unique", {"column_list": pk}))
        suites[name] = exps
    path = pkg.root / ASSERTIONS
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    for doc_id, counts in (spec or {}).items():
        for count, expected in (counts or {}).items():
            if count not in COUNT_TABLES:
                continue
            table = "assignments" if count == "lead_assignments" else "tasks" if count == "tasks_damaged" else count
            low, high = (expected, expected) if isinstance(expected, int) else expected
            condition = f'_document_id=="{doc_id}"'
            if COUNT_TABLES[count]:
                condition += " and " + COUNT_TABLES[count].replace("'", '"')
            suites[table].append(("expect_table_row_count_to_be_between",
                                  {"min_value": low, "max_value": high, "row_condition": condition,
                                   "condition_parser": "pandas", "meta_count": f"{doc_id}: {count}"}))
    return {"name": "cn-bizenv-policies", "generated_from": ["schemas/*.json", ASSERTIONS],
            "suites": {t: [{"type": e, "kwargs": k} for e, k in exps] for t, exps in suites.items()}}


def render_suite(pkg: Package) -> str:
    return json.dumps(derive(pkg), ensure_ascii=False, indent=1) + "\n"


def frames(pkg: Package) -> dict:
    """Each table as text, empty cells as nulls, numbers as numbers, with _document_id for counts."""
    import pandas as pd

    out = {}
    for name in pkg.table_names:
        df = pd.read_csv(pkg.path(name), dtype="str", keep_default_na=False, na_values=[""], encoding="utf-8")
        out[name] = df
    doc = dict(zip(out["tasks"]["task_id"], out["tasks"]["document_id"])) if "tasks" in out else {}
    for name, df in out.items():
        if "document_id" in df:
            df["_document_id"] = df["document_id"]
        elif "task_id" in df:
            df["_document_id"] = df["task_id"].map(doc)
    return out


@dataclass
class Outcome:
    table: str
    type: str
    kwargs: dict
    success: bool
    observed: str
    unexpected_rows: list[int]
    sample: list[str]


class MissingGX(Exception):
    pass


def run(pkg: Package) -> list[Outcome]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    try:
        import great_expectations as gx
    except ImportError:
        raise MissingGX("great-expectations is not installed: pip install 'bizenv[gx]'") from None
    import pandas as pd
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    kept = json.loads((pkg.root / SUITE).read_text(encoding="utf-8"))
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("corpus")
    data = frames(pkg)
    outcomes = []
    for table, expectations in kept["suites"].items():
        if table not in data or not expectations:
            continue
        df = data[table]
        asset = source.add_dataframe_asset(table)
        batch = asset.add_batch_definition_whole_dataframe("all")
        suite = context.suites.add(ExpectationSuite(name=table))
        for e in expectations:
            kwargs = {k: v for k, v in e["kwargs"].items() if not k.startswith("meta_")}
            if e["type"] == "expect_column_values_to_be_between":
                # the text column keeps its type regex; the range compares a numeric shadow of it
                shadow = f"_number_{kwargs['column']}"
                df[shadow] = pd.to_numeric(df[kwargs["column"]], errors="coerce")
                kwargs["column"] = shadow
            suite.add_expectation_configuration(ExpectationConfiguration(type=e["type"], kwargs=kwargs,
                                                                         meta={"label": e["kwargs"].get("meta_count")}))
        suite.save()
        definition = context.validation_definitions.add(gx.ValidationDefinition(name=table, data=batch, suite=suite))
        result = definition.run(batch_parameters={"dataframe": df}, result_format="COMPLETE")
        for r in result.results:
            res = r.result or {}
            rows = [int(i) + 2 for i in (res.get("unexpected_index_list") or []) if isinstance(i, (int, float))]
            observed = res.get("observed_value")
            if observed is None and res.get("unexpected_count") is not None:
                observed = f"{res['unexpected_count']} unexpected of {res.get('element_count')}"
            if r.exception_info and r.exception_info.get("raised_exception"):
                observed = "error: " + str(r.exception_info.get("exception_message"))[:200]
            kwargs = dict(r.expectation_config.kwargs)
            if r.expectation_config.meta and r.expectation_config.meta.get("label"):
                kwargs["count"] = r.expectation_config.meta["label"]
            outcomes.append(Outcome(table, r.expectation_config.type, kwargs, bool(r.success), str(observed),
                                    rows[:50], [str(v) for v in (res.get("partial_unexpected_list") or [])[:5]]))
    return outcomes


def findings(pkg: Package, outcomes: list[Outcome]) -> list[Finding]:
    out = []
    for o in outcomes:
        if o.success:
            continue
        column = o.kwargs.get("column")
        column = column.removeprefix("_number_") if column else None
        where = dict(table=o.table, file=pkg.relpath(o.table), column=column)
        message = f"{o.type} failed: {o.observed}" + (f" ({o.kwargs['count']})" if "count" in o.kwargs else "")
        if o.unexpected_rows:
            out += [Finding("expectations", o.type, message, row=row, value=", ".join(o.sample[:1]) or None, **where)
                    for row in o.unexpected_rows[:20]]
        else:
            out.append(Finding("expectations", o.type, message, value=", ".join(o.sample) or None, **where))
    return out


def render_html(pkg: Package, outcomes: list[Outcome]) -> str:
    """One self-contained page: every expectation of every table with its result."""
    failed = sum(not o.success for o in outcomes)
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Data docs: {esc(pkg.descriptor.get('name', ''))} {esc(str(pkg.descriptor.get('version', '')))}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;width:100%;"
        "margin-bottom:2em}td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top;"
        "font-size:.9em}tr.fail{background:#fde2e1}tr.pass td.r{color:#176b2c}tr.fail td.r{color:#a4161a;"
        "font-weight:bold}code{font-size:.85em}</style></head><body>",
        f"<h1>Data docs: {esc(pkg.descriptor.get('title', ''))}</h1>",
        f"<p>Package <code>{esc(pkg.descriptor.get('name', ''))}</code> version "
        f"{esc(str(pkg.descriptor.get('version', '')))}. Expectation suite <code>{SUITE}</code>, validated with "
        "great-expectations.</p>",
        f"<p class='summary'><strong>{len(outcomes) - failed} of {len(outcomes)} expectations met; "
        f"{failed} failed.</strong></p>",
    ]
    for table in dict.fromkeys(o.table for o in outcomes):
        rows = [o for o in outcomes if o.table == table]
        bad = sum(not o.success for o in rows)
        parts.append(f"<h2 id='{esc(table)}'>{esc(table)} <small>({len(rows) - bad}/{len(rows)} met)</small></h2>")
        parts.append("<table><tr><th>expectation</th><th>arguments</th><th>result</th><th>observed</th>"
                     "<th>unexpected rows (CSV line) and values</th></tr>")
        for o in rows:
            args = ", ".join(f"{k}={v!r}" for k, v in o.kwargs.items() if k not in ("condition_parser",))
            detail = ", ".join(map(str, o.unexpected_rows[:10]))
            if o.sample:
                detail += (" — " if detail else "") + ", ".join(o.sample)
            parts.append(f"<tr class='{'pass' if o.success else 'fail'}'><td><code>{esc(o.type)}</code></td>"
                         f"<td><code>{esc(args)}</code></td><td class='r'>{'met' if o.success else 'FAILED'}</td>"
                         f"<td>{esc(o.observed)}</td><td>{esc(detail)}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

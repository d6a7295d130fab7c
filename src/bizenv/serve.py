"""``bizenv serve``: the corpus in a web page (Datasette), and the site's metadata.

The metadata is derived, never written by hand: titles and descriptions of tables and columns
come from datapackage.json and the Table Schemas, view descriptions from the comments in
sql/views.sql, canned queries from docs/cookbook.yaml. What is chosen for people is listed
once here: the facets of each table or view and the column that names a row (its label,
shown wherever a foreign key points at it). Search columns are listed in
``bizenv.sqlitedb.SEARCH``.

Safety: the SQLite file is opened immutable (read-only, no locking), SQL has a time limit,
SQLite in Python has no functions that read or write files and Datasette refuses anything
but SELECT, and the server listens on 127.0.0.1 unless ``--host`` says otherwise.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from .build import site_path
from .package import Package
from .sqlitedb import SEARCH, fts_columns

SITE = Path(__file__).parent / "site"
PLUGINS = SITE / "plugins"
TEMPLATES = SITE / "templates"
DEFAULT_PORT = 8001

# The facets offered first on each table and view (columns that do not exist are skipped).
FACETS: dict[str, list[str]] = {
    "documents": ["jurisdiction", "year", "doc_type"],
    "measures": ["document_id", "level"],
    "tasks": ["document_id", "indicator_id", "status"],
    "units": ["jurisdiction", "unit_type", "function"],
    "unit_aliases": ["derivation"],
    "assignments": ["role", "inherited"],
    "deadlines": ["kind", "precision", "source"],
    "targets": ["kind", "unit", "comparator"],
    "indicators": ["group"],
    "task_overview": ["document_id", "jurisdiction", "year", "status"],
    "assignments_long": ["document_id", "document_jurisdiction", "year", "role", "unit_type"],
    "unit_workload": ["jurisdiction", "unit_type"],
    "function_workload": ["function", "jurisdiction"],
    "deadline_calendar": ["document_id", "jurisdiction"],
    "deadlines_by_document": ["jurisdiction", "year"],
    "targets_long": ["document_id", "year", "kind", "dimension", "unit"],
    "targets_by_indicator": ["indicator", "jurisdiction", "year", "kind"],
    "reported_figures": ["unit"],
}

# The column that names a row of each table (shown beside foreign keys that point at it).
LABELS: dict[str, str] = {
    "documents": "title",
    "measures": "title",
    "tasks": "text_clean",
    "units": "name",
    "indicators": "name_en",
    "measurement_units": "name_en",
}

SETTINGS = {
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 500,
    "max_returned_rows": 5000,
    "default_page_size": 50,
    "default_facet_size": 30,
    "suggest_facets": False,
    "allow_download": True,
    "num_sql_threads": 3,
}


def view_descriptions(pkg: Package) -> dict[str, str]:
    """The comment block above each CREATE VIEW in sql/views.sql, as one sentence-run of text."""
    path = pkg.root / "sql" / "views.sql"
    if not path.exists():
        return {}
    out, comment = {}, []
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("--"):
            comment.append(stripped[2:].strip())
            continue
        match = re.match(r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(\w+)", stripped, re.I)
        if match and comment:
            text = " ".join(comment)
            out[match.group(1)] = re.sub(rf"^{match.group(1)}:\s*", "", text)
        if stripped:
            comment = []
    return out


def slug(title: str, limit: int = 60) -> str:
    """URL name of a question: its words in lower case, cut at a word boundary."""
    text = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if len(text) > limit:
        text = text[:limit + 1].rsplit("-", 1)[0]
    return text


class SiteError(Exception):
    """A file the site is made from cannot be used (the CLI prints it, exit 1)."""


def canned_queries(pkg: Package) -> dict[str, dict]:
    """The cookbook's questions as Datasette canned queries (empty without docs/cookbook.yaml)."""
    import yaml

    path = pkg.root / "docs" / "cookbook.yaml"
    if not path.exists():
        return {}
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        questions = spec.get("questions", [])
        if not isinstance(questions, list) or not all(
                isinstance(q, dict) and isinstance(q.get("title"), str) and isinstance(q.get("sql"), str)
                for q in questions):
            raise ValueError("each question needs a title and sql")
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError, AttributeError) as exc:
        raise SiteError(f"docs/cookbook.yaml: cannot be used: {' '.join(str(exc).split())}") from None
    out = {}
    for number, q in enumerate(questions, start=1):
        description = (q.get("why") or "").strip()
        params = list(q.get("params", {}) or {})
        if params:
            description += (" " if description else "") + (
                "Leave a parameter empty for all; fill it in to narrow the answer.")
        out[q.get("name") or f"{number:02d}-{slug(q['title'])}"] = {
            "title": f"{number}. {q['title']}", "sql": q["sql"].strip(), "description": description,
            **({"params": params} if params else {}),
            **({"chart": q["chart"]} if q.get("chart") else {}),
        }
    return out


def _columns(db: Path) -> dict[str, list[str]]:
    con = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name").fetchall()]
        return {n: [r[0] for r in con.execute("SELECT name FROM pragma_table_info(?)", [n]).fetchall()]
                for n in names}
    finally:
        con.close()


def _description(field: dict) -> str:
    text = field.get("description", "")
    enum = (field.get("constraints") or {}).get("enum")
    if enum and not all(str(v) in text for v in enum):
        text += f" Values: {', '.join(map(str, enum))}."
    return text.strip()


def metadata(pkg: Package, db: Path) -> dict:
    """Datasette metadata for the SQLite file, derived from the package."""
    desc = pkg.descriptor
    version = desc.get("version", "")
    columns = _columns(db)
    licence = (desc.get("licenses") or [{}])[0]
    tables: dict[str, dict] = {}
    for name in pkg.table_names:
        res, schema = pkg.resources[name], pkg.schema(name)
        entry = {
            "title": res.get("title", name),
            "description": res.get("description") or schema.get("description", ""),
            "columns": {f["name"]: _description(f) for f in pkg.fields(name) if f.get("description")},
        }
        if name in LABELS and LABELS[name] in columns.get(name, []):
            entry["label_column"] = LABELS[name]
        if name in SEARCH:
            entry["fts_table"] = f"{name}_fts"
            entry["fts_pk"] = "rowid"
            entry["searchmode"] = "escaped"
        tables[name] = entry
    for name, text in view_descriptions(pkg).items():
        if name in columns:
            tables[name] = {"title": name.replace("_", " ").capitalize() + " (view)", "description": text}
    for name, facets in FACETS.items():
        if name in tables and name in columns:
            present = [f for f in facets if f in columns[name]]
            if present:
                tables[name]["facets"] = present
    for name in columns:
        if name.startswith("_") or name.endswith("_fts"):
            tables.setdefault(name, {})["hidden"] = True
    search = {
        name: {"fts_table": f"{name}_fts", "pk": pkg.primary_key(name), "label": LABELS.get(name),
               "title": pkg.resources[name].get("title", name), "columns": [c for _, _, c in fts_columns(name)],
               "shown": [c for relation, c, _ in fts_columns(name) if relation == name],
               "extra": [[relation, c] for relation, c, _ in fts_columns(name) if relation != name]}
        for name in SEARCH if name in columns and f"{name}_fts" in columns
    }
    queries = canned_queries(pkg)
    sources = desc.get("sources") or []
    return {
        "title": desc.get("title", desc.get("name", "bizenv")) + (f", version {version}" if version else ""),
        "description_html": (
            f"<p>{_html(desc.get('description', ''))}</p>"
            f"<p>Data package <code>{_html(desc.get('name', ''))}</code> version <strong>{_html(version)}</strong>. "
            "Search finds every row whose text contains each word you type, in Chinese (any number of "
            "characters) or English. Download any table, view or query as CSV, CSV for Excel "
            "(<code>csvbom</code>, UTF-8 with a byte-order mark) or <code>xlsx</code>.</p>"),
        "license": licence.get("title") or licence.get("name", ""),
        "license_url": licence.get("path", ""),
        "source": "; ".join(s.get("title", "") for s in sources) or "Official documents of Chinese local governments",
        "about": f"bizenv {version}",
        "databases": {
            "bizenv": {
                "title": desc.get("title", "bizenv"),
                "description": f"Tables and views of the corpus, version {version}.",
                "tables": tables,
                "queries": {k: {f: v for f, v in q.items() if f != "chart"} for k, q in queries.items()},
            }
        },
        "plugins": {"bizenv-site": {
            "search": search,
            "queries": [{"name": k, "title": v["title"], "description": v["description"]} for k, v in queries.items()],
            "query_charts": {k: v["chart"] for k, v in queries.items() if v.get("chart")},
            "version": version,
        }},
    }


def _html(text: str) -> str:
    import html

    return html.escape(str(text))


def write_metadata(pkg: Package) -> Path:
    path = pkg.build_dir / "datasette" / "metadata.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metadata(pkg, site_path(pkg)), ensure_ascii=False, indent=2) + "\n",
                    encoding="utf-8")
    return path


def app(pkg: Package):
    """The Datasette ASGI application over build/bizenv.sqlite (which must exist)."""
    from datasette.app import Datasette

    db = site_path(pkg)
    ds = Datasette(
        immutables=[str(db)],
        metadata=metadata(pkg, db),
        settings=SETTINGS,
        plugins_dir=str(PLUGINS),
        template_dir=str(TEMPLATES),
        cors=False,
    )
    return ds


def run(pkg: Package, host: str, port: int, log=print) -> None:
    import uvicorn

    ds = app(pkg)
    log(f"serving {site_path(pkg)} at http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")

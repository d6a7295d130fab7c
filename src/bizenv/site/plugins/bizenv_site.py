"""Datasette plugin of the corpus site (loaded by ``bizenv serve`` from this folder).

* Chinese search: the FTS5 tables of ``build/bizenv.sqlite`` hold one token per character
  (``bizenv.sqlitedb.TOKEN_SQL``); :func:`fts_match` turns what a person types into a phrase
  of those tokens per word, and this plugin installs it as Datasette's ``escape_fts``, so
  ``?_search=信用`` on a table finds exactly the rows whose text contains 信用.
* ``/-/search?q=``: the search across every searchable table.
* Task pages: the document, headings, text, units (with English names), deadlines, targets
  and the source lines of a task.
* Home page charts, drawn as inline SVG from the data (no script, nothing fetched).
* Exports: ``.xlsx`` and ``.csvbom`` (CSV with a UTF-8 byte-order mark, for Excel) for every
  table, view and query; a table or view is exported whole, not just the page shown.

The plugin only acts on the database named ``bizenv``.
"""

from __future__ import annotations

import html
import re
import urllib.parse

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import Response
from markupsafe import Markup

DATABASE = "bizenv"
PLUGIN = "bizenv-site"
EXPORT_MAX_ROWS = 200_000


# --- search ---------------------------------------------------------------------------------

def token(ch: str) -> str:
    """The FTS token of one character (twin of bizenv.sqlitedb.TOKEN_SQL)."""
    if ch.isascii() and ch.isalnum():
        return ch
    return "u" + format(ord(ch), "x")


def tokens(text: str) -> str:
    return " ".join(token(ch) for ch in text)


_WORDS = re.compile(r'"([^"]*)"|(\S+)')


def words(query: str) -> list[str]:
    """Words of a search: split on whitespace; "double quotes" keep a phrase with its spaces."""
    out = []
    for quoted, bare in _WORDS.findall(query or ""):
        word = quoted if quoted else bare.replace('"', "")
        if word.strip():
            out.append(word)
    return out


def fts_match(query: str) -> str:
    """An FTS5 query: every word as a phrase of its characters' tokens, all words required."""
    found = words(query)
    if not found:
        return '""'  # matches nothing
    return " ".join('"' + tokens(w) + '"' for w in found)


@hookimpl(trylast=True)  # after Datasette's own escape_fts, so this one is in force
def prepare_connection(conn, database):
    if database == DATABASE:
        conn.create_function("escape_fts", 1, fts_match, deterministic=True)


def ident(name: str) -> str:
    """An SQL identifier, quoted (names come from the package's descriptor)."""
    return '"' + str(name).replace('"', '""') + '"'


def _config(datasette) -> dict:
    return datasette.plugin_config(PLUGIN) or {}


async def search_all(datasette, query: str, limit: int = 5) -> list[dict]:
    """For each searchable table: how many rows contain every word, and the first ``limit``."""
    db = datasette.get_database(DATABASE)
    out = []
    for table, spec in _config(datasette).get("search", {}).items():
        fts, label = spec["fts_table"], spec.get("label") or spec["columns"][0]
        where = f"rowid IN (SELECT rowid FROM {ident(fts)} WHERE {ident(fts)} MATCH escape_fts(:q))"
        count = (await db.execute(f"SELECT count(*) FROM {ident(table)} WHERE {where}", {"q": query})).rows[0][0]
        pk = ", ".join(ident(c) for c in spec["pk"])
        shown = [c for c in spec.get("shown") or [] if c != label]
        cols = ", ".join(ident(c) for c in [label] + shown)
        rows = (await db.execute(f"SELECT {pk}, {cols} FROM {ident(table)} WHERE {where} ORDER BY rowid "
                                 f"LIMIT {int(limit)}", {"q": query})).rows
        n = len(spec["pk"])
        found = [w.lower() for w in words(query)]

        def best(values):
            """The first shown text that contains a word of the search, else the label."""
            for v in values:
                if v is not None and any(w in str(v).lower() for w in found):
                    return v
            return values[0]

        out.append({
            "table": table, "title": spec.get("title", table), "count": count,
            "url": datasette.urls.table(DATABASE, table) + "?" + urllib.parse.urlencode({"_search": query}),
            "rows": [{"url": datasette.urls.row(DATABASE, table, ",".join(tilde_encode(str(v)) for v in r[:n])),
                      "key": ", ".join(str(v) for v in r[:n]),
                "label": highlight(best(list(r[n:])), query)} for r in rows],
        })
    return out


def highlight(text, query: str) -> Markup:
    """The text, escaped, with every word of the search marked (ASCII letters in any case)."""
    if text is None:
        return Markup("")
    text = str(text)
    found = sorted({w for w in words(query)}, key=len, reverse=True)
    if not found:
        return Markup(_e(text))
    pattern = re.compile("|".join(re.escape(w) for w in found), re.IGNORECASE if query.isascii() else 0)
    out, last = [], 0
    for m in pattern.finditer(text):
        out += [_e(text[last:m.start()]), "<mark>", _e(m.group(0)), "</mark>"]
        last = m.end()
    out.append(_e(text[last:]))
    return Markup("".join(out))


async def search_page(datasette, request):
    query = request.args.get("q", "").strip()
    results = await search_all(datasette, query) if query else []
    return Response.html(await datasette.render_template(
        "bizenv_search.html", {"q": query, "results": results, "total": sum(r["count"] for r in results)},
        request=request))


CSS = """
.bizenv-search { margin: 1em 0; display: flex; gap: .5em; max-width: 44em; }
.bizenv-search input[type=search] { flex: 1; font-size: 1.1em; padding: .35em .5em; }
.bizenv-chart { width: 100%; max-width: 900px; height: auto; }
.bizenv-cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(18em, 1fr)); gap: 0 2em; }
.bizenv-cols ul { padding-left: 1.2em; margin-top: .3em; }
.bizenv-task dt { font-weight: bold; margin-top: .6em; }
.bizenv-task dd { margin-left: 0; }
.bizenv-text { font-size: 1.15em; line-height: 1.6; max-width: 48em; }
table.bizenv-small td, table.bizenv-small th { padding: 3px 8px; vertical-align: top; }
pre.bizenv-source { background: #f6f6f6; padding: .6em; white-space: pre-wrap; max-width: 60em; font-size: .95em; }
pre.bizenv-source .line { display: block; }
pre.bizenv-source .hit, mark { background: #fff2a8; }
.bizenv-muted { color: #666; }
.rows-and-columns td.col-text, .rows-and-columns td.col-text_clean, .rows-and-columns td.col-notes,
.rows-and-columns td.col-quote, .rows-and-columns td.col-metric, .rows-and-columns td.col-description,
.rows-and-columns td.col-task_text, .rows-and-columns td.col-body, .rows-and-columns td.col-title
  { min-width: 22em; }
body:not(.table-tasks) .rows-and-columns td.col-task_id { min-width: 22em; }
"""


async def css(request):
    return Response(CSS, content_type="text/css; charset=utf-8")


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/-/bizenv.css")]


@hookimpl
def register_routes():
    return [(r"^/-/search$", search_page), (r"^/-/bizenv\.css$", css)]


async def tables_and_views(datasette) -> dict:
    """Tables (with row counts) and views of the database, without the hidden ones."""
    db = datasette.get_database(DATABASE)
    hidden = set(await db.hidden_table_names())
    meta = datasette.metadata("tables", database=DATABASE) or {}
    out = {"tables": [], "views": []}
    for name in await db.table_names():
        if name in hidden or name.startswith("_") or meta.get(name, {}).get("hidden"):
            continue
        count = (await db.execute(f"SELECT count(*) FROM {ident(name)}")).rows[0][0]
        out["tables"].append({"name": name, "title": meta.get(name, {}).get("title", name), "count": count})
    for name in await db.view_names():
        out["views"].append({"name": name, "description": meta.get(name, {}).get("description", "")})
    return out


# --- task pages -----------------------------------------------------------------------------

async def task_details(datasette, task_id: str) -> dict | None:
    db = datasette.get_database(DATABASE)

    async def rows(sql):
        result = await db.execute(sql, {"id": task_id})
        return [dict(r) for r in result.rows]

    task = await rows("""
        SELECT t.task_id, t.document_id, d.title AS document_title, d.title_en AS document_title_en,
               d.jurisdiction, d.jurisdiction_en, d.year, d.source_file, t.seq, t.label, t.text, t.text_clean,
               t.status, t.source_line, t.notes, t.indicator_id, i.name_en AS indicator,
               p.label AS heading1_label, p.title AS heading1, m.label AS heading2_label, m.title AS heading2
        FROM tasks t JOIN documents d USING (document_id)
        LEFT JOIN indicators i USING (indicator_id)
        LEFT JOIN measures m ON m.measure_id = t.measure_id
        LEFT JOIN measures p ON p.measure_id = coalesce(m.parent_id, m.measure_id) AND p.level = 1
        WHERE t.task_id = :id""")
    if not task:
        return None
    info = task[0]
    if info["heading2"] == info["heading1"] and info["heading2_label"] == info["heading1_label"]:
        info["heading2"] = info["heading2_label"] = None
    info["assignments"] = await rows("""
        SELECT a.role, a.position, a.name_as_printed, a.unit_id, u.name, u.name_en, u.unit_type, a.source_line
        FROM assignments a JOIN units u USING (unit_id) WHERE a.task_id = :id ORDER BY a.role, a.position""")
    info["deadlines"] = await rows("""
        SELECT position, raw_text, kind, due_date, precision, milestone, source_line
        FROM deadlines WHERE task_id = :id ORDER BY position""")
    info["targets"] = await rows("""
        SELECT target_id, quote, metric, comparator, value, unit_raw, unit, kind, as_of_date
        FROM targets WHERE task_id = :id ORDER BY target_id""")
    # searched columns from other relations (e.g. an English translation in a view) are shown too
    info["extra"] = []
    for relation, column in _config(datasette).get("search", {}).get("tasks", {}).get("extra", []):
        result = await db.execute(f"SELECT {ident(column)} FROM {ident(relation)} WHERE task_id = :id", {"id": task_id})
        values = [r[0] for r in result.rows if r[0]]
        if values:
            info["extra"].append({"name": column, "relation": relation, "text": "\n".join(map(str, values))})
    lines = [info["source_line"]] + [a["source_line"] for a in info["assignments"]] + \
            [d["source_line"] for d in info["deadlines"]]
    lines = [n for n in lines if n is not None]
    info["source_lines"] = []
    if lines:
        result = await db.execute(
            "SELECT line, text FROM _source_lines WHERE source_file = :f AND line BETWEEN :a AND :b ORDER BY line",
            {"f": info["source_file"], "a": min(lines), "b": min(max(lines), min(lines) + 60)})
        info["source_lines"] = [dict(r) for r in result.rows]
    return info


# --- charts ---------------------------------------------------------------------------------

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948", "#9c755f"]


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def chart_due_per_month(rows: list[dict]) -> str:
    """Stacked bars: tasks with a dated deadline per month, one colour per document."""
    if not rows:
        return "<p>No dated deadlines.</p>"
    months = sorted({r["month"] for r in rows})
    docs = sorted({r["document_id"] for r in rows})
    value = {(r["document_id"], r["month"]): r["tasks_due"] for r in rows}
    totals = [sum(value.get((d, m), 0) for d in docs) for m in months]
    top = max(totals) or 1
    w, h, left, bottom, top_pad = 860, 300, 40, 56, 12
    bw = (w - left - 10) / len(months)
    scale = (h - bottom - top_pad) / top
    parts = [f'<svg class="bizenv-chart" viewBox="0 0 {w} {h + 24 * ((len(docs) + 3) // 4)}" '
             f'role="img" aria-label="Tasks due per month and document">']
    step = max(1, round(top / 5))
    for y in range(0, top + 1, step):
        py = h - bottom - y * scale
        parts.append(f'<line x1="{left}" x2="{w - 10}" y1="{py:.1f}" y2="{py:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{py + 4:.1f}" text-anchor="end" font-size="11">{y}</text>')
    for i, m in enumerate(months):
        x, base = left + i * bw, h - bottom
        for j, d in enumerate(docs):
            v = value.get((d, m), 0)
            if v:
                parts.append(f'<rect x="{x + 1:.1f}" y="{base - v * scale:.1f}" width="{max(bw - 2, 1):.1f}" '
                             f'height="{v * scale:.1f}" fill="{PALETTE[j % len(PALETTE)]}">'
                             f'<title>{_e(d)} {_e(m)}: {v} tasks due</title></rect>')
                base -= v * scale
        if i % max(1, len(months) // 24) == 0:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{h - bottom + 8}" font-size="10" text-anchor="end" '
                         f'transform="rotate(-60 {x + bw / 2:.1f} {h - bottom + 8})">{_e(m)}</text>')
    for j, d in enumerate(docs):
        lx, ly = left + (j % 4) * 200, h + 4 + (j // 4) * 24
        parts.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{PALETTE[j % len(PALETTE)]}"/>'
                     f'<text x="{lx + 16}" y="{ly + 11}" font-size="12">{_e(d)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def chart_target(rows: list[dict]) -> str:
    """Horizontal bars, one per target, grouped and coloured by document and year."""
    if not rows:
        return "<p>No targets of this indicator in this unit.</p>"
    rows = sorted(rows, key=lambda r: (r["year"], r["place"], r["value"], r["metric"]))
    places = sorted({(r["year"], r["place"]) for r in rows})
    top = max(r["value"] for r in rows) or 1
    w, label_w, row_h, head = 900, 470, 22, 30
    bar_w = w - label_w - 150
    h = head + row_h * len(rows) + 18 * len(places) + 10
    parts = [f'<svg class="bizenv-chart" viewBox="0 0 {w} {h}" role="img" '
             f'aria-label="Target values across documents and years">']
    step = max(1, round(top / 5))
    for v in range(0, int(top) + 1, step):
        x = label_w + v / top * bar_w
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{head - 6}" y2="{h - 6}" stroke="#e3e3e3"/>'
                     f'<text x="{x:.1f}" y="{head - 12}" text-anchor="middle" font-size="11">{v}</text>')
    y, current = head, None
    for r in rows:
        key = (r["year"], r["place"])
        k = places.index(key)
        colour = PALETTE[k % len(PALETTE)]
        if key != current:
            current = key
            y += 4
            parts.append(f'<text x="0" y="{y + 12}" font-size="13" font-weight="bold" fill="{colour}">'
                         f'{_e(r["year"])} {_e(r["place"])}</text>')
            y += 18
        metric = r["metric"] if len(r["metric"]) <= 72 else r["metric"][:71] + "…"
        length = max(r["value"] / top * bar_w, 1)
        value = f'{_e(r["comparator"])} {r["value"]:g} {_e(r["unit_raw"])}'
        parts.append(f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end" font-size="12">{_e(metric)}'
                     f'<title>{_e(r["metric"])}</title></text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row_h - 6}" fill="{colour}">'
                     f'<title>{_e(r["place"])} {_e(r["year"])}: {value} ({_e(r["metric"])})</title></rect>'
                     f'<text x="{label_w + length + 6:.1f}" y="{y + 14}" font-size="12">{value}</text>')
        y += row_h
    parts.append("</svg>")
    return "".join(parts)


async def charts(datasette, indicator: str, unit: str) -> dict:
    db = datasette.get_database(DATABASE)
    due = await db.execute("SELECT document_id, substr(month, 1, 7) AS month, tasks_due FROM deadline_calendar "
                           "ORDER BY month, document_id")
    target = await db.execute(
        "SELECT year, jurisdiction_en AS place, metric, comparator, value, unit_raw FROM targets_by_indicator "
        "WHERE indicator_id = :i AND unit = :u AND kind = 'target' ORDER BY year, value, metric",
        {"i": indicator, "u": unit})
    indicators = await db.execute(
        "SELECT DISTINCT indicator_id, indicator, unit FROM targets_by_indicator WHERE kind = 'target' "
        "AND indicator_id IS NOT NULL ORDER BY indicator, unit")
    return {
        "due_per_month": Markup(chart_due_per_month([dict(r) for r in due.rows])),
        "target": Markup(chart_target([dict(r) for r in target.rows])),
        "indicator": indicator, "unit": unit,
        "indicator_choices": [dict(r) for r in indicators.rows],
    }


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    async def inner():
        if view_name == "index":
            indicator = (request.args.get("indicator") if request else None) or "getting_electricity"
            unit = (request.args.get("unit") if request else None) or "working_day"
            return {"bizenv_charts": await charts(datasette, indicator, unit),
                    "bizenv_queries": _config(datasette).get("queries", []),
                    "bizenv_tables": await tables_and_views(datasette)}
        if database == DATABASE and template.startswith("query") and request is not None:
            kind = _config(datasette).get("query_charts", {}).get(request.url_vars.get("table", ""))
            if kind:
                drawn = await charts(datasette, "getting_electricity", "working_day")
                return {"bizenv_query_chart": drawn["due_per_month" if kind == "due_per_month" else "target"]}
            return {}
        if view_name == "row" and database == DATABASE and table == "tasks" and request is not None:
            task_id = tilde_decode(request.url_vars.get("pks", ""))
            return {"task": await task_details(datasette, task_id)}
        return {}

    return inner


# --- exports --------------------------------------------------------------------------------

async def _all_rows(datasette, request, columns, rows, data, table):
    """The whole table or view (following pages), or the rows of a query as run."""
    if not table or not data or not data.get("next"):
        return columns, [list(r) for r in rows]
    args = [(k, v) for k in request.args.keys() if k not in ("_next", "_size", "_shape", "_labels")
            for v in request.args.getlist(k)]
    path = datasette.urls.table(request.url_vars["database"], table, format="json")
    out, next_token = [], None
    while True:
        query = args + [("_size", "max"), ("_shape", "objects"), ("_nofacet", "1"), ("_nosuggest", "1")]
        if next_token:
            query.append(("_next", next_token))
        response = await datasette.client.get(path + "?" + urllib.parse.urlencode(query))
        page = response.json()
        if response.status_code != 200:
            raise ValueError(page.get("error", "export failed"))
        out += [[r.get(c) for c in columns] for r in page["rows"]]
        next_token = page.get("next")
        if not next_token or len(out) >= EXPORT_MAX_ROWS:
            return columns, out


def _filename(request, table, query_name, ext) -> str:
    base = table or query_name or "query"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", base) + "." + ext


async def render_xlsx(datasette, request, columns, rows, data, table, query_name):
    from bizenv.export import xlsx_bytes

    columns, rows = await _all_rows(datasette, request, columns, rows, data, table)
    return Response(xlsx_bytes(columns, rows, sheet=table or query_name or "query"),
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition":
                             f'attachment; filename="{_filename(request, table, query_name, "xlsx")}"'})


async def render_csv_bom(datasette, request, columns, rows, data, table, query_name):
    from bizenv.export import csv_bytes

    columns, rows = await _all_rows(datasette, request, columns, rows, data, table)
    return Response(csv_bytes(columns, rows, bom=True), content_type="text/csv; charset=utf-8",
                    headers={"content-disposition":
                             f'attachment; filename="{_filename(request, table, query_name, "csv")}"'})


@hookimpl
def register_output_renderer(datasette):
    return [
        {"extension": "xlsx", "render": render_xlsx},
        {"extension": "csvbom", "render": render_csv_bom},
    ]


@hookimpl
def asgi_wrapper(datasette):
    """Every page says what it may load: nothing from other sites."""
    policy = (b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
              b"script-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'")

    def wrap(app):
        async def add_headers(scope, receive, send):
            async def wrapped_send(event):
                if event["type"] == "http.response.start":
                    headers = [h for h in event.get("headers", []) if h[0].lower() != b"content-security-policy"]
                    event = {**event, "headers": headers + [(b"content-security-policy", policy),
                                                            (b"x-content-type-options", b"nosniff")]}
                await send(event)

            await app(scope, receive, wrapped_send)

        return add_headers

    return wrap

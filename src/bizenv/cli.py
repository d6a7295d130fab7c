"""The ``bizenv`` command line.

Every command acts on the data package in the current folder (the nearest
``datapackage.json`` upward) or on ``--package PATH``.  Exit codes: 0 success,
1 the corpus is invalid / the request was refused / the query or lookup failed,
2 bad usage or no package, 3 an unexpected internal error (a bug: set BIZENV_DEBUG=1 for
the traceback), 130 interrupted (Ctrl-C).  The package is untrusted input: see docs/security.md.

Heavy libraries (pandas, pandera, frictionless, duckdb) are imported inside the
commands that need them, so ``bizenv --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import __version__

app = typer.Typer(
    name="bizenv",
    help="Validate, build and query the open-data corpus of Chinese business-environment policies (优化营商环境).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

PackageOpt = Annotated[
    Optional[Path],
    typer.Option("--package", "-p", help="Package folder or datapackage.json (default: nearest one upward)."),
]


class Fmt(str, Enum):
    text = "text"
    json = "json"


class QueryFmt(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    xlsx = "xlsx"


class Layer(str, Enum):
    structure = "structure"
    rules = "rules"
    provenance = "provenance"


def fail(message: str, code: int = 1) -> None:
    from .paths import shown

    typer.echo(f"bizenv: {shown(message)}", err=True)
    raise typer.Exit(code)


def write_or_check(pkg, files: dict[str, bytes], check: bool, command: str) -> None:
    """Write generated files (paths relative to the package), or with ``check`` fail if any differs."""
    paths = {name: gated_output(pkg, name, f"bizenv {command} output", command) for name in files}
    for name, path in paths.items():
        if path.is_dir():
            fail(f"{name}: is a folder; name the file to write", 2)
    stale = [name for name, content in files.items()
             if not paths[name].exists() or paths[name].read_bytes() != content]
    if check:
        if stale:
            fail(f"out of date: {', '.join(stale)} (run bizenv {command})")
        typer.echo(f"up to date: {', '.join(sorted(files))}")
        return
    for name, content in files.items():
        path = paths[name]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    typer.echo(f"wrote {', '.join(sorted(files))}")


def open_package(path: Optional[Path], check: bool = True):
    """The package, or exit: 2 when there is none, 1 when its descriptor or schemas cannot be used."""
    from .package import Package, PackageError, PackageNotFound

    try:
        pkg = Package.open(path)
        problems = pkg.problems if check else []
    except PackageNotFound as exc:
        fail(str(exc), 2)
    except PackageError as exc:
        fail(str(exc), 1)
    if problems:
        from .findings import render_text

        typer.echo(render_text(problems, {"structure": len(problems)}), err=True)
        fail("the descriptor or a Table Schema cannot be used as it is; fix the problems above "
             "(bizenv validate lists them too)")
    return pkg


# generated files that live among the corpus files: written only by their own command
GENERATED = {"expectations": ("validation/expectations.json",)}


def gated_output(pkg, path, what: str, command: str = "") -> Path:
    """An output path checked by the path gate (never into the corpus), or exit 1."""
    from .paths import PathRefused, output_path

    try:
        return output_path(pkg.root, path, what, extra=[pkg.root / "docs" / "curation.md"],
                           allow=GENERATED.get(command, ()))
    except PathRefused as exc:
        fail(str(exc))


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"bizenv {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version.")
    ] = None,
) -> None:
    """Validate, build and query the corpus. Run a command with --help for its options."""


@app.command()
def validate(
    package: PackageOpt = None,
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="text for people, json for machines.")] = Fmt.text,
    layer: Annotated[
        Optional[list[Layer]], typer.Option("--layer", "-l", help="Run only this layer (repeatable).")
    ] = None,
    expectations: Annotated[bool, typer.Option(
        "--expectations", help="Also run the great-expectations suite (validation/expectations.json; slower).")] = False,
    reference: Annotated[bool, typer.Option(
        "--reference", help="The reference paths (slow): Frictionless checks the Table Schemas instead of the "
                            "compiled SQL, and pandera runs each rule on its own instead of one query per table.")] = False,
) -> None:
    """Check the corpus: Frictionless schemas and keys, rules across tables, provenance against the sources.

    Reports every problem with file, row/line, column, rule and offending value;
    exits 1 when there is any error. Never modifies a file. DuckDB's working memory is
    capped at 1GB; set BIZENV_MEMORY_LIMIT (e.g. 8GB) to trade memory for speed.

    Example: bizenv validate --format json > report.json
    """
    from .findings import render_json, render_text
    from .validate import LAYERS
    from .validate import validate as run_validation

    pkg = open_package(package, check=False)  # the descriptor's problems are findings here
    layers = tuple(item.value for item in layer) if layer else LAYERS
    result = run_validation(pkg, layers, reference=reference)
    if expectations:
        from .expectations import MissingGX
        from .expectations import findings as gx_findings
        from .expectations import run as run_gx

        result.ran.append("expectations")
        if any(f.fatal for f in result.findings):  # the suite cannot read the files
            render = render_json if fmt == Fmt.json else render_text
            typer.echo(render(result.findings, result.summary()))
            raise typer.Exit(1)
        try:
            result.findings += gx_findings(pkg, run_gx(pkg))
        except MissingGX as exc:
            fail(str(exc), 2)
    render = render_json if fmt == Fmt.json else render_text
    typer.echo(render(result.findings, result.summary()))
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def build(
    package: PackageOpt = None,
    no_validate: Annotated[bool, typer.Option("--no-validate", help="Skip validation (not for releases).")] = False,
    site: Annotated[bool, typer.Option(
        "--site", help="Also write build/bizenv.sqlite, the web page's database with its search index "
                       "(bizenv serve writes it when needed).")] = False,
) -> None:
    """Validate, then write build/bizenv.duckdb (tables, views) and build/parquet/<table>.parquet.

    The build writes to a temporary folder and renames, so a failed build leaves the
    previous database intact. Memory: as for validate (BIZENV_MEMORY_LIMIT).

    Example: bizenv build --site   (then datasette or bizenv serve can use build/bizenv.sqlite)
    """
    from .build import BuildError
    from .build import build as run_build
    from .findings import render_text

    pkg = open_package(package)
    try:
        result = run_build(pkg, validate_first=not no_validate, site=site)
    except BuildError as exc:
        if exc.findings:
            typer.echo(render_text(exc.findings, {}), err=True)
        fail(str(exc))
    rel = lambda p: os.path.relpath(p, Path.cwd())  # noqa: E731
    typer.echo(f"built {rel(result.database)}: {len(result.tables)} tables, {len(result.views)} views "
               f"({', '.join(result.views)})")
    typer.echo(f"parquet: {rel(result.parquet)}/ ({sum(result.tables.values())} rows in all)")
    if site:
        from .build import site_path

        typer.echo(f"site: {rel(site_path(pkg))}")


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="One SQL query (SELECT, WITH, DESCRIBE, SHOW, EXPLAIN, ...).")],
    package: PackageOpt = None,
    fmt: Annotated[QueryFmt, typer.Option("--format", "-f", help="Output format (xlsx needs --output).")] = QueryFmt.table,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, max=86400,
                                           help="Stop the query after this many seconds.")] = 30.0,
    max_rows: Annotated[int, typer.Option("--max-rows", min=1, max=100_000_000,
                                          help="Print at most this many rows (and say so if there are more).")
                        ] = 100_000,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Write to this file instead of the terminal (not into the corpus: data/, "
                               "schemas/, sources/ ...).")] = None,
    bom: Annotated[bool, typer.Option(
        "--bom", help="CSV with a UTF-8 byte-order mark, so that Excel shows Chinese correctly.")] = False,
) -> None:
    """Run one SQL query against the built database, read-only (builds it first if missing or stale).

    Only queries run: no statement can write a file (the database included), read a file,
    attach a database or change a setting. A query stops after --timeout seconds; at most
    --max-rows rows are printed, with a note on standard error when there were more.

    Examples:

      bizenv query "SELECT name, tasks_led FROM unit_workload ORDER BY tasks_led DESC LIMIT 5"

      bizenv query "SELECT * FROM targets_long WHERE unit = 'working_day'" --format csv

      bizenv query "SELECT * FROM task_overview" --format xlsx --output tasks.xlsx

      bizenv query "SELECT * FROM targets_long" --format csv --bom --output targets.csv
    """
    from .output import render
    from .query import QueryError, QueryInterrupted, QueryUsage, run

    pkg = open_package(package)
    if fmt == QueryFmt.xlsx and output is None:
        fail("--format xlsx writes a file: give --output FILE.xlsx", 2)
    if bom and fmt != QueryFmt.csv:
        fail("--bom is for --format csv", 2)
    target = None
    if output is not None:
        target = gated_output(pkg, output.absolute(), "--output")
        if target.is_dir():
            fail(f"--output {output}: is a folder; give a file name", 2)
        if not target.parent.is_dir():
            fail(f"--output {output}: the folder {target.parent} does not exist", 2)
    ensure_built(pkg)
    try:
        columns, rows, cut = run(pkg, sql, timeout=timeout, max_rows=max_rows)
    except QueryUsage as exc:
        fail(f"query refused: {exc}", 2)
    except QueryError as exc:
        fail(f"query failed: {exc}")
    except QueryInterrupted:  # end at once: DuckDB's handle is left to the operating system
        typer.echo("bizenv: interrupted", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    if target is None:
        if columns:
            typer.echo(render(columns, rows, fmt.value))
        if cut:
            typer.echo(f"bizenv: only the first {max_rows:,} rows are shown; add LIMIT or raise --max-rows", err=True)
        return
    if cut:
        typer.echo(f"bizenv: only the first {max_rows:,} rows are written; add LIMIT or raise --max-rows", err=True)
    from .export import ExportError, csv_bytes, write_file, xlsx_bytes

    try:
        if fmt == QueryFmt.xlsx:
            content = xlsx_bytes(columns, rows)
        elif fmt == QueryFmt.csv:
            content = csv_bytes(columns, rows, bom=bom)
        else:
            content = (render(columns, rows, fmt.value) + "\n").encode("utf-8")
    except ExportError as exc:
        fail(str(exc))
    except ModuleNotFoundError as exc:
        fail(f"{exc.name} is needed for --format xlsx: pip install 'bizenv[serve]'", 2)
    write_file(target, content)
    typer.echo(f"wrote {output}: {len(rows)} row{'s' if len(rows) != 1 else ''}", err=True)


@app.command()
def serve(
    package: PackageOpt = None,
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)] = 8001,
    host: Annotated[str, typer.Option(
        "--host", help="Address to listen on; the default serves this machine only.")] = "127.0.0.1",
    metadata_only: Annotated[bool, typer.Option(
        "--metadata-only", help="Only build if needed and write build/datasette/metadata.json (for publishing).")
    ] = False,
) -> None:
    """Browse and search the corpus in a web page (Datasette): builds first if the data changed.

    Serves build/bizenv.sqlite read-only with search (Chinese and English), facets, task pages,
    the cookbook's questions, charts, and CSV/xlsx exports. Also writes the site's metadata to
    build/datasette/metadata.json (for publishing, see the README).

    Example: bizenv serve --port 8080, then open http://127.0.0.1:8080/
    """
    pkg = open_package(package)
    ensure_built(pkg, site=True)
    try:
        from . import serve as site
    except ModuleNotFoundError as exc:
        fail(f"{exc.name} is needed to serve: pip install 'bizenv[serve]'", 2)
    try:
        import datasette  # noqa: F401
        import uvicorn  # noqa: F401
    except ModuleNotFoundError as exc:
        fail(f"{exc.name} is needed to serve: pip install 'bizenv[serve]'", 2)
    try:
        written = site.write_metadata(pkg)
    except site.SiteError as exc:
        fail(str(exc))
    if metadata_only:
        typer.echo(f"wrote {os.path.relpath(written, Path.cwd())}")
        return
    site.run(pkg, host, port, log=lambda m: typer.echo(m, err=True))


def ensure_built(pkg, site: bool = False) -> None:
    """Build the database if it is missing or stale; with ``site``, the web page's SQLite file too."""
    from .build import BuildError, build, build_site, is_stale, site_is_stale

    if not (is_stale(pkg) or site and site_is_stale(pkg)):
        return
    if not pkg.build_dir.is_dir() and pkg.build_dir.exists():
        fail(f"{pkg.build_dir} is not a folder: remove it, then run the command again")
    try:
        if is_stale(pkg):
            typer.echo("bizenv: the database is missing or older than the data; building it first", err=True)
            build(pkg, site=site)
        elif site:
            typer.echo("bizenv: the site's database is missing or older than build/bizenv.duckdb; writing it",
                       err=True)
            build_site(pkg)
    except BuildError as exc:
        fail(f"{exc}")


@app.command()
def stats(package: PackageOpt = None) -> None:
    """Row counts per table and per document."""
    from .output import render
    from .stats import stats as run_stats

    from .findings import FindingsError, render_text

    pkg = open_package(package)
    try:
        tables = run_stats(pkg)
    except FindingsError as exc:
        typer.echo(render_text(exc.findings, {}), err=True)
        fail(str(exc))
    for title, (columns, rows) in tables.items():
        typer.echo(f"== {title}")
        typer.echo(render(columns, rows))


@app.command()
def show(
    task_id: Annotated[str, typer.Argument(help="A task_id, e.g. xianning-2019-t029.")],
    package: PackageOpt = None,
) -> None:
    """Show one task: text, headings, units, deadlines, targets and the source lines it comes from."""
    from .output import render
    from .stats import show as run_show

    from .findings import FindingsError, render_text

    pkg = open_package(package)
    try:
        info = run_show(pkg, task_id)
    except FindingsError as exc:
        typer.echo(render_text(exc.findings, {}), err=True)
        fail(str(exc))
    if info is None:
        fail(f"no task {task_id!r} (task ids look like xianning-2019-t001)")
    from .paths import shown

    typer.echo(shown(f"{info['task_id']}  [{info['status']}]  {info['document_id']} #{info['seq']}"))
    typer.echo(f"heading: {info['heading1']} / {info['heading2']}")
    if info["heading1_en"] or info["heading2_en"]:
        h1, h2 = ((info[k] or {}).get("text", "") for k in ("heading1_en", "heading2_en"))
        typer.echo(f"         {h1} / {h2}")
    typer.echo(f"text:    {info['label'] or ''}{info['text'] or '(lost in the source)'}")
    if info["text_en"]:
        reviewed = "reviewed" if info["text_en"]["reviewed"] else "not yet reviewed"
        typer.echo(f"english: {info['text_en']['text']}")
        typer.echo(f"         (the curators' translation, not an official one; {reviewed})")
        if info["text_en"]["notes"]:
            typer.echo(f"         translation notes: {info['text_en']['notes']}")
    if info["notes"]:
        typer.echo(f"notes:   {info['notes']}")
    for part in ("assignments", "deadlines", "targets"):
        columns, rows = info[part]
        typer.echo(f"\n== {part}")
        typer.echo(render(columns, rows, max_width=50))
    typer.echo(f"\n== source: {shown(info['source_file'])}")
    if info.get("source_problem"):
        typer.echo(f"(not shown: {shown(info['source_problem'])})")
    for number, line in info["source_lines"]:
        typer.echo(f"{number:>6} | {shown(line)}")


@app.command()
def extract(
    document_id: Annotated[str, typer.Argument(help="A document_id from documents.csv, e.g. echeng-2023.")],
    package: PackageOpt = None,
    layout: Annotated[Optional[str], typer.Option(
        "--layout", "-l", help="paragraphs, delimited_table, column_table, inline_brackets, inline_parentheses, "
                               "narrative, or auto (default: the document's layout in documents.csv).")] = None,
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="Folder for the draft CSVs (default: drafts/DOCUMENT_ID/; a relative path is taken "
                            "from the package folder; never inside data/, schemas/, sources/ or elsewhere in "
                            "the corpus).")] = None,
) -> None:
    """Draft rows for every table from a document's source, plus a coverage report.

    The drafts have the columns of data/<table>.csv (tasks with text verbatim, assignments with
    name_as_printed and a proposed unit_id, deadlines with raw_text and due_date, targets with
    quote, proposed units). coverage.txt lists the numbered items found, the lines used and
    every line the extractor could not place. Drafts are for curators: they go to
    drafts/<document_id>/ (git-ignored), never into data/.

    Examples:

      bizenv extract xiamen-2019

      bizenv extract xiamen-2019 --layout auto --out /tmp/xiamen-draft
    """
    from .extract.cli import run_extract

    run_extract(open_package(package), document_id, layout, out, fail, typer.echo)


@app.command()
def add(
    file: Annotated[Path, typer.Argument(help="The source: a UTF-8 text file of the document.")],
    document_id: Annotated[str, typer.Option("--id", help="The new document_id, e.g. xiamen-2019.")],
    package: PackageOpt = None,
    title: Annotated[Optional[str], typer.Option(help="Title as printed (default: detected).")] = None,
    title_line: Annotated[Optional[int], typer.Option(help="Line of the title (default: detected).")] = None,
    title_en: Annotated[Optional[str], typer.Option(help="English title.")] = None,
    issuer: Annotated[Optional[str], typer.Option(help="Issuing body as printed.")] = None,
    jurisdiction: Annotated[Optional[str], typer.Option(help="Jurisdiction, e.g. 厦门市.")] = None,
    jurisdiction_en: Annotated[Optional[str], typer.Option(help="Jurisdiction in English, e.g. Xiamen.")] = None,
    province: Annotated[Optional[str], typer.Option(help="Province, e.g. 福建省.")] = None,
    admin_level: Annotated[Optional[str], typer.Option(
        help="province, prefecture, county, district or development_zone.")] = None,
    doc_type: Annotated[Optional[str], typer.Option(
        help="responsibility_table, implementation_plan, task_list or work_summary (default: from the title).")] = None,
    layout: Annotated[str, typer.Option(help="A layout name or auto (default: detected).")] = "auto",
    issued_date: Annotated[Optional[str], typer.Option(help="Date of issue, YYYY-MM-DD.")] = None,
    year: Annotated[Optional[int], typer.Option(help="The document's year (default: from the date or the id).")] = None,
    merged_cells: Annotated[bool, typer.Option(help="The source table has merged cells.")] = False,
    notes: Annotated[Optional[str], typer.Option(help="Curator's notes.")] = None,
) -> None:
    """Register a new source document: copy it into sources/, append a pending row to documents.csv.

    The file is copied unchanged as sources/NNN_<first 16 hex digits of its SHA-256>.txt; its
    SHA-256, title line and layout are recorded; curation_status is pending. Refuses a file that
    is not UTF-8 text, a directory, FIFO or special file, a file over 20 MB, and a source or id
    already registered. Other rows of documents.csv are not touched. See CONTRIBUTING.md.

    Example:

      bizenv add ~/xiamen.txt --id xiamen-2019 --jurisdiction 厦门市 --jurisdiction-en Xiamen
      --province 福建省 --admin-level prefecture --title-en "Measures of Xiamen ..."
    """
    from .extract.cli import run_add

    meta = {"title": title, "title_line": title_line, "title_en": title_en, "issuer": issuer,
            "jurisdiction": jurisdiction, "jurisdiction_en": jurisdiction_en, "province": province,
            "admin_level": admin_level, "doc_type": doc_type, "layout": layout, "issued_date": issued_date,
            "year": year, "merged_cells": merged_cells, "notes": notes}
    run_add(open_package(package), file, document_id, meta, fail, typer.echo)


@app.command()
def audit(
    document_id: Annotated[str, typer.Argument(help="A document_id from documents.csv.")],
    package: PackageOpt = None,
    fmt: Annotated[QueryFmt, typer.Option("--format", "-f", help="Output format.")] = QueryFmt.table,
    all_rows: Annotated[bool, typer.Option("--all", help="Also list explained differences.")] = False,
) -> None:
    """List where curated rows differ from the extractor's draft; exit 1 if any difference is unexplained.

    A difference is explained by the curated row's notes (or, for a draft row the curators
    dropped, by its task's notes). Also lists candidate numbers no curated target quotes.
    """
    from .extract.audit import audit as run_audit
    from .output import render

    pkg = open_package(package)
    from .extract import ExtractError
    from .paths import PathRefused

    try:
        diffs, missed = run_audit(pkg, document_id)
    except KeyError:
        fail(f"no document {document_id!r} in {pkg.relpath('documents')}")
    except (PathRefused, ExtractError) as exc:
        fail(str(exc))
    shown = [d for d in diffs if all_rows or not d.explained]
    columns = ["table", "key", "change", "columns", "draft", "curated", "explained"]
    typer.echo(render(columns, [tuple(getattr(d, c) for c in columns) for d in shown], fmt.value))
    unexplained = sum(not d.explained for d in diffs)
    typer.echo(f"{len(diffs)} difference(s) from the draft, {unexplained} unexplained; "
               f"{len(missed)} candidate number(s) in task texts not quoted by any target", err=True)
    if missed and all_rows:
        typer.echo(render(["task_id", "candidate", "value"], missed, fmt.value))
    if unexplained:
        raise typer.Exit(1)


@app.command()
def dictionary(
    package: PackageOpt = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write, relative to the package.")] = Path(
        "docs/data-dictionary.md"),
    check: Annotated[bool, typer.Option("--check", help="Only check that the file is up to date.")] = False,
) -> None:
    """Write the data dictionary generated from the Table Schemas (or --check that it is current)."""
    from .dictionary import render

    pkg = open_package(package)
    name = output.as_posix() if not output.is_absolute() else str(output.relative_to(pkg.root))
    write_or_check(pkg, {name: render(pkg).encode("utf-8")}, check, "dictionary")


@app.command()
def release(
    version: Annotated[str, typer.Argument(help="The new version, MAJOR.MINOR.PATCH, greater than the last release.")],
    package: PackageOpt = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for the release (default: dist/).")] = None,
) -> None:
    """Cut a citable release: validate, set the version everywhere, write dist/<name>-<version>/ and its zip.

    Refuses a version not greater than the last release (releases.json) and a corpus with
    uncommitted changes. Writes the version into VERSION, datapackage.json, CITATION.cff,
    .zenodo.json, the README citation and the data dictionary. All or nothing: on any failure
    every file is left as it was. The folder and zip are byte-identical for the same inputs
    and release date (SOURCE_DATE_EPOCH, else the last commit's date). See RELEASING.md.

    Example: bizenv release 0.2.0
    """
    from .findings import render_text
    from .release import ReleaseError, cut

    pkg = open_package(package)
    try:
        result = cut(pkg, version, out=out)
    except ReleaseError as exc:
        if exc.findings:
            typer.echo(render_text(exc.findings, {}), err=True)
        fail(str(exc))
    typer.echo(f"released {result.version}: {result.folder} ({result.files} files), {result.zip.name}, "
               f"{result.database.name}")


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="Old package: a folder, a release zip or a git revision.")],
    new: Annotated[str, typer.Argument(help="New package: a folder, a release zip or a git revision.")] = ".",
    package: PackageOpt = None,
    fmt: Annotated[QueryFmt, typer.Option("--format", "-f", help="Output format (markdown: full values, escaped, "
                                          "for release notes and pull requests).")] = QueryFmt.table,
    show_all: Annotated[bool, typer.Option("--all", help="List unchanged tables too.")] = False,
    full: Annotated[bool, typer.Option("--full", help="Full values (table format clips them at 80 characters).")] = False,
    limit: Annotated[int, typer.Option("--limit", help="Rows shown per kind of change and table (0: all).",
                                       min=0)] = 50,
    markdown: Annotated[bool, typer.Option("--markdown", hidden=True, help="Deprecated: use --format markdown.")] = False,
) -> None:
    """Rows added, removed and changed per table (by primary key), with old and new values.

    Ids are shown with their names (a unit's name, the start of a task's text). Only tables
    that changed are listed (--all lists every table).

    Examples:

      bizenv diff v1.0.0 HEAD

      bizenv diff HEAD~1 HEAD --format markdown

      bizenv diff dist/cn-bizenv-policies-1.0.0.zip .
    """
    import json
    from dataclasses import asdict

    from .diff import DiffError, render, rows
    from .diff import diff as run_diff
    from .package import PackageError, find_package

    try:
        repo = find_package(package) if package else Path.cwd()
    except PackageError as exc:
        fail(str(exc), 2)
    try:
        diffs = run_diff(old, new, repo)
    except DiffError as exc:
        fail(str(exc), 2)
    if markdown:
        typer.echo("bizenv: --markdown is deprecated; use --format markdown", err=True)
        fmt = QueryFmt.markdown
    shown = [d for d in diffs if show_all or not d.empty]
    if fmt == QueryFmt.json:
        typer.echo(json.dumps([asdict(d) for d in shown], ensure_ascii=False, indent=2))
    elif fmt == QueryFmt.csv:
        from .output import render as render_rows

        columns, out = rows(shown)
        typer.echo(render_rows(columns, out, "csv"))
    else:
        typer.echo(render(diffs, "markdown" if fmt == QueryFmt.markdown else "text", limit=limit, full=full,
                          show_all=show_all))


@app.command()
def normalize(
    files: Annotated[Optional[list[Path]], typer.Argument(
        help="Data CSVs to normalize (default: every table in data/).")] = None,
    package: PackageOpt = None,
    check: Annotated[bool, typer.Option("--check", help="Only report what would change; exit 1 if anything would.")
                     ] = False,
) -> None:
    """Bring data CSVs back to the canonical form and recompute derived columns; report what changed.

    Canonical: UTF-8 (from GBK/GB18030, UTF-8 with BOM or UTF-16), LF line ends, minimal
    RFC 4180 quoting, no empty lines, the columns in the Table Schema's order; text_clean
    recomputed from text. Cell text is otherwise kept as it is. Only tables in data/ are
    changed, never through a link; all or nothing: if one file cannot be normalized, none is
    written. Run it on purpose, then review with git diff.

    Examples:

      bizenv normalize

      bizenv normalize data/tasks.csv --check
    """
    from .normalize import NormalizeError, apply, plan

    pkg = open_package(package)
    try:
        plans = plan(pkg, files)
    except NormalizeError as exc:
        fail(f"{exc}; nothing was written")
    changed = [p for p in plans if p.changed]
    for p in changed:
        typer.echo(f"{p.rel}: {'; '.join(p.changes)}")
    if check:
        typer.echo(f"{len(changed)} of {len(plans)} file(s) would change" if changed
                   else f"all {len(plans)} file(s) are in canonical form")
        if changed:
            raise typer.Exit(1)
        return
    try:
        apply(plans)
    except OSError as exc:
        fail(f"cannot write: {exc}; every file was restored")
    typer.echo(f"normalized {len(changed)} of {len(plans)} file(s)" if changed
               else f"all {len(plans)} file(s) are in canonical form; nothing written")


@app.command()
def expectations(
    package: PackageOpt = None,
    check: Annotated[bool, typer.Option("--check", help="Only check that the kept suite is up to date.")] = False,
) -> None:
    """Write validation/expectations.json, the great-expectations suite derived from the schemas and assertions."""
    from .expectations import SUITE, render_suite

    pkg = open_package(package)
    write_or_check(pkg, {SUITE: render_suite(pkg).encode("utf-8")}, check, "expectations")


@app.command()
def report(
    package: PackageOpt = None,
    out: Annotated[Path, typer.Option("--out", help="The page to write, relative to the package.")] = Path(
        "build/data-docs.html"),
) -> None:
    """Run the great-expectations suite and render every expectation and its result as one HTML page.

    Exits 1 when an expectation fails (the page shows which). Never modifies the corpus.
    """
    from .expectations import MissingGX, render_html
    from .expectations import run as run_gx

    pkg = open_package(package)
    path = gated_output(pkg, out, "--out")
    if path.is_dir():
        fail(f"--out {out}: is a folder; name the page to write, e.g. build/data-docs.html", 2)
    readable_or_fail(pkg)
    try:
        outcomes = run_gx(pkg)
    except MissingGX as exc:
        fail(str(exc), 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(pkg, outcomes), encoding="utf-8")
    failed = sum(not o.success for o in outcomes)
    typer.echo(f"wrote {path}: {len(outcomes) - failed} of {len(outcomes)} expectations met")
    if failed:
        raise typer.Exit(1)


def readable_or_fail(pkg) -> None:
    """Exit 1, with the findings, unless every CSV can be read (its bytes, its shape, its header)."""
    from .findings import render_text
    from .validate import validate

    result = validate(pkg, ("structure",))
    fatal = [f for f in result.findings if f.fatal]
    if fatal:
        typer.echo(render_text(fatal, {}), err=True)
        fail("the corpus cannot be read as it is; fix the problems above")


@app.command()
def synth(
    out: Annotated[Path, typer.Argument(help="Folder to write the synthetic package to (replaced if it exists).")],
    tasks: Annotated[int, typer.Option("--tasks", "-n", help="Number of tasks.", min=1)] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same package.")] = 1,
    plant: Annotated[bool, typer.Option("--plant", help="Plant a known set of errors (listed in planted.json).")] = False,
) -> None:
    """Write a synthetic package of N tasks with all tables and source files, for benchmarks."""
    from .synth import SynthError, generate

    try:
        result = generate(out, tasks, seed, plant)
    except SynthError as exc:
        fail(str(exc))
    typer.echo(f"wrote {out}: " + ", ".join(f"{n} {k}" for k, n in result["counts"].items())
               + (f"; {len(result['planted'])} planted errors" if plant else ""))


@app.command()
def bench(
    sizes: Annotated[str, typer.Option("--sizes", help="Comma-separated task counts.")] = "10000,100000,1000000",
    work: Annotated[Path, typer.Option("--work", help="Folder for the synthetic packages.")] = Path("bench/work"),
    results: Annotated[Path, typer.Option("--results", help="Where to write the JSON results.")] = Path(
        "bench/results/latest.json"),
    report: Annotated[bool, typer.Option("--report", help="Only regenerate docs/performance.md from the results.")] = False,
    page: Annotated[Path, typer.Option("--page", help="The page to write.")] = Path("docs/performance.md"),
) -> None:
    """Benchmark validate, each layer, frictionless, the DuckDB floor, build and queries on synthetic corpora."""
    import json

    from .bench import render
    from .bench import run as run_bench

    if not report:
        run_bench([int(x) for x in sizes.split(",")], work, results, log=typer.echo)
    if not results.exists():
        fail(f"{results} does not exist: run bizenv bench first", 2)
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(render(json.loads(results.read_text(encoding="utf-8"))) + "\n", encoding="utf-8")
    typer.echo(f"wrote {page}")


@app.command()
def cookbook(
    package: PackageOpt = None,
    check: Annotated[bool, typer.Option("--check", help="Only check that the page and charts are up to date.")] = False,
) -> None:
    """Write docs/cookbook.md and its charts from docs/cookbook.yaml, with each query's actual output."""
    from .cookbook import generate

    pkg = open_package(package)
    ensure_built(pkg)
    try:
        files = generate(pkg)
    except ModuleNotFoundError as exc:
        fail(f"{exc.name} is needed for the charts: pip install 'bizenv[docs]'", 2)
    write_or_check(pkg, files, check, "cookbook")


def main() -> None:
    """Entry point: never show a traceback for an unexpected error unless BIZENV_DEBUG is set."""
    try:
        app()
    except Exception as exc:  # last line of defence
        if os.environ.get("BIZENV_DEBUG"):
            raise
        code, message = outcome(exc)
        typer.echo(f"bizenv: {message}", err=True)
        sys.exit(code)
    except KeyboardInterrupt:
        typer.echo("bizenv: interrupted", err=True)
        sys.exit(130)


def outcome(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one-line message for an exception that reached the entry point."""
    from .package import PackageError
    from .paths import PathRefused, shown
    from .tables import SettingError, interrupted

    if isinstance(exc, SettingError):
        return 2, shown(exc)
    if isinstance(exc, (PathRefused, PackageError)):
        return 1, shown(exc)
    if isinstance(exc, KeyboardInterrupt) or interrupted(exc):  # Ctrl-C while DuckDB ran, too
        return 130, "interrupted"
    from .tables import MEMORY_LIMIT, spill_failed

    name = type(exc).__name__  # duckdb's exceptions, named without importing duckdb
    if spill_failed(exc) or name == "OutOfMemoryException":
        import tempfile

        limit = os.environ.get("BIZENV_MEMORY_LIMIT", MEMORY_LIMIT)
        folder, reason = shown(tempfile.gettempdir()), shown(str(exc).splitlines()[0])
        if spill_failed(exc):  # DuckDB's temporary files, beyond the memory cap, could not be written or read
            return 2, (f"DuckDB could not use its temporary files in {folder}, where what it holds beyond "
                       f"BIZENV_MEMORY_LIMIT={limit} goes ({reason}); check that folder (its disk, its space), set "
                       "TMPDIR to another folder, or set a larger BIZENV_MEMORY_LIMIT")
        if "max_temp_directory_size" in str(exc):  # what spills beyond the cap found no room on the disk
            return 2, (f"the disk of the temporary folder {folder} is full: what DuckDB holds beyond "
                       f"BIZENV_MEMORY_LIMIT={limit} goes there ({reason}); free space there, set TMPDIR to a "
                       "folder on a larger disk, or set a larger BIZENV_MEMORY_LIMIT")
        return 2, (f"DuckDB needs more memory than BIZENV_MEMORY_LIMIT={limit} allows ({reason}); "
                   "set a larger BIZENV_MEMORY_LIMIT")
    if isinstance(exc, OSError) and exc.filename is not None:
        return 1, f"{shown(exc.filename)}: {exc.strerror}"
    return 3, (f"internal error (a bug; please report it with the output of BIZENV_DEBUG=1): "
               f"{type(exc).__name__}: {shown(exc)}")

"""``bizenv bench``: validation, build and queries at 10k, 100k and 1M tasks, against frictionless-py.

Every step runs in a fresh Python process (``python -m bizenv.bench STEP PACKAGE``) that
reports its own wall time from process start (imports included, as a user waits for them)
and its peak memory, so steps do not share caches or memory.  Results go to
``bench/results/<name>.json``; ``docs/performance.md`` is generated from that file.

Steps: ``validate`` (all layers except great-expectations), each layer alone,
``frictionless`` (``frictionless.validate`` on the same package), ``floor`` (a bare DuckDB
``read_csv`` of every CSV), ``build``, three typical view queries, and a check that every
error planted by ``bizenv synth --plant`` is found.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

STARTED = time.time()
QUERIES = {
    "query_task_overview": "SELECT document_id, count(*), sum(n_targets) FROM task_overview GROUP BY ALL",
    "query_unit_workload": "SELECT name, tasks_led FROM unit_workload ORDER BY tasks_led DESC LIMIT 10",
    "query_deadline_calendar": "SELECT month, sum(tasks_due) FROM deadline_calendar GROUP BY ALL ORDER BY 1",
}
STEPS = ["floor", "floor_fair", "floor_checks", "floor_materialized", "validate", "structure", "rules", "provenance", "frictionless", "build", *QUERIES]


def _step(step: str, root: str) -> dict:
    """Run one step in this process; return what it found."""
    from .package import Package

    pkg = Package.open(root)
    if step == "floor":
        import duckdb

        con = duckdb.connect(config=_spill_here())
        rows = sum(con.execute(f"SELECT count(*) FROM read_csv('{pkg.path(n)}', header = true, "
                               f"all_varchar = true)").fetchone()[0] for n in pkg.table_names)
        return {"rows": rows}
    if step == "floor_fair":
        return _fair_floor(pkg)
    if step == "floor_checks":
        return _checks_floor(pkg)
    if step == "floor_materialized":
        from .tables import Workspace, quote_ident

        with Workspace() as con:  # the validator's own workspace: the same memory cap, spilling beyond it
            rows = 0
            for n in pkg.table_names:
                con.execute(f"CREATE TEMP TABLE {quote_ident(n)} AS SELECT * FROM read_csv(?, header = true, "
                            "all_varchar = true)", [str(pkg.path(n))])
                rows += con.execute(f"SELECT count(*) FROM {quote_ident(n)}").fetchone()[0]
        return {"rows": rows}
    if step in ("validate", "structure", "rules", "provenance"):
        from .validate import LAYERS, validate

        result = validate(pkg, LAYERS if step == "validate" else (step,))
        return {"errors": len(result.findings),
                "findings": [[f.layer, f.rule, f.table, f.row] for f in result.findings]}
    if step == "frictionless":
        import frictionless

        report = frictionless.validate(str(pkg.root / "datapackage.json"), limit_errors=100_000)
        return {"errors": sum(len(t.errors) for t in report.tasks) + len(report.errors)}
    if step == "build":
        from .build import build

        result = build(pkg)
        return {"rows": sum(result.tables.values())}
    if step in QUERIES:
        from .query import run

        columns, rows, _ = run(pkg, QUERIES[step])
        return {"rows": len(rows)}
    raise ValueError(step)


def _fair_floor(pkg) -> dict:
    """Every cell of every CSV and every line of every source file touched once, nothing kept: the
    least any validator that reads everything once must do (each cell's length is summed, each source
    file is split into lines and the lines' lengths are summed)."""
    import duckdb

    from .tables import quote_ident

    con = duckdb.connect(config=_spill_here())
    rows = 0
    for n in pkg.table_names:
        cells = " + ".join(f"coalesce(sum(length({quote_ident(c)})), 0)" for c in pkg.field_names(n)) or "0"
        count, _ = con.execute(f"SELECT count(*), {cells} FROM read_csv(?, header = true, all_varchar = true)",
                               [str(pkg.path(n))]).fetchone()
        rows += count
    paths = _source_paths(pkg, con)
    lines = con.execute("SELECT coalesce(sum(list_sum(list_transform(string_split(content, chr(10)), "
                        "lambda l: length(l)))), 0), coalesce(sum(len(string_split(content, chr(10)))), 0) "
                        "FROM read_text(?)", [paths]).fetchone()[1] if paths else 0
    return {"rows": rows, "source_lines": lines}


def _checks_floor(pkg) -> dict:
    """The fair floor plus the scans over every row that the checks cannot avoid, nothing kept: each CSV
    read once with what validate computes while it reads it (:func:`bizenv.validate.compiled.read_pass`:
    the cell-check flag, the rules on a row's own text, the Table Schema checks on a row's own cells) and
    the glossary terms and numbers of every Chinese text the translation rules read; every source file
    split into lines and hashed (SHA-256, in two threads, as validate hashes them).  Not a target: what the
    time of validate above it is spent on is keys, joins, rules across tables and holding the tables."""
    import hashlib
    from concurrent.futures import ThreadPoolExecutor

    import duckdb

    from .tables import quote_ident
    from .translation import zh_features_sql
    from .validate.compiled import read_pass
    from .validate.rules import TRANSLATABLE, _glossary_pattern

    con = duckdb.connect(config=_spill_here())
    if "glossary" in pkg.table_names:
        con.execute("CREATE TEMP TABLE glossary AS SELECT row_number() OVER () + 1 AS _row, * "
                    "FROM read_csv(?, header = true, all_varchar = true)", [str(pkg.path("glossary"))])
    terms = _glossary_pattern(con)
    rows = flagged = features_found = 0
    for n in pkg.table_names:
        cells = [f"coalesce(sum(length({quote_ident(c)})), 0)" for c in pkg.field_names(n)] or ["0"]
        passed = read_pass(pkg, n)
        failing = [f"coalesce(count_if({'' if flags else 'NOT '}{quote_ident(column)}), 0)" for _, column, flags in passed] or ["0"]
        texts = [clean for table, _, _, clean in TRANSLATABLE if table == n]
        # every part of each text's features is used: DuckDB computes only the fields of a struct that are read
        features = [f"coalesce(sum(len(_f{i}.terms) + len(_f{i}.numbers.digits) + _f{i}.numbers.numeral::INTEGER "
                    f"+ _f{i}.empty::INTEGER), 0)" for i in range(len(texts))] or ["0"]
        inner = "".join(f", {sql} AS {quote_ident(column)}" for sql, column, _ in passed) + "".join(
            f", ({zh_features_sql(clean, '$terms')}) AS _f{i}" for i, clean in enumerate(texts))
        count, flags, _, found = con.execute(
            f"SELECT count(*), {' + '.join(failing)}, {' + '.join(cells)}, {' + '.join(features)} FROM "
            f"(SELECT *{inner} FROM read_csv($path, header = true, all_varchar = true))",
            {"path": str(pkg.path(n)), **({"terms": terms} if texts else {})}).fetchone()
        rows, flagged, features_found = rows + count, flagged + flags, features_found + found
    paths = _source_paths(pkg, con)
    lines = con.execute("SELECT coalesce(sum(len(string_split(content, chr(10)))), 0) FROM read_text(?)",
                        [paths]).fetchone()[0] if paths else 0

    def digest(path: str) -> str:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()

    with ThreadPoolExecutor(2) as pool:
        hashed = len(list(pool.map(digest, paths)))
    return {"rows": rows, "flagged": flagged, "features": features_found, "source_lines": lines,
            "sources_hashed": hashed}


def _source_paths(pkg, con) -> list[str]:
    """The source files that documents.csv names and that exist (a missing one: nothing to read)."""
    paths = []
    for (source,) in con.execute("SELECT source_file FROM read_csv(?, header = true, all_varchar = true)",
                                 [str(pkg.path("documents"))]).fetchall():
        try:
            paths.append(str(pkg.source_path(source or "", "source_file")))
        except Exception:  # a missing source: nothing to read
            continue
    return paths


def _spill_here() -> dict:
    """DuckDB settings of a floor: its own settings, but its temporary files in a folder that
    :class:`Spill` watches (DuckDB puts them in ``.tmp`` under the working folder otherwise)."""
    import tempfile

    return {"temp_directory": tempfile.mkdtemp(prefix="bizenv-floor-")}


def measure(step: str, root: Path, timeout: int = 3600) -> dict:
    out = subprocess.run([sys.executable, "-m", "bizenv.bench", step, str(root)], capture_output=True, text=True,
                         timeout=timeout, check=False)
    if out.returncode != 0:
        return {"step": step, "error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def startup(repeat: int = 5) -> dict:
    """Wall time of `bizenv --help` and of `bizenv query` on the real corpus (best of ``repeat``)."""
    repo = Path(__file__).resolve().parents[2]
    cases = {"cli_help": ["--help"], "cli_query": ["query", "SELECT count(*) FROM tasks", "-p", str(repo)]}
    out = {}
    for name, args in cases.items():
        best = None
        for _ in range(repeat):
            t = time.time()
            done = subprocess.run([sys.executable, "-m", "bizenv", *args], capture_output=True, check=False)
            if done.returncode != 0:
                break
            best = min(best or 1e9, time.time() - t)
        out[name] = round(best, 3) if best is not None else None
    return out


def _generate(root: Path, n: int, seed: int, plant: bool) -> dict:
    """bizenv synth in its own process, so the benchmark runner itself stays small."""
    code = ("import json, sys; from pathlib import Path; from bizenv.synth import generate; "
            f"r = generate(Path({str(root)!r}), {n}, {seed}, {plant}); print(json.dumps(r))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# the floors and the ratio each step gets to it
FLOORS = {"floor": "vs_floor", "floor_fair": "vs_fair", "floor_checks": "vs_checks",
          "floor_materialized": "vs_materialized"}


def run(sizes: list[int], work: Path, results: Path, seed: int = 1, steps: list[str] | None = None,
        log=print) -> dict:
    from .tables import MEMORY_LIMIT

    report = {"machine": {"python": platform.python_version(), "platform": platform.platform(),
                          "cpus": os.cpu_count(), "memory_limit": os.environ.get("BIZENV_MEMORY_LIMIT", MEMORY_LIMIT)},
              "startup": startup(), "sizes": {}}
    log(f"start-up: {report['startup']}")
    for n in sizes:
        root = work / f"synth-{n}"
        t = time.time()
        counts = _generate(root, n, seed, False)["counts"]
        log(f"N={n}: generated in {time.time() - t:.1f}s ({sum(counts.values())} rows)")
        entry = {"counts": counts, "rows": sum(counts.values()), "steps": {}}
        for step in steps or STEPS:
            if step in QUERIES and "error" in entry["steps"].get("build", {"error": 1}):
                continue
            result = measure(step, root)
            entry["steps"][step] = {k: v for k, v in result.items() if k != "findings"}
            log(f"  {step:<24} {result.get('seconds', float('nan')):8.2f} s  {result.get('peak_mb', 0):8.0f} MB"
                + (f"  spill {result['spill_mb']:6.0f} MB" if "spill_mb" in result else "")
                + (f"  {result['error']}" if "error" in result else ""))
        planted_root = work / f"synth-{n}-planted"
        planted = _generate(planted_root, min(n, 100_000), seed, True)["planted"]
        found = measure("validate", planted_root)
        got = {(f[0], f[1], f[2], f[3]) for f in found.get("findings", [])}
        hit = sum((p["layer"], p["rule"], p["table"], p["row"]) in got for p in planted)
        entry["planted"] = {"planted": len(planted), "found": hit, "tasks": min(n, 100_000)}
        log(f"  planted errors found: {hit} of {len(planted)}")
        steps_ = entry["steps"]
        for name in ("validate", "structure", "rules", "provenance", "build"):
            s = steps_.get(name, {})
            if "seconds" in s and "seconds" in steps_.get("frictionless", {}):
                s["vs_frictionless"] = round(steps_["frictionless"]["seconds"] / s["seconds"], 2)
            for floor, key in FLOORS.items():
                if "seconds" in s and "seconds" in steps_.get(floor, {}):
                    s[key] = round(s["seconds"] / steps_[floor]["seconds"], 2)
        for s in steps_.values():
            if "seconds" in s and s["seconds"] > 0:
                s["rows_per_s"] = round(entry["rows"] / s["seconds"])
        report["sizes"][str(n)] = entry
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report


def render(report: dict) -> str:
    """docs/performance.md from a results file."""
    from .tables import MEMORY_LIMIT

    lines = ["# Performance", "",
             "Generated by `bizenv bench --report` from `bench/results/latest.json`; do not edit by hand.", "",
             "Synthetic corpora from `bizenv synth` (100 tasks per document, about 3 assignments, 1.3 deadlines and",
             "0.8 targets per task, Chinese texts of 80-300 characters, one source file per document). Every step",
             "runs in a fresh process; times include Python's imports. *frictionless* is `frictionless.validate`",
             "on the same package.", "",
             "Four floors, measured in the same run, say what any implementation must pay:", "",
             "* *floor* (DuckDB `count(*)`): every CSV parsed, no cell looked at. The least any reading of "
             "the files costs; no target is set against it.",
             "* *floor_fair* (every cell and every source line touched, nothing kept): each cell's length "
             "summed, each source file split into lines and the lines' lengths summed. This is the fair "
             "floor for `bizenv validate`, which must read every cell and every source line once: "
             "**validate ≤ 3× floor_fair**.",
             "* *floor_checks* (the fair floor plus the scans no check can avoid, nothing kept): each CSV read "
             "with what `bizenv validate` computes while it reads it (the cell-check flag, the rules on a row's "
             "own text, every Table Schema check on a row's own cells; the same SQL), the glossary terms and "
             "numbers of every Chinese text the translation rules read, every source file split into lines and "
             "hashed. No target is set against it: what validate spends above it is keys, joins, the rules "
             "across tables, provenance's joins and holding the tables.",
             "* *floor_materialized* (all tables materialized): every CSV read into a table of text in the "
             "validator's own workspace (same memory cap). This is the floor for `bizenv build`, whose "
             "product is the tables: **build ≤ 10× floor_materialized**.", "",
             f"Machine: Python {report['machine']['python']}, {report['machine']['cpus']} CPUs, "
             f"{report['machine']['platform']}.", ""]
    largest = max(report["sizes"], key=int) if report["sizes"] else None
    if largest:
        steps = report["sizes"][largest]["steps"]
        v, b = steps.get("validate", {}), steps.get("build", {})
        su = report.get("startup", {})
        checks = [
            ("full validation ≥ 20× faster than frictionless", v.get("vs_frictionless"), lambda x: x >= 20, "×"),
            ("full validation ≤ 3× the fair floor (every cell and source line)", v.get("vs_fair"), lambda x: x <= 3,
             "× floor_fair"),
            ("build ≤ 10× the materialized floor", b.get("vs_materialized"), lambda x: x <= 10,
             "× floor_materialized"),
            ("validate peak memory < 2 GB", v.get("peak_mb"), lambda x: x < 2048, "MB"),
            ("build peak memory < 2 GB", b.get("peak_mb"), lambda x: x < 2048, "MB"),
            (f"validate spills nothing to disk under the memory cap "
             f"({report['machine'].get('memory_limit', MEMORY_LIMIT)})", v.get("spill_mb"),
             lambda x: x == 0, "MB at most in the spill folder"),
            ("`bizenv --help` starts in < 0.5 s", su.get("cli_help"), lambda x: x < 0.5, "s"),
            ("`bizenv query` on the real corpus in < 0.5 s", su.get("cli_query"), lambda x: x < 0.5, "s"),
        ]
        lines += [f"## Targets at {int(largest):,} tasks", "", "| target | measured | met |", "|---|---|---|"]
        for label, value, ok, unit in checks:
            met = "—" if value is None else ("yes" if ok(value) else "**no**")
            lines.append(f"| {label} | {'' if value is None else f'{value} {unit}'} | {met} |")
        lines.append("")
    if largest:
        steps = report["sizes"][largest]["steps"]
        layer = {k: steps[k]["seconds"] for k in ("structure", "rules", "provenance") if "seconds" in steps.get(k, {})}
        peak = {k: steps[k]["peak_mb"] for k in ("structure", "rules", "provenance") if "peak_mb" in steps.get(k, {})}
        if layer:
            rows = report["sizes"][largest]["rows"]
            lines += ["## Where the time and memory go", "",
                      f"At {int(largest):,} tasks ({rows:,} rows) each layer run alone (reading the CSV files included) takes "
                      + ", ".join(f"{k} {v:.1f} s ({peak.get(k, 0) / 1024:.1f} GB)" for k, v in layer.items())
                      + ".", "",
                      f"How the work is done: one DuckDB connection with its working memory capped at {MEMORY_LIMIT} "
                      "(`BIZENV_MEMORY_LIMIT`), spilling to a temporary folder beyond it. Every byte of a CSV "
                      "is checked before DuckDB reads it, a block at a time (in a thread of its own, which scans "
                      "the next files while DuckDB reads this one): byte searches for carriage returns and quotes, "
                      "NumPy counts of line ends and commas against the header, and an exact reading only of a "
                      "block with a quote or two adjacent line ends. Each CSV is then read once into a raw table of "
                      "text (in an in-memory database that is checkpointed after each read, which is when DuckDB "
                      "compresses it); in that same pass one regular expression per row over its free-text "
                      "cells flags the rows for the cell checks (invisible characters, padding, a formula's first "
                      "character), a numeric cell is flagged only where a cheap condition holds (more bytes than "
                      "characters, or a comma), and the rule on a row's own text is evaluated "
                      "(`text_clean`: the text is scanned once for any whitespace, `text_clean = text` is "
                      "required otherwise); a `text_clean` equal to its text is held once. The Table Schemas "
                      "compiled to SQL evaluate every check on a row's own cells in the same pass, into one flag; "
                      "only the flagged rows are read again to name the cell and the rule; unique values, primary "
                      "and foreign keys are one aggregate or join each (a key of several fields is grouped by its "
                      "hash first, and only the rows of a repeated hash by their fields). The typed tables are "
                      "views over the raw tables. Each rule is one SQL condition with its joins; the rules of a table that share "
                      "their joins run as one query that returns only the failing rows (pandera, the reference, "
                      "is not imported), and the translation rules carry short features of the Chinese texts "
                      "(glossary terms, digit runs, numerals) through their join instead of the texts; what a "
                      "rule derives from a repeated text (the date a deadline names, the form of a printed unit "
                      "name) is derived once per distinct text. Provenance takes the sources in batches of "
                      "documents (64 MB of text each): two threads read and hash the next batch while DuckDB "
                      "joins the lines of this one (slices of one buffer, handed over as Arrow arrays) with the "
                      "values of its documents only, read through a range of rows per table. `bizenv build` "
                      "writes the tables the validator read into the database file and Parquet, so no CSV is "
                      "read twice.", ""]
            slow = [v.get("vs_frictionless", 0) < 20, v.get("vs_fair", 99) > 3, b.get("vs_materialized", 99) > 10]
            fair, chk = steps.get("floor_fair", {}), steps.get("floor_checks", {})
            if "seconds" in fair and "seconds" in chk and "seconds" in v:
                lines += [f"How far the checks themselves take it: the scans over every row that no check can avoid "
                          f"(*floor_checks*) take {chk['seconds']:.1f} s at this size, "
                          f"{chk['seconds'] / fair['seconds']:.1f}× the fair floor of the 3× its target allows, "
                          f"which leaves {max(3 - chk['seconds'] / fair['seconds'], 0):.1f}× the fair floor for "
                          "everything else: the keys, the joins, the rules across tables, provenance's joins and "
                          f"holding the tables. Validate takes {v['seconds'] / chk['seconds']:.1f}× the checks floor.",
                          ""]
            if any(slow):
                lines += ["Why a time target is not reached (a profile of one validation of 26.6 s at 1,000,000 "
                          "tasks on this machine, 24.9 s of it in DuckDB; DuckDB keeps both cores busy most of the "
                          "time, about 50 CPU-seconds in all against about 9 for the fair floor): reading the CSV "
                          "files into the raw tables takes about 8.6 s and compressing them 3.3 s. Most of what "
                          "tasks.csv costs is holding its text: read into a table with every cell but its two "
                          "texts it takes 1.0 s, with the text 2.8 s (1.9 s without the memory cap), and the text "
                          "is most of the 1.5 s its compression takes. A regular expression that reads the 200 "
                          "million characters (600 MB) of task text to the end costs about 1 s, whatever its "
                          "pattern (RE2 reads about 300 MB a second per core here, while a plain substring search "
                          "reads the same text in 0.08 s), and the task text is read to the end by four: the row "
                          "flag, the `text_clean` rule, the glossary terms and the numbers of the translation "
                          "rules. The rules take about 8 s (translations 4.6 s: the glossary terms and numbers of "
                          "every Chinese text about 3 s, two whole readings of the task text and 6.1 million "
                          "glossary matches; assignments 0.8 s; tasks 0.6 s), provenance about 2.7 s, primary and "
                          "foreign keys 1.5 s, Python outside DuckDB about 1.7 s. Measured and not kept: one "
                          "pattern for the glossary terms and the numbers together (saves about 1 s, but a glossary "
                          "term that holds a numeral, such as 一次办好, would hide it from the numbers check); the "
                          "task text's row flag and its `text_clean` scan made one, by a pattern or by one screen "
                          "for whitespace and invisible characters that both share (0.6 CPU-seconds, within the "
                          "noise); per-field flags for the compiled checks (under 0.1 s); compressing only the "
                          "largest tables (slower); other compression settings (forcing `fsst`, `dictionary` or "
                          "none still takes 0.8-1.5 s to checkpoint tasks, and leaves it 4× larger) and other CSV "
                          "buffer sizes (no gain); a database file instead of the in-memory one for the raw tables "
                          "(no faster); a memory cap of 1.5 GB (no faster over a whole validation: 32.0 s against "
                          "32.7 s, medians of three paired runs, and 0.1 GB more at the peak); `lpad` for `printf` "
                          "in the task id rule (0.06 s); counting bytes with `bytes.count` instead of NumPy (5× "
                          "slower). What would close more of the gap, in order of expected gain: not holding the "
                          "long texts in `validate` (compute in the read pass what the translation rules and the "
                          "provenance of a text need, which needs the source lines before tasks.csv is read: about "
                          "3 s for tasks.csv alone; `build` still holds them, they are its product); one aggregate "
                          "per table for its primary key, positions and foreign keys; integer keys for the joins of "
                          "the rules.", ""]
    for n, entry in report["sizes"].items():
        lines += [f"## {int(n):,} tasks ({entry['rows']:,} rows)", "",
                  "| step | seconds | rows/s | peak MB | spill MB | × faster than frictionless | × floor (count) "
                  "| × floor_fair | × floor_checks | × floor_materialized |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for step, s in entry["steps"].items():
            if "error" in s:
                lines.append(f"| {step} | failed: {s['error']} | | | | | | | | |")
                continue
            spill = f"{s['spill_mb']:.0f}" if "spill_mb" in s else ""
            lines.append(f"| {step} | {s['seconds']:.2f} | {s.get('rows_per_s', 0):,} | {s['peak_mb']:.0f} | "
                         f"{spill} | "
                         f"{s.get('vs_frictionless', '')} | {s.get('vs_floor', '')} | {s.get('vs_fair', '')} | "
                         f"{s.get('vs_checks', '')} | {s.get('vs_materialized', '')} |")
        p = entry.get("planted", {})
        lines += ["", f"Planted errors found by `bizenv validate` (at {p.get('tasks', 0):,} tasks): "
                      f"{p.get('found')} of {p.get('planted')}.", ""]
    return "\n".join(lines)


def main() -> None:
    step, root = sys.argv[1], sys.argv[2]
    also = []
    if step in QUERIES:  # bizenv query spills beside the database it reads, into <database>.tmp
        from .package import Package

        also.append(Path(f"{Package.open(root).database}.tmp"))
    with Spill(also=also) as spill:
        result = _step(step, root)
    watched = {"spill_mb": round(spill.peak / 1024**2, 1)} if step != "frictionless" else {}
    print(json.dumps({"step": step, "seconds": round(time.time() - STARTED, 3), "peak_mb": round(peak_mb(), 1),
                      **watched, **result}))


class Spill:
    """The most disk the step's temporary files take at once (DuckDB's spill, in the folders that
    :class:`~bizenv.tables.Workspace` and the floors make under the temporary directory, and in the
    folders ``also``): within it, temporary files go to a private folder, looked at every 50 ms by a
    thread, with the folders ``also`` (where only what the step adds counts, never what they held
    before it; nothing in them is removed)."""

    def __init__(self, every: float = 0.05, also: list[Path] = ()):
        self.every, self.peak, self.also = every, 0, list(also)

    def __enter__(self):
        import tempfile
        import threading

        # what the folders ``also`` hold already (left by an earlier run) is not the step's: only a new
        # file, or what a file grows by, counts
        self.held = _on_disk(self.also)
        self.folder = tempfile.mkdtemp(prefix="bizenv-bench-")
        self.before, tempfile.tempdir = tempfile.tempdir, self.folder
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def _size(self) -> int:
        now = _on_disk([self.folder, *self.also])
        return sum(max(0, size - self.held.get(file, 0)) for file, size in now.items())

    def _watch(self) -> None:
        while not self.done.wait(self.every):
            self.peak = max(self.peak, self._size())

    def __exit__(self, *exc):
        import shutil
        import tempfile

        self.done.set()
        self.thread.join()
        self.peak = max(self.peak, self._size())
        tempfile.tempdir = self.before
        shutil.rmtree(self.folder, ignore_errors=True)


def _on_disk(folders) -> dict:
    """The bytes on disk (not the apparent size) of each file under ``folders``, by path and inode."""
    out = {}
    for top, _, files in (walked for folder in folders for walked in os.walk(folder)):
        for name in files:
            path = os.path.join(top, name)
            try:
                info = os.stat(path)
            except OSError:  # removed meanwhile
                continue
            out[path, info.st_ino] = info.st_blocks * 512
    return out


def peak_mb() -> float:
    """This process's own peak resident memory.

    /proc/self/status VmHWM belongs to the process's memory map, new at exec; ru_maxrss would
    also count the parent's peak, which Linux folds into it across fork and exec.
    """
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024



if __name__ == "__main__":
    main()

"""``bizenv stats`` and ``bizenv show``: counts and single-task views over the CSVs."""

from __future__ import annotations

from .package import Package
from .tables import Workspace, load

PER_DOCUMENT = """
SELECT d.document_id, d.jurisdiction, d.doc_type, d.curation_status AS status,
       (SELECT count(*) FROM measures m WHERE m.document_id = d.document_id) AS measures,
       (SELECT count(*) FROM tasks t WHERE t.document_id = d.document_id) AS tasks,
       (SELECT count(*) FROM tasks t WHERE t.document_id = d.document_id AND t.status <> 'ok') AS damaged,
       (SELECT count(*) FROM assignments a JOIN tasks t USING (task_id)
         WHERE t.document_id = d.document_id AND a.role = 'lead') AS leads,
       (SELECT count(*) FROM assignments a JOIN tasks t USING (task_id)
         WHERE t.document_id = d.document_id AND a.role = 'responsible') AS responsible,
       (SELECT count(DISTINCT a.unit_id) FROM assignments a JOIN tasks t USING (task_id)
         WHERE t.document_id = d.document_id) AS units,
       (SELECT count(*) FROM deadlines x JOIN tasks t USING (task_id) WHERE t.document_id = d.document_id) AS deadlines,
       (SELECT count(*) FROM targets x JOIN tasks t USING (task_id) WHERE t.document_id = d.document_id) AS targets
FROM documents d ORDER BY d.document_id
"""


def loaded(pkg: Package):
    """A bounded-memory workspace with the typed tables; close it when done.

    Raises :class:`~bizenv.findings.FindingsError` when a table cannot be read: counts of some
    tables only would read as counts of the corpus."""
    from .findings import FindingsError

    workspace = Workspace()
    try:
        result = load(workspace.con, pkg)
    except BaseException:
        workspace.close()
        raise
    if result.findings:
        workspace.close()
        raise FindingsError("a table cannot be read; nothing is shown (bizenv validate says more)", result.findings)
    return workspace, result


def stats(pkg: Package) -> dict[str, tuple[list[str], list[tuple]]]:
    workspace, result = loaded(pkg)
    con = workspace.con
    try:
        tables = [(name, con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in result.tables]
        out = {"tables": (["table", "rows"], tables)}
        if {"documents", "measures", "tasks", "assignments", "deadlines", "targets"} <= set(result.tables):
            cur = con.execute(PER_DOCUMENT)
            out["documents"] = ([d[0] for d in cur.description], cur.fetchall())
        return out
    finally:
        workspace.close()


def show(pkg: Package, task_id: str) -> dict | None:
    """The task with its headings, assignments, deadlines, targets and source lines."""
    workspace, _ = loaded(pkg)
    con = workspace.con
    try:
        def rows(sql: str):
            cur = con.execute(sql, [task_id])
            return [d[0] for d in cur.description], cur.fetchall()

        task = con.execute(
            """SELECT t.task_id, t.document_id, t.seq, t.label, t.status, t.text, t.source_line, t.notes,
                      p.label || ' ' || coalesce(p.title, '') AS heading1,
                      coalesce(m.label, '') || ' ' || coalesce(m.title, '') AS heading2, d.source_file
               FROM tasks t JOIN documents d USING (document_id)
               LEFT JOIN measures m ON m.measure_id = t.measure_id
               LEFT JOIN measures p ON p.measure_id = m.parent_id
               WHERE t.task_id = ?""", [task_id]).fetchone()
        if task is None:
            return None
        keys = ["task_id", "document_id", "seq", "label", "status", "text", "source_line", "notes", "heading1",
                "heading2", "source_file"]
        info = dict(zip(keys, task))
        info["assignments"] = rows("""SELECT a.role, a.position, a.name_as_printed, u.unit_id, u.name_en, a.inherited,
                                             a.source_line, a.notes
                                      FROM assignments a JOIN units u USING (unit_id) WHERE a.task_id = ?
                                      ORDER BY a.role, a.position""")
        info["deadlines"] = rows("""SELECT position, raw_text, kind, due_date, precision, milestone, source, source_line,
                                           notes FROM deadlines WHERE task_id = ? ORDER BY position""")
        info["targets"] = rows("""SELECT target_id, quote, comparator, value, unit_raw, unit, kind, baseline_value,
                                         metric, notes FROM targets WHERE task_id = ? ORDER BY target_id""")
        lines = [info["source_line"]] + [r[6] for r in info["assignments"][1]] + [r[7] for r in info["deadlines"][1]]
        lines = [n for n in lines if n is not None]
        info["source_lines"] = []
        if lines and info["source_file"]:
            from .paths import PathRefused, read_bytes

            try:
                path = pkg.source_path(info["source_file"], "source_file")
                text = read_bytes(path, 1 << 30).decode("utf-8").split("\n")
                first, last = min(lines), max(lines)
                info["source_lines"] = [(n, text[n - 1]) for n in range(max(first, 1), min(last, len(text)) + 1)]
            except (PathRefused, OSError, UnicodeDecodeError) as exc:
                info["source_problem"] = str(exc) if isinstance(exc, PathRefused) else \
                    f"the source file cannot be read as UTF-8 text ({type(exc).__name__})"
        return info
    finally:
        workspace.close()

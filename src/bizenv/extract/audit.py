"""``bizenv audit DOCUMENT``: where the curated rows differ from the extractor's draft.

Every hand correction must be visible and explained.  A difference is *explained* when
the curated row has notes; a draft row that the curators dropped is explained by the
notes of its task.  Targets are not compared row by row (quotes are chosen by hand);
the audit lists the draft's candidate numbers that no curated quote of the task holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..package import Package

COMPARE = {
    "measures": (["measure_id"], ["parent_id", "level", "seq", "label", "title", "body", "status", "source_line"]),
    "tasks": (["task_id"], ["measure_id", "seq", "label", "label_line", "text", "status", "source_line"]),
    "assignments": (["task_id", "role", "position"], ["name_as_printed", "inherited", "source_line"]),
    "deadlines": (["task_id", "position"],
                  ["raw_text", "due_date", "precision", "kind", "milestone", "source", "inherited", "source_line"]),
}


@dataclass
class Difference:
    table: str
    key: str
    change: str  # changed | curated only | draft only
    columns: str
    draft: str
    curated: str
    explained: bool


def _frame(rows, columns):
    import pandas as pd

    frame = pd.DataFrame(rows, columns=columns, dtype="str").fillna("")
    return frame.astype("str")


def _curated(pkg: Package, table: str, document_id: str):
    import pandas as pd

    frame = pd.read_csv(pkg.path(table), dtype="str", keep_default_na=False)
    if "document_id" in frame:
        return frame[frame["document_id"] == document_id]
    tasks = pd.read_csv(pkg.path("tasks"), dtype="str", keep_default_na=False)
    ids = tasks.loc[tasks["document_id"] == document_id, "task_id"]
    return frame[frame["task_id"].isin(ids)]


def audit(pkg: Package, document_id: str) -> tuple[list[Difference], list[tuple[str, str, str]]]:
    import pandas as pd

    from ..package import spell_booleans
    from . import extract_file
    from .cli import merged_cells

    docs = pd.read_csv(pkg.path("documents"), dtype="str", keep_default_na=False)
    doc = docs[docs["document_id"] == document_id]
    if doc.empty:
        raise KeyError(document_id)
    doc = doc.iloc[0]
    # the source through the path gate (a PathRefused is reported by the command)
    source = pkg.source_path(doc["source_file"], f"{pkg.relpath('documents')}: source_file of {document_id!r}")
    draft = extract_file(source, document_id, doc["layout"], merged=merged_cells(pkg, doc.to_dict()))
    for table in COMPARE:  # true and false as the curated table's schema spells them
        spell_booleans(pkg.fields(table), draft.rows[table], table)
    task_notes = _curated(pkg, "tasks", document_id).set_index("task_id")["notes"]
    out: list[Difference] = []
    for table, (key, cols) in COMPARE.items():
        cur = _curated(pkg, table, document_id)
        drf = _frame(draft.rows[table], list(draft.rows[table][0]) if draft.rows[table] else key + cols)
        cols = [c for c in cols if c in cur and c in drf]
        merged = cur[key + cols + ["notes"]].merge(drf[key + cols], on=key, how="outer", suffixes=("", "_draft"),
                                                   indicator=True)
        merged = merged.fillna("")
        keystr = merged[key].astype("str").agg(", ".join, axis=1)
        owner_notes = (merged["task_id"].map(task_notes).fillna("") if "task_id" in merged
                       else pd.Series("", index=merged.index))
        diff_cols = pd.DataFrame({c: merged[c] != merged[f"{c}_draft"] for c in cols})
        changed = (merged["_merge"] == "both") & diff_cols.any(axis=1)
        for i in merged.index[changed | (merged["_merge"] != "both")]:
            row = merged.loc[i]
            if row["_merge"] == "both":
                which = [c for c in cols if diff_cols.at[i, c]]
                change = "changed"
                explained = bool(row["notes"])
            elif row["_merge"] == "left_only":
                which, change, explained = cols, "curated only", bool(row["notes"]) or bool(owner_notes[i])
            else:
                which, change, explained = cols, "draft only", bool(owner_notes[i])
            out.append(Difference(
                table, keystr[i], change, ", ".join(which),
                " | ".join(str(row[f"{c}_draft"]) for c in which) if change != "curated only" else "",
                " | ".join(str(row[c]) for c in which) if change != "draft only" else "", explained))
    targets = _curated(pkg, "targets", document_id)
    quotes = targets.groupby("task_id")["quote"].agg(lambda q: "\u0000".join(q)).to_dict()
    missed = [(c["task_id"], c["quote"], c["value"]) for c in draft.rows["targets"]
              if c["quote"].replace(" ", "") not in quotes.get(c["task_id"], "").replace(" ", "")]
    return out, missed

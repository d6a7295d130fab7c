"""``bizenv synth``: a synthetic corpus of any size, for benchmarks and scale tests.

The package has every table in realistic proportions (100 tasks per document, about 3
assignments, 1.3 deadlines and 0.8 targets per task, Chinese task texts of 80-300
characters) and a synthetic source file per document, laid out like the Xianning
table, so that the provenance layer does real work.  It is deterministic for a seed and
valid by construction.  With ``plant`` it also carries a known number of errors of every
kind the validator checks, listed in ``planted.json``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import shutil
from pathlib import Path

TASKS_PER_DOC = 100
MEASURES_PER_DOC = 10  # level 2, under one level-1 heading
UNITS_PER_DOC = 30
WORDS = ("推进", "优化", "营商环境", "政务服务", "一网通办", "审批", "企业", "开办", "压缩", "时间", "流程", "改革",
         "监管", "信用", "办理", "提升", "效率", "便利", "公平", "竞争", "市场", "准入", "深化", "建立", "健全", "机制",
         "落实", "责任", "全面", "推行", "电子", "证照", "数据", "共享", "平台", "对接", "窗口", "服务", "质量", "水平")
UNIT_WORDS = ("发改委", "市场监管局", "税务局", "财政局", "住建局", "自然资源和规划局", "政务服务局", "人社局", "商务局",
              "公安局", "生态环境局", "交通运输局", "司法局", "教育局", "卫健委", "经信局", "农业农村局", "水利局",
              "文旅局", "应急管理局", "统计局", "审计局", "医保局", "民政局", "科技局", "金融办", "供电公司", "水务公司",
              "燃气公司", "各区人民政府")


def _sentence(rng: random.Random, length: int) -> str:
    out = []
    while sum(map(len, out)) < length:
        out.append(rng.choice(WORDS))
        if rng.random() < 0.15:
            out.append("，")
    return "".join(out)[:length].rstrip("，") + "。"


MARKER = ".bizenv-synth"


class SynthError(Exception):
    pass


def generate(out: Path, tasks: int, seed: int = 1, plant: bool = False, template: Path | None = None) -> dict:
    """Write a synthetic package to ``out``; return its row counts (and planted errors)."""
    rng = random.Random(seed)
    template = template or Path(__file__).resolve().parents[2]
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise SynthError(f"{out}: exists and is not a folder; name a new folder")
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise SynthError(f"{out}: the folder is not empty and was not written by bizenv synth; "
                             "name a new or empty folder (only an earlier synthetic package is replaced)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by bizenv synth; the folder is replaced by the next run\n", encoding="utf-8")
    (out / "data").mkdir()
    (out / "sources").mkdir()
    shutil.copytree(template / "schemas", out / "schemas")
    shutil.copytree(template / "sql", out / "sql")
    for name in ("indicators", "measurement_units"):
        shutil.copyfile(template / "data" / f"{name}.csv", out / "data" / f"{name}.csv")
    indicators = [r["indicator_id"] for r in csv.DictReader(open(template / "data" / "indicators.csv", encoding="utf-8"))]
    rows = {n: [] for n in ("documents", "measures", "tasks", "units", "unit_aliases", "assignments", "deadlines",
                            "targets")}
    n_docs = max(1, -(-tasks // TASKS_PER_DOC))
    for d in range(n_docs):
        doc_id = f"synth{d:06d}-2021"
        jur = f"合成市{d}"
        prefix = "syn" + "".join(chr(97 + (d // 26 ** k) % 26) for k in range(5))[::-1]  # ids allow letters only
        year = 2019 + d % 5
        lines = [f"合成市{d}优化营商环境责任分工", ""]
        units = []
        lines.append("\t一、优化营商环境重点工作")
        rows["measures"].append(dict(measure_id=f"{doc_id}-s1", document_id=doc_id, parent_id="", level=1, seq=1,
                                     label="一", title="优化营商环境重点工作", body="", body_line="", position=1,
                                     status="ok", source_line=len(lines), notes=""))
        for u in range(UNITS_PER_DOC):
            units.append(dict(unit_id=f"{prefix}-u{u + 1:03d}", name=f"市{UNIT_WORDS[u % len(UNIT_WORDS)]}",
                              jurisdiction=jur, unit_type="government_department",
                              name_en=f"Synthetic city {d} bureau {u + 1}", function="other", parent_unit_id="",
                              notes=""))
        rows["units"] += units
        rows["unit_aliases"] += [dict(unit_id=u["unit_id"], form=u["name"], derivation="name", notes="") for u in units]
        n_tasks = min(TASKS_PER_DOC, tasks - d * TASKS_PER_DOC)
        per_measure = max(1, -(-n_tasks // MEASURES_PER_DOC))
        for t in range(1, n_tasks + 1):
            if (t - 1) % per_measure == 0:
                m = (t - 1) // per_measure + 1
                title = _sentence(rng, rng.randint(8, 16)).rstrip("。")
                lines += ["", f"\t（{_cn(m)}）{title}"]
                mid = f"{doc_id}-s1.{m}"
                rows["measures"].append(dict(measure_id=mid, document_id=doc_id, parent_id=f"{doc_id}-s1", level=2,
                                             seq=m, label=f"（{_cn(m)}）", title=title, body="", body_line="",
                                             position=m + 1, status="ok", source_line=len(lines), notes=""))
            task_id = f"{doc_id}-t{t:03d}"
            text = _sentence(rng, rng.randint(80, 300))
            n_targets = rng.choices((0, 1, 2), weights=(40, 40, 20))[0]
            quotes = []
            for k in range(n_targets):
                value = rng.randint(1, 90)
                quote = f"压缩至{value}个工作日" if k == 0 else f"达到{value}%"
                quotes.append((quote, value, "个工作日" if k == 0 else "%"))
                text = text[:-1] + "，" + quote + "。"
            lines.append("")
            lines.append(f"\t{t}.{text}")
            task_line = len(lines)
            lead = rng.sample(units, 1)
            resp = rng.sample(units, rng.randint(1, 3))
            lines.append("\t" + "、".join(u["name"] for u in lead))
            lead_line = len(lines)
            lines.append("\t" + "、".join(u["name"] for u in resp))
            resp_line = len(lines)
            month = rng.randint(1, 12)
            two = rng.random() < 0.3
            raw = f"{year}年{month}月"
            lines.append("\t" + raw + ("，长期推进" if two else ""))
            dl_line = len(lines)
            rows["tasks"].append(dict(task_id=task_id, document_id=doc_id, measure_id=mid, seq=t, label=f"{t}.",
                                      label_line=task_line, text=text, text_clean=text, status="ok",
                                      source_line=task_line, indicator_id=rng.choice(indicators), indicator2_id="",
                                      notes=""))
            for role, chosen, line in (("lead", lead, lead_line), ("responsible", resp, resp_line)):
                for pos, u in enumerate(chosen, start=1):
                    rows["assignments"].append(dict(task_id=task_id, role=role, position=pos, unit_id=u["unit_id"],
                                                    name_as_printed=u["name"], inherited="false", source_line=line,
                                                    notes=""))
            last = [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
            rows["deadlines"].append(dict(task_id=task_id, position=1, raw_text=raw,
                                          due_date=f"{year}-{month:02d}-{last:02d}", precision="month",
                                          kind="fixed", milestone="", source="column", inherited="false",
                                          source_line=dl_line, notes=""))
            if two:
                rows["deadlines"].append(dict(task_id=task_id, position=2, raw_text="长期推进", due_date="",
                                              precision="", kind="ongoing", milestone="", source="column",
                                              inherited="false", source_line=dl_line, notes=""))
            for k, (quote, value, unit_raw) in enumerate(quotes, start=1):
                rows["targets"].append(dict(target_id=f"{task_id}-v{k}", task_id=task_id, quote=quote, value=value,
                                            value_status="printed", unit_raw=unit_raw,
                                            unit="working_day" if unit_raw == "个工作日" else "percent",
                                            comparator="<=" if k == 1 else ">=", kind="target", baseline_value="",
                                            metric="Synthetic metric", as_of_raw="", as_of_date="", notes=""))
        source = ("\n".join(lines) + "\n").encode("utf-8")
        path = out / "sources" / f"{doc_id}.txt"
        path.write_bytes(source)
        rows["documents"].append(dict(
            document_id=doc_id, title=f"合成市{d}优化营商环境责任分工", title_en=f"Synthetic document {d}", issuer="",
            jurisdiction=jur, jurisdiction_en=f"Synthetic city {d}", province="湖北省", admin_level="prefecture",
            doc_type="responsibility_table", layout="column_table", merged_cells="false", issued_date="",
            year=year, source_file=f"sources/{doc_id}.txt", source_sha256=hashlib.sha256(source).hexdigest(),
            title_line=1, curation_status="complete", notes=""))
    planted = _plant(rows, rng) if plant else []
    for name, data in rows.items():
        _write(out / "data" / f"{name}.csv", _fields(template, name), data)
    for name in ("numbering_gaps", "retired_ids"):
        _write(out / "data" / f"{name}.csv", _fields(template, name), [])
    descriptor = json.loads((template / "datapackage.json").read_text(encoding="utf-8"))
    descriptor.update(name="bizenv-synthetic", title=f"Synthetic corpus of {tasks} tasks (seed {seed})",
                      sources=[])
    (out / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n",
                                          encoding="utf-8")
    counts = {n: len(r) for n, r in rows.items()}
    (out / "planted.json").write_text(json.dumps({"counts": counts, "planted": planted}, ensure_ascii=False,
                                                 indent=1) + "\n", encoding="utf-8")
    return {"counts": counts, "planted": planted}


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, units = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[units] if units else "")


def _fields(template: Path, name: str) -> list[str]:
    schema = json.loads((template / "schemas" / f"{name}.json").read_text(encoding="utf-8"))
    return [f["name"] for f in schema["fields"]]


def _write(path: Path, fields: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


# One planted error per kind, PER_KIND times, each at a row it alone breaks. `expect` is what the
# validator must report: (layer, rule, table, column); the row is the CSV record number.
PER_KIND = 3
PLANTS = [
    # structure: what a Table Schema says
    ("tasks", "seq", lambda r: "seven", ("structure", "type-error", "seq")),
    ("deadlines", "due_date", lambda r: "2021-02-30", ("structure", "type-error", "due_date")),
    ("units", "name_en", lambda r: "", ("structure", "constraint-error", "name_en")),
    ("tasks", "status", lambda r: "lost", ("structure", "constraint-error", "status")),
    ("documents", "source_sha256", lambda r: r["source_sha256"].upper(), ("structure", "constraint-error", "source_sha256")),
    ("assignments", "unit_id", lambda r: r["unit_id"][:-3] + "999", ("structure", "foreign-key", None)),
    # rules: what pandera checks
    ("deadlines", "due_date", lambda r: r["due_date"][:8] + "01" if r["due_date"] else None,
     ("rules", "deadline-date-matches-text", "due_date")),
    ("targets", "value", lambda r: "150" if r["unit"] == "percent" else None, ("rules", "target-percent-range", "value")),
    ("tasks", "text_clean", lambda r: r["text_clean"] + " x", ("rules", "task-text-clean", "text_clean")),
    # provenance: verbatim in the sources
    ("tasks", "text", lambda r: r["text"].replace("。", "．", 1), ("provenance", "verbatim-line", "text")),
    ("assignments", "name_as_printed", lambda r: r["name_as_printed"] + "办", ("provenance", "verbatim-line", "name_as_printed")),
    ("targets", "quote", lambda r: r["quote"] + "内", ("provenance", "verbatim-task-text", "quote")),
    # cells: how the file is written
    ("tasks", "notes", lambda r: "=CMD()", ("structure", "formula-injection", "notes")),
    ("units", "notes", lambda r: "x\u200b", ("structure", "invisible-character", "notes")),
]


def _plant(rows: dict, rng: random.Random) -> list[dict]:
    planted, used = [], set()
    for table, column, mutate, (layer, rule, col) in PLANTS:
        done = 0
        while done < PER_KIND:
            i = rng.randrange(len(rows[table]))
            row = rows[table][i]
            key = (table, i)
            if key in used or row.get("task_id", "").endswith("-t001"):
                continue
            new = mutate(row)
            if new is None:
                continue
            used.add(key)
            row[column] = new
            planted.append({"layer": layer, "rule": rule, "table": table, "row": i + 2, "column": col})
            done += 1
    return planted

"""HeartAgent's template QA builder: Heartcare-Bench items from label tables and real ECG records.

HeartAgent turns per-ECG label tables (SCP-ECG description -> likelihood 0-100 for the diagnostic,
form and rhythm dimensions, plus age and sex) into QA items. Upstream used GPT-4o with rule-laden
prompts (``heartcare_bench/prompts/qa_gen_prompt_*.txt``); this module applies the same rules as
code, so every item is reproducible from the table, the records and a seed:

- the answer is the highest-likelihood label >= 60 of the dimension; with none, a "Normal" phrasing;
- distractors come from the same dimension's vocabulary (``meta/class.json``: plausible) and never
  name a label the ECG carries in any dimension, at any likelihood (disjoint from the truth);
- the answer's position among A-D is drawn from a generator seeded by (seed, record, item kind);
- the split is patient-level: PTB-XL's ``strat_fold`` keeps all of a patient's records in one fold,
  so folds map to splits (default 10 -> test, 9 -> val, the rest -> train); a table with a patient
  column can be split by that instead. No record or patient appears in two splits (checked).

The miscellaneous dimension (Table 10: noise, axis, MI stage) has no column in the label table;
its items are grounded in the signal itself: the frontal QRS axis of the real record, exactly as
the ``features`` modality prints it for that record (the harness's one axis algorithm,
:mod:`harness.ecg.measurements`), so the gold of an axis question is what a model shown the
measurements reads.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import math
import os
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import DataError, HarnessError

DIMENSIONS = ("diagnosis", "waveform", "rhythm")
COLUMN = {"diagnosis": "diagnostic", "waveform": "form", "rhythm": "rhythm"}
TYPE_NAME = {"diagnosis": "Diagnosis", "waveform": "Waveform", "rhythm": "Rhythm", "misc": "Miscellaneous"}
THRESHOLD = 60.0
NORMAL_PHRASES = ("No abnormality detected", "Normal ECG", "Within normal limits", "No significant abnormality")
AXIS_OPTIONS = ("Normal heart axis", "Left axis deviation", "Right axis deviation", "Extreme axis deviation")
LETTERS = "ABCD"

STEMS = (
    "Based on the ECG signal of a {age} {sex} patient, ",
    "For the ECG of a {age} {sex}, ",
    "Considering the ECG tracing of a {age} patient ({sex}), ",
    "This ECG is from a {age} {sex} patient. ",
)
CLOSED_ASK = {
    "diagnosis": ("which diagnosis is most likely?", "what is the most appropriate diagnosis?"),
    "waveform": ("which waveform abnormality is most likely?", "which shape and structure classification fits best?"),
    "rhythm": ("which rhythm is most likely?", "which rate and regularity classification fits best?"),
    "misc": ("what is the frontal-plane electrical heart axis?",),
}
OPEN_ASK = {
    "diagnosis": ("what is the primary diagnosis?", "which diagnosis best defines this ECG?"),
    "waveform": ("what is the most likely waveform abnormality?", "what is the most significant waveform finding?"),
    "rhythm": ("what rhythm does this ECG exhibit?", "how would you classify the rhythm?"),
    "misc": ("what is the electrical heart axis?",),
}
# Table 9's comparison templates; `truth(prev, recent)` says when the answer is "Yes".
COMPARISONS = (
    ("Has {label} been eliminated in the recent tracing in comparison to the previous one?", lambda a, b: a and not b),
    ("Does the second ECG still indicate the presence of {label} as compared to the first ECG?", lambda a, b: a and b),
    (
        "Is {label} still not detected in the recent tracing when compared to the previous one?",
        lambda a, b: not a and not b,
    ),
    ("Does the second ECG show {label}, which was absent in the first ECG?", lambda a, b: not a and b),
)
REPORT_ASKS = (
    "Please provide a comprehensive ECG interpretation for this {age} {sex} individual.",
    "Generate a standardized ECG assessment report for this {age} {sex} patient.",
    "Based on the ECG signal from this {age} {sex} patient, generate a structured clinical 12-lead ECG report.",
)


@dataclass(frozen=True)
class LabelRow:
    """One ECG of the label table."""

    ref: str  # how items name the record: ptbxl_img/NNNNN for PTB-XL (as the published files do)
    key: str  # short id used in item ids
    age: float | None
    sex: str | None
    labels: dict[str, dict[str, float]]  # dimension -> {SCP description: likelihood}
    fold: int | None
    patient: str  # split unit


def _as_dict(value: Any, *, where: str) -> dict[str, float]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return {}
    if isinstance(value, dict):
        raw = value
    else:
        try:
            raw = ast.literal_eval(str(value))
        except (ValueError, SyntaxError):
            raise DataError(f"{where}: not a label dict: {str(value)[:80]!r}") from None
    if not isinstance(raw, dict):
        raise DataError(f"{where}: expected a dict of label -> likelihood, got {type(raw).__name__}")
    return {str(k): float(v) for k, v in raw.items()}


_PTBXL = re.compile(r"records(?:500|100)/\d+/(\d{5})_(?:hr|lr)$")


def row_ref(filename: str) -> tuple[str, str]:
    """``records500/06000/06000_hr`` -> (``ptbxl_img/06000``, ``06000``); other paths are kept as they are."""
    match = _PTBXL.search(filename)
    if match:
        return f"ptbxl_img/{match.group(1)}", match.group(1)
    return filename, re.sub(r"[^A-Za-z0-9_-]+", "_", filename)


def load_labels(path: Path, *, patient_column: str | None = None, keys: set[str] | None = None) -> list[LabelRow]:
    """The label table (``full_data.parquet`` layout; csv/jsonl with the same columns also work).

    ``keys`` (e.g. ``{"06000"}``) keeps only those records, before their label dicts are parsed.
    """
    import pandas as pd

    if not path.is_file():
        raise DataError(f"label table not found: {path}")
    table = (
        pd.read_parquet(path)
        if path.suffix == ".parquet"
        else pd.read_csv(path)
        if path.suffix == ".csv"
        else pd.read_json(path, lines=True)
    )
    needed = {"age", "sex", "diagnostic", "form", "rhythm", "filename_hr"}
    missing = needed - set(table.columns)
    if missing:
        raise DataError(
            f"{path}: label table lacks column(s) {sorted(missing)}; expected {sorted(needed)} (+ strat_fold)"
        )
    if patient_column and patient_column not in table.columns:
        raise DataError(f"{path}: no patient column '{patient_column}'")
    if keys is not None:
        table = table[table["filename_hr"].map(lambda f: row_ref(str(f))[1] in keys)]
    rows = []
    for i, rec in zip(table.index, table.to_dict("records")):
        where = f"{path}: row {i} ({rec['filename_hr']})"
        ref, key = row_ref(str(rec["filename_hr"]))
        fold = rec.get("strat_fold")
        fold = int(fold) if fold is not None and not (isinstance(fold, float) and math.isnan(fold)) else None
        age = rec.get("age")
        age = None if age is None or (isinstance(age, float) and math.isnan(age)) else float(age)
        patient = str(rec[patient_column]) if patient_column else f"fold-{fold}" if fold is not None else ref
        labels = {dim: _as_dict(rec.get(COLUMN[dim]), where=f"{where} {COLUMN[dim]}") for dim in DIMENSIONS}
        rows.append(LabelRow(ref, key, age, (str(rec.get("sex")) or None), labels, fold, patient))
    return rows


# -- phrasing ---------------------------------------------------------------------------------


def age_phrase(age: float | None) -> str:
    if age is None:
        return "adult"
    if age >= 300:  # PTB-XL codes ">89" as 300
        return "over-89-year-old"
    return f"{int(round(age))}-year-old"


def cap(label: str) -> str:
    return label[:1].upper() + label[1:]


def _rng(seed: int, *parts: str) -> random.Random:
    digest = hashlib.sha256(":".join([str(seed), *parts]).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def answer_label(labels: dict[str, float]) -> str | None:
    """The highest-likelihood label at or above the threshold (ties: alphabetical), or None."""
    positive = sorted(((-v, k) for k, v in labels.items() if v >= THRESHOLD))
    return positive[0][1] if positive else None


def true_labels(row: LabelRow) -> set[str]:
    """Every label the ECG carries, in any dimension, at any likelihood (lower-cased)."""
    return {k.lower() for dim in DIMENSIONS for k in row.labels[dim]}


def choose_options(
    answer: str, pool: Sequence[str], excluded: set[str], rng: random.Random, *, normal_is_answer: bool
) -> tuple[dict[str, str], str]:
    """Four options with the answer at a random position; distractors disjoint from ``excluded``."""
    candidates = [cap(p) for p in pool if p.lower() not in excluded and p.lower() != answer.lower()]
    if len(candidates) < 3:
        raise DataError(f"not enough distractors for '{answer}' (vocabulary of {len(pool)}, {len(excluded)} excluded)")
    if normal_is_answer:
        distractors = rng.sample(candidates, 3)
    else:  # a "Normal" distractor is allowed when the answer is not normal
        normal = rng.choice(NORMAL_PHRASES)
        distractors = rng.sample(candidates, 2) + [normal] if rng.random() < 0.5 else rng.sample(candidates, 3)
    position = rng.randrange(4)
    texts = distractors[:position] + [answer] + distractors[position:]
    options = dict(zip(LETTERS, texts))
    return options, LETTERS[position]


def options_text(options: dict[str, str]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in options.items())


# -- signal-grounded miscellaneous dimension --------------------------------------------------


def qrs_axis_degrees(ecg: Any) -> float | None:
    """The frontal QRS axis the ``features`` modality prints for this record (one algorithm: the
    least-squares fit over the limb leads in :mod:`harness.ecg.measurements`), so an axis question's
    gold is what a model shown the measurements reads; ``None`` when the record cannot be measured."""
    from harness.ecg.delineation import DelineationError
    from harness.ecg.modalities.features import machine_measurements

    try:
        angle = machine_measurements(ecg).qrs_axis_deg
    except (DelineationError, KeyError):
        return None
    return None if angle is None else float(f"{angle:.0f}")  # as printed: whole degrees


def axis_category(angle: float) -> str:
    if -30 <= angle <= 90:
        return AXIS_OPTIONS[0]
    if -90 <= angle < -30:
        return AXIS_OPTIONS[1]
    if 90 < angle <= 180:
        return AXIS_OPTIONS[2]
    return AXIS_OPTIONS[3]


# -- items ------------------------------------------------------------------------------------


@dataclass
class Builder:
    vocab: dict[str, list[str]]  # dimension -> SCP descriptions (class.json)
    seed: int = 0
    data_dir: Path | None = None
    signal_fs: float = 250.0
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def _base(self, row: LabelRow, kind: str, split: str, rng: random.Random) -> dict[str, Any]:
        stem = rng.choice(STEMS).format(age=age_phrase(row.age), sex=row.sex or "patient")
        return {
            "id": f"{row.key}-{kind}",
            "filename": [row.ref],
            "age": row.age,
            "sex": row.sex,
            "split": split,
            "split_unit": row.patient,
            "label": ["signal"],
            "_stem": stem,
        }

    def _emit(self, file: str, item: dict[str, Any]) -> None:
        item.pop("_stem", None)
        self.items.setdefault(file, []).append(item)

    def closed_and_open(
        self,
        row: LabelRow,
        dim: str,
        split: str,
        answer: str | None,
        labels: dict[str, float],
        pool: Sequence[str],
        excluded: set[str],
    ) -> None:
        rng = _rng(self.seed, row.key, "closed", dim)
        normal = answer is None
        text = rng.choice(NORMAL_PHRASES) if normal else cap(answer)
        options, letter = choose_options(text, pool, excluded, rng, normal_is_answer=normal)
        item = self._base(row, f"closedqa-{dim}", split, rng)
        ask = rng.choice(CLOSED_ASK[dim])
        item.update(
            {
                "type": f"{TYPE_NAME[dim]}ClosedQA",
                "question": f"{item['_stem']}{ask} {options_text(options)}",
                "answer": f"{letter}: {options[letter]}",
                "answer_letter": letter,
                "options": options,
                "dimension": dim,
                "labels": labels,
            }
        )
        self._emit(f"closedqa_{dim}", item)
        orng = _rng(self.seed, row.key, "open", dim)
        item = self._base(row, f"openqa-{dim}", split, orng)
        item.update(
            {
                "type": f"{TYPE_NAME[dim]}OpenQA",
                "question": f"{item['_stem']}{orng.choice(OPEN_ASK[dim])}",
                "answer": orng.choice(NORMAL_PHRASES) if normal else cap(answer),
                "dimension": dim,
                "labels": labels,
            }
        )
        self._emit(f"openqa_{dim}", item)

    def label_items(self, row: LabelRow, split: str) -> None:
        excluded = true_labels(row)
        for dim in DIMENSIONS:
            labels = row.labels[dim]
            self.closed_and_open(row, dim, split, answer_label(labels), labels, self.vocab[COLUMN[dim]], excluded)

    def misc_items(self, row: LabelRow, split: str, ecg: Any) -> bool:
        angle = qrs_axis_degrees(ecg)
        if angle is None:
            return False
        answer = axis_category(angle)
        rng = _rng(self.seed, row.key, "closed", "misc")
        position = rng.randrange(4)
        others = [o for o in AXIS_OPTIONS if o != answer]
        rng.shuffle(others)
        texts = others[:position] + [answer] + others[position:]
        options = dict(zip(LETTERS, texts))
        letter = LETTERS[position]
        item = self._base(row, "closedqa-misc", split, rng)
        item.update(
            {
                "type": "MiscellaneousClosedQA",
                "question": f"{item['_stem']}{CLOSED_ASK['misc'][0]} {options_text(options)}",
                "answer": f"{letter}: {answer}",
                "answer_letter": letter,
                "options": options,
                "dimension": "misc",
                "qrs_axis_deg": round(angle, 1),
            }
        )
        self._emit("closedqa_misc", item)
        orng = _rng(self.seed, row.key, "open", "misc")
        item = self._base(row, "openqa-misc", split, orng)
        item.update(
            {
                "type": "MiscellaneousOpenQA",
                "question": f"{item['_stem']}{OPEN_ASK['misc'][0]}",
                "answer": answer,
                "dimension": "misc",
                "qrs_axis_deg": round(angle, 1),
            }
        )
        self._emit("openqa_misc", item)
        return True

    def report_item(self, row: LabelRow, split: str) -> None:
        rng = _rng(self.seed, row.key, "report")
        item = self._base(row, "report", split, rng)
        ask = rng.choice(REPORT_ASKS).format(age=age_phrase(row.age), sex=row.sex or "patient")
        item.update(
            {
                "type": "ReportGeneration",
                "question": ask,
                "answer": template_report(row),
                "diagnosis_type": row.labels["diagnosis"],
                "waveform": row.labels["waveform"],
                "rhythm": row.labels["rhythm"],
            }
        )
        self._emit("report", item)

    def forecast_item(self, row: LabelRow, split: str) -> None:
        rng = _rng(self.seed, row.key, "forecast")
        item = self._base(row, "forecast", split, rng)
        item.update(
            {
                "type": "SignalForecasting",
                "question": f"{item['_stem']}predict the continuation of the signal.",
                "answer": "",
            }
        )
        self._emit("signal_prediction", item)

    def comparison_items(self, pair: tuple[LabelRow, LabelRow], split: str) -> None:
        prev, recent = pair
        rng = _rng(self.seed, prev.key, recent.key, "comparison")
        pos_prev = {k.lower() for d in DIMENSIONS for k, v in prev.labels[d].items() if v >= THRESHOLD}
        pos_recent = {k.lower() for d in DIMENSIONS for k, v in recent.labels[d].items() if v >= THRESHOLD}
        known = sorted(pos_prev | pos_recent)
        weak = true_labels(prev) | true_labels(recent)  # present below threshold: neither yes nor no is safe
        absent_pool = sorted({x.lower() for d in DIMENSIONS for x in self.vocab[COLUMN[d]]} - weak)
        label = rng.choice(known) if known and rng.random() < 0.7 else rng.choice(absent_pool)
        spelled = {
            x.lower(): x for d in DIMENSIONS for x in [*self.vocab[COLUMN[d]], *prev.labels[d], *recent.labels[d]]
        }
        template, truth = COMPARISONS[rng.randrange(len(COMPARISONS))]
        yes = truth(label in pos_prev, label in pos_recent)
        options = {"A": "Yes", "B": "No"} if rng.random() < 0.5 else {"A": "No", "B": "Yes"}
        letter = next(k for k, v in options.items() if v == ("Yes" if yes else "No"))
        item = {
            "id": f"{prev.key}-{recent.key}-comparison",
            "filename": [prev.ref, recent.ref],
            "split": split,
            "split_unit": prev.patient,
            "label": ["signal", "signal"],
            "type": "ComparisonQA",
            "question": f"{template.format(label=spelled.get(label, label))} {options_text(options)}",
            "answer": f"{letter}: {options[letter]}",
            "answer_letter": letter,
            "options": options,
            "compared_label": label,
            "present": {"previous": label in pos_prev, "recent": label in pos_recent},
        }
        self._emit("comparisonqa", item)


def template_report(row: LabelRow) -> str:
    """A structured report from the labels, with likelihood wording (HeartAgent's report rules)."""

    def phrase(value: float) -> str:
        return "highly likely" if value >= 80 else "likely" if value >= THRESHOLD else "possible"

    lines = [f"Patient: {age_phrase(row.age)} {row.sex or 'patient'}."]
    positive = False
    for dim, title in (("diagnosis", "Diagnosis"), ("waveform", "Waveform"), ("rhythm", "Rhythm")):
        entries = sorted(row.labels[dim].items(), key=lambda kv: (-kv[1], kv[0]))
        if entries:
            positive |= any(v >= THRESHOLD for _, v in entries)
            lines.append(f"{title}: " + "; ".join(f"{cap(k)} ({phrase(v)})" for k, v in entries) + ".")
        else:
            lines.append(f"{title}: no abnormality reported.")
    lines.append(
        "Conclusion: abnormal ECG; clinical correlation is advised."
        if positive
        else "Conclusion: ECG within normal limits; no significant abnormality detected."
    )
    return "\n".join(lines)


# -- splits and the build ---------------------------------------------------------------------


def split_of(row: LabelRow, *, test_folds: set[int], val_folds: set[int], by_patient: bool, seed: int) -> str:
    if by_patient or row.fold is None:
        u = int.from_bytes(hashlib.sha256(f"{seed}:{row.patient}".encode()).digest()[:8], "big") / 2**64
        return "test" if u < 0.1 else "val" if u < 0.2 else "train"
    return "test" if row.fold in test_folds else "val" if row.fold in val_folds else "train"


def check_splits(items: Iterable[dict[str, Any]]) -> None:
    """No record and no patient in two splits (raises naming the offender)."""
    seen: dict[str, str] = {}
    for item in items:
        for key in [*item["filename"], f"unit:{item['split_unit']}"]:
            if seen.setdefault(key, item["split"]) != item["split"]:
                raise HarnessError(f"split leak: {key} is in both {seen[key]} and {item['split']} (item {item['id']})")


def parse_ids(spec: str) -> list[int]:
    """``6000-6009,6020`` -> [6000, ..., 6009, 6020]."""
    out: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out += list(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def build(
    *,
    labels_path: Path,
    classes_path: Path,
    out_dir: Path,
    data_dir: Path | None,
    ids: list[int] | None = None,
    seed: int = 0,
    test_folds: Sequence[int] = (10,),
    val_folds: Sequence[int] = (9,),
    patient_column: str | None = None,
    include_absent: bool = False,
) -> dict[str, Any]:
    """Write the item files and a manifest into ``out_dir``; returns the manifest."""
    from harness.ecg.task_input import ECGRecordAbsent, load_ecg

    vocab = json.loads(classes_path.read_text(encoding="utf-8"))
    for key in COLUMN.values():
        if key not in vocab:
            raise DataError(f"{classes_path}: no '{key}' label list")
    wanted = {f"{i:05d}" for i in ids} if ids is not None else None
    rows = load_labels(labels_path, patient_column=patient_column, keys=wanted)
    if wanted is not None:
        missing = wanted - {r.key for r in rows}
        if missing:
            raise DataError(f"{labels_path}: no label row for PTB-XL ecg_id(s) {sorted(missing)}")
    builder = Builder(vocab, seed=seed, data_dir=data_dir)
    spec = {"record": "filename", "fs": builder.signal_fs}
    absent, no_axis = [], []
    splits: dict[str, str] = {}
    kept: list[LabelRow] = []
    for row in rows:
        try:
            ecg = load_ecg(row.ref, spec, data_dir, sample=row.key)
        except ECGRecordAbsent:
            absent.append(row.ref)
            if not include_absent:
                continue
            ecg = None
        split = split_of(
            row, test_folds=set(test_folds), val_folds=set(val_folds), by_patient=bool(patient_column), seed=seed
        )
        splits[row.ref] = split
        kept.append(row)
        builder.label_items(row, split)
        builder.report_item(row, split)
        if ecg is not None:
            builder.forecast_item(row, split)
            if not builder.misc_items(row, split, ecg):
                no_axis.append(row.ref)
    for split in ("train", "val", "test"):
        members = [r for r in kept if splits[r.ref] == split]
        for prev, recent in zip(members, members[1:]):  # consecutive pairs inside one split only
            builder.comparison_items((prev, recent), split)
    check_splits(item for items in builder.items.values() for item in items)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, dict[str, int]] = {}
    for name, items in sorted(builder.items.items()):
        _write_jsonl(out_dir / f"{name}.jsonl", items)
        counts[name] = {s: sum(1 for i in items if i["split"] == s) for s in ("train", "val", "test")}
    manifest = {
        "builder": "heartcare",
        "seed": seed,
        "labels": str(labels_path),
        "labels_sha256": _sha256(labels_path),
        "classes": str(classes_path),
        "threshold": THRESHOLD,
        "split_rule": "by patient column"
        if patient_column
        else f"PTB-XL strat_fold (test folds {list(test_folds)}, val folds {list(val_folds)}, rest train)",
        "records": {r.ref: splits[r.ref] for r in kept},
        "absent_records": absent,
        "no_axis_estimate": no_axis,
        "files": counts,
    }
    tmp = out_dir / ".manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    os.replace(tmp, out_dir / "manifest.json")
    return manifest


def _write_jsonl(path: Path, items: list[dict[str, Any]]) -> None:
    tmp = path.with_name("." + path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def _sha256(path: Path) -> str:
    from harness.hashing import sha256_file

    return sha256_file(path)


def main(args: list[str]) -> None:
    """``python -m harness build heartcare --out DIR [--ids 6000-6009] ...``"""
    env_data = os.environ.get("HARNESS_DATA_DIR")
    parser = argparse.ArgumentParser(prog="python -m harness build heartcare", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", required=True, type=Path, help="output folder (e.g. $HARNESS_DATA_DIR/heartcare_built)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(env_data) if env_data else None,
        help="where ECG records are looked up (default: HARNESS_DATA_DIR)",
    )
    parser.add_argument(
        "--labels", type=Path, help="label table (default: DATA_DIR/heartcare_bench/meta/full_data.parquet)"
    )
    parser.add_argument("--classes", type=Path, help="label vocabulary (default: class.json beside the label table)")
    parser.add_argument("--ids", help="PTB-XL ecg_ids to use, e.g. 6000-6009 (default: every row of the table)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-folds", default="10")
    parser.add_argument("--val-folds", default="9")
    parser.add_argument("--patient-column", help="split by this column instead of strat_fold")
    parser.add_argument(
        "--include-absent", action="store_true", help="also write label-only items for records not under the data dir"
    )
    ns = parser.parse_args(args)
    labels = ns.labels or (ns.data_dir / "heartcare_bench" / "meta" / "full_data.parquet" if ns.data_dir else None)
    if labels is None:
        raise HarnessError("no label table: pass --labels PATH or --data-dir / HARNESS_DATA_DIR")
    classes = ns.classes or labels.parent / "class.json"
    manifest = build(
        labels_path=labels,
        classes_path=classes,
        out_dir=ns.out,
        data_dir=ns.data_dir,
        ids=parse_ids(ns.ids) if ns.ids else None,
        seed=ns.seed,
        test_folds=parse_ids(ns.test_folds),
        val_folds=parse_ids(ns.val_folds),
        patient_column=ns.patient_column,
        include_absent=ns.include_absent,
    )
    print(f"wrote {ns.out}: " + ", ".join(f"{k} {sum(v.values())}" for k, v in manifest["files"].items()))
    print(
        f"records: {len(manifest['records'])} ({sum(1 for s in manifest['records'].values() if s == 'test')} test); "
        f"absent (no ECG under the data dir): {len(manifest['absent_records'])}"
    )

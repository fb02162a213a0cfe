"""What the host replicas serve, built from the real data directory (never invented signals).

Only ten PTB-XL records exist here as signals (ecg_id 6000-6009), so every replica file that
names an ECG names one of them, and every picture is drawn from the record its row names:

- Heartcare's published files (``DiagnosisClosedQA.json``, ``WaveformOpenQA.json``,
  ``ReportGeneration.json``), in the published schema (``type``, ``question`` with ``A: ...; B: ...``
  options, ``answer``, ``filename: ["ptbxl_img/NNNNN"]``, ``split``, ``label``), written from the
  items the harness's data engine (:mod:`harness.databuild.heartcare`) builds over those records;
- an ECG-Bench subset (``PULSE-ECG/ECGBench``, ``mmmu-ecg/test-00000-of-00001.parquet``) in the
  Hub's record shape (``id``, ``image`` as ``{bytes, path}``, ``image_path``, ``conversations``):
  the data engine's closed questions, each with a picture of its record rendered by the harness's
  own ECG renderer at one of several resolutions (the image variants ``-0``, ``-1``, ... of
  ECG-Bench's ids), written with many row groups so that partial reads can be measured;
- GEM's ECG-Grounding PTB-XL test file (``LANSG/ECG-Grounding``,
  ``ecg_jsons/ecg-grounding-test-ptbxl.json``) in GEM's JSON shape, the data engine's reports as
  the ground truth.
"""

from __future__ import annotations

import io
import json
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.testing.hub_repo import HubRepo

HEARTCARE_COMMIT = "b1dc8606a6d7e82ee541d7ca87c3313abead0b6d"
HEARTCARE_RAW = f"DCDmllm/Heartcare-Suite/{HEARTCARE_COMMIT}/data"
PUBLISHED_KEYS = ("type", "question", "answer", "filename", "split", "label")
DPI_VARIANTS = tuple(range(30, 43))  # 13 renderings per record: 40 questions x 13 = 520 rows
ROW_GROUP_ROWS = 20


@lru_cache(maxsize=4)
def engine_items(data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """The data engine's items over PTB-XL 6000-6009 (every split), by file name."""
    from harness.databuild.heartcare import build

    meta = Path(data_dir) / "heartcare_bench" / "meta"
    with tempfile.TemporaryDirectory() as tmp:
        build(
            labels_path=meta / "full_data.parquet",
            classes_path=meta / "class.json",
            out_dir=Path(tmp),
            data_dir=Path(data_dir),
            ids=list(range(6000, 6010)),
            seed=0,
        )
        return {
            p.stem: [json.loads(line) for line in p.read_text().splitlines() if line.strip()]
            for p in Path(tmp).glob("*.jsonl")
        }


def published(items: list[dict[str, Any]]) -> bytes:
    """Items in the published Heartcare schema (the engine adds id, options, ...; the published files do not)."""
    out = []
    for item in items:
        record = {k: item[k] for k in PUBLISHED_KEYS if k in item}
        if item.get("labels"):
            record["diagnosis_type"] = item["labels"]
        out.append(record)
    return json.dumps(out, ensure_ascii=False, indent=1).encode()


def heartcare_published_files(data_dir: Path) -> dict[str, bytes]:
    """``<owner>/<repo>/<commit>/data/<file>`` -> bytes: GitHub raw paths of the three published files."""
    items = engine_items(Path(data_dir))
    files = {
        "DiagnosisClosedQA.json": items["closedqa_diagnosis"],
        "WaveformOpenQA.json": items["openqa_waveform"],
        "ReportGeneration.json": items["report"],
    }
    return {f"{HEARTCARE_RAW}/{name}": published(rows) for name, rows in files.items()}


@lru_cache(maxsize=64)
def _png(data_dir: Path, ecg_id: int, dpi: int) -> bytes:
    from harness.ecg.modalities.image import render_png
    from harness.ecg.record import read_record

    ecg = read_record(Path(data_dir) / "ecg_signals" / "cinc2021" / f"HR{ecg_id:05d}")
    return render_png(ecg, dpi=dpi)


def ecgbench_rows(data_dir: Path, variants: tuple[int, ...] = DPI_VARIANTS) -> list[dict[str, Any]]:
    """Letter-choice rows in ECG-Bench's Hub shape; row ``n``'s picture is its own record's (module docstring)."""
    kinds = ("closedqa_diagnosis", "closedqa_waveform", "closedqa_rhythm", "closedqa_misc")
    items = engine_items(Path(data_dir))
    questions = [item for kind in kinds for item in items[kind]]
    rows = []
    for v, dpi in enumerate(variants):
        for item in questions:
            ecg_id = int(item["filename"][0].split("/")[-1])
            path = f"images/ptbxl/{ecg_id:05d}_hr-{v}.png"
            text = f"<image>\n{item['question']}\nAnswer with the option's letter from the given choices directly."
            rows.append(
                {
                    "id": f"mmmu-ecg-{len(rows)}",
                    "image": {"bytes": _png(Path(data_dir), ecg_id, dpi), "path": path},
                    "image_path": path,
                    "conversations": [
                        {"from": "human", "value": text},
                        {"from": "gpt", "value": item["answer_letter"]},
                    ],
                }
            )
    return rows


HF_FEATURES = {
    "id": {"dtype": "string", "_type": "Value"},
    "image": {"_type": "Image"},
    "image_path": {"dtype": "string", "_type": "Value"},
    "conversations": [{"from": {"dtype": "string", "_type": "Value"}, "value": {"dtype": "string", "_type": "Value"}}],
}


def parquet_bytes(rows: list[dict[str, Any]], row_group_rows: int = ROW_GROUP_ROWS) -> bytes:
    """Rows as ``datasets`` writes a Parquet shard (its feature metadata included), in small row groups."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows)
    table = table.replace_schema_metadata({"huggingface": json.dumps({"info": {"features": HF_FEATURES}})})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=row_group_rows)
    return buffer.getvalue()


def ecgbench_repo(
    data_dir: Path, *, allowed_tokens: set[str] | None = None, repo: str = "PULSE-ECG/ECGBench"
) -> HubRepo:
    files = {
        "README.md": b"---\nconfigs:\n- config_name: mmmu-ecg\n  data_files:\n  - split: test\n    path: mmmu-ecg/test-*\n---\n",
        "mmmu-ecg/test-00000-of-00001.parquet": parquet_bytes(ecgbench_rows(Path(data_dir))),
    }
    return HubRepo(repo, files, allowed_tokens=allowed_tokens)


def grounding_repo(data_dir: Path) -> HubRepo:
    """GEM's PTB-XL grounding test file in GEM's JSON shape, over the ten real records."""
    instruction = (
        "<image>\nInterpret the provided ECG image, identify key features and abnormalities in each lead, "
        "and generate a clinical diagnosis that is supported by the observed evidence."
    )
    records = [
        {
            "id": item["id"],
            "image": f"ptbxl/{item['filename'][0].split('/')[-1]}_hr-0.png",
            "conversations": [{"from": "human", "value": instruction}, {"from": "gpt", "value": item["answer"]}],
        }
        for item in engine_items(Path(data_dir))["report"]
    ]
    return HubRepo("LANSG/ECG-Grounding", {"ecg_jsons/ecg-grounding-test-ptbxl.json": json.dumps(records).encode()})

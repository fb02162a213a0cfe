"""Units of the leaderboard: secret scrubbing, safe embedding, ranking, paired test, references."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from harness.leaderboard.embed import js_call, safe_json
from harness.leaderboard.paired import paired_bootstrap
from harness.leaderboard.ranking import Cell, normalised_ranks, overall_ranking
from harness.leaderboard.references import load_references
from harness.leaderboard.secrets import REDACTED, scrub_results, scrub_text


def _papers_dir() -> Path:
    """The papers sit beside the data directory: ``<repo>/../shared/{data,papers}``."""
    data = os.environ.get("HARNESS_DATA_DIR")
    base = Path(data) if data else Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
    return base.parent / "papers"


PAPERS = _papers_dir()


def test_scrub_results_removes_credential_keys_and_secret_values_only():
    doc = {
        "config": {
            "model": {"api_key": "abc", "api_key_env": "OPENAI_API_KEY", "params": {"max_tokens": 5}},
            "options": {"headers": {"Authorization": "Bearer abcdefghijklmnopqrstuvwxyz"}, "hf_token": "hf_x", "token": "t"},
            "password": "hunter2",
            "note": "key sk-ABCDEFGHIJKLMNOPQRSTUV was used",
            "list": ["fine", "sk-ABCDEFGHIJKLMNOPQRSTUV"],
            "tokenizer": "bpe",
        },
        "usage": {"prompt_tokens": 10, "completion_tokens": 3},
    }
    clean, removed = scrub_results(doc)
    assert sorted(removed) == sorted([
        "config.model.api_key", "config.options.headers.Authorization", "config.options.hf_token",
        "config.options.token", "config.password", "config.note", "config.list[1]",
    ])
    assert clean["config"]["model"] == {"api_key_env": "OPENAI_API_KEY", "params": {"max_tokens": 5}}
    assert clean["config"]["list"] == ["fine", REDACTED]
    assert clean["config"]["tokenizer"] == "bpe"
    assert clean["usage"] == doc["usage"]
    assert "hunter2" not in json.dumps(clean) and "sk-ABC" not in json.dumps(clean)


def test_scrub_text_redacts_only_the_secret_inside_sample_text():
    rec = {"response": "use sk-ABCDEFGHIJKLMNOPQRSTUV now", "judges": {"j": {"raw": "ok"}}, "metrics": {"x": 1.0}}
    clean, n = scrub_text(rec)
    assert n == 1
    assert clean["response"] == f"use {REDACTED} now"
    assert clean["judges"] == rec["judges"] and clean["metrics"] == rec["metrics"]


@pytest.mark.parametrize(
    "value",
    ["</script><script>alert(1)</script>", "<!-- x", "a & b > c", "line\u2028sep\u2029", {"k</script>": ["<b>"]}],
)
def test_safe_json_cannot_break_out_of_a_script_element(value):
    text = safe_json(value)
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == value


def test_js_call_and_non_finite_numbers():
    body = js_call("LB.receiveChunk", 2, [{"v": float("nan"), "w": float("inf"), "s": "</script>"}])
    assert body == 'LB.receiveChunk(2,[{"v":null,"w":null,"s":"\\u003c/script\\u003e"}]);\n'


def test_normalised_ranks_share_ties_and_respect_direction():
    assert normalised_ranks({"a": 0.9, "b": 0.5, "c": 0.1}, True) == {"a": 1.0, "b": 0.5, "c": 0.0}
    assert normalised_ranks({"a": 0.9, "b": 0.5, "c": 0.1}, False) == {"a": 0.0, "b": 0.5, "c": 1.0}
    assert normalised_ranks({"a": 1.0, "b": 1.0, "c": 0.0}, True) == {"a": 0.75, "b": 0.75, "c": 0.0}
    assert normalised_ranks({"a": 1.0}, True) == {}


def test_overall_ranking_averages_tasks_not_metrics():
    table = {
        # t1 has three metrics, all won by x; t2 one metric won by y: each task counts once
        "t1": {m: {"x": Cell(0.9, True), "y": Cell(0.1, True)} for m in ("m1", "m2", "m3")},
        "t2": {"mse": {"x": Cell(2.0, False), "y": Cell(1.0, False)}},
        "solo": {"acc": {"x": Cell(0.5, True)}},  # one model: ranks nobody
    }
    ranked = overall_ranking(table)
    assert [(r.model, r.score, r.n_tasks) for r in ranked] == [("x", 0.5, 2), ("y", 0.5, 2)]
    assert ranked[0].task_scores == {"t1": 1.0, "t2": 0.0}


def test_paired_bootstrap_detects_a_shift_and_not_noise():
    rng = np.random.default_rng(0)
    base = {f"s{i}": float(v) for i, v in enumerate(rng.normal(0.5, 0.2, 400))}
    shifted = {k: v + 0.05 + float(rng.normal(0, 0.02)) for k, v in base.items()}
    same = {k: v + float(rng.normal(0, 0.02)) for k, v in base.items()}
    sig = paired_bootstrap(shifted, base)
    assert sig.significant and sig.n_shared == 400 and sig.ci_low > 0
    assert not paired_bootstrap(same, base).significant
    # only shared ids are compared
    partial = {k: v for k, v in list(shifted.items())[:100]}
    assert paired_bootstrap(partial, base).n_shared == 100
    assert paired_bootstrap({"a": 1.0}, {"b": 1.0}) is None


def test_every_reference_number_is_printed_in_its_paper():
    """A transcription check: each value string must occur in the paper's text, in the table
    (or, where the table is misprinted, the passage) it is cited from."""
    refs = load_references()
    assert PAPERS.is_dir(), f"papers not found at {PAPERS}"
    assert len(refs.tables) >= 8
    for table in refs.tables:
        paper = refs.papers[table.paper]
        text = (PAPERS / paper.text).read_text(encoding="utf-8")
        m = re.match(r"Table ([IVX]+|\d+)", table.source)
        if m and not m.group(1).isdigit():  # ECG-Expert-QA: the block after "TABLE II" up to the next "TABLE"
            start = re.search(rf"TABLE {m.group(1)}\b", text).start()
            nxt = text.find("TABLE", start + 8)
            region = text[start : nxt if nxt > 0 else start + 1500]
        elif m:  # GEM: the block from its "Datasets" header to its "Table N." caption
            end = text.index(f"Table {m.group(1)}. ")
            region = text[text.rindex("Datasets", 0, end) : end]
            assert len(region) < 700, (table.source, len(region))
        else:  # a value stated in the results text: the paragraph about that task
            code = table.task.split("_")[-1].upper()
            start = text.index(f"In the {code} task")
            region = text[start : text.index("\n", start)]
        for row in table.rows:
            for label, value in row.values.items():
                assert value in region, (table.task, table.source, row.model, label, value)


def _gem_table(number: int) -> list[list[str]]:
    """GEM Table ``number`` as printed: its tab-separated lines, header included, cells stripped."""
    text = (PAPERS / load_references().papers["gem"].text).read_text(encoding="utf-8")
    end = text.index(f"Table {number}. ")
    block = text[text.rindex("Datasets", 0, end) : end]
    return [[cell.strip() for cell in line.split("\t")] for line in block.splitlines() if line.strip()]


# Where each of our tasks' columns start in GEM Tables 3-4 (after the row name), read from the
# Metric line "AUC F1 HL x 3, Accuracy, Accuracy" and "Report Score, Accuracy".
GEM_ECGBENCH_OFFSETS = {
    "ecgbench_ptb_test": (3, 0, ["AUC", "F1", "HL"]),
    "ecgbench_code15": (3, 3, ["AUC", "F1", "HL"]),
    "ecgbench_cpsc": (3, 6, ["AUC", "F1", "HL"]),
    "ecgbench_csn": (3, 9, ["Accuracy"]),
    "ecgbench_g12": (3, 10, ["Accuracy"]),
    "ecgbench_ptb_report": (4, 0, ["Report Score"]),
    "ecgbench_ptb_report_ecg": (4, 0, ["Report Score"]),
}
# Row names as the text extraction prints them (GPT-4o is "GPT-40"; GEM rows sit under "GEM (Ours)").
GEM_PRINTED_ROW = {
    "GPT-4o": "GPT-40",
    "GEM (SFT LLaVA-7B)": "SFT LLaVA-7B",
    "GEM (SFT PULSE-7B)": "SFT PULSE-7B",
    "GEM ablation (TS only)": "TS only",
    "GEM ablation (TS+IMG)": "TS+IMG",
}


def test_gem_ecgbench_values_sit_in_their_printed_cells():
    """Stronger than "occurs in the table": each GEM Table 3-4 value is the cell at its dataset's
    column in its model's printed row, and every printed row and cell of those columns is transcribed."""
    refs = load_references()
    tables = {3: _gem_table(3), 4: _gem_table(4)}
    assert len(tables[3][1]) == 12 and tables[3][1][0] == "Metric"  # 11 metric cells
    assert tables[3][1][1:] == ["AUC", "F1", "HL"] * 3 + ["Accuracy", "Accuracy"]
    assert tables[4][1][:3] == ["Metric", "Report Score", "Accuracy"]
    seen = set()
    for task, (number, offset, labels) in GEM_ECGBENCH_OFFSETS.items():
        [table] = [t for t in refs.for_task(task) if t.paper == "gem"]
        assert table.source.startswith(f"Table {number} ")
        assert [c.label for c in table.columns] == labels
        printed = {line[0]: line[1:] for line in tables[number][2:] if len(line) > 1 and line[1]}
        assert {GEM_PRINTED_ROW.get(r.model, r.model) for r in table.rows} == set(printed), task
        for row in table.rows:
            cells = printed[GEM_PRINTED_ROW.get(row.model, row.model)]
            assert row.values == {label: cells[offset + j] for j, label in enumerate(labels)}, (task, row.model)
        seen.add(task)
    ecgbench_tables = {t.task for t in refs.tables if t.paper == "gem" and t.task.startswith("ecgbench")}
    assert ecgbench_tables == seen


def test_reference_scale_is_shown_for_percent_columns_only():
    refs = load_references()
    scales = {(t.task, c.label): c.scale for t in refs.tables for c in t.columns}
    assert scales[("ecgbench_ptb_test", "AUC")] == 100 and scales[("ecgbench_csn", "Accuracy")] == 100
    assert scales[("ecgbench_ptb_report", "Report Score")] == 1  # our judge is 0-100 like the paper's
    assert scales[("ecgqa_ck", "BLEU-1")] == 1 and scales[("gem_grounding", "DiagnosisAccuracy")] == 1
    from harness.leaderboard.references import Column

    with pytest.raises(ValueError):
        Column(label="x", metric="x", scale=0)


def test_reference_columns_match_harness_metric_names():
    refs = load_references()
    ck = refs.for_task("ecgqa_ck")[0]
    labels = {c.label: [m for m in ("bleu_1", "rouge_l", "meteor", "mms", "rouge1") if c.matches(m)] for c in ck.columns}
    assert labels == {"BLEU-1": ["bleu_1"], "ROUGE-L": ["rouge_l"], "METEOR": ["meteor"], "MMS": ["mms"]}
    gem = refs.for_task("gem_grounding")[0]
    assert gem.columns[0].matches("gem_grounding/DiagnosisAccuracy")
    assert gem.columns[0].matches("diagnosis_accuracy")
    report = refs.for_task("ecgbench_ptb_report")[0].columns[0]
    assert report.matches("ecgbench_report") and not report.matches("ecgbench_report.Diagnosis")
    ptb = {c.label: c for c in refs.for_task("ecgbench_ptb_test")[0].columns}
    assert [m for m in ("f1_macro", "auc_macro", "hamming_loss") if ptb["HL"].matches(m)] == ["hamming_loss"]
    assert ptb["AUC"].matches("auc_macro") and not ptb["AUC"].matches("f1_macro")


@pytest.mark.parametrize(
    "record",
    [
        {"response": "x sk-ABCDEFGHIJKLMNOPQRSTUV"},
        {"judges": {"raw": "Bearer abcdefghijklmnopqrstuvwxyz0123"}},
        {"extra": {"API_KEY": "plain"}},
        {"extra": {"hf_token": "plain"}},
        {"extra": {"\u0074oken": "plain"}},  # escaped in the JSON line below
        {"response": "AKIAABCDEFGHIJKLMNOP"},
    ],
)
def test_fast_precheck_never_misses_what_the_full_walk_would_redact(record):
    from harness.leaderboard.secrets import may_hold_secret

    line = json.dumps(record, ensure_ascii=True).replace('"token"', '"\\u0074oken"')
    _, n = scrub_text(record)
    assert n >= 1
    assert may_hold_secret(line)

"""Units of the leaderboard: secret scrubbing, safe embedding, ranking, paired test, references."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from harness.leaderboard import charts
from harness.leaderboard.embed import js_call, safe_json
from harness.leaderboard.paired import paired_bootstrap
from harness.leaderboard.ranking import Cell, normalised_ranks, overall_ranking
from harness.leaderboard.references import load_references
from harness.results.secrets import REDACTED, scrub_results, scrub_text


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
            "options": {
                "headers": {"Authorization": "Bearer abcdefghijklmnopqrstuvwxyz"},
                "hf_token": "hf_x",
                "token": "t",
            },
            "password": "hunter2",
            "note": "key sk-ABCDEFGHIJKLMNOPQRSTUV was used",
            "list": ["fine", "sk-ABCDEFGHIJKLMNOPQRSTUV"],
            "tokenizer": "bpe",
        },
        "usage": {"prompt_tokens": 10, "completion_tokens": 3},
    }
    clean, removed = scrub_results(doc)
    assert sorted(removed) == sorted(
        [
            "config.model.api_key",
            "config.options.headers.Authorization",
            "config.options.hf_token",
            "config.options.token",
            "config.password",
            "config.note",
            "config.list[1]",
        ]
    )
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


def test_a_paired_interval_touching_zero_is_not_significant():
    # equal scores up to float noise: every difference is 5.6e-17, which the old rule called significant
    a = {f"s{i}": 0.1 + 0.2 for i in range(60)}
    b = {f"s{i}": 0.3 for i in range(60)}
    tiny = paired_bootstrap(a, b)
    assert 0 < tiny.ci_low < 1e-15 and not tiny.significant
    # 0/1 scores: the interval's ends are resample means (multiples of 1/n), never interpolated between them
    a = {f"s{i}": float(i < 3) for i in range(40)}
    b = {f"s{i}": 0.0 for i in range(40)}
    result = paired_bootstrap(a, b)
    assert result.ci_low == 0.0 and not result.significant  # 3 wins of 40 items: 0 is a resample mean
    for end in (result.ci_low, result.ci_high):
        assert abs(end * 40 - round(end * 40)) < 1e-9


def test_numbers_keep_sensible_precision():
    from harness.leaderboard.layout import fmt

    assert [fmt(v) for v in (0.12345, 3e-5, -2e-6, 0.0, 12.345, 1234.5, None)] == [
        "0.1235",
        "3.0e-05",
        "-2.0e-06",
        "0.0000",
        "12.35",
        "1,234",
        "–",
    ]


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
        if table.paper == "heartcare":  # "Tables 11 and 15 (...)": the two printed tables
            pair = re.match(r"Tables (\d+) and (\d+) ", table.source).groups()
            region = "\n".join(_heartcare_block(text, int(n)) for n in pair)
        elif m and not m.group(1).isdigit():  # ECG-Expert-QA: the block after "TABLE II" up to the next "TABLE"
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


def _heartcare_block(text: str, number: int) -> str:
    """Heartcare appendix Table ``number`` as printed: the lines after its caption, up to the blank line."""
    start = text.index(f"Table {number}. ")
    block = text[start:].split("\n\n")[1]
    assert len(block) < 1500, (number, len(block))
    return block


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


# Heartcare appendix Tables 11-18: pairs (training stages, multimodal integration) with the same
# columns. Each printed row starts with its check marks (2 in Tables 11-14, 3 in 15-18); the row with
# every mark is the full model. After the marks: (header line of ^S/^I or pairings, number of cells).
HC_FULL = "HeartcareGPT-3.8B"
HC_TRAINING_ROWS = {
    ("-", "-"): "HeartcareGPT-3.8B ablation (no Beat training, no warm-up)",
    ("-", "✓"): "HeartcareGPT-3.8B ablation (no Beat training)",
    ("✓", "-"): "HeartcareGPT-3.8B ablation (no warm-up)",
    ("✓", "✓"): HC_FULL,
}
HC_MODALITY_ROWS = {
    ("-", "✓", "✓"): "HeartcareGPT-3.8B ablation (image only, with segmentation)",
    ("✓", "-", "-"): "HeartcareGPT-3.8B ablation (signal only)",
    ("✓", "✓", "-"): "HeartcareGPT-3.8B ablation (signal + image, no segmentation)",
    ("✓", "✓", "✓"): HC_FULL,
}
HC_SUBTASKS = ["Diagnosis", "Waveform", "Rhythm", "Misc."]
HC_OPEN_LABELS = ["F1-Bio", "Rouge-L"]
HC_REPORT_LABELS = ["Score (GPT)", "F1-Rad", "Rouge-L"]
HC_COMPARISON_LABELS = ["S-S Cons.", "S-S Irr.", "I-I Cons.", "I-I Irr.", "S-I Cons.", "S-I Irr.", "Avg."]


def _heartcare_offsets() -> dict[tuple[str, str], tuple[tuple[int, int], int, list[str]]]:
    """(our task, benchmark variant) -> (printed table pair, first cell after the marks, labels)."""
    out = {}
    for i, sub in enumerate(["diagnosis", "waveform", "rhythm", "misc"]):
        for variant, closed_base, open_base in (("S", 0, 0), ("I", 4, 8)):
            closed = ((11, 15), closed_base + i, ["Accuracy"])
            opened = ((12, 16), open_base + 2 * i, HC_OPEN_LABELS)
            out[(f"heartcare_closedqa_{sub}", variant)] = closed
            out[(f"heartcare_openqa_{sub}", variant)] = opened
            if sub == "diagnosis":  # the published Diagnosis Closed-QA items
                out[("heartcare_closedqa", variant)] = closed
            if sub == "waveform":  # the published Waveform Open-QA items
                out[("heartcare_waveform_openqa", variant)] = opened
    for variant, base in (("S", 0), ("I", 3)):
        for task in ("heartcare_report", "heartcare_report_built"):
            out[(task, variant)] = ((14, 18), base, HC_REPORT_LABELS)
    out[("heartcare_comparisonqa", "C")] = ((13, 17), 0, HC_COMPARISON_LABELS)
    return out


def _heartcare_printed_rows(number: int) -> dict[str, list[str]]:
    """Heartcare Table ``number``: our row name -> its printed cells after the check marks, the
    printed layout (header lines, cell counts, underline markup) checked on the way."""
    text = (PAPERS / load_references().papers["heartcare"].text).read_text(encoding="utf-8")
    lines = [[cell.strip() for cell in line.split("\t")] for line in _heartcare_block(text, number).splitlines()]
    names, marks = (HC_TRAINING_ROWS, 2) if number <= 14 else (HC_MODALITY_ROWS, 3)
    kind = {11: "closed", 15: "closed", 12: "open", 16: "open", 13: "comparison", 17: "comparison"}.get(
        number, "report"
    )
    head = lines[0]
    if kind == "comparison":
        assert [head[marks], head[marks + 2], head[marks + 4], head[marks + 6]] == ["S-S", "I-I", "S-I", "Avg."]
        assert lines[1][marks : marks + 6] == ["Cons.", "Irr."] * 3
        width, header_lines = 7, 2
    else:
        per_variant = {"closed": 4, "open": 8, "report": 3}[kind]
        assert head[marks] == "Heartcare-Bench ^S" and head[marks + per_variant] == "Heartcare-Bench ^I", number
        if kind == "closed":
            assert lines[1][marks : marks + 8] == HC_SUBTASKS * 2
            width, header_lines = 9, 2  # the eight subtask columns and Avg.
        elif kind == "open":
            assert lines[1][marks : marks + 16 : 2] == HC_SUBTASKS * 2
            assert lines[2][marks : marks + 16] == HC_OPEN_LABELS * 8
            width, header_lines = 16, 3
        else:
            assert lines[1][marks : marks + 6] == ["Score ^{GPT}", "F1-Rad", "Rouge-L"] * 2
            width, header_lines = 6, 2
    rows = {}
    for line in lines[header_lines:]:
        assert len(line) == marks + width, (number, line)
        cells = line[marks:]
        assert all(re.fullmatch(r"(<u>)?\d+\.\d\d(</u>)?", c) for c in cells), (number, line)
        rows[names[tuple(line[:marks])]] = [re.sub(r"</?u>", "", c) for c in cells]
    assert set(rows) == set(names.values()), number
    return rows


def test_heartcare_values_sit_in_their_printed_cells():
    """Stronger than "occurs in the table": each Heartcare value is the cell at its column in its
    row of the printed table (Tables 11-14 for the full model and the training-stage ablations, 15-18
    for the full model and the modality ablations, the full model agreeing in both), and every
    printed row of those columns is transcribed."""
    refs = load_references()
    offsets = _heartcare_offsets()
    seen = set()
    for table in (t for t in refs.tables if t.paper == "heartcare"):
        variant = re.search(r"Heartcare-Bench\^([SIC])", table.source).group(1)
        pair, offset, labels = offsets[(table.task, variant)]
        assert table.source.startswith(f"Tables {pair[0]} and {pair[1]} "), table.source
        assert [c.label for c in table.columns] == labels, table.task
        printed = [_heartcare_printed_rows(n) for n in pair]
        assert {r.model for r in table.rows} == set(printed[0]) | set(printed[1]), table.task
        for row in table.rows:
            for rows in printed:
                if row.model in rows:
                    cells = rows[row.model]
                    assert row.values == {label: cells[offset + j] for j, label in enumerate(labels)}, (
                        table.task,
                        variant,
                        row.model,
                    )
        assert (table.task, variant) not in seen, (table.task, variant)
        seen.add((table.task, variant))
    assert seen == set(offsets)


def test_heartcare_columns_name_our_metrics_and_scales():
    refs = load_references()
    by_key = {(t.task, re.search(r"\^([SIC])", t.source).group(1)): t for t in refs.tables if t.paper == "heartcare"}
    closed = by_key[("heartcare_closedqa_rhythm", "I")].columns[0]
    assert closed.matches("accuracy") and closed.scale == 100
    f1_bio, rouge = by_key[("heartcare_openqa_misc", "S")].columns
    assert f1_bio.matches("semantic_f1") and not f1_bio.matches("rouge_l") and f1_bio.scale == 100
    assert rouge.matches("rouge_l") and rouge.scale == 100
    score, f1_rad, rouge = by_key[("heartcare_report_built", "I")].columns
    assert score.matches("heartcare_report") and score.scale == 1  # both 0-100
    assert not score.matches("heartcare_report.total_released") and not score.matches("heartcare_report.item_3")
    assert f1_rad.matches("ecg_entity_f1") and f1_rad.scale == 100 and rouge.scale == 100
    assert all(c.metric is None for c in by_key[("heartcare_comparisonqa", "C")].columns)
    for (task, variant), table in by_key.items():  # each note says which of our modalities to compare
        assert {"S": "modality signal_text", "I": "modality image", "C": "signal_text+image"}[variant] in table.note, (
            task
        )
        if any(c.label in ("F1-Bio", "F1-Rad") for c in table.columns):
            assert "comparable in name only" in table.note, task


def test_reference_scale_is_shown_for_percent_columns_only():
    refs = load_references()
    scales = {(t.task, c.label): c.scale for t in refs.tables for c in t.columns}
    assert scales[("ecgbench_ptb_test", "AUC")] == 100 and scales[("ecgbench_csn", "Accuracy")] == 100
    assert scales[("ecgbench_ptb_report", "Report Score")] == 1  # our judge is 0-100 like the paper's
    assert scales[("ecgqa_ck", "BLEU-1")] == 1 and scales[("gem_grounding_mimiciv", "DiagnosisAccuracy")] == 1
    from harness.leaderboard.references import Column

    with pytest.raises(ValueError):
        Column(label="x", metric="x", scale=0)


def test_reference_columns_match_harness_metric_names():
    refs = load_references()
    ck = refs.for_task("ecgqa_ck")[0]
    labels = {
        c.label: [m for m in ("bleu_1", "rouge_l", "meteor", "mms", "rouge1") if c.matches(m)] for c in ck.columns
    }
    assert labels == {"BLEU-1": ["bleu_1"], "ROUGE-L": ["rouge_l"], "METEOR": ["meteor"], "MMS": ["mms"]}
    assert refs.for_task("gem_grounding") == []  # the text-only task is not the paper's setting
    gem = refs.for_task("gem_grounding_mimiciv")[0]
    assert gem.columns[0].matches("gem_grounding/DiagnosisAccuracy")
    assert gem.columns[0].matches("diagnosis_accuracy")
    average = refs.for_task("gem_grounding_mimiciv")[1].columns[-1]
    assert average.label == "Average" and average.matches("gem_grounding")
    assert not average.matches("gem_grounding.ECGFeatureGrounding")
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
    from harness.results.secrets import may_hold_secret

    line = json.dumps(record, ensure_ascii=True).replace('"token"', '"\\u0074oken"')
    _, n = scrub_text(record)
    assert n >= 1
    assert may_hold_secret(line)


def _samples(mean: float, n: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    return {f"s{i}": float(v) for i, v in enumerate(rng.normal(mean, 0.2, n))}


def _mean_cell(samples: dict[str, float]) -> Cell:
    return Cell(sum(samples.values()) / len(samples), True, samples)


def test_ranking_separates_clear_winners_and_ties_what_noise_cannot_separate():
    # six tasks; "strong" is far ahead everywhere; "a" and "b" are the same model up to sample noise
    table = {}
    for t in range(6):
        table[f"t{t}"] = {
            "acc": {
                "strong": _mean_cell(_samples(0.9, 200, 100 + t)),
                "a": _mean_cell(_samples(0.5, 200, 200 + t)),
                "b": _mean_cell(_samples(0.5, 200, 300 + t)),
            }
        }
    ranked = {r.model: r for r in overall_ranking(table, resamples=400)}
    assert ranked["strong"].rank == 1 and not ranked["strong"].tied
    assert ranked["strong"].rank_low == ranked["strong"].rank_high == 1
    assert ranked["a"].rank == ranked["b"].rank == 2 and ranked["a"].tied and ranked["b"].tied
    assert (ranked["a"].rank_low, ranked["a"].rank_high) == (2, 3)  # the order between them is not known
    for r in ranked.values():
        assert r.ci_low <= r.score <= r.ci_high
    assert ranked["strong"].ci_low > ranked["a"].ci_high  # separated intervals


def test_ranking_bootstrap_is_reproducible_and_keeps_non_mean_metrics_fixed():
    table = {
        f"t{t}": {"macro_f1": {"x": Cell(0.7, True), "y": Cell(0.6, True)}}  # corpus-level: no samples
        for t in range(3)
    }
    first, second = overall_ranking(table, resamples=200), overall_ranking(table, resamples=200)
    assert first == second
    by_model = {r.model: r for r in first}
    # x wins every task whatever tasks are drawn: a degenerate interval and a strict order
    assert (by_model["x"].ci_low, by_model["x"].ci_high, by_model["x"].rank) == (1.0, 1.0, 1)
    assert (by_model["y"].ci_low, by_model["y"].ci_high, by_model["y"].rank) == (0.0, 0.0, 2)


def test_dot_plot_puts_ours_and_reported_on_one_axis_and_escapes_labels():
    svg = str(
        charts.dot_plot(
            [charts.Dot("<b>model</b>", 0.5, 0.4, 0.6), charts.Dot("GPT-4o · Table 2", 0.25, reported=True)],
            title="t",
            lo=0.0,
            hi=1.0,
        )
    )
    assert "<b>" not in svg and "&lt;b&gt;model&lt;/b&gt;" in svg
    assert svg.count('class="dot"') == 1 and svg.count('class="dot-reported"') == 1
    assert svg.count('class="ci-line"') == 1  # a reported number has no interval
    cx = [float(v) for v in re.findall(r'<circle cx="([0-9.]+)"', svg)]
    left, right = 220.0, 220.0 + (560 - 210 - 20)  # axis ends: label column + padding, plot width
    assert cx == [pytest.approx(left + 0.5 * (right - left)), pytest.approx(left + 0.25 * (right - left))]
    assert "GPT-4o · Table 2 (reported)" in svg

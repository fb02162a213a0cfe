"""The evaluate modules load offline from their folders and give the harness metrics' values."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from harness.plugins.metrics import EVALUATE_MODULES, evaluate_module_path

SCRIPT = r"""
import json, sys
import evaluate
from harness.plugins.metrics import evaluate_module_path
preds, refs, labels_pred, labels_gold = json.loads(sys.stdin.read())
out = {}
for name in ("bleu_1", "rouge_l", "meteor"):
    out[name] = evaluate.load(str(evaluate_module_path(name))).compute(predictions=preds, references=refs)
out["accuracy"] = evaluate.load(str(evaluate_module_path("accuracy"))).compute(predictions=labels_pred, references=labels_gold)
print(json.dumps(out))
"""


def test_module_paths():
    for name in EVALUATE_MODULES:
        path = evaluate_module_path(name)
        assert (path / f"{name}.py").is_file()
    with pytest.raises(KeyError, match="available: bleu_1, rouge_l, meteor, accuracy"):
        evaluate_module_path("bleu")


def test_modules_load_offline_and_equal_harness_metrics(ecgqa_pairs, tmp_path):
    from harness.metrics.base import ScoreInput
    from harness.plugins.metrics.registry import builtin_metrics

    pairs = ecgqa_pairs[::40]  # ~200 real pairs across the four tasks
    preds, refs = [p for p, _ in pairs], [r for _, r in pairs]
    labels_pred, labels_gold = ["A", "b", "C", "D"], ["A", "B", "D", "D"]
    env = os.environ | {
        "HF_HOME": str(tmp_path / "hf"),
        "HF_EVALUATE_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        input=json.dumps([preds, refs, labels_pred, labels_gold]),
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])

    metrics = {m.name: m for m in builtin_metrics()}
    for name in ("bleu_1", "rouge_l", "meteor"):
        values = metrics[name].compute([ScoreInput(p, r) for p, r in pairs])
        assert got[name][name] == pytest.approx(metrics[name].aggregate(values), abs=1e-12)
        assert got[name]["n_scored"] == len(pairs) and got[name]["n_unscored"] == 0
    assert got["meteor"]["matchers"] == ["exact", "stem", "wordnet"] and got["meteor"]["wordnet"] is True
    accuracy = metrics["accuracy"]
    assert (
        got["accuracy"]["accuracy"]
        == accuracy.aggregate(accuracy.compute([ScoreInput(p, g) for p, g in zip(labels_pred, labels_gold)]))
        == 0.75
    )

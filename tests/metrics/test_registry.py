"""The metrics reach the harness through the pluggy hook, under their exact names."""

from __future__ import annotations

import json
import subprocess
import sys

import pluggy

from harness import hookspecs
from harness.metrics.base import Metric

NAMES = [
    "bleu_1",
    "bleu_1_corpus",
    "rouge_l",
    "meteor",
    "accuracy",
    "exact_match",
    "f1_macro",
    "f1_micro",
    "auc_macro",
    "hamming_loss",
    "mse",
]


def test_hook_registers_every_metric_once():
    from harness.plugins.metrics import registry

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(registry)
    metrics = [m for result in pm.hook.harness_metrics() for m in result]
    assert [m.name for m in metrics] == NAMES
    assert all(isinstance(m, Metric) and m.description for m in metrics)
    from harness.results.secrets import scrub

    for m in metrics:
        info = m.info()
        json.dumps(info)  # info() goes into results.json ...
        assert scrub(info) == info  # ... intact: no key looks like a secret to the results writer


def test_registering_does_not_import_heavy_libraries():
    code = (
        "import sys; from harness.plugins.metrics import registry; registry.harness_metrics();"
        "print([m for m in ('nltk', 'sklearn', 'rapidfuzz', 'numpy', 'evaluate') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

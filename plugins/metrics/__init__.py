"""Built-in metrics: text overlap (BLEU-1, ROUGE-L, METEOR as the ECG-Expert-QA paper defines them),
classification (accuracy, exact match, F1, AUC, Hamming loss) and regression (MSE).

``registry`` registers them through the ``harness_metrics`` hook; ``evaluate_modules/`` holds the
same metrics as Hugging Face ``evaluate`` modules that load offline from a local path.
"""

from __future__ import annotations

from pathlib import Path

EVALUATE_MODULES = ("bleu_1", "rouge_l", "meteor", "accuracy")


def evaluate_module_path(name: str) -> Path:
    """Directory of the local ``evaluate`` module ``name``: ``evaluate.load(str(path))`` loads it."""
    if name not in EVALUATE_MODULES:
        raise KeyError(f"no evaluate module named {name!r}; available: {', '.join(EVALUATE_MODULES)}")
    return Path(__file__).resolve().parent / "evaluate_modules" / name

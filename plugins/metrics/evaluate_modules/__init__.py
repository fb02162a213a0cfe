"""Hugging Face ``evaluate`` modules of the harness metrics, one folder each, loadable offline::

    import evaluate
    from harness.plugins.metrics import evaluate_module_path
    bleu_1 = evaluate.load(str(evaluate_module_path("bleu_1")))
    bleu_1.compute(predictions=[...], references=[...])

Each module delegates to the harness metric of the same name, so values are identical.
"""

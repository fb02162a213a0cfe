"""Registers Heartcare-Bench's mechanisms: the signal-prediction output type, the reference
forecasters, the published-file loader, and the ECG-entity and semantic F1 metrics (the 17-item
report judge is a rubric folder, judges/heartcare_report). Heavy libraries load on first use, not here."""

from __future__ import annotations

from harness.hookspecs import hookimpl


@hookimpl
def harness_output_types():
    from harness.plugins.output_types.signal_forecast import SignalForecast

    return [SignalForecast()]


@hookimpl
def harness_model_backends():
    from harness.plugins.models.forecasters import mean_factory, repeat_beat_factory

    return [("forecast_repeat_beat", repeat_beat_factory), ("forecast_mean", mean_factory)]


@hookimpl
def harness_dataset_loaders():
    from harness.plugins.loaders.heartcare import load_heartcare_json

    return [("heartcare_json", load_heartcare_json)]


@hookimpl
def harness_metrics():
    from harness.plugins.metrics.ecg_entity_f1 import ECGEntityF1
    from harness.plugins.metrics.semantic_f1 import SemanticF1

    return [ECGEntityF1(), SemanticF1()]

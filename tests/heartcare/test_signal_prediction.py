"""Signal prediction: <PRED> parsing, standardised windows of real records, reference forecasters."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness.ecg.task_input import load_ecg
from harness.plugins.models.forecasters import beat_period, repeat_last_beat
from harness.plugins.output_types.signal_forecast import ForecastSettings, parse_prediction, standardised_window
from harness.registry import build_registry
from harness.runner.session import run_job


def test_parse_prediction():
    assert parse_prediction("<PRED>0.1, -0.2, 3e-1</PRED>", ("II",)) == ([[0.1, -0.2, 0.3]], None)
    assert parse_prediction("sure! <pred>\nII: 1, 2\nV1: 3, 4\n</pred>", ("II", "V1")) == (
        [[1.0, 2.0], [3.0, 4.0]],
        None,
    )
    assert parse_prediction("<PRED>0.5, 0.6", ("II",))[0] == [[0.5, 0.6]]  # an unclosed block is read to the end
    assert parse_prediction("0.1, 0.2", ("II",)) == (None, "no <PRED> block")
    values, why = parse_prediction("<PRED>II: 1, 2</PRED>", ("II", "V1"))
    assert values is None and "V1" in why
    assert parse_prediction("<PRED>no numbers</PRED>", ("II",))[0] is None


def test_standardised_window_on_a_real_record(data_dir):
    ecg = load_ecg("ptbxl_img/06000", {"record": "filename", "fs": 250}, data_dir, sample="s")
    context, future = standardised_window(ecg, ForecastSettings(), sample="s")
    assert context.shape == (1, 100) and future.shape == (1, 50)  # 2 s and 1 s at 50 Hz
    assert context.mean() == pytest.approx(0, abs=1e-9) and context.std() == pytest.approx(1, abs=1e-9)


def test_beat_period_of_a_synthetic_rhythm():
    fs, period = 50.0, 40  # 75 bpm
    t = np.arange(200)
    x = np.where(t % period == 0, 5.0, 0.0) + 0.01 * np.sin(t)
    assert beat_period(x, fs) == period
    assert repeat_last_beat(x, fs, 45)[:period] == x[-period:].tolist()


def _run(tmp_path, data_dir, model: dict, out: str):
    cfg = {
        "task": {"name": "heartcare_signal_prediction"},
        "model": model,
        "limit": None,
        "sample": None,
        "seed": 1,
        "concurrency": 2,
        "cache_dir": str(tmp_path / "cache"),
        "data_dir": str(data_dir),
        "use_cache": True,
    }
    run_job(cfg, out_dir=tmp_path / out, model_choice=model["backend"], registry=build_registry(entry_points=False))
    return json.loads((tmp_path / out / "results.json").read_text()), [
        json.loads(x) for x in (tmp_path / out / "samples.jsonl").read_text().splitlines()
    ]


def test_reference_forecasters_give_a_floor(use_built_data, tmp_path):
    beat, beat_samples = _run(
        tmp_path, use_built_data, {"backend": "forecast_repeat_beat", "model": "repeat_last_beat"}, "beat"
    )
    mean, _ = _run(tmp_path, use_built_data, {"backend": "forecast_mean", "model": "mean"}, "mean")
    for results in (beat, mean):
        m = results["metrics"]["mse"]
        assert (
            m["n_scored"] == 2 and m["n_unscored"] == 0 and results["task"]["n_unparseable"] == 0
        )  # the test split: 06000, 06004
        assert m["higher_is_better"] is False
    # the mean forecaster predicts 0 on the standardised scale: its MSE is the continuation's mean square
    _, mean_samples = _run(tmp_path, use_built_data, {"backend": "forecast_mean", "model": "mean"}, "mean")
    for sample in mean_samples:
        ref = np.asarray(sample["reference"])
        assert sample["prediction"] == [[0.0] * 50] and sample["metrics"]["mse"] == pytest.approx(
            float(np.mean(ref**2)), abs=1e-5
        )
    for (
        sample
    ) in beat_samples:  # the beat forecaster's MSE is that of its own prediction (0 would mean a perfect forecast)
        diff = np.asarray(sample["prediction"]) - np.asarray(sample["reference"])
        assert (
            sample["metrics"]["mse"] == pytest.approx(float(np.mean(diff**2)), abs=1e-5)
            and sample["metrics"]["mse"] > 0
        )
    assert 0.2 < mean["metrics"]["mse"]["value"] < 5
    sample = beat_samples[0]
    assert "<PRED>" in sample["response"] and len(sample["prediction"][0]) == 50 and len(sample["reference"][0]) == 50
    prompt = sample["messages"][-1]["content"]
    assert isinstance(prompt, str) and "II: " in prompt and "next 50 values" in prompt


def test_a_forecaster_refuses_other_tasks(use_built_data, tmp_path):
    cfg = {
        "task": {"name": "heartcare_closedqa_diagnosis"},
        "model": {"backend": "forecast_mean", "model": "mean"},
        "limit": 1,
        "sample": None,
        "seed": 1,
        "concurrency": 1,
        "cache_dir": str(tmp_path / "cache"),
        "data_dir": str(use_built_data),
        "use_cache": True,
        "modality": "features",
    }
    run_job(cfg, out_dir=tmp_path / "x", model_choice="forecast_mean", registry=build_registry(entry_points=False))
    results = json.loads((tmp_path / "x" / "results.json").read_text())
    assert results["usage"]["failed"] == 1 and results["metrics"]["accuracy"]["unscored_reasons"] == {
        "request failed": 1
    }


def test_the_released_setting_cleans_twelve_leads_and_standardises_over_the_window(data_dir):
    """heartcare_signal_prediction_released: 12 leads at 250 Hz, cleaned, z-scored over context + continuation."""
    from pathlib import Path

    import yaml

    task = yaml.safe_load(
        (
            Path(__file__).resolve().parents[2]
            / "tasks"
            / "heartcare_bench"
            / "heartcare_signal_prediction_released.yaml"
        ).read_text()
    )
    settings = ForecastSettings(**task["output"])
    assert settings.clean and settings.standardise == "window" and len(settings.leads) == 12 and settings.fs == 250
    ecg = load_ecg("ptbxl_img/06000", {"record": "filename", "fs": 250}, data_dir, sample="s")
    context, future = standardised_window(ecg, settings, sample="s")
    assert context.shape == (12, 500) and future.shape == (12, 250)
    window = np.concatenate([context, future], axis=1)
    assert np.allclose(window.mean(axis=1), 0, atol=1e-9) and np.allclose(window.std(axis=1), 1, atol=1e-9)
    default_context, _ = standardised_window(ecg, ForecastSettings(leads=settings.leads, fs=250), sample="s")
    assert not np.allclose(default_context, context)  # cleaning and the window's statistics change the values

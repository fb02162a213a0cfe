"""present(): image, signal_text, features, featuredb and raw content parts, and their cache."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest

from harness.ecg import MODALITIES, present, read_record, resample
from harness.ecg.cache import get_cache
from harness.ecg.modalities import image as image_mod
from harness.ecg.modalities.raw import split_extras


def _png(parts: list[dict]) -> bytes:
    assert len(parts) == 1 and parts[0]["type"] == "image_url"
    url = parts[0]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    return base64.b64decode(url.split(",", 1)[1])


def test_modalities_listed() -> None:
    assert set(MODALITIES) == {"image", "signal_text", "features", "featuredb", "raw"}


def test_image_is_a_decodable_png_of_the_paper_size(hr06000, tmp_path: Path) -> None:
    from PIL import Image

    png = _png(present(hr06000, "image", cache_dir=tmp_path))
    img = Image.open(io.BytesIO(png))
    img.load()
    assert img.format == "PNG"
    assert img.size == image_mod.image_size(100) == (1043, 681)
    # 25 mm/s over 250 mm of trace and 4 rows of 40 mm at 100 dpi
    assert image_mod.WIDTH_MM == 265 and image_mod.HEIGHT_MM == 173
    arr = np.asarray(img.convert("RGB")).astype(int)
    dark = (arr.sum(axis=2) < 150).mean()  # black trace pixels
    reddish = ((arr[..., 0] > 200) & (arr[..., 1] < 200)).mean()  # grid
    assert 0.005 < dark < 0.2 and reddish > 0.05
    bigger = Image.open(io.BytesIO(_png(present(hr06000, "image", cache_dir=tmp_path, dpi=150))))
    assert bigger.size == image_mod.image_size(150)


def test_image_bytes_are_deterministic_and_depend_on_the_signal(hr06000) -> None:
    a = image_mod.render_png(hr06000)
    assert a == image_mod.render_png(hr06000)
    assert a != image_mod.render_png(hr06000.crop(10, start_s=0.5))


def test_image_of_a_record_without_some_leads(signals_dir: Path) -> None:
    from dataclasses import replace

    from PIL import Image

    ptb = read_record(signals_dir / "ptb_diagnostic" / "s0010_re")
    only_limb = replace(ptb, signal=ptb.signal[:, :6], leads=ptb.leads[:6])
    img = Image.open(io.BytesIO(image_mod.render_png(only_limb)))
    assert img.size == image_mod.image_size(100)


def test_cache_hit_on_second_call(hr06000, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = get_cache(tmp_path)
    first = present(hr06000, "image", cache_dir=tmp_path)
    assert (cache.hits, cache.misses) == (0, 1)
    assert len(list((tmp_path / "image").rglob("*"))) == 2  # <key[:2]>/<key>

    def boom(ecg, dpi: int = 100, start_s: float = 0.0) -> bytes:
        raise AssertionError("rendered again despite the cache")

    monkeypatch.setattr(image_mod, "render_png", boom)
    assert present(hr06000, "image", cache_dir=tmp_path) == first
    assert (cache.hits, cache.misses) == (1, 1)
    # another option is another key
    with pytest.raises(AssertionError, match="rendered again"):
        present(hr06000, "image", cache_dir=tmp_path, dpi=72)


def _parse_signal_text(text: str) -> tuple[float, int, dict[str, np.ndarray]]:
    head, *lines = text.splitlines()
    rate = float(re.search(r"\(([\d.]+) Hz\)", head).group(1))
    step = int(re.search(r"rounded to (\d+) uV", head).group(1))
    leads = {}
    for line in lines:
        name, values = line.split(": ", 1)
        leads[name] = np.array([int(v) for v in values.split()])
    return rate, step, leads


def test_signal_text_fits_the_budget_and_reads_back(hr06000, tmp_path: Path) -> None:
    for budget in (4000, 16000, 60000):
        text = present(hr06000, "signal_text", cache_dir=tmp_path, max_chars=budget)[0]["text"]
        assert len(text) <= budget
        rate, step, leads = _parse_signal_text(text)
        assert list(leads) == list(hr06000.leads)
        n = len(leads["II"])
        assert all(len(v) == n for v in leads.values())
        assert all((v % step == 0).all() for v in leads.values())
        # the numbers are the (resampled) signal in microvolts
        ref = resample(hr06000, rate).lead("II")[:n] * 1000
        assert np.abs(leads["II"] - ref).max() <= step / 2 + 1
    assert rate == 125  # 60k characters hold all 12 leads x 10 s at 125 Hz, not at 250 Hz
    small = present(hr06000, "signal_text", cache_dir=tmp_path, max_chars=4000)[0]["text"]
    assert "50 Hz" in small and "1.74 s" in small  # below 50 Hz it shortens instead of blurring
    two = present(hr06000, "signal_text", cache_dir=tmp_path, max_chars=4000, leads=["II", "V1"])[0]["text"]
    assert list(_parse_signal_text(two)[2]) == ["II", "V1"]
    with pytest.raises(ValueError, match="cannot hold even 1 s"):
        present(hr06000, "signal_text", cache_dir=tmp_path, max_chars=300)
    with pytest.raises(KeyError, match="no lead 'V7'"):
        present(hr06000, "signal_text", cache_dir=tmp_path, leads=["V7"])


def test_raw_part_moves_to_request_extras(hr06000) -> None:
    from harness.models.base import Request

    parts = present(hr06000, "raw", max_seconds=5)
    payload = parts[0]["input_ecg"]
    assert payload["signal"].shape == (2500, 12) and payload["fs"] == 500.0
    content, extras = split_extras([{"type": "text", "text": "What rhythm?"}, *parts])
    assert [p["type"] for p in content] == ["text", "text"]
    assert "12 leads" in content[1]["text"] and "500 Hz" in content[1]["text"]
    assert extras["ecg"][0]["signal"] is payload["signal"]
    request = Request(id="s1", messages=[{"role": "user", "content": content}], extras=extras)
    assert request.extras["ecg"][0]["leads"][0] == "I"


def test_bad_modality_and_option_are_named(hr06000) -> None:
    with pytest.raises(ValueError, match="unknown ECG modality 'pixels'"):
        present(hr06000, "pixels")
    with pytest.raises(TypeError, match=r"modality 'image' has no option\(s\) \['resolution_uv'\]"):
        present(hr06000, "image", cache_dir=False, resolution_uv=5)


def test_default_cache_dir_follows_the_harness_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from harness.ecg.cache import default_cache_dir

    monkeypatch.delenv("HARNESS_ECG_CACHE_DIR", raising=False)
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "core"))
    assert default_cache_dir() == tmp_path / "core" / "ecg"
    monkeypatch.setenv("HARNESS_ECG_CACHE_DIR", str(tmp_path / "own"))
    assert default_cache_dir() == tmp_path / "own"
    monkeypatch.delenv("HARNESS_ECG_CACHE_DIR")
    monkeypatch.delenv("HARNESS_CACHE_DIR")
    assert default_cache_dir() == Path.home() / ".cache" / "ecg-harness" / "ecg"

"""One user cache directory, resolved in one place, for every layer that keeps something there."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import paths
from harness.errors import HarnessError


def test_configured_then_environment_then_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "env"))
    assert paths.cache_root(tmp_path / "given") == tmp_path / "given"
    assert paths.cache_root("~/x") == Path.home() / "x"
    assert paths.cache_root() == paths.cache_root("") == tmp_path / "env"
    monkeypatch.delenv("HARNESS_CACHE_DIR")
    assert paths.cache_root() == Path.home() / ".cache" / "ecg-harness"


def test_every_layer_uses_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from harness.ecg.cache import default_cache_dir
    from harness.interop import lm_eval_export
    from harness.plugins.metrics import lexicon, wordnet

    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("HARNESS_ECG_CACHE_DIR", raising=False)
    assert default_cache_dir() == tmp_path / "ecg"
    assert lexicon.path_for("wordnet").parent == tmp_path / "meteor_lexicon"
    assert wordnet.cache_root is lexicon.cache_root is paths.cache_root
    from harness.sources import cache_root, physionet

    assert cache_root is physionet.cache_root is paths.cache_root  # the data sources' downloads
    parsed = []
    monkeypatch.setattr(lm_eval_export, "export", lambda out, **kw: parsed.append(kw) or lm_eval_export.ExportReport())
    with pytest.raises(HarnessError, match="no task was exported"):
        lm_eval_export.main(["--out", str(tmp_path / "out")])
    assert parsed[0]["cache_dir"] == tmp_path

"""METEOR's word tables kept on disk: a warm start gives the same values and info as a cold one,
scores known words without importing nltk, and is ignored once the WordNet files change."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from harness.plugins.metrics import lexicon, meteor
from tests.conftest import harness_env

CK = "ecg_expert_qa/Cardiology Knowledge (Basic Knowledge Q&A).json"


@pytest.fixture
def pairs(data_dir: Path) -> list[tuple[str, str]]:
    records = json.loads((data_dir / CK).read_text())[:400]
    # a prediction that shares stems and synonyms with the reference, not only exact words
    return [(r["Q"] + " " + r["A"][: len(r["A"]) // 2], r["A"]) for r in records]


def _fresh_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(meteor, "_STEMS", {})
    monkeypatch.setattr(meteor, "_SYNONYMS", {})


def test_warm_tables_give_the_cold_values_and_info(pairs, monkeypatch) -> None:
    _fresh_tables(monkeypatch)
    cold = meteor.Meteor()
    cold_values = cold.score([p for p, _ in pairs], [r for _, r in pairs])
    cold.flush()
    path = lexicon.path_for("required")
    assert path.is_file()
    saved = lexicon.load(path)
    assert saved is not None and len(saved.stems) > 1000 and saved.wordnet["wordnet_version"] == "3.0"

    _fresh_tables(monkeypatch)
    warm = meteor.Meteor()
    warm_values = warm.score([p for p, _ in pairs], [r for _, r in pairs])
    assert warm_values == cold_values  # exactly
    assert warm.info() == cold.info()


def test_known_words_are_scored_without_importing_nltk(pairs, tmp_path) -> None:
    script = (
        "import json, sys\n"
        "from harness.plugins.metrics.meteor import Meteor\n"
        f"pairs = json.load(open({str(tmp_path / 'pairs.json')!r}))\n"
        "m = Meteor(); values = m.score([p for p, _ in pairs], [r for _, r in pairs]); m.flush()\n"
        "print(json.dumps({'nltk': 'nltk' in sys.modules, 'sum': sum(values)}))\n"
    )
    (tmp_path / "pairs.json").write_text(json.dumps(pairs))
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", script], env=harness_env(), capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(2)
    ]
    assert runs[0]["nltk"] is True  # the first run computes the tables
    assert runs[1] == {"nltk": False, "sum": runs[0]["sum"]}  # the second only reads them


def test_tables_from_other_wordnet_files_are_ignored(pairs, monkeypatch, tmp_path) -> None:
    _fresh_tables(monkeypatch)
    m = meteor.Meteor()
    m.score([p for p, _ in pairs[:20]], [r for _, r in pairs[:20]])
    m.flush()
    path = lexicon.path_for("required")
    saved = lexicon.load(path)
    assert saved is not None and saved.wordnet_files
    name, size, mtime = saved.wordnet_files[0]
    saved.wordnet_files[0] = (name, size + 1, mtime)  # as if index.noun had changed since
    path.write_bytes(pickle.dumps(saved))
    assert lexicon.load(path) is None
    path.write_bytes(b"not a pickle")
    assert lexicon.load(path) is None

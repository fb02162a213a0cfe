"""METEOR's word tables (Porter stems, WordNet synonym sets) kept on disk between runs.

Computing them needs nltk, whose import alone takes ~3 s (it pulls in scipy), plus the WordNet
reader: longer than the whole request phase of a 2,000-sample run against a fast server. The
tables are pure functions of the word, the nltk version and the WordNet files, so a run starts
from the words earlier runs have seen and loads nltk only for a word it has not seen.

The file is ``<HARNESS_CACHE_DIR or ~/.cache/ecg-harness>/meteor_lexicon/<key>.pickle``, keyed by
the nltk version and what decides which WordNet is used (``NLTK_DATA``, ``WNSEARCHDIR``, the
WordNet mode); it records the WordNet files' sizes and times and is ignored once they change.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from harness.paths import cache_root
from harness.plugins.metrics.wordnet import write_pickle

FORMAT = 1
MAX_WORDS = 500_000  # past this a table stops growing on disk (it still works in memory)


@dataclass
class Lexicon:
    stems: dict[str, str] = field(default_factory=dict)
    synonyms: dict[str, frozenset[str]] = field(default_factory=dict)
    wordnet: dict[str, Any] | None = None  # info() of the WordNet the synonyms come from (None: no synonyms)
    wordnet_files: list[tuple[str, int, int]] = field(default_factory=list)  # (path, size, mtime_ns) of its index files


def _nltk_version() -> str:
    try:
        return version("nltk")
    except PackageNotFoundError:  # pragma: no cover - nltk is a dependency
        return "unknown"


def path_for(mode: str) -> Path:
    key = repr((FORMAT, _nltk_version(), mode, os.environ.get("NLTK_DATA"), os.environ.get("WNSEARCHDIR")))
    return cache_root() / "meteor_lexicon" / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.pickle"


def load(path: Path) -> Lexicon | None:
    """The tables at ``path``, or None when absent, unreadable or built from other WordNet files."""
    try:
        with open(path, "rb") as fh:
            lexicon = pickle.load(fh)  # our own file under the user's cache
        if not isinstance(lexicon, Lexicon):
            return None
        for name, size, mtime in lexicon.wordnet_files:
            stat = os.stat(name)
            if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
                return None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return None
    return lexicon


def save(path: Path, lexicon: Lexicon) -> None:
    """Write atomically (a read-only cache only costs the next run the nltk start-up)."""
    if len(lexicon.stems) > MAX_WORDS or len(lexicon.synonyms) > MAX_WORDS:
        return
    write_pickle(path, lexicon)

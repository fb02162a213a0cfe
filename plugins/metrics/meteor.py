"""METEOR, the ECG-Expert-QA paper's equations (4)-(6), as nltk's ``meteor_score`` computes it.

``Fmean = PR / (alpha P + (1 - alpha) R)`` with ``alpha = 0.9`` (= 10PR / (9P + R)),
``Penalty = gamma (chunks / matches)^beta`` with ``gamma = 0.5, beta = 3``,
``METEOR = Fmean (1 - Penalty)``; 0 when nothing matches.

The alignment reproduces nltk 3.9+'s greedy one exactly (``_enum_align_words``), stage by stage:

1. exact: hypothesis words from last to first, each taking the last still-unmatched identical
   reference word;
2. stem: the same over the Porter stems (nltk's ``PorterStemmer``) of the words left;
3. WordNet synonyms: over what is left — which, as in nltk, are the *stems* from stage 2 — each
   hypothesis stem (last to first) takes the right-most unmatched reference stem that equals it or
   one of the underscore-free lemma names of its WordNet synsets.

It is fast because stems and synonym sets are computed once per distinct word and cached (synonym
sets read straight from WordNet's lemma fields, see ``wordnet.LemmaNames``), the matching works
on plain lists, and large batches use all cores (``parallel.map_chunks``).

WordNet (3.0) is found by :mod:`harness.plugins.metrics.wordnet`. ``HARNESS_METEOR_WORDNET`` (or the
``wordnet=`` argument) decides what happens without it: ``required`` (default) fails with a message
saying how to install it; ``auto`` falls back to exact + stem matching; ``off`` never uses it. A
run without synonyms records ``{"matchers": ["exact", "stem"], "wordnet": false}`` in ``info()``
(and so in results.json), and logs a warning.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.plugins.metrics.text_base import TextPairMetric

log = logging.getLogger(__name__)

WORDNET_MODES = ("required", "auto", "off")

_STEMS: dict[str, str] = {}
_SYNONYMS: dict[str, frozenset[str]] = {}
_STEMMER: Any = None


def _stem(word: str) -> str:
    stem = _STEMS.get(word)
    if stem is None:
        global _STEMMER
        if _STEMMER is None:
            from nltk.stem.porter import PorterStemmer

            _STEMMER = PorterStemmer()
        stem = _STEMS[word] = _STEMMER.stem(word)
    return stem


def synonyms(word: str, lemma_names: Any) -> frozenset[str]:
    """``word`` and the lemma names (without '_') of all its synsets, as nltk's METEOR uses them."""
    syns = _SYNONYMS.get(word)
    if syns is None:
        syns = _SYNONYMS[word] = frozenset(n for n in lemma_names(word) if "_" not in n) | {word}
    return syns


def _positions(words: list[str]) -> dict[str, list[int]]:
    """Each word's indices in ``words``, in order (the last one is popped first)."""
    positions: dict[str, list[int]] = {}
    for j, word in enumerate(words):
        pos = positions.get(word)
        if pos is None:
            positions[word] = [j]
        else:
            pos.append(j)
    return positions


def _match(
    hyp_idx: list[int], hyp: list[str], ref_idx: list[int], ref: list[str], matches: list[tuple[int, int]]
) -> tuple[list[int], list[str], list[int], list[str]]:
    """nltk's ``_match_enums``: equal words, hypothesis from the end, right-most reference first."""
    positions = _positions(ref)
    used_h: list[int] = []
    used_r: set[int] = set()
    get = positions.get
    for i in range(len(hyp) - 1, -1, -1):
        pos = get(hyp[i])
        if pos:
            j = pos.pop()
            used_h.append(i)
            used_r.add(j)
            matches.append((hyp_idx[i], ref_idx[j]))
    if not used_h:
        return hyp_idx, hyp, ref_idx, ref
    skip = set(used_h)
    keep_h = [i for i in range(len(hyp)) if i not in skip]
    keep_r = [j for j in range(len(ref)) if j not in used_r]
    return (
        [hyp_idx[i] for i in keep_h],
        [hyp[i] for i in keep_h],
        [ref_idx[j] for j in keep_r],
        [ref[j] for j in keep_r],
    )


def _match_synonyms(
    hyp_idx: list[int],
    hyp: list[str],
    ref_idx: list[int],
    ref: list[str],
    matches: list[tuple[int, int]],
    lemma_names: Any,
) -> None:
    """nltk's ``_enum_wordnetsyn_match``: the right-most reference word among the synonyms."""
    positions = _positions(ref)
    cache = _SYNONYMS
    for i in range(len(hyp) - 1, -1, -1):
        word = hyp[i]
        syns = cache.get(word) or synonyms(word, lemma_names)
        if syns.isdisjoint(positions):  # the common case, decided in C
            continue
        best_j = -1
        best_word = None
        # The right-most candidate is unique (a position holds one word), so scanning the shared
        # words finds the same one as nltk's scan over the synonyms.
        for candidate in syns.intersection(positions):
            pos = positions[candidate]
            if pos and pos[-1] > best_j:
                best_j = pos[-1]
                best_word = candidate
        if best_word is not None:
            positions[best_word].pop()
            matches.append((hyp_idx[i], ref_idx[best_j]))


def _stems(words: list[str]) -> list[str]:
    cache = _STEMS
    return [cache.get(w) or _stem(w) for w in words]


def align(hyp: list[str], ref: list[str], lemma_names: Any | None) -> list[tuple[int, int]]:
    """(hypothesis index, reference index) matches sorted by hypothesis index, as nltk's aligner.

    ``lemma_names(word)`` gives the lemma names of the word's synsets (``None``: no synonyms).
    """
    matches: list[tuple[int, int]] = []
    h_idx, h, r_idx, r = _match(list(range(len(hyp))), hyp, list(range(len(ref))), ref, matches)
    if h and r:
        h_idx, h, r_idx, r = _match(h_idx, _stems(h), r_idx, _stems(r), matches)
        if h and r and lemma_names is not None:
            _match_synonyms(h_idx, h, r_idx, r, matches, lemma_names)
    matches.sort()
    return matches


def count_chunks(matches: list[tuple[int, int]]) -> int:
    """Fewest runs of matches adjacent in both sentences (nltk's ``_count_chunks``)."""
    chunks = 1
    for (h0, r0), (h1, r1) in zip(matches, matches[1:]):
        if not (h1 == h0 + 1 and r1 == r0 + 1):
            chunks += 1
    return chunks


def meteor_from_tokens(
    hyp: list[str], ref: list[str], lemma_names: Any | None, alpha: float = 0.9, beta: float = 3.0, gamma: float = 0.5
) -> float:
    """Sentence METEOR of lowercase tokens; nltk's ``single_meteor_score`` arithmetic."""
    if not hyp or not ref:
        return 0.0
    matches = align(hyp, ref, lemma_names)
    m = len(matches)
    if m == 0:
        return 0.0
    precision = float(m) / len(hyp)
    recall = float(m) / len(ref)
    fmean = (precision * recall) / (alpha * precision + (1 - alpha) * recall)
    frag_frac = float(count_chunks(matches)) / m
    penalty = gamma * frag_frac**beta
    return (1 - penalty) * fmean


_LEMMA_NAMES: dict[int, Any] = {}


def _lemma_names_for(reader: Any) -> Any:
    """One :class:`LemmaNames` per reader (shared by every Meteor instance in the process)."""
    from harness.plugins.metrics.wordnet import LemmaNames

    if id(reader) not in _LEMMA_NAMES:
        if Path(str(reader.root)).is_dir():
            _LEMMA_NAMES[id(reader)] = LemmaNames(reader)
        else:  # WordNet inside nltk's zip: ask the reader
            _LEMMA_NAMES[id(reader)] = lambda word: {
                lemma.name() for synset in reader.synsets(word) for lemma in synset.lemmas()
            }
    return _LEMMA_NAMES[id(reader)]


class _LazyLemmaNames:
    """:func:`_lemma_names_for` WordNet's reader, loaded at the first word the tables lack."""

    def __init__(self) -> None:
        self._fn: Any = None

    def __call__(self, word: str) -> Any:
        if self._fn is None:
            from harness.plugins.metrics.wordnet import load_wordnet

            self._fn = _lemma_names_for(load_wordnet())
        return self._fn(word)


class Meteor(TextPairMetric):
    name = "meteor"
    description = "METEOR (alpha 0.9, beta 3, gamma 0.5) with exact, Porter-stem and WordNet-synonym matching"
    min_parallel_batch = 10_000

    def __init__(self, *, wordnet: str | None = None, alpha: float = 0.9, beta: float = 3.0, gamma: float = 0.5):
        if wordnet is not None and wordnet not in WORDNET_MODES:
            raise ValueError(f"meteor: wordnet must be one of {WORDNET_MODES}, got {wordnet!r}")
        self.wordnet_mode = wordnet
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self._lemma_names: Any = None  # word -> lemma names of its synsets; None: no synonym matching
        self._wordnet_info: dict[str, Any] | None = None
        self._wordnet_files: list[tuple[str, int, int]] = []
        self._lexicon_path: Path | None = None
        self._saved = (0, 0)
        self._resolved = False
        self._fallback_reason: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Sent to forked workers: they reuse the WordNet reader the parent loaded (inherited
        # through load_wordnet's cache) instead of pickling it.
        return self.__dict__ | {"_lemma_names": None, "_resolved": False}

    def mode(self) -> str:
        mode = self.wordnet_mode or os.environ.get("HARNESS_METEOR_WORDNET") or "required"
        if mode not in WORDNET_MODES:
            raise ValueError(f"HARNESS_METEOR_WORDNET must be one of {WORDNET_MODES}, got {mode!r}")
        return mode

    def prepare(self) -> None:
        """Resolve WordNet once (raises :class:`WordNetNotFound` in ``required`` mode).

        Starts from the word tables earlier runs kept on disk (:mod:`.lexicon`): with them, nltk
        and the WordNet reader are loaded only when a word is new."""
        if self._resolved:
            return
        from harness.plugins.metrics import lexicon
        from harness.plugins.metrics.wordnet import WordNetNotFound, find_wordnet, index_file_stats, load_wordnet

        mode = self.mode()
        self._lexicon_path = lexicon.path_for(mode)
        known = lexicon.load(self._lexicon_path)
        if mode == "off":
            self._fallback_reason = "disabled (wordnet=off)"
        if known is not None and (mode == "off" or known.wordnet is not None):
            _STEMS.update(known.stems)
            _SYNONYMS.update(known.synonyms)
            self._wordnet_info, self._wordnet_files = known.wordnet, known.wordnet_files
            if mode != "off":
                self._lemma_names = _LazyLemmaNames()
        elif mode != "off":
            try:
                reader = load_wordnet()
                self._lemma_names = _lemma_names_for(reader)
                self._wordnet_info = {"wordnet_version": reader.get_version()} | find_wordnet().info()
                root = Path(str(reader.root))
                self._wordnet_files = index_file_stats(root) if root.is_dir() else []
            except WordNetNotFound as exc:
                if mode == "required":
                    raise
                self._fallback_reason = str(exc)
                log.warning("meteor: WordNet not found, scoring with exact + stem matching only: %s", exc)
        self._saved = (len(_STEMS), len(_SYNONYMS))
        self._resolved = True

    def flush(self) -> None:
        """Keep the word tables for the next run (called where the scoring ran, after the last batch)."""
        if not self._resolved or self._saved == (len(_STEMS), len(_SYNONYMS)) or self._lexicon_path is None:
            return
        if self._wordnet_info is None and self.mode() != "off":
            return  # scored without WordNet (auto mode): nothing worth keeping for a run that has it
        from harness.plugins.metrics import lexicon

        lexicon.save(
            self._lexicon_path, lexicon.Lexicon(dict(_STEMS), dict(_SYNONYMS), self._wordnet_info, self._wordnet_files)
        )
        self._saved = (len(_STEMS), len(_SYNONYMS))

    def after_fork(self) -> None:
        from harness.plugins.metrics.wordnet import reopen_files

        reopen_files()

    def score_tokens(self, hyps: Sequence[list[str]], refs: Sequence[list[str]]) -> list[Any]:
        self.prepare()
        names, a, b, g = self._lemma_names, self.alpha, self.beta, self.gamma
        return [meteor_from_tokens(h, r, names, a, b, g) for h, r in zip(hyps, refs)]

    def info(self) -> dict[str, Any]:
        out = super().info() | {
            "alpha": self.alpha,
            "beta": self.beta,
            "gamma": self.gamma,
            "stemmer": "nltk PorterStemmer",
        }
        try:
            self.prepare()
        except Exception as exc:  # info() must not fail; compute() raises the same error
            return out | {"matchers": ["exact", "stem"], "wordnet": False, "wordnet_error": str(exc)}
        if self._lemma_names is None:
            return out | {
                "matchers": ["exact", "stem"],
                "wordnet": False,
                "wordnet_fallback_reason": self._fallback_reason,
            }
        return out | {"matchers": ["exact", "stem", "wordnet"], "wordnet": True} | (self._wordnet_info or {})

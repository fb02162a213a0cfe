"""``python -m harness compare RUN_A RUN_B``: what changed between two runs of one task, and is it real.

For each metric both runs scored, the per-sample values are paired by sample id (a sample unscored
in either run is left out of the pair) and the mean difference B - A gets a paired bootstrap
interval: pairing removes the between-item variance, so two models (or two prompts, or two
versions of a model) are compared on exactly the same items. The items that flipped (a 0/1 metric
that went from right to wrong or back) or moved most (other metrics) are listed, so a difference
can be explained by reading them. Judged quantities are paired on the jury's recorded values.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.leaderboard.paired import PairedResult, paired_bootstrap
from harness.results.reader import read_results, read_samples, run_dir_of

SHOWN_ITEMS = 10


@dataclass
class Run:
    """One run directory: its results.json and its per-sample metric values."""

    path: Path
    results: dict[str, Any]
    values: dict[str, dict[str, float]] = field(default_factory=dict)  # metric -> sample id -> value

    @property
    def label(self) -> str:
        model = self.results.get("model") or {}
        return f"{model.get('name', '?')} ({self.path.name})"

    @classmethod
    def load(cls, path: Path) -> Run:
        path = run_dir_of(path)
        run = cls(path, read_results(path))
        for record in read_samples(path) or []:
            values = dict(record.get("metrics") or {})
            for entry in (record.get("judges") or {}).values():  # judged quantities: the jury's values
                values.update(((entry or {}).get("jury") or {}).get("values") or {})
            for name, value in values.items():
                if _is_number(value):
                    run.values.setdefault(name, {})[str(record["id"])] = float(value)
        return run


@dataclass(frozen=True)
class MetricChange:
    name: str
    a: float | None
    b: float | None
    paired: PairedResult | None
    flipped: list[tuple[str, float, float]]  # (sample id, value in A, value in B)
    binary: bool


def compare(a: Run, b: Run, *, seed: int = 0) -> list[MetricChange]:
    names = [name for name in a.results.get("metrics", {}) if name in b.results.get("metrics", {})]
    changes = []
    for name in names:
        va, vb = a.values.get(name, {}), b.values.get(name, {})
        shared = sorted(va.keys() & vb.keys(), key=_natural)
        binary = all(va[i] in (0.0, 1.0) and vb[i] in (0.0, 1.0) for i in shared)
        moved = [(i, va[i], vb[i]) for i in shared if va[i] != vb[i]]
        moved.sort(key=lambda item: -abs(item[2] - item[1]))
        changes.append(
            MetricChange(
                name,
                _value(a.results["metrics"][name]),
                _value(b.results["metrics"][name]),
                paired_bootstrap(vb, va, seed=seed),
                moved,
                binary,
            )
        )
    return changes


def render(a: Run, b: Run, changes: list[MetricChange]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    task_a, task_b = (a.results.get("task") or {}).get("name"), (b.results.get("task") or {}).get("name")
    console.print(f"A = {a.label}   B = {b.label}   task {task_a}" + ("" if task_a == task_b else f" vs {task_b}"))
    for run, name in ((a, "A"), (b, "B")):
        flags = [flag.get("code") for flag in (run.results.get("validity") or {}).get("flags") or ()]
        state = (run.results.get("status") or {}).get("state")
        if flags or (state and state != "complete"):
            console.print(f"[yellow]{name} is not a clean run: {state}; flags {', '.join(flags) or '-'}[/]")
    table = Table(title="B - A, paired bootstrap over shared samples (95%)")
    for column in ("metric", "A", "B", "B - A", "95% CI", "n shared", ""):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for change in changes:
        p = change.paired
        mark = "≈" if p is None or not p.significant else ("▲" if p.mean_diff > 0 else "▼")
        table.add_row(
            change.name,
            _fmt(change.a),
            _fmt(change.b),
            _fmt(p.mean_diff if p else None, sign=True),
            f"[{_fmt(p.ci_low, sign=True)}, {_fmt(p.ci_high, sign=True)}]" if p else "-",
            str(p.n_shared if p else 0),
            mark,
        )
    console.print(table)
    for change in changes:
        if not change.flipped:
            continue
        if change.binary:
            worse = [i for i, x, y in change.flipped if x > y]
            better = [i for i, x, y in change.flipped if y > x]
            console.print(f"{change.name}: {len(better)} items right only in B, {len(worse)} right only in A")
            console.print(f"  right only in B: {_ids(better)}")
            console.print(f"  right only in A: {_ids(worse)}")
        else:
            shown = ", ".join(f"{i} ({x:.3f} -> {y:.3f})" for i, x, y in change.flipped[:SHOWN_ITEMS])
            console.print(f"{change.name}: {len(change.flipped)} items changed; largest: {shown}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m harness compare", description=__doc__.splitlines()[0])
    parser.add_argument("run_a", type=Path, help="run directory (or its results.json)")
    parser.add_argument("run_b", type=Path)
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap")
    args = parser.parse_args(argv)
    a, b = Run.load(args.run_a), Run.load(args.run_b)
    changes = compare(a, b, seed=args.seed)
    if not changes:
        raise HarnessError(f"{args.run_a} and {args.run_b} share no metric: are they runs of the same task?")
    render(a, b, changes)


def _value(entry: Any) -> float | None:
    value = entry.get("value") if isinstance(entry, dict) else entry
    return float(value) if _is_number(value) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.4f}" if sign else f"{value:.4f}"


def _ids(ids: list[str]) -> str:
    more = f" (+{len(ids) - SHOWN_ITEMS} more)" if len(ids) > SHOWN_ITEMS else ""
    return (", ".join(ids[:SHOWN_ITEMS]) or "-") + more


def _natural(sample_id: str) -> tuple[int, Any]:
    return (0, int(sample_id)) if sample_id.isdigit() else (1, sample_id)

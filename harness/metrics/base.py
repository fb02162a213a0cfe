"""What a metric is.

A metric scores a batch of samples (batch-first, so a fast implementation can vectorise or use
both cores) into one value per sample, then aggregates those values into the task number.
A sample a metric cannot score yields :class:`Unscored` with a reason: it is counted and
reported, never turned into 0 and never silently dropped from the denominator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ScoreInput:
    """What a metric sees of one sample."""

    prediction: Any  # the extracted answer (str for generation, a letter for multiple choice, ...)
    reference: Any  # the gold answer, as the task defines it
    response: str | None = None  # the raw model text
    doc: dict[str, Any] = field(default_factory=dict)  # the mapped dataset record


@dataclass(frozen=True)
class Unscored:
    """A sample the metric could not score, and why (e.g. 'unparseable answer')."""

    reason: str


SampleValue = Any  # usually a float; corpus metrics may keep e.g. (pred labels, gold labels)


class Metric:
    """Base class of metrics: override :meth:`compute` (and :meth:`aggregate` for a corpus-level
    metric); the other methods are optional, with defaults that do nothing.

    Lifecycle, per run: a task's ``metrics: [{name, args}]`` gives a fresh instance through
    :meth:`with_args`; in the scoring worker (a child process for big runs) :meth:`prepare` runs
    once before the first batch, :meth:`compute` once per batch, :meth:`flush` once after the last
    one; then :meth:`aggregate` over the scored values and :meth:`info` for results.json.
    """

    name: str = ""
    higher_is_better: bool = True
    description: str = ""

    def with_args(self, **args: Any) -> Metric:
        """This metric configured by a task's ``args``. The constructor's keyword arguments are the
        arguments (inspect-ai style), so Python checks their names; a metric without any takes none."""
        if not args:
            return self
        from harness.settings import call_with_args

        return call_with_args(type(self), args, where=f"metric '{self.name}': args")

    def prepare(self) -> None:
        """One-off set-up before the first batch, where scoring runs (e.g. load a vocabulary)."""

    def compute(self, batch: Sequence[ScoreInput]) -> list[SampleValue | Unscored]:
        """One value (or :class:`Unscored` with its reason) per sample of the batch, in order."""
        raise NotImplementedError

    def flush(self) -> None:
        """After the last batch: keep state worth reusing in the next run (e.g. a word table)."""

    def aggregate(self, values: Sequence[SampleValue]) -> float:
        """Task-level number from the scored samples' values (default: the mean)."""
        return float(sum(values) / len(values)) if values else math.nan

    def info(self) -> dict[str, Any]:
        """Anything results.json should record about how this metric was computed."""
        return {}


NO_PREDICTION = "no prediction"


class SampleMetric(Metric):
    """A metric defined by a per-sample function ``fn(prediction, reference) -> float``."""

    def __init__(
        self,
        name: str,
        fn: Callable[[Any, Any], float | Unscored],
        *,
        higher_is_better: bool = True,
        description: str = "",
    ):
        self.name = name
        self.fn = fn
        self.higher_is_better = higher_is_better
        self.description = description or (fn.__doc__ or "").strip()

    def with_args(self, **args: Any) -> Metric:
        if args:
            from harness.errors import TaskFileError

            raise TaskFileError(f"metric '{self.name}' takes no arguments (got {', '.join(sorted(args))})")
        return self

    def compute(self, batch: Sequence[ScoreInput]) -> list[SampleValue | Unscored]:
        """``fn`` per sample; a sample without a prediction is unscored, never given a number."""
        return [
            Unscored(NO_PREDICTION) if item.prediction is None else self.fn(item.prediction, item.reference)
            for item in batch
        ]


def sample_metric(
    name: str, *, higher_is_better: bool = True
) -> Callable[[Callable[[Any, Any], float | Unscored]], SampleMetric]:
    """Decorator: turn ``fn(prediction, reference)`` into a registered-ready :class:`Metric`."""

    def wrap(fn: Callable[[Any, Any], float | Unscored]) -> SampleMetric:
        return SampleMetric(name, fn, higher_is_better=higher_is_better)

    return wrap

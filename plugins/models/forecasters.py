"""Reference forecasters for signal prediction: the floor an LLM's MSE should beat.

They answer only requests that carry ``extras['signal_context']`` (the ``signal_forecast``
output type attaches it: the standardised context per lead, its rate and the number of values
to predict) and write the ``<PRED>`` block a model would.

- ``forecast_mean``: predicts the context mean, i.e. 0 on the standardised scale (MSE ~ the
  continuation's variance in context units).
- ``forecast_repeat_beat``: estimates the beat period from the context's autocorrelation
  (0.33-1.5 s, i.e. 40-180 bpm) and repeats the last period.
"""

from __future__ import annotations

from typing import Any

from harness.models.base import ModelError, Request, Response


def beat_period(values: Any, fs: float) -> int:
    """Samples per beat: the autocorrelation peak between 0.33 s and 1.5 s (the lag range if no peak)."""
    import numpy as np

    x = np.asarray(values, dtype=float)
    x = x - x.mean()
    lo, hi = max(1, int(0.33 * fs)), min(len(x) - 1, int(1.5 * fs))
    if hi <= lo:
        return max(1, len(x) // 2)
    ac = np.array([float(np.dot(x[:-lag], x[lag:])) / (len(x) - lag) for lag in range(lo, hi + 1)])
    return lo + int(np.argmax(ac))


def repeat_last_beat(values: Any, fs: float, n_pred: int) -> list[float]:
    import numpy as np

    x = np.asarray(values, dtype=float)
    period = beat_period(x, fs)
    beat = x[-period:]
    reps = int(np.ceil(n_pred / period)) + 1
    return np.tile(beat, reps)[:n_pred].tolist()


def mean_forecast(values: Any, fs: float, n_pred: int) -> list[float]:
    import numpy as np

    return [float(np.mean(values))] * n_pred


class Forecaster:
    """A :class:`~harness.models.base.Model` that forecasts from the request's signal context."""

    methods = {"repeat_last_beat": repeat_last_beat, "mean": mean_forecast}

    def __init__(self, config: Any, method: str):
        self.config = config
        self.method = method
        self._fn = self.methods[method]

    @property
    def identity(self) -> dict[str, Any]:
        return {"backend": self.config.backend, "model": self.method}

    async def generate(self, request: Request) -> Response:
        ctx = request.extras.get("signal_context")
        if not ctx:
            raise ModelError(
                f"{self.config.backend}: request {request.id} has no signal context; "
                "reference forecasters answer signal-prediction tasks only"
            )
        lines = [
            f"{lead}: " + ", ".join(f"{v:.3f}" for v in self._fn(values, float(ctx["fs"]), int(ctx["n_pred"])))
            for lead, values in zip(ctx["leads"], ctx["values"])
        ]
        return Response(text="<PRED>\n" + "\n".join(lines) + "\n</PRED>")

    async def aclose(self) -> None:
        pass


def repeat_beat_factory(config: Any) -> Forecaster:
    return Forecaster(config, "repeat_last_beat")


def mean_factory(config: Any) -> Forecaster:
    return Forecaster(config, "mean")

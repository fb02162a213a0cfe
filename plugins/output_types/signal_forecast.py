"""Signal prediction: the model sees the start of a real ECG and writes the continuation.

One request per record. The record (the task's ``ecg:`` block names it) is loaded through the
ECG layer; the first ``context_s`` seconds of the chosen leads, resampled to ``fs`` Hz and
standardised per lead with the *context's* mean and standard deviation, are given to the prompt
as ``context`` (one line per lead, ``II: 0.12, -0.40, ...``). The reference is the next
``horizon_s`` seconds, standardised the same way, so MSE is in units of the context's spread and
comparable across records and leads. The model answers between ``<PRED>`` and ``</PRED>``, one
line per lead (a single lead may omit its name); anything else is *unparseable* and counted.

``output:`` settings (defaults): ``leads`` ([II]), ``fs`` (50), ``context_s`` (2.0),
``horizon_s`` (1.0), ``decimals`` (2), ``clean`` (false: NeuroKit2 ``ecg_clean`` on each lead first),
``standardise`` (``context``: with the context's mean and spread, so nothing of the continuation
leaks into the prompt; ``window``: over context and continuation together, as Heartcare's released
code does). ``heartcare_signal_prediction_released`` is the released setting (250 Hz, cleaned, 12
leads, standardised over the window). Template variables added: ``context``, ``leads``,
``n_pred`` (values per lead), ``horizon_s``, ``fs``. Backends that read arrays (the reference
forecasters) get the same standardised context in ``Request.extras['signal_context']``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from harness.errors import DataError
from harness.settings import Settings
from harness.task.output_type import Extraction, Item, ItemContext, OutputType

_PRED = re.compile(r"<PRED>(.*?)(?:</PRED>|$)", re.IGNORECASE | re.DOTALL)
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_LEAD_LINE = re.compile(r"^\s*([A-Za-z]{1,3}\d?)\s*[:=]\s*(.*)$")


class ForecastSettings(Settings):
    """The ``output:`` block of a signal-forecast task."""

    leads: tuple[str, ...] = Field(("II",), description="the leads shown and predicted")
    fs: float = Field(50.0, gt=0, description="sampling rate the window is resampled to (Hz)")
    context_s: float = Field(2.0, gt=0, description="seconds of signal shown")
    horizon_s: float = Field(1.0, gt=0, description="seconds to predict")
    decimals: int = Field(2, ge=0, description="decimals of the values written into the prompt")
    clean: bool = Field(False, description="NeuroKit2 ecg_clean on each lead before the window is cut")
    standardise: Literal["context", "window"] = Field(
        "context", description="per-lead z-score with the context's statistics, or the whole window's (released code)"
    )

    @field_validator("leads", mode="before")
    @classmethod
    def _one_lead(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


def standardised_window(ecg: Any, settings: ForecastSettings, *, sample: str) -> tuple[Any, Any]:
    """(context, continuation) arrays ``[leads, time]`` in units of the context's per-lead spread."""
    import numpy as np

    from harness.ecg.preprocess import clean, resample

    ecg = resample(ecg, settings.fs)
    if settings.clean:
        ecg = clean(ecg)
    n_ctx, n_pred = int(round(settings.context_s * settings.fs)), int(round(settings.horizon_s * settings.fs))
    if ecg.n_samples < n_ctx + n_pred:
        raise DataError(
            f"sample {sample}: record {ecg.record_id} has {ecg.duration_s:.1f} s, "
            f"signal prediction needs {settings.context_s + settings.horizon_s:.1f} s"
        )
    rows = []
    for lead in settings.leads:
        try:
            rows.append(np.asarray(ecg.lead(lead), dtype=float))
        except KeyError as exc:
            raise DataError(f"sample {sample}: {exc.args[0]}") from None
    signal = np.stack(rows)
    context, future = signal[:, :n_ctx], signal[:, n_ctx : n_ctx + n_pred]
    basis = context if settings.standardise == "context" else signal[:, : n_ctx + n_pred]
    mean, std = basis.mean(axis=1, keepdims=True), basis.std(axis=1, keepdims=True)
    if np.any(std < 1e-6):
        raise DataError(f"sample {sample}: a forecast lead of {ecg.record_id} is flat in the context window")
    return (context - mean) / std, (future - mean) / std


def context_text(context: Any, leads: tuple[str, ...], decimals: int) -> str:
    return "\n".join(f"{lead}: " + ", ".join(f"{v:.{decimals}f}" for v in row) for lead, row in zip(leads, context))


def parse_prediction(text: str, leads: tuple[str, ...]) -> tuple[list[list[float]] | None, str | None]:
    """Values per lead from the ``<PRED>`` block, or (None, why not)."""
    match = _PRED.search(text or "")
    if not match:
        return None, "no <PRED> block"
    body = match.group(1)
    by_lead: dict[str, list[float]] = {}
    for line in body.splitlines():
        lead_match = _LEAD_LINE.match(line)
        if lead_match and lead_match.group(1).upper() in {x.upper() for x in leads}:
            name = next(x for x in leads if x.upper() == lead_match.group(1).upper())
            by_lead[name] = [float(v) for v in _NUMBER.findall(lead_match.group(2))]
    if len(leads) == 1 and not by_lead:
        by_lead[leads[0]] = [float(v) for v in _NUMBER.findall(body)]
    if set(by_lead) != set(leads) or not all(by_lead[x] for x in leads):
        return (
            None,
            f"<PRED> block lacks values for lead(s) {sorted(set(leads) - {k for k, v in by_lead.items() if v})}",
        )
    return [by_lead[x] for x in leads], None


class SignalForecast(OutputType):
    name = "signal_forecast"
    Settings = ForecastSettings

    def items(self, ctx: ItemContext) -> list[Item]:
        from harness.ecg.task_input import record_refs

        if ctx.load_ecg is None:
            raise ctx.data_error("signal_forecast needs the task's `ecg:` block (the record to forecast)")
        settings: ForecastSettings = ctx.settings
        ref = record_refs(ctx.doc, ctx.ecg_spec)[0]
        context, future = standardised_window(ctx.load_ecg(ref), settings, sample=ctx.doc.id)
        n_pred = int(future.shape[1])
        variables = {
            **ctx.doc.fields,
            "context": context_text(context, settings.leads, settings.decimals),
            "leads": list(settings.leads),
            "n_pred": n_pred,
            "horizon_s": settings.horizon_s,
            "fs": settings.fs,
            "context_s": settings.context_s,
        }
        extras = {
            "signal_context": {
                "leads": list(settings.leads),
                "fs": settings.fs,
                "values": context.tolist(),
                "n_pred": n_pred,
            }
        }
        return [
            ctx.item(
                messages=ctx.messages(variables),
                reference=[[round(float(v), 6) for v in row] for row in future],
                extras=extras,
                meta={"leads": list(settings.leads), "n_pred": n_pred, "record": ref},
            )
        ]

    def extract(self, item: Item, text: str) -> Extraction:
        values, why = parse_prediction(text, tuple(item.meta.get("leads", ("II",))))
        return Extraction(values, unparseable=values is None, note=why)

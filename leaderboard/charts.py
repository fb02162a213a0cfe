"""Charts as inline SVG written in Python: no chart library, no script, nothing to fetch.

Every label goes through ``markupsafe.escape``; the result is ``Markup`` so templates
insert it as is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 560
DOT_WIDTH, DOT_LABEL_W, DOT_PAD = 640, 270, 10
TICKS = 5
LABEL_CHARS = 44  # a longer dot-plot label is cut (the full one is in the dot's tooltip and the table)


def _num(x: float) -> str:
    return f"{x:.1f}"


def profile_chart(items: Sequence[tuple[str, float | None]], *, title: str) -> Markup:
    """Horizontal bars in [0, 1], one per task (None: not ranked, drawn as a note)."""
    bar_h, gap, label_w = 16, 6, 200
    height = len(items) * (bar_h + gap) + 30
    plot_w = WIDTH - label_w - 50
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="{label_w}" y1="4" x2="{label_w}" y2="{height - 22}" class="axis"/>',
        f'<line x1="{label_w + plot_w}" y1="4" x2="{label_w + plot_w}" y2="{height - 22}" class="grid"/>',
    ]
    for i, (label, value) in enumerate(items):
        y = 6 + i * (bar_h + gap)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_h - 4}" text-anchor="end" class="label">{escape(label)}</text>'
        )
        if value is None:
            parts.append(
                f'<text x="{label_w + 6}" y="{y + bar_h - 4}" class="note">not ranked (only model on this task)</text>'
            )
            continue
        w = max(0.0, min(1.0, value)) * plot_w
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{_num(w)}" height="{bar_h}" class="bar">'
            f"<title>{escape(label)}: {value:.3f}</title></rect>"
        )
        parts.append(f'<text x="{_num(label_w + w + 4)}" y="{y + bar_h - 4}" class="value">{value:.2f}</text>')
    parts.append(f'<text x="{label_w}" y="{height - 8}" class="tick">0</text>')
    parts.append(f'<text x="{label_w + plot_w}" y="{height - 8}" text-anchor="end" class="tick">1 = best</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bins_for(all_values: Sequence[float], n_bins: int = 20) -> tuple[float, float, int]:
    """Shared bins for every model on one task and metric, so histograms compare."""
    lo, hi = min(all_values), max(all_values)
    if math.isclose(lo, hi):
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi, n_bins


def histogram(values: Sequence[float], *, lo: float, hi: float, n_bins: int, title: str) -> Markup:
    """Counts of per-sample values in ``n_bins`` equal bins over [lo, hi]."""
    counts = [0] * n_bins
    span = hi - lo
    for v in values:
        k = int((v - lo) / span * n_bins)
        counts[min(max(k, 0), n_bins - 1)] += 1
    w, h, pad_l, pad_b = 300, 120, 34, 20
    plot_w, plot_h = w - pad_l - 6, h - pad_b - 6
    top = max(counts) or 1
    bw = plot_w / n_bins
    parts = [
        f'<svg class="chart hist" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="{pad_l}" y1="{6 + plot_h}" x2="{pad_l + plot_w}" y2="{6 + plot_h}" class="axis"/>',
        f'<text x="{pad_l - 4}" y="14" text-anchor="end" class="tick">{top}</text>',
    ]
    for k, c in enumerate(counts):
        if not c:
            continue
        bh = c / top * plot_h
        a, b = lo + k * span / n_bins, lo + (k + 1) * span / n_bins
        parts.append(
            f'<rect x="{_num(pad_l + k * bw)}" y="{_num(6 + plot_h - bh)}" width="{_num(max(bw - 1, 1))}" '
            f'height="{_num(bh)}" class="bar"><title>[{a:.3g}, {b:.3g}): {c}</title></rect>'
        )
    parts.append(f'<text x="{pad_l}" y="{h - 4}" class="tick">{lo:.3g}</text>')
    parts.append(f'<text x="{pad_l + plot_w}" y="{h - 4}" text-anchor="end" class="tick">{hi:.3g}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


FORECAST_SERIES = (("context", "context"), ("truth", "truth"), ("prediction", "prediction"))


def forecast_plot(context: Sequence[float], truth: Sequence[float], prediction: Sequence[float] | None) -> dict:
    """The geometry of one lead's forecast chart, in numbers only: the item view draws it here
    (:func:`forecast_chart`) and the sample browser draws the same geometry with DOM calls.

    x is the sample index (context, then the horizon); y is the standardised amplitude. A wild
    prediction is clipped at one span beyond the context and truth, so the truth stays readable."""
    w, h, left, right, top, bottom = WIDTH, 220, 46, 10, 28, 36
    known = [float(v) for v in (*context, *truth) if math.isfinite(v)] or [0.0]
    lo, hi = min(known), max(known)
    span = (hi - lo) or 1.0
    pred = [float(v) for v in prediction or [] if math.isfinite(v)]
    lo, hi = min([lo, *[max(v, lo - span) for v in pred]]), max([hi, *[min(v, hi + span) for v in pred]])
    if math.isclose(lo, hi):
        lo, hi = lo - 0.5, hi + 0.5
    n = max(len(context) + max(len(truth), len(pred)), 2)
    plot_w, plot_h = w - left - right, h - top - bottom

    def points(values: Sequence[float], start: int) -> str:
        return " ".join(
            f"{_num(left + (start + i) / (n - 1) * plot_w)},{_num(top + (hi - min(max(v, lo), hi)) / (hi - lo) * plot_h)}"
            for i, v in enumerate(values)
            if math.isfinite(v)
        )

    start = max(len(context) - 1, 0)  # the continuation starts where the context ends
    tail = [context[-1]] if context else []
    return {
        "width": w,
        "height": h,
        "box": [left, top, plot_w, plot_h],
        "lines": {
            "context": points(context, 0),
            "truth": points([*tail, *truth], start),
            "prediction": points([*tail, *pred], start) if pred else "",
        },
        "y": [f"{hi:.3g}", f"{lo:.3g}"],
        "x": [0, len(context), n - 1],
        "split": _num(left + start / (n - 1) * plot_w),
    }


def forecast_chart(plot: dict, *, lead: str, title: str) -> Markup:
    """One lead's forecast as inline SVG: context, truth and prediction as three polylines, with a
    legend and axis labels (every label escaped; the geometry is numbers from :func:`forecast_plot`)."""
    w, h = plot["width"], plot["height"]
    left, top, plot_w, plot_h = plot["box"]
    parts = [
        f'<svg class="chart forecast" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" class="axis"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" class="axis"/>',
        f'<line x1="{plot["split"]}" y1="{top}" x2="{plot["split"]}" y2="{top + plot_h}" class="grid"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" class="tick">{escape(plot["y"][0])}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" class="tick">{escape(plot["y"][1])}</text>',
    ]
    for x, anchor in zip(plot["x"], ("start", "middle", "end")):
        px = left + x / max(plot["x"][-1], 1) * plot_w
        parts.append(f'<text x="{_num(px)}" y="{top + plot_h + 13}" text-anchor="{anchor}" class="tick">{x}</text>')
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{h - 4}" text-anchor="middle" class="label">sample index</text>'
        f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" class="label" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(lead)} (standardised)</text>'
    )
    for k, (key, label) in enumerate(FORECAST_SERIES):
        x = left + k * 150
        parts.append(
            f'<line x1="{x}" y1="10" x2="{x + 18}" y2="10" class="series-{key}"/>'
            f'<text x="{x + 22}" y="14" class="label">{escape(label)}</text>'
        )
        if plot["lines"][key]:
            parts.append(f'<polyline points="{escape(plot["lines"][key])}" class="series-{key}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Dot:
    """One row of a dot plot: a value with its interval (ours) or a number as a paper printed it."""

    label: str
    value: float
    low: float | None = None
    high: float | None = None
    reported: bool = False  # copied from a paper, drawn hollow and labelled as reported


def dot_plot(dots: Sequence[Dot], *, title: str, lo: float | None = None, hi: float | None = None) -> Markup:
    """Each row a dot at its value with a line over its interval, every row on one shared axis
    (``lo``..``hi``, default: the data's range), so ours and a paper's numbers read on one scale."""
    ends = [x for d in dots for x in (d.value, d.low, d.high) if x is not None and math.isfinite(x)]
    lo = min(ends) if lo is None else lo
    hi = max(ends) if hi is None else hi
    if math.isclose(lo, hi):
        lo, hi = lo - 0.5, hi + 0.5
    row_h, label_w, pad = 20, DOT_LABEL_W, DOT_PAD
    plot_w = DOT_WIDTH - label_w - 2 * pad
    height = len(dots) * row_h + 34

    def x(v: float) -> str:
        return _num(label_w + pad + (min(max(v, lo), hi) - lo) / (hi - lo) * plot_w)

    parts = [
        f'<svg class="chart dots" role="img" viewBox="0 0 {DOT_WIDTH} {height}" width="{DOT_WIDTH}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="{x(lo)}" y1="{height - 24}" x2="{x(hi)}" y2="{height - 24}" class="axis"/>',
    ]
    for k in range(TICKS):  # grid lines with their values, so a dot can be read off the axis
        at = lo + k * (hi - lo) / (TICKS - 1)
        anchor = "start" if k == 0 else "end" if k == TICKS - 1 else "middle"
        parts.append(f'<line x1="{x(at)}" y1="4" x2="{x(at)}" y2="{height - 24}" class="grid"/>')
        parts.append(f'<text x="{x(at)}" y="{height - 8}" text-anchor="{anchor}" class="tick">{at:.3g}</text>')
    for i, d in enumerate(dots):
        y = 12 + i * row_h
        label = f"{d.label} (reported)" if d.reported else d.label  # in full in the tooltip
        shown = d.label if len(d.label) <= LABEL_CHARS else d.label[: LABEL_CHARS - 1] + "…"  # hollow: reported
        parts.append(f'<text x="{label_w - 4}" y="{y + 4}" text-anchor="end" class="label">{escape(shown)}</text>')
        if d.low is not None and d.high is not None:
            parts.append(f'<line x1="{x(d.low)}" y1="{y}" x2="{x(d.high)}" y2="{y}" class="ci-line"/>')
        interval = f" [{d.low:.4g}, {d.high:.4g}]" if d.low is not None and d.high is not None else ""
        parts.append(
            f'<circle cx="{x(d.value)}" cy="{y}" r="4" class="{"dot-reported" if d.reported else "dot"}">'
            f"<title>{escape(label)}: {d.value:.4g}{interval}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))

"""The ``image`` modality: a standard 12-lead ECG on paper, as PNG bytes.

Layout of a 12SL-style printout: 25 mm/s, 10 mm/mV, a 1 mm minor and 5 mm major grid, a
1 mV calibration pulse per row, three rows of 2.5 s columns (I/aVR/V1/V4, II/aVL/V2/V5,
III/aVF/V3/V6, each column showing its own 2.5 s of the record, as carts print them) and a
10 s lead II rhythm strip. Rendering uses matplotlib's Agg canvas without pyplot (no global
state) and drops the PNG's software metadata, so the same input gives the same bytes.
"""

from __future__ import annotations

import io

import numpy as np

from harness.ecg.record import ECG

VERSION = "1"
MM_PER_S = 25.0
MM_PER_MV = 10.0
SECONDS = 10.0
LAYOUT: tuple[tuple[str, str, str, str], ...] = (
    ("I", "aVR", "V1", "V4"),
    ("II", "aVL", "V2", "V5"),
    ("III", "aVF", "V3", "V6"),
)
RHYTHM_LEAD = "II"
ROW_MM = 40.0
LEFT_MM = 10.0  # calibration pulse lives here
RIGHT_MM = 5.0
TOP_MM = 5.0
BOTTOM_MM = 8.0
WIDTH_MM = LEFT_MM + SECONDS * MM_PER_S + RIGHT_MM
HEIGHT_MM = TOP_MM + 4 * ROW_MM + BOTTOM_MM


def image_size(dpi: int = 100) -> tuple[int, int]:
    """(width, height) in pixels of the PNG for ``dpi``."""
    return int(WIDTH_MM / 25.4 * dpi), int(HEIGHT_MM / 25.4 * dpi)  # matplotlib truncates


def _grid(ax) -> None:
    from matplotlib.collections import LineCollection

    minor, major = [], []
    for i in range(int(WIDTH_MM) + 1):
        (major if i % 5 == 0 else minor).append([(i, 0), (i, HEIGHT_MM)])
    for j in range(int(HEIGHT_MM) + 1):
        (major if j % 5 == 0 else minor).append([(0, j), (WIDTH_MM, j)])
    ax.add_collection(LineCollection(minor, colors="#f6c4c4", linewidths=0.3))
    ax.add_collection(LineCollection(major, colors="#e88a8a", linewidths=0.7))


def render_png(ecg: ECG, dpi: int = 100, start_s: float = 0.0) -> bytes:
    """Render 10 s of ``ecg`` (from ``start_s``) on ECG paper; returns PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    part = ecg.crop(SECONDS, start_s=start_s)
    fs = part.fs
    fig = Figure(figsize=(WIDTH_MM / 25.4, HEIGHT_MM / 25.4), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH_MM)
    ax.set_ylim(0, HEIGHT_MM)
    ax.axis("off")
    _grid(ax)

    traces, ticks = [], []
    col_s = SECONDS / 4
    for row in range(4):
        base = HEIGHT_MM - TOP_MM - ROW_MM * (row + 0.5)
        # 1 mV x 0.2 s calibration pulse
        x0 = 2.0
        traces.append(
            [
                (x0, base),
                (x0 + 1, base),
                (x0 + 1, base + MM_PER_MV),
                (x0 + 6, base + MM_PER_MV),
                (x0 + 6, base),
                (x0 + 7, base),
            ]
        )
        columns = LAYOUT[row] if row < 3 else (RHYTHM_LEAD,)
        span = col_s if row < 3 else SECONDS
        for col, lead in enumerate(columns):
            x_start = LEFT_MM + col * col_s * MM_PER_S
            label = lead
            if part.has_lead(lead):
                a = int(round(col * span * fs))
                b = min(part.n_samples, int(round((col + 1) * span * fs)) + (1 if row < 3 else 0))
                y = part.lead(lead)[a:b].astype(np.float64)
                if len(y) >= 2:
                    x = x_start + np.arange(len(y)) / fs * MM_PER_S
                    traces.append(np.column_stack([x, base + y * MM_PER_MV]))
            else:
                label = f"{lead} (absent)"
            ax.text(x_start + 1.0, base + 12.0, label, fontsize=9, fontweight="bold", family="DejaVu Sans")
            if col > 0:
                ticks.append([(x_start, base - 3), (x_start, base + 3)])
    ax.add_collection(LineCollection(traces, colors="black", linewidths=0.8))
    ax.add_collection(LineCollection(ticks, colors="black", linewidths=0.8))
    ax.text(LEFT_MM, 2.5, f"{MM_PER_S:g} mm/s   {MM_PER_MV:g} mm/mV", fontsize=8, family="DejaVu Sans")

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()

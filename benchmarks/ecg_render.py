"""Time the ECG input layer on a real 10 s 12-lead record and print the figures.

    python benchmarks/ecg_render.py [--data-dir ../shared/data] [--record cinc2021/HR06000] [--repeat 5]

Target: rendering a 10 s 12-lead paper image well under 1 s (warm process); cache hits near 0.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def _time(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    repo = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=repo / ".." / "shared" / "data")
    parser.add_argument("--record", default="cinc2021/HR06000", help="path under <data-dir>/ecg_signals")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    t0 = time.perf_counter()
    from harness.ecg import present, read_record
    from harness.ecg.modalities.image import render_png
    from harness.ecg.modalities.signal_text import signal_text

    ecg = read_record(args.data_dir / "ecg_signals" / args.record)
    t_read = time.perf_counter() - t0
    print(f"record {ecg.record_id}: {ecg.signal.shape[1]} leads, {ecg.fs:g} Hz, {ecg.duration_s:.1f} s")
    print(f"import + read_record (cold process):        {t_read:7.3f} s")

    t = time.perf_counter()
    png = render_png(ecg)
    print(f"image render, first call (imports, fonts): {time.perf_counter() - t:7.3f} s")
    c0 = time.process_time()
    warm = _time(lambda: render_png(ecg), args.repeat)
    cpu = (time.process_time() - c0) / args.repeat
    print(
        f"image render, warm (n={args.repeat}):                {statistics.median(warm):7.3f} s median, "
        f"{max(warm):.3f} s max, {cpu:.3f} s CPU  ({len(png) / 1024:.0f} KiB PNG)  target < 1 s: "
        f"{'MET' if statistics.median(warm) < 1.0 else 'NOT MET'}"
    )
    same = render_png(ecg) == png
    print(f"image bytes identical across renders:      {same}")

    t = time.perf_counter()
    signal_text(ecg)
    print(f"signal_text, first call:                   {time.perf_counter() - t:7.3f} s")
    print(
        f"signal_text, warm:                         {statistics.median(_time(lambda: signal_text(ecg), args.repeat)):7.3f} s"
    )

    with tempfile.TemporaryDirectory() as cache:
        t = time.perf_counter()
        present(ecg, "features", cache_dir=cache)
        print(f"features (NeuroKit2 delineation, 12 leads): {time.perf_counter() - t:7.3f} s (uncached)")
        hit = _time(lambda: present(ecg, "features", cache_dir=cache), args.repeat)
        print(f"features, cache hit:                       {statistics.median(hit):7.3f} s")
        present(ecg, "image", cache_dir=cache)
        hit = _time(lambda: present(ecg, "image", cache_dir=cache), args.repeat)
        print(f"image, cache hit:                          {statistics.median(hit):7.3f} s")


if __name__ == "__main__":
    main()

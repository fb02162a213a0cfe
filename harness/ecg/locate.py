"""Find a record on disk from the way benchmark files refer to it.

Benchmark files name ECGs indirectly: Heartcare writes ``ptbxl_img/06000``, ECG-Bench
``ptb-report-06000_hr-0``, others a bare PTB-XL ``ecg_id``. The same PTB-XL record is
distributed in two layouts: PhysioNet's native one (``records500/06000/06000_hr``,
``records100/06000/06000_lr``) and the CinC 2021 re-release (``HR06000``). The resolver
tries both under a list of search roots inside the data directory and returns ``None``
when the record is absent, so callers can report absent records instead of crashing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

DEFAULT_ROOTS: tuple[str, ...] = (
    "ecg_signals/cinc2021",
    "ecg_signals/ptbxl_native",
    "ptbxl",
    "ecg_signals",
)

_ID_PATTERNS = (
    re.compile(r"^ptbxl(?:_img)?/(\d{1,5})$", re.IGNORECASE),  # Heartcare: ptbxl_img/06000
    re.compile(r"(?<!\d)(\d{5})_(?:hr|lr)(?:-\d+)?(?:\.\w+)?$", re.IGNORECASE),  # 06000_hr, ECG-Bench ids
    re.compile(r"^HR(\d{5})$", re.IGNORECASE),  # CinC 2021 naming
    re.compile(r"^(\d{1,5})$"),  # bare ecg_id
)


def ptbxl_ecg_id(ref: str | int) -> int | None:
    """The PTB-XL ``ecg_id`` a reference denotes, or None if it is not a PTB-XL reference."""
    if isinstance(ref, int):
        return ref if ref > 0 else None
    text = str(ref).strip()
    for pattern in _ID_PATTERNS:
        match = pattern.search(text)
        if match:
            value = int(match.group(1))
            return value if value > 0 else None
    return None


def ptbxl_candidates(ecg_id: int) -> list[str]:
    """Relative record paths (without extension) under one root, best first (500 Hz before 100 Hz)."""
    folder = f"{ecg_id // 1000 * 1000:05d}"
    return [
        f"records500/{folder}/{ecg_id:05d}_hr",
        f"HR{ecg_id:05d}",
        f"{ecg_id:05d}_hr",
        f"records100/{folder}/{ecg_id:05d}_lr",
        f"{ecg_id:05d}_lr",
    ]


def _exists(base: Path) -> bool:
    return base.with_name(base.name + ".hea").is_file()


def locate_record(data_dir: str | Path, ref: str | int, roots: Sequence[str] = DEFAULT_ROOTS) -> Path | None:
    """Path (without extension) of the record ``ref`` denotes under ``data_dir``, or None if absent.

    ``ref`` may be a PTB-XL reference (``ptbxl_img/06000``, ``06000_hr``, ``HR06000``, ``6000``)
    or a record path relative to a root or to ``data_dir`` (``cinc2021/E07500``). Roots are tried
    in order; inside each root the 500 Hz version is preferred.
    """
    data_dir = Path(data_dir)
    roots = [data_dir / r for r in roots] + [data_dir]
    ecg_id = ptbxl_ecg_id(ref)
    if ecg_id is not None:
        for root in roots:
            for rel in ptbxl_candidates(ecg_id):
                if _exists(root / rel):
                    return root / rel
    text = str(ref).strip()
    if text and not text.startswith("/") and ".." not in Path(text).parts:
        stem = text[:-4] if text.lower().endswith((".hea", ".dat", ".mat")) else text
        for root in roots:
            if _exists(root / stem):
                return root / stem
    return None

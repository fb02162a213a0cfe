"""Find a record on disk from the way benchmark files refer to it.

Benchmark files name ECGs indirectly: Heartcare writes ``ptbxl_img/06000``, ECG-Bench
``ptb-report-06000_hr-0``, others a bare PTB-XL ``ecg_id``. The same PTB-XL record is
distributed in two layouts: PhysioNet's native one (``records500/06000/06000_hr``,
``records100/06000/06000_lr``) and the CinC 2021 re-release (``HR06000``). The resolver
tries both under a list of search roots inside the data directory and returns ``None``
when the record is absent, so callers can report absent records instead of crashing.
:func:`database_record` names the record a reference denotes inside a PhysioNet database, so a
missing one can be fetched (:mod:`harness.ecg.fetch`) into a mirror that is searched like a root.
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


def database_record(database: str, ref: str | int) -> str | None:
    """The record path (no extension) ``ref`` denotes in a PhysioNet database, or None if it names none.

    PTB-XL: ``ptbxl_img/06000`` -> ``records500/06000/06000_hr`` (a ``_lr`` reference -> ``records100``);
    other databases (MIMIC-IV-ECG, ...): a reference that is already a record path in the database
    (``files/p1802/p18029015/s49722328/49722328``), taken as is.
    """
    if database == "ptb-xl":
        ecg_id = ptbxl_ecg_id(ref)
        if ecg_id is None:
            return None
        folder = f"{ecg_id // 1000 * 1000:05d}"
        if re.search(r"_lr(?:-\d+)?(?:\.\w+)?$", str(ref), re.IGNORECASE):
            return f"records100/{folder}/{ecg_id:05d}_lr"
        return f"records500/{folder}/{ecg_id:05d}_hr"
    text = str(ref).strip().lstrip("/")
    if not text or ".." in Path(text).parts or "/" not in text:
        return None
    return text[:-4] if text.lower().endswith((".hea", ".dat")) else text


def _exists(base: Path) -> bool:
    return base.with_name(base.name + ".hea").is_file()


def locate_record(
    data_dir: str | Path | None, ref: str | int, roots: Sequence[str] = DEFAULT_ROOTS, extra: Sequence[Path] = ()
) -> Path | None:
    """Path (without extension) of the record ``ref`` denotes under ``data_dir``, or None if absent.

    ``ref`` may be a PTB-XL reference (``ptbxl_img/06000``, ``06000_hr``, ``HR06000``, ``6000``)
    or a record path relative to a root or to ``data_dir`` (``cinc2021/E07500``). Roots are tried
    in order; inside each root the 500 Hz version is preferred. ``extra`` folders (a PhysioNet
    mirror in the cache) are searched after the data directory.
    """
    roots = ([Path(data_dir) / r for r in roots] + [Path(data_dir)] if data_dir is not None else []) + [
        Path(e) for e in extra
    ]
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

"""The single entry point: an ECG in, OpenAI chat content parts out.

``present(ecg, "image")`` -> ``[{"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}]``
``present(ecg, "signal_text" | "features" | "featuredb")`` -> ``[{"type": "text", "text": ...}]``
``present(ecg, "raw")`` -> ``[{"type": "input_ecg", ...}]`` (see :mod:`harness.ecg.modalities.raw`)

Everything but ``raw`` is cached on disk (``cache_dir``; default
:func:`harness.ecg.cache.default_cache_dir`, ``False`` disables), keyed by the sha256 of the samples
plus the options, so re-runs are instant.
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import Callable
from typing import Any

from harness.ecg.cache import cache_key, get_cache
from harness.ecg.record import ECG

MODALITIES: tuple[str, ...] = ("image", "signal_text", "features", "featuredb", "raw")


def _image(ecg: ECG, cache_dir: Any = None, **options: Any) -> list[dict[str, Any]]:
    png = cached_image(ecg, cache_dir=cache_dir, **options)
    return [{"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()}}]


def cached_image(ecg: ECG, cache_dir: Any = None, **options: Any) -> bytes:
    """PNG bytes of :func:`~harness.ecg.modalities.image.render_png`, from the disk cache if there."""
    from harness.ecg.modalities import image

    _check_options("image", image.render_png, options)
    key = cache_key(ecg.fingerprint(), "image", options, image.VERSION)
    return get_cache(cache_dir).get_or_compute("image", key, lambda: image.render_png(ecg, **options))


def _signal_text(ecg: ECG, cache_dir: Any = None, **options: Any) -> list[dict[str, Any]]:
    from harness.ecg.modalities import signal_text

    _check_options("signal_text", signal_text.signal_text, options)
    key = cache_key(ecg.fingerprint(), "signal_text", options, signal_text.VERSION)
    data = get_cache(cache_dir).get_or_compute(
        "signal_text", key, lambda: signal_text.signal_text(ecg, **options).encode()
    )
    return [{"type": "text", "text": data.decode()}]


def _features(ecg: ECG, cache_dir: Any = None, **options: Any) -> list[dict[str, Any]]:
    from harness.ecg.modalities import features

    _check_options("features", features.features_text, options)
    return [{"type": "text", "text": features.features_text(ecg, cache_dir=cache_dir, **options)}]


def _featuredb(ecg: ECG, cache_dir: Any = None, **options: Any) -> list[dict[str, Any]]:
    from harness.ecg.modalities import features

    _check_options("featuredb", features.featuredb_text, options)
    return [{"type": "text", "text": features.featuredb_text(ecg, cache_dir=cache_dir, **options)}]


def _raw(ecg: ECG, cache_dir: Any = None, **options: Any) -> list[dict[str, Any]]:
    from harness.ecg.modalities import raw

    _check_options("raw", raw.raw_part, options)
    return [raw.raw_part(ecg, **options)]


_DISPATCH: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "image": _image,
    "signal_text": _signal_text,
    "features": _features,
    "featuredb": _featuredb,
    "raw": _raw,
}


def _check_options(modality: str, func: Callable[..., Any], options: dict[str, Any]) -> None:
    allowed = [p for p in inspect.signature(func).parameters if p not in {"ecg", "cache_dir"}]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(f"modality {modality!r} has no option(s) {unknown}; it accepts {allowed}")


def present(ecg: ECG, modality: str, cache_dir: Any = None, **options: Any) -> list[dict[str, Any]]:
    """Content parts showing ``ecg`` in ``modality`` (one of :data:`MODALITIES`)."""
    try:
        handler = _DISPATCH[modality]
    except KeyError:
        raise ValueError(f"unknown ECG modality {modality!r}; choose one of {list(MODALITIES)}") from None
    return handler(ecg, cache_dir=cache_dir, **options)

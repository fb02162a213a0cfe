"""The settings every source reads: the cache folder, offline mode and each host's base URL.

Base URLs are settings so a mirror (or a test replica on 127.0.0.1) can stand in for a host; the
task files keep the canonical URLs, and the cache is keyed by those, so a file fetched through a
mirror is the same cache entry as one fetched from the host.

| setting | default | used by |
|---|---|---|
| ``HARNESS_CACHE_DIR`` (``cache_dir=``) | ``~/.cache/ecg-harness`` | every source but the Hub |
| ``HARNESS_OFFLINE`` (``offline=true``) | off | every source: nothing is downloaded |
| ``HF_HUB_OFFLINE`` | off | the Hub (``huggingface_hub``'s own switch) |
| ``HF_ENDPOINT`` | ``https://huggingface.co`` | the Hub |
| ``HF_TOKEN`` | the token of ``hf auth login`` | gated Hub datasets |
| ``HF_HUB_CACHE`` / ``HF_HOME`` | ``~/.cache/huggingface/hub`` | where Hub files are kept |
| ``HARNESS_PHYSIONET_URL`` | ``https://physionet.org`` | PhysioNet (``wfdb``'s index and content URLs) |
| ``HARNESS_GITHUB_RAW_URL`` | ``https://raw.githubusercontent.com`` | URLs on GitHub's raw file host |
"""

from __future__ import annotations

import os
from pathlib import Path

GITHUB_RAW = "https://raw.githubusercontent.com"
PHYSIONET = "https://physionet.org"
HUB = "https://huggingface.co"
_TRUE = {"1", "true", "yes", "on"}


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def offline_requested(offline: bool = False) -> bool:
    """True when nothing may be downloaded (``offline=true`` or ``HARNESS_OFFLINE``)."""
    return bool(offline) or _flag("HARNESS_OFFLINE")


def hub_offline(offline: bool = False) -> bool:
    """True when the Hub may not be asked (the harness's offline mode or ``HF_HUB_OFFLINE``)."""
    return offline_requested(offline) or _flag("HF_HUB_OFFLINE")


def hub_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or HUB).rstrip("/")


def hub_token() -> str | None:
    """``HF_TOKEN`` when set; otherwise ``huggingface_hub`` falls back to the token of ``hf auth login``."""
    return os.environ.get("HF_TOKEN") or None


def hub_cache() -> Path:
    """``huggingface_hub``'s cache folder, read at call time (``HF_HUB_CACHE``, else ``HF_HOME/hub``)."""
    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return Path(home).expanduser() / "hub"


def physionet_url() -> str:
    return (os.environ.get("HARNESS_PHYSIONET_URL") or PHYSIONET).rstrip("/")


def mirrored(url: str) -> str:
    """``url`` with GitHub's raw host replaced by ``HARNESS_GITHUB_RAW_URL`` (when set)."""
    mirror = os.environ.get("HARNESS_GITHUB_RAW_URL")
    if mirror and url.startswith(GITHUB_RAW + "/"):
        return mirror.rstrip("/") + url[len(GITHUB_RAW) :]
    return url

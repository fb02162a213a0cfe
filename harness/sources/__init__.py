"""Where benchmark data comes from: one small module per host, each driving the host's own library.

| module | host | library |
|---|---|---|
| :mod:`harness.sources.url` | any pinned URL (GitHub raw files) | :mod:`harness.sources.download` (urllib: no host library exists) |
| :mod:`harness.sources.hub` | the Hugging Face Hub | ``huggingface_hub`` (cache, tokens, offline mode), ``pyarrow`` for row groups |
| :mod:`harness.sources.physionet` | PhysioNet | ``wfdb``'s download functions, checked against ``SHA256SUMS.txt`` |

Task YAML declares the sources (``dataset.url``, ``dataset.hub``, ``ecg.physionet``); the task layer
looks in the data directory, then in the cache, then asks the source. Everything a source
downloads lands in the user cache (``cache_dir``, :func:`cache_root`), except Hub files, which
``huggingface_hub`` keeps in its own cache. Settings (:mod:`harness.sources.settings`): the
harness's ``offline`` flag (``HARNESS_OFFLINE``), ``HF_HUB_OFFLINE``, ``HF_ENDPOINT``, ``HF_TOKEN``,
``HARNESS_PHYSIONET_URL`` and ``HARNESS_GITHUB_RAW_URL``.
"""

from __future__ import annotations

from harness.paths import cache_root
from harness.sources.settings import offline_requested

__all__ = ["cache_root", "offline_requested"]

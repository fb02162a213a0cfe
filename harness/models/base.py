"""What a model backend is: something that turns a :class:`Request` into a :class:`Response`.

Backends live in ``plugins/models`` (or a third-party package) and are registered through the
``harness_model_backends`` hook. They are async; blocking backends run their work in a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from harness.models.config import ModelConfig

Message = dict[str, Any]  # OpenAI chat format; ``content`` is a str or a list of content parts


@dataclass(frozen=True)
class Request:
    """One model call. ``key`` identifies it in the cache together with the model identity."""

    id: str
    messages: list[Message]
    params: dict[str, Any] = field(default_factory=dict)
    # Extra inputs for backends that accept them (e.g. raw ECG arrays); not sent as text.
    extras: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        if other.cost_usd is not None:
            self.cost_usd = (self.cost_usd or 0.0) + other.cost_usd


@dataclass
class Response:
    """A model's answer, or the reason there is none (``error``). Never both empty."""

    text: str | None
    error: str | None = None
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    cached: bool = False
    truncated: bool = False  # the text was cut at the run's max_answer_bytes
    retries: int = 0  # attempts after the first (transport backends report it)
    rate_limited: int = 0  # of which answered 429

    def capped(self, max_bytes: int | None) -> Response:
        """This response with its text cut to ``max_bytes`` of UTF-8 (at a character boundary):
        a runaway answer is scored and stored once, bounded, and flagged."""
        if max_bytes is None or self.text is None or len(self.text) * 4 <= max_bytes:
            return self
        data = self.text.encode("utf-8")
        if len(data) <= max_bytes:
            return self
        self.text = data[:max_bytes].decode("utf-8", errors="ignore")
        self.truncated = True
        return self


class ModelError(Exception):
    """A request failed for good (after the backend's retries)."""


class EndpointUnreachable(ModelError):
    """The model's endpoint cannot be reached at all: the run stops instead of failing every sample."""


@runtime_checkable
class Model(Protocol):
    """A backend instance bound to one model config."""

    config: ModelConfig

    @property
    def identity(self) -> dict[str, Any]:
        """Everything that changes the answer: backend, model, endpoint, generation defaults."""
        ...

    async def generate(self, request: Request) -> Response:
        """Answer one request; raise :class:`ModelError` on a permanent failure."""
        ...

    async def aclose(self) -> None:
        """Release connections, threads and loaded weights."""
        ...


BackendFactory = Callable[["ModelConfig"], Model]


@runtime_checkable
class SupportsFit(Protocol):
    """Optional: a model that must see the task's items before answering (e.g. the retrieval baseline).

    When a model has ``fit``, the runner calls it once before the first ``generate`` (and before
    reading ``identity``, which may then depend on the corpus) with every item of the task run as
    ``(request id, prompt text, reference)``.
    """

    def fit(self, corpus: list[tuple[str, str, str]]) -> None: ...

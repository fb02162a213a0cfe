"""What the stub saw, so a test can assert on the traffic itself (concurrency, statuses, faults, bodies)."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class StubStats:
    """What the server saw. Updated on the server's loop; read it from tests after the calls."""

    requests: int = 0  # completion requests received (any outcome)
    completed: int = 0  # answered 200
    status_counts: Counter = field(default_factory=Counter)  # HTTP status -> count
    dropped: int = 0
    hung: int = 0
    faults: Counter = field(default_factory=Counter)  # injected fault kind -> count
    in_flight: int = 0
    max_in_flight: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    streamed: int = 0
    tokens_charged: int = 0  # what a rate limit charged admitted requests (prompt + max_tokens)
    models: Counter = field(default_factory=Counter)
    bodies: deque = field(default_factory=lambda: deque(maxlen=1000))
    images: deque = field(default_factory=lambda: deque(maxlen=1000))
    images_valid: int = 0
    images_invalid: int = 0
    errors: list[str] = field(default_factory=list)  # bad requests and responder exceptions

    def snapshot(self) -> StubStats:
        """A copy that later requests do not change."""
        return StubStats(
            requests=self.requests,
            completed=self.completed,
            status_counts=Counter(self.status_counts),
            dropped=self.dropped,
            hung=self.hung,
            faults=Counter(self.faults),
            in_flight=self.in_flight,
            max_in_flight=self.max_in_flight,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            streamed=self.streamed,
            tokens_charged=self.tokens_charged,
            models=Counter(self.models),
            bodies=deque(self.bodies, maxlen=self.bodies.maxlen),
            images=deque(self.images, maxlen=self.images.maxlen),
            images_valid=self.images_valid,
            images_invalid=self.images_invalid,
            errors=list(self.errors),
        )

    def __getitem__(self, key: str) -> Any:
        """Mapping-style access (``stats["requests"]``); ``"status"`` is ``status_counts``."""
        name = "status_counts" if key == "status" else key
        if name not in self.__dataclass_fields__:
            raise KeyError(f"{key!r}: StubStats has {sorted(self.__dataclass_fields__)}")
        return getattr(self, name)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (without bodies), as served by ``GET /stub/stats``."""
        out = {k: v for k, v in asdict(self).items() if k not in ("bodies", "images")}
        out["status_counts"] = {str(k): v for k, v in self.status_counts.items()}
        out["faults"] = dict(self.faults)
        out["models"] = dict(self.models)
        out["errors"] = self.errors[-50:]
        return out


@dataclass(frozen=True)
class ImageCheck:
    valid: int
    invalid: int
    errors: list[str]

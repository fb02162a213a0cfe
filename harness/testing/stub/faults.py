"""Deterministic fault injection, so a test of retries fails the same way on every run.

A rate draws from a seeded RNG once per request in arrival order, ``every:N`` hits every N-th
request, ``first:N`` fails the first N attempts of every distinct request body (each request
succeeds after exactly N retries, whatever the concurrency).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_FAULT_KINDS = ("drop", "hang")


@dataclass(frozen=True)
class FaultRule:
    """One fault: ``kind`` is an HTTP status ("429", "503", ...) or "drop" / "hang".

    Exactly one trigger: ``rate`` (probability per request, seeded RNG), ``every`` (every N-th
    request) or ``first`` (the first N attempts of every distinct request body).
    """

    kind: str
    rate: float = 0.0
    every: int = 0
    first: int = 0

    def __post_init__(self) -> None:
        kind = str(self.kind)
        object.__setattr__(self, "kind", kind)
        if kind not in _FAULT_KINDS and not (kind.isdigit() and 400 <= int(kind) <= 599):
            raise ValueError(f"fault kind {kind!r}: expected an HTTP error status 400-599, 'drop' or 'hang'")
        triggers = [bool(self.rate), bool(self.every), bool(self.first)]
        if sum(triggers) != 1:
            raise ValueError(f"fault {kind!r}: give exactly one of rate, every, first")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault {kind!r}: rate must be in [0, 1], got {self.rate}")
        if self.every < 0 or self.first < 0:
            raise ValueError(f"fault {kind!r}: every/first must be positive")


FaultSpec = float | int | str | FaultRule


def _parse_trigger(kind: str, value: FaultSpec) -> FaultRule:
    if isinstance(value, FaultRule):
        return value
    if isinstance(value, bool):
        raise ValueError(f"fault {kind!r}: {value!r} is not a rate, every:N or first:N")
    if isinstance(value, int):
        return FaultRule(kind, every=value)
    if isinstance(value, float):
        return FaultRule(kind, rate=value)
    text = str(value).strip()
    for name in ("every", "first"):
        if text.startswith(name + ":"):
            try:
                n = int(text[len(name) + 1 :])
            except ValueError:
                raise ValueError(f"fault {kind!r}: {text!r} needs an integer after '{name}:'") from None
            return FaultRule(kind, **{name: n})
    try:
        return FaultRule(kind, rate=float(text))
    except ValueError:
        raise ValueError(f"fault {kind!r}: {text!r} is not a rate (0.1), every:N or first:N") from None


def parse_faults(spec: Mapping[str, FaultSpec] | Sequence[FaultRule] | str | None) -> list[FaultRule]:
    """Normalise ``{"429": 0.1, "503": "every:20", "drop": "first:1"}``, a rule list or the CLI form
    ``"429=0.1,503=every:20"``. Rates together may not exceed 1."""
    if spec is None or spec == "" or spec == {}:
        return []
    if isinstance(spec, str):
        pairs = []
        for item in spec.split(","):
            if not item.strip():
                continue
            kind, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"fault {item!r}: expected KIND=VALUE, e.g. 429=0.1 or 503=every:20")
            pairs.append((kind.strip(), value.strip()))
        parsed = [_parse_trigger(k, v) for k, v in pairs]
    elif isinstance(spec, Mapping):
        parsed = [_parse_trigger(str(k), v) for k, v in spec.items()]
    else:
        parsed = [r if isinstance(r, FaultRule) else _bad_rule(r) for r in spec]
    total = sum(r.rate for r in parsed)
    if total > 1.0 + 1e-12:
        raise ValueError(f"fault rates add up to {total:g} > 1")
    return parsed


def _bad_rule(rule: Any) -> FaultRule:
    raise ValueError(f"faults: expected FaultRule items, got {rule!r}")


class _FaultSchedule:
    """Decides, per request, which fault (if any) it gets. Runs on the server's loop only."""

    def __init__(self, rules_: list[FaultRule], seed: int) -> None:
        self.rules = rules_
        self.rng = random.Random(seed)
        self.attempts: dict[bytes, int] = {}
        self.need_digest = any(r.first for r in rules_)
        self.count = 0  # well-formed requests seen; "every:N" counts these

    def pick(self, body: bytes) -> str | None:
        if not self.rules:
            return None
        self.count += 1
        n = self.count
        u = self.rng.random()  # always drawn: the sequence depends on the request count alone
        attempt = 0
        if self.need_digest:
            digest = hashlib.blake2b(body, digest_size=16).digest()
            attempt = self.attempts.get(digest, 0)
            self.attempts[digest] = attempt + 1
        edge = 0.0
        for rule in self.rules:
            if rule.every and n % rule.every == 0:
                return rule.kind
            if rule.first and attempt < rule.first:
                return rule.kind
            if rule.rate:
                edge += rule.rate
                if u < edge:
                    return rule.kind
        return None

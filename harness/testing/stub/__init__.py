"""The OpenAI-compatible test server, one concept per module: responders, faults, images, stats,
server, cli. Tests and plugins import it through :mod:`harness.testing.openai_stub` (``docs/testing.md``).
"""

from harness.testing.stub.faults import FaultRule, parse_faults
from harness.testing.stub.images import ImageInfo, check_images
from harness.testing.stub.ratelimit import RateLimit
from harness.testing.stub.responders import (
    Reply,
    by_model,
    conversation_text,
    cycle,
    echo,
    fixed,
    last_user_text,
    rules,
)
from harness.testing.stub.server import OpenAIStub
from harness.testing.stub.stats import StubStats

__all__ = [
    "FaultRule",
    "ImageInfo",
    "OpenAIStub",
    "RateLimit",
    "Reply",
    "StubStats",
    "by_model",
    "check_images",
    "conversation_text",
    "cycle",
    "echo",
    "fixed",
    "last_user_text",
    "parse_faults",
    "rules",
]

"""A real OpenAI-compatible HTTP server with scripted answers, latency and fault injection.

This module is the stable import path and the ``python -m harness.testing.openai_stub`` entry point
that tests, benchmarks and plugins use; the code lives in :mod:`harness.testing.stub`, one concept
per module. Usage, endpoints, faults and the command line: ``docs/testing.md``.
"""

from __future__ import annotations

import sys

from harness.testing.stub import *  # noqa: F403 - the same public names as before the split
from harness.testing.stub import __all__  # noqa: F401
from harness.testing.stub.cli import main
from harness.testing.stub.faults import FaultSpec  # noqa: F401 - public type aliases, for annotations
from harness.testing.stub.responders import Answer, Responder, RuleAnswer  # noqa: F401
from harness.testing.stub.stats import ImageCheck  # noqa: F401

if __name__ == "__main__":
    sys.exit(main())

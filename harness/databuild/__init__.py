"""Data engines: commands that build benchmark items from label tables and real records.

``python -m harness build NAME ARGS``; each engine is a module with ``main(args)``.
"""

from __future__ import annotations

import importlib

from harness.errors import HarnessError, suggest

ENGINES = {"heartcare": "harness.databuild.heartcare"}


def main(args: list[str]) -> None:
    if not args or args[0] in ("-h", "--help"):
        print("usage: python -m harness build ENGINE [--help]\nengines: " + ", ".join(sorted(ENGINES)))
        return
    name, rest = args[0], args[1:]
    if name not in ENGINES:
        raise HarnessError(suggest(name, ENGINES, what="data engine"))
    importlib.import_module(ENGINES[name]).main(rest)

"""Built-in judge rubrics: every ``judges/<name>/rubric.yaml`` is one rubric.

Adding a rubric is adding a folder: ``rubric.yaml`` (criteria, totals, Jinja2 prompts) and, only
if a benchmark needs custom logic, a ``class:`` key naming a :class:`~harness.judging.rubric.Rubric`
subclass. See ``docs/judges.md``.
"""

from __future__ import annotations

from pathlib import Path

from harness.hookspecs import hookimpl

HERE = Path(__file__).resolve().parent


@hookimpl
def harness_judges() -> list:
    from harness.judging.loading import load_rubric_dir

    return load_rubric_dir(HERE)

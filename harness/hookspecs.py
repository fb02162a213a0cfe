"""Hook specifications: every extension point of the harness, in one place.

Modelled on pytest's ``hookspec.py``. Built-in plugins (``harness.plugins``, ``harness.judges``)
implement these exactly as third-party packages do; third parties register a module or object
under the ``ecg_harness`` entry-point group and are discovered at start-up.

Registration hooks return lists; the registry flattens the results of all plugins, and a name
registered twice is an error that names both plugins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # imported for annotations only: keeps start-up cheap
    from pathlib import Path

    from harness.judging.rubric import Rubric
    from harness.metrics.base import Metric
    from harness.models.base import BackendFactory
    from harness.task.dataset import DatasetLoader

PROJECT = "ecg_harness"
ENTRY_POINT_GROUP = "ecg_harness"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- registration ------------------------------------------------------------------------


@hookspec
def harness_task_dirs() -> list[Path]:
    """Folders of task YAML files (``*.yaml``, searched recursively) this plugin contributes."""


@hookspec
def harness_model_config_dirs() -> list[Path]:
    """Folders of model config YAML files (one model per file, selected by ``model=NAME``)."""


@hookspec
def harness_model_backends() -> list[tuple[str, BackendFactory]]:
    """``(backend name, factory)`` pairs; a model config's ``backend:`` key picks one.

    The factory is called with the validated :class:`~harness.models.config.ModelConfig`
    and returns a :class:`~harness.models.base.Model`. Import heavy libraries inside the
    factory, not at module level.
    """


@hookspec
def harness_metrics() -> list[Metric]:
    """Metrics, referred to by name from a task's ``metrics:`` list."""


@hookspec
def harness_judges() -> list[Rubric]:
    """Judge rubrics, referred to by name from a task's ``judges:`` list."""


@hookspec
def harness_output_types() -> list[Any]:
    """Output types (generation, multiple_choice, multi_turn, ...): how a record becomes
    requests and how a response becomes a prediction. See :mod:`harness.task.output_type`."""


@hookspec
def harness_dataset_loaders() -> list[tuple[str, DatasetLoader]]:
    """``(format name, loader)`` pairs; a task's ``dataset.format`` picks one."""


# -- run lifecycle -----------------------------------------------------------------------


@hookspec
def harness_run_start(run: dict[str, Any]) -> None:
    """Called once before the first request of a task run (``run`` is its config summary)."""


@hookspec
def harness_sample_done(sample: dict[str, Any]) -> None:
    """Called after each sample is scored, with the record written to ``samples.jsonl``."""


@hookspec
def harness_run_end(results: dict[str, Any]) -> None:
    """Called after ``results.json`` is written, with its content."""

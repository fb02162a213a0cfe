"""Hook specifications: every extension point of the harness, in one place.

Modelled on pytest's ``hookspec.py``. Built-in plugins (``harness.plugins``, ``harness.judges``)
implement these exactly as third-party packages do. A third-party package registers a module (or
object) under the ``ecg_harness`` entry-point group; the harness discovers it at start-up::

    # pyproject.toml of your package
    [project.entry-points.ecg_harness]
    my_plugin = "my_package.plugin"

    # my_package/plugin.py
    from harness.hookspecs import hookimpl

    @hookimpl
    def harness_metrics():
        return [MyMetric()]

There are two kinds of hooks.

**Registration hooks** (``harness_*`` returning a list) are called once, when the registry is
first used, in registration order: the built-ins, then entry points in the order Python lists
them. Results of all plugins are combined; a name already registered keeps its first owner and the
later item is skipped with a warning naming both plugins (``python -m harness list`` shows it). A
plugin whose hook raises is reported by name and the others still register.

**Lifecycle hooks** (``harness_run_start``, ``harness_sample_done``, ``harness_run_end``) are
called during each task run, in registration order, each implementation on its own: one that
raises is reported once (in the run's warnings) and the run and the other plugins go on. They
observe a run; they cannot change it. None is ``firstresult`` or ``historic``.

See ``docs/plugins.md`` and ``examples/harness-plugin-example`` for a complete package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # imported for annotations only: keeps start-up cheap
    from harness.judging.rubric import Rubric
    from harness.metrics.base import Metric
    from harness.models.base import BackendFactory
    from harness.results.schema import Results
    from harness.task.dataset import DatasetLoader
    from harness.task.output_type import OutputType

PROJECT = "ecg_harness"
ENTRY_POINT_GROUP = "ecg_harness"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclass(frozen=True)
class RunStart:
    """What ``harness_run_start`` tells a plugin about the run that begins."""

    task: str  # the task's name
    model: str  # the model config's name
    out_dir: Path  # where results.json and samples.jsonl will be written
    n_expected: int | None  # samples the run will evaluate, when known up front


# -- registration ------------------------------------------------------------------------


@hookspec
def harness_task_dirs() -> list[Path]:
    """Folders of task YAML files this plugin contributes.

    :return: folders; every ``*.yaml`` below them (recursively) is indexed by its ``name:`` (or
        ``group:``) line and validated when used, so one malformed file does not hide the others.

    Example::

        @hookimpl
        def harness_task_dirs():
            return [Path(__file__).parent / "tasks"]
    """


@hookspec
def harness_model_config_dirs() -> list[Path]:
    """Folders of model config YAML files (one model per file, selected by ``model=NAME``).

    :return: folders; ``NAME.yaml`` in them becomes selectable as ``model=NAME`` and ``judge=NAME``
        (the file's keys are :class:`~harness.models.config.ModelConfig`).

    Example::

        @hookimpl
        def harness_model_config_dirs():
            return [Path(__file__).parent / "models"]
    """


@hookspec
def harness_model_backends() -> list[tuple[str, BackendFactory]]:
    """Model backends: ``(backend name, factory)`` pairs; a model config's ``backend:`` picks one.

    :return: pairs; the factory is called with the validated
        :class:`~harness.models.config.ModelConfig` and returns a
        :class:`~harness.models.base.Model` (``identity``, async ``generate``, ``aclose``; optional
        ``fit``). Import heavy libraries inside the factory, not at module level: ``--help`` and
        ``list`` must stay fast.

    Example::

        @hookimpl
        def harness_model_backends():
            def factory(config):
                from my_package.backend import MyModel
                return MyModel(config)
            return [("my_backend", factory)]
    """


@hookspec
def harness_metrics() -> list[Metric]:
    """Metrics, referred to by name from a task's ``metrics:`` list.

    :return: :class:`~harness.metrics.base.Metric` instances (``name``, ``compute``; optional
        ``with_args`` — by default the constructor's keyword arguments are the task's ``args`` —
        ``prepare``, ``flush``, ``aggregate``, ``info``), or functions wrapped by
        :func:`~harness.metrics.base.sample_metric`.

    Example::

        @hookimpl
        def harness_metrics():
            return [KeywordRecall()]        # metrics: [{name: keyword_recall, args: {keywords: [...]}}]
    """


@hookspec
def harness_judges() -> list[Rubric]:
    """Judge rubrics, referred to by name from a task's ``judges:`` list.

    :return: :class:`~harness.judging.rubric.Rubric` instances; a folder of ``*/rubric.yaml``
        files is registered with :func:`harness.judging.loading.load_rubric_dir`. A task may set
        a rubric's run settings (:class:`~harness.judging.rubric.RubricArgs`), never its criteria.

    Example::

        @hookimpl
        def harness_judges():
            from harness.judging.loading import load_rubric_dir
            return load_rubric_dir(Path(__file__).parent / "judges")
    """


@hookspec
def harness_output_types() -> list[OutputType]:
    """Output types: how a record becomes requests and an answer a prediction.

    :return: :class:`~harness.task.output_type.OutputType` instances (``name``, ``Settings`` —
        the typed ``output:`` block —, ``items(ctx)``, ``extract(item, text)``; optional
        ``summarize(records, seed=...)`` and ``one_item_per_record``).

    Example::

        @hookimpl
        def harness_output_types():
            return [YesNo()]                 # output_type: yes_no / output: {yes: [yes, y]}
    """


@hookspec
def harness_dataset_loaders() -> list[tuple[str, DatasetLoader]]:
    """Dataset formats: ``(format name, loader)`` pairs; a task's ``dataset.format`` picks one.

    :return: pairs; a loader is a :class:`~harness.task.dataset.Loader` (``read(path, settings)``
        yielding records, and ``Settings``, the typed ``dataset.options``) or a plain function
        ``(path, options) -> records`` that takes no options.

    Example::

        @hookimpl
        def harness_dataset_loaders():
            return [("xml_reports", Loader(read_reports, ReportOptions))]
    """


# -- run lifecycle -----------------------------------------------------------------------


@hookspec
def harness_run_start(run: RunStart) -> None:
    """Called once per task run, after the model is ready and before its first request.

    :param run: the task, the model config's name, the output folder and the expected sample count.

    Example::

        @hookimpl
        def harness_run_start(run):
            print(f"starting {run.task} on {run.model}")
    """


@hookspec
def harness_sample_done(sample: Mapping[str, Any]) -> None:
    """Called after each sample is scored, in sample order, with the record written to
    ``samples.jsonl`` (the fields of :class:`~harness.results.schema.SampleRecord`).

    Runs on the run's event loop: keep it cheap (queue the work, don't block).

    :param sample: the sample record (read-only).

    Example::

        @hookimpl
        def harness_sample_done(sample):
            if sample["error"]:
                print("failed:", sample["id"])
    """


@hookspec
def harness_run_end(results: Results) -> None:
    """Called once per task run, after ``results.json`` is written.

    :param results: the run's validated results (``results.status``, ``results.metrics``, ...).

    Example::

        @hookimpl
        def harness_run_end(results):
            print(results.task.name, results.status.state)
    """

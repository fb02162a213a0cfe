"""A task ready to run: its validated spec, its resolved data, compiled templates and output type."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import DataError, HarnessError, TaskFileError, suggest
from harness.hashing import fingerprint
from harness.settings import validate_settings
from harness.task.dataset import Doc, Loader, ResolvedData, as_loader, count_records, iter_docs, resolve_data_file
from harness.task.output_type import Item, ItemContext, OutputType
from harness.task.prompt import Expression, Template
from harness.task.spec import TaskSpec

if TYPE_CHECKING:
    from harness.registry import Registry


@dataclass(frozen=True)
class Selection:
    """Which records of a task run: the first ``limit``, or a seeded random ``sample``."""

    limit: int | None = None
    sample: int | None = None
    seed: int = 1234
    shard: tuple[int, int] | None = None  # (index, count): every count-th record from index

    def sampled(self, total: int) -> set[int]:
        """The positions ``sample=N`` keeps out of ``total`` records (the same draw for every reader)."""
        import numpy as np

        n = min(self.sample or 0, total)
        return set(np.random.default_rng(self.seed).choice(total, size=n, replace=False).tolist())

    def positions(self, total: int) -> list[int]:
        """The positions (in file order) ``sample`` and ``limit`` select out of ``total`` records."""
        chosen = sorted(self.sampled(total)) if self.sample is not None else range(total)
        return list(chosen)[: self.limit] if self.limit is not None else list(chosen)

    def count(self, total: int) -> int:
        """How many of ``total`` available records a run with this selection evaluates."""
        n = min(total, self.sample) if self.sample is not None else total
        n = min(n, self.limit) if self.limit is not None else n
        if self.shard is not None:
            i, k = self.shard
            n = len(range(i, n, k))
        return n

    def row_request(self) -> Any:
        """What a Hub source needs to read only the selected rows; None when the run reads every record."""
        if self.limit is None and self.sample is None:
            return None
        from harness.sources.hub_repo import RowRequest

        parts = [f"sample={self.sample}", f"seed={self.seed}"] if self.sample is not None else []
        parts += [f"limit={self.limit}"] if self.limit is not None else []
        return RowRequest("-".join(parts), self.positions)


@dataclass
class Task:
    spec: TaskSpec
    source: Path
    data: ResolvedData
    output_type: OutputType
    loader: Loader
    groups: list[str] = field(default_factory=list)
    modality: str | None = None
    data_dir: Path | None = None
    cache_dir: Path | None = None
    absent_ecg: dict[str, list[str]] = field(default_factory=dict)  # sample id -> ECG references not found
    plugins: Plugins | None = field(default=None, repr=False)  # the task's configured plugins (set by load)
    _templates: dict[str, Template] = field(default_factory=dict, repr=False)
    _follow_ups: Expression | None = field(default=None, repr=False)
    _n_docs: int | None = field(default=None, repr=False)

    @classmethod
    def load(
        cls,
        name: str,
        *,
        registry: Registry,
        index: Any,
        data_dir: Path | None,
        cache_dir: Path,
        modality: str | None = None,
        offline: bool = False,
        selection: Selection | None = None,
        compat: str | None = None,
    ) -> Task:
        """The task ``name`` with its data resolved; online, what ``selection`` needs is downloaded first
        (the data file or the selected rows of a Hub split, then the ECG records of the selected samples)."""
        spec = index.load(name)
        if not isinstance(spec, TaskSpec):
            raise HarnessError(f"'{name}' is a group; run it with +task={name} (it expands to its tasks)")
        source = index.source(name)
        plugins = Plugins.configure(spec, source, registry)
        if compat is not None:  # compat=upstream|fixed, run-wide: every output type and metric that has it
            plugins = plugins.with_compat(compat, where=f"{source}: compat")
        if modality is not None:
            supported = (spec.ecg or {}).get("modalities", [])
            if modality not in supported:
                raise HarnessError(
                    f"task '{name}' does not support modality={modality}; it supports: {', '.join(supported) or 'none (text only)'}"
                )
        elif spec.ecg and spec.ecg.get("modalities"):
            modality = spec.ecg.get("default_modality", spec.ecg["modalities"][0])
        rows = selection.row_request() if selection is not None and not spec.dataset.split else None
        data = resolve_data_file(
            spec.dataset, data_dir=data_dir, cache_dir=cache_dir, task_name=name, offline=offline, rows=rows
        )
        groups = [g for g in index.groups if name in _safe_members(index, g)]
        task = cls(spec, source, data, plugins.output_type, plugins.loader, groups, modality, data_dir, cache_dir)
        task.plugins = plugins
        task._compile()
        from harness.sources import offline_requested

        if not offline_requested(offline):
            try:
                task.fetch_records(selection or Selection())
            except DataError as exc:  # the run goes on with the records at hand; the absent ones are reported
                from harness.sources.progress import note

                note(f"warning: {exc}")
        return task

    # -- prompts ----------------------------------------------------------------------------

    def _compile(self) -> None:
        where = str(self.source)
        prompt = self.spec.prompt
        if prompt.messages is not None:
            for i, message in enumerate(prompt.messages):
                self._templates[f"messages.{i}"] = Template(message.content, where=f"{where}: prompt.messages.{i}")
        else:
            if prompt.system is not None:
                self._templates["system"] = Template(prompt.system, where=f"{where}: prompt.system")
            self._templates["user"] = Template(prompt.user or "", where=f"{where}: prompt.user")
        self._reference = Expression(self.spec.reference, where=f"{where}: reference")
        if prompt.follow_ups is not None:
            if not self.output_type.one_item_per_record:
                raise TaskFileError(
                    f"{where}: prompt.follow_ups needs an output type with one item per record "
                    f"({self.spec.output_type} makes several; its own output settings say how turns are asked)"
                )
            self._follow_ups = Expression(prompt.follow_ups, where=f"{where}: prompt.follow_ups")

    def render(self, key: str, variables: dict[str, Any], *, sample: str) -> str:
        """Render one of this task's prompt templates (``system``, ``user``, ``messages.N``)."""
        return self._templates[key].render(variables, sample=sample)

    def messages(self, doc: Doc, variables: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The chat messages for a record, with the ECG attached to the last user turn."""
        variables = doc.fields if variables is None else variables
        prompt = self.spec.prompt
        if prompt.messages is not None:
            out = [
                {"role": m.role, "content": self.render(f"messages.{i}", variables, sample=doc.id)}
                for i, m in enumerate(prompt.messages)
            ]
        else:
            out = []
            if "system" in self._templates:
                out.append({"role": "system", "content": self.render("system", variables, sample=doc.id)})
            out.append({"role": "user", "content": self.render("user", variables, sample=doc.id)})
        if self.spec.ecg and self.modality:
            self._attach_ecg(out, doc)
        return out

    def _attach_ecg(self, messages: list[dict[str, Any]], doc: Doc) -> None:
        from harness.ecg.task_input import ecg_parts  # the ECG layer renders/serialises the record

        parts = ecg_parts(doc, self.spec.ecg or {}, self.modality, data_dir=self.data_dir, cache_dir=self.cache_dir)
        if not parts:  # e.g. `attach: false`: the output type put the signal into the text itself
            return
        last_user = next(m for m in reversed(messages) if m["role"] == "user")
        text = last_user["content"]
        last_user["content"] = [*parts, {"type": "text", "text": text}]

    def reference(self, doc: Doc) -> Any:
        return self._reference.evaluate(doc.fields, sample=doc.id)

    def follow_ups(self, doc: Doc) -> list[str]:
        """The later user turns of the record's conversation (``prompt.follow_ups``), in order."""
        if self._follow_ups is None:
            return []
        value = self._follow_ups.evaluate(doc.fields, sample=doc.id)
        turns = [value] if isinstance(value, str) else value
        if not isinstance(turns, (list, tuple)) or not all(isinstance(t, str) for t in turns):
            raise DataError(
                f"{self.source}: prompt.follow_ups gives {type(value).__name__} for sample {doc.id}, expected a list of strings"
            )
        return list(turns)

    @property
    def shows_ecg(self) -> bool:
        """Whether the task is about an ECG it shows the model: its ``ecg:`` block offers a
        modality other than ``text``."""
        modalities = (self.spec.ecg or {}).get("modalities") or []
        return any(m != "text" for m in modalities)

    @property
    def text_only(self) -> bool:
        """An ECG task run that sends no ECG (``modality=text``): refused unless asked for."""
        return self.shows_ecg and self.modality in (None, "text")

    @property
    def generation(self) -> dict[str, Any]:
        return dict(self.spec.generation)

    @property
    def prompt_sha256(self) -> str:
        return prompt_fingerprint(self.spec, self.modality)

    # -- records ----------------------------------------------------------------------------

    def all_docs(self) -> Iterator[Doc]:
        """Every record of the data, present ECG or not."""
        options = self.plugins.loader_options if self.plugins else None
        return iter_docs(self.spec.dataset, self.data.files, self.loader, task_name=self.spec.name, options=options)

    def present(self, docs: Iterator[Doc]) -> Iterator[Doc]:
        """``docs`` whose ECG (record or released picture) is available; the others are remembered
        in ``absent_ecg`` and reported, not run."""
        if self._checks_ecg():
            from harness.ecg.task_input import with_present_records

            docs = with_present_records(
                docs,
                self.spec.ecg or {},
                data_dir=self.data_dir,
                absent=self.absent_ecg,
                modality=self.modality,
                cache_dir=self.cache_dir,
            )
        return docs

    def fetch_records(self, selection: Selection) -> Any:
        """Download the ECG records the selected samples need from the task's declared host (``ecg.physionet``)."""
        if not self._checks_ecg() or not (self.spec.ecg or {}).get("physionet"):
            return None
        from harness.ecg.fetch import fetch_absent

        return fetch_absent(
            self.selected_raw_docs(selection),
            self.spec.ecg or {},
            data_dir=self.data_dir,
            cache_dir=self.cache_dir,
            task_name=self.spec.name,
        )

    def selected_raw_docs(self, selection: Selection) -> Iterator[Doc]:
        """The records ``limit``/``sample`` select before ECG availability is known (what to fetch for)."""
        docs = self.all_docs()
        if selection.sample is None and selection.limit is None:
            return docs
        keep = set(selection.positions(self.count_docs()))
        return (d for i, d in enumerate(docs) if i in keep)

    def data_info(self) -> dict[str, Any]:
        """``results.json['task']['data']``: where the data came from, its sha256, and the records counted."""
        return {**self.data.describe(self.spec.dataset), "n_records": self.count_docs()}

    def _checks_ecg(self) -> bool:
        if not self.spec.ecg:
            return False
        from harness.ecg.task_input import checks_presence

        return checks_presence(self.spec.ecg, self.modality)

    def ecg_report(self) -> dict[str, Any] | None:
        """Absent ECG records or pictures (count, ids, where looked) for results.json; None when nothing is required."""
        if not self._checks_ecg():
            return None
        from harness.ecg.task_input import absent_report

        return absent_report(self.absent_ecg, self.spec.ecg or {}, self.data_dir, self.modality, self.cache_dir)

    def count_docs(self) -> int:
        """Records in the data (after the task's split); counted once, without mapping their fields."""
        if self._n_docs is None:
            options = self.plugins.loader_options if self.plugins else None
            self._n_docs = count_records(
                self.spec.dataset, self.data.files, self.loader, task_name=self.spec.name, options=options
            )
        return self._n_docs

    def selected_docs(self, selection: Selection) -> Iterator[Doc]:
        """The records ``limit``/``sample`` select, in file order, that can run: a selected sample
        whose ECG is absent is reported (``absent_ecg``), never replaced by another. Streamed."""
        docs = self.all_docs()
        if selection.sample is not None:
            keep = selection.sampled(self.count_docs())
            docs = (d for i, d in enumerate(docs) if i in keep)
        if selection.limit is not None:
            docs = (d for i, d in zip(range(selection.limit), docs))
        return self.present(docs)

    def count_selected(self, selection: Selection) -> int:
        """How many samples the selection runs here (records x shard, absent ones left out)."""
        n = sum(1 for _ in self.selected_docs(selection))
        return len(range(selection.shard[0], n, selection.shard[1])) if selection.shard else n

    def context(self, doc: Doc) -> ItemContext:
        """What the output type sees of one record (never the task itself)."""
        ecg = self.spec.ecg or {}
        load = None
        if ecg:
            from harness.ecg.task_input import load_ecg

            def load(ref: str) -> Any:
                return load_ecg(ref, ecg, self.data_dir, sample=doc.id, cache_dir=self.cache_dir)

        return ItemContext(
            task=self.spec.name,
            where=str(self.source),
            doc=doc,
            settings=self.plugins.output if self.plugins else self.output_type.Settings(),
            params=self.generation,
            render_messages=lambda variables=None: self.messages(doc, variables),
            evaluate_reference=lambda: self.reference(doc),
            load_ecg=load,
            ecg_spec=ecg,
        )

    def items(self, selection: Selection) -> Iterator[Item]:
        for position, doc in enumerate(self.selected_docs(selection)):
            if selection.shard is None or position % selection.shard[1] == selection.shard[0]:
                for k, item in enumerate(self.output_type.items(self.context(doc))):
                    item.position = (position, k)
                    if self._follow_ups is not None:
                        item.follow_ups = self.follow_ups(doc)
                    yield item


def prompt_fingerprint(spec: TaskSpec, modality: str | None) -> str:
    """What results.json records as ``task.prompt_sha256``: everything that shapes the request and
    its reading (prompt, reference, output settings, generation, ECG presentation, modality)."""
    return fingerprint(
        spec.prompt.model_dump(), spec.reference, spec.output, spec.output_type, spec.generation, spec.ecg, modality
    )


@dataclass(frozen=True)
class Plugins:
    """A task's plugins, looked up by name and configured with their typed settings; any typo in a
    name or a setting is an error naming the task file and the key, before anything runs."""

    output_type: OutputType
    output: Any  # the output type's validated Settings
    loader: Loader
    loader_options: Any
    ecg: Any  # the ``ecg:`` block validated (EcgSettings), or None
    metrics: list[Any]  # configured Metric instances
    rubrics: list[Any]  # configured judge rubrics

    def with_compat(self, compat: str, *, where: str) -> Plugins:
        """These plugins with ``compat`` set wherever the output type's settings or a metric's
        arguments have it (scoring as a benchmark's released code does: ``upstream``)."""
        output = self.output
        if "compat" in type(output).model_fields:
            output = validate_settings(type(output), {**output.model_dump(), "compat": compat}, where=where)
        metrics = [
            m.with_args(compat=compat) if "compat" in inspect.signature(type(m)).parameters else m for m in self.metrics
        ]
        return dataclasses.replace(self, output=output, metrics=metrics)

    @classmethod
    def configure(cls, spec: TaskSpec, source: Path, registry: Registry) -> Plugins:
        output_type = _named(registry.output_types, spec.output_type, source, "output_type", "output type")
        loader = as_loader(_named(registry.loaders, spec.dataset.format, source, "dataset.format", "dataset format"))
        ecg = None
        if spec.ecg is not None:
            from harness.ecg.task_input import EcgSettings

            ecg = validate_settings(EcgSettings, spec.ecg, where=f"{source}: ecg")
        metrics = [
            _configured(_named(registry.metrics, r.name, source, "metrics", "metric"), r.args, source, "metrics")
            for r in spec.metrics
        ]
        rubrics = [
            _configured(_named(registry.judges, r.name, source, "judges", "judge rubric"), r.args, source, "judges")
            for r in spec.judges
        ]
        return cls(
            output_type,
            validate_settings(output_type.Settings, spec.output, where=f"{source}: output"),
            loader,
            validate_settings(loader.Settings, spec.dataset.options, where=f"{source}: dataset.options"),
            ecg,
            metrics,
            rubrics,
        )


def _named(table: dict[str, Any], name: str, source: Path, key: str, what: str) -> Any:
    if name not in table:
        raise TaskFileError(f"{source}: {key}: " + suggest(name, table, what=what))
    return table[name]


def _configured(plugin: Any, args: dict[str, Any], source: Path, key: str) -> Any:
    """A metric or rubric with the task's ``args`` (its own ``with_args`` checks them)."""
    try:
        return plugin.with_args(**args)
    except TaskFileError as exc:
        raise TaskFileError(f"{source}: {key}: {exc}") from None


def _safe_members(index: Any, group: str) -> list[str]:
    try:
        return index.expand(group)
    except HarnessError:
        return []

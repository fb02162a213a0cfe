"""The plugin manager and the registries it fills.

Built-in plugins register through the same hooks as third parties. Third-party plugins are
discovered from the ``ecg_harness`` entry-point group; one that fails to import or register is
reported by name with its error and does not break the others.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pluggy

from harness import hookspecs
from harness.errors import HarnessError

BUILTIN_PLUGINS = (
    "harness.plugins.models",
    "harness.plugins.metrics.registry",
    "harness.plugins.loaders",
    "harness.plugins.output_types",
    "harness.plugins.builtin_dirs",
    "harness.judges",
    "harness.plugins.heartcare",
    "harness.plugins.ecgbench",
)


@dataclass
class PluginFailure:
    name: str
    error: str


@dataclass
class Registry:
    """Everything the plugins contributed, by kind and name."""

    pm: pluggy.PluginManager
    failures: list[PluginFailure] = field(default_factory=list)

    # -- named registries -----------------------------------------------------------------

    @cached_property
    def metrics(self) -> dict[str, Any]:
        return self._named("harness_metrics", "metric", key=lambda m: m.name)

    @cached_property
    def judges(self) -> dict[str, Any]:
        return self._named("harness_judges", "judge rubric", key=lambda r: r.name)

    @cached_property
    def backends(self) -> dict[str, Any]:
        return self._pairs("harness_model_backends", "model backend")

    @cached_property
    def loaders(self) -> dict[str, Any]:
        return self._pairs("harness_dataset_loaders", "dataset loader")

    @cached_property
    def output_types(self) -> dict[str, Any]:
        return self._named("harness_output_types", "output type", key=lambda o: o.name)

    @cached_property
    def task_dirs(self) -> list[Path]:
        return self._dirs("harness_task_dirs")

    @cached_property
    def model_config_dirs(self) -> list[Path]:
        return self._dirs("harness_model_config_dirs")

    @property
    def hook(self) -> Any:
        return self.pm.hook

    # -- helpers --------------------------------------------------------------------------

    def _results(self, hook_name: str) -> Iterable[tuple[str, Any]]:
        """Each plugin's result for a registration hook, with the plugin's name."""
        hook = getattr(self.pm.hook, hook_name)
        for impl in reversed(hook.get_hookimpls()):  # registration order
            plugin_name = self.pm.get_name(impl.plugin) or repr(impl.plugin)
            try:
                result = impl.function()
            except Exception as exc:  # a broken plugin must not break the others
                self.failures.append(PluginFailure(plugin_name, f"{hook_name}: {type(exc).__name__}: {exc}"))
                continue
            for item in result or []:
                yield plugin_name, item

    def _named(self, hook_name: str, kind: str, *, key: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        owner: dict[str, str] = {}
        for plugin_name, item in self._results(hook_name):
            name = key(item)
            if name in found:
                raise HarnessError(f"{kind} '{name}' is registered twice: by {owner[name]} and by {plugin_name}")
            found[name], owner[name] = item, plugin_name
        return found

    def _pairs(self, hook_name: str, kind: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        owner: dict[str, str] = {}
        for plugin_name, (name, value) in self._results(hook_name):
            if name in found:
                raise HarnessError(f"{kind} '{name}' is registered twice: by {owner[name]} and by {plugin_name}")
            found[name], owner[name] = value, plugin_name
        return found

    def _dirs(self, hook_name: str) -> list[Path]:
        return [Path(d) for _, d in self._results(hook_name)]


def build_registry(*, entry_points: bool = True, extra_plugins: Iterable[Any] = ()) -> Registry:
    """Create the plugin manager: built-ins first, then installed third-party plugins."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    registry = Registry(pm)
    for module_name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    if entry_points:
        for ep in importlib.metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP):
            if pm.has_plugin(ep.name):
                continue
            try:
                pm.register(ep.load(), name=ep.name)
            except Exception as exc:
                registry.failures.append(PluginFailure(f"{ep.name} ({ep.value})", f"{type(exc).__name__}: {exc}"))
    for plugin in extra_plugins:
        pm.register(plugin)
    return registry


_REGISTRY: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry (built on first use)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = build_registry()
    return _REGISTRY

"""The plugin manager and the registries it fills.

Built-in plugins register through the same hooks as third parties. Third-party plugins are
discovered from the ``ecg_harness`` entry-point group. Every hook call is isolated: a plugin that
fails to import, to register or in a lifecycle hook is reported once by name with its error and
does not break the others. Registration hooks are read in registration order (built-ins, then
entry points in the order Python lists them, then extra plugins), and a name already taken keeps
its first owner: the later item is skipped with a warning naming both plugins.
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
    warnings: list[str] = field(default_factory=list)  # e.g. a name registered twice
    _reported: set[tuple[str, str]] = field(default_factory=set)  # (plugin, hook) failures already reported

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
        """The lifecycle hooks, each call isolated per plugin: ``registry.hook.harness_run_start(run=...)``."""
        return _IsolatedHooks(self)

    def call(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call every implementation of a hook, one at a time, in registration order; a plugin
        that raises is reported once (``failures``) and the others still run."""
        results = []
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            try:
                results.append(impl.function(**{k: kwargs[k] for k in impl.argnames}))
            except Exception as exc:
                self._fail(impl, hook_name, exc)
        return results

    def _fail(self, impl: Any, hook_name: str, exc: Exception) -> None:
        plugin_name = self.pm.get_name(impl.plugin) or repr(impl.plugin)
        if (plugin_name, hook_name) not in self._reported:
            self._reported.add((plugin_name, hook_name))
            self.failures.append(PluginFailure(plugin_name, f"{hook_name}: {type(exc).__name__}: {exc}"))

    # -- helpers --------------------------------------------------------------------------

    def _results(self, hook_name: str) -> Iterable[tuple[str, Any]]:
        """Each plugin's result for a registration hook, with the plugin's name."""
        hook = getattr(self.pm.hook, hook_name)
        for impl in hook.get_hookimpls():  # registration order (pluggy lists them first-registered first)
            plugin_name = self.pm.get_name(impl.plugin) or repr(impl.plugin)
            try:
                result = impl.function()
            except Exception as exc:  # a broken plugin must not break the others
                self._fail(impl, hook_name, exc)
                continue
            for item in result or []:
                yield plugin_name, item

    def _named(self, hook_name: str, kind: str, *, key: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        owner: dict[str, str] = {}
        for plugin_name, item in self._results(hook_name):
            self._add(found, owner, key(item), item, plugin_name, kind)
        return found

    def _pairs(self, hook_name: str, kind: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        owner: dict[str, str] = {}
        for plugin_name, (name, value) in self._results(hook_name):
            self._add(found, owner, name, value, plugin_name, kind)
        return found

    def _add(self, found: dict[str, Any], owner: dict[str, str], name: str, item: Any, plugin: str, kind: str) -> None:
        if name in found:
            self.warnings.append(
                f"{kind} '{name}' is registered by both {owner[name]} and {plugin}; {plugin}'s is skipped"
            )
            return
        found[name], owner[name] = item, plugin

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


class _IsolatedHooks:
    """``registry.hook.NAME(**kwargs)``: :meth:`Registry.call` under pluggy's calling convention."""

    def __init__(self, registry: Registry):
        self._registry = registry

    def __getattr__(self, hook_name: str) -> Any:
        return lambda **kwargs: self._registry.call(hook_name, **kwargs)


_REGISTRY: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry (built on first use)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = build_registry()
    return _REGISTRY

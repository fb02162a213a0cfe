"""Which tasks and groups exist, and which file defines each.

Indexing reads only each file's name (cheap); full validation happens when a task is used,
so one malformed third-party file does not stop every other task from running.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError, TaskFileError, suggest
from harness.task.loading import load_task_file
from harness.task.spec import GroupSpec, TaskSpec

_NAME_LINE = re.compile(r"^(name|group):\s*['\"]?([A-Za-z0-9_\-]+)['\"]?\s*$", re.MULTILINE)


@dataclass
class TaskIndex:
    tasks: dict[str, Path] = field(default_factory=dict)
    groups: dict[str, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def scan(cls, dirs: list[Path], include: list[Path] | tuple[Path, ...] = ()) -> TaskIndex:
        """Index the plugins' task folders and the run's ``include=`` folders. The files of an
        ``include=`` folder (the user's own, few) are also validated now, so a broken one is
        reported in every run, not only when it is selected."""
        index = cls()
        for folder in dirs:
            for path in sorted(Path(folder).rglob("*.yaml")):
                index._add(path)
        for folder in include:
            if not Path(folder).is_dir():
                index.problems.append(f"include={folder}: not a folder")
                continue
            for path in sorted(Path(folder).rglob("*.yaml")):
                if index._add(path):
                    index._validate(path)
        return index

    def _validate(self, path: Path) -> None:
        try:
            load_task_file(path)
        except HarnessError as exc:
            self.problems.append(str(exc))

    def _add(self, path: Path) -> bool:
        try:
            head = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}")
            return False
        match = _NAME_LINE.search(head)
        if not match:
            self.problems.append(f"{path}: no top-level `name:` (or `group:`) key")
            return False
        kind, name = match.groups()
        table = self.groups if kind == "group" else self.tasks
        if name in self.tasks or name in self.groups:
            other = self.tasks.get(name) or self.groups.get(name)
            raise HarnessError(f"task name '{name}' is defined twice: {other} and {path}")
        table[name] = path
        return True

    @property
    def names(self) -> list[str]:
        return sorted([*self.tasks, *self.groups])

    def load(self, name: str) -> TaskSpec | GroupSpec:
        path = self.tasks.get(name) or self.groups.get(name)
        if path is None:
            raise HarnessError(suggest(name, self.names, what="task"))
        spec = load_task_file(path)
        if getattr(spec, "name", getattr(spec, "group", None)) != name:
            raise TaskFileError(f"{path}: defines '{getattr(spec, 'name', None) or spec.group}', indexed as '{name}'")
        return spec

    def expand(self, name: str) -> list[str]:
        """Task names a name stands for: itself, or a group's members (recursively)."""
        if name in self.tasks:
            return [name]
        spec = self.load(name)
        assert isinstance(spec, GroupSpec)
        members: list[str] = []
        for member in spec.tasks:
            for task_name in self.expand(member):
                if task_name not in members:
                    members.append(task_name)
        return members

    def source(self, name: str) -> Path:
        return self.tasks.get(name) or self.groups[name]

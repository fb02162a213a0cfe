"""The import rules of docs/architecture.md, checked on the code: no module imports a later layer,
and no two modules import each other (directly or round a cycle, lazily inside functions too)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FOLDERS = {  # installed package -> repository folder (setup.py's LAYERS)
    "harness": "harness",
    "harness.plugins": "plugins",
    "harness.judges": "judges",
    "harness.tasks": "tasks",
    "harness.configs": "configs",
    "harness.leaderboard": "leaderboard",
}


def layer_table() -> list[tuple[int, str, list[str]]]:
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("<!-- import-layers -->", 1)[1].split("<!-- /import-layers -->", 1)[0]
    rows = []
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].isdigit():
            rows.append((int(cells[0]), cells[1], re.findall(r"`([\w.]+)`", cells[2])))
    return rows


def modules() -> dict[str, Path]:
    found = {}
    for package, folder in FOLDERS.items():
        for path in (REPO / folder).rglob("*.py"):
            if "build" in path.relative_to(REPO / folder).parts:
                continue
            parts = list(path.relative_to(REPO / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Modules of the project that ``name`` imports, anywhere but under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            out |= {resolve(a.name, known) for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in known else resolve(base, known))
    return {m for m in out if m in known and m != name}


def resolve(module: str, known: dict[str, Path]) -> str:
    while module not in known and "." in module:
        module = module.rsplit(".", 1)[0]
    return module


def layer_of(module: str, table: list[tuple[int, str, list[str]]]) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for number, _, prefixes in table:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), number)
    return None if best is None else best[1]


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_every_module_has_a_layer() -> None:
    table = layer_table()
    assert len(table) >= 10
    unplaced = sorted(m for m in modules() if m != "harness" and layer_of(m, table) is None)
    assert not unplaced, f"modules missing from the layer table of docs/architecture.md: {unplaced}"


def test_no_module_imports_a_later_layer() -> None:
    table = layer_table()
    names = {number: label for number, label, _ in table}
    violations = []
    for module, targets in graph().items():
        mine = layer_of(module, table)
        for target in targets:
            theirs = layer_of(target, table)
            if mine is not None and theirs is not None and theirs > mine:
                violations.append(f"{module} ({names[mine]}) imports {target} ({names[theirs]})")
    assert not violations, "reaches back up:\n" + "\n".join(sorted(violations))


def test_no_import_cycles() -> None:
    edges = graph()
    # a package importing its own submodule (e.g. a lazy __getattr__) is how packages work, not a cycle
    edges = {m: {t for t in ts if not t.startswith(m + ".") and not m.startswith(t + ".")} for m, ts in edges.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_checker_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    """The rules bite: a function-level import and a relative import are both edges."""
    known = {"harness.a": tmp_path / "a.py", "harness.b": tmp_path / "b.py", "harness.c": tmp_path / "c.py"}
    known["harness.a"].write_text("def f():\n    from harness.b import x\n")
    known["harness.b"].write_text("from . import c\nif TYPE_CHECKING:\n    import harness.a\n")
    known["harness.c"].write_text("")
    assert imports("harness.a", known["harness.a"], known) == {"harness.b"}
    assert imports("harness.b", known["harness.b"], known) == {"harness.c"}
    table = [(0, "low", ["harness.b"]), (1, "high", ["harness.a"])]
    assert layer_of("harness.b", table) == 0 and layer_of("harness.a.x", table) == 1

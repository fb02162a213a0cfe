"""What downloads show on the console: rich progress bars and one-line notes, on stderr.

Standard output stays for tables and results; a download's bar, and the notes that say what was
fetched or why nothing was, go to stderr (rich renders plain lines when it is not a terminal).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_console: Any = None
_quiet = False


def console() -> Any:
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(stderr=True)
    return _console


def note(text: str) -> None:
    """One line for the user (markup off: file names may contain brackets)."""
    if not _quiet:
        console().print(text, markup=False, highlight=False, soft_wrap=True)


@contextmanager
def quiet() -> Iterator[None]:
    """No notes inside (``data status`` looks at every task and reports in its own table)."""
    global _quiet
    before, _quiet = _quiet, True
    try:
        yield
    finally:
        _quiet = before


def human_bytes(n: int | None) -> str:
    if n is None:
        return "unknown"
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


@contextmanager
def bar(description: str, total: float | None, *, unit: str = "bytes") -> Iterator[Any]:
    """A rich progress bar; yields ``advance(n)``. ``unit='bytes'`` shows sizes and speed, else counts."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns: list[Any] = [TextColumn("{task.description}"), BarColumn()]
    columns += [DownloadColumn(), TransferSpeedColumn()] if unit == "bytes" else [MofNCompleteColumn()]
    columns.append(TimeRemainingColumn())
    with Progress(*columns, console=console(), transient=False) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)


def hub_tqdm() -> Any:
    """A tqdm class for ``huggingface_hub``'s ``tqdm_class``: its download bars drawn by rich."""
    import warnings

    from tqdm import TqdmExperimentalWarning
    from tqdm.rich import tqdm_rich

    class RichTqdm(tqdm_rich):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)  # huggingface_hub's logger name, not a tqdm option
            kwargs.setdefault("options", {"console": console()})  # stderr, like every download bar here
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", TqdmExperimentalWarning)
                super().__init__(*args, **kwargs)

    return RichTqdm

"""Errors a user can act on. The CLI prints these as one clear message, without a traceback."""

from __future__ import annotations


class HarnessError(Exception):
    """Bad input or environment: a malformed task, a missing file, an unknown name.

    ``exit_code`` is what ``python -m harness`` exits with (docs/results.md): 2, a usage error.
    """

    exit_code = 2


class NothingToRun(HarnessError):
    """A run refused before any request because it would evaluate no sample (exit code 4)."""

    exit_code = 4


class EcgsAbsent(NothingToRun):
    """Nothing to run because no selected sample's ECG (record or picture) is here."""


class TaskFileError(HarnessError):
    """A task YAML file is malformed; the message names the file and key."""


class DataError(HarnessError):
    """A dataset file is missing, unreadable, or fails its checksum."""


def suggest(name: str, known: list[str] | set[str] | dict, *, what: str) -> str:
    """'unknown task 'x'; did you mean ...' with close matches from ``known``."""
    import difflib

    options = sorted(known)
    close = difflib.get_close_matches(name, options, n=3, cutoff=0.5)
    msg = f"unknown {what} '{name}'"
    if close:
        msg += f"; did you mean: {', '.join(close)}?"
    elif options:
        shown = ", ".join(options[:20]) + (" ..." if len(options) > 20 else "")
        msg += f"; known: {shown}"
    return msg

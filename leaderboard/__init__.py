"""The leaderboard: a self-contained static site built only from run directories.

Entry points: :func:`harness.leaderboard.site.build_site` and
``python -m harness.leaderboard build RUNS_DIR --out site/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.leaderboard.site import BuildReport, build_site

__all__ = ["BuildReport", "build_site"]


def __getattr__(name: str):  # lazy: importing the package stays cheap
    if name in __all__:
        from harness.leaderboard import site

        return getattr(site, name)
    raise AttributeError(name)

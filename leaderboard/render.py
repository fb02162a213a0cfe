"""Writing pages: one Jinja2 environment (autoescaping every template, strict variables), the
filters the templates use, relative links from any page depth, and the static assets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from harness.leaderboard import layout
from harness.leaderboard.badges import LEGEND as BADGE_LEGEND
from harness.leaderboard.badges import RULE as BADGE_RULE
from harness.leaderboard.embed import script_json
from harness.leaderboard.judge_checks import judge_check_rows
from harness.leaderboard.ranking import RULE as RANKING_RULE

HERE = Path(__file__).resolve().parent
ASSETS = ("style.css", "table.js", "samples.js")


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = layout.fmt
    env.filters["judge_checks"] = lambda run: judge_check_rows([(run.model_key, run)])  # a run's checks, as rows
    env.filters["script_json"] = script_json
    env.filters["short"] = lambda s, n=12: (s or "")[:n]
    env.filters["pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    env.globals.update(
        model_page=layout.model_page,
        task_page=layout.task_page,
        samples_page=layout.samples_page,
        item_page=layout.item_page,
        pair_items_page=layout.pair_items_page,
        ranking_rule=RANKING_RULE,
        badge_rule=BADGE_RULE,
        badge_legend=BADGE_LEGEND,
    )
    return env


class PageWriter:
    """Renders templates into ``site``; every page gets ``root`` (the way back to the site root)."""

    def __init__(self, site: Path, generated: str):
        self.site = site
        self.env = environment()
        self.common = {"generated": generated}

    def write(self, rel: str, template: str, **context: Any) -> None:
        path = self.site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        html = self.env.get_template(template).render(root="../" * rel.count("/"), **self.common, **context)
        path.write_text(html, encoding="utf-8")

    def copy_assets(self) -> None:
        assets = self.site / "assets"
        assets.mkdir(exist_ok=True)
        for name in ASSETS:
            shutil.copyfile(HERE / "static" / name, assets / name)

"""``python -m harness.leaderboard build RUNS_DIR --out site/``"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.leaderboard", description="Build the static leaderboard site."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="collect every results.json under RUNS_DIR and write the site")
    build.add_argument("runs_dir", type=Path, metavar="RUNS_DIR")
    build.add_argument(
        "--out", type=Path, default=Path("site"), help="output directory (replaced atomically; default: site)"
    )
    build.add_argument(
        "--verify",
        action="store_true",
        help="check every number against its run's own records (as python -m harness verify) and mark each cell",
    )
    build.add_argument(
        "--data-dir",
        type=Path,
        default=os.environ.get("HARNESS_DATA_DIR") or None,
        help="with --verify: where the data files are, to check their sha256 (default: HARNESS_DATA_DIR)",
    )
    build.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 1, site untouched) if any results file is rejected or, with --verify, any number mismatches",
    )
    args = parser.parse_args(argv)

    from harness.leaderboard.site import BuildError, build_site

    try:
        report = build_site(args.runs_dir, args.out, strict=args.strict, verify=args.verify, data_dir=args.data_dir)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for rejection in report.rejected:
        print(f"error: {rejection}", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for mismatch in report.mismatches:
        print(f"mismatch: {mismatch}", file=sys.stderr)
    if args.strict and not report.ok:
        print(
            f"--strict: {len(report.rejected)} results file(s) rejected, {len(report.mismatches)} verification "
            "mismatch(es); the site was not written",
            file=sys.stderr,
        )
        return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())

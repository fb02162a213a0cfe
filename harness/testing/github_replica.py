"""A stand-in for GitHub's raw file host (``raw.githubusercontent.com``), for tests.

It serves files at GitHub's raw layout, ``/<owner>/<repo>/<commit>/<path>``, with HTTP ranges
(a resumed download asks for the rest of a file), and counts what it served. The harness is
pointed at it with ``HARNESS_GITHUB_RAW_URL`` (task files keep the real URLs).

    python -m harness.testing.github_replica --data-dir ../shared/data --port 0
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.testing.replica_server import ReplicaServer, Reply, Request


class GitHubRawReplica(ReplicaServer):
    """``files[<owner>/<repo>/<commit>/<path>] = bytes``, served as raw.githubusercontent.com serves them."""

    def __init__(self, files: dict[str, bytes], *, port: int = 0) -> None:
        self.files = dict(files)
        super().__init__(self._route, port=port)

    def _route(self, request: Request) -> Reply:
        body = self.files.get(request.path.lstrip("/"))
        if body is None:
            return Reply(404, b"404: Not Found", {"Content-Type": "text/plain; charset=utf-8"}, ranges=False)
        return Reply(200, body, {"Content-Type": "text/plain; charset=utf-8"})


def main(argv: list[str] | None = None) -> int:
    from harness.testing.replica_data import heartcare_published_files

    parser = argparse.ArgumentParser(prog="python -m harness.testing.github_replica", description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    ns = parser.parse_args(argv)
    server = GitHubRawReplica(heartcare_published_files(ns.data_dir), port=ns.port)
    return server.serve_forever("github_replica")


if __name__ == "__main__":
    sys.exit(main())

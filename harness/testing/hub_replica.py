"""A Hugging Face Hub–compatible endpoint for tests (``HF_ENDPOINT``), serving dataset repositories.

It answers the calls ``huggingface_hub`` makes to read a dataset, in the Hub's own URL layout and
headers (measured against ``huggingface_hub`` 1.33):

- ``GET /api/datasets/{repo}/revision/{rev}``: the repository's info (``sha`` = the commit);
- ``GET /api/datasets/{repo}/tree/{rev}[/{path}]`` (``recursive``): files with ``size``, the git
  ``oid`` and, for LFS files, ``lfs: {oid: sha256, size, pointerSize}``;
- ``HEAD``/``GET /datasets/{repo}/resolve/{rev}/{path}``: the file, with ``X-Repo-Commit``,
  ``ETag``/``X-Linked-Etag`` (the sha256 for LFS files), ``X-Linked-Size``, and HTTP ranges
  (``HfFileSystem`` reads Parquet by range).

Errors carry the Hub's ``X-Error-Code`` (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``,
``GatedRepo``), which ``huggingface_hub`` turns into its typed exceptions. A gated repository
answers file requests with 401 without a token and 403 with a token that is not on its list, as
the Hub does; its info and file listing stay public. Every repository has one commit (a digest of
its files), also served as ``main``.

    python -m harness.testing.hub_replica --data-dir ../shared/data --port 0
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import parse_qs

from harness.testing.hub_repo import HubRepo, git_blob_oid
from harness.testing.replica_data import ecgbench_repo
from harness.testing.replica_server import ReplicaServer, Reply, Request


class HubReplica(ReplicaServer):
    """The Hub's dataset endpoints over ``repos`` (see the module docstring)."""

    def __init__(self, repos: list[HubRepo], *, port: int = 0) -> None:
        self.repos = {r.repo: r for r in repos}
        super().__init__(self._route, port=port)

    def _route(self, request: Request) -> Reply:
        parts = request.path.strip("/").split("/")
        if parts[:2] == ["api", "datasets"] and len(parts) >= 6:
            repo = self._repo("/".join(parts[2:4]))
            if isinstance(repo, Reply):
                return repo
            return self._api(repo, parts[4], parts[5], "/".join(parts[6:]), request)
        if parts[:1] == ["datasets"] and len(parts) >= 6 and parts[3] == "resolve":
            repo = self._repo("/".join(parts[1:3]))
            if isinstance(repo, Reply):
                return repo
            return self._resolve(repo, parts[4], "/".join(parts[5:]), request)
        return _error(404, "RepoNotFound", "Repository not found")

    def _repo(self, name: str) -> HubRepo | Reply:
        repo = self.repos.get(name)
        if repo is None:  # the Hub does not tell an absent repository from a private one
            return _error(401, "RepoNotFound", "Repository not found")
        return repo

    def _api(self, repo: HubRepo, kind: str, rev: str, path: str, request: Request) -> Reply:
        if rev not in ("main", repo.commit):
            return _error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        if kind == "revision":
            info = {
                "_id": repo.commit[:24],
                "id": repo.repo,
                "sha": repo.commit,
                "private": False,
                "gated": "manual" if repo.gated else False,
                "disabled": False,
                "tags": [],
                "downloads": 0,
                "likes": 0,
                "siblings": [{"rfilename": p} for p in sorted(repo.files)],
            }
            return _json(info, repo)
        if kind == "tree":
            recursive = parse_qs(request.query).get("recursive", ["false"])[0].lower() == "true"
            listing = repo.tree(path, recursive)
            if listing is None:
                return _error(404, "EntryNotFound", f"{path} does not exist on {rev}", repo)
            return _json(listing, repo)
        return _error(404, "EntryNotFound", f"no API route {kind}")

    def _resolve(self, repo: HubRepo, rev: str, path: str, request: Request) -> Reply:
        if rev not in ("main", repo.commit):
            return _error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        if repo.gated:
            token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not token:
                return _error(
                    401,
                    "GatedRepo",
                    f"Access to dataset {repo.repo} is restricted. You must have access to it and be authenticated "
                    "to access it. Please log in.",
                    repo,
                )
            if token not in repo.allowed_tokens:
                return _error(
                    403,
                    "GatedRepo",
                    f"Access to dataset {repo.repo} is restricted and you are not in the authorized list. "
                    f"Visit https://huggingface.co/datasets/{repo.repo} to ask for access.",
                    repo,
                )
        data = repo.files.get(path)
        if data is None:
            return _error(404, "EntryNotFound", f"{path} does not exist on {rev}", repo)
        headers = {"X-Repo-Commit": repo.commit, "Content-Type": "application/octet-stream"}
        if repo.is_lfs(path):
            headers.update(
                {
                    "ETag": f'"{repo.sha256[path]}"',
                    "X-Linked-Etag": f'"{repo.sha256[path]}"',
                    "X-Linked-Size": str(len(data)),
                }
            )
        else:
            headers["ETag"] = f'"{git_blob_oid(data)}"'
        return Reply(200, data, headers)


def _json(value: object, repo: HubRepo | None = None) -> Reply:
    headers = {"Content-Type": "application/json"}
    if repo is not None:
        headers["X-Repo-Commit"] = repo.commit
    return Reply(200, json.dumps(value).encode(), headers, ranges=False)


def _error(status: int, code: str, message: str, repo: HubRepo | None = None) -> Reply:
    headers = {"Content-Type": "application/json", "X-Error-Code": code, "X-Error-Message": message}
    if repo is not None:
        headers["X-Repo-Commit"] = repo.commit
    return Reply(status, json.dumps({"error": message}).encode(), headers, ranges=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.testing.hub_replica", description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True, help="the data directory with the real records")
    parser.add_argument("--port", type=int, default=0)
    ns = parser.parse_args(argv)
    server = HubReplica([ecgbench_repo(ns.data_dir)], port=ns.port)
    return server.serve_forever("hub_replica")


if __name__ == "__main__":
    sys.exit(main())

"""A dataset repository as the Hub replica serves it: its files at one commit, with git object ids
and LFS metadata computed the way the Hub reports them."""

from __future__ import annotations

import hashlib

LFS_MIN_BYTES = 10_000  # files at least this big are served as LFS objects (the Hub keeps data files in LFS)


def git_blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's object id


class HubRepo:
    """One dataset repository: its files at a single commit."""

    def __init__(self, repo: str, files: dict[str, bytes], *, allowed_tokens: set[str] | None = None):
        self.repo = repo
        self.files = dict(files)
        self.gated = allowed_tokens is not None
        self.allowed_tokens = set(allowed_tokens or ())
        listing = "".join(f"{p} {git_blob_oid(d)}\n" for p, d in sorted(self.files.items()))
        self.commit = hashlib.sha1(f"{repo}\n{listing}".encode()).hexdigest()  # noqa: S324 - a commit-like id
        self.sha256 = {p: hashlib.sha256(d).hexdigest() for p, d in self.files.items()}

    def is_lfs(self, path: str) -> bool:
        return len(self.files[path]) >= LFS_MIN_BYTES or path.endswith(".parquet")

    def entry(self, path: str) -> dict:
        data = self.files[path]
        out = {"type": "file", "oid": git_blob_oid(data), "size": len(data), "path": path}
        if self.is_lfs(path):
            out["lfs"] = {"oid": self.sha256[path], "size": len(data), "pointerSize": 134}
        return out

    def tree(self, folder: str, recursive: bool) -> list[dict] | None:
        prefix = f"{folder.strip('/')}/" if folder.strip("/") else ""
        if prefix and not any(p.startswith(prefix) for p in self.files):
            return None
        out, folders = [], set()
        for path in sorted(self.files):
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix) :]
            parts = rest.split("/")
            for depth in range(1, len(parts)):
                if recursive or depth == 1:
                    folders.add(prefix + "/".join(parts[:depth]))
            if recursive or len(parts) == 1:
                out.append(self.entry(path))
        dirs = [
            {"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0, "path": d}
            for d in sorted(folders)
        ]  # noqa: S324
        return dirs + out

"""Maps the repository's top-level layers into the `harness` namespace.

`plugins/`, `judges/`, `tasks/`, `configs/` and `leaderboard/` are folders at the top of the
repository so a reader finds them, but they install as `harness.plugins`, `harness.judges`, ...
so no generic top-level name (`plugins`, `tasks`) lands in site-packages.
"""

from setuptools import find_namespace_packages, setup

LAYERS = {
    "harness": "harness",
    "harness.plugins": "plugins",
    "harness.judges": "judges",
    "harness.tasks": "tasks",
    "harness.configs": "configs",
    "harness.leaderboard": "leaderboard",
}


def _packages() -> list[str]:
    found = []
    for package, folder in LAYERS.items():
        found.append(package)
        found += [f"{package}.{sub}" for sub in find_namespace_packages(folder, exclude=["*__pycache__*"])]
    return sorted(found)


setup(packages=_packages(), package_dir=LAYERS)

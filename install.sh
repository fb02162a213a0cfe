#!/usr/bin/env bash
# Installs ECG-Harness and everything its tests need, from this repository's own files.
#   bash install.sh            # system packages (when run as root with apt) + the Python package [dev]
set -euo pipefail
cd "$(dirname "$0")"

if [ -x .ci/install-system ] || [ -f .ci/install-system ]; then
  bash .ci/install-system
fi

# llama-cpp-python (the embedded default model) builds from source: portable CPU flags, no GPU.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"
# torch is optional (semantic F1); if a later extra pulls it, the CPU build already on disk is used.
python -m pip install --upgrade pip wheel setuptools >/dev/null
python -m pip install -e ".[dev]"

#!/usr/bin/env bash
# The main job: sets up a fresh machine, builds and installs mxc, and trains on Fashion-MNIST (MNIST's format).
# Extra arguments go to examples/train_mnist.py (--network mlp|lenet, --epochs, --batch-size, --lr, --data-dir).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/setup.sh
PY=${PYTHON:-python3}
$PY -m pip install -q --disable-pip-version-check ./bindings/python
exec $PY examples/train_mnist.py "$@"

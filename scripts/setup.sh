#!/usr/bin/env bash
# Installs what mxc needs on a fresh Debian 12 machine (as root, or with sudo available). Idempotent.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
pkgs="cmake ninja-build g++ pkg-config libopenblas-dev libgtest-dev dataset-fashion-mnist golang-go"
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "== apt-get install$missing"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
fi
PY=${PYTHON:-python3}
echo "== pip install build and test requirements"
$PY -m pip install -q --disable-pip-version-check "numpy>=1.23" "cffi>=1.15" "pytest>=7" "scikit-build-core>=0.8" "pillow>=9" \
  "onnx>=1.14" "onnxruntime>=1.16"  # mx.onnx.export_model, and ONNX Runtime as the reference in test_onnx.py

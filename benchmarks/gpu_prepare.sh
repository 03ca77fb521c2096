#!/usr/bin/env bash
# Prepares, on a machine with network access, what benchmarks/gpu.sh needs on a GPU machine that has no network
# (the lent H200 machines: Python 3.12 with PyTorch, numpy, pytest, nvidia-cublas and nvidia-cudnn-cu13, CMake,
# ninja and nvcc, but no cffi, no GoogleTest and no data). From the repository root:
#   bash benchmarks/gpu_prepare.sh
# writes three git-ignored folders (about 40 MB together), to carry along with the working tree:
#   .whl/     cffi and pycparser wheels for CPython 3.12 (PY_VERSION=3.11 etc. for another Python)
#   .data/    Fashion-MNIST's four files (Debian's dataset-fashion-mnist), for the seed programs and the data tests
#   .gtest/   GoogleTest's sources (Debian's googletest), built with the C/C++ tests (MXC_GTEST_SOURCE_DIR)
# and the GPU run is then: bash benchmarks/gpu.sh   (carrying .whl, .data and .gtest).
set -euo pipefail
cd "$(dirname "$0")/.."
PY_VERSION=${PY_VERSION:-3.12}
need_apt=""
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need_apt="$need_apt dataset-fashion-mnist"
[ -f /usr/src/googletest/CMakeLists.txt ] || need_apt="$need_apt googletest"
if [ -n "$need_apt" ]; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need_apt
fi
rm -rf .whl .data .gtest
python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$PY_VERSION" --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d .whl cffi pycparser
mkdir -p .data/fashion-mnist
cp /usr/share/datasets/fashion-mnist/*-ubyte.gz .data/fashion-mnist/
cp -r /usr/src/googletest .gtest
du -sh .whl .data .gtest
echo "carry: .whl .data .gtest   command: bash benchmarks/gpu.sh"

#!/usr/bin/env bash
# Sets up a fresh machine and runs every test suite: ctest (C/C++), pytest (Python), the seed programs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/setup.sh
PY=${PYTHON:-python3}
JOBS=${JOBS:-$(nproc)}
# The build makes the Python package's cffi API-mode module for this interpreter (beside build/libmxc.so).
PYEXE=$(command -v "$PY")

echo "== build (CPU)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE="$PYEXE"
cmake --build build -j "$JOBS"
echo "== ctest"
(cd build && ctest --output-on-failure -j "$JOBS")

if command -v nvcc >/dev/null 2>&1 && [ "${MXC_SKIP_CUDA_BUILD:-0}" != 1 ] && [ -n "$(ls cuda/*.cu 2>/dev/null)" ]; then
  # cuBLAS and cuDNN (Python wheels, found by CMake through python3), so that their code paths compile and link too.
  echo "== pip install nvidia-cublas nvidia-cudnn-cu13 (the CUDA variant's libraries)"
  $PY -m pip install -q --disable-pip-version-check nvidia-cublas==13.0.2.14
  $PY -m pip install -q --disable-pip-version-check --no-deps nvidia-cudnn-cu13==9.24.0.43
  echo "== build (CUDA variant: compile and link; CPU tests against it)"
  cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DMXC_USE_CUDA=ON -DPython3_EXECUTABLE="$PYEXE"
  for lib in MXC_CUBLAS_LIBRARY MXC_CUDNN_LIBRARY; do
    if ! grep -q "^$lib:FILEPATH=/" build-cuda/CMakeCache.txt; then
      echo "the CUDA variant did not find $lib" >&2
      exit 1
    fi
  done
  cmake --build build-cuda -j "$JOBS"
  (cd build-cuda && ctest --output-on-failure -j "$JOBS")
fi

if [ -f bindings/python/pyproject.toml ]; then
  echo "== pip install ./bindings/python"
  $PY -m pip install -q --disable-pip-version-check ./bindings/python
  echo "== pytest"
  (cd bindings/python && $PY -m pytest -q -ra tests)
  SEED_DIR=${SEED_DIR:-$ROOT/../shared/seed}
  if [ -d "$SEED_DIR" ]; then
    echo "== seed programs ($SEED_DIR)"
    for prog in "$SEED_DIR"/0*.py; do
      echo "-- $(basename "$prog")"
      (cd /tmp && SEED_EPOCHS=${SEED_EPOCHS:-1} $PY "$prog")
    done
  else
    echo "seed programs not found at $SEED_DIR" >&2
    exit 1
  fi
  echo "== examples/gluon_fashion_mnist.py (Gluon and autograd, one epoch)"
  (cd /tmp && $PY "$ROOT/examples/gluon_fashion_mnist.py" --epochs 1 --min-accuracy 0.8)
  echo "== examples/gluon_crash_course.py (vision datasets, transforms, prefetching DataLoader, LeNet; one epoch)"
  (cd /tmp && $PY "$ROOT/examples/gluon_crash_course.py" --epochs 1 --min-accuracy 0.75)
  echo "== examples/gluon_rnn_sequence.py (gluon.rnn LSTM on synthetic sequences)"
  (cd /tmp && $PY "$ROOT/examples/gluon_rnn_sequence.py" --min-accuracy 0.9)
  echo "== examples/record_io_train.py (Fashion-MNIST packed as PNG records, ImageRecordIter, Module; one epoch)"
  (cd /tmp && $PY "$ROOT/examples/record_io_train.py" --num-train 10000 --epochs 1 --min-accuracy 0.65)
  echo "== examples/lstm_bucketing.py (mx.rnn LSTM language model, BucketSentenceIter, BucketingModule)"
  (cd /tmp && $PY "$ROOT/examples/lstm_bucketing.py" --max-perplexity 8)
  echo "== examples/export_onnx.py (Gluon CNN exported to ONNX, run in ONNX Runtime against mxc)"
  (cd /tmp && $PY "$ROOT/examples/export_onnx.py")
fi
if command -v nvcc >/dev/null 2>&1 && [ "${MXC_SKIP_CUDA_EMULATION:-0}" != 1 ] && [ -f cuda/emu/runtime.cc ]; then
  # The CUDA code (glue and kernels) on emulated GPUs: kernels compiled for the CPU with CUDA's thread/block/barrier
  # model, asynchronous streams, device memory the host cannot touch (cuda/emu/emu.h). Needs the toolkit's headers.
  echo "== build (CUDA emulation variant: the CUDA backend on an emulated gpu(0))"
  cmake -S . -B build-cuda-emu -G Ninja -DCMAKE_BUILD_TYPE=Release -DMXC_USE_CUDA=ON -DMXC_CUDA_EMULATION=ON \
    -DMXC_BUILD_BENCHMARKS=OFF -DPython3_EXECUTABLE="$PYEXE"
  cmake --build build-cuda-emu -j "$JOBS"
  (cd build-cuda-emu && ctest --output-on-failure -j "$JOBS")
  if [ -f bindings/python/pyproject.toml ]; then
    echo "== pytest with mx.gpu(0) (emulated, two GPUs) as the default context"
    (cd bindings/python && MXC_LIBRARY_PATH="$ROOT/build-cuda-emu/libmxc.so" MXC_TEST_DEFAULT_CTX=gpu MXC_CUDA_EMU_GPUS=2 \
      $PY -m pytest -q -ra tests)
    echo "== seed programs that use a GPU when there is one, on the emulated gpu(0)"
    for prog in "$SEED_DIR"/05_*.py "$SEED_DIR"/06_*.py; do
      echo "-- $(basename "$prog")"
      (cd /tmp && MXC_LIBRARY_PATH="$ROOT/build-cuda-emu/libmxc.so" SEED_EPOCHS=${SEED_EPOCHS:-1} $PY "$prog")
    done
  fi
fi
if [ -f bindings/go/test.sh ]; then
  echo "== go test (bindings/go)"
  bash bindings/go/test.sh
fi
if [ -f bindings/js/test.sh ]; then
  echo "== node --test (bindings/js: the WebAssembly build)"
  bash bindings/js/test.sh
fi
echo "== all test suites passed"

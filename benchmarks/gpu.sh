#!/usr/bin/env bash
# The GPU check of mxc, from the repository root on a machine with an NVIDIA GPU and nothing pre-built:
#   1. configure and build the CUDA variant (CMake + Ninja; cuBLAS and cuDNN from the nvidia-cublas and
#      nvidia-cudnn-cu13 Python wheels),
#   2. run ctest (the GPU tests included),
#   3. run the seed programs 01-06 (05 and 06 pick mx.gpu(0)) and the whole pytest suite with mx.gpu(0) as the
#      default context (when the Python package can load: it needs cffi),
#   4. measure training next to PyTorch on the same GPU (MLP, LeNet, a ResNet-style network) and an optimizer step.
# Every step has a timeout; a failing step is reported and the script goes on; a summary ends the output.
# Wheels in .whl/ (cffi, nvidia-cublas, ...) are installed into a temporary folder when their module is missing.
# Environment: MXC_GPU_BUILD_DIR (default build-gpu), MXC_GPU_JOBS, SEED_EPOCHS (default 2), BENCH_ITERS (30),
# MXC_GPU_EMULATION=1 (run it all on the CUDA emulation build, to check the script on a machine without a GPU).
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${MXC_GPU_BUILD_DIR:-build-gpu}
JOBS=${MXC_GPU_JOBS:-$(nproc)}
PY=${PYTHON:-python3}
START=$(date +%s)
SUMMARY=()
TMP=$(mktemp -d)
# A crash in Python prints the Python stack (which call crashed); with gdb, a crashed seed is rerun for a native stack.
export PYTHONFAULTHANDLER=1
trap 'rm -rf "$TMP"' EXIT

log() { echo "+ [$(( $(date +%s) - START ))s] $*"; }
# step NAME TIMEOUT_S COMMAND...: runs the command with a timeout, records ok/FAILED/TIMEOUT.
step() {
  local name=$1 t=$2
  shift 2
  log "step $name (timeout ${t}s): $*"
  local s=$(date +%s)
  timeout --kill-after=10 "$t" "$@"
  local rc=$?
  local d=$(( $(date +%s) - s ))
  local status=ok
  if [ $rc = 124 ] || [ $rc = 137 ]; then status="TIMEOUT"; elif [ $rc != 0 ]; then status="FAILED (rc $rc)"; fi
  SUMMARY+=("$(printf '%-28s %-16s %4ss' "$name" "$status" "$d")")
  log "step $name: $status in ${d}s"
  return $rc
}

log "machine: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)"
log "nvcc: $(nvcc --version 2>/dev/null | tail -1)   cmake: $(cmake --version | head -1)   python: $($PY --version 2>&1)"

# ---- Python-side dependencies from .whl/ when missing ----
PYLIB="$TMP/pylib"
if [ -d .whl ]; then
  need=""
  $PY -c 'import cffi' 2>/dev/null || need="$need cffi"
  $PY -c 'import numpy' 2>/dev/null || need="$need numpy"
  $PY -c 'import nvidia, os, glob; assert any(glob.glob(os.path.join(p, s, "lib", "libcublas.so*")) for p in nvidia.__path__ for s in ("cu13", "cublas"))' 2>/dev/null || need="$need cublas"
  if [ -n "$need" ]; then
    log "installing .whl/*.whl into $PYLIB (missing:$need)"
    $PY -m pip install -q --no-index --no-deps --target "$PYLIB" .whl/*.whl || log "pip install of .whl/ failed"
    export PYTHONPATH="$PYLIB${PYTHONPATH:+:$PYTHONPATH}"
  fi
fi
if [ -z "${MXC_CUBLAS_ROOT:-}" ]; then
  FIND_CUBLAS='import nvidia, os, glob; r = [os.path.join(p, s) for p in nvidia.__path__ for s in ("cu13", "cublas") if glob.glob(os.path.join(p, s, "lib", "libcublas.so*"))]; print(r[0] if r else "")'
  CUBLAS_DIR=$($PY -c "$FIND_CUBLAS" 2>/dev/null)
  [ -n "$CUBLAS_DIR" ] && export MXC_CUBLAS_ROOT="$CUBLAS_DIR"
fi
log "cuBLAS: ${MXC_CUBLAS_ROOT:-not found, using the built-in GEMM kernel}"
if [ -z "${MXC_CUDNN_ROOT:-}" ]; then
  FIND_CUDNN='import nvidia, os, glob; r = [os.path.join(p, "cudnn") for p in nvidia.__path__ if glob.glob(os.path.join(p, "cudnn", "lib", "libcudnn.so*"))]; print(r[0] if r else "")'
  CUDNN_DIR=$($PY -c "$FIND_CUDNN" 2>/dev/null)
  [ -n "$CUDNN_DIR" ] && export MXC_CUDNN_ROOT="$CUDNN_DIR"
fi
log "cuDNN: ${MXC_CUDNN_ROOT:-not found by python (CMake looks in the system folders)}"

# ---- build ----
TESTS=ON
# MXC_GPU_EMULATION=1: the whole script on the CUDA emulation build (no GPU needed; for checking the script).
EMU=""
[ "${MXC_GPU_EMULATION:-0}" = 1 ] && EMU="-DMXC_CUDA_EMULATION=ON" && log "CUDA emulation build: no real GPU is used"
# GoogleTest from a carried source tree (benchmarks/gpu_prepare.sh) when the machine has no installed package.
GTEST=""
[ -f .gtest/CMakeLists.txt ] && GTEST="-DMXC_GTEST_SOURCE_DIR=$ROOT/.gtest" && log "GoogleTest: built from .gtest/"
if ! step configure 180 cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMXC_USE_CUDA=ON $EMU $GTEST \
      -DMXC_BUILD_BENCHMARKS=OFF ${MXC_CUBLAS_ROOT:+-DMXC_CUBLAS_ROOT=$MXC_CUBLAS_ROOT} \
      ${MXC_CUDNN_ROOT:+-DMXC_CUDNN_ROOT=$MXC_CUDNN_ROOT}; then
  log "configure failed: retrying without the C++ tests (GTest missing?)"
  TESTS=OFF
  step configure-no-tests 180 cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMXC_USE_CUDA=ON $EMU \
      -DMXC_BUILD_TESTS=OFF -DMXC_BUILD_BENCHMARKS=OFF ${MXC_CUBLAS_ROOT:+-DMXC_CUBLAS_ROOT=$MXC_CUBLAS_ROOT} \
      ${MXC_CUDNN_ROOT:+-DMXC_CUDNN_ROOT=$MXC_CUDNN_ROOT}
fi
grep -E "^(MXC_CUDNN_(INCLUDE|LIBRARY)|MXC_CUBLAS_LIBRARY|BLAS_openblas_LIBRARY):" "$BUILD/CMakeCache.txt" 2>/dev/null
step build 300 cmake --build "$BUILD" -j "$JOBS"
BUILT=$?
export MXC_LIBRARY_PATH="$ROOT/$BUILD/libmxc.so"
# Without the Python headers the build makes no cffi API-mode module: the package then calls the library in ABI mode.
if ! ls "$BUILD"/_mxc_api*.so >/dev/null 2>&1; then
  log "no _mxc_api module built (Python headers missing?): the Python package runs in cffi ABI mode"
  export MXC_CFFI_MODE=abi
fi

# ---- tests ----
if [ $BUILT = 0 ] && [ $TESTS = ON ]; then
  # The GPU tests first (with their output), then the whole suite.
  step gpu-op-tests 120 "$BUILD/tests/test_op_gpu"
  step gpu-capi-tests 60 "$BUILD/tests/test_capi_gpu"
  step ctest 240 ctest --test-dir "$BUILD" --output-on-failure -j 8
fi

# ---- Python: seed programs and benchmarks ----
PYOK=0
if [ $BUILT = 0 ]; then
  export PYTHONPATH="$ROOT/bindings/python${PYTHONPATH:+:$PYTHONPATH}"
  if step python-import 60 $PY -c 'import mxc as mx; print("mxc", mx.__version__ if hasattr(mx, "__version__") else "", "gpus:", mx.context.num_gpus())'; then
    PYOK=1
  fi
fi
if [ $PYOK = 1 ]; then
  # MNIST-format data: MXC_MNIST_DIR, Debian's fashion-mnist (the seeds' default), a carried .data/fashion-mnist or
  # .data folder (idx files, gzipped or not), else small synthetic files.
  has_mnist() { ls "$1"/train-images-idx3-ubyte* >/dev/null 2>&1; }
  if [ -z "${MXC_MNIST_DIR:-}" ] && ! has_mnist /usr/share/datasets/fashion-mnist; then
    for d in .data/fashion-mnist .data; do
      if has_mnist "$d"; then
        export MXC_MNIST_DIR="$ROOT/$d"
        break
      fi
    done
    if [ -z "${MXC_MNIST_DIR:-}" ]; then
      SYNTH=1  # for the seed programs only: the pytest suite's data tests need the real files
      export MXC_MNIST_DIR="$TMP/mnist"
      log "no MNIST files here: writing synthetic MNIST-format files to $MXC_MNIST_DIR (accuracy is meaningless)"
      $PY - "$MXC_MNIST_DIR" <<'PYEOF'
import os, struct, sys
import numpy as np
d = sys.argv[1]; os.makedirs(d, exist_ok=True); rng = np.random.RandomState(0)
for stem, n in (("train", 6000), ("t10k", 1000)):
    y = rng.randint(0, 10, n).astype(np.uint8)
    x = (rng.rand(n, 28, 28) * 60 + y[:, None, None] * 19).clip(0, 255).astype(np.uint8)
    with open(os.path.join(d, stem + "-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 2051, n, 28, 28)); f.write(x.tobytes())
    with open(os.path.join(d, stem + "-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 2049, n)); f.write(y.tobytes())
PYEOF
    fi
  fi
  SEED=""
  for d in shared/seed /work/shared/seed seed examples/seed; do [ -f "$d/01_imperative.py" ] && SEED=$d && break; done
  if [ -n "$SEED" ]; then
    export SEED_EPOCHS=${SEED_EPOCHS:-2}
    for prog in "$SEED"/0[1-6]_*.py; do
      if ! step "seed $(basename "$prog")" 120 $PY "$prog"; then
        # A failed seed: a native stack, then the same program with the synchronous engine and with cffi's ABI mode
        # (which of them still fails narrows the cause down).
        GDB=$(command -v gdb || command -v cuda-gdb)
        if [ -n "$GDB" ]; then
          timeout 180 "$GDB" -q -batch -ex run -ex "thread apply all bt 15" --args $PY "$prog" 2>&1 | tail -80
        fi
        MXC_ENGINE_TYPE=NaiveEngine timeout 120 $PY "$prog" >/dev/null 2>&1
        log "  rerun with MXC_ENGINE_TYPE=NaiveEngine: rc $?"
        MXC_CFFI_MODE=abi timeout 120 $PY "$prog" >/dev/null 2>&1
        log "  rerun with MXC_CFFI_MODE=abi: rc $?"
      fi
    done
  else
    SUMMARY+=("seed programs                skipped (no seed folder)")
  fi
  [ "${SYNTH:-0}" = 1 ] && unset MXC_MNIST_DIR
  if [ -d bindings/python/tests ]; then
    # The whole Python suite with gpu(0) as the default context (tests that name a device keep theirs).
    # With pytest-xdist (the H200 machines have it) in 8 processes sharing the GPU: ~3300 tests in the time left.
    XDIST=""
    $PY -c 'import xdist' 2>/dev/null && XDIST="-n ${MXC_PYTEST_PROCS:-8}"
    MXC_TEST_DEFAULT_CTX=gpu step pytest-gpu 300 $PY -m pytest -q -ra $XDIST -p no:cacheprovider bindings/python/tests
  fi
  # The convolution choices (cuDNN or mxc's kernels, with their times) are printed as they are made.
  MXC_CUDA_CONV_VERBOSE=1 step bench-train 240 $PY benchmarks/bench_gpu_train.py --iters "${BENCH_ITERS:-30}"
  # An SGD step over an MLP's and a ResNet-18's parameters: one update per weight, aggregated, PyTorch's foreach.
  step bench-optimizer 60 $PY benchmarks/bench_optimizer_step.py --gpu --rounds 5 --iters 20
else
  log "the Python package cannot load here (cffi?): benchmarks for PyTorch only"
  step bench-train-torch 180 $PY benchmarks/bench_gpu_train.py --iters "${BENCH_ITERS:-30}" --only torch
fi

echo
echo "================ summary ($(( $(date +%s) - START ))s) ================"
for s in "${SUMMARY[@]}"; do echo "$s"; done

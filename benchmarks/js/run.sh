#!/usr/bin/env bash
# The 784-128-10 MLP's inference, one thread: mxc's WebAssembly module in Node.js next to onnxruntime-web (wasm
# backend) on an ONNX file of the same weights, and the native library through the C API, in one run; plus the
# sizes of the wasm module and its JavaScript. Builds what is missing (bindings/js/build.sh, the native library in
# <repo>/build), installs onnxruntime-web (npm, benchmarks/js) and the onnx Python package (pip).
#
#   bash benchmarks/js/run.sh [OUT_DIR] [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$repo/build/bench-js}"
rounds="${2:-7}"
PY=${PYTHON:-python3}
mkdir -p "$out"

bash "$repo/bindings/js/build.sh" >/dev/null
if [ ! -e "$repo/build/CMakeCache.txt" ]; then
  cmake -S "$repo" -B "$repo/build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$repo/build" --target mxc -j"${JOBS:-$(nproc)}" >/dev/null
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
$PY -c 'import onnx' 2>/dev/null || $PY -m pip install -q --disable-pip-version-check onnx

export PYTHONPATH="$repo/bindings/python" MXC_LIBRARY_PATH="$repo/build/libmxc.so"
$PY "$here/make_models.py" --out "$out"
cc -O2 -Wall -I "$repo/include" "$here/bench_native_mlp.c" -L "$repo/build" -lmxc -Wl,-rpath,"$repo/build" \
  -o "$out/bench_native_mlp"
# One thread for the native library: the synchronous engine, one OpenMP and one OpenBLAS thread.
MXC_ENGINE_TYPE=NaiveEngine OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$out/bench_native_mlp" "$out" "$rounds" \
  > "$out/native-bench.json"
node "$here/bench_wasm_mlp.mjs" "$out" --rounds "$rounds" --native "$out/native-bench.json" --json "$out/results.json"

#!/usr/bin/env bash
# Installs what the JavaScript binding needs on a fresh Debian 12 machine (Emscripten, Chromium for the web-page
# test, Node.js if missing; npm packages from package-lock.json), builds the WebAssembly module, brings the native
# library in <repo>/build up to date (the checkpoint test trains a model with the Python package on it), and runs
# the tests of bindings/js with node's test runner.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
missing=""
command -v emcc >/dev/null || missing="$missing emscripten"
command -v chromium >/dev/null || missing="$missing chromium"
command -v node >/dev/null || missing="$missing nodejs"
command -v npm >/dev/null || missing="$missing npm"
if [ -n "$missing" ]; then
  echo "== apt-get install$missing"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "bindings/js/test.sh: Node.js >= 18 is needed, found $(node --version)" >&2
  exit 1
fi

cd "$here"
echo "== npm ci (bindings/js)"
npm ci --no-audit --no-fund --loglevel=error
echo "== build the wasm module (bindings/js/build.sh)"
bash build.sh

if [ ! -e "$repo/build/CMakeCache.txt" ]; then
  gen=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  cmake -S "$repo" -B "$repo/build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$repo/build" --target mxc -j"${JOBS:-$(nproc)}"
export MXC_NATIVE_LIBRARY="${MXC_NATIVE_LIBRARY:-$repo/build/libmxc.so}"

echo "== node --test (bindings/js)"
node --test test/*.test.mjs
